/* ms-tile.h: one participant in the call grid
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "mediastore.h"

G_BEGIN_DECLS

#define MS_TYPE_TILE (ms_tile_get_type ())

G_DECLARE_FINAL_TYPE (MsTile, ms_tile, MS, TILE, GtkWidget)

GtkWidget    *ms_tile_new               (MsSession *session,
                                         MsPeer    *peer);
GtkWidget    *ms_tile_new_screen        (MsTile    *camera_tile);
const char   *ms_tile_get_peer_id       (MsTile    *self);
gboolean      ms_tile_get_screen        (MsTile    *self);
gboolean      ms_tile_get_sharing_screen (MsTile   *self);
gboolean      ms_tile_get_pinned        (MsTile    *self);
void          ms_tile_set_pinned        (MsTile    *self,
                                         gboolean   pinned);
GtkWidget    *ms_tile_get_video         (MsTile    *self);
GMenuModel   *ms_tile_get_menu          (MsTile    *self);
MsPeer       *ms_tile_get_peer          (MsTile    *self);
const char   *ms_tile_get_name          (MsTile    *self);
gboolean      ms_tile_get_showing_video (MsTile    *self);
gboolean      ms_tile_get_speaking      (MsTile    *self);
gboolean      ms_tile_get_mic_muted     (MsTile    *self);
GdkPaintable *ms_tile_get_avatar_image  (MsTile    *self);

G_END_DECLS
