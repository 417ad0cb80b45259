"""Shared parts of the interop tests: the real mediastore-server (dev mode,
loopback), tokens from its token command, real mediastore-bot processes, TAP
output, and bounded waits.

SPDX-License-Identifier: GPL-3.0-or-later

Paths come from the environment meson gives the tests (MEDIASTORE_SERVER,
MEDIASTORE_BOT); MS_INTEROP_DEBUG=1 makes the server log debug lines
(--verbose, every SDP included), and keeps the logs.
"""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SERVER = os.environ.get('MEDIASTORE_SERVER', 'mediastore-server')
BOT = os.environ.get('MEDIASTORE_BOT', 'mediastore-bot')
DEBUG = os.environ.get('MS_INTEROP_DEBUG') == '1'


class Tap:
    """TAP output: a plan, then one line per check; failures carry a reason."""

    def __init__(self, plan):
        self.n = 0
        self.failed = 0
        print('1..%d' % plan, flush=True)

    def check(self, ok, what, why=''):
        self.n += 1
        if not ok:
            self.failed += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, what), flush=True)
        if not ok and why:
            self.note(why)
        return ok

    def note(self, text):
        for line in str(text).splitlines():
            print('# ' + line, flush=True)

    def bail(self, why):
        print('Bail out! ' + str(why).replace('\n', ' '), flush=True)
        sys.exit(1)


def run(plan, case):
    """Runs case(tap, work, server) against a fresh server and prints TAP;
    returns the exit status. The logs stay when something failed."""
    tap = Tap(plan)
    work = Workdir()
    server = Server(work)
    try:
        case(tap, work, server)
    finally:
        server.stop()
    if tap.failed == 0 and not DEBUG:
        shutil.rmtree(work.path, ignore_errors=True)
    else:
        tap.note('logs in ' + work.path)
    return 1 if tap.failed or tap.n != plan else 0


def end(proc, timeout):
    """SIGTERM, then SIGKILL if proc is still there after timeout seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until(predicate, timeout, interval=0.1):
    """Polls predicate() until it returns something true, at most timeout
    seconds (an upper bound, not a delay): its last value, or None."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= end:
            return None
        time.sleep(interval)


class _Lines:
    """A pipe read line by line on a thread of its own."""

    def __init__(self, pipe, copy_to=None):
        self.queue = queue.Queue()
        self.copy_to = copy_to
        self.thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self.thread.start()

    def _read(self, pipe):
        for line in iter(pipe.readline, ''):
            if self.copy_to is not None:
                self.copy_to.write(line)
                self.copy_to.flush()
            self.queue.put(line)
        self.queue.put(None)

    def get(self, timeout):
        try:
            return self.queue.get(timeout=max(timeout, 0))
        except queue.Empty:
            return None


class Workdir:
    """A temporary folder for logs, removed unless debugging or failing."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix='ms-interop-')

    def file(self, name):
        return os.path.join(self.path, name)

    def tail(self, name, lines=40):
        try:
            with open(self.file(name), errors='replace') as f:
                return ''.join(f.readlines()[-lines:])
        except OSError:
            return ''


class Server:
    """mediastore-server --dev on a free loopback port."""

    def __init__(self, work):
        self.work = work
        env = dict(os.environ)
        args = [SERVER, '--dev', '--port=0', '--media-workers=1']
        if DEBUG:
            args.append('--verbose')
        self.log = open(work.file('server.log'), 'w')
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log,
                                     stdin=subprocess.DEVNULL, text=True, env=env)
        self.lines = _Lines(self.proc.stdout)
        self.url = None
        end = time.monotonic() + 10
        while self.url is None:
            line = self.lines.get(end - time.monotonic())
            if line is None:
                raise RuntimeError('the server printed no "listening on" line:\n' +
                                   work.tail('server.log'))
            if line.startswith('listening on ws://'):
                self.url = line.split()[2]

    def token(self, identity, name=None, send_tracks='camera,microphone'):
        args = [SERVER, 'token', '--dev', '--room', 'interop', '--identity', identity,
                '--ttl', '10m']
        if name:
            args += ['--name', name]
        if send_tracks:
            args += ['--send-tracks', send_tracks]
        out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=10)
        return out.stdout.strip()

    def stop(self):
        end(self.proc, 5)
        self.log.close()


class Bot:
    """A mediastore-bot publishing the test camera and microphone; SIGUSR1
    asks it for a one-line JSON snapshot of what it received."""

    def __init__(self, server, identity, publish='camera=test-video,microphone=test-audio',
                 subscribe=True, duration=60):
        self.identity = identity
        self.stderr = open(server.work.file('bot-%s.log' % identity), 'w')
        args = [BOT, '--url', server.url,
                '--token', server.token(identity, name=identity),
                '--stats', '--duration', str(duration)]
        if publish:
            args += ['--publish', publish]
        if subscribe:
            args.append('--subscribe')
        env = dict(os.environ)
        env.setdefault('MEDIASTORE_AUDIO_SINK', 'fakesink')
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr,
                                     stdin=subprocess.DEVNULL, text=True, env=env)
        self.lines = _Lines(self.proc.stdout)
        self.final = []

    def snapshot(self, timeout=5):
        """The bot's counters now, or None if it did not answer in time."""
        if self.proc.poll() is not None:
            return None
        self.proc.send_signal(signal.SIGUSR1)
        end = time.monotonic() + timeout
        while True:
            line = self.lines.get(end - time.monotonic())
            if line is None:
                return None
            try:
                return json.loads(line)
            except ValueError:
                self.final.append(line)

    def track(self, snapshot, tag):
        """The entry for one tag in a snapshot (any publisher)."""
        for track in (snapshot or {}).get('tracks', []):
            if track['tag'] == tag:
                return track
        return None

    def stop(self):
        """Ends the bot (SIGTERM: it prints its final statistics); returns them."""
        end(self.proc, 10)
        while True:
            line = self.lines.get(2)
            if line is None:
                break
            self.final.append(line)
        self.stderr.close()
        try:
            return json.loads(''.join(self.final))
        except ValueError:
            return None
