/* ms-host.h: a call hosted on this computer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MS_TYPE_HOST (ms_host_get_type ())

G_DECLARE_FINAL_TYPE (MsHost, ms_host, MS, HOST, GObject)

MsHost     *ms_host_new                (gboolean              lan);
void        ms_host_start_async        (MsHost               *self,
                                        const char           *display_name,
                                        gboolean              demo_bot,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean    ms_host_start_finish       (MsHost               *self,
                                        GAsyncResult         *result,
                                        GError              **error);
void        ms_host_stop               (MsHost               *self);

/* Restarts the server on the same port, on every address or on loopback;
 * the call goes on (the sessions reconnect), the code stays. */
void        ms_host_set_on_network        (MsHost               *self,
                                           gboolean              on,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean    ms_host_set_on_network_finish (MsHost               *self,
                                           GAsyncResult         *result,
                                           GError              **error);

/* Withdraws the invitation: its code no longer lets anyone in. */
void        ms_host_revoke_invite         (MsHost               *self,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean    ms_host_revoke_invite_finish  (MsHost               *self,
                                           GAsyncResult         *result,
                                           GError              **error);
/* Withdraws it and makes a new one, with a new code. */
void        ms_host_renew_invite          (MsHost               *self,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean    ms_host_renew_invite_finish   (MsHost               *self,
                                           GAsyncResult         *result,
                                           GError              **error);

gboolean    ms_host_get_on_network     (MsHost               *self);
gboolean    ms_host_get_busy           (MsHost               *self);
const char *ms_host_get_url            (MsHost               *self);
const char *ms_host_get_token          (MsHost               *self);
const char *ms_host_get_invite         (MsHost               *self);
const char *ms_host_get_code           (MsHost               *self);
GPid        ms_host_get_server_pid     (MsHost               *self);
GdkTexture *ms_host_make_qr_code       (MsHost               *self);

G_END_DECLS
