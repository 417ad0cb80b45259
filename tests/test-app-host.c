/* test-app-host.c: hosting a call, and inviting others with one code
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs under Xvfb, in Russian (the translations of the build tree): the
 * app's windows host a call with the real mediastore-server, and guests
 * redeem its one invitation code, in windows and in libmediastore
 * sessions of the test's own. The host's server is killed and comes back
 * with the call going on; opening the call to the network restarts it
 * on the same port; the invite dialog fits a small screen.
 */

#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <locale.h>
#include <netinet/in.h>
#include <signal.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "ms-app-media.h"
#include "ms-host.h"
#include "ms-invite.h"
#include "ms-invite-dialog.h"
#include "ms-person-row.h"
#include "ms-token.h"
#include "ms-lobby.h"
#include "ms-window.h"
#include "test-session-utils.h"
#include "test-app-utils.h"
#include "test-ui-utils.h"

static MsConnectStatus
status_of (MsSession *session)
{
  return session ? ms_store_get_connect_status (ms_session_get_store (session))
                 : MS_CONNECT_STATUS_DISCONNECTED;
}

/* The first widget under @widget of @type whose title is @title (any
 * title for NULL). */
static GtkWidget *
find_widget (GtkWidget  *widget,
             GType       type,
             const char *title)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type)) {
    g_autofree char *found = NULL;

    if (title == NULL)
      return widget;
    g_object_get (widget, "title", &found, NULL);
    if (g_strcmp0 (found, title) == 0)
      return widget;
  }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *found = find_widget (child, type, title);

    if (found != NULL)
      return found;
  }

  return NULL;
}

/* Types @name into the join page's name field, as someone would. */
static void
type_name (MsWindow   *window,
           const char *name)
{
  GtkWidget *row = find_widget (GTK_WIDGET (window), ADW_TYPE_ENTRY_ROW, _("Your Name"));

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), name);
}

/* A link, as a guest opens it: the lobby, then its Join Now. */
static void
open_and_join (MsWindow   *window,
               const char *link)
{
  g_assert_true (ms_window_open_invite (window, link, NULL));
  g_assert_cmpstr (ms_window_get_page (window), ==, "lobby");
  ms_lobby_join (ms_window_get_lobby (window));
}

/* What the join page says. */
static const char *
join_description (MsWindow *window)
{
  GtkWidget *page = find_widget (GTK_WIDGET (window), ADW_TYPE_STATUS_PAGE, _("Join a Call"));

  g_assert_nonnull (page);
  return adw_status_page_get_description (ADW_STATUS_PAGE (page));
}

static MsWindow *
host_window_full (gboolean on_network,
                  gboolean demo_bot)
{
  MsWindow *window = ms_window_new (NULL);

  g_settings_set_boolean (ms_media_get_settings (), "host-on-network", on_network);
  gtk_window_present (GTK_WINDOW (window));
  type_name (window, "Хозяйка");
  ms_window_host (window, demo_bot);
  WAIT_UNTIL (test_app_connected (window) && ms_window_get_invite (window) != NULL);

  return window;
}

static MsWindow *
host_window (gboolean on_network)
{
  return host_window_full (on_network, FALSE);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The names of the others @session sees, sorted, comma-separated. */
static char *
names_seen (MsSession *session)
{
  GListModel *peers = ms_store_get_peers (ms_session_get_store (session));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < g_list_model_get_n_items (peers); i++) {
    g_autoptr (MsPeer) peer = g_list_model_get_item (peers, i);

    g_ptr_array_add (names, g_strdup (ms_peer_get_display_name (peer)));
  }
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);

  return g_strjoinv (",", (char **) names->pdata);
}

/* @first and the rest (NULL-terminated) as names_seen() has them. */
static char *
expect_names (const char *first,
              ...)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  va_list args;

  va_start (args, first);
  for (const char *name = first; name != NULL; name = va_arg (args, const char *))
    g_ptr_array_add (names, (gpointer) name);
  va_end (args);
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);

  return g_strjoinv (",", (char **) names->pdata);
}

static gboolean
sees (MsSession  *session,
      const char *names)
{
  g_autofree char *seen = names_seen (session);

  return g_strcmp0 (seen, names) == 0;
}

/* A guest of the test's own: redeems the code, then joins with it. */
typedef struct {
  char              *url;
  char              *identity;
  GError            *error;
  MsSession         *session;
  TestConnectResult  connect;
} Guest;

static void
on_guest_redeemed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Guest *guest = user_data;
  g_autofree char *token = ms_invite_redeem_finish (result, NULL, &guest->identity,
                                                    &guest->error);

  if (token == NULL)
    return;
  guest->session = ms_session_new ();
  ms_session_connect_async (guest->session, guest->url, token, NULL, test_on_connected,
                            &guest->connect);
}

static void
guest_redeem (Guest      *guest,
              const char *link,
              const char *name)
{
  g_autoptr (MsInviteLink) parsed = ms_invite_link_parse (link, NULL);

  g_assert_nonnull (parsed);
  g_assert_nonnull (parsed->code);
  guest->url = g_strdup (parsed->url);
  ms_invite_redeem_async (parsed->url, parsed->code, name, NULL, on_guest_redeemed, guest);
}

static void
guest_clear (Guest *guest)
{
  if (guest->session != NULL)
    ms_session_close_call (guest->session);
  g_clear_object (&guest->session);
  g_clear_pointer (&guest->url, g_free);
  g_clear_pointer (&guest->identity, g_free);
  g_clear_error (&guest->connect.error);
  g_clear_error (&guest->error);
}

/* Three guests at once with one link, each with the name they typed:
 * three people, not one, and everyone sees the others' names. */
static void
test_three_guests (void)
{
  MsWindow *window = host_window (FALSE);
  MsWindow *anna = ms_window_new (NULL);
  Guest boris = { 0 };
  Guest vera = { 0 };
  const char *invite = ms_window_get_invite (window);
  MsSession *host;
  MsSession *anna_session;

  g_assert_true (g_str_has_prefix (invite, "mediastore://127.0.0.1:"));
  g_assert_null (strstr (invite, "token="));
  g_assert_cmpuint (strlen (invite), <, 60);

  gtk_window_present (GTK_WINDOW (anna));
  type_name (anna, "Анна");
  /* All three redeem before anyone has joined. */
  open_and_join (anna, invite);
  guest_redeem (&boris, invite, "Борис");
  guest_redeem (&vera, invite, "Вера");
  g_assert_cmpstr (ms_window_get_page (anna), ==, "lobby");

  WAIT_UNTIL (test_app_connected (anna) && boris.connect.done && vera.connect.done);
  g_assert_no_error (boris.error);
  g_assert_no_error (vera.error);
  g_assert_no_error (boris.connect.error);
  g_assert_no_error (vera.connect.error);
  g_assert_true (g_str_has_prefix (boris.identity, "guest-"));
  g_assert_cmpstr (boris.identity, !=, vera.identity);

  host = ms_window_get_session (window);
  anna_session = ms_window_get_session (anna);
  WAIT_UNTIL (sees (host, "Анна,Борис,Вера"));
  WAIT_UNTIL (sees (anna_session, "Борис,Вера,Хозяйка"));
  WAIT_UNTIL (sees (boris.session, "Анна,Вера,Хозяйка"));
  WAIT_UNTIL (sees (vera.session, "Анна,Борис,Хозяйка"));
  /* Everyone is someone else: no one threw anyone out. */
  {
    const char *ids[] = {
      ms_store_get_peer_id (ms_session_get_store (host)),
      ms_store_get_peer_id (ms_session_get_store (anna_session)),
      ms_store_get_peer_id (ms_session_get_store (boris.session)),
      ms_store_get_peer_id (ms_session_get_store (vera.session)),
    };

    for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
      for (guint j = i + 1; j < G_N_ELEMENTS (ids); j++)
        g_assert_cmpstr (ids[i], !=, ids[j]);
  }
  g_assert_true (test_app_connected (anna));
  g_assert_cmpint (status_of (boris.session), ==, MS_CONNECT_STATUS_CONNECTED);
  g_assert_cmpint (status_of (vera.session), ==, MS_CONNECT_STATUS_CONNECTED);

  /* The host's Leave asks first: it ends the call for everyone. Staying
   * keeps it; ending it shows the page that says so, and the guests
   * lose the call. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "leave", NULL);
  WAIT_UNTIL (ms_window_get_question (window) != NULL);
  g_assert_cmpstr (adw_message_dialog_get_heading (ms_window_get_question (window)), ==,
                   _("End the Call for Everyone?"));
  adw_message_dialog_response (ms_window_get_question (window), "cancel");
  g_assert_true (test_app_connected (window));
  g_action_group_activate_action (G_ACTION_GROUP (window), "leave", NULL);
  WAIT_UNTIL (ms_window_get_question (window) != NULL);
  adw_message_dialog_response (ms_window_get_question (window), "end");
  g_assert_cmpstr (ms_window_get_page (window), ==, "ended");
  g_assert_false (gtk_widget_get_visible (ms_window_get_part (window, "rejoin_button")));
  g_assert_null (ms_window_get_host (window));
  WAIT_UNTIL (!test_app_connected (anna));

  guest_clear (&boris);
  guest_clear (&vera);
  gtk_window_destroy (GTK_WINDOW (anna));
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
on_revoked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (ms_host_revoke_invite_finish (MS_HOST (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

/* Opens @link in @window and waits for the refusal on the join page. */
static void
assert_refused (MsWindow   *window,
                const char *link,
                const char *message)
{
  open_and_join (window, link);
  WAIT_UNTIL (g_strcmp0 (join_description (window), _("Joining…")) != 0);
  g_assert_cmpstr (join_description (window), ==, message);
  g_assert_cmpstr (ms_window_get_page (window), ==, "join");
  g_assert_null (ms_window_get_session (window));
}

/* A withdrawn code, an expired one and an unknown one are refused, and
 * the join page says which. */
static void
test_refused (void)
{
  MsWindow *window = host_window (FALSE);
  MsWindow *guest = ms_window_new (NULL);
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (GUri) uri = g_uri_parse (test_server_get_url (server), G_URI_FLAGS_NONE, NULL);
  g_autoptr (JsonNode) created = NULL;
  g_autofree char *invite = g_strdup (ms_window_get_invite (window));
  g_autofree char *answer = NULL;
  g_autofree char *expired = NULL;
  g_autofree char *unknown = NULL;
  gboolean revoked = FALSE;
  guint status = 0;
  gint64 expires;

  gtk_window_present (GTK_WINDOW (guest));
  ms_host_revoke_invite (ms_window_get_host (window), NULL, on_revoked, &revoked);
  WAIT_UNTIL (revoked);
  g_assert_null (ms_window_get_invite (window));
  assert_refused (guest, invite, _("This invitation was withdrawn by the host"));

  /* A code that lives one second, on a server of the test's own. */
  answer = test_server_http (server, "POST", "/v1/invitations", MS_DEV_SECRET,
                             "{\"room\":\"r\",\"ttl\":1}", &status);
  g_assert_cmpuint (status, ==, 201);
  created = json_from_string (answer, NULL);
  expires = json_object_get_int_member (json_node_get_object (created), "expires");
  expired = ms_invite_build_code (g_uri_get_host (uri), g_uri_get_port (uri),
                                  json_object_get_string_member (json_node_get_object (created),
                                                                 "code"));
  /* Bounded by the timeout: the second has to pass. */
  WAIT_UNTIL (g_get_real_time () / G_USEC_PER_SEC > expires);
  assert_refused (guest, expired, _("This invitation has expired: ask for a new one"));

  unknown = ms_invite_build_code (g_uri_get_host (uri), g_uri_get_port (uri), "zzz-zzzz-zzz");
  assert_refused (guest, unknown,
                  _("There is no such invitation: check the link, or ask for a new one"));

  gtk_window_destroy (GTK_WINDOW (guest));
  gtk_window_destroy (GTK_WINDOW (window));
  test_server_stop (server);
}

static const char *
peer_id (MsWindow *window)
{
  MsSession *session = ms_window_get_session (window);

  return session ? ms_store_get_peer_id (ms_session_get_store (session)) : NULL;
}

static void
on_restarted (MsHost *host,
              gint64 *when)
{
  *when = g_get_monotonic_time ();
}

static void
on_failed (MsHost  *host,
           GError  *error,
           GError **failed)
{
  g_assert_null (*failed);
  *failed = g_error_copy (error);
}

/* The host's server is killed: a new one runs within 3 s on the same
 * port, with the same code, and the call goes on, the demo bot too. Killed three times in
 * a row, it ends the call. */
/* The participants list of @window: the names on rows with a host badge,
 * comma-separated, and in *@n_rows how many rows there are. */
static void
collect_badges (GtkWidget *widget,
                GString   *badged,
                guint     *n_rows)
{
  if (MS_IS_PERSON_ROW (widget)) {
    (*n_rows)++;
    if (ms_person_row_get_host (MS_PERSON_ROW (widget))) {
      if (badged->len > 0)
        g_string_append_c (badged, ',');
      g_string_append (badged, ms_person_row_get_name (MS_PERSON_ROW (widget)));
    }
    return;
  }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_badges (child, badged, n_rows);
}

static gboolean
badges_are (MsWindow   *window,
            const char *expected,
            guint       expected_rows)
{
  g_autoptr (GString) badged = g_string_new (NULL);
  guint n_rows = 0;

  collect_badges (GTK_WIDGET (window), badged, &n_rows);
  return n_rows == expected_rows && g_strcmp0 (badged->str, expected) == 0;
}

/* The host badge in the participants list: the server tells the guests
 * who hosts the call (the host's token has the host grant), so the
 * guest's list badges the host's row and not its own. */
static void
test_host_badge (void)
{
  MsWindow *window = host_window (FALSE);
  MsWindow *guest = ms_window_new (NULL);
  g_autofree char *invite = g_strdup (ms_window_get_invite (window));
  g_autofree char *host_self = g_strdup_printf (_("%s (You)"), "Хозяйка");
  MsStore *guest_store;
  MsPeer *seen_host;

  g_assert_true (ms_store_get_host (ms_session_get_store (ms_window_get_session (window))));
  gtk_window_present (GTK_WINDOW (guest));
  type_name (guest, "Гость");
  open_and_join (guest, invite);
  WAIT_UNTIL (test_app_connected (guest) && sees (ms_window_get_session (window), "Гость") &&
              sees (ms_window_get_session (guest), "Хозяйка"));

  /* In libmediastore: the guest's store knows the host, and is none. */
  guest_store = ms_session_get_store (ms_window_get_session (guest));
  g_assert_false (ms_store_get_host (guest_store));
  seen_host = g_list_model_get_item (ms_store_get_peers (guest_store), 0);
  g_assert_true (ms_peer_get_host (seen_host));
  g_object_unref (seen_host);

  /* On screen: the badge on the host's row only, in both windows. */
  WAIT_UNTIL (badges_are (guest, "Хозяйка", 2));
  WAIT_UNTIL (badges_are (window, host_self, 2));

  gtk_window_destroy (GTK_WINDOW (guest));
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_server_killed (void)
{
  /* With the demo bot, which has to stay through the restart too. */
  MsWindow *window = host_window_full (FALSE, TRUE);
  MsWindow *guest = ms_window_new (NULL);
  /* Ours: the window lets go of it when the call ends. */
  g_autoptr (MsHost) host = g_object_ref (ms_window_get_host (window));
  g_autofree char *invite = g_strdup (ms_window_get_invite (window));
  g_autofree char *everyone = expect_names ("Гость", _("Demo Bot"), NULL);
  g_autofree char *later = expect_names ("Гость", "Поздний", _("Demo Bot"), NULL);
  g_autofree char *for_guest = expect_names ("Хозяйка", _("Demo Bot"), NULL);
  g_autofree char *host_id = NULL;
  g_autofree char *guest_id = NULL;
  g_autoptr (GError) failed = NULL;
  Guest late = { 0 };
  gint64 restarted = 0;
  gint64 killed;
  GPid pid;

  gtk_window_present (GTK_WINDOW (guest));
  type_name (guest, "Гость");
  open_and_join (guest, invite);
  WAIT_UNTIL (test_app_connected (guest) && sees (ms_window_get_session (window), everyone));

  g_signal_connect (host, "server-restarted", G_CALLBACK (on_restarted), &restarted);
  g_signal_connect (host, "server-failed", G_CALLBACK (on_failed), &failed);
  pid = ms_host_get_server_pid (host);
  g_assert_cmpint (pid, >, 0);
  host_id = g_strdup (peer_id (window));
  guest_id = g_strdup (peer_id (guest));
  killed = g_get_monotonic_time ();
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  WAIT_UNTIL (restarted != 0 || failed != NULL);
  g_assert_no_error (failed);
  g_test_message ("restarted in %" G_GINT64_FORMAT " ms", (restarted - killed) / 1000);
  g_assert_cmpint (restarted - killed, <, 3 * G_USEC_PER_SEC * test_timeout_scale ());
  g_assert_cmpint (ms_host_get_server_pid (host), >, 0);
  g_assert_cmpint (ms_host_get_server_pid (host), !=, pid);
  g_assert_cmpstr (ms_window_get_invite (window), ==, invite);

  /* Both back in the call, by themselves (as new peers of the new
   * server), seeing each other. */
  WAIT_UNTIL (test_app_connected (window) && test_app_connected (guest) &&
              g_strcmp0 (peer_id (window), host_id) != 0 &&
              g_strcmp0 (peer_id (guest), guest_id) != 0 &&
              sees (ms_window_get_session (window), everyone) &&
              sees (ms_window_get_session (guest), for_guest));

  /* The same link lets someone new in. */
  guest_redeem (&late, invite, "Поздний");
  WAIT_UNTIL (late.connect.done || late.error != NULL);
  g_assert_no_error (late.error);
  g_assert_no_error (late.connect.error);
  WAIT_UNTIL (sees (ms_window_get_session (window), later));
  guest_clear (&late);
  g_assert_null (failed);

  /* Two more deaths within 30 s: the call is over. */
  restarted = 0;
  g_assert_cmpint (kill (ms_host_get_server_pid (host), SIGKILL), ==, 0);
  WAIT_UNTIL (restarted != 0);
  g_assert_cmpint (kill (ms_host_get_server_pid (host), SIGKILL), ==, 0);
  WAIT_UNTIL (failed != NULL);
  g_assert_error (failed, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpint (ms_host_get_server_pid (host), ==, 0);
  /* The host's window says the call is over. */
  g_assert_cmpstr (ms_window_get_page (window), ==, "ended");
  g_assert_null (ms_window_get_session (window));

  gtk_window_destroy (GTK_WINDOW (guest));
  gtk_window_destroy (GTK_WINDOW (window));
}

static guint16
invite_port (const char *link)
{
  g_autoptr (MsInviteLink) parsed = ms_invite_link_parse (link, NULL);
  g_autoptr (GUri) uri = g_uri_parse (parsed->url, G_URI_FLAGS_NONE, NULL);

  return g_uri_get_port (uri);
}

/* Whether this computer has an IPv4 address other than loopback. */
static gboolean
has_lan_address (void)
{
  struct ifaddrs *addrs = NULL;
  gboolean found = FALSE;

  g_assert_cmpint (getifaddrs (&addrs), ==, 0);
  for (struct ifaddrs *a = addrs; a != NULL; a = a->ifa_next)
    found |= a->ifa_addr != NULL && a->ifa_addr->sa_family == AF_INET &&
             (ntohl (((struct sockaddr_in *) a->ifa_addr)->sin_addr.s_addr) >> 24) != 127;
  freeifaddrs (addrs);

  return found;
}

static gboolean
settled (MsHost   *host,
         gboolean  on_network)
{
  return ms_host_get_on_network (host) == on_network && !ms_host_get_busy (host) &&
         ms_host_get_server_pid (host) != 0;
}

static gboolean
action_on (MsWindow *window)
{
  g_autoptr (GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                                "host-on-network");

  return g_variant_get_boolean (state);
}

/* Opening the call to the network mid-call: the server restarts on the
 * same port on every address, both stay in the call, the link changes. */
static void
test_network_switch (void)
{
  MsWindow *window = host_window (FALSE);
  MsWindow *guest = ms_window_new (NULL);
  MsHost *host = ms_window_get_host (window);
  g_autofree char *invite = g_strdup (ms_window_get_invite (window));
  g_autofree char *code = g_strdup (ms_host_get_code (host));
  guint16 port = invite_port (invite);
  GPid pid = ms_host_get_server_pid (host);

  gtk_window_present (GTK_WINDOW (guest));
  type_name (guest, "Гость");
  open_and_join (guest, invite);
  WAIT_UNTIL (test_app_connected (guest) && sees (ms_window_get_session (window), "Гость"));
  g_assert_false (test_app_accepts ("127.0.0.2", port));

  g_action_group_change_action_state (G_ACTION_GROUP (window), "host-on-network",
                                      g_variant_new_boolean (TRUE));
  /* Switched back while it restarts: refused, and the switch says so. */
  g_assert_true (ms_host_get_busy (host));
  g_action_group_change_action_state (G_ACTION_GROUP (window), "host-on-network",
                                      g_variant_new_boolean (FALSE));
  WAIT_UNTIL (action_on (window));
  WAIT_UNTIL (settled (host, TRUE));
  g_assert_true (action_on (window));
  g_assert_true (g_settings_get_boolean (ms_media_get_settings (), "host-on-network"));
  g_assert_cmpint (ms_host_get_server_pid (host), !=, pid);
  g_assert_cmpstr (ms_host_get_code (host), ==, code);
  g_test_message ("open to the network: %s", ms_window_get_invite (window));
  g_assert_cmpuint (invite_port (ms_window_get_invite (window)), ==, port);
  g_assert_true (test_app_accepts ("127.0.0.2", port));
  /* The link names an address others reach, if this computer has one. */
  if (has_lan_address ()) {
    g_assert_cmpstr (ms_window_get_invite (window), !=, invite);
    g_assert_false (g_str_has_prefix (ms_window_get_invite (window), "mediastore://127."));
  }

  WAIT_UNTIL (test_app_connected (window) && test_app_connected (guest) &&
              sees (ms_window_get_session (window), "Гость") &&
              sees (ms_window_get_session (guest), "Хозяйка"));

  /* And back to this computer only. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "host-on-network",
                                      g_variant_new_boolean (FALSE));
  WAIT_UNTIL (settled (host, FALSE));
  g_assert_cmpstr (ms_window_get_invite (window), ==, invite);
  g_assert_false (test_app_accepts ("127.0.0.2", port));
  WAIT_UNTIL (test_app_connected (window) && test_app_connected (guest) &&
              sees (ms_window_get_session (window), "Гость"));

  g_settings_reset (ms_media_get_settings (), "host-on-network");
  gtk_window_destroy (GTK_WINDOW (guest));
  gtk_window_destroy (GTK_WINDOW (window));
}

static MsInviteDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++) {
    g_autoptr (GObject) toplevel = g_list_model_get_item (toplevels, i);

    if (MS_IS_INVITE_DIALOG (toplevel))
      return MS_INVITE_DIALOG (toplevel);
  }

  return NULL;
}

static gboolean
inside (GtkWidget *widget,
        GtkWidget *window)
{
  graphene_rect_t bounds;

  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0 &&
         gtk_widget_compute_bounds (widget, window, &bounds) &&
         bounds.origin.x >= 0 && bounds.origin.y >= 0 &&
         bounds.origin.x + bounds.size.width <= gtk_widget_get_width (window) &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (window);
}

/* The dialog at its natural size fits a 1366x768 screen, with @widget
 * inside it. */
static void
assert_fits (MsInviteDialog *dialog,
             GtkWidget      *widget)
{
  int width = 0;
  int height = 0;
  int min_for_width = 0;

  gtk_widget_measure (GTK_WIDGET (dialog), GTK_ORIENTATION_HORIZONTAL, -1, NULL, &width, NULL,
                      NULL);
  gtk_widget_measure (GTK_WIDGET (dialog), GTK_ORIENTATION_VERTICAL, width, &min_for_width,
                      &height, NULL, NULL);
  g_test_message ("invite dialog %dx%d", width, height);
  g_assert_cmpint (width, <=, 1366);
  g_assert_cmpint (height, <=, 768);

  /* Once the window took its new size, if it just changed. */
  WAIT_UNTIL (inside (widget, GTK_WIDGET (dialog)));
}

static void
on_clipboard_text (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  char **text = user_data;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  if (*text == NULL)
    *text = g_strdup ("");
}

static void
on_renew_redeemed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GError **error = user_data;
  g_autofree char *token = ms_invite_redeem_finish (result, NULL, NULL, error);

  g_assert_null (token);
}

/* The invite dialog, in Russian: small, its buttons inside it; a QR code
 * only once the call is open to the network, from the dialog's own
 * switch; Copy puts the link on the clipboard; New Link withdraws the
 * old one. */
static void
test_invite_dialog (void)
{
  MsWindow *window = host_window (FALSE);
  MsHost *host = ms_window_get_host (window);
  g_autofree char *old_invite = g_strdup (ms_window_get_invite (window));
  g_autofree char *copied = NULL;
  g_autoptr (MsInviteLink) old = ms_invite_link_parse (old_invite, NULL);
  g_autoptr (GError) error = NULL;
  MsInviteDialog *dialog;

  g_assert_cmpstr (_("Invite Others"), !=, "Invite Others");   /* in Russian */
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-invite", NULL);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (ms_invite_dialog_get_link (dialog), ==, old_invite);
  g_assert_false (gtk_widget_get_visible (ms_invite_dialog_get_qr_code (dialog)));
  g_assert_cmpstr (ms_invite_dialog_get_explanation (dialog), ==,
                   _("Only this computer can join with this link. To invite others, open the "
                     "call to the local network."));
  assert_fits (dialog, ms_invite_dialog_get_renew_button (dialog));
  assert_fits (dialog, ms_invite_dialog_get_copy_button (dialog));

  /* Open to the network from the dialog: the window's setting follows. */
  gtk_switch_set_active (GTK_SWITCH (ms_invite_dialog_get_network_switch (dialog)), TRUE);
  g_assert_true (ms_host_get_busy (host));
  g_assert_false (gtk_widget_get_sensitive (ms_invite_dialog_get_network_switch (dialog)));
  WAIT_UNTIL (settled (host, TRUE));
  g_assert_true (g_settings_get_boolean (ms_media_get_settings (), "host-on-network"));
  g_assert_cmpstr (ms_invite_dialog_get_link (dialog), ==, ms_window_get_invite (window));
  if (has_lan_address ())
    g_assert_cmpstr (ms_invite_dialog_get_link (dialog), !=, old_invite);
  g_assert_true (gtk_widget_get_visible (ms_invite_dialog_get_qr_code (dialog)));
  g_assert_true (gtk_widget_get_sensitive (ms_invite_dialog_get_network_switch (dialog)));
  assert_fits (dialog, ms_invite_dialog_get_qr_code (dialog));
  assert_fits (dialog, ms_invite_dialog_get_renew_button (dialog));
  g_assert_cmpint (gtk_widget_get_height (ms_invite_dialog_get_qr_code (dialog)), <=, 240);
  WAIT_UNTIL (test_app_connected (window));
  test_screenshot (GTK_WIDGET (dialog), "app-invite.png");

  /* Copy. */
  g_signal_emit_by_name (ms_invite_dialog_get_copy_button (dialog), "clicked");
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (dialog)), NULL,
                                 on_clipboard_text, &copied);
  WAIT_UNTIL (copied != NULL);
  g_assert_cmpstr (copied, ==, ms_window_get_invite (window));

  /* A new link: the old code is withdrawn. */
  g_signal_emit_by_name (ms_invite_dialog_get_renew_button (dialog), "clicked");
  WAIT_UNTIL (ms_host_get_code (host) != NULL &&
              g_strcmp0 (ms_host_get_code (host), old->code) != 0);
  g_assert_cmpstr (ms_invite_dialog_get_link (dialog), ==, ms_window_get_invite (window));
  ms_invite_redeem_async (old->url, old->code, "Ann", NULL, on_renew_redeemed, &error);
  WAIT_UNTIL (error != NULL);
  g_assert_error (error, MS_INVITE_ERROR, MS_INVITE_ERROR_REVOKED);

  g_settings_reset (ms_media_get_settings (), "host-on-network");
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_null (find_dialog ());
}

int
main (int   argc,
      char *argv[])
{
  /* In Russian, from the build tree's translations: the longest strings
   * the dialog has to fit. */
  g_setenv ("LANGUAGE", "ru", TRUE);
  setlocale (LC_ALL, "");
  /* libmediastore binds the installed catalogues as its store class
   * comes up: first that, then the build tree's. */
  g_type_class_unref (g_type_class_ref (MS_TYPE_STORE));
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("MEDIASTORE_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (test_app_init (&argc, &argv, TRUE, "/app-host")) {
    g_test_add_func ("/app-host/three-guests", test_three_guests);
    g_test_add_func ("/app-host/refused", test_refused);
    g_test_add_func ("/app-host/host-badge", test_host_badge);
    g_test_add_func ("/app-host/server-killed", test_server_killed);
    g_test_add_func ("/app-host/network-switch", test_network_switch);
    g_test_add_func ("/app-host/invite-dialog", test_invite_dialog);
  }

  return g_test_run ();
}
