/* ms-engine-router.c: producers, consumers, and the RTP/RTCP an SFU does
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here runs on the worker thread. The owner's calls (at the
 * end of this file) post a command carrying ids; nothing the owner holds
 * points into the router.
 *
 * The hot path: a decrypted RTP packet of a producer is stored in the
 * producer's history (video) and copied, with the consumer's SSRC,
 * sequence number, timestamp and payload type written in, into a slot of
 * the worker's send batch per consumer; the batch leaves in one
 * sendmmsg(). Nothing is allocated per packet.
 */

#include "config.h"

#include <stdatomic.h>
#include <string.h>

#include <openssl/rand.h>

#include "ms-engine-private.h"

#define HISTORY_SIZE      512        /* video packets kept for NACKs: ~4 s at 1 Mbit/s */
#define HISTORY_PACKET    1500       /* larger ones (none from WebRTC senders) are not kept */
#define HISTORY_MAX_AGE   (2 * G_USEC_PER_SEC)
#define MAX_NACKS         256        /* missing upstream packets tracked */
/* NACKs to a publisher go again after 1.5 round trips, as measured by
 * retransmissions answered at the first request, within these bounds. */
#define NACK_RETRY_MIN_US (5 * 1000)
#define NACK_RETRY_MAX_US (100 * 1000)
#define NACK_RETRY_FIRST_US (10 * 1000)
#define NACK_MAX_TRIES    10
#define NACK_MAX_AGE_US   (1 * G_USEC_PER_SEC)
/* A keyframe request to a publisher is outstanding until a keyframe
 * comes: requests meanwhile are answered by that keyframe; after this
 * long without one, it goes again. */
#define PLI_RETRY_US      (300 * 1000)
#define REPORT_INTERVAL_US (1 * G_USEC_PER_SEC)
/* Periodic work goes up to this much early when the worker is awake
 * anyway, rather than wake it on its own: see due_at(). */
#define REPORT_SLACK_US   (100 * 1000)
#define TWCC_SLACK_US     (10 * 1000)
/* A frame's packets come in a burst: this long after one that did not
 * end its frame, the next is NACKed without waiting for the next frame
 * to show the gap (33 ms at 30 fps, most of a short jitterbuffer). */
#define TAIL_LOSS_US      (6 * 1000)
/* A frame whose packets all came within this (the worker's hold, 1 ms,
 * and some) was sent in one burst. */
#define BURST_US          (2 * 1000)
#define TWCC_INTERVAL_US  (50 * 1000)    /* feedback to publishers that asked for it */
#define TWCC_MAX          512            /* packets one feedback can describe */

#define RTCP_SR    200
#define RTCP_RR    201
#define RTCP_RTPFB 205
#define RTCP_PSFB  206

typedef struct {
  guint16 seq;
  guint16 len;
  gint64  at;
  guint8  data[HISTORY_PACKET];
} HistoryEntry;

typedef struct {
  guint16 seq;
  guint8  tries;
  gint64  first;
  gint64  sent;
} Missing;

typedef struct _Consumer Consumer;

typedef struct {
  guint          id;
  MsEngineProducerParams p;
  GPtrArray     *consumers;      /* of Consumer, borrowed */
  HistoryEntry  *history;        /* video only */

  /* Reception, for our receiver reports (RFC 3550 A.1, A.3, A.8). */
  gboolean       started;
  guint16        max_seq;
  guint32        cycles;
  guint32        base_seq;
  guint64        received;
  guint32        expected_prior;
  guint64        received_prior;
  double         jitter;
  gint64         last_transit;
  gboolean       have_transit;

  /* The publisher's latest sender report. */
  guint64        sr_ntp;
  guint32        sr_rtp;
  gint64         sr_at;

  Missing        missing[MAX_NACKS];
  guint          n_missing;
  gint64         rtx_rtt;        /* smoothed, 0 before the first sample */

  gint64         last_pli;
  gboolean       pli_outstanding;
  gint64         last_report;
  gboolean       announced;
  /* The newest packet did not end its frame (no marker): if nothing
   * follows soon, the frame's last packets were lost. */
  gboolean       open_frame;
  GList          open_link;      /* in the router's open, while open_frame */
  gint64         last_arrival;
  /* Whether its frames come in one burst (a sender that does not pace:
   * GStreamer's): the copies of such a frame wait for its last packet. */
  gint64         frame_start;
  gboolean       bursty;
} Producer;

struct _Consumer {
  guint          id;
  MsEngineConsumerParams p;
  Producer      *producer;
  gboolean       paused;

  gboolean       synced;          /* offsets valid for the current source */
  gboolean       need_keyframe;
  guint16        seq_offset;
  guint32        ts_offset;
  guint16        epoch_seq;       /* our first sequence number from this source */
  gboolean       sent_any;
  guint16        last_seq;
  guint32        last_ts;
  gint64         last_at;
  guint16        rtx_seq;
  guint64        packets;
  guint64        octets;
  gint64         last_report;
};

/* Transport-wide congestion control (draft-holmer-rmcat-transport-wide-
 * cc-extensions-01): the arrival time of each transport-wide sequence
 * number a publisher's transport received, reported back every 50 ms. */
typedef struct {
  guint    transport_id;
  guint32  media_ssrc;     /* any of the publisher's, for the feedback header */
  gboolean started;
  guint16  base;           /* first sequence number not yet reported */
  guint16  highest;        /* highest received, from base */
  gint64   arrival[TWCC_MAX];   /* by (seq - base); 0: not received */
  guint8   count;          /* feedback packet count */
  gint64   last_sent;
  guint    producers;      /* using it */
} Twcc;

struct _MsEngineRouter {
  MsEngineWorker *worker;
  GHashTable     *producers;     /* id → Producer */
  GHashTable     *consumers;     /* id → Consumer */
  GHashTable     *by_ssrc;       /* (transport << 32 | ssrc) → Producer, media and RTX */
  GHashTable     *by_csrc;       /* (transport << 32 | consumer ssrc) → Consumer */
  GHashTable     *twcc;          /* transport id → Twcc */
  guint32         ssrc;          /* ours, as the sender of RTCP feedback */
  /* The tick's work is due by @due and may go from @soft on (G_MAXINT64:
   * nothing); besides, by the tail-loss time of each producer in @open. */
  GSource        *clock;
  gint64          due;
  gint64          soft;
  GQueue          open;          /* of Producer, whose last packet did not end its frame */
  GMainContext   *context;       /* the worker's, from OP_START on */
  _Atomic guint   next_id;
  _Atomic guint64 forwarded, bytes, retransmitted, nacks, plis, rtcp_in;
  _Atomic guint   n_producers, n_consumers;
};

#define COUNT(field, n) atomic_fetch_add_explicit (&(field), (n), memory_order_relaxed)

static inline guint16
rd16 (const guint8 *p)
{
  return (p[0] << 8) | p[1];
}

static inline guint32
rd32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static inline void
wr16 (guint8  *p,
      guint16  v)
{
  p[0] = v >> 8;
  p[1] = v;
}

static inline void
wr32 (guint8  *p,
      guint32  v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static inline gint64
key_of (guint   transport_id,
        guint32 ssrc)
{
  return ((gint64) transport_id << 32) | ssrc;
}

static guint32
random32 (void)
{
  guint32 v = 0;

  RAND_bytes ((guint8 *) &v, sizeof v);
  return v;
}

/* NTP time of the wall clock, 32.32 fixed point. */
static guint64
ntp_now (void)
{
  gint64 us = g_get_real_time ();
  guint64 secs = us / G_USEC_PER_SEC + 2208988800ULL;
  guint64 frac = ((guint64) (us % G_USEC_PER_SEC) << 32) / G_USEC_PER_SEC;

  return (secs << 32) | frac;
}

/* Timing. Nothing ticks at a fixed rate: each piece of work says when it
 * is due next, and the worker's clock source sleeps until the earliest
 * (an idle room costs no wake-ups; at 10 ms ticks it was about 100 a
 * second, half the worker's wake-ups in a mesh of 2). Periodic work
 * (reports, TWCC feedback) gives a slack: from its time minus the slack
 * it runs whenever the worker is awake for packets anyway, and it wakes
 * the worker only if none came by its time. The tick recomputes both
 * times from scratch; between ticks work can only bring them earlier. */
static inline void
due_at (MsEngineRouter *r,
        gint64          time,
        gint64          slack)
{
  r->due = MIN (r->due, time);
  r->soft = MIN (r->soft, time - slack);
}

static gint64
router_when (gpointer  data,
             gint64   *latest)
{
  MsEngineRouter *r = data;
  gint64 due = r->due, soft = r->soft;

  for (GList *l = r->open.head; l != NULL; l = l->next) {
    gint64 time = ((Producer *) l->data)->last_arrival + TAIL_LOSS_US;

    due = MIN (due, time);
    soft = MIN (soft, time);
  }
  *latest = due;
  return soft;
}

static void
close_frame (MsEngineRouter *r,
             Producer       *p)
{
  if (p->open_frame)
    g_queue_unlink (&r->open, &p->open_link);
  p->open_frame = FALSE;
}

/* Sending */

/* A compound RTCP packet to @transport_id: an empty receiver report (so
 * that every receiver takes it as compound) and @body. */
static void
send_feedback (MsEngineRouter *r,
               guint           transport_id,
               const guint8   *body,
               gsize           len)
{
  guint8 *buf = ms_engine_worker_slot (r->worker);

  if (8 + len > MS_ENGINE_MAX_PACKET)
    return;
  buf[0] = 0x80;
  buf[1] = RTCP_RR;
  wr16 (buf + 2, 1);
  wr32 (buf + 4, r->ssrc);
  memcpy (buf + 8, body, len);
  ms_engine_worker_queue (r->worker, transport_id, 8 + len);
}

static void
send_pli (MsEngineRouter *r,
          Producer       *p,
          gint64          now)
{
  guint8 pli[12];

  pli[0] = 0x80 | 1;   /* FMT 1: PLI */
  pli[1] = RTCP_PSFB;
  wr16 (pli + 2, 2);
  wr32 (pli + 4, r->ssrc);
  wr32 (pli + 8, p->p.ssrc);
  send_feedback (r, p->p.transport_id, pli, sizeof pli);
  p->last_pli = now;
  p->pli_outstanding = TRUE;
  due_at (r, now + PLI_RETRY_US, 0);
  COUNT (r->plis, 1);
}

/* Merged: every request while one is outstanding is answered by the
 * keyframe already asked for. */
static void
request_keyframe (MsEngineRouter *r,
                  Producer       *p,
                  gint64          now)
{
  if (!p->p.video)
    return;
  if (!p->pli_outstanding || now - p->last_pli >= PLI_RETRY_US)
    send_pli (r, p, now);
}

static gint64
nack_retry (Producer *p)
{
  if (p->rtx_rtt == 0)
    return NACK_RETRY_FIRST_US;
  return CLAMP (p->rtx_rtt * 3 / 2, NACK_RETRY_MIN_US, NACK_RETRY_MAX_US);
}

static void
send_nacks (MsEngineRouter *r,
            Producer       *p,
            gint64          now,
            gboolean        fresh_only)
{
  guint8 body[4 + 8 + 4 * 64];
  gint64 retry = nack_retry (p);
  guint n_fci = 0;
  guint i = 0;

  while (i < p->n_missing && n_fci < 64) {
    Missing *m = &p->missing[i];
    guint16 pid;
    guint16 blp = 0;

    if (now - m->first > NACK_MAX_AGE_US || m->tries >= NACK_MAX_TRIES) {
      p->missing[i] = p->missing[--p->n_missing];
      continue;
    }
    if ((fresh_only && m->tries > 0) || (m->tries > 0 && now - m->sent < retry)) {
      i++;
      continue;
    }
    pid = m->seq;
    m->tries++;
    m->sent = now;
    COUNT (r->nacks, 1);
    /* Later missing packets within 16 of it go into its bitmask. */
    for (guint j = 0; j < p->n_missing; j++) {
      Missing *o = &p->missing[j];
      guint16 d = o->seq - pid;

      if (j == i || d == 0 || d > 16)
        continue;
      if ((o->tries > 0 && now - o->sent < retry) || o->tries >= NACK_MAX_TRIES)
        continue;
      blp |= 1 << (d - 1);
      o->tries++;
      o->sent = now;
      COUNT (r->nacks, 1);
    }
    wr16 (body + 12 + 4 * n_fci, pid);
    wr16 (body + 14 + 4 * n_fci, blp);
    n_fci++;
    i++;
  }
  /* The next retry: untried ones (past the 64 of one packet) at once. */
  for (guint j = 0; j < p->n_missing; j++) {
    const Missing *m = &p->missing[j];

    if (m->tries == 0)
      due_at (r, now, 0);
    else if (m->tries < NACK_MAX_TRIES)
      due_at (r, m->sent + retry, 0);
  }
  if (n_fci == 0)
    return;
  body[0] = 0x80 | 1;   /* FMT 1: generic NACK */
  body[1] = RTCP_RTPFB;
  wr16 (body + 2, 2 + n_fci);
  wr32 (body + 4, r->ssrc);
  wr32 (body + 8, p->p.ssrc);
  send_feedback (r, p->p.transport_id, body, 12 + 4 * n_fci);
}

/* Reception */

/* Not yet NACKed; the caller has made room. */
static void
add_missing (Producer *p,
             guint16   seq,
             gint64    now)
{
  Missing *m = &p->missing[p->n_missing++];

  m->seq = seq;
  m->tries = 0;
  m->first = now;
  m->sent = 0;
}

static void
forget_missing (Producer *p,
                guint16   seq,
                gint64    now)
{
  for (guint i = 0; i < p->n_missing; i++) {
    if (p->missing[i].seq == seq) {
      /* Answered at the first request: a round trip (not a packet NACKed
       * before it was due, by the tail-loss guess, which came anyway). */
      if (p->missing[i].tries == 1 && now != 0) {
        gint64 sample = now - p->missing[i].sent;

        p->rtx_rtt = p->rtx_rtt == 0 ? sample : (7 * p->rtx_rtt + sample) / 8;
      }
      p->missing[i] = p->missing[--p->n_missing];
      return;
    }
  }
}

/* RFC 3550 A.1, simplified: FALSE for a duplicate or a packet too old. */
static gboolean
note_received (MsEngineRouter *r,
               Producer       *p,
               guint16         seq,
               guint32         ts,
               gint64          now,
               gboolean        retransmission)
{
  gint16 delta;

  if (!p->started) {
    p->started = TRUE;
    p->max_seq = seq;
    p->base_seq = seq;
    p->received = 1;
    due_at (r, p->last_report + REPORT_INTERVAL_US, REPORT_SLACK_US);
    return TRUE;
  }
  delta = (gint16) (seq - p->max_seq);
  if (delta > 0) {
    if (p->n_missing > 0)
      forget_missing (p, seq, 0);   /* guessed missing, and here */
    if (seq < p->max_seq)
      p->cycles += 65536;
    /* A gap: everything in it is missing, NACKed if the publisher can. */
    if (p->p.nack && delta > 1 && delta < 200) {
      for (guint16 s = p->max_seq + 1; s != seq; s++) {
        gboolean known = FALSE;

        for (guint i = 0; i < p->n_missing && !known; i++)
          known = p->missing[i].seq == s;   /* the tail-loss guess */
        if (known)
          continue;
        if (p->n_missing == MAX_NACKS)
          memmove (p->missing, p->missing + 1, --p->n_missing * sizeof (Missing));
        add_missing (p, s, now);
      }
    }
    p->max_seq = seq;
  } else if (p->history != NULL) {
    HistoryEntry *e = &p->history[seq % HISTORY_SIZE];

    if (e->len > 0 && e->seq == seq)
      return FALSE;   /* already here */
    forget_missing (p, seq, now);
  } else if (delta == 0) {
    return FALSE;
  }
  p->received++;

  /* Interarrival jitter, in timestamp units (A.8); not for packets that
   * were sent again. */
  if (!retransmission && p->p.clock_rate > 0 && delta > 0) {
    gint64 arrival = now * p->p.clock_rate / G_USEC_PER_SEC;
    gint64 transit = arrival - ts;

    if (p->have_transit) {
      gint64 d = transit - p->last_transit;

      if (d < 0)
        d = -d;
      p->jitter += (d - p->jitter) / 16.0;
    }
    p->last_transit = transit;
    p->have_transit = TRUE;
  }
  return TRUE;
}

/* Transport-wide congestion control */

/* The value of one-byte (RFC 8285 0xBEDE) or two-byte header extension
 * @id in @data, if it has 2 bytes. */
static gboolean
read_extension16 (const guint8 *data,
                  gsize         header_len,
                  guint8        id,
                  guint16      *value)
{
  gsize at = 12 + 4 * (data[0] & 0x0f);
  guint16 profile;
  gsize end;

  if (!(data[0] & 0x10) || at + 4 > header_len)
    return FALSE;
  profile = rd16 (data + at);
  end = at + 4 + 4 * (gsize) rd16 (data + at + 2);
  if (end > header_len)
    return FALSE;
  at += 4;
  while (at < end) {
    guint8 ext_id, ext_len;

    if (data[at] == 0) {   /* padding */
      at++;
      continue;
    }
    if (profile == 0xBEDE) {
      ext_id = data[at] >> 4;
      ext_len = (data[at] & 0x0f) + 1;
      at++;
      if (ext_id == 15)
        return FALSE;
    } else if ((profile & 0xfff0) == 0x1000) {
      if (at + 2 > end)
        return FALSE;
      ext_id = data[at];
      ext_len = data[at + 1];
      at += 2;
    } else {
      return FALSE;
    }
    if (at + ext_len > end)
      return FALSE;
    if (ext_id == id && ext_len == 2) {
      *value = rd16 (data + at);
      return TRUE;
    }
    at += ext_len;
  }
  return FALSE;
}

static void send_twcc (MsEngineRouter *r,
                       Twcc           *t,
                       gint64          now);

static void
note_twcc (MsEngineRouter *r,
           Producer       *p,
           const guint8   *data,
           gsize           header_len,
           gint64          now)
{
  Twcc *t = g_hash_table_lookup (r->twcc, GUINT_TO_POINTER (p->p.transport_id));
  guint16 seq, offset;

  if (t == NULL || !read_extension16 (data, header_len, p->p.twcc_ext_id, &seq))
    return;
  if (!t->started) {
    t->started = TRUE;
    t->base = seq;
    t->highest = seq;
    t->last_sent = now;
    due_at (r, now + TWCC_INTERVAL_US, TWCC_SLACK_US);
  }
  offset = seq - t->base;
  if ((gint16) offset < 0)
    return;   /* reported already */
  if (offset >= TWCC_MAX) {
    send_twcc (r, t, now);
    offset = seq - t->base;
    if ((gint16) offset < 0 || offset >= TWCC_MAX) {
      /* A jump: start again from here. */
      memset (t->arrival, 0, sizeof t->arrival);
      t->base = seq;
      t->highest = seq;
      offset = 0;
    }
  }
  if (t->arrival[offset] == 0)
    t->arrival[offset] = now;
  if ((gint16) (seq - t->highest) > 0)
    t->highest = seq;
}

/* One feedback packet for everything from base to highest: status
 * vector chunks of seven 2-bit symbols (not received, small delta, large
 * delta), then the receive deltas in 250 µs units. */
static void
send_twcc (MsEngineRouter *r,
           Twcc           *t,
           gint64          now)
{
  guint8 *buf = ms_engine_worker_slot (r->worker);
  guint16 count = t->highest - t->base + 1;
  guint8 *body = buf + 8;       /* after the empty receiver report */
  gint64 first = 0;
  gint64 reference, previous;
  gsize at, deltas_at;
  guint n_chunks;

  t->last_sent = now;
  if (!t->started || count > TWCC_MAX)
    return;
  for (guint i = 0; i < count && first == 0; i++)
    first = t->arrival[i];
  if (first == 0)
    return;   /* nothing received since the last one */
  if (!ms_engine_worker_ready (r->worker, t->transport_id))
    return;

  /* The reference time, in 64 ms units; deltas from it. */
  reference = first / 64000;
  n_chunks = (count + 6) / 7;
  deltas_at = 20 + 2 * n_chunks;
  if (8 + deltas_at + 2 * count + 3 > MS_ENGINE_MAX_PACKET)
    return;

  buf[0] = 0x80;
  buf[1] = RTCP_RR;
  wr16 (buf + 2, 1);
  wr32 (buf + 4, r->ssrc);
  body[0] = 0x80 | 15;          /* FMT 15: transport-wide feedback */
  body[1] = RTCP_RTPFB;
  wr32 (body + 4, r->ssrc);
  wr32 (body + 8, t->media_ssrc);
  wr16 (body + 12, t->base);
  wr16 (body + 14, count);
  body[16] = reference >> 16;
  body[17] = reference >> 8;
  body[18] = reference;
  body[19] = t->count++;

  previous = reference * 64000;
  at = deltas_at;
  for (guint c = 0; c < n_chunks; c++) {
    guint16 chunk = 0xC000;     /* status vector, 2-bit symbols */

    for (guint k = 0; k < 7; k++) {
      guint i = c * 7 + k;
      guint symbol = 0;

      if (i < count && t->arrival[i] != 0) {
        gint64 delta = (t->arrival[i] - previous) / 250;

        if (delta >= 0 && delta <= 255) {
          symbol = 1;
          body[at++] = delta;
        } else {
          delta = CLAMP (delta, G_MININT16, G_MAXINT16);
          symbol = 2;
          wr16 (body + at, (guint16) (gint16) delta);
          at += 2;
        }
        previous += delta * 250;
      }
      chunk |= symbol << (2 * (6 - k));
    }
    wr16 (body + 20 + 2 * c, chunk);
  }
  while (at % 4 != 0)
    body[at++] = 0;
  wr16 (body + 2, at / 4 - 1);
  ms_engine_worker_queue (r->worker, t->transport_id, 8 + at);

  memset (t->arrival, 0, sizeof t->arrival);
  t->base = t->highest + 1;
  t->highest = t->base - 1;
}

/* Forwarding */

static void
forward_one (MsEngineRouter *r,
             Consumer       *c,
             const guint8   *data,
             gsize           len,
             gsize           header_len,
             gboolean        keyframe_start,
             gint64          now)
{
  guint16 seq = rd16 (data + 2);
  guint32 ts = rd32 (data + 4);
  guint16 out_seq;
  guint32 out_ts;
  guint8 *buf;

  if (c->paused || !ms_engine_worker_ready (r->worker, c->p.transport_id))
    return;
  if (c->need_keyframe) {
    if (!keyframe_start) {
      request_keyframe (r, c->producer, now);
      return;
    }
    c->need_keyframe = FALSE;
  }
  if (!c->synced) {
    guint16 first = c->sent_any ? c->last_seq + 1 : (guint16) random32 ();
    guint32 first_ts;

    if (c->sent_any) {
      gint64 elapsed = MAX (now - c->last_at, 1000);

      first_ts = c->last_ts + (guint32) (elapsed * c->p.clock_rate / G_USEC_PER_SEC);
    } else {
      first_ts = random32 ();
    }
    c->seq_offset = first - seq;
    c->ts_offset = first_ts - ts;
    c->epoch_seq = first;
    c->synced = TRUE;
  }
  out_seq = seq + c->seq_offset;
  out_ts = ts + c->ts_offset;

  buf = ms_engine_worker_slot (r->worker);
  memcpy (buf, data, len);
  buf[1] = (buf[1] & 0x80) | c->p.payload_type;
  wr16 (buf + 2, out_seq);
  wr32 (buf + 4, out_ts);
  wr32 (buf + 8, c->p.ssrc);
  if (!ms_engine_worker_queue (r->worker, c->p.transport_id, len))
    return;

  if (!c->sent_any || (gint16) (out_seq - c->last_seq) > 0) {
    c->last_seq = out_seq;
    c->last_ts = out_ts;
    c->last_at = now;
  }
  if (!c->sent_any)
    due_at (r, c->last_report + REPORT_INTERVAL_US, REPORT_SLACK_US);
  c->sent_any = TRUE;
  c->packets++;
  c->octets += len - header_len;
  COUNT (r->forwarded, 1);
  COUNT (r->bytes, len);
}

static void
on_producer_rtp (MsEngineRouter *r,
                 Producer       *p,
                 guint8         *data,
                 gsize           len,
                 gsize           header_len,
                 gboolean        is_rtx)
{
  gint64 now = g_get_monotonic_time ();
  gboolean keyframe_start = FALSE;
  gsize payload_len;
  guint16 seq;

  if (!ms_engine_rtp_payload (data, len, header_len, &payload_len))
    return;   /* padding longer than the payload */
  if (p->p.twcc_ext_id != 0)
    note_twcc (r, p, data, header_len, now);
  if (is_rtx) {
    if (!ms_engine_rtx_unwrap (data, &len, header_len, p->p.payload_type, p->p.ssrc))
      return;   /* a padding-only probe, or no original sequence number */
    payload_len -= 2;
  }
  if (len > MS_ENGINE_MAX_PACKET)
    return;
  seq = rd16 (data + 2);
  if (!note_received (r, p, seq, rd32 (data + 4), now, is_rtx))
    return;
  if (seq == p->max_seq) {
    gboolean was_open = p->open_frame;

    p->open_frame = p->p.video && p->p.nack && !(data[1] & 0x80);
    if (!was_open) {
      p->frame_start = now;
      if (p->open_frame)
        g_queue_push_tail_link (&r->open, &p->open_link);
    } else if (!p->open_frame) {
      p->bursty = now - p->frame_start <= BURST_US;
      g_queue_unlink (&r->open, &p->open_link);
    }
    p->last_arrival = now;
  }
  if (!p->announced) {
    p->announced = TRUE;
    ms_engine_worker_post_producer (r->worker, p->id);
  }
  if (p->history != NULL && len <= HISTORY_PACKET) {
    HistoryEntry *e = &p->history[seq % HISTORY_SIZE];

    e->seq = seq;
    e->len = len;
    e->at = now;
    memcpy (e->data, data, len);
  }
  if (p->p.codec == MS_ENGINE_CODEC_VP8)
    keyframe_start = ms_engine_vp8_keyframe_start (data + header_len, payload_len);
  if (keyframe_start)
    p->pli_outstanding = FALSE;
  for (guint i = 0; i < p->consumers->len; i++)
    forward_one (r, g_ptr_array_index (p->consumers, i), data, len, header_len,
                 keyframe_start, now);
  /* New gaps are NACKed at once; the timer retries. */
  if (p->n_missing > 0)
    send_nacks (r, p, now, TRUE);
  /* The copies of a bursty frame's packets wait for its last packet, so
   * that each peer's go out as one (see ms_engine_worker_hold()). */
  if (p->open_frame && p->bursty)
    ms_engine_worker_hold (r->worker);
  else
    ms_engine_worker_flush (r->worker);
}

/* A subscriber's NACK: each packet still in the history goes again. */
static void
retransmit (MsEngineRouter *r,
            Consumer       *c,
            guint16         out_seq,
            gint64          now)
{
  Producer *p = c->producer;
  guint16 seq = out_seq - c->seq_offset;
  HistoryEntry *e;
  gsize hlen;
  guint8 *buf;

  if (p == NULL || p->history == NULL || !c->synced ||
      (gint16) (out_seq - c->epoch_seq) < 0 || (gint16) (out_seq - c->last_seq) > 0)
    return;
  e = &p->history[seq % HISTORY_SIZE];
  if (e->len == 0 || e->seq != seq || now - e->at > HISTORY_MAX_AGE ||
      !ms_engine_rtp_parse (e->data, e->len, NULL, NULL, &hlen))
    return;

  buf = ms_engine_worker_slot (r->worker);
  if (c->p.rtx_payload_type != 0) {
    if (e->len + 2 > MS_ENGINE_MAX_PACKET)
      return;
    memcpy (buf, e->data, hlen);
    wr16 (buf + hlen, out_seq);
    memcpy (buf + hlen + 2, e->data + hlen, e->len - hlen);
    buf[1] = (buf[1] & 0x80) | c->p.rtx_payload_type;
    wr16 (buf + 2, c->rtx_seq++);
    wr32 (buf + 4, rd32 (e->data + 4) + c->ts_offset);
    wr32 (buf + 8, c->p.rtx_ssrc);
    if (ms_engine_worker_queue (r->worker, c->p.transport_id, e->len + 2))
      COUNT (r->retransmitted, 1);
  } else {
    memcpy (buf, e->data, e->len);
    buf[1] = (buf[1] & 0x80) | c->p.payload_type;
    wr16 (buf + 2, out_seq);
    wr32 (buf + 4, rd32 (e->data + 4) + c->ts_offset);
    wr32 (buf + 8, c->p.ssrc);
    if (ms_engine_worker_queue (r->worker, c->p.transport_id, e->len))
      COUNT (r->retransmitted, 1);
  }
}

static Consumer *
consumer_by_ssrc (MsEngineRouter *r,
                  guint           transport_id,
                  guint32         ssrc)
{
  gint64 key = key_of (transport_id, ssrc);

  return g_hash_table_lookup (r->by_csrc, &key);
}

static Producer *
producer_by_ssrc (MsEngineRouter *r,
                  guint           transport_id,
                  guint32         ssrc)
{
  gint64 key = key_of (transport_id, ssrc);

  return g_hash_table_lookup (r->by_ssrc, &key);
}

/* One RTCP packet (of a checked compound) from @transport_id. */
static void
on_rtcp (MsEngineRouter *r,
         guint           transport_id,
         const guint8   *pkt,
         gsize           len,
         gint64          now)
{
  guint8 type = pkt[1];
  guint8 fmt = pkt[0] & 0x1f;

  if (type == RTCP_SR && len >= 28) {
    Producer *p = producer_by_ssrc (r, transport_id, rd32 (pkt + 4));

    if (p != NULL) {
      p->sr_ntp = ((guint64) rd32 (pkt + 8) << 32) | rd32 (pkt + 12);
      p->sr_rtp = rd32 (pkt + 16);
      p->sr_at = now;
    }
    return;
  }
  if (type == RTCP_RTPFB && fmt == 1 && len >= 16) {
    Consumer *c = consumer_by_ssrc (r, transport_id, rd32 (pkt + 8));

    if (c == NULL)
      return;
    for (gsize at = 12; at + 4 <= len; at += 4) {
      guint16 pid = rd16 (pkt + at);
      guint16 blp = rd16 (pkt + at + 2);

      retransmit (r, c, pid, now);
      for (guint b = 0; b < 16; b++)
        if (blp & (1 << b))
          retransmit (r, c, pid + b + 1, now);
    }
    return;
  }
  if (type == RTCP_PSFB && fmt == 1 && len >= 12) {
    Consumer *c = consumer_by_ssrc (r, transport_id, rd32 (pkt + 8));

    if (c != NULL && c->producer != NULL)
      request_keyframe (r, c->producer, now);
    return;
  }
  if (type == RTCP_PSFB && fmt == 4) {
    /* FIR: the media SSRCs are in the FCI entries. */
    for (gsize at = 12; at + 8 <= len; at += 8) {
      Consumer *c = consumer_by_ssrc (r, transport_id, rd32 (pkt + at));

      if (c != NULL && c->producer != NULL)
        request_keyframe (r, c->producer, now);
    }
  }
}

gboolean
ms_engine_router_packet (MsEngineRouter *r,
                         guint           transport_id,
                         gboolean        is_rtcp,
                         guint8         *data,
                         gsize           len)
{
  if (is_rtcp) {
    gint64 now = g_get_monotonic_time ();
    gsize at = 0;

    COUNT (r->rtcp_in, 1);
    /* ms_engine_rtcp_check() has vouched for the lengths. */
    while (at + 4 <= len) {
      gsize plen = 4 * (1 + (gsize) rd16 (data + at + 2));

      if (plen > len - at)
        break;
      on_rtcp (r, transport_id, data + at, plen, now);
      at += plen;
    }
    ms_engine_worker_flush (r->worker);
    return TRUE;
  } else {
    guint32 ssrc;
    gsize hlen;
    Producer *p;

    if (!ms_engine_rtp_parse (data, len, NULL, &ssrc, &hlen))
      return FALSE;
    p = producer_by_ssrc (r, transport_id, ssrc);
    if (p == NULL)
      return FALSE;
    on_producer_rtp (r, p, data, len, hlen, p->p.rtx_ssrc != 0 && ssrc == p->p.rtx_ssrc);
    return TRUE;
  }
}

/* Reports */

static guint32
middle32 (guint64 ntp)
{
  return (guint32) (ntp >> 16);
}

static void
send_receiver_report (MsEngineRouter *r,
                      Producer       *p,
                      gint64          now)
{
  guint8 rr[32];
  guint32 extended = p->cycles + p->max_seq;
  guint32 expected = extended - p->base_seq + 1;
  guint32 expected_interval = expected - p->expected_prior;
  guint64 received_interval = p->received - p->received_prior;
  gint64 lost_interval = (gint64) expected_interval - (gint64) received_interval;
  gint64 lost = (gint64) expected - (gint64) p->received;
  guint8 fraction = 0;

  p->expected_prior = expected;
  p->received_prior = p->received;
  if (expected_interval > 0 && lost_interval > 0)
    fraction = (lost_interval << 8) / expected_interval;
  lost = CLAMP (lost, -0x800000, 0x7fffff);

  rr[0] = 0x80 | 1;
  rr[1] = RTCP_RR;
  wr16 (rr + 2, 7);
  wr32 (rr + 4, r->ssrc);
  wr32 (rr + 8, p->p.ssrc);
  rr[12] = fraction;
  rr[13] = (lost >> 16) & 0xff;
  rr[14] = (lost >> 8) & 0xff;
  rr[15] = lost & 0xff;
  wr32 (rr + 16, extended);
  wr32 (rr + 20, (guint32) p->jitter);
  if (p->sr_at != 0) {
    wr32 (rr + 24, middle32 (p->sr_ntp));
    wr32 (rr + 28, (guint32) ((now - p->sr_at) * 65536 / G_USEC_PER_SEC));
  } else {
    wr32 (rr + 24, 0);
    wr32 (rr + 28, 0);
  }
  memcpy (ms_engine_worker_slot (r->worker), rr, sizeof rr);
  ms_engine_worker_queue (r->worker, p->p.transport_id, sizeof rr);
}

/* A sender report for @c: its RTP time now is that of its source's
 * latest sender report (or packet) moved on by the time since. */
static void
send_sender_report (MsEngineRouter *r,
                    Consumer       *c,
                    gint64          now)
{
  guint8 sr[28];
  guint64 ntp = ntp_now ();
  guint32 rtp;
  Producer *p = c->producer;

  if (p != NULL && p->sr_at != 0 && c->synced) {
    rtp = p->sr_rtp + c->ts_offset +
          (guint32) ((now - p->sr_at) * c->p.clock_rate / G_USEC_PER_SEC);
  } else {
    rtp = c->last_ts + (guint32) ((now - c->last_at) * c->p.clock_rate / G_USEC_PER_SEC);
  }
  sr[0] = 0x80;
  sr[1] = RTCP_SR;
  wr16 (sr + 2, 6);
  wr32 (sr + 4, c->p.ssrc);
  wr32 (sr + 8, ntp >> 32);
  wr32 (sr + 12, (guint32) ntp);
  wr32 (sr + 16, rtp);
  wr32 (sr + 20, (guint32) c->packets);
  wr32 (sr + 24, (guint32) c->octets);
  memcpy (ms_engine_worker_slot (r->worker), sr, sizeof sr);
  ms_engine_worker_queue (r->worker, c->p.transport_id, sizeof sr);
}

/* Whether a report on @transport_id is due now (then *@last is now);
 * the next one is scheduled either way. */
static gboolean
report_due (MsEngineRouter *r,
            guint           transport_id,
            gint64         *last,
            gint64          now)
{
  if (!ms_engine_worker_ready (r->worker, transport_id)) {
    /* ms_engine_router_transport_ready() brings it forward */
    due_at (r, now + REPORT_INTERVAL_US, REPORT_SLACK_US);
    return FALSE;
  }
  if (now - *last < REPORT_INTERVAL_US - REPORT_SLACK_US) {
    due_at (r, *last + REPORT_INTERVAL_US, REPORT_SLACK_US);
    return FALSE;
  }
  *last = now;
  due_at (r, now + REPORT_INTERVAL_US, REPORT_SLACK_US);
  return TRUE;
}

void
ms_engine_router_tick (MsEngineRouter *r)
{
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  r->due = r->soft = G_MAXINT64;
  for (GList *l = r->open.head, *next; l != NULL; l = next) {
    Producer *p = l->data;

    next = l->next;
    if (now - p->last_arrival < TAIL_LOSS_US)
      continue;   /* router_when() sees it */
    close_frame (r, p);
    if (p->n_missing < MAX_NACKS) {
      /* Counted as missing like any other: forgotten when it comes. */
      add_missing (p, p->max_seq + 1, now);
    }
  }
  g_hash_table_iter_init (&iter, r->producers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Producer *p = value;

    if (p->n_missing > 0)
      send_nacks (r, p, now, FALSE);
    if (p->pli_outstanding) {
      if (now - p->last_pli >= PLI_RETRY_US)
        send_pli (r, p, now);
      else
        due_at (r, p->last_pli + PLI_RETRY_US, 0);
    }
    if (p->started && report_due (r, p->p.transport_id, &p->last_report, now))
      send_receiver_report (r, p, now);
  }
  g_hash_table_iter_init (&iter, r->twcc);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Twcc *t = value;

    if (!t->started)
      continue;
    if (now - t->last_sent >= TWCC_INTERVAL_US - TWCC_SLACK_US)
      send_twcc (r, t, now);
    due_at (r, t->last_sent + TWCC_INTERVAL_US, TWCC_SLACK_US);
  }
  g_hash_table_iter_init (&iter, r->consumers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Consumer *c = value;

    if (c->sent_any && report_due (r, c->p.transport_id, &c->last_report, now))
      send_sender_report (r, c, now);
  }
  ms_engine_worker_flush (r->worker);
}

/* A consumer's keyframe was asked for when it got its source, usually
 * before its transport could send: that keyframe passed it by. Asking
 * again now, rather than when the source's next packet finds it
 * waiting, saves up to a frame interval of the join (mediasoup asks when
 * a consumer's transport connects, too). A request still outstanding
 * is answered by the keyframe on its way. */
void
ms_engine_router_transport_ready (MsEngineRouter *r,
                                  guint           transport_id)
{
  GHashTableIter iter;
  gpointer value;
  gint64 now = g_get_monotonic_time ();
  gboolean asked = FALSE;

  g_hash_table_iter_init (&iter, r->consumers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Consumer *c = value;

    if (c->p.transport_id != transport_id || !c->need_keyframe || c->producer == NULL ||
        c->paused)
      continue;
    request_keyframe (r, c->producer, now);
    asked = TRUE;
  }
  if (asked)
    ms_engine_worker_flush (r->worker);
  due_at (r, now, 0);   /* reports that waited for it */
}

void
ms_engine_router_transport_reset (MsEngineRouter *r,
                                  guint           transport_id)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, r->consumers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Consumer *c = value;

    if (c->p.transport_id != transport_id)
      continue;
    c->synced = FALSE;
    c->sent_any = FALSE;
    c->need_keyframe = c->producer != NULL && c->producer->p.video &&
                       c->producer->p.codec == MS_ENGINE_CODEC_VP8;
  }
}

static gboolean
on_timer (gpointer data)
{
  ms_engine_router_tick (data);
  return G_SOURCE_CONTINUE;
}

/* Lifetime (worker thread) */

static void
producer_free (gpointer data)
{
  Producer *p = data;

  for (guint i = 0; i < p->consumers->len; i++)
    ((Consumer *) g_ptr_array_index (p->consumers, i))->producer = NULL;
  g_ptr_array_unref (p->consumers);
  g_free (p->history);
  g_free (p);
}

MsEngineRouter *
ms_engine_router_new (MsEngineWorker *worker)
{
  MsEngineRouter *r = g_new0 (MsEngineRouter, 1);

  r->worker = worker;
  r->producers = g_hash_table_new_full (NULL, NULL, NULL, producer_free);
  r->consumers = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  r->by_ssrc = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  r->by_csrc = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  r->twcc = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  r->ssrc = random32 ();
  r->due = r->soft = G_MAXINT64;
  g_queue_init (&r->open);
  return r;
}

/* Worker thread, when its loop starts. */
static void
router_start (MsEngineRouter *r)
{
  r->context = g_main_context_get_thread_default ();
  r->clock = ms_engine_deadline_source_new (router_when, on_timer, r);
  g_source_attach (r->clock, r->context);
}

void
ms_engine_router_free (MsEngineRouter *r)
{
  if (r == NULL)
    return;
  if (r->clock != NULL) {
    g_source_destroy (r->clock);
    g_source_unref (r->clock);
  }
  g_hash_table_unref (r->by_ssrc);
  g_hash_table_unref (r->by_csrc);
  g_hash_table_unref (r->twcc);
  /* Producers first: one tells its consumers it is gone. */
  g_hash_table_unref (r->producers);
  g_hash_table_unref (r->consumers);
  g_free (r);
}

static gint64 *
new_key (guint   transport_id,
         guint32 ssrc)
{
  gint64 *key = g_new (gint64, 1);

  *key = key_of (transport_id, ssrc);
  return key;
}

static void
detach_consumer (Consumer *c)
{
  if (c->producer != NULL)
    g_ptr_array_remove_fast (c->producer->consumers, c);
  c->producer = NULL;
}

/* Commands (posted by the owner, run on the worker) */

typedef enum {
  OP_ADD_PRODUCER,
  OP_REMOVE_PRODUCER,
  OP_ADD_CONSUMER,
  OP_REMOVE_CONSUMER,
  OP_SOURCE,
  OP_PAUSE,
  OP_RTX,
  OP_START,
} Op;

typedef struct {
  MsEngineRouter *router;
  Op              op;
  guint           id;
  guint           arg;
  MsEngineProducerParams producer;
  MsEngineConsumerParams consumer;
} Command;

static void
set_source (MsEngineRouter *r,
            Consumer       *c,
            Producer       *p)
{
  if (c->producer == p)
    return;
  detach_consumer (c);
  c->producer = p;
  c->synced = FALSE;
  if (p == NULL)
    return;
  g_ptr_array_add (p->consumers, c);
  c->need_keyframe = p->p.video && p->p.codec == MS_ENGINE_CODEC_VP8;
  if (c->need_keyframe) {
    gint64 now = g_get_monotonic_time ();

    request_keyframe (r, p, now);
    ms_engine_worker_flush (r->worker);
  }
}

static gboolean
run (gpointer data)
{
  Command *cmd = data;
  MsEngineRouter *r = cmd->router;
  Producer *p;
  Consumer *c;

  switch (cmd->op) {
  case OP_START:
    router_start (r);
    break;
  case OP_ADD_PRODUCER:
    p = g_new0 (Producer, 1);
    p->id = cmd->id;
    p->p = cmd->producer;
    p->consumers = g_ptr_array_new ();
    p->bursty = TRUE;   /* until a frame shows otherwise */
    p->open_link.data = p;
    if (p->p.video)
      p->history = g_new0 (HistoryEntry, HISTORY_SIZE);
    g_hash_table_insert (r->producers, GUINT_TO_POINTER (p->id), p);
    g_hash_table_replace (r->by_ssrc, new_key (p->p.transport_id, p->p.ssrc), p);
    if (p->p.rtx_ssrc != 0)
      g_hash_table_replace (r->by_ssrc, new_key (p->p.transport_id, p->p.rtx_ssrc), p);
    if (p->p.twcc_ext_id != 0) {
      Twcc *t = g_hash_table_lookup (r->twcc, GUINT_TO_POINTER (p->p.transport_id));

      if (t == NULL) {
        t = g_new0 (Twcc, 1);
        t->transport_id = p->p.transport_id;
        t->media_ssrc = p->p.ssrc;
        g_hash_table_insert (r->twcc, GUINT_TO_POINTER (t->transport_id), t);
      }
      t->producers++;
    }
    break;
  case OP_REMOVE_PRODUCER:
    p = g_hash_table_lookup (r->producers, GUINT_TO_POINTER (cmd->id));
    if (p == NULL)
      break;
    if (producer_by_ssrc (r, p->p.transport_id, p->p.ssrc) == p) {
      gint64 key = key_of (p->p.transport_id, p->p.ssrc);

      g_hash_table_remove (r->by_ssrc, &key);
    }
    if (p->p.rtx_ssrc != 0 && producer_by_ssrc (r, p->p.transport_id, p->p.rtx_ssrc) == p) {
      gint64 key = key_of (p->p.transport_id, p->p.rtx_ssrc);

      g_hash_table_remove (r->by_ssrc, &key);
    }
    close_frame (r, p);
    if (p->p.twcc_ext_id != 0) {
      Twcc *t = g_hash_table_lookup (r->twcc, GUINT_TO_POINTER (p->p.transport_id));

      if (t != NULL && --t->producers == 0)
        g_hash_table_remove (r->twcc, GUINT_TO_POINTER (p->p.transport_id));
    }
    g_hash_table_remove (r->producers, GUINT_TO_POINTER (cmd->id));
    break;
  case OP_ADD_CONSUMER:
    c = g_new0 (Consumer, 1);
    c->id = cmd->id;
    c->p = cmd->consumer;
    c->rtx_seq = random32 ();
    g_hash_table_insert (r->consumers, GUINT_TO_POINTER (c->id), c);
    g_hash_table_replace (r->by_csrc, new_key (c->p.transport_id, c->p.ssrc), c);
    break;
  case OP_REMOVE_CONSUMER:
    c = g_hash_table_lookup (r->consumers, GUINT_TO_POINTER (cmd->id));
    if (c == NULL)
      break;
    detach_consumer (c);
    if (consumer_by_ssrc (r, c->p.transport_id, c->p.ssrc) == c) {
      gint64 key = key_of (c->p.transport_id, c->p.ssrc);

      g_hash_table_remove (r->by_csrc, &key);
    }
    g_hash_table_remove (r->consumers, GUINT_TO_POINTER (cmd->id));
    break;
  case OP_SOURCE:
    c = g_hash_table_lookup (r->consumers, GUINT_TO_POINTER (cmd->id));
    p = cmd->arg ? g_hash_table_lookup (r->producers, GUINT_TO_POINTER (cmd->arg)) : NULL;
    if (c != NULL)
      set_source (r, c, p);
    break;
  case OP_PAUSE:
    c = g_hash_table_lookup (r->consumers, GUINT_TO_POINTER (cmd->id));
    if (c == NULL || c->paused == (gboolean) cmd->arg)
      break;
    c->paused = cmd->arg;
    if (!c->paused && c->producer != NULL) {
      /* Continuous output: the gap is closed, and video waits for a
       * keyframe, asked for now. */
      Producer *source = c->producer;

      c->producer = NULL;
      g_ptr_array_remove_fast (source->consumers, c);
      set_source (r, c, source);
    }
    break;
  case OP_RTX:
    c = g_hash_table_lookup (r->consumers, GUINT_TO_POINTER (cmd->id));
    if (c != NULL)
      c->p.rtx_payload_type = cmd->arg;
    break;
  default:
    g_assert_not_reached ();
  }
  return G_SOURCE_REMOVE;
}

static void
post_command (MsEngineWorker *worker,
              Command        *cmd)
{
  cmd->router = ms_engine_worker_router (worker);
  ms_engine_worker_invoke (worker, run, cmd, g_free);
}

static void
post_op (MsEngineWorker *worker,
         Op              op,
         guint           id,
         guint           arg)
{
  Command *cmd = g_new0 (Command, 1);

  cmd->op = op;
  cmd->id = id;
  cmd->arg = arg;
  post_command (worker, cmd);
}

/* Owner side */

void
ms_engine_router_post_start (MsEngineWorker *worker)
{
  post_op (worker, OP_START, 0, 0);
}

/* Gives @cmd a new id, counts it in @count and posts it; returns the id. */
static guint
post_add (MsEngineWorker *worker,
          Command        *cmd,
          _Atomic guint  *count)
{
  MsEngineRouter *r = ms_engine_worker_router (worker);
  guint id = atomic_fetch_add (&r->next_id, 1) + 1;

  cmd->id = id;
  atomic_fetch_add (count, 1);
  /* The worker may run and free the command before this returns. */
  post_command (worker, cmd);
  return id;
}

guint
ms_engine_worker_add_producer (MsEngineWorker               *worker,
                               const MsEngineProducerParams *params)
{
  Command *cmd = g_new0 (Command, 1);

  cmd->op = OP_ADD_PRODUCER;
  cmd->producer = *params;
  return post_add (worker, cmd, &ms_engine_worker_router (worker)->n_producers);
}

void
ms_engine_worker_remove_producer (MsEngineWorker *worker,
                                  guint           producer_id)
{
  if (producer_id == 0)
    return;
  atomic_fetch_sub (&ms_engine_worker_router (worker)->n_producers, 1);
  post_op (worker, OP_REMOVE_PRODUCER, producer_id, 0);
}

guint
ms_engine_worker_add_consumer (MsEngineWorker               *worker,
                               const MsEngineConsumerParams *params)
{
  Command *cmd = g_new0 (Command, 1);

  cmd->op = OP_ADD_CONSUMER;
  cmd->consumer = *params;
  return post_add (worker, cmd, &ms_engine_worker_router (worker)->n_consumers);
}

void
ms_engine_worker_remove_consumer (MsEngineWorker *worker,
                                  guint           consumer_id)
{
  if (consumer_id == 0)
    return;
  atomic_fetch_sub (&ms_engine_worker_router (worker)->n_consumers, 1);
  post_op (worker, OP_REMOVE_CONSUMER, consumer_id, 0);
}

void
ms_engine_worker_set_consumer_source (MsEngineWorker *worker,
                                      guint           consumer_id,
                                      guint           producer_id)
{
  post_op (worker, OP_SOURCE, consumer_id, producer_id);
}

void
ms_engine_worker_set_consumer_paused (MsEngineWorker *worker,
                                      guint           consumer_id,
                                      gboolean        paused)
{
  post_op (worker, OP_PAUSE, consumer_id, paused ? 1 : 0);
}

void
ms_engine_worker_set_consumer_rtx (MsEngineWorker *worker,
                                   guint           consumer_id,
                                   guint8          rtx_payload_type)
{
  post_op (worker, OP_RTX, consumer_id, rtx_payload_type);
}

void
ms_engine_worker_get_router_stats (MsEngineWorker      *worker,
                                   MsEngineRouterStats *stats)
{
  MsEngineRouter *r = ms_engine_worker_router (worker);

  stats->packets_forwarded = atomic_load (&r->forwarded);
  stats->bytes_forwarded = atomic_load (&r->bytes);
  stats->retransmitted = atomic_load (&r->retransmitted);
  stats->nacks_sent = atomic_load (&r->nacks);
  stats->rtcp_received = atomic_load (&r->rtcp_in);
  stats->keyframe_requests = atomic_load (&r->plis);
  stats->producers = atomic_load (&r->n_producers);
  stats->consumers = atomic_load (&r->n_consumers);
}
