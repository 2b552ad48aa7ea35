#!/usr/bin/env bash
# Install the Debian packages xenemu needs to build, test, fuzz and bench.
# Prints what it checks and installs only what is missing.
set -eu

packages=(make gcc clang libc6-dev libxen-dev libcmocka-dev libclang-rt-14-dev
          libelf-dev clang-format)

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
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: done"
