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
MsPeer       *ms_tile_get_peer          (MsTile    *self);
const char   *ms_tile_get_name          (MsTile    *self);
gboolean      ms_tile_get_showing_video (MsTile    *self);
gboolean      ms_tile_get_speaking      (MsTile    *self);
gboolean      ms_tile_get_mic_muted     (MsTile    *self);
GdkPaintable *ms_tile_get_avatar_image  (MsTile    *self);

G_END_DECLS
