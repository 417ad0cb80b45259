/* ms-host.c: a call hosted on this computer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts mediastore-server with a fresh random secret (on loopback, or on
 * every address for a LAN call), makes the tokens with the server's own
 * token command, and optionally starts a demo bot that sends a test
 * pattern and a tone. Everything started here stops with the host.
 */

#define G_LOG_DOMAIN "MsHost"

#include "config.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <signal.h>

#include <glib/gi18n.h>
#include <qrencode.h>

#include "ms-host.h"
#include "ms-invite.h"

#define ROOM "call"
#define API_KEY "mediastore-host"

struct _MsHost {
  GObject       parent_instance;

  gboolean      lan;
  char         *secret;
  GSubprocess  *server;
  GSubprocess  *bot;
  char         *url;
  char         *token;
  char         *invite;
};

G_DEFINE_FINAL_TYPE (MsHost, ms_host, G_TYPE_OBJECT)

static void
ms_host_dispose (GObject *object)
{
  ms_host_stop (MS_HOST (object));

  G_OBJECT_CLASS (ms_host_parent_class)->dispose (object);
}

static void
ms_host_finalize (GObject *object)
{
  MsHost *self = MS_HOST (object);

  g_free (self->secret);
  g_free (self->url);
  g_free (self->token);
  g_free (self->invite);

  G_OBJECT_CLASS (ms_host_parent_class)->finalize (object);
}

static void
ms_host_class_init (MsHostClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_host_dispose;
  object_class->finalize = ms_host_finalize;
}

static void
ms_host_init (MsHost *self)
{
  guint8 key[32];

  for (guint i = 0; i < sizeof key; i++)
    key[i] = g_random_int_range (0, 256);
  self->secret = g_base64_encode (key, sizeof key);
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

static GSubprocessLauncher *
new_launcher (MsHost         *self,
              GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_setenv (launcher, "MEDIASTORE_API_SECRET", self->secret, TRUE);
  g_subprocess_launcher_setenv (launcher, "MEDIASTORE_API_KEY", API_KEY, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);

  return launcher;
}

static char *
make_token (MsHost      *self,
            const char  *server,
            const char  *identity,
            const char  *name,
            gboolean     host,
            GError     **error)
{
  g_autoptr (GSubprocessLauncher) launcher =
    new_launcher (self, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *name_arg = g_strconcat ("--name=", name, NULL);
  g_autofree char *identity_arg = g_strconcat ("--identity=", identity, NULL);
  const char *argv[] = {
    server, "token", "--room=" ROOM, identity_arg, name_arg,
    "--send-tracks=camera,microphone,screen", "--send-messages=chat", "--ttl=12h",
    host ? "--can-hide" : NULL, NULL
  };

  process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (process == NULL ||
      !g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, error))
    return NULL;
  if (!g_subprocess_get_successful (process)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not make an invitation: %s"),
                 err ? g_strstrip (err) : "");
    return NULL;
  }

  return g_strstrip (g_steal_pointer (&out));
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

typedef struct {
  GDataInputStream *out;
  char             *server;
  char             *display_name;
  gboolean          demo_bot;
} StartData;

static void
start_data_free (gpointer data)
{
  StartData *start = data;

  g_clear_object (&start->out);
  g_free (start->server);
  g_free (start->display_name);
  g_free (start);
}

static gboolean
finish_start (MsHost     *self,
              StartData  *start,
              const char *listening,
              GError    **error)
{
  g_autoptr (GUri) uri = g_uri_parse (listening, G_URI_FLAGS_NONE, error);
  g_autofree char *guest = NULL;
  g_autofree char *guest_id = g_uuid_string_random ();
  g_autofree char *host = NULL;
  g_autofree char *bot_token = NULL;

  if (uri == NULL)
    return FALSE;

  self->url = g_strdup (listening);
  if (self->lan) {
    /* Listening on every address: we reach ourselves on loopback. */
    g_autoptr (GUri) local = g_uri_build (G_URI_FLAGS_NONE, "ws", NULL, "127.0.0.1",
                                          g_uri_get_port (uri), "/v1/ws", NULL, NULL);

    g_free (self->url);
    self->url = g_uri_to_string (local);
    host = lan_address ();
  }
  if (host == NULL)
    host = g_strdup (g_uri_get_host (uri));

  self->token = make_token (self, start->server, "host", start->display_name, TRUE, error);
  if (self->token == NULL)
    return FALSE;
  /* Translators: the name a guest has until they choose their own. */
  guest = make_token (self, start->server, guest_id, _("Guest"), FALSE, error);
  if (guest == NULL)
    return FALSE;
  self->invite = ms_invite_build (host, g_uri_get_port (uri), ROOM, guest);

  if (start->demo_bot) {
    g_autofree char *bot = find_program ("MEDIASTORE_BOT", "mediastore-bot", BUILD_BOT);
    g_autoptr (GSubprocessLauncher) launcher = new_launcher (self, G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_autofree char *token_arg = NULL;
    g_autofree char *url_arg = g_strconcat ("--url=", self->url, NULL);

    /* Translators: the name of the demonstration participant. */
    bot_token = make_token (self, start->server, "demo-bot", _("Demo Bot"), FALSE, error);
    if (bot_token == NULL || bot == NULL)
      return bot_token != NULL;
    token_arg = g_strconcat ("--token=", bot_token, NULL);
    g_subprocess_launcher_setenv (launcher, "MEDIASTORE_AUDIO_SINK", "fakesink", TRUE);
    self->bot = g_subprocess_launcher_spawn (launcher, error, bot, url_arg, token_arg,
                                             "--publish=camera=test-video,microphone=test-audio",
                                             "--stay", NULL);
    if (self->bot == NULL)
      return FALSE;
  }

  return TRUE;
}

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MsHost *self = g_task_get_source_object (task);
  StartData *start = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, &error);

  if (line == NULL) {
    if (error == NULL)
      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("The call server stopped as it started"));
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  if (!g_str_has_prefix (line, "listening on ")) {
    GCancellable *cancellable = g_task_get_cancellable (task);

    g_data_input_stream_read_line_async (start->out, G_PRIORITY_DEFAULT, cancellable, on_line,
                                         g_steal_pointer (&task));
    return;
  }

  if (!finish_start (self, start, line + strlen ("listening on "), &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
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
  g_autoptr (GSubprocessLauncher) launcher = new_launcher (self, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GError) error = NULL;
  StartData *start = g_new0 (StartData, 1);

  g_task_set_task_data (task, start, start_data_free);
  start->server = find_program ("MEDIASTORE_SERVER", "mediastore-server", BUILD_SERVER);
  start->display_name = g_strdup (display_name && *display_name ? display_name : g_get_real_name ());
  start->demo_bot = demo_bot;

  if (start->server == NULL) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                             _("The call server, mediastore-server, is not installed"));
    return;
  }

  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "", TRUE);
  self->server = g_subprocess_launcher_spawn (launcher, &error, start->server, "--port=0",
                                              self->lan ? "--listen=0.0.0.0" : "--listen=127.0.0.1",
                                              NULL);
  if (self->server == NULL) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  start->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->server));
  g_data_input_stream_read_line_async (start->out, G_PRIORITY_DEFAULT, cancellable, on_line,
                                       g_steal_pointer (&task));
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

  if (self->bot != NULL) {
    g_subprocess_send_signal (self->bot, SIGTERM);
    g_clear_object (&self->bot);
  }
  if (self->server != NULL) {
    g_subprocess_send_signal (self->server, SIGTERM);
    g_clear_object (&self->server);
  }
}

/* Whether others on the network can reach the call. */
gboolean
ms_host_get_on_network (MsHost *self)
{
  g_return_val_if_fail (MS_IS_HOST (self), FALSE);

  return self->lan;
}

const char *
ms_host_get_url (MsHost *self)
{
  return self->url;
}

const char *
ms_host_get_token (MsHost *self)
{
  return self->token;
}

const char *
ms_host_get_invite (MsHost *self)
{
  return self->invite;
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
