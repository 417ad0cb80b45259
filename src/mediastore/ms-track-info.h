/* ms-track-info.h: one published track of a peer, as the store knows it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "ms-protocol.h"
#include "ms-protocol-enums.h"

G_BEGIN_DECLS

#define MS_TYPE_TRACK_INFO (ms_track_info_get_type ())

G_DECLARE_FINAL_TYPE (MsTrackInfo, ms_track_info, MS, TRACK_INFO, GObject)

const char  *ms_track_info_get_tag    (MsTrackInfo *self);
MsTrackKind  ms_track_info_get_kind   (MsTrackInfo *self);
gboolean     ms_track_info_get_paused (MsTrackInfo *self);

G_END_DECLS
