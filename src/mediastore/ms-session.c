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
 * Each side is an object of its own, made with the session and living
 * as long: MsPublisher (ms-publisher.c) and MsSubscriber
 * (ms-subscriber.c). The session keeps the signaling, reconnecting, the
 * profile and the pipeline; it checks the public calls, routes the
 * server's messages to the side they are for, and gives both sides
 * MsSignaling: a way to send, and PeerConnections with the call's
 * settings whose candidates and failures it handles.
 */

#define G_LOG_DOMAIN "MsSession"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "ms-local-track-private.h"
#include "ms-media-util-private.h"
#include "ms-publisher.h"
#include "ms-remote-track-private.h"
#include "ms-session.h"
#include "ms-store-private.h"
#include "ms-subscriber.h"

#define DEFAULT_LATENCY_MS 60

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
  char                    *url;           /* the address the app gave: our door */
  char                    *token;
  /* Cluster mode (docs/protocol.md, "Several servers"): where this
   * connection goes (NULL: url), where a redirect sends us next, the
   * node that welcomed us and the cluster's other nodes, tried in turn
   * when reconnecting. */
  char                    *target_url;
  char                    *redirect_url;
  guint                    redirects;
  char                    *welcome_url;
  GStrv                    nodes;
  guint                    candidate;     /* of this round of reconnect attempts */
  gboolean                 retry_later;   /* "unavailable" while reconnecting */
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

  MsPublisher             *publisher;     /* our tracks */
  MsSubscriber            *subscriber;    /* the others' */
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
/* Redirects followed for one join before giving up (a loop). */
#define MAX_REDIRECTS 4

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
stop_reconnecting (MsSession *self);
static gint64
side_send (gpointer   owner,
           MsMessage *msg,
           gboolean   request);
static MsPeerConnection *
side_peer_connection (gpointer  owner,
                      MsPcKind  kind);

/* What the publish and subscribe sides ask of the session. */
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
  ms_publisher_stop (self->publisher, keep_own_tracks);

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

  g_clear_object (&self->publisher);
  g_clear_object (&self->subscriber);
  g_clear_object (&self->store);
  g_clear_pointer (&self->ice_servers, g_ptr_array_unref);
  gst_clear_object (&self->audio_output);
  g_free (self->url);
  g_free (self->target_url);
  g_free (self->redirect_url);
  g_free (self->welcome_url);
  g_strfreev (self->nodes);
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
  self->saved = g_ptr_array_new_with_free_func (saved_free);
  self->publisher = ms_publisher_new (self->store, &signaling, self);
  self->subscriber = ms_subscriber_new (&signaling, self);
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

/* ---- media: the pipeline, and the PeerConnections of both sides ---- */

static void
start_reconnect (MsSession *self);
static void
schedule_reconnect (MsSession *self);
static void
reconnect_next (MsSession *self);
static void
open_socket (MsSession    *self,
             GCancellable *cancellable);

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

/* Connected before the side's own handlers: the publisher's rebuilds
 * after this. */
static void
on_negotiation_failed (MsPeerConnection *pc,
                       const char       *message,
                       MsSession        *self)
{
  g_message ("The %s PeerConnection refused a description: %s",
             ms_pc_kind_to_string (ms_peer_connection_get_kind (pc)), message);
}

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

  return pc;
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
    g_autofree char *tag = NULL;

    gst_message_parse_error (message, &error, &debug);
    g_message ("Media error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
               error->message, debug ? debug : "");
    /* A copy: the handler may close the track, and with it its tag. */
    tag = ms_publisher_dup_tag_of (self->publisher, GST_MESSAGE_SRC (message));
    if (tag != NULL)
      g_signal_emit (self, signals[SIGNAL_TRACK_ERROR], 0, tag, error);
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
  ms_publisher_start (self->publisher, GST_BIN (self->pipeline));
  ms_subscriber_start (self->subscriber, GST_BIN (self->pipeline), mixer);

  gst_element_set_state (self->pipeline, GST_STATE_PLAYING);
}

/* ---- tracks: the public calls are checked here, the sides do them ---- */

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

/* In a call, and sending something as @tag. */
static gboolean
check_sent (MsSession   *self,
            const char  *tag,
            GError     **error)
{
  if (!check_connected (self, error))
    return FALSE;
  if (ms_publisher_lookup (self->publisher, tag) == NULL) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_NOT_FOUND,
                 _("Nothing is shared as “%s”"), tag);
    return FALSE;
  }

  return TRUE;
}

gboolean
ms_session_send_track (MsSession     *self,
                       MsLocalTrack  *track,
                       const char    *tag,
                       gboolean       paused,
                       GError       **error)
{
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
  if (ms_publisher_lookup (self->publisher, tag) != NULL) {
    g_set_error (error, MS_SESSION_ERROR, MS_SESSION_ERROR_TAG_IN_USE,
                 _("Something is already shared as “%s”"), tag);
    return FALSE;
  }

  return ms_publisher_add_track (self->publisher, track, tag, paused, error);
}

static gboolean
set_paused (MsSession   *self,
            const char  *tag,
            gboolean     paused,
            GError     **error)
{
  if (!check_sent (self, tag, error))
    return FALSE;

  ms_publisher_set_paused (self->publisher, tag, paused);
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
  g_return_val_if_fail (MS_IS_SESSION (self), FALSE);

  if (!check_sent (self, tag, error))
    return FALSE;

  ms_publisher_close_track (self->publisher, tag);
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
  g_return_val_if_fail (MS_IS_SESSION (self), NULL);

  return ms_publisher_lookup (self->publisher, tag);
}

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
  case MS_PROTOCOL_ERROR_UNAVAILABLE:
    return _("The call’s servers cannot take this call right now: try again in a moment");
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
  g_free (self->welcome_url);
  self->welcome_url = g_strdup (self->target_url ? self->target_url : self->url);
  self->redirects = 0;
  if (msg->u.welcome.nodes != NULL) {
    g_strfreev (self->nodes);
    self->nodes = g_strdupv (msg->u.welcome.nodes);
  }
  g_clear_pointer (&self->ice_servers, g_ptr_array_unref);
  self->ice_servers = g_ptr_array_ref (msg->u.welcome.ice_servers);
  ms_publisher_set_renegotiation (self->publisher,
                                  msg->u.welcome.features != NULL &&
                                  g_strv_contains ((const char * const *) msg->u.welcome.features,
                                                   "renegotiation"));
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
    if (self->reconnect_since != 0 && msg->has_id && msg->id == self->join_id &&
        msg->u.error.code == MS_PROTOCOL_ERROR_UNAVAILABLE) {
      /* No node can take the call this moment (cluster coordination
       * down, a node draining): keep trying, as after a drop. */
      g_message ("Rejoining refused for now: %s", msg->u.error.message);
      self->retry_later = TRUE;
      break;
    }
    if ((self->connect_task != NULL || self->reconnect_since != 0) && msg->has_id &&
        msg->id == self->join_id) {
      fail (self, join_error_text (msg->u.error.code));
      break;
    }
    ms_publisher_handle_error (self->publisher, msg);
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
    ms_publisher_take_answer (self->publisher, msg);
    break;
  case MS_MSG_CANDIDATE: {
    MsPeerConnection *pc = msg->u.candidate.pc == MS_PC_PUBLISH ?
                           ms_publisher_get_peer_connection (self->publisher) :
                           ms_subscriber_get_peer_connection (self->subscriber);

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
    ms_publisher_handle_ok (self->publisher, msg->id);
    break;
  case MS_MSG_BYE:
    break;
  case MS_MSG_REDIRECT:
    /* The room lives on another node: the server closes with 4302 and
     * we join there (on_ws_closed). */
    if (msg->has_id && msg->id == self->join_id) {
      g_free (self->redirect_url);
      self->redirect_url = g_strdup (msg->u.redirect.url);
    }
    break;
  case MS_MSG_MEDIA_FAILED:
    /* The server dropped that transport (it heard nothing from it). A
     * subscribe side comes back with its next offer, with new ICE
     * credentials; the publish side we offer again, on a new
     * PeerConnection. */
    g_message ("The server lost the %s PeerConnection", ms_pc_kind_to_string (msg->u.media_failed.pc));
    if (msg->u.media_failed.pc == MS_PC_PUBLISH)
      ms_publisher_media_failed (self->publisher);
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

  if (code == MS_CLOSE_REDIRECT && self->redirect_url != NULL) {
    if (++self->redirects > MAX_REDIRECTS) {
      fail (self, _("The call’s servers keep sending you from one to another"));
      return;
    }
    g_message ("Redirected to %s", self->redirect_url);
    g_free (self->target_url);
    self->target_url = g_steal_pointer (&self->redirect_url);
    drop_socket (self);
    open_socket (self, self->connect_task ? g_task_get_cancellable (self->connect_task) : NULL);
    return;
  }
  g_clear_pointer (&self->redirect_url, g_free);
  if (self->retry_later && self->reconnect_since != 0) {
    self->retry_later = FALSE;
    reconnect_next (self);
    return;
  }

  if (self->connect_task != NULL) {
    fail (self, _("The server closed the connection"));
  } else if (code == MS_CLOSE_REPLACED) {
    fail (self, _("You joined this call from somewhere else"));
  } else if (code >= 4000) {
    /* The server ended it on purpose (a refused token, abuse): coming
     * back would be refused the same way. */
    fail (self, _("The server closed the connection"));
  } else if (self->reconnect_since != 0) {
    reconnect_next (self);
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
    reconnect_next (self);
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
  const char *url = self->target_url ? self->target_url : self->url;
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, url);
  g_autoptr (GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);

  /* The node we reach decides which ICE candidates make sense. */
  self->loopback = uri != NULL && host_is_loopback (g_uri_get_host (uri));
  self->retry_later = FALSE;

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

/* Where the @index-th try of a round of reconnect attempts goes (NULL
 * when the round is over): the node that last welcomed us, then our
 * door, then the cluster's other nodes. Whichever we reach sends us on
 * to the room's node if it must. A round tries each at once, as a
 * client tries each address of a name; the backoff is between rounds. */
static const char *
reconnect_url (MsSession *self,
               guint      index)
{
  g_autoptr (GPtrArray) candidates = g_ptr_array_new ();

  if (self->welcome_url != NULL)
    g_ptr_array_add (candidates, self->welcome_url);
  if (self->welcome_url == NULL || g_strcmp0 (self->welcome_url, self->url) != 0)
    g_ptr_array_add (candidates, self->url);
  for (guint i = 0; self->nodes != NULL && self->nodes[i] != NULL; i++) {
    gboolean known = FALSE;

    for (guint j = 0; j < candidates->len && !known; j++)
      known = g_str_equal (g_ptr_array_index (candidates, j), self->nodes[i]);
    if (!known)
      g_ptr_array_add (candidates, self->nodes[i]);
  }
  return index < candidates->len ? g_ptr_array_index (candidates, index) : NULL;
}

/* The try at hand failed: the next one of the round, or the next round. */
static void
reconnect_next (MsSession *self)
{
  const char *url;

  drop_socket (self);
  url = reconnect_url (self, ++self->candidate);
  if (url == NULL) {
    schedule_reconnect (self);
    return;
  }
  g_free (self->target_url);
  self->target_url = g_strdup (url);
  self->redirects = 0;
  open_socket (self, NULL);
}

static gboolean
on_reconnect_timer (gpointer user_data)
{
  MsSession *self = user_data;

  self->reconnect_id = 0;
  self->redirects = 0;
  self->candidate = 0;
  g_free (self->target_url);
  self->target_url = g_strdup (reconnect_url (self, 0));
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

static void
save_track (MsLocalTrack *track,
            const char   *tag,
            gboolean      paused,
            gpointer      user_data)
{
  MsSession *self = user_data;
  Saved *saved = g_new0 (Saved, 1);

  saved->track = g_object_ref (track);
  saved->tag = g_strdup (tag);
  saved->paused = paused;
  g_ptr_array_add (self->saved, saved);
}

/* The connection dropped in a call: keep the store (the others, what we
 * send), rebuild everything else. The server keeps us for its grace
 * period and takes us back with the resume key; the others see nothing
 * of a short blip. */
static void
start_reconnect (MsSession *self)
{
  g_ptr_array_set_size (self->saved, 0);
  ms_publisher_foreach (self->publisher, save_track, self);
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

  g_free (self->url);
  self->url = g_strdup (url);
  g_clear_pointer (&self->target_url, g_free);
  g_clear_pointer (&self->redirect_url, g_free);
  g_clear_pointer (&self->welcome_url, g_free);
  g_clear_pointer (&self->nodes, g_strfreev);
  self->redirects = 0;
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
