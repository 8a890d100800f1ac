#!/usr/bin/env bash
# Differential test of keel against redis-server 7.0.15 (tests/diff/diff.py): one run with a
# fixed seed (200,000 operations) and one with a fresh random seed (50,000 operations), both in
# RESP2, then one in RESP3 (--resp3: HELLO 3 on both connections) with another fresh seed.
#
#   tests/diff/run.sh                                    # keel = build/keel
#   KEEL_BIN=/usr/bin/redis-server tests/diff/run.sh     # self-check: redis vs redis
#
# Env: KEEL_BIN, REDIS_BIN, KEEL_ARGS (see diff.py); DIFF_SEED (fixed seed, default 20261125),
# DIFF_OPS / DIFF_RANDOM_OPS / DIFF_RESP3_OPS (default 200000 / 50000 / 50000).
# Prints "diff: N passed, M failed" (N, M = runs); exit status 0 only when both passed.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
python=/usr/bin/python3
fixed_seed=${DIFF_SEED:-20261125}
random_seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
random_seed=$((random_seed % 2147483647 + 1))
passed=0
failed=0

run() {  # seed ops [extra diff.py flags]
    echo "---- diff.py --seed $1 --ops $2 ${3:-}"
    "$python" "$REPO/tests/diff/diff.py" --seed "$1" --ops "$2" ${3:-}
    local status=$?
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "---- FAILED (exit $status): seed $1, $2 operations ${3:-}"
    fi
}

run "$fixed_seed" "${DIFF_OPS:-200000}"
run "$random_seed" "${DIFF_RANDOM_OPS:-50000}"
run "$((random_seed % 2147483646 + 1))" "${DIFF_RESP3_OPS:-50000}" --resp3
echo "diff: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
