/* test-router.c: the engine's router, packet by packet
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real worker with two transports keyed directly (no ICE, no DTLS):
 * the test plays the publisher on one UDP socket and the subscriber on
 * another, with libsrtp2 sessions of its own under the same key. What the
 * router must do is checked on the wire: the consumer's own SSRC,
 * sequence numbers and timestamps, continuous across a pause and a change
 * of source; video starting at a keyframe; NACKs answered with RTX;
 * upstream gaps NACKed; keyframe requests merged.
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <srtp2/srtp.h>

#include "ms-engine.h"
#include "test-utils.h"

#define PUB_SSRC   0x1111u
#define PUB_RTX    0x2222u
#define PUB2_SSRC  0x3333u
#define SUB_SSRC   0x5555u
#define SUB_RTX    0x6666u
#define PUB_PT     96
#define PUB_RTX_PT 97
#define SUB_PT     100
#define SUB_RTX_PT 101

static gboolean in_private_network;

static const guint8 key[30] = {
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
};

typedef struct {
  GSocket *socket;
  srtp_t   out;   /* what we send to the worker */
  srtp_t   in;    /* what the worker sends us */
} Peer;

typedef struct {
  MsEngineWorker     *worker;
  GInetSocketAddress *worker_address;
  Peer                pub;
  Peer                sub;
  guint               pub_id;
  guint               sub_id;
} Fixture;

/* A peer on a free port of @ip (NULL: 127.0.0.1). */
static void
peer_init_at (Peer       *peer,
              const char *ip)
{
  g_autoptr (GInetAddress) loopback = ip ? g_inet_address_new_from_string (ip)
                                         : g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GError) error = NULL;
  srtp_policy_t policy;
  guint8 copy[30];

  peer->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (peer->socket, address, FALSE, &error));
  g_assert_no_error (error);
  g_socket_set_timeout (peer->socket, 2);

  memcpy (copy, key, sizeof copy);
  memset (&policy, 0, sizeof policy);
  srtp_crypto_policy_set_rtp_default (&policy.rtp);
  srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
  policy.window_size = 1024;
  policy.allow_repeat_tx = 1;
  policy.key = copy;
  policy.ssrc.type = ssrc_any_outbound;
  g_assert_cmpint (srtp_create (&peer->out, &policy), ==, srtp_err_status_ok);
  policy.ssrc.type = ssrc_any_inbound;
  g_assert_cmpint (srtp_create (&peer->in, &policy), ==, srtp_err_status_ok);
}

static void
peer_init (Peer *peer)
{
  peer_init_at (peer, NULL);
}

static void
peer_clear (Peer *peer)
{
  srtp_dealloc (peer->out);
  srtp_dealloc (peer->in);
  g_object_unref (peer->socket);
}

static GInetSocketAddress *
local_address (GSocket *socket)
{
  return G_INET_SOCKET_ADDRESS (g_socket_get_local_address (socket, NULL));
}

static void
fixture_init (Fixture *f)
{
  MsEngineWorkerConfig config = { .bind_address = "127.0.0.1" };
  g_autoptr (GInetSocketAddress) pub_address = NULL;
  g_autoptr (GInetSocketAddress) sub_address = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GError) error = NULL;

  f->worker = ms_engine_worker_new (&config, &error);
  g_assert_no_error (error);
  f->worker_address = G_INET_SOCKET_ADDRESS (
    g_inet_socket_address_new (loopback, ms_engine_worker_get_port (f->worker)));
  peer_init (&f->pub);
  peer_init (&f->sub);
  pub_address = local_address (f->pub.socket);
  sub_address = local_address (f->sub.socket);
  f->pub_id = ms_engine_worker_add_keyed_transport (f->worker, pub_address, key);
  f->sub_id = ms_engine_worker_add_keyed_transport (f->worker, sub_address, key);
}

static void
fixture_clear (Fixture *f)
{
  ms_engine_worker_free (f->worker);
  g_object_unref (f->worker_address);
  peer_clear (&f->pub);
  peer_clear (&f->sub);
}

static void
put16 (guint8  *p,
       guint16  v)
{
  p[0] = v >> 8;
  p[1] = v;
}

static void
put32 (guint8  *p,
       guint32  v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static guint16
get16 (const guint8 *p)
{
  return (p[0] << 8) | p[1];
}

static guint32
get32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static void
send_protected (Fixture  *f,
                Peer     *peer,
                guint8   *buf,
                gsize     len,
                gboolean  rtcp)
{
  int n = len;
  g_autoptr (GError) error = NULL;

  if (rtcp)
    g_assert_cmpint (srtp_protect_rtcp (peer->out, buf, &n), ==, srtp_err_status_ok);
  else
    g_assert_cmpint (srtp_protect (peer->out, buf, &n), ==, srtp_err_status_ok);
  g_assert_cmpint (g_socket_send_to (peer->socket, G_SOCKET_ADDRESS (f->worker_address),
                                     (const char *) buf, n, NULL, &error), ==, n);
  g_assert_no_error (error);
}

/* A VP8 packet of @size bytes in @buf: a keyframe's first when @key,
 * else a later partition; @marker ends its frame. */
static void
build_vp8 (guint8   *buf,
           guint32   ssrc,
           guint8    pt,
           guint16   seq,
           guint32   ts,
           gboolean  keyframe,
           gsize     size,
           gboolean  marker)
{
  memset (buf, 0, size);
  buf[0] = 0x80;
  buf[1] = pt | (marker ? 0x80 : 0);
  put16 (buf + 2, seq);
  put32 (buf + 4, ts);
  put32 (buf + 8, ssrc);
  buf[12] = keyframe ? 0x10 : 0x00;     /* S bit, partition 0 */
  buf[13] = keyframe ? 0x00 : 0x01;     /* P bit clear: a key frame */
  for (guint i = 14; i < size; i++)
    buf[i] = seq + i;
}

static void
send_vp8_sized (Fixture  *f,
                guint32   ssrc,
                guint8    pt,
                guint16   seq,
                guint32   ts,
                gboolean  keyframe,
                gsize     size,
                gboolean  marker)
{
  guint8 buf[1500];

  g_assert_cmpuint (size + 10, <=, sizeof buf);
  build_vp8 (buf, ssrc, pt, seq, ts, keyframe, size, marker);
  send_protected (f, &f->pub, buf, size, FALSE);
}

/* The publisher's frame of @n packets from @first_seq, in one
 * sendmmsg(): the worker finds them all waiting, however slow this
 * process is (a sanitizer's build). */
static void
send_frame_at_once (Fixture     *f,
                    guint16      first_seq,
                    guint32      ts,
                    gboolean     keyframe,
                    const gsize *sizes,
                    guint        n)
{
  g_autofree guint8 *bufs = g_malloc (n * 1500);
  g_autofree GOutputVector *vectors = g_new0 (GOutputVector, n);
  g_autofree GOutputMessage *messages = g_new0 (GOutputMessage, n);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++) {
    guint8 *buf = bufs + i * 1500;
    int len = sizes[i];

    g_assert_cmpuint (sizes[i] + 10, <=, 1500);
    build_vp8 (buf, PUB_SSRC, PUB_PT, first_seq + i, ts, keyframe && i == 0, sizes[i],
               i == n - 1);
    g_assert_cmpint (srtp_protect (f->pub.out, buf, &len), ==, srtp_err_status_ok);
    vectors[i].buffer = buf;
    vectors[i].size = len;
    messages[i].address = G_SOCKET_ADDRESS (f->worker_address);
    messages[i].vectors = &vectors[i];
    messages[i].num_vectors = 1;
  }
  g_assert_cmpint (g_socket_send_messages (f->pub.socket, messages, n, 0, NULL, &error),
                   ==, (int) n);
  g_assert_no_error (error);
}

static void
send_vp8 (Fixture  *f,
          guint32   ssrc,
          guint8    pt,
          guint16   seq,
          guint32   ts,
          gboolean  keyframe)
{
  send_vp8_sized (f, ssrc, pt, seq, ts, keyframe, 100, FALSE);
}

/* Waits (at most 2 s) for an RTP packet (@want_rtcp FALSE) or an RTCP
 * packet on @peer; returns its decrypted length, 0 on timeout. */
static gsize
receive (Peer     *peer,
         guint8   *buf,
         gboolean  want_rtcp)
{
  /* The router's reports come every second or so: without a deadline of
   * its own, waiting for RTP that never comes would never end. */
  gint64 deadline = g_get_monotonic_time () + 5 * test_timeout_scale () * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline) {
    g_autoptr (GError) error = NULL;
    gssize len = g_socket_receive (peer->socket, (char *) buf, 2048, NULL, &error);
    gboolean rtcp;
    int n;

    if (len <= 0)
      return 0;
    n = len;
    rtcp = len >= 2 && buf[1] >= 192 && buf[1] <= 223;
    if (rtcp) {
      if (srtp_unprotect_rtcp (peer->in, buf, &n) != srtp_err_status_ok)
        continue;
    } else if (srtp_unprotect (peer->in, buf, &n) != srtp_err_status_ok) {
      continue;
    }
    if (rtcp == want_rtcp)
      return n;
  }
  return 0;
}

/* The next RTCP packet of @type (and feedback @fmt) within a compound. */
static const guint8 *
find_rtcp (const guint8 *buf,
           gsize         len,
           guint8        type,
           guint8        fmt)
{
  gsize at = 0;

  while (at + 4 <= len) {
    gsize plen = 4 * (1 + (gsize) get16 (buf + at + 2));

    if (buf[at + 1] == type && (fmt == 0 || (buf[at] & 0x1f) == fmt))
      return buf + at;
    at += plen;
  }
  return NULL;
}

static const guint8 *
wait_rtcp (Peer   *peer,
           guint8 *buf,
           guint8  type,
           guint8  fmt)
{
  for (guint i = 0; i < 50; i++) {
    gsize len = receive (peer, buf, TRUE);
    const guint8 *found = len ? find_rtcp (buf, len, type, fmt) : NULL;

    if (found != NULL)
      return found;
    if (len == 0)
      return NULL;
  }
  return NULL;
}

static guint
add_producer (Fixture *f,
              guint32  ssrc,
              guint32  rtx_ssrc)
{
  MsEngineProducerParams params = {
    .transport_id = f->pub_id,
    .ssrc = ssrc,
    .rtx_ssrc = rtx_ssrc,
    .payload_type = PUB_PT,
    .rtx_payload_type = rtx_ssrc ? PUB_RTX_PT : 0,
    .clock_rate = 90000,
    .codec = MS_ENGINE_CODEC_VP8,
    .video = TRUE,
    .nack = TRUE,
  };

  return ms_engine_worker_add_producer (f->worker, &params);
}

static guint
add_consumer_on (Fixture *f,
                 guint    transport_id)
{
  MsEngineConsumerParams params = {
    .transport_id = transport_id,
    .ssrc = SUB_SSRC,
    .rtx_ssrc = SUB_RTX,
    .payload_type = SUB_PT,
    .rtx_payload_type = SUB_RTX_PT,
    .clock_rate = 90000,
    .video = TRUE,
  };

  return ms_engine_worker_add_consumer (f->worker, &params);
}

static guint
add_consumer (Fixture *f)
{
  return add_consumer_on (f, f->sub_id);
}

/* A fixture with one producer (no RTX) and one consumer of it, once the
 * consumer's first keyframe request reached the publisher. */
static void
start_stream (Fixture *f,
              guint   *producer,
              guint   *consumer)
{
  guint8 buf[2048];

  fixture_init (f);
  *producer = add_producer (f, PUB_SSRC, 0);
  *consumer = add_consumer (f);
  ms_engine_worker_set_consumer_source (f->worker, *consumer, *producer);
  g_assert_nonnull (wait_rtcp (&f->pub, buf, 206, 1));
}

static void
test_forwarding (void)
{
  Fixture f = { 0 };
  guint8 buf[2048];
  guint16 first_seq = 0, last_seq = 0;
  guint32 first_ts = 0, last_ts = 0;
  guint producer, producer2, consumer;
  guint8 nack[64];
  const guint8 *fb;
  gsize len;

  fixture_init (&f);
  producer = add_producer (&f, PUB_SSRC, PUB_RTX);
  consumer = add_consumer (&f);
  ms_engine_worker_set_consumer_source (f.worker, consumer, producer);

  /* The source asks for a keyframe: video starts at one. */
  g_assert_nonnull ((fb = wait_rtcp (&f.pub, buf, 206, 1)));
  g_assert_cmphex (get32 (fb + 8), ==, PUB_SSRC);

  /* A delta frame first: not forwarded. Then a keyframe and deltas. */
  send_vp8 (&f, PUB_SSRC, PUB_PT, 999, 90000, FALSE);
  for (guint i = 0; i < 10; i++)
    send_vp8 (&f, PUB_SSRC, PUB_PT, 1000 + i, 93000 + 3000 * i, i == 0);
  for (guint i = 0; i < 10; i++) {
    len = receive (&f.sub, buf, FALSE);
    g_assert_cmpuint (len, ==, 100);
    g_assert_cmphex (get32 (buf + 8), ==, SUB_SSRC);
    g_assert_cmpuint (buf[1] & 0x7f, ==, SUB_PT);
    g_assert_cmpuint (buf[20], ==, (guint8) ((1000 + i + 20) & 0xff));   /* payload kept */
    if (i == 0) {
      g_assert_cmpuint (buf[12], ==, 0x10);   /* the keyframe, not the delta before it */
      first_seq = get16 (buf + 2);
      first_ts = get32 (buf + 4);
    } else {
      g_assert_cmpuint (get16 (buf + 2), ==, (guint16) (first_seq + i));
      g_assert_cmpuint (get32 (buf + 4), ==, first_ts + 3000 * i);
    }
    last_seq = get16 (buf + 2);
    last_ts = get32 (buf + 4);
  }

  /* The subscriber NACKs its packet first_seq + 3: RTX, its own SSRC
   * and type, the original sequence number, then the payload. */
  nack[0] = 0x81;
  nack[1] = 205;
  put16 (nack + 2, 3);
  put32 (nack + 4, 0xabcd);
  put32 (nack + 8, SUB_SSRC);
  put16 (nack + 12, first_seq + 3);
  put16 (nack + 14, 0);
  send_protected (&f, &f.sub, nack, 16, TRUE);
  len = receive (&f.sub, buf, FALSE);
  g_assert_cmpuint (len, ==, 102);
  g_assert_cmphex (get32 (buf + 8), ==, SUB_RTX);
  g_assert_cmpuint (buf[1] & 0x7f, ==, SUB_RTX_PT);
  g_assert_cmpuint (get16 (buf + 12), ==, (guint16) (first_seq + 3));
  g_assert_cmpuint (get32 (buf + 4), ==, first_ts + 9000);
  g_assert_cmpuint (buf[22], ==, (guint8) ((1003 + 20) & 0xff));

  /* A gap upstream (1011 lost): NACKed to the publisher. */
  send_vp8 (&f, PUB_SSRC, PUB_PT, 1010, 123000, FALSE);
  send_vp8 (&f, PUB_SSRC, PUB_PT, 1012, 129000, FALSE);
  g_assert_nonnull ((fb = wait_rtcp (&f.pub, buf, 205, 1)));
  g_assert_cmphex (get32 (fb + 8), ==, PUB_SSRC);
  g_assert_cmpuint (get16 (fb + 12), ==, 1011);
  /* ...and its RTX comes back (original 1011 inside): forwarded as media. */
  {
    guint8 rtx[256] = { 0 };

    rtx[0] = 0x80;
    rtx[1] = PUB_RTX_PT;
    put16 (rtx + 2, 7);
    put32 (rtx + 4, 126000);
    put32 (rtx + 8, PUB_RTX);
    put16 (rtx + 12, 1011);
    rtx[14] = 0x00;
    rtx[15] = 0x01;
    send_protected (&f, &f.pub, rtx, 102, FALSE);
  }
  for (guint i = 0; i < 3; i++) {
    len = receive (&f.sub, buf, FALSE);
    g_assert_cmpuint (len, ==, 100);
    g_assert_cmphex (get32 (buf + 8), ==, SUB_SSRC);
    if (get16 (buf + 2) == (guint16) (last_seq + 2))
      g_assert_cmpuint (get32 (buf + 4), ==, last_ts + 6000);   /* 1011, late */
  }
  last_seq += 3;
  last_ts += 9000;

  /* Paused and resumed: our sequence goes on where it stopped, at the
   * next keyframe. */
  ms_engine_worker_set_consumer_paused (f.worker, consumer, TRUE);
  for (guint i = 0; i < 5; i++)
    send_vp8 (&f, PUB_SSRC, PUB_PT, 1013 + i, 132000 + 3000 * i, i == 0);
  ms_engine_worker_set_consumer_paused (f.worker, consumer, FALSE);
  g_assert_nonnull (wait_rtcp (&f.pub, buf, 206, 1));
  send_vp8 (&f, PUB_SSRC, PUB_PT, 1018, 147000, FALSE);
  send_vp8 (&f, PUB_SSRC, PUB_PT, 1019, 150000, TRUE);
  len = receive (&f.sub, buf, FALSE);
  g_assert_cmpuint (len, ==, 100);
  g_assert_cmpuint (buf[12], ==, 0x10);
  g_assert_cmpuint (get16 (buf + 2), ==, (guint16) (last_seq + 1));
  g_assert_true (get32 (buf + 4) - last_ts > 0 && get32 (buf + 4) - last_ts < 90000 * 5);
  last_seq = get16 (buf + 2);

  /* Another source (a replaced track): the same SSRC and sequence go on. */
  producer2 = add_producer (&f, PUB2_SSRC, 0);
  ms_engine_worker_set_consumer_source (f.worker, consumer, producer2);
  g_assert_nonnull ((fb = wait_rtcp (&f.pub, buf, 206, 1)));
  send_vp8 (&f, PUB2_SSRC, PUB_PT, 40000, 5, TRUE);
  send_vp8 (&f, PUB2_SSRC, PUB_PT, 40001, 3005, FALSE);
  len = receive (&f.sub, buf, FALSE);
  g_assert_cmphex (get32 (buf + 8), ==, SUB_SSRC);
  g_assert_cmpuint (get16 (buf + 2), ==, (guint16) (last_seq + 1));
  len = receive (&f.sub, buf, FALSE);
  g_assert_cmpuint (get16 (buf + 2), ==, (guint16) (last_seq + 2));

  /* A sender report for the consumer comes within a second or so. */
  g_assert_nonnull ((fb = wait_rtcp (&f.sub, buf, 200, 0)));
  g_assert_cmphex (get32 (fb + 4), ==, SUB_SSRC);

  ms_engine_worker_remove_consumer (f.worker, consumer);
  ms_engine_worker_remove_producer (f.worker, producer);
  ms_engine_worker_remove_producer (f.worker, producer2);
  fixture_clear (&f);
}

/* Many subscribers' PLIs in a burst: one reaches the publisher. */
static void
test_keyframe_merge (void)
{
  Fixture f = { 0 };
  guint8 buf[2048];
  guint producer, consumer;
  guint plis = 0;
  MsEngineRouterStats stats;

  start_stream (&f, &producer, &consumer);
  send_vp8 (&f, PUB_SSRC, PUB_PT, 1, 0, TRUE);
  g_assert_cmpuint (receive (&f.sub, buf, FALSE), ==, 100);

  for (guint i = 0; i < 20; i++) {
    guint8 pli[64];

    pli[0] = 0x81;
    pli[1] = 206;
    put16 (pli + 2, 2);
    put32 (pli + 4, 0xabcd);
    put32 (pli + 8, SUB_SSRC);
    send_protected (&f, &f.sub, pli, 12, TRUE);
  }
  /* Within 250 ms: one at once or none (one went lately), and one for
   * the rest after the 100 ms interval; not twenty. */
  g_socket_set_timeout (f.pub.socket, 0);
  {
    gint64 until = g_get_monotonic_time () + 250 * 1000;

    while (g_get_monotonic_time () < until) {
      if (g_socket_condition_timed_wait (f.pub.socket, G_IO_IN, until - g_get_monotonic_time (),
                                         NULL, NULL)) {
        gsize len = receive (&f.pub, buf, TRUE);

        if (len > 0 && find_rtcp (buf, len, 206, 1) != NULL)
          plis++;
      }
    }
  }
  g_test_message ("20 PLIs from the subscriber: %u to the publisher", plis);
  g_assert_cmpuint (plis, <=, 2);
  ms_engine_worker_get_router_stats (f.worker, &stats);
  g_assert_cmpuint (stats.keyframe_requests, <=, 4);

  fixture_clear (&f);
}

/* A publisher that negotiated transport-cc gets feedback: every
 * transport-wide sequence number it sent, with which ones came. */
static void
test_transport_cc (void)
{
  Fixture f = { 0 };
  MsEngineProducerParams params = {
    .ssrc = PUB_SSRC,
    .payload_type = PUB_PT,
    .clock_rate = 90000,
    .codec = MS_ENGINE_CODEC_VP8,
    .video = TRUE,
    .twcc_ext_id = 3,
  };
  guint8 buf[2048];
  const guint8 *fb;
  guint producer;
  guint statuses[10];

  fixture_init (&f);
  params.transport_id = f.pub_id;
  producer = ms_engine_worker_add_producer (f.worker, &params);
  /* The producer exists before its packets come. */
  ms_engine_worker_sync (f.worker);
  for (guint i = 0; i < 10; i++) {
    guint8 pkt[256] = { 0 };

    if (i == 4)
      continue;   /* lost */
    pkt[0] = 0x90;   /* version 2, extension */
    pkt[1] = PUB_PT;
    put16 (pkt + 2, 500 + i);
    put32 (pkt + 4, 3000 * i);
    put32 (pkt + 8, PUB_SSRC);
    pkt[12] = 0xBE;
    pkt[13] = 0xDE;
    put16 (pkt + 14, 1);
    pkt[16] = (3 << 4) | 1;   /* id 3, two bytes */
    put16 (pkt + 17, 100 + i);
    pkt[20] = 0x10;
    pkt[21] = 0x01;
    send_protected (&f, &f.pub, pkt, 80, FALSE);
  }
  /* The feedback may come in two parts, if the timer fell between. */
  memset (statuses, 0xff, sizeof statuses);
  for (guint round = 0; round < 5; round++) {
    guint16 base, count;

    fb = wait_rtcp (&f.pub, buf, 205, 15);
    g_assert_nonnull (fb);
    g_assert_cmphex (get32 (fb + 8), ==, PUB_SSRC);
    base = get16 (fb + 12);
    count = get16 (fb + 14);
    g_assert_cmpuint (count, >, 0);
    g_assert_cmpuint (count, <=, 10);
    for (guint k = 0; k < count; k++) {
      guint16 chunk = get16 (fb + 20 + 2 * (k / 7));

      g_assert_cmphex (chunk >> 14, ==, 3);   /* status vector, 2-bit symbols */
      g_assert_cmpuint (base + k - 100, <, 10);
      statuses[base + k - 100] = (chunk >> (2 * (6 - k % 7))) & 3;
    }
    if (base + count >= 110)
      break;
  }
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (statuses[i], ==, i == 4 ? 0 : 1);   /* small deltas on loopback */

  ms_engine_worker_remove_producer (f.worker, producer);
  fixture_clear (&f);
}

/* A frame's packets to one subscriber leave as one message that the
 * kernel cuts into the datagrams (UDP_SEGMENT), as they came, once its
 * last packet (the marker) is in; one whose marker never comes still
 * leaves, soon. */
static void
test_frame_batch (void)
{
  static const gsize sizes[] = { 1200, 1200, 1200, 300 };
  Fixture f = { 0 };
  guint8 buf[2048];
  MsEngineStats before, after;
  guint producer, consumer;
  guint16 first_seq = 0;
  gint64 sent_at;
  gsize len;

  start_stream (&f, &producer, &consumer);

  /* A keyframe of four packets; the publisher wrote them back to back. */
  ms_engine_worker_sync (f.worker);
  ms_engine_worker_get_stats (f.worker, &before);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    send_vp8_sized (&f, PUB_SSRC, PUB_PT, 100 + i, 9000, i == 0, sizes[i],
                    i == G_N_ELEMENTS (sizes) - 1);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    len = receive (&f.sub, buf, FALSE);
    g_assert_cmpuint (len, ==, sizes[i]);
    g_assert_cmphex (get32 (buf + 8), ==, SUB_SSRC);
    if (i == 0)
      first_seq = get16 (buf + 2);
    g_assert_cmpuint (get16 (buf + 2), ==, (guint16) (first_seq + i));
    g_assert_cmpuint (buf[1] & 0x80, ==, i == G_N_ELEMENTS (sizes) - 1 ? 0x80 : 0);
    g_assert_cmpuint (buf[len - 1], ==, (guint8) (100 + i + len - 1));   /* payload kept */
  }
  ms_engine_worker_sync (f.worker);
  ms_engine_worker_get_stats (f.worker, &after);
  g_test_message ("a frame of %u packets: %" G_GUINT64_FORMAT " datagrams in %"
                  G_GUINT64_FORMAT " messages", (guint) G_N_ELEMENTS (sizes),
                  after.packets_out - before.packets_out,
                  after.messages_out - before.messages_out);
  /* An RTCP report of the router's may have gone meanwhile, alone or
   * at the end of the run: the run saved three messages either way. */
  g_assert_cmpuint (after.packets_out - before.packets_out, >=, G_N_ELEMENTS (sizes));
  g_assert_cmpuint ((after.packets_out - before.packets_out) -
                    (after.messages_out - before.messages_out), >=, G_N_ELEMENTS (sizes) - 1);

  /* A larger packet after a smaller one cannot join its run (the kernel
   * would cut it at the smaller size). */
  send_vp8_sized (&f, PUB_SSRC, PUB_PT, 104, 12000, FALSE, 800, FALSE);
  send_vp8_sized (&f, PUB_SSRC, PUB_PT, 105, 12000, FALSE, 1000, TRUE);
  g_assert_cmpuint (receive (&f.sub, buf, FALSE), ==, 800);
  g_assert_cmpuint (receive (&f.sub, buf, FALSE), ==, 1000);

  /* A frame whose last packet is lost: what came still goes, within a
   * few milliseconds (the upper bound here allows for a loaded machine). */
  sent_at = g_get_monotonic_time ();
  send_vp8_sized (&f, PUB_SSRC, PUB_PT, 106, 15000, FALSE, 1200, FALSE);
  send_vp8_sized (&f, PUB_SSRC, PUB_PT, 107, 15000, FALSE, 1200, FALSE);
  g_assert_cmpuint (receive (&f.sub, buf, FALSE), ==, 1200);
  g_assert_cmpuint (receive (&f.sub, buf, FALSE), ==, 1200);
  g_test_message ("a frame without its marker: out after %" G_GINT64_FORMAT " µs",
                  g_get_monotonic_time () - sent_at);
  g_assert_cmpint (g_get_monotonic_time () - sent_at, <, 500 * 1000);

  ms_engine_worker_remove_consumer (f.worker, consumer);
  ms_engine_worker_remove_producer (f.worker, producer);
  fixture_clear (&f);
}

/* A message the kernel refuses (here an output rule's drop, EPERM) loses
 * its datagrams, counted as send errors, and nothing else: the
 * subscriber's next frame still leaves as one segmented message. (Such a
 * refusal had turned segmentation off for good: from the first drop of
 * the loss tests on, every datagram went on its own.) */
static void
test_send_error (void)
{
  static const gsize sizes[] = { 1200, 1200, 1200, 300 };
  g_autoptr (GInetSocketAddress) sub_address = NULL;
  g_autofree char *port = NULL;
  Fixture f = { 0 };
  guint8 buf[2048];
  MsEngineStats before, after;
  guint producer, consumer;
  guint64 out, messages, refused;
  gboolean segmented = FALSE;
  gint64 deadline;
  const char *drop[] = { "add", "rule", "inet", "router", "out", "udp", "dport", NULL, "drop",
                         NULL };

  if (!in_private_network) {
    g_test_fail_printf ("Needs a network namespace of its own (root, as in CI) to refuse "
                        "sends with nftables without hurting anyone else; it has none");
    return;
  }
  start_stream (&f, &producer, &consumer);
  sub_address = local_address (f.sub.socket);
  port = g_strdup_printf ("%u", g_inet_socket_address_get_port (sub_address));
  drop[7] = port;
  test_nft_output_chain ("router");
  g_free (test_nft (drop));

  ms_engine_worker_sync (f.worker);
  ms_engine_worker_get_stats (f.worker, &before);
  send_frame_at_once (&f, 100, 9000, TRUE, sizes, G_N_ELEMENTS (sizes));
  /* Until the frame was refused, the rule stays: the worker may be
   * holding part of it for the rest (a 1 ms nap), so one round trip to
   * it is not enough; each is an event, and 5 s the upper bound. */
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  do {
    ms_engine_worker_sync (f.worker);
    ms_engine_worker_get_stats (f.worker, &after);
    refused = after.dropped[MS_ENGINE_DROP_SEND_ERROR] -
              before.dropped[MS_ENGINE_DROP_SEND_ERROR];
  } while (refused < G_N_ELEMENTS (sizes) && g_get_monotonic_time () < deadline);
  test_nft_delete_table ("router");
  /* Each of the refused frame's datagrams is counted (a report of the
   * router's may have been refused with them). */
  g_assert_cmpuint (refused, >=, G_N_ELEMENTS (sizes));

  /* The frames after it go as one message again. A frame's copies wait
   * for its last packet only while the publisher's frames come in
   * bursts of 2 ms at most, which a slow (sanitizer) build now and then
   * misses: one frame of a few is enough, and without segmentation none
   * is. */
  for (guint frame = 1; frame <= 4 && !segmented; frame++) {
    ms_engine_worker_get_stats (f.worker, &before);
    send_frame_at_once (&f, 100 + frame * G_N_ELEMENTS (sizes), 9000 + frame * 3000, FALSE,
                        sizes, G_N_ELEMENTS (sizes));
    for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
      g_assert_cmpuint (receive (&f.sub, buf, FALSE), ==, sizes[i]);
    ms_engine_worker_sync (f.worker);
    ms_engine_worker_get_stats (f.worker, &after);
    out = after.packets_out - before.packets_out;
    messages = after.messages_out - before.messages_out;
    g_test_message ("a refused frame: %" G_GUINT64_FORMAT " send errors; frame %u after it: %"
                    G_GUINT64_FORMAT " datagrams in %" G_GUINT64_FORMAT " messages",
                    refused, frame, out, messages);
    g_assert_cmpuint (out, >=, G_N_ELEMENTS (sizes));
    segmented = out - messages >= G_N_ELEMENTS (sizes) - 1;
  }
  g_assert_true (segmented);

  ms_engine_worker_remove_consumer (f.worker, consumer);
  ms_engine_worker_remove_producer (f.worker, producer);
  fixture_clear (&f);
}

/* Where the kernel cannot cut a message into its datagrams (here a
 * route whose MTU is below the segment size: EMSGSIZE on Linux 6.18,
 * EINVAL on older kernels; a device without checksum offload says EIO),
 * the worker sends each datagram on its own instead, which the kernel
 * fragments as it must: that subscriber gets the whole frame and nothing
 * counts as a send error, then and after; a subscriber on another route
 * still gets its frames as one message each. */
static void
test_segmentation_refused (void)
{
  static const gsize sizes[] = { 1200, 1200, 1200, 300 };
  const char *narrow[] = { "route", "add", "local", "127.0.0.2/32", "dev", "lo", "mtu", "1000",
                           "table", "local", NULL };
  const guint n = G_N_ELEMENTS (sizes);
  g_autoptr (GInetSocketAddress) far_address = NULL;
  Fixture f = { 0 };
  Peer far = { 0 };
  guint8 buf[2048];
  MsEngineStats before, after;
  guint producer, consumer, far_consumer, far_id;
  gboolean near_cut = FALSE;

  if (!in_private_network) {
    g_test_fail_printf ("Needs a network namespace of its own (root, as in CI) to give "
                        "127.0.0.2 a narrow route without hurting anyone else; it has none");
    return;
  }
  g_free (test_ip (narrow));
  start_stream (&f, &producer, &consumer);
  /* A second subscriber, behind the narrow route. */
  peer_init_at (&far, "127.0.0.2");
  far_address = local_address (far.socket);
  far_id = ms_engine_worker_add_keyed_transport (f.worker, far_address, key);
  far_consumer = add_consumer_on (&f, far_id);
  ms_engine_worker_set_consumer_source (f.worker, far_consumer, producer);
  g_assert_nonnull (wait_rtcp (&f.pub, buf, 206, 1));   /* its keyframe request */

  /* The first frame meets the refusal. After it the near one's frames
   * still go as one message each: at least n - 1 fewer messages than
   * datagrams. A frame's copies wait for its last packet only while the
   * publisher's frames come in bursts of 2 ms at most, which a slow
   * (sanitizer) build now and then misses: one frame of a few is enough. */
  for (guint frame = 0; frame <= 4 && !near_cut; frame++) {
    guint64 out, messages;

    ms_engine_worker_sync (f.worker);
    ms_engine_worker_get_stats (f.worker, &before);
    send_frame_at_once (&f, 100 + frame * n, 9000 + frame * 3000, frame == 0, sizes, n);
    for (guint i = 0; i < n; i++) {
      gsize len = receive (&f.sub, buf, FALSE);

      g_assert_cmpuint (len, ==, sizes[i]);
      len = receive (&far, buf, FALSE);
      g_assert_cmpuint (len, ==, sizes[i]);
      g_assert_cmpuint (buf[len - 1], ==, (guint8) (100 + frame * n + i + len - 1));
    }
    ms_engine_worker_sync (f.worker);
    ms_engine_worker_get_stats (f.worker, &after);
    out = after.packets_out - before.packets_out;
    messages = after.messages_out - before.messages_out;
    g_test_message ("frame %u to both: %" G_GUINT64_FORMAT " datagrams in %" G_GUINT64_FORMAT
                    " messages, %" G_GUINT64_FORMAT " send errors", frame, out, messages,
                    after.dropped[MS_ENGINE_DROP_SEND_ERROR] -
                    before.dropped[MS_ENGINE_DROP_SEND_ERROR]);
    g_assert_cmpuint (after.dropped[MS_ENGINE_DROP_SEND_ERROR], ==,
                      before.dropped[MS_ENGINE_DROP_SEND_ERROR]);
    g_assert_cmpuint (out, >=, 2 * n);
    near_cut = frame > 0 && out - messages >= n - 1;
  }
  g_assert_true (near_cut);

  ms_engine_worker_remove_consumer (f.worker, far_consumer);
  ms_engine_worker_remove_consumer (f.worker, consumer);
  ms_engine_worker_remove_producer (f.worker, producer);
  fixture_clear (&f);
  peer_clear (&far);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* Only /router/send-error and /router/segmentation-refused need it; the
   * rest run on its loopback too. */
  in_private_network = test_enter_private_network ();

  g_test_add_func ("/router/forwarding", test_forwarding);
  g_test_add_func ("/router/keyframe-merge", test_keyframe_merge);
  g_test_add_func ("/router/transport-cc", test_transport_cc);
  g_test_add_func ("/router/frame-batch", test_frame_batch);
  g_test_add_func ("/router/send-error", test_send_error);
  g_test_add_func ("/router/segmentation-refused", test_segmentation_refused);

  return g_test_run ();
}
