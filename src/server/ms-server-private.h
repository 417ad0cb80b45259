/* ms-server-private.h: what the signaling handlers share with the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ms-client.h"
#include "ms-cluster.h"
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
  struct _MsMediaEngine *media;   /* ms-media.c: the workers */
  GHashTable *rooms;         /* name → MsRoom */
  GHashTable *resume_keys;   /* key → MsParticipant (borrowed) */
  GPtrArray  *clients;       /* every open MsClient */
  GPtrArray  *closing;       /* SoupWebsocketConnections finishing their close */
  GHashTable *invitations;   /* code (10 letters, no dashes) → MsInvitation; alone only */
  guint       invitations_in_redis; /* cluster mode: how many the cluster holds, last read */
  MsCluster  *cluster;       /* cluster mode; NULL when the server runs alone */
  GHashTable *placing;       /* MsClients whose join waits for the cluster */
  GHashTable *redeem_buckets; /* client address → MsRateBucket */
  guint       prune_id;      /* drops expired invitations and idle buckets */
  gboolean    shutting_down;
  guint       shutdown_timeout_id;
};

/* Largest HTTP request body accepted, and longest token or invitation. */
#define MS_SERVER_MAX_REQUEST (16 * 1024)
#define MS_SERVER_MAX_TTL     (30 * 24 * 3600)

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

/* A draining server whose last room has gone shuts down. */
void        ms_server_check_drained (MsServer  *self);

/* Compares two secrets in time that does not depend on their contents. */
gboolean    ms_server_secret_equal (const char  *given,
                                    const char  *expected);
/* The grants of a request body ("grants" member, NULL for the defaults). */
gboolean    ms_server_read_grants  (JsonNode    *node,
                                    gsize        max_id_length,
                                    MsGrants    *grants,
                                    GError     **error);
/* A request body that must be a JSON object; (transfer full). */
JsonObject *ms_server_parse_body   (GBytes      *body,
                                    gboolean     allow_empty,
                                    GError     **error);

/* ms-invitations.c: POST /v1/invitations and what hangs below it. */
void        ms_invitations_init     (MsServer    *self);
void        ms_invitations_dispose  (MsServer    *self);
void        ms_invitations_register (MsServer    *self);
guint       ms_invitations_count    (MsServer    *self);

G_END_DECLS
