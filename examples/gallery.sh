#!/bin/sh
# The widget gallery in a real call: a development server on 127.0.0.1,
# a bot sending a test pattern and a tone, and the gallery window.
# Run from the source tree after building into _build.
set -eu
cd "$(dirname "$0")/.."

B=_build
PORT=${PORT:-7890}
S=$B/src/server/mediastore-server
URL=ws://127.0.0.1:$PORT/v1/ws

$S --dev --port "$PORT" &
server=$!
trap 'kill $server ${bot:-} 2>/dev/null' EXIT INT TERM
# The server prints nothing to wait on: poll its health page, at most 5 s.
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.1
done

$B/src/bot/mediastore-bot --url "$URL" \
  --token "$($S token --dev --room gallery --identity bot --name 'Test Bot' --send-tracks camera,microphone)" \
  --publish camera=test-video,microphone=test-audio --stay &
bot=$!

$B/examples/mediastore-gallery --url "$URL" "$@" \
  --token "$($S token --dev --room gallery --identity me --name Me --send-tracks camera,microphone)"
