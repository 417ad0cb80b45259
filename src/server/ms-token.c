/* ms-token.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libjwt computes and compares the HMAC; everything else is ours. libjwt
 * 1.10 would verify whatever algorithm the header names (HS384 with our
 * secret, or nothing at all for "none" when no key is passed), so the
 * header is decoded and pinned to HS256 here first. The payload is read
 * with json-glib from the same bytes libjwt checked, and each claim is
 * checked for type and size: a signature only proves who wrote the token,
 * not that its content is sane.
 */

#define G_LOG_DOMAIN "MsToken"

#include "config.h"

#include <errno.h>
#include <jwt.h>
#include <stdlib.h>
#include <string.h>

#include "ms-token.h"

/* The protocol's default limit for key ids, in bytes. */
#define MAX_ID_LENGTH 64

struct _MsKeyring {
  GHashTable *secrets;  /* key id → secret */
};

G_DEFINE_QUARK (ms-token-error-quark, ms_token_error)

MsProtocolError
ms_token_error_to_protocol (MsTokenError code)
{
  if (code == MS_TOKEN_ERROR_EXPIRED)
    return MS_PROTOCOL_ERROR_TOKEN_EXPIRED;

  return MS_PROTOCOL_ERROR_UNAUTHORIZED;
}

MsTokenClaims *
ms_token_claims_new (void)
{
  return g_new0 (MsTokenClaims, 1);
}

void
ms_token_claims_free (MsTokenClaims *claims)
{
  if (claims == NULL)
    return;

  g_free (claims->key_id);
  g_free (claims->identity);
  g_free (claims->room);
  g_free (claims->name);
  g_free (claims->avatar);
  ms_grants_clear (&claims->grants);
  g_free (claims);
}

static void
wipe_secret (gpointer data)
{
  char *secret = data;

  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

MsKeyring *
ms_keyring_new (void)
{
  MsKeyring *keyring = g_atomic_rc_box_new0 (MsKeyring);

  keyring->secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, wipe_secret);

  return keyring;
}

MsKeyring *
ms_keyring_ref (MsKeyring *keyring)
{
  g_return_val_if_fail (keyring != NULL, NULL);

  return g_atomic_rc_box_acquire (keyring);
}

static void
keyring_clear (gpointer data)
{
  MsKeyring *keyring = data;

  g_hash_table_unref (keyring->secrets);
}

void
ms_keyring_unref (MsKeyring *keyring)
{
  g_return_if_fail (keyring != NULL);

  g_atomic_rc_box_release_full (keyring, keyring_clear);
}

static gboolean
check_secret (const char  *secret,
              GError     **error)
{
  gsize length = strlen (secret);

  if (length < MS_TOKEN_MIN_SECRET_LENGTH) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_WEAK_SECRET,
                 "The API secret is %" G_GSIZE_FORMAT " bytes long; it must have at least %d "
                 "(make one with: openssl rand -base64 32)",
                 length, MS_TOKEN_MIN_SECRET_LENGTH);
    return FALSE;
  }

  /* libjwt takes the key length as an int. */
  if (length > G_MAXINT) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED, "The API secret is too long");
    return FALSE;
  }

  return TRUE;
}

gboolean
ms_keyring_add (MsKeyring   *keyring,
                const char  *key_id,
                const char  *secret,
                GError     **error)
{
  g_return_val_if_fail (keyring != NULL, FALSE);
  g_return_val_if_fail (key_id != NULL, FALSE);
  g_return_val_if_fail (secret != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!ms_validate_identifier (key_id, MAX_ID_LENGTH)) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The API key id “%s” is not a valid identifier", key_id);
    return FALSE;
  }

  if (!check_secret (secret, error))
    return FALSE;

  g_hash_table_replace (keyring->secrets, g_strdup (key_id), g_strdup (secret));

  return TRUE;
}

const char *
ms_keyring_lookup (MsKeyring  *keyring,
                   const char *key_id)
{
  g_return_val_if_fail (keyring != NULL, NULL);

  if (key_id == NULL)
    return NULL;

  return g_hash_table_lookup (keyring->secrets, key_id);
}

/* Checks what both minting and verifying require of claims that have the
 * right types: identifiers, sizes and URLs, by the protocol's rules
 * (ms-protocol.h) with the server's @limits. */

static gboolean
check_grant_list (const char * const *list,
                  const char         *name,
                  const MsLimits     *limits,
                  GError            **error)
{
  if (!ms_validate_grant_list (list, limits->max_id_length)) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The grant “%s” must list at most %d identifiers of at most %" G_GSIZE_FORMAT
                 " bytes, or \"*\"", name, MS_PROTOCOL_MAX_LIST, limits->max_id_length);
    return FALSE;
  }

  return TRUE;
}

static gboolean
check_name (const char      *name,
            const MsLimits  *limits,
            GError         **error)
{
  if (!ms_validate_display_name (name, limits->max_name_length)) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The “name” claim must be 1 to %" G_GSIZE_FORMAT " bytes of UTF-8 text "
                 "without control characters", limits->max_name_length);
    return FALSE;
  }

  return TRUE;
}

static gboolean
check_avatar (const char      *avatar,
              const MsLimits  *limits,
              GError         **error)
{
  if (!ms_validate_avatar_url (avatar, limits->max_url_length)) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The “avatar” claim must be an http or https URL of at most %" G_GSIZE_FORMAT
                 " bytes, without spaces", limits->max_url_length);
    return FALSE;
  }

  return TRUE;
}

static gboolean
check_identifier_claim (const char  *value,
                        const char  *claim,
                        gsize        max_length,
                        GError     **error)
{
  if (value == NULL) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MISSING_CLAIM,
                 "The token has no “%s” claim", claim);
    return FALSE;
  }

  if (!ms_validate_identifier (value, max_length)) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The “%s” claim must be an identifier of at most %" G_GSIZE_FORMAT " bytes",
                 claim, max_length);
    return FALSE;
  }

  return TRUE;
}

/* iss names an API key, which ms_keyring_add() checks with the default
 * limit: it is the server's own, never shown to peers. */
static gboolean
check_claims (const MsTokenClaims  *claims,
              const MsLimits       *limits,
              GError              **error)
{
  return check_identifier_claim (claims->key_id, "iss", MAX_ID_LENGTH, error) &&
         check_identifier_claim (claims->identity, "sub", limits->max_id_length, error) &&
         check_identifier_claim (claims->room, "room", limits->max_id_length, error) &&
         (claims->name == NULL || check_name (claims->name, limits, error)) &&
         (claims->avatar == NULL || check_avatar (claims->avatar, limits, error)) &&
         check_grant_list ((const char * const *) claims->grants.send_tracks, "send_tracks",
                           limits, error) &&
         check_grant_list ((const char * const *) claims->grants.recv_tracks, "recv_tracks",
                           limits, error) &&
         check_grant_list ((const char * const *) claims->grants.send_messages, "send_messages",
                           limits, error) &&
         check_grant_list ((const char * const *) claims->grants.recv_messages, "recv_messages",
                           limits, error);
}

/* Minting */

static char *
claims_to_json (const MsTokenClaims *claims)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonObject) grants = ms_grants_to_json (&claims->grants);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "iss");
  json_builder_add_string_value (builder, claims->key_id);
  json_builder_set_member_name (builder, "sub");
  json_builder_add_string_value (builder, claims->identity);
  json_builder_set_member_name (builder, "room");
  json_builder_add_string_value (builder, claims->room);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, claims->name ? claims->name : claims->identity);
  json_builder_set_member_name (builder, "avatar");
  if (claims->avatar != NULL)
    json_builder_add_string_value (builder, claims->avatar);
  else
    json_builder_add_null_value (builder);
  if (claims->issued_at != 0) {
    json_builder_set_member_name (builder, "iat");
    json_builder_add_int_value (builder, claims->issued_at);
  }
  if (claims->not_before != 0) {
    json_builder_set_member_name (builder, "nbf");
    json_builder_add_int_value (builder, claims->not_before);
  }
  json_builder_set_member_name (builder, "exp");
  json_builder_add_int_value (builder, claims->expires);

  json_builder_set_member_name (builder, "grants");
  json_builder_add_value (builder, json_node_init_object (json_node_alloc (), grants));
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, NULL);
}

static void
set_errno_error (GError     **error,
                 int          code,
                 const char  *what)
{
  g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED, "Could not %s: %s", what,
               g_strerror (code ? code : EINVAL));
}

char *
ms_token_mint (const MsTokenClaims  *claims,
               const char           *secret,
               GError              **error)
{
  return ms_token_mint_full (claims, secret, NULL, error);
}

char *
ms_token_mint_full (const MsTokenClaims  *claims,
                    const char           *secret,
                    const MsLimits       *limits,
                    GError              **error)
{
  MsLimits defaults;
  g_autofree char *payload = NULL;
  g_autofree char *token = NULL;
  jwt_t *jwt = NULL;
  char *encoded;
  int ret;

  g_return_val_if_fail (claims != NULL, NULL);
  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (limits == NULL) {
    ms_limits_init_default (&defaults);
    limits = &defaults;
  }

  if (!check_secret (secret, error) || !check_claims (claims, limits, error))
    return NULL;

  if (claims->expires <= 0) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MISSING_CLAIM,
                 "The token has no “exp” claim");
    return NULL;
  }

  payload = claims_to_json (claims);
  /* libjwt base64-encodes on the stack; the result would be refused anyway. */
  if (strlen (payload) > MS_TOKEN_MAX_LENGTH) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The token would be longer than %d bytes", MS_TOKEN_MAX_LENGTH);
    return NULL;
  }

  ret = jwt_new (&jwt);
  if (ret != 0) {
    set_errno_error (error, ret, "create a token");
    return NULL;
  }

  ret = jwt_add_grants_json (jwt, payload);
  if (ret == 0)
    ret = jwt_set_alg (jwt, JWT_ALG_HS256, (const unsigned char *) secret, (int) strlen (secret));
  if (ret != 0) {
    jwt_free (jwt);
    set_errno_error (error, ret, "create a token");
    return NULL;
  }

  encoded = jwt_encode_str (jwt);
  ret = errno;
  jwt_free (jwt);
  if (encoded == NULL) {
    set_errno_error (error, ret, "sign the token");
    return NULL;
  }

  /* libjwt allocates with malloc(); hand out GLib memory. */
  token = g_strdup (encoded);
  free (encoded);

  if (strlen (token) > MS_TOKEN_MAX_LENGTH) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The token would be longer than %d bytes", MS_TOKEN_MAX_LENGTH);
    return NULL;
  }

  return g_steal_pointer (&token);
}

/* Verifying */

static gboolean
is_base64url (const char *text)
{
  gsize length = 0;

  for (const char *p = text; *p != '\0'; p++, length++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  }

  /* Unpadded base64 never leaves a single character in the last group. */
  return length % 4 != 1;
}

/* Decodes unpadded base64url (RFC 7515 §2); NULL if @text is anything else. */
static guchar *
base64url_decode (const char *text,
                  gsize      *out_length)
{
  g_autoptr (GString) standard = NULL;

  if (*text == '\0' || !is_base64url (text))
    return NULL;

  standard = g_string_new (text);
  g_strdelimit (standard->str, "-", '+');
  g_strdelimit (standard->str, "_", '/');
  while (standard->len % 4 != 0)
    g_string_append_c (standard, '=');

  return g_base64_decode (standard->str, out_length);
}

/* Decodes one base64url part holding a JSON object. */
static JsonObject *
decode_json_part (const char  *part,
                  const char  *what,
                  GError     **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree guchar *data = NULL;
  gsize length = 0;

  data = base64url_decode (part, &length);
  if (data == NULL) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The token's %s is not base64url", what);
    return NULL;
  }

  /* json-glib alone would overflow its stack on deep nesting and wrap
   * big integers silently. */
  if (!ms_protocol_check_json ((const char *) data, length, NULL) ||
      !json_parser_load_from_data (parser, (const char *) data, (gssize) length, NULL) ||
      (root = json_parser_steal_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The token's %s is not a JSON object", what);
    return NULL;
  }

  return json_object_ref (json_node_get_object (root));
}

static gboolean
node_is (JsonNode *node,
         GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
read_string (JsonObject   *object,
             const char   *name,
             gboolean      nullable,
             char        **out,
             GError      **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || (nullable && JSON_NODE_HOLDS_NULL (node)))
    return TRUE;

  if (!node_is (node, G_TYPE_STRING)) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 nullable ? "The “%s” claim must be a string or null"
                          : "The “%s” claim must be a string", name);
    return FALSE;
  }

  *out = g_strdup (json_node_get_string (node));

  return TRUE;
}

static gboolean
read_time (JsonObject  *object,
           const char  *name,
           gboolean     required,
           gint64      *out,
           GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL) {
    if (required) {
      g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MISSING_CLAIM,
                   "The token has no “%s” claim", name);
      return FALSE;
    }
    return TRUE;
  }

  if (!node_is (node, G_TYPE_INT64)) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The “%s” claim must be an integer number of seconds", name);
    return FALSE;
  }

  *out = json_node_get_int (node);

  return TRUE;
}

static gboolean
read_grant_list (JsonObject  *grants,
                 const char  *name,
                 GStrv       *out,
                 GError     **error)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *node = json_object_get_member (grants, name);

  if (node != NULL) {
    JsonArray *array;

    if (!JSON_NODE_HOLDS_ARRAY (node)) {
      g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                   "The grant “%s” must be an array of strings", name);
      return FALSE;
    }

    array = json_node_get_array (node);
    for (guint i = 0; i < json_array_get_length (array); i++) {
      JsonNode *item = json_array_get_element (array, i);

      if (!node_is (item, G_TYPE_STRING)) {
        g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                     "The grant “%s” must be an array of strings", name);
        return FALSE;
      }
      g_strv_builder_add (builder, json_node_get_string (item));
    }
  }

  *out = g_strv_builder_end (builder);

  return TRUE;
}

static gboolean
read_grant_flag (JsonObject  *grants,
                 const char  *name,
                 gboolean    *out,
                 GError     **error)
{
  JsonNode *node = json_object_get_member (grants, name);

  if (node == NULL)
    return TRUE;

  if (!node_is (node, G_TYPE_BOOLEAN)) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The grant “%s” must be true or false", name);
    return FALSE;
  }

  *out = json_node_get_boolean (node);

  return TRUE;
}

static gboolean
read_grants (JsonObject  *payload,
             MsGrants    *grants,
             GError     **error)
{
  JsonNode *node = json_object_get_member (payload, "grants");
  JsonObject *object;

  if (node == NULL) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MISSING_CLAIM,
                 "The token has no “grants” claim");
    return FALSE;
  }

  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The “grants” claim must be an object");
    return FALSE;
  }

  object = json_node_get_object (node);

  return read_grant_list (object, "send_tracks", &grants->send_tracks, error) &&
         read_grant_list (object, "recv_tracks", &grants->recv_tracks, error) &&
         read_grant_list (object, "send_messages", &grants->send_messages, error) &&
         read_grant_list (object, "recv_messages", &grants->recv_messages, error) &&
         read_grant_flag (object, "can_hide", &grants->can_hide, error) &&
         read_grant_flag (object, "hidden", &grants->hidden, error) &&
         read_grant_flag (object, "host", &grants->host, error);
}

/* Refuses anything but {"alg": "HS256"}, with an optional "typ": "JWT". */
static gboolean
check_header (JsonObject  *header,
              GError     **error)
{
  JsonNode *alg = json_object_get_member (header, "alg");
  JsonNode *typ = json_object_get_member (header, "typ");

  /* Case matters: libjwt would take "hs256" or "None" too. */
  if (alg == NULL || !node_is (alg, G_TYPE_STRING) ||
      !g_str_equal (json_node_get_string (alg), "HS256")) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_BAD_ALGORITHM,
                 "The token must be signed with HS256");
    return FALSE;
  }

  if (typ != NULL && (!node_is (typ, G_TYPE_STRING) ||
                      g_ascii_strcasecmp (json_node_get_string (typ), "JWT") != 0)) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The token's type must be JWT");
    return FALSE;
  }

  /* Extensions the token says we must understand: we understand none. */
  if (json_object_has_member (header, "crit")) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The token requires extensions this server does not know");
    return FALSE;
  }

  return TRUE;
}

static gboolean
check_signature (const char  *token,
                 const char  *signature,
                 const char  *secret,
                 GError     **error)
{
  jwt_t *jwt = NULL;
  int ret;

  if (*signature == '\0') {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_BAD_SIGNATURE,
                 "The token is not signed");
    return FALSE;
  }

  ret = jwt_decode (&jwt, token, (const unsigned char *) secret, (int) strlen (secret));
  if (ret == 0 && jwt_get_alg (jwt) != JWT_ALG_HS256)
    ret = EINVAL;
  g_clear_pointer (&jwt, jwt_free);

  if (ret != 0) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_BAD_SIGNATURE,
                 "The token's signature does not match its key");
    return FALSE;
  }

  return TRUE;
}

MsTokenClaims *
ms_token_verify (const char  *token,
                 MsKeyring   *keyring,
                 gint64       now_seconds,
                 GError     **error)
{
  return ms_token_verify_full (token, keyring, NULL, now_seconds, error);
}

MsTokenClaims *
ms_token_verify_full (const char      *token,
                      MsKeyring       *keyring,
                      const MsLimits  *limits,
                      gint64           now_seconds,
                      GError         **error)
{
  MsLimits defaults;
  g_autoptr (MsTokenClaims) claims = ms_token_claims_new ();
  g_autoptr (JsonObject) header = NULL;
  g_autoptr (JsonObject) payload = NULL;
  g_auto (GStrv) parts = NULL;
  const char *secret;

  g_return_val_if_fail (keyring != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (limits == NULL) {
    ms_limits_init_default (&defaults);
    limits = &defaults;
  }

  if (token == NULL) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED, "There is no token");
    return NULL;
  }

  if (strnlen (token, MS_TOKEN_MAX_LENGTH + 1) > MS_TOKEN_MAX_LENGTH) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The token is longer than %d bytes", MS_TOKEN_MAX_LENGTH);
    return NULL;
  }

  parts = g_strsplit (token, ".", 4);
  if (g_strv_length (parts) != 3) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The token is not a JWT (three base64url parts separated by dots)");
    return NULL;
  }

  /* An empty signature is a form error only once the header asks for one. */
  if (!is_base64url (parts[2])) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MALFORMED,
                 "The token's signature is not base64url");
    return NULL;
  }

  header = decode_json_part (parts[0], "header", error);
  if (header == NULL || !check_header (header, error))
    return NULL;

  payload = decode_json_part (parts[1], "payload", error);
  if (payload == NULL || !read_string (payload, "iss", FALSE, &claims->key_id, error))
    return NULL;

  if (claims->key_id == NULL) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_MISSING_CLAIM,
                 "The token has no “iss” claim");
    return NULL;
  }

  secret = ms_keyring_lookup (keyring, claims->key_id);
  if (secret == NULL) {
    /* iss is not authenticated yet: keep it out of the message. */
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_UNKNOWN_KEY,
                 "The token was issued with an API key this server does not know");
    return NULL;
  }

  if (!check_signature (token, parts[2], secret, error))
    return NULL;

  /* From here on the payload is what the key's owner wrote. */
  if (!read_string (payload, "sub", FALSE, &claims->identity, error) ||
      !read_string (payload, "room", FALSE, &claims->room, error) ||
      !read_string (payload, "name", FALSE, &claims->name, error) ||
      !read_string (payload, "avatar", TRUE, &claims->avatar, error) ||
      !read_time (payload, "exp", TRUE, &claims->expires, error) ||
      !read_time (payload, "nbf", FALSE, &claims->not_before, error) ||
      !read_time (payload, "iat", FALSE, &claims->issued_at, error) ||
      !read_grants (payload, &claims->grants, error) ||
      !check_claims (claims, limits, error))
    return NULL;

  if (now_seconds - MS_TOKEN_CLOCK_SKEW > claims->expires) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_EXPIRED, "The token has expired");
    return NULL;
  }

  if (claims->not_before != 0 && now_seconds + MS_TOKEN_CLOCK_SKEW < claims->not_before) {
    g_set_error (error, MS_TOKEN_ERROR, MS_TOKEN_ERROR_NOT_YET_VALID,
                 "The token is not valid yet");
    return NULL;
  }

  if (claims->name == NULL)
    claims->name = g_strdup (claims->identity);

  return g_steal_pointer (&claims);
}
