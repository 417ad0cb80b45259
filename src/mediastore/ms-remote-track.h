/* ms-remote-track.h: one track received from another peer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gst/gst.h>

#include "ms-protocol.h"

G_BEGIN_DECLS

/**
 * MsTrackStats:
 * @frames: decoded video frames or audio buffers that reached the sink
 * @packets: RTP packets received for the track
 * @bytes: RTP payload bytes received
 * @packets_lost: RTP packets that never arrived: the forward gaps in the
 *   sequence numbers of what the PeerConnection handed on, after its
 *   jitterbuffer and any retransmission, so what was recovered is not
 *   lost. Counted across reconnections of the track: a gap while the
 *   PeerConnection was rebuilt counts too. Reordered and repeated packets
 *   are not loss; nor is a jump at a change of SSRC (a new stream).
 * @first_frame_us: monotonic time of the first decoded frame, 0 before it
 * @max_gap_us: the longest time between two consecutive decoded video
 *   frames (or audio buffers) reaching the sink, from the first frame on:
 *   the longest freeze seen, including any while the track was
 *   reconnected; 0 before the second frame. A freeze still going on is
 *   not in it yet: see @last_frame_us
 * @last_frame_us: monotonic time of the latest decoded frame, 0 before
 *   the first
 *
 * What a received track got so far, from its first packet; read with
 * ms_remote_track_get_stats().
 */
typedef struct {
  guint64 frames;
  guint64 packets;
  guint64 bytes;
  guint64 packets_lost;
  gint64  first_frame_us;
  gint64  max_gap_us;
  gint64  last_frame_us;
} MsTrackStats;

#define MS_TYPE_REMOTE_TRACK (ms_remote_track_get_type ())

G_DECLARE_FINAL_TYPE (MsRemoteTrack, ms_remote_track, MS, REMOTE_TRACK, GObject)

const char  *ms_remote_track_get_peer_id  (MsRemoteTrack *self);
const char  *ms_remote_track_get_tag      (MsRemoteTrack *self);
MsTrackKind  ms_remote_track_get_kind     (MsRemoteTrack *self);
void         ms_remote_track_get_stats    (MsRemoteTrack *self,
                                           MsTrackStats  *stats);

/* Video: decoded raw video goes to @sink (NULL: a counting fakesink). */
void         ms_remote_track_set_video_sink (MsRemoteTrack *self,
                                             GstElement    *sink);

/* Audio: mixed into the session's one audio output. */
double       ms_remote_track_get_volume   (MsRemoteTrack *self);
void         ms_remote_track_set_volume   (MsRemoteTrack *self,
                                           double         volume);
gboolean     ms_remote_track_get_muted    (MsRemoteTrack *self);
/* How loud the audio is, as heard, from 0 (silence) to 1. */
double       ms_remote_track_get_level    (MsRemoteTrack *self);
void         ms_remote_track_set_muted    (MsRemoteTrack *self,
                                           gboolean       muted);

G_END_DECLS
