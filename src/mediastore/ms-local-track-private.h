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

/* A webrtcbin held the bin's sending thread and let it go with FLUSHING
 * (it was shut down before its DTLS was up): _hold_sender() has the
 * bin's sending queue drop what comes from upstream, so that nothing
 * there sees the FLUSHING, until _restart_sender(), called once that
 * webrtcbin is shut down, clears it and lets the queue send again. */
gulong      ms_local_track_bin_hold_sender    (GstElement    *bin);
void        ms_local_track_bin_restart_sender (GstElement    *bin,
                                               gulong         hold);

/* A "level" element message from a track's bin. Main context. */
void        ms_local_track_handle_level (GstMessage    *message);
/* The track is no longer sent: silence. Main context. */
void        ms_local_track_reset_level  (MsLocalTrack  *self);

G_END_DECLS
