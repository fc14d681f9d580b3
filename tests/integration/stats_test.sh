#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# gs-stats, the exporter secondary, against a running group (tap port in a
# namespace): /metrics scraped after known traffic passes `promtool check
# metrics`, has every metric the dashboard and the rules name
# (tools/check_metric_names.py on deploy/grafana and deploy/prometheus, whose
# rules also pass `promtool check rules` and `promtool test rules`) and counts
# exactly what was sent (client datagrams dispatched and
# answered, malformed datagrams dropped by reason; busy cycles of the primary
# and the handlers grow with the traffic, not while idle); /stats.json, --once and
# --json work; dpdk-telemetry.py answers /gsnet/handlers and /gsnet/rings; a
# kill -9 and restart of gs-move shows in /metrics within 2 s (down, then up
# with restarts 1), and so does a stopped (SIGSTOP) gs-move, down while
# stopped and up when continued; gs-stats exits by itself when the primary stops.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

gs_require_root
gs_require_hugepages 600
gs_require_cmd ip curl promtool dpdk-telemetry.py /usr/bin/python3
GS_STATS=${GS_STATS:-$(gs_bin gs-stats secondary/stats/gs-stats)}
gs_require_bin "$GS_PRIMARY" "$GS_SESSION" "$GS_MOVE" "$GS_COMBAT" "$GS_STATS" "$GS_CLIENT"

SERVER=198.18.0.2
CLIENT=198.18.0.1
PORT=7777
HTTP_PORT=$((20000 + $$ % 20000))
URL=http://127.0.0.1:$HTTP_PORT
gs_prefix
IFACE=gsst$$
NS=gsst$$
OPTS=("${GS_AUTH_OPTS[@]}" -c "$GS_CONFIG" -o "eal.file_prefix=$GS_PREFIX" -o "eal.vdev0=net_tap0,iface=$IFACE"
    -o "net.ip=$SERVER" -o world.max_entities=65536 -o "stats.http_port=$HTTP_PORT")

# metric FILE SELECTOR: the sum of the samples of a metric whose line starts with
# SELECTOR (name, optionally with the first labels), e.g. 'gsnet_drops_total{lcore="0",reason="gs_magic"}'.
metric() {
    awk -v sel="$2" 'index($0, sel) == 1 { s += $NF; n++ } END { if (n) printf "%d\n", s; else print "missing" }' "$1"
}

scrape() {
    curl -sf --max-time 5 "$URL/metrics" >"$GS_WORK/$1" || gs_fail "GET /metrics failed"
}

gs_group_up "${OPTS[@]}"
gs_start session session.log "$GS_SESSION" "${OPTS[@]}" -i 0
gs_start move move.log "$GS_MOVE" "${OPTS[@]}" -i 0
gs_start combat combat.log "$GS_COMBAT" "${OPTS[@]}" -i 0
for h in session move combat; do
    gs_wait_log "$h.log" 'attached: instance' 30 "$h" || gs_fail "$h did not attach"
done
gs_start stats stats.log "$GS_STATS" "${OPTS[@]}"
gs_wait_log stats.log 'gs-stats serving' 30 stats || gs_fail "gs-stats does not serve"

# --- known traffic ---------------------------------------------------------------
scrape metrics0.txt
RX0=$(metric "$GS_WORK/metrics0.txt" 'gsnet_rx_packets_total{')
timeout -k 5 60 ip netns exec "$NS" "$GS_CLIENT" "${GS_CLIENT_AUTH[@]}" --server "$SERVER:$PORT" --players 10 \
    --duration 3 --quiet --json >"$GS_WORK/client.json" 2>"$GS_WORK/client.err" ||
    gs_fail "gs-client exited with $?"
timeout -k 2 20 ip netns exec "$NS" /usr/bin/python3 "$GS_LIB_DIR/send_malformed.py" \
    "$SERVER" "$PORT" 4 >"$GS_WORK/malformed.log" 2>&1 || gs_fail "send_malformed.py failed"
SENT=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"])' "$GS_WORK/client.json")
RECEIVED=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["received"])' "$GS_WORK/client.json")
HEARTBEATS=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["heartbeats"]["sent"])' "$GS_WORK/client.json")
sleep 0.5 # the last malformed datagrams reach the primary
scrape metrics1.txt
promtool check metrics <"$GS_WORK/metrics1.txt" >"$GS_WORK/promtool.log" 2>&1 ||
    gs_fail "promtool check metrics: $(head -n 5 "$GS_WORK/promtool.log")"
gs_log "promtool check metrics: ok ($(grep -c '^gsnet_' "$GS_WORK/metrics1.txt") samples)"
M=$GS_WORK/metrics1.txt
# the dashboard's and the rules' queries name only metrics this scrape serves (or
# recording rules' outputs); the rules load and pass their own unit tests
(cd "$GS_SOURCE_DIR" && /usr/bin/python3 tools/check_metric_names.py --scrape "$M" \
    deploy/grafana/*.json deploy/prometheus/gsnet.rules.yml) >"$GS_WORK/check_metric_names.log" 2>&1 ||
    gs_fail "dashboard or rules name metrics gs-stats does not serve: $(head -n 10 "$GS_WORK/check_metric_names.log")"
gs_log "$(tail -n 1 "$GS_WORK/check_metric_names.log")"
promtool check rules "$GS_SOURCE_DIR/deploy/prometheus/gsnet.rules.yml" >"$GS_WORK/promtool_rules.log" 2>&1 ||
    gs_fail "promtool check rules: $(tail -n 5 "$GS_WORK/promtool_rules.log")"
promtool test rules "$GS_SOURCE_DIR/deploy/prometheus/gsnet.rules.test.yml" >"$GS_WORK/promtool_test.log" 2>&1 ||
    gs_fail "promtool test rules: $(head -n 20 "$GS_WORK/promtool_test.log")"
gs_log "promtool check rules, test rules: ok"
# the players' first CONNECTs were answered by the primary (CHALLENGE), the rest went to gs-session
CHALLENGES=$(metric "$M" 'gsnet_challenges_total{lcore="0"}')
gs_check "challenges = players (one first CONNECT each)" "$CHALLENGES" -eq 10
gs_check "session messages dispatched = datagrams gs-client sent - first CONNECTs" \
    "$(metric "$M" 'gsnet_dispatched_total{lcore="0",class="session"}')" -eq "$((SENT - CHALLENGES))"
gs_check "session replies = datagrams gs-client received - CHALLENGEs" \
    "$(metric "$M" 'gsnet_replies_total{lcore="0",class="session"}')" -eq "$((RECEIVED - CHALLENGES))"
gs_check "session instance 0 processed" \
    "$(metric "$M" 'gsnet_handler_processed_total{class="session",instance="0"}')" -eq "$((SENT - CHALLENGES))"
gs_check "ring enqueued to session 0" \
    "$(metric "$M" 'gsnet_ring_enqueued_total{lcore="0",class="session",instance="0"}')" -eq "$((SENT - CHALLENGES))"
# the handler's own counts, named by gs-session (published every tick: wait for one)
sleep 0.1
scrape metrics1e.txt
gs_check "gs-session's own count: connects" \
    "$(metric "$GS_WORK/metrics1e.txt" 'gsnet_handler_events_total{class="session",instance="0",event="connects"}')" -eq 10
gs_check "gs-session's own count: heartbeats = heartbeats the players sent ($HEARTBEATS)" \
    "$(metric "$GS_WORK/metrics1e.txt" 'gsnet_handler_events_total{class="session",instance="0",event="heartbeats"}')" -eq "$HEARTBEATS"
for r in gs_magic gs_version gs_length unknown_session udp_port; do
    gs_check "drops $r" "$(metric "$M" "gsnet_drops_total{lcore=\"0\",reason=\"$r\"}")" -eq 4
done
for r in ring_full handler_down udp_checksum ip_checksum; do
    gs_check "drops $r" "$(metric "$M" "gsnet_drops_total{lcore=\"0\",reason=\"$r\"}")" -eq 0
done
gs_check "rx_packets grew by at least sent + malformed" \
    "$(metric "$M" 'gsnet_rx_packets_total{')" -ge "$((RX0 + SENT + 20))"
gs_check "port rx_packets" "$(metric "$M" 'gsnet_port_rx_packets_total{port="0"')" -ge "$((SENT + 20))"
gs_check "port xstats exported" "$(grep -c "^gsnet_port_xstat{port=\"0\"" "$M")" -gt 0
gs_check "ports started" "$(metric "$M" 'gsnet_primary_ports_started')" -eq 1
for c in session move combat; do
    gs_check "$c up" "$(metric "$M" "gsnet_handler_up{class=\"$c\",instance=\"0\"}")" -eq 1
done
gs_check "mempool in use + available = size" \
    "$(($(metric "$M" 'gsnet_mempool_in_use{') + $(metric "$M" 'gsnet_mempool_available{')))" \
    -eq "$(metric "$M" 'gsnet_mempool_size{')"

# busy cycles: the work of each loop, not its idle polling
M0=$GS_WORK/metrics0.txt
gs_check "primary lcore busy cycles grew with the traffic" \
    "$(($(metric "$M" 'gsnet_busy_cycles_total{lcore="0"}') - $(metric "$M0" 'gsnet_busy_cycles_total{lcore="0"}')))" -gt 0
gs_check "session instance busy cycles grew with its messages" \
    "$(($(metric "$M" 'gsnet_handler_busy_cycles_total{class="session",instance="0"}') - \
        $(metric "$M0" 'gsnet_handler_busy_cycles_total{class="session",instance="0"}')))" -gt 0
sleep 0.5
scrape idle0.txt
sleep 1
scrape idle1.txt
TSC_HZ=$(metric "$M" 'gsnet_tsc_hz')
gs_check "gsnet_tsc_hz" "$TSC_HZ" -gt 100000000
for c in session move combat; do
    gs_check "idle $c instance: no busy cycles in 1 s" \
        "$(($(metric "$GS_WORK/idle1.txt" "gsnet_handler_busy_cycles_total{class=\"$c\",instance=\"0\"}") - \
            $(metric "$GS_WORK/idle0.txt" "gsnet_handler_busy_cycles_total{class=\"$c\",instance=\"0\"}")))" -eq 0
done
gs_check "idle primary lcore: busy under 1 % of 1 s" \
    "$(($(metric "$GS_WORK/idle1.txt" 'gsnet_busy_cycles_total{lcore="0"}') - \
        $(metric "$GS_WORK/idle0.txt" 'gsnet_busy_cycles_total{lcore="0"}')))" -lt "$((TSC_HZ / 100))"

curl -sf --max-time 5 "$URL/stats.json" >"$GS_WORK/stats.json" || gs_fail "GET /stats.json failed"
J_SENT=$(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["lcores"][0]["dispatched"]["session"])' "$GS_WORK/stats.json") ||
    gs_fail "/stats.json is not the expected JSON"
gs_check "/stats.json dispatched session" "$J_SENT" -eq "$((SENT - CHALLENGES))"
gs_check "unknown URL is 404" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")" -eq 404

timeout -k 3 20 "$GS_STATS" "${OPTS[@]}" --once >"$GS_WORK/once.txt" 2>"$GS_WORK/once.err" ||
    gs_fail "gs-stats --once exited with $?"
grep -q '^move  *0 running  *yes' "$GS_WORK/once.txt" || gs_fail "gs-stats --once shows no running move instance: $(cat "$GS_WORK/once.txt")"
timeout -k 3 20 "$GS_STATS" "${OPTS[@]}" --json 2>/dev/null |
    /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' || gs_fail "gs-stats --json is not JSON"

# --- DPDK telemetry: the primary's /gsnet/ commands ----------------------------------
printf '/gsnet/handlers\n/gsnet/rings\n' | timeout -k 3 20 dpdk-telemetry.py -f "$GS_PREFIX" \
    >"$GS_WORK/telemetry.log" 2>&1 || gs_fail "dpdk-telemetry.py exited with $?"
grep -q '"move_0": {"state": "running"' "$GS_WORK/telemetry.log" ||
    gs_fail "/gsnet/handlers has no running move/0: $(head -c 400 "$GS_WORK/telemetry.log")"
grep -q '"0_session_0": {"to_handler_depth": ' "$GS_WORK/telemetry.log" ||
    gs_fail "/gsnet/rings has no 0/session/0 ring: $(head -c 400 "$GS_WORK/telemetry.log")"

# --- kill -9 and restart show within 2 s ---------------------------------------------
# wait_metric SELECTOR VALUE: poll /metrics until the metric equals VALUE, 2 s at most.
wait_metric() {
    local t0=$SECONDS i v
    for ((i = 0; i < 40; i++)); do
        scrape poll.txt
        v=$(metric "$GS_WORK/poll.txt" "$1")
        if [ "$v" = "$2" ]; then
            gs_log "$1 = $2 after $((i * 50)) ms of polling"
            return 0
        fi
        sleep 0.05
    done
    gs_fail "$1 is $v, not $2, $((SECONDS - t0)) s after the change"
}
gs_kill9 move
wait_metric 'gsnet_handler_up{class="move",instance="0"}' 0
gs_start move2 move2.log "$GS_MOVE" "${OPTS[@]}" -i 0
gs_wait_log move2.log 'attached: instance' 20 move2 || gs_fail "gs-move did not restart"
wait_metric 'gsnet_handler_up{class="move",instance="0"}' 1
gs_check "move restarts" "$(metric "$GS_WORK/poll.txt" 'gsnet_handler_restarts_total{class="move",instance="0"}')" -eq 1
gs_check "move downs" "$(metric "$GS_WORK/poll.txt" 'gsnet_handler_downs_total{class="move",instance="0"}')" -eq 1

# a stuck handler (stopped: alive, heartbeat stale, not runnable) is down at handler_timeout_ms,
# and up again when it runs
MOVE2_PID=$(gs_pid move2)
kill -STOP "$MOVE2_PID" || gs_fail "kill -STOP gs-move"
wait_metric 'gsnet_handler_up{class="move",instance="0"}' 0
kill -CONT "$MOVE2_PID" || gs_fail "kill -CONT gs-move"
wait_metric 'gsnet_handler_up{class="move",instance="0"}' 1
gs_check "move downs (kill -9, then stopped)" "$(metric "$GS_WORK/poll.txt" 'gsnet_handler_downs_total{class="move",instance="0"}')" -eq 2
gs_check "move restarts (a stop is not a restart)" "$(metric "$GS_WORK/poll.txt" 'gsnet_handler_restarts_total{class="move",instance="0"}')" -eq 1
grep -q 'move instance 0 down: heartbeat stale' "$GS_WORK/primary.log" ||
    gs_fail "the primary did not log the stopped gs-move as stale: $(grep 'move instance' "$GS_WORK/primary.log" | tail -3)"
gs_alive stats || gs_fail "gs-stats died while handlers came and went"

# --- the primary stops: gs-stats leaves on its own ----------------------------------
STATS_PID=$(gs_pid stats)
gs_stop_group session move2 combat
for ((i = 0; i < 50; i++)); do
    kill -0 "$STATS_PID" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$STATS_PID" 2>/dev/null && gs_fail "gs-stats still runs 5 s after the primary stopped"
grep -q 'gs-stats exiting: the primary is stopping' "$GS_WORK/stats.log" ||
    gs_fail "gs-stats did not say why it left: $(tail -n 3 "$GS_WORK/stats.log")"
gs_checks_done
gs_pass
