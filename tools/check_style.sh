#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The style check (ctest runs it as style_check, so tests/run.sh and CI do):
#   - clang-format-14 --dry-run -Werror on every tracked .c and .h, with the
#     repository's .clang-format. Headers are read as C (stdin and
#     --assume-filename): clang-format 14 guesses a header's language from its
#     text and takes gs_shm_types.h, whose designated initializers in a macro
#     look like a message send, for Objective-C. The config names no language,
#     so a plain `clang-format FILE` (an editor's) applies it to that guess
#     too; the check still formats headers by C's rules, which they are
#     written in. --assume-filename applies only to stdin in 14;
#   - shellcheck -x on every tracked shell script: *.sh, and files with no
#     extension whose first line is an sh or bash shebang (.ci/run).
# Prints each finding as FILE:LINE:COL: ... and exits 1 if there is any, 0 when
# the tree is clean, 2 when a tool is missing, 77 (skipped) outside a git work
# tree (a source tarball has no list of tracked files).
#
#   tools/check_style.sh          check
#   tools/check_style.sh --fix    clang-format -i the C files first (shellcheck's
#                                 findings stay for a person to fix)
#
# Environment: GS_CLANG_FORMAT (default clang-format-14: the version the tree
# is formatted with, pinned), GS_SHELLCHECK (default shellcheck).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CLANG_FORMAT=${GS_CLANG_FORMAT:-clang-format-14}
SHELLCHECK=${GS_SHELLCHECK:-shellcheck}

die() {
    printf 'check_style: error: %s\n' "$*" >&2
    exit 2
}

# The tree may belong to another user than the one running the check (a
# clone checked by root): reading its file list is safe either way.
git_() { git -c safe.directory="$ROOT" "$@"; }

if ! git_ rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "check_style: $ROOT is not a git work tree: skipped"
    exit 77
fi
for tool in "$CLANG_FORMAT" "$SHELLCHECK"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (deploy/setup.sh deps installs it)"
done

c_files=()
sh_files=()
while IFS= read -r -d '' f; do
    [ -f "$f" ] || continue # deleted in the work tree, not yet committed
    case $f in
    *.c | *.h) c_files+=("$f") ;;
    *.sh) sh_files+=("$f") ;;
    *)
        case ${f##*/} in
        *.*) ;;
        *) head -n 1 -- "$f" | grep -qE '^#!.*[/ ](ba)?sh([[:space:]]|$)' && sh_files+=("$f") ;;
        esac
        ;;
    esac
done < <(git_ ls-files -z)

out=$(mktemp)
trap 'rm -f "$out" "$out.h" "$out.err"' EXIT
findings=0
finding_re='^[^[:space:]]+:[0-9]+:[0-9]+: '

# as_c HEADER [ARGS..]: clang-format HEADER (stdin) as C; messages name HEADER.
as_c() {
    local h=$1 rc=0
    shift
    "$CLANG_FORMAT" "$@" --assume-filename="$h.c" <"$h" 2>"$out.err" || rc=$?
    sed "s|^$h\.c:|$h:|" "$out.err" >&2
    return "$rc"
}

c_srcs=()
c_hdrs=()
for f in "${c_files[@]}"; do
    case $f in
    *.h) c_hdrs+=("$f") ;;
    *) c_srcs+=("$f") ;;
    esac
done

if [ "${1:-}" = --fix ]; then
    "$CLANG_FORMAT" -i -- "${c_srcs[@]}"
    for f in "${c_hdrs[@]}"; do
        as_c "$f" >"$out.h"
        cmp -s "$out.h" "$f" || cat "$out.h" >"$f"
    done
fi

# clang-format prints each finding as FILE:LINE:COL: error: ... followed by the
# line and a caret: keep the first line of each.
rc=0
{
    "$CLANG_FORMAT" --dry-run -Werror -- "${c_srcs[@]}" || rc=$?
    for f in "${c_hdrs[@]}"; do
        as_c "$f" --dry-run -Werror || rc=$?
    done
} >"$out" 2>&1
n=$(grep -cE "$finding_re" "$out" || true)
if [ "$n" -gt 0 ]; then
    grep -E "$finding_re" "$out"
elif [ "$rc" -ne 0 ]; then
    cat "$out" # a failure with no finding: a bad .clang-format, say
    n=1
fi
findings=$((findings + n))
hint=
[ "$n" -eq 0 ] || hint=" (tools/check_style.sh --fix formats them)"
echo "check_style: clang-format: $n finding(s) in ${#c_files[@]} C files$hint" >&2

# -f gcc: shellcheck prints one line per finding, FILE:LINE:COL: LEVEL: ... [SCnnnn]
rc=0
"$SHELLCHECK" -x -f gcc -- "${sh_files[@]}" >"$out" 2>&1 || rc=$?
n=$(grep -cE "$finding_re" "$out" || true)
[ "$n" -gt 0 ] || [ "$rc" -eq 0 ] || n=1 # a failure with no finding
[ "$n" -eq 0 ] || cat "$out"
findings=$((findings + n))
echo "check_style: shellcheck: $n finding(s) in ${#sh_files[@]} shell scripts" >&2

if [ "$findings" -gt 0 ]; then
    echo "check_style: FAIL: $findings finding(s)" >&2
    exit 1
fi
echo "check_style: clean (${#c_files[@]} C files, ${#sh_files[@]} shell scripts)"
