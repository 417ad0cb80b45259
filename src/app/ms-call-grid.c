/* ms-call-grid.c: the call's tiles, laid out to fit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Bound to a list model like a GtkFlowBox, but laid out for a call, as
 * tile views of video-call apps are:
 * - the grid: for n tiles, the number of columns whose 16:9 tile is the
 *   largest in the space there is; every tile the same size, that cell
 *   clamped to between 4:3 and 16:9, the last row centred, the block
 *   centred. Above MAX_FITTED tiles, the columns keep tiles at least
 *   MIN_SCROLL_WIDTH wide and the grid asks for the height they need, so
 *   that a scrolled window around it scrolls;
 * - the stage: a pinned tile, or else the first shared screen (a screen
 *   tile made for a tile whose person shares one), large, with every other
 *   tile in a strip below it or beside it, whichever leaves the larger
 *   stage;
 * - alone (a single tile and nothing shared): a status page saying so,
 *   with a button for win.show-invite, and the tile small in a corner.
 *
 * Places are kept by key (see MsCallGridKeyFunc): an item's place is the
 * one its key got when first seen, so someone who goes and comes back
 * (a reconnect that removes and re-adds them) returns to where they were.
 */

#define G_LOG_DOMAIN "MsCallGrid"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ms-call-grid.h"
#include "ms-tile.h"

#define SPACING 12
#define MARGIN 12
#define MAX_FITTED 9
#define MIN_SCROLL_WIDTH 320
#define NATURAL_WIDTH 640
#define NATURAL_HEIGHT 360

typedef struct {
  MsCallGrid *grid;
  GObject   *item;
  char      *key;
  guint      seq;
  GtkWidget *widget;
  GtkWidget *screen;    /* while the person shares a screen */
} Entry;

struct _MsCallGrid {
  GtkWidget                   parent_instance;

  GListModel                 *model;
  GtkFlowBoxCreateWidgetFunc  create_func;
  MsCallGridKeyFunc           key_func;
  gpointer                    user_data;
  GDestroyNotify              user_data_free;

  GPtrArray                  *entries;  /* of Entry, in their places */
  GHashTable                 *seqs;     /* key → first-seen number + 1 */
  guint                       next_seq;
  char                       *pinned;
  GtkWidget                  *stage;    /* a child, or NULL */
  gboolean                    stage_gone;
  gboolean                    alone;

  GtkWidget                  *alone_page;
};

enum {
  PROP_0,
  PROP_PINNED,
  PROP_STAGE,
  PROP_ALONE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (MsCallGrid, ms_call_grid, GTK_TYPE_WIDGET)

/* ---- the arithmetic ---- */

typedef struct {
  int cols;
  int rows;
  int width;    /* of one tile */
  int height;
} Fit;

/* Clamps a box to an aspect between 4:3 and 16:9, shrinking one side. */
static void
clamp_aspect (int *width,
              int *height)
{
  if (*width * 9 > *height * 16)
    *width = *height * 16 / 9;
  else if (*width * 3 < *height * 4)
    *height = *width * 3 / 4;
}

static Fit
fit_grid (guint n,
          int   width,
          int   height)
{
  Fit best = { 1, MAX (n, 1), 0, 0 };
  double best_area = -1;

  for (guint cols = 1; cols <= MAX (n, 1); cols++) {
    int rows = (n + cols - 1) / cols;
    int cell_w = (width - ((int) cols - 1) * SPACING) / (int) cols;
    int cell_h = (height - (rows - 1) * SPACING) / MAX (rows, 1);
    double area;

    if (cell_w <= 0 || cell_h <= 0)
      continue;

    /* Chosen by the 16:9 tile that fits the cell... */
    area = MIN (cell_w, cell_h * 16.0 / 9.0);
    area = area * area * 9.0 / 16.0;
    if (area > best_area) {
      best_area = area;
      best.cols = cols;
      best.rows = MAX (rows, 1);
      /* ...then given the cell, up to 4:3. */
      best.width = cell_w;
      best.height = cell_h;
      clamp_aspect (&best.width, &best.height);
    }
  }

  return best;
}

/* Above MAX_FITTED: as many columns as keep tiles MIN_SCROLL_WIDTH wide. */
static Fit
fit_scrolling (guint n,
               int   width)
{
  Fit fit;

  fit.cols = MAX (1, (width + SPACING) / (MIN_SCROLL_WIDTH + SPACING));
  fit.cols = MIN (fit.cols, (int) n);
  fit.rows = (n + fit.cols - 1) / fit.cols;
  fit.width = MAX (1, (width - (fit.cols - 1) * SPACING) / fit.cols);
  fit.height = fit.width * 9 / 16;

  return fit;
}

static int
block_height (const Fit *fit)
{
  return fit->rows * fit->height + (fit->rows - 1) * SPACING;
}

/* ---- the children ---- */

/* Before a child goes: the stage must not point at it. */
static void
remove_child (MsCallGrid  *self,
              GtkWidget  **child)
{
  if (*child == NULL)
    return;
  if (self->stage == *child) {
    self->stage = NULL;
    self->stage_gone = TRUE;
  }
  g_clear_pointer (child, gtk_widget_unparent);
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  if (entry->widget != NULL)
    g_signal_handlers_disconnect_matched (entry->widget, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL,
                                          entry);
  remove_child (entry->grid, &entry->widget);
  remove_child (entry->grid, &entry->screen);
  g_clear_object (&entry->item);
  g_free (entry->key);
  g_free (entry);
}

static guint
n_laid_out (MsCallGrid *self)
{
  guint n = 0;

  for (guint i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);

    n += 1 + (entry->screen != NULL);
  }

  return n;
}

static void
update_stage (MsCallGrid *self)
{
  GtkWidget *stage = NULL;
  gboolean alone;

  for (guint i = 0; self->pinned != NULL && i < self->entries->len && stage == NULL; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);

    if (g_str_equal (entry->key, self->pinned))
      stage = entry->widget;
  }
  for (guint i = 0; i < self->entries->len && stage == NULL; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);

    stage = entry->screen;
  }

  for (guint i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);

    if (MS_IS_TILE (entry->widget))
      ms_tile_set_pinned (MS_TILE (entry->widget),
                          self->pinned != NULL && g_str_equal (entry->key, self->pinned));
  }

  if (self->stage != stage || self->stage_gone) {
    if (self->stage != NULL)
      gtk_widget_remove_css_class (self->stage, "on-stage");
    self->stage = stage;
    self->stage_gone = FALSE;
    if (stage != NULL)
      gtk_widget_add_css_class (stage, "on-stage");
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAGE]);
  }

  alone = self->entries->len == 1 && stage == NULL;
  gtk_widget_set_child_visible (self->alone_page, alone);
  if (self->alone != alone) {
    self->alone = alone;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALONE]);
  }

  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* A screen tile while a tile's person shares a screen. */
static void
update_screen (MsCallGrid *self,
               Entry      *entry)
{
  gboolean sharing = MS_IS_TILE (entry->widget) &&
                     ms_tile_get_sharing_screen (MS_TILE (entry->widget));

  if (sharing && entry->screen == NULL) {
    entry->screen = ms_tile_new_screen (MS_TILE (entry->widget));
    gtk_widget_insert_after (entry->screen, GTK_WIDGET (self), entry->widget);
  } else if (!sharing) {
    remove_child (self, &entry->screen);
  }
}

static void
on_sharing_screen (GtkWidget  *tile,
                   GParamSpec *pspec,
                   Entry      *entry)
{
  MsCallGrid *self = MS_CALL_GRID (gtk_widget_get_parent (tile));

  update_screen (self, entry);
  update_stage (self);
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const Entry *ea = *(Entry **) a;
  const Entry *eb = *(Entry **) b;

  return (ea->seq > eb->seq) - (ea->seq < eb->seq);
}

static char *
key_of (MsCallGrid *self,
        GObject    *item)
{
  char *key = self->key_func ? self->key_func (item, self->user_data) : NULL;

  return key ? key : g_strdup_printf ("%p", (void *) item);
}

/* Takes the entry for @item under @key from the current ones, if any:
 * the same key with another object (someone back as a new object) gets
 * a new widget, in the same place. */
static Entry *
steal_entry (MsCallGrid *self,
             GObject    *item,
             const char *key)
{
  for (guint i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);

    if (entry->item == item && g_str_equal (entry->key, key))
      return g_ptr_array_steal_index (self->entries, i);
  }

  return NULL;
}

static void
rebuild (MsCallGrid *self)
{
  GPtrArray *next = g_ptr_array_new_with_free_func (entry_free);
  guint n = self->model ? g_list_model_get_n_items (self->model) : 0;
  GtkWidget *last = self->alone_page;

  for (guint i = 0; i < n; i++) {
    g_autoptr (GObject) item = g_list_model_get_item (self->model, i);
    g_autofree char *key = key_of (self, item);
    Entry *entry = steal_entry (self, item, key);

    if (entry == NULL) {
      gpointer seq = g_hash_table_lookup (self->seqs, key);

      if (seq == NULL) {
        seq = GUINT_TO_POINTER (++self->next_seq);
        g_hash_table_insert (self->seqs, g_strdup (key), seq);
      }
      entry = g_new0 (Entry, 1);
      entry->grid = self;
      entry->item = g_object_ref (item);
      entry->key = g_steal_pointer (&key);
      entry->seq = GPOINTER_TO_UINT (seq);
      entry->widget = self->create_func (item, self->user_data);
      gtk_widget_set_parent (entry->widget, GTK_WIDGET (self));
      if (MS_IS_TILE (entry->widget))
        g_signal_connect (entry->widget, "notify::sharing-screen", G_CALLBACK (on_sharing_screen),
                          entry);
    }
    g_ptr_array_add (next, entry);
  }

  g_ptr_array_unref (self->entries);
  self->entries = next;
  g_ptr_array_sort (self->entries, compare_entries);

  /* Focus goes through the tiles in their places. */
  for (guint i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);

    gtk_widget_insert_after (entry->widget, GTK_WIDGET (self), last);
    last = entry->widget;
    update_screen (self, entry);
    if (entry->screen != NULL) {
      gtk_widget_insert_after (entry->screen, GTK_WIDGET (self), last);
      last = entry->screen;
    }
  }

  update_stage (self);
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  MsCallGrid *self)
{
  rebuild (self);
}

/* ---- layout ---- */

static void
place (GtkWidget *child,
       int        x,
       int        y,
       int        width,
       int        height)
{
  int min_w, min_h;

  gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &min_w, NULL, NULL, NULL);
  gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, MAX (width, min_w), &min_h, NULL, NULL,
                      NULL);
  gtk_widget_size_allocate (child, &(GtkAllocation) { x, y, MAX (width, min_w),
                                                      MAX (height, min_h) }, -1);
}

/* The widgets in their places, but for the one on the stage. */
static GPtrArray *
laid_out (MsCallGrid *self)
{
  GPtrArray *widgets = g_ptr_array_new ();

  for (guint i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);

    if (entry->widget != self->stage)
      g_ptr_array_add (widgets, entry->widget);
    if (entry->screen != NULL && entry->screen != self->stage)
      g_ptr_array_add (widgets, entry->screen);
  }

  return widgets;
}

static void
allocate_grid (MsCallGrid *self,
               GPtrArray  *widgets,
               int         width,
               int         height)
{
  guint n = widgets->len;
  Fit fit = n > MAX_FITTED ? fit_scrolling (n, width) : fit_grid (n, width, height);
  int y0 = MAX (0, (height - block_height (&fit)) / 2);

  for (guint i = 0; i < n; i++) {
    int row = i / fit.cols;
    int col = i % fit.cols;
    int in_row = MIN (fit.cols, (int) n - row * fit.cols);
    int row_w = in_row * fit.width + (in_row - 1) * SPACING;
    /* The block centred, and the last row in it: each row centred. */
    int x0 = (width - row_w) / 2;

    place (g_ptr_array_index (widgets, i), MARGIN + x0 + col * (fit.width + SPACING),
           MARGIN + y0 + row * (fit.height + SPACING), fit.width, fit.height);
  }
}

typedef struct {
  gboolean side;
  int      stage_w, stage_h;
  int      strip_w, strip_h;   /* one strip tile */
} StageFit;

static StageFit
fit_stage (guint k,
           int   width,
           int   height)
{
  StageFit below = { FALSE, width, height, 0, 0 };
  StageFit beside = { TRUE, width, height, 0, 0 };
  int below_w, below_h, beside_w, beside_h;

  if (k == 0) {
    clamp_aspect (&below.stage_w, &below.stage_h);
    return below;
  }

  /* A row below: tiles a fifth of the height, narrower if many. */
  below.strip_h = CLAMP (height / 5, 72, 200);
  below.strip_w = below.strip_h * 16 / 9;
  if ((int) k * below.strip_w + ((int) k - 1) * SPACING > width) {
    below.strip_w = MAX (1, (width - ((int) k - 1) * SPACING) / (int) k);
    below.strip_h = below.strip_w * 9 / 16;
  }
  below.stage_h = MAX (1, height - below.strip_h - SPACING);

  /* A column beside: tiles a fifth of the width, shorter if many. */
  beside.strip_w = CLAMP (width / 5, 128, 320);
  beside.strip_h = beside.strip_w * 9 / 16;
  if ((int) k * beside.strip_h + ((int) k - 1) * SPACING > height) {
    beside.strip_h = MAX (1, (height - ((int) k - 1) * SPACING) / (int) k);
    beside.strip_w = beside.strip_h * 16 / 9;
  }
  beside.stage_w = MAX (1, width - beside.strip_w - SPACING);

  below_w = below.stage_w, below_h = below.stage_h;
  beside_w = beside.stage_w, beside_h = beside.stage_h;
  clamp_aspect (&below_w, &below_h);
  clamp_aspect (&beside_w, &beside_h);

  if ((double) beside_w * beside_h > (double) below_w * below_h) {
    beside.stage_w = beside_w;
    beside.stage_h = beside_h;
    return beside;
  }
  below.stage_w = below_w;
  below.stage_h = below_h;
  return below;
}

static void
allocate_stage (MsCallGrid *self,
                GPtrArray  *strip,
                int         width,
                int         height)
{
  guint k = strip->len;
  StageFit fit = fit_stage (k, width, height);

  if (fit.side) {
    int area_w = width - (k ? fit.strip_w + SPACING : 0);
    int strip_len = k * fit.strip_h + (k - 1) * SPACING;

    place (self->stage, MARGIN + (area_w - fit.stage_w) / 2, MARGIN + (height - fit.stage_h) / 2,
           fit.stage_w, fit.stage_h);
    for (guint i = 0; i < k; i++)
      place (g_ptr_array_index (strip, i), MARGIN + width - fit.strip_w,
             MARGIN + (height - strip_len) / 2 + i * (fit.strip_h + SPACING),
             fit.strip_w, fit.strip_h);
  } else {
    int area_h = height - (k ? fit.strip_h + SPACING : 0);
    int strip_len = k * fit.strip_w + (k - 1) * SPACING;

    place (self->stage, MARGIN + (width - fit.stage_w) / 2, MARGIN + (area_h - fit.stage_h) / 2,
           fit.stage_w, fit.stage_h);
    for (guint i = 0; i < k; i++)
      place (g_ptr_array_index (strip, i),
             MARGIN + (width - strip_len) / 2 + i * (fit.strip_w + SPACING),
             MARGIN + height - fit.strip_h, fit.strip_w, fit.strip_h);
  }
}

static void
allocate_alone (MsCallGrid *self,
                GtkWidget  *tile,
                int         width,
                int         height)
{
  int tile_w = CLAMP (width / 4, 160, 320);
  int tile_h = tile_w * 9 / 16;

  tile_w = MIN (tile_w, width);
  tile_h = MIN (tile_h, height);
  place (self->alone_page, MARGIN, MARGIN, width, height);
  place (tile, MARGIN + width - tile_w, MARGIN + height - tile_h, tile_w, tile_h);
}

static void
ms_call_grid_size_allocate (GtkWidget *widget,
                            int        width,
                            int        height,
                            int        baseline)
{
  MsCallGrid *self = MS_CALL_GRID (widget);
  g_autoptr (GPtrArray) widgets = laid_out (self);
  int inner_w = MAX (1, width - 2 * MARGIN);
  int inner_h = MAX (1, height - 2 * MARGIN);

  if (self->stage != NULL)
    allocate_stage (self, widgets, inner_w, inner_h);
  else if (self->alone)
    allocate_alone (self, g_ptr_array_index (widgets, 0), inner_w, inner_h);
  else if (widgets->len > 0)
    allocate_grid (self, widgets, inner_w, inner_h);
}

static void
ms_call_grid_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  MsCallGrid *self = MS_CALL_GRID (widget);
  guint n = n_laid_out (self);

  if (orientation == GTK_ORIENTATION_HORIZONTAL) {
    *minimum = 128 + 2 * MARGIN;
    *natural = NATURAL_WIDTH + 2 * MARGIN;
  } else if (self->stage == NULL && n > MAX_FITTED && for_size > 0) {
    Fit fit = fit_scrolling (n, MAX (1, for_size - 2 * MARGIN));

    *minimum = *natural = block_height (&fit) + 2 * MARGIN;
  } else {
    *minimum = 72 + 2 * MARGIN;
    *natural = NATURAL_HEIGHT + 2 * MARGIN;
  }
}

static GtkSizeRequestMode
ms_call_grid_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

/* ---- the object ---- */

static void
ms_call_grid_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  MsCallGrid *self = MS_CALL_GRID (object);

  switch (prop_id) {
  case PROP_PINNED:
    g_value_set_string (value, self->pinned);
    break;
  case PROP_STAGE:
    g_value_set_object (value, self->stage);
    break;
  case PROP_ALONE:
    g_value_set_boolean (value, self->alone);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_call_grid_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  MsCallGrid *self = MS_CALL_GRID (object);

  switch (prop_id) {
  case PROP_PINNED:
    ms_call_grid_set_pinned (self, g_value_get_string (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_call_grid_dispose (GObject *object)
{
  MsCallGrid *self = MS_CALL_GRID (object);

  ms_call_grid_bind_model (self, NULL, NULL, NULL, NULL, NULL);
  g_clear_pointer (&self->alone_page, gtk_widget_unparent);

  G_OBJECT_CLASS (ms_call_grid_parent_class)->dispose (object);
}

static void
ms_call_grid_finalize (GObject *object)
{
  MsCallGrid *self = MS_CALL_GRID (object);

  g_ptr_array_unref (self->entries);
  g_hash_table_unref (self->seqs);
  g_free (self->pinned);

  G_OBJECT_CLASS (ms_call_grid_parent_class)->finalize (object);
}

static void
ms_call_grid_class_init (MsCallGridClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ms_call_grid_get_property;
  object_class->set_property = ms_call_grid_set_property;
  object_class->dispose = ms_call_grid_dispose;
  object_class->finalize = ms_call_grid_finalize;

  widget_class->measure = ms_call_grid_measure;
  widget_class->size_allocate = ms_call_grid_size_allocate;
  widget_class->get_request_mode = ms_call_grid_get_request_mode;

  properties[PROP_PINNED] =
    g_param_spec_string ("pinned", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STAGE] =
    g_param_spec_object ("stage", NULL, NULL, GTK_TYPE_WIDGET,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ALONE] =
    g_param_spec_boolean ("alone", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "callgrid");
}

static void
ms_call_grid_init (MsCallGrid *self)
{
  GtkWidget *invite;

  self->entries = g_ptr_array_new_with_free_func (entry_free);
  self->seqs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  invite = gtk_button_new_with_mnemonic (_("_Invite Others"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (invite), "win.show-invite");
  gtk_widget_set_halign (invite, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (invite, "pill");
  gtk_widget_add_css_class (invite, "suggested-action");
  /* Only a host has an invitation to show. */
  g_object_bind_property (invite, "sensitive", invite, "visible", G_BINDING_SYNC_CREATE);

  self->alone_page = adw_status_page_new ();
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (self->alone_page), "system-users-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (self->alone_page), _("You’re the only one here"));
  adw_status_page_set_description (ADW_STATUS_PAGE (self->alone_page),
                                   _("Others see you as soon as they join."));
  adw_status_page_set_child (ADW_STATUS_PAGE (self->alone_page), invite);
  gtk_widget_add_css_class (self->alone_page, "compact");
  gtk_widget_set_parent (self->alone_page, GTK_WIDGET (self));
  gtk_widget_set_child_visible (self->alone_page, FALSE);
}

GtkWidget *
ms_call_grid_new (void)
{
  return g_object_new (MS_TYPE_CALL_GRID, NULL);
}

/**
 * ms_call_grid_bind_model:
 * @model: (nullable): the items, or %NULL to unbind
 * @create_func: makes the widget of an item (an #MsTile gets the screen
 *   and pinning behaviour; any widget may be laid out)
 * @key_func: (nullable): an item's key, for its place and for pinning;
 *   %NULL keys items by object
 */
void
ms_call_grid_bind_model (MsCallGrid                 *self,
                         GListModel                 *model,
                         GtkFlowBoxCreateWidgetFunc  create_func,
                         MsCallGridKeyFunc           key_func,
                         gpointer                    user_data,
                         GDestroyNotify              user_data_free)
{
  g_return_if_fail (MS_IS_CALL_GRID (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));
  g_return_if_fail (model == NULL || create_func != NULL);

  if (self->model != NULL) {
    g_signal_handlers_disconnect_by_func (self->model, on_items_changed, self);
    g_clear_object (&self->model);
  }
  if (self->user_data_free != NULL)
    self->user_data_free (self->user_data);

  /* A new call: new places. */
  g_ptr_array_set_size (self->entries, 0);
  g_hash_table_remove_all (self->seqs);
  self->next_seq = 0;

  self->create_func = create_func;
  self->key_func = key_func;
  self->user_data = user_data;
  self->user_data_free = user_data_free;
  if (model != NULL) {
    self->model = g_object_ref (model);
    g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), self);
  }

  rebuild (self);
}

/* The key of the pinned item, or %NULL. */
const char *
ms_call_grid_get_pinned (MsCallGrid *self)
{
  g_return_val_if_fail (MS_IS_CALL_GRID (self), NULL);

  return self->pinned;
}

/**
 * ms_call_grid_set_pinned:
 * @key: (nullable): the key of the item for the stage, or %NULL for none
 *
 * A key no item has pins nothing until an item with it comes.
 */
void
ms_call_grid_set_pinned (MsCallGrid *self,
                         const char *key)
{
  g_return_if_fail (MS_IS_CALL_GRID (self));

  if (g_strcmp0 (self->pinned, key) == 0)
    return;

  g_free (self->pinned);
  self->pinned = g_strdup (key);
  update_stage (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED]);
}

/**
 * ms_call_grid_get_tiles:
 *
 * Returns: (transfer container) (element-type GtkWidget): the items'
 *   widgets in their places (screen tiles not included)
 */
GPtrArray *
ms_call_grid_get_tiles (MsCallGrid *self)
{
  GPtrArray *tiles;

  g_return_val_if_fail (MS_IS_CALL_GRID (self), NULL);

  tiles = g_ptr_array_new ();
  for (guint i = 0; i < self->entries->len; i++)
    g_ptr_array_add (tiles, ((Entry *) g_ptr_array_index (self->entries, i))->widget);

  return tiles;
}

/* The widget on the stage: a pinned item's, or a screen tile; or %NULL. */
GtkWidget *
ms_call_grid_get_stage (MsCallGrid *self)
{
  g_return_val_if_fail (MS_IS_CALL_GRID (self), NULL);

  return self->stage;
}

GtkWidget *
ms_call_grid_get_alone_page (MsCallGrid *self)
{
  g_return_val_if_fail (MS_IS_CALL_GRID (self), NULL);

  return self->alone_page;
}

/* A single item and nothing on the stage: the status page shows. */
gboolean
ms_call_grid_get_alone (MsCallGrid *self)
{
  g_return_val_if_fail (MS_IS_CALL_GRID (self), FALSE);

  return self->alone;
}
