#!/usr/bin/python3
"""Interop with headless Chromium: tests/interop/page.html in Debian's
chromium, driven by chromium-driver through python3-selenium, against the
real mediastore-server and real mediastore-bot processes on loopback.

SPDX-License-Identifier: GPL-3.0-or-later

Usage: chromium.py call    the page and a bot publish to and receive from
                           each other
       chromium.py joins   the page receives a bot's video while two more
                           bots join, one leaves and another takes its
                           m-lines: one subscribe RTCPeerConnection
                           throughout, and the first bot's video keeps
                           decoding

Prints TAP. Every wait is bounded; a run takes under 20 s when it passes.
"""

import os
import sys
import time
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

import msinterop

HERE = os.path.dirname(os.path.abspath(__file__))
CHROMIUM = os.environ.get('MS_INTEROP_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('MS_INTEROP_CHROMEDRIVER', '/usr/bin/chromedriver')


class Page:
    """One headless Chromium showing page.html."""

    def __init__(self, work, url, token, publish=True, first='video'):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ['--headless=new', '--no-sandbox', '--disable-gpu',
                     '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
                     '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required',
                     '--disable-background-networking', '--disable-component-update',
                     '--disable-sync', '--disable-quic', '--no-first-run',
                     '--disable-dev-shm-usage',
                     '--user-data-dir=' + work.file('chromium-profile')]:
            options.add_argument(flag)
        service = Service(CHROMEDRIVER, log_path=work.file('chromedriver.log'))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_script_timeout(10)
        query = urllib.parse.urlencode({'ws': url, 'token': token, 'first': first,
                                        'publish': '1' if publish else '0'})
        self.driver.get('file://' + os.path.join(HERE, 'page.html') + '?' + query)

    def state(self):
        return self.driver.execute_script('return window.interop;')

    def stats(self):
        return self.driver.execute_async_script(
            'const done = arguments[arguments.length - 1];'
            'window.interopStats ().then (done, (e) => done ({error: String (e)}));')

    def received(self, stats, peer_name, tag):
        for entry in stats.get('received', []):
            if entry['peer_name'] == peer_name and entry['tag'] == tag:
                return entry
        return None

    def frames(self, peer_name, tag='camera'):
        entry = self.received(self.stats(), peer_name, tag)
        return entry['framesDecoded'] if entry else 0

    def close(self):
        try:
            self.driver.quit()
        except WebDriverException:
            pass


def dump(tap, work, page, bots):
    if page is not None:
        try:
            state = page.state()
            tap.note('page log:\n' + '\n'.join(state.get('log', [])[-30:]))
            tap.note('page errors: %s' % state.get('errors'))
        except WebDriverException as error:
            tap.note('page gone: %s' % error)
    for bot in bots:
        tap.note('bot %s stderr:\n%s' % (bot.identity, work.tail('bot-%s.log' % bot.identity, 15)))
    tap.note('server log:\n' + work.tail('server.log', 30))


def case_call(tap, work, server, first='video'):
    """The page publishes its fake camera and microphone and receives a
    bot's; the bot decodes the page's; the page closes its microphone in
    a second offer on the same connection, and its camera still reaches
    the bot."""
    bots = []
    page = None
    try:
        bot = msinterop.Bot(server, 'bot')
        bots.append(bot)
        start = time.monotonic()
        page = Page(work, server.url, server.token('browser', name='browser'), first=first)

        def page_decoding():
            stats = page.stats()
            video = page.received(stats, 'bot', 'camera')
            audio = page.received(stats, 'bot', 'microphone')
            if video and audio and video['framesDecoded'] > 30 and audio['totalSamplesReceived'] > 48000:
                return stats
            return None
        stats = msinterop.wait_until(page_decoding, 15, 0.2)
        took = time.monotonic() - start
        if stats is None:
            stats = page.stats()
        video = page.received(stats, 'bot', 'camera') or {}
        audio = page.received(stats, 'bot', 'microphone') or {}
        tap.check(stats is not None and video.get('framesDecoded', 0) > 30,
                  'the page decodes the bot\'s video (%d frames, %.1f s after start)'
                  % (video.get('framesDecoded', 0), took), 'stats: %s' % stats)
        tap.check(audio.get('totalSamplesReceived', 0) > 48000,
                  'the page receives the bot\'s audio (%d samples)' % audio.get('totalSamplesReceived', 0))

        def bot_decoding():
            snap = bot.snapshot()
            video = bot.track(snap, 'camera')
            audio = bot.track(snap, 'microphone')
            if video and audio and video['frames'] > 30 and audio['frames'] > 50:
                return snap
            return None
        snap = msinterop.wait_until(bot_decoding, 10, 0.3)
        took = time.monotonic() - start
        snap = snap or bot.snapshot() or {}
        video = bot.track(snap, 'camera') or {}
        audio = bot.track(snap, 'microphone') or {}
        tap.check(video.get('frames', 0) > 30,
                  'the bot decodes the page\'s video (%d frames, %d packets, %.1f s after start)'
                  % (video.get('frames', 0), video.get('packets', 0), took), 'snapshot: %s' % snap)
        tap.check(audio.get('frames', 0) > 50,
                  'the bot decodes the page\'s audio (%d frames)' % audio.get('frames', 0))
        # One change, one offer on the same publish RTCPeerConnection.
        answers = page.state()['publishAnswers']
        error = page.driver.execute_async_script(
            'const done = arguments[arguments.length - 1];'
            'window.interopCloseTrack ("microphone").then (() => done (null), (e) => done (String (e)));')
        answered = msinterop.wait_until(lambda: page.state()['publishAnswers'] > answers, 5)
        tap.check(error is None and answered,
                  'the server answers the page\'s second publish offer (microphone closed)',
                  'error: %s, page log:\n%s' % (error, '\n'.join(page.state()['log'][-10:])))
        # The camera goes on on the same transport, and reaches the bot.
        def sent_video():
            for entry in page.stats()['sent']:
                if entry['kind'] == 'video':
                    return entry['packetsSent']
            return 0
        sent = sent_video()
        grew = msinterop.wait_until(
            lambda: sent_video() > sent + 20 and page.stats()['publishState'] == 'connected', 5, 0.2)
        tap.check(grew, 'the page\'s camera goes on on the same publish transport (%d -> %d packets, %s)'
                  % (sent, sent_video(), page.stats()['publishState']))
        frames = (bot.track(bot.snapshot() or {}, 'camera') or {}).get('frames', 0)
        more = msinterop.wait_until(
            lambda: (bot.track(bot.snapshot() or {}, 'camera') or {}).get('frames', 0) > frames + 15,
            10, 0.3)
        tap.check(more, 'the bot still decodes the page\'s camera after the second offer (%d -> %d frames)'
                  % (frames, (bot.track(bot.snapshot() or {}, 'camera') or {}).get('frames', 0)))
        stats = page.stats()
        tap.check(stats['subscribePcs'] == 1 and not stats['errors'],
                  'one subscribe RTCPeerConnection, no errors (%d, %d offers)'
                  % (stats['subscribePcs'], stats['subscribeOffers']), 'errors: %s' % stats['errors'])
        if tap.failed:
            dump(tap, work, page, bots)
    finally:
        if page is not None:
            page.close()
        for bot in bots:
            bot.stop()


def case_joins(tap, work, server):
    """The page receives bot-1's video; bot-2 and bot-3 join, bot-2 leaves,
    bot-4 joins (onto the m-line bot-2 left). bot-1's video keeps decoding
    and the page keeps one subscribe RTCPeerConnection."""
    bots = {}
    page = None
    samples = []   # (time, bot-1 frames)
    events = []    # (time, what)

    def sample():
        frames = page.frames('bot-1')
        samples.append((time.monotonic(), frames))
        return frames

    def until_decoding(name, minimum, timeout=8):
        """Until the page decoded more than minimum frames of name's video,
        sampling bot-1's on the way."""
        def done():
            sample()
            return page.frames(name) > minimum
        return msinterop.wait_until(done, timeout, 0.05)

    def join(name):
        bots[name] = msinterop.Bot(server, name, 'camera=test-video', subscribe=False)

    try:
        page = Page(work, server.url, server.token('browser', name='browser'), publish=False)
        bots['bot-1'] = msinterop.Bot(server, 'bot-1', subscribe=False)
        tap.check(until_decoding('bot-1', 15, 12), 'the page decodes bot-1 (%d frames)' % sample())
        mlines = None
        first = len(samples) - 1   # freezes count from here

        for step, action in [('bot-2 joins', lambda: join('bot-2')),
                             ('bot-3 joins', lambda: join('bot-3')),
                             ('bot-2 leaves', lambda: bots.pop('bot-2').stop()),
                             ('bot-4 joins', lambda: join('bot-4'))]:
            before = sample()
            answers = page.stats()['subscribeAnswers']
            events.append((time.monotonic(), step))
            action()
            name, verb = step.split()
            if verb == 'joins':
                tap.check(until_decoding(name, 10), '%s: the page decodes it (%d frames)'
                          % (step, page.frames(name)))
            else:
                # The server's offer without it, answered; then a second more.
                msinterop.wait_until(lambda: page.stats()['subscribeAnswers'] > answers, 5, 0.05)
                end = time.monotonic() + 1
                msinterop.wait_until(lambda: sample() is not None and time.monotonic() > end,
                                     2, 0.05)
                mlines = page.stats()['subscribeMlines']
            # Going on: more frames soon (the freeze check below says how
            # smoothly); a join that took long under load may leave few so far.
            msinterop.wait_until(lambda: sample() > before + 5, 5, 0.05)
            after = sample()
            tap.check(after > before + 5, '%s: bot-1\'s video goes on (%d -> %d frames)'
                      % (step, before, after))

        stats = page.stats()
        tap.check(stats['subscribeMlines'] == mlines,
                  'bot-4 takes the m-line bot-2 left (%s m-lines before, %d after)'
                  % (mlines, stats['subscribeMlines']))
        tap.check(stats['subscribePcs'] == 1 and not stats['errors'],
                  'one subscribe RTCPeerConnection throughout (%d, %d offers), no errors'
                  % (stats['subscribePcs'], stats['subscribeOffers']), 'errors: %s' % stats['errors'])
        # The longest run of samples without a new frame of bot-1, and where.
        longest, at, run_start = 0.0, None, None
        samples = samples[first:]
        for (t0, f0), (t1, f1) in zip(samples, samples[1:]):
            if f1 == f0:
                run_start = t0 if run_start is None else run_start
                if t1 - run_start > longest:
                    longest, at = t1 - run_start, run_start
            else:
                run_start = None
        origin = samples[0][0]
        bot1 = page.received(stats, 'bot-1', 'camera') or {}
        tap.note('events: ' + ', '.join('%s at %.2f s' % (what, t - origin) for t, what in events))
        tap.note('bot-1 video: %d frames decoded, %d freezes (Chromium\'s count); longest time '
                 'without a new frame: %.2f s from %.2f s (%d samples, %.0f ms apart on average)'
                 % (bot1.get('framesDecoded', 0), bot1.get('freezeCount', 0), longest,
                    (at or origin) - origin, len(samples),
                    1000 * (samples[-1][0] - origin) / max(len(samples) - 1, 1)))
        if tap.failed:
            dump(tap, work, page, list(bots.values()))
    finally:
        if page is not None:
            page.close()
        for bot in bots.values():
            bot.stop()


def case_call_audio_first(tap, work, server):
    """The same, with the microphone's m-line first: closing it moves the
    page's bundle to the camera's m-line."""
    case_call(tap, work, server, first='audio')


CASES = {'call': (case_call, 8), 'call-audio-first': (case_call_audio_first, 8),
         'joins': (case_joins, 10)}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print('Usage: chromium.py call|call-audio-first|joins', file=sys.stderr)
        return 2
    case, plan = CASES[sys.argv[1]]
    for program in (CHROMIUM, CHROMEDRIVER):
        if not os.access(program, os.X_OK):
            msinterop.Tap(plan).bail('%s is missing: build-aux/install-deps.sh installs it' % program)
    return msinterop.run(plan, case)


if __name__ == '__main__':
    sys.exit(main())
