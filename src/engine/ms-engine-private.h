/* ms-engine-private.h: what the engine's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <openssl/ssl.h>

#include "ms-engine.h"

typedef struct {
  EVP_PKEY *key;
  X509     *x509;
  char     *fingerprint;
} MsEngineCertificate;

const MsEngineCertificate *ms_engine_certificate_get (void);
char *ms_engine_format_fingerprint (const guint8 *md,
                                    guint         md_len);
