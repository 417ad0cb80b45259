/* test-app-utils.h: what the app's tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ms-window.h"

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
/* Whether @window is in a call, connected. */
gboolean test_app_connected  (MsWindow     *window);

G_END_DECLS
