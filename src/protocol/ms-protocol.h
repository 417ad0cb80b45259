/* ms-protocol.h: the Mediastore signaling protocol v1, as typed C structs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by the client library and the server. Every frame is one JSON
 * object; ms_message_decode() turns it into an MsMessage after validating
 * every field, and ms_message_encode() does the reverse. Names on the wire
 * are those of docs/protocol.md.
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define MS_PROTOCOL_VERSION 1

/* The largest request id: 2^53, the last integer every JSON
 * implementation (JavaScript's above all) represents exactly. */
#define MS_PROTOCOL_MAX_ID G_GINT64_CONSTANT (9007199254740992)
/* Frames nesting arrays and objects deeper than this are refused. */
#define MS_PROTOCOL_MAX_DEPTH 32
/* Entries in a grant list, ICE servers in a welcome, URLs per ICE server. */
#define MS_PROTOCOL_MAX_LIST 256

#define MS_PROTOCOL_ERROR (ms_protocol_error_quark ())

/* The protocol's error codes ("code" of an error message). */
typedef enum {
  MS_PROTOCOL_ERROR_BAD_REQUEST,
  MS_PROTOCOL_ERROR_UNAUTHORIZED,
  MS_PROTOCOL_ERROR_TOKEN_EXPIRED,
  MS_PROTOCOL_ERROR_FORBIDDEN,
  MS_PROTOCOL_ERROR_NOT_FOUND,
  MS_PROTOCOL_ERROR_CONFLICT,
  MS_PROTOCOL_ERROR_RATE_LIMITED,
  MS_PROTOCOL_ERROR_ROOM_FULL,
  MS_PROTOCOL_ERROR_SERVER_ERROR,
  MS_PROTOCOL_ERROR_UNAVAILABLE,   /* cluster mode: no node can take the room now */
} MsProtocolError;

/* WebSocket close codes used by the server. */
typedef enum {
  MS_CLOSE_GOING_AWAY    = 1001,
  MS_CLOSE_UNAUTHORIZED  = 4001,
  MS_CLOSE_FORBIDDEN     = 4003,
  MS_CLOSE_RATE_LIMITED  = 4008,
  MS_CLOSE_REDIRECT      = 4302,   /* after "redirect": join there instead */
  MS_CLOSE_ABUSE         = 4400,
  MS_CLOSE_REPLACED      = 4409,
  MS_CLOSE_UNAVAILABLE   = 4503,   /* "unavailable" on join: try again later */
} MsCloseCode;

typedef enum {
  MS_TRACK_KIND_AUDIO,
  MS_TRACK_KIND_VIDEO,
} MsTrackKind;

typedef enum {
  MS_PC_PUBLISH,
  MS_PC_SUBSCRIBE,
} MsPcKind;

/* Who sends the frame: the same "type" can mean different things
 * (and carry different fields) in each direction. */
typedef enum {
  MS_DIRECTION_TO_SERVER,
  MS_DIRECTION_TO_CLIENT,
} MsDirection;

typedef enum {
  /* client → server */
  MS_MSG_JOIN,
  MS_MSG_OFFER,            /* both directions */
  MS_MSG_ANSWER,           /* both directions */
  MS_MSG_CANDIDATE,        /* both directions */
  MS_MSG_PAUSE_TRACK,
  MS_MSG_RESUME_TRACK,
  MS_MSG_CLOSE_TRACK,
  MS_MSG_SET_RECEIVING,
  MS_MSG_MESSAGE,          /* both directions */
  MS_MSG_SET_HIDDEN,
  MS_MSG_SET_PROFILE,
  MS_MSG_LEAVE,
  /* server → client */
  MS_MSG_WELCOME,
  MS_MSG_PEER_JOINED,
  MS_MSG_PEER_UPDATED,
  MS_MSG_PEER_LEFT,
  MS_MSG_TRACK_PUBLISHED,
  MS_MSG_TRACK_UPDATED,
  MS_MSG_TRACK_CLOSED,
  MS_MSG_OK,
  MS_MSG_ERROR,
  MS_MSG_BYE,
  MS_MSG_MEDIA_FAILED,     /* the server dropped a PeerConnection's transport */
  MS_MSG_REDIRECT,         /* cluster mode: the room lives on another node */
} MsMsgType;

/* Limits applied while decoding. Lengths are in bytes. */
typedef struct {
  gsize max_frame;         /* whole frame; default 64 KiB */
  gsize max_id_length;     /* peer ids, tags, msg types, mids; default 64 */
  gsize max_name_length;   /* display names; default 128 */
  gsize max_url_length;    /* avatars, ICE URLs; default 2048 */
  gsize max_token_length;  /* default 8192 */
  gsize max_sdp_length;    /* default 60000 */
  guint max_tracks;        /* tracks in one offer or peer; default 32 */
  guint max_peers;         /* peers in one welcome; default 1000 */
} MsLimits;

/* One track. @mid is set only in offers; @peer_id only in subscribe
 * offers, where it names the publisher. */
typedef struct {
  char        *mid;
  char        *peer_id;
  char        *tag;
  MsTrackKind  kind;
  gboolean     paused;
} MsTrackDesc;

typedef struct {
  char      *id;
  char      *display_name;
  char      *avatar;         /* nullable */
  gboolean   host;           /* its token has the host grant */
  GPtrArray *tracks;         /* of MsTrackDesc */
} MsPeerDesc;

/* The grants of a token, also sent back in welcome. A list holding
 * the single entry "*" allows anything. */
typedef struct {
  GStrv    send_tracks;
  GStrv    recv_tracks;
  GStrv    send_messages;
  GStrv    recv_messages;
  gboolean can_hide;
  gboolean hidden;
  gboolean host;             /* shown to the others as the host */
} MsGrants;

typedef struct {
  GStrv  urls;
  char  *username;           /* nullable */
  char  *credential;         /* nullable */
} MsIceServer;

typedef struct {
  MsMsgType type;
  gboolean  has_id;
  gint64    id;              /* request id; echoed by ok/error */
  union {
    struct {
      char     *token;
      gint64    protocol;
      char     *resume;        /* nullable */
      char     *display_name;  /* nullable: take the token's */
      char     *avatar;        /* nullable: take the token's */
      gboolean  has_hidden;
      gboolean  hidden;
    } join;
    struct {
      MsPcKind   pc;
      char      *sdp;
      GPtrArray *tracks;       /* of MsTrackDesc */
    } offer;
    struct {
      MsPcKind  pc;
      char     *sdp;
    } answer;
    struct {
      MsPcKind  pc;
      char     *candidate;     /* "" = end of candidates */
      guint     sdp_mline_index;
    } candidate;
    struct {
      char *tag;
    } track_request;           /* pause-track, resume-track, close-track */
    struct {
      char     *peer_id;
      char     *tag;           /* nullable: all of the peer's tracks */
      gboolean  enabled;
    } set_receiving;
    struct {
      char     *msg_type;
      JsonNode *body;
      char     *to;            /* to server; nullable: everyone allowed */
      char     *from;          /* to client; nullable: a hidden sender */
    } message;
    struct {
      gboolean hidden;
    } set_hidden;
    struct {
      gboolean  has_display_name;
      char     *display_name;
      gboolean  has_avatar;
      char     *avatar;        /* nullable: remove the avatar */
    } set_profile;
    struct {
      char      *peer_id;
      char      *room;
      char      *display_name;
      char      *avatar;       /* nullable */
      gboolean   hidden;
      MsGrants   grants;
      GPtrArray *peers;        /* of MsPeerDesc */
      GPtrArray *ice_servers;  /* of MsIceServer */
      char      *resume;
      char      *server_version;
      GStrv      features;     /* optional: NULL when absent; unknown ones are ignored */
      GStrv      nodes;        /* optional: the cluster's ws(s):// URLs, for reconnecting */
    } welcome;
    struct {
      MsPeerDesc *peer;
    } peer;                    /* peer-joined, peer-updated */
    struct {
      char *peer_id;
    } peer_left;
    struct {
      char        *peer_id;
      char        *tag;
      MsTrackKind  kind;       /* track-published only */
      gboolean     paused;     /* track-published and track-updated */
    } track_event;             /* track-published, -updated, -closed */
    struct {
      MsProtocolError  code;
      char            *message;
    } error;
    struct {
      char *reason;
    } bye;
    struct {
      MsPcKind pc;
    } media_failed;
    struct {
      char *url;               /* ws:// or wss:// */
    } redirect;
  } u;
} MsMessage;

GQuark           ms_protocol_error_quark        (void);
const char      *ms_protocol_error_to_string    (MsProtocolError  code);
gboolean         ms_protocol_error_from_string  (const char      *str,
                                                 MsProtocolError *out_code);
MsCloseCode      ms_protocol_error_close_code   (MsProtocolError  code);

const char      *ms_msg_type_to_string          (MsMsgType        type);
gboolean         ms_msg_type_from_string        (const char      *str,
                                                 MsDirection      direction,
                                                 MsMsgType       *out_type);

const char      *ms_track_kind_to_string        (MsTrackKind      kind);
gboolean         ms_track_kind_from_string      (const char      *str,
                                                 MsTrackKind     *out_kind);
const char      *ms_pc_kind_to_string           (MsPcKind         pc);
gboolean         ms_pc_kind_from_string         (const char      *str,
                                                 MsPcKind        *out_pc);

void             ms_limits_init_default         (MsLimits        *limits);
/* Identifiers (rooms, peer ids, tags, message types, mids) are 1 to
 * @max_length bytes of A-Z a-z 0-9 . _ : @ - */
gboolean         ms_validate_identifier         (const char      *str,
                                                 gsize            max_length);
/* Avatars are http or https URLs with a host, 1 to @max_length bytes,
 * without spaces or control characters. */
gboolean         ms_validate_avatar_url         (const char      *str,
                                                 gsize            max_length);
/* Display names are 1 to @max_length bytes of UTF-8 without control
 * characters. */
gboolean         ms_validate_display_name       (const char      *str,
                                                 gsize            max_length);
/* Grant lists hold at most MS_PROTOCOL_MAX_LIST entries, each "*" or an
 * identifier of at most @max_id_length bytes; NULL is the empty list. */
gboolean         ms_validate_grant_list         (const char * const *list,
                                                 gsize            max_id_length);

/* Checks untrusted bytes before json-glib parses them: valid UTF-8, only
 * JSON tokens (no comments, single quotes, hex numbers...) making up one
 * value, arrays and objects nested at most MS_PROTOCOL_MAX_DEPTH deep,
 * integers that fit in 64 bits, no escaped U+0000, no unpaired UTF-16
 * surrogate. The grammar itself ("[1,]") is left to json-glib. json-glib
 * 1.6 overflows the stack on deep nesting, silently wraps big integers,
 * makes invalid UTF-8 of some unpaired surrogates and leaks memory on
 * others: ms_message_decode() runs this check, and other parsers of
 * network input (HTTP bodies) should too. */
gboolean         ms_protocol_check_json         (const char      *data,
                                                 gsize            length,
                                                 GError         **error);

/* Whether @allowed (a grant list) allows @item; "*" allows anything. */
gboolean         ms_grant_allows                (const char * const *allowed,
                                                 const char      *item);

MsTrackDesc     *ms_track_desc_new              (const char      *tag,
                                                 MsTrackKind      kind,
                                                 gboolean         paused);
MsTrackDesc     *ms_track_desc_copy             (const MsTrackDesc *track);
void             ms_track_desc_free             (MsTrackDesc     *track);

MsPeerDesc      *ms_peer_desc_new               (const char      *id,
                                                 const char      *display_name,
                                                 const char      *avatar);
MsPeerDesc      *ms_peer_desc_copy              (const MsPeerDesc *peer);
void             ms_peer_desc_free              (MsPeerDesc      *peer);

void             ms_grants_copy_to              (const MsGrants  *src,
                                                 MsGrants        *dest);
void             ms_grants_clear                (MsGrants        *grants);
JsonObject      *ms_grants_to_json              (const MsGrants  *grants);

MsIceServer     *ms_ice_server_copy             (const MsIceServer *server);
void             ms_ice_server_free             (MsIceServer     *server);

/* A new message of @type with every field empty (but a join's protocol,
 * MS_PROTOCOL_VERSION); free with ms_message_free(). */
MsMessage       *ms_message_new                 (MsMsgType        type);
MsMessage       *ms_message_new_ok              (gint64           id);
MsMessage       *ms_message_new_error           (gboolean         has_id,
                                                 gint64           id,
                                                 MsProtocolError  code,
                                                 const char      *message);
/* A deep copy of @msg, made by a round trip through the codec without its
 * limits; NULL when @msg is not valid (a required field is missing). */
MsMessage       *ms_message_copy                (const MsMessage *msg);
void             ms_message_free                (MsMessage       *msg);

/* Decodes one frame. On failure returns NULL and sets @error in
 * MS_PROTOCOL_ERROR (bad-request for anything malformed); *@out_id is set
 * to the request id whenever one could be read, so the error reply can
 * carry it, and to -1 otherwise. @limits may be NULL for the defaults. */
MsMessage       *ms_message_decode              (const char      *data,
                                                 gsize            length,
                                                 MsDirection      direction,
                                                 const MsLimits  *limits,
                                                 gint64          *out_id,
                                                 GError         **error);

/* Encodes @msg as one compact JSON object (NUL-terminated). A "message"
 * without "to" is written with "from" (null for a hidden sender): the
 * codec cannot tell a client's message for everyone from the server's
 * delivery of a hidden sender's one, and a server ignores "from". */
char            *ms_message_encode              (const MsMessage *msg,
                                                 gsize           *out_length);
JsonNode        *ms_message_to_json             (const MsMessage *msg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsMessage, ms_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsTrackDesc, ms_track_desc_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsPeerDesc, ms_peer_desc_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsIceServer, ms_ice_server_free)

G_END_DECLS
