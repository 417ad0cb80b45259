#!/bin/sh
# Installs every Debian 12 package Mediastore needs to build, test and run,
# and any further packages named as arguments (bench/install.sh adds its
# own). Idempotent: apt-get skips what is already there. Needs root (or sudo).
set -eu

PACKAGES="
  build-essential meson ninja-build pkg-config gettext itstool
  libglib2.0-dev libglib2.0-bin libjson-glib-dev libsoup-3.0-dev libjwt-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-nice gstreamer1.0-tools gstreamer1.0-x gstreamer1.0-pulseaudio gstreamer1.0-pipewire libnice-dev libsrtp2-dev
  libgtk-4-dev libadwaita-1-dev libportal-gtk4-dev libqrencode-dev
  desktop-file-utils appstream
  xvfb xauth
  clang libclang-rt-14-dev
  curl ca-certificates python3
  nftables iproute2
  redis-server libhiredis-dev
  chromium chromium-driver python3-selenium python3-aiortc python3-websockets
"
PACKAGES="$PACKAGES $*"

SUDO=""
if [ "$(id -u)" != "0" ]; then
  SUDO="sudo"
fi

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "install-deps: all packages already installed"
  exit 0
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
