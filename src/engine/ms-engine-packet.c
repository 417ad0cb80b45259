/* ms-engine-packet.c: packet classes and header checks, the certificate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "ms-engine.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "ms-engine-private.h"

G_DEFINE_QUARK (ms-engine-error-quark, ms_engine_error)

MsEnginePacketKind
ms_engine_classify (const guint8 *data,
                    gsize         len)
{
  if (len < 1)
    return MS_ENGINE_PACKET_UNKNOWN;
  if (data[0] <= 3)
    return MS_ENGINE_PACKET_STUN;
  if (data[0] >= 20 && data[0] <= 63)
    return MS_ENGINE_PACKET_DTLS;
  if (data[0] >= 128 && data[0] <= 191) {
    guint8 pt;

    if (len < 2)
      return MS_ENGINE_PACKET_UNKNOWN;
    pt = data[1] & 0x7f;
    return (pt >= 64 && pt <= 95) ? MS_ENGINE_PACKET_RTCP : MS_ENGINE_PACKET_RTP;
  }
  return MS_ENGINE_PACKET_UNKNOWN;
}

gboolean
ms_engine_rtp_parse (const guint8 *data,
                     gsize         len,
                     guint8       *payload_type,
                     guint32      *ssrc,
                     gsize        *header_len)
{
  gsize hlen = 12;

  if (len < 12 || (data[0] >> 6) != 2)
    return FALSE;
  hlen += 4 * (data[0] & 0x0f);
  if (data[0] & 0x10) {
    if (len < hlen + 4)
      return FALSE;
    hlen += 4 + 4 * (gsize) ((data[hlen + 2] << 8) | data[hlen + 3]);
  }
  if (hlen > len)
    return FALSE;
  if (payload_type)
    *payload_type = data[1] & 0x7f;
  if (ssrc)
    *ssrc = ((guint32) data[8] << 24) | (data[9] << 16) | (data[10] << 8) | data[11];
  if (header_len)
    *header_len = hlen;
  return TRUE;
}

gboolean
ms_engine_rtp_payload (const guint8 *data,
                       gsize         len,
                       gsize         header_len,
                       gsize        *payload_len)
{
  gsize padding = 0;

  if (header_len > len)
    return FALSE;
  if (data[0] & 0x20) {
    if (len == header_len)
      return FALSE;
    padding = data[len - 1];
    if (padding == 0 || padding > len - header_len)
      return FALSE;
  }
  *payload_len = len - header_len - padding;
  return TRUE;
}

gboolean
ms_engine_rtx_unwrap (guint8  *data,
                      gsize   *len,
                      gsize    header_len,
                      guint8   payload_type,
                      guint32  ssrc)
{
  gsize payload_len;

  if (!ms_engine_rtp_payload (data, *len, header_len, &payload_len) || payload_len < 2)
    return FALSE;
  /* RFC 4588: the original sequence number, then the original payload. */
  data[2] = data[header_len];
  data[3] = data[header_len + 1];
  memmove (data + header_len, data + header_len + 2, *len - header_len - 2);
  *len -= 2;
  data[1] = (data[1] & 0x80) | (payload_type & 0x7f);
  data[8] = ssrc >> 24;
  data[9] = ssrc >> 16;
  data[10] = ssrc >> 8;
  data[11] = ssrc;
  return TRUE;
}

gboolean
ms_engine_vp8_keyframe_start (const guint8 *payload,
                              gsize         len)
{
  gsize at = 1;

  /* RFC 7741: S set and partition 0, then the payload descriptor's
   * optional fields, then the VP8 header's P bit clear (a key frame). */
  if (len < 1 || !(payload[0] & 0x10) || (payload[0] & 0x07) != 0)
    return FALSE;
  if (payload[0] & 0x80) {
    guint8 x;

    if (len < 2)
      return FALSE;
    x = payload[1];
    at = 2;
    if (x & 0x80) {   /* I: picture id, 7 or 15 bits */
      if (len <= at)
        return FALSE;
      at += (payload[at] & 0x80) ? 2 : 1;
    }
    if (x & 0x40)     /* L: TL0PICIDX */
      at++;
    if (x & 0x30)     /* T or K */
      at++;
  }
  return len > at && (payload[at] & 0x01) == 0;
}

gboolean
ms_engine_rtcp_check (const guint8 *data,
                      gsize         len,
                      gsize         trailer)
{
  gsize at = 0;

  if (len < trailer + 8)
    return FALSE;
  len -= trailer;
  while (at < len) {
    gsize plen;

    if (len - at < 4 || (data[at] >> 6) != 2)
      return FALSE;
    plen = 4 * (1 + (gsize) ((data[at + 2] << 8) | data[at + 3]));
    if (plen > len - at)
      return FALSE;
    at += plen;
  }
  return TRUE;
}

gboolean
ms_engine_dtls_check (const guint8 *data,
                      gsize         len)
{
  gsize at = 0;

  if (len == 0)
    return FALSE;
  while (at < len) {
    gsize rlen;

    /* type, version (2), epoch (2), sequence (6), length (2) */
    if (len - at < 13)
      return FALSE;
    if (data[at] < 20 || data[at] > 63 || data[at + 1] != 0xfe)
      return FALSE;
    rlen = (gsize) ((data[at + 11] << 8) | data[at + 12]);
    if (rlen > len - at - 13)
      return FALSE;
    at += 13 + rlen;
  }
  return TRUE;
}

const char *
ms_engine_drop_name (MsEngineDrop drop)
{
  static const char * const names[MS_ENGINE_N_DROPS] = {
    "not-stun", "bad-stun", "bad-integrity", "no-transport", "dtls-error",
    "not-ready", "srtp-auth", "too-short", "send-error", "too-long",
  };

  g_return_val_if_fail (drop < MS_ENGINE_N_DROPS, NULL);
  return names[drop];
}

void
ms_engine_ice_credentials_new (char **ufrag,
                               char **pwd)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  guint8 bytes[32];
  char *u = g_malloc (9), *p = g_malloc (25);

  /* ice-char is ALPHA / DIGIT / "+" / "/": 64 of them, 6 bits each. */
  if (RAND_bytes (bytes, sizeof bytes) != 1)
    g_error ("engine: no random bytes");
  for (guint i = 0; i < 8; i++)
    u[i] = alphabet[bytes[i] & 63];
  u[8] = '\0';
  for (guint i = 0; i < 24; i++)
    p[i] = alphabet[bytes[8 + i] & 63];
  p[24] = '\0';
  *ufrag = u;
  *pwd = p;
}

static MsEngineCertificate certificate;

char *
ms_engine_format_fingerprint (const guint8 *md,
                              guint         md_len)
{
  GString *out = g_string_sized_new (md_len * 3);

  for (guint i = 0; i < md_len; i++)
    g_string_append_printf (out, i ? ":%02X" : "%02X", md[i]);
  return g_string_free (out, FALSE);
}

const MsEngineCertificate *
ms_engine_certificate_get (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    EVP_PKEY *key = EVP_EC_gen ("P-256");
    X509 *x509 = X509_new ();
    X509_NAME *name;
    guint8 serial[8];
    guint8 md[EVP_MAX_MD_SIZE];
    guint md_len = 0;
    BIGNUM *bn;

    if (key == NULL || x509 == NULL)
      g_error ("engine: cannot make a certificate key");
    X509_set_version (x509, 2);
    RAND_bytes (serial, sizeof serial);
    serial[0] &= 0x7f;
    bn = BN_bin2bn (serial, sizeof serial, NULL);
    BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (x509));
    BN_free (bn);
    X509_gmtime_adj (X509_getm_notBefore (x509), -86400);
    X509_gmtime_adj (X509_getm_notAfter (x509), 30L * 86400);
    name = X509_get_subject_name (x509);
    X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC,
                                (const guchar *) "mediastore", -1, -1, 0);
    X509_set_issuer_name (x509, name);
    X509_set_pubkey (x509, key);
    if (X509_sign (x509, key, EVP_sha256 ()) == 0 ||
        X509_digest (x509, EVP_sha256 (), md, &md_len) != 1)
      g_error ("engine: cannot sign the certificate");
    certificate.key = key;
    certificate.x509 = x509;
    certificate.fingerprint = ms_engine_format_fingerprint (md, md_len);
    g_once_init_leave (&done, 1);
  }
  return &certificate;
}

const char *
ms_engine_certificate_fingerprint (void)
{
  return ms_engine_certificate_get ()->fingerprint;
}
