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

/* The first GtkPicture in @widget, itself included. */
static GtkPicture *
find_picture (GtkWidget *widget)
{
  if (GTK_IS_PICTURE (widget))
    return GTK_PICTURE (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkPicture *found = find_picture (child);

    if (found != NULL)
      return found;
  }

  return NULL;
}

/* Where in @widget (as fractions) the picture it shows is drawn: a video
 * fitted whole ("contain") into a tile of another shape is letterboxed. */
static graphene_rect_t
picture_box (GtkWidget *widget)
{
  graphene_rect_t box = GRAPHENE_RECT_INIT (0, 0, 1, 1);
  GtkPicture *picture = find_picture (widget);
  GdkPaintable *paintable = picture ? gtk_picture_get_paintable (picture) : NULL;
  graphene_rect_t bounds;
  double aspect, w, h;

  if (paintable == NULL || gtk_picture_get_content_fit (picture) != GTK_CONTENT_FIT_CONTAIN ||
      gdk_paintable_get_intrinsic_aspect_ratio (paintable) <= 0 ||
      !gtk_widget_compute_bounds (GTK_WIDGET (picture), widget, &bounds) ||
      gtk_widget_get_width (widget) <= 0 || gtk_widget_get_height (widget) <= 0)
    return box;

  aspect = gdk_paintable_get_intrinsic_aspect_ratio (paintable);
  w = bounds.size.width;
  h = bounds.size.height;
  if (w / h > aspect)
    w = h * aspect;
  else
    h = w / aspect;
  box.origin.x = (bounds.origin.x + (bounds.size.width - w) / 2) / gtk_widget_get_width (widget);
  box.origin.y = (bounds.origin.y + (bounds.size.height - h) / 2) / gtk_widget_get_height (widget);
  box.size.width = w / gtk_widget_get_width (widget);
  box.size.height = h / gtk_widget_get_height (widget);

  return box;
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
  graphene_rect_t box = picture_box (widget);

  if (texture == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (bars); i++) {
    Rgb c = pixel_at (texture, box.origin.x + box.size.width * (i + 0.5) / G_N_ELEMENTS (bars),
                      box.origin.y + box.size.height * 0.3);

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
