#!/bin/sh
# Installs what the benchmarks need on Debian 12, on top of what Mediastore
# needs to build (build-aux/install-deps.sh): Janus 1.1.2 (VideoRoom plugin
# and WebSocket transport) for the comparison, perf for the profile, Xvfb
# for the desktop app. Idempotent; needs root (or sudo).
#
# Debian's janus package enables a system service that listens on the
# default Janus ports; the benchmarks start their own Janus, on loopback
# ports of their own, and do not touch that service.
set -eu
cd "$(dirname "$0")/.."

# The same check-then-install as the project's own list, with these added.
exec ./build-aux/install-deps.sh janus linux-perf valgrind xvfb xauth gstreamer1.0-tools procps
