/* ms-remote-track.c: one received track, decoded
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The decode branch is built on the streaming thread that announced the
 * stream (webrtcbin's pad-added), because a received pad must be linked at
 * once; everything else runs on the main context. Counters are atomics.
 */

#define G_LOG_DOMAIN "MsRemoteTrack"

#include "config.h"

#include <float.h>
#include <stdatomic.h>
#include <stdint.h>

#include <gst/rtp/rtp.h>

#include "ms-media-util-private.h"
#include "ms-remote-track-private.h"

struct _MsRemoteTrack {
  GObject               parent_instance;

  char                 *peer_id;
  char                 *tag;
  MsTrackKind           kind;

  GMutex                lock;      /* guards the branch and the sink */
  GstBin               *bin;       /* the pipeline the branch is in */
  GPtrArray            *elements;  /* the branch */
  GstPad               *mixer_pad;
  GstElement           *volume;
  GstElement           *video_sink;
  GstElement           *tail;      /* what the video sink links to */
  GstPad               *src;       /* the webrtcbin pad the branch reads */
  gulong                rtp_probe; /* counting on @src */

  double                volume_level;
  gboolean              muted;
  double                level;     /* main context: 0 (silence) to 1 */

  atomic_uint_fast64_t  frames;
  atomic_uint_fast64_t  packets;
  atomic_uint_fast64_t  bytes;
  atomic_uint_fast64_t  lost;
  atomic_int_fast64_t   first_frame_us;
  atomic_int_fast64_t   last_frame_us;
  atomic_int_fast64_t   max_gap_us;
  gint                  last_seq;  /* atomic; -1 before the first packet */
  guint                 last_ssrc; /* atomic; of the packet at last_seq */
};

enum {
  PROP_0,
  PROP_VOLUME,
  PROP_MUTED,
  PROP_LEVEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (MsRemoteTrack, ms_remote_track, G_TYPE_OBJECT)

static void
ms_remote_track_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MsRemoteTrack *self = MS_REMOTE_TRACK (object);

  switch (prop_id) {
  case PROP_VOLUME:
    g_value_set_double (value, self->volume_level);
    break;
  case PROP_MUTED:
    g_value_set_boolean (value, self->muted);
    break;
  case PROP_LEVEL:
    g_value_set_double (value, self->level);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_remote_track_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  MsRemoteTrack *self = MS_REMOTE_TRACK (object);

  switch (prop_id) {
  case PROP_VOLUME:
    ms_remote_track_set_volume (self, g_value_get_double (value));
    break;
  case PROP_MUTED:
    ms_remote_track_set_muted (self, g_value_get_boolean (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_remote_track_finalize (GObject *object)
{
  MsRemoteTrack *self = MS_REMOTE_TRACK (object);

  ms_remote_track_detach (self);
  g_ptr_array_unref (self->elements);
  gst_clear_object (&self->video_sink);
  g_mutex_clear (&self->lock);
  g_free (self->peer_id);
  g_free (self->tag);

  G_OBJECT_CLASS (ms_remote_track_parent_class)->finalize (object);
}

static void
ms_remote_track_class_init (MsRemoteTrackClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ms_remote_track_get_property;
  object_class->set_property = ms_remote_track_set_property;
  object_class->finalize = ms_remote_track_finalize;

  properties[PROP_VOLUME] =
    g_param_spec_double ("volume", NULL, NULL, 0.0, 10.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MUTED] =
    g_param_spec_boolean ("muted", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MsRemoteTrack:level:
   *
   * How loud the audio is, as heard (after volume and mute), from 0 to 1.
   */
  properties[PROP_LEVEL] =
    g_param_spec_double ("level", NULL, NULL, 0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ms_remote_track_init (MsRemoteTrack *self)
{
  g_mutex_init (&self->lock);
  self->elements = g_ptr_array_new_with_free_func (gst_object_unref);
  self->volume_level = 1.0;
  self->last_seq = -1;
}

MsRemoteTrack *
ms_remote_track_new (const char  *peer_id,
                     const char  *tag,
                     MsTrackKind  kind)
{
  MsRemoteTrack *self = g_object_new (MS_TYPE_REMOTE_TRACK, NULL);

  self->peer_id = g_strdup (peer_id);
  self->tag = g_strdup (tag);
  self->kind = kind;

  return self;
}

static void
count_packet (MsRemoteTrack *self,
              GstBuffer     *buffer)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  atomic_fetch_add (&self->packets, 1);
  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return;

  atomic_fetch_add (&self->bytes, gst_rtp_buffer_get_payload_len (&rtp));
  {
    gint seq = gst_rtp_buffer_get_seq (&rtp);
    guint ssrc = gst_rtp_buffer_get_ssrc (&rtp);
    gint last = g_atomic_int_get (&self->last_seq);

    /* Forward gaps of one stream only; reordered or repeated packets are
     * not loss, nor is the start of another stream. */
    if (last >= 0 && ssrc == (guint) g_atomic_int_get (&self->last_ssrc)) {
      guint16 gap = (guint16) (seq - last);

      if (gap > 1 && gap < 0x8000)
        atomic_fetch_add (&self->lost, gap - 1);
      if (gap == 0 || gap >= 0x8000)
        seq = last;   /* an old packet: the stream is still at last */
    }
    g_atomic_int_set (&self->last_ssrc, ssrc);
    g_atomic_int_set (&self->last_seq, seq);
  }
  gst_rtp_buffer_unmap (&rtp);
}

static gboolean
count_list_item (GstBuffer **buffer,
                 guint       index,
                 gpointer    user_data)
{
  count_packet (user_data, *buffer);
  return TRUE;
}

static GstPadProbeReturn
on_rtp (GstPad          *pad,
        GstPadProbeInfo *info,
        gpointer         user_data)
{
  MsRemoteTrack *self = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    count_packet (self, GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), count_list_item, self);

  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_frame (GstPad          *pad,
          GstPadProbeInfo *info,
          gpointer         user_data)
{
  MsRemoteTrack *self = user_data;
  gint64 now = g_get_monotonic_time ();
  int_fast64_t none = 0;
  int_fast64_t last;

  atomic_fetch_add (&self->frames, 1);
  atomic_compare_exchange_strong (&self->first_frame_us, &none, now);

  /* One streaming thread per branch, but a rebuilt branch's first frame
   * may race the old one's last: the maximum is kept with a CAS. */
  last = atomic_exchange (&self->last_frame_us, now);
  if (last != 0 && now > last) {
    int_fast64_t gap = now - last;
    int_fast64_t max = atomic_load (&self->max_gap_us);

    while (gap > max && !atomic_compare_exchange_weak (&self->max_gap_us, &max, gap))
      ;
  }

  return GST_PAD_PROBE_OK;
}

static GstElement *
add (MsRemoteTrack *self,
     const char    *factory)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  g_ptr_array_add (self->elements, gst_object_ref (element));
  gst_bin_add (self->bin, element);

  return element;
}

static void
link_chain (MsRemoteTrack *self,
            GstPad        *src,
            guint          first)
{
  g_autoptr (GstPad) sink = NULL;

  sink = gst_element_get_static_pad (g_ptr_array_index (self->elements, first), "sink");
  gst_pad_link (src, sink);
  for (guint i = first; i + 1 < self->elements->len; i++)
    gst_element_link (g_ptr_array_index (self->elements, i),
                      g_ptr_array_index (self->elements, i + 1));
}

void
ms_remote_track_attach (MsRemoteTrack *self,
                        GstBin        *bin,
                        GstPad        *src,
                        gboolean       decode,
                        GstElement    *mixer)
{
  GstElement *last;

  g_mutex_lock (&self->lock);
  self->bin = bin;

  /* Removed with the branch: a renegotiated pad may go to another track. */
  self->src = gst_object_ref (src);
  self->rtp_probe = gst_pad_add_probe (src,
                                       GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                                       on_rtp, g_object_ref (self), g_object_unref);

  if (!decode) {
    GstElement *sink = add (self, "fakesink");

    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
    link_chain (self, src, 0);
  } else if (self->kind == MS_TRACK_KIND_VIDEO) {
    g_autoptr (GstPad) decoded = NULL;
    GstElement *decoder;
    GstElement *depay;

    depay = add (self, "rtpvp8depay");
    /* After loss, wait for a keyframe and ask for one (PLI), rather than
     * decode from broken references until the next periodic keyframe. */
    g_object_set (depay, "request-keyframe", TRUE, "wait-for-keyframe", TRUE, NULL);
    decoder = add (self, "vp8dec");
    last = add (self, "videoconvert");
    self->tail = last;
    if (self->video_sink == NULL) {
      self->video_sink = gst_object_ref_sink (gst_element_factory_make ("fakesink", NULL));
      g_object_set (self->video_sink, "sync", FALSE, "async", FALSE, NULL);
    }
    /* A sink swapped out of another track was left locked (see
     * ms_media_replace_sink()). */
    gst_element_set_locked_state (self->video_sink, FALSE);
    gst_bin_add (bin, self->video_sink);   /* the bin takes a reference of its own */
    g_ptr_array_add (self->elements, gst_object_ref (self->video_sink));
    link_chain (self, src, 0);

    decoded = gst_element_get_static_pad (decoder, "src");
    gst_pad_add_probe (decoded, GST_PAD_PROBE_TYPE_BUFFER, on_frame, g_object_ref (self),
                       g_object_unref);
  } else {
    g_autoptr (GstPad) decoded = NULL;
    g_autoptr (GstPad) out = NULL;
    GstElement *decoder;
    GstElement *level;

    add (self, "rtpopusdepay");
    decoder = add (self, "opusdec");
    add (self, "audioconvert");
    add (self, "audioresample");
    self->volume = add (self, "volume");
    g_object_set (self->volume, "volume", self->volume_level, "mute", self->muted, NULL);
    level = add (self, "level");
    /* Measured after the volume: what is heard. The session's bus watch
     * hands the messages back through this weak reference. */
    g_object_set (level, "post-messages", TRUE, "interval", 100 * GST_MSECOND, NULL);
    ms_media_level_set_target (level, G_OBJECT (self));
    link_chain (self, src, 0);

    out = gst_element_get_static_pad (level, "src");
    self->mixer_pad = gst_element_request_pad_simple (mixer, "sink_%u");
    gst_pad_link (out, self->mixer_pad);

    decoded = gst_element_get_static_pad (decoder, "src");
    gst_pad_add_probe (decoded, GST_PAD_PROBE_TYPE_BUFFER, on_frame, g_object_ref (self),
                       g_object_unref);
  }

  for (guint i = 0; i < self->elements->len; i++)
    gst_element_sync_state_with_parent (g_ptr_array_index (self->elements, i));
  g_mutex_unlock (&self->lock);
}

void
ms_remote_track_detach (MsRemoteTrack *self)
{
  g_mutex_lock (&self->lock);
  if (self->src != NULL) {
    gst_pad_remove_probe (self->src, self->rtp_probe);
    self->rtp_probe = 0;
    gst_clear_object (&self->src);
  }
  for (guint i = 0; i < self->elements->len; i++)
    ms_media_discard_element (self->bin, g_ptr_array_index (self->elements, i));
  g_ptr_array_set_size (self->elements, 0);

  if (self->mixer_pad != NULL) {
    GstElement *mixer = gst_pad_get_parent_element (self->mixer_pad);

    if (mixer != NULL) {
      ms_media_release_mixer_pad (mixer, self->mixer_pad);
      gst_object_unref (mixer);
    }
    gst_clear_object (&self->mixer_pad);
  }
  self->volume = NULL;
  self->tail = NULL;
  self->bin = NULL;
  g_mutex_unlock (&self->lock);
}

const char *
ms_remote_track_get_peer_id (MsRemoteTrack *self)
{
  g_return_val_if_fail (MS_IS_REMOTE_TRACK (self), NULL);

  return self->peer_id;
}

const char *
ms_remote_track_get_tag (MsRemoteTrack *self)
{
  g_return_val_if_fail (MS_IS_REMOTE_TRACK (self), NULL);

  return self->tag;
}

MsTrackKind
ms_remote_track_get_kind (MsRemoteTrack *self)
{
  g_return_val_if_fail (MS_IS_REMOTE_TRACK (self), 0);

  return self->kind;
}

void
ms_remote_track_get_stats (MsRemoteTrack *self,
                           MsTrackStats  *stats)
{
  g_return_if_fail (MS_IS_REMOTE_TRACK (self));

  stats->frames = atomic_load (&self->frames);
  stats->packets = atomic_load (&self->packets);
  stats->bytes = atomic_load (&self->bytes);
  stats->packets_lost = atomic_load (&self->lost);
  stats->first_frame_us = atomic_load (&self->first_frame_us);
  stats->max_gap_us = atomic_load (&self->max_gap_us);
  stats->last_frame_us = atomic_load (&self->last_frame_us);
}

typedef struct {
  MsRemoteTrack *track;
  GstElement    *old_sink;
  GstElement    *new_sink;
} Swap;

static void
swap_free (gpointer data)
{
  Swap *swap = data;

  g_object_unref (swap->track);
  gst_object_unref (swap->old_sink);
  gst_object_unref (swap->new_sink);
  g_free (swap);
}

/* Runs between two frames: the old sink goes, the new one takes its place. */
static GstPadProbeReturn
on_swap_sink (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  Swap *swap = user_data;
  MsRemoteTrack *self = swap->track;

  g_mutex_lock (&self->lock);
  if (self->bin != NULL && g_ptr_array_remove (self->elements, swap->old_sink)) {
    ms_media_replace_sink (pad, self->bin, swap->old_sink, swap->new_sink);
    g_ptr_array_add (self->elements, gst_object_ref (swap->new_sink));
  }
  g_mutex_unlock (&self->lock);

  return GST_PAD_PROBE_REMOVE;
}

/**
 * ms_remote_track_set_video_sink:
 * @sink: (nullable) (transfer floating): a sink for raw video, or %NULL
 *   for a counting fakesink
 *
 * Takes effect at once, between two frames, and again whenever the track
 * is reconnected.
 */
void
ms_remote_track_set_video_sink (MsRemoteTrack *self,
                                GstElement    *sink)
{
  g_autoptr (GstPad) tail_pad = NULL;
  Swap *swap = NULL;

  g_return_if_fail (MS_IS_REMOTE_TRACK (self));

  if (sink == NULL) {
    sink = gst_element_factory_make ("fakesink", NULL);
    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  }

  gst_object_ref_sink (sink);

  g_mutex_lock (&self->lock);
  if (self->tail != NULL && self->video_sink != NULL) {
    swap = g_new0 (Swap, 1);
    swap->track = g_object_ref (self);
    swap->old_sink = gst_object_ref (self->video_sink);
    swap->new_sink = gst_object_ref (sink);
    tail_pad = gst_element_get_static_pad (self->tail, "src");
  }
  gst_clear_object (&self->video_sink);
  self->video_sink = sink;
  g_mutex_unlock (&self->lock);

  /* Outside the lock: the probe may run right here. */
  if (swap != NULL)
    gst_pad_add_probe (tail_pad, GST_PAD_PROBE_TYPE_IDLE, on_swap_sink, swap, swap_free);
}

double
ms_remote_track_get_volume (MsRemoteTrack *self)
{
  g_return_val_if_fail (MS_IS_REMOTE_TRACK (self), 0.0);

  return self->volume_level;
}

void
ms_remote_track_set_volume (MsRemoteTrack *self,
                            double         volume)
{
  g_return_if_fail (MS_IS_REMOTE_TRACK (self));

  if (G_APPROX_VALUE (self->volume_level, volume, DBL_EPSILON))
    return;

  self->volume_level = volume;
  g_mutex_lock (&self->lock);
  if (self->volume != NULL)
    g_object_set (self->volume, "volume", volume, NULL);
  g_mutex_unlock (&self->lock);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VOLUME]);
}

gboolean
ms_remote_track_get_muted (MsRemoteTrack *self)
{
  g_return_val_if_fail (MS_IS_REMOTE_TRACK (self), FALSE);

  return self->muted;
}

void
ms_remote_track_set_muted (MsRemoteTrack *self,
                           gboolean       muted)
{
  g_return_if_fail (MS_IS_REMOTE_TRACK (self));

  muted = !!muted;
  if (self->muted == muted)
    return;

  self->muted = muted;
  g_mutex_lock (&self->lock);
  if (self->volume != NULL)
    g_object_set (self->volume, "mute", muted, NULL);
  g_mutex_unlock (&self->lock);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MUTED]);
}

double
ms_remote_track_get_level (MsRemoteTrack *self)
{
  g_return_val_if_fail (MS_IS_REMOTE_TRACK (self), 0.0);

  return self->level;
}

/* Main context: a "level" element message of this track's branch. */
void
ms_remote_track_handle_level (GstMessage *message)
{
  double level = 0.0;
  g_autoptr (GObject) target = ms_media_level_target (message, &level);
  MsRemoteTrack *self;

  if (target == NULL || !MS_IS_REMOTE_TRACK (target))
    return;

  self = MS_REMOTE_TRACK (target);
  if (G_APPROX_VALUE (self->level, level, DBL_EPSILON))
    return;

  self->level = level;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEVEL]);
}
