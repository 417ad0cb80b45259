/* ms-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything about one WebSocket that is not room logic: decoding and
 * validating frames, the per-connection rate limit, counting bad frames,
 * the join deadline and keepalive. Valid requests are handed to the
 * server with the "request" signal; "closed" fires once, when the
 * connection is gone for whatever reason.
 */

#define G_LOG_DOMAIN "MsClient"

#include "config.h"

#include "ms-client.h"

#define FLOOD_WINDOW_US     G_USEC_PER_SEC
#define VIOLATION_WINDOW_US (60 * G_USEC_PER_SEC)

struct _MsClient {
  GObject                  parent_instance;

  SoupWebsocketConnection *connection;
  const MsConfig          *config;
  MsMetrics               *metrics;
  char                    *remote;
  gpointer                 participant;

  gboolean                 joined;
  gboolean                 closed;
  guint                    join_timeout_id;
  guint                    keepalive_id;
  gint64                   last_seen;

  double                   tokens;
  gint64                   last_refill;
  gint64                   flood_window;
  guint                    flood_count;
  gint64                   last_rate_error;

  gint64                   violation_window;
  guint                    violations;
};

enum {
  SIGNAL_REQUEST,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsClient, ms_client, G_TYPE_OBJECT)

static void
clear_timers (MsClient *self)
{
  g_clear_handle_id (&self->join_timeout_id, g_source_remove);
  g_clear_handle_id (&self->keepalive_id, g_source_remove);
}

/* Emitted once, whether the peer closed, we closed, or the socket died. */
static void
mark_closed (MsClient *self)
{
  if (self->closed)
    return;

  self->closed = TRUE;
  clear_timers (self);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

static void
send_text (MsClient   *self,
           const char *text,
           gsize       length)
{
  if (self->closed ||
      soup_websocket_connection_get_state (self->connection) != SOUP_WEBSOCKET_STATE_OPEN)
    return;

  self->metrics->frames_sent_total++;
  self->metrics->bytes_sent_total += length;
  soup_websocket_connection_send_text (self->connection, text);
}

void
ms_client_send (MsClient        *self,
                const MsMessage *msg)
{
  g_autofree char *text = NULL;
  gsize length;

  g_return_if_fail (MS_IS_CLIENT (self));
  g_return_if_fail (msg != NULL);

  text = ms_message_encode (msg, &length);
  send_text (self, text, length);
}

void
ms_client_send_ok (MsClient        *self,
                   const MsMessage *request)
{
  g_autoptr (MsMessage) ok = NULL;

  if (request == NULL || !request->has_id)
    return;

  ok = ms_message_new_ok (request->id);
  ms_client_send (self, ok);
}

static void
send_error_with_id (MsClient        *self,
                    gboolean         has_id,
                    gint64           id,
                    MsProtocolError  code,
                    const char      *text)
{
  g_autoptr (MsMessage) error = ms_message_new_error (has_id, id, code, text);

  self->metrics->errors_total[code]++;
  ms_client_send (self, error);
}

void
ms_client_send_error (MsClient        *self,
                      const MsMessage *request,
                      MsProtocolError  code,
                      const char      *format,
                      ...)
{
  g_autofree char *text = NULL;
  va_list args;

  g_return_if_fail (MS_IS_CLIENT (self));

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  send_error_with_id (self, request && request->has_id, request ? request->id : 0, code, text);
}

void
ms_client_close (MsClient   *self,
                 int         code,
                 const char *reason)
{
  g_return_if_fail (MS_IS_CLIENT (self));

  if (self->closed)
    return;

  if (reason != NULL) {
    g_autoptr (MsMessage) bye = ms_message_new (MS_MSG_BYE);

    bye->u.bye.reason = g_strdup (reason);
    ms_client_send (self, bye);
  }

  if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->connection, code, reason);

  /* The room must not wait for the closing handshake of a peer that may
   * be gone: as far as the server is concerned, it is closed now. */
  mark_closed (self);
}

/* Counts a bad frame; too many in a minute and the connection goes. */
static void
violation (MsClient   *self,
           gint64      id,
           const char *message)
{
  gint64 now = g_get_monotonic_time ();

  send_error_with_id (self, id >= 0, MAX (id, 0), MS_PROTOCOL_ERROR_BAD_REQUEST, message);

  if (now - self->violation_window > VIOLATION_WINDOW_US) {
    self->violation_window = now;
    self->violations = 0;
  }

  if (++self->violations >= self->config->max_violations) {
    g_message ("Closing %s: %u bad frames within a minute", self->remote, self->violations);
    ms_client_close (self, MS_CLOSE_ABUSE, "too many invalid messages");
  }
}

/* A token bucket: messages_per_second sustained, message_burst at once. */
static gboolean
rate_allows (MsClient *self)
{
  gint64 now = g_get_monotonic_time ();
  const MsConfig *config = self->config;

  self->tokens = MIN ((double) config->message_burst,
                      self->tokens + (double) (now - self->last_refill) *
                                     config->messages_per_second / G_USEC_PER_SEC);
  self->last_refill = now;

  if (self->tokens >= 1.0) {
    self->tokens -= 1.0;
    return TRUE;
  }

  if (now - self->flood_window > FLOOD_WINDOW_US) {
    self->flood_window = now;
    self->flood_count = 0;
  }

  if (++self->flood_count > config->messages_per_second) {
    g_message ("Closing %s: flooding", self->remote);
    send_error_with_id (self, FALSE, 0, MS_PROTOCOL_ERROR_RATE_LIMITED,
                        "Too many messages: closing the connection");
    ms_client_close (self, MS_CLOSE_RATE_LIMITED, "rate limit exceeded");
  } else if (now - self->last_rate_error > G_USEC_PER_SEC) {
    /* One error per second at most, so a flood cannot make us flood back. */
    self->last_rate_error = now;
    send_error_with_id (self, FALSE, 0, MS_PROTOCOL_ERROR_RATE_LIMITED,
                        "Too many messages: some were dropped");
  }

  return FALSE;
}

static void
on_message (SoupWebsocketConnection *connection,
            SoupWebsocketDataType    type,
            GBytes                  *bytes,
            MsClient                *self)
{
  g_autoptr (MsMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (MsClient) keep_alive G_GNUC_UNUSED = g_object_ref (self);
  gconstpointer data;
  gsize length;
  gint64 id = -1;

  data = g_bytes_get_data (bytes, &length);
  self->last_seen = g_get_monotonic_time ();
  self->metrics->frames_received_total++;
  self->metrics->bytes_received_total += length;

  if (self->closed || !rate_allows (self))
    return;

  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    violation (self, -1, "Frames must be text: one JSON object each");
    return;
  }

  msg = ms_message_decode (data, length, MS_DIRECTION_TO_SERVER, &self->config->limits, &id,
                           &error);
  if (msg == NULL) {
    violation (self, id, error->message);
    return;
  }

  g_signal_emit (self, signals[SIGNAL_REQUEST], 0, msg);
}

static void
on_pong (SoupWebsocketConnection *connection,
         GBytes                  *message,
         MsClient                *self)
{
  self->last_seen = g_get_monotonic_time ();
}

static void
on_closed (SoupWebsocketConnection *connection,
           MsClient                *self)
{
  mark_closed (self);
}

static gboolean
on_join_timeout (gpointer user_data)
{
  MsClient *self = user_data;

  self->join_timeout_id = 0;
  g_message ("Closing %s: no join within %u s", self->remote, self->config->join_timeout);
  send_error_with_id (self, FALSE, 0, MS_PROTOCOL_ERROR_UNAUTHORIZED,
                      "No join message in time");
  ms_client_close (self, MS_CLOSE_UNAUTHORIZED, "join timeout");

  return G_SOURCE_REMOVE;
}

static gboolean
on_keepalive_check (gpointer user_data)
{
  MsClient *self = user_data;
  gint64 silent = g_get_monotonic_time () - self->last_seen;
  gint64 allowed = (gint64) self->config->keepalive_interval * self->config->keepalive_misses;

  if (silent > allowed * G_USEC_PER_SEC + G_USEC_PER_SEC / 2) {
    g_message ("Closing %s: %u keepalives missed", self->remote, self->config->keepalive_misses);
    self->keepalive_id = 0;
    ms_client_close (self, MS_CLOSE_RATE_LIMITED, NULL);
    return G_SOURCE_REMOVE;
  }

  return G_SOURCE_CONTINUE;
}

static void
ms_client_dispose (GObject *object)
{
  MsClient *self = MS_CLIENT (object);

  clear_timers (self);

  if (self->connection != NULL) {
    g_signal_handlers_disconnect_by_data (self->connection, self);
    if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (self->connection, MS_CLOSE_GOING_AWAY, NULL);
    g_clear_object (&self->connection);
  }

  G_OBJECT_CLASS (ms_client_parent_class)->dispose (object);
}

static void
ms_client_finalize (GObject *object)
{
  MsClient *self = MS_CLIENT (object);

  g_free (self->remote);

  G_OBJECT_CLASS (ms_client_parent_class)->finalize (object);
}

static void
ms_client_class_init (MsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_client_dispose;
  object_class->finalize = ms_client_finalize;

  /* A valid request, already decoded; the MsMessage is borrowed. */
  signals[SIGNAL_REQUEST] =
    g_signal_new ("request", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);

  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ms_client_init (MsClient *self)
{
}

MsClient *
ms_client_new (SoupWebsocketConnection *connection,
               const MsConfig          *config,
               MsMetrics               *metrics,
               const char              *remote)
{
  MsClient *self;
  gint64 now = g_get_monotonic_time ();

  g_return_val_if_fail (SOUP_IS_WEBSOCKET_CONNECTION (connection), NULL);

  self = g_object_new (MS_TYPE_CLIENT, NULL);
  self->connection = g_object_ref (connection);
  self->config = config;
  self->metrics = metrics;
  self->remote = g_strdup (remote);
  self->last_seen = now;
  self->tokens = config->message_burst;
  self->last_refill = now;
  self->violation_window = now;
  self->flood_window = now;

  /* Frames a little over our limit still arrive and get a protocol
   * error; libsoup itself drops anything far beyond it. */
  soup_websocket_connection_set_max_incoming_payload_size (connection,
                                                          MAX (config->limits.max_frame * 4,
                                                               1024 * 1024));
  g_signal_connect (connection, "message", G_CALLBACK (on_message), self);
  g_signal_connect (connection, "pong", G_CALLBACK (on_pong), self);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), self);

  self->join_timeout_id = g_timeout_add_seconds (config->join_timeout, on_join_timeout, self);
  if (config->keepalive_interval > 0) {
    soup_websocket_connection_set_keepalive_interval (connection, config->keepalive_interval);
    self->keepalive_id = g_timeout_add_seconds (config->keepalive_interval,
                                                on_keepalive_check, self);
  }

  metrics->connections_total++;

  return self;
}

const char *
ms_client_get_remote (MsClient *self)
{
  g_return_val_if_fail (MS_IS_CLIENT (self), NULL);

  return self->remote;
}

SoupWebsocketConnection *
ms_client_get_connection (MsClient *self)
{
  g_return_val_if_fail (MS_IS_CLIENT (self), NULL);

  return self->connection;
}

gboolean
ms_client_is_open (MsClient *self)
{
  g_return_val_if_fail (MS_IS_CLIENT (self), FALSE);

  return !self->closed;
}

void
ms_client_set_joined (MsClient *self)
{
  g_return_if_fail (MS_IS_CLIENT (self));

  self->joined = TRUE;
  g_clear_handle_id (&self->join_timeout_id, g_source_remove);
}

gpointer
ms_client_get_participant (MsClient *self)
{
  g_return_val_if_fail (MS_IS_CLIENT (self), NULL);

  return self->participant;
}

void
ms_client_set_participant (MsClient *self,
                           gpointer  participant)
{
  g_return_if_fail (MS_IS_CLIENT (self));

  self->participant = participant;
}
