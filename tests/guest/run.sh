#!/bin/sh
# run.sh: the guest tests.  Runs xenemu's guest kernel on each backend named
# and checks what the guests print (their RESULT lines, the event-channel
# ABI they chose) and how `xenemu run` exits.
#
#   tests/guest/run.sh PATH/TO/xenemu BACKEND...     (BACKEND: sim, kvm)
#
# Where /dev/kvm is not usable, the KVM cases fail, or, with
# GUEST_KVM_OPTIONAL=1 (make check's default), are each counted as skipped
# with the reason.  With GUEST_COUNTS=FILE, the line "guest PASSED FAILED
# SKIPPED" is added to FILE.
set -u
XENEMU=$1
shift
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
TIMEOUT=${GUEST_TEST_TIMEOUT:-300}
failed=0
passed=0
skipped=0
skip_why="" # set: every case is counted as skipped, for this reason

# skipping CASE: count CASE as skipped (true) if skip_why is set.
skipping() {
    [ -n "$skip_why" ] || return 1
    echo "skip - $1: $skip_why"
    skipped=$((skipped + 1))
}

# verdict CASE WHY [LOG]: CASE passed if WHY is empty, else it failed
# (with LOG's lines, if given).
verdict() {
    if [ -z "$2" ]; then
        echo "ok - $1"
        passed=$((passed + 1))
        return
    fi
    if [ -n "${3:-}" ]; then
        echo "FAIL - $1: $2; output:"
        sed 's/^/    /' "$3"
    else
        echo "FAIL - $1: $2"
    fi
    failed=$((failed + 1))
}

# expect NAME BACKEND STATUS CFG PATTERN...: run CFG on BACKEND; the exit
# status must be STATUS and every PATTERN (an extended regex) must match a
# line of the output (stdout and stderr together).
expect() {
    name=$1 backend=$2 status=$3 cfg=$4
    shift 4
    skipping "$backend $name" && return
    log="$OUT/$backend-$name.log"
    case $cfg in /*) ;; *) cfg="$ROOT/$cfg" ;; esac
    "$XENEMU" run --backend "$backend" --timeout "$TIMEOUT" "$cfg" \
        >"$log" 2>&1
    rc=$?
    why=""
    [ "$rc" -eq "$status" ] || why="exit status $rc, expected $status"
    for pattern in "$@"; do
        [ -n "$why" ] && break
        grep -Eq -- "$pattern" "$log" || why="no line matches '$pattern'"
    done
    verdict "$backend $name" "$why" "$log"
}

run_cases() {
    b=$1
    expect pingpong "$b" 0 examples/pingpong.cfg \
        '^\[ping\] RESULT pingpong PASS role=ping port=1 sent=200 received=200$' \
        '^\[pong\] RESULT pingpong PASS role=pong port=[0-9]+ sent=200 received=200$' \
        '^\[ping\] .*evtchn FIFO' 'ping \(domain 1, '"$b"'\): poweroff' \
        'pong \(domain 2, '"$b"'\): poweroff'
    expect ipi "$b" 0 tests/guest/ipi.cfg \
        '^RESULT ipi PASS vcpus=2 events=200 handled=200$'
    expect priority "$b" 0 tests/guest/priority.cfg '^RESULT priority PASS'
    expect timer "$b" 0 tests/guest/timer.cfg '^RESULT timer PASS count=20 events=20'
    expect mask "$b" 0 tests/guest/mask.cfg '^RESULT mask PASS'
    expect all-fifo "$b" 0 tests/guest/all-fifo.cfg 'evtchn FIFO' \
        '^RESULT priority PASS' '^RESULT all PASS'
    # The 2-level fallback: the disable flag and Xen 4.3 both answer
    # init_control with -ENOSYS; fifo_events=0 never asks.
    expect fallback-flag "$b" 0 tests/guest/fallback-flag.cfg \
        'evtchn: 2-level \(init_control: -38\)' '^RESULT priority SKIP' \
        '^RESULT ipi PASS' '^RESULT all PASS'
    expect fallback-4.3 "$b" 0 tests/guest/fallback-4.3.cfg \
        'Xen 4\.3' 'evtchn: 2-level \(init_control: -38\)' '^RESULT all PASS'
    expect fifo-events-0 "$b" 0 tests/guest/fifo-events-0.cfg \
        'evtchn: 2-level \(fifo_events=0\)' '^RESULT all PASS'
    expect enosys-fallback "$b" 0 tests/guest/enosys-fallback.cfg \
        'evtchn: 2-level \(init_control: -38\)' '^RESULT mask PASS'
    # Many ports at once: the FIFO event array grows past its first page
    # (expand_array); 2-level up to 4000 ports; max_event_channels holds.
    expect ports-fifo "$b" 0 tests/guest/ports-fifo.cfg \
        '^RESULT ports PASS ports=1500 delivered=1500 .*abi=fifo'
    expect ports-2l "$b" 0 tests/guest/ports-2l.cfg \
        '^RESULT ports PASS ports=4000 delivered=4000 .*abi=2l'
    # max_event_channels = 1023: ports 1 to 1023, of which the kernel
    # holds 2 (VIRQ_TIMER and the kick IPI of vCPU 0), so the 1022nd bind
    # is the first past the limit.
    expect ports-limit "$b" 1 tests/guest/ports-limit.cfg \
        '^RESULT ports FAIL bind_ipi 1022 of 1500: -28$'
    # count=0 checks nothing: it must fail, not pass.
    expect count-zero-ipi "$b" 1 tests/guest/count-zero-ipi.cfg \
        '^RESULT ipi FAIL count=0 is not 1 to [0-9]+$'
    expect count-zero-timer "$b" 1 tests/guest/count-zero-timer.cfg \
        '^RESULT timer FAIL count=0 is not 1 to [0-9]+$'
    # A failing guest test crashes its domain: exit status 1.
    expect guest-failure "$b" 1 tests/guest/unknown-test.cfg \
        '^RESULT .*FAIL' 'unknown-test \(domain 1, '"$b"'\): crash'
    # Xen's HVM debug port and CONSOLEIO_write: whole lines of printable
    # characters only (no ESC, BEL, CR, BS or 8-bit bytes), one shared
    # line buffer.
    expect debugcon "$b" 0 tests/guest/debugcon.cfg \
        '^debugcon port: \[31mred text$' '^debugcon io: \[31mred text$' \
        '^debugcon shared: io\+port$' '^RESULT debugcon PASS'
    expect_clean debugcon "$b"
    # SCHEDOP_watchdog: fed three times, then left to expire: the domain
    # ends with SHUTDOWN_watchdog (exit status 1, not a crash).
    expect watchdog "$b" 1 tests/guest/watchdog.cfg \
        '^watchdog: slot 1 fed 3 times, now left to expire$' \
        'wd \(domain 1, '"$b"'\): watchdog$'
    # The hypercall-page MSR takes any frame of RAM, below 1 MiB too.
    expect hcpage "$b" 0 tests/guest/hcpage.cfg \
        '^RESULT hcpage PASS gpa=0x9000 version=0x40011$'
    # More vCPUs than the guest kernel drives: said, not silent.
    expect vcpus-40 "$b" 0 tests/guest/vcpus-40.cfg \
        '^xenemu-guest: using 32 of 40 vCPUs \(this kernel drives at most 32\)$' \
        '^RESULT ipi PASS vcpus=32'
    # A corrupt kernel is refused by every backend with the same message,
    # before any guest runs.
    bad_images "$b"
    # SIGINT stops the domains: per-domain lines, exit status 130.
    expect_signal INT 130 "$b"
}

# expect_clean NAME BACKEND: the log of an earlier expect has no control
# character but tabs (what the guest wrote went through the filter).
expect_clean() {
    skipping "$2 $1-clean" && return
    why=""
    if LC_ALL=C grep -q '[^[:print:][:space:]]' "$OUT/$2-$1.log" ||
        LC_ALL=C grep -q "$(printf '\r')" "$OUT/$2-$1.log"; then
        why="a control character reached the log"
    fi
    verdict "$2 $1-clean" "$why"
}

# bad_images BACKEND: truncated and corrupted copies of the guest image.
bad_images() {
    img="$ROOT/build/guest/xenemu-guest.elf"
    head -c 40 "$img" >"$OUT/truncated.elf"
    head -c 3000 "$img" >"$OUT/cut.elf"
    { printf '\177ELF\001'; tail -c +6 "$img"; } >"$OUT/class32.elf"
    for bad in truncated:'truncated ELF header' \
        cut:'segment 0 beyond the end of the file' \
        class32:'bad program header size'; do
        f=${bad%%:*}
        printf 'name = "bad"\nkernel = "%s"\n' "$OUT/$f.elf" >"$OUT/$f.cfg"
        expect "image-$f" "$1" 2 "$OUT/$f.cfg" \
            "^xenemu: bad: .*$f\.elf: (${bad#*:})"
    done
}

# sandbox_check BACKEND PID: while PID's guests run, none of its threads
# has a capability left (as root too), and its vCPU threads (one per
# guest here) run under their seccomp filter.  GUEST_RUNTIME_THREADS
# threads that a sanitizer's runtime started before main() (TSan's
# background thread) are beyond xenemu's reach and not counted.
sandbox_check() {
    caps=$((0 - ${GUEST_RUNTIME_THREADS:-0})) filtered=0
    for st in /proc/"$2"/task/*/status; do
        eff=$(sed -n 's/^CapEff:[[:space:]]*//p' "$st")
        [ "$eff" = 0000000000000000 ] || caps=$((caps + 1))
        grep -q '^Seccomp:[[:space:]]*2$' "$st" && filtered=$((filtered + 1))
    done
    why=""
    [ "$caps" -le 0 ] && [ "$filtered" -ge 2 ] ||
        why="$caps threads with capabilities, $filtered filtered"
    verdict "$1 sandbox" "$why"
}

# expect_signal SIG STATUS BACKEND: send SIG to a run of two long guests
# once both have booted; every domain is reported stopped.
expect_signal() {
    sig=$1 status=$2 b=$3
    if skipping "$b signal-$sig"; then
        skipping "$b sandbox"
        return
    fi
    log="$OUT/$b-signal-$sig.log"
    "$XENEMU" run --backend "$b" --timeout "$TIMEOUT" \
        "$ROOT/tests/guest/pingpong-100k.cfg" >"$log" 2>&1 &
    pid=$!
    # Both guests have printed their boot line (bounded wait, no timing
    # assumption about how long that takes).
    n=0
    while [ "$(grep -c 'evtchn FIFO$' "$log")" -lt 2 ] && [ $n -lt 600 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    sandbox_check "$b" "$pid"
    kill -"$sig" "$pid"
    wait "$pid"
    rc=$?
    why=""
    [ "$rc" -eq "$status" ] &&
        grep -q "^xenemu: SIG$sig: stopping every domain" "$log" &&
        grep -q "ping (domain 1, $b): stopped by SIG$sig" "$log" &&
        grep -q "pong (domain 2, $b): stopped by SIG$sig" "$log" ||
        why="exit status $rc (expected $status) or a stop line missing"
    verdict "$b signal-$sig" "$why" "$log"
}

for backend in "$@"; do
    case $backend in
    kvm)
        if ! why=$("$XENEMU" backends | grep '^kvm: '); then
            echo "FAIL - cannot ask xenemu which backends are usable"
            failed=$((failed + 1))
            continue
        fi
        if [ "$why" != "kvm: usable" ]; then
            if [ "${GUEST_KVM_OPTIONAL:-0}" != 1 ]; then
                echo "FAIL - kvm guest tests asked for, but ${why}"
                failed=$((failed + 1))
                continue
            fi
            skip_why=${why#kvm: }
        fi
        run_cases kvm
        skip_why=""
        ;;
    sim)
        run_cases sim
        expect pingpong-100k sim 0 tests/guest/pingpong-100k.cfg \
            '^\[ping\] RESULT pingpong PASS .*sent=100000 received=100000$' \
            '^\[pong\] RESULT pingpong PASS .*sent=100000 received=100000$'
        ;;
    *)
        echo "run.sh: unknown backend '$backend'" >&2
        exit 2
        ;;
    esac
done
# Errors at the edge: one line naming the file, line and key.
expect bad-config sim 2 tests/guest/bad-memory.cfg \
    'bad-memory\.cfg:2: memory: .*not an integer'
expect small-memory sim 2 tests/guest/sim-small-memory.cfg \
    'sim-small-memory\.cfg:7: memory: 2 MiB of memory is too little for the sim backend with 4 vCPUs'
# A named pipe as the configuration: refused at once, not read forever.
mkfifo "$OUT/fifo.cfg"
expect fifo-config sim 2 "$OUT/fifo.cfg" 'fifo\.cfg: not a regular file$'

echo "guest tests: $passed passed, $failed failed, $skipped skipped"
[ -z "${GUEST_COUNTS:-}" ] ||
    echo "guest $passed $failed $skipped" >>"$GUEST_COUNTS"
[ "$failed" -eq 0 ]
