/* ms-tile.c: one participant in the call grid
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A peer's camera, or their avatar (picture or initials) while there is none;
 * their name with muted-microphone and camera-off marks; a highlight while
 * they speak. A tile without a peer is our own: the camera's preview, and
 * the microphone's level for the highlight. Everything follows the store.
 */

#define G_LOG_DOMAIN "MsTile"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ms-audio-produce.h"
#include "ms-avatar.h"
#include "ms-tile.h"
#include "ms-video-produce.h"

/* Speaking above this level (linear RMS), and for this long after it. */
#define SPEAKING_LEVEL 0.03
#define SPEAKING_HOLD_MS 400

struct _MsTile {
  GtkWidget    parent_instance;

  MsSession   *session;
  MsPeer      *peer;        /* NULL: ourselves */
  char        *name;

  GtkWidget   *overlay;
  GtkWidget   *video;
  GtkWidget   *avatar;
  GtkWidget   *audio;
  GtkWidget   *name_label;
  GtkWidget   *mic_icon;
  GtkWidget   *camera_icon;

  gboolean     speaking;
  gint64       last_loud;
  guint        hold_id;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_SHOWING_VIDEO,
  PROP_SPEAKING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (MsTile, ms_tile, GTK_TYPE_WIDGET)

static GListModel *
tracks (MsTile *self)
{
  if (self->peer != NULL)
    return ms_peer_get_tracks (self->peer);
  return ms_store_get_own_tracks (ms_session_get_store (self->session));
}

static gboolean
track_live (MsTile     *self,
            const char *tag)
{
  GListModel *model = tracks (self);
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++) {
    g_autoptr (MsTrackInfo) info = g_list_model_get_item (model, i);

    if (g_strcmp0 (ms_track_info_get_tag (info), tag) == 0)
      return !ms_track_info_get_paused (info);
  }

  return FALSE;
}

static gboolean
has_track (MsTile     *self,
           const char *tag)
{
  if (self->peer != NULL)
    return ms_peer_lookup_track (self->peer, tag) != NULL;
  return ms_store_lookup_own_track (ms_session_get_store (self->session), tag) != NULL;
}

static void
update_marks (MsTile *self)
{
  gboolean screen = has_track (self, "screen");

  gtk_widget_set_visible (self->mic_icon, !track_live (self, "microphone"));
  gtk_widget_set_visible (self->camera_icon, !screen && !track_live (self, "camera"));
  /* A shared screen takes the camera's place in the tile. */
  if (self->session != NULL)
    g_object_set (self->video, "media-tag", screen ? "screen" : "camera",
                  "fit", screen ? GTK_CONTENT_FIT_CONTAIN : GTK_CONTENT_FIT_COVER, NULL);
}

static void
on_paused (MsTrackInfo *info,
           GParamSpec  *pspec,
           MsTile      *self)
{
  update_marks (self);
}

static void
on_tracks_changed (GListModel *model,
                   guint       position,
                   guint       removed,
                   guint       added,
                   MsTile     *self)
{
  for (guint i = position; i < position + added; i++) {
    g_autoptr (MsTrackInfo) info = g_list_model_get_item (model, i);

    g_signal_connect_object (info, "notify::paused", G_CALLBACK (on_paused), self, 0);
  }
  update_marks (self);
}

static void
set_name (MsTile     *self,
          const char *name)
{
  g_autofree char *shown = NULL;

  if (g_strcmp0 (self->name, name) == 0)
    return;

  g_free (self->name);
  self->name = g_strdup (name);
  adw_avatar_set_text (ADW_AVATAR (self->avatar), name);
  /* Translators: the name under one's own picture in a call. */
  shown = self->peer ? g_strdup (name) : g_strdup_printf (_("%s (You)"), name ? name : "");
  gtk_label_set_label (GTK_LABEL (self->name_label), shown);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

static void
on_name (GObject    *object,
         GParamSpec *pspec,
         MsTile     *self)
{
  g_autofree char *name = NULL;

  g_object_get (object, "display-name", &name, NULL);
  set_name (self, name);
}

static void
set_speaking (MsTile   *self,
              gboolean  speaking)
{
  if (self->speaking == speaking)
    return;

  self->speaking = speaking;
  if (speaking)
    gtk_widget_add_css_class (GTK_WIDGET (self), "speaking");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "speaking");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEAKING]);
}

static gboolean
on_hold_over (gpointer user_data)
{
  MsTile *self = user_data;

  self->hold_id = 0;
  set_speaking (self, FALSE);

  return G_SOURCE_REMOVE;
}

/* The level comes ten times a second; a short hold keeps the highlight
 * from flickering between words. */
static void
on_level (MsAudioProduce *audio,
          GParamSpec     *pspec,
          MsTile         *self)
{
  gboolean loud = ms_audio_produce_get_level (audio) > SPEAKING_LEVEL &&
                  (self->peer != NULL || track_live (self, "microphone"));

  if (!loud)
    return;

  set_speaking (self, TRUE);
  g_clear_handle_id (&self->hold_id, g_source_remove);
  self->hold_id = g_timeout_add (SPEAKING_HOLD_MS, on_hold_over, self);
}

static void
on_showing_video (GObject    *video,
                  GParamSpec *pspec,
                  MsTile     *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOWING_VIDEO]);
}

static void
ms_tile_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  MsTile *self = MS_TILE (object);

  switch (prop_id) {
  case PROP_NAME:
    g_value_set_string (value, self->name);
    break;
  case PROP_SHOWING_VIDEO:
    g_value_set_boolean (value, ms_tile_get_showing_video (self));
    break;
  case PROP_SPEAKING:
    g_value_set_boolean (value, self->speaking);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_tile_dispose (GObject *object)
{
  MsTile *self = MS_TILE (object);

  g_clear_handle_id (&self->hold_id, g_source_remove);
  if (self->session != NULL) {
    g_signal_handlers_disconnect_by_data (tracks (self), self);
    g_signal_handlers_disconnect_by_data (ms_session_get_store (self->session), self);
  }
  if (self->peer != NULL)
    g_signal_handlers_disconnect_by_data (self->peer, self);
  g_clear_pointer (&self->overlay, gtk_widget_unparent);
  g_clear_pointer (&self->audio, gtk_widget_unparent);
  g_clear_object (&self->peer);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ms_tile_parent_class)->dispose (object);
}

static void
ms_tile_finalize (GObject *object)
{
  MsTile *self = MS_TILE (object);

  g_free (self->name);

  G_OBJECT_CLASS (ms_tile_parent_class)->finalize (object);
}

static void
ms_tile_class_init (MsTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ms_tile_get_property;
  object_class->dispose = ms_tile_dispose;
  object_class->finalize = ms_tile_finalize;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOWING_VIDEO] =
    g_param_spec_boolean ("showing-video", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPEAKING] =
    g_param_spec_boolean ("speaking", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "tile");
}

static void
ms_tile_init (MsTile *self)
{
  GtkWidget *marks = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  self->overlay = gtk_overlay_new ();
  gtk_widget_set_parent (self->overlay, GTK_WIDGET (self));
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (GTK_WIDGET (self), "card");

  self->avatar = adw_avatar_new (96, NULL, TRUE);
  gtk_widget_set_valign (self->avatar, GTK_ALIGN_CENTER);
  gtk_widget_set_halign (self->avatar, GTK_ALIGN_CENTER);
  self->video = ms_video_produce_new ();
  g_object_set (self->video, "placeholder", self->avatar, "fit", GTK_CONTENT_FIT_COVER, NULL);
  gtk_overlay_set_child (GTK_OVERLAY (self->overlay), self->video);

  self->mic_icon = gtk_image_new_from_icon_name ("microphone-disabled-symbolic");
  gtk_widget_set_tooltip_text (self->mic_icon, _("Microphone off"));
  self->camera_icon = gtk_image_new_from_icon_name ("camera-disabled-symbolic");
  gtk_widget_set_tooltip_text (self->camera_icon, _("Camera off"));
  self->name_label = gtk_label_new (NULL);
  gtk_label_set_ellipsize (GTK_LABEL (self->name_label), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (marks), self->mic_icon);
  gtk_box_append (GTK_BOX (marks), self->camera_icon);
  gtk_box_append (GTK_BOX (marks), self->name_label);
  gtk_widget_add_css_class (marks, "osd");
  gtk_widget_add_css_class (marks, "tile-name");
  gtk_widget_set_halign (marks, GTK_ALIGN_START);
  gtk_widget_set_valign (marks, GTK_ALIGN_END);
  gtk_widget_set_margin_start (marks, 8);
  gtk_widget_set_margin_bottom (marks, 8);
  gtk_overlay_add_overlay (GTK_OVERLAY (self->overlay), marks);

  /* Plays the peer's voice and measures it; never drawn. */
  self->audio = ms_audio_produce_new ();
  gtk_widget_set_visible (self->audio, FALSE);
  gtk_widget_set_parent (self->audio, GTK_WIDGET (self));

  gtk_widget_set_size_request (GTK_WIDGET (self), 240, 180);
}

/**
 * ms_tile_new:
 * @peer: (nullable): a peer of the call, or %NULL for ourselves
 */
GtkWidget *
ms_tile_new (MsSession *session,
             MsPeer    *peer)
{
  MsTile *self = g_object_new (MS_TYPE_TILE, NULL);
  GObject *named = peer ? G_OBJECT (peer) : G_OBJECT (ms_session_get_store (session));
  const char *peer_id = peer ? ms_peer_get_id (peer) : NULL;

  self->session = g_object_ref (session);
  self->peer = peer ? g_object_ref (peer) : NULL;

  g_object_set (self->video, "session", session, "peer-id", peer_id, NULL);
  g_signal_connect (self->video, "notify::showing-video", G_CALLBACK (on_showing_video), self);
  g_object_set (self->audio, "session", session, "peer-id", peer_id, "media-tag", "microphone",
                NULL);
  g_signal_connect (self->audio, "notify::level", G_CALLBACK (on_level), self);

  g_signal_connect (named, "notify::display-name", G_CALLBACK (on_name), self);
  on_name (named, NULL, self);
  ms_avatar_follow (ADW_AVATAR (self->avatar), named);
  g_signal_connect (tracks (self), "items-changed", G_CALLBACK (on_tracks_changed), self);
  on_tracks_changed (tracks (self), 0, 0, g_list_model_get_n_items (tracks (self)), self);

  return GTK_WIDGET (self);
}

MsPeer *
ms_tile_get_peer (MsTile *self)
{
  g_return_val_if_fail (MS_IS_TILE (self), NULL);

  return self->peer;
}

const char *
ms_tile_get_name (MsTile *self)
{
  g_return_val_if_fail (MS_IS_TILE (self), NULL);

  return self->name;
}

gboolean
ms_tile_get_showing_video (MsTile *self)
{
  g_return_val_if_fail (MS_IS_TILE (self), FALSE);

  return ms_video_produce_get_showing_video (MS_VIDEO_PRODUCE (self->video));
}

gboolean
ms_tile_get_speaking (MsTile *self)
{
  g_return_val_if_fail (MS_IS_TILE (self), FALSE);

  return self->speaking;
}

/* The picture the avatar shows, if any (else initials). */
GdkPaintable *
ms_tile_get_avatar_image (MsTile *self)
{
  g_return_val_if_fail (MS_IS_TILE (self), NULL);

  return adw_avatar_get_custom_image (ADW_AVATAR (self->avatar));
}

gboolean
ms_tile_get_mic_muted (MsTile *self)
{
  g_return_val_if_fail (MS_IS_TILE (self), FALSE);

  return gtk_widget_get_visible (self->mic_icon);
}
