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
 *   test's own (root only; skipped otherwise): media back within 5 s.
 */

#include "config.h"

#define _GNU_SOURCE 1   /* unshare() */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
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
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any_port, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
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

static GSubprocess *
bot_start (TestServer *server,
           const char *identity)
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
                                     "--subscribe", "--stay", "--duration=60", NULL);
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
    g_autoptr (GSubprocess) bot = bot_start (server, identity);
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
set_loopback_up (gboolean up)
{
  struct ifreq ifr = { 0 };
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  gboolean ok;

  g_strlcpy (ifr.ifr_name, "lo", sizeof ifr.ifr_name);
  ok = fd >= 0 && ioctl (fd, SIOCGIFFLAGS, &ifr) == 0;
  if (ok) {
    ifr.ifr_flags = up ? (ifr.ifr_flags | IFF_UP) : (ifr.ifr_flags & ~IFF_UP);
    ok = ioctl (fd, SIOCSIFFLAGS, &ifr) == 0;
  }
  if (fd >= 0)
    close (fd);

  return ok;
}

static gboolean
on_outage_over (gpointer user_data)
{
  gint64 *back_at = user_data;

  g_assert_true (set_loopback_up (TRUE));
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
  g_assert_true (set_loopback_up (FALSE));
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

static void
test_packet_loss (void)
{
  g_test_skip ("Needs the netem queueing discipline, which this kernel lacks "
               "(tc: \"Specified qdisc kind is unknown\")");
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
  if (unshare (CLONE_NEWNET) == 0 && set_loopback_up (TRUE))
    in_private_network = TRUE;
  else
    g_test_message ("No private network namespace (%s): the outage case is skipped",
                    g_strerror (errno));

  g_test_add_func ("/resilience/websocket-blip", test_websocket_blip);
  g_test_add_func ("/resilience/server-restart", test_server_restart);
  g_test_add_func ("/resilience/killed-peer", test_killed_peer);
  g_test_add_func ("/resilience/never-connecting-peer", test_never_connecting_peer);
  g_test_add_func ("/resilience/outage", test_outage);
  g_test_add_func ("/resilience/packet-loss", test_packet_loss);

  ret = g_test_run ();
  /* Joins the streaming threads, and frees what they keep, before the
   * leak checker of a sanitizer build looks. */
  gst_deinit ();

  return ret;
}
