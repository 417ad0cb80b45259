/* ms-screencast.h: the screen, through the ScreenCast portal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "mediastore.h"

G_BEGIN_DECLS

void          ms_screencast_start_async  (GtkWindow            *parent,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
MsLocalTrack *ms_screencast_start_finish (GAsyncResult         *result,
                                          GError              **error);

G_END_DECLS
