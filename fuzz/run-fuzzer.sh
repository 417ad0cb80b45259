#!/bin/sh
# Runs one libFuzzer target for MEDIASTORE_FUZZ_SECONDS (default 60) over
# a scratch corpus seeded from the repository's.
#   run-fuzzer.sh FUZZER WORKDIR SEEDS [REGRESSIONS]
# A crash leaves its input in WORKDIR (crash-*) and fails the run: copy it
# into fuzz/regressions/<target>/ and fix the code.
set -eu
fuzzer=$1 work=$2
shift 2
# The remaining arguments are seed directories, read-only for libFuzzer.
mkdir -p "$work/corpus"
cd "$work"
# A GLib warning or critical counts as a crash too (fuzz-init.c aborts).
exec "$fuzzer" -max_total_time="${MEDIASTORE_FUZZ_SECONDS:-60}" -timeout=10 \
  -rss_limit_mb=2048 -error_exitcode=1 -print_final_stats=1 corpus "$@"
