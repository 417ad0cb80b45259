/* ms-lobby.h: the page before joining a call
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define MS_TYPE_LOBBY (ms_lobby_get_type ())

G_DECLARE_FINAL_TYPE (MsLobby, ms_lobby, MS, LOBBY, AdwBin)

GtkWidget    *ms_lobby_new                 (void);
void          ms_lobby_set_target          (MsLobby    *self,
                                            const char *room,
                                            const char *host,
                                            const char *token_name);
const char   *ms_lobby_get_name            (MsLobby    *self);
GtkEditable  *ms_lobby_get_name_row        (MsLobby    *self);
gboolean      ms_lobby_get_camera_on       (MsLobby    *self);
void          ms_lobby_set_camera_on       (MsLobby    *self,
                                            gboolean    on);
gboolean      ms_lobby_get_microphone_on   (MsLobby    *self);
void          ms_lobby_set_microphone_on   (MsLobby    *self,
                                            gboolean    on);
const char   *ms_lobby_get_camera_status   (MsLobby    *self);
const char   *ms_lobby_get_microphone_status (MsLobby  *self);
GdkPaintable *ms_lobby_get_preview         (MsLobby    *self);
double        ms_lobby_get_level           (MsLobby    *self);
void          ms_lobby_join                (MsLobby    *self);

G_END_DECLS
