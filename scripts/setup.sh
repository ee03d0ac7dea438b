#!/usr/bin/env bash
# Installs the Debian packages EasyNets needs, skipping those already installed.
# Usage: scripts/setup.sh
set -euo pipefail

# iproute2: the test hosts of scripts/multihost.sh (ip, tc).
packages=(pkg-config libopenblas-dev liblapacke-dev zlib1g-dev dataset-fashion-mnist libopenmpi-dev openmpi-bin fortunes iproute2)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y "${missing[@]}"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "error: the Swift toolchain (swift 6.0 or later) is not on PATH; install it from swift.org" >&2
    exit 1
fi
