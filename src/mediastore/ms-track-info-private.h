/* ms-track-info-private.h: what the store may change on a track
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ms-track-info.h"

G_BEGIN_DECLS

MsTrackInfo *ms_track_info_new        (const char  *tag,
                                       MsTrackKind  kind,
                                       gboolean     paused);
void         ms_track_info_set_paused (MsTrackInfo *self,
                                       gboolean     paused);

G_END_DECLS
