/* ms-chat.h: the chat panel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "mediastore.h"

G_BEGIN_DECLS

#define MS_TYPE_CHAT_LINE (ms_chat_line_get_type ())

G_DECLARE_FINAL_TYPE (MsChatLine, ms_chat_line, MS, CHAT_LINE, GObject)

const char *ms_chat_line_get_sender (MsChatLine *self);
const char *ms_chat_line_get_text   (MsChatLine *self);
gboolean    ms_chat_line_get_mine   (MsChatLine *self);

#define MS_TYPE_CHAT (ms_chat_get_type ())

G_DECLARE_FINAL_TYPE (MsChat, ms_chat, MS, CHAT, GtkWidget)

GtkWidget  *ms_chat_new           (void);
void        ms_chat_set_session   (MsChat     *self,
                                   MsSession  *session);
GListModel *ms_chat_get_lines     (MsChat     *self);
gboolean    ms_chat_can_send      (MsChat     *self);
gboolean    ms_chat_send          (MsChat     *self,
                                   const char *text);
void        ms_chat_clear         (MsChat     *self);
GtkWidget  *ms_chat_get_input     (MsChat     *self);

G_END_DECLS
