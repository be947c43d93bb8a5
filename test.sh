#!/usr/bin/env bash
# Runs the whole NetPolHost test suite. First installs, from Debian packages, what the kernel and
# firewall tests need where it is missing (only as root; otherwise those tests skip and say why).
# Results: TestResults/*.trx (one per test project). Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v nft >/dev/null 2>&1 || need+=(nftables)
ldconfig -p 2>/dev/null | grep -q 'libnftables.so.1 ' || need+=(libnftables1)
command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v dbus-daemon >/dev/null 2>&1 || need+=(dbus-daemon)
[ -x /usr/bin/python3 ] || need+=(python3)
/usr/bin/python3 -c 'import dbus, gi' >/dev/null 2>&1 || need+=(python3-dbus python3-gi)
# The HTML report's test renders the page in headless Chromium.
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  if [ ${#need[@]} -gt 0 ]; then
    echo "test.sh: installing ${need[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  # firewalld runs unpacked (never installed or started on the host): the firewalld tests start it
  # on a private D-Bus inside a network namespace of their own.
  cache=tests/.cache/firewalld-debs
  if ! ls "$cache"/firewalld_*.deb >/dev/null 2>&1; then
    mkdir -p "$cache"
    (cd "$cache" && { apt-get download firewalld python3-firewall python3-nftables >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get download firewalld python3-firewall python3-nftables >/dev/null; }; }) \
      || echo "test.sh: could not download firewalld packages; firewalld integration tests will skip"
  fi
elif [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: not root, cannot install ${need[*]}; tests that need them will skip"
fi

rm -rf TestResults
# Test assemblies run one after another: the kernel tests time real packets, and the packaging test builds the
# whole solution; on two cores they must not compete. Inside an assembly, test classes still run in parallel.
exec dotnet test NetPolHost.sln --logger "trx" --results-directory TestResults "$@" -- RunConfiguration.MaxCpuCount=1
