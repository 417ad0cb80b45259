/* test-session-utils.c: libmediastore sessions joined to the real server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>

#include <json-glib/json-glib.h>

#include "test-session-utils.h"

void
test_on_connected (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  TestConnectResult *r = user_data;

  ms_session_connect_finish (MS_SESSION (source), result, &r->error);
  r->done = TRUE;
}

MsSession *
test_session_join (TestServer *server,
                   const char *room,
                   const char *identity,
                   const char *grants_json)
{
  return test_session_join_url (test_server_get_url (server), room, identity, grants_json);
}

MsSession *
test_session_join_url (const char *url,
                       const char *room,
                       const char *identity,
                       const char *grants_json)
{
  g_autofree char *token = test_token (room, identity, grants_json);
  MsSession *session = ms_session_new ();
  TestConnectResult r = { 0 };

  ms_session_connect_async (session, url, token, NULL,
                            test_on_connected, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_cmpint (ms_store_get_connect_status (ms_session_get_store (session)), ==,
                   MS_CONNECT_STATUS_CONNECTED);

  return session;
}

MsTrackStats
test_remote_stats (MsSession  *session,
                   const char *peer_id,
                   const char *tag)
{
  MsTrackStats stats = { 0 };
  MsRemoteTrack *track = ms_session_lookup_remote_track (session, peer_id, tag);

  if (track != NULL)
    ms_remote_track_get_stats (track, &stats);

  return stats;
}

guint64
test_remote_frames (MsSession  *session,
                    const char *peer_id,
                    const char *tag)
{
  return test_remote_stats (session, peer_id, tag).frames;
}

gint64
test_stats_freeze_us (const MsTrackStats *stats)
{
  if (stats->last_frame_us == 0)
    return 0;

  return MAX (stats->max_gap_us, g_get_monotonic_time () - stats->last_frame_us);
}

static void
on_handoff_caps (GstElement  *sink,
                 GstBuffer   *buffer,
                 GstPad      *pad,
                 GstCaps    **caps)
{
  if (g_atomic_pointer_get (caps) == NULL)
    g_atomic_pointer_set (caps, gst_pad_get_current_caps (pad));
}

void
test_remote_video_size (MsSession  *session,
                        const char *peer_id,
                        const char *tag,
                        int        *width,
                        int        *height)
{
  MsRemoteTrack *track = ms_session_lookup_remote_track (session, peer_id, tag);
  g_autoptr (GstCaps) caps = NULL;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstStructure *structure;

  g_assert_nonnull (track);
  g_object_set (sink, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff_caps), &caps);
  ms_remote_track_set_video_sink (track, sink);
  WAIT_UNTIL (g_atomic_pointer_get (&caps) != NULL);
  /* The sink may go on: it must not write to this frame's variable. */
  g_signal_handlers_disconnect_by_func (sink, on_handoff_caps, &caps);

  structure = gst_caps_get_structure (caps, 0);
  g_assert_true (gst_structure_get_int (structure, "width", width));
  g_assert_true (gst_structure_get_int (structure, "height", height));
}

typedef struct {
  gint ref;
  gint width;
  gint height;
} SizeSeen;

static void
size_seen_unref (gpointer data)
{
  SizeSeen *seen = data;

  if (g_atomic_int_dec_and_test (&seen->ref))
    g_free (seen);
}

static void
on_handoff_size (GstElement *sink,
                 GstBuffer  *buffer,
                 GstPad     *pad,
                 SizeSeen   *seen)
{
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  GstStructure *structure = caps ? gst_caps_get_structure (caps, 0) : NULL;
  int width = 0, height = 0;

  if (structure != NULL && gst_structure_get_int (structure, "width", &width) &&
      gst_structure_get_int (structure, "height", &height)) {
    g_atomic_int_set (&seen->width, width);
    g_atomic_int_set (&seen->height, height);
  }
}

/* What test_wait_remote_video_size() watches: the remote track its sink
 * is on, the size of that sink's last frame, and how many tracks came. */
typedef struct {
  MsRemoteTrack *track;
  SizeSeen      *seen;
  guint          tracks;
} SizeWatch;

/* A sink of ours on the current remote track @peer_id/@tag, made again
 * whenever the track object changes; TRUE once its frames are the size. */
static gboolean
current_size_is (MsSession   *session,
                 const char  *peer_id,
                 const char  *tag,
                 int          width,
                 int          height,
                 SizeWatch   *watch)
{
  MsRemoteTrack *track = ms_session_lookup_remote_track (session, peer_id, tag);

  if (track == NULL)
    return FALSE;
  if (track != watch->track) {
    GstElement *sink = gst_element_factory_make ("fakesink", NULL);

    g_clear_pointer (&watch->seen, size_seen_unref);
    watch->seen = g_new0 (SizeSeen, 1);
    watch->seen->ref = 2;
    g_object_set (sink, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, NULL);
    g_signal_connect_data (sink, "handoff", G_CALLBACK (on_handoff_size), watch->seen,
                           (GClosureNotify) (void (*) (void)) size_seen_unref, 0);
    ms_remote_track_set_video_sink (track, sink);
    watch->track = track;
    watch->tracks++;
  }
  return g_atomic_int_get (&watch->seen->width) == width &&
         g_atomic_int_get (&watch->seen->height) == height;
}

/* Why a size never came (it failed once in CI, and the bare condition
 * told nothing). */
static void
explain_size (MsSession       *session,
              const char      *peer_id,
              const char      *tag,
              int              width,
              int              height,
              const SizeWatch *watch)
{
  MsRemoteTrack *current = ms_session_lookup_remote_track (session, peer_id, tag);

  g_printerr ("%s/%s: no frame of %dx%d within %u s: %u remote track(s) came, the last is %s, "
              "its last frame %dx%d, %" G_GUINT64_FORMAT " frames decoded\n", peer_id, tag,
              width, height, TEST_TIMEOUT_SECONDS, watch->tracks,
              watch->track == NULL ? "none" : current == watch->track ? "current" : "gone",
              watch->seen ? g_atomic_int_get (&watch->seen->width) : 0,
              watch->seen ? g_atomic_int_get (&watch->seen->height) : 0,
              test_remote_frames (session, peer_id, tag));
}

void
test_wait_remote_video_size (MsSession  *session,
                             const char *peer_id,
                             const char *tag,
                             int         width,
                             int         height)
{
  SizeWatch watch = { 0 };

  WAIT_UNTIL_EXPLAINED (current_size_is (session, peer_id, tag, width, height, &watch),
                        explain_size (session, peer_id, tag, width, height, &watch));
  g_clear_pointer (&watch.seen, size_seen_unref);
}

GSubprocess *
test_bot_start (const char *url,
                const char *room,
                const char *identity,
                const char *grants_json,
                guint       expect_tracks)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autofree char *token = test_token (room, identity, grants_json);
  g_autofree char *expect = g_strdup_printf ("--expect-tracks=%u", expect_tracks);
  /* How long it waits for them, then gives up and reports (it stays
   * until SIGTERM once they came). Under a sanitizer six bots and three
   * servers on two cores are slow enough that one PeerConnection's ICE
   * times out, and its reconnection then took 55 s (CI, /cluster/one-room):
   * as every other wait, it stretches with MEDIASTORE_TEST_TIMEOUT_SCALE. */
  g_autofree char *duration = g_strdup_printf ("--duration=%u", 90 * test_timeout_scale ());
  g_autoptr (GError) error = NULL;
  GSubprocess *bot;

  /* As for the server: the machine's quirks must not abort a bot. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "gc-friendly", TRUE);
  bot = g_subprocess_launcher_spawn (launcher, &error,
                                     g_getenv ("MEDIASTORE_BOT"),
                                     "--url", url, "--token", token,
                                     "--publish", "camera=test-video,microphone=test-audio",
                                     "--subscribe", "--stats", expect, "--stay",
                                     duration,
                                     NULL);
  g_assert_no_error (error);
  return bot;
}

void
test_bot_wait_arrived (GSubprocess *bot)
{
  g_autoptr (GDataInputStream) out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bot));
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;

  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (out), FALSE);
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "tracks-arrived");
}

void
test_bot_check (GSubprocess *bot,
                guint        expect_tracks)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  JsonArray *tracks;

  g_subprocess_send_signal (bot, SIGTERM);
  g_subprocess_communicate_utf8 (bot, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (bot));
  g_assert_cmpint (g_subprocess_get_exit_status (bot), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  tracks = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                         "tracks");
  g_assert_cmpuint (json_array_get_length (tracks), ==, expect_tracks);
  for (guint i = 0; i < json_array_get_length (tracks); i++) {
    JsonObject *track = json_array_get_object_element (tracks, i);

    g_assert_cmpint (json_object_get_int_member (track, "frames"), >, 0);
    g_assert_cmpint (json_object_get_int_member (track, "packets"), >, 0);
    /* Counted on over a reconnect: worth a line in the log. */
    if (json_object_get_int_member (track, "restarts") > 0)
      g_test_message ("%s/%s was received again %" G_GINT64_FORMAT " time(s)",
                      json_object_get_string_member (track, "peer_id"),
                      json_object_get_string_member (track, "tag"),
                      json_object_get_int_member (track, "restarts"));
  }
}

int
test_media_deinit (int ret)
{
  if (!ms_local_track_wait_stopped (5000)) {
    g_printerr ("A closed track still had not stopped 5 s after the last case\n");
    ret = 1;
  }
  gst_deinit ();

  return ret;
}
