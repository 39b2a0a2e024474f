# nlp100-checker grader image.
#
# One image serves two uses:
#   * per-submission sandbox containers of the docker backend (`check submit --backend docker`):
#     only the worker runs there, `python -I -B /opt/nlp100-worker/worker.py ...`, as uid 10001
#     (the backend passes that user itself), with the checker's installed packages masked
#     (site-packages/checker and site-packages/nlp100_ch08: see checker/sandbox/docker/backend.py);
#   * the grader itself (instructors, Gradescope-like harnesses, CI container jobs): `check` is on PATH.
#
# The image's default user is root.  GitHub's container jobs need it (actions/checkout writes
# into the runner's mounted workspace and fails with EACCES under any other user), and
# Gradescope-like harnesses run `check` as root.  Submitted code never runs as root here: the
# docker backend starts each worker container as uid 10001 with every capability dropped, and
# the local backend's isolation (`--isolation auto`) decides how the worker is confined.
#
# The checker is installed like users install it: from its wheel, built here from pyproject.toml,
# checker/ and packs/ (stage `wheel`), non-editable, into /opt/venv's site-packages.
#
# Everything is installed from a local wheel directory: the build needs no package index.
# Normally built by docker/build-image.sh (which fills the wheel directory with `pip download`,
# stages a small build context and tags the image by a hash of its inputs):
#
#   docker/build-image.sh                               # CPU torch 2.13.0 on nlp100-base:bookworm or python:3.11-slim
#   TORCH_VARIANT=cuda docker/build-image.sh           # CUDA torch 2.13.0 (task 78), tag nlp100-checker:cuda
#
# By hand (context = a folder holding this file, pyproject.toml, checker/, packs/, wheels/):
#
#   docker build --network host --build-arg BASE_IMAGE=nlp100-base:bookworm -t nlp100-checker:latest CONTEXT
#
# Build arguments:
#   BASE_IMAGE     any Debian/Ubuntu-like image; python3.11 is used when the base has it (python:3.11-slim,
#                  the debootstrapped nlp100-base:bookworm), otherwise apt installs it (needs --network host
#                  and an apt mirror; Ubuntu 22.04 gets python3.11 from its universe component).
#   WHEELS         folder (in the build context) with every wheel needed: torch, numpy, matplotlib,
#                  hypothesis, pydantic, rich, their dependencies, pip, setuptools and wheel.
#   TORCH_VARIANT  cpu (default): the wheel folder must hold torch-2.13.0+cpu and the build checks that
#                  torch has no CUDA.  cuda: the folder holds PyPI's default Linux wheel torch-2.13.0 with its
#                  nvidia-* wheels (several GB); the build checks torch.version.cuda.  The CUDA libraries come
#                  from those wheels, so no nvidia/cuda base is needed; at run time the host needs the NVIDIA
#                  driver and the NVIDIA container toolkit, and `check submit --backend docker --gpus` passes
#                  the GPU (a device request) into the submission's container.

ARG BASE_IMAGE=python:3.11-slim

# ---------------------------------------------------------------- stage 1: the virtual environment
FROM ${BASE_IMAGE} AS venv
ARG WHEELS=wheels
ARG TORCH_VARIANT=cpu
ENV LANG=C.UTF-8 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore
# python3.11 from the base, or from apt (only this fallback needs a network: docker build --network host)
RUN set -eu; \
    if ! command -v python3.11 >/dev/null 2>&1; then \
        echo "base image has no python3.11: installing it with apt" >&2; \
        export DEBIAN_FRONTEND=noninteractive; \
        apt-get update -q && apt-get install -y -q --no-install-recommends python3.11 python3.11-venv \
        && rm -rf /var/lib/apt/lists/*; \
    fi; \
    python3.11 -c 'import sys, venv; assert sys.version_info[:2] == (3, 11), sys.version'
COPY ${WHEELS}/ /tmp/wheels/
# pip comes from its own wheel (Debian's python has no ensurepip); no index is ever asked
RUN set -eu; \
    python3.11 -m venv --without-pip /opt/venv; \
    pipwhl=$(ls /tmp/wheels/pip-*.whl | sort -V | tail -n 1); \
    /opt/venv/bin/python "$pipwhl/pip" install -q --no-index --find-links /tmp/wheels pip setuptools wheel; \
    case "$TORCH_VARIANT" in \
        cpu) torch_spec='torch==2.13.0+cpu' ;; \
        cuda) torch_spec='torch==2.13.0' ;; \
        *) echo "TORCH_VARIANT must be cpu or cuda, not $TORCH_VARIANT" >&2; exit 1 ;; \
    esac; \
    /opt/venv/bin/pip install -q --no-index --find-links /tmp/wheels \
        "$torch_spec" 'numpy>=1.26' 'matplotlib>=3.8' 'hypothesis>=6.100' 'pydantic>=2.5' 'rich>=13'; \
    /opt/venv/bin/python -c "import torch, sys; v = '$TORCH_VARIANT'; \
assert torch.__version__.split('+')[0] == '2.13.0', torch.__version__; \
assert (torch.version.cuda is None) == (v == 'cpu'), (v, torch.version.cuda); \
print('torch', torch.__version__, 'cuda', torch.version.cuda)"; \
    find /opt/venv -name '__pycache__' -prune -exec rm -rf {} +; \
    /opt/venv/bin/python -m compileall -q -j 0 /opt/venv/lib >/dev/null 2>&1 || true

# ---------------------------------------------------------------- stage 2: the checker's wheel
# Built from the sources with the venv's own setuptools (no package index, no build isolation),
# in a stage of its own: a change of the sources rebuilds only this and the last layers.
FROM venv AS wheel
COPY pyproject.toml /tmp/src/pyproject.toml
COPY packs /tmp/src/packs
COPY checker /tmp/src/checker
RUN set -eu; \
    /opt/venv/bin/pip wheel -q --no-index --no-deps --no-build-isolation -w /tmp/dist /tmp/src; \
    ls -l /tmp/dist

# ---------------------------------------------------------------- stage 3: the grader image
FROM ${BASE_IMAGE} AS grader
ARG TORCH_VARIANT=cpu
ENV LANG=C.UTF-8 LC_ALL=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore MPLBACKEND=Agg
RUN set -eu; \
    if ! command -v python3.11 >/dev/null 2>&1; then \
        export DEBIAN_FRONTEND=noninteractive; \
        apt-get update -q && apt-get install -y -q --no-install-recommends python3.11 && rm -rf /var/lib/apt/lists/*; \
    fi; \
    command -v timeout >/dev/null
COPY --from=venv /opt/venv /opt/venv
COPY --from=wheel /tmp/dist/ /tmp/dist/
# The checker and its chapter-8 pack, from the wheel, non-editable: they live in
# /opt/venv/lib/python3.11/site-packages/{checker,nlp100_ch08}, which submission containers mask.
# The worker's two files are copied out of the package to /opt/nlp100-worker (the only part of
# the checker a submission container sees).  The sandbox's unprivileged user, uid/gid 10001, is
# written into /etc/passwd directly (minimal bases have no useradd).
RUN set -eu; \
    /opt/venv/bin/pip install -q --no-index --no-deps /tmp/dist/nlp100_checker-*.whl; \
    rm -rf /tmp/dist; \
    site=$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
    test "$site" = /opt/venv/lib/python3.11/site-packages; \
    test -f "$site/nlp100_ch08/exercises/71/spec.toml" && test ! -e "$site/nlp100_ch08/__editable__"; \
    mkdir -p /opt/nlp100-worker; \
    cp "$site/checker/sandbox/worker.py" "$site/checker/sandbox/wire.py" /opt/nlp100-worker/; \
    chmod 0755 /opt/nlp100-worker; chmod 0444 /opt/nlp100-worker/*.py; \
    grep -q '^grader:' /etc/group || echo 'grader:x:10001:' >> /etc/group; \
    grep -q '^grader:' /etc/passwd || echo 'grader:x:10001:10001:nlp100 sandbox:/tmp:/usr/sbin/nologin' >> /etc/passwd; \
    mkdir -p /sandbox /submission /chan; chown 10001:10001 /sandbox; \
    /opt/venv/bin/check --version; \
    /opt/venv/bin/check list >/dev/null; \
    /opt/venv/bin/python -I -B -c 'import sys; sys.path.insert(0, "/opt/nlp100-worker"); import wire, torch; print("worker imports ok")'
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NLP100_IMAGE_TORCH_VARIANT=${TORCH_VARIANT}
LABEL org.opencontainers.image.title="nlp100-checker" \
      nlp100.worker="/opt/nlp100-worker/worker.py" \
      nlp100.python="/opt/venv/bin/python" \
      nlp100.torch-variant="${TORCH_VARIANT}"
# No USER line: root is the default (see the top of this file).  Submission containers run as
# 10001:10001 because the docker backend says so at create time, whatever the image's default.
WORKDIR /
CMD ["check", "--help"]
