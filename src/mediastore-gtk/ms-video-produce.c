/* ms-video-produce.c: one peer's video for a media tag, or a placeholder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The widget follows the call by itself: it shows the video while the
 * session receives the track, the store says it is not paused, and the
 * widget is mapped; otherwise the placeholder. The video sink is attached
 * to the track only while the video is shown. With no peer, the track is
 * our own (a preview of what we send, before encoding).
 */

#define G_LOG_DOMAIN "MsVideoProduce"

#include "config.h"

#include "ms-video-produce.h"
#include "ms-video-sink.h"

struct _MsVideoProduce {
  GtkWidget      parent_instance;

  MsSession     *session;
  char          *peer_id;
  char          *media_tag;
  GtkWidget     *placeholder;
  GtkWidget     *picture;
  GtkContentFit  fit;

  GObject       *bound;          /* the track the sink is attached to:
                                  * MsRemoteTrack, or MsLocalTrack */
  MsVideoSink   *sink;
  MsTrackInfo   *info;           /* watched for "paused" */
  gulong         info_handler;
};

enum {
  PROP_0,
  PROP_SESSION,
  PROP_PEER_ID,
  PROP_MEDIA_TAG,
  PROP_PLACEHOLDER,
  PROP_FIT,
  PROP_SHOWING_VIDEO,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (MsVideoProduce, ms_video_produce, GTK_TYPE_WIDGET)

static void update (MsVideoProduce *self);

static void
on_info_notify (MsTrackInfo    *info,
                GParamSpec     *pspec,
                MsVideoProduce *self)
{
  update (self);
}

static void
watch_info (MsVideoProduce *self,
            MsTrackInfo    *info)
{
  if (self->info == info)
    return;

  if (self->info != NULL) {
    g_clear_signal_handler (&self->info_handler, self->info);
    g_clear_object (&self->info);
  }
  if (info != NULL) {
    self->info = g_object_ref (info);
    self->info_handler = g_signal_connect (info, "notify::paused", G_CALLBACK (on_info_notify),
                                           self);
  }
}

static void
unbind (MsVideoProduce *self)
{
  if (self->bound != NULL) {
    /* Back to the track's own discarding sink: the frames stop coming here. */
    if (MS_IS_REMOTE_TRACK (self->bound))
      ms_remote_track_set_video_sink (MS_REMOTE_TRACK (self->bound), NULL);
    else
      ms_local_track_set_preview_sink (MS_LOCAL_TRACK (self->bound), NULL);
    g_clear_object (&self->bound);
  }
  gtk_picture_set_paintable (GTK_PICTURE (self->picture), NULL);
  g_clear_object (&self->sink);
}

static void
bind (MsVideoProduce *self,
      GObject        *track)
{
  unbind (self);
  self->bound = g_object_ref (track);
  self->sink = ms_video_sink_new ();
  if (MS_IS_REMOTE_TRACK (track))
    ms_remote_track_set_video_sink (MS_REMOTE_TRACK (track), GST_ELEMENT (self->sink));
  else
    ms_local_track_set_preview_sink (MS_LOCAL_TRACK (track), GST_ELEMENT (self->sink));
  gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (self->sink));
}

static void
update (MsVideoProduce *self)
{
  GObject *track = NULL;
  MsTrackInfo *info = NULL;
  gboolean show;
  gboolean was_showing = self->bound != NULL;

  if (self->session != NULL && self->peer_id != NULL && self->media_tag != NULL) {
    MsStore *store = ms_session_get_store (self->session);
    MsPeer *peer = ms_store_lookup_peer (store, self->peer_id);

    track = G_OBJECT (ms_session_lookup_remote_track (self->session, self->peer_id,
                                                      self->media_tag));
    info = peer ? ms_peer_lookup_track (peer, self->media_tag) : NULL;
  } else if (self->session != NULL && self->media_tag != NULL) {
    MsLocalTrack *local = ms_session_lookup_local_track (self->session, self->media_tag);

    /* Raw video only: a pre-encoded file has nothing to preview. */
    if (local != NULL && ms_local_track_get_kind (local) == MS_TRACK_KIND_VIDEO &&
        ms_local_track_get_source (local) != MS_LOCAL_TRACK_FILE)
      track = G_OBJECT (local);
    info = ms_store_lookup_own_track (ms_session_get_store (self->session), self->media_tag);
  }

  watch_info (self, info);
  show = track != NULL && info != NULL && !ms_track_info_get_paused (info) &&
         gtk_widget_get_mapped (GTK_WIDGET (self));

  if (show && self->bound != track)
    bind (self, track);
  else if (!show && self->bound != NULL)
    unbind (self);

  gtk_widget_set_visible (self->picture, show);
  if (self->placeholder != NULL)
    gtk_widget_set_visible (self->placeholder, !show);

  if (was_showing != show)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOWING_VIDEO]);
}

static void
on_changed (GListModel     *model,
            guint           position,
            guint           removed,
            guint           added,
            MsVideoProduce *self)
{
  update (self);
}

static void
ms_video_produce_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MsVideoProduce *self = MS_VIDEO_PRODUCE (object);

  switch (prop_id) {
  case PROP_SESSION:
    g_value_set_object (value, self->session);
    break;
  case PROP_PEER_ID:
    g_value_set_string (value, self->peer_id);
    break;
  case PROP_MEDIA_TAG:
    g_value_set_string (value, self->media_tag);
    break;
  case PROP_PLACEHOLDER:
    g_value_set_object (value, self->placeholder);
    break;
  case PROP_FIT:
    g_value_set_enum (value, self->fit);
    break;
  case PROP_SHOWING_VIDEO:
    g_value_set_boolean (value, self->bound != NULL);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_video_produce_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  MsVideoProduce *self = MS_VIDEO_PRODUCE (object);

  switch (prop_id) {
  case PROP_SESSION:
    ms_video_produce_set_session (self, g_value_get_object (value));
    break;
  case PROP_PEER_ID:
    ms_video_produce_set_peer_id (self, g_value_get_string (value));
    break;
  case PROP_MEDIA_TAG:
    ms_video_produce_set_media_tag (self, g_value_get_string (value));
    break;
  case PROP_PLACEHOLDER:
    ms_video_produce_set_placeholder (self, g_value_get_object (value));
    break;
  case PROP_FIT:
    ms_video_produce_set_fit (self, g_value_get_enum (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_video_produce_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (ms_video_produce_parent_class)->map (widget);
  update (MS_VIDEO_PRODUCE (widget));
}

static void
ms_video_produce_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (ms_video_produce_parent_class)->unmap (widget);
  update (MS_VIDEO_PRODUCE (widget));
}

static void
ms_video_produce_dispose (GObject *object)
{
  MsVideoProduce *self = MS_VIDEO_PRODUCE (object);

  ms_video_produce_set_session (self, NULL);
  unbind (self);
  watch_info (self, NULL);
  g_clear_pointer (&self->picture, gtk_widget_unparent);
  g_clear_pointer (&self->placeholder, gtk_widget_unparent);

  G_OBJECT_CLASS (ms_video_produce_parent_class)->dispose (object);
}

static void
ms_video_produce_finalize (GObject *object)
{
  MsVideoProduce *self = MS_VIDEO_PRODUCE (object);

  g_free (self->peer_id);
  g_free (self->media_tag);

  G_OBJECT_CLASS (ms_video_produce_parent_class)->finalize (object);
}

static void
ms_video_produce_class_init (MsVideoProduceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ms_video_produce_get_property;
  object_class->set_property = ms_video_produce_set_property;
  object_class->dispose = ms_video_produce_dispose;
  object_class->finalize = ms_video_produce_finalize;
  widget_class->map = ms_video_produce_map;
  widget_class->unmap = ms_video_produce_unmap;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, MS_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PEER_ID] =
    g_param_spec_string ("peer-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MEDIA_TAG] =
    g_param_spec_string ("media-tag", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLACEHOLDER] =
    g_param_spec_object ("placeholder", NULL, NULL, GTK_TYPE_WIDGET,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FIT] =
    g_param_spec_enum ("fit", NULL, NULL, GTK_TYPE_CONTENT_FIT, GTK_CONTENT_FIT_CONTAIN,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOWING_VIDEO] =
    g_param_spec_boolean ("showing-video", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "video-produce");
}

static void
ms_video_produce_init (MsVideoProduce *self)
{
  self->fit = GTK_CONTENT_FIT_CONTAIN;
  self->picture = gtk_picture_new ();
  gtk_picture_set_content_fit (GTK_PICTURE (self->picture), self->fit);
  gtk_widget_set_visible (self->picture, FALSE);
  gtk_widget_set_parent (self->picture, GTK_WIDGET (self));
}

GtkWidget *
ms_video_produce_new (void)
{
  return g_object_new (MS_TYPE_VIDEO_PRODUCE, NULL);
}

/**
 * ms_video_produce_get_session:
 *
 * Returns: (transfer none) (nullable): the session
 */
MsSession *
ms_video_produce_get_session (MsVideoProduce *self)
{
  g_return_val_if_fail (MS_IS_VIDEO_PRODUCE (self), NULL);

  return self->session;
}

void
ms_video_produce_set_session (MsVideoProduce *self,
                              MsSession      *session)
{
  g_return_if_fail (MS_IS_VIDEO_PRODUCE (self));

  if (self->session == session)
    return;

  if (self->session != NULL) {
    g_signal_handlers_disconnect_by_data (ms_session_get_remote_tracks (self->session), self);
    g_signal_handlers_disconnect_by_data (ms_store_get_peers (ms_session_get_store (self->session)),
                                          self);
    g_signal_handlers_disconnect_by_data (
      ms_store_get_own_tracks (ms_session_get_store (self->session)), self);
    unbind (self);
    g_clear_object (&self->session);
  }
  if (session != NULL) {
    self->session = g_object_ref (session);
    g_signal_connect (ms_session_get_remote_tracks (session), "items-changed",
                      G_CALLBACK (on_changed), self);
    g_signal_connect (ms_store_get_peers (ms_session_get_store (session)), "items-changed",
                      G_CALLBACK (on_changed), self);
    g_signal_connect (ms_store_get_own_tracks (ms_session_get_store (session)), "items-changed",
                      G_CALLBACK (on_changed), self);
  }

  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
}

const char *
ms_video_produce_get_peer_id (MsVideoProduce *self)
{
  g_return_val_if_fail (MS_IS_VIDEO_PRODUCE (self), NULL);

  return self->peer_id;
}

void
ms_video_produce_set_peer_id (MsVideoProduce *self,
                              const char     *peer_id)
{
  g_return_if_fail (MS_IS_VIDEO_PRODUCE (self));

  if (g_strcmp0 (self->peer_id, peer_id) == 0)
    return;

  g_free (self->peer_id);
  self->peer_id = g_strdup (peer_id);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_ID]);
}

const char *
ms_video_produce_get_media_tag (MsVideoProduce *self)
{
  g_return_val_if_fail (MS_IS_VIDEO_PRODUCE (self), NULL);

  return self->media_tag;
}

void
ms_video_produce_set_media_tag (MsVideoProduce *self,
                                const char     *media_tag)
{
  g_return_if_fail (MS_IS_VIDEO_PRODUCE (self));

  if (g_strcmp0 (self->media_tag, media_tag) == 0)
    return;

  g_free (self->media_tag);
  self->media_tag = g_strdup (media_tag);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEDIA_TAG]);
}

/**
 * ms_video_produce_get_placeholder:
 *
 * Returns: (transfer none) (nullable): the widget shown while there is no video
 */
GtkWidget *
ms_video_produce_get_placeholder (MsVideoProduce *self)
{
  g_return_val_if_fail (MS_IS_VIDEO_PRODUCE (self), NULL);

  return self->placeholder;
}

void
ms_video_produce_set_placeholder (MsVideoProduce *self,
                                  GtkWidget      *placeholder)
{
  g_return_if_fail (MS_IS_VIDEO_PRODUCE (self));
  g_return_if_fail (placeholder == NULL || GTK_IS_WIDGET (placeholder));

  if (self->placeholder == placeholder)
    return;

  g_clear_pointer (&self->placeholder, gtk_widget_unparent);
  if (placeholder != NULL) {
    self->placeholder = placeholder;
    gtk_widget_set_parent (placeholder, GTK_WIDGET (self));
  }
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLACEHOLDER]);
}

GtkContentFit
ms_video_produce_get_fit (MsVideoProduce *self)
{
  g_return_val_if_fail (MS_IS_VIDEO_PRODUCE (self), GTK_CONTENT_FIT_CONTAIN);

  return self->fit;
}

void
ms_video_produce_set_fit (MsVideoProduce *self,
                          GtkContentFit   fit)
{
  g_return_if_fail (MS_IS_VIDEO_PRODUCE (self));

  if (self->fit == fit)
    return;

  self->fit = fit;
  gtk_picture_set_content_fit (GTK_PICTURE (self->picture), fit);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
}

gboolean
ms_video_produce_get_showing_video (MsVideoProduce *self)
{
  g_return_val_if_fail (MS_IS_VIDEO_PRODUCE (self), FALSE);

  return self->bound != NULL;
}
