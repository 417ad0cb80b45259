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
#include "test-ui-utils.h"

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
  WAIT_UNTIL (test_shows_bars (GTK_WIDGET (produce)));

  /* Paused: the placeholder, and no more bars drawn. */
  g_assert_true (ms_session_pause_track (pub, "camera", &error));
  WAIT_UNTIL (!ms_video_produce_get_showing_video (produce));
  g_assert_true (gtk_widget_get_visible (placeholder));
  g_assert_false (test_shows_bars (GTK_WIDGET (produce)));

  /* Resumed, then closed. */
  g_assert_true (ms_session_resume_track (pub, "camera", &error));
  WAIT_UNTIL (ms_video_produce_get_showing_video (produce));
  WAIT_UNTIL (test_shows_bars (GTK_WIDGET (produce)));
  g_assert_true (ms_session_close_track (pub, "camera", &error));
  WAIT_UNTIL (!ms_video_produce_get_showing_video (produce));
  g_assert_true (gtk_widget_get_visible (placeholder));

  gtk_window_destroy (GTK_WINDOW (window));
  ms_session_close_call (pub);
  ms_session_close_call (sub);
  test_server_stop (server);
}

/* peer-id NULL: our own camera, before it is encoded, whether or not the
 * server has it yet; the placeholder while it is paused or closed. */
static void
test_local_preview (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (MsSession) session = test_session_join (server, "r", "me",
                                                     "{\"send_tracks\":[\"camera\"]}");
  g_autoptr (MsLocalTrack) camera = ms_local_track_new (MS_LOCAL_TRACK_TEST_VIDEO, NULL);
  g_autoptr (GError) error = NULL;
  MsStore *store = ms_session_get_store (session);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *placeholder = gtk_label_new ("camera off");
  MsVideoProduce *produce = MS_VIDEO_PRODUCE (ms_video_produce_new ());
  MsTrackInfo *info;

  g_object_set (produce, "session", session, "media-tag", "camera", "placeholder", placeholder,
                NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 320, 240);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (produce));
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (produce)));
  g_assert_false (ms_video_produce_get_showing_video (produce));
  g_assert_cmpuint (g_list_model_get_n_items (ms_store_get_own_tracks (store)), ==, 0);

  g_assert_true (ms_session_send_track (session, camera, "camera", FALSE, &error));
  g_assert_no_error (error);
  info = ms_store_lookup_own_track (store, "camera");
  g_assert_nonnull (info);
  g_assert_false (ms_track_info_get_paused (info));
  g_assert_true (ms_video_produce_get_showing_video (produce));
  WAIT_UNTIL (test_shows_bars (GTK_WIDGET (produce)));

  g_assert_true (ms_session_pause_track (session, "camera", &error));
  g_assert_true (ms_track_info_get_paused (info));
  g_assert_false (ms_video_produce_get_showing_video (produce));
  g_assert_true (gtk_widget_get_visible (placeholder));
  g_assert_false (test_shows_bars (GTK_WIDGET (produce)));

  /* Resumed: a new sink is swapped in while the track runs. */
  g_assert_true (ms_session_resume_track (session, "camera", &error));
  g_assert_false (ms_track_info_get_paused (info));
  g_assert_true (ms_video_produce_get_showing_video (produce));
  WAIT_UNTIL (test_shows_bars (GTK_WIDGET (produce)));

  /* Unmapped, it lets go of the sink; mapped again, the bars are back. */
  gtk_widget_set_visible (GTK_WIDGET (produce), FALSE);
  g_assert_false (ms_video_produce_get_showing_video (produce));
  gtk_widget_set_visible (GTK_WIDGET (produce), TRUE);
  WAIT_UNTIL (ms_video_produce_get_showing_video (produce));
  WAIT_UNTIL (test_shows_bars (GTK_WIDGET (produce)));

  g_assert_true (ms_session_close_track (session, "camera", &error));
  g_assert_null (ms_store_lookup_own_track (store, "camera"));
  g_assert_false (ms_video_produce_get_showing_video (produce));
  g_assert_true (gtk_widget_get_visible (placeholder));

  gtk_window_destroy (GTK_WINDOW (window));
  ms_session_close_call (session);
  test_server_stop (server);
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
  frames = test_remote_frames (sub, pub_id, "microphone");
  /* 1.5 s of 20 ms frames: at least one tick went by, unheard. */
  WAIT_UNTIL (test_remote_frames (sub, pub_id, "microphone") >= frames + 75);
  g_assert_cmpfloat (ms_audio_produce_get_level (produce), ==, 0.0);

  g_object_set (produce, "muted", FALSE, NULL);
  WAIT_UNTIL (ms_audio_produce_get_level (produce) > 0.01);

  g_object_unref (produce);
  ms_session_close_call (pub);
  ms_session_close_call (sub);
  test_server_stop (server);
}

/* peer-id NULL: our own microphone's level, which goes on while paused
 * (someone speaks while muted) and drops to 0 once the track is closed. */
static void
test_local_audio_level (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (MsSession) session = test_session_join (server, "r", "me",
                                                     "{\"send_tracks\":[\"microphone\"]}");
  g_autoptr (MsLocalTrack) microphone = ms_local_track_new (MS_LOCAL_TRACK_TEST_AUDIO, NULL);
  g_autoptr (GError) error = NULL;
  MsAudioProduce *produce = g_object_ref_sink (MS_AUDIO_PRODUCE (ms_audio_produce_new ()));

  g_object_set (produce, "session", session, "media-tag", "microphone", NULL);
  g_assert_cmpfloat (ms_audio_produce_get_level (produce), ==, 0.0);

  g_assert_true (ms_session_send_track (session, microphone, "microphone", FALSE, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (ms_audio_produce_get_level (produce) > 0.01);
  /* Ours is never played back. */
  g_assert_cmpuint (g_list_model_get_n_items (ms_session_get_remote_tracks (session)), ==, 0);

  g_assert_true (ms_session_pause_track (session, "microphone", &error));
  WAIT_UNTIL (ms_audio_produce_get_level (produce) == 0.0);
  WAIT_UNTIL (ms_audio_produce_get_level (produce) > 0.01);

  g_assert_true (ms_session_close_track (session, "microphone", &error));
  g_assert_cmpfloat (ms_audio_produce_get_level (produce), ==, 0.0);
  g_assert_cmpfloat (ms_local_track_get_level (microphone), ==, 0.0);

  g_object_unref (produce);
  ms_session_close_call (session);
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
    g_test_add_func ("/video-produce/local-preview", test_local_preview);
    g_test_add_func ("/audio-produce/level", test_audio_level);
    g_test_add_func ("/audio-produce/local-level", test_local_audio_level);
  } else {
    g_test_add_func ("/video-produce/no-display", test_no_display);
  }

  return g_test_run ();
}
