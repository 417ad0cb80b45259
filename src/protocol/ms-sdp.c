/* ms-sdp.c: the little SDP both ends need to read, through GstSDP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gst/sdp/sdp.h>

#include "ms-sdp.h"

GstSDPMessage *
ms_sdp_parse (const char *text)
{
  GstSDPMessage *sdp = NULL;

  if (text == NULL || *text == '\0')
    return NULL;
  if (gst_sdp_message_new_from_text (text, &sdp) != GST_SDP_OK) {
    if (sdp != NULL)
      gst_sdp_message_free (sdp);
    return NULL;
  }

  return sdp;
}

char *
ms_sdp_get_mid (const char *text,
                guint       index)
{
  GstSDPMessage *sdp = ms_sdp_parse (text);
  char *mid = NULL;

  if (sdp == NULL)
    return NULL;
  if (index < gst_sdp_message_medias_len (sdp))
    mid = g_strdup (gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, index),
                                                     "mid"));
  gst_sdp_message_free (sdp);

  return mid;
}

static gboolean
has_mid (const GstSDPMessage *sdp,
         const char          *mid)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const char *value = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, i), "mid");

    if (g_strcmp0 (value, mid) == 0)
      return TRUE;
  }

  return FALSE;
}

GstSDPMessage *
ms_sdp_check_offer (const char       *text,
                    const GPtrArray  *tracks,
                    GError          **error)
{
  GstSDPMessage *sdp = ms_sdp_parse (text);

  if (sdp == NULL || gst_sdp_message_medias_len (sdp) == 0) {
    if (sdp != NULL)
      gst_sdp_message_free (sdp);
    g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "The SDP could not be parsed, or has no media");
    return NULL;
  }

  for (guint i = 0; tracks != NULL && i < tracks->len; i++) {
    const MsTrackDesc *track = g_ptr_array_index ((GPtrArray *) tracks, i);

    if (!has_mid (sdp, track->mid)) {
      g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                   "The track '%s' names mid '%s', which the SDP does not have",
                   track->tag, track->mid);
      gst_sdp_message_free (sdp);
      return NULL;
    }
  }

  return sdp;
}

gboolean
ms_sdp_in_bundle (const GstSDPMessage *sdp,
                  const char          *mid)
{
  for (guint i = 0; mid != NULL; i++) {
    const char *group = gst_sdp_message_get_attribute_val_n (sdp, "group", i);
    g_auto (GStrv) mids = NULL;

    if (group == NULL)
      return FALSE;
    if (!g_str_has_prefix (group, "BUNDLE "))
      continue;
    mids = g_strsplit (group + strlen ("BUNDLE "), " ", -1);
    return g_strv_contains ((const char * const *) mids, mid);
  }
  return FALSE;
}

const MsTrackDesc *
ms_sdp_track_of_mid (const GPtrArray *tracks,
                     const char      *mid)
{
  for (guint i = 0; tracks != NULL && mid != NULL && i < tracks->len; i++) {
    const MsTrackDesc *track = g_ptr_array_index ((GPtrArray *) tracks, i);

    if (g_strcmp0 (track->mid, mid) == 0)
      return track;
  }
  return NULL;
}
