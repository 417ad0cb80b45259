/* ms-forward.h: the forwarding data plane
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A producer is one received RTP stream; a consumer is one copy of it sent
 * to a subscriber. Everything above this interface (signaling, rooms,
 * grants) deals in producers and consumers only, so that the plane can be
 * replaced by a faster one without touching it.
 *
 * This implementation forwards from the publisher's streaming thread: a
 * pad probe on the received stream pushes each packet to every active
 * consumer's pad, with no queue and no thread per consumer, and a
 * consumer's flow errors never reach the publisher.
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _MsProducer MsProducer;
typedef struct _MsConsumer MsConsumer;

typedef struct {
  guint64 packets;
  guint64 bytes;
} MsForwardTotals;

/* Called once, on a streaming thread, when the stream's caps are known. */
typedef void (*MsProducerReadyFunc) (MsProducer *producer,
                                     gpointer    user_data);

/* Takes @src, a received RTP pad of an element in @bin, and links it at
 * once. @ready may run before this returns. */
MsProducer *ms_producer_new              (GstBin              *bin,
                                          GstPad              *src,
                                          MsProducerReadyFunc  ready,
                                          gpointer             user_data,
                                          GDestroyNotify       destroy);
/* Removes every consumer, then the producer. Main context. */
void        ms_producer_free             (MsProducer *producer);
/* The caps a consumer's sink pad is requested with: those of the stream,
 * ssrc kept, Opus sprop-* fields removed. */
GstCaps    *ms_producer_get_caps         (MsProducer *producer);  /* NULL before ready */
void        ms_producer_set_paused       (MsProducer *producer,
                                          gboolean    paused);
/* Asks the publisher for a keyframe (RTCP PLI through webrtcbin). */
void        ms_producer_request_keyframe (MsProducer *producer);
guint       ms_producer_get_n_consumers  (MsProducer *producer);

/* The caps to request a consumer's sink pad with: the producer's, with
 * @payload as the payload type. Each m-line of a bundle needs payload
 * types of its own, or webrtcbin 1.22 hands two streams to one pad. */
GstCaps    *ms_consumer_caps_for         (MsProducer *producer,
                                          guint       payload);
/* Feeds @sink (a requested sink pad), rewriting the payload type to
 * @payload when it differs; starts paused. */
MsConsumer *ms_consumer_new              (MsProducer *producer,
                                          GstPad     *sink,
                                          guint       payload);
/* Stops feeding; returns once no packet is on its way. Main context. */
void        ms_consumer_free             (MsConsumer *consumer);
void        ms_consumer_set_paused       (MsConsumer *consumer,
                                          gboolean    paused);

/* Process-wide totals of forwarded packets and bytes. */
void        ms_forward_get_totals        (MsForwardTotals *totals);
guint       ms_forward_get_n_producers   (void);
guint       ms_forward_get_n_consumers   (void);

G_END_DECLS
