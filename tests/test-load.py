#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""mediastore-load against the real server, over loopback (TAP).

One in-process publisher and first 2, then 20 subscribers, from one
mediastore-load process each time: every subscriber receives the camera
with no loss, the load tool's thread count is the same for 2 and for 20
peers, and so is the server's (/metrics mediastore_threads).

Usage: test-load.py MEDIASTORE_SERVER MEDIASTORE_LOAD
"""

import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

SERVER, LOAD = sys.argv[1], sys.argv[2]
TIMEOUT = 60.0          # an upper bound for each wait, never a pause
PACKETS = 150           # per subscriber before the end: over a second of video

results = []


def check(ok, name, detail=''):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}" +
          (f' # {detail}' if detail and not ok else ''), flush=True)
    if detail:
        print(f'# {detail}', flush=True)


class Lines:
    """A child's stdout, line by line, waited on."""

    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, bufsize=1)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.err = threading.Thread(target=self.p.stderr.read, daemon=True)
        self.err.start()

    def _read(self):
        for line in self.p.stdout:
            with self.cond:
                self.lines.append(line.rstrip('\n'))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait(self, predicate, start=0, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[start:]:
                    if predicate(line):
                        return line
                start = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or not self.reader.is_alive():
                    return None
                self.cond.wait(left)

    def snapshot(self):
        with self.cond:
            mark = len(self.lines)
        self.p.send_signal(signal.SIGUSR1)
        line = self.wait(lambda l: l.startswith('{'), start=mark)
        return json.loads(line) if line else None

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.reader.join(5)
        return self.p.returncode


def server_threads(port):
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/metrics', timeout=10) as r:
        text = r.read().decode()
    m = re.search(r'^mediastore_threads (\d+)', text, re.M)
    return int(m.group(1)) if m else None


def run(url, port, n, room):
    """One load run: returns (final JSON, load threads, server threads)."""
    load = Lines([LOAD, '--url', url, '--dev', '--room', room, '-n', str(n), '-p', '1',
                  '--duration', '0', '--workers', '1', '--join-interval', '5'])
    try:
        if load.wait(lambda l: l == 'all-receiving') is None:
            return None, None, None
        # Until every subscriber has had some video: snapshots, not a pause.
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            snap = load.snapshot()
            subs = [p for p in snap['peers'] if 'tracks' in p] if snap else []
            if snap is None or all(p['packets'] >= PACKETS for p in subs):
                break
        threads = snap['threads'] if snap else None
        srv_threads = server_threads(port)
    finally:
        status = load.stop()
    text = '\n'.join(load.lines)
    final = json.loads(text[text.rfind('\n{') + 1:]) if '\n{' in text else None
    if final is not None:
        final['exit_status'] = status
    return final, threads, srv_threads


def main():
    print('1..9', flush=True)
    server = Lines([SERVER, '--dev', '--port=0', '--max-peers-per-room=100'])
    try:
        line = server.wait(lambda l: l.startswith('listening on ws://'))
        if line is None:
            check(False, 'the server starts')
            return
        url = line.split()[2]
        port = int(re.search(r':(\d+)/', url).group(1))
        idle_threads = server_threads(port)

        small, small_threads, small_srv = run(url, port, 2, 'load-small')
        check(small is not None and small['totals']['receiving'] == 2,
              '2 subscribers receive the camera',
              small and json.dumps(small['totals']))

        big, big_threads, big_srv = run(url, port, 20, 'load-big')
        ok = big is not None
        totals = big['totals'] if ok else {}
        subs = [p for p in big['peers'] if 'tracks' in p] if ok else []
        check(ok and totals['joined'] == 21 and totals['failed'] == 0,
              'a publisher and 20 subscribers join without error', json.dumps(totals))
        check(ok and len(subs) == 20 and all(p['packets'] >= PACKETS for p in subs),
              f'every subscriber received at least {PACKETS} packets',
              ok and str(sorted(p['packets'] for p in subs)[:3]))
        check(ok and totals['packets_lost'] == 0, 'no loss on loopback',
              ok and f"{totals['packets_lost']} lost of {totals['packets']}")
        check(ok and all(p['unknown_ssrc_packets'] == 0 for p in subs),
              'every packet came on an SSRC the offer announced')
        check(ok and big['exit_status'] == 0, 'mediastore-load exits 0',
              ok and f"exit status {big['exit_status']}")
        check(small_threads is not None and small_threads == big_threads,
              'mediastore-load has as many threads for 20 subscribers as for 2',
              f'{small_threads} and {big_threads}')
        check(big_threads is not None and big_threads <= 1 + 1 + 4,
              'mediastore-load: the main thread, one engine worker and a few of GLib\'s',
              f'{big_threads} threads')
        check(idle_threads is not None and idle_threads == small_srv == big_srv,
              'the server has as many threads at 0, 3 and 21 peers',
              f'{idle_threads}, {small_srv} and {big_srv}')
    finally:
        server.stop()


main()
sys.exit(0 if all(results) and len(results) == 9 else 1)
