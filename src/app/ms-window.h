/* ms-window.h: the main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "mediastore.h"
#include "ms-chat.h"
#include "ms-host.h"
#include "ms-lobby.h"

G_BEGIN_DECLS

#define MS_TYPE_WINDOW (ms_window_get_type ())

G_DECLARE_FINAL_TYPE (MsWindow, ms_window, MS, WINDOW, AdwApplicationWindow)

MsWindow   *ms_window_new              (GtkApplication *application);
void        ms_window_join             (MsWindow       *self,
                                        const char     *url,
                                        const char     *token);
void        ms_window_join_code        (MsWindow       *self,
                                        const char     *url,
                                        const char     *code,
                                        const char     *name);
gboolean    ms_window_open_invite      (MsWindow       *self,
                                        const char     *link,
                                        GError        **error);
void        ms_window_host             (MsWindow       *self,
                                        gboolean        demo_bot);
void        ms_window_leave            (MsWindow       *self);
void        ms_window_apply_name       (MsWindow       *self);

MsSession  *ms_window_get_session      (MsWindow       *self);
GtkWidget  *ms_window_get_grid         (MsWindow       *self);
MsChat     *ms_window_get_chat         (MsWindow       *self);
const char *ms_window_get_page         (MsWindow       *self);
const char *ms_window_get_invite       (MsWindow       *self);
AdwMessageDialog *ms_window_get_question (MsWindow     *self);
gboolean    ms_window_get_banner       (MsWindow       *self,
                                        const char     *name);
GtkWidget  *ms_window_get_part         (MsWindow       *self,
                                        const char     *name);
MsHost     *ms_window_get_host         (MsWindow       *self);
MsLobby    *ms_window_get_lobby        (MsWindow       *self);
GtkWidget  *ms_window_get_control      (MsWindow       *self,
                                        const char     *name);

G_END_DECLS
