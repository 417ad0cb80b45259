/* ms-local-track.c: sources of local media, encoded for WebRTC
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "MsLocalTrack"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "ms-local-track-private.h"
#include "ms-session.h"

struct _MsLocalTrack {
  GObject             parent_instance;

  MsLocalTrackSource  source;
  MsTrackKind         kind;
  char               *location;
  GstElement         *element;     /* MS_LOCAL_TRACK_ELEMENT */
  GstElement         *preview;
};

enum {
  PROP_0,
  PROP_SOURCE,
  PROP_KIND,
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
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ms_local_track_init (MsLocalTrack *self)
{
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
 * The file (VP8 in WebM or IVF) is sent as it is, at its own pace, once,
 * without decoding or encoding.
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

/**
 * ms_local_track_set_preview_sink:
 * @sink: (nullable) (transfer floating): where a copy of the raw video goes
 *
 * Takes effect the next time the track is sent.
 */
void
ms_local_track_set_preview_sink (MsLocalTrack *self,
                                 GstElement   *sink)
{
  g_return_if_fail (MS_IS_LOCAL_TRACK (self));

  gst_clear_object (&self->preview);
  if (sink != NULL)
    self->preview = gst_object_ref_sink (sink);
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
on_eos_drop (GstPad          *pad,
             GstPadProbeInfo *info,
             gpointer         user_data)
{
  return GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS ?
         GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* Raw media → valve (paused drops here, before the encoder) → encoder →
 * RTP payloader. Small frames by default so that a few test peers fit on a
 * small machine; real-time encoder settings throughout. */
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

  if (self->source == MS_LOCAL_TRACK_FILE) {
    description = g_strdup_printf ("parsebin name=first ! identity sync=true ! "
                                   "valve name=valve drop=false ! "
                                   "rtpvp8pay name=pay mtu=1200 picture-id-mode=15-bit pt=%u ! "
                                   "capsfilter name=caps", payload);
  } else if (self->kind == MS_TRACK_KIND_VIDEO) {
    description = g_strdup_printf ("videoconvert name=first ! videoscale ! videorate ! "
                                   "video/x-raw,width=320,height=240,framerate=15/1 ! "
                                   "tee name=preview allow-not-linked=true ! "
                                   "valve name=valve drop=false ! "
                                   "vp8enc deadline=1 cpu-used=8 end-usage=cbr "
                                   "target-bitrate=400000 keyframe-max-dist=150 "
                                   "lag-in-frames=0 error-resilient=default threads=1 ! "
                                   "rtpvp8pay name=pay mtu=1200 picture-id-mode=15-bit pt=%u ! "
                                   "capsfilter name=caps", payload);
  } else {
    description = g_strdup_printf ("audioconvert name=first ! audioresample ! "
                                   "valve name=valve drop=false ! "
                                   "opusenc audio-type=voice frame-size=20 bitrate=32000 ! "
                                   "rtpopuspay name=pay pt=%u ! capsfilter name=caps", payload);
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

  gst_bin_add (GST_BIN (bin), source);
  first = gst_bin_get_by_name (GST_BIN (bin), "first");
  if (!gst_element_link (source, first)) {
    gst_object_unref (first);
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_MEDIA,
                 _("Could not set up the media source"));
    return NULL;
  }
  gst_object_unref (first);

  if (self->preview != NULL) {
    g_autoptr (GstElement) tee = gst_bin_get_by_name (GST_BIN (bin), "preview");

    if (tee != NULL) {
      GstElement *queue = gst_element_factory_make ("queue", NULL);

      g_object_set (queue, "leaky", 2, "max-size-buffers", 1, NULL);
      gst_bin_add_many (GST_BIN (bin), queue, self->preview, NULL);
      gst_element_link_many (tee, queue, self->preview, NULL);
    }
  }

  {
    g_autoptr (GstElement) filter = gst_bin_get_by_name (GST_BIN (bin), "caps");
    g_autoptr (GstPad) pad = gst_element_get_static_pad (filter, "src");
    g_autoptr (GstCaps) caps = ms_local_track_make_caps (self, payload, ssrc);
    g_autoptr (GstElement) pay = gst_bin_get_by_name (GST_BIN (bin), "pay");
    GstPad *ghost = gst_ghost_pad_new ("src", pad);

    g_object_set (pay, "ssrc", ssrc, NULL);
    /* Fixed caps: webrtcbin builds the offer's m-line from them. */
    g_object_set (filter, "caps", caps, NULL);
    /* A file ends; an EOS inside webrtcbin would freeze the whole bundle. */
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
