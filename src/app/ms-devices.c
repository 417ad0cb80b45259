/* ms-devices.c: cameras, microphones and speakers, as they come and go
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One GstDeviceMonitor for the whole app; three GListStores of GstDevice
 * that follow hot-plugging (the monitor's bus, on the main context), for
 * the preferences' lists and for finding the device a setting names.
 */

#define G_LOG_DOMAIN "MsDevices"

#include "config.h"

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
