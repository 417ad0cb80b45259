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
 *
 * The subscribe side is an object of its own, made with the session and
 * living as long: MsSubscriber (ms-subscriber.c). The session routes the
 * server's offers and track events to it, and gives it MsSignaling: a
 * way to send, and PeerConnections with the call's settings whose
 * candidates and failures it handles.
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
#include "ms-peer-connection.h"
#include "ms-sdp.h"
#include "ms-remote-track-private.h"
#include "ms-session.h"
#include "ms-store-private.h"
#include "ms-subscriber.h"

#define DEFAULT_LATENCY_MS 60
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

  gboolean                 renegotiation; /* welcome: the server renegotiates in place */

  MsPeerConnection        *publish;
  gint64                   publish_offer_id;
  gboolean                 publish_pending;  /* an offer is being made or answered */
  gboolean                 publish_dirty;    /* changed since: another offer follows */
  gboolean                 publish_rebuild;  /* the next offer needs a new PeerConnection */
  guint                    unlinking;        /* track bins still to unlink */
  guint                    next_payload;
  GSource                 *publish_idle;
  GPtrArray               *locals;        /* of Local */

  MsSubscriber            *subscriber;    /* the others' tracks */
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
    ms_subscriber_set_decode (self->subscriber, self->decode);
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
drop_peer_connection (MsSession         *self,
                      MsPeerConnection **pc);
static void
stop_reconnecting (MsSession *self);
static gint64
side_send (gpointer   owner,
           MsMessage *msg,
           gboolean   request);
static MsPeerConnection *
side_peer_connection (gpointer  owner,
                      MsPcKind  kind);

/* What the subscribe side asks of the session. */
static const MsSignaling signaling = {
  side_send,
  side_peer_connection,
};

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
  /* The whole pipeline stops first, sinks before sources: stopping a
   * track's bin while it still feeds a running webrtcbin can deadlock. */
  g_clear_handle_id (&self->bus_watch_id, g_source_remove);
  if (self->pipeline != NULL)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);

  /* Received tracks go before our own: whoever watches both sees them
   * go in that order. */
  ms_subscriber_stop (self->subscriber);

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
  drop_peer_connection (self, &self->publish);
  self->publish_pending = self->publish_dirty = self->publish_rebuild = FALSE;
  self->next_payload = FIRST_PAYLOAD;

  gst_clear_object (&self->pipeline);
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

  g_clear_object (&self->subscriber);
  g_clear_object (&self->store);
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
  self->subscriber = ms_subscriber_new (&signaling, self);
  self->next_payload = FIRST_PAYLOAD;
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

/* ---- media: the two PeerConnections ---- */

static void
start_reconnect (MsSession *self);
static void
schedule_reconnect (MsSession *self);
static void
publish_update (MsSession *self);

static gint64
side_send (gpointer   owner,
           MsMessage *msg,
           gboolean   request)
{
  return send_message (owner, msg, request);
}

static void
on_pc_candidate (MsPeerConnection *pc,
                 guint             mline,
                 const char       *text,
                 MsSession        *self)
{
  g_autoptr (MsMessage) candidate = ms_message_new (MS_MSG_CANDIDATE);

  candidate->u.candidate.pc = ms_peer_connection_get_kind (pc);
  candidate->u.candidate.candidate = g_strdup (text);
  candidate->u.candidate.sdp_mline_index = mline;
  send_message (self, candidate, FALSE);
}

static void
on_pc_failed (MsPeerConnection *pc,
              MsSession        *self)
{
  /* A transport that failed cannot be restarted in webrtcbin 1.22: the
   * session reconnects as a whole, which rebuilds both. */
  if (ms_store_get_connect_status (self->store) == MS_CONNECT_STATUS_CONNECTED) {
    g_message ("The %s PeerConnection failed: reconnecting",
               ms_pc_kind_to_string (ms_peer_connection_get_kind (pc)));
    start_reconnect (self);
  }
}

static void
on_negotiation_failed (MsPeerConnection *pc,
                       const char       *message,
                       MsSession        *self)
{
  g_message ("The %s PeerConnection refused a description: %s",
             ms_pc_kind_to_string (ms_peer_connection_get_kind (pc)), message);

  if (pc == self->publish) {
    /* Rebuilt from scratch with the next offer. */
    self->publish_pending = FALSE;
    self->publish_rebuild = TRUE;
    publish_update (self);
  }
}

static void
on_publish_offer (MsPeerConnection *pc,
                  const char       *sdp,
                  MsSession        *self);
static void
on_publish_remote_set (MsPeerConnection *pc,
                       MsSession        *self);

/* A PeerConnection with the call's settings; the publish side connects
 * its offers here, the subscribe side in MsSubscriber. */
static MsPeerConnection *
side_peer_connection (gpointer  owner,
                      MsPcKind  kind)
{
  MsSession *self = owner;
  MsPeerConnection *pc = ms_peer_connection_new (GST_BIN (self->pipeline), kind, self->latency,
                                                 self->loopback, self->ice_servers);

  g_signal_connect_object (pc, "local-candidate", G_CALLBACK (on_pc_candidate), self, 0);
  g_signal_connect_object (pc, "failed", G_CALLBACK (on_pc_failed), self, 0);
  g_signal_connect_object (pc, "negotiation-failed", G_CALLBACK (on_negotiation_failed), self, 0);
  if (kind == MS_PC_PUBLISH) {
    g_signal_connect_object (pc, "offer-ready", G_CALLBACK (on_publish_offer), self, 0);
    g_signal_connect_object (pc, "remote-set", G_CALLBACK (on_publish_remote_set), self, 0);
  }

  return pc;
}

/* Stops the publish PeerConnection. */
static void
drop_peer_connection (MsSession         *self,
                      MsPeerConnection **pc)
{
  if (*pc == NULL)
    return;

  g_signal_handlers_disconnect_by_data (*pc, self);
  ms_peer_connection_close (*pc);
  g_clear_object (pc);
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
  GstElement *mixer;
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
  mixer = gst_element_factory_make ("audiomixer", NULL);
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
  gst_bin_add_many (GST_BIN (self->pipeline), mixer, convert, sink, NULL);
  gst_element_link_many (mixer, convert, sink, NULL);
  ms_subscriber_start (self->subscriber, GST_BIN (self->pipeline), mixer);

  gst_element_set_state (self->pipeline, GST_STATE_PLAYING);
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
  gint      ref;      /* the probe's and the deadline's */
  gint      done;     /* atomic: the first of them unlinks */
  GWeakRef  session;
  GstPad   *src;
  GstPad   *sink;
  Local    *closed;   /* a closed track's, freed once unlinked; or NULL */
  gulong    probe;
} Unlink;

/* A source stuck in a push never lets its pad go idle: after this long
 * the pad is unlinked under it (it then sees not-linked, and its track
 * is gone anyway). */
#define UNLINK_DEADLINE_MS 1000

static void
unlink_free (gpointer data)
{
  Unlink *u = data;

  if (!g_atomic_int_dec_and_test (&u->ref))
    return;
  g_weak_ref_clear (&u->session);
  gst_object_unref (u->src);
  gst_object_unref (u->sink);
  g_free (u);
}

static void
on_unlinked (MsSession *self,
             Unlink    *u);

static gboolean
on_unlinked_hop (gpointer data)
{
  Unlink *u = data;
  g_autoptr (MsSession) self = g_weak_ref_get (&u->session);

  if (self != NULL) {
    on_unlinked (self, u);
  } else if (u->closed != NULL) {
    local_free (u->closed);
  }
  u->closed = NULL;

  return G_SOURCE_REMOVE;
}

/* Whichever comes first, the pad going idle or the deadline: unlinks
 * and continues in the main context. Any thread. */
static void
unlink_now (Unlink *u)
{
  g_autoptr (MsSession) self = g_weak_ref_get (&u->session);
  GSource *source;

  if (!g_atomic_int_compare_and_exchange (&u->done, 0, 1))
    return;
  gst_pad_unlink (u->src, u->sink);
  if (self == NULL) {
    if (u->closed != NULL)
      local_free (u->closed);
    u->closed = NULL;
    return;
  }

  g_atomic_int_inc (&u->ref);

  /* The rest goes on in the main context, never here (this may be a
   * streaming thread). */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, on_unlinked_hop, u, unlink_free);
  g_source_set_static_name (source, "[mediastore] unlinked");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

static GstPadProbeReturn
on_idle_unlink (GstPad          *pad,
                GstPadProbeInfo *info,
                gpointer         user_data)
{
  unlink_now (user_data);
  return GST_PAD_PROBE_REMOVE;
}

static gboolean
on_unlink_deadline (gpointer user_data)
{
  Unlink *u = user_data;

  if (!g_atomic_int_get (&u->done)) {
    g_message ("A track's pad stayed busy for %u ms: unlinked under it", UNLINK_DEADLINE_MS);
    gst_pad_remove_probe (u->src, u->probe);
    unlink_now (u);
  }
  return G_SOURCE_REMOVE;
}

/* Unlinks @local's bin from its webrtcbin sink pad between two packets,
 * without waiting: pulling a webrtcbin away under a packet in flight
 * would hand the source a flushing or not-linked return, and a source
 * stops for good on those. on_unlinked() continues in the main context.
 * With @closing the track is gone: @local is freed once unlinked. */
static void
unlink_local (MsSession *self,
              Local     *local,
              gboolean   closing)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (local->bin, "src");
  Unlink *u = g_new0 (Unlink, 1);

  GSource *deadline;

  u->ref = 2;
  g_weak_ref_init (&u->session, self);
  u->src = gst_object_ref (src);
  u->sink = g_steal_pointer (&local->sink);
  u->closed = closing ? local : NULL;
  self->unlinking++;
  deadline = g_timeout_source_new (UNLINK_DEADLINE_MS);
  g_source_set_callback (deadline, on_unlink_deadline, u, unlink_free);
  g_source_attach (deadline, self->context);
  g_source_unref (deadline);
  u->probe = gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_IDLE, on_idle_unlink, u, unlink_free);
}

static void
on_unlinked (MsSession *self,
             Unlink    *u)
{
  self->unlinking--;
  /* A closed track's transceiver stays, inactive, on a PeerConnection
   * renegotiated in place (webrtcbin 1.22 removes none). */
  if (self->publish != NULL && u->closed != NULL && !self->publish_rebuild)
    ms_peer_connection_retire_sender (self->publish, u->sink);
  if (u->closed != NULL)
    local_free (u->closed);
  if (self->unlinking == 0 && self->publish_dirty)
    publish_update (self);
}

static gboolean
can_renegotiate (MsSession *self)
{
  return self->renegotiation && self->publish != NULL && !self->publish_rebuild &&
         !ms_peer_connection_get_failed (self->publish) &&
         self->next_payload + 1 <= 127;
}

/* Tracks sent or closed since the last offer go into one new offer: on the
 * same publish PeerConnection when the server renegotiates in place
 * (welcome's "renegotiation" feature), else on a new one for all tracks. */
static void
publish_update (MsSession *self)
{
  gboolean in_place;

  if (self->publish_pending || self->unlinking > 0) {
    self->publish_dirty = TRUE;
    return;
  }
  self->publish_dirty = FALSE;
  in_place = can_renegotiate (self);

  if (!in_place) {
    gboolean waiting = FALSE;

    for (guint i = 0; i < self->locals->len; i++) {
      Local *local = g_ptr_array_index (self->locals, i);

      gst_clear_object (&local->transceiver);
      if (local->sink != NULL) {
        unlink_local (self, local, FALSE);
        waiting = TRUE;
      }
    }
    if (waiting) {
      /* Continued by on_unlinked(), once every track let go. */
      self->publish_rebuild = TRUE;
      self->publish_dirty = TRUE;
      return;
    }
    drop_peer_connection (self, &self->publish);
    self->publish_rebuild = FALSE;
    if (self->locals->len == 0)
      return;
    self->publish = side_peer_connection (self, MS_PC_PUBLISH);
  }

  for (guint i = 0; i < self->locals->len; i++) {
    Local *local = g_ptr_array_index (self->locals, i);
    g_autoptr (GstCaps) caps = NULL;
    g_autoptr (GstPad) src = NULL;

    if (local->sink != NULL)
      continue;
    caps = ms_local_track_make_caps (local->track, local->payload, local->ssrc);
    src = gst_element_get_static_pad (local->bin, "src");
    local->sink = ms_peer_connection_add_sender (self->publish, src, caps);
    g_object_get (local->sink, "transceiver", &local->transceiver, NULL);
  }

  self->publish_pending = TRUE;
  ms_peer_connection_offer (self->publish);
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

/* The mid of the m-line that states @ssrc: the offer lists retired
 * (inactive) m-lines too, so a track's index says nothing. */
static char *
mid_of_ssrc (const GstSDPMessage *sdp,
             guint32              ssrc)
{
  g_autofree char *prefix = g_strdup_printf ("%u ", ssrc);

  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

    for (guint j = 0; j < gst_sdp_media_attributes_len (media); j++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, j);

      if (g_strcmp0 (attr->key, "ssrc") == 0 && attr->value != NULL &&
          g_str_has_prefix (attr->value, prefix))
        return g_strdup (gst_sdp_media_get_attribute_val (media, "mid"));
    }
  }

  return NULL;
}

static void
on_publish_offer (MsPeerConnection *pc,
                  const char       *sdp,
                  MsSession        *self)
{
  g_autoptr (MsMessage) offer = ms_message_new (MS_MSG_OFFER);
  g_autoptr (GstSDPMessage) parsed = ms_sdp_parse (sdp);

  offer->u.offer.pc = MS_PC_PUBLISH;
  offer->u.offer.sdp = g_strdup (sdp);
  offer->u.offer.tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_track_desc_free);
  for (guint i = 0; parsed != NULL && i < self->locals->len; i++) {
    Local *local = g_ptr_array_index (self->locals, i);
    MsTrackDesc *desc;
    char *mid;

    /* Sent since this offer was made: it goes into the next one. */
    if (local->transceiver == NULL || (mid = mid_of_ssrc (parsed, local->ssrc)) == NULL)
      continue;

    desc = ms_track_desc_new (local->tag, ms_local_track_get_kind (local->track), local->paused);
    desc->mid = mid;
    g_ptr_array_add (offer->u.offer.tracks, desc);
  }

  self->publish_offer_id = send_message (self, offer, TRUE);
}

static void
on_publish_remote_set (MsPeerConnection *pc,
                       MsSession        *self)
{
  self->publish_pending = FALSE;
  if (self->publish_dirty)
    publish_update (self);
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
local_index (MsSession *self,
             Local     *local)
{
  guint index = 0;

  g_ptr_array_find (self->locals, local, &index);
  return index;
}

/* Payload types only grow on one publish PeerConnection, two at a time
 * (webrtcbin gives each track's RTX the lowest free one): a re-offer
 * then keeps every m-line's media and RTX payload types, retired m-lines
 * included. When they run out, the next offer is a new PeerConnection. */
static guint
free_payload (MsSession *self)
{
  if (self->next_payload + 1 <= 127) {
    self->next_payload += 2;
    return self->next_payload - 2;
  }

  self->publish_rebuild = TRUE;
  for (guint payload = FIRST_PAYLOAD; ; payload += 2) {
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

  closed = g_strdup (local->tag);
  /* Silent at once, though its bin stops later: no level of it counts. */
  {
    g_autoptr (GstElement) level = gst_bin_get_by_name (GST_BIN (local->bin), "level");

    if (level != NULL)
      ms_media_level_set_target (level, NULL);
    ms_local_track_reset_level (local->track);
  }
  /* Freed once its bin let go of the webrtcbin, between two packets. */
  g_ptr_array_steal_index (self->locals, local_index (self, local));
  if (local->sink != NULL)
    unlink_local (self, local, TRUE);
  else
    local_free (local);
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

/* ---- subscribing: MsSubscriber ---- */

MsRemoteTrack *
ms_session_lookup_remote_track (MsSession  *self,
                                const char *peer_id,
                                const char *tag)
{
  g_return_val_if_fail (MS_IS_SESSION (self), NULL);

  return ms_subscriber_lookup (self->subscriber, peer_id, tag);
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

  return ms_subscriber_get_tracks (self->subscriber);
}

static void
on_publish_answer (MsSession       *self,
                   const MsMessage *msg)
{
  GstSDPMessage *sdp;

  if (self->publish == NULL || !self->publish_pending)
    return;
  sdp = ms_sdp_parse (msg->u.answer.sdp);
  if (sdp == NULL) {
    g_message ("The server's publish answer is not valid SDP");
    return;
  }

  ms_peer_connection_take_answer (self->publish, sdp);
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
  self->renegotiation = msg->u.welcome.features != NULL &&
                        g_strv_contains ((const char * const *) msg->u.welcome.features,
                                         "renegotiation");
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
      /* The next change starts again from a new PeerConnection. */
      self->publish_pending = FALSE;
      self->publish_rebuild = TRUE;
    }
    g_signal_emit (self, signals[SIGNAL_SERVER_ERROR], 0,
                   ms_protocol_error_to_string (msg->u.error.code), msg->u.error.message);
    break;
  case MS_MSG_MESSAGE:
    g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, msg->u.message.msg_type,
                   msg->u.message.body, msg->u.message.from);
    break;
  case MS_MSG_OFFER:
    ms_subscriber_take_offer (self->subscriber, msg);
    break;
  case MS_MSG_ANSWER:
    on_publish_answer (self, msg);
    break;
  case MS_MSG_CANDIDATE: {
    MsPeerConnection *pc = msg->u.candidate.pc == MS_PC_PUBLISH ?
                           self->publish : ms_subscriber_get_peer_connection (self->subscriber);

    if (pc != NULL)
      ms_peer_connection_add_candidate (pc, msg->u.candidate.sdp_mline_index,
                                        msg->u.candidate.candidate);
    break;
  }
  case MS_MSG_PEER_LEFT:
    ms_subscriber_forget (self->subscriber, msg->u.peer_left.peer_id, NULL);
    ms_store_apply_message (self->store, msg);
    break;
  case MS_MSG_TRACK_CLOSED:
    ms_subscriber_forget (self->subscriber, msg->u.track_event.peer_id, msg->u.track_event.tag);
    ms_store_apply_message (self->store, msg);
    break;
  case MS_MSG_OK:
    on_resumed (self, msg->id);
    break;
  case MS_MSG_BYE:
    break;
  case MS_MSG_MEDIA_FAILED:
    /* The server dropped that transport (it heard nothing from it). A
     * subscribe side comes back with its next offer, with new ICE
     * credentials; the publish side we offer again, on a new
     * PeerConnection. */
    g_message ("The server lost the %s PeerConnection", ms_pc_kind_to_string (msg->u.media_failed.pc));
    if (msg->u.media_failed.pc == MS_PC_PUBLISH && self->locals->len > 0) {
      self->publish_pending = FALSE;
      self->publish_rebuild = TRUE;
      schedule_publish (self);
    }
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
