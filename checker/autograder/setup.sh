#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu), with
# the zip's contents in /autograder/source.  Made by `check gradescope-package`.
#
#   1. Python >= 3.11: the newest python3.X already there, else apt's python3.11 (Ubuntu 22.04:
#      universe; 24.04 ships 3.12), else the deadsnakes PPA;
#   2. bubblewrap (best effort: the checker uses it only where its probe finds that it works);
#   3. a virtual environment in /opt/venv with the CPU build of torch from PyTorch's own CPU
#      wheel index (the default index's torch pulls the multi-GB CUDA build), pinned;
#   4. nlp100-checker from the wheel in this zip (wheels/), its other dependencies from PyPI;
#   5. checks that `check` runs and that torch has no CUDA; closes /autograder/source and the
#      installed exercise pack to everyone but root.
#
# Env (optional): TORCH_INDEX_URL (default https://download.pytorch.org/whl/cpu).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
SRC=/autograder/source
VENV=/opt/venv
TORCH_SPEC='torch==2.13.0'
TORCH_INDEX_URL="${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"
log() { echo "[setup.sh] $*"; }

# ---- 1. Python >= 3.11 with venv
py_ok() {  # py_ok CMD: CMD is Python >= 3.11 and can make a venv with pip
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || return 1
    local d; d=$(mktemp -d)
    if "$1" -m venv "$d/v" >/dev/null 2>&1; then rm -rf "$d"; return 0; fi
    rm -rf "$d"; return 1
}
find_python() {
    local c
    for c in python3.13 python3.12 python3.11 python3; do
        if command -v "$c" >/dev/null 2>&1 && py_ok "$(command -v "$c")"; then command -v "$c"; return 0; fi
    done
    return 1
}
PY=$(find_python || true)
if [[ -z "$PY" ]]; then
    log "no Python >= 3.11 with venv: installing python3.11 with apt"
    apt-get update -q
    # a python3.X that is there but lacks venv/ensurepip needs only its -venv package
    for c in python3.13 python3.12 python3.11; do
        if command -v "$c" >/dev/null 2>&1; then apt-get install -y -q "$c-venv" || true; fi
    done
    PY=$(find_python || true)
    if [[ -z "$PY" ]]; then
        apt-get install -y -q python3.11 python3.11-venv || {
            log "apt has no python3.11: adding the deadsnakes PPA"
            apt-get install -y -q software-properties-common gnupg
            add-apt-repository -y ppa:deadsnakes/ppa
            apt-get update -q
            apt-get install -y -q python3.11 python3.11-venv
        }
        PY=$(find_python)
    fi
fi
log "Python: $PY ($("$PY" --version 2>&1))"

# ---- 2. bubblewrap, if the distribution has it (not required)
if ! command -v bwrap >/dev/null 2>&1; then
    { apt-get install -y -q --no-install-recommends bubblewrap || { apt-get update -q && apt-get install -y -q --no-install-recommends bubblewrap; }; } \
        || log "bubblewrap not installed; the checker isolates without it"
fi

# ---- 3. the venv and the CPU build of torch
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/pip" install -q "$TORCH_SPEC" --index-url "$TORCH_INDEX_URL"

# ---- 4. the checker, from its wheel in the zip
shopt -s nullglob
wheels=("$SRC"/wheels/nlp100_checker-*.whl)
if (( ${#wheels[@]} != 1 )); then log "expected one nlp100_checker wheel in $SRC/wheels, found ${#wheels[@]}"; exit 1; fi
"$VENV/bin/pip" install -q "${wheels[0]}"

# ---- 5. checks, permissions
"$VENV/bin/python" -c "import torch, sys; assert torch.version.cuda is None, torch.version.cuda; print('torch', torch.__version__)"
"$VENV/bin/check" --version
"$VENV/bin/check" list >/dev/null
# the zip's contents (hidden checks, data secret, the wheel with the reference solution) and the
# installed exercise pack are root's only: submissions run as another user (run_autograder does it again)
chmod 0755 "$SRC/run_autograder"
chown -R root:root "$SRC"; chmod -R go-rwx "$SRC"
pack=$("$VENV/bin/python" -I -c 'import importlib.util as u; print(u.find_spec("nlp100_ch08").submodule_search_locations[0])')
chmod -R go-rwx "$pack"
log "done"
