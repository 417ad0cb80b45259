/* ms-screencast.h: the screen, through the ScreenCast portal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "mediastore.h"

G_BEGIN_DECLS

#define MS_SCREENCAST_ERROR (ms_screencast_error_quark ())

/**
 * MsScreencastError:
 * @MS_SCREENCAST_ERROR_NEEDS_CONSENT: there is no portal to let the user
 *   pick what to share: only the whole screen could be sent, and the user
 *   has not said yes to that
 */
typedef enum {
  MS_SCREENCAST_ERROR_NEEDS_CONSENT,
} MsScreencastError;

GQuark        ms_screencast_error_quark  (void);
void          ms_screencast_start_async  (GtkWindow            *parent,
                                          gboolean              whole_screen_ok,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
MsLocalTrack *ms_screencast_start_finish (GAsyncResult         *result,
                                          GError              **error);

G_END_DECLS
