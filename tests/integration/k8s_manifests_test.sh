#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck source-path=SCRIPTDIR
#
# The Kubernetes deployment (deploy/k8s/), checked without a cluster:
#   1. its scripts and this test parse, and shellcheck has nothing to say;
#   2. tests/k8s/validate.js --self-test: every kind of mistake it knows of,
#      made to the real manifests, is refused (the check can fail);
#   3. validate.js deploy/k8s: each object against the Kubernetes API's schema
#      (npm's kubernetes-models) or, for the NetworkAttachmentDefinition,
#      tests/k8s/schemas/, then the pod's consistency; again on the output of
#      `kubectl kustomize` when kubectl is installed (what apply would send);
#   4. deploy/k8s/gsnet.ini, with the options the entrypoint adds, loads in
#      gsnet's own config loader (gs-ctl, when built: exit 2 is a config
#      error, anything else means the file was accepted), and a probe lcore id
#      inside a process's range is refused there too;
#   5. gsnet-entrypoint.sh with stand-in binaries: the options it adds, what
#      it publishes for the other containers, its refusals, and its probes'
#      reading of `gs-ctl status` (whose line formats are checked against
#      secondary/ctl/main.c);
#   6. roll-handler.sh against a stand-in kubectl: pod by pod, the right
#      container patched, waited for, a failure stops the roll, the template
#      updated last.
# Needs node (>= 18) and npm, not root or hugepages. node_modules is
# installed by `npm ci` into tests/k8s/ when missing or not matching
# package-lock.json, from the npm cache $GSNET_NPM_CACHE (default
# ~/.cache/gsnet/npm), so a warm cache needs no network.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gs_init "$@"

K8S=$GS_SOURCE_DIR/deploy/k8s
CHECK=$GS_SOURCE_DIR/tests/k8s
ENTRY=$K8S/gsnet-entrypoint.sh
ROLL=$K8S/roll-handler.sh
NPM_CACHE=${GSNET_NPM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gsnet/npm}

gs_require_cmd node npm
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
    gs_fail "node $(node --version) is too old: tests/k8s needs node >= 18"

# --- 1. scripts -------------------------------------------------------------
for f in "$ENTRY" "$ROLL" "$0"; do
    bash -n "$f" || gs_fail "bash -n $f"
done
if command -v shellcheck >/dev/null; then
    shellcheck -x "$ENTRY" "$ROLL" "$0" >"$GS_WORK/shellcheck.log" 2>&1 ||
        gs_fail "shellcheck: $(head -n 30 "$GS_WORK/shellcheck.log")"
    gs_log "ok   shellcheck gsnet-entrypoint.sh roll-handler.sh $(basename "$0")"
else
    gs_log "shellcheck not installed: skipped"
fi

# --- node_modules -------------------------------------------------------------
want="$(sha256sum "$CHECK/package-lock.json" | cut -d' ' -f1) node $(node --version)"
stamp=$CHECK/node_modules/.gsnet-installed
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    gs_log "npm ci --prefix tests/k8s (node_modules missing or stale; cache $NPM_CACHE)"
    mkdir -p "$NPM_CACHE"
    npm ci --prefix "$CHECK" --no-audit --no-fund --prefer-offline --cache "$NPM_CACHE" \
        >"$GS_WORK/npm.log" 2>&1 || gs_fail "npm ci failed: $(tail -n 20 "$GS_WORK/npm.log")"
    printf '%s\n' "$want" >"$stamp"
    gs_log "ok   npm ci ($(grep -E '^(added|up to date)' "$GS_WORK/npm.log" | tail -n 1))"
else
    gs_log "ok   tests/k8s/node_modules matches package-lock.json"
fi

# --- 2. the check can fail ----------------------------------------------------
node "$CHECK/validate.js" --self-test >"$GS_WORK/self-test.log" 2>&1 ||
    gs_fail "validate.js --self-test: $(grep -v ': refused (' "$GS_WORK/self-test.log" | tail -n 20)"
gs_log "ok   $(tail -n 1 "$GS_WORK/self-test.log")"

# --- 3. the manifests ---------------------------------------------------------
node "$CHECK/validate.js" "$K8S" >"$GS_WORK/validate.log" 2>&1 ||
    gs_fail "validate.js deploy/k8s: $(tail -n 5 "$GS_WORK/validate.log")"
sed 's/^/    /' "$GS_WORK/validate.log"
gs_log "ok   validate.js deploy/k8s: $(grep -c ' OK$' "$GS_WORK/validate.log") lines OK"
if command -v kubectl >/dev/null; then
    kubectl kustomize "$K8S" >"$GS_WORK/rendered.yaml" 2>"$GS_WORK/kustomize.log" ||
        gs_fail "kubectl kustomize deploy/k8s: $(tail -n 5 "$GS_WORK/kustomize.log")"
    node "$CHECK/validate.js" "$GS_WORK/rendered.yaml" >"$GS_WORK/validate-rendered.log" 2>&1 ||
        gs_fail "validate.js on kubectl kustomize's output: $(tail -n 5 "$GS_WORK/validate-rendered.log")"
    gs_log "ok   kubectl kustomize deploy/k8s: $(grep -c '^[A-Za-z]*/.* OK$' "$GS_WORK/validate-rendered.log") objects, same checks OK"
else
    gs_log "kubectl not installed: the kustomize build itself is not checked"
fi

# --- 4. gsnet's own config loader -----------------------------------------------
if [ -x "$GS_CTL" ]; then
    gs_prefix
    # every -o the entrypoint and the manifests add, with sample values
    opts=(-o "eal.file_prefix=$GS_PREFIX" -o eal.pci0=0000:3b:02.1 -o net.ip=192.0.2.11
        -o primary.cpus=2-3 -o class.session.cpus=4 -o class.move.cpus=5 -o class.combat.cpus=6
        -o 'stats.cpus=0-1,7' -o stats.http_ip=10.244.1.17 -o ctl.cpus=0 -o ctl.lcore_first=70)
    rc=0
    timeout 20 "$GS_CTL" -c "$K8S/gsnet.ini" "${opts[@]}" status >"$GS_WORK/loader.log" 2>&1 || rc=$?
    [ "$rc" -ne 2 ] || gs_fail "gsnet's config loader refuses deploy/k8s/gsnet.ini: $(grep -m1 'config error' "$GS_WORK/loader.log")"
    grep -q 'config error' "$GS_WORK/loader.log" && gs_fail "config error: $(grep -m1 'config error' "$GS_WORK/loader.log")"
    rc=0
    timeout 20 "$GS_CTL" -c "$K8S/gsnet.ini" "${opts[@]}" -o ctl.lcore_first=21 status >"$GS_WORK/loader-bad.log" 2>&1 || rc=$?
    if [ "$rc" -ne 2 ] || ! grep -q 'overlap those of \[class.move\]' "$GS_WORK/loader-bad.log"; then
        gs_fail "a probe lcore id inside [class.move]'s range was not refused by the loader (exit $rc): $(tail -n 3 "$GS_WORK/loader-bad.log")"
    fi
    gs_log "ok   gsnet.ini and the entrypoint's options load in gs-ctl's config loader (and lcore id 21 for a probe is refused)"
else
    gs_log "gs-ctl not built ($GS_CTL): gsnet.ini not loaded by gsnet's own loader"
fi

# --- 5. the entrypoint, with stand-in binaries -------------------------------------
gs_tmpdir EP "$GS_WORK/entrypoint"
mkdir -p "$EP/bin" "$EP/hosts" "$EP/run"
for b in gs-primary gs-session gs-move gs-stats; do
    cat >"$EP/bin/$b" <<EOF
#!/usr/bin/env bash
printf '%s\n' "\${0##*/}" "\$@" >"$EP/$b.argv"
EOF
done
# gs-ctl: records its arguments, prints $EP/status.out, exits with $EP/status.rc
cat >"$EP/bin/gs-ctl" <<EOF
#!/usr/bin/env bash
printf '%s\n' "\$@" >"$EP/gs-ctl.argv"
cat "$EP/status.out"
exit "\$(cat "$EP/status.rc")"
EOF
chmod +x "$EP"/bin/*
printf '192.0.2.11' >"$EP/hosts/game-host-01" # as a ConfigMap value: no newline
printf 'Name:\tbash\nCpus_allowed_list:\t2-3\n' >"$EP/status"
ep() { # [VAR=VALUE...] ARG...: the entrypoint with ARG..., in a stand-in pod
    local vars=()
    while [[ ${1:-} == *=* && ${1%%=*} =~ ^[A-Z_][A-Z0-9_]*$ ]]; do
        vars+=("$1")
        shift
    done
    env PATH="$EP/bin:$PATH" GSNET_POD_ENV="$EP/run/pod.env" GSNET_HOSTS_DIR="$EP/hosts" \
        GSNET_PROC_STATUS="$EP/status" GSNET_POD_ENV_WAIT=1 NODE_NAME=game-host-01 \
        PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK=0000:3b:02.1,0000:3b:02.5 "${vars[@]}" bash "$ENTRY" "$@"
}
argv_is() { # FILE WORDS...: FILE holds exactly WORDS, one a line
    local f=$1
    shift
    [ "$(cat "$f" 2>/dev/null)" = "$(printf '%s\n' "$@")" ] ||
        gs_fail "entrypoint ran: $(tr '\n' ' ' <"$f" 2>/dev/null), expected: $*"
}

rm -f "$EP/run/pod.env"
ep run gs-move -c /etc/gsnet/gsnet.ini -i 0 2>"$EP/err" && gs_fail "gs-move started without the primary's pod values"
grep -q 'no .*pod.env after 1s' "$EP/err" || gs_fail "entrypoint: $(cat "$EP/err")"
ep run gs-primary -c /etc/gsnet/gsnet.ini 2>/dev/null || gs_fail "entrypoint run gs-primary failed"
argv_is "$EP/gs-primary.argv" gs-primary -o primary.cpus=2-3 -o eal.pci0=0000:3b:02.1 -o net.ip=192.0.2.11 \
    -c /etc/gsnet/gsnet.ini
[ "$(cat "$EP/run/pod.env")" = "$(printf 'eal.pci0=0000:3b:02.1\nnet.ip=192.0.2.11')" ] ||
    gs_fail "pod.env: $(cat "$EP/run/pod.env")"
ep run gs-move -c /etc/gsnet/gsnet.ini -i 0 2>/dev/null || gs_fail "entrypoint run gs-move failed"
argv_is "$EP/gs-move.argv" gs-move -o class.move.cpus=2-3 -o eal.pci0=0000:3b:02.1 -o net.ip=192.0.2.11 \
    -c /etc/gsnet/gsnet.ini -i 0
ep run gs-stats -c /etc/gsnet/gsnet.ini -o 'stats.http_ip=10.244.1.17' 2>/dev/null || gs_fail "entrypoint run gs-stats failed"
argv_is "$EP/gs-stats.argv" gs-stats -o stats.cpus=2-3 -o eal.pci0=0000:3b:02.1 -o net.ip=192.0.2.11 \
    -c /etc/gsnet/gsnet.ini -o stats.http_ip=10.244.1.17
refused() { # CODE PATTERN ARGS...: the entrypoint exits CODE saying PATTERN
    local code=$1 pattern=$2 rc=0
    shift 2
    ep "$@" >/dev/null 2>"$EP/err" || rc=$?
    if [ "$rc" -ne "$code" ] || ! grep -q -- "$pattern" "$EP/err"; then
        gs_fail "entrypoint $*: exit $rc, $(cat "$EP/err"); expected exit $code saying '$pattern'"
    fi
}
refused 2 'no VF' PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK= run gs-primary -c x
refused 2 'not a PCI address' PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK=eth0 run gs-primary -c x
refused 2 'no game address for node game-host-09' NODE_NAME=game-host-09 run gs-primary -c x
refused 2 'not a gsnet binary' run gs-tool -c x
refused 2 'usage' frobnicate
gs_log "ok   entrypoint: options of gs-primary, gs-move and gs-stats, pod.env, 5 refusals"

# The lines the probes read must still be what gs-ctl prints (cmd_status).
CTL_SRC=$GS_SOURCE_DIR/secondary/ctl/main.c
for line in 'ports started %u%s' '"%-8s %4u %-9s %8d %5u %8u %11s %12"' '" ms ago"'; do
    grep -qF -- "$line" "$CTL_SRC" ||
        gs_fail "gs-ctl status no longer prints $line (secondary/ctl/main.c): update the probes in gsnet-entrypoint.sh"
done
primary_line='primary: pid 41, gsnet 0.1.0, DPDK 22.11.4, epoch 5f2c9a0b11d3e001, 2 lcores, ports started %s\n'
slot() { printf '%-8s %4u %-9s %8d %5u %8u %11s %12s %12s %12s\n' "$1" "$2" "$3" 52 1 0 "$4 ms ago" 100 98 2; }
status_is() { # RC "PORTS" CLASS STATE AGE_MS: what the stand-in gs-ctl says next
    echo "$1" >"$EP/status.rc"
    {
        # the EAL's lines come first (the probes read stdout and stderr)
        printf 'EAL: Detected CPU lcores: 2\nEAL: Detected shared linkage of DPDK\n'
        # shellcheck disable=SC2059 # the format is the one gs-ctl prints
        printf "$primary_line" "$2"
        printf 'sessions: 3 of 65536 slots in use\n'
        printf '%-8s %4s %-9s %8s %5s %8s %11s %12s %12s %12s\n' class inst state pid gen restarts heartbeat processed replied rejected
        slot session 0 running 4
        [ "$3" = none ] || slot "$3" 0 "$4" "$5"
        slot "$3" 1 running 2
    } >"$EP/status.out"
}
probe() { # EXPECTED_RC ARGS...
    local want=$1 rc=0
    shift
    ep "$@" >"$EP/probe.out" 2>&1 || rc=$?
    [ "$rc" -eq "$want" ] || gs_fail "probe $*: exit $rc ($(cat "$EP/probe.out")), expected $want"
}
status_is 0 1 move running 3
probe 0 probe-primary 70
argv_is "$EP/gs-ctl.argv" -o ctl.cpus=2-3 -o eal.pci0=0000:3b:02.1 -o net.ip=192.0.2.11 \
    -c /etc/gsnet/gsnet.ini -o ctl.lcore_first=70 status
probe 0 probe-handler move 0 72
probe 0 probe-handler session 0 71
status_is 0 0 move running 3
probe 1 probe-primary 70
status_is 0 '1, stopping' move running 3
probe 1 probe-primary 70
status_is 1 1 move running 3
probe 1 probe-primary 70
probe 1 probe-handler move 0 72
status_is 0 1 move running 4200
probe 1 probe-handler move 0 72
probe 0 probe-handler move 0 82 5000
status_is 0 1 move dead 9
probe 1 probe-handler move 0 72
status_is 0 1 none x 0
probe 1 probe-handler move 0 72
probe 1 probe-handler combat 0 73
probe 2 probe-handler move 0
gs_log "ok   entrypoint probes: ready, ports not started, stopping, gs-ctl failing, stale heartbeat, dead, not attached"

# --- 6. roll-handler.sh against a stand-in kubectl ----------------------------------
gs_tmpdir KS "$GS_WORK/kubectl"
# state: strategy; pods; per pod <pod>.images (one "name image" a line),
# <pod>.restarts, <pod>.phase (idle, patched, ready), <pod>.fail (a reason)
cat >"$KS/kubectl" <<'EOF'
#!/usr/bin/env bash
# stand-in kubectl for roll-handler.sh: answers the calls it makes
set -euo pipefail
S=${FAKE_KUBE:?}
echo "$*" >>"$S/calls"
[ "$1" = -n ] && shift 2
pod=${3:-}
case "$1 $2" in
"get daemonset")
    case $5 in
    *updateStrategy*) cat "$S/strategy" ;;
    go-template=*) printf 'app.kubernetes.io/name=gsnet,' ;;
    *) exit 9 ;;
    esac
    ;;
"get pods") cat "$S/pods" ;;
"get pod")
    q=$5
    case $q in
    *'.spec.containers[*]'*) cut -d' ' -f1 "$S/$pod.images" ;;
    *'.spec.containers['*) i=${q#*containers[}; i=${i%%]*}; sed -n "$((i + 1))p" "$S/$pod.images" | cut -d' ' -f2 | tr -d '\n' ;;
    *restartCount*)
        c=${q#*@.name==\"}; c=${c%%\"*}
        r=$(cat "$S/$pod.restarts"); phase=$(cat "$S/$pod.phase"); img=$(grep "^$c " "$S/$pod.images" | cut -d' ' -f2)
        case $phase in
        idle) printf '%s|true||%s' "$r" "$img" ;;
        patched)
            if [ -s "$S/$pod.fail" ]; then
                printf '%s|false|%s|%s' "$r" "$(cat "$S/$pod.fail")" "$img"
            else
                echo $((r + 1)) >"$S/$pod.restarts"; echo ready >"$S/$pod.phase"
                printf '%s|false|ContainerCreating|%s' "$r" "$img"
            fi
            ;;
        ready) printf '%s|true||%s' "$r" "$img" ;;
        esac
        ;;
    *) exit 9 ;;
    esac
    ;;
"patch pod")
    p=$6
    i=$(printf '%s' "$p" | sed -n 's|.*"replace","path":"/spec/containers/\([0-9]*\)/image","value":"\([^"]*\)".*|\1 \2|p')
    n=$(printf '%s' "$p" | sed -n 's|.*"test","path":"/spec/containers/[0-9]*/name","value":"\([^"]*\)".*|\1|p')
    set -- $i
    [ "$(sed -n "$(($1 + 1))p" "$S/$pod.images" | cut -d' ' -f1)" = "$n" ] || { echo "test failed" >&2; exit 1; }
    sed -i "$(($1 + 1))s|^\([^ ]*\) .*|\1 $2|" "$S/$pod.images"
    echo patched >"$S/$pod.phase"
    ;;
"set image") echo "$4" >"$S/template" ;;
*) exit 9 ;;
esac
EOF
chmod +x "$KS/kubectl"
kube_reset() { # STRATEGY FAILING_POD
    rm -f "$KS"/calls "$KS"/template "$KS"/*.fail
    echo "$1" >"$KS/strategy"
    printf 'gsnet-a1\ngsnet-b2\n' >"$KS/pods"
    for p in gsnet-a1 gsnet-b2; do
        printf '%s\n' 'primary r/primary:0.1.0' 'session r/session:0.1.0' 'move r/move:0.1.0' \
            'combat r/combat:0.1.0' 'stats r/stats:0.1.0' >"$KS/$p.images"
        echo 3 >"$KS/$p.restarts"
        echo idle >"$KS/$p.phase"
    done
    [ -z "$2" ] || echo ImagePullBackOff >"$KS/$2.fail"
}
roll() { # EXPECTED_RC ARGS...
    local want=$1 rc=0
    shift
    env FAKE_KUBE="$KS" KUBECTL="$KS/kubectl" GSNET_ROLL_POLL=0.05 GSNET_ROLL_TIMEOUT=10 \
        bash "$ROLL" "$@" >"$KS/out" 2>&1 || rc=$?
    [ "$rc" -eq "$want" ] || gs_fail "roll-handler.sh $*: exit $rc, expected $want: $(cat "$KS/out")"
}
kube_reset OnDelete ""
roll 0 move r/move:0.1.1
for p in gsnet-a1 gsnet-b2; do
    [ "$(cat "$KS/$p.images")" = "$(printf '%s\n' 'primary r/primary:0.1.0' 'session r/session:0.1.0' \
        'move r/move:0.1.1' 'combat r/combat:0.1.0' 'stats r/stats:0.1.0')" ] ||
        gs_fail "roll-handler.sh: pod $p has $(tr '\n' ' ' <"$KS/$p.images")"
done
if [ "$(grep -c 'patch pod' "$KS/calls")" -ne 2 ] || [ "$(tail -n 1 "$KS/calls" | cut -d' ' -f3-4)" != "set image" ] ||
    [ "$(cat "$KS/template" 2>/dev/null)" != move=r/move:0.1.1 ]; then
    gs_fail "roll-handler.sh calls: $(cat "$KS/calls")"
fi
# gsnet-b2 is patched only after gsnet-a1's container was seen restarted and
# Ready (the stand-in reports that on the second look after the patch)
awk '/patch pod gsnet-a1/ { p = 1 } p && /get pod gsnet-a1 .*restartCount/ { n++ }
    /patch pod gsnet-b2/ { done = 1; ok = n >= 2 } END { exit !(done && ok) }' "$KS/calls" ||
    gs_fail "roll-handler.sh patched gsnet-b2 before gsnet-a1 was Ready again: $(cat "$KS/calls")"
roll 0 move r/move:0.1.1 # again: nothing to do
[ "$(grep -c 'patch pod' "$KS/calls")" -eq 2 ] || gs_fail "roll-handler.sh patched pods already on the image"
kube_reset OnDelete gsnet-a1
roll 1 move r/move:0.1.1
if ! grep -q 'ImagePullBackOff; roll stopped' "$KS/out" || grep -q 'gsnet-b2' "$KS/calls" || [ -e "$KS/template" ]; then
    gs_fail "roll-handler.sh went on after a failed pod: $(cat "$KS/out")"
fi
kube_reset RollingUpdate ""
roll 1 combat r/combat:0.1.1
if ! grep -q "updateStrategy 'RollingUpdate'" "$KS/out" || grep -q 'patch' "$KS/calls"; then
    gs_fail "roll-handler.sh with RollingUpdate: $(cat "$KS/out")"
fi
kube_reset OnDelete ""
roll 1 primary r/primary:0.1.1
grep -q 'primary is not rolled in place' "$KS/out" || gs_fail "roll-handler.sh primary: $(cat "$KS/out")"
roll 1 move 'r/move:0.1.1"},{"op":"remove'
roll 2 move
gs_log "ok   roll-handler.sh: two pods in turn, template last; stops on ImagePullBackOff; refuses RollingUpdate, the primary, a bad image"

gs_pass
