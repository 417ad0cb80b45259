/* test-utils.h: the real server, real WebSockets, and waiting for events
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "ms-protocol.h"

G_BEGIN_DECLS

/* Upper bound for anything a test waits for; never a sleep. A sanitizer
 * build runs media several times slower: MEDIASTORE_TEST_TIMEOUT_SCALE (an
 * integer, 1 by default) multiplies the bound, as meson's
 * --timeout-multiplier does the whole test's, and the latency bounds that
 * tests assert. */
#define TEST_TIMEOUT_SECONDS (10 * test_timeout_scale ())

guint       test_timeout_scale     (void);

/* Iterates the default main context until @cond holds, failing the test
 * after TEST_TIMEOUT_SECONDS. A light wake-up source makes sure the
 * deadline is checked, and lets @cond read counters that streaming
 * threads update without posting anything to the main context. */
#define WAIT_UNTIL(cond) WAIT_UNTIL_EXPLAINED (cond, (void) 0)

/* The same, running the statement @explain (which says what was seen
 * instead) before the test fails. */
#define WAIT_UNTIL_EXPLAINED(cond, explain) \
  G_STMT_START { \
    gint64 _deadline = g_get_monotonic_time () + TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC; \
    guint _wake = test_wake_source_add (); \
    while (!(cond)) { \
      if (g_get_monotonic_time () > _deadline) { \
        explain; \
        g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond); \
      } \
      g_main_context_iteration (NULL, TRUE); \
    } \
    g_source_remove (_wake); \
  } G_STMT_END

guint       test_wake_source_add   (void);

typedef struct _TestServer TestServer;

/* Starts the real mediastore-server binary ($MEDIASTORE_SERVER) on
 * 127.0.0.1 with a free port, in --dev mode, with @extra_args (NULL-
 * terminated) added. Returns once it listens. */
TestServer *test_server_start      (const char *first_arg,
                                    ...);
const char *test_server_get_url    (TestServer *server);  /* ws://127.0.0.1:PORT/v1/ws */
const char *test_server_get_http   (TestServer *server);  /* http://127.0.0.1:PORT */
/* The UDP ports of the server's media workers (guint16). */
GArray     *test_server_get_media_ports (TestServer *server);
GPid        test_server_get_pid    (TestServer *server);
guint64     test_server_engine_wakeups (TestServer *server);
gboolean    test_server_is_running (TestServer *server);
/* SIGTERM, then waits for a clean exit; asserts the exit status is 0. */
void        test_server_stop       (TestServer *server);
/* The same with @signum (SIGINT stops a cluster node at once, where
 * SIGTERM has it drain first). */
void        test_server_stop_with  (TestServer *server,
                                    int         signum);
void        test_server_kill       (TestServer *server);
/* Waits for the server to exit by itself; asserts @status. */
void        test_server_wait_exit  (TestServer *server,
                                    int         status);
void        test_server_free       (TestServer *server);
/* A blocking HTTP request to the server; returns the body. */
char       *test_server_http       (TestServer *server,
                                    const char *method,
                                    const char *path,
                                    const char *bearer,
                                    const char *body,
                                    guint      *out_status);
/* The value of @name (with its labels) in a /metrics text. */
guint64     test_metric_value      (const char *text,
                                    const char *name);
/* The current value of @name on the server's /metrics. */
guint64     test_server_metric     (TestServer *server,
                                    const char *name);
/* Polls /metrics until @name reaches @value, for states that have no
 * event of their own; bounded by TEST_TIMEOUT_SECONDS. */
void        test_server_wait_metric (TestServer *server,
                                     const char *name,
                                     guint64     value);

/* A token signed with the development key. @grants_json is the "grants"
 * object, e.g. "{\"send_tracks\":[\"camera\"]}"; NULL gives the defaults
 * (receive everything, send nothing). */
char       *test_token             (const char *room,
                                    const char *identity,
                                    const char *grants_json);
/* The same, with the picture at @avatar (an http(s) URL, or NULL). */
char       *test_token_with_avatar (const char *room,
                                    const char *identity,
                                    const char *grants_json,
                                    const char *avatar);

typedef struct _TestPeer TestPeer;

TestPeer   *test_peer_connect      (TestServer *server);
TestPeer   *test_peer_connect_url  (const char *url);
/* Connects, joins and waits for welcome. */
TestPeer   *test_peer_join         (TestServer *server,
                                    const char *room,
                                    const char *identity,
                                    const char *grants_json);
/* The same; with @keep_offers, the server's subscribe offers are kept
 * for test_peer_expect() (dropped by default, like candidates, as most
 * tests speak signaling only). */
TestPeer   *test_peer_join_full    (TestServer *server,
                                    const char *room,
                                    const char *identity,
                                    const char *grants_json,
                                    gboolean    keep_offers);
void        test_peer_send_raw     (TestPeer   *peer,
                                    const char *text);
void        test_peer_send         (TestPeer   *peer,
                                    const char *format,
                                    ...) G_GNUC_PRINTF (2, 3);
/* Waits for the next frame of @type, failing on any other type first. */
MsMessage  *test_peer_expect       (TestPeer   *peer,
                                    MsMsgType   type);
/* Waits for the next frame, whatever its type (candidates and dropped
 * offers aside, as for test_peer_expect()). */
MsMessage  *test_peer_expect_any   (TestPeer   *peer);
/* Waits for an error and checks its code (and id when @id >= 0). */
void        test_peer_expect_error (TestPeer        *peer,
                                    MsProtocolError  code,
                                    gint64           id);
/* The same, and its message names @part (the reason). */
void        test_peer_expect_error_text (TestPeer        *peer,
                                         MsProtocolError  code,
                                         gint64           id,
                                         const char      *part);
/* Sends a request that only errors, and waits for the answer: every
 * frame the server sent to this peer before it has then arrived. */
void        test_peer_barrier      (TestPeer   *peer);
/* Removes the frames of @type received so far; returns how many. */
guint       test_peer_drain        (TestPeer   *peer,
                                    MsMsgType   type);
/* After test_peer_barrier(): no other frame arrived. */
void        test_peer_assert_quiet (TestPeer   *peer);
/* Waits until the server closes the connection; returns the close code. */
gushort     test_peer_wait_closed  (TestPeer   *peer);
gboolean    test_peer_is_open      (TestPeer   *peer);
const char *test_peer_get_id       (TestPeer   *peer);
const char *test_peer_get_resume   (TestPeer   *peer);
/* Drops the TCP connection without a closing handshake. */
void        test_peer_drop         (TestPeer   *peer);
void        test_peer_free         (TestPeer   *peer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestServer, test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestPeer, test_peer_free)

/* Warnings from the libraries under the media path stay warnings
 * (criticals still abort), and libnice's about busy ports never end a
 * test. */
void test_media_warnings_not_fatal (void);

/* A socket of @type (UDP or TCP) bound to a free port of 127.0.0.1,
 * which goes to @port. */
GSocket *test_bind_loopback (GSocketType  type,
                             guint16     *port);

/* A network namespace of this process's own (root only), with its
 * loopback up: what runs here from now on, and the children started
 * later, hurt no one else by dropping packets or taking the network
 * down. FALSE when the kernel refused it (errno tells why). */
gboolean test_enter_private_network (void);
/* Takes the loopback interface of this namespace up or down. */
gboolean test_set_loopback_up       (gboolean up);
/* Runs nft with @args (no shell) and returns what it printed; a failure
 * ends the test. */
char    *test_nft                   (const char * const *args);
/* The same for ip (iproute2), for this namespace's routes. */
char    *test_ip                    (const char * const *args);
/* nftables' table inet @table with a chain "out" on the output hook, for
 * the caller's rules; test_nft_delete_table() takes it all away again. */
void     test_nft_output_chain      (const char *table);
void     test_nft_delete_table      (const char *table);

G_END_DECLS
