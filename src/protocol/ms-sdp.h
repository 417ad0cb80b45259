/* ms-sdp.h: the little SDP both ends need to read, through GstSDP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The a=mid of the @index-th m-line of @sdp, or NULL. An offer from a
 * fresh webrtcbin has one m-line per transceiver, in the order they were
 * made; webrtcbin 1.22 fills in the transceivers' "mid" only later. */
char *ms_sdp_get_mid (const char *sdp,
                      guint       index);

G_END_DECLS
