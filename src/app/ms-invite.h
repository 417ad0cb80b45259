/* ms-invite.h: invitation links
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MS_INVITE_ERROR (ms_invite_error_quark ())

typedef enum {
  MS_INVITE_ERROR_INVALID,
} MsInviteError;

GQuark    ms_invite_error_quark (void);

gboolean  ms_invite_parse       (const char  *link,
                                 char       **out_url,
                                 char       **out_room,
                                 char       **out_token,
                                 GError     **error);
char     *ms_invite_token_name  (const char  *token);
char     *ms_invite_build       (const char  *host,
                                 guint        port,
                                 const char  *room,
                                 const char  *token);

G_END_DECLS
