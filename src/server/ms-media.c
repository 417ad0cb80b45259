/* ms-media.c: the SFU's PeerConnections, with webrtcbin
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * webrtcbin calls back on its own threads. Those callbacks only post a
 * Hop (room name, peer id, which PeerConnection and its generation) to the
 * main context, where the participant is looked up again: a callback for
 * a PeerConnection that was replaced, or a peer that left, finds nothing.
 */

#define G_LOG_DOMAIN "MsMedia"

#include "config.h"

#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "ms-forward.h"
#include "ms-media.h"
#include "ms-sdp.h"

/* Low, but enough to put reordered packets back in order on loopback
 * and LANs; webrtcbin's default is 200 ms. */
#define JITTER_LATENCY_MS 50

/* Dynamic RTP payload types: one per m-line of a subscribe offer. */
#define FIRST_PAYLOAD 96
#define LAST_PAYLOAD  127

struct _MsRoomMedia {
  MsServer   *server;
  char       *room;
  GstElement *pipeline;
  guint       bus_watch_id;
  guint       update_id;
};

typedef struct {
  char        *tag;
  MsTrackKind  kind;
  MsProducer  *producer;
} Producer;

typedef struct {
  char        *peer_id;    /* the publisher */
  char        *tag;
  MsTrackKind  kind;
  MsProducer  *producer;   /* borrowed from the publisher's Producer */
  MsConsumer  *consumer;
  GstWebRTCRTPTransceiver *transceiver;
} Consumer;

struct _MsPeerMedia {
  MsRoomMedia *room;

  GstElement  *publish;
  guint        publish_gen;
  GHashTable  *mid_tags;     /* mid → tag, of the current publish offer */
  GPtrArray   *producers;    /* of Producer */

  GstElement  *subscribe;
  guint        subscribe_gen;
  GPtrArray   *consumers;    /* of Consumer */
  gboolean     offer_pending;
  /* The subscribe PeerConnection's DTLS is up. Until then its consumers
   * stay paused: webrtcbin blocks what is pushed into it before DTLS, and
   * a producer pushing into it would hold the producer's lock, which
   * removing a consumer waits for, for as long as that lasts (forever
   * for a connection replaced before it connected: the server froze). */
  gboolean     connected;
};

typedef enum {
  HOP_PRODUCER,
  HOP_READY,
  HOP_ANSWER_READY,
  HOP_OFFER_READY,
  HOP_REMOTE_SET,
  HOP_CANDIDATE,
  HOP_CONNECTED,
} HopKind;

typedef struct {
  MsServer    *server;
  char        *room;
  char        *peer_id;
  MsPcKind     pc;
  guint        gen;
} PcRef;

typedef struct {
  HopKind      kind;
  PcRef        ref;
  char        *text;        /* SDP or candidate */
  guint        mline;
  char        *mid;
  MsProducer  *producer;
} Hop;

static guint next_gen = 1;

static void
pc_ref_clear (PcRef *ref)
{
  g_free (ref->room);
  g_free (ref->peer_id);
}

static PcRef *
pc_ref_new (MsServer      *server,
            MsParticipant *p,
            MsPcKind       pc,
            guint          gen)
{
  PcRef *ref = g_new0 (PcRef, 1);

  ref->server = server;
  ref->room = g_strdup (p->room->name);
  ref->peer_id = g_strdup (p->id);
  ref->pc = pc;
  ref->gen = gen;

  return ref;
}

static PcRef *
pc_ref_copy (const PcRef *ref)
{
  PcRef *copy = g_new0 (PcRef, 1);

  *copy = *ref;
  copy->room = g_strdup (ref->room);
  copy->peer_id = g_strdup (ref->peer_id);

  return copy;
}

static void
pc_ref_free (gpointer data)
{
  PcRef *ref = data;

  pc_ref_clear (ref);
  g_free (ref);
}

static void
pc_ref_closure_free (gpointer  data,
                     GClosure *closure)
{
  pc_ref_free (data);
}

static void
hop_free (gpointer data)
{
  Hop *hop = data;

  /* A producer that never reached its participant goes with the hop. */
  ms_producer_free (hop->producer);
  pc_ref_clear (&hop->ref);
  g_free (hop->text);
  g_free (hop->mid);
  g_free (hop);
}

static void
producer_clear (gpointer data)
{
  Producer *producer = data;

  ms_producer_free (producer->producer);
  g_free (producer->tag);
  g_free (producer);
}

static void
consumer_clear (gpointer data)
{
  Consumer *consumer = data;

  g_clear_pointer (&consumer->consumer, ms_consumer_free);
  gst_clear_object (&consumer->transceiver);
  g_free (consumer->peer_id);
  g_free (consumer->tag);
  g_free (consumer);
}

static void
drop_element (MsRoomMedia  *room,
              GstElement  **element)
{
  if (*element == NULL)
    return;

  /* Locked first: a state change of the pipeline on another thread that
   * still holds it would start it again, and the last reference would go
   * with it running (seen in the clients, which do the same). */
  gst_element_set_locked_state (*element, TRUE);
  gst_element_set_state (*element, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (room->pipeline), *element);
  *element = NULL;
}

/* The participant a hop is for, if it still has that PeerConnection. */
static MsParticipant *
resolve (const PcRef *ref)
{
  MsRoom *room = g_hash_table_lookup (ref->server->rooms, ref->room);
  MsParticipant *p = room ? ms_room_lookup (room, ref->peer_id) : NULL;

  if (p == NULL || p->media == NULL)
    return NULL;
  if (ref->pc == MS_PC_PUBLISH && p->media->publish_gen != ref->gen)
    return NULL;
  if (ref->pc == MS_PC_SUBSCRIBE && p->media->subscribe_gen != ref->gen)
    return NULL;

  return p;
}

static void
send_to (MsParticipant *p,
         MsMessage     *msg)
{
  if (p->client != NULL)
    ms_client_send (p->client, msg);
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  MsRoomMedia *room = user_data;

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_LATENCY:
    gst_bin_recalculate_latency (GST_BIN (room->pipeline));
    break;
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) error = NULL;
    g_autofree char *debug = NULL;

    gst_message_parse_error (message, &error, &debug);
    ms_server_log (G_LOG_LEVEL_INFO, room->room, NULL, "media error from %s: %s (%s)",
                   GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message,
                   debug ? debug : "");
    break;
  }
  default:
    break;
  }

  return G_SOURCE_CONTINUE;
}

guint
ms_media_room_elements (MsRoom *room)
{
  return room->media != NULL ? GST_BIN (room->media->pipeline)->numchildren : 0;
}

static MsRoomMedia *
room_media (MsServer *server,
            MsRoom   *room)
{
  g_autoptr (GstBus) bus = NULL;
  MsRoomMedia *media;

  if (room->media != NULL)
    return room->media;

  media = g_new0 (MsRoomMedia, 1);
  media->server = server;
  media->room = g_strdup (room->name);
  media->pipeline = gst_pipeline_new (room->name);
  bus = gst_pipeline_get_bus (GST_PIPELINE (media->pipeline));
  media->bus_watch_id = gst_bus_add_watch (bus, on_bus_message, media);
  gst_element_set_state (media->pipeline, GST_STATE_PLAYING);
  room->media = media;

  return media;
}

static MsPeerMedia *
peer_media (MsServer      *server,
            MsParticipant *p)
{
  if (p->media == NULL) {
    p->media = g_new0 (MsPeerMedia, 1);
    p->media->room = room_media (server, p->room);
    p->media->mid_tags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    p->media->producers = g_ptr_array_new_with_free_func (producer_clear);
    p->media->consumers = g_ptr_array_new_with_free_func (consumer_clear);
  }

  return p->media;
}

static gboolean
on_hop (gpointer data);

/* A source on the main context, never run in place on the calling
 * streaming thread (g_main_context_invoke() does that whenever the
 * context happens to be free). */
static void
post (Hop *hop)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, on_hop, hop, hop_free);
  g_source_attach (source, NULL);
  g_source_unref (source);
}

static Hop *
hop_new (HopKind      kind,
         const PcRef *ref)
{
  Hop *hop = g_new0 (Hop, 1);

  hop->kind = kind;
  hop->ref = *ref;
  hop->ref.room = g_strdup (ref->room);
  hop->ref.peer_id = g_strdup (ref->peer_id);

  return hop;
}

static void
on_ice_candidate (GstElement *webrtc,
                  guint       mline,
                  const char *candidate,
                  PcRef      *ref)
{
  Hop *hop = hop_new (HOP_CANDIDATE, ref);

  hop->mline = mline;
  hop->text = g_strdup (candidate);
  post (hop);
}

static void
on_connection_state (GstElement *webrtc,
                     GParamSpec *pspec,
                     PcRef      *ref)
{
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    post (hop_new (HOP_CONNECTED, ref));
}

static void
on_producer_ready (MsProducer *producer,
                   gpointer    user_data)
{
  post (hop_new (HOP_READY, user_data));
}

static void
on_pad_added (GstElement *webrtc,
              GstPad     *pad,
              PcRef      *ref)
{
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;
  Hop *hop;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;

  /* Linked here, at once: an unlinked pad stops the whole bundle. */
  hop = hop_new (HOP_PRODUCER, ref);
  g_object_get (pad, "transceiver", &transceiver, NULL);
  if (transceiver != NULL)
    g_object_get (transceiver, "mid", &hop->mid, NULL);
  hop->producer = ms_producer_new (GST_BIN (GST_ELEMENT_PARENT (webrtc)), pad,
                                   on_producer_ready,
                                   pc_ref_copy (ref), pc_ref_free);
  post (hop);
}

static GstElement *
new_webrtcbin (MsServer      *server,
               MsParticipant *p,
               MsPcKind       pc,
               guint          gen)
{
  GstElement *webrtc = gst_element_factory_make ("webrtcbin", NULL);
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;   /* NiceAgent */

  g_object_set (webrtc,
                "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", JITTER_LATENCY_MS,
                NULL);

  /* libnice leaves out loopback interfaces unless told about them. Media
   * goes over UDP only: ICE-TCP adds candidates clients rarely need, and
   * its passive ports may collide and fail to bind. A server asks no
   * router to map ports for it: no UPnP, and so no gupnp-igd thread per
   * agent, whose SSDP client (gssdp 1.6.2) leaks an address each time. */
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  g_object_get (ice, "agent", &agent, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);
  g_object_set (agent, "upnp", FALSE, NULL);
  for (guint i = 0; server->config->media_listen && server->config->media_listen[i]; i++) {
    gboolean added = FALSE;

    g_signal_emit_by_name (ice, "add-local-ip-address", server->config->media_listen[i], &added);
  }

  g_signal_connect_data (webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate),
                         pc_ref_new (server, p, pc, gen), pc_ref_closure_free, 0);
  if (pc == MS_PC_PUBLISH) {
    g_signal_connect_data (webrtc, "pad-added", G_CALLBACK (on_pad_added),
                           pc_ref_new (server, p, pc, gen), pc_ref_closure_free, 0);
  } else {
    g_signal_connect_data (webrtc, "notify::connection-state", G_CALLBACK (on_connection_state),
                           pc_ref_new (server, p, pc, gen), pc_ref_closure_free, 0);
  }

  gst_bin_add (GST_BIN (p->media->room->pipeline), webrtc);
  gst_element_sync_state_with_parent (webrtc);

  return webrtc;
}

static void
on_local_set (GstPromise *promise,
              gpointer    user_data)
{
  gst_promise_unref (promise);
  post (user_data);
}

/* Sets @desc as the local description and posts its text once it is set
 * (only then are the transceivers' mids known). */
static void
publish_local (GstElement                  *webrtc,
               GstWebRTCSessionDescription *desc,
               HopKind                      kind,
               const PcRef                 *ref)
{
  Hop *hop = hop_new (kind, ref);

  hop->text = gst_sdp_message_as_text (desc->sdp);
  g_signal_emit_by_name (webrtc, "set-local-description", desc,
                         gst_promise_new_with_change_func (on_local_set, hop, NULL));
}

typedef struct {
  GstElement *webrtc;
  PcRef      *ref;
} PromiseData;

static void
promise_data_free (gpointer data)
{
  PromiseData *pd = data;

  gst_object_unref (pd->webrtc);
  pc_ref_free (pd->ref);
  g_free (pd);
}

static PromiseData *
promise_data_new (GstElement  *webrtc,
                  const PcRef *ref)
{
  PromiseData *pd = g_new0 (PromiseData, 1);

  pd->webrtc = gst_object_ref (webrtc);
  pd->ref = pc_ref_copy (ref);

  return pd;
}

/* A client's SDP webrtcbin cannot work with: it is the client's problem,
 * logged, and the PeerConnection just stays silent. */
static void
promise_failed (const PcRef        *ref,
                const char         *what,
                const GstStructure *reply)
{
  g_autoptr (GError) error = NULL;

  if (reply != NULL && gst_structure_has_field (reply, "error"))
    gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
  ms_server_log (G_LOG_LEVEL_INFO, ref->room, ref->peer_id, "webrtcbin made no %s: %s", what,
                 error ? error->message : "no reason given");
}

static void
on_answer_created (GstPromise *promise,
                   gpointer    user_data)
{
  PromiseData *pd = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  g_autoptr (GstWebRTCSessionDescription) answer = NULL;

  if (reply != NULL)
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
  if (answer == NULL)
    promise_failed (pd->ref, "answer", reply);
  gst_promise_unref (promise);
  if (answer == NULL)
    return;

  publish_local (pd->webrtc, answer, HOP_ANSWER_READY, pd->ref);
}

static void
on_offer_set (GstPromise *promise,
              gpointer    user_data)
{
  PromiseData *pd = user_data;

  gst_promise_unref (promise);
  g_signal_emit_by_name (pd->webrtc, "create-answer", NULL,
                         gst_promise_new_with_change_func (on_answer_created,
                                                           promise_data_new (pd->webrtc, pd->ref),
                                                           promise_data_free));
}

static void
on_offer_created (GstPromise *promise,
                  gpointer    user_data)
{
  PromiseData *pd = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  g_autoptr (GstWebRTCSessionDescription) offer = NULL;

  if (reply != NULL)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  if (offer == NULL)
    promise_failed (pd->ref, "offer", reply);
  gst_promise_unref (promise);
  if (offer == NULL)
    return;

  publish_local (pd->webrtc, offer, HOP_OFFER_READY, pd->ref);
}

static void
on_remote_set (GstPromise *promise,
               gpointer    user_data)
{
  PromiseData *pd = user_data;

  gst_promise_unref (promise);
  post (hop_new (HOP_REMOTE_SET, pd->ref));
}

/* Frees the consumers, anywhere in the room, that read from @producer. */
static void
drop_consumers_of (MsParticipant *publisher,
                   MsProducer    *producer)
{
  MsRoom *room = publisher->room;

  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *s = g_ptr_array_index (room->participants, i);

    if (s->media == NULL)
      continue;
    for (guint j = s->media->consumers->len; j > 0; j--) {
      Consumer *c = g_ptr_array_index (s->media->consumers, j - 1);

      if (c->producer != producer)
        continue;
      if (s->media->offer_pending) {
        /* The offer being made (or answered) lists the consumers by
         * m-line: its entry stays, fed by nothing, until the answer is
         * in and the next offer leaves it out. Removed, the offer went
         * out with the wrong tracks (or none) and was never answered. */
        g_clear_pointer (&c->consumer, ms_consumer_free);
        c->producer = NULL;
      } else {
        g_ptr_array_remove_index (s->media->consumers, j - 1);
      }
    }
  }
}

static void
stop_publish (MsParticipant *p)
{
  MsPeerMedia *media = p->media;

  for (guint i = 0; i < media->producers->len; i++)
    drop_consumers_of (p, ((Producer *) g_ptr_array_index (media->producers, i))->producer);
  g_ptr_array_set_size (media->producers, 0);
  g_hash_table_remove_all (media->mid_tags);
  drop_element (media->room, &media->publish);
  media->publish_gen = 0;
}

static void
stop_subscribe (MsParticipant *p)
{
  MsPeerMedia *media = p->media;

  g_ptr_array_set_size (media->consumers, 0);
  drop_element (media->room, &media->subscribe);
  media->subscribe_gen = 0;
  media->offer_pending = FALSE;
  media->connected = FALSE;
}

static void
peer_media_free (MsParticipant *p)
{
  stop_publish (p);
  stop_subscribe (p);
  g_ptr_array_unref (p->media->producers);
  g_ptr_array_unref (p->media->consumers);
  g_hash_table_unref (p->media->mid_tags);
  g_clear_pointer (&p->media, g_free);
}

void
ms_room_media_free (MsRoom *room)
{
  MsRoomMedia *media = room->media;

  if (media == NULL)
    return;

  /* Consumers first (any participant's may read anyone's producer). */
  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *p = g_ptr_array_index (room->participants, i);

    if (p->media != NULL)
      stop_subscribe (p);
  }
  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *p = g_ptr_array_index (room->participants, i);

    if (p->media != NULL)
      peer_media_free (p);
  }

  g_clear_handle_id (&media->update_id, g_source_remove);
  g_clear_handle_id (&media->bus_watch_id, g_source_remove);
  gst_element_set_state (media->pipeline, GST_STATE_NULL);
  gst_clear_object (&media->pipeline);
  g_free (media->room);
  g_free (media);
  room->media = NULL;
}

gboolean
ms_media_publish (MsServer        *server,
                  MsParticipant   *p,
                  const MsMessage *offer,
                  GError         **error)
{
  g_autoptr (GstWebRTCSessionDescription) desc = NULL;
  GPtrArray *tracks = offer->u.offer.tracks;
  GstSDPMessage *sdp;
  MsPeerMedia *media;
  PromiseData *pd;
  PcRef ref = { 0 };

  if (tracks == NULL || tracks->len == 0) {
    if (p->media != NULL)
      stop_publish (p);
    ms_media_update_room (server, p->room);
    return TRUE;
  }

  sdp = ms_sdp_check_offer (offer->u.offer.sdp, tracks, error);
  if (sdp == NULL)
    return FALSE;

  media = peer_media (server, p);
  stop_publish (p);
  for (guint i = 0; i < tracks->len; i++) {
    const MsTrackDesc *track = g_ptr_array_index (tracks, i);

    g_hash_table_insert (media->mid_tags, g_strdup (track->mid), g_strdup (track->tag));
  }

  media->publish_gen = next_gen++;
  media->publish = new_webrtcbin (server, p, MS_PC_PUBLISH, media->publish_gen);

  desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  ref.server = server;
  ref.room = p->room->name;
  ref.peer_id = p->id;
  ref.pc = MS_PC_PUBLISH;
  ref.gen = media->publish_gen;
  pd = promise_data_new (media->publish, &ref);
  g_signal_emit_by_name (media->publish, "set-remote-description", desc,
                         gst_promise_new_with_change_func (on_offer_set, pd, promise_data_free));

  ms_media_update_room (server, p->room);
  return TRUE;
}

gboolean
ms_media_subscribe_answer (MsServer      *server,
                           MsParticipant *p,
                           const char    *text,
                           GError       **error)
{
  g_autoptr (GstWebRTCSessionDescription) desc = NULL;
  GstSDPMessage *sdp;
  PromiseData *pd;
  PcRef ref = { 0 };

  if (p->media == NULL || p->media->subscribe == NULL || !p->media->offer_pending) {
    g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "There is no subscribe offer to answer");
    return FALSE;
  }

  sdp = ms_sdp_check_offer (text, NULL, error);
  if (sdp == NULL)
    return FALSE;

  desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  ref.server = server;
  ref.room = p->room->name;
  ref.peer_id = p->id;
  ref.pc = MS_PC_SUBSCRIBE;
  ref.gen = p->media->subscribe_gen;
  pd = promise_data_new (p->media->subscribe, &ref);
  g_signal_emit_by_name (p->media->subscribe, "set-remote-description", desc,
                         gst_promise_new_with_change_func (on_remote_set, pd, promise_data_free));

  return TRUE;
}

void
ms_media_add_candidate (MsParticipant *p,
                        MsPcKind       pc,
                        const char    *candidate,
                        guint          mline_index)
{
  GstElement *webrtc;

  if (p->media == NULL || candidate == NULL || candidate[0] == '\0')
    return;

  webrtc = pc == MS_PC_PUBLISH ? p->media->publish : p->media->subscribe;
  if (webrtc != NULL)
    g_signal_emit_by_name (webrtc, "add-ice-candidate", mline_index, candidate);
}

void
ms_media_close_track (MsParticipant *p,
                      const char    *tag)
{
  if (p->media == NULL)
    return;

  for (guint i = p->media->producers->len; i > 0; i--) {
    Producer *producer = g_ptr_array_index (p->media->producers, i - 1);

    if (g_str_equal (producer->tag, tag)) {
      drop_consumers_of (p, producer->producer);
      g_ptr_array_remove_index (p->media->producers, i - 1);
    }
  }
}

void
ms_media_peer_stop (MsServer      *server,
                    MsParticipant *p)
{
  if (p->media == NULL)
    return;

  peer_media_free (p);
  ms_media_update_room (server, p->room);
}

/* Whether @s should get @publisher's @track at all (not whether it is paused). */
static gboolean
should_consume (MsParticipant *s,
                MsParticipant *publisher,
                const char    *tag)
{
  return s != publisher && !publisher->hidden && s->client != NULL &&
         ms_grant_allows ((const char * const *) s->grants.recv_tracks, tag);
}

static gboolean
consumer_paused (MsParticipant *s,
                 MsParticipant *publisher,
                 const char    *tag)
{
  MsTrackDesc *track = ms_participant_find_track (publisher, tag);

  return !s->media->connected || track == NULL || track->paused ||
         !ms_participant_receives (s, publisher->id, tag);
}

/* The consumers @s should have, as (publisher, Producer) pairs. */
static GPtrArray *
wanted_consumers (MsParticipant *s)
{
  GPtrArray *wanted = g_ptr_array_new ();
  MsRoom *room = s->room;

  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *q = g_ptr_array_index (room->participants, i);

    if (q->media == NULL)
      continue;
    for (guint j = 0; j < q->media->producers->len; j++) {
      Producer *producer = g_ptr_array_index (q->media->producers, j);
      g_autoptr (GstCaps) caps = ms_producer_get_caps (producer->producer);

      if (wanted->len / 2 > LAST_PAYLOAD - FIRST_PAYLOAD)
        break;
      if (caps != NULL && should_consume (s, q, producer->tag)) {
        g_ptr_array_add (wanted, q);
        g_ptr_array_add (wanted, producer);
      }
    }
  }

  return wanted;
}

static gboolean
same_consumers (MsPeerMedia *media,
                GPtrArray   *wanted)
{
  if (media->consumers->len * 2 != wanted->len)
    return FALSE;

  for (guint i = 0; i < media->consumers->len; i++) {
    Consumer *c = g_ptr_array_index (media->consumers, i);
    gboolean found = FALSE;

    for (guint j = 0; j < wanted->len && !found; j += 2)
      found = ((Producer *) g_ptr_array_index (wanted, j + 1))->producer == c->producer;
    if (!found)
      return FALSE;
  }

  return TRUE;
}

static void
offer_subscribe (MsServer      *server,
                 MsParticipant *s,
                 GPtrArray     *wanted)
{
  MsPeerMedia *media = s->media;
  GstPadTemplate *templ;
  PcRef ref = { 0 };

  stop_subscribe (s);
  if (wanted->len == 0)
    return;

  media->subscribe_gen = next_gen++;
  media->subscribe = new_webrtcbin (server, s, MS_PC_SUBSCRIBE, media->subscribe_gen);
  templ = gst_element_get_pad_template (media->subscribe, "sink_%u");

  for (guint i = 0; i < wanted->len; i += 2) {
    MsParticipant *q = g_ptr_array_index (wanted, i);
    Producer *producer = g_ptr_array_index (wanted, i + 1);
    guint payload = FIRST_PAYLOAD + i / 2;
    g_autoptr (GstCaps) caps = NULL;
    GstPad *sink;
    Consumer *c;

    caps = ms_consumer_caps_for (producer->producer, payload);
    sink = gst_element_request_pad (media->subscribe, templ, NULL, caps);
    c = g_new0 (Consumer, 1);

    /* Requesting with caps does not reuse a transceiver (1.22): set the
     * direction of the one the pad made. */
    g_object_get (sink, "transceiver", &c->transceiver, NULL);
    g_object_set (c->transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                  NULL);
    c->peer_id = g_strdup (q->id);
    c->tag = g_strdup (producer->tag);
    c->kind = producer->kind;
    c->producer = producer->producer;
    c->consumer = ms_consumer_new (producer->producer, sink, payload);
    g_ptr_array_add (media->consumers, c);
    gst_object_unref (sink);
  }

  media->offer_pending = TRUE;
  ref.server = server;
  ref.room = s->room->name;
  ref.peer_id = s->id;
  ref.pc = MS_PC_SUBSCRIBE;
  ref.gen = media->subscribe_gen;
  g_signal_emit_by_name (media->subscribe, "create-offer", NULL,
                         gst_promise_new_with_change_func (on_offer_created,
                                                           promise_data_new (media->subscribe,
                                                                             &ref),
                                                           promise_data_free));
}

static void
apply_pauses (MsParticipant *s)
{
  MsRoom *room = s->room;

  for (guint i = 0; i < s->media->consumers->len; i++) {
    Consumer *c = g_ptr_array_index (s->media->consumers, i);
    MsParticipant *q = ms_room_lookup (room, c->peer_id);

    if (c->consumer != NULL)
      ms_consumer_set_paused (c->consumer, q == NULL || consumer_paused (s, q, c->tag));
  }
}

static gboolean
on_update (gpointer user_data)
{
  MsRoomMedia *media = user_data;
  MsRoom *room = g_hash_table_lookup (media->server->rooms, media->room);

  media->update_id = 0;
  if (room == NULL)
    return G_SOURCE_REMOVE;

  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *s = g_ptr_array_index (room->participants, i);
    g_autoptr (GPtrArray) wanted = NULL;

    if (s->client == NULL && s->media != NULL) {
      stop_publish (s);
      stop_subscribe (s);
      continue;
    }

    wanted = wanted_consumers (s);
    if (s->media == NULL && wanted->len == 0)
      continue;
    peer_media (media->server, s);

    ms_server_log (G_LOG_LEVEL_DEBUG, room->name, s->id, "consumers: %u wanted, %u now%s",
                   wanted->len / 2, s->media->consumers->len,
                   s->media->offer_pending ? ", offer pending" : "");
    if (!same_consumers (s->media, wanted) && !s->media->offer_pending)
      offer_subscribe (media->server, s, wanted);
    else
      apply_pauses (s);
  }

  return G_SOURCE_REMOVE;
}

void
ms_media_update_room (MsServer *server,
                      MsRoom   *room)
{
  MsRoomMedia *media = room_media (server, room);

  /* Pauses take effect now, so that a resumed track's first keyframe is
   * not dropped; new or gone consumers wait for the idle. */
  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *s = g_ptr_array_index (room->participants, i);

    if (s->media != NULL)
      apply_pauses (s);
  }

  if (media->update_id == 0)
    media->update_id = g_idle_add (on_update, media);
}

static void
hop_producer (MsParticipant *p,
              Hop           *hop)
{
  const char *tag = hop->mid ? g_hash_table_lookup (p->media->mid_tags, hop->mid) : NULL;
  MsTrackDesc *track = tag ? ms_participant_find_track (p, tag) : NULL;
  Producer *producer;

  if (track == NULL) {
    ms_server_log (G_LOG_LEVEL_DEBUG, p->room->name, p->id, "media on unknown mid %s",
                   hop->mid ? hop->mid : "(none)");
    return;   /* hop_free() frees the producer */
  }

  /* A new stream for a tag (webrtcbin announces a new pad when the
   * sender's SSRC changes) replaces the old one. */
  ms_media_close_track (p, tag);

  producer = g_new0 (Producer, 1);
  producer->tag = g_strdup (tag);
  producer->kind = track->kind;
  producer->producer = g_steal_pointer (&hop->producer);
  g_ptr_array_add (p->media->producers, producer);
  ms_server_log (G_LOG_LEVEL_INFO, p->room->name, p->id, "media flowing for %s", tag);
  ms_media_update_room (hop->ref.server, p->room);
}

/* The mid of the m-line webrtcbin made for @transceiver: its a=ssrc
 * lines name the transceiver in their msid. By name, not by index: a
 * transceiver whose pad went away while the offer was being made (its
 * producer left) gets no m-line at all, and every index after it moves. */
static char *
mid_of_transceiver (const GstSDPMessage *sdp,
                    GObject             *transceiver)
{
  g_autofree char *name = transceiver ? gst_object_get_name (GST_OBJECT (transceiver)) : NULL;

  if (name == NULL)
    return NULL;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

    for (guint j = 0; j < gst_sdp_media_attributes_len (media); j++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, j);
      const char *space;

      if (g_strcmp0 (attr->key, "ssrc") != 0 || attr->value == NULL ||
          strstr (attr->value, " msid:") == NULL)
        continue;
      space = strrchr (attr->value, ' ');
      if (space != NULL && g_str_equal (space + 1, name))
        return g_strdup (gst_sdp_media_get_attribute_val (media, "mid"));
    }
  }

  return NULL;
}

static void
hop_offer_ready (MsParticipant *s,
                 Hop           *hop)
{
  g_autoptr (MsMessage) offer = ms_message_new (MS_MSG_OFFER);
  GstSDPMessage *sdp = ms_sdp_parse (hop->text);

  offer->u.offer.pc = MS_PC_SUBSCRIBE;
  offer->u.offer.sdp = g_strdup (hop->text);
  offer->u.offer.tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_track_desc_free);
  for (guint i = 0; sdp != NULL && i < s->media->consumers->len; i++) {
    Consumer *c = g_ptr_array_index (s->media->consumers, i);
    MsParticipant *q = ms_room_lookup (s->room, c->peer_id);
    MsTrackDesc *track = q ? ms_participant_find_track (q, c->tag) : NULL;
    g_autofree char *mid = mid_of_transceiver (sdp, G_OBJECT (c->transceiver));
    MsTrackDesc *desc;

    /* No m-line: a consumer whose producer left meanwhile. Its entry
     * stays until the answer is in; the next offer leaves it out. */
    if (mid == NULL) {
      ms_server_log (G_LOG_LEVEL_DEBUG, s->room->name, s->id,
                     "subscribe offer: no m-line for %s of %s", c->tag, c->peer_id);
      continue;
    }
    desc = ms_track_desc_new (c->tag, c->kind, track ? track->paused : FALSE);
    desc->mid = g_steal_pointer (&mid);
    desc->peer_id = g_strdup (c->peer_id);
    g_ptr_array_add (offer->u.offer.tracks, desc);
  }
  if (sdp != NULL)
    gst_sdp_message_free (sdp);

  ms_server_log (G_LOG_LEVEL_DEBUG, s->room->name, s->id, "subscribe offer with %u tracks",
                 offer->u.offer.tracks->len);
  send_to (s, offer);
}

static void
hop_candidate (MsParticipant *p,
               Hop           *hop)
{
  g_autoptr (MsMessage) msg = ms_message_new (MS_MSG_CANDIDATE);
  const char *announced = hop->ref.server->config->media_announced;

  msg->u.candidate.pc = hop->ref.pc;
  msg->u.candidate.sdp_mline_index = hop->mline;
  /* Behind NAT, the address clients reach is not the one we bind. */
  if (announced != NULL && announced[0] != '\0') {
    g_auto (GStrv) fields = g_strsplit (hop->text, " ", -1);

    if (g_strv_length (fields) > 5) {
      g_free (fields[4]);
      fields[4] = g_strdup (announced);
    }
    msg->u.candidate.candidate = g_strjoinv (" ", fields);
  } else {
    msg->u.candidate.candidate = g_steal_pointer (&hop->text);
  }

  send_to (p, msg);
}

static gboolean
on_hop (gpointer data)
{
  Hop *hop = data;
  MsParticipant *p = resolve (&hop->ref);

  if (hop->kind == HOP_READY) {
    MsRoom *room = g_hash_table_lookup (hop->ref.server->rooms, hop->ref.room);

    if (room != NULL)
      ms_media_update_room (hop->ref.server, room);
    return G_SOURCE_REMOVE;
  }

  if (p == NULL)
    return G_SOURCE_REMOVE;

  switch (hop->kind) {
  case HOP_PRODUCER:
    hop_producer (p, hop);
    break;
  case HOP_ANSWER_READY: {
    g_autoptr (MsMessage) answer = ms_message_new (MS_MSG_ANSWER);

    answer->u.answer.pc = MS_PC_PUBLISH;
    answer->u.answer.sdp = g_steal_pointer (&hop->text);
    send_to (p, answer);
    break;
  }
  case HOP_OFFER_READY:
    hop_offer_ready (p, hop);
    break;
  case HOP_REMOTE_SET:
    ms_server_log (G_LOG_LEVEL_DEBUG, p->room->name, p->id, "subscribe answer applied");
    p->media->offer_pending = FALSE;
    apply_pauses (p);
    ms_media_update_room (hop->ref.server, p->room);
    break;
  case HOP_CANDIDATE:
    hop_candidate (p, hop);
    break;
  case HOP_CONNECTED:
    /* Unpausing asks each video publisher for a keyframe, now that it can
     * reach the subscriber. */
    ms_server_log (G_LOG_LEVEL_DEBUG, p->room->name, p->id, "subscribe connected");
    p->media->connected = TRUE;
    apply_pauses (p);
    break;
  case HOP_READY:
  default:
    break;
  }

  return G_SOURCE_REMOVE;
}
