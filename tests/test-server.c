/* test-server.c: the signaling server, over real WebSockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every test starts the real mediastore-server binary on 127.0.0.1 and
 * talks to it the way any client would. To show that something did NOT
 * happen, a peer sends a barrier request and waits for its answer: the
 * server handles frames in order, so anything it would have sent first
 * has arrived by then.
 */

#include "config.h"

#include "ms-token.h"
#include "test-utils.h"

#define GRANTS_CHAT "{\"send_messages\":[\"chat\"],\"recv_messages\":[\"chat\"]}"
/* Offers with real SDP (one or two video m-lines), as JSON strings. */
#define SDP_HEAD "v=0\\r\\no=- 1 1 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n"
#define SDP_VIDEO(mid) \
  "m=video 9 UDP/TLS/RTP/SAVPF 96\\r\\nc=IN IP4 0.0.0.0\\r\\na=mid:" mid "\\r\\n" \
  "a=sendonly\\r\\na=rtcp-mux\\r\\na=rtpmap:96 VP8/90000\\r\\n" \
  "a=ssrc:1" mid "1 cname:test\\r\\n" \
  "a=ice-ufrag:test\\r\\na=ice-pwd:testtesttesttesttesttest\\r\\na=setup:actpass\\r\\n" \
  "a=fingerprint:sha-256 " \
  "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF" \
  "\\r\\n"
#define SDP_0  SDP_HEAD "a=group:BUNDLE 0\\r\\n" SDP_VIDEO ("0")
/* Offers the media engine cannot use, each for one reason. */
#define SDP_NO_BUNDLE SDP_HEAD SDP_VIDEO ("0")
#define SDP_NO_FINGERPRINT SDP_HEAD "a=group:BUNDLE 0\\r\\n" \
  "m=video 9 UDP/TLS/RTP/SAVPF 96\\r\\nc=IN IP4 0.0.0.0\\r\\na=mid:0\\r\\n" \
  "a=sendonly\\r\\na=rtcp-mux\\r\\na=rtpmap:96 VP8/90000\\r\\na=ssrc:101 cname:test\\r\\n" \
  "a=ice-ufrag:test\\r\\na=ice-pwd:testtesttesttesttesttest\\r\\na=setup:actpass\\r\\n"
#define SDP_H264 SDP_HEAD "a=group:BUNDLE 0\\r\\n" \
  "m=video 9 UDP/TLS/RTP/SAVPF 102\\r\\nc=IN IP4 0.0.0.0\\r\\na=mid:0\\r\\n" \
  "a=sendonly\\r\\na=rtcp-mux\\r\\na=rtpmap:102 H264/90000\\r\\na=ssrc:101 cname:test\\r\\n" \
  "a=ice-ufrag:test\\r\\na=ice-pwd:testtesttesttesttesttest\\r\\na=setup:actpass\\r\\n" \
  "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:" \
  "77:88:99:AA:BB:CC:DD:EE:FF\\r\\n"
#define SDP_01 SDP_HEAD "a=group:BUNDLE 0 1\\r\\n" SDP_VIDEO ("0") SDP_VIDEO ("1")

#define GRANTS_ALL  "{\"send_tracks\":[\"*\"],\"send_messages\":[\"*\"],\"can_hide\":true}"

static void
assert_peer_ids (GPtrArray  *peers,
                 const char *first,
                 ...)
{
  va_list args;
  guint n = 0;

  va_start (args, first);
  for (const char *id = first; id != NULL; id = va_arg (args, const char *), n++) {
    g_assert_cmpuint (n, <, peers->len);
    g_assert_cmpstr (((MsPeerDesc *) g_ptr_array_index (peers, n))->id, ==, id);
  }
  va_end (args);

  g_assert_cmpuint (peers->len, ==, n);
}

static void
expect_joined (TestPeer   *peer,
               const char *peer_id)
{
  g_autoptr (MsMessage) event = test_peer_expect (peer, MS_MSG_PEER_JOINED);

  g_assert_cmpstr (event->u.peer.peer->id, ==, peer_id);
}

static void
expect_left (TestPeer   *peer,
             const char *peer_id)
{
  g_autoptr (MsMessage) event = test_peer_expect (peer, MS_MSG_PEER_LEFT);

  g_assert_cmpstr (event->u.peer_left.peer_id, ==, peer_id);
}

static void
expect_ok (TestPeer *peer,
           gint64    id)
{
  g_autoptr (MsMessage) ok = test_peer_expect (peer, MS_MSG_OK);

  g_assert_true (ok->has_id);
  g_assert_cmpint (ok->id, ==, id);
}

static void
test_join_welcome (void)
{
  g_autoptr (TestServer) server = test_server_start ("--ice-urls=stun:127.0.0.1:3478", NULL);
  g_autoptr (TestPeer) peer = test_peer_connect (server);
  g_autofree char *token = test_token ("standup", "alice",
                                       "{\"send_tracks\":[\"camera\"],\"send_messages\":[\"chat\"],"
                                       "\"recv_messages\":[\"chat\"],\"can_hide\":true}");
  g_autoptr (MsMessage) welcome = NULL;
  MsIceServer *ice;

  test_peer_send (peer, "{\"type\":\"join\",\"id\":1,\"protocol\":1,\"token\":\"%s\","
                  "\"display_name\":\"Alice A.\"}", token);
  welcome = test_peer_expect (peer, MS_MSG_WELCOME);

  g_assert_true (ms_validate_identifier (welcome->u.welcome.peer_id, 64));
  g_assert_cmpstr (welcome->u.welcome.room, ==, "standup");
  g_assert_cmpstr (welcome->u.welcome.display_name, ==, "Alice A.");
  g_assert_null (welcome->u.welcome.avatar);
  g_assert_false (welcome->u.welcome.hidden);
  g_assert_cmpstrv (welcome->u.welcome.grants.send_tracks, ((const char *[]) { "camera", NULL }));
  g_assert_cmpstrv (welcome->u.welcome.grants.recv_tracks, ((const char *[]) { "*", NULL }));
  g_assert_cmpstrv (welcome->u.welcome.grants.send_messages, ((const char *[]) { "chat", NULL }));
  g_assert_true (welcome->u.welcome.grants.can_hide);
  g_assert_cmpuint (welcome->u.welcome.peers->len, ==, 0);
  g_assert_cmpuint (strlen (welcome->u.welcome.resume), >=, 32);
  g_assert_cmpstr (welcome->u.welcome.server_version, ==, PACKAGE_VERSION);
  g_assert_cmpuint (welcome->u.welcome.ice_servers->len, ==, 1);
  ice = g_ptr_array_index (welcome->u.welcome.ice_servers, 0);
  g_assert_cmpstrv (ice->urls, ((const char *[]) { "stun:127.0.0.1:3478", NULL }));

  /* Joining twice on one connection is refused, and nothing else changes. */
  test_peer_send (peer, "{\"type\":\"join\",\"id\":2,\"protocol\":1,\"token\":\"%s\"}", token);
  test_peer_expect_error (peer, MS_PROTOCOL_ERROR_BAD_REQUEST, 2);
  g_assert_true (test_peer_is_open (peer));

  test_server_stop (server);
}

/* The host grant of a token shows in the Peer object the others get:
 * welcome.peers, peer-joined and peer-updated; absent without it. */
static void
test_host_grant (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) host = test_peer_join (server, "r", "host", "{\"host\":true}");
  g_autoptr (TestPeer) guest = NULL;
  g_autoptr (TestPeer) late = test_peer_connect (server);
  g_autofree char *token = test_token ("r", "late", NULL);
  g_autoptr (MsMessage) joined = NULL;
  g_autoptr (MsMessage) updated = NULL;
  g_autoptr (MsMessage) welcome = NULL;
  g_autofree char *minted = NULL;
  guint status = 0;
  const MsPeerDesc *first, *second;

  guest = test_peer_join (server, "r", "guest", NULL);
  joined = test_peer_expect (host, MS_MSG_PEER_JOINED);
  g_assert_cmpstr (joined->u.peer.peer->id, ==, test_peer_get_id (guest));
  g_assert_false (joined->u.peer.peer->host);

  test_peer_send (late, "{\"type\":\"join\",\"id\":1,\"protocol\":1,\"token\":\"%s\"}", token);
  welcome = test_peer_expect (late, MS_MSG_WELCOME);
  g_assert_false (welcome->u.welcome.grants.host);
  g_assert_cmpuint (welcome->u.welcome.peers->len, ==, 2);
  first = g_ptr_array_index (welcome->u.welcome.peers, 0);
  second = g_ptr_array_index (welcome->u.welcome.peers, 1);
  g_assert_cmpstr (first->id, ==, test_peer_get_id (host));
  g_assert_true (first->host);
  g_assert_cmpstr (second->id, ==, test_peer_get_id (guest));
  g_assert_false (second->host);

  /* The guest saw the host in its own welcome, and sees it updated. */
  test_peer_send (host, "{\"type\":\"set-profile\",\"id\":2,\"display_name\":\"The Host\"}");
  updated = test_peer_expect (guest, MS_MSG_PEER_JOINED);
  g_assert_cmpstr (updated->u.peer.peer->id, ==, welcome->u.welcome.peer_id);
  g_assert_false (updated->u.peer.peer->host);
  g_clear_pointer (&updated, ms_message_free);
  updated = test_peer_expect (guest, MS_MSG_PEER_UPDATED);
  g_assert_cmpstr (updated->u.peer.peer->display_name, ==, "The Host");
  g_assert_true (updated->u.peer.peer->host);

  /* POST /v1/token takes the grant, and refuses it when not a boolean. */
  minted = test_server_http (server, "POST", "/v1/token", MS_DEV_SECRET,
                             "{\"room\":\"r\",\"identity\":\"h2\",\"grants\":{\"host\":\"yes\"}}",
                             &status);
  g_assert_cmpuint (status, ==, 400);
  g_clear_pointer (&minted, g_free);
  minted = test_server_http (server, "POST", "/v1/token", MS_DEV_SECRET,
                             "{\"room\":\"r\",\"identity\":\"h2\",\"grants\":{\"host\":true}}",
                             &status);
  g_assert_cmpuint (status, ==, 200);

  test_server_stop (server);
}

static void
test_first_message_must_be_join (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) peer = test_peer_connect (server);

  test_peer_send (peer, "{\"type\":\"message\",\"id\":5,\"msg_type\":\"chat\",\"body\":1}");
  test_peer_expect_error (peer, MS_PROTOCOL_ERROR_BAD_REQUEST, 5);
  g_assert_true (test_peer_is_open (peer));

  test_server_stop (server);
}

static void
test_join_timeout (void)
{
  g_autoptr (TestServer) server = test_server_start ("--join-timeout=1", NULL);
  g_autoptr (TestPeer) peer = test_peer_connect (server);

  test_peer_expect_error (peer, MS_PROTOCOL_ERROR_UNAUTHORIZED, -1);
  g_assert_cmpuint (test_peer_wait_closed (peer), ==, MS_CLOSE_UNAUTHORIZED);

  test_server_stop (server);
}

static void
test_presence (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) a = test_peer_join (server, "room1", "alice", NULL);
  g_autoptr (TestPeer) b = NULL;
  g_autoptr (TestPeer) c = NULL;
  g_autoptr (TestPeer) other_room = NULL;
  g_autoptr (MsMessage) welcome = NULL;
  g_autofree char *token = test_token ("room1", "carol", NULL);

  b = test_peer_join (server, "room1", "bob", NULL);
  expect_joined (a, test_peer_get_id (b));

  c = test_peer_connect (server);
  test_peer_send (c, "{\"type\":\"join\",\"protocol\":1,\"token\":\"%s\"}", token);
  welcome = test_peer_expect (c, MS_MSG_WELCOME);
  assert_peer_ids (welcome->u.welcome.peers, test_peer_get_id (a), test_peer_get_id (b), NULL);
  expect_joined (a, welcome->u.welcome.peer_id);
  expect_joined (b, welcome->u.welcome.peer_id);

  /* Another room sees none of it, and is not seen. */
  other_room = test_peer_join (server, "room2", "dave", NULL);

  test_peer_send (b, "{\"type\":\"leave\",\"id\":9}");
  expect_ok (b, 9);
  g_assert_cmpuint (test_peer_wait_closed (b), ==, SOUP_WEBSOCKET_CLOSE_NORMAL);
  expect_left (a, test_peer_get_id (b));
  expect_left (c, test_peer_get_id (b));

  test_peer_barrier (a);
  test_peer_barrier (other_room);
  test_peer_assert_quiet (a);
  test_peer_assert_quiet (other_room);

  test_server_stop (server);
}

static void
test_profile (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) a = test_peer_join (server, "r", "alice", NULL);
  g_autoptr (TestPeer) b = test_peer_join (server, "r", "bob", NULL);
  g_autoptr (MsMessage) updated = NULL;

  expect_joined (a, test_peer_get_id (b));
  test_peer_send (b, "{\"type\":\"set-profile\",\"id\":3,\"display_name\":\"Robert\","
                  "\"avatar\":\"https://example.org/r.png\"}");
  expect_ok (b, 3);
  updated = test_peer_expect (a, MS_MSG_PEER_UPDATED);
  g_assert_cmpstr (updated->u.peer.peer->id, ==, test_peer_get_id (b));
  g_assert_cmpstr (updated->u.peer.peer->display_name, ==, "Robert");
  g_assert_cmpstr (updated->u.peer.peer->avatar, ==, "https://example.org/r.png");

  test_server_stop (server);
}

static void
test_message_grants (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) sender = test_peer_join (server, "r", "sender", GRANTS_CHAT);
  g_autoptr (TestPeer) reader = test_peer_join (server, "r", "reader",
                                                "{\"recv_messages\":[\"chat\"]}");
  g_autoptr (TestPeer) deaf = test_peer_join (server, "r", "deaf", "{\"recv_messages\":[]}");
  g_autoptr (TestPeer) mute = test_peer_join (server, "r", "mute", NULL);
  g_autoptr (MsMessage) got = NULL;

  expect_joined (sender, test_peer_get_id (reader));
  expect_joined (sender, test_peer_get_id (deaf));
  expect_joined (sender, test_peer_get_id (mute));

  /* Allowed type: delivered to whoever may receive it, not to the sender. */
  test_peer_send (sender, "{\"type\":\"message\",\"id\":1,\"msg_type\":\"chat\","
                  "\"body\":{\"text\":\"hello\"}}");
  expect_joined (reader, test_peer_get_id (deaf));
  expect_joined (reader, test_peer_get_id (mute));
  got = test_peer_expect (reader, MS_MSG_MESSAGE);
  g_assert_cmpstr (got->u.message.from, ==, test_peer_get_id (sender));
  g_assert_cmpstr (got->u.message.msg_type, ==, "chat");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (got->u.message.body),
                                                  "text"), ==, "hello");
  g_clear_pointer (&got, ms_message_free);

  /* The default recv_messages grant is "*". */
  got = test_peer_expect (mute, MS_MSG_MESSAGE);
  g_assert_cmpstr (got->u.message.from, ==, test_peer_get_id (sender));
  g_clear_pointer (&got, ms_message_free);

  expect_joined (deaf, test_peer_get_id (mute));
  test_peer_barrier (deaf);
  test_peer_assert_quiet (deaf);

  expect_ok (sender, 1);

  /* A type the sender may not send. */
  test_peer_send (sender, "{\"type\":\"message\",\"id\":2,\"msg_type\":\"reaction\",\"body\":1}");
  test_peer_expect_error (sender, MS_PROTOCOL_ERROR_FORBIDDEN, 2);
  /* A sender with no send grant at all. */
  test_peer_send (mute, "{\"type\":\"message\",\"id\":3,\"msg_type\":\"chat\",\"body\":\"x\"}");
  test_peer_expect_error (mute, MS_PROTOCOL_ERROR_FORBIDDEN, 3);

  test_peer_barrier (reader);
  test_peer_barrier (mute);
  test_peer_assert_quiet (reader);
  test_peer_assert_quiet (mute);

  test_server_stop (server);
}

static void
test_message_targeted (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) a = test_peer_join (server, "r", "a", GRANTS_CHAT);
  g_autoptr (TestPeer) b = test_peer_join (server, "r", "b", GRANTS_CHAT);
  g_autoptr (TestPeer) c = test_peer_join (server, "r", "c", GRANTS_CHAT);

  expect_joined (a, test_peer_get_id (b));
  expect_joined (a, test_peer_get_id (c));
  expect_joined (b, test_peer_get_id (c));

  /* To one peer, many times: only that peer gets them, in order. */
  for (int i = 0; i < 30; i++) {
    test_peer_send (a, "{\"type\":\"message\",\"msg_type\":\"chat\",\"to\":\"%s\","
                    "\"body\":%d}", test_peer_get_id (c), i);
  }

  for (int i = 0; i < 30; i++) {
    g_autoptr (MsMessage) got = test_peer_expect (c, MS_MSG_MESSAGE);

    g_assert_cmpint (json_node_get_int (got->u.message.body), ==, i);
    g_assert_cmpstr (got->u.message.from, ==, test_peer_get_id (a));
  }

  test_peer_send (a, "{\"type\":\"message\",\"id\":7,\"msg_type\":\"chat\",\"to\":\"nobody\","
                  "\"body\":null}");
  test_peer_expect_error (a, MS_PROTOCOL_ERROR_NOT_FOUND, 7);

  test_peer_barrier (b);
  test_peer_assert_quiet (b);

  test_server_stop (server);
}

static void
test_hidden (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) a = test_peer_join (server, "r", "alice", GRANTS_CHAT);
  g_autoptr (TestPeer) h = NULL;
  g_autoptr (TestPeer) late = NULL;
  g_autoptr (MsMessage) welcome = NULL;
  g_autoptr (MsMessage) msg = NULL;
  g_autoptr (MsMessage) joined = NULL;
  g_autofree char *token = test_token ("r", "hider",
                                       "{\"send_tracks\":[\"camera\"],\"send_messages\":[\"chat\"],"
                                       "\"can_hide\":true,\"hidden\":true}");

  h = test_peer_connect (server);
  test_peer_send (h, "{\"type\":\"join\",\"protocol\":1,\"token\":\"%s\"}", token);
  welcome = test_peer_expect (h, MS_MSG_WELCOME);
  g_assert_true (welcome->u.welcome.hidden);
  /* The hidden peer sees everyone. */
  assert_peer_ids (welcome->u.welcome.peers, test_peer_get_id (a), NULL);

  /* Nobody sees it: not its join, not its tracks. */
  test_peer_send (h, "{\"type\":\"offer\",\"id\":1,\"pc\":\"publish\",\"sdp\":\"" SDP_0 "\","
                  "\"tracks\":[{\"mid\":\"0\",\"tag\":\"camera\",\"kind\":\"video\","
                  "\"paused\":false}]}");
  expect_ok (h, 1);
  late = test_peer_join (server, "r", "late", NULL);
  test_peer_barrier (a);
  expect_joined (a, test_peer_get_id (late));
  test_peer_assert_quiet (a);

  /* Its messages arrive without a sender. */
  test_peer_send (h, "{\"type\":\"message\",\"id\":2,\"msg_type\":\"chat\",\"body\":\"boo\"}");
  expect_joined (h, test_peer_get_id (late));
  expect_ok (h, 2);
  msg = test_peer_expect (a, MS_MSG_MESSAGE);
  g_assert_null (msg->u.message.from);
  g_clear_pointer (&msg, ms_message_free);
  msg = test_peer_expect (late, MS_MSG_MESSAGE);
  g_assert_null (msg->u.message.from);

  /* Nobody can address it either. */
  test_peer_send (a, "{\"type\":\"message\",\"id\":3,\"msg_type\":\"chat\",\"to\":\"%s\","
                  "\"body\":1}", welcome->u.welcome.peer_id);
  test_peer_expect_error (a, MS_PROTOCOL_ERROR_NOT_FOUND, 3);

  /* Visible: it joins, with the track it kept publishing. */
  test_peer_send (h, "{\"type\":\"set-hidden\",\"id\":4,\"hidden\":false}");
  expect_ok (h, 4);
  joined = test_peer_expect (a, MS_MSG_PEER_JOINED);
  g_assert_cmpstr (joined->u.peer.peer->id, ==, welcome->u.welcome.peer_id);
  g_assert_cmpuint (joined->u.peer.peer->tracks->len, ==, 1);
  g_assert_cmpstr (((MsTrackDesc *) g_ptr_array_index (joined->u.peer.peer->tracks, 0))->tag, ==,
                   "camera");
  expect_joined (late, welcome->u.welcome.peer_id);

  /* Hidden again: it leaves. */
  test_peer_send (h, "{\"type\":\"set-hidden\",\"id\":5,\"hidden\":true}");
  expect_ok (h, 5);
  expect_left (a, welcome->u.welcome.peer_id);
  expect_left (late, welcome->u.welcome.peer_id);

  /* Its leaving for real is not announced either. */
  test_peer_send (h, "{\"type\":\"leave\"}");
  test_peer_wait_closed (h);
  test_peer_barrier (a);
  test_peer_assert_quiet (a);

  test_server_stop (server);
}

static void
test_hidden_without_grant (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) a = test_peer_join (server, "r", "alice", NULL);
  g_autoptr (TestPeer) b = test_peer_connect (server);
  g_autofree char *token = test_token ("r", "bob", NULL);

  test_peer_send (a, "{\"type\":\"set-hidden\",\"id\":1,\"hidden\":true}");
  test_peer_expect_error (a, MS_PROTOCOL_ERROR_FORBIDDEN, 1);

  /* Asking to join invisible without the grant is refused outright. */
  test_peer_send (b, "{\"type\":\"join\",\"id\":2,\"protocol\":1,\"hidden\":true,\"token\":\"%s\"}",
                  token);
  test_peer_expect_error (b, MS_PROTOCOL_ERROR_FORBIDDEN, 2);
  g_assert_cmpuint (test_peer_wait_closed (b), ==, MS_CLOSE_FORBIDDEN);

  test_peer_barrier (a);
  test_peer_assert_quiet (a);

  test_server_stop (server);
}

static void
test_tracks (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) pub = test_peer_join (server, "r", "pub",
                                             "{\"send_tracks\":[\"camera\",\"microphone\"]}");
  g_autoptr (TestPeer) sub = test_peer_join (server, "r", "sub", NULL);
  g_autoptr (MsMessage) published = NULL;
  g_autoptr (MsMessage) updated = NULL;
  g_autoptr (MsMessage) closed = NULL;

  expect_joined (pub, test_peer_get_id (sub));

  /* A forbidden tag refuses the whole offer: nothing is announced. */
  test_peer_send (pub, "{\"type\":\"offer\",\"id\":1,\"pc\":\"publish\",\"sdp\":\"" SDP_01 "\","
                  "\"tracks\":[{\"mid\":\"0\",\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false},"
                  "{\"mid\":\"1\",\"tag\":\"screen\",\"kind\":\"video\",\"paused\":false}]}");
  test_peer_expect_error (pub, MS_PROTOCOL_ERROR_FORBIDDEN, 1);
  test_peer_barrier (sub);
  test_peer_assert_quiet (sub);

  test_peer_send (pub, "{\"type\":\"offer\",\"id\":2,\"pc\":\"publish\",\"sdp\":\"" SDP_0 "\","
                  "\"tracks\":[{\"mid\":\"0\",\"tag\":\"camera\",\"kind\":\"video\",\"paused\":true}]}");
  expect_ok (pub, 2);
  published = test_peer_expect (sub, MS_MSG_TRACK_PUBLISHED);
  g_assert_cmpstr (published->u.track_event.peer_id, ==, test_peer_get_id (pub));
  g_assert_cmpstr (published->u.track_event.tag, ==, "camera");
  g_assert_cmpint (published->u.track_event.kind, ==, MS_TRACK_KIND_VIDEO);
  g_assert_true (published->u.track_event.paused);

  test_peer_send (pub, "{\"type\":\"resume-track\",\"id\":3,\"tag\":\"camera\"}");
  expect_ok (pub, 3);
  updated = test_peer_expect (sub, MS_MSG_TRACK_UPDATED);
  g_assert_cmpstr (updated->u.track_event.tag, ==, "camera");
  g_assert_false (updated->u.track_event.paused);

  /* A published tag cannot change kind; one tag twice in an offer, SDP
   * that is not SDP, or that lacks a track's mid, is a bad request.
   * Nothing changes for the others. */
  test_peer_send (pub, "{\"type\":\"offer\",\"id\":4,\"pc\":\"publish\",\"sdp\":\"" SDP_0 "\","
                  "\"tracks\":[{\"mid\":\"0\",\"tag\":\"camera\",\"kind\":\"audio\",\"paused\":false}]}");
  test_peer_expect_error (pub, MS_PROTOCOL_ERROR_CONFLICT, 4);
  test_peer_send (pub, "{\"type\":\"offer\",\"id\":40,\"pc\":\"publish\",\"sdp\":\"" SDP_01 "\","
                  "\"tracks\":[{\"mid\":\"0\",\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false},"
                  "{\"mid\":\"1\",\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false}]}");
  test_peer_expect_error (pub, MS_PROTOCOL_ERROR_BAD_REQUEST, 40);
  test_peer_send (pub, "{\"type\":\"offer\",\"id\":41,\"pc\":\"publish\",\"sdp\":\"v=0\","
                  "\"tracks\":[{\"mid\":\"0\",\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false}]}");
  test_peer_expect_error (pub, MS_PROTOCOL_ERROR_BAD_REQUEST, 41);
  test_peer_send (pub, "{\"type\":\"offer\",\"id\":42,\"pc\":\"publish\",\"sdp\":\"" SDP_0 "\","
                  "\"tracks\":[{\"mid\":\"7\",\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false}]}");
  test_peer_expect_error (pub, MS_PROTOCOL_ERROR_BAD_REQUEST, 42);
  /* Offers the media engine cannot use get the reason, never ok and
   * silence: no BUNDLE, no fingerprint, no codec of ours. A tag not
   * published yet, so that an announcement would show. */
  test_peer_send (pub, "{\"type\":\"offer\",\"id\":43,\"pc\":\"publish\",\"sdp\":\"" SDP_NO_BUNDLE
                  "\",\"tracks\":[{\"mid\":\"0\",\"tag\":\"microphone\",\"kind\":\"video\",\"paused\":false}]}");
  test_peer_expect_error_text (pub, MS_PROTOCOL_ERROR_BAD_REQUEST, 43, "BUNDLE");
  test_peer_send (pub, "{\"type\":\"offer\",\"id\":44,\"pc\":\"publish\",\"sdp\":\"" SDP_NO_FINGERPRINT
                  "\",\"tracks\":[{\"mid\":\"0\",\"tag\":\"microphone\",\"kind\":\"video\",\"paused\":false}]}");
  test_peer_expect_error_text (pub, MS_PROTOCOL_ERROR_BAD_REQUEST, 44, "fingerprint");
  test_peer_send (pub, "{\"type\":\"offer\",\"id\":45,\"pc\":\"publish\",\"sdp\":\"" SDP_H264
                  "\",\"tracks\":[{\"mid\":\"0\",\"tag\":\"microphone\",\"kind\":\"video\",\"paused\":false}]}");
  test_peer_expect_error_text (pub, MS_PROTOCOL_ERROR_BAD_REQUEST, 45, "VP8");
  test_peer_barrier (sub);
  test_peer_assert_quiet (sub);

  test_peer_send (pub, "{\"type\":\"pause-track\",\"id\":5,\"tag\":\"microphone\"}");
  test_peer_expect_error (pub, MS_PROTOCOL_ERROR_NOT_FOUND, 5);

  test_peer_send (pub, "{\"type\":\"close-track\",\"id\":6,\"tag\":\"camera\"}");
  expect_ok (pub, 6);
  closed = test_peer_expect (sub, MS_MSG_TRACK_CLOSED);
  g_assert_cmpstr (closed->u.track_event.tag, ==, "camera");

  /* A peer cannot touch another peer's track by naming its tag. */
  test_peer_send (sub, "{\"type\":\"close-track\",\"id\":7,\"tag\":\"camera\"}");
  test_peer_expect_error (sub, MS_PROTOCOL_ERROR_NOT_FOUND, 7);

  test_peer_send (sub, "{\"type\":\"set-receiving\",\"id\":8,\"peer_id\":\"%s\",\"enabled\":false}",
                  test_peer_get_id (pub));
  expect_ok (sub, 8);
  test_peer_send (sub, "{\"type\":\"set-receiving\",\"id\":9,\"peer_id\":\"nobody\",\"enabled\":true}");
  test_peer_expect_error (sub, MS_PROTOCOL_ERROR_NOT_FOUND, 9);

  test_server_stop (server);
}

static void
test_resume_within_grace (void)
{
  g_autoptr (TestServer) server = test_server_start ("--grace-period=30", NULL);
  g_autoptr (TestPeer) a = test_peer_join (server, "r", "alice", GRANTS_CHAT);
  g_autoptr (TestPeer) b = test_peer_join (server, "r", "bob",
                                           "{\"send_tracks\":[\"camera\"],"
                                           "\"recv_messages\":[\"chat\"]}");
  g_autoptr (TestPeer) b2 = NULL;
  g_autoptr (MsMessage) welcome = NULL;
  g_autofree char *token = test_token ("r", "bob", "{\"send_tracks\":[\"camera\"],"
                                                   "\"recv_messages\":[\"chat\"]}");
  g_autofree char *bob_id = g_strdup (test_peer_get_id (b));
  g_autofree char *resume = g_strdup (test_peer_get_resume (b));

  expect_joined (a, bob_id);
  test_peer_send (b, "{\"type\":\"offer\",\"id\":1,\"pc\":\"publish\",\"sdp\":\"" SDP_0 "\","
                  "\"tracks\":[{\"mid\":\"0\",\"tag\":\"camera\",\"kind\":\"video\",\"paused\":true}]}");
  expect_ok (b, 1);
  g_clear_pointer (&welcome, ms_message_free);
  welcome = test_peer_expect (a, MS_MSG_TRACK_PUBLISHED);
  g_clear_pointer (&welcome, ms_message_free);

  /* The network goes away under bob, without a closing handshake. */
  test_peer_drop (b);
  test_server_wait_metric (server, "mediastore_peers_reconnecting", 1);

  /* What is said meanwhile is kept for him. */
  test_peer_send (a, "{\"type\":\"message\",\"id\":2,\"msg_type\":\"chat\",\"body\":\"first\"}");
  test_peer_send (a, "{\"type\":\"message\",\"id\":3,\"msg_type\":\"chat\",\"body\":\"second\"}");
  expect_ok (a, 2);
  expect_ok (a, 3);

  b2 = test_peer_connect (server);
  test_peer_send (b2, "{\"type\":\"join\",\"protocol\":1,\"token\":\"%s\",\"resume\":\"%s\"}",
                  token, resume);
  welcome = test_peer_expect (b2, MS_MSG_WELCOME);
  g_assert_cmpstr (welcome->u.welcome.peer_id, ==, bob_id);
  g_assert_cmpstr (welcome->u.welcome.resume, !=, resume);
  assert_peer_ids (welcome->u.welcome.peers, test_peer_get_id (a), NULL);

  for (int i = 0; i < 2; i++) {
    g_autoptr (MsMessage) chat = test_peer_expect (b2, MS_MSG_MESSAGE);

    g_assert_cmpstr (json_node_get_string (chat->u.message.body), ==, i == 0 ? "first" : "second");
  }

  /* Its published track survived: pausing it works without a new offer. */
  test_peer_send (b2, "{\"type\":\"resume-track\",\"id\":4,\"tag\":\"camera\"}");
  expect_ok (b2, 4);
  g_clear_pointer (&welcome, ms_message_free);
  welcome = test_peer_expect (a, MS_MSG_TRACK_UPDATED);

  /* Alice saw no leave and no join. */
  test_peer_barrier (a);
  test_peer_assert_quiet (a);

  /* The old key is spent: presenting it again makes a new peer. */
  test_server_stop (server);
}

static void
test_resume_after_grace (void)
{
  g_autoptr (TestServer) server = test_server_start ("--grace-period=1", NULL);
  g_autoptr (TestPeer) a = test_peer_join (server, "r", "alice", NULL);
  g_autoptr (TestPeer) b = test_peer_join (server, "r", "bob", NULL);
  g_autoptr (TestPeer) b2 = NULL;
  g_autoptr (MsMessage) welcome = NULL;
  g_autofree char *token = test_token ("r", "bob", NULL);
  g_autofree char *bob_id = g_strdup (test_peer_get_id (b));
  g_autofree char *resume = g_strdup (test_peer_get_resume (b));

  expect_joined (a, bob_id);
  test_peer_drop (b);

  /* After the grace period the others are told. */
  expect_left (a, bob_id);

  b2 = test_peer_connect (server);
  test_peer_send (b2, "{\"type\":\"join\",\"protocol\":1,\"token\":\"%s\",\"resume\":\"%s\"}",
                  token, resume);
  welcome = test_peer_expect (b2, MS_MSG_WELCOME);
  g_assert_cmpstr (welcome->u.welcome.peer_id, !=, bob_id);
  expect_joined (a, welcome->u.welcome.peer_id);

  test_server_stop (server);
}

/* Bob drops; someone presents his resume key with a token for @room as
 * @identity, and is refused without Alice hearing of it. */
static void
refuse_stolen_resume (const char *room,
                      const char *identity)
{
  g_autoptr (TestServer) server = test_server_start ("--grace-period=30", NULL);
  g_autoptr (TestPeer) a = test_peer_join (server, "r", "alice", NULL);
  g_autoptr (TestPeer) b = test_peer_join (server, "r", "bob", NULL);
  g_autoptr (TestPeer) thief = test_peer_connect (server);
  g_autofree char *token = test_token (room, identity, NULL);

  expect_joined (a, test_peer_get_id (b));
  test_peer_drop (b);

  test_peer_send (thief, "{\"type\":\"join\",\"id\":1,\"protocol\":1,\"token\":\"%s\","
                  "\"resume\":\"%s\"}", token, test_peer_get_resume (b));
  test_peer_expect_error (thief, MS_PROTOCOL_ERROR_UNAUTHORIZED, 1);
  g_assert_cmpuint (test_peer_wait_closed (thief), ==, MS_CLOSE_UNAUTHORIZED);

  test_peer_barrier (a);
  test_peer_assert_quiet (a);
  test_server_stop (server);
}

static void
test_resume_other_identity (void)
{
  refuse_stolen_resume ("r", "mallory");
}

/* The same identity may not carry its resume key into another room. */
static void
test_resume_other_room (void)
{
  refuse_stolen_resume ("other", "bob");
}

static char *base64url (const char *text);

/* A token whose payload was changed after signing (more grants, another
 * room) keeps its signature, which no longer matches. */
static void
test_tampered_token (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autofree char *token = test_token ("r", "mallory", NULL);
  g_auto (GStrv) parts = g_strsplit (token, ".", 3);
  g_autofree char *forged_payload = base64url ("{\"iss\":\"" MS_DEV_KEY_ID "\",\"sub\":\"mallory\","
                                               "\"room\":\"r\",\"exp\":4102444800,"
                                               "\"grants\":{\"send_tracks\":[\"*\"],"
                                               "\"can_hide\":true}}");
  g_autofree char *forged = g_strjoin (".", parts[0], forged_payload, parts[2], NULL);
  g_autoptr (TestPeer) peer = test_peer_connect (server);

  test_peer_send (peer, "{\"type\":\"join\",\"id\":1,\"protocol\":1,\"token\":\"%s\"}", forged);
  test_peer_expect_error (peer, MS_PROTOCOL_ERROR_UNAUTHORIZED, 1);
  g_assert_cmpuint (test_peer_wait_closed (peer), ==, MS_CLOSE_UNAUTHORIZED);

  test_server_stop (server);
}

/* Naming another peer's live track does not reach it: pause, resume and
 * close act on one's own tracks only, and its owner and the others see
 * nothing happen. */
static void
test_foreign_tracks (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) pub = test_peer_join (server, "r", "pub", GRANTS_ALL);
  g_autoptr (TestPeer) mallory = test_peer_join (server, "r", "mallory", GRANTS_ALL);
  g_autoptr (TestPeer) watcher = test_peer_join (server, "r", "watcher", NULL);
  g_autoptr (MsMessage) published = NULL;
  const char *requests[] = { "pause-track", "resume-track", "close-track" };

  test_peer_barrier (pub);
  test_peer_drain (pub, MS_MSG_PEER_JOINED);
  test_peer_barrier (watcher);
  test_peer_send (pub, "{\"type\":\"offer\",\"id\":1,\"pc\":\"publish\",\"sdp\":\"" SDP_0 "\","
                  "\"tracks\":[{\"mid\":\"0\",\"tag\":\"camera\",\"kind\":\"video\","
                  "\"paused\":false}]}");
  expect_ok (pub, 1);
  published = test_peer_expect (watcher, MS_MSG_TRACK_PUBLISHED);
  test_peer_barrier (mallory);
  test_peer_drain (mallory, MS_MSG_PEER_JOINED);
  test_peer_drain (mallory, MS_MSG_TRACK_PUBLISHED);

  for (guint i = 0; i < G_N_ELEMENTS (requests); i++) {
    test_peer_send (mallory, "{\"type\":\"%s\",\"id\":%u,\"tag\":\"camera\"}", requests[i],
                    10 + i);
    test_peer_expect_error (mallory, MS_PROTOCOL_ERROR_NOT_FOUND, 10 + i);
  }

  test_peer_barrier (pub);
  test_peer_assert_quiet (pub);
  test_peer_barrier (watcher);
  test_peer_assert_quiet (watcher);
  test_server_stop (server);
}

static void
test_replace_identity (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) a = test_peer_join (server, "r", "alice", NULL);
  g_autoptr (TestPeer) b = test_peer_join (server, "r", "bob", NULL);
  g_autoptr (TestPeer) b2 = NULL;
  g_autoptr (MsMessage) bye = NULL;
  g_autoptr (MsMessage) welcome = NULL;

  expect_joined (a, test_peer_get_id (b));

  b2 = test_peer_join (server, "r", "bob", NULL);
  bye = test_peer_expect (b, MS_MSG_BYE);
  g_assert_nonnull (bye->u.bye.reason);
  g_assert_cmpuint (test_peer_wait_closed (b), ==, MS_CLOSE_REPLACED);

  expect_left (a, test_peer_get_id (b));
  expect_joined (a, test_peer_get_id (b2));
  g_assert_cmpstr (test_peer_get_id (b2), !=, test_peer_get_id (b));

  test_server_stop (server);
}

static char *
base64url (const char *text)
{
  char *encoded = g_base64_encode ((const guchar *) text, strlen (text));
  char *end = strchr (encoded, '=');

  if (end != NULL)
    *end = '\0';
  g_strdelimit (encoded, "+", '-');
  g_strdelimit (encoded, "/", '_');

  return encoded;
}

static char *
mint (const char *key_id,
      const char *secret,
      gint64      expires_in)
{
  g_autoptr (MsTokenClaims) claims = ms_token_claims_new ();
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  char *token;

  claims->key_id = g_strdup (key_id);
  claims->identity = g_strdup ("eve");
  claims->room = g_strdup ("r");
  claims->issued_at = now - 7200;
  claims->expires = now + expires_in;
  claims->grants.send_tracks = g_new0 (char *, 1);
  claims->grants.recv_tracks = g_new0 (char *, 1);
  claims->grants.send_messages = g_new0 (char *, 1);
  claims->grants.recv_messages = g_new0 (char *, 1);

  token = ms_token_mint (claims, secret, &error);
  g_assert_no_error (error);

  return token;
}

static void
test_token_failures (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) bystander = test_peer_join (server, "r", "alice", NULL);
  g_autofree char *header = base64url ("{\"alg\":\"none\",\"typ\":\"JWT\"}");
  g_autofree char *payload = base64url ("{\"iss\":\"dev\",\"sub\":\"eve\",\"room\":\"r\","
                                        "\"exp\":4102444800,\"grants\":{}}");
  struct {
    const char      *name;
    char            *token;
    MsProtocolError  code;
  } cases[] = {
    { "expired", mint (MS_DEV_KEY_ID, MS_DEV_SECRET, -3600), MS_PROTOCOL_ERROR_TOKEN_EXPIRED },
    { "other secret", mint (MS_DEV_KEY_ID, "another-secret-that-is-at-least-32-bytes", 3600),
      MS_PROTOCOL_ERROR_UNAUTHORIZED },
    { "unknown key", mint ("someone-else", MS_DEV_SECRET, 3600), MS_PROTOCOL_ERROR_UNAUTHORIZED },
    { "alg none", g_strdup_printf ("%s.%s.", header, payload), MS_PROTOCOL_ERROR_UNAUTHORIZED },
    { "garbage", g_strdup ("not-a-token"), MS_PROTOCOL_ERROR_UNAUTHORIZED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (TestPeer) peer = test_peer_connect (server);

    g_test_message ("token case: %s", cases[i].name);
    test_peer_send (peer, "{\"type\":\"join\",\"id\":%u,\"protocol\":1,\"token\":\"%s\"}",
                    i, cases[i].token);
    test_peer_expect_error (peer, cases[i].code, i);
    g_assert_cmpuint (test_peer_wait_closed (peer), ==, MS_CLOSE_UNAUTHORIZED);
    g_free (cases[i].token);
  }

  /* An empty token is not a token: the join itself is malformed, which is a
   * bad request the client may correct on the same connection. */
  {
    g_autoptr (TestPeer) peer = test_peer_connect (server);

    test_peer_send (peer, "{\"type\":\"join\",\"id\":1,\"protocol\":1,\"token\":\"\"}");
    test_peer_expect_error (peer, MS_PROTOCOL_ERROR_BAD_REQUEST, 1);
    test_peer_send (peer, "{\"type\":\"join\",\"id\":2,\"protocol\":1,\"token\":\"x\"}");
    test_peer_expect_error (peer, MS_PROTOCOL_ERROR_UNAUTHORIZED, 2);
    g_assert_cmpuint (test_peer_wait_closed (peer), ==, MS_CLOSE_UNAUTHORIZED);
  }

  /* Nobody got in, and the room's member never noticed. */
  test_peer_barrier (bystander);
  test_peer_assert_quiet (bystander);

  test_server_stop (server);
}

/* max-id-length applies to the identities and rooms of tokens as it does
 * to everything in the frames: a token the defaults allow is refused by a
 * server with a shorter limit, and POST /v1/token will not mint one. */
static void
test_token_id_length (void)
{
  g_autoptr (TestServer) server = test_server_start ("--max-id-length=16", NULL);
  g_autoptr (TestPeer) alice = test_peer_join (server, "r", "alice", NULL);
  g_autoptr (TestPeer) peer = test_peer_connect (server);
  g_autofree char *token = test_token ("r", "alice-0123456789ab", NULL);
  g_autofree char *room_token = test_token ("room-0123456789ab", "bob", NULL);
  g_autofree char *refused = NULL;
  g_autofree char *grants_refused = NULL;
  g_autoptr (TestPeer) other = NULL;
  guint status;

  test_peer_send (peer, "{\"type\":\"join\",\"id\":1,\"protocol\":1,\"token\":\"%s\"}", token);
  test_peer_expect_error (peer, MS_PROTOCOL_ERROR_UNAUTHORIZED, 1);
  g_assert_cmpuint (test_peer_wait_closed (peer), ==, MS_CLOSE_UNAUTHORIZED);

  other = test_peer_connect (server);
  test_peer_send (other, "{\"type\":\"join\",\"id\":2,\"protocol\":1,\"token\":\"%s\"}",
                  room_token);
  test_peer_expect_error (other, MS_PROTOCOL_ERROR_UNAUTHORIZED, 2);

  refused = test_server_http (server, "POST", "/v1/token", MS_DEV_SECRET,
                              "{\"room\":\"r\",\"identity\":\"alice-0123456789ab\"}", &status);
  g_assert_cmpuint (status, ==, 400);
  grants_refused = test_server_http (server, "POST", "/v1/token", MS_DEV_SECRET,
                                     "{\"room\":\"r\",\"identity\":\"bob\",\"grants\":"
                                     "{\"send_tracks\":[\"camera-0123456789ab\"]}}", &status);
  g_assert_cmpuint (status, ==, 400);

  test_peer_barrier (alice);
  test_peer_assert_quiet (alice);

  test_server_stop (server);
}

static void
test_garbage (void)
{
  g_autoptr (TestServer) server = test_server_start ("--max-violations=20", NULL);
  g_autoptr (TestPeer) bystander = test_peer_join (server, "r", "alice", GRANTS_CHAT);
  g_autoptr (TestPeer) peer = test_peer_join (server, "r", "bob", GRANTS_CHAT);
  g_autofree char *big = NULL;
  static const char *frames[] = {
    "not json at all",
    "[1,2,3]",
    "42",
    "\"a string\"",
    "null",
    "{}",
    "{\"type\":7}",
    "{\"type\":\"no-such-type\",\"id\":11}",
    "{\"type\":\"welcome\"}",
    "{\"type\":\"message\",\"msg_type\":5,\"body\":1}",
    "{\"type\":\"set-hidden\",\"hidden\":\"yes\"}",
    "{\"type\":\"pause-track\",\"tag\":\"has space\"}",
    "{\"type\":\"offer\",\"pc\":\"subscribe\",\"sdp\":\"v=0\",\"tracks\":[]}",
    "{\"type\":\"candidate\",\"pc\":\"publish\",\"candidate\":\"\",\"sdp_mline_index\":-1}",
    "{\"type\":\"message\",\"msg_type\":\"chat\",\"body\":1,\"id\":-4}",
    "{\"type\":\"message\",\"msg_type\":\"chat\",\"body\":1,\"id\":1.5}",
    /* json-glib alone would relay this as invalid UTF-8. */
    "{\"type\":\"message\",\"msg_type\":\"chat\",\"body\":\"\\ud800x\"}",
  };

  expect_joined (bystander, test_peer_get_id (peer));

  for (guint i = 0; i < G_N_ELEMENTS (frames); i++) {
    g_test_message ("garbage: %s", frames[i]);
    test_peer_send_raw (peer, frames[i]);
    test_peer_expect_error (peer, MS_PROTOCOL_ERROR_BAD_REQUEST, i == 7 ? 11 : -1);
  }

  /* A frame over the 64 KiB limit. */
  big = g_strdup_printf ("{\"type\":\"message\",\"id\":99,\"msg_type\":\"chat\",\"body\":\"%0*d\"}",
                         70 * 1024, 0);
  test_peer_send_raw (peer, big);
  test_peer_expect_error (peer, MS_PROTOCOL_ERROR_BAD_REQUEST, -1);

  /* Still connected and still served, and so is everyone else. */
  g_assert_true (test_peer_is_open (peer));
  test_peer_send (peer, "{\"type\":\"message\",\"id\":100,\"msg_type\":\"chat\",\"body\":\"ok\"}");
  expect_ok (peer, 100);
  g_clear_pointer (&big, g_free);
  {
    g_autoptr (MsMessage) chat = test_peer_expect (bystander, MS_MSG_MESSAGE);

    g_assert_cmpstr (json_node_get_string (chat->u.message.body), ==, "ok");
  }

  /* Keep going and the connection is closed for abuse. */
  for (guint i = 0; test_peer_is_open (peer) && i < 100; i++)
    test_peer_send_raw (peer, "garbage");
  g_assert_cmpuint (test_peer_wait_closed (peer), ==, MS_CLOSE_ABUSE);

  /* Nothing of it reached the bystander, who is still served. */
  test_peer_barrier (bystander);
  test_peer_assert_quiet (bystander);

  test_server_stop (server);
}

static void
test_flood (void)
{
  g_autoptr (TestServer) server = test_server_start ("--messages-per-second=20",
                                                     "--message-burst=20", NULL);
  g_autoptr (TestPeer) bystander = test_peer_join (server, "r", "alice", NULL);
  g_autoptr (TestPeer) flooder = test_peer_join (server, "r", "bob", GRANTS_CHAT);
  guint received = 0;

  expect_joined (bystander, test_peer_get_id (flooder));

  for (guint i = 0; i < 200; i++)
    test_peer_send (flooder, "{\"type\":\"message\",\"msg_type\":\"chat\",\"body\":%u}", i);

  /* Some get through, then rate-limited errors, then the connection goes. */
  g_assert_cmpuint (test_peer_wait_closed (flooder), ==, MS_CLOSE_RATE_LIMITED);

  /* The bystander got the burst and no more, and is still served. */
  test_peer_barrier (bystander);
  received = test_peer_drain (bystander, MS_MSG_MESSAGE);
  g_assert_cmpuint (received, >=, 1);
  g_assert_cmpuint (received, <=, 25);
  test_peer_assert_quiet (bystander);

  test_server_stop (server);
}

static void
test_http (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) a = NULL;
  g_autoptr (TestPeer) b = NULL;
  g_autoptr (MsMessage) relayed = NULL;
  g_autofree char *health = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *refused = NULL;
  g_autofree char *minted = NULL;
  g_autofree char *missing = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (MsTokenClaims) claims = NULL;
  g_autoptr (MsKeyring) keyring = ms_keyring_new ();
  g_autoptr (GError) error = NULL;
  const char *token;
  guint status;

  health = test_server_http (server, "GET", "/healthz", NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (health, ==, "ok\n");

  before = test_server_http (server, "GET", "/metrics", NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (test_metric_value (before, "mediastore_peers"), ==, 0);
  g_assert_cmpuint (test_metric_value (before, "mediastore_joins_total"), ==, 0);

  a = test_peer_join (server, "r", "alice", GRANTS_CHAT);
  b = test_peer_join (server, "r", "bob", NULL);
  expect_joined (a, test_peer_get_id (b));
  test_peer_send (a, "{\"type\":\"message\",\"id\":1,\"msg_type\":\"chat\",\"body\":1}");
  expect_ok (a, 1);
  g_clear_pointer (&relayed, ms_message_free);
  relayed = test_peer_expect (b, MS_MSG_MESSAGE);
  test_peer_send (b, "{\"type\":\"message\",\"id\":2,\"msg_type\":\"chat\",\"body\":1}");
  test_peer_expect_error (b, MS_PROTOCOL_ERROR_FORBIDDEN, 2);

  after = test_server_http (server, "GET", "/metrics", NULL, NULL, &status);
  g_assert_cmpuint (test_metric_value (after, "mediastore_peers"), ==, 2);
  g_assert_cmpuint (test_metric_value (after, "mediastore_rooms"), ==, 1);
  g_assert_cmpuint (test_metric_value (after, "mediastore_joins_total"), ==, 2);
  g_assert_cmpuint (test_metric_value (after, "mediastore_messages_relayed_total"), ==, 1);
  g_assert_cmpuint (test_metric_value (after, "mediastore_errors_total{code=\"forbidden\"}"), ==, 1);
  g_assert_cmpuint (test_metric_value (after, "mediastore_connections"), ==, 2);

  /* The token endpoint wants the api secret. */
  refused = test_server_http (server, "POST", "/v1/token", "wrong-secret",
                          "{\"room\":\"r\",\"identity\":\"carol\"}", &status);
  g_assert_cmpuint (status, ==, 401);
  g_assert_nonnull (strstr (refused, "\"unauthorized\""));
  g_clear_pointer (&refused, g_free);
  refused = test_server_http (server, "POST", "/v1/token", NULL,
                          "{\"room\":\"r\",\"identity\":\"carol\"}", &status);
  g_assert_cmpuint (status, ==, 401);

  missing = test_server_http (server, "POST", "/v1/token", MS_DEV_SECRET, "{\"room\":\"r\"}", &status);
  g_assert_cmpuint (status, ==, 400);

  minted = test_server_http (server, "POST", "/v1/token", MS_DEV_SECRET,
                         "{\"room\":\"r\",\"identity\":\"carol\",\"name\":\"Carol\",\"ttl\":600,"
                         "\"grants\":{\"send_tracks\":[\"camera\"],\"can_hide\":true}}", &status);
  g_assert_cmpuint (status, ==, 200);
  json_parser_load_from_data (parser, minted, -1, &error);
  g_assert_no_error (error);
  token = json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                         "token");
  ms_keyring_add (keyring, MS_DEV_KEY_ID, MS_DEV_SECRET, &error);
  g_assert_no_error (error);
  claims = ms_token_verify (token, keyring, g_get_real_time () / G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (claims->room, ==, "r");
  g_assert_cmpstr (claims->identity, ==, "carol");
  g_assert_cmpstr (claims->name, ==, "Carol");
  g_assert_cmpstrv (claims->grants.send_tracks, ((const char *[]) { "camera", NULL }));
  g_assert_true (claims->grants.can_hide);
  g_assert_cmpint (claims->expires - claims->issued_at, ==, 600);

  test_server_stop (server);
}

static void
test_shutdown (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (TestPeer) a = test_peer_join (server, "r", "alice", NULL);
  g_autoptr (TestPeer) b = test_peer_join (server, "r", "bob", NULL);
  g_autoptr (MsMessage) bye = NULL;

  expect_joined (a, test_peer_get_id (b));
  test_server_stop (server);

  bye = test_peer_expect (a, MS_MSG_BYE);
  g_assert_nonnull (bye->u.bye.reason);
  g_assert_cmpuint (test_peer_wait_closed (a), ==, MS_CLOSE_GOING_AWAY);
  g_clear_pointer (&bye, ms_message_free);
  bye = test_peer_expect (b, MS_MSG_BYE);
  g_assert_cmpuint (test_peer_wait_closed (b), ==, MS_CLOSE_GOING_AWAY);
}

static void
test_room_full (void)
{
  g_autoptr (TestServer) server = test_server_start ("--max-peers-per-room=2", NULL);
  g_autoptr (TestPeer) a = test_peer_join (server, "r", "alice", NULL);
  g_autoptr (TestPeer) b = test_peer_join (server, "r", "bob", NULL);
  g_autoptr (TestPeer) c = test_peer_connect (server);
  g_autoptr (TestPeer) elsewhere = test_peer_join (server, "other", "carol", NULL);
  g_autofree char *token = test_token ("r", "carol", NULL);

  test_peer_send (c, "{\"type\":\"join\",\"id\":1,\"protocol\":1,\"token\":\"%s\"}", token);
  test_peer_expect_error (c, MS_PROTOCOL_ERROR_ROOM_FULL, 1);
  test_peer_wait_closed (c);

  test_server_stop (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/join-welcome", test_join_welcome);
  g_test_add_func ("/server/host-grant", test_host_grant);
  g_test_add_func ("/server/first-message-must-be-join", test_first_message_must_be_join);
  g_test_add_func ("/server/join-timeout", test_join_timeout);
  g_test_add_func ("/server/presence", test_presence);
  g_test_add_func ("/server/profile", test_profile);
  g_test_add_func ("/server/message-grants", test_message_grants);
  g_test_add_func ("/server/message-targeted", test_message_targeted);
  g_test_add_func ("/server/hidden", test_hidden);
  g_test_add_func ("/server/hidden-without-grant", test_hidden_without_grant);
  g_test_add_func ("/server/tracks", test_tracks);
  g_test_add_func ("/server/resume-within-grace", test_resume_within_grace);
  g_test_add_func ("/server/resume-after-grace", test_resume_after_grace);
  g_test_add_func ("/server/resume-other-identity", test_resume_other_identity);
  g_test_add_func ("/server/resume-other-room", test_resume_other_room);
  g_test_add_func ("/server/tampered-token", test_tampered_token);
  g_test_add_func ("/server/foreign-tracks", test_foreign_tracks);
  g_test_add_func ("/server/replace-identity", test_replace_identity);
  g_test_add_func ("/server/token-failures", test_token_failures);
  g_test_add_func ("/server/token-id-length", test_token_id_length);
  g_test_add_func ("/server/garbage", test_garbage);
  g_test_add_func ("/server/flood", test_flood);
  g_test_add_func ("/server/room-full", test_room_full);
  g_test_add_func ("/server/http", test_http);
  g_test_add_func ("/server/shutdown", test_shutdown);

  return g_test_run ();
}
