#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# gsnet machine setup, shared by tests/run.sh, deploy/demo.sh and people.
# Every step is idempotent: it only acts when something is missing.
#
#   setup.sh deps                       install the Debian packages that are missing
#   setup.sh hugepages [PAGES]          reserve >= PAGES 2 MB hugepages (default 1024)
#                                       and mount hugetlbfs on /dev/hugepages
#   setup.sh build [DIR] [CMAKE_ARGS..] configure and build (default DIR: build)
#   setup.sh all [DIR] [CMAKE_ARGS..]   deps + hugepages + build
#   setup.sh clean-prefix PREFIX        remove /var/run/dpdk/PREFIX and the
#                                       PREFIXmap_* hugepage files, if no process holds them
#   setup.sh holders PREFIX             print the pids that hold PREFIX's DPDK files
#   setup.sh status                     print what is installed and reserved
#
# Environment: GSNET_HUGEPAGES (default 1024), GSNET_HUGE_DIR (default /dev/hugepages),
# GSNET_EXTRA_PKGS (more Debian packages to install), GSNET_BUILD_TYPE (RelWithDebInfo),
# GSNET_JOBS (2).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HUGE_DIR=${GSNET_HUGE_DIR:-/dev/hugepages}
DPDK_RUN_DIR=/var/run/dpdk

# Everything gsnet needs to build, run and test on Debian 12. psmisc gives
# fuser; tshark, scapy and libpcap-dev are for the replay tests (tshark and
# scapy also for the Wireshark dissector's test, tests/wireshark); libmicrohttpd
# serves gs-stats; prometheus gives promtool, curl scrapes in the tests;
# libsystemd-dev gives gs-primary sd_notify() (deploy/systemd/); libsodium
# seals connect tokens and authenticates packets; clang-14 and its runtime
# build the libFuzzer harnesses (tests/fuzz); netcat-openbsd is the TCP peer
# of the kernel exception-path test; node and npm run the Kubernetes
# manifest schema check (tests/k8s); clang-format-14 (the version the tree is
# formatted with) and shellcheck are the style check's (tools/check_style.sh);
# gdb gives the integration tests a backtrace of a process that ignores SIGTERM.
PKGS=(dpdk dpdk-dev libdpdk-dev libnuma-dev libprotobuf-c-dev protobuf-c-compiler
    libcunit1-dev pkg-config cmake gcc make iproute2 ethtool iputils-ping
    python3-scapy tshark libpcap-dev procps psmisc libmicrohttpd-dev prometheus curl
    gnuplot-nox
    libsystemd-dev libsodium-dev clang-14 libclang-rt-14-dev netcat-openbsd
    clang-format-14 shellcheck git gdb)
# shellcheck disable=SC2206 # word splitting of the extra list is intended
PKGS+=(${GSNET_EXTRA_PKGS:-})

log() { printf 'setup: %s\n' "$*"; }
die() {
    printf 'setup: error: %s\n' "$*" >&2
    exit 1
}

need_root() {
    [ "$(id -u)" -eq 0 ] || die "$1 needs root (run as root or with sudo)"
}

missing_pkgs() {
    local p st
    for p in "${PKGS[@]}"; do
        st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$st" = installed ] || printf '%s\n' "$p"
    done
    # node and npm may come from another packaging of Node.js (npm bundled
    # with it): only a missing command asks for Debian's packages.
    command -v node >/dev/null 2>&1 || printf '%s\n' nodejs
    command -v npm >/dev/null 2>&1 || printf '%s\n' npm
}

cmd_deps() {
    local missing
    mapfile -t missing < <(missing_pkgs)
    if [ "${#missing[@]}" -eq 0 ]; then
        log "packages: all ${#PKGS[@]} present"
        return 0
    fi
    need_root "installing ${missing[*]}"
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # tshark's package asks whether non-root users may capture: answer no.
    echo 'wireshark-common wireshark-common/install-setuid boolean false' |
        debconf-set-selections
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
    mapfile -t missing < <(missing_pkgs)
    [ "${#missing[@]}" -eq 0 ] || die "still missing after apt-get: ${missing[*]}"
    log "packages: installed"
}

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

cmd_hugepages() {
    local want=${1:-${GSNET_HUGEPAGES:-1024}} size total nr_file
    [[ "$want" =~ ^[0-9]+$ ]] || die "hugepages: bad page count '$want'"
    size=$(meminfo Hugepagesize)
    if [ "$size" = 2048 ]; then
        nr_file=/proc/sys/vm/nr_hugepages
    else
        # default size is not 2 MB (e.g. 1 GB): reserve 2 MB pages explicitly
        nr_file=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
    fi
    total=$(cat "$nr_file")
    if [ "$total" -lt "$want" ]; then
        need_root "reserving hugepages"
        log "hugepages: $total -> $want (2 MB)"
        echo "$want" >"$nr_file"
        total=$(cat "$nr_file")
        if [ "$total" -lt "$want" ]; then
            # fragmented memory: free the page cache, compact, try again
            sync
            echo 3 >/proc/sys/vm/drop_caches
            [ -w /proc/sys/vm/compact_memory ] && echo 1 >/proc/sys/vm/compact_memory
            echo "$want" >"$nr_file"
            total=$(cat "$nr_file")
        fi
    fi
    if [ "$nr_file" = /proc/sys/vm/nr_hugepages ]; then
        total=$(meminfo HugePages_Total)
    fi
    [ "$total" -ge "$want" ] ||
        die "hugepages: only $total of $want 2 MB pages could be reserved"
    if ! mountpoint -q "$HUGE_DIR"; then
        need_root "mounting hugetlbfs"
        mkdir -p "$HUGE_DIR"
        mount -t hugetlbfs -o pagesize=2M nodev "$HUGE_DIR"
        log "hugepages: mounted hugetlbfs on $HUGE_DIR"
    fi
    [ "$(stat -f -c %T "$HUGE_DIR")" = hugetlbfs ] ||
        die "hugepages: $HUGE_DIR is mounted but not hugetlbfs"
    log "hugepages: total=$total free=$(meminfo HugePages_Free) size=${size}kB dir=$HUGE_DIR"
}

cmd_build() {
    local dir=${1:-build}
    [ $# -gt 0 ] && shift
    case $dir in
    /*) ;;
    *) dir=$ROOT/$dir ;;
    esac
    log "build: $dir $*"
    cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="${GSNET_BUILD_TYPE:-RelWithDebInfo}" "$@"
    cmake --build "$dir" -j"${GSNET_JOBS:-2}"
}

valid_prefix() {
    [[ "$1" =~ ^[A-Za-z0-9_.-]+$ ]] || die "clean-prefix: bad prefix '$1'"
}

# PIDs of processes that map or hold open files of the DPDK group PREFIX
# (its hugepage files, its /var/run/dpdk/PREFIX config and fbarrays).
prefix_holders() {
    local prefix=$1 run_dir real_run huge
    run_dir=$DPDK_RUN_DIR/$prefix
    real_run=$(readlink -m "$run_dir")
    huge=$(readlink -m "$HUGE_DIR")
    {
        grep -lsF -e "$huge/${prefix}map_" -e "$run_dir/" -e "$real_run/" \
            /proc/[0-9]*/maps 2>/dev/null || true
        find /proc/[0-9]*/fd -maxdepth 1 \( -lname "$huge/${prefix}map_*" \
            -o -lname "$run_dir/*" -o -lname "$real_run/*" \) 2>/dev/null || true
    } | cut -d/ -f3 | { grep -vx -e "$$" -e "$BASHPID" || true; } | sort -un
}

cmd_clean_prefix() {
    local prefix=${1:-} holders files
    [ -n "$prefix" ] || die "clean-prefix: PREFIX missing"
    valid_prefix "$prefix"
    mapfile -t holders < <(prefix_holders "$prefix")
    if [ "${#holders[@]}" -gt 0 ]; then
        printf 'setup: clean-prefix: %s is in use by pid(s) %s; not removing\n' \
            "$prefix" "${holders[*]}" >&2
        return 1
    fi
    shopt -s nullglob
    files=("$HUGE_DIR/${prefix}map_"*)
    shopt -u nullglob
    if [ "${#files[@]}" -gt 0 ]; then
        rm -f -- "${files[@]}"
    fi
    if [ -e "$DPDK_RUN_DIR/$prefix" ]; then
        rm -rf -- "${DPDK_RUN_DIR:?}/$prefix"
        log "clean-prefix: removed $DPDK_RUN_DIR/$prefix and ${#files[@]} hugepage file(s)"
    elif [ "${#files[@]}" -gt 0 ]; then
        log "clean-prefix: removed ${#files[@]} hugepage file(s) of $prefix"
    fi
    return 0
}

cmd_status() {
    local missing
    mapfile -t missing < <(missing_pkgs)
    log "packages missing: ${missing[*]:-none}"
    log "hugepages: total=$(meminfo HugePages_Total) free=$(meminfo HugePages_Free)" \
        "size=$(meminfo Hugepagesize)kB mounted=$(mountpoint -q "$HUGE_DIR" && echo yes || echo no)"
    log "dpdk groups: $(find "$DPDK_RUN_DIR" -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null)"
}

usage() {
    sed -n '4,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit "${1:-2}"
}

cmd=${1:-all}
[ $# -gt 0 ] && shift
case $cmd in
deps) cmd_deps ;;
hugepages) cmd_hugepages "$@" ;;
build) cmd_build "$@" ;;
all)
    cmd_deps
    cmd_hugepages
    cmd_build "$@"
    ;;
clean-prefix) cmd_clean_prefix "$@" ;;
holders)
    valid_prefix "${1:-}"
    prefix_holders "$1"
    ;;
status) cmd_status ;;
-h | --help | help) usage 0 ;;
*) usage 2 ;;
esac
