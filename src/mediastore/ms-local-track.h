/* ms-local-track.h: a source of media this client can publish
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gst/gst.h>

#include "ms-protocol.h"

G_BEGIN_DECLS

/**
 * MsLocalTrackSource:
 * @MS_LOCAL_TRACK_CAMERA: the default camera (PipeWire, else V4L2)
 * @MS_LOCAL_TRACK_MICROPHONE: the default microphone
 * @MS_LOCAL_TRACK_SCREEN: the X11 screen (`ximagesrc`); the app uses the portal
 * @MS_LOCAL_TRACK_TEST_VIDEO: a moving test pattern
 * @MS_LOCAL_TRACK_TEST_AUDIO: a test tone
 * @MS_LOCAL_TRACK_FILE: a pre-encoded VP8 file (WebM or IVF), sent in a loop without re-encoding
 * @MS_LOCAL_TRACK_ELEMENT: a source element given by the application
 */
typedef enum {
  MS_LOCAL_TRACK_CAMERA,
  MS_LOCAL_TRACK_MICROPHONE,
  MS_LOCAL_TRACK_SCREEN,
  MS_LOCAL_TRACK_TEST_VIDEO,
  MS_LOCAL_TRACK_TEST_AUDIO,
  MS_LOCAL_TRACK_FILE,
  MS_LOCAL_TRACK_ELEMENT,
} MsLocalTrackSource;

#define MS_TYPE_LOCAL_TRACK (ms_local_track_get_type ())

G_DECLARE_FINAL_TYPE (MsLocalTrack, ms_local_track, MS, LOCAL_TRACK, GObject)

MsLocalTrack       *ms_local_track_new              (MsLocalTrackSource  source,
                                                     GError            **error);
MsLocalTrack       *ms_local_track_new_for_file     (const char         *path,
                                                     GError            **error);
MsLocalTrack       *ms_local_track_new_for_element  (MsTrackKind         kind,
                                                     GstElement         *source);

void                ms_local_track_set_video_format (MsLocalTrack       *self,
                                                     guint               width,
                                                     guint               height,
                                                     guint               framerate);
MsLocalTrackSource  ms_local_track_get_source       (MsLocalTrack       *self);
MsTrackKind         ms_local_track_get_kind         (MsLocalTrack       *self);
void                ms_local_track_set_preview_sink (MsLocalTrack       *self,
                                                     GstElement         *sink);
double              ms_local_track_get_level        (MsLocalTrack       *self);
guint64             ms_local_track_get_frames_sent  (MsLocalTrack       *self);
gboolean            ms_local_track_wait_stopped     (guint               timeout_ms);

G_END_DECLS
