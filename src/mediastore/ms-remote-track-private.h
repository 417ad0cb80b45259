/* ms-remote-track-private.h: how the session connects a received track
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ms-remote-track.h"

G_BEGIN_DECLS

MsRemoteTrack *ms_remote_track_new    (const char    *peer_id,
                                       const char    *tag,
                                       MsTrackKind    kind);
/* Builds the branch for @src in @bin: counted and dropped when !@decode,
 * else decoded to the video sink, or mixed into @mixer. Streaming thread. */
void           ms_remote_track_attach (MsRemoteTrack *self,
                                       GstBin        *bin,
                                       GstPad        *src,
                                       gboolean       decode,
                                       GstElement    *mixer);
/* A "level" element message from a track's branch. Main context. */
void           ms_remote_track_handle_level (GstMessage  *message);
/* Takes the branch down (its PeerConnection went). Main context. */
void           ms_remote_track_detach (MsRemoteTrack *self);

G_END_DECLS
