/* ms-publisher.c: the publish side of a session: our tracks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each track we send is a bin in the session's pipeline, linked to a
 * send-only transceiver of the publish PeerConnection; we offer, the
 * server answers. Tracks sent or closed together go into one offer. The
 * session checks the public calls (the call, the grants, the tag) and
 * routes the server's answers, oks, errors and media-failed here.
 */

/* Its messages are the session's, as they were before it had sides. */
#define G_LOG_DOMAIN "MsSession"

#include "config.h"

#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "ms-local-track-private.h"
#include "ms-media-util-private.h"
#include "ms-publisher.h"
#include "ms-sdp.h"
#include "ms-store-private.h"

#define FIRST_PAYLOAD 96

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
  gulong                   hold;          /* ms_local_track_bin_hold_sender(), or 0 */
} Local;

struct _MsPublisher {
  GObject            parent_instance;

  MsStore           *store;
  const MsSignaling *signaling;
  gpointer           owner;
  GMainContext      *context;
  GstElement        *pipeline;

  gboolean           renegotiation; /* welcome: the server renegotiates in place */

  MsPeerConnection  *pc;
  gint64             offer_id;
  gboolean           pending;       /* an offer is being made or answered */
  gboolean           dirty;         /* changed since: another offer follows */
  gboolean           rebuild;       /* the next offer needs a new PeerConnection */
  guint              unlinking;     /* track bins still to unlink */
  guint              next_payload;
  GSource           *idle;
  GPtrArray         *locals;        /* of Local */
};

G_DEFINE_FINAL_TYPE (MsPublisher, ms_publisher, G_TYPE_OBJECT)

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
ms_publisher_dispose (GObject *object)
{
  MsPublisher *self = MS_PUBLISHER (object);

  ms_publisher_stop (self, FALSE);

  G_OBJECT_CLASS (ms_publisher_parent_class)->dispose (object);
}

static void
ms_publisher_finalize (GObject *object)
{
  MsPublisher *self = MS_PUBLISHER (object);

  g_clear_object (&self->store);
  g_ptr_array_unref (self->locals);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (ms_publisher_parent_class)->finalize (object);
}

static void
ms_publisher_class_init (MsPublisherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_publisher_dispose;
  object_class->finalize = ms_publisher_finalize;
}

static void
ms_publisher_init (MsPublisher *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->locals = g_ptr_array_new_with_free_func (local_free);
  self->next_payload = FIRST_PAYLOAD;
}

MsPublisher *
ms_publisher_new (MsStore           *store,
                  const MsSignaling *signaling,
                  gpointer           owner)
{
  MsPublisher *self = g_object_new (MS_TYPE_PUBLISHER, NULL);

  self->store = g_object_ref (store);
  self->signaling = signaling;
  self->owner = owner;

  return self;
}

void
ms_publisher_start (MsPublisher *self,
                    GstBin      *pipeline)
{
  gst_object_replace ((GstObject **) &self->pipeline, GST_OBJECT (pipeline));
}

void
ms_publisher_set_renegotiation (MsPublisher *self,
                                gboolean     renegotiation)
{
  self->renegotiation = renegotiation;
}

MsPeerConnection *
ms_publisher_get_peer_connection (MsPublisher *self)
{
  return self->pc;
}

static void
publish_update (MsPublisher *self);

static void
on_negotiation_failed (MsPeerConnection *pc,
                       const char       *message,
                       MsPublisher      *self)
{
  if (pc == self->pc) {
    /* Rebuilt from scratch with the next offer. */
    self->pending = FALSE;
    self->rebuild = TRUE;
    publish_update (self);
  }
}

static void
on_offer (MsPeerConnection *pc,
          const char       *sdp,
          MsPublisher      *self);
static void
on_remote_set (MsPeerConnection *pc,
               MsPublisher      *self);

static void
new_peer_connection (MsPublisher *self)
{
  self->pc = self->signaling->peer_connection (self->owner, MS_PC_PUBLISH);
  g_signal_connect_object (self->pc, "negotiation-failed", G_CALLBACK (on_negotiation_failed),
                           self, 0);
  g_signal_connect_object (self->pc, "offer-ready", G_CALLBACK (on_offer), self, 0);
  g_signal_connect_object (self->pc, "remote-set", G_CALLBACK (on_remote_set), self, 0);
}

static void
drop_peer_connection (MsPublisher *self)
{
  if (self->pc == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->pc, self);
  ms_peer_connection_close (self->pc);
  g_clear_object (&self->pc);
}

void
ms_publisher_stop (MsPublisher *self,
                   gboolean     keep_own_tracks)
{
  if (self->idle != NULL) {
    g_source_destroy (self->idle);
    g_clear_pointer (&self->idle, g_source_unref);
  }
  {
    g_autoptr (GPtrArray) tags = g_ptr_array_new_with_free_func (g_free);

    for (guint i = 0; i < self->locals->len; i++)
      g_ptr_array_add (tags, g_strdup (((Local *) g_ptr_array_index (self->locals, i))->tag));
    g_ptr_array_set_size (self->locals, 0);
    for (guint i = 0; i < tags->len && !keep_own_tracks; i++)
      ms_store_remove_own_track (self->store, g_ptr_array_index (tags, i));
  }
  drop_peer_connection (self);
  self->pending = self->dirty = self->rebuild = FALSE;
  self->next_payload = FIRST_PAYLOAD;

  gst_clear_object (&self->pipeline);
}

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
  GWeakRef  publisher;
  GstPad   *src;
  GstPad   *sink;
  GstElement *bin;    /* the track's */
  Local    *closed;   /* a closed track's, freed once unlinked; or NULL */
  gulong    probe;
  gulong    hold;     /* unlinked under a push: the bin's sender is held */
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
  g_weak_ref_clear (&u->publisher);
  gst_object_unref (u->src);
  gst_object_unref (u->sink);
  gst_object_unref (u->bin);
  g_free (u);
}

static void
on_unlinked (MsPublisher *self,
             Unlink      *u);

static gboolean
on_unlinked_hop (gpointer data)
{
  Unlink *u = data;
  g_autoptr (MsPublisher) self = g_weak_ref_get (&u->publisher);

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
  g_autoptr (MsPublisher) self = g_weak_ref_get (&u->publisher);
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
    /* Most likely inside a webrtcbin whose DTLS never came up: its
     * shutdown will hand the push FLUSHING (see publish_update()). */
    if (u->closed == NULL)
      u->hold = ms_local_track_bin_hold_sender (u->bin);
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
unlink_local (MsPublisher *self,
              Local       *local,
              gboolean     closing)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (local->bin, "src");
  Unlink *u = g_new0 (Unlink, 1);

  GSource *deadline;

  u->ref = 2;
  g_weak_ref_init (&u->publisher, self);
  u->src = gst_object_ref (src);
  u->sink = g_steal_pointer (&local->sink);
  u->bin = gst_object_ref (local->bin);
  u->closed = closing ? local : NULL;
  self->unlinking++;
  deadline = g_timeout_source_new (UNLINK_DEADLINE_MS);
  g_source_set_callback (deadline, on_unlink_deadline, u, unlink_free);
  g_source_attach (deadline, self->context);
  g_source_unref (deadline);
  u->probe = gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_IDLE, on_idle_unlink, u, unlink_free);
}

static void
on_unlinked (MsPublisher *self,
             Unlink      *u)
{
  self->unlinking--;
  for (guint i = 0; i < self->locals->len && u->hold != 0; i++) {
    Local *local = g_ptr_array_index (self->locals, i);

    if (local->bin == u->bin)
      local->hold = u->hold;
  }
  /* A closed track's transceiver stays, inactive, on a PeerConnection
   * renegotiated in place (webrtcbin 1.22 removes none). */
  if (self->pc != NULL && u->closed != NULL && !self->rebuild)
    ms_peer_connection_retire_sender (self->pc, u->sink);
  if (u->closed != NULL)
    local_free (u->closed);
  if (self->unlinking == 0 && self->dirty)
    publish_update (self);
}

static gboolean
can_renegotiate (MsPublisher *self)
{
  return self->renegotiation && self->pc != NULL && !self->rebuild &&
         !ms_peer_connection_get_failed (self->pc) &&
         self->next_payload + 1 <= 127;
}

/* Tracks sent or closed since the last offer go into one new offer: on the
 * same publish PeerConnection when the server renegotiates in place
 * (welcome's "renegotiation" feature), else on a new one for all tracks. */
static void
publish_update (MsPublisher *self)
{
  gboolean in_place;

  if (self->pending || self->unlinking > 0) {
    self->dirty = TRUE;
    return;
  }
  self->dirty = FALSE;
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
      self->rebuild = TRUE;
      self->dirty = TRUE;
      return;
    }
    drop_peer_connection (self);
    self->rebuild = FALSE;
    /* That webrtcbin is shut down now, and with it any push it held:
     * the senders it sent back FLUSHING start again. */
    for (guint i = 0; i < self->locals->len; i++) {
      Local *local = g_ptr_array_index (self->locals, i);

      if (local->hold != 0)
        ms_local_track_bin_restart_sender (local->bin, local->hold);
      local->hold = 0;
    }
    if (self->locals->len == 0)
      return;
    new_peer_connection (self);
  }

  for (guint i = 0; i < self->locals->len; i++) {
    Local *local = g_ptr_array_index (self->locals, i);
    g_autoptr (GstCaps) caps = NULL;
    g_autoptr (GstPad) src = NULL;

    if (local->sink != NULL)
      continue;
    caps = ms_local_track_make_caps (local->track, local->payload, local->ssrc);
    src = gst_element_get_static_pad (local->bin, "src");
    local->sink = ms_peer_connection_add_sender (self->pc, src, caps);
    g_object_get (local->sink, "transceiver", &local->transceiver, NULL);
  }

  self->pending = TRUE;
  ms_peer_connection_offer (self->pc);
}

static gboolean
on_idle (gpointer user_data)
{
  MsPublisher *self = user_data;

  g_clear_pointer (&self->idle, g_source_unref);
  publish_update (self);

  return G_SOURCE_REMOVE;
}

/* Tracks sent or closed together go into one offer. */
static void
schedule_publish (MsPublisher *self)
{
  if (self->idle != NULL)
    return;

  self->idle = g_idle_source_new ();
  /* Not at idle priority: in an app that redraws video all the time the
   * offer would wait behind every frame (seen: seconds under load). */
  g_source_set_priority (self->idle, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->idle, on_idle, self, NULL);
  g_source_attach (self->idle, self->context);
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
on_offer (MsPeerConnection *pc,
          const char       *sdp,
          MsPublisher      *self)
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

  self->offer_id = self->signaling->send (self->owner, offer, TRUE);
}

static void
on_remote_set (MsPeerConnection *pc,
               MsPublisher      *self)
{
  self->pending = FALSE;
  if (self->dirty)
    publish_update (self);
}

void
ms_publisher_take_answer (MsPublisher     *self,
                          const MsMessage *msg)
{
  GstSDPMessage *sdp;

  if (self->pc == NULL || !self->pending)
    return;
  sdp = ms_sdp_parse (msg->u.answer.sdp);
  if (sdp == NULL) {
    g_message ("The server's publish answer is not valid SDP");
    return;
  }

  ms_peer_connection_take_answer (self->pc, sdp);
}

void
ms_publisher_handle_error (MsPublisher     *self,
                           const MsMessage *msg)
{
  if (msg->has_id && msg->id == self->offer_id) {
    /* The next change starts again from a new PeerConnection. */
    self->pending = FALSE;
    self->rebuild = TRUE;
  }
}

/* The server dropped our transport: we offer again, on a new
 * PeerConnection. */
void
ms_publisher_media_failed (MsPublisher *self)
{
  if (self->locals->len > 0) {
    self->pending = FALSE;
    self->rebuild = TRUE;
    schedule_publish (self);
  }
}

static Local *
find_local (MsPublisher *self,
            const char  *tag)
{
  for (guint i = 0; i < self->locals->len; i++) {
    Local *local = g_ptr_array_index (self->locals, i);

    if (g_str_equal (local->tag, tag))
      return local;
  }

  return NULL;
}

MsLocalTrack *
ms_publisher_lookup (MsPublisher *self,
                     const char  *tag)
{
  Local *local = find_local (self, tag);

  return local ? local->track : NULL;
}

void
ms_publisher_foreach (MsPublisher     *self,
                      MsPublisherFunc  func,
                      gpointer         user_data)
{
  for (guint i = 0; i < self->locals->len; i++) {
    Local *local = g_ptr_array_index (self->locals, i);

    func (local->track, local->tag, local->paused, user_data);
  }
}

char *
ms_publisher_dup_tag_of (MsPublisher *self,
                         GstObject   *object)
{
  for (guint i = 0; i < self->locals->len; i++) {
    Local *local = g_ptr_array_index (self->locals, i);

    if (gst_object_has_as_ancestor (object, GST_OBJECT (local->bin)))
      return g_strdup (local->tag);
  }

  return NULL;
}

static guint
local_index (MsPublisher *self,
             Local       *local)
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
free_payload (MsPublisher *self)
{
  if (self->next_payload + 1 <= 127) {
    self->next_payload += 2;
    return self->next_payload - 2;
  }

  self->rebuild = TRUE;
  for (guint payload = FIRST_PAYLOAD; ; payload += 2) {
    gboolean used = FALSE;

    for (guint i = 0; i < self->locals->len && !used; i++)
      used = ((Local *) g_ptr_array_index (self->locals, i))->payload == payload;
    if (!used)
      return payload;
  }
}

gboolean
ms_publisher_add_track (MsPublisher   *self,
                        MsLocalTrack  *track,
                        const char    *tag,
                        gboolean       paused,
                        GError       **error)
{
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstElement) valve = NULL;
  Local *local = g_new0 (Local, 1);

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
void
ms_publisher_handle_ok (MsPublisher *self,
                        gint64       id)
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

void
ms_publisher_set_paused (MsPublisher *self,
                         const char  *tag,
                         gboolean     paused)
{
  g_autoptr (MsMessage) request = ms_message_new (paused ? MS_MSG_PAUSE_TRACK : MS_MSG_RESUME_TRACK);
  Local *local = find_local (self, tag);

  g_return_if_fail (local != NULL);

  request->u.track_request.tag = g_strdup (tag);
  local->paused = paused;
  ms_store_put_own_track (self->store, tag, ms_local_track_get_kind (local->track), paused);
  if (paused) {
    g_autoptr (GstElement) valve = gst_bin_get_by_name (GST_BIN (local->bin), "valve");

    g_object_set (valve, "drop", TRUE, NULL);
    local->resume_id = 0;
    self->signaling->send (self->owner, request, TRUE);
  } else {
    /* Media flows again once the server said ok: had the first keyframe
     * reached it before the request, it would have been dropped there,
     * and a new one would wait for the next keyframe request. */
    local->resume_id = self->signaling->send (self->owner, request, TRUE);
  }
}

void
ms_publisher_close_track (MsPublisher *self,
                          const char  *tag)
{
  g_autoptr (MsMessage) request = ms_message_new (MS_MSG_CLOSE_TRACK);
  g_autofree char *closed = NULL;
  Local *local = find_local (self, tag);

  g_return_if_fail (local != NULL);

  request->u.track_request.tag = g_strdup (tag);
  self->signaling->send (self->owner, request, TRUE);

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
}
