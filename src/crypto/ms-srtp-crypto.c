/* ms-srtp-crypto.c: libsrtp2's AES-CM, AES-GCM and HMAC-SHA1 on OpenSSL
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsrtp2 does SRTP (key derivation, replay windows, packet layout);
 * its crypto comes from whatever it was built with. Debian 12 builds it
 * with NSS, whose AES counter mode makes a new PKCS #11 context (and
 * expands the key again) for every packet, as its GCM does, and whose
 * HMAC starts one through a token lock: measured with perf on a 200-subscriber fan-out,
 * 65 % of the server's CPU went to NSS, 2.5 % to our own code.
 *
 * libsrtp2 lets an application replace a cipher or an authentication
 * function by id (srtp_replace_cipher_type(), srtp_replace_auth_type(),
 * in its public headers). The replacement must pass the known-answer
 * tests of the one it replaces as well as its own, which libsrtp2 runs
 * before it accepts it. These keep one OpenSSL context per key: a
 * packet costs setting the counter (or IV) and running AES, and
 * resetting the HMAC to its keyed state (EVP_MAC_init without a key).
 */

#include "config.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include "ms-srtp-crypto.h"

#define ICM_KEY_LEN  16
#define ICM_SALT_LEN 14
#define SHA1_LEN     20

/* ---- What both ciphers keep: one OpenSSL context per key ---- */

/* Cipher contexts of ours alive in the process (tests read it). */
static gint live_ciphers;

typedef struct {
  EVP_CIPHER_CTX *ctx;
  guint8          salt[16];   /* AES-CM: the 112-bit salt, two zero bytes */
  int             tag_len;    /* AES-GCM */
} CipherState;

static srtp_err_status_t
cipher_new (const srtp_cipher_type_t *type,
            int                       algorithm,
            int                       key_len,
            int                       tag_len,
            srtp_cipher_pointer_t    *cp)
{
  srtp_cipher_t *c;
  CipherState *s;

  s = g_new0 (CipherState, 1);
  s->ctx = EVP_CIPHER_CTX_new ();
  if (s->ctx == NULL) {
    g_free (s);
    return srtp_err_status_alloc_fail;
  }
  s->tag_len = tag_len;
  c = g_new0 (srtp_cipher_t, 1);
  c->type = type;
  c->state = s;
  c->key_len = key_len;
  c->algorithm = algorithm;
  *cp = c;
  g_atomic_int_inc (&live_ciphers);
  return srtp_err_status_ok;
}

static srtp_err_status_t
cipher_dealloc (srtp_cipher_pointer_t c)
{
  CipherState *s = c->state;

  EVP_CIPHER_CTX_free (s->ctx);
  OPENSSL_cleanse (s, sizeof *s);
  g_free (s);
  g_free (c);
  g_atomic_int_add (&live_ciphers, -1);
  return srtp_err_status_ok;
}

/* ---- AES-128 counter mode (RFC 3711 4.1.1) ---- */

extern const srtp_cipher_type_t ms_srtp_icm_128;

static srtp_err_status_t
icm_alloc (srtp_cipher_pointer_t *cp,
           int                    key_len,
           int                    tag_len)
{
  (void) tag_len;
  if (key_len != ICM_KEY_LEN + ICM_SALT_LEN)
    return srtp_err_status_bad_param;
  return cipher_new (&ms_srtp_icm_128, SRTP_AES_ICM_128, key_len, 0, cp);
}

static srtp_err_status_t
icm_init (void          *state,
          const guint8 *key)
{
  CipherState *s = state;

  memset (s->salt, 0, sizeof s->salt);
  memcpy (s->salt, key + ICM_KEY_LEN, ICM_SALT_LEN);
  EVP_CIPHER_CTX_reset (s->ctx);
  if (EVP_EncryptInit_ex (s->ctx, EVP_aes_128_ctr (), NULL, key, NULL) != 1)
    return srtp_err_status_init_fail;
  return srtp_err_status_ok;
}

/* The counter block is the salt XOR the IV libsrtp2 made of SSRC and
 * packet index; its last 16 bits count blocks from zero, which OpenSSL's
 * 128-bit counter does the same way for anything under 1 MiB. */
static srtp_err_status_t
icm_set_iv (void                    *state,
            guint8                  *iv,
            srtp_cipher_direction_t  direction)
{
  CipherState *s = state;
  guint8 counter[16];

  (void) direction;
  for (guint i = 0; i < 16; i++)
    counter[i] = s->salt[i] ^ iv[i];
  if (EVP_EncryptInit_ex (s->ctx, NULL, NULL, NULL, counter) != 1)
    return srtp_err_status_cipher_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
icm_crypt (void         *state,
           guint8       *buffer,
           unsigned int *octets)
{
  CipherState *s = state;
  int out = 0;

  if (*octets > G_MAXINT)
    return srtp_err_status_bad_param;
  if (EVP_EncryptUpdate (s->ctx, buffer, &out, buffer, (int) *octets) != 1)
    return srtp_err_status_cipher_fail;
  *octets = (unsigned int) out;
  return srtp_err_status_ok;
}

/* RFC 3711 appendix B.2: the first three keystream blocks. */
static const guint8 icm_key[30] = {
  0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
  0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
  0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
  0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static guint8 icm_iv[16];
static const guint8 icm_zeros[48];
static const guint8 icm_keystream[48] = {
  0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80,
  0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
  0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7,
  0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
  0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd,
  0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0,
};
static const srtp_cipher_test_case_t icm_test = {
  sizeof icm_key, icm_key, icm_iv,
  sizeof icm_zeros, icm_zeros,
  sizeof icm_keystream, icm_keystream,
  0, NULL, 0, NULL,
};

const srtp_cipher_type_t ms_srtp_icm_128 = {
  icm_alloc, cipher_dealloc, icm_init, NULL, icm_crypt, icm_crypt, icm_set_iv, NULL,
  "AES-128 counter mode (OpenSSL, Mediastore)", &icm_test, SRTP_AES_ICM_128,
};

/* ---- AES-128 GCM (RFC 7714) ---- */

#define GCM_KEY_LEN  16
#define GCM_SALT_LEN 12

extern const srtp_cipher_type_t ms_srtp_gcm_128;

static srtp_err_status_t
gcm_alloc (srtp_cipher_pointer_t *cp,
           int                    key_len,
           int                    tag_len)
{
  if (key_len != GCM_KEY_LEN + GCM_SALT_LEN || (tag_len != 8 && tag_len != 16))
    return srtp_err_status_bad_param;
  return cipher_new (&ms_srtp_gcm_128, SRTP_AES_GCM_128, key_len, tag_len, cp);
}

/* libsrtp2 keeps the salt and makes each packet's 12-byte IV itself. */
static srtp_err_status_t
gcm_init (void          *state,
          const guint8 *key)
{
  CipherState *s = state;

  EVP_CIPHER_CTX_reset (s->ctx);
  if (EVP_CipherInit_ex (s->ctx, EVP_aes_128_gcm (), NULL, key, NULL, 1) != 1)
    return srtp_err_status_init_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_set_iv (void                    *state,
            guint8                  *iv,
            srtp_cipher_direction_t  direction)
{
  CipherState *s = state;

  if (direction != srtp_direction_encrypt && direction != srtp_direction_decrypt)
    return srtp_err_status_bad_param;
  if (EVP_CipherInit_ex (s->ctx, NULL, NULL, NULL, iv,
                         direction == srtp_direction_encrypt) != 1)
    return srtp_err_status_init_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_set_aad (void          *state,
             const guint8 *aad,
             uint32_t      len)
{
  CipherState *s = state;
  int out = 0;

  if (len > G_MAXINT || EVP_CipherUpdate (s->ctx, NULL, &out, aad, (int) len) != 1)
    return srtp_err_status_algo_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_encrypt (void         *state,
             guint8       *buffer,
             unsigned int *octets)
{
  CipherState *s = state;
  int out = 0;

  if (*octets > G_MAXINT)
    return srtp_err_status_bad_param;
  if (*octets > 0 && EVP_CipherUpdate (s->ctx, buffer, &out, buffer, (int) *octets) != 1)
    return srtp_err_status_cipher_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_get_tag (void     *state,
             guint8   *tag,
             uint32_t *len)
{
  CipherState *s = state;
  guint8 rest[16];
  int out = 0;

  if (EVP_CipherFinal_ex (s->ctx, rest, &out) != 1 ||
      EVP_CIPHER_CTX_ctrl (s->ctx, EVP_CTRL_GCM_GET_TAG, s->tag_len, tag) != 1)
    return srtp_err_status_algo_fail;
  *len = (uint32_t) s->tag_len;
  return srtp_err_status_ok;
}

/* @octets counts the tag at the end; on success it no longer does. */
static srtp_err_status_t
gcm_decrypt (void         *state,
             guint8       *buffer,
             unsigned int *octets)
{
  CipherState *s = state;
  unsigned int body;
  guint8 rest[16];
  int out = 0;

  if (*octets < (unsigned int) s->tag_len || *octets > G_MAXINT)
    return srtp_err_status_bad_param;
  body = *octets - (unsigned int) s->tag_len;
  if (EVP_CIPHER_CTX_ctrl (s->ctx, EVP_CTRL_GCM_SET_TAG, s->tag_len, buffer + body) != 1)
    return srtp_err_status_auth_fail;
  if (body > 0 && EVP_CipherUpdate (s->ctx, buffer, &out, buffer, (int) body) != 1)
    return srtp_err_status_cipher_fail;
  if (EVP_CipherFinal_ex (s->ctx, rest, &out) != 1)
    return srtp_err_status_auth_fail;
  *octets = body;
  return srtp_err_status_ok;
}

/* The GCM specification's test case 4 (AES-128, 60 bytes, 20 of AAD),
 * with the 12 salt bytes libsrtp2 keys carry after the key. */
static const guint8 gcm_key[28] = {
  0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
  0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00,
};
static guint8 gcm_iv[12] = {
  0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88,
};
static const guint8 gcm_plain[60] = {
  0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5,
  0xaf, 0xf5, 0x26, 0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda,
  0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95,
  0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
  0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
};
static const guint8 gcm_aad[20] = {
  0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed,
  0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2,
};
static const guint8 gcm_cipher[76] = {
  0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7,
  0x84, 0xd0, 0xd4, 0x9c, 0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0,
  0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac, 0xa1, 0x2e, 0x21, 0xd5, 0x14, 0xb2,
  0x54, 0x66, 0x93, 0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac, 0x84, 0xaa, 0x05,
  0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91,
  /* the tag */
  0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb,
  0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47,
};
static const srtp_cipher_test_case_t gcm_test = {
  sizeof gcm_key, gcm_key, gcm_iv,
  sizeof gcm_plain, gcm_plain,
  sizeof gcm_cipher, gcm_cipher,
  sizeof gcm_aad, gcm_aad, 16, NULL,
};

const srtp_cipher_type_t ms_srtp_gcm_128 = {
  gcm_alloc, cipher_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt, gcm_set_iv,
  gcm_get_tag, "AES-128 GCM (OpenSSL, Mediastore)", &gcm_test, SRTP_AES_GCM_128,
};

/* ---- HMAC-SHA1 (RFC 2104) ---- */

typedef struct {
  EVP_MAC_CTX *ctx;
} HmacState;

extern const srtp_auth_type_t ms_srtp_hmac_sha1;

static EVP_MAC *hmac_mac;
static gboolean openssl_in_use;

static srtp_err_status_t
hmac_alloc (srtp_auth_pointer_t *ap,
            int                  key_len,
            int                  out_len)
{
  srtp_auth_t *a;
  HmacState *s;

  if (out_len < 0 || out_len > SHA1_LEN || key_len < 0)
    return srtp_err_status_bad_param;
  s = g_new0 (HmacState, 1);
  s->ctx = EVP_MAC_CTX_new (hmac_mac);
  if (s->ctx == NULL) {
    g_free (s);
    return srtp_err_status_alloc_fail;
  }
  a = g_new0 (srtp_auth_t, 1);
  a->type = &ms_srtp_hmac_sha1;
  a->state = s;
  a->out_len = out_len;
  a->key_len = key_len;
  *ap = a;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_dealloc (srtp_auth_pointer_t a)
{
  HmacState *s = a->state;

  EVP_MAC_CTX_free (s->ctx);
  g_free (s);
  g_free (a);
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_init (void          *state,
           const guint8 *key,
           int           key_len)
{
  HmacState *s = state;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (char *) "SHA1", 0),
    OSSL_PARAM_construct_end (),
  };

  if (EVP_MAC_init (s->ctx, key, (gsize) key_len, params) != 1)
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

/* Back to the keyed state: OpenSSL keeps the key's inner and outer
 * digests, so this copies two SHA-1 states and hashes nothing. */
static srtp_err_status_t
hmac_start (void *state)
{
  HmacState *s = state;

  if (EVP_MAC_init (s->ctx, NULL, 0, NULL) != 1)
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_update (void          *state,
             const guint8 *data,
             int           len)
{
  HmacState *s = state;

  if (len < 0 || EVP_MAC_update (s->ctx, data, (gsize) len) != 1)
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_compute (void          *state,
              const guint8 *data,
              int           len,
              int           tag_len,
              guint8       *tag)
{
  HmacState *s = state;
  guint8 md[SHA1_LEN];
  gsize md_len = 0;

  if (tag_len < 0 || tag_len > SHA1_LEN)
    return srtp_err_status_bad_param;
  if (hmac_update (state, data, len) != srtp_err_status_ok ||
      EVP_MAC_final (s->ctx, md, &md_len, sizeof md) != 1 || md_len != SHA1_LEN)
    return srtp_err_status_auth_fail;
  memcpy (tag, md, (gsize) tag_len);
  return srtp_err_status_ok;
}

/* RFC 2202, test case 2 ("Jefe"). */
static const guint8 hmac_key[] = "Jefe";
static const guint8 hmac_data[] = "what do ya want for nothing?";
static const guint8 hmac_tag[SHA1_LEN] = {
  0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
  0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const srtp_auth_test_case_t hmac_test = {
  sizeof hmac_key - 1, hmac_key,
  sizeof hmac_data - 1, hmac_data,
  sizeof hmac_tag, hmac_tag,
  NULL,
};

const srtp_auth_type_t ms_srtp_hmac_sha1 = {
  hmac_alloc, hmac_dealloc, hmac_init, hmac_compute, hmac_update, hmac_start,
  "HMAC-SHA1 (OpenSSL, Mediastore)", &hmac_test, SRTP_HMAC_SHA1,
};

static gboolean
srtp_start (void)
{
  srtp_err_status_t status;

  /* libsrtp2 2.5 answers bad_param when something else in the process
   * (GStreamer's srtp plugin, say) started it first. */
  status = srtp_init ();
  if (status != srtp_err_status_ok && status != srtp_err_status_bad_param) {
    g_warning ("srtp: libsrtp2 does not start (error %d)", status);
    return FALSE;
  }
  hmac_mac = EVP_MAC_fetch (NULL, "HMAC", NULL);
  if (hmac_mac == NULL) {
    g_warning ("srtp: OpenSSL has no HMAC; SRTP stays on libsrtp2's own crypto");
    return TRUE;
  }
  status = srtp_replace_cipher_type (&ms_srtp_icm_128, SRTP_AES_ICM_128);
  if (status != srtp_err_status_ok) {
    g_warning ("srtp: libsrtp2 refused OpenSSL's AES-CM (error %d); it keeps its own",
               status);
    return TRUE;
  }
  status = srtp_replace_auth_type (&ms_srtp_hmac_sha1, SRTP_HMAC_SHA1);
  if (status != srtp_err_status_ok) {
    g_warning ("srtp: libsrtp2 refused OpenSSL's HMAC-SHA1 (error %d); it keeps its own",
               status);
    return TRUE;
  }
  status = srtp_replace_cipher_type (&ms_srtp_gcm_128, SRTP_AES_GCM_128);
  if (status != srtp_err_status_ok) {
    g_warning ("srtp: libsrtp2 refused OpenSSL's AES-GCM (error %d); it keeps its own",
               status);
    return TRUE;
  }
  openssl_in_use = TRUE;
  return TRUE;
}

/**
 * ms_srtp_crypto_init:
 *
 * Starts libsrtp2 once per process and gives it OpenSSL's AES-CM,
 * AES-GCM and HMAC-SHA1. Every libsrtp2 session made afterwards in the process uses
 * them, GStreamer's srtpenc/srtpdec included.
 *
 * Returns: FALSE if libsrtp2 cannot start.
 */
gboolean
ms_srtp_crypto_init (void)
{
  static gsize once;
  static gboolean ok;

  if (g_once_init_enter (&once)) {
    ok = srtp_start ();
    g_once_init_leave (&once, 1);
  }
  return ok;
}

/* TRUE once libsrtp2 runs AES-CM, AES-GCM and HMAC-SHA1 on OpenSSL. */
gboolean
ms_srtp_crypto_uses_openssl (void)
{
  return openssl_in_use;
}

/* How many of libsrtp2's ciphers in the process are ours right now: two
 * per SRTP session (RTP and RTCP) and direction, plus the ones libsrtp2
 * makes for a moment to derive keys. */
guint
ms_srtp_crypto_live_ciphers (void)
{
  return (guint) g_atomic_int_get (&live_ciphers);
}
