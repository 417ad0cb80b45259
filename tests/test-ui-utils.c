/* test-ui-utils.c: looking at widgets as they are drawn
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-ui-utils.h"

/* The widget as it is drawn, through the window's own renderer. */
GdkTexture *
test_render (GtkWidget *widget)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr (GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    return NULL;

  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

typedef struct {
  guint8 r, g, b;
} Rgb;

static Rgb
pixel_at (GdkTexture *texture,
          double      fx,
          double      fy)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guint8 *data = g_malloc (width * height * 4);
  guint8 *p;

  gdk_texture_download (texture, data, width * 4);
  p = data + ((int) (fy * height) * width + (int) (fx * width)) * 4;

  return (Rgb) { p[2], p[1], p[0] };
}

/* The bars of SMPTE (75 %) the test pattern sends, left to right in the
 * upper two thirds: white, yellow, cyan, green, magenta, red, blue. After
 * VP8 they are near, not equal, to those values. */
gboolean
test_shows_bars (GtkWidget *widget)
{
  static const struct {
    gboolean r, g, b;
  } bars[] = {
    { TRUE, TRUE, TRUE }, { TRUE, TRUE, FALSE }, { FALSE, TRUE, TRUE }, { FALSE, TRUE, FALSE },
    { TRUE, FALSE, TRUE }, { TRUE, FALSE, FALSE }, { FALSE, FALSE, TRUE },
  };
  g_autoptr (GdkTexture) texture = test_render (widget);

  if (texture == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (bars); i++) {
    Rgb c = pixel_at (texture, (i + 0.5) / G_N_ELEMENTS (bars), 0.3);

    if ((c.r > 140) != bars[i].r || (c.g > 140) != bars[i].g || (c.b > 140) != bars[i].b ||
        (!bars[i].r && c.r > 70) || (!bars[i].g && c.g > 70) || (!bars[i].b && c.b > 70))
      return FALSE;
  }

  return TRUE;
}

void
test_screenshot (GtkWidget  *widget,
                 const char *name)
{
  g_autoptr (GdkTexture) texture = test_render (widget);
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR")
                                                                          : ".", name, NULL);

  g_assert_nonnull (texture);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}
