/* ms-devices.h: cameras, microphones and speakers, as they come and go
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <adwaita.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  MS_DEVICE_CAMERA,
  MS_DEVICE_MICROPHONE,
  MS_DEVICE_SPEAKER,
} MsDeviceClass;

#define MS_TYPE_DEVICES (ms_devices_get_type ())

G_DECLARE_FINAL_TYPE (MsDevices, ms_devices, MS, DEVICES, GObject)

MsDevices  *ms_devices_get_default (void);
GListModel *ms_devices_get_list    (MsDevices     *self,
                                    MsDeviceClass  device_class);
GstDevice  *ms_devices_lookup      (MsDevices     *self,
                                    MsDeviceClass  device_class,
                                    const char    *name);
gboolean    ms_devices_has         (MsDevices     *self,
                                    MsDeviceClass  device_class);
GtkWidget  *ms_devices_make_row    (const char    *title,
                                    MsDeviceClass  device_class,
                                    const char    *key);
const char *ms_devices_get_missing_text (MsDeviceClass device_class);

G_END_DECLS
