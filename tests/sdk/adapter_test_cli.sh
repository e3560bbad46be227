#!/usr/bin/env bash
# `ketenhub adapter test` against the in-tree COA adapter: what it prints on
# success, and its exit codes and file:line messages on every kind of error.
#
#   adapter_test_cli.sh SOURCE_DIR KETENHUB_BINARY COA_PLUGIN
set -euo pipefail

src=$(cd "$1" && pwd)
ketenhub=$2
coa=$3
samples=$src/adapters/coa/contract/samples

work=$(mktemp -d "${TMPDIR:-/tmp}/kh-adapter-test-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect NAME RC PATTERN -- ARGS...: runs the command, checks the exit code and
# that stderr (or stdout for PATTERN prefixed with "stdout:") matches PATTERN.
expect() {
  local name=$1 want=$2 pattern=$3 rc stream=err
  shift 4
  set +e
  "$ketenhub" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  set -e
  if [[ $pattern == stdout:* ]]; then pattern=${pattern#stdout:}; stream=out; fi
  if [ "$rc" != "$want" ]; then
    fail "$name: exit $rc, expected $want"; sed 's/^/    /' "$work/err" >&2; return
  fi
  if ! grep -Eq -- "$pattern" "$work/$stream"; then
    fail "$name: std$stream does not match: $pattern"; sed 's/^/    /' "$work/$stream" >&2; return
  fi
  echo "ok   $name"
}

partner() {  # FILE [extra adapter body] [plugin]
  cat >"$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<partner xmlns="urn:ketenhub:config:1" code="coa">
  <certificate subject="CN=coa,OU=Partners,O=Ketenhub Development"/>
  <adapter plugin="${3:-$coa}">
    ${2:-}
  </adapter>
</partner>
EOF
}

partner "$work/coa.xml"
valid=$samples/valid/helpdeskvraag-dtv-beridze.xml

expect "valid sample: exit 0, canonical JSON on stdout" 0 'stdout:"type": "helpdesk_question"' \
  -- adapter test --partner-config "$work/coa.xml" --sample "$valid"
if ! cmp -s "$work/out" "$src/adapters/coa/golden/helpdeskvraag-dtv-beridze.json"; then
  fail "a single sample's output is not byte-identical to its golden file"
else
  echo "ok   single-sample output is the golden-file format"
fi
expect "--plugin alone is enough (no partner file)" 0 "OK: HelpdeskVraag" \
  -- adapter test --plugin "$coa" --sample "$valid"
expect "invalid sample: exit 1 with file:line: field" 1 \
  "^$samples/invalid/missing-required-coanummer.xml:10: /Doorverwijzing/client/vNummer: " \
  -- adapter test --partner-config "$work/coa.xml" --sample "$valid" --sample "$samples/invalid/missing-required-coanummer.xml"
expect "DOCTYPE refused" 1 "xxe-external-entity.xml:[0-9]+: DOCTYPE: " \
  -- adapter test --partner-config "$work/coa.xml" --sample "$samples/invalid/xxe-external-entity.xml"

cat >"$work/status.json" <<'EOF'
{"type":"referral_status","message_id":"6f1c2a9e-3b4d-4e8a-9c71-2d5e8f0a1b99","created_at":"2010-06-20T10:00:00+02:00",
 "fields":{"status":"accepted","referral_number":"FO-2010-00001","coa_number":"30415522","effective_at":"2010-06-20"}}
EOF
expect "--encode prints the native document" 0 "stdout:<status>GEACCEPTEERD</status>" \
  -- adapter test --partner-config "$work/coa.xml" --encode "$work/status.json"
echo '{"type":"referral_status","message_id":"m","created_at":"2010-06-20T10:00:00+02:00","fields":{}}' >"$work/bad.json"
expect "--encode of an incomplete message: exit 1 naming the field" 1 "bad.json: fields.status: " \
  -- adapter test --partner-config "$work/coa.xml" --encode "$work/bad.json"

# ---- exit 2: the plugin, the partner file or an input cannot be loaded ----
partner "$work/setting.xml" '<setting name="colour" value="blue"/>'
expect "unknown setting: exit 2 with file:line" 2 \
  "^$work/setting.xml:5: /partner\[@code='coa'\]/adapter/setting\[@name='colour'\]: adapter 'coa' has no setting 'colour'" \
  -- adapter test --partner-config "$work/setting.xml" --sample "$valid"
expect "missing --plugin file: exit 2 naming it" 2 "^$work/no-such-adapter.so: plugin file does not exist" \
  -- adapter test --plugin "$work/no-such-adapter.so" --partner-config "$work/coa.xml" --sample "$valid"
partner "$work/missing.xml" "" "no-such-adapter.so"
expect "missing plugin in the partner file: exit 2 with file:line" 2 \
  "^$work/missing.xml:4: /partner\[@code='coa'\]/adapter/@plugin: plugin $work/no-such-adapter.so does not exist" \
  -- adapter test --partner-config "$work/missing.xml" --sample "$valid"
echo "not a shared library" >"$work/junk.so"
expect "a file that is not a plugin: exit 2 naming it" 2 "^$work/junk.so: cannot load plugin" \
  -- adapter test --plugin "$work/junk.so" --sample "$valid"
sed 's/<partner /<partner colour="blue" /' "$work/coa.xml" >"$work/schema.xml"
expect "a partner file the XSD refuses: exit 2 with file:line" 2 "^$work/schema.xml:2: .*colour" \
  -- adapter test --partner-config "$work/schema.xml" --sample "$valid"
expect "a whole hub config is not a partner file" 2 "expected a <partner> document, not <ketenhub>" \
  -- adapter test --partner-config "$src/config/ketenhub.example.xml" --plugin "$coa" --sample "$valid"
expect "an unreadable sample: exit 2 naming it" 2 "^$work/nothing.xml: cannot read sample document" \
  -- adapter test --partner-config "$work/coa.xml" --sample "$work/nothing.xml"
expect "a missing reference directory: exit 2" 2 "^$work/no-reference: reference directory does not exist" \
  -- adapter test --partner-config "$work/coa.xml" --sample "$valid" --reference-dir "$work/no-reference"
expect "usage error: exit 64" 64 "give at least one --sample or --encode" \
  -- adapter test --plugin "$coa"

# The daemon's loader still wants a <ketenhub> root, although the schema now
# also declares <partner> globally.
expect "config check refuses a partner file" 1 "^$work/coa.xml:2: /partner: expected a <ketenhub> document" \
  -- config check --config "$work/coa.xml"

[ "$failures" = 0 ] || { echo "$failures check(s) failed" >&2; exit 1; }
echo "OK: all ketenhub adapter test checks passed"
