/* main.c: mediastore, video calls for the Linux desktop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>
#include <gst/gst.h>

#include "ms-application.h"

/* Whether this is the program in the build tree (build-aux/run.sh, a
 * developer trying a change) rather than an installed one. */
static gboolean
uninstalled (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *root = realpath (BUILD_ROOT, NULL);

  return self != NULL && root != NULL && g_str_has_prefix (self, root) &&
         self[strlen (root)] == G_DIR_SEPARATOR;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (MsApplication) app = NULL;

  setlocale (LC_ALL, "");
  if (uninstalled ()) {
    /* The translations meson compiled, and the settings schema, are in
     * the build tree: LANGUAGE=ru ./_build/src/app/mediastore is Russian. */
    bindtextdomain (GETTEXT_PACKAGE, BUILD_ROOT "/po");
    g_setenv ("GSETTINGS_SCHEMA_DIR", BUILD_ROOT "/data", FALSE);
  } else {
    bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  }
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  gst_init (&argc, &argv);
  g_set_application_name (_("Mediastore"));
  app = ms_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
