/* ms-forward.c: forwarding RTP from the publisher's streaming thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "MsForward"

#include "config.h"

#include <stdatomic.h>

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#include "ms-forward.h"

struct _MsProducer {
  gint                 ref_count;
  GstBin              *bin;
  GstPad              *src;        /* the receiving element's pad */
  GstElement          *sink;       /* keeps @src linked: an unlinked pad breaks the bundle */
  gulong               probe_id;

  /* Held while packets are pushed, so that a consumer removed under it
   * has no packet on its way once the lock is released. */
  GMutex               lock;
  GPtrArray           *consumers;
  GstCaps             *caps;

  gint                 paused;     /* atomic */
  gint                 ready_done; /* atomic */
  MsProducerReadyFunc  ready;
  gpointer             ready_data;
  GDestroyNotify       ready_destroy;
};

struct _MsConsumer {
  MsProducer *producer;
  GstPad     *pad;                 /* ours, linked to @sink */
  GstPad     *sink;
  gint        paused;              /* atomic */
  gint        payload;             /* rewritten into each packet, or -1 */
};

static atomic_uint_fast64_t total_packets;
static atomic_uint_fast64_t total_bytes;
static gint n_producers;
static gint n_consumers;

static MsProducer *
producer_ref (MsProducer *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

static void
producer_unref (gpointer data)
{
  MsProducer *self = data;

  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;

  g_clear_pointer (&self->consumers, g_ptr_array_unref);
  gst_clear_caps (&self->caps);
  gst_clear_object (&self->src);
  if (self->ready_destroy != NULL)
    self->ready_destroy (self->ready_data);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static gboolean
strip_sprop (GQuark   field,
             GValue  *value,
             gpointer user_data)
{
  /* Opus sprop-* describe the publisher's capture; in an offer to a
   * subscriber webrtcbin 1.22 turns them into fmtp it then refuses. */
  return !g_str_has_prefix (g_quark_to_string (field), "sprop-");
}

static void
set_caps (MsProducer *self,
          GstCaps    *caps)
{
  g_autoptr (GstCaps) clean = gst_caps_copy (caps);

  for (guint i = 0; i < gst_caps_get_size (clean); i++)
    gst_structure_filter_and_map_in_place (gst_caps_get_structure (clean, i), strip_sprop, NULL);

  g_mutex_lock (&self->lock);
  gst_caps_replace (&self->caps, clean);
  g_mutex_unlock (&self->lock);

  if (g_atomic_int_compare_and_exchange (&self->ready_done, FALSE, TRUE) && self->ready != NULL)
    self->ready (self, self->ready_data);
}

static void
push_buffer (MsProducer *self,
             GstBuffer  *buffer)
{
  gsize size = gst_buffer_get_size (buffer);

  for (guint i = 0; i < self->consumers->len; i++) {
    MsConsumer *consumer = g_ptr_array_index (self->consumers, i);

    if (g_atomic_int_get (&consumer->paused))
      continue;

    /* A subscriber's failure is its own: the return is not ours to pass on. */
    if (consumer->payload >= 0) {
      GstBuffer *copy = gst_buffer_copy (buffer);
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

      if (gst_rtp_buffer_map (copy, GST_MAP_READWRITE, &rtp)) {
        gst_rtp_buffer_set_payload_type (&rtp, consumer->payload);
        gst_rtp_buffer_unmap (&rtp);
      }
      gst_pad_push (consumer->pad, copy);
    } else {
      gst_pad_push (consumer->pad, gst_buffer_ref (buffer));
    }
    atomic_fetch_add (&total_packets, 1);
    atomic_fetch_add (&total_bytes, size);
  }
}

static gboolean
push_list_item (GstBuffer **buffer,
                guint       index,
                gpointer    user_data)
{
  push_buffer (user_data, *buffer);
  return TRUE;
}

static GstPadProbeReturn
on_packet (GstPad          *pad,
           GstPadProbeInfo *info,
           gpointer         user_data)
{
  MsProducer *self = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      set_caps (self, caps);
    }
    return GST_PAD_PROBE_OK;
  }

  if (g_atomic_int_get (&self->paused))
    return GST_PAD_PROBE_OK;

  g_mutex_lock (&self->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    push_buffer (self, GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), push_list_item, self);
  g_mutex_unlock (&self->lock);

  return GST_PAD_PROBE_OK;
}

MsProducer *
ms_producer_new (GstBin              *bin,
                 GstPad              *src,
                 MsProducerReadyFunc  ready,
                 gpointer             user_data,
                 GDestroyNotify       destroy)
{
  MsProducer *self = g_new0 (MsProducer, 1);
  g_autoptr (GstPad) sink_pad = NULL;
  g_autoptr (GstCaps) caps = NULL;

  self->ref_count = 1;
  self->bin = bin;
  self->src = gst_object_ref (src);
  self->consumers = g_ptr_array_new ();
  self->ready = ready;
  self->ready_data = user_data;
  self->ready_destroy = destroy;
  g_mutex_init (&self->lock);

  self->sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (self->sink, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, NULL);
  gst_bin_add (bin, self->sink);
  sink_pad = gst_element_get_static_pad (self->sink, "sink");

  self->probe_id = gst_pad_add_probe (src,
                                      GST_PAD_PROBE_TYPE_BUFFER |
                                      GST_PAD_PROBE_TYPE_BUFFER_LIST |
                                      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                                      on_packet, producer_ref (self), producer_unref);
  if (gst_pad_link (src, sink_pad) != GST_PAD_LINK_OK)
    g_message ("Could not link a received stream");
  gst_element_sync_state_with_parent (self->sink);

  caps = gst_pad_get_current_caps (src);
  if (caps != NULL)
    set_caps (self, caps);

  g_atomic_int_inc (&n_producers);

  return self;
}

void
ms_producer_free (MsProducer *self)
{
  g_autoptr (GstPad) sink_pad = NULL;

  if (self == NULL)
    return;

  while (self->consumers->len > 0)
    ms_consumer_free (g_ptr_array_index (self->consumers, 0));

  gst_pad_remove_probe (self->src, self->probe_id);
  sink_pad = gst_element_get_static_pad (self->sink, "sink");
  gst_pad_unlink (self->src, sink_pad);
  gst_element_set_state (self->sink, GST_STATE_NULL);
  gst_bin_remove (self->bin, self->sink);

  g_atomic_int_add (&n_producers, -1);
  producer_unref (self);
}

GstCaps *
ms_producer_get_caps (MsProducer *self)
{
  GstCaps *caps;

  g_mutex_lock (&self->lock);
  caps = self->caps ? gst_caps_ref (self->caps) : NULL;
  g_mutex_unlock (&self->lock);

  return caps;
}

void
ms_producer_set_paused (MsProducer *self,
                        gboolean    paused)
{
  if (g_atomic_int_get (&self->paused) == paused)
    return;

  g_atomic_int_set (&self->paused, paused);
  if (!paused)
    ms_producer_request_keyframe (self);
}

void
ms_producer_request_keyframe (MsProducer *self)
{
  /* webrtcbin's RTP session turns this into RTCP PLI to the publisher. */
  gst_pad_send_event (self->src,
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
}

guint
ms_producer_get_n_consumers (MsProducer *self)
{
  return self->consumers->len;
}

static gboolean
on_consumer_event (GstPad    *pad,
                   GstObject *parent,
                   GstEvent  *event)
{
  GstPad *upstream = gst_pad_get_element_private (pad);
  gboolean handled = TRUE;

  /* A subscriber's keyframe request goes to the publisher; other
   * upstream events (reconfigure, QoS, latency) end here. */
  if (upstream != NULL && gst_video_event_is_force_key_unit (event))
    handled = gst_pad_send_event (upstream, gst_event_ref (event));

  gst_event_unref (event);
  return handled;
}

GstCaps *
ms_consumer_caps_for (MsProducer *producer,
                      guint       payload)
{
  GstCaps *caps = ms_producer_get_caps (producer);

  if (caps == NULL)
    return NULL;

  caps = gst_caps_make_writable (caps);
  gst_caps_set_simple (caps, "payload", G_TYPE_INT, payload, NULL);

  return caps;
}

MsConsumer *
ms_consumer_new (MsProducer *producer,
                 GstPad     *sink,
                 guint       payload)
{
  MsConsumer *self = g_new0 (MsConsumer, 1);
  g_autoptr (GstCaps) caps = ms_consumer_caps_for (producer, payload);
  g_autoptr (GstCaps) produced = ms_producer_get_caps (producer);
  int produced_payload = -1;
  g_autofree char *stream_id = g_strdup_printf ("ms-consumer-%p", (void *) self);
  GstSegment segment;

  g_return_val_if_fail (caps != NULL, NULL);

  gst_structure_get_int (gst_caps_get_structure (produced, 0), "payload", &produced_payload);
  self->producer = producer;
  self->sink = gst_object_ref (sink);
  self->paused = TRUE;
  self->payload = produced_payload == (int) payload ? -1 : (int) payload;
  self->pad = gst_pad_new ("src", GST_PAD_SRC);
  gst_pad_set_element_private (self->pad, producer->src);
  gst_pad_set_event_function (self->pad, on_consumer_event);
  gst_pad_set_active (self->pad, TRUE);

  /* Sticky events first: they reach the sink with the first packet. */
  gst_pad_push_event (self->pad, gst_event_new_stream_start (stream_id));
  gst_pad_push_event (self->pad, gst_event_new_caps (caps));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (self->pad, gst_event_new_segment (&segment));

  if (gst_pad_link_full (self->pad, sink, GST_PAD_LINK_CHECK_NOTHING) != GST_PAD_LINK_OK)
    g_message ("Could not link a consumer");

  g_mutex_lock (&producer->lock);
  g_ptr_array_add (producer->consumers, self);
  g_mutex_unlock (&producer->lock);
  g_atomic_int_inc (&n_consumers);

  return self;
}

void
ms_consumer_free (MsConsumer *self)
{
  MsProducer *producer;

  if (self == NULL)
    return;

  producer = self->producer;
  g_mutex_lock (&producer->lock);
  g_ptr_array_remove (producer->consumers, self);
  g_mutex_unlock (&producer->lock);

  gst_pad_unlink (self->pad, self->sink);
  gst_pad_set_element_private (self->pad, NULL);
  gst_pad_set_active (self->pad, FALSE);
  gst_object_unref (self->pad);
  gst_object_unref (self->sink);
  g_atomic_int_add (&n_consumers, -1);
  g_free (self);
}

void
ms_consumer_set_paused (MsConsumer *self,
                        gboolean    paused)
{
  if (g_atomic_int_get (&self->paused) == paused)
    return;

  g_atomic_int_set (&self->paused, paused);
  if (!paused)
    ms_producer_request_keyframe (self->producer);
}

void
ms_forward_get_totals (MsForwardTotals *totals)
{
  totals->packets = atomic_load (&total_packets);
  totals->bytes = atomic_load (&total_bytes);
}

guint
ms_forward_get_n_producers (void)
{
  return g_atomic_int_get (&n_producers);
}

guint
ms_forward_get_n_consumers (void)
{
  return g_atomic_int_get (&n_consumers);
}
