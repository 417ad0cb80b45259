#!/bin/sh
# Installs what is needed, builds, and runs Mediastore's main job: the
# desktop app hosting a call on this computer, with a demo participant
# (a bot sending a test pattern and a tone). Without a display it starts
# the development server on 127.0.0.1:7880 instead, which prints how to
# join it.
set -eu
cd "$(dirname "$0")/.."

./build-aux/install-deps.sh
if [ -f _build/build.ninja ]; then
  meson setup --reconfigure _build >/dev/null
else
  meson setup _build
fi
meson compile -C _build

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  # Uninstalled: the settings schema is the one compiled in the build tree.
  GSETTINGS_SCHEMA_DIR="$PWD/_build/data" exec ./_build/src/app/mediastore --demo "$@"
fi
exec ./_build/src/server/mediastore-server --dev "$@"
