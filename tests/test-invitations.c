/* test-invitations.c: server-kept invitations, over real HTTP and WebSockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every test starts the real mediastore-server binary (in --dev mode, so
 * the API secret is MS_DEV_SECRET) and uses POST /v1/invitations, DELETE
 * /v1/invitations/CODE and POST /v1/invitations/CODE/redeem as a host's
 * and a guest's app would. Guests' tokens are then used to join over the
 * WebSocket.
 *
 * Each case runs twice: against a server alone, and against a node of a
 * cluster (a real redis-server of the case's own, found through
 * MEDIASTORE_REDIS_URL as an operator may give it), where invitations
 * live in Redis.
 */

#include "config.h"

#include "ms-token.h"
#include "test-redis-utils.h"
#include "test-utils.h"

/* Whether the case runs against a node of a cluster. */
static gboolean clustered;

/* A node serves invitations once it reaches Redis (before, it answers
 * 503 "unavailable"). */
static TestServer *
ready (TestServer *server)
{
  if (clustered)
    test_server_wait_metric (server, "mediastore_cluster_redis_up", 1);
  return server;
}

/* SIGTERM makes a node drain, waiting for calls to end (or for their
 * people to come back): SIGINT stops it at once. */
static void
stop (TestServer *server)
{
  test_server_stop_with (server, clustered ? SIGINT : SIGTERM);
}

#define GRANTS_GUEST "{\"send_tracks\":[\"camera\",\"mic\"],\"send_messages\":[\"chat\"]," \
                     "\"recv_messages\":[\"chat\"]}"

typedef struct {
  guint       status;
  JsonObject *object;        /* NULL when the body is not a JSON object */
  char       *body;
  char       *retry_after;   /* the Retry-After header, or NULL */
} Reply;

static void
reply_free (Reply *reply)
{
  g_clear_pointer (&reply->object, json_object_unref);
  g_free (reply->body);
  g_free (reply->retry_after);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static SoupMessage *
new_request (TestServer *server,
             const char *method,
             const char *path,
             const char *bearer,
             const char *body)
{
  g_autofree char *url = g_strconcat (test_server_get_http (server), path, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  if (bearer != NULL) {
    g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
  }

  if (body != NULL) {
    g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  }

  return msg;
}

static Reply *
reply_new (SoupMessage *msg,
           GBytes      *response)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  Reply *reply = g_new0 (Reply, 1);
  const char *retry_after;

  reply->status = soup_message_get_status (msg);
  /* An empty GBytes has NULL data. */
  reply->body = g_bytes_get_size (response) > 0 ?
                g_strndup (g_bytes_get_data (response, NULL), g_bytes_get_size (response)) :
                g_strdup ("");
  retry_after = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                              "Retry-After");
  reply->retry_after = g_strdup (retry_after);

  if (*reply->body != '\0' && json_parser_load_from_data (parser, reply->body, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    reply->object = json_object_ref (json_node_get_object (json_parser_get_root (parser)));

  return reply;
}

/* A blocking request from @local_address (NULL: the system's choice,
 * 127.0.0.1 for the loopback server). */
static Reply *
request_from (TestServer *server,
              const char *local_address,
              const char *method,
              const char *path,
              const char *bearer,
              const char *body)
{
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (SoupMessage) msg = new_request (server, method, path, bearer, body);
  g_autoptr (GBytes) response = NULL;
  g_autoptr (GError) error = NULL;

  if (local_address != NULL) {
    g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (local_address);
    g_autoptr (GSocketAddress) address = g_inet_socket_address_new (inet, 0);

    session = soup_session_new_with_options ("local-address", address, NULL);
  } else {
    session = soup_session_new ();
  }

  response = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);

  return reply_new (msg, response);
}

static Reply *
request (TestServer *server,
         const char *method,
         const char *path,
         const char *bearer,
         const char *body)
{
  return request_from (server, NULL, method, path, bearer, body);
}

static void
assert_error (Reply      *reply,
              guint       status,
              const char *error,
              const char *message)
{
  g_assert_cmpuint (reply->status, ==, status);
  g_assert_nonnull (reply->object);
  g_assert_cmpstr (json_object_get_string_member_with_default (reply->object, "error", NULL),
                   ==, error);
  if (message != NULL) {
    g_assert_cmpstr (json_object_get_string_member_with_default (reply->object, "message", NULL),
                     ==, message);
  } else {
    g_assert_nonnull (json_object_get_string_member_with_default (reply->object, "message",
                                                                  NULL));
  }
}

/* Creates an invitation and returns its code, checking the reply; its
 * expiry (seconds since the epoch) in @expires unless that is NULL. */
static char *
create_expiring (TestServer *server,
                 const char *body,
                 gint64     *expires)
{
  g_autoptr (Reply) reply = request (server, "POST", "/v1/invitations", MS_DEV_SECRET, body);
  const char *code;

  g_assert_cmpuint (reply->status, ==, 201);
  g_assert_nonnull (reply->object);
  code = json_object_get_string_member (reply->object, "code");
  g_assert_true (g_regex_match_simple ("^[a-z]{3}-[a-z]{4}-[a-z]{3}$", code, 0, 0));
  if (expires != NULL)
    *expires = json_object_get_int_member (reply->object, "expires");

  return g_strdup (code);
}

static char *
create (TestServer *server,
        const char *body)
{
  return create_expiring (server, body, NULL);
}

static char *
redeem_path (const char *code)
{
  return g_strdup_printf ("/v1/invitations/%s/redeem", code);
}

static Reply *
redeem (TestServer *server,
        const char *code,
        const char *body)
{
  g_autofree char *path = redeem_path (code);

  return request (server, "POST", path, NULL, body);
}

static MsTokenClaims *
verify (const char *token)
{
  g_autoptr (MsKeyring) keyring = ms_keyring_new ();
  g_autoptr (GError) error = NULL;
  MsTokenClaims *claims;

  ms_keyring_add (keyring, MS_DEV_KEY_ID, MS_DEV_SECRET, &error);
  g_assert_no_error (error);
  claims = ms_token_verify (token, keyring, g_get_real_time () / G_USEC_PER_SEC, &error);
  g_assert_no_error (error);

  return claims;
}

typedef struct {
  guint  pending;
  Reply *replies[3];
} Concurrent;

typedef struct {
  Concurrent  *all;
  guint        index;
  SoupMessage *msg;
} Pending;

static void
on_redeemed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) response = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                                   &error);

  g_assert_no_error (error);
  pending->all->replies[pending->index] = reply_new (pending->msg, response);
  pending->all->pending--;
  g_object_unref (pending->msg);
  g_free (pending);
}

static void
test_redeem_many (void)
{
  g_autoptr (TestServer) server = ready (test_server_start (NULL));
  g_autoptr (SoupSession) session = soup_session_new ();
  const char *names[] = { "Ann", "Bob", "Цой" };
  TestPeer *peers[3] = { NULL, };
  Concurrent all = { 0, };
  g_autofree char *code = NULL;
  g_autofree char *path = NULL;
  g_auto (GStrv) parts = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *upper = NULL;
  g_autoptr (Reply) guest = NULL;
  g_autoptr (MsTokenClaims) guest_claims = NULL;
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;

  code = create (server, "{\"room\":\"call\",\"ttl\":43200,\"grants\":" GRANTS_GUEST "}");
  path = redeem_path (code);

  /* Three guests redeem the one invitation at the same time. */
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autofree char *body = g_strdup_printf ("{\"name\":\"%s\"}", names[i]);
    Pending *pending = g_new0 (Pending, 1);

    pending->all = &all;
    pending->index = i;
    pending->msg = new_request (server, "POST", path, NULL, body);
    all.pending++;
    soup_session_send_and_read_async (session, pending->msg, G_PRIORITY_DEFAULT, NULL,
                                      on_redeemed, pending);
  }
  WAIT_UNTIL (all.pending == 0);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    Reply *reply = all.replies[i];
    g_autoptr (MsTokenClaims) claims = NULL;
    const char *identity;
    g_autoptr (MsMessage) welcome = NULL;

    g_assert_cmpuint (reply->status, ==, 200);
    identity = json_object_get_string_member (reply->object, "identity");
    g_assert_true (g_regex_match_simple ("^guest-[0-9a-f]{16,}$", identity, 0, 0));
    g_assert_cmpstr (json_object_get_string_member (reply->object, "room"), ==, "call");
    for (guint j = 0; j < i; j++)
      g_assert_cmpstr (identity, !=, json_object_get_string_member (all.replies[j]->object,
                                                                    "identity"));

    claims = verify (json_object_get_string_member (reply->object, "token"));
    g_assert_cmpstr (claims->identity, ==, identity);
    g_assert_cmpstr (claims->room, ==, "call");
    g_assert_cmpstr (claims->name, ==, names[i]);
    g_assert_cmpstrv (claims->grants.send_tracks, ((const char *[]) { "camera", "mic", NULL }));
    g_assert_cmpstrv (claims->grants.recv_messages, ((const char *[]) { "chat", NULL }));
    g_assert_false (claims->grants.can_hide);
    /* Guests' tokens last 12 hours at most, as long as the invitation here. */
    g_assert_cmpint (claims->expires, >=, before + 43200 - 5);
    g_assert_cmpint (claims->expires, <=, before + 43200 + 5);

    /* Each token joins the room as its own person, and sees the others. */
    peers[i] = test_peer_connect (server);
    test_peer_send (peers[i], "{\"type\":\"join\",\"protocol\":1,\"token\":\"%s\"}",
                    json_object_get_string_member (reply->object, "token"));
    welcome = test_peer_expect (peers[i], MS_MSG_WELCOME);
    g_assert_cmpstr (welcome->u.welcome.room, ==, "call");
    g_assert_cmpstr (welcome->u.welcome.display_name, ==, names[i]);
    g_assert_cmpuint (welcome->u.welcome.peers->len, ==, i);
    for (guint j = 0; j < i; j++) {
      MsPeerDesc *other = g_ptr_array_index (welcome->u.welcome.peers, j);
      g_autoptr (MsMessage) event = test_peer_expect (peers[j], MS_MSG_PEER_JOINED);

      g_assert_cmpstr (other->display_name, ==, names[j]);
      g_assert_cmpstr (event->u.peer.peer->display_name, ==, names[i]);
      g_assert_cmpstr (event->u.peer.peer->id, ==, welcome->u.welcome.peer_id);
    }
  }

  /* The code works without dashes and in capitals; without a name the
   * guest is "Guest". An empty body is fine too. */
  parts = g_strsplit (code, "-", -1);
  joined = g_strjoinv ("", parts);
  upper = g_ascii_strup (joined, -1);
  guest = redeem (server, upper, NULL);
  g_assert_cmpuint (guest->status, ==, 200);
  guest_claims = verify (json_object_get_string_member (guest->object, "token"));
  g_assert_cmpstr (guest_claims->name, ==, "Guest");

  g_assert_cmpuint (test_server_metric (server, "mediastore_invitations_created_total"), ==, 1);
  g_assert_cmpuint (test_server_metric (server, "mediastore_invitations_redeemed_total"), ==, 4);
  g_assert_cmpuint (test_server_metric (server, "mediastore_invitations"), ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (peers); i++) {
    test_peer_free (peers[i]);
    reply_free (all.replies[i]);
  }

  stop (server);
}

static void
test_short_invitation (void)
{
  g_autoptr (TestServer) server = ready (test_server_start (NULL));
  g_autofree char *code = create (server, "{\"room\":\"call\",\"ttl\":600}");
  g_autoptr (Reply) reply = redeem (server, code, "{\"name\":\"Ann\"}");
  g_autoptr (Reply) created = NULL;
  g_autoptr (MsTokenClaims) claims = NULL;

  /* A token never outlives its invitation. */
  g_assert_cmpuint (reply->status, ==, 200);
  claims = verify (json_object_get_string_member (reply->object, "token"));
  g_assert_cmpint (claims->expires - claims->issued_at, <=, 600);
  g_assert_cmpint (claims->expires - claims->issued_at, >=, 595);
  /* Without grants, a guest gets the defaults: receive all, send nothing. */
  g_assert_cmpstrv (claims->grants.send_tracks, ((const char *[]) { NULL }));
  g_assert_cmpstrv (claims->grants.recv_tracks, ((const char *[]) { "*", NULL }));

  /* Without "ttl", an invitation lasts 12 hours. */
  created = request (server, "POST", "/v1/invitations", MS_DEV_SECRET, "{\"room\":\"r\"}");
  g_assert_cmpuint (created->status, ==, 201);
  g_assert_cmpstr (json_object_get_string_member (created->object, "room"), ==, "r");
  g_assert_cmpint (json_object_get_int_member (created->object, "expires") -
                   g_get_real_time () / G_USEC_PER_SEC, >=, 43200 - 5);

  stop (server);
}

static void
test_refused (void)
{
  g_autoptr (TestServer) server = ready (test_server_start ("--redeem-burst=1000", NULL));
  g_autofree char *code = create (server, "{\"room\":\"call\"}");
  g_autofree char *path = g_strdup_printf ("/v1/invitations/%s", code);
  g_autoptr (Reply) reply = NULL;
  g_autofree char *short_code = NULL;
  guint expired_refusals = 1;
  gint64 expires;

  reply = redeem (server, "zzz-zzzz-zzz", NULL);
  assert_error (reply, 404, "invitation-unknown", "This invitation does not exist.");
  g_clear_pointer (&reply, reply_free);
  reply = redeem (server, "not-a-code", NULL);
  assert_error (reply, 404, "invitation-unknown", "This invitation does not exist.");
  g_clear_pointer (&reply, reply_free);
  reply = redeem (server, "abc-defg-hijk", NULL);
  assert_error (reply, 404, "invitation-unknown", "This invitation does not exist.");
  g_clear_pointer (&reply, reply_free);

  /* Revoked: refused from then on, and it stays known as revoked. */
  reply = redeem (server, code, NULL);
  g_assert_cmpuint (reply->status, ==, 200);
  g_clear_pointer (&reply, reply_free);
  reply = request (server, "DELETE", path, MS_DEV_SECRET, NULL);
  g_assert_cmpuint (reply->status, ==, 204);
  g_clear_pointer (&reply, reply_free);
  reply = redeem (server, code, "{\"name\":\"Ann\"}");
  assert_error (reply, 410, "invitation-revoked", "This invitation was withdrawn by the host.");
  g_clear_pointer (&reply, reply_free);
  reply = request (server, "DELETE", path, MS_DEV_SECRET, NULL);
  g_assert_cmpuint (reply->status, ==, 204);
  g_clear_pointer (&reply, reply_free);
  reply = redeem (server, code, NULL);
  assert_error (reply, 410, "invitation-revoked", "This invitation was withdrawn by the host.");
  g_clear_pointer (&reply, reply_free);
  reply = request (server, "DELETE", "/v1/invitations/zzz-zzzz-zzz", MS_DEV_SECRET, NULL);
  assert_error (reply, 404, "invitation-unknown", NULL);
  g_clear_pointer (&reply, reply_free);

  /* Expired: works until the second the server gave, refused from then
   * on. The test waits for that moment of the wall clock the server
   * reads rather than asking in a loop, which the rate limit would end. */
  short_code = create_expiring (server, "{\"room\":\"call\",\"ttl\":1}", &expires);
  g_assert_cmpint (expires - g_get_real_time () / G_USEC_PER_SEC, <=, 1);
  g_clear_pointer (&reply, reply_free);
  reply = redeem (server, short_code, NULL);
  if (g_get_real_time () / G_USEC_PER_SEC < expires)
    g_assert_cmpuint (reply->status, ==, 200);
  else if (reply->status != 200)   /* a very slow machine: it has expired already */
    expired_refusals++;
  while (g_get_real_time () < expires * G_USEC_PER_SEC)
    g_usleep ((gulong) (expires * G_USEC_PER_SEC - g_get_real_time ()));
  g_clear_pointer (&reply, reply_free);
  reply = redeem (server, short_code, NULL);
  assert_error (reply, 410, "invitation-expired", "This invitation has expired.");

  g_assert_cmpuint (test_server_metric (server, "mediastore_invitations_refused_total"
                                                "{reason=\"unknown\"}"), ==, 3);
  g_assert_cmpuint (test_server_metric (server, "mediastore_invitations_refused_total"
                                                "{reason=\"revoked\"}"), ==, 2);
  g_assert_cmpuint (test_server_metric (server, "mediastore_invitations_refused_total"
                                                "{reason=\"expired\"}"), ==, expired_refusals);
  g_assert_cmpuint (test_server_metric (server, "mediastore_invitations_revoked_total"), ==, 1);

  stop (server);
}

static void
test_auth (void)
{
  g_autoptr (TestServer) server = ready (test_server_start (NULL));
  g_autofree char *code = create (server, "{\"room\":\"call\"}");
  g_autofree char *path = g_strdup_printf ("/v1/invitations/%s", code);
  const char *bearers[] = { NULL, "wrong-secret", "" };

  for (guint i = 0; i < G_N_ELEMENTS (bearers); i++) {
    g_autoptr (Reply) created = request (server, "POST", "/v1/invitations", bearers[i],
                                         "{\"room\":\"call\"}");
    g_autoptr (Reply) deleted = request (server, "DELETE", path, bearers[i], NULL);

    assert_error (created, 401, "unauthorized", NULL);
    assert_error (deleted, 401, "unauthorized", NULL);
  }

  /* Nothing was created or revoked: the invitation still works. */
  {
    g_autoptr (Reply) reply = redeem (server, code, NULL);

    g_assert_cmpuint (reply->status, ==, 200);
  }
  g_assert_cmpuint (test_server_metric (server, "mediastore_invitations_created_total"), ==, 1);

  stop (server);
}

static void
test_bad_requests (void)
{
  g_autoptr (TestServer) server = ready (test_server_start ("--max-invitations=3", "--redeem-burst=1000", NULL));
  const char *bad_bodies[] = {
    "",
    "{",
    "[1]",
    "\"call\"",
    "{}",
    "{\"room\":\"\"}",
    "{\"room\":\"a room\"}",
    "{\"room\":7}",
    "{\"room\":\"call\",\"ttl\":0}",
    "{\"room\":\"call\",\"ttl\":\"60\"}",
    "{\"room\":\"call\",\"ttl\":99999999999}",
    "{\"room\":\"call\",\"grants\":[]}",
    "{\"room\":\"call\",\"grants\":{\"send_tracks\":\"camera\"}}",
    "{\"room\":\"call\",\"grants\":{\"send_tracks\":[\"a b\"]}}",
    /* Whoever redeems an invitation is a guest, never the host. */
    "{\"room\":\"call\",\"grants\":{\"host\":true}}",
    "{\"room\":\"call\",\"grants\":{\"host\":\"yes\"}}",
    "{\"room\":\"call\",\"grants\":{\"can_hide\":{}}}",
    "{\"room\":\"call\",\"code\":\"abc\"}",
    "{\"room\":\"call\",\"code\":\"abc-defg-hi1\"}",
    "{\"room\":\"call\",\"code\":12}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
  };
  const char *bad_redeems[] = {
    "{",
    "[]",
    "{\"name\":\"\"}",
    "{\"name\":5}",
    "{\"name\":\"Ann\\u0007\"}",
    "{\"name\":\"\\ud800\"}",
  };
  g_autoptr (Reply) reply = NULL;
  g_autofree char *long_name = NULL;
  g_autofree char *code = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad_bodies); i++) {
    g_clear_pointer (&reply, reply_free);
    reply = request (server, "POST", "/v1/invitations", MS_DEV_SECRET, bad_bodies[i]);
    g_test_message ("body %s", bad_bodies[i]);
    assert_error (reply, 400, "bad-request", NULL);
  }

  /* A known code can be given (with or without dashes), once. */
  g_clear_pointer (&reply, reply_free);
  reply = request (server, "POST", "/v1/invitations", MS_DEV_SECRET,
                   "{\"room\":\"call\",\"code\":\"ABCDEFGHIJ\"}");
  g_assert_cmpuint (reply->status, ==, 201);
  g_assert_cmpstr (json_object_get_string_member (reply->object, "code"), ==, "abc-defg-hij");
  g_clear_pointer (&reply, reply_free);
  reply = request (server, "POST", "/v1/invitations", MS_DEV_SECRET,
                   "{\"room\":\"other\",\"code\":\"abc-defg-hij\"}");
  assert_error (reply, 409, "invitation-exists", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad_redeems); i++) {
    g_clear_pointer (&reply, reply_free);
    reply = redeem (server, "abc-defg-hij", bad_redeems[i]);
    g_test_message ("body %s", bad_redeems[i]);
    assert_error (reply, 400, "bad-request", NULL);
  }

  long_name = g_strdup_printf ("{\"name\":\"%0129d\"}", 0);
  g_clear_pointer (&reply, reply_free);
  reply = redeem (server, "abc-defg-hij", long_name);
  assert_error (reply, 400, "bad-request", NULL);

  /* Wrong methods and paths. */
  g_clear_pointer (&reply, reply_free);
  reply = request (server, "GET", "/v1/invitations", MS_DEV_SECRET, NULL);
  g_assert_cmpuint (reply->status, ==, 405);
  g_clear_pointer (&reply, reply_free);
  reply = request (server, "GET", "/v1/invitations/abc-defg-hij/redeem", NULL, NULL);
  g_assert_cmpuint (reply->status, ==, 405);
  g_clear_pointer (&reply, reply_free);
  reply = request (server, "POST", "/v1/invitations/abc-defg-hij/other", NULL, "{}");
  g_assert_cmpuint (reply->status, ==, 404);
  g_clear_pointer (&reply, reply_free);
  reply = request (server, "POST", "/v1/invitationsx", NULL, "{}");
  g_assert_cmpuint (reply->status, ==, 404);

  /* Still served after all that, and the limit on invitations holds. */
  g_free (create (server, "{\"room\":\"call\"}"));
  g_free (create (server, "{\"room\":\"call\"}"));
  g_clear_pointer (&reply, reply_free);
  reply = request (server, "POST", "/v1/invitations", MS_DEV_SECRET, "{\"room\":\"call\"}");
  assert_error (reply, 503, "too-many-invitations", NULL);
  g_assert_cmpuint (test_server_metric (server, "mediastore_invitations"), ==, 3);

  code = g_strdup ("abc-defg-hij");
  g_clear_pointer (&reply, reply_free);
  reply = redeem (server, code, "{\"name\":\"Ann\"}");
  g_assert_cmpuint (reply->status, ==, 200);

  stop (server);
}

static void
test_rate_limit (void)
{
  /* Ten attempts at once; a failure counts for five, a success for one;
   * one attempt a minute comes back. */
  g_autoptr (TestServer) server = ready (test_server_start ("--redeem-burst=10", "--redeem-per-minute=1",
                                                     "--redeem-failure-cost=5", NULL));
  g_autofree char *code = create (server, "{\"room\":\"call\"}");
  g_autoptr (Reply) reply = NULL;
  guint64 retry_after;

  /* A guesser at 127.0.0.1 gets two wrong guesses, then 429, even for
   * the right code. */
  for (guint i = 0; i < 2; i++) {
    g_clear_pointer (&reply, reply_free);
    reply = request_from (server, "127.0.0.1", "POST",
                          i == 0 ? "/v1/invitations/aaa-aaaa-aaa/redeem"
                                 : "/v1/invitations/bbb-bbbb-bbb/redeem", NULL, NULL);
    g_assert_cmpuint (reply->status, ==, 404);
  }
  for (guint i = 0; i < 2; i++) {
    g_autofree char *path = redeem_path (i == 0 ? "ccc-cccc-ccc" : code);

    g_clear_pointer (&reply, reply_free);
    reply = request_from (server, "127.0.0.1", "POST", path, NULL, NULL);
    assert_error (reply, 429, "rate-limited", NULL);
    g_assert_nonnull (reply->retry_after);
    retry_after = g_ascii_strtoull (reply->retry_after, NULL, 10);
    g_assert_cmpuint (retry_after, >=, 1);
    g_assert_cmpuint (retry_after, <=, 61);
  }

  /* Another address is not affected, and legitimate redemptions cost
   * less: five guests behind 127.0.0.2 get in. */
  for (guint i = 0; i < 5; i++) {
    g_autofree char *path = redeem_path (code);

    g_clear_pointer (&reply, reply_free);
    reply = request_from (server, "127.0.0.2", "POST", path, NULL, "{\"name\":\"Ann\"}");
    g_assert_cmpuint (reply->status, ==, 200);
  }

  g_assert_cmpuint (test_server_metric (server, "mediastore_invitations_refused_total"
                                                "{reason=\"rate-limited\"}"), ==, 2);
  g_assert_cmpuint (test_server_metric (server, "mediastore_invitations_refused_total"
                                                "{reason=\"unknown\"}"), ==, 2);
  g_assert_cmpuint (test_server_metric (server, "mediastore_invitations_redeemed_total"), ==, 5);

  stop (server);
}

/* Alone, invitations live in memory: after a restart the host creates
 * its invitation again under the code it shared, and the link works
 * again. In a cluster they live in Redis and outlive the node. */
static void
test_recreate (void)
{
  g_autoptr (TestServer) server = ready (test_server_start (NULL));
  g_autoptr (TestServer) restarted = NULL;
  g_autofree char *code = create (server, "{\"room\":\"call\"}");
  g_autofree char *body = g_strdup_printf ("{\"room\":\"call\",\"ttl\":600,\"code\":\"%s\"}",
                                           code);
  g_autofree char *again = NULL;
  g_autoptr (Reply) reply = NULL;

  stop (server);
  restarted = ready (test_server_start (NULL));

  reply = redeem (restarted, code, NULL);
  if (clustered) {
    g_assert_cmpuint (reply->status, ==, 200);
    g_clear_pointer (&reply, reply_free);
    reply = request (restarted, "POST", "/v1/invitations", MS_DEV_SECRET, body);
    assert_error (reply, 409, "invitation-exists", NULL);
    stop (restarted);
    return;
  }
  assert_error (reply, 404, "invitation-unknown", "This invitation does not exist.");

  again = create (restarted, body);
  g_assert_cmpstr (again, ==, code);
  g_clear_pointer (&reply, reply_free);
  reply = redeem (restarted, code, "{\"name\":\"Ann\"}");
  g_assert_cmpuint (reply->status, ==, 200);

  stop (restarted);
}

static const struct {
  const char *name;
  void      (*func) (void);
} cases[] = {
  { "redeem-many", test_redeem_many },
  { "short-invitation", test_short_invitation },
  { "refused", test_refused },
  { "auth", test_auth },
  { "bad-requests", test_bad_requests },
  { "rate-limit", test_rate_limit },
  { "recreate", test_recreate },
};

static void
run_alone (gconstpointer data)
{
  const guint *index = data;

  cases[*index].func ();
}

static void
run_clustered (gconstpointer data)
{
  const guint *index = data;
  g_autoptr (TestRedis) redis = test_redis_start ("invitations-secret", FALSE);

  g_setenv ("MEDIASTORE_REDIS_URL", test_redis_get_url (redis), TRUE);
  clustered = TRUE;
  cases[*index].func ();
  clustered = FALSE;
  g_unsetenv ("MEDIASTORE_REDIS_URL");
}

int
main (int   argc,
      char *argv[])
{
  static guint indexes[G_N_ELEMENTS (cases)];

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *alone = g_strdup_printf ("/invitations/alone/%s", cases[i].name);
    g_autofree char *cluster = g_strdup_printf ("/invitations/cluster/%s", cases[i].name);

    indexes[i] = i;
    g_test_add_data_func (alone, &indexes[i], run_alone);
    g_test_add_data_func (cluster, &indexes[i], run_clustered);
  }

  return g_test_run ();
}
