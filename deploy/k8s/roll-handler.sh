#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Roll one container of the gsnet pods to a new image, one host at a time,
# without touching the pod's other containers (the primary and its port, the
# other handlers): Kubernetes lets a running pod's container image be changed,
# and restarts only that container.
#
#   deploy/k8s/roll-handler.sh CONTAINER IMAGE
#
#   CONTAINER  session, move, combat, stats, or another handler container of
#              the DaemonSet (move-1 ...); not primary: a new primary is a
#              new pod (README.md, "Upgrading the primary or the config")
#   IMAGE      e.g. registry.example.com/gsnet/move:0.1.1, built against the
#              same shared-memory layout and DPDK as the running primaries
#              (a handler that differs refuses to attach, and the roll stops)
#
# For each pod of the DaemonSet, in turn: patch that container's image in the
# running pod, wait until the container has restarted (its restartCount went
# up) and is Ready (its readiness probe: the primary dispatches to it again),
# then go on to the next pod. A container that does not come back stops the
# roll, leaving the other pods as they were. After the last pod the
# DaemonSet's template gets the image too, so that pods created later (new
# hosts) start with it; the DaemonSet's updateStrategy must be OnDelete, so
# that this template change recreates no pod.
#
# The restart loses the messages the class receives while its only instance
# is down (counted as handler_down). With two instances of a class (move and
# move-1), roll one container, then the other: the live one takes the
# sessions meanwhile (docs/OPERATIONS.md, zero-loss upgrade).
#
# Environment: GSNET_NAMESPACE (gsnet), GSNET_DAEMONSET (gsnet),
# GSNET_ROLL_TIMEOUT (seconds per pod, 300), GSNET_ROLL_POLL (seconds between
# looks, 2), KUBECTL (kubectl).
# Exit status: 0 done, 1 a pod failed or timed out, 2 bad usage.
set -euo pipefail

NS=${GSNET_NAMESPACE:-gsnet}
DS=${GSNET_DAEMONSET:-gsnet}
TIMEOUT=${GSNET_ROLL_TIMEOUT:-300}
POLL=${GSNET_ROLL_POLL:-2}
KUBECTL=${KUBECTL:-kubectl}

say() { printf 'roll-handler: %s\n' "$*"; }
die() {
    printf 'roll-handler: error: %s\n' "$*" >&2
    exit 1
}
usage() {
    printf 'usage: %s CONTAINER IMAGE   (e.g. move registry.example.com/gsnet/move:0.1.1)\n' "$0" >&2
    exit 2
}
k() { "$KUBECTL" -n "$NS" "$@"; }

[ $# -eq 2 ] || usage
container=$1
image=$2
[[ $container =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || usage
[[ $image =~ ^[A-Za-z0-9][A-Za-z0-9._/:@-]*$ ]] || die "'$image' is not an image reference"
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "GSNET_ROLL_TIMEOUT='$TIMEOUT' is not a number of seconds"
[[ $POLL =~ ^[0-9]+([.][0-9]+)?$ ]] || die "GSNET_ROLL_POLL='$POLL' is not a number of seconds"
[ "$container" != primary ] ||
    die "the primary is not rolled in place: every handler exits with it and all sessions end; drain the host and delete its pod (README.md)"

strategy=$(k get daemonset "$DS" -o jsonpath='{.spec.updateStrategy.type}')
[ "$strategy" = OnDelete ] ||
    die "daemonset/$DS has updateStrategy '$strategy': with anything but OnDelete a template change recreates every pod, primaries included"
# the DaemonSet's pods: those its selector matches
# shellcheck disable=SC2016 # a Go template, not a shell expression
selector=$(k get daemonset "$DS" -o go-template='{{range $k, $v := .spec.selector.matchLabels}}{{$k}}={{$v}},{{end}}')
selector=${selector%,}
[ -n "$selector" ] || die "daemonset/$DS has no matchLabels selector"
mapfile -t pods < <(k get pods -l "$selector" -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
[ "${#pods[@]}" -gt 0 ] || die "no pod of daemonset/$DS in namespace $NS"
say "${#pods[@]} pod(s) of daemonset/$DS: container $container -> $image"

# index POD: position of $container in the pod's .spec.containers (a JSON
# patch addresses containers by index)
index() {
    local i=0 name
    while read -r name; do
        if [ "$name" = "$container" ]; then
            printf '%s\n' "$i"
            return 0
        fi
        i=$((i + 1))
    done < <(k get pod "$1" -o jsonpath='{range .spec.containers[*]}{.name}{"\n"}{end}')
    return 1
}

# status POD: "restartCount|ready|waiting reason|image" of $container, as a
# line (jsonpath output has no final newline, on which `read` would fail)
status() {
    local c="?(@.name==\"$container\")" line
    line=$(k get pod "$1" -o jsonpath="{.status.containerStatuses[$c].restartCount}|{.status.containerStatuses[$c].ready}|{.status.containerStatuses[$c].state.waiting.reason}|{.status.containerStatuses[$c].image}")
    printf '%s\n' "$line"
}

done_pods=0
for pod in "${pods[@]}"; do
    idx=$(index "$pod") || die "pod $pod has no container $container"
    old=$(k get pod "$pod" -o jsonpath="{.spec.containers[$idx].image}")
    if [ "$old" = "$image" ]; then
        say "$pod: $container already runs $image"
        continue
    fi
    IFS='|' read -r before ready _ _ < <(status "$pod")
    [[ $before =~ ^[0-9]+$ ]] || die "$pod: no status for container $container yet (pod not started?)"
    [ "$ready" = true ] || say "$pod: warning: $container is not Ready before the roll"
    # "test" makes the patch fail rather than change another container, should
    # the pod's container list differ from what was just read
    patch=$(printf '[{"op":"test","path":"/spec/containers/%s/name","value":"%s"},{"op":"replace","path":"/spec/containers/%s/image","value":"%s"}]' \
        "$idx" "$container" "$idx" "$image")
    k patch pod "$pod" --type=json -p "$patch" >/dev/null
    say "$pod: $container $old -> $image, waiting for it to restart and be Ready"
    deadline=$((SECONDS + TIMEOUT))
    while :; do
        IFS='|' read -r restarts ready reason now < <(status "$pod")
        if [[ $restarts =~ ^[0-9]+$ ]] && [ "$restarts" -gt "$before" ] && [ "$ready" = true ]; then
            say "$pod: $container Ready again (restarts $before -> $restarts, image $now)"
            break
        fi
        case $reason in
        ErrImagePull | ImagePullBackOff | InvalidImageName | CrashLoopBackOff | CreateContainerError | CreateContainerConfigError)
            die "$pod: $container is $reason; roll stopped here (back: $0 $container $old)"
            ;;
        esac
        [ "$SECONDS" -lt "$deadline" ] ||
            die "$pod: $container not Ready within ${TIMEOUT}s (restarts $restarts, ready '$ready'); roll stopped here (back: $0 $container $old)"
        sleep "$POLL"
    done
    done_pods=$((done_pods + 1))
done

# OnDelete: the template change only reaches pods created from now on
k set image "daemonset/$DS" "$container=$image" >/dev/null
say "done: $done_pods pod(s) rolled; daemonset/$DS template: $container=$image"
