#!/usr/bin/env bash
# Runs every test suite against the build and prints one summary line:
# "N passed, N failed". Exits non-zero when anything failed.
# MODE selects the build (release by default); KEEL_BIN overrides the server.
set -uo pipefail
cd "$(dirname "$0")/.."
mode="${MODE:-release}"
export KEEL_BIN="${KEEL_BIN:-$PWD/build/$mode/keel}"
python=/usr/bin/python3
passed=0
failed=0
log_dir=$(mktemp -d /tmp/keel-test.XXXXXX)

count_criterion() {  # "Synthesis: Tested: 10 | Passing: 9 | Failing: 1 | Crashing: 0"
    local line
    line=$(grep -a "Synthesis:" "$1" | tail -n 1)
    local ok bad crash
    ok=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$line")
    bad=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$line")
    crash=$(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$line")
    echo "${ok:-0} $(( ${bad:-0} + ${crash:-0} ))"
}

count_plain() {  # last "N passed, M failed" line
    local line
    line=$(grep -aE '[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    local ok bad
    ok=$(sed -nE 's/.*\b([0-9]+) passed.*/\1/p' <<<"$line")
    bad=$(sed -nE 's/.*\b([0-9]+) failed.*/\1/p' <<<"$line")
    echo "${ok:-0} ${bad:-0}"
}

count_pytest() {  # "== 12 passed, 1 failed, 2 skipped in 3.1s =="
    local line
    line=$(grep -aE '^(=+ )?[0-9]+ (passed|failed|errors?|skipped).* in [0-9.]+s' "$1" | tail -n 1)
    local ok bad errors
    ok=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
    bad=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
    errors=$(grep -oE '[0-9]+ errors?' <<<"$line" | grep -oE '[0-9]+')
    echo "${ok:-0} $(( ${bad:-0} + ${errors:-0} ))"
}

record() {  # name, status, "passed failed"
    local name=$1 status=$2 ok bad
    read -r ok bad <<<"$3"
    if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
        bad=1   # a suite that crashed or found nothing to count still fails
    fi
    passed=$((passed + ok))
    failed=$((failed + bad))
    printf '%-28s %5d passed %5d failed\n' "$name" "$ok" "$bad"
}

scripts/tidy.sh >"$log_dir/tidy.log" 2>&1
status=$?
[ $status -ne 0 ] && cat "$log_dir/tidy.log"
record "tidy (style limits)" $status "$([ $status -eq 0 ] && echo "1 0" || echo "0 1")"

for binary in build/"$mode"/tests/test_*; do
    [ -x "$binary" ] || continue
    name="unit/$(basename "$binary")"
    "$binary" --jobs 1 >"$log_dir/$(basename "$binary").log" 2>&1
    status=$?
    [ $status -ne 0 ] && tail -n 40 "$log_dir/$(basename "$binary").log"
    record "$name" $status "$(count_criterion "$log_dir/$(basename "$binary").log")"
done

# The integration suite runs once per io backend.
for backend in io_uring epoll; do
    [ -d tests/integration ] || break
    log="$log_dir/integration-$backend.log"
    KEEL_ARGS="${KEEL_ARGS:-} --io-backend $backend" \
        $python -m pytest tests/integration -q -p no:cacheprovider >"$log" 2>&1
    status=$?
    if [ $status -eq 5 ]; then status=1; fi   # no tests collected is a failure
    [ $status -ne 0 ] && tail -n 60 "$log"
    record "integration ($backend)" $status "$(count_pytest "$log")"
done

# The same unit and integration suites against an ASan + UBSan build (zero reports:
# any report aborts the server or the test binary, which fails the suite).
if [ "$mode" = release ] && [ "${KEEL_SKIP_ASAN:-}" != 1 ]; then
    if make --no-print-directory MODE=asan all unit >"$log_dir/asan-build.log" 2>&1; then
        export ASAN_OPTIONS="abort_on_error=1:detect_leaks=0"
        export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
        asan_ok=0; asan_bad=0
        for binary in build/asan/tests/test_*; do
            [ -x "$binary" ] || continue
            "$binary" --jobs 1 >"$log_dir/asan-$(basename "$binary").log" 2>&1 || {
                asan_bad=$((asan_bad + 1)); tail -n 30 "$log_dir/asan-$(basename "$binary").log"; }
            read -r ok bad <<<"$(count_criterion "$log_dir/asan-$(basename "$binary").log")"
            asan_ok=$((asan_ok + ok)); asan_bad=$((asan_bad + bad))
        done
        record "unit (asan)" 0 "$asan_ok $asan_bad"
        log="$log_dir/integration-asan.log"
        KEEL_BIN="$PWD/build/asan/keel" $python -m pytest tests/integration -q \
            -p no:cacheprovider >"$log" 2>&1
        status=$?
        [ $status -ne 0 ] && tail -n 60 "$log"
        record "integration (asan)" $status "$(count_pytest "$log")"
        unset ASAN_OPTIONS UBSAN_OPTIONS
    else
        tail -n 30 "$log_dir/asan-build.log"
        record "asan build" 1 "0 1"
    fi
fi

for script in tests/transcript/run.sh tests/benchmark/run.sh tests/diff/run.sh; do
    [ -x "$script" ] || continue
    name=$(basename "$(dirname "$script")")
    "$script" >"$log_dir/$name.log" 2>&1
    status=$?
    [ $status -ne 0 ] && tail -n 40 "$log_dir/$name.log"
    record "$name" $status "$(count_plain "$log_dir/$name.log")"
done

# Fuzzing: corpus replay, a bounded run, and the canary (FUZZ_SECONDS, default 30).
scripts/fuzz.sh >"$log_dir/fuzz.log" 2>&1
status=$?
[ $status -ne 0 ] && tail -n 40 "$log_dir/fuzz.log"
record "fuzz" $status "$(count_plain "$log_dir/fuzz.log")"

echo "logs: $log_dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
