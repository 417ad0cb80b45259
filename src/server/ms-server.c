/* ms-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The HTTP side of the server: listening (plain or TLS), /healthz,
 * /metrics, /v1/token and accepting WebSockets on /v1/ws. What happens on
 * a WebSocket is in ms-signaling.c, invitations are in ms-invitations.c.
 */

#define G_LOG_DOMAIN "MsServer"

#include "config.h"

#include <sys/random.h>

#include "ms-media.h"
#include "ms-server-private.h"

#define SHUTDOWN_GRACE_MS   2000

enum {
  SIGNAL_STOPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsServer, ms_server, G_TYPE_OBJECT)

void
ms_server_log (GLogLevelFlags  level,
               const char     *room,
               const char     *peer,
               const char     *format,
               ...)
{
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  line = g_strdup_printf ("%s room=%s peer=%s", text, room ? room : "-", peer ? peer : "-");
  g_log_structured ("MsServer", level,
                    "MS_ROOM", room ? room : "",
                    "MS_PEER", peer ? peer : "",
                    "MESSAGE", "%s", line);
}

/* The process's threads, as /proc lists them (0 where there is none). */
static guint
count_threads (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
gauges_collect (MsServer *self,
                MsGauges *gauges)
{
  GHashTableIter iter;
  gpointer value;

  memset (gauges, 0, sizeof *gauges);
  gauges->connections = self->clients->len;
  gauges->rooms = g_hash_table_size (self->rooms);
  gauges->invitations = ms_invitations_count (self);
  gauges->threads = count_threads ();

  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    MsRoom *room = value;

    gauges->media_transports += ms_media_room_transports (room);
    for (guint i = 0; i < room->participants->len; i++) {
      MsParticipant *p = g_ptr_array_index (room->participants, i);

      gauges->peers++;
      gauges->tracks += p->tracks->len;
      if (p->client == NULL)
        gauges->peers_reconnecting++;
    }
  }
}

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *content_type,
         const char        *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, body, strlen (body));
}

static void
respond_error (SoupServerMessage *msg,
               guint              status,
               MsProtocolError    code,
               const char        *message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, ms_protocol_error_to_string (code));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);

  respond (msg, status, "application/json", body);
}

static void
on_healthz (SoupServer        *soup,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  respond (msg, SOUP_STATUS_OK, "text/plain", "ok\n");
}

static void
on_metrics (SoupServer        *soup,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  MsServer *self = user_data;
  g_autofree char *text = NULL;
  MsMediaTotals totals;
  MsGauges gauges;

  gauges_collect (self, &gauges);
  ms_media_get_totals (self, &totals);
  gauges.producers = totals.producers;
  gauges.consumers = totals.consumers;
  gauges.media_workers = totals.workers;
  self->metrics.forwarded_packets_total = totals.packets_forwarded;
  self->metrics.forwarded_bytes_total = totals.bytes_forwarded;
  self->metrics.retransmitted_packets_total = totals.retransmitted;
  self->metrics.nacks_sent_total = totals.nacks_sent;
  self->metrics.rtcp_received_total = totals.rtcp_received;
  self->metrics.keyframe_requests_total = totals.keyframe_requests;
  self->metrics.media_transports_failed_total = totals.transports_failed;
  memcpy (self->metrics.media_transports_created_total, totals.transports_created,
          sizeof self->metrics.media_transports_created_total);
  self->metrics.n_media_drops = MS_ENGINE_N_DROPS;
  for (guint i = 0; i < MS_ENGINE_N_DROPS; i++) {
    self->metrics.media_dropped_total[i] = totals.dropped[i];
    self->metrics.media_drop_names[i] = ms_engine_drop_name (i);
  }
  text = ms_metrics_render (&self->metrics, &gauges);
  if (self->cluster != NULL) {
    g_autoptr (GString) out = g_string_new (text);

    ms_cluster_write_metrics (self->cluster, out);
    g_free (text);
    text = g_string_free (g_steal_pointer (&out), FALSE);
  }
  respond (msg, SOUP_STATUS_OK, "text/plain; version=0.0.4", text);
}

/* Compares the secrets through an HMAC under a random key, so that the
 * time taken says nothing about how much of a guess was right. */
gboolean
ms_server_secret_equal (const char *given,
              const char *expected)
{
  guint8 key[32];
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  if (getrandom (key, sizeof key, 0) != sizeof key)
    return FALSE;

  a = g_compute_hmac_for_string (G_CHECKSUM_SHA256, key, sizeof key, given, -1);
  b = g_compute_hmac_for_string (G_CHECKSUM_SHA256, key, sizeof key, expected, -1);

  return g_str_equal (a, b);
}

static gboolean
read_string_array (JsonObject  *object,
                   const char  *name,
                   gsize        max_id_length,
                   GStrv       *out,
                   GError     **error)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) list = NULL;
  JsonNode *node = json_object_get_member (object, name);
  JsonArray *array;

  if (node == NULL) {
    *out = g_strv_builder_end (builder);
    return TRUE;
  }

  if (!JSON_NODE_HOLDS_ARRAY (node)) {
    g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "'%s' must be an array of strings", name);
    return FALSE;
  }

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++) {
    JsonNode *item = json_array_get_element (array, i);

    if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING) {
      g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                   "'%s' must be an array of strings", name);
      return FALSE;
    }

    g_strv_builder_add (builder, json_node_get_string (item));
  }

  list = g_strv_builder_end (builder);
  if (!ms_validate_grant_list ((const char * const *) list, max_id_length)) {
    g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "'%s' must hold at most %d identifiers of 1-%" G_GSIZE_FORMAT
                 " characters from A-Z a-z 0-9 . _ : @ -, or \"*\"",
                 name, MS_PROTOCOL_MAX_LIST, max_id_length);
    return FALSE;
  }

  *out = g_steal_pointer (&list);
  return TRUE;
}

/* A boolean grant: absent (or null) is false, anything but a boolean is
 * refused. */
static gboolean
read_flag (JsonObject  *object,
           const char  *name,
           gboolean    *out,
           GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN) {
    g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "'%s' must be true or false", name);
    return FALSE;
  }

  *out = json_node_get_boolean (node);
  return TRUE;
}

/**
 * ms_server_read_grants:
 * @node: (nullable): the "grants" member of a request body
 *
 * Reads grants as POST /v1/token and POST /v1/invitations take them;
 * without @node, the defaults: receive everything, send nothing.
 */
gboolean
ms_server_read_grants (JsonNode  *node,
                       gsize      max_id_length,
                       MsGrants  *grants,
                       GError   **error)
{
  JsonObject *object;

  if (node == NULL) {
    grants->send_tracks = g_new0 (char *, 1);
    grants->recv_tracks = g_strsplit ("*", ",", -1);
    grants->send_messages = g_new0 (char *, 1);
    grants->recv_messages = g_strsplit ("*", ",", -1);
    return TRUE;
  }

  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "'grants' must be an object");
    return FALSE;
  }

  object = json_node_get_object (node);
  if (!read_string_array (object, "send_tracks", max_id_length, &grants->send_tracks, error) ||
      !read_string_array (object, "recv_tracks", max_id_length, &grants->recv_tracks, error) ||
      !read_string_array (object, "send_messages", max_id_length, &grants->send_messages, error) ||
      !read_string_array (object, "recv_messages", max_id_length, &grants->recv_messages, error))
    return FALSE;

  return read_flag (object, "can_hide", &grants->can_hide, error) &&
         read_flag (object, "hidden", &grants->hidden, error) &&
         read_flag (object, "host", &grants->host, error);
}

/* Parses an HTTP request body that must be a JSON object, after the same
 * guard as for WebSocket frames. An empty body is an empty object when
 * @allow_empty. */
JsonObject *
ms_server_parse_body (GBytes      *body,
                      gboolean     allow_empty,
                      GError     **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *node;
  gsize length;
  const char *data = g_bytes_get_data (body, &length);

  if (length == 0 && allow_empty)
    return json_object_new ();

  if (!ms_protocol_check_json (data, length, error) ||
      !json_parser_load_from_data (parser, data, length, error))
    return NULL;

  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "The body must be a JSON object");
    return NULL;
  }

  return json_object_ref (json_node_get_object (node));
}

static const char *
optional_string (JsonObject *object,
                 const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/* Reads a POST /v1/token body into token claims. */
static MsTokenClaims *
claims_from_request (MsServer    *self,
                     GBytes      *body,
                     GError     **error)
{
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (MsTokenClaims) claims = ms_token_claims_new ();
  const MsLimits *limits = &self->config->limits;
  JsonNode *node;
  gint64 ttl = 6 * 3600;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  object = ms_server_parse_body (body, FALSE, error);
  if (object == NULL)
    return NULL;

  claims->room = g_strdup (optional_string (object, "room"));
  claims->identity = g_strdup (optional_string (object, "identity"));
  if (!ms_validate_identifier (claims->room, limits->max_id_length) ||
      !ms_validate_identifier (claims->identity, limits->max_id_length)) {
    g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "'room' and 'identity' are required identifiers");
    return NULL;
  }

  claims->name = g_strdup (optional_string (object, "name"));
  claims->avatar = g_strdup (optional_string (object, "avatar"));

  node = json_object_get_member (object, "ttl");
  if (node != NULL) {
    if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
        json_node_get_int (node) <= 0 || json_node_get_int (node) > MS_SERVER_MAX_TTL) {
      g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                   "'ttl' must be a number of seconds from 1 to %d", MS_SERVER_MAX_TTL);
      return NULL;
    }
    ttl = json_node_get_int (node);
  }

  if (!ms_server_read_grants (json_object_get_member (object, "grants"), limits->max_id_length,
                              &claims->grants, error))
    return NULL;

  claims->key_id = g_strdup (self->config->api_key);
  claims->issued_at = now;
  claims->expires = now + ttl;

  return g_steal_pointer (&claims);
}

/* POST with the API secret, or an answer saying what is wrong. */
static gboolean
check_api_request (MsServer          *self,
                   SoupServerMessage *msg,
                   const char        *what)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST) {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST");
    respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, MS_PROTOCOL_ERROR_BAD_REQUEST,
                   "Use POST");
    return FALSE;
  }

  if (auth == NULL || !g_str_has_prefix (auth, "Bearer ") ||
      !ms_server_secret_equal (auth + strlen ("Bearer "), self->config->api_secret)) {
    self->metrics.errors_total[MS_PROTOCOL_ERROR_UNAUTHORIZED]++;
    ms_server_log (G_LOG_LEVEL_WARNING, NULL, NULL, "%s request refused: wrong api secret", what);
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer");
    respond_error (msg, SOUP_STATUS_UNAUTHORIZED, MS_PROTOCOL_ERROR_UNAUTHORIZED,
                   "A valid API secret is required (Authorization: Bearer <secret>)");
    return FALSE;
  }
  return TRUE;
}

/* POST /v1/drain: no new rooms; the server stops when its calls end. */
static void
on_drain (SoupServer        *soup,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  MsServer *self = user_data;
  g_autofree char *body = NULL;

  if (!check_api_request (self, msg, "drain"))
    return;

  body = g_strdup_printf ("{\"draining\": true, \"rooms\": %u}",
                          g_hash_table_size (self->rooms));
  respond (msg, SOUP_STATUS_ACCEPTED, "application/json", body);
  ms_server_drain (self);
}

static void
on_token (SoupServer        *soup,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  MsServer *self = user_data;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (MsTokenClaims) claims = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *response = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) root = NULL;

  if (!check_api_request (self, msg, "token"))
    return;

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  if (g_bytes_get_size (body) > MS_SERVER_MAX_REQUEST) {
    respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, MS_PROTOCOL_ERROR_BAD_REQUEST,
                   "The request is too large");
    return;
  }

  claims = claims_from_request (self, body, &error);
  if (claims != NULL)
    token = ms_token_mint_full (claims, self->config->api_secret, &self->config->limits,
                                &error);
  if (token == NULL) {
    self->metrics.errors_total[MS_PROTOCOL_ERROR_BAD_REQUEST]++;
    respond_error (msg, SOUP_STATUS_BAD_REQUEST, MS_PROTOCOL_ERROR_BAD_REQUEST, error->message);
    return;
  }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  response = json_to_string (root, FALSE);

  ms_server_log (G_LOG_LEVEL_INFO, claims->room, NULL, "token issued for %s", claims->identity);
  respond (msg, SOUP_STATUS_OK, "application/json", response);
}

static void
on_not_found (SoupServer        *soup,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  respond_error (msg, SOUP_STATUS_NOT_FOUND, MS_PROTOCOL_ERROR_NOT_FOUND, "No such resource");
}

static void
on_client_request (MsClient        *client,
                   const MsMessage *msg,
                   MsServer        *self)
{
  ms_signaling_handle_request (self, client, msg);
}

static void
maybe_stopped (MsServer *self)
{
  if (!self->shutting_down || self->clients->len > 0 || self->closing->len > 0)
    return;

  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
}

static void
on_connection_finished (SoupWebsocketConnection *connection,
                        MsServer                *self)
{
  g_signal_handlers_disconnect_by_data (connection, self);
  g_ptr_array_remove_fast (self->closing, connection);
  maybe_stopped (self);
}

static void
on_client_closed (MsClient *client,
                  MsServer *self)
{
  g_autoptr (MsClient) keep G_GNUC_UNUSED = g_object_ref (client);
  SoupWebsocketConnection *connection = ms_client_get_connection (client);

  /* Keep the socket until its closing handshake is done, so that a bye
   * and the close frame reach the peer even after we forgot about it. */
  if (soup_websocket_connection_get_state (connection) != SOUP_WEBSOCKET_STATE_CLOSED) {
    g_ptr_array_add (self->closing, g_object_ref (connection));
    g_signal_connect (connection, "closed", G_CALLBACK (on_connection_finished), self);
  }

  ms_signaling_client_closed (self, client);
  g_signal_handlers_disconnect_by_data (client, self);
  g_ptr_array_remove_fast (self->clients, client);
  maybe_stopped (self);
}

static void
on_websocket (SoupServer              *soup,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *connection,
              gpointer                 user_data)
{
  MsServer *self = user_data;
  MsClient *client;
  const char *remote = soup_server_message_get_remote_host (msg);

  if (self->shutting_down) {
    soup_websocket_connection_close (connection, MS_CLOSE_GOING_AWAY, "server shutting down");
    return;
  }

  client = ms_client_new (connection, self->config, &self->metrics, remote ? remote : "?");
  g_signal_connect (client, "request", G_CALLBACK (on_client_request), self);
  g_signal_connect (client, "closed", G_CALLBACK (on_client_closed), self);
  g_ptr_array_add (self->clients, client);
}

static void
ms_server_dispose (GObject *object)
{
  MsServer *self = MS_SERVER (object);

  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);

  /* Joins still waiting for the cluster are dropped first, while what
   * they refer to is still there. */
  g_clear_pointer (&self->cluster, ms_cluster_free);
  g_clear_pointer (&self->placing, g_hash_table_unref);

  /* Rooms first: participants hold references to their clients. */
  g_clear_pointer (&self->resume_keys, g_hash_table_unref);
  g_clear_pointer (&self->rooms, g_hash_table_unref);
  g_clear_pointer (&self->media, ms_media_engine_free);
  ms_invitations_dispose (self);

  if (self->clients != NULL) {
    for (guint i = 0; i < self->clients->len; i++)
      g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->clients, i), self);
    g_clear_pointer (&self->clients, g_ptr_array_unref);
  }

  if (self->closing != NULL) {
    for (guint i = 0; i < self->closing->len; i++)
      g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->closing, i), self);
    g_clear_pointer (&self->closing, g_ptr_array_unref);
  }

  if (self->soup != NULL) {
    soup_server_disconnect (self->soup);
    g_clear_object (&self->soup);
  }

  G_OBJECT_CLASS (ms_server_parent_class)->dispose (object);
}

static void
ms_server_finalize (GObject *object)
{
  MsServer *self = MS_SERVER (object);

  g_clear_pointer (&self->config, ms_config_free);
  g_clear_pointer (&self->keyring, ms_keyring_unref);

  G_OBJECT_CLASS (ms_server_parent_class)->finalize (object);
}

static void
ms_server_class_init (MsServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_server_dispose;
  object_class->finalize = ms_server_finalize;

  signals[SIGNAL_STOPPED] =
    g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ms_server_init (MsServer *self)
{
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify) ms_room_free);
  self->resume_keys = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, NULL);
  self->clients = g_ptr_array_new_with_free_func (g_object_unref);
  self->closing = g_ptr_array_new_with_free_func (g_object_unref);
  self->placing = g_hash_table_new (NULL, NULL);
  ms_invitations_init (self);
}

MsServer *
ms_server_new (MsConfig  *config,
               MsKeyring *keyring)
{
  MsServer *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (keyring != NULL, NULL);

  self = g_object_new (MS_TYPE_SERVER, NULL);
  self->config = config;
  self->keyring = ms_keyring_ref (keyring);

  return self;
}

gboolean
ms_server_listen (MsServer  *self,
                  GError   **error)
{
  SoupServerListenOptions options = 0;

  g_return_val_if_fail (MS_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->soup == NULL, FALSE);

  self->soup = soup_server_new ("server-header", "mediastore/" PACKAGE_VERSION " ", NULL);

  if (self->config->tls_certificate != NULL) {
    g_autoptr (GTlsCertificate) certificate = NULL;

    certificate = g_tls_certificate_new_from_files (self->config->tls_certificate,
                                                    self->config->tls_key, error);
    if (certificate == NULL)
      return FALSE;

    soup_server_set_tls_certificate (self->soup, certificate);
    options |= SOUP_SERVER_LISTEN_HTTPS;
  }

  self->media = ms_media_engine_new (self, error);
  if (self->media == NULL)
    return FALSE;

  if (self->config->cluster_redis_url != NULL) {
    self->cluster = ms_cluster_new (self, error);
    if (self->cluster == NULL)
      return FALSE;
  }

  soup_server_add_handler (self->soup, NULL, on_not_found, self, NULL);
  soup_server_add_handler (self->soup, "/healthz", on_healthz, self, NULL);
  soup_server_add_handler (self->soup, "/metrics", on_metrics, self, NULL);
  if (self->config->api_secret != NULL)
    soup_server_add_handler (self->soup, "/v1/token", on_token, self, NULL);
  if (self->config->api_secret != NULL && self->cluster != NULL)
    soup_server_add_handler (self->soup, "/v1/drain", on_drain, self, NULL);
  ms_invitations_register (self);
  soup_server_add_websocket_handler (self->soup, "/v1/ws", NULL, NULL, on_websocket, self, NULL);

  for (guint i = 0; self->config->listen[i] != NULL; i++) {
    const char *host = self->config->listen[i];
    g_autoptr (GInetAddress) address = NULL;
    g_autoptr (GSocketAddress) socket_address = NULL;

    address = g_str_equal (host, "localhost") ?
              g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4) :
              g_inet_address_new_from_string (host);
    socket_address = g_inet_socket_address_new (address, self->config->port);

    if (!soup_server_listen (self->soup, socket_address, options, error))
      return FALSE;
  }

  /* The node's URL defaults to the first listening socket's. */
  if (self->cluster != NULL)
    ms_cluster_start (self->cluster);

  return TRUE;
}

GStrv
ms_server_get_media_urls (MsServer *self)
{
  g_return_val_if_fail (MS_IS_SERVER (self), NULL);

  return ms_media_get_urls (self);
}

GStrv
ms_server_get_urls (MsServer *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GSList) listeners = NULL;     /* transfer container */
  const char *scheme;

  g_return_val_if_fail (MS_IS_SERVER (self), NULL);
  g_return_val_if_fail (self->soup != NULL, NULL);

  /* Not soup_server_get_uris(): libsoup before 3.4.3 never frees the
   * address it caches for it (c07ff61f "soup-listener: Fix memory leak of
   * local_addr"). Every listener shares the server's TLS setting. */
  scheme = soup_server_is_https (self->soup) ? "wss" : "ws";
  listeners = soup_server_get_listeners (self->soup);
  for (GSList *l = listeners; l != NULL; l = l->next) {
    g_autoptr (GSocketAddress) address = g_socket_get_local_address (l->data, NULL);
    GInetSocketAddress *inet;
    g_autofree char *host = NULL;
    g_autofree char *url = NULL;

    if (!G_IS_INET_SOCKET_ADDRESS (address))
      continue;

    inet = G_INET_SOCKET_ADDRESS (address);
    host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
    url = g_uri_join (G_URI_FLAGS_NONE, scheme, NULL, host, g_inet_socket_address_get_port (inet),
                      "/v1/ws", NULL, NULL);
    g_strv_builder_add (builder, url);
  }

  return g_strv_builder_end (builder);
}

static gboolean
on_shutdown_timeout (gpointer user_data)
{
  MsServer *self = user_data;

  self->shutdown_timeout_id = 0;
  g_message ("%u connections did not close in time", self->clients->len);
  g_signal_emit (self, signals[SIGNAL_STOPPED], 0);

  return G_SOURCE_REMOVE;
}

void
ms_server_shutdown (MsServer *self)
{
  g_autoptr (GPtrArray) clients = NULL;

  g_return_if_fail (MS_IS_SERVER (self));

  if (self->shutting_down)
    return;

  self->shutting_down = TRUE;
  ms_server_log (G_LOG_LEVEL_INFO, NULL, NULL, "shutting down: closing %u connections",
                 self->clients->len);

  clients = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->clients->len; i++)
    g_ptr_array_add (clients, g_object_ref (g_ptr_array_index (self->clients, i)));
  for (guint i = 0; i < clients->len; i++)
    ms_client_close (g_ptr_array_index (clients, i), MS_CLOSE_GOING_AWAY, "server shutting down");

  if (self->clients->len > 0 || self->closing->len > 0)
    self->shutdown_timeout_id = g_timeout_add (SHUTDOWN_GRACE_MS, on_shutdown_timeout, self);
  else
    g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
}

gboolean
ms_server_is_clustered (MsServer *self)
{
  g_return_val_if_fail (MS_IS_SERVER (self), FALSE);

  return self->cluster != NULL;
}

void
ms_server_check_drained (MsServer *self)
{
  if (self->cluster == NULL || !ms_cluster_is_draining (self->cluster) || self->shutting_down ||
      g_hash_table_size (self->rooms) > 0)
    return;

  ms_server_log (G_LOG_LEVEL_INFO, NULL, NULL, "drained: the last call has ended");
  ms_server_shutdown (self);
}

void
ms_server_drain (MsServer *self)
{
  g_return_if_fail (MS_IS_SERVER (self));

  if (self->cluster == NULL) {
    ms_server_shutdown (self);
    return;
  }
  ms_cluster_drain (self->cluster);
  ms_server_check_drained (self);
}
