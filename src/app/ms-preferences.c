/* ms-preferences.c: the preferences window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Your name and the address of your picture, devices (lists that follow
 * hot-plugging), sound processing and video quality, all stored in
 * GSettings. A device setting holds the device's name; the first entry of
 * each list, the system default, stores "".
 */

#define G_LOG_DOMAIN "MsPreferences"

#include "config.h"

#include <glib/gi18n.h>

#include "ms-devices.h"
#include "ms-app-media.h"
#include "ms-preferences.h"
#include "ms-protocol.h"
#include "ms-window.h"

static GtkWidget *
switch_row (const char *title,
            const char *subtitle,
            const char *key)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *toggle = gtk_switch_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), toggle);
  g_settings_bind (ms_media_get_settings (), key, toggle, "active", G_SETTINGS_BIND_DEFAULT);

  return row;
}

static gboolean
quality_get (GValue   *value,
             GVariant *variant,
             gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  g_value_set_uint (value, g_str_equal (nick, "low") ? 0 : g_str_equal (nick, "high") ? 2 : 1);
  return TRUE;
}

static GVariant *
quality_set (const GValue       *value,
             const GVariantType *type,
             gpointer            user_data)
{
  static const char * const nicks[] = { "low", "medium", "high" };
  guint i = g_value_get_uint (value);

  return g_variant_new_string (nicks[MIN (i, G_N_ELEMENTS (nicks) - 1)]);
}

/* The picture's address goes to the settings, and into the call, only
 * when applied and only if the server would take it. */
static void
on_picture_apply (AdwEntryRow *row,
                  GSettings   *settings)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));
  g_autofree char *address = g_strstrip (g_strdup (text));
  MsLimits limits;

  ms_limits_init_default (&limits);
  if (*address != '\0' && !ms_validate_avatar_url (address, limits.max_url_length)) {
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
    gtk_widget_set_tooltip_text (GTK_WIDGET (row),
                                 _("A picture must be a web address starting with http:// or "
                                   "https://"));
    return;
  }

  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (row), NULL);
  g_settings_set_string (settings, "avatar-url", address);
}

/* The name too, when applied: it is the default for every call joined
 * later, and every call in progress takes it at once. */
static void
on_name_apply (AdwEntryRow *row,
               GSettings   *settings)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
  g_autoptr (GList) windows = gtk_window_list_toplevels ();
  MsLimits limits;

  ms_limits_init_default (&limits);
  if (*name != '\0' && !ms_validate_display_name (name, limits.max_name_length)) {
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
    gtk_widget_set_tooltip_text (GTK_WIDGET (row),
                                 _("A name is at most 128 bytes, without control characters"));
    return;
  }

  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (row), NULL);
  g_settings_set_string (settings, "display-name", name);
  for (GList *l = windows; l != NULL; l = l->next)
    if (MS_IS_WINDOW (l->data))
      ms_window_apply_name (l->data);
}

static void
on_name_setting (GSettings   *settings,
                 const char  *key,
                 AdwEntryRow *row)
{
  g_autofree char *name = g_settings_get_string (settings, key);

  if (g_strcmp0 (name, gtk_editable_get_text (GTK_EDITABLE (row))) != 0)
    gtk_editable_set_text (GTK_EDITABLE (row), name);
}

static GtkWidget *
picture_row (GSettings *settings)
{
  GtkWidget *row = adw_entry_row_new ();
  g_autofree char *address = g_settings_get_string (settings, "avatar-url");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Address of Your Picture"));
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
  adw_entry_row_set_input_purpose (ADW_ENTRY_ROW (row), GTK_INPUT_PURPOSE_URL);
  gtk_editable_set_text (GTK_EDITABLE (row), address);
  g_signal_connect_object (row, "apply", G_CALLBACK (on_picture_apply), settings, 0);

  return row;
}

GtkWidget *
ms_preferences_new (void)
{
  GtkWidget *window = adw_preferences_window_new ();
  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());
  AdwPreferencesGroup *you = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *devices = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *sound = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *video = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  const char *qualities[] = { N_("Low"), N_("Medium"), N_("High"), NULL };
  g_autoptr (GtkStringList) quality_names = gtk_string_list_new (NULL);
  GtkWidget *name = adw_entry_row_new ();
  GtkWidget *quality = adw_combo_row_new ();
  GSettings *settings = ms_media_get_settings ();

  if (settings == NULL) {
    GtkWidget *status = adw_status_page_new ();

    adw_status_page_set_title (ADW_STATUS_PAGE (status), _("Preferences Are Not Available"));
    adw_status_page_set_description (ADW_STATUS_PAGE (status),
                                     _("Mediastore is not installed, so it cannot keep settings."));
    adw_preferences_group_add (you, status);
    adw_preferences_page_add (page, you);
    adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), page);
    return window;
  }

  adw_preferences_page_set_title (page, _("General"));
  adw_preferences_page_set_icon_name (page, "emblem-system-symbolic");

  adw_preferences_group_set_title (you, _("You"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (name), _("Name Others See"));
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (name), TRUE);
  on_name_setting (settings, "display-name", ADW_ENTRY_ROW (name));
  g_signal_connect_object (settings, "changed::display-name", G_CALLBACK (on_name_setting), name,
                           0);
  g_signal_connect_object (name, "apply", G_CALLBACK (on_name_apply), settings, 0);
  adw_preferences_group_add (you, name);
  adw_preferences_group_add (you, picture_row (settings));

  adw_preferences_group_set_title (devices, _("Devices"));
  adw_preferences_group_add (devices, ms_devices_make_row (_("Camera"), MS_DEVICE_CAMERA,
                                                           "camera-device"));
  adw_preferences_group_add (devices, ms_devices_make_row (_("Microphone"), MS_DEVICE_MICROPHONE,
                                                           "microphone-device"));
  adw_preferences_group_add (devices, ms_devices_make_row (_("Speakers"), MS_DEVICE_SPEAKER,
                                                           "speaker-device"));

  adw_preferences_group_set_title (sound, _("Sound"));
  adw_preferences_group_add (sound, switch_row (_("Echo Cancellation"),
                                                _("Others do not hear themselves through your "
                                                  "speakers"), "echo-cancellation"));
  adw_preferences_group_add (sound, switch_row (_("Noise Suppression"),
                                                _("Quiets fans and other steady noise"),
                                                "noise-suppression"));

  adw_preferences_group_set_title (video, _("Video"));
  for (guint i = 0; qualities[i] != NULL; i++)
    gtk_string_list_append (quality_names, _(qualities[i]));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (quality), _("Quality You Send"));
  adw_combo_row_set_model (ADW_COMBO_ROW (quality), G_LIST_MODEL (quality_names));
  g_settings_bind_with_mapping (settings, "video-quality", quality, "selected",
                                G_SETTINGS_BIND_DEFAULT, quality_get, quality_set, NULL, NULL);
  adw_preferences_group_add (video, quality);

  adw_preferences_page_add (page, you);
  adw_preferences_page_add (page, devices);
  adw_preferences_page_add (page, sound);
  adw_preferences_page_add (page, video);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), page);

  return window;
}
