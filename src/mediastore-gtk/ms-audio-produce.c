/* ms-audio-produce.c: plays one peer's audio for a media tag, with a level
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session plays every received audio track; this widget chooses one
 * by peer and tag, applies its volume and mute to it for as long as the
 * widget exists (mapped or not), and shows how loud it is as heard. With
 * no peer it shows our own microphone's level for the tag, and plays
 * nothing.
 */

#define G_LOG_DOMAIN "MsAudioProduce"

#include "config.h"

#include "ms-audio-produce.h"

struct _MsAudioProduce {
  GtkWidget      parent_instance;

  MsSession     *session;
  char          *peer_id;
  char          *media_tag;
  double         volume;
  gboolean       muted;

  GtkWidget     *bar;
  GObject       *track;          /* MsRemoteTrack, or MsLocalTrack for ours */
  gulong         level_handler;
};

enum {
  PROP_0,
  PROP_SESSION,
  PROP_PEER_ID,
  PROP_MEDIA_TAG,
  PROP_VOLUME,
  PROP_MUTED,
  PROP_LEVEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (MsAudioProduce, ms_audio_produce, GTK_TYPE_WIDGET)

static void
on_level (GObject        *track,
          GParamSpec     *pspec,
          MsAudioProduce *self)
{
  gtk_level_bar_set_value (GTK_LEVEL_BAR (self->bar), ms_audio_produce_get_level (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEVEL]);
}

static void
set_track (MsAudioProduce *self,
           GObject        *track)
{
  if (self->track == track)
    return;

  if (self->track != NULL) {
    g_clear_signal_handler (&self->level_handler, self->track);
    g_clear_object (&self->track);
  }
  if (track != NULL) {
    self->track = g_object_ref (track);
    self->level_handler = g_signal_connect (track, "notify::level", G_CALLBACK (on_level), self);
    if (MS_IS_REMOTE_TRACK (track)) {
      ms_remote_track_set_volume (MS_REMOTE_TRACK (track), self->volume);
      ms_remote_track_set_muted (MS_REMOTE_TRACK (track), self->muted);
    }
  }

  gtk_level_bar_set_value (GTK_LEVEL_BAR (self->bar), ms_audio_produce_get_level (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEVEL]);
}

static void
update (MsAudioProduce *self)
{
  GObject *track = NULL;

  if (self->session != NULL && self->media_tag != NULL) {
    if (self->peer_id != NULL)
      track = G_OBJECT (ms_session_lookup_remote_track (self->session, self->peer_id,
                                                        self->media_tag));
    else
      track = G_OBJECT (ms_session_lookup_local_track (self->session, self->media_tag));
  }

  set_track (self, track);
}

static void
on_tracks_changed (GListModel     *model,
                   guint           position,
                   guint           removed,
                   guint           added,
                   MsAudioProduce *self)
{
  update (self);
}

static void
set_session (MsAudioProduce *self,
             MsSession      *session)
{
  if (self->session == session)
    return;

  if (self->session != NULL) {
    g_signal_handlers_disconnect_by_data (ms_session_get_remote_tracks (self->session), self);
    g_signal_handlers_disconnect_by_data (
      ms_store_get_own_tracks (ms_session_get_store (self->session)), self);
    g_clear_object (&self->session);
  }
  if (session != NULL) {
    self->session = g_object_ref (session);
    g_signal_connect (ms_session_get_remote_tracks (session), "items-changed",
                      G_CALLBACK (on_tracks_changed), self);
    g_signal_connect (ms_store_get_own_tracks (ms_session_get_store (session)), "items-changed",
                      G_CALLBACK (on_tracks_changed), self);
  }

  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
}

static void
ms_audio_produce_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MsAudioProduce *self = MS_AUDIO_PRODUCE (object);

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
  case PROP_VOLUME:
    g_value_set_double (value, self->volume);
    break;
  case PROP_MUTED:
    g_value_set_boolean (value, self->muted);
    break;
  case PROP_LEVEL:
    g_value_set_double (value, ms_audio_produce_get_level (self));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_audio_produce_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  MsAudioProduce *self = MS_AUDIO_PRODUCE (object);

  switch (prop_id) {
  case PROP_SESSION:
    set_session (self, g_value_get_object (value));
    break;
  case PROP_PEER_ID:
    if (g_strcmp0 (self->peer_id, g_value_get_string (value)) != 0) {
      g_free (self->peer_id);
      self->peer_id = g_value_dup_string (value);
      update (self);
      g_object_notify_by_pspec (object, pspec);
    }
    break;
  case PROP_MEDIA_TAG:
    if (g_strcmp0 (self->media_tag, g_value_get_string (value)) != 0) {
      g_free (self->media_tag);
      self->media_tag = g_value_dup_string (value);
      update (self);
      g_object_notify_by_pspec (object, pspec);
    }
    break;
  case PROP_VOLUME:
    if (!G_APPROX_VALUE (self->volume, g_value_get_double (value), 1e-9)) {
      self->volume = g_value_get_double (value);
      if (MS_IS_REMOTE_TRACK (self->track))
        ms_remote_track_set_volume (MS_REMOTE_TRACK (self->track), self->volume);
      g_object_notify_by_pspec (object, pspec);
    }
    break;
  case PROP_MUTED:
    if (self->muted != g_value_get_boolean (value)) {
      self->muted = g_value_get_boolean (value);
      if (MS_IS_REMOTE_TRACK (self->track))
        ms_remote_track_set_muted (MS_REMOTE_TRACK (self->track), self->muted);
      g_object_notify_by_pspec (object, pspec);
    }
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_audio_produce_dispose (GObject *object)
{
  MsAudioProduce *self = MS_AUDIO_PRODUCE (object);

  set_session (self, NULL);
  set_track (self, NULL);
  g_clear_pointer (&self->bar, gtk_widget_unparent);

  G_OBJECT_CLASS (ms_audio_produce_parent_class)->dispose (object);
}

static void
ms_audio_produce_finalize (GObject *object)
{
  MsAudioProduce *self = MS_AUDIO_PRODUCE (object);

  g_free (self->peer_id);
  g_free (self->media_tag);

  G_OBJECT_CLASS (ms_audio_produce_parent_class)->finalize (object);
}

static void
ms_audio_produce_class_init (MsAudioProduceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ms_audio_produce_get_property;
  object_class->set_property = ms_audio_produce_set_property;
  object_class->dispose = ms_audio_produce_dispose;
  object_class->finalize = ms_audio_produce_finalize;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, MS_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PEER_ID] =
    g_param_spec_string ("peer-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MEDIA_TAG] =
    g_param_spec_string ("media-tag", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VOLUME] =
    g_param_spec_double ("volume", NULL, NULL, 0.0, 10.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MUTED] =
    g_param_spec_boolean ("muted", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LEVEL] =
    g_param_spec_double ("level", NULL, NULL, 0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "audio-produce");
}

static void
ms_audio_produce_init (MsAudioProduce *self)
{
  self->volume = 1.0;
  self->bar = gtk_level_bar_new_for_interval (0.0, 1.0);
  gtk_widget_set_parent (self->bar, GTK_WIDGET (self));
}

GtkWidget *
ms_audio_produce_new (void)
{
  return g_object_new (MS_TYPE_AUDIO_PRODUCE, NULL);
}

/* How loud the chosen audio is, as heard: 0 when muted or absent. */
double
ms_audio_produce_get_level (MsAudioProduce *self)
{
  g_return_val_if_fail (MS_IS_AUDIO_PRODUCE (self), 0.0);

  if (MS_IS_REMOTE_TRACK (self->track))
    return ms_remote_track_get_level (MS_REMOTE_TRACK (self->track));
  if (MS_IS_LOCAL_TRACK (self->track))
    return ms_local_track_get_level (MS_LOCAL_TRACK (self->track));
  return 0.0;
}
