#!/usr/bin/env bash
# Make the base image nlp100-base:bookworm without a registry:
# debootstrap a minimal Debian bookworm (with python3 = 3.11) and `docker import` it.
#
#   docker/make-base-image.sh [--force]
#
# Env: NLP100_BASE_IMAGE (default nlp100-base:bookworm), DEBIAN_MIRROR (default:
# the first Debian mirror apt uses on this machine, else http://deb.debian.org/debian),
# DEBIAN_SUITE (default bookworm).  Needs root and debootstrap.
# Skips the work when the image already exists (unless --force).
set -euo pipefail

IMAGE="${NLP100_BASE_IMAGE:-nlp100-base:bookworm}"
SUITE="${DEBIAN_SUITE:-bookworm}"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

log() { echo "[make-base-image] $*" >&2; }

if [[ $FORCE == 0 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "$IMAGE exists; nothing to do (--force rebuilds it)"
    exit 0
fi

find_mirror() {
    local m=""
    # deb822 sources (bookworm default), then one-line sources
    m=$(grep -h -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
    if [[ -z "$m" ]]; then
        m=$(grep -h -E '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | sed -E 's/\[[^]]*\]//' | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
    fi
    echo "${m:-http://deb.debian.org/debian}"
}

MIRROR="${DEBIAN_MIRROR:-$(find_mirror)}"
command -v debootstrap >/dev/null || { log "debootstrap is not installed (apt-get install -y debootstrap)"; exit 1; }
[[ $(id -u) == 0 ]] || { log "debootstrap needs root"; exit 1; }

DIR=$(mktemp -d /var/tmp/nlp100-rootfs.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
log "debootstrap $SUITE from $MIRROR into $DIR"
t0=$(date +%s)
# python3 is 3.11 on bookworm; coreutils (timeout) is in minbase.  No pip, no compilers:
# the Dockerfile installs pip and everything else from local wheels.
debootstrap --variant=minbase --include=python3,ca-certificates "$SUITE" "$DIR" "$MIRROR" >"$DIR.log" 2>&1 || {
    tail -n 30 "$DIR.log" >&2; log "debootstrap failed (full log: $DIR.log)"; exit 1; }
rm -f "$DIR.log"
# make the image smaller: apt lists and caches, docs
chroot "$DIR" apt-get clean
rm -rf "$DIR"/var/lib/apt/lists/* "$DIR"/usr/share/doc/* "$DIR"/usr/share/man/* "$DIR"/usr/share/locale/* "$DIR"/var/cache/debconf/*-old
log "debootstrap took $(( $(date +%s) - t0 )) s; importing as $IMAGE"
tar -C "$DIR" -c . | docker import \
    -c 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["/bin/bash"]' \
    -m "debootstrap --variant=minbase $SUITE ($MIRROR)" - "$IMAGE" >/dev/null
docker run --rm --network none "$IMAGE" python3 -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version; print("python", sys.version.split()[0])'
log "done in $(( $(date +%s) - t0 )) s"
