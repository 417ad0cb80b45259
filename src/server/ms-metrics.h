/* ms-metrics.h: counters exposed on /metrics
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "ms-protocol.h"

G_BEGIN_DECLS

#define MS_N_PROTOCOL_ERRORS (MS_PROTOCOL_ERROR_UNAVAILABLE + 1)

/* Why a redemption of an invitation was refused. */
typedef enum {
  MS_REFUSAL_UNKNOWN,
  MS_REFUSAL_EXPIRED,
  MS_REFUSAL_REVOKED,
  MS_REFUSAL_BAD_REQUEST,
  MS_REFUSAL_RATE_LIMITED,
  MS_N_REFUSALS
} MsRefusal;

typedef struct {
  guint64 connections_total;
  guint64 joins_total;
  guint64 resumes_total;
  guint64 frames_received_total;
  guint64 bytes_received_total;
  guint64 frames_sent_total;
  guint64 bytes_sent_total;
  guint64 messages_relayed_total;   /* "message" frames delivered to a peer */
  guint64 errors_total[MS_N_PROTOCOL_ERRORS];
  guint64 forwarded_packets_total;
  guint64 forwarded_bytes_total;
  guint64 retransmitted_packets_total;
  guint64 nacks_sent_total;
  guint64 rtcp_received_total;
  guint64 keyframe_requests_total;
  guint64 media_transports_failed_total;
  guint64 media_transports_created_total[MS_PC_SUBSCRIBE + 1];   /* by MsPcKind */
  guint64 media_dropped_total[16];    /* by MsEngineDrop (fewer than 16) */
  guint   n_media_drops;
  const char *media_drop_names[16];
  guint64 invitations_created_total;
  guint64 invitations_revoked_total;
  guint64 invitations_redeemed_total;
  guint64 invitations_refused_total[MS_N_REFUSALS];
} MsMetrics;

typedef struct {
  guint connections;
  guint rooms;
  guint peers;
  guint peers_reconnecting;
  guint tracks;
  guint producers;
  guint consumers;
  guint media_transports;
  guint media_workers;
  guint threads;
  guint invitations;
} MsGauges;

const char *ms_refusal_to_string (MsRefusal refusal);

char *ms_metrics_render (const MsMetrics *metrics,
                         const MsGauges  *gauges);

G_END_DECLS
