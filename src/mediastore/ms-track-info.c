/* ms-track-info.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "MsTrackInfo"

#include "config.h"

#include "ms-track-info-private.h"

struct _MsTrackInfo {
  GObject      parent_instance;

  char        *tag;
  MsTrackKind  kind;
  gboolean     paused;
};

enum {
  PROP_0,
  PROP_TAG,
  PROP_KIND,
  PROP_PAUSED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (MsTrackInfo, ms_track_info, G_TYPE_OBJECT)

static void
ms_track_info_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  MsTrackInfo *self = MS_TRACK_INFO (object);

  switch (prop_id) {
  case PROP_TAG:
    g_value_set_string (value, self->tag);
    break;
  case PROP_KIND:
    g_value_set_enum (value, self->kind);
    break;
  case PROP_PAUSED:
    g_value_set_boolean (value, self->paused);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_track_info_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  MsTrackInfo *self = MS_TRACK_INFO (object);

  switch (prop_id) {
  case PROP_TAG:
    self->tag = g_value_dup_string (value);
    break;
  case PROP_KIND:
    self->kind = g_value_get_enum (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_track_info_finalize (GObject *object)
{
  MsTrackInfo *self = MS_TRACK_INFO (object);

  g_free (self->tag);

  G_OBJECT_CLASS (ms_track_info_parent_class)->finalize (object);
}

static void
ms_track_info_class_init (MsTrackInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ms_track_info_get_property;
  object_class->set_property = ms_track_info_set_property;
  object_class->finalize = ms_track_info_finalize;

  properties[PROP_TAG] =
    g_param_spec_string ("tag", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       MS_TYPE_TRACK_KIND, MS_TRACK_KIND_AUDIO,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /* Read-only to users: only the store changes it, from protocol events. */
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ms_track_info_init (MsTrackInfo *self)
{
}

MsTrackInfo *
ms_track_info_new (const char  *tag,
                   MsTrackKind  kind,
                   gboolean     paused)
{
  MsTrackInfo *self;

  g_return_val_if_fail (tag != NULL, NULL);

  self = g_object_new (MS_TYPE_TRACK_INFO,
                       "tag", tag,
                       "kind", kind,
                       NULL);
  self->paused = !!paused;

  return self;
}

const char *
ms_track_info_get_tag (MsTrackInfo *self)
{
  g_return_val_if_fail (MS_IS_TRACK_INFO (self), NULL);

  return self->tag;
}

MsTrackKind
ms_track_info_get_kind (MsTrackInfo *self)
{
  g_return_val_if_fail (MS_IS_TRACK_INFO (self), MS_TRACK_KIND_AUDIO);

  return self->kind;
}

gboolean
ms_track_info_get_paused (MsTrackInfo *self)
{
  g_return_val_if_fail (MS_IS_TRACK_INFO (self), FALSE);

  return self->paused;
}

void
ms_track_info_set_paused (MsTrackInfo *self,
                          gboolean     paused)
{
  g_return_if_fail (MS_IS_TRACK_INFO (self));

  paused = !!paused;
  if (self->paused == paused)
    return;

  self->paused = paused;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}
