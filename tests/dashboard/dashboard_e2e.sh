#!/usr/bin/env bash
# The operator dashboard end to end: start the real hub with an admin
# listener, push COA's published samples with COA's certificate, take the
# CLI's funnel (`ketenhub report funnel --format csv`), then open the
# dashboard in headless Chromium (Debian's `chromium`) as an operator with an
# HTTP Basic credential and check that the page shows the CLI's figures. Also
# checks the admin listener's authentication with curl, and leaves a
# screenshot in BUILD_DIR/dashboard-screenshot.png.
#   dashboard_e2e.sh SOURCE_DIR BUILD_DIR
# Exit 77 (skipped) when chromium is not installed (scripts/install-deps.sh).
set -euo pipefail
src=$1
build=$2
command -v chromium >/dev/null || { echo "SKIP: chromium is not installed (scripts/install-deps.sh installs it)"; exit 77; }

work=$(mktemp -d)
hub_pid= endpoint_pid=
cleanup() {
  [ -n "$hub_pid" ] && kill -KILL "$hub_pid" 2>/dev/null || true
  [ -n "$endpoint_pid" ] && kill -KILL "$endpoint_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/hub.log" ] && tail -n 20 "$work/hub.log" >&2; exit 1; }

# ---- Certificates: the development set, with an operator's -----------------
certs=$work/certs
bash "$src/scripts/gen-dev-certs.sh" "$certs" >/dev/null
[ -f "$certs/operator.pem" ] || (
  cd "$certs"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out operator-key.pem 2>/dev/null
  openssl req -new -key operator-key.pem -subj "/O=Ketenhub Development/OU=Operators/CN=operator" -out operator.csr
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > operator.ext
  openssl x509 -req -in operator.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -sha256 \
    -extfile operator.ext -out operator.pem 2>/dev/null
)
user=operator
password=$(openssl rand -hex 16)
password_sha256=$(printf '%s' "$password" | openssl dgst -sha256 -r | cut -d' ' -f1)

# ---- DT&V's endpoint: receives the four-weekly report ------------------------
mkdir -p "$work/dtv-received"
"$build/ketenhub-partner-endpoint" --certificate "$certs/partner-endpoint.pem" --private-key "$certs/partner-endpoint-key.pem" \
  --client-ca "$certs/ca.pem" --out "$work/dtv-received" --port-file "$work/endpoint.port" >/dev/null 2>&1 &
endpoint_pid=$!
for _ in $(seq 1 100); do [ -s "$work/endpoint.port" ] && break; sleep 0.05; done
[ -s "$work/endpoint.port" ] || fail "the DT&V endpoint did not start"
eport=$(cat "$work/endpoint.port")

# ---- Config: COA, DT&V, the programme, the admin listener on port 0 ---------
# COA's referrals go to IOM and MbT, which are not configured here: they show
# as dead letters of those partners.
cat > "$work/ketenhub.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<ketenhub xmlns="urn:ketenhub:config:1">
  <node id="ketenhub-dashboard-test"/>
  <listener address="127.0.0.1" port="0" threads="2">
    <tls client-ca="$certs/ca.pem" certificate="$certs/server.pem" private-key="$certs/server-key.pem"/>
  </listener>
  <admin address="127.0.0.1" port="0">
    <tls client-ca="$certs/ca.pem" certificate="$certs/server.pem" private-key="$certs/server-key.pem"/>
    <operator subject="CN=operator,OU=Operators,O=Ketenhub Development"/>
    <credential user="$user" password-sha256="$password_sha256"/>
  </admin>
  <storage><sqlite path="$work/data/hub.db"/></storage>
  <reference directory="$src/config/reference"/>
  <plugins directory="$build/adapters"/>
  <programme start="2010-01-01" targets="$src/config/reference/programme-targets-2010.txt"
             countries="$src/config/reference/countries-40plus3.txt"/>
  <outbound>
    <tls server-ca="$certs/ca.pem" certificate="$certs/hub-client.pem" private-key="$certs/hub-client-key.pem"/>
    <four-weekly-report partner="dtv" first-period="2010-06-21" last-period="2010-06-21"/>
  </outbound>
  <partner code="coa" name="COA Helpdesk / Front Office">
    <certificate subject="CN=coa,OU=Partners,O=Ketenhub Development"/>
    <adapter plugin="ketenhub_adapter_coa.so"/>
  </partner>
  <partner code="dtv" name="DT&amp;V">
    <certificate subject="CN=dtv,OU=Partners,O=Ketenhub Development"/>
    <adapter plugin="ketenhub_adapter_dtv.so">
      <setting name="signing-key" path="$certs/signing-key.pem"/>
      <setting name="signing-certificate" path="$certs/signing.pem"/>
    </adapter>
    <delivery><push url="https://localhost:$eport/dtv"/></delivery>
  </partner>
</ketenhub>
XML

"$build/ketenhub" serve --config "$work/ketenhub.xml" 2>"$work/hub.log" &
hub_pid=$!
port_of() { grep "\"event\":\"listening\"" "$work/hub.log" 2>/dev/null | grep "\"listener\":\"$1\"" | grep -o '"port":[0-9]*' | cut -d: -f2 || true; }
port= admin=
for _ in $(seq 1 100); do
  port=$(port_of partner) admin=$(port_of admin)
  [ -n "$port" ] && [ -n "$admin" ] && break
  kill -0 "$hub_pid" 2>/dev/null || fail "the hub did not start"
  sleep 0.1
done
[ -n "$port" ] && [ -n "$admin" ] || fail "the hub did not report both listeners"
[ "$port" != "$admin" ] || fail "the admin listener shares the partner port"

# ---- Documents: COA's helpdesk questions and referrals ----------------------
pushed=0
for f in "$src"/adapters/coa/contract/samples/valid/helpdeskvraag-*.xml \
         "$src"/adapters/coa/contract/samples/valid/doorverwijzing-*.xml; do
  status=$(curl -sS --cacert "$certs/ca.pem" --cert "$certs/coa.pem" --key "$certs/coa-key.pem" \
    -H 'Content-Type: application/xml' --data-binary @"$f" -o "$work/body" -w '%{http_code}' \
    "https://localhost:$port/v1/messages")
  [ "$status" = 202 ] || fail "$(basename "$f"): expected 202, got $status: $(cat "$work/body")"
  pushed=$((pushed + 1))
done
[ "$pushed" -ge 4 ] || fail "only $pushed COA samples found"

# ---- The admin listener answers operators only ------------------------------
admin_get() { # path curl-options... -> status
  local path=$1; shift
  curl -sS --cacert "$certs/ca.pem" -o "$work/admin.body" -D "$work/admin.headers" -w '%{http_code}' "$@" \
    "https://localhost:$admin$path"
}
[ "$(admin_get /admin/api/funnel)" = 401 ] || fail "no credential: expected 401"
grep -qi '^WWW-Authenticate: Basic' "$work/admin.headers" || fail "401 without WWW-Authenticate: Basic"
[ "$(admin_get /admin/api/funnel -u "$user:wrong")" = 401 ] || fail "wrong password: expected 401"
[ "$(admin_get /admin/api/funnel --cert "$certs/coa.pem" --key "$certs/coa-key.pem")" = 403 ] ||
  fail "a partner certificate on the admin listener: expected 403"
[ "$(admin_get /admin/api/funnel --cert "$certs/operator.pem" --key "$certs/operator-key.pem")" = 200 ] ||
  fail "operator certificate: expected 200, got $(cat "$work/admin.body")"
[ "$(admin_get /admin/api/partners -u "$user:$password")" = 200 ] || fail "Basic credential: expected 200"
grep -q '"outbox_depth":0' "$work/admin.body" || fail "partners: no outbox depth: $(cat "$work/admin.body")"
[ "$(admin_get / -u "$user:$password")" = 200 ] || fail "dashboard page: expected 200"
grep -qi '^Content-Security-Policy: default-src .none.' "$work/admin.headers" || fail "dashboard page without CSP"
if grep -Eqi '(src|href)="(https?:)?//' "$work/admin.body"; then fail "the dashboard page loads something from elsewhere"; fi

# ---- The page in headless Chromium shows the CLI's figures -------------------
browse() { # url profile extra-args... -> DOM on stdout
  local url=$1 profile=$2; shift 2
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --disable-default-apps \
    --user-data-dir="$work/$profile" --ignore-certificate-errors --virtual-time-budget=10000 "$@" "$url" \
    2>>"$work/chromium.log"
}

check_period() { # from to [query]
  local from=$1 to=$2 query=${3:-} dom=$work/dom-$1-$2.html
  local csv=$work/funnel-$1-$2.csv
  "$build/ketenhub" report funnel --config "$work/ketenhub.xml" --from "$from" --to "$to" --format csv > "$csv" ||
    fail "ketenhub report funnel failed"
  local ok=
  for attempt in 1 2 3; do
    browse "https://$user:$password@127.0.0.1:$admin/$query" "profile-$from-$attempt" --dump-dom > "$dom" || true
    grep -q '<body data-state="ready"' "$dom" && { ok=1; break; }
  done
  [ -n "$ok" ] || fail "the dashboard did not finish loading ($from..$to): $(grep -o '<body[^>]*>' "$dom"; grep -o 'id="status">[^<]*<[^<]*' "$dom")"
  grep -q "data-from=\"$from\" data-to=\"$to\"" "$dom" || fail "the page shows another period than $from..$to"
  local n=0
  while IFS=, read -r key target achieved percent; do
    [ "$key" = key ] && continue
    n=$((n + 1))
    grep -q "<tr id=\"funnel-$key\" data-key=\"$key\" data-target=\"$target\" data-achieved=\"$achieved\" data-percent=\"$percent\">" "$dom" ||
      fail "$from..$to $key: the CLI says target=$target achieved=$achieved percent=$percent, the page: $(grep -o "<tr id=\"funnel-$key\"[^>]*>" "$dom")"
    echo "  $from..$to  $key  target=${target:--} achieved=$achieved percent=${percent:--}  (CLI = page)"
  done < "$csv"
  [ "$n" = 9 ] || fail "the CLI reported $n figures, expected 9"
  # Documents count once: the four-week periods add up to the funnel.
  for key in helpdesk_questions helpdesk_referrals; do
    local funnel sum
    funnel=$(grep "^$key," "$csv" | cut -d, -f3)
    sum=$(grep -o "<td data-key=\"$key\" data-period=\"[0-9-]*\" data-achieved=\"[0-9]*\"" "$dom" |
          sed 's/.*data-achieved="\([0-9]*\)"/\1/' | awk '{ s += $1 } END { print s + 0 }')
    [ "$sum" = "$funnel" ] || fail "$from..$to $key: the four-week periods add up to $sum, the funnel says $funnel"
  done
  cp "$dom" "$build/dashboard-dom-$from-$to.html"
}

echo "dashboard: hub on $port, admin on $admin, $pushed COA documents"
# The programme year (the page's default), then a period chosen in the URL.
check_period 2010-01-01 2010-12-31
check_period 2010-06-01 2010-06-30 "?from=2010-06-01&to=2010-06-30"
dom=$work/dom-2010-01-01-2010-12-31.html
grep -q 'data-achieved="[1-9]' "$dom" || fail "every figure is 0: the samples did not count"
grep -q "<tr id=\"partner-coa\" data-partner=\"coa\" data-documents=\"$pushed\">" "$dom" ||
  fail "partner status: expected coa with $pushed documents: $(grep -o '<tr id="partner-[^>]*>' "$dom")"
# The report for period 2010-06-21..2010-07-18 reached DT&V's endpoint, and the page says so.
for _ in $(seq 1 100); do grep -q four_weekly_report "$work/dtv-received/received.jsonl" 2>/dev/null && break; sleep 0.1; done
grep -q '"type":"four_weekly_report"' "$work/dtv-received/received.jsonl" || fail "DT&V's endpoint got no report"
dom=$work/dom-after-report.html
browse "https://$user:$password@127.0.0.1:$admin/" profile-report --dump-dom > "$dom" || true
grep -q '<table id="dtv-table" data-count="1">' "$dom" || fail "DT&V deliveries: expected one row: $(grep -o '<section id="dtv-section".*</section>' "$dom" | head -c 600)"
grep -q '<tr data-status="delivered" data-type="four_weekly_report">' "$dom" || fail "DT&V deliveries: the report is not shown as delivered"
grep -q 'class="outbox-depth"' "$dom" || fail "partner status: no outbox depth column"
cp "$dom" "$build/dashboard-dom-after-report.html"

# A screenshot to look at.
browse "https://$user:$password@127.0.0.1:$admin/" profile-shot --window-size=1366,2300 --hide-scrollbars \
  --screenshot="$build/dashboard-screenshot.png" >/dev/null || true
[ -s "$build/dashboard-screenshot.png" ] || fail "no screenshot"
echo "dashboard: screenshot in $build/dashboard-screenshot.png"

# ---- SIGHUP swaps the admin listener's operators and TLS --------------------
reload() {
  local before
  before=$(grep -c '"event":"reloaded"' "$work/hub.log" || true)
  kill -HUP "$hub_pid"
  for _ in $(seq 1 100); do
    [ "$(grep -c '"event":"reloaded"' "$work/hub.log" || true)" -gt "$before" ] && return 0
    sleep 0.1
  done
  fail "no reloaded event after SIGHUP"
}
new_password=$(openssl rand -hex 16)
new_sha256=$(printf '%s' "$new_password" | openssl dgst -sha256 -r | cut -d' ' -f1)
sed -i "s/password-sha256=\"$password_sha256\"/password-sha256=\"$new_sha256\"/" "$work/ketenhub.xml"
reload
[ "$(admin_get /admin/api/overview -u "$user:$password")" = 401 ] || fail "after reload: the old password still works"
[ "$(admin_get /admin/api/overview -u "$user:$new_password")" = 200 ] || fail "after reload: the new password does not work"
# Without credentials a client certificate is required again: no handshake without one.
sed -i '/<credential /d' "$work/ketenhub.xml"
reload
if curl -sS --cacert "$certs/ca.pem" -o /dev/null "https://localhost:$admin/admin/api/overview" 2>/dev/null; then
  fail "after reload without credentials: a connection without a client certificate was accepted"
fi
[ "$(admin_get /admin/api/overview --cert "$certs/operator.pem" --key "$certs/operator-key.pem")" = 200 ] ||
  fail "after reload: the operator certificate does not work"

# ---- SIGTERM drains both listeners ------------------------------------------
kill -TERM "$hub_pid"
for _ in $(seq 1 100); do kill -0 "$hub_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$hub_pid" 2>/dev/null && fail "the hub did not stop on SIGTERM"
wait "$hub_pid" && rc=0 || rc=$?
hub_pid=
[ "$rc" = 0 ] || fail "the hub exited $rc on SIGTERM"
grep -q '"event":"stopped"' "$work/hub.log" || fail "no stopped event"
echo "PASS: the dashboard shows the CLI's figures"
