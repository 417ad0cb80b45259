/* ms-invitations.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Invitations kept by the server: a host creates one with the API secret
 * (POST /v1/invitations), shares its code, and every guest who redeems it
 * (POST /v1/invitations/CODE/redeem, no secret) gets a token of their own,
 * with a fresh identity. The host can withdraw it (DELETE
 * /v1/invitations/CODE). A server alone keeps them in memory, on the
 * main context (a host that knows its codes can create them again after
 * a restart by giving "code"); the nodes of a cluster keep them in their
 * Redis, so that any node answers for any invitation.
 *
 * Codes are 10 random lowercase letters (26^10, about 2^47), and each
 * client address has a token bucket for redemptions in which a failed
 * attempt costs more than a successful one, so guessing is slow.
 */

#define G_LOG_DOMAIN "MsInvitations"

#include "config.h"

#include <sys/random.h>

#include "ms-redis.h"
#include "ms-server-private.h"

#define CODE_LETTERS       10
/* Guests' tokens last at most this long, however long the invitation. */
#define GUEST_TOKEN_TTL    (12 * 3600)
#define DEFAULT_TTL        (12 * 3600)
/* An expired invitation still answers "expired" (rather than "unknown")
 * for this long, then it is forgotten. */
#define EXPIRED_RETENTION  3600
#define PRUNE_INTERVAL     60
/* Beyond this many addresses, buckets are pruned as soon as they are full. */
#define MAX_IDLE_BUCKETS   4096
#define DEFAULT_GUEST_NAME "Guest"

typedef struct {
  char     *code;        /* 10 letters, no dashes */
  char     *room;
  MsGrants  grants;
  gint64    expires;     /* seconds since the epoch */
  gboolean  revoked;
} MsInvitation;

typedef struct {
  double level;          /* redemptions left */
  gint64 updated;        /* monotonic µs */
} MsRateBucket;

static void
invitation_free (MsInvitation *invitation)
{
  g_free (invitation->code);
  g_free (invitation->room);
  ms_grants_clear (&invitation->grants);
  g_free (invitation);
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* "abc-defg-hij" for "abcdefghij". */
static char *
code_display (const char *code)
{
  return g_strdup_printf ("%.3s-%.4s-%.3s", code, code + 3, code + 7);
}

/* For logs: enough to tell invitations apart, not enough to use one. */
static char *
code_hint (const char *code)
{
  return g_strdup_printf ("%.3s-…", code);
}

/* The code without dashes, lowercased; NULL unless it is 10 letters. */
static char *
code_normalize (const char *text)
{
  g_autoptr (GString) code = g_string_new (NULL);

  if (text == NULL)
    return NULL;

  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '-')
      continue;
    if (!g_ascii_isalpha (*p) || code->len >= CODE_LETTERS)
      return NULL;
    g_string_append_c (code, g_ascii_tolower (*p));
  }

  if (code->len != CODE_LETTERS)
    return NULL;

  return g_string_free (g_steal_pointer (&code), FALSE);
}

static void
random_bytes (guint8 *bytes,
              gsize   length)
{
  gsize done = 0;

  while (done < length) {
    gssize n = getrandom (bytes + done, length - done, 0);

    if (n <= 0)
      g_error ("getrandom() failed: no secure randomness for invitations");
    done += n;
  }
}

static char *
code_generate (void)
{
  char code[CODE_LETTERS + 1];
  guint n = 0;

  /* Rejection sampling: 234 = 9 × 26, so every letter is equally likely. */
  while (n < CODE_LETTERS) {
    guint8 bytes[16];

    random_bytes (bytes, sizeof bytes);
    for (guint i = 0; i < sizeof bytes && n < CODE_LETTERS; i++) {
      if (bytes[i] < 234)
        code[n++] = 'a' + bytes[i] % 26;
    }
  }
  code[CODE_LETTERS] = '\0';

  return g_strdup (code);
}

static char *
guest_identity (void)
{
  guint8 bytes[8];
  GString *identity = g_string_new ("guest-");

  random_bytes (bytes, sizeof bytes);
  for (guint i = 0; i < sizeof bytes; i++)
    g_string_append_printf (identity, "%02x", bytes[i]);

  return g_string_free (identity, FALSE);
}

/* Forgets invitations that expired more than EXPIRED_RETENTION ago (all
 * expired ones with @all_expired), and buckets that filled up again. */
static void
prune (MsServer *self,
       gboolean  all_expired)
{
  GHashTableIter iter;
  gpointer value;
  gint64 now = now_seconds ();
  gint64 monotonic = g_get_monotonic_time ();

  g_hash_table_iter_init (&iter, self->invitations);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    MsInvitation *invitation = value;

    if (invitation->expires + (all_expired ? 0 : EXPIRED_RETENTION) <= now)
      g_hash_table_iter_remove (&iter);
  }

  g_hash_table_iter_init (&iter, self->redeem_buckets);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    MsRateBucket *bucket = value;
    double refill = (monotonic - bucket->updated) / (60.0 * G_USEC_PER_SEC) *
                    self->config->redeem_per_minute;

    if (bucket->level + refill >= self->config->redeem_burst)
      g_hash_table_iter_remove (&iter);
  }
}

static void read_redis_count (MsServer *self);

static gboolean
on_prune (gpointer user_data)
{
  MsServer *self = user_data;

  prune (self, FALSE);
  if (self->cluster != NULL)
    read_redis_count (self);
  return G_SOURCE_CONTINUE;
}

static void
respond_json (SoupServerMessage *msg,
              guint              status,
              JsonBuilder       *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  gsize length;
  char *body = json_to_string (root, FALSE);

  length = strlen (body);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, length);
}

static void
respond_error (SoupServerMessage *msg,
               guint              status,
               const char        *error,
               const char        *message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, error);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  respond_json (msg, status, builder);
}

static gboolean
check_auth (MsServer          *self,
            SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");

  if (self->config->api_secret != NULL && auth != NULL && g_str_has_prefix (auth, "Bearer ") &&
      ms_server_secret_equal (auth + strlen ("Bearer "), self->config->api_secret))
    return TRUE;

  self->metrics.errors_total[MS_PROTOCOL_ERROR_UNAUTHORIZED]++;
  ms_server_log (G_LOG_LEVEL_WARNING, NULL, NULL, "invitation request refused: wrong api secret");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "WWW-Authenticate", "Bearer");
  respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                 "A valid API secret is required (Authorization: Bearer <secret>)");
  return FALSE;
}

static gboolean
check_method (SoupServerMessage *msg,
              const char        *method)
{
  if (g_str_equal (soup_server_message_get_method (msg), method))
    return TRUE;

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", method);
  respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "bad-request", "Method not allowed here");
  return FALSE;
}

/* The request body as a JSON object, or NULL after answering 400/413. */
static JsonObject *
read_body (MsServer          *self,
           SoupServerMessage *msg,
           gboolean           allow_empty)
{
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr (GError) error = NULL;
  JsonObject *object;

  if (g_bytes_get_size (body) > MS_SERVER_MAX_REQUEST) {
    respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "bad-request",
                   "The request is too large");
    return NULL;
  }

  object = ms_server_parse_body (body, allow_empty, &error);
  if (object == NULL) {
    self->metrics.errors_total[MS_PROTOCOL_ERROR_BAD_REQUEST]++;
    respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad-request", error->message);
  }

  return object;
}

/* Where invitations are kept: in this process, or in cluster mode in the
 * cluster's Redis, so that each node can redeem what another created.
 * There, mediastore:invitation:CODE is a hash (room, grants as JSON,
 * expires, and revoked once revoked) that Redis forgets
 * EXPIRED_RETENTION after it expires; mediastore:invitations is a sorted
 * set of the codes by when they are forgotten, for max-invitations.
 * Requests wait for Redis paused, on the main context. */

#define REDIS_KEY_PREFIX "mediastore:invitation:"
#define REDIS_INDEX_KEY  "mediastore:invitations"
/* A random code taken already: pick another this many times. */
#define MAX_CODE_ATTEMPTS 4

typedef enum {
  STORE_DONE,
  STORE_EXISTS,       /* the code is taken */
  STORE_FULL,         /* max-invitations */
  STORE_UNKNOWN,      /* no such code */
  STORE_UNAVAILABLE,  /* Redis cannot be reached */
} StoreResult;

/* KEYS[1] the invitation, KEYS[2] the index; ARGV[1] the code, [2] the
 * room, [3] the grants, [4] expires, [5] when to forget it, [6] now (all
 * seconds since the epoch), [7] max-invitations, [8] the key prefix.
 * Returns how many invitations there are with it, 0 if the code is
 * taken, -1 if there are as many as allowed. */
static const char create_script[] =
  "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
  "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[6])\n"
  "if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[7]) then\n"
  "  local expired = ARGV[6] + (ARGV[5] - ARGV[4])\n"
  "  for _, code in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', expired)) do\n"
  "    redis.call('DEL', ARGV[8] .. code)\n"
  "  end\n"
  "  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', expired)\n"
  "  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[7]) then return -1 end\n"
  "end\n"
  "redis.call('HSET', KEYS[1], 'room', ARGV[2], 'grants', ARGV[3], 'expires', ARGV[4])\n"
  "redis.call('EXPIREAT', KEYS[1], ARGV[5])\n"
  "redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])\n"
  "return redis.call('ZCARD', KEYS[2])\n";

/* KEYS[1] the invitation. Returns nil for an unknown one, else {1 if it
 * was not revoked yet, its room}. */
static const char revoke_script[] =
  "if redis.call('EXISTS', KEYS[1]) == 0 then return false end\n"
  "return {redis.call('HSETNX', KEYS[1], 'revoked', '1'), redis.call('HGET', KEYS[1], 'room')}\n";

/* An HTTP request waiting for Redis. */
typedef struct {
  MsServer          *server;
  SoupServerMessage *msg;          /* paused until answered */
  MsInvitation      *invitation;   /* create: the one to store */
  gboolean           chosen_code;  /* create: the host gave the code */
  guint              attempts;
  char              *code;         /* revoke, redeem */
  char              *bucket;       /* redeem: whose bucket pays for it */
  char              *name;         /* redeem: the guest's name */
} Waiting;

static Waiting *
waiting_new (MsServer          *self,
             SoupServerMessage *msg)
{
  Waiting *waiting = g_new0 (Waiting, 1);

  waiting->server = self;
  waiting->msg = g_object_ref (msg);
  soup_server_message_pause (msg);
  return waiting;
}

/* Sends the answer set meanwhile. */
static void
waiting_free (Waiting *waiting)
{
  soup_server_message_unpause (waiting->msg);
  g_object_unref (waiting->msg);
  g_clear_pointer (&waiting->invitation, invitation_free);
  g_free (waiting->code);
  g_free (waiting->bucket);
  g_free (waiting->name);
  g_free (waiting);
}

static void
respond_unavailable (MsServer          *self,
                     SoupServerMessage *msg,
                     const char        *what,
                     const GError      *error)
{
  self->metrics.errors_total[MS_PROTOCOL_ERROR_UNAVAILABLE]++;
  ms_server_log (G_LOG_LEVEL_WARNING, NULL, NULL, "invitation %s failed: %s", what,
                 error != NULL ? error->message : "unexpected reply from Redis");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Retry-After", "2");
  respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                 "Invitations cannot be reached right now (the cluster's Redis is down); "
                 "try again shortly.");
}

static void
on_redis_count (MsRedis      *redis,
                redisReply   *reply,
                const GError *error,
                gpointer      user_data)
{
  MsServer *self = user_data;

  if (error == NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer >= 0)
    self->invitations_in_redis = (guint) MIN (reply->integer, G_MAXUINT);
}

/* The gauge, in cluster mode: those not forgotten yet. */
static void
read_redis_count (MsServer *self)
{
  g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, now_seconds ());
  const char *argv[] = { "ZCOUNT", REDIS_INDEX_KEY, now, "+inf" };

  ms_redis_commandv (ms_cluster_get_redis (self->cluster), G_N_ELEMENTS (argv), argv, NULL,
                     on_redis_count, self);
}

/* Creation */

static void
create_done (MsServer           *self,
             SoupServerMessage  *msg,
             const MsInvitation *invitation,
             StoreResult         result,
             const GError       *error)
{
  g_autoptr (JsonBuilder) builder = NULL;
  g_autofree char *display = NULL;
  g_autofree char *hint = NULL;

  switch (result) {
  case STORE_EXISTS:
    respond_error (msg, SOUP_STATUS_CONFLICT, "invitation-exists",
                   "An invitation with this code exists already.");
    return;
  case STORE_FULL:
    ms_server_log (G_LOG_LEVEL_WARNING, invitation->room, NULL,
                   "invitation refused: the server holds %u (max-invitations)",
                   self->config->max_invitations);
    respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "too-many-invitations",
                   "The server holds as many invitations as it may.");
    return;
  case STORE_UNAVAILABLE:
    respond_unavailable (self, msg, "creation", error);
    return;
  case STORE_UNKNOWN:
    g_assert_not_reached ();
  case STORE_DONE:
    break;
  }

  self->metrics.invitations_created_total++;
  hint = code_hint (invitation->code);
  ms_server_log (G_LOG_LEVEL_INFO, invitation->room, NULL,
                 "invitation %s created, expires in %" G_GINT64_FORMAT " s", hint,
                 invitation->expires - now_seconds ());

  display = code_display (invitation->code);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, display);
  json_builder_set_member_name (builder, "room");
  json_builder_add_string_value (builder, invitation->room);
  json_builder_set_member_name (builder, "expires");
  json_builder_add_int_value (builder, invitation->expires);
  json_builder_end_object (builder);
  respond_json (msg, SOUP_STATUS_CREATED, builder);
}

/* Takes @invitation, whose code is NULL unless the host chose it. */
static void
create_here (MsServer          *self,
             SoupServerMessage *msg,
             MsInvitation      *invitation)
{
  if (invitation->code != NULL && g_hash_table_contains (self->invitations, invitation->code)) {
    create_done (self, msg, invitation, STORE_EXISTS, NULL);
    invitation_free (invitation);
    return;
  }

  if (g_hash_table_size (self->invitations) >= self->config->max_invitations)
    prune (self, TRUE);
  if (g_hash_table_size (self->invitations) >= self->config->max_invitations) {
    create_done (self, msg, invitation, STORE_FULL, NULL);
    invitation_free (invitation);
    return;
  }

  /* A collision of random codes is all but impossible; pick again anyway. */
  while (invitation->code == NULL) {
    invitation->code = code_generate ();
    if (g_hash_table_contains (self->invitations, invitation->code))
      g_clear_pointer (&invitation->code, g_free);
  }

  g_hash_table_insert (self->invitations, invitation->code, invitation);
  create_done (self, msg, invitation, STORE_DONE, NULL);
}

static void create_in_redis (Waiting *waiting);

static void
on_created (MsRedis      *redis,
            redisReply   *reply,
            const GError *error,
            gpointer      user_data)
{
  Waiting *waiting = user_data;
  MsServer *self = waiting->server;
  StoreResult result = STORE_UNAVAILABLE;

  if (error == NULL && reply->type == REDIS_REPLY_INTEGER) {
    if (reply->integer > 0) {
      self->invitations_in_redis = (guint) MIN (reply->integer, G_MAXUINT);
      result = STORE_DONE;
    } else if (reply->integer == 0 && !waiting->chosen_code &&
               ++waiting->attempts < MAX_CODE_ATTEMPTS) {
      g_clear_pointer (&waiting->invitation->code, g_free);
      create_in_redis (waiting);
      return;
    } else {
      result = reply->integer == 0 ? STORE_EXISTS : STORE_FULL;
    }
  }

  create_done (self, waiting->msg, waiting->invitation, result, error);
  waiting_free (waiting);
}

static void
create_in_redis (Waiting *waiting)
{
  MsServer *self = waiting->server;
  MsInvitation *invitation = waiting->invitation;
  g_autoptr (JsonNode) grants = json_node_init_object (json_node_alloc (),
                                                       ms_grants_to_json (&invitation->grants));
  g_autofree char *grants_json = NULL;
  g_autofree char *key = NULL;
  g_autofree char *expires = g_strdup_printf ("%" G_GINT64_FORMAT, invitation->expires);
  g_autofree char *forget = g_strdup_printf ("%" G_GINT64_FORMAT,
                                             invitation->expires + EXPIRED_RETENTION);
  g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, now_seconds ());
  g_autofree char *max = g_strdup_printf ("%u", self->config->max_invitations);

  /* json_node_init_object() took a reference of its own. */
  json_object_unref (json_node_get_object (grants));
  grants_json = json_to_string (grants, FALSE);
  if (invitation->code == NULL)
    invitation->code = code_generate ();
  key = g_strconcat (REDIS_KEY_PREFIX, invitation->code, NULL);
  {
    const char *argv[] = {
      "EVAL", create_script, "2", key, REDIS_INDEX_KEY, invitation->code, invitation->room,
      grants_json, expires, forget, now, max, REDIS_KEY_PREFIX,
    };

    ms_redis_commandv (ms_cluster_get_redis (self->cluster), G_N_ELEMENTS (argv), argv, NULL,
                       on_created, waiting);
  }
}

static void
handle_create (MsServer          *self,
               SoupServerMessage *msg)
{
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GError) error = NULL;
  MsInvitation *invitation;
  JsonNode *node;
  const char *room = NULL;
  gint64 ttl = DEFAULT_TTL;

  if (!check_method (msg, SOUP_METHOD_POST) || !check_auth (self, msg))
    return;

  object = read_body (self, msg, FALSE);
  if (object == NULL)
    return;

  invitation = g_new0 (MsInvitation, 1);

  node = json_object_get_member (object, "room");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    room = json_node_get_string (node);
  if (!ms_validate_identifier (room, self->config->limits.max_id_length)) {
    g_set_error (&error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "'room' is required: an identifier of 1-%" G_GSIZE_FORMAT
                 " characters from A-Z a-z 0-9 . _ : @ -", self->config->limits.max_id_length);
    goto bad_request;
  }
  invitation->room = g_strdup (room);

  node = json_object_get_member (object, "ttl");
  if (node != NULL) {
    if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
        json_node_get_int (node) <= 0 || json_node_get_int (node) > MS_SERVER_MAX_TTL) {
      g_set_error (&error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                   "'ttl' must be a number of seconds from 1 to %d", MS_SERVER_MAX_TTL);
      goto bad_request;
    }
    ttl = json_node_get_int (node);
  }

  if (!ms_server_read_grants (json_object_get_member (object, "grants"),
                              self->config->limits.max_id_length, &invitation->grants, &error))
    goto bad_request;
  /* Whoever redeems an invitation is a guest: only a token minted for
   * the host itself (POST /v1/token) carries the host grant. */
  if (invitation->grants.host) {
    g_set_error (&error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "'grants.host' is not allowed in invitations: whoever redeems one is a guest");
    goto bad_request;
  }

  node = json_object_get_member (object, "code");
  if (node != NULL) {
    if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
      invitation->code = code_normalize (json_node_get_string (node));
    if (invitation->code == NULL) {
      g_set_error (&error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                   "'code' must be 10 letters, such as abc-defg-hij");
      goto bad_request;
    }
  }
  invitation->expires = now_seconds () + ttl;

  if (self->cluster == NULL) {
    create_here (self, msg, invitation);
  } else {
    Waiting *waiting = waiting_new (self, msg);

    waiting->invitation = invitation;
    waiting->chosen_code = invitation->code != NULL;
    create_in_redis (waiting);
  }
  return;

bad_request:
  invitation_free (invitation);
  self->metrics.errors_total[MS_PROTOCOL_ERROR_BAD_REQUEST]++;
  respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad-request", error->message);
}

/* Revocation */

static void
revoke_done (MsServer          *self,
             SoupServerMessage *msg,
             const char        *code,
             StoreResult        result,
             const char        *room,
             gboolean           newly)
{
  g_autofree char *hint = NULL;

  if (result == STORE_UNKNOWN) {
    respond_error (msg, SOUP_STATUS_NOT_FOUND, "invitation-unknown",
                   "This invitation does not exist.");
    return;
  }

  if (newly) {
    self->metrics.invitations_revoked_total++;
    hint = code_hint (code);
    ms_server_log (G_LOG_LEVEL_INFO, room, NULL, "invitation %s revoked", hint);
  }
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
on_revoked (MsRedis      *redis,
            redisReply   *reply,
            const GError *error,
            gpointer      user_data)
{
  Waiting *waiting = user_data;

  if (error != NULL)
    respond_unavailable (waiting->server, waiting->msg, "revocation", error);
  else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
           reply->element[0]->type == REDIS_REPLY_INTEGER &&
           reply->element[1]->type == REDIS_REPLY_STRING)
    revoke_done (waiting->server, waiting->msg, waiting->code, STORE_DONE,
                 reply->element[1]->str, reply->element[0]->integer == 1);
  else
    revoke_done (waiting->server, waiting->msg, waiting->code, STORE_UNKNOWN, NULL, FALSE);
  waiting_free (waiting);
}

static void
handle_revoke (MsServer          *self,
               SoupServerMessage *msg,
               const char        *code_text)
{
  g_autofree char *code = NULL;
  MsInvitation *invitation;

  if (!check_method (msg, SOUP_METHOD_DELETE) || !check_auth (self, msg))
    return;

  code = code_normalize (code_text);
  if (code == NULL) {
    revoke_done (self, msg, NULL, STORE_UNKNOWN, NULL, FALSE);
  } else if (self->cluster != NULL) {
    Waiting *waiting = waiting_new (self, msg);
    g_autofree char *key = g_strconcat (REDIS_KEY_PREFIX, code, NULL);
    const char *argv[] = { "EVAL", revoke_script, "1", key };

    waiting->code = g_steal_pointer (&code);
    ms_redis_commandv (ms_cluster_get_redis (self->cluster), G_N_ELEMENTS (argv), argv, NULL,
                       on_revoked, waiting);
  } else if ((invitation = g_hash_table_lookup (self->invitations, code)) == NULL) {
    revoke_done (self, msg, code, STORE_UNKNOWN, NULL, FALSE);
  } else {
    gboolean newly = !invitation->revoked;

    invitation->revoked = TRUE;
    revoke_done (self, msg, code, STORE_DONE, invitation->room, newly);
  }
}

/* Whom a bucket counts: the client's IPv4 address, or the /64 network of
 * an IPv6 one, since a single host usually holds a whole /64. */
static char *
bucket_key (const char *remote)
{
  g_autoptr (GInetAddress) address = remote != NULL ? g_inet_address_new_from_string (remote)
                                                    : NULL;
  g_autoptr (GInetAddress) network = NULL;
  guint8 bytes[16];

  if (address == NULL)
    return g_strdup (remote != NULL ? remote : "?");

  if (g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
    return g_inet_address_to_string (address);

  memcpy (bytes, g_inet_address_to_bytes (address), sizeof bytes);
  /* ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket. */
  if (!(bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 0 &&
        bytes[4] == 0 && bytes[5] == 0 && bytes[6] == 0 && bytes[7] == 0 &&
        bytes[8] == 0 && bytes[9] == 0 && bytes[10] == 0xff && bytes[11] == 0xff))
    memset (bytes + 8, 0, 8);
  network = g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV6);

  return g_inet_address_to_string (network);
}

/* @key's bucket, made full if it has none, filled up to now. */
static MsRateBucket *
bucket_get (MsServer   *self,
            const char *key)
{
  MsRateBucket *bucket = g_hash_table_lookup (self->redeem_buckets, key);
  double rate = self->config->redeem_per_minute / (60.0 * G_USEC_PER_SEC);   /* per µs */
  gint64 now = g_get_monotonic_time ();

  if (bucket == NULL) {
    if (g_hash_table_size (self->redeem_buckets) >= MAX_IDLE_BUCKETS)
      prune (self, FALSE);

    bucket = g_new0 (MsRateBucket, 1);
    bucket->level = self->config->redeem_burst;
    bucket->updated = now;
    g_hash_table_insert (self->redeem_buckets, g_strdup (key), bucket);
  }

  bucket->level = MIN ((double) self->config->redeem_burst,
                       bucket->level + (now - bucket->updated) * rate);
  bucket->updated = now;
  return bucket;
}

/* Whether @key may try now; if not, the seconds until it may in
 * @retry_after. */
static gboolean
bucket_allows (MsServer   *self,
               const char *key,
               guint      *retry_after)
{
  MsRateBucket *bucket = bucket_get (self, key);
  double rate = self->config->redeem_per_minute / (60.0 * G_USEC_PER_SEC);

  if (bucket->level >= 1.0)
    return TRUE;

  *retry_after = (guint) ((1.0 - bucket->level) / rate / G_USEC_PER_SEC) + 1;
  return FALSE;
}

/* By key, since a redemption waiting for Redis may outlive a pruning. */
static void
bucket_charge (MsServer   *self,
               const char *key,
               guint       cost)
{
  MsRateBucket *bucket = bucket_get (self, key);

  bucket->level = MAX (0.0, bucket->level - cost);
}

static void
refuse (MsServer          *self,
        SoupServerMessage *msg,
        const char        *bucket,
        MsRefusal          reason,
        guint              status,
        const char        *error,
        const char        *message)
{
  bucket_charge (self, bucket, self->config->redeem_failure_cost);
  self->metrics.invitations_refused_total[reason]++;
  respond_error (msg, status, error, message);
}

/* Answers a redemption of @code, found as @invitation (NULL: unknown). */
static void
redeem_done (MsServer           *self,
             SoupServerMessage  *msg,
             const char         *bucket,
             const char         *code,
             const char         *name,
             const MsInvitation *invitation)
{
  const char *remote = soup_server_message_get_remote_host (msg);
  g_autoptr (MsTokenClaims) claims = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *hint = NULL;
  gint64 now = now_seconds ();

  if (invitation == NULL) {
    refuse (self, msg, bucket, MS_REFUSAL_UNKNOWN, SOUP_STATUS_NOT_FOUND,
            "invitation-unknown", "This invitation does not exist.");
    return;
  }

  if (invitation->expires <= now) {
    refuse (self, msg, bucket, MS_REFUSAL_EXPIRED, SOUP_STATUS_GONE,
            "invitation-expired", "This invitation has expired.");
    return;
  }

  if (invitation->revoked) {
    refuse (self, msg, bucket, MS_REFUSAL_REVOKED, SOUP_STATUS_GONE,
            "invitation-revoked", "This invitation was withdrawn by the host.");
    return;
  }

  claims = ms_token_claims_new ();
  claims->key_id = g_strdup (self->config->api_key);
  claims->identity = guest_identity ();
  claims->room = g_strdup (invitation->room);
  claims->name = g_strdup (name);
  claims->issued_at = now;
  claims->expires = MIN (invitation->expires, now + GUEST_TOKEN_TTL);
  ms_grants_copy_to (&invitation->grants, &claims->grants);

  token = ms_token_mint_full (claims, self->config->api_secret, &self->config->limits, &error);
  if (token == NULL) {
    self->metrics.errors_total[MS_PROTOCOL_ERROR_SERVER_ERROR]++;
    ms_server_log (G_LOG_LEVEL_WARNING, invitation->room, NULL,
                   "invitation redemption failed: %s", error->message);
    respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server-error", error->message);
    return;
  }

  bucket_charge (self, bucket, 1);
  self->metrics.invitations_redeemed_total++;
  hint = code_hint (code);
  ms_server_log (G_LOG_LEVEL_INFO, invitation->room, claims->identity,
                 "invitation %s redeemed by %s", hint, remote != NULL ? remote : "?");

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "room");
  json_builder_add_string_value (builder, claims->room);
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, claims->identity);
  json_builder_end_object (builder);
  respond_json (msg, SOUP_STATUS_OK, builder);
}

/* An invitation as HMGET room grants expires revoked answers it; NULL
 * for an unknown code, or with @error for what cannot be read. */
static MsInvitation *
invitation_from_redis (MsServer    *self,
                       redisReply  *reply,
                       GError     **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  MsInvitation *invitation;
  char *end = NULL;

  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4 ||
      reply->element[0]->type != REDIS_REPLY_STRING)
    return NULL;
  if (reply->element[1]->type != REDIS_REPLY_STRING ||
      reply->element[2]->type != REDIS_REPLY_STRING ||
      !json_parser_load_from_data (parser, reply->element[1]->str, reply->element[1]->len,
                                   error)) {
    g_prefix_error (error, "Its grants: ");
    if (error != NULL && *error == NULL)
      g_set_error_literal (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_SERVER_ERROR,
                           "Fields are missing");
    return NULL;
  }

  invitation = g_new0 (MsInvitation, 1);
  invitation->room = g_strdup (reply->element[0]->str);
  invitation->expires = g_ascii_strtoll (reply->element[2]->str, &end, 10);
  invitation->revoked = reply->element[3]->type == REDIS_REPLY_STRING;
  if (end == NULL || *end != '\0' ||
      !ms_server_read_grants (json_parser_get_root (parser), self->config->limits.max_id_length,
                              &invitation->grants, error)) {
    if (*error == NULL)
      g_set_error_literal (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_SERVER_ERROR,
                           "Its expiry is not a number");
    invitation_free (invitation);
    return NULL;
  }
  return invitation;
}

static void
on_redeem_found (MsRedis      *redis,
                 redisReply   *reply,
                 const GError *error,
                 gpointer      user_data)
{
  Waiting *waiting = user_data;
  MsServer *self = waiting->server;
  g_autoptr (GError) read_error = NULL;

  if (error != NULL) {
    respond_unavailable (self, waiting->msg, "redemption", error);
  } else {
    waiting->invitation = invitation_from_redis (self, reply, &read_error);
    if (read_error != NULL) {
      self->metrics.errors_total[MS_PROTOCOL_ERROR_SERVER_ERROR]++;
      ms_server_log (G_LOG_LEVEL_WARNING, NULL, NULL,
                     "invitation in Redis cannot be read: %s", read_error->message);
      respond_error (waiting->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server-error",
                     "This invitation cannot be read.");
    } else {
      redeem_done (self, waiting->msg, waiting->bucket, waiting->code, waiting->name,
                   waiting->invitation);
    }
  }
  waiting_free (waiting);
}

static void
handle_redeem (MsServer          *self,
               SoupServerMessage *msg,
               const char        *code_text)
{
  const char *remote = soup_server_message_get_remote_host (msg);
  g_autoptr (JsonObject) object = NULL;
  g_autofree char *code = NULL;
  g_autofree char *key = NULL;
  JsonNode *node;
  const char *name = DEFAULT_GUEST_NAME;
  guint retry_after = 0;

  if (!check_method (msg, SOUP_METHOD_POST))
    return;

  key = bucket_key (remote);
  if (!bucket_allows (self, key, &retry_after)) {
    g_autofree char *seconds = g_strdup_printf ("%u", retry_after);

    self->metrics.invitations_refused_total[MS_REFUSAL_RATE_LIMITED]++;
    self->metrics.errors_total[MS_PROTOCOL_ERROR_RATE_LIMITED]++;
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Retry-After", seconds);
    respond_error (msg, 429 /* Too Many Requests: not in libsoup 3.0 */, "rate-limited",
                   "Too many attempts from this address: try again later.");
    return;
  }

  object = read_body (self, msg, TRUE);
  if (object == NULL) {
    bucket_charge (self, key, self->config->redeem_failure_cost);
    self->metrics.invitations_refused_total[MS_REFUSAL_BAD_REQUEST]++;
    return;
  }

  node = json_object_get_member (object, "name");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node)) {
    name = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING ?
           json_node_get_string (node) : NULL;
    if (!ms_validate_display_name (name, self->config->limits.max_name_length)) {
      g_autofree char *message =
        g_strdup_printf ("'name' must be 1-%" G_GSIZE_FORMAT " bytes without control characters",
                         self->config->limits.max_name_length);

      self->metrics.errors_total[MS_PROTOCOL_ERROR_BAD_REQUEST]++;
      refuse (self, msg, key, MS_REFUSAL_BAD_REQUEST, SOUP_STATUS_BAD_REQUEST,
              "bad-request", message);
      return;
    }
  }

  code = code_normalize (code_text);
  if (code == NULL) {
    redeem_done (self, msg, key, NULL, name, NULL);
  } else if (self->cluster != NULL) {
    Waiting *waiting = waiting_new (self, msg);
    g_autofree char *redis_key = g_strconcat (REDIS_KEY_PREFIX, code, NULL);
    const char *argv[] = { "HMGET", redis_key, "room", "grants", "expires", "revoked" };

    waiting->code = g_steal_pointer (&code);
    waiting->bucket = g_steal_pointer (&key);
    waiting->name = g_strdup (name);
    ms_redis_commandv (ms_cluster_get_redis (self->cluster), G_N_ELEMENTS (argv), argv, NULL,
                       on_redeem_found, waiting);
  } else {
    redeem_done (self, msg, key, code, name, g_hash_table_lookup (self->invitations, code));
  }
}

/* /v1/invitations, /v1/invitations/CODE and /v1/invitations/CODE/redeem. */
static void
on_invitations (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  MsServer *self = user_data;
  const char *rest;
  g_auto (GStrv) parts = NULL;

  if (!g_str_has_prefix (path, "/v1/invitations"))
    goto not_found;

  rest = path + strlen ("/v1/invitations");
  if (*rest == '\0') {
    handle_create (self, msg);
    return;
  }

  if (*rest != '/')
    goto not_found;

  parts = g_strsplit (rest + 1, "/", -1);
  if (g_strv_length (parts) == 1 && *parts[0] != '\0') {
    handle_revoke (self, msg, parts[0]);
    return;
  }
  if (g_strv_length (parts) == 2 && *parts[0] != '\0' && g_str_equal (parts[1], "redeem")) {
    handle_redeem (self, msg, parts[0]);
    return;
  }

not_found:
  respond_error (msg, SOUP_STATUS_NOT_FOUND, "not-found", "No such resource");
}

void
ms_invitations_init (MsServer *self)
{
  self->invitations = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) invitation_free);
  self->redeem_buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

void
ms_invitations_dispose (MsServer *self)
{
  g_clear_handle_id (&self->prune_id, g_source_remove);
  g_clear_pointer (&self->invitations, g_hash_table_unref);
  g_clear_pointer (&self->redeem_buckets, g_hash_table_unref);
}

void
ms_invitations_register (MsServer *self)
{
  soup_server_add_handler (self->soup, "/v1/invitations", on_invitations, self, NULL);
  if (self->prune_id == 0)
    self->prune_id = g_timeout_add_seconds (PRUNE_INTERVAL, on_prune, self);
}

/* Those of the cluster in cluster mode, as last read. */
guint
ms_invitations_count (MsServer *self)
{
  if (self->cluster != NULL)
    return self->invitations_in_redis;
  return self->invitations != NULL ? g_hash_table_size (self->invitations) : 0;
}
