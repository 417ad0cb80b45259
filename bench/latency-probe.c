/* latency-probe.c: glass-to-glass latency through a Mediastore server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two libmediastore sessions in one process: the sender's "camera" paints
 * the time each frame leaves it into the frame itself, as a grid of black
 * and white blocks (40 bits of the monotonic clock in microseconds and a
 * check byte), and the receiver reads the grid back when the decoded
 * frame is rendered, by a sink that keeps time as a display does (sync on
 * the pipeline clock). Everything between is the real path: the track's
 * scaling, rate and VP8 encoding, the server, the receiver's jitterbuffer
 * and decoder. Both ends read the same clock, so no clock sync is needed.
 */

#define G_LOG_DOMAIN "MsLatencyProbe"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include "mediastore.h"

#define COLS       8
#define ROWS       6
#define TIME_BITS  40
#define TIME_MASK  ((G_GUINT64_CONSTANT (1) << TIME_BITS) - 1)

typedef struct {
  GMainLoop  *loop;
  MsSession  *sender;
  MsSession  *receiver;
  char       *url;
  char       *receiver_token;
  char       *video;
  guint       latency;       /* ms of the receiver's jitterbuffer */
  gboolean    latency_default;   /* the library's: no --latency */
  guint       width;         /* of the camera and the track: nothing is scaled */
  guint       height;
  guint       framerate;
  int         warmup_s;
  int         duration_s;
  gboolean    sink_set;
  gboolean    done;          /* the sink's thread saw enough */
  int         status;

  GMutex      lock;          /* guards what the sink's thread writes */
  GArray     *samples;       /* of gint64 µs, after the warm-up */
  guint       unreadable;    /* frames whose grid did not check */
  gint64      first_us;      /* first readable frame */
} Probe;

static guint8
check_byte (guint64 stamp)
{
  guint8 check = 0x5a;

  for (guint i = 0; i < TIME_BITS / 8; i++)
    check ^= (stamp >> (8 * i)) & 0xff;
  return check;
}

/* The camera's side: paints the grid into each frame as it leaves. */
static GstPadProbeReturn
on_frame_out (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  Probe *probe = user_data;
  GstBuffer *buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  guint64 stamp = (guint64) g_get_monotonic_time () & TIME_MASK;
  guint64 bits = stamp | ((guint64) check_byte (stamp) << TIME_BITS);
  GstMapInfo map;

  if (gst_buffer_map (buffer, &map, GST_MAP_WRITE)) {
    /* I420 with even sizes: the luma plane comes first, unpadded. */
    for (guint y = 0; y < probe->height; y++) {
      guint row = y * ROWS / probe->height;

      for (guint x = 0; x < probe->width; x++) {
        guint bit = row * COLS + x * COLS / probe->width;

        map.data[y * probe->width + x] = (bits >> bit) & 1 ? 235 : 16;
      }
    }
    gst_buffer_unmap (buffer, &map);
  }
  GST_PAD_PROBE_INFO_DATA (info) = buffer;

  return GST_PAD_PROBE_OK;
}

static gboolean
on_done (gpointer user_data)
{
  Probe *probe = user_data;

  g_main_loop_quit (probe->loop);
  return G_SOURCE_REMOVE;
}

/* The display's side: reads the grid back when the frame is rendered. */
static void
on_render (GstElement *sink,
           GstBuffer  *buffer,
           GstPad     *pad,
           Probe      *probe)
{
  gint64 now = g_get_monotonic_time ();
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  GstVideoInfo info;
  GstVideoFrame frame;
  guint64 bits = 0;
  guint64 stamp;
  gint64 latency;

  if (caps == NULL || !gst_video_info_from_caps (&info, caps) ||
      !gst_video_frame_map (&frame, &info, buffer, GST_MAP_READ))
    return;

  for (guint bit = 0; bit < COLS * ROWS; bit++) {
    guint width = GST_VIDEO_FRAME_COMP_WIDTH (&frame, 0);
    guint height = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, 0);
    guint stride = GST_VIDEO_FRAME_COMP_STRIDE (&frame, 0);
    const guint8 *luma = GST_VIDEO_FRAME_COMP_DATA (&frame, 0);
    guint pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, 0);
    guint x0 = (bit % COLS) * width / COLS;
    guint y0 = (bit / COLS) * height / ROWS;
    guint cw = width / COLS;
    guint ch = height / ROWS;
    guint sum = 0;
    guint n = 0;

    /* The middle half of each block: its edges blur in the encoder. */
    for (guint y = y0 + ch / 4; y < y0 + 3 * ch / 4; y += 2) {
      for (guint x = x0 + cw / 4; x < x0 + 3 * cw / 4; x += 2) {
        sum += luma[y * stride + x * pstride];
        n++;
      }
    }
    if (n > 0 && sum / n > 128)
      bits |= G_GUINT64_CONSTANT (1) << bit;
  }
  gst_video_frame_unmap (&frame);

  stamp = bits & TIME_MASK;
  g_mutex_lock (&probe->lock);
  if (check_byte (stamp) != (bits >> TIME_BITS)) {
    probe->unreadable++;
  } else {
    latency = (gint64) ((((guint64) now & TIME_MASK) - stamp) & TIME_MASK);
    if (probe->first_us == 0)
      probe->first_us = now;
    else if (now - probe->first_us >= probe->warmup_s * G_USEC_PER_SEC)
      g_array_append_val (probe->samples, latency);
    if (!probe->done && now - probe->first_us >=
        (gint64) (probe->warmup_s + probe->duration_s) * G_USEC_PER_SEC) {
      probe->done = TRUE;
      g_main_context_invoke (NULL, on_done, probe);
    }
  }
  g_mutex_unlock (&probe->lock);
}

/* The first remote track gets a sink that renders on time, as a display's does. */
static void
on_tracks_changed (GListModel *tracks,
                   guint       position,
                   guint       removed,
                   guint       added,
                   Probe      *probe)
{
  g_autoptr (MsRemoteTrack) track = NULL;
  GstElement *sink;

  if (probe->sink_set || g_list_model_get_n_items (tracks) == 0)
    return;

  track = g_list_model_get_item (tracks, 0);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", TRUE, "async", FALSE, "signal-handoffs", TRUE,
                "enable-last-sample", FALSE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_render), probe);
  ms_remote_track_set_video_sink (track, sink);
  probe->sink_set = TRUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  Probe *probe = user_data;

  g_printerr (_("No readable frame arrived in time\n"));
  probe->status = 1;
  g_main_loop_quit (probe->loop);
  return G_SOURCE_REMOVE;
}

static void
on_status (MsStore    *store,
           GParamSpec *pspec,
           Probe      *probe)
{
  if (ms_store_get_connect_status (store) == MS_CONNECT_STATUS_FAILED) {
    g_printerr ("%s\n", ms_store_get_error_connection (store));
    probe->status = 1;
    g_main_loop_quit (probe->loop);
  }
}

static void
on_receiver_connected (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  ms_session_connect_finish (MS_SESSION (source), result, NULL);   /* on_status reports */
}

static void
on_sender_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (MsLocalTrack) track = NULL;
  g_autoptr (GstElement) camera = NULL;
  g_autoptr (GstElement) stamp = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autofree char *description = NULL;

  if (!ms_session_connect_finish (MS_SESSION (source), result, &error))
    return;

  /* The camera makes what the track sends: nothing is scaled. */
  description = g_strdup_printf ("videotestsrc is-live=true pattern=black ! "
                                 "video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1 ! "
                                 "identity name=stamp", probe->width, probe->height,
                                 probe->framerate);
  camera = gst_parse_bin_from_description (description, TRUE, &error);
  if (camera == NULL) {
    g_printerr ("%s\n", error->message);
    probe->status = 1;
    g_main_loop_quit (probe->loop);
    return;
  }
  gst_object_ref_sink (camera);
  stamp = gst_bin_get_by_name (GST_BIN (camera), "stamp");
  pad = gst_element_get_static_pad (stamp, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_frame_out, probe, NULL);

  track = ms_local_track_new_for_element (MS_TRACK_KIND_VIDEO, camera);
  ms_local_track_set_video_format (track, probe->width, probe->height, probe->framerate);
  if (!ms_session_send_track (probe->sender, track, "camera", FALSE, &error)) {
    g_printerr ("%s\n", error->message);
    probe->status = 1;
    g_main_loop_quit (probe->loop);
    return;
  }

  ms_session_connect_async (probe->receiver, probe->url, probe->receiver_token, NULL,
                            on_receiver_connected, probe);
}

static int
compare_samples (gconstpointer a,
                 gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (GArray *sorted,
               double  p)
{
  double k = (sorted->len - 1) * p / 100.0;
  guint f = (guint) k;
  guint c = MIN (f + 1, sorted->len - 1);
  double low = g_array_index (sorted, gint64, f);
  double high = g_array_index (sorted, gint64, c);

  return (low + (high - low) * (k - f)) / 1000.0;
}

static void
print_result (Probe *probe)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  GArray *samples = probe->samples;
  const double levels[] = { 50, 95, 99 };
  const char *names[] = { "p50_ms", "p95_ms", "p99_ms" };

  json_builder_begin_object (builder);
  /* In the order they came, to see a drift within the session. */
  json_builder_set_member_name (builder, "samples_ms");
  json_builder_begin_array (builder);
  for (guint i = 0; i < samples->len; i++)
    json_builder_add_double_value (builder, g_array_index (samples, gint64, i) / 1000.0);
  json_builder_end_array (builder);
  g_array_sort (samples, compare_samples);
  json_builder_set_member_name (builder, "jitterbuffer_ms");
  json_builder_add_int_value (builder, probe->latency);
  json_builder_set_member_name (builder, "jitterbuffer_default");
  json_builder_add_boolean_value (builder, probe->latency_default);
  json_builder_set_member_name (builder, "video");
  json_builder_add_string_value (builder, probe->video);
  json_builder_set_member_name (builder, "frames_read");
  json_builder_add_int_value (builder, samples->len);
  json_builder_set_member_name (builder, "frames_unreadable");
  json_builder_add_int_value (builder, probe->unreadable);
  for (guint i = 0; samples->len > 0 && i < G_N_ELEMENTS (levels); i++) {
    json_builder_set_member_name (builder, names[i]);
    json_builder_add_double_value (builder, percentile_ms (samples, levels[i]));
  }
  if (samples->len > 0) {
    json_builder_set_member_name (builder, "min_ms");
    json_builder_add_double_value (builder, g_array_index (samples, gint64, 0) / 1000.0);
    json_builder_set_member_name (builder, "max_ms");
    json_builder_add_double_value (builder,
                                   g_array_index (samples, gint64, samples->len - 1) / 1000.0);
  }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = json_to_string (root, TRUE);
  g_print ("%s\n", text);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sender_token = NULL;
  int latency = -1;
  Probe probe = { 0 };
  const GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &probe.url, N_("Server address, ws://HOST:PORT/v1/ws"),
      N_("URL") },
    { "sender-token", 0, 0, G_OPTION_ARG_STRING, &sender_token,
      N_("Token of the sender, who may send “camera”"), N_("TOKEN") },
    { "receiver-token", 0, 0, G_OPTION_ARG_STRING, &probe.receiver_token,
      N_("Token of the receiver"), N_("TOKEN") },
    { "video", 0, 0, G_OPTION_ARG_STRING, &probe.video,
      N_("Size and rate of the video sent, such as 640x360@30 (default: 320x240@15)"),
      N_("WIDTHxHEIGHT@FPS") },
    { "latency", 0, 0, G_OPTION_ARG_INT, &latency,
      N_("Milliseconds received media may wait for late packets (default: the library’s)"), N_("MS") },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &probe.warmup_s,
      N_("Seconds of frames not counted at the start (default: 2)"), N_("SECONDS") },
    { "duration", 0, 0, G_OPTION_ARG_INT, &probe.duration_s,
      N_("Seconds of frames counted (default: 20)"), N_("SECONDS") },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  probe.warmup_s = 2;
  probe.duration_s = 20;
  context = g_option_context_new (_("— glass-to-glass latency through a Mediastore server"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  if (probe.url == NULL || sender_token == NULL || probe.receiver_token == NULL ||
      latency < -1 || latency > 10000 || probe.warmup_s < 0 || probe.duration_s <= 0) {
    g_printerr (_("--url, --sender-token and --receiver-token are required\n"));
    return 2;
  }
  if (probe.video == NULL)
    probe.video = g_strdup ("320x240@15");
  if (sscanf (probe.video, "%ux%u@%u", &probe.width, &probe.height, &probe.framerate) != 3 ||
      probe.width < 16 || probe.width > 4096 || probe.height < 16 || probe.height > 4096 ||
      probe.width % 2 != 0 || probe.height % 2 != 0 ||
      probe.framerate < 1 || probe.framerate > 120) {
    g_printerr (_("--video takes a size and a rate, such as 640x360@30\n"));
    return 2;
  }

  g_setenv ("MEDIASTORE_AUDIO_SINK", "fakesink", FALSE);
  probe.loop = g_main_loop_new (NULL, FALSE);
  probe.samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_mutex_init (&probe.lock);
  probe.sender = ms_session_new ();
  /* Without --latency, what an application gets that sets none. */
  probe.receiver = ms_session_new ();
  probe.latency_default = latency < 0;
  if (!probe.latency_default)
    g_object_set (probe.receiver, "latency", (guint) latency, NULL);
  probe.latency = ms_session_get_latency (probe.receiver);
  g_signal_connect (ms_session_get_store (probe.sender), "notify::connect-status",
                    G_CALLBACK (on_status), &probe);
  g_signal_connect (ms_session_get_store (probe.receiver), "notify::connect-status",
                    G_CALLBACK (on_status), &probe);

  ms_session_connect_async (probe.sender, probe.url, sender_token, NULL, on_sender_connected,
                            &probe);
  g_signal_connect (ms_session_get_remote_tracks (probe.receiver), "items-changed",
                    G_CALLBACK (on_tracks_changed), &probe);
  g_timeout_add_seconds (60 + probe.warmup_s + probe.duration_s, on_timeout, &probe);
  g_main_loop_run (probe.loop);

  if (probe.status == 0)
    print_result (&probe);

  ms_session_close_call (probe.receiver);
  ms_session_close_call (probe.sender);
  g_object_unref (probe.receiver);
  g_object_unref (probe.sender);
  g_main_loop_unref (probe.loop);
  g_array_unref (probe.samples);
  g_mutex_clear (&probe.lock);
  g_free (probe.url);
  g_free (probe.receiver_token);
  g_free (probe.video);

  return probe.status;
}
