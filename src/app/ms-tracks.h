/* ms-tracks.h: whose microphone and camera are on, for the tiles and the
 * participants list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "mediastore.h"

G_BEGIN_DECLS

typedef void (*MsTracksChanged) (gpointer owner);

gboolean ms_tracks_live   (GListModel      *tracks,
                           const char      *tag);
void     ms_tracks_follow (GListModel      *tracks,
                           GObject         *owner,
                           MsTracksChanged  changed);

G_END_DECLS
