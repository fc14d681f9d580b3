#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the libFuzzer targets (clang, standalone CMake project) and run each
# for a bounded time over a copy of its seed corpus.
#
#   tests/fuzz/run.sh [BUILD_DIR]          default: build/fuzz in the source tree
#
#   GS_FUZZ_SECONDS   seconds per fuzzer (default 20)
#   GS_FUZZ_TARGETS   which fuzzers (default: "frame wire pb cfg auth snapshot")
#   GS_FUZZ_CC        the compiler (default clang-14)
#
# Each fuzzer first replays tests/fuzz/regressions/<target>/ (inputs that once
# crashed), then fuzzes. The committed corpus is never written: new inputs go
# to BUILD_DIR/run/<target>/corpus, crash, leak and timeout inputs to
# BUILD_DIR/run/<target>/artifacts/. Exits non-zero if any fuzzer failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build/fuzz}
seconds=${GS_FUZZ_SECONDS:-20}
read -r -a targets <<<"${GS_FUZZ_TARGETS:-frame wire pb cfg auth snapshot}"
cc=${GS_FUZZ_CC:-clang-14}

case $seconds in
'' | *[!0-9]*)
	echo "run.sh: GS_FUZZ_SECONDS must be a whole number of seconds, got '$seconds'" >&2
	exit 2
	;;
esac
if ! command -v "$cc" >/dev/null; then
	echo "run.sh: $cc not found (deploy/setup.sh deps installs clang-14)" >&2
	exit 2
fi

# Sanitizer settings of their own: not those a sanitized main build exported.
unset LSAN_OPTIONS
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if symbolizer=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer); then
	export ASAN_SYMBOLIZER_PATH=$symbolizer
fi

start=$SECONDS
echo "== configure + build: $build ($cc)"
mkdir -p "$build"
if ! {
	cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER="$cc" &&
		cmake --build "$build" -j "$(nproc)"
} >"$build/build.log" 2>&1; then
	tail -n 40 "$build/build.log"
	echo "run.sh: fuzz build failed (log: $build/build.log)" >&2
	exit 1
fi
echo "   built in $((SECONDS - start)) s"

# "#123 DONE cov: 245 ft: 812 corp: 50/3Kb ..." and stat::... lines -> one summary
summary() {
	local log=$1 done_line execs rate
	done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -n 1 || true)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	printf '%s execs, %s exec/s, %s\n' "${execs:-?}" "${rate:-?}" \
		"$(sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/\1/' <<<"$done_line")"
}

# Path and hexdump of every input libFuzzer kept for a failure.
show_artifacts() {
	local dir=$1 f
	for f in "$dir"/*; do
		[ -e "$f" ] || continue
		echo "   artifact: $f ($(stat -c %s "$f") bytes)"
		od -A x -t x1z -v "$f" | head -n 32 | sed 's/^/     /'
	done
}

failed=()
for t in "${targets[@]}"; do
	fuzzer=$build/fuzz_$t
	work=$build/run/$t
	if [ ! -x "$fuzzer" ]; then
		echo "run.sh: no fuzzer $fuzzer" >&2
		failed+=("$t")
		continue
	fi
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	if [ -d "$here/corpus/$t" ]; then
		cp -R "$here/corpus/$t/." "$work/corpus/"
	fi
	dict=()
	if [ -f "$here/fuzz_$t.dict" ]; then
		dict=("-dict=$here/fuzz_$t.dict")
	fi
	common=(-timeout=5 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/")

	regressions=()
	if [ -d "$here/regressions/$t" ]; then
		while IFS= read -r -d '' f; do
			regressions+=("$f")
		done < <(find "$here/regressions/$t" -type f -print0 | sort -z)
	fi
	if [ ${#regressions[@]} -gt 0 ]; then
		echo "== fuzz_$t: ${#regressions[@]} regression input(s)"
		if ! "$fuzzer" "${common[@]}" "${regressions[@]}" >"$work/regressions.log" 2>&1; then
			grep -E 'ERROR|invariant|runtime error|Running:' "$work/regressions.log" |
				tail -n 20 | sed 's/^/   /'
			echo "   FAILED: a regression input crashes again (log: $work/regressions.log)"
			failed+=("$t")
			continue
		fi
	fi

	echo "== fuzz_$t: ${seconds} s"
	rc=0
	"$fuzzer" "${common[@]}" "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1 \
		"$work/corpus" >"$work/fuzz.log" 2>&1 || rc=$?
	echo "   $(summary "$work/fuzz.log")"
	if [ "$rc" -ne 0 ]; then
		grep -E -A 24 '^==[0-9]+==ERROR|invariant broken|runtime error|ERROR: libFuzzer' \
			"$work/fuzz.log" | head -n 60 | sed 's/^/   /'
		show_artifacts "$work/artifacts"
		echo "   FAILED (exit $rc, log: $work/fuzz.log)"
		failed+=("$t")
	fi
done

echo "== $((SECONDS - start)) s in all"
if [ ${#failed[@]} -gt 0 ]; then
	echo "run.sh: failed: ${failed[*]}" >&2
	exit 1
fi
echo "run.sh: every fuzzer passed"
