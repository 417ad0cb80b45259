/* ms-peer-connection.h: one PeerConnection, a webrtcbin (private)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "ms-protocol.h"

G_BEGIN_DECLS

#define MS_TYPE_PEER_CONNECTION (ms_peer_connection_get_type ())

G_DECLARE_FINAL_TYPE (MsPeerConnection, ms_peer_connection, MS, PEER_CONNECTION, GObject)

/* A webrtcbin in @pipeline (max-bundle, UDP only, jitterbuffer @latency
 * ms, 127.0.0.1 added when @loopback, STUN and TURN from @ice_servers, of
 * MsIceServer). Every signal but ::pad-added is emitted on the main
 * context of the thread that made it, from an idle source; a PeerConnection
 * that was closed emits nothing more. */
MsPeerConnection *ms_peer_connection_new             (GstBin           *pipeline,
                                                      MsPcKind          kind,
                                                      guint             latency,
                                                      gboolean          loopback,
                                                      GPtrArray        *ice_servers);
MsPcKind          ms_peer_connection_get_kind        (MsPeerConnection *self);
GstElement       *ms_peer_connection_get_webrtcbin   (MsPeerConnection *self);
/* Whether ICE failed: a failed transport cannot be restarted in 1.22. */
gboolean          ms_peer_connection_get_failed      (MsPeerConnection *self);
/* How many offer/answer rounds completed on this webrtcbin. */
guint             ms_peer_connection_get_rounds      (MsPeerConnection *self);

/* A send-only transceiver (NACK and RTX for video) for @src, linked to
 * its new sink pad (returned, transfer full) at once. */
GstPad           *ms_peer_connection_add_sender      (MsPeerConnection *self,
                                                      GstPad           *src,
                                                      GstCaps          *caps);
/* Makes @sink's transceiver inactive for the next offer and releases the
 * pad: nothing may push into it any more (webrtcbin 1.22 stalls the whole
 * bundle when an inactive transceiver is still fed). */
void              ms_peer_connection_retire_sender   (MsPeerConnection *self,
                                                      GstPad           *sink);

/* Publish: creates an offer and sets it locally; ::offer-ready follows. */
void              ms_peer_connection_offer           (MsPeerConnection *self);
/* Publish: the answer to the last offer; ::remote-set follows. */
void              ms_peer_connection_take_answer     (MsPeerConnection *self,
                                                      GstSDPMessage    *sdp);
/* Subscribe: sets @sdp (transfer full) as the remote offer, answers it and
 * sets the answer locally; ::answer-ready follows, or ::negotiation-failed. */
void              ms_peer_connection_take_offer      (MsPeerConnection *self,
                                                      GstSDPMessage    *sdp);
/* Whether @offer's first bundled m-line has the ICE ufrag and pwd of our
 * current remote description: the same transport, renegotiated. */
gboolean          ms_peer_connection_same_transport  (MsPeerConnection *self,
                                                      const GstSDPMessage *offer);
void              ms_peer_connection_add_candidate   (MsPeerConnection *self,
                                                      guint             mline,
                                                      const char       *candidate);
/* Stops the webrtcbin and takes it out of the pipeline; nothing more is
 * emitted. Also done when the last reference goes. */
void              ms_peer_connection_close           (MsPeerConnection *self);

/* The first bundled m-line's ICE credentials of @sdp (transfer none). */
gboolean          ms_sdp_get_bundle_credentials      (const GstSDPMessage *sdp,
                                                      const char      **ufrag,
                                                      const char      **pwd);

G_END_DECLS
