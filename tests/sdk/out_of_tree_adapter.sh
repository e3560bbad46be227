#!/usr/bin/env bash
# The adapter SDK needs nothing from the source tree: install the SDK (and the
# hub binary) into an empty prefix, build docs/examples/healthnet-adapter from
# a copy outside the tree against that prefix only, and try the plugin with the
# installed `ketenhub adapter test`.
#
#   out_of_tree_adapter.sh SOURCE_DIR BUILD_DIR [CMAKE]
set -euo pipefail

src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
cmake=${3:-cmake}

work=$(mktemp -d "${TMPDIR:-/tmp}/kh-sdk-test.XXXXXX")
keep=0
cleanup() { if [ "$keep" = 0 ]; then rm -rf "$work"; else echo "kept $work for inspection" >&2; fi; }
trap cleanup EXIT
fail() { keep=1; echo "FAIL: $*" >&2; exit 1; }
case "$work" in "$src"/*) fail "the temporary directory $work is inside the source tree";; esac

prefix=$work/prefix
echo "== install the SDK and the hub into $prefix"
"$cmake" --install "$build" --prefix "$prefix" --component sdk >"$work/install.log"
"$cmake" --install "$build" --prefix "$prefix" --component hub >>"$work/install.log"
for f in include/ketenhub/plugin_abi.h include/ketenhub/sdk/adapter.hpp include/ketenhub/sdk/canonical.hpp \
         include/ketenhub/sdk/xml.hpp include/ketenhub/sdk/dates.hpp include/ketenhub/sdk/countries.hpp \
         share/ketenhub/ketenhub_adapter.map share/ketenhub/reference/country-names.txt bin/ketenhub; do
  [ -f "$prefix/$f" ] || fail "the install has no $f"
done

echo "== build the example adapter from a copy outside the source tree"
cp -r "$src/docs/examples/healthnet-adapter" "$work/src"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
"$cmake" -S "$work/src" -B "$work/build" "${generator[@]}" -DKETENHUB_SDK_PREFIX="$prefix" \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; fail "configure"; }
"$cmake" --build "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "build"; }
plugin=$work/build/ketenhub_adapter_healthnet.so
[ -f "$plugin" ] || fail "no $plugin"

# Nothing of the source tree on the compile line, and no header read from it.
if grep -F -- "$src" "$work/build/compile_commands.json"; then fail "the example's compile line names the source tree"; fi
if [ "${#generator[@]}" -gt 0 ]; then
  ninja -C "$work/build" -t deps >"$work/deps.txt"
  grep -q "$prefix/include/ketenhub/sdk/adapter.hpp" "$work/deps.txt" || fail "the example did not use the installed SDK headers"
  if grep -F -- "$src/" "$work/deps.txt"; then fail "the example read a header from the source tree"; fi
fi

# Only the entry point is exported.
exported=$(nm -D --defined-only "$plugin" | awk '{print $3}' | sort -u)
[ "$exported" = "ketenhub_adapter_entry" ] || fail "the plugin exports more than ketenhub_adapter_entry: $exported"

ketenhub=$prefix/bin/ketenhub
samples=$work/src/samples
try() { "$ketenhub" adapter test --plugin "$plugin" --partner-config "$work/src/partner.xml" "$@"; }

echo "== a valid sample decodes (exit 0) into the canonical event"
set +e
try --sample "$samples/valid/intake-amsterdam-hashimi.xml" >"$work/valid.out" 2>"$work/valid.err"
rc=$?
set -e
cat "$work/valid.err"
[ "$rc" = 0 ] || { cat "$work/valid.out"; fail "valid sample: exit $rc, expected 0"; }
grep -q '"type": "psychosocial_intake"' "$work/valid.out" || fail "valid sample: no psychosocial_intake event in the output"
grep -q '"sensitivity": "special-category"' "$work/valid.out" || fail "valid sample: no special-category field"
grep -q "reference data: $prefix/share/ketenhub/reference" "$work/valid.err" ||
  fail "the installed binary did not default to the installed reference lists"

echo "== invalid samples are rejected (exit 1) naming file:line and field"
check_rejected() {  # sample, expected field
  local sample=$1 field=$2 rc
  set +e
  try --sample "$samples/invalid/$sample" >"$work/invalid.out" 2>"$work/invalid.err"
  rc=$?
  set -e
  cat "$work/invalid.err"
  [ "$rc" = 1 ] || fail "$sample: exit $rc, expected 1"
  grep -Eq "^$samples/invalid/$sample:[0-9]+: $field: " "$work/invalid.err" || fail "$sample: no '$sample:LINE: $field: ...' error"
}
check_rejected country-not-served.xml /PsychosocialIntake/client/countryOfReturn   # a rule in the adapter code
check_rejected unknown-needs-level.xml /PsychosocialIntake/assessment/needsLevel    # the embedded XSD

echo "== an outbound message encodes into the native document"
try --encode "$samples/outbound/referral-request.json" >"$work/encode.out" 2>"$work/encode.err" ||
  { cat "$work/encode.err"; fail "encode failed"; }
grep -q '<Referral xmlns="urn:example:healthnet:1">' "$work/encode.out" || fail "encode: no Referral document"

echo "== the example's own ctest (it found the installed ketenhub)"
ctest --test-dir "$work/build" --output-on-failure >"$work/ctest.log" 2>&1 || { cat "$work/ctest.log" >&2; fail "example ctest"; }
grep -q "100% tests passed" "$work/ctest.log" || { cat "$work/ctest.log" >&2; fail "example ctest ran no tests"; }

echo "OK: the example adapter builds against the installed SDK alone and passes ketenhub adapter test"
