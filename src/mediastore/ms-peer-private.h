/* ms-peer-private.h: what the store may change on a peer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ms-peer.h"

G_BEGIN_DECLS

MsPeer   *ms_peer_new_from_desc (const MsPeerDesc *desc);
void      ms_peer_update        (MsPeer           *self,
                                 const MsPeerDesc *desc);
void      ms_peer_put_track     (MsPeer           *self,
                                 const char       *tag,
                                 MsTrackKind       kind,
                                 gboolean          paused);
gboolean  ms_peer_remove_track  (MsPeer           *self,
                                 const char       *tag);

G_END_DECLS
