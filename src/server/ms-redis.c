/* ms-redis.c: a Redis connection on the main context, for cluster mode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each connection attempt is a Link: its socket, its RESP reader, its
 * write buffer and the one GCancellable its operations share. Every
 * pending GIO operation holds a reference to its Link, never to the
 * MsRedis: when the connection is dropped (a failure, or dispose) the
 * Link loses its owner, its operations are cancelled, and their late
 * callbacks only free what they hold. That is what makes "no callbacks
 * after finalize" hold without keeping the MsRedis alive.
 *
 * Commands answer in order (RESP2, no pub/sub): a FIFO of pending
 * commands, the head of which the next reply belongs to.
 */

#define G_LOG_DOMAIN "MsRedis"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "ms-redis.h"

#define DEFAULT_PORT        6379
/* Redis's default "databases 16". */
#define MAX_DB              15
#define CONNECT_TIMEOUT_S   2
#define REPLY_TIMEOUT_US    (2 * G_USEC_PER_SEC)
#define RETRY_FIRST_MS      100
#define RETRY_MAX_MS        2000
/* Failed attempts logged in a row; later ones are quiet until the state
 * changes, so that a long outage does not fill the journal. */
#define LOGGED_ATTEMPTS     3
#define READ_BUFFER_SIZE    (16 * 1024)

G_STATIC_ASSERT (sizeof (gsize) == sizeof (size_t));

typedef struct {
  MsRedisCallback callback;
  gpointer        user_data;
} Command;

typedef struct {
  grefcount              ref;
  MsRedis               *owner;       /* NULL once dropped: callbacks then only free */
  GCancellable          *cancellable;
  GSocketConnection     *connection;
  GInputStream          *input;
  GOutputStream         *output;
  redisReader           *reader;
  GByteArray            *outgoing;    /* formatted, not yet handed to the stream */
  GBytes                *writing;     /* the bytes of the write in flight */
  GTlsCertificateFlags   tls_errors;  /* why the server's certificate was refused */
  guint8                 buffer[READ_BUFFER_SIZE];
} Link;

struct _MsRedis {
  GObject             parent_instance;

  GMainContext       *context;
  char               *display_url;
  char               *user;
  char               *password;
  guint               db;
  GSocketConnectable *address;
  GSocketClient      *client;
  GTlsDatabase       *database;

  gboolean            started;
  gboolean            connected;
  gboolean            disposing;
  Link               *link;
  GQueue              pending;          /* Command, sent, awaiting their replies */
  gint64              oldest_since;     /* when the head of pending became the head */
  GQueue              refused;          /* Command, to fail from an idle */
  GSource            *refuse_source;
  GSource            *deadline_source;
  GSource            *retry_source;
  guint               retry_ms;
  gboolean            outage;           /* a failure was logged since the last connection */
  guint               failures;         /* attempts failed since the last connection */
  GError             *last_error;
};

enum {
  SIGNAL_CONNECTED,
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsRedis, ms_redis, G_TYPE_OBJECT)

G_DEFINE_QUARK (ms-redis-error-quark, ms_redis_error)

static Link *
link_new (MsRedis *self)
{
  Link *link = g_new0 (Link, 1);

  g_ref_count_init (&link->ref);
  link->owner = self;
  link->cancellable = g_cancellable_new ();
  link->reader = redisReaderCreate ();
  link->outgoing = g_byte_array_new ();

  return link;
}

static Link *
link_ref (Link *link)
{
  g_ref_count_inc (&link->ref);
  return link;
}

static void
link_unref (gpointer data)
{
  Link *link = data;

  if (!g_ref_count_dec (&link->ref))
    return;

  g_clear_object (&link->cancellable);
  /* The socket was closed when the link was dropped: this close (in
   * GIOStream's dispose) cannot block on a peer that stopped reading. */
  g_clear_object (&link->connection);
  g_clear_pointer (&link->reader, redisReaderFree);
  g_clear_pointer (&link->outgoing, g_byte_array_unref);
  g_clear_pointer (&link->writing, g_bytes_unref);
  g_free (link);
}

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;

  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static GSource *
attach (MsRedis     *self,
        GSource     *source,
        GSourceFunc  func)
{
  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);

  return source;
}

static Command *
command_new (MsRedisCallback callback,
             gpointer        user_data)
{
  Command *command = g_new0 (Command, 1);

  command->callback = callback;
  command->user_data = user_data;

  return command;
}

static void
answer (MsRedis    *self,
        Command    *command,
        redisReply *reply,
        GError     *error)
{
  if (command->callback != NULL)
    command->callback (self, reply, error, command->user_data);
  g_free (command);
}

/* Fails every command in @queue (emptied first: the callbacks may queue
 * new commands), the first with @first_code, the others as unavailable. */
static void
fail_all (MsRedis      *self,
          GQueue       *queue,
          MsRedisError  first_code,
          const char   *message)
{
  GQueue failed = *queue;
  Command *command;
  MsRedisError code = first_code;

  g_queue_init (queue);
  while ((command = g_queue_pop_head (&failed)) != NULL) {
    g_autoptr (GError) error = g_error_new_literal (MS_REDIS_ERROR, code, message);

    answer (self, command, NULL, error);
    code = MS_REDIS_ERROR_UNAVAILABLE;
  }
}

static gboolean
on_refuse (gpointer user_data)
{
  MsRedis *self = g_object_ref (user_data);
  g_autofree char *message = NULL;

  g_clear_pointer (&self->refuse_source, g_source_unref);
  message = g_strdup_printf ("Not connected to Redis at %s%s%s", self->display_url,
                             self->last_error ? ": " : "",
                             self->last_error ? self->last_error->message : "");
  fail_all (self, &self->refused, MS_REDIS_ERROR_UNAVAILABLE, message);
  g_object_unref (self);

  return G_SOURCE_REMOVE;
}

/* A cycle: a failure schedules a retry, a retry connects, a connection
 * fails. */
static void
connect_now (MsRedis *self);

static gboolean
on_retry (gpointer user_data)
{
  MsRedis *self = user_data;

  g_clear_pointer (&self->retry_source, g_source_unref);
  connect_now (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_retry (MsRedis *self)
{
  destroy_source (&self->retry_source);
  self->retry_source = attach (self, g_timeout_source_new (self->retry_ms), on_retry);
  self->retry_ms = MIN (self->retry_ms * 2, RETRY_MAX_MS);
}

/* One warning per outage, whether it began with a lost connection or a
 * failed first attempt; then a few attempts, then quiet. */
static void
log_failure (MsRedis    *self,
             gboolean    was_connected,
             const char *message)
{
  if (was_connected) {
    g_warning ("Lost the connection to Redis at %s: %s", self->display_url, message);
    self->outage = TRUE;
  } else if (!self->outage) {
    g_warning ("Cannot connect to Redis at %s: %s", self->display_url, message);
    self->outage = TRUE;
    self->failures++;
  } else if (++self->failures <= LOGGED_ATTEMPTS) {
    g_message ("Still cannot connect to Redis at %s (attempt %u): %s%s", self->display_url,
               self->failures, message,
               self->failures == LOGGED_ATTEMPTS ? "; trying again quietly" : "");
  }
}

/* Ends the current link, connected or still connecting: its operations
 * are cancelled, its pending commands fail (the oldest with @code when it
 * is a timeout), and a new attempt is scheduled unless disposing. */
static void
drop_link (MsRedis      *self,
           MsRedisError  code,
           const char   *message)
{
  Link *link = self->link;
  gboolean was_connected = self->connected;
  /* Not while disposing: the last reference is already being dropped. */
  gboolean held = !self->disposing;
  g_autofree char *failure = NULL;

  g_return_if_fail (link != NULL);

  if (held)
    g_object_ref (self);

  self->link = NULL;
  self->connected = FALSE;
  link->owner = NULL;
  g_cancellable_cancel (link->cancellable);
  if (link->connection != NULL)
    g_socket_close (g_socket_connection_get_socket (link->connection), NULL);
  link_unref (link);

  g_clear_error (&self->last_error);
  self->last_error = g_error_new_literal (MS_REDIS_ERROR, code, message);

  if (!self->disposing)
    log_failure (self, was_connected, message);

  failure = self->disposing ? g_strdup (message)
                            : g_strdup_printf ("The connection to Redis at %s broke: %s",
                                               self->display_url, message);
  fail_all (self, &self->pending, code == MS_REDIS_ERROR_TIMEOUT ? code
                                                                 : MS_REDIS_ERROR_UNAVAILABLE,
            failure);

  /* A callback may have disposed of us: then nothing more to say or do. */
  if (was_connected && !self->disposing)
    g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0);
  if (!self->disposing && self->link == NULL)
    schedule_retry (self);

  if (held)
    g_object_unref (self);
}

static void
flush (Link *link);

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Link *link = user_data;
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  g_clear_pointer (&link->writing, g_bytes_unref);

  if (link->owner != NULL) {
    if (error != NULL) {
      g_autofree char *message = g_strdup_printf ("Writing to Redis failed: %s", error->message);

      drop_link (link->owner, MS_REDIS_ERROR_UNAVAILABLE, message);
    } else {
      flush (link);
    }
  }

  link_unref (link);
}

/* One write in flight at a time; what is queued meanwhile goes out in
 * the next, so a burst of commands costs one write, not one each. */
static void
flush (Link *link)
{
  MsRedis *self = link->owner;
  gconstpointer data;
  gsize length;

  if (link->writing != NULL || link->outgoing->len == 0)
    return;

  link->writing = g_byte_array_free_to_bytes (link->outgoing);
  link->outgoing = g_byte_array_new ();
  data = g_bytes_get_data (link->writing, &length);

  g_main_context_push_thread_default (self->context);
  g_output_stream_write_all_async (link->output, data, length, G_PRIORITY_DEFAULT,
                                   link->cancellable, on_written, link_ref (link));
  g_main_context_pop_thread_default (self->context);
}

static void
send_command (MsRedis            *self,
              guint               argc,
              const char * const *argv,
              const gsize        *lens,
              MsRedisCallback     callback,
              gpointer            user_data)
{
  char *formatted = NULL;
  int length;

  length = redisFormatCommandArgv (&formatted, (int) argc, (const char **) argv,
                                   (const size_t *) lens);
  /* hiredis fails only when out of memory, where GLib would abort too. */
  if (length < 0)
    g_error ("Out of memory formatting a Redis command");
  g_byte_array_append (self->link->outgoing, (const guint8 *) formatted, length);
  redisFreeCommand (formatted);

  if (g_queue_is_empty (&self->pending)) {
    self->oldest_since = g_get_monotonic_time ();
    if (g_source_get_ready_time (self->deadline_source) < 0)
      g_source_set_ready_time (self->deadline_source, self->oldest_since + REPLY_TIMEOUT_US);
  }
  g_queue_push_tail (&self->pending, command_new (callback, user_data));

  flush (self->link);
}

/* The oldest command's wait is checked lazily: replies only move
 * oldest_since, and the deadline, when it comes, looks again. */
static gboolean
on_deadline (gpointer user_data)
{
  MsRedis *self = user_data;
  gint64 due = self->oldest_since + REPLY_TIMEOUT_US;

  if (self->link == NULL || g_queue_is_empty (&self->pending))
    return G_SOURCE_CONTINUE;

  if (g_get_monotonic_time () < due) {
    g_source_set_ready_time (self->deadline_source, due);
    return G_SOURCE_CONTINUE;
  }

  drop_link (self, MS_REDIS_ERROR_TIMEOUT, "Redis did not answer within 2 s");

  return G_SOURCE_CONTINUE;
}

static gboolean
deadline_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs deadline_funcs = {
  .dispatch = deadline_dispatch,
};

static void
mark_connected (MsRedis *self)
{
  if (self->failures > 0)
    g_message ("Connected to Redis at %s after %u failed attempts", self->display_url,
               self->failures);
  else
    g_message ("Connected to Redis at %s", self->display_url);

  self->connected = TRUE;
  self->outage = FALSE;
  self->failures = 0;
  self->retry_ms = RETRY_FIRST_MS;
  g_clear_error (&self->last_error);
  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);
}

/* After connecting: AUTH when there is a password, SELECT when the
 * database is not 0, each only once the one before was accepted. */
typedef enum {
  STEP_AUTH,
  STEP_SELECT,
  STEP_DONE,
} Step;

/* A cycle too: each accepted step starts the next. */
static void
handshake (MsRedis *self,
           Step     step);

static void
on_handshake_reply (MsRedis      *self,
                    redisReply   *reply,
                    const GError *error,
                    gpointer      user_data)
{
  Step step = GPOINTER_TO_UINT (user_data);
  g_autofree char *message = NULL;

  if (error == NULL) {
    handshake (self, step + 1);
    return;
  }

  /* Any other error is the connection's, which drop_link reports. */
  if (!g_error_matches (error, MS_REDIS_ERROR, MS_REDIS_ERROR_REPLY))
    return;

  if (step == STEP_AUTH) {
    message = g_strdup_printf ("Redis refused the password: %s", error->message);
    drop_link (self, MS_REDIS_ERROR_AUTH, message);
  } else {
    message = g_strdup_printf ("Redis refused to select database %u: %s", self->db,
                               error->message);
    drop_link (self, MS_REDIS_ERROR_UNAVAILABLE, message);
  }
}

static void
handshake (MsRedis *self,
           Step     step)
{
  g_autofree char *db = NULL;
  const char *argv[3];
  guint argc = 0;

  if (step == STEP_AUTH && self->password == NULL)
    step = STEP_SELECT;
  if (step == STEP_SELECT && self->db == 0)
    step = STEP_DONE;

  switch (step) {
  case STEP_AUTH:
    argv[argc++] = "AUTH";
    if (self->user != NULL)
      argv[argc++] = self->user;
    argv[argc++] = self->password;
    break;
  case STEP_SELECT:
    db = g_strdup_printf ("%u", self->db);
    argv[argc++] = "SELECT";
    argv[argc++] = db;
    break;
  case STEP_DONE:
  default:
    mark_connected (self);
    return;
  }

  send_command (self, argc, argv, NULL, on_handshake_reply, GUINT_TO_POINTER (step));
}

/* Hands every complete reply to its command, until the reader needs more
 * bytes or the link is gone (a callback may drop it, or dispose of us). */
static void
dispatch_replies (MsRedis *self,
                  Link    *link)
{
  while (link->owner == self) {
    void *object = NULL;
    redisReply *reply;
    Command *command;

    if (redisReaderGetReply (link->reader, &object) != REDIS_OK) {
      g_autofree char *message = g_strdup_printf ("Redis sent something that is not RESP: %s",
                                                  link->reader->errstr);

      drop_link (self, MS_REDIS_ERROR_UNAVAILABLE, message);
      return;
    }
    if (object == NULL)
      return;

    reply = object;
    command = g_queue_pop_head (&self->pending);
    if (command == NULL) {
      freeReplyObject (reply);
      drop_link (self, MS_REDIS_ERROR_UNAVAILABLE, "Redis sent a reply to no command");
      return;
    }
    self->oldest_since = g_get_monotonic_time ();

    if (reply->type == REDIS_REPLY_ERROR) {
      g_autoptr (GError) error = g_error_new_literal (MS_REDIS_ERROR, MS_REDIS_ERROR_REPLY,
                                                      reply->str);

      answer (self, command, NULL, error);
    } else {
      answer (self, command, reply, NULL);
    }
    freeReplyObject (reply);
  }
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Link *link = user_data;
  g_autoptr (GError) error = NULL;
  gssize length = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  MsRedis *self = link->owner;

  if (self == NULL) {
    link_unref (link);
    return;
  }

  g_object_ref (self);
  if (length < 0) {
    g_autofree char *message = g_strdup_printf ("Reading from Redis failed: %s", error->message);

    drop_link (self, MS_REDIS_ERROR_UNAVAILABLE, message);
  } else if (length == 0) {
    drop_link (self, MS_REDIS_ERROR_UNAVAILABLE, "Redis closed the connection");
  } else if (redisReaderFeed (link->reader, (const char *) link->buffer, length) != REDIS_OK) {
    drop_link (self, MS_REDIS_ERROR_UNAVAILABLE, "Redis's reply could not be read");
  } else {
    dispatch_replies (self, link);
    if (link->owner == self)
      g_input_stream_read_async (link->input, link->buffer, sizeof (link->buffer),
                                 G_PRIORITY_DEFAULT, link->cancellable, on_read,
                                 link_ref (link));
  }
  g_object_unref (self);
  link_unref (link);
}

static char *
describe_tls_errors (GTlsCertificateFlags flags)
{
  static const struct {
    GTlsCertificateFlags  flag;
    const char           *text;
  } reasons[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "it is not signed by a known authority" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "it is not for this host" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet" },
    { G_TLS_CERTIFICATE_EXPIRED, "it has expired" },
    { G_TLS_CERTIFICATE_REVOKED, "it was revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "its algorithm is insecure" },
  };
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) texts = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (flags & reasons[i].flag)
      g_strv_builder_add (builder, reasons[i].text);
  texts = g_strv_builder_end (builder);

  return texts[0] != NULL ? g_strjoinv (", ", texts) : NULL;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Link *link = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) connection = NULL;
  MsRedis *self = link->owner;
  GSocket *sock;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (self == NULL) {
    link_unref (link);
    return;
  }

  g_object_ref (self);
  if (connection == NULL) {
    g_autofree char *reasons = describe_tls_errors (link->tls_errors);
    g_autofree char *message = NULL;

    if (reasons != NULL)
      message = g_strdup_printf ("%s: %s", error->message, reasons);
    drop_link (self, MS_REDIS_ERROR_UNAVAILABLE, message ? message : error->message);
    g_object_unref (self);
    link_unref (link);
    return;
  }

  link->connection = g_steal_pointer (&connection);
  sock = g_socket_connection_get_socket (link->connection);
  /* The client's timeout bounds the connect and the TLS handshake; left
   * on the socket, it would fail a read that waits for a quiet server. */
  g_socket_set_timeout (sock, 0);
  /* Commands are small and each waits for its reply: no Nagle delay. */
  g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  link->input = g_io_stream_get_input_stream (G_IO_STREAM (link->connection));
  link->output = g_io_stream_get_output_stream (G_IO_STREAM (link->connection));

  g_input_stream_read_async (link->input, link->buffer, sizeof (link->buffer),
                             G_PRIORITY_DEFAULT, link->cancellable, on_read, link_ref (link));
  handshake (self, STEP_AUTH);

  g_object_unref (self);
  link_unref (link);
}

static gboolean
on_accept_certificate (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  Link *link = user_data;

  /* Only noted, to say why in last_error; GIO refuses the certificate. */
  link->tls_errors = errors;

  return FALSE;
}

static void
on_handler_gone (gpointer  data,
                 GClosure *closure)
{
  link_unref (data);
}

static void
on_client_event (GSocketClient      *client,
                 GSocketClientEvent  event,
                 GSocketConnectable *connectable,
                 GIOStream          *connection,
                 gpointer            user_data)
{
  MsRedis *self = user_data;

  if (event != G_SOCKET_CLIENT_TLS_HANDSHAKING || self->link == NULL ||
      !G_IS_TLS_CLIENT_CONNECTION (connection))
    return;

  if (self->database != NULL)
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), self->database);
  /* The TLS connection may outlive the attempt: the handler keeps its link. */
  g_signal_connect_data (connection, "accept-certificate", G_CALLBACK (on_accept_certificate),
                         link_ref (self->link), on_handler_gone, 0);
}

static void
connect_now (MsRedis *self)
{
  g_return_if_fail (self->link == NULL);

  self->link = link_new (self);
  g_main_context_push_thread_default (self->context);
  g_socket_client_connect_async (self->client, self->address, self->link->cancellable,
                                 on_connected, link_ref (self->link));
  g_main_context_pop_thread_default (self->context);
}

static void
ms_redis_dispose (GObject *object)
{
  MsRedis *self = MS_REDIS (object);

  self->disposing = TRUE;
  destroy_source (&self->retry_source);
  destroy_source (&self->refuse_source);
  destroy_source (&self->deadline_source);
  if (self->link != NULL)
    drop_link (self, MS_REDIS_ERROR_UNAVAILABLE, "The Redis connection was closed by its owner");
  /* Commands that callbacks queue meanwhile land in refused, failed here
   * too: callers may free their data in the callback. */
  while (!g_queue_is_empty (&self->refused))
    fail_all (self, &self->refused, MS_REDIS_ERROR_UNAVAILABLE,
              "The Redis connection was closed by its owner");
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (ms_redis_parent_class)->dispose (object);
}

static void
ms_redis_finalize (GObject *object)
{
  MsRedis *self = MS_REDIS (object);

  g_assert (g_queue_is_empty (&self->pending));
  g_assert (g_queue_is_empty (&self->refused));

  g_clear_object (&self->address);
  g_clear_object (&self->database);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->display_url);
  g_free (self->user);
  /* The password stays in memory no longer than the MsRedis. */
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_clear_error (&self->last_error);

  G_OBJECT_CLASS (ms_redis_parent_class)->finalize (object);
}

static void
ms_redis_class_init (MsRedisClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_redis_dispose;
  object_class->finalize = ms_redis_finalize;

  signals[SIGNAL_CONNECTED] =
    g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SIGNAL_DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
}

static void
ms_redis_init (MsRedis *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->retry_ms = RETRY_FIRST_MS;
  g_queue_init (&self->pending);
  g_queue_init (&self->refused);
  self->deadline_source = attach (self, g_source_new (&deadline_funcs, sizeof (GSource)),
                                  on_deadline);
  g_source_set_ready_time (self->deadline_source, -1);
}

/* GUri's own messages may quote the URL, password and all: ours name
 * the part that is wrong instead. */
static const char *
uri_part (GError *error)
{
  if (error->domain != G_URI_ERROR)
    return NULL;

  switch ((GUriError) error->code) {
  case G_URI_ERROR_BAD_SCHEME:
    return "scheme";
  case G_URI_ERROR_BAD_USER:
    return "user";
  case G_URI_ERROR_BAD_PASSWORD:
    return "password";
  case G_URI_ERROR_BAD_AUTH_PARAMS:
    return "authentication parameters";
  case G_URI_ERROR_BAD_HOST:
    return "host";
  case G_URI_ERROR_BAD_PORT:
    return "port";
  case G_URI_ERROR_BAD_PATH:
    return "path";
  case G_URI_ERROR_BAD_QUERY:
    return "query";
  case G_URI_ERROR_BAD_FRAGMENT:
    return "fragment";
  case G_URI_ERROR_FAILED:
  default:
    return NULL;
  }
}

static gboolean
parse_url (MsRedis     *self,
           const char  *url,
           gboolean    *out_tls,
           GError     **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *scheme, *host, *path, *user, *password;
  g_autofree char *db_path = NULL;
  guint64 db = 0;
  int port;

  uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED_PATH, &local_error);
  if (uri == NULL) {
    g_set_error (error, MS_REDIS_ERROR, MS_REDIS_ERROR_URL,
                 "The Redis URL is not valid%s%s%s: expected "
                 "redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB]",
                 uri_part (local_error) ? " (bad " : "", uri_part (local_error) ?: "",
                 uri_part (local_error) ? ")" : "");
    return FALSE;
  }

  scheme = g_uri_get_scheme (uri);
  if (g_strcmp0 (scheme, "redis") != 0 && g_strcmp0 (scheme, "rediss") != 0) {
    g_set_error (error, MS_REDIS_ERROR, MS_REDIS_ERROR_URL,
                 "A Redis URL starts with redis:// or rediss://, not %s://", scheme);
    return FALSE;
  }
  *out_tls = g_str_equal (scheme, "rediss");

  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0') {
    g_set_error_literal (error, MS_REDIS_ERROR, MS_REDIS_ERROR_URL, "The Redis URL has no host");
    return FALSE;
  }

  port = g_uri_get_port (uri);
  if (port == 0) {
    g_set_error_literal (error, MS_REDIS_ERROR, MS_REDIS_ERROR_URL,
                         "The Redis URL's port is 0");
    return FALSE;
  }
  if (port < 0)
    port = DEFAULT_PORT;

  path = g_uri_get_path (uri);
  if (*path != '\0' && !g_str_equal (path, "/") &&
      (path[0] != '/' ||
       !g_ascii_string_to_unsigned (path + 1, 10, 0, MAX_DB, &db, NULL))) {
    g_set_error (error, MS_REDIS_ERROR, MS_REDIS_ERROR_URL,
                 "The Redis URL's database is not a number from 0 to %d", MAX_DB);
    return FALSE;
  }

  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL) {
    g_set_error_literal (error, MS_REDIS_ERROR, MS_REDIS_ERROR_URL,
                         "The Redis URL has a query or a fragment, which mean nothing here");
    return FALSE;
  }

  user = g_uri_get_user (uri);
  password = g_uri_get_password (uri);
  if (user != NULL && *user == '\0')
    user = NULL;
  if (password != NULL && *password == '\0')
    password = NULL;
  if (user != NULL && password == NULL) {
    g_set_error_literal (error, MS_REDIS_ERROR, MS_REDIS_ERROR_URL,
                         "The Redis URL names a user but no password");
    return FALSE;
  }

  self->user = g_strdup (user);
  self->password = g_strdup (password);
  self->db = db;
  self->address = g_network_address_new (host, port);
  db_path = g_strdup_printf ("/%u", self->db);
  /* GUri leaves out a userinfo without a user: "" keeps ":***@". */
  self->display_url = g_uri_join_with_user (G_URI_FLAGS_HAS_PASSWORD, scheme,
                                            user != NULL || password == NULL ? user : "",
                                            password != NULL ? "***" : NULL, NULL, host, port,
                                            db_path, NULL, NULL);

  return TRUE;
}

MsRedis *
ms_redis_new (const char  *url,
              const char  *ca_file,
              GError     **error)
{
  g_autoptr (MsRedis) self = NULL;
  gboolean tls = FALSE;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (MS_TYPE_REDIS, NULL);
  if (!parse_url (self, url, &tls, error))
    return NULL;

  /* A CA file means nothing to plain TCP, and is then left unread. */
  if (tls && ca_file != NULL) {
    g_autoptr (GError) local_error = NULL;

    self->database = g_tls_file_database_new (ca_file, &local_error);
    if (self->database == NULL) {
      g_set_error (error, local_error->domain, local_error->code,
                   "Cannot use %s as the Redis CA file: %s", ca_file, local_error->message);
      return NULL;
    }
  }

  self->client = g_socket_client_new ();
  g_socket_client_set_timeout (self->client, CONNECT_TIMEOUT_S);
  g_socket_client_set_tls (self->client, tls);
  g_signal_connect (self->client, "event", G_CALLBACK (on_client_event), self);

  return g_steal_pointer (&self);
}

void
ms_redis_start (MsRedis *self)
{
  g_return_if_fail (MS_IS_REDIS (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  connect_now (self);
}

gboolean
ms_redis_is_connected (MsRedis *self)
{
  g_return_val_if_fail (MS_IS_REDIS (self), FALSE);

  return self->connected;
}

const char *
ms_redis_get_display_url (MsRedis *self)
{
  g_return_val_if_fail (MS_IS_REDIS (self), NULL);

  return self->display_url;
}

const char *
ms_redis_get_last_error (MsRedis *self)
{
  g_return_val_if_fail (MS_IS_REDIS (self), NULL);

  if (self->connected || self->last_error == NULL)
    return NULL;

  return self->last_error->message;
}

void
ms_redis_commandv (MsRedis            *self,
                   guint               argc,
                   const char * const *argv,
                   const gsize        *lens,
                   MsRedisCallback     callback,
                   gpointer            user_data)
{
  g_return_if_fail (MS_IS_REDIS (self));
  g_return_if_fail (argc > 0 && argc <= G_MAXINT);
  g_return_if_fail (argv != NULL);

  if (self->connected) {
    send_command (self, argc, argv, lens, callback, user_data);
    return;
  }

  /* Never from inside this call: the caller may not be ready for it. */
  g_queue_push_tail (&self->refused, command_new (callback, user_data));
  /* While disposing, dispose itself fails what is queued. */
  if (self->refuse_source == NULL && !self->disposing)
    self->refuse_source = attach (self, g_idle_source_new (), on_refuse);
}

void
ms_redis_command (MsRedis         *self,
                  MsRedisCallback  callback,
                  gpointer         user_data,
                  const char      *first_arg,
                  ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  va_list args;

  g_return_if_fail (MS_IS_REDIS (self));
  g_return_if_fail (first_arg != NULL);

  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);

  ms_redis_commandv (self, argv->len, (const char * const *) argv->pdata, NULL, callback,
                     user_data);
}
