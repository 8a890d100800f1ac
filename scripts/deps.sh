#!/usr/bin/env bash
# Installs, only when missing, the Debian packages the build and the tests need.
set -euo pipefail
packages=(build-essential clang libclang-rt-14-dev liburing-dev libxxhash-dev nettle-dev
          libcriterion-dev python3-pytest python3-pytest-timeout python3-redis redis-server
          redis-tools strace procps)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "deps: installing ${missing[*]}"
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
# The packaged redis-server starts a service on 6379; the tests start their own.
if command -v systemctl >/dev/null 2>&1; then
    $sudo_cmd systemctl stop redis-server >/dev/null 2>&1 || true
fi
