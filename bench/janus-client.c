/* janus-client.c: a bench-only Janus VideoRoom participant
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same load as mediastore-bot, against Janus instead of
 * mediastore-server, so that a comparison measures the servers and not the
 * clients: it publishes the very track bin libmediastore builds for a
 * pre-encoded file (through its private ms_local_track_make_bin(), as this
 * tool lives in the same tree), its webrtcbins are set up as MsSession sets
 * them up (max-bundle, the same jitterbuffer latency, UDP-only ICE), and
 * what it receives is only counted, as by a bot without --subscribe. The
 * statistics it prints have the bot's shape, SIGUSR1 included.
 *
 * It speaks the Janus WebSocket API ("janus-protocol"): create a session,
 * attach the VideoRoom plugin, join as a publisher (which also brings the
 * list of who publishes), publish with a JSEP offer, and once the expected
 * publishers are there subscribe to all of them on a second handle, where
 * Janus offers and we answer. Candidates are trickled; Janus puts its own
 * in its SDP.
 */

#define G_LOG_DOMAIN "MsJanusClient"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdatomic.h>
#include <stdio.h>

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "mediastore.h"
#include "ms-local-track-private.h"
#include "ms-sdp.h"
#include "ms-srtp-crypto.h"

/* As libmediastore's MsSession. */
#define JITTER_LATENCY_MS 100
#define VIDEO_PAYLOAD     96
#define KEEPALIVE_SECONDS 25

typedef enum {
  PC_PUBLISH,
  PC_SUBSCRIBE,
} PcKind;

typedef struct {
  char                 *feed;
  atomic_uint_fast64_t  packets;
  atomic_uint_fast64_t  bytes;
  atomic_uint_fast64_t  lost;
  gint                  last_seq;   /* atomic; -1 before the first packet */
} Received;

typedef struct {
  GMainLoop               *loop;
  SoupSession             *soup;
  SoupWebsocketConnection *ws;
  GstElement              *pipeline;
  GstElement              *webrtc[2];
  GPtrArray               *candidates[2];  /* of JsonNode, until the SDP went */
  gboolean                 sdp_sent[2];
  gint64                   handle[2];
  gint64                   session_id;
  guint                    keepalive_id;
  guint                    next_transaction;

  /* options */
  gint64                   room;
  gint64                   feed_id;
  char                    *publish_file;
  char                    *name;
  guint                    expect_publishers;
  guint                    expect_tracks;
  gboolean                 stay;
  gboolean                 stats;

  GHashTable              *publishers;     /* feed id (string) of the others */
  gboolean                 subscribing;
  GHashTable              *mid_feeds;      /* mid → feed id, of the subscription */
  GMutex                   lock;           /* guards received */
  GPtrArray               *received;       /* of Received */

  gint64                   started_us;
  gint64                   joined_us;
  gboolean                 reached;
  int                      status;
} Client;

typedef struct {
  Client *client;
  PcKind  pc;
  char   *sdp;       /* or NULL */
  char   *candidate; /* or NULL */
  guint   mline;
} Hop;

static void
received_free (gpointer data)
{
  Received *received = data;

  g_free (received->feed);
  g_free (received);
}

static void
hop_free (gpointer data)
{
  Hop *hop = data;

  g_free (hop->sdp);
  g_free (hop->candidate);
  g_free (hop);
}

static void
finish (Client *client,
        int     status)
{
  client->status = status;
  g_main_loop_quit (client->loop);
}

/* ---- the Janus API ---- */

static void
send_json (Client     *client,
           JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  if (client->ws == NULL ||
      soup_websocket_connection_get_state (client->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;

  json_node_set_object (node, object);
  text = json_to_string (node, FALSE);
  soup_websocket_connection_send_text (client->ws, text);
}

/* A request; @what is the transaction's prefix, which says what the
 * reply is for. Takes @object. */
static void
request (Client     *client,
         const char *janus,
         const char *what,
         gint64      handle,
         JsonObject *object)
{
  g_autoptr (JsonObject) message = object ? object : json_object_new ();
  g_autofree char *transaction = g_strdup_printf ("%s-%u", what, ++client->next_transaction);

  json_object_set_string_member (message, "janus", janus);
  json_object_set_string_member (message, "transaction", transaction);
  if (client->session_id != 0)
    json_object_set_int_member (message, "session_id", client->session_id);
  if (handle != 0)
    json_object_set_int_member (message, "handle_id", handle);
  send_json (client, message);
}

static void
attach (Client     *client,
        const char *what)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "plugin", "janus.plugin.videoroom");
  request (client, "attach", what, 0, message);
}

/* A VideoRoom request on @pc's handle; takes @body and @jsep (nullable). */
static void
plugin_request (Client     *client,
                PcKind      pc,
                const char *what,
                JsonObject *body,
                JsonObject *jsep)
{
  JsonObject *message = json_object_new ();

  json_object_set_object_member (message, "body", body);
  if (jsep != NULL)
    json_object_set_object_member (message, "jsep", jsep);
  request (client, "message", what, client->handle[pc], message);
}

static JsonObject *
jsep_new (const char *type,
          const char *sdp)
{
  JsonObject *jsep = json_object_new ();

  json_object_set_string_member (jsep, "type", type);
  json_object_set_string_member (jsep, "sdp", sdp);
  return jsep;
}

static void
send_candidate (Client   *client,
                PcKind    pc,
                JsonNode *candidate)
{
  JsonObject *message = json_object_new ();

  json_object_set_member (message, "candidate", json_node_copy (candidate));
  request (client, "trickle", "trickle", client->handle[pc], message);
}

static gboolean
on_keepalive (gpointer user_data)
{
  request (user_data, "keepalive", "keepalive", 0, NULL);
  return G_SOURCE_CONTINUE;
}

/* ---- media ---- */

static gboolean
on_hop (gpointer data)
{
  Hop *hop = data;
  Client *client = hop->client;

  if (hop->sdp != NULL) {
    if (hop->pc == PC_PUBLISH) {
      JsonObject *body = json_object_new ();

      json_object_set_string_member (body, "request", "publish");
      plugin_request (client, PC_PUBLISH, "publish", body, jsep_new ("offer", hop->sdp));
    } else {
      JsonObject *body = json_object_new ();

      json_object_set_string_member (body, "request", "start");
      plugin_request (client, PC_SUBSCRIBE, "start", body, jsep_new ("answer", hop->sdp));
    }
    client->sdp_sent[hop->pc] = TRUE;
    for (guint i = 0; i < client->candidates[hop->pc]->len; i++)
      send_candidate (client, hop->pc, g_ptr_array_index (client->candidates[hop->pc], i));
    g_ptr_array_set_size (client->candidates[hop->pc], 0);
  } else {
    g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
    JsonObject *candidate = json_object_new ();

    if (hop->candidate != NULL) {
      json_object_set_string_member (candidate, "candidate", hop->candidate);
      json_object_set_int_member (candidate, "sdpMLineIndex", hop->mline);
    } else {
      json_object_set_boolean_member (candidate, "completed", TRUE);
    }
    json_node_take_object (node, candidate);
    if (client->sdp_sent[hop->pc])
      send_candidate (client, hop->pc, node);
    else
      g_ptr_array_add (client->candidates[hop->pc], g_steal_pointer (&node));
  }

  return G_SOURCE_REMOVE;
}

static void
post (Client *client,
      PcKind  pc,
      char   *sdp,
      char   *candidate,
      guint   mline)
{
  Hop *hop = g_new0 (Hop, 1);

  hop->client = client;
  hop->pc = pc;
  hop->sdp = sdp;
  hop->candidate = candidate;
  hop->mline = mline;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, on_hop, hop, hop_free);
}

static void
on_ice_candidate (GstElement *webrtc,
                  guint       mline,
                  const char *candidate,
                  Client     *client)
{
  post (client, webrtc == client->webrtc[PC_PUBLISH] ? PC_PUBLISH : PC_SUBSCRIBE, NULL,
        g_strdup (candidate), mline);
}

static void
on_gathering (GstElement *webrtc,
              GParamSpec *pspec,
              Client     *client)
{
  GstWebRTCICEGatheringState state;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    post (client, webrtc == client->webrtc[PC_PUBLISH] ? PC_PUBLISH : PC_SUBSCRIBE, NULL, NULL,
          0);
}

typedef struct {
  Client *client;
  PcKind  pc;
  char   *sdp;
} LocalSet;

static void
on_local_set (GstPromise *promise,
              gpointer    user_data)
{
  LocalSet *set = user_data;

  gst_promise_unref (promise);
  /* The mids are known once the local description is set. */
  post (set->client, set->pc, set->sdp, NULL, 0);
  g_free (set);
}

static void
on_description_created (GstPromise *promise,
                        gpointer    user_data)
{
  Client *client = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  g_autoptr (GstWebRTCSessionDescription) desc = NULL;
  PcKind pc = PC_PUBLISH;
  LocalSet *set;

  if (reply != NULL && gst_structure_has_field (reply, "offer")) {
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
  } else if (reply != NULL && gst_structure_has_field (reply, "answer")) {
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
    pc = PC_SUBSCRIBE;
  }
  gst_promise_unref (promise);
  if (desc == NULL) {
    g_message ("webrtcbin made no description");
    return;
  }

  set = g_new0 (LocalSet, 1);
  set->client = client;
  set->pc = pc;
  set->sdp = gst_sdp_message_as_text (desc->sdp);
  g_signal_emit_by_name (client->webrtc[pc], "set-local-description", desc,
                         gst_promise_new_with_change_func (on_local_set, set, NULL));
}

static void
on_offer_set (GstPromise *promise,
              gpointer    user_data)
{
  Client *client = user_data;

  gst_promise_unref (promise);
  g_signal_emit_by_name (client->webrtc[PC_SUBSCRIBE], "create-answer", NULL,
                         gst_promise_new_with_change_func (on_description_created, client,
                                                           NULL));
}

static void
count_packet (Received  *received,
              GstBuffer *buffer)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gint seq;
  gint last;

  /* As MsRemoteTrack counts. */
  atomic_fetch_add (&received->packets, 1);
  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return;

  atomic_fetch_add (&received->bytes, gst_rtp_buffer_get_payload_len (&rtp));
  seq = gst_rtp_buffer_get_seq (&rtp);
  last = g_atomic_int_get (&received->last_seq);
  if (last >= 0) {
    guint16 gap = (guint16) (seq - last);

    if (gap > 1 && gap < 0x8000)
      atomic_fetch_add (&received->lost, gap - 1);
  }
  g_atomic_int_set (&received->last_seq, seq);
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
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    count_packet (user_data, GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), count_list_item, user_data);

  return GST_PAD_PROBE_OK;
}

static void
on_subscribe_pad (GstElement *webrtc,
                  GstPad     *pad,
                  Client     *client)
{
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;
  g_autofree char *mid = NULL;
  g_autoptr (GstPad) sink_pad = NULL;
  GstElement *sink;
  Received *received;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;

  g_object_get (pad, "transceiver", &transceiver, NULL);
  if (transceiver != NULL)
    g_object_get (transceiver, "mid", &mid, NULL);

  received = g_new0 (Received, 1);
  received->last_seq = -1;
  g_mutex_lock (&client->lock);
  received->feed = g_strdup (mid ? g_hash_table_lookup (client->mid_feeds, mid) : NULL);
  if (received->feed == NULL)
    received->feed = g_strdup (mid ? mid : "?");
  g_ptr_array_add (client->received, received);
  g_mutex_unlock (&client->lock);

  /* Linked at once: an unlinked pad stops the whole bundle. */
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (client->pipeline), sink);
  sink_pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, on_rtp,
                     received, NULL);
  gst_pad_link (pad, sink_pad);
  gst_element_sync_state_with_parent (sink);
}

static GstElement *
new_webrtcbin (Client *client,
               PcKind  pc)
{
  GstElement *webrtc = gst_element_factory_make ("webrtcbin", NULL);
  g_autoptr (GObject) ice = NULL;

  g_object_set (webrtc,
                "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", JITTER_LATENCY_MS,
                NULL);
  /* UDP only, as MsSession. Janus leaves out loopback interfaces, so no
   * 127.0.0.1 here: both ends meet on the machine's own address. */
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);

  g_signal_connect (webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), client);
  g_signal_connect (webrtc, "notify::ice-gathering-state", G_CALLBACK (on_gathering), client);
  if (pc == PC_SUBSCRIBE)
    g_signal_connect (webrtc, "pad-added", G_CALLBACK (on_subscribe_pad), client);

  gst_bin_add (GST_BIN (client->pipeline), webrtc);
  gst_element_sync_state_with_parent (webrtc);
  client->webrtc[pc] = webrtc;

  return webrtc;
}

static gboolean
start_publish (Client  *client,
               GError **error)
{
  g_autoptr (MsLocalTrack) track = ms_local_track_new_for_file (client->publish_file, error);
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;
  guint32 ssrc = g_random_int ();
  GstElement *webrtc;
  GstElement *bin;

  if (track == NULL)
    return FALSE;
  bin = ms_local_track_make_bin (track, VIDEO_PAYLOAD, ssrc, error);
  if (bin == NULL)
    return FALSE;

  webrtc = new_webrtcbin (client, PC_PUBLISH);
  caps = ms_local_track_make_caps (track, VIDEO_PAYLOAD, ssrc);
  sink = gst_element_request_pad (webrtc, gst_element_get_pad_template (webrtc, "sink_%u"), NULL,
                                  caps);
  /* As MsSession: requesting with caps makes a transceiver of its own
   * (1.22), whose direction is set afterwards. */
  g_object_get (sink, "transceiver", &transceiver, NULL);
  g_object_set (transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);

  gst_bin_add (GST_BIN (client->pipeline), bin);
  src = gst_element_get_static_pad (bin, "src");
  gst_pad_link (src, sink);
  gst_element_sync_state_with_parent (bin);
  gst_object_unref (bin);

  g_signal_emit_by_name (webrtc, "create-offer", NULL,
                         gst_promise_new_with_change_func (on_description_created, client, NULL));
  return TRUE;
}

static void
set_remote (Client     *client,
            PcKind      pc,
            JsonObject *jsep)
{
  const char *type = json_object_get_string_member_with_default (jsep, "type", "");
  const char *text = json_object_get_string_member_with_default (jsep, "sdp", "");
  g_autoptr (GstWebRTCSessionDescription) desc = NULL;
  GstSDPMessage *sdp = ms_sdp_parse (text);
  GstPromise *promise;

  if (sdp == NULL) {
    g_message ("Janus sent SDP that does not parse");
    return;
  }

  if (g_str_equal (type, "offer")) {
    desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, sdp);
    promise = gst_promise_new_with_change_func (on_offer_set, client, NULL);
  } else {
    desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
    promise = gst_promise_new ();
  }
  g_signal_emit_by_name (client->webrtc[pc], "set-remote-description", desc, promise);
  if (!g_str_equal (type, "offer"))
    gst_promise_unref (promise);
}

/* ---- the room ---- */

static void
maybe_subscribe (Client *client)
{
  if (client->subscribing || client->expect_publishers == 0 ||
      g_hash_table_size (client->publishers) < client->expect_publishers)
    return;

  client->subscribing = TRUE;
  attach (client, "attach-sub");
}

static void
join_subscriber (Client *client)
{
  JsonObject *body = json_object_new ();
  JsonArray *streams = json_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, client->publishers);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    JsonObject *stream = json_object_new ();

    json_object_set_int_member (stream, "feed", g_ascii_strtoll (key, NULL, 10));
    json_array_add_object_element (streams, stream);
  }

  json_object_set_string_member (body, "request", "join");
  json_object_set_string_member (body, "ptype", "subscriber");
  json_object_set_int_member (body, "room", client->room);
  json_object_set_array_member (body, "streams", streams);
  plugin_request (client, PC_SUBSCRIBE, "join-sub", body, NULL);
}

static void
note_publishers (Client    *client,
                 JsonArray *publishers)
{
  for (guint i = 0; publishers != NULL && i < json_array_get_length (publishers); i++) {
    JsonObject *publisher = json_array_get_object_element (publishers, i);
    gint64 id = json_object_get_int_member_with_default (publisher, "id", 0);

    if (id != 0 && id != client->feed_id)
      g_hash_table_add (client->publishers, g_strdup_printf ("%" G_GINT64_FORMAT, id));
  }
  maybe_subscribe (client);
}

static void
on_attached (Client     *client,
             JsonObject *data,
             JsonObject *jsep)
{
  JsonArray *streams = json_object_get_array_member (data, "streams");

  g_mutex_lock (&client->lock);
  for (guint i = 0; streams != NULL && i < json_array_get_length (streams); i++) {
    JsonObject *stream = json_array_get_object_element (streams, i);
    const char *mid = json_object_get_string_member_with_default (stream, "mid", NULL);
    gint64 feed = json_object_get_int_member_with_default (stream, "feed_id", 0);

    if (mid != NULL)
      g_hash_table_insert (client->mid_feeds, g_strdup (mid),
                           g_strdup_printf ("%" G_GINT64_FORMAT, feed));
  }
  g_mutex_unlock (&client->lock);

  if (jsep == NULL) {
    g_printerr (_("Janus offered no media\n"));
    finish (client, 1);
    return;
  }
  new_webrtcbin (client, PC_SUBSCRIBE);
  set_remote (client, PC_SUBSCRIBE, jsep);
}

static void
on_plugin_event (Client     *client,
                 gint64      sender,
                 JsonObject *data,
                 JsonObject *jsep)
{
  const char *videoroom = json_object_get_string_member_with_default (data, "videoroom", "");

  if (json_object_has_member (data, "error")) {
    g_printerr (_("Janus refused a request: %s\n"),
                json_object_get_string_member_with_default (data, "error", ""));
    finish (client, 1);
    return;
  }

  if (sender == client->handle[PC_SUBSCRIBE] && g_str_equal (videoroom, "attached")) {
    on_attached (client, data, jsep);
    return;
  }
  if (sender != client->handle[PC_PUBLISH])
    return;

  if (g_str_equal (videoroom, "joined")) {
    g_autoptr (GError) error = NULL;

    client->joined_us = g_get_monotonic_time ();
    client->feed_id = json_object_get_int_member_with_default (data, "id", client->feed_id);
    if (client->publish_file != NULL && !start_publish (client, &error)) {
      g_printerr ("%s\n", error->message);
      finish (client, 1);
      return;
    }
    note_publishers (client, json_object_get_array_member (data, "publishers"));
  } else if (json_object_has_member (data, "publishers")) {
    note_publishers (client, json_object_get_array_member (data, "publishers"));
  }

  if (jsep != NULL && client->webrtc[PC_PUBLISH] != NULL)
    set_remote (client, PC_PUBLISH, jsep);
}

static void
on_success (Client     *client,
            const char *transaction,
            JsonObject *data)
{
  gint64 id = data ? json_object_get_int_member_with_default (data, "id", 0) : 0;

  if (g_str_has_prefix (transaction, "create-")) {
    client->session_id = id;
    client->keepalive_id = g_timeout_add_seconds (KEEPALIVE_SECONDS, on_keepalive, client);
    attach (client, "attach-pub");
  } else if (g_str_has_prefix (transaction, "attach-pub-")) {
    JsonObject *body = json_object_new ();

    client->handle[PC_PUBLISH] = id;
    json_object_set_string_member (body, "request", "join");
    json_object_set_string_member (body, "ptype", "publisher");
    json_object_set_int_member (body, "room", client->room);
    json_object_set_string_member (body, "display", client->name);
    if (client->feed_id != 0)
      json_object_set_int_member (body, "id", client->feed_id);
    plugin_request (client, PC_PUBLISH, "join-pub", body, NULL);
  } else if (g_str_has_prefix (transaction, "attach-sub-")) {
    client->handle[PC_SUBSCRIBE] = id;
    join_subscriber (client);
  }
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               SoupWebsocketDataType    type,
               GBytes                  *bytes,
               Client                  *client)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize length;
  const char *text = g_bytes_get_data (bytes, &length);
  JsonObject *message;
  const char *janus;
  const char *transaction;

  if (!json_parser_load_from_data (parser, text, length, &error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_message ("Ignoring a frame from Janus: %s", error ? error->message : "not an object");
    return;
  }

  message = json_node_get_object (json_parser_get_root (parser));
  janus = json_object_get_string_member_with_default (message, "janus", "");
  transaction = json_object_get_string_member_with_default (message, "transaction", "");

  if (g_str_equal (janus, "success")) {
    on_success (client, transaction,
                json_object_has_member (message, "data") ?
                json_object_get_object_member (message, "data") : NULL);
  } else if (g_str_equal (janus, "event")) {
    JsonObject *plugindata = json_object_has_member (message, "plugindata") ?
                             json_object_get_object_member (message, "plugindata") : NULL;
    JsonObject *jsep = json_object_has_member (message, "jsep") ?
                       json_object_get_object_member (message, "jsep") : NULL;

    if (plugindata != NULL && json_object_has_member (plugindata, "data"))
      on_plugin_event (client, json_object_get_int_member_with_default (message, "sender", 0),
                       json_object_get_object_member (plugindata, "data"), jsep);
  } else if (g_str_equal (janus, "error")) {
    JsonObject *err = json_object_get_object_member (message, "error");

    g_printerr (_("Janus refused a request: %s\n"),
                err ? json_object_get_string_member_with_default (err, "reason", "") : "");
    finish (client, 1);
  } else if (g_str_equal (janus, "hangup")) {
    g_printerr (_("Janus hung up: %s\n"),
                json_object_get_string_member_with_default (message, "reason", ""));
  }
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              Client                  *client)
{
  g_printerr (_("Janus closed the connection\n"));
  finish (client, 1);
}

static void
on_ws_connected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Client *client = user_data;
  g_autoptr (GError) error = NULL;

  client->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (client->ws == NULL) {
    g_printerr (_("Could not reach Janus: %s\n"), error->message);
    finish (client, 1);
    return;
  }

  /* Janus's offers grow with every stream subscribed to. */
  soup_websocket_connection_set_max_incoming_payload_size (client->ws, 1024 * 1024);
  g_signal_connect (client->ws, "message", G_CALLBACK (on_ws_message), client);
  g_signal_connect (client->ws, "closed", G_CALLBACK (on_ws_closed), client);
  request (client, "create", "create", 0, NULL);
}

/* ---- statistics, as mediastore-bot prints them ---- */

static guint
n_arrived (Client *client)
{
  guint n = 0;

  g_mutex_lock (&client->lock);
  for (guint i = 0; i < client->received->len; i++)
    n += atomic_load (&((Received *) g_ptr_array_index (client->received, i))->packets) > 0;
  g_mutex_unlock (&client->lock);

  return n;
}

static void
print_stats (Client   *client,
             gboolean  pretty)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "connect_ms");
  json_builder_add_int_value (builder, client->joined_us ?
                              (client->joined_us - client->started_us) / 1000 : -1);
  json_builder_set_member_name (builder, "tracks");
  json_builder_begin_array (builder);
  g_mutex_lock (&client->lock);
  for (guint i = 0; i < client->received->len; i++) {
    Received *received = g_ptr_array_index (client->received, i);

    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "peer_id");
    json_builder_add_string_value (builder, received->feed);
    json_builder_set_member_name (builder, "tag");
    json_builder_add_string_value (builder, "camera");
    json_builder_set_member_name (builder, "kind");
    json_builder_add_string_value (builder, "video");
    json_builder_set_member_name (builder, "frames");
    json_builder_add_int_value (builder, 0);
    json_builder_set_member_name (builder, "packets");
    json_builder_add_int_value (builder, atomic_load (&received->packets));
    json_builder_set_member_name (builder, "bytes");
    json_builder_add_int_value (builder, atomic_load (&received->bytes));
    json_builder_set_member_name (builder, "packets_lost");
    json_builder_add_int_value (builder, atomic_load (&received->lost));
    json_builder_set_member_name (builder, "first_frame_ms");
    json_builder_add_int_value (builder, -1);
    json_builder_end_object (builder);
  }
  g_mutex_unlock (&client->lock);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = json_to_string (root, pretty);
  g_print ("%s\n", text);
  fflush (stdout);
}

static gboolean
on_check (gpointer user_data)
{
  Client *client = user_data;

  if (client->expect_tracks > 0 && n_arrived (client) >= client->expect_tracks) {
    client->reached = TRUE;
    if (!client->stay) {
      finish (client, 0);
    } else {
      g_print ("tracks-arrived\n");
      fflush (stdout);
    }
    return G_SOURCE_REMOVE;
  }

  return G_SOURCE_CONTINUE;
}

static gboolean
on_duration (gpointer user_data)
{
  Client *client = user_data;

  if (client->expect_tracks > 0 && !client->reached) {
    g_printerr (_("Only %u of the %u expected tracks arrived\n"), n_arrived (client),
                client->expect_tracks);
    finish (client, 1);
  } else {
    finish (client, 0);
  }

  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer user_data)
{
  finish (user_data, 0);
  return G_SOURCE_REMOVE;
}

static gboolean
on_snapshot (gpointer user_data)
{
  print_stats (user_data, FALSE);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  Client *client = user_data;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_LATENCY) {
    gst_bin_recalculate_latency (GST_BIN (client->pipeline));
  } else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) error = NULL;

    gst_message_parse_error (message, &error, NULL);
    g_message ("Media error from %s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
               error->message);
  }

  return G_SOURCE_CONTINUE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstClock) clock = NULL;
  g_autofree char *url = NULL;
  const char *protocols[] = { "janus-protocol", NULL };
  int duration = 30;
  int expect_publishers = 0;
  int expect_tracks = 0;
  Client client = { 0 };
  guint bus_watch;
  const GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, N_("Janus WebSocket address, ws://HOST:PORT"),
      N_("URL") },
    { "room", 0, 0, G_OPTION_ARG_INT64, &client.room, N_("VideoRoom room number"), N_("ROOM") },
    { "id", 0, 0, G_OPTION_ARG_INT64, &client.feed_id,
      N_("Publisher id in the room (default: chosen by Janus)"), N_("ID") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &client.name, N_("Display name"), N_("NAME") },
    { "publish", 0, 0, G_OPTION_ARG_FILENAME, &client.publish_file,
      N_("Pre-encoded VP8 WebM file to publish, in a loop"), N_("FILE") },
    { "expect-publishers", 0, 0, G_OPTION_ARG_INT, &expect_publishers,
      N_("Subscribe to every publisher once this many others publish"), N_("N") },
    { "expect-tracks", 0, 0, G_OPTION_ARG_INT, &expect_tracks,
      N_("As mediastore-bot: end once this many streams delivered media"), N_("N") },
    { "stay", 0, 0, G_OPTION_ARG_NONE, &client.stay,
      N_("As mediastore-bot: print “tracks-arrived” and stay"), NULL },
    { "duration", 0, 0, G_OPTION_ARG_INT, &duration, N_("Seconds to stay (default: 30)"),
      N_("SECONDS") },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &client.stats, N_("Print JSON statistics at the end"),
      NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("— a Janus VideoRoom participant for benchmarks"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  if (url == NULL || client.room <= 0 || duration <= 0 || expect_publishers < 0 ||
      expect_tracks < 0) {
    g_printerr (_("--url and --room are required, and --duration must be positive\n"));
    return 2;
  }

  /* libmediastore's PeerConnections run libsrtp2 on OpenSSL's crypto;
   * the Janus participant's webrtcbins do the same (libmediastore's
   * copy of ms-srtp-crypto.c, the client costs comparable). */
  ms_srtp_crypto_init ();
  client.expect_publishers = expect_publishers;
  client.expect_tracks = expect_tracks;
  if (client.name == NULL)
    client.name = g_strdup ("bench");
  client.loop = g_main_loop_new (NULL, FALSE);
  client.publishers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  client.mid_feeds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  client.received = g_ptr_array_new_with_free_func (received_free);
  client.candidates[PC_PUBLISH] = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  client.candidates[PC_SUBSCRIBE] = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_mutex_init (&client.lock);

  /* As MsSession: one pipeline on the system clock. */
  client.pipeline = gst_pipeline_new ("janus-client");
  clock = gst_system_clock_obtain ();
  gst_pipeline_use_clock (GST_PIPELINE (client.pipeline), clock);
  bus = gst_pipeline_get_bus (GST_PIPELINE (client.pipeline));
  bus_watch = gst_bus_add_watch (bus, on_bus_message, &client);
  gst_element_set_state (client.pipeline, GST_STATE_PLAYING);

  client.started_us = g_get_monotonic_time ();
  client.soup = soup_session_new ();
  msg = soup_message_new (SOUP_METHOD_GET, url);
  if (msg == NULL) {
    g_printerr (_("“%s” is not an address\n"), url);
    return 2;
  }
  soup_session_websocket_connect_async (client.soup, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, NULL, on_ws_connected, &client);
  g_timeout_add_seconds (duration, on_duration, &client);
  g_timeout_add (50, on_check, &client);
  g_unix_signal_add (SIGINT, on_signal, &client);
  g_unix_signal_add (SIGTERM, on_signal, &client);
  g_unix_signal_add (SIGUSR1, on_snapshot, &client);

  g_main_loop_run (client.loop);

  if (client.stats)
    print_stats (&client, TRUE);

  gst_element_set_state (client.pipeline, GST_STATE_NULL);
  g_source_remove (bus_watch);
  gst_object_unref (client.pipeline);
  if (client.ws != NULL) {
    g_signal_handlers_disconnect_by_data (client.ws, &client);
    if (soup_websocket_connection_get_state (client.ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (client.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    g_object_unref (client.ws);
  }
  g_clear_handle_id (&client.keepalive_id, g_source_remove);
  g_object_unref (client.soup);
  g_main_loop_unref (client.loop);
  g_hash_table_unref (client.publishers);
  g_hash_table_unref (client.mid_feeds);
  g_ptr_array_unref (client.received);
  g_ptr_array_unref (client.candidates[PC_PUBLISH]);
  g_ptr_array_unref (client.candidates[PC_SUBSCRIBE]);
  g_mutex_clear (&client.lock);
  g_free (client.publish_file);
  g_free (client.name);

  return client.status;
}
