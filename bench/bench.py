#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mediastore benchmarks: runs the scenarios, prints numbers, writes
bench/results/results.json and the generated part of bench/RESULTS.md.

Run it through bench/run.sh, which builds the programs and the test video.
Every number comes from a measurement of this run: CPU time from
/proc/PID/stat (utime + stime, all threads), memory and threads from
/proc/PID/status, forwarded packets from the server's /metrics and from the
receivers' own counters (SIGUSR1 snapshots), loss from RTP sequence gaps
seen by the receivers.
"""

import argparse
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS_JSON = HERE / 'results' / 'results.json'
RESULTS_MD = HERE / 'RESULTS.md'

SERVER_CORE = 0
CLIENT_CORE = 1
TICK = os.sysconf('SC_CLK_TCK')

# Fan-out sizes and mesh sizes; a sweep stops at the first size that fails.
# Our subscribers come from one mediastore-load process (a fixed number of
# threads), so our sweep goes on to 500; Janus's are one janus-client
# (webrtcbin) process each, which the client core holds to about 100.
FANOUT_SIZES = [1, 5, 10, 20, 40, 70, 100, 130]
LOAD_FANOUT_SIZES = [1, 10, 40, 100, 200, 300, 400, 500, 700, 1000]
LOAD_JOIN_INTERVAL_MS = 20
MESH_SIZES = [2, 3, 4, 5, 6, 7, 8]
WARMUP_S = 2.0
WINDOW_S = 10.0
# A small point's window is longer, so that its CPU time, counted in the
# kernel's 10 ms ticks, is not a dozen of them (a 2-peer mesh forwards
# about 250 packets a second, about 1 % of a core): at least this many
# forwarded packets (about 120 a second per stream), up to MAX_WINDOW_S.
MIN_WINDOW_PACKETS = 10_000
MAX_WINDOW_S = 40.0


def window_for(streams):
    return min(MAX_WINDOW_S, max(WINDOW_S, MIN_WINDOW_PACKETS / (120.0 * max(1, streams))))

MAX_LOSS = 0.01          # a point holds at ≤ 1 % loss ...
MIN_RATE = 0.90          # ... and every stream at ≥ 90 % of its unloaded rate
# On a busy shared machine: how often a point disturbed by others is
# measured, and how long to wait for quiet before each attempt.
ATTEMPTS = int(os.environ.get('BENCH_ATTEMPTS', '3'))
PAIR_FANOUT = 40   # the largest fan-out Janus's clients hold on core 1
QUIET_PATIENCE_S = float(os.environ.get('BENCH_QUIET_PATIENCE', '120'))

# Reference figures the issue asks to compare with (packets/s per core).
TARGETS = {
    'livekit_pps_per_vcpu': 56000,
    'jitsi_overload_pps': 50000,
    'mediasoup_pps_per_worker': 120000,
    'srtp_udp_floor_us': 9.0,
}


def log(*args, **kwargs):
    print(*args, file=sys.stderr, flush=True, **kwargs)


# ---- processes ----

class Proc:
    """A child process whose output lines are collected as they come."""

    def __init__(self, argv, cpu=None, env=None, name=None, keep=2000):
        if cpu is not None:
            argv = ['taskset', '-c', str(cpu)] + list(argv)
        self.name = name or Path(argv[0]).name
        self.lines = []
        self.errors = []
        self.keep = keep
        self.cond = threading.Condition()
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.p = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=full_env, bufsize=1)
        self.pid = self.p.pid
        self.threads = [threading.Thread(target=self._read, args=(self.p.stdout, self.lines),
                                         daemon=True),
                        threading.Thread(target=self._read, args=(self.p.stderr, self.errors),
                                         daemon=True)]
        for t in self.threads:
            t.start()

    def _read(self, stream, into):
        for line in stream:
            with self.cond:
                into.append(line.rstrip('\n'))
                if len(into) > self.keep:
                    del into[:len(into) - self.keep]
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, predicate, start=0, timeout=30.0, stream='out'):
        """Waits for a line (from index @start) that satisfies @predicate."""
        lines = self.lines if stream == 'out' else self.errors
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in lines[start:]:
                    if predicate(line):
                        return line
                start = len(lines)
                left = deadline - time.monotonic()
                if left <= 0 or self.p.poll() is not None and not self._reading():
                    return None
                self.cond.wait(min(left, 1.0))

    def _reading(self):
        return any(t.is_alive() for t in self.threads)

    def alive(self):
        return self.p.poll() is None

    def cpu_split(self):
        """(utime, stime) in clock ticks, all threads; None once gone."""
        try:
            with open(f'/proc/{self.pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
            return int(fields[11]), int(fields[12])
        except (OSError, IndexError):
            return None

    def cpu_ticks(self):
        split = self.cpu_split()
        return sum(split) if split else None

    def status(self):
        out = {}
        try:
            with open(f'/proc/{self.pid}/status') as f:
                for line in f:
                    key, _, value = line.partition(':')
                    if key in ('VmRSS', 'VmHWM'):
                        out[key] = int(value.split()[0])   # kB
                    elif key == 'Threads':
                        out[key] = int(value)
        except OSError:
            pass
        return out

    def send(self, sig):
        if self.alive():
            self.p.send_signal(sig)

    def stop(self, timeout=10.0, sig=signal.SIGTERM):
        if self.alive():
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        for t in self.threads:
            t.join(2.0)
        return self.p.returncode


def stop_all(procs, timeout=10.0):
    for p in procs:
        p.send(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.p.kill()
            p.p.wait()
    for p in procs:
        for t in p.threads:
            t.join(2.0)


def last_json(proc):
    """The statistics a client printed at exit (pretty JSON)."""
    text = '\n'.join(proc.lines)
    start = text.rfind('\n{\n')
    start = start + 1 if start >= 0 else text.find('{')
    try:
        return json.loads(text[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        return None


def snapshot(clients, timeout=10.0):
    """Every client's counters, at once (SIGUSR1 → one JSON line each). A
    mediastore-load process stands for all of its subscribers: it gives one
    entry per subscriber, in the bots' shape (tracks with peer_id, tag,
    packets, packets_lost)."""
    marks = [len(c.lines) for c in clients]
    for c in clients:
        c.send(signal.SIGUSR1)
    out = []
    for c, mark in zip(clients, marks):
        line = c.wait_line(lambda l: l.startswith('{'), start=mark, timeout=timeout)
        snap = json.loads(line) if line else None
        if getattr(c, 'load_peers', None):
            if snap is None:
                out += [None] * c.load_peers
                continue
            c.last_snapshot = snap
            for peer in snap['peers']:
                if 'tracks' in peer:
                    out.append({'tracks': [t for t in peer['tracks'] if not t['rtx']]})
        else:
            out.append(snap)
    return out


def receiver_count(receivers):
    return sum(getattr(c, 'load_peers', None) or 1 for c in receivers)


def cpu_lines():
    """Busy and total jiffies per CPU, from /proc/stat."""
    out = {}
    with open('/proc/stat') as f:
        for line in f:
            if not line.startswith('cpu'):
                break
            name, *values = line.split()
            values = [int(v) for v in values]
            idle = values[3] + values[4]
            out[name] = (sum(values[:8]) - idle, sum(values[:8]))
    return out


def busy_cores(interval=1.0):
    """How many cores the whole machine kept busy over @interval seconds."""
    a = cpu_lines()['cpu']
    time.sleep(interval)
    b = cpu_lines()['cpu']
    return (b[0] - a[0]) / TICK / interval


def wait_quiet(threshold=0.3, patience=None):
    """Waits (up to @patience s) until the rest of the machine uses less
    than @threshold cores; nothing of ours runs meanwhile. The two other
    engineers' builds and tests share this machine: a point measured while
    they run is flagged with the load it saw (foreign_cpu) and retried."""
    deadline = time.monotonic() + (QUIET_PATIENCE_S if patience is None else patience)
    load = busy_cores()
    while load > threshold and time.monotonic() < deadline:
        load = busy_cores(2.0)
    return round(load, 3)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(values) - 1)
    return values[f] + (values[c] - values[f]) * (k - f)


# ---- servers ----

class Ours:
    kind = 'mediastore'

    def __init__(self, build, name='mediastore-server', extra=()):
        """@extra: more server options (a cluster node's), @name: its
        name in logs and errors."""
        self.build = build
        self.binary = build / 'src' / 'server' / 'mediastore-server'
        self.bot = build / 'src' / 'bot' / 'mediastore-bot'
        self.load = build / 'src' / 'load' / 'mediastore-load'
        self.use_load = True
        self.name = name
        self.extra = list(extra)
        self.proc = None

    def start(self):
        self.proc = Proc([self.binary, '--dev', '--port=0', '--max-peers-per-room=1000',
                          '--max-tracks-per-peer=8'] + self.extra, cpu=SERVER_CORE,
                         name=self.name)
        line = self.proc.wait_line(lambda l: l.startswith('listening on ws://'), timeout=20)
        if line is None:
            raise RuntimeError(f'{self.name} did not start: ' + '\n'.join(self.proc.errors))
        self.url = line.split()[2]
        self.port = int(re.search(r':(\d+)/', self.url).group(1))

    def stop(self):
        if self.proc:
            self.proc.stop(sig=signal.SIGTERM)
            self.proc = None

    def forwarded(self):
        with urllib.request.urlopen(f'http://127.0.0.1:{self.port}/metrics', timeout=5) as r:
            text = r.read().decode()
        m = re.search(r'^mediastore_forwarded_packets_total (\d+)', text, re.M)
        return int(m.group(1)) if m else None

    def token(self, room, identity, send=True):
        argv = [self.binary, 'token', '--dev', '--room', room, '--identity', identity]
        if send:
            argv += ['--send-tracks', 'camera']
        return subprocess.run([str(a) for a in argv], check=True, capture_output=True,
                              text=True).stdout.strip()

    def client(self, room, identity, publish=None, expect=0, decode=False, stay=True,
               duration=600, cpu=CLIENT_CORE, extra=()):
        argv = [self.bot, '--url', self.url, '--token', self.token(room, identity, publish),
                '--duration', duration, '--stats']
        if publish:
            argv += ['--publish', 'camera=' + publish]
        if expect:
            argv += ['--expect-tracks', expect]
        if stay and expect:
            argv += ['--stay']
        if decode:
            argv += ['--subscribe']
        argv += list(extra)
        return Proc(argv, cpu=cpu, name=identity)

    def load_client(self, room, n):
        """@n subscribers in one mediastore-load process, one engine worker.
        They join invisible, as an audience does: otherwise every join is a
        peer-joined to everyone already there, N^2 frames that kept 300 of
        them from joining in time."""
        argv = [self.load, '--url', self.url, '--dev', '--room', room, '-n', n,
                '--expect-tracks', 1, '--duration', 0, '--workers', 1, '--hidden',
                '--join-interval', LOAD_JOIN_INTERVAL_MS, '--prefix', 'sub']
        proc = Proc(argv, cpu=CLIENT_CORE, name='mediastore-load', keep=50)
        proc.load_peers = n
        return proc

    # Fan-out and mesh in the terms of this server.
    def fanout_clients(self, clip, n):
        pub = self.client('bench', 'pub', publish='file:' + str(clip))
        if self.use_load:
            return [pub], [self.load_client('bench', n)]
        subs = [self.client('bench', f'sub{i}', expect=1) for i in range(n)]
        return [pub], subs

    def mesh_clients(self, clip, k):
        peers = [self.client('bench', f'peer{i}', publish='file:' + str(clip), expect=k - 1)
                 for i in range(k)]
        return [], peers


class Janus:
    kind = 'janus'

    def __init__(self, build):
        self.client_binary = build / 'bench' / 'janus-client'
        self.proc = None
        self.dir = None

    @staticmethod
    def version():
        try:
            return subprocess.run(['dpkg-query', '-W', '-f=${Version}', 'janus'],
                                  capture_output=True, text=True).stdout.strip() or None
        except OSError:
            return None

    @staticmethod
    def libdir():
        out = subprocess.run(['dpkg', '-L', 'janus'], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.endswith('/janus/plugins'):
                return str(Path(line).parent)
        raise RuntimeError('the janus package is not installed (bench/install.sh)')

    def write_config(self):
        lib = self.libdir()
        self.port = free_port()
        d = Path(self.dir)
        plugins = ['audiobridge', 'duktape', 'echotest', 'lua', 'nosip', 'recordplay', 'sip',
                   'streaming', 'textroom', 'videocall', 'voicemail']
        transports = ['http', 'mqtt', 'nanomsg', 'pfunix', 'rabbitmq']
        (d / 'janus.jcfg').write_text(f'''general: {{
	configs_folder = "{d}"
	plugins_folder = "{lib}/plugins"
	transports_folder = "{lib}/transports"
	events_folder = "{lib}/events"
	loggers_folder = "{lib}/loggers"
	debug_level = 4
	session_timeout = 60
}}
media: {{
}}
nat: {{
	nice_debug = false
}}
plugins: {{
	disable = "{','.join(f'libjanus_{p}.so' for p in plugins)}"
}}
transports: {{
	disable = "{','.join(f'libjanus_{t}.so' for t in transports)}"
}}
loggers: {{
	disable = "libjanus_jsonlog.so"
}}
events: {{
	broadcast = false
}}
''')
        (d / 'janus.transport.websockets.jcfg').write_text(f'''general: {{
	json = "compact"
	ws = true
	ws_port = {self.port}
	ws_ip = "127.0.0.1"
	wss = false
}}
admin: {{
	admin_ws = false
	admin_wss = false
}}
''')
        # One room; no periodic keyframe requests and no REMB cap, as our
        # server does neither.
        (d / 'janus.plugin.videoroom.jcfg').write_text('''general: {
}
room-1234: {
	description = "bench"
	publishers = 200
	bitrate = 0
	fir_freq = 0
	videocodec = "vp8"
	audiocodec = "opus"
	notify_joining = false
}
''')

    def start(self):
        self.dir = tempfile.mkdtemp(prefix='mediastore-bench-janus-')
        self.write_config()
        self.proc = Proc(['janus', '-C', Path(self.dir) / 'janus.jcfg', '-F', self.dir],
                         cpu=SERVER_CORE, name='janus', keep=500)
        line = self.proc.wait_line(lambda l: 'WebSockets thread started' in l, timeout=20)
        if line is None:
            raise RuntimeError('janus did not start:\n' + '\n'.join(self.proc.lines[-20:]))
        self.url = f'ws://127.0.0.1:{self.port}'

    def stop(self):
        if self.proc:
            self.proc.stop(sig=signal.SIGINT)
            self.proc = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def forwarded(self):
        return None   # Janus has no such counter: the receivers' count is used

    def client(self, name, feed=0, publish=None, expect_publishers=0, expect=0, duration=600):
        argv = [self.client_binary, '--url', self.url, '--room', 1234, '--name', name,
                '--duration', duration, '--stats']
        if feed:
            argv += ['--id', feed]
        if publish:
            argv += ['--publish', publish]
        if expect_publishers:
            argv += ['--expect-publishers', expect_publishers]
        if expect:
            argv += ['--expect-tracks', expect, '--stay']
        return Proc(argv, cpu=CLIENT_CORE, name=name)

    def fanout_clients(self, clip, n):
        pub = self.client('pub', feed=1, publish=clip)
        subs = [self.client(f'sub{i}', expect_publishers=1, expect=1) for i in range(n)]
        return [pub], subs

    def mesh_clients(self, clip, k):
        peers = [self.client(f'peer{i}', feed=i + 1, publish=clip, expect_publishers=k - 1,
                             expect=k - 1) for i in range(k)]
        return [], peers


# ---- capacity ----

def measure_point(server, clip, layout, size, streams, ref_rate):
    """One load: @size subscribers (fan-out) or peers (mesh)."""
    point = {'size': size, 'streams': streams}
    server.start()
    clients = []
    try:
        idle = server.proc.status()
        point['server_idle_rss_kb'] = idle.get('VmRSS')
        point['server_idle_threads'] = idle.get('Threads')

        senders, receivers = (server.fanout_clients(clip, size) if layout == 'fanout'
                              else server.mesh_clients(clip, size))
        clients = senders + receivers
        started = time.monotonic()
        setup_c0 = server.proc.cpu_ticks()
        setup_k0 = sum(c.cpu_ticks() or 0 for c in clients)
        setup_s0 = cpu_lines()
        timeout = 30 + 0.5 * len(clients) + size * LOAD_JOIN_INTERVAL_MS / 1000.0
        missing = 0
        for c in receivers:
            left = max(1.0, timeout - (time.monotonic() - started))
            if getattr(c, 'load_peers', None):
                if c.wait_line(lambda l: l == 'all-receiving', timeout=left) is None:
                    snap = snapshot([c])
                    missing += sum(1 for s in snap if not s or not s['tracks'] or
                                   not s['tracks'][0]['packets'])
            elif c.wait_line(lambda l: l == 'tracks-arrived', timeout=left) is None:
                missing += 1
        point['setup_s'] = round(time.monotonic() - started, 2)
        point['receivers_missing'] = missing
        if missing:
            # What was busy while they tried: the cores, and the server.
            s1 = cpu_lines()
            dt = time.monotonic() - started
            point['setup_server_cpu'] = round(((server.proc.cpu_ticks() or 0) - setup_c0) /
                                              TICK / dt, 4)
            point['setup_clients_cpu'] = round((sum(c.cpu_ticks() or 0 for c in clients) -
                                                setup_k0) / TICK / dt, 4)
            point['foreign_cpu'] = round(max(0.0, (s1['cpu'][0] - setup_s0['cpu'][0]) / TICK / dt
                                             - point['setup_server_cpu']
                                             - point['setup_clients_cpu']), 3)
            point['setup_core_busy'] = {name: round((s1[name][0] - setup_s0[name][0]) /
                                                    max(1, s1[name][1] - setup_s0[name][1]), 4)
                                        for name in s1 if name != 'cpu'}
            point['holds'] = False
            point['why'] = (f'{missing} of {receiver_count(receivers)} receivers got no media within '
                            f"{timeout:.0f} s (core 0 {pct(point['setup_core_busy'].get('cpu0'))}"
                            f" busy, core 1 {pct(point['setup_core_busy'].get('cpu1'))})")
            return point

        time.sleep(WARMUP_S)   # the measuring window starts in steady state

        u0 = server.proc.cpu_split()
        c0 = sum(u0)
        f0 = server.forwarded()
        k0 = sum(c.cpu_ticks() or 0 for c in clients)
        s0 = cpu_lines()
        t0 = time.monotonic()
        snap0 = snapshot(receivers)

        time.sleep(window_for(streams))

        u1 = server.proc.cpu_split()
        c1 = sum(u1)
        f1 = server.forwarded()
        k1 = sum(c.cpu_ticks() or 0 for c in clients)
        s1 = cpu_lines()
        t1 = time.monotonic()
        snap1 = snapshot(receivers)
        busy = server.proc.status()

        dt = t1 - t0
        received = lost = 0
        rates = []
        by_source = {}
        for a, b in zip(snap0, snap1):
            if a is None or b is None:
                continue
            before = {(t['peer_id'], t['tag']): t for t in a['tracks']}
            for t in b['tracks']:
                p0 = before.get((t['peer_id'], t['tag']), {'packets': 0, 'packets_lost': 0})
                dp = t['packets'] - p0['packets']
                dl = t['packets_lost'] - p0['packets_lost']
                received += dp
                lost += dl
                if 'bytes' in t:
                    point['received_bytes'] = point.get('received_bytes', 0) + \
                        t['bytes'] - p0.get('bytes', 0)
                rates.append(dp / dt)
                by_source.setdefault(t['peer_id'], []).append((dp + dl) / dt)
        sent = received + lost
        server_s = (c1 - c0) / TICK
        point.update({
            'window_s': round(dt, 2),
            'received_pps': round(received / dt, 1),
            'sent_pps_receivers': round(sent / dt, 1),
            'forwarded_pps_metrics': round((f1 - f0) / dt, 1) if f0 is not None else None,
            'loss': round(lost / sent, 5) if sent else None,
            'stream_pps_min': round(min(rates), 1) if rates else None,
            'stream_pps_mean': round(statistics.mean(rates), 1) if rates else None,
            'server_cpu': round(server_s / dt, 4),
            'clients_cpu': round((k1 - k0) / TICK / dt, 4),
            'core_busy': {name: round((s1[name][0] - s0[name][0]) /
                                      max(1, s1[name][1] - s0[name][1]), 4)
                          for name in s1 if name != 'cpu'},
            'server_rss_kb': busy.get('VmRSS'),
            'server_threads': busy.get('Threads'),
        })
        forwarded = (f1 - f0) if f0 is not None else sent
        point['forwarded_pps'] = round(forwarded / dt, 1)
        point['us_per_packet'] = round(server_s * 1e6 / forwarded, 2) if forwarded else None
        # In the kernel (system time) and in the process itself (user time):
        # on loopback the kernel's share includes delivering each copy to
        # its receiver's socket, which no server can spare.
        if forwarded:
            point['us_per_packet_user'] = round((u1[0] - u0[0]) / TICK * 1e6 / forwarded, 2)
            point['us_per_packet_system'] = round((u1[1] - u0[1]) / TICK * 1e6 / forwarded, 2)
        peers = len(senders) + receiver_count(receivers)
        loads = [c for c in clients if getattr(c, 'load_peers', None)]
        if loads and getattr(loads[0], 'last_snapshot', None):
            point['load_threads'] = loads[0].last_snapshot.get('threads')
            srtp = loads[0].last_snapshot['totals'].get('srtp', {})
            point['srtp'] = max(srtp, key=srtp.get) if srtp else None
            point['subscribers_via'] = 'mediastore-load'
        if point['server_rss_kb'] and point['server_idle_rss_kb']:
            point['rss_kb_per_peer'] = round((point['server_rss_kb'] -
                                              point['server_idle_rss_kb']) / peers, 1)
        if point['server_threads'] and point['server_idle_threads']:
            point['threads_per_peer'] = round((point['server_threads'] -
                                               point['server_idle_threads']) / peers, 2)
        # Everything else that ran on the machine meanwhile (other people's
        # builds and tests): busy time not spent by us, in cores.
        ours = server_s + (k1 - k0) / TICK
        total_busy = (s1['cpu'][0] - s0['cpu'][0]) / TICK
        point['foreign_cpu'] = round(max(0.0, total_busy - ours) / dt, 3)

        # Each source's copies should all arrive at the rate the source
        # sends (the best copy); a source sending slower than unloaded
        # means its sender was starved, and the load was not delivered.
        unfair = [src for src, r in by_source.items() if min(r) < MIN_RATE * max(r)]
        source_rate = min(max(r) for r in by_source.values()) if by_source else None
        point['source_pps_min'] = round(source_rate, 1) if source_rate else None
        why = []
        if point['loss'] is None or point['loss'] > MAX_LOSS:
            why.append(f"loss {point['loss']}")
        if unfair:
            why.append(f'copies of {len(unfair)} source(s) below {MIN_RATE:.0%} of the best copy')
        if ref_rate and source_rate is not None and source_rate < MIN_RATE * ref_rate:
            why.append(f'a sender slowed to {source_rate:.1f} pkt/s '
                       f'(unloaded {ref_rate}): the client core was starved')
        point['holds'] = not why
        if why:
            point['why'] = '; '.join(why)
        return point
    finally:
        stop_all(clients)
        server.stop()


def run_floor(binary, args):
    out = subprocess.run(['taskset', '-c', str(SERVER_CORE), binary] + args,
                         capture_output=True, text=True, timeout=WINDOW_S + 30)
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return None


def measure_floor(build, point, layout):
    """The floor for a point: SRTP protect and sendmmsg of as many copies,
    of the same mean size, at the same source rate, on the server's core,
    right after the point (bench/srtp-floor.c), in the point's shape (an
    all-to-all room of k: k sources, each packet to k - 1 receivers, one
    socket per receiver, so one sender wake-up and one sendmmsg per source
    packet as a server has), to sockets emptied every millisecond, so that
    no send pays for waking a reader: a lower bound for any server. The
    older floor, one source whose copies all go in one batch, is measured
    beside it as floor_drain (the same as the floor for a fan-out)."""
    binary = build / 'bench' / 'srtp-floor'
    received = point.get('received_pps', 0) * point.get('window_s', 0)
    if not binary.exists() or not received or not point.get('received_bytes'):
        return None
    size = max(12, round(point['received_bytes'] / received))
    pps = max(1, round(point.get('source_pps_min') or 120))
    profile = 'gcm' if point.get('srtp') == 'aead-aes-128-gcm' else 'cm'
    base = ['--copies', str(point['streams']), '--pps', str(pps), '--size', str(size),
            '--seconds', str(WINDOW_S), '--profile', profile]
    drain = run_floor(binary, base + ['--wait', '0'])
    if layout == 'mesh':
        k = str(point['size'])
        floor = run_floor(binary, base + ['--sources', k, '--sockets', k, '--wait', '0'])
    else:
        floor = drain
    if floor is None:
        return None
    point['floor'] = floor
    point['floor_us_per_packet'] = floor['us_per_packet']
    if point.get('us_per_packet') and floor['us_per_packet']:
        point['floor_ratio'] = round(point['us_per_packet'] / floor['us_per_packet'], 3)
    if drain is not None:
        point['floor_drain'] = drain
        point['floor_drain_us_per_packet'] = drain['us_per_packet']
        if point.get('us_per_packet') and drain['us_per_packet']:
            point['floor_drain_ratio'] = round(point['us_per_packet'] / drain['us_per_packet'], 3)
    return floor


def sweep(server, clip, layout, sizes):
    points = []
    ref_rate = None
    for size in sizes:
        streams = size if layout == 'fanout' else size * (size - 1)
        attempts = []
        for attempt in range(1, ATTEMPTS + 1):
            quiet = wait_quiet()
            log(f'  {server.kind} {layout} {size} (machine before: {quiet} cores busy): ', end='')
            point = measure_point(server, clip, layout, size, streams, ref_rate)
            point['busy_before'] = quiet
            point['attempt'] = attempt
            attempts.append(point)
            # Others' load on a two-core machine slows everything (shared
            # caches, and core 1 is ours only by pinning): such a point
            # is measured again, and the quietest attempt kept.
            foreign = point.get('foreign_cpu') or 0.0
            point['foreign_cpu'] = foreign
            if foreign < 0.3:
                break
            log(f'{point_line(point)}; others used {foreign} cores: again')
        point = min(attempts, key=lambda p: p['foreign_cpu'])
        point['attempts'] = len(attempts)
        if point['holds'] and server.kind == 'mediastore':
            measure_floor(server.build, point, layout)
        if ref_rate is None and point.get('source_pps_min'):
            ref_rate = point['source_pps_min']
        points.append(point)
        log(point_line(point))
        if not point['holds']:
            break
    return summarize_sweep(points)


def point_line(point):
    return (f"{'holds' if point['holds'] else 'fails'}"
            f" {point.get('forwarded_pps')} pkt/s, {point.get('us_per_packet')} µs/pkt,"
            f" server {point.get('server_cpu')}, clients {point.get('clients_cpu')},"
            f" loss {point.get('loss')}, foreign {point.get('foreign_cpu')}"
            + (f" ({point['why']})" if 'why' in point else ''))


def summarize_sweep(points):
    held = [p for p in points if p['holds']]
    out = {'points': points}
    if held:
        best = max(held, key=lambda p: p['size'])
        out['max_size_held'] = best['size']
        out['max_forwarded_pps_held'] = best['forwarded_pps']
        out['us_per_packet_at_max'] = best['us_per_packet']
        out['rss_kb_per_peer_at_max'] = best.get('rss_kb_per_peer')
        out['threads_per_peer_at_max'] = best.get('threads_per_peer')
        # What one core would carry if the server were the only limit.
        if best['us_per_packet'] and best['streams']:
            capacity_pps = 1e6 / best['us_per_packet']
            out['server_core_pps_projected'] = round(capacity_pps)
            out['size_projected'] = round(capacity_pps / (best['forwarded_pps'] /
                                                          best['streams']))
        out['limited_by'] = limit_of(points)
        if best.get('floor_us_per_packet'):
            out['floor_us_per_packet_at_max'] = best['floor_us_per_packet']
            out['floor_ratio_at_max'] = best.get('floor_ratio')
        if best.get('floor_drain_us_per_packet'):
            out['floor_drain_us_per_packet_at_max'] = best['floor_drain_us_per_packet']
            out['floor_drain_ratio_at_max'] = best.get('floor_drain_ratio')
        idle = points[0].get('server_idle_threads')
        out['threads_idle'] = idle
        out['threads_at_max'] = best.get('server_threads')
    return out


def limit_of(points):
    """Which side ran out first, from the last point measured."""
    last = points[-1]
    if last['holds']:
        return 'not reached (largest size tried)'
    client = last.get('clients_cpu')
    server = last.get('server_cpu')
    if client is None and 'setup_clients_cpu' in last:
        client = last['setup_clients_cpu']
        server = last.get('setup_server_cpu') or 0
    client = client or 0
    server = server or 0
    if client >= 0.85 and client > server:
        return 'client core (the bots), not the server'
    if server >= 0.85:
        return 'server core'
    return 'unclear: ' + last.get('why', '')


def scenario_capacity(args, results):
    """Both servers, fan-out and mesh. Running only some of them (--servers,
    --layouts) keeps the others' earlier results, each with its date, so
    that a part disturbed by others' load can be measured again alone."""
    previous = results.get('scenarios', {}).get('capacity', {})
    out = {k: v for k, v in previous.items() if k in ('mediastore', 'janus')}
    servers = [s for s in (Ours(args.build), Janus(args.build)) if s.kind in args.servers]
    for server in servers:
        log(f'capacity: {server.kind}')
        entry = dict(out.get(server.kind, {}))
        if server.kind == 'mediastore':
            server.use_load = not args.no_load
        for layout in args.layouts:
            sizes = args.fanout if layout == 'fanout' else args.mesh
            if layout == 'fanout' and sizes is None:
                sizes = (LOAD_FANOUT_SIZES if server.kind == 'mediastore' and server.use_load
                         else FANOUT_SIZES)
            entry[layout] = sweep(server, args.clip, layout, sizes)
            entry[layout]['date'] = datetime.datetime.now(
                datetime.timezone.utc).isoformat(timespec='seconds')
        out[server.kind] = entry
    if all(k in out and 'fanout' in out[k] and 'mesh' in out[k] for k in ('mediastore', 'janus')):
        out['ratio'] = ratios(out['mediastore'], out['janus'])
    return out


def ratios(ours, janus):
    out = {}
    for layout in ('fanout', 'mesh'):
        a, b = ours[layout], janus[layout]
        r = {}
        # CPU per packet, at every size both held.
        pairs = []
        for pa in a['points']:
            for pb in b['points']:
                if pa['size'] == pb['size'] and pa['holds'] and pb['holds'] and \
                        pa['us_per_packet'] and pb['us_per_packet']:
                    pairs.append((pa['size'], round(pa['us_per_packet'] / pb['us_per_packet'],
                                                    3)))
        r['us_per_packet_by_size'] = pairs
        if pairs:
            r['us_per_packet_median'] = round(statistics.median(v for _, v in pairs), 3)
        if a.get('max_size_held') and b.get('max_size_held'):
            r['max_size'] = round(a['max_size_held'] / b['max_size_held'], 3)
        if a.get('size_projected') and b.get('size_projected'):
            r['size_projected'] = round(a['size_projected'] / b['size_projected'], 3)
        out[layout] = r
    return out


# ---- join time ----

JOINS = 20


def timed_join(server, room, identity, expect):
    """One join through @server into @room, which has @expect tracks:
    (connect_ms, first frame ms, every track's frame ms), or None if it
    failed. As the app does: the process is up (its lobby) and joins when
    told; the clock starts then."""
    joiner = server.client(room, identity, expect=expect, decode=True, stay=False,
                           duration=30, extra=['--join-on-signal'])
    try:
        if joiner.wait_line(lambda l: l.strip() == 'ready', timeout=30, stream='err') is None:
            raise RuntimeError('a joiner did not get ready')
        joiner.send(signal.SIGUSR2)
        joiner.p.wait(60)
    finally:
        joiner.stop()
    stats = last_json(joiner)
    frames = [t['first_frame_ms'] for t in (stats or {}).get('tracks', [])
              if t['first_frame_ms'] >= 0]
    if joiner.p.returncode != 0 or len(frames) < expect:
        return None
    return stats['connect_ms'], min(frames), max(frames)


PAIR_ROUNDS = int(os.environ.get('BENCH_PAIR_ROUNDS', '5'))


def scenario_pairs(args, results):
    """The CPU ratio to Janus measured in turns: one layout at one size,
    ours and Janus one after the other, PAIR_ROUNDS times (the order
    swapped every round), each pair a ratio. On this shared machine one
    server's CPU per packet drifts by a tenth or more within the hour
    (Janus's own, unchanged, went from 24.5 to 31.9 µs in one morning),
    so a single pair says little; the median of the pairs and their
    spread say what the ratio is."""
    out = {'rounds': PAIR_ROUNDS}
    for layout in args.layouts:
        size = max(args.mesh) if layout == 'mesh' else max(args.fanout or [PAIR_FANOUT])
        streams = size if layout == 'fanout' else size * (size - 1)
        servers = [Ours(args.build), Janus(args.build)]
        servers[0].use_load = not args.no_load
        pairs = []
        for rnd in range(PAIR_ROUNDS):
            order = servers if rnd % 2 == 0 else servers[::-1]
            got = {}
            for server in order:
                quiet = wait_quiet()
                log(f'  pairs {layout} {size} round {rnd + 1}: {server.kind} '
                    f'(machine before: {quiet} cores busy): ', end='')
                point = measure_point(server, args.clip, layout, size, streams, None)
                log(point_line(point))
                got[server.kind] = point
            a, b = got['mediastore'], got['janus']
            pair = {'mediastore_us': a.get('us_per_packet'), 'janus_us': b.get('us_per_packet'),
                    'holds': bool(a['holds'] and b['holds']),
                    'foreign_cpu': max(a.get('foreign_cpu') or 0, b.get('foreign_cpu') or 0)}
            if pair['holds'] and pair['mediastore_us'] and pair['janus_us']:
                pair['ratio'] = round(pair['mediastore_us'] / pair['janus_us'], 3)
            pairs.append(pair)
        ratios_ = sorted(p['ratio'] for p in pairs if 'ratio' in p)
        entry = {'size': size, 'pairs': pairs}
        if ratios_:
            entry['ratio_median'] = round(statistics.median(ratios_), 3)
            entry['ratio_min'] = ratios_[0]
            entry['ratio_max'] = ratios_[-1]
            entry['mediastore_us_median'] = round(statistics.median(
                p['mediastore_us'] for p in pairs if 'ratio' in p), 2)
            entry['janus_us_median'] = round(statistics.median(
                p['janus_us'] for p in pairs if 'ratio' in p), 2)
        out[layout] = entry
    return out


def scenario_join(args, results):
    """Token to first decoded remote frame: a bot that has its token joins,
    subscribes and decodes; its first_frame_ms is counted from the moment it
    starts connecting. The bot is started first and joins on a signal once
    it says it is ready, as the app joins from its lobby: what a process
    makes once before its first PeerConnection (GStreamer's DTLS
    certificate, ms_session_prepare_async()) is made by then. Publishers
    send the live test pattern (their encoder answers the keyframe request
    a new subscriber causes)."""
    server = Ours(args.build)
    out = {'joins': JOINS, 'definition': 'from connecting with the token (the bot was up, '
           'as the app is in its lobby) to the first decoded '
           'frame of a remote track; "empty" is a room with just the one publisher needed for a '
           'remote frame'}
    for label, publishers in (('empty', 1), ('six_publishers', 6)):
        log(f'join: {label}')
        out[label] = {'busy_before': wait_quiet()}
        server.start()
        pubs = []
        try:
            for i in range(publishers):
                pubs.append(server.client('join', f'pub{i}', publish='test-video',
                                          duration=3600))
            # Every publisher's media reaches the server before anyone joins.
            mark = 0
            for _ in range(publishers):
                line = server.proc.wait_line(lambda l: 'media flowing for camera' in l,
                                             start=mark, timeout=30, stream='err')
                if line is None:
                    raise RuntimeError('a publisher sent no media')
                mark = server.proc.errors.index(line) + 1
            first, every, connect, failed = [], [], [], 0
            for i in range(JOINS):
                joined = timed_join(server, 'join', f'joiner{i}', publishers)
                if joined is None:
                    failed += 1
                    continue
                connect.append(joined[0])
                first.append(joined[1])
                every.append(joined[2])
            entry = out[label]
            entry.update({
                'publishers': publishers,
                'failed': failed,
                'first_frame_ms': {'p50': percentile(first, 50), 'p95': percentile(first, 95),
                                   'samples': first},
                'connect_ms': {'p50': percentile(connect, 50), 'p95': percentile(connect, 95)},
            })
            if publishers > 1:
                entry['all_frames_ms'] = {'p50': percentile(every, 50),
                                          'p95': percentile(every, 95), 'samples': every}
            log(f"  first frame p50 {entry['first_frame_ms']['p50']} ms, "
                f"p95 {entry['first_frame_ms']['p95']} ms, failed {failed}")
        finally:
            stop_all(pubs)
            server.stop()
    return out


# ---- join through another node ----

REDIRECT_TARGET_MS = 30


class Redis:
    """A throwaway redis-server for a cluster, as the tests start it: on a
    free loopback port, with a password, no persistence, in a temporary
    directory."""

    def __init__(self):
        self.dir = None
        self.proc = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix='bench-redis-')
        self.port = free_port()
        password = secrets.token_hex(16)
        self.url = f'redis://:{password}@127.0.0.1:{self.port}/0'
        self.proc = Proc(['redis-server', '--save', '', '--appendonly', 'no', '--bind',
                          '127.0.0.1', '--port', self.port, '--requirepass', password,
                          '--dir', self.dir], cpu=SERVER_CORE, name='redis-server')
        if self.proc.wait_line(lambda l: 'Ready to accept connections' in l,
                               timeout=20) is None:
            raise RuntimeError('redis-server did not start: ' + '\n'.join(self.proc.lines[-20:]))

    def stop(self):
        if self.proc:
            self.proc.stop(sig=signal.SIGTERM)
            self.proc = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def wait_metric(server, name, value, timeout=20.0):
    """Polls @server's /metrics until @name is @value (False at @timeout)."""
    deadline = time.monotonic() + timeout
    while server_metric(server, name) != value:
        if time.monotonic() > deadline or not server.proc.alive():
            return False
        time.sleep(0.1)
    return True


def scenario_redirect(args, results):
    """The same joins as scenario_join's one-publisher room, on a cluster of
    two nodes sharing one Redis: the publisher joins through node A, which
    then holds the room; half the joiners join through A (direct), half
    through B, which answers with a redirect to A that libmediastore follows
    by itself. Interleaved (A, B, A, B …) so that whatever else runs on the
    machine meanwhile weighs on both alike."""
    out = {'joins': JOINS, 'target_ms': REDIRECT_TARGET_MS,
           'definition': 'from connecting with the token (the bot was up, as the app is in '
           'its lobby) to the first decoded frame of the one publisher\'s track, in a room '
           'held by node A of a two-node cluster (one Redis); "direct" joins through A, '
           '"redirected" through B, which sends the join to A'}
    out['busy_before'] = wait_quiet()
    redis = Redis()
    nodes = []
    pub = None
    try:
        redis.start()
        for node_id in ('nodeA', 'nodeB'):
            node = Ours(args.build, name=f'mediastore-server {node_id}',
                        extra=[f'--redis-url={redis.url}', f'--node-id={node_id}'])
            nodes.append(node)
            node.start()
        a, b = nodes
        # Each node has read the registry with both of them in it.
        for node in nodes:
            if not wait_metric(node, 'mediastore_cluster_nodes', 2):
                raise RuntimeError(f'{node.name} does not see both nodes')
        pub = a.client('redirect', 'pub', publish='test-video', duration=3600)
        if a.proc.wait_line(lambda l: 'media flowing for camera' in l, timeout=30,
                            stream='err') is None:
            raise RuntimeError('the publisher sent no media to node A')
        samples = {label: {'connect': [], 'first': [], 'failed': 0}
                   for label in ('direct', 'redirected')}
        for i in range(JOINS):
            for label, node in (('direct', a), ('redirected', b)):
                joined = timed_join(node, 'redirect', f'{label}{i}', 1)
                if joined is None:
                    samples[label]['failed'] += 1
                    continue
                samples[label]['connect'].append(joined[0])
                samples[label]['first'].append(joined[1])
        redirects = {'a': server_metric(a, 'mediastore_cluster_redirects_total'),
                     'b': server_metric(b, 'mediastore_cluster_redirects_total')}
        # Every join through B was redirected, none through A: otherwise
        # the two columns do not measure what they say.
        if redirects['b'] != JOINS or redirects['a'] != 0:
            raise RuntimeError(f"redirects: {redirects['b']} on B for {JOINS} joins through "
                               f"it, {redirects['a']} on A (expected 0)")
    finally:
        stop_all([pub] if pub else [])
        for node in nodes:
            node.stop()
        redis.stop()
    for label, s in samples.items():
        out[label] = {
            'failed': s['failed'],
            'first_frame_ms': {'p50': percentile(s['first'], 50),
                               'p95': percentile(s['first'], 95), 'samples': s['first']},
            'connect_ms': {'p50': percentile(s['connect'], 50),
                           'p95': percentile(s['connect'], 95), 'samples': s['connect']},
        }
        log(f"  {label}: connect p50 {out[label]['connect_ms']['p50']} ms, first frame p50 "
            f"{out[label]['first_frame_ms']['p50']} ms, p95 "
            f"{out[label]['first_frame_ms']['p95']} ms, failed {s['failed']}")
    out['redirects_total'] = redirects
    d, r = out['direct'], out['redirected']
    if d['first_frame_ms']['p50'] is not None and r['first_frame_ms']['p50'] is not None:
        out['first_frame_p50_delta_ms'] = r['first_frame_ms']['p50'] - d['first_frame_ms']['p50']
        out['connect_p50_delta_ms'] = r['connect_ms']['p50'] - d['connect_ms']['p50']
        out['target_met'] = out['first_frame_p50_delta_ms'] <= REDIRECT_TARGET_MS
    else:
        out['target_met'] = False
    log(f"  redirected - direct, first frame p50: {out.get('first_frame_p50_delta_ms')} ms "
        f"(target <= {REDIRECT_TARGET_MS} ms: {'met' if out['target_met'] else 'not met'})")
    return out


# ---- glass-to-glass latency ----

LATENCY_SESSIONS = 5
LATENCY_SECONDS = 8

def scenario_latency(args, results):
    """The painted clock, read back by a sink that renders on time."""
    server = Ours(args.build)
    probe = args.build / 'bench' / 'latency-probe'
    out = {'runs': [], 'definition': 'from the moment a frame leaves the camera element to the '
           'moment the receiver\'s sink renders it (sync on the clock), one process, two '
           f'sessions, loopback; {LATENCY_SESSIONS} calls of {LATENCY_SECONDS} s each per '
           'line, pooled'}
    out['sessions'] = LATENCY_SESSIONS
    for video in ('320x240@15', '640x360@30'):
        # None: no --latency, the library's default (the probe reports it).
        for latency in (None, 20):
            pooled, session_p50, busy, unreadable, errors = [], [], [], 0, []
            used = latency
            # The latency is steady within a session but differs between
            # sessions (an offset set when the stream starts): several
            # sessions, pooled.
            for _ in range(LATENCY_SESSIONS):
                busy.append(wait_quiet())
                server.start()
                try:
                    proc = Proc([probe, '--url', server.url,
                                 '--sender-token', server.token('latency', 'camera'),
                                 '--receiver-token', server.token('latency', 'display',
                                                                  send=False),
                                 *(['--latency', latency] if latency is not None else []),
                                 '--video', video,
                                 '--duration', LATENCY_SECONDS], cpu=CLIENT_CORE)
                    proc.p.wait(120)
                    proc.stop()
                    result = last_json(proc)
                    if result is None or not result.get('samples_ms'):
                        errors.append(' '.join(proc.errors[-3:]))
                        continue
                    used = result.get('jitterbuffer_ms', used)
                    pooled += result['samples_ms']
                    session_p50.append(round(result['p50_ms'], 1))
                    unreadable += result['frames_unreadable']
                finally:
                    server.stop()
            run = {'video': video, 'jitterbuffer_ms': used,
                   'jitterbuffer_default': latency is None, 'frames_read': len(pooled),
                   'frames_unreadable': unreadable, 'session_p50_ms': session_p50,
                   'busy_before': busy}
            for p in (50, 95, 99):
                run[f'p{p}_ms'] = round(percentile(pooled, p), 1) if pooled else None
            if errors:
                run['errors'] = errors
            out['runs'].append(run)
            log(f'latency {video} jitterbuffer {used} ms: p50 {run["p50_ms"]} '
                f'p95 {run["p95_ms"]} p99 {run["p99_ms"]}, sessions {session_p50}')
    return out


# ---- client cost ----

def descendants(pid):
    children = {}
    for entry in Path('/proc').iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / 'stat').read_text().rsplit(')', 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def proc_cpu_ticks(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError):
        return None


def proc_status(pid):
    out = {}
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                key, _, value = line.partition(':')
                if key in ('VmRSS', 'VmHWM'):
                    out[key] = int(value.split()[0])
                elif key == 'Threads':
                    out[key] = int(value)
    except OSError:
        pass
    return out


CALL_WINDOW_S = 15.0


def measure_client(pid, window=CALL_WINDOW_S):
    c0 = proc_cpu_ticks(pid)
    t0 = time.monotonic()
    time.sleep(window)
    c1 = proc_cpu_ticks(pid)
    t1 = time.monotonic()
    st = proc_status(pid)
    if c0 is None or c1 is None:
        return None
    return {'cpu': round((c1 - c0) / TICK / (t1 - t0), 4), 'rss_kb': st.get('VmRSS'),
            'rss_peak_kb': st.get('VmHWM'), 'threads': st.get('Threads'),
            'window_s': round(t1 - t0, 2)}


def app_binary(args):
    for build in (args.build, ROOT / '_build'):
        path = build / 'src' / 'app' / 'mediastore'
        if path.exists():
            return path
    return None


def scenario_client(args, results):
    """A 4-party call at 640x360@30: the measured client sends its live
    test pattern (encoded) and decodes the other three; the other three
    send the pre-encoded clip and decode nothing, and run with the server
    on the server core so that the measured client has its core alone."""
    server = Ours(args.build)
    out = {'call': '4 parties, video 640x360@30; the measured client encodes its own and '
           'decodes three'}

    def call(measured):
        out_entry = {'busy_before': wait_quiet()}
        server.start()
        peers = []
        other = None
        try:
            peers = [server.client('call', f'peer{i}', publish='file:' + str(args.clip),
                                   expect=3, cpu=SERVER_CORE) for i in range(3)]
            other = measured()
            for p in peers:
                if p.wait_line(lambda l: l == 'tracks-arrived', timeout=60) is None:
                    raise RuntimeError('the call did not come together')
            out_entry.update(other[1]())
        finally:
            stop_all(peers + ([other[0]] if other and other[0] else []))
            server.stop()
        return out_entry

    def bot():
        me = server.client('call', 'me', publish='test-video', expect=3, decode=True,
                           extra=['--video', '640x360@30'])

        def measure():
            if me.wait_line(lambda l: l == 'tracks-arrived', timeout=60) is None:
                return {'error': 'not every track arrived'}
            time.sleep(3.0)   # steady state
            snap0 = snapshot([me])[0]
            m = measure_client(me.pid)
            snap1 = snapshot([me])[0]
            frames = sum(t['frames'] for t in snap1['tracks']) - \
                sum(t['frames'] for t in snap0['tracks'])
            m['decoded_fps_total'] = round(frames / m['window_s'], 1)
            return m
        return me, measure

    log('client: bot')
    out['bot'] = call(bot)
    log(f"  bot: {out['bot']}")

    app = app_binary(args)
    if app is None:
        out['app'] = {'status': 'not measured yet: no _build*/src/app/mediastore (the desktop '
                      'app is being written)'}
    else:
        def run_app():
            # How the app takes a call is its author's to say; this is a guess
            # the override BENCH_APP_ARGS can correct ({url} and {token}).
            template = os.environ.get('BENCH_APP_ARGS', '--url {url} --token {token}')
            token = server.token('call', 'me')
            argv = ['xvfb-run', '-a', '-s', '-screen 0 1280x720x24', app] + \
                [a.format(url=server.url, token=token) for a in template.split()]
            proc = Proc(argv, cpu=CLIENT_CORE, env={'GDK_BACKEND': 'x11',
                                                    'MEDIASTORE_AUDIO_SINK': 'fakesink'})

            def measure():
                # The app counts as joined once the server has four peers.
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and proc.alive():
                    if server_metric(server, 'mediastore_peers') >= 4:
                        break
                    time.sleep(0.5)
                if not proc.alive():
                    return {'status': 'the app exited', 'stderr': proc.errors[-5:]}
                pids = [p for p in descendants(proc.pid)
                        if Path(f'/proc/{p}/exe').resolve() == app.resolve()]
                if not pids:
                    return {'status': 'the app process was not found'}
                time.sleep(3.0)
                m = measure_client(pids[0])
                m['joined'] = server_metric(server, 'mediastore_peers') >= 4
                m['args'] = template
                return m
            return proc, measure
        log('client: app')
        out['app'] = call(run_app)
    return out


def server_metric(server, name):
    try:
        with urllib.request.urlopen(f'http://127.0.0.1:{server.port}/metrics', timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return 0
    m = re.search(rf'^{name} (\d+)', text, re.M)
    return int(m.group(1)) if m else 0


# ---- profile ----

PROFILE_SIZE = 40
PROFILE_S = 10


def perf_top(data, sort, limit):
    text = subprocess.run(['perf', 'report', '-i', data, '--stdio', '--no-children',
                           '--sort', sort, '--percent-limit', '0.3'],
                          capture_output=True, text=True).stdout
    rows = []
    for line in text.splitlines():
        m = re.match(r'\s*([\d.]+)%\s+(.*)$', line)
        if m:
            rows.append([float(m.group(1))] + m.group(2).split(None, 1 if ',' not in sort else 2))
    return rows[:limit], text


def scenario_profile(args, results):
    """Where a server's time goes while it forwards one publisher to
    PROFILE_SIZE subscribers: perf sampling on the CPU clock (the machine
    has no hardware counters), flat, by library and by function."""
    if shutil.which('perf') is None:
        return {'status': 'perf is not installed (bench/install.sh installs linux-perf)'}
    out = {'subscribers': PROFILE_SIZE, 'seconds': PROFILE_S}
    outdir = HERE / 'results'
    outdir.mkdir(parents=True, exist_ok=True)
    servers = [s for s in (Ours(args.build), Janus(args.build)) if s.kind in args.servers]
    for server in servers:
        log(f'profile: {server.kind}')
        entry = {'busy_before': wait_quiet()}
        server.start()
        clients = []
        try:
            senders, receivers = server.fanout_clients(args.clip, PROFILE_SIZE)
            clients = senders + receivers
            for c in receivers:
                # mediastore-load says it for all its subscribers at once.
                ready = 'all-receiving' if getattr(c, 'load_peers', None) else 'tracks-arrived'
                if c.wait_line(lambda l, ready=ready: l == ready, timeout=60) is None:
                    raise RuntimeError('not every subscriber got media')
            time.sleep(WARMUP_S)
            f0 = server.forwarded()
            snap0 = snapshot(receivers)
            data = tempfile.mktemp(prefix='bench-perf-', suffix='.data')
            rec = subprocess.run(['taskset', '-c', str(CLIENT_CORE), 'perf', 'record', '-q',
                                  '-e', 'cpu-clock', '-F', '1999', '-p', str(server.proc.pid),
                                  '-o', data, '--', 'sleep', str(PROFILE_S)],
                                 capture_output=True, text=True)
            f1 = server.forwarded()
            snap1 = snapshot(receivers)
            if rec.returncode != 0:
                entry['status'] = 'perf record failed: ' + rec.stderr.strip()[-300:]
                out[server.kind] = entry
                continue
            dsos, dso_text = perf_top(data, 'dso', 15)
            syms, sym_text = perf_top(data, 'dso,sym', 40)
            entry['by_library'] = dsos
            entry['by_function'] = syms
            got = sum(t['packets'] for s in snap1 if s for t in s['tracks']) - \
                sum(t['packets'] for s in snap0 if s for t in s['tracks'])
            entry['forwarded_packets'] = (f1 - f0) if f0 is not None else got
            report = outdir / f'profile-{server.kind}.txt'
            report.write_text(f'# perf, cpu-clock at 1999 Hz, {PROFILE_S} s, one publisher '
                              f'to {PROFILE_SIZE} subscribers ({server.kind})\n\n'
                              + dso_text + '\n' + sym_text)
            entry['report'] = str(report.relative_to(ROOT))
            os.unlink(data)
        finally:
            stop_all(clients)
            server.stop()
        out[server.kind] = entry
    return out


# ---- machine and versions ----

def machine_info():
    def run(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.strip()
        except OSError:
            return None

    model = None
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    with open('/proc/meminfo') as f:
        mem_kb = int(f.readline().split()[1])
    debian = Path('/etc/debian_version').read_text().strip() \
        if Path('/etc/debian_version').exists() else None
    return {
        'cpu': model,
        'cores': os.cpu_count(),
        'memory_gb': round(mem_kb / 1024 / 1024, 1),
        'kernel': platform.release(),
        'debian': debian,
        'load_at_start': os.getloadavg(),
        'versions': {
            'mediastore': run(['git', '-C', str(ROOT), 'describe', '--always', '--dirty']),
            'gstreamer': run(['pkg-config', '--modversion', 'gstreamer-1.0']),
            'libnice': run(['pkg-config', '--modversion', 'nice']),
            'libsrtp2': run(['dpkg-query', '-W', '-f=${Version}', 'libsrtp2-1']),
            'janus': Janus.version(),
            'compiler': run(['cc', '--version']).splitlines()[0] if run(['cc', '--version'])
            else None,
        },
    }


# ---- results ----

def load_results():
    if RESULTS_JSON.exists():
        return json.loads(RESULTS_JSON.read_text())
    return {'scenarios': {}}


def save_results(results):
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + '\n')


# ---- RESULTS.md ----

BEGIN = '<!-- generated by bench/bench.py: edits between these lines are overwritten -->'
END = '<!-- end of generated part -->'


def fmt(value, digits=1, unit=''):
    if value is None:
        return '–'
    if isinstance(value, float):
        value = f'{value:,.{digits}f}'
    elif isinstance(value, int):
        value = f'{value:,}'
    return f'{value}{unit}'


def pct(value):
    return '–' if value is None else f'{100 * value:.1f} %'


def render_capacity(c):
    lines = []
    servers = [k for k in ('mediastore', 'janus') if k in c]
    lines += ['### Forwarding capacity', '',
              'One publisher sends the pre-encoded '
              
              '640x360@30 clip (about 1 Mbit/s, about 120 RTP packets/s); subscribers count '
              'packets and do not decode. Server on core 0, every client on core 1. '
              f'Each point: {WARMUP_S:.0f} s to settle, then a {WINDOW_S:.0f} s window (longer '
              f'for a small point, up to {MAX_WINDOW_S:.0f} s, so that it forwards about '
              f'{MIN_WINDOW_PACKETS:,} packets). A '
              f'point holds at ≤ {MAX_LOSS:.0%} loss with every copy of a stream at ≥ '
              f'{MIN_RATE:.0%} of the best copy and the sender unslowed.', '',
              '| server | layout | largest size that holds | forwarded pkt/s there | server µs '
              '/ forwarded pkt | server CPU | clients CPU | server RSS / peer | threads / peer '
              '| what ran out | one server core, projected | measured |',
              '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|']
    for server in servers:
        for layout in ('fanout', 'mesh'):
            sw = c[server][layout]
            held = [p for p in sw['points'] if p['holds']]
            best = max(held, key=lambda p: p['size']) if held else {}
            size = sw.get('max_size_held')
            label = (f'1 → {size}' if layout == 'fanout' else f'{size} all-to-all') \
                if size else '–'
            projected = (f"{fmt(sw.get('server_core_pps_projected'))} pkt/s "
                         f"(≈ {fmt(sw.get('size_projected'))} "
                         f"{'subscribers' if layout == 'fanout' else 'streams'})") \
                if sw.get('server_core_pps_projected') else '–'
            lines.append(f"| {server} | {'1 → N' if layout == 'fanout' else 'k all-to-all'} "
                         f"| {label} | {fmt(best.get('forwarded_pps'), 0)} "
                         f"| {fmt(best.get('us_per_packet'), 1)} "
                         f"| {pct(best.get('server_cpu'))} | {pct(best.get('clients_cpu'))} "
                         f"| {fmt((best.get('rss_kb_per_peer') or 0) / 1024, 2, ' MiB') if best.get('rss_kb_per_peer') else '–'} "
                         f"| {fmt(best.get('threads_per_peer'), 1)} "
                         f"| {sw.get('limited_by', '–')} | {projected} "
                         f"| {sw.get('date', c.get('date', '?'))[:16].replace('T', ' ')} UTC |")
    if 'ratio' in c:
        lines += ['', '**Ours / Janus** (below 1 is better for us): ']
        for layout in ('fanout', 'mesh'):
            r = c['ratio'].get(layout, {})
            by = ', '.join(f'{size}: {v}' for size, v in r.get('us_per_packet_by_size', []))
            lines.append(f"- {'1 → N' if layout == 'fanout' else 'all-to-all'}: CPU per "
                         f"forwarded packet {fmt(r.get('us_per_packet_median'), 2)} "
                         f"(median over sizes; by size {by or '–'}); largest size that "
                         f"holds {fmt(r.get('max_size'), 2)}; projected one-core capacity "
                         f"{fmt(r.get('size_projected'), 2)} (inverse of CPU per packet at "
                         'the largest size).')
    ours = c.get('mediastore', {})
    if ours:
        lines += ['', '**Against the floor and the other targets** (issue 14), ours:']
        for layout in ('fanout', 'mesh'):
            sw = ours.get(layout, {})
            if not sw.get('max_size_held'):
                continue
            name = '1 → N' if layout == 'fanout' else 'all-to-all'
            lines.append(
                f"- {name} at {sw['max_size_held']}: {fmt(sw.get('us_per_packet_at_max'))} µs "
                f"per forwarded packet against a floor of "
                f"{fmt(sw.get('floor_us_per_packet_at_max'))} µs measured right after it "
                f"(bench/srtp-floor.c: SRTP protect + sendmmsg of as many copies of the same "
                f"size at the same rate, in the same shape, to sockets emptied every "
                f"millisecond): {fmt(sw.get('floor_ratio_at_max'), 2)}× the floor "
                f"(target ≤ 1.5×); against the older floor (one source, all its copies in "
                f"one batch) of {fmt(sw.get('floor_drain_us_per_packet_at_max'))} µs, "
                f"{fmt(sw.get('floor_drain_ratio_at_max'), 2)}×; server threads {fmt(sw.get('threads_idle'))} before anyone "
                f"joined and {fmt(sw.get('threads_at_max'))} at the largest size; RSS "
                f"{fmt((sw.get('rss_kb_per_peer_at_max') or 0) / 1024, 3, ' MiB')} per peer "
                f"(target ≤ 0.3 MiB).")
        via = [p.get('subscribers_via') for p in ours.get('fanout', {}).get('points', [])]
        if 'mediastore-load' in via:
            lines.append('- Our fan-out subscribers are one mediastore-load process (one '
                         'engine worker thread; no decoding); Janus\'s are one janus-client '
                         'process each (a webrtcbin each, no decoding), which is why its sweep '
                         'ends where the client core runs out, not where Janus does.')
    lines += ['', '<details><summary>Every point</summary>', '',
              '| server | layout | size | streams | forwarded pkt/s | µs / pkt | server CPU '
              '| clients CPU | loss | server RSS | threads | floor µs / pkt | older floor | others on the '
              'machine (cores) | holds |',
              '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|']
    for server in servers:
        for layout in ('fanout', 'mesh'):
            for p in c[server][layout]['points']:
                lines.append(f"| {server} | {layout} | {p['size']} | {p['streams']} "
                             f"| {fmt(p.get('forwarded_pps'), 0)} | {fmt(p.get('us_per_packet'))} "
                             f"| {pct(p.get('server_cpu'))} | {pct(p.get('clients_cpu'))} "
                             f"| {pct(p.get('loss'))} "
                             f"| {fmt((p.get('server_rss_kb') or 0) / 1024, 1, ' MiB')} "
                             f"| {fmt(p.get('server_threads'))} "
                             f"| {fmt(p.get('floor_us_per_packet'))} "
                             f"| {fmt(p.get('floor_drain_us_per_packet'))} "
                             f"| {fmt(p.get('foreign_cpu'), 2)} "
                             f"| {'yes' if p['holds'] else 'no: ' + p.get('why', '')} |")
    lines += ['', '</details>', '']
    best_ours = c.get('mediastore', {}).get('fanout', {})
    if best_ours.get('server_core_pps_projected'):
        pps = best_ours['server_core_pps_projected']
        us = best_ours['us_per_packet_at_max']
        lines += ['Against the reference figures (one core, fan-out): ours '
                  f'{fmt(pps)} pkt/s projected from {fmt(us)} µs per forwarded packet; '
                  f"LiveKit about {fmt(TARGETS['livekit_pps_per_vcpu'])} pkt/s per vCPU "
                  f"({pct(pps / TARGETS['livekit_pps_per_vcpu'])} of it), Jitsi's overload "
                  f"threshold {fmt(TARGETS['jitsi_overload_pps'])} pkt/s, mediasoup about "
                  f"{fmt(TARGETS['mediasoup_pps_per_worker'])} pkt/s per worker; the SRTP "
                  f"(AES-CM-80) + UDP floor on this machine is about "
                  f"{TARGETS['srtp_udp_floor_us']:.0f} µs per copy, "
                  f"{us / TARGETS['srtp_udp_floor_us']:.1f}× below ours.", '']
    return lines


def render_pairs(p):
    lines = ['### CPU per forwarded packet against Janus, in turns', '',
             f"Measured {p.get('date', '?')}: one size per layout, ours and Janus one after "
             f"the other, {p.get('rounds')} rounds, the order swapped every round, each "
             'pair measured like a capacity point; the ratio is ours / Janus (below 1 is '
             'better for us).', '',
             '| layout | size | each pair: ours / Janus µs (ratio) | median ours | median Janus '
             '| median ratio | range |', '|---|---:|---|---:|---:|---:|---|']
    for layout in ('fanout', 'mesh'):
        e = p.get(layout)
        if not e:
            continue
        each = '; '.join(
            f"{fmt(q.get('mediastore_us'))} / {fmt(q.get('janus_us'))} ({fmt(q.get('ratio'), 3)})"
            if 'ratio' in q else 'did not hold' for q in e['pairs'])
        name = '1 → N' if layout == 'fanout' else 'all-to-all'
        lines.append(f"| {name} | {e['size']} | {each} | {fmt(e.get('mediastore_us_median'))} µs "
                     f"| {fmt(e.get('janus_us_median'))} µs | {fmt(e.get('ratio_median'), 3)} "
                     f"| {fmt(e.get('ratio_min'), 3)}–{fmt(e.get('ratio_max'), 3)} |")
    return lines + ['']


def render_join(j):
    lines = ['### Join time', '', f"Measured {j.get('date', '?')}; {j['joins']} joins each, "
             f"{j['definition']}.", '',
             '| room | first remote frame p50 | p95 | every publisher\'s frame p50 | p95 '
             '| signaling (welcome) p50 | failed |', '|---|---:|---:|---:|---:|---:|---:|']
    for label, name in (('empty', 'one publisher'), ('six_publishers', 'six publishers')):
        e = j.get(label)
        if not e or 'first_frame_ms' not in e:
            continue
        a = e.get('all_frames_ms', {})
        lines.append(f"| {name} | {fmt(e['first_frame_ms']['p50'], 0, ' ms')} "
                     f"| {fmt(e['first_frame_ms']['p95'], 0, ' ms')} "
                     f"| {fmt(a.get('p50'), 0, ' ms')} | {fmt(a.get('p95'), 0, ' ms')} "
                     f"| {fmt(e['connect_ms']['p50'], 0, ' ms')} | {e['failed']} |")
    return lines + ['']


def render_redirect(r):
    lines = ['### Join through another node (cluster redirect)', '',
             f"Measured {r.get('date', '?')}; {r['joins']} joins each way, interleaved, "
             f"{r['definition']}. Both nodes on core 0, Redis too.", '',
             '| join | first remote frame p50 | p95 | signaling (welcome) p50 | p95 | failed |',
             '|---|---:|---:|---:|---:|---:|']
    for label, name in (('direct', 'direct (through A)'),
                        ('redirected', 'redirected (through B to A)')):
        e = r.get(label)
        if not e or 'first_frame_ms' not in e:
            continue
        lines.append(f"| {name} | {fmt(e['first_frame_ms']['p50'], 0, ' ms')} "
                     f"| {fmt(e['first_frame_ms']['p95'], 0, ' ms')} "
                     f"| {fmt(e['connect_ms']['p50'], 0, ' ms')} "
                     f"| {fmt(e['connect_ms']['p95'], 0, ' ms')} | {e['failed']} |")
    redirects = r.get('redirects_total', {})
    lines += ['', f"Redirected minus direct, p50: first frame "
              f"{fmt(r.get('first_frame_p50_delta_ms'), 0, ' ms')}, signaling "
              f"{fmt(r.get('connect_p50_delta_ms'), 0, ' ms')}; target ≤ "
              f"{r.get('target_ms')} ms on the first frame: "
              f"{'met' if r.get('target_met') else 'not met'}. Redirects counted by B: "
              f"{fmt(redirects.get('b'))} (A: {fmt(redirects.get('a'))})."]
    return lines + ['']


def render_latency(l):
    lines = ['### Glass-to-glass latency', '', f"Measured {l.get('date', '?')}: "
             f"{l['definition']}.", '',
             '| video | jitterbuffer | p50 | p95 | p99 | each call\'s p50 | frames read '
             '| unreadable |', '|---|---:|---:|---:|---:|---|---:|---:|']
    for r in l['runs']:
        calls = ', '.join(f'{v:.0f}' for v in r.get('session_p50_ms', []))
        lines.append(f"| {r.get('video', '?')} | {fmt(r.get('jitterbuffer_ms'), 0, ' ms')} "
                     f"| {fmt(r.get('p50_ms'), 1, ' ms')} | {fmt(r.get('p95_ms'), 1, ' ms')} "
                     f"| {fmt(r.get('p99_ms'), 1, ' ms')} | {calls or '–'} "
                     f"| {fmt(r.get('frames_read'))} | {fmt(r.get('frames_unreadable'))} |")
    return lines + ['']


def render_client(c):
    lines = ['### Client cost', '', f"Measured {c.get('date', '?')}: {c['call']}.", '',
             '| client | CPU (one core = 100 %) | RSS | threads | decoded frames/s |',
             '|---|---:|---:|---:|---:|']
    bot = c.get('bot', {})
    if 'cpu' in bot:
        lines.append(f"| mediastore-bot | {pct(bot['cpu'])} "
                     f"| {fmt(bot['rss_kb'] / 1024, 1, ' MiB')} | {bot['threads']} "
                     f"| {fmt(bot.get('decoded_fps_total'))} |")
    app = c.get('app', {})
    if 'cpu' in app:
        lines.append(f"| mediastore (app, Xvfb) | {pct(app['cpu'])} "
                     f"| {fmt(app['rss_kb'] / 1024, 1, ' MiB')} | {app['threads']} | – |")
    else:
        lines.append(f"| mediastore (app, Xvfb) | {app.get('status', 'not measured')} | | | |")
    return lines + ['']


def render_profile(p):
    lines = ['### Server profile', '', f"Measured {p.get('date', '?')}: perf on the CPU clock "
             f"while one publisher sends to {p.get('subscribers')} subscribers, "
             f"{p.get('seconds')} s; full reports in `bench/results/profile-*.txt`.", '']
    for server in ('mediastore', 'janus'):
        e = p.get(server)
        if not e or 'by_library' not in e:
            continue
        libs = ', '.join(f'{name} {share:.1f} %' for share, name in
                         ((row[0], row[1]) for row in e['by_library'][:10]))
        funcs = ', '.join(f'{row[-1].strip()} {row[0]:.1f} %' for row in e['by_function'][:10])
        lines += [f'- **{server}**, by library: {libs}.', f'  Top functions: {funcs}.']
    return lines + ['']


def render_markdown(results):
    m = results.get('machine', {})
    v = m.get('versions', {})
    sc = results.get('scenarios', {})
    lines = [BEGIN, '', '## Measured', '',
             f"Machine: {m.get('cpu')} × {m.get('cores')} cores, {m.get('memory_gb')} GB, "
             f"Linux {m.get('kernel')}, Debian {m.get('debian')}; shared with two other "
             'engineers building and testing, so every point records the CPU the rest of the '
             'machine used meanwhile, runs only once the machine is quiet, and a failed point '
             'seen under foreign load is measured again.', '',
             f"Versions: Mediastore {v.get('mediastore')}, GStreamer {v.get('gstreamer')}, "
             f"libnice {v.get('libnice')}, libsrtp2 {v.get('libsrtp2')}, Janus "
             f"{v.get('janus')}; {v.get('compiler')}; meson buildtype debugoptimized "
             '(-O2 -g).', '']
    if 'capacity' in sc:
        lines += render_capacity(sc['capacity'])
    if 'pairs' in sc:
        lines += render_pairs(sc['pairs'])
    if 'join' in sc:
        lines += render_join(sc['join'])
    if 'redirect' in sc:
        lines += render_redirect(sc['redirect'])
    if 'latency' in sc:
        lines += render_latency(sc['latency'])
    if 'client' in sc:
        lines += render_client(sc['client'])
    if 'profile' in sc:
        lines += render_profile(sc['profile'])
    lines += [END]
    return '\n'.join(lines) + '\n'


def write_markdown(results):
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else \
        '# Mediastore benchmarks\n\n' + BEGIN + '\n' + END + '\n'
    if BEGIN not in text or END not in text:
        text = text.rstrip('\n') + '\n\n' + BEGIN + '\n' + END + '\n'
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    RESULTS_MD.write_text(head + render_markdown(results).rstrip('\n') + tail)


SCENARIOS = {
    'capacity': scenario_capacity,
    'pairs': scenario_pairs,
    'join': scenario_join,
    'redirect': scenario_redirect,
    'latency': scenario_latency,
    'client': scenario_client,
    'profile': scenario_profile,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('scenarios', nargs='*', help='scenarios to run (default: all)')
    parser.add_argument('--build', type=Path, default=ROOT / '_build-bench')
    parser.add_argument('--clip', type=Path)
    parser.add_argument('--servers', default='mediastore,janus')
    parser.add_argument('--fanout', default=None,
                        help='fan-out sizes (default: %s for ours with mediastore-load, '
                        '%s otherwise)' % (','.join(map(str, LOAD_FANOUT_SIZES)),
                                           ','.join(map(str, FANOUT_SIZES))))
    parser.add_argument('--no-load', action='store_true',
                        help='our subscribers as one mediastore-bot each, not mediastore-load')
    parser.add_argument('--mesh', default=','.join(map(str, MESH_SIZES)))
    parser.add_argument('--layouts', default='fanout,mesh',
                        help='capacity layouts to run (fanout, mesh)')
    parser.add_argument('--list', action='store_true')
    parser.add_argument('--markdown', action='store_true',
                        help='only write RESULTS.md again from results.json')
    args = parser.parse_args()
    if args.list:
        print('\n'.join(SCENARIOS))
        return 0
    if args.markdown:
        write_markdown(load_results())
        return 0
    args.build = args.build.resolve()
    args.servers = args.servers.split(',')
    args.fanout = [int(x) for x in args.fanout.split(',') if x] if args.fanout else None
    args.mesh = [int(x) for x in args.mesh.split(',') if x]
    args.layouts = [x for x in args.layouts.split(',') if x in ('fanout', 'mesh')]
    wanted = args.scenarios or list(SCENARIOS)
    unknown = [s for s in wanted if s not in SCENARIOS]
    if unknown:
        parser.error('unknown scenario: ' + ', '.join(unknown))

    results = load_results()
    results['machine'] = machine_info()
    for name in wanted:
        log(f'== {name}')
        started = datetime.datetime.now(datetime.timezone.utc)
        out = SCENARIOS[name](args, results)
        out['date'] = started.isoformat(timespec='seconds')
        out['machine_load_at_start'] = results['machine']['load_at_start']
        results['scenarios'][name] = out
        save_results(results)
        write_markdown(results)
    print(json.dumps({k: results['scenarios'][k] for k in wanted}, indent=2,
                     ensure_ascii=False))
    return 0


if __name__ == '__main__':
    sys.exit(main())
