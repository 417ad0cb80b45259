/* ms-publisher.h: the publish side of a session: our tracks (private)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gst/gst.h>

#include "ms-local-track.h"
#include "ms-signaling-private.h"
#include "ms-store.h"

G_BEGIN_DECLS

#define MS_TYPE_PUBLISHER (ms_publisher_get_type ())

G_DECLARE_FINAL_TYPE (MsPublisher, ms_publisher, MS, PUBLISHER, GObject)

typedef void (*MsPublisherFunc) (MsLocalTrack *track,
                                 const char   *tag,
                                 gboolean      paused,
                                 gpointer      user_data);

/* Lives as long as the session; writes our own tracks into @store.
 * @signaling and @owner must outlive it. Main context. */
MsPublisher      *ms_publisher_new                  (MsStore           *store,
                                                     const MsSignaling *signaling,
                                                     gpointer           owner);
/* Tracks go into @pipeline from now on, until ms_publisher_stop(). */
void              ms_publisher_start                (MsPublisher       *self,
                                                     GstBin            *pipeline);
/* The call's media went (the pipeline is stopped already): nothing is
 * sent any more, the PeerConnection is gone. @keep_own_tracks: the store
 * keeps listing them (a reconnect sends them again). */
void              ms_publisher_stop                 (MsPublisher       *self,
                                                     gboolean           keep_own_tracks);
/* welcome's "renegotiation" feature: the server renegotiates in place. */
void              ms_publisher_set_renegotiation    (MsPublisher       *self,
                                                     gboolean           renegotiation);

/* The session checked the call, the grants and that @tag is free. */
gboolean          ms_publisher_add_track            (MsPublisher       *self,
                                                     MsLocalTrack      *track,
                                                     const char        *tag,
                                                     gboolean           paused,
                                                     GError           **error);
/* These take the tag of a track we send. */
void              ms_publisher_set_paused           (MsPublisher       *self,
                                                     const char        *tag,
                                                     gboolean           paused);
void              ms_publisher_close_track          (MsPublisher       *self,
                                                     const char        *tag);
MsLocalTrack     *ms_publisher_lookup               (MsPublisher       *self,
                                                     const char        *tag);
/* Calls @func for each track we send, in the order they were sent. */
void              ms_publisher_foreach              (MsPublisher       *self,
                                                     MsPublisherFunc    func,
                                                     gpointer           user_data);
/* The tag of the track whose bin holds @object, or NULL. */
char             *ms_publisher_dup_tag_of           (MsPublisher       *self,
                                                     GstObject         *object);

/* From the server: the answer to our offer (a MS_MSG_ANSWER), an ok
 * (MS_MSG_OK), an error (MS_MSG_ERROR), media-failed for our side. */
void              ms_publisher_take_answer          (MsPublisher       *self,
                                                     const MsMessage   *msg);
void              ms_publisher_handle_ok            (MsPublisher       *self,
                                                     gint64             id);
void              ms_publisher_handle_error         (MsPublisher       *self,
                                                     const MsMessage   *msg);
void              ms_publisher_media_failed         (MsPublisher       *self);

MsPeerConnection *ms_publisher_get_peer_connection  (MsPublisher       *self);

G_END_DECLS
