#!/usr/bin/env bash
# Development certificates for a local hub: a CA, a server certificate for
# localhost, one client certificate per partner (coa vwn iom mbt dtv) and one
# for an operator of the admin listener (operator.pem), the hub's own client
# certificate for push delivery (hub-client.pem), a server certificate for a
# partner endpoint on this machine (partner-endpoint.pem),
# all ECDSA P-256. Existing files are kept, so running it again is harmless.
#   scripts/gen-dev-certs.sh [DIR]      (default: dev-certs/ in the repository)
set -euo pipefail
dir=${1:-"$(cd "$(dirname "$0")/.." && pwd)/dev-certs"}
mkdir -p "$dir"
cd "$dir"
org="/O=Ketenhub Development"

key() { [ -f "$1" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

if [ ! -f ca.pem ]; then
  key ca-key.pem
  openssl req -x509 -new -key ca-key.pem -sha256 -days 3650 -subj "$org/CN=Ketenhub Development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
fi

issue() { # name subject extensions
  local name=$1 subject=$2 ext=$3
  [ -f "$name.pem" ] && return 0
  key "$name-key.pem"
  openssl req -new -key "$name-key.pem" -subj "$subject" -out "$name.csr"
  printf '%b' "$ext" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 825 -sha256 \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

issue server "$org/OU=Hub/CN=localhost" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
issue operator "$org/OU=Operators/CN=operator" "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
# The hub signs every document it sends to DT&V with this certificate's key.
issue signing "$org/OU=Hub/CN=Ketenhub document signing" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"
# The hub's client certificate for pushing to partners' endpoints (<outbound><tls>).
issue hub-client "$org/OU=Hub/CN=ketenhub" "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
# A partner endpoint on this machine (tests, benchmarks, a local try-out of push delivery).
issue partner-endpoint "$org/OU=Partners/CN=localhost" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
for partner in coa vwn iom mbt dtv; do
  issue "$partner" "$org/OU=Partners/CN=$partner" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
done
echo "development certificates in $dir"
