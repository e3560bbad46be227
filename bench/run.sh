#!/usr/bin/env bash
# The whole benchmark of issue 5 in one go: ketenhub side by side with nginx
# (mutual TLS, a static 202, one worker: the ceiling of the HTTPS layer) and
# Node-RED (HTTPS in with a client certificate check, XML parse, SQLite
# insert, 202), with the load generator on the same machine. Writes the
# results table to docs/performance.md (the hand-written analysis block in it,
# between the analysis markers, is kept).
#
#   bench/run.sh [--quick] [--runs N] [--build DIR] [--out FILE] [--no-compare] [--no-profile] [--keep]
#
#   --quick       ~4 minutes: one run per figure, short windows, store growth at
#                 10k vs 100k events (the full run: 3 runs, 10k vs 1M; ~18 min with the build)
#   --runs N      runs per figure (median, min and max are reported)
#   --build DIR   build directory (default build-bench; configured and built here)
#   --out FILE    default docs/performance.md
#   --no-compare  ketenhub only (no nginx, no Node-RED)
#   --no-profile  skip the perf profiles of the hub (--profile: take them in --quick too)
#   --no-diagnostics  skip the what-if variants of the hub (log level warn, jemalloc,
#                 synchronous=normal); --diagnostics: run them in --quick too
#   --keep        keep the work directory (logs, stores, raw results)
#
# Needs: root for apt-get (nginx) and for raising the open-file limit; npm
# (Node-RED from the npm registry, cached in /var/tmp/ketenhub-bench).
# Traffic goes to 127.0.0.1 only; every load run is bounded in time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-bench
out=$root/docs/performance.md
quick=0 runs= compare=1 profile= diagnostics= keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --runs) runs=$2; shift ;;
    --build) build=$(realpath -m "$2"); shift ;;
    --out) out=$(realpath -m "$2"); shift ;;
    --no-compare) compare=0 ;;
    --no-profile) profile=0 ;;
    --profile) profile=1 ;;
    --no-diagnostics) diagnostics=0 ;;
    --diagnostics) diagnostics=1 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | cut -c3-; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done

if [ $quick = 1 ]; then
  : "${runs:=1}" "${profile:=0}" "${diagnostics:=0}"; WARM=1 T_MAX=5 T_LAT=5 T_HS=4 T_GROW=5 HOLD=20 BIG=100000
else
  : "${runs:=3}" "${profile:=1}" "${diagnostics:=1}"; WARM=2 T_MAX=10 T_LAT=8 T_HS=6 T_GROW=8 HOLD=20 BIG=1000000
fi
SMALL=10000
CONNS=128        # closed loop: enough concurrency for group commit to batch (64 left the hub 10% short, docs/performance.md)
NR_CONNS=64      # Node-RED's closed loop: it does 1,790 docs/s with 64 connections and half that with 128
OPEN_CONNS=256   # open loop: enough that the client never queues at 80% load
HS_CONNS=16      # handshake loop
HS_THREADS=1     # load generator threads in the handshake loop: two contend on OpenSSL 3.0's locks
IDLE=1000        # held connections for the memory figure
SETTLE=12        # and the memory again this long after (jemalloc returns freed pages over 10 s)
# Load generator threads everywhere else. One sends as much as two (nginx,
# closed loop: 52,097 against 53,050 requests/s; the hub: a median 5,752
# against 5,742 docs/s), and the second only contends with the system
# measured for the two cores: the hub's p99 at 3,127 req/s was lower with one
# in 4 of 4 interleaved pairs (13.3/11.9/10.0/13.8 against 14.0/14.9/14.2/17.0 ms).
LG_THREADS=1
cache=/var/tmp/ketenhub-bench
started_at=$(date +%s)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || log "cannot raise the open-file limit above $(ulimit -n)"
[ "$(ulimit -n)" -gt $((IDLE + 200)) ] || die "the open-file limit $(ulimit -n) is too low for $IDLE connections"

work=$(mktemp -d /tmp/ketenhub-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ $keep = 1 ]; then log "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
forget_pid() { local keep_=() p; for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep_+=("$p"); done; pids=("${keep_[@]}"); }
raw=$work/results.jsonl
: > "$raw"

# ------------------------------------------------------------------ build
log "building in $build"
[ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 ||
  die "cmake failed: $work/cmake.log"
if ! ninja -C "$build" -j2 ketenhub ketenhub-loadgen ketenhub-partner-endpoint ketenhub_adapter_coa >"$work/ninja.log" 2>&1; then
  [ -x "$build/ketenhub" ] && [ -x "$build/bench/ketenhub-loadgen" ] || die "build failed: $(tail -5 "$work/ninja.log")"
  log "build failed (the tree may be mid-edit); using the binaries already in $build"
fi
for p in vwn iom mbt dtv; do
  [ -f "$root/adapters/$p/CMakeLists.txt" ] && { ninja -C "$build" -j2 "ketenhub_adapter_$p" >>"$work/ninja.log" 2>&1 || true; }
done
HUB=$build/ketenhub LG=$build/bench/ketenhub-loadgen
certs=$work/certs
bash "$root/scripts/gen-dev-certs.sh" "$certs" >/dev/null 2>&1

# Partners: every adapter that is built; samples of those whose documents
# carry a UUID message id (the load generator makes it unique per request).
partners=() samples=()
for p in coa vwn iom mbt dtv; do
  [ -f "$build/adapters/ketenhub_adapter_$p.so" ] || continue
  partners+=("$p")
  samples+=(--samples "$root/adapters/$p/contract/samples/valid")
done
[ "${partners[0]:-}" = coa ] || die "$build/adapters/ketenhub_adapter_coa.so is not built"

hub_config() { # FILE DB PARTNER...
  local file=$1 db=$2; shift 2
  {
    cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<ketenhub xmlns="urn:ketenhub:config:1">
  <node id="bench"/>
  <logging level="${HUB_LOG_LEVEL:-info}"/>
  <listener address="127.0.0.1" port="${HUB_PORT_CFG:-0}" threads="2">
    <tls client-ca="$certs/ca.pem" certificate="$certs/server.pem" private-key="$certs/server-key.pem"/>
    <limits max-connections="2048"/>
    <timeouts idle-ms="120000" read-ms="120000"/>
  </listener>
  <storage><sqlite path="$db" synchronous="${HUB_SYNC:-full}"/></storage>
  <reference directory="$root/config/reference"/>
  <plugins directory="$build/adapters"/>
EOF
    for p in "$@"; do
      if [ "$p" = dtv ]; then   # DT&V's adapter signs what the hub sends it: it needs its key
        printf '  <partner code="dtv"><certificate subject="CN=dtv,OU=Partners,O=Ketenhub Development"/><adapter plugin="ketenhub_adapter_dtv.so"><setting name="signing-key" path="%s/signing-key.pem"/><setting name="signing-certificate" path="%s/signing.pem"/></adapter></partner>\n' "$certs" "$certs"
      else
        printf '  <partner code="%s"><certificate subject="CN=%s,OU=Partners,O=Ketenhub Development"/><adapter plugin="ketenhub_adapter_%s.so"/></partner>\n' "$p" "$p" "$p"
      fi
    done
    echo '</ketenhub>'
  } > "$file"
}
# A partner whose adapter needs settings this plain config does not give (or
# does not load) is left out, with the reason in the log.
ok_partners=() samples=()
for p in "${partners[@]}"; do
  hub_config "$work/check.xml" "$work/check.db" "$p"
  if "$HUB" config check --config "$work/check.xml" >"$work/check.log" 2>&1; then
    ok_partners+=("$p")
    samples+=(--samples "$root/adapters/$p/contract/samples/valid")
  else
    log "partner $p left out: $(grep -v '^ ' "$work/check.log" | head -2 | sed "s|$work/||g" | tr '\n' ' ')"
  fi
done
partners=("${ok_partners[@]}")
[ "${partners[0]:-}" = coa ] || die "the COA adapter does not pass config check: $(cat "$work/check.log")"

# ------------------------------------------------------------------ helpers
jget() { sqlite3 :memory: "SELECT json_extract('${2//\'/\'\'}', '$1')"; }
# errors_of LINE: the answers of a load generator run that were not 2xx, and the transport errors.
errors_of() { echo $(( $(jget '$.status.errors' "$1") + $(jget '$.status."5xx"' "$1") + $(jget '$.status."4xx"' "$1") )); }
# mstat "v1 v2 ...": "median min max" (median of an even count: the lower middle)
mstat() {
  tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g |
    awk '{v[NR]=$1} END {if (NR==0) {print "- - -"; exit} printf "%s %s %s\n", v[int((NR+1)/2)], v[1], v[NR]}'
}
fmt() { awk -v v="$1" -v d="${2:-0}" 'BEGIN { if (v == "-" || v == "") print "–"; else printf "%.*f\n", d, v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0 || a == "" || b == "") print "–"; else printf "%.2f×\n", a / b }'; }
# A port below the kernel's range for outgoing connections (32768 and up by
# default), with no socket of any state on it: the load generator's own
# connections use ports in that range and Node-RED, which listens without
# SO_REUSEADDR, failed with "port in use" on one.
free_port() {
  local p low
  low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for p in $(shuf -i 20000-$((low > 20100 ? low - 1 : 32767)) -n 100); do
    ss -Htan "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  die "no free port"
}
# The hub's metrics text (GET /v1/metrics, as COA).
scrape_metrics() { # PORT
  curl -s --max-time 5 --cacert "$certs/ca.pem" --cert "$certs/coa.pem" --key "$certs/coa-key.pem" \
    "https://127.0.0.1:$1/v1/metrics" || true
}
# stage_shares BEFORE AFTER: from two scrapes of the hub's histograms (the end
# of the warm-up and the end of the measured window), the percentage of the
# window's observations above a bound: ingest_stored > 10 ms (all partners),
# store_queue_wait > 5 ms, store_transaction > 5 ms, store_wal_sync > 5 ms,
# store_writer_held > 5 ms, http_request > 10 ms (header to answer written).
# "-" where there were none.
stage_shares() {
  awk '
    function key(m, le) { return m "|" le }
    FNR == 1 { sign = (FILENAME == ARGV[1]) ? -1 : 1 }
    /^ketenhub_[a-z_]*_bucket\{/ {
      name = $1; sub(/_bucket\{.*/, "", name); sub(/^ketenhub_/, "", name)
      le = $1; sub(/.*le="/, "", le); sub(/".*/, "", le)
      below[key(name, le)] += sign * $2
    }
    /^ketenhub_[a-z_]*_count[ {]/ { name = $1; sub(/_count.*/, "", name); sub(/^ketenhub_/, "", name); count[name] += sign * $2 }
    function share(m, le) { return count[m] > 0 ? sprintf("%.2f", 100 * (count[m] - below[key(m, le)]) / count[m]) : "-" }
    END {
      print share("ingest_stored_seconds", "0.01"), share("store_queue_wait_seconds", "0.005"),
            share("store_transaction_seconds", "0.005"), share("store_wal_sync_seconds", "0.005"),
            share("store_writer_held_seconds", "0.005"), share("http_request_seconds", "0.01")
    }' "$1" "$2"
}
# routed_share DB: the percentage of the run's events (a fresh store) that the
# hub's routing had passed when the load stopped; below 100 means routing was
# behind and referrals reach partners later than the documents' 202s suggest.
routed_share() {
  local last
  last=$(sqlite3 "$1" "SELECT coalesce(max(seq), 0) FROM events" 2>/dev/null) || { echo -; return; }
  awk -v c="$(routing_cursor "$1")" -v m="$last" 'BEGIN { printf "%.1f\n", 100 * c / (m > 0 ? m : 1) }'
}
# routing_cursor DB: the last event sequence number routing has passed.
routing_cursor() { sqlite3 "$1" "SELECT coalesce((SELECT seq FROM cursors WHERE name = 'routing'), 0)" 2>/dev/null || echo 0; }
rss_kb() { # PID... : VmRSS summed
  local t=0 p v
  for p in "$@"; do v=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0); t=$((t + ${v:-0})); done
  echo $t
}
hwm_kb() {
  local t=0 p v
  for p in "$@"; do v=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0); t=$((t + ${v:-0})); done
  echo $t
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
sum_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done; echo $t; }
# Microseconds of CPU per handshake: server ticks (1/100 s) and the load
# generator's cpu_s, over the same run, divided by its handshakes.
server_us_per_hs() { awk -v a="$1" -v b="$2" -v n="$(jget '$.handshakes' "$3")" 'BEGIN {printf "%.0f", n ? (b-a)*10000/n : 0}'; }
client_us_per_hs() { awk -v c="$(jget '$.cpu_s' "$1")" -v n="$(jget '$.handshakes' "$1")" 'BEGIN {printf "%.0f", n ? c*1e6/n : 0}'; }
idle_ticks() { awk '/^cpu / {print $5 + $6; exit}' /proc/stat; }
total_ticks() { awk '/^cpu / {s=0; for (i=2;i<=NF;i++) s+=$i; print s; exit}' /proc/stat; }

# lg NAME PORT ARGS...: one load generator run; its JSON line is kept in the
# raw results as {"name":..., "result":...}.
lg() {
  local name=$1 port=$2; shift 2
  local line
  line=$("$LG" --url "https://127.0.0.1:$port/v1/messages" --ca "$certs/ca.pem" --cert-dir "$certs" "${samples[@]}" \
           --pad-to 2048 --quiet --threads $LG_THREADS "$@" 2>>"$work/loadgen.err") || true
  [ -n "$line" ] || die "$name: the load generator printed nothing: $(tail -3 "$work/loadgen.err")"
  printf '{"name":"%s","result":%s}\n' "$name" "$line" >> "$raw"
  echo "$line"
}

HUB_PID= HUB_PORT=
start_hub() { # DB [LOG [CONFIG]]  (CONFIG: a config file made elsewhere, port 0)
  local db=$1 logf=${2:-$work/hub.log} cfg=${3:-$work/hub.xml}
  # Port 0 and the port from the "listening" log line, unless logging is
  # quieter than info: then a free port chosen here.
  HUB_PORT_CFG=0
  [ "${HUB_LOG_LEVEL:-info}" = info ] || HUB_PORT_CFG=$(free_port)
  [ -n "${3:-}" ] || hub_config "$cfg" "$db" "${partners[@]}"
  LD_PRELOAD=${HUB_PRELOAD:-} "$HUB" serve --config "$cfg" 2>"$logf" &
  HUB_PID=$!
  pids+=("$HUB_PID")
  HUB_PORT=
  for _ in $(seq 1 300); do
    if [ "$HUB_PORT_CFG" = 0 ]; then
      HUB_PORT=$(grep '"event":"listening"' "$logf" 2>/dev/null | grep -o '"port":[0-9]*' | head -1 | cut -d: -f2 || true)
    elif ss -Hltn "sport = :$HUB_PORT_CFG" | grep -q .; then
      HUB_PORT=$HUB_PORT_CFG
    fi
    [ -n "$HUB_PORT" ] && return 0
    kill -0 "$HUB_PID" 2>/dev/null || die "the hub exited: $(tail -3 "$logf")"
    sleep 0.1
  done
  die "the hub did not report listening"
}
stop_hub() {
  [ -n "$HUB_PID" ] || return 0
  kill -TERM "$HUB_PID" 2>/dev/null || true
  wait "$HUB_PID" 2>/dev/null || true
  forget_pid "$HUB_PID"
  HUB_PID=
}
fresh_db() { rm -f "$work/store.db" "$work/store.db-wal" "$work/store.db-shm"; echo "$work/store.db"; }

# ------------------------------------------------------------------ comparisons
NGX_PID= NGX_PORT= NR_PID= NR_PORT= nr_version= nr_sqlite=no nr_note=
setup_nginx() {
  if ! command -v nginx >/dev/null; then
    log "installing nginx (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >"$work/apt.log" 2>&1 ||
      { apt-get update -qq >>"$work/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >>"$work/apt.log" 2>&1; } ||
      { log "nginx could not be installed: $(tail -2 "$work/apt.log")"; return 1; }
  fi
  mkdir -p "$work/nginx"
  NGX_PORT=$(free_port)
  cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
user root root;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  client_max_body_size 1m;
  client_body_buffer_size 16k;
  server {
    listen 127.0.0.1:$NGX_PORT ssl;
    ssl_certificate $certs/server.pem;
    ssl_certificate_key $certs/server-key.pem;
    ssl_client_certificate $certs/ca.pem;
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
    location = /v1/messages {
      default_type application/json;
      return 202 '{"status":"accepted"}';
    }
  }
}
EOF
}
start_nginx() {
  nginx -c "$work/nginx/nginx.conf" -p "$work/nginx/" 2>>"$work/nginx/error.log" &
  NGX_PID=$!
  pids+=("$NGX_PID")
  for _ in $(seq 1 50); do ss -Hltn "sport = :$NGX_PORT" | grep -q . && return 0; sleep 0.1; done
  die "nginx did not start: $(tail -3 "$work/nginx/error.log")"
}
nginx_pids() { echo "$NGX_PID" $(pgrep -P "$NGX_PID" || true); }
stop_nginx() { [ -n "$NGX_PID" ] || return 0; kill -QUIT "$NGX_PID" 2>/dev/null || true; wait "$NGX_PID" 2>/dev/null || true; forget_pid "$NGX_PID"; NGX_PID=; }

setup_nodered() {
  command -v npm >/dev/null || { nr_note="npm is not installed"; return 1; }
  mkdir -p "$cache/node-red"
  local latest need major want
  latest=$(timeout 60 npm view node-red version 2>/dev/null || true)
  [ -n "$latest" ] || { nr_note="npm view node-red failed (no registry?)"; return 1; }
  need=$(timeout 60 npm view node-red engines.node 2>/dev/null | grep -o '[0-9]\+' | head -1 || true)
  major=$(node -p 'process.versions.node.split(".")[0]')
  want=$latest
  if [ -n "$need" ] && [ "$major" -lt "$need" ]; then
    want=$(timeout 60 npm view 'node-red@4' version 2>/dev/null | tail -1 | grep -o "[0-9][0-9.]*[0-9]" | tail -1)
    nr_note="node-red $latest needs Node.js >= $need, this machine has $(node --version) (Debian/NodeSource); used node-red $want, the newest 4.x"
  fi
  cd "$cache/node-red"
  [ -f package.json ] || echo '{"name":"ketenhub-bench-node-red","private":true}' > package.json
  if [ "$(node -p 'try{require("./node_modules/node-red/package.json").version}catch(e){""}' 2>/dev/null)" != "$want" ]; then
    log "installing node-red@$want from npm"
    npm install --no-audit --no-fund "node-red@$want" >"$work/npm.log" 2>&1 || { cd "$root"; nr_note="npm install node-red failed: $(tail -2 "$work/npm.log")"; return 1; }
  fi
  if ! node -e 'require("sqlite3")' 2>/dev/null; then
    # sqlite3's prebuilt binary is a download from outside the registry, which
    # fails here; node-gyp then builds it from the source in the npm package
    # against the installed Node.js headers.
    log "installing node-red-node-sqlite from npm (sqlite3 built from source)"
    npm_config_nodedir=/usr npm install --no-audit --no-fund node-red-node-sqlite >"$work/npm-sqlite.log" 2>&1 || true
  fi
  if node -e 'require("sqlite3")' 2>/dev/null; then nr_sqlite=yes; else nr_sqlite=no; fi
  nr_version=$(node -p 'require("./node_modules/node-red/package.json").version')
  cd "$root"
  mkdir -p "$work/nodered"
  NR_PORT=$(free_port)
  cat > "$work/nodered/settings.js" <<EOF
// Node-RED for the ketenhub benchmark: HTTPS with a required, verified
// client certificate (the same CA and server certificate as the hub), no editor.
const fs = require('fs');
module.exports = {
  uiHost: '127.0.0.1',
  uiPort: $NR_PORT,
  https: {
    key: fs.readFileSync('$certs/server-key.pem'),
    cert: fs.readFileSync('$certs/server.pem'),
    ca: fs.readFileSync('$certs/ca.pem'),
    requestCert: true,
    rejectUnauthorized: true,
  },
  httpAdminRoot: false,
  httpNodeRoot: '/',
  flowFile: 'flows.json',
  credentialSecret: false,
  httpNodeMaxLength: '1mb',
  logging: { console: { level: 'warn', metrics: false, audit: false } },
  diagnostics: { enabled: false },
  runtimeState: { enabled: false },
  telemetry: { enabled: false },
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
};
EOF
  local store_node store_wire
  if [ $nr_sqlite = yes ]; then
    store_wire='"sql1"'
    store_node='{"id":"db1","type":"sqlitedb","db":"'$work'/nodered/nr.db","mode":"RWC"},
 {"id":"sql1","type":"sqlite","z":"tab1","name":"store","mydb":"db1","sqlquery":"prepared","sql":"INSERT OR IGNORE INTO documents (partner, message_id, document_type, body, received_at) VALUES ($partner, $id, $type, $body, $ts)","wires":[["ok1"]]},'
  else
    store_wire='"ok1"'
    store_node=
  fi
  cat > "$work/nodered/flows.json" <<EOF
[
 {"id":"tab1","type":"tab","label":"ingest"},
 $store_node
 {"id":"in1","type":"http in","z":"tab1","name":"POST /v1/messages","url":"/v1/messages","method":"post","upload":false,"swaggerDoc":"","wires":[["cert1"]]},
 {"id":"in2","type":"http in","z":"tab1","name":"POST /v1/parsed","url":"/v1/parsed","method":"post","upload":false,"swaggerDoc":"","wires":[["cert1"]]},
 {"id":"cert1","type":"function","z":"tab1","name":"client certificate -> partner","outputs":2,"func":"const c = msg.req.socket.getPeerCertificate();\nconst cn = c && c.subject && c.subject.CN;\nif (!msg.req.client.authorized || !['coa','vwn','iom','mbt','dtv'].includes(cn)) {\n  msg.statusCode = 403; msg.payload = {status: 403, title: 'unknown certificate'};\n  return [null, msg];\n}\nmsg.partner = cn;\nmsg.raw = msg.payload;\nreturn [msg, null];","wires":[["xml1"],["res1"]]},
 {"id":"xml1","type":"xml","z":"tab1","name":"parse XML","property":"payload","attr":"","chr":"","wires":[["ext1"]]},
 {"id":"ext1","type":"function","z":"tab1","name":"message id","outputs":3,"func":"const root = msg.payload && Object.keys(msg.payload)[0];\nconst doc = root && msg.payload[root];\nconst first = (v) => Array.isArray(v) ? v[0] : undefined;\n// The id the partner keys its document by: COA berichtId, IOM messageId,\n// DT&V berichtkenmerk, MbT exportId, VWN regelId (an Export: its records' regelIds).\nlet id = doc && (first(doc.berichtId) || first(doc.messageId) || first(doc.berichtkenmerk) ||\n                 (doc.\$ && (doc.\$.exportId || doc.\$.regelId)));\nif (!id && doc) {\n  const ids = [];\n  for (const k of Object.keys(doc)) for (const r of [].concat(doc[k])) if (r && r.\$ && r.\$.regelId) ids.push(r.\$.regelId);\n  id = ids.join(',');\n}\nif (!id) { msg.statusCode = 422; msg.payload = {status: 422, title: 'no message id'}; return [null, msg, null]; }\nmsg.params = {\$partner: msg.partner, \$id: id, \$type: root, \$body: msg.raw, \$ts: new Date().toISOString()};\n// /v1/parsed: the same flow with nothing persisted (the issue's reference flow).\nreturn msg.req.path === '/v1/parsed' ? [null, null, msg] : [msg, null, null];","wires":[[$store_wire],["res1"],["ok1"]]},
 {"id":"ok1","type":"function","z":"tab1","name":"202 receipt","func":"msg.statusCode = 202;\nmsg.headers = {'content-type': 'application/json'};\nmsg.payload = {status: 'accepted', partner: msg.params.\$partner, message_id: msg.params.\$id};\nreturn msg;","wires":[["res1"]]},
 {"id":"catch1","type":"catch","z":"tab1","name":"","scope":null,"wires":[["err1"]]},
 {"id":"err1","type":"function","z":"tab1","name":"500","func":"if (!msg.res) return null;\nmsg.statusCode = 500; msg.payload = {status: 500, title: String(msg.error && msg.error.message)};\nreturn msg;","wires":[["res1"]]},
 {"id":"res1","type":"http response","z":"tab1","name":"","statusCode":"","headers":{},"wires":[]}
]
EOF
}
start_nodered() {
  rm -f "$work/nodered/nr.db"*
  if [ $nr_sqlite = yes ]; then
    # The same durability as the hub: WAL, synchronous FULL (SQLite's default), a commit per request.
    sqlite3 "$work/nodered/nr.db" "PRAGMA journal_mode=WAL; CREATE TABLE documents (id INTEGER PRIMARY KEY,
      partner TEXT NOT NULL, message_id TEXT NOT NULL, document_type TEXT NOT NULL, body BLOB NOT NULL,
      received_at TEXT NOT NULL, UNIQUE (partner, message_id));" >/dev/null
  fi
  node "$cache/node-red/node_modules/node-red/red.js" --settings "$work/nodered/settings.js" --userDir "$work/nodered" \
    >"$work/nodered/node-red.log" 2>&1 &
  NR_PID=$!
  pids+=("$NR_PID")
  for _ in $(seq 1 300); do
    # Ready when the flow answers a real document.
    [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$certs/ca.pem" --cert "$certs/coa.pem" --key "$certs/coa-key.pem" \
         -H 'Content-Type: application/xml' --data-binary "@$root/adapters/coa/contract/samples/valid/helpdeskvraag-dtv-beridze.xml" \
         "https://127.0.0.1:$NR_PORT/v1/messages" 2>/dev/null)" = 202 ] && return 0
    kill -0 "$NR_PID" 2>/dev/null || die "Node-RED exited: $(tail -3 "$work/nodered/node-red.log")"
    sleep 0.2
  done
  die "Node-RED did not start"
}
stop_nodered() { [ -n "$NR_PID" ] || return 0; kill -TERM "$NR_PID" 2>/dev/null || true; wait "$NR_PID" 2>/dev/null || true; forget_pid "$NR_PID"; NR_PID=; }

# ------------------------------------------------------------------ machine
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_model=$(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')
machine="$cpu_model; $(nproc) cores online ($(lscpu | awk -F: '/^CPU\(s\)/ {gsub(/ /, "", $2); print $2}') CPUs, $(lscpu | awk -F: '/Thread\(s\) per core/ {gsub(/ /, "", $2); print $2}') thread(s) per core); $(free -g | awk '/^Mem/ {print $2}') GiB RAM; $(uname -sr); store on $(df -hT "$work" | awk 'NR==2 {print $2 " (" $1 ")"}')"
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain -- hub plugins adapters 2>/dev/null | wc -l)
log "machine: $machine; load average $load_before"
log "partners: ${partners[*]}; runs per figure: $runs"

# ------------------------------------------------------------------ measurements
declare -A R   # R[key] = space-separated values over the runs

log "1/7 ketenhub: sustained durable ingest, closed loop, $CONNS connections, ${T_MAX}s x $runs"
threads_note=
for r in $(seq 1 "$runs"); do
  start_hub "$(fresh_db)"
  R[hub_idle_rss]+=" $(rss_kb "$HUB_PID")"
  t0_idle=$(idle_ticks) t0_total=$(total_ticks) t0_hub=$(cpu_ticks "$HUB_PID")
  declare -A t0_thr=()
  for t in /proc/$HUB_PID/task/*; do t0_thr[${t##*/}]=$(awk '{print $14+$15}' "$t/stat"); done
  line=$(lg hub-max "$HUB_PORT" --mode closed --connections $CONNS --duration "$T_MAX" --warmup $WARM)
  t1_idle=$(idle_ticks) t1_total=$(total_ticks) t1_hub=$(cpu_ticks "$HUB_PID")
  R[hub_max_routed]+=" $(routed_share "$work/store.db")"
  R[hub_max]+=" $(jget '$.throughput' "$line")"
  R[hub_max_p99]+=" $(jget '$.latency_ms.p99' "$line")"
  R[hub_load_hwm]+=" $(hwm_kb "$HUB_PID")"
  R[hub_max_errors]+=" $(errors_of "$line")"
  el=$(jget '$.elapsed_s' "$line")
  hub_cpu=$(awk -v a="$t0_hub" -v b="$t1_hub" -v e="$el" 'BEGIN {printf "%.0f", (b-a)/e}')
  lg_cpu=$(awk -v c="$(jget '$.cpu_s' "$line")" -v e="$el" 'BEGIN {printf "%.0f", 100*c/e}')
  idle_pct=$(awk -v a="$t0_idle" -v b="$t1_idle" -v c="$t0_total" -v d="$t1_total" 'BEGIN {printf "%.0f", 100*(b-a)/(d-c)*'"$(nproc)"'}')
  # Threads by the names the hub gives them (kh-writer, kh-sync, kh-io, kh-routing, ...; main: signals).
  declare -A thr_ticks=()
  thr_order=()
  for t in $(ls /proc/$HUB_PID/task | sort -n); do
    name=$(cat "/proc/$HUB_PID/task/$t/comm" 2>/dev/null || echo '?')
    [ "$name" = "$(basename "$HUB")" ] && name=main
    name=${name#kh-}
    [ -n "${thr_ticks[$name]+x}" ] || { thr_order+=("$name"); thr_ticks[$name]=0; }
    thr_ticks[$name]=$(( ${thr_ticks[$name]} + $(awk '{print $14+$15}' "/proc/$HUB_PID/task/$t/stat") - ${t0_thr[$t]:-0} ))
  done
  thr=
  for name in "${thr_order[@]}"; do
    thr+="$name $(awk -v d="${thr_ticks[$name]}" -v e="$el" 'BEGIN {printf "%.0f", d/e}')%, "
  done
  threads_note="hub ${hub_cpu}% of one core (${thr%, }); load generator ${lg_cpu}%; machine idle ${idle_pct}% of $(nproc)00%"
  R[hub_cpu_note]=$threads_note
  # Routing alone, catching up on what the maximum left it (events/s over 3 s).
  c0=$(routing_cursor "$work/store.db"); sleep 3; c1=$(routing_cursor "$work/store.db")
  R[hub_route_alone]+=" $(( (c1 - c0) / 3 ))"
  stop_hub
  # What one document of the mix costs the store: events, records, routed messages.
  R[hub_mix_note]=$(sqlite3 "$work/store.db" "SELECT 'documents by partner ' || (SELECT group_concat(partner || ' ' || n, ', ')
      FROM (SELECT partner, count(*) n FROM documents GROUP BY partner ORDER BY partner)) ||
    '; per document ' || printf('%.2f', 1.0 * (SELECT count(*) FROM records) / count(*)) || ' records, ' ||
    printf('%.2f', 1.0 * (SELECT count(*) FROM events) / count(*)) || ' events, ' ||
    printf('%.2f', 1.0 * (SELECT count(*) FROM outbox) / max(1, (SELECT seq FROM cursors WHERE name = 'routing')) *
           (SELECT count(*) FROM events) / count(*)) || ' routed messages (of the events routed so far)' FROM documents" 2>/dev/null || echo)
done
read -r hub_max_med _ _ <<<"$(mstat "${R[hub_max]}")"
log "   ketenhub max: ${R[hub_max]} docs/s; $threads_note"

log "2/7 ketenhub: ack latency, open loop at 50% and 80% of $hub_max_med docs/s, $OPEN_CONNS connections"
for pct in 50 80; do
  rate=$(awk -v m="$hub_max_med" -v p=$pct 'BEGIN {printf "%.0f", m*p/100}')
  for r in $(seq 1 "$runs"); do
    start_hub "$(fresh_db)"
    # The hub's own histograms over the measured window: scraped when the
    # warm-up ends and again when the window does.
    [ $pct = 50 ] && { sleep "$WARM"; scrape_metrics "$HUB_PORT" > "$work/metrics-before.txt"; } &
    scraper=$!
    line=$(lg "hub-open-$pct" "$HUB_PORT" --mode open --rate "$rate" --connections $OPEN_CONNS --duration "$T_LAT" --warmup $WARM)
    wait $scraper || true
    [ $pct = 50 ] && scrape_metrics "$HUB_PORT" > "$work/metrics-after.txt"
    R[hub_lat_${pct}_routed]+=" $(routed_share "$work/store.db")"
    for q in p50 p99 p99.9; do R[hub_lat_${pct}_$q]+=" $(jget "\$.latency_ms.\"$q\"" "$line")"; done
    R[hub_lat_${pct}_rate]=$rate
    R[hub_lat_${pct}_achieved]+=" $(jget '$.throughput' "$line")"
    R[hub_load_hwm]+=" $(hwm_kb "$HUB_PID")"
    stop_hub
    if [ $pct = 50 ]; then
      read -r s_in s_q s_t s_s s_h s_r <<<"$(stage_shares "$work/metrics-before.txt" "$work/metrics-after.txt")"
      for v in in:$s_in q:$s_q t:$s_t s:$s_s h:$s_h r:$s_r; do [ "${v#*:}" = - ] || R[hub_stage_${v%%:*}]+=" ${v#*:}"; done
    fi
  done
done

log "3/7 ketenhub: full mTLS handshakes/s and memory with $IDLE open connections"
for r in $(seq 1 "$runs"); do
  start_hub "$(fresh_db)"
  t0=$(cpu_ticks "$HUB_PID")
  line=$(lg hub-handshakes "$HUB_PORT" --handshakes-only --connections $HS_CONNS --threads $HS_THREADS --duration "$T_HS" --warmup 1)
  t1=$(cpu_ticks "$HUB_PID")
  R[hub_hs]+=" $(jget '$.throughput' "$line")"
  R[hub_hs_server_us]+=" $(server_us_per_hs "$t0" "$t1" "$line")"
  R[hub_hs_client_us]+=" $(client_us_per_hs "$line")"
  # A partner that connects for every document: TCP, the full handshake, one
  # POST answered after its commit, close.
  line=$(lg hub-fresh "$HUB_PORT" --mode closed --fresh-connections --connections $HS_CONNS --threads $HS_THREADS --duration "$T_HS" --warmup 1)
  R[hub_fresh]+=" $(jget '$.throughput' "$line")"
  R[hub_fresh_errors]+=" $(errors_of "$line")"
  stop_hub
done
idle_measure() { # NAME PORT PIDS-FUNCTION -> sets IDLE_RSS IDLE_OK
  local name=$1 port=$2 pidsf=$3 lgpid
  "$LG" --url "https://127.0.0.1:$port/v1/messages" --ca "$certs/ca.pem" --cert-dir "$certs" "${samples[@]}" --pad-to 2048 \
    --quiet --threads $LG_THREADS --idle-connections $IDLE --duration "$HOLD" >"$work/idle.out" 2>"$work/idle.err" &
  lgpid=$!
  IDLE_RSS=- IDLE_SETTLED_RSS=- IDLE_OK=0
  for _ in $(seq 1 $(((HOLD - SETTLE - 1) * 10))); do
    if grep -q idle_established "$work/idle.err"; then
      sleep 1
      IDLE_RSS=$(rss_kb $($pidsf))
      IDLE_OK=1
      # The same connections, still open and idle, once the burst of their
      # handshakes and first requests is over.
      sleep $SETTLE
      kill -0 $lgpid 2>/dev/null && IDLE_SETTLED_RSS=$(rss_kb $($pidsf))
      break
    fi
    sleep 0.1
  done
  wait $lgpid || true
  printf '{"name":"%s","result":%s}\n' "$name" "$(cat "$work/idle.out")" >> "$raw"
  [ $IDLE_OK = 1 ] || log "   $name: the $IDLE connections were not all established: $(tail -c 300 "$work/idle.out")"
}
hub_pids() { echo "$HUB_PID"; }
for r in $(seq 1 "$runs"); do
  start_hub "$(fresh_db)"
  idle_measure hub-idle "$HUB_PORT" hub_pids
  R[hub_conn_rss]+=" $IDLE_RSS"
  R[hub_conn_settled_rss]+=" $IDLE_SETTLED_RSS"
  stop_hub
done

# perf of the running hub for 4 s: self time (frame pointers not needed) and,
# with DWARF call graphs, inclusive time of the hub's own functions and the
# library entry points they call.
profile_record() { # NAME
  perf record -F 199 --call-graph dwarf,16384 -p "$HUB_PID" -o "$work/$1.perf" -- sleep 4 >/dev/null 2>&1 || true
}
profile_report() { # NAME TITLE
  local name=$1 title=$2 demangle='s/nlohmann::json_abi_v[0-9_]+::/nlohmann::/g; s/std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >/std::string/g; s/ketenhub::store::\(anonymous namespace\)::/store::/g'
  [ -s "$work/$name.perf" ] || return 0
  {
    echo "### $title"
    echo
    echo "By shared object (self time):"
    echo '```'
    perf report -i "$work/$name.perf" --no-children --sort dso --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -8 | cut -c1-110 || true
    echo '```'
    echo "Top symbols (self time):"
    echo '```'
    perf report -i "$work/$name.perf" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -20 |
      sed -E "$demangle" | cut -c1-150 || true
    echo '```'
    echo "Inclusive time (children) of the hub's functions and the library calls that matter:"
    echo '```'
    perf report -i "$work/$name.perf" --children --sort sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | sed -E "$demangle" |
      grep -E '\[[.k]\] (ketenhub::|store::|\(anonymous namespace\)::[A-Za-z]+Adapter|sqlite3_(step|exec|prepare)|sqlite3Wal(Frames|Checkpoint)|__libc_pwrite|__GI_fdatasync|xml(SchemaValidate|CtxtRead|ReadMemory|ParseDocument)|SSL_do_handshake|ossl_statem|d2i_|ASN1_item_d2i|OSSL_DECODER_CTX_new|EVP_DigestVerify|EVP_DigestSign|X509_verify_cert|EC_POINT_mul|EVP_PKEY_derive|nlohmann::.*(dump|parse)|__GI___libc_(malloc|free)|pthread_rwlock)' |
      head -30 | cut -c1-150 || true
    echo '```'
    echo
  } >> "$work/profile.md"
}
profile_hub() { # NAME TITLE LOADGEN-ARGS...
  local name=$1 title=$2; shift 2
  start_hub "$(fresh_db)"
  lg "$name" "$HUB_PORT" "$@" >/dev/null &
  local lgpid=$!
  sleep 2
  profile_record "$name"
  wait $lgpid || true
  stop_hub
  profile_report "$name" "$title"
}

: > "$work/profile.md"
log "4/7 ketenhub: store growth, ingest at $SMALL vs $BIG stored events"
prefill() { # DB N
  start_hub "$1" "$work/prefill-hub.log"   # the hub creates its own schema
  stop_hub
  sed "s/@N@/$2/g" "$root/bench/prefill.sql" | sqlite3 "$1" >/dev/null
}
# time_reports DB SIZE: the four-weekly DT&V report (as the daemon makes it:
# every fact and acknowledgement read, the period's lists derived) and the
# year's funnel, each by the CLI on the store as it is; seconds and peak RSS.
time_reports() {
  local db=$1 size=$2 t
  bash "$root/scripts/gen-dev-config.sh" "$work/report.xml" "$certs" "$db" 0 "$root/config/reference" "$build/adapters"
  t=$( { /usr/bin/time -f '%e %M' "$HUB" report four-weekly --period 2010-07-01 --config "$work/report.xml" >/dev/null; } 2>&1 | tail -1)
  R[report_${size}_s]+=" ${t% *}" R[report_${size}_kb]+=" ${t#* }"
  t=$( { /usr/bin/time -f '%e %M' "$HUB" report funnel --from 2010-01-01 --to 2010-12-31 --format csv --config "$work/report.xml" >/dev/null; } 2>&1 | tail -1)
  R[funnel_${size}_s]+=" ${t% *}" R[funnel_${size}_kb]+=" ${t#* }"
}
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >>"$work/apt.log" 2>&1 || true
for r in $(seq 1 "$runs"); do
  db=$(fresh_db)
  prefill "$db" $SMALL
  start_hub "$db"
  line=$(lg hub-growth-small "$HUB_PORT" --mode closed --connections $CONNS --duration "$T_GROW" --warmup 1)
  R[grow_small]+=" $(jget '$.throughput' "$line")"
  R[grow_small_p99]+=" $(jget '$.latency_ms.p99' "$line")"
  stop_hub
  time_reports "$db" small
done
db=$(fresh_db)
t0=$(date +%s)
prefill "$db" $BIG
prefill_s=$(( $(date +%s) - t0 ))
big_size=$(du -m "$db" | cut -f1)
for r in $(seq 1 "$runs"); do
  before=$(sqlite3 "$db" "SELECT count(*) FROM events")
  R[grow_big_events]+=" $before"
  start_hub "$db"
  line=$(lg hub-growth-big "$HUB_PORT" --mode closed --connections $CONNS --duration "$T_GROW" --warmup 1)
  R[grow_big]+=" $(jget '$.throughput' "$line")"
  R[grow_big_p99]+=" $(jget '$.latency_ms.p99' "$line")"
  stop_hub
  time_reports "$db" big
done
if [ $profile = 1 ] && command -v perf >/dev/null; then   # one more, unmeasured run under perf
  start_hub "$db"
  ( sleep 2; profile_record profile-growth ) &
  prof_pid=$!
  lg profile-growth "$HUB_PORT" --mode closed --connections $CONNS --duration 7 >/dev/null
  wait "$prof_pid" || true
  stop_hub
fi
rm -f "$work/store.db"*

log "4b/7 ketenhub: end to end, COA documents pushed to the hub until the partner endpoints have what the hub routed"
# A real mutual-TLS partner endpoint (IOM's and COA's URL), the hub with
# outbound delivery, COA documents at a fixed rate spread over many persons.
# Per delivered message: the endpoint's arrival time minus the hub's
# received_at of the document that caused it (joined through the outbox).
E2E_RATE=${E2E_RATE:-500}
for r in $(seq 1 "$runs"); do
  ep=$work/endpoint-$r
  mkdir -p "$ep"
  "$build/ketenhub-partner-endpoint" --certificate "$certs/partner-endpoint.pem" --private-key "$certs/partner-endpoint-key.pem" \
    --client-ca "$certs/ca.pem" --out "$ep" --port-file "$ep/port" >"$ep/stdout" 2>"$ep/log" &
  ep_pid=$!
  pids+=("$ep_pid")
  for _ in $(seq 1 100); do [ -s "$ep/port" ] && break; sleep 0.1; done
  [ -s "$ep/port" ] || die "the partner endpoint did not start: $(cat "$ep/log")"
  db=$(fresh_db)
  bash "$root/scripts/gen-dev-config.sh" "$work/e2e.xml" "$certs" "$db" 0 "$root/config/reference" "$build/adapters" \
    "https://localhost:$(cat "$ep/port")"
  start_hub "$db" "$work/hub-e2e.log" "$work/e2e.xml"
  line=$("$LG" --url "https://127.0.0.1:$HUB_PORT/v1/messages" --ca "$certs/ca.pem" --cert-dir "$certs" \
           --samples "$root/adapters/coa/contract/samples/valid" --pad-to 2048 --quiet --threads 1 \
           --mode open --rate "$E2E_RATE" --connections 32 --duration "$T_LAT" 2>>"$work/loadgen.err") || true
  printf '{"name":"hub-e2e","result":%s}\n' "${line:-null}" >> "$raw"
  for _ in $(seq 1 300); do
    "$HUB" outbox list --status pending --config "$work/e2e.xml" 2>/dev/null | grep -q '^no messages' && break
    sleep 0.1
  done
  stop_hub
  kill -TERM "$ep_pid" 2>/dev/null; wait "$ep_pid" 2>/dev/null || true; forget_pid "$ep_pid"
  sed '1s/^/[/; $!s/$/,/; $s/$/]/' "$ep/received.jsonl" > "$ep/received.json"
  sqlite3 "$db" >"$ep/latency.txt" <<SQL
WITH got AS (SELECT json_extract(value, '\$.message_id') AS mid, min(json_extract(value, '\$.at_ms')) AS at_ms
             FROM json_each(readfile('$ep/received.json')) WHERE json_extract(value, '\$.status') BETWEEN 200 AND 299 GROUP BY 1)
SELECT got.at_ms - CAST(round((julianday(d.received_at) - 2440587.5) * 86400000.0) AS INTEGER)
FROM got JOIN outbox o ON o.message_id = got.mid JOIN events e ON e.seq = o.cause_seq JOIN documents d ON d.id = e.document_id
ORDER BY 1;
SQL
  n=$(grep -c . "$ep/latency.txt" || true)
  [ "${n:-0}" -gt 0 ] || die "end to end: nothing was delivered ($(tail -3 "$work/hub-e2e.log"))"
  pct() { awk -v p="$1" '{v[NR]=$1} END {i=int(NR*p/100+0.999999); if (i<1) i=1; if (i>NR) i=NR; print v[i]}' "$ep/latency.txt"; }
  R[e2e_n]+=" $n" R[e2e_p50]+=" $(pct 50)" R[e2e_p99]+=" $(pct 99)" R[e2e_max]+=" $(pct 100)"
  R[e2e_docs]+=" $(jget '$.completed' "$line")"
done

if [ $profile = 1 ] && command -v perf >/dev/null; then
  log "5/7 profiles of the hub (perf): ingest at max and full handshakes"
  profile_hub profile-ingest "Ingest at the maximum (closed loop, $CONNS connections, fresh store)" \
    --mode closed --connections $CONNS --duration 8
  profile_hub profile-handshakes "Full mTLS handshakes ($HS_CONNS connections, no HTTP)" \
    --handshakes-only --connections $HS_CONNS --threads $HS_THREADS --duration 8
  [ -s "$work/profile-growth.perf" ] && profile_report profile-growth "Ingest into the store with $BIG events"
else
  log "5/7 profiles skipped"
fi

if [ $diagnostics = 1 ]; then
  log "5b/7 what-if variants of the hub (diagnostic only): log level warn, jemalloc, synchronous=normal"
  jem=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
  [ -f $jem ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc2 >>"$work/apt.log" 2>&1 || true
  diag_rounds=$(( runs > 2 ? 2 : runs ))
  for r in $(seq 1 "$diag_rounds"); do
    for v in base warn jemalloc normal; do
      HUB_LOG_LEVEL=info HUB_SYNC=full HUB_PRELOAD=
      case $v in
        warn) HUB_LOG_LEVEL=warn ;;
        jemalloc) [ -f $jem ] || continue; HUB_PRELOAD=$jem ;;
        normal) HUB_SYNC=normal ;;
      esac
      start_hub "$(fresh_db)"
      line=$(lg "hub-variant-$v" "$HUB_PORT" --mode closed --connections $CONNS --duration 8 --warmup 1)
      R[diag_$v]+=" $(jget '$.throughput' "$line")"
      stop_hub
    done
  done
  HUB_LOG_LEVEL=info HUB_SYNC=full HUB_PRELOAD=
fi

ngx_ok=0 nr_ok=0
if [ $compare = 1 ]; then
  log "6/7 nginx (mTLS, static 202, one worker)"
  if setup_nginx; then
    ngx_ok=1
    ngx_version=$(nginx -v 2>&1 | sed 's/.*nginx\///')
    start_nginx
    R[ngx_idle_rss]=$(rss_kb $(nginx_pids))
    for r in $(seq 1 "$runs"); do
      line=$(lg nginx-max "$NGX_PORT" --mode closed --connections $CONNS --duration "$T_MAX" --warmup $WARM)
      R[ngx_max]+=" $(jget '$.throughput' "$line")"
    done
    R[ngx_load_hwm]=$(hwm_kb $(nginx_pids))
    read -r ngx_max_med _ _ <<<"$(mstat "${R[ngx_max]}")"
    for pct in 50 80; do   # the hub's rates: at its own 50% the load generator, not nginx, would be the limit
      rate=${R[hub_lat_${pct}_rate]}
      R[ngx_lat_${pct}_rate]=$rate
      for r in $(seq 1 "$runs"); do
        line=$(lg "nginx-open-$pct" "$NGX_PORT" --mode open --rate "$rate" --connections $OPEN_CONNS --duration "$T_LAT" --warmup $WARM)
        for q in p50 p99 p99.9; do R[ngx_lat_${pct}_$q]+=" $(jget "\$.latency_ms.\"$q\"" "$line")"; done
        R[ngx_lat_${pct}_achieved]+=" $(jget '$.throughput' "$line")"
      done
    done
    for r in $(seq 1 "$runs"); do
      t0=$(sum_ticks $(nginx_pids))
      line=$(lg nginx-handshakes "$NGX_PORT" --handshakes-only --connections $HS_CONNS --threads $HS_THREADS --duration "$T_HS" --warmup 1)
      t1=$(sum_ticks $(nginx_pids))
      R[ngx_hs]+=" $(jget '$.throughput' "$line")"
      R[ngx_hs_server_us]+=" $(server_us_per_hs "$t0" "$t1" "$line")"
      R[ngx_hs_client_us]+=" $(client_us_per_hs "$line")"
    done
    for r in $(seq 1 "$runs"); do
      line=$(lg nginx-fresh "$NGX_PORT" --mode closed --fresh-connections --connections $HS_CONNS --threads $HS_THREADS --duration "$T_HS" --warmup 1)
      R[ngx_fresh]+=" $(jget '$.throughput' "$line")"
    done
    stop_nginx
    for r in $(seq 1 "$runs"); do
      start_nginx
      idle_measure nginx-idle "$NGX_PORT" nginx_pids
      R[ngx_conn_rss]+=" $IDLE_RSS"
      R[ngx_conn_settled_rss]+=" $IDLE_SETTLED_RSS"
      stop_nginx
    done
  fi

  log "7/7 Node-RED (HTTPS in + client certificate check, XML parse, SQLite insert, 202; and without the insert)"
  if setup_nodered; then
    nr_ok=1
    start_nodered
    R[nr_idle_rss]=$(rss_kb "$NR_PID")
    for r in $(seq 1 "$runs"); do
      line=$(lg nodered-max "$NR_PORT" --mode closed --connections $NR_CONNS --duration "$T_MAX" --warmup $WARM)
      R[nr_max]+=" $(jget '$.throughput' "$line")"
      R[nr_max_errors]+=" $(errors_of "$line")"
    done
    # The issue's reference: the same flow with nothing persisted (XML parse and
    # answer), the flow its "4x Node-RED" is measured against.
    for r in $(seq 1 "$runs"); do
      line=$(lg nodered-parse-max "$NR_PORT" --url "https://127.0.0.1:$NR_PORT/v1/parsed" --mode closed --connections $NR_CONNS --duration "$T_MAX" --warmup $WARM)
      R[nr_parse_max]+=" $(jget '$.throughput' "$line")"
      R[nr_parse_errors]+=" $(errors_of "$line")"
    done
    # And at the hub's own concurrency, like for like with the hub's maximum
    # (NR_CONNS is Node-RED's best; with SQLite it did half as much at 128).
    for r in $(seq 1 "$runs"); do
      line=$(lg nodered-parse-max-$CONNS "$NR_PORT" --url "https://127.0.0.1:$NR_PORT/v1/parsed" --mode closed --connections $CONNS --duration "$T_MAX" --warmup $WARM)
      R[nr_parse_max_hubconns]+=" $(jget '$.throughput' "$line")"
      R[nr_parse_errors]+=" $(errors_of "$line")"
    done
    R[nr_load_hwm]=$(hwm_kb "$NR_PID")
    read -r nr_max_med _ _ <<<"$(mstat "${R[nr_max]}")"
    for pct in 50 80; do   # 50% and 80% of its own maximum (the hub's rates are beyond it)
      rate=$(awk -v m="$nr_max_med" -v p=$pct 'BEGIN {printf "%.0f", m*p/100}')
      R[nr_lat_${pct}_rate]=$rate
      for r in $(seq 1 "$runs"); do
        line=$(lg "nodered-open-$pct" "$NR_PORT" --mode open --rate "$rate" --connections $OPEN_CONNS --duration "$T_LAT" --warmup $WARM)
        for q in p50 p99 p99.9; do R[nr_lat_${pct}_$q]+=" $(jget "\$.latency_ms.\"$q\"" "$line")"; done
        R[nr_lat_${pct}_achieved]+=" $(jget '$.throughput' "$line")"
      done
    done
    for r in $(seq 1 "$runs"); do
      line=$(lg nodered-handshakes "$NR_PORT" --handshakes-only --connections $HS_CONNS --threads $HS_THREADS --duration "$T_HS" --warmup 1)
      R[nr_hs]+=" $(jget '$.throughput' "$line")"
    done
    for r in $(seq 1 "$runs"); do
      line=$(lg nodered-fresh "$NR_PORT" --mode closed --fresh-connections --connections $HS_CONNS --threads $HS_THREADS --duration "$T_HS" --warmup 1)
      R[nr_fresh]+=" $(jget '$.throughput' "$line")"
      R[nr_fresh_errors]+=" $(errors_of "$line")"
    done
    stop_nodered
    nr_pids() { echo "$NR_PID"; }
    for r in $(seq 1 "$runs"); do
      start_nodered
      idle_measure nodered-idle "$NR_PORT" nr_pids
      R[nr_conn_rss]+=" $IDLE_RSS"
      R[nr_conn_settled_rss]+=" $IDLE_SETTLED_RSS"
      stop_nodered
    done
  else
    log "   Node-RED not measured: $nr_note"
  fi
else
  log "6/7, 7/7 comparisons skipped"
fi

# ------------------------------------------------------------------ report
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
total_s=$(( $(date +%s) - started_at ))
log "writing $out (run took ${total_s}s)"

# cell KEY [DIGITS] [SCALE]: "median (min–max)" of R[KEY] divided by SCALE
cell() {
  local v=${R[$1]:-} d=${2:-0} s=${3:-1} med min max
  [ -n "${v// /}" ] || { echo "–"; return; }
  read -r med min max <<<"$(mstat "$v")"
  [ "$med" = - ] && { echo "–"; return; }
  med=$(awk -v v="$med" -v s="$s" 'BEGIN {print v/s}') min=$(awk -v v="$min" -v s="$s" 'BEGIN {print v/s}') max=$(awk -v v="$max" -v s="$s" 'BEGIN {print v/s}')
  if [ "$(fmt "$min" "$d")" = "$(fmt "$max" "$d")" ]; then fmt "$med" "$d"; else echo "$(fmt "$med" "$d") ($(fmt "$min" "$d")–$(fmt "$max" "$d"))"; fi
}
med() { local v=${R[$1]:-} m; [ -n "${v// /}" ] || { echo -; return; }; read -r m _ _ <<<"$(mstat "$v")"; echo "$m"; }
verdict() { # VALUE OP TARGET
  awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { if (v == "-" || v == "") { print "not measured"; exit }
    ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "**met**" : "**missed**" }'
}
ngx_col() { [ $ngx_ok = 1 ] && cell "$@" || echo "–"; }
nr_col() { [ $nr_ok = 1 ] && cell "$@" || echo "–"; }
hub_conn_mb=$(awk -v v="$(med hub_conn_rss)" 'BEGIN { if (v == "-") print "-"; else print v/1024 }')
hub_p99_50=$(med hub_lat_50_p99)

analysis=
if [ -f "$out" ] && grep -q '<!-- analysis:begin -->' "$out"; then
  analysis=$(sed -n '/<!-- analysis:begin -->/,/<!-- analysis:end -->/p' "$out")
fi
[ -n "$analysis" ] || analysis=$'<!-- analysis:begin -->\n## Analysis\n\n(No analysis written yet.)\n<!-- analysis:end -->'

mkdir -p "$(dirname "$out")"
{
cat <<EOF
# Performance

Issue 5. Everything here except the analysis block is written by \`bench/run.sh\`$([ $quick = 1 ] && echo ' (here in `--quick` mode: one run per figure, short windows, store growth only up to 100k events)'); the
analysis block is written by hand and kept when the script runs again.

- Run: \`bash bench/run.sh\` (about 18 minutes; \`--quick\` about 4 minutes). It builds \`ketenhub\`,
  the adapters and \`ketenhub-loadgen\` in \`build-bench/\`, installs nginx (Debian package) and
  Node-RED (npm registry) when missing, runs everything against 127.0.0.1 and rewrites this file.
- Load generator: \`build-bench/bench/ketenhub-loadgen --help\` (\`bench/loadgen.cpp\`); its smoke test is
  \`ctest -L bench-smoke\` (the benchmark itself is not part of the test suite).

## Targets (issue 5)

| Target | Measured (median) | |
|---|---|---|
| ≥ 5,000 durable docs/s | $(fmt "$hub_max_med" 0) docs/s | $(verdict "$hub_max_med" '>=' 5000) |
| … that is ≥ 4× Node-RED's non-durable XML flow (the issue measured it at ~1,300/s; here, same run) | $(ratio "$hub_max_med" "$(med nr_parse_max)") ($(fmt "$hub_max_med" 0) against $(fmt "$(med nr_parse_max)" 0) docs/s) | $(verdict "$(awk -v a="$hub_max_med" -v b="$(med nr_parse_max)" 'BEGIN { if (a == "-" || b == "-" || b == "" || b == 0) print "-"; else print a/b }')" '>=' 4) |
| p99 ack ≤ 10 ms at 50% load | $(fmt "$hub_p99_50" 1) ms | $(verdict "$hub_p99_50" '<=' 10) |
| ≤ 150 MB RSS with 1,000 connections | $(fmt "$hub_conn_mb" 1) MB | $(verdict "$hub_conn_mb" '<=' 150) |
| ≥ 1,500 full mTLS handshakes/s (2 cores, load generator on the same machine) | $(fmt "$(med hub_hs)" 0) /s | $(verdict "$(med hub_hs)" '>=' 1500) |

## Results

$(date -u '+%Y-%m-%d %H:%M UTC'); commit \`$commit\`$([ "$dirty" -gt 0 ] && echo " with $dirty uncommitted change(s) under hub/, plugins/, adapters/"); $runs run(s) per figure: median (min–max).
Machine: $machine. Load average before the run $load_before, after $load_after; the run took $((total_s / 60)) min $((total_s % 60)) s.
**Other builds and tests may have been running on this machine during the run** (it is shared); the load
averages above show how busy it was.

| Figure | ketenhub | nginx $([ $ngx_ok = 1 ] && echo "$ngx_version" ) (mTLS, static 202, 1 worker) | Node-RED ${nr_version:-} ($([ $nr_sqlite = yes ] && echo "flow with SQLite" || echo "flow **without** SQLite")) | ketenhub / nginx | ketenhub / Node-RED |
|---|---|---|---|---|---|
| Sustained durable ingest, ~2 KB documents, closed loop, $CONNS connections (Node-RED $NR_CONNS, its best) (docs/s) | $(cell hub_max) | $(ngx_col ngx_max) | $(nr_col nr_max) | $(ratio "$(med hub_max)" "$(med ngx_max)") | $(ratio "$(med hub_max)" "$(med nr_max)") |
| events routed by the end of the maximum run (%; routing yields the CPU to ingest and catches up afterwards) | $(cell hub_max_routed 1) | – | – | | |
| routing alone, catching up after the maximum run (events/s; about 3 events per document) | $(cell hub_route_alone) | – | – | | |
| The same, Node-RED's flow with nothing persisted (XML parse and 202: the issue's reference), Node-RED at $NR_CONNS connections (docs/s) | $(cell hub_max) (durable) | – | $(nr_col nr_parse_max) | – | $(ratio "$(med hub_max)" "$(med nr_parse_max)") |
| The same, both at $CONNS connections (like for like) (docs/s) | $(cell hub_max) (durable) | – | $(nr_col nr_parse_max_hubconns) | – | $(ratio "$(med hub_max)" "$(med nr_parse_max_hubconns)") |
| Ack latency at 50% load: offered rate (req/s) | $(fmt "${R[hub_lat_50_rate]:-}" 0) (50% of its maximum) | $(ngx_col ngx_lat_50_rate) (the hub's rate) | $(nr_col nr_lat_50_rate) (50% of its maximum) | | |
| p50 at 50% load (ms) | $(cell hub_lat_50_p50 2) | $(ngx_col ngx_lat_50_p50 2) | $(nr_col nr_lat_50_p50 2) | $(ratio "$(med hub_lat_50_p50)" "$(med ngx_lat_50_p50)") | $(ratio "$(med hub_lat_50_p50)" "$(med nr_lat_50_p50)") |
| p99 at 50% load (ms) | $(cell hub_lat_50_p99 2) | $(ngx_col ngx_lat_50_p99 2) | $(nr_col nr_lat_50_p99 2) | $(ratio "$(med hub_lat_50_p99)" "$(med ngx_lat_50_p99)") | $(ratio "$(med hub_lat_50_p99)" "$(med nr_lat_50_p99)") |
| p99.9 at 50% load (ms) | $(cell hub_lat_50_p99.9 2) | $(ngx_col ngx_lat_50_p99.9 2) | $(nr_col nr_lat_50_p99.9 2) | $(ratio "$(med hub_lat_50_p99.9)" "$(med ngx_lat_50_p99.9)") | $(ratio "$(med hub_lat_50_p99.9)" "$(med nr_lat_50_p99.9)") |
| rate achieved at 50% load (req/s) | $(cell hub_lat_50_achieved) | $(ngx_col ngx_lat_50_achieved) | $(nr_col nr_lat_50_achieved) | | |
| events routed by the end of the 50% run (%; 100: routing kept up) | $(cell hub_lat_50_routed 1) | – | – | | |
| Ack latency at 80% load: offered rate (req/s) | $(fmt "${R[hub_lat_80_rate]:-}" 0) (80% of its maximum) | $(ngx_col ngx_lat_80_rate) (the hub's rate) | $(nr_col nr_lat_80_rate) (80% of its maximum) | | |
| p50 at 80% load (ms) | $(cell hub_lat_80_p50 2) | $(ngx_col ngx_lat_80_p50 2) | $(nr_col nr_lat_80_p50 2) | $(ratio "$(med hub_lat_80_p50)" "$(med ngx_lat_80_p50)") | $(ratio "$(med hub_lat_80_p50)" "$(med nr_lat_80_p50)") |
| p99 at 80% load (ms) | $(cell hub_lat_80_p99 2) | $(ngx_col ngx_lat_80_p99 2) | $(nr_col nr_lat_80_p99 2) | $(ratio "$(med hub_lat_80_p99)" "$(med ngx_lat_80_p99)") | $(ratio "$(med hub_lat_80_p99)" "$(med nr_lat_80_p99)") |
| p99.9 at 80% load (ms) | $(cell hub_lat_80_p99.9 2) | $(ngx_col ngx_lat_80_p99.9 2) | $(nr_col nr_lat_80_p99.9 2) | $(ratio "$(med hub_lat_80_p99.9)" "$(med ngx_lat_80_p99.9)") | $(ratio "$(med hub_lat_80_p99.9)" "$(med nr_lat_80_p99.9)") |
| rate achieved at 80% load (req/s) | $(cell hub_lat_80_achieved) | $(ngx_col ngx_lat_80_achieved) | $(nr_col nr_lat_80_achieved) | | |
| events routed by the end of the 80% run (%) | $(cell hub_lat_80_routed 1) | – | – | | |
| Full mTLS handshakes/s (no HTTP, $HS_CONNS connections) | $(cell hub_hs) | $(ngx_col ngx_hs) | $(nr_col nr_hs) | $(ratio "$(med hub_hs)" "$(med ngx_hs)") | $(ratio "$(med hub_hs)" "$(med nr_hs)") |
| Durable ingest with a fresh mTLS connection per document (TCP, full handshake, one POST, close; $HS_CONNS connections) (docs/s) | $(cell hub_fresh) | $(ngx_col ngx_fresh) | $(nr_col nr_fresh) | $(ratio "$(med hub_fresh)" "$(med ngx_fresh)") | $(ratio "$(med hub_fresh)" "$(med nr_fresh)") |
| CPU per full handshake, server side (µs) | $(cell hub_hs_server_us) | $(ngx_col ngx_hs_server_us) | – | $(ratio "$(med hub_hs_server_us)" "$(med ngx_hs_server_us)") | |
| CPU per full handshake, load generator side (µs) | $(cell hub_hs_client_us) | $(ngx_col ngx_hs_client_us) | – | | |
| RSS idle, after start (MB) | $(cell hub_idle_rss 1 1024) | $(ngx_col ngx_idle_rss 1 1024) | $(nr_col nr_idle_rss 1 1024) | $(ratio "$(med hub_idle_rss)" "$(med ngx_idle_rss)") | $(ratio "$(med hub_idle_rss)" "$(med nr_idle_rss)") |
| RSS with $IDLE open mTLS connections (MB) | $(cell hub_conn_rss 1 1024) | $(ngx_col ngx_conn_rss 1 1024) | $(nr_col nr_conn_rss 1 1024) | $(ratio "$(med hub_conn_rss)" "$(med ngx_conn_rss)") | $(ratio "$(med hub_conn_rss)" "$(med nr_conn_rss)") |
| … the same connections idle ${SETTLE} s later (MB) | $(cell hub_conn_settled_rss 1 1024) | $(ngx_col ngx_conn_settled_rss 1 1024) | $(nr_col nr_conn_settled_rss 1 1024) | $(ratio "$(med hub_conn_settled_rss)" "$(med ngx_conn_settled_rss)") | $(ratio "$(med hub_conn_settled_rss)" "$(med nr_conn_settled_rss)") |
| Peak RSS under load, VmHWM (MB) | $(cell hub_load_hwm 1 1024) | $(ngx_col ngx_load_hwm 1 1024) | $(nr_col nr_load_hwm 1 1024) | $(ratio "$(med hub_load_hwm)" "$(med ngx_load_hwm)") | $(ratio "$(med hub_load_hwm)" "$(med nr_load_hwm)") |
| End-to-end: a COA document pushed to the hub until the partner endpoint has the routed message, at ${E2E_RATE} docs/s: p50 / p99 / max (ms) | $(cell e2e_p50) / $(cell e2e_p99) / $(cell e2e_max) ($(cell e2e_n) messages from $(cell e2e_docs) documents) | – | – | – | – |

Ratios are ketenhub ÷ the other: above 1× means more docs/s or handshakes/s, but also more milliseconds or
megabytes. Latency: ketenhub and Node-RED each at 50% and 80% of their own median maximum (the same
relative load); nginx at the hub's rates, where it shows what HTTPS with mTLS alone costs (at 50% of its
own maximum the load generator, on the same 2 cores, would be the limit). An achieved rate below the
offered rate means the system could not keep up there, so its latencies grow with the run's length.
During the closed-loop ingest runs: ${R[hub_cpu_note]:-}.
Inside the hub at 50% load (its own histograms, \`GET /v1/metrics\`, over each measured window): requests
that took more than 10 ms from their header's arrival to their answer written: $(cell hub_stage_r 2)%; answers
that took more than 10 ms from their arrival at ingest to durable: $(cell hub_stage_in 2)% of documents; in
the store, a wait in the writer's queue over 5 ms: $(cell hub_stage_q 2)% of documents, a group's
transaction over 5 ms: $(cell hub_stage_t 2)% of groups, the WAL's fdatasync over 5 ms: $(cell hub_stage_s 2)%
of syncs, the writer held over 5 ms while the WAL starts over: $(cell hub_stage_h 2)% of those holds.
Errors (non-2xx or transport) in the ketenhub ingest runs: ${R[hub_max_errors]:-–} (keep-alive), ${R[hub_fresh_errors]:-–} (a connection per document); in Node-RED's: ${R[nr_max_errors]:-–} (with SQLite), ${R[nr_parse_errors]:-–} (nothing persisted), ${R[nr_fresh_errors]:-–} (a connection per document).
The mix in the last closed-loop run: ${R[hub_mix_note]:-–}.

### Store growth

| Stored events before the run | Ingest (docs/s), closed loop, $CONNS connections | p99 (ms) |
|---|---|---|
| $SMALL (fresh store per run) | $(cell grow_small) | $(cell grow_small_p99 1) |
| $(echo ${R[grow_big_events]:-} | tr ' ' '\n' | head -1)$( [ "$runs" -gt 1 ] && echo "–$(echo ${R[grow_big_events]:-} | tr ' ' '\n' | tail -1) (one store; each run adds to it)") | $(cell grow_big) | $(cell grow_big_p99 1) |

| Stored events | Four-weekly DT&V report (s) | its peak RSS (MB) | Funnel for a year (s) | its peak RSS (MB) |
|---|---|---|---|---|
| $SMALL | $(cell report_small_s 2) | $(cell report_small_kb 0 1024) | $(cell funnel_small_s 2) | $(cell funnel_small_kb 0 1024) |
| $BIG | $(cell report_big_s 2) | $(cell report_big_kb 0 1024) | $(cell funnel_big_s 2) | $(cell funnel_big_kb 0 1024) |

Reports: \`ketenhub report four-weekly --period 2010-07-01\` and \`ketenhub report funnel --from 2010-01-01 --to 2010-12-31\`
on the store after each growth run (the CLI reads what the daemon reads: every stored fact, and for the DT&V
report every acknowledgement in the outbox).

Ratio $BIG / $SMALL: $(ratio "$(med grow_big)" "$(med grow_small)"). The $BIG-event store ($big_size MB) was made by
\`bench/prefill.sql\` in ${prefill_s} s on a store the hub had just created (its own schema).

$(if [ $diagnostics = 1 ]; then cat <<EOT
### What-if variants of the hub (diagnostic, not the product configuration)

Closed loop, $CONNS connections, 8 s after 1 s warm-up, a fresh hub and store each, interleaved (base, warn,
jemalloc, normal) ${diag_rounds:-1} time(s) so that the machine's background load hits them alike.

| Variant | docs/s | vs base |
|---|---|---|
| base (as above: info logging, synchronous=full, $(ldd "$HUB" | grep -q jemalloc && echo 'jemalloc linked' || echo 'glibc malloc')) | $(cell diag_base) | 1.00× |
| logging level warn (no line per accepted document) | $(cell diag_warn) | $(ratio "$(med diag_warn)" "$(med diag_base)") |
| jemalloc preloaded (LD_PRELOAD, Debian libjemalloc2; no change expected where the hub links it) | $(cell diag_jemalloc) | $(ratio "$(med diag_jemalloc)" "$(med diag_base)") |
| synchronous=normal (**not durable**: no fsync per commit) | $(cell diag_normal) | $(ratio "$(med diag_normal)" "$(med diag_base)") |

EOT
fi)

## Method

- **Documents**: the partner samples vendored in \`adapters/<partner>/contract/samples/valid/\` of every partner
  whose adapter is built (here: ${partners[*]}), only the documents the partner sends (root element declared in
  its \`contract/inbound.xsd\`): COA's referrals and helpdesk questions, VWN's front-office registrations and
  contact-moment exports, IOM's case updates, MbT's follow-up exports, DT&V's support requests, declarations,
  departures and country list. The load generator renumbers the id each partner keys its documents and
  records by (COA \`berichtId\`, IOM \`messageId\`, DT&V \`berichtkenmerk\`, VWN \`regelId\`, MbT \`exportId\`),
  keeping its format, so every request is a full ingest of new records, never a duplicate or an
  already-known record (the smoke test checks this). Each is padded to 2,048 bytes with an XML comment
  after the XML declaration (VWN's export of six contact moments is 2,083 bytes without). Each partner has
  its own connections (an equal share) with its own client certificate. The batch exports carry several
  records and MbT's dossiers several steps each, so a document stores about three events on average (the
  line under the table). The documents are spread over 100,000 synthetic
  persons (V-nummer, COA number, IOM case number, VWN client number, MbT dossier number and family name
  rewritten per request, each sample its own range and each record of a batch its own person), so
  identity resolution and routing see many people with a few documents each, as in the
  chain, rather than every document piling onto the samples' dozen people.
- **The hub routes while it ingests**: every committed event that can lead somewhere (referrals,
  registrations, support requests, the back office's answers; about a quarter of the events of this mix, 0.7 per document) is routed by
  the hub's routing thread, and the messages it causes are encoded (DT&V's signed) and stored in the
  outbox during the same runs. The partners have no delivery configured here, so those messages are
  stored as undeliverable; delivery is measured by the end-to-end figure. Routing runs at a lower
  priority than ingest: under a load the CPU cannot carry for both it falls behind and catches up when
  the load drops. The table says what share of each run's events routing had passed when the load
  stopped (100%: it kept up); the hub reports the same live as \`routing_backlog_events\` on
  \`GET /v1/metrics\`.
- **ketenhub**: \`build-bench\` (Release, -O3), the hub's own config format with 2 I/O threads, SQLite WAL with
  \`synchronous="full"\` (every 202 is after an fsync'd group commit), logging at info level to a file, a fresh
  store and a fresh process for each run.
- **Sustained durable ingest**: closed loop, keep-alive, $CONNS connections, ${WARM} s warm-up, ${T_MAX} s
  measured; docs/s counts 2xx answers received inside the window.
- **Ack latency**: open loop (requests scheduled at a fixed rate independent of the answers, latency counted
  from the scheduled time, so a stall is not hidden: no coordinated omission), $OPEN_CONNS keep-alive
  connections, ${T_LAT} s measured after ${WARM} s: ketenhub and Node-RED at 50% and 80% of their own median
  maximum, nginx at the hub's rates. At 50% the hub's own latency histograms (\`GET /v1/metrics\`) are
  read when the warm-up ends and when the window does; the line under the table gives the share of the
  window's answers and store steps that were slow.
- **Handshakes**: $HS_CONNS connections on $HS_THREADS load-generator thread each doing TCP connect + full TLS
  handshake with client certificate (no session resumption, no tickets) and close, no HTTP; the CPU per
  handshake is the server's process CPU (nginx: master and worker) and the load generator's over the run,
  divided by the handshakes made; ECDSA P-256 certificates from
  \`scripts/gen-dev-certs.sh\`, TLS 1.3. The load generator sends its certificate alone (the server holds the CA)
  and verifies the server's chain in full once per partner identity, then recognises it
  (\`hub/net/verified_certificates.hpp\`, as the hub does with the partners' chains); it still checks the
  server's signature over every handshake. It reads the server certificate's EC key with OpenSSL's
  built-in code rather than OpenSSL 3.0's provider decoders (\`hub/net/peer_key_decoding.hpp\`; about a
  fifth less of the CPU it shares with the server; \`--openssl-key-decoders\` for OpenSSL's default); the
  servers keep OpenSSL's default. Both servers are measured with this same client.
- **A connection per document**: the same $HS_CONNS connections, each doing TCP connect, the full handshake,
  one POST (\`Connection: close\`) and close, closed loop, on the hub's freshly started process after its
  handshake run: what a partner system that connects for every push gets (the hub's 202 after the commit;
  nginx's static 202; Node-RED's flow with SQLite).
- **Memory**: VmRSS from \`/proc/PID/status\` after start; with $IDLE connections that each did the mTLS
  handshake and one POST, held open, 1 s after the last was established and again ${SETTLE} s later (the
  1,000 handshakes and POSTs arrive in one burst; what an allocator keeps from it shows in the first
  figure); VmHWM after the load runs. nginx: master + worker summed.
- **End to end**: a real mutual-TLS partner endpoint (\`build-bench/ketenhub-partner-endpoint\`, the hub's
  own server code) is configured as COA's and IOM's push URL; COA's documents are sent open loop at
  ${E2E_RATE} docs/s for ${T_LAT} s (over many persons, as above). For every message the endpoint accepted: the
  endpoint's arrival time minus the hub's \`received_at\` of the document that caused it, joined through
  the outbox (\`outbox.cause_seq\` → event → document). Both clocks are this machine's.
- **Report time**: \`ketenhub report four-weekly --period 2010-07-01\` and \`ketenhub report funnel\` for 2010,
  timed with \`/usr/bin/time\` (elapsed seconds, peak RSS) on the store after each growth run.
- **Store growth**: the closed-loop ingest against a store pre-filled by \`bench/prefill.sql\` (synthetic
  documents, records, events and persons in the hub's schema with the sizes of the real rows) with $SMALL and
  with $BIG events.
- **nginx**: Debian's nginx, one worker, the same certificates, \`ssl_verify_client on\`, \`return 202\` (the body
  is read and discarded): the ceiling of HTTPS with mTLS on this machine.
- **Node-RED** ${nr_version:-}: \`http in\` over HTTPS with \`requestCert\`/\`rejectUnauthorized\` and a function
  node mapping the certificate CN to a partner (403 otherwise), the \`xml\` node, a function taking the message
  id, $([ $nr_sqlite = yes ] && echo "the \`sqlite\` node of node-red-node-sqlite inserting the document (WAL, synchronous FULL, one commit per request; INSERT OR IGNORE on (partner, message id))" || echo "**no SQLite node** (node-red-node-sqlite did not install here)"), and \`http response\` 202 with a JSON receipt. It does no schema
  validation, no identity resolution and no canonical events: less work than the hub. The same flow also
  answers on \`/v1/parsed\` without the insert (XML parse and 202, nothing persisted): the issue's reference flow
  for its "4× Node-RED", measured in the same run.$([ -n "$nr_note" ] && echo " Note: $nr_note.")
  node-red-node-sqlite depends on the npm package sqlite3, whose prebuilt binary is a download from outside the
  npm registry; that download fails here, and npm builds it from the C source inside the npm package instead
  (\`npm_config_nodedir=/usr\`, the Node.js headers of the installed nodejs package).
- The load generator (\`ketenhub-loadgen\`, $LG_THREADS thread$([ "$LG_THREADS" = 1 ] || echo s)) runs on the same 2 cores as the system measured.

$analysis

## Profiles (perf, written by bench/run.sh)

$(if [ -s "$work/profile.md" ]; then cat "$work/profile.md"; else echo "Not taken in this run (\`--no-profile\`, \`--quick\` or no perf)."; fi)

## Raw results

<details><summary>One JSON line per load generator run</summary>

\`\`\`
$(cat "$raw")
\`\`\`
</details>
EOF
} > "$out.tmp"
mv "$out.tmp" "$out"
log "done: $out"
