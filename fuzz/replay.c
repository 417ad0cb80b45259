/* replay.c: runs a fuzz target over files, without libFuzzer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every build runs each target over its seed corpus and its regressions
 * (inputs that once crashed), so a fixed crash stays fixed even where
 * clang and libFuzzer are not used. Arguments are files or directories.
 */

#include "config.h"

#include "fuzz.h"

static guint
replay (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr (GError) error = NULL;

  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_autoptr (GDir) dir = g_dir_open (path, 0, &error);
    const char *name;
    guint n = 0;

    if (dir == NULL)
      g_error ("%s", error->message);
    while ((name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (name[0] != '.')
        n += replay (child);
    }
    return n;
  }

  if (!g_file_get_contents (path, &contents, &length, &error))
    g_error ("%s", error->message);
  LLVMFuzzerTestOneInput ((const guint8 *) contents, length);
  return 1;
}

int
main (int   argc,
      char *argv[])
{
  guint n = 0;

  for (int i = 1; i < argc; i++)
    n += replay (argv[i]);

  /* TAP: one test, for meson. */
  g_print ("1..1\nok 1 %u inputs replayed\n", n);
  return n > 0 ? 0 : 1;
}
