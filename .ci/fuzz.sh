#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 4s), one
# after the other. .ci/run calls it so that a crash the mutator finds within
# seconds, or a regression in a seed corpus, fails CI; a longer run, such as
# FUZZTIME=10m .ci/fuzz.sh, is how the closing notes' figures are made.
# A failing input is written to the package's testdata/fuzz directory, where
# it becomes a seed that plain `go test` runs from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-4s}
# FUZZMINIMIZE bounds the minimisation of each new interesting input (go
# test -fuzzminimizetime, default here 100x: 100 runs). Go's default of 60s
# lets a worker minimise a large input (a 100 KB bounce) past the end of a
# short -fuzztime, and the run then ends in "context deadline exceeded"
# with no failing input: a stall of the fuzzer, not of the code under test.
FUZZMINIMIZE=${FUZZMINIMIZE:-100x}
# FUZZ_ONLY, a regular expression, picks targets by name; FUZZ_PARALLEL sets
# the number of fuzzing workers (default: one per CPU).
FUZZ_ONLY=${FUZZ_ONLY:-.}
par=()
[ -n "${FUZZ_PARALLEL:-}" ] && par=(-parallel "$FUZZ_PARALLEL")
status=0
# Each line is a package and a fuzz target in it, found from the sources so
# that a new target is fuzzed without editing this script.
targets=$(grep -rEo --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)\(' . |
	sed -E 's|^\./(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]+)\($|\1 \2|' | sort -u)
n=0
while read -r pkg fn; do
	[ -n "$pkg" ] || continue
	[[ $fn =~ $FUZZ_ONLY ]] || continue
	n=$((n + 1))
	t0=$SECONDS
	if go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZE" -timeout 0 ${par[@]+"${par[@]}"} "./$pkg" > /tmp/fuzz-$fn.log 2>&1; then
		printf '  ok    %-24s %-22s %3ss  %s\n' "$fn" "$pkg" $((SECONDS - t0)) "$(grep -Eo 'execs: [0-9]+' /tmp/fuzz-$fn.log | tail -1)"
	else
		status=1
		printf '  FAIL  %-24s %s\n' "$fn" "$pkg"
		tail -30 /tmp/fuzz-$fn.log
	fi
done <<< "$targets"
echo "fuzz.sh: $n targets, ${FUZZTIME} each"
exit $status
