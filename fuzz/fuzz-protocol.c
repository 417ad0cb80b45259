/* fuzz-protocol.c: the protocol decoder, both directions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whatever a frame holds, decoding returns a message or an error; a
 * message that decodes encodes again, and that encoding decodes.
 */

#include "config.h"

#include "fuzz.h"
#include "ms-protocol.h"

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static const MsDirection directions[] = { MS_DIRECTION_TO_SERVER, MS_DIRECTION_TO_CLIENT };

  for (guint i = 0; i < G_N_ELEMENTS (directions); i++) {
    g_autoptr (MsMessage) msg = NULL;
    g_autoptr (MsMessage) again = NULL;
    g_autoptr (GError) error = NULL;
    g_autofree char *text = NULL;
    gint64 id = 0;
    gsize length = 0;

    msg = ms_message_decode ((const char *) data, size, directions[i], NULL, &id, &error);
    if (msg == NULL) {
      g_assert (error != NULL);
      continue;
    }

    text = ms_message_encode (msg, &length);
    g_assert (text != NULL);
    again = ms_message_decode (text, length, directions[i], NULL, NULL, &error);
    if (again == NULL)
      g_error ("A decoded message did not survive encoding: %s\n%s", error->message, text);
  }

  return 0;
}
