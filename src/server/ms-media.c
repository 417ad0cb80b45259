/* ms-media.c: who receives what, on the engine's transports
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Policy lives here, mechanism in src/engine: this file reads the
 * clients' SDP, writes ours, and tells the room's worker which producer
 * each consumer copies. It holds engine ids only; the engine's events
 * (a transport's state, a producer's first packet) come back on the main
 * context and are looked up again by room name and peer id, so an event
 * for a participant that left finds nothing.
 *
 * Subscribe m-lines are slots: made when a receiver needs one more,
 * reassigned to another producer of the same codec when their own went
 * (the consumer keeps its SSRC and sequence, the client keeps its
 * transceiver), inactive while unassigned.
 */

#define G_LOG_DOMAIN "MsMedia"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gst/sdp/sdp.h>

#include "ms-engine.h"
#include "ms-media.h"
#include "ms-sdp.h"

/* Dynamic payload types, two per subscribe m-line (media and RTX): each
 * m-line of a bundle has types of its own, as GStreamer 1.22 needs to
 * tell the streams apart. 96-127, then 35-63 (RFC 7983 leaves 64-95 to
 * RTCP). */
#define MAX_SLOTS 30

typedef struct {
  MsMediaEngine  *engine;
  guint           index;
  MsEngineWorker *worker;
  guint           rooms;
} Worker;

struct _MsMediaEngine {
  MsServer   *server;
  Worker     *workers;
  guint       n_workers;
  char       *address;       /* announced in candidates */
  GHashTable *owners;        /* (worker << 32 | transport) → Owner */
  guint64     transports_failed;
  guint64     transports_created[MS_PC_SUBSCRIBE + 1];   /* by MsPcKind */
};

typedef struct {
  char    *room;
  char    *peer_id;
  MsPcKind pc;
} Owner;

struct _MsRoomMedia {
  MsServer *server;
  char     *room;
  Worker   *worker;
  guint     update_id;
};

typedef struct {
  char        *mid;
  char        *tag;
  MsTrackKind  kind;
  guint        id;           /* the engine's */
  guint32      ssrc;
  guint32      rtx_ssrc;
  guint8       pt;
  guint8       rtx_pt;
  char        *encoding;
  guint        clock_rate;
  guint        channels;
  char        *fmtp;
  gboolean     nack;
  guint8       twcc_ext_id;  /* transport-wide sequence numbers, 0: not asked for */
  gboolean     flowing;
} Producer;

typedef struct {
  char        *mid;
  MsTrackKind  kind;
  char        *encoding;
  guint        clock_rate;
  guint        channels;
  char        *fmtp;
  guint8       pt;
  guint8       rtx_pt;
  guint32      ssrc;
  guint32      rtx_ssrc;
  guint        consumer_id;
  /* The assignment, if any. */
  char        *peer_id;
  char        *tag;
  guint        producer_id;
  guint        offered_id;   /* the producer of the latest offer */
  guint        live_id;      /* the engine's current source */
  gboolean     paused;
} Slot;

struct _MsPeerMedia {
  MsRoomMedia *room;

  guint        pub_id;
  char        *pub_ufrag;
  char        *pub_pwd;
  char        *pub_remote_ufrag;
  char        *pub_remote_pwd;
  GPtrArray   *producers;    /* of Producer */
  guint        pub_version;

  guint        sub_id;
  char        *sub_ufrag;
  char        *sub_pwd;
  char        *sub_remote_ufrag;   /* of the latest answer */
  char        *sub_remote_fingerprint;
  GPtrArray   *slots;        /* of Slot */
  gboolean     offer_pending;
  guint        sub_version;
  guint64      session_id;
};

static const guint8 payload_types[] = {
  96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
  112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127,
  35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50,
  51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
};

G_STATIC_ASSERT (G_N_ELEMENTS (payload_types) >= 2 * MAX_SLOTS);
G_STATIC_ASSERT (MS_ENGINE_N_DROPS <= 16);   /* MsMetrics.media_dropped_total */

static gint64
owner_key (Worker *worker,
           guint   transport_id)
{
  return ((gint64) worker->index << 32) | transport_id;
}

static void
owner_free (gpointer data)
{
  Owner *owner = data;

  g_free (owner->room);
  g_free (owner->peer_id);
  g_free (owner);
}

static guint32
new_ssrc (void)
{
  return g_random_int_range (1, G_MAXINT32);
}

static void
producer_free (gpointer data)
{
  Producer *producer = data;

  g_free (producer->mid);
  g_free (producer->tag);
  g_free (producer->encoding);
  g_free (producer->fmtp);
  g_free (producer);
}

static void
slot_unassign (Slot *slot)
{
  g_clear_pointer (&slot->peer_id, g_free);
  g_clear_pointer (&slot->tag, g_free);
  slot->producer_id = 0;
}

static void
slot_free (gpointer data)
{
  Slot *slot = data;

  slot_unassign (slot);
  g_free (slot->mid);
  g_free (slot->encoding);
  g_free (slot->fmtp);
  g_free (slot);
}

static void
send_to (MsParticipant *p,
         MsMessage     *msg)
{
  if (p->client != NULL)
    ms_client_send (p->client, msg);
}

static MsParticipant *
lookup (MsServer   *server,
        const char *room_name,
        const char *peer_id)
{
  MsRoom *room = g_hash_table_lookup (server->rooms, room_name);

  return room != NULL ? ms_room_lookup (room, peer_id) : NULL;
}

/* ---- the engine ---- */

static void
drop_subscribe (MsParticipant *p);
static void
stop_publish (MsParticipant *p);

static void
on_transport_state (MsEngineWorker *engine_worker,
                    guint           transport_id,
                    MsEngineState   state,
                    gpointer        user_data)
{
  Worker *worker = user_data;
  MsMediaEngine *engine = worker->engine;
  gint64 key = owner_key (worker, transport_id);
  Owner *owner = g_hash_table_lookup (engine->owners, &key);
  MsParticipant *p = owner ? lookup (engine->server, owner->room, owner->peer_id) : NULL;
  guint current;

  if (p == NULL || p->media == NULL)
    return;
  current = owner->pc == MS_PC_PUBLISH ? p->media->pub_id : p->media->sub_id;
  if (current != transport_id)
    return;

  if (state == MS_ENGINE_STATE_CONNECTED) {
    ms_server_log (G_LOG_LEVEL_DEBUG, p->room->name, p->id, "%s transport connected",
                   ms_pc_kind_to_string (owner->pc));
  } else if (state == MS_ENGINE_STATE_FAILED) {
    /* Consent lost (RFC 7675): the transport goes, and the client is told
     * (media-failed). A subscribe side is offered again on a new one,
     * which the client takes as a new PeerConnection (new ICE
     * credentials); a publish side waits for the client's next offer. */
    g_autoptr (MsMessage) failed = ms_message_new (MS_MSG_MEDIA_FAILED);
    MsPcKind pc = owner->pc;

    ms_server_log (G_LOG_LEVEL_INFO, p->room->name, p->id, "%s transport failed",
                   ms_pc_kind_to_string (pc));
    engine->transports_failed++;
    if (pc == MS_PC_PUBLISH)
      stop_publish (p);
    else
      drop_subscribe (p);
    /* The client offers its publish side again; its subscribe side gets
     * an offer with new credentials from the update. */
    failed->u.media_failed.pc = pc;
    send_to (p, failed);
    ms_media_update_room (engine->server, p->room);
  }
}

static void
on_producer_flowing (MsEngineWorker *engine_worker,
                     guint           producer_id,
                     gpointer        user_data)
{
  Worker *worker = user_data;
  GHashTableIter iter;
  gpointer value;

  /* Rare (once per producer): a walk is fine. */
  g_hash_table_iter_init (&iter, worker->engine->server->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    MsRoom *room = value;

    if (room->media == NULL || room->media->worker != worker)
      continue;
    for (guint i = 0; i < room->participants->len; i++) {
      MsParticipant *p = g_ptr_array_index (room->participants, i);

      for (guint j = 0; p->media != NULL && j < p->media->producers->len; j++) {
        Producer *producer = g_ptr_array_index (p->media->producers, j);

        if (producer->id == producer_id) {
          producer->flowing = TRUE;
          ms_server_log (G_LOG_LEVEL_INFO, room->name, p->id, "media flowing for %s",
                         producer->tag);
          return;
        }
      }
    }
  }
}

MsMediaEngine *
ms_media_engine_new (MsServer  *server,
                     GError   **error)
{
  MsConfig *config = server->config;
  MsMediaEngine *engine = g_new0 (MsMediaEngine, 1);
  guint n = config->media_workers > 0 ? config->media_workers : g_get_num_processors ();
  const char *bind = NULL;

  engine->server = server;
  engine->owners = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, owner_free);
  engine->workers = g_new0 (Worker, n);
  /* One address: bound as it is. Several: every address, each announced. */
  if (config->media_listen != NULL && g_strv_length (config->media_listen) == 1)
    bind = config->media_listen[0];
  if (config->media_announced != NULL && config->media_announced[0] != '\0')
    engine->address = g_strdup (config->media_announced);
  else
    engine->address = g_strdup (config->media_listen && config->media_listen[0] ?
                                config->media_listen[0] : "127.0.0.1");
  if (bind == NULL)
    bind = strchr (engine->address, ':') != NULL ? "::" : "0.0.0.0";

  for (guint i = 0; i < n; i++) {
    MsEngineWorkerConfig wc = {
      .bind_address = bind,
      .port = config->media_port_min > 0 ? config->media_port_min + i : 0,
      .consent_timeout_ms = config->media_consent_timeout * 1000,
      .state_func = on_transport_state,
      .producer_func = on_producer_flowing,
      .user_data = &engine->workers[i],
    };

    if (config->media_port_min > 0 && config->media_port_min + i > config->media_port_max) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "media-ports %u-%u has room for %u workers, not %u",
                   config->media_port_min, config->media_port_max,
                   config->media_port_max - config->media_port_min + 1, n);
      engine->n_workers = i;
      ms_media_engine_free (engine);
      return NULL;
    }
    engine->workers[i].engine = engine;
    engine->workers[i].index = i;
    engine->workers[i].worker = ms_engine_worker_new (&wc, error);
    if (engine->workers[i].worker == NULL) {
      g_prefix_error (error, "Media port %u: ", wc.port);
      engine->n_workers = i;
      ms_media_engine_free (engine);
      return NULL;
    }
    engine->n_workers = i + 1;
  }

  return engine;
}

void
ms_media_engine_free (MsMediaEngine *engine)
{
  if (engine == NULL)
    return;

  for (guint i = 0; i < engine->n_workers; i++)
    ms_engine_worker_free (engine->workers[i].worker);
  g_free (engine->workers);
  g_hash_table_unref (engine->owners);
  g_free (engine->address);
  g_free (engine);
}

void
ms_media_get_totals (MsServer      *server,
                     MsMediaTotals *totals)
{
  MsMediaEngine *engine = server->media;

  memset (totals, 0, sizeof *totals);
  if (engine == NULL)
    return;
  totals->workers = engine->n_workers;
  totals->transports = g_hash_table_size (engine->owners);
  totals->transports_failed = engine->transports_failed;
  memcpy (totals->transports_created, engine->transports_created,
          sizeof totals->transports_created);
  /* Producers and the consumers that have one (m-lines without a source
   * wait for reuse and count as neither). */
  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, server->rooms);
    while (g_hash_table_iter_next (&iter, NULL, &value)) {
      MsRoom *room = value;

      for (guint i = 0; i < room->participants->len; i++) {
        MsParticipant *p = g_ptr_array_index (room->participants, i);

        if (p->media == NULL)
          continue;
        totals->producers += p->media->producers->len;
        for (guint j = 0; j < p->media->slots->len; j++)
          totals->consumers += ((Slot *) g_ptr_array_index (p->media->slots, j))->live_id != 0;
      }
    }
  }
  for (guint i = 0; i < engine->n_workers; i++) {
    MsEngineRouterStats stats;

    MsEngineStats wstats;

    ms_engine_worker_get_router_stats (engine->workers[i].worker, &stats);
    ms_engine_worker_get_stats (engine->workers[i].worker, &wstats);
    for (guint d = 0; d < MS_ENGINE_N_DROPS; d++)
      totals->dropped[d] += wstats.dropped[d];
    totals->packets_forwarded += stats.packets_forwarded;
    totals->bytes_forwarded += stats.bytes_forwarded;
    totals->retransmitted += stats.retransmitted;
    totals->nacks_sent += stats.nacks_sent;
    totals->rtcp_received += stats.rtcp_received;
    totals->keyframe_requests += stats.keyframe_requests;
  }
}

GStrv
ms_media_get_urls (MsServer *server)
{
  MsMediaEngine *engine = server->media;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; engine != NULL && i < engine->n_workers; i++) {
    g_autofree char *url = g_strdup_printf (strchr (engine->address, ':') ? "udp://[%s]:%u" :
                                            "udp://%s:%u", engine->address,
                                            ms_engine_worker_get_port (engine->workers[i].worker));

    g_strv_builder_add (builder, url);
  }
  return g_strv_builder_end (builder);
}

static guint
add_transport (MsParticipant *p,
               MsPcKind       pc,
               const char    *ufrag,
               const char    *pwd,
               const char    *remote_ufrag,
               const char    *remote_pwd,
               const char    *remote_fingerprint,
               MsEngineSetup  setup)
{
  Worker *worker = p->media->room->worker;
  MsEngineTransportParams params = {
    .local_ufrag = ufrag,
    .local_pwd = pwd,
    .remote_ufrag = remote_ufrag,
    .remote_pwd = remote_pwd,
    .remote_fingerprint = remote_fingerprint,
    .setup = setup,
  };
  guint id = ms_engine_worker_add_transport (worker->worker, &params);
  Owner *owner = g_new0 (Owner, 1);
  gint64 *key = g_new (gint64, 1);

  worker->engine->transports_created[pc]++;
  owner->room = g_strdup (p->room->name);
  owner->peer_id = g_strdup (p->id);
  owner->pc = pc;
  *key = owner_key (worker, id);
  g_hash_table_insert (worker->engine->owners, key, owner);
  return id;
}

static void
remove_transport (MsPeerMedia *media,
                  guint       *id)
{
  Worker *worker = media->room->worker;
  gint64 key;

  if (*id == 0)
    return;
  key = owner_key (worker, *id);
  g_hash_table_remove (worker->engine->owners, &key);
  ms_engine_worker_remove_transport (worker->worker, *id);
  *id = 0;
}

/* ---- rooms and participants ---- */

static MsRoomMedia *
room_media (MsServer *server,
            MsRoom   *room)
{
  MsMediaEngine *engine = server->media;
  MsRoomMedia *media;
  Worker *least = &engine->workers[0];

  if (room->media != NULL)
    return room->media;

  /* A room lives on one worker: the one with the fewest rooms. */
  for (guint i = 1; i < engine->n_workers; i++)
    if (engine->workers[i].rooms < least->rooms)
      least = &engine->workers[i];
  least->rooms++;

  media = g_new0 (MsRoomMedia, 1);
  media->server = server;
  media->room = g_strdup (room->name);
  media->worker = least;
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
    p->media->producers = g_ptr_array_new_with_free_func (producer_free);
    p->media->slots = g_ptr_array_new_with_free_func (slot_free);
    p->media->session_id = g_random_int ();
  }
  return p->media;
}

static void
stop_publish (MsParticipant *p)
{
  MsPeerMedia *media = p->media;
  MsEngineWorker *worker = media->room->worker->worker;

  for (guint i = 0; i < media->producers->len; i++)
    ms_engine_worker_remove_producer (worker, ((Producer *) g_ptr_array_index (media->producers,
                                                                               i))->id);
  g_ptr_array_set_size (media->producers, 0);
  remove_transport (media, &media->pub_id);
  g_clear_pointer (&media->pub_ufrag, g_free);
  g_clear_pointer (&media->pub_pwd, g_free);
  g_clear_pointer (&media->pub_remote_ufrag, g_free);
  g_clear_pointer (&media->pub_remote_pwd, g_free);
}

static void
drop_subscribe (MsParticipant *p)
{
  MsPeerMedia *media = p->media;
  MsEngineWorker *worker = media->room->worker->worker;

  for (guint i = 0; i < media->slots->len; i++)
    ms_engine_worker_remove_consumer (worker, ((Slot *) g_ptr_array_index (media->slots,
                                                                           i))->consumer_id);
  g_ptr_array_set_size (media->slots, 0);
  remove_transport (media, &media->sub_id);
  g_clear_pointer (&media->sub_ufrag, g_free);
  g_clear_pointer (&media->sub_pwd, g_free);
  g_clear_pointer (&media->sub_remote_ufrag, g_free);
  g_clear_pointer (&media->sub_remote_fingerprint, g_free);
  media->offer_pending = FALSE;
  media->sub_version = 0;
}

static void
peer_media_free (MsParticipant *p)
{
  drop_subscribe (p);
  stop_publish (p);
  g_ptr_array_unref (p->media->producers);
  g_ptr_array_unref (p->media->slots);
  g_clear_pointer (&p->media, g_free);
}

void
ms_room_media_free (MsRoom *room)
{
  MsRoomMedia *media = room->media;

  if (media == NULL)
    return;

  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *p = g_ptr_array_index (room->participants, i);

    if (p->media != NULL)
      peer_media_free (p);
  }
  g_clear_handle_id (&media->update_id, g_source_remove);
  media->worker->rooms--;
  g_free (media->room);
  g_free (media);
  room->media = NULL;
}

guint
ms_media_room_transports (MsRoom *room)
{
  guint n = 0;

  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *p = g_ptr_array_index (room->participants, i);

    if (p->media != NULL)
      n += (p->media->pub_id != 0) + (p->media->sub_id != 0);
  }
  return n;
}

/* ---- publish: the client's offer, our answer ---- */

typedef struct {
  const GstSDPMedia *media;
  const char        *mid;
  const MsTrackDesc *track;
  Producer          *spec;    /* NULL: no track */
  gboolean           bundled; /* in the offer's BUNDLE group */
} Line;


static const char *
rtpmap_of (const GstSDPMedia *media,
           guint              pt)
{
  g_autofree char *prefix = g_strdup_printf ("%u ", pt);

  for (guint i = 0;; i++) {
    const char *value = gst_sdp_media_get_attribute_val_n (media, "rtpmap", i);

    if (value == NULL)
      return NULL;
    if (g_str_has_prefix (value, prefix))
      return value + strlen (prefix);
  }
}

static const char *
fmtp_of (const GstSDPMedia *media,
         guint              pt)
{
  g_autofree char *prefix = g_strdup_printf ("%u ", pt);

  for (guint i = 0;; i++) {
    const char *value = gst_sdp_media_get_attribute_val_n (media, "fmtp", i);

    if (value == NULL)
      return NULL;
    if (g_str_has_prefix (value, prefix))
      return value + strlen (prefix);
  }
}

static gboolean
has_feedback (const GstSDPMedia *media,
              guint              pt,
              const char        *kind)
{
  g_autofree char *exact = g_strdup_printf ("%u %s", pt, kind);
  g_autofree char *any = g_strdup_printf ("* %s", kind);

  for (guint i = 0;; i++) {
    const char *value = gst_sdp_media_get_attribute_val_n (media, "rtcp-fb", i);

    if (value == NULL)
      return FALSE;
    if (g_str_equal (value, exact) || g_str_equal (value, any))
      return TRUE;
  }
}

#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* The id of the m-line's transport-wide sequence number extension, if it
 * also asks for transport-cc feedback on @pt (browsers do; their
 * bandwidth estimation needs the feedback). */
static guint8
twcc_extension (const GstSDPMedia *media,
                guint              pt)
{
  if (!has_feedback (media, pt, "transport-cc"))
    return 0;
  for (guint i = 0;; i++) {
    const char *value = gst_sdp_media_get_attribute_val_n (media, "extmap", i);
    char *end = NULL;
    guint64 id;

    if (value == NULL)
      return 0;
    id = g_ascii_strtoull (value, &end, 10);
    if (end == value || id < 1 || id > 14)
      continue;
    while (*end == '/' || g_ascii_isalpha (*end))   /* a direction */
      end++;
    if (*end == ' ' && g_str_equal (end + 1, TWCC_URI))
      return id;
  }
}

/* The codec we take from an offered m-line: VP8 for video, Opus for
 * audio (docs/protocol.md), with its RTX type if there is one. */
static gboolean
choose_codec (const GstSDPMedia *media,
              MsTrackKind        kind,
              Producer          *spec)
{
  const char *want = kind == MS_TRACK_KIND_VIDEO ? "VP8/90000" : "opus/48000";

  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    guint pt = atoi (gst_sdp_media_get_format (media, i));
    const char *map = rtpmap_of (media, pt);
    g_auto (GStrv) parts = NULL;

    if (map == NULL || g_ascii_strncasecmp (map, want, strlen (want)) != 0 || pt > 127)
      continue;
    parts = g_strsplit (map, "/", 3);
    spec->pt = pt;
    spec->encoding = g_strdup (parts[0]);
    spec->clock_rate = atoi (parts[1]);
    spec->channels = parts[2] ? atoi (parts[2]) : 0;
    spec->fmtp = g_strdup (fmtp_of (media, pt));
    spec->nack = kind == MS_TRACK_KIND_VIDEO && has_feedback (media, pt, "nack");
    spec->twcc_ext_id = twcc_extension (media, pt);
    break;
  }
  if (spec->encoding == NULL)
    return FALSE;

  /* RTX for it: rtx/90000 with apt=<pt>. */
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    guint pt = atoi (gst_sdp_media_get_format (media, i));
    const char *map = rtpmap_of (media, pt);
    const char *fmtp = fmtp_of (media, pt);
    g_autofree char *apt = g_strdup_printf ("apt=%u", spec->pt);

    if (map != NULL && g_ascii_strncasecmp (map, "rtx/", 4) == 0 && fmtp != NULL &&
        strstr (fmtp, apt) != NULL && pt <= 127) {
      spec->rtx_pt = pt;
      break;
    }
  }
  return TRUE;
}

/* The SSRCs the m-line sends: a=ssrc-group:FID MEDIA RTX, or the first
 * a=ssrc. */
static gboolean
read_ssrcs (const GstSDPMedia *media,
            Producer          *spec)
{
  for (guint i = 0;; i++) {
    const char *group = gst_sdp_media_get_attribute_val_n (media, "ssrc-group", i);
    guint32 a, b;

    if (group == NULL)
      break;
    if (sscanf (group, "FID %u %u", &a, &b) == 2 && a != 0 && b != 0) {
      spec->ssrc = a;
      spec->rtx_ssrc = spec->rtx_pt != 0 ? b : 0;
      return TRUE;
    }
  }
  {
    const char *value = gst_sdp_media_get_attribute_val (media, "ssrc");
    guint32 a;

    if (value != NULL && sscanf (value, "%u", &a) == 1 && a != 0) {
      spec->ssrc = a;
      spec->rtx_pt = 0;
      return TRUE;
    }
  }
  return FALSE;
}

static const char *
direction_of (const GstSDPMedia *media)
{
  static const char * const directions[] = { "sendonly", "recvonly", "sendrecv", "inactive" };

  for (guint i = 0; i < G_N_ELEMENTS (directions); i++)
    if (gst_sdp_media_get_attribute_val (media, directions[i]) != NULL)
      return directions[i];
  return "sendrecv";
}

static void
add_codec (GstSDPMedia *out,
           guint8       pt,
           const char  *encoding,
           guint        clock_rate,
           guint        channels,
           const char  *fmtp,
           gboolean     video,
           guint8       rtx_pt)
{
  g_autofree char *pt_text = g_strdup_printf ("%u", pt);
  g_autofree char *map = channels > 1 ?
    g_strdup_printf ("%u %s/%u/%u", pt, encoding, clock_rate, channels) :
    g_strdup_printf ("%u %s/%u", pt, encoding, clock_rate);

  gst_sdp_media_add_format (out, pt_text);
  gst_sdp_media_add_attribute (out, "rtpmap", map);
  if (fmtp != NULL && fmtp[0] != '\0') {
    g_autofree char *line = g_strdup_printf ("%u %s", pt, fmtp);

    gst_sdp_media_add_attribute (out, "fmtp", line);
  }
  if (video) {
    static const char * const feedback[] = { "nack", "nack pli", "ccm fir" };

    for (guint i = 0; i < G_N_ELEMENTS (feedback); i++) {
      g_autofree char *line = g_strdup_printf ("%u %s", pt, feedback[i]);

      gst_sdp_media_add_attribute (out, "rtcp-fb", line);
    }
  }
  if (rtx_pt != 0) {
    g_autofree char *rtx_text = g_strdup_printf ("%u", rtx_pt);
    g_autofree char *rtx_map = g_strdup_printf ("%u rtx/%u", rtx_pt, clock_rate);
    g_autofree char *rtx_fmtp = g_strdup_printf ("%u apt=%u", rtx_pt, pt);

    gst_sdp_media_add_format (out, rtx_text);
    gst_sdp_media_add_attribute (out, "rtpmap", rtx_map);
    gst_sdp_media_add_attribute (out, "fmtp", rtx_fmtp);
  }
}

static GstSDPMessage *
new_session (guint64 session_id,
             guint   version)
{
  GstSDPMessage *sdp = NULL;
  g_autofree char *sess = g_strdup_printf ("%" G_GUINT64_FORMAT, session_id);
  g_autofree char *ver = g_strdup_printf ("%u", version);

  gst_sdp_message_new (&sdp);
  gst_sdp_message_set_version (sdp, "0");
  gst_sdp_message_set_origin (sdp, "-", sess, ver, "IN", "IP4", "0.0.0.0");
  gst_sdp_message_set_session_name (sdp, "-");
  gst_sdp_message_add_time (sdp, "0", "0", NULL);
  gst_sdp_message_add_attribute (sdp, "msid-semantic", " WMS *");
  return sdp;
}

static char *
publish_answer (MsPeerMedia *media,
                GArray      *lines,
                guint16      port,
                const char  *address,
                MsEngineSetup setup)
{
  GstSDPMessage *answer = new_session (media->session_id, ++media->pub_version);
  char *text;

  for (guint i = 0; i < lines->len; i++) {
    Line *line = &g_array_index (lines, Line, i);
    const char *direction = direction_of (line->media);
    GstSDPMedia *out = NULL;

    gst_sdp_media_new (&out);
    gst_sdp_media_set_media (out, gst_sdp_media_get_media (line->media));
    gst_sdp_media_set_proto (out, gst_sdp_media_get_proto (line->media));
    gst_sdp_media_set_port_info (out, 9, 1);
    if (line->spec == NULL && line->mid != NULL && line->bundled &&
        (g_strcmp0 (gst_sdp_media_get_media (line->media), "video") == 0 ||
         g_strcmp0 (gst_sdp_media_get_media (line->media), "audio") == 0) &&
        gst_sdp_media_formats_len (line->media) > 0) {
      /* A transceiver of no track (a closed one, made inactive): kept,
       * inactive, in the bundle; webrtcbin 1.22 removes none. */
      const char *format = gst_sdp_media_get_format (line->media, 0);
      const char *map = rtpmap_of (line->media, atoi (format));
      g_autofree char *rtpmap = map ? g_strdup_printf ("%s %s", format, map) : NULL;

      gst_sdp_media_add_format (out, format);
      if (rtpmap != NULL)
        gst_sdp_media_add_attribute (out, "rtpmap", rtpmap);
      gst_sdp_media_add_attribute (out, "mid", line->mid);
      gst_sdp_media_add_attribute (out, "inactive", "");
    } else if (line->spec == NULL) {
      gst_sdp_media_add_attribute (out, "rejected", "");
      gst_sdp_media_add_format (out, gst_sdp_media_formats_len (line->media) > 0 ?
                                gst_sdp_media_get_format (line->media, 0) : "0");
      if (line->mid != NULL)
        gst_sdp_media_add_attribute (out, "mid", line->mid);
      gst_sdp_media_add_attribute (out, "inactive", "");
    } else {
      Producer *spec = line->spec;

      gst_sdp_media_add_attribute (out, "mid", line->mid);
      gst_sdp_media_add_attribute (out, g_str_equal (direction, "sendonly") ||
                                   g_str_equal (direction, "sendrecv") ? "recvonly" : "inactive",
                                   "");
      add_codec (out, spec->pt, spec->encoding, spec->clock_rate, spec->channels, spec->fmtp,
                 spec->kind == MS_TRACK_KIND_VIDEO, spec->rtx_pt);
      if (spec->twcc_ext_id != 0) {
        g_autofree char *extmap = g_strdup_printf ("%u %s", spec->twcc_ext_id, TWCC_URI);
        g_autofree char *feedback = g_strdup_printf ("%u transport-cc", spec->pt);

        gst_sdp_media_add_attribute (out, "extmap", extmap);
        gst_sdp_media_add_attribute (out, "rtcp-fb", feedback);
      }
    }
    gst_sdp_message_add_media (answer, out);
    gst_sdp_media_free (out);
  }
  ms_engine_sdp_fill_answer (answer, media->pub_ufrag, media->pub_pwd, setup, address, port);
  text = gst_sdp_message_as_text (answer);
  gst_sdp_message_free (answer);
  return text;
}

typedef struct {
  MsServer *server;
  char     *room;
  char     *peer_id;
  MsPcKind  pc;
  char     *sdp;
  char     *candidate;
  GPtrArray *tracks;
} Outgoing;

static void
outgoing_free (gpointer data)
{
  Outgoing *out = data;

  g_free (out->room);
  g_free (out->peer_id);
  g_free (out->sdp);
  g_free (out->candidate);
  g_clear_pointer (&out->tracks, g_ptr_array_unref);
  g_free (out);
}

static gboolean
send_outgoing (gpointer data)
{
  Outgoing *out = data;
  MsParticipant *p = lookup (out->server, out->room, out->peer_id);
  g_autoptr (MsMessage) candidate = ms_message_new (MS_MSG_CANDIDATE);
  g_autoptr (MsMessage) msg = NULL;

  if (p == NULL)
    return G_SOURCE_REMOVE;
  ms_server_log (G_LOG_LEVEL_DEBUG, out->room, out->peer_id, "%s %s:\n%s",
                 ms_pc_kind_to_string (out->pc), out->pc == MS_PC_PUBLISH ? "answer" : "offer",
                 out->sdp);
  if (out->pc == MS_PC_PUBLISH) {
    msg = ms_message_new (MS_MSG_ANSWER);
    msg->u.answer.pc = MS_PC_PUBLISH;
    msg->u.answer.sdp = g_steal_pointer (&out->sdp);
  } else {
    msg = ms_message_new (MS_MSG_OFFER);
    msg->u.offer.pc = MS_PC_SUBSCRIBE;
    msg->u.offer.sdp = g_steal_pointer (&out->sdp);
    msg->u.offer.tracks = g_steal_pointer (&out->tracks);
  }
  send_to (p, msg);
  /* The candidate is in the SDP too; webrtcbin 1.22 reads none from a
   * remote answer, so it is trickled as well. */
  candidate->u.candidate.pc = out->pc;
  candidate->u.candidate.candidate = g_steal_pointer (&out->candidate);
  candidate->u.candidate.sdp_mline_index = 0;
  send_to (p, candidate);
  return G_SOURCE_REMOVE;
}

static void
post_outgoing (MsServer      *server,
               MsParticipant *p,
               MsPcKind       pc,
               char          *sdp,
               GPtrArray     *tracks)
{
  MsMediaEngine *engine = server->media;
  Outgoing *out = g_new0 (Outgoing, 1);
  GSource *source = g_idle_source_new ();

  out->server = server;
  out->room = g_strdup (p->room->name);
  out->peer_id = g_strdup (p->id);
  out->pc = pc;
  out->sdp = sdp;
  out->tracks = tracks;
  out->candidate = g_strdup_printf ("candidate:1 1 udp 2130706431 %s %u typ host",
                                    engine->address,
                                    ms_engine_worker_get_port (p->media->room->worker->worker));
  /* After the reply to the request that caused it (ok comes first). */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, send_outgoing, out, outgoing_free);
  g_source_attach (source, NULL);
  g_source_unref (source);
}


static Producer *
find_producer (MsPeerMedia *media,
               const char  *tag)
{
  for (guint i = 0; i < media->producers->len; i++) {
    Producer *producer = g_ptr_array_index (media->producers, i);

    if (g_str_equal (producer->tag, tag))
      return producer;
  }
  return NULL;
}

static void
line_clear (gpointer data)
{
  Line *line = data;

  g_clear_pointer (&line->spec, producer_free);
}

static gboolean publish_tracks (MsServer      *server,
                                MsParticipant *p,
                                const char    *text,
                                GPtrArray     *tracks,
                                GError       **error);

gboolean
ms_media_publish (MsServer        *server,
                  MsParticipant   *p,
                  const MsMessage *offer,
                  GError         **error)
{
  GPtrArray *tracks = offer->u.offer.tracks;
  MsEngineOffer transport = { 0 };
  GstSDPMessage *sdp;

  ms_server_log (G_LOG_LEVEL_DEBUG, p->room->name, p->id, "publish offer:\n%s",
                 offer->u.offer.sdp);
  /* No tracks: the publish side closes. When the offer is one of the
   * current PeerConnection's (its last track closed, in place), it is
   * answered on it like any other, so that the next track can come back
   * on the same PeerConnection; an offer without usable SDP just closes. */
  if (tracks == NULL || tracks->len == 0) {
    sdp = ms_sdp_check_offer (offer->u.offer.sdp, NULL, NULL);
    if (sdp == NULL || p->media == NULL || p->media->pub_id == 0 ||
        !ms_engine_sdp_read_offer (sdp, MS_ENGINE_SETUP_PASSIVE, &transport, NULL) ||
        g_strcmp0 (p->media->pub_remote_ufrag, transport.ufrag) != 0) {
      if (sdp != NULL)
        gst_sdp_message_free (sdp);
      ms_engine_offer_clear (&transport);
      if (p->media != NULL)
        stop_publish (p);
      ms_media_update_room (server, p->room);
      return TRUE;
    }
    gst_sdp_message_free (sdp);
    ms_engine_offer_clear (&transport);
    if (tracks == NULL) {
      g_autoptr (GPtrArray) none = g_ptr_array_new ();

      return publish_tracks (server, p, offer->u.offer.sdp, none, error);
    }
  }
  return publish_tracks (server, p, offer->u.offer.sdp, tracks, error);
}

static gboolean
publish_tracks (MsServer      *server,
                MsParticipant *p,
                const char    *text,
                GPtrArray     *tracks,
                GError       **error)
{
  g_autoptr (GArray) lines = NULL;
  g_auto (MsEngineOffer) transport = { 0 };
  g_autoptr (GError) local_error = NULL;
  MsEngineWorker *worker;
  GstSDPMessage *sdp;
  MsPeerMedia *media;
  gboolean in_place;
  char *answer;

  sdp = ms_sdp_check_offer (text, tracks, error);
  if (sdp == NULL)
    return FALSE;
  if (!ms_engine_sdp_read_offer (sdp, MS_ENGINE_SETUP_PASSIVE, &transport, &local_error)) {
    g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "The offer cannot be used: %s", local_error->message);
    gst_sdp_message_free (sdp);
    return FALSE;
  }

  /* Every track needs its m-line, of its kind, with our codec and an SSRC. */
  lines = g_array_new (FALSE, TRUE, sizeof (Line));
  g_array_set_clear_func (lines, line_clear);
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    Line line = { 0 };

    line.media = gst_sdp_message_get_media (sdp, i);
    line.mid = gst_sdp_media_get_attribute_val (line.media, "mid");
    line.bundled = ms_sdp_in_bundle (sdp, line.mid);
    line.track = ms_sdp_track_of_mid (tracks, line.mid);
    if (line.track != NULL) {
      const char *type = gst_sdp_media_get_media (line.media);
      Producer *spec = g_new0 (Producer, 1);

      spec->kind = line.track->kind;
      line.spec = spec;
      g_array_append_val (lines, line);
      if (g_strcmp0 (type, ms_track_kind_to_string (line.track->kind)) != 0) {
        g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                     "The track '%s' is %s, but its m-line is %s", line.track->tag,
                     ms_track_kind_to_string (line.track->kind), type);
        break;
      }
      if (!choose_codec (line.media, line.track->kind, spec)) {
        g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                     "The track '%s' offers no %s", line.track->tag,
                     line.track->kind == MS_TRACK_KIND_VIDEO ? "VP8" : "Opus");
        break;
      }
      if (!line.bundled) {
        g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                     "The track '%s' is not in the offer's BUNDLE group", line.track->tag);
        break;
      }
      if (!read_ssrcs (line.media, spec)) {
        g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                     "The track '%s' states no SSRC (a=ssrc)", line.track->tag);
        break;
      }
      spec->mid = g_strdup (line.mid);
      spec->tag = g_strdup (line.track->tag);
    } else {
      g_array_append_val (lines, line);
    }
  }
  if (error != NULL && *error != NULL) {
    g_clear_pointer (&lines, g_array_unref);
    gst_sdp_message_free (sdp);
    return FALSE;
  }

  media = peer_media (server, p);
  worker = media->room->worker->worker;
  in_place = media->pub_id != 0 && g_strcmp0 (media->pub_remote_ufrag, transport.ufrag) == 0 &&
             g_strcmp0 (media->pub_remote_pwd, transport.pwd) == 0;
  if (!in_place) {
    stop_publish (p);
    ms_engine_ice_credentials_new (&media->pub_ufrag, &media->pub_pwd);
    media->pub_remote_ufrag = g_strdup (transport.ufrag);
    media->pub_remote_pwd = g_strdup (transport.pwd);
    media->pub_id = add_transport (p, MS_PC_PUBLISH, media->pub_ufrag, media->pub_pwd,
                                   transport.ufrag, transport.pwd, transport.fingerprint,
                                   transport.setup);
  }

  /* Producers: kept when the same stream goes on under the same tag. */
  for (guint i = media->producers->len; i > 0; i--) {
    Producer *old = g_ptr_array_index (media->producers, i - 1);
    gboolean kept = FALSE;

    for (guint j = 0; j < lines->len && !kept; j++) {
      Line *line = &g_array_index (lines, Line, j);

      kept = line->spec != NULL && g_str_equal (line->spec->tag, old->tag) &&
             line->spec->ssrc == old->ssrc && line->spec->pt == old->pt &&
             line->spec->rtx_ssrc == old->rtx_ssrc;
    }
    if (!kept) {
      ms_engine_worker_remove_producer (worker, old->id);
      g_ptr_array_remove_index (media->producers, i - 1);
    }
  }
  for (guint j = 0; j < lines->len; j++) {
    Line *line = &g_array_index (lines, Line, j);
    Producer *spec = line->spec;
    MsEngineProducerParams params = { 0 };

    if (spec == NULL || find_producer (media, spec->tag) != NULL)
      continue;
    params.transport_id = media->pub_id;
    params.ssrc = spec->ssrc;
    params.rtx_ssrc = spec->rtx_ssrc;
    params.payload_type = spec->pt;
    params.rtx_payload_type = spec->rtx_pt;
    params.clock_rate = spec->clock_rate;
    params.codec = spec->kind == MS_TRACK_KIND_VIDEO ? MS_ENGINE_CODEC_VP8 : MS_ENGINE_CODEC_OPUS;
    params.video = spec->kind == MS_TRACK_KIND_VIDEO;
    params.nack = spec->nack;
    params.twcc_ext_id = spec->twcc_ext_id;
    spec->id = ms_engine_worker_add_producer (worker, &params);
    g_ptr_array_add (media->producers, g_memdup2 (spec, sizeof *spec));
    /* The copy owns the strings now. */
    memset (spec, 0, sizeof *spec);
    g_free (line->spec);
    line->spec = g_ptr_array_index (media->producers, media->producers->len - 1);
  }

  answer = publish_answer (media, lines, ms_engine_worker_get_port (worker),
                           server->media->address, transport.setup);
  /* The lines borrow the producers now: they must not free them. */
  for (guint j = 0; j < lines->len; j++) {
    Line *line = &g_array_index (lines, Line, j);

    if (line->spec != NULL && g_ptr_array_find (media->producers, line->spec, NULL))
      line->spec = NULL;
  }
  g_clear_pointer (&lines, g_array_unref);
  gst_sdp_message_free (sdp);
  ms_server_log (G_LOG_LEVEL_DEBUG, p->room->name, p->id, "publish answer (%s), %u producers",
                 in_place ? "same transport" : "new transport", media->producers->len);
  post_outgoing (server, p, MS_PC_PUBLISH, answer, NULL);
  ms_media_update_room (server, p->room);
  return TRUE;
}

void
ms_media_add_candidate (MsParticipant *p,
                        MsPcKind       pc,
                        const char    *candidate,
                        guint          mline_index)
{
  /* ICE-lite (RFC 8445 2.5): the client's checks tell us its addresses. */
}

void
ms_media_close_track (MsParticipant *p,
                      const char    *tag)
{
  Producer *producer;

  if (p->media == NULL)
    return;
  producer = find_producer (p->media, tag);
  if (producer == NULL)
    return;
  ms_engine_worker_remove_producer (p->media->room->worker->worker, producer->id);
  g_ptr_array_remove (p->media->producers, producer);
  ms_media_update_room (p->media->room->server, p->room);
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

/* ---- subscribe: our offers, the client's answers ---- */

static gboolean
should_consume (MsParticipant *s,
                MsParticipant *publisher,
                const char    *tag)
{
  return s != publisher && !publisher->hidden && s->client != NULL &&
         ms_grant_allows ((const char * const *) s->grants.recv_tracks, tag) &&
         ms_participant_find_track (publisher, tag) != NULL;
}

static gboolean
slot_paused (MsParticipant *s,
             Slot          *slot)
{
  MsParticipant *q = slot->peer_id ? ms_room_lookup (s->room, slot->peer_id) : NULL;
  MsTrackDesc *track = q ? ms_participant_find_track (q, slot->tag) : NULL;

  return track == NULL || track->paused || !ms_participant_receives (s, q->id, slot->tag);
}

static void
apply_pauses (MsParticipant *s)
{
  MsEngineWorker *worker = s->media->room->worker->worker;

  for (guint i = 0; i < s->media->slots->len; i++) {
    Slot *slot = g_ptr_array_index (s->media->slots, i);
    gboolean paused = slot->live_id == 0 || slot_paused (s, slot);

    if (paused != slot->paused) {
      slot->paused = paused;
      ms_engine_worker_set_consumer_paused (worker, slot->consumer_id, paused);
    }
  }
}

static gboolean
slot_fits (Slot     *slot,
           Producer *producer)
{
  return slot->kind == producer->kind && g_str_equal (slot->encoding, producer->encoding) &&
         slot->clock_rate == producer->clock_rate && slot->channels == producer->channels;
}

/* The publisher's fmtp without what only describes its own sending
 * (Opus's sprop-*). */
static char *
receiver_fmtp (const char *fmtp)
{
  g_auto (GStrv) params = g_strsplit (fmtp ? fmtp : "", ";", -1);
  g_autoptr (GStrvBuilder) kept = g_strv_builder_new ();
  g_auto (GStrv) out = NULL;

  for (guint i = 0; params[i] != NULL; i++) {
    const char *param = g_strstrip (params[i]);

    if (param[0] != '\0' && !g_str_has_prefix (param, "sprop-"))
      g_strv_builder_add (kept, param);
  }
  out = g_strv_builder_end (kept);
  return out[0] != NULL ? g_strjoinv (";", out) : NULL;
}

static Slot *
new_slot (MsParticipant *s,
          Producer      *producer)
{
  MsPeerMedia *media = s->media;
  guint index = media->slots->len;
  Slot *slot;
  MsEngineConsumerParams params = { 0 };

  if (index >= MAX_SLOTS)
    return NULL;
  slot = g_new0 (Slot, 1);
  slot->mid = g_strdup_printf ("%u", index);
  slot->kind = producer->kind;
  slot->encoding = g_strdup (producer->encoding);
  slot->clock_rate = producer->clock_rate;
  slot->channels = producer->channels;
  slot->fmtp = receiver_fmtp (producer->fmtp);
  slot->pt = payload_types[2 * index];
  slot->rtx_pt = producer->kind == MS_TRACK_KIND_VIDEO ? payload_types[2 * index + 1] : 0;
  slot->ssrc = new_ssrc ();
  slot->rtx_ssrc = slot->rtx_pt ? new_ssrc () : 0;
  slot->paused = TRUE;

  params.transport_id = media->sub_id;
  params.ssrc = slot->ssrc;
  params.rtx_ssrc = slot->rtx_ssrc;
  params.payload_type = slot->pt;
  params.rtx_payload_type = slot->rtx_pt;
  params.clock_rate = slot->clock_rate;
  params.video = slot->kind == MS_TRACK_KIND_VIDEO;
  slot->consumer_id = ms_engine_worker_add_consumer (media->room->worker->worker, &params);
  ms_engine_worker_set_consumer_paused (media->room->worker->worker, slot->consumer_id, TRUE);
  g_ptr_array_add (media->slots, slot);
  return slot;
}

static char *
subscribe_offer (MsServer      *server,
                 MsParticipant *s,
                 GPtrArray    **tracks)
{
  MsPeerMedia *media = s->media;
  GstSDPMessage *offer = new_session (media->session_id, ++media->sub_version);
  g_autofree char *cname = g_strdup_printf ("mediastore-%s", s->id);
  char *text;

  *tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_track_desc_free);
  for (guint i = 0; i < media->slots->len; i++) {
    Slot *slot = g_ptr_array_index (media->slots, i);
    GstSDPMedia *out = NULL;

    gst_sdp_media_new (&out);
    gst_sdp_media_set_media (out, ms_track_kind_to_string (slot->kind));
    gst_sdp_media_set_proto (out, "UDP/TLS/RTP/SAVPF");
    gst_sdp_media_set_port_info (out, 9, 1);
    gst_sdp_media_add_attribute (out, "mid", slot->mid);
    add_codec (out, slot->pt, slot->encoding, slot->clock_rate, slot->channels, slot->fmtp,
               slot->kind == MS_TRACK_KIND_VIDEO, slot->rtx_pt);
    slot->offered_id = slot->producer_id;
    /* An m-line never changes once offered: webrtcbin 1.22 ends the
     * stream of one made inactive and refuses it back. A free one stays
     * sendonly, with its SSRCs and no packets, until it is reused. */
    gst_sdp_media_add_attribute (out, "sendonly", "");
    {
      g_autofree char *msid = g_strdup_printf ("mediastore slot-%s", slot->mid);
      guint32 ssrcs[2] = { slot->ssrc, slot->rtx_ssrc };

      if (slot->rtx_ssrc != 0) {
        g_autofree char *group = g_strdup_printf ("FID %u %u", slot->ssrc, slot->rtx_ssrc);

        gst_sdp_media_add_attribute (out, "ssrc-group", group);
      }
      for (guint k = 0; k < 2 && ssrcs[k] != 0; k++) {
        g_autofree char *line_cname = g_strdup_printf ("%u cname:%s", ssrcs[k], cname);
        g_autofree char *line_msid = g_strdup_printf ("%u msid:%s", ssrcs[k], msid);

        gst_sdp_media_add_attribute (out, "ssrc", line_cname);
        gst_sdp_media_add_attribute (out, "ssrc", line_msid);
      }
    }
    if (slot->producer_id != 0) {
      MsParticipant *q = ms_room_lookup (s->room, slot->peer_id);
      MsTrackDesc *track = q ? ms_participant_find_track (q, slot->tag) : NULL;
      MsTrackDesc *desc;

      desc = ms_track_desc_new (slot->tag, slot->kind, track ? track->paused : FALSE);
      desc->mid = g_strdup (slot->mid);
      desc->peer_id = g_strdup (slot->peer_id);
      g_ptr_array_add (*tracks, desc);
    }
    gst_sdp_message_add_media (offer, out);
    gst_sdp_media_free (out);
  }
  ms_engine_sdp_fill_offer (offer, media->sub_ufrag, media->sub_pwd, server->media->address,
                            ms_engine_worker_get_port (media->room->worker->worker));
  text = gst_sdp_message_as_text (offer);
  gst_sdp_message_free (offer);
  return text;
}

/* Brings @s's slots in line with what it should receive; TRUE if an
 * offer has to say so. While an offer is out, slots only lose their
 * producers (the answer must not start one the client was not told
 * of); the rest waits for the next offer. */
static gboolean
update_slots (MsParticipant *s)
{
  MsPeerMedia *media = s->media;
  MsEngineWorker *worker = media->room->worker->worker;
  MsRoom *room = s->room;
  gboolean changed = FALSE;

  for (guint i = 0; i < media->slots->len; i++) {
    Slot *slot = g_ptr_array_index (media->slots, i);
    MsParticipant *q = slot->peer_id ? ms_room_lookup (room, slot->peer_id) : NULL;
    gboolean keep = FALSE;

    if (slot->producer_id == 0)
      continue;
    if (q != NULL && q->media != NULL && should_consume (s, q, slot->tag)) {
      Producer *producer = find_producer (q->media, slot->tag);

      keep = producer != NULL && producer->id == slot->producer_id;
    }
    if (!keep) {
      slot_unassign (slot);
      if (slot->live_id != 0) {
        ms_engine_worker_set_consumer_source (worker, slot->consumer_id, 0);
        slot->live_id = 0;
      }
      changed = TRUE;
    }
  }
  if (media->offer_pending)
    return FALSE;

  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *q = g_ptr_array_index (room->participants, i);

    if (q->media == NULL)
      continue;
    for (guint j = 0; j < q->media->producers->len; j++) {
      Producer *producer = g_ptr_array_index (q->media->producers, j);
      Slot *slot = NULL;

      if (!should_consume (s, q, producer->tag))
        continue;
      for (guint k = 0; k < media->slots->len && slot == NULL; k++) {
        Slot *candidate = g_ptr_array_index (media->slots, k);

        if (candidate->producer_id == producer->id)
          slot = candidate;
      }
      if (slot != NULL)
        continue;
      /* A free slot of the same codec, else a new one. */
      for (guint k = 0; k < media->slots->len && slot == NULL; k++) {
        Slot *candidate = g_ptr_array_index (media->slots, k);

        if (candidate->producer_id == 0 && candidate->live_id == 0 && slot_fits (candidate,
                                                                                  producer))
          slot = candidate;
      }
      if (slot == NULL) {
        if (media->sub_id == 0) {
          ms_engine_ice_credentials_new (&media->sub_ufrag, &media->sub_pwd);
          media->sub_id = add_transport (s, MS_PC_SUBSCRIBE, media->sub_ufrag, media->sub_pwd,
                                         NULL, NULL, NULL, MS_ENGINE_SETUP_PASSIVE);
        }
        slot = new_slot (s, producer);
      }
      if (slot == NULL) {
        ms_server_log (G_LOG_LEVEL_INFO, room->name, s->id,
                       "no m-line left for %s of %s (at most %u)", producer->tag, q->id,
                       MAX_SLOTS);
        continue;
      }
      slot->peer_id = g_strdup (q->id);
      slot->tag = g_strdup (producer->tag);
      slot->producer_id = producer->id;
      changed = TRUE;
    }
  }
  return changed;
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
    GPtrArray *tracks = NULL;
    char *offer;

    if (s->client == NULL) {
      /* Reconnecting: its transports go; it offers again when back. */
      if (s->media != NULL) {
        stop_publish (s);
        drop_subscribe (s);
      }
      continue;
    }
    peer_media (media->server, s);
    if (!update_slots (s)) {
      apply_pauses (s);
      continue;
    }
    apply_pauses (s);
    if (s->media->slots->len == 0)
      continue;
    offer = subscribe_offer (media->server, s, &tracks);
    s->media->offer_pending = TRUE;
    ms_server_log (G_LOG_LEVEL_DEBUG, room->name, s->id, "subscribe offer %u with %u tracks",
                   s->media->sub_version, tracks->len);
    post_outgoing (media->server, s, MS_PC_SUBSCRIBE, offer, tracks);
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

static const GstSDPMedia *
media_of_mid (const GstSDPMessage *sdp,
              const char          *mid)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

    if (g_strcmp0 (gst_sdp_media_get_attribute_val (media, "mid"), mid) == 0)
      return media;
  }
  return NULL;
}

gboolean
ms_media_subscribe_answer (MsServer      *server,
                           MsParticipant *p,
                           const char    *text,
                           GError       **error)
{
  g_auto (MsEngineOffer) transport = { 0 };
  g_autoptr (GError) local_error = NULL;
  MsEngineWorker *worker;
  GstSDPMessage *sdp;
  MsPeerMedia *media = p->media;

  if (media == NULL || media->sub_id == 0 || !media->offer_pending) {
    g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "There is no subscribe offer to answer");
    return FALSE;
  }

  ms_server_log (G_LOG_LEVEL_DEBUG, p->room->name, p->id, "subscribe answer:\n%s", text);
  sdp = ms_sdp_check_offer (text, NULL, error);
  if (sdp == NULL)
    return FALSE;
  if (!ms_engine_sdp_read_offer (sdp, MS_ENGINE_SETUP_PASSIVE, &transport, &local_error)) {
    g_set_error (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
                 "The answer cannot be used: %s", local_error->message);
    gst_sdp_message_free (sdp);
    return FALSE;
  }

  worker = media->room->worker->worker;
  if (media->sub_remote_ufrag == NULL) {
    ms_engine_worker_set_remote (worker, media->sub_id, transport.fingerprint, transport.setup);
  } else if (g_strcmp0 (media->sub_remote_ufrag, transport.ufrag) != 0 ||
             g_strcmp0 (media->sub_remote_fingerprint, transport.fingerprint) != 0) {
    /* The client answered from a new PeerConnection. */
    ms_server_log (G_LOG_LEVEL_DEBUG, p->room->name, p->id,
                   "subscribe answer from a new PeerConnection");
    ms_engine_worker_reset_transport (worker, media->sub_id, transport.fingerprint,
                                      transport.setup);
  }
  g_free (media->sub_remote_ufrag);
  media->sub_remote_ufrag = g_strdup (transport.ufrag);
  g_free (media->sub_remote_fingerprint);
  media->sub_remote_fingerprint = g_strdup (transport.fingerprint);
  for (guint i = 0; i < media->slots->len; i++) {
    Slot *slot = g_ptr_array_index (media->slots, i);
    const GstSDPMedia *line = media_of_mid (sdp, slot->mid);
    gboolean rtx = FALSE;

    /* RTX only if the answer kept our type for it. */
    if (line != NULL && slot->rtx_pt != 0) {
      const char *map = rtpmap_of (line, slot->rtx_pt);

      rtx = map != NULL && g_ascii_strncasecmp (map, "rtx/", 4) == 0;
    }
    ms_engine_worker_set_consumer_rtx (worker, slot->consumer_id, rtx ? slot->rtx_pt : 0);
    if (slot->producer_id != 0 && slot->producer_id == slot->offered_id &&
        slot->live_id != slot->producer_id && line != NULL && gst_sdp_media_get_port (line) != 0) {
      ms_engine_worker_set_consumer_source (worker, slot->consumer_id, slot->producer_id);
      slot->live_id = slot->producer_id;
    }
  }
  gst_sdp_message_free (sdp);
  media->offer_pending = FALSE;
  ms_server_log (G_LOG_LEVEL_DEBUG, p->room->name, p->id, "subscribe answer %u applied",
                 media->sub_version);
  apply_pauses (p);
  ms_media_update_room (server, p->room);
  return TRUE;
}
