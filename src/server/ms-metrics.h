/* ms-metrics.h: counters exposed on /metrics
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "ms-protocol.h"

G_BEGIN_DECLS

#define MS_N_PROTOCOL_ERRORS (MS_PROTOCOL_ERROR_SERVER_ERROR + 1)

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
} MsMetrics;

typedef struct {
  guint connections;
  guint rooms;
  guint peers;
  guint peers_reconnecting;
  guint tracks;
  guint producers;
  guint consumers;
  guint media_elements;
} MsGauges;

char *ms_metrics_render (const MsMetrics *metrics,
                         const MsGauges  *gauges);

G_END_DECLS
