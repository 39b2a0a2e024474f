# nlp100-checker grader image.
#
# One image serves two uses:
#   * per-submission sandbox containers of the docker backend (`check submit --backend docker`):
#     only the worker runs there, `python -I -B /opt/nlp100-worker/worker.py ...`, as uid 10001,
#     with the checker's sources masked (see checker/sandbox/docker_backend.py);
#   * the grader itself (instructors, Gradescope-like harnesses): `check` is on PATH.
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

# ---------------------------------------------------------------- stage 2: the grader image
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
# The sandbox's unprivileged user, uid/gid 10001, is written into /etc/passwd directly below
# (minimal bases have no useradd).
# The checker and its chapter-8 pack (grader side: hypothesis, pydantic, rich are in the venv).  Editable, so
# that everything of the grader lives under /opt/nlp100-checker, which submission containers mask.
COPY pyproject.toml /opt/nlp100-checker/pyproject.toml
COPY packs /opt/nlp100-checker/packs
COPY checker /opt/nlp100-checker/checker
RUN set -eu; \
    /opt/venv/bin/pip install -q --no-index --no-deps --no-build-isolation -e /opt/nlp100-checker; \
    mkdir -p /opt/nlp100-worker; \
    cp /opt/nlp100-checker/checker/sandbox/worker.py /opt/nlp100-checker/checker/sandbox/wire.py /opt/nlp100-worker/; \
    chmod 0755 /opt/nlp100-worker; chmod 0444 /opt/nlp100-worker/*.py; \
    find /opt/nlp100-checker -name '__pycache__' -prune -exec rm -rf {} +; \
    grep -q '^grader:' /etc/group || echo 'grader:x:10001:' >> /etc/group; \
    grep -q '^grader:' /etc/passwd || echo 'grader:x:10001:10001:nlp100 sandbox:/tmp:/usr/sbin/nologin' >> /etc/passwd; \
    mkdir -p /sandbox /submission /chan; chown 10001:10001 /sandbox; \
    /opt/venv/bin/check list >/dev/null; \
    /opt/venv/bin/python -I -B -c 'import sys; sys.path.insert(0, "/opt/nlp100-worker"); import wire, torch; print("worker imports ok")'
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NLP100_IMAGE_TORCH_VARIANT=${TORCH_VARIANT}
LABEL org.opencontainers.image.title="nlp100-checker" \
      nlp100.worker="/opt/nlp100-worker/worker.py" \
      nlp100.python="/opt/venv/bin/python" \
      nlp100.torch-variant="${TORCH_VARIANT}"
USER 10001:10001
WORKDIR /sandbox
CMD ["check", "--help"]
