/* test-cluster.c: several real servers sharing one real Redis
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each case starts redis-server on a loopback port and three
 * mediastore-server nodes in cluster mode on it, then joins through
 * different nodes: bots and sessions land on the room's one node, a
 * race for a new room has one winner, a killed node's call comes back on
 * another, a lost Redis stops only new rooms, and a draining node takes
 * none and stops when its call ends.
 */

#include "config.h"

#include <signal.h>

#include <json-glib/json-glib.h>

#include "ms-token.h"
#include "test-redis-utils.h"
#include "test-session-utils.h"

#define N_NODES 3
#define GRANTS_AV "{\"send_tracks\":[\"camera\",\"microphone\"],\"send_messages\":[\"chat\"]}"
#define GRANTS_VIDEO "{\"send_tracks\":[\"camera\"],\"send_messages\":[\"chat\"]}"

typedef struct {
  TestRedis  *redis;
  TestServer *nodes[N_NODES];
} Cluster;

static TestServer *
node_start (Cluster *c,
            guint    i)
{
  g_autofree char *redis = g_strdup_printf ("--redis-url=%s", test_redis_get_url (c->redis));
  g_autofree char *id = g_strdup_printf ("--node-id=node%u", i);

  return test_server_start (redis, id, NULL);
}

static void
cluster_start (Cluster *c)
{
  test_media_warnings_not_fatal ();
  c->redis = test_redis_start ("cluster-secret", FALSE);
  for (guint i = 0; i < N_NODES; i++)
    c->nodes[i] = node_start (c, i);
  /* Each node has read the registry with all of them in it. */
  for (guint i = 0; i < N_NODES; i++)
    test_server_wait_metric (c->nodes[i], "mediastore_cluster_nodes", N_NODES);
}

static void
cluster_stop (Cluster *c)
{
  for (guint i = 0; i < N_NODES; i++) {
    if (c->nodes[i] != NULL && test_server_is_running (c->nodes[i]))
      test_server_stop_with (c->nodes[i], SIGINT);
    g_clear_pointer (&c->nodes[i], test_server_free);
  }
  g_clear_pointer (&c->redis, test_redis_free);
}

/* The one node holding @room's @peers peers (-1 if it is not so). */
static int
owner_of (Cluster *c,
          guint    peers)
{
  int owner = -1;

  for (guint i = 0; i < N_NODES; i++) {
    if (c->nodes[i] == NULL || !test_server_is_running (c->nodes[i]))
      continue;
    if (test_server_metric (c->nodes[i], "mediastore_peers") == peers &&
        test_server_metric (c->nodes[i], "mediastore_rooms") == 1) {
      if (owner >= 0)
        return -1;
      owner = i;
    } else if (test_server_metric (c->nodes[i], "mediastore_rooms") != 0) {
      return -1;
    }
  }
  return owner;
}

/* Six bots join one room, two through each node: all land on the node
 * the first join placed it on, and each gets the five others' video and
 * audio. */
static void
test_one_room (void)
{
  Cluster c = { 0 };
  g_autoptr (GPtrArray) bots = g_ptr_array_new_with_free_func (g_object_unref);
  const guint n = 6;
  int owner;

  cluster_start (&c);
  for (guint i = 0; i < n; i++) {
    g_autofree char *identity = g_strdup_printf ("bot%u", i);

    g_ptr_array_add (bots, test_bot_start (test_server_get_url (c.nodes[i % N_NODES]), "six",
                                           identity, GRANTS_AV, 2 * (n - 1)));
  }
  for (guint i = 0; i < n; i++)
    test_bot_wait_arrived (g_ptr_array_index (bots, i));

  owner = owner_of (&c, n);
  g_test_message ("the room lives on node%d", owner);
  g_assert_cmpint (owner, >=, 0);
  {
    guint redirects = 0;

    for (guint i = 0; i < N_NODES; i++)
      redirects += test_server_metric (c.nodes[i], "mediastore_cluster_redirects_total");
    /* Four of the six came through another node than the room's. */
    g_assert_cmpuint (redirects, >=, 4);
  }

  for (guint i = 0; i < n; i++)
    test_bot_check (g_ptr_array_index (bots, i), 2 * (n - 1));
  test_server_wait_metric (c.nodes[owner], "mediastore_rooms", 0);
  cluster_stop (&c);
}

/* Two nodes get the first join of a new room at the same moment: one
 * welcomes, the other redirects to it; never two owners. Ten rooms, so
 * that the race is really run. */
static void
test_race (void)
{
  Cluster c = { 0 };

  cluster_start (&c);
  for (guint round = 0; round < 10; round++) {
    g_autofree char *room = g_strdup_printf ("race%u", round);
    g_autofree char *token_a = test_token (room, "a", NULL);
    g_autofree char *token_b = test_token (room, "b", NULL);
    TestPeer *a = test_peer_connect (c.nodes[0]);
    TestPeer *b = test_peer_connect (c.nodes[1]);
    g_autoptr (MsMessage) first = NULL;
    g_autoptr (MsMessage) second = NULL;
    guint welcomes = 0, redirects = 0;
    const char *redirected_to = NULL;

    /* Both sent before either is answered. */
    test_peer_send (a, "{\"type\":\"join\",\"id\":1,\"token\":\"%s\",\"protocol\":1}", token_a);
    test_peer_send (b, "{\"type\":\"join\",\"id\":1,\"token\":\"%s\",\"protocol\":1}", token_b);
    first = test_peer_expect_any (a);
    second = test_peer_expect_any (b);
    for (guint i = 0; i < 2; i++) {
      MsMessage *msg = i == 0 ? first : second;

      if (msg->type == MS_MSG_WELCOME) {
        welcomes++;
      } else {
        g_assert_cmpint (msg->type, ==, MS_MSG_REDIRECT);
        g_assert_cmpint (msg->id, ==, 1);
        redirects++;
        redirected_to = msg->u.redirect.url;
      }
    }
    /* One owner: both were sent to the same third node, or whoever was
     * redirected was sent to the one that welcomed. */
    g_assert_cmpuint (welcomes + redirects, ==, 2);
    g_assert_cmpuint (welcomes, <=, 1);
    if (redirects == 2)
      g_assert_cmpstr (first->u.redirect.url, ==, second->u.redirect.url);
    else
      g_assert_cmpstr (redirected_to, ==,
                       test_server_get_url (first->type == MS_MSG_WELCOME ? c.nodes[0]
                                                                         : c.nodes[1]));
    if (first->type == MS_MSG_REDIRECT)
      g_assert_cmpuint (test_peer_wait_closed (a), ==, MS_CLOSE_REDIRECT);
    if (second->type == MS_MSG_REDIRECT)
      g_assert_cmpuint (test_peer_wait_closed (b), ==, MS_CLOSE_REDIRECT);
    test_peer_free (a);
    test_peer_free (b);
  }
  cluster_stop (&c);
}

static const char *
peer_id_of (MsSession *session)
{
  return ms_store_get_peer_id (ms_session_get_store (session));
}

/* The peer id @session knows @identity by now (its display name), or
 * NULL. */
static const char *
peer_named (MsSession  *session,
            const char *identity)
{
  GListModel *peers = ms_store_get_peers (ms_session_get_store (session));

  for (guint i = 0; i < g_list_model_get_n_items (peers); i++) {
    g_autoptr (MsPeer) peer = g_list_model_get_item (peers, i);

    if (g_str_equal (ms_peer_get_display_name (peer), identity))
      return ms_peer_get_id (peer);
  }
  return NULL;
}

/* Whether @session sees each other one as a peer other than in @before
 * (as they are after they joined again). */
static gboolean
all_new_peers (MsSession   *session,
               const char **names,
               guint        n,
               guint        me,
               char       **before)
{
  for (guint j = 0; j < n; j++) {
    const char *id;

    if (j == me)
      continue;
    id = peer_named (session, names[j]);
    if (id == NULL || g_strcmp0 (id, before[j]) == 0)
      return FALSE;
  }
  return TRUE;
}

/* @session gets at least @frames more frames of each other's camera. */
static gboolean
receiving_from_all (MsSession  **sessions,
                    const char **names,
                    guint        n,
                    guint        me,
                    guint64     *since,
                    guint        frames)
{
  for (guint j = 0; j < n; j++) {
    const char *id;

    if (j == me)
      continue;
    id = peer_named (sessions[me], names[j]);
    if (id == NULL || test_remote_frames (sessions[me], id, "camera") < since[j] + frames)
      return FALSE;
  }
  return TRUE;
}

static void
on_chat (MsSession  *session,
         const char *type,
         JsonNode   *body,
         const char *from,
         gpointer    user_data)
{
  guint *got = user_data;

  if (g_str_equal (type, "chat") && JSON_NODE_HOLDS_VALUE (body) &&
      g_strcmp0 (json_node_get_string (body), "after the kill") == 0)
    (*got)++;
}

static void
publish_camera (MsSession *session)
{
  g_autoptr (MsLocalTrack) track = ms_local_track_new (MS_LOCAL_TRACK_TEST_VIDEO, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (ms_session_send_track (session, track, "camera", FALSE, &error));
  g_assert_no_error (error);
}

/* The room's node is killed outright: every session comes back into the
 * call on another node by itself, with video, within 10 s of the kill,
 * and a chat message sent then reaches all of them. */
static void
test_owner_killed (void)
{
  Cluster c = { 0 };
  const char *names[] = { "ann", "ben", "cy" };
  MsSession *sessions[G_N_ELEMENTS (names)];
  const guint n = G_N_ELEMENTS (names);
  guint64 frames[G_N_ELEMENTS (names)][G_N_ELEMENTS (names)] = { { 0 } };
  char *before[G_N_ELEMENTS (names)][G_N_ELEMENTS (names)];
  guint got = 0;
  int owner;
  gint64 killed, back;

  cluster_start (&c);
  for (guint i = 0; i < n; i++) {
    sessions[i] = test_session_join_url (test_server_get_url (c.nodes[i]), "kill", names[i],
                                         GRANTS_VIDEO);
    g_signal_connect (sessions[i], "message", G_CALLBACK (on_chat), &got);
    publish_camera (sessions[i]);
  }
  for (guint i = 0; i < n; i++)
    WAIT_UNTIL (receiving_from_all (sessions, names, n, i, frames[i], 10));
  owner = owner_of (&c, n);
  g_assert_cmpint (owner, >=, 0);
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      before[i][j] = i != j ? g_strdup (peer_named (sessions[i], names[j])) : NULL;

  test_server_kill (c.nodes[owner]);
  killed = g_get_monotonic_time ();
  g_test_message ("killed node%d, the room's node", owner);

  /* Back: connected again, everyone else seen as the new peer they are
   * after joining again (until a session notices the kill it still
   * shows the old ones, and their buffered frames), and receiving their
   * video. */
  for (guint i = 0; i < n; i++) {
    for (guint j = 0; j < n; j++)
      frames[i][j] = 0;
    WAIT_UNTIL (ms_store_get_connect_status (ms_session_get_store (sessions[i])) ==
                MS_CONNECT_STATUS_CONNECTED &&
                all_new_peers (sessions[i], names, n, i, before[i]) &&
                receiving_from_all (sessions, names, n, i, frames[i], 5));
    for (guint j = 0; j < n; j++)
      g_free (before[i][j]);
  }
  back = g_get_monotonic_time ();
  g_test_message ("all %u back with video %.2f s after the kill", n,
                  (back - killed) / (double) G_USEC_PER_SEC);
  g_assert_cmpint (back - killed, <=, 10 * G_USEC_PER_SEC * test_timeout_scale ());
  g_assert_cmpint (owner_of (&c, n), >=, 0);
  g_assert_cmpint (owner_of (&c, n), !=, owner);

  {
    g_autoptr (JsonNode) body = json_node_init_string (json_node_alloc (), "after the kill");
    g_autoptr (GError) error = NULL;

    g_assert_true (ms_session_send_message (sessions[0], "chat", body, NULL, &error));
    g_assert_no_error (error);
    WAIT_UNTIL (got == n - 1);
  }

  for (guint i = 0; i < n; i++) {
    ms_session_close_call (sessions[i]);
    g_object_unref (sessions[i]);
  }
  cluster_stop (&c);
}

/* A raw join of a new room through @node: the first frame back. */
static MsMessage *
join_new_room (TestServer *node,
               const char *room,
               TestPeer  **out_peer)
{
  g_autofree char *token = test_token (room, "newcomer", NULL);
  TestPeer *peer = test_peer_connect (node);
  MsMessage *msg;

  test_peer_send (peer, "{\"type\":\"join\",\"id\":7,\"token\":\"%s\",\"protocol\":1}", token);
  msg = test_peer_expect_any (peer);
  if (out_peer != NULL)
    *out_peer = peer;
  else
    test_peer_free (peer);
  return msg;
}

/* Redis goes away: the call in progress keeps its video, a new room is
 * refused with "unavailable"; Redis back: a new room works within 5 s. */
static void
test_redis_lost (void)
{
  Cluster c = { 0 };
  MsSession *a, *b;
  guint64 before;
  gint64 restarted;
  TestPeer *peer = NULL;

  cluster_start (&c);
  a = test_session_join_url (test_server_get_url (c.nodes[0]), "steady", "a", GRANTS_VIDEO);
  b = test_session_join_url (test_server_get_url (c.nodes[0]), "steady", "b", NULL);
  publish_camera (a);
  WAIT_UNTIL (test_remote_frames (b, peer_id_of (a), "camera") > 10);

  test_redis_stop (c.redis);
  test_server_wait_metric (c.nodes[0], "mediastore_cluster_redis_up", 0);
  before = test_remote_frames (b, peer_id_of (a), "camera");
  {
    g_autoptr (MsMessage) msg = join_new_room (c.nodes[1], "fresh", &peer);

    g_assert_cmpint (msg->type, ==, MS_MSG_ERROR);
    g_assert_cmpint (msg->u.error.code, ==, MS_PROTOCOL_ERROR_UNAVAILABLE);
    g_assert_cmpuint (test_peer_wait_closed (peer), ==, MS_CLOSE_UNAVAILABLE);
    g_clear_pointer (&peer, test_peer_free);
  }
  /* The call goes on meanwhile: another two seconds of video at 15 fps. */
  WAIT_UNTIL (test_remote_frames (b, peer_id_of (a), "camera") > before + 30);
  g_assert_cmpint (ms_store_get_connect_status (ms_session_get_store (b)), ==,
                   MS_CONNECT_STATUS_CONNECTED);

  test_redis_restart (c.redis);
  restarted = g_get_monotonic_time ();
  /* The node finds Redis again by itself (its reconnect backs off to
   * 2 s at most); then a new room is placed at once. */
  test_server_wait_metric (c.nodes[1], "mediastore_cluster_redis_up", 1);
  {
    g_autoptr (MsMessage) msg = join_new_room (c.nodes[1], "fresh-again", NULL);

    g_assert_true (msg->type == MS_MSG_WELCOME || msg->type == MS_MSG_REDIRECT);
  }
  g_test_message ("a new room was placed %.2f s after Redis came back",
                  (g_get_monotonic_time () - restarted) / (double) G_USEC_PER_SEC);
  g_assert_cmpint (g_get_monotonic_time () - restarted, <,
                   5 * G_USEC_PER_SEC * test_timeout_scale ());

  ms_session_close_call (a);
  ms_session_close_call (b);
  g_object_unref (a);
  g_object_unref (b);
  cluster_stop (&c);
}

/* A draining node takes no new room (its joins go to another node), its
 * call goes on, and it exits when that call ends. */
static void
test_drain (void)
{
  Cluster c = { 0 };
  MsSession *a, *b;
  guint status = 0;
  g_autofree char *answer = NULL;

  cluster_start (&c);
  a = test_session_join_url (test_server_get_url (c.nodes[0]), "last", "a", GRANTS_VIDEO);
  b = test_session_join_url (test_server_get_url (c.nodes[0]), "last", "b", NULL);
  publish_camera (a);
  WAIT_UNTIL (test_remote_frames (b, peer_id_of (a), "camera") > 10);

  answer = test_server_http (c.nodes[0], "POST", "/v1/drain", MS_DEV_SECRET, "", &status);
  g_assert_cmpuint (status, ==, 202);
  test_server_wait_metric (c.nodes[0], "mediastore_cluster_draining", 1);
  {
    g_autoptr (MsMessage) msg = join_new_room (c.nodes[0], "another", NULL);

    g_assert_cmpint (msg->type, ==, MS_MSG_REDIRECT);
    g_assert_cmpstr (msg->u.redirect.url, !=, test_server_get_url (c.nodes[0]));
  }
  {
    guint64 before = test_remote_frames (b, peer_id_of (a), "camera");

    WAIT_UNTIL (test_remote_frames (b, peer_id_of (a), "camera") > before + 15);
  }
  g_assert_true (test_server_is_running (c.nodes[0]));

  ms_session_close_call (a);
  ms_session_close_call (b);
  g_object_unref (a);
  g_object_unref (b);
  /* The last call ended: it stops by itself, with status 0. */
  test_server_wait_exit (c.nodes[0], 0);
  cluster_stop (&c);
}

/* A guest's join through @node, following a redirect if there is one:
 * the welcome. */
static MsMessage *
join_with (TestServer *node,
           const char *token)
{
  g_autofree char *url = g_strdup (test_server_get_url (node));

  for (guint hops = 0; hops < 2; hops++) {
    TestPeer *peer = test_peer_connect_url (url);
    MsMessage *msg;

    test_peer_send (peer, "{\"type\":\"join\",\"id\":1,\"token\":\"%s\",\"protocol\":1}",
                    token);
    msg = test_peer_expect_any (peer);
    test_peer_free (peer);
    if (msg->type != MS_MSG_REDIRECT)
      return msg;
    g_free (url);
    url = g_strdup (msg->u.redirect.url);
    ms_message_free (msg);
  }
  g_assert_not_reached ();
}

/* POST /v1/invitations/CODE/redeem through @node: the status, and the
 * token when there is one. */
static guint
redeem_through (TestServer *node,
                const char *code,
                char      **out_token)
{
  g_autofree char *path = g_strdup_printf ("/v1/invitations/%s/redeem", code);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *body = NULL;
  guint status;

  body = test_server_http (node, "POST", path, NULL, "{\"name\":\"Guest\"}", &status);
  if (out_token != NULL) {
    g_assert_cmpuint (status, ==, 200);
    g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
    *out_token = g_strdup (json_object_get_string_member (
      json_node_get_object (json_parser_get_root (parser)), "token"));
  }
  return status;
}

/* Invitations live in Redis: one made through one node is redeemed
 * through the others, its guests join, and a revocation through any node
 * holds on all. Without Redis they are refused with 503 "unavailable";
 * with it back, they work again. */
static void
test_invitations (void)
{
  Cluster c = { 0 };
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *created = NULL;
  g_autofree char *code = NULL;
  g_autofree char *path = NULL;
  g_autofree char *answer = NULL;
  guint status;

  cluster_start (&c);
  created = test_server_http (c.nodes[0], "POST", "/v1/invitations", MS_DEV_SECRET,
                              "{\"room\":\"party\"}", &status);
  g_assert_cmpuint (status, ==, 201);
  g_assert_true (json_parser_load_from_data (parser, created, -1, NULL));
  code = g_strdup (json_object_get_string_member (
    json_node_get_object (json_parser_get_root (parser)), "code"));

  for (guint i = 1; i < N_NODES; i++) {
    g_autofree char *token = NULL;
    g_autoptr (MsMessage) welcome = NULL;

    redeem_through (c.nodes[i], code, &token);
    welcome = join_with (c.nodes[i], token);
    g_assert_cmpint (welcome->type, ==, MS_MSG_WELCOME);
    g_assert_cmpstr (welcome->u.welcome.room, ==, "party");
  }

  /* Revoked through node 2: node 0, which made it, refuses it. */
  path = g_strdup_printf ("/v1/invitations/%s", code);
  g_free (test_server_http (c.nodes[2], "DELETE", path, MS_DEV_SECRET, NULL, &status));
  g_assert_cmpuint (status, ==, 204);
  g_assert_cmpuint (redeem_through (c.nodes[0], code, NULL), ==, 410);
  g_assert_cmpuint (test_server_metric (c.nodes[2], "mediastore_invitations_revoked_total"),
                    ==, 1);

  /* A code taken on one node is taken on all. */
  g_free (test_server_http (c.nodes[1], "POST", "/v1/invitations", MS_DEV_SECRET,
                            "{\"room\":\"party\",\"code\":\"abcdefghij\"}", &status));
  g_assert_cmpuint (status, ==, 201);
  g_free (test_server_http (c.nodes[2], "POST", "/v1/invitations", MS_DEV_SECRET,
                            "{\"room\":\"other\",\"code\":\"abc-defg-hij\"}", &status));
  g_assert_cmpuint (status, ==, 409);

  test_redis_stop (c.redis);
  test_server_wait_metric (c.nodes[1], "mediastore_cluster_redis_up", 0);
  answer = test_server_http (c.nodes[1], "POST", "/v1/invitations", MS_DEV_SECRET,
                             "{\"room\":\"party\"}", &status);
  g_assert_cmpuint (status, ==, 503);
  g_assert_nonnull (strstr (answer, "\"unavailable\""));
  g_assert_cmpuint (redeem_through (c.nodes[1], "abc-defg-hij", NULL), ==, 503);

  /* This Redis keeps nothing on disk: what it held is gone, but new
   * invitations work again by themselves. */
  test_redis_restart (c.redis);
  test_server_wait_metric (c.nodes[1], "mediastore_cluster_redis_up", 1);
  test_server_wait_metric (c.nodes[2], "mediastore_cluster_redis_up", 1);
  g_clear_pointer (&answer, g_free);
  answer = test_server_http (c.nodes[1], "POST", "/v1/invitations", MS_DEV_SECRET,
                             "{\"room\":\"party\",\"code\":\"abcdefghij\"}", &status);
  g_assert_cmpuint (status, ==, 201);
  g_assert_cmpuint (redeem_through (c.nodes[2], "abcdefghij", NULL), ==, 200);

  cluster_stop (&c);
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  test_media_warnings_not_fatal ();

  g_test_add_func ("/cluster/race", test_race);
  g_test_add_func ("/cluster/drain", test_drain);
  g_test_add_func ("/cluster/redis-lost", test_redis_lost);
  g_test_add_func ("/cluster/one-room", test_one_room);
  g_test_add_func ("/cluster/owner-killed", test_owner_killed);
  g_test_add_func ("/cluster/invitations", test_invitations);

  return g_test_run ();
}
