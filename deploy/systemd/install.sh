#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Install gsnet's systemd units and the scripts they run. The binaries come
# from `cmake --install build` (into PREFIX/bin, /usr/local/bin by default).
#
#   deploy/systemd/install.sh [--prefix DIR] [--bindir DIR] [--libexecdir DIR]
#                             [--docdir DIR] [--confdir DIR] [--unitdir DIR]
#                             [--no-reload]
#
#   --prefix DIR      /usr/local: bindir DIR/bin, libexecdir DIR/libexec/gsnet,
#                     docdir DIR/share/doc/gsnet
#   --confdir DIR     /etc/gsnet: gsnet.ini is copied there unless one exists
#                     (an operator's config is never overwritten)
#   --unitdir DIR     /etc/systemd/system
#   --no-reload       skip `systemctl daemon-reload`
#
# The unit files in deploy/systemd/ name /usr/local/bin, /usr/local/libexec/gsnet,
# /usr/local/share/doc/gsnet and /etc/gsnet; they are rewritten for the
# directories given. Afterwards: systemctl enable --now gsnet.target.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

say() { printf 'install: %s\n' "$*"; }
die() {
    printf 'install: error: %s\n' "$*" >&2
    exit 1
}
usage() {
    sed -n '7,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit "${1:-2}"
}

prefix=/usr/local
bindir="" libexecdir="" docdir=""
confdir=/etc/gsnet
unitdir=/etc/systemd/system
reload=1
while [ $# -gt 0 ]; do
    case $1 in
    --prefix | --bindir | --libexecdir | --docdir | --confdir | --unitdir)
        [ $# -ge 2 ] || usage 2 >&2
        v=$2
        [[ "$v" == /* ]] || die "$1: '$v' is not an absolute path"
        [[ "$v" != *[\|\&\\[:space:]]* ]] || die "$1: '$v' has a character the units cannot take"
        case $1 in
        --prefix) prefix=$v ;;
        --bindir) bindir=$v ;;
        --libexecdir) libexecdir=$v ;;
        --docdir) docdir=$v ;;
        --confdir) confdir=$v ;;
        --unitdir) unitdir=$v ;;
        esac
        shift 2
        ;;
    --no-reload)
        reload=0
        shift
        ;;
    -h | --help) usage 0 ;;
    *)
        printf 'install: unknown argument %s\n' "$1" >&2
        usage 2 >&2
        ;;
    esac
done
bindir=${bindir:-$prefix/bin}
libexecdir=${libexecdir:-$prefix/libexec/gsnet}
docdir=${docdir:-$prefix/share/doc/gsnet}

# scripts: hugepages.sh reserves 2 MiB pages through setup.sh (kept together)
install -d "$libexecdir" "$docdir" "$unitdir"
install -m 0755 "$ROOT/deploy/hugepages.sh" "$ROOT/deploy/setup.sh" "$libexecdir/"
install -m 0644 "$ROOT/docs/OPERATIONS.md" "$docdir/"
if [ -e "$confdir/gsnet.ini" ]; then
    say "kept $confdir/gsnet.ini (compare with $ROOT/deploy/gsnet.ini after upgrades)"
else
    install -D -m 0644 "$ROOT/deploy/gsnet.ini" "$confdir/gsnet.ini"
    say "installed $confdir/gsnet.ini: set its [eal] vdev/pci ports and [net] ip"
fi
# the server key of [auth] key_file: shared with the game's backend only
if [ -e "$confdir/server.key" ]; then
    say "kept $confdir/server.key"
elif [ -x "$bindir/gs-token" ]; then
    "$bindir/gs-token" keygen "$confdir/server.key" >/dev/null
    say "wrote a new server key $confdir/server.key (mode 0600): give it to the game's backend"
else
    say "warning: no $confdir/server.key: run gs-token keygen $confdir/server.key"
fi

for f in "$HERE"/*.service "$HERE"/*.target; do
    sed -e "s|/usr/local/bin/|$bindir/|g" \
        -e "s|/usr/local/libexec/gsnet/|$libexecdir/|g" \
        -e "s|/usr/local/share/doc/gsnet/|$docdir/|g" \
        -e "s|/etc/gsnet/|$confdir/|g" "$f" >"$unitdir/$(basename "$f").tmp"
    chmod 0644 "$unitdir/$(basename "$f").tmp"
    mv -f "$unitdir/$(basename "$f").tmp" "$unitdir/$(basename "$f")"
done
say "units in $unitdir: $(cd "$HERE" && echo *.service *.target)"

for b in gs-primary gs-session gs-move gs-combat gs-stats gs-ctl gs-token; do
    [ -x "$bindir/$b" ] || say "warning: $bindir/$b missing: cmake --install build --prefix $prefix"
done
if [ "$reload" = 1 ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    say "systemctl daemon-reload done; start with: systemctl enable --now gsnet.target"
else
    say "not reloaded: run systemctl daemon-reload, then systemctl enable --now gsnet.target"
fi
