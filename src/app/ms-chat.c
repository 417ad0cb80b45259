/* ms-chat.c: the chat panel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Chat is a `message` with msg_type "chat" and body {"text": "…"}. The
 * lines live here, not in the session, so that they outlast reconnects;
 * the input is disabled, with a tooltip saying why, when the token does
 * not allow sending chat.
 */

#define G_LOG_DOMAIN "MsChat"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "ms-chat.h"

#define CHAT_TYPE "chat"
#define MAX_TEXT 4000

struct _MsChatLine {
  GObject   parent_instance;

  char     *sender;
  char     *text;
  gboolean  mine;
};

G_DEFINE_FINAL_TYPE (MsChatLine, ms_chat_line, G_TYPE_OBJECT)

static void
ms_chat_line_finalize (GObject *object)
{
  MsChatLine *self = MS_CHAT_LINE (object);

  g_free (self->sender);
  g_free (self->text);

  G_OBJECT_CLASS (ms_chat_line_parent_class)->finalize (object);
}

static void
ms_chat_line_class_init (MsChatLineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ms_chat_line_finalize;
}

static void
ms_chat_line_init (MsChatLine *self)
{
}

static MsChatLine *
ms_chat_line_new (const char *sender,
                  const char *text,
                  gboolean    mine)
{
  MsChatLine *self = g_object_new (MS_TYPE_CHAT_LINE, NULL);

  self->sender = g_strdup (sender);
  self->text = g_strdup (text);
  self->mine = mine;

  return self;
}

const char *
ms_chat_line_get_sender (MsChatLine *self)
{
  return self->sender;
}

const char *
ms_chat_line_get_text (MsChatLine *self)
{
  return self->text;
}

gboolean
ms_chat_line_get_mine (MsChatLine *self)
{
  return self->mine;
}

struct _MsChat {
  GtkWidget   parent_instance;

  MsSession  *session;
  GListStore *lines;

  GtkWidget  *box;
  GtkWidget  *scrolled;
  GtkWidget  *list;
  GtkWidget  *entry;
  GtkWidget  *send_button;
};

enum {
  SIGNAL_RECEIVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsChat, ms_chat, GTK_TYPE_WIDGET)

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  MsChatLine *line = item;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *sender = gtk_label_new (line->sender);
  GtkWidget *text = gtk_label_new (line->text);

  gtk_widget_add_css_class (sender, "caption-heading");
  gtk_widget_add_css_class (sender, line->mine ? "accent" : "dim-label");
  gtk_label_set_xalign (GTK_LABEL (sender), 0);
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (text), TRUE);
  gtk_box_append (GTK_BOX (box), sender);
  gtk_box_append (GTK_BOX (box), text);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  return box;
}

static void
scroll_to_end (MsChat *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scrolled));

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
}

static void
add_line (MsChat     *self,
          const char *sender,
          const char *text,
          gboolean    mine)
{
  g_autoptr (MsChatLine) line = ms_chat_line_new (sender, text, mine);

  g_list_store_append (self->lines, line);
  scroll_to_end (self);
}

static void
update_sensitivity (MsChat *self)
{
  gboolean can_send = ms_chat_can_send (self);

  gtk_widget_set_sensitive (self->entry, can_send);
  gtk_widget_set_sensitive (self->send_button, can_send);
  gtk_widget_set_tooltip_text (self->entry,
                               can_send || self->session == NULL
                               ? NULL : _("Your invitation does not allow sending messages"));
}

static void
on_grants (MsStore    *store,
           GParamSpec *pspec,
           MsChat     *self)
{
  update_sensitivity (self);
}

static void
on_message (MsSession  *session,
            const char *msg_type,
            JsonNode   *body,
            const char *from,
            MsChat     *self)
{
  MsPeer *peer;
  const char *text;
  const char *sender;

  if (g_strcmp0 (msg_type, CHAT_TYPE) != 0 || !JSON_NODE_HOLDS_OBJECT (body))
    return;
  text = json_object_get_string_member_with_default (json_node_get_object (body), "text", NULL);
  if (text == NULL || *text == '\0')
    return;

  peer = ms_store_lookup_peer (ms_session_get_store (session), from);
  /* Translators: the sender of a chat line who is in invisible mode. */
  sender = peer ? ms_peer_get_display_name (peer) : _("Someone invisible");
  add_line (self, sender, text, FALSE);
  g_signal_emit (self, signals[SIGNAL_RECEIVED], 0, sender, text);
}

gboolean
ms_chat_send (MsChat     *self,
              const char *text)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (GError) error = NULL;
  MsStore *store;

  g_return_val_if_fail (MS_IS_CHAT (self), FALSE);

  if (!ms_chat_can_send (self) || text == NULL || *text == '\0')
    return FALSE;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  if (!ms_session_send_message (self->session, CHAT_TYPE, body, NULL, &error)) {
    g_warning ("Chat not sent: %s", error->message);
    return FALSE;
  }

  store = ms_session_get_store (self->session);
  add_line (self, ms_store_get_display_name (store) ? ms_store_get_display_name (store) : "",
            text, TRUE);
  return TRUE;
}

static void
on_activate (MsChat *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));

  if (ms_chat_send (self, text))
    gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
}

static void
ms_chat_dispose (GObject *object)
{
  MsChat *self = MS_CHAT (object);

  ms_chat_set_session (self, NULL);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->lines);

  G_OBJECT_CLASS (ms_chat_parent_class)->dispose (object);
}

static void
ms_chat_class_init (MsChatClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_chat_dispose;

  /**
   * MsChat::received:
   * @sender: who wrote
   * @text: what they wrote
   */
  signals[SIGNAL_RECEIVED] =
    g_signal_new ("received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "chat");
}

static void
ms_chat_init (MsChat *self)
{
  GtkWidget *input = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *placeholder = adw_status_page_new ();

  self->lines = g_list_store_new (MS_TYPE_CHAT_LINE);
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  self->list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->list), GTK_SELECTION_NONE);
  gtk_list_box_bind_model (GTK_LIST_BOX (self->list), G_LIST_MODEL (self->lines), create_row,
                           NULL, NULL);
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (placeholder), "chat-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (placeholder), _("No Messages"));
  gtk_widget_add_css_class (placeholder, "compact");
  gtk_list_box_set_placeholder (GTK_LIST_BOX (self->list), placeholder);
  gtk_widget_add_css_class (self->list, "navigation-sidebar");

  self->scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scrolled), self->list);
  gtk_widget_set_vexpand (self->scrolled, TRUE);
  gtk_box_append (GTK_BOX (self->box), self->scrolled);

  self->entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->entry), _("Message"));
  gtk_entry_set_max_length (GTK_ENTRY (self->entry), MAX_TEXT);
  gtk_widget_set_hexpand (self->entry, TRUE);
  g_signal_connect_swapped (self->entry, "activate", G_CALLBACK (on_activate), self);
  self->send_button = gtk_button_new_from_icon_name ("paper-plane-symbolic");
  gtk_widget_set_tooltip_text (self->send_button, _("Send"));
  g_signal_connect_swapped (self->send_button, "clicked", G_CALLBACK (on_activate), self);
  gtk_box_append (GTK_BOX (input), self->entry);
  gtk_box_append (GTK_BOX (input), self->send_button);
  gtk_widget_set_margin_start (input, 6);
  gtk_widget_set_margin_end (input, 6);
  gtk_widget_set_margin_top (input, 6);
  gtk_widget_set_margin_bottom (input, 6);
  gtk_box_append (GTK_BOX (self->box), input);

  update_sensitivity (self);
}

GtkWidget *
ms_chat_new (void)
{
  return g_object_new (MS_TYPE_CHAT, NULL);
}

void
ms_chat_set_session (MsChat    *self,
                     MsSession *session)
{
  g_return_if_fail (MS_IS_CHAT (self));

  if (self->session == session)
    return;

  if (self->session != NULL) {
    g_signal_handlers_disconnect_by_data (self->session, self);
    g_signal_handlers_disconnect_by_data (ms_session_get_store (self->session), self);
    g_clear_object (&self->session);
  }
  if (session != NULL) {
    self->session = g_object_ref (session);
    g_signal_connect (session, "message", G_CALLBACK (on_message), self);
    g_signal_connect (ms_session_get_store (session), "notify::send-messages",
                      G_CALLBACK (on_grants), self);
  }

  update_sensitivity (self);
}

GListModel *
ms_chat_get_lines (MsChat *self)
{
  g_return_val_if_fail (MS_IS_CHAT (self), NULL);

  return G_LIST_MODEL (self->lines);
}

gboolean
ms_chat_can_send (MsChat *self)
{
  g_return_val_if_fail (MS_IS_CHAT (self), FALSE);

  return self->session != NULL &&
         ms_grant_allows (ms_store_get_send_messages (ms_session_get_store (self->session)),
                          CHAT_TYPE);
}

/* The text entry, for tests to look at. */
GtkWidget *
ms_chat_get_input (MsChat *self)
{
  g_return_val_if_fail (MS_IS_CHAT (self), NULL);

  return self->entry;
}

void
ms_chat_clear (MsChat *self)
{
  g_return_if_fail (MS_IS_CHAT (self));

  g_list_store_remove_all (self->lines);
}
