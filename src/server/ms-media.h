/* ms-media.h: the SFU's policy: who receives what, and the SDP for it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Signaling calls these on the main context. The packets themselves are
 * the engine's (src/engine): a fixed pool of workers, each with its own
 * UDP socket; every room lives on one worker. Each participant has a
 * publish transport (the client offers) and a subscribe transport (we
 * offer), both kept for as long as they work: a new, closed or paused
 * track changes only its own m-lines, in a new offer on the same
 * PeerConnection (docs/protocol.md, "Media negotiation").
 */

#pragma once

#include "ms-engine.h"
#include "ms-server-private.h"

G_BEGIN_DECLS

typedef struct _MsMediaEngine MsMediaEngine;

typedef struct {
  guint64 packets_forwarded;
  guint64 bytes_forwarded;
  guint64 retransmitted;
  guint64 nacks_sent;
  guint64 rtcp_received;
  guint64 keyframe_requests;
  guint64 transports_failed;   /* consent lost */
  guint64 transports_created[MS_PC_SUBSCRIBE + 1];   /* by MsPcKind */
  guint   producers;
  guint   consumers;
  guint   transports;
  guint   workers;
  guint64 dropped[MS_ENGINE_N_DROPS];   /* datagrams refused, by reason */
} MsMediaTotals;

/* The workers and their sockets, as the configuration says. */
MsMediaEngine *ms_media_engine_new      (MsServer        *server,
                                         GError         **error);
void           ms_media_engine_free     (MsMediaEngine   *engine);
void           ms_media_get_totals      (MsServer        *server,
                                         MsMediaTotals   *totals);
/* "udp://ADDRESS:PORT" of each worker's socket. */
GStrv          ms_media_get_urls        (MsServer        *server);

/* Frees every participant's media in @room. */
void     ms_room_media_free         (MsRoom          *room);

/* A publish offer: answered on the publish transport it names, which is
 * the current one when its ICE credentials are, else a new one. */
gboolean ms_media_publish           (MsServer        *server,
                                     MsParticipant   *p,
                                     const MsMessage *offer,
                                     GError         **error);
/* The client's answer to the latest subscribe offer. */
gboolean ms_media_subscribe_answer  (MsServer        *server,
                                     MsParticipant   *p,
                                     const char      *sdp,
                                     GError         **error);
/* The server is ICE-lite: the client's candidates are not needed. */
void     ms_media_add_candidate     (MsParticipant   *p,
                                     MsPcKind         pc,
                                     const char      *candidate,
                                     guint            mline_index);
/* Stops forwarding @p's track @tag (it closed it). */
void     ms_media_close_track       (MsParticipant   *p,
                                     const char      *tag);
/* Frees both transports of @p (it left, or lost its socket). */
void     ms_media_peer_stop         (MsServer        *server,
                                     MsParticipant   *p);
/* The transports @room's participants hold: what a peer that left must
 * not leave behind. */
guint    ms_media_room_transports   (MsRoom          *room);
/* Works out every participant's consumers again, soon. */
void     ms_media_update_room       (MsServer        *server,
                                     MsRoom          *room);

G_END_DECLS
