/* ms-window.c: the main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two pages: joining (an invitation link, or hosting a call here), and
 * the call: a grid of tiles bound to the store's peers with our own tile
 * first, the control bar, and a side panel with the chat or the people.
 * The controls are stateful actions (win.microphone, win.camera,
 * win.screen, win.invisible) so that buttons, shortcuts and tests share
 * one path; their states follow the store.
 */

#define G_LOG_DOMAIN "MsWindow"

#include "config.h"

#include <glib/gi18n.h>

#include "ms-app-resources.h"
#include "ms-call-grid.h"
#include "ms-chat.h"
#include "ms-avatar.h"
#include "ms-host.h"
#include "ms-invite.h"
#include "ms-app-media.h"
#include "ms-screencast.h"
#include "ms-tile.h"
#include "ms-window.h"

struct _MsWindow {
  AdwApplicationWindow  parent_instance;

  AdwToastOverlay      *toasts;
  GtkStack             *pages;
  AdwStatusPage        *join_page;
  AdwEntryRow          *invite_row;
  AdwEntryRow          *name_row;
  GtkWidget            *join_button;
  AdwWindowTitle       *call_title;
  GtkWidget            *invite_button;
  GtkToggleButton      *chat_toggle;
  GtkToggleButton      *people_toggle;
  GtkRevealer          *status_revealer;
  GtkLabel             *status_label;
  AdwFlap              *flap;
  MsCallGrid           *grid;
  GtkWidget            *invisible_button;
  GtkStack             *side;
  MsChat               *chat;
  GtkListBox           *people_list;

  MsSession            *session;
  MsHost               *host;
  char                 *token_name;   /* the name in the token we joined with */
  char                 *token_avatar; /* the picture the server first gave us */
  gboolean              name_edited;  /* typed by the user, not prefilled */
  gboolean              prefilling;
  guint                 inhibit_cookie;
  gboolean              want_microphone;
  gboolean              want_camera;
};

G_DEFINE_FINAL_TYPE (MsWindow, ms_window, ADW_TYPE_APPLICATION_WINDOW)

static void
toast (MsWindow   *self,
       const char *text)
{
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
}

static void
set_action_state (MsWindow   *self,
                  const char *name,
                  gboolean    state)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (state));
}

static void
set_action_enabled (MsWindow   *self,
                    const char *name,
                    gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

/* ---- the grid ---- */

static GtkWidget *
create_tile (gpointer item,
             gpointer user_data)
{
  MsWindow *self = user_data;

  /* The first item is the store itself: our own tile. */
  return ms_tile_new (self->session, MS_IS_PEER (item) ? MS_PEER (item) : NULL);
}

/* Places are kept by peer id, the store's key for a person across a
 * resumed connection; "" is our own tile, whatever our id. */
static char *
tile_key (gpointer item,
          gpointer user_data)
{
  return g_strdup (MS_IS_PEER (item) ? ms_peer_get_id (MS_PEER (item)) : "");
}

static GtkWidget *
create_person (gpointer item,
               gpointer user_data)
{
  MsPeer *peer = item;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *avatar = adw_avatar_new (32, ms_peer_get_display_name (peer), TRUE);
  GtkWidget *label = gtk_label_new (NULL);

  g_object_bind_property (peer, "display-name", label, "label", G_BINDING_SYNC_CREATE);
  g_object_bind_property (peer, "display-name", avatar, "text", G_BINDING_DEFAULT);
  ms_avatar_follow (ADW_AVATAR (avatar), G_OBJECT (peer));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), avatar);
  gtk_box_append (GTK_BOX (box), label);

  return box;
}

static void
bind_call (MsWindow *self)
{
  MsStore *store = ms_session_get_store (self->session);
  g_autoptr (GListStore) ours = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr (GListStore) models = g_list_store_new (G_TYPE_LIST_MODEL);
  g_autoptr (GtkFlattenListModel) tiles = NULL;

  g_list_store_append (ours, store);
  g_list_store_append (models, ours);
  g_list_store_append (models, ms_store_get_peers (store));
  tiles = gtk_flatten_list_model_new (G_LIST_MODEL (g_steal_pointer (&models)));
  ms_call_grid_bind_model (self->grid, G_LIST_MODEL (tiles), create_tile, tile_key, self, NULL);
  gtk_list_box_bind_model (self->people_list, ms_store_get_peers (store), create_person, NULL,
                           NULL);
  ms_chat_set_session (self->chat, self->session);
}

static void
unbind_call (MsWindow *self)
{
  ms_call_grid_bind_model (self->grid, NULL, NULL, NULL, NULL, NULL);
  g_action_group_change_action_state (G_ACTION_GROUP (self), "pin", g_variant_new_string (""));
  gtk_list_box_bind_model (self->people_list, NULL, NULL, NULL, NULL);
  ms_chat_set_session (self->chat, NULL);
}

/* ---- following the store ---- */

static void
update_title (MsWindow *self)
{
  MsStore *store = ms_session_get_store (self->session);
  guint others = g_list_model_get_n_items (ms_store_get_peers (store));
  g_autofree char *subtitle = NULL;

  adw_window_title_set_title (self->call_title, ms_store_get_room (store) ? ms_store_get_room (store)
                                                                          : _("Call"));
  if (ms_store_get_connect_status (store) == MS_CONNECT_STATUS_CONNECTED)
    subtitle = g_strdup_printf (ngettext ("%u other person", "%u other people", others), others);
  else
    subtitle = g_strdup (ms_store_get_connect_status_text (store));
  adw_window_title_set_subtitle (self->call_title, subtitle);
}

static void
on_peers_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  MsWindow   *self)
{
  update_title (self);
}

static void
inhibit (MsWindow *self,
         gboolean  in_call)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (app == NULL)
    return;

  if (in_call && self->inhibit_cookie == 0)
    self->inhibit_cookie = gtk_application_inhibit (app, GTK_WINDOW (self),
                                                    GTK_APPLICATION_INHIBIT_IDLE |
                                                    GTK_APPLICATION_INHIBIT_SUSPEND,
                                                    _("In a call"));
  else if (!in_call && self->inhibit_cookie != 0) {
    gtk_application_uninhibit (app, self->inhibit_cookie);
    self->inhibit_cookie = 0;
  }
}

static void
on_status (MsStore    *store,
           GParamSpec *pspec,
           MsWindow   *self)
{
  MsConnectStatus status = ms_store_get_connect_status (store);

  update_title (self);
  gtk_label_set_label (self->status_label, ms_store_get_connect_status_text (store));
  gtk_revealer_set_reveal_child (self->status_revealer,
                                 status == MS_CONNECT_STATUS_RECONNECTING ||
                                 status == MS_CONNECT_STATUS_CONNECTING ||
                                 status == MS_CONNECT_STATUS_AUTHENTICATING ||
                                 status == MS_CONNECT_STATUS_NEGOTIATING);
  inhibit (self, status == MS_CONNECT_STATUS_CONNECTED ||
                 status == MS_CONNECT_STATUS_RECONNECTING);

  /* Back after a drop the server did not survive: say so once. */
  if (status == MS_CONNECT_STATUS_CONNECTED && ms_store_get_error_connection (store) != NULL)
    toast (self, ms_store_get_error_connection (store));

  if (status == MS_CONNECT_STATUS_FAILED) {
    const char *error = ms_store_get_error_connection (store);

    toast (self, error ? error : ms_store_get_connect_status_text (store));
    adw_status_page_set_description (self->join_page, error);
    ms_window_leave (self);
  }
}

static void
on_grants (MsStore    *store,
           GParamSpec *pspec,
           MsWindow   *self)
{
  const char * const *send = ms_store_get_send_tracks (store);

  gtk_widget_set_visible (self->invisible_button, ms_store_get_can_hide (store));
  set_action_enabled (self, "invisible", ms_store_get_can_hide (store));
  set_action_enabled (self, "microphone", ms_grant_allows (send, "microphone"));
  set_action_enabled (self, "camera", ms_grant_allows (send, "camera"));
  set_action_enabled (self, "screen", ms_grant_allows (send, "screen"));
}

static void
on_hidden (MsStore    *store,
           GParamSpec *pspec,
           MsWindow   *self)
{
  set_action_state (self, "invisible", ms_store_get_hidden (store));
}

static void
on_chat_received (MsChat     *chat,
                  const char *sender,
                  const char *text,
                  MsWindow   *self)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autoptr (GNotification) notification = NULL;

  if (app == NULL || gtk_window_is_active (GTK_WINDOW (self)))
    return;

  notification = g_notification_new (sender);
  g_notification_set_body (notification, text);
  g_notification_set_default_action (notification, "app.activate");
  g_application_send_notification (app, "chat", notification);
}

/* ---- sharing ---- */

static gboolean
share (MsWindow   *self,
       const char *tag,
       gboolean    on)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsLocalTrack) track = NULL;

  if (self->session == NULL ||
      ms_store_get_connect_status (ms_session_get_store (self->session)) != MS_CONNECT_STATUS_CONNECTED)
    return on;

  /* Microphone and camera pause and resume, which is quick; a screen is
   * closed, since a paused screen share still holds the portal's grant. */
  if (ms_session_lookup_local_track (self->session, tag) != NULL) {
    gboolean ok;

    if (g_str_equal (tag, "screen"))
      ok = on || ms_session_close_track (self->session, tag, &error);
    else if (on)
      ok = ms_session_resume_track (self->session, tag, &error);
    else
      ok = ms_session_pause_track (self->session, tag, &error);
    if (ok)
      return on;
  } else if (!on) {
    return FALSE;
  } else {
    track = ms_media_make_track (tag, &error);
    if (track != NULL && ms_session_send_track (self->session, track, tag, FALSE, &error))
      return TRUE;
  }

  toast (self, error->message);
  return !on;
}

static void
on_screencast (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (MsWindow) self = user_data;
  g_autoptr (MsLocalTrack) track = NULL;
  g_autoptr (GError) error = NULL;

  track = ms_screencast_start_finish (result, &error);
  if (track != NULL && self->session != NULL &&
      ms_session_send_track (self->session, track, "screen", FALSE, &error))
    return;

  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    toast (self, error->message);
  set_action_state (self, "screen", FALSE);
}

static void
change_share_state (GSimpleAction *action,
                    GVariant      *state,
                    gpointer       user_data)
{
  MsWindow *self = user_data;
  const char *name = g_action_get_name (G_ACTION (action));
  gboolean on;

  /* The portal asks the user what to share: the state is on meanwhile,
   * and back off if they decline. */
  if (g_str_equal (name, "screen") && g_variant_get_boolean (state) && self->session != NULL &&
      ms_session_lookup_local_track (self->session, "screen") == NULL) {
    g_simple_action_set_state (action, g_variant_new_boolean (TRUE));
    ms_screencast_start_async (GTK_WINDOW (self), NULL, on_screencast, g_object_ref (self));
    return;
  }

  on = share (self, name, g_variant_get_boolean (state));
  if (g_str_equal (name, "microphone"))
    self->want_microphone = on;
  else if (g_str_equal (name, "camera"))
    self->want_camera = on;
  g_simple_action_set_state (action, g_variant_new_boolean (on));
}

static void
change_invisible_state (GSimpleAction *action,
                        GVariant      *state,
                        gpointer       user_data)
{
  MsWindow *self = user_data;
  g_autoptr (GError) error = NULL;

  if (self->session == NULL)
    return;
  if (!ms_session_set_hidden (self->session, g_variant_get_boolean (state), &error))
    toast (self, error->message);
  /* The state follows the store (on_hidden). */
}

/* A device chosen in the preferences replaces the running track's
 * source: the track is closed and sent again from the new device, paused
 * if it was. */
static void
replace_track (MsWindow   *self,
               const char *tag)
{
  g_autoptr (MsLocalTrack) track = NULL;
  g_autoptr (GError) error = NULL;
  MsTrackInfo *info;
  gboolean paused;

  if (self->session == NULL || ms_session_lookup_local_track (self->session, tag) == NULL)
    return;

  info = ms_store_lookup_own_track (ms_session_get_store (self->session), tag);
  paused = info != NULL && ms_track_info_get_paused (info);
  track = ms_media_make_track (tag, &error);
  if (track == NULL || !ms_session_close_track (self->session, tag, &error) ||
      !ms_session_send_track (self->session, track, tag, paused, &error))
    toast (self, error->message);
}

/* Our picture: the one in the preferences, else the invitation's. */
static void
apply_avatar (MsWindow *self)
{
  GSettings *settings = ms_media_get_settings ();
  g_autofree char *chosen = settings ? g_settings_get_string (settings, "avatar-url") : NULL;
  const char *avatar = chosen != NULL && *chosen != '\0' ? chosen : self->token_avatar;
  g_autoptr (GError) error = NULL;
  MsStore *store;

  if (self->session == NULL)
    return;
  store = ms_session_get_store (self->session);
  if (ms_store_get_connect_status (store) != MS_CONNECT_STATUS_CONNECTED ||
      g_strcmp0 (avatar, ms_store_get_avatar (store)) == 0)
    return;
  if (!ms_session_set_avatar (self->session, avatar, &error))
    toast (self, error->message);
}

static void
on_setting_changed (GSettings  *settings,
                    const char *key,
                    MsWindow   *self)
{
  if (g_str_equal (key, "avatar-url")) {
    apply_avatar (self);
  } else if (g_str_equal (key, "host-on-network")) {
    GAction *on_network = g_action_map_lookup_action (G_ACTION_MAP (self), key);
    g_autoptr (GVariant) value = g_settings_get_value (settings, key);

    g_simple_action_set_state (G_SIMPLE_ACTION (on_network), value);
  } else if (g_str_equal (key, "camera-device") || g_str_equal (key, "video-quality")) {
    replace_track (self, "camera");
  } else if (g_str_equal (key, "microphone-device") || g_str_equal (key, "echo-cancellation") ||
             g_str_equal (key, "noise-suppression")) {
    replace_track (self, "microphone");
  }
}

/* ---- joining and leaving ---- */

static void
prefill_name (MsWindow   *self,
              const char *name)
{
  self->prefilling = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  self->prefilling = FALSE;
}

static void
on_name_changed (MsWindow *self)
{
  if (!self->prefilling)
    self->name_edited = TRUE;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (MsWindow) self = user_data;
  MsSession *session = MS_SESSION (source);
  g_autoptr (GError) error = NULL;
  const char *name;

  if (!ms_session_connect_finish (session, result, &error) || session != self->session)
    return;   /* a failure shows through the store's status */

  name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  if (self->name_edited && *name != '\0' && g_strcmp0 (name, self->token_name) != 0 &&
      !ms_session_set_display_name (session, name, &error)) {
    toast (self, error->message);
    g_clear_error (&error);
  }
  g_free (self->token_avatar);
  self->token_avatar = g_strdup (ms_store_get_avatar (ms_session_get_store (session)));
  apply_avatar (self);

  set_action_state (self, "microphone", share (self, "microphone", self->want_microphone));
  set_action_state (self, "camera", share (self, "camera", self->want_camera));
}

void
ms_window_join (MsWindow   *self,
                const char *url,
                const char *token)
{
  MsStore *store;

  g_return_if_fail (MS_IS_WINDOW (self));

  ms_window_leave (self);

  g_free (self->token_name);
  self->token_name = ms_invite_token_name (token);
  g_clear_pointer (&self->token_avatar, g_free);
  /* The invitation names us unless we typed a name of our own. */
  if (!self->name_edited && self->token_name != NULL)
    prefill_name (self, self->token_name);

  self->session = ms_session_new ();
  ms_media_configure_session (self->session);
  store = ms_session_get_store (self->session);
  g_signal_connect (store, "notify::connect-status", G_CALLBACK (on_status), self);
  g_signal_connect (store, "notify::room", G_CALLBACK (on_status), self);
  g_signal_connect (store, "notify::send-tracks", G_CALLBACK (on_grants), self);
  g_signal_connect (store, "notify::can-hide", G_CALLBACK (on_grants), self);
  g_signal_connect (store, "notify::hidden", G_CALLBACK (on_hidden), self);
  g_signal_connect (ms_store_get_peers (store), "items-changed", G_CALLBACK (on_peers_changed),
                    self);
  bind_call (self);
  on_grants (store, NULL, self);
  on_hidden (store, NULL, self);
  set_action_enabled (self, "leave", TRUE);

  adw_status_page_set_description (self->join_page, NULL);
  gtk_stack_set_visible_child_name (self->pages, "call");
  ms_session_connect_async (self->session, url, token, NULL, on_connected, g_object_ref (self));
  on_status (store, NULL, self);
}

gboolean
ms_window_open_invite (MsWindow    *self,
                       const char  *link,
                       GError     **error)
{
  g_autofree char *url = NULL;
  g_autofree char *token = NULL;

  g_return_val_if_fail (MS_IS_WINDOW (self), FALSE);

  if (!ms_invite_parse (link, &url, NULL, &token, error))
    return FALSE;

  gtk_editable_set_text (GTK_EDITABLE (self->invite_row), link);
  ms_window_join (self, url, token);
  return TRUE;
}

void
ms_window_leave (MsWindow *self)
{
  g_return_if_fail (MS_IS_WINDOW (self));

  if (self->session != NULL) {
    MsStore *store = ms_session_get_store (self->session);

    g_signal_handlers_disconnect_by_data (store, self);
    g_signal_handlers_disconnect_by_data (ms_store_get_peers (store), self);
    unbind_call (self);
    ms_session_close_call (self->session);
    g_clear_object (&self->session);
    ms_chat_clear (self->chat);
  }
  if (self->host != NULL) {
    ms_host_stop (self->host);
    g_clear_object (&self->host);
  }
  gtk_widget_set_visible (self->invite_button, FALSE);
  set_action_enabled (self, "show-invite", FALSE);
  inhibit (self, FALSE);
  set_action_state (self, "screen", FALSE);
  set_action_state (self, "invisible", FALSE);
  set_action_enabled (self, "leave", FALSE);
  gtk_stack_set_visible_child_name (self->pages, "join");
}

static void
on_join_clicked (MsWindow *self)
{
  g_autoptr (GError) error = NULL;

  if (!ms_window_open_invite (self, gtk_editable_get_text (GTK_EDITABLE (self->invite_row)),
                              &error)) {
    adw_status_page_set_description (self->join_page, error->message);
    gtk_widget_add_css_class (GTK_WIDGET (self->invite_row), "error");
  } else {
    gtk_widget_remove_css_class (GTK_WIDGET (self->invite_row), "error");
  }
}

/* ---- hosting ---- */

static void
on_copy_invite (AdwMessageDialog *dialog,
                const char       *response,
                MsWindow         *self)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                          g_object_get_data (G_OBJECT (dialog), "invite"));
  toast (self, _("Invitation link copied"));
}

static void
show_invite (MsWindow *self)
{
  g_autoptr (GdkTexture) qr = NULL;
  GtkWidget *dialog;
  GtkWidget *box;
  GtkWidget *picture;
  GtkWidget *link;

  if (self->host == NULL || ms_host_get_invite (self->host) == NULL)
    return;

  qr = ms_host_make_qr_code (self->host);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Invite Others"),
                                   ms_host_get_on_network (self->host)
                                   ? _("Send this link to the people you want in the call, or let "
                                       "them scan the code. Anyone on this network with the link "
                                       "can join.")
                                   : _("Only this computer can join with this link: to invite "
                                       "others, leave, turn on “Open to the Local Network” and host "
                                       "again."));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (qr));
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), FALSE);
  gtk_widget_set_halign (picture, GTK_ALIGN_CENTER);
  link = gtk_label_new (ms_host_get_invite (self->host));
  gtk_label_set_selectable (GTK_LABEL (link), TRUE);
  gtk_label_set_wrap (GTK_LABEL (link), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (link), PANGO_WRAP_CHAR);
  gtk_widget_add_css_class (link, "monospace");
  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), link);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "copy", _("_Copy Link"), "close", _("_Close"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "copy",
                                              ADW_RESPONSE_SUGGESTED);
  g_object_set_data_full (G_OBJECT (dialog), "invite", g_strdup (ms_host_get_invite (self->host)),
                          g_free);
  g_signal_connect (dialog, "response::copy", G_CALLBACK (on_copy_invite), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_hosting (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (MsWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!ms_host_start_finish (MS_HOST (source), result, &error)) {
    if (self->host == MS_HOST (source)) {
      adw_status_page_set_description (self->join_page, error->message);
      g_clear_object (&self->host);
    }
    return;
  }
  if (self->host != MS_HOST (source))
    return;

  {
    g_autoptr (MsHost) host = g_object_ref (self->host);

    /* Joining leaves any call first, which would stop the host. */
    g_clear_object (&self->host);
    ms_window_join (self, ms_host_get_url (host), ms_host_get_token (host));
    self->host = g_steal_pointer (&host);
  }
  gtk_widget_set_visible (self->invite_button, TRUE);
  set_action_enabled (self, "show-invite", TRUE);
  /* For whoever started us from a terminal, too. */
  g_print (_("Others join this call with the link %s\n"), ms_host_get_invite (self->host));
}

void
ms_window_host (MsWindow *self,
                gboolean  demo_bot)
{
  g_autoptr (GVariant) on_network = NULL;

  g_return_if_fail (MS_IS_WINDOW (self));

  ms_window_leave (self);
  on_network = g_action_group_get_action_state (G_ACTION_GROUP (self), "host-on-network");
  self->host = ms_host_new (g_variant_get_boolean (on_network));
  ms_host_start_async (self->host, gtk_editable_get_text (GTK_EDITABLE (self->name_row)), demo_bot,
                       NULL, on_hosting, g_object_ref (self));
}

/* ---- actions ---- */

/* The switch on the first page, kept in the settings when there are any
 * (a GSettings action of its own would outlive the window). */
static void
change_on_network_state (GSimpleAction *action,
                         GVariant      *state,
                         gpointer       user_data)
{
  g_simple_action_set_state (action, state);
  if (ms_media_get_settings () != NULL)
    g_settings_set_value (ms_media_get_settings (), "host-on-network", state);
}

static void
host_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  ms_window_host (user_data, FALSE);
}

static void
leave_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  ms_window_leave (user_data);
}

static void
show_invite_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  show_invite (user_data);
}

static void
toggle_chat_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  MsWindow *self = user_data;

  gtk_toggle_button_set_active (self->chat_toggle, !gtk_toggle_button_get_active (self->chat_toggle));
}

static void
on_side_toggled (MsWindow        *self,
                 GtkToggleButton *button)
{
  GtkToggleButton *other = button == self->chat_toggle ? self->people_toggle : self->chat_toggle;

  if (gtk_toggle_button_get_active (button)) {
    gtk_toggle_button_set_active (other, FALSE);
    gtk_stack_set_visible_child_name (self->side, button == self->chat_toggle ? "chat" : "people");
  }
  adw_flap_set_reveal_flap (self->flap, gtk_toggle_button_get_active (self->chat_toggle) ||
                                        gtk_toggle_button_get_active (self->people_toggle));
}

/* A peer id, ours included, or "" for none. */
static void
change_pin_state (GSimpleAction *action,
                  GVariant      *state,
                  gpointer       user_data)
{
  MsWindow *self = user_data;
  const char *id = g_variant_get_string (state, NULL);
  const char *own = self->session ? ms_store_get_peer_id (ms_session_get_store (self->session))
                                  : NULL;

  g_simple_action_set_state (action, state);
  ms_call_grid_set_pinned (self->grid, *id == '\0' ? NULL : g_strcmp0 (id, own) == 0 ? "" : id);
}

static void
fullscreen_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  g_autoptr (GVariant) state = g_action_get_state (G_ACTION (action));
  gboolean fullscreen = !g_variant_get_boolean (state);

  g_simple_action_set_state (action, g_variant_new_boolean (fullscreen));
  if (fullscreen)
    gtk_window_fullscreen (GTK_WINDOW (user_data));
  else
    gtk_window_unfullscreen (GTK_WINDOW (user_data));
}

/* Full screen left some other way (the window manager's own key). */
static void
on_fullscreened (MsWindow *self)
{
  set_action_state (self, "fullscreen", gtk_window_is_fullscreen (GTK_WINDOW (self)));
}

static const GActionEntry actions[] = {
  { "microphone", NULL, NULL, "true", change_share_state },
  { "camera", NULL, NULL, "true", change_share_state },
  { "screen", NULL, NULL, "false", change_share_state },
  { "invisible", NULL, NULL, "false", change_invisible_state },
  { "leave", leave_activated },
  { "host", host_activated },
  { "host-on-network", NULL, NULL, "false", change_on_network_state },
  { "show-invite", show_invite_activated },
  { "toggle-chat", toggle_chat_activated },
  { "pin", NULL, "s", "''", change_pin_state },
  { "fullscreen", fullscreen_activated, NULL, "false" },
};

static void
ms_window_dispose (GObject *object)
{
  MsWindow *self = MS_WINDOW (object);

  if (self->session != NULL || self->host != NULL)
    ms_window_leave (self);

  G_OBJECT_CLASS (ms_window_parent_class)->dispose (object);
}

static void
ms_window_finalize (GObject *object)
{
  MsWindow *self = MS_WINDOW (object);

  g_free (self->token_name);
  g_free (self->token_avatar);

  G_OBJECT_CLASS (ms_window_parent_class)->finalize (object);
}

static void
ms_window_class_init (MsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_window_dispose;
  object_class->finalize = ms_window_finalize;

  ms_app_register_resource ();
  g_type_ensure (MS_TYPE_CHAT);
  g_type_ensure (MS_TYPE_CALL_GRID);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mediastore/Mediastore/ms-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MsWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, pages);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, join_page);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, invite_row);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, name_row);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, join_button);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, call_title);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, invite_button);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, chat_toggle);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, people_toggle);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, status_revealer);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, flap);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, grid);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, invisible_button);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, side);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, chat);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, people_list);
  gtk_widget_class_bind_template_callback (widget_class, on_join_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_side_toggled);
}

static void
ms_window_init (MsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), actions, G_N_ELEMENTS (actions), self);
  if (ms_media_get_settings () != NULL)
    on_setting_changed (ms_media_get_settings (), "host-on-network", self);
  self->want_microphone = TRUE;
  self->want_camera = TRUE;
  set_action_enabled (self, "leave", FALSE);
  set_action_enabled (self, "show-invite", FALSE);
  g_signal_connect (self, "notify::fullscreened", G_CALLBACK (on_fullscreened), NULL);
  prefill_name (self, ms_media_default_display_name ());
  g_signal_connect_swapped (self->name_row, "changed", G_CALLBACK (on_name_changed), self);
  g_signal_connect (self->chat, "received", G_CALLBACK (on_chat_received), self);
  if (ms_media_get_settings () != NULL)
    g_signal_connect_object (ms_media_get_settings (), "changed", G_CALLBACK (on_setting_changed),
                             self, 0);
}

MsWindow *
ms_window_new (GtkApplication *application)
{
  return g_object_new (MS_TYPE_WINDOW, "application", application, NULL);
}

MsSession *
ms_window_get_session (MsWindow *self)
{
  g_return_val_if_fail (MS_IS_WINDOW (self), NULL);

  return self->session;
}

GtkWidget *
ms_window_get_grid (MsWindow *self)
{
  g_return_val_if_fail (MS_IS_WINDOW (self), NULL);

  return GTK_WIDGET (self->grid);
}

MsChat *
ms_window_get_chat (MsWindow *self)
{
  g_return_val_if_fail (MS_IS_WINDOW (self), NULL);

  return self->chat;
}

const char *
ms_window_get_page (MsWindow *self)
{
  g_return_val_if_fail (MS_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->pages);
}

const char *
ms_window_get_invite (MsWindow *self)
{
  g_return_val_if_fail (MS_IS_WINDOW (self), NULL);

  return self->host ? ms_host_get_invite (self->host) : NULL;
}
