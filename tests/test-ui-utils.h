/* test-ui-utils.h: looking at widgets as they are drawn
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The widget as it is drawn, through its window's own renderer. */
GdkTexture *test_render     (GtkWidget  *widget);
/* Whether @widget shows the SMPTE bars of the test pattern, bar by bar,
 * where its picture draws them (a "contain" fit may letterbox them). */
gboolean    test_shows_bars (GtkWidget  *widget);
/* Renders @widget into BUILDDIR/@name (PNG), for people to look at. */
void        test_screenshot (GtkWidget  *widget,
                             const char *name);

G_END_DECLS
