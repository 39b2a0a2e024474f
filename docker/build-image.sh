#!/usr/bin/env bash
# Build the grader image from local wheels, or reuse it when nothing it is made of changed.
#
#   docker/build-image.sh [--force]
#
# The image is tagged twice: nlp100-checker:in-<hash> (the hash of its inputs: Dockerfile,
# pyproject.toml, checker/, packs/, this script, the base image's id, the
# torch variant and the wheel files' names) and $NLP100_IMAGE (default nlp100-checker:latest).
# When the in-<hash> tag exists the build is skipped: the second run on a machine costs
# seconds.  The build needs no package index: the wheels are fetched beforehand with
# `pip download` (from whatever index or find-links pip is configured with) into a cache folder.
# The checker itself enters the image as a wheel: the Dockerfile's `wheel` stage builds it from
# pyproject.toml, checker/ and packs/ and the last stage installs it, non-editable, like users do.
# Any change of those sources changes the hash, so the next run rebuilds (the torch layers stay
# cached); .ci/docker-setup.sh and the docker tests run this script before they use the image.
#
# Env:
#   NLP100_IMAGE          final tag (default nlp100-checker:latest, or nlp100-checker:cuda for cuda)
#   BASE_IMAGE            default nlp100-base:bookworm when that image exists, else python:3.11-slim
#   TORCH_VARIANT         cpu (default) | cuda  (cuda: PyPI's default Linux torch wheel + nvidia-* wheels, GBs)
#   TORCH_SPEC            default torch==2.13.0+cpu (cpu) / torch==2.13.0 (cuda)
#   NLP100_WHEELS_DIR     wheel cache (default /var/cache/nlp100-checker/wheels-<variant> as root,
#                         ~/.cache/nlp100-checker/wheels-<variant> otherwise)
#   PIP_DOWNLOAD_ARGS     extra arguments for pip download (e.g. --extra-index-url for the CPU torch index)
#   PYTHON                interpreter that runs pip download (default: .venv/bin/python, else python3)
#   DOCKER_BUILD_NETWORK  network of the build steps (default host: a daemon without a bridge has no other)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1
VARIANT="${TORCH_VARIANT:-cpu}"
case "$VARIANT" in
    cpu) DEFAULT_IMAGE=nlp100-checker:latest; DEFAULT_SPEC='torch==2.13.0+cpu' ;;
    cuda) DEFAULT_IMAGE=nlp100-checker:cuda; DEFAULT_SPEC='torch==2.13.0' ;;
    *) echo "TORCH_VARIANT must be cpu or cuda" >&2; exit 2 ;;
esac
IMAGE="${NLP100_IMAGE:-$DEFAULT_IMAGE}"
REPO="${IMAGE%:*}"
TORCH_SPEC="${TORCH_SPEC:-$DEFAULT_SPEC}"
if [[ -z "${BASE_IMAGE:-}" ]]; then
    if docker image inspect nlp100-base:bookworm >/dev/null 2>&1; then BASE_IMAGE=nlp100-base:bookworm
    else BASE_IMAGE=python:3.11-slim; fi
fi
if [[ $(id -u) == 0 ]]; then CACHE=/var/cache/nlp100-checker; else CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/nlp100-checker"; fi
WHEELS="${NLP100_WHEELS_DIR:-$CACHE/wheels-$VARIANT}"
if [[ -z "${PYTHON:-}" ]] || ! command -v "$PYTHON" >/dev/null 2>&1; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
"$PYTHON" -m pip --version >/dev/null 2>&1 || { echo "[build-image] $PYTHON has no pip (set PYTHON=...)" >&2; exit 1; }
export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"   # the classic builder: no buildx plugin, no frontend image to pull

log() { echo "[build-image] $*" >&2; }
now() { date +%s%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
T0=$(now)

# ---- 1. the wheels (pip download is skipped when the cache already holds this exact request)
REQS=("$TORCH_SPEC" 'numpy>=1.26' 'matplotlib>=3.8' 'hypothesis>=6.100' 'pydantic>=2.5' 'rich>=13' pip setuptools wheel)
REQ_KEY=$(printf '%s\n' "${REQS[@]}" "${PIP_DOWNLOAD_ARGS:-}" | sha256sum | cut -c1-16)
mkdir -p "$WHEELS"
if [[ ! -f "$WHEELS/.complete-$REQ_KEY" ]] || ! ls "$WHEELS"/torch-2.13.0*.whl >/dev/null 2>&1; then
    t=$(now)
    log "pip download into $WHEELS"
    # shellcheck disable=SC2086
    "$PYTHON" -m pip download -q --disable-pip-version-check --only-binary=:all: \
        --python-version 3.11 --implementation cp --abi cp311 \
        --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform any \
        -d "$WHEELS" ${PIP_DOWNLOAD_ARGS:-} "${REQS[@]}" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
    rm -f "$WHEELS"/.complete-*
    touch "$WHEELS/.complete-$REQ_KEY"
    log "wheels ready in $(elapsed "$t") s ($(du -sh "$WHEELS" | cut -f1))"
else
    log "wheels cached in $WHEELS"
fi
# one wheel per project: several torch builds in one folder would make the choice ambiguous
if [[ $(ls "$WHEELS"/torch-*.whl | wc -l) != 1 ]]; then
    log "more than one torch wheel in $WHEELS: keep only the one for $VARIANT"; ls "$WHEELS"/torch-*.whl >&2; exit 1
fi

# ---- 2. the hash of the inputs
BASE_ID=$(docker image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || echo "not-local:$BASE_IMAGE")
hash_inputs() {
    echo "base=$BASE_ID variant=$VARIANT spec=$TORCH_SPEC"
    (cd "$WHEELS" && ls -1 -- *.whl)
    find Dockerfile pyproject.toml docker/build-image.sh checker packs -type f \
        ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
}
HASH=$(hash_inputs | sha256sum | cut -c1-16)
HASH_TAG="$REPO:in-$HASH"

if [[ $FORCE == 0 ]] && docker image inspect "$HASH_TAG" >/dev/null 2>&1; then
    docker tag "$HASH_TAG" "$IMAGE"
    log "inputs unchanged: reusing $HASH_TAG as $IMAGE ($(elapsed "$T0") s)"
    exit 0
fi

# ---- 3. a small build context (the repository's .venv and .git stay out of it)
CTX=$(mktemp -d /var/tmp/nlp100-build.XXXXXX)
trap 'rm -rf "$CTX"' EXIT
tar -c --exclude='__pycache__' --exclude='*.pyc' --exclude='*.egg-info' Dockerfile pyproject.toml checker packs | tar -x -C "$CTX"
mkdir "$CTX/wheels"
cp -l "$WHEELS"/*.whl "$CTX/wheels/" 2>/dev/null || cp "$WHEELS"/*.whl "$CTX/wheels/"

# ---- 4. build
t=$(now)
log "building $HASH_TAG ($IMAGE) from $BASE_IMAGE, torch $VARIANT"
docker build --network "${DOCKER_BUILD_NETWORK:-host}" \
    --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg TORCH_VARIANT="$VARIANT" --build-arg WHEELS=wheels \
    --label nlp100.inputs="$HASH" \
    -t "$HASH_TAG" -t "$IMAGE" "$CTX" > "$CTX.log" 2>&1 || {
    tail -n 40 "$CTX.log" >&2; log "docker build failed (full log: $CTX.log)"; exit 1; }
rm -f "$CTX.log"
log "built in $(elapsed "$t") s"

# ---- 5. drop older input tags of this repository (their layers are freed with them)
for old in $(docker image ls --format '{{.Repository}}:{{.Tag}}' "$REPO"); do
    if [[ "$old" =~ :in-[0-9a-f]{16}$ && "$old" != "$HASH_TAG" ]]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
done
docker image prune -f --filter label=nlp100.inputs >/dev/null 2>&1 || true
log "done: $IMAGE = $HASH_TAG ($(elapsed "$T0") s)"
