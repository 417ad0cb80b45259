/* ms-peer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "MsPeer"

#include "config.h"

#include "ms-peer-private.h"
#include "ms-track-info-private.h"
#include "ms-util-private.h"

struct _MsPeer {
  GObject     parent_instance;

  char       *id;
  char       *display_name;
  char       *avatar;
  gboolean    host;
  GListStore *tracks;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_DISPLAY_NAME,
  PROP_AVATAR,
  PROP_HOST,
  PROP_TRACKS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (MsPeer, ms_peer, G_TYPE_OBJECT)

static gboolean
find_track (MsPeer     *self,
            const char *tag,
            guint      *out_position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->tracks));

  for (guint i = 0; i < n; i++) {
    g_autoptr (MsTrackInfo) track = g_list_model_get_item (G_LIST_MODEL (self->tracks), i);

    if (g_strcmp0 (ms_track_info_get_tag (track), tag) == 0) {
      *out_position = i;
      return TRUE;
    }
  }

  return FALSE;
}

static void
set_display_name (MsPeer     *self,
                  const char *display_name)
{
  if (ms_set_str (&self->display_name, display_name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
}

static void
set_avatar (MsPeer     *self,
            const char *avatar)
{
  if (ms_set_str (&self->avatar, avatar))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVATAR]);
}

static void
set_host (MsPeer   *self,
          gboolean  host)
{
  host = !!host;
  if (self->host != host) {
    self->host = host;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOST]);
  }
}

static void
ms_peer_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  MsPeer *self = MS_PEER (object);

  switch (prop_id) {
  case PROP_ID:
    g_value_set_string (value, self->id);
    break;
  case PROP_DISPLAY_NAME:
    g_value_set_string (value, self->display_name);
    break;
  case PROP_AVATAR:
    g_value_set_string (value, self->avatar);
    break;
  case PROP_HOST:
    g_value_set_boolean (value, self->host);
    break;
  case PROP_TRACKS:
    g_value_set_object (value, self->tracks);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_peer_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  MsPeer *self = MS_PEER (object);

  switch (prop_id) {
  case PROP_ID:
    self->id = g_value_dup_string (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_peer_finalize (GObject *object)
{
  MsPeer *self = MS_PEER (object);

  g_free (self->id);
  g_free (self->display_name);
  g_free (self->avatar);
  g_clear_object (&self->tracks);

  G_OBJECT_CLASS (ms_peer_parent_class)->finalize (object);
}

static void
ms_peer_class_init (MsPeerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ms_peer_get_property;
  object_class->set_property = ms_peer_set_property;
  object_class->finalize = ms_peer_finalize;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_AVATAR] =
    g_param_spec_string ("avatar", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * MsPeer:host:
   *
   * Whether the peer's token makes it the host of the call, as the server
   * announces it; the others show it with a host badge.
   */
  properties[PROP_HOST] =
    g_param_spec_boolean ("host", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_TRACKS] =
    g_param_spec_object ("tracks", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ms_peer_init (MsPeer *self)
{
  self->tracks = g_list_store_new (MS_TYPE_TRACK_INFO);
}

MsPeer *
ms_peer_new_from_desc (const MsPeerDesc *desc)
{
  MsPeer *self;

  g_return_val_if_fail (desc != NULL, NULL);
  g_return_val_if_fail (desc->id != NULL, NULL);

  self = g_object_new (MS_TYPE_PEER, "id", desc->id, NULL);
  ms_peer_update (self, desc);

  return self;
}

/* Makes the peer look exactly like @desc: name, avatar and the set of
 * tracks, touching (and notifying) only what differs. */
void
ms_peer_update (MsPeer           *self,
                const MsPeerDesc *desc)
{
  guint n;

  g_return_if_fail (MS_IS_PEER (self));
  g_return_if_fail (desc != NULL);

  set_display_name (self, desc->display_name);
  set_avatar (self, desc->avatar);
  set_host (self, desc->host);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->tracks));
  for (guint i = n; i > 0; i--) {
    g_autoptr (MsTrackInfo) track = g_list_model_get_item (G_LIST_MODEL (self->tracks), i - 1);
    gboolean wanted = FALSE;

    for (guint j = 0; desc->tracks && j < desc->tracks->len; j++) {
      const MsTrackDesc *td = g_ptr_array_index (desc->tracks, j);

      if (g_strcmp0 (td->tag, ms_track_info_get_tag (track)) == 0) {
        wanted = TRUE;
        break;
      }
    }

    if (!wanted)
      g_list_store_remove (self->tracks, i - 1);
  }

  for (guint j = 0; desc->tracks && j < desc->tracks->len; j++) {
    const MsTrackDesc *td = g_ptr_array_index (desc->tracks, j);

    ms_peer_put_track (self, td->tag, td->kind, td->paused);
  }
}

/* Adds the track, or updates the one with the same tag. A track whose
 * kind changed is a different track: it is replaced in place. */
void
ms_peer_put_track (MsPeer      *self,
                   const char  *tag,
                   MsTrackKind  kind,
                   gboolean     paused)
{
  g_autoptr (MsTrackInfo) track = NULL;
  guint position;

  g_return_if_fail (MS_IS_PEER (self));
  g_return_if_fail (tag != NULL);

  if (!find_track (self, tag, &position)) {
    track = ms_track_info_new (tag, kind, paused);
    g_list_store_append (self->tracks, track);
    return;
  }

  track = g_list_model_get_item (G_LIST_MODEL (self->tracks), position);
  if (ms_track_info_get_kind (track) == kind) {
    ms_track_info_set_paused (track, paused);
  } else {
    g_autoptr (MsTrackInfo) replacement = ms_track_info_new (tag, kind, paused);

    g_list_store_splice (self->tracks, position, 1, (gpointer *) &replacement, 1);
  }
}

gboolean
ms_peer_remove_track (MsPeer     *self,
                      const char *tag)
{
  guint position;

  g_return_val_if_fail (MS_IS_PEER (self), FALSE);

  if (!find_track (self, tag, &position))
    return FALSE;

  g_list_store_remove (self->tracks, position);
  return TRUE;
}

const char *
ms_peer_get_id (MsPeer *self)
{
  g_return_val_if_fail (MS_IS_PEER (self), NULL);

  return self->id;
}

const char *
ms_peer_get_display_name (MsPeer *self)
{
  g_return_val_if_fail (MS_IS_PEER (self), NULL);

  return self->display_name;
}

const char *
ms_peer_get_avatar (MsPeer *self)
{
  g_return_val_if_fail (MS_IS_PEER (self), NULL);

  return self->avatar;
}

/**
 * ms_peer_get_host:
 *
 * Returns: whether the server announces the peer as the host of the call
 */
gboolean
ms_peer_get_host (MsPeer *self)
{
  g_return_val_if_fail (MS_IS_PEER (self), FALSE);

  return self->host;
}

/**
 * ms_peer_get_tracks:
 *
 * Returns: (transfer none): the peer's published tracks, a #GListModel of #MsTrackInfo
 */
GListModel *
ms_peer_get_tracks (MsPeer *self)
{
  g_return_val_if_fail (MS_IS_PEER (self), NULL);

  return G_LIST_MODEL (self->tracks);
}

/**
 * ms_peer_lookup_track:
 *
 * Returns: (transfer none) (nullable): the track published under @tag
 */
MsTrackInfo *
ms_peer_lookup_track (MsPeer     *self,
                      const char *tag)
{
  g_autoptr (MsTrackInfo) track = NULL;
  guint position;

  g_return_val_if_fail (MS_IS_PEER (self), NULL);
  g_return_val_if_fail (tag != NULL, NULL);

  if (!find_track (self, tag, &position))
    return NULL;

  /* The list store holds a reference for as long as the track is listed. */
  track = g_list_model_get_item (G_LIST_MODEL (self->tracks), position);
  return track;
}
