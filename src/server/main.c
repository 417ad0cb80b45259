/* main.c: mediastore-server's entry point
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "MsServer"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "ms-serve-command.h"
#include "ms-token-command.h"

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* `mediastore-server token …` mints a token; anything else runs the server. */
  if (argc >= 2 && g_str_equal (argv[1], "token"))
    return ms_token_command_run (argc - 1, argv + 1);

  return ms_serve_command_run (argc, argv);
}
