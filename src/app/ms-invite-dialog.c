/* ms-invite-dialog.c: inviting others to a call hosted here
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small window, made to fit a 1366x768 screen in any language: a line
 * that says who can join, the short link on one row with a Copy button,
 * the "Open to the Local Network" switch (which restarts the host's
 * server without ending the call), and a QR code of about 200 px only
 * when the link is one another device can open. Everything follows the
 * host: the link changes when the call opens to the network, and the
 * switch waits while the server restarts.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "ms-invite-dialog.h"

#define QR_SIDE 200

struct _MsInviteDialog {
  AdwWindow       parent_instance;

  MsHost         *host;
  GtkWindow      *parent;
  AdwToastOverlay *toasts;
  GtkLabel       *explanation;
  AdwActionRow   *link_row;
  GtkWidget      *copy_button;
  GtkWidget      *renew_button;
  AdwActionRow   *network_row;
  GtkSwitch      *network_switch;
  GtkWidget      *qr_code;
  gboolean        updating;
};

G_DEFINE_FINAL_TYPE (MsInviteDialog, ms_invite_dialog, ADW_TYPE_WINDOW)

static void
toast (MsInviteDialog *self,
       const char     *text)
{
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
}

static void
update (MsInviteDialog *self)
{
  const char *invite = ms_host_get_invite (self->host);
  gboolean on_network = ms_host_get_on_network (self->host);
  gboolean busy = ms_host_get_busy (self->host);
  g_autoptr (GdkTexture) qr = NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->link_row),
                                 invite ? invite : _("No invitation link"));
  gtk_widget_set_sensitive (self->copy_button, invite != NULL);
  gtk_widget_set_sensitive (self->renew_button, !busy);

  self->updating = TRUE;
  gtk_switch_set_active (self->network_switch, on_network);
  self->updating = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->network_switch), !busy);
  adw_action_row_set_subtitle (self->network_row,
                               busy ? _("Restarting the call server…")
                                    : _("Others on this network can join this call"));

  if (busy)
    gtk_label_set_label (self->explanation, _("The call server is restarting: the call goes on."));
  else if (on_network)
    gtk_label_set_label (self->explanation,
                         _("Anyone on this network with the link can join: send it to them, or let "
                           "them scan the code."));
  else
    gtk_label_set_label (self->explanation,
                         _("Only this computer can join with this link. To invite others, open the "
                           "call to the local network."));

  /* A code another device could not open would only mislead. */
  if (on_network && !busy && invite != NULL)
    qr = ms_host_make_qr_code (self->host);
  gtk_picture_set_paintable (GTK_PICTURE (self->qr_code), GDK_PAINTABLE (qr));
  gtk_widget_set_visible (self->qr_code, qr != NULL);
}

static void
on_copy (MsInviteDialog *self)
{
  const char *invite = ms_host_get_invite (self->host);

  if (invite == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), invite);
  toast (self, _("Invitation link copied"));
}

static void
on_renewed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (MsInviteDialog) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!ms_host_renew_invite_finish (MS_HOST (source), result, &error))
    toast (self, error->message);
  else
    toast (self, _("The old link no longer works"));
  gtk_widget_set_sensitive (self->renew_button, TRUE);
}

static void
on_renew (MsInviteDialog *self)
{
  gtk_widget_set_sensitive (self->renew_button, FALSE);
  ms_host_renew_invite (self->host, NULL, on_renewed, g_object_ref (self));
}

static void
on_network_set (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (MsInviteDialog) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!ms_host_set_on_network_finish (MS_HOST (source), result, &error))
    toast (self, error->message);
  update (self);
}

static void
on_switch_active (MsInviteDialog *self)
{
  gboolean on = gtk_switch_get_active (self->network_switch);
  GAction *action = NULL;

  if (self->updating || on == ms_host_get_on_network (self->host))
    return;

  /* Through the window's own switch when it has one, so that the
   * setting and the window follow; else straight to the host. */
  if (self->parent != NULL && G_IS_ACTION_MAP (self->parent))
    action = g_action_map_lookup_action (G_ACTION_MAP (self->parent), "host-on-network");
  if (action != NULL)
    g_action_change_state (action, g_variant_new_boolean (on));
  else
    ms_host_set_on_network (self->host, on, NULL, on_network_set, g_object_ref (self));
}

static void
ms_invite_dialog_dispose (GObject *object)
{
  MsInviteDialog *self = MS_INVITE_DIALOG (object);

  if (self->parent != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->parent), (gpointer *) &self->parent);
  self->parent = NULL;
  if (self->host != NULL)
    g_signal_handlers_disconnect_by_data (self->host, self);
  g_clear_object (&self->host);

  G_OBJECT_CLASS (ms_invite_dialog_parent_class)->dispose (object);
}

static void
ms_invite_dialog_class_init (MsInviteDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_invite_dialog_dispose;
}

static void
ms_invite_dialog_init (MsInviteDialog *self)
{
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *body = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

  gtk_window_set_title (GTK_WINDOW (self), _("Invite Others"));
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_resizable (GTK_WINDOW (self), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (self), 460, -1);
  gtk_window_set_hide_on_close (GTK_WINDOW (self), FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self), "invite-dialog");

  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header),
                                   adw_window_title_new (_("Invite Others"), NULL));
  gtk_box_append (GTK_BOX (content), header);

  gtk_widget_set_margin_start (body, 18);
  gtk_widget_set_margin_end (body, 18);
  gtk_widget_set_margin_top (body, 12);
  gtk_widget_set_margin_bottom (body, 18);

  self->explanation = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->explanation, TRUE);
  gtk_label_set_max_width_chars (self->explanation, 50);
  gtk_label_set_width_chars (self->explanation, 40);
  gtk_label_set_xalign (self->explanation, 0);
  gtk_box_append (GTK_BOX (body), GTK_WIDGET (self->explanation));

  /* The link on one line, selectable, with its Copy button. */
  self->link_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title_selectable (ADW_PREFERENCES_ROW (self->link_row), TRUE);
  adw_action_row_set_title_lines (self->link_row, 1);
  adw_action_row_set_subtitle (self->link_row, _("Invitation link"));
  gtk_widget_add_css_class (GTK_WIDGET (self->link_row), "property");
  self->copy_button = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  gtk_widget_set_tooltip_text (self->copy_button, _("Copy Link"));
  gtk_widget_set_valign (self->copy_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->copy_button, "flat");
  g_signal_connect_swapped (self->copy_button, "clicked", G_CALLBACK (on_copy), self);
  adw_action_row_add_suffix (self->link_row, self->copy_button);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->link_row));

  self->network_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->network_row),
                                 _("Open to the Local Network"));
  self->network_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->network_switch), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (self->network_row, GTK_WIDGET (self->network_switch));
  adw_action_row_set_activatable_widget (self->network_row, GTK_WIDGET (self->network_switch));
  g_signal_connect_swapped (self->network_switch, "notify::active", G_CALLBACK (on_switch_active),
                            self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->network_row));
  gtk_box_append (GTK_BOX (body), group);

  self->qr_code = gtk_picture_new ();
  gtk_picture_set_can_shrink (GTK_PICTURE (self->qr_code), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (self->qr_code), GTK_CONTENT_FIT_CONTAIN);
  gtk_widget_set_size_request (self->qr_code, QR_SIDE, QR_SIDE);
  gtk_widget_set_halign (self->qr_code, GTK_ALIGN_CENTER);
  gtk_picture_set_alternative_text (GTK_PICTURE (self->qr_code),
                                    _("QR code of the invitation link"));
  gtk_box_append (GTK_BOX (body), self->qr_code);

  gtk_box_set_homogeneous (GTK_BOX (buttons), TRUE);
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  self->renew_button = gtk_button_new_with_mnemonic (_("_New Link"));
  gtk_widget_set_tooltip_text (self->renew_button,
                               _("Make a new link: the one sent so far stops working"));
  g_signal_connect_swapped (self->renew_button, "clicked", G_CALLBACK (on_renew), self);
  gtk_box_append (GTK_BOX (buttons), self->renew_button);
  {
    GtkWidget *copy = gtk_button_new_with_mnemonic (_("_Copy Link"));

    gtk_widget_add_css_class (copy, "suggested-action");
    g_signal_connect_swapped (copy, "clicked", G_CALLBACK (on_copy), self);
    gtk_box_append (GTK_BOX (buttons), copy);
  }
  gtk_box_append (GTK_BOX (body), buttons);
  gtk_box_append (GTK_BOX (content), body);

  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toasts, content);
  adw_window_set_content (ADW_WINDOW (self), GTK_WIDGET (self->toasts));
}

/**
 * ms_invite_dialog_new:
 * @parent: the window of the call; its "host-on-network" action, if it
 *   has one, is what the switch changes
 * @host: the running host
 */
MsInviteDialog *
ms_invite_dialog_new (GtkWindow *parent,
                      MsHost    *host)
{
  MsInviteDialog *self;

  g_return_val_if_fail (MS_IS_HOST (host), NULL);

  self = g_object_new (MS_TYPE_INVITE_DIALOG, "transient-for", parent, "destroy-with-parent", TRUE,
                       NULL);
  self->parent = parent;
  if (parent != NULL)
    g_object_add_weak_pointer (G_OBJECT (parent), (gpointer *) &self->parent);
  self->host = g_object_ref (host);
  g_signal_connect_swapped (host, "notify::invite", G_CALLBACK (update), self);
  g_signal_connect_swapped (host, "notify::on-network", G_CALLBACK (update), self);
  g_signal_connect_swapped (host, "notify::busy", G_CALLBACK (update), self);
  update (self);

  return self;
}

const char *
ms_invite_dialog_get_link (MsInviteDialog *self)
{
  g_return_val_if_fail (MS_IS_INVITE_DIALOG (self), NULL);

  return adw_preferences_row_get_title (ADW_PREFERENCES_ROW (self->link_row));
}

GtkWidget *
ms_invite_dialog_get_qr_code (MsInviteDialog *self)
{
  g_return_val_if_fail (MS_IS_INVITE_DIALOG (self), NULL);

  return self->qr_code;
}

GtkWidget *
ms_invite_dialog_get_copy_button (MsInviteDialog *self)
{
  g_return_val_if_fail (MS_IS_INVITE_DIALOG (self), NULL);

  return self->copy_button;
}

GtkWidget *
ms_invite_dialog_get_renew_button (MsInviteDialog *self)
{
  g_return_val_if_fail (MS_IS_INVITE_DIALOG (self), NULL);

  return self->renew_button;
}

GtkWidget *
ms_invite_dialog_get_network_switch (MsInviteDialog *self)
{
  g_return_val_if_fail (MS_IS_INVITE_DIALOG (self), NULL);

  return GTK_WIDGET (self->network_switch);
}

const char *
ms_invite_dialog_get_explanation (MsInviteDialog *self)
{
  g_return_val_if_fail (MS_IS_INVITE_DIALOG (self), NULL);

  return gtk_label_get_label (self->explanation);
}
