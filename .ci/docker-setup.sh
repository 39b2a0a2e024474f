#!/usr/bin/env bash
# Docker for CI and for a fresh machine, run as root (by .ci/run, or by hand):
#   1. installs docker.io and debootstrap when they are missing (Debian's packages);
#   2. starts dockerd when no engine answers (no iptables, no bridge: containers get network none
#      and build steps use --network host), logging to $DOCKERD_LOG, and waits for `docker info`;
#   3. makes the base image nlp100-base:bookworm with debootstrap when the engine lacks it;
#   4. builds the grader image nlp100-checker:latest from local wheels and this checkout (the
#      image builds the checker's wheel and installs it, non-editable), reusing it when the image
#      of the same inputs (hash of Dockerfile, pyproject.toml, checker/, packs/, build-image.sh,
#      the wheels' names, the base image) is still there: any change of the sources rebuilds it
#      (only the checker's layers: the torch layers stay cached), so the docker tests of
#      `.ci/run` (tests/test_docker_backend.py, tests/test_gradescope_docker.py) grade with this
#      checkout's code; those tests run build-image.sh once more themselves (seconds when nothing changed);
#   5. checks that the image runs, with no network: the sandbox's side as uid 10001, and the
#      grader's side (`check`) as the image's default user, root, with this checkout's version.
# Every step prints its time. Fails loudly (non-zero, with the daemon's log) when docker cannot
# be had. Afterwards: NLP100_REQUIRE_DOCKER=1 pytest tests/test_docker_backend.py
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKERD_LOG="${DOCKERD_LOG:-/var/log/nlp100-dockerd.log}"
IMAGE="${NLP100_IMAGE:-nlp100-checker:latest}"
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
log() { echo "[docker-setup] $*" >&2; }
T_ALL=$(now)
declare -a SUMMARY=()
step_done() { SUMMARY+=("$1: $(secs "$2") s"); log "$1: $(secs "$2") s"; }

if [[ $(id -u) != 0 ]]; then log "run me as root"; exit 1; fi

# ---- 1. packages
t=$(now)
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
# pip download (the image's wheels) needs some Python with pip: the venv, else python3
[[ -x "${PYTHON:-.venv/bin/python}" ]] || python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if (( ${#missing[@]} )); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/tmp/nlp100-apt.log 2>&1 || {
        tail -n 30 /tmp/nlp100-apt.log >&2; log "apt-get install failed"; exit 1; }
fi
step_done "packages" "$t"

# ---- 2. the engine
t=$(now)
engine_up() { timeout 10 docker info >/dev/null 2>&1; }
if engine_up; then
    log "an engine answers already: $(docker info --format '{{.ServerVersion}}, {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null)"
else
    log "starting dockerd (log: $DOCKERD_LOG)"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    # pid files of a killed daemon (or of its containerd) keep a new one from starting
    live() {  # live PIDFILE NAME: the pid in the file is a running (not zombie) NAME
        local pid state
        pid=$(cat "$1" 2>/dev/null) || return 1
        [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2" ]] || return 1
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
        [[ "$state" != Z && "$state" != X ]]
    }
    start_dockerd() {
        if [[ -f /var/run/docker.pid ]] && ! live /var/run/docker.pid dockerd; then rm -f /var/run/docker.pid; fi
        if [[ -f /var/run/docker/containerd/containerd.pid ]] && ! live /var/run/docker/containerd/containerd.pid containerd; then
            rm -f /var/run/docker/containerd/containerd.pid /var/run/docker/containerd/containerd.sock \
                  /var/run/docker/containerd/containerd.sock.ttrpc /var/run/docker/containerd/containerd-debug.sock
        fi
        if live /var/run/docker.pid dockerd; then
            log "dockerd (pid $(cat /var/run/docker.pid)) runs but does not answer yet; waiting for it"
        else
            setsid nohup dockerd --iptables=false --ip-masq=false --bridge=none >>"$DOCKERD_LOG" 2>&1 < /dev/null &
        fi
        for _ in $(seq 1 120); do
            engine_up && return 0
            sleep 0.5
        done
        return 1
    }
    if ! start_dockerd; then
        log "dockerd did not answer within 60 s; stopping it and trying once more"
        if live /var/run/docker.pid dockerd; then kill "$(cat /var/run/docker.pid)" 2>/dev/null || true; sleep 3; fi
        start_dockerd || true
    fi
    if ! engine_up; then
        log "dockerd did not come up within 60 s; the end of its log:"
        tail -n 40 "$DOCKERD_LOG" >&2 || true
        exit 1
    fi
    log "dockerd answers: $(docker info --format '{{.ServerVersion}}, {{.Driver}}, cgroup v{{.CgroupVersion}}')"
fi
step_done "engine" "$t"

# ---- 3. the Python SDK in the project's venv, where one exists (else: the [docker] extra of pyproject.toml)
t=$(now)
PY="${PYTHON:-.venv/bin/python}"
if [[ -x "$PY" ]] && ! "$PY" -c 'import docker' 2>/dev/null; then
    "$PY" -m pip install -q 'docker>=7' 2> >(grep -v 'is ignored: it is neither' >&2)
fi
step_done "python docker sdk" "$t"

# ---- 4. base image (no registry: debootstrap), 5. grader image (local wheels, reused by hash)
t=$(now)
docker/make-base-image.sh
step_done "base image" "$t"
t=$(now)
# pip download runs with the project's venv where it exists already, else python3 (the wheels
# are chosen for CPython 3.11 either way)
if [[ -x "$PY" ]]; then export PYTHON="$PY"; fi
NLP100_IMAGE="$IMAGE" docker/build-image.sh
step_done "grader image" "$t"

# ---- 6. it runs, without a network
t=$(now)
docker run --rm --network none --read-only --user 10001:10001 "$IMAGE" \
    python -I -B -c 'import sys, torch; sys.path.insert(0, "/opt/nlp100-worker"); import wire; print("image ok: torch", torch.__version__)'
want="nlp100-checker $(sed -n 's/^__version__ = "\(.*\)"$/\1/p' checker/_version.py | head -n1)"
got=$(docker run --rm --network none "$IMAGE" bash -c '[ "$(id -u)" = 0 ] || { echo "default user is not root" >&2; exit 1; }; check --version')
if [[ "$got" != "$want" ]]; then log "the image says '$got', this checkout is '$want'"; exit 1; fi
step_done "smoke test" "$t"

log "summary: ${SUMMARY[*]}; total $(secs "$T_ALL") s"
