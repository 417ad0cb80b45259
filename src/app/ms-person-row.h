/* ms-person-row.h: one person in the participants list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "mediastore.h"

G_BEGIN_DECLS

#define MS_TYPE_PERSON_ROW (ms_person_row_get_type ())

G_DECLARE_FINAL_TYPE (MsPersonRow, ms_person_row, MS, PERSON_ROW, GtkBox)

GtkWidget  *ms_person_row_new           (GObject     *person);
void        ms_person_row_set_host      (MsPersonRow *self,
                                         gboolean     host);
const char *ms_person_row_get_name      (MsPersonRow *self);
gboolean    ms_person_row_get_host      (MsPersonRow *self);
gboolean    ms_person_row_get_mic_on    (MsPersonRow *self);
gboolean    ms_person_row_get_camera_on (MsPersonRow *self);

G_END_DECLS
