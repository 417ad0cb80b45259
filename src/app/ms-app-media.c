/* ms-app-media.c: the app's choice of devices and sources
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What "camera", "microphone" and "screen" mean on this computer: the
 * devices chosen in the preferences (GSettings), found through the device
 * monitor, else the system's defaults. The microphone goes through
 * webrtcdsp for echo cancellation and noise suppression; its echo probe
 * sits in front of the speakers. With MEDIASTORE_TEST_SOURCES set (demos,
 * tests, machines without devices) the camera and screen are test
 * patterns and the microphone a tone.
 */

#define G_LOG_DOMAIN "MsMedia"

#include "config.h"

#include <glib/gi18n.h>

#include "ms-devices.h"
#include "ms-app-media.h"

#define ECHO_PROBE "mediastore-echo-probe"

/**
 * ms_media_get_settings:
 *
 * Returns: (transfer none) (nullable): the app's settings, or %NULL when
 *   the schema is not installed (running from a build tree)
 */
GSettings *
ms_media_get_settings (void)
{
  static GSettings *settings;
  static gboolean looked;

  if (!looked) {
    GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
    g_autoptr (GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, APP_ID,
                                                                                  TRUE) : NULL;

    looked = TRUE;
    if (schema != NULL)
      settings = g_settings_new (APP_ID);
    else
      g_message ("The settings schema %s is not installed: preferences are not kept", APP_ID);
  }

  return settings;
}

G_DEFINE_QUARK (ms-media-error-quark, ms_media_error)

/**
 * ms_media_use_test_sources:
 *
 * Returns: whether MEDIASTORE_TEST_SOURCES asks for test patterns and tones
 */
gboolean
ms_media_use_test_sources (void)
{
  const char *value = g_getenv ("MEDIASTORE_TEST_SOURCES");

  return value != NULL && *value != '\0' && !g_str_equal (value, "0");
}

#define test_sources ms_media_use_test_sources

static MsDeviceClass
class_of_tag (const char *tag)
{
  return g_str_equal (tag, "microphone") ? MS_DEVICE_MICROPHONE : MS_DEVICE_CAMERA;
}

/**
 * ms_media_has_device:
 * @tag: "camera" or "microphone"
 *
 * Returns: whether there is something to capture @tag from: a test source,
 *   or at least one such device plugged in
 */
gboolean
ms_media_has_device (const char *tag)
{
  return test_sources () || ms_devices_has (ms_devices_get_default (), class_of_tag (tag));
}

static gboolean
check_device (const char  *tag,
              GError     **error)
{
  if (ms_media_has_device (tag))
    return TRUE;
  g_set_error_literal (error, MS_MEDIA_ERROR, MS_MEDIA_ERROR_NO_DEVICE,
                       ms_devices_get_missing_text (class_of_tag (tag)));
  return FALSE;
}

static gboolean
get_boolean (const char *key,
             gboolean    fallback)
{
  GSettings *settings = ms_media_get_settings ();

  return settings ? g_settings_get_boolean (settings, key) : fallback;
}

/* The element for the device a setting names, or NULL for the default. */
static GstElement *
chosen_device (MsDeviceClass  device_class,
               const char    *key)
{
  GSettings *settings = ms_media_get_settings ();
  g_autofree char *name = settings ? g_settings_get_string (settings, key) : NULL;
  g_autoptr (GstDevice) device = NULL;

  if (name == NULL || *name == '\0')
    return NULL;
  device = ms_devices_lookup (ms_devices_get_default (), device_class, name);
  if (device == NULL) {
    g_message ("%s is not plugged in: using the default", name);
    return NULL;
  }

  return gst_device_create_element (device, NULL);
}

/* The chosen camera, else the first one listed. */
static GstElement *
make_camera (GError **error)
{
  GstElement *element = chosen_device (MS_DEVICE_CAMERA, "camera-device");
  GListModel *cameras = ms_devices_get_list (ms_devices_get_default (), MS_DEVICE_CAMERA);
  g_autoptr (GstDevice) first = g_list_model_get_item (cameras, 0);

  if (element == NULL && first != NULL)
    element = gst_device_create_element (first, NULL);
  if (element == NULL)
    g_set_error_literal (error, MS_MEDIA_ERROR, MS_MEDIA_ERROR_FAILED,
                         _("The camera could not be opened"));

  return element;
}

static GstElement *
make_microphone (GError **error)
{
  GstElement *source = chosen_device (MS_DEVICE_MICROPHONE, "microphone-device");
  gboolean echo = get_boolean ("echo-cancellation", TRUE);
  gboolean noise = get_boolean ("noise-suppression", TRUE);
  g_autoptr (GstElementFactory) dsp_factory = gst_element_factory_find ("webrtcdsp");
  GstElement *bin;
  GstElement *convert;
  GstElement *resample;
  GstElement *dsp;
  g_autoptr (GstPad) pad = NULL;

  if (source == NULL)
    source = gst_element_factory_make ("autoaudiosrc", NULL);
  if (source == NULL) {
    g_set_error_literal (error, MS_SESSION_ERROR, MS_SESSION_ERROR_MEDIA,
                         "autoaudiosrc is missing");
    return NULL;
  }
  if (dsp_factory == NULL || (!echo && !noise))
    return source;

  bin = gst_bin_new ("microphone");
  convert = gst_element_factory_make ("audioconvert", NULL);
  resample = gst_element_factory_make ("audioresample", NULL);
  dsp = gst_element_factory_create (dsp_factory, NULL);
  g_object_set (dsp, "echo-cancel", echo, "noise-suppression", noise, "probe", ECHO_PROBE, NULL);
  gst_bin_add_many (GST_BIN (bin), source, convert, resample, dsp, NULL);
  gst_element_link_many (source, convert, resample, dsp, NULL);
  pad = gst_element_get_static_pad (dsp, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", pad));

  return bin;
}

/* The size and rate the preferences' video quality stands for. */
void
ms_media_apply_quality (MsLocalTrack *track)
{
  static const struct {
    const char *nick;
    guint       width, height, rate;
  } qualities[] = {
    { "low", 320, 240, 15 },
    { "medium", 640, 360, 24 },
    { "high", 1280, 720, 30 },
  };
  GSettings *settings = ms_media_get_settings ();
  g_autofree char *nick = settings ? g_settings_get_string (settings, "video-quality")
                                   : g_strdup ("medium");

  if (track == NULL || ms_local_track_get_kind (track) != MS_TRACK_KIND_VIDEO)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (qualities); i++) {
    if (g_str_equal (nick, qualities[i].nick))
      ms_local_track_set_video_format (track, qualities[i].width, qualities[i].height,
                                       qualities[i].rate);
  }
}

static MsLocalTrack *
make_track (const char  *tag,
            GError     **error)
{
  GstElement *element;

  if (test_sources ()) {
    return ms_local_track_new (g_str_equal (tag, "microphone") ? MS_LOCAL_TRACK_TEST_AUDIO
                                                              : MS_LOCAL_TRACK_TEST_VIDEO, error);
  }

  if (g_str_equal (tag, "microphone")) {
    element = check_device (tag, error) ? make_microphone (error) : NULL;
    return element ? ms_local_track_new_for_element (MS_TRACK_KIND_AUDIO, element) : NULL;
  }
  if (g_str_equal (tag, "camera")) {
    element = check_device (tag, error) ? make_camera (error) : NULL;
    return element ? ms_local_track_new_for_element (MS_TRACK_KIND_VIDEO, element) : NULL;
  }

  return ms_local_track_new (MS_LOCAL_TRACK_SCREEN, error);
}

/**
 * ms_media_make_source:
 * @tag: "camera" or "microphone"
 *
 * The bare source element for @tag, for the lobby's preview and level:
 * the chosen device (else the default), or a live test pattern or tone.
 *
 * Returns: (transfer floating) (nullable): the element, or %NULL with
 *   @error (MS_MEDIA_ERROR_NO_DEVICE when there is none)
 */
GstElement *
ms_media_make_source (const char  *tag,
                      GError     **error)
{
  GstElement *element;

  if (test_sources ()) {
    if (g_str_equal (tag, "microphone"))
      element = gst_parse_launch ("audiotestsrc is-live=true wave=sine volume=0.4", error);
    else
      element = gst_parse_launch ("videotestsrc is-live=true pattern=smpte", error);
    return element;
  }
  if (!check_device (tag, error))
    return NULL;
  if (g_str_equal (tag, "camera"))
    return make_camera (error);

  element = chosen_device (MS_DEVICE_MICROPHONE, "microphone-device");
  if (element == NULL)
    element = gst_element_factory_make ("autoaudiosrc", NULL);
  if (element == NULL)
    g_set_error_literal (error, MS_MEDIA_ERROR, MS_MEDIA_ERROR_FAILED,
                         _("The microphone could not be opened"));
  return element;
}

MsLocalTrack *
ms_media_make_track (const char  *tag,
                     GError     **error)
{
  MsLocalTrack *track = make_track (tag, error);

  ms_media_apply_quality (track);
  return track;
}

/* The speakers chosen in the preferences, behind the echo probe that the
 * microphone's webrtcdsp compares with. */
void
ms_media_configure_session (MsSession *session)
{
  const char *env = g_getenv ("MEDIASTORE_AUDIO_SINK");
  GstElement *sink = chosen_device (MS_DEVICE_SPEAKER, "speaker-device");
  g_autoptr (GstElementFactory) probe_factory = gst_element_factory_find ("webrtcechoprobe");
  GstElement *bin;
  GstElement *first;
  GstElement *resample;
  GstElement *probe;
  GstElement *convert;
  g_autoptr (GstPad) pad = NULL;

  if (sink == NULL)
    sink = gst_element_factory_make (env ? env : "autoaudiosink", NULL);
  if (sink == NULL || probe_factory == NULL || !get_boolean ("echo-cancellation", TRUE)) {
    ms_session_set_audio_output (session, sink);
    return;
  }

  bin = gst_bin_new ("speakers");
  first = gst_element_factory_make ("audioconvert", NULL);
  resample = gst_element_factory_make ("audioresample", NULL);
  probe = gst_element_factory_create (probe_factory, ECHO_PROBE);
  convert = gst_element_factory_make ("audioconvert", NULL);
  gst_bin_add_many (GST_BIN (bin), first, resample, probe, convert, sink, NULL);
  gst_element_link_many (first, resample, probe, convert, sink, NULL);
  pad = gst_element_get_static_pad (first, "sink");
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));
  ms_session_set_audio_output (session, bin);
}

const char *
ms_media_default_display_name (void)
{
  GSettings *settings = ms_media_get_settings ();
  static char *saved;
  const char *name = g_get_real_name ();

  if (settings != NULL) {
    g_free (saved);
    saved = g_settings_get_string (settings, "display-name");
    if (*saved != '\0')
      return saved;
  }

  return name != NULL && !g_str_equal (name, "Unknown") ? name : g_get_user_name ();
}
