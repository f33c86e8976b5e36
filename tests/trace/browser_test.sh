#!/bin/bash
# CTest: the viewer in a real browser. Headless Chromium (Debian's /usr/bin/chromium) loads
#  1. the self-contained page (`rcusim view --html`) of the seed race under v6.3, runs the
#     page's self test (#selftest: a click on the first violation marker must open its report,
#     the wheel must zoom, a drag must pan, the cursor must show each CPU's state), and checks
#     that lanes and violation markers rendered (DOM attributes, and the marker's pixel is
#     red); then saves a screenshot;
#  2. the same page served by `rcusim view --port 0`, which fetches the trace over HTTP; the
#     server is then stopped with SIGINT and must exit 0.
# Exits 77 (CTest SKIP_RETURN_CODE) when Chromium is absent.
#
#   browser_test.sh RCUSIM_BIN SOURCE_DIR WORK_DIR
set -euo pipefail
bin=$1 src=$2 work=$3
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "SKIP: $chromium not found (bash .ci/deps installs Debian's chromium)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work/repro"
profile=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$profile"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

rc=0
"$bin" run "$src/configs/seed-race.json" --trace "$work/seed-race.json" --repro-dir "$work/repro" \
  >/dev/null || rc=$?
[ "$rc" -le 1 ] || fail "rcusim run exited $rc"
"$bin" view "$work/seed-race.json" --html "$work/seed-race.html" >/dev/null

browser() {
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --virtual-time-budget=10000 "$@" 2>/dev/null
}
attr() { grep -o "data-$1=\"[^\"]*\"" "$2" | head -1 | sed 's/^[^"]*"//; s/"$//'; }

check_page() {  # DOM_FILE WHAT
  local dom=$1 what=$2
  [ "$(attr status "$dom")" = ready ] || fail "$what: the page did not get ready ($(attr error "$dom"))"
  [ "$(attr selftest "$dom")" = pass ] || fail "$what: self test: $(attr selftest "$dom")"
  local lanes violations
  lanes=$(attr lanes "$dom")
  violations=$(attr violations "$dom")
  [ "${lanes:-0}" -ge 10 ] || fail "$what: only ${lanes:-0} lanes"
  [ "${violations:-0}" -ge 1 ] || fail "$what: no violation"
  [ "$(attr marker-pixel "$dom")" = red ] || fail "$what: the violation marker is not red: $(attr marker-pixel "$dom")"
  echo "$what: ready, $lanes lanes, $violations violations, rendered in $(attr render-ms "$dom") ms; $(attr cursor-state "$dom")"
}

# 1. The self-contained page.
browser --dump-dom "file://$work/seed-race.html#selftest" >"$work/dom-html.html" || true
check_page "$work/dom-html.html" "--html page"
grep -q "lock-imbalance\|shrinker-overcount" "$work/dom-html.html" || fail "no report text in the DOM"
browser --screenshot="$work/seed-race.png" --window-size=1400,900 "file://$work/seed-race.html" >/dev/null || true
[ -s "$work/seed-race.png" ] || fail "no screenshot"
[ "$(head -c 4 "$work/seed-race.png" | tail -c 3)" = PNG ] || fail "the screenshot is not a PNG"
echo "screenshot: $work/seed-race.png ($(stat -c %s "$work/seed-race.png") bytes)"

# 2. The served page.
"$bin" view "$work/seed-race.json" --port 0 >"$work/server.out" 2>&1 &
server=$!
url=
for _ in $(seq 1 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$work/server.out" || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || fail "the server printed no URL: $(cat "$work/server.out")"
browser --dump-dom "${url}#selftest" >"$work/dom-served.html" || true
check_page "$work/dom-served.html" "served page"
kill -INT "$server"
rc=0
wait "$server" || rc=$?
server=
[ "$rc" -eq 0 ] || fail "the server exited $rc after SIGINT"
grep -q "stopped" "$work/server.out" || fail "the server did not report stopping"
echo "browser test: pass"
