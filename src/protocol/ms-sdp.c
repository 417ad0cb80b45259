/* ms-sdp.c: the little SDP both ends need to read, through GstSDP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gst/sdp/sdp.h>

#include "ms-sdp.h"

char *
ms_sdp_get_mid (const char *text,
                guint       index)
{
  GstSDPMessage *sdp = NULL;
  char *mid = NULL;

  if (gst_sdp_message_new_from_text (text, &sdp) != GST_SDP_OK)
    return NULL;
  if (index < gst_sdp_message_medias_len (sdp))
    mid = g_strdup (gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, index),
                                                     "mid"));
  gst_sdp_message_free (sdp);

  return mid;
}
