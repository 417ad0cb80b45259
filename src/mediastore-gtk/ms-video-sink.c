/* ms-video-sink.c: a GStreamer video sink that is a GdkPaintable
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each frame becomes a GdkMemoryTexture on the streaming thread; only the
 * newest waits for the main context, where it replaces the shown one and
 * the paintable is invalidated. A slow main loop therefore drops frames
 * instead of queueing them.
 */

#define G_LOG_DOMAIN "MsVideoSink"

#include "config.h"

#include "ms-video-sink.h"

struct _MsVideoSink {
  GstVideoSink  parent_instance;

  GMainContext *context;
  GMutex        lock;           /* guards the fields below it */
  GdkTexture   *pending;        /* newest frame not shown yet */
  GSource      *idle;
  GstVideoInfo  info;
  guint64       n_received;

  GdkTexture   *texture;        /* main context only */
  int           width;
  int           height;
  double        aspect;
  guint64       n_shown;
};

static void ms_video_sink_paintable_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MsVideoSink, ms_video_sink, GST_TYPE_VIDEO_SINK,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      ms_video_sink_paintable_init))

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                           GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE ("RGBA")));

static void
ms_video_sink_snapshot (GdkPaintable *paintable,
                        GdkSnapshot  *snapshot,
                        double        width,
                        double        height)
{
  MsVideoSink *self = MS_VIDEO_SINK (paintable);

  if (self->texture != NULL)
    gdk_paintable_snapshot (GDK_PAINTABLE (self->texture), snapshot, width, height);
}

static GdkPaintable *
ms_video_sink_get_current_image (GdkPaintable *paintable)
{
  MsVideoSink *self = MS_VIDEO_SINK (paintable);

  if (self->texture != NULL)
    return GDK_PAINTABLE (g_object_ref (self->texture));

  return gdk_paintable_new_empty (0, 0);
}

static int
ms_video_sink_get_intrinsic_width (GdkPaintable *paintable)
{
  return MS_VIDEO_SINK (paintable)->width;
}

static int
ms_video_sink_get_intrinsic_height (GdkPaintable *paintable)
{
  return MS_VIDEO_SINK (paintable)->height;
}

static double
ms_video_sink_get_intrinsic_aspect_ratio (GdkPaintable *paintable)
{
  return MS_VIDEO_SINK (paintable)->aspect;
}

static void
ms_video_sink_paintable_init (GdkPaintableInterface *iface)
{
  iface->snapshot = ms_video_sink_snapshot;
  iface->get_current_image = ms_video_sink_get_current_image;
  iface->get_intrinsic_width = ms_video_sink_get_intrinsic_width;
  iface->get_intrinsic_height = ms_video_sink_get_intrinsic_height;
  iface->get_intrinsic_aspect_ratio = ms_video_sink_get_intrinsic_aspect_ratio;
}

static gboolean
on_frame_ready (gpointer user_data)
{
  MsVideoSink *self = user_data;
  g_autoptr (GdkTexture) texture = NULL;
  GstVideoInfo info;
  int width;
  int height;

  g_mutex_lock (&self->lock);
  texture = g_steal_pointer (&self->pending);
  g_clear_pointer (&self->idle, g_source_unref);
  info = self->info;
  g_mutex_unlock (&self->lock);

  if (texture == NULL)
    return G_SOURCE_REMOVE;

  /* The display size honours the pixel aspect ratio. */
  width = GST_VIDEO_INFO_WIDTH (&info) * GST_VIDEO_INFO_PAR_N (&info) /
          MAX (GST_VIDEO_INFO_PAR_D (&info), 1);
  height = GST_VIDEO_INFO_HEIGHT (&info);

  g_set_object (&self->texture, texture);
  self->n_shown++;

  if (width != self->width || height != self->height) {
    self->width = width;
    self->height = height;
    self->aspect = height > 0 ? (double) width / height : 0.0;
    gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
  }
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));

  return G_SOURCE_REMOVE;
}

static gboolean
ms_video_sink_set_info (GstVideoSink       *sink,
                        GstCaps            *caps,
                        const GstVideoInfo *info)
{
  MsVideoSink *self = MS_VIDEO_SINK (sink);

  g_mutex_lock (&self->lock);
  self->info = *info;
  g_mutex_unlock (&self->lock);

  return TRUE;
}

static void
free_frame_bytes (gpointer data)
{
  gst_buffer_unref (data);
}

static GstFlowReturn
ms_video_sink_show_frame (GstVideoSink *sink,
                          GstBuffer    *buffer)
{
  MsVideoSink *self = MS_VIDEO_SINK (sink);
  g_autoptr (GBytes) bytes = NULL;
  GstVideoFrame frame;
  GdkTexture *texture;
  GstVideoInfo info;

  g_mutex_lock (&self->lock);
  info = self->info;
  g_mutex_unlock (&self->lock);

  if (!gst_video_frame_map (&frame, &info, buffer, GST_MAP_READ))
    return GST_FLOW_ERROR;

  /* The texture keeps the buffer (and its memory) alive: no copy. */
  bytes = g_bytes_new_with_free_func (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
                                      GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0) *
                                      GST_VIDEO_FRAME_HEIGHT (&frame),
                                      free_frame_bytes, gst_buffer_ref (buffer));
  texture = gdk_memory_texture_new (GST_VIDEO_FRAME_WIDTH (&frame),
                                    GST_VIDEO_FRAME_HEIGHT (&frame),
                                    GDK_MEMORY_R8G8B8A8, bytes,
                                    GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0));
  gst_video_frame_unmap (&frame);

  g_mutex_lock (&self->lock);
  self->n_received++;
  g_clear_object (&self->pending);
  self->pending = texture;
  if (self->idle == NULL) {
    self->idle = g_idle_source_new ();
    g_source_set_priority (self->idle, G_PRIORITY_DEFAULT);
    g_source_set_callback (self->idle, on_frame_ready, g_object_ref (self), g_object_unref);
    g_source_attach (self->idle, self->context);
  }
  g_mutex_unlock (&self->lock);

  return GST_FLOW_OK;
}

static void
ms_video_sink_finalize (GObject *object)
{
  MsVideoSink *self = MS_VIDEO_SINK (object);

  g_clear_object (&self->pending);
  g_clear_object (&self->texture);
  if (self->idle != NULL) {
    g_source_destroy (self->idle);
    g_source_unref (self->idle);
  }
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (ms_video_sink_parent_class)->finalize (object);
}

static void
ms_video_sink_class_init (MsVideoSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstVideoSinkClass *video_sink_class = GST_VIDEO_SINK_CLASS (klass);

  object_class->finalize = ms_video_sink_finalize;
  video_sink_class->set_info = ms_video_sink_set_info;
  video_sink_class->show_frame = ms_video_sink_show_frame;

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "Mediastore video sink",
                                         "Sink/Video", "Shows video as a GdkPaintable",
                                         "The Mediastore developers");
}

static void
ms_video_sink_init (MsVideoSink *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
}

/**
 * ms_video_sink_new:
 *
 * The sink delivers its frames to the main context that was the thread's
 * default when it was made.
 *
 * Returns: (transfer full): a new sink, which is also a #GdkPaintable
 */
MsVideoSink *
ms_video_sink_new (void)
{
  return g_object_ref_sink (g_object_new (MS_TYPE_VIDEO_SINK, NULL));
}

/**
 * ms_video_sink_get_texture:
 *
 * Returns: (transfer none) (nullable): the frame being shown
 */
GdkTexture *
ms_video_sink_get_texture (MsVideoSink *self)
{
  g_return_val_if_fail (MS_IS_VIDEO_SINK (self), NULL);

  return self->texture;
}

guint64
ms_video_sink_get_n_received (MsVideoSink *self)
{
  guint64 n;

  g_return_val_if_fail (MS_IS_VIDEO_SINK (self), 0);

  g_mutex_lock (&self->lock);
  n = self->n_received;
  g_mutex_unlock (&self->lock);

  return n;
}

guint64
ms_video_sink_get_n_shown (MsVideoSink *self)
{
  g_return_val_if_fail (MS_IS_VIDEO_SINK (self), 0);

  return self->n_shown;
}
