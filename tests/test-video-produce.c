/* test-video-produce.c: MsVideoProduce follows a real call, on screen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs under Xvfb: a window shows a remote camera (SMPTE colour bars sent
 * through the real server) and the widget's rendering is checked pixel by
 * pixel, then the placeholder when the track is paused and closed.
 */

#include "config.h"

#include <gtk/gtk.h>

#include "ms-audio-produce.h"
#include "ms-video-produce.h"
#include "test-session-utils.h"

/* The widget as it is drawn, through the window's own renderer. */
static GdkTexture *
render (GtkWidget *widget)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr (GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    return NULL;

  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

typedef struct {
  guint8 r, g, b;
} Rgb;

static Rgb
pixel_at (GdkTexture *texture,
          double      fx,
          double      fy)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guint8 *data = g_malloc (width * height * 4);
  guint8 *p;

  gdk_texture_download (texture, data, width * 4);
  p = data + ((int) (fy * height) * width + (int) (fx * width)) * 4;

  return (Rgb) { p[2], p[1], p[0] };
}

/* The bars of SMPTE (75 %) the test pattern sends, left to right in the
 * upper two thirds: white, yellow, cyan, green, magenta, red, blue. After
 * VP8 they are near, not equal, to those values. */
static gboolean
shows_bars (GtkWidget *widget)
{
  static const struct {
    gboolean r, g, b;
  } bars[] = {
    { TRUE, TRUE, TRUE }, { TRUE, TRUE, FALSE }, { FALSE, TRUE, TRUE }, { FALSE, TRUE, FALSE },
    { TRUE, FALSE, TRUE }, { TRUE, FALSE, FALSE }, { FALSE, FALSE, TRUE },
  };
  g_autoptr (GdkTexture) texture = render (widget);

  if (texture == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (bars); i++) {
    Rgb c = pixel_at (texture, (i + 0.5) / G_N_ELEMENTS (bars), 0.3);

    if ((c.r > 140) != bars[i].r || (c.g > 140) != bars[i].g || (c.b > 140) != bars[i].b ||
        (!bars[i].r && c.r > 70) || (!bars[i].g && c.g > 70) || (!bars[i].b && c.b > 70))
      return FALSE;
  }

  return TRUE;
}

static void
test_follows_the_call (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (MsSession) pub = test_session_join (server, "r", "pub", "{\"send_tracks\":[\"camera\"]}");
  g_autoptr (MsSession) sub = test_session_join (server, "r", "sub", NULL);
  g_autoptr (MsLocalTrack) camera = ms_local_track_new (MS_LOCAL_TRACK_TEST_VIDEO, NULL);
  g_autoptr (GError) error = NULL;
  const char *pub_id = ms_store_get_peer_id (ms_session_get_store (pub));
  GtkWidget *window = gtk_window_new ();
  GtkWidget *placeholder = gtk_label_new ("no video");
  MsVideoProduce *produce = MS_VIDEO_PRODUCE (ms_video_produce_new ());

  g_object_set (produce, "session", sub, "peer-id", pub_id, "media-tag", "camera",
                "placeholder", placeholder, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 320, 240);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (produce));
  gtk_window_present (GTK_WINDOW (window));

  /* Nothing yet: the placeholder. */
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (produce)));
  g_assert_false (ms_video_produce_get_showing_video (produce));
  g_assert_true (gtk_widget_get_visible (placeholder));

  g_assert_true (ms_session_send_track (pub, camera, "camera", FALSE, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (ms_video_produce_get_showing_video (produce));
  g_assert_false (gtk_widget_get_visible (placeholder));
  WAIT_UNTIL (shows_bars (GTK_WIDGET (produce)));

  /* Paused: the placeholder, and no more bars drawn. */
  g_assert_true (ms_session_pause_track (pub, "camera", &error));
  WAIT_UNTIL (!ms_video_produce_get_showing_video (produce));
  g_assert_true (gtk_widget_get_visible (placeholder));
  g_assert_false (shows_bars (GTK_WIDGET (produce)));

  /* Resumed, then closed. */
  g_assert_true (ms_session_resume_track (pub, "camera", &error));
  WAIT_UNTIL (ms_video_produce_get_showing_video (produce));
  WAIT_UNTIL (shows_bars (GTK_WIDGET (produce)));
  g_assert_true (ms_session_close_track (pub, "camera", &error));
  WAIT_UNTIL (!ms_video_produce_get_showing_video (produce));
  g_assert_true (gtk_widget_get_visible (placeholder));

  gtk_window_destroy (GTK_WINDOW (window));
  ms_session_close_call (pub);
  ms_session_close_call (sub);
  test_server_stop (server);
}

static guint64
audio_frames (MsSession  *session,
              const char *peer_id)
{
  MsRemoteTrack *track = ms_session_lookup_remote_track (session, peer_id, "microphone");
  MsTrackStats stats = { 0 };

  if (track != NULL)
    ms_remote_track_get_stats (track, &stats);

  return stats.frames;
}

/* The level of a test tone (a tick every second) through the real server;
 * muted, it stays 0 while more than a second of audio arrives. */
static void
test_audio_level (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (MsSession) pub = test_session_join (server, "r", "pub", "{\"send_tracks\":[\"microphone\"]}");
  g_autoptr (MsSession) sub = test_session_join (server, "r", "sub", NULL);
  g_autoptr (MsLocalTrack) microphone = ms_local_track_new (MS_LOCAL_TRACK_TEST_AUDIO, NULL);
  g_autoptr (GError) error = NULL;
  const char *pub_id = ms_store_get_peer_id (ms_session_get_store (pub));
  MsAudioProduce *produce = g_object_ref_sink (MS_AUDIO_PRODUCE (ms_audio_produce_new ()));
  guint64 frames;

  g_object_set (produce, "session", sub, "peer-id", pub_id, "media-tag", "microphone", NULL);
  g_assert_cmpfloat (ms_audio_produce_get_level (produce), ==, 0.0);

  g_assert_true (ms_session_send_track (pub, microphone, "microphone", FALSE, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (ms_audio_produce_get_level (produce) > 0.01);

  g_object_set (produce, "muted", TRUE, NULL);
  WAIT_UNTIL (ms_audio_produce_get_level (produce) == 0.0);
  frames = audio_frames (sub, pub_id);
  /* 1.5 s of 20 ms frames: at least one tick went by, unheard. */
  WAIT_UNTIL (audio_frames (sub, pub_id) >= frames + 75);
  g_assert_cmpfloat (ms_audio_produce_get_level (produce), ==, 0.0);

  g_object_set (produce, "muted", FALSE, NULL);
  WAIT_UNTIL (ms_audio_produce_get_level (produce) > 0.01);

  g_object_unref (produce);
  ms_session_close_call (pub);
  ms_session_close_call (sub);
  test_server_stop (server);
}

static void
test_no_display (void)
{
  g_test_skip ("No display: run under xvfb-run, as build-aux/test.sh does");
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  /* Library warnings under the media path stay warnings (see test-media.c). */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  if (gtk_init_check ()) {
    g_test_add_func ("/video-produce/follows-the-call", test_follows_the_call);
    g_test_add_func ("/audio-produce/level", test_audio_level);
  } else {
    g_test_add_func ("/video-produce/no-display", test_no_display);
  }

  return g_test_run ();
}
