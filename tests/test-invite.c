/* test-invite.c: invitation links, both spellings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

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

  return g_test_run ();
}
