#!/usr/bin/env bash
# End to end, as a partner would do it: start the real hub with all five
# partners, push every partner's published inbound samples with that
# partner's own client certificate (curl, real mutual TLS), expect 202, push
# them again and expect 200 with the same receipts, then check that
# `ketenhub person show` gives the people seen at several partners one
# merged timeline.
#   push_partner_samples.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
hub_pid=
cleanup() {
  [ -n "$hub_pid" ] && kill -KILL "$hub_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/hub.log" ] && tail -n 20 "$work/hub.log" >&2; exit 1; }

bash "$src/scripts/gen-dev-certs.sh" "$work/certs" >/dev/null
bash "$src/scripts/gen-dev-config.sh" "$work/ketenhub.xml" "$work/certs" "$work/data/hub.db" 0 "$src/config/reference" "$build/adapters"

"$build/ketenhub" serve --config "$work/ketenhub.xml" 2>"$work/hub.log" &
hub_pid=$!
port=
for _ in $(seq 1 100); do
  port=$(grep -o '"event":"listening"[^}]*"port":[0-9]*' "$work/hub.log" 2>/dev/null | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  kill -0 "$hub_pid" 2>/dev/null || fail "the hub did not start"
  sleep 0.1
done
[ -n "$port" ] || fail "the hub did not report its port"

# Documents the hub sends to partners, not documents partners send to it.
is_outbound() {
  case "$(basename "$1")" in
    doorverwijzingstatus-*|terugkoppeling-*|referralrequest-*|referralcancellation-*|verwijzing-*|ontvangstbevestiging-*|vierwekelijkse-*) return 0 ;;
  esac
  return 1
}

push() { # partner file -> prints "status receipt_id"
  local partner=$1 file=$2 ctype=application/xml
  [ "$partner" = vwn ] && ctype="application/xml; charset=ISO-8859-1"
  curl -sS --cacert "$work/certs/ca.pem" --cert "$work/certs/$partner.pem" --key "$work/certs/$partner-key.pem" \
    -H "Content-Type: $ctype" --data-binary @"$file" -o "$work/body" -w '%{http_code}' \
    "https://localhost:$port/v1/messages" > "$work/status"
  printf '%s %s\n' "$(cat "$work/status")" "$(grep -o '"receipt_id":"[^"]*"' "$work/body" || true)"
}

pushed=0
declare -A first
for partner in coa vwn iom mbt dtv; do
  for f in "$src/adapters/$partner/contract/samples/valid/"*.xml; do
    is_outbound "$f" && continue
    read -r status receipt < <(push "$partner" "$f")
    [ "$status" = 202 ] || fail "$partner $(basename "$f"): expected 202, got $status: $(cat "$work/body")"
    first[$f]=$receipt
    pushed=$((pushed + 1))
  done
done
for partner in coa vwn iom mbt dtv; do
  for f in "$src/adapters/$partner/contract/samples/valid/"*.xml; do
    is_outbound "$f" && continue
    read -r status receipt < <(push "$partner" "$f")
    [ "$status" = 200 ] || fail "$partner $(basename "$f") resent: expected 200, got $status"
    [ "$receipt" = "${first[$f]}" ] || fail "$partner $(basename "$f") resent: receipt changed"
  done
done

# A partner cannot speak for another: COA's certificate with an IOM document.
read -r status _ < <(push coa "$src/adapters/iom/contract/samples/valid/returncaseupdate-departed-beridze.xml")
[ "$status" = 422 ] || fail "an IOM document under COA's certificate: expected 422, got $status"

# A 50 MB document is refused before anything parses it.
head -c 52428800 /dev/zero | tr '\0' 'x' > "$work/huge.xml"
read -r status _ < <(push coa "$work/huge.xml")
[ "$status" = 413 ] || fail "a 50 MB document: expected 413, got $status"

show() { "$build/ketenhub" person show "$1" --config "$work/ketenhub.xml"; }
show 2046718305 > "$work/beridze.txt"
for partner in coa iom dtv; do
  grep -qE "^  [0-9-]{10}  $partner " "$work/beridze.txt" || fail "Beridze's timeline has no $partner event"
done
show 2098315774 > "$work/kamara.txt"
for partner in coa vwn mbt dtv; do
  grep -qE "^  [0-9-]{10}  $partner " "$work/kamara.txt" || fail "Kamara's timeline has no $partner event"
done
grep -q "vwn:VWN-UT-004512" "$work/kamara.txt" || fail "Kamara's VWN clientnummer is not linked"

kill -TERM "$hub_pid"
wait "$hub_pid" || fail "the hub did not exit cleanly"
hub_pid=
echo "pushed $pushed inbound samples (202), resent them (200, same receipts), timelines merged"
echo "1 passed, 0 failed"
