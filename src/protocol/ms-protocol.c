/* ms-protocol.c: decoding and encoding the signaling protocol v1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every frame comes from the network, so nothing here trusts one: each
 * field is checked for presence, JSON type, length and charset before it
 * lands in an MsMessage, and every failure is a GError, never a critical.
 * One row of msg_types[] holds the decoder, encoder and clear function of
 * a message type; the helpers above it read and write one field each.
 */

#define G_LOG_DOMAIN "MsProtocol"

#include "config.h"

#include "ms-protocol.h"

#include <glib.h>
#include <json-glib/json-glib.h>

#include <math.h>
#include <string.h>

/* Error codes, track kinds and PeerConnection kinds on the wire. */
static const char * const error_codes[] = {
  [MS_PROTOCOL_ERROR_BAD_REQUEST] = "bad-request",
  [MS_PROTOCOL_ERROR_UNAUTHORIZED] = "unauthorized",
  [MS_PROTOCOL_ERROR_TOKEN_EXPIRED] = "token-expired",
  [MS_PROTOCOL_ERROR_FORBIDDEN] = "forbidden",
  [MS_PROTOCOL_ERROR_NOT_FOUND] = "not-found",
  [MS_PROTOCOL_ERROR_CONFLICT] = "conflict",
  [MS_PROTOCOL_ERROR_RATE_LIMITED] = "rate-limited",
  [MS_PROTOCOL_ERROR_ROOM_FULL] = "room-full",
  [MS_PROTOCOL_ERROR_SERVER_ERROR] = "server-error",
  [MS_PROTOCOL_ERROR_UNAVAILABLE] = "unavailable",
};

static const char * const track_kinds[] = {
  [MS_TRACK_KIND_AUDIO] = "audio",
  [MS_TRACK_KIND_VIDEO] = "video",
};

static const char * const pc_kinds[] = {
  [MS_PC_PUBLISH] = "publish",
  [MS_PC_SUBSCRIBE] = "subscribe",
};

G_DEFINE_QUARK (ms-protocol-error-quark, ms_protocol_error)

G_GNUC_PRINTF (2, 3)
static gboolean
bad_request (GError    **error,
             const char *format,
             ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error_literal (error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST, message);
  return FALSE;
}

static gboolean
lookup_name (const char * const *names,
             guint               n_names,
             const char         *str,
             guint              *out_index)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < n_names; i++) {
    if (g_str_equal (names[i], str)) {
      if (out_index != NULL)
        *out_index = i;
      return TRUE;
    }
  }

  return FALSE;
}

const char *
ms_protocol_error_to_string (MsProtocolError code)
{
  g_return_val_if_fail ((guint) code < G_N_ELEMENTS (error_codes), NULL);

  return error_codes[code];
}

gboolean
ms_protocol_error_from_string (const char      *str,
                               MsProtocolError *out_code)
{
  guint index;

  if (!lookup_name (error_codes, G_N_ELEMENTS (error_codes), str, &index))
    return FALSE;

  if (out_code != NULL)
    *out_code = index;
  return TRUE;
}

/* Only the errors a client can do something about get a close code of
 * their own: fetch a new token (4001), stop asking (4003), slow down
 * (4008). Any other error that ends a connection — a malformed request,
 * but also not-found, conflict, room-full and server-error — closes it
 * with 4400. */
MsCloseCode
ms_protocol_error_close_code (MsProtocolError code)
{
  switch (code) {
  case MS_PROTOCOL_ERROR_UNAUTHORIZED:
  case MS_PROTOCOL_ERROR_TOKEN_EXPIRED:
    return MS_CLOSE_UNAUTHORIZED;
  case MS_PROTOCOL_ERROR_FORBIDDEN:
    return MS_CLOSE_FORBIDDEN;
  case MS_PROTOCOL_ERROR_RATE_LIMITED:
    return MS_CLOSE_RATE_LIMITED;
  case MS_PROTOCOL_ERROR_UNAVAILABLE:
    return MS_CLOSE_UNAVAILABLE;
  case MS_PROTOCOL_ERROR_BAD_REQUEST:
  case MS_PROTOCOL_ERROR_NOT_FOUND:
  case MS_PROTOCOL_ERROR_CONFLICT:
  case MS_PROTOCOL_ERROR_ROOM_FULL:
  case MS_PROTOCOL_ERROR_SERVER_ERROR:
    break;
  }

  return MS_CLOSE_ABUSE;
}

const char *
ms_track_kind_to_string (MsTrackKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (track_kinds), NULL);

  return track_kinds[kind];
}

gboolean
ms_track_kind_from_string (const char  *str,
                           MsTrackKind *out_kind)
{
  guint index;

  if (!lookup_name (track_kinds, G_N_ELEMENTS (track_kinds), str, &index))
    return FALSE;

  if (out_kind != NULL)
    *out_kind = index;
  return TRUE;
}

const char *
ms_pc_kind_to_string (MsPcKind pc)
{
  g_return_val_if_fail ((guint) pc < G_N_ELEMENTS (pc_kinds), NULL);

  return pc_kinds[pc];
}

gboolean
ms_pc_kind_from_string (const char *str,
                        MsPcKind   *out_pc)
{
  guint index;

  if (!lookup_name (pc_kinds, G_N_ELEMENTS (pc_kinds), str, &index))
    return FALSE;

  if (out_pc != NULL)
    *out_pc = index;
  return TRUE;
}

void
ms_limits_init_default (MsLimits *limits)
{
  g_return_if_fail (limits != NULL);

  limits->max_frame = 64 * 1024;
  limits->max_id_length = 64;
  limits->max_name_length = 128;
  limits->max_url_length = 2048;
  limits->max_token_length = 8192;
  limits->max_sdp_length = 60000;
  limits->max_tracks = 32;
  limits->max_peers = 1000;
}

/* Identifiers end up in logs, metrics labels, SDP and file names, so they
 * are plain ASCII that none of those needs to escape. */
static gboolean
is_identifier_char (char c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '_' || c == ':' || c == '@' || c == '-';
}

gboolean
ms_validate_identifier (const char *str,
                        gsize       max_length)
{
  if (str == NULL || str[0] == '\0')
    return FALSE;

  for (gsize i = 0; str[i] != '\0'; i++) {
    if (i >= max_length || !is_identifier_char (str[i]))
      return FALSE;
  }

  return TRUE;
}

gboolean
ms_grant_allows (const char * const *allowed,
                 const char         *item)
{
  if (allowed == NULL || item == NULL)
    return FALSE;

  for (; *allowed != NULL; allowed++) {
    if (g_str_equal (*allowed, "*") || g_str_equal (*allowed, item))
      return TRUE;
  }

  return FALSE;
}

MsTrackDesc *
ms_track_desc_new (const char  *tag,
                   MsTrackKind  kind,
                   gboolean     paused)
{
  MsTrackDesc *track = g_new0 (MsTrackDesc, 1);

  track->tag = g_strdup (tag);
  track->kind = kind;
  track->paused = !!paused;

  return track;
}

MsTrackDesc *
ms_track_desc_copy (const MsTrackDesc *track)
{
  MsTrackDesc *copy;

  g_return_val_if_fail (track != NULL, NULL);

  copy = ms_track_desc_new (track->tag, track->kind, track->paused);
  copy->mid = g_strdup (track->mid);
  copy->peer_id = g_strdup (track->peer_id);

  return copy;
}

void
ms_track_desc_free (MsTrackDesc *track)
{
  if (track == NULL)
    return;

  g_free (track->mid);
  g_free (track->peer_id);
  g_free (track->tag);
  g_free (track);
}

static GPtrArray *
new_track_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ms_track_desc_free);
}

MsPeerDesc *
ms_peer_desc_new (const char *id,
                  const char *display_name,
                  const char *avatar)
{
  MsPeerDesc *peer = g_new0 (MsPeerDesc, 1);

  peer->id = g_strdup (id);
  peer->display_name = g_strdup (display_name);
  peer->avatar = g_strdup (avatar);
  peer->tracks = new_track_array ();

  return peer;
}

MsPeerDesc *
ms_peer_desc_copy (const MsPeerDesc *peer)
{
  MsPeerDesc *copy;

  g_return_val_if_fail (peer != NULL, NULL);

  copy = ms_peer_desc_new (peer->id, peer->display_name, peer->avatar);
  copy->host = peer->host;
  for (guint i = 0; peer->tracks != NULL && i < peer->tracks->len; i++)
    g_ptr_array_add (copy->tracks, ms_track_desc_copy (g_ptr_array_index (peer->tracks, i)));

  return copy;
}

void
ms_peer_desc_free (MsPeerDesc *peer)
{
  if (peer == NULL)
    return;

  g_free (peer->id);
  g_free (peer->display_name);
  g_free (peer->avatar);
  g_clear_pointer (&peer->tracks, g_ptr_array_unref);
  g_free (peer);
}

void
ms_grants_copy_to (const MsGrants *src,
                   MsGrants       *dest)
{
  g_return_if_fail (src != NULL);
  g_return_if_fail (dest != NULL);

  dest->send_tracks = g_strdupv (src->send_tracks);
  dest->recv_tracks = g_strdupv (src->recv_tracks);
  dest->send_messages = g_strdupv (src->send_messages);
  dest->recv_messages = g_strdupv (src->recv_messages);
  dest->can_hide = src->can_hide;
  dest->hidden = src->hidden;
  dest->host = src->host;
}

void
ms_grants_clear (MsGrants *grants)
{
  g_return_if_fail (grants != NULL);

  g_clear_pointer (&grants->send_tracks, g_strfreev);
  g_clear_pointer (&grants->recv_tracks, g_strfreev);
  g_clear_pointer (&grants->send_messages, g_strfreev);
  g_clear_pointer (&grants->recv_messages, g_strfreev);
  grants->can_hide = FALSE;
  grants->hidden = FALSE;
  grants->host = FALSE;
}

MsIceServer *
ms_ice_server_copy (const MsIceServer *server)
{
  MsIceServer *copy;

  g_return_val_if_fail (server != NULL, NULL);

  copy = g_new0 (MsIceServer, 1);
  copy->urls = g_strdupv (server->urls);
  copy->username = g_strdup (server->username);
  copy->credential = g_strdup (server->credential);

  return copy;
}

void
ms_ice_server_free (MsIceServer *server)
{
  if (server == NULL)
    return;

  g_strfreev (server->urls);
  g_free (server->username);
  g_free (server->credential);
  g_free (server);
}

/* JSON syntax
 *
 * json-glib 1.6 recurses once per nesting level without any bound (a
 * frame of 100000 '[' overflows the stack), silently wraps integers that
 * do not fit in 64 bits (-99999999999999999999 reads as 1), keeps a
 * string cut at an escaped U+0000, and accepts what is not JSON: comments,
 * single quotes, hex and zero-padded numbers, several values in a row.
 * This pass over the raw bytes refuses all of that before json-glib sees
 * them. It checks tokens and depth only; the parsing is json-glib's.
 */

typedef struct {
  const char  *data;
  gsize        length;
  gsize        pos;
  const char  *subject;   /* "frame": what the error messages talk about */
  GError     **error;
} Scanner;

G_GNUC_PRINTF (2, 3)
static gboolean
syntax_error (Scanner    *s,
              const char *format,
              ...)
{
  va_list args;
  g_autofree char *reason = NULL;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (s->error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
               "%s %s", s->subject, reason);
  return FALSE;
}

static gboolean
not_json (Scanner *s)
{
  return syntax_error (s, "is not valid JSON");
}

static gboolean
at (Scanner    *s,
    gsize       offset,
    const char *chars)
{
  gsize i = s->pos + offset;

  return i < s->length && s->data[i] != '\0' && strchr (chars, s->data[i]) != NULL;
}

/* The code unit of the \uXXXX escape at @offset, or -1. */
static gint
unicode_escape_at (Scanner *s,
                   gsize    offset)
{
  gint unit = 0;

  if (!at (s, offset, "\\") || !at (s, offset + 1, "u"))
    return -1;
  for (gsize k = 2; k <= 5; k++) {
    if (!at (s, offset + k, "0123456789abcdefABCDEF"))
      return -1;
    unit = unit * 16 + g_ascii_xdigit_value (s->data[s->pos + offset + k]);
  }

  return unit;
}

static gboolean
skip_escape (Scanner *s)
{
  gint unit;

  if (at (s, 1, "\"\\/bfnrt")) {
    s->pos += 2;
    return TRUE;
  }

  unit = unicode_escape_at (s, 0);
  if (unit < 0)
    return not_json (s);
  if (unit == 0)
    return syntax_error (s, "holds a string with the character U+0000");

  /* UTF-16 surrogates come in pairs, high then low. json-glib 1.6 turns
   * a high one followed by anything else into invalid UTF-8, which other
   * clients would then refuse, and leaks memory on some others. */
  if (unit >= 0xd800 && unit <= 0xdbff) {
    gint low = unicode_escape_at (s, 6);

    if (low < 0xdc00 || low > 0xdfff)
      return syntax_error (s, "holds a string with an unpaired UTF-16 surrogate");
    s->pos += 12;
    return TRUE;
  }
  if (unit >= 0xdc00 && unit <= 0xdfff)
    return syntax_error (s, "holds a string with an unpaired UTF-16 surrogate");

  s->pos += 6;
  return TRUE;
}

static gboolean
skip_string (Scanner *s)
{
  s->pos++;

  while (s->pos < s->length) {
    guchar c = s->data[s->pos];

    if (c == '"') {
      s->pos++;
      return TRUE;
    }

    if (c < 0x20)
      return not_json (s);

    if (c != '\\')
      s->pos++;
    else if (!skip_escape (s))
      return FALSE;
  }

  return not_json (s);
}

static gboolean
skip_digits (Scanner *s)
{
  if (!at (s, 0, "0123456789"))
    return FALSE;

  while (at (s, 0, "0123456789"))
    s->pos++;
  return TRUE;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static gboolean
skip_number (Scanner *s)
{
  gsize start = s->pos;
  gboolean integer = TRUE;
  g_autofree char *text = NULL;

  if (at (s, 0, "-"))
    s->pos++;
  if (at (s, 0, "0") && at (s, 1, "0123456789"))
    return not_json (s);
  if (!skip_digits (s))
    return not_json (s);

  if (at (s, 0, ".")) {
    integer = FALSE;
    s->pos++;
    if (!skip_digits (s))
      return not_json (s);
  }

  if (at (s, 0, "eE")) {
    integer = FALSE;
    s->pos++;
    if (at (s, 0, "+-"))
      s->pos++;
    if (!skip_digits (s))
      return not_json (s);
  }

  text = g_strndup (s->data + start, s->pos - start);
  if (integer ? !g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, NULL, NULL)
              : !isfinite (g_ascii_strtod (text, NULL)))
    return syntax_error (s, "holds a number out of range");

  return TRUE;
}

static gboolean
skip_literal (Scanner *s)
{
  static const char * const literals[] = { "true", "false", "null" };

  for (guint k = 0; k < G_N_ELEMENTS (literals); k++) {
    gsize n = strlen (literals[k]);

    if (s->length - s->pos >= n && memcmp (s->data + s->pos, literals[k], n) == 0) {
      s->pos += n;
      return TRUE;
    }
  }

  return not_json (s);
}

/* Steps over one token; @depth counts the arrays and objects open. */
static gboolean
skip_token (Scanner *s,
            guint   *depth)
{
  char c = s->data[s->pos];

  switch (c) {
  case '{':
  case '[':
    if (*depth == MS_PROTOCOL_MAX_DEPTH)
      return syntax_error (s, "nests arrays and objects deeper than %d levels",
                           MS_PROTOCOL_MAX_DEPTH);
    (*depth)++;
    s->pos++;
    return TRUE;
  case '}':
  case ']':
  case ',':
  case ':':
    if (*depth == 0)
      return not_json (s);
    if (c == '}' || c == ']')
      (*depth)--;
    s->pos++;
    return TRUE;
  case '"':
    return skip_string (s);
  case 't':
  case 'f':
  case 'n':
    return skip_literal (s);
  default:
    return skip_number (s);
  }
}

static gboolean
check_json (const char  *data,
            gsize        length,
            const char  *subject,
            GError     **error)
{
  Scanner s = { data, length, 0, subject, error };
  gboolean complete = FALSE;
  guint depth = 0;

  if (length > 0 && !g_utf8_validate_len (data, length, NULL))
    return syntax_error (&s, "is not valid UTF-8");

  while (s.pos < length) {
    if (at (&s, 0, " \t\n\r")) {
      s.pos++;
      continue;
    }

    if (complete)
      return syntax_error (&s, "holds more than one JSON value");
    if (!skip_token (&s, &depth))
      return FALSE;
    complete = depth == 0;
  }

  return complete || not_json (&s);
}

gboolean
ms_protocol_check_json (const char  *data,
                        gsize        length,
                        GError     **error)
{
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  return check_json (data, length, "JSON text", error);
}

/* Field checks
 *
 * A Decoder carries what every field reader needs; @scope names the
 * object being read ("", "peer.", "tracks[2].") so that an error names
 * the very field that failed, as in "field 'peers[3].tracks[0].kind'".
 */

typedef struct {
  const MsLimits  *limits;
  MsDirection      direction;
  const char      *scope;
  GError         **error;
} Decoder;

G_GNUC_PRINTF (3, 4)
static gboolean
field_error (const Decoder *d,
             const char    *name,
             const char    *format,
             ...)
{
  va_list args;
  g_autofree char *reason = NULL;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (d->error, MS_PROTOCOL_ERROR, MS_PROTOCOL_ERROR_BAD_REQUEST,
               "field '%s%s' %s", d->scope, name, reason);
  return FALSE;
}

/* An absent field and an explicit null are the same thing to every
 * reader: "not given". */
static JsonNode *
get_member (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_NULL (node) ? NULL : node;
}

static gboolean
missing_error (const Decoder *d,
               JsonObject    *object,
               const char    *name,
               const char    *expected)
{
  if (json_object_has_member (object, name))
    return field_error (d, name, "must be %s", expected);

  return field_error (d, name, "is required");
}

static gboolean
holds_type (JsonNode *node,
            GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
has_no_control_chars (const char *str)
{
  for (const char *p = str; *p != '\0'; p = g_utf8_next_char (p)) {
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  }
  return TRUE;
}

static gboolean
has_no_space_or_control (const char *str)
{
  for (const char *p = str; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (g_unichar_iscntrl (c) || g_unichar_isspace (c))
      return FALSE;
  }
  return TRUE;
}

static gboolean
is_printable_ascii (const char *str)
{
  for (const guchar *p = (const guchar *) str; *p != '\0'; p++) {
    if (*p < 0x21 || *p > 0x7e)
      return FALSE;
  }
  return TRUE;
}

/* Avatars are shown by other people's clients: only web images, never
 * file:, data: or javascript: URLs. */
static gboolean
is_avatar_url (const char *str)
{
  const char *scheme = g_uri_peek_scheme (str);
  g_autoptr (GUri) uri = NULL;

  if (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
    return FALSE;
  if (!has_no_space_or_control (str))
    return FALSE;

  uri = g_uri_parse (str, G_URI_FLAGS_NONE, NULL);
  return uri != NULL && g_uri_get_host (uri) != NULL && g_uri_get_host (uri)[0] != '\0';
}

gboolean
ms_validate_avatar_url (const char *str,
                        gsize       max_length)
{
  return str != NULL && strlen (str) <= max_length && g_utf8_validate (str, -1, NULL) &&
         is_avatar_url (str);
}

gboolean
ms_validate_display_name (const char *str,
                          gsize       max_length)
{
  gsize length;

  if (str == NULL)
    return FALSE;

  length = strlen (str);
  return length >= 1 && length <= max_length && g_utf8_validate (str, length, NULL) &&
         has_no_control_chars (str);
}

gboolean
ms_validate_grant_list (const char * const *list,
                        gsize               max_id_length)
{
  guint n = 0;

  if (list == NULL)
    return TRUE;

  for (; list[n] != NULL; n++) {
    if (n >= MS_PROTOCOL_MAX_LIST ||
        (!g_str_equal (list[n], "*") && !ms_validate_identifier (list[n], max_id_length)))
      return FALSE;
  }

  return TRUE;
}

static gboolean
is_ice_url (const char *str)
{
  static const char * const schemes[] = { "stun", "stuns", "turn", "turns" };
  const char *scheme = g_uri_peek_scheme (str);

  if (!lookup_name (schemes, G_N_ELEMENTS (schemes), scheme, NULL))
    return FALSE;

  return str[strlen (scheme) + 1] != '\0' && has_no_space_or_control (str);
}

static gboolean
is_ws_url (const char *str)
{
  static const char * const schemes[] = { "ws", "wss" };
  const char *scheme = g_uri_peek_scheme (str);
  g_autoptr (GUri) uri = NULL;

  if (!lookup_name (schemes, G_N_ELEMENTS (schemes), scheme, NULL) ||
      !has_no_space_or_control (str))
    return FALSE;
  uri = g_uri_parse (str, G_URI_FLAGS_NONE, NULL);
  return uri != NULL && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

typedef enum {
  TEXT_IDENTIFIER,
  TEXT_NAME,
  TEXT_AVATAR,
  TEXT_ICE_URL,
  TEXT_WS_URL,
  TEXT_SDP,
  TEXT_CANDIDATE,
  TEXT_SECRET,
  TEXT_CREDENTIAL,
  TEXT_FREE,
} TextKind;

#define NO_LIMIT ((goffset) -1)
#define LIMIT(field) G_STRUCT_OFFSET (MsLimits, field)

/* A rule with @validate (one of the public ms_validate_*() checks, the
 * same everywhere) uses that alone; the others check the length, UTF-8
 * and then @check. */
typedef struct {
  goffset      limit;       /* offset of the maximum length in MsLimits */
  gsize        min_length;
  gboolean   (*check) (const char *str);
  const char  *noun;
  const char  *unit;
  gboolean   (*validate) (const char *str, gsize max_length);
} TextRule;

static const TextRule text_rules[] = {
  [TEXT_IDENTIFIER] = { LIMIT (max_id_length), 1, NULL,
                        "a string", "characters from A-Z a-z 0-9 . _ : @ -",
                        ms_validate_identifier },
  [TEXT_NAME] = { LIMIT (max_name_length), 1, NULL,
                  "a string", "bytes without control characters", ms_validate_display_name },
  [TEXT_AVATAR] = { LIMIT (max_url_length), 1, NULL,
                    "an http or https URL", "bytes", ms_validate_avatar_url },
  [TEXT_ICE_URL] = { LIMIT (max_url_length), 1, is_ice_url,
                     "a stun:, stuns:, turn: or turns: URL", "bytes" },
  [TEXT_WS_URL] = { LIMIT (max_url_length), 1, is_ws_url, "a ws: or wss: URL", "bytes" },
  [TEXT_SDP] = { LIMIT (max_sdp_length), 1, NULL, "a string", "bytes" },
  [TEXT_CANDIDATE] = { LIMIT (max_sdp_length), 0, has_no_control_chars,
                       "a string", "bytes without control characters" },
  [TEXT_SECRET] = { LIMIT (max_token_length), 1, is_printable_ascii,
                    "a string", "printable ASCII characters" },
  [TEXT_CREDENTIAL] = { LIMIT (max_token_length), 0, NULL, "a string", "bytes" },
  [TEXT_FREE] = { NO_LIMIT, 0, NULL, "a string", NULL },
};

static gsize
text_max_length (const MsLimits *limits,
                 TextKind        kind)
{
  const TextRule *rule = &text_rules[kind];

  if (rule->limit == NO_LIMIT)
    return G_MAXSIZE;

  return G_STRUCT_MEMBER (gsize, limits, rule->limit);
}

static char *
describe_text (const MsLimits *limits,
               TextKind        kind)
{
  const TextRule *rule = &text_rules[kind];

  if (rule->unit == NULL)
    return g_strdup (rule->noun);

  return g_strdup_printf ("%s of %" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT " %s", rule->noun,
                          rule->min_length, text_max_length (limits, kind), rule->unit);
}

static gboolean
text_is_valid (const MsLimits *limits,
               TextKind        kind,
               const char     *str)
{
  const TextRule *rule = &text_rules[kind];
  gsize length;

  if (rule->validate != NULL)
    return rule->validate (str, text_max_length (limits, kind));

  length = strlen (str);
  return length >= rule->min_length &&
         length <= text_max_length (limits, kind) &&
         g_utf8_validate (str, length, NULL) &&
         (rule->check == NULL || rule->check (str));
}

/* @object is where @name was not found, or NULL when its value is wrong. */
static gboolean
text_error (const Decoder *d,
            JsonObject    *object,
            const char    *name,
            TextKind       kind)
{
  g_autofree char *expected = describe_text (d->limits, kind);

  if (object != NULL)
    return missing_error (d, object, name, expected);

  return field_error (d, name, "must be %s", expected);
}

/* Reads the string @name into *@out, which must be NULL. An optional
 * field that is not given leaves *@out NULL. */
static gboolean
read_text (const Decoder *d,
           JsonObject    *object,
           const char    *name,
           TextKind       kind,
           gboolean       required,
           char         **out)
{
  JsonNode *node = get_member (object, name);

  if (node == NULL)
    return !required || text_error (d, object, name, kind);

  if (!holds_type (node, G_TYPE_STRING) ||
      !text_is_valid (d->limits, kind, json_node_get_string (node)))
    return text_error (d, NULL, name, kind);

  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
read_bool (const Decoder *d,
           JsonObject    *object,
           const char    *name,
           gboolean       required,
           gboolean      *out,
           gboolean      *out_given)
{
  JsonNode *node = get_member (object, name);

  if (node == NULL && !required)
    return TRUE;
  if (node == NULL)
    return missing_error (d, object, name, "true or false");
  if (!holds_type (node, G_TYPE_BOOLEAN))
    return field_error (d, name, "must be true or false");

  *out = json_node_get_boolean (node);
  if (out_given != NULL)
    *out_given = TRUE;
  return TRUE;
}

static gboolean
read_int (const Decoder *d,
          JsonObject    *object,
          const char    *name,
          gint64         min,
          gint64         max,
          gint64        *out)
{
  JsonNode *node = get_member (object, name);
  g_autofree char *expected = NULL;

  if (min == G_MININT64 && max == G_MAXINT64)
    expected = g_strdup ("an integer");
  else
    expected = g_strdup_printf ("an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                                min, max);
  if (node == NULL)
    return missing_error (d, object, name, expected);
  if (!holds_type (node, G_TYPE_INT64) ||
      json_node_get_int (node) < min || json_node_get_int (node) > max)
    return field_error (d, name, "must be %s", expected);

  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
read_kind (const Decoder *d,
           JsonObject    *object,
           MsTrackKind   *out)
{
  JsonNode *node = get_member (object, "kind");
  const char *expected = "\"audio\" or \"video\"";

  if (node == NULL)
    return missing_error (d, object, "kind", expected);
  if (!holds_type (node, G_TYPE_STRING) ||
      !ms_track_kind_from_string (json_node_get_string (node), out))
    return field_error (d, "kind", "must be %s", expected);

  return TRUE;
}

/* Reads "pc". Which connection a message may be about depends on who
 * sends it; @only is that connection, or -1 when either will do. */
static gboolean
read_pc (const Decoder *d,
         JsonObject    *object,
         int            only,
         const char    *what,
         MsPcKind      *out)
{
  JsonNode *node = get_member (object, "pc");
  const char *expected = "\"publish\" or \"subscribe\"";

  if (node == NULL)
    return missing_error (d, object, "pc", expected);
  if (!holds_type (node, G_TYPE_STRING) ||
      !ms_pc_kind_from_string (json_node_get_string (node), out))
    return field_error (d, "pc", "must be %s", expected);
  if (only >= 0 && (int) *out != only)
    return field_error (d, "pc", "must be \"%s\" in %s %s", pc_kinds[only], what,
                        d->direction == MS_DIRECTION_TO_SERVER ? "to the server" : "to a client");

  return TRUE;
}

static gboolean
read_object (const Decoder  *d,
             JsonObject     *object,
             const char     *name,
             JsonObject    **out)
{
  JsonNode *node = get_member (object, name);

  if (node == NULL)
    return missing_error (d, object, name, "an object");
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return field_error (d, name, "must be an object");

  *out = json_node_get_object (node);
  return TRUE;
}

static gboolean
read_array (const Decoder  *d,
            JsonObject     *object,
            const char     *name,
            guint           max_length,
            JsonArray     **out)
{
  JsonNode *node = get_member (object, name);
  g_autofree char *expected = g_strdup_printf ("an array of at most %u items", max_length);

  if (node == NULL)
    return missing_error (d, object, name, expected);
  if (!JSON_NODE_HOLDS_ARRAY (node) ||
      json_array_get_length (json_node_get_array (node)) > max_length)
    return field_error (d, name, "must be %s", expected);

  *out = json_node_get_array (node);
  return TRUE;
}

/* Reads one object of an array; returns the new item, or NULL on error. */
typedef gpointer (*ItemReader) (const Decoder *d,
                                JsonObject    *object,
                                gconstpointer  data);

static GPtrArray *
read_object_array (const Decoder  *d,
                   JsonObject     *object,
                   const char     *name,
                   guint           max_length,
                   ItemReader      reader,
                   gconstpointer   data,
                   GDestroyNotify  free_func)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (free_func);
  JsonArray *array;

  if (!read_array (d, object, name, max_length, &array))
    return NULL;

  for (guint i = 0; i < json_array_get_length (array); i++) {
    JsonNode *element = json_array_get_element (array, i);
    g_autofree char *scope = g_strdup_printf ("%s%s[%u].", d->scope, name, i);
    Decoder child = { d->limits, d->direction, scope, d->error };
    gpointer item;

    if (!JSON_NODE_HOLDS_OBJECT (element)) {
      g_autofree char *element_name = g_strdup_printf ("%s[%u]", name, i);

      field_error (d, element_name, "must be an object");
      return NULL;
    }

    item = reader (&child, json_node_get_object (element), data);
    if (item == NULL)
      return NULL;
    g_ptr_array_add (items, item);
  }

  return g_steal_pointer (&items);
}

/* Tracks
 *
 * The same track object has three shapes: {tag, kind, paused} in a Peer,
 * with "mid" in a client's publish offer, and with "mid" and "peer_id" in
 * the server's subscribe offer.
 */

typedef enum {
  TRACK_PLAIN = 0,
  TRACK_MID = 1 << 0,
  TRACK_PEER_ID = 1 << 1,
} TrackShape;

static gpointer
read_track (const Decoder *d,
            JsonObject    *object,
            gconstpointer  data)
{
  TrackShape shape = GPOINTER_TO_UINT (data);
  g_autoptr (MsTrackDesc) track = g_new0 (MsTrackDesc, 1);

  if ((shape & TRACK_MID) && !read_text (d, object, "mid", TEXT_IDENTIFIER, TRUE, &track->mid))
    return NULL;
  if ((shape & TRACK_PEER_ID) &&
      !read_text (d, object, "peer_id", TEXT_IDENTIFIER, TRUE, &track->peer_id))
    return NULL;
  if (!read_text (d, object, "tag", TEXT_IDENTIFIER, TRUE, &track->tag) ||
      !read_kind (d, object, &track->kind) ||
      !read_bool (d, object, "paused", TRUE, &track->paused, NULL))
    return NULL;

  return g_steal_pointer (&track);
}

/* Two tracks of one list never share a mid, nor a tag (per publisher, in
 * a subscribe offer). */
static gboolean
check_tracks_unique (const Decoder *d,
                     GPtrArray     *tracks)
{
  for (guint i = 1; i < tracks->len; i++) {
    const MsTrackDesc *a = g_ptr_array_index (tracks, i);

    for (guint j = 0; j < i; j++) {
      const MsTrackDesc *b = g_ptr_array_index (tracks, j);

      if (a->mid != NULL && g_strcmp0 (a->mid, b->mid) == 0)
        return field_error (d, "tracks", "must not repeat the mid '%s'", a->mid);
      if (g_str_equal (a->tag, b->tag) && a->peer_id == NULL)
        return field_error (d, "tracks", "must not repeat the tag '%s'", a->tag);
      if (g_str_equal (a->tag, b->tag) && g_strcmp0 (a->peer_id, b->peer_id) == 0)
        return field_error (d, "tracks", "must not repeat the tag '%s' of peer '%s'",
                            a->tag, a->peer_id);
    }
  }

  return TRUE;
}

static gboolean
read_tracks (const Decoder  *d,
             JsonObject     *object,
             TrackShape      shape,
             GPtrArray     **out)
{
  g_autoptr (GPtrArray) tracks = NULL;

  tracks = read_object_array (d, object, "tracks", d->limits->max_tracks, read_track,
                              GUINT_TO_POINTER (shape), (GDestroyNotify) ms_track_desc_free);
  if (tracks == NULL || !check_tracks_unique (d, tracks))
    return FALSE;

  *out = g_steal_pointer (&tracks);
  return TRUE;
}

static JsonObject *
track_to_json (const MsTrackDesc *track,
               TrackShape         shape)
{
  JsonObject *object = json_object_new ();

  if (shape & TRACK_MID)
    json_object_set_string_member (object, "mid", track->mid);
  if (shape & TRACK_PEER_ID)
    json_object_set_string_member (object, "peer_id", track->peer_id);
  json_object_set_string_member (object, "tag", track->tag);
  json_object_set_string_member (object, "kind", ms_track_kind_to_string (track->kind));
  json_object_set_boolean_member (object, "paused", track->paused);

  return object;
}

static JsonArray *
tracks_to_json (GPtrArray  *tracks,
                TrackShape  shape)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; tracks != NULL && i < tracks->len; i++)
    json_array_add_object_element (array, track_to_json (g_ptr_array_index (tracks, i), shape));

  return array;
}

/* Peers */

static gpointer
read_peer (const Decoder *d,
           JsonObject    *object,
           gconstpointer  data)
{
  g_autoptr (MsPeerDesc) peer = g_new0 (MsPeerDesc, 1);

  if (!read_text (d, object, "id", TEXT_IDENTIFIER, TRUE, &peer->id) ||
      !read_text (d, object, "display_name", TEXT_NAME, TRUE, &peer->display_name) ||
      !read_text (d, object, "avatar", TEXT_AVATAR, FALSE, &peer->avatar) ||
      !read_bool (d, object, "host", FALSE, &peer->host, NULL) ||
      !read_tracks (d, object, TRACK_PLAIN, &peer->tracks))
    return NULL;

  return g_steal_pointer (&peer);
}

static gboolean
check_peers_unique (const Decoder *d,
                    GPtrArray     *peers)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < peers->len; i++) {
    const MsPeerDesc *peer = g_ptr_array_index (peers, i);

    if (!g_hash_table_add (seen, peer->id))
      return field_error (d, "peers", "must not repeat the peer '%s'", peer->id);
  }

  return TRUE;
}

static JsonObject *
peer_to_json (const MsPeerDesc *peer)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "id", peer->id);
  json_object_set_string_member (object, "display_name", peer->display_name);
  json_object_set_string_member (object, "avatar", peer->avatar);
  if (peer->host)
    json_object_set_boolean_member (object, "host", TRUE);
  json_object_set_array_member (object, "tracks", tracks_to_json (peer->tracks, TRACK_PLAIN));

  return object;
}

/* Grants */

static gboolean
read_grant_list (const Decoder  *d,
                 JsonObject     *object,
                 const char     *name,
                 GStrv          *out)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) list = NULL;
  JsonArray *array;

  if (!read_array (d, object, name, MS_PROTOCOL_MAX_LIST, &array))
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++) {
    JsonNode *element = json_array_get_element (array, i);
    const char *item = holds_type (element, G_TYPE_STRING) ? json_node_get_string (element) : NULL;

    if (item == NULL)
      break;

    g_strv_builder_add (builder, item);
  }

  list = g_strv_builder_end (builder);
  if (g_strv_length (list) != json_array_get_length (array) ||
      !ms_validate_grant_list ((const char * const *) list, d->limits->max_id_length))
    return field_error (d, name, "must hold identifiers of 1-%" G_GSIZE_FORMAT
                        " characters from A-Z a-z 0-9 . _ : @ -, or \"*\"",
                        d->limits->max_id_length);

  *out = g_steal_pointer (&list);
  return TRUE;
}

static gboolean
read_grants (const Decoder *d,
             JsonObject    *object,
             MsGrants      *grants)
{
  g_autofree char *scope = g_strconcat (d->scope, "grants.", NULL);
  Decoder child = { d->limits, d->direction, scope, d->error };
  JsonObject *member;

  return read_object (d, object, "grants", &member) &&
         read_grant_list (&child, member, "send_tracks", &grants->send_tracks) &&
         read_grant_list (&child, member, "recv_tracks", &grants->recv_tracks) &&
         read_grant_list (&child, member, "send_messages", &grants->send_messages) &&
         read_grant_list (&child, member, "recv_messages", &grants->recv_messages) &&
         read_bool (&child, member, "can_hide", TRUE, &grants->can_hide, NULL) &&
         read_bool (&child, member, "hidden", TRUE, &grants->hidden, NULL) &&
         read_bool (&child, member, "host", FALSE, &grants->host, NULL);
}

static JsonArray *
strv_to_json (GStrv strv)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_array_add_string_element (array, strv[i]);

  return array;
}

/**
 * ms_grants_to_json:
 *
 * Returns: (transfer full): @grants as the protocol (and tokens) write
 * them.
 */
JsonObject *
ms_grants_to_json (const MsGrants *grants)
{
  JsonObject *object = json_object_new ();

  json_object_set_array_member (object, "send_tracks", strv_to_json (grants->send_tracks));
  json_object_set_array_member (object, "recv_tracks", strv_to_json (grants->recv_tracks));
  json_object_set_array_member (object, "send_messages", strv_to_json (grants->send_messages));
  json_object_set_array_member (object, "recv_messages", strv_to_json (grants->recv_messages));
  json_object_set_boolean_member (object, "can_hide", grants->can_hide);
  json_object_set_boolean_member (object, "hidden", grants->hidden);
  if (grants->host)
    json_object_set_boolean_member (object, "host", TRUE);

  return object;
}

/* ICE servers: "urls" is one URL or an array of them, as in the
 * RTCIceServer dictionary of the browsers. */

static gboolean
read_ice_url (const Decoder *d,
              JsonNode      *node,
              GStrvBuilder  *builder)
{
  const char *url = holds_type (node, G_TYPE_STRING) ? json_node_get_string (node) : NULL;

  if (url == NULL || !text_is_valid (d->limits, TEXT_ICE_URL, url))
    return FALSE;

  g_strv_builder_add (builder, url);
  return TRUE;
}

static gboolean
read_ice_urls (const Decoder *d,
               JsonObject    *object,
               GStrv         *out)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *url = describe_text (d->limits, TEXT_ICE_URL);
  JsonNode *node = get_member (object, "urls");
  JsonArray *array = NULL;
  gboolean ok;

  if (node == NULL)
    return field_error (d, "urls", "is required");

  if (JSON_NODE_HOLDS_ARRAY (node)) {
    array = json_node_get_array (node);
    ok = json_array_get_length (array) > 0 && json_array_get_length (array) <= MS_PROTOCOL_MAX_LIST;
    for (guint i = 0; ok && i < json_array_get_length (array); i++)
      ok = read_ice_url (d, json_array_get_element (array, i), builder);
  } else {
    ok = read_ice_url (d, node, builder);
  }

  if (!ok)
    return field_error (d, "urls", "must be %s, or an array of 1-%d of them", url,
                        MS_PROTOCOL_MAX_LIST);

  *out = g_strv_builder_end (builder);
  return TRUE;
}

static gpointer
read_ice_server (const Decoder *d,
                 JsonObject    *object,
                 gconstpointer  data)
{
  g_autoptr (MsIceServer) server = g_new0 (MsIceServer, 1);

  if (!read_ice_urls (d, object, &server->urls) ||
      !read_text (d, object, "username", TEXT_CREDENTIAL, FALSE, &server->username) ||
      !read_text (d, object, "credential", TEXT_CREDENTIAL, FALSE, &server->credential))
    return NULL;

  return g_steal_pointer (&server);
}

static void
set_optional_string (JsonObject *object,
                     const char *name,
                     const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, name, value);
}

static JsonObject *
ice_server_to_json (const MsIceServer *server)
{
  JsonObject *object = json_object_new ();

  json_object_set_array_member (object, "urls", strv_to_json (server->urls));
  set_optional_string (object, "username", server->username);
  set_optional_string (object, "credential", server->credential);

  return object;
}

/* Message types, one group of decode, encode and clear each. A decoder
 * fills the fields of a message from ms_message_new(); on error the
 * message is freed half-filled, so clear functions accept any state. */

/* join */

static gboolean
decode_join (const Decoder *d,
             JsonObject    *object,
             MsMessage     *msg)
{
  if (!read_text (d, object, "token", TEXT_SECRET, TRUE, &msg->u.join.token) ||
      !read_int (d, object, "protocol", G_MININT64, G_MAXINT64, &msg->u.join.protocol))
    return FALSE;

  if (msg->u.join.protocol != MS_PROTOCOL_VERSION)
    return field_error (d, "protocol", "must be %d: protocol version %" G_GINT64_FORMAT
                        " is not supported", MS_PROTOCOL_VERSION, msg->u.join.protocol);

  return read_text (d, object, "resume", TEXT_SECRET, FALSE, &msg->u.join.resume) &&
         read_text (d, object, "display_name", TEXT_NAME, FALSE, &msg->u.join.display_name) &&
         read_text (d, object, "avatar", TEXT_AVATAR, FALSE, &msg->u.join.avatar) &&
         read_bool (d, object, "hidden", FALSE, &msg->u.join.hidden, &msg->u.join.has_hidden);
}

static void
encode_join (const MsMessage *msg,
             JsonObject      *object)
{
  json_object_set_string_member (object, "token", msg->u.join.token);
  json_object_set_int_member (object, "protocol", msg->u.join.protocol);
  set_optional_string (object, "resume", msg->u.join.resume);
  set_optional_string (object, "display_name", msg->u.join.display_name);
  set_optional_string (object, "avatar", msg->u.join.avatar);
  if (msg->u.join.has_hidden)
    json_object_set_boolean_member (object, "hidden", msg->u.join.hidden);
}

static void
clear_join (MsMessage *msg)
{
  g_free (msg->u.join.token);
  g_free (msg->u.join.resume);
  g_free (msg->u.join.display_name);
  g_free (msg->u.join.avatar);
}

/* offer: a client offers its publish connection, the server its
 * subscribe connection, whose tracks also name their publisher. */

static MsPcKind
offer_pc (MsDirection direction)
{
  return direction == MS_DIRECTION_TO_SERVER ? MS_PC_PUBLISH : MS_PC_SUBSCRIBE;
}

static TrackShape
offer_track_shape (MsPcKind pc)
{
  return pc == MS_PC_PUBLISH ? TRACK_MID : TRACK_MID | TRACK_PEER_ID;
}

static gboolean
decode_offer (const Decoder *d,
              JsonObject    *object,
              MsMessage     *msg)
{
  MsPcKind pc = offer_pc (d->direction);

  return read_pc (d, object, pc, "an offer", &msg->u.offer.pc) &&
         read_text (d, object, "sdp", TEXT_SDP, TRUE, &msg->u.offer.sdp) &&
         read_tracks (d, object, offer_track_shape (pc), &msg->u.offer.tracks);
}

static void
encode_offer (const MsMessage *msg,
              JsonObject      *object)
{
  json_object_set_string_member (object, "pc", ms_pc_kind_to_string (msg->u.offer.pc));
  json_object_set_string_member (object, "sdp", msg->u.offer.sdp);
  json_object_set_array_member (object, "tracks",
                                tracks_to_json (msg->u.offer.tracks,
                                                offer_track_shape (msg->u.offer.pc)));
}

static void
clear_offer (MsMessage *msg)
{
  g_free (msg->u.offer.sdp);
  g_clear_pointer (&msg->u.offer.tracks, g_ptr_array_unref);
}

/* answer: each side answers the other's offer */

static gboolean
decode_answer (const Decoder *d,
               JsonObject    *object,
               MsMessage     *msg)
{
  MsPcKind pc = d->direction == MS_DIRECTION_TO_SERVER ? MS_PC_SUBSCRIBE : MS_PC_PUBLISH;

  return read_pc (d, object, pc, "an answer", &msg->u.answer.pc) &&
         read_text (d, object, "sdp", TEXT_SDP, TRUE, &msg->u.answer.sdp);
}

static void
encode_answer (const MsMessage *msg,
               JsonObject      *object)
{
  json_object_set_string_member (object, "pc", ms_pc_kind_to_string (msg->u.answer.pc));
  json_object_set_string_member (object, "sdp", msg->u.answer.sdp);
}

static void
clear_answer (MsMessage *msg)
{
  g_free (msg->u.answer.sdp);
}

/* candidate */

static gboolean
decode_candidate (const Decoder *d,
                  JsonObject    *object,
                  MsMessage     *msg)
{
  gint64 index;

  if (!read_pc (d, object, -1, "a candidate", &msg->u.candidate.pc) ||
      !read_text (d, object, "candidate", TEXT_CANDIDATE, TRUE, &msg->u.candidate.candidate) ||
      !read_int (d, object, "sdp_mline_index", 0, G_MAXUINT16, &index))
    return FALSE;

  msg->u.candidate.sdp_mline_index = index;
  return TRUE;
}

static void
encode_candidate (const MsMessage *msg,
                  JsonObject      *object)
{
  json_object_set_string_member (object, "pc", ms_pc_kind_to_string (msg->u.candidate.pc));
  json_object_set_string_member (object, "candidate", msg->u.candidate.candidate);
  json_object_set_int_member (object, "sdp_mline_index", msg->u.candidate.sdp_mline_index);
}

static void
clear_candidate (MsMessage *msg)
{
  g_free (msg->u.candidate.candidate);
}

/* pause-track, resume-track, close-track */

static gboolean
decode_track_request (const Decoder *d,
                      JsonObject    *object,
                      MsMessage     *msg)
{
  return read_text (d, object, "tag", TEXT_IDENTIFIER, TRUE, &msg->u.track_request.tag);
}

static void
encode_track_request (const MsMessage *msg,
                      JsonObject      *object)
{
  json_object_set_string_member (object, "tag", msg->u.track_request.tag);
}

static void
clear_track_request (MsMessage *msg)
{
  g_free (msg->u.track_request.tag);
}

/* set-receiving */

static gboolean
decode_set_receiving (const Decoder *d,
                      JsonObject    *object,
                      MsMessage     *msg)
{
  return read_text (d, object, "peer_id", TEXT_IDENTIFIER, TRUE, &msg->u.set_receiving.peer_id) &&
         read_text (d, object, "tag", TEXT_IDENTIFIER, FALSE, &msg->u.set_receiving.tag) &&
         read_bool (d, object, "enabled", TRUE, &msg->u.set_receiving.enabled, NULL);
}

static void
encode_set_receiving (const MsMessage *msg,
                      JsonObject      *object)
{
  json_object_set_string_member (object, "peer_id", msg->u.set_receiving.peer_id);
  set_optional_string (object, "tag", msg->u.set_receiving.tag);
  json_object_set_boolean_member (object, "enabled", msg->u.set_receiving.enabled);
}

static void
clear_set_receiving (MsMessage *msg)
{
  g_free (msg->u.set_receiving.peer_id);
  g_free (msg->u.set_receiving.tag);
}

/* message: "to" is read from clients only, "from" from the server only */

static gboolean
decode_message (const Decoder *d,
                JsonObject    *object,
                MsMessage     *msg)
{
  JsonNode *body;

  if (d->direction == MS_DIRECTION_TO_SERVER) {
    if (!read_text (d, object, "to", TEXT_IDENTIFIER, FALSE, &msg->u.message.to))
      return FALSE;
  } else if (!read_text (d, object, "from", TEXT_IDENTIFIER, FALSE, &msg->u.message.from)) {
    return FALSE;
  }

  if (!read_text (d, object, "msg_type", TEXT_IDENTIFIER, TRUE, &msg->u.message.msg_type))
    return FALSE;

  /* Any JSON value is a body, null included; only its absence is not. */
  body = json_object_get_member (object, "body");
  if (body == NULL)
    return field_error (d, "body", "is required");

  msg->u.message.body = json_node_copy (body);
  return TRUE;
}

/* Without a recipient the message is either a client's message for
 * everyone or the server's delivery of a hidden sender's message; the
 * latter needs its explicit "from": null, which a server ignores. */
static void
encode_message (const MsMessage *msg,
                JsonObject      *object)
{
  if (msg->u.message.to != NULL)
    json_object_set_string_member (object, "to", msg->u.message.to);
  if (msg->u.message.from != NULL || msg->u.message.to == NULL)
    json_object_set_string_member (object, "from", msg->u.message.from);
  json_object_set_string_member (object, "msg_type", msg->u.message.msg_type);
  if (msg->u.message.body != NULL)
    json_object_set_member (object, "body", json_node_copy (msg->u.message.body));
  else
    json_object_set_null_member (object, "body");
}

static void
clear_message (MsMessage *msg)
{
  g_free (msg->u.message.msg_type);
  g_clear_pointer (&msg->u.message.body, json_node_unref);
  g_free (msg->u.message.to);
  g_free (msg->u.message.from);
}

/* set-hidden */

static gboolean
decode_set_hidden (const Decoder *d,
                   JsonObject    *object,
                   MsMessage     *msg)
{
  return read_bool (d, object, "hidden", TRUE, &msg->u.set_hidden.hidden, NULL);
}

static void
encode_set_hidden (const MsMessage *msg,
                   JsonObject      *object)
{
  json_object_set_boolean_member (object, "hidden", msg->u.set_hidden.hidden);
}

/* set-profile: a field that is not given stays as it is; "avatar": null
 * removes the avatar, the one place where null differs from absence. */

static gboolean
decode_set_profile (const Decoder *d,
                    JsonObject    *object,
                    MsMessage     *msg)
{
  if (!read_text (d, object, "display_name", TEXT_NAME, FALSE, &msg->u.set_profile.display_name) ||
      !read_text (d, object, "avatar", TEXT_AVATAR, FALSE, &msg->u.set_profile.avatar))
    return FALSE;

  msg->u.set_profile.has_display_name = msg->u.set_profile.display_name != NULL;
  msg->u.set_profile.has_avatar = json_object_has_member (object, "avatar");

  if (!msg->u.set_profile.has_display_name && !msg->u.set_profile.has_avatar)
    return field_error (d, "display_name", "or 'avatar' is required");

  return TRUE;
}

static void
encode_set_profile (const MsMessage *msg,
                    JsonObject      *object)
{
  if (msg->u.set_profile.has_display_name)
    json_object_set_string_member (object, "display_name", msg->u.set_profile.display_name);
  if (msg->u.set_profile.has_avatar)
    json_object_set_string_member (object, "avatar", msg->u.set_profile.avatar);
}

static void
clear_set_profile (MsMessage *msg)
{
  g_free (msg->u.set_profile.display_name);
  g_free (msg->u.set_profile.avatar);
}

/* leave, and ok (whose only field, "id", every message may carry) */

static gboolean
decode_nothing (const Decoder *d,
                JsonObject    *object,
                MsMessage     *msg)
{
  return TRUE;
}

static void
encode_nothing (const MsMessage *msg,
                JsonObject      *object)
{
}

static gboolean
decode_ok (const Decoder *d,
           JsonObject    *object,
           MsMessage     *msg)
{
  return msg->has_id || field_error (d, "id", "is required");
}

/* welcome */

/* An optional list of 0-MS_PROTOCOL_MAX_LIST ws:// or wss:// URLs. */
static gboolean
read_ws_urls (const Decoder *d,
              JsonObject    *object,
              const char    *name,
              GStrv         *out)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *url = describe_text (d->limits, TEXT_WS_URL);
  JsonNode *node = get_member (object, name);
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node) ||
      json_array_get_length (array = json_node_get_array (node)) > MS_PROTOCOL_MAX_LIST)
    return field_error (d, name, "must be an array of at most %d of %s", MS_PROTOCOL_MAX_LIST,
                        url);
  for (guint i = 0; i < json_array_get_length (array); i++) {
    JsonNode *element = json_array_get_element (array, i);

    if (!holds_type (element, G_TYPE_STRING) ||
        !text_is_valid (d->limits, TEXT_WS_URL, json_node_get_string (element)))
      return field_error (d, name, "must be an array of at most %d of %s",
                          MS_PROTOCOL_MAX_LIST, url);
    g_strv_builder_add (builder, json_node_get_string (element));
  }
  *out = g_strv_builder_end (builder);
  return TRUE;
}

static gboolean
read_server_info (const Decoder *d,
                  JsonObject    *object,
                  char         **out_version)
{
  g_autofree char *scope = g_strconcat (d->scope, "server.", NULL);
  Decoder child = { d->limits, d->direction, scope, d->error };
  JsonObject *member;

  return read_object (d, object, "server", &member) &&
         read_text (&child, member, "version", TEXT_NAME, TRUE, out_version);
}

static gboolean
decode_welcome (const Decoder *d,
                JsonObject    *object,
                MsMessage     *msg)
{
  typeof (msg->u.welcome) *w = &msg->u.welcome;

  if (!read_text (d, object, "peer_id", TEXT_IDENTIFIER, TRUE, &w->peer_id) ||
      !read_text (d, object, "room", TEXT_IDENTIFIER, TRUE, &w->room) ||
      !read_text (d, object, "display_name", TEXT_NAME, TRUE, &w->display_name) ||
      !read_text (d, object, "avatar", TEXT_AVATAR, FALSE, &w->avatar) ||
      !read_bool (d, object, "hidden", TRUE, &w->hidden, NULL) ||
      !read_grants (d, object, &w->grants))
    return FALSE;

  w->peers = read_object_array (d, object, "peers", d->limits->max_peers, read_peer, NULL,
                                (GDestroyNotify) ms_peer_desc_free);
  if (w->peers == NULL || !check_peers_unique (d, w->peers))
    return FALSE;

  w->ice_servers = read_object_array (d, object, "ice_servers", MS_PROTOCOL_MAX_LIST,
                                      read_ice_server, NULL,
                                      (GDestroyNotify) ms_ice_server_free);

  return w->ice_servers != NULL &&
         read_text (d, object, "resume", TEXT_SECRET, TRUE, &w->resume) &&
         read_server_info (d, object, &w->server_version) &&
         (!json_object_has_member (object, "features") ||
          read_grant_list (d, object, "features", &w->features)) &&
         read_ws_urls (d, object, "nodes", &w->nodes);
}

static void
encode_welcome (const MsMessage *msg,
                JsonObject      *object)
{
  typeof (msg->u.welcome) *w = &msg->u.welcome;  /* const, as msg is */
  JsonArray *peers = json_array_new ();
  JsonArray *ice_servers = json_array_new ();
  JsonObject *server = json_object_new ();

  for (guint i = 0; w->peers != NULL && i < w->peers->len; i++)
    json_array_add_object_element (peers, peer_to_json (g_ptr_array_index (w->peers, i)));
  for (guint i = 0; w->ice_servers != NULL && i < w->ice_servers->len; i++)
    json_array_add_object_element (ice_servers,
                                   ice_server_to_json (g_ptr_array_index (w->ice_servers, i)));
  json_object_set_string_member (server, "version", w->server_version);

  json_object_set_string_member (object, "peer_id", w->peer_id);
  json_object_set_string_member (object, "room", w->room);
  json_object_set_string_member (object, "display_name", w->display_name);
  json_object_set_string_member (object, "avatar", w->avatar);
  json_object_set_boolean_member (object, "hidden", w->hidden);
  json_object_set_object_member (object, "grants", ms_grants_to_json (&w->grants));
  json_object_set_array_member (object, "peers", peers);
  json_object_set_array_member (object, "ice_servers", ice_servers);
  json_object_set_string_member (object, "resume", w->resume);
  json_object_set_object_member (object, "server", server);
  if (w->features != NULL)
    json_object_set_array_member (object, "features", strv_to_json (w->features));
  if (w->nodes != NULL)
    json_object_set_array_member (object, "nodes", strv_to_json (w->nodes));
}

static void
clear_welcome (MsMessage *msg)
{
  g_free (msg->u.welcome.peer_id);
  g_free (msg->u.welcome.room);
  g_free (msg->u.welcome.display_name);
  g_free (msg->u.welcome.avatar);
  ms_grants_clear (&msg->u.welcome.grants);
  g_clear_pointer (&msg->u.welcome.peers, g_ptr_array_unref);
  g_clear_pointer (&msg->u.welcome.ice_servers, g_ptr_array_unref);
  g_free (msg->u.welcome.resume);
  g_free (msg->u.welcome.server_version);
  g_strfreev (msg->u.welcome.features);
  g_strfreev (msg->u.welcome.nodes);
}

/* peer-joined, peer-updated */

static gboolean
decode_peer (const Decoder *d,
             JsonObject    *object,
             MsMessage     *msg)
{
  Decoder child = { d->limits, d->direction, "peer.", d->error };
  JsonObject *member;

  if (!read_object (d, object, "peer", &member))
    return FALSE;

  msg->u.peer.peer = read_peer (&child, member, NULL);
  return msg->u.peer.peer != NULL;
}

static void
encode_peer (const MsMessage *msg,
             JsonObject      *object)
{
  if (msg->u.peer.peer != NULL)
    json_object_set_object_member (object, "peer", peer_to_json (msg->u.peer.peer));
  else
    json_object_set_null_member (object, "peer");
}

static void
clear_peer (MsMessage *msg)
{
  g_clear_pointer (&msg->u.peer.peer, ms_peer_desc_free);
}

/* peer-left */

static gboolean
decode_peer_left (const Decoder *d,
                  JsonObject    *object,
                  MsMessage     *msg)
{
  return read_text (d, object, "peer_id", TEXT_IDENTIFIER, TRUE, &msg->u.peer_left.peer_id);
}

static void
encode_peer_left (const MsMessage *msg,
                  JsonObject      *object)
{
  json_object_set_string_member (object, "peer_id", msg->u.peer_left.peer_id);
}

static void
clear_peer_left (MsMessage *msg)
{
  g_free (msg->u.peer_left.peer_id);
}

/* track-published {peer_id, tag, kind, paused}, track-updated {peer_id,
 * tag, paused}, track-closed {peer_id, tag} */

static gboolean
decode_track_event (const Decoder *d,
                    JsonObject    *object,
                    MsMessage     *msg)
{
  if (!read_text (d, object, "peer_id", TEXT_IDENTIFIER, TRUE, &msg->u.track_event.peer_id) ||
      !read_text (d, object, "tag", TEXT_IDENTIFIER, TRUE, &msg->u.track_event.tag))
    return FALSE;

  if (msg->type == MS_MSG_TRACK_PUBLISHED && !read_kind (d, object, &msg->u.track_event.kind))
    return FALSE;

  return msg->type == MS_MSG_TRACK_CLOSED ||
         read_bool (d, object, "paused", TRUE, &msg->u.track_event.paused, NULL);
}

static void
encode_track_event (const MsMessage *msg,
                    JsonObject      *object)
{
  json_object_set_string_member (object, "peer_id", msg->u.track_event.peer_id);
  json_object_set_string_member (object, "tag", msg->u.track_event.tag);
  if (msg->type == MS_MSG_TRACK_PUBLISHED)
    json_object_set_string_member (object, "kind",
                                   ms_track_kind_to_string (msg->u.track_event.kind));
  if (msg->type != MS_MSG_TRACK_CLOSED)
    json_object_set_boolean_member (object, "paused", msg->u.track_event.paused);
}

static void
clear_track_event (MsMessage *msg)
{
  g_free (msg->u.track_event.peer_id);
  g_free (msg->u.track_event.tag);
}

/* error */

static gboolean
decode_error (const Decoder *d,
              JsonObject    *object,
              MsMessage     *msg)
{
  JsonNode *code = get_member (object, "code");

  if (code == NULL)
    return missing_error (d, object, "code", "an error code");
  if (!holds_type (code, G_TYPE_STRING) ||
      !ms_protocol_error_from_string (json_node_get_string (code), &msg->u.error.code))
    return field_error (d, "code", "must be one of bad-request, unauthorized, token-expired, "
                        "forbidden, not-found, conflict, rate-limited, room-full, server-error");

  return read_text (d, object, "message", TEXT_FREE, TRUE, &msg->u.error.message);
}

static void
encode_error (const MsMessage *msg,
              JsonObject      *object)
{
  json_object_set_string_member (object, "code", ms_protocol_error_to_string (msg->u.error.code));
  json_object_set_string_member (object, "message", msg->u.error.message);
}

static void
clear_error (MsMessage *msg)
{
  g_free (msg->u.error.message);
}

/* bye */

static gboolean
decode_bye (const Decoder *d,
            JsonObject    *object,
            MsMessage     *msg)
{
  return read_text (d, object, "reason", TEXT_FREE, TRUE, &msg->u.bye.reason);
}

static void
encode_bye (const MsMessage *msg,
            JsonObject      *object)
{
  json_object_set_string_member (object, "reason", msg->u.bye.reason);
}

static void
clear_bye (MsMessage *msg)
{
  g_free (msg->u.bye.reason);
}

/* media-failed */

static gboolean
decode_media_failed (const Decoder *d,
                     JsonObject    *object,
                     MsMessage     *msg)
{
  return read_pc (d, object, -1, "media-failed", &msg->u.media_failed.pc);
}

static void
encode_media_failed (const MsMessage *msg,
                     JsonObject      *object)
{
  json_object_set_string_member (object, "pc", ms_pc_kind_to_string (msg->u.media_failed.pc));
}

/* redirect */

static gboolean
decode_redirect (const Decoder *d,
                 JsonObject    *object,
                 MsMessage     *msg)
{
  return read_text (d, object, "url", TEXT_WS_URL, TRUE, &msg->u.redirect.url);
}

static void
encode_redirect (const MsMessage *msg,
                 JsonObject      *object)
{
  json_object_set_string_member (object, "url", msg->u.redirect.url);
}

static void
clear_redirect (MsMessage *msg)
{
  g_free (msg->u.redirect.url);
}

/* The message types */

enum {
  TO_SERVER = 1 << MS_DIRECTION_TO_SERVER,
  TO_CLIENT = 1 << MS_DIRECTION_TO_CLIENT,
  BOTH_WAYS = TO_SERVER | TO_CLIENT,
};

typedef struct {
  const char  *name;
  guint        directions;
  gboolean   (*decode) (const Decoder *d,
                        JsonObject    *object,
                        MsMessage     *msg);
  void       (*encode) (const MsMessage *msg,
                        JsonObject      *object);
  void       (*clear)  (MsMessage *msg);
} MsgTypeInfo;

static const MsgTypeInfo msg_types[] = {
  [MS_MSG_JOIN] = { "join", TO_SERVER, decode_join, encode_join, clear_join },
  [MS_MSG_OFFER] = { "offer", BOTH_WAYS, decode_offer, encode_offer, clear_offer },
  [MS_MSG_ANSWER] = { "answer", BOTH_WAYS, decode_answer, encode_answer, clear_answer },
  [MS_MSG_CANDIDATE] = { "candidate", BOTH_WAYS, decode_candidate, encode_candidate,
                         clear_candidate },
  [MS_MSG_PAUSE_TRACK] = { "pause-track", TO_SERVER, decode_track_request,
                           encode_track_request, clear_track_request },
  [MS_MSG_RESUME_TRACK] = { "resume-track", TO_SERVER, decode_track_request,
                            encode_track_request, clear_track_request },
  [MS_MSG_CLOSE_TRACK] = { "close-track", TO_SERVER, decode_track_request,
                           encode_track_request, clear_track_request },
  [MS_MSG_SET_RECEIVING] = { "set-receiving", TO_SERVER, decode_set_receiving,
                             encode_set_receiving, clear_set_receiving },
  [MS_MSG_MESSAGE] = { "message", BOTH_WAYS, decode_message, encode_message, clear_message },
  [MS_MSG_SET_HIDDEN] = { "set-hidden", TO_SERVER, decode_set_hidden, encode_set_hidden, NULL },
  [MS_MSG_SET_PROFILE] = { "set-profile", TO_SERVER, decode_set_profile, encode_set_profile,
                           clear_set_profile },
  [MS_MSG_LEAVE] = { "leave", TO_SERVER, decode_nothing, encode_nothing, NULL },
  [MS_MSG_WELCOME] = { "welcome", TO_CLIENT, decode_welcome, encode_welcome, clear_welcome },
  [MS_MSG_PEER_JOINED] = { "peer-joined", TO_CLIENT, decode_peer, encode_peer, clear_peer },
  [MS_MSG_PEER_UPDATED] = { "peer-updated", TO_CLIENT, decode_peer, encode_peer, clear_peer },
  [MS_MSG_PEER_LEFT] = { "peer-left", TO_CLIENT, decode_peer_left, encode_peer_left,
                         clear_peer_left },
  [MS_MSG_TRACK_PUBLISHED] = { "track-published", TO_CLIENT, decode_track_event,
                               encode_track_event, clear_track_event },
  [MS_MSG_TRACK_UPDATED] = { "track-updated", TO_CLIENT, decode_track_event,
                             encode_track_event, clear_track_event },
  [MS_MSG_TRACK_CLOSED] = { "track-closed", TO_CLIENT, decode_track_event,
                            encode_track_event, clear_track_event },
  [MS_MSG_OK] = { "ok", TO_CLIENT, decode_ok, encode_nothing, NULL },
  [MS_MSG_ERROR] = { "error", TO_CLIENT, decode_error, encode_error, clear_error },
  [MS_MSG_BYE] = { "bye", TO_CLIENT, decode_bye, encode_bye, clear_bye },
  [MS_MSG_MEDIA_FAILED] = { "media-failed", TO_CLIENT, decode_media_failed, encode_media_failed,
                            NULL },
  [MS_MSG_REDIRECT] = { "redirect", TO_CLIENT, decode_redirect, encode_redirect,
                        clear_redirect },
};

static gboolean
is_msg_type (MsMsgType type)
{
  return (guint) type < G_N_ELEMENTS (msg_types);
}

const char *
ms_msg_type_to_string (MsMsgType type)
{
  g_return_val_if_fail (is_msg_type (type), NULL);

  return msg_types[type].name;
}

gboolean
ms_msg_type_from_string (const char  *str,
                         MsDirection  direction,
                         MsMsgType   *out_type)
{
  if (str == NULL || (guint) direction > MS_DIRECTION_TO_CLIENT)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (msg_types); i++) {
    if ((msg_types[i].directions & (1u << direction)) && g_str_equal (msg_types[i].name, str)) {
      if (out_type != NULL)
        *out_type = i;
      return TRUE;
    }
  }

  return FALSE;
}

static MsMessage *
new_message (MsMsgType type)
{
  MsMessage *msg = g_new0 (MsMessage, 1);

  msg->type = type;
  if (type == MS_MSG_JOIN)
    msg->u.join.protocol = MS_PROTOCOL_VERSION;

  return msg;
}

MsMessage *
ms_message_new (MsMsgType type)
{
  g_return_val_if_fail (is_msg_type (type), NULL);

  return new_message (type);
}

MsMessage *
ms_message_new_ok (gint64 id)
{
  MsMessage *msg = new_message (MS_MSG_OK);

  msg->has_id = TRUE;
  msg->id = id;

  return msg;
}

MsMessage *
ms_message_new_error (gboolean         has_id,
                      gint64           id,
                      MsProtocolError  code,
                      const char      *message)
{
  MsMessage *msg = new_message (MS_MSG_ERROR);

  msg->has_id = !!has_id;
  msg->id = has_id ? id : 0;
  msg->u.error.code = code;
  msg->u.error.message = g_strdup (message != NULL ? message : ms_protocol_error_to_string (code));

  return msg;
}

void
ms_message_free (MsMessage *msg)
{
  if (msg == NULL)
    return;

  if (is_msg_type (msg->type) && msg_types[msg->type].clear != NULL)
    msg_types[msg->type].clear (msg);
  g_free (msg);
}

/* Decoding */

static gboolean
read_id (JsonObject *object,
         gboolean   *out_has_id,
         gint64     *out_id,
         GError    **error)
{
  Decoder d = { NULL, MS_DIRECTION_TO_SERVER, "", error };
  JsonNode *node = get_member (object, "id");

  if (node == NULL)
    return TRUE;

  if (!holds_type (node, G_TYPE_INT64) ||
      json_node_get_int (node) < 0 || json_node_get_int (node) > MS_PROTOCOL_MAX_ID)
    return field_error (&d, "id", "must be an integer from 0 to %" G_GINT64_FORMAT,
                        MS_PROTOCOL_MAX_ID);

  *out_has_id = TRUE;
  *out_id = json_node_get_int (node);
  return TRUE;
}

static gboolean
read_type (JsonObject  *object,
           MsDirection  direction,
           gsize        max_id_length,
           MsMsgType   *out_type,
           GError     **error)
{
  JsonNode *node = get_member (object, "type");
  const char *name;

  if (node == NULL && !json_object_has_member (object, "type"))
    return bad_request (error, "field 'type' is required");
  if (node == NULL || !holds_type (node, G_TYPE_STRING))
    return bad_request (error, "field 'type' must be a string");

  name = json_node_get_string (node);
  if (ms_msg_type_from_string (name, direction, out_type))
    return TRUE;

  /* Echo the name only when it is short and harmless. */
  if (ms_validate_identifier (name, max_id_length))
    return bad_request (error, "unknown message type '%s'", name);
  return bad_request (error, "unknown message type");
}

static JsonObject *
parse_frame (JsonParser     *parser,
             const char     *data,
             gsize           length,
             const MsLimits *limits,
             GError        **error)
{
  g_autoptr (GError) parse_error = NULL;
  JsonNode *root;

  if (length > limits->max_frame || length > G_MAXSSIZE) {
    bad_request (error, "frame of %" G_GSIZE_FORMAT " bytes is larger than the limit of %"
                 G_GSIZE_FORMAT " bytes", length, limits->max_frame);
    return NULL;
  }

  if (!check_json (data, length, "frame", error))
    return NULL;

  if (!json_parser_load_from_data (parser, data, length, &parse_error)) {
    bad_request (error, "frame is not valid JSON: %s", parse_error->message);
    return NULL;
  }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    bad_request (error, "frame must be a JSON object");
    return NULL;
  }

  return json_node_get_object (root);
}

static MsMessage *
decode_object (JsonObject      *object,
               MsDirection      direction,
               const MsLimits  *limits,
               gint64          *out_id,
               GError         **error)
{
  g_autoptr (MsMessage) msg = NULL;
  gboolean has_id = FALSE;
  gint64 id = 0;
  MsMsgType type;
  Decoder d = { limits, direction, "", error };

  if (!read_id (object, &has_id, &id, error))
    return NULL;

  if (has_id && out_id != NULL)
    *out_id = id;

  if (!read_type (object, direction, limits->max_id_length, &type, error))
    return NULL;

  msg = new_message (type);
  msg->has_id = has_id;
  msg->id = id;
  if (!msg_types[type].decode (&d, object, msg))
    return NULL;

  return g_steal_pointer (&msg);
}

MsMessage *
ms_message_decode (const char      *data,
                   gsize            length,
                   MsDirection      direction,
                   const MsLimits  *limits,
                   gint64          *out_id,
                   GError         **error)
{
  g_autoptr (JsonParser) parser = NULL;
  MsLimits defaults;
  JsonObject *object;

  if (out_id != NULL)
    *out_id = -1;

  g_return_val_if_fail ((guint) direction <= MS_DIRECTION_TO_CLIENT, NULL);

  if (limits == NULL) {
    ms_limits_init_default (&defaults);
    limits = &defaults;
  }

  parser = json_parser_new ();
  object = parse_frame (parser, data != NULL ? data : "", data != NULL ? length : 0, limits,
                        error);
  if (object == NULL)
    return NULL;

  return decode_object (object, direction, limits, out_id, error);
}

/* The direction @msg goes in, as far as its fields tell. */
static MsDirection
guess_direction (const MsMessage *msg)
{
  switch (msg->type) {
  case MS_MSG_OFFER:
    return msg->u.offer.pc == MS_PC_PUBLISH ? MS_DIRECTION_TO_SERVER : MS_DIRECTION_TO_CLIENT;
  case MS_MSG_ANSWER:
    return msg->u.answer.pc == MS_PC_SUBSCRIBE ? MS_DIRECTION_TO_SERVER : MS_DIRECTION_TO_CLIENT;
  case MS_MSG_MESSAGE:
    return msg->u.message.to != NULL ? MS_DIRECTION_TO_SERVER : MS_DIRECTION_TO_CLIENT;
  default:
    return (msg_types[msg->type].directions & TO_SERVER) ? MS_DIRECTION_TO_SERVER
                                                          : MS_DIRECTION_TO_CLIENT;
  }
}

/* Through the codec, so that the copy is sure to be complete, but without
 * the limits: the original was checked against its own. */
MsMessage *
ms_message_copy (const MsMessage *msg)
{
  const MsLimits unlimited = { G_MAXSIZE, G_MAXSIZE, G_MAXSIZE, G_MAXSIZE, G_MAXSIZE, G_MAXSIZE,
                               G_MAXUINT, G_MAXUINT };
  g_autoptr (JsonNode) node = NULL;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (is_msg_type (msg->type), NULL);

  node = ms_message_to_json (msg);
  return decode_object (json_node_get_object (node), guess_direction (msg), &unlimited, NULL,
                        NULL);
}

/* Encoding */

JsonNode *
ms_message_to_json (const MsMessage *msg)
{
  JsonObject *object;
  JsonNode *node;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (is_msg_type (msg->type), NULL);

  object = json_object_new ();
  json_object_set_string_member (object, "type", msg_types[msg->type].name);
  if (msg->has_id)
    json_object_set_int_member (object, "id", msg->id);
  msg_types[msg->type].encode (msg, object);

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

/* json-glib 1.6 writes a double as g_ascii_dtostr() does and then adds
 * ".0" whenever that has no '.', exponent or not: 1e-08 and 9e+20 (which
 * a body may hold) come out as "1e-08.0" and "9e+20.0", which is not
 * JSON, and the peers a message goes to would refuse the frame. This
 * drops a ".0" right after an exponent's digits, outside strings (where
 * json-glib's output has no 'e' but in numbers and in true and false). */
static gsize
mend_exponents (char  *text,
                gsize  length)
{
  gsize in = 0, out = 0;
  gboolean in_string = FALSE;

  while (in < length) {
    char c = text[in];

    text[out++] = text[in++];
    if (in_string) {
      if (c == '\\' && in < length)
        text[out++] = text[in++];
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == 'e' || c == 'E') {
      gsize digits;

      if (in < length && (text[in] == '+' || text[in] == '-'))
        text[out++] = text[in++];
      for (digits = 0; in < length && g_ascii_isdigit (text[in]); digits++)
        text[out++] = text[in++];
      if (digits > 0 && in + 1 < length && text[in] == '.' && text[in + 1] == '0')
        in += 2;
    }
  }
  text[out] = '\0';
  return out;
}

char *
ms_message_encode (const MsMessage *msg,
                   gsize           *out_length)
{
  g_autoptr (JsonGenerator) generator = NULL;
  g_autoptr (JsonNode) node = NULL;
  char *text;
  gsize length = 0;

  g_return_val_if_fail (msg != NULL, NULL);

  node = ms_message_to_json (msg);
  if (node == NULL)
    return NULL;

  generator = json_generator_new ();
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, &length);
  length = mend_exponents (text, length);
  if (out_length != NULL)
    *out_length = length;
  return text;
}
