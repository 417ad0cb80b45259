/* ms-token.h: minting and verifying join tokens (HS256 JWTs)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A token says who may join which room with which grants; the server
 * trusts nothing else at join time. The claims are those of the protocol
 * ("Token" in docs/protocol.md): iss, sub, room, name, avatar, exp, nbf,
 * iat and grants. Only HS256 is accepted, whatever the token's header asks
 * for, and every claim is checked for type and size before it is used.
 */

#pragma once

#include <glib.h>

#include "ms-protocol.h"

G_BEGIN_DECLS

/* Seconds of disagreement between clocks tolerated on exp and nbf. */
#define MS_TOKEN_CLOCK_SKEW 30
/* Shortest API secret accepted, in bytes (the HS256 key size). */
#define MS_TOKEN_MIN_SECRET_LENGTH 32
/* Longest token accepted, in bytes, as the protocol's max_token_length. */
#define MS_TOKEN_MAX_LENGTH 8192

/* The development key: well known, hence worthless outside a developer's
 * machine. A server only accepts it when started with --dev. */
#define MS_DEV_KEY_ID "dev"
#define MS_DEV_SECRET "mediastore-insecure-development-key-never-use-in-production"

#define MS_TOKEN_ERROR (ms_token_error_quark ())

/* Why a token was refused (or could not be minted). */
typedef enum {
  MS_TOKEN_ERROR_MALFORMED,       /* not a JWT, bad JSON, a claim of the wrong type or size */
  MS_TOKEN_ERROR_BAD_ALGORITHM,   /* alg is anything but HS256, "none" included */
  MS_TOKEN_ERROR_UNKNOWN_KEY,     /* iss names no key of the keyring */
  MS_TOKEN_ERROR_BAD_SIGNATURE,   /* signed with another secret, or altered */
  MS_TOKEN_ERROR_EXPIRED,         /* exp is past, beyond the clock skew */
  MS_TOKEN_ERROR_NOT_YET_VALID,   /* nbf is ahead, beyond the clock skew */
  MS_TOKEN_ERROR_MISSING_CLAIM,   /* iss, sub, room, exp or grants is absent */
  MS_TOKEN_ERROR_WEAK_SECRET,     /* a secret shorter than MS_TOKEN_MIN_SECRET_LENGTH */
} MsTokenError;

GQuark           ms_token_error_quark       (void);

/* The protocol error to answer a refused join with: token-expired for
 * MS_TOKEN_ERROR_EXPIRED (the client may fetch a new token), unauthorized
 * for everything else. */
MsProtocolError  ms_token_error_to_protocol (MsTokenError      code);

/* The claims of a token. Strings are owned; avatar may be NULL. Times are
 * seconds since the epoch; issued_at and not_before are 0 when absent.
 * Grant lists of verified claims are never NULL (a list the token did not
 * carry is empty, allowing nothing); ms_token_mint() takes NULL as empty. */
typedef struct {
  char     *key_id;      /* iss: which API key signed the token */
  char     *identity;    /* sub: stable id of the person */
  char     *room;
  char     *name;        /* display name; verified claims default it to identity */
  char     *avatar;      /* http(s) URL, or NULL */
  gint64    issued_at;   /* iat */
  gint64    not_before;  /* nbf */
  gint64    expires;     /* exp, required */
  MsGrants  grants;
} MsTokenClaims;

/* Returns claims with every field NULL, 0 or FALSE. */
MsTokenClaims   *ms_token_claims_new        (void);
void             ms_token_claims_free       (MsTokenClaims    *claims);

/* The API keys a server accepts: key id (a token's iss) → secret.
 * Reference counted; secrets are wiped from memory when it is freed. */
typedef struct _MsKeyring MsKeyring;

MsKeyring       *ms_keyring_new             (void);
MsKeyring       *ms_keyring_ref             (MsKeyring        *keyring);
void             ms_keyring_unref           (MsKeyring        *keyring);

/* Adds (or replaces) a key. @key_id must be an identifier; a @secret
 * shorter than MS_TOKEN_MIN_SECRET_LENGTH bytes is refused with
 * MS_TOKEN_ERROR_WEAK_SECRET. */
gboolean         ms_keyring_add             (MsKeyring        *keyring,
                                             const char       *key_id,
                                             const char       *secret,
                                             GError          **error);
/* The secret of @key_id, or NULL. */
const char      *ms_keyring_lookup          (MsKeyring        *keyring,
                                             const char       *key_id);

/* Signs @claims with @secret. key_id, identity, room and expires are
 * required; name is written as identity when NULL, avatar as null.
 * The claims are checked as ms_token_verify() would check them, so that
 * a minted token is never one the server refuses for its content.
 * Returns a newly allocated token, or NULL with @error in MS_TOKEN_ERROR. */
char            *ms_token_mint              (const MsTokenClaims *claims,
                                             const char       *secret,
                                             GError          **error);
/* The same, with the identifier, name and URL lengths of @limits (NULL:
 * the protocol's defaults) instead of the defaults. */
char            *ms_token_mint_full         (const MsTokenClaims *claims,
                                             const char       *secret,
                                             const MsLimits   *limits,
                                             GError          **error);

/* Checks @token (its form, algorithm, key, signature, validity period at
 * @now_seconds with MS_TOKEN_CLOCK_SKEW of tolerance, and every claim) and
 * returns its claims, or NULL with @error in MS_TOKEN_ERROR. Before the
 * signature is checked, only the header and iss (to pick the key) are
 * read. Any string is safe to pass, NULL included. */
MsTokenClaims   *ms_token_verify            (const char       *token,
                                             MsKeyring        *keyring,
                                             gint64            now_seconds,
                                             GError          **error);
/* The same, checking the claims against @limits (NULL: the defaults):
 * a server passes its configured ones. */
MsTokenClaims   *ms_token_verify_full       (const char       *token,
                                             MsKeyring        *keyring,
                                             const MsLimits   *limits,
                                             gint64            now_seconds,
                                             GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsTokenClaims, ms_token_claims_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsKeyring, ms_keyring_unref)

G_END_DECLS
