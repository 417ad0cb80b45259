/* ms-devices.c: cameras, microphones and speakers, as they come and go
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One GstDeviceMonitor for the whole app; three GListStores of GstDevice
 * that follow hot-plugging (the monitor's bus, on the main context), for
 * the preferences' and the lobby's lists and for finding the device a
 * setting names. A class with no device at all is "missing": the lobby
 * and the call say so (ms_devices_get_missing_text()).
 */

#define G_LOG_DOMAIN "MsDevices"

#include "config.h"

#include <glib/gi18n.h>

#include "ms-app-media.h"
#include "ms-devices.h"

static const char * const class_filters[] = {
  [MS_DEVICE_CAMERA] = "Video/Source",
  [MS_DEVICE_MICROPHONE] = "Audio/Source",
  [MS_DEVICE_SPEAKER] = "Audio/Sink",
};

struct _MsDevices {
  GObject           parent_instance;

  GstDeviceMonitor *monitor;
  GListStore       *lists[G_N_ELEMENTS (class_filters)];
  guint             bus_watch;
};

G_DEFINE_FINAL_TYPE (MsDevices, ms_devices, G_TYPE_OBJECT)

static int
class_of (GstDevice *device)
{
  for (guint i = 0; i < G_N_ELEMENTS (class_filters); i++) {
    if (gst_device_has_classes (device, class_filters[i]))
      return i;
  }
  return -1;
}

static gboolean
find (GListStore *list,
      GstDevice  *device,
      guint      *position)
{
  return g_list_store_find (list, device, position);
}

static gboolean
on_bus (GstBus     *bus,
        GstMessage *message,
        gpointer    user_data)
{
  MsDevices *self = user_data;
  g_autoptr (GstDevice) device = NULL;
  guint position;
  int cls;

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_DEVICE_ADDED:
    gst_message_parse_device_added (message, &device);
    cls = class_of (device);
    if (cls >= 0 && !find (self->lists[cls], device, &position))
      g_list_store_append (self->lists[cls], device);
    break;
  case GST_MESSAGE_DEVICE_REMOVED:
    gst_message_parse_device_removed (message, &device);
    cls = class_of (device);
    if (cls >= 0 && find (self->lists[cls], device, &position))
      g_list_store_remove (self->lists[cls], position);
    break;
  default:
    break;
  }

  return G_SOURCE_CONTINUE;
}

static void
ms_devices_finalize (GObject *object)
{
  MsDevices *self = MS_DEVICES (object);

  g_clear_handle_id (&self->bus_watch, g_source_remove);
  gst_device_monitor_stop (self->monitor);
  gst_clear_object (&self->monitor);
  for (guint i = 0; i < G_N_ELEMENTS (self->lists); i++)
    g_clear_object (&self->lists[i]);

  G_OBJECT_CLASS (ms_devices_parent_class)->finalize (object);
}

static void
ms_devices_class_init (MsDevicesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ms_devices_finalize;
}

static void
ms_devices_init (MsDevices *self)
{
  g_autoptr (GstBus) bus = NULL;
  GList *devices;

  self->monitor = gst_device_monitor_new ();
  for (guint i = 0; i < G_N_ELEMENTS (class_filters); i++) {
    self->lists[i] = g_list_store_new (GST_TYPE_DEVICE);
    gst_device_monitor_add_filter (self->monitor, class_filters[i], NULL);
  }

  bus = gst_device_monitor_get_bus (self->monitor);
  self->bus_watch = gst_bus_add_watch (bus, on_bus, self);
  if (!gst_device_monitor_start (self->monitor))
    g_debug ("No device monitor: only the default devices");

  devices = gst_device_monitor_get_devices (self->monitor);
  for (GList *l = devices; l != NULL; l = l->next) {
    int cls = class_of (l->data);

    if (cls >= 0)
      g_list_store_append (self->lists[cls], l->data);
  }
  g_list_free_full (devices, gst_object_unref);
}

/**
 * ms_devices_get_default:
 *
 * Returns: (transfer none): the app's device list
 */
MsDevices *
ms_devices_get_default (void)
{
  static MsDevices *devices;

  if (devices == NULL)
    devices = g_object_new (MS_TYPE_DEVICES, NULL);

  return devices;
}

GListModel *
ms_devices_get_list (MsDevices     *self,
                     MsDeviceClass  device_class)
{
  return G_LIST_MODEL (self->lists[device_class]);
}

/**
 * ms_devices_lookup:
 *
 * Returns: (transfer full) (nullable): the device shown as @name
 */
GstDevice *
ms_devices_lookup (MsDevices     *self,
                   MsDeviceClass  device_class,
                   const char    *name)
{
  GListModel *list = G_LIST_MODEL (self->lists[device_class]);

  if (name == NULL || *name == '\0')
    return NULL;

  for (guint i = 0; i < g_list_model_get_n_items (list); i++) {
    g_autoptr (GstDevice) device = g_list_model_get_item (list, i);
    g_autofree char *shown = gst_device_get_display_name (device);

    if (g_strcmp0 (shown, name) == 0)
      return g_steal_pointer (&device);
  }

  return NULL;
}

typedef struct {
  AdwComboRow   *row;
  GtkStringList *names;
  GListModel    *devices;
  const char    *key;
  MsDeviceClass  device_class;
  gboolean       syncing;
} DeviceRow;

static void
device_row_free (gpointer data)
{
  DeviceRow *d = data;

  g_signal_handlers_disconnect_by_data (d->devices, d);
  g_clear_object (&d->names);
  g_free (d);
}

/* Rebuilds the names and selects the stored device; a device that is
 * unplugged stays in the list, marked, so the choice is not lost. */
static void
device_row_sync (DeviceRow *d)
{
  GSettings *settings = ms_media_get_settings ();
  g_autofree char *chosen = settings ? g_settings_get_string (settings, d->key) : g_strdup ("");
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint selected = 0;

  g_ptr_array_add (names, g_strdup (_("Default")));
  for (guint i = 0; i < g_list_model_get_n_items (d->devices); i++) {
    g_autoptr (GstDevice) device = g_list_model_get_item (d->devices, i);
    char *name = gst_device_get_display_name (device);

    if (g_strcmp0 (name, chosen) == 0)
      selected = names->len;
    g_ptr_array_add (names, name);
  }
  if (*chosen != '\0' && selected == 0) {
    selected = names->len;
    g_ptr_array_add (names, g_strdup (chosen));
  }
  g_ptr_array_add (names, NULL);

  adw_action_row_set_subtitle (ADW_ACTION_ROW (d->row),
                               g_list_model_get_n_items (d->devices) == 0 &&
                               !ms_media_use_test_sources ()
                               ? ms_devices_get_missing_text (d->device_class) : NULL);
  d->syncing = TRUE;
  gtk_string_list_splice (d->names, 0, g_list_model_get_n_items (G_LIST_MODEL (d->names)),
                          (const char * const *) names->pdata);
  adw_combo_row_set_selected (d->row, selected);
  d->syncing = FALSE;
}

static void
on_devices_changed (GListModel *model,
                    guint       position,
                    guint       removed,
                    guint       added,
                    DeviceRow  *d)
{
  device_row_sync (d);
}

static void
on_selected (AdwComboRow *row,
             GParamSpec  *pspec,
             DeviceRow   *d)
{
  guint selected = adw_combo_row_get_selected (row);

  if (d->syncing || selected == GTK_INVALID_LIST_POSITION || ms_media_get_settings () == NULL)
    return;
  g_settings_set_string (ms_media_get_settings (), d->key,
                         selected == 0 ? "" : gtk_string_list_get_string (d->names, selected));
}

/**
 * ms_devices_make_row:
 * @title: the row's title
 * @key: the setting (in ms_media_get_settings()) that names the device
 *
 * A combo row of the devices of @device_class, following hot-plugging,
 * that writes the chosen device's name into @key ("" for the default).
 * Its subtitle says when there is no such device at all.
 *
 * Returns: (transfer floating): the row
 */
GtkWidget *
ms_devices_make_row (const char    *title,
                     MsDeviceClass  device_class,
                     const char    *key)
{
  DeviceRow *d = g_new0 (DeviceRow, 1);

  d->row = ADW_COMBO_ROW (adw_combo_row_new ());
  d->names = gtk_string_list_new (NULL);
  d->devices = ms_devices_get_list (ms_devices_get_default (), device_class);
  d->key = key;
  d->device_class = device_class;
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (d->row), title);
  adw_combo_row_set_model (d->row, G_LIST_MODEL (d->names));
  device_row_sync (d);
  g_signal_connect (d->devices, "items-changed", G_CALLBACK (on_devices_changed), d);
  g_signal_connect (d->row, "notify::selected", G_CALLBACK (on_selected), d);
  g_object_set_data_full (G_OBJECT (d->row), "device-row", d, device_row_free);

  return GTK_WIDGET (d->row);
}

/**
 * ms_devices_has:
 *
 * Returns: whether at least one device of @device_class is plugged in
 */
gboolean
ms_devices_has (MsDevices     *self,
                MsDeviceClass  device_class)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->lists[device_class])) > 0;
}

/**
 * ms_devices_get_missing_text:
 *
 * Returns: what to say, and what to do, when there is no device of
 *   @device_class
 */
const char *
ms_devices_get_missing_text (MsDeviceClass device_class)
{
  switch (device_class) {
  case MS_DEVICE_CAMERA:
    return _("No camera found — connect one, or join without video");
  case MS_DEVICE_MICROPHONE:
    return _("No microphone found — connect one, or join without sound");
  case MS_DEVICE_SPEAKER:
  default:
    return _("No speakers found — connect some to hear the others");
  }
}
