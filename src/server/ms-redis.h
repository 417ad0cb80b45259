/* ms-redis.h: a Redis connection on the main context, for cluster mode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One connection to one Redis server (Debian's redis-server 7), made
 * with GIO (plain TCP, or TLS for rediss:// URLs), speaking RESP through
 * hiredis's own reply reader and command formatter (redisReader,
 * redisFormatCommandArgv). Commands are queued in order and answered in
 * order; each reply reaches its callback on the context that was the
 * thread-default one when the MsRedis was made.
 *
 * The connection keeps itself up: after a failure it tries again with a
 * growing delay (100 ms doubling up to 2 s), and tells its users with
 * the "connected" and "disconnected" signals. While it is down, every
 * command fails at once with MS_REDIS_ERROR_UNAVAILABLE.
 */

#pragma once

#include <gio/gio.h>
#include <hiredis/hiredis.h>

G_BEGIN_DECLS

#define MS_REDIS_ERROR (ms_redis_error_quark ())

typedef enum {
  MS_REDIS_ERROR_URL,          /* the URL cannot be used */
  MS_REDIS_ERROR_UNAVAILABLE,  /* not connected, or the connection broke */
  MS_REDIS_ERROR_TIMEOUT,      /* no reply in time (the connection is then dropped) */
  MS_REDIS_ERROR_AUTH,         /* the password (or user) was refused */
  MS_REDIS_ERROR_REPLY,        /* Redis answered with an error reply */
} MsRedisError;

GQuark ms_redis_error_quark (void);

#define MS_TYPE_REDIS (ms_redis_get_type ())
G_DECLARE_FINAL_TYPE (MsRedis, ms_redis, MS, REDIS, GObject)

/* @url: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or rediss://… (TLS,
 * the server's certificate checked against the system's CAs, or against
 * @ca_file when not NULL). The port defaults to 6379, the database to 0.
 * Nothing is connected before ms_redis_start(). */
MsRedis    *ms_redis_new          (const char  *url,
                                   const char  *ca_file,
                                   GError     **error);

/* Connects, and keeps connecting after every failure until disposed. */
void        ms_redis_start        (MsRedis     *self);
gboolean    ms_redis_is_connected (MsRedis     *self);
/* The URL without its password, for logs. */
const char *ms_redis_get_display_url (MsRedis *self);
/* Why the last connection attempt or connection failed; NULL when
 * connected. */
const char *ms_redis_get_last_error (MsRedis *self);

/* @reply is hiredis's parsed reply, owned by MsRedis and valid only
 * during the call; NULL when @error is set. An error reply from Redis
 * is given as @error (MS_REDIS_ERROR_REPLY, its text as the message),
 * not as a reply. */
typedef void (*MsRedisCallback) (MsRedis      *redis,
                                 redisReply   *reply,
                                 const GError *error,
                                 gpointer      user_data);

/* Queues one command, its arguments binary-safe (@lens NULL: each a
 * NUL-terminated string). @callback may be NULL. Per-command timeout:
 * 2 s. */
void        ms_redis_commandv     (MsRedis          *self,
                                   guint             argc,
                                   const char *const *argv,
                                   const gsize      *lens,
                                   MsRedisCallback   callback,
                                   gpointer          user_data);
/* The same with NUL-terminated string arguments, the list ended by NULL. */
void        ms_redis_command      (MsRedis          *self,
                                   MsRedisCallback   callback,
                                   gpointer          user_data,
                                   const char       *first_arg,
                                   ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
