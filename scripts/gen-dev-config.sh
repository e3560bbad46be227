#!/usr/bin/env bash
# Writes a hub configuration for all five partners, with the certificates of
# scripts/gen-dev-certs.sh. Used by tests and benchmarks.
#   gen-dev-config.sh OUT.xml CERT_DIR SQLITE_PATH PORT REFERENCE_DIR PLUGIN_DIR
set -euo pipefail
out=$1 certs=$2 db=$3 port=$4 reference=$5 plugins=$6
{
  cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<ketenhub xmlns="urn:ketenhub:config:1">
  <node id="ketenhub-test"/>
  <listener address="127.0.0.1" port="$port" threads="2">
    <tls client-ca="$certs/ca.pem" certificate="$certs/server.pem" private-key="$certs/server-key.pem"/>
  </listener>
  <storage><sqlite path="$db"/></storage>
  <reference directory="$reference"/>
  <plugins directory="$plugins"/>
  <programme start="2010-01-01" targets="$reference/programme-targets-2010.txt" countries="$reference/countries-40plus3.txt"/>
XML
  for partner in coa vwn iom mbt dtv; do
    printf '  <partner code="%s">\n    <certificate subject="CN=%s,OU=Partners,O=Ketenhub Development"/>\n' "$partner" "$partner"
    if [ "$partner" = dtv ]; then
      printf '    <adapter plugin="ketenhub_adapter_dtv.so">\n'
      printf '      <setting name="signing-key" path="%s/signing-key.pem"/>\n' "$certs"
      printf '      <setting name="signing-certificate" path="%s/signing.pem"/>\n' "$certs"
      printf '    </adapter>\n  </partner>\n'
    else
      printf '    <adapter plugin="ketenhub_adapter_%s.so"/>\n  </partner>\n' "$partner"
    fi
  done
  echo '</ketenhub>'
} > "$out"
