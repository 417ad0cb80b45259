/* ms-audio-produce.h: plays one peer's audio for a media tag, with a level
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ms-session.h"

G_BEGIN_DECLS

#define MS_TYPE_AUDIO_PRODUCE (ms_audio_produce_get_type ())

G_DECLARE_FINAL_TYPE (MsAudioProduce, ms_audio_produce, MS, AUDIO_PRODUCE, GtkWidget)

GtkWidget  *ms_audio_produce_new           (void);
double      ms_audio_produce_get_level     (MsAudioProduce *self);

G_END_DECLS
