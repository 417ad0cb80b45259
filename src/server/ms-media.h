/* ms-media.h: the SFU: PeerConnections per participant, producers and consumers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Signaling calls these on the main context. Each room has one
 * GstPipeline; each participant a publish and a subscribe webrtcbin in it.
 * Which consumers a participant should have is worked out again, for the
 * whole room, after anything that may change it (ms_media_update_room);
 * a changed set is a new subscribe PeerConnection (docs/protocol.md,
 * "Media negotiation").
 */

#pragma once

#include "ms-server-private.h"

G_BEGIN_DECLS

/* Frees the room's pipeline and every participant's media in it. */
void     ms_room_media_free         (MsRoom          *room);

/* A publish offer: the old publish PeerConnection goes, a new one answers. */
gboolean ms_media_publish           (MsServer        *server,
                                     MsParticipant   *p,
                                     const MsMessage *offer,
                                     GError         **error);
/* The client's answer to the latest subscribe offer. */
gboolean ms_media_subscribe_answer  (MsServer        *server,
                                     MsParticipant   *p,
                                     const char      *sdp,
                                     GError         **error);
void     ms_media_add_candidate     (MsParticipant   *p,
                                     MsPcKind         pc,
                                     const char      *candidate,
                                     guint            mline_index);
/* Stops forwarding @p's track @tag (it closed it). */
void     ms_media_close_track       (MsParticipant   *p,
                                     const char      *tag);
/* Tears down both PeerConnections of @p (it left, or lost its socket). */
void     ms_media_peer_stop         (MsServer        *server,
                                     MsParticipant   *p);
/* Works out every participant's consumers again, soon. */
/* How many elements the room's pipeline holds: what a peer that left
 * must not leave behind. */
guint    ms_media_room_elements     (MsRoom          *room);
void     ms_media_update_room       (MsServer        *server,
                                     MsRoom          *room);

G_END_DECLS
