/* ms-invite.c: invitation links
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two spellings of one invitation:
 *
 *   mediastore://HOST:PORT/ROOM?token=TOKEN     (the app's own scheme; ws://)
 *   https://HOST[:PORT]/join/ROOM?token=TOKEN   (a web link; wss://)
 *
 * Both become the server's WebSocket URL, the room and the token.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "ms-invite.h"
#include "ms-protocol.h"

G_DEFINE_QUARK (ms-invite-error-quark, ms_invite_error)

static gboolean
invalid (GError **error)
{
  g_set_error_literal (error, MS_INVITE_ERROR, MS_INVITE_ERROR_INVALID,
                       _("This is not a Mediastore invitation link"));
  return FALSE;
}

gboolean
ms_invite_parse (const char  *link,
                 char       **out_url,
                 char       **out_room,
                 char       **out_token,
                 GError     **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GHashTable) params = NULL;
  g_autoptr (GUri) ws = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (link ? link : ""));
  const char *scheme;
  const char *path;
  const char *room;
  const char *token;
  const char *ws_scheme;

  uri = g_uri_parse (stripped, G_URI_FLAGS_ENCODED_QUERY, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return invalid (error);

  scheme = g_uri_get_scheme (uri);
  path = g_uri_get_path (uri);
  if (g_ascii_strcasecmp (scheme, "mediastore") == 0) {
    ws_scheme = "ws";
    room = path + (path[0] == '/');
  } else if (g_ascii_strcasecmp (scheme, "https") == 0 && g_str_has_prefix (path, "/join/")) {
    ws_scheme = "wss";
    room = path + strlen ("/join/");
  } else {
    return invalid (error);
  }

  if (g_uri_get_query (uri) != NULL)
    params = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
  token = params ? g_hash_table_lookup (params, "token") : NULL;
  if (*room == '\0' || strchr (room, '/') != NULL || token == NULL || *token == '\0') {
    g_set_error_literal (error, MS_INVITE_ERROR, MS_INVITE_ERROR_INVALID,
                         _("The invitation link is incomplete: it needs a room and a token"));
    return FALSE;
  }

  ws = g_uri_build (G_URI_FLAGS_NONE, ws_scheme, NULL, g_uri_get_host (uri), g_uri_get_port (uri),
                    "/v1/ws", NULL, NULL);
  if (out_url)
    *out_url = g_uri_to_string (ws);
  if (out_room)
    *out_room = g_uri_unescape_string (room, NULL);
  if (out_token)
    *out_token = g_strdup (token);

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
