/* test-media.c: real media through the real server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every case runs the mediastore-server binary on 127.0.0.1 and real
 * webrtcbin sessions: libmediastore in this process where the test must
 * steer (pause, receive, close), mediastore-bot processes for whole calls.
 * Where a case shows that media does *not* flow, another track that does
 * flow is the clock: no sleeps.
 */

#include "config.h"

#include <signal.h>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "ms-srtp-crypto.h"
#include "test-session-utils.h"

#define GRANTS_AV   "{\"send_tracks\":[\"camera\",\"microphone\"]}"
#define GRANTS_HIDE "{\"send_tracks\":[\"camera\",\"microphone\"],\"can_hide\":true,\"hidden\":true}"

/* Frames of one second of Opus audio at 20 ms. */
#define AUDIO_FRAMES_PER_SECOND 50

static const char *
peer_id_of (MsSession *session)
{
  return ms_store_get_peer_id (ms_session_get_store (session));
}

static void
publish (MsSession          *session,
         MsLocalTrackSource  source,
         const char         *tag,
         gboolean            paused)
{
  g_autoptr (MsLocalTrack) track = NULL;
  g_autoptr (GError) error = NULL;

  track = ms_local_track_new (source, &error);
  g_assert_no_error (error);
  ms_session_send_track (session, track, tag, paused, &error);
  g_assert_no_error (error);
}

/* Whether the store shows @peer_id's track @tag, and with @paused. */
static gboolean
store_shows_track (MsSession  *session,
                   const char *peer_id,
                   const char *tag,
                   gboolean    paused)
{
  MsPeer *peer = ms_store_lookup_peer (ms_session_get_store (session), peer_id);
  MsTrackInfo *track;

  if (peer == NULL)
    return FALSE;
  track = ms_peer_lookup_track (peer, tag);

  return track != NULL && ms_track_info_get_paused (track) == paused;
}

static void
close_and_free (MsSession *session)
{
  ms_session_close_call (session);
  g_assert_cmpint (ms_store_get_connect_status (ms_session_get_store (session)), ==,
                   MS_CONNECT_STATUS_DISCONNECTED);
  g_object_unref (session);
}

static void
on_handoff (GstElement *sink,
            GstBuffer  *buffer,
            GstPad     *pad,
            guint      *handoffs)
{
  g_atomic_int_inc (handoffs);
}

/* How many of this process's UDP sockets are bound to local @port:
 * the socket inodes of /proc/self/fd looked up in /proc/net/udp{,6}. */
static guint
own_udp_sockets_on_port (guint port)
{
  g_autoptr (GHashTable) inodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *tables[] = { "/proc/net/udp", "/proc/net/udp6" };
  const char *name;
  guint found = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = g_build_filename ("/proc/self/fd", name, NULL);
    g_autofree char *target = g_file_read_link (path, NULL);

    if (target != NULL && g_str_has_prefix (target, "socket:["))
      g_hash_table_add (inodes, g_strndup (target + 8, strlen (target) - 9));
  }
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++) {
    g_autofree char *text = NULL;
    g_auto (GStrv) lines = NULL;

    g_assert_true (g_file_get_contents (tables[t], &text, NULL, NULL));
    lines = g_strsplit (text, "\n", -1);
    for (guint i = 1; lines[i] != NULL; i++) {
      g_auto (GStrv) f = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autoptr (GPtrArray) fields = g_ptr_array_new ();
      const char *colon;

      for (guint j = 0; f[j] != NULL; j++)
        if (*f[j] != '\0')
          g_ptr_array_add (fields, f[j]);
      /* sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode */
      if (fields->len < 10 || (colon = strrchr (g_ptr_array_index (fields, 1), ':')) == NULL)
        continue;
      if (g_ascii_strtoull (colon + 1, NULL, 16) == port &&
          g_hash_table_contains (inodes, g_ptr_array_index (fields, 9)))
        found++;
    }
  }
  return found;
}

/* Both directions of a two-party call, in this process. */
static void
test_two_sessions (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  MsSession *a = test_session_join (server, "r", "alice", GRANTS_AV);
  MsSession *b = test_session_join (server, "r", "bob", GRANTS_AV);

  publish (a, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);
  publish (a, MS_LOCAL_TRACK_TEST_AUDIO, "microphone", FALSE);
  publish (b, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);

  WAIT_FRAMES (b, peer_id_of (a), "camera", 10);
  WAIT_FRAMES (b, peer_id_of (a), "microphone", 10);
  WAIT_FRAMES (a, peer_id_of (b), "camera", 10);
  g_assert_null (ms_session_lookup_remote_track (a, peer_id_of (b), "microphone"));
  g_assert_cmpuint (test_remote_stats (b, peer_id_of (a), "camera").packets, >, 0);
  g_assert_cmpuint (test_remote_stats (b, peer_id_of (a), "camera").bytes, >, 0);
  /* webrtcbin's SRTP runs on OpenSSL's crypto, not libsrtp2's own: both
   * sessions protect and unprotect with ciphers of ours. */
  g_test_message ("ciphers of ours: %u", ms_srtp_crypto_live_ciphers ());
  g_assert_true (ms_srtp_crypto_uses_openssl ());
  g_assert_cmpuint (ms_srtp_crypto_live_ciphers (), >=, 8);
  /* Like browsers, the sessions search for no UPnP router: libnice's
   * client would bind SSDP (UDP 1900) on every interface for each
   * PeerConnection. */
  g_assert_cmpuint (own_udp_sockets_on_port (1900), ==, 0);
  {
    /* ...and the count sees a socket that is there */
    guint16 port;
    g_autoptr (GSocket) socket = test_bind_loopback (G_SOCKET_TYPE_DATAGRAM, &port);

    g_assert_cmpuint (own_udp_sockets_on_port (port), ==, 1);
  }

  /* A sink set while the video flows (as a widget does) gets the frames. */
  {
    GstElement *sink = gst_element_factory_make ("fakesink", NULL);
    guint handoffs = 0;

    g_object_set (sink, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, NULL);
    g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &handoffs);
    ms_remote_track_set_video_sink (ms_session_lookup_remote_track (b, peer_id_of (a), "camera"),
                                    sink);
    WAIT_UNTIL (g_atomic_int_get (&handoffs) >= 10);
  }

  close_and_free (a);
  close_and_free (b);
  test_server_stop (server);
}

/* A video track sent at a size of its own arrives so (RTP carries no
 * frame rate); the receiver's jitterbuffer latency is its own too. */
static void
test_video_format (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (MsLocalTrack) track = NULL;
  g_autoptr (GError) error = NULL;
  MsSession *a = test_session_join (server, "r", "alice", GRANTS_AV);
  MsSession *b = test_session_join (server, "r", "bob", GRANTS_AV);
  int width = 0;
  int height = 0;

  g_object_set (b, "latency", 20, NULL);
  g_assert_cmpuint (ms_session_get_latency (b), ==, 20);
  g_assert_cmpuint (ms_session_get_latency (a), ==, 60);   /* DEFAULT_LATENCY_MS */

  track = ms_local_track_new (MS_LOCAL_TRACK_TEST_VIDEO, &error);
  g_assert_no_error (error);
  ms_local_track_set_video_format (track, 640, 360, 30);
  ms_session_send_track (a, track, "camera", FALSE, &error);
  g_assert_no_error (error);
  WAIT_FRAMES (b, peer_id_of (a), "camera", 1);

  test_remote_video_size (b, peer_id_of (a), "camera", &width, &height);
  g_assert_cmpint (width, ==, 640);
  g_assert_cmpint (height, ==, 360);

  close_and_free (a);
  close_and_free (b);
  test_server_stop (server);
}

/* A pre-encoded file starts again at its end, as one unbroken stream. */
static void
test_file_loops (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autofree char *dir = g_dir_make_tmp ("mediastore-test-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "clip.webm", NULL);
  g_autofree char *description = NULL;
  g_autoptr (GstElement) writer = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) done = NULL;
  g_autoptr (MsLocalTrack) track = NULL;
  g_autoptr (GError) error = NULL;
  MsSession *a = test_session_join (server, "r", "alice", GRANTS_AV);
  MsSession *b = test_session_join (server, "r", "bob", GRANTS_AV);

  /* One second: ten frames. */
  description = g_strdup_printf ("videotestsrc num-buffers=10 ! "
                                 "video/x-raw,width=160,height=120,framerate=10/1 ! "
                                 "vp8enc deadline=1 ! webmmux ! filesink location=\"%s\"", path);
  writer = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  bus = gst_element_get_bus (writer);
  gst_element_set_state (writer, GST_STATE_PLAYING);
  done = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_cmpint (GST_MESSAGE_TYPE (done), ==, GST_MESSAGE_EOS);
  gst_element_set_state (writer, GST_STATE_NULL);

  track = ms_local_track_new_for_file (path, &error);
  g_assert_no_error (error);
  ms_session_send_track (a, track, "camera", FALSE, &error);
  g_assert_no_error (error);

  /* Three times the file: it started again at least twice, and the
   * receiver saw neither a gap nor a stall. */
  WAIT_FRAMES (b, peer_id_of (a), "camera", 30);
  g_assert_cmpuint (test_remote_stats (b, peer_id_of (a), "camera").packets_lost, ==, 0);

  close_and_free (a);
  close_and_free (b);
  test_server_stop (server);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* The store's connect status goes through each step, in order. */
static void
on_status (MsStore    *store,
           GParamSpec *pspec,
           GArray     *steps)
{
  MsConnectStatus status = ms_store_get_connect_status (store);

  g_array_append_val (steps, status);
}

static void
test_connect_status (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (GArray) steps = g_array_new (FALSE, FALSE, sizeof (MsConnectStatus));
  g_autoptr (MsSession) session = ms_session_new ();
  g_autoptr (MsSession) refused = ms_session_new ();
  g_autofree char *token = test_token ("r", "alice", NULL);
  MsStore *store = ms_session_get_store (session);
  TestConnectResult r = { 0 };
  TestConnectResult bad = { 0 };

  /* Before a connection every field has its empty value. */
  g_assert_cmpint (ms_store_get_connect_status (store), ==, MS_CONNECT_STATUS_DISCONNECTED);
  g_assert_null (ms_store_get_error_connection (store));
  g_assert_null (ms_store_get_peer_id (store));

  g_signal_connect (store, "notify::connect-status", G_CALLBACK (on_status), steps);
  ms_session_connect_async (session, test_server_get_url (server), token, NULL,
                            test_on_connected, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_cmpuint (steps->len, >=, 3);
  g_assert_cmpint (g_array_index (steps, MsConnectStatus, 0), ==, MS_CONNECT_STATUS_CONNECTING);
  g_assert_cmpint (g_array_index (steps, MsConnectStatus, 1), ==,
                   MS_CONNECT_STATUS_AUTHENTICATING);
  for (guint i = 2; i + 1 < steps->len; i++)
    g_assert_cmpint (g_array_index (steps, MsConnectStatus, i), ==, MS_CONNECT_STATUS_NEGOTIATING);
  g_assert_cmpint (g_array_index (steps, MsConnectStatus, steps->len - 1), ==,
                   MS_CONNECT_STATUS_CONNECTED);
  g_assert_nonnull (ms_store_get_peer_id (store));
  g_assert_null (ms_store_get_error_connection (store));

  /* A token signed with another key: failed, with a sentence for people. */
  g_array_set_size (steps, 0);
  g_signal_connect (ms_session_get_store (refused), "notify::connect-status",
                    G_CALLBACK (on_status), steps);
  ms_session_connect_async (refused, test_server_get_url (server), "not-a-token", NULL,
                            test_on_connected, &bad);
  WAIT_UNTIL (bad.done);
  g_assert_nonnull (bad.error);
  g_assert_cmpint (g_array_index (steps, MsConnectStatus, 0), ==, MS_CONNECT_STATUS_CONNECTING);
  g_assert_cmpint (g_array_index (steps, MsConnectStatus, steps->len - 1), ==,
                   MS_CONNECT_STATUS_FAILED);
  g_assert_nonnull (ms_store_get_error_connection (ms_session_get_store (refused)));
  g_assert_cmpstr (ms_store_get_error_connection (ms_session_get_store (refused)), !=, "");
  g_assert_null (ms_store_get_peer_id (ms_session_get_store (refused)));
  g_clear_error (&bad.error);

  ms_session_close_call (session);
  test_server_stop (server);
}

/* A peer allowed only the microphone never gets the camera. */
static void
test_recv_grants (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  MsSession *pub = test_session_join (server, "r", "pub", GRANTS_AV);
  MsSession *limited = test_session_join (server, "r", "limited",
                                          "{\"recv_tracks\":[\"microphone\"]}");
  MsSession *full = test_session_join (server, "r", "full", NULL);
  g_autoptr (MsLocalTrack) screen = ms_local_track_new (MS_LOCAL_TRACK_TEST_VIDEO, NULL);
  g_autoptr (GError) error = NULL;

  publish (pub, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);
  publish (pub, MS_LOCAL_TRACK_TEST_AUDIO, "microphone", FALSE);

  /* The full peer seeing camera frames, and the limited one a second of
   * audio, is the clock: by then the camera would have arrived too. */
  WAIT_FRAMES (full, peer_id_of (pub), "camera", 15);
  WAIT_FRAMES (limited, peer_id_of (pub), "microphone", AUDIO_FRAMES_PER_SECOND);
  g_assert_null (ms_session_lookup_remote_track (limited, peer_id_of (pub), "camera"));

  /* A tag outside send_tracks is refused before anything is sent. */
  g_assert_false (ms_session_send_track (pub, screen, "screen", FALSE, &error));
  g_assert_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_FORBIDDEN);

  close_and_free (pub);
  close_and_free (limited);
  close_and_free (full);
  test_server_stop (server);
}

/* Pause stops the frames at every subscriber; resume brings them back
 * within a second. The microphone keeps running as the clock. */
static void
test_pause_resume (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  MsSession *pub = test_session_join (server, "r", "pub", GRANTS_AV);
  MsSession *sub = test_session_join (server, "r", "sub", NULL);
  g_autoptr (GError) error = NULL;
  const char *pub_id = peer_id_of (pub);
  guint64 frozen;
  gint64 resumed_at;

  publish (pub, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);
  publish (pub, MS_LOCAL_TRACK_TEST_AUDIO, "microphone", FALSE);
  WAIT_FRAMES (sub, pub_id, "camera", 10);
  WAIT_FRAMES (sub, pub_id, "microphone", 10);

  g_assert_true (ms_session_pause_track (pub, "camera", &error));
  g_assert_no_error (error);
  WAIT_UNTIL (store_shows_track (sub, pub_id, "camera", TRUE));
  /* Frames already on their way may still land: let one second of audio
   * pass, then the count must stand still for another second. */
  WAIT_FRAMES (sub, pub_id, "microphone", AUDIO_FRAMES_PER_SECOND);
  frozen = test_remote_frames (sub, pub_id, "camera");
  WAIT_FRAMES (sub, pub_id, "microphone", AUDIO_FRAMES_PER_SECOND);
  g_assert_cmpuint (test_remote_frames (sub, pub_id, "camera"), ==, frozen);

  resumed_at = g_get_monotonic_time ();
  g_assert_true (ms_session_resume_track (pub, "camera", &error));
  WAIT_UNTIL (test_remote_frames (sub, pub_id, "camera") > frozen);
  g_test_message ("first frame %" G_GINT64_FORMAT " ms after resume",
                  (g_get_monotonic_time () - resumed_at) / 1000);
  /* A second, stretched only for sanitizer builds (see test-utils.h). */
  g_assert_cmpint (g_get_monotonic_time () - resumed_at, <,
                   test_timeout_scale () * G_USEC_PER_SEC);
  WAIT_UNTIL (store_shows_track (sub, pub_id, "camera", FALSE));

  close_and_free (pub);
  close_and_free (sub);
  test_server_stop (server);
}

/* set-receiving stops one subscriber only. */
static void
test_set_receiving (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  MsSession *pub = test_session_join (server, "r", "pub", GRANTS_AV);
  MsSession *quiet = test_session_join (server, "r", "quiet", NULL);
  MsSession *other = test_session_join (server, "r", "other", NULL);
  g_autoptr (GError) error = NULL;
  const char *pub_id = peer_id_of (pub);
  guint64 frozen;
  gint64 enabled_at;

  publish (pub, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);
  WAIT_FRAMES (quiet, pub_id, "camera", 10);
  WAIT_FRAMES (other, pub_id, "camera", 10);

  g_assert_true (ms_session_set_receiving (quiet, pub_id, "camera", FALSE, &error));
  g_assert_no_error (error);
  /* The other subscriber's frames are the clock: 15 frames (a second at
   * the test pattern's rate) twice over. */
  WAIT_FRAMES (other, pub_id, "camera", 15);
  frozen = test_remote_frames (quiet, pub_id, "camera");
  WAIT_FRAMES (other, pub_id, "camera", 15);
  g_assert_cmpuint (test_remote_frames (quiet, pub_id, "camera"), ==, frozen);
  /* Nothing changed for the publisher or in anyone's store. */
  g_assert_true (store_shows_track (quiet, pub_id, "camera", FALSE));

  enabled_at = g_get_monotonic_time ();
  g_assert_true (ms_session_set_receiving (quiet, pub_id, NULL, TRUE, &error));
  WAIT_UNTIL (test_remote_frames (quiet, pub_id, "camera") > frozen);
  g_assert_cmpint (g_get_monotonic_time () - enabled_at, <,
                   test_timeout_scale () * G_USEC_PER_SEC);

  close_and_free (pub);
  close_and_free (quiet);
  close_and_free (other);
  test_server_stop (server);
}

/* Closing a tag and sending it again works, paused state included. */
static void
test_close_resend (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  MsSession *pub = test_session_join (server, "r", "pub", GRANTS_AV);
  MsSession *sub = test_session_join (server, "r", "sub", NULL);
  g_autoptr (GError) error = NULL;
  const char *pub_id = peer_id_of (pub);

  publish (pub, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);
  publish (pub, MS_LOCAL_TRACK_TEST_AUDIO, "microphone", FALSE);
  WAIT_FRAMES (sub, pub_id, "camera", 10);

  g_assert_true (ms_session_close_track (pub, "camera", &error));
  g_assert_no_error (error);
  g_assert_null (ms_session_lookup_local_track (pub, "camera"));
  WAIT_UNTIL (ms_store_lookup_peer (ms_session_get_store (sub), pub_id) != NULL &&
              ms_peer_lookup_track (ms_store_lookup_peer (ms_session_get_store (sub), pub_id),
                                    "camera") == NULL);
  WAIT_UNTIL (ms_session_lookup_remote_track (sub, pub_id, "camera") == NULL);

  /* Again, paused: announced as paused, and no frame comes. */
  publish (pub, MS_LOCAL_TRACK_TEST_VIDEO, "camera", TRUE);
  WAIT_UNTIL (store_shows_track (sub, pub_id, "camera", TRUE));
  WAIT_FRAMES (sub, pub_id, "microphone", 2 * AUDIO_FRAMES_PER_SECOND);
  g_assert_cmpuint (test_remote_frames (sub, pub_id, "camera"), ==, 0);

  g_assert_true (ms_session_resume_track (pub, "camera", &error));
  WAIT_FRAMES (sub, pub_id, "camera", 10);

  close_and_free (pub);
  close_and_free (sub);
  test_server_stop (server);
}

static void
set_true (gpointer data)
{
  *(gboolean *) data = TRUE;
}

/* An invisible publisher's media reaches no one; when everyone has left,
 * the server holds no media element any more. */
static void
test_hidden_and_cleanup (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  MsSession *ghost = test_session_join (server, "r", "ghost", GRANTS_HIDE);
  MsSession *visible = test_session_join (server, "r", "visible", GRANTS_AV);
  MsSession *sub = test_session_join (server, "r", "sub", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (ms_store_get_hidden (ms_session_get_store (ghost)));
  publish (ghost, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);
  publish (visible, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);

  /* The hidden one sees and receives the visible one... */
  WAIT_FRAMES (ghost, peer_id_of (visible), "camera", 30);
  /* ...but two seconds of the visible one's video bring nothing of it. */
  WAIT_FRAMES (sub, peer_id_of (visible), "camera", 30);
  g_assert_cmpuint (g_list_model_get_n_items (ms_session_get_remote_tracks (sub)), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (ms_store_get_peers (ms_session_get_store (sub))),
                    ==, 1);

  /* Visible again: it joins with its camera, which now flows. */
  g_assert_true (ms_session_set_hidden (ghost, FALSE, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (store_shows_track (sub, peer_id_of (ghost), "camera", FALSE));
  WAIT_FRAMES (sub, peer_id_of (ghost), "camera", 10);
  g_assert_cmpuint (test_server_metric (server, "mediastore_producers"), ==, 2);

  close_and_free (ghost);
  close_and_free (visible);
  close_and_free (sub);
  test_server_wait_metric (server, "mediastore_peers", 0);
  test_server_wait_metric (server, "mediastore_producers", 0);
  test_server_wait_metric (server, "mediastore_consumers", 0);

  /* With nothing to carry, the workers sleep: a second holds at most a
   * few consent ticks (a router ticking every 10 ms would be 100 each). */
  {
    guint64 before = test_server_engine_wakeups (server);
    gboolean done = FALSE;
    guint64 woke;

    g_timeout_add_once (1000, set_true, &done);
    WAIT_UNTIL (done);
    woke = test_server_engine_wakeups (server) - before;
    g_test_message ("idle workers woke %" G_GUINT64_FORMAT " times in a second", woke);
    g_assert_cmpuint (woke, <, 20);
  }
  test_server_stop (server);
}

/* Whole calls between mediastore-bot processes. */
static void
test_bots (gconstpointer data)
{
  guint n = GPOINTER_TO_UINT (data);
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (GPtrArray) bots = g_ptr_array_new_with_free_func (g_object_unref);

  /* Every bot stays until all of them got frames of the others' video
   * and audio; then they are told to go, and report. */
  for (guint i = 0; i < n; i++) {
    g_autofree char *identity = g_strdup_printf ("bot%u", i);

    g_ptr_array_add (bots, test_bot_start (test_server_get_url (server), "call", identity,
                                           GRANTS_AV, 2 * (n - 1)));
  }
  for (guint i = 0; i < n; i++)
    test_bot_wait_arrived (g_ptr_array_index (bots, i));
  for (guint i = 0; i < n; i++)
    test_bot_check (g_ptr_array_index (bots, i), 2 * (n - 1));

  test_server_wait_metric (server, "mediastore_producers", 0);
  test_server_stop (server);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  test_media_warnings_not_fatal ();

  g_test_add_func ("/media/connect-status", test_connect_status);
  g_test_add_func ("/media/two-sessions", test_two_sessions);
  g_test_add_func ("/media/recv-grants", test_recv_grants);
  g_test_add_func ("/media/pause-resume", test_pause_resume);
  g_test_add_func ("/media/set-receiving", test_set_receiving);
  g_test_add_func ("/media/close-resend", test_close_resend);
  g_test_add_func ("/media/hidden-and-cleanup", test_hidden_and_cleanup);
  g_test_add_func ("/media/file-loops", test_file_loops);
  g_test_add_func ("/media/video-format", test_video_format);
  g_test_add_data_func ("/media/bots/two", GUINT_TO_POINTER (2), test_bots);
  g_test_add_data_func ("/media/bots/three", GUINT_TO_POINTER (3), test_bots);

  ret = g_test_run ();
  return test_media_deinit (ret);
}
