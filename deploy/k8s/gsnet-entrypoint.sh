#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gsnet-entrypoint: how each container of the gsnet pod starts its gsnet
# binary, and how the probes ask the running group about it. The pod gets it
# as the ConfigMap gsnet-entrypoint (kustomization.yaml), mounted at
# /opt/gsnet/bin; an image needs bash and the gsnet binaries (gs-ctl
# included: the probes run it) on its PATH.
#
#   gsnet-entrypoint run BINARY [ARG...]
#       exec BINARY with these options before ARG... (an -o in ARG wins):
#         -o ROLE.cpus=LIST  the CPUs this container may run on: the kubelet's
#                            CPU manager picks them (exclusive cores for an
#                            integer CPU limit), so no config file can name
#                            them; ROLE from the binary's name
#         -o eal.pci0=ADDR   the SR-IOV VF of the pod
#         -o net.ip=IP       this host's game address
#       For gs-primary it first finds the pod's values and writes them to
#       $GSNET_POD_ENV: the VF is the first address in the device plugin's
#       variable ($GSNET_PCI_VAR), the address is the file named after the
#       node ($NODE_NAME) in $GSNET_HOSTS_DIR (ConfigMap gsnet-hosts). Every
#       other binary takes them from that file, waiting up to
#       $GSNET_POD_ENV_WAIT seconds for it: all processes of the group then
#       derive the same EAL arguments (as under systemd, where they all read
#       one file), and handlers start once the primary is starting.
#   gsnet-entrypoint probe-primary LCORE
#       exit 0 when the primary is ready and its ports are started
#   gsnet-entrypoint probe-handler CLASS INSTANCE LCORE [MAX_HEARTBEAT_MS]
#       exit 0 when instance INSTANCE of CLASS is running and heartbeating
#       (its heartbeat younger than MAX_HEARTBEAT_MS, default 1000)
#   Probes run `gs-ctl status` as lcore id LCORE: probes of the pod may run at
#   the same moment, and two DPDK processes of a group must never share an
#   lcore id, so each probe has its own (gsnet.ini, before [primary]).
#
# Exit status: that of the binary (exec); 1 when the pod's values are not
# there in time or a probe fails; 2 for bad usage or a bad pod value (a
# missing VF or host address, which a restart does not cure).
#
# Environment (default): GSNET_CONFIG (/etc/gsnet/gsnet.ini), GSNET_POD_ENV
# (/run/gsnet/pod.env), GSNET_POD_ENV_WAIT (60), GSNET_HOSTS_DIR
# (/etc/gsnet-hosts), NODE_NAME, GSNET_PCI_VAR
# (PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK), GSNET_PROC_STATUS (/proc/self/status).
set -euo pipefail

CONFIG=${GSNET_CONFIG:-/etc/gsnet/gsnet.ini}
POD_ENV=${GSNET_POD_ENV:-/run/gsnet/pod.env}
POD_ENV_WAIT=${GSNET_POD_ENV_WAIT:-60}
HOSTS_DIR=${GSNET_HOSTS_DIR:-/etc/gsnet-hosts}
PCI_VAR=${GSNET_PCI_VAR:-PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK}
PROC_STATUS=${GSNET_PROC_STATUS:-/proc/self/status}

say() { printf 'gsnet-entrypoint: %s\n' "$*" >&2; }
die() {
    local code=$1
    shift
    say "$*"
    exit "$code"
}
usage() {
    cat >&2 <<'EOF'
usage: gsnet-entrypoint run BINARY [ARG...]
       gsnet-entrypoint probe-primary LCORE
       gsnet-entrypoint probe-handler CLASS INSTANCE LCORE [MAX_HEARTBEAT_MS]
(the comment at the top of this script says what each does)
EOF
    exit 2
}

# role BINARY: the config section of a gsnet binary
role() {
    local name=${1##*/}
    case $name in
    gs-primary) echo primary ;;
    gs-stats) echo stats ;;
    gs-ctl) echo ctl ;;
    gs-*)
        # any other gs-NAME is the handler of class NAME: its section is [class.NAME]
        [[ ${name#gs-} =~ ^[a-z][a-z0-9_]{0,14}$ ]] ||
            die 2 "'$1': a handler binary is gs-CLASS, CLASS of a-z, 0-9 and _ (at most 15)"
        echo "class.${name#gs-}"
        ;;
    *) die 2 "'$1' is not a gsnet binary (gs-primary, gs-stats, gs-ctl or a handler gs-CLASS)" ;;
    esac
}

# container_cpus: the CPUs this container may use, as the kernel lists them
# ("2-3", "4,6"): what the config's `cpus` takes.
container_cpus() {
    local key val
    while read -r key val; do
        if [ "$key" = "Cpus_allowed_list:" ]; then
            [[ $val =~ ^[0-9]+([,-][0-9]+)*$ ]] || die 1 "unexpected CPU list '$val' in $PROC_STATUS"
            printf '%s\n' "$val"
            return 0
        fi
    done <"$PROC_STATUS"
    die 1 "no Cpus_allowed_list in $PROC_STATUS"
}

# write_pod_env: the primary's container finds the pod's values and publishes
# them for the other containers (written whole, then renamed: never half).
write_pod_env() {
    local pci ip="" file
    [[ $PCI_VAR =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die 2 "GSNET_PCI_VAR='$PCI_VAR' is not a variable name"
    pci=${!PCI_VAR:-}
    pci=${pci%%,*}
    [ -n "$pci" ] || die 2 "no VF: \$$PCI_VAR is empty (is the SR-IOV device plugin running, and does this container request its resource?)"
    [[ $pci =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]] ||
        die 2 "\$$PCI_VAR = '$pci' is not a PCI address (dddd:bb:dd.f)"
    [ -n "${NODE_NAME:-}" ] || die 2 "NODE_NAME is not set (the pod's downward API: spec.nodeName)"
    file=$HOSTS_DIR/$NODE_NAME
    [ -r "$file" ] || die 2 "no game address for node $NODE_NAME: add '$NODE_NAME: <IPv4>' to the ConfigMap gsnet-hosts"
    read -r ip <"$file" || true # a value without a final newline still reads
    [[ $ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die 2 "$file: '$ip' is not an IPv4 address"
    mkdir -p "$(dirname "$POD_ENV")"
    printf 'eal.pci0=%s\nnet.ip=%s\n' "$pci" "$ip" >"$POD_ENV.tmp.$$"
    mv -f "$POD_ENV.tmp.$$" "$POD_ENV"
    say "pod values: VF $pci, game address $ip (node $NODE_NAME)"
}

# wait_pod_env: the other containers wait (bounded) for the primary's values.
wait_pod_env() {
    local waited=0
    while [ ! -s "$POD_ENV" ]; do
        [ "$waited" -lt "$POD_ENV_WAIT" ] ||
            die 1 "no $POD_ENV after ${POD_ENV_WAIT}s: the primary container has not started (kubectl logs POD -c primary)"
        [ "$waited" -gt 0 ] || say "waiting for the primary container to write $POD_ENV"
        sleep 1
        waited=$((waited + 1))
    done
}

# OPTS=(...): the -o options every gsnet process of this container gets.
OPTS=()
pod_opts() {
    local role=$1 line cpus
    cpus=$(container_cpus)
    OPTS=(-o "$role.cpus=$cpus")
    [ -s "$POD_ENV" ] || return 0
    while read -r line; do
        [ -n "$line" ] || continue
        [[ $line =~ ^[a-z]+\.[a-z0-9_]+=[^[:space:]]+$ ]] || die 1 "$POD_ENV: bad line '$line'"
        OPTS+=(-o "$line")
    done <"$POD_ENV"
}

cmd_run() {
    [ $# -ge 1 ] || usage
    local bin=$1 r
    shift
    r=$(role "$bin")
    command -v "$bin" >/dev/null ||
        die 2 "'$bin' is not a gsnet binary here: no such program (a handler gs-CLASS is installed beside gs-primary)"
    if [ "$r" = primary ]; then
        write_pod_env
    elif [ "$r" != ctl ]; then
        wait_pod_env
    fi
    pod_opts "$r"
    exec "$bin" "${OPTS[@]}" "$@"
}

# ctl_status LCORE: `gs-ctl status` as lcore id LCORE, output on stdout
ctl_status() {
    [[ $1 =~ ^[0-9]+$ ]] || die 2 "lcore id '$1' is not a number"
    [ -s "$POD_ENV" ] || die 1 "no $POD_ENV yet: the primary container has not started"
    pod_opts ctl
    gs-ctl "${OPTS[@]}" -c "$CONFIG" -o "ctl.lcore_first=$1" status 2>&1
}

# The status lines this parses are printed by cmd_status() in
# secondary/ctl/main.c:
#   primary: pid P, gsnet V, DPDK V, epoch E, N lcores, ports started N[, stopping]
#   CLASS INST STATE PID GEN RESTARTS AGE ms ago PROCESSED REPLIED REJECTED[  NAME count=N p50=P p99=P us]
cmd_probe_primary() {
    [ $# -eq 1 ] || usage
    local out line
    out=$(ctl_status "$1") || die 1 "gs-ctl status failed: $(printf '%s' "$out" | tail -n 2)"
    # the EAL's own lines come first (stderr is kept for the messages)
    while read -r line; do
        [[ $line == "primary: "* ]] || continue
        if [[ $line =~ ports\ started\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
            exit 0
        fi
        die 1 "primary not serving yet: $line"
    done < <(printf '%s\n' "$out")
    die 1 "no primary line in: $(printf '%s' "$out" | tail -n 2)"
}

cmd_probe_handler() {
    [ $# -eq 3 ] || [ $# -eq 4 ] || usage
    local class=$1 inst=$2 max=${4:-1000} out c i state pid gen restarts age unit rest
    [[ $inst =~ ^[0-9]+$ && $max =~ ^[0-9]+$ ]] || usage
    out=$(ctl_status "$3") || die 1 "gs-ctl status failed: $(printf '%s' "$out" | tail -n 2)"
    while read -r c i state pid gen restarts age unit rest; do
        if [ "$c" != "$class" ] || [ "$i" != "$inst" ]; then
            continue
        fi
        [ "$state" = running ] || die 1 "$class instance $inst is $state (pid $pid, generation $gen)"
        [[ $age =~ ^[0-9]+$ && $unit = ms ]] || die 1 "cannot read the heartbeat in: $c $i $state $pid $gen $restarts $age $unit $rest"
        [ "$age" -le "$max" ] || die 1 "$class instance $inst (pid $pid): heartbeat ${age} ms ago"
        exit 0
    done < <(printf '%s\n' "$out")
    die 1 "$class instance $inst has not attached"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
run) cmd_run "$@" ;;
probe-primary) cmd_probe_primary "$@" ;;
probe-handler) cmd_probe_handler "$@" ;;
-h | --help) usage ;;
*) usage ;;
esac
