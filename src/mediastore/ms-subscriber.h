/* ms-subscriber.h: the subscribe side of a session: the others' tracks (private)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gst/gst.h>

#include "ms-remote-track.h"
#include "ms-signaling-private.h"

G_BEGIN_DECLS

#define MS_TYPE_SUBSCRIBER (ms_subscriber_get_type ())

G_DECLARE_FINAL_TYPE (MsSubscriber, ms_subscriber, MS, SUBSCRIBER, GObject)

/* Lives as long as the session (its list of tracks is the session's);
 * @signaling and @owner must outlive it. Main context. */
MsSubscriber     *ms_subscriber_new                 (const MsSignaling *signaling,
                                                     gpointer           owner);
/* Received streams go into @pipeline from now on, their audio into
 * @mixer (in @pipeline), until ms_subscriber_stop(). */
void              ms_subscriber_start               (MsSubscriber      *self,
                                                     GstBin            *pipeline,
                                                     GstElement        *mixer);
/* The call's media went (the pipeline is stopped already): no track is
 * received any more, the PeerConnection and its branches are gone. */
void              ms_subscriber_stop                (MsSubscriber      *self);
/* Whether received media is decoded, for branches built from now on. */
void              ms_subscriber_set_decode          (MsSubscriber      *self,
                                                     gboolean           decode);

/* The server's subscribe offer (a MS_MSG_OFFER): answered, on the same
 * PeerConnection when it has the same transport, else on a new one. */
void              ms_subscriber_take_offer          (MsSubscriber      *self,
                                                     const MsMessage   *msg);
/* @peer_id's track @tag (every track of @peer_id when @tag is NULL) went
 * away without a new offer. */
void              ms_subscriber_forget              (MsSubscriber      *self,
                                                     const char        *peer_id,
                                                     const char        *tag);

MsPeerConnection *ms_subscriber_get_peer_connection (MsSubscriber      *self);
MsRemoteTrack    *ms_subscriber_lookup              (MsSubscriber      *self,
                                                     const char        *peer_id,
                                                     const char        *tag);
/* Of MsRemoteTrack; the same list for the subscriber's whole life. */
GListModel       *ms_subscriber_get_tracks          (MsSubscriber      *self);

G_END_DECLS
