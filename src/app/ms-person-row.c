/* ms-person-row.c: one person in the participants list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Their picture or initials, their name ("You" beside ours), a host
 * badge, and whether their microphone and camera are on: a track that is
 * absent or paused counts as off, as in the tiles (ms-tracks.c). The row follows the
 * peer (or, for ourselves, the store) by itself.
 */

#define G_LOG_DOMAIN "MsPersonRow"

#include "config.h"

#include <glib/gi18n.h>

#include "ms-avatar.h"
#include "ms-person-row.h"
#include "ms-tracks.h"

struct _MsPersonRow {
  GtkBox      parent_instance;

  GObject    *person;   /* an MsPeer, or the MsStore for ourselves */
  GListModel *tracks;
  GtkWidget  *avatar;
  GtkWidget  *name;
  GtkWidget  *host_badge;
  GtkWidget  *mic_icon;
  GtkWidget  *camera_icon;
};

G_DEFINE_FINAL_TYPE (MsPersonRow, ms_person_row, GTK_TYPE_BOX)

static gboolean
live (MsPersonRow *self,
      const char  *tag)
{
  return ms_tracks_live (self->tracks, tag);
}

static void
update_marks (MsPersonRow *self)
{
  gboolean mic = live (self, "microphone");
  gboolean camera = live (self, "camera");

  gtk_image_set_from_icon_name (GTK_IMAGE (self->mic_icon),
                                mic ? "audio-input-microphone-symbolic"
                                    : "microphone-disabled-symbolic");
  gtk_widget_set_tooltip_text (self->mic_icon, mic ? _("Microphone on") : _("Microphone off"));
  gtk_image_set_from_icon_name (GTK_IMAGE (self->camera_icon),
                                camera ? "camera-web-symbolic" : "camera-disabled-symbolic");
  gtk_widget_set_tooltip_text (self->camera_icon, camera ? _("Camera on") : _("Camera off"));
  if (mic)
    gtk_widget_remove_css_class (self->mic_icon, "error");
  else
    gtk_widget_add_css_class (self->mic_icon, "error");
  if (camera)
    gtk_widget_remove_css_class (self->camera_icon, "dim-label");
  else
    gtk_widget_add_css_class (self->camera_icon, "dim-label");
}

static void
on_tracks_changed (gpointer self)
{
  update_marks (self);
}

static void
on_name (GObject     *person,
         GParamSpec  *pspec,
         MsPersonRow *self)
{
  g_autofree char *name = NULL;

  g_object_get (person, "display-name", &name, NULL);
  adw_avatar_set_text (ADW_AVATAR (self->avatar), name);
  if (MS_IS_STORE (person)) {
    /* Translators: our own line in the participants list. */
    g_autofree char *ours = g_strdup_printf (_("%s (You)"), name ? name : "");

    gtk_label_set_label (GTK_LABEL (self->name), ours);
  } else {
    gtk_label_set_label (GTK_LABEL (self->name), name);
  }
}

static void
ms_person_row_dispose (GObject *object)
{
  MsPersonRow *self = MS_PERSON_ROW (object);

  if (self->tracks != NULL)
    g_signal_handlers_disconnect_by_data (self->tracks, self);
  if (self->person != NULL)
    g_signal_handlers_disconnect_by_data (self->person, self);
  g_clear_object (&self->tracks);
  g_clear_object (&self->person);

  G_OBJECT_CLASS (ms_person_row_parent_class)->dispose (object);
}

static void
ms_person_row_class_init (MsPersonRowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ms_person_row_dispose;
}

static void
ms_person_row_init (MsPersonRow *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_HORIZONTAL);
  gtk_box_set_spacing (GTK_BOX (self), 12);

  self->avatar = adw_avatar_new (32, NULL, TRUE);
  self->name = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->name), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (self->name, TRUE);
  /* Translators: a badge beside the person who hosts the call. */
  self->host_badge = gtk_label_new (_("Host"));
  gtk_widget_add_css_class (self->host_badge, "host-badge");
  gtk_widget_add_css_class (self->host_badge, "caption");
  gtk_widget_set_valign (self->host_badge, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->host_badge, FALSE);
  self->mic_icon = gtk_image_new ();
  self->camera_icon = gtk_image_new ();

  gtk_box_append (GTK_BOX (self), self->avatar);
  gtk_box_append (GTK_BOX (self), self->name);
  gtk_box_append (GTK_BOX (self), self->host_badge);
  gtk_box_append (GTK_BOX (self), self->mic_icon);
  gtk_box_append (GTK_BOX (self), self->camera_icon);
}

/**
 * ms_person_row_new:
 * @person: an #MsPeer, or the session's #MsStore for ourselves
 */
GtkWidget *
ms_person_row_new (GObject *person)
{
  MsPersonRow *self = g_object_new (MS_TYPE_PERSON_ROW, NULL);

  g_return_val_if_fail (MS_IS_PEER (person) || MS_IS_STORE (person), NULL);

  self->person = g_object_ref (person);
  self->tracks = g_object_ref (MS_IS_PEER (person) ? ms_peer_get_tracks (MS_PEER (person))
                                                   : ms_store_get_own_tracks (MS_STORE (person)));
  g_signal_connect (person, "notify::display-name", G_CALLBACK (on_name), self);
  on_name (person, NULL, self);
  ms_avatar_follow (ADW_AVATAR (self->avatar), person);
  ms_tracks_follow (self->tracks, G_OBJECT (self), on_tracks_changed);

  return GTK_WIDGET (self);
}

void
ms_person_row_set_host (MsPersonRow *self,
                        gboolean     host)
{
  g_return_if_fail (MS_IS_PERSON_ROW (self));

  gtk_widget_set_visible (self->host_badge, host);
}

const char *
ms_person_row_get_name (MsPersonRow *self)
{
  g_return_val_if_fail (MS_IS_PERSON_ROW (self), NULL);

  return gtk_label_get_label (GTK_LABEL (self->name));
}

gboolean
ms_person_row_get_host (MsPersonRow *self)
{
  g_return_val_if_fail (MS_IS_PERSON_ROW (self), FALSE);

  return gtk_widget_get_visible (self->host_badge);
}

gboolean
ms_person_row_get_mic_on (MsPersonRow *self)
{
  g_return_val_if_fail (MS_IS_PERSON_ROW (self), FALSE);

  return live (self, "microphone");
}

gboolean
ms_person_row_get_camera_on (MsPersonRow *self)
{
  g_return_val_if_fail (MS_IS_PERSON_ROW (self), FALSE);

  return live (self, "camera");
}
