#!/usr/bin/env bash
# The acceptance check for reports on a busy machine: while 2 x cores busy loops keep every core
# busy, run the test suite and the main job ROUNDS times each (default 3) and report pass/fail.
#
#   scripts/under-load.sh                      # make test and make run, 3 rounds each (or: make under-load)
#   ROUNDS=5 scripts/under-load.sh             # more rounds
#   scripts/under-load.sh tests/test_runner.py tests/test_reports.py tests/test_notebooks.py
#                                              # only these test files (pytest arguments), then make run
#   RUN=0 scripts/under-load.sh tests/test_kernels.py   # tests only, no make run
#
# Environment: ROUNDS (3), BUSY (busy loops, default 2 x cores), MAX_S (the busy loops' time limit,
# default 3 hours: they are also killed when this script exits), RUN (1: also make run).
# Exit status 0 only if every round passed.  Logs go to a temporary folder printed at the start.
set -u
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
CORES=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)
BUSY=${BUSY:-$((2 * CORES))}
MAX_S=${MAX_S:-10800}
RUN=${RUN:-1}
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/under-load.XXXXXX")

busy_pids=()
stop_busy() {
    for pid in "${busy_pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait "${busy_pids[@]}" 2>/dev/null
    busy_pids=()
}
trap stop_busy EXIT
trap 'stop_busy; exit 130' INT TERM

make install >/dev/null || { echo "make install failed" >&2; exit 2; }

echo "under load: $BUSY busy loops on $CORES cores; $ROUNDS rounds; logs in $LOGS"
for _ in $(seq "$BUSY"); do
    timeout "$MAX_S" sh -c 'while :; do :; done' &
    busy_pids+=($!)
done

failed=0
step() {  # step NAME ROUND COMMAND...: run, log, print one line
    local name=$1 round=$2 log start code
    shift 2
    log="$LOGS/$name-$round.log"
    start=$(date +%s)
    "$@" >"$log" 2>&1
    code=$?
    if [ "$code" -eq 0 ]; then
        echo "round $round: $name PASS ($(( $(date +%s) - start )) s)"
    else
        failed=$((failed + 1))
        echo "round $round: $name FAIL (exit $code, $(( $(date +%s) - start )) s; log $log)"
        tail -n 15 "$log" | sed 's/^/    /'
    fi
}

for round in $(seq "$ROUNDS"); do
    if [ $# -gt 0 ]; then
        step "pytest" "$round" .venv/bin/python -m pytest -q "$@"
    else
        step "make-test" "$round" make test
    fi
    if [ "$RUN" = 1 ]; then
        step "make-run" "$round" make run
    fi
done
.venv/bin/analysis runner stop >/dev/null 2>&1  # this project's runner, if a step left one

if [ "$failed" -eq 0 ]; then
    echo "under load: all rounds passed"
else
    echo "under load: $failed step(s) failed"
fi
[ "$failed" -eq 0 ]
