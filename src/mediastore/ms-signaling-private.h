/* ms-signaling-private.h: what the publish and subscribe sides ask of the session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * MsPublisher and MsSubscriber each own a PeerConnection, but not the
 * WebSocket nor the call's settings (latency, ICE servers, loopback),
 * which change with each welcome and connect: the session hands each
 * side these hooks and itself as their owner, so that neither includes
 * the session.
 */

#pragma once

#include "ms-peer-connection.h"
#include "ms-protocol.h"

G_BEGIN_DECLS

typedef struct {
  /* Sends @msg if the socket is open. A @request gets the next id, which
   * is returned; else 0, or -1 when nothing was sent. */
  gint64             (*send)            (gpointer   owner,
                                         MsMessage *msg,
                                         gboolean   request);
  /* A new PeerConnection of @kind in the call's pipeline, with the call's
   * settings as they are now. The owner sends its candidates, logs the
   * descriptions it refuses and reconnects the call when it fails; the
   * side connects the rest. */
  MsPeerConnection * (*peer_connection) (gpointer   owner,
                                         MsPcKind   kind);
} MsSignaling;

G_END_DECLS
