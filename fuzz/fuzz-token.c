/* fuzz-token.c: the token verifier
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Any string is checked without crashing; one that passes must carry the
 * claims a server relies on.
 */

#include "config.h"

#include "fuzz.h"
#include "ms-token.h"

/* The seed corpus's valid token is signed with this key (see README). */
#define FUZZ_KEY_ID "fuzz"
#define FUZZ_SECRET "fuzz-secret-fuzz-secret-fuzz-secret!"
/* 2026-11-23, inside the seed tokens' validity: a fixed clock keeps
 * runs reproducible. */
#define FUZZ_NOW 1795430000

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static MsKeyring *keyring;
  g_autofree char *token = g_strndup ((const char *) data, size);
  g_autoptr (MsTokenClaims) claims = NULL;
  g_autoptr (GError) error = NULL;

  if (keyring == NULL) {
    keyring = ms_keyring_new ();
    g_assert (ms_keyring_add (keyring, FUZZ_KEY_ID, FUZZ_SECRET, NULL));
  }

  claims = ms_token_verify (token, keyring, FUZZ_NOW, &error);
  if (claims == NULL) {
    g_assert (error != NULL && error->domain == MS_TOKEN_ERROR);
    return 0;
  }

  g_assert (claims->identity != NULL && claims->room != NULL);
  g_assert (g_strcmp0 (claims->key_id, FUZZ_KEY_ID) == 0);
  return 0;
}
