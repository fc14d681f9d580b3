#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Install the gsnet dissector (gsnet.lua, next to this script) where
# Wireshark and tshark load Lua plugins at start.
#
#   install.sh              for you: Wireshark's "Personal Lua Plugins" folder
#                           (~/.local/lib/wireshark/plugins)
#   install.sh --global     for every user (root): "Global Lua Plugins"
#                           (/usr/lib/x86_64-linux-gnu/wireshark/plugins on Debian)
#   install.sh --dir DIR    into DIR
#   install.sh --uninstall [--global | --dir DIR]   remove it again
#
# The folders are the ones `tshark -G folders` prints (Debian's defaults when
# tshark is not installed). Restart Wireshark, or in Wireshark use
# Analyze > Reload Lua Plugins, to load it.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$here/gsnet.lua
scope=personal
dir=
action=install

usage() {
    sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//'
    exit "$1"
}

while [ $# -gt 0 ]; do
    case $1 in
    --global) scope=global ;;
    --dir)
        [ $# -ge 2 ] || usage 2
        dir=$2
        scope=dir
        shift
        ;;
    --uninstall) action=uninstall ;;
    -h | --help) usage 0 ;;
    *) usage 2 ;;
    esac
    shift
done

# the "Personal Lua Plugins" / "Global Lua Plugins" line of tshark -G folders
folder() {
    if command -v tshark >/dev/null 2>&1; then
        tshark -G folders 2>/dev/null | sed -n "s/^$1:[[:space:]]*//p"
    fi
}

personal=$(folder "Personal Lua Plugins")
[ -n "$personal" ] || personal=$HOME/.local/lib/wireshark/plugins
global=$(folder "Global Lua Plugins")
[ -n "$global" ] || global=/usr/lib/x86_64-linux-gnu/wireshark/plugins

case $scope in
personal) dir=$personal other=$global ;;
global) dir=$global other=$personal ;;
dir) other= ;;
esac

if [ "$action" = uninstall ]; then
    rm -f "$dir/gsnet.lua"
    echo "install.sh: removed $dir/gsnet.lua"
    exit 0
fi

[ -f "$src" ] || {
    echo "install.sh: $src not found" >&2
    exit 1
}
mkdir -p "$dir"
cp "$src" "$dir/gsnet.lua.tmp"
mv "$dir/gsnet.lua.tmp" "$dir/gsnet.lua"
echo "install.sh: installed $dir/gsnet.lua"
# two copies register two protocols named gsnet: Wireshark refuses the second
if [ -n "$other" ] && [ -f "$other/gsnet.lua" ]; then
    echo "install.sh: warning: $other/gsnet.lua exists too; Wireshark loads both and" \
        "refuses the second (remove one: install.sh --uninstall ...)" >&2
fi
