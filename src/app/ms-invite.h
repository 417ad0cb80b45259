/* ms-invite.h: invitation links and codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MS_INVITE_ERROR (ms_invite_error_quark ())

typedef enum {
  MS_INVITE_ERROR_INVALID,       /* not an invitation link */
  MS_INVITE_ERROR_UNKNOWN,       /* the server knows no such code */
  MS_INVITE_ERROR_EXPIRED,
  MS_INVITE_ERROR_REVOKED,       /* withdrawn by the host */
  MS_INVITE_ERROR_RATE_LIMITED,  /* too many attempts */
  MS_INVITE_ERROR_UNREACHABLE,   /* no answer from the server */
  MS_INVITE_ERROR_FAILED,        /* any other refusal */
} MsInviteError;

GQuark    ms_invite_error_quark (void);

/* What a link says: the server's WebSocket URL, and either a room and a
 * token (a token link) or an invitation code (a short link). */
typedef struct {
  char *url;     /* ws://HOST:PORT/v1/ws or wss://HOST[:PORT]/v1/ws */
  char *room;    /* NULL for a code */
  char *token;   /* NULL for a code */
  char *code;    /* "abc-defg-hij", NULL for a token link */
} MsInviteLink;

MsInviteLink *ms_invite_link_parse  (const char    *link,
                                     GError       **error);
void          ms_invite_link_free   (MsInviteLink  *link);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsInviteLink, ms_invite_link_free)

/* Either kind of link; for a short link *out_room and *out_token are NULL. */
gboolean  ms_invite_parse       (const char  *link,
                                 char       **out_url,
                                 char       **out_room,
                                 char       **out_token,
                                 GError     **error);
char     *ms_invite_normalize_code (const char *code);
char     *ms_invite_token_name  (const char  *token);
char     *ms_invite_build       (const char  *host,
                                 guint        port,
                                 const char  *room,
                                 const char  *token);
char     *ms_invite_build_code  (const char  *host,
                                 guint        port,
                                 const char  *code);
/* The server's HTTP base (http://HOST:PORT or https://…) for its
 * WebSocket URL. */
char     *ms_invite_http_base   (const char  *ws_url);

/* Redeems @code at the server of @server_url (its WebSocket URL) as @name
 * (NULL or empty: the server's default): a token of its own for this
 * guest. Errors are MS_INVITE_ERROR, with a message for the user. */
void      ms_invite_redeem_async  (const char           *server_url,
                                   const char           *code,
                                   const char           *name,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data);
char     *ms_invite_redeem_finish (GAsyncResult         *result,
                                   char                **out_room,
                                   char                **out_identity,
                                   GError              **error);

G_END_DECLS
