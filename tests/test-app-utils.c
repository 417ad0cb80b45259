/* test-app-utils.c: what the app's tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <sys/prctl.h>

#include <gst/gst.h>

#include "ms-app-media.h"
#include "test-app-utils.h"

static void
no_display (void)
{
  g_test_skip ("No display: run under xvfb-run, as build-aux/test.sh does");
}

gboolean
test_app_init (int          *argc,
               char       ***argv,
               gboolean      test_sources,
               const char   *prefix)
{
  g_autofree char *skipped = g_strconcat (prefix, "/no-display", NULL);

  if (test_sources)
    g_setenv ("MEDIASTORE_TEST_SOURCES", "1", TRUE);
  gst_init (argc, argv);
  if (ms_media_get_settings () != NULL)
    g_settings_set_string (ms_media_get_settings (), "video-quality", "low");
  g_test_init (argc, argv, NULL);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  if (gtk_init_check ()) {
    adw_init ();
    return TRUE;
  }
  g_test_add_func (skipped, no_display);
  return FALSE;
}

gboolean
test_app_connected (MsWindow *window)
{
  MsSession *session = ms_window_get_session (window);

  return session != NULL &&
         ms_store_get_connect_status (ms_session_get_store (session)) ==
         MS_CONNECT_STATUS_CONNECTED;
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocessLauncher *
test_app_launcher (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);

  return launcher;
}

GSubprocess *
test_app_bot_start (TestServer       *server,
                    const char       *room,
                    const char       *grants_json,
                    GSubprocessFlags  flags,
                    const char       *first_arg,
                    ...)
{
  g_autoptr (GSubprocessLauncher) launcher = test_app_launcher (flags);
  g_autofree char *token = test_token (room, "bot", grants_json);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  GSubprocess *bot;
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("MEDIASTORE_BOT"));
  g_ptr_array_add (argv, "--url");
  g_ptr_array_add (argv, (gpointer) test_server_get_url (server));
  g_ptr_array_add (argv, "--token");
  g_ptr_array_add (argv, token);
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "gc-friendly", TRUE);
  bot = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  return bot;
}

gboolean
test_app_accepts (const char *host,
                  guint16     port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;

  connection = g_socket_client_connect_to_host (client, host, port, NULL, &error);
  if (connection == NULL)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);

  return connection != NULL;
}
