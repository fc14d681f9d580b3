#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The one test command (CI runs it through .ci/run), as root:
#   1. deploy/setup.sh: missing Debian packages, hugepages, build into build/
#   2. ctest: the style check, every unit and integration test, the fuzz
#      smoke run; non-zero exit on any failure.
#
#   tests/run.sh                          everything
#   tests/run.sh -L unit                  extra arguments go to ctest
#   GSNET_SANITIZE=address,undefined tests/run.sh
#                                         sanitized build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

setup=./deploy/setup.sh
if [ -n "${GSNET_SANITIZE:-}" ]; then
    build="build-asan"
    cmake_args=(-DGSNET_SANITIZE="$GSNET_SANITIZE")
    # Debian's DPDK leaks a little in every secondary; ASan must not stop on
    # the LD_PRELOADed libstdbuf the integration drivers use.
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/integration/lsan.supp}
    export ASAN_OPTIONS=${ASAN_OPTIONS:-verify_asan_link_order=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
    build="build"
    # reset a sanitizer a previous configure of build/ may have cached
    cmake_args=(-DGSNET_SANITIZE= -DGS_SANITIZE=)
fi

"$setup" deps
"$setup" hugepages
"$setup" build "$build" "${cmake_args[@]}"

echo "tests/run.sh: ctest --test-dir $build --output-on-failure $*"
ctest --test-dir "$build" --output-on-failure "$@"
