/* ms-config.h: the server's configuration, from a key file and flags
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "ms-protocol.h"

G_BEGIN_DECLS

typedef struct {
  /* [server] */
  GStrv     listen;               /* addresses to listen on */
  guint     port;
  char     *tls_certificate;      /* PEM file; with tls_key, serve wss:// and https:// */
  char     *tls_key;
  gboolean  dev;                  /* development key, loopback only */
  /* [auth] */
  char     *api_key;
  char     *api_secret;
  /* [session] */
  guint     grace_period;         /* seconds a dropped peer is kept for resume */
  guint     join_timeout;         /* seconds to send join after connecting */
  guint     keepalive_interval;   /* seconds between WebSocket pings; 0 = off */
  guint     keepalive_misses;     /* pings without an answer before disconnecting */
  /* [limits] */
  MsLimits  limits;               /* frame and field sizes */
  guint     messages_per_second;  /* sustained rate of frames per connection */
  guint     message_burst;        /* frames allowed above the rate at once */
  guint     max_violations;       /* bad frames per minute before closing with 4400 */
  guint     max_rooms;
  guint     max_peers_per_room;
  guint     max_tracks_per_peer;
  guint     max_queued_messages;  /* kept for a peer in its grace period */
  guint     max_invitations;      /* invitations kept at once */
  guint     redeem_burst;         /* redemptions one address may try at once */
  guint     redeem_per_minute;    /* sustained rate of redemptions per address */
  guint     redeem_failure_cost;  /* a failed redemption uses up this many */
  /* [ice] */
  GStrv     ice_urls;
  char     *ice_username;
  char     *ice_credential;
  /* [media] */
  GStrv     media_listen;         /* addresses ICE may use */
  char     *media_announced;      /* address announced instead (NAT) */
  guint     media_workers;        /* 0: one per core */
  guint     media_port_min;       /* 0: any free port per worker */
  guint     media_port_max;
  guint     media_consent_timeout; /* seconds (RFC 7675 says 30) */
  /* [cluster] */
  char     *cluster_redis_url;    /* NULL: the server runs alone */
  char     *cluster_redis_ca;     /* CA file for a rediss:// server's certificate */
  char     *cluster_node_id;      /* NULL: HOSTNAME-PORT */
  char     *cluster_node_url;     /* NULL: ws(s)://first listen address:port/v1/ws */
  guint     cluster_max_peers;    /* peers this node takes; 0: no limit but max-rooms */
} MsConfig;

#define MS_CONFIG_ERROR (ms_config_error_quark ())

typedef enum {
  MS_CONFIG_ERROR_INVALID,
} MsConfigError;

GQuark        ms_config_error_quark      (void);

MsConfig     *ms_config_new              (void);
void          ms_config_free             (MsConfig     *config);

gboolean      ms_config_load_file        (MsConfig     *config,
                                          const char   *path,
                                          GError      **error);
gboolean      ms_config_set              (MsConfig     *config,
                                          const char   *key,
                                          const char   *value,
                                          GError      **error);
gboolean      ms_config_validate         (MsConfig     *config,
                                          GError      **error);

/* One --key=VALUE flag per configuration key; values given on the
 * command line are applied after the file by ms_config_apply_flags(). */
typedef struct _MsConfigFlags MsConfigFlags;

MsConfigFlags *ms_config_flags_new       (void);
void           ms_config_flags_free      (MsConfigFlags *flags);
GOptionGroup  *ms_config_flags_get_group (MsConfigFlags *flags);
gboolean       ms_config_apply_flags     (MsConfig      *config,
                                          MsConfigFlags *flags,
                                          GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsConfig, ms_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsConfigFlags, ms_config_flags_free)

G_END_DECLS
