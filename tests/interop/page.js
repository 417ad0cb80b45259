/* page.js: a browser participant for the interop tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Joins with the token of the URL, publishes the fake camera and
 * microphone on one publish RTCPeerConnection (one offer per change,
 * `tracks` maps mid to tag) and receives on ONE subscribe
 * RTCPeerConnection: every server offer for "subscribe" is applied to
 * the same connection while its ice-ufrag stays the same, a new one is
 * made only when it changes. The test reads window.interop and calls
 * window.interopStats() (tests/interop/interop.py).
 */
'use strict';

const params = new URLSearchParams(location.search);

const state = {
  joined: false,
  selfId: null,
  peers: {},             /* peer id → display name */
  errors: [],            /* error frames and exceptions */
  log: [],
  publishAnswers: 0,
  subscribePcs: 0,       /* RTCPeerConnections made for "subscribe" */
  subscribeOffers: 0,
  subscribeAnswers: 0,
  closed: null,
};
window.interop = state;

let ws = null;
let nextId = 1;
let publish = null;      /* {pc, tags: Map mid → tag, pendingCandidates} */
let subscribe = null;    /* {pc, ufrag, tracks: Map mid → Track} */
let subscribeChain = Promise.resolve ();

function log (text) {
  state.log.push ((performance.now () / 1000).toFixed (3) + ' ' + text);
  document.getElementById ('status').textContent = text;
}

function fail (where, error) {
  const text = where + ': ' + (error && error.message ? error.message : String (error));
  state.errors.push (text);
  log (text);
}

function send (frame) {
  ws.send (JSON.stringify (frame));
}

/* The first a=ice-ufrag of an SDP: the server keeps one per connection. */
function iceUfrag (sdp) {
  const match = /^a=ice-ufrag:(\S+)\r?$/m.exec (sdp);
  return match ? match[1] : null;
}

function sendCandidate (pcName, candidate) {
  send ({
    type: 'candidate',
    pc: pcName,
    candidate: candidate ? candidate.candidate : '',
    sdp_mline_index: candidate && candidate.sdpMLineIndex !== null ? candidate.sdpMLineIndex : 0,
  });
}

async function startPublish () {
  const stream = await navigator.mediaDevices.getUserMedia ({
    audio: true,
    video: { width: 320, height: 240, frameRate: 15 },
  });
  const pc = new RTCPeerConnection ({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  const tags = new Map ();
  const kinds = new Map ();
  const transceivers = [];

  publish = { pc, tags, kinds, offerSent: false, pendingCandidates: [] };
  pc.onicecandidate = (event) => {
    if (publish.offerSent)
      sendCandidate ('publish', event.candidate);
    else
      publish.pendingCandidates.push (event.candidate);
  };
  pc.onconnectionstatechange = () => log ('publish ' + pc.connectionState);
  /* Camera first, unless ?first=audio: then closing the microphone
   * closes the m-line that carried the bundle (Chromium moves the bundle
   * to the camera's m-line, with a new DTLS session on the same ICE). */
  const ordered = params.get ('first') === 'audio' ?
    stream.getAudioTracks ().concat (stream.getVideoTracks ()) :
    stream.getVideoTracks ().concat (stream.getAudioTracks ());
  for (const track of ordered)
    transceivers.push ([pc.addTransceiver (track, { direction: 'sendonly', streams: [stream] }),
                        track.kind === 'video' ? 'camera' : 'microphone', track.kind]);

  await pc.setLocalDescription (await pc.createOffer ());
  for (const [transceiver, tag, kind] of transceivers) {
    tags.set (transceiver.mid, tag);
    kinds.set (transceiver.mid, kind);
  }
  sendPublishOffer ();
  publish.offerSent = true;
  for (const candidate of publish.pendingCandidates)
    sendCandidate ('publish', candidate);
  publish.pendingCandidates = [];
  log ('publish offer sent');
}

function sendPublishOffer () {
  const tracks = [];

  for (const [mid, tag] of publish.tags)
    tracks.push ({ mid, tag, kind: publish.kinds.get (mid), paused: false });
  send ({ type: 'offer', id: nextId++, pc: 'publish', sdp: publish.pc.localDescription.sdp, tracks });
}

/* A change is one new offer on the same connection: the track's
 * transceiver stops (its m-line is rejected) and the others go on. */
window.interopCloseTrack = async function (tag) {
  for (const transceiver of publish.pc.getTransceivers ()) {
    if (publish.tags.get (transceiver.mid) === tag) {
      publish.tags.delete (transceiver.mid);
      transceiver.stop ();
    }
  }
  await publish.pc.setLocalDescription (await publish.pc.createOffer ());
  sendPublishOffer ();
  log ('publish offer without ' + tag + ' sent');
};

async function onPublishAnswer (frame) {
  await publish.pc.setRemoteDescription ({ type: 'answer', sdp: frame.sdp });
  state.publishAnswers++;
  log ('publish answered');
}

async function onSubscribeOffer (frame) {
  const ufrag = iceUfrag (frame.sdp);

  state.subscribeOffers++;
  if (subscribe === null || subscribe.ufrag !== ufrag) {
    if (subscribe !== null) {
      log ('subscribe ice-ufrag changed: a new RTCPeerConnection');
      subscribe.pc.close ();
    }
    const pc = new RTCPeerConnection ({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    const mine = { pc, ufrag, tracks: new Map () };

    state.subscribePcs++;
    pc.onicecandidate = (event) => {
      if (subscribe === mine)
        sendCandidate ('subscribe', event.candidate);
    };
    pc.onconnectionstatechange = () => log ('subscribe ' + pc.connectionState);
    pc.ontrack = (event) => {
      const video = document.createElement (event.track.kind === 'video' ? 'video' : 'audio');

      video.muted = true;
      video.autoplay = true;
      video.srcObject = new MediaStream ([event.track]);
      document.getElementById ('videos').appendChild (video);
      log ('track on mid ' + event.transceiver.mid);
    };
    subscribe = mine;
  }
  subscribe.tracks = new Map (frame.tracks.map ((track) => [track.mid, track]));
  await subscribe.pc.setRemoteDescription ({ type: 'offer', sdp: frame.sdp });
  await subscribe.pc.setLocalDescription (await subscribe.pc.createAnswer ());
  send ({ type: 'answer', id: nextId++, pc: 'subscribe', sdp: subscribe.pc.localDescription.sdp });
  state.subscribeAnswers++;
  log ('subscribe offer ' + state.subscribeOffers + ' answered, ' + frame.tracks.length + ' tracks');
}

function onFrame (frame) {
  switch (frame.type) {
  case 'welcome':
    state.joined = true;
    state.selfId = frame.peer_id;
    for (const peer of frame.peers)
      state.peers[peer.id] = peer.display_name;
    log ('joined as ' + frame.peer_id);
    if (params.get ('publish') !== '0')
      startPublish ().catch ((error) => fail ('publish', error));
    break;
  case 'peer-joined':
  case 'peer-updated':
    state.peers[frame.peer.id] = frame.peer.display_name;
    break;
  case 'answer':
    if (frame.pc === 'publish')
      onPublishAnswer (frame).catch ((error) => fail ('publish answer', error));
    break;
  case 'offer':
    if (frame.pc === 'subscribe')
      subscribeChain = subscribeChain.then (() => onSubscribeOffer (frame))
                                     .catch ((error) => fail ('subscribe offer', error));
    break;
  case 'error':
    fail ('server', frame.code + ' ' + frame.message);
    break;
  default:
    break;
  }
}

/* What the test asserts on: per received track (by the offer's mid), what
 * its receiver decoded; and what the publish side sent. */
window.interopStats = async function () {
  const result = {
    subscribePcs: state.subscribePcs,
    subscribeOffers: state.subscribeOffers,
    subscribeAnswers: state.subscribeAnswers,
    subscribeState: subscribe ? subscribe.pc.connectionState : null,
    subscribeMlines: subscribe ? subscribe.pc.getTransceivers ().length : 0,
    publishState: publish ? publish.pc.connectionState : null,
    errors: state.errors,
    received: [],
    sent: [],
  };

  if (subscribe !== null) {
    for (const transceiver of subscribe.pc.getTransceivers ()) {
      const track = subscribe.tracks.get (transceiver.mid);

      if (!track)
        continue;
      const entry = {
        mid: transceiver.mid, peer_id: track.peer_id, tag: track.tag, kind: track.kind,
        peer_name: state.peers[track.peer_id] || null,
        packetsReceived: 0, framesDecoded: 0, totalSamplesReceived: 0, freezeCount: 0,
      };
      (await transceiver.receiver.getStats ()).forEach ((report) => {
        if (report.type !== 'inbound-rtp')
          return;
        entry.packetsReceived = report.packetsReceived || 0;
        entry.framesDecoded = report.framesDecoded || 0;
        entry.totalSamplesReceived = report.totalSamplesReceived || 0;
        entry.freezeCount = report.freezeCount || 0;
      });
      result.received.push (entry);
    }
  }
  if (publish !== null) {
    (await publish.pc.getStats ()).forEach ((report) => {
      if (report.type === 'outbound-rtp')
        result.sent.push ({ kind: report.kind, mid: report.mid, packetsSent: report.packetsSent,
                            framesEncoded: report.framesEncoded || 0 });
    });
  }
  return result;
};

function start () {
  ws = new WebSocket (params.get ('ws'));
  ws.onopen = () => send ({ type: 'join', id: nextId++, token: params.get ('token'), protocol: 1 });
  ws.onmessage = (event) => {
    try {
      onFrame (JSON.parse (event.data));
    } catch (error) {
      fail ('frame', error);
    }
  };
  ws.onclose = (event) => {
    state.closed = event.code;
    log ('websocket closed ' + event.code);
  };
}

start ();
