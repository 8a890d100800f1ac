#!/usr/bin/env bash
# Builds the libFuzzer targets, replays the seed corpus, fuzzes each target for
# FUZZ_SECONDS (default 30), and checks that the canary build (a planted parser
# bug) is caught within CANARY_SECONDS. Prints "fuzz: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
canary_seconds=${CANARY_SECONDS:-60}
passed=0
failed=0
make --no-print-directory fuzz build/fuzz/fuzz_resp_canary >/dev/null || { echo "fuzz: 0 passed, 1 failed"; exit 1; }
work=$(mktemp -d /tmp/keel-fuzz.XXXXXX)
cp tests/fuzz/corpus/resp/* "$work/"
# 1. The whole corpus replays without a finding.
if build/fuzz/fuzz_resp -runs=0 tests/fuzz/corpus/resp >"$work/replay.log" 2>&1; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); tail -20 "$work/replay.log"
fi
# 2. A bounded fuzzing run finds nothing.
if build/fuzz/fuzz_resp -max_total_time="$seconds" -dict=tests/fuzz/resp.dict \
        -artifact_prefix="$work/" "$work" >"$work/run.log" 2>&1; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); tail -30 "$work/run.log"
fi
grep -E "^Done [0-9]+ runs" "$work/run.log" | sed 's/^/fuzz_resp: /'
# 3. The canary must be caught: a harness that cannot find a planted bug proves nothing.
if build/fuzz/fuzz_resp_canary -max_total_time="$canary_seconds" -dict=tests/fuzz/resp.dict \
        -artifact_prefix="$work/canary-" tests/fuzz/corpus/resp >"$work/canary.log" 2>&1; then
    failed=$((failed + 1)); echo "canary not found in ${canary_seconds}s"
else
    passed=$((passed + 1))
    grep -m1 -E "assertion failed|ERROR: " "$work/canary.log" | sed 's/^/canary found: /'
fi
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
