/* main.c: mediastore, video calls for the Linux desktop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>
#include <gst/gst.h>

#include "ms-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr (MsApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  gst_init (&argc, &argv);
  g_set_application_name (_("Mediastore"));
  app = ms_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
