/* ms-session.h: one call: the signaling connection and its media
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ms-local-track.h"
#include "ms-remote-track.h"
#include "ms-store.h"

G_BEGIN_DECLS

#define MS_SESSION_ERROR (ms_session_error_quark ())

/**
 * MsSessionError:
 * @MS_SESSION_ERROR_NOT_CONNECTED: the call is not connected
 * @MS_SESSION_ERROR_FORBIDDEN: the grants do not allow it
 * @MS_SESSION_ERROR_TAG_IN_USE: a track is already published under the tag
 * @MS_SESSION_ERROR_NOT_FOUND: no such track or peer
 * @MS_SESSION_ERROR_MEDIA: GStreamer could not build or run the media
 * @MS_SESSION_ERROR_SERVER: the server refused (its message is in the error)
 * @MS_SESSION_ERROR_INVALID: an argument the protocol would refuse
 */
typedef enum {
  MS_SESSION_ERROR_NOT_CONNECTED,
  MS_SESSION_ERROR_FORBIDDEN,
  MS_SESSION_ERROR_TAG_IN_USE,
  MS_SESSION_ERROR_NOT_FOUND,
  MS_SESSION_ERROR_MEDIA,
  MS_SESSION_ERROR_SERVER,
  MS_SESSION_ERROR_INVALID,
} MsSessionError;

#define MS_TYPE_SESSION (ms_session_get_type ())

G_DECLARE_FINAL_TYPE (MsSession, ms_session, MS, SESSION, GObject)

GQuark         ms_session_error_quark        (void);

void           ms_session_prepare_async      (GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean       ms_session_prepare_finish     (GAsyncResult         *result,
                                              GError              **error);
MsSession     *ms_session_new                (void);
MsStore       *ms_session_get_store          (MsSession            *self);
gboolean       ms_session_get_decode         (MsSession            *self);
guint          ms_session_get_latency        (MsSession            *self);

void           ms_session_connect_async      (MsSession            *self,
                                              const char           *url,
                                              const char           *token,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean       ms_session_connect_finish     (MsSession            *self,
                                              GAsyncResult         *result,
                                              GError              **error);

gboolean       ms_session_send_track         (MsSession            *self,
                                              MsLocalTrack         *track,
                                              const char           *tag,
                                              gboolean              paused,
                                              GError              **error);
gboolean       ms_session_pause_track        (MsSession            *self,
                                              const char           *tag,
                                              GError              **error);
gboolean       ms_session_resume_track       (MsSession            *self,
                                              const char           *tag,
                                              GError              **error);
gboolean       ms_session_close_track        (MsSession            *self,
                                              const char           *tag,
                                              GError              **error);
MsLocalTrack  *ms_session_lookup_local_track (MsSession            *self,
                                              const char           *tag);

gboolean       ms_session_send_message       (MsSession            *self,
                                              const char           *msg_type,
                                              JsonNode             *body,
                                              const char           *to,
                                              GError              **error);
gboolean       ms_session_set_hidden         (MsSession            *self,
                                              gboolean              hidden,
                                              GError              **error);
gboolean       ms_session_set_display_name   (MsSession            *self,
                                              const char           *display_name,
                                              GError              **error);
gboolean       ms_session_set_avatar         (MsSession            *self,
                                              const char           *avatar,
                                              GError              **error);
void           ms_session_set_audio_output   (MsSession            *self,
                                              GstElement           *sink);
gboolean       ms_session_set_receiving      (MsSession            *self,
                                              const char           *peer_id,
                                              const char           *tag,
                                              gboolean              enabled,
                                              GError              **error);
void           ms_session_close_call         (MsSession            *self);

MsRemoteTrack *ms_session_lookup_remote_track (MsSession           *self,
                                               const char          *peer_id,
                                               const char          *tag);
GListModel    *ms_session_get_remote_tracks   (MsSession           *self);

G_END_DECLS
