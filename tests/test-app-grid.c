/* test-app-grid.c: the call grid fits, keeps places, and has a stage
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs under Xvfb. The layout on its own: an MsCallGrid in a scrolled
 * window, as in the app, bound to a plain list of placeholder widgets,
 * in windows of several shapes with 1 to 9 tiles and with 12. Then a real
 * call: the app's window, a mediastore-bot process and three libmediastore
 * sessions of the test's own, through the real server: five tiles all in
 * view at 1024x720, a peer who goes and comes back keeps their place,
 * pinning and a shared screen use the stage, F11's action, and being alone.
 */

#include "config.h"

#include <signal.h>

#include "ms-app-media.h"
#include "ms-call-grid.h"
#include "ms-tile.h"
#include "ms-window.h"
#include "test-session-utils.h"
#include "test-app-utils.h"
#include "test-ui-utils.h"

#define ROOM "grid"
#define GRANTS_APP "{\"send_tracks\":[\"camera\",\"microphone\",\"screen\"]," \
                   "\"send_messages\":[\"chat\"]}"
#define GRANTS_AV "{\"send_tracks\":[\"camera\",\"microphone\",\"screen\"],\"can_hide\":true}"

/* Pixels of rounding the checks allow. */
#define SLACK 1.0

/* ---- checking a layout ---- */

static graphene_rect_t
bounds_in (GtkWidget *widget,
           GtkWidget *target)
{
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_compute_bounds (widget, target, &bounds));
  return bounds;
}

static void
assert_inside (GtkWidget *widget,
               GtkWidget *area)
{
  graphene_rect_t b = bounds_in (widget, area);

  g_assert_cmpfloat (b.origin.x, >=, -SLACK);
  g_assert_cmpfloat (b.origin.y, >=, -SLACK);
  g_assert_cmpfloat (b.origin.x + b.size.width, <=, gtk_widget_get_width (area) + SLACK);
  g_assert_cmpfloat (b.origin.y + b.size.height, <=, gtk_widget_get_height (area) + SLACK);
}

static void
assert_aspect (GtkWidget *widget)
{
  double w = gtk_widget_get_width (widget);
  double h = gtk_widget_get_height (widget);

  g_assert_cmpfloat (h, >, 0);
  g_assert_cmpfloat (w / h, >=, 4.0 / 3.0 - 0.02);
  g_assert_cmpfloat (w / h, <=, 16.0 / 9.0 + 0.02);
}

static gboolean
overlap (GtkWidget *a,
         GtkWidget *b,
         GtkWidget *grid)
{
  graphene_rect_t ra = bounds_in (a, grid);
  graphene_rect_t rb = bounds_in (b, grid);
  graphene_rect_t both;

  return graphene_rect_intersection (&ra, &rb, &both) &&
         both.size.width > SLACK && both.size.height > SLACK;
}

/* Every tile laid out in the grid: inside @visible (the part of the grid
 * on screen) and the window, between 4:3 and 16:9, none on another, and
 * in a grid (no stage) all the same size with the last row centred. */
/* Whether GTK has laid out every tile of @grid (a tile added in the last
 * main-loop turn has no size before the next frame). */
static gboolean
laid_out (MsCallGrid *grid)
{
  g_autoptr (GPtrArray) tiles = ms_call_grid_get_tiles (grid);

  for (guint i = 0; i < tiles->len; i++)
    if (gtk_widget_get_height (g_ptr_array_index (tiles, i)) <= 0)
      return FALSE;
  return TRUE;
}

static void
assert_layout (MsCallGrid *grid,
               GtkWidget  *visible)
{
  g_autoptr (GPtrArray) tiles = ms_call_grid_get_tiles (grid);
  GtkWidget *window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (grid)));
  GtkWidget *stage = ms_call_grid_get_stage (grid);
  graphene_rect_t first, last_row_start, last;

  WAIT_UNTIL (laid_out (grid));
  if (stage != NULL && !g_ptr_array_find (tiles, stage, NULL))
    g_ptr_array_add (tiles, stage);
  for (guint i = 0; i < tiles->len; i++) {
    GtkWidget *tile = g_ptr_array_index (tiles, i);

    assert_inside (tile, visible);
    /* (A scrolling grid is its own visible area: tiles scroll away.) */
    if (visible != GTK_WIDGET (grid))
      assert_inside (tile, window);
    assert_aspect (tile);
    for (guint j = 0; j < i; j++)
      g_assert_false (overlap (tile, g_ptr_array_index (tiles, j), GTK_WIDGET (grid)));
  }
  if (stage != NULL || ms_call_grid_get_alone (grid) || tiles->len < 2)
    return;

  first = bounds_in (g_ptr_array_index (tiles, 0), GTK_WIDGET (grid));
  last = bounds_in (g_ptr_array_index (tiles, tiles->len - 1), GTK_WIDGET (grid));
  last_row_start = last;
  for (guint i = 0; i < tiles->len; i++) {
    graphene_rect_t b = bounds_in (g_ptr_array_index (tiles, i), GTK_WIDGET (grid));

    g_assert_cmpfloat_with_epsilon (b.size.width, first.size.width, SLACK);
    g_assert_cmpfloat_with_epsilon (b.size.height, first.size.height, SLACK);
    if (G_APPROX_VALUE (b.origin.y, last.origin.y, SLACK) && b.origin.x < last_row_start.origin.x)
      last_row_start = b;
  }
  /* The last row has as much room on its left as on its right. */
  g_assert_cmpfloat_with_epsilon (last_row_start.origin.x,
                                  gtk_widget_get_width (GTK_WIDGET (grid)) -
                                  (last.origin.x + last.size.width), 2 * SLACK);
}

/* ---- the layout alone, with placeholders ---- */

static GtkWidget *
create_placeholder (gpointer item,
                    gpointer user_data)
{
  GtkWidget *label = gtk_label_new (g_object_get_data (item, "name"));

  gtk_widget_add_css_class (label, "card");
  return label;
}

static GtkWidget *
grid_window (int          width,
             int          height,
             MsCallGrid **grid,
             GtkWidget  **scrolled,
             GListStore  *items)
{
  GtkWidget *window = gtk_window_new ();

  *grid = MS_CALL_GRID (ms_call_grid_new ());
  *scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (*scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (*scrolled), GTK_WIDGET (*grid));
  gtk_window_set_child (GTK_WINDOW (window), *scrolled);
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  ms_call_grid_bind_model (*grid, G_LIST_MODEL (items), create_placeholder, NULL, NULL, NULL);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (window) && gtk_widget_get_width (window) == width &&
              gtk_widget_get_height (window) == height);

  return window;
}

static GtkWidget *
tile_at (MsCallGrid *grid,
         guint       i)
{
  g_autoptr (GPtrArray) tiles = ms_call_grid_get_tiles (grid);

  g_assert_cmpuint (i, <, tiles->len);
  return g_ptr_array_index (tiles, i);
}

static void
add_placeholder (GListStore *items,
                 guint       i)
{
  g_autoptr (GObject) item = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_set_data_full (item, "name", g_strdup_printf ("%u", i), g_free);
  g_list_store_append (items, item);
}

static void
test_layout (void)
{
  static const struct {
    int width, height;
  } sizes[] = { { 1024, 720 }, { 600, 900 }, { 1280, 720 }, { 1280, 1000 }, { 1200, 400 } };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
    g_autoptr (GListStore) items = g_list_store_new (G_TYPE_OBJECT);
    MsCallGrid *grid;
    GtkWidget *scrolled;
    GtkWidget *window = grid_window (sizes[s].width, sizes[s].height, &grid, &scrolled, items);

    for (guint n = 1; n <= 9; n++) {
      GtkWidget *added;

      g_test_message ("%dx%d, %u tiles", sizes[s].width, sizes[s].height, n);
      add_placeholder (items, n);
      added = tile_at (grid, n - 1);
      WAIT_UNTIL (gtk_widget_get_width (added) > 0 && gtk_widget_get_mapped (added));
      /* Alone: the status page, the only tile in a corner. */
      g_assert_cmpint (ms_call_grid_get_alone (grid), ==, n == 1);
      g_assert_cmpint (gtk_widget_get_child_visible (ms_call_grid_get_alone_page (grid)), ==,
                       n == 1);
      /* No scrolling up to nine: the grid is exactly what is in view. */
      g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (grid)), ==,
                       gtk_widget_get_height (scrolled));
      assert_layout (grid, scrolled);
    }
    if (sizes[s].width == 1024)
      test_screenshot (window, "app-grid-layout.png");
    gtk_window_destroy (GTK_WINDOW (window));
  }

  /* Twelve: a scrolling grid of tiles that keep their size. */
  {
    g_autoptr (GListStore) items = g_list_store_new (G_TYPE_OBJECT);
    MsCallGrid *grid;
    GtkWidget *scrolled;
    GtkWidget *window = grid_window (1024, 720, &grid, &scrolled, items);

    for (guint n = 1; n <= 12; n++)
      add_placeholder (items, n);
    WAIT_UNTIL (gtk_widget_get_width (tile_at (grid, 11)) > 0);
    g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (grid)), >,
                     gtk_widget_get_height (scrolled));
    for (guint i = 0; i < 12; i++)
      g_assert_cmpint (gtk_widget_get_width (tile_at (grid, i)), >=, 320);
    assert_layout (grid, GTK_WIDGET (grid));
    gtk_window_destroy (GTK_WINDOW (window));
  }
}

/* Pinning a placeholder by key; places kept when items go and come back
 * as the same object. */
static char *
placeholder_key (gpointer item,
                 gpointer user_data)
{
  return g_strdup (g_object_get_data (item, "name"));
}

static void
test_layout_stage (void)
{
  g_autoptr (GListStore) items = g_list_store_new (G_TYPE_OBJECT);
  GtkWidget *window = gtk_window_new ();
  MsCallGrid *grid = MS_CALL_GRID (ms_call_grid_new ());
  GtkWidget *stage;

  for (guint n = 1; n <= 5; n++)
    add_placeholder (items, n);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (grid));
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 720);
  ms_call_grid_bind_model (grid, G_LIST_MODEL (items), create_placeholder, placeholder_key, NULL,
                           NULL);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_width (tile_at (grid, 4)) > 0);

  ms_call_grid_set_pinned (grid, "3");
  stage = ms_call_grid_get_stage (grid);
  g_assert_true (stage == tile_at (grid, 2));
  WAIT_UNTIL (gtk_widget_get_width (stage) > 2 * gtk_widget_get_width (tile_at (grid, 0)));
  assert_layout (grid, GTK_WIDGET (grid));
  /* A key no one has: the grid again. */
  ms_call_grid_set_pinned (grid, "nobody");
  g_assert_null (ms_call_grid_get_stage (grid));
  WAIT_UNTIL (gtk_widget_get_width (tile_at (grid, 2)) == gtk_widget_get_width (tile_at (grid, 0)));
  assert_layout (grid, GTK_WIDGET (grid));

  /* The second item leaves and comes back at the end of the model: it
   * takes its place again, second. */
  {
    g_autoptr (GObject) second = g_list_model_get_item (G_LIST_MODEL (items), 1);
    g_autoptr (GObject) again = g_object_new (G_TYPE_OBJECT, NULL);

    g_object_set_data_full (again, "name", g_strdup ("2"), g_free);
    g_list_store_remove (items, 1);
    g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (tile_at (grid, 1))), ==, "3");
    g_list_store_append (items, again);
    g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (tile_at (grid, 1))), ==, "2");
    g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (tile_at (grid, 4))), ==, "5");
  }

  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- a real call ---- */

static void
bot_stop (GSubprocess *bot)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_send_signal (bot, SIGTERM);
  g_subprocess_wait (bot, NULL, &error);
  g_assert_no_error (error);
}

static void
send_test_video (MsSession  *session,
                 const char *tag)
{
  g_autoptr (MsLocalTrack) track = ms_local_track_new (MS_LOCAL_TRACK_TEST_VIDEO, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (ms_session_send_track (session, track, tag, FALSE, &error));
  g_assert_no_error (error);
}

static MsCallGrid *
window_grid (MsWindow *window)
{
  return MS_CALL_GRID (ms_window_get_grid (window));
}

static guint
n_tiles (MsWindow *window)
{
  g_autoptr (GPtrArray) tiles = ms_call_grid_get_tiles (window_grid (window));

  return tiles->len;
}

static guint
tiles_with_video (MsWindow *window)
{
  g_autoptr (GPtrArray) tiles = ms_call_grid_get_tiles (window_grid (window));
  guint n = 0;

  for (guint i = 0; i < tiles->len; i++)
    n += ms_tile_get_showing_video (g_ptr_array_index (tiles, i));

  return n;
}

/* The peer ids of the tiles in their places ("" for ours). */
static char *
order (MsWindow *window)
{
  g_autoptr (GPtrArray) tiles = ms_call_grid_get_tiles (window_grid (window));
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < tiles->len; i++) {
    MsPeer *peer = ms_tile_get_peer (g_ptr_array_index (tiles, i));

    g_string_append_printf (text, "%s%s", i ? " " : "", peer ? ms_peer_get_id (peer) : "");
  }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static MsTile *
tile_of (MsWindow   *window,
         const char *peer_id)
{
  g_autoptr (GPtrArray) tiles = ms_call_grid_get_tiles (window_grid (window));

  for (guint i = 0; i < tiles->len; i++) {
    MsPeer *peer = ms_tile_get_peer (g_ptr_array_index (tiles, i));

    if (peer != NULL && g_str_equal (ms_peer_get_id (peer), peer_id))
      return g_ptr_array_index (tiles, i);
  }

  return NULL;
}

static GtkWidget *
visible_area (MsWindow *window)
{
  return gtk_widget_get_ancestor (ms_window_get_grid (window), GTK_TYPE_SCROLLED_WINDOW);
}

static const char *
id_of (MsSession *session)
{
  return ms_store_get_peer_id (ms_session_get_store (session));
}

/* The label of the tile menu's one item. */
static char *
menu_label (MsTile *tile)
{
  char *label = NULL;

  g_assert_true (g_menu_model_get_item_attribute (ms_tile_get_menu (tile), 0,
                                                  G_MENU_ATTRIBUTE_LABEL, "s", &label));
  return label;
}

static void
double_click (MsTile *tile)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (tile));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++) {
    g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

    if (GTK_IS_GESTURE_CLICK (controller)) {
      g_signal_emit_by_name (controller, "pressed", 2, 10.0, 10.0);
      return;
    }
  }
  g_assert_not_reached ();
}

static void
test_call (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (GSubprocess) bot =
    test_app_bot_start (server, ROOM, GRANTS_AV, G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                        "--publish", "camera=test-video", "--stay", "--duration=240", NULL);
  g_autoptr (MsSession) anna = test_session_join (server, ROOM, "anna", GRANTS_AV);
  g_autoptr (MsSession) ben = test_session_join (server, ROOM, "ben", GRANTS_AV);
  g_autoptr (MsSession) cleo = test_session_join (server, ROOM, "cleo", GRANTS_AV);
  g_autoptr (MsSession) dana = NULL;
  MsTile *dana_tile;
  g_autofree char *token = test_token (ROOM, "app-user", GRANTS_APP);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *label = NULL;
  g_autoptr (GError) error = NULL;
  MsWindow *window = ms_window_new (NULL);
  MsCallGrid *grid = window_grid (window);
  GtkWidget *stage;
  MsTile *ben_tile;

  /* Cameras for two of them; Cleo shows her initials. */
  send_test_video (anna, "camera");
  send_test_video (ben, "camera");

  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 720);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)));
  ms_window_join (window, test_server_get_url (server), token);
  WAIT_UNTIL (test_app_connected (window));

  /* Five people: every tile in view, none cropped to a strip. */
  WAIT_UNTIL (n_tiles (window) == 5 && tiles_with_video (window) == 4);
  g_assert_false (ms_call_grid_get_alone (grid));
  g_assert_null (ms_call_grid_get_stage (grid));
  {
    g_autoptr (GPtrArray) tiles = ms_call_grid_get_tiles (grid);

    g_assert_null (ms_tile_get_peer (g_ptr_array_index (tiles, 0)));
  }
  g_test_message ("window %dx%d, grid area %dx%d", gtk_widget_get_width (GTK_WIDGET (window)),
                  gtk_widget_get_height (GTK_WIDGET (window)),
                  gtk_widget_get_width (visible_area (window)),
                  gtk_widget_get_height (visible_area (window)));
  assert_layout (grid, visible_area (window));
  {
    g_autoptr (GPtrArray) tiles = ms_call_grid_get_tiles (grid);

    for (guint i = 0; i < tiles->len; i++)
      if (ms_tile_get_showing_video (g_ptr_array_index (tiles, i)))
        WAIT_UNTIL (test_shows_bars (ms_tile_get_video (g_ptr_array_index (tiles, i))));
  }
  test_screenshot (GTK_WIDGET (window), "app-grid.png");

  /* Anna goes (invisible looks like leaving) and comes back: the store
   * adds her at the end, the grid puts her back in her place. */
  before = order (window);
  g_assert_true (ms_session_set_hidden (anna, TRUE, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (n_tiles (window) == 4);
  g_assert_true (ms_session_set_hidden (anna, FALSE, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (n_tiles (window) == 5);
  after = order (window);
  g_assert_cmpstr (after, ==, before);
  {
    GListModel *peers = ms_store_get_peers (ms_session_get_store (ms_window_get_session (window)));
    g_autoptr (MsPeer) last = g_list_model_get_item (peers, g_list_model_get_n_items (peers) - 1);

    /* The store's order did change. */
    g_assert_cmpstr (ms_peer_get_id (last), ==, id_of (anna));
  }

  /* Pinning Ben's tile: on the stage, larger than the others. */
  ben_tile = tile_of (window, id_of (ben));
  g_assert_nonnull (ben_tile);
  label = menu_label (ben_tile);
  g_assert_cmpstr (label, ==, "_Pin");
  g_clear_pointer (&label, g_free);
  g_action_group_activate_action (G_ACTION_GROUP (window), "pin", g_variant_new_string (id_of (ben)));
  g_assert_true (ms_call_grid_get_stage (grid) == GTK_WIDGET (ben_tile));
  g_assert_true (ms_tile_get_pinned (ben_tile));
  label = menu_label (ben_tile);
  g_assert_cmpstr (label, ==, "_Unpin");
  g_clear_pointer (&label, g_free);
  WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (ben_tile)) >
              2 * gtk_widget_get_width (GTK_WIDGET (tile_of (window, id_of (cleo)))));
  assert_layout (grid, visible_area (window));
  test_screenshot (GTK_WIDGET (window), "app-grid-pinned.png");
  /* The tile's menu unpins; a double-click on Cleo's pins hers. */
  gtk_widget_activate_action (GTK_WIDGET (ben_tile), "tile.toggle-pin", NULL);
  g_assert_null (ms_call_grid_get_stage (grid));
  double_click (tile_of (window, id_of (cleo)));
  g_assert_true (ms_call_grid_get_stage (grid) == GTK_WIDGET (tile_of (window, id_of (cleo))));
  {
    g_autoptr (GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window), "pin");

    g_assert_cmpstr (g_variant_get_string (state, NULL), ==, id_of (cleo));
  }
  double_click (tile_of (window, id_of (cleo)));
  g_assert_null (ms_call_grid_get_stage (grid));

  /* Dana joins presenting (camera and screen in her first offer): the
   * screen goes on the stage by itself, her camera in the strip. (A
   * screen added later rebuilds the sender's publish PeerConnection,
   * which webrtcbin 1.22 sometimes never connects: issue 14's
   * renegotiation in place; the grid does not depend on which.) */
  dana = test_session_join (server, ROOM, "dana", GRANTS_AV);
  send_test_video (dana, "camera");
  send_test_video (dana, "screen");
  WAIT_UNTIL ((stage = ms_call_grid_get_stage (grid)) != NULL &&
              tile_of (window, id_of (dana)) != NULL);
  dana_tile = tile_of (window, id_of (dana));
  g_assert_true (MS_IS_TILE (stage) && ms_tile_get_screen (MS_TILE (stage)));
  g_assert_true (ms_tile_get_peer (MS_TILE (stage)) == ms_tile_get_peer (dana_tile));
  g_assert_true (gtk_widget_get_parent (GTK_WIDGET (dana_tile)) == GTK_WIDGET (grid));
  WAIT_UNTIL (ms_tile_get_showing_video (MS_TILE (stage)));
  WAIT_UNTIL (gtk_widget_get_width (stage) > 2 * gtk_widget_get_width (GTK_WIDGET (dana_tile)));
  assert_layout (grid, visible_area (window));
  {
    int in_strip = gtk_widget_get_width (GTK_WIDGET (dana_tile));

    g_assert_true (ms_session_close_track (dana, "screen", &error));
    g_assert_no_error (error);
    WAIT_UNTIL (ms_call_grid_get_stage (grid) == NULL);
    /* Back in the grid: larger than in the strip. */
    WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (dana_tile)) > in_strip);
  }
  assert_layout (grid, visible_area (window));

  /* F11's action: full screen, and back. Without a window manager under
   * Xvfb the window may not follow; the action's state says what was
   * asked. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "fullscreen", NULL);
  {
    g_autoptr (GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                                  "fullscreen");

    g_assert_true (g_variant_get_boolean (state));
  }
  g_action_group_activate_action (G_ACTION_GROUP (window), "fullscreen", NULL);
  {
    g_autoptr (GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                                  "fullscreen");

    g_assert_false (g_variant_get_boolean (state));
  }

  /* No invitation to show: we do not host. */
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "show-invite"));
  gtk_window_destroy (GTK_WINDOW (window));
  ms_session_close_call (anna);
  ms_session_close_call (ben);
  ms_session_close_call (dana);
  ms_session_close_call (cleo);
  bot_stop (bot);
  test_server_stop (server);
}

int
main (int   argc,
      char *argv[])
{
  if (test_app_init (&argc, &argv, TRUE, "/app-grid")) {
    g_test_add_func ("/app-grid/layout", test_layout);
    g_test_add_func ("/app-grid/layout-stage", test_layout_stage);
    g_test_add_func ("/app-grid/call", test_call);
  }

  return g_test_run ();
}
