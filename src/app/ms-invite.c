/* ms-invite.c: invitation links and codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two spellings of each kind of invitation:
 *
 *   mediastore://HOST:PORT/abc-defg-hij         (a code: the short link)
 *   https://HOST[:PORT]/join/abc-defg-hij
 *   mediastore://HOST:PORT/ROOM?token=TOKEN     (a token of its own)
 *   https://HOST[:PORT]/join/ROOM?token=TOKEN
 *
 * mediastore:// means ws://, https:// means wss://. A token link joins as
 * it is; a code is redeemed at the server (POST
 * /v1/invitations/CODE/redeem) for a token of the guest's own, with the
 * name they chose.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ms-invite.h"
#include "ms-protocol.h"

/* An invitation code: ten letters, shown as 3-4-3. */
#define CODE_LETTERS 10
/* More than any answer to a redeem needs. */
#define MAX_ANSWER (64 * 1024)
#define REDEEM_TIMEOUT_SECONDS 15

G_DEFINE_QUARK (ms-invite-error-quark, ms_invite_error)

static gboolean
invalid (GError **error)
{
  g_set_error_literal (error, MS_INVITE_ERROR, MS_INVITE_ERROR_INVALID,
                       _("This is not a Mediastore invitation link"));
  return FALSE;
}

/**
 * ms_invite_normalize_code:
 * @code: what someone typed or a link carried
 *
 * Returns: (nullable): the code as "abc-defg-hij" (lower case, dashes
 *   where they belong, whether or not @code had them), or %NULL if it is
 *   not a code
 */
char *
ms_invite_normalize_code (const char *code)
{
  GString *letters;

  if (code == NULL)
    return NULL;

  letters = g_string_new (NULL);
  for (const char *c = code; *c != '\0'; c++) {
    if (*c == '-')
      continue;
    if (!g_ascii_isalpha (*c) || letters->len >= CODE_LETTERS) {
      g_string_free (letters, TRUE);
      return NULL;
    }
    g_string_append_c (letters, g_ascii_tolower (*c));
  }
  if (letters->len != CODE_LETTERS) {
    g_string_free (letters, TRUE);
    return NULL;
  }
  g_string_insert_c (letters, 7, '-');
  g_string_insert_c (letters, 3, '-');

  return g_string_free (letters, FALSE);
}

void
ms_invite_link_free (MsInviteLink *link)
{
  if (link == NULL)
    return;

  g_free (link->url);
  g_free (link->room);
  g_free (link->token);
  g_free (link->code);
  g_free (link);
}

/**
 * ms_invite_link_parse:
 * @link: an invitation link in any of its spellings
 *
 * Returns: (transfer full) (nullable): what the link says, or %NULL with
 *   MS_INVITE_ERROR_INVALID
 */
MsInviteLink *
ms_invite_link_parse (const char  *link,
                      GError     **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GHashTable) params = NULL;
  g_autoptr (GUri) ws = NULL;
  g_autoptr (MsInviteLink) parsed = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (link ? link : ""));
  const char *scheme;
  const char *path;
  const char *room;
  const char *token;
  const char *ws_scheme;

  uri = g_uri_parse (stripped, G_URI_FLAGS_ENCODED_QUERY, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0') {
    invalid (error);
    return NULL;
  }

  scheme = g_uri_get_scheme (uri);
  path = g_uri_get_path (uri);
  if (g_ascii_strcasecmp (scheme, "mediastore") == 0) {
    ws_scheme = "ws";
    room = path + (path[0] == '/');
  } else if (g_ascii_strcasecmp (scheme, "https") == 0 && g_str_has_prefix (path, "/join/")) {
    ws_scheme = "wss";
    room = path + strlen ("/join/");
  } else {
    invalid (error);
    return NULL;
  }

  if (g_uri_get_query (uri) != NULL)
    params = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
  token = params ? g_hash_table_lookup (params, "token") : NULL;

  parsed = g_new0 (MsInviteLink, 1);
  if (token == NULL)
    parsed->code = ms_invite_normalize_code (room);
  if (*room == '\0' || strchr (room, '/') != NULL ||
      (parsed->code == NULL && (token == NULL || *token == '\0'))) {
    g_set_error_literal (error, MS_INVITE_ERROR, MS_INVITE_ERROR_INVALID,
                         _("The invitation link is incomplete: it needs an invitation code, or a "
                           "room and a token"));
    return NULL;
  }

  ws = g_uri_build (G_URI_FLAGS_NONE, ws_scheme, NULL, g_uri_get_host (uri), g_uri_get_port (uri),
                    "/v1/ws", NULL, NULL);
  parsed->url = g_uri_to_string (ws);
  if (parsed->code == NULL) {
    parsed->room = g_uri_unescape_string (room, NULL);
    parsed->token = g_strdup (token);
    if (parsed->room == NULL) {
      invalid (error);
      return NULL;
    }
  }

  return g_steal_pointer (&parsed);
}

gboolean
ms_invite_parse (const char  *link,
                 char       **out_url,
                 char       **out_room,
                 char       **out_token,
                 GError     **error)
{
  g_autoptr (MsInviteLink) parsed = ms_invite_link_parse (link, error);

  if (parsed == NULL)
    return FALSE;

  if (out_url)
    *out_url = g_steal_pointer (&parsed->url);
  if (out_room)
    *out_room = g_steal_pointer (&parsed->room);
  if (out_token)
    *out_token = g_steal_pointer (&parsed->token);

  return TRUE;
}

char *
ms_invite_build (const char *host,
                 guint       port,
                 const char *room,
                 const char *token)
{
  g_autofree char *escaped_room = g_uri_escape_string (room, NULL, FALSE);
  g_autofree char *escaped_token = g_uri_escape_string (token, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/", escaped_room, NULL);
  g_autofree char *query = g_strconcat ("token=", escaped_token, NULL);
  g_autoptr (GUri) uri = g_uri_build (G_URI_FLAGS_ENCODED, "mediastore", NULL, host, port, path,
                                      query, NULL);

  return g_uri_to_string (uri);
}

/**
 * ms_invite_build_code:
 *
 * Returns: the short link mediastore://@host:@port/@code
 */
char *
ms_invite_build_code (const char *host,
                      guint       port,
                      const char *code)
{
  g_autofree char *normal = ms_invite_normalize_code (code);
  g_autofree char *path = NULL;
  g_autoptr (GUri) uri = NULL;

  g_return_val_if_fail (normal != NULL, NULL);

  path = g_strconcat ("/", normal, NULL);
  uri = g_uri_build (G_URI_FLAGS_NONE, "mediastore", NULL, host, port, path, NULL, NULL);

  return g_uri_to_string (uri);
}

char *
ms_invite_http_base (const char *ws_url)
{
  g_autoptr (GUri) ws = g_uri_parse (ws_url ? ws_url : "", G_URI_FLAGS_NONE, NULL);
  g_autoptr (GUri) http = NULL;
  const char *scheme;

  if (ws == NULL || g_uri_get_host (ws) == NULL)
    return NULL;
  scheme = g_uri_get_scheme (ws);
  if (g_ascii_strcasecmp (scheme, "ws") == 0 || g_ascii_strcasecmp (scheme, "http") == 0)
    scheme = "http";
  else if (g_ascii_strcasecmp (scheme, "wss") == 0 || g_ascii_strcasecmp (scheme, "https") == 0)
    scheme = "https";
  else
    return NULL;

  http = g_uri_build (G_URI_FLAGS_NONE, scheme, NULL, g_uri_get_host (ws), g_uri_get_port (ws),
                      "", NULL, NULL);
  return g_uri_to_string (http);
}

/* ---- redeeming a code ---- */

typedef struct {
  char *token;
  char *room;
  char *identity;
} Redeemed;

static void
redeemed_free (gpointer data)
{
  Redeemed *redeemed = data;

  g_free (redeemed->token);
  g_free (redeemed->room);
  g_free (redeemed->identity);
  g_free (redeemed);
}

/* The answer's JSON object, if it is one. */
static JsonObject *
answer_object (JsonParser *parser,
               GBytes     *body)
{
  gsize length = 0;
  const char *data = body ? g_bytes_get_data (body, &length) : NULL;
  JsonNode *root;

  /* Someone else's input: checked before json-glib sees it. */
  if (data == NULL || length == 0 || length > MAX_ANSWER ||
      !ms_protocol_check_json (data, length, NULL) ||
      !json_parser_load_from_data (parser, data, length, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_node_get_object (root);
}

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static GError *
refusal (SoupMessage *msg,
         JsonObject  *answer)
{
  guint status = soup_message_get_status (msg);
  const char *code = string_member (answer, "error");
  const char *message = string_member (answer, "message");

  if (status == SOUP_STATUS_NOT_FOUND)
    return g_error_new_literal (MS_INVITE_ERROR, MS_INVITE_ERROR_UNKNOWN,
                                _("There is no such invitation: check the link, or ask for a new "
                                  "one"));
  if (status == SOUP_STATUS_GONE && g_strcmp0 (code, "invitation-revoked") == 0)
    return g_error_new_literal (MS_INVITE_ERROR, MS_INVITE_ERROR_REVOKED,
                                _("This invitation was withdrawn by the host"));
  if (status == SOUP_STATUS_GONE)
    return g_error_new_literal (MS_INVITE_ERROR, MS_INVITE_ERROR_EXPIRED,
                                _("This invitation has expired: ask for a new one"));
  if (status == 429)
    return g_error_new_literal (MS_INVITE_ERROR, MS_INVITE_ERROR_RATE_LIMITED,
                                _("Too many attempts to join: wait a minute and try again"));
  if (message != NULL && g_utf8_validate (message, -1, NULL))
    return g_error_new (MS_INVITE_ERROR, MS_INVITE_ERROR_FAILED,
                        _("The server refused the invitation: %s"), message);

  return g_error_new (MS_INVITE_ERROR, MS_INVITE_ERROR_FAILED,
                      _("The server refused the invitation (HTTP %u)"), status);
}

static void
on_redeem_answer (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *answer;
  Redeemed *redeemed;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_task_return_error (task, g_steal_pointer (&error));
    else
      g_task_return_new_error (task, MS_INVITE_ERROR, MS_INVITE_ERROR_UNREACHABLE,
                               _("Could not reach the call’s server: %s"), error->message);
    return;
  }

  answer = answer_object (parser, body);
  if (soup_message_get_status (msg) != SOUP_STATUS_OK) {
    g_task_return_error (task, refusal (msg, answer));
    return;
  }
  if (string_member (answer, "token") == NULL) {
    g_task_return_new_error (task, MS_INVITE_ERROR, MS_INVITE_ERROR_FAILED,
                             _("The server gave no token for the invitation"));
    return;
  }

  redeemed = g_new0 (Redeemed, 1);
  redeemed->token = g_strdup (string_member (answer, "token"));
  redeemed->room = g_strdup (string_member (answer, "room"));
  redeemed->identity = g_strdup (string_member (answer, "identity"));
  g_task_return_pointer (task, redeemed, redeemed_free);
}

void
ms_invite_redeem_async (const char          *server_url,
                        const char          *code,
                        const char          *name,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree char *base = ms_invite_http_base (server_url);
  g_autofree char *normal = ms_invite_normalize_code (code);
  g_autofree char *address = NULL;
  SoupMessage *msg;
  char *text;

  g_task_set_source_tag (task, ms_invite_redeem_async);
  if (base == NULL || normal == NULL) {
    g_task_return_new_error (task, MS_INVITE_ERROR, MS_INVITE_ERROR_INVALID,
                             _("This is not a Mediastore invitation link"));
    return;
  }

  address = g_strconcat (base, "/v1/invitations/", normal, "/redeem", NULL);
  msg = soup_message_new (SOUP_METHOD_POST, address);
  if (msg == NULL) {
    g_task_return_new_error (task, MS_INVITE_ERROR, MS_INVITE_ERROR_INVALID,
                             _("This is not a Mediastore invitation link"));
    return;
  }
  g_task_set_task_data (task, msg, g_object_unref);

  json_builder_begin_object (builder);
  if (name != NULL && *name != '\0') {
    json_builder_set_member_name (builder, "name");
    json_builder_add_string_value (builder, name);
  }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  body = g_bytes_new_take (text, strlen (text));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);

  session = soup_session_new_with_options ("timeout", REDEEM_TIMEOUT_SECONDS, NULL);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    on_redeem_answer, g_steal_pointer (&task));
}

/**
 * ms_invite_redeem_finish:
 * @out_room: (out) (optional): the room the token is for
 * @out_identity: (out) (optional): the guest's identity, which the server chose
 *
 * Returns: (transfer full) (nullable): the guest's token
 */
char *
ms_invite_redeem_finish (GAsyncResult  *result,
                         char         **out_room,
                         char         **out_identity,
                         GError       **error)
{
  Redeemed *redeemed;
  char *token;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  redeemed = g_task_propagate_pointer (G_TASK (result), error);
  if (redeemed == NULL)
    return NULL;

  token = g_steal_pointer (&redeemed->token);
  if (out_room)
    *out_room = g_steal_pointer (&redeemed->room);
  if (out_identity)
    *out_identity = g_steal_pointer (&redeemed->identity);
  redeemed_free (redeemed);

  return token;
}

/* The name a token carries ("name" claim), to prefill the join page. The
 * token is not verified here: the server does that. */
char *
ms_invite_token_name (const char *token)
{
  g_auto (GStrv) parts = token ? g_strsplit (token, ".", 3) : NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree guchar *payload = NULL;
  g_autofree char *base64 = NULL;
  JsonNode *root;
  gsize length = 0;
  gsize n;

  if (parts == NULL || g_strv_length (parts) != 3)
    return NULL;

  /* base64url without padding, as JWT has it, to plain base64. */
  n = strlen (parts[1]);
  base64 = g_malloc0 (n + 4);
  for (gsize i = 0; i < n; i++)
    base64[i] = parts[1][i] == '-' ? '+' : parts[1][i] == '_' ? '/' : parts[1][i];
  while (n % 4 != 0)
    base64[n++] = '=';

  payload = g_base64_decode (base64, &length);
  /* Someone else's input: checked before json-glib sees it. */
  if (payload == NULL || !ms_protocol_check_json ((const char *) payload, length, NULL) ||
      !json_parser_load_from_data (parser, (const char *) payload, length, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return g_strdup (json_object_get_string_member_with_default (json_node_get_object (root),
                                                               "name", NULL));
}
