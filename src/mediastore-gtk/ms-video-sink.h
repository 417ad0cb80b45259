/* ms-video-sink.h: a GStreamer video sink that is a GdkPaintable
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gdk/gdk.h>
#include <gst/video/gstvideosink.h>

G_BEGIN_DECLS

#define MS_TYPE_VIDEO_SINK (ms_video_sink_get_type ())

G_DECLARE_FINAL_TYPE (MsVideoSink, ms_video_sink, MS, VIDEO_SINK, GstVideoSink)

MsVideoSink *ms_video_sink_new              (void);
/* The texture being shown, or NULL before the first frame. */
GdkTexture  *ms_video_sink_get_texture      (MsVideoSink *self);
/* Frames the sink received, and how many of them reached the main
 * context (the others were replaced by newer ones while waiting). */
guint64      ms_video_sink_get_n_received   (MsVideoSink *self);
guint64      ms_video_sink_get_n_shown      (MsVideoSink *self);

G_END_DECLS
