/* ms-store.h: the truth about the current call
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ms-peer.h"

G_BEGIN_DECLS

typedef enum {
  MS_CONNECT_STATUS_DISCONNECTED,
  MS_CONNECT_STATUS_CONNECTING,
  MS_CONNECT_STATUS_AUTHENTICATING,
  MS_CONNECT_STATUS_NEGOTIATING,
  MS_CONNECT_STATUS_CONNECTED,
  MS_CONNECT_STATUS_RECONNECTING,
  MS_CONNECT_STATUS_FAILED,
} MsConnectStatus;

#define MS_TYPE_STORE (ms_store_get_type ())

G_DECLARE_FINAL_TYPE (MsStore, ms_store, MS, STORE, GObject)

MsStore             *ms_store_new                     (void);

const char          *ms_store_get_peer_id             (MsStore    *self);
const char          *ms_store_get_room                (MsStore    *self);
MsConnectStatus      ms_store_get_connect_status      (MsStore    *self);
const char          *ms_store_get_connect_status_text (MsStore    *self);
const char          *ms_store_get_error_connection    (MsStore    *self);
const char          *ms_store_get_display_name        (MsStore    *self);
const char          *ms_store_get_avatar              (MsStore    *self);
const char * const  *ms_store_get_send_tracks         (MsStore    *self);
const char * const  *ms_store_get_send_messages       (MsStore    *self);
const char * const  *ms_store_get_recv_tracks         (MsStore    *self);
const char * const  *ms_store_get_recv_messages       (MsStore    *self);
gboolean             ms_store_get_can_hide            (MsStore    *self);
gboolean             ms_store_get_hidden              (MsStore    *self);
gboolean             ms_store_get_host                (MsStore    *self);
GListModel          *ms_store_get_peers               (MsStore    *self);
MsPeer              *ms_store_lookup_peer             (MsStore    *self,
                                                       const char *peer_id);
GListModel          *ms_store_get_own_tracks          (MsStore    *self);
MsTrackInfo         *ms_store_lookup_own_track        (MsStore    *self,
                                                       const char *tag);

const char          *ms_connect_status_to_text        (MsConnectStatus status);

G_END_DECLS
