#!/usr/bin/env bash
# Install the real peers the conformance tests run against (Debian packages). Idempotent: installs
# only what is missing, and refreshes the package lists only when something has to be installed.
set -euo pipefail

PACKAGES=(docker.io docker-registry skopeo umoci busybox-static apache2-utils openssl runc time)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-peers: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-peers: missing ${missing[*]}; run as root to install them" >&2
  exit 1
fi

log=$(mktemp /tmp/install-peers.XXXXXX.log)
fail() {
  echo "install-peers: $1 failed; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
}

# The tests start private daemons of their own: keep the packages' services (dockerd, the registry)
# from starting on install, unless the machine already has a policy about it.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi

echo "install-peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >>"$log" 2>&1 || fail "apt-get update"
apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1 || fail "apt-get install ${missing[*]}"

for pkg in "${missing[@]}"; do
  installed "$pkg" || fail "installing $pkg"
done
rm -f "$log"
echo "install-peers: done"
