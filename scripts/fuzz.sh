#!/usr/bin/env bash
# Builds the libFuzzer targets, replays each seed corpus, fuzzes each target for
# FUZZ_SECONDS (default 30), and checks that the canary build (a planted parser
# bug) is caught within CANARY_SECONDS. Targets:
#   fuzz_resp     the request parser alone (tests/fuzz/fuzz_resp.c)
#   fuzz_command  the whole command path in process (tests/fuzz/fuzz_command.c)
# Prints "<target>: Done N runs in S second(s), E exec/s" per fuzzing run and
# "fuzz: N passed, M failed" at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
canary_seconds=${CANARY_SECONDS:-60}
passed=0
failed=0
make --no-print-directory fuzz build/fuzz/fuzz_resp_canary >/dev/null || { echo "fuzz: 0 passed, 1 failed"; exit 1; }
work=$(mktemp -d /tmp/keel-fuzz.XXXXXX)

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAILED: $1"; [ -n "${2:-}" ] && tail -30 "$2"; }

# "Done 75077 runs in 61 second(s)" -> "<target>: Done ... , 1230 exec/s"
report_rate() {  # target, log
    grep -aE "^Done [0-9]+ runs in [0-9]+ second" "$2" | tail -1 |
        awk -v target="$1" '{ rate = $5 > 0 ? int($2 / $5) : $2;
                              print target ": " $0 ", " rate " exec/s" }'
}

# 1. Each corpus replays without a finding.
replay() {  # target, corpus
    if build/fuzz/"$1" -runs=0 "$2" >"$work/$1-replay.log" 2>&1; then
        pass
    else
        fail "$1 corpus replay" "$work/$1-replay.log"
    fi
}
replay fuzz_resp tests/fuzz/corpus/resp
replay fuzz_command tests/fuzz/corpus/command

# 2. The command dictionary names every command of commands.def: a command added since
#    tests/fuzz/command.dict was generated is added for this run (regenerate the file with
#    tests/fuzz/make_command_corpus.py to keep it).
command_dict="$work/command.dict"
cp tests/fuzz/command.dict "$command_dict"
missing=$(sed -nE 's/^COMMAND\("([a-z_|-]+)".*/\1/p' src/commands.def |
          while read -r name; do grep -qxF "\"$name\"" "$command_dict" || echo "$name"; done)
for name in $missing; do
    printf '"%s"\n"%s "\n' "$name" "$(tr '[:lower:]' '[:upper:]' <<<"$name")" >>"$command_dict"
done
[ -n "$missing" ] && echo "note: tests/fuzz/command.dict lacks $(echo $missing) (added for this run)"

# 3. A bounded fuzzing run of each target finds nothing (fresh copies of the corpora:
#    new inputs stay in the work directory). An input running 10 s is a hang.
fuzz_run() {  # target, corpus, dictionary
    mkdir -p "$work/$1-corpus"
    cp "$2"/* "$work/$1-corpus/"
    if build/fuzz/"$1" -max_total_time="$seconds" -timeout=10 -dict="$3" \
            -artifact_prefix="$work/$1-" "$work/$1-corpus" >"$work/$1-run.log" 2>&1; then
        pass
    else
        fail "$1 fuzzing" "$work/$1-run.log"
        ls "$work"/"$1"-crash-* "$work"/"$1"-timeout-* 2>/dev/null | sed 's/^/artifact: /'
    fi
    report_rate "$1" "$work/$1-run.log"
}
fuzz_run fuzz_resp tests/fuzz/corpus/resp tests/fuzz/resp.dict
fuzz_run fuzz_command tests/fuzz/corpus/command "$command_dict"
grep -a "^fuzz_command: [0-9]* inputs" "$work/fuzz_command-run.log" | tail -1
# Open keel bugs the harness waives (tests/fuzz/findings/README.md): shown, not failed.
grep -a "^fuzz_command: known bug" "$work/fuzz_command-run.log" | sed 's/^fuzz_command: /note: /'

# 4. The canary must be caught: a harness that cannot find a planted bug proves nothing.
if build/fuzz/fuzz_resp_canary -max_total_time="$canary_seconds" -dict=tests/fuzz/resp.dict \
        -artifact_prefix="$work/canary-" tests/fuzz/corpus/resp >"$work/canary.log" 2>&1; then
    failed=$((failed + 1)); echo "canary not found in ${canary_seconds}s"
else
    passed=$((passed + 1))
    grep -m1 -E "assertion failed|ERROR: " "$work/canary.log" | sed 's/^/canary found: /'
fi
echo "logs: $work"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
