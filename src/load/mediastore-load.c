/* mediastore-load.c: many peers in one room of a real server, from one
 * process with a fixed number of threads (issue 14, as LiveKit's
 * `lk load-test`)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each peer has its own WebSocket (libsoup, on the main context) and its
 * own engine transport (src/engine, the server's own ICE, DTLS and SRTP,
 * here as the controlling, DTLS-client side) with a UDP socket of its
 * own; all transports live on a few engine workers, so the thread count
 * does not grow with the peers. Nothing is decoded: a subscriber counts
 * RTP packets, bytes and sequence gaps per SSRC and the time from
 * joining to the first packet; a publisher sends synthetic VP8 (a real
 * payload descriptor and key frame header, junk data).
 */

#define G_LOG_DOMAIN "MsLoad"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms-engine.h"
#include "ms-sdp.h"
#include "ms-protocol.h"

#define MAX_STREAMS 64        /* SSRCs per subscriber: 32 m-lines, media and RTX */
#define RTP_PAYLOAD 1100      /* bytes of VP8 data per packet at most */

typedef struct _Load Load;
typedef struct _Peer Peer;
typedef struct _Worker Worker;

/* One SSRC a subscriber was offered: written by the owner once, before
 * n_streams counts it; the counters by the worker thread only. */
typedef struct {
  guint32          ssrc;
  gboolean         rtx;
  char            *mid;
  char            *peer_id;       /* the publisher, from the offer's tracks */
  char            *tag;
  _Atomic guint64  packets;
  _Atomic guint64  bytes;
  _Atomic guint64  ext_max;       /* highest extended sequence number */
  _Atomic guint64  base;          /* first one */
  _Atomic gint64   first_us;      /* 0 until the first packet */
} Stream;

/* One PeerConnection's transport: the subscribe or the publish one. */
typedef struct {
  Peer            *peer;
  gboolean         publish;
  Worker          *worker;
  guint            id;            /* 0: none yet */
  char            *ufrag;
  char            *pwd;
  char            *remote_ufrag;
  gint64           connected_us;
  MsEngineState    state;
} Conn;

struct _Peer {
  Load                    *load;
  guint                    index;
  char                    *identity;
  gboolean                 subscribe;
  gboolean                 publish;
  SoupWebsocketConnection *ws;
  gint64                   start_us;
  gint64                   welcome_us;
  char                    *peer_id;
  char                    *error;
  gboolean                 closed;
  gint64                   next_id;

  /* subscribe side */
  Conn                     sub;
  Stream                   streams[MAX_STREAMS];
  _Atomic guint            n_streams;
  _Atomic gint64           first_us;
  _Atomic guint64          rtcp_in;
  _Atomic guint64          unknown_in;
  guint                    offers;
  guint                    offers_in_place;

  /* publish side */
  Conn                     pub;
  guint32                  ssrc;
  guint16                  seq;
  guint32                  timestamp;
  guint                    frame;
  _Atomic gboolean         keyframe_wanted;
  guint64                  sent_packets;
  guint64                  sent_bytes;
  guint64                  keyframe_requests;
  char                    *token;         /* until the join */
};

/* One engine worker and its transports by id (the callbacks' data). */
struct _Worker {
  Load             *load;
  MsEngineWorker   *worker;
  _Atomic (Conn *) *conns;
  guint             capacity;
};

struct _Load {
  GMainLoop    *loop;
  SoupSession  *session;
  char         *url;
  char         *token_url;
  char         *secret;
  char         *room;
  char         *prefix;
  guint         n_subscribers;
  guint         n_publishers;
  guint         n_peers;
  guint         n_workers;
  guint         expect_tracks;
  guint         join_interval_ms;
  guint         duration_s;
  guint         fps;
  guint         bitrate_kbps;
  guint         keyframe_interval;
  gboolean      pretty;
  gboolean      hidden;        /* subscribers join invisible */
  const char   *srtp_profiles;

  Worker       *workers;
  GPtrArray    *peers;
  guint         next_join;
  gint64        start_us;
  gboolean      announced;
  gboolean      stopping;
  guint         open;          /* WebSockets still open while stopping */
  guint         frame_source;
  int           status;
};

static void peer_send (Peer      *peer,
                       MsMessage *msg);

/* Counting, on the worker threads */

static void
count_rtp (Peer         *peer,
           const guint8 *data,
           gsize         len)
{
  guint32 ssrc = GUINT32_FROM_BE (*(const guint32 *) (data + 8));
  guint16 seq = (data[2] << 8) | data[3];
  guint n = atomic_load_explicit (&peer->n_streams, memory_order_acquire);
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++) {
    Stream *s = &peer->streams[i];
    guint64 max, ext;

    if (s->ssrc != ssrc)
      continue;
    if (atomic_load_explicit (&s->first_us, memory_order_relaxed) == 0) {
      /* Extended numbers start high so that an early reordered packet
       * cannot go below zero. */
      atomic_store_explicit (&s->base, (1 << 16) + seq, memory_order_relaxed);
      atomic_store_explicit (&s->ext_max, (1 << 16) + seq, memory_order_relaxed);
      atomic_store_explicit (&s->first_us, now, memory_order_relaxed);
      if (!s->rtx)
        atomic_compare_exchange_strong (&peer->first_us, &(gint64) { 0 }, now);
    } else {
      max = atomic_load_explicit (&s->ext_max, memory_order_relaxed);
      ext = max + (gint16) (guint16) (seq - (guint16) max);
      if (ext > max)
        atomic_store_explicit (&s->ext_max, ext, memory_order_relaxed);
    }
    atomic_fetch_add_explicit (&s->packets, 1, memory_order_relaxed);
    atomic_fetch_add_explicit (&s->bytes, len, memory_order_relaxed);
    return;
  }
  atomic_fetch_add_explicit (&peer->unknown_in, 1, memory_order_relaxed);
}

/* A PLI (RTCP PT 206, FMT 1) or FIR (206, 4) anywhere in a compound
 * packet: the next frame a publisher sends is a key frame. */
static gboolean
asks_keyframe (const guint8 *data,
               gsize         len)
{
  gsize at = 0;

  while (at + 4 <= len) {
    gsize size = 4 * (1 + (gsize) ((data[at + 2] << 8) | data[at + 3]));
    guint fmt = data[at] & 0x1f;

    if (data[at + 1] == 206 && (fmt == 1 || fmt == 4))
      return TRUE;
    at += size;
  }
  return FALSE;
}

static void
on_rtp (MsEngineWorker *engine_worker,
        guint           transport_id,
        gboolean        is_rtcp,
        guint8         *data,
        gsize           len,
        gpointer        user_data)
{
  Worker *worker = user_data;
  Conn *conn = transport_id < worker->capacity ?
               atomic_load_explicit (&worker->conns[transport_id], memory_order_acquire) : NULL;

  if (conn == NULL)
    return;
  if (conn->publish) {
    if (is_rtcp && asks_keyframe (data, len))
      atomic_store (&conn->peer->keyframe_wanted, TRUE);
    return;
  }
  if (is_rtcp)
    atomic_fetch_add_explicit (&conn->peer->rtcp_in, 1, memory_order_relaxed);
  else if (len >= 12)
    count_rtp (conn->peer, data, len);
}

/* Transports, on the main context */

static void
on_state (MsEngineWorker *engine_worker,
          guint           transport_id,
          MsEngineState   state,
          gpointer        user_data)
{
  Worker *worker = user_data;
  Conn *conn = transport_id < worker->capacity ? atomic_load (&worker->conns[transport_id]) :
               NULL;

  if (conn == NULL || conn->id != transport_id)
    return;
  conn->state = state;
  if (state == MS_ENGINE_STATE_CONNECTED && conn->connected_us == 0)
    conn->connected_us = g_get_monotonic_time ();
  if (state == MS_ENGINE_STATE_FAILED && conn->peer->error == NULL)
    conn->peer->error = g_strdup (conn->publish ? "publish transport failed" :
                                  "subscribe transport failed");
}

static void
conn_drop (Conn *conn)
{
  if (conn->id == 0)
    return;
  atomic_store (&conn->worker->conns[conn->id], NULL);
  ms_engine_worker_remove_transport (conn->worker->worker, conn->id);
  conn->id = 0;
  conn->connected_us = 0;
  conn->state = MS_ENGINE_STATE_NEW;
}

/* The server's host candidate from @sdp (ICE-lite: its only one). */
static GInetSocketAddress *
server_candidate (const GstSDPMessage *sdp)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

    for (guint j = 0; j < gst_sdp_media_attributes_len (media); j++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, j);
      g_auto (GStrv) f = NULL;
      g_autoptr (GInetAddress) address = NULL;
      guint64 port;

      if (g_strcmp0 (attr->key, "candidate") != 0 || attr->value == NULL)
        continue;
      /* foundation component transport priority address port typ type */
      f = g_strsplit (attr->value, " ", -1);
      if (g_strv_length (f) < 8 || g_ascii_strcasecmp (f[2], "udp") != 0 ||
          g_strcmp0 (f[1], "1") != 0)
        continue;
      address = g_inet_address_new_from_string (f[4]);
      if (address == NULL || !g_ascii_string_to_unsigned (f[5], 10, 1, 65535, &port, NULL))
        continue;
      return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, port));
    }
  }
  return NULL;
}

/* A transport to the server for @conn, we the controlling side. */
static gboolean
conn_start (Conn                *conn,
            const GstSDPMessage *remote,
            const MsEngineOffer *transport,
            GError             **error)
{
  Load *load = conn->peer->load;
  g_autoptr (GInetSocketAddress) address = server_candidate (remote);
  MsEngineTransportParams params = { 0 };
  Worker *worker;

  if (address == NULL) {
    g_set_error (error, MS_ENGINE_ERROR, MS_ENGINE_ERROR_FAILED,
                 "the server's SDP has no UDP host candidate");
    return FALSE;
  }
  conn_drop (conn);
  worker = &load->workers[conn->peer->index % load->n_workers];
  conn->worker = worker;
  params.local_ufrag = conn->ufrag;
  params.local_pwd = conn->pwd;
  params.remote_ufrag = transport->ufrag;
  params.remote_pwd = transport->pwd;
  params.remote_fingerprint = transport->fingerprint;
  params.setup = transport->setup;
  params.remote_address = address;
  params.own_socket = TRUE;
  conn->id = ms_engine_worker_add_transport (worker->worker, &params);
  if (conn->id == 0 || conn->id >= worker->capacity) {
    g_set_error (error, MS_ENGINE_ERROR, MS_ENGINE_ERROR_FAILED,
                 "no room for another transport");
    return FALSE;
  }
  atomic_store_explicit (&worker->conns[conn->id], conn, memory_order_release);
  g_free (conn->remote_ufrag);
  conn->remote_ufrag = g_strdup (transport->ufrag);
  return TRUE;
}

/* SDP */

/* Our transport attributes on every m-line of @sdp that is not at port 0,
 * and the BUNDLE group of their mids. No candidate: the server is
 * ICE-lite and learns our address from our checks. */
static void
add_transport_attributes (GstSDPMessage *sdp,
                          const char    *ufrag,
                          const char    *pwd,
                          const char    *setup)
{
  g_autofree char *fingerprint = g_strdup_printf ("sha-256 %s",
                                                  ms_engine_certificate_fingerprint ());
  g_autoptr (GString) bundle = g_string_new ("BUNDLE");

  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (sdp, i);

    if (gst_sdp_media_get_port (media) == 0)
      continue;
    g_string_append_printf (bundle, " %s", gst_sdp_media_get_attribute_val (media, "mid"));
    gst_sdp_media_add_attribute (media, "ice-ufrag", ufrag);
    gst_sdp_media_add_attribute (media, "ice-pwd", pwd);
    gst_sdp_media_add_attribute (media, "fingerprint", fingerprint);
    gst_sdp_media_add_attribute (media, "setup", setup);
    gst_sdp_media_add_attribute (media, "rtcp-mux", "");
  }
  gst_sdp_message_add_attribute (sdp, "group", bundle->str);
}

static GstSDPMessage *
new_session (void)
{
  GstSDPMessage *sdp = NULL;
  g_autofree char *id = g_strdup_printf ("%" G_GUINT32_FORMAT, g_random_int () >> 1);

  gst_sdp_message_new (&sdp);
  gst_sdp_message_set_version (sdp, "0");
  gst_sdp_message_set_origin (sdp, "-", id, "2", "IN", "IP4", "0.0.0.0");
  gst_sdp_message_set_session_name (sdp, "-");
  gst_sdp_message_add_time (sdp, "0", "0", NULL);
  return sdp;
}



/* The SSRCs of an offered m-line, made known to the worker. */
static void
add_streams (Peer              *peer,
             const GstSDPMedia *media,
             const MsTrackDesc *track)
{
  const char *mid = gst_sdp_media_get_attribute_val (media, "mid");
  guint32 rtx_ssrc = 0;
  const char *group;

  for (guint i = 0; (group = gst_sdp_media_get_attribute_val_n (media, "ssrc-group", i)); i++) {
    g_auto (GStrv) f = g_strsplit (group, " ", -1);

    if (g_strv_length (f) == 3 && g_strcmp0 (f[0], "FID") == 0)
      rtx_ssrc = g_ascii_strtoull (f[2], NULL, 10);
  }
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);
    guint n = atomic_load (&peer->n_streams);
    guint32 ssrc;
    Stream *s = NULL;

    if (g_strcmp0 (attr->key, "ssrc") != 0 || attr->value == NULL)
      continue;
    ssrc = g_ascii_strtoull (attr->value, NULL, 10);
    for (guint k = 0; k < n && s == NULL; k++) {
      if (peer->streams[k].ssrc == ssrc)
        s = &peer->streams[k];
    }
    if (s != NULL) {
      /* An m-line that carries another track now: the same SSRC. */
      if (track != NULL && g_strcmp0 (s->tag, track->tag) != 0) {
        g_free (s->peer_id);
        g_free (s->tag);
        s->peer_id = g_strdup (track->peer_id);
        s->tag = g_strdup (track->tag);
      }
      continue;
    }
    if (n == MAX_STREAMS)
      return;
    s = &peer->streams[n];
    s->ssrc = ssrc;
    s->rtx = ssrc == rtx_ssrc;
    s->mid = g_strdup (mid);
    s->peer_id = g_strdup (track ? track->peer_id : NULL);
    s->tag = g_strdup (track ? track->tag : NULL);
    atomic_store_explicit (&peer->n_streams, n + 1, memory_order_release);
  }
}

/* A recvonly answer that mirrors each offered m-line: its codecs, RTX,
 * feedback and mid. */
static char *
subscribe_answer (Peer                *peer,
                  const GstSDPMessage *offer,
                  GPtrArray           *tracks)
{
  static const char *copied[] = { "rtpmap", "fmtp", "rtcp-fb", "mid", NULL };
  GstSDPMessage *answer = new_session ();
  char *text;

  for (guint i = 0; i < gst_sdp_message_medias_len (offer); i++) {
    const GstSDPMedia *in = gst_sdp_message_get_media (offer, i);
    const char *mid = gst_sdp_media_get_attribute_val (in, "mid");
    gboolean active = gst_sdp_media_get_port (in) != 0 && ms_sdp_in_bundle (offer, mid);
    GstSDPMedia *out = NULL;

    gst_sdp_media_new (&out);
    gst_sdp_media_set_media (out, gst_sdp_media_get_media (in));
    gst_sdp_media_set_proto (out, gst_sdp_media_get_proto (in));
    gst_sdp_media_set_port_info (out, active ? 9 : 0, 1);
    gst_sdp_media_add_connection (out, "IN", "IP4", "0.0.0.0", 0, 0);
    for (guint j = 0; j < gst_sdp_media_formats_len (in); j++)
      gst_sdp_media_add_format (out, gst_sdp_media_get_format (in, j));
    for (guint j = 0; j < gst_sdp_media_attributes_len (in); j++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (in, j);

      if (g_strv_contains (copied, attr->key))
        gst_sdp_media_add_attribute (out, attr->key, attr->value);
    }
    if (!active || gst_sdp_media_get_attribute_val (in, "inactive") != NULL ||
        gst_sdp_media_get_attribute_val (in, "recvonly") != NULL) {
      gst_sdp_media_add_attribute (out, "inactive", "");
    } else {
      gst_sdp_media_add_attribute (out, "recvonly", "");
      add_streams (peer, in, ms_sdp_track_of_mid (tracks, mid));
    }
    gst_sdp_message_add_media (answer, out);
    gst_sdp_media_free (out);
  }
  add_transport_attributes (answer, peer->sub.ufrag, peer->sub.pwd, "active");
  text = gst_sdp_message_as_text (answer);
  gst_sdp_message_free (answer);
  return text;
}

static void
on_subscribe_offer (Peer      *peer,
                    MsMessage *msg)
{
  g_auto (MsEngineOffer) transport = { 0 };
  g_autoptr (GError) error = NULL;
  GstSDPMessage *sdp = NULL;
  g_autoptr (MsMessage) reply = NULL;

  if (!peer->subscribe) {
    /* A publisher only: it receives nothing (its token allows nothing). */
    return;
  }
  if (gst_sdp_message_new_from_text (msg->u.offer.sdp, &sdp) != GST_SDP_OK) {
    peer->error = g_strdup ("the server's offer does not parse");
    return;
  }
  if (!ms_engine_sdp_read_offer (sdp, MS_ENGINE_SETUP_ACTIVE, &transport, &error)) {
    g_free (peer->error);
    peer->error = g_strdup_printf ("the server's offer cannot be used: %s", error->message);
    gst_sdp_message_free (sdp);
    return;
  }
  peer->offers++;
  if (peer->sub.id != 0 && g_strcmp0 (peer->sub.remote_ufrag, transport.ufrag) == 0) {
    peer->offers_in_place++;   /* renegotiation in place: same transport */
  } else {
    g_clear_pointer (&peer->sub.ufrag, g_free);
    g_clear_pointer (&peer->sub.pwd, g_free);
    ms_engine_ice_credentials_new (&peer->sub.ufrag, &peer->sub.pwd);
    if (!conn_start (&peer->sub, sdp, &transport, &error)) {
      g_free (peer->error);
      peer->error = g_strdup (error->message);
      gst_sdp_message_free (sdp);
      return;
    }
  }
  reply = ms_message_new (MS_MSG_ANSWER);
  reply->u.answer.pc = MS_PC_SUBSCRIBE;
  reply->u.answer.sdp = subscribe_answer (peer, sdp, msg->u.offer.tracks);
  gst_sdp_message_free (sdp);
  peer_send (peer, reply);
}

/* Publishing */

static void
publish_offer (Peer *peer)
{
  GstSDPMessage *sdp = new_session ();
  GstSDPMedia *media = NULL;
  g_autofree char *ssrc = g_strdup_printf ("%u cname:%s", peer->ssrc, peer->identity);
  g_autoptr (MsMessage) msg = ms_message_new (MS_MSG_OFFER);

  ms_engine_ice_credentials_new (&peer->pub.ufrag, &peer->pub.pwd);
  gst_sdp_media_new (&media);
  gst_sdp_media_set_media (media, "video");
  gst_sdp_media_set_proto (media, "UDP/TLS/RTP/SAVPF");
  gst_sdp_media_set_port_info (media, 9, 1);
  gst_sdp_media_add_connection (media, "IN", "IP4", "0.0.0.0", 0, 0);
  gst_sdp_media_add_format (media, "96");
  gst_sdp_media_add_attribute (media, "mid", "0");
  gst_sdp_media_add_attribute (media, "sendonly", "");
  gst_sdp_media_add_attribute (media, "rtpmap", "96 VP8/90000");
  /* No "nack": these publishers keep no history to answer one. */
  gst_sdp_media_add_attribute (media, "rtcp-fb", "96 nack pli");
  gst_sdp_media_add_attribute (media, "rtcp-fb", "96 ccm fir");
  gst_sdp_media_add_attribute (media, "ssrc", ssrc);
  gst_sdp_message_add_media (sdp, media);
  gst_sdp_media_free (media);
  add_transport_attributes (sdp, peer->pub.ufrag, peer->pub.pwd, "actpass");

  msg->has_id = TRUE;
  msg->id = ++peer->next_id;
  msg->u.offer.pc = MS_PC_PUBLISH;
  msg->u.offer.sdp = gst_sdp_message_as_text (sdp);
  msg->u.offer.tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_track_desc_free);
  {
    MsTrackDesc *track = ms_track_desc_new ("camera", MS_TRACK_KIND_VIDEO, FALSE);

    track->mid = g_strdup ("0");
    g_ptr_array_add (msg->u.offer.tracks, track);
  }
  gst_sdp_message_free (sdp);
  peer_send (peer, msg);
}

static void
on_publish_answer (Peer      *peer,
                   MsMessage *msg)
{
  g_auto (MsEngineOffer) transport = { 0 };
  g_autoptr (GError) error = NULL;
  GstSDPMessage *sdp = NULL;

  if (gst_sdp_message_new_from_text (msg->u.answer.sdp, &sdp) != GST_SDP_OK) {
    peer->error = g_strdup ("the server's answer does not parse");
    return;
  }
  /* The answer says the server's role; ours is the other one. */
  if (!ms_engine_sdp_read_offer (sdp, MS_ENGINE_SETUP_ACTIVE, &transport, &error) ||
      !conn_start (&peer->pub, sdp, &transport, &error)) {
    g_free (peer->error);
    peer->error = g_strdup_printf ("the server's answer cannot be used: %s", error->message);
  }
  gst_sdp_message_free (sdp);
}

/* One frame of synthetic VP8 for every connected publisher: a payload
 * descriptor (S bit on the first packet, partition 0), a frame tag whose
 * P bit says key frame or not, a key frame's start code and size, junk
 * after that; the marker bit on a frame's last packet. */
static gboolean
on_frame (gpointer user_data)
{
  Load *load = user_data;
  gsize frame_bytes = load->bitrate_kbps * 1000 / 8 / load->fps;
  guint8 packet[12 + 1 + RTP_PAYLOAD];

  for (guint i = 0; i < load->peers->len; i++) {
    Peer *peer = g_ptr_array_index (load->peers, i);
    gboolean key;
    gsize left, size;
    gsize at = 0;

    if (!peer->publish || peer->pub.state != MS_ENGINE_STATE_CONNECTED)
      continue;
    key = peer->frame % load->keyframe_interval == 0 ||
          atomic_exchange (&peer->keyframe_wanted, FALSE);
    if (key && peer->frame % load->keyframe_interval != 0)
      peer->keyframe_requests++;
    if (key)
      peer->frame = 0;
    size = key ? 3 * frame_bytes : frame_bytes;
    left = MAX (size, 10);
    while (left > 0) {
      gsize chunk = MIN (left, RTP_PAYLOAD);
      guint8 *payload = packet + 13;

      packet[0] = 0x80;
      packet[1] = 96 | (chunk == left ? 0x80 : 0);
      packet[2] = peer->seq >> 8;
      packet[3] = peer->seq & 0xff;
      *(guint32 *) (packet + 4) = GUINT32_TO_BE (peer->timestamp);
      *(guint32 *) (packet + 8) = GUINT32_TO_BE (peer->ssrc);
      packet[12] = at == 0 ? 0x10 : 0x00;
      memset (payload, 0xa5, chunk);
      if (at == 0) {
        payload[0] = key ? 0x00 : 0x01;   /* frame tag, P bit (inverted) */
        if (key) {
          static const guint8 start[] = { 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01 };

          memcpy (payload + 3, start, sizeof start);   /* 640x360 */
        }
      }
      ms_engine_worker_send (peer->pub.worker->worker, peer->pub.id, packet, 13 + chunk);
      peer->seq++;
      peer->sent_packets++;
      peer->sent_bytes += 13 + chunk;
      left -= chunk;
      at += chunk;
    }
    peer->timestamp += 90000 / load->fps;
    peer->frame++;
  }
  return G_SOURCE_CONTINUE;
}

/* Statistics */

static guint
thread_count (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "\nThreads:");
  return line != NULL ? (guint) g_ascii_strtoull (line + strlen ("\nThreads:"), NULL, 10) : 0;
}

static guint64
stream_lost (Stream *s)
{
  guint64 received = atomic_load_explicit (&s->packets, memory_order_relaxed);
  guint64 expected = atomic_load_explicit (&s->ext_max, memory_order_relaxed) -
                     atomic_load_explicit (&s->base, memory_order_relaxed) + 1;

  if (atomic_load_explicit (&s->first_us, memory_order_relaxed) == 0)
    return 0;
  return expected > received ? expected - received : 0;
}

/* How many of @peer's media streams (not RTX) delivered a packet. */
static guint
streams_receiving (Peer *peer)
{
  guint n = atomic_load (&peer->n_streams), count = 0;

  for (guint i = 0; i < n; i++) {
    if (!peer->streams[i].rtx && atomic_load (&peer->streams[i].first_us) != 0)
      count++;
  }
  return count;
}

static gboolean
peer_receiving (Load *load,
                Peer *peer)
{
  return peer->subscribe && streams_receiving (peer) >= load->expect_tracks;
}

static double
ms_between (gint64 from,
            gint64 to)
{
  return from != 0 && to != 0 ? (to - from) / 1000.0 : -1;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
add_percentiles (JsonBuilder *b,
                 const char  *name,
                 GArray      *values)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  g_array_sort (values, compare_doubles);
  json_builder_set_member_name (b, "samples");
  json_builder_add_int_value (b, values->len);
  if (values->len > 0) {
    static const struct {
      const char *name;
      double      p;
    } ps[] = { { "p50", 0.50 }, { "p95", 0.95 }, { "max", 1.0 } };

    for (guint i = 0; i < G_N_ELEMENTS (ps); i++) {
      guint k = (guint) ((values->len - 1) * ps[i].p + 0.5);

      json_builder_set_member_name (b, ps[i].name);
      json_builder_add_double_value (b, g_array_index (values, double, k));
    }
  }
  json_builder_end_object (b);
}

static char *
stats_json (Load *load)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GArray) first = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) welcome = g_array_new (FALSE, FALSE, sizeof (double));
  guint64 packets = 0, bytes = 0, lost = 0, sent = 0;
  guint cm = 0, gcm = 0;
  guint joined = 0, receiving = 0, failed = 0, connected = 0;
  MsEngineStats engine = { 0 };

  for (guint w = 0; w < load->n_workers; w++) {
    MsEngineStats one;

    ms_engine_worker_get_stats (load->workers[w].worker, &one);
    engine.packets_in += one.packets_in;
    engine.bytes_in += one.bytes_in;
    engine.packets_out += one.packets_out;
    engine.bytes_out += one.bytes_out;
    for (guint d = 0; d < MS_ENGINE_N_DROPS; d++)
      engine.dropped[d] += one.dropped[d];
  }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "elapsed_s");
  json_builder_add_double_value (b, (g_get_monotonic_time () - load->start_us) / 1e6);
  json_builder_set_member_name (b, "threads");
  json_builder_add_int_value (b, thread_count ());
  json_builder_set_member_name (b, "workers");
  json_builder_add_int_value (b, load->n_workers);
  json_builder_set_member_name (b, "peers");
  json_builder_begin_array (b);
  for (guint i = 0; i < load->peers->len; i++) {
    Peer *peer = g_ptr_array_index (load->peers, i);
    guint n = atomic_load (&peer->n_streams);
    guint64 p_packets = 0, p_bytes = 0, p_lost = 0;
    double first_ms = ms_between (peer->start_us, atomic_load (&peer->first_us));

    if (peer->welcome_us != 0)
      joined++;
    if (peer->error != NULL)
      failed++;
    if ((peer->subscribe && peer->sub.state == MS_ENGINE_STATE_CONNECTED) ||
        (!peer->subscribe && peer->pub.state == MS_ENGINE_STATE_CONNECTED))
      connected++;
    if (peer_receiving (load, peer))
      receiving++;
    for (guint k = 0; k < 2; k++) {
      Conn *conn = k == 0 ? &peer->sub : &peer->pub;
      MsEngineTransportInfo info;

      if (conn->id != 0 &&
          ms_engine_worker_get_transport_info (conn->worker->worker, conn->id, &info)) {
        cm += info.srtp_profile == MS_ENGINE_SRTP_AES128_CM_SHA1_80;
        gcm += info.srtp_profile == MS_ENGINE_SRTP_AEAD_AES_128_GCM;
      }
    }
    if (peer->welcome_us != 0)
      g_array_append_val (welcome, (double) { ms_between (peer->start_us, peer->welcome_us) });
    if (first_ms >= 0)
      g_array_append_val (first, first_ms);

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "identity");
    json_builder_add_string_value (b, peer->identity);
    json_builder_set_member_name (b, "peer_id");
    json_builder_add_string_value (b, peer->peer_id);
    json_builder_set_member_name (b, "error");
    json_builder_add_string_value (b, peer->error);
    json_builder_set_member_name (b, "welcome_ms");
    json_builder_add_double_value (b, ms_between (peer->start_us, peer->welcome_us));
    if (peer->subscribe) {
      json_builder_set_member_name (b, "connected_ms");
      json_builder_add_double_value (b, ms_between (peer->start_us, peer->sub.connected_us));
      json_builder_set_member_name (b, "first_packet_ms");
      json_builder_add_double_value (b, first_ms);
      json_builder_set_member_name (b, "offers");
      json_builder_add_int_value (b, peer->offers);
      json_builder_set_member_name (b, "offers_in_place");
      json_builder_add_int_value (b, peer->offers_in_place);
      json_builder_set_member_name (b, "rtcp");
      json_builder_add_int_value (b, atomic_load (&peer->rtcp_in));
      json_builder_set_member_name (b, "unknown_ssrc_packets");
      json_builder_add_int_value (b, atomic_load (&peer->unknown_in));
      json_builder_set_member_name (b, "tracks");
      json_builder_begin_array (b);
      for (guint k = 0; k < n; k++) {
        Stream *s = &peer->streams[k];
        guint64 sp = atomic_load (&s->packets), sb = atomic_load (&s->bytes);
        guint64 sl = stream_lost (s);

        p_packets += sp;
        p_bytes += sb;
        p_lost += sl;
        if (s->rtx && sp == 0)
          continue;
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "mid");
        json_builder_add_string_value (b, s->mid);
        json_builder_set_member_name (b, "peer_id");
        json_builder_add_string_value (b, s->peer_id);
        json_builder_set_member_name (b, "tag");
        json_builder_add_string_value (b, s->tag);
        json_builder_set_member_name (b, "ssrc");
        json_builder_add_int_value (b, s->ssrc);
        json_builder_set_member_name (b, "rtx");
        json_builder_add_boolean_value (b, s->rtx);
        json_builder_set_member_name (b, "packets");
        json_builder_add_int_value (b, sp);
        json_builder_set_member_name (b, "bytes");
        json_builder_add_int_value (b, sb);
        json_builder_set_member_name (b, "packets_lost");
        json_builder_add_int_value (b, sl);
        json_builder_set_member_name (b, "first_packet_ms");
        json_builder_add_double_value (b, ms_between (peer->start_us, atomic_load (&s->first_us)));
        json_builder_end_object (b);
      }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "packets");
      json_builder_add_int_value (b, p_packets);
      json_builder_set_member_name (b, "bytes");
      json_builder_add_int_value (b, p_bytes);
      json_builder_set_member_name (b, "packets_lost");
      json_builder_add_int_value (b, p_lost);
      packets += p_packets;
      bytes += p_bytes;
      lost += p_lost;
    }
    if (peer->publish) {
      json_builder_set_member_name (b, "sent_packets");
      json_builder_add_int_value (b, peer->sent_packets);
      json_builder_set_member_name (b, "sent_bytes");
      json_builder_add_int_value (b, peer->sent_bytes);
      json_builder_set_member_name (b, "keyframe_requests");
      json_builder_add_int_value (b, peer->keyframe_requests);
      sent += peer->sent_packets;
    }
    json_builder_end_object (b);
  }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "totals");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "peers");
  json_builder_add_int_value (b, load->peers->len);
  json_builder_set_member_name (b, "joined");
  json_builder_add_int_value (b, joined);
  json_builder_set_member_name (b, "connected");
  json_builder_add_int_value (b, connected);
  json_builder_set_member_name (b, "receiving");
  json_builder_add_int_value (b, receiving);
  json_builder_set_member_name (b, "failed");
  json_builder_add_int_value (b, failed);
  json_builder_set_member_name (b, "packets");
  json_builder_add_int_value (b, packets);
  json_builder_set_member_name (b, "bytes");
  json_builder_add_int_value (b, bytes);
  json_builder_set_member_name (b, "packets_lost");
  json_builder_add_int_value (b, lost);
  json_builder_set_member_name (b, "loss");
  json_builder_add_double_value (b, packets + lost > 0 ? (double) lost / (packets + lost) : 0);
  json_builder_set_member_name (b, "sent_packets");
  json_builder_add_int_value (b, sent);
  json_builder_set_member_name (b, "srtp");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "aes128-cm-sha1-80");
  json_builder_add_int_value (b, cm);
  json_builder_set_member_name (b, "aead-aes-128-gcm");
  json_builder_add_int_value (b, gcm);
  json_builder_end_object (b);
  add_percentiles (b, "welcome_ms", welcome);
  add_percentiles (b, "first_packet_ms", first);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "engine");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "packets_in");
  json_builder_add_int_value (b, engine.packets_in);
  json_builder_set_member_name (b, "packets_out");
  json_builder_add_int_value (b, engine.packets_out);
  for (guint d = 0; d < MS_ENGINE_N_DROPS; d++) {
    g_autofree char *name = g_strdup_printf ("dropped_%s", ms_engine_drop_name (d));

    json_builder_set_member_name (b, name);
    json_builder_add_int_value (b, engine.dropped[d]);
  }
  json_builder_end_object (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, load->pretty);
  return json_generator_to_data (gen, NULL);
}

static void
print_stats (Load *load)
{
  g_autofree char *text = stats_json (load);

  printf ("%s\n", text);
  fflush (stdout);
}

static gboolean
on_usr1 (gpointer user_data)
{
  print_stats (user_data);
  return G_SOURCE_CONTINUE;
}

/* Signaling, on the main context */

static void
peer_send (Peer      *peer,
           MsMessage *msg)
{
  g_autofree char *text = NULL;

  if (peer->ws == NULL ||
      soup_websocket_connection_get_state (peer->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  text = ms_message_encode (msg, NULL);
  soup_websocket_connection_send_text (peer->ws, text);
}

static void
check_all_receiving (Load *load)
{
  if (load->announced || load->expect_tracks == 0)
    return;
  for (guint i = 0; i < load->peers->len; i++) {
    Peer *peer = g_ptr_array_index (load->peers, i);

    if (peer->subscribe && !peer_receiving (load, peer))
      return;
  }
  if (load->next_join < load->peers->len)
    return;
  load->announced = TRUE;
  printf ("all-receiving\n");
  fflush (stdout);
}

static gboolean
on_check (gpointer user_data)
{
  check_all_receiving (user_data);
  return G_SOURCE_CONTINUE;
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               gint                     type,
               GBytes                  *message,
               gpointer                 user_data)
{
  Peer *peer = user_data;
  g_autoptr (MsMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  msg = ms_message_decode (data, len, MS_DIRECTION_TO_CLIENT, NULL, NULL, &error);
  if (msg == NULL) {
    g_warning ("%s: a frame from the server does not decode: %s", peer->identity,
               error->message);
    return;
  }
  switch (msg->type) {
  case MS_MSG_WELCOME:
    peer->welcome_us = g_get_monotonic_time ();
    peer->peer_id = g_strdup (msg->u.welcome.peer_id);
    if (peer->publish)
      publish_offer (peer);
    break;
  case MS_MSG_OFFER:
    if (msg->u.offer.pc == MS_PC_SUBSCRIBE)
      on_subscribe_offer (peer, msg);
    break;
  case MS_MSG_ANSWER:
    if (msg->u.answer.pc == MS_PC_PUBLISH)
      on_publish_answer (peer, msg);
    break;
  case MS_MSG_ERROR:
    g_free (peer->error);
    peer->error = g_strdup_printf ("%s: %s", ms_protocol_error_to_string (msg->u.error.code),
                                   msg->u.error.message);
    break;
  case MS_MSG_BYE:
    if (peer->error == NULL && !peer->load->stopping)
      peer->error = g_strdup_printf ("bye: %s", msg->u.bye.reason);
    break;
  default:
    break;   /* candidates (the server is ICE-lite: none), presence, chat */
  }
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  Peer *peer = user_data;
  Load *load = peer->load;

  peer->closed = TRUE;
  if (!load->stopping && peer->error == NULL)
    peer->error = g_strdup_printf ("the server closed the WebSocket (%u)",
                                   soup_websocket_connection_get_close_code (ws));
  if (load->stopping && load->open > 0 && --load->open == 0)
    g_main_loop_quit (load->loop);
}

static void
on_ws_connected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Peer *peer = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (MsMessage) join = NULL;

  peer->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (peer->ws == NULL) {
    peer->error = g_strdup_printf ("WebSocket: %s", error->message);
    peer->closed = TRUE;
    return;
  }
  /* Pings are the server's to send; libsoup answers them. */
  soup_websocket_connection_set_max_incoming_payload_size (peer->ws, 1 << 20);
  g_signal_connect (peer->ws, "message", G_CALLBACK (on_ws_message), peer);
  g_signal_connect (peer->ws, "closed", G_CALLBACK (on_ws_closed), peer);
  join = ms_message_new (MS_MSG_JOIN);
  join->has_id = TRUE;
  join->id = ++peer->next_id;
  join->u.join.token = g_steal_pointer (&peer->token);
  /* Invisible, a subscriber costs the others no peer-joined. */
  if (peer->load->hidden && !peer->publish) {
    join->u.join.has_hidden = TRUE;
    join->u.join.hidden = TRUE;
  }
  peer_send (peer, join);
}

static void
on_token (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Peer *peer = user_data;
  Load *load = peer->load;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);
  SoupMessage *request = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (SoupMessage) msg = NULL;
  JsonNode *root;
  const char *token = NULL;

  if (body != NULL && soup_message_get_status (request) == SOUP_STATUS_OK &&
      json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                  NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    token = json_object_get_string_member_with_default (json_node_get_object (root), "token",
                                                        NULL);
  if (token == NULL) {
    peer->error = g_strdup_printf ("no token from %s: %s", load->token_url,
                                   error ? error->message :
                                   soup_message_get_reason_phrase (request));
    peer->closed = TRUE;
    return;
  }
  peer->token = g_strdup (token);
  peer->start_us = g_get_monotonic_time ();
  msg = soup_message_new (SOUP_METHOD_GET, load->url);
  soup_session_websocket_connect_async (load->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        NULL, on_ws_connected, peer);
}

/* POST /v1/token for @peer: receive everything; publishers may send a
 * camera. */
static void
request_token (Peer *peer)
{
  Load *load = peer->load;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, load->token_url);
  g_autoptr (GBytes) body = NULL;
  g_autofree char *auth = g_strdup_printf ("Bearer %s", load->secret);
  char *text;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "room");
  json_builder_add_string_value (b, load->room);
  json_builder_set_member_name (b, "identity");
  json_builder_add_string_value (b, peer->identity);
  json_builder_set_member_name (b, "grants");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "send_tracks");
  json_builder_begin_array (b);
  if (peer->publish)
    json_builder_add_string_value (b, "camera");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "recv_tracks");
  json_builder_begin_array (b);
  if (peer->subscribe)
    json_builder_add_string_value (b, "*");
  json_builder_end_array (b);
  if (load->hidden && !peer->publish) {
    json_builder_set_member_name (b, "can_hide");
    json_builder_add_boolean_value (b, TRUE);
  }
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  body = g_bytes_new_take (text, strlen (text));
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_and_read_async (load->session, msg, G_PRIORITY_DEFAULT, NULL, on_token, peer);
}

static gboolean
on_join_next (gpointer user_data)
{
  Load *load = user_data;

  if (load->stopping || load->next_join >= load->peers->len)
    return G_SOURCE_REMOVE;
  request_token (g_ptr_array_index (load->peers, load->next_join++));
  return G_SOURCE_CONTINUE;
}

static void
stop (Load *load)
{
  if (load->stopping)
    return;
  load->stopping = TRUE;
  for (guint i = 0; i < load->peers->len; i++) {
    Peer *peer = g_ptr_array_index (load->peers, i);
    g_autoptr (MsMessage) leave = NULL;

    if (peer->ws == NULL || peer->closed)
      continue;
    leave = ms_message_new (MS_MSG_LEAVE);
    peer_send (peer, leave);
    load->open++;
    soup_websocket_connection_close (peer->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  }
  if (load->open == 0)
    g_main_loop_quit (load->loop);
  else
    g_timeout_add_seconds (3, G_SOURCE_FUNC (g_main_loop_quit), load->loop);
}

static gboolean
on_stop_signal (gpointer user_data)
{
  stop (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_duration (gpointer user_data)
{
  stop (user_data);
  return G_SOURCE_REMOVE;
}

static Peer *
peer_new (Load       *load,
          const char *role,
          guint       n,
          gboolean    subscribe,
          gboolean    publish)
{
  Peer *peer = g_new0 (Peer, 1);

  peer->load = load;
  peer->index = load->peers->len;
  peer->identity = g_strdup_printf ("%s-%s-%u", load->prefix, role, n);
  peer->subscribe = subscribe;
  peer->publish = publish;
  peer->sub.peer = peer;
  peer->pub.peer = peer;
  peer->pub.publish = TRUE;
  peer->ssrc = g_random_int ();
  peer->seq = g_random_int_range (0, 65536);
  peer->timestamp = g_random_int ();
  return peer;
}

/* http(s)://HOST:PORT/v1/token from ws(s)://HOST:PORT/... */
static char *
token_url_of (const char  *url,
              GError     **error)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, error);
  const char *scheme;

  if (uri == NULL)
    return NULL;
  scheme = g_uri_get_scheme (uri);
  if (g_strcmp0 (scheme, "ws") != 0 && g_strcmp0 (scheme, "wss") != 0) {
    g_set_error (error, G_URI_ERROR, G_URI_ERROR_BAD_SCHEME, _("The URL must be ws:// or wss://"));
    return NULL;
  }
  return g_uri_join (G_URI_FLAGS_NONE, g_strcmp0 (scheme, "wss") == 0 ? "https" : "http", NULL,
                     g_uri_get_host (uri), g_uri_get_port (uri), "/v1/token", NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  Load load = { 0 };
  g_autofree char *url = NULL, *room = NULL, *secret = NULL, *prefix = NULL;
  gboolean dev = FALSE;
  g_autofree char *srtp = NULL;
  int subscribers = 0, publishers = 0, peers = 0, workers = 1, expect = -1;
  int interval = 10, duration = 30, fps = 30, bitrate = 1000, keyframes = 60;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, N_("Server address, ws://HOST:PORT/v1/ws"),
      N_("URL") },
    { "room", 0, 0, G_OPTION_ARG_STRING, &room, N_("Room to join (default: load)"), N_("ROOM") },
    { "dev", 0, 0, G_OPTION_ARG_NONE, &dev,
      N_("Get tokens with the development key (a server started with --dev)"), NULL },
    { "api-secret", 0, 0, G_OPTION_ARG_STRING, &secret,
      N_("Get tokens from POST /v1/token with this API secret (default: "
         "$MEDIASTORE_API_SECRET)"), N_("SECRET") },
    { "subscribers", 'n', 0, G_OPTION_ARG_INT, &subscribers,
      N_("Peers that only receive (default: 1)"), N_("N") },
    { "publishers", 'p', 0, G_OPTION_ARG_INT, &publishers,
      N_("Peers that only send a synthetic VP8 camera (default: 0)"), N_("N") },
    { "peers", 0, 0, G_OPTION_ARG_INT, &peers,
      N_("Peers that send a camera and receive everyone else's (all-to-all; default: 0)"),
      N_("N") },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &workers,
      N_("Engine worker threads that carry every peer's media (default: 1)"), N_("N") },
    { "expect-tracks", 0, 0, G_OPTION_ARG_INT, &expect,
      N_("Print “all-receiving” once every receiving peer got packets of this many tracks "
         "(default: publishers + peers - 1, at least 1)"), N_("N") },
    { "join-interval", 0, 0, G_OPTION_ARG_INT, &interval,
      N_("Milliseconds between two peers' joins (default: 10)"), N_("MS") },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &duration,
      N_("Seconds to stay, 0 for until SIGINT or SIGTERM (default: 30)"), N_("SECONDS") },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps, N_("Frames per second sent (default: 30)"),
      N_("FPS") },
    { "bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate,
      N_("Kilobits per second sent by each publisher (default: 1000)"), N_("KBPS") },
    { "keyframe-interval", 0, 0, G_OPTION_ARG_INT, &keyframes,
      N_("Frames from one key frame to the next, besides those asked for (default: 60)"),
      N_("FRAMES") },
    { "prefix", 0, 0, G_OPTION_ARG_STRING, &prefix,
      N_("Start of the peers' identities (default: load)"), N_("NAME") },
    { "srtp", 0, 0, G_OPTION_ARG_STRING, &srtp,
      N_("SRTP profile to ask for: cm (AES_CM_128_HMAC_SHA1_80, all GStreamer 1.22 offers; "
         "the default) or gcm (AEAD_AES_128_GCM first, as browsers)"), N_("PROFILE") },
    { "pretty", 0, 0, G_OPTION_ARG_NONE, &load.pretty, N_("Indent the JSON statistics"), NULL },
    { "hidden", 0, 0, G_OPTION_ARG_NONE, &load.hidden,
      N_("Subscribers join invisible, so that their joins cost the others nothing"), NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("— many Mediastore peers from one process"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Joins subscribers, publishers or all-to-all peers to one room of a real "
      "mediastore-server, for load tests and benchmarks. Every peer has its own WebSocket "
      "and its own ICE, DTLS and SRTP transport, but all of them share a fixed number of "
      "threads (--workers engine threads and the main thread), however many peers there "
      "are. Nothing is decoded: receivers count RTP packets, bytes and sequence gaps per "
      "stream; publishers send synthetic VP8 at the given rate, with key frames "
      "periodically and whenever the server asks for one."));
  g_option_context_set_description (context,
    _("Tokens come from the server's POST /v1/token, with --dev (the development key) "
      "or an API secret.\n"
      "\n"
      "Output: one JSON object on standard output at the end, and one line of it on "
      "each SIGUSR1: every peer's join times (welcome_ms, connected_ms, first_packet_ms, "
      "from the start of its WebSocket connection), its packets, bytes and packets_lost "
      "(sequence gaps) per track, and totals with percentiles. “all-receiving” is printed "
      "once every receiving peer got packets of the expected number of tracks.\n"
      "\n"
      "Exit status: 0 when every peer joined without error and received what it was "
      "expected to, 1 otherwise, 2 for bad options.\n"
      "\n"
      "Example, 500 subscribers of one bot's camera:\n"
      "  mediastore-server --dev --max-peers-per-room=1000 &\n"
      "  mediastore-bot --url ws://127.0.0.1:7880/v1/ws --token \"$(mediastore-server token "
      "--dev --room load --identity cam --send-tracks camera)\" --publish camera=test-video "
      "--duration 600 &\n"
      "  mediastore-load --url ws://127.0.0.1:7880/v1/ws --dev -n 500 --duration 60"));
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  if (secret == NULL)
    secret = g_strdup (dev ? "mediastore-insecure-development-key-never-use-in-production" :
                       g_getenv ("MEDIASTORE_API_SECRET"));
  if (subscribers == 0 && publishers == 0 && peers == 0)
    subscribers = 1;
  if (url == NULL || secret == NULL) {
    g_printerr (_("--url is required, and --dev or an API secret\n"));
    return 2;
  }
  if (subscribers < 0 || publishers < 0 || peers < 0 || subscribers + publishers + peers > 10000 ||
      workers < 1 || workers > 64 || interval < 0 || duration < 0 || fps < 1 || fps > 120 ||
      bitrate < 1 || bitrate > 100000 || keyframes < 1) {
    g_printerr (_("An option is out of range: see --help\n"));
    return 2;
  }
  if (srtp == NULL || g_strcmp0 (srtp, "cm") == 0) {
    load.srtp_profiles = "SRTP_AES128_CM_SHA1_80";
  } else if (g_strcmp0 (srtp, "gcm") == 0) {
    load.srtp_profiles = NULL;
  } else {
    g_printerr (_("--srtp takes cm or gcm\n"));
    return 2;
  }
  load.token_url = token_url_of (url, &error);
  if (load.token_url == NULL) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  load.url = url;
  load.secret = secret;
  load.room = room ? room : g_strdup ("load");
  load.prefix = prefix ? prefix : g_strdup ("load");
  room = prefix = NULL;
  load.n_subscribers = subscribers;
  load.n_publishers = publishers;
  load.n_peers = peers;
  load.n_workers = workers;
  /* By default all there is: every publisher, and the other all-to-all
   * peers (for an all-to-all peer, itself excepted). */
  if (expect >= 0)
    load.expect_tracks = expect;
  else if (peers > 0)
    load.expect_tracks = MAX (1, publishers + peers - 1);
  else
    load.expect_tracks = MAX (1, publishers);
  load.join_interval_ms = interval;
  load.duration_s = duration;
  load.fps = fps;
  load.bitrate_kbps = bitrate;
  load.keyframe_interval = keyframes;
  load.status = 0;

  load.loop = g_main_loop_new (NULL, FALSE);
  load.session = soup_session_new_with_options ("max-conns", 100000,
                                                "max-conns-per-host", 100000,
                                                "timeout", 30, NULL);
  load.peers = g_ptr_array_new ();
  for (int i = 0; i < publishers; i++)
    g_ptr_array_add (load.peers, peer_new (&load, "pub", i, FALSE, TRUE));
  for (int i = 0; i < peers; i++)
    g_ptr_array_add (load.peers, peer_new (&load, "peer", i, TRUE, TRUE));
  for (int i = 0; i < subscribers; i++)
    g_ptr_array_add (load.peers, peer_new (&load, "sub", i, TRUE, FALSE));

  load.workers = g_new0 (Worker, workers);
  for (int i = 0; i < workers; i++) {
    Worker *w = &load.workers[i];
    MsEngineWorkerConfig config = { 0 };
    g_autoptr (GSocketConnectable) host = g_network_address_parse_uri (url, 80, NULL);
    const char *hostname = host ? g_network_address_get_hostname (G_NETWORK_ADDRESS (host)) :
                           NULL;
    g_autoptr (GInetAddress) literal = hostname ? g_inet_address_new_from_string (hostname) :
                                       NULL;

    /* Our sockets on the family of the server's address. */
    config.bind_address = literal && g_inet_address_get_family (literal) == G_SOCKET_FAMILY_IPV6 ?
                          "::" : "0.0.0.0";
    config.srtp_profiles = load.srtp_profiles;
    config.rtp_func = on_rtp;
    config.state_func = on_state;
    config.user_data = w;
    /* Every transport a peer might ever need on this worker, with room
     * for new PeerConnections the server may start. */
    w->load = &load;
    w->capacity = 4 * (load.peers->len / workers + 1) + 64;
    w->conns = g_new0 (_Atomic (Conn *), w->capacity);
    w->worker = ms_engine_worker_new (&config, &error);
    if (w->worker == NULL) {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  }
  load.start_us = g_get_monotonic_time ();
  g_unix_signal_add (SIGUSR1, on_usr1, &load);
  g_unix_signal_add (SIGINT, on_stop_signal, &load);
  g_unix_signal_add (SIGTERM, on_stop_signal, &load);
  if (duration > 0)
    g_timeout_add_seconds (duration, on_duration, &load);
  g_timeout_add (100, on_check, &load);
  if (publishers + peers > 0)
    load.frame_source = g_timeout_add (1000 / fps, on_frame, &load);
  on_join_next (&load);
  g_timeout_add (MAX (interval, 1), on_join_next, &load);

  g_main_loop_run (load.loop);

  print_stats (&load);
  for (guint i = 0; i < load.peers->len; i++) {
    Peer *peer = g_ptr_array_index (load.peers, i);

    if (peer->error != NULL || peer->welcome_us == 0 ||
        (peer->subscribe && !peer_receiving (&load, peer)))
      load.status = 1;
  }
  for (int i = 0; i < workers; i++)
    ms_engine_worker_free (load.workers[i].worker);
  return load.status;
}
