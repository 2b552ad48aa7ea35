#!/usr/bin/env bash
# doc-samples.sh: rewrite the command samples in the documentation from
# real runs, so that no sample is shorter than (or different from) what the
# command prints.
#
#   scripts/doc-samples.sh FILE.md...        (make doc-samples)
#
# A sample is a marker line followed by a fenced block:
#     <!-- sample: build/plain/xenemu run examples/pingpong.cfg -->
#     ```
#     ...
#     ```
# The block becomes "$ COMMAND" (with the build/plain/ prefix dropped, as a
# user with xenemu installed types it) and everything the command printed,
# stdout and stderr in the order they came.  Commands run from the top of
# the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

rewrite() {
    local file=$1 tmp line cmd skipping=0 fences=0

    tmp=$(mktemp)
    while IFS= read -r line || [ -n "$line" ]; do
        if [ "$skipping" -eq 1 ]; then
            # The old block: its opening fence, then up to its closing one.
            case $line in '```'*) fences=$((fences + 1)) ;; esac
            [ "$fences" -ge 2 ] && skipping=0
            continue
        fi
        printf '%s\n' "$line" >>"$tmp"
        if [[ $line =~ ^'<!-- sample: '(.*)' -->'$ ]]; then
            cmd=${BASH_REMATCH[1]}
            {
                echo '```'
                echo "\$ ${cmd//build\/plain\//}"
                bash -c "$cmd" 2>&1 || true
                echo '```'
            } >>"$tmp"
            skipping=1 fences=0
        fi
    done <"$file"
    mv "$tmp" "$file"
    echo "doc-samples: $file"
}

for f in "$@"; do
    rewrite "$f"
done
