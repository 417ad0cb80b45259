/* test-protocol.c: the signaling codec, both ways and under attack
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Round trips build every message in C, encode it, decode it and compare
 * each field. The examples are frames written by hand, as another
 * implementation would send them. The malformed table is what a broken
 * or hostile peer might send: each entry must be refused with bad-request,
 * and the request id must still be found when the frame had a readable one.
 */

#include "config.h"

#include <string.h>

#include "ms-protocol.h"

/* Comparing messages field by field */

static void
assert_strv_equal (GStrv a,
                   GStrv b)
{
  guint na = a != NULL ? g_strv_length (a) : 0;
  guint nb = b != NULL ? g_strv_length (b) : 0;

  g_assert_cmpuint (na, ==, nb);
  for (guint i = 0; i < na; i++)
    g_assert_cmpstr (a[i], ==, b[i]);
}

static void
assert_track_equal (const MsTrackDesc *a,
                    const MsTrackDesc *b)
{
  g_assert_cmpstr (a->mid, ==, b->mid);
  g_assert_cmpstr (a->peer_id, ==, b->peer_id);
  g_assert_cmpstr (a->tag, ==, b->tag);
  g_assert_cmpint (a->kind, ==, b->kind);
  g_assert_cmpint (a->paused, ==, b->paused);
}

static void
assert_tracks_equal (GPtrArray *a,
                     GPtrArray *b)
{
  guint na = a != NULL ? a->len : 0;
  guint nb = b != NULL ? b->len : 0;

  g_assert_cmpuint (na, ==, nb);
  for (guint i = 0; i < na; i++)
    assert_track_equal (g_ptr_array_index (a, i), g_ptr_array_index (b, i));
}

static void
assert_peer_equal (const MsPeerDesc *a,
                   const MsPeerDesc *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpstr (a->id, ==, b->id);
  g_assert_cmpstr (a->display_name, ==, b->display_name);
  g_assert_cmpstr (a->avatar, ==, b->avatar);
  g_assert_cmpint (a->host, ==, b->host);
  assert_tracks_equal (a->tracks, b->tracks);
}

static void
assert_grants_equal (const MsGrants *a,
                     const MsGrants *b)
{
  assert_strv_equal (a->send_tracks, b->send_tracks);
  assert_strv_equal (a->recv_tracks, b->recv_tracks);
  assert_strv_equal (a->send_messages, b->send_messages);
  assert_strv_equal (a->recv_messages, b->recv_messages);
  g_assert_cmpint (a->can_hide, ==, b->can_hide);
  g_assert_cmpint (a->hidden, ==, b->hidden);
  g_assert_cmpint (a->host, ==, b->host);
}

static void
assert_welcome_equal (const MsMessage *a,
                      const MsMessage *b)
{
  guint n_peers = a->u.welcome.peers != NULL ? a->u.welcome.peers->len : 0;
  guint n_ice = a->u.welcome.ice_servers != NULL ? a->u.welcome.ice_servers->len : 0;

  g_assert_cmpstr (a->u.welcome.peer_id, ==, b->u.welcome.peer_id);
  g_assert_cmpstr (a->u.welcome.room, ==, b->u.welcome.room);
  g_assert_cmpstr (a->u.welcome.display_name, ==, b->u.welcome.display_name);
  g_assert_cmpstr (a->u.welcome.avatar, ==, b->u.welcome.avatar);
  g_assert_cmpint (a->u.welcome.hidden, ==, b->u.welcome.hidden);
  assert_grants_equal (&a->u.welcome.grants, &b->u.welcome.grants);

  g_assert_cmpuint (n_peers, ==, b->u.welcome.peers != NULL ? b->u.welcome.peers->len : 0);
  for (guint i = 0; i < n_peers; i++)
    assert_peer_equal (g_ptr_array_index (a->u.welcome.peers, i),
                       g_ptr_array_index (b->u.welcome.peers, i));

  g_assert_cmpuint (n_ice, ==,
                    b->u.welcome.ice_servers != NULL ? b->u.welcome.ice_servers->len : 0);
  for (guint i = 0; i < n_ice; i++) {
    const MsIceServer *x = g_ptr_array_index (a->u.welcome.ice_servers, i);
    const MsIceServer *y = g_ptr_array_index (b->u.welcome.ice_servers, i);

    assert_strv_equal (x->urls, y->urls);
    g_assert_cmpstr (x->username, ==, y->username);
    g_assert_cmpstr (x->credential, ==, y->credential);
  }

  g_assert_cmpstr (a->u.welcome.resume, ==, b->u.welcome.resume);
  g_assert_cmpstr (a->u.welcome.server_version, ==, b->u.welcome.server_version);
  assert_strv_equal (a->u.welcome.features, b->u.welcome.features);
  assert_strv_equal (a->u.welcome.nodes, b->u.welcome.nodes);
}

static void
assert_body_equal (JsonNode *a,
                   JsonNode *b)
{
  g_autoptr (JsonNode) null_node = json_node_new (JSON_NODE_NULL);

  /* A NULL body goes on the wire as null. */
  g_assert_true (json_node_equal (a != NULL ? a : null_node, b != NULL ? b : null_node));
}

static void
assert_message_equal (const MsMessage *a,
                      const MsMessage *b)
{
  g_assert_cmpint (a->type, ==, b->type);
  g_assert_cmpint (a->has_id, ==, b->has_id);
  if (a->has_id)
    g_assert_cmpint (a->id, ==, b->id);

  switch (a->type) {
  case MS_MSG_JOIN:
    g_assert_cmpstr (a->u.join.token, ==, b->u.join.token);
    g_assert_cmpint (a->u.join.protocol, ==, b->u.join.protocol);
    g_assert_cmpstr (a->u.join.resume, ==, b->u.join.resume);
    g_assert_cmpstr (a->u.join.display_name, ==, b->u.join.display_name);
    g_assert_cmpstr (a->u.join.avatar, ==, b->u.join.avatar);
    g_assert_cmpint (a->u.join.has_hidden, ==, b->u.join.has_hidden);
    g_assert_cmpint (a->u.join.hidden, ==, b->u.join.hidden);
    break;
  case MS_MSG_OFFER:
    g_assert_cmpint (a->u.offer.pc, ==, b->u.offer.pc);
    g_assert_cmpstr (a->u.offer.sdp, ==, b->u.offer.sdp);
    assert_tracks_equal (a->u.offer.tracks, b->u.offer.tracks);
    break;
  case MS_MSG_ANSWER:
    g_assert_cmpint (a->u.answer.pc, ==, b->u.answer.pc);
    g_assert_cmpstr (a->u.answer.sdp, ==, b->u.answer.sdp);
    break;
  case MS_MSG_CANDIDATE:
    g_assert_cmpint (a->u.candidate.pc, ==, b->u.candidate.pc);
    g_assert_cmpstr (a->u.candidate.candidate, ==, b->u.candidate.candidate);
    g_assert_cmpuint (a->u.candidate.sdp_mline_index, ==, b->u.candidate.sdp_mline_index);
    break;
  case MS_MSG_PAUSE_TRACK:
  case MS_MSG_RESUME_TRACK:
  case MS_MSG_CLOSE_TRACK:
    g_assert_cmpstr (a->u.track_request.tag, ==, b->u.track_request.tag);
    break;
  case MS_MSG_SET_RECEIVING:
    g_assert_cmpstr (a->u.set_receiving.peer_id, ==, b->u.set_receiving.peer_id);
    g_assert_cmpstr (a->u.set_receiving.tag, ==, b->u.set_receiving.tag);
    g_assert_cmpint (a->u.set_receiving.enabled, ==, b->u.set_receiving.enabled);
    break;
  case MS_MSG_MESSAGE:
    g_assert_cmpstr (a->u.message.msg_type, ==, b->u.message.msg_type);
    assert_body_equal (a->u.message.body, b->u.message.body);
    g_assert_cmpstr (a->u.message.to, ==, b->u.message.to);
    g_assert_cmpstr (a->u.message.from, ==, b->u.message.from);
    break;
  case MS_MSG_SET_HIDDEN:
    g_assert_cmpint (a->u.set_hidden.hidden, ==, b->u.set_hidden.hidden);
    break;
  case MS_MSG_SET_PROFILE:
    g_assert_cmpint (a->u.set_profile.has_display_name, ==, b->u.set_profile.has_display_name);
    g_assert_cmpstr (a->u.set_profile.display_name, ==, b->u.set_profile.display_name);
    g_assert_cmpint (a->u.set_profile.has_avatar, ==, b->u.set_profile.has_avatar);
    g_assert_cmpstr (a->u.set_profile.avatar, ==, b->u.set_profile.avatar);
    break;
  case MS_MSG_WELCOME:
    assert_welcome_equal (a, b);
    break;
  case MS_MSG_PEER_JOINED:
  case MS_MSG_PEER_UPDATED:
    assert_peer_equal (a->u.peer.peer, b->u.peer.peer);
    break;
  case MS_MSG_PEER_LEFT:
    g_assert_cmpstr (a->u.peer_left.peer_id, ==, b->u.peer_left.peer_id);
    break;
  case MS_MSG_TRACK_PUBLISHED:
  case MS_MSG_TRACK_UPDATED:
  case MS_MSG_TRACK_CLOSED:
    g_assert_cmpstr (a->u.track_event.peer_id, ==, b->u.track_event.peer_id);
    g_assert_cmpstr (a->u.track_event.tag, ==, b->u.track_event.tag);
    if (a->type == MS_MSG_TRACK_PUBLISHED)
      g_assert_cmpint (a->u.track_event.kind, ==, b->u.track_event.kind);
    if (a->type != MS_MSG_TRACK_CLOSED)
      g_assert_cmpint (a->u.track_event.paused, ==, b->u.track_event.paused);
    break;
  case MS_MSG_ERROR:
    g_assert_cmpint (a->u.error.code, ==, b->u.error.code);
    g_assert_cmpstr (a->u.error.message, ==, b->u.error.message);
    break;
  case MS_MSG_BYE:
    g_assert_cmpstr (a->u.bye.reason, ==, b->u.bye.reason);
    break;
  case MS_MSG_MEDIA_FAILED:
    g_assert_cmpint (a->u.media_failed.pc, ==, b->u.media_failed.pc);
    break;
  case MS_MSG_REDIRECT:
    g_assert_cmpstr (a->u.redirect.url, ==, b->u.redirect.url);
    break;
  case MS_MSG_LEAVE:
  case MS_MSG_OK:
    break;
  default:
    g_assert_not_reached ();
  }
}

static MsMessage *
decode_ok (const char  *json,
           MsDirection  direction)
{
  g_autoptr (GError) error = NULL;
  MsMessage *msg;

  msg = ms_message_decode (json, strlen (json), direction, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);

  return msg;
}

/* Encodes @msg, decodes it as a frame going in @direction and checks that
 * nothing was lost; returns the decoded copy. */
static MsMessage *
roundtrip (const MsMessage *msg,
           MsDirection      direction)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  MsMessage *decoded;
  gsize length = 0;
  gint64 id = 42;

  text = ms_message_encode (msg, &length);
  g_assert_nonnull (text);
  g_assert_cmpuint (strlen (text), ==, length);

  decoded = ms_message_decode (text, length, direction, NULL, &id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (decoded);
  g_assert_cmpint (id, ==, msg->has_id ? msg->id : -1);
  assert_message_equal (msg, decoded);

  return decoded;
}

static JsonObject *
encode_object (const MsMessage *msg)
{
  g_autoptr (JsonNode) node = ms_message_to_json (msg);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* Round trips: one builder per message shape */

static MsTrackDesc *
track_new (const char  *mid,
           const char  *peer_id,
           const char  *tag,
           MsTrackKind  kind,
           gboolean     paused)
{
  MsTrackDesc *track = ms_track_desc_new (tag, kind, paused);

  track->mid = g_strdup (mid);
  track->peer_id = g_strdup (peer_id);
  return track;
}

static GPtrArray *
track_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ms_track_desc_free);
}

static MsPeerDesc *
bob_desc (void)
{
  MsPeerDesc *peer = ms_peer_desc_new ("bob", "Bob \"the builder\" Ø", NULL);

  g_ptr_array_add (peer->tracks, ms_track_desc_new ("camera", MS_TRACK_KIND_VIDEO, FALSE));
  g_ptr_array_add (peer->tracks, ms_track_desc_new ("microphone", MS_TRACK_KIND_AUDIO, TRUE));
  return peer;
}

static MsMessage *
build_join (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_JOIN);

  msg->has_id = TRUE;
  msg->id = 1;
  msg->u.join.token = g_strdup ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln");
  msg->u.join.resume = g_strdup ("q1w2e3r4t5y6u7i8o9p0-_AB");
  msg->u.join.display_name = g_strdup ("Alice Liddell");
  msg->u.join.avatar = g_strdup ("https://example.org/alice.png");
  msg->u.join.has_hidden = TRUE;
  msg->u.join.hidden = TRUE;
  return msg;
}

static MsMessage *
build_join_minimal (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_JOIN);

  msg->u.join.token = g_strdup ("t.o.k");
  return msg;
}

static MsMessage *
build_offer_to_server (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_OFFER);

  msg->has_id = TRUE;
  msg->id = 2;
  msg->u.offer.pc = MS_PC_PUBLISH;
  msg->u.offer.sdp = g_strdup ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n");
  msg->u.offer.tracks = track_array ();
  g_ptr_array_add (msg->u.offer.tracks,
                   track_new ("0", NULL, "microphone", MS_TRACK_KIND_AUDIO, FALSE));
  g_ptr_array_add (msg->u.offer.tracks,
                   track_new ("1", NULL, "camera", MS_TRACK_KIND_VIDEO, TRUE));
  return msg;
}

static MsMessage *
build_offer_to_client (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_OFFER);

  msg->u.offer.pc = MS_PC_SUBSCRIBE;
  msg->u.offer.sdp = g_strdup ("v=0\r\n");
  msg->u.offer.tracks = track_array ();
  g_ptr_array_add (msg->u.offer.tracks,
                   track_new ("0", "bob", "camera", MS_TRACK_KIND_VIDEO, FALSE));
  g_ptr_array_add (msg->u.offer.tracks,
                   track_new ("1", "carol", "camera", MS_TRACK_KIND_VIDEO, TRUE));
  return msg;
}

static MsMessage *
build_offer_empty (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_OFFER);

  /* No track at all: the publisher stopped everything. */
  msg->u.offer.pc = MS_PC_PUBLISH;
  msg->u.offer.sdp = g_strdup ("v=0\r\n");
  return msg;
}

static MsMessage *
build_answer_to_server (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_ANSWER);

  msg->has_id = TRUE;
  msg->id = 3;
  msg->u.answer.pc = MS_PC_SUBSCRIBE;
  msg->u.answer.sdp = g_strdup ("v=0\r\na=group:BUNDLE 0 1\r\n");
  return msg;
}

static MsMessage *
build_answer_to_client (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_ANSWER);

  msg->u.answer.pc = MS_PC_PUBLISH;
  msg->u.answer.sdp = g_strdup ("v=0\r\n");
  return msg;
}

static MsMessage *
build_candidate_to_server (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_CANDIDATE);

  msg->u.candidate.pc = MS_PC_PUBLISH;
  msg->u.candidate.candidate = g_strdup ("candidate:1 1 UDP 2122252543 192.0.2.1 54321 typ host");
  msg->u.candidate.sdp_mline_index = 65535;
  return msg;
}

static MsMessage *
build_candidate_to_client (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_CANDIDATE);

  msg->u.candidate.pc = MS_PC_SUBSCRIBE;
  msg->u.candidate.candidate = g_strdup ("");
  msg->u.candidate.sdp_mline_index = 0;
  return msg;
}

static MsMessage *
build_track_request (MsMsgType type)
{
  MsMessage *msg = ms_message_new (type);

  msg->has_id = TRUE;
  msg->id = 4;
  msg->u.track_request.tag = g_strdup ("screen:1");
  return msg;
}

static MsMessage *
build_pause_track (void)
{
  return build_track_request (MS_MSG_PAUSE_TRACK);
}

static MsMessage *
build_resume_track (void)
{
  return build_track_request (MS_MSG_RESUME_TRACK);
}

static MsMessage *
build_close_track (void)
{
  return build_track_request (MS_MSG_CLOSE_TRACK);
}

static MsMessage *
build_set_receiving (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_SET_RECEIVING);

  msg->has_id = TRUE;
  msg->id = 5;
  msg->u.set_receiving.peer_id = g_strdup ("bob");
  msg->u.set_receiving.tag = g_strdup ("camera");
  msg->u.set_receiving.enabled = FALSE;
  return msg;
}

static MsMessage *
build_set_receiving_all (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_SET_RECEIVING);

  msg->u.set_receiving.peer_id = g_strdup ("bob");
  msg->u.set_receiving.enabled = TRUE;
  return msg;
}

static MsMessage *
build_message_to (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_MESSAGE);

  msg->has_id = TRUE;
  msg->id = MS_PROTOCOL_MAX_ID;
  msg->u.message.msg_type = g_strdup ("chat");
  msg->u.message.body = json_from_string ("{\"text\":\"héllo\",\"n\":[1,2.5,true,null]}", NULL);
  msg->u.message.to = g_strdup ("bob");
  return msg;
}

static MsMessage *
build_message_everyone (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_MESSAGE);

  msg->u.message.msg_type = g_strdup ("reaction");
  msg->u.message.body = json_from_string ("\"👍\"", NULL);
  return msg;
}

static MsMessage *
build_message_from (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_MESSAGE);

  msg->u.message.msg_type = g_strdup ("chat");
  msg->u.message.body = json_from_string ("{\"text\":\"hi\"}", NULL);
  msg->u.message.from = g_strdup ("alice");
  return msg;
}

static MsMessage *
build_message_hidden_sender (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_MESSAGE);

  msg->u.message.msg_type = g_strdup ("chat");
  msg->u.message.body = json_from_string ("[[], {}, -7]", NULL);
  return msg;
}

static MsMessage *
build_set_hidden (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_SET_HIDDEN);

  msg->has_id = TRUE;
  msg->id = 0;
  msg->u.set_hidden.hidden = TRUE;
  return msg;
}

static MsMessage *
build_set_profile (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_SET_PROFILE);

  msg->has_id = TRUE;
  msg->id = 8;
  msg->u.set_profile.has_display_name = TRUE;
  msg->u.set_profile.display_name = g_strdup ("Алиса");
  msg->u.set_profile.has_avatar = TRUE;
  msg->u.set_profile.avatar = g_strdup ("http://localhost:8080/a.png");
  return msg;
}

static MsMessage *
build_set_profile_name (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_SET_PROFILE);

  msg->u.set_profile.has_display_name = TRUE;
  msg->u.set_profile.display_name = g_strdup ("Al");
  return msg;
}

static MsMessage *
build_set_profile_no_avatar (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_SET_PROFILE);

  msg->u.set_profile.has_avatar = TRUE;
  return msg;
}

static MsMessage *
build_leave (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_LEAVE);

  msg->has_id = TRUE;
  msg->id = 9;
  return msg;
}

static MsMessage *
build_welcome (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_WELCOME);
  const char *send_tracks[] = { "camera", "microphone", NULL };
  const char *everything[] = { "*", NULL };
  const char *chat[] = { "chat", "reaction", NULL };
  MsGrants grants = { (GStrv) send_tracks, (GStrv) everything, (GStrv) chat, (GStrv) everything,
                      TRUE, FALSE, TRUE };
  MsIceServer *stun = g_new0 (MsIceServer, 1);
  MsIceServer *turn = g_new0 (MsIceServer, 1);
  MsPeerDesc *carol = ms_peer_desc_new ("carol", "Carol", "https://example.org/c.png");

  msg->u.welcome.peer_id = g_strdup ("alice-1");
  msg->u.welcome.room = g_strdup ("standup");
  msg->u.welcome.display_name = g_strdup ("Alice");
  msg->u.welcome.hidden = FALSE;
  ms_grants_copy_to (&grants, &msg->u.welcome.grants);

  msg->u.welcome.peers = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_peer_desc_free);
  g_ptr_array_add (msg->u.welcome.peers, bob_desc ());
  g_ptr_array_add (msg->u.welcome.peers, carol);

  stun->urls = g_strsplit ("stun:stun.example.org:3478", " ", -1);
  turn->urls = g_strsplit ("turn:turn.example.org:3478?transport=udp "
                           "turns:turn.example.org:5349", " ", -1);
  turn->username = g_strdup ("1700000000:alice");
  turn->credential = g_strdup ("s3cr3t/+=");
  msg->u.welcome.ice_servers = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_ice_server_free);
  g_ptr_array_add (msg->u.welcome.ice_servers, stun);
  g_ptr_array_add (msg->u.welcome.ice_servers, turn);

  msg->u.welcome.resume = g_strdup ("q1w2e3r4t5y6u7i8o9p0-_AB");
  msg->u.welcome.server_version = g_strdup ("0.1.0");
  msg->u.welcome.features = g_strsplit ("renegotiation x-future", " ", -1);
  msg->u.welcome.nodes = g_strsplit ("ws://10.0.0.11:7880/v1/ws wss://b.example.org/v1/ws", " ",
                                     -1);
  return msg;
}

static MsMessage *
build_welcome_minimal (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_WELCOME);

  msg->u.welcome.peer_id = g_strdup ("p");
  msg->u.welcome.room = g_strdup ("r");
  msg->u.welcome.display_name = g_strdup ("P");
  msg->u.welcome.avatar = g_strdup ("https://example.org/p.png");
  msg->u.welcome.hidden = TRUE;
  msg->u.welcome.resume = g_strdup ("k");
  msg->u.welcome.server_version = g_strdup ("1.0");
  return msg;
}

static MsMessage *
build_peer_event (MsMsgType type)
{
  MsMessage *msg = ms_message_new (type);

  msg->u.peer.peer = bob_desc ();
  return msg;
}

static MsMessage *
build_peer_joined (void)
{
  return build_peer_event (MS_MSG_PEER_JOINED);
}

static MsMessage *
build_peer_updated (void)
{
  MsMessage *msg = build_peer_event (MS_MSG_PEER_UPDATED);

  msg->u.peer.peer->avatar = g_strdup ("https://example.org/bob.png");
  msg->u.peer.peer->host = TRUE;
  return msg;
}

static MsMessage *
build_peer_left (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_PEER_LEFT);

  msg->u.peer_left.peer_id = g_strdup ("bob");
  return msg;
}

static MsMessage *
build_track_event (MsMsgType type)
{
  MsMessage *msg = ms_message_new (type);

  msg->u.track_event.peer_id = g_strdup ("bob");
  msg->u.track_event.tag = g_strdup ("camera");
  msg->u.track_event.kind = MS_TRACK_KIND_VIDEO;
  msg->u.track_event.paused = TRUE;
  return msg;
}

static MsMessage *
build_track_published (void)
{
  return build_track_event (MS_MSG_TRACK_PUBLISHED);
}

static MsMessage *
build_track_updated (void)
{
  return build_track_event (MS_MSG_TRACK_UPDATED);
}

static MsMessage *
build_track_closed (void)
{
  return build_track_event (MS_MSG_TRACK_CLOSED);
}

static MsMessage *
build_ok (void)
{
  return ms_message_new_ok (7);
}

static MsMessage *
build_error (void)
{
  return ms_message_new_error (TRUE, 7, MS_PROTOCOL_ERROR_FORBIDDEN,
                               "You may not publish under the tag 'screen'");
}

static MsMessage *
build_error_without_id (void)
{
  return ms_message_new_error (FALSE, 0, MS_PROTOCOL_ERROR_UNAUTHORIZED, "Bad \"token\"\n");
}

static MsMessage *
build_bye (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_BYE);

  msg->u.bye.reason = g_strdup ("replaced by a newer connection");
  return msg;
}

static MsMessage *
build_media_failed (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_MEDIA_FAILED);

  msg->u.media_failed.pc = MS_PC_PUBLISH;
  return msg;
}

static MsMessage *
build_redirect (void)
{
  MsMessage *msg = ms_message_new (MS_MSG_REDIRECT);

  msg->has_id = TRUE;
  msg->id = 1;
  msg->u.redirect.url = g_strdup ("wss://node-b.example.org:7443/v1/ws");
  return msg;
}

typedef struct {
  const char   *path;
  MsDirection   direction;
  MsMessage  *(*build) (void);
} RoundtripCase;

#define TO_SRV MS_DIRECTION_TO_SERVER
#define TO_CLI MS_DIRECTION_TO_CLIENT

static const RoundtripCase roundtrip_cases[] = {
  { "/protocol/roundtrip/join", TO_SRV, build_join },
  { "/protocol/roundtrip/join/minimal", TO_SRV, build_join_minimal },
  { "/protocol/roundtrip/offer/to-server", TO_SRV, build_offer_to_server },
  { "/protocol/roundtrip/offer/to-client", TO_CLI, build_offer_to_client },
  { "/protocol/roundtrip/offer/no-tracks", TO_SRV, build_offer_empty },
  { "/protocol/roundtrip/answer/to-server", TO_SRV, build_answer_to_server },
  { "/protocol/roundtrip/answer/to-client", TO_CLI, build_answer_to_client },
  { "/protocol/roundtrip/candidate/to-server", TO_SRV, build_candidate_to_server },
  { "/protocol/roundtrip/candidate/to-client", TO_CLI, build_candidate_to_client },
  { "/protocol/roundtrip/pause-track", TO_SRV, build_pause_track },
  { "/protocol/roundtrip/resume-track", TO_SRV, build_resume_track },
  { "/protocol/roundtrip/close-track", TO_SRV, build_close_track },
  { "/protocol/roundtrip/set-receiving", TO_SRV, build_set_receiving },
  { "/protocol/roundtrip/set-receiving/all-tracks", TO_SRV, build_set_receiving_all },
  { "/protocol/roundtrip/message/to-server", TO_SRV, build_message_to },
  { "/protocol/roundtrip/message/to-server-everyone", TO_SRV, build_message_everyone },
  { "/protocol/roundtrip/message/to-client", TO_CLI, build_message_from },
  { "/protocol/roundtrip/message/to-client-hidden-sender", TO_CLI, build_message_hidden_sender },
  { "/protocol/roundtrip/set-hidden", TO_SRV, build_set_hidden },
  { "/protocol/roundtrip/set-profile", TO_SRV, build_set_profile },
  { "/protocol/roundtrip/set-profile/name-only", TO_SRV, build_set_profile_name },
  { "/protocol/roundtrip/set-profile/remove-avatar", TO_SRV, build_set_profile_no_avatar },
  { "/protocol/roundtrip/leave", TO_SRV, build_leave },
  { "/protocol/roundtrip/welcome", TO_CLI, build_welcome },
  { "/protocol/roundtrip/welcome/minimal", TO_CLI, build_welcome_minimal },
  { "/protocol/roundtrip/peer-joined", TO_CLI, build_peer_joined },
  { "/protocol/roundtrip/peer-updated", TO_CLI, build_peer_updated },
  { "/protocol/roundtrip/peer-left", TO_CLI, build_peer_left },
  { "/protocol/roundtrip/track-published", TO_CLI, build_track_published },
  { "/protocol/roundtrip/track-updated", TO_CLI, build_track_updated },
  { "/protocol/roundtrip/track-closed", TO_CLI, build_track_closed },
  { "/protocol/roundtrip/ok", TO_CLI, build_ok },
  { "/protocol/roundtrip/error", TO_CLI, build_error },
  { "/protocol/roundtrip/error/without-id", TO_CLI, build_error_without_id },
  { "/protocol/roundtrip/bye", TO_CLI, build_bye },
  { "/protocol/roundtrip/media-failed", TO_CLI, build_media_failed },
  { "/protocol/roundtrip/redirect", TO_CLI, build_redirect },
};

static void
test_roundtrip (gconstpointer data)
{
  const RoundtripCase *rc = data;
  g_autoptr (MsMessage) msg = rc->build ();
  g_autoptr (MsMessage) once = roundtrip (msg, rc->direction);
  g_autoptr (MsMessage) twice = NULL;

  twice = roundtrip (once, rc->direction);
  assert_message_equal (msg, twice);
}

/* A copy equals the original and shares nothing with it. */
static void
test_copy_messages (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (roundtrip_cases); i++) {
    g_autoptr (MsMessage) msg = roundtrip_cases[i].build ();
    g_autoptr (MsMessage) copy = ms_message_copy (msg);

    g_assert_nonnull (copy);
    g_assert_true (copy != msg);
    assert_message_equal (msg, copy);
  }
}

/* The server keeps copies of messages it checked against its own limits,
 * which may be wider than the defaults. */
static void
test_copy_beyond_limits (void)
{
  g_autoptr (MsMessage) msg = ms_message_new (MS_MSG_MESSAGE);
  g_autoptr (MsMessage) copy = NULL;
  g_autoptr (MsMessage) invalid = ms_message_new (MS_MSG_JOIN);
  g_autofree char *long_type = g_strnfill (200, 't');
  g_autofree char *big = g_strnfill (100000, 'b');

  msg->u.message.msg_type = g_strdup (long_type);
  msg->u.message.from = g_strdup ("bob");
  msg->u.message.body = json_node_init_string (json_node_alloc (), big);

  copy = ms_message_copy (msg);
  g_assert_nonnull (copy);
  assert_message_equal (msg, copy);
  g_assert_true (copy->u.message.body != msg->u.message.body);

  /* A message that could never be sent has no copy either. */
  g_assert_null (ms_message_copy (invalid));
}

/* Every type exists on the wire in the directions the design gives it,
 * and only in those. */
static void
test_roundtrip_coverage (void)
{
  guint seen[MS_MSG_REDIRECT + 1][2] = { { 0 } };

  for (guint i = 0; i < G_N_ELEMENTS (roundtrip_cases); i++) {
    g_autoptr (MsMessage) msg = roundtrip_cases[i].build ();

    seen[msg->type][roundtrip_cases[i].direction]++;
  }

  for (MsMsgType type = MS_MSG_JOIN; type <= MS_MSG_REDIRECT; type++) {
    for (MsDirection dir = TO_SRV; dir <= TO_CLI; dir++) {
      gboolean exists = ms_msg_type_from_string (ms_msg_type_to_string (type), dir, NULL);

      g_assert_cmpint (exists, ==, seen[type][dir] > 0);
    }
  }
}

/* What the encoder writes, and what it leaves out */

static void
test_encode_wire (void)
{
  g_autoptr (MsMessage) ok = ms_message_new_ok (7);
  g_autoptr (MsMessage) left = build_peer_left ();
  g_autoptr (MsMessage) error = build_error_without_id ();
  g_autofree char *ok_text = ms_message_encode (ok, NULL);
  g_autofree char *left_text = ms_message_encode (left, NULL);
  g_autofree char *error_text = ms_message_encode (error, NULL);

  g_assert_cmpstr (ok_text, ==, "{\"type\":\"ok\",\"id\":7}");
  g_assert_cmpstr (left_text, ==, "{\"type\":\"peer-left\",\"peer_id\":\"bob\"}");
  g_assert_cmpstr (error_text, ==,
                   "{\"type\":\"error\",\"code\":\"unauthorized\","
                   "\"message\":\"Bad \\\"token\\\"\\n\"}");
}

static void
test_encode_nulls (void)
{
  g_autoptr (MsMessage) welcome = build_welcome ();
  g_autoptr (MsMessage) joined = build_peer_joined ();
  g_autoptr (MsMessage) hidden = build_message_hidden_sender ();
  g_autoptr (MsMessage) remove_avatar = build_set_profile_no_avatar ();
  g_autoptr (JsonObject) w = encode_object (welcome);
  g_autoptr (JsonObject) j = encode_object (joined);
  g_autoptr (JsonObject) h = encode_object (hidden);
  g_autoptr (JsonObject) r = encode_object (remove_avatar);
  JsonObject *peer;

  /* Always there, null when there is none. */
  g_assert_true (json_object_has_member (w, "avatar"));
  g_assert_true (json_object_get_null_member (w, "avatar"));
  peer = json_array_get_object_element (json_object_get_array_member (w, "peers"), 0);
  g_assert_true (json_object_get_null_member (peer, "avatar"));
  g_assert_false (json_object_has_member (peer, "mid"));
  peer = json_object_get_object_member (j, "peer");
  g_assert_true (json_object_get_null_member (peer, "avatar"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (peer, "tracks")), ==, 2);

  g_assert_true (json_object_has_member (h, "from"));
  g_assert_true (json_object_get_null_member (h, "from"));
  g_assert_false (json_object_has_member (h, "to"));

  g_assert_true (json_object_get_null_member (r, "avatar"));
  g_assert_false (json_object_has_member (r, "display_name"));
}

/* A body's numbers go out as JSON that means the same numbers: json-glib
 * 1.6 alone writes the doubles whose shortest form is an exponent with
 * no '.' as "1e-08.0" (found by fuzz-protocol). Strings and the literals
 * stay as they were. */
static void
test_encode_body_numbers (void)
{
  static const char frame[] =
    "{\"type\":\"message\",\"msg_type\":\"m\",\"body\":"
    "[1e-8,9e20,-2E+17,1e308,5e-324,0.5,1.5e300,1e16,7,true,false,"
    "\"9e+20.0\",{\"1e-08.0\":\"e1.0\"}]}";
  static const double numbers[] = { 1e-8, 9e20, -2e17, 1e308, 5e-324, 0.5, 1.5e300, 1e16 };
  g_autoptr (MsMessage) msg = NULL;
  g_autoptr (MsMessage) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  JsonArray *body;
  JsonObject *last;
  gsize length = 0;

  msg = ms_message_decode (frame, strlen (frame), MS_DIRECTION_TO_SERVER, NULL, NULL, &error);
  g_assert_no_error (error);
  text = ms_message_encode (msg, &length);
  g_assert_cmpuint (length, ==, strlen (text));
  g_assert_true (ms_protocol_check_json (text, length, &error));
  g_assert_no_error (error);
  again = ms_message_decode (text, length, MS_DIRECTION_TO_SERVER, NULL, NULL, &error);
  g_assert_no_error (error);

  body = json_node_get_array (again->u.message.body);
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    g_assert_cmpfloat (json_array_get_double_element (body, i), ==, numbers[i]);
  g_assert_cmpint (json_array_get_int_element (body, 8), ==, 7);
  g_assert_true (json_array_get_boolean_element (body, 9));
  g_assert_false (json_array_get_boolean_element (body, 10));
  g_assert_cmpstr (json_array_get_string_element (body, 11), ==, "9e+20.0");
  last = json_array_get_object_element (body, 12);
  g_assert_cmpstr (json_object_get_string_member (last, "1e-08.0"), ==, "e1.0");
}

static void
test_encode_omits_absent (void)
{
  g_autoptr (MsMessage) join = build_join_minimal ();
  g_autoptr (MsMessage) receiving = build_set_receiving_all ();
  g_autoptr (MsMessage) profile = build_set_profile_name ();
  g_autoptr (MsMessage) to = build_message_to ();
  g_autoptr (MsMessage) offer = build_offer_to_server ();
  g_autoptr (MsMessage) event = build_track_closed ();
  g_autoptr (JsonObject) jo = encode_object (join);
  g_autoptr (JsonObject) ro = encode_object (receiving);
  g_autoptr (JsonObject) po = encode_object (profile);
  g_autoptr (JsonObject) mo = encode_object (to);
  g_autoptr (JsonObject) oo = encode_object (offer);
  g_autoptr (JsonObject) eo = encode_object (event);
  JsonObject *track;

  g_assert_cmpint (json_object_get_int_member (jo, "protocol"), ==, MS_PROTOCOL_VERSION);
  g_assert_false (json_object_has_member (jo, "id"));
  g_assert_false (json_object_has_member (jo, "resume"));
  g_assert_false (json_object_has_member (jo, "display_name"));
  g_assert_false (json_object_has_member (jo, "avatar"));
  g_assert_false (json_object_has_member (jo, "hidden"));
  g_assert_false (json_object_has_member (ro, "tag"));
  g_assert_false (json_object_has_member (po, "avatar"));
  g_assert_false (json_object_has_member (mo, "from"));
  g_assert_cmpstr (json_object_get_string_member (mo, "to"), ==, "bob");

  track = json_array_get_object_element (json_object_get_array_member (oo, "tracks"), 0);
  g_assert_cmpstr (json_object_get_string_member (track, "mid"), ==, "0");
  g_assert_false (json_object_has_member (track, "peer_id"));

  g_assert_false (json_object_has_member (eo, "kind"));
  g_assert_false (json_object_has_member (eo, "paused"));
}

/* Frames written by hand */

#define TOKEN "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"

static void
check_join (const MsMessage *msg)
{
  g_assert_true (msg->has_id);
  g_assert_cmpint (msg->id, ==, 1);
  g_assert_cmpstr (msg->u.join.token, ==, TOKEN);
  g_assert_cmpint (msg->u.join.protocol, ==, 1);
  g_assert_cmpstr (msg->u.join.resume, ==, "Zm9vYmFyYmF6cXV4");
  g_assert_cmpstr (msg->u.join.display_name, ==, "Alice Liddell");
  g_assert_cmpstr (msg->u.join.avatar, ==, "https://example.org/alice.png");
  g_assert_true (msg->u.join.has_hidden);
  g_assert_false (msg->u.join.hidden);
}

static void
check_join_minimal (const MsMessage *msg)
{
  g_assert_false (msg->has_id);
  g_assert_cmpstr (msg->u.join.token, ==, TOKEN);
  g_assert_null (msg->u.join.resume);
  g_assert_null (msg->u.join.display_name);
  g_assert_null (msg->u.join.avatar);
  g_assert_false (msg->u.join.has_hidden);
}

static void
check_offer_to_server (const MsMessage *msg)
{
  const MsTrackDesc *track;

  g_assert_cmpint (msg->id, ==, 2);
  g_assert_cmpint (msg->u.offer.pc, ==, MS_PC_PUBLISH);
  g_assert_cmpstr (msg->u.offer.sdp, ==, "v=0\r\ns=-\r\n");
  g_assert_cmpuint (msg->u.offer.tracks->len, ==, 2);
  track = g_ptr_array_index (msg->u.offer.tracks, 1);
  g_assert_cmpstr (track->mid, ==, "1");
  g_assert_null (track->peer_id);
  g_assert_cmpstr (track->tag, ==, "camera");
  g_assert_cmpint (track->kind, ==, MS_TRACK_KIND_VIDEO);
  g_assert_true (track->paused);
}

static void
check_offer_to_client (const MsMessage *msg)
{
  const MsTrackDesc *track;

  g_assert_false (msg->has_id);
  g_assert_cmpint (msg->u.offer.pc, ==, MS_PC_SUBSCRIBE);
  g_assert_cmpuint (msg->u.offer.tracks->len, ==, 2);
  track = g_ptr_array_index (msg->u.offer.tracks, 0);
  g_assert_cmpstr (track->mid, ==, "0");
  g_assert_cmpstr (track->peer_id, ==, "bob");
  g_assert_cmpstr (track->tag, ==, "camera");
  g_assert_cmpint (track->kind, ==, MS_TRACK_KIND_VIDEO);
  g_assert_false (track->paused);
  track = g_ptr_array_index (msg->u.offer.tracks, 1);
  g_assert_cmpstr (track->peer_id, ==, "carol");
  g_assert_cmpstr (track->tag, ==, "camera");
}

static void
check_answer_to_server (const MsMessage *msg)
{
  g_assert_cmpint (msg->id, ==, 3);
  g_assert_cmpint (msg->u.answer.pc, ==, MS_PC_SUBSCRIBE);
  g_assert_cmpstr (msg->u.answer.sdp, ==, "v=0\r\n");
}

static void
check_answer_to_client (const MsMessage *msg)
{
  g_assert_cmpint (msg->u.answer.pc, ==, MS_PC_PUBLISH);
  g_assert_cmpstr (msg->u.answer.sdp, ==, "v=0\r\n");
}

static void
check_candidate_to_server (const MsMessage *msg)
{
  g_assert_cmpint (msg->u.candidate.pc, ==, MS_PC_PUBLISH);
  g_assert_cmpstr (msg->u.candidate.candidate, ==,
                   "candidate:1 1 UDP 2122252543 192.0.2.1 54321 typ host");
  g_assert_cmpuint (msg->u.candidate.sdp_mline_index, ==, 0);
}

static void
check_candidate_to_client (const MsMessage *msg)
{
  g_assert_cmpint (msg->u.candidate.pc, ==, MS_PC_SUBSCRIBE);
  g_assert_cmpstr (msg->u.candidate.candidate, ==, "");
  g_assert_cmpuint (msg->u.candidate.sdp_mline_index, ==, 1);
}

static void
check_track_request (const MsMessage *msg)
{
  g_assert_cmpint (msg->id, ==, 4);
  g_assert_cmpstr (msg->u.track_request.tag, ==, "camera");
}

static void
check_set_receiving (const MsMessage *msg)
{
  g_assert_cmpint (msg->id, ==, 5);
  g_assert_cmpstr (msg->u.set_receiving.peer_id, ==, "bob");
  g_assert_cmpstr (msg->u.set_receiving.tag, ==, "camera");
  g_assert_false (msg->u.set_receiving.enabled);
}

static void
check_set_receiving_all (const MsMessage *msg)
{
  g_assert_cmpstr (msg->u.set_receiving.peer_id, ==, "bob");
  g_assert_null (msg->u.set_receiving.tag);
  g_assert_true (msg->u.set_receiving.enabled);
}

static void
check_message_to_server (const MsMessage *msg)
{
  JsonObject *body;

  g_assert_cmpint (msg->id, ==, 6);
  g_assert_cmpstr (msg->u.message.msg_type, ==, "chat");
  g_assert_cmpstr (msg->u.message.to, ==, "bob");
  g_assert_null (msg->u.message.from);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (msg->u.message.body));
  body = json_node_get_object (msg->u.message.body);
  g_assert_cmpstr (json_object_get_string_member (body, "text"), ==, "hello");
}

static void
check_message_to_client (const MsMessage *msg)
{
  g_assert_cmpstr (msg->u.message.from, ==, "bob");
  g_assert_null (msg->u.message.to);
  g_assert_cmpstr (msg->u.message.msg_type, ==, "chat");
  g_assert_cmpstr (json_node_get_string (msg->u.message.body), ==, "hi");
}

static void
check_message_hidden_sender (const MsMessage *msg)
{
  g_assert_null (msg->u.message.from);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (msg->u.message.body));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (msg->u.message.body)), ==, 2);
}

static void
check_message_null_body (const MsMessage *msg)
{
  g_assert_nonnull (msg->u.message.body);
  g_assert_true (JSON_NODE_HOLDS_NULL (msg->u.message.body));
}

static void
check_set_hidden (const MsMessage *msg)
{
  g_assert_cmpint (msg->id, ==, 7);
  g_assert_true (msg->u.set_hidden.hidden);
}

static void
check_set_profile (const MsMessage *msg)
{
  g_assert_cmpint (msg->id, ==, 8);
  g_assert_true (msg->u.set_profile.has_display_name);
  g_assert_cmpstr (msg->u.set_profile.display_name, ==, "Alice L.");
  g_assert_true (msg->u.set_profile.has_avatar);
  g_assert_null (msg->u.set_profile.avatar);
}

static void
check_set_profile_avatar (const MsMessage *msg)
{
  g_assert_false (msg->u.set_profile.has_display_name);
  g_assert_true (msg->u.set_profile.has_avatar);
  g_assert_cmpstr (msg->u.set_profile.avatar, ==, "https://example.org/a.png");
}

static void
check_leave (const MsMessage *msg)
{
  g_assert_true (msg->has_id);
  g_assert_cmpint (msg->id, ==, 9);
}

static void
check_welcome (const MsMessage *msg)
{
  const MsGrants *grants = &msg->u.welcome.grants;
  const MsPeerDesc *bob;
  const MsTrackDesc *track;
  const MsIceServer *ice;

  g_assert_false (msg->has_id);
  g_assert_cmpstr (msg->u.welcome.peer_id, ==, "alice-1");
  g_assert_cmpstr (msg->u.welcome.room, ==, "standup");
  g_assert_cmpstr (msg->u.welcome.display_name, ==, "Alice Liddell");
  g_assert_null (msg->u.welcome.avatar);
  g_assert_false (msg->u.welcome.hidden);

  g_assert_cmpstrv (grants->send_tracks, ((const char *[]) { "camera", "microphone", NULL }));
  g_assert_cmpstrv (grants->recv_tracks, ((const char *[]) { "*", NULL }));
  g_assert_cmpstrv (grants->send_messages, ((const char *[]) { NULL }));
  g_assert_cmpstrv (grants->recv_messages, ((const char *[]) { "chat", "*", NULL }));
  g_assert_true (grants->can_hide);
  g_assert_false (grants->hidden);

  g_assert_cmpuint (msg->u.welcome.peers->len, ==, 1);
  bob = g_ptr_array_index (msg->u.welcome.peers, 0);
  g_assert_cmpstr (bob->id, ==, "bob");
  g_assert_cmpstr (bob->display_name, ==, "Bob");
  g_assert_cmpstr (bob->avatar, ==, "https://example.org/bob.png");
  g_assert_cmpuint (bob->tracks->len, ==, 1);
  track = g_ptr_array_index (bob->tracks, 0);
  g_assert_null (track->mid);
  g_assert_cmpstr (track->tag, ==, "microphone");
  g_assert_cmpint (track->kind, ==, MS_TRACK_KIND_AUDIO);
  g_assert_true (track->paused);

  g_assert_cmpuint (msg->u.welcome.ice_servers->len, ==, 2);
  ice = g_ptr_array_index (msg->u.welcome.ice_servers, 0);
  g_assert_cmpstrv (ice->urls, ((const char *[]) { "stun:stun.example.org:3478", NULL }));
  g_assert_null (ice->username);
  g_assert_null (ice->credential);
  ice = g_ptr_array_index (msg->u.welcome.ice_servers, 1);
  g_assert_cmpstrv (ice->urls, ((const char *[]) { "turn:turn.example.org:3478",
                                                   "turns:turn.example.org:5349", NULL }));
  g_assert_cmpstr (ice->username, ==, "alice");
  g_assert_cmpstr (ice->credential, ==, "secret");

  g_assert_cmpstr (msg->u.welcome.resume, ==, "Zm9vYmFyYmF6cXV4");
  g_assert_cmpstr (msg->u.welcome.server_version, ==, "0.1.0");
}

static void
check_peer_event (const MsMessage *msg)
{
  const MsPeerDesc *peer = msg->u.peer.peer;
  const MsTrackDesc *track;

  g_assert_cmpstr (peer->id, ==, "bob");
  g_assert_cmpstr (peer->display_name, ==, "Bob");
  g_assert_null (peer->avatar);
  g_assert_cmpuint (peer->tracks->len, ==, 2);
  track = g_ptr_array_index (peer->tracks, 0);
  g_assert_cmpstr (track->tag, ==, "camera");
  g_assert_cmpint (track->kind, ==, MS_TRACK_KIND_VIDEO);
  g_assert_false (track->paused);
}

static void
check_peer_left (const MsMessage *msg)
{
  g_assert_cmpstr (msg->u.peer_left.peer_id, ==, "bob");
}

static void
check_track_published (const MsMessage *msg)
{
  g_assert_cmpstr (msg->u.track_event.peer_id, ==, "bob");
  g_assert_cmpstr (msg->u.track_event.tag, ==, "screen");
  g_assert_cmpint (msg->u.track_event.kind, ==, MS_TRACK_KIND_VIDEO);
  g_assert_false (msg->u.track_event.paused);
}

static void
check_track_updated (const MsMessage *msg)
{
  g_assert_cmpstr (msg->u.track_event.peer_id, ==, "bob");
  g_assert_cmpstr (msg->u.track_event.tag, ==, "screen");
  g_assert_true (msg->u.track_event.paused);
}

static void
check_track_closed (const MsMessage *msg)
{
  g_assert_cmpstr (msg->u.track_event.peer_id, ==, "bob");
  g_assert_cmpstr (msg->u.track_event.tag, ==, "screen");
}

static void
check_ok (const MsMessage *msg)
{
  g_assert_true (msg->has_id);
  g_assert_cmpint (msg->id, ==, 7);
}

static void
check_error (const MsMessage *msg)
{
  g_assert_cmpint (msg->id, ==, 7);
  g_assert_cmpint (msg->u.error.code, ==, MS_PROTOCOL_ERROR_FORBIDDEN);
  g_assert_cmpstr (msg->u.error.message, ==, "You may not publish under the tag 'screen'");
}

static void
check_error_without_id (const MsMessage *msg)
{
  g_assert_false (msg->has_id);
  g_assert_cmpint (msg->u.error.code, ==, MS_PROTOCOL_ERROR_TOKEN_EXPIRED);
}

static void
check_bye (const MsMessage *msg)
{
  g_assert_cmpstr (msg->u.bye.reason, ==, "replaced by a newer connection");
}

static void
check_media_failed (const MsMessage *msg)
{
  g_assert_cmpint (msg->u.media_failed.pc, ==, MS_PC_SUBSCRIBE);
}

static void
check_redirect (const MsMessage *msg)
{
  g_assert_true (msg->has_id);
  g_assert_cmpint (msg->id, ==, 1);
  g_assert_cmpstr (msg->u.redirect.url, ==, "ws://10.0.0.12:7880/v1/ws");
}

static void
check_error_unavailable (const MsMessage *msg)
{
  g_assert_cmpint (msg->u.error.code, ==, MS_PROTOCOL_ERROR_UNAVAILABLE);
  g_assert_cmpint (ms_protocol_error_close_code (msg->u.error.code), ==, MS_CLOSE_UNAVAILABLE);
}

typedef struct {
  const char  *path;
  MsDirection  direction;
  MsMsgType    type;
  const char  *json;
  void       (*check) (const MsMessage *msg);
} ExampleCase;

static const ExampleCase example_cases[] = {
  { "/protocol/example/join", TO_SRV, MS_MSG_JOIN,
    "{\"type\":\"join\",\"id\":1,\"token\":\"" TOKEN "\",\"protocol\":1,"
    "\"resume\":\"Zm9vYmFyYmF6cXV4\",\"display_name\":\"Alice Liddell\","
    "\"avatar\":\"https://example.org/alice.png\",\"hidden\":false}", check_join },
  { "/protocol/example/join/minimal", TO_SRV, MS_MSG_JOIN,
    " {\n  \"protocol\": 1,\n  \"token\": \"" TOKEN "\",\n  \"type\": \"join\",\n"
    "  \"avatar\": null, \"resume\": null\n}\n", check_join_minimal },
  { "/protocol/example/offer/to-server", TO_SRV, MS_MSG_OFFER,
    "{\"type\":\"offer\",\"id\":2,\"pc\":\"publish\",\"sdp\":\"v=0\\r\\ns=-\\r\\n\",\"tracks\":["
    "{\"mid\":\"0\",\"tag\":\"microphone\",\"kind\":\"audio\",\"paused\":false},"
    "{\"mid\":\"1\",\"tag\":\"camera\",\"kind\":\"video\",\"paused\":true}]}",
    check_offer_to_server },
  { "/protocol/example/offer/to-client", TO_CLI, MS_MSG_OFFER,
    "{\"type\":\"offer\",\"pc\":\"subscribe\",\"sdp\":\"v=0\\r\\n\",\"tracks\":["
    "{\"mid\":\"0\",\"peer_id\":\"bob\",\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false},"
    "{\"mid\":\"1\",\"peer_id\":\"carol\",\"tag\":\"camera\",\"kind\":\"video\","
    "\"paused\":false}]}", check_offer_to_client },
  { "/protocol/example/answer/to-server", TO_SRV, MS_MSG_ANSWER,
    "{\"type\":\"answer\",\"id\":3,\"pc\":\"subscribe\",\"sdp\":\"v=0\\r\\n\"}",
    check_answer_to_server },
  { "/protocol/example/answer/to-client", TO_CLI, MS_MSG_ANSWER,
    "{\"type\":\"answer\",\"pc\":\"publish\",\"sdp\":\"v=0\\r\\n\"}", check_answer_to_client },
  { "/protocol/example/candidate/to-server", TO_SRV, MS_MSG_CANDIDATE,
    "{\"type\":\"candidate\",\"pc\":\"publish\",\"candidate\":"
    "\"candidate:1 1 UDP 2122252543 192.0.2.1 54321 typ host\",\"sdp_mline_index\":0}",
    check_candidate_to_server },
  { "/protocol/example/candidate/to-client", TO_CLI, MS_MSG_CANDIDATE,
    "{\"type\":\"candidate\",\"pc\":\"subscribe\",\"candidate\":\"\",\"sdp_mline_index\":1}",
    check_candidate_to_client },
  { "/protocol/example/pause-track", TO_SRV, MS_MSG_PAUSE_TRACK,
    "{\"type\":\"pause-track\",\"id\":4,\"tag\":\"camera\"}", check_track_request },
  { "/protocol/example/resume-track", TO_SRV, MS_MSG_RESUME_TRACK,
    "{\"type\":\"resume-track\",\"id\":4,\"tag\":\"camera\"}", check_track_request },
  { "/protocol/example/close-track", TO_SRV, MS_MSG_CLOSE_TRACK,
    "{\"type\":\"close-track\",\"id\":4,\"tag\":\"camera\"}", check_track_request },
  { "/protocol/example/set-receiving", TO_SRV, MS_MSG_SET_RECEIVING,
    "{\"type\":\"set-receiving\",\"id\":5,\"peer_id\":\"bob\",\"tag\":\"camera\","
    "\"enabled\":false}", check_set_receiving },
  { "/protocol/example/set-receiving/all-tracks", TO_SRV, MS_MSG_SET_RECEIVING,
    "{\"type\":\"set-receiving\",\"peer_id\":\"bob\",\"enabled\":true}",
    check_set_receiving_all },
  { "/protocol/example/message/to-server", TO_SRV, MS_MSG_MESSAGE,
    "{\"type\":\"message\",\"id\":6,\"msg_type\":\"chat\",\"body\":{\"text\":\"hello\"},"
    "\"to\":\"bob\",\"from\":\"mallory\"}", check_message_to_server },
  { "/protocol/example/message/null-body", TO_SRV, MS_MSG_MESSAGE,
    "{\"type\":\"message\",\"msg_type\":\"ping\",\"body\":null}", check_message_null_body },
  { "/protocol/example/message/to-client", TO_CLI, MS_MSG_MESSAGE,
    "{\"type\":\"message\",\"from\":\"bob\",\"msg_type\":\"chat\",\"body\":\"hi\","
    "\"to\":\"mallory\"}", check_message_to_client },
  { "/protocol/example/message/to-client-hidden-sender", TO_CLI, MS_MSG_MESSAGE,
    "{\"type\":\"message\",\"from\":null,\"msg_type\":\"chat\",\"body\":[1,{\"a\":[]}]}",
    check_message_hidden_sender },
  { "/protocol/example/set-hidden", TO_SRV, MS_MSG_SET_HIDDEN,
    "{\"type\":\"set-hidden\",\"id\":7,\"hidden\":true}", check_set_hidden },
  { "/protocol/example/set-profile", TO_SRV, MS_MSG_SET_PROFILE,
    "{\"type\":\"set-profile\",\"id\":8,\"display_name\":\"Alice L.\",\"avatar\":null}",
    check_set_profile },
  { "/protocol/example/set-profile/avatar-only", TO_SRV, MS_MSG_SET_PROFILE,
    "{\"type\":\"set-profile\",\"avatar\":\"https://example.org/a.png\"}",
    check_set_profile_avatar },
  { "/protocol/example/leave", TO_SRV, MS_MSG_LEAVE,
    "{\"type\":\"leave\",\"id\":9}", check_leave },
  { "/protocol/example/unknown-fields", TO_SRV, MS_MSG_LEAVE,
    "{\"type\":\"leave\",\"id\":9,\"x-extra\":{\"deep\":[1,2,{\"k\":null}]},\"v\":2.5}",
    check_leave },
  { "/protocol/example/welcome", TO_CLI, MS_MSG_WELCOME,
    "{\"type\":\"welcome\",\"peer_id\":\"alice-1\",\"room\":\"standup\","
    "\"display_name\":\"Alice Liddell\",\"avatar\":null,\"hidden\":false,"
    "\"grants\":{\"send_tracks\":[\"camera\",\"microphone\"],\"recv_tracks\":[\"*\"],"
    "\"send_messages\":[],\"recv_messages\":[\"chat\",\"*\"],\"can_hide\":true,"
    "\"hidden\":false},"
    "\"peers\":[{\"id\":\"bob\",\"display_name\":\"Bob\","
    "\"avatar\":\"https://example.org/bob.png\","
    "\"tracks\":[{\"tag\":\"microphone\",\"kind\":\"audio\",\"paused\":true}]}],"
    "\"ice_servers\":[{\"urls\":\"stun:stun.example.org:3478\"},"
    "{\"urls\":[\"turn:turn.example.org:3478\",\"turns:turn.example.org:5349\"],"
    "\"username\":\"alice\",\"credential\":\"secret\"}],"
    "\"resume\":\"Zm9vYmFyYmF6cXV4\",\"server\":{\"version\":\"0.1.0\"}}", check_welcome },
  { "/protocol/example/peer-joined", TO_CLI, MS_MSG_PEER_JOINED,
    "{\"type\":\"peer-joined\",\"peer\":{\"id\":\"bob\",\"display_name\":\"Bob\",\"avatar\":null,"
    "\"tracks\":[{\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false},"
    "{\"tag\":\"microphone\",\"kind\":\"audio\",\"paused\":false}]}}", check_peer_event },
  { "/protocol/example/peer-updated", TO_CLI, MS_MSG_PEER_UPDATED,
    "{\"type\":\"peer-updated\",\"peer\":{\"id\":\"bob\",\"display_name\":\"Bob\","
    "\"tracks\":[{\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false},"
    "{\"tag\":\"microphone\",\"kind\":\"audio\",\"paused\":true}]}}", check_peer_event },
  { "/protocol/example/peer-left", TO_CLI, MS_MSG_PEER_LEFT,
    "{\"type\":\"peer-left\",\"peer_id\":\"bob\"}", check_peer_left },
  { "/protocol/example/track-published", TO_CLI, MS_MSG_TRACK_PUBLISHED,
    "{\"type\":\"track-published\",\"peer_id\":\"bob\",\"tag\":\"screen\",\"kind\":\"video\","
    "\"paused\":false}", check_track_published },
  { "/protocol/example/track-updated", TO_CLI, MS_MSG_TRACK_UPDATED,
    "{\"type\":\"track-updated\",\"peer_id\":\"bob\",\"tag\":\"screen\",\"paused\":true}",
    check_track_updated },
  { "/protocol/example/track-closed", TO_CLI, MS_MSG_TRACK_CLOSED,
    "{\"type\":\"track-closed\",\"peer_id\":\"bob\",\"tag\":\"screen\"}", check_track_closed },
  { "/protocol/example/ok", TO_CLI, MS_MSG_OK, "{\"type\":\"ok\",\"id\":7}", check_ok },
  { "/protocol/example/error", TO_CLI, MS_MSG_ERROR,
    "{\"type\":\"error\",\"id\":7,\"code\":\"forbidden\","
    "\"message\":\"You may not publish under the tag 'screen'\"}", check_error },
  { "/protocol/example/error/without-id", TO_CLI, MS_MSG_ERROR,
    "{\"type\":\"error\",\"code\":\"token-expired\",\"message\":\"\"}", check_error_without_id },
  { "/protocol/example/bye", TO_CLI, MS_MSG_BYE,
    "{\"type\":\"bye\",\"reason\":\"replaced by a newer connection\"}", check_bye },
  { "/protocol/example/media-failed", TO_CLI, MS_MSG_MEDIA_FAILED,
    "{\"type\":\"media-failed\",\"pc\":\"subscribe\"}", check_media_failed },
  { "/protocol/example/redirect", TO_CLI, MS_MSG_REDIRECT,
    "{\"type\":\"redirect\",\"id\":1,\"url\":\"ws://10.0.0.12:7880/v1/ws\"}", check_redirect },
  { "/protocol/example/error/unavailable", TO_CLI, MS_MSG_ERROR,
    "{\"type\":\"error\",\"id\":1,\"code\":\"unavailable\","
    "\"message\":\"The cluster cannot place a new call right now\"}", check_error_unavailable },
};

static void
test_example (gconstpointer data)
{
  const ExampleCase *ec = data;
  g_autoptr (MsMessage) msg = decode_ok (ec->json, ec->direction);
  g_autoptr (MsMessage) again = NULL;

  g_assert_cmpint (msg->type, ==, ec->type);
  ec->check (msg);

  again = roundtrip (msg, ec->direction);
  ec->check (again);
}

/* Malformed frames */

#define X8 "xxxxxxxx"
#define X64 X8 X8 X8 X8 X8 X8 X8 X8
#define X65 X64 "x"
#define TRACK "{\"mid\":\"0\",\"tag\":\"t\",\"kind\":\"audio\",\"paused\":false}"
#define TRACKS4 TRACK "," TRACK "," TRACK "," TRACK
#define TRACKS33 TRACKS4 "," TRACKS4 "," TRACKS4 "," TRACKS4 "," \
                 TRACKS4 "," TRACKS4 "," TRACKS4 "," TRACKS4 "," TRACK
#define OPEN8 "[[[[[[[["
#define CLOSE8 "]]]]]]]]"
#define NEST33 OPEN8 OPEN8 OPEN8 OPEN8 "[" CLOSE8 CLOSE8 CLOSE8 CLOSE8 "]"

#define OFFER(tracks) \
  "{\"type\":\"offer\",\"id\":2,\"pc\":\"publish\",\"sdp\":\"v=0\",\"tracks\":" tracks "}"
#define SUB_OFFER(tracks) \
  "{\"type\":\"offer\",\"pc\":\"subscribe\",\"sdp\":\"v=0\",\"tracks\":" tracks "}"
#define CANDIDATE(index) \
  "{\"type\":\"candidate\",\"id\":3,\"pc\":\"publish\",\"candidate\":\"c\"," \
  "\"sdp_mline_index\":" index "}"
#define JOIN(rest) "{\"type\":\"join\",\"id\":1,\"token\":\"t\",\"protocol\":1" rest "}"
#define GRANTS_BODY "\"send_tracks\":[\"camera\"],\"recv_tracks\":[\"*\"]," \
                    "\"send_messages\":[],\"recv_messages\":[\"*\"]"
#define GRANTS "\"grants\":{" GRANTS_BODY ",\"can_hide\":false,\"hidden\":false}"
#define WELCOME_HEAD "{\"type\":\"welcome\",\"peer_id\":\"p1\",\"room\":\"r\"," \
                     "\"display_name\":\"Alice\",\"avatar\":null,\"hidden\":false,"
#define WELCOME_TAIL ",\"resume\":\"k\",\"server\":{\"version\":\"0.1.0\"}}"
#define WELCOME(grants, peers, ice) \
  WELCOME_HEAD grants ",\"peers\":" peers ",\"ice_servers\":" ice WELCOME_TAIL
#define PEER(id, rest) "{\"id\":\"" id "\",\"display_name\":\"P\",\"tracks\":[]" rest "}"

typedef struct {
  const char  *name;
  MsDirection  direction;
  const char  *json;
  gint64       id;          /* the *out_id to expect */
  const char  *needle;      /* part of the error message */
  gsize        length;      /* 0: strlen (json) */
} MalformedCase;

static const MalformedCase malformed_cases[] = {
  /* Cluster mode */
  { "redirect without url", TO_CLI, "{\"type\":\"redirect\",\"id\":1}", 1, "url" },
  { "redirect to http", TO_CLI, "{\"type\":\"redirect\",\"url\":\"http://a/v1/ws\"}", -1,
    "ws: or wss: URL" },
  { "redirect without host", TO_CLI, "{\"type\":\"redirect\",\"url\":\"ws:///v1/ws\"}", -1,
    "ws: or wss: URL" },
  { "redirect with a space", TO_CLI, "{\"type\":\"redirect\",\"url\":\"ws://a b/\"}", -1,
    "ws: or wss: URL" },
  { "redirect to the server", TO_SRV, "{\"type\":\"redirect\",\"url\":\"ws://a/\"}", -1,
    "redirect" },
  { "welcome nodes not a list", TO_CLI, WELCOME (GRANTS, "[]", "[],\"nodes\":\"ws://a/\""), -1,
    "nodes" },
  { "welcome node not ws", TO_CLI,
    WELCOME (GRANTS, "[]", "[],\"nodes\":[\"ws://a/v1/ws\",\"https://b/\"]"), -1, "nodes" },
  { "welcome node not a string", TO_CLI, WELCOME (GRANTS, "[]", "[],\"nodes\":[7]"), -1,
    "nodes" },
  /* Not a JSON object */
  { "not JSON", TO_SRV, "hello", -1, "not valid JSON" },
  { "empty string", TO_SRV, "", -1, "not valid JSON" },
  { "only whitespace", TO_SRV, " \r\n\t", -1, "not valid JSON" },
  { "invalid UTF-8", TO_SRV, "{\"type\":\"leave\",\"x\":\"\xff\"}", -1, "UTF-8" },
  { "overlong UTF-8", TO_SRV, "{\"type\":\"leave\",\"x\":\"\xc0\xaf\"}", -1, "UTF-8" },
  { "NUL byte", TO_SRV, "{\"type\":\"leave\"}\0", -1, "UTF-8", 17 },
  { "JSON array", TO_SRV, "[{\"type\":\"leave\"}]", -1, "must be a JSON object" },
  { "JSON number", TO_SRV, "42", -1, "must be a JSON object" },
  { "JSON string", TO_SRV, "\"leave\"", -1, "must be a JSON object" },
  { "JSON null", TO_SRV, "null", -1, "must be a JSON object" },
  { "JSON true", TO_SRV, "true", -1, "must be a JSON object" },
  { "truncated", TO_SRV, "{\"type\":\"leave\",\"id\":1", -1, "not valid JSON" },
  { "two objects", TO_SRV, "{\"type\":\"leave\"}{\"type\":\"leave\"}", -1, "more than one" },
  { "trailing garbage", TO_SRV, "{\"type\":\"leave\"} x", -1, "more than one" },
  { "comment", TO_SRV, "{\"type\":\"leave\" /* hi */}", -1, "not valid JSON" },
  { "single quotes", TO_SRV, "{'type':'leave'}", -1, "not valid JSON" },
  { "trailing comma", TO_SRV, "{\"type\":\"leave\",}", -1, "not valid JSON" },
  { "missing colon", TO_SRV, "{\"type\" \"leave\"}", -1, "not valid JSON" },
  { "raw tab in string", TO_SRV, "{\"type\":\"le\tave\"}", -1, "not valid JSON" },
  { "bad escape", TO_SRV, "{\"type\":\"leave\",\"x\":\"\\x41\"}", -1, "not valid JSON" },
  { "short unicode escape", TO_SRV, "{\"type\":\"leave\",\"x\":\"\\u12\"}", -1, "not valid JSON" },
  { "escaped NUL", TO_SRV, "{\"type\":\"leave\",\"x\":\"a\\u0000b\"}", -1, "U+0000" },
  { "lone surrogate", TO_SRV, "{\"type\":\"leave\",\"x\":\"\\udc00\"}", -1, "unpaired" },
  /* json-glib 1.6 would let this one through as invalid UTF-8. */
  { "high surrogate alone", TO_SRV,
    "{\"type\":\"message\",\"msg_type\":\"m\",\"body\":{\"k\\ud800x\":1}}", -1, "unpaired" },
  { "high surrogates twice", TO_SRV, "{\"type\":\"leave\",\"x\":\"\\ud800\\ud800\"}", -1,
    "unpaired" },
  { "NaN", TO_SRV, "{\"type\":\"leave\",\"x\":NaN}", -1, "not valid JSON" },
  { "infinite number", TO_SRV, "{\"type\":\"leave\",\"x\":1e999}", -1, "out of range" },
  { "misspelt literal", TO_SRV, "{\"type\":\"leave\",\"x\":tru}", -1, "not valid JSON" },
  { "nested too deep", TO_SRV, "{\"type\":\"message\",\"msg_type\":\"m\",\"body\":" NEST33 "}",
    -1, "deeper than 32" },

  /* type */
  { "missing type", TO_SRV, "{\"id\":3}", 3, "field 'type' is required" },
  { "type not a string", TO_SRV, "{\"type\":5,\"id\":4}", 4, "field 'type' must be a string" },
  { "type null", TO_SRV, "{\"type\":null,\"id\":4}", 4, "field 'type' must be a string" },
  { "unknown type", TO_SRV, "{\"type\":\"dance\",\"id\":5}", 5, "unknown message type 'dance'" },
  { "unknown type, not an identifier", TO_SRV, "{\"type\":\"da<b>nce\"}", -1,
    "unknown message type" },
  { "type in capitals", TO_SRV, "{\"type\":\"LEAVE\",\"id\":5}", 5,
    "unknown message type 'LEAVE'" },
  { "server type sent to the server", TO_SRV, "{\"type\":\"welcome\",\"id\":6}", 6,
    "unknown message type 'welcome'" },
  { "ok sent to the server", TO_SRV, "{\"type\":\"ok\",\"id\":6}", 6, "unknown message type 'ok'" },
  { "client type sent to a client", TO_CLI, JOIN (""), 1, "unknown message type 'join'" },

  /* id */
  { "id negative", TO_SRV, "{\"type\":\"leave\",\"id\":-1}", -1, "field 'id' must be an integer" },
  { "id float", TO_SRV, "{\"type\":\"leave\",\"id\":1.5}", -1, "field 'id'" },
  { "id written as a float", TO_SRV, "{\"type\":\"leave\",\"id\":1.0}", -1, "field 'id'" },
  { "id with exponent", TO_SRV, "{\"type\":\"leave\",\"id\":1e3}", -1, "field 'id'" },
  { "id string", TO_SRV, "{\"type\":\"leave\",\"id\":\"7\"}", -1, "field 'id'" },
  { "id boolean", TO_SRV, "{\"type\":\"leave\",\"id\":true}", -1, "field 'id'" },
  { "id object", TO_SRV, "{\"type\":\"leave\",\"id\":{}}", -1, "field 'id'" },
  { "id above 2^53", TO_SRV, "{\"type\":\"leave\",\"id\":9007199254740993}", -1, "field 'id'" },
  { "id beyond 64 bits", TO_SRV, "{\"type\":\"leave\",\"id\":99999999999999999999}", -1,
    "out of range" },
  { "id beyond 64 bits, negative", TO_SRV, "{\"type\":\"leave\",\"id\":-99999999999999999999}", -1,
    "out of range" },
  { "id in hex", TO_SRV, "{\"type\":\"leave\",\"id\":0x10}", -1, "not valid JSON" },
  { "id zero-padded", TO_SRV, "{\"type\":\"leave\",\"id\":007}", -1, "not valid JSON" },
  { "id with plus sign", TO_SRV, "{\"type\":\"leave\",\"id\":+7}", -1, "not valid JSON" },

  /* join */
  { "join without token", TO_SRV, "{\"type\":\"join\",\"id\":1,\"protocol\":1}", 1,
    "field 'token' is required" },
  { "join token not a string", TO_SRV, "{\"type\":\"join\",\"id\":1,\"token\":7,\"protocol\":1}", 1,
    "field 'token' must be a string" },
  { "join token empty", TO_SRV, "{\"type\":\"join\",\"id\":1,\"token\":\"\",\"protocol\":1}", 1,
    "field 'token'" },
  { "join token with space", TO_SRV,
    "{\"type\":\"join\",\"id\":1,\"token\":\"a b\",\"protocol\":1}",
    1, "field 'token'" },
  { "join protocol 2", TO_SRV, "{\"type\":\"join\",\"id\":1,\"token\":\"t\",\"protocol\":2}", 1,
    "protocol version 2 is not supported" },
  { "join protocol 0", TO_SRV, "{\"type\":\"join\",\"id\":1,\"token\":\"t\",\"protocol\":0}", 1,
    "field 'protocol' must be 1" },
  { "join protocol string", TO_SRV,
    "{\"type\":\"join\",\"id\":1,\"token\":\"t\",\"protocol\":\"1\"}",
    1, "field 'protocol' must be an integer" },
  { "join without protocol", TO_SRV, "{\"type\":\"join\",\"id\":1,\"token\":\"t\"}", 1,
    "field 'protocol' is required" },
  { "join name with control character", TO_SRV, JOIN (",\"display_name\":\"A\\u0007\""), 1,
    "field 'display_name'" },
  { "join name with newline", TO_SRV, JOIN (",\"display_name\":\"A\\nB\""), 1,
    "field 'display_name'" },
  { "join name empty", TO_SRV, JOIN (",\"display_name\":\"\""), 1, "field 'display_name'" },
  { "join name too long", TO_SRV, JOIN (",\"display_name\":\"" X64 X64 "y\""), 1,
    "1-128 bytes" },
  { "join avatar javascript URL", TO_SRV, JOIN (",\"avatar\":\"javascript:alert(1)\""), 1,
    "field 'avatar' must be an http or https URL" },
  { "join avatar file URL", TO_SRV, JOIN (",\"avatar\":\"file:///etc/passwd\""), 1,
    "field 'avatar'" },
  { "join avatar without host", TO_SRV, JOIN (",\"avatar\":\"https://\""), 1, "field 'avatar'" },
  { "join avatar with space", TO_SRV, JOIN (",\"avatar\":\"https://a.org/b c.png\""), 1,
    "field 'avatar'" },
  { "join avatar number", TO_SRV, JOIN (",\"avatar\":5"), 1, "field 'avatar'" },
  { "join hidden as string", TO_SRV, JOIN (",\"hidden\":\"yes\""), 1,
    "field 'hidden' must be true or false" },
  { "join resume with space", TO_SRV, JOIN (",\"resume\":\"a b\""), 1, "field 'resume'" },

  /* tags */
  { "tag too long", TO_SRV, "{\"type\":\"close-track\",\"id\":4,\"tag\":\"" X65 "\"}", 4,
    "field 'tag' must be a string of 1-64 characters" },
  { "tag with space", TO_SRV, "{\"type\":\"close-track\",\"id\":4,\"tag\":\"my tag\"}", 4,
    "field 'tag'" },
  { "tag empty", TO_SRV, "{\"type\":\"pause-track\",\"id\":4,\"tag\":\"\"}", 4, "field 'tag'" },
  { "tag not ASCII", TO_SRV, "{\"type\":\"resume-track\",\"id\":4,\"tag\":\"caméra\"}", 4,
    "field 'tag'" },
  { "tag with slash", TO_SRV, "{\"type\":\"resume-track\",\"id\":4,\"tag\":\"a/b\"}", 4,
    "field 'tag'" },
  { "tag missing", TO_SRV, "{\"type\":\"pause-track\",\"id\":4}", 4, "field 'tag' is required" },
  { "tag null", TO_SRV, "{\"type\":\"pause-track\",\"id\":4,\"tag\":null}", 4,
    "field 'tag' must be a string" },
  { "tag number", TO_SRV, "{\"type\":\"pause-track\",\"id\":4,\"tag\":1}", 4, "field 'tag'" },

  /* offer */
  { "offer track of unknown kind", TO_SRV,
    OFFER ("[{\"mid\":\"0\",\"tag\":\"t\",\"kind\":\"screen\",\"paused\":false}]"), 2,
    "field 'tracks[0].kind' must be \"audio\" or \"video\"" },
  { "offer for the subscribe connection", TO_SRV,
    "{\"type\":\"offer\",\"id\":2,\"pc\":\"subscribe\",\"sdp\":\"v=0\",\"tracks\":[]}", 2,
    "field 'pc' must be \"publish\"" },
  { "offer for the publish connection", TO_CLI,
    "{\"type\":\"offer\",\"id\":2,\"pc\":\"publish\",\"sdp\":\"v=0\",\"tracks\":[]}", 2,
    "field 'pc' must be \"subscribe\"" },
  { "offer for an unknown connection", TO_SRV,
    "{\"type\":\"offer\",\"id\":2,\"pc\":\"both\",\"sdp\":\"v=0\",\"tracks\":[]}", 2,
    "field 'pc' must be \"publish\" or \"subscribe\"" },
  { "offer tracks not an array", TO_SRV, OFFER ("{}"), 2, "field 'tracks' must be an array" },
  { "offer without tracks", TO_SRV,
    "{\"type\":\"offer\",\"id\":2,\"pc\":\"publish\",\"sdp\":\"v=0\"}", 2,
    "field 'tracks' is required" },
  { "offer with too many tracks", TO_SRV, OFFER ("[" TRACKS33 "]"), 2, "at most 32 items" },
  { "offer repeating a mid", TO_SRV,
    OFFER ("[{\"mid\":\"0\",\"tag\":\"a\",\"kind\":\"audio\",\"paused\":false},"
           "{\"mid\":\"0\",\"tag\":\"b\",\"kind\":\"video\",\"paused\":false}]"), 2,
    "must not repeat the mid '0'" },
  { "offer repeating a tag", TO_SRV,
    OFFER ("[{\"mid\":\"0\",\"tag\":\"a\",\"kind\":\"audio\",\"paused\":false},"
           "{\"mid\":\"1\",\"tag\":\"a\",\"kind\":\"video\",\"paused\":false}]"), 2,
    "must not repeat the tag 'a'" },
  { "offer track not an object", TO_SRV, OFFER ("[\"camera\"]"), 2,
    "field 'tracks[0]' must be an object" },
  { "offer track without paused", TO_SRV,
    OFFER ("[" TRACK ",{\"mid\":\"1\",\"tag\":\"b\",\"kind\":\"audio\"}]"), 2,
    "field 'tracks[1].paused' is required" },
  { "offer track without mid", TO_SRV,
    OFFER ("[{\"tag\":\"b\",\"kind\":\"audio\",\"paused\":false}]"), 2,
    "field 'tracks[0].mid' is required" },
  { "offer track with a bad mid", TO_SRV,
    OFFER ("[{\"mid\":\"a b\",\"tag\":\"b\",\"kind\":\"audio\",\"paused\":false}]"), 2,
    "field 'tracks[0].mid'" },
  { "offer track paused as number", TO_SRV,
    OFFER ("[{\"mid\":\"0\",\"tag\":\"b\",\"kind\":\"audio\",\"paused\":0}]"), 2,
    "field 'tracks[0].paused' must be true or false" },
  { "offer sdp not a string", TO_SRV,
    "{\"type\":\"offer\",\"id\":2,\"pc\":\"publish\",\"sdp\":5,\"tracks\":[]}", 2,
    "field 'sdp' must be a string" },
  { "offer sdp empty", TO_SRV,
    "{\"type\":\"offer\",\"id\":2,\"pc\":\"publish\",\"sdp\":\"\",\"tracks\":[]}", 2,
    "field 'sdp'" },
  { "subscribe offer track without peer_id", TO_CLI,
    SUB_OFFER ("[{\"mid\":\"0\",\"tag\":\"a\",\"kind\":\"audio\",\"paused\":false}]"), -1,
    "field 'tracks[0].peer_id' is required" },
  { "subscribe offer repeating a peer's tag", TO_CLI,
    SUB_OFFER ("[{\"mid\":\"0\",\"peer_id\":\"b\",\"tag\":\"a\",\"kind\":\"audio\","
               "\"paused\":false},"
               "{\"mid\":\"1\",\"peer_id\":\"b\",\"tag\":\"a\",\"kind\":\"audio\","
               "\"paused\":false}]"), -1,
    "must not repeat the tag 'a' of peer 'b'" },

  /* answer */
  { "answer for the publish connection", TO_SRV,
    "{\"type\":\"answer\",\"id\":3,\"pc\":\"publish\",\"sdp\":\"v=0\"}", 3,
    "field 'pc' must be \"subscribe\" in an answer to the server" },
  { "answer for the subscribe connection", TO_CLI,
    "{\"type\":\"answer\",\"pc\":\"subscribe\",\"sdp\":\"v=0\"}", -1,
    "field 'pc' must be \"publish\" in an answer to a client" },
  { "answer without sdp", TO_SRV, "{\"type\":\"answer\",\"id\":3,\"pc\":\"subscribe\"}", 3,
    "field 'sdp' is required" },

  /* candidate */
  { "candidate mline -1", TO_SRV, CANDIDATE ("-1"), 3,
    "field 'sdp_mline_index' must be an integer from 0 to 65535" },
  { "candidate mline 70000", TO_SRV, CANDIDATE ("70000"), 3, "field 'sdp_mline_index'" },
  { "candidate mline string", TO_SRV, CANDIDATE ("\"0\""), 3, "field 'sdp_mline_index'" },
  { "candidate mline float", TO_SRV, CANDIDATE ("0.5"), 3, "field 'sdp_mline_index'" },
  { "candidate without candidate", TO_SRV,
    "{\"type\":\"candidate\",\"id\":3,\"pc\":\"publish\",\"sdp_mline_index\":0}", 3,
    "field 'candidate' is required" },
  { "candidate on two lines", TO_SRV,
    "{\"type\":\"candidate\",\"id\":3,\"pc\":\"publish\",\"candidate\":\"a\\r\\nb\","
    "\"sdp_mline_index\":0}", 3, "field 'candidate'" },
  { "candidate without pc", TO_SRV,
    "{\"type\":\"candidate\",\"id\":3,\"candidate\":\"\",\"sdp_mline_index\":0}", 3,
    "field 'pc' is required" },

  /* set-receiving */
  { "set-receiving enabled not a boolean", TO_SRV,
    "{\"type\":\"set-receiving\",\"id\":5,\"peer_id\":\"bob\",\"enabled\":\"true\"}", 5,
    "field 'enabled' must be true or false" },
  { "set-receiving enabled as number", TO_SRV,
    "{\"type\":\"set-receiving\",\"id\":5,\"peer_id\":\"bob\",\"enabled\":1}", 5,
    "field 'enabled'" },
  { "set-receiving without peer_id", TO_SRV,
    "{\"type\":\"set-receiving\",\"id\":5,\"enabled\":true}", 5, "field 'peer_id' is required" },
  { "set-receiving with a bad tag", TO_SRV,
    "{\"type\":\"set-receiving\",\"id\":5,\"peer_id\":\"bob\",\"tag\":\"\",\"enabled\":true}", 5,
    "field 'tag'" },

  /* message */
  { "message without body", TO_SRV, "{\"type\":\"message\",\"id\":6,\"msg_type\":\"chat\"}", 6,
    "field 'body' is required" },
  { "message msg_type too long", TO_SRV,
    "{\"type\":\"message\",\"id\":6,\"msg_type\":\"" X65 "\",\"body\":1}", 6,
    "field 'msg_type' must be a string of 1-64 characters" },
  { "message without msg_type", TO_SRV, "{\"type\":\"message\",\"id\":6,\"body\":1}", 6,
    "field 'msg_type' is required" },
  { "message to not a string", TO_SRV,
    "{\"type\":\"message\",\"id\":6,\"msg_type\":\"chat\",\"body\":1,\"to\":5}", 6,
    "field 'to' must be a string" },
  { "message to empty", TO_SRV,
    "{\"type\":\"message\",\"id\":6,\"msg_type\":\"chat\",\"body\":1,\"to\":\"\"}", 6,
    "field 'to'" },
  { "message from not a string", TO_CLI,
    "{\"type\":\"message\",\"from\":[\"bob\"],\"msg_type\":\"chat\",\"body\":1}", -1,
    "field 'from' must be a string" },

  /* set-hidden, set-profile */
  { "set-hidden hidden as string", TO_SRV, "{\"type\":\"set-hidden\",\"id\":7,\"hidden\":\"true\"}",
    7, "field 'hidden' must be true or false" },
  { "set-hidden without hidden", TO_SRV, "{\"type\":\"set-hidden\",\"id\":7}", 7,
    "field 'hidden' is required" },
  { "set-profile empty", TO_SRV, "{\"type\":\"set-profile\",\"id\":8}", 8,
    "field 'display_name' or 'avatar' is required" },
  { "set-profile with a null name only", TO_SRV,
    "{\"type\":\"set-profile\",\"id\":8,\"display_name\":null}", 8,
    "field 'display_name' or 'avatar' is required" },
  { "set-profile name with control character", TO_SRV,
    "{\"type\":\"set-profile\",\"id\":8,\"display_name\":\"A\\u001bB\"}", 8,
    "field 'display_name' must be a string of 1-128 bytes without control characters" },
  { "set-profile name with C1 control character", TO_SRV,
    "{\"type\":\"set-profile\",\"id\":8,\"display_name\":\"A\\u0085B\"}", 8,
    "field 'display_name'" },
  { "set-profile avatar data URL", TO_SRV,
    "{\"type\":\"set-profile\",\"id\":8,\"avatar\":\"data:image/png;base64,AAAA\"}", 8,
    "field 'avatar'" },

  /* welcome */
  { "welcome grants list as string", TO_CLI,
    WELCOME ("\"grants\":{\"send_tracks\":\"camera\",\"recv_tracks\":[],\"send_messages\":[],"
             "\"recv_messages\":[],\"can_hide\":false,\"hidden\":false}", "[]", "[]"), -1,
    "field 'grants.send_tracks' must be an array" },
  { "welcome grants can_hide as string", TO_CLI,
    WELCOME ("\"grants\":{" GRANTS_BODY ",\"can_hide\":\"no\",\"hidden\":false}", "[]", "[]"), -1,
    "field 'grants.can_hide' must be true or false" },
  { "welcome grants without recv_messages", TO_CLI,
    WELCOME ("\"grants\":{\"send_tracks\":[],\"recv_tracks\":[],\"send_messages\":[],"
             "\"can_hide\":false,\"hidden\":false}", "[]", "[]"), -1,
    "field 'grants.recv_messages' is required" },
  { "welcome grants with a bad entry", TO_CLI,
    WELCOME ("\"grants\":{\"send_tracks\":[\"a b\"],\"recv_tracks\":[],\"send_messages\":[],"
             "\"recv_messages\":[],\"can_hide\":false,\"hidden\":false}", "[]", "[]"), -1,
    "field 'grants.send_tracks' must hold identifiers" },
  { "welcome grants with a number", TO_CLI,
    WELCOME ("\"grants\":{\"send_tracks\":[],\"recv_tracks\":[1],\"send_messages\":[],"
             "\"recv_messages\":[],\"can_hide\":false,\"hidden\":false}", "[]", "[]"), -1,
    "field 'grants.recv_tracks'" },
  { "welcome grants not an object", TO_CLI, WELCOME ("\"grants\":[]", "[]", "[]"), -1,
    "field 'grants' must be an object" },
  { "welcome peers not an array", TO_CLI, WELCOME (GRANTS, "{}", "[]"), -1,
    "field 'peers' must be an array" },
  { "welcome peer without display_name", TO_CLI,
    WELCOME (GRANTS, "[{\"id\":\"bob\",\"tracks\":[]}]", "[]"), -1,
    "field 'peers[0].display_name' is required" },
  { "welcome peer with a bad track", TO_CLI,
    WELCOME (GRANTS, "[" PEER ("bob", "") "," PEER ("eve", ",\"avatar\":\"ftp://x.org/a\"") "]",
             "[]"), -1, "field 'peers[1].avatar'" },
  { "welcome repeating a peer", TO_CLI,
    WELCOME (GRANTS, "[" PEER ("bob", "") "," PEER ("bob", "") "]", "[]"), -1,
    "must not repeat the peer 'bob'" },
  { "welcome ice urls empty", TO_CLI, WELCOME (GRANTS, "[]", "[{\"urls\":[]}]"), -1,
    "field 'ice_servers[0].urls'" },
  { "welcome ice url of the web", TO_CLI,
    WELCOME (GRANTS, "[]", "[{\"urls\":\"https://x.org\"}]"), -1,
    "field 'ice_servers[0].urls' must be a stun:, stuns:, turn: or turns: URL" },
  { "welcome ice username number", TO_CLI,
    WELCOME (GRANTS, "[]", "[{\"urls\":\"stun:x.org\",\"username\":5}]"), -1,
    "field 'ice_servers[0].username'" },
  { "welcome without ice_servers", TO_CLI,
    WELCOME_HEAD GRANTS ",\"peers\":[]" WELCOME_TAIL, -1, "field 'ice_servers' is required" },
  { "welcome server without version", TO_CLI,
    WELCOME_HEAD GRANTS ",\"peers\":[],\"ice_servers\":[],\"resume\":\"k\",\"server\":{}}", -1,
    "field 'server.version' is required" },
  { "welcome without resume", TO_CLI,
    WELCOME_HEAD GRANTS ",\"peers\":[],\"ice_servers\":[],\"server\":{\"version\":\"1\"}}", -1,
    "field 'resume' is required" },
  { "welcome without hidden", TO_CLI,
    "{\"type\":\"welcome\",\"peer_id\":\"p1\",\"room\":\"r\",\"display_name\":\"A\"," GRANTS
    ",\"peers\":[],\"ice_servers\":[]" WELCOME_TAIL, -1, "field 'hidden' is required" },
  { "welcome room not an identifier", TO_CLI,
    "{\"type\":\"welcome\",\"peer_id\":\"p1\",\"room\":\"r r\",\"display_name\":\"A\","
    "\"hidden\":false," GRANTS ",\"peers\":[],\"ice_servers\":[]" WELCOME_TAIL, -1,
    "field 'room'" },

  /* events */
  { "peer-joined peer not an object", TO_CLI, "{\"type\":\"peer-joined\",\"peer\":\"bob\"}", -1,
    "field 'peer' must be an object" },
  { "peer-updated track of unknown kind", TO_CLI,
    "{\"type\":\"peer-updated\",\"peer\":{\"id\":\"b\",\"display_name\":\"B\",\"tracks\":"
    "[{\"tag\":\"t\",\"kind\":\"smell\",\"paused\":false}]}}", -1,
    "field 'peer.tracks[0].kind'" },
  { "peer-left without peer_id", TO_CLI, "{\"type\":\"peer-left\"}", -1,
    "field 'peer_id' is required" },
  { "track-published without kind", TO_CLI,
    "{\"type\":\"track-published\",\"peer_id\":\"b\",\"tag\":\"t\",\"paused\":false}", -1,
    "field 'kind' is required" },
  { "track-updated without paused", TO_CLI,
    "{\"type\":\"track-updated\",\"peer_id\":\"b\",\"tag\":\"t\"}", -1,
    "field 'paused' is required" },
  { "track-closed without tag", TO_CLI, "{\"type\":\"track-closed\",\"peer_id\":\"b\"}", -1,
    "field 'tag' is required" },
  { "ok without id", TO_CLI, "{\"type\":\"ok\"}", -1, "field 'id' is required" },
  { "error with unknown code", TO_CLI,
    "{\"type\":\"error\",\"id\":7,\"code\":\"oops\",\"message\":\"m\"}", 7,
    "field 'code' must be one of" },
  { "error code not a string", TO_CLI,
    "{\"type\":\"error\",\"id\":7,\"code\":403,\"message\":\"m\"}",
    7, "field 'code'" },
  { "error without message", TO_CLI, "{\"type\":\"error\",\"id\":7,\"code\":\"conflict\"}", 7,
    "field 'message' is required" },
  { "bye without reason", TO_CLI, "{\"type\":\"bye\"}", -1, "field 'reason' is required" },
};

static void
assert_refused (const char     *json,
                gsize           length,
                MsDirection     direction,
                const MsLimits *limits,
                gint64          expected_id,
                const char     *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsMessage) msg = NULL;
  gint64 id = 12345;

  msg = ms_message_decode (json, length, direction, limits, &id, &error);
  g_assert_null (msg);
  g_assert_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST);
  g_assert_cmpint (id, ==, expected_id);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("error '%s' does not mention '%s'", error->message, needle);
}

static void
test_malformed (void)
{
  g_assert_cmpuint (G_N_ELEMENTS (malformed_cases), >=, 40);

  for (guint i = 0; i < G_N_ELEMENTS (malformed_cases); i++) {
    const MalformedCase *mc = &malformed_cases[i];
    gsize length = mc->length != 0 ? mc->length : strlen (mc->json);

    g_test_message ("malformed: %s", mc->name);
    assert_refused (mc->json, length, mc->direction, NULL, mc->id, mc->needle);
  }
}

/* The callers that do not care about the error or the id may pass NULL. */
static void
test_malformed_without_out_args (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (malformed_cases); i++) {
    const MalformedCase *mc = &malformed_cases[i];
    gsize length = mc->length != 0 ? mc->length : strlen (mc->json);

    g_assert_null (ms_message_decode (mc->json, length, mc->direction, NULL, NULL, NULL));
  }

  g_assert_null (ms_message_decode (NULL, 0, TO_SRV, NULL, NULL, NULL));
}

/* json-glib recurses once per level: a frame of 100000 '[' would take the
 * stack down if the codec let it through. */
static void
test_nesting (void)
{
  const gsize n = 100000;
  g_autofree char *brackets = g_malloc (n);
  g_autofree char *objects = NULL;
  g_autoptr (GString) deep = g_string_new ("{\"type\":\"message\",\"msg_type\":\"m\",\"body\":");
  g_autoptr (MsMessage) msg = NULL;
  MsLimits limits;

  memset (brackets, '[', n);
  ms_limits_init_default (&limits);
  limits.max_frame = 4 * n;

  assert_refused (brackets, n, TO_SRV, NULL, -1, "larger than the limit");
  assert_refused (brackets, n, TO_SRV, &limits, -1, "deeper than");

  objects = g_strnfill (n, '{');
  for (gsize i = 0; i < n; i += 6)
    memcpy (objects + i, "{\"a\":", MIN (5, n - i));
  assert_refused (objects, n, TO_CLI, &limits, -1, "deeper than");

  /* The frame itself is one level: its body may nest one less. */
  for (guint i = 0; i < MS_PROTOCOL_MAX_DEPTH - 1; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < MS_PROTOCOL_MAX_DEPTH - 1; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  msg = decode_ok (deep->str, TO_SRV);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (msg->u.message.body));

  g_string_insert_c (deep, strlen ("{\"type\":\"message\",\"msg_type\":\"m\",\"body\":"), '[');
  g_string_insert_c (deep, deep->len - 1, ']');
  assert_refused (deep->str, deep->len, TO_SRV, NULL, -1, "deeper than 32");
}

/* Limits */

static void
test_limits_default (void)
{
  MsLimits limits;

  memset (&limits, 0xff, sizeof limits);
  ms_limits_init_default (&limits);

  g_assert_cmpuint (limits.max_frame, ==, 65536);
  g_assert_cmpuint (limits.max_id_length, ==, 64);
  g_assert_cmpuint (limits.max_name_length, ==, 128);
  g_assert_cmpuint (limits.max_url_length, ==, 2048);
  g_assert_cmpuint (limits.max_token_length, ==, 8192);
  g_assert_cmpuint (limits.max_sdp_length, ==, 60000);
  g_assert_cmpuint (limits.max_tracks, ==, 32);
  g_assert_cmpuint (limits.max_peers, ==, 1000);
}

static char *
join_with_token (gsize token_length)
{
  g_autofree char *token = g_strnfill (token_length, 'a');

  return g_strdup_printf ("{\"type\":\"join\",\"token\":\"%s\",\"protocol\":1}", token);
}

static char *
offer_with_sdp (gsize sdp_length)
{
  g_autofree char *sdp = g_strnfill (sdp_length, 'v');

  return g_strdup_printf ("{\"type\":\"answer\",\"pc\":\"subscribe\",\"sdp\":\"%s\"}",
                          sdp);
}

static char *
profile_with_avatar (gsize url_length)
{
  g_autofree char *path = g_strnfill (url_length - strlen ("https://a.org/"), 'p');

  return g_strdup_printf ("{\"type\":\"set-profile\",\"avatar\":\"https://a.org/%s\"}",
                          path);
}

static char *
leave_of_size (gsize size)
{
  const char *head = "{\"type\":\"leave\",\"pad\":\"";
  g_autofree char *pad = g_strnfill (size - strlen (head) - 2, ' ');

  return g_strconcat (head, pad, "\"}", NULL);
}

/* Accepted at the limit, refused one byte past it: @make builds a frame
 * whose checked field has the given length. */
static void
assert_limit (char           *(*make) (gsize),
              gsize             limit,
              const MsLimits   *limits,
              const char       *needle)
{
  g_autofree char *at = make (limit);
  g_autofree char *past = make (limit + 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsMessage) msg = NULL;

  msg = ms_message_decode (at, strlen (at), TO_SRV, limits, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  assert_refused (past, strlen (past), TO_SRV, limits, -1, needle);
}

static void
test_limits_honoured (void)
{
  MsLimits small;

  assert_limit (join_with_token, 8192, NULL, "field 'token'");
  assert_limit (offer_with_sdp, 60000, NULL, "field 'sdp'");
  assert_limit (profile_with_avatar, 2048, NULL, "field 'avatar'");
  assert_limit (leave_of_size, 65536, NULL, "larger than the limit");

  ms_limits_init_default (&small);
  small.max_token_length = 10;
  small.max_sdp_length = 20;
  small.max_url_length = 30;
  small.max_frame = 100;
  assert_limit (join_with_token, 10, &small, "1-10 printable ASCII characters");
  assert_limit (offer_with_sdp, 20, &small, "1-20 bytes");
  assert_limit (profile_with_avatar, 30, &small, "1-30 bytes");
  assert_limit (leave_of_size, 100, &small, "larger than the limit of 100 bytes");
}

static void
test_limits_custom (void)
{
  MsLimits limits;
  g_autoptr (MsMessage) msg = NULL;
  const char *tag8 = "{\"type\":\"close-track\",\"tag\":\"abcdefgh\"}";
  const char *tag9 = "{\"type\":\"close-track\",\"tag\":\"abcdefghi\"}";
  const char *name5 = "{\"type\":\"set-profile\",\"display_name\":\"Ålice\"}";
  const char *name4 = "{\"type\":\"set-profile\",\"display_name\":\"Alice\"}";
  const char *three_tracks =
    OFFER ("[{\"mid\":\"0\",\"tag\":\"a\",\"kind\":\"audio\",\"paused\":false},"
           "{\"mid\":\"1\",\"tag\":\"b\",\"kind\":\"audio\",\"paused\":false},"
           "{\"mid\":\"2\",\"tag\":\"c\",\"kind\":\"audio\",\"paused\":false}]");
  const char *two_peers = WELCOME (GRANTS, "[" PEER ("bob", "") "," PEER ("eve", "") "]", "[]");
  const char *long_grant =
    WELCOME ("\"grants\":{\"send_tracks\":[\"abcdefghi\"],\"recv_tracks\":[],"
             "\"send_messages\":[],\"recv_messages\":[],"
             "\"can_hide\":false,\"hidden\":false}", "[]", "[]");

  ms_limits_init_default (&limits);
  limits.max_id_length = 8;
  limits.max_name_length = 5;
  limits.max_tracks = 2;
  limits.max_peers = 1;

  msg = ms_message_decode (tag8, strlen (tag8), TO_SRV, &limits, NULL, NULL);
  g_assert_nonnull (msg);
  assert_refused (tag9, strlen (tag9), TO_SRV, &limits, -1,
                  "field 'tag' must be a string of 1-8 characters");
  /* Lengths are bytes: "Ålice" is six. */
  assert_refused (name5, strlen (name5), TO_SRV, &limits, -1, "1-5 bytes");
  g_clear_pointer (&msg, ms_message_free);
  msg = ms_message_decode (name4, strlen (name4), TO_SRV, &limits, NULL, NULL);
  g_assert_nonnull (msg);

  assert_refused (three_tracks, strlen (three_tracks), TO_SRV, &limits, 2, "at most 2 items");
  assert_refused (two_peers, strlen (two_peers), TO_CLI, &limits, -1,
                  "field 'peers' must be an array of at most 1 items");
  assert_refused (long_grant, strlen (long_grant), TO_CLI, &limits, -1,
                  "field 'grants.send_tracks'");
}

/* Every accepted frame survives encoding: cut and corrupt each example at
 * every byte, and whatever the codec still accepts must round-trip. */
static void
check_any_frame (const char  *data,
                 gsize        length,
                 MsDirection  direction)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsMessage) msg = NULL;

  msg = ms_message_decode (data, length, direction, NULL, NULL, &error);
  if (msg == NULL) {
    g_assert_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST);
    return;
  }

  g_assert_no_error (error);
  ms_message_free (roundtrip (msg, direction));
}

static void
test_mutations (void)
{
  static const char replacements[] = { '"', '{', '}', '[', ']', '\\', ',', ':', '\0', '\xff',
                                       '\x01', '1', '-', 'e', 'x', ' ', 'n' };

  for (guint i = 0; i < G_N_ELEMENTS (example_cases); i++) {
    const ExampleCase *ec = &example_cases[i];
    gsize length = strlen (ec->json);
    g_autofree char *copy = g_strdup (ec->json);

    for (gsize cut = 0; cut < length; cut++)
      check_any_frame (ec->json, cut, ec->direction);

    for (gsize at = 0; at < length; at++) {
      for (guint r = 0; r < G_N_ELEMENTS (replacements); r++) {
        copy[at] = replacements[r];
        check_any_frame (copy, length, ec->direction);
        copy[at] = ec->json[at];
      }
    }
  }
}

/* The syntax check on its own, as the HTTP side uses it */
static void
test_check_json (void)
{
  const char *valid[] = { "{}", "[]", " 1 ", "-0", "0.5e-3", "\"\\u00e9\\n\\/\"", "true",
                          "null", "[9223372036854775807,-9223372036854775808]",
                          "{\"a\":[{\"b\":false}],\"c\":\"\\ud83d\\ude00\"}",
                          "\"\\uDBFF\\uDFFF\\ud800\\udc00\\uffff\"" };
  const char *invalid[] = { "", " ", "[", "]", "{}}", "[1,]x", "[1] [2]", "01", "1.", ".5", "1e",
                            "-", "+1", "0x1", "[9223372036854775808]", "1e400", "'a'",
                            "\"a\\u0000\"", "\"\\q\"", "\"tab\there\"", "nul", "truex",
                            "/**/1", "[Infinity]", "\"\xc3\"", "\"\\ud800\"",
                            "\"\\ud800a\"", "\"\\udfff\"", "\"\\udbff\\ue000\"",
                            "\"\\ud800\\u" };
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++) {
    g_assert_true (ms_protocol_check_json (valid[i], strlen (valid[i]), &error));
    g_assert_no_error (error);
  }

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++) {
    g_assert_false (ms_protocol_check_json (invalid[i], strlen (invalid[i]), &error));
    g_assert_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST);
    g_assert_true (g_str_has_prefix (error->message, "JSON text "));
    g_clear_error (&error);
  }

  for (guint i = 0; i < G_N_ELEMENTS (example_cases); i++)
    g_assert_true (ms_protocol_check_json (example_cases[i].json, strlen (example_cases[i].json),
                                           NULL));
}

/* Helpers */

static void
test_strings (void)
{
  static const char * const codes[] = { "bad-request", "unauthorized", "token-expired",
                                        "forbidden", "not-found", "conflict", "rate-limited",
                                        "room-full", "server-error" };
  MsProtocolError code;
  MsTrackKind kind;
  MsMsgType type;
  MsPcKind pc;

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++) {
    g_assert_cmpstr (ms_protocol_error_to_string (i), ==, codes[i]);
    g_assert_true (ms_protocol_error_from_string (codes[i], &code));
    g_assert_cmpint (code, ==, i);
  }
  g_assert_false (ms_protocol_error_from_string ("Forbidden", &code));
  g_assert_false (ms_protocol_error_from_string ("", NULL));
  g_assert_false (ms_protocol_error_from_string (NULL, &code));

  g_assert_cmpint (ms_protocol_error_close_code (MS_PROTOCOL_ERROR_UNAUTHORIZED), ==, 4001);
  g_assert_cmpint (ms_protocol_error_close_code (MS_PROTOCOL_ERROR_TOKEN_EXPIRED), ==, 4001);
  g_assert_cmpint (ms_protocol_error_close_code (MS_PROTOCOL_ERROR_FORBIDDEN), ==, 4003);
  g_assert_cmpint (ms_protocol_error_close_code (MS_PROTOCOL_ERROR_RATE_LIMITED), ==, 4008);
  g_assert_cmpint (ms_protocol_error_close_code (MS_PROTOCOL_ERROR_BAD_REQUEST), ==, 4400);
  g_assert_cmpint (ms_protocol_error_close_code (MS_PROTOCOL_ERROR_ROOM_FULL), ==, 4400);
  g_assert_cmpint (ms_protocol_error_close_code (MS_PROTOCOL_ERROR_SERVER_ERROR), ==, 4400);

  g_assert_cmpstr (ms_msg_type_to_string (MS_MSG_SET_RECEIVING), ==, "set-receiving");
  g_assert_cmpstr (ms_msg_type_to_string (MS_MSG_TRACK_PUBLISHED), ==, "track-published");
  g_assert_true (ms_msg_type_from_string ("offer", TO_SRV, &type));
  g_assert_cmpint (type, ==, MS_MSG_OFFER);
  g_assert_true (ms_msg_type_from_string ("offer", TO_CLI, &type));
  g_assert_true (ms_msg_type_from_string ("peer-left", TO_CLI, &type));
  g_assert_cmpint (type, ==, MS_MSG_PEER_LEFT);
  g_assert_false (ms_msg_type_from_string ("peer-left", TO_SRV, &type));
  g_assert_false (ms_msg_type_from_string ("leave", TO_CLI, &type));
  g_assert_false (ms_msg_type_from_string ("Leave", TO_SRV, &type));
  g_assert_false (ms_msg_type_from_string (NULL, TO_SRV, &type));

  g_assert_cmpstr (ms_track_kind_to_string (MS_TRACK_KIND_AUDIO), ==, "audio");
  g_assert_cmpstr (ms_track_kind_to_string (MS_TRACK_KIND_VIDEO), ==, "video");
  g_assert_true (ms_track_kind_from_string ("video", &kind));
  g_assert_cmpint (kind, ==, MS_TRACK_KIND_VIDEO);
  g_assert_false (ms_track_kind_from_string ("data", &kind));
  g_assert_false (ms_track_kind_from_string (NULL, &kind));

  g_assert_cmpstr (ms_pc_kind_to_string (MS_PC_PUBLISH), ==, "publish");
  g_assert_cmpstr (ms_pc_kind_to_string (MS_PC_SUBSCRIBE), ==, "subscribe");
  g_assert_true (ms_pc_kind_from_string ("subscribe", &pc));
  g_assert_cmpint (pc, ==, MS_PC_SUBSCRIBE);
  g_assert_false (ms_pc_kind_from_string ("publisher", &pc));
}

static void
test_identifier (void)
{
  g_autofree char *id64 = g_strnfill (64, 'a');
  g_autofree char *id65 = g_strnfill (65, 'a');
  const char *valid[] = { "a", "alice", "Z", "0", "camera-2", "screen_share", "v1.2",
                          "sip:alice@example.org", "-", "..", "a:b@c.d-e_f" };
  const char *invalid[] = { "", "a b", " a", "a\n", "a/b", "a\\b", "caméra", "*", "a,b", "a;b",
                            "a\"b", "a'b", "<a>", "a%20", "a+b", "a#b", "a?b", "a\tb", "\x7f" };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    g_assert_true (ms_validate_identifier (valid[i], 64));
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_false (ms_validate_identifier (invalid[i], 64));

  g_assert_true (ms_validate_identifier (id64, 64));
  g_assert_false (ms_validate_identifier (id65, 64));
  g_assert_true (ms_validate_identifier (id65, 65));
  g_assert_false (ms_validate_identifier ("ab", 1));
  g_assert_false (ms_validate_identifier ("a", 0));
  g_assert_false (ms_validate_identifier (NULL, 64));
}

/* Whether the codec accepts a set-profile with @member set to @value (a
 * JSON string literal), under @limits. */
static gboolean
codec_accepts (const char     *member,
               const char     *value,
               const MsLimits *limits)
{
  g_autofree char *json = g_strdup_printf ("{\"type\":\"set-profile\",\"id\":1,\"%s\":%s}",
                                           member, value);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsMessage) msg = ms_message_decode (json, strlen (json), MS_DIRECTION_TO_SERVER,
                                                 limits, NULL, &error);

  g_assert_true ((msg == NULL) == (error != NULL));
  return msg != NULL;
}

/* One rule per kind of value, in ms-protocol.h, and the codec applies
 * exactly it (with the limit given). */
static void
test_shared_rules (void)
{
  struct {
    const char *text;       /* C string */
    const char *json;       /* the same as a JSON string literal */
    gboolean    name_valid;
    gboolean    avatar_valid;
  } cases[] = {
    { "Ann", "\"Ann\"", TRUE, FALSE },
    { "Zoë “Alice” Ångström", "\"Zoë “Alice” Ångström\"", TRUE, FALSE },
    { "Ann Lee", "\"Ann Lee\"", TRUE, FALSE },
    { "", "\"\"", FALSE, FALSE },
    { "Ann\a", "\"Ann\\u0007\"", FALSE, FALSE },
    { "Ann\n", "\"Ann\\n\"", FALSE, FALSE },
    { "Ann\xc2\x85", "\"Ann\\u0085\"", FALSE, FALSE },
    { "https://example.org/a.png", "\"https://example.org/a.png\"", TRUE, TRUE },
    { "HTTP://example.org/a.png", "\"HTTP://example.org/a.png\"", TRUE, TRUE },
    { "https://example.org/a b.png", "\"https://example.org/a b.png\"", TRUE, FALSE },
    { "https://example.org/a\tb.png", "\"https://example.org/a\\tb.png\"", FALSE, FALSE },
    { "https://", "\"https://\"", TRUE, FALSE },
    { "file:///etc/passwd", "\"file:///etc/passwd\"", TRUE, FALSE },
    { "javascript:alert(1)", "\"javascript:alert(1)\"", TRUE, FALSE },
  };
  g_autofree char *name16 = g_strnfill (16, 'n');
  g_autofree char *name17 = g_strnfill (17, 'n');
  g_autofree char *name16_json = g_strdup_printf ("\"%s\"", name16);
  g_autofree char *name17_json = g_strdup_printf ("\"%s\"", name17);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) too_many = NULL;
  const char *grants_ok[] = { "camera", "*", "sip:a@b", NULL };
  const char *grants_bad[] = { "camera", "a b", NULL };
  const char *grants_long[] = { "camera-0123456789ab", NULL };
  MsLimits limits;

  ms_limits_init_default (&limits);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_test_message ("case %u: %s", i, cases[i].json);
    g_assert_cmpint (ms_validate_display_name (cases[i].text, limits.max_name_length), ==,
                     cases[i].name_valid);
    g_assert_cmpint (ms_validate_avatar_url (cases[i].text, limits.max_url_length), ==,
                     cases[i].avatar_valid);
    g_assert_cmpint (codec_accepts ("display_name", cases[i].json, &limits), ==,
                     cases[i].name_valid);
    g_assert_cmpint (codec_accepts ("avatar", cases[i].json, &limits), ==,
                     cases[i].avatar_valid);
  }

  g_assert_false (ms_validate_display_name (NULL, 128));
  g_assert_false (ms_validate_display_name ("\xff\xfe", 128));
  g_assert_false (ms_validate_avatar_url (NULL, 2048));
  g_assert_false (ms_validate_avatar_url ("https://example.org/\xff", 2048));

  /* The limits are parameters, and the codec passes its own. */
  limits.max_name_length = 16;
  g_assert_true (ms_validate_display_name (name16, 16));
  g_assert_false (ms_validate_display_name (name17, 16));
  g_assert_true (codec_accepts ("display_name", name16_json, &limits));
  g_assert_false (codec_accepts ("display_name", name17_json, &limits));
  g_assert_false (ms_validate_avatar_url ("https://example.org/a.png", 24));
  g_assert_true (ms_validate_avatar_url ("https://example.org/a.png", 25));

  g_assert_true (ms_validate_grant_list (NULL, 64));
  g_assert_true (ms_validate_grant_list (grants_ok, 64));
  g_assert_false (ms_validate_grant_list (grants_bad, 64));
  g_assert_true (ms_validate_grant_list (grants_long, 64));
  g_assert_false (ms_validate_grant_list (grants_long, 16));
  for (guint i = 0; i < MS_PROTOCOL_MAX_LIST; i++)
    g_strv_builder_add (builder, "camera");
  g_clear_pointer (&too_many, g_strfreev);
  too_many = g_strv_builder_end (builder);
  g_assert_true (ms_validate_grant_list ((const char * const *) too_many, 64));
  g_strv_builder_addv (builder, (const char **) too_many);
  g_strv_builder_add (builder, "camera");
  g_clear_pointer (&too_many, g_strfreev);
  too_many = g_strv_builder_end (builder);
  g_assert_false (ms_validate_grant_list ((const char * const *) too_many, 64));
}

static void
test_grant_allows (void)
{
  const char *none[] = { NULL };
  const char *any[] = { "*", NULL };
  const char *some[] = { "camera", "screen", NULL };
  const char *mixed[] = { "camera", "*", NULL };

  g_assert_false (ms_grant_allows (NULL, "camera"));
  g_assert_false (ms_grant_allows (none, "camera"));
  g_assert_true (ms_grant_allows (any, "camera"));
  g_assert_true (ms_grant_allows (any, "anything:at@all"));
  g_assert_false (ms_grant_allows (any, NULL));
  g_assert_true (ms_grant_allows (some, "camera"));
  g_assert_true (ms_grant_allows (some, "screen"));
  g_assert_false (ms_grant_allows (some, "microphone"));
  g_assert_false (ms_grant_allows (some, "Camera"));
  g_assert_false (ms_grant_allows (some, "cam"));
  g_assert_false (ms_grant_allows (some, ""));
  g_assert_true (ms_grant_allows (mixed, "microphone"));
}

static void
test_copies (void)
{
  g_autoptr (MsPeerDesc) bob = bob_desc ();
  g_autoptr (MsPeerDesc) copy = ms_peer_desc_copy (bob);
  g_autoptr (MsTrackDesc) track = ms_track_desc_new ("camera", MS_TRACK_KIND_VIDEO, TRUE);
  g_autoptr (MsTrackDesc) track_copy = NULL;
  g_autoptr (MsMessage) welcome = build_welcome ();
  g_autoptr (MsIceServer) ice = NULL;
  const MsIceServer *turn;
  MsGrants grants = { 0 };

  assert_peer_equal (bob, copy);
  g_assert_true (copy->id != bob->id);
  g_assert_true (copy->tracks != bob->tracks);
  g_assert_true (g_ptr_array_index (copy->tracks, 0) != g_ptr_array_index (bob->tracks, 0));

  track->mid = g_strdup ("3");
  track->peer_id = g_strdup ("bob");
  track_copy = ms_track_desc_copy (track);
  assert_track_equal (track, track_copy);
  g_assert_null (track_copy->mid == track->mid ? track_copy : NULL);

  turn = g_ptr_array_index (welcome->u.welcome.ice_servers, 1);
  ice = ms_ice_server_copy (turn);
  assert_strv_equal (ice->urls, turn->urls);
  g_assert_true (ice->urls != turn->urls);
  g_assert_cmpstr (ice->credential, ==, "s3cr3t/+=");

  ms_grants_copy_to (&welcome->u.welcome.grants, &grants);
  assert_grants_equal (&welcome->u.welcome.grants, &grants);
  g_assert_true (grants.send_tracks != welcome->u.welcome.grants.send_tracks);
  ms_grants_clear (&grants);
  g_assert_null (grants.send_tracks);
  g_assert_false (grants.can_hide);
  ms_grants_clear (&grants);

  ms_track_desc_free (NULL);
  ms_peer_desc_free (NULL);
  ms_ice_server_free (NULL);
  ms_message_free (NULL);
}

/* "host" in a Peer object and in grants: written only when true, read as
 * an optional boolean. */
static void
test_peer_host (void)
{
  g_autoptr (MsMessage) joined = build_peer_joined ();
  g_autoptr (MsMessage) updated = build_peer_updated ();
  g_autoptr (MsMessage) decoded = NULL;
  g_autoptr (MsMessage) welcome = NULL;
  g_autoptr (JsonObject) plain = NULL;
  g_autoptr (JsonObject) hosting = NULL;
  const char *yes = "{\"type\":\"peer-joined\",\"peer\":{\"id\":\"h\",\"display_name\":\"H\","
                    "\"host\":\"yes\",\"tracks\":[]}}";
  const char *one = "{\"type\":\"peer-updated\",\"peer\":{\"id\":\"h\",\"display_name\":\"H\","
                    "\"host\":1,\"tracks\":[]}}";
  JsonObject *peer;

  g_assert_false (joined->u.peer.peer->host);
  plain = encode_object (joined);
  g_assert_false (json_object_has_member (json_object_get_object_member (plain, "peer"), "host"));

  hosting = encode_object (updated);
  peer = json_object_get_object_member (hosting, "peer");
  g_assert_true (json_object_has_member (peer, "host"));
  g_assert_true (json_object_get_boolean_member (peer, "host"));

  decoded = roundtrip (updated, TO_CLI);
  g_assert_true (decoded->u.peer.peer->host);
  g_clear_pointer (&decoded, ms_message_free);
  decoded = roundtrip (joined, TO_CLI);
  g_assert_false (decoded->u.peer.peer->host);
  g_clear_pointer (&decoded, ms_message_free);

  decoded = decode_ok ("{\"type\":\"peer-joined\",\"peer\":{\"id\":\"h\",\"display_name\":\"H\","
                       "\"host\":true,\"tracks\":[]}}", TO_CLI);
  g_assert_true (decoded->u.peer.peer->host);
  g_clear_pointer (&decoded, ms_message_free);
  decoded = decode_ok ("{\"type\":\"peer-joined\",\"peer\":{\"id\":\"h\",\"display_name\":\"H\","
                       "\"host\":false,\"tracks\":[]}}", TO_CLI);
  g_assert_false (decoded->u.peer.peer->host);

  welcome = decode_ok ("{\"type\":\"welcome\",\"peer_id\":\"p\",\"room\":\"r\","
                       "\"display_name\":\"P\",\"avatar\":null,\"hidden\":false,"
                       "\"grants\":{\"send_tracks\":[],\"recv_tracks\":[],\"send_messages\":[],"
                       "\"recv_messages\":[],\"can_hide\":false,\"hidden\":false,\"host\":true},"
                       "\"peers\":[{\"id\":\"h\",\"display_name\":\"H\",\"host\":true,\"tracks\":[]},"
                       "{\"id\":\"g\",\"display_name\":\"G\",\"tracks\":[]}],"
                       "\"ice_servers\":[],\"resume\":\"k\",\"server\":{\"version\":\"1\"}}",
                       TO_CLI);
  g_assert_true (welcome->u.welcome.grants.host);
  g_assert_true (((MsPeerDesc *) g_ptr_array_index (welcome->u.welcome.peers, 0))->host);
  g_assert_false (((MsPeerDesc *) g_ptr_array_index (welcome->u.welcome.peers, 1))->host);

  assert_refused (yes, strlen (yes), TO_CLI, NULL, -1, "field 'peer.host' must be true or false");
  assert_refused (one, strlen (one), TO_CLI, NULL, -1, "field 'peer.host' must be true or false");
}

static void
test_constructors (void)
{
  g_autoptr (MsMessage) join = ms_message_new (MS_MSG_JOIN);
  g_autoptr (MsMessage) ok = ms_message_new_ok (MS_PROTOCOL_MAX_ID);
  g_autoptr (MsMessage) error = ms_message_new_error (FALSE, 99, MS_PROTOCOL_ERROR_ROOM_FULL, NULL);
  g_autoptr (MsMessage) peer = ms_message_new (MS_MSG_PEER_JOINED);

  g_assert_cmpint (join->type, ==, MS_MSG_JOIN);
  g_assert_false (join->has_id);
  g_assert_cmpint (join->u.join.protocol, ==, MS_PROTOCOL_VERSION);
  g_assert_null (join->u.join.token);

  g_assert_true (ok->has_id);
  g_assert_cmpint (ok->id, ==, MS_PROTOCOL_MAX_ID);

  g_assert_false (error->has_id);
  g_assert_cmpint (error->u.error.code, ==, MS_PROTOCOL_ERROR_ROOM_FULL);
  g_assert_cmpstr (error->u.error.message, ==, "room-full");

  g_assert_null (peer->u.peer.peer);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/strings", test_strings);
  g_test_add_func ("/protocol/identifier", test_identifier);
  g_test_add_func ("/protocol/grant-allows", test_grant_allows);
  g_test_add_func ("/protocol/copy/descriptions", test_copies);
  g_test_add_func ("/protocol/constructors", test_constructors);
  g_test_add_func ("/protocol/peer-host", test_peer_host);
  g_test_add_func ("/protocol/limits/default", test_limits_default);
  g_test_add_func ("/protocol/limits/honoured", test_limits_honoured);
  g_test_add_func ("/protocol/limits/custom", test_limits_custom);

  for (guint i = 0; i < G_N_ELEMENTS (roundtrip_cases); i++)
    g_test_add_data_func (roundtrip_cases[i].path, &roundtrip_cases[i], test_roundtrip);
  g_test_add_func ("/protocol/roundtrip/coverage", test_roundtrip_coverage);
  g_test_add_func ("/protocol/copy/messages", test_copy_messages);
  g_test_add_func ("/protocol/copy/beyond-limits", test_copy_beyond_limits);
  g_test_add_func ("/protocol/encode/wire", test_encode_wire);
  g_test_add_func ("/protocol/encode/nulls", test_encode_nulls);
  g_test_add_func ("/protocol/encode/body-numbers", test_encode_body_numbers);
  g_test_add_func ("/protocol/encode/omits-absent", test_encode_omits_absent);

  for (guint i = 0; i < G_N_ELEMENTS (example_cases); i++)
    g_test_add_data_func (example_cases[i].path, &example_cases[i], test_example);

  g_test_add_func ("/protocol/malformed", test_malformed);
  g_test_add_func ("/protocol/malformed/no-out-args", test_malformed_without_out_args);
  g_test_add_func ("/protocol/malformed/nesting", test_nesting);
  g_test_add_func ("/protocol/malformed/mutations", test_mutations);
  g_test_add_func ("/protocol/check-json", test_check_json);
  g_test_add_func ("/protocol/shared-rules", test_shared_rules);

  return g_test_run ();
}
