/* ms-serve-command.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Configuration comes from, weakest first: built-in defaults, the
 * --config key file and the command-line flags. The API secret, when
 * neither gives one, comes from MEDIASTORE_API_SECRET (a secret on the
 * command line is visible to every local user). Logs go to the journal
 * when stderr is connected to it, else to stderr, one line per event.
 */

#define G_LOG_DOMAIN "MsServer"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include <gst/gst.h>

#include "ms-serve-command.h"
#include "ms-server.h"

static gboolean verbose;

static GLogWriterOutput
write_log (GLogLevelFlags   level,
           const GLogField *fields,
           gsize            n_fields,
           gpointer         user_data)
{
  g_autofree char *line = NULL;
  g_autoptr (GDateTime) now = NULL;
  g_autofree char *stamp = NULL;
  const char *message = NULL;
  const char *name;

  if ((level & G_LOG_LEVEL_DEBUG) && !verbose)
    return G_LOG_WRITER_HANDLED;

  if (g_log_writer_is_journald (fileno (stderr)))
    return g_log_writer_journald (level, fields, n_fields, user_data);

  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal (fields[i].key, "MESSAGE"))
      message = fields[i].value;
  }

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    name = "ERROR";
  else if (level & G_LOG_LEVEL_WARNING)
    name = "WARN";
  else if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    name = "INFO";
  else
    name = "DEBUG";

  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format (now, "%FT%H:%M:%S.%fZ");
  line = g_strdup_printf ("%s %-5s %s\n", stamp, name, message ? message : "");
  fputs (line, stderr);
  fflush (stderr);

  return G_LOG_WRITER_HANDLED;
}

static void
on_stopped (MsServer  *server,
            GMainLoop *loop)
{
  g_main_loop_quit (loop);
}

static gboolean
on_signal (gpointer user_data)
{
  MsServer *server = user_data;

  ms_server_shutdown (server);

  return G_SOURCE_CONTINUE;
}

/* SIGTERM: a node of a cluster drains (no new rooms, and it stops when
 * its calls have ended), as orchestrators expect; a second SIGTERM, or
 * SIGINT, stops it at once. Alone, the server stops at once. */
static gboolean
on_term (gpointer user_data)
{
  MsServer *server = user_data;
  static gboolean draining;

  if (draining || !ms_server_is_clustered (server)) {
    ms_server_shutdown (server);
  } else {
    draining = TRUE;
    ms_server_drain (server);
  }

  return G_SOURCE_CONTINUE;
}

/* The Redis URL may hold its password: MEDIASTORE_REDIS_URL keeps it
 * out of the process list, as MEDIASTORE_API_SECRET does the secret. */
static gboolean
resolve_redis_url (MsConfig *config)
{
  const char *env_redis = g_getenv ("MEDIASTORE_REDIS_URL");

  if (config->cluster_redis_url == NULL && env_redis != NULL && *env_redis != '\0')
    config->cluster_redis_url = g_strdup (env_redis);
  return TRUE;
}

static gboolean
resolve_keys (MsConfig   *config,
              MsKeyring  *keyring,
              GError    **error)
{
  const char *env_secret = g_getenv ("MEDIASTORE_API_SECRET");
  const char *env_key = g_getenv ("MEDIASTORE_API_KEY");

  if (config->api_secret == NULL && env_secret != NULL && *env_secret != '\0') {
    config->api_secret = g_strdup (env_secret);
    if (env_key != NULL && *env_key != '\0') {
      g_free (config->api_key);
      config->api_key = g_strdup (env_key);
    }
  }

  /* --dev always means the development key, so that `token --dev` works. */
  if (config->dev) {
    g_free (config->api_secret);
    g_free (config->api_key);
    config->api_key = g_strdup (MS_DEV_KEY_ID);
    config->api_secret = g_strdup (MS_DEV_SECRET);
  }

  if (config->api_secret == NULL) {
    g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                 _("No API secret: set “api-secret” in the [auth] group of the --config file "
                   "or MEDIASTORE_API_SECRET, or use --dev on a development machine"));
    return FALSE;
  }

  return ms_keyring_add (keyring, config->api_key, config->api_secret, error);
}

static void
print_dev_help (const char  *program,
                char       **urls)
{
  g_print (_("Development mode: tokens are signed with a well-known key. Never expose this "
             "server.\n"));
  g_print (_("Make a token for someone to join the room “demo”:\n"));
  /* The program as it was started, so the line can be pasted as it is. */
  g_print ("  %s token --dev --room demo --identity alice "
           "--send-tracks camera,microphone,screen --send-messages chat\n", program);
  g_print (_("Then connect a client to %s with that token.\n"), urls[0]);
}

int
ms_serve_command_run (int    argc,
                      char **argv)
{
  g_autoptr (MsConfigFlags) flags = ms_config_flags_new ();
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (MsConfig) config = ms_config_new ();
  g_autoptr (MsKeyring) keyring = ms_keyring_new ();
  g_autoptr (MsServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) urls = NULL;
  g_auto (GStrv) media_urls = NULL;
  g_autofree char *config_path = NULL;
  gboolean version = FALSE;
  gboolean dev;
  g_autofree char *program = g_strdup (argv[0]);
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      N_("Read the configuration from this key file"), N_("FILE") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log debugging messages"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };

  context = g_option_context_new (_("— the Mediastore media server"));
  g_option_context_set_main_group (context, ms_config_flags_get_group (flags));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
                                    _("Mint tokens with “mediastore-server token --help”."));
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }

  if (argc > 1) {
    g_printerr (_("Unexpected argument “%s”"), argv[1]);
    g_printerr ("\n");
    g_printerr (_("Try “%s --help” for more information.\n"), "mediastore-server");
    return 2;
  }

  if (version) {
    g_print ("mediastore-server %s\n", PACKAGE_VERSION);
    return 0;
  }

  g_log_set_writer_func (write_log, NULL, NULL);

  if ((config_path != NULL && !ms_config_load_file (config, config_path, &error)) ||
      !ms_config_apply_flags (config, flags, &error) ||
      !resolve_redis_url (config) ||
      !ms_config_validate (config, &error) ||
      !resolve_keys (config, keyring, &error)) {
    g_printerr ("mediastore-server: %s\n", error->message);
    return 1;
  }

  dev = config->dev;
  server = ms_server_new (g_steal_pointer (&config), keyring);
  if (!ms_server_listen (server, &error)) {
    g_printerr ("mediastore-server: %s\n", error->message);
    return 1;
  }

  media_urls = ms_server_get_media_urls (server);
  for (guint i = 0; media_urls[i] != NULL; i++)
    g_print ("media on %s\n", media_urls[i]);
  urls = ms_server_get_urls (server);
  for (guint i = 0; urls[i] != NULL; i++)
    g_print ("listening on %s\n", urls[i]);
  if (dev)
    print_dev_help (program, urls);
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (server, "stopped", G_CALLBACK (on_stopped), loop);
  g_unix_signal_add (SIGINT, on_signal, server);
  g_unix_signal_add (SIGTERM, on_term, server);
  g_main_loop_run (loop);

  /* The rooms' pipelines are gone with the server; gst_deinit() then joins
   * the streaming threads they ran on, which frees what those threads keep
   * (OpenSSL's per-thread state, for the DTLS elements): a leak checker
   * sees only what is really left. */
  g_clear_object (&server);
  gst_deinit ();

  return 0;
}
