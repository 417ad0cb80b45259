/* test-app-utils.h: what the app's tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ms-window.h"
#include "test-utils.h"

G_BEGIN_DECLS

/* The common start of an app test: test sources (a test pattern and a
 * tone) unless @test_sources is FALSE, GStreamer, small video (several
 * encoders run at once on a small CI machine), GTest, criticals fatal
 * (library warnings under the media path stay warnings, see
 * test-media.c), and GTK with libadwaita. Returns whether there is a
 * display; without one, a skipped "@prefix/no-display" is the only test. */
gboolean test_app_init       (int          *argc,
                              char       ***argv,
                              gboolean      test_sources,
                              const char   *prefix);
/* A launcher whose processes (bots) die with the test, even when it
 * fails or times out. */
GSubprocessLauncher *test_app_launcher (GSubprocessFlags flags);
/* A mediastore-bot ($MEDIASTORE_BOT) joined to @room of @server as
 * "bot" with @grants_json, launched as test_app_launcher() does, with
 * the further arguments given (NULL-terminated). */
GSubprocess         *test_app_bot_start (TestServer       *server,
                                         const char       *room,
                                         const char       *grants_json,
                                         GSubprocessFlags  flags,
                                         const char       *first_arg,
                                         ...) G_GNUC_NULL_TERMINATED;
/* Whether something accepts TCP connections at @host:@port (refused is
 * the only other answer the tests allow). */
gboolean             test_app_accepts   (const char       *host,
                                         guint16           port);
/* Whether @window is in a call, connected. */
gboolean test_app_connected  (MsWindow     *window);

G_END_DECLS
