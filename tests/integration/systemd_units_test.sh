#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# The systemd deployment (deploy/systemd/, deploy/hugepages.sh), checked
# without a running systemd:
#   1. deploy/systemd/install.sh into a scratch tree whose bindir holds the
#      built binaries; `systemd-analyze verify` reports nothing on every unit,
#      on handler instances by name (move:1 ...), and does flag a unit whose
#      executable is missing (the check is real);
#   2. the handler template's ExecStart shell turns CLASS[:N] into the right
#      command line, refuses an unknown class with exit 2 (no restart);
#   3. deploy/hugepages.sh (the unit's ExecStartPre, installed copy): bash -n,
#      clean under shellcheck; exit 0 without changing anything when the pages
#      are reserved, never shrinks, clear errors (not root, no 1 GiB pages, usage);
#   4. gs-primary run as the unit runs it, with $NOTIFY_SOCKET: READY=1 after
#      "gs-primary ready", a handler started by the template's ExecStart
#      attaches as instance 1, STOPPING=1 on SIGTERM, exit 0.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 600
gs_require_cmd systemd-analyze /usr/bin/python3 runuser
GS_STATS=${GS_STATS:-$(gs_bin gs-stats secondary/stats/gs-stats)}
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_MOVE" "$GS_COMBAT" "$GS_STATS" "$GS_CTL"
HUGE=$GS_SOURCE_DIR/deploy/hugepages.sh
INSTALL=$GS_SOURCE_DIR/deploy/systemd/install.sh

# --- 0. the scripts parse, and shellcheck has nothing to say -----------------
for f in "$HUGE" "$INSTALL" "$0"; do
    bash -n "$f" || gs_fail "bash -n $f"
done
if command -v shellcheck >/dev/null; then
    shellcheck -x "$HUGE" "$INSTALL" >"$GS_WORK/shellcheck.log" 2>&1 ||
        gs_fail "shellcheck: $(head -n 20 "$GS_WORK/shellcheck.log")"
    gs_log "ok   shellcheck hugepages.sh install.sh"
else
    gs_log "shellcheck not installed: skipped"
fi

# --- 1. install into a scratch tree and verify -------------------------------
# outside the (0700) work dir: hugepages.sh also runs as nobody below
gs_tmpdir R "/tmp/gs_systemd_units.$$"
chmod 0755 "$R"
BIN=$R/bin LIBEXEC=$R/libexec/gsnet UNITS=$R/units CONF=$R/etc/gsnet
mkdir -p "$BIN"
declare -A BUILT=([gs-primary]=$GS_PRIMARY [gs-session]=$GS_SESSION [gs-move]=$GS_MOVE
    [gs-combat]=$GS_COMBAT [gs-stats]=$GS_STATS [gs-ctl]=$GS_CTL [gs-token]=$GS_TOKEN)
for b in "${!BUILT[@]}"; do
    ln -s "${BUILT[$b]}" "$BIN/$b"
done
"$INSTALL" --prefix "$R" --bindir "$BIN" --libexecdir "$LIBEXEC" --docdir "$R/doc" \
    --confdir "$CONF" --unitdir "$UNITS" --no-reload >"$GS_WORK/install.log" 2>&1 ||
    gs_fail "install.sh: $(cat "$GS_WORK/install.log")"
grep -q warning "$GS_WORK/install.log" && gs_fail "install.sh warned: $(cat "$GS_WORK/install.log")"
for f in gsnet-primary.service gsnet-handler@.service gsnet-stats.service gsnet.target; do
    [ -f "$UNITS/$f" ] || gs_fail "install.sh did not install $f"
done
# a fresh install gets its own server key, readable by root only
[ "$(stat -c %a "$CONF/server.key" 2>/dev/null)" = 600 ] ||
    gs_fail "install.sh did not write $CONF/server.key with mode 600"
gs_log "ok   install.sh wrote $CONF/server.key (mode 600)"
for f in hugepages.sh setup.sh; do
    [ -x "$LIBEXEC/$f" ] || gs_fail "install.sh did not install $f"
done
[ -f "$CONF/gsnet.ini" ] || gs_fail "gsnet.ini not installed"
if grep -v '^#' "$UNITS"/* | grep -nE '(^|[= ]|file://)(/usr/local/|/etc/gsnet/)'; then
    gs_fail "install.sh left default paths in the units"
fi

# verify UNIT...: systemd-analyze verify with the scratch units first in the
# search path; any output is a finding.
verify() {
    SYSTEMD_UNIT_PATH=$UNITS: systemd-analyze verify "$@" >"$GS_WORK/verify.log" 2>&1
}
verify "$UNITS/gsnet-primary.service" "$UNITS/gsnet-stats.service" "$UNITS/gsnet.target" ||
    gs_fail "systemd-analyze verify failed: $(cat "$GS_WORK/verify.log")"
[ -s "$GS_WORK/verify.log" ] && gs_fail "systemd-analyze verify: $(cat "$GS_WORK/verify.log")"
# template instances by name; `PATH:NAME` loads PATH as NAME (a bare
# "...@move:1.service" argument would be split at its colon)
for inst in session move move:1 combat:3; do
    verify "$UNITS/gsnet-handler@.service:gsnet-handler@$inst.service" ||
        gs_fail "verify gsnet-handler@$inst: $(cat "$GS_WORK/verify.log")"
    [ -s "$GS_WORK/verify.log" ] && gs_fail "verify gsnet-handler@$inst: $(cat "$GS_WORK/verify.log")"
done
gs_log "ok   systemd-analyze verify: 4 units and handler instances session, move, move:1, combat:3"
# the check is real: a missing executable is reported
gs_tmpdir BAD "$GS_WORK/bad"
sed "s|$BIN/gs-primary|$BAD/gs-nonexistent|" "$UNITS/gsnet-primary.service" >"$BAD/gsnet-primary.service"
SYSTEMD_UNIT_PATH=$BAD:$UNITS: systemd-analyze verify "$BAD/gsnet-primary.service" \
    >"$GS_WORK/verify_bad.log" 2>&1 && gs_fail "verify accepted a missing executable"
grep -q 'gs-nonexistent is not executable' "$GS_WORK/verify_bad.log" ||
    gs_fail "verify did not name the missing executable: $(cat "$GS_WORK/verify_bad.log")"

# --- 2. the handler template's ExecStart ------------------------------------
# unit_cmd UNIT KEY INSTANCE: the KEY= command line of UNIT with %i
# replaced and systemd's %% and $$ unescaped.
unit_cmd() {
    local line
    line=$(sed -n "s/^$2=//p" "$UNITS/$1" | head -n 1)
    [ -n "$line" ] || gs_fail "no $2= in $1"
    line=${line//%i/$3}
    line=${line//%%/%}
    printf '%s\n' "${line//\$\$/\$}"
}
gs_tmpdir STUB "$GS_WORK/stub"
for c in session move combat chat; do
    # shellcheck disable=SC2016 # the stub's own $0 and $*
    printf '#!/bin/sh\necho "$(basename "$0") $*"\n' >"$STUB/gs-$c"
    chmod +x "$STUB/gs-$c"
done
# run_handler INSTANCE [VAR=VALUE...]: the template's command with stub binaries
run_handler() {
    local cmd
    cmd=$(unit_cmd gsnet-handler@.service ExecStart "$1")
    cmd=${cmd//"$BIN/"/"$STUB/"}
    shift
    env -i PATH=/usr/bin:/bin GSNET_INSTANCE=0 GSNET_OPTS= "$@" bash -c "$cmd" 2>&1
}
expect_handler() { # INSTANCE WANT [VAR=VALUE...]
    local got inst=$1 want=$2
    shift 2
    got=$(run_handler "$inst" "$@")
    [ "$got" = "$want" ] || gs_fail "gsnet-handler@$inst $*: ran '$got', want '$want'"
    gs_log "ok   gsnet-handler@$inst $* -> $got"
}
expect_handler move "gs-move -c $CONF/gsnet.ini -i 0"
expect_handler move:1 "gs-move -c $CONF/gsnet.ini -i 1"
expect_handler move "gs-move -c $CONF/gsnet.ini -i 2" GSNET_INSTANCE=2
expect_handler combat:3 "gs-combat -c $CONF/gsnet.ini -i 3" GSNET_INSTANCE=2
expect_handler session "gs-session -c $CONF/gsnet.ini -i 0"
expect_handler move:1 "gs-move -c $CONF/gsnet.ini -i 1 -o a.b=1 -o c.d=2" "GSNET_OPTS=-o a.b=1 -o c.d=2"
# a class a team added runs like the built-in ones: no list of classes in the unit
expect_handler chat:1 "gs-chat -c $CONF/gsnet.ini -i 1"
OUT=$(run_handler trade:0)
RC=$?
gs_check "gsnet-handler@trade:0 (no gs-trade installed) exit code" "$RC" -eq 2
[[ "$OUT" == *"gs-trade is not installed"* ]] || gs_fail "unclear refusal of a class without its binary: $OUT"
OUT=$(run_handler stats:0)
RC=$?
gs_check "gsnet-handler@stats:0 exit code (2: RestartPreventExitStatus)" "$RC" -eq 2
[[ "$OUT" == *"no handler class stats"* ]] || gs_fail "unclear refusal of class stats: $OUT"
grep -q '^RestartPreventExitStatus=2' "$UNITS/gsnet-handler@.service" ||
    gs_fail "the handler unit would restart a refused class"

# --- 3. hugepages.sh, as the unit's ExecStartPre runs it ----------------------
NR=/proc/sys/vm/nr_hugepages
hp_state() {
    printf 'nr=%s total=%s mounts=%s\n' "$(cat "$NR")" \
        "$(awk '$1 == "HugePages_Total:" { print $2 }' /proc/meminfo)" \
        "$(awk -v d="$GS_HUGE_DIR" '$2 == d' /proc/mounts | tr '\n' ';')"
}
PRE=$(unit_cmd gsnet-primary.service ExecStartPre x)
# shellcheck disable=SC2016 # systemd's ${GSNET_HUGEPAGES}, literally
read -ra PRE <<<"${PRE//'${GSNET_HUGEPAGES}'/1024}" # Environment=GSNET_HUGEPAGES=1024
[ "${PRE[*]}" = "$LIBEXEC/hugepages.sh --pages 1024" ] || gs_fail "unexpected ExecStartPre: ${PRE[*]}"
grep -q '^Environment=GSNET_HUGEPAGES=1024$' "$UNITS/gsnet-primary.service" ||
    gs_fail "gsnet-primary.service does not default GSNET_HUGEPAGES to 1024"
BEFORE=$(hp_state)
[ "$(cat "$NR")" -ge 1024 ] || gs_fail "fewer than 1024 pages reserved ($BEFORE): run deploy/setup.sh hugepages"
"${PRE[@]}" >"$GS_WORK/hugepages1.log" 2>&1
gs_check "hugepages.sh --pages 1024 exit code" "$?" -eq 0
AFTER=$(hp_state)
[ "$BEFORE" = "$AFTER" ] || gs_fail "hugepages.sh changed the machine: $BEFORE -> $AFTER"
gs_log "ok   hugepages.sh --pages 1024: nothing changed ($AFTER): $(cat "$GS_WORK/hugepages1.log")"
"$LIBEXEC/hugepages.sh" --pages 1 >/dev/null 2>&1
gs_check "hugepages.sh --pages 1 exit code" "$?" -eq 0
[ "$(hp_state)" = "$BEFORE" ] || gs_fail "hugepages.sh --pages 1 shrank the reservation"
# not root: fine while nothing is to do, a clear error otherwise (never written)
runuser -u nobody -- "$LIBEXEC/hugepages.sh" --pages 1024 >/dev/null 2>&1
gs_check "hugepages.sh as nobody, pages reserved: exit code" "$?" -eq 0
OUT=$(runuser -u nobody -- "$LIBEXEC/hugepages.sh" --pages 99999999 2>&1)
gs_check "hugepages.sh as nobody, too few pages: exit code" "$?" -eq 1
[[ "$OUT" == *"needs root"* ]] || gs_fail "hugepages.sh as nobody: unclear error: $OUT"
[ "$(hp_state)" = "$BEFORE" ] || gs_fail "hugepages.sh as nobody changed something"
OUT=$("$LIBEXEC/hugepages.sh" --pages lots 2>&1)
gs_check "hugepages.sh --pages lots exit code" "$?" -eq 2
OUT=$("$LIBEXEC/hugepages.sh" --size 4M 2>&1)
gs_check "hugepages.sh --size 4M exit code" "$?" -eq 2
if [ ! -e /sys/kernel/mm/hugepages/hugepages-1048576kB ]; then
    OUT=$("$LIBEXEC/hugepages.sh" --size 1G --pages 1 2>&1)
    gs_check "hugepages.sh --size 1G without 1 GiB pages: exit code" "$?" -eq 1
    [[ "$OUT" == *"not available on this machine"* ]] || gs_fail "unclear 1G error: $OUT"
else
    gs_log "1 GiB pages exist here: --size 1G not exercised (it would reserve memory)"
fi

# --- 4. gs-primary as the unit runs it, talking to a $NOTIFY_SOCKET -----------
gs_prefix
IFACE=gssd$$
SOCK=$GS_WORK/notify.sock
OPTS=("${GS_AUTH_OPTS[@]}" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o world.max_entities=65536)
gs_start notify notify.log /usr/bin/python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print("notify: " + s.recv(4096).decode().replace("\n", " | "), flush=True)
' "$SOCK"
gs_wait_file "$SOCK" 10 notify || gs_fail "notify listener did not start"
read -ra START <<<"$(unit_cmd gsnet-primary.service ExecStart x)"
[ "${START[*]}" = "$BIN/gs-primary -c $CONF/gsnet.ini \$GSNET_OPTS" ] ||
    gs_fail "unexpected ExecStart of gsnet-primary: ${START[*]}"
gs_start primary primary.log env NOTIFY_SOCKET="$SOCK" "${START[@]:0:3}" "${OPTS[@]}"
gs_wait_log primary.log 'gs-primary ready' 30 primary || gs_fail "gs-primary not ready"
gs_wait_log notify.log 'READY=1' 5 notify || gs_fail "no READY=1 on \$NOTIFY_SOCKET"
grep -q "READY=1 | STATUS=ready: prefix $GS_PREFIX" "$GS_WORK/notify.log" ||
    gs_fail "READY without its STATUS: $(cat "$GS_WORK/notify.log")"
grep -q STOPPING=1 "$GS_WORK/notify.log" && gs_fail "STOPPING=1 before any stop"
gs_log "ok   $(grep -a READY=1 "$GS_WORK/notify.log")"

# a handler exactly as gsnet-handler@move:1 starts it (GSNET_OPTS for the prefix)
HCMD=$(unit_cmd gsnet-handler@.service ExecStart move:1)
gs_start move1 move1.log env GSNET_OPTS="${OPTS[*]}" bash -c "$HCMD"
gs_wait_log move1.log 'attached: instance 1' 30 move1 || gs_fail "gsnet-handler@move:1 did not attach"
gs_wait_log primary.log 'move instance 1 up' 5 primary || gs_fail "move instance 1 never up"
gs_stop move1
gs_check "gsnet-handler@move:1 exit code after SIGTERM" "$?" -eq 0
grep -q 'left instance 1 cleanly' "$GS_WORK/move1.log" || gs_fail "move:1 did not leave cleanly"

gs_stop primary 20
gs_check "gs-primary exit code" "$?" -eq 0
gs_wait_log notify.log 'STOPPING=1' 5 notify || gs_fail "no STOPPING=1 on \$NOTIFY_SOCKET"
gs_log "ok   $(grep -a STOPPING=1 "$GS_WORK/notify.log")"
[ -e "/var/run/dpdk/$GS_PREFIX" ] && gs_fail "the primary left /var/run/dpdk/$GS_PREFIX"
gs_stop notify 5
gs_checks_done
gs_pass
