/* ms-local-track.c: sources of local media, encoded for WebRTC
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "MsLocalTrack"

#include "config.h"

#include <float.h>
#include <stdatomic.h>

#include <glib/gi18n-lib.h>

#include "ms-local-track-private.h"
#include "ms-media-util-private.h"
#include "ms-session.h"

struct _MsLocalTrack {
  GObject             parent_instance;

  MsLocalTrackSource  source;
  MsTrackKind         kind;
  char               *location;
  GstElement         *element;     /* MS_LOCAL_TRACK_ELEMENT */
  guint               width;       /* raw video is sent at this size and rate */
  guint               height;
  guint               framerate;

  GMutex              lock;        /* guards the preview */
  GstElement         *preview;     /* the application's sink, or NULL */
  GstElement         *preview_in_bin;
  GWeakRef            bin;         /* the bin being sent, if any */

  double              level;       /* main context */
  atomic_uint_fast64_t frames_sent; /* handed to the payloader, every bin */
};

enum {
  PROP_0,
  PROP_SOURCE,
  PROP_KIND,
  PROP_LEVEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (MsLocalTrack, ms_local_track, G_TYPE_OBJECT)

static void
ms_local_track_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  MsLocalTrack *self = MS_LOCAL_TRACK (object);

  switch (prop_id) {
  case PROP_SOURCE:
    g_value_set_int (value, self->source);
    break;
  case PROP_KIND:
    g_value_set_int (value, self->kind);
    break;
  case PROP_LEVEL:
    g_value_set_double (value, self->level);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_local_track_finalize (GObject *object)
{
  MsLocalTrack *self = MS_LOCAL_TRACK (object);

  g_free (self->location);
  gst_clear_object (&self->element);
  gst_clear_object (&self->preview);
  gst_clear_object (&self->preview_in_bin);
  g_weak_ref_clear (&self->bin);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (ms_local_track_parent_class)->finalize (object);
}

static void
ms_local_track_class_init (MsLocalTrackClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ms_local_track_get_property;
  object_class->finalize = ms_local_track_finalize;

  properties[PROP_SOURCE] =
    g_param_spec_int ("source", NULL, NULL, 0, MS_LOCAL_TRACK_ELEMENT, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_KIND] =
    g_param_spec_int ("kind", NULL, NULL, 0, MS_TRACK_KIND_VIDEO, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MsLocalTrack:level:
   *
   * How loud the microphone is while an audio track is sent, from 0
   * (silence) to 1, measured about ten times a second before the track's
   * pause: a paused microphone still shows that someone speaks.
   */
  properties[PROP_LEVEL] =
    g_param_spec_double ("level", NULL, NULL, 0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ms_local_track_init (MsLocalTrack *self)
{
  /* Small frames by default, so that a few test peers fit on a small machine. */
  self->width = 320;
  self->height = 240;
  self->framerate = 15;
  g_mutex_init (&self->lock);
  g_weak_ref_init (&self->bin, NULL);
}

static gboolean
element_exists (const char *name)
{
  g_autoptr (GstElementFactory) factory = gst_element_factory_find (name);

  return factory != NULL;
}

/**
 * ms_local_track_new:
 *
 * Returns: (transfer full): a track for @source, or %NULL if this system
 *   has no way to capture it
 */
MsLocalTrack *
ms_local_track_new (MsLocalTrackSource   source,
                    GError             **error)
{
  MsLocalTrack *self;
  const char *needed = NULL;

  g_return_val_if_fail (source != MS_LOCAL_TRACK_FILE && source != MS_LOCAL_TRACK_ELEMENT, NULL);

  switch (source) {
  case MS_LOCAL_TRACK_CAMERA:
    needed = element_exists ("pipewiresrc") ? "pipewiresrc" : "v4l2src";
    break;
  case MS_LOCAL_TRACK_MICROPHONE:
    needed = "autoaudiosrc";
    break;
  case MS_LOCAL_TRACK_SCREEN:
    needed = "ximagesrc";
    break;
  case MS_LOCAL_TRACK_TEST_VIDEO:
    needed = "videotestsrc";
    break;
  case MS_LOCAL_TRACK_TEST_AUDIO:
    needed = "audiotestsrc";
    break;
  case MS_LOCAL_TRACK_FILE:
  case MS_LOCAL_TRACK_ELEMENT:
  default:
    g_assert_not_reached ();
  }

  if (!element_exists (needed)) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_MEDIA,
                 _("This system cannot capture this source (GStreamer element “%s” is missing)"),
                 needed);
    return NULL;
  }

  self = g_object_new (MS_TYPE_LOCAL_TRACK, NULL);
  self->source = source;
  self->kind = (source == MS_LOCAL_TRACK_MICROPHONE || source == MS_LOCAL_TRACK_TEST_AUDIO)
               ? MS_TRACK_KIND_AUDIO : MS_TRACK_KIND_VIDEO;

  return self;
}

/**
 * ms_local_track_new_for_file:
 * @path: a VP8 video in an IVF or WebM file
 *
 * The file (VP8 in WebM or IVF) is sent as it is, at its own pace, without
 * decoding or encoding. A WebM file starts again at its end, and the
 * receivers see one stream that never ends; GStreamer cannot rewind an
 * IVF file, which plays once.
 *
 * Returns: (transfer full): the track
 */
MsLocalTrack *
ms_local_track_new_for_file (const char  *path,
                             GError     **error)
{
  MsLocalTrack *self;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_MEDIA, _("No such file: %s"), path);
    return NULL;
  }

  self = g_object_new (MS_TYPE_LOCAL_TRACK, NULL);
  self->source = MS_LOCAL_TRACK_FILE;
  self->kind = MS_TRACK_KIND_VIDEO;
  self->location = g_strdup (path);

  return self;
}

/**
 * ms_local_track_new_for_element:
 * @source: (transfer floating): an element producing raw audio or video
 *
 * Returns: (transfer full): the track
 */
MsLocalTrack *
ms_local_track_new_for_element (MsTrackKind  kind,
                                GstElement  *source)
{
  MsLocalTrack *self = g_object_new (MS_TYPE_LOCAL_TRACK, NULL);

  self->source = MS_LOCAL_TRACK_ELEMENT;
  self->kind = kind;
  self->element = gst_object_ref_sink (source);

  return self;
}

/**
 * ms_local_track_set_video_format:
 * @width: frame width in pixels
 * @height: frame height in pixels
 * @framerate: frames per second, at most
 *
 * The size a raw video track is scaled to and encoded at, and the rate
 * it is limited to (a slower source is not made up to it: that would hold
 * each frame until the next); 320×240 at 15 frames per second by
 * default. The bitrate follows: a
 * tenth of a bit per pixel, at least 400 kbit/s (about 700 kbit/s for
 * 640×360 at 30). Takes effect the next time the track is sent. A
 * pre-encoded file is sent as it is.
 */
void
ms_local_track_set_video_format (MsLocalTrack *self,
                                 guint         width,
                                 guint         height,
                                 guint         framerate)
{
  g_return_if_fail (MS_IS_LOCAL_TRACK (self));
  g_return_if_fail (self->kind == MS_TRACK_KIND_VIDEO);
  g_return_if_fail (width >= 16 && width <= 4096 && height >= 16 && height <= 4096);
  g_return_if_fail (framerate >= 1 && framerate <= 120);

  self->width = width;
  self->height = height;
  self->framerate = framerate;
}

MsLocalTrackSource
ms_local_track_get_source (MsLocalTrack *self)
{
  g_return_val_if_fail (MS_IS_LOCAL_TRACK (self), 0);

  return self->source;
}

MsTrackKind
ms_local_track_get_kind (MsLocalTrack *self)
{
  g_return_val_if_fail (MS_IS_LOCAL_TRACK (self), 0);

  return self->kind;
}

static GstElement *
make_discarding_sink (void)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  return gst_object_ref_sink (sink);
}

typedef struct {
  MsLocalTrack *track;
  GstBin       *bin;
  GstElement   *replacement;
} PreviewSwap;

static void
preview_swap_free (gpointer data)
{
  PreviewSwap *swap = data;

  g_object_unref (swap->track);
  gst_object_unref (swap->bin);
  gst_object_unref (swap->replacement);
  g_free (swap);
}

/* Between two frames of the preview branch. */
static GstPadProbeReturn
on_preview_swap (GstPad          *pad,
                 GstPadProbeInfo *info,
                 gpointer         user_data)
{
  PreviewSwap *swap = user_data;
  MsLocalTrack *self = swap->track;

  g_mutex_lock (&self->lock);
  /* The track may have been sent again in another bin meanwhile. */
  if (self->preview_in_bin != NULL &&
      GST_OBJECT_PARENT (self->preview_in_bin) == GST_OBJECT (swap->bin)) {
    ms_media_replace_sink (pad, swap->bin, self->preview_in_bin, swap->replacement);
    gst_object_unref (self->preview_in_bin);
    self->preview_in_bin = gst_object_ref (swap->replacement);
  }
  g_mutex_unlock (&self->lock);

  return GST_PAD_PROBE_REMOVE;
}

/**
 * ms_local_track_set_preview_sink:
 * @sink: (nullable) (transfer floating): a sink for a copy of the raw
 *   video, or %NULL for none
 *
 * Shows the video this track sends, before it is encoded, for as long as
 * it is sent; paused, the preview goes on. Takes effect at once, between
 * two frames, and again each time the track is sent. Audio and pre-encoded
 * file tracks have no preview.
 */
void
ms_local_track_set_preview_sink (MsLocalTrack *self,
                                 GstElement   *sink)
{
  g_autoptr (GstBin) bin = NULL;
  g_autoptr (GstElement) convert = NULL;
  g_autoptr (GstPad) convert_src = NULL;
  PreviewSwap *swap;

  g_return_if_fail (MS_IS_LOCAL_TRACK (self));
  g_return_if_fail (sink == NULL || GST_IS_ELEMENT (sink));

  g_mutex_lock (&self->lock);
  gst_clear_object (&self->preview);
  if (sink != NULL)
    self->preview = gst_object_ref_sink (sink);
  bin = g_weak_ref_get (&self->bin);
  convert = bin ? gst_bin_get_by_name (bin, "preview") : NULL;
  g_mutex_unlock (&self->lock);

  if (convert == NULL)
    return;

  swap = g_new0 (PreviewSwap, 1);
  swap->track = g_object_ref (self);
  swap->bin = g_steal_pointer (&bin);
  swap->replacement = sink ? gst_object_ref (sink) : make_discarding_sink ();
  convert_src = gst_element_get_static_pad (convert, "src");
  /* Outside the lock: the probe may run right here. */
  gst_pad_add_probe (convert_src, GST_PAD_PROBE_TYPE_IDLE, on_preview_swap, swap,
                     preview_swap_free);
}

/**
 * ms_local_track_get_level:
 *
 * Returns: the microphone's level, see #MsLocalTrack:level
 */
double
ms_local_track_get_level (MsLocalTrack *self)
{
  g_return_val_if_fail (MS_IS_LOCAL_TRACK (self), 0.0);

  return self->level;
}

/**
 * ms_local_track_get_frames_sent:
 *
 * How many frames this track has sent, over every time it was sent:
 * encoded video frames (or audio packets, or a file's frames) handed to
 * the RTP payloader. Frames dropped while paused, or before the encoder
 * while the connection was not up yet, are not counted. Compared with a
 * receiver's #MsTrackStats frames, it tells what fraction arrived. Any
 * thread.
 *
 * Returns: the number of frames sent
 */
guint64
ms_local_track_get_frames_sent (MsLocalTrack *self)
{
  g_return_val_if_fail (MS_IS_LOCAL_TRACK (self), 0);

  return atomic_load (&self->frames_sent);
}

/**
 * ms_local_track_wait_stopped:
 * @timeout_ms: the longest to wait
 *
 * Waits until the media of every track that stopped being sent has
 * stopped. A session stops a closed track's encoder and payloader on a
 * thread of its own, so that its main thread never waits for the
 * PeerConnection to let go of them; a program that calls gst_deinit()
 * at its end calls this first (after closing its sessions), or such a
 * thread may still be running inside GStreamer when it goes.
 *
 * Returns: %TRUE if all had stopped, %FALSE if some still had not after
 *   @timeout_ms
 */
gboolean
ms_local_track_wait_stopped (guint timeout_ms)
{
  return ms_media_wait_stopped ((gint64) timeout_ms * G_TIME_SPAN_MILLISECOND);
}

void
ms_local_track_handle_level (GstMessage *message)
{
  double level = 0.0;
  g_autoptr (GObject) target = ms_media_level_target (message, &level);
  MsLocalTrack *self;

  if (target == NULL || !MS_IS_LOCAL_TRACK (target))
    return;

  self = MS_LOCAL_TRACK (target);
  if (G_APPROX_VALUE (self->level, level, DBL_EPSILON))
    return;

  self->level = level;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEVEL]);
}

void
ms_local_track_reset_level (MsLocalTrack *self)
{
  if (self->level == 0.0)
    return;

  self->level = 0.0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEVEL]);
}

static const char *
source_description (MsLocalTrack *self)
{
  switch (self->source) {
  case MS_LOCAL_TRACK_CAMERA:
    return element_exists ("pipewiresrc") ? "pipewiresrc" : "v4l2src";
  case MS_LOCAL_TRACK_MICROPHONE:
    return "autoaudiosrc";
  case MS_LOCAL_TRACK_SCREEN:
    return "ximagesrc use-damage=false";
  case MS_LOCAL_TRACK_TEST_VIDEO:
    return "videotestsrc is-live=true pattern=smpte";
  case MS_LOCAL_TRACK_TEST_AUDIO:
    return "audiotestsrc is-live=true wave=ticks";
  case MS_LOCAL_TRACK_FILE:
  case MS_LOCAL_TRACK_ELEMENT:
  default:
    return NULL;
  }
}

static GstPadProbeReturn
on_frame_sent (GstPad          *pad,
               GstPadProbeInfo *info,
               gpointer         user_data)
{
  MsLocalTrack *self = user_data;

  atomic_fetch_add (&self->frames_sent, 1);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_eos_drop (GstPad          *pad,
             GstPadProbeInfo *info,
             gpointer         user_data)
{
  return GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS ?
         GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* A file plays in a loop. At its end the reader seeks back to the start,
 * and this probe, on the reader's output, hides the seam from everything
 * downstream: the flushes and the repeated stream-start and segment never
 * pass, and each new pass is shifted to begin where the last one ended, so
 * that the pacing, the payloader's running time and with it the RTP
 * timestamps go on as if the file never ended. Only the reader's
 * streaming thread touches it. */
typedef struct {
  GstClockTime first;     /* timestamp of the file's first frame */
  GstClockTime offset;    /* added to this pass's timestamps */
  GstClockTime end;       /* end of the last frame sent, shifted */
  GstClockTime last;      /* timestamp of the last frame read, unshifted */
  GstClockTime frame;     /* duration of a frame, when the file does not say */
  gboolean     started;   /* the first stream-start and segment went through */
} FileLoop;

typedef struct {
  GstPad       *pad;
  GstClockTime  start;
} FileRewind;

static void
file_rewind_free (gpointer data)
{
  FileRewind *rewind = data;

  gst_object_unref (rewind->pad);
  g_free (rewind);
}

static void
on_file_rewind (GstElement *parsebin,
                gpointer    user_data)
{
  FileRewind *rewind = user_data;

  /* A track that stops meanwhile just refuses the seek. */
  gst_pad_send_event (rewind->pad,
                      gst_event_new_seek (1.0, GST_FORMAT_TIME,
                                          GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT,
                                          GST_SEEK_TYPE_SET, rewind->start,
                                          GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE));
}

static GstPadProbeReturn
on_file_data (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  FileLoop *loop = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime pts = GST_BUFFER_PTS (buffer);
    GstClockTime duration = GST_BUFFER_DURATION (buffer);

    if (!GST_CLOCK_TIME_IS_VALID (pts))
      return GST_PAD_PROBE_OK;
    if (!GST_CLOCK_TIME_IS_VALID (loop->first))
      loop->first = pts;
    if (GST_CLOCK_TIME_IS_VALID (loop->last) && pts > loop->last)
      loop->frame = pts - loop->last;
    loop->last = pts;
    if (!GST_CLOCK_TIME_IS_VALID (duration))
      duration = loop->frame;

    if (loop->offset > 0) {
      buffer = gst_buffer_make_writable (buffer);
      GST_BUFFER_PTS (buffer) = pts + loop->offset;
      if (GST_BUFFER_DTS_IS_VALID (buffer))
        GST_BUFFER_DTS (buffer) += loop->offset;
      GST_PAD_PROBE_INFO_DATA (info) = buffer;
    }
    loop->end = MAX (loop->end, pts + loop->offset + duration);
    return GST_PAD_PROBE_OK;
  }

  switch (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info))) {
  case GST_EVENT_FLUSH_START:
  case GST_EVENT_FLUSH_STOP:
    return GST_PAD_PROBE_DROP;
  case GST_EVENT_STREAM_START:
  case GST_EVENT_SEGMENT:
    if (loop->started)
      return GST_PAD_PROBE_DROP;
    if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_SEGMENT)
      loop->started = TRUE;
    return GST_PAD_PROBE_OK;
  case GST_EVENT_EOS: {
    FileRewind *rewind;

    if (!GST_CLOCK_TIME_IS_VALID (loop->first))
      return GST_PAD_PROBE_DROP;   /* an empty file: nothing to repeat */
    loop->offset = loop->end - loop->first;
    loop->last = GST_CLOCK_TIME_NONE;
    rewind = g_new0 (FileRewind, 1);
    rewind->pad = gst_object_ref (pad);
    rewind->start = loop->first;
    /* Not from this thread: the reader pauses itself after its EOS. */
    gst_element_call_async (GST_ELEMENT (GST_OBJECT_PARENT (pad)), on_file_rewind, rewind,
                            file_rewind_free);
    return GST_PAD_PROBE_DROP;
  }
  default:
    return GST_PAD_PROBE_OK;
  }
}

static void
on_file_pad (GstElement *parsebin,
             GstPad     *pad,
             gpointer    user_data)
{
  GstElement *next = user_data;
  g_autoptr (GstPad) sink = gst_element_get_static_pad (next, "sink");
  FileLoop *loop;

  if (gst_pad_is_linked (sink))
    return;   /* one video stream is sent; others stay unlinked */

  loop = g_new0 (FileLoop, 1);
  loop->first = loop->last = GST_CLOCK_TIME_NONE;
  gst_pad_add_probe (pad,
                     GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                     GST_PAD_PROBE_TYPE_EVENT_FLUSH,
                     on_file_data, loop, g_free);
  gst_pad_link (pad, sink);
}

static void
attach_preview_and_level (MsLocalTrack *self,
                          GstBin       *bin)
{
  g_autoptr (GstElement) convert = gst_bin_get_by_name (bin, "preview");
  g_autoptr (GstElement) level = gst_bin_get_by_name (bin, "level");

  if (level != NULL)
    ms_media_level_set_target (level, G_OBJECT (self));

  g_mutex_lock (&self->lock);
  g_weak_ref_set (&self->bin, bin);
  gst_clear_object (&self->preview_in_bin);
  if (convert != NULL) {
    GstElement *sink = self->preview ? gst_object_ref (self->preview) : make_discarding_sink ();
    GstObject *parent = gst_object_get_parent (GST_OBJECT (sink));

    /* Still in the bin this track was sent with before. */
    if (parent != NULL) {
      ms_media_discard_element (GST_BIN (parent), sink);
      gst_object_unref (parent);
    }
    /* One swapped out of another bin was left locked (ms_media_replace_sink()). */
    gst_element_set_locked_state (sink, FALSE);
    gst_bin_add (bin, sink);
    gst_element_link (convert, sink);
    self->preview_in_bin = sink;
  }
  g_mutex_unlock (&self->lock);
}

/* Every bin's "sendq" queue is the thread that pushes into webrtcbin.
 * webrtcbin 1.22 holds a push until its DTLS is up (transportsendbin's
 * pad block), so a thread that enters a PeerConnection that never
 * connects stays there until the PeerConnection is shut down, and then
 * comes back with FLUSHING: a source that got that back would stop for
 * good, a queue can be started again (ms_local_track_bin_hold_sender()).
 * Leaky, so that nothing upstream ever waits on it: it keeps the latest
 * second of an encoded file (its keyframe, while DTLS finishes) and the
 * latest 200 ms of audio. */
#define SENDQ_FILE_TIME  (1 * GST_SECOND)
#define SENDQ_AUDIO_TIME (200 * GST_MSECOND)

static GstPadProbeReturn
drop_buffer (GstPad          *pad,
             GstPadProbeInfo *info,
             gpointer         user_data)
{
  return GST_PAD_PROBE_DROP;
}

gulong
ms_local_track_bin_hold_sender (GstElement *bin)
{
  g_autoptr (GstElement) queue = gst_bin_get_by_name (GST_BIN (bin), "sendq");
  g_autoptr (GstPad) sink = NULL;

  g_return_val_if_fail (queue != NULL, 0);
  sink = gst_element_get_static_pad (queue, "sink");
  return gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                            drop_buffer, NULL, NULL);
}

void
ms_local_track_bin_restart_sender (GstElement *bin,
                                   gulong      hold)
{
  g_autoptr (GstElement) queue = gst_bin_get_by_name (GST_BIN (bin), "sendq");
  g_autoptr (GstPad) sink = NULL;
  GstEvent *segment;

  g_return_if_fail (queue != NULL);
  sink = gst_element_get_static_pad (queue, "sink");
  /* A flush clears the queue's FLUSHING and starts its thread again;
   * downstream it resets the encoder and payloader, whose next frame
   * then starts a stream anew. It also clears the segment, which
   * upstream, not flushed, would not send again: it goes in again here. */
  segment = gst_pad_get_sticky_event (sink, GST_EVENT_SEGMENT, 0);
  gst_pad_send_event (sink, gst_event_new_flush_start ());
  gst_pad_send_event (sink, gst_event_new_flush_stop (FALSE));
  if (segment != NULL)
    gst_pad_send_event (sink, segment);
  gst_pad_remove_probe (sink, hold);
}

/* Raw media → valve (paused drops here, before the encoder) → encoder →
 * RTP payloader, with real-time encoder settings throughout. */
GstElement *
ms_local_track_make_bin (MsLocalTrack  *self,
                         guint          payload,
                         guint32        ssrc,
                         GError       **error)
{
  g_autofree char *description = NULL;
  g_autoptr (GstElement) bin = NULL;
  GstElement *source = NULL;
  GstElement *first;
  gboolean linked;

  if (self->source == MS_LOCAL_TRACK_FILE) {
    description = g_strdup_printf ("identity name=first sync=true ! "
                                   "queue name=sendq leaky=downstream max-size-buffers=0 "
                                   "max-size-bytes=0 max-size-time=%" G_GUINT64_FORMAT
                                   " silent=true ! "
                                   "valve name=valve drop=false ! "
                                   "rtpvp8pay name=pay mtu=1200 picture-id-mode=15-bit pt=%u ! "
                                   "capsfilter name=caps", (guint64) SENDQ_FILE_TIME, payload);
  } else if (self->kind == MS_TRACK_KIND_VIDEO) {
    guint bitrate = MAX (400000, (guint) ((guint64) self->width * self->height *
                                          self->framerate / 10));

    /* Each branch of the tee has its queue: the sending one blocks
     * inside webrtcbin until DTLS is up, the preview must not wait.
     * videorate only drops frames above the track's rate: one that also
     * made up missing frames holds each frame until the next one comes
     * (a whole frame of latency, 33 ms at 30 fps, measured). A slower or
     * variable-rate source is sent at its own rate. */
    description = g_strdup_printf ("videoconvert name=first ! videoscale ! "
                                   "videorate drop-only=true max-rate=%u ! "
                                   "video/x-raw,width=%u,height=%u ! "
                                   "tee name=tee ! "
                                   "queue name=sendq leaky=downstream max-size-buffers=2 "
                                   "max-size-bytes=0 max-size-time=0 silent=true ! "
                                   "valve name=valve drop=false ! "
                                   "vp8enc deadline=1 cpu-used=8 end-usage=cbr "
                                   "target-bitrate=%u keyframe-max-dist=%u "
                                   "lag-in-frames=0 error-resilient=default threads=1 ! "
                                   "rtpvp8pay name=pay mtu=1200 picture-id-mode=15-bit pt=%u ! "
                                   "capsfilter name=caps "
                                   "tee. ! queue leaky=downstream "
                                   "max-size-buffers=1 max-size-bytes=0 max-size-time=0 "
                                   "silent=true ! videoconvert name=preview",
                                   self->framerate, self->width, self->height, bitrate,
                                   10 * self->framerate, payload);
  } else {
    description = g_strdup_printf ("audioconvert name=first ! audioresample ! "
                                   "level name=level post-messages=true interval=100000000 ! "
                                   "queue name=sendq leaky=downstream max-size-buffers=0 "
                                   "max-size-bytes=0 max-size-time=%" G_GUINT64_FORMAT
                                   " silent=true ! "
                                   "valve name=valve drop=false ! "
                                   "opusenc audio-type=voice frame-size=20 bitrate=32000 ! "
                                   "rtpopuspay name=pay pt=%u ! capsfilter name=caps",
                                   (guint64) SENDQ_AUDIO_TIME, payload);
  }

  bin = gst_parse_bin_from_description_full (description, FALSE, NULL,
                                             GST_PARSE_FLAG_NO_SINGLE_ELEMENT_BINS, error);
  if (bin == NULL)
    return NULL;
  gst_object_ref_sink (bin);

  if (self->source == MS_LOCAL_TRACK_ELEMENT) {
    source = gst_object_ref (self->element);
  } else if (self->source == MS_LOCAL_TRACK_FILE) {
    source = gst_element_factory_make ("filesrc", NULL);
    g_object_set (source, "location", self->location, NULL);
  } else {
    source = gst_parse_launch (source_description (self), error);
    if (source == NULL)
      return NULL;
  }

  if (self->kind == MS_TRACK_KIND_AUDIO)
    ms_media_tag_as_call (source);
  gst_bin_add (GST_BIN (bin), source);
  first = gst_bin_get_by_name (GST_BIN (bin), "first");
  if (self->source == MS_LOCAL_TRACK_FILE) {
    GstElement *parse = gst_element_factory_make ("parsebin", NULL);

    /* The stream appears once the file is read; it loops from there. */
    gst_bin_add (GST_BIN (bin), parse);
    g_signal_connect_object (parse, "pad-added", G_CALLBACK (on_file_pad), first, 0);
    linked = gst_element_link (source, parse);
  } else {
    linked = gst_element_link (source, first);
  }
  if (!linked) {
    gst_object_unref (first);
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_MEDIA,
                 _("Could not set up the media source"));
    return NULL;
  }
  gst_object_unref (first);

  attach_preview_and_level (self, GST_BIN (bin));

  {
    g_autoptr (GstElement) filter = gst_bin_get_by_name (GST_BIN (bin), "caps");
    g_autoptr (GstPad) pad = gst_element_get_static_pad (filter, "src");
    g_autoptr (GstCaps) caps = ms_local_track_make_caps (self, payload, ssrc);
    g_autoptr (GstElement) pay = gst_bin_get_by_name (GST_BIN (bin), "pay");
    g_autoptr (GstPad) pay_sink = gst_element_get_static_pad (pay, "sink");
    GstPad *ghost = gst_ghost_pad_new ("src", pad);

    g_object_set (pay, "ssrc", ssrc, NULL);
    /* Encoded frames, after the pause valve: what a receiver can decode.
     * The encoders (and the file's reader) push one frame a buffer. */
    gst_pad_add_probe (pay_sink, GST_PAD_PROBE_TYPE_BUFFER, on_frame_sent, g_object_ref (self),
                       g_object_unref);
    /* Fixed caps: webrtcbin builds the offer's m-line from them. */
    g_object_set (filter, "caps", caps, NULL);
    /* No source may end: an EOS inside webrtcbin would freeze the whole
     * bundle (a file loops, but its reader may still fail). */
    gst_pad_add_probe (ghost, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_eos_drop, NULL, NULL);
    gst_element_add_pad (bin, ghost);
  }

  return g_steal_pointer (&bin);
}

GstCaps *
ms_local_track_make_caps (MsLocalTrack *self,
                          guint         payload,
                          guint32       ssrc)
{
  /* The ssrc goes into the offer (a=ssrc), which is how the receiving
   * webrtcbin 1.22 tells bundled streams apart without a mid extension. */
  if (self->kind == MS_TRACK_KIND_VIDEO) {
    return gst_caps_new_simple ("application/x-rtp",
                                "media", G_TYPE_STRING, "video",
                                "encoding-name", G_TYPE_STRING, "VP8",
                                "clock-rate", G_TYPE_INT, 90000,
                                "payload", G_TYPE_INT, payload,
                                "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE,
                                "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
                                "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE,
                                "ssrc", G_TYPE_UINT, ssrc,
                                NULL);
  }

  return gst_caps_new_simple ("application/x-rtp",
                              "media", G_TYPE_STRING, "audio",
                              "encoding-name", G_TYPE_STRING, "OPUS",
                              "clock-rate", G_TYPE_INT, 48000,
                              "encoding-params", G_TYPE_STRING, "2",
                              "payload", G_TYPE_INT, payload,
                              "ssrc", G_TYPE_UINT, ssrc,
                              NULL);
}
