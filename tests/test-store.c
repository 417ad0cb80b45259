/* test-store.c: MsStore applies protocol events, one by one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Events are written as the JSON the server sends and decoded with the
 * real codec, so these tests also pin the store to the wire format.
 */

#include "config.h"

#include "mediastore.h"
#include "ms-store-private.h"

typedef struct {
  MsStore    *store;
  GHashTable *notified;       /* property name → count */
  guint       items_changed;  /* items-changed emissions on the peer list */
  guint       last_position;
  guint       last_removed;
  guint       last_added;
} Fixture;

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           Fixture    *fixture)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (fixture->notified, pspec->name));

  g_hash_table_insert (fixture->notified, (gpointer) pspec->name, GUINT_TO_POINTER (count + 1));
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *fixture)
{
  fixture->items_changed++;
  fixture->last_position = position;
  fixture->last_removed = removed;
  fixture->last_added = added;
}

static void
on_count (GObject    *object,
          GParamSpec *pspec,
          guint      *counter)
{
  (*counter)++;
}

static void
on_items_count (GListModel *model,
                guint       position,
                guint       removed,
                guint       added,
                guint      *counter)
{
  (*counter)++;
}

static guint
notified (Fixture    *fixture,
          const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (fixture->notified, name));
}

static guint
n_notified (Fixture *fixture)
{
  GHashTableIter iter;
  gpointer value;
  guint total = 0;

  g_hash_table_iter_init (&iter, fixture->notified);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    total += GPOINTER_TO_UINT (value);

  return total;
}

static void
reset_counts (Fixture *fixture)
{
  g_hash_table_remove_all (fixture->notified);
  fixture->items_changed = 0;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->store = ms_store_new ();
  fixture->notified = g_hash_table_new (g_str_hash, g_str_equal);
  g_signal_connect (fixture->store, "notify", G_CALLBACK (on_notify), fixture);
  g_signal_connect (ms_store_get_peers (fixture->store), "items-changed",
                    G_CALLBACK (on_items_changed), fixture);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_hash_table_unref (fixture->notified);
  g_assert_finalize_object (fixture->store);
}

/* Decodes @json as the server would send it and applies it. */
static void
apply (Fixture    *fixture,
       const char *json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsMessage) msg = NULL;
  gint64 id;

  msg = ms_message_decode (json, strlen (json), MS_DIRECTION_TO_CLIENT, NULL, &id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  g_assert_true (ms_store_apply_message (fixture->store, msg));
}

static const char *welcome_json =
  "{\"type\":\"welcome\",\"peer_id\":\"p-self\",\"room\":\"standup\","
  "\"display_name\":\"Alice\",\"avatar\":null,\"hidden\":false,"
  "\"grants\":{\"send_tracks\":[\"camera\",\"microphone\"],\"recv_tracks\":[\"*\"],"
  "\"send_messages\":[\"chat\"],\"recv_messages\":[\"*\"],\"can_hide\":true,\"hidden\":false},"
  "\"peers\":["
  "{\"id\":\"p-bob\",\"display_name\":\"Bob\",\"avatar\":\"https://example.org/bob.png\","
  " \"tracks\":[{\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false},"
  "            {\"tag\":\"microphone\",\"kind\":\"audio\",\"paused\":true}]},"
  "{\"id\":\"p-carol\",\"display_name\":\"Carol\",\"avatar\":null,\"tracks\":[]}"
  "],"
  "\"ice_servers\":[],\"resume\":\"r-secret\",\"server\":{\"version\":\"0.1.0\"}}";

static MsPeer *
peer_at (Fixture *fixture,
         guint    position)
{
  g_autoptr (MsPeer) peer = g_list_model_get_item (ms_store_get_peers (fixture->store), position);

  return peer;  /* the store keeps it alive */
}

static void
test_defaults (Fixture       *fixture,
               gconstpointer  data)
{
  MsStore *store = fixture->store;
  MsConnectStatus status;
  g_auto (GStrv) send_tracks = NULL;
  g_autoptr (GListModel) peers = NULL;

  g_assert_null (ms_store_get_peer_id (store));
  g_assert_null (ms_store_get_room (store));
  g_assert_cmpint (ms_store_get_connect_status (store), ==, MS_CONNECT_STATUS_DISCONNECTED);
  g_assert_cmpstr (ms_store_get_connect_status_text (store), ==, "Not connected");
  g_assert_null (ms_store_get_error_connection (store));
  g_assert_null (ms_store_get_display_name (store));
  g_assert_null (ms_store_get_avatar (store));
  g_assert_nonnull (ms_store_get_send_tracks (store));
  g_assert_cmpuint (g_strv_length ((GStrv) ms_store_get_send_tracks (store)), ==, 0);
  g_assert_cmpuint (g_strv_length ((GStrv) ms_store_get_send_messages (store)), ==, 0);
  g_assert_cmpuint (g_strv_length ((GStrv) ms_store_get_recv_tracks (store)), ==, 0);
  g_assert_cmpuint (g_strv_length ((GStrv) ms_store_get_recv_messages (store)), ==, 0);
  g_assert_false (ms_store_get_can_hide (store));
  g_assert_false (ms_store_get_hidden (store));
  g_assert_cmpuint (g_list_model_get_n_items (ms_store_get_peers (store)), ==, 0);
  g_assert_true (g_list_model_get_item_type (ms_store_get_peers (store)) == MS_TYPE_PEER);

  /* The same through GObject properties, as a binding sees them. */
  g_object_get (store,
                "connect-status", &status,
                "send-tracks", &send_tracks,
                "peers", &peers,
                NULL);
  g_assert_cmpint (status, ==, MS_CONNECT_STATUS_DISCONNECTED);
  g_assert_cmpuint (g_strv_length (send_tracks), ==, 0);
  g_assert_true (peers == ms_store_get_peers (store));
}

static void
test_welcome (Fixture       *fixture,
              gconstpointer  data)
{
  MsStore *store = fixture->store;
  MsPeer *bob;
  MsTrackInfo *mic;

  apply (fixture, welcome_json);

  g_assert_cmpstr (ms_store_get_peer_id (store), ==, "p-self");
  g_assert_cmpstr (ms_store_get_room (store), ==, "standup");
  g_assert_cmpstr (ms_store_get_display_name (store), ==, "Alice");
  g_assert_null (ms_store_get_avatar (store));
  g_assert_cmpstrv (ms_store_get_send_tracks (store), ((const char *[]) { "camera", "microphone", NULL }));
  g_assert_cmpstrv (ms_store_get_recv_tracks (store), ((const char *[]) { "*", NULL }));
  g_assert_cmpstrv (ms_store_get_send_messages (store), ((const char *[]) { "chat", NULL }));
  g_assert_cmpstrv (ms_store_get_recv_messages (store), ((const char *[]) { "*", NULL }));
  g_assert_true (ms_store_get_can_hide (store));
  g_assert_false (ms_store_get_hidden (store));

  /* Every property that changed notified exactly once; unchanged ones not at all. */
  g_assert_cmpuint (notified (fixture, "peer-id"), ==, 1);
  g_assert_cmpuint (notified (fixture, "room"), ==, 1);
  g_assert_cmpuint (notified (fixture, "display-name"), ==, 1);
  g_assert_cmpuint (notified (fixture, "send-tracks"), ==, 1);
  g_assert_cmpuint (notified (fixture, "can-hide"), ==, 1);
  g_assert_cmpuint (notified (fixture, "avatar"), ==, 0);
  g_assert_cmpuint (notified (fixture, "hidden"), ==, 0);
  g_assert_cmpuint (notified (fixture, "connect-status"), ==, 0);
  g_assert_cmpuint (n_notified (fixture), ==, 8);

  /* Peers arrive in one splice, in the server's order. */
  g_assert_cmpuint (fixture->items_changed, ==, 1);
  g_assert_cmpuint (fixture->last_added, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (ms_store_get_peers (store)), ==, 2);

  bob = peer_at (fixture, 0);
  g_assert_cmpstr (ms_peer_get_id (bob), ==, "p-bob");
  g_assert_cmpstr (ms_peer_get_display_name (bob), ==, "Bob");
  g_assert_cmpstr (ms_peer_get_avatar (bob), ==, "https://example.org/bob.png");
  g_assert_cmpuint (g_list_model_get_n_items (ms_peer_get_tracks (bob)), ==, 2);
  mic = ms_peer_lookup_track (bob, "microphone");
  g_assert_nonnull (mic);
  g_assert_cmpint (ms_track_info_get_kind (mic), ==, MS_TRACK_KIND_AUDIO);
  g_assert_true (ms_track_info_get_paused (mic));
  g_assert_cmpint (ms_track_info_get_kind (ms_peer_lookup_track (bob, "camera")), ==,
                   MS_TRACK_KIND_VIDEO);
  g_assert_null (ms_peer_lookup_track (bob, "screen"));

  g_assert_cmpstr (ms_peer_get_id (peer_at (fixture, 1)), ==, "p-carol");
  g_assert_null (ms_peer_get_avatar (peer_at (fixture, 1)));
  g_assert_null (ms_store_lookup_peer (store, "p-self"));
}

/* A second identical welcome (a resumed session) changes nothing, and
 * peers that are still there keep their objects, so bound widgets live on. */
static void
test_welcome_again (Fixture       *fixture,
                    gconstpointer  data)
{
  MsPeer *bob;

  apply (fixture, welcome_json);
  bob = ms_store_lookup_peer (fixture->store, "p-bob");
  g_object_add_weak_pointer (G_OBJECT (bob), (gpointer *) &bob);
  reset_counts (fixture);

  apply (fixture, welcome_json);
  g_assert_cmpuint (n_notified (fixture), ==, 0);
  g_assert_nonnull (bob);
  g_assert_true (ms_store_lookup_peer (fixture->store, "p-bob") == bob);

  apply (fixture,
         "{\"type\":\"welcome\",\"peer_id\":\"p-self\",\"room\":\"standup\","
         "\"display_name\":\"Alice\",\"avatar\":null,\"hidden\":false,"
         "\"grants\":{\"send_tracks\":[\"camera\",\"microphone\"],\"recv_tracks\":[\"*\"],"
         "\"send_messages\":[\"chat\"],\"recv_messages\":[\"*\"],\"can_hide\":true,\"hidden\":false},"
         "\"peers\":[{\"id\":\"p-bob\",\"display_name\":\"Bobby\",\"avatar\":null,\"tracks\":[]}],"
         "\"ice_servers\":[],\"resume\":\"r2\",\"server\":{\"version\":\"0.1.0\"}}");
  g_assert_nonnull (bob);
  g_assert_true (ms_store_lookup_peer (fixture->store, "p-bob") == bob);
  g_assert_cmpstr (ms_peer_get_display_name (bob), ==, "Bobby");
  g_assert_cmpuint (g_list_model_get_n_items (ms_peer_get_tracks (bob)), ==, 0);
  g_assert_null (ms_store_lookup_peer (fixture->store, "p-carol"));
  g_assert_cmpuint (g_list_model_get_n_items (ms_store_get_peers (fixture->store)), ==, 1);
  g_assert_cmpuint (n_notified (fixture), ==, 0);

  g_object_remove_weak_pointer (G_OBJECT (bob), (gpointer *) &bob);
}

static void
test_peer_joined (Fixture       *fixture,
                  gconstpointer  data)
{
  MsPeer *dave;

  apply (fixture, welcome_json);
  reset_counts (fixture);

  apply (fixture,
         "{\"type\":\"peer-joined\",\"peer\":{\"id\":\"p-dave\",\"display_name\":\"Dave\","
         "\"avatar\":null,\"tracks\":[{\"tag\":\"screen\",\"kind\":\"video\",\"paused\":false}]}}");
  g_assert_cmpuint (fixture->items_changed, ==, 1);
  g_assert_cmpuint (fixture->last_position, ==, 2);
  g_assert_cmpuint (fixture->last_removed, ==, 0);
  g_assert_cmpuint (fixture->last_added, ==, 1);
  dave = ms_store_lookup_peer (fixture->store, "p-dave");
  g_assert_nonnull (dave);
  g_assert_cmpstr (ms_peer_get_display_name (dave), ==, "Dave");
  g_assert_nonnull (ms_peer_lookup_track (dave, "screen"));

  /* Joining again (e.g. a replaced connection) updates in place: no duplicate. */
  apply (fixture,
         "{\"type\":\"peer-joined\",\"peer\":{\"id\":\"p-dave\",\"display_name\":\"Dave M.\","
         "\"avatar\":null,\"tracks\":[]}}");
  g_assert_cmpuint (fixture->items_changed, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (ms_store_get_peers (fixture->store)), ==, 3);
  g_assert_cmpstr (ms_peer_get_display_name (dave), ==, "Dave M.");
  g_assert_null (ms_peer_lookup_track (dave, "screen"));

  /* We never appear in our own peer list. */
  apply (fixture,
         "{\"type\":\"peer-joined\",\"peer\":{\"id\":\"p-self\",\"display_name\":\"Alice\","
         "\"avatar\":null,\"tracks\":[]}}");
  g_assert_null (ms_store_lookup_peer (fixture->store, "p-self"));
  g_assert_cmpuint (g_list_model_get_n_items (ms_store_get_peers (fixture->store)), ==, 3);
  g_assert_cmpuint (n_notified (fixture), ==, 0);
}

static void
test_peer_updated (Fixture       *fixture,
                   gconstpointer  data)
{
  MsPeer *bob;
  guint name_notifies = 0;
  guint avatar_notifies = 0;

  apply (fixture, welcome_json);
  bob = ms_store_lookup_peer (fixture->store, "p-bob");
  g_signal_connect (bob, "notify::display-name", G_CALLBACK (on_count), &name_notifies);
  g_signal_connect (bob, "notify::avatar", G_CALLBACK (on_count), &avatar_notifies);
  reset_counts (fixture);

  apply (fixture,
         "{\"type\":\"peer-updated\",\"peer\":{\"id\":\"p-bob\",\"display_name\":\"Robert\","
         "\"avatar\":\"https://example.org/bob.png\","
         "\"tracks\":[{\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false},"
         "{\"tag\":\"microphone\",\"kind\":\"audio\",\"paused\":true}]}}");
  g_assert_cmpstr (ms_peer_get_display_name (bob), ==, "Robert");
  g_assert_cmpuint (name_notifies, ==, 1);
  g_assert_cmpuint (avatar_notifies, ==, 0);
  g_assert_cmpuint (fixture->items_changed, ==, 0);

  /* The same update again notifies nothing. */
  apply (fixture,
         "{\"type\":\"peer-updated\",\"peer\":{\"id\":\"p-bob\",\"display_name\":\"Robert\","
         "\"avatar\":\"https://example.org/bob.png\","
         "\"tracks\":[{\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false},"
         "{\"tag\":\"microphone\",\"kind\":\"audio\",\"paused\":true}]}}");
  g_assert_cmpuint (name_notifies, ==, 1);

  /* An update for a peer we cannot see creates nothing. */
  apply (fixture,
         "{\"type\":\"peer-updated\",\"peer\":{\"id\":\"p-ghost\",\"display_name\":\"Ghost\","
         "\"avatar\":null,\"tracks\":[]}}");
  g_assert_null (ms_store_lookup_peer (fixture->store, "p-ghost"));
  g_assert_cmpuint (fixture->items_changed, ==, 0);
  g_assert_cmpuint (n_notified (fixture), ==, 0);
}

/* MsPeer:host follows the Peer object's "host" member (absent = false),
 * MsStore:host our own grant. */
static void
test_host (Fixture       *fixture,
           gconstpointer  data)
{
  MsPeer *bob;
  guint host_notifies = 0;
  gboolean host = TRUE;

  apply (fixture, welcome_json);
  g_assert_false (ms_store_get_host (fixture->store));
  g_assert_cmpuint (notified (fixture, "host"), ==, 0);
  bob = ms_store_lookup_peer (fixture->store, "p-bob");
  g_assert_false (ms_peer_get_host (bob));
  g_signal_connect (bob, "notify::host", G_CALLBACK (on_count), &host_notifies);

  apply (fixture,
         "{\"type\":\"peer-updated\",\"peer\":{\"id\":\"p-bob\",\"display_name\":\"Bob\","
         "\"avatar\":\"https://example.org/bob.png\",\"host\":true,"
         "\"tracks\":[{\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false},"
         "{\"tag\":\"microphone\",\"kind\":\"audio\",\"paused\":true}]}}");
  g_assert_true (ms_peer_get_host (bob));
  g_assert_cmpuint (host_notifies, ==, 1);
  g_object_get (bob, "host", &host, NULL);
  g_assert_true (host);
  g_assert_false (ms_peer_get_host (ms_store_lookup_peer (fixture->store, "p-carol")));

  apply (fixture,
         "{\"type\":\"peer-joined\",\"peer\":{\"id\":\"p-dave\",\"display_name\":\"Dave\","
         "\"host\":true,\"tracks\":[]}}");
  g_assert_true (ms_peer_get_host (ms_store_lookup_peer (fixture->store, "p-dave")));

  reset_counts (fixture);
  apply (fixture,
         "{\"type\":\"welcome\",\"peer_id\":\"p-self\",\"room\":\"standup\","
         "\"display_name\":\"Alice\",\"avatar\":null,\"hidden\":false,"
         "\"grants\":{\"send_tracks\":[\"camera\",\"microphone\"],\"recv_tracks\":[\"*\"],"
         "\"send_messages\":[\"chat\"],\"recv_messages\":[\"*\"],\"can_hide\":true,"
         "\"hidden\":false,\"host\":true},"
         "\"peers\":[{\"id\":\"p-bob\",\"display_name\":\"Bob\","
         "\"avatar\":\"https://example.org/bob.png\",\"tracks\":[]}],"
         "\"ice_servers\":[],\"resume\":\"r-secret\",\"server\":{\"version\":\"0.1.0\"}}");
  g_assert_true (ms_store_get_host (fixture->store));
  g_assert_cmpuint (notified (fixture, "host"), ==, 1);
  /* Bob's Peer object no longer says host: the badge goes. */
  g_assert_false (ms_peer_get_host (bob));
  g_assert_cmpuint (host_notifies, ==, 2);

  ms_store_reset (fixture->store);
  g_assert_false (ms_store_get_host (fixture->store));
}

static void
test_peer_left (Fixture       *fixture,
                gconstpointer  data)
{
  apply (fixture, welcome_json);
  reset_counts (fixture);

  apply (fixture, "{\"type\":\"peer-left\",\"peer_id\":\"p-bob\"}");
  g_assert_null (ms_store_lookup_peer (fixture->store, "p-bob"));
  g_assert_cmpuint (fixture->items_changed, ==, 1);
  g_assert_cmpuint (fixture->last_position, ==, 0);
  g_assert_cmpuint (fixture->last_removed, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (ms_store_get_peers (fixture->store)), ==, 1);

  /* Unknown or repeated: nothing happens. */
  apply (fixture, "{\"type\":\"peer-left\",\"peer_id\":\"p-bob\"}");
  apply (fixture, "{\"type\":\"peer-left\",\"peer_id\":\"p-nobody\"}");
  g_assert_cmpuint (fixture->items_changed, ==, 1);
  g_assert_cmpuint (n_notified (fixture), ==, 0);
}

static void
test_tracks (Fixture       *fixture,
             gconstpointer  data)
{
  MsPeer *carol;
  MsTrackInfo *camera;
  guint paused_notifies = 0;
  guint track_changes = 0;

  apply (fixture, welcome_json);
  carol = ms_store_lookup_peer (fixture->store, "p-carol");
  g_signal_connect (ms_peer_get_tracks (carol), "items-changed",
                    G_CALLBACK (on_items_count), &track_changes);

  apply (fixture, "{\"type\":\"track-published\",\"peer_id\":\"p-carol\",\"tag\":\"camera\","
                  "\"kind\":\"video\",\"paused\":true}");
  g_assert_cmpuint (track_changes, ==, 1);
  camera = ms_peer_lookup_track (carol, "camera");
  g_assert_nonnull (camera);
  g_assert_cmpstr (ms_track_info_get_tag (camera), ==, "camera");
  g_assert_cmpint (ms_track_info_get_kind (camera), ==, MS_TRACK_KIND_VIDEO);
  g_assert_true (ms_track_info_get_paused (camera));
  g_signal_connect (camera, "notify::paused", G_CALLBACK (on_count), &paused_notifies);

  apply (fixture, "{\"type\":\"track-updated\",\"peer_id\":\"p-carol\",\"tag\":\"camera\","
                  "\"paused\":false}");
  g_assert_false (ms_track_info_get_paused (camera));
  g_assert_cmpuint (paused_notifies, ==, 1);
  apply (fixture, "{\"type\":\"track-updated\",\"peer_id\":\"p-carol\",\"tag\":\"camera\","
                  "\"paused\":false}");
  g_assert_cmpuint (paused_notifies, ==, 1);
  g_assert_cmpuint (track_changes, ==, 1);

  /* Re-publishing the same tag updates it rather than adding a second. */
  apply (fixture, "{\"type\":\"track-published\",\"peer_id\":\"p-carol\",\"tag\":\"camera\","
                  "\"kind\":\"video\",\"paused\":true}");
  g_assert_cmpuint (g_list_model_get_n_items (ms_peer_get_tracks (carol)), ==, 1);
  g_assert_true (ms_peer_lookup_track (carol, "camera") == camera);
  g_assert_cmpuint (paused_notifies, ==, 2);

  /* Updates or closes of a tag that is not there are ignored. */
  apply (fixture, "{\"type\":\"track-updated\",\"peer_id\":\"p-carol\",\"tag\":\"screen\","
                  "\"paused\":true}");
  apply (fixture, "{\"type\":\"track-closed\",\"peer_id\":\"p-carol\",\"tag\":\"screen\"}");
  g_assert_cmpuint (track_changes, ==, 1);

  apply (fixture, "{\"type\":\"track-closed\",\"peer_id\":\"p-carol\",\"tag\":\"camera\"}");
  g_assert_cmpuint (track_changes, ==, 2);
  g_assert_null (ms_peer_lookup_track (carol, "camera"));
  g_assert_cmpuint (g_list_model_get_n_items (ms_peer_get_tracks (carol)), ==, 0);

  /* The same tag with another kind is another track. */
  apply (fixture, "{\"type\":\"track-published\",\"peer_id\":\"p-carol\",\"tag\":\"camera\","
                  "\"kind\":\"video\",\"paused\":false}");
  camera = ms_peer_lookup_track (carol, "camera");
  apply (fixture, "{\"type\":\"track-published\",\"peer_id\":\"p-carol\",\"tag\":\"camera\","
                  "\"kind\":\"audio\",\"paused\":false}");
  g_assert_cmpuint (g_list_model_get_n_items (ms_peer_get_tracks (carol)), ==, 1);
  g_assert_cmpint (ms_track_info_get_kind (ms_peer_lookup_track (carol, "camera")), ==,
                   MS_TRACK_KIND_AUDIO);
  g_assert_false (ms_peer_lookup_track (carol, "camera") == camera);
}

/* Another peer goes invisible: the server tells us it left, and whatever
 * else arrives about it must not bring it back until it comes back. */
static void
test_hidden_peer (Fixture       *fixture,
                  gconstpointer  data)
{
  apply (fixture, welcome_json);
  apply (fixture, "{\"type\":\"peer-left\",\"peer_id\":\"p-bob\"}");
  reset_counts (fixture);

  apply (fixture, "{\"type\":\"track-published\",\"peer_id\":\"p-bob\",\"tag\":\"screen\","
                  "\"kind\":\"video\",\"paused\":false}");
  apply (fixture, "{\"type\":\"track-updated\",\"peer_id\":\"p-bob\",\"tag\":\"camera\","
                  "\"paused\":true}");
  apply (fixture, "{\"type\":\"track-closed\",\"peer_id\":\"p-bob\",\"tag\":\"camera\"}");
  apply (fixture,
         "{\"type\":\"peer-updated\",\"peer\":{\"id\":\"p-bob\",\"display_name\":\"Bob\","
         "\"avatar\":null,\"tracks\":[]}}");
  g_assert_null (ms_store_lookup_peer (fixture->store, "p-bob"));
  g_assert_cmpuint (fixture->items_changed, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (ms_store_get_peers (fixture->store)), ==, 1);

  /* Visible again: it is back with its tracks, which stayed published. */
  apply (fixture,
         "{\"type\":\"peer-joined\",\"peer\":{\"id\":\"p-bob\",\"display_name\":\"Bob\","
         "\"avatar\":null,\"tracks\":[{\"tag\":\"camera\",\"kind\":\"video\",\"paused\":false}]}}");
  g_assert_nonnull (ms_store_lookup_peer (fixture->store, "p-bob"));
  g_assert_nonnull (ms_peer_lookup_track (ms_store_lookup_peer (fixture->store, "p-bob"),
                                          "camera"));
  g_assert_cmpuint (fixture->items_changed, ==, 1);
}

/* We are the hidden one: we still see everyone; events about ourselves
 * never make us a peer of our own. */
static void
test_hidden_self (Fixture       *fixture,
                  gconstpointer  data)
{
  apply (fixture,
         "{\"type\":\"welcome\",\"peer_id\":\"p-self\",\"room\":\"standup\","
         "\"display_name\":\"Alice\",\"avatar\":null,\"hidden\":true,"
         "\"grants\":{\"send_tracks\":[],\"recv_tracks\":[\"*\"],\"send_messages\":[],"
         "\"recv_messages\":[\"*\"],\"can_hide\":true,\"hidden\":true},"
         "\"peers\":[{\"id\":\"p-bob\",\"display_name\":\"Bob\",\"avatar\":null,\"tracks\":[]},"
         "{\"id\":\"p-self\",\"display_name\":\"Alice\",\"avatar\":null,\"tracks\":[]}],"
         "\"ice_servers\":[],\"resume\":\"r\",\"server\":{\"version\":\"0.1.0\"}}");
  g_assert_true (ms_store_get_hidden (fixture->store));
  g_assert_cmpuint (notified (fixture, "hidden"), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (ms_store_get_peers (fixture->store)), ==, 1);
  g_assert_null (ms_store_lookup_peer (fixture->store, "p-self"));

  apply (fixture, "{\"type\":\"track-published\",\"peer_id\":\"p-self\",\"tag\":\"camera\","
                  "\"kind\":\"video\",\"paused\":false}");
  g_assert_null (ms_store_lookup_peer (fixture->store, "p-self"));

  reset_counts (fixture);
  ms_store_apply_hidden (fixture->store, FALSE);
  g_assert_false (ms_store_get_hidden (fixture->store));
  ms_store_apply_hidden (fixture->store, FALSE);
  g_assert_cmpuint (notified (fixture, "hidden"), ==, 1);
  g_assert_cmpuint (n_notified (fixture), ==, 1);
}

static void
test_connect_status (Fixture       *fixture,
                     gconstpointer  data)
{
  MsStore *store = fixture->store;
  static const MsConnectStatus all[] = {
    MS_CONNECT_STATUS_CONNECTING, MS_CONNECT_STATUS_AUTHENTICATING,
    MS_CONNECT_STATUS_NEGOTIATING, MS_CONNECT_STATUS_CONNECTED,
    MS_CONNECT_STATUS_RECONNECTING, MS_CONNECT_STATUS_FAILED,
    MS_CONNECT_STATUS_DISCONNECTED,
  };
  g_autoptr (GHashTable) texts = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < G_N_ELEMENTS (all); i++) {
    const char *text;

    ms_store_set_connect_status (store, all[i]);
    g_assert_cmpint (ms_store_get_connect_status (store), ==, all[i]);
    g_assert_cmpuint (notified (fixture, "connect-status"), ==, i + 1);
    g_assert_cmpuint (notified (fixture, "connect-status-text"), ==, i + 1);

    text = ms_store_get_connect_status_text (store);
    g_assert_nonnull (text);
    g_assert_cmpuint (strlen (text), >, 0);
    g_assert_false (g_hash_table_contains (texts, text));
    g_hash_table_add (texts, (gpointer) text);
  }

  /* Setting the same status again is not a change. */
  ms_store_set_connect_status (store, MS_CONNECT_STATUS_DISCONNECTED);
  g_assert_cmpuint (notified (fixture, "connect-status"), ==, G_N_ELEMENTS (all));

  ms_store_set_error_connection (store, "The server refused the token: it has expired");
  ms_store_set_error_connection (store, "The server refused the token: it has expired");
  g_assert_cmpstr (ms_store_get_error_connection (store), ==,
                   "The server refused the token: it has expired");
  g_assert_cmpuint (notified (fixture, "error-connection"), ==, 1);
  ms_store_set_error_connection (store, NULL);
  g_assert_null (ms_store_get_error_connection (store));
  g_assert_cmpuint (notified (fixture, "error-connection"), ==, 2);
}

static void
test_profile (Fixture       *fixture,
              gconstpointer  data)
{
  apply (fixture, welcome_json);
  reset_counts (fixture);

  ms_store_apply_profile (fixture->store, "Alice L.", "https://example.org/a.png");
  g_assert_cmpstr (ms_store_get_display_name (fixture->store), ==, "Alice L.");
  g_assert_cmpstr (ms_store_get_avatar (fixture->store), ==, "https://example.org/a.png");
  ms_store_apply_profile (fixture->store, "Alice L.", "https://example.org/a.png");
  g_assert_cmpuint (notified (fixture, "display-name"), ==, 1);
  g_assert_cmpuint (notified (fixture, "avatar"), ==, 1);
}

static void
test_reset (Fixture       *fixture,
            gconstpointer  data)
{
  MsStore *store = fixture->store;

  apply (fixture, welcome_json);
  ms_store_set_connect_status (store, MS_CONNECT_STATUS_CONNECTED);
  reset_counts (fixture);

  ms_store_reset (store);
  g_assert_null (ms_store_get_peer_id (store));
  g_assert_null (ms_store_get_room (store));
  g_assert_null (ms_store_get_display_name (store));
  g_assert_cmpuint (g_strv_length ((GStrv) ms_store_get_send_tracks (store)), ==, 0);
  g_assert_cmpuint (g_strv_length ((GStrv) ms_store_get_recv_messages (store)), ==, 0);
  g_assert_false (ms_store_get_can_hide (store));
  g_assert_cmpuint (g_list_model_get_n_items (ms_store_get_peers (store)), ==, 0);
  g_assert_cmpuint (fixture->items_changed, ==, 1);
  /* The status belongs to the session and survives a reset. */
  g_assert_cmpint (ms_store_get_connect_status (store), ==, MS_CONNECT_STATUS_CONNECTED);
  g_assert_cmpuint (notified (fixture, "peer-id"), ==, 1);
  g_assert_cmpuint (notified (fixture, "connect-status"), ==, 0);

  reset_counts (fixture);
  ms_store_reset (store);
  g_assert_cmpuint (n_notified (fixture), ==, 0);
  g_assert_cmpuint (fixture->items_changed, ==, 0);
}

/* Our own tracks: put, updated in place, removed, and gone on reset;
 * never among the peers. */
static void
test_own_tracks (Fixture       *fixture,
                 gconstpointer  data)
{
  MsStore *store = fixture->store;
  GListModel *own = ms_store_get_own_tracks (store);
  MsTrackInfo *camera;

  apply (fixture, welcome_json);
  g_assert_cmpuint (g_list_model_get_n_items (own), ==, 0);

  ms_store_put_own_track (store, "camera", MS_TRACK_KIND_VIDEO, FALSE);
  ms_store_put_own_track (store, "microphone", MS_TRACK_KIND_AUDIO, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (own), ==, 2);
  camera = ms_store_lookup_own_track (store, "camera");
  g_assert_nonnull (camera);
  g_assert_false (ms_track_info_get_paused (camera));
  g_assert_true (ms_track_info_get_paused (ms_store_lookup_own_track (store, "microphone")));
  g_assert_null (ms_store_lookup_peer (store, "p-self"));
  g_assert_cmpuint (g_list_model_get_n_items (ms_store_get_peers (store)), ==, 2);

  /* The same object changes: widgets watching it follow. */
  ms_store_put_own_track (store, "camera", MS_TRACK_KIND_VIDEO, TRUE);
  g_assert_true (ms_store_lookup_own_track (store, "camera") == camera);
  g_assert_true (ms_track_info_get_paused (camera));

  ms_store_remove_own_track (store, "camera");
  g_assert_null (ms_store_lookup_own_track (store, "camera"));
  g_assert_cmpuint (g_list_model_get_n_items (own), ==, 1);

  ms_store_reset (store);
  g_assert_cmpuint (g_list_model_get_n_items (own), ==, 0);
  g_assert_null (ms_store_lookup_own_track (store, "microphone"));
}

static void
test_not_store_events (Fixture       *fixture,
                       gconstpointer  data)
{
  static const char *frames[] = {
    "{\"type\":\"ok\",\"id\":3}",
    "{\"type\":\"error\",\"code\":\"forbidden\",\"message\":\"no\"}",
    "{\"type\":\"bye\",\"reason\":\"shutdown\"}",
    "{\"type\":\"message\",\"from\":\"p-bob\",\"msg_type\":\"chat\",\"body\":{\"text\":\"hi\"}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (frames); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (MsMessage) msg = NULL;

    msg = ms_message_decode (frames[i], strlen (frames[i]), MS_DIRECTION_TO_CLIENT, NULL, NULL,
                             &error);
    g_assert_no_error (error);
    g_assert_false (ms_store_apply_message (fixture->store, msg));
  }

  g_assert_cmpuint (n_notified (fixture), ==, 0);
  g_assert_cmpuint (fixture->items_changed, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/store/defaults", test_defaults);
  ADD ("/store/welcome", test_welcome);
  ADD ("/store/welcome-again", test_welcome_again);
  ADD ("/store/peer-joined", test_peer_joined);
  ADD ("/store/peer-updated", test_peer_updated);
  ADD ("/store/peer-left", test_peer_left);
  ADD ("/store/host", test_host);
  ADD ("/store/tracks", test_tracks);
  ADD ("/store/hidden-peer", test_hidden_peer);
  ADD ("/store/hidden-self", test_hidden_self);
  ADD ("/store/connect-status", test_connect_status);
  ADD ("/store/profile", test_profile);
  ADD ("/store/reset", test_reset);
  ADD ("/store/own-tracks", test_own_tracks);
  ADD ("/store/not-store-events", test_not_store_events);

#undef ADD

  return g_test_run ();
}
