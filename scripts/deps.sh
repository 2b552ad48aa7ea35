#!/usr/bin/env bash
# Install the Debian packages xenemu needs to build, test, fuzz and bench.
# Prints what it checks and installs only what is missing.
set -eu

packages=(make gcc clang libc6-dev libxen-dev libcmocka-dev libclang-rt-14-dev
          libelf-dev libseccomp-dev libcap-ng-dev clang-format)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all build dependencies present (${packages[*]})"
    exit 0
fi

echo "deps: installing missing packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "deps: not root and no sudo: as root, run" >&2
        echo "    apt-get install ${missing[*]}" >&2
        exit 1
    fi
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Another apt or dpkg (unattended upgrades, a second build) may hold the
# lock: wait for it, up to 10 minutes, instead of failing at once.
lock_wait=(-o DPkg::Lock::Timeout=600)
$sudo apt-get "${lock_wait[@]}" update -qq
$sudo apt-get "${lock_wait[@]}" install -y -qq --no-install-recommends \
    "${missing[@]}"
echo "deps: done"
