/* fuzz-sdp.c: what the server reads of a client's SDP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The offer check with a track list (mids "0", "1" and "video") and
 * without one (an answer), and the mid lookup both ends use.
 */

#include "config.h"

#include "fuzz.h"
#include "ms-sdp.h"

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static const char * const mids[] = { "0", "1", "video" };
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GPtrArray) tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_track_desc_free);
  GstSDPMessage *sdp;

  for (guint i = 0; i < G_N_ELEMENTS (mids); i++) {
    MsTrackDesc *track = ms_track_desc_new ("camera", MS_TRACK_KIND_VIDEO, FALSE);

    track->mid = g_strdup (mids[i]);
    g_ptr_array_add (tracks, track);

    sdp = ms_sdp_check_offer (text, tracks, NULL);
    if (sdp != NULL)
      gst_sdp_message_free (sdp);
  }

  sdp = ms_sdp_check_offer (text, NULL, NULL);
  if (sdp != NULL)
    gst_sdp_message_free (sdp);
  for (guint i = 0; i < 3; i++)
    g_free (ms_sdp_get_mid (text, i));

  return 0;
}
