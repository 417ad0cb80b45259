/* ms-local-track-private.h: how the session turns a track into RTP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ms-local-track.h"

G_BEGIN_DECLS

/* A bin with one "src" pad of RTP with payload type @payload; its
 * "valve" drops while the track is paused, "pay" is the payloader. */
GstElement *ms_local_track_make_bin  (MsLocalTrack  *self,
                                      guint          payload,
                                      guint32        ssrc,
                                      GError       **error);
/* The caps the publish transceiver is requested with. */
GstCaps    *ms_local_track_make_caps (MsLocalTrack  *self,
                                      guint          payload,
                                      guint32        ssrc);

/* A "level" element message from a track's bin. Main context. */
void        ms_local_track_handle_level (GstMessage    *message);
/* The track is no longer sent: silence. Main context. */
void        ms_local_track_reset_level  (MsLocalTrack  *self);

G_END_DECLS
