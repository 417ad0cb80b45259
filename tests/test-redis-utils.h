/* test-redis-utils.h: a real redis-server for the tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _TestRedis TestRedis;

/* Starts redis-server (from PATH) on 127.0.0.1 and a free port, with no
 * persistence, in a private directory; with @password it requires it,
 * with @tls it speaks TLS only, with a self-signed certificate made for
 * the occasion. Returns once the port accepts connections. */
TestRedis  *test_redis_start        (const char *password,
                                     gboolean    tls);
/* redis://[:PASSWORD@]127.0.0.1:PORT/0 or rediss://…, the password escaped. */
const char *test_redis_get_url      (TestRedis  *redis);
/* The certificate the server presents, to trust it (NULL without TLS). */
const char *test_redis_get_ca_file  (TestRedis  *redis);
guint16     test_redis_get_port     (TestRedis  *redis);
/* SIGTERM, then waits for it to exit. */
void        test_redis_stop         (TestRedis  *redis);
/* Starts it again after a stop, on the same port with the same options. */
void        test_redis_restart      (TestRedis  *redis);
void        test_redis_free         (TestRedis  *redis);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestRedis, test_redis_free)

G_END_DECLS
