/* test-utils.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define _GNU_SOURCE 1   /* unshare() */
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ms-token.h"
#include "test-utils.h"

struct _TestServer {
  GSubprocess      *process;
  GDataInputStream *out;
  char             *url;
  char             *http;
  GArray           *media_ports;   /* guint16, one per media worker */
  gboolean          exited;
};

struct _TestPeer {
  SoupSession             *session;
  SoupWebsocketConnection *connection;
  GError                  *error;
  GQueue                  *received;      /* MsMessage */
  gboolean                 closed;
  gushort                  close_code;
  gint64                   next_id;
  char                    *peer_id;
  char                    *resume;
  gboolean                 keep_offers;
};

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  char **line = user_data;
  g_autoptr (GError) error = NULL;

  *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                     &error);
  if (*line == NULL)
    *line = g_strdup (error ? error->message : "(end of output)");
}

static char *
read_line (TestServer *server)
{
  char *line = NULL;

  g_data_input_stream_read_line_async (server->out, G_PRIORITY_DEFAULT, NULL, on_line, &line);
  WAIT_UNTIL (line != NULL);

  return line;
}

guint
test_timeout_scale (void)
{
  static guint scale;

  if (scale == 0) {
    const char *env = g_getenv ("MEDIASTORE_TEST_TIMEOUT_SCALE");
    guint64 value = env ? g_ascii_strtoull (env, NULL, 10) : 1;

    scale = CLAMP (value, 1, 100);
  }

  return scale;
}

static gboolean
on_wake (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

guint
test_wake_source_add (void)
{
  return g_timeout_add (20, on_wake, NULL);
}

/* If the test dies on a failed assertion, take the server with it: it
 * shares the test's stderr, and meson waits for that to close. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* The port at the end of "media on udp://ADDRESS:PORT". */
static G_GNUC_NO_INLINE guint16
port_of (const char *line)
{
  const char *colon = strrchr (line, ':');

  return colon != NULL ? g_ascii_strtoull (colon + 1, NULL, 10) : 0;
}

TestServer *
test_server_start (const char *first_arg,
                   ...)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  TestServer *server = g_new0 (TestServer, 1);
  const char *binary = g_getenv ("MEDIASTORE_SERVER");
  va_list args;

  g_assert_nonnull (binary);

  g_ptr_array_add (argv, (gpointer) binary);
  g_ptr_array_add (argv, "--dev");
  g_ptr_array_add (argv, "--listen=127.0.0.1");
  g_ptr_array_add (argv, "--port=0");

  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_unsetenv (launcher, "MEDIASTORE_API_SECRET");
  /* Warnings of the libraries under the media path (libnice's UPnP client
   * failing to bind a port, say) depend on the machine: they must not
   * abort the server under test. Its own failures show in its exit status. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "gc-friendly", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                  &error);
  g_assert_no_error (error);
  server->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  server->media_ports = g_array_new (FALSE, FALSE, sizeof (guint16));

  /* The server prints where it listens once it does: no guessing. */
  for (;;) {
    g_autofree char *line = read_line (server);

    if (g_str_has_prefix (line, "media on udp://")) {
      guint16 port = port_of (line);

      g_array_append_val (server->media_ports, port);
      continue;
    }

    if (g_str_has_prefix (line, "listening on ws://")) {
      g_autoptr (GUri) uri = NULL;

      server->url = g_strdup (line + strlen ("listening on "));
      uri = g_uri_parse (server->url, G_URI_FLAGS_NONE, &error);
      g_assert_no_error (error);
      server->http = g_strdup_printf ("http://%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));
      break;
    }

    if (!g_subprocess_get_identifier (server->process) || g_str_has_prefix (line, "(end"))
      g_error ("mediastore-server did not start: %s", line);
  }

  return server;
}

const char *
test_server_get_url (TestServer *server)
{
  return server->url;
}

GArray *
test_server_get_media_ports (TestServer *server)
{
  return server->media_ports;
}

const char *
test_server_get_http (TestServer *server)
{
  return server->http;
}

GPid
test_server_get_pid (TestServer *server)
{
  const char *id = g_subprocess_get_identifier (server->process);

  return id ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

/* How often the server's media workers ("ms-engine" threads) have gone
 * to sleep and woken up again so far (their voluntary context switches). */
guint64
test_server_engine_wakeups (TestServer *server)
{
  g_autofree char *dir = g_strdup_printf ("/proc/%d/task", (int) test_server_get_pid (server));
  g_autoptr (GDir) tasks = g_dir_open (dir, 0, NULL);
  const char *tid;
  guint64 total = 0;

  g_assert_nonnull (tasks);
  while ((tid = g_dir_read_name (tasks)) != NULL) {
    g_autofree char *path = g_build_filename (dir, tid, "status", NULL);
    g_autofree char *status = NULL;
    const char *line;

    if (!g_file_get_contents (path, &status, NULL, NULL) ||
        !g_str_has_prefix (status, "Name:\tms-engine"))
      continue;
    line = strstr (status, "\nvoluntary_ctxt_switches:");
    g_assert_nonnull (line);
    total += g_ascii_strtoull (line + strlen ("\nvoluntary_ctxt_switches:"), NULL, 10);
  }
  return total;
}

gboolean
test_server_is_running (TestServer *server)
{
  return g_subprocess_get_identifier (server->process) != NULL;
}

static void
on_waited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

void
test_server_stop (TestServer *server)
{
  test_server_stop_with (server, SIGTERM);
}

void
test_server_stop_with (TestServer *server,
                       int         signum)
{
  gboolean done = FALSE;

  g_subprocess_send_signal (server->process, signum);
  g_subprocess_wait_async (server->process, NULL, on_waited, &done);
  WAIT_UNTIL (done);

  if (g_subprocess_get_if_signaled (server->process))
    g_test_message ("the server died of signal %d while stopping",
                    g_subprocess_get_term_sig (server->process));
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
  server->exited = TRUE;
}

/* Kills the server with SIGKILL, as a crash would, and reaps it. */
void
test_server_kill (TestServer *server)
{
  gboolean done = FALSE;

  g_subprocess_force_exit (server->process);
  g_subprocess_wait_async (server->process, NULL, on_waited, &done);
  WAIT_UNTIL (done);
  server->exited = TRUE;
}

void
test_server_wait_exit (TestServer *server,
                       int         status)
{
  gboolean done = FALSE;

  g_subprocess_wait_async (server->process, NULL, on_waited, &done);
  WAIT_UNTIL (done);
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, status);
  server->exited = TRUE;
}

void
test_server_free (TestServer *server)
{
  if (server == NULL)
    return;

  if (!server->exited && g_subprocess_get_identifier (server->process) != NULL) {
    g_subprocess_force_exit (server->process);
    g_subprocess_wait (server->process, NULL, NULL);
  }

  g_clear_object (&server->out);
  g_clear_object (&server->process);
  g_free (server->url);
  g_free (server->http);
  g_clear_pointer (&server->media_ports, g_array_unref);
  g_free (server);
}

static GStrv
grant_list (JsonObject *object,
            const char *name,
            const char *fallback)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array;

  if (object == NULL || !json_object_has_member (object, name)) {
    if (fallback != NULL)
      g_strv_builder_add (builder, fallback);
    return g_strv_builder_end (builder);
  }

  array = json_object_get_array_member (object, name);
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_strv_builder_add (builder, json_array_get_string_element (array, i));

  return g_strv_builder_end (builder);
}

char *
test_token (const char *room,
            const char *identity,
            const char *grants_json)
{
  return test_token_with_avatar (room, identity, grants_json, NULL);
}

char *
test_token_with_avatar (const char *room,
                        const char *identity,
                        const char *grants_json,
                        const char *avatar)
{
  g_autoptr (MsTokenClaims) claims = ms_token_claims_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *grants = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  char *token;

  if (grants_json != NULL) {
    json_parser_load_from_data (parser, grants_json, -1, &error);
    g_assert_no_error (error);
    grants = json_node_get_object (json_parser_get_root (parser));
  }

  claims->key_id = g_strdup (MS_DEV_KEY_ID);
  claims->identity = g_strdup (identity);
  claims->room = g_strdup (room);
  claims->name = g_strdup (identity);
  claims->avatar = g_strdup (avatar);
  claims->issued_at = now;
  claims->expires = now + 3600;
  claims->grants.send_tracks = grant_list (grants, "send_tracks", NULL);
  claims->grants.recv_tracks = grant_list (grants, "recv_tracks", "*");
  claims->grants.send_messages = grant_list (grants, "send_messages", NULL);
  claims->grants.recv_messages = grant_list (grants, "recv_messages", "*");
  claims->grants.can_hide = grants && json_object_get_boolean_member_with_default (grants,
                                                                                   "can_hide",
                                                                                   FALSE);
  claims->grants.hidden = grants && json_object_get_boolean_member_with_default (grants,
                                                                                 "hidden",
                                                                                 FALSE);
  claims->grants.host = grants && json_object_get_boolean_member_with_default (grants, "host",
                                                                               FALSE);

  token = ms_token_mint (claims, MS_DEV_SECRET, &error);
  g_assert_no_error (error);

  return token;
}

static char *
describe (const MsMessage *msg)
{
  gsize length;

  return ms_message_encode (msg, &length);
}

static void
on_message (SoupWebsocketConnection *connection,
            SoupWebsocketDataType    type,
            GBytes                  *bytes,
            TestPeer                *peer)
{
  g_autoptr (GError) error = NULL;
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);
  MsMessage *msg;

  /* Whatever the server sends must pass our own strict decoder. */
  msg = ms_message_decode (data, length, MS_DIRECTION_TO_CLIENT, NULL, NULL, &error);
  if (msg == NULL)
    g_error ("The server sent an invalid frame (%s): %.*s", error->message, (int) length, data);

  /* The signaling suites do not speak SDP: the media plane's answers,
   * offers and candidates are left to the media suite. */
  if (msg->type == MS_MSG_ANSWER || msg->type == MS_MSG_CANDIDATE ||
      (msg->type == MS_MSG_OFFER && msg->u.offer.pc == MS_PC_SUBSCRIBE && !peer->keep_offers)) {
    ms_message_free (msg);
    return;
  }

  g_queue_push_tail (peer->received, msg);
}

static void
on_closed (SoupWebsocketConnection *connection,
           TestPeer                *peer)
{
  peer->closed = TRUE;
  peer->close_code = soup_websocket_connection_get_close_code (connection);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  TestPeer *peer = user_data;

  peer->connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                            &peer->error);
  if (peer->connection == NULL && peer->error == NULL)
    g_set_error_literal (&peer->error, G_IO_ERROR, G_IO_ERROR_FAILED, "no connection");
}

TestPeer *
test_peer_connect_url (const char *url)
{
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, url);
  TestPeer *peer = g_new0 (TestPeer, 1);

  peer->session = soup_session_new ();
  peer->received = g_queue_new ();
  peer->next_id = 1000;

  soup_session_websocket_connect_async (peer->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_connected, peer);
  WAIT_UNTIL (peer->connection != NULL || peer->error != NULL);
  g_assert_no_error (peer->error);

  /* Tests send big frames on purpose; the server decides what is too big. */
  soup_websocket_connection_set_max_incoming_payload_size (peer->connection, 64 * 1024 * 1024);
  g_signal_connect (peer->connection, "message", G_CALLBACK (on_message), peer);
  g_signal_connect (peer->connection, "closed", G_CALLBACK (on_closed), peer);

  return peer;
}

TestPeer *
test_peer_connect (TestServer *server)
{
  return test_peer_connect_url (server->url);
}

TestPeer *
test_peer_join (TestServer *server,
                const char *room,
                const char *identity,
                const char *grants_json)
{
  return test_peer_join_full (server, room, identity, grants_json, FALSE);
}

TestPeer *
test_peer_join_full (TestServer *server,
                     const char *room,
                     const char *identity,
                     const char *grants_json,
                     gboolean    keep_offers)
{
  g_autofree char *token = test_token (room, identity, grants_json);
  g_autoptr (MsMessage) welcome = NULL;
  TestPeer *peer = test_peer_connect (server);

  peer->keep_offers = keep_offers;

  test_peer_send (peer, "{\"type\":\"join\",\"protocol\":1,\"token\":\"%s\"}", token);
  welcome = test_peer_expect (peer, MS_MSG_WELCOME);
  peer->peer_id = g_strdup (welcome->u.welcome.peer_id);
  peer->resume = g_strdup (welcome->u.welcome.resume);

  return peer;
}

void
test_peer_send_raw (TestPeer   *peer,
                    const char *text)
{
  g_assert_false (peer->closed);
  soup_websocket_connection_send_text (peer->connection, text);
}

void
test_peer_send (TestPeer   *peer,
                const char *format,
                ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  test_peer_send_raw (peer, text);
}

MsMessage *
test_peer_expect_any (TestPeer *peer)
{
  WAIT_UNTIL (!g_queue_is_empty (peer->received) || peer->closed);
  if (g_queue_is_empty (peer->received))
    g_error ("Expected a frame, but the connection closed with %u", peer->close_code);

  return g_queue_pop_head (peer->received);
}

MsMessage *
test_peer_expect (TestPeer  *peer,
                  MsMsgType  type)
{
  MsMessage *msg;

  WAIT_UNTIL (!g_queue_is_empty (peer->received) || peer->closed);
  if (g_queue_is_empty (peer->received))
    g_error ("Expected %s, but the connection closed with %u", ms_msg_type_to_string (type),
             peer->close_code);

  msg = g_queue_pop_head (peer->received);
  if (msg->type != type) {
    g_autofree char *text = describe (msg);

    g_error ("Expected %s, got %s", ms_msg_type_to_string (type), text);
  }

  return msg;
}

void
test_peer_expect_error (TestPeer        *peer,
                        MsProtocolError  code,
                        gint64           id)
{
  g_autoptr (MsMessage) error = test_peer_expect (peer, MS_MSG_ERROR);

  g_assert_cmpstr (ms_protocol_error_to_string (error->u.error.code), ==,
                   ms_protocol_error_to_string (code));
  g_assert_nonnull (error->u.error.message);
  g_assert_cmpuint (strlen (error->u.error.message), >, 0);
  if (id >= 0) {
    g_assert_true (error->has_id);
    g_assert_cmpint (error->id, ==, id);
  }
}

void
test_peer_expect_error_text (TestPeer        *peer,
                             MsProtocolError  code,
                             gint64           id,
                             const char      *part)
{
  g_autoptr (MsMessage) error = test_peer_expect (peer, MS_MSG_ERROR);

  g_assert_cmpstr (ms_protocol_error_to_string (error->u.error.code), ==,
                   ms_protocol_error_to_string (code));
  g_assert_true (error->has_id);
  g_assert_cmpint (error->id, ==, id);
  if (strstr (error->u.error.message, part) == NULL)
    g_error ("error message \"%s\" does not say \"%s\"", error->u.error.message, part);
}

static gboolean
is_barrier_reply (TestPeer *peer,
                  gint64    id,
                  MsMessage **out)
{
  for (GList *l = peer->received->head; l != NULL; l = l->next) {
    MsMessage *msg = l->data;

    if (msg->type == MS_MSG_ERROR && msg->has_id && msg->id == id) {
      *out = msg;
      g_queue_delete_link (peer->received, l);
      return TRUE;
    }
  }

  return FALSE;
}

void
test_peer_barrier (TestPeer *peer)
{
  g_autoptr (MsMessage) reply = NULL;
  gint64 id = peer->next_id++;

  test_peer_send (peer, "{\"type\":\"close-track\",\"id\":%" G_GINT64_FORMAT
                  ",\"tag\":\"barrier-no-such-tag\"}", id);
  WAIT_UNTIL (is_barrier_reply (peer, id, &reply) || peer->closed);
  g_assert_nonnull (reply);
}

guint
test_peer_drain (TestPeer  *peer,
                 MsMsgType  type)
{
  guint n = 0;
  GList *l = peer->received->head;

  while (l != NULL) {
    GList *next = l->next;
    MsMessage *msg = l->data;

    if (msg->type == type) {
      ms_message_free (msg);
      g_queue_delete_link (peer->received, l);
      n++;
    }
    l = next;
  }

  return n;
}

void
test_peer_assert_quiet (TestPeer *peer)
{
  if (!g_queue_is_empty (peer->received)) {
    g_autofree char *text = describe (g_queue_peek_head (peer->received));

    g_error ("Expected nothing, got %s", text);
  }
}

gushort
test_peer_wait_closed (TestPeer *peer)
{
  WAIT_UNTIL (peer->closed);

  return peer->close_code;
}

gboolean
test_peer_is_open (TestPeer *peer)
{
  return !peer->closed;
}

const char *
test_peer_get_id (TestPeer *peer)
{
  return peer->peer_id;
}

const char *
test_peer_get_resume (TestPeer *peer)
{
  return peer->resume;
}

void
test_peer_drop (TestPeer *peer)
{
  GIOStream *stream = soup_websocket_connection_get_io_stream (peer->connection);

  g_signal_handlers_disconnect_by_data (peer->connection, peer);
  g_io_stream_close (stream, NULL, NULL);
  peer->closed = TRUE;
}

void
test_peer_free (TestPeer *peer)
{
  if (peer == NULL)
    return;

  if (peer->connection != NULL) {
    g_signal_handlers_disconnect_by_data (peer->connection, peer);
    if (soup_websocket_connection_get_state (peer->connection) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (peer->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    g_clear_object (&peer->connection);
  }

  g_clear_object (&peer->session);
  g_clear_error (&peer->error);
  g_queue_free_full (peer->received, (GDestroyNotify) ms_message_free);
  g_free (peer->peer_id);
  g_free (peer->resume);
  g_free (peer);
}

char *
test_server_http (TestServer *server,
                  const char *method,
                  const char *path,
                  const char *bearer,
                  const char *body,
                  guint      *out_status)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (test_server_get_http (server), path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) response = NULL;
  g_autoptr (GError) error = NULL;

  if (bearer != NULL) {
    g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
  }

  if (body != NULL) {
    g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  }

  response = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  *out_status = soup_message_get_status (msg);

  return g_strndup (g_bytes_get_data (response, NULL), g_bytes_get_size (response));
}

guint64
test_metric_value (const char *text,
                   const char *name)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++) {
    if (g_str_has_prefix (lines[i], name) && lines[i][strlen (name)] == ' ')
      return g_ascii_strtoull (lines[i] + strlen (name) + 1, NULL, 10);
  }

  g_error ("metric %s not found", name);
}

/* Waits until the server reports @name at @value. Used where the event has
 * no message of its own (the server noticing a dropped socket): each poll
 * is a real request, bounded by the usual timeout. */
guint64
test_server_metric (TestServer *server,
                    const char *name)
{
  guint status;
  g_autofree char *text = test_server_http (server, "GET", "/metrics", NULL, NULL, &status);

  g_assert_cmpuint (status, ==, 200);

  return test_metric_value (text, name);
}

void
test_server_wait_metric (TestServer *server,
                         const char *name,
                         guint64     value)
{
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  for (;;) {
    guint status;
    g_autofree char *text = test_server_http (server, "GET", "/metrics", NULL, NULL, &status);

    g_assert_cmpuint (status, ==, 200);
    if (test_metric_value (text, name) == value)
      return;
    if (g_get_monotonic_time () > deadline)
      g_error ("timed out waiting for %s to reach %" G_GUINT64_FORMAT, name, value);
    g_main_context_iteration (NULL, FALSE);
  }
}

/* libnice warns when a port it tries is taken: a fact about the
 * machine, not a failure of ours. */
static gboolean
on_fatal_log (const char     *domain,
              GLogLevelFlags  level,
              const char     *message,
              gpointer        user_data)
{
  return !(domain != NULL && g_str_has_prefix (domain, "libnice") &&
           (level & G_LOG_LEVEL_WARNING));
}

void
test_media_warnings_not_fatal (void)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_test_log_set_fatal_handler (on_fatal_log, NULL);
}

GSocket *
test_bind_loopback (GSocketType  type,
                    guint16     *port)
{
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, type,
                                  type == G_SOCKET_TYPE_DATAGRAM ? G_SOCKET_PROTOCOL_UDP :
                                  G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_nonnull (socket);
  g_assert_true (g_socket_bind (socket, any_port, type != G_SOCKET_TYPE_DATAGRAM, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return socket;
}

/* ---- a network of our own ---- */

gboolean
test_set_loopback_up (gboolean up)
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

gboolean
test_enter_private_network (void)
{
  return unshare (CLONE_NEWNET) == 0 && test_set_loopback_up (TRUE);
}

/* Runs @name, from PATH or else /usr/sbin, with @args and returns what it
 * printed; a failure ends the test, naming @package. */
static char *
run_tool (const char         *name,
          const char         *package,
          const char * const *args)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) argv = NULL;
  g_autofree char *program = g_find_program_in_path (name);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  int wait_status = 0;

  if (program == NULL)
    program = g_build_filename ("/usr/sbin", name, NULL);   /* root's PATH may lack sbin */
  g_strv_builder_add (builder, program);
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);

  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &wait_status,
                     &error) ||
      !g_spawn_check_wait_status (wait_status, &error))
    g_error ("%s %s: %s%s%s (build-aux/install-deps.sh installs %s)", name, args[0],
             error->message, err && *err ? ": " : "", err ? err : "", package);

  return g_steal_pointer (&out);
}

char *
test_nft (const char * const *args)
{
  return run_tool ("nft", "nftables", args);
}

char *
test_ip (const char * const *args)
{
  return run_tool ("ip", "iproute2", args);
}

void
test_nft_output_chain (const char *table)
{
  const char *add_table[] = { "add", "table", "inet", table, NULL };
  const char *add_chain[] = { "add", "chain", "inet", table, "out",
                              "{ type filter hook output priority 0 ; }", NULL };

  g_free (test_nft (add_table));
  g_free (test_nft (add_chain));
}

void
test_nft_delete_table (const char *table)
{
  const char *delete[] = { "delete", "table", "inet", table, NULL };

  g_free (test_nft (delete));
}
