/* ms-client.h: one signaling WebSocket connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ms-config.h"
#include "ms-metrics.h"
#include "ms-protocol.h"

G_BEGIN_DECLS

#define MS_TYPE_CLIENT (ms_client_get_type ())

G_DECLARE_FINAL_TYPE (MsClient, ms_client, MS, CLIENT, GObject)

MsClient   *ms_client_new              (SoupWebsocketConnection *connection,
                                        const MsConfig          *config,
                                        MsMetrics               *metrics,
                                        const char              *remote);
const char *ms_client_get_remote       (MsClient                *self);
SoupWebsocketConnection *
            ms_client_get_connection   (MsClient                *self);
gboolean    ms_client_is_open          (MsClient                *self);
void        ms_client_set_joined       (MsClient                *self);
gpointer    ms_client_get_participant  (MsClient                *self);
void        ms_client_set_participant  (MsClient                *self,
                                        gpointer                 participant);

void        ms_client_send             (MsClient                *self,
                                        const MsMessage         *msg);
void        ms_client_send_ok          (MsClient                *self,
                                        const MsMessage         *request);
void        ms_client_send_error       (MsClient                *self,
                                        const MsMessage         *request,
                                        MsProtocolError          code,
                                        const char              *format,
                                        ...) G_GNUC_PRINTF (4, 5);
/* Sends bye with @reason (unless NULL), then closes with @code. */
void        ms_client_close            (MsClient                *self,
                                        int                      code,
                                        const char              *reason);

G_END_DECLS
