#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Reserve hugepages for gsnet and mount hugetlbfs: the entry point for
# systemd (ExecStartPre of gsnet-primary.service) and for operators.
# Idempotent: it only writes when fewer pages are reserved than asked (it
# never shrinks a reservation) or when nothing is mounted.
#
#   hugepages.sh [--pages N] [--size 2M|1G] [--dir DIR]
#
#   --pages N    reserve at least N pages (default: $GSNET_HUGEPAGES, else
#                1024: 2 GiB of 2 MiB pages, as tests/run.sh reserves)
#   --size 2M    2 MiB pages (default), mounted on DIR (default /dev/hugepages,
#                or $GSNET_HUGE_DIR)
#   --size 1G    1 GiB pages, if the CPU and kernel have them, mounted with
#                pagesize=1G on DIR (default /dev/hugepages-1G); point gsnet at
#                them with `[eal] huge_dir = DIR` in gsnet.ini
#
# Exit status: 0 reserved and mounted (or already so), 1 could not (not
# root, too few pages free, page size unsupported, DIR mounted but not
# hugetlbfs of that size), 2 bad usage.
#
# 2 MiB pages are reserved by `deploy/setup.sh hugepages` (one implementation
# for the tests, demo.sh and this script): setup.sh must sit next to this
# file (deploy/systemd/install.sh installs both). Memory that is fragmented
# may refuse 1 GiB pages after boot: reserve them on the kernel command line
# then (default_hugepagesz=1G hugepagesz=1G hugepages=N).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SETUP=$HERE/setup.sh

say() { printf 'hugepages: %s\n' "$*"; }
die() {
    printf 'hugepages: error: %s\n' "$*" >&2
    exit 1
}
usage() {
    sed -n '9,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit "${1:-2}"
}
bad_usage() {
    printf 'hugepages: %s\n' "$*" >&2
    usage 2 >&2
}

pages=${GSNET_HUGEPAGES:-1024}
size=2M
dir=""
while [ $# -gt 0 ]; do
    case $1 in
    --pages)
        [ $# -ge 2 ] || bad_usage "--pages needs a number"
        pages=$2
        shift 2
        ;;
    --pages=*)
        pages=${1#--pages=}
        shift
        ;;
    --size)
        [ $# -ge 2 ] || bad_usage "--size needs 2M or 1G"
        size=$2
        shift 2
        ;;
    --size=*)
        size=${1#--size=}
        shift
        ;;
    --dir)
        [ $# -ge 2 ] || bad_usage "--dir needs a directory"
        dir=$2
        shift 2
        ;;
    --dir=*)
        dir=${1#--dir=}
        shift
        ;;
    -h | --help) usage 0 ;;
    *) bad_usage "unknown argument '$1'" ;;
    esac
done
[[ "$pages" =~ ^[0-9]+$ ]] || bad_usage "--pages: '$pages' is not a number of pages"

case $size in
2M | 2m | 2048k | 2048kB)
    # the one implementation of 2 MiB reservations
    [ -x "$SETUP" ] || die "$SETUP not found: install setup.sh next to hugepages.sh"
    GSNET_HUGE_DIR=${dir:-${GSNET_HUGE_DIR:-/dev/hugepages}} exec "$SETUP" hugepages "$pages"
    ;;
1G | 1g | 1048576k | 1048576kB) ;;
*) bad_usage "--size: '$size' is not 2M or 1G" ;;
esac

# 1 GiB pages: the kernel's per-size counter, and a mount of that page size.
dir=${dir:-/dev/hugepages-1G}
nr_file=/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages
[ -e "$nr_file" ] ||
    die "1 GiB hugepages are not available on this machine ($nr_file missing: the CPU lacks pdpe1gb or the kernel hugetlb support); use --size 2M"
total=$(cat "$nr_file")
if [ "$total" -lt "$pages" ]; then
    [ "$(id -u)" -eq 0 ] || die "reserving 1 GiB pages needs root ($total of $pages reserved)"
    say "$total -> $pages (1 GiB)"
    echo "$pages" >"$nr_file" || true
    total=$(cat "$nr_file")
fi
[ "$total" -ge "$pages" ] ||
    die "only $total of $pages 1 GiB pages could be reserved (memory fragmented: reserve them at boot, default_hugepagesz=1G hugepagesz=1G hugepages=$pages)"

mount_opts() { awk -v d="$1" '$2 == d && $3 == "hugetlbfs" { print $4 }' /proc/mounts | tail -n 1; }
if ! mountpoint -q "$dir"; then
    [ "$(id -u)" -eq 0 ] || die "mounting hugetlbfs on $dir needs root"
    mkdir -p "$dir"
    mount -t hugetlbfs -o pagesize=1G nodev "$dir"
    say "mounted hugetlbfs (pagesize=1G) on $dir"
fi
opts=$(mount_opts "$dir")
[ -n "$opts" ] || die "$dir is mounted but not hugetlbfs"
case ",$opts," in
*,pagesize=1024M,* | *,pagesize=1G,*) ;;
*) die "$dir is hugetlbfs with other pages ($opts): give 1 GiB pages their own --dir" ;;
esac
free=$(cat "${nr_file%/nr_hugepages}/free_hugepages")
say "total=$total free=$free size=1048576kB dir=$dir (gsnet.ini: [eal] huge_dir = $dir)"
