/* test-app-chrome.c: the app's own resources, controls and manners
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs under Xvfb with a real MsApplication started the way main() starts
 * it: style.css and the shortcuts window come from the GResource at
 * startup, every icon the app names exists. Then a real call against the
 * real server with an observing libmediastore session of the test's own:
 * the participants list, the microphone button's off state, the chat's
 * unread badge, focus and Escape, invisible mode's switch and banner,
 * the question before the whole screen is sent and the presenting bar,
 * the name changed in the settings mid-call, the questions before a call
 * ends, the "You left" page with Rejoin, and Ctrl+Q closing only its own
 * window.
 */

#include "config.h"

#include <json-glib/json-glib.h>

#include "ms-application.h"
#include "ms-app-media.h"
#include "ms-chat.h"
#include "ms-person-row.h"
#include "ms-preferences.h"
#include "ms-window.h"
#include "test-session-utils.h"
#include "test-app-utils.h"
#include "test-ui-utils.h"

#define ROOM "chrome"
#define GRANTS_APP "{\"send_tracks\":[\"camera\",\"microphone\",\"screen\"]," \
                   "\"send_messages\":[\"chat\"],\"can_hide\":true}"
#define GRANTS_AV "{\"send_tracks\":[\"camera\",\"microphone\"],\"send_messages\":[\"chat\"]}"

static MsApplication *app;

static MsWindow *
new_window (void)
{
  MsWindow *window = ms_window_new (GTK_APPLICATION (app));

  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 720);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)));

  return window;
}

/* A picture of the window once it has drawn itself again. */
static void
screenshot (MsWindow   *window,
            const char *name)
{
  g_autoptr (GdkTexture) texture = NULL;

  WAIT_UNTIL ((texture = test_render (GTK_WIDGET (window))) != NULL);
  test_screenshot (GTK_WIDGET (window), name);
}

static gboolean
has_class (MsWindow   *window,
           const char *part,
           const char *css_class)
{
  return gtk_widget_has_css_class (ms_window_get_part (window, part), css_class);
}

/* ---- startup ---- */

static void
test_startup (void)
{
  MsWindow *window = new_window ();
  GtkWidget *mic = ms_window_get_part (window, "mic_button");
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gtk_widget_get_display (mic));
  GtkShortcutsWindow *overlay = NULL;
  const char *icons[] = {
    "chat-symbolic", "paper-plane-symbolic", "audio-input-microphone-symbolic",
    "microphone-disabled-symbolic", "camera-web-symbolic", "camera-disabled-symbolic",
    "screen-shared-symbolic", "view-conceal-symbolic", "call-stop-symbolic",
    "contact-new-symbolic", "system-users-symbolic", "open-menu-symbolic",
  };
  int minimum = 0;

  /* style.css: the call buttons are 48 pixels round. */
  gtk_widget_measure (mic, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, ==, 48);
  gtk_widget_measure (mic, GTK_ORIENTATION_VERTICAL, -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, ==, 48);

  for (guint i = 0; i < G_N_ELEMENTS (icons); i++) {
    g_test_message ("icon %s", icons[i]);
    g_assert_true (gtk_icon_theme_has_icon (theme, icons[i]));
  }

  /* The shortcuts window opens from the menu's action. */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window),
                                                    "show-help-overlay"));
  {
    g_auto (GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app),
                                                                    "win.show-help-overlay");

    g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>question"));
  }
  overlay = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window));
  g_assert_nonnull (overlay);
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-help-overlay", NULL);
  WAIT_UNTIL (gtk_widget_get_visible (GTK_WIDGET (overlay)));
  gtk_window_close (GTK_WINDOW (overlay));

  /* Not in a call: closing asks nothing, the window goes. */
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_close (GTK_WINDOW (window));
  g_assert_null (window);
}

/* ---- in a call ---- */

static void
send_chat (MsSession  *session,
           const char *text)
{
  g_autoptr (JsonNode) body = json_from_string ("{\"text\":\"\"}", NULL);
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (json_node_get_object (body), "text", text);
  g_assert_true (ms_session_send_message (session, "chat", body, NULL, &error));
  g_assert_no_error (error);
}

static MsPersonRow *
person (MsWindow *window,
        guint     index)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (ms_window_get_part (window,
                                                                                  "people_list")),
                                                      index);

  return row ? MS_PERSON_ROW (gtk_list_box_row_get_child (row)) : NULL;
}

/* The entry row titled @title somewhere under @widget. */
static GtkWidget *
find_row (GtkWidget  *widget,
          const char *title)
{
  if (ADW_IS_ENTRY_ROW (widget) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *found = find_row (child, title);

    if (found != NULL)
      return found;
  }

  return NULL;
}

/* What Escape does in the window, through its own key binding. */
static void
press_escape (MsWindow *window)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));
  gboolean pressed = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !pressed; i++) {
    g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

    if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
      continue;
    for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)) && !pressed; j++) {
      g_autoptr (GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
      g_autoptr (GtkShortcutTrigger) escape = gtk_keyval_trigger_new (GDK_KEY_Escape, 0);

      if (gtk_shortcut_trigger_equal (gtk_shortcut_get_trigger (shortcut), escape)) {
        pressed = gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0,
                                                GTK_WIDGET (window),
                                                gtk_shortcut_get_arguments (shortcut));
      }
    }
  }
  g_assert_true (pressed);
}

static void
test_call (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (MsSession) observer = test_session_join (server, ROOM, "observer", GRANTS_AV);
  g_autoptr (MsLocalTrack) voice = ms_local_track_new (MS_LOCAL_TRACK_TEST_AUDIO, NULL);
  g_autofree char *token = test_token (ROOM, "app-user", GRANTS_APP);
  g_autoptr (GError) error = NULL;
  MsStore *observed = ms_session_get_store (observer);
  GtkToggleButton *chat_toggle;
  GtkWidget *badge;
  MsWindow *window = new_window ();
  MsWindow *second;
  MsStore *ours;
  const char *app_id;

  g_assert_true (ms_session_send_track (observer, voice, "microphone", FALSE, &error));
  g_assert_no_error (error);

  ms_window_join (window, test_server_get_url (server), token);
  WAIT_UNTIL (test_app_connected (window));
  ours = ms_session_get_store (ms_window_get_session (window));
  app_id = ms_store_get_peer_id (ours);
  WAIT_UNTIL (ms_store_lookup_peer (observed, app_id) != NULL);
  WAIT_UNTIL (ms_store_lookup_peer (ours, ms_store_get_peer_id (observed)) != NULL);

  /* Participants: us first, then the observer; the count; their
   * microphone follows their pause. */
  WAIT_UNTIL (person (window, 1) != NULL);
  g_assert_cmpstr (ms_person_row_get_name (person (window, 0)), ==, "app-user (You)");
  g_assert_cmpstr (ms_person_row_get_name (person (window, 1)), ==, "observer");
  g_assert_null (person (window, 2));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (ms_window_get_part (window, "people_count"))),
                   ==, "2 People in the Call");
  WAIT_UNTIL (ms_person_row_get_mic_on (person (window, 1)));
  g_assert_false (ms_person_row_get_camera_on (person (window, 1)));
  g_assert_true (ms_session_pause_track (observer, "microphone", &error));
  WAIT_UNTIL (!ms_person_row_get_mic_on (person (window, 1)));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (ms_window_get_part (window, "people_toggle")),
                                TRUE);
  WAIT_UNTIL (adw_flap_get_reveal_progress (ADW_FLAP (ms_window_get_part (window, "flap"))) >= 1.0);
  screenshot (window, "app-people.png");
  press_escape (window);

  /* The microphone button off: the disabled icon, the destructive look. */
  g_assert_false (has_class (window, "mic_button", "device-off"));
  g_action_group_change_action_state (G_ACTION_GROUP (window), "microphone",
                                      g_variant_new_boolean (FALSE));
  g_assert_true (has_class (window, "mic_button", "device-off"));
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (ms_window_get_part (window,
                                                                             "mic_button"))),
                   ==, "microphone-disabled-symbolic");
  WAIT_UNTIL (!ms_person_row_get_mic_on (person (window, 0)));
  g_action_group_change_action_state (G_ACTION_GROUP (window), "microphone",
                                      g_variant_new_boolean (TRUE));
  g_assert_false (has_class (window, "mic_button", "device-off"));

  /* Chat: an unread count while the panel is closed; opening it clears
   * the count and puts the cursor in the input; Escape closes it. */
  chat_toggle = GTK_TOGGLE_BUTTON (ms_window_get_part (window, "chat_toggle"));
  badge = ms_window_get_part (window, "unread_badge");
  g_assert_false (gtk_widget_get_visible (badge));
  send_chat (observer, "one");
  send_chat (observer, "two");
  WAIT_UNTIL (g_strcmp0 (gtk_label_get_label (GTK_LABEL (badge)), "2") == 0);
  g_assert_true (gtk_widget_get_visible (badge));
  gtk_toggle_button_set_active (chat_toggle, TRUE);
  g_assert_false (gtk_widget_get_visible (badge));
  g_assert_true (gtk_widget_is_focus (ms_chat_get_input (ms_window_get_chat (window))) ||
                 gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (window)),
                                         ms_chat_get_input (ms_window_get_chat (window))));
  press_escape (window);
  g_assert_false (gtk_toggle_button_get_active (chat_toggle));

  /* Invisible mode: a labelled switch, and a banner while it is on. */
  g_assert_true (gtk_widget_get_visible (ms_window_get_part (window, "invisible_group")));
  g_assert_false (ms_window_get_banner (window, "invisible"));
  g_action_group_change_action_state (G_ACTION_GROUP (window), "invisible",
                                      g_variant_new_boolean (TRUE));
  WAIT_UNTIL (ms_store_get_hidden (ours) && ms_store_lookup_peer (observed, app_id) == NULL);
  g_assert_true (ms_window_get_banner (window, "invisible"));
  g_action_group_activate_action (G_ACTION_GROUP (window), "become-visible", NULL);
  WAIT_UNTIL (!ms_store_get_hidden (ours) && ms_store_lookup_peer (observed, app_id) != NULL);
  g_assert_false (ms_window_get_banner (window, "invisible"));
  app_id = ms_store_get_peer_id (ours);

  /* The whole screen only with a yes: "Cancel" sends nothing. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "screen",
                                      g_variant_new_boolean (TRUE));
  WAIT_UNTIL (ms_window_get_question (window) != NULL);
  adw_message_dialog_response (ms_window_get_question (window), "cancel");
  {
    g_autoptr (GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                                  "screen");

    g_assert_false (g_variant_get_boolean (state));
  }
  g_assert_null (ms_store_lookup_own_track (ours, "screen"));
  g_assert_false (ms_window_get_banner (window, "presenting"));
  /* A yes: presenting, with the bar; Stop Presenting closes the track. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "screen",
                                      g_variant_new_boolean (TRUE));
  WAIT_UNTIL (ms_window_get_question (window) != NULL);
  adw_message_dialog_response (ms_window_get_question (window), "share");
  WAIT_UNTIL (ms_window_get_banner (window, "presenting") &&
              ms_peer_lookup_track (ms_store_lookup_peer (observed, app_id), "screen") != NULL);
  WAIT_UNTIL (gtk_revealer_get_child_revealed (GTK_REVEALER (ms_window_get_part (window,
                                                                               "presenting_revealer"))));
  screenshot (window, "app-presenting.png");
  g_action_group_activate_action (G_ACTION_GROUP (window), "stop-presenting", NULL);
  WAIT_UNTIL (!ms_window_get_banner (window, "presenting") &&
              ms_peer_lookup_track (ms_store_lookup_peer (observed, app_id), "screen") == NULL);

  /* The name applied in the preferences reaches the others mid-call. */
  {
    GtkWidget *preferences = ms_preferences_new ();
    GtkWidget *row = find_row (preferences, "Name Others See");

    gtk_window_set_transient_for (GTK_WINDOW (preferences), GTK_WINDOW (window));
    gtk_window_present (GTK_WINDOW (preferences));
    g_assert_nonnull (row);
    gtk_editable_set_text (GTK_EDITABLE (row), "Renamed Person");
    /* Typed, not applied: nothing is sent yet. */
    g_assert_cmpstr (ms_store_get_display_name (ours), ==, "app-user");
    g_signal_emit_by_name (row, "apply");
    gtk_window_destroy (GTK_WINDOW (preferences));
  }
  WAIT_UNTIL (g_strcmp0 (ms_peer_get_display_name (ms_store_lookup_peer (observed, app_id)),
                         "Renamed Person") == 0);
  g_assert_cmpstr (ms_person_row_get_name (person (window, 0)), ==, "Renamed Person (You)");
  g_settings_reset (ms_media_get_settings (), "display-name");

  /* Closing the window asks first; staying keeps the call. */
  gtk_window_close (GTK_WINDOW (window));
  WAIT_UNTIL (ms_window_get_question (window) != NULL);
  g_assert_cmpstr (adw_message_dialog_get_heading (ms_window_get_question (window)), ==,
                   "Leave the Call?");
  adw_message_dialog_response (ms_window_get_question (window), "cancel");
  g_assert_true (test_app_connected (window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));

  /* Leave: the "You left" page; Rejoin brings us back. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "leave", NULL);
  g_assert_cmpstr (ms_window_get_page (window), ==, "ended");
  g_assert_true (gtk_widget_get_visible (ms_window_get_part (window, "rejoin_button")));
  WAIT_UNTIL (ms_store_lookup_peer (observed, app_id) == NULL);
  g_action_group_activate_action (G_ACTION_GROUP (window), "rejoin", NULL);
  g_assert_cmpstr (ms_window_get_page (window), ==, "call");
  WAIT_UNTIL (test_app_connected (window));
  WAIT_UNTIL (g_list_model_get_n_items (ms_store_get_peers (observed)) == 1);

  /* Ctrl+Q in a second window in the same call asks there, closes only
   * that window, and the first stays in its call. */
  second = new_window ();
  {
    g_autofree char *token2 = test_token (ROOM, "second-user", GRANTS_AV);

    ms_window_join (second, test_server_get_url (server), token2);
  }
  WAIT_UNTIL (test_app_connected (second));
  g_assert_true (gtk_application_get_active_window (GTK_APPLICATION (app)) ==
                 GTK_WINDOW (second));
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  WAIT_UNTIL (ms_window_get_question (second) != NULL);
  g_assert_null (ms_window_get_question (window));
  g_object_add_weak_pointer (G_OBJECT (second), (gpointer *) &second);
  adw_message_dialog_response (ms_window_get_question (second), "end");
  WAIT_UNTIL (second == NULL);
  g_assert_true (test_app_connected (window));
  WAIT_UNTIL (g_list_model_get_n_items (ms_store_get_peers (observed)) == 1);

  gtk_window_destroy (GTK_WINDOW (window));
  ms_session_close_call (observer);
  test_server_stop (server);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;

  if (!test_app_init (&argc, &argv, TRUE, "/app-chrome"))
    return g_test_run ();

  /* Started as main() starts it: startup loads what the app ships. */
  app = ms_application_new ();
  g_application_set_flags (G_APPLICATION (app),
                           g_application_get_flags (G_APPLICATION (app)) |
                           G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_hold (G_APPLICATION (app));

  g_test_add_func ("/app-chrome/startup", test_startup);
  g_test_add_func ("/app-chrome/call", test_call);

  return g_test_run ();
}
