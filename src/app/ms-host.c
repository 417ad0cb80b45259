/* ms-host.c: a call hosted on this computer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts mediastore-server with a fresh secret from the kernel's CSPRNG
 * (on loopback, or on every address for a call open to the network),
 * mints the host's and the demo bot's tokens over the server's HTTP API
 * (POST /v1/token), and makes one invitation code for every guest (POST
 * /v1/invitations): each guest redeems it for a token of their own.
 * Nothing here waits on the UI thread: the server's output, its exit and
 * every request are asynchronous.
 *
 * The server keeps the call going: if it dies, it is started again at
 * once on the same port with the same secret and the same invitation
 * code, and the sessions reconnect by themselves ("server-restarted");
 * three deaths within 30 s end it ("server-failed"). Opening the call to
 * the network restarts it the same way, listening on every address.
 */

#define G_LOG_DOMAIN "MsHost"

#include "config.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <signal.h>
#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <qrencode.h>

#include "ms-host.h"
#include "ms-invite.h"
#include "ms-protocol.h"

#define ROOM "call"
#define API_KEY "mediastore-host"
#define TTL (12 * 3600)
/* A demo bot stays as long as the host: this is just longer than any call. */
#define BOT_DURATION "--duration=315360000"
#define MAX_DEATHS 3
#define DEATH_WINDOW_US (30 * G_USEC_PER_SEC)
#define STOP_GRACE_MS 1000
#define MAX_ANSWER (64 * 1024)

struct _MsHost {
  GObject       parent_instance;

  gboolean      lan;
  char         *secret;
  char         *program;       /* mediastore-server */
  GSubprocess  *server;
  GSubprocess  *bot;
  SoupSession  *http;
  GCancellable *cancellable;   /* everything in flight; cancelled by stop */
  guint         port;          /* 0 until the server first listens */
  char         *url;           /* the WebSocket URL, for us on this computer */
  char         *api;           /* http://127.0.0.1:PORT */
  char         *token;
  char         *code;
  char         *invite;
  gboolean      busy;          /* (re)starting the server */
  gboolean      stopped;
  gint64        deaths[MAX_DEATHS];
};

enum {
  PROP_0,
  PROP_ON_NETWORK,
  PROP_INVITE,
  PROP_BUSY,
  N_PROPS
};

enum {
  SERVER_RESTARTED,
  SERVER_FAILED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsHost, ms_host, G_TYPE_OBJECT)

static void
ms_host_dispose (GObject *object)
{
  MsHost *self = MS_HOST (object);

  ms_host_stop (self);
  g_clear_object (&self->http);

  G_OBJECT_CLASS (ms_host_parent_class)->dispose (object);
}

static void
ms_host_finalize (GObject *object)
{
  MsHost *self = MS_HOST (object);

  g_free (self->secret);
  g_free (self->program);
  g_free (self->url);
  g_free (self->api);
  g_free (self->token);
  g_free (self->code);
  g_free (self->invite);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (ms_host_parent_class)->finalize (object);
}

static void
ms_host_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  MsHost *self = MS_HOST (object);

  switch (prop_id) {
  case PROP_ON_NETWORK:
    g_value_set_boolean (value, self->lan);
    break;
  case PROP_INVITE:
    g_value_set_string (value, self->invite);
    break;
  case PROP_BUSY:
    g_value_set_boolean (value, self->busy);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_host_class_init (MsHostClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_host_dispose;
  object_class->finalize = ms_host_finalize;
  object_class->get_property = ms_host_get_property;

  /**
   * MsHost:on-network:
   *
   * Whether the server listens on every address (for others on the local
   * network) rather than on loopback only.
   */
  props[PROP_ON_NETWORK] =
    g_param_spec_boolean ("on-network", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MsHost:invite:
   *
   * The short invitation link, mediastore://HOST:PORT/CODE; its host
   * changes when the call is opened to the network.
   */
  props[PROP_INVITE] =
    g_param_spec_string ("invite", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MsHost:busy:
   *
   * Whether the server is being started or restarted.
   */
  props[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /**
   * MsHost::server-restarted:
   *
   * The server died and runs again, on the same port with the same
   * invitation code: the call goes on.
   */
  signals[SERVER_RESTARTED] =
    g_signal_new ("server-restarted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  /**
   * MsHost::server-failed:
   * @error: why
   *
   * The server died and could not be started again: the call is over.
   */
  signals[SERVER_FAILED] =
    g_signal_new ("server-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ms_host_init (MsHost *self)
{
  guint8 key[32];
  gsize got = 0;

  /* From the kernel's CSPRNG; getrandom() blocks only until it is seeded,
   * once after boot. */
  while (got < sizeof key) {
    ssize_t n = getrandom (key + got, sizeof key - got, 0);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      g_error ("getrandom: %s", g_strerror (errno));
    got += n;
  }
  self->secret = g_base64_encode (key, sizeof key);
  explicit_bzero (key, sizeof key);

  self->cancellable = g_cancellable_new ();
  self->http = soup_session_new_with_options ("timeout", 10, NULL);
}

/**
 * ms_host_new:
 * @lan: listen on every address, for others on the local network; else
 *   on loopback only
 */
MsHost *
ms_host_new (gboolean lan)
{
  MsHost *self = g_object_new (MS_TYPE_HOST, NULL);

  self->lan = lan;
  return self;
}

/* The installed program, or the one next to us in the build tree. */
static char *
find_program (const char *env,
              const char *name,
              const char *uninstalled)
{
  g_autofree char *installed = g_build_filename (BINDIR, name, NULL);

  if (g_getenv (env) != NULL)
    return g_strdup (g_getenv (env));
  if (g_file_test (uninstalled, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (uninstalled);
  if (g_file_test (installed, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&installed);
  return g_find_program_in_path (name);
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Only the server is given the secret. */
static GSubprocessLauncher *
new_launcher (MsHost          *self,
              GSubprocessFlags flags,
              gboolean         server)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  if (server) {
    g_subprocess_launcher_setenv (launcher, "MEDIASTORE_API_SECRET", self->secret, TRUE);
    g_subprocess_launcher_setenv (launcher, "MEDIASTORE_API_KEY", API_KEY, TRUE);
  } else {
    g_subprocess_launcher_unsetenv (launcher, "MEDIASTORE_API_SECRET");
  }
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);

  return launcher;
}

/* An address others on the network can reach us at. */
static char *
lan_address (void)
{
  struct ifaddrs *addrs = NULL;
  char *found = NULL;

  if (getifaddrs (&addrs) != 0)
    return NULL;

  for (struct ifaddrs *a = addrs; a != NULL && found == NULL; a = a->ifa_next) {
    char text[INET_ADDRSTRLEN];

    if (a->ifa_addr == NULL || a->ifa_addr->sa_family != AF_INET)
      continue;
    if (inet_ntop (AF_INET, &((struct sockaddr_in *) a->ifa_addr)->sin_addr, text, sizeof text) &&
        !g_str_has_prefix (text, "127."))
      found = g_strdup (text);
  }
  freeifaddrs (addrs);

  return found;
}

static void
set_busy (MsHost   *self,
          gboolean  busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BUSY]);
}

/* The link for the current code, at the address guests reach us at. */
static void
update_invite (MsHost *self)
{
  g_autofree char *host = self->lan ? lan_address () : NULL;
  g_autofree char *invite = NULL;

  if (self->code != NULL && self->port != 0)
    invite = ms_invite_build_code (host ? host : "127.0.0.1", self->port, self->code);
  if (g_strcmp0 (invite, self->invite) == 0)
    return;
  g_free (self->invite);
  self->invite = g_steal_pointer (&invite);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_INVITE]);
}

/* ---- the server's HTTP API ---- */

typedef struct {
  guint      status;
  JsonNode  *answer;   /* the body, if it was JSON */
} Answer;

static void
answer_free (gpointer data)
{
  Answer *answer = data;

  g_clear_pointer (&answer->answer, json_node_unref);
  g_free (answer);
}

static void
on_api_answer (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  Answer *answer;
  const char *data;
  gsize length = 0;

  if (body == NULL) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  answer = g_new0 (Answer, 1);
  answer->status = soup_message_get_status (msg);
  data = g_bytes_get_data (body, &length);
  if (data != NULL && length > 0 && length <= MAX_ANSWER &&
      ms_protocol_check_json (data, length, NULL) &&
      json_parser_load_from_data (parser, data, length, NULL) &&
      json_parser_get_root (parser) != NULL)
    answer->answer = json_node_copy (json_parser_get_root (parser));
  g_task_return_pointer (task, answer, answer_free);
}

/* @method @path on our server, with the API secret and @body (NULL for
 * none); completes with an Answer. */
static void
api_request (MsHost              *self,
             const char          *method,
             const char          *path,
             JsonNode            *body,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (self, self->cancellable, callback, user_data);
  g_autofree char *address = g_strconcat (self->api, path, NULL);
  g_autofree char *bearer = g_strconcat ("Bearer ", self->secret, NULL);
  SoupMessage *msg = soup_message_new (method, address);

  g_task_set_task_data (task, msg, g_object_unref);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  if (body != NULL) {
    char *text = json_to_string (body, FALSE);
    g_autoptr (GBytes) bytes = g_bytes_new_take (text, strlen (text));

    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  }
  soup_session_send_and_read_async (self->http, msg, G_PRIORITY_HIGH, self->cancellable,
                                    on_api_answer, task);
}

static const char *
answer_string (Answer     *answer,
               const char *name)
{
  JsonNode *node;

  if (answer->answer == NULL || !JSON_NODE_HOLDS_OBJECT (answer->answer))
    return NULL;
  node = json_object_get_member (json_node_get_object (answer->answer), name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/* The server's refusal as an error for the user. */
static GError *
api_error (Answer *answer)
{
  const char *message = answer_string (answer, "message");

  return g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, _("The call server refused: %s"),
                      message ? message : soup_status_get_phrase (answer->status));
}

/* The answer of an API call made for @task, if its status is @ok (or
 * @also_ok, when not 0) and it carries @member (when not NULL); otherwise
 * @task gets the error and this returns NULL. */
static Answer *
take_answer (GTask        *task,
             GAsyncResult *result,
             guint         ok,
             guint         also_ok,
             const char   *member)
{
  GError *error = NULL;
  Answer *answer = g_task_propagate_pointer (G_TASK (result), &error);

  if (answer == NULL) {
    g_task_return_error (task, error);
    return NULL;
  }
  if ((answer->status != ok && (also_ok == 0 || answer->status != also_ok)) ||
      (member != NULL && answer_string (answer, member) == NULL)) {
    g_task_return_error (task, api_error (answer));
    answer_free (answer);
    return NULL;
  }

  return answer;
}

/* A new invitation's code, from the answer to POST /v1/invitations made
 * for @task: kept as ours and shown; else @task gets the error. */
static gboolean
take_new_code (MsHost       *self,
               GTask        *task,
               GAsyncResult *result)
{
  Answer *answer = take_answer (task, result, SOUP_STATUS_CREATED, 0, "code");
  char *code;

  if (answer == NULL)
    return FALSE;
  code = ms_invite_normalize_code (answer_string (answer, "code"));
  if (code == NULL)
    g_task_return_error (task, api_error (answer));
  answer_free (answer);
  if (code == NULL)
    return FALSE;

  g_free (self->code);
  self->code = code;
  update_invite (self);
  return TRUE;
}

static void
add_strings (JsonBuilder *builder,
             const char  *name,
             const char  *first,
             ...)
{
  va_list args;

  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  va_start (args, first);
  for (const char *s = first; s != NULL; s = va_arg (args, const char *))
    json_builder_add_string_value (builder, s);
  va_end (args);
  json_builder_end_array (builder);
}

/* What every participant may do; the host may hide too, and the others
 * see it as the host ("host" grant). Invitations never carry "host". */
static void
add_grants (JsonBuilder *builder,
            gboolean     host)
{
  json_builder_set_member_name (builder, "grants");
  json_builder_begin_object (builder);
  add_strings (builder, "send_tracks", "camera", "microphone", "screen", NULL);
  add_strings (builder, "send_messages", "chat", NULL);
  add_strings (builder, "recv_tracks", "*", NULL);
  add_strings (builder, "recv_messages", "*", NULL);
  if (host) {
    json_builder_set_member_name (builder, "can_hide");
    json_builder_add_boolean_value (builder, TRUE);
    json_builder_set_member_name (builder, "host");
    json_builder_add_boolean_value (builder, TRUE);
  }
  json_builder_end_object (builder);
}

static JsonNode *
token_request (const char *identity,
               const char *name,
               gboolean    host)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "room");
  json_builder_add_string_value (builder, ROOM);
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, identity);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "ttl");
  json_builder_add_int_value (builder, TTL);
  add_grants (builder, host);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* @code NULL for a new one. */
static JsonNode *
invitation_request (const char *code)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "room");
  json_builder_add_string_value (builder, ROOM);
  json_builder_set_member_name (builder, "ttl");
  json_builder_add_int_value (builder, TTL);
  add_grants (builder, FALSE);
  if (code != NULL) {
    json_builder_set_member_name (builder, "code");
    json_builder_add_string_value (builder, code);
  }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* ---- the server process ---- */

static void on_server_exited (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data);

/* Reads what the server prints after it listens, so that its pipe never
 * fills. */
static void
on_drained (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source),
                                                                result, NULL, NULL);

  if (line != NULL)
    g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (source), G_PRIORITY_LOW, NULL,
                                         on_drained, NULL);
}

typedef struct {
  GSubprocess      *process;
  GDataInputStream *out;
} Launch;

static void
launch_free (gpointer data)
{
  Launch *launch = data;

  g_clear_object (&launch->process);
  g_clear_object (&launch->out);
  g_free (launch);
}

static void
on_launch_line (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MsHost *self = g_task_get_source_object (task);
  Launch *launch = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, &error);
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GUri) local = NULL;
  GWeakRef *watch;

  if (line == NULL) {
    if (error == NULL)
      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("The call server stopped as it started"));
    g_subprocess_force_exit (launch->process);
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  if (!g_str_has_prefix (line, "listening on ")) {
    /* Not in the call's arguments: they may be evaluated in any order,
     * and the task stolen before its cancellable is read. */
    GCancellable *cancellable = g_task_get_cancellable (task);

    g_data_input_stream_read_line_async (launch->out, G_PRIORITY_HIGH, cancellable,
                                         on_launch_line, g_steal_pointer (&task));
    return;
  }

  uri = g_uri_parse (line + strlen ("listening on "), G_URI_FLAGS_NONE, &error);
  if (uri == NULL || g_uri_get_port (uri) <= 0) {
    g_subprocess_force_exit (launch->process);
    if (error == NULL)
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The call server said “%s”"), line);
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  /* Listening on every address or on loopback, we reach it on loopback. */
  self->port = g_uri_get_port (uri);
  local = g_uri_build (G_URI_FLAGS_NONE, "ws", NULL, "127.0.0.1", self->port, "/v1/ws", NULL,
                       NULL);
  g_free (self->url);
  self->url = g_uri_to_string (local);
  g_free (self->api);
  self->api = g_strdup_printf ("http://127.0.0.1:%u", self->port);

  g_set_object (&self->server, launch->process);
  watch = g_new0 (GWeakRef, 1);
  g_weak_ref_init (watch, self);
  g_subprocess_wait_async (launch->process, NULL, on_server_exited, watch);
  g_data_input_stream_read_line_async (launch->out, G_PRIORITY_LOW, NULL, on_drained, NULL);

  g_task_return_boolean (task, TRUE);
}

/* Starts the server on our port (any, the first time), on every address
 * or on loopback; done once it listens. */
static void
launch_server (MsHost              *self,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, self->cancellable, callback, user_data);
  g_autoptr (GSubprocessLauncher) launcher =
    new_launcher (self, G_SUBPROCESS_FLAGS_STDOUT_PIPE, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree char *port = g_strdup_printf ("--port=%u", self->port);
  Launch *launch = g_new0 (Launch, 1);

  g_task_set_task_data (task, launch, launch_free);
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "", TRUE);
  launch->process = g_subprocess_launcher_spawn (launcher, &error, self->program, port,
                                                 self->lan ? "--listen=0.0.0.0"
                                                           : "--listen=127.0.0.1",
                                                 NULL);
  if (launch->process == NULL) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  launch->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (launch->process));
  g_data_input_stream_read_line_async (launch->out, G_PRIORITY_HIGH, self->cancellable,
                                       on_launch_line, g_steal_pointer (&task));
}

typedef struct {
  GSubprocess *old;
  guint        timeout_id;
} Stopping;

static void
stopping_free (gpointer data)
{
  Stopping *stopping = data;

  g_clear_handle_id (&stopping->timeout_id, g_source_remove);
  g_clear_object (&stopping->old);
  g_free (stopping);
}

static gboolean
force_exit (gpointer user_data)
{
  Stopping *stopping = user_data;

  stopping->timeout_id = 0;
  g_subprocess_force_exit (stopping->old);
  return G_SOURCE_REMOVE;
}

static void
on_old_server_gone (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  g_task_return_boolean (task, TRUE);
}

/* Stops the server on purpose (its exit is not a death): a moment to
 * tell everyone it goes away, then it is killed. Done when it is gone and
 * its port is free. */
static void
stop_server (MsHost              *self,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (self, self->cancellable, callback, user_data);
  Stopping *stopping = g_new0 (Stopping, 1);

  stopping->old = g_steal_pointer (&self->server);
  g_task_set_task_data (task, stopping, stopping_free);
  if (stopping->old == NULL) {
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  g_subprocess_send_signal (stopping->old, SIGTERM);
  stopping->timeout_id = g_timeout_add (STOP_GRACE_MS, force_exit, stopping);
  g_subprocess_wait_async (stopping->old, NULL, on_old_server_gone, task);
}

/* ---- restarting: the same port, the same secret, the same code ---- */

static void
on_restart_invitation (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MsHost *self = g_task_get_source_object (task);
  /* 409: the server knew the code already. */
  Answer *answer = take_answer (task, result, SOUP_STATUS_CREATED, SOUP_STATUS_CONFLICT, NULL);

  if (answer != NULL) {
    g_task_return_boolean (task, TRUE);
    answer_free (answer);
  }
  update_invite (self);
}

static void
on_restart_launched (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MsHost *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) body = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  if (self->code == NULL) {
    update_invite (self);
    g_task_return_boolean (task, TRUE);
    return;
  }
  body = invitation_request (self->code);
  api_request (self, SOUP_METHOD_POST, "/v1/invitations", body, on_restart_invitation,
               g_steal_pointer (&task));
}

static void
restart_server (MsHost              *self,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GTask *task = g_task_new (self, self->cancellable, callback, user_data);

  launch_server (self, on_restart_launched, task);
}

static void
fail (MsHost *self,
      GError *error)
{
  g_message ("%s", error->message);
  g_clear_object (&self->server);
  g_signal_emit (self, signals[SERVER_FAILED], 0, error);
}

static void restart_after_death (MsHost     *self,
                                 const char *why);

static void
on_restarted_after_death (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  MsHost *self = MS_HOST (source);
  g_autoptr (GError) error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error)) {
    set_busy (self, FALSE);
    g_signal_emit (self, signals[SERVER_RESTARTED], 0);
  } else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    /* Say, its port taken meanwhile: another try counts as a death. */
    restart_after_death (self, error->message);
  }
}

/* The server is gone without being asked to: again, unless that happened
 * too often of late. */
static void
restart_after_death (MsHost     *self,
                     const char *why)
{
  gint64 now = g_get_monotonic_time ();
  guint recent = 0;

  g_clear_object (&self->server);
  memmove (self->deaths + 1, self->deaths, sizeof self->deaths - sizeof self->deaths[0]);
  self->deaths[0] = now;
  for (guint i = 0; i < MAX_DEATHS; i++)
    recent += self->deaths[i] != 0 && now - self->deaths[i] < DEATH_WINDOW_US;
  if (recent >= MAX_DEATHS) {
    g_autoptr (GError) error =
      g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                   ngettext ("The call server stopped %u time in a short while: the call ended",
                             "The call server stopped %u times in a short while: the call ended",
                             recent), recent);

    if (why != NULL)
      g_message ("%s", why);
    set_busy (self, FALSE);
    fail (self, error);
    return;
  }

  g_message ("The call server stopped%s%s; starting it again on port %u", why ? ": " : "",
             why ? why : "", self->port);
  set_busy (self, TRUE);
  restart_server (self, on_restarted_after_death, NULL);
}

static void
on_server_exited (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GWeakRef *watch = user_data;
  g_autoptr (MsHost) self = g_weak_ref_get (watch);

  g_weak_ref_clear (watch);
  g_free (watch);
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);

  /* Stopped on purpose, or replaced. */
  if (self == NULL || self->stopped || G_SUBPROCESS (source) != self->server)
    return;

  restart_after_death (self, NULL);
}

/* ---- starting ---- */

typedef struct {
  char     *display_name;
  gboolean  demo_bot;
} StartData;

static void
start_data_free (gpointer data)
{
  StartData *start = data;

  g_free (start->display_name);
  g_free (start);
}

static void
on_bot_token (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MsHost *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autofree char *bot = NULL;
  g_autofree char *token_arg = NULL;
  g_autofree char *url_arg = NULL;
  Answer *answer = take_answer (task, result, SOUP_STATUS_OK, 0, "token");

  if (answer == NULL)
    return;

  bot = find_program ("MEDIASTORE_BOT", "mediastore-bot", BUILD_BOT);
  if (bot != NULL) {
    launcher = new_launcher (self, G_SUBPROCESS_FLAGS_STDOUT_SILENCE, FALSE);
    token_arg = g_strconcat ("--token=", answer_string (answer, "token"), NULL);
    url_arg = g_strconcat ("--url=", self->url, NULL);
    g_subprocess_launcher_setenv (launcher, "MEDIASTORE_AUDIO_SINK", "fakesink", TRUE);
    /* --stay alone only matters with --expect-tracks: the duration is
     * what keeps it in the call, until we stop it. */
    self->bot = g_subprocess_launcher_spawn (launcher, &error, bot, url_arg, token_arg,
                                             "--publish=camera=test-video,microphone=test-audio",
                                             "--stay", BOT_DURATION, NULL);
  }
  answer_free (answer);

  if (bot != NULL && self->bot == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_invitation (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MsHost *self = g_task_get_source_object (task);
  StartData *start = g_task_get_task_data (task);
  g_autoptr (JsonNode) body = NULL;

  if (!take_new_code (self, task, result))
    return;
  if (!start->demo_bot) {
    g_task_return_boolean (task, TRUE);
    return;
  }
  /* Translators: the name of the demonstration participant. */
  body = token_request ("demo-bot", _("Demo Bot"), FALSE);
  api_request (self, SOUP_METHOD_POST, "/v1/token", body, on_bot_token, g_steal_pointer (&task));
}

static void
on_host_token (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MsHost *self = g_task_get_source_object (task);
  g_autoptr (JsonNode) body = NULL;
  Answer *answer = take_answer (task, result, SOUP_STATUS_OK, 0, "token");

  if (answer == NULL)
    return;
  g_free (self->token);
  self->token = g_strdup (answer_string (answer, "token"));
  answer_free (answer);

  body = invitation_request (NULL);
  api_request (self, SOUP_METHOD_POST, "/v1/invitations", body, on_invitation,
               g_steal_pointer (&task));
}

static void
on_first_launch (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MsHost *self = g_task_get_source_object (task);
  StartData *start = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) body = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  body = token_request ("host", start->display_name, TRUE);
  api_request (self, SOUP_METHOD_POST, "/v1/token", body, on_host_token, g_steal_pointer (&task));
}

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MsHost *self = MS_HOST (source);
  g_autoptr (GError) error = NULL;

  set_busy (self, FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    ms_host_stop (self);
    g_task_return_error (task, g_steal_pointer (&error));
  } else {
    g_task_return_boolean (task, TRUE);
  }
}

void
ms_host_start_async (MsHost              *self,
                     const char          *display_name,
                     gboolean             demo_bot,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  GTask *inner;
  StartData *start;

  g_return_if_fail (MS_IS_HOST (self));

  g_free (self->program);
  self->program = find_program ("MEDIASTORE_SERVER", "mediastore-server", BUILD_SERVER);
  if (self->program == NULL) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                             _("The call server, mediastore-server, is not installed"));
    return;
  }
  if (self->busy || self->server != NULL || self->stopped) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY, _("The call is hosted already"));
    return;
  }

  /* The steps run under our own cancellable, which stopping cancels; the
   * caller's cancels them too. */
  if (cancellable != NULL)
    g_cancellable_connect (cancellable, G_CALLBACK (g_cancellable_cancel),
                           g_object_ref (self->cancellable), g_object_unref);
  inner = g_task_new (self, self->cancellable, on_started, g_steal_pointer (&task));
  start = g_new0 (StartData, 1);
  start->display_name = g_strdup (display_name && *display_name ? display_name
                                                                : g_get_real_name ());
  start->demo_bot = demo_bot;
  g_task_set_task_data (inner, start, start_data_free);
  set_busy (self, TRUE);
  launch_server (self, on_first_launch, inner);
}

gboolean
ms_host_start_finish (MsHost        *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ms_host_stop (MsHost *self)
{
  g_return_if_fail (MS_IS_HOST (self));

  self->stopped = TRUE;
  g_cancellable_cancel (self->cancellable);
  if (self->bot != NULL) {
    g_subprocess_send_signal (self->bot, SIGTERM);
    g_clear_object (&self->bot);
  }
  if (self->server != NULL) {
    g_subprocess_send_signal (self->server, SIGTERM);
    g_clear_object (&self->server);
  }
}

/* ---- opening to the network ---- */

static void
on_network_restarted (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MsHost *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;

  set_busy (self, FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_autoptr (GError) failed = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                               _("The call server could not be started again: %s"),
                                               error->message);

      fail (self, failed);
    }
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  g_task_return_boolean (task, TRUE);
}

static void
on_network_stopped (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MsHost *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    set_busy (self, FALSE);
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  restart_server (self, on_network_restarted, g_steal_pointer (&task));
}

/**
 * ms_host_set_on_network:
 * @on: listen on every address; else on loopback only
 *
 * Restarts the running server on the same port with the same secret and
 * the same invitation code: the call goes on, and the invitation link
 * changes to the address others reach. Done at once when nothing changes.
 */
void
ms_host_set_on_network (MsHost              *self,
                        gboolean             on,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (MS_IS_HOST (self));

  on = !!on;
  if (self->busy) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY,
                             _("The call server is starting: try again in a moment"));
    return;
  }
  if (self->lan == on) {
    g_task_return_boolean (task, TRUE);
    return;
  }

  self->lan = on;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ON_NETWORK]);
  if (self->server == NULL || self->stopped) {
    /* Not hosting (yet): the next start listens as asked. */
    g_task_return_boolean (task, TRUE);
    return;
  }
  set_busy (self, TRUE);
  stop_server (self, on_network_stopped, g_steal_pointer (&task));
}

gboolean
ms_host_set_on_network_finish (MsHost        *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- the invitation ---- */

static void
on_revoked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  /* 404: gone already. */
  Answer *answer = take_answer (task, result, SOUP_STATUS_NO_CONTENT, SOUP_STATUS_NOT_FOUND, NULL);

  if (answer != NULL) {
    g_task_return_boolean (task, TRUE);
    answer_free (answer);
  }
}

void
ms_host_revoke_invite (MsHost              *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *path = NULL;

  g_return_if_fail (MS_IS_HOST (self));

  if (self->code == NULL || self->api == NULL) {
    g_task_return_boolean (task, TRUE);
    return;
  }
  path = g_strconcat ("/v1/invitations/", self->code, NULL);
  /* Not to be made again after a restart. */
  g_clear_pointer (&self->code, g_free);
  update_invite (self);
  api_request (self, SOUP_METHOD_DELETE, path, NULL, on_revoked, g_steal_pointer (&task));
}

gboolean
ms_host_revoke_invite_finish (MsHost        *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_renewed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;

  if (take_new_code (g_task_get_source_object (task), task, result))
    g_task_return_boolean (task, TRUE);
}

static void
on_revoked_for_renew (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MsHost *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) body = NULL;

  if (!ms_host_revoke_invite_finish (self, result, &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  body = invitation_request (NULL);
  api_request (self, SOUP_METHOD_POST, "/v1/invitations", body, on_renewed,
               g_steal_pointer (&task));
}

void
ms_host_renew_invite (MsHost              *self,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (MS_IS_HOST (self));

  if (self->api == NULL || self->server == NULL) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                             _("The call is not hosted"));
    g_object_unref (task);
    return;
  }
  ms_host_revoke_invite (self, cancellable, on_revoked_for_renew, task);
}

gboolean
ms_host_renew_invite_finish (MsHost        *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- what there is to know ---- */

/* Whether others on the network can reach the call. */
gboolean
ms_host_get_on_network (MsHost *self)
{
  g_return_val_if_fail (MS_IS_HOST (self), FALSE);

  return self->lan;
}

gboolean
ms_host_get_busy (MsHost *self)
{
  g_return_val_if_fail (MS_IS_HOST (self), FALSE);

  return self->busy;
}

const char *
ms_host_get_url (MsHost *self)
{
  g_return_val_if_fail (MS_IS_HOST (self), NULL);

  return self->url;
}

const char *
ms_host_get_token (MsHost *self)
{
  g_return_val_if_fail (MS_IS_HOST (self), NULL);

  return self->token;
}

const char *
ms_host_get_invite (MsHost *self)
{
  g_return_val_if_fail (MS_IS_HOST (self), NULL);

  return self->invite;
}

const char *
ms_host_get_code (MsHost *self)
{
  g_return_val_if_fail (MS_IS_HOST (self), NULL);

  return self->code;
}

/* The running server's process id, 0 if none: for tests. */
GPid
ms_host_get_server_pid (MsHost *self)
{
  const char *id;

  g_return_val_if_fail (MS_IS_HOST (self), 0);

  id = self->server ? g_subprocess_get_identifier (self->server) : NULL;
  return id ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

/* The invitation as a QR code: black modules on white with the quiet zone
 * of four modules the standard asks for. */
GdkTexture *
ms_host_make_qr_code (MsHost *self)
{
  const int scale = 6;
  const int quiet = 4;
  QRcode *code;
  g_autoptr (GBytes) bytes = NULL;
  guint8 *pixels;
  int side;
  int stride;

  g_return_val_if_fail (MS_IS_HOST (self), NULL);

  if (self->invite == NULL)
    return NULL;
  code = QRcode_encodeString (self->invite, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (code == NULL)
    return NULL;

  side = (code->width + 2 * quiet) * scale;
  stride = side * 3;
  pixels = g_malloc (stride * side);
  memset (pixels, 0xff, stride * side);
  for (int y = 0; y < code->width; y++) {
    for (int x = 0; x < code->width; x++) {
      if (!(code->data[y * code->width + x] & 1))
        continue;
      for (int dy = 0; dy < scale; dy++)
        memset (pixels + ((y + quiet) * scale + dy) * stride + (x + quiet) * scale * 3, 0,
                scale * 3);
    }
  }
  QRcode_free (code);

  bytes = g_bytes_new_take (pixels, stride * side);
  return gdk_memory_texture_new (side, side, GDK_MEMORY_R8G8B8, bytes, stride);
}
