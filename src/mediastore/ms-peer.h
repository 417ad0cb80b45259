/* ms-peer.h: another participant of the call
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ms-track-info.h"

G_BEGIN_DECLS

#define MS_TYPE_PEER (ms_peer_get_type ())

G_DECLARE_FINAL_TYPE (MsPeer, ms_peer, MS, PEER, GObject)

const char  *ms_peer_get_id           (MsPeer     *self);
const char  *ms_peer_get_display_name (MsPeer     *self);
const char  *ms_peer_get_avatar       (MsPeer     *self);
gboolean     ms_peer_get_host         (MsPeer     *self);
GListModel  *ms_peer_get_tracks       (MsPeer     *self);
MsTrackInfo *ms_peer_lookup_track     (MsPeer     *self,
                                       const char *tag);

G_END_DECLS
