#!/bin/sh
# run-unit-tests.sh: run cmocka test programs, print their output, and add
# one line "unit PASSED FAILED SKIPPED" (test cases, from cmocka's
# summaries) to COUNTS.  A program that dies before its summary counts as
# one failed case.  Exit status 1 if any case failed.
#
#   scripts/run-unit-tests.sh COUNTS TEST...
set -u
counts=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
passed=0 failed=0 skipped=0

# The number in cmocka's summary line "[  WORD  ] N test(s)..." of (out).
summary() {
    sed -n "s/^\[  *$1 *\] \([0-9][0-9]*\) test(s).*/\1/p" "$out" |
        awk '{ n += $1 } END { print n + 0 }'
}

for t in "$@"; do
    echo "== $t"
    "$t" >"$out" 2>&1
    rc=$?
    cat "$out"
    p=$(summary PASSED) f=$(summary FAILED) s=$(summary SKIPPED)
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "== $t: exit status $rc without a failed case: counted as one"
        f=1
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "unit $passed $failed $skipped" >>"$counts"
echo "unit tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
