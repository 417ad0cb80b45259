#!/bin/sh
# Installs what is needed, builds, and runs the whole test suite:
#  1. a -Dwerror=true build running every suite (UI suites under Xvfb),
#  2. an ASan+UBSan build running the unit, server and fault suites:
#     the real server, bots and sessions, each checked for leaks at exit.
#  3. the libFuzzer targets, 30 s each (build-aux/fuzz.sh).
# Ends with one line "N passed, N failed" counted from meson's results.
set -u
cd "$(dirname "$0")/.."

./build-aux/install-deps.sh || exit 1

setup () {
  dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null || return 1
  else
    meson setup "$dir" "$@" || return 1
  fi
}

status=0

rm -f _build-ci/meson-logs/testlog.json _build-asan/meson-logs/testlog.json \
  _build-fuzz/meson-logs/testlog.json

if setup _build-ci -Dwerror=true && meson compile -C _build-ci; then
  # The ui suite draws widgets: every suite runs on a private X server.
  xvfb-run -a -s "-screen 0 1280x1024x24" \
    meson test -C _build-ci --print-errorlogs --num-processes 2 || status=1
else
  echo "test.sh: the werror build failed" >&2
  status=1
fi

if setup _build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
    && meson compile -C _build-asan; then
  # GLib and the libraries under it have no frame pointers: only the slow
  # unwinder sees the frames build-aux/lsan.supp names. Every allocation
  # pays for it, so no deeper than those frames need. Media runs a few
  # times slower: the tests' waits and meson's timeouts stretch to match.
  # intercept_tls_get_addr=0: GCC 12's runtime takes a dynamic TLS block
  # that happens to start 16 bytes into a page for a glibc 2.19 header
  # and records the two words before it as the block's range; the leak
  # check's tracer then dies scanning that garbage ("Tracer caught signal
  # 11" at exit, now and then; the runtimes of GCC 13 and older guess so).
  # Plugins that GStreamer loads have such blocks. Off, dynamic TLS is not
  # scanned for roots; nothing of ours lives only there.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0:malloc_context_size=16:intercept_tls_get_addr=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions="$PWD/build-aux/lsan.supp" \
  MEDIASTORE_TEST_TIMEOUT_SCALE=3 \
    meson test -C _build-asan --suite unit --suite server --suite fault \
      --timeout-multiplier 2 --print-errorlogs --num-processes 2 || status=1
else
  echo "test.sh: the sanitizer build failed" >&2
  status=1
fi

# 3. libFuzzer: each target for MEDIASTORE_FUZZ_SECONDS (30 here) with clang.
MEDIASTORE_FUZZ_SECONDS="${MEDIASTORE_FUZZ_SECONDS:-30}" ./build-aux/fuzz.sh || status=1

python3 build-aux/meson-summary.py \
  _build-ci/meson-logs/testlog.json _build-asan/meson-logs/testlog.json \
  _build-fuzz/meson-logs/testlog.json || status=1
exit $status
