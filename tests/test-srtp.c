/* test-srtp.c: the engine's OpenSSL crypto for libsrtp2 against libsrtp2's own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ms_engine_srtp_init() replaces libsrtp2's AES-CM and HMAC-SHA1 in the
 * whole process, so the order matters: packets are protected first with
 * the crypto libsrtp2 was built with (NSS on Debian), then the same
 * packets with the same keys after the replacement, byte for byte; and
 * each side's packets must unprotect on the other's.
 */

#include "config.h"

#include <string.h>

#include <srtp2/srtp.h>

#include "ms-engine.h"

#define N_PACKETS 300
#define MAX_LEN   1400

typedef struct {
  guint8 data[MAX_LEN + SRTP_MAX_TRAILER_LEN];
  int    len;
  int    plain_len;
} Packet;

static Packet before_rtp[N_PACKETS], before_rtcp[N_PACKETS];
static guint8 master[30];

static srtp_t
session_new (srtp_ssrc_type_t direction)
{
  srtp_policy_t policy;
  srtp_t session = NULL;

  memset (&policy, 0, sizeof policy);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
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
protect_all (Packet *rtp,
             Packet *rtcp)
{
  srtp_t tx = session_new (ssrc_any_outbound);

  for (guint i = 0; i < N_PACKETS; i++) {
    rtp[i].plain_len = rtp[i].len = make_rtp (rtp[i].data, i);
    g_assert_cmpint (srtp_protect (tx, rtp[i].data, &rtp[i].len), ==, srtp_err_status_ok);
    g_assert_cmpint (rtp[i].len, ==, rtp[i].plain_len + 10);
    rtcp[i].plain_len = rtcp[i].len = make_rtcp (rtcp[i].data, i);
    g_assert_cmpint (srtp_protect_rtcp (tx, rtcp[i].data, &rtcp[i].len), ==,
                     srtp_err_status_ok);
    g_assert_cmpint (rtcp[i].len, ==, rtcp[i].plain_len + 14);
  }
  srtp_dealloc (tx);
}

static void
unprotect_all (Packet *rtp,
               Packet *rtcp)
{
  srtp_t rx = session_new (ssrc_any_inbound);
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
  rx = session_new (ssrc_any_inbound);
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
  static Packet after_rtp[N_PACKETS], after_rtcp[N_PACKETS];

  g_assert_false (ms_engine_srtp_uses_openssl ());
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);
  protect_all (before_rtp, before_rtcp);

  /* libsrtp2 2.5 refuses a second srtp_init() until it is shut down. */
  g_assert_cmpint (srtp_shutdown (), ==, srtp_err_status_ok);
  g_assert_true (ms_engine_srtp_init ());
  g_assert_true (ms_engine_srtp_uses_openssl ());
  protect_all (after_rtp, after_rtcp);

  for (guint i = 0; i < N_PACKETS; i++) {
    g_assert_cmpmem (after_rtp[i].data, after_rtp[i].len, before_rtp[i].data, before_rtp[i].len);
    g_assert_cmpmem (after_rtcp[i].data, after_rtcp[i].len,
                     before_rtcp[i].data, before_rtcp[i].len);
  }
  /* What the built-in crypto protected, ours reads. */
  unprotect_all (before_rtp, before_rtcp);
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
