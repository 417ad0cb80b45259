/* ms-srtp-crypto.h: libsrtp2's AES-CM, AES-GCM and HMAC-SHA1 on OpenSSL
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by the server's engine and by libmediastore, whose webrtcbins'
 * srtpenc/srtpdec run on the same libsrtp2 in the process.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Starts libsrtp2 once per process with OpenSSL's AES-CM, AES-GCM and
 * HMAC-SHA1 in place of the ones it was built with (ms-srtp-crypto.c
 * says why); every libsrtp2 session of the process made afterwards uses
 * them, GStreamer's included. FALSE if libsrtp2 cannot start. */
gboolean ms_srtp_crypto_init         (void);
gboolean ms_srtp_crypto_uses_openssl (void);
guint    ms_srtp_crypto_live_ciphers (void);

G_END_DECLS
