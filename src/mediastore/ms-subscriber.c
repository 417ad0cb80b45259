/* ms-subscriber.c: the subscribe side of a session: the others' tracks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server offers the others' tracks on the subscribe PeerConnection;
 * each offer's mid → (peer, tag) map decides which MsRemoteTrack a
 * received pad feeds. Pads appear on streaming threads, so the map and
 * the pads' branches are guarded by a lock; the rest runs on the main
 * context. The session routes the server's offers and track events here.
 */

/* Its messages are the session's, as they were before it had sides. */
#define G_LOG_DOMAIN "MsSession"

#include "config.h"

#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "ms-media-util-private.h"
#include "ms-remote-track-private.h"
#include "ms-sdp.h"
#include "ms-subscriber.h"

struct _MsSubscriber {
  GObject            parent_instance;

  const MsSignaling *signaling;
  gpointer           owner;
  GstElement        *pipeline;
  GstElement        *mixer;         /* in the pipeline */
  gboolean           decode;

  MsPeerConnection  *pc;
  GMutex             mids_lock;
  GHashTable        *mids;          /* mid → MsRemoteTrack, of the subscribe offer */
  GHashTable        *branches;      /* mid → Branch, the subscribe webrtcbin's pads */
  GPtrArray         *orphans;       /* of Branch, pads without a mid */
  GListStore        *remote_tracks;
};

G_DEFINE_FINAL_TYPE (MsSubscriber, ms_subscriber, G_TYPE_OBJECT)

/* What a received stream's pad feeds: a track's branch, or a fakesink
 * while no track is mapped to its mid. Every pad stays linked, or the
 * whole bundle stops. Guarded by mids_lock. */
typedef struct {
  GstPad        *pad;
  MsRemoteTrack *track;      /* nullable */
  GstElement    *fakesink;   /* nullable */
} Branch;

static void
branch_free (gpointer data)
{
  Branch *branch = data;

  gst_object_unref (branch->pad);
  g_clear_object (&branch->track);
  gst_clear_object (&branch->fakesink);
  g_free (branch);
}

static void
ms_subscriber_dispose (GObject *object)
{
  MsSubscriber *self = MS_SUBSCRIBER (object);

  ms_subscriber_stop (self);

  G_OBJECT_CLASS (ms_subscriber_parent_class)->dispose (object);
}

static void
ms_subscriber_finalize (GObject *object)
{
  MsSubscriber *self = MS_SUBSCRIBER (object);

  g_clear_object (&self->remote_tracks);
  g_hash_table_unref (self->mids);
  g_hash_table_unref (self->branches);
  g_ptr_array_unref (self->orphans);
  g_mutex_clear (&self->mids_lock);

  G_OBJECT_CLASS (ms_subscriber_parent_class)->finalize (object);
}

static void
ms_subscriber_class_init (MsSubscriberClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_subscriber_dispose;
  object_class->finalize = ms_subscriber_finalize;
}

static void
ms_subscriber_init (MsSubscriber *self)
{
  self->decode = TRUE;
  self->remote_tracks = g_list_store_new (MS_TYPE_REMOTE_TRACK);
  self->mids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->branches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, branch_free);
  self->orphans = g_ptr_array_new_with_free_func (branch_free);
  g_mutex_init (&self->mids_lock);
}

MsSubscriber *
ms_subscriber_new (const MsSignaling *signaling,
                   gpointer           owner)
{
  MsSubscriber *self = g_object_new (MS_TYPE_SUBSCRIBER, NULL);

  self->signaling = signaling;
  self->owner = owner;

  return self;
}

void
ms_subscriber_start (MsSubscriber *self,
                     GstBin       *pipeline,
                     GstElement   *mixer)
{
  gst_object_replace ((GstObject **) &self->pipeline, GST_OBJECT (pipeline));
  self->mixer = mixer;
}

void
ms_subscriber_set_decode (MsSubscriber *self,
                          gboolean      decode)
{
  self->decode = decode;
}

MsPeerConnection *
ms_subscriber_get_peer_connection (MsSubscriber *self)
{
  return self->pc;
}

GListModel *
ms_subscriber_get_tracks (MsSubscriber *self)
{
  return G_LIST_MODEL (self->remote_tracks);
}

static char *
pad_mid (GstPad *pad)
{
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;
  char *mid = NULL;

  g_object_get (pad, "transceiver", &transceiver, NULL);
  if (transceiver != NULL)
    g_object_get (transceiver, "mid", &mid, NULL);

  return mid;
}

/* Links @branch's pad to @track's new branch, or to a fakesink. Any
 * thread; the pad is idle (an IDLE probe) or not linked yet. */
static void
branch_feed (MsSubscriber  *self,
             Branch        *branch,
             MsRemoteTrack *track)
{
  if (branch->track != NULL)
    ms_remote_track_detach (branch->track);
  if (branch->fakesink != NULL) {
    g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (branch->fakesink, "sink");

    gst_pad_unlink (branch->pad, sink_pad);
    ms_media_discard_element (GST_BIN (self->pipeline), branch->fakesink);
    gst_clear_object (&branch->fakesink);
  }
  g_clear_object (&branch->track);

  if (track != NULL) {
    branch->track = g_object_ref (track);
    ms_remote_track_attach (track, GST_BIN (self->pipeline), branch->pad, self->decode,
                            self->mixer);
  } else {
    g_autoptr (GstPad) sink_pad = NULL;

    branch->fakesink = gst_object_ref (gst_element_factory_make ("fakesink", NULL));
    g_object_set (branch->fakesink, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (self->pipeline), branch->fakesink);
    sink_pad = gst_element_get_static_pad (branch->fakesink, "sink");
    gst_pad_link (branch->pad, sink_pad);
    gst_element_sync_state_with_parent (branch->fakesink);
  }
}

/* Streaming thread. */
static void
on_pad (MsPeerConnection *pc,
        GstPad           *pad,
        MsSubscriber     *self)
{
  g_autofree char *mid = pad_mid (pad);
  Branch *branch = g_new0 (Branch, 1);

  branch->pad = gst_object_ref (pad);
  g_mutex_lock (&self->mids_lock);
  branch_feed (self, branch, mid != NULL ? g_hash_table_lookup (self->mids, mid) : NULL);
  if (mid != NULL)
    g_hash_table_replace (self->branches, g_steal_pointer (&mid), branch);
  else
    g_ptr_array_add (self->orphans, branch);
  g_mutex_unlock (&self->mids_lock);
}

typedef struct {
  GWeakRef  subscriber;
  char     *mid;
} Move;

static Move *
move_new (MsSubscriber *self,
          const char   *mid)
{
  Move *move = g_new0 (Move, 1);

  g_weak_ref_init (&move->subscriber, self);
  move->mid = g_strdup (mid);

  return move;
}

static void
move_free (gpointer data)
{
  Move *move = data;

  g_weak_ref_clear (&move->subscriber);
  g_free (move->mid);
  g_free (move);
}

/* Between two packets on the pad of @mid: it feeds whatever the current
 * map says (another track, or a fakesink for a track that ended). */
static GstPadProbeReturn
on_idle_move (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  Move *move = user_data;
  g_autoptr (MsSubscriber) self = g_weak_ref_get (&move->subscriber);
  Branch *branch;

  if (self == NULL)
    return GST_PAD_PROBE_REMOVE;

  g_mutex_lock (&self->mids_lock);
  branch = g_hash_table_lookup (self->branches, move->mid);
  if (branch != NULL && branch->pad == pad) {
    MsRemoteTrack *track = g_hash_table_lookup (self->mids, move->mid);

    if (track != branch->track || (track == NULL && branch->fakesink == NULL))
      branch_feed (self, branch, track);
  }
  g_mutex_unlock (&self->mids_lock);

  return GST_PAD_PROBE_REMOVE;
}

static void
on_answer (MsPeerConnection *pc,
           const char       *sdp,
           MsSubscriber     *self)
{
  g_autoptr (MsMessage) answer = ms_message_new (MS_MSG_ANSWER);

  answer->u.answer.pc = MS_PC_SUBSCRIBE;
  answer->u.answer.sdp = g_strdup (sdp);
  self->signaling->send (self->owner, answer, FALSE);
}

/* Stops the PeerConnection, then the branches its pads fed (the other
 * way round its pads would push into nothing). */
static void
drop_peer_connection (MsSubscriber *self)
{
  GHashTableIter iter;
  Branch *branch;

  if (self->pc == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->pc, self);
  ms_peer_connection_close (self->pc);
  g_clear_object (&self->pc);

  g_mutex_lock (&self->mids_lock);
  g_hash_table_iter_init (&iter, self->branches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &branch)) {
    if (branch->track != NULL)
      ms_remote_track_detach (branch->track);
    if (branch->fakesink != NULL)
      ms_media_discard_element (GST_BIN (self->pipeline), branch->fakesink);
  }
  for (guint i = 0; i < self->orphans->len; i++) {
    branch = g_ptr_array_index (self->orphans, i);
    if (branch->fakesink != NULL)
      ms_media_discard_element (GST_BIN (self->pipeline), branch->fakesink);
  }
  g_hash_table_remove_all (self->branches);
  g_ptr_array_set_size (self->orphans, 0);
  g_mutex_unlock (&self->mids_lock);
}

static void
detach_all (MsSubscriber *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->remote_tracks));

  for (guint i = 0; i < n; i++) {
    g_autoptr (MsRemoteTrack) track = g_list_model_get_item (G_LIST_MODEL (self->remote_tracks), i);

    ms_remote_track_detach (track);
  }
}

void
ms_subscriber_stop (MsSubscriber *self)
{
  detach_all (self);
  g_list_store_remove_all (self->remote_tracks);
  g_mutex_lock (&self->mids_lock);
  g_hash_table_remove_all (self->mids);
  g_mutex_unlock (&self->mids_lock);
  drop_peer_connection (self);

  gst_clear_object (&self->pipeline);
  self->mixer = NULL;
}

MsRemoteTrack *
ms_subscriber_lookup (MsSubscriber *self,
                      const char   *peer_id,
                      const char   *tag)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->remote_tracks));

  for (guint i = 0; i < n; i++) {
    g_autoptr (MsRemoteTrack) track = g_list_model_get_item (G_LIST_MODEL (self->remote_tracks), i);

    if (g_str_equal (ms_remote_track_get_peer_id (track), peer_id) &&
        g_str_equal (ms_remote_track_get_tag (track), tag))
      return track;   /* the store keeps it alive */
  }

  return NULL;
}

/* Whether the m-line of @mid in @sdp still sends: an inactive one (or one
 * rejected with port 0; bundle-only m-lines have port 0 too) is a track
 * that ended. */
static gboolean
mid_is_active (const GstSDPMessage *sdp,
               const char          *mid)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

    if (g_strcmp0 (gst_sdp_media_get_attribute_val (media, "mid"), mid) != 0)
      continue;
    return (gst_sdp_media_get_port (media) != 0 ||
            gst_sdp_media_get_attribute_val (media, "bundle-only") != NULL) &&
           gst_sdp_media_get_attribute_val (media, "inactive") == NULL &&
           gst_sdp_media_get_attribute_val (media, "recvonly") == NULL;
  }

  return FALSE;
}

void
ms_subscriber_take_offer (MsSubscriber    *self,
                          const MsMessage *msg)
{
  g_autoptr (GPtrArray) keep = g_ptr_array_new ();
  g_autoptr (GPtrArray) moved = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *tracks = msg->u.offer.tracks;
  GstSDPMessage *sdp = ms_sdp_parse (msg->u.offer.sdp);
  gboolean in_place;

  if (sdp == NULL) {
    g_message ("The server's subscribe offer is not valid SDP");
    return;
  }

  /* The same ICE credentials: the same transport, renegotiated on the
   * same webrtcbin. Otherwise a new PeerConnection; the old one stops
   * first, then its branches go. */
  in_place = self->pc != NULL && ms_peer_connection_same_transport (self->pc, sdp);
  if (!in_place) {
    drop_peer_connection (self);
    detach_all (self);
  }

  g_mutex_lock (&self->mids_lock);
  g_hash_table_remove_all (self->mids);
  for (guint i = 0; i < tracks->len; i++) {
    MsTrackDesc *desc_track = g_ptr_array_index (tracks, i);
    MsRemoteTrack *track;

    if (!mid_is_active (sdp, desc_track->mid))
      continue;
    track = ms_subscriber_lookup (self, desc_track->peer_id, desc_track->tag);
    if (track == NULL) {
      track = ms_remote_track_new (desc_track->peer_id, desc_track->tag, desc_track->kind);
      g_list_store_append (self->remote_tracks, track);
      g_object_unref (track);
    }
    g_ptr_array_add (keep, track);
    g_hash_table_insert (self->mids, g_strdup (desc_track->mid), g_object_ref (track));
  }
  /* Pads that now belong to another track, or to none. */
  if (in_place) {
    GHashTableIter iter;
    const char *mid;
    Branch *branch;

    g_hash_table_iter_init (&iter, self->branches);
    while (g_hash_table_iter_next (&iter, (gpointer *) &mid, (gpointer *) &branch)) {
      if (g_hash_table_lookup (self->mids, mid) != branch->track)
        g_ptr_array_add (moved, g_strdup (mid));
    }
  }
  g_mutex_unlock (&self->mids_lock);

  for (guint i = 0; i < moved->len; i++) {
    Move *move = move_new (self, g_ptr_array_index (moved, i));
    Branch *branch;
    g_autoptr (GstPad) pad = NULL;

    g_mutex_lock (&self->mids_lock);
    branch = g_hash_table_lookup (self->branches, move->mid);
    pad = gst_object_ref (branch->pad);
    g_mutex_unlock (&self->mids_lock);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_IDLE, on_idle_move, move, move_free);
  }

  /* Tracks that are not offered any more are gone. */
  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->remote_tracks)); i > 0; i--) {
    g_autoptr (MsRemoteTrack) track = g_list_model_get_item (G_LIST_MODEL (self->remote_tracks),
                                                             i - 1);

    if (!g_ptr_array_find (keep, track, NULL))
      g_list_store_remove (self->remote_tracks, i - 1);
  }

  if (!in_place) {
    self->pc = self->signaling->peer_connection (self->owner, MS_PC_SUBSCRIBE);
    g_signal_connect_object (self->pc, "pad-added", G_CALLBACK (on_pad), self, 0);
    g_signal_connect_object (self->pc, "answer-ready", G_CALLBACK (on_answer), self, 0);
  }
  ms_peer_connection_take_offer (self->pc, sdp);
}

/* A remote track whose publisher or track went away, without a new offer:
 * its pad, which stays, feeds a fakesink from the next idle moment on. */
void
ms_subscriber_forget (MsSubscriber *self,
                      const char   *peer_id,
                      const char   *tag)
{
  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->remote_tracks)); i > 0; i--) {
    g_autoptr (MsRemoteTrack) track = g_list_model_get_item (G_LIST_MODEL (self->remote_tracks),
                                                             i - 1);
    g_autoptr (GPtrArray) moved = g_ptr_array_new ();
    GHashTableIter iter;
    const char *mid;
    Branch *branch;
    gboolean fed = FALSE;

    if (!g_str_equal (ms_remote_track_get_peer_id (track), peer_id) ||
        (tag != NULL && !g_str_equal (ms_remote_track_get_tag (track), tag)))
      continue;

    g_mutex_lock (&self->mids_lock);
    g_hash_table_iter_init (&iter, self->mids);
    while (g_hash_table_iter_next (&iter, (gpointer *) &mid, NULL)) {
      if (g_hash_table_lookup (self->mids, mid) != track)
        continue;
      branch = g_hash_table_lookup (self->branches, mid);
      if (branch != NULL && branch->track == track) {
        g_ptr_array_add (moved, move_new (self, mid));
        fed = TRUE;
      }
      g_hash_table_iter_remove (&iter);
    }
    g_mutex_unlock (&self->mids_lock);

    for (guint j = 0; j < moved->len; j++) {
      Move *move = g_ptr_array_index (moved, j);
      g_autoptr (GstPad) pad = NULL;

      g_mutex_lock (&self->mids_lock);
      branch = g_hash_table_lookup (self->branches, move->mid);
      pad = branch != NULL ? gst_object_ref (branch->pad) : NULL;
      g_mutex_unlock (&self->mids_lock);
      if (pad != NULL)
        gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_IDLE, on_idle_move, move, move_free);
      else
        move_free (move);
      moved->pdata[j] = NULL;
    }
    if (!fed)
      ms_remote_track_detach (track);
    g_list_store_remove (self->remote_tracks, i - 1);
  }
}
