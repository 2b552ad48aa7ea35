#!/bin/sh
# The guest kernel's common code (guest/*.c) must have no mutable static
# data: the sim backend runs several domains' kernels in one process, so
# all state lives in struct kernel / struct cpu in each domain's RAM.
# Usage: check-guest-static.sh OBJ...   (the freestanding KVM objects)
status=0
for obj in "$@"; do
    bad=$(size -A "$obj" | awk '($1 ~ /^\.(data|bss)/) && $2 > 0 { print $1 " " $2 }')
    if [ -n "$bad" ]; then
        echo "$obj: guest code must not have static data: $bad" >&2
        status=1
    fi
done
exit $status
