#!/bin/sh
# test-summary.sh: the closing line of `make check`: every test case of
# every build (unit and guest), summed from each build's test-counts file
# (lines "KIND PASSED FAILED SKIPPED", written by run-unit-tests.sh and
# tests/guest/run.sh).  A build without results failed before its tests
# ran.  Exit status 1 if anything failed or is missing.
#
#   scripts/test-summary.sh BUILD_DIR...
set -u
passed=0 failed=0 skipped=0 missing=""
for b in "$@"; do
    if [ ! -s "$b/test-counts" ]; then
        missing="$missing $b"
        continue
    fi
    while read -r kind p f s; do
        passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    done <"$b/test-counts"
done
[ -z "$missing" ] || echo "check: no test results from:$missing (build failed?)"
echo "check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ -z "$missing" ]
