#!/usr/bin/env bash
# Installs what the server and the tests need, only when missing (idempotent):
# npm packages, then the Debian packages rtpengine-daemon and sip-tester.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v rtpengine >/dev/null 2>&1 || need_apt+=(rtpengine-daemon)
if [ "${1:-}" = "--test" ]; then
  command -v sipp >/dev/null 2>&1 || need_apt+=(sip-tester)
  command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)   # browser tests (playwright-core)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_apt[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# The Debian package enables a system rtpengine service on the default ports; we launch our own.

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages" >&2
  npm ci --no-audit --no-fund >/dev/null
fi
