/* ms-invite-dialog.h: inviting others to a call hosted here
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ms-host.h"

G_BEGIN_DECLS

#define MS_TYPE_INVITE_DIALOG (ms_invite_dialog_get_type ())

G_DECLARE_FINAL_TYPE (MsInviteDialog, ms_invite_dialog, MS, INVITE_DIALOG, AdwWindow)

MsInviteDialog *ms_invite_dialog_new                (GtkWindow      *parent,
                                                     MsHost         *host);

/* For tests. */
const char     *ms_invite_dialog_get_link           (MsInviteDialog *self);
GtkWidget      *ms_invite_dialog_get_qr_code        (MsInviteDialog *self);
GtkWidget      *ms_invite_dialog_get_copy_button    (MsInviteDialog *self);
GtkWidget      *ms_invite_dialog_get_renew_button   (MsInviteDialog *self);
GtkWidget      *ms_invite_dialog_get_network_switch (MsInviteDialog *self);
const char     *ms_invite_dialog_get_explanation    (MsInviteDialog *self);

G_END_DECLS
