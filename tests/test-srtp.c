/* test-srtp.c: the engine's OpenSSL crypto for libsrtp2 against libsrtp2's own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ms_srtp_crypto_init() replaces libsrtp2's AES-CM, AES-GCM and HMAC-SHA1
 * in the whole process, so the order matters: packets are protected first with
 * the crypto libsrtp2 was built with (NSS on Debian), then the same
 * packets with the same keys after the replacement, byte for byte; and
 * each side's packets must unprotect on the other's.
 */

#include "config.h"

#include <string.h>

#include <srtp2/srtp.h>

#include "ms-srtp-crypto.h"

#define N_PACKETS 300
#define MAX_LEN   1400

typedef struct {
  guint8 data[MAX_LEN + SRTP_MAX_TRAILER_LEN];
  int    len;
  int    plain_len;
} Packet;

enum { CM, GCM, N_PROFILES };

/* What each profile adds to an RTP and to an RTCP packet. */
static const int rtp_trailer[N_PROFILES] = { 10, 16 };
static const int rtcp_trailer[N_PROFILES] = { 14, 20 };

static Packet before_rtp[N_PROFILES][N_PACKETS], before_rtcp[N_PROFILES][N_PACKETS];
static guint8 master[30];

static srtp_t
session_new (int              profile,
             srtp_ssrc_type_t direction)
{
  srtp_policy_t policy;
  srtp_t session = NULL;

  memset (&policy, 0, sizeof policy);
  if (profile == GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  }
  policy.ssrc.type = direction;
  policy.key = master;
  policy.window_size = 1024;
  policy.allow_repeat_tx = 1;
  g_assert_cmpint (srtp_create (&session, &policy), ==, srtp_err_status_ok);
  return session;
}

/* An RTP packet whose sequence number wraps (the rollover counter goes
 * into the HMAC and the counter) and whose size sweeps 12..1400. */
static int
make_rtp (guint8 *p,
          guint   i)
{
  guint16 seq = (guint16) (65400 + i);
  int len = 12 + (int) ((i * 37) % (MAX_LEN - 12));

  memset (p, 0, 12);
  p[0] = 0x80;
  p[1] = 96;
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  p[4] = (guint8) (i >> 2);
  p[8] = 0x12; p[9] = 0x34; p[10] = 0x56; p[11] = 0x78;
  for (int k = 12; k < len; k++)
    p[k] = (guint8) (k * 13 + i);
  return len;
}

/* A sender report with a payload of its own bytes after it. */
static int
make_rtcp (guint8 *p,
           guint   i)
{
  int len = 28 + 4 * (int) (i % 40);

  memset (p, 0, 28);
  p[0] = 0x80;
  p[1] = 200;
  p[2] = 0;
  p[3] = 6;
  p[4] = 0x12; p[5] = 0x34; p[6] = 0x56; p[7] = 0x78;
  for (int k = 28; k < len; k++)
    p[k] = (guint8) (k * 7 + i);
  return len;
}

static void
protect_all (int     profile,
             Packet *rtp,
             Packet *rtcp)
{
  srtp_t tx = session_new (profile, ssrc_any_outbound);

  for (guint i = 0; i < N_PACKETS; i++) {
    rtp[i].plain_len = rtp[i].len = make_rtp (rtp[i].data, i);
    g_assert_cmpint (srtp_protect (tx, rtp[i].data, &rtp[i].len), ==, srtp_err_status_ok);
    g_assert_cmpint (rtp[i].len, ==, rtp[i].plain_len + rtp_trailer[profile]);
    rtcp[i].plain_len = rtcp[i].len = make_rtcp (rtcp[i].data, i);
    g_assert_cmpint (srtp_protect_rtcp (tx, rtcp[i].data, &rtcp[i].len), ==,
                     srtp_err_status_ok);
    g_assert_cmpint (rtcp[i].len, ==, rtcp[i].plain_len + rtcp_trailer[profile]);
  }
  srtp_dealloc (tx);
}

static void
unprotect_all (int     profile,
               Packet *rtp,
               Packet *rtcp)
{
  srtp_t rx = session_new (profile, ssrc_any_inbound);
  guint8 plain[MAX_LEN];

  for (guint i = 0; i < N_PACKETS; i++) {
    Packet p = rtp[i];

    g_assert_cmpint (srtp_unprotect (rx, p.data, &p.len), ==, srtp_err_status_ok);
    g_assert_cmpint (p.len, ==, make_rtp (plain, i));
    g_assert_cmpmem (p.data, p.len, plain, p.len);

    p = rtcp[i];
    g_assert_cmpint (srtp_unprotect_rtcp (rx, p.data, &p.len), ==, srtp_err_status_ok);
    g_assert_cmpint (p.len, ==, make_rtcp (plain, i));
    g_assert_cmpmem (p.data, p.len, plain, p.len);
  }
  srtp_dealloc (rx);

  /* A flipped bit anywhere fails authentication (a new session: the
   * one above would call these replays). */
  rx = session_new (profile, ssrc_any_inbound);
  for (guint i = 0; i < 20; i++) {
    Packet p = rtp[N_PACKETS - 1 - i];

    p.data[(i * 53) % p.len] ^= 0x04;
    g_assert_cmpint (srtp_unprotect (rx, p.data, &p.len), ==, srtp_err_status_auth_fail);
  }
  srtp_dealloc (rx);
}

static void
test_same_bytes (void)
{
  static Packet after_rtp[N_PROFILES][N_PACKETS], after_rtcp[N_PROFILES][N_PACKETS];

  g_assert_false (ms_srtp_crypto_uses_openssl ());
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);
  for (int p = 0; p < N_PROFILES; p++)
    protect_all (p, before_rtp[p], before_rtcp[p]);

  /* libsrtp2 2.5 refuses a second srtp_init() until it is shut down. */
  g_assert_cmpint (srtp_shutdown (), ==, srtp_err_status_ok);
  g_assert_true (ms_srtp_crypto_init ());
  g_assert_true (ms_srtp_crypto_uses_openssl ());
  for (int p = 0; p < N_PROFILES; p++) {
    protect_all (p, after_rtp[p], after_rtcp[p]);
    for (guint i = 0; i < N_PACKETS; i++) {
      g_assert_cmpmem (after_rtp[p][i].data, after_rtp[p][i].len,
                       before_rtp[p][i].data, before_rtp[p][i].len);
      g_assert_cmpmem (after_rtcp[p][i].data, after_rtcp[p][i].len,
                       before_rtcp[p][i].data, before_rtcp[p][i].len);
    }
    /* What the built-in crypto protected, ours reads. */
    unprotect_all (p, before_rtp[p], before_rtcp[p]);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < sizeof master; i++)
    master[i] = (guint8) (i * 11 + 5);
  g_test_add_func ("/srtp/openssl-same-bytes", test_same_bytes);
  return g_test_run ();
}
