/* ms-cluster.h: several servers sharing one Redis
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Cluster mode ([cluster] redis-url): the node registers itself in Redis
 * with its load and keeps it fresh; each room lives on one node, claimed
 * atomically by the first join anywhere and kept while it has people in
 * it; a join that reaches another node is redirected. docs/server.md
 * ("Several servers") lists the keys.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _MsServer MsServer;
typedef struct _MsCluster MsCluster;
typedef struct _MsRedis MsRedis;

typedef enum {
  MS_PLACEMENT_HERE,         /* the room is, or now is, this node's */
  MS_PLACEMENT_ELSEWHERE,    /* another node's: redirect to @url */
  MS_PLACEMENT_UNAVAILABLE,  /* nobody can take it now: @reason */
} MsPlacement;

typedef void (*MsClusterPlaceFunc) (MsServer    *server,
                                    MsPlacement  placement,
                                    const char  *url_or_reason,
                                    gpointer     user_data);

/* NULL with @error when the configuration cannot be used. */
MsCluster *ms_cluster_new          (MsServer            *server,
                                    GError             **error);
void       ms_cluster_free         (MsCluster           *self);
/* Once the server listens: registers, and keeps registering. */
void       ms_cluster_start        (MsCluster           *self);

/* Where @room lives, placing it if it lives nowhere. @func is called
 * exactly once, never before this returns; @destroy frees @user_data
 * afterwards (also when the cluster goes first). */
void       ms_cluster_place        (MsCluster           *self,
                                    const char          *room,
                                    MsClusterPlaceFunc   func,
                                    gpointer             user_data,
                                    GDestroyNotify       destroy);
/* @room emptied on this node: its claim is given up. */
void       ms_cluster_room_gone    (MsCluster           *self,
                                    const char          *room);

/* The cluster's nodes as clients reach them (this one first), for
 * welcome.nodes. */
GStrv      ms_cluster_dup_node_urls (MsCluster          *self);
const char *ms_cluster_get_node_id (MsCluster           *self);
MsRedis   *ms_cluster_get_redis    (MsCluster           *self);

/* Takes no new rooms from now on (and says so in the registry). */
void       ms_cluster_drain        (MsCluster           *self);
gboolean   ms_cluster_is_draining  (MsCluster           *self);

/* The cluster's part of /metrics. */
void       ms_cluster_write_metrics (MsCluster          *self,
                                     GString            *out);

G_END_DECLS
