/* ms-store-private.h: how the session writes the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Only the session changes the store, always on the main context, one
 * function per protocol event. Applications read it and bind to it.
 */

#pragma once

#include "ms-store.h"

G_BEGIN_DECLS

void     ms_store_set_connect_status    (MsStore         *self,
                                         MsConnectStatus  status);
void     ms_store_set_error_connection  (MsStore         *self,
                                         const char      *error);
void     ms_store_reset                 (MsStore         *self);

/* Our own tracks, written by the session as it sends them. */
void     ms_store_put_own_track         (MsStore         *self,
                                         const char      *tag,
                                         MsTrackKind      kind,
                                         gboolean         paused);
void     ms_store_remove_own_track      (MsStore         *self,
                                         const char      *tag);

gboolean ms_store_apply_message         (MsStore         *self,
                                         const MsMessage *msg);

void     ms_store_apply_welcome         (MsStore         *self,
                                         const MsMessage *welcome);
void     ms_store_apply_peer_joined     (MsStore         *self,
                                         const MsPeerDesc *peer);
void     ms_store_apply_peer_updated    (MsStore         *self,
                                         const MsPeerDesc *peer);
void     ms_store_apply_peer_left       (MsStore         *self,
                                         const char      *peer_id);
void     ms_store_apply_track_published (MsStore         *self,
                                         const char      *peer_id,
                                         const char      *tag,
                                         MsTrackKind      kind,
                                         gboolean         paused);
void     ms_store_apply_track_updated   (MsStore         *self,
                                         const char      *peer_id,
                                         const char      *tag,
                                         gboolean         paused);
void     ms_store_apply_track_closed    (MsStore         *self,
                                         const char      *peer_id,
                                         const char      *tag);
void     ms_store_apply_hidden          (MsStore         *self,
                                         gboolean         hidden);
void     ms_store_apply_profile         (MsStore         *self,
                                         const char      *display_name,
                                         const char      *avatar);

G_END_DECLS
