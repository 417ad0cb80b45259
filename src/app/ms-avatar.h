/* ms-avatar.h: participants' pictures from their avatar URLs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The largest avatar download, and the largest picture decoded. */
#define MS_AVATAR_MAX_BYTES (1024 * 1024)
#define MS_AVATAR_MAX_SIDE 4096

void     ms_avatar_follow  (AdwAvatar   *avatar,
                            GObject     *object);
void     ms_avatar_show    (AdwAvatar   *avatar,
                            const char  *url);
gboolean ms_avatar_lookup  (const char  *url,
                            GdkTexture **texture);

G_END_DECLS
