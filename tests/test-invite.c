/* test-invite.c: invitation links, both spellings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "ms-invite.h"

static void
test_app_scheme (void)
{
  g_autofree char *url = NULL;
  g_autofree char *room = NULL;
  g_autofree char *token = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (ms_invite_parse ("  mediastore://calls.example.org:7880/standup?token=a.b.c\n",
                                  &url, &room, &token, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, "ws://calls.example.org:7880/v1/ws");
  g_assert_cmpstr (room, ==, "standup");
  g_assert_cmpstr (token, ==, "a.b.c");
}

static void
test_web_link (void)
{
  g_autofree char *url = NULL;
  g_autofree char *room = NULL;
  g_autofree char *token = NULL;

  g_assert_true (ms_invite_parse ("https://meet.example.org/join/team%20a?lang=ru&token=x.y.z",
                                  &url, &room, &token, NULL));
  g_assert_cmpstr (url, ==, "wss://meet.example.org/v1/ws");
  g_assert_cmpstr (room, ==, "team a");
  g_assert_cmpstr (token, ==, "x.y.z");
}

static void
test_round_trip (void)
{
  g_autofree char *link = ms_invite_build ("192.168.1.20", 7880, "r:1", "h.p.s");
  g_autofree char *url = NULL;
  g_autofree char *room = NULL;
  g_autofree char *token = NULL;

  g_assert_true (g_str_has_prefix (link, "mediastore://192.168.1.20:7880/"));
  g_assert_true (ms_invite_parse (link, &url, &room, &token, NULL));
  g_assert_cmpstr (url, ==, "ws://192.168.1.20:7880/v1/ws");
  g_assert_cmpstr (room, ==, "r:1");
  g_assert_cmpstr (token, ==, "h.p.s");
}

static void
test_bad_links (void)
{
  static const char * const bad[] = {
    "", "hello", "mediastore://", "mediastore://host:1/", "mediastore://host:1/room",
    "mediastore://host:1/room?token=", "mediastore://host:1/a/b?token=t",
    "https://host/room?token=t", "https://host/join/?token=t", "ftp://host/join/r?token=t",
    "http://host/join/r?token=t",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;

    g_test_message ("%s", bad[i]);
    g_assert_false (ms_invite_parse (bad[i], NULL, NULL, NULL, &error));
    g_assert_error (error, MS_INVITE_ERROR, MS_INVITE_ERROR_INVALID);
  }
}

/* An unsigned token whose payload is @json: the name is only read. */
static char *
token_with_payload (const char *json)
{
  g_autofree char *payload = g_base64_encode ((const guchar *) json, strlen (json));

  g_strdelimit (payload, "+", '-');
  g_strdelimit (payload, "/", '_');
  if (strchr (payload, '=') != NULL)
    *strchr (payload, '=') = '\0';

  return g_strconcat ("eyJhbGciOiJIUzI1NiJ9.", payload, ".sig", NULL);
}

static void
test_token_name (void)
{
  g_autofree char *token = token_with_payload ("{\"name\":\"Анна\",\"room\":\"r\"}");
  g_autofree char *name = ms_invite_token_name (token);
  g_autofree char *deep = g_strnfill (1000000, '[');
  g_autofree char *deep_token = token_with_payload (deep);

  g_assert_cmpstr (name, ==, "Анна");

  /* A link is someone else's input: nesting that would overflow
   * json-glib's stack is refused before it parses. */
  g_assert_null (ms_invite_token_name (deep_token));

  g_assert_null (ms_invite_token_name ("not-a-token"));
  g_assert_null (ms_invite_token_name ("a.!!!.c"));
  g_assert_null (ms_invite_token_name (NULL));
}


/* Short links: a code, no token, in both spellings. */
static void
test_short_links (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsInviteLink) app =
    ms_invite_link_parse (" mediastore://192.168.1.20:7880/abc-defg-hij\n", &error);
  g_autoptr (MsInviteLink) web = NULL;
  g_autoptr (MsInviteLink) token = NULL;
  g_autofree char *built = NULL;
  g_autofree char *url = NULL;
  g_autofree char *room = NULL;
  g_autofree char *no_token = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (app);
  g_assert_cmpstr (app->url, ==, "ws://192.168.1.20:7880/v1/ws");
  g_assert_cmpstr (app->code, ==, "abc-defg-hij");
  g_assert_null (app->room);
  g_assert_null (app->token);

  web = ms_invite_link_parse ("https://meet.example.org/join/ABCDEFGHIJ", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (web->url, ==, "wss://meet.example.org/v1/ws");
  g_assert_cmpstr (web->code, ==, "abc-defg-hij");
  g_clear_pointer (&web, ms_invite_link_free);
  web = ms_invite_link_parse ("https://meet.example.org:8443/join/abc-defg-hij", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (web->url, ==, "wss://meet.example.org:8443/v1/ws");
  g_assert_cmpstr (web->code, ==, "abc-defg-hij");

  /* A token link is still one, even if its room looks like a code. */
  token = ms_invite_link_parse ("mediastore://h:1/abcdefghij?token=a.b.c", &error);
  g_assert_no_error (error);
  g_assert_null (token->code);
  g_assert_cmpstr (token->room, ==, "abcdefghij");
  g_assert_cmpstr (token->token, ==, "a.b.c");

  /* Built, and read back; the old parser reads it too, without a token. */
  built = ms_invite_build_code ("10.0.0.5", 40123, "XYZ-ABCD-EFG");
  g_assert_cmpstr (built, ==, "mediastore://10.0.0.5:40123/xyz-abcd-efg");
  g_assert_true (ms_invite_parse (built, &url, &room, &no_token, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, "ws://10.0.0.5:40123/v1/ws");
  g_assert_null (room);
  g_assert_null (no_token);
}

static void
test_codes (void)
{
  static const struct {
    const char *in;
    const char *out;
  } codes[] = {
    { "abc-defg-hij", "abc-defg-hij" },
    { "abcdefghij", "abc-defg-hij" },
    { "ABC-DEFG-HIJ", "abc-defg-hij" },
    { "a-b-c-d-e-f-g-h-i-j", "abc-defg-hij" },
    { "abcd-efg-hij", "abc-defg-hij" },
    { "", NULL },
    { "abc-defg-hi", NULL },          /* too short */
    { "abc-defg-hijk", NULL },        /* too long */
    { "abc-defg-hi1", NULL },         /* not a letter */
    { "abc defg hij", NULL },
    { "abc-dëfg-hij", NULL },
    { "../../v1/tok", NULL },
    { "abc-defg-hij?x", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++) {
    g_autofree char *normal = ms_invite_normalize_code (codes[i].in);

    g_test_message ("%s", codes[i].in);
    g_assert_cmpstr (normal, ==, codes[i].out);
  }
  g_assert_null (ms_invite_normalize_code (NULL));
}

static void
test_bad_codes (void)
{
  static const char * const bad[] = {
    "mediastore://host:1/abc-defg-hi", "mediastore://host:1/abc-defg-hij1",
    "mediastore://host:1/abc-defg-hij/", "mediastore://host:1/x/abc-defg-hij",
    "https://host/join/abc-defg-h1j", "https://host/abc-defg-hij", "http://host/join/abc-defg-hij",
    "mediastore://host:1/abc%2Fdefg-hij", "mediastore:///abc-defg-hij",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;

    g_test_message ("%s", bad[i]);
    g_assert_null (ms_invite_link_parse (bad[i], &error));
    g_assert_error (error, MS_INVITE_ERROR, MS_INVITE_ERROR_INVALID);
  }
}

static void
test_http_base (void)
{
  g_autofree char *ws = ms_invite_http_base ("ws://127.0.0.1:7880/v1/ws");
  g_autofree char *wss = ms_invite_http_base ("wss://meet.example.org/v1/ws");

  g_assert_cmpstr (ws, ==, "http://127.0.0.1:7880");
  g_assert_cmpstr (wss, ==, "https://meet.example.org");
  g_assert_null (ms_invite_http_base ("ftp://h/"));
  g_assert_null (ms_invite_http_base ("nonsense"));
  g_assert_null (ms_invite_http_base (NULL));
}

static void
on_redeemed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GError **error = user_data;
  g_autofree char *token = ms_invite_redeem_finish (result, NULL, NULL, error);

  g_assert_null (token);
  g_assert_nonnull (*error);
}

/* Nothing listens there: the user is told the server is out of reach;
 * a bad code never goes out. */
static void
test_redeem_unreachable (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;

  /* A port of our own that nothing listens on: bound, not listening. */
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("ws://127.0.0.1:%u/v1/ws",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  ms_invite_redeem_async (url, "abc-defg-hij", "Ann", NULL, on_redeemed, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, MS_INVITE_ERROR, MS_INVITE_ERROR_UNREACHABLE);
  g_clear_error (&error);

  ms_invite_redeem_async (url, "not a code", "Ann", NULL, on_redeemed, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, MS_INVITE_ERROR, MS_INVITE_ERROR_INVALID);
}

/* ---- what a server may answer to a redeem ---- */

/* Answers for a code, from an HTTP server of the test's own standing for
 * any server a link may point at (this is someone else's input). */
static const struct {
  const char *code;
  guint       status;
  const char *body;
  int         error;     /* MsInviteError, or -1 for a token */
} answers[] = {
  { "aaa-aaaa-aaa", 200, "not json", MS_INVITE_ERROR_FAILED },
  { "bbb-bbbb-bbb", 200, NULL /* nested a million deep */, MS_INVITE_ERROR_FAILED },
  { "ccc-cccc-ccc", 410, "{\"error\":\"invitation-revoked\",\"message\":\"x\"}",
    MS_INVITE_ERROR_REVOKED },
  { "ddd-dddd-ddd", 410, "{\"error\":\"invitation-expired\"}", MS_INVITE_ERROR_EXPIRED },
  { "eee-eeee-eee", 429, "", MS_INVITE_ERROR_RATE_LIMITED },
  { "fff-ffff-fff", 404, "{\"error\":\"invitation-unknown\"}", MS_INVITE_ERROR_UNKNOWN },
  { "ggg-gggg-ggg", 500, "{\"message\":\"boom\"}", MS_INVITE_ERROR_FAILED },
  { "hhh-hhhh-hhh", 200, "{\"token\":5}", MS_INVITE_ERROR_FAILED },
  { "iii-iiii-iii", 200, "[\"token\"]", MS_INVITE_ERROR_FAILED },
  { "jjj-jjjj-jjj", 200, "{\"token\":\"t.o.k\",\"room\":\"r\",\"identity\":\"guest-1\"}", -1 },
};

static void
serve_redeem (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  char **names = user_data;
  SoupMessageBody *request = soup_server_message_get_request_body (msg);

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++) {
    g_autofree char *expected = g_strdup_printf ("/v1/invitations/%s/redeem", answers[i].code);
    g_autofree char *body = NULL;

    if (!g_str_equal (path, expected))
      continue;
    names[i] = g_strndup (request->data, request->length);
    body = answers[i].body ? g_strdup (answers[i].body) : g_strnfill (1000000, '[');
    soup_server_message_set_status (msg, answers[i].status, NULL);
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body,
                                      strlen (body));
    return;
  }
  soup_server_message_set_status (msg, 404, NULL);
}

typedef struct {
  gboolean  done;
  char     *token;
  char     *room;
  char     *identity;
  GError   *error;
} Redeem;

static void
on_redeem_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Redeem *redeem = user_data;

  redeem->token = ms_invite_redeem_finish (result, &redeem->room, &redeem->identity,
                                           &redeem->error);
  redeem->done = TRUE;
}

static void
test_redeem_answers (void)
{
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  char *requests[G_N_ELEMENTS (answers)] = { NULL };
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GSocketAddress) loopback = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr (GSocketAddress) bound = NULL;

  soup_server_add_handler (server, NULL, serve_redeem, requests, NULL);
  /* A socket of our own: libsoup 3.2 leaks the address that
   * soup_server_listen_local() and soup_server_get_uris() look up. */
  g_assert_true (g_socket_bind (socket, loopback, TRUE, &error));
  g_assert_true (g_socket_listen (socket, &error));
  g_assert_true (soup_server_listen_socket (server, socket, 0, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("ws://127.0.0.1:%u/v1/ws",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++) {
    Redeem redeem = { 0 };
    /* Without dashes and in capitals: the same code. */
    g_autofree char *typed = g_ascii_strup (answers[i].code, -1);

    g_test_message ("%s", answers[i].code);
    ms_invite_redeem_async (url, typed, i % 2 ? "Анна" : NULL, NULL, on_redeem_done, &redeem);
    while (!redeem.done)
      g_main_context_iteration (NULL, TRUE);

    if (answers[i].error < 0) {
      g_assert_no_error (redeem.error);
      g_assert_cmpstr (redeem.token, ==, "t.o.k");
      g_assert_cmpstr (redeem.room, ==, "r");
      g_assert_cmpstr (redeem.identity, ==, "guest-1");
    } else {
      g_assert_error (redeem.error, MS_INVITE_ERROR, answers[i].error);
      g_assert_null (redeem.token);
      g_assert_true (g_utf8_validate (redeem.error->message, -1, NULL));
    }
    /* The name goes with the request, when there is one. */
    g_assert_cmpstr (requests[i], ==, i % 2 ? "{\"name\":\"Анна\"}" : "{}");

    g_free (redeem.token);
    g_free (redeem.room);
    g_free (redeem.identity);
    g_clear_error (&redeem.error);
    g_free (requests[i]);
  }
  soup_server_disconnect (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/invite/app-scheme", test_app_scheme);
  g_test_add_func ("/invite/web-link", test_web_link);
  g_test_add_func ("/invite/round-trip", test_round_trip);
  g_test_add_func ("/invite/bad-links", test_bad_links);
  g_test_add_func ("/invite/token-name", test_token_name);
  g_test_add_func ("/invite/short-links", test_short_links);
  g_test_add_func ("/invite/codes", test_codes);
  g_test_add_func ("/invite/bad-codes", test_bad_codes);
  g_test_add_func ("/invite/http-base", test_http_base);
  g_test_add_func ("/invite/redeem-unreachable", test_redeem_unreachable);
  g_test_add_func ("/invite/redeem-answers", test_redeem_answers);

  return g_test_run ();
}
