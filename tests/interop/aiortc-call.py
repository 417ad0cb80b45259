#!/usr/bin/python3
"""Interop with aiortc (Debian's python3-aiortc 1.4): a participant that
does what tests/interop/page.js does, over python3-websockets, against the
real mediastore-server and a real mediastore-bot on loopback.

SPDX-License-Identifier: GPL-3.0-or-later

It publishes a video (test frames) and an audio track with aiortc's own,
unmodified offer: aiortc 1.4 gives every m-line ICE credentials of its own
in one BUNDLE group. It receives on one subscribe RTCPeerConnection while
the server's offers keep their ice-ufrag. Asserts that the bot decodes its
video and audio and that it decodes the bot's video, within bounded waits.
Prints TAP.

The one thing changed in aiortc is where it gathers: only on 127.0.0.1
(aioice leaves loopback out by itself), so no packet leaves this machine.
"""

import asyncio
import json
import re
import sys
import time

import aioice.ice
import av
import websockets
from aiortc import (RTCConfiguration, RTCPeerConnection,
                    RTCSessionDescription, VideoStreamTrack)
from aiortc.mediastreams import AudioStreamTrack

import msinterop

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ['127.0.0.1'] if use_ipv4 else []


class TestVideo(VideoStreamTrack):
    """320x240 frames whose brightness moves, at aiortc's 30 per second."""

    def __init__(self):
        super().__init__()
        self.n = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(width=320, height=240, format='yuv420p')
        self.n += 1
        luma = bytes([(self.n * 4) % 220 + 16]) * frame.planes[0].buffer_size
        frame.planes[0].update(luma)
        for plane in frame.planes[1:]:
            plane.update(bytes([128]) * plane.buffer_size)
        frame.pts = pts
        frame.time_base = time_base
        return frame


def ice_ufrag(sdp):
    match = re.search(r'^a=ice-ufrag:(\S+)\r?$', sdp, re.M)
    return match.group(1) if match else None


class Participant:
    def __init__(self, url, token):
        self.url = url
        self.token = token
        self.next_id = 1
        self.errors = []
        self.peers = {}
        self.publish = None
        self.publish_sdp = None
        self.publish_answered = asyncio.Event()
        self.subscribe = None
        self.subscribe_ufrag = None
        self.subscribe_pcs = 0
        self.subscribe_offers = 0
        self.tracks = {}          # mid → Track of the latest offer
        self.received = {}        # mid → frames decoded
        self.readers = []
        self.ws = None
        # Notified whenever anything above changes: waits await it.
        self.changed = asyncio.Condition()

    async def notify(self):
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, predicate, timeout):
        """Until predicate() holds, re-checked on every change; timeout
        is an upper bound. Whether it held."""
        async with self.changed:
            try:
                await asyncio.wait_for(self.changed.wait_for(predicate), timeout)
            except asyncio.TimeoutError:
                pass
            return bool(predicate())

    async def send(self, frame):
        if 'id' not in frame and frame['type'] != 'candidate':
            frame['id'] = self.next_id
            self.next_id += 1
        await self.ws.send(json.dumps(frame))

    async def start_publish(self):
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.publish = pc
        video = pc.addTransceiver(TestVideo(), direction='sendonly')
        audio = pc.addTransceiver(AudioStreamTrack(), direction='sendonly')
        # aiortc gathers before its description is set: the candidates are in it.
        await pc.setLocalDescription(await pc.createOffer())
        self.publish_sdp = pc.localDescription.sdp
        await self.send({'type': 'offer', 'pc': 'publish', 'sdp': self.publish_sdp,
                         'tracks': [{'mid': video.mid, 'tag': 'camera', 'kind': 'video',
                                     'paused': False},
                                    {'mid': audio.mid, 'tag': 'microphone', 'kind': 'audio',
                                     'paused': False}]})

    async def read_track(self, mid, track):
        self.received.setdefault(mid, 0)
        try:
            while True:
                await track.recv()
                self.received[mid] += 1
                await self.notify()
        except Exception:   # MediaStreamError when it ends
            pass

    async def on_subscribe_offer(self, frame):
        ufrag = ice_ufrag(frame['sdp'])
        self.subscribe_offers += 1
        if self.subscribe is None or ufrag != self.subscribe_ufrag:
            if self.subscribe is not None:
                await self.subscribe.close()
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            self.subscribe_pcs += 1

            @pc.on('track')
            def on_track(track):
                for transceiver in pc.getTransceivers():
                    if transceiver.receiver.track is track:
                        self.readers.append(asyncio.ensure_future(
                            self.read_track(transceiver.mid, track)))

            self.subscribe = pc
            self.subscribe_ufrag = ufrag
        self.tracks = {track['mid']: track for track in frame['tracks']}
        await self.subscribe.setRemoteDescription(RTCSessionDescription(frame['sdp'], 'offer'))
        await self.subscribe.setLocalDescription(await self.subscribe.createAnswer())
        await self.send({'type': 'answer', 'pc': 'subscribe',
                         'sdp': self.subscribe.localDescription.sdp})

    async def on_frame(self, frame):
        kind = frame['type']
        if kind == 'welcome':
            for peer in frame['peers']:
                self.peers[peer['id']] = peer['display_name']
            await self.start_publish()
        elif kind in ('peer-joined', 'peer-updated'):
            self.peers[frame['peer']['id']] = frame['peer']['display_name']
        elif kind == 'answer' and frame['pc'] == 'publish':
            await self.publish.setRemoteDescription(RTCSessionDescription(frame['sdp'], 'answer'))
            self.publish_answered.set()
        elif kind == 'offer' and frame['pc'] == 'subscribe':
            await self.on_subscribe_offer(frame)
        elif kind == 'error':
            self.errors.append('%s: %s' % (frame['code'], frame['message']))

    async def run(self):
        async with websockets.connect(self.url) as ws:
            self.ws = ws
            await self.send({'type': 'join', 'token': self.token, 'protocol': 1})
            async for text in ws:
                try:
                    await self.on_frame(json.loads(text))
                except Exception as error:   # noted, and the test fails on it
                    self.errors.append('%s: %r' % (json.loads(text)['type'], error))
                await self.notify()

    def frames(self, peer_name, tag):
        for mid, track in self.tracks.items():
            if self.peers.get(track['peer_id']) == peer_name and track['tag'] == tag:
                return self.received.get(mid, 0)
        return 0

    async def close(self):
        for reader in self.readers:
            reader.cancel()
        for pc in (self.publish, self.subscribe):
            if pc is not None:
                await pc.close()


async def case_call(tap, work, server):
    bot = msinterop.Bot(server, 'bot')
    me = Participant(server.url, server.token('aiortc', name='aiortc'))
    runner = asyncio.ensure_future(me.run())
    runner.add_done_callback(lambda _: asyncio.ensure_future(me.notify()))
    start = time.monotonic()
    try:
        answered = await me.wait_for(lambda: me.publish_answered.is_set() or me.errors or runner.done(), 10)
        offer = me.publish_sdp or ''
        ufrags = set(re.findall(r'^a=ice-ufrag:(\S+)\r?$', offer, re.M))
        tap.check('a=group:BUNDLE' in offer and len(ufrags) >= 2,
                  'aiortc\'s offer bundles m-lines with ICE credentials of their own (%d ufrags)'
                  % len(ufrags), offer)
        tap.check(answered and me.publish_answered.is_set() and not me.errors,
                  'the server answers that offer', 'errors: %s' % me.errors)

        await me.wait_for(lambda: me.frames('bot', 'camera') > 30 or runner.done(), 15)
        tap.check(me.frames('bot', 'camera') > 30,
                  'aiortc decodes the bot\'s video (%d frames, %.1f s after start)'
                  % (me.frames('bot', 'camera'), time.monotonic() - start),
                  'tracks %s, received %s' % (me.tracks, me.received))
        tap.check(me.frames('bot', 'microphone') > 50,
                  'aiortc decodes the bot\'s audio (%d frames)' % me.frames('bot', 'microphone'))

        def bot_decoding():
            snap = bot.snapshot()
            video = bot.track(snap, 'camera') or {}
            audio = bot.track(snap, 'microphone') or {}
            return snap if video.get('frames', 0) > 30 and audio.get('frames', 0) > 50 else None
        snap = await asyncio.get_running_loop().run_in_executor(
            None, lambda: msinterop.wait_until(bot_decoding, 10, 0.3))
        snap = snap or bot.snapshot() or {}
        video = bot.track(snap, 'camera') or {}
        audio = bot.track(snap, 'microphone') or {}
        tap.check(video.get('frames', 0) > 30,
                  'the bot decodes aiortc\'s video (%d frames, %d packets, %.1f s after start)'
                  % (video.get('frames', 0), video.get('packets', 0), time.monotonic() - start),
                  'snapshot: %s' % snap)
        tap.check(audio.get('frames', 0) > 50,
                  'the bot decodes aiortc\'s audio (%d frames)' % audio.get('frames', 0))
        tap.check(me.subscribe_pcs == 1 and not me.errors,
                  'one subscribe RTCPeerConnection (%d, %d offers), no errors'
                  % (me.subscribe_pcs, me.subscribe_offers), 'errors: %s' % me.errors)
        if tap.failed:
            tap.note('bot stderr:\n' + work.tail('bot-bot.log', 15))
            tap.note('server log:\n' + work.tail('server.log', 30))
    finally:
        runner.cancel()
        await me.close()
        await asyncio.get_running_loop().run_in_executor(None, bot.stop)


def main():
    return msinterop.run(7, lambda tap, work, server: asyncio.run(
        asyncio.wait_for(case_call(tap, work, server), 60)))


if __name__ == '__main__':
    sys.exit(main())
