/* ms-session.c: one call: the signaling connection and its media
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session owns one GstPipeline with a publish webrtcbin (our tracks,
 * we offer) and a subscribe webrtcbin (the others' tracks, the server
 * offers). Following docs/protocol.md, every offer is a new PeerConnection.
 * webrtcbin calls back on its own threads; those callbacks post a Hop
 * holding a weak reference and the PeerConnection's generation, and the
 * main context ignores hops for a PeerConnection that was replaced.
 */

#define G_LOG_DOMAIN "MsSession"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <libsoup/soup.h>

#include "ms-local-track-private.h"
#include "ms-media-util-private.h"
#include "ms-sdp.h"
#include "ms-remote-track-private.h"
#include "ms-session.h"
#include "ms-store-private.h"

#define DEFAULT_LATENCY_MS 100
#define FIRST_PAYLOAD     96

typedef struct {
  char                    *tag;
  MsLocalTrack            *track;
  GstElement              *bin;
  gboolean                 paused;
  guint                    payload;
  guint32                  ssrc;
  GstPad                  *sink;          /* on the publish webrtcbin */
  GstWebRTCRTPTransceiver *transceiver;
  gint64                   resume_id;     /* resume-track awaiting its ok, or 0 */
} Local;

struct _MsSession {
  GObject                  parent_instance;

  MsStore                 *store;
  GMainContext            *context;
  SoupSession             *soup;
  SoupWebsocketConnection *ws;
  GTask                   *connect_task;
  gint64                   join_id;
  gint64                   next_id;
  gboolean                 loopback;
  gboolean                 leaving;
  gboolean                 decode;
  GstElement              *audio_output;   /* NULL: the default */

  /* Reconnecting after a drop: the resume key of the last welcome, what
   * we sent (to send again), and the backoff. */
  char                    *url;
  char                    *token;
  char                    *resume_key;
  char                    *peer_id;       /* ours, before the drop */
  GPtrArray               *saved;         /* of Saved */
  guint                    reconnect_id;
  guint                    attempts;
  gint64                   reconnect_since;
  guint                    latency;       /* ms of jitterbuffer */
  /* The profile chosen in this call, given again to a server that took
   * us back as someone new. */
  char                    *chosen_name;
  gboolean                 avatar_chosen;
  char                    *chosen_avatar;
  GPtrArray               *ice_servers;   /* of MsIceServer, from welcome */

  GstElement              *pipeline;
  guint                    bus_watch_id;
  GstElement              *mixer;

  GstElement              *publish;
  guint                    publish_gen;
  gint64                   publish_offer_id;
  gboolean                 publish_pending;
  gboolean                 publish_dirty;
  GSource                 *publish_idle;
  GPtrArray               *locals;        /* of Local */

  GstElement              *subscribe;
  guint                    subscribe_gen;
  GMutex                   mids_lock;
  GHashTable              *mids;          /* mid → MsRemoteTrack, of the subscribe offer */
  GListStore              *remote_tracks;
};

enum {
  PROP_0,
  PROP_STORE,
  PROP_DECODE,
  PROP_LATENCY,
  N_PROPS
};

enum {
  SIGNAL_MESSAGE,
  SIGNAL_SERVER_ERROR,
  SIGNAL_TRACK_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];
static guint next_gen = 1;

G_DEFINE_FINAL_TYPE (MsSession, ms_session, G_TYPE_OBJECT)

G_DEFINE_QUARK (ms-session-error-quark, ms_session_error)

/* A track we were sending when the connection dropped. */
typedef struct {
  MsLocalTrack *track;
  char         *tag;
  gboolean      paused;
} Saved;

static void
saved_free (gpointer data)
{
  Saved *saved = data;

  g_object_unref (saved->track);
  g_free (saved->tag);
  g_free (saved);
}

/* First retry after 250 ms, doubling up to 4 s; given up after a minute. */
#define RECONNECT_FIRST_MS 250
#define RECONNECT_MAX_MS 4000
#define RECONNECT_GIVE_UP_S 60

typedef enum {
  HOP_OFFER_READY,
  HOP_ANSWER_READY,
  HOP_REMOTE_SET,
  HOP_CANDIDATE,
  HOP_PC_FAILED,
} HopKind;

typedef struct {
  GWeakRef  session;
  HopKind   kind;
  MsPcKind  pc;
  guint     gen;
  char     *text;
  guint     mline;
} Hop;

static void
local_free (gpointer data)
{
  Local *local = data;

  if (local->bin != NULL) {
    GstObject *parent = gst_object_get_parent (GST_OBJECT (local->bin));

    if (parent != NULL) {
      ms_media_discard_sender (GST_BIN (parent), local->bin);
      gst_object_unref (parent);
    } else {
      gst_element_set_state (local->bin, GST_STATE_NULL);
    }
    gst_object_unref (local->bin);
  }
  gst_clear_object (&local->sink);
  gst_clear_object (&local->transceiver);
  if (local->track != NULL)
    ms_local_track_reset_level (local->track);
  g_clear_object (&local->track);
  g_free (local->tag);
  g_free (local);
}

static void
ms_session_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  MsSession *self = MS_SESSION (object);

  switch (prop_id) {
  case PROP_STORE:
    g_value_set_object (value, self->store);
    break;
  case PROP_DECODE:
    g_value_set_boolean (value, self->decode);
    break;
  case PROP_LATENCY:
    g_value_set_uint (value, self->latency);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_session_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  MsSession *self = MS_SESSION (object);

  switch (prop_id) {
  case PROP_DECODE:
    self->decode = g_value_get_boolean (value);
    break;
  case PROP_LATENCY:
    self->latency = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
teardown_media_full (MsSession *self,
                     gboolean   keep_own_tracks);
static void
stop_reconnecting (MsSession *self);

static void
teardown_media (MsSession *self)
{
  teardown_media_full (self, FALSE);
}

/* @keep_own_tracks: the store keeps listing what we send (a reconnect
 * will send it again), so that widgets showing it do not blink. */
static void
teardown_media_full (MsSession *self,
                     gboolean   keep_own_tracks)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->remote_tracks));

  /* The whole pipeline stops first, sinks before sources: stopping a
   * track's bin while it still feeds a running webrtcbin can deadlock. */
  g_clear_handle_id (&self->bus_watch_id, g_source_remove);
  if (self->pipeline != NULL)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);

  for (guint i = 0; i < n; i++) {
    g_autoptr (MsRemoteTrack) track = g_list_model_get_item (G_LIST_MODEL (self->remote_tracks), i);

    ms_remote_track_detach (track);
  }
  g_list_store_remove_all (self->remote_tracks);
  g_mutex_lock (&self->mids_lock);
  g_hash_table_remove_all (self->mids);
  g_mutex_unlock (&self->mids_lock);

  if (self->publish_idle != NULL) {
    g_source_destroy (self->publish_idle);
    g_clear_pointer (&self->publish_idle, g_source_unref);
  }
  {
    g_autoptr (GPtrArray) tags = g_ptr_array_new_with_free_func (g_free);

    for (guint i = 0; i < self->locals->len; i++)
      g_ptr_array_add (tags, g_strdup (((Local *) g_ptr_array_index (self->locals, i))->tag));
    g_ptr_array_set_size (self->locals, 0);
    for (guint i = 0; i < tags->len && !keep_own_tracks; i++)
      ms_store_remove_own_track (self->store, g_ptr_array_index (tags, i));
  }
  self->publish = NULL;
  self->subscribe = NULL;
  self->publish_gen = self->subscribe_gen = 0;
  self->publish_pending = self->publish_dirty = FALSE;

  gst_clear_object (&self->pipeline);
  self->mixer = NULL;
}

static void
drop_socket (MsSession *self)
{
  if (self->ws == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->ws, self);
  if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&self->ws);
}

static void
ms_session_dispose (GObject *object)
{
  MsSession *self = MS_SESSION (object);

  stop_reconnecting (self);
  drop_socket (self);
  teardown_media (self);
  g_clear_object (&self->soup);
  g_clear_object (&self->connect_task);

  G_OBJECT_CLASS (ms_session_parent_class)->dispose (object);
}

static void
ms_session_finalize (GObject *object)
{
  MsSession *self = MS_SESSION (object);

  g_clear_object (&self->store);
  g_clear_object (&self->remote_tracks);
  g_ptr_array_unref (self->locals);
  g_clear_pointer (&self->ice_servers, g_ptr_array_unref);
  gst_clear_object (&self->audio_output);
  g_free (self->url);
  g_free (self->token);
  g_free (self->resume_key);
  g_free (self->peer_id);
  g_free (self->chosen_name);
  g_free (self->chosen_avatar);
  g_ptr_array_unref (self->saved);
  g_hash_table_unref (self->mids);
  g_mutex_clear (&self->mids_lock);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (ms_session_parent_class)->finalize (object);
}

static void
ms_session_class_init (MsSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ms_session_get_property;
  object_class->set_property = ms_session_set_property;
  object_class->dispose = ms_session_dispose;
  object_class->finalize = ms_session_finalize;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, MS_TYPE_STORE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MsSession:decode:
   *
   * Whether received media is decoded; when not, it is only counted (for
   * benchmarks, where subscribers must cost as little as possible).
   */
  properties[PROP_DECODE] =
    g_param_spec_boolean ("decode", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * MsSession:latency:
   *
   * How long received media may wait for late or reordered packets, in
   * milliseconds. Video is shown this much later than it arrives: lower
   * is sooner, higher survives a worse network. Takes effect with the
   * next PeerConnection (the next subscribe offer).
   */
  properties[PROP_LATENCY] =
    g_param_spec_uint ("latency", NULL, NULL, 0, 10000, DEFAULT_LATENCY_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MsSession::message:
   * @msg_type: the message's type
   * @body: the message's body, any JSON value
   * @from: (nullable): the sender's peer id, %NULL for an invisible one
   */
  signals[SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, JSON_TYPE_NODE, G_TYPE_STRING);
  /**
   * MsSession::server-error:
   * @code: the protocol's error code, such as "forbidden"
   * @message: the server's explanation, in English
   *
   * A request was refused after it was sent.
   */
  signals[SIGNAL_SERVER_ERROR] =
    g_signal_new ("server-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * MsSession::track-error:
   * @tag: the tag of the local track whose media failed
   * @error: what GStreamer said (a #GError)
   *
   * The source of a track this client sends posted an error (a camera
   * unplugged, a device that refuses to start): it sends nothing more.
   * The track stays shared until the application closes it
   * (ms_session_close_track()).
   */
  signals[SIGNAL_TRACK_ERROR] =
    g_signal_new ("track-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_ERROR);
}

static void
ms_session_init (MsSession *self)
{
  self->store = ms_store_new ();
  self->context = g_main_context_ref_thread_default ();
  self->locals = g_ptr_array_new_with_free_func (local_free);
  self->saved = g_ptr_array_new_with_free_func (saved_free);
  self->remote_tracks = g_list_store_new (MS_TYPE_REMOTE_TRACK);
  self->mids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_mutex_init (&self->mids_lock);
  self->next_id = 1;
}

MsSession *
ms_session_new (void)
{
  return g_object_new (MS_TYPE_SESSION, NULL);
}

/**
 * ms_session_get_store:
 *
 * Returns: (transfer none): the store that holds the truth about the call
 */
MsStore *
ms_session_get_store (MsSession *self)
{
  g_return_val_if_fail (MS_IS_SESSION (self), NULL);

  return self->store;
}

gboolean
ms_session_get_decode (MsSession *self)
{
  g_return_val_if_fail (MS_IS_SESSION (self), FALSE);

  return self->decode;
}

guint
ms_session_get_latency (MsSession *self)
{
  g_return_val_if_fail (MS_IS_SESSION (self), 0);

  return self->latency;
}

static gint64
send_message (MsSession *self,
              MsMessage *msg,
              gboolean   request)
{
  g_autofree char *text = NULL;
  gsize length;

  if (self->ws == NULL || soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return -1;

  if (request) {
    msg->has_id = TRUE;
    msg->id = self->next_id++;
  }

  text = ms_message_encode (msg, &length);
  soup_websocket_connection_send_text (self->ws, text);

  return request ? msg->id : 0;
}

/* ---- media: hops from streaming threads ---- */

static gboolean
on_hop (gpointer data);
static void
start_reconnect (MsSession *self);
static void
schedule_reconnect (MsSession *self);

static void
hop_free (gpointer data)
{
  Hop *hop = data;

  g_weak_ref_clear (&hop->session);
  g_free (hop->text);
  g_free (hop);
}

static Hop *
hop_new (MsSession *self,
         HopKind    kind,
         MsPcKind   pc,
         guint      gen)
{
  Hop *hop = g_new0 (Hop, 1);

  g_weak_ref_init (&hop->session, self);
  hop->kind = kind;
  hop->pc = pc;
  hop->gen = gen;

  return hop;
}

/* Always a source on the session's context, never run in place: with
 * g_main_context_invoke() a streaming thread that finds the context free
 * (its owner busy outside an iteration) runs the hop itself, and a
 * webrtcbin would then be stopped from its own thread (seen: a deadlock
 * when a call ended while a renegotiation's answer was being applied). */
static void
post (MsSession *self,
      Hop       *hop)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, on_hop, hop, hop_free);
  g_source_set_static_name (source, "[mediastore] hop");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

typedef struct {
  GWeakRef    session;
  GstElement *webrtc;
  MsPcKind    pc;
  guint       gen;
} PcData;

static PcData *
pc_data_new (MsSession  *self,
             GstElement *webrtc,
             MsPcKind    pc,
             guint       gen)
{
  PcData *data = g_new0 (PcData, 1);

  g_weak_ref_init (&data->session, self);
  data->webrtc = gst_object_ref (webrtc);
  data->pc = pc;
  data->gen = gen;

  return data;
}

static void
pc_data_free (gpointer user_data)
{
  PcData *data = user_data;

  g_weak_ref_clear (&data->session);
  gst_object_unref (data->webrtc);
  g_free (data);
}

static void
pc_data_closure_free (gpointer  user_data,
                      GClosure *closure)
{
  pc_data_free (user_data);
}

static void
on_ice_candidate (GstElement *webrtc,
                  guint       mline,
                  const char *candidate,
                  PcData     *data)
{
  g_autoptr (MsSession) self = g_weak_ref_get (&data->session);
  Hop *hop;

  if (self == NULL)
    return;

  hop = hop_new (self, HOP_CANDIDATE, data->pc, data->gen);
  hop->mline = mline;
  hop->text = g_strdup (candidate);
  post (self, hop);
}

static void
on_subscribe_pad (GstElement *webrtc,
                  GstPad     *pad,
                  PcData     *data)
{
  g_autoptr (MsSession) self = g_weak_ref_get (&data->session);
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;
  g_autoptr (MsRemoteTrack) track = NULL;
  g_autofree char *mid = NULL;

  if (self == NULL || GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;

  g_object_get (pad, "transceiver", &transceiver, NULL);
  if (transceiver != NULL)
    g_object_get (transceiver, "mid", &mid, NULL);

  g_mutex_lock (&self->mids_lock);
  if (mid != NULL && g_hash_table_lookup (self->mids, mid) != NULL)
    track = g_object_ref (g_hash_table_lookup (self->mids, mid));
  g_mutex_unlock (&self->mids_lock);

  if (track != NULL) {
    ms_remote_track_attach (track, GST_BIN (self->pipeline), pad, self->decode, self->mixer);
  } else {
    /* Every pad must be linked, or the whole bundle stops. */
    GstElement *sink = gst_element_factory_make ("fakesink", NULL);
    g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");

    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (self->pipeline), sink);
    gst_pad_link (pad, sink_pad);
    gst_element_sync_state_with_parent (sink);
  }
}

static void
on_local_set (GstPromise *promise,
              gpointer    user_data)
{
  Hop *hop = user_data;
  g_autoptr (MsSession) self = g_weak_ref_get (&hop->session);

  gst_promise_unref (promise);
  if (self == NULL) {
    hop_free (hop);
    return;
  }

  post (self, hop);
}

static void
on_description_created (GstPromise *promise,
                        gpointer    user_data)
{
  PcData *data = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  g_autoptr (GstWebRTCSessionDescription) desc = NULL;
  g_autoptr (MsSession) self = g_weak_ref_get (&data->session);
  const char *field = data->pc == MS_PC_PUBLISH ? "offer" : "answer";
  Hop *hop;

  if (reply != NULL && gst_structure_has_field (reply, field))
    gst_structure_get (reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
  gst_promise_unref (promise);

  if (self == NULL || desc == NULL) {
    g_message ("webrtcbin made no %s", field);
    return;
  }

  /* The mids are known once the local description is set: the hop
   * goes when it is. */
  hop = hop_new (self, data->pc == MS_PC_PUBLISH ? HOP_OFFER_READY : HOP_ANSWER_READY,
                 data->pc, data->gen);
  hop->text = gst_sdp_message_as_text (desc->sdp);
  g_signal_emit_by_name (data->webrtc, "set-local-description", desc,
                         gst_promise_new_with_change_func (on_local_set, hop, NULL));
}

static void
on_remote_set (GstPromise *promise,
               gpointer    user_data)
{
  PcData *data = user_data;
  g_autoptr (MsSession) self = g_weak_ref_get (&data->session);

  gst_promise_unref (promise);
  if (self == NULL)
    return;

  if (data->pc == MS_PC_SUBSCRIBE) {
    g_signal_emit_by_name (data->webrtc, "create-answer", NULL,
                           gst_promise_new_with_change_func (on_description_created,
                                                             pc_data_new (self, data->webrtc,
                                                                          data->pc, data->gen),
                                                             pc_data_free));
  } else {
    post (self, hop_new (self, HOP_REMOTE_SET, data->pc, data->gen));
  }
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  MsSession *self = user_data;

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_LATENCY:
    gst_bin_recalculate_latency (GST_BIN (self->pipeline));
    break;
  case GST_MESSAGE_ELEMENT:
    ms_remote_track_handle_level (message);
    ms_local_track_handle_level (message);
    break;
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) error = NULL;
    g_autofree char *debug = NULL;

    gst_message_parse_error (message, &error, &debug);
    g_message ("Media error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
               error->message, debug ? debug : "");
    for (guint i = 0; i < self->locals->len; i++) {
      Local *local = g_ptr_array_index (self->locals, i);
      g_autofree char *tag = NULL;

      if (!gst_object_has_as_ancestor (GST_MESSAGE_SRC (message), GST_OBJECT (local->bin)))
        continue;
      /* The handler may close the track, and with it @local. */
      tag = g_strdup (local->tag);
      g_signal_emit (self, signals[SIGNAL_TRACK_ERROR], 0, tag, error);
      break;
    }
    break;
  }
  default:
    break;
  }

  return G_SOURCE_CONTINUE;
}

static void
ensure_pipeline (MsSession *self)
{
  g_autoptr (GstBus) bus = NULL;
  const char *sink_name = g_getenv ("MEDIASTORE_AUDIO_SINK");
  GstElement *convert;
  GstElement *sink;

  if (self->pipeline != NULL)
    return;

  self->pipeline = gst_object_ref_sink (gst_pipeline_new ("mediastore-session"));
  /* The system clock, not the audio sink's: an audio output that never
   * starts (no sound device) would otherwise stop the clock of the whole
   * call, and with it every received stream. */
  {
    g_autoptr (GstClock) clock = gst_system_clock_obtain ();

    gst_pipeline_use_clock (GST_PIPELINE (self->pipeline), clock);
  }
  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch_id = gst_bus_add_watch (bus, on_bus_message, self);

  /* Every remote audio track is mixed into one output. */
  self->mixer = gst_element_factory_make ("audiomixer", NULL);
  convert = gst_element_factory_make ("audioconvert", NULL);
  if (self->audio_output != NULL)
    sink = gst_object_ref (self->audio_output);
  else
    sink = gst_element_factory_make (sink_name ? sink_name : "autoaudiosink", NULL);
  if (sink != NULL)
    ms_media_tag_as_call (sink);
  /* No sound device (a server, a container): the call goes on without
   * sound rather than with a broken pipeline. */
  if (sink != NULL && gst_element_set_state (sink, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE) {
    g_message ("No audio output (%s): received audio is not played",
               GST_OBJECT_NAME (sink));
    gst_element_set_state (sink, GST_STATE_NULL);
    gst_clear_object (&sink);
  }
  if (sink == NULL)
    sink = gst_element_factory_make ("fakesink", NULL);
  g_return_if_fail (sink != NULL);
  /* Never wait for the audio output to preroll: with no sound device it
   * never does, and the whole call would stay PAUSED. */
  if (GST_IS_BIN (sink))
    g_object_set (sink, "async-handling", TRUE, NULL);
  else if (g_object_class_find_property (G_OBJECT_GET_CLASS (sink), "async") != NULL)
    g_object_set (sink, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (self->pipeline), self->mixer, convert, sink, NULL);
  gst_element_link_many (self->mixer, convert, sink, NULL);

  gst_element_set_state (self->pipeline, GST_STATE_PLAYING);
}

static void
configure_ice (MsSession  *self,
               GstElement *webrtc)
{
  g_autoptr (GObject) ice = NULL;

  /* UDP only: the server offers no ICE-TCP, and gathering TCP candidates
   * costs ports that may fail to bind. */
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);

  if (self->loopback) {
    gboolean added = FALSE;

    /* libnice skips loopback interfaces unless told about them. */
    g_signal_emit_by_name (ice, "add-local-ip-address", "127.0.0.1", &added);
  }

  for (guint i = 0; self->ice_servers != NULL && i < self->ice_servers->len; i++) {
    MsIceServer *server = g_ptr_array_index (self->ice_servers, i);

    for (guint j = 0; server->urls != NULL && server->urls[j] != NULL; j++) {
      const char *url = server->urls[j];

      if (g_str_has_prefix (url, "stun:")) {
        g_autofree char *stun = g_strconcat ("stun://", url + strlen ("stun:"), NULL);

        g_object_set (webrtc, "stun-server", stun, NULL);
      } else if (g_str_has_prefix (url, "turn:") || g_str_has_prefix (url, "turns:")) {
        gboolean secure = g_str_has_prefix (url, "turns:");
        g_autofree char *user = g_uri_escape_string (server->username ? server->username : "",
                                                     NULL, FALSE);
        g_autofree char *pass = g_uri_escape_string (server->credential ?
                                                     server->credential : "", NULL, FALSE);
        g_autofree char *turn = g_strdup_printf ("%s://%s:%s@%s", secure ? "turns" : "turn",
                                                 user, pass, strchr (url, ':') + 1);
        gboolean ok = FALSE;

        g_signal_emit_by_name (webrtc, "add-turn-server", turn, &ok);
      }
    }
  }
}

/* Any thread. A PeerConnection that failed cannot be restarted in
 * webrtcbin 1.22: the session reconnects as a whole. */
static void
on_ice_state (GstElement *webrtc,
              GParamSpec *pspec,
              gpointer    user_data)
{
  PcData *data = user_data;
  g_autoptr (MsSession) self = g_weak_ref_get (&data->session);
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  if (self != NULL && state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    post (self, hop_new (self, HOP_PC_FAILED, data->pc, data->gen));
}

static GstElement *
new_webrtcbin (MsSession *self,
               MsPcKind   pc,
               guint      gen)
{
  GstElement *webrtc = gst_element_factory_make ("webrtcbin", NULL);

  g_object_set (webrtc,
                "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", self->latency,
                NULL);
  configure_ice (self, webrtc);
  g_signal_connect_data (webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate),
                         pc_data_new (self, webrtc, pc, gen), pc_data_closure_free, 0);
  g_signal_connect_data (webrtc, "notify::ice-connection-state", G_CALLBACK (on_ice_state),
                         pc_data_new (self, webrtc, pc, gen), pc_data_closure_free, 0);
  if (pc == MS_PC_SUBSCRIBE) {
    g_signal_connect_data (webrtc, "pad-added", G_CALLBACK (on_subscribe_pad),
                           pc_data_new (self, webrtc, pc, gen), pc_data_closure_free, 0);
  }

  gst_bin_add (GST_BIN (self->pipeline), webrtc);
  gst_element_sync_state_with_parent (webrtc);

  return webrtc;
}

static void
drop_webrtcbin (MsSession   *self,
                GstElement **webrtc)
{
  if (*webrtc == NULL)
    return;

  ms_media_discard_element (GST_BIN (self->pipeline), *webrtc);
  *webrtc = NULL;
}

/* ---- publishing ---- */

static GstPadProbeReturn
on_local_packet (GstPad          *pad,
                 GstPadProbeInfo *info,
                 gpointer         user_data)
{
  /* Between two publish PeerConnections the track has nowhere to go;
   * dropping keeps its source running instead of failing not-linked. */
  return gst_pad_is_linked (pad) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

typedef struct {
  gint     ref_count;
  GMutex   lock;
  GCond    cond;
  gboolean done;
  GstPad  *sink;
} Unlink;

static void
unlink_unref (Unlink *u)
{
  if (!g_atomic_int_dec_and_test (&u->ref_count))
    return;

  gst_object_unref (u->sink);
  g_mutex_clear (&u->lock);
  g_cond_clear (&u->cond);
  g_free (u);
}

static GstPadProbeReturn
on_idle_unlink (GstPad          *pad,
                GstPadProbeInfo *info,
                gpointer         user_data)
{
  Unlink *u = user_data;

  gst_pad_unlink (pad, u->sink);
  g_mutex_lock (&u->lock);
  u->done = TRUE;
  g_cond_signal (&u->cond);
  g_mutex_unlock (&u->lock);
  unlink_unref (u);

  return GST_PAD_PROBE_REMOVE;
}

/* Unlinks @src from @sink between two packets. Pulling a webrtcbin away
 * under a packet in flight would hand the source a flushing or not-linked
 * return, and a source stops for good on those. */
static void
unlink_between_packets (GstPad *src,
                        GstPad *sink)
{
  Unlink *u = g_new0 (Unlink, 1);
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

  u->ref_count = 2;
  u->sink = gst_object_ref (sink);
  g_mutex_init (&u->lock);
  g_cond_init (&u->cond);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_IDLE, on_idle_unlink, u, NULL);

  g_mutex_lock (&u->lock);
  while (!u->done && g_cond_wait_until (&u->cond, &u->lock, deadline))
    ;
  g_mutex_unlock (&u->lock);
  unlink_unref (u);
}

static void
publish_update (MsSession *self)
{
  GstPadTemplate *templ;
  PcData *data;

  if (self->publish_pending) {
    self->publish_dirty = TRUE;
    return;
  }
  self->publish_dirty = FALSE;

  for (guint i = 0; i < self->locals->len; i++) {
    Local *local = g_ptr_array_index (self->locals, i);
    g_autoptr (GstPad) src = gst_element_get_static_pad (local->bin, "src");

    if (local->sink != NULL)
      unlink_between_packets (src, local->sink);
    gst_clear_object (&local->sink);
    gst_clear_object (&local->transceiver);
  }
  drop_webrtcbin (self, &self->publish);
  if (self->locals->len == 0)
    return;

  self->publish_gen = next_gen++;
  self->publish = new_webrtcbin (self, MS_PC_PUBLISH, self->publish_gen);
  templ = gst_element_get_pad_template (self->publish, "sink_%u");

  for (guint i = 0; i < self->locals->len; i++) {
    Local *local = g_ptr_array_index (self->locals, i);
    g_autoptr (GstCaps) caps = ms_local_track_make_caps (local->track, local->payload,
                                                         local->ssrc);
    g_autoptr (GstPad) src = gst_element_get_static_pad (local->bin, "src");

    local->sink = gst_element_request_pad (self->publish, templ, NULL, caps);
    /* Requesting with caps makes a transceiver of its own (1.22); its
     * direction has to be set afterwards. */
    g_object_get (local->sink, "transceiver", &local->transceiver, NULL);
    g_object_set (local->transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                  NULL);
    gst_pad_link (src, local->sink);
  }

  self->publish_pending = TRUE;
  data = pc_data_new (self, self->publish, MS_PC_PUBLISH, self->publish_gen);
  g_signal_emit_by_name (self->publish, "create-offer", NULL,
                         gst_promise_new_with_change_func (on_description_created, data,
                                                           pc_data_free));
}

static gboolean
on_publish_idle (gpointer user_data)
{
  MsSession *self = user_data;

  g_clear_pointer (&self->publish_idle, g_source_unref);
  publish_update (self);

  return G_SOURCE_REMOVE;
}

/* Tracks sent or closed together go into one offer. */
static void
schedule_publish (MsSession *self)
{
  if (self->publish_idle != NULL)
    return;

  self->publish_idle = g_idle_source_new ();
  /* Not at idle priority: in an app that redraws video all the time the
   * offer would wait behind every frame (seen: seconds under load). */
  g_source_set_priority (self->publish_idle, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->publish_idle, on_publish_idle, self, NULL);
  g_source_attach (self->publish_idle, self->context);
}

static void
send_publish_offer (MsSession *self,
                    char      *sdp)
{
  g_autoptr (MsMessage) offer = ms_message_new (MS_MSG_OFFER);
  guint mline = 0;

  offer->u.offer.pc = MS_PC_PUBLISH;
  offer->u.offer.sdp = sdp;
  offer->u.offer.tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_track_desc_free);
  for (guint i = 0; i < self->locals->len; i++) {
    Local *local = g_ptr_array_index (self->locals, i);
    MsTrackDesc *desc;

    /* Sent since this offer was made: it goes into the next one. */
    if (local->transceiver == NULL)
      continue;

    desc = ms_track_desc_new (local->tag, ms_local_track_get_kind (local->track), local->paused);
    desc->mid = ms_sdp_get_mid (sdp, mline++);
    g_ptr_array_add (offer->u.offer.tracks, desc);
  }

  self->publish_offer_id = send_message (self, offer, TRUE);
}

static Local *
find_local (MsSession  *self,
            const char *tag)
{
  for (guint i = 0; i < self->locals->len; i++) {
    Local *local = g_ptr_array_index (self->locals, i);

    if (g_str_equal (local->tag, tag))
      return local;
  }

  return NULL;
}

static gboolean
check_connected (MsSession  *self,
                 GError    **error)
{
  if (ms_store_get_connect_status (self->store) != MS_CONNECT_STATUS_CONNECTED) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_NOT_CONNECTED,
                 _("You are not in a call"));
    return FALSE;
  }

  return TRUE;
}

static guint
free_payload (MsSession *self)
{
  for (guint payload = FIRST_PAYLOAD; ; payload++) {
    gboolean used = FALSE;

    for (guint i = 0; i < self->locals->len && !used; i++)
      used = ((Local *) g_ptr_array_index (self->locals, i))->payload == payload;
    if (!used)
      return payload;
  }
}

gboolean
ms_session_send_track (MsSession     *self,
                       MsLocalTrack  *track,
                       const char    *tag,
                       gboolean       paused,
                       GError       **error)
{
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstElement) valve = NULL;
  Local *local;

  g_return_val_if_fail (MS_IS_SESSION (self), FALSE);
  g_return_val_if_fail (MS_IS_LOCAL_TRACK (track), FALSE);
  g_return_val_if_fail (tag != NULL, FALSE);

  if (!check_connected (self, error))
    return FALSE;
  if (!ms_grant_allows (ms_store_get_send_tracks (self->store), tag)) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_FORBIDDEN,
                 _("You may not share “%s” in this call"), tag);
    return FALSE;
  }
  if (find_local (self, tag) != NULL) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_TAG_IN_USE,
                 _("Something is already shared as “%s”"), tag);
    return FALSE;
  }

  local = g_new0 (Local, 1);
  local->payload = free_payload (self);
  local->ssrc = g_random_int ();
  local->bin = ms_local_track_make_bin (track, local->payload, local->ssrc, error);
  if (local->bin == NULL) {
    g_free (local);
    return FALSE;
  }
  local->tag = g_strdup (tag);
  local->track = g_object_ref (track);
  local->paused = !!paused;

  valve = gst_bin_get_by_name (GST_BIN (local->bin), "valve");
  g_object_set (valve, "drop", local->paused, NULL);
  src = gst_element_get_static_pad (local->bin, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_local_packet, NULL, NULL);
  gst_bin_add (GST_BIN (self->pipeline), local->bin);
  gst_element_sync_state_with_parent (local->bin);
  g_ptr_array_add (self->locals, local);
  ms_store_put_own_track (self->store, tag, ms_local_track_get_kind (track), local->paused);

  schedule_publish (self);
  return TRUE;
}

/* The server confirmed a resume: the track sends again, from a keyframe. */
static void
on_resumed (MsSession *self,
            gint64     id)
{
  for (guint i = 0; i < self->locals->len; i++) {
    Local *local = g_ptr_array_index (self->locals, i);
    g_autoptr (GstElement) valve = NULL;
    g_autoptr (GstElement) pay = NULL;
    g_autoptr (GstPad) pay_src = NULL;

    if (local->resume_id != id || local->paused)
      continue;

    local->resume_id = 0;
    valve = gst_bin_get_by_name (GST_BIN (local->bin), "valve");
    g_object_set (valve, "drop", FALSE, NULL);
    pay = gst_bin_get_by_name (GST_BIN (local->bin), "pay");
    pay_src = gst_element_get_static_pad (pay, "src");
    gst_pad_send_event (pay_src,
                        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                     TRUE, 0));
  }
}

static gboolean
set_paused (MsSession   *self,
            const char  *tag,
            gboolean     paused,
            GError     **error)
{
  g_autoptr (MsMessage) request = ms_message_new (paused ? MS_MSG_PAUSE_TRACK : MS_MSG_RESUME_TRACK);
  Local *local;

  if (!check_connected (self, error))
    return FALSE;
  local = find_local (self, tag);
  if (local == NULL) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_NOT_FOUND,
                 _("Nothing is shared as “%s”"), tag);
    return FALSE;
  }

  request->u.track_request.tag = g_strdup (tag);
  local->paused = paused;
  ms_store_put_own_track (self->store, tag, ms_local_track_get_kind (local->track), paused);
  if (paused) {
    g_autoptr (GstElement) valve = gst_bin_get_by_name (GST_BIN (local->bin), "valve");

    g_object_set (valve, "drop", TRUE, NULL);
    local->resume_id = 0;
    send_message (self, request, TRUE);
  } else {
    /* Media flows again once the server said ok: had the first keyframe
     * reached it before the request, it would have been dropped there,
     * and a new one would wait for the next keyframe request. */
    local->resume_id = send_message (self, request, TRUE);
  }

  return TRUE;
}

gboolean
ms_session_pause_track (MsSession   *self,
                        const char  *tag,
                        GError     **error)
{
  g_return_val_if_fail (MS_IS_SESSION (self), FALSE);

  return set_paused (self, tag, TRUE, error);
}

gboolean
ms_session_resume_track (MsSession   *self,
                         const char  *tag,
                         GError     **error)
{
  g_return_val_if_fail (MS_IS_SESSION (self), FALSE);

  return set_paused (self, tag, FALSE, error);
}

gboolean
ms_session_close_track (MsSession   *self,
                        const char  *tag,
                        GError     **error)
{
  g_autoptr (MsMessage) request = ms_message_new (MS_MSG_CLOSE_TRACK);
  g_autofree char *closed = NULL;
  Local *local;

  g_return_val_if_fail (MS_IS_SESSION (self), FALSE);

  if (!check_connected (self, error))
    return FALSE;
  local = find_local (self, tag);
  if (local == NULL) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_NOT_FOUND,
                 _("Nothing is shared as “%s”"), tag);
    return FALSE;
  }

  request->u.track_request.tag = g_strdup (tag);
  send_message (self, request, TRUE);

  if (local->sink != NULL) {
    g_autoptr (GstPad) src = gst_element_get_static_pad (local->bin, "src");

    unlink_between_packets (src, local->sink);
  }
  closed = g_strdup (local->tag);
  g_ptr_array_remove (self->locals, local);
  /* Gone from the session first: whoever watches the store finds no track. */
  ms_store_remove_own_track (self->store, closed);
  schedule_publish (self);

  return TRUE;
}

/**
 * ms_session_lookup_local_track:
 *
 * Returns: (transfer none) (nullable): the track shared as @tag
 */
MsLocalTrack *
ms_session_lookup_local_track (MsSession  *self,
                               const char *tag)
{
  Local *local;

  g_return_val_if_fail (MS_IS_SESSION (self), NULL);

  local = find_local (self, tag);
  return local ? local->track : NULL;
}

/* ---- subscribing ---- */

static MsRemoteTrack *
find_remote (MsSession  *self,
             const char *peer_id,
             const char *tag,
             guint      *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->remote_tracks));

  for (guint i = 0; i < n; i++) {
    g_autoptr (MsRemoteTrack) track = g_list_model_get_item (G_LIST_MODEL (self->remote_tracks), i);

    if (g_str_equal (ms_remote_track_get_peer_id (track), peer_id) &&
        g_str_equal (ms_remote_track_get_tag (track), tag)) {
      if (position != NULL)
        *position = i;
      return track;   /* the store keeps it alive */
    }
  }

  return NULL;
}

static void
on_subscribe_offer (MsSession       *self,
                    const MsMessage *msg)
{
  g_autoptr (GstWebRTCSessionDescription) desc = NULL;
  g_autoptr (GPtrArray) keep = g_ptr_array_new ();
  GPtrArray *tracks = msg->u.offer.tracks;
  GstSDPMessage *sdp = ms_sdp_parse (msg->u.offer.sdp);
  guint n;

  if (sdp == NULL) {
    g_message ("The server's subscribe offer is not valid SDP");
    return;
  }

  /* A new PeerConnection: the old one stops first, then its branches go
   * (the other way round its pads would push into nothing). */
  drop_webrtcbin (self, &self->subscribe);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->remote_tracks));
  for (guint i = 0; i < n; i++) {
    g_autoptr (MsRemoteTrack) track = g_list_model_get_item (G_LIST_MODEL (self->remote_tracks), i);

    ms_remote_track_detach (track);
  }

  g_mutex_lock (&self->mids_lock);
  g_hash_table_remove_all (self->mids);
  for (guint i = 0; i < tracks->len; i++) {
    MsTrackDesc *desc_track = g_ptr_array_index (tracks, i);
    MsRemoteTrack *track = find_remote (self, desc_track->peer_id, desc_track->tag, NULL);

    if (track == NULL) {
      track = ms_remote_track_new (desc_track->peer_id, desc_track->tag, desc_track->kind);
      g_list_store_append (self->remote_tracks, track);
      g_object_unref (track);
    }
    g_ptr_array_add (keep, track);
    g_hash_table_insert (self->mids, g_strdup (desc_track->mid), g_object_ref (track));
  }
  g_mutex_unlock (&self->mids_lock);

  /* Tracks that are not offered any more are gone. */
  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->remote_tracks)); i > 0; i--) {
    g_autoptr (MsRemoteTrack) track = g_list_model_get_item (G_LIST_MODEL (self->remote_tracks),
                                                             i - 1);

    if (!g_ptr_array_find (keep, track, NULL))
      g_list_store_remove (self->remote_tracks, i - 1);
  }

  self->subscribe_gen = next_gen++;
  self->subscribe = new_webrtcbin (self, MS_PC_SUBSCRIBE, self->subscribe_gen);
  desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  g_signal_emit_by_name (self->subscribe, "set-remote-description", desc,
                         gst_promise_new_with_change_func (on_remote_set,
                                                           pc_data_new (self, self->subscribe,
                                                                        MS_PC_SUBSCRIBE,
                                                                        self->subscribe_gen),
                                                           pc_data_free));
}

/* A remote track whose publisher or track went away, without a new offer. */
static void
forget_remote (MsSession  *self,
               const char *peer_id,
               const char *tag)
{
  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->remote_tracks)); i > 0; i--) {
    g_autoptr (MsRemoteTrack) track = g_list_model_get_item (G_LIST_MODEL (self->remote_tracks),
                                                             i - 1);

    if (g_str_equal (ms_remote_track_get_peer_id (track), peer_id) &&
        (tag == NULL || g_str_equal (ms_remote_track_get_tag (track), tag))) {
      ms_remote_track_detach (track);
      g_list_store_remove (self->remote_tracks, i - 1);
    }
  }
}

MsRemoteTrack *
ms_session_lookup_remote_track (MsSession  *self,
                                const char *peer_id,
                                const char *tag)
{
  g_return_val_if_fail (MS_IS_SESSION (self), NULL);

  return find_remote (self, peer_id, tag, NULL);
}

/**
 * ms_session_get_remote_tracks:
 *
 * Returns: (transfer none): the received tracks, a #GListModel of #MsRemoteTrack
 */
GListModel *
ms_session_get_remote_tracks (MsSession *self)
{
  g_return_val_if_fail (MS_IS_SESSION (self), NULL);

  return G_LIST_MODEL (self->remote_tracks);
}

static gboolean
on_hop (gpointer data)
{
  Hop *hop = data;
  g_autoptr (MsSession) self = g_weak_ref_get (&hop->session);
  guint current;

  if (self == NULL)
    return G_SOURCE_REMOVE;

  current = hop->pc == MS_PC_PUBLISH ? self->publish_gen : self->subscribe_gen;
  if (hop->gen != current)
    return G_SOURCE_REMOVE;

  switch (hop->kind) {
  case HOP_OFFER_READY:
    send_publish_offer (self, g_steal_pointer (&hop->text));
    break;
  case HOP_ANSWER_READY: {
    g_autoptr (MsMessage) answer = ms_message_new (MS_MSG_ANSWER);

    answer->u.answer.pc = MS_PC_SUBSCRIBE;
    answer->u.answer.sdp = g_steal_pointer (&hop->text);
    send_message (self, answer, FALSE);
    break;
  }
  case HOP_REMOTE_SET:
    self->publish_pending = FALSE;
    if (self->publish_dirty)
      publish_update (self);
    break;
  case HOP_PC_FAILED:
    if (ms_store_get_connect_status (self->store) == MS_CONNECT_STATUS_CONNECTED) {
      g_message ("The %s PeerConnection failed: reconnecting",
                 hop->pc == MS_PC_PUBLISH ? "publish" : "subscribe");
      start_reconnect (self);
    }
    break;
  case HOP_CANDIDATE: {
    g_autoptr (MsMessage) candidate = ms_message_new (MS_MSG_CANDIDATE);

    candidate->u.candidate.pc = hop->pc;
    candidate->u.candidate.candidate = g_steal_pointer (&hop->text);
    candidate->u.candidate.sdp_mline_index = hop->mline;
    send_message (self, candidate, FALSE);
    break;
  }
  default:
    break;
  }

  return G_SOURCE_REMOVE;
}

static void
on_publish_answer (MsSession       *self,
                   const MsMessage *msg)
{
  g_autoptr (GstWebRTCSessionDescription) desc = NULL;
  GstSDPMessage *sdp;

  if (self->publish == NULL || !self->publish_pending)
    return;
  sdp = ms_sdp_parse (msg->u.answer.sdp);
  if (sdp == NULL) {
    g_message ("The server's publish answer is not valid SDP");
    return;
  }

  desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  g_signal_emit_by_name (self->publish, "set-remote-description", desc,
                         gst_promise_new_with_change_func (on_remote_set,
                                                           pc_data_new (self, self->publish,
                                                                        MS_PC_PUBLISH,
                                                                        self->publish_gen),
                                                           pc_data_free));
}

/* ---- signaling ---- */

static const char *
join_error_text (MsProtocolError code)
{
  switch (code) {
  case MS_PROTOCOL_ERROR_UNAUTHORIZED:
    return _("The invitation is not valid");
  case MS_PROTOCOL_ERROR_TOKEN_EXPIRED:
    return _("The invitation has expired");
  case MS_PROTOCOL_ERROR_ROOM_FULL:
    return _("The call is full");
  case MS_PROTOCOL_ERROR_FORBIDDEN:
    return _("You may not join this call that way");
  case MS_PROTOCOL_ERROR_BAD_REQUEST:
  case MS_PROTOCOL_ERROR_NOT_FOUND:
  case MS_PROTOCOL_ERROR_CONFLICT:
  case MS_PROTOCOL_ERROR_RATE_LIMITED:
  case MS_PROTOCOL_ERROR_SERVER_ERROR:
  default:
    return _("The server refused to let you in");
  }
}

static void
fail (MsSession  *self,
      const char *text)
{
  g_autoptr (GTask) task = g_steal_pointer (&self->connect_task);

  stop_reconnecting (self);
  drop_socket (self);
  teardown_media (self);
  ms_store_set_error_connection (self->store, text);
  ms_store_set_connect_status (self->store, MS_CONNECT_STATUS_FAILED);

  if (task != NULL)
    g_task_return_new_error (task, MS_SESSION_ERROR, MS_SESSION_ERROR_SERVER, "%s", text);
}

/* Sends set-profile: @name if not NULL, @avatar (NULL: none) if @has_avatar;
 * our store takes it at once. */
static void
send_profile (MsSession  *self,
              const char *name,
              gboolean    has_avatar,
              const char *avatar)
{
  g_autoptr (MsMessage) msg = ms_message_new (MS_MSG_SET_PROFILE);
  g_autofree char *new_name = g_strdup (name ? name : ms_store_get_display_name (self->store));
  g_autofree char *new_avatar = g_strdup (has_avatar ? avatar : ms_store_get_avatar (self->store));

  msg->u.set_profile.has_display_name = name != NULL;
  msg->u.set_profile.display_name = g_strdup (name);
  msg->u.set_profile.has_avatar = has_avatar;
  msg->u.set_profile.avatar = g_strdup (avatar);
  send_message (self, msg, TRUE);
  ms_store_apply_profile (self->store, new_name, new_avatar);
}

static void
on_welcome (MsSession       *self,
            const MsMessage *msg)
{
  g_autoptr (GTask) task = g_steal_pointer (&self->connect_task);
  gboolean again = self->reconnect_since != 0;

  ms_store_apply_message (self->store, msg);
  if (again && g_strcmp0 (msg->u.welcome.peer_id, self->peer_id) != 0) {
    /* The server no longer knew us (restarted, or the grace period was
     * over): we are back, but as someone new to the others. */
    ms_store_set_error_connection (self->store,
                                   _("The connection was lost for a while: you joined the call "
                                     "again"));
  } else {
    ms_store_set_error_connection (self->store, NULL);
  }
  if (!again)
    ms_store_set_connect_status (self->store, MS_CONNECT_STATUS_NEGOTIATING);

  g_free (self->resume_key);
  self->resume_key = g_strdup (msg->u.welcome.resume);
  g_clear_pointer (&self->ice_servers, g_ptr_array_unref);
  self->ice_servers = g_ptr_array_ref (msg->u.welcome.ice_servers);
  ensure_pipeline (self);

  /* Nothing to negotiate until tracks are sent or offered. */
  self->reconnect_since = 0;
  self->attempts = 0;
  ms_store_set_connect_status (self->store, MS_CONNECT_STATUS_CONNECTED);

  /* A new peer starts from the token's profile: ours goes out again. */
  if (again) {
    MsStore *store = self->store;
    gboolean name = self->chosen_name != NULL &&
                    g_strcmp0 (self->chosen_name, ms_store_get_display_name (store)) != 0;
    gboolean avatar = self->avatar_chosen &&
                      g_strcmp0 (self->chosen_avatar, ms_store_get_avatar (store)) != 0;

    if (name || avatar)
      send_profile (self, name ? self->chosen_name : NULL, avatar, self->chosen_avatar);
  }

  /* What we sent before the drop, paused or not, goes out again. */
  for (guint i = 0; i < self->saved->len; i++) {
    Saved *saved = g_ptr_array_index (self->saved, i);
    g_autoptr (GError) error = NULL;

    if (!ms_session_send_track (self, saved->track, saved->tag, saved->paused, &error)) {
      g_message ("Not sending “%s” again: %s", saved->tag, error->message);
      ms_store_remove_own_track (self->store, saved->tag);
    }
  }
  g_ptr_array_set_size (self->saved, 0);

  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               SoupWebsocketDataType    type,
               GBytes                  *bytes,
               MsSession               *self)
{
  g_autoptr (MsMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (MsSession) keep G_GNUC_UNUSED = g_object_ref (self);
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  msg = ms_message_decode (data, length, MS_DIRECTION_TO_CLIENT, NULL, NULL, &error);
  if (msg == NULL) {
    g_message ("Ignoring a frame from the server: %s", error->message);
    return;
  }

  switch (msg->type) {
  case MS_MSG_WELCOME:
    on_welcome (self, msg);
    break;
  case MS_MSG_ERROR:
    if ((self->connect_task != NULL || self->reconnect_since != 0) && msg->has_id &&
        msg->id == self->join_id) {
      fail (self, join_error_text (msg->u.error.code));
      break;
    }
    if (msg->has_id && msg->id == self->publish_offer_id) {
      self->publish_pending = FALSE;
      drop_webrtcbin (self, &self->publish);
    }
    g_signal_emit (self, signals[SIGNAL_SERVER_ERROR], 0,
                   ms_protocol_error_to_string (msg->u.error.code), msg->u.error.message);
    break;
  case MS_MSG_MESSAGE:
    g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, msg->u.message.msg_type,
                   msg->u.message.body, msg->u.message.from);
    break;
  case MS_MSG_OFFER:
    on_subscribe_offer (self, msg);
    break;
  case MS_MSG_ANSWER:
    on_publish_answer (self, msg);
    break;
  case MS_MSG_CANDIDATE: {
    GstElement *webrtc = msg->u.candidate.pc == MS_PC_PUBLISH ? self->publish : self->subscribe;

    if (webrtc != NULL && msg->u.candidate.candidate[0] != '\0')
      g_signal_emit_by_name (webrtc, "add-ice-candidate", msg->u.candidate.sdp_mline_index,
                             msg->u.candidate.candidate);
    break;
  }
  case MS_MSG_PEER_LEFT:
    forget_remote (self, msg->u.peer_left.peer_id, NULL);
    ms_store_apply_message (self->store, msg);
    break;
  case MS_MSG_TRACK_CLOSED:
    forget_remote (self, msg->u.track_event.peer_id, msg->u.track_event.tag);
    ms_store_apply_message (self->store, msg);
    break;
  case MS_MSG_OK:
    on_resumed (self, msg->id);
    break;
  case MS_MSG_BYE:
    break;
  default:
    ms_store_apply_message (self->store, msg);
    break;
  }
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              MsSession               *self)
{
  gushort code = soup_websocket_connection_get_close_code (ws);

  if (self->leaving)
    return;

  if (self->connect_task != NULL) {
    fail (self, _("The server closed the connection"));
  } else if (code == MS_CLOSE_REPLACED) {
    fail (self, _("You joined this call from somewhere else"));
  } else if (code >= 4000) {
    /* The server ended it on purpose (a refused token, abuse): coming
     * back would be refused the same way. */
    fail (self, _("The server closed the connection"));
  } else if (self->reconnect_since != 0) {
    drop_socket (self);
    schedule_reconnect (self);
  } else {
    start_reconnect (self);
  }
}

static void
on_ws_connected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (MsSession) self = user_data;
  g_autoptr (MsMessage) join = ms_message_new (MS_MSG_JOIN);
  g_autoptr (GError) error = NULL;

  self->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (self->ws == NULL && self->reconnect_since != 0 && !self->leaving) {
    g_debug ("Reconnect attempt %u failed: %s", self->attempts, error->message);
    schedule_reconnect (self);
    return;
  }
  if (self->ws == NULL) {
    g_autofree char *text = g_strdup_printf (_("Could not reach the server: %s"), error->message);

    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      fail (self, text);
    return;
  }

  /* Leave room for SDP: the default cap is below what the server may send. */
  soup_websocket_connection_set_max_incoming_payload_size (self->ws, 1024 * 1024);
  g_signal_connect (self->ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (self->ws, "closed", G_CALLBACK (on_ws_closed), self);

  join->u.join.token = g_strdup (self->token);
  if (self->reconnect_since != 0) {
    /* Still "reconnecting" for the user until the welcome. */
    join->u.join.resume = g_strdup (self->resume_key);
  } else {
    ms_store_set_connect_status (self->store, MS_CONNECT_STATUS_AUTHENTICATING);
  }
  self->join_id = send_message (self, join, TRUE);
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr (GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static void
open_socket (MsSession    *self,
             GCancellable *cancellable)
{
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, self->url);

  if (self->soup == NULL)
    self->soup = soup_session_new ();
  soup_session_websocket_connect_async (self->soup, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        cancellable, on_ws_connected, g_object_ref (self));
}

static void
stop_reconnecting (MsSession *self)
{
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  self->reconnect_since = 0;
  self->attempts = 0;
  g_ptr_array_set_size (self->saved, 0);
}

static gboolean
on_reconnect_timer (gpointer user_data)
{
  MsSession *self = user_data;

  self->reconnect_id = 0;
  open_socket (self, NULL);

  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (MsSession *self)
{
  g_autoptr (GSource) timer = NULL;
  guint delay = MIN (RECONNECT_FIRST_MS << MIN (self->attempts, 5), RECONNECT_MAX_MS);

  if (g_get_monotonic_time () - self->reconnect_since > RECONNECT_GIVE_UP_S * G_USEC_PER_SEC) {
    stop_reconnecting (self);
    fail (self, _("The connection to the server was lost"));
    return;
  }

  self->attempts++;
  timer = g_timeout_source_new (delay);
  g_source_set_callback (timer, on_reconnect_timer, self, NULL);
  self->reconnect_id = g_source_attach (timer, self->context);
}

/* The connection dropped in a call: keep the store (the others, what we
 * send), rebuild everything else. The server keeps us for its grace
 * period and takes us back with the resume key; the others see nothing
 * of a short blip. */
static void
start_reconnect (MsSession *self)
{
  g_ptr_array_set_size (self->saved, 0);
  for (guint i = 0; i < self->locals->len; i++) {
    Local *local = g_ptr_array_index (self->locals, i);
    Saved *saved = g_new0 (Saved, 1);

    saved->track = g_object_ref (local->track);
    saved->tag = g_strdup (local->tag);
    saved->paused = local->paused;
    g_ptr_array_add (self->saved, saved);
  }
  g_free (self->peer_id);
  self->peer_id = g_strdup (ms_store_get_peer_id (self->store));

  drop_socket (self);
  teardown_media_full (self, TRUE);
  self->reconnect_since = g_get_monotonic_time ();
  self->attempts = 0;
  ms_store_set_connect_status (self->store, MS_CONNECT_STATUS_RECONNECTING);
  schedule_reconnect (self);
}

void
ms_session_connect_async (MsSession           *self,
                          const char          *url,
                          const char          *token,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (MS_IS_SESSION (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (token != NULL);
  g_return_if_fail (self->connect_task == NULL);

  stop_reconnecting (self);
  drop_socket (self);
  teardown_media (self);
  ms_store_reset (self->store);
  ms_store_set_error_connection (self->store, NULL);
  self->leaving = FALSE;

  self->connect_task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->connect_task, ms_session_connect_async);
  ms_store_set_connect_status (self->store, MS_CONNECT_STATUS_CONNECTING);

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &error);
  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "ws") != 0 &&
                      g_strcmp0 (g_uri_get_scheme (uri), "wss") != 0)) {
    g_autofree char *text = g_strdup_printf (_("“%s” is not a call address"), url);

    fail (self, text);
    return;
  }

  self->loopback = host_is_loopback (g_uri_get_host (uri));
  g_free (self->url);
  self->url = g_strdup (url);
  g_free (self->token);
  self->token = g_strdup (token);
  g_clear_pointer (&self->chosen_name, g_free);
  g_clear_pointer (&self->chosen_avatar, g_free);
  self->avatar_chosen = FALSE;
  open_socket (self, cancellable);
}

gboolean
ms_session_connect_finish (MsSession     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
ms_session_send_message (MsSession   *self,
                         const char  *msg_type,
                         JsonNode    *body,
                         const char  *to,
                         GError     **error)
{
  g_autoptr (MsMessage) msg = ms_message_new (MS_MSG_MESSAGE);

  g_return_val_if_fail (MS_IS_SESSION (self), FALSE);
  g_return_val_if_fail (msg_type != NULL && body != NULL, FALSE);

  if (!check_connected (self, error))
    return FALSE;
  if (!ms_grant_allows (ms_store_get_send_messages (self->store), msg_type)) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_FORBIDDEN,
                 _("You may not send messages of this kind in this call"));
    return FALSE;
  }

  msg->u.message.msg_type = g_strdup (msg_type);
  msg->u.message.body = json_node_copy (body);
  msg->u.message.to = g_strdup (to);
  send_message (self, msg, TRUE);

  return TRUE;
}

gboolean
ms_session_set_hidden (MsSession  *self,
                       gboolean    hidden,
                       GError    **error)
{
  g_autoptr (MsMessage) msg = ms_message_new (MS_MSG_SET_HIDDEN);

  g_return_val_if_fail (MS_IS_SESSION (self), FALSE);

  if (!check_connected (self, error))
    return FALSE;
  if (!ms_store_get_can_hide (self->store)) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_FORBIDDEN,
                 _("You may not be invisible in this call"));
    return FALSE;
  }

  msg->u.set_hidden.hidden = !!hidden;
  send_message (self, msg, TRUE);
  ms_store_apply_hidden (self->store, !!hidden);

  return TRUE;
}

/**
 * ms_session_set_display_name:
 * @display_name: the name the others see
 *
 * Renames us in the call (the token's name is only where one starts).
 */
gboolean
ms_session_set_display_name (MsSession   *self,
                             const char  *display_name,
                             GError     **error)
{
  g_return_val_if_fail (MS_IS_SESSION (self), FALSE);
  g_return_val_if_fail (display_name != NULL, FALSE);

  if (!check_connected (self, error))
    return FALSE;

  g_free (self->chosen_name);
  self->chosen_name = g_strdup (display_name);
  send_profile (self, display_name, FALSE, NULL);

  return TRUE;
}

/**
 * ms_session_set_avatar:
 * @avatar: (nullable): the http or https URL of the picture the others
 *   see, or %NULL for none
 *
 * Changes our picture in the call (the token's is only where one starts).
 *
 * Returns: %FALSE if we are not in a call or @avatar is not such a URL
 */
gboolean
ms_session_set_avatar (MsSession   *self,
                       const char  *avatar,
                       GError     **error)
{
  MsLimits limits;

  g_return_val_if_fail (MS_IS_SESSION (self), FALSE);

  if (!check_connected (self, error))
    return FALSE;
  ms_limits_init_default (&limits);
  if (avatar != NULL && !ms_validate_avatar_url (avatar, limits.max_url_length)) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_INVALID,
                 _("A picture must be a web address starting with http:// or https://"));
    return FALSE;
  }

  g_free (self->chosen_avatar);
  self->chosen_avatar = g_strdup (avatar);
  self->avatar_chosen = TRUE;
  send_profile (self, NULL, TRUE, avatar);

  return TRUE;
}

/**
 * ms_session_set_audio_output:
 * @sink: (transfer floating) (nullable): where received audio is played,
 *   or %NULL for the default output
 *
 * Takes effect at the next call.
 */
void
ms_session_set_audio_output (MsSession  *self,
                             GstElement *sink)
{
  g_return_if_fail (MS_IS_SESSION (self));
  g_return_if_fail (sink == NULL || GST_IS_ELEMENT (sink));

  gst_clear_object (&self->audio_output);
  if (sink != NULL)
    self->audio_output = gst_object_ref_sink (sink);
}

gboolean
ms_session_set_receiving (MsSession   *self,
                          const char  *peer_id,
                          const char  *tag,
                          gboolean     enabled,
                          GError     **error)
{
  g_autoptr (MsMessage) msg = ms_message_new (MS_MSG_SET_RECEIVING);

  g_return_val_if_fail (MS_IS_SESSION (self), FALSE);
  g_return_val_if_fail (peer_id != NULL, FALSE);

  if (!check_connected (self, error))
    return FALSE;
  if (ms_store_lookup_peer (self->store, peer_id) == NULL) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_NOT_FOUND,
                 _("That person is not in the call"));
    return FALSE;
  }

  msg->u.set_receiving.peer_id = g_strdup (peer_id);
  msg->u.set_receiving.tag = g_strdup (tag);
  msg->u.set_receiving.enabled = !!enabled;
  send_message (self, msg, TRUE);

  return TRUE;
}

void
ms_session_close_call (MsSession *self)
{
  g_autoptr (MsMessage) leave = ms_message_new (MS_MSG_LEAVE);
  g_autoptr (GTask) task = g_steal_pointer (&self->connect_task);

  g_return_if_fail (MS_IS_SESSION (self));

  self->leaving = TRUE;
  stop_reconnecting (self);
  send_message (self, leave, TRUE);
  drop_socket (self);
  teardown_media (self);
  ms_store_reset (self->store);
  ms_store_set_error_connection (self->store, NULL);
  ms_store_set_connect_status (self->store, MS_CONNECT_STATUS_DISCONNECTED);

  if (task != NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The call was left"));
}
