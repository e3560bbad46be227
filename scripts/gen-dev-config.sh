#!/usr/bin/env bash
# Writes a hub configuration for all five partners, with the certificates of
# scripts/gen-dev-certs.sh. Used by tests and benchmarks.
#   gen-dev-config.sh OUT.xml CERT_DIR SQLITE_PATH PORT REFERENCE_DIR PLUGIN_DIR [PUSH_BASE [FIRST_PERIOD LAST_PERIOD]]
# With PUSH_BASE (https://localhost:PORT), COA, IOM and DT&V receive their
# messages at PUSH_BASE/coa, /iom, /dtv (the hub's client certificate:
# hub-client.pem) and VWN and MbT fetch theirs from their mailbox; with
# FIRST_PERIOD and LAST_PERIOD the four-weekly DT&V report is made for those periods.
set -euo pipefail
out=$1 certs=$2 db=$3 port=$4 reference=$5 plugins=$6 push=${7:-} first=${8:-} last=${9:-}
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
  if [ -n "$push" ]; then
    echo '  <outbound max-attempts="20" initial-backoff-ms="200" max-backoff-ms="5000">'
    printf '    <tls server-ca="%s/ca.pem" certificate="%s/hub-client.pem" private-key="%s/hub-client-key.pem"/>\n' "$certs" "$certs" "$certs"
    [ -n "$first" ] && printf '    <four-weekly-report partner="dtv" first-period="%s" last-period="%s"/>\n' "$first" "$last"
    echo '  </outbound>'
  fi
  for partner in coa vwn iom mbt dtv; do
    printf '  <partner code="%s">\n    <certificate subject="CN=%s,OU=Partners,O=Ketenhub Development"/>\n' "$partner" "$partner"
    if [ "$partner" = dtv ]; then
      printf '    <adapter plugin="ketenhub_adapter_dtv.so">\n'
      printf '      <setting name="signing-key" path="%s/signing-key.pem"/>\n' "$certs"
      printf '      <setting name="signing-certificate" path="%s/signing.pem"/>\n' "$certs"
      printf '    </adapter>\n'
    else
      printf '    <adapter plugin="ketenhub_adapter_%s.so"/>\n' "$partner"
    fi
    if [ -n "$push" ]; then
      case $partner in
        vwn|mbt) printf '    <delivery><mailbox/></delivery>\n' ;;
        *) printf '    <delivery><push url="%s/%s" timeout-ms="5000"/></delivery>\n' "$push" "$partner" ;;
      esac
    fi
    printf '  </partner>\n' 
  done
  echo '</ketenhub>'
} > "$out"
