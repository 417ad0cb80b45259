/* ms-video-produce.h: one peer's video for a media tag, or a placeholder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ms-session.h"

G_BEGIN_DECLS

#define MS_TYPE_VIDEO_PRODUCE (ms_video_produce_get_type ())

G_DECLARE_FINAL_TYPE (MsVideoProduce, ms_video_produce, MS, VIDEO_PRODUCE, GtkWidget)

GtkWidget     *ms_video_produce_new             (void);

MsSession     *ms_video_produce_get_session     (MsVideoProduce *self);
void           ms_video_produce_set_session     (MsVideoProduce *self,
                                                 MsSession      *session);
const char    *ms_video_produce_get_peer_id     (MsVideoProduce *self);
void           ms_video_produce_set_peer_id     (MsVideoProduce *self,
                                                 const char     *peer_id);
const char    *ms_video_produce_get_media_tag   (MsVideoProduce *self);
void           ms_video_produce_set_media_tag   (MsVideoProduce *self,
                                                 const char     *media_tag);
GtkWidget     *ms_video_produce_get_placeholder (MsVideoProduce *self);
void           ms_video_produce_set_placeholder (MsVideoProduce *self,
                                                 GtkWidget      *placeholder);
GtkContentFit  ms_video_produce_get_fit         (MsVideoProduce *self);
void           ms_video_produce_set_fit         (MsVideoProduce *self,
                                                 GtkContentFit   fit);
/* Whether the video is shown (rather than the placeholder). */
gboolean       ms_video_produce_get_showing_video (MsVideoProduce *self);

G_END_DECLS
