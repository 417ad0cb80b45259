#!/bin/sh
# Installs what is needed, builds, and runs Mediastore's main job: a
# development server on 127.0.0.1:7880 that prints how to join it.
set -eu
cd "$(dirname "$0")/.."

./build-aux/install-deps.sh
if [ -f _build/build.ninja ]; then
  meson setup --reconfigure _build >/dev/null
else
  meson setup _build
fi
meson compile -C _build

exec ./_build/src/server/mediastore-server --dev "$@"
