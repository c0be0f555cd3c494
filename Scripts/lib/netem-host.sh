#!/usr/bin/env bash
# Scripts/lib/netem-host.sh — a test host behind a slow link: a private sshd in a network namespace of its own,
# reached over a point-to-point link with a fixed delay, for the latency tests and benchmarks.
#
#   netem-host.sh start DIR DELAY_MS   make the namespace, the link and the sshd; print KEY=VALUE lines (below)
#   netem-host.sh stop DIR             undo everything start made for DIR (idempotent)
#   netem-host.sh available            exit 0 when it can run here (root, ip, namespaces, sshd; a delay method)
#
# The link: 10.213.N.1/30 on the host side and 10.213.N.2/30 in the namespace (N picked free at start). Each
# direction is delayed by DELAY_MS, so a round trip (ping, or one request and its answer) takes 2 x DELAY_MS.
# The delay is `tc qdisc netem` on both ends of a veth pair when the kernel has sch_netem; otherwise (this
# project's machines: no netem module) a userspace delay line (Scripts/lib/delay-line.py) forwards the packets
# between two TUN devices after the same delay. NETEM_MODE says which (netem or delay-line). Nothing touches
# the loopback device or any interface that existed before: the delay sits on the new link only. The sshd
# listens on 10.213.N.2 only, inside the namespace, with the keys and configs of Scripts/lib/test-sshd.sh.
#
# Output: test-sshd.sh's lines (SSHD_HOST is 10.213.N.2, SSHD_ALIAS swsync-netem, SSHD_CONFIG an ssh client
# config for it) plus NETEM_NETNS, NETEM_MODE, NETEM_DELAY_MS, NETEM_HOST_ADDRESS, NETEM_PEER_ADDRESS.
# DIR gets the sshd's files under DIR/sshd, and DIR/netem.state for stop.
set -euo pipefail

LIB_DIR="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd -P)"
# shellcheck source=Scripts/lib/test-sshd.sh
source "$LIB_DIR/test-sshd.sh"

die() { printf 'netem-host.sh: %s\n' "$*" >&2; exit 1; }

# Why this machine cannot run it, or nothing.
unavailable_reason() {
    [[ "$(id -u)" == 0 ]] || { echo "not root (network namespaces and links need CAP_NET_ADMIN)"; return; }
    command -v ip >/dev/null 2>&1 || { echo "ip (iproute2) not found"; return; }
    cmd_available || { echo "sshd or ssh-keygen not found (install openssh-server, openssh-client)"; return; }
    local probe="swsync-lat-probe-$$"
    if ! ip netns add "$probe" 2>/dev/null; then
        echo "ip netns add failed (no permission for network namespaces here)"
        return
    fi
    ip netns del "$probe" 2>/dev/null || true
    if ! command -v tc >/dev/null 2>&1 && ! delay_line_possible; then
        echo "neither tc (netem) nor /dev/net/tun with python3 is available"
    fi
}

delay_line_possible() {
    [[ -c /dev/net/tun ]] && command -v python3 >/dev/null 2>&1
}

cmd_available_here() {
    local reason
    reason="$(unavailable_reason)"
    if [[ -n "$reason" ]]; then
        printf 'netem-host.sh: unavailable: %s\n' "$reason" >&2
        return 1
    fi
}

# Our delay-line process for DIR, if its pid file names one that is still running.
delay_line_pid() {
    local dir="$1" pid
    [[ -f "$dir/delay-line.pid" ]] || return 1
    pid="$(cat "$dir/delay-line.pid" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir/delay-line.pid" || return 1
    printf '%s\n' "$pid"
}

cmd_start_link() {
    local dir="${1:?usage: netem-host.sh start DIR DELAY_MS}" delay="${2:?usage: netem-host.sh start DIR DELAY_MS}"
    [[ "$delay" =~ ^[0-9]+$ ]] || die "DELAY_MS must be a whole number of milliseconds: $delay"
    local reason
    reason="$(unavailable_reason)"
    [[ -z "$reason" ]] || die "unavailable: $reason"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd -P)"
    [[ ! -f "$dir/netem.state" ]] || die "$dir already has a link; stop it first"
    # A start that fails half-way undoes what it made.
    # shellcheck disable=SC2034  # read by the EXIT trap
    NETEM_STARTED=0
    NETEM_DIR="$dir"
    trap '((NETEM_STARTED)) || cmd_stop_link "$NETEM_DIR" >/dev/null 2>&1 || true' EXIT

    # A /30 of 10.213.0.0/16 and names no one uses yet.
    local n ns host_if ns_if host_address peer_address
    for _ in $(seq 1 50); do
        n=$((RANDOM % 254 + 1))
        ns="swsync-lat-$n"
        host_if="swlat${n}h"
        ns_if="swlat${n}n"
        host_address="10.213.$n.1"
        peer_address="10.213.$n.2"
        if [[ -e "/run/netns/$ns" ]] || ip link show "$host_if" >/dev/null 2>&1 \
            || ip -o -4 addr show | grep -qF " 10.213.$n."; then
            ns=""
            continue
        fi
        break
    done
    [[ -n "$ns" ]] || die "no free 10.213.N.0/30 link found"
    ip netns add "$ns"
    # Written at once, so that stop can undo a half-made start.
    printf 'NS=%s\nHOST_IF=%s\nNS_IF=%s\n' "$ns" "$host_if" "$ns_if" >"$dir/netem.state"
    ip -n "$ns" link set lo up

    local mode=""
    if command -v tc >/dev/null 2>&1; then
        ip link add "$host_if" type veth peer name "$ns_if" netns "$ns"
        if tc qdisc add dev "$host_if" root netem delay "${delay}ms" 2>/dev/null \
            && ip netns exec "$ns" tc qdisc add dev "$ns_if" root netem delay "${delay}ms" 2>/dev/null; then
            ip addr add "$host_address/30" dev "$host_if"
            ip link set "$host_if" up
            ip -n "$ns" addr add "$peer_address/30" dev "$ns_if"
            ip -n "$ns" link set "$ns_if" up
            mode=netem
        else
            ip link del "$host_if" 2>/dev/null || true
        fi
    fi
    if [[ -z "$mode" ]]; then
        delay_line_possible || die "tc netem is not available and neither is /dev/net/tun with python3"
        rm -f "$dir/delay-line.pid"
        setsid python3 "$LIB_DIR/delay-line.py" "$ns" "$host_if" "$ns_if" "$host_address" "$peer_address" \
            "$delay" "$dir/delay-line.pid" </dev/null >"$dir/delay-line.log" 2>&1 &
        local waited=0
        until delay_line_pid "$dir" >/dev/null; do
            if ! kill -0 $! 2>/dev/null || ((waited >= 200)); then
                die "the delay line did not come up: $(cat "$dir/delay-line.log" 2>/dev/null)"
            fi
            sleep 0.05
            waited=$((waited + 1))
        done
        mode="delay-line"
    fi
    printf 'MODE=%s\n' "$mode" >>"$dir/netem.state"

    # The namespace answers before the sshd starts (a wrong link fails here, not as an ssh time-out).
    if command -v ping >/dev/null 2>&1; then
        ping -c 1 -W 5 "$peer_address" >/dev/null 2>&1 || die "$peer_address does not answer ping over the new link"
    fi

    start_sshd "$dir/sshd" "$peer_address" swsync-netem ip netns exec "$ns"
    # shellcheck disable=SC2034  # read by the EXIT trap
    NETEM_STARTED=1
    cat <<EOF
NETEM_NETNS=$ns
NETEM_MODE=$mode
NETEM_DELAY_MS=$delay
NETEM_HOST_ADDRESS=$host_address
NETEM_PEER_ADDRESS=$peer_address
EOF
}

cmd_stop_link() {
    local dir="${1:?usage: netem-host.sh stop DIR}"
    [[ -d "$dir" ]] || return 0
    dir="$(cd "$dir" && pwd -P)"
    [[ -d "$dir/sshd" ]] && cmd_stop "$dir/sshd"
    local pid
    if pid="$(delay_line_pid "$dir")"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.02
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/delay-line.pid"
    [[ -f "$dir/netem.state" ]] || return 0
    local ns host_if
    ns="$(sed -n 's/^NS=//p' "$dir/netem.state")"
    host_if="$(sed -n 's/^HOST_IF=//p' "$dir/netem.state")"
    [[ "$ns" == swsync-lat-* ]] || die "$dir/netem.state names no namespace of ours"
    if [[ -e "/run/netns/$ns" ]]; then
        # Whatever still runs in our namespace (ssh sessions of a test that was killed) was started for it.
        local leftover
        for leftover in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$leftover" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
    fi
    # A veth goes with its namespace peer, a TUN with its process; this catches a half-made start.
    if [[ "$host_if" == swlat* ]] && ip link show "$host_if" >/dev/null 2>&1; then
        ip link del "$host_if" 2>/dev/null || true
    fi
    rm -f "$dir/netem.state"
}

case "${1:-}" in
    start) shift; cmd_start_link "$@" ;;
    stop) shift; cmd_stop_link "$@" ;;
    available) cmd_available_here ;;
    *) die "usage: netem-host.sh start DIR DELAY_MS | stop DIR | available" ;;
esac
