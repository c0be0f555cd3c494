#!/usr/bin/env bash
# Scripts/lib/test-sshd.sh — a throwaway sshd on 127.0.0.1 for the remote-shell tests.
#
#   test-sshd.sh start DIR   generate keys and config in DIR (created if missing), start sshd on 127.0.0.1 at a
#                            free port, and print KEY=VALUE lines (below) on stdout
#   test-sshd.sh stop DIR    stop the sshd started in DIR (only that pid, and only if it is that sshd)
#   test-sshd.sh available   exit 0 when sshd and ssh-keygen are installed (tests skip otherwise)
#
# Sourced (as Scripts/lib/netem-host.sh does), it defines start_sshd, which does the same for another listen
# address and host alias, optionally through a command prefix such as `ip netns exec NS`.
#
# It listens on 127.0.0.1 only, never any other address. DIR gets:
#   host_ed25519{,.pub}   the server's host key          other_host_ed25519.pub  a different key (for mismatch tests)
#   id_ed25519{,.pub}     the authorized user key        wrong_ed25519{,.pub}    a key that is not authorized
#   authorized_keys, sshd_config, sshd.pid, sshd.log
#   known_hosts           "[127.0.0.1]:PORT ssh-ed25519 ..." for the host key
#   config                ssh client config: Host swsync-test -> 127.0.0.1, Port, User, IdentityFile,
#                         UserKnownHostsFile, StrictHostKeyChecking yes, BatchMode yes
# Output: SSHD_DIR, SSHD_PORT, SSHD_USER, SSHD_HOST (127.0.0.1), SSHD_ALIAS (swsync-test), SSHD_CONFIG,
# SSHD_KNOWN_HOSTS, SSHD_IDENTITY, SSHD_WRONG_IDENTITY, SSHD_OTHER_HOST_KEY, SSHD_PID.
set -euo pipefail

find_sshd() {
    local candidate
    for candidate in /usr/sbin/sshd /usr/local/sbin/sshd /sbin/sshd; do
        if [[ -x "$candidate" ]]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    candidate="$(command -v sshd 2>/dev/null || true)"
    # sshd re-executes itself and needs an absolute path.
    if [[ -n "$candidate" && "$candidate" == /* ]]; then
        printf '%s\n' "$candidate"
        return 0
    fi
    return 1
}

die() { printf 'test-sshd.sh: %s\n' "$*" >&2; exit 1; }

cmd_available() {
    find_sshd >/dev/null && command -v ssh-keygen >/dev/null 2>&1
}

# Our sshd, if DIR/sshd.pid names a live process started with DIR/sshd_config.
running_pid() {
    local dir="$1" pid
    [[ -f "$dir/sshd.pid" ]] || return 1
    pid="$(cat "$dir/sshd.pid" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir/sshd_config" || return 1
    printf '%s\n' "$pid"
}

# The process exists and is not a zombie waiting for its parent (the daemon's parent is pid 1) to reap it.
alive() {
    local state
    state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
    [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

cmd_start() {
    start_sshd "${1:?usage: test-sshd.sh start DIR}" 127.0.0.1 swsync-test
}

# start_sshd DIR ADDRESS ALIAS [PREFIX...]: keys, configs and an sshd listening on ADDRESS only (started as
# `PREFIX... sshd ...`), then the KEY=VALUE lines; the client config names the server ALIAS.
start_sshd() {
    local dir="$1" address="$2" alias="$3"
    shift 3
    local -a prefix=("$@")
    local sshd user port pid
    sshd="$(find_sshd)" || die "sshd not found (install openssh-server)"
    command -v ssh-keygen >/dev/null 2>&1 || die "ssh-keygen not found (install openssh-client)"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd -P)"
    chmod 700 "$dir"
    user="$(id -un)"
    if running_pid "$dir" >/dev/null; then
        die "an sshd is already running for $dir; stop it first"
    fi

    local key
    for key in host_ed25519 other_host_ed25519 id_ed25519 wrong_ed25519; do
        [[ -f "$dir/$key" ]] || ssh-keygen -q -t ed25519 -N '' -C "swsync-test-$key" -f "$dir/$key" >/dev/null
    done
    cp "$dir/id_ed25519.pub" "$dir/authorized_keys"

    # Privilege separation needs this directory; Debian creates it only when the ssh service starts.
    if [[ ! -d /run/sshd && "$(id -u)" == 0 ]]; then
        mkdir -p /run/sshd
        chmod 755 /run/sshd
    fi

    for _ in $(seq 1 20); do
        port=$(( (RANDOM * 32768 + RANDOM) % 30000 + 20000 ))
        cat >"$dir/sshd_config" <<EOF
# Private sshd for swsync tests: one address only, keys and state in this directory.
ListenAddress $address
Port $port
AddressFamily inet
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
UsePAM no
StrictModes no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowUsers $user
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTTY no
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 50
LogLevel VERBOSE
EOF
        rm -f "$dir/sshd.pid" "$dir/sshd.log"
        # Daemonizes after binding; the pid file appears once the listener is up.
        "${prefix[@]}" "$sshd" -f "$dir/sshd_config" -E "$dir/sshd.log" || die "sshd failed to start: $(cat "$dir/sshd.log" 2>/dev/null)"
        local waited=0
        while (( waited < 100 )); do
            if pid="$(running_pid "$dir")"; then
                break
            fi
            if grep -qE 'Bind to port|Cannot bind|Address already in use' "$dir/sshd.log" 2>/dev/null; then
                pid=""
                break
            fi
            sleep 0.05
            waited=$((waited + 1))
        done
        if [[ -n "${pid:-}" ]] && running_pid "$dir" >/dev/null; then
            break
        fi
        if ! grep -qE 'Bind to port|Cannot bind|Address already in use' "$dir/sshd.log" 2>/dev/null; then
            die "sshd did not come up: $(cat "$dir/sshd.log" 2>/dev/null)"
        fi
        pid=""
    done
    [[ -n "${pid:-}" ]] || die "no free port found for sshd"

    printf '[%s]:%s %s\n' "$address" "$port" "$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$dir/known_hosts"
    cat >"$dir/config" <<EOF
Host $alias
    HostName $address
    Port $port
    User $user
    IdentityFile $dir/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $dir/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
EOF

    cat <<EOF
SSHD_DIR=$dir
SSHD_PORT=$port
SSHD_USER=$user
SSHD_HOST=$address
SSHD_ALIAS=$alias
SSHD_CONFIG=$dir/config
SSHD_KNOWN_HOSTS=$dir/known_hosts
SSHD_IDENTITY=$dir/id_ed25519
SSHD_WRONG_IDENTITY=$dir/wrong_ed25519
SSHD_OTHER_HOST_KEY=$dir/other_host_ed25519.pub
SSHD_PID=$pid
EOF
}

cmd_stop() {
    local dir="${1:?usage: test-sshd.sh stop DIR}" pid
    [[ -d "$dir" ]] || return 0
    dir="$(cd "$dir" && pwd -P)"
    if pid="$(running_pid "$dir")"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            alive "$pid" || break
            sleep 0.02
        done
        if alive "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$dir/sshd.pid"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    case "${1:-}" in
        start) shift; cmd_start "$@" ;;
        stop) shift; cmd_stop "$@" ;;
        available) cmd_available ;;
        *) die "usage: test-sshd.sh start DIR | stop DIR | available" ;;
    esac
fi
