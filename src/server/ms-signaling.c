/* ms-signaling.c: what each request does
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One handler per request type. Visibility is the rule that runs through
 * all of them: events about a hidden participant go to nobody else, and
 * a message from one is delivered without a sender.
 */

#define G_LOG_DOMAIN "MsSignaling"

#include "config.h"

#include <sys/random.h>

#include "ms-media.h"
#include "ms-server-private.h"

typedef void (*RequestHandler) (MsServer        *self,
                                MsClient        *client,
                                MsParticipant   *p,
                                const MsMessage *msg);

static char *
new_resume_key (void)
{
  guint8 bytes[24];
  g_autofree char *base64 = NULL;

  if (getrandom (bytes, sizeof bytes, 0) != sizeof bytes)
    g_error ("getrandom() failed: no secure randomness for resume keys");

  base64 = g_base64_encode (bytes, sizeof bytes);
  /* URL-safe alphabet; 24 bytes encode without padding. */
  g_strdelimit (base64, "+", '-');
  g_strdelimit (base64, "/", '_');

  return g_steal_pointer (&base64);
}

static void
broadcast (MsServer        *self,
           MsParticipant   *about,
           const MsMessage *msg)
{
  ms_room_broadcast (about->room, about, msg, self->config->max_queued_messages);
}

static void
announce_joined (MsServer      *self,
                 MsParticipant *p,
                 MsMsgType      type)
{
  g_autoptr (MsMessage) event = ms_message_new (type);

  if (p->hidden)
    return;

  event->u.peer.peer = ms_participant_to_desc (p);
  broadcast (self, p, event);
}

static void
announce_left (MsServer      *self,
               MsParticipant *p)
{
  g_autoptr (MsMessage) event = ms_message_new (MS_MSG_PEER_LEFT);

  if (p->hidden)
    return;

  event->u.peer_left.peer_id = g_strdup (p->id);
  broadcast (self, p, event);
}

static void
announce_track (MsServer          *self,
                MsParticipant     *p,
                MsMsgType          type,
                const MsTrackDesc *track)
{
  g_autoptr (MsMessage) event = ms_message_new (type);

  if (p->hidden)
    return;

  event->u.track_event.peer_id = g_strdup (p->id);
  event->u.track_event.tag = g_strdup (track->tag);
  event->u.track_event.kind = track->kind;
  event->u.track_event.paused = track->paused;
  broadcast (self, p, event);
}

/* The room is empty: it goes, and in cluster mode its claim with it; a
 * draining node that held its last call stops. */
static void
forget_room (MsServer *self,
             MsRoom   *room)
{
  if (self->cluster != NULL)
    ms_cluster_room_gone (self->cluster, room->name);
  g_hash_table_remove (self->rooms, room->name);
  ms_server_check_drained (self);
}

/* Removes @p from its room for good; the room goes when it is empty. */
static void
remove_participant (MsServer      *self,
                    MsParticipant *p,
                    const char    *why)
{
  MsRoom *room = p->room;

  ms_server_log (G_LOG_LEVEL_INFO, room->name, p->id, "leave (%s)", why);
  /* While shutting down everyone gets a bye: a peer-left first would
   * only make clients tear down what they are about to lose anyway. */
  if (!self->shutting_down)
    announce_left (self, p);

  if (p->resume_key != NULL)
    g_hash_table_remove (self->resume_keys, p->resume_key);

  ms_media_peer_stop (self, p);
  ms_room_remove (room, p);
  if (room->participants->len == 0)
    forget_room (self, room);
}

static void
detach_client (MsParticipant *p)
{
  if (p->client == NULL)
    return;

  ms_client_set_participant (p->client, NULL);
  g_clear_object (&p->client);
}

static void
attach_client (MsParticipant *p,
               MsClient      *client)
{
  p->client = g_object_ref (client);
  ms_client_set_participant (client, p);
  ms_client_set_joined (client);
}

static void
send_welcome (MsServer      *self,
              MsParticipant *p)
{
  g_autoptr (MsMessage) welcome = ms_message_new (MS_MSG_WELCOME);
  MsConfig *config = self->config;

  welcome->u.welcome.peer_id = g_strdup (p->id);
  welcome->u.welcome.room = g_strdup (p->room->name);
  welcome->u.welcome.display_name = g_strdup (p->display_name);
  welcome->u.welcome.avatar = g_strdup (p->avatar);
  welcome->u.welcome.hidden = p->hidden;
  ms_grants_copy_to (&p->grants, &welcome->u.welcome.grants);
  welcome->u.welcome.peers = ms_room_visible_descs (p->room, p);
  welcome->u.welcome.ice_servers =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ms_ice_server_free);
  if (config->ice_urls != NULL && config->ice_urls[0] != NULL) {
    MsIceServer *server = g_new0 (MsIceServer, 1);

    server->urls = g_strdupv (config->ice_urls);
    server->username = g_strdup (config->ice_username);
    server->credential = g_strdup (config->ice_credential);
    g_ptr_array_add (welcome->u.welcome.ice_servers, server);
  }
  welcome->u.welcome.resume = g_strdup (p->resume_key);
  /* Publish offers are answered in place (docs/protocol.md). */
  welcome->u.welcome.features = g_strsplit ("renegotiation", ",", -1);
  welcome->u.welcome.server_version = g_strdup (PACKAGE_VERSION);
  if (self->cluster != NULL)
    welcome->u.welcome.nodes = ms_cluster_dup_node_urls (self->cluster);

  ms_client_send (p->client, welcome);
}

static void
set_resume_key (MsServer      *self,
                MsParticipant *p)
{
  if (p->resume_key != NULL)
    g_hash_table_remove (self->resume_keys, p->resume_key);

  g_free (p->resume_key);
  p->resume_key = new_resume_key ();
  g_hash_table_insert (self->resume_keys, p->resume_key, p);
}

static void
refuse (MsClient        *client,
        const MsMessage *msg,
        MsProtocolError  code,
        const char      *message)
{
  ms_client_send_error (client, msg, code, "%s", message);
  ms_client_close (client, ms_protocol_error_close_code (code), message);
}

/* Takes a dropped participant back: same peer id, tracks and state. The
 * others never saw it leave, so they are told nothing. */
static void
resume_participant (MsServer        *self,
                    MsClient        *client,
                    MsParticipant   *p,
                    const MsMessage *msg)
{
  if (p->client != NULL) {
    MsClient *old = g_object_ref (p->client);

    detach_client (p);
    ms_client_close (old, MS_CLOSE_REPLACED, "replaced by a newer connection");
    g_object_unref (old);
  }

  g_clear_handle_id (&p->grace_id, g_source_remove);
  attach_client (p, client);
  set_resume_key (self, p);

  self->metrics.joins_total++;
  self->metrics.resumes_total++;
  ms_server_log (G_LOG_LEVEL_INFO, p->room->name, p->id, "resume from %s",
                 ms_client_get_remote (client));

  send_welcome (self, p);

  /* Then what was said to it while it was away, in order. */
  while (!g_queue_is_empty (p->queued)) {
    g_autoptr (MsMessage) queued = g_queue_pop_head (p->queued);

    ms_client_send (client, queued);
  }
}

static MsRoom *
get_room (MsServer   *self,
          const char *name)
{
  MsRoom *room = g_hash_table_lookup (self->rooms, name);

  if (room == NULL && g_hash_table_size (self->rooms) < self->config->max_rooms) {
    room = ms_room_new (name);
    g_hash_table_insert (self->rooms, room->name, room);
  }

  return room;
}

/* A new peer in @claims' room (made if need be): the rest of a join. */
static void
admit (MsServer            *self,
       MsClient            *client,
       const MsMessage     *msg,
       const MsTokenClaims *claims,
       gboolean             hidden)
{
  MsParticipant *p;
  MsParticipant *previous;
  MsRoom *room;

  room = get_room (self, claims->room);
  if (room == NULL) {
    refuse (client, msg, MS_PROTOCOL_ERROR_ROOM_FULL, "The server has no room for a new call");
    return;
  }

  /* The same person joining again replaces the old connection: no ghosts. */
  previous = ms_room_lookup_identity (room, claims->identity);
  if (previous != NULL) {
    if (previous->client != NULL) {
      g_autoptr (MsClient) old = g_object_ref (previous->client);

      detach_client (previous);
      ms_client_close (old, MS_CLOSE_REPLACED, "replaced by a newer connection");
    }
    remove_participant (self, previous, "replaced");
    room = get_room (self, claims->room);
    if (room == NULL) {
      refuse (client, msg, MS_PROTOCOL_ERROR_ROOM_FULL, "The server has no room for a new call");
      return;
    }
  }

  if (room->participants->len >= self->config->max_peers_per_room) {
    refuse (client, msg, MS_PROTOCOL_ERROR_ROOM_FULL, "The room is full");
    if (room->participants->len == 0)
      forget_room (self, room);
    return;
  }

  p = ms_participant_new (claims->identity, &claims->grants);
  p->display_name = g_strdup (msg->u.join.display_name ? msg->u.join.display_name
                                                       : claims->name ? claims->name
                                                                      : claims->identity);
  p->avatar = g_strdup (msg->u.join.avatar ? msg->u.join.avatar : claims->avatar);
  p->hidden = hidden;
  ms_room_add (room, p);
  attach_client (p, client);
  set_resume_key (self, p);

  self->metrics.joins_total++;
  ms_server_log (G_LOG_LEVEL_INFO, room->name, p->id, "join as %s from %s%s", p->identity,
                 ms_client_get_remote (client), p->hidden ? " (hidden)" : "");

  send_welcome (self, p);
  announce_joined (self, p, MS_MSG_PEER_JOINED);
}

/* Cluster mode: a join whose room this node does not hold waits for
 * the cluster to say where the room lives. */
typedef struct {
  MsClient      *client;
  MsMessage     *join;
  MsTokenClaims *claims;
  gboolean       hidden;
} PendingJoin;

static void
pending_join_free (PendingJoin *pending)
{
  g_object_unref (pending->client);
  ms_message_free (pending->join);
  ms_token_claims_free (pending->claims);
  g_free (pending);
}

static void
on_placed (MsServer    *self,
           MsPlacement  placement,
           const char  *url_or_reason,
           gpointer     user_data)
{
  PendingJoin *pending = user_data;
  MsClient *client = pending->client;

  /* Gone meanwhile (closed, or the server is stopping). */
  if (!g_hash_table_remove (self->placing, client) || !ms_client_is_open (client) ||
      self->shutting_down)
    return;

  switch (placement) {
  case MS_PLACEMENT_HERE:
    admit (self, client, pending->join, pending->claims, pending->hidden);
    if (ms_client_get_participant (client) != NULL)
      ms_media_update_room (self, ((MsParticipant *) ms_client_get_participant (client))->room);
    break;
  case MS_PLACEMENT_ELSEWHERE: {
    g_autoptr (MsMessage) redirect = ms_message_new (MS_MSG_REDIRECT);

    redirect->has_id = pending->join->has_id;
    redirect->id = pending->join->id;
    redirect->u.redirect.url = g_strdup (url_or_reason);
    ms_server_log (G_LOG_LEVEL_INFO, pending->claims->room, NULL, "join from %s sent to %s",
                   ms_client_get_remote (client), url_or_reason);
    ms_client_send (client, redirect);
    ms_client_close (client, MS_CLOSE_REDIRECT, NULL);
    break;
  }
  case MS_PLACEMENT_UNAVAILABLE:
    ms_server_log (G_LOG_LEVEL_WARNING, pending->claims->room, NULL, "join from %s refused: %s",
                   ms_client_get_remote (client), url_or_reason);
    refuse (client, pending->join, MS_PROTOCOL_ERROR_UNAVAILABLE, url_or_reason);
    break;
  }
}

static void
handle_join (MsServer        *self,
             MsClient        *client,
             MsParticipant   *already,
             const MsMessage *msg)
{
  g_autoptr (MsTokenClaims) claims = NULL;
  g_autoptr (GError) error = NULL;
  MsParticipant *p;
  gboolean hidden;

  if (already != NULL || g_hash_table_contains (self->placing, client)) {
    ms_client_send_error (client, msg, MS_PROTOCOL_ERROR_BAD_REQUEST, "Already joined");
    return;
  }

  claims = ms_token_verify_full (msg->u.join.token, self->keyring, &self->config->limits,
                                 g_get_real_time () / G_USEC_PER_SEC, &error);
  if (claims == NULL) {
    MsProtocolError code = ms_token_error_to_protocol (error->code);

    ms_server_log (G_LOG_LEVEL_INFO, NULL, NULL, "join refused from %s: %s",
                   ms_client_get_remote (client), error->message);
    refuse (client, msg, code, error->message);
    return;
  }

  hidden = msg->u.join.has_hidden ? msg->u.join.hidden : claims->grants.hidden;
  if (hidden != claims->grants.hidden && !claims->grants.can_hide) {
    refuse (client, msg, MS_PROTOCOL_ERROR_FORBIDDEN,
            "This token may not choose invisible mode (no can_hide grant)");
    return;
  }

  if (msg->u.join.resume != NULL) {
    p = g_hash_table_lookup (self->resume_keys, msg->u.join.resume);
    if (p != NULL && (!g_str_equal (p->identity, claims->identity) ||
                      !g_str_equal (p->room->name, claims->room))) {
      ms_server_log (G_LOG_LEVEL_WARNING, claims->room, p->id,
                     "resume key presented by another identity (%s)", claims->identity);
      refuse (client, msg, MS_PROTOCOL_ERROR_UNAUTHORIZED,
              "The resume key does not belong to this token");
      return;
    }

    if (p != NULL) {
      resume_participant (self, client, p, msg);
      return;
    }
    /* Expired or unknown: the grace period is over, this is a new peer. */
  }

  if (self->cluster != NULL && g_hash_table_lookup (self->rooms, claims->room) == NULL) {
    PendingJoin *pending = g_new0 (PendingJoin, 1);
    g_autofree char *room = g_strdup (claims->room);

    pending->client = g_object_ref (client);
    pending->join = ms_message_copy (msg);
    pending->claims = g_steal_pointer (&claims);
    pending->hidden = hidden;
    g_hash_table_add (self->placing, client);
    ms_cluster_place (self->cluster, room, on_placed, pending,
                      (GDestroyNotify) pending_join_free);
    return;
  }

  admit (self, client, msg, claims, hidden);
}

static void
handle_leave (MsServer        *self,
              MsClient        *client,
              MsParticipant   *p,
              const MsMessage *msg)
{
  ms_client_send_ok (client, msg);
  detach_client (p);
  remove_participant (self, p, "left");
  ms_client_close (client, SOUP_WEBSOCKET_CLOSE_NORMAL, "left the call");
}

static void
handle_message (MsServer        *self,
                MsClient        *client,
                MsParticipant   *p,
                const MsMessage *msg)
{
  const char *msg_type = msg->u.message.msg_type;
  g_autoptr (MsMessage) out = NULL;
  MsParticipant *target = NULL;

  if (!ms_grant_allows ((const char * const *) p->grants.send_messages, msg_type)) {
    ms_client_send_error (client, msg, MS_PROTOCOL_ERROR_FORBIDDEN,
                          "You may not send messages of type '%s'", msg_type);
    return;
  }

  if (msg->u.message.to != NULL) {
    target = ms_room_lookup (p->room, msg->u.message.to);
    if (target == NULL || target == p || target->hidden) {
      ms_client_send_error (client, msg, MS_PROTOCOL_ERROR_NOT_FOUND,
                            "No peer '%s' in this room", msg->u.message.to);
      return;
    }
  }

  out = ms_message_new (MS_MSG_MESSAGE);
  out->u.message.from = p->hidden ? NULL : g_strdup (p->id);
  out->u.message.msg_type = g_strdup (msg_type);
  out->u.message.body = json_node_copy (msg->u.message.body);

  for (guint i = 0; i < p->room->participants->len; i++) {
    MsParticipant *other = g_ptr_array_index (p->room->participants, i);

    if (other == p || (target != NULL && other != target))
      continue;
    if (!ms_grant_allows ((const char * const *) other->grants.recv_messages, msg_type))
      continue;

    ms_room_send (other, out, self->config->max_queued_messages);
    self->metrics.messages_relayed_total++;
  }

  ms_client_send_ok (client, msg);
}

static void
handle_set_hidden (MsServer        *self,
                   MsClient        *client,
                   MsParticipant   *p,
                   const MsMessage *msg)
{
  gboolean hidden = msg->u.set_hidden.hidden;

  if (!p->grants.can_hide) {
    ms_client_send_error (client, msg, MS_PROTOCOL_ERROR_FORBIDDEN,
                          "You may not use invisible mode (no can_hide grant)");
    return;
  }

  if (p->hidden != hidden) {
    ms_server_log (G_LOG_LEVEL_INFO, p->room->name, p->id, hidden ? "hidden" : "visible");
    if (hidden) {
      announce_left (self, p);
      p->hidden = TRUE;
    } else {
      p->hidden = FALSE;
      announce_joined (self, p, MS_MSG_PEER_JOINED);
    }
  }

  ms_client_send_ok (client, msg);
}

static void
handle_set_profile (MsServer        *self,
                    MsClient        *client,
                    MsParticipant   *p,
                    const MsMessage *msg)
{
  if (msg->u.set_profile.has_display_name) {
    g_free (p->display_name);
    p->display_name = g_strdup (msg->u.set_profile.display_name);
  }

  if (msg->u.set_profile.has_avatar) {
    g_free (p->avatar);
    p->avatar = g_strdup (msg->u.set_profile.avatar);
  }

  announce_joined (self, p, MS_MSG_PEER_UPDATED);
  ms_client_send_ok (client, msg);
}

/* The offer's tracks are the complete set the publish connection sends:
 * new tags are published, missing ones closed, changed paused states
 * updated. Nothing changes unless the whole offer is acceptable. */
static void
handle_offer (MsServer        *self,
              MsClient        *client,
              MsParticipant   *p,
              const MsMessage *msg)
{
  GPtrArray *tracks = msg->u.offer.tracks;
  guint n = tracks ? tracks->len : 0;
  g_autoptr (GError) error = NULL;

  if (n > self->config->max_tracks_per_peer) {
    ms_client_send_error (client, msg, MS_PROTOCOL_ERROR_BAD_REQUEST,
                          "At most %u tracks per peer", self->config->max_tracks_per_peer);
    return;
  }

  for (guint i = 0; i < n; i++) {
    const MsTrackDesc *track = g_ptr_array_index (tracks, i);
    const MsTrackDesc *existing = ms_participant_find_track (p, track->tag);

    if (!ms_grant_allows ((const char * const *) p->grants.send_tracks, track->tag)) {
      ms_client_send_error (client, msg, MS_PROTOCOL_ERROR_FORBIDDEN,
                            "You may not publish under the tag '%s'", track->tag);
      return;
    }

    /* Each offer is a new PeerConnection, so mids may change (the codec
     * refuses a tag or mid twice in one offer); a kind may not. */
    if (existing != NULL && existing->kind != track->kind) {
      ms_client_send_error (client, msg, MS_PROTOCOL_ERROR_CONFLICT,
                            "The tag '%s' is already published as another kind of track",
                            track->tag);
      return;
    }
  }

  if (!ms_media_publish (self, p, msg, &error)) {
    ms_client_send_error (client, msg, error->code, "%s", error->message);
    return;
  }

  for (guint i = p->tracks->len; i > 0; i--) {
    MsTrackDesc *old = g_ptr_array_index (p->tracks, i - 1);
    gboolean kept = FALSE;

    for (guint j = 0; j < n && !kept; j++)
      kept = g_str_equal (((MsTrackDesc *) g_ptr_array_index (tracks, j))->tag, old->tag);

    if (!kept) {
      announce_track (self, p, MS_MSG_TRACK_CLOSED, old);
      g_ptr_array_remove_index (p->tracks, i - 1);
    }
  }

  for (guint i = 0; i < n; i++) {
    const MsTrackDesc *track = g_ptr_array_index (tracks, i);
    MsTrackDesc *existing = ms_participant_find_track (p, track->tag);

    if (existing == NULL) {
      existing = ms_track_desc_copy (track);
      g_ptr_array_add (p->tracks, existing);
      ms_server_log (G_LOG_LEVEL_INFO, p->room->name, p->id, "publish %s", track->tag);
      announce_track (self, p, MS_MSG_TRACK_PUBLISHED, existing);
    } else {
      g_free (existing->mid);
      existing->mid = g_strdup (track->mid);
      if (existing->paused != track->paused) {
        existing->paused = track->paused;
        announce_track (self, p, MS_MSG_TRACK_UPDATED, existing);
      }
    }
  }

  /* The SDP answer follows from the media plane. */
  ms_client_send_ok (client, msg);
}

static void
handle_track_request (MsServer        *self,
                      MsClient        *client,
                      MsParticipant   *p,
                      const MsMessage *msg)
{
  const char *tag = msg->u.track_request.tag;
  MsTrackDesc *track = ms_participant_find_track (p, tag);

  if (track == NULL) {
    ms_client_send_error (client, msg, MS_PROTOCOL_ERROR_NOT_FOUND,
                          "You publish no track under the tag '%s'", tag);
    return;
  }

  if (msg->type == MS_MSG_CLOSE_TRACK) {
    ms_server_log (G_LOG_LEVEL_INFO, p->room->name, p->id, "close %s", tag);
    announce_track (self, p, MS_MSG_TRACK_CLOSED, track);
    ms_media_close_track (p, tag);
    g_ptr_array_remove (p->tracks, track);
  } else {
    gboolean paused = msg->type == MS_MSG_PAUSE_TRACK;

    if (track->paused != paused) {
      track->paused = paused;
      announce_track (self, p, MS_MSG_TRACK_UPDATED, track);
    }
  }

  ms_client_send_ok (client, msg);
}

static gboolean
remove_peer_keys (gpointer key,
                  gpointer value,
                  gpointer user_data)
{
  const char *prefix = user_data;

  return g_str_has_prefix (key, prefix);
}

static void
handle_set_receiving (MsServer        *self,
                      MsClient        *client,
                      MsParticipant   *p,
                      const MsMessage *msg)
{
  const char *peer_id = msg->u.set_receiving.peer_id;
  const char *tag = msg->u.set_receiving.tag;
  MsParticipant *other = ms_room_lookup (p->room, peer_id);

  if (other == NULL || other == p || other->hidden) {
    ms_client_send_error (client, msg, MS_PROTOCOL_ERROR_NOT_FOUND,
                          "No peer '%s' in this room", peer_id);
    return;
  }

  if (tag == NULL) {
    g_autofree char *prefix = g_strconcat (peer_id, "/", NULL);

    g_hash_table_foreach_remove (p->muted, remove_peer_keys, prefix);
    if (msg->u.set_receiving.enabled)
      g_hash_table_remove (p->muted, peer_id);
    else
      g_hash_table_add (p->muted, g_strdup (peer_id));
  } else {
    g_autofree char *key = g_strconcat (peer_id, "/", tag, NULL);

    if (msg->u.set_receiving.enabled)
      g_hash_table_remove (p->muted, key);
    else
      g_hash_table_add (p->muted, g_steal_pointer (&key));
  }

  ms_client_send_ok (client, msg);
}

static void
handle_negotiation (MsServer        *self,
                    MsClient        *client,
                    MsParticipant   *p,
                    const MsMessage *msg)
{
  g_autoptr (GError) error = NULL;

  if (msg->type == MS_MSG_CANDIDATE) {
    ms_media_add_candidate (p, msg->u.candidate.pc, msg->u.candidate.candidate,
                            msg->u.candidate.sdp_mline_index);
  } else if (!ms_media_subscribe_answer (self, p, msg->u.answer.sdp, &error)) {
    ms_client_send_error (client, msg, error->code, "%s", error->message);
    return;
  }

  ms_client_send_ok (client, msg);
}

static RequestHandler
handler_for (MsMsgType type)
{
  switch (type) {
  case MS_MSG_OFFER:
    return handle_offer;
  case MS_MSG_ANSWER:
  case MS_MSG_CANDIDATE:
    return handle_negotiation;
  case MS_MSG_PAUSE_TRACK:
  case MS_MSG_RESUME_TRACK:
  case MS_MSG_CLOSE_TRACK:
    return handle_track_request;
  case MS_MSG_SET_RECEIVING:
    return handle_set_receiving;
  case MS_MSG_MESSAGE:
    return handle_message;
  case MS_MSG_SET_HIDDEN:
    return handle_set_hidden;
  case MS_MSG_SET_PROFILE:
    return handle_set_profile;
  case MS_MSG_LEAVE:
    return handle_leave;
  case MS_MSG_JOIN:
  case MS_MSG_WELCOME:
  case MS_MSG_PEER_JOINED:
  case MS_MSG_PEER_UPDATED:
  case MS_MSG_PEER_LEFT:
  case MS_MSG_TRACK_PUBLISHED:
  case MS_MSG_TRACK_UPDATED:
  case MS_MSG_TRACK_CLOSED:
  case MS_MSG_OK:
  case MS_MSG_ERROR:
  case MS_MSG_BYE:
  default:
    return NULL;
  }
}

void
ms_signaling_handle_request (MsServer        *self,
                             MsClient        *client,
                             const MsMessage *msg)
{
  MsParticipant *p = ms_client_get_participant (client);
  g_autofree char *room_name = NULL;
  RequestHandler handler;
  MsRoom *room;

  if (msg->type == MS_MSG_JOIN) {
    handle_join (self, client, p, msg);
    p = ms_client_get_participant (client);
    /* New peers get consumers for what is already flowing. */
    if (p != NULL)
      ms_media_update_room (self, p->room);
    return;
  }

  if (p == NULL) {
    ms_client_send_error (client, msg, MS_PROTOCOL_ERROR_BAD_REQUEST,
                          "The first message must be join");
    return;
  }

  handler = handler_for (msg->type);
  if (handler == NULL) {
    ms_client_send_error (client, msg, MS_PROTOCOL_ERROR_BAD_REQUEST,
                          "Unexpected message type '%s'", ms_msg_type_to_string (msg->type));
    return;
  }

  room_name = g_strdup (p->room->name);
  handler (self, client, p, msg);

  /* Pauses, grants, visibility and leaves all change who gets what:
   * the media plane works it out again, once per main-loop turn. */
  room = g_hash_table_lookup (self->rooms, room_name);
  if (room != NULL)
    ms_media_update_room (self, room);
}

typedef struct {
  MsServer *server;   /* outlives the timer: rooms go before the server */
  char     *room;
  char     *peer_id;
} GraceTimer;

static void
grace_timer_free (GraceTimer *timer)
{
  g_free (timer->room);
  g_free (timer->peer_id);
  g_free (timer);
}

static gboolean
on_grace_over (gpointer user_data)
{
  GraceTimer *timer = user_data;
  MsRoom *room = g_hash_table_lookup (timer->server->rooms, timer->room);
  MsParticipant *p = room ? ms_room_lookup (room, timer->peer_id) : NULL;

  if (p != NULL) {
    p->grace_id = 0;
    remove_participant (timer->server, p, "did not come back");
  }

  return G_SOURCE_REMOVE;
}

/* The connection is gone without a leave: keep the participant for the
 * grace period, unseen by the others, so it can resume. */
void
ms_signaling_client_closed (MsServer *self,
                            MsClient *client)
{
  MsParticipant *p = ms_client_get_participant (client);
  GraceTimer *timer;

  g_hash_table_remove (self->placing, client);
  if (p == NULL)
    return;

  detach_client (p);

  if (self->shutting_down || self->config->grace_period == 0) {
    remove_participant (self, p, "disconnected");
    return;
  }

  ms_server_log (G_LOG_LEVEL_INFO, p->room->name, p->id,
                 "connection lost, keeping the peer for %u s", self->config->grace_period);
  /* Its PeerConnections die with the socket; a resume builds new ones. */
  ms_media_peer_stop (self, p);

  timer = g_new0 (GraceTimer, 1);
  timer->server = self;
  timer->room = g_strdup (p->room->name);
  timer->peer_id = g_strdup (p->id);
  p->grace_id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, self->config->grace_period,
                                            on_grace_over, timer,
                                            (GDestroyNotify) grace_timer_free);
}
