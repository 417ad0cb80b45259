/* ms-server-private.h: what the signaling handlers share with the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ms-client.h"
#include "ms-metrics.h"
#include "ms-room.h"
#include "ms-server.h"

G_BEGIN_DECLS

struct _MsServer {
  GObject     parent_instance;

  MsConfig   *config;
  MsKeyring  *keyring;
  SoupServer *soup;
  MsMetrics   metrics;
  GHashTable *rooms;         /* name → MsRoom */
  GHashTable *resume_keys;   /* key → MsParticipant (borrowed) */
  GPtrArray  *clients;       /* every open MsClient */
  GPtrArray  *closing;       /* SoupWebsocketConnections finishing their close */
  gboolean    shutting_down;
  guint       shutdown_timeout_id;
};

void ms_signaling_handle_request (MsServer      *self,
                                  MsClient      *client,
                                  const MsMessage *msg);
void ms_signaling_client_closed  (MsServer      *self,
                                  MsClient      *client);

/* Logs one line about @room and @peer, with structured fields. */
void ms_server_log               (GLogLevelFlags  level,
                                  const char     *room,
                                  const char     *peer,
                                  const char     *format,
                                  ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS
