/* test-app.c: the desktop app in a real call, on screen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs under Xvfb. The app's window joins the real server with a
 * mediastore-bot process and a libmediastore session of the test's own
 * (the observer), all sending test patterns: three tiles with video. The
 * observer and the bot's final statistics prove that invisible mode takes
 * the app out of their view; chat goes both ways; a user without the chat
 * grant gets a disabled input. Screenshots go to the build directory.
 */

#include "config.h"

#include <signal.h>

#include <json-glib/json-glib.h>

#include "ms-chat.h"
#include "ms-invite.h"
#include "ms-app-media.h"
#include "ms-tile.h"
#include "ms-window.h"
#include "test-session-utils.h"
#include "test-ui-utils.h"

#define ROOM "app"
#define GRANTS_APP "{\"send_tracks\":[\"camera\",\"microphone\",\"screen\"]," \
                   "\"send_messages\":[\"chat\"],\"can_hide\":true}"
#define GRANTS_AV "{\"send_tracks\":[\"camera\",\"microphone\"],\"send_messages\":[\"chat\"]}"

static GPtrArray *
tiles (MsWindow *window)
{
  GPtrArray *found = g_ptr_array_new ();
  GtkWidget *grid = ms_window_get_grid (window);

  for (GtkWidget *child = gtk_widget_get_first_child (grid); child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *tile = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (child));

    if (MS_IS_TILE (tile))
      g_ptr_array_add (found, tile);
  }

  return found;
}

static guint
tiles_with_video (MsWindow *window)
{
  g_autoptr (GPtrArray) all = tiles (window);
  guint n = 0;

  for (guint i = 0; i < all->len; i++)
    n += ms_tile_get_showing_video (g_ptr_array_index (all, i));

  return n;
}

static gboolean
connected (MsWindow *window)
{
  MsSession *session = ms_window_get_session (window);

  return session != NULL &&
         ms_store_get_connect_status (ms_session_get_store (session)) ==
         MS_CONNECT_STATUS_CONNECTED;
}

static GSubprocess *
bot_start (TestServer *server)
{
  g_autoptr (GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *token = test_token (ROOM, "bot", GRANTS_AV);
  g_autoptr (GError) error = NULL;
  GSubprocess *bot;

  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "gc-friendly", TRUE);
  bot = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("MEDIASTORE_BOT"),
                                     "--url", test_server_get_url (server), "--token", token,
                                     "--publish", "camera=test-video,microphone=test-audio",
                                     "--subscribe", "--stats", "--stay", "--duration=120", NULL);
  g_assert_no_error (error);

  return bot;
}

/* Stops the bot and returns the peers it saw at that moment. */
static GStrv
bot_stop (GSubprocess *bot)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GStrvBuilder) peers = g_strv_builder_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  JsonArray *list;

  g_subprocess_send_signal (bot, SIGTERM);
  g_subprocess_communicate_utf8 (bot, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (bot), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  list = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                       "peers");
  for (guint i = 0; i < json_array_get_length (list); i++)
    g_strv_builder_add (peers, json_array_get_string_element (list, i));

  return g_strv_builder_end (peers);
}

static guint
n_lines_with (MsChat     *chat,
              const char *text)
{
  GListModel *lines = ms_chat_get_lines (chat);
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (lines); i++) {
    g_autoptr (MsChatLine) line = g_list_model_get_item (lines, i);

    n += g_strcmp0 (ms_chat_line_get_text (line), text) == 0;
  }

  return n;
}

static void
on_observer_message (MsSession  *session,
                     const char *msg_type,
                     JsonNode   *body,
                     const char *from,
                     char      **received)
{
  g_free (*received);
  *received = g_strdup (json_object_get_string_member (json_node_get_object (body), "text"));
}

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

static void
test_call (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (GSubprocess) bot = bot_start (server);
  g_autoptr (MsSession) observer = test_session_join (server, ROOM, "observer", GRANTS_AV);
  g_autoptr (MsLocalTrack) camera = ms_local_track_new (MS_LOCAL_TRACK_TEST_VIDEO, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *token = test_token (ROOM, "app-user", GRANTS_APP);
  g_autofree char *received = NULL;
  g_auto (GStrv) bot_peers = NULL;
  MsStore *observed = ms_session_get_store (observer);
  MsWindow *window = ms_window_new (NULL);
  const char *app_id;

  g_signal_connect (observer, "message", G_CALLBACK (on_observer_message), &received);
  g_assert_true (ms_session_send_track (observer, camera, "camera", FALSE, &error));
  g_assert_no_error (error);

  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 720);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpstr (ms_window_get_page (window), ==, "join");
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)) &&
              gtk_widget_get_width (GTK_WIDGET (window)) > 0);
  test_screenshot (GTK_WIDGET (window), "app-join.png");

  ms_window_join (window, test_server_get_url (server), token);
  g_assert_cmpstr (ms_window_get_page (window), ==, "call");
  WAIT_UNTIL (connected (window));
  app_id = ms_store_get_peer_id (ms_session_get_store (ms_window_get_session (window)));

  /* Three tiles, every one with video: ours, the bot's, the observer's. */
  WAIT_UNTIL (tiles_with_video (window) == 3);
  {
    g_autoptr (GPtrArray) all = tiles (window);

    g_assert_cmpuint (all->len, ==, 3);
    for (guint i = 0; i < all->len; i++)
      WAIT_UNTIL (test_shows_bars (g_ptr_array_index (all, i)));
    /* Our tile is first, with our name. */
    g_assert_null (ms_tile_get_peer (g_ptr_array_index (all, 0)));
    g_assert_cmpstr (ms_tile_get_name (g_ptr_array_index (all, 0)), ==, "app-user");
  }
  WAIT_UNTIL (ms_store_lookup_peer (observed, app_id) != NULL);
  test_screenshot (GTK_WIDGET (window), "app-call.png");

  /* Chat both ways. */
  send_chat (observer, "hello from the observer");
  WAIT_UNTIL (n_lines_with (ms_window_get_chat (window), "hello from the observer") == 1);
  g_assert_true (ms_chat_send (ms_window_get_chat (window), "hello from the app"));
  WAIT_UNTIL (g_strcmp0 (received, "hello from the app") == 0);
  g_assert_true (gtk_widget_get_sensitive (ms_chat_get_input (ms_window_get_chat (window))));

  /* Invisible: gone from the others' view, then back. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "invisible",
                                      g_variant_new_boolean (TRUE));
  WAIT_UNTIL (ms_store_lookup_peer (observed, app_id) == NULL);
  g_assert_true (ms_store_get_hidden (ms_session_get_store (ms_window_get_session (window))));
  bot_peers = bot_stop (bot);
  g_assert_false (g_strv_contains ((const char * const *) bot_peers, app_id));
  g_assert_true (g_strv_contains ((const char * const *) bot_peers,
                                  ms_store_get_peer_id (observed)));
  g_action_group_change_action_state (G_ACTION_GROUP (window), "invisible",
                                      g_variant_new_boolean (FALSE));
  WAIT_UNTIL (ms_store_lookup_peer (observed, app_id) != NULL);

  /* Microphone off: the others see it paused. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "microphone",
                                      g_variant_new_boolean (FALSE));
  WAIT_UNTIL (ms_peer_lookup_track (ms_store_lookup_peer (observed, app_id), "microphone") &&
              ms_track_info_get_paused (ms_peer_lookup_track (ms_store_lookup_peer (observed,
                                                                                     app_id),
                                                              "microphone")));

  /* Sharing the screen (a test pattern here, no portal under Xvfb): the
   * others get a "screen" track; stopping closes it. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "screen",
                                      g_variant_new_boolean (TRUE));
  WAIT_UNTIL (test_remote_frames (observer, app_id, "screen") > 5);
  g_action_group_change_action_state (G_ACTION_GROUP (window), "screen",
                                      g_variant_new_boolean (FALSE));
  WAIT_UNTIL (ms_peer_lookup_track (ms_store_lookup_peer (observed, app_id), "screen") == NULL);

  /* Another camera chosen in the preferences replaces the running track:
   * a new stream reaches the others. */
  {
    MsRemoteTrack *old_camera = ms_session_lookup_remote_track (observer, app_id, "camera");

    g_assert_nonnull (old_camera);
    g_settings_set_string (ms_media_get_settings (), "camera-device", "A camera plugged in later");
    WAIT_UNTIL (ms_session_lookup_remote_track (observer, app_id, "camera") != NULL &&
                ms_session_lookup_remote_track (observer, app_id, "camera") != old_camera &&
                test_remote_frames (observer, app_id, "camera") > 5);
    g_settings_reset (ms_media_get_settings (), "camera-device");
  }

  /* The video quality chosen in the preferences is the size the others
   * decode (the tests run at "low"; "medium" is 640x360). */
  {
    MsRemoteTrack *old_camera = ms_session_lookup_remote_track (observer, app_id, "camera");
    int width = 0;
    int height = 0;

    g_settings_set_string (ms_media_get_settings (), "video-quality", "medium");
    WAIT_UNTIL (ms_session_lookup_remote_track (observer, app_id, "camera") != NULL &&
                ms_session_lookup_remote_track (observer, app_id, "camera") != old_camera &&
                test_remote_frames (observer, app_id, "camera") > 0);
    test_remote_video_size (observer, app_id, "camera", &width, &height);
    g_assert_cmpint (width, ==, 640);
    g_assert_cmpint (height, ==, 360);
    g_settings_set_string (ms_media_get_settings (), "video-quality", "low");
  }

  /* Leaving: back to the join page, and gone for the others. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "leave", NULL);
  g_assert_cmpstr (ms_window_get_page (window), ==, "join");
  g_assert_null (ms_window_get_session (window));
  WAIT_UNTIL (ms_store_lookup_peer (observed, app_id) == NULL);

  gtk_window_destroy (GTK_WINDOW (window));
  ms_session_close_call (observer);
  test_server_stop (server);
}

static void
test_no_chat_grant (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autofree char *token = test_token (ROOM, "listener", "{\"send_tracks\":[\"camera\"]}");
  MsWindow *window = ms_window_new (NULL);
  GtkWidget *input;

  gtk_window_present (GTK_WINDOW (window));
  ms_window_join (window, test_server_get_url (server), token);
  WAIT_UNTIL (connected (window));

  input = ms_chat_get_input (ms_window_get_chat (window));
  g_assert_false (gtk_widget_get_sensitive (input));
  g_assert_nonnull (gtk_widget_get_tooltip_text (input));
  g_assert_false (ms_chat_send (ms_window_get_chat (window), "not allowed"));
  /* Nor may it hide, or share a microphone. */
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "invisible"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "microphone"));

  gtk_window_destroy (GTK_WINDOW (window));
  test_server_stop (server);
}

/* A bad link keeps the join page and says why; a good one joins. */
static void
test_invite_links (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autofree char *token = test_token (ROOM, "linked", NULL);
  g_autoptr (GUri) uri = g_uri_parse (test_server_get_url (server), G_URI_FLAGS_NONE, NULL);
  g_autofree char *link = ms_invite_build (g_uri_get_host (uri), g_uri_get_port (uri), ROOM, token);
  g_autoptr (GError) error = NULL;
  MsWindow *window = ms_window_new (NULL);

  gtk_window_present (GTK_WINDOW (window));
  g_assert_false (ms_window_open_invite (window, "https://example.org/not-an-invite", &error));
  g_assert_error (error, MS_INVITE_ERROR, MS_INVITE_ERROR_INVALID);
  g_assert_cmpstr (ms_window_get_page (window), ==, "join");

  g_assert_true (ms_window_open_invite (window, link, NULL));
  WAIT_UNTIL (connected (window));
  g_assert_cmpstr (ms_store_get_room (ms_session_get_store (ms_window_get_session (window))), ==,
                   ROOM);

  gtk_window_destroy (GTK_WINDOW (window));
  test_server_stop (server);
}

static void
test_no_display (void)
{
  g_test_skip ("No display: run under xvfb-run, as build-aux/test.sh does");
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("MEDIASTORE_TEST_SOURCES", "1", TRUE);
  gst_init (&argc, &argv);
  /* Small video: several encoders run at once on a small CI machine. */
  if (ms_media_get_settings () != NULL)
    g_settings_set_string (ms_media_get_settings (), "video-quality", "low");
  g_test_init (&argc, &argv, NULL);

  /* Library warnings under the media path stay warnings (see test-media.c). */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  if (gtk_init_check ()) {
    adw_init ();
    g_test_add_func ("/app/call", test_call);
    g_test_add_func ("/app/no-chat-grant", test_no_chat_grant);
    g_test_add_func ("/app/invite-links", test_invite_links);
  } else {
    g_test_add_func ("/app/no-display", test_no_display);
  }

  return g_test_run ();
}
