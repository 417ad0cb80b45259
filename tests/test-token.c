/* test-token.c: minting and verifying tokens, and `mediastore-server token`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Refused tokens are crafted here by hand, signed with GLib's own HMAC
 * rather than libjwt, so that the tests do not share a blind spot with the
 * code under test. Verification runs at a fixed NOW; only the command-line
 * tests use the real clock.
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ms-token.h"

#define NOW G_GINT64_CONSTANT (1700000000)
#define OTHER_SECRET "another-secret-that-is-at-least-32-bytes-long"
#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
/* Everything a token may carry, valid from NOW for an hour. */
#define BASE_PAYLOAD \
  "{\"iss\":\"dev\",\"sub\":\"alice\",\"room\":\"r\",\"name\":\"Alice\",\"avatar\":null," \
  "\"iat\":1700000000,\"exp\":1700003600," \
  "\"grants\":{\"send_tracks\":[\"camera\"],\"recv_tracks\":[\"*\"],\"send_messages\":[]," \
  "\"recv_messages\":[\"*\"],\"can_hide\":false,\"hidden\":false}}"

typedef struct {
  MsKeyring *keyring;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  fixture->keyring = ms_keyring_new ();
  ms_keyring_add (fixture->keyring, MS_DEV_KEY_ID, MS_DEV_SECRET, &error);
  g_assert_no_error (error);
  ms_keyring_add (fixture->keyring, "other", OTHER_SECRET, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->keyring, ms_keyring_unref);
}

static char *
base64url (const void *data,
           gsize       length)
{
  char *text = g_base64_encode (data, length);
  char *padding = strchr (text, '=');

  if (padding != NULL)
    *padding = '\0';
  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '_');

  return text;
}

static char *
base64url_decode (const char *text)
{
  g_autoptr (GString) standard = g_string_new (text);
  gsize length;
  guchar *data;

  g_strdelimit (standard->str, "-", '+');
  g_strdelimit (standard->str, "_", '/');
  while (standard->len % 4 != 0)
    g_string_append_c (standard, '=');

  data = g_base64_decode (standard->str, &length);
  data = g_realloc (data, length + 1);
  data[length] = '\0';

  return (char *) data;
}

/* header.payload.signature, signed with @hmac_type and @secret, or with an
 * empty signature when @secret is NULL. */
static char *
craft_token (const char    *header,
             const char    *payload,
             GChecksumType  hmac_type,
             const char    *secret)
{
  g_autofree char *encoded_header = base64url (header, strlen (header));
  g_autofree char *encoded_payload = base64url (payload, strlen (payload));
  g_autofree char *input = g_strdup_printf ("%s.%s", encoded_header, encoded_payload);
  g_autofree char *signature = NULL;

  if (secret != NULL) {
    g_autoptr (GHmac) hmac = g_hmac_new (hmac_type, (const guchar *) secret, strlen (secret));
    guint8 digest[64];
    gsize length = sizeof digest;

    g_hmac_update (hmac, (const guchar *) input, -1);
    g_hmac_get_digest (hmac, digest, &length);
    signature = base64url (digest, length);
  } else {
    signature = g_strdup ("");
  }

  return g_strdup_printf ("%s.%s", input, signature);
}

static char *
sign (const char *payload)
{
  return craft_token (HS256_HEADER, payload, G_CHECKSUM_SHA256, MS_DEV_SECRET);
}

/* BASE_PAYLOAD with @member ("exp", or "grants.hidden") set to the JSON
 * @value, or removed when @value is NULL. */
static char *
edit_payload (const char *member,
              const char *value)
{
  g_autoptr (JsonNode) root = json_from_string (BASE_PAYLOAD, NULL);
  JsonObject *object = json_node_get_object (root);
  const char *dot = strchr (member, '.');

  if (dot != NULL) {
    g_autofree char *parent = g_strndup (member, dot - member);

    object = json_object_get_object_member (object, parent);
    member = dot + 1;
  }

  if (value == NULL) {
    json_object_remove_member (object, member);
  } else {
    g_autoptr (GError) error = NULL;
    JsonNode *node = json_from_string (value, &error);

    g_assert_no_error (error);
    json_object_set_member (object, member, node);
  }

  return json_to_string (root, FALSE);
}

static MsTokenClaims *
full_claims (void)
{
  MsTokenClaims *claims = ms_token_claims_new ();

  claims->key_id = g_strdup (MS_DEV_KEY_ID);
  claims->identity = g_strdup ("alice");
  claims->room = g_strdup ("standup.team-1");
  claims->name = g_strdup ("Zoë “Alice” Ångström");
  claims->issued_at = NOW - 10;
  claims->not_before = NOW - 5;
  claims->expires = NOW + 3600;
  claims->grants.send_tracks = g_strsplit ("camera,microphone", ",", -1);
  claims->grants.recv_tracks = g_strsplit ("*", ",", -1);
  claims->grants.send_messages = g_strsplit ("chat", ",", -1);
  claims->grants.recv_messages = g_strsplit ("chat,reaction", ",", -1);
  claims->grants.can_hide = TRUE;
  claims->grants.hidden = TRUE;
  claims->grants.host = TRUE;

  return claims;
}

static void
assert_refused (Fixture      *fixture,
                const char   *token,
                MsTokenError  code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsTokenClaims) claims = ms_token_verify (token, fixture->keyring, NOW, &error);

  g_assert_null (claims);
  g_assert_error (error, MS_TOKEN_ERROR, (gint) code);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
}

static MsTokenClaims *
assert_accepted (Fixture    *fixture,
                 const char *token,
                 gint64      now)
{
  g_autoptr (GError) error = NULL;
  MsTokenClaims *claims = ms_token_verify (token, fixture->keyring, now, &error);

  g_assert_no_error (error);
  g_assert_nonnull (claims);

  return claims;
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr (MsTokenClaims) claims = full_claims ();
  g_autoptr (MsTokenClaims) verified = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;

  token = ms_token_mint (claims, MS_DEV_SECRET, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);

  verified = assert_accepted (fixture, token, NOW);
  g_assert_cmpstr (verified->key_id, ==, MS_DEV_KEY_ID);
  g_assert_cmpstr (verified->identity, ==, "alice");
  g_assert_cmpstr (verified->room, ==, "standup.team-1");
  g_assert_cmpstr (verified->name, ==, "Zoë “Alice” Ångström");
  g_assert_null (verified->avatar);
  g_assert_cmpint (verified->issued_at, ==, NOW - 10);
  g_assert_cmpint (verified->not_before, ==, NOW - 5);
  g_assert_cmpint (verified->expires, ==, NOW + 3600);
  g_assert_cmpstrv (verified->grants.send_tracks,
                    ((const char *[]) { "camera", "microphone", NULL }));
  g_assert_cmpstrv (verified->grants.recv_tracks, ((const char *[]) { "*", NULL }));
  g_assert_cmpstrv (verified->grants.send_messages, ((const char *[]) { "chat", NULL }));
  g_assert_cmpstrv (verified->grants.recv_messages,
                    ((const char *[]) { "chat", "reaction", NULL }));
  g_assert_true (verified->grants.can_hide);
  g_assert_true (verified->grants.hidden);
  g_assert_true (verified->grants.host);
  g_assert_true (ms_grant_allows ((const char * const *) verified->grants.recv_tracks,
                                  "screen"));
}

/* Unset optional claims come back as their documented defaults. */
static void
test_round_trip_defaults (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr (MsTokenClaims) claims = ms_token_claims_new ();
  g_autoptr (MsTokenClaims) verified = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *payload = NULL;
  g_auto (GStrv) parts = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;

  claims->key_id = g_strdup ("other");
  claims->identity = g_strdup ("bob");
  claims->room = g_strdup ("r");
  claims->avatar = g_strdup ("https://example.org/avatars/bob.png?size=64");
  claims->expires = NOW + 60;

  token = ms_token_mint (claims, OTHER_SECRET, &error);
  g_assert_no_error (error);

  /* On the wire: the protocol's names; name and avatar always there. */
  parts = g_strsplit (token, ".", -1);
  payload = base64url_decode (parts[1]);
  root = json_from_string (payload, &error);
  g_assert_no_error (error);
  object = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (object, "iss"), ==, "other");
  g_assert_cmpstr (json_object_get_string_member (object, "sub"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (object, "room"), ==, "r");
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "bob");
  g_assert_cmpint (json_object_get_int_member (object, "exp"), ==, NOW + 60);
  g_assert_true (json_object_has_member (object, "avatar"));
  g_assert_false (json_object_has_member (object, "nbf"));
  g_assert_false (json_object_has_member (object, "iat"));
  g_assert_true (json_object_has_member (json_object_get_object_member (object, "grants"),
                                         "can_hide"));
  /* "host" is written only when true. */
  g_assert_false (json_object_has_member (json_object_get_object_member (object, "grants"),
                                          "host"));

  verified = assert_accepted (fixture, token, NOW);
  g_assert_cmpstr (verified->key_id, ==, "other");
  g_assert_cmpstr (verified->name, ==, "bob");
  g_assert_cmpstr (verified->avatar, ==, "https://example.org/avatars/bob.png?size=64");
  g_assert_cmpint (verified->issued_at, ==, 0);
  g_assert_cmpint (verified->not_before, ==, 0);
  g_assert_cmpstrv (verified->grants.send_tracks, ((const char *[]) { NULL }));
  g_assert_cmpstrv (verified->grants.recv_tracks, ((const char *[]) { NULL }));
  g_assert_cmpstrv (verified->grants.send_messages, ((const char *[]) { NULL }));
  g_assert_cmpstrv (verified->grants.recv_messages, ((const char *[]) { NULL }));
  g_assert_false (verified->grants.can_hide);
  g_assert_false (verified->grants.hidden);
  g_assert_false (verified->grants.host);
}

/* A token from another HS256 implementation, with the least it may carry. */
static void
test_foreign_minimal (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *token = craft_token ("{\"alg\":\"HS256\"}",
                                        "{\"iss\":\"dev\",\"sub\":\"carol\",\"room\":\"r\","
                                        "\"exp\":1700000100,\"grants\":{},\"aud\":\"ignored\"}",
                                        G_CHECKSUM_SHA256, MS_DEV_SECRET);
  g_autoptr (MsTokenClaims) claims = assert_accepted (fixture, token, NOW);
  g_autofree char *full = sign (BASE_PAYLOAD);
  g_autoptr (MsTokenClaims) complete = assert_accepted (fixture, full, NOW);

  g_assert_cmpstr (claims->identity, ==, "carol");
  g_assert_cmpstr (claims->name, ==, "carol");
  g_assert_nonnull (claims->grants.send_tracks);
  g_assert_null (claims->grants.send_tracks[0]);
  g_assert_false (claims->grants.can_hide);
  g_assert_false (claims->grants.host);

  g_assert_cmpstr (complete->name, ==, "Alice");
  g_assert_cmpstrv (complete->grants.send_tracks, ((const char *[]) { "camera", NULL }));
}

static void
test_alg_none (Fixture       *fixture,
               gconstpointer  data)
{
  const char *headers[] = {
    "{\"alg\":\"none\",\"typ\":\"JWT\"}",
    "{\"alg\":\"none\"}",
    "{\"alg\":\"None\",\"typ\":\"JWT\"}",
    "{\"alg\":\"NONE\",\"typ\":\"JWT\"}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (headers); i++) {
    g_autofree char *unsigned_token = craft_token (headers[i], BASE_PAYLOAD, 0, NULL);
    /* A signature does not make "none" acceptable either. */
    g_autofree char *signed_token = craft_token (headers[i], BASE_PAYLOAD, G_CHECKSUM_SHA256,
                                                 MS_DEV_SECRET);

    g_test_message ("header %s", headers[i]);
    g_assert_true (g_str_has_suffix (unsigned_token, "."));
    assert_refused (fixture, unsigned_token, MS_TOKEN_ERROR_BAD_ALGORITHM);
    assert_refused (fixture, signed_token, MS_TOKEN_ERROR_BAD_ALGORITHM);
  }

  g_assert_cmpint (ms_token_error_to_protocol (MS_TOKEN_ERROR_BAD_ALGORITHM), ==,
                   MS_PROTOCOL_ERROR_UNAUTHORIZED);
}

static void
test_alg_other (Fixture       *fixture,
                gconstpointer  data)
{
  struct {
    const char    *header;
    GChecksumType  hmac;
  } cases[] = {
    /* Correctly signed with our secret: libjwt alone would accept these. */
    { "{\"alg\":\"HS384\",\"typ\":\"JWT\"}", G_CHECKSUM_SHA384 },
    { "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", G_CHECKSUM_SHA512 },
    { "{\"alg\":\"hs256\",\"typ\":\"JWT\"}", G_CHECKSUM_SHA256 },
    { "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", G_CHECKSUM_SHA256 },
    { "{\"alg\":\"ES256\"}", G_CHECKSUM_SHA256 },
    { "{\"alg\":\"HS256 \"}", G_CHECKSUM_SHA256 },
    { "{\"alg\":256}", G_CHECKSUM_SHA256 },
    { "{\"alg\":null}", G_CHECKSUM_SHA256 },
    { "{\"typ\":\"JWT\"}", G_CHECKSUM_SHA256 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *token = craft_token (cases[i].header, BASE_PAYLOAD, cases[i].hmac,
                                          MS_DEV_SECRET);

    g_test_message ("header %s", cases[i].header);
    assert_refused (fixture, token, MS_TOKEN_ERROR_BAD_ALGORITHM);
  }
}

static void
test_bad_header (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *headers[] = {
    "{\"alg\":\"HS256\",\"typ\":\"JWE\"}",
    "{\"alg\":\"HS256\",\"typ\":7}",
    "{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (headers); i++) {
    g_autofree char *token = craft_token (headers[i], BASE_PAYLOAD, G_CHECKSUM_SHA256,
                                          MS_DEV_SECRET);

    g_test_message ("header %s", headers[i]);
    assert_refused (fixture, token, MS_TOKEN_ERROR_MALFORMED);
  }
}

static void
test_other_secret (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (MsTokenClaims) claims = full_claims ();
  g_autoptr (GError) error = NULL;
  g_autofree char *minted = ms_token_mint (claims, OTHER_SECRET, &error);
  g_autofree char *crafted = craft_token (HS256_HEADER, BASE_PAYLOAD, G_CHECKSUM_SHA256,
                                          OTHER_SECRET);
  /* The dev secret, one byte short: a prefix of the key must not do. */
  g_autofree char *prefix = g_strndup (MS_DEV_SECRET, strlen (MS_DEV_SECRET) - 1);
  g_autofree char *shorter = craft_token (HS256_HEADER, BASE_PAYLOAD, G_CHECKSUM_SHA256, prefix);

  g_assert_no_error (error);
  assert_refused (fixture, minted, MS_TOKEN_ERROR_BAD_SIGNATURE);
  assert_refused (fixture, crafted, MS_TOKEN_ERROR_BAD_SIGNATURE);
  assert_refused (fixture, shorter, MS_TOKEN_ERROR_BAD_SIGNATURE);
  g_assert_cmpint (ms_token_error_to_protocol (MS_TOKEN_ERROR_BAD_SIGNATURE), ==,
                   MS_PROTOCOL_ERROR_UNAUTHORIZED);
}

static void
test_unknown_key (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *payload = edit_payload ("iss", "\"nobody-we-know\"");
  g_autofree char *token = sign (payload);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsTokenClaims) claims = ms_token_verify (token, fixture->keyring, NOW, &error);

  g_assert_null (claims);
  g_assert_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_UNKNOWN_KEY);
  /* iss is not authenticated: it must not be echoed into logs or replies. */
  g_assert_null (strstr (error->message, "nobody"));
  g_assert_cmpint (ms_token_error_to_protocol (MS_TOKEN_ERROR_UNKNOWN_KEY), ==,
                   MS_PROTOCOL_ERROR_UNAUTHORIZED);
}

static void
test_tampered (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *token = sign (BASE_PAYLOAD);
  g_auto (GStrv) parts = g_strsplit (token, ".", -1);
  g_autofree char *payload = base64url_decode (parts[1]);
  g_autofree char *changed_payload = NULL;
  g_autofree char *encoded = NULL;
  g_autofree char *tampered = NULL;
  g_autofree char *no_signature = NULL;
  g_autofree char *header_changed = NULL;
  g_autofree char *header_encoded = NULL;
  g_autofree char *signature_swapped = NULL;
  g_autofree char *other = NULL;
  g_autoptr (MsTokenClaims) claims = NULL;

  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  claims = assert_accepted (fixture, token, NOW);
  g_assert_nonnull (strstr (payload, "\"room\":\"r\""));

  /* Another room, same signature. */
  changed_payload = edit_payload ("room", "\"boardroom\"");
  encoded = base64url (changed_payload, strlen (changed_payload));
  tampered = g_strdup_printf ("%s.%s.%s", parts[0], encoded, parts[2]);
  assert_refused (fixture, tampered, MS_TOKEN_ERROR_BAD_SIGNATURE);

  /* The header is signed too. */
  header_encoded = base64url ("{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
                              strlen ("{\"typ\":\"JWT\",\"alg\":\"HS256\"}"));
  header_changed = g_strdup_printf ("%s.%s.%s", header_encoded, parts[1], parts[2]);
  assert_refused (fixture, header_changed, MS_TOKEN_ERROR_BAD_SIGNATURE);

  /* Stripping the signature of an HS256 token. */
  no_signature = g_strdup_printf ("%s.%s.", parts[0], parts[1]);
  assert_refused (fixture, no_signature, MS_TOKEN_ERROR_BAD_SIGNATURE);

  /* The signature of another valid token. */
  other = sign (changed_payload);
  signature_swapped = g_strdup_printf ("%s.%s.%s", parts[0], parts[1], strrchr (other, '.') + 1);
  assert_refused (fixture, signature_swapped, MS_TOKEN_ERROR_BAD_SIGNATURE);
}

/* Only unpadded base64url: GLib's decoder would skip the odd character. */
static void
test_not_base64url (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *token = sign (BASE_PAYLOAD);
  const char *payload = strchr (token, '.') + 1;
  const char *inserts[] = { "!", "+", "/", "=", " ", "\n", "%", "A=", "==" };

  for (gsize i = 0; i < G_N_ELEMENTS (inserts); i++) {
    g_autofree char *head = g_strndup (token, payload + 8 - token);
    g_autofree char *in_payload = g_strdup_printf ("%s%s%s", head, inserts[i], payload + 8);
    g_autofree char *in_signature = g_strdup_printf ("%s%s", token, inserts[i]);

    g_test_message ("inserting “%s”", inserts[i]);
    assert_refused (fixture, in_payload, MS_TOKEN_ERROR_MALFORMED);
    assert_refused (fixture, in_signature, MS_TOKEN_ERROR_MALFORMED);
  }

  /* A length no unpadded base64 can have: 4n + 1 characters. */
  for (gsize part = 0; part < 3; part++) {
    g_auto (GStrv) parts = g_strsplit (token, ".", -1);
    g_autofree char *longer = NULL;
    g_autofree char *changed = NULL;

    while (strlen (parts[part]) % 4 != 1) {
      longer = g_strconcat (parts[part], "A", NULL);
      g_free (parts[part]);
      parts[part] = g_steal_pointer (&longer);
    }
    changed = g_strjoinv (".", parts);
    g_test_message ("part %" G_GSIZE_FORMAT ": %s", part, parts[part]);
    assert_refused (fixture, changed, MS_TOKEN_ERROR_MALFORMED);
  }
}

/* Any change of any one character of a good token is refused. */
static void
test_mutations (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr (MsTokenClaims) claims = full_claims ();
  g_autoptr (GError) error = NULL;
  g_autofree char *token = ms_token_mint (claims, MS_DEV_SECRET, &error);
  gsize length = strlen (token);
  const char replacements[] = { 'A', 'B', '-', '_', '.', '=', '+', ' ', '\n' };

  g_assert_no_error (error);

  for (gsize i = 0; i < length; i++) {
    for (gsize r = 0; r < G_N_ELEMENTS (replacements); r++) {
      g_autofree char *mutated = g_strdup (token);
      g_autoptr (MsTokenClaims) result = NULL;
      g_autoptr (GError) local_error = NULL;

      if (mutated[i] == replacements[r])
        continue;
      mutated[i] = replacements[r];
      result = ms_token_verify (mutated, fixture->keyring, NOW, &local_error);
      if (result != NULL)
        g_error ("accepted %s, a mutation of %s", mutated, token);
      g_assert_error (local_error, MS_TOKEN_ERROR, local_error->code);
    }

    /* And every truncation. */
    {
      g_autofree char *truncated = g_strndup (token, i);
      g_autoptr (MsTokenClaims) result = NULL;
      g_autoptr (GError) local_error = NULL;

      result = ms_token_verify (truncated, fixture->keyring, NOW, &local_error);
      g_assert_null (result);
      g_assert_nonnull (local_error);
    }
  }
}

static void
test_expiry (Fixture       *fixture,
             gconstpointer  data)
{
  struct {
    gint64   exp;
    gboolean accepted;
  } cases[] = {
    { NOW + 3600, TRUE },
    { NOW, TRUE },
    { NOW - 1, TRUE },
    { NOW - MS_TOKEN_CLOCK_SKEW, TRUE },
    { NOW - MS_TOKEN_CLOCK_SKEW - 1, FALSE },
    { NOW - 3600, FALSE },
    { 1, FALSE },
    { 0, FALSE },
    { -5, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *exp = g_strdup_printf ("%" G_GINT64_FORMAT, cases[i].exp);
    g_autofree char *payload = edit_payload ("exp", exp);
    g_autofree char *token = sign (payload);

    g_test_message ("exp = NOW%+" G_GINT64_FORMAT, cases[i].exp - NOW);
    if (cases[i].accepted) {
      g_autoptr (MsTokenClaims) claims = assert_accepted (fixture, token, NOW);

      g_assert_cmpint (claims->expires, ==, cases[i].exp);
    } else {
      assert_refused (fixture, token, MS_TOKEN_ERROR_EXPIRED);
    }
  }

  g_assert_cmpint (ms_token_error_to_protocol (MS_TOKEN_ERROR_EXPIRED), ==,
                   MS_PROTOCOL_ERROR_TOKEN_EXPIRED);
}

static void
test_not_before (Fixture       *fixture,
                 gconstpointer  data)
{
  struct {
    gint64   nbf;
    gboolean accepted;
  } cases[] = {
    { NOW - 3600, TRUE },
    { NOW, TRUE },
    { NOW + MS_TOKEN_CLOCK_SKEW, TRUE },
    { NOW + MS_TOKEN_CLOCK_SKEW + 1, FALSE },
    { NOW + 1800, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *nbf = g_strdup_printf ("%" G_GINT64_FORMAT, cases[i].nbf);
    g_autofree char *payload = edit_payload ("nbf", nbf);
    g_autofree char *token = sign (payload);

    g_test_message ("nbf = NOW%+" G_GINT64_FORMAT, cases[i].nbf - NOW);
    if (cases[i].accepted) {
      g_autoptr (MsTokenClaims) claims = assert_accepted (fixture, token, NOW);

      g_assert_cmpint (claims->not_before, ==, cases[i].nbf);
    } else {
      assert_refused (fixture, token, MS_TOKEN_ERROR_NOT_YET_VALID);
    }
  }

  g_assert_cmpint (ms_token_error_to_protocol (MS_TOKEN_ERROR_NOT_YET_VALID), ==,
                   MS_PROTOCOL_ERROR_UNAUTHORIZED);
}

static void
test_missing_claims (Fixture       *fixture,
                     gconstpointer  data)
{
  const char *required[] = { "exp", "sub", "room", "grants", "iss" };

  for (gsize i = 0; i < G_N_ELEMENTS (required); i++) {
    g_autofree char *payload = edit_payload (required[i], NULL);
    g_autofree char *token = sign (payload);
    g_autoptr (GError) error = NULL;
    g_autoptr (MsTokenClaims) claims = ms_token_verify (token, fixture->keyring, NOW, &error);

    g_test_message ("without %s", required[i]);
    g_assert_null (claims);
    g_assert_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MISSING_CLAIM);
    g_assert_nonnull (strstr (error->message, required[i]));
  }

  g_assert_cmpint (ms_token_error_to_protocol (MS_TOKEN_ERROR_MISSING_CLAIM), ==,
                   MS_PROTOCOL_ERROR_UNAUTHORIZED);
}

static void
test_wrong_types (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *n = g_strnfill (129, 'n');
  g_autofree char *a = g_strnfill (2048, 'a');
  g_autofree char *r = g_strnfill (65, 'r');
  g_autofree char *long_name = g_strdup_printf ("\"%s\"", n);
  g_autofree char *long_avatar = g_strdup_printf ("\"https://example.org/%s\"", a);
  g_autofree char *long_room = g_strdup_printf ("\"%s\"", r);
  const char *huge[] = { "99999999999999999999", "-99999999999999999999", "18446744073709551616" };
  struct {
    const char *member;
    const char *value;
  } cases[] = {
    { "grants", "[]" },
    { "grants", "null" },
    { "grants", "\"*\"" },
    { "grants.send_tracks", "\"camera\"" },
    { "grants.send_tracks", "[1]" },
    { "grants.send_tracks", "[null]" },
    { "grants.send_tracks", "[[\"camera\"]]" },
    { "grants.recv_tracks", "[\"*\", 5]" },
    { "grants.send_messages", "[\"has space\"]" },
    { "grants.recv_messages", "[\"\"]" },
    { "grants.recv_messages", "{\"chat\":true}" },
    { "grants.send_tracks", "null" },
    { "grants.can_hide", "\"yes\"" },
    { "grants.can_hide", "1" },
    { "grants.hidden", "null" },
    { "grants.host", "\"yes\"" },
    { "grants.host", "{}" },
    { "exp", "\"1700003600\"" },
    { "exp", "1700003600.5" },
    { "exp", "true" },
    { "exp", "null" },
    { "nbf", "\"soon\"" },
    { "iat", "[]" },
    { "sub", "5" },
    { "sub", "\"has space\"" },
    { "sub", "\"\"" },
    { "room", "[\"r\"]" },
    { "room", long_room },
    { "iss", "5" },
    { "iss", "null" },
    { "name", "null" },
    { "name", "\"\"" },
    { "name", "42" },
    { "name", "\"two\\nlines\"" },
    { "name", long_name },
    { "avatar", "5" },
    { "avatar", "\"ftp://example.org/a.png\"" },
    { "avatar", "\"javascript:alert(1)\"" },
    { "avatar", "\"not a url\"" },
    { "avatar", long_avatar },
  };

  g_assert_cmpuint (strlen (long_name), ==, 129 + 2);

  /* Integers beyond 64 bits, which json-glib would wrap (so not built with it). */
  for (gsize i = 0; i < G_N_ELEMENTS (huge); i++) {
    g_auto (GStrv) halves = g_strsplit (BASE_PAYLOAD, "\"exp\":1700003600", 2);
    g_autofree char *payload = g_strdup_printf ("%s\"exp\":%s%s", halves[0], huge[i], halves[1]);
    g_autofree char *token = sign (payload);

    g_test_message ("%s", payload);
    assert_refused (fixture, token, MS_TOKEN_ERROR_MALFORMED);
  }

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *payload = edit_payload (cases[i].member, cases[i].value);
    g_autofree char *token = sign (payload);

    g_test_message ("%s = %.60s", cases[i].member, cases[i].value);
    assert_refused (fixture, token, MS_TOKEN_ERROR_MALFORMED);
  }

  g_assert_cmpint (ms_token_error_to_protocol (MS_TOKEN_ERROR_MALFORMED), ==,
                   MS_PROTOCOL_ERROR_UNAUTHORIZED);
}

static void
test_garbage (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *valid = sign (BASE_PAYLOAD);
  g_autofree char *filler = g_strnfill (10 * 1024, 'A');
  g_autofree char *padded = g_strdup_printf ("%s%s", valid, filler);
  g_autofree char *with_newline = g_strdup_printf ("%s\n", valid);
  g_autofree char *not_json = craft_token (HS256_HEADER, "not json", G_CHECKSUM_SHA256,
                                           MS_DEV_SECRET);
  g_autofree char *array = craft_token (HS256_HEADER, "[1,2]", G_CHECKSUM_SHA256,
                                        MS_DEV_SECRET);
  g_autofree char *header_array = craft_token ("[\"HS256\"]", BASE_PAYLOAD, G_CHECKSUM_SHA256,
                                               MS_DEV_SECRET);
  g_autofree char *trailing = craft_token (HS256_HEADER, BASE_PAYLOAD "x", G_CHECKSUM_SHA256,
                                           MS_DEV_SECRET);
  g_autoptr (GString) nested = g_string_new ("{\"iss\":\"dev\",\"deep\":");
  g_autofree char *deep = NULL;
  g_autofree char *latin1 = craft_token (HS256_HEADER, "{\"iss\":\"dev\",\"sub\":\"\xe9\"}",
                                         G_CHECKSUM_SHA256, MS_DEV_SECRET);
  /* What json-glib would take but JSON does not allow. */
  g_autofree char *comment = craft_token (HS256_HEADER, "{\"iss\":\"dev\" /* hi */}",
                                          G_CHECKSUM_SHA256, MS_DEV_SECRET);
  g_autofree char *quotes = craft_token (HS256_HEADER, "{'iss':'dev'}", G_CHECKSUM_SHA256,
                                         MS_DEV_SECRET);
  g_autofree char *nul = craft_token (HS256_HEADER, "{\"iss\":\"dev\\u0000\"}",
                                      G_CHECKSUM_SHA256, MS_DEV_SECRET);
  const char *tokens[] = {
    "", ".", "..", "...", "a", "a.b", "a.b.c", "a.b.c.d", "a..c", ".b.c", "!!!.###.$$$",
    "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9.W10.", "eyJhbGciOiJIUzI1NiJ9==.e30.x",
    "\xff\xfe.\x01.\x80",
    padded, with_newline, not_json, array, header_array, trailing, latin1, comment, quotes,
    nul,
  };
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);

  for (guint i = 0; i < 2000; i++)
    g_string_append_c (nested, '[');
  for (guint i = 0; i < 2000; i++)
    g_string_append_c (nested, ']');
  g_string_append_c (nested, '}');
  deep = craft_token (HS256_HEADER, nested->str, G_CHECKSUM_SHA256, MS_DEV_SECRET);
  g_assert_cmpuint (strlen (deep), <=, MS_TOKEN_MAX_LENGTH);
  assert_refused (fixture, deep, MS_TOKEN_ERROR_MALFORMED);

  g_assert_cmpuint (strlen (padded), >, MS_TOKEN_MAX_LENGTH);
  for (gsize i = 0; i < G_N_ELEMENTS (tokens); i++) {
    g_autofree char *shown = g_strescape (tokens[i], NULL);

    g_test_message ("token “%.80s”", shown);
    assert_refused (fixture, tokens[i], MS_TOKEN_ERROR_MALFORMED);
  }
  assert_refused (fixture, NULL, MS_TOKEN_ERROR_MALFORMED);

  /* Random bytes and random base64url: refused, without a crash. */
  for (guint i = 0; i < 2000; i++) {
    gsize length = g_rand_int_range (rand, 0, 200);
    g_autofree char *noise = g_malloc (length + 1);
    g_autoptr (MsTokenClaims) claims = NULL;
    g_autoptr (GError) error = NULL;
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

    for (gsize j = 0; j < length; j++) {
      if (i % 2 == 0)
        noise[j] = (char) g_rand_int_range (rand, 1, 256);
      else
        noise[j] = alphabet[g_rand_int_range (rand, 0, (gint32) strlen (alphabet))];
    }
    noise[length] = '\0';

    claims = ms_token_verify (noise, fixture->keyring, NOW, &error);
    g_assert_null (claims);
    g_assert_true (error != NULL && error->domain == MS_TOKEN_ERROR);
  }
}

static void
test_weak_secret (void)
{
  g_autoptr (MsKeyring) keyring = ms_keyring_new ();
  g_autoptr (MsTokenClaims) claims = full_claims ();
  g_autoptr (GError) error = NULL;
  g_autofree char *exactly = g_strnfill (MS_TOKEN_MIN_SECRET_LENGTH, 's');
  g_autofree char *one_short = g_strnfill (MS_TOKEN_MIN_SECRET_LENGTH - 1, 's');
  g_autofree char *token = NULL;

  g_assert_cmpuint (strlen (MS_DEV_SECRET), >=, MS_TOKEN_MIN_SECRET_LENGTH);
  g_assert_nonnull (strstr (MS_DEV_SECRET, "insecure"));

  g_assert_false (ms_keyring_add (keyring, "weak", one_short, &error));
  g_assert_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_WEAK_SECRET);
  g_clear_error (&error);
  g_assert_false (ms_keyring_add (keyring, "weak", "", &error));
  g_assert_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_WEAK_SECRET);
  g_clear_error (&error);
  g_assert_null (ms_keyring_lookup (keyring, "weak"));

  g_assert_true (ms_keyring_add (keyring, "strong", exactly, &error));
  g_assert_no_error (error);

  token = ms_token_mint (claims, one_short, &error);
  g_assert_null (token);
  g_assert_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_WEAK_SECRET);
  g_clear_error (&error);

  token = ms_token_mint (claims, exactly, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);
}

static void
test_keyring (void)
{
  g_autoptr (MsKeyring) keyring = ms_keyring_new ();
  g_autoptr (GError) error = NULL;
  MsKeyring *second;

  g_assert_null (ms_keyring_lookup (keyring, "a"));
  g_assert_null (ms_keyring_lookup (keyring, NULL));
  g_assert_true (ms_keyring_add (keyring, "a", MS_DEV_SECRET, &error));
  g_assert_cmpstr (ms_keyring_lookup (keyring, "a"), ==, MS_DEV_SECRET);
  g_assert_true (ms_keyring_add (keyring, "a", OTHER_SECRET, &error));
  g_assert_cmpstr (ms_keyring_lookup (keyring, "a"), ==, OTHER_SECRET);
  g_assert_no_error (error);

  g_assert_false (ms_keyring_add (keyring, "not an id", MS_DEV_SECRET, &error));
  g_assert_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (ms_keyring_add (keyring, "", MS_DEV_SECRET, &error));
  g_assert_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED);

  second = ms_keyring_ref (keyring);
  g_assert_true (second == keyring);
  ms_keyring_unref (second);
  g_assert_cmpstr (ms_keyring_lookup (keyring, "a"), ==, OTHER_SECRET);
}

static void
assert_mint_refused (const MsTokenClaims *claims,
                     MsTokenError         code)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *token = ms_token_mint (claims, MS_DEV_SECRET, &error);

  g_assert_null (token);
  g_assert_error (error, MS_TOKEN_ERROR, (gint) code);
}

/* Minting refuses what verifying would refuse. */
/* The rules of ms-protocol.h, the same for tokens as for the codec: an
 * avatar with a space, a name with a control character, grant lists too
 * long, and the server's max-id-length and max-name-length. */
static void
test_shared_rules (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (MsTokenClaims) claims = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *spaced = NULL;
  g_autofree char *spaced_token = NULL;
  g_autofree char *control = NULL;
  g_autofree char *control_token = NULL;
  g_autofree char *long_sub = NULL;
  g_autofree char *long_sub_token = NULL;
  g_autoptr (MsTokenClaims) verified = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  MsLimits limits;

  /* Signed by the key's owner, yet refused: the avatar has a space. */
  spaced = edit_payload ("avatar", "\"https://example.org/a b.png\"");
  spaced_token = sign (spaced);
  assert_refused (fixture, spaced_token, MS_TOKEN_ERROR_MALFORMED);
  g_assert_false (ms_validate_avatar_url ("https://example.org/a b.png", 2048));

  claims = full_claims ();
  claims->avatar = g_strdup ("https://example.org/a b.png");
  assert_mint_refused (claims, MS_TOKEN_ERROR_MALFORMED);
  g_clear_pointer (&claims->avatar, g_free);
  claims->avatar = g_strdup ("https://example.org/a\tb.png");
  assert_mint_refused (claims, MS_TOKEN_ERROR_MALFORMED);
  g_clear_pointer (&claims->avatar, g_free);

  control = edit_payload ("name", "\"Ann\\u0007\"");
  control_token = sign (control);
  assert_refused (fixture, control_token, MS_TOKEN_ERROR_MALFORMED);

  /* A grant list over MS_PROTOCOL_MAX_LIST entries, as the codec refuses. */
  for (guint i = 0; i <= MS_PROTOCOL_MAX_LIST; i++)
    g_strv_builder_add (builder, "camera");
  g_strfreev (claims->grants.send_tracks);
  claims->grants.send_tracks = g_strv_builder_end (builder);
  g_assert_false (ms_validate_grant_list ((const char * const *) claims->grants.send_tracks, 64));
  assert_mint_refused (claims, MS_TOKEN_ERROR_MALFORMED);
  g_clear_pointer (&claims, ms_token_claims_free);

  /* max-id-length reaches tokens: a 20-byte identity is fine by the
   * defaults and refused by a server whose limit is 16. */
  ms_limits_init_default (&limits);
  limits.max_id_length = 16;
  long_sub = edit_payload ("sub", "\"alice-0123456789ab\"");
  long_sub_token = sign (long_sub);
  verified = ms_token_verify (long_sub_token, fixture->keyring, NOW, &error);
  g_assert_no_error (error);
  g_clear_pointer (&verified, ms_token_claims_free);
  verified = ms_token_verify_full (long_sub_token, fixture->keyring, &limits, NOW, &error);
  g_assert_null (verified);
  g_assert_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED);
  g_clear_error (&error);

  claims = full_claims ();
  g_free (claims->identity);
  claims->identity = g_strdup ("alice-0123456789ab");
  token = ms_token_mint_full (claims, MS_DEV_SECRET, &limits, &error);
  g_assert_null (token);
  g_assert_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED);
  g_clear_error (&error);
  limits.max_id_length = 64;

  /* And max-name-length: "Zoë “Alice” Ångström" is 27 bytes. */
  limits.max_name_length = 16;
  token = ms_token_mint_full (claims, MS_DEV_SECRET, &limits, &error);
  g_assert_null (token);
  g_assert_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED);
  g_clear_error (&error);
  limits.max_name_length = 128;
  token = ms_token_mint_full (claims, MS_DEV_SECRET, &limits, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);
}

static void
test_mint_refuses (void)
{
  g_autoptr (MsTokenClaims) claims = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  claims = full_claims ();
  g_clear_pointer (&claims->key_id, g_free);
  assert_mint_refused (claims, MS_TOKEN_ERROR_MISSING_CLAIM);
  g_clear_pointer (&claims, ms_token_claims_free);

  claims = full_claims ();
  g_clear_pointer (&claims->identity, g_free);
  assert_mint_refused (claims, MS_TOKEN_ERROR_MISSING_CLAIM);
  g_clear_pointer (&claims, ms_token_claims_free);

  claims = full_claims ();
  g_clear_pointer (&claims->room, g_free);
  assert_mint_refused (claims, MS_TOKEN_ERROR_MISSING_CLAIM);
  g_clear_pointer (&claims, ms_token_claims_free);

  claims = full_claims ();
  claims->expires = 0;
  assert_mint_refused (claims, MS_TOKEN_ERROR_MISSING_CLAIM);
  g_clear_pointer (&claims, ms_token_claims_free);

  claims = full_claims ();
  g_free (claims->room);
  claims->room = g_strdup ("a room");
  assert_mint_refused (claims, MS_TOKEN_ERROR_MALFORMED);
  g_clear_pointer (&claims, ms_token_claims_free);

  claims = full_claims ();
  g_strfreev (claims->grants.send_tracks);
  claims->grants.send_tracks = g_strsplit ("camera,bad tag", ",", -1);
  assert_mint_refused (claims, MS_TOKEN_ERROR_MALFORMED);
  g_clear_pointer (&claims, ms_token_claims_free);

  claims = full_claims ();
  claims->avatar = g_strdup ("file:///etc/passwd");
  assert_mint_refused (claims, MS_TOKEN_ERROR_MALFORMED);
  g_clear_pointer (&claims, ms_token_claims_free);

  claims = full_claims ();
  g_free (claims->name);
  claims->name = g_strdup ("");
  assert_mint_refused (claims, MS_TOKEN_ERROR_MALFORMED);
  g_clear_pointer (&claims, ms_token_claims_free);

  /* A token the server would refuse as too long, and one far too long
   * for libjwt's stack buffers. */
  claims = full_claims ();
  for (guint n = 0; n < 600; n++) {
    g_autofree char *type = g_strdup_printf ("message-type-%u", n);

    g_strv_builder_add (builder, type);
  }
  g_strfreev (claims->grants.recv_messages);
  claims->grants.recv_messages = g_strv_builder_end (builder);
  assert_mint_refused (claims, MS_TOKEN_ERROR_MALFORMED);

  for (guint n = 0; n < 500000; n++)
    g_strv_builder_add (builder, "message-type-with-a-long-name");
  g_strfreev (claims->grants.recv_messages);
  claims->grants.recv_messages = g_strv_builder_end (builder);
  assert_mint_refused (claims, MS_TOKEN_ERROR_MALFORMED);
}

/* The command line, with the real binary. */

static GSubprocessLauncher *
cli_launcher (void)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                             G_SUBPROCESS_FLAGS_STDERR_PIPE);

  g_subprocess_launcher_unsetenv (launcher, "MEDIASTORE_API_SECRET");
  g_subprocess_launcher_unsetenv (launcher, "MEDIASTORE_API_KEY");
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);

  return launcher;
}

/* Runs mediastore-server with @args; returns its exit status. */
static int
run_cli (GSubprocessLauncher  *launcher,
         const char * const   *args,
         char                **out_stdout,
         char                **out_stderr)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) argv = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  g_strv_builder_add (builder, g_getenv ("MEDIASTORE_SERVER"));
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out_stdout, out_stderr, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));

  return g_subprocess_get_exit_status (process);
}

static gboolean
have_cli (void)
{
  if (g_getenv ("MEDIASTORE_SERVER") == NULL) {
    g_test_skip ("MEDIASTORE_SERVER is not set (run the tests with meson)");
    return FALSE;
  }

  return TRUE;
}

/* Verifies the one line the command printed with @key_id and @secret. */
static MsTokenClaims *
verify_cli_output (const char *output,
                   const char *key_id,
                   const char *secret,
                   gint64      now)
{
  g_autoptr (MsKeyring) keyring = ms_keyring_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *token = g_strdup (output);
  MsTokenClaims *claims;

  g_assert_true (g_str_has_suffix (token, "\n"));
  token[strlen (token) - 1] = '\0';
  g_assert_null (strchr (token, '\n'));

  ms_keyring_add (keyring, key_id, secret, &error);
  g_assert_no_error (error);
  claims = ms_token_verify (token, keyring, now, &error);
  g_assert_no_error (error);
  g_assert_nonnull (claims);

  return claims;
}

static void
test_cli_dev (void)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (MsTokenClaims) claims = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *args[] = {
    "token", "--dev", "--room", "r", "--identity", "alice", "--send-tracks", "camera",
    "--ttl", "1h", NULL
  };

  if (!have_cli ())
    return;

  launcher = cli_launcher ();
  /* --dev wins over a secret in the environment. */
  g_subprocess_launcher_setenv (launcher, "MEDIASTORE_API_SECRET", OTHER_SECRET, TRUE);
  g_assert_cmpint (run_cli (launcher, args, &out, &err), ==, 0);
  g_assert_nonnull (strstr (err, "--dev"));

  claims = verify_cli_output (out, MS_DEV_KEY_ID, MS_DEV_SECRET, now);
  g_assert_cmpstr (claims->key_id, ==, MS_DEV_KEY_ID);
  g_assert_cmpstr (claims->room, ==, "r");
  g_assert_cmpstr (claims->identity, ==, "alice");
  g_assert_cmpstr (claims->name, ==, "alice");
  g_assert_null (claims->avatar);
  g_assert_cmpint (claims->not_before, ==, 0);
  g_assert_cmpint (claims->issued_at, >=, now);
  g_assert_cmpint (claims->issued_at, <=, now + 60);
  g_assert_cmpint (claims->expires, >=, now + 3600);
  g_assert_cmpint (claims->expires, <=, now + 3600 + 60);
  g_assert_cmpstrv (claims->grants.send_tracks, ((const char *[]) { "camera", NULL }));
  g_assert_cmpstrv (claims->grants.recv_tracks, ((const char *[]) { "*", NULL }));
  g_assert_cmpstrv (claims->grants.send_messages, ((const char *[]) { NULL }));
  g_assert_cmpstrv (claims->grants.recv_messages, ((const char *[]) { "*", NULL }));
  g_assert_false (claims->grants.can_hide);
  g_assert_false (claims->grants.hidden);
  g_assert_false (claims->grants.host);
}

static void
test_cli_options (void)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (MsTokenClaims) claims = NULL;
  g_autoptr (MsKeyring) keyring = ms_keyring_new ();
  g_autoptr (MsTokenClaims) early = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *token = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *args[] = {
    "token", "--dev", "--room", "r", "--identity", "alice", "--name", "Alice Liddell",
    "--avatar", "https://example.org/alice.png",
    "--send-tracks", "camera", "--send-tracks", "microphone, screen",
    "--recv-tracks", "", "--send-messages", "chat", "--recv-messages", "chat,reaction",
    "--can-hide", "--hidden", "--host", "--ttl", "90s", "--not-before-in", "15m", NULL
  };

  if (!have_cli ())
    return;

  launcher = cli_launcher ();
  g_assert_cmpint (run_cli (launcher, args, &out, &err), ==, 0);

  claims = verify_cli_output (out, MS_DEV_KEY_ID, MS_DEV_SECRET, now + 900);
  g_assert_cmpstr (claims->name, ==, "Alice Liddell");
  g_assert_cmpstr (claims->avatar, ==, "https://example.org/alice.png");
  g_assert_cmpstrv (claims->grants.send_tracks,
                    ((const char *[]) { "camera", "microphone", "screen", NULL }));
  g_assert_cmpstrv (claims->grants.recv_tracks, ((const char *[]) { NULL }));
  g_assert_cmpstrv (claims->grants.send_messages, ((const char *[]) { "chat", NULL }));
  g_assert_cmpstrv (claims->grants.recv_messages,
                    ((const char *[]) { "chat", "reaction", NULL }));
  g_assert_true (claims->grants.can_hide);
  g_assert_true (claims->grants.hidden);
  g_assert_true (claims->grants.host);
  g_assert_cmpint (claims->not_before, >=, now + 900);
  g_assert_cmpint (claims->not_before, <=, now + 900 + 60);
  g_assert_cmpint (claims->expires - claims->not_before, ==, 90);

  /* Not valid yet. */
  token = g_strstrip (g_strdup (out));
  ms_keyring_add (keyring, MS_DEV_KEY_ID, MS_DEV_SECRET, &error);
  g_assert_no_error (error);
  early = ms_token_verify (token, keyring, now, &error);
  g_assert_null (early);
  g_assert_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_NOT_YET_VALID);
}

static void
test_cli_env (void)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (MsTokenClaims) claims = NULL;
  g_autoptr (MsTokenClaims) default_claims = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *default_out = NULL;
  g_autofree char *default_err = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *args[] = { "token", "--room", "r", "--identity", "bob", NULL };

  if (!have_cli ())
    return;

  launcher = cli_launcher ();
  g_subprocess_launcher_setenv (launcher, "MEDIASTORE_API_SECRET", OTHER_SECRET, TRUE);
  g_subprocess_launcher_setenv (launcher, "MEDIASTORE_API_KEY", "envkey", TRUE);
  g_assert_cmpint (run_cli (launcher, args, &out, &err), ==, 0);
  g_assert_cmpstr (err, ==, "");

  claims = verify_cli_output (out, "envkey", OTHER_SECRET, now);
  g_assert_cmpstr (claims->key_id, ==, "envkey");
  g_assert_cmpstr (claims->identity, ==, "bob");
  g_assert_cmpint (claims->expires, >=, now + 6 * 3600);
  g_assert_cmpint (claims->expires, <=, now + 6 * 3600 + 60);

  /* Without MEDIASTORE_API_KEY, the key id is "mediastore". */
  g_subprocess_launcher_unsetenv (launcher, "MEDIASTORE_API_KEY");
  g_assert_cmpint (run_cli (launcher, args, &default_out, &default_err), ==, 0);
  default_claims = verify_cli_output (default_out, "mediastore", OTHER_SECRET, now);
  g_assert_cmpstr (default_claims->key_id, ==, "mediastore");
}

static void
test_cli_config (void)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (MsTokenClaims) claims = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *empty_path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *empty_out = NULL;
  g_autofree char *empty_err = NULL;
  g_autofree char *env_out = NULL;
  g_autofree char *env_err = NULL;
  g_autoptr (MsTokenClaims) env_claims = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!have_cli ())
    return;

  dir = g_dir_make_tmp ("test-token-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "server.conf", NULL);
  empty_path = g_build_filename (dir, "empty.conf", NULL);
  g_file_set_contents (path,
                       "[server]\nport=0\n\n[auth]\napi-key=cfgkey\n"
                       "api-secret=" OTHER_SECRET "\n", -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (empty_path, "[server]\nport=0\n", -1, &error);
  g_assert_no_error (error);

  {
    const char *args[] = { "token", "--config", path, "--room", "r", "--identity", "carol",
                           NULL };
    const char *empty_args[] = { "token", "--config", empty_path, "--room", "r",
                                 "--identity", "carol", NULL };

    /* The file wins over the environment, as it does for the server. */
    launcher = cli_launcher ();
    g_subprocess_launcher_setenv (launcher, "MEDIASTORE_API_SECRET", MS_DEV_SECRET, TRUE);
    g_assert_cmpint (run_cli (launcher, args, &out, &err), ==, 0);
    claims = verify_cli_output (out, "cfgkey", OTHER_SECRET, now);
    g_assert_cmpstr (claims->key_id, ==, "cfgkey");
    g_assert_cmpstr (claims->identity, ==, "carol");

    /* A file without a secret: the environment's. */
    g_assert_cmpint (run_cli (launcher, empty_args, &env_out, &env_err), ==, 0);
    env_claims = verify_cli_output (env_out, "mediastore", MS_DEV_SECRET, now);
    g_assert_cmpstr (env_claims->key_id, ==, "mediastore");

    /* Neither: refused. */
    g_subprocess_launcher_unsetenv (launcher, "MEDIASTORE_API_SECRET");
    g_assert_cmpint (run_cli (launcher, empty_args, &empty_out, &empty_err), ==, 1);
    g_assert_cmpstr (empty_out, ==, "");
    g_assert_nonnull (strstr (empty_err, "api-secret"));
  }

  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_remove (empty_path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* The command applies the --config file's [limits] and the protocol's
 * rules, as the server would. */
static void
test_cli_limits (void)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  struct {
    const char *args[12];
    int         status;
    const char *message;
  } cases[] = {
    { { "token", "--config", NULL, "--room", "r", "--identity", "alice-0123456789ab", NULL },
      2, "--identity" },
    { { "token", "--config", NULL, "--room", "room-0123456789ab", "--identity", "a", NULL },
      2, "--room" },
    { { "token", "--config", NULL, "--room", "r", "--identity", "a", "--send-tracks",
        "camera-0123456789ab", NULL }, 2, "camera-0123456789ab" },
    { { "token", "--config", NULL, "--room", "r", "--identity", "a", "--name",
        "A name longer than sixteen", NULL }, 2, "--name" },
    { { "token", "--dev", "--room", "r", "--identity", "a", "--avatar",
        "https://example.org/a b.png", NULL }, 2, "--avatar" },
    { { "token", "--dev", "--room", "r", "--identity", "a", "--name", "Ann\x07", NULL },
      2, "--name" },
  };

  if (!have_cli ())
    return;

  dir = g_dir_make_tmp ("test-token-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "server.conf", NULL);
  g_file_set_contents (path,
                       "[auth]\napi-secret=" OTHER_SECRET "\n\n"
                       "[limits]\nmax-id-length=16\nmax-name-length=16\n", -1, &error);
  g_assert_no_error (error);

  launcher = cli_launcher ();
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    if (cases[i].args[2] == NULL)
      cases[i].args[2] = path;
    g_test_message ("case %" G_GSIZE_FORMAT, i);
    g_assert_cmpint (run_cli (launcher, cases[i].args, &out, &err), ==, cases[i].status);
    g_assert_cmpstr (out, ==, "");
    g_assert_nonnull (strstr (err, cases[i].message));
  }

  /* Within the limits, the same file signs. */
  {
    const char *args[] = { "token", "--config", path, "--room", "r", "--identity",
                           "alice-0123456789", "--name", "Alice", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr (MsTokenClaims) claims = NULL;
    gint64 now = g_get_real_time () / G_USEC_PER_SEC;

    g_assert_cmpint (run_cli (launcher, args, &out, &err), ==, 0);
    claims = verify_cli_output (out, "mediastore", OTHER_SECRET, now);
    g_assert_cmpstr (claims->identity, ==, "alice-0123456789");
  }

  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_cli_failures (void)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  struct {
    const char *args[12];
    int         status;
    const char *message;
  } cases[] = {
    { { "token", "--room", "r", "--identity", "a", NULL }, 1, "MEDIASTORE_API_SECRET" },
    { { "token", "--room", "r", "--identity", "a", "--config", "/nonexistent/x.conf", NULL },
      1, "/nonexistent/x.conf" },
    { { "token", "--dev", "--room", "r", "--identity", "a", "--ttl", "0", NULL }, 2, "0" },
    { { "token", "--dev", "--room", "r", "--identity", "a", "--ttl", "-5m", NULL }, 2, "-5m" },
    { { "token", "--dev", "--room", "r", "--identity", "a", "--ttl", "soon", NULL }, 2, "soon" },
    { { "token", "--dev", "--room", "r", "--identity", "a", "--ttl", "6x", NULL }, 2, "6x" },
    { { "token", "--dev", "--room", "r", "--identity", "a", "--ttl", "h", NULL }, 2, "--ttl" },
    { { "token", "--dev", "--room", "r", "--identity", "a", "--ttl",
        "99999999999999999999d", NULL }, 2, "--ttl" },
    { { "token", "--dev", "--room", "r", "--identity", "a", "--not-before-in", "-1s", NULL },
      2, "--not-before-in" },
    { { "token", "--dev", "--identity", "a", NULL }, 2, "--room" },
    { { "token", "--dev", "--room", "r", NULL }, 2, "--identity" },
    { { "token", "--dev", "--room", "a room", "--identity", "a", NULL }, 2, "--room" },
    { { "token", "--dev", "--room", "r", "--identity", "a", "--send-tracks", "a b", NULL },
      2, "a b" },
    { { "token", "--dev", "--room", "r", "--identity", "a", "--bogus", NULL }, 2, "--bogus" },
    { { "token", "--dev", "--room", "r", "--identity", "a", "stray", NULL }, 2, "stray" },
    /* Not `token`: the server itself, which refuses to run without a key
     * and refuses arguments it does not know. */
    { { NULL }, 1, "api-secret" },
    { { "serve-me", NULL }, 2, "serve-me" },
  };

  if (!have_cli ())
    return;

  launcher = cli_launcher ();
  g_subprocess_launcher_setenv (launcher, "MEDIASTORE_API_SECRET", "too-short", TRUE);
  {
    const char *args[] = { "token", "--room", "r", "--identity", "a", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (run_cli (launcher, args, &out, &err), ==, 1);
    g_assert_cmpstr (out, ==, "");
    g_assert_nonnull (strstr (err, "32"));
  }
  g_subprocess_launcher_unsetenv (launcher, "MEDIASTORE_API_SECRET");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *joined = g_strjoinv (" ", (char **) cases[i].args);

    g_test_message ("mediastore-server %s", joined);
    g_assert_cmpint (run_cli (launcher, cases[i].args, &out, &err), ==, cases[i].status);
    g_assert_cmpstr (out, ==, "");
    g_assert_nonnull (strstr (err, cases[i].message));
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/token/round-trip", test_round_trip);
  ADD ("/token/round-trip-defaults", test_round_trip_defaults);
  ADD ("/token/foreign-minimal", test_foreign_minimal);
  ADD ("/token/refuse/alg-none", test_alg_none);
  ADD ("/token/refuse/alg-other", test_alg_other);
  ADD ("/token/refuse/bad-header", test_bad_header);
  ADD ("/token/refuse/other-secret", test_other_secret);
  ADD ("/token/refuse/unknown-key", test_unknown_key);
  ADD ("/token/refuse/tampered", test_tampered);
  ADD ("/token/refuse/not-base64url", test_not_base64url);
  ADD ("/token/refuse/mutations", test_mutations);
  ADD ("/token/refuse/expired", test_expiry);
  ADD ("/token/refuse/not-before", test_not_before);
  ADD ("/token/refuse/missing-claims", test_missing_claims);
  ADD ("/token/refuse/wrong-types", test_wrong_types);
  ADD ("/token/refuse/garbage", test_garbage);
  ADD ("/token/shared-rules", test_shared_rules);

#undef ADD

  g_test_add_func ("/token/weak-secret", test_weak_secret);
  g_test_add_func ("/token/keyring", test_keyring);
  g_test_add_func ("/token/mint-refuses", test_mint_refuses);
  g_test_add_func ("/token/cli/dev", test_cli_dev);
  g_test_add_func ("/token/cli/options", test_cli_options);
  g_test_add_func ("/token/cli/env", test_cli_env);
  g_test_add_func ("/token/cli/config", test_cli_config);
  g_test_add_func ("/token/cli/failures", test_cli_failures);
  g_test_add_func ("/token/cli/limits", test_cli_limits);

  return g_test_run ();
}
