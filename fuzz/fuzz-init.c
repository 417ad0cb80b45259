/* fuzz-init.c: makes every GLib warning or critical a crash libFuzzer sees
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GLib stops on a fatal message with SIGTRAP, which libFuzzer does not
 * catch: it would fail the run without saving the input. Aborting
 * instead gives a crash-* file to put into fuzz/regressions/.
 */

#include "config.h"

#include <stdlib.h>

#include "fuzz.h"

static GLogWriterOutput
write_then_abort (GLogLevelFlags   level,
                  const GLogField *fields,
                  gsize            n_fields,
                  gpointer         user_data)
{
  GLogWriterOutput output = g_log_writer_standard_streams (level, fields, n_fields, user_data);

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();

  return output;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_log_set_writer_func (write_then_abort, NULL, NULL);
  return 0;
}
