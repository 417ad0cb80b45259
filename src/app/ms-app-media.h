/* ms-app-media.h: the app's choice of devices and sources
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "mediastore.h"

G_BEGIN_DECLS

GSettings    *ms_media_get_settings          (void);
MsLocalTrack *ms_media_make_track            (const char  *tag,
                                              GError     **error);
void          ms_media_configure_session     (MsSession   *session);
void          ms_media_apply_quality         (MsLocalTrack *track);
const char   *ms_media_default_display_name  (void);

G_END_DECLS
