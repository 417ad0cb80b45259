/* ms-room.h: rooms and the participants in them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Server-internal plain structs: a room owns its participants, the server
 * owns the rooms. All of it lives on the main context.
 */

#pragma once

#include <glib.h>

#include "ms-client.h"
#include "ms-protocol.h"

G_BEGIN_DECLS

typedef struct _MsRoom MsRoom;
typedef struct _MsRoomMedia MsRoomMedia;   /* ms-media.c */
typedef struct _MsPeerMedia MsPeerMedia;   /* ms-media.c */

typedef struct {
  char       *id;
  char       *identity;       /* the token's "sub" */
  char       *display_name;
  char       *avatar;
  MsGrants    grants;
  gboolean    hidden;
  GPtrArray  *tracks;         /* of MsTrackDesc, in publish order */
  GHashTable *muted;          /* "peer" or "peer/tag" this peer does not receive */
  char       *resume_key;
  MsClient   *client;         /* NULL while it is reconnecting */
  guint       grace_id;
  GQueue     *queued;         /* messages kept while it is reconnecting */
  MsRoom     *room;
  MsPeerMedia *media;         /* its PeerConnections, NULL without media */
} MsParticipant;

struct _MsRoom {
  char        *name;
  GPtrArray   *participants;  /* owned, in join order */
  MsRoomMedia *media;         /* its pipeline, once media is involved */
};

MsRoom        *ms_room_new               (const char          *name);
void           ms_room_free              (MsRoom              *room);

MsParticipant *ms_participant_new        (const char          *identity,
                                          const MsGrants      *grants);
void           ms_participant_free       (MsParticipant       *participant);
MsPeerDesc    *ms_participant_to_desc    (const MsParticipant *participant);
MsTrackDesc   *ms_participant_find_track (const MsParticipant *participant,
                                          const char          *tag);
gboolean       ms_participant_receives   (const MsParticipant *receiver,
                                          const char          *peer_id,
                                          const char          *tag);

void           ms_room_add               (MsRoom              *room,
                                          MsParticipant       *participant);
/* Removes and frees @participant. */
void           ms_room_remove            (MsRoom              *room,
                                          MsParticipant       *participant);
MsParticipant *ms_room_lookup            (MsRoom              *room,
                                          const char          *peer_id);
MsParticipant *ms_room_lookup_identity   (MsRoom              *room,
                                          const char          *identity);
guint          ms_room_count_visible     (MsRoom              *room);
/* The peers @viewer can see, as for welcome.peers. */
GPtrArray     *ms_room_visible_descs     (MsRoom              *room,
                                          MsParticipant       *viewer);

/* Sends to @to now, or keeps a "message" for when it is back. */
void           ms_room_send              (MsParticipant       *to,
                                          const MsMessage     *msg,
                                          guint                max_queued);
/* Sends @msg to every participant but @except (which may be NULL). */
void           ms_room_broadcast         (MsRoom              *room,
                                          MsParticipant       *except,
                                          const MsMessage     *msg,
                                          guint                max_queued);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsRoom, ms_room_free)

G_END_DECLS
