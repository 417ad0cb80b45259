#!/bin/sh
# Builds the libFuzzer targets with clang (AddressSanitizer and UBSan on)
# and runs each for SECONDS (default 60) over its seed corpus and
# regressions. Meson records the runs (suite fuzz-run) in
# _build-fuzz/meson-logs/testlog.json. Exit status 0 only if no target
# crashed.
#   build-aux/fuzz.sh [SECONDS]
set -u
cd "$(dirname "$0")/.."

export MEDIASTORE_FUZZ_SECONDS="${1:-${MEDIASTORE_FUZZ_SECONDS:-60}}"
dir=_build-fuzz
targets="fuzz/fuzz-protocol fuzz/fuzz-token fuzz/fuzz-sdp fuzz/fuzz-engine"

if [ -f "$dir/build.ninja" ]; then
  meson setup --reconfigure "$dir" >/dev/null || exit 1
else
  CC=clang meson setup "$dir" -Dfuzzing=true -Dtests=false -Dwerror=true \
    -Db_sanitize=address,undefined -Db_lundef=false || exit 1
fi
rm -f "$dir/meson-logs/testlog.json"
# shellcheck disable=SC2086
meson compile -C "$dir" $targets || exit 1

ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C "$dir" --suite fuzz-run --no-rebuild --print-errorlogs
