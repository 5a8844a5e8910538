#!/bin/sh
# Installs what the local data plane runs (COMPUTE_DRIVER=local, NETWORK_DRIVER=local): Debian's
# octavia-agent (Octavia 11's unmodified amphora agent), the haproxy and keepalived it drives, and the
# tools the local drivers use (iproute2, util-linux's unshare/nsenter, iptables for the agent's LVS
# masquerade, procps' sysctl). Idempotent: installs only what is missing, and nothing when all is there.
#
# The packages' postinst scripts would start haproxy, keepalived and octavia-agent on the host; a
# temporary policy-rc.d forbids that (the amphorae start their own, each in its namespaces).
set -eu

PACKAGES="octavia-agent haproxy keepalived iproute2 util-linux iptables procps python3"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done
if [ -z "$missing" ]; then
  echo "data plane packages installed: $PACKAGES"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "installing$missing needs root" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ -n "$own_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

echo "== installing$missing"
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "data plane packages installed: $PACKAGES"
