/* ms-sdp.h: the little SDP both ends need to read, through GstSDP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gst/sdp/sdp.h>

#include "ms-protocol.h"

G_BEGIN_DECLS

/* @text as SDP, or NULL for empty text or a parse error; unlike
 * gst_sdp_message_new_from_text() it neither criticizes empty text nor
 * leaves a message to free behind a failure. */
GstSDPMessage *ms_sdp_parse (const char *text);

/* The a=mid of the @index-th m-line of @sdp, or NULL. An offer from a
 * fresh webrtcbin has one m-line per transceiver, in the order they were
 * made; webrtcbin 1.22 fills in the transceivers' "mid" only later. */
char *ms_sdp_get_mid (const char *sdp,
                      guint       index);

/* Whether @mid is in @sdp's BUNDLE group (the first group of that kind). */
gboolean ms_sdp_in_bundle (const GstSDPMessage *sdp,
                           const char          *mid);

/* The track of @tracks (MsTrackDesc) whose mid is @mid, or NULL. */
const MsTrackDesc *ms_sdp_track_of_mid (const GPtrArray *tracks,
                                        const char      *mid);

/* Checks a publish offer (or, with @tracks NULL, a subscribe answer):
 * @text must parse as SDP with at least one m-line, and every track of
 * @tracks (MsTrackDesc) must name a mid that one of them has. Returns the parsed SDP, or NULL with a bad-request @error.
 * Any input is safe: this is what the server runs on what clients send. */
GstSDPMessage *ms_sdp_check_offer (const char       *text,
                                   const GPtrArray  *tracks,
                                   GError          **error);

G_END_DECLS
