/* ms-room.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "MsRoom"

#include "config.h"

#include "ms-media.h"
#include "ms-room.h"

MsRoom *
ms_room_new (const char *name)
{
  MsRoom *room = g_new0 (MsRoom, 1);

  room->name = g_strdup (name);
  room->participants = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_participant_free);

  return room;
}

void
ms_room_free (MsRoom *room)
{
  if (room == NULL)
    return;

  ms_room_media_free (room);
  g_ptr_array_unref (room->participants);
  g_free (room->name);
  g_free (room);
}

MsParticipant *
ms_participant_new (const char     *identity,
                    const MsGrants *grants)
{
  MsParticipant *p = g_new0 (MsParticipant, 1);

  p->id = g_uuid_string_random ();
  p->identity = g_strdup (identity);
  ms_grants_copy_to (grants, &p->grants);
  p->tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_track_desc_free);
  p->muted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  p->queued = g_queue_new ();

  return p;
}

void
ms_participant_free (MsParticipant *p)
{
  if (p == NULL)
    return;

  g_clear_handle_id (&p->grace_id, g_source_remove);
  if (p->client != NULL) {
    ms_client_set_participant (p->client, NULL);
    g_clear_object (&p->client);
  }

  g_free (p->id);
  g_free (p->identity);
  g_free (p->display_name);
  g_free (p->avatar);
  ms_grants_clear (&p->grants);
  g_ptr_array_unref (p->tracks);
  g_hash_table_unref (p->muted);
  g_free (p->resume_key);
  g_queue_free_full (p->queued, (GDestroyNotify) ms_message_free);
  g_free (p);
}

MsPeerDesc *
ms_participant_to_desc (const MsParticipant *p)
{
  MsPeerDesc *desc = ms_peer_desc_new (p->id, p->display_name, p->avatar);

  desc->host = p->grants.host;

  for (guint i = 0; i < p->tracks->len; i++) {
    const MsTrackDesc *track = g_ptr_array_index (p->tracks, i);

    g_ptr_array_add (desc->tracks, ms_track_desc_new (track->tag, track->kind, track->paused));
  }

  return desc;
}

MsTrackDesc *
ms_participant_find_track (const MsParticipant *p,
                           const char          *tag)
{
  for (guint i = 0; i < p->tracks->len; i++) {
    MsTrackDesc *track = g_ptr_array_index (p->tracks, i);

    if (g_str_equal (track->tag, tag))
      return track;
  }

  return NULL;
}

/* Whether @receiver wants (set-receiving) and may (recv_tracks) get the
 * track @tag of @peer_id. */
gboolean
ms_participant_receives (const MsParticipant *receiver,
                         const char          *peer_id,
                         const char          *tag)
{
  g_autofree char *key = g_strconcat (peer_id, "/", tag, NULL);

  if (!ms_grant_allows ((const char * const *) receiver->grants.recv_tracks, tag))
    return FALSE;

  return !g_hash_table_contains (receiver->muted, peer_id) &&
         !g_hash_table_contains (receiver->muted, key);
}

void
ms_room_add (MsRoom        *room,
             MsParticipant *p)
{
  p->room = room;
  g_ptr_array_add (room->participants, p);
}

void
ms_room_remove (MsRoom        *room,
                MsParticipant *p)
{
  g_ptr_array_remove (room->participants, p);
}

MsParticipant *
ms_room_lookup (MsRoom     *room,
                const char *peer_id)
{
  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *p = g_ptr_array_index (room->participants, i);

    if (g_strcmp0 (p->id, peer_id) == 0)
      return p;
  }

  return NULL;
}

MsParticipant *
ms_room_lookup_identity (MsRoom     *room,
                         const char *identity)
{
  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *p = g_ptr_array_index (room->participants, i);

    if (g_strcmp0 (p->identity, identity) == 0)
      return p;
  }

  return NULL;
}

guint
ms_room_count_visible (MsRoom *room)
{
  guint n = 0;

  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *p = g_ptr_array_index (room->participants, i);

    if (!p->hidden)
      n++;
  }

  return n;
}

GPtrArray *
ms_room_visible_descs (MsRoom        *room,
                       MsParticipant *viewer)
{
  GPtrArray *descs = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_peer_desc_free);

  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *p = g_ptr_array_index (room->participants, i);

    if (p != viewer && !p->hidden)
      g_ptr_array_add (descs, ms_participant_to_desc (p));
  }

  return descs;
}

void
ms_room_send (MsParticipant   *to,
              const MsMessage *msg,
              guint            max_queued)
{
  if (to->client != NULL && ms_client_is_open (to->client)) {
    ms_client_send (to->client, msg);
    return;
  }

  /* Presence and track events are not kept: the welcome of the resumed
   * session carries the state as it is then. Messages are kept, so chat
   * survives a reconnect. */
  if (msg->type != MS_MSG_MESSAGE)
    return;

  if (g_queue_get_length (to->queued) >= max_queued) {
    g_warning ("Dropping a message for reconnecting peer %s: queue full", to->id);
    return;
  }

  g_queue_push_tail (to->queued, ms_message_copy (msg));
}

void
ms_room_broadcast (MsRoom          *room,
                   MsParticipant   *except,
                   const MsMessage *msg,
                   guint            max_queued)
{
  for (guint i = 0; i < room->participants->len; i++) {
    MsParticipant *p = g_ptr_array_index (room->participants, i);

    if (p != except)
      ms_room_send (p, msg, max_queued);
  }
}
