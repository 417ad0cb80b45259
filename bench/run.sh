#!/bin/sh
# Mediastore benchmarks: the one entry point.
#
#   bench/run.sh                 every scenario (about 30 minutes on 2 cores)
#   bench/run.sh capacity join   some of them
#   bench/run.sh --list          what there is
#
# Installs what is missing (bench/install.sh), builds Mediastore with the
# benchmark programs into _build-bench, encodes the test video once, then
# runs bench/bench.py, which writes bench/results/results.json and the
# table in bench/RESULTS.md. Set BENCH_NO_INSTALL=1 to skip the install
# step on a machine that has everything.
set -eu
cd "$(dirname "$0")/.."

if [ "${BENCH_NO_INSTALL:-0}" != "1" ]; then
  ./bench/install.sh
fi

if [ -f _build-bench/build.ninja ]; then
  meson setup --reconfigure _build-bench -Dbench=true >/dev/null
else
  meson setup _build-bench -Dbench=true >/dev/null
fi
meson compile -C _build-bench >/dev/null

# The publishers' video: 20 s of 640x360 at 30 fps, about 1 Mbit/s,
# keyframe every 2 s, encoded once and then sent as it is, in a loop.
media=_build-bench/bench-media
clip=$media/clip-640x360-30.webm
if [ ! -s "$clip" ]; then
  mkdir -p "$media"
  gst-launch-1.0 -q videotestsrc num-buffers=600 pattern=smpte \
    ! video/x-raw,width=640,height=360,framerate=30/1 \
    ! timeoverlay font-desc="Sans 36" \
    ! vp8enc deadline=1 cpu-used=4 end-usage=cbr target-bitrate=1000000 \
        keyframe-max-dist=60 threads=2 \
    ! webmmux ! filesink location="$clip.part"
  mv "$clip.part" "$clip"
fi

exec python3 bench/bench.py --build _build-bench --clip "$clip" "$@"
