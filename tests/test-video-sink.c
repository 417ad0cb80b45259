/* test-video-sink.c: MsVideoSink turns frames into textures, newest only
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gst/gst.h>

#include "ms-video-sink.h"

typedef struct {
  guint live;       /* textures shown and not finalized yet */
  guint shown;
} Textures;

static void
on_texture_gone (gpointer  user_data,
                 GObject  *where_the_object_was)
{
  Textures *textures = user_data;

  textures->live--;
}

static void
on_contents (GdkPaintable *paintable,
             Textures     *textures)
{
  GdkTexture *texture = ms_video_sink_get_texture (MS_VIDEO_SINK (paintable));

  textures->live++;
  textures->shown++;
  g_object_weak_ref (G_OBJECT (texture), on_texture_gone, textures);
}

static GstElement *
pipeline_for (const char   *pattern,
              guint         frames,
              MsVideoSink  *sink)
{
  g_autofree char *description = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) convert = NULL;
  GstElement *pipeline;

  description = g_strdup_printf ("videotestsrc pattern=%s num-buffers=%u ! "
                                 "video/x-raw,width=64,height=48 ! videoconvert name=convert",
                                 pattern, frames);
  pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);

  convert = gst_bin_get_by_name (GST_BIN (pipeline), "convert");
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add (GST_BIN (pipeline), GST_ELEMENT (sink));   /* takes a reference of its own */
  g_assert_true (gst_element_link (convert, GST_ELEMENT (sink)));

  return pipeline;
}

/* Runs @pipeline to its end without iterating the main context. */
static void
run_to_eos (GstElement *pipeline)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message = NULL;

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  message = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
}

/* Stops and frees @pipeline; queued bus messages hold references to
 * their sources, the sink among them. */
static void
stop (GstElement *pipeline)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (pipeline);
}

static void
assert_colour (GdkTexture *texture,
               guint8      r,
               guint8      g,
               guint8      b)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guint8 *data = g_malloc (width * height * 4);

  /* Downloads are Cairo ARGB32: B, G, R, A in memory on little endian. */
  gdk_texture_download (texture, data, width * 4);
  for (int y = 0; y < height; y += height / 4) {
    for (int x = 0; x < width; x += width / 4) {
      guint8 *pixel = data + y * width * 4 + x * 4;

      g_assert_cmpuint (pixel[2], ==, r);
      g_assert_cmpuint (pixel[1], ==, g);
      g_assert_cmpuint (pixel[0], ==, b);
      g_assert_cmpuint (pixel[3], ==, 255);
    }
  }
}

/* A thousand frames while the main context sleeps: one shown, the rest
 * replaced while waiting, and no texture outlives the sink. */
static void
test_newest_only (void)
{
  g_autoptr (MsVideoSink) sink = ms_video_sink_new ();
  GstElement *pipeline = pipeline_for ("red", 1000, sink);
  Textures textures = { 0 };

  g_signal_connect (sink, "invalidate-contents", G_CALLBACK (on_contents), &textures);
  run_to_eos (pipeline);
  /* 1000 frames, and the preroll frame shown before them. */
  g_assert_cmpuint (ms_video_sink_get_n_received (sink), ==, 1001);
  g_assert_null (ms_video_sink_get_texture (sink));

  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (ms_video_sink_get_n_shown (sink), ==, 1);
  g_assert_cmpuint (textures.shown, ==, 1);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (GDK_PAINTABLE (sink)), ==, 64);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (GDK_PAINTABLE (sink)), ==, 48);
  assert_colour (ms_video_sink_get_texture (sink), 255, 0, 0);

  stop (pipeline);
  g_assert_finalize_object (g_steal_pointer (&sink));
  g_assert_cmpuint (textures.live, ==, 0);
}

static void
on_eos (GstBus     *bus,
        GstMessage *message,
        gboolean   *done)
{
  *done = TRUE;
}

static void
on_error (GstBus     *bus,
          GstMessage *message,
          gpointer    user_data)
{
  g_autoptr (GError) error = NULL;

  gst_message_parse_error (message, &error, NULL);
  g_error ("pipeline error: %s", error->message);
}

/* Frames the main context keeps up with are each shown; at most the one
 * on screen stays alive. */
static void
test_each_frame (void)
{
  g_autoptr (MsVideoSink) sink = ms_video_sink_new ();
  GstElement *pipeline = pipeline_for ("blue", 1000, sink);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  Textures textures = { 0 };
  gboolean done = FALSE;

  g_signal_connect (sink, "invalidate-contents", G_CALLBACK (on_contents), &textures);
  gst_bus_add_signal_watch (bus);
  g_signal_connect (bus, "message::eos", G_CALLBACK (on_eos), &done);
  g_signal_connect (bus, "message::error", G_CALLBACK (on_error), NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!done) {
    g_main_context_iteration (NULL, TRUE);
    g_assert_cmpuint (textures.live, <=, 1);
  }
  gst_bus_remove_signal_watch (bus);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  /* 1000 frames, and the preroll frame shown before them. */
  g_assert_cmpuint (ms_video_sink_get_n_received (sink), ==, 1001);
  g_assert_cmpuint (textures.shown, >, 1);
  g_assert_cmpuint (textures.live, ==, 1);
  assert_colour (ms_video_sink_get_texture (sink), 0, 0, 255);

  stop (pipeline);
  g_assert_finalize_object (g_steal_pointer (&sink));
  g_assert_cmpuint (textures.live, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/video-sink/newest-only", test_newest_only);
  g_test_add_func ("/video-sink/each-frame", test_each_frame);

  return g_test_run ();
}
