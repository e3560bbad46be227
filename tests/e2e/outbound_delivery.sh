#!/usr/bin/env bash
# The outbound path end to end, as the partners see it: the real hub with all
# five partners, COA, IOM and DT&V receiving at a real HTTPS endpoint with
# mutual TLS (build/ketenhub-partner-endpoint, the hub's own server code),
# VWN and MbT fetching from their mailbox with curl. Every partner pushes its
# published samples; then:
#  - the routed messages and the four-weekly DT&V report arrive, each once,
#    sent with the hub's client certificate; the first answer is a 503, so
#    one message is only delivered on its retry;
#  - MbT fetches its Verwijzing and confirms it; it is gone from the mailbox;
#    a partner sees only its own mailbox;
#  - a restart sends nothing twice;
#  - with the endpoint down a new message waits (retried, not lost), survives
#    kill -9 of the hub, and is delivered once the endpoint is back.
#   outbound_delivery.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
hub_pid= endpoint_pid=
cleanup() {
  [ -n "$hub_pid" ] && kill -KILL "$hub_pid" 2>/dev/null || true
  [ -n "$endpoint_pid" ] && kill -KILL "$endpoint_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [ -f "$work/hub.log" ] && tail -n 30 "$work/hub.log" >&2
  [ -f "$work/endpoint/received.jsonl" ] && cat "$work/endpoint/received.jsonl" >&2
  exit 1
}

certs=$work/certs
bash "$src/scripts/gen-dev-certs.sh" "$certs" >/dev/null
mkdir -p "$work/endpoint"

start_endpoint() { # [port] [answers]
  rm -f "$work/endpoint.port"
  "$build/ketenhub-partner-endpoint" --certificate "$certs/partner-endpoint.pem" --private-key "$certs/partner-endpoint-key.pem" \
    --client-ca "$certs/ca.pem" --out "$work/endpoint" --port-file "$work/endpoint.port" --port "${1:-0}" \
    --answers "${2:-202}" --retry-after 0 >/dev/null 2>"$work/endpoint.log" &
  endpoint_pid=$!
  for _ in $(seq 1 100); do [ -s "$work/endpoint.port" ] && break; sleep 0.05; done
  [ -s "$work/endpoint.port" ] || fail "the partner endpoint did not start: $(cat "$work/endpoint.log")"
  eport=$(cat "$work/endpoint.port")
}
start_hub() {
  : > "$work/hub.log"
  "$build/ketenhub" serve --config "$work/ketenhub.xml" 2>>"$work/hub.log" &
  hub_pid=$!
  port=
  for _ in $(seq 1 100); do
    port=$(grep -o '"event":"listening"[^}]*"port":[0-9]*' "$work/hub.log" 2>/dev/null | head -1 | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    kill -0 "$hub_pid" 2>/dev/null || fail "the hub did not start"
    sleep 0.1
  done
  [ -n "$port" ] || fail "the hub did not report its port"
}
received() { [ -f "$work/endpoint/received.jsonl" ] && wc -l < "$work/endpoint/received.jsonl" || echo 0; }
# Waits until the endpoint has received a document of type $1 (canonical outbound type), at most 30 s.
wait_for_type() {
  for _ in $(seq 1 300); do
    grep -q "\"type\":\"$1\"" "$work/endpoint/received.jsonl" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "the endpoint never received a $1"
}
call() { # partner method path -> status; body in $work/body
  curl -sS --cacert "$certs/ca.pem" --cert "$certs/$1.pem" --key "$certs/$1-key.pem" -X "$2" \
    -o "$work/body" -D "$work/headers" -w '%{http_code}' "https://localhost:$port$3"
}
push() { # partner file -> status
  local ctype=application/xml
  [ "$1" = vwn ] && ctype="application/xml; charset=ISO-8859-1"
  curl -sS --cacert "$certs/ca.pem" --cert "$certs/$1.pem" --key "$certs/$1-key.pem" -H "Content-Type: $ctype" \
    --data-binary @"$2" -o "$work/body" -w '%{http_code}' "https://localhost:$port/v1/messages"
}
is_outbound() {
  case "$(basename "$1")" in
    doorverwijzingstatus-*|terugkoppeling-*|referralrequest-*|referralcancellation-*|verwijzing-*|ontvangstbevestiging-*|vierwekelijkse-*) return 0 ;;
  esac
  return 1
}

# The first document the endpoint gets is answered 503: it must come again.
start_endpoint 0 503,202
bash "$src/scripts/gen-dev-config.sh" "$work/ketenhub.xml" "$certs" "$work/data/hub.db" 0 "$src/config/reference" \
  "$build/adapters" "https://localhost:$eport" 2010-06-21 2010-06-21
start_hub

for partner in coa vwn iom mbt dtv; do
  for f in "$src/adapters/$partner/contract/samples/valid/"*.xml; do
    is_outbound "$f" && continue
    status=$(push "$partner" "$f")
    [ "$status" = 202 ] || fail "$partner $(basename "$f"): expected 202, got $status: $(cat "$work/body")"
  done
done

# ---- Pushed messages arrive, from the hub's certificate ---------------------
wait_for_type four_weekly_report
wait_for_type referral_request
wait_for_type referral_status
wait_for_type support_request_acknowledgement
grep -q '"status":503' "$work/endpoint/received.jsonl" || fail "the scripted 503 was never answered"
if grep -v '"client":"CN=ketenhub,OU=Hub,O=Ketenhub Development"' "$work/endpoint/received.jsonl" | grep -q .; then
  fail "a push did not come with the hub's client certificate"
fi
grep -q '"target":"/dtv".*"type":"four_weekly_report"' "$work/endpoint/received.jsonl" || fail "the report did not go to DT&V's URL"
report=$(grep -l 'VierwekelijkseRapportage' "$work/endpoint/"*.xml | head -1)
grep -q '<periodeVan>2010-06-21</periodeVan>' "$report" || fail "the report is not for period 2010-06-21"
grep -q 'ds:Signature' "$report" || fail "the report is not signed"
# Wait until nothing is pending any more (the 503'd message came again).
for _ in $(seq 1 100); do
  "$build/ketenhub" outbox list --status pending --config "$work/ketenhub.xml" | grep -q '^no messages' && break
  sleep 0.1
done
"$build/ketenhub" outbox list --status pending --config "$work/ketenhub.xml" | grep -q '^no messages' ||
  fail "messages still pending: $("$build/ketenhub" outbox list --config "$work/ketenhub.xml")"
# Each message once (a retry of a 503 is the only repeat).
dups=$(grep '"status":202' "$work/endpoint/received.jsonl" | grep -o '"message_id":"[^"]*"' | sort | uniq -d)
[ -z "$dups" ] || fail "delivered twice: $dups"
delivered=$(grep -c '"status":202' "$work/endpoint/received.jsonl")
pushed_out=$("$build/ketenhub" outbox list --status delivered --limit 1000 --config "$work/ketenhub.xml" | grep -c '^#')
[ "$delivered" = "$pushed_out" ] || fail "the endpoint accepted $delivered documents, the outbox says $pushed_out delivered"

# ---- Mailbox: MbT fetches and confirms ----------------------------------------
[ "$(call mbt GET /v1/mailbox)" = 200 ] || fail "mbt mailbox: $(cat "$work/body")"
href=$(grep -o '"href":"[^"]*"' "$work/body" | head -1 | cut -d'"' -f4)
[ -n "$href" ] || fail "MbT's mailbox is empty: $(cat "$work/body")"
waiting=$(grep -o '"href"' "$work/body" | wc -l)
[ "$(call vwn GET "$href")" = 404 ] || fail "VWN could read MbT's message $href"
[ "$(call coa GET /v1/mailbox)" = 200 ] || fail "coa mailbox listing"
grep -q '"messages":\[\]' "$work/body" || fail "COA (a push partner) has mailbox messages: $(cat "$work/body")"
[ "$(call mbt GET "$href")" = 200 ] || fail "fetching $href: $(cat "$work/body")"
grep -qi '^content-type: application/xml' "$work/headers" || fail "the mailbox document is not application/xml"
grep -q '<Verwijzing' "$work/body" || fail "MbT's message is not a Verwijzing: $(head -c 300 "$work/body")"
[ "$(call mbt DELETE "$href")" = 204 ] || fail "confirming $href"
[ "$(call mbt DELETE "$href")" = 204 ] || fail "confirming $href again is not harmless"
[ "$(call mbt GET "$href")" = 410 ] || fail "a confirmed message is still offered"
call mbt GET /v1/mailbox >/dev/null
[ "$(grep -o '"href"' "$work/body" | wc -l)" = $((waiting - 1)) ] || fail "the confirmed message is still listed"

# ---- A restart sends nothing twice ------------------------------------------
before=$(received)
kill -TERM "$hub_pid"; wait "$hub_pid" || true; hub_pid=
start_hub
sleep 2
[ "$(received)" = "$before" ] || fail "the restarted hub sent $(( $(received) - before )) documents again"

# ---- Endpoint down: the message waits, survives kill -9, then arrives ------
kill -TERM "$endpoint_pid"; wait "$endpoint_pid" || true; endpoint_pid=
# A new person (V-nummer, COA number, name) referred to IOM.
doc=$(sed -e "s|<berichtId>[^<]*</berichtId>|<berichtId>$(cat /proc/sys/kernel/random/uuid)</berichtId>|" \
          -e "s|<doorverwijzingNummer>[^<]*</doorverwijzingNummer>|<doorverwijzingNummer>FO-2010-09999</doorverwijzingNummer>|" \
          -e "s|<vNummer>[^<]*</vNummer>|<vNummer>2099000017</vNummer>|" \
          -e "s|<coaNummer>[^<]*</coaNummer>|<coaNummer>39990017</coaNummer>|" \
          -e "s|<naam>[^<]*</naam>|<naam>Kapanadze, Nino</naam>|" \
          -e "s|<geslacht>M</geslacht>|<geslacht>V</geslacht>|" \
          "$src/adapters/coa/contract/samples/valid/doorverwijzing-iom-beridze.xml")
printf '%s' "$doc" > "$work/new.xml"
status=$(push coa "$work/new.xml")
[ "$status" = 202 ] || fail "a new COA referral: expected 202, got $status: $(cat "$work/body")"
for _ in $(seq 1 100); do
  "$build/ketenhub" outbox list --status pending --config "$work/ketenhub.xml" | grep -q 'attempts [1-9]' && break
  sleep 0.1
done
"$build/ketenhub" outbox list --status pending --config "$work/ketenhub.xml" | grep -q 'attempts [1-9].*last error: connect' ||
  fail "no pending message with a failed attempt: $("$build/ketenhub" outbox list --config "$work/ketenhub.xml" | head -5)"
kill -KILL "$hub_pid"; wait "$hub_pid" 2>/dev/null || true; hub_pid=
before=$(received)
start_endpoint "$eport" 202
start_hub
for _ in $(seq 1 100); do [ "$(received)" -gt "$before" ] && break; sleep 0.1; done
[ "$(received)" -gt "$before" ] || fail "the waiting message was not delivered after the endpoint came back"
tail -n +$((before + 1)) "$work/endpoint/received.jsonl" | grep -q '"status":202' || fail "no accepted delivery after the restart"
# ---- The report as it stands, from the CLI -----------------------------------
preview=$("$build/ketenhub" report four-weekly --period 2010-07-01 --config "$work/ketenhub.xml")
grep -q '"period_from": "2010-06-21"' <<<"$preview" || fail "four-weekly preview: wrong period: $(head -c 300 <<<"$preview")"
grep -q '"v_number": "2098315774"' <<<"$preview" || fail "four-weekly preview: Kamara (in guidance in period 7, as in DT&V's sample) is not listed"
"$build/ketenhub" report four-weekly --period 2009-12-01 --config "$work/ketenhub.xml" 2>"$work/err" && fail "a date before the first period was accepted"
grep -q 'no DT&V reporting period contains 2009-12-01' "$work/err" || fail "unclear error: $(cat "$work/err")"

echo "outbound: $(received) documents received by the partner endpoint, MbT mailbox fetched and confirmed"
