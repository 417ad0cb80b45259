/* ms-tile.c: one participant in the call grid
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A peer's camera, or their avatar (picture or initials) while there is none;
 * their name with muted-microphone and camera-off marks; a highlight while
 * they speak. A tile without a peer is our own: the camera's preview, and
 * the microphone's level for the highlight. Everything follows the store.
 *
 * A screen tile (ms_tile_new_screen()) shows the same person's `screen`
 * instead, with no marks and no sound: the call grid puts it on its stage
 * while the camera tile stays in the strip. Video is fitted whole, never
 * cropped, so faces and screens keep their edges in any tile shape.
 *
 * Pinning (double-click, or the tile's menu) activates `win.pin` with the
 * person's peer id, or "" to unpin; the grid tells the tile whether it is
 * pinned.
 */

#define G_LOG_DOMAIN "MsTile"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ms-audio-produce.h"
#include "ms-avatar.h"
#include "ms-tile.h"
#include "ms-tracks.h"
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
  GtkWidget   *menu_button;
  GMenu       *menu;

  gboolean     screen;      /* shows the `screen` tag */
  gboolean     sharing_screen;
  gboolean     pinned;

  gboolean     speaking;
  gint64       last_loud;
  guint        hold_id;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_SHOWING_VIDEO,
  PROP_SPEAKING,
  PROP_SHARING_SCREEN,
  PROP_PINNED,
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
  return ms_tracks_live (tracks (self), tag);
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
  gboolean sharing = has_track (self, "screen");

  gtk_widget_set_visible (self->mic_icon, !self->screen && !track_live (self, "microphone"));
  gtk_widget_set_visible (self->camera_icon, !self->screen && !track_live (self, "camera"));
  if (self->sharing_screen != sharing) {
    self->sharing_screen = sharing;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHARING_SCREEN]);
  }
}

static void
on_tracks_changed (gpointer self)
{
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
  if (self->screen)
    /* Translators: the name under a shared screen in a call. */
    shown = g_strdup_printf (_("%s’s screen"), name ? name : "");
  else if (self->peer == NULL)
    /* Translators: the name under one's own picture in a call. */
    shown = g_strdup_printf (_("%s (You)"), name ? name : "");
  else
    shown = g_strdup (name);
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
update_menu (MsTile *self)
{
  g_menu_remove_all (self->menu);
  g_menu_append (self->menu, self->pinned ? _("_Unpin") : _("_Pin"), "tile.toggle-pin");
}

/* Pinned, the tile unpins; else it pins the person whose tile it is. */
static void
toggle_pin (MsTile *self)
{
  const char *id = ms_tile_get_peer_id (self);

  if (self->screen || id == NULL)
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.pin", "s", self->pinned ? "" : id);
}

static void
toggle_pin_activated (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  toggle_pin (MS_TILE (widget));
}

static void
on_pressed (MsTile *self,
            int     n_press,
            double  x,
            double  y)
{
  if (n_press == 2)
    toggle_pin (self);
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
  case PROP_SHARING_SCREEN:
    g_value_set_boolean (value, self->sharing_screen);
    break;
  case PROP_PINNED:
    g_value_set_boolean (value, self->pinned);
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
  g_clear_object (&self->menu);
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
  properties[PROP_SHARING_SCREEN] =
    g_param_spec_boolean ("sharing-screen", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PINNED] =
    g_param_spec_boolean ("pinned", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "tile.toggle-pin", NULL, toggle_pin_activated);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "tile");
}

static void
ms_tile_init (MsTile *self)
{
  GtkWidget *marks = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkGesture *click;

  self->overlay = gtk_overlay_new ();
  gtk_widget_set_parent (self->overlay, GTK_WIDGET (self));
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (GTK_WIDGET (self), "card");

  self->avatar = adw_avatar_new (96, NULL, TRUE);
  gtk_widget_set_valign (self->avatar, GTK_ALIGN_CENTER);
  gtk_widget_set_halign (self->avatar, GTK_ALIGN_CENTER);
  self->video = ms_video_produce_new ();
  g_object_set (self->video, "placeholder", self->avatar, "fit", GTK_CONTENT_FIT_CONTAIN,
                "media-tag", "camera", NULL);
  gtk_overlay_set_child (GTK_OVERLAY (self->overlay), self->video);

  self->menu = g_menu_new ();
  self->menu_button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->menu_button), "view-more-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (self->menu_button), G_MENU_MODEL (self->menu));
  gtk_widget_set_tooltip_text (self->menu_button, _("Tile Menu"));
  gtk_widget_add_css_class (self->menu_button, "osd");
  gtk_widget_add_css_class (self->menu_button, "circular");
  gtk_widget_add_css_class (self->menu_button, "tile-menu");
  gtk_widget_set_halign (self->menu_button, GTK_ALIGN_END);
  gtk_widget_set_valign (self->menu_button, GTK_ALIGN_START);
  gtk_widget_set_margin_top (self->menu_button, 8);
  gtk_widget_set_margin_end (self->menu_button, 8);
  gtk_overlay_add_overlay (GTK_OVERLAY (self->overlay), self->menu_button);
  update_menu (self);

  click = gtk_gesture_click_new ();
  g_signal_connect_swapped (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

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

  /* The grid decides the size; this is only a floor. */
  gtk_widget_set_size_request (GTK_WIDGET (self), 128, 72);
}

static GtkWidget *
tile_new (MsSession *session,
          MsPeer    *peer,
          gboolean   screen)
{
  MsTile *self = g_object_new (MS_TYPE_TILE, NULL);
  GObject *named = peer ? G_OBJECT (peer) : G_OBJECT (ms_session_get_store (session));
  const char *peer_id = peer ? ms_peer_get_id (peer) : NULL;

  self->session = g_object_ref (session);
  self->peer = peer ? g_object_ref (peer) : NULL;
  self->screen = screen;

  g_object_set (self->video, "session", session, "peer-id", peer_id,
                "media-tag", screen ? "screen" : "camera", NULL);
  g_signal_connect (self->video, "notify::showing-video", G_CALLBACK (on_showing_video), self);
  /* The camera tile plays the voice; a screen tile stays silent. */
  if (!screen) {
    g_object_set (self->audio, "session", session, "peer-id", peer_id, "media-tag", "microphone",
                  NULL);
    g_signal_connect (self->audio, "notify::level", G_CALLBACK (on_level), self);
  } else {
    gtk_widget_add_css_class (GTK_WIDGET (self), "screen");
    gtk_widget_set_visible (self->menu_button, FALSE);
  }

  g_signal_connect (named, "notify::display-name", G_CALLBACK (on_name), self);
  on_name (named, NULL, self);
  ms_avatar_follow (ADW_AVATAR (self->avatar), named);
  ms_tracks_follow (tracks (self), G_OBJECT (self), on_tracks_changed);

  return GTK_WIDGET (self);
}

/**
 * ms_tile_new:
 * @peer: (nullable): a peer of the call, or %NULL for ourselves
 */
GtkWidget *
ms_tile_new (MsSession *session,
             MsPeer    *peer)
{
  g_return_val_if_fail (MS_IS_SESSION (session), NULL);
  g_return_val_if_fail (peer == NULL || MS_IS_PEER (peer), NULL);

  return tile_new (session, peer, FALSE);
}

/* A tile for the screen that @camera_tile's person shares. */
GtkWidget *
ms_tile_new_screen (MsTile *camera_tile)
{
  g_return_val_if_fail (MS_IS_TILE (camera_tile), NULL);

  return tile_new (camera_tile->session, camera_tile->peer, TRUE);
}

/* The person's peer id: ours for our own tile (NULL before the welcome). */
const char *
ms_tile_get_peer_id (MsTile *self)
{
  g_return_val_if_fail (MS_IS_TILE (self), NULL);

  if (self->peer != NULL)
    return ms_peer_get_id (self->peer);
  return ms_store_get_peer_id (ms_session_get_store (self->session));
}

gboolean
ms_tile_get_screen (MsTile *self)
{
  g_return_val_if_fail (MS_IS_TILE (self), FALSE);

  return self->screen;
}

/* Whether the person shares a screen (a `screen` track exists). */
gboolean
ms_tile_get_sharing_screen (MsTile *self)
{
  g_return_val_if_fail (MS_IS_TILE (self), FALSE);

  return self->sharing_screen;
}

gboolean
ms_tile_get_pinned (MsTile *self)
{
  g_return_val_if_fail (MS_IS_TILE (self), FALSE);

  return self->pinned;
}

/* For the grid: whether this tile is the one pinned to the stage. */
void
ms_tile_set_pinned (MsTile   *self,
                    gboolean  pinned)
{
  g_return_if_fail (MS_IS_TILE (self));

  pinned = !!pinned;
  if (self->pinned == pinned)
    return;

  self->pinned = pinned;
  update_menu (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED]);
}

GtkWidget *
ms_tile_get_video (MsTile *self)
{
  g_return_val_if_fail (MS_IS_TILE (self), NULL);

  return self->video;
}

GMenuModel *
ms_tile_get_menu (MsTile *self)
{
  g_return_val_if_fail (MS_IS_TILE (self), NULL);

  return G_MENU_MODEL (self->menu);
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
