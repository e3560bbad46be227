#!/usr/bin/env bash
# Smoke test of the load generator (ctest label bench-smoke): a real hub on a
# temporary config (port 0, fresh certificates, temporary SQLite store), a few
# hundred requests in each mode with the samples of every partner whose adapter
# is built; every answer must be 202, the result line must be JSON, the store
# must hold every accepted document, every record in it must be new (the load
# generator renumbers message, record and export ids per request) and the
# synthetic persons must not contradict each other.
#   bench/smoke.sh KETENHUB LOADGEN PLUGIN_DIR SOURCE_DIR
set -euo pipefail
hub=$(realpath "$1") loadgen=$(realpath "$2") plugins=$(realpath "$3") src=$(realpath "$4")
tmp=$(mktemp -d)
hub_pid=
cleanup() {
  if [ -n "$hub_pid" ] && kill -0 "$hub_pid" 2>/dev/null; then kill -TERM "$hub_pid"; wait "$hub_pid" || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "bench-smoke: FAIL: $*" >&2; [ -f "$tmp/hub.log" ] && tail -20 "$tmp/hub.log" >&2; exit 1; }

# Every partner whose adapter is built: the load generator's mix is the
# five partners' inbound samples, each made unique per request.
partners=()
for p in coa vwn iom mbt dtv; do [ -f "$plugins/ketenhub_adapter_$p.so" ] && partners+=("$p"); done
[ "${partners[0]:-}" = coa ] || fail "$plugins/ketenhub_adapter_coa.so is not built"
bash "$src/scripts/gen-dev-certs.sh" "$tmp/certs" >/dev/null 2>&1
{
  cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<ketenhub xmlns="urn:ketenhub:config:1">
  <node id="bench-smoke"/>
  <logging level="info"/>
  <listener address="127.0.0.1" port="0" threads="2">
    <tls client-ca="$tmp/certs/ca.pem" certificate="$tmp/certs/server.pem" private-key="$tmp/certs/server-key.pem"/>
  </listener>
  <storage><sqlite path="$tmp/hub.db" synchronous="full"/></storage>
  <reference directory="$src/config/reference" iso3166="/usr/share/iso-codes/json/iso_3166-1.json"/>
  <plugins directory="$plugins"/>
EOF
  for p in "${partners[@]}"; do
    settings=
    [ "$p" = dtv ] && settings="<setting name=\"signing-key\" path=\"$tmp/certs/signing-key.pem\"/><setting name=\"signing-certificate\" path=\"$tmp/certs/signing.pem\"/>"
    printf '  <partner code="%s"><certificate subject="CN=%s,OU=Partners,O=Ketenhub Development"/><adapter plugin="ketenhub_adapter_%s.so">%s</adapter></partner>\n' \
      "$p" "$p" "$p" "$settings"
  done
  echo '</ketenhub>'
} > "$tmp/hub.xml"

"$hub" serve --config "$tmp/hub.xml" 2> "$tmp/hub.log" &
hub_pid=$!
port=
for _ in $(seq 1 100); do
  port=$(grep '"event":"listening"' "$tmp/hub.log" 2>/dev/null | grep -o '"port":[0-9]*' | head -1 | cut -d: -f2 || true)
  [ -n "$port" ] && break
  kill -0 "$hub_pid" 2>/dev/null || fail "the hub exited before listening"
  sleep 0.1
done
[ -n "$port" ] || fail "no listening line from the hub"

common=(--url "https://127.0.0.1:$port/v1/messages" --ca "$tmp/certs/ca.pem" --cert-dir "$tmp/certs"
        --threads 1 --timeout-ms 10000 --quiet)
for p in "${partners[@]}"; do common+=(--samples "$src/adapters/$p/contract/samples/valid"); done

# json FIELD JSON: one field of a JSON document (the SQLite CLI parses it).
json() { sqlite3 :memory: "SELECT json_extract('${2//\'/\'\'}', '$1')"; }
check() { # name expected-count json-line
  local name=$1 want=$2 line=$3
  [ "$(sqlite3 :memory: "SELECT json_valid('${line//\'/\'\'}')")" = 1 ] || fail "$name: result is not JSON: $line"
  local completed ok errors
  completed=$(json '$.completed' "$line"); ok=$(json "$4" "$line"); errors=$(json '$.status.errors' "$line")
  [ "$completed" = "$want" ] || fail "$name: $completed answers, expected $want: $line"
  [ "$ok" = "$want" ] || fail "$name: $ok of $want answers were right: $line"
  [ "$errors" = 0 ] || fail "$name: $errors errors: $line"
  echo "bench-smoke: $name OK: $line"
}

out=$("$loadgen" "${common[@]}" --mode closed --connections 5 --requests 3000 --pad-to 2048 --expect-status 202) || fail "closed loop: $out"
check "closed loop, keep-alive" 3000 "$out" '$.status.202'
# Request numbers 15,625 apart put persons 8,000,000 apart: the six digits of
# VWN's client number alone would give two V-nummers the same client number.
out=$("$loadgen" "${common[@]}" --mode closed --connections 5 --requests 300 --first-request 15625 --expect-status 202) ||
  fail "closed loop from request 15625: $out"
check "closed loop, numbered from 15625" 300 "$out" '$.status.202'
out=$("$loadgen" "${common[@]}" --mode open --rate 200 --connections 5 --requests 100 --expect-status 202)
check "open loop" 100 "$out" '$.status.202'
[ "$(json '$.latency_ms.p50' "$out")" != 0 ] || fail "open loop: no latency measured: $out"
out=$("$loadgen" "${common[@]}" --mode closed --fresh-connections --connections 2 --requests 30 --expect-status 202)
check "fresh connections" 30 "$out" '$.status.202'
[ "$(json '$.handshakes' "$out")" = 30 ] || fail "fresh connections: expected 30 handshakes: $out"
[ "$(json '$.ec_key_reading' "$out")" = builtin ] || fail "fresh connections: EC keys not read by OpenSSL's built-in code: $out"
out=$("$loadgen" "${common[@]}" --handshakes-only --connections 2 --requests 30)
check "handshakes only" 30 "$out" '$.handshakes'
out=$("$loadgen" "${common[@]}" --handshakes-only --connections 2 --requests 30 --openssl-key-decoders)
check "handshakes only, keys through OpenSSL's decoders" 30 "$out" '$.handshakes'
[ "$(json '$.ec_key_reading' "$out")" = openssl_decoders ] || fail "--openssl-key-decoders: $out"

kill -TERM "$hub_pid"
wait "$hub_pid" || fail "the hub did not stop cleanly"
hub_pid=
stored=$(sqlite3 "$tmp/hub.db" "SELECT count(*) FROM documents")
[ "$stored" = 3430 ] || fail "the store holds $stored documents, expected 3430"
echo "bench-smoke: store holds $stored documents"
# Every copy of a sample is a new document with new records (message, record
# and export ids renumbered per request): none is a duplicate or already known.
outcomes="SELECT d.partner, d.document_type, json_extract(r.value, '\$.outcome'), count(*)
          FROM documents d, json_each(d.receipt, '\$.records') r GROUP BY 1, 2, 3"
others=$(sqlite3 "$tmp/hub.db" "SELECT count(*) FROM documents d, json_each(d.receipt, '\$.records') r
                                 WHERE json_extract(r.value, '\$.outcome') <> 'accepted'")
[ "$others" = 0 ] || fail "$others records were not accepted: $(sqlite3 "$tmp/hub.db" "$outcomes")"
senders=$(sqlite3 "$tmp/hub.db" "SELECT count(DISTINCT partner) FROM documents")
[ "$senders" = "${#partners[@]}" ] || fail "documents from $senders partners, expected ${#partners[@]} (${partners[*]})"
# The synthetic persons are consistent: no V-nummer with two birth dates, no
# partner number under two V-nummers.
issues=$(sqlite3 "$tmp/hub.db" "SELECT count(*) FROM identity_issues WHERE kind <> 'candidate'")
[ "$issues" = 0 ] || fail "$issues identity conflicts: $(sqlite3 "$tmp/hub.db" "SELECT kind, detail FROM identity_issues LIMIT 3")"
echo "bench-smoke: every record accepted, documents from ${#partners[@]} partners, no identity conflicts"
