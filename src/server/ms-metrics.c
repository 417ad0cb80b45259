/* ms-metrics.c: Prometheus text exposition format, version 0.0.4
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "MsMetrics"

#include "config.h"

#include "ms-metrics.h"

static void
metric (GString    *out,
        const char *name,
        const char *type,
        const char *help,
        guint64     value)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n%s %" G_GUINT64_FORMAT "\n",
                          name, help, name, type, name, value);
}

const char *
ms_refusal_to_string (MsRefusal refusal)
{
  static const char * const names[] = {
    [MS_REFUSAL_UNKNOWN] = "unknown",
    [MS_REFUSAL_EXPIRED] = "expired",
    [MS_REFUSAL_REVOKED] = "revoked",
    [MS_REFUSAL_BAD_REQUEST] = "bad-request",
    [MS_REFUSAL_RATE_LIMITED] = "rate-limited",
  };

  g_return_val_if_fail (refusal < MS_N_REFUSALS, NULL);
  return names[refusal];
}

char *
ms_metrics_render (const MsMetrics *m,
                   const MsGauges  *g)
{
  GString *out = g_string_new (NULL);

  metric (out, "mediastore_connections", "gauge", "Open signaling connections.", g->connections);
  metric (out, "mediastore_rooms", "gauge", "Rooms with at least one peer.", g->rooms);
  metric (out, "mediastore_peers", "gauge", "Peers in all rooms, hidden ones included.", g->peers);
  metric (out, "mediastore_peers_reconnecting", "gauge",
          "Peers whose connection dropped, kept for their grace period.", g->peers_reconnecting);
  metric (out, "mediastore_tracks", "gauge", "Published tracks.", g->tracks);
  metric (out, "mediastore_producers", "gauge", "Media producers.", g->producers);
  metric (out, "mediastore_consumers", "gauge", "Media consumers.", g->consumers);
  metric (out, "mediastore_media_transports", "gauge",
          "Media transports (ICE, DTLS, SRTP), two per peer with media.", g->media_transports);
  metric (out, "mediastore_media_workers", "gauge",
          "Media worker threads, each with its own UDP socket.", g->media_workers);
  metric (out, "mediastore_threads", "gauge", "Threads of the server process.", g->threads);
  metric (out, "mediastore_connections_total", "counter", "Signaling connections accepted.",
          m->connections_total);
  metric (out, "mediastore_joins_total", "counter", "Successful joins, resumes included.",
          m->joins_total);
  metric (out, "mediastore_resumes_total", "counter", "Joins that resumed a dropped peer.",
          m->resumes_total);
  metric (out, "mediastore_frames_received_total", "counter", "WebSocket frames received.",
          m->frames_received_total);
  metric (out, "mediastore_bytes_received_total", "counter", "WebSocket payload bytes received.",
          m->bytes_received_total);
  metric (out, "mediastore_frames_sent_total", "counter", "WebSocket frames sent.",
          m->frames_sent_total);
  metric (out, "mediastore_bytes_sent_total", "counter", "WebSocket payload bytes sent.",
          m->bytes_sent_total);
  metric (out, "mediastore_messages_relayed_total", "counter",
          "Peer messages delivered to a recipient.", m->messages_relayed_total);
  metric (out, "mediastore_forwarded_packets_total", "counter", "RTP packets forwarded.",
          m->forwarded_packets_total);
  metric (out, "mediastore_forwarded_bytes_total", "counter", "RTP bytes forwarded.",
          m->forwarded_bytes_total);
  metric (out, "mediastore_retransmitted_packets_total", "counter",
          "RTP packets sent again for subscribers' NACKs.", m->retransmitted_packets_total);
  metric (out, "mediastore_nacks_sent_total", "counter",
          "Lost packets asked again of publishers.", m->nacks_sent_total);
  metric (out, "mediastore_rtcp_received_total", "counter",
          "RTCP packets received from peers.", m->rtcp_received_total);
  metric (out, "mediastore_keyframe_requests_total", "counter",
          "Keyframe requests (PLI) sent to publishers.", m->keyframe_requests_total);
  metric (out, "mediastore_media_transports_failed_total", "counter",
          "Media transports dropped because their peer fell silent (consent lost).",
          m->media_transports_failed_total);
  g_string_append (out, "# HELP mediastore_media_transports_created_total Media transports "
                        "made, by side.\n"
                        "# TYPE mediastore_media_transports_created_total counter\n");
  for (guint i = 0; i < G_N_ELEMENTS (m->media_transports_created_total); i++) {
    g_string_append_printf (out, "mediastore_media_transports_created_total{pc=\"%s\"} %"
                            G_GUINT64_FORMAT "\n", ms_pc_kind_to_string (i),
                            m->media_transports_created_total[i]);
  }

  metric (out, "mediastore_invitations", "gauge",
          "Invitations the server knows, revoked and recently expired ones included.",
          g->invitations);
  metric (out, "mediastore_invitations_created_total", "counter", "Invitations created.",
          m->invitations_created_total);
  metric (out, "mediastore_invitations_revoked_total", "counter", "Invitations revoked.",
          m->invitations_revoked_total);
  metric (out, "mediastore_invitations_redeemed_total", "counter",
          "Invitations redeemed for a guest token.", m->invitations_redeemed_total);

  g_string_append (out, "# HELP mediastore_invitations_refused_total Redemptions refused, "
                        "by reason.\n"
                        "# TYPE mediastore_invitations_refused_total counter\n");
  for (guint i = 0; i < MS_N_REFUSALS; i++) {
    g_string_append_printf (out, "mediastore_invitations_refused_total{reason=\"%s\"} %"
                            G_GUINT64_FORMAT "\n", ms_refusal_to_string (i),
                            m->invitations_refused_total[i]);
  }

  g_string_append (out, "# HELP mediastore_media_dropped_total Datagrams the media ports "
                        "refused, by reason.\n"
                        "# TYPE mediastore_media_dropped_total counter\n");
  for (guint i = 0; i < m->n_media_drops; i++) {
    g_string_append_printf (out, "mediastore_media_dropped_total{reason=\"%s\"} %"
                            G_GUINT64_FORMAT "\n", m->media_drop_names[i],
                            m->media_dropped_total[i]);
  }

  g_string_append (out, "# HELP mediastore_errors_total Error replies sent, by protocol code.\n"
                        "# TYPE mediastore_errors_total counter\n");
  for (guint i = 0; i < MS_N_PROTOCOL_ERRORS; i++) {
    g_string_append_printf (out, "mediastore_errors_total{code=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            ms_protocol_error_to_string (i), m->errors_total[i]);
  }

  return g_string_free (out, FALSE);
}
