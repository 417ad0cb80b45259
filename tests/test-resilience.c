/* test-resilience.c: calls that survive what networks and crashes do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Real sessions, bots and server on loopback:
 * - a WebSocket cut (through a TCP proxy of the test's own) is a blip: the
 *   session resumes as the same peer, sends its tracks again with their
 *   paused states, and the others see no one leave;
 * - a server killed with SIGKILL and started again: the sessions join
 *   again by themselves, as new peers, and say so;
 * - a bot killed without leave: gone after the grace period, and the
 *   room's pipeline holds no more elements than before it came;
 * - a 3 s outage of the whole network, in a network namespace of the
 *   test's own (root only; skipped otherwise): media back within 5 s;
 * - random loss of 0, 2 and 5 % of every UDP send (nftables, in the same
 *   namespace; these fail without it): the share of a 640x360@30 camera's
 *   frames that is decoded, and the longest freeze;
 * - three people joining and two leaving while one receives another's
 *   video: the longest freeze and the RTP sequence of that video.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>

#include "test-session-utils.h"

#define ROOM "resilience"
#define GRANTS_AV "{\"send_tracks\":[\"camera\",\"microphone\"]}"

static gboolean in_private_network;

/* ---- a TCP proxy that can cut every connection through it ---- */

typedef struct {
  GSocketService *service;
  char           *upstream_host;
  guint16         upstream_port;
  GPtrArray      *connections;   /* of GIOStream, both ends */
  char           *url;
} TestProxy;

static void
on_spliced (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_io_stream_splice_finish (result, NULL);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             TestProxy         *proxy)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) upstream = NULL;
  g_autoptr (GError) error = NULL;

  upstream = g_socket_client_connect_to_host (client, proxy->upstream_host, proxy->upstream_port,
                                              NULL, &error);
  if (upstream == NULL)
    return TRUE;   /* the client sees its connection closed */

  g_ptr_array_add (proxy->connections, g_object_ref (connection));
  g_ptr_array_add (proxy->connections, g_object_ref (upstream));
  g_io_stream_splice_async (G_IO_STREAM (connection), G_IO_STREAM (upstream),
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                            G_PRIORITY_DEFAULT, NULL, on_spliced, NULL);
  return TRUE;
}

static TestProxy *
proxy_new (TestServer *server)
{
  TestProxy *proxy = g_new0 (TestProxy, 1);
  g_autoptr (GUri) uri = g_uri_parse (test_server_get_url (server), G_URI_FLAGS_NONE, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  proxy->upstream_host = g_strdup (g_uri_get_host (uri));
  proxy->upstream_port = g_uri_get_port (uri);
  proxy->connections = g_ptr_array_new_with_free_func (g_object_unref);
  proxy->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service), any_port,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound,
                                 &error);
  g_assert_no_error (error);
  proxy->url = g_strdup_printf ("ws://127.0.0.1:%u/v1/ws",
                                g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (on_incoming), proxy);
  g_socket_service_start (proxy->service);

  return proxy;
}

/* Every connection through the proxy drops at once, as on a network
 * change; new ones go through. */
static void
proxy_cut (TestProxy *proxy)
{
  for (guint i = 0; i < proxy->connections->len; i++)
    g_io_stream_close (g_ptr_array_index (proxy->connections, i), NULL, NULL);
  g_ptr_array_set_size (proxy->connections, 0);
}

static void
proxy_free (TestProxy *proxy)
{
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  proxy_cut (proxy);
  g_object_unref (proxy->service);
  g_ptr_array_unref (proxy->connections);
  g_free (proxy->upstream_host);
  g_free (proxy->url);
  g_free (proxy);
}

/* ---- helpers ---- */

static MsConnectStatus
status (MsSession *session)
{
  return ms_store_get_connect_status (ms_session_get_store (session));
}

static void
send_test_track (MsSession          *session,
                 MsLocalTrackSource  source,
                 const char         *tag,
                 gboolean            paused)
{
  g_autoptr (MsLocalTrack) track = ms_local_track_new (source, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (ms_session_send_track (session, track, tag, paused, &error));
  g_assert_no_error (error);
}

static void
on_peers_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *n_removed)
{
  *n_removed += removed;
}

static void
on_status (MsStore    *store,
           GParamSpec *pspec,
           gboolean   *saw_reconnecting)
{
  if (ms_store_get_connect_status (store) == MS_CONNECT_STATUS_RECONNECTING)
    *saw_reconnecting = TRUE;
}

static gboolean
track_paused (MsSession  *observer,
              const char *peer_id,
              const char *tag)
{
  MsPeer *peer = ms_store_lookup_peer (ms_session_get_store (observer), peer_id);
  MsTrackInfo *info = peer ? ms_peer_lookup_track (peer, tag) : NULL;

  return info != NULL && ms_track_info_get_paused (info);
}

/* ---- the cases ---- */

static void
test_websocket_blip (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  TestProxy *proxy = proxy_new (server);
  g_autoptr (MsSession) a = test_session_join_url (proxy->url, ROOM, "a", GRANTS_AV);
  g_autoptr (MsSession) b = test_session_join (server, ROOM, "b", GRANTS_AV);
  g_autofree char *a_id = g_strdup (ms_store_get_peer_id (ms_session_get_store (a)));
  const char *b_id = ms_store_get_peer_id (ms_session_get_store (b));
  guint b_saw_removed = 0;
  gboolean a_saw_reconnecting = FALSE;
  guint64 before;

  send_test_track (a, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);
  send_test_track (a, MS_LOCAL_TRACK_TEST_AUDIO, "microphone", TRUE);
  send_test_track (b, MS_LOCAL_TRACK_TEST_AUDIO, "microphone", FALSE);
  WAIT_UNTIL (test_remote_frames (b, a_id, "camera") > 5);
  WAIT_UNTIL (test_remote_frames (a, b_id, "microphone") > 10);
  g_signal_connect (ms_store_get_peers (ms_session_get_store (b)), "items-changed",
                    G_CALLBACK (on_peers_changed), &b_saw_removed);
  g_signal_connect (ms_session_get_store (a), "notify::connect-status", G_CALLBACK (on_status),
                    &a_saw_reconnecting);

  proxy_cut (proxy);
  WAIT_UNTIL (a_saw_reconnecting);
  WAIT_UNTIL (status (a) == MS_CONNECT_STATUS_CONNECTED);
  g_assert_cmpstr (ms_store_get_peer_id (ms_session_get_store (a)), ==, a_id);
  g_assert_null (ms_store_get_error_connection (ms_session_get_store (a)));
  /* What A sends, as it was: the camera live, the microphone paused. */
  g_assert_nonnull (ms_session_lookup_local_track (a, "camera"));
  g_assert_true (ms_track_info_get_paused (ms_store_lookup_own_track (ms_session_get_store (a),
                                                                      "microphone")));

  /* Media both ways again; B never saw A leave. */
  before = test_remote_frames (b, a_id, "camera");
  WAIT_UNTIL (test_remote_frames (b, a_id, "camera") > before + 15);
  WAIT_UNTIL (test_remote_frames (a, b_id, "microphone") > 10);
  g_assert_true (track_paused (b, a_id, "microphone"));
  g_assert_cmpuint (b_saw_removed, ==, 0);
  g_assert_cmpuint (test_server_metric (server, "mediastore_resumes_total"), ==, 1);

  ms_session_close_call (a);
  ms_session_close_call (b);
  proxy_free (proxy);
  test_server_stop (server);
}

static guint16
free_port (void)
{
  guint16 port;
  g_autoptr (GSocket) socket = test_bind_loopback (G_SOCKET_TYPE_STREAM, &port);

  return port;
}

/* Only carried, never fetched: the library shows no pictures. */
#define AVATAR "http://127.0.0.1:9/ann.png"

static void
test_server_restart (void)
{
  g_autofree char *port = g_strdup_printf ("--port=%u", free_port ());
  g_autoptr (TestServer) server = test_server_start (port, NULL);
  g_autoptr (TestServer) again = NULL;
  g_autoptr (MsSession) a = test_session_join (server, ROOM, "a", GRANTS_AV);
  g_autoptr (MsSession) b = test_session_join (server, ROOM, "b", GRANTS_AV);
  g_autofree char *a_id = g_strdup (ms_store_get_peer_id (ms_session_get_store (a)));
  const char *new_a_id;

  g_autoptr (GError) error = NULL;
  MsPeer *seen;

  send_test_track (a, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);
  WAIT_UNTIL (test_remote_frames (b, a_id, "camera") > 5);

  /* A profile chosen in the call (not the token's) ... */
  g_assert_false (ms_session_set_avatar (a, "ftp://127.0.0.1/a.png", &error));
  g_assert_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (ms_session_set_display_name (a, "Ann", &error));
  g_assert_true (ms_session_set_avatar (a, AVATAR, &error));
  g_assert_no_error (error);
  WAIT_UNTIL ((seen = ms_store_lookup_peer (ms_session_get_store (b), a_id)) != NULL &&
              g_strcmp0 (ms_peer_get_avatar (seen), AVATAR) == 0);
  g_assert_cmpstr (ms_peer_get_display_name (seen), ==, "Ann");

  test_server_kill (server);
  WAIT_UNTIL (status (a) == MS_CONNECT_STATUS_RECONNECTING);
  WAIT_UNTIL (status (b) == MS_CONNECT_STATUS_RECONNECTING);

  /* The same address again: both come back by themselves, as new peers,
   * and the store says what happened. */
  again = test_server_start (port, NULL);
  WAIT_UNTIL (status (a) == MS_CONNECT_STATUS_CONNECTED &&
              status (b) == MS_CONNECT_STATUS_CONNECTED);
  new_a_id = ms_store_get_peer_id (ms_session_get_store (a));
  g_assert_cmpstr (new_a_id, !=, a_id);
  g_assert_nonnull (ms_store_get_error_connection (ms_session_get_store (a)));
  WAIT_UNTIL (ms_store_lookup_peer (ms_session_get_store (b), new_a_id) != NULL);
  WAIT_UNTIL (test_remote_frames (b, new_a_id, "camera") > 5);
  /* ... is given again to a server that met us as someone new. */
  seen = ms_store_lookup_peer (ms_session_get_store (b), new_a_id);
  WAIT_UNTIL (g_strcmp0 (ms_peer_get_display_name (seen), "Ann") == 0 &&
              g_strcmp0 (ms_peer_get_avatar (seen), AVATAR) == 0);
  g_assert_cmpstr (ms_store_get_display_name (ms_session_get_store (a)), ==, "Ann");
  g_assert_cmpstr (ms_store_get_avatar (ms_session_get_store (a)), ==, AVATAR);

  ms_session_close_call (a);
  ms_session_close_call (b);
  test_server_stop (again);
}

/* A bot sending camera and microphone, in the call for up to a minute
 * (or until SIGTERM); with @decode it decodes what it receives. */
static GSubprocess *
bot_start (TestServer *server,
           const char *identity,
           gboolean    decode)
{
  g_autoptr (GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *token = test_token (ROOM, identity, GRANTS_AV);
  g_autoptr (GError) error = NULL;
  GSubprocess *bot;

  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "gc-friendly", TRUE);
  bot = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("MEDIASTORE_BOT"),
                                     "--url", test_server_get_url (server), "--token", token,
                                     "--publish", "camera=test-video,microphone=test-audio",
                                     "--stay", "--duration=60",
                                     decode ? "--subscribe" : NULL, NULL);
  g_assert_no_error (error);

  return bot;
}

/* An answer to @offer from a webrtcbin of the test's own that is then
 * given no candidate and gives none: its connection never comes up. */
static char *
answer_never_connecting (const char  *offer,
                         GstElement **pipeline)
{
  GstElement *webrtc = gst_element_factory_make ("webrtcbin", NULL);
  GstWebRTCSessionDescription *answer = NULL;
  g_autoptr (GstWebRTCSessionDescription) remote = NULL;
  GstSDPMessage *sdp = NULL;
  GstPromise *promise;
  char *text;

  *pipeline = gst_pipeline_new (NULL);
  g_object_set (webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  gst_bin_add (GST_BIN (*pipeline), webrtc);
  gst_element_set_state (*pipeline, GST_STATE_PLAYING);

  g_assert_cmpint (gst_sdp_message_new_from_text (offer, &sdp), ==, GST_SDP_OK);
  remote = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  promise = gst_promise_new ();
  g_signal_emit_by_name (webrtc, "set-remote-description", remote, promise);
  gst_promise_wait (promise);
  gst_promise_unref (promise);

  promise = gst_promise_new ();
  g_signal_emit_by_name (webrtc, "create-answer", NULL, promise);
  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  gst_structure_get (gst_promise_get_reply (promise), "answer",
                     GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
  gst_promise_unref (promise);
  g_assert_nonnull (answer);

  promise = gst_promise_new ();
  g_signal_emit_by_name (webrtc, "set-local-description", answer, promise);
  gst_promise_wait (promise);
  gst_promise_unref (promise);

  text = gst_sdp_message_as_text (answer->sdp);
  gst_webrtc_session_description_free (answer);

  return text;
}

/* A subscriber whose connection never comes up (it answers, then no ICE)
 * holds up nobody: the others keep receiving the publisher's video, and
 * the server stays responsive when it goes. webrtcbin holds back what is
 * pushed into it before DTLS, so a consumer fed before that blocked the
 * publisher's forwarding thread, and removing it froze the server. */
static void
test_never_connecting_peer (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (MsSession) a = test_session_join (server, ROOM, "a", GRANTS_AV);
  g_autoptr (MsSession) b = test_session_join (server, ROOM, "b", NULL);
  g_autofree char *a_id = g_strdup (ms_store_get_peer_id (ms_session_get_store (a)));
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (MsMessage) offer = NULL;
  g_autofree char *sdp = NULL;
  g_autofree char *frame = NULL;
  g_autofree char *stuck_id = NULL;
  GstElement *pipeline = NULL;
  TestPeer *stuck;
  guint64 before;

  send_test_track (a, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);
  WAIT_UNTIL (test_remote_frames (b, a_id, "camera") > 5);

  stuck = test_peer_join_full (server, ROOM, "stuck", NULL, TRUE);
  stuck_id = g_strdup (test_peer_get_id (stuck));
  offer = test_peer_expect (stuck, MS_MSG_OFFER);
  g_assert_cmpint (offer->u.offer.pc, ==, MS_PC_SUBSCRIBE);
  sdp = answer_never_connecting (offer->u.offer.sdp, &pipeline);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "answer");
  json_builder_set_member_name (builder, "pc");
  json_builder_add_string_value (builder, "subscribe");
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, sdp);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  frame = json_to_string (root, FALSE);
  test_peer_send_raw (stuck, frame);
  /* Answered: the server has taken it in before it answers this. */
  test_peer_barrier (stuck);

  before = test_remote_frames (b, a_id, "camera");
  WAIT_UNTIL (test_remote_frames (b, a_id, "camera") > before + 15);

  /* Leaving frees its consumers, which froze the server's main loop. */
  test_peer_send (stuck, "{\"type\":\"leave\"}");
  g_assert_cmpuint (test_peer_wait_closed (stuck), ==, 1000);
  test_peer_free (stuck);
  WAIT_UNTIL (ms_store_lookup_peer (ms_session_get_store (b), stuck_id) == NULL);
  before = test_remote_frames (b, a_id, "camera");
  WAIT_UNTIL (test_remote_frames (b, a_id, "camera") > before + 15);
  g_assert_cmpuint (test_server_metric (server, "mediastore_peers"), ==, 2);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  ms_session_close_call (a);
  ms_session_close_call (b);
  test_server_stop (server);
}

/* A bot killed in the middle of a call, twice: each time it is gone
 * after the grace period, its producers and consumers with it, and the
 * room's pipeline is back to the same number of elements. */
static void
test_killed_peer (void)
{
  g_autoptr (TestServer) server = test_server_start ("--grace-period=1", NULL);
  g_autoptr (MsSession) observer = test_session_join (server, ROOM, "observer", GRANTS_AV);
  MsStore *store = ms_session_get_store (observer);
  guint64 elements[2];

  send_test_track (observer, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);
  test_server_wait_metric (server, "mediastore_producers", 1);

  for (guint round = 0; round < 2; round++) {
    g_autofree char *identity = g_strdup_printf ("bot-%u", round);
    g_autoptr (GSubprocess) bot = bot_start (server, identity, TRUE);
    MsPeer *peer;
    g_autofree char *bot_id = NULL;

    WAIT_UNTIL (g_list_model_get_n_items (ms_store_get_peers (store)) == 1);
    peer = g_list_model_get_item (ms_store_get_peers (store), 0);
    bot_id = g_strdup (ms_peer_get_id (peer));
    g_object_unref (peer);
    WAIT_UNTIL (test_remote_frames (observer, bot_id, "camera") > 5);
    test_server_wait_metric (server, "mediastore_consumers", 3);

    g_subprocess_force_exit (bot);
    g_assert_true (g_subprocess_wait (bot, NULL, NULL));
    test_server_wait_metric (server, "mediastore_peers_reconnecting", 1);
    WAIT_UNTIL (ms_store_lookup_peer (store, bot_id) == NULL);
    test_server_wait_metric (server, "mediastore_peers", 1);
    test_server_wait_metric (server, "mediastore_producers", 1);
    test_server_wait_metric (server, "mediastore_consumers", 0);
    elements[round] = test_server_metric (server, "mediastore_media_transports");
  }

  g_assert_cmpuint (elements[1], ==, elements[0]);

  ms_session_close_call (observer);
  test_server_stop (server);
}

/* ---- the network going away, in a private network namespace ---- */

static gboolean
on_outage_over (gpointer user_data)
{
  gint64 *back_at = user_data;

  g_assert_true (test_set_loopback_up (TRUE));
  *back_at = g_get_monotonic_time ();

  return G_SOURCE_REMOVE;
}

static void
test_outage (void)
{
  g_autoptr (TestServer) server = NULL;
  g_autoptr (MsSession) a = NULL;
  g_autoptr (MsSession) b = NULL;
  g_autofree char *a_id = NULL;
  gint64 back_at = 0;
  guint64 before;

  if (!in_private_network) {
    g_test_skip ("Needs a network namespace of its own (root): the outage would cut every "
                 "loopback user on this machine");
    return;
  }

  server = test_server_start (NULL);
  a = test_session_join (server, ROOM, "a", GRANTS_AV);
  b = test_session_join (server, ROOM, "b", GRANTS_AV);
  a_id = g_strdup (ms_store_get_peer_id (ms_session_get_store (a)));
  send_test_track (a, MS_LOCAL_TRACK_TEST_VIDEO, "camera", FALSE);
  WAIT_UNTIL (test_remote_frames (b, a_id, "camera") > 5);

  /* 3 s without any network: the outage is the scenario itself. */
  g_assert_true (test_set_loopback_up (FALSE));
  g_timeout_add_seconds (3, on_outage_over, &back_at);
  WAIT_UNTIL (back_at != 0);
  before = test_remote_frames (b, a_id, "camera");

  /* A second of new video (15 frames) within 5 s of the network's return. */
  WAIT_UNTIL (test_remote_frames (b, a_id, "camera") >= before + 15 ||
              g_get_monotonic_time () - back_at > 5 * G_USEC_PER_SEC);
  g_test_message ("video back %.2f s after the outage",
                  (g_get_monotonic_time () - back_at) / (double) G_USEC_PER_SEC);
  g_assert_cmpuint (test_remote_frames (b, a_id, "camera"), >=, before + 15);

  ms_session_close_call (a);
  ms_session_close_call (b);
  test_server_stop (server);
}

/* ---- loss and joins: what a receiver sees of a 640x360@30 camera ---- */

#define LOSS_TABLE "mediastore_loss"
/* The span over which loss is measured: the scenario itself. */
#define LOSS_WINDOW_SECONDS 15

static gboolean
on_window_over (gpointer user_data)
{
  gboolean *over = user_data;

  *over = TRUE;
  return G_SOURCE_REMOVE;
}

/* Lets the call run for @seconds: the length of a measurement, not a wait
 * for something to happen. */
static void
run_for (guint seconds)
{
  gboolean over = FALSE;

  g_timeout_add_seconds (seconds, on_window_over, &over);
  while (!over)
    g_main_context_iteration (NULL, TRUE);
}

/* From now on, every UDP send in this network namespace (media, STUN,
 * DTLS; the WebSocket is TCP) is dropped with probability @permille/1000.
 * A first rule counts them all, the second what it dropped. */
static void
loss_start (guint permille)
{
  g_autofree char *below = g_strdup_printf ("%u", permille);
  const char *count[] = { "add", "rule", "inet", LOSS_TABLE, "out",
                          "meta", "l4proto", "udp", "counter", NULL };
  const char *drop[] = { "add", "rule", "inet", LOSS_TABLE, "out",
                         "meta", "l4proto", "udp", "numgen", "random", "mod", "1000",
                         "<", below, "counter", "drop", NULL };

  test_nft_output_chain (LOSS_TABLE);
  g_free (test_nft (count));
  g_free (test_nft (drop));
}

/* Removes the rules; returns how many UDP packets were sent and dropped. */
static void
loss_stop (guint64 *sent,
           guint64 *dropped)
{
  const char *list[] = { "list", "table", "inet", LOSS_TABLE, NULL };
  g_autofree char *text = test_nft (list);
  const char *first = strstr (text, "counter packets ");
  const char *second = first ? strstr (first + 1, "counter packets ") : NULL;

  test_nft_delete_table (LOSS_TABLE);
  g_assert_nonnull (second);
  *sent = g_ascii_strtoull (first + strlen ("counter packets "), NULL, 10);
  *dropped = g_ascii_strtoull (second + strlen ("counter packets "), NULL, 10);
}

static MsLocalTrack *
send_camera_640x360 (MsSession *session)
{
  g_autoptr (MsLocalTrack) track = ms_local_track_new (MS_LOCAL_TRACK_TEST_VIDEO, NULL);
  g_autoptr (GError) error = NULL;

  ms_local_track_set_video_format (track, 640, 360, 30);
  g_assert_true (ms_session_send_track (session, track, "camera", FALSE, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&track);
}

typedef struct {
  guint   permille;       /* of UDP sends dropped */
  double  min_received;   /* share of the frames sent */
  gint64  max_gap_ms;     /* longest freeze allowed; 0: not checked */
} LossCase;

static const LossCase loss_none = { 0, 0.99, 0 };
/* RTCP from both peers of a call without loss (test_loss). */
#define MAX_RTCP_PER_SECOND 6
/* The server's workers' wake-ups meanwhile: about one or two for each of
 * B's 30 frames a second, and no timer of their own at a fixed rate (at
 * 10 ms router ticks it was 155 a second). */
#define MAX_WAKEUPS_PER_SECOND 90
static const LossCase loss_2 = { 20, 0.97, 200 };
static const LossCase loss_5 = { 50, 0.95, 300 };

/* B sends 640x360 at 30 frames per second to A while every UDP send,
 * B's to the server and the server's to A alike, may be dropped. (The
 * rule sees a send before the kernel cuts it into datagrams: the server
 * sends a frame to A as one, so its drop takes the whole frame, harder to
 * repair than the loss of single datagrams on a real network.) Over the
 * window: how many of the frames B encoded A decoded, and A's longest
 * freeze (from A's first frame on, so a hiccup at the start counts too,
 * and up to the window's end, so does a freeze that has not ended). */
static void
test_loss (gconstpointer data)
{
  const LossCase *loss = data;
  g_autoptr (TestServer) server = NULL;
  g_autoptr (MsSession) a = NULL;
  g_autoptr (MsSession) b = NULL;
  g_autoptr (MsLocalTrack) camera = NULL;
  const char *b_id;
  MsTrackStats before, after;
  guint64 sent_before, sent, received, udp_sent = 0, udp_dropped = 0;
  guint64 rtcp_before, rtcp, resent_before, resent, woke_before, woke;
  gint64 freeze_ms;
  double share;

  if (!in_private_network) {
    g_test_fail_printf ("Needs a network namespace of its own (root, as in CI) to drop "
                        "packets with nftables without hurting anyone else; it has none");
    return;
  }

  server = test_server_start (NULL);
  a = test_session_join (server, ROOM, "a", NULL);
  b = test_session_join (server, ROOM, "b", GRANTS_AV);
  b_id = ms_store_get_peer_id (ms_session_get_store (b));
  camera = send_camera_640x360 (b);
  /* A second of video before the loss starts. */
  WAIT_UNTIL (test_remote_frames (a, b_id, "camera") >= 30);

  loss_start (loss->permille);
  rtcp_before = test_server_metric (server, "mediastore_rtcp_received_total");
  resent_before = test_server_metric (server, "mediastore_retransmitted_packets_total");
  woke_before = test_server_engine_wakeups (server);
  before = test_remote_stats (a, b_id, "camera");
  sent_before = ms_local_track_get_frames_sent (camera);
  run_for (LOSS_WINDOW_SECONDS);
  after = test_remote_stats (a, b_id, "camera");
  freeze_ms = test_stats_freeze_us (&after) / 1000;
  sent = ms_local_track_get_frames_sent (camera) - sent_before;
  rtcp = test_server_metric (server, "mediastore_rtcp_received_total") - rtcp_before;
  resent = test_server_metric (server, "mediastore_retransmitted_packets_total") - resent_before;
  woke = test_server_engine_wakeups (server) - woke_before;
  loss_stop (&udp_sent, &udp_dropped);

  received = after.frames - before.frames;
  share = sent > 0 ? (double) received / sent : 0.0;
  g_test_message ("%.1f %% of UDP sends dropped (%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                  "): %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " frames decoded "
                  "(%.1f %%) in %u s, longest freeze %" G_GINT64_FORMAT " ms, %"
                  G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " RTP packets lost after the "
                  "jitterbuffer",
                  udp_sent ? 100.0 * udp_dropped / udp_sent : 0.0, udp_dropped, udp_sent,
                  received, sent, 100.0 * share, LOSS_WINDOW_SECONDS, freeze_ms,
                  after.packets_lost - before.packets_lost,
                  after.packets - before.packets + after.packets_lost - before.packets_lost);
  g_test_message ("server: %" G_GUINT64_FORMAT " RTCP packets received, %" G_GUINT64_FORMAT
                  " wake-ups of its workers and %"
                  G_GUINT64_FORMAT " packets sent again for NACKs in the window; in all %"
                  G_GUINT64_FORMAT " packets sent again, %"
                  G_GUINT64_FORMAT " NACKed to the publisher, %" G_GUINT64_FORMAT
                  " keyframe requests", rtcp, woke, resent,
                  test_server_metric (server, "mediastore_retransmitted_packets_total"),
                  test_server_metric (server, "mediastore_nacks_sent_total"),
                  test_server_metric (server, "mediastore_keyframe_requests_total"));

  ms_session_close_call (a);
  ms_session_close_call (b);
  test_server_stop (server);

  /* The publisher kept its rate (two thirds of it at least), and the
   * rules dropped what they were set to: else the share means nothing. */
  g_assert_cmpuint (sent, >=, LOSS_WINDOW_SECONDS * 20);
  if (loss->permille > 0)
    g_assert_cmpuint (udp_dropped, >, 0);
  else
    g_assert_cmpuint (udp_dropped, ==, 0);
  /* Without loss, the server hears regular reports only: A's about once
   * a second, B's sender reports about twice (ms-peer-connection.c), and
   * a keyframe request or two. Reports every 10 ms had been 94 a second. */
  if (loss->permille == 0 && rtcp > LOSS_WINDOW_SECONDS * MAX_RTCP_PER_SECOND)
    g_test_fail_printf ("The server received %" G_GUINT64_FORMAT " RTCP packets in %u s, "
                        "at most %u a second expected", rtcp, LOSS_WINDOW_SECONDS,
                        MAX_RTCP_PER_SECOND);
  if (loss->permille == 0 && woke > LOSS_WINDOW_SECONDS * MAX_WAKEUPS_PER_SECOND)
    g_test_fail_printf ("The server's workers woke %" G_GUINT64_FORMAT " times in %u s, "
                        "at most %u a second expected", woke, LOSS_WINDOW_SECONDS,
                        MAX_WAKEUPS_PER_SECOND);
  /* A missed threshold fails this case, and the run goes on: the other
   * cases still measure. */
  if (share < loss->min_received)
    g_test_fail_printf ("%.1f %% of the frames decoded, at least %.0f %% expected",
                        100.0 * share, 100.0 * loss->min_received);
  /* A sanitizer build runs media several times slower
   * (MEDIASTORE_TEST_TIMEOUT_SCALE): the freeze it may show grows alike. */
  if (loss->max_gap_ms > 0 && freeze_ms > loss->max_gap_ms * (gint64) test_timeout_scale ())
    g_test_fail_printf ("Froze for %" G_GINT64_FORMAT " ms, at most %" G_GINT64_FORMAT
                        " ms expected (and %.1f %% of the frames decoded)",
                        freeze_ms, loss->max_gap_ms * (gint64) test_timeout_scale (),
                        100.0 * share);
}

/* The one peer in @session's store that is not in @known, waited for. */
static char *
wait_new_peer (MsSession *session,
               GPtrArray *known)
{
  GListModel *peers = ms_store_get_peers (ms_session_get_store (session));
  char *found = NULL;

  WAIT_UNTIL (g_list_model_get_n_items (peers) > known->len);
  for (guint i = 0; i < g_list_model_get_n_items (peers) && found == NULL; i++) {
    g_autoptr (MsPeer) peer = g_list_model_get_item (peers, i);

    if (!g_ptr_array_find_with_equal_func (known, ms_peer_get_id (peer), g_str_equal, NULL))
      found = g_strdup (ms_peer_get_id (peer));
  }
  g_assert_nonnull (found);
  g_ptr_array_add (known, g_strdup (found));

  return found;
}

/* Like WAIT_FRAMES, but video that stops is a result to report, not a
 * hang: FALSE when the frames did not come within TEST_TIMEOUT_SECONDS. */
static gboolean
frames_arrive (MsSession  *session,
               const char *peer_id,
               const char *tag,
               guint64     n)
{
  guint64 base = test_remote_frames (session, peer_id, tag);
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;
  guint wake = test_wake_source_add ();
  gboolean arrived;

  while (!(arrived = test_remote_frames (session, peer_id, tag) >= base + n) &&
         g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (wake);

  return arrived;
}

static void
bot_leave (GSubprocess *bot)
{
  g_subprocess_send_signal (bot, SIGTERM);
  g_assert_true (g_subprocess_wait_check (bot, NULL, NULL));
}

#define JOINERS 3
#define LEAVERS 2

/* While A receives B's 640x360@30 camera, three more people join, one
 * after another, each sending camera and microphone, and then two of them
 * leave. A's video from B must never freeze longer than 150 ms, and its
 * RTP sequence must have no gap: a join or a leave touches only its own
 * tracks. */
/* The server hears nothing from its clients' media for longer than its
 * consent timeout (every UDP datagram to its media ports dropped): it
 * drops their transports and says so (media-failed); once the network is
 * back, the publisher offers again and the subscriber answers the new
 * offer, and video flows again without anyone leaving the call. */
static void
test_consent_lost (void)
{
  g_autoptr (TestServer) server = NULL;
  g_autoptr (MsSession) a = NULL;
  g_autoptr (MsSession) b = NULL;
  g_autoptr (MsLocalTrack) camera = NULL;
  g_autoptr (GString) ports = g_string_new ("{ ");
  g_autofree char *consent = NULL;
  const char *drop[] = { "add", "rule", "inet", LOSS_TABLE, "out", "udp", "dport", NULL, "drop",
                         NULL };
  const char *b_id;
  guint64 before;
  gint64 back_at;
  GArray *media_ports;

  if (!in_private_network) {
    g_test_fail_printf ("Needs a network namespace of its own (root, as in CI) to cut the "
                        "media ports with nftables without hurting anyone else; it has none");
    return;
  }

  /* A sanitizer build's client takes longer to connect (and to send its
   * first SRTCP) than the 2 s an ordinary build is given. */
  consent = g_strdup_printf ("--media-consent-timeout=%u", 2 * test_timeout_scale ());
  server = test_server_start (consent, NULL);
  media_ports = test_server_get_media_ports (server);
  for (guint i = 0; i < media_ports->len; i++)
    g_string_append_printf (ports, "%s%u", i ? ", " : "", g_array_index (media_ports, guint16, i));
  g_string_append (ports, " }");
  drop[7] = ports->str;

  a = test_session_join (server, ROOM, "a", NULL);
  b = test_session_join (server, ROOM, "b", GRANTS_AV);
  b_id = ms_store_get_peer_id (ms_session_get_store (b));
  camera = send_camera_640x360 (b);
  WAIT_UNTIL (test_remote_frames (a, b_id, "camera") >= 30);

  test_nft_output_chain (LOSS_TABLE);
  g_free (test_nft (drop));
  /* Longer than the consent timeout: both transports go (the server's
   * consent, or the client's ICE when it gives up first, as under a
   * sanitizer), and then the ones made again meanwhile, which never
   * connect. By B's third publish transport, B has dropped a publish
   * PeerConnection whose DTLS never came up, with its track's push held
   * inside (ms-publisher.c). */
  WAIT_UNTIL (test_server_metric (server, "mediastore_media_transports_failed_total") >= 1);
  WAIT_UNTIL (test_server_metric (server,
                                  "mediastore_media_transports_created_total{pc=\"publish\"}")
              >= 3);
  test_nft_delete_table (LOSS_TABLE);
  back_at = g_get_monotonic_time ();
  before = test_remote_frames (a, b_id, "camera");

  /* A second of video again (the track may be a new object: count from 0). */
  WAIT_UNTIL (test_remote_frames (a, b_id, "camera") >= before + 30 ||
              (test_remote_frames (a, b_id, "camera") >= 30 &&
               test_remote_frames (a, b_id, "camera") < before));
  g_test_message ("video back %.2f s after the media ports were reachable again",
                  (g_get_monotonic_time () - back_at) / (double) G_USEC_PER_SEC);
  g_assert_cmpuint (ms_store_get_connect_status (ms_session_get_store (a)), ==,
                    MS_CONNECT_STATUS_CONNECTED);

  ms_session_close_call (a);
  ms_session_close_call (b);
  test_server_stop (server);
}

static void
test_joins (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (MsSession) a = test_session_join (server, ROOM, "a", NULL);
  g_autoptr (MsSession) b = test_session_join (server, ROOM, "b", GRANTS_AV);
  g_autoptr (GPtrArray) known = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) bots = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (MsLocalTrack) camera = NULL;
  g_autofree char *stalled = NULL;   /* the event B's video did not come back from */
  const char *b_id = ms_store_get_peer_id (ms_session_get_store (b));
  MsTrackStats before, after;
  guint64 sent_before, sent;
  gint64 freeze_ms;
  guint left = 0;

  g_ptr_array_add (known, g_strdup (b_id));
  camera = send_camera_640x360 (b);
  WAIT_UNTIL (test_remote_frames (a, b_id, "camera") >= 30);
  before = test_remote_stats (a, b_id, "camera");
  sent_before = ms_local_track_get_frames_sent (camera);

  /* Each joins once A receives the one before (A's tracks have changed),
   * with a second of B's video in between. The bots count what they
   * receive without decoding it: the two cores here are for the call. */
  for (guint i = 0; i < JOINERS && stalled == NULL; i++) {
    g_autofree char *identity = g_strdup_printf ("joiner-%u", i);
    g_autofree char *id = NULL;

    g_ptr_array_add (bots, bot_start (server, identity, FALSE));
    id = wait_new_peer (a, known);
    if (!frames_arrive (a, id, "camera", 5) || !frames_arrive (a, b_id, "camera", 30))
      stalled = g_strdup_printf ("join %u", i + 1);
  }
  for (; left < LEAVERS && stalled == NULL; left++) {
    const char *id = g_ptr_array_index (known, left + 1);

    bot_leave (g_ptr_array_index (bots, left));
    WAIT_UNTIL (ms_store_lookup_peer (ms_session_get_store (a), id) == NULL);
    /* Two seconds: the leave's renegotiation, and video after it. */
    if (!frames_arrive (a, b_id, "camera", 60))
      stalled = g_strdup_printf ("leave %u", left + 1);
  }

  after = test_remote_stats (a, b_id, "camera");
  freeze_ms = test_stats_freeze_us (&after) / 1000;
  sent = ms_local_track_get_frames_sent (camera) - sent_before;
  g_test_message ("%u joins and %u leaves%s%s: A decoded %" G_GUINT64_FORMAT " of the %"
                  G_GUINT64_FORMAT " frames B sent meanwhile (%.1f %%), longest freeze %"
                  G_GINT64_FORMAT " ms, %" G_GUINT64_FORMAT " RTP packets missing from its "
                  "sequence", JOINERS, LEAVERS, stalled ? ", no video within the time limit after " : "",
                  stalled ? stalled : "", after.frames - before.frames, sent,
                  sent ? 100.0 * (after.frames - before.frames) / sent : 0.0, freeze_ms,
                  after.packets_lost - before.packets_lost);

  for (guint i = left; i < bots->len; i++)
    bot_leave (g_ptr_array_index (bots, i));
  ms_session_close_call (a);
  ms_session_close_call (b);
  test_server_stop (server);

  /* As above: a missed threshold fails this case only. The sequence is
   * counted after the jitterbuffer: a renumbered or restarted stream (a
   * new consumer, a reset sequence) shows as a jump of hundreds to tens of
   * thousands; a handful is the jitterbuffer dropping packets that came
   * late while the machine's two cores were busy with the joins (seen: 3
   * of 1400 once in CI, with the freeze still under the limit). */
  if (stalled != NULL || freeze_ms > 150 * (gint64) test_timeout_scale () ||
      after.packets_lost - before.packets_lost > 5 * test_timeout_scale ())
    g_test_fail_printf ("Longest freeze %" G_GINT64_FORMAT " ms (at most %u ms)%s%s, %"
                        G_GUINT64_FORMAT " packets missing from the RTP sequence (at most %u)",
                        freeze_ms, 150 * test_timeout_scale (), stalled ? ", no video after " : "",
                        stalled ? stalled : "", after.packets_lost - before.packets_lost,
                        5 * test_timeout_scale ());
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  /* Everything here runs in a network of its own when root allows it:
   * the server and bots inherit it, and an outage hurts no one else. */
  if (test_enter_private_network ())
    in_private_network = TRUE;
  else
    g_test_message ("No private network namespace (%s): the outage case is skipped, the "
                    "loss cases fail", g_strerror (errno));

  g_test_add_func ("/resilience/websocket-blip", test_websocket_blip);
  g_test_add_func ("/resilience/server-restart", test_server_restart);
  g_test_add_func ("/resilience/killed-peer", test_killed_peer);
  g_test_add_func ("/resilience/never-connecting-peer", test_never_connecting_peer);
  g_test_add_func ("/resilience/outage", test_outage);
  /* Measurements of what a user sees (tests/meson.build runs them as
   * the suite "quality", outside the sanitizer builds). */
  if (g_strcmp0 (g_getenv ("MEDIASTORE_TEST_QUALITY"), "1") == 0) {
    g_test_add_data_func ("/resilience/quality/loss-baseline", &loss_none, test_loss);
    g_test_add_data_func ("/resilience/quality/loss-2-percent", &loss_2, test_loss);
    g_test_add_data_func ("/resilience/quality/loss-5-percent", &loss_5, test_loss);
    g_test_add_func ("/resilience/quality/joins", test_joins);
  }
  g_test_add_func ("/resilience/consent-lost", test_consent_lost);

  ret = g_test_run ();
  return test_media_deinit (ret);
}
