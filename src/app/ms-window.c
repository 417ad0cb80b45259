/* ms-window.c: the main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Three pages: joining (an invitation link, or hosting a call here), the
 * lobby an invitation link leads to (MsLobby: preview, devices, name),
 * and the call: a grid of tiles bound to the store's peers with our own tile
 * first, the control bar, and a side panel with the chat or the people.
 * The controls are stateful actions (win.microphone, win.camera,
 * win.screen, win.invisible) so that buttons, shortcuts and tests share
 * one path; their states follow the store. The microphone and camera
 * buttons also say when there is no such device, or when it failed: then
 * nothing is sent for it.
 */

#define G_LOG_DOMAIN "MsWindow"

#include "config.h"

#include <glib/gi18n.h>

#include "ms-application.h"
#include "ms-call-grid.h"
#include "ms-chat.h"
#include "ms-avatar.h"
#include "ms-host.h"
#include "ms-invite.h"
#include "ms-invite-dialog.h"
#include "ms-app-media.h"
#include "ms-person-row.h"
#include "ms-devices.h"
#include "ms-lobby.h"
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
  GtkLabel             *people_count;
  GtkWidget            *invisible_group;
  GtkLabel             *unread_badge;
  GtkRevealer          *invisible_revealer;
  GtkRevealer          *presenting_revealer;
  GtkWidget            *mic_button;
  GtkWidget            *camera_button;
  AdwStatusPage        *ended_page;
  GtkWidget            *rejoin_button;
  MsLobby              *lobby;

  MsSession            *session;
  MsHost               *host;
  GCancellable         *redeeming;    /* an invitation code being redeemed */
  char                 *token_name;   /* the name in the token we joined with */
  char                 *token_avatar; /* the picture the server first gave us */
  gboolean              name_edited;  /* typed by the user, not prefilled */
  gboolean              prefilling;
  guint                 inhibit_cookie;
  gboolean              want_microphone;
  gboolean              want_camera;
  guint                 unread;
  char                 *call_url;     /* what Rejoin joins again */
  char                 *call_token;
  gboolean              close_confirmed;
  GtkWidget            *question;     /* the dialog asking something, weak */
  char                 *lobby_url;    /* what the lobby is about to join */
  char                 *lobby_token;
  char                 *lobby_code;   /* or the invitation code it redeems */
  char                 *camera_failure;     /* why the running camera stopped */
  char                 *microphone_failure;
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

/* The one question open on this window (for the tests, too). */
static void
set_question (MsWindow  *self,
              GtkWidget *dialog)
{
  if (self->question != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->question), (gpointer *) &self->question);
  self->question = dialog;
  if (dialog != NULL)
    g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->question);
}

/* Answered: the question is over even if the dialog lingers a moment. */
static void
on_question_answered (MsWindow         *self,
                      const char       *response,
                      AdwMessageDialog *dialog)
{
  if (self->question == GTK_WIDGET (dialog))
    set_question (self, NULL);
}

static void
ask (MsWindow  *self,
     GtkWidget *dialog)
{
  set_question (self, dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_question_answered), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void end_call   (MsWindow   *self);
static void show_ended (MsWindow   *self,
                        const char *title,
                        const char *description,
                        gboolean    can_rejoin);

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

/* The host badge follows the "host" property of the store (ourselves)
 * or of the peer: the server says who holds the host grant. */
static void
on_person_host (GObject    *item,
                GParamSpec *pspec,
                gpointer    user_data)
{
  gboolean host = MS_IS_STORE (item) ? ms_store_get_host (MS_STORE (item))
                                     : ms_peer_get_host (MS_PEER (item));

  ms_person_row_set_host (MS_PERSON_ROW (user_data), host);
}

/* The participants list: we come first, as "Name (You)". */
static GtkWidget *
create_person (gpointer item,
               gpointer user_data)
{
  GtkWidget *row = ms_person_row_new (item);

  on_person_host (item, NULL, row);
  g_signal_connect_object (item, "notify::host", G_CALLBACK (on_person_host), row, 0);
  gtk_widget_set_margin_top (row, 6);
  gtk_widget_set_margin_bottom (row, 6);
  gtk_widget_set_margin_start (row, 12);
  gtk_widget_set_margin_end (row, 12);

  return row;
}

/* Our own entry first, then the store's peers: the grid and the
 * participants list show the same people in the same order. */
static GListModel *
everyone (MsStore *store)
{
  g_autoptr (GListStore) ours = g_list_store_new (G_TYPE_OBJECT);
  GListStore *models = g_list_store_new (G_TYPE_LIST_MODEL);

  g_list_store_append (ours, store);
  g_list_store_append (models, ours);
  g_list_store_append (models, ms_store_get_peers (store));

  return G_LIST_MODEL (gtk_flatten_list_model_new (G_LIST_MODEL (models)));
}

static void
bind_call (MsWindow *self)
{
  MsStore *store = ms_session_get_store (self->session);
  g_autoptr (GListModel) people = everyone (store);

  ms_call_grid_bind_model (self->grid, people, create_tile, tile_key, self, NULL);
  gtk_list_box_bind_model (self->people_list, people, create_person, self, NULL);
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
  g_autofree char *count = g_strdup_printf (ngettext ("%u Person in the Call",
                                                      "%u People in the Call", others + 1),
                                            others + 1);

  gtk_label_set_label (self->people_count, count);

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
    g_autofree char *error = g_strdup (ms_store_get_error_connection (store));

    gboolean hosted = self->host != NULL;

    if (error == NULL)
      error = g_strdup (ms_store_get_connect_status_text (store));
    end_call (self);
    show_ended (self, _("The Call Ended"), error, !hosted && self->call_token != NULL);
  }
}

static void update_device_buttons (MsWindow *self);

static void
on_grants (MsStore    *store,
           GParamSpec *pspec,
           MsWindow   *self)
{
  const char * const *send = ms_store_get_send_tracks (store);

  gtk_widget_set_visible (self->invisible_button, ms_store_get_can_hide (store));
  gtk_widget_set_visible (self->invisible_group, ms_store_get_can_hide (store));
  set_action_enabled (self, "invisible", ms_store_get_can_hide (store));
  set_action_enabled (self, "screen", ms_grant_allows (send, "screen"));
  update_device_buttons (self);
}

static void
on_hidden (MsStore    *store,
           GParamSpec *pspec,
           MsWindow   *self)
{
  set_action_state (self, "invisible", ms_store_get_hidden (store));
  gtk_revealer_set_reveal_child (self->invisible_revealer, ms_store_get_hidden (store));
}

/* "You are presenting", for as long as our screen is sent. */
static void
on_own_tracks (GListModel *model,
               guint       position,
               guint       removed,
               guint       added,
               MsWindow   *self)
{
  MsStore *store = ms_session_get_store (self->session);

  gtk_revealer_set_reveal_child (self->presenting_revealer,
                                 ms_store_lookup_own_track (store, "screen") != NULL);
}

/* The chat's lines are all seen: no badge, the plain tooltip. */
static void
clear_unread (MsWindow *self)
{
  self->unread = 0;
  gtk_widget_set_visible (GTK_WIDGET (self->unread_badge), FALSE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->chat_toggle), _("Chat"));
}

static void
on_chat_received (MsChat     *chat,
                  const char *sender,
                  const char *text,
                  MsWindow   *self)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autoptr (GNotification) notification = NULL;

  if (!gtk_toggle_button_get_active (self->chat_toggle)) {
    g_autofree char *count = NULL;

    self->unread++;
    count = self->unread > 99 ? g_strdup ("99+") : g_strdup_printf ("%u", self->unread);
    gtk_label_set_label (self->unread_badge, count);
    gtk_widget_set_visible (GTK_WIDGET (self->unread_badge), TRUE);
    {
      /* Translators: the chat button's tooltip while messages wait. */
      g_autofree char *tip = g_strdup_printf (ngettext ("Chat: %u unread message",
                                                        "Chat: %u unread messages", self->unread),
                                              self->unread);

      gtk_widget_set_tooltip_text (GTK_WIDGET (self->chat_toggle), tip);
    }
  }

  if (app == NULL || gtk_window_is_active (GTK_WINDOW (self)))
    return;

  notification = g_notification_new (sender);
  g_notification_set_body (notification, text);
  g_notification_set_default_action (notification, "app.activate");
  g_application_send_notification (app, "chat", notification);
}

/* ---- devices that tell the truth ---- */

static char **
failure_of (MsWindow   *self,
            const char *tag)
{
  return g_str_equal (tag, "camera") ? &self->camera_failure : &self->microphone_failure;
}

/* The microphone and camera buttons: a missing device is insensitive
 * with a crossed-out icon and a tooltip saying what to do; a failed one
 * says so and may be tried again. */
static void
update_device_buttons (MsWindow *self)
{
  const struct {
    const char *tag;
    GtkWidget  *button;
    const char *icon, *missing_icon, *turn_off, *turn_on;
    MsDeviceClass device_class;
  } all[] = {
    { "microphone", self->mic_button, "audio-input-microphone-symbolic",
      "microphone-disabled-symbolic", N_("Turn Off the Microphone"), N_("Turn On the Microphone"),
      MS_DEVICE_MICROPHONE },
    { "camera", self->camera_button, "camera-web-symbolic", "camera-disabled-symbolic",
      N_("Turn Off the Camera"), N_("Turn On the Camera"), MS_DEVICE_CAMERA },
  };
  const char * const *send = self->session ? ms_store_get_send_tracks (
    ms_session_get_store (self->session)) : NULL;

  for (guint i = 0; i < G_N_ELEMENTS (all); i++) {
    const char *failure = *failure_of (self, all[i].tag);
    /* One unplugged while it runs can still be turned off. */
    gboolean present = ms_media_has_device (all[i].tag) ||
                       (self->session != NULL &&
                        ms_session_lookup_local_track (self->session, all[i].tag) != NULL);

    g_autoptr (GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (self),
                                                                  all[i].tag);
    gboolean on = present && failure == NULL && g_variant_get_boolean (state);

    /* Off reads at a glance, as in GNOME Calls: the disabled icon on the
     * destructive colour; missing or failed also says why and what to do. */
    gtk_button_set_icon_name (GTK_BUTTON (all[i].button), on ? all[i].icon : all[i].missing_icon);
    gtk_widget_set_tooltip_text (all[i].button,
                                 !present ? ms_devices_get_missing_text (all[i].device_class)
                                 : failure ? failure
                                 : on ? _(all[i].turn_off) : _(all[i].turn_on));
    if (on)
      gtk_widget_remove_css_class (all[i].button, "device-off");
    else
      gtk_widget_add_css_class (all[i].button, "device-off");
    set_action_enabled (self, all[i].tag,
                        present && (self->session == NULL || ms_grant_allows (send, all[i].tag)));
  }
}

static void
on_devices_changed (MsWindow *self)
{
  update_device_buttons (self);
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
    if (!g_str_equal (tag, "screen"))
      g_clear_pointer (failure_of (self, tag), g_free);
    track = ms_media_make_track (tag, &error);
    if (track != NULL && ms_session_send_track (self->session, track, tag, FALSE, &error)) {
      update_device_buttons (self);
      return TRUE;
    }
    if (!g_str_equal (tag, "screen")) {
      if (!g_error_matches (error, MS_MEDIA_ERROR, MS_MEDIA_ERROR_NO_DEVICE))
        *failure_of (self, tag) = g_strdup (error->message);
      update_device_buttons (self);
    }
  }

  toast (self, error->message);
  return !on;
}

static void on_screencast (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data);

static void
on_whole_screen_answer (AdwMessageDialog *dialog,
                        const char       *response,
                        MsWindow         *self)
{
  if (g_str_equal (response, "share") && self->session != NULL)
    ms_screencast_start_async (GTK_WINDOW (self), TRUE, NULL, on_screencast, g_object_ref (self));
  else
    set_action_state (self, "screen", FALSE);
}

/* No portal to pick a window with: sending the whole screen needs a yes. */
static void
ask_whole_screen (MsWindow *self)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Share Your Whole Screen?"),
                                              _("This desktop cannot let you choose a window to "
                                                "share. Everyone in the call will see everything "
                                                "on your screen, notifications included, until "
                                                "you stop presenting."));

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "share", _("_Share Whole Screen"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "share",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_whole_screen_answer), self, 0);
  ask (self, dialog);
}

/* The source of a running track posted an error: nothing more comes from
 * it, so it is closed rather than announced empty. */
static void
on_track_error (MsSession    *session,
                const char   *tag,
                const GError *error,
                MsWindow     *self)
{
  g_autoptr (GError) close_error = NULL;
  g_autofree char *text = NULL;

  if (!ms_session_close_track (session, tag, &close_error))
    g_debug ("%s: %s", tag, close_error->message);
  if (g_str_equal (tag, "screen")) {
    set_action_state (self, "screen", FALSE);
    toast (self, _("Screen sharing stopped"));
    return;
  }

  text = g_strdup_printf (g_str_equal (tag, "camera")
                          ? _("The camera stopped working: %s")
                          : _("The microphone stopped working: %s"), error->message);
  g_free (*failure_of (self, tag));
  *failure_of (self, tag) = g_strdup (text);
  if (g_str_equal (tag, "camera"))
    self->want_camera = FALSE;
  else
    self->want_microphone = FALSE;
  set_action_state (self, tag, FALSE);
  update_device_buttons (self);
  toast (self, text);
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

  if (g_error_matches (error, MS_SCREENCAST_ERROR, MS_SCREENCAST_ERROR_NEEDS_CONSENT) &&
      self->session != NULL) {
    ask_whole_screen (self);
    return;
  }

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
    ms_screencast_start_async (GTK_WINDOW (self), FALSE, NULL, on_screencast, g_object_ref (self));
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

static void prefill_name (MsWindow   *self,
                          const char *name);

/**
 * ms_window_apply_name:
 *
 * One name everywhere: the one in the settings (the lobby's and the
 * preferences'), else the invitation's. The preferences call this on
 * every window when the name is applied there, so the call in progress
 * takes it at once. (A name typed in another window's lobby is for that
 * window's call.)
 */
void
ms_window_apply_name (MsWindow *self)
{
  GSettings *settings = ms_media_get_settings ();
  g_autofree char *chosen = settings ? g_settings_get_string (settings, "display-name") : NULL;
  g_autoptr (GError) error = NULL;
  MsStore *store;

  if (self->session == NULL || chosen == NULL || *g_strstrip (chosen) == '\0')
    return;
  store = ms_session_get_store (self->session);
  if (ms_store_get_connect_status (store) != MS_CONNECT_STATUS_CONNECTED ||
      g_strcmp0 (chosen, ms_store_get_display_name (store)) == 0)
    return;
  if (!ms_session_set_display_name (self->session, chosen, &error))
    toast (self, error->message);
}

static void
on_setting_changed (GSettings  *settings,
                    const char *key,
                    MsWindow   *self)
{
  if (g_str_equal (key, "avatar-url")) {
    apply_avatar (self);
  } else if (g_str_equal (key, "display-name")) {
    g_autofree char *name = g_settings_get_string (settings, key);

    /* Typed in the lobby or the preferences: the first page's too. */
    if (*name != '\0' && g_strcmp0 (name, gtk_editable_get_text (GTK_EDITABLE (self->name_row))))
      prefill_name (self, name);
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
  GSettings *settings = ms_media_get_settings ();
  g_autofree char *name = NULL;

  if (self->prefilling)
    return;
  self->name_edited = TRUE;
  /* One name everywhere: typed here, it is the preferences' name too. */
  if (settings != NULL) {
    name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
    g_settings_set_string (settings, "display-name", name);
  }
}

/* The name to be seen with: the preferences' (which the lobby and the
 * first page write), else one typed without settings; %NULL for the
 * invitation's. */
static char *
wanted_name (MsWindow *self)
{
  GSettings *settings = ms_media_get_settings ();
  g_autofree char *name = settings ? g_settings_get_string (settings, "display-name") : NULL;

  if (name == NULL && self->name_edited)
    name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  if (name == NULL || *name == '\0')
    return NULL;

  return g_steal_pointer (&name);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (MsWindow) self = user_data;
  MsSession *session = MS_SESSION (source);
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;

  if (!ms_session_connect_finish (session, result, &error) || session != self->session)
    return;   /* a failure shows through the store's status */

  name = wanted_name (self);
  if (name != NULL && g_strcmp0 (name, self->token_name) != 0 &&
      !ms_session_set_display_name (session, name, &error)) {
    toast (self, error->message);
    g_clear_error (&error);
  }
  g_free (self->token_avatar);
  self->token_avatar = g_strdup (ms_store_get_avatar (ms_session_get_store (session)));
  apply_avatar (self);

  /* No track for a device that is not there: the buttons and a toast
   * say so instead. */
  for (guint i = 0; i < 2; i++) {
    const char *tag = i == 0 ? "microphone" : "camera";
    gboolean want = i == 0 ? self->want_microphone : self->want_camera;

    if (ms_media_has_device (tag))
      set_action_state (self, tag, share (self, tag, want));
    else {
      set_action_state (self, tag, FALSE);
      toast (self, ms_devices_get_missing_text (i == 0 ? MS_DEVICE_MICROPHONE : MS_DEVICE_CAMERA));
    }
  }
  update_device_buttons (self);
}

void
ms_window_join (MsWindow   *self,
                const char *url,
                const char *token)
{
  MsStore *store;

  g_return_if_fail (MS_IS_WINDOW (self));

  end_call (self);
  if (url != self->call_url) {
    g_free (self->call_url);
    self->call_url = g_strdup (url);
  }
  if (token != self->call_token) {
    g_free (self->call_token);
    self->call_token = g_strdup (token);
  }

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
  g_signal_connect (ms_store_get_own_tracks (store), "items-changed", G_CALLBACK (on_own_tracks),
                    self);
  g_signal_connect (self->session, "track-error", G_CALLBACK (on_track_error), self);
  g_clear_pointer (&self->camera_failure, g_free);
  g_clear_pointer (&self->microphone_failure, g_free);
  bind_call (self);
  on_grants (store, NULL, self);
  on_hidden (store, NULL, self);
  set_action_enabled (self, "leave", TRUE);

  adw_status_page_set_description (self->join_page, NULL);
  gtk_stack_set_visible_child_name (self->pages, "call");
  ms_session_connect_async (self->session, url, token, NULL, on_connected, g_object_ref (self));
  on_status (store, NULL, self);
}

/* ---- joining with an invitation code ---- */

typedef struct {
  MsWindow *window;
  char     *url;
} Redeeming;

static void
on_redeemed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Redeeming *redeeming = user_data;
  g_autoptr (MsWindow) self = redeeming->window;
  g_autofree char *url = redeeming->url;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = ms_invite_redeem_finish (result, NULL, NULL, &error);

  g_free (redeeming);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->redeeming);
  if (token == NULL) {
    /* The invitation did not work: back to where links are pasted. */
    adw_status_page_set_description (self->join_page, error->message);
    gtk_stack_set_visible_child_name (self->pages, "join");
    toast (self, error->message);
    return;
  }
  ms_window_join (self, url, token);
}

/**
 * ms_window_join_code:
 * @url: the server's WebSocket URL
 * @code: an invitation code
 * @name: (nullable): the name to join with; %NULL for the one typed in
 *   the name field
 *
 * Redeems @code for a token of our own with @name, then joins the call;
 * a refusal shows on the join page.
 */
void
ms_window_join_code (MsWindow   *self,
                     const char *url,
                     const char *code,
                     const char *name)
{
  Redeeming *redeeming;

  g_return_if_fail (MS_IS_WINDOW (self));

  if (self->redeeming != NULL)
    g_cancellable_cancel (self->redeeming);
  g_clear_object (&self->redeeming);
  self->redeeming = g_cancellable_new ();
  redeeming = g_new0 (Redeeming, 1);
  redeeming->window = g_object_ref (self);
  redeeming->url = g_strdup (url);
  adw_status_page_set_description (self->join_page, _("Joining…"));
  if (name == NULL)
    name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  ms_invite_redeem_async (url, code, name, self->redeeming, on_redeemed, redeeming);
}

gboolean
ms_window_open_invite (MsWindow    *self,
                       const char  *link,
                       GError     **error)
{
  g_autoptr (MsInviteLink) parsed = NULL;
  g_autofree char *token_name = NULL;
  g_autoptr (GUri) uri = NULL;

  g_return_val_if_fail (MS_IS_WINDOW (self), FALSE);

  parsed = ms_invite_link_parse (link, error);
  if (parsed == NULL)
    return FALSE;

  /* The lobby first: the call starts from its "Join Now". */
  end_call (self);
  gtk_editable_set_text (GTK_EDITABLE (self->invite_row), link);
  g_free (self->lobby_url);
  self->lobby_url = g_strdup (parsed->url);
  g_free (self->lobby_token);
  self->lobby_token = g_strdup (parsed->token);
  g_free (self->lobby_code);
  self->lobby_code = g_strdup (parsed->code);
  uri = g_uri_parse (self->lobby_url, G_URI_FLAGS_NONE, NULL);
  token_name = self->lobby_token ? ms_invite_token_name (self->lobby_token) : NULL;
  ms_lobby_set_target (self->lobby, parsed->room, uri ? g_uri_get_host (uri) : NULL, token_name);
  gtk_stack_set_visible_child_name (self->pages, "lobby");
  return TRUE;
}

static void
on_lobby_join (MsWindow *self)
{
  g_autofree char *url = g_strdup (self->lobby_url);
  g_autofree char *token = g_strdup (self->lobby_token);
  g_autofree char *code = g_strdup (self->lobby_code);

  if (url == NULL)
    return;
  /* Without settings to keep it, the lobby's name is carried over here. */
  if (ms_media_get_settings () == NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->name_row), ms_lobby_get_name (self->lobby));
  self->want_camera = ms_lobby_get_camera_on (self->lobby);
  self->want_microphone = ms_lobby_get_microphone_on (self->lobby);
  if (code != NULL)
    /* An invitation code: a token of our own, with the lobby's name. */
    ms_window_join_code (self, url, code, ms_lobby_get_name (self->lobby));
  else
    ms_window_join (self, url, token);
}

static void
on_lobby_cancel (MsWindow *self)
{
  gtk_stack_set_visible_child_name (self->pages, "join");
}

/* Out of the call, whatever the page shows. */
static void
end_call (MsWindow *self)
{
  if (self->redeeming != NULL) {
    g_cancellable_cancel (self->redeeming);
    g_clear_object (&self->redeeming);
  }
  if (self->session != NULL) {
    MsStore *store = ms_session_get_store (self->session);

    g_signal_handlers_disconnect_by_data (store, self);
    g_signal_handlers_disconnect_by_data (ms_store_get_peers (store), self);
    g_signal_handlers_disconnect_by_data (ms_store_get_own_tracks (store), self);
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
  gtk_revealer_set_reveal_child (self->invisible_revealer, FALSE);
  gtk_revealer_set_reveal_child (self->presenting_revealer, FALSE);
  clear_unread (self);
}

/* The page after a call: why it ended, Rejoin when that can work. */
static void
show_ended (MsWindow   *self,
            const char *title,
            const char *description,
            gboolean    can_rejoin)
{
  adw_status_page_set_title (self->ended_page, title);
  adw_status_page_set_description (self->ended_page, description);
  gtk_widget_set_visible (self->rejoin_button, can_rejoin);
  set_action_enabled (self, "rejoin", can_rejoin);
  gtk_stack_set_visible_child_name (self->pages, "ended");
}

/**
 * ms_window_leave:
 *
 * Leaves the call (a hosted call ends, for everyone) and shows the page
 * that says so, with Rejoin for a call someone else hosts.
 */
void
ms_window_leave (MsWindow *self)
{
  gboolean hosted;

  g_return_if_fail (MS_IS_WINDOW (self));

  if (self->session == NULL && self->host == NULL)
    return;
  hosted = self->host != NULL;
  end_call (self);
  if (hosted)
    show_ended (self, _("You Ended the Call"), _("The call you hosted is over for everyone."),
                FALSE);
  else
    show_ended (self, _("You Left the Call"), _("The others are still in it: you can rejoin."),
                self->call_token != NULL);
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
show_invite (MsWindow *self)
{
  if (self->host != NULL && ms_host_get_invite (self->host) != NULL)
    gtk_window_present (GTK_WINDOW (ms_invite_dialog_new (GTK_WINDOW (self), self->host)));
}

static void
on_host_restarted (MsHost   *host,
                   MsWindow *self)
{
  toast (self, _("The call server stopped and was started again: everyone is back"));
}

/* Our own server died and would not come back: the call is over, and
 * both sides say so (the guests see their connection fail). */
static void
on_host_failed (MsHost   *host,
                GError   *error,
                MsWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("The call server on this computer stopped and could "
                                             "not be started again (%s)."),
                                           error ? error->message : "");

  end_call (self);
  show_ended (self, _("The Call Ended"), text, FALSE);
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
  g_signal_connect_object (self->host, "server-restarted", G_CALLBACK (on_host_restarted), self, 0);
  g_signal_connect_object (self->host, "server-failed", G_CALLBACK (on_host_failed), self, 0);
  /* For whoever started us from a terminal, too (on stderr: stdout may
   * be a test's protocol). */
  g_printerr (_("Others join this call with the link %s\n"), ms_host_get_invite (self->host));
  set_action_enabled (self, "show-invite", TRUE);
}

void
ms_window_host (MsWindow *self,
                gboolean  demo_bot)
{
  g_autoptr (GVariant) on_network = NULL;

  g_return_if_fail (MS_IS_WINDOW (self));

  end_call (self);
  g_clear_pointer (&self->call_url, g_free);
  g_clear_pointer (&self->call_token, g_free);
  /* Straight into the call, not through the lobby: with what there is. */
  self->want_camera = self->want_microphone = TRUE;
  on_network = g_action_group_get_action_state (G_ACTION_GROUP (self), "host-on-network");
  self->host = ms_host_new (g_variant_get_boolean (on_network));
  ms_host_start_async (self->host, gtk_editable_get_text (GTK_EDITABLE (self->name_row)), demo_bot,
                       NULL, on_hosting, g_object_ref (self));
}

/* ---- actions ---- */

/* Microphone and camera buttons follow their actions' state. */
static void
on_device_state (GObject    *action,
                 GParamSpec *pspec,
                 MsWindow   *self)
{
  update_device_buttons (self);
}

/* The host could not switch (it was restarting): the switch says how it
 * listens. */
static void
on_network_set (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (MsWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  GVariant *state;

  if (ms_host_set_on_network_finish (MS_HOST (source), result, &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  toast (self, error->message);
  state = g_variant_new_boolean (ms_host_get_on_network (MS_HOST (source)));
  g_simple_action_set_state (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self),
                                                                          "host-on-network")),
                             state);
  if (ms_media_get_settings () != NULL)
    g_settings_set_value (ms_media_get_settings (), "host-on-network", state);
}

/* The switch on the first page, kept in the settings when there are any
 * (a GSettings action of its own would outlive the window). */
static void
change_on_network_state (GSimpleAction *action,
                         GVariant      *state,
                         gpointer       user_data)
{
  MsWindow *self = user_data;

  g_simple_action_set_state (action, state);
  /* Hosting: the server restarts on the same port, the call goes on. */
  if (self->host != NULL)
    ms_host_set_on_network (self->host, g_variant_get_boolean (state), NULL, on_network_set,
                            g_object_ref (self));
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

static gboolean
close_later (gpointer user_data)
{
  gtk_window_close (GTK_WINDOW (user_data));
  return G_SOURCE_REMOVE;
}

static void
on_end_answer (AdwMessageDialog *dialog,
               const char       *response,
               MsWindow         *self)
{
  gboolean closing = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "ms-closing"));

  if (!g_str_equal (response, "end"))
    return;
  if (closing) {
    /* Once the dialog, which is transient for us, is gone. */
    self->close_confirmed = TRUE;
    g_idle_add_full (G_PRIORITY_DEFAULT, close_later, g_object_ref (self), g_object_unref);
  } else {
    ms_window_leave (self);
  }
}

/* Before a call ends by our hand: a host ends it for everyone, and
 * closing the window takes a guest out of it. */
static void
confirm_end (MsWindow *self,
             gboolean  closing)
{
  gboolean hosting = self->host != NULL;
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self),
                                   hosting ? _("End the Call for Everyone?") : _("Leave the Call?"),
                                   hosting ? _("You are hosting this call on this computer: when "
                                               "you leave, it ends for everyone in it.")
                                           : _("Closing this window takes you out of the call."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Stay in the Call"),
                                    "end", hosting ? _("_End Call") : _("_Leave"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "end",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "ms-closing", GINT_TO_POINTER (closing));
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_end_answer), self, 0);
  ask (self, dialog);
}

static gboolean
in_call (MsWindow *self)
{
  return self->session != NULL || self->host != NULL;
}

static void
leave_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  MsWindow *self = user_data;

  /* A guest's Leave button means it; a host's ends the call for all. */
  if (self->host != NULL)
    confirm_end (self, FALSE);
  else
    ms_window_leave (self);
}

static void
rejoin_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  MsWindow *self = user_data;
  g_autofree char *url = g_strdup (self->call_url);
  g_autofree char *token = g_strdup (self->call_token);

  if (url != NULL && token != NULL)
    ms_window_join (self, url, token);
}

static void
home_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  MsWindow *self = user_data;

  gtk_stack_set_visible_child_name (self->pages, "join");
}

static void
become_visible_activated (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  g_action_group_change_action_state (G_ACTION_GROUP (user_data), "invisible",
                                      g_variant_new_boolean (FALSE));
}

static void
stop_presenting_activated (GSimpleAction *action,
                           GVariant      *parameter,
                           gpointer       user_data)
{
  g_action_group_change_action_state (G_ACTION_GROUP (user_data), "screen",
                                      g_variant_new_boolean (FALSE));
}

static void
close_side_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  MsWindow *self = user_data;

  gtk_toggle_button_set_active (self->chat_toggle, FALSE);
  gtk_toggle_button_set_active (self->people_toggle, FALSE);
}

/* Escape closes the side panel, and only when it is open. */
static gboolean
on_escape (GtkWidget *widget,
           GVariant  *args,
           gpointer   user_data)
{
  MsWindow *self = MS_WINDOW (widget);

  if (!adw_flap_get_reveal_flap (self->flap))
    return FALSE;
  close_side_activated (NULL, NULL, self);
  return TRUE;
}

static gboolean
ms_window_close_request (GtkWindow *window)
{
  MsWindow *self = MS_WINDOW (window);

  if (in_call (self) && !self->close_confirmed) {
    confirm_end (self, TRUE);
    return TRUE;
  }

  return GTK_WINDOW_CLASS (ms_window_parent_class)->close_request (window);
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
  if (button == self->chat_toggle && gtk_toggle_button_get_active (button)) {
    clear_unread (self);
    gtk_widget_grab_focus (ms_chat_get_input (self->chat));
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
  { "rejoin", rejoin_activated },
  { "home", home_activated },
  { "become-visible", become_visible_activated },
  { "stop-presenting", stop_presenting_activated },
  { "close-side", close_side_activated },
  { "pin", NULL, "s", "''", change_pin_state },
  { "fullscreen", fullscreen_activated, NULL, "false" },
};

static void
ms_window_dispose (GObject *object)
{
  MsWindow *self = MS_WINDOW (object);

  end_call (self);

  G_OBJECT_CLASS (ms_window_parent_class)->dispose (object);
}

static void
ms_window_finalize (GObject *object)
{
  MsWindow *self = MS_WINDOW (object);

  if (self->question != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->question), (gpointer *) &self->question);
  g_free (self->token_name);
  g_free (self->token_avatar);
  g_free (self->call_url);
  g_free (self->call_token);
  g_free (self->lobby_url);
  g_free (self->lobby_token);
  g_free (self->lobby_code);
  g_free (self->camera_failure);
  g_free (self->microphone_failure);

  G_OBJECT_CLASS (ms_window_parent_class)->finalize (object);
}

static void
ms_window_class_init (MsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_window_dispose;
  object_class->finalize = ms_window_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = ms_window_close_request;

  ms_application_register_resources ();
  g_type_ensure (MS_TYPE_CHAT);
  g_type_ensure (MS_TYPE_LOBBY);
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
  gtk_widget_class_bind_template_child (widget_class, MsWindow, people_count);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, invisible_group);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, unread_badge);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, invisible_revealer);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, presenting_revealer);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, mic_button);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, camera_button);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, ended_page);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, rejoin_button);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, on_escape, NULL);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, lobby);
  gtk_widget_class_bind_template_callback (widget_class, on_join_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_side_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_lobby_join);
  gtk_widget_class_bind_template_callback (widget_class, on_lobby_cancel);
}

static void
ms_window_init (MsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), actions, G_N_ELEMENTS (actions), self);
  g_signal_connect_object (g_action_map_lookup_action (G_ACTION_MAP (self), "microphone"),
                           "notify::state", G_CALLBACK (on_device_state), self, 0);
  g_signal_connect_object (g_action_map_lookup_action (G_ACTION_MAP (self), "camera"),
                           "notify::state", G_CALLBACK (on_device_state), self, 0);
  on_device_state (NULL, NULL, self);
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
  g_signal_connect_object (ms_devices_get_list (ms_devices_get_default (), MS_DEVICE_CAMERA),
                           "items-changed", G_CALLBACK (on_devices_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (ms_devices_get_list (ms_devices_get_default (), MS_DEVICE_MICROPHONE),
                           "items-changed", G_CALLBACK (on_devices_changed), self,
                           G_CONNECT_SWAPPED);
  update_device_buttons (self);
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

/**
 * ms_window_get_lobby:
 *
 * Returns: (transfer none): the lobby an invitation link leads to
 */
MsLobby *
ms_window_get_lobby (MsWindow *self)
{
  g_return_val_if_fail (MS_IS_WINDOW (self), NULL);

  return self->lobby;
}

/**
 * ms_window_get_control:
 * @name: "microphone" or "camera"
 *
 * Returns: (transfer none): that button of the control bar
 */
GtkWidget *
ms_window_get_control (MsWindow   *self,
                       const char *name)
{
  g_return_val_if_fail (MS_IS_WINDOW (self), NULL);

  return g_str_equal (name, "camera") ? self->camera_button : self->mic_button;
}

const char *
ms_window_get_invite (MsWindow *self)
{
  g_return_val_if_fail (MS_IS_WINDOW (self), NULL);

  return self->host ? ms_host_get_invite (self->host) : NULL;
}

/**
 * ms_window_get_question:
 *
 * Returns: (transfer none) (nullable): the dialog this window is asking
 *   the user something with ("End the call?", "Share the whole screen?")
 */
AdwMessageDialog *
ms_window_get_question (MsWindow *self)
{
  g_return_val_if_fail (MS_IS_WINDOW (self), NULL);

  return self->question ? ADW_MESSAGE_DIALOG (self->question) : NULL;
}

/**
 * ms_window_get_banner:
 * @name: "invisible" or "presenting"
 *
 * Returns: whether that banner is shown
 */
gboolean
ms_window_get_banner (MsWindow   *self,
                      const char *name)
{
  g_return_val_if_fail (MS_IS_WINDOW (self), FALSE);

  if (g_strcmp0 (name, "invisible") == 0)
    return gtk_revealer_get_reveal_child (self->invisible_revealer);
  if (g_strcmp0 (name, "presenting") == 0)
    return gtk_revealer_get_reveal_child (self->presenting_revealer);
  g_return_val_if_reached (FALSE);
}

/**
 * ms_window_get_part:
 * @name: the id of a part of the window's template ("mic_button",
 *   "people_list", "unread_badge", "ended_page", …)
 *
 * For the tests, which look at the window as a user would.
 *
 * Returns: (transfer none) (nullable): that widget
 */
GtkWidget *
ms_window_get_part (MsWindow   *self,
                    const char *name)
{
  g_return_val_if_fail (MS_IS_WINDOW (self), NULL);

  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (self), MS_TYPE_WINDOW, name));
}

/* The call hosted here, if any: its signals say when its server restarted
 * or could not be. */
MsHost *
ms_window_get_host (MsWindow *self)
{
  g_return_val_if_fail (MS_IS_WINDOW (self), NULL);

  return self->host;
}
