/* test-app.c: the desktop app in a real call, on screen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs under Xvfb. The app's window joins the real server with a
 * mediastore-bot process and a libmediastore session of the test's own
 * (the observer), all sending test patterns: three tiles with video. The
 * observer and the bot's final statistics prove that invisible mode takes
 * the app out of their view; chat goes both ways; a user without the chat
 * grant gets a disabled input; avatars come from a picture server of the
 * test's own. Screenshots go to the build directory.
 */

#include "config.h"

#include <signal.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ms-avatar.h"
#include "ms-call-grid.h"
#include "ms-chat.h"
#include "ms-invite.h"
#include "ms-app-media.h"
#include "ms-tile.h"
#include "ms-window.h"
#include "test-session-utils.h"
#include "test-app-utils.h"
#include "test-ui-utils.h"

#define ROOM "app"
#define GRANTS_APP "{\"send_tracks\":[\"camera\",\"microphone\",\"screen\"]," \
                   "\"send_messages\":[\"chat\"],\"can_hide\":true}"
#define GRANTS_AV "{\"send_tracks\":[\"camera\",\"microphone\"],\"send_messages\":[\"chat\"]}"

static GPtrArray *
tiles (MsWindow *window)
{
  return ms_call_grid_get_tiles (MS_CALL_GRID (ms_window_get_grid (window)));
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
  g_autoptr (GSubprocess) bot =
    test_app_bot_start (server, ROOM, GRANTS_AV, G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                        "--publish", "camera=test-video,microphone=test-audio", "--subscribe",
                        "--stats", "--stay", "--duration=120", NULL);
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
  WAIT_UNTIL (test_app_connected (window));
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

  /* Sharing the screen (a test pattern here, no portal under Xvfb): with
   * no portal to pick a window, the app asks before it sends the whole
   * screen; then the others get a "screen" track; stopping closes it. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "screen",
                                      g_variant_new_boolean (TRUE));
  WAIT_UNTIL (ms_window_get_question (window) != NULL);
  g_assert_null (ms_store_lookup_own_track (ms_session_get_store (ms_window_get_session (window)),
                                            "screen"));
  adw_message_dialog_response (ms_window_get_question (window), "share");
  WAIT_UNTIL (test_remote_frames (observer, app_id, "screen") > 5);
  g_action_group_change_action_state (G_ACTION_GROUP (window), "screen",
                                      g_variant_new_boolean (FALSE));
  WAIT_UNTIL (ms_peer_lookup_track (ms_store_lookup_peer (observed, app_id), "screen") == NULL);

  /* Another camera chosen in the preferences replaces the running track:
   * a new stream reaches the others. */
  {
    MsSession *app_session = ms_window_get_session (window);
    MsLocalTrack *old_local = ms_session_lookup_local_track (app_session, "camera");
    /* Held: a new track must not take the old one's address. */
    g_autoptr (MsRemoteTrack) old_camera =
      g_object_ref (ms_session_lookup_remote_track (observer, app_id, "camera"));
    guint64 before;

    g_assert_nonnull (old_local);
    g_assert_nonnull (old_camera);
    g_settings_set_string (ms_media_get_settings (), "camera-device", "A camera plugged in later");
    /* A new track under the same tag: the others get it on the m-line the
     * old one had, as a new remote track when the app closed the old one
     * first, or in the same one when both went in one offer. */
    WAIT_UNTIL (ms_session_lookup_local_track (app_session, "camera") != NULL &&
                ms_session_lookup_local_track (app_session, "camera") != old_local);
    before = test_remote_frames (observer, app_id, "camera");
    WAIT_UNTIL (ms_session_lookup_remote_track (observer, app_id, "camera") != NULL &&
                (ms_session_lookup_remote_track (observer, app_id, "camera") != old_camera ?
                 test_remote_frames (observer, app_id, "camera") > 5 :
                 test_remote_frames (observer, app_id, "camera") > before + 5));
    g_settings_reset (ms_media_get_settings (), "camera-device");
  }

  /* The video quality chosen in the preferences is the size the others
   * decode (the tests run at "low"; "medium" is 640x360). */
  {
    g_settings_set_string (ms_media_get_settings (), "video-quality", "medium");
    test_wait_remote_video_size (observer, app_id, "camera", 640, 360);
    g_settings_set_string (ms_media_get_settings (), "video-quality", "low");
  }

  /* Leaving: the "You left" page, and gone for the others. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "leave", NULL);
  g_assert_cmpstr (ms_window_get_page (window), ==, "ended");
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
  WAIT_UNTIL (test_app_connected (window));

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
  /* The lobby first (tests/test-app-lobby.c), then the call. */
  g_assert_cmpstr (ms_window_get_page (window), ==, "lobby");
  ms_lobby_join (ms_window_get_lobby (window));
  WAIT_UNTIL (test_app_connected (window));
  g_assert_cmpstr (ms_store_get_room (ms_session_get_store (ms_window_get_session (window))), ==,
                   ROOM);

  gtk_window_destroy (GTK_WINDOW (window));
  test_server_stop (server);
}

/* The host and port an invitation link points at. */
static char *
invite_address (const char *link,
                guint16    *port)
{
  g_autofree char *url = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (ms_invite_parse (link, &url, NULL, NULL, &error));
  g_assert_no_error (error);
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  *port = g_uri_get_port (uri);

  return g_strdup (g_uri_get_host (uri));
}

/* Hosting: the app starts a server and a demo bot, a second window joins
 * with the invitation, everyone sees everyone. The server listens on this
 * computer only, unless the call is open to the network: then 127.0.0.2,
 * which a server listening on 127.0.0.1 refuses, gets in too. */
static void
test_host (void)
{
  GSettings *settings = ms_media_get_settings ();
  MsWindow *window = ms_window_new (NULL);
  MsWindow *guest = ms_window_new (NULL);
  g_autofree char *host = NULL;
  guint16 port = 0;

  g_settings_set_boolean (settings, "host-on-network", FALSE);
  gtk_window_present (GTK_WINDOW (window));
  ms_window_host (window, TRUE);
  WAIT_UNTIL (test_app_connected (window) && ms_window_get_invite (window) != NULL);
  host = invite_address (ms_window_get_invite (window), &port);
  g_assert_cmpstr (host, ==, "127.0.0.1");
  g_assert_true (test_app_accepts ("127.0.0.1", port));
  g_assert_false (test_app_accepts ("127.0.0.2", port));

  /* We and the demo bot, then the guest: three pictures in each window. */
  WAIT_UNTIL (tiles_with_video (window) == 2);
  gtk_window_present (GTK_WINDOW (guest));
  g_assert_true (ms_window_open_invite (guest, ms_window_get_invite (window), NULL));
  ms_lobby_join (ms_window_get_lobby (guest));
  WAIT_UNTIL (test_app_connected (guest));
  WAIT_UNTIL (tiles_with_video (guest) == 3 && tiles_with_video (window) == 3);
  {
    g_autoptr (GPtrArray) all = tiles (guest);

    for (guint i = 0; i < all->len; i++)
      WAIT_UNTIL (test_shows_bars (g_ptr_array_index (all, i)));
  }
  test_screenshot (GTK_WIDGET (guest), "app-host.png");
  ms_window_leave (guest);
  ms_window_leave (window);

  /* Open to the network: the switch on the first page. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "host-on-network", NULL);
  g_assert_true (g_settings_get_boolean (settings, "host-on-network"));
  ms_window_host (window, FALSE);
  WAIT_UNTIL (test_app_connected (window) && ms_window_get_invite (window) != NULL);
  g_clear_pointer (&host, g_free);
  host = invite_address (ms_window_get_invite (window), &port);
  g_test_message ("invitation to %s:%u", host, port);
  g_assert_true (test_app_accepts ("127.0.0.1", port));
  g_assert_true (test_app_accepts ("127.0.0.2", port));

  g_settings_reset (settings, "host-on-network");
  gtk_window_destroy (GTK_WINDOW (guest));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- avatars ---- */

/* Pictures served over HTTP on loopback by the test itself. */
typedef struct {
  SoupServer *server;
  GHashTable *requests;   /* path → how many times asked */
  char       *base;       /* http://127.0.0.1:PORT */
} Pictures;

/* A picture of one colour, or of noise (which compresses to nothing). */
static GBytes *
picture (const char *type,
         int         width,
         int         height,
         gboolean    noise)
{
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, 0x3584e4ff);
  if (noise) {
    guchar *pixels = gdk_pixbuf_get_pixels (pixbuf);
    gsize size = gdk_pixbuf_get_byte_length (pixbuf);

    for (gsize i = 0; i < size; i++)
      pixels[i] = g_random_int_range (0, 256);
  }
  gdk_pixbuf_save_to_buffer (pixbuf, &data, &len, type, &error, NULL);
  g_assert_no_error (error);

  return g_bytes_new_take (data, len);
}

static void
serve_picture (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  Pictures *pictures = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  guint asked = GPOINTER_TO_UINT (g_hash_table_lookup (pictures->requests, path));
  g_autoptr (GBytes) bytes = NULL;

  g_hash_table_insert (pictures->requests, g_strdup (path), GUINT_TO_POINTER (asked + 1));

  if (g_str_equal (path, "/face.png")) {
    bytes = picture ("png", 300, 200, FALSE);
  } else if (g_str_equal (path, "/small.png")) {
    bytes = picture ("png", 64, 64, FALSE);
  } else if (g_str_equal (path, "/wide.png")) {
    /* Small to download, too large to decode. */
    bytes = picture ("png", MS_AVATAR_MAX_SIDE + 1, 2, FALSE);
  } else if (g_str_equal (path, "/face.bmp")) {
    bytes = picture ("bmp", 16, 16, FALSE);
  } else if (g_str_equal (path, "/text.png")) {
    bytes = g_bytes_new_static ("not a picture", 13);
  } else if (g_str_equal (path, "/large.png") || g_str_equal (path, "/large-chunked.png")) {
    /* A fine picture, but more to download than allowed. */
    bytes = picture ("png", 700, 700, TRUE);
    g_assert_cmpuint (g_bytes_get_size (bytes), >, MS_AVATAR_MAX_BYTES);
    /* Without a length, the limit holds while reading. */
    if (g_str_equal (path, "/large-chunked.png"))
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  } else {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "image/png", NULL);
  soup_message_body_append_bytes (body, bytes);
  soup_message_body_complete (body);
}

static void
pictures_start (Pictures *pictures)
{
  g_autoptr (GError) error = NULL;
  GSocketAddress *address;

  pictures->server = soup_server_new (NULL, NULL);
  pictures->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  soup_server_add_handler (pictures->server, NULL, serve_picture, pictures, NULL);
  soup_server_listen_local (pictures->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  address = g_socket_get_local_address (soup_server_get_listeners (pictures->server)->data, &error);
  g_assert_no_error (error);
  pictures->base = g_strdup_printf ("http://127.0.0.1:%u",
                                    g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
  g_object_unref (address);
}

static void
pictures_stop (Pictures *pictures)
{
  soup_server_disconnect (pictures->server);
  g_clear_object (&pictures->server);
  g_clear_pointer (&pictures->requests, g_hash_table_unref);
  g_clear_pointer (&pictures->base, g_free);
}

static guint
pictures_asked (Pictures   *pictures,
                const char *path)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (pictures->requests, path));
}

/* The tile of @peer_id, or our own for NULL. */
static MsTile *
tile_of (MsWindow   *window,
         const char *peer_id)
{
  g_autoptr (GPtrArray) all = tiles (window);

  for (guint i = 0; i < all->len; i++) {
    MsPeer *peer = ms_tile_get_peer (g_ptr_array_index (all, i));

    if (peer_id == NULL ? peer == NULL : (peer && g_str_equal (ms_peer_get_id (peer), peer_id)))
      return g_ptr_array_index (all, i);
  }

  return NULL;
}

static void
set_avatar (TestPeer   *peer,
            const char *url)
{
  g_autofree char *quoted = url ? g_strdup_printf ("\"%s\"", url) : g_strdup ("null");

  test_peer_send (peer, "{\"type\":\"set-profile\",\"display_name\":\"Pat\",\"avatar\":%s}",
                  quoted);
}

/* Pictures from the token, the preferences and set-profile: fetched once
 * each, shown in the tiles scaled down; what is not a sane picture keeps
 * initials. */
static void
test_avatars (void)
{
  static const char *const bad[] = {
    "/wide.png", "/face.bmp", "/text.png", "/large.png", "/large-chunked.png", "/missing.png",
  };
  g_autoptr (TestServer) server = test_server_start (NULL);
  Pictures pictures = { 0 };
  g_autofree char *face = NULL;
  g_autofree char *small = NULL;
  g_autofree char *token = NULL;
  MsMessage *updated;
  MsWindow *window = ms_window_new (NULL);
  MsTile *own;
  MsTile *other;
  MsPeer *pat;
  TestPeer *peer;
  GdkPaintable *image;

  pictures_start (&pictures);
  face = g_strconcat (pictures.base, "/face.png", NULL);
  small = g_strconcat (pictures.base, "/small.png", NULL);
  token = test_token_with_avatar (ROOM, "pictured", NULL, face);

  gtk_window_present (GTK_WINDOW (window));
  ms_window_join (window, test_server_get_url (server), token);
  WAIT_UNTIL (test_app_connected (window));

  /* Our own, from the token: 300x200 decoded to fit 192 px. */
  WAIT_UNTIL ((own = tile_of (window, NULL)) != NULL && ms_tile_get_avatar_image (own) != NULL);
  image = ms_tile_get_avatar_image (own);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (image), ==, 192);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (image), ==, 128);

  /* Someone without one has initials, until they set the same picture:
   * every avatar showing it (tiles, participants list) shares one fetch. */
  peer = test_peer_join (server, ROOM, "pat", NULL);
  WAIT_UNTIL ((other = tile_of (window, test_peer_get_id (peer))) != NULL);
  pat = ms_tile_get_peer (other);
  g_assert_null (ms_tile_get_avatar_image (other));

  /* A picture chosen in the preferences replaces the invitation's, for
   * us and for the others; none chosen brings the invitation's back. */
  g_settings_set_string (ms_media_get_settings (), "avatar-url", small);
  WAIT_UNTIL (ms_tile_get_avatar_image (own) != NULL &&
              gdk_paintable_get_intrinsic_width (ms_tile_get_avatar_image (own)) == 64);
  updated = test_peer_expect (peer, MS_MSG_PEER_UPDATED);
  g_assert_cmpstr (updated->u.peer.peer->avatar, ==, small);
  g_clear_pointer (&updated, ms_message_free);
  g_settings_reset (ms_media_get_settings (), "avatar-url");
  WAIT_UNTIL (gdk_paintable_get_intrinsic_width (ms_tile_get_avatar_image (own)) == 192);
  updated = test_peer_expect (peer, MS_MSG_PEER_UPDATED);
  g_assert_cmpstr (updated->u.peer.peer->avatar, ==, face);
  g_clear_pointer (&updated, ms_message_free);
  set_avatar (peer, face);
  WAIT_UNTIL (ms_tile_get_avatar_image (other) != NULL);
  g_assert_true (ms_tile_get_avatar_image (other) == ms_tile_get_avatar_image (own));
  g_assert_cmpuint (pictures_asked (&pictures, "/face.png"), ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *url = g_strconcat (pictures.base, bad[i], NULL);
    GdkTexture *texture = NULL;

    g_test_message ("avatar %s", bad[i]);
    set_avatar (peer, url);
    WAIT_UNTIL (g_strcmp0 (ms_peer_get_avatar (pat), url) == 0 &&
                ms_avatar_lookup (url, &texture));
    g_assert_null (texture);
    g_assert_null (ms_tile_get_avatar_image (other));
    g_assert_cmpuint (pictures_asked (&pictures, bad[i]), ==, 1);
  }

  /* A picture already had shows at once; none at all means initials. */
  set_avatar (peer, face);
  WAIT_UNTIL (g_strcmp0 (ms_peer_get_avatar (pat), face) == 0);
  g_assert_nonnull (ms_tile_get_avatar_image (other));
  set_avatar (peer, NULL);
  WAIT_UNTIL (ms_peer_get_avatar (pat) == NULL);
  g_assert_null (ms_tile_get_avatar_image (other));
  g_assert_cmpuint (pictures_asked (&pictures, "/face.png"), ==, 1);

  test_peer_free (peer);
  gtk_window_destroy (GTK_WINDOW (window));
  pictures_stop (&pictures);
  test_server_stop (server);
}

int
main (int   argc,
      char *argv[])
{
  if (test_app_init (&argc, &argv, TRUE, "/app")) {
    g_test_add_func ("/app/call", test_call);
    g_test_add_func ("/app/no-chat-grant", test_no_chat_grant);
    g_test_add_func ("/app/invite-links", test_invite_links);
    g_test_add_func ("/app/avatars", test_avatars);
    g_test_add_func ("/app/host", test_host);
  }

  return g_test_run ();
}
