#!/usr/bin/env python3
"""Soak: a room of bots for a long time against one server.

    bench/soak.py [--minutes 20] [--bots 6] [--build _build]

Starts mediastore-server (development key, 127.0.0.1, a free port) and N
mediastore-bot processes in one room, each sending a looping pre-encoded
VP8 clip and a test tone and counting what it receives. Every 10 s it
samples the server's RSS and /metrics. At the end it checks:
  - no crash: every process still running, and each exits 0 on SIGTERM;
  - server RSS grows less than 5 % from the 1-minute sample to the last;
  - forwarded packets grow at a steady rate (every interval within 50 % of
    the median rate) and each bot received packets on every remote track.
Writes bench/results/soak.json and prints a one-line verdict.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def metric(http, name):
    with urllib.request.urlopen(http + "/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return int(line.split()[1])
    return 0


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--bots", type=int, default=6)
    ap.add_argument("--build", default=os.path.join(ROOT, "_build"))
    args = ap.parse_args()

    server_bin = os.path.join(args.build, "src/server/mediastore-server")
    bot_bin = os.path.join(args.build, "src/bot/mediastore-bot")
    results = os.path.join(ROOT, "bench/results")
    os.makedirs(results, exist_ok=True)
    clip = os.path.join(results, "soak-clip.webm")
    if not os.path.exists(clip):
        subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=150", "pattern=ball",
                        "!", "video/x-raw,width=320,height=240,framerate=15/1", "!",
                        "vp8enc", "deadline=1", "keyframe-max-dist=30", "!", "webmmux", "!",
                        "filesink", f"location={clip}"], check=True)

    env = dict(os.environ, G_DEBUG="gc-friendly", MEDIASTORE_AUDIO_SINK="fakesink")
    env.pop("MEDIASTORE_API_SECRET", None)
    server = subprocess.Popen([server_bin, "--dev", "--listen=127.0.0.1", "--port=0",
                               "--max-peers-per-room=64"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    url = None
    for line in server.stdout:
        if line.startswith("listening on ws://"):
            url = line.split()[-1]
            break
    if url is None:
        sys.exit("soak: the server did not start")
    http = url.replace("ws://", "http://").rsplit("/v1/ws", 1)[0]

    bots = []
    duration = int(args.minutes * 60) + 300
    for i in range(args.bots):
        token = subprocess.run([server_bin, "token", "--dev", "--room", "soak", "--identity",
                                f"bot-{i}", "--send-tracks", "camera,microphone"],
                               capture_output=True, text=True, check=True).stdout.strip()
        bots.append(subprocess.Popen([bot_bin, "--url", url, "--token", token,
                                      "--publish", f"camera=file:{clip},microphone=test-audio",
                                      "--stats", f"--duration={duration}"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, text=True))

    samples = []
    start = time.monotonic()
    end = start + args.minutes * 60
    crashed = []
    while time.monotonic() < end:
        time.sleep(10)   # the sampling period: nothing to await here
        t = round(time.monotonic() - start)
        dead = [p.pid for p in [server] + bots if p.poll() is not None]
        if dead:
            crashed = dead
            break
        samples.append({
            "t": t,
            "rss_kib": rss_kib(server.pid),
            "forwarded_packets": metric(http, "mediastore_forwarded_packets_total"),
            "peers": metric(http, "mediastore_peers"),
            "producers": metric(http, "mediastore_producers"),
            "consumers": metric(http, "mediastore_consumers"),
        })
        print(json.dumps(samples[-1]), flush=True)

    # Every bot's statistics while all are still in the call (SIGUSR1 prints
    # them on one line and goes on), then all of them stop.
    snapshots = []
    for b in bots:
        if b.poll() is None:
            b.send_signal(signal.SIGUSR1)
    for b in bots:
        line = b.stdout.readline() if b.poll() is None else ""
        try:
            snapshots.append(json.loads(line))
        except ValueError:
            snapshots.append(None)
    bot_stats = []
    for b, snapshot in zip(bots, snapshots):
        b.send_signal(signal.SIGTERM)
    for b, snapshot in zip(bots, snapshots):
        b.communicate(timeout=60)
        bot_stats.append({"exit": b.returncode, "stats": snapshot})
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)

    checks = {}
    checks["no_crash"] = not crashed and server.returncode == 0 and \
        all(b["exit"] == 0 for b in bot_stats)
    after_minute = next((s for s in samples if s["t"] >= 60), samples[0] if samples else None)
    last = samples[-1] if samples else None
    growth = (last["rss_kib"] - after_minute["rss_kib"]) / after_minute["rss_kib"] * 100 \
        if last and after_minute else None
    checks["rss_growth_below_5_percent"] = growth is not None and growth < 5
    rates = [(b["forwarded_packets"] - a["forwarded_packets"]) / (b["t"] - a["t"])
             for a, b in zip(samples, samples[1:]) if b["t"] > a["t"]]
    median = statistics.median(rates) if rates else 0
    steady = [r for r in rates if abs(r - median) <= 0.5 * median]
    checks["forwarding_steady"] = bool(rates) and median > 0 and len(steady) == len(rates)
    expected_tracks = 2 * (args.bots - 1)
    checks["every_bot_received_every_track"] = all(
        b["stats"] is not None and len(b["stats"]["tracks"]) == expected_tracks and
        all(t["packets"] > 0 for t in b["stats"]["tracks"]) for b in bot_stats)

    result = {
        "minutes": args.minutes, "bots": args.bots,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rss_kib_after_1_min": after_minute["rss_kib"] if after_minute else None,
        "rss_kib_last": last["rss_kib"] if last else None,
        "rss_growth_percent": round(growth, 2) if growth is not None else None,
        "forwarded_packets_per_s_median": round(median, 1),
        "forwarded_packets_total": last["forwarded_packets"] if last else 0,
        "crashed_pids": crashed,
        "checks": checks,
        "samples": samples,
        "bots_final": bot_stats,
    }
    with open(os.path.join(results, "soak.json"), "w") as f:
        json.dump(result, f, indent=1)

    ok = all(checks.values())
    print(f"soak: {'PASS' if ok else 'FAIL'}: {args.bots} bots, {args.minutes} min, "
          f"RSS {result['rss_kib_after_1_min']} → {result['rss_kib_last']} KiB "
          f"({result['rss_growth_percent']} %), {result['forwarded_packets_per_s_median']} "
          f"forwarded pkt/s, checks {checks}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
