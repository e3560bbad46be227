#!/usr/bin/env bash
# Installs everything Ketenhub needs to build, run and test, from Debian 12
# packages only. Idempotent: when every package is already there it does not
# touch apt at all. Run as root (or with sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev            # Asio + Beast (HTTPS)
  libssl-dev openssl          # TLS, hashes, development certificates
  libxml2-dev libxml2-utils   # XML parsing, XSD validation
  libxmlsec1-dev              # XML signatures (DT&V four-weekly report)
  libsqlite3-dev sqlite3      # the embedded store
  libjemalloc-dev             # the daemon's allocator (+19% ingest in bench/, docs/performance.md)
  nlohmann-json3-dev          # JSON: receipts, problem details, canonical events, logs
  libgtest-dev googletest     # tests
  iso-codes                   # ISO 3166-1 country codes
  curl ca-certificates        # pushing documents by hand, smoke checks
  chromium                    # the operator dashboard test (headless, tests/dashboard)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
