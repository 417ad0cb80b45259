/* ms-app-media.h: the app's choice of devices and sources
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "mediastore.h"

G_BEGIN_DECLS

#define MS_MEDIA_ERROR (ms_media_error_quark ())

typedef enum {
  MS_MEDIA_ERROR_NO_DEVICE,
  MS_MEDIA_ERROR_FAILED,
} MsMediaError;

GQuark        ms_media_error_quark           (void);
gboolean      ms_media_use_test_sources      (void);
gboolean      ms_media_has_device            (const char  *tag);
GstElement   *ms_media_make_source           (const char  *tag,
                                              GError     **error);

GSettings    *ms_media_get_settings          (void);
MsLocalTrack *ms_media_make_track            (const char  *tag,
                                              GError     **error);
void          ms_media_configure_session     (MsSession   *session);
void          ms_media_apply_quality         (MsLocalTrack *track);
const char   *ms_media_default_display_name  (void);

G_END_DECLS
