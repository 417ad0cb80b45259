/* ms-call-grid.h: the call's tiles, laid out to fit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MS_TYPE_CALL_GRID (ms_call_grid_get_type ())

G_DECLARE_FINAL_TYPE (MsCallGrid, ms_call_grid, MS, CALL_GRID, GtkWidget)

/* The key that follows an item through removals and additions: the
 * place of an item is the place its key had when first seen. */
typedef char *(*MsCallGridKeyFunc) (gpointer item,
                                    gpointer user_data);

GtkWidget  *ms_call_grid_new             (void);
void        ms_call_grid_bind_model      (MsCallGrid                 *self,
                                          GListModel                 *model,
                                          GtkFlowBoxCreateWidgetFunc  create_func,
                                          MsCallGridKeyFunc           key_func,
                                          gpointer                    user_data,
                                          GDestroyNotify              user_data_free);
const char *ms_call_grid_get_pinned      (MsCallGrid                 *self);
void        ms_call_grid_set_pinned      (MsCallGrid                 *self,
                                          const char                 *key);
GPtrArray  *ms_call_grid_get_tiles       (MsCallGrid                 *self);
GtkWidget  *ms_call_grid_get_stage       (MsCallGrid                 *self);
GtkWidget  *ms_call_grid_get_alone_page  (MsCallGrid                 *self);
gboolean    ms_call_grid_get_alone       (MsCallGrid                 *self);

G_END_DECLS
