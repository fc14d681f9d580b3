# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Helpers for gsnet integration tests (bash drivers run by ctest as root).
# Source it first thing in a *_test.sh, then call gs_init:
#
#   . "$(dirname "$0")/lib.sh"
#   gs_init                      # re-exec under a time limit, traps, work dir
#   gs_require_root; gs_require_hugepages 300
#   gs_prefix                    # GS_PREFIX=gs_it_<pid>, cleaned on exit
#   gs_start primary primary.log "$GS_PRIMARY" -c "$GS_CONFIG" -o eal.file_prefix="$GS_PREFIX"
#   gs_wait_log primary.log 'gs-primary ready' 30 primary || gs_fail "primary not ready"
#   ...
#   gs_pass
#
# Every process runs under `timeout -k`, and gs_cleanup (on EXIT, INT and
# TERM) stops them in reverse start order (TERM, then KILL), deletes the
# namespaces, removes the DPDK files of the test's prefixes and prints the
# tail of every log when the test failed. Readiness is awaited by polling log
# lines with a time limit, never by fixed sleeps.
#
# gs_init also writes a server key (GS_KEY) and sets GS_AUTH_OPTS (the -o
# option that points the group at it) and GS_CLIENT_AUTH (gs-client's
# --key-file): put them on every gsnet and gs-client command line.
#
# Environment: GS_BUILD_DIR (default ./build), GS_SOURCE_DIR, GS_CONFIG,
# GS_PRIMARY / GS_SESSION / GS_MOVE / GS_COMBAT / GS_CTL / GS_CLIENT (binaries; found in GS_BUILD_DIR
# otherwise), GS_TEST_TIMEOUT (whole test, s, default 130; cleanup gets 40 s
# more, within ctest's TIMEOUT 180), GS_KEEP_LOGS=1.

set -u -o pipefail

GS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GS_SOURCE_DIR=${GS_SOURCE_DIR:-$(cd "$GS_LIB_DIR/../.." && pwd)}
if [ -z "${GS_BUILD_DIR:-}" ]; then
    if [ -d ./build ]; then GS_BUILD_DIR=./build; else GS_BUILD_DIR=$GS_SOURCE_DIR/build; fi
fi
GS_BUILD_DIR=$(cd "$GS_BUILD_DIR" 2>/dev/null && pwd || echo "$GS_BUILD_DIR")
GS_CONFIG=${GS_CONFIG:-$GS_SOURCE_DIR/deploy/gsnet.ini}
GS_SETUP=$GS_SOURCE_DIR/deploy/setup.sh
GS_TEST_NAME=$(basename "$0" .sh)
GS_TEST_TIMEOUT=${GS_TEST_TIMEOUT:-130}
GS_HUGE_DIR=${GSNET_HUGE_DIR:-/dev/hugepages}
# LD_PRELOADed libstdbuf (line-buffered logs) must not upset ASan builds
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

GS_WORK=""
GS_STATUS=fail
GS_T0=$SECONDS
declare -a GS_ORDER=()      # names of started processes, in start order
declare -A GS_PIDS=()       # name -> pid of its `timeout` wrapper
declare -A GS_LOGS=()       # name -> log file
declare -a GS_NETNS=()      # namespaces to delete
declare -a GS_PREFIXES=()   # DPDK file prefixes to clean
declare -a GS_TMPDIRS=()    # directories to remove
GS_PREFIX=""

gs_log() { printf '[%s +%ds] %s\n' "$GS_TEST_NAME" "$((SECONDS - GS_T0))" "$*"; }

# gs_fail MSG: the test failed; exit (the EXIT trap cleans up and shows logs).
gs_fail() {
    printf '[%s +%ds] FAIL: %s\n' "$GS_TEST_NAME" "$((SECONDS - GS_T0))" "$*" >&2
    GS_STATUS=fail
    exit 1
}

# gs_pass: the test passed; exit 0 after cleanup.
gs_pass() {
    GS_STATUS=pass
    gs_log "PASS"
    exit 0
}

# gs_init: run the rest of the test under a time limit (re-exec under
# `timeout`, which sends TERM so the traps still clean up), install the
# traps, make the work directory (logs).
gs_init() {
    if [ -z "${GS_IT_TIMED:-}" ]; then
        export GS_IT_TIMED=1
        exec timeout --foreground -k 40 "$GS_TEST_TIMEOUT" bash "$0" "$@"
    fi
    trap gs_cleanup EXIT
    trap 'gs_log "interrupted (INT)"; exit 130' INT
    trap 'gs_log "terminated (TERM: time limit ${GS_TEST_TIMEOUT}s?)"; exit 143' TERM
    GS_WORK=$(mktemp -d "/tmp/${GS_TEST_NAME}.$$.XXXXXX") || gs_fail "mktemp"
    gs_log "work dir $GS_WORK, build dir $GS_BUILD_DIR"
    GS_PRIMARY=${GS_PRIMARY:-$(gs_bin gs-primary primary/gs-primary)}
    GS_SESSION=${GS_SESSION:-$(gs_bin gs-session secondary/session/gs-session)}
    GS_CLIENT=${GS_CLIENT:-$(gs_bin gs-client client/gs-client)}
    GS_MOVE=${GS_MOVE:-$(gs_bin gs-move secondary/move/gs-move)}
    GS_COMBAT=${GS_COMBAT:-$(gs_bin gs-combat secondary/combat/gs-combat)}
    GS_CTL=${GS_CTL:-$(gs_bin gs-ctl secondary/ctl/gs-ctl)}
    GS_STATS=${GS_STATS:-$(gs_bin gs-stats secondary/stats/gs-stats)}
    GS_TOKEN=${GS_TOKEN:-$(gs_bin gs-token client/gs-token)}
    # The group's server key ([auth] key_file): the primary's group checks
    # connect tokens that gs-client mints with it (as a game backend would).
    GS_KEY=$GS_WORK/server.key
    GS_AUTH_OPTS=()
    GS_CLIENT_AUTH=()
    # shellcheck disable=SC2034 # both are read by the drivers that source this file
    if [ -x "$GS_TOKEN" ] && "$GS_TOKEN" keygen "$GS_KEY" >/dev/null; then
        GS_AUTH_OPTS=(-o "auth.key_file=$GS_KEY")
        GS_CLIENT_AUTH=(--key-file "$GS_KEY")
    fi
}

# gs_bin NAME RELPATH: path of a built binary (RELPATH in the build dir, or
# found by name); prints the expected path even when missing.
gs_bin() {
    local name=$1 rel=$2 found
    if [ -x "$GS_BUILD_DIR/$rel" ]; then
        printf '%s\n' "$GS_BUILD_DIR/$rel"
        return
    fi
    found=$(find "$GS_BUILD_DIR" -type f -name "$name" -perm -u+x -print -quit 2>/dev/null)
    printf '%s\n' "${found:-$GS_BUILD_DIR/$rel}"
}

# gs_require_bin PATH...: fail unless every binary was built.
gs_require_bin() {
    local b
    for b in "$@"; do
        [ -x "$b" ] || gs_fail "binary $b not built (cmake --build $GS_BUILD_DIR)"
    done
}

# gs_require_cmd CMD...: fail unless every command exists.
gs_require_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 ||
            gs_fail "command $c missing (deploy/setup.sh deps installs it)"
    done
}

gs_require_root() {
    [ "$(id -u)" -eq 0 ] || gs_fail "integration tests need root (namespaces, tap, hugepages)"
}

# gs_require_hugepages [MB]: hugetlbfs mounted and at least MB (default 300)
# of free hugepage memory. Not a skip: no hugepages means no secondaries.
gs_require_hugepages() {
    local want_mb=${1:-300} free size_kb free_mb
    if ! mountpoint -q "$GS_HUGE_DIR" || [ "$(stat -f -c %T "$GS_HUGE_DIR")" != hugetlbfs ]; then
        gs_fail "no hugetlbfs on $GS_HUGE_DIR: run deploy/setup.sh hugepages (tests/run.sh does)"
    fi
    free=$(awk '$1 == "HugePages_Free:" { print $2 }' /proc/meminfo)
    size_kb=$(awk '$1 == "Hugepagesize:" { print $2 }' /proc/meminfo)
    free_mb=$((free * size_kb / 1024))
    [ "$free_mb" -ge "$want_mb" ] ||
        gs_fail "only ${free_mb} MB of hugepages free (HugePages_Free=$free), need ${want_mb} MB:" \
            "run deploy/setup.sh hugepages, or stop the DPDK processes holding them" \
            "($(find /var/run/dpdk -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null))"
}

# gs_prefix: set GS_PREFIX to a fresh DPDK file prefix (gs_it_<pid>, then
# gs_it_<pid>_<n>), clean stale files of that name and register it for cleanup.
gs_prefix() {
    GS_PREFIX=gs_it_$$
    [ "${#GS_PREFIXES[@]}" -gt 0 ] && GS_PREFIX=gs_it_$$_${#GS_PREFIXES[@]}
    GS_PREFIXES+=("$GS_PREFIX")
    gs_clean_prefix "$GS_PREFIX"
}

# gs_clean_prefix PREFIX: kill what still holds the prefix (only this test's
# processes can: the prefix is unique), then remove its files.
gs_clean_prefix() {
    local p=$1 pid
    for pid in $("$GS_SETUP" holders "$p" 2>/dev/null); do
        gs_log "prefix $p still held by pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null)): killing"
        gs_kill_wait "$pid" 5
    done
    "$GS_SETUP" clean-prefix "$p" >/dev/null || gs_log "could not clean prefix $p"
}

# gs_tmpdir VAR PATH: create directory PATH (removed at cleanup) and set VAR.
gs_tmpdir() {
    rm -rf -- "$2"
    mkdir -p -- "$2" || gs_fail "mkdir $2"
    GS_TMPDIRS+=("$2")
    printf -v "$1" '%s' "$2"
}

# gs_netns_create NAME: a fresh network namespace with lo up, deleted at cleanup.
gs_netns_create() {
    local ns=$1
    if ip netns list | grep -qw -- "^$ns"; then
        ip netns del "$ns" || gs_fail "stale netns $ns cannot be deleted"
    fi
    ip netns add "$ns" || gs_fail "ip netns add $ns"
    GS_NETNS+=("$ns")
    ip -n "$ns" link set lo up || gs_fail "lo up in $ns"
}

# gs_quiet_tap_ns NS IFACE ADDR/LEN: move the primary's tap IFACE into a new
# namespace NS as its client side, quiet: IPv6 off before the link comes up
# (no RS, MLD or DAD frames to count), a deep TX queue so that a scheduling
# hiccup of the primary does not make the kernel drop frames (tests check
# tx_dropped), then ADDR and link up.
gs_quiet_tap_ns() {
    local ns=$1 ifc=$2 addr=$3
    gs_netns_create "$ns"
    ip link set "$ifc" netns "$ns" || gs_fail "cannot move $ifc into $ns"
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1" ||
        gs_fail "cannot disable IPv6 on $ifc"
    ip -n "$ns" link set "$ifc" txqueuelen 10000 || gs_fail "txqueuelen"
    ip -n "$ns" addr add "$addr" dev "$ifc" || gs_fail "ip addr add"
    ip -n "$ns" link set "$ifc" up || gs_fail "link up"
}

# gs_peer_mac NS IFACE IP: ping IP once from NS (the primary answers ARP and
# ICMP) and print the MAC its neighbour entry learnt.
gs_peer_mac() {
    local ns=$1 ifc=$2 ip=$3 mac
    timeout -k 2 10 ip netns exec "$ns" ping -c 1 -W 2 "$ip" >"$GS_WORK/ping_$ip.log" 2>&1 ||
        gs_fail "ping $ip failed: $(tail -n 2 "$GS_WORK/ping_$ip.log")"
    mac=$(ip -n "$ns" neigh show "$ip" dev "$ifc" |
        awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
    [ -n "$mac" ] || gs_fail "no ARP entry for $ip in $ns"
    printf '%s\n' "$mac"
}

# gs_settled SNAPSHOT NAME: call the test's function SNAPSHOT NAME (it writes
# gs-stats --json to $GS_WORK/NAME.json) until two snapshots in a row agree
# on what the primary received and the handlers processed (their rings
# drained), at most 10 times 0.2 s.
gs_settled() {
    local snap=$1 name=$2 i a
    "$snap" "$name"
    for ((i = 0; i < 10; i++)); do
        a=$(gs_stats_progress "$GS_WORK/$name.json")
        sleep 0.2
        "$snap" "$name"
        [ "$a" = "$(gs_stats_progress "$GS_WORK/$name.json")" ] && return 0
    done
    gs_fail "the counters did not settle"
}

# gs_stats_progress FILE: "received processed" of a gs-stats --json file.
gs_stats_progress() {
    /usr/bin/python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(sum(l["rx_packets"] for l in j["lcores"]), sum(h["processed"] for h in j["handlers"]))' "$1"
}

# gs_logfile NAME: absolute path of a log in the work dir.
gs_logfile() {
    case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$GS_WORK/$1" ;;
    esac
}

# gs_start NAME LOGFILE CMD...: run CMD in the background under `timeout -k`
# (stdout+stderr line-buffered into LOGFILE, relative to the work dir) and
# record it as NAME. Must not be called in a subshell.
gs_start() {
    local name=$1 log
    log=$(gs_logfile "$2")
    shift 2
    [ -n "${GS_PIDS[$name]:-}" ] && gs_fail "gs_start: $name already running"
    gs_log "start $name: $*"
    : >"$log"
    timeout -k 5 "$((GS_TEST_TIMEOUT + 10))" stdbuf -oL -eL "$@" >>"$log" 2>&1 </dev/null &
    GS_PIDS[$name]=$!
    GS_LOGS[$name]=$log
    GS_ORDER+=("$name")
}
# gs_group_up OPTION...: start gs-primary (named primary, log primary.log)
# with OPTION..., wait until it is ready, then move its tap $IFACE into a new
# network namespace $NS as $CLIENT/24: the players' side of the link. The
# drivers set IFACE, NS and CLIENT (and pass eal.vdev0=net_tap0,iface=$IFACE).
gs_group_up() {
    gs_start primary primary.log "$GS_PRIMARY" "$@"
    gs_wait_log primary.log 'gs-primary ready' 30 primary || gs_fail "gs-primary not ready"
    gs_netns_create "$NS"
    ip link set "$IFACE" netns "$NS" || gs_fail "cannot move $IFACE into $NS"
    ip -n "$NS" addr add "$CLIENT/24" dev "$IFACE" || gs_fail "ip addr add"
    ip -n "$NS" link set "$IFACE" up || gs_fail "link up"
}


# gs_pid NAME: pid of the process itself (the child of its timeout wrapper).
gs_pid() {
    local t=${GS_PIDS[$1]:-}
    [ -n "$t" ] || return 1
    pgrep -P "$t" | head -n 1
}

# gs_logof NAME: the log file of process NAME.
gs_logof() {
    printf '%s\n' "${GS_LOGS[$1]:-}"
}

# gs_alive NAME: whether NAME is still running.
gs_alive() {
    local t=${GS_PIDS[$1]:-}
    [ -n "$t" ] && kill -0 "$t" 2>/dev/null
}

# gs_wait_log LOGFILE PATTERN TIMEOUT_S [NAME]: poll LOGFILE (relative to the
# work dir) for the extended regex PATTERN. Returns 1 on timeout, or as soon
# as process NAME has exited.
gs_wait_log() {
    local log pattern=$2 timeout_s=$3 name=${4:-} deadline
    log=$(gs_logfile "$1")
    deadline=$((SECONDS + timeout_s))
    while :; do
        grep -qE -- "$pattern" "$log" 2>/dev/null && return 0
        if [ -n "$name" ] && ! gs_alive "$name"; then
            grep -qE -- "$pattern" "$log" 2>/dev/null && return 0
            gs_log "$name exited while waiting for '$pattern' in $(basename "$log")"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            gs_log "no '$pattern' in $(basename "$log") after ${timeout_s}s"
            return 1
        fi
        sleep 0.1
    done
}

# gs_wait_file PATH TIMEOUT_S [NAME]: poll until PATH exists (same rules).
gs_wait_file() {
    local path=$1 timeout_s=$2 name=${3:-} deadline
    deadline=$((SECONDS + timeout_s))
    until [ -e "$path" ]; do
        if [ -n "$name" ] && ! gs_alive "$name"; then
            gs_log "$name exited while waiting for $path"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            gs_log "no $path after ${timeout_s}s"
            return 1
        fi
        sleep 0.1
    done
}

# gs_wait_eal PREFIX TIMEOUT_S [NAME]: wait until a primary's EAL is up for
# PREFIX (its multi-process socket exists), so a secondary can attach.
gs_wait_eal() {
    gs_wait_file "/var/run/dpdk/$1/mp_socket" "$2" "${3:-}"
}

# gs_dump_threads PID: what each thread of a process that will not exit is
# waiting in (state, kernel wait channel, tracer; a gdb backtrace where gdb is
# installed), into the test's log, so that a hang leaves evidence behind.
gs_dump_threads() {
    local pid=$1 t
    [ -d "/proc/$pid" ] || return 0
    gs_log "pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)"
    gs_log "pid $pid: $(grep -E '^(State|TracerPid):' "/proc/$pid/status" 2>/dev/null | tr -s '\t\n' '  ')"
    for t in "/proc/$pid"/task/*; do
        gs_log "  thread ${t##*/} $(cat "$t/comm" 2>/dev/null): state $(awk '{ print $3 }' "$t/stat" 2>/dev/null), wchan $(cat "$t/wchan" 2>/dev/null)"
    done
    if command -v gdb >/dev/null; then
        timeout 30 gdb -p "$pid" -batch -ex 'thread apply all bt 12' 2>&1 |
            grep -E '^(Thread|#)' | head -n 80 | while IFS= read -r line; do gs_log "  $line"; done
    fi
}

# gs_kill_wait PID [TIMEOUT_S]: SIGTERM, wait up to TIMEOUT_S (default 10)
# for the exit, then SIGKILL. Returns the exit status when PID is a child of
# this shell (137 if it had to be killed), 0 otherwise.
gs_kill_wait() {
    local pid=$1 timeout_s=${2:-10} deadline rc=0
    kill -0 "$pid" 2>/dev/null || {
        wait "$pid" 2>/dev/null
        return
    }
    kill -TERM "$pid" 2>/dev/null
    deadline=$((SECONDS + timeout_s))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
        # a reaped child makes kill -0 fail; an unreaped zombie does not
        [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null &&
        [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
        gs_log "pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) ignored SIGTERM for ${timeout_s}s: SIGKILL"
        gs_dump_threads "$pid"
        pgrep -P "$pid" | while read -r c; do gs_dump_threads "$c"; done
        pkill -KILL -P "$pid" 2>/dev/null
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    rc=$?
    return "$rc"
}

gs_forget() {
    local name=$1 n
    local -a keep=()
    unset "GS_PIDS[$name]"
    for n in "${GS_ORDER[@]}"; do
        [ "$n" = "$name" ] || keep+=("$n")
    done
    GS_ORDER=("${keep[@]}")
}

# gs_stop NAME [TIMEOUT_S]: stop NAME (SIGTERM, then SIGKILL) and return its
# exit status.
gs_stop() {
    local name=$1 t rc
    t=${GS_PIDS[$name]:-}
    [ -n "$t" ] || gs_fail "gs_stop: $name was not started"
    gs_log "stop $name (pid $t)"
    gs_kill_wait "$t" "${2:-10}"
    rc=$?
    gs_forget "$name"
    gs_log "$name exited with $rc"
    return "$rc"
}

# gs_stop_group HANDLER... : stop the handlers (they must leave first: the
# primary closes its ports only without secondaries), then the process named
# "primary" with its log primary.log; every exit code must be 0 and the
# primary must have printed its stats line.
gs_stop_group() {
    local name rc
    for name in "$@" primary; do
        gs_stop "$name" "$([ "$name" = primary ] && echo 20 || echo 10)"
        rc=$?
        gs_check "$name exit code" "$rc" -eq 0
    done
    grep -q 'gs-primary stats:' "$GS_WORK/primary.log" || gs_fail "no 'gs-primary stats:' line"
    gs_log "$(grep -a 'gs-primary stats:' "$GS_WORK/primary.log" | tail -n 1)"
}

# gs_kill9 NAME: SIGKILL the process NAME itself (not its wrapper) and reap it.
gs_kill9() {
    local name=$1 t pid
    t=${GS_PIDS[$name]:-}
    pid=$(gs_pid "$name") || true
    [ -n "$pid" ] || gs_fail "gs_kill9: $name is not running"
    gs_log "kill -9 $name (pid $pid)"
    # the wrapper re-raises SIGKILL: keep bash's "Killed" job notice out of the output
    {
        kill -KILL "$pid"
        gs_kill_wait "$t" 5
    } 2>/dev/null
    gs_forget "$name"
}

# gs_stat LOGFILE NAME: value of NAME in the last `gs-primary stats:` line.
gs_stat() {
    local log line v
    log=$(gs_logfile "$1")
    line=$(grep -a 'gs-primary stats:' "$log" | tail -n 1)
    [ -n "$line" ] || return 1
    v=$(printf '%s\n' "${line#*gs-primary stats:}" | tr -s '[:blank:]' '\n' | sed -n "s/^$2=//p" |
        head -n 1)
    [ -n "$v" ] || return 1
    printf '%s\n' "$v"
}

# gs_kv LINE NAME: value of NAME=value in a line of name=value pairs.
gs_kv() {
    printf '%s\n' "$1" | tr -s '[:blank:]' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# gs_check DESCRIPTION VALUE OP EXPECTED: integer comparison (OP: -eq -ge
# -le -gt -lt -ne); records a failure (gs_fail at gs_checks_done).
GS_CHECK_FAILED=0
gs_check() {
    local what=$1 v=$2 op=$3 want=$4
    if [[ "$v" =~ ^[0-9]+$ ]] && test "$v" "$op" "$want"; then
        gs_log "ok   $what = $v ($op $want)"
    else
        gs_log "BAD  $what = ${v:-<missing>} (want $op $want)"
        GS_CHECK_FAILED=$((GS_CHECK_FAILED + 1))
    fi
}

# gs_check_stat LOGFILE NAME OP EXPECTED: gs_check on a primary stat.
gs_check_stat() {
    gs_check "$2" "$(gs_stat "$1" "$2")" "$3" "$4"
}

gs_checks_done() {
    [ "$GS_CHECK_FAILED" -eq 0 ] || gs_fail "$GS_CHECK_FAILED check(s) failed"
}

# gs_drop_names: every drop reason, from shared/include/gs_drop.h.
gs_drop_names() {
    sed -n 's/^[[:space:]]*_([A-Z0-9_]*, *"\([a-z0-9_]*\)").*/\1/p' \
        "$GS_SOURCE_DIR/shared/include/gs_drop.h"
}

# gs_show_logs: the tail of every log in the work dir.
gs_show_logs() {
    local f
    for f in "$GS_WORK"/*.log; do
        [ -f "$f" ] || continue
        printf '\n----- %s (last 40 lines) -----\n' "$(basename "$f")" >&2
        tail -n 40 "$f" >&2
    done
    printf '\n' >&2
}

# gs_cleanup: the EXIT trap. Stops processes (newest first: handlers before
# the primary), deletes namespaces, removes prefix files and temp dirs, shows
# the logs when the test failed.
gs_cleanup() {
    local rc=$? i name ns p d
    trap - EXIT INT TERM
    [ "$rc" -ne 0 ] && GS_STATUS=fail
    for ((i = ${#GS_ORDER[@]} - 1; i >= 0; i--)); do
        name=${GS_ORDER[i]}
        if gs_alive "$name"; then
            gs_log "cleanup: stopping $name"
        fi
        gs_kill_wait "${GS_PIDS[$name]}" 10
    done
    GS_ORDER=()
    for ns in "${GS_NETNS[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        ip netns del "$ns" 2>/dev/null || gs_log "cleanup: cannot delete netns $ns"
    done
    for p in "${GS_PREFIXES[@]}"; do
        gs_clean_prefix "$p"
    done
    for d in "${GS_TMPDIRS[@]}"; do
        rm -rf -- "$d"
    done
    if [ "$GS_STATUS" != pass ]; then
        [ -n "$GS_WORK" ] && gs_show_logs
        gs_log "FAILED (rc $rc); logs kept in $GS_WORK"
        [ "$rc" -eq 0 ] && rc=1
    elif [ -n "$GS_WORK" ] && [ -z "${GS_KEEP_LOGS:-}" ]; then
        rm -rf -- "$GS_WORK"
    fi
    exit "$rc"
}
