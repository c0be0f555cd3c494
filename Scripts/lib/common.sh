# shellcheck shell=bash
# Scripts/lib/common.sh — helpers shared by the scripts in Scripts/.
# Source it; do not run it. It defines functions and SWSYNC_ROOT only.

# The repository root: two levels above this file (Scripts/lib/ -> repo).
SWSYNC_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd -P)"
export SWSYNC_ROOT

# Debian packages needed to build and run swsync.
SWSYNC_APT_PACKAGES=(libxxhash-dev libssh-dev zlib1g-dev libzstd-dev pkg-config)
# ... and to test it: rsync is the oracle; the SSH tests start their own sshd on 127.0.0.1; the latency tests
# put one in a network namespace (ip, from iproute2); python3 runs the hostile peer and the delay line.
# shellcheck disable=SC2034  # used by Scripts/test
SWSYNC_TEST_PACKAGES=(rsync openssh-server openssh-client iproute2 python3)

swsync_log() { printf '%s\n' "$*" >&2; }
swsync_die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# Put the Swift toolchain on PATH if it is installed but not on PATH.
swsync_ensure_swift() {
    if command -v swift >/dev/null 2>&1; then
        return 0
    fi
    local dir
    for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin /usr/local/swift/usr/bin; do
        if [[ -x "$dir/swift" ]]; then
            PATH="$dir:$PATH"
            export PATH
            return 0
        fi
    done
    swsync_die "the Swift toolchain (swift) was not found on PATH or in /opt/swift/usr/bin"
}

# Print the packages of SWSYNC_APT_PACKAGES that are not installed, one a line.
swsync_missing_packages() {
    local pkg
    for pkg in "${SWSYNC_APT_PACKAGES[@]}"; do
        if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
            printf '%s\n' "$pkg"
        fi
    done
}

# Install the missing Debian packages (apt-get update + install), only if some
# are missing. Uses sudo only when not root. Idempotent.
swsync_ensure_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        swsync_log "warning: dpkg-query not found (not Debian?); not checking for: ${SWSYNC_APT_PACKAGES[*]}"
        return 0
    fi
    local missing
    mapfile -t missing < <(swsync_missing_packages)
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    local -a sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            swsync_die "missing packages: ${missing[*]}; not root and no sudo: run as root: apt-get update && apt-get install -y ${missing[*]}"
        fi
    fi
    swsync_log "Installing missing packages: ${missing[*]}"
    # Installing openssh-server must not start the system's sshd (listening on every address): the
    # tests run their own on 127.0.0.1. policy-rc.d is Debian's way to keep services from starting.
    local blocked_services=0
    if [[ " ${missing[*]} " == *" openssh-server "* && ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
        blocked_services=1
    fi
    local try
    for try in 1 2 3; do
        if "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update </dev/null; then
            break
        fi
        ((try == 3)) && swsync_die "apt-get update failed"
        sleep $((try * 5))
    done
    local status=0
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}" </dev/null || status=$?
    ((blocked_services)) && "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
    ((status == 0)) || swsync_die "apt-get install failed for: ${missing[*]}"
}
