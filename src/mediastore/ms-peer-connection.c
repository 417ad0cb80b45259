/* ms-peer-connection.c: one PeerConnection, a webrtcbin
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both sides of a session use this object: publish (we offer) and
 * subscribe (the server offers). webrtcbin calls back on its own threads
 * (promises, candidates, ICE state); those callbacks post a Hop holding a
 * weak reference, and the main context emits the signal only if the
 * PeerConnection still lives and was not closed. What webrtcbin 1.22 can
 * renegotiate is in docs/architecture.md ("What webrtcbin 1.22 can renegotiate").
 */

#define G_LOG_DOMAIN "MsPeerConnection"

#include "config.h"

#include <string.h>

#include "ms-media-util-private.h"
#include "ms-peer-connection.h"
#include "ms-srtp-crypto.h"

struct _MsPeerConnection {
  GObject       parent_instance;

  GMainContext *context;
  GstBin       *pipeline;
  GstElement   *webrtc;
  MsPcKind      kind;
  gboolean      closed;
  gboolean      failed;
  guint         rounds;
};

enum {
  SIGNAL_LOCAL_CANDIDATE,
  SIGNAL_OFFER_READY,
  SIGNAL_ANSWER_READY,
  SIGNAL_REMOTE_SET,
  SIGNAL_NEGOTIATION_FAILED,
  SIGNAL_FAILED,
  SIGNAL_PAD_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsPeerConnection, ms_peer_connection, G_TYPE_OBJECT)

typedef enum {
  HOP_CANDIDATE,
  HOP_OFFER_READY,
  HOP_ANSWER_READY,
  HOP_REMOTE_SET,
  HOP_NEGOTIATION_FAILED,
  HOP_FAILED,
} HopKind;

typedef struct {
  GWeakRef  pc;
  HopKind   kind;
  char     *text;
  guint     mline;
} Hop;

/* What a promise or signal callback on a webrtcbin thread holds. */
typedef struct {
  GWeakRef    pc;
  GstElement *webrtc;
} Ref;

static void
hop_free (gpointer data)
{
  Hop *hop = data;

  g_weak_ref_clear (&hop->pc);
  g_free (hop->text);
  g_free (hop);
}

static gboolean
on_hop (gpointer data)
{
  Hop *hop = data;
  g_autoptr (MsPeerConnection) self = g_weak_ref_get (&hop->pc);

  if (self == NULL || self->closed)
    return G_SOURCE_REMOVE;

  switch (hop->kind) {
  case HOP_CANDIDATE:
    g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, hop->mline, hop->text);
    break;
  case HOP_OFFER_READY:
    g_signal_emit (self, signals[SIGNAL_OFFER_READY], 0, hop->text);
    break;
  case HOP_ANSWER_READY:
    self->rounds++;
    g_signal_emit (self, signals[SIGNAL_ANSWER_READY], 0, hop->text);
    break;
  case HOP_REMOTE_SET:
    self->rounds++;
    g_signal_emit (self, signals[SIGNAL_REMOTE_SET], 0);
    break;
  case HOP_NEGOTIATION_FAILED:
    g_signal_emit (self, signals[SIGNAL_NEGOTIATION_FAILED], 0, hop->text);
    break;
  case HOP_FAILED:
    if (!self->failed) {
      self->failed = TRUE;
      g_signal_emit (self, signals[SIGNAL_FAILED], 0);
    }
    break;
  default:
    break;
  }

  return G_SOURCE_REMOVE;
}

/* Always a source on the context, never run in place: with
 * g_main_context_invoke() a streaming thread that finds the context free
 * (its owner busy outside an iteration) runs the hop itself, and a
 * webrtcbin would then be stopped from its own thread (seen: a deadlock
 * when a call ended while a renegotiation's answer was being applied). */
static void
post (MsPeerConnection *self,
      HopKind           kind,
      char             *text,
      guint             mline)
{
  Hop *hop = g_new0 (Hop, 1);
  GSource *source = g_idle_source_new ();

  g_weak_ref_init (&hop->pc, self);
  hop->kind = kind;
  hop->text = text;
  hop->mline = mline;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, on_hop, hop, hop_free);
  g_source_set_static_name (source, "[mediastore] hop");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

static Ref *
ref_new (MsPeerConnection *self)
{
  Ref *ref = g_new0 (Ref, 1);

  g_weak_ref_init (&ref->pc, self);
  ref->webrtc = gst_object_ref (self->webrtc);

  return ref;
}

static void
ref_free (gpointer data)
{
  Ref *ref = data;

  g_weak_ref_clear (&ref->pc);
  gst_object_unref (ref->webrtc);
  g_free (ref);
}

static void
ref_closure_free (gpointer  data,
                  GClosure *closure)
{
  ref_free (data);
}

/* The error text of a promise's reply, or NULL if it has none. */
static char *
reply_error (GstPromise *promise)
{
  const GstStructure *reply = gst_promise_get_reply (promise);
  g_autoptr (GError) error = NULL;

  if (reply == NULL || !gst_structure_has_field (reply, "error"))
    return NULL;
  gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);

  return g_strdup (error != NULL ? error->message : "unknown error");
}

static void
ms_peer_connection_dispose (GObject *object)
{
  MsPeerConnection *self = MS_PEER_CONNECTION (object);

  ms_peer_connection_close (self);

  G_OBJECT_CLASS (ms_peer_connection_parent_class)->dispose (object);
}

static void
ms_peer_connection_finalize (GObject *object)
{
  MsPeerConnection *self = MS_PEER_CONNECTION (object);

  g_main_context_unref (self->context);

  G_OBJECT_CLASS (ms_peer_connection_parent_class)->finalize (object);
}

static void
ms_peer_connection_class_init (MsPeerConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_peer_connection_dispose;
  object_class->finalize = ms_peer_connection_finalize;

  /* webrtcbin's srtpenc and srtpdec run on libsrtp2, whose AES and HMAC
   * on Debian are NSS's at several times OpenSSL's cost per packet
   * (ms-srtp-crypto.c): before the first PeerConnection, give it
   * OpenSSL's. If libsrtp2 does not start, GStreamer's srtp elements
   * will say so themselves. */
  ms_srtp_crypto_init ();

  signals[SIGNAL_LOCAL_CANDIDATE] =
    g_signal_new ("local-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  /* The offer, set as the local description. */
  signals[SIGNAL_OFFER_READY] =
    g_signal_new ("offer-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The answer, set as the local description. */
  signals[SIGNAL_ANSWER_READY] =
    g_signal_new ("answer-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_REMOTE_SET] =
    g_signal_new ("remote-set", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  /* webrtcbin refused a description: its message. */
  signals[SIGNAL_NEGOTIATION_FAILED] =
    g_signal_new ("negotiation-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* ICE failed; emitted once. */
  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  /* A received stream's src pad, on a streaming thread: the handler must
   * link it before it returns (an unlinked pad stops the whole bundle). */
  signals[SIGNAL_PAD_ADDED] =
    g_signal_new ("pad-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, GST_TYPE_PAD);
}

static void
ms_peer_connection_init (MsPeerConnection *self)
{
  self->context = g_main_context_ref_thread_default ();
}

static void
on_ice_candidate (GstElement *webrtc,
                  guint       mline,
                  const char *candidate,
                  Ref        *ref)
{
  g_autoptr (MsPeerConnection) self = g_weak_ref_get (&ref->pc);

  if (self != NULL)
    post (self, HOP_CANDIDATE, g_strdup (candidate), mline);
}

/* Any thread. */
static void
on_ice_state (GstElement *webrtc,
              GParamSpec *pspec,
              Ref        *ref)
{
  g_autoptr (MsPeerConnection) self = g_weak_ref_get (&ref->pc);
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  if (self != NULL && state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    post (self, HOP_FAILED, NULL, 0);
}

static void
on_pad_added (GstElement *webrtc,
              GstPad     *pad,
              Ref        *ref)
{
  g_autoptr (MsPeerConnection) self = g_weak_ref_get (&ref->pc);

  if (self != NULL && GST_PAD_DIRECTION (pad) == GST_PAD_SRC)
    g_signal_emit (self, signals[SIGNAL_PAD_ADDED], 0, pad);
}

/* The answerer's transceivers are made by webrtcbin: NACK (and with it
 * RTX, answered from the offer's rtx payload) is switched on here, for
 * video only: lost Opus packets are concealed, as browsers do. */
static void
on_new_transceiver (GstElement              *webrtc,
                    GstWebRTCRTPTransceiver *transceiver,
                    gpointer                 user_data)
{
  GstWebRTCKind kind;

  g_object_get (transceiver, "kind", &kind, NULL);
  if (kind == GST_WEBRTC_KIND_VIDEO)
    g_object_set (transceiver, "do-nack", TRUE, NULL);
}

static void
configure_ice (GstElement *webrtc,
               gboolean    loopback,
               GPtrArray  *ice_servers)
{
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;

  /* UDP only: the server offers no ICE-TCP, and gathering TCP candidates
   * costs ports that may fail to bind. */
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);
  /* No UPnP, as in browsers: a port mapped on the user's router serves
   * only peers that must reach us, and the server never does (ICE-lite,
   * it answers the checks we send). libnice's client would join SSDP on
   * every interface and search the LAN for each PeerConnection. */
  g_object_get (ice, "agent", &agent, NULL);
  g_object_set (agent, "upnp", FALSE, NULL);

  if (loopback) {
    gboolean added = FALSE;

    /* libnice skips loopback interfaces unless told about them. */
    g_signal_emit_by_name (ice, "add-local-ip-address", "127.0.0.1", &added);
  }

  for (guint i = 0; ice_servers != NULL && i < ice_servers->len; i++) {
    MsIceServer *server = g_ptr_array_index (ice_servers, i);

    for (guint j = 0; server->urls != NULL && server->urls[j] != NULL; j++) {
      const char *url = server->urls[j];

      if (g_str_has_prefix (url, "stun:")) {
        g_autofree char *stun = g_strconcat ("stun://", url + strlen ("stun:"), NULL);

        g_object_set (webrtc, "stun-server", stun, NULL);
      } else if (g_str_has_prefix (url, "turn:") || g_str_has_prefix (url, "turns:")) {
        gboolean secure = g_str_has_prefix (url, "turns:");
        g_autofree char *user = g_uri_escape_string (server->username ? server->username : "",
                                                     NULL, FALSE);
        g_autofree char *pass = g_uri_escape_string (server->credential ?
                                                     server->credential : "", NULL, FALSE);
        g_autofree char *turn = g_strdup_printf ("%s://%s:%s@%s", secure ? "turns" : "turn",
                                                 user, pass, strchr (url, ':') + 1);
        gboolean ok = FALSE;

        g_signal_emit_by_name (webrtc, "add-turn-server", turn, &ok);
      }
    }
  }
}

/* A subscribe PeerConnection's regular receiver reports go about once a
 * second, as browsers send theirs; its feedback (NACK, PLI) does not wait
 * for them. rtcp-min-interval is only T_rr_interval (RFC 4585), which
 * spaces the regular reports. Feedback is spaced by the interval RFC 3550
 * derives from the RTCP bandwidth: after any RTCP packet, an early one
 * is not asked for while the next check comes before the NACK's deadline
 * (rtp_session_request_early_rtcp()), so every request until then waits
 * for it. With the defaults (5 % of the bandwidth) a third of the
 * subscriber's NACKs never reached the server under 5 % loss; at half of
 * the received bitrate that interval was still 33 to 44 ms, so the
 * jitterbuffer's retries every 12 ms went out as one NACK: two tries at
 * most within its 60 ms, and a packet whose NACK or retransmission was
 * lost twice (in seven of fifteen 15 s runs at 5 % loss) froze the
 * picture for 136 to 234 ms until a keyframe came. With a budget of
 * RTCP_FEEDBACK_BANDWIDTH the interval is a few milliseconds, each retry
 * goes when it is due, and in ten such runs no packet was lost after the
 * jitterbuffer (longest freezes 95 to 113 ms). The regular reports stay
 * once a second (the budget is a ceiling, T_rr_interval the pace); the
 * feedback is as much as the losses ask for. Regular reports every 10 ms,
 * as before, were 94 a second per PeerConnection: 40 % of the UDP
 * datagrams of a one-to-one call, and 780 a second for an 8-peer mesh's
 * server to unprotect, each a wake-up of its own, with no gain in loss
 * recovery (tests/test-resilience.c, /resilience/quality). */
#define RTCP_MIN_INTERVAL (1000 * GST_MSECOND)
/* In bits per second: rtcp-fraction takes a value of 1 or more as one. */
#define RTCP_FEEDBACK_BANDWIDTH 4000000.0

/* A publish PeerConnection receives no media: it has no feedback to
 * give, and its reports are sender reports, which the server needs now
 * and then to map RTP time to wall-clock time. At 10 ms its 100 reports
 * a second per peer were more than half of what an 8-peer mesh's server
 * received (about 800 of 2,600 datagrams a second, each a wake-up and an
 * SRTCP unprotect). Half a second is what browsers do; it also keeps a
 * publisher whose tracks are all paused well inside any consent
 * timeout. */
#define RTCP_PUBLISH_INTERVAL (500 * GST_MSECOND)

typedef struct {
  MsPcKind kind;
  guint    latency;
} RtpSetup;

/* rtpbin's parts, as they are made. The jitterbuffer asks again for a
 * missing packet every fifth of its latency (at least 10 ms) rather than
 * every 40 ms until it has measured a retransmission's round trip: with
 * the 60 ms default only one request would fit. It also asks for a
 * next packet it guesses late (rtx-next-seqnum): without that, a frame's
 * lost last packets are noticed only when the next frame comes, and
 * under 5 % loss freezes of 440 ms came back (once in four runs, in CI);
 * on a busy machine the guess asks again for packets that were only
 * late (the 8-peer mesh benchmark's clients, bench/RESULTS.md). */
static void
on_rtp_element (GstBin     *rtpbin,
                GstElement *element,
                gpointer    user_data)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  const RtpSetup *setup = user_data;
  const char *name = factory != NULL ? GST_OBJECT_NAME (factory) : "";

  if (g_str_equal (name, "rtpsession") && setup->kind == MS_PC_PUBLISH)
    g_object_set (element,
                  "rtcp-min-interval", (guint64) RTCP_PUBLISH_INTERVAL,
                  NULL);
  else if (g_str_equal (name, "rtpsession"))
    g_object_set (element,
                  "rtcp-min-interval", (guint64) RTCP_MIN_INTERVAL,
                  "rtcp-fraction", RTCP_FEEDBACK_BANDWIDTH,
                  NULL);
  else if (g_str_equal (name, "rtpjitterbuffer"))
    g_object_set (element,
                  "rtx-retry-timeout", MAX (10, (gint) setup->latency / 5),
                  "rtx-min-retry-timeout", 5,
                  NULL);
}

/* webrtcbin 1.22 puts a clocksync in front of each stream it sends,
 * which holds every buffer until its running time plus the latency that
 * upstream declares. Our sources are live (or paced: a file's identity
 * syncs), so that wait only adds what the source and the encoder chain
 * claim: 33 ms for a 30 fps camera or videotestsrc, measured on the
 * sending side, on top of the time the frame really took. Each packet
 * goes out as soon as it is made instead; rtpsession's sender reports
 * map RTP time from the buffers' timestamps, not from when they pass. */
static void
on_webrtc_element (GstBin     *webrtc,
                   GstElement *element,
                   gpointer    user_data)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "clocksync"))
    g_object_set (element, "sync", FALSE, NULL);
}

MsPeerConnection *
ms_peer_connection_new (GstBin    *pipeline,
                        MsPcKind   kind,
                        guint      latency,
                        gboolean   loopback,
                        GPtrArray *ice_servers)
{
  MsPeerConnection *self = g_object_new (MS_TYPE_PEER_CONNECTION, NULL);

  self->kind = kind;
  self->pipeline = gst_object_ref (pipeline);
  self->webrtc = gst_object_ref (gst_element_factory_make ("webrtcbin", NULL));
  g_object_set (self->webrtc,
                "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", latency,
                NULL);
  configure_ice (self->webrtc, loopback, ice_servers);
  {
    g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (self->webrtc), "rtpbin");
    RtpSetup *setup = g_new (RtpSetup, 1);

    setup->kind = kind;
    setup->latency = latency;
    if (rtpbin != NULL) {
      g_signal_connect_data (rtpbin, "element-added", G_CALLBACK (on_rtp_element), setup,
                             (GClosureNotify) G_CALLBACK (g_free), 0);
    } else {
      g_free (setup);
      g_warn_if_reached ();
    }
  }
  g_signal_connect_data (self->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate),
                         ref_new (self), ref_closure_free, 0);
  g_signal_connect_data (self->webrtc, "notify::ice-connection-state", G_CALLBACK (on_ice_state),
                         ref_new (self), ref_closure_free, 0);
  if (kind == MS_PC_PUBLISH)
    g_signal_connect (self->webrtc, "element-added", G_CALLBACK (on_webrtc_element), NULL);
  if (kind == MS_PC_SUBSCRIBE) {
    g_signal_connect_data (self->webrtc, "pad-added", G_CALLBACK (on_pad_added),
                           ref_new (self), ref_closure_free, 0);
    g_signal_connect (self->webrtc, "on-new-transceiver", G_CALLBACK (on_new_transceiver), NULL);
  }

  gst_bin_add (pipeline, self->webrtc);
  gst_element_sync_state_with_parent (self->webrtc);

  return self;
}

MsPcKind
ms_peer_connection_get_kind (MsPeerConnection *self)
{
  return self->kind;
}

GstElement *
ms_peer_connection_get_webrtcbin (MsPeerConnection *self)
{
  return self->webrtc;
}

gboolean
ms_peer_connection_get_failed (MsPeerConnection *self)
{
  return self->failed;
}

guint
ms_peer_connection_get_rounds (MsPeerConnection *self)
{
  return self->rounds;
}

static GstWebRTCKind
webrtc_kind_of (GstCaps *caps)
{
  const char *media = gst_structure_get_string (gst_caps_get_structure (caps, 0), "media");

  return g_strcmp0 (media, "video") == 0 ? GST_WEBRTC_KIND_VIDEO : GST_WEBRTC_KIND_AUDIO;
}

GstPad *
ms_peer_connection_add_sender (MsPeerConnection *self,
                               GstPad           *src,
                               GstCaps          *caps)
{
  GstPadTemplate *templ = gst_element_get_pad_template (self->webrtc, "sink_%u");
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;
  GstPad *sink = gst_element_request_pad (self->webrtc, templ, NULL, caps);

  /* Requesting with caps makes a transceiver of its own (1.22) but does
   * not give it the caps: the m-line comes from the track's fixed caps
   * (a caps query); direction and NACK (which brings RTX into the offer)
   * are set here, before the offer. */
  g_object_get (sink, "transceiver", &transceiver, NULL);
  g_object_set (transceiver,
                "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                "do-nack", webrtc_kind_of (caps) == GST_WEBRTC_KIND_VIDEO,
                NULL);
  gst_pad_link (src, sink);

  return sink;
}

void
ms_peer_connection_retire_sender (MsPeerConnection *self,
                                  GstPad           *sink)
{
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;

  g_object_get (sink, "transceiver", &transceiver, NULL);
  if (transceiver != NULL)
    g_object_set (transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, NULL);
  gst_element_release_request_pad (self->webrtc, sink);
}

static void
on_local_set (GstPromise *promise,
              gpointer    user_data)
{
  Hop *hop = user_data;
  g_autoptr (MsPeerConnection) self = g_weak_ref_get (&hop->pc);
  char *error = reply_error (promise);

  gst_promise_unref (promise);
  if (self != NULL && error != NULL) {
    post (self, HOP_NEGOTIATION_FAILED, error, 0);
  } else if (self != NULL) {
    post (self, hop->kind, g_steal_pointer (&hop->text), 0);
  } else {
    g_free (error);
  }
  hop_free (hop);
}

static void
on_description_created (GstPromise *promise,
                        gpointer    user_data)
{
  Ref *ref = user_data;
  g_autoptr (MsPeerConnection) self = g_weak_ref_get (&ref->pc);
  const GstStructure *reply = gst_promise_get_reply (promise);
  g_autoptr (GstWebRTCSessionDescription) desc = NULL;
  const char *field = NULL;
  Hop *hop;

  if (self != NULL)
    field = self->kind == MS_PC_PUBLISH ? "offer" : "answer";
  if (field != NULL && reply != NULL && gst_structure_has_field (reply, field))
    gst_structure_get (reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
  if (self != NULL && desc == NULL) {
    char *error = reply_error (promise);

    post (self, HOP_NEGOTIATION_FAILED,
          error != NULL ? error : g_strdup_printf ("webrtcbin made no %s", field), 0);
  }
  gst_promise_unref (promise);
  if (desc == NULL)
    return;

  /* The mids are known once the local description is set: the hop goes
   * when it is, and only if webrtcbin took it. */
  hop = g_new0 (Hop, 1);
  g_weak_ref_init (&hop->pc, self);
  hop->kind = self->kind == MS_PC_PUBLISH ? HOP_OFFER_READY : HOP_ANSWER_READY;
  hop->text = gst_sdp_message_as_text (desc->sdp);
  g_signal_emit_by_name (ref->webrtc, "set-local-description", desc,
                         gst_promise_new_with_change_func (on_local_set, hop, NULL));
}

void
ms_peer_connection_offer (MsPeerConnection *self)
{
  g_return_if_fail (self->kind == MS_PC_PUBLISH);

  g_signal_emit_by_name (self->webrtc, "create-offer", NULL,
                         gst_promise_new_with_change_func (on_description_created, ref_new (self),
                                                           ref_free));
}

static void
on_remote_set (GstPromise *promise,
               gpointer    user_data)
{
  Ref *ref = user_data;
  g_autoptr (MsPeerConnection) self = g_weak_ref_get (&ref->pc);
  char *error = reply_error (promise);

  gst_promise_unref (promise);
  if (self == NULL) {
    g_free (error);
    return;
  }

  if (error != NULL) {
    post (self, HOP_NEGOTIATION_FAILED, error, 0);
  } else if (self->kind == MS_PC_SUBSCRIBE) {
    g_signal_emit_by_name (ref->webrtc, "create-answer", NULL,
                           gst_promise_new_with_change_func (on_description_created,
                                                             ref_new (self), ref_free));
  } else {
    post (self, HOP_REMOTE_SET, NULL, 0);
  }
}

static void
set_remote (MsPeerConnection *self,
            GstWebRTCSDPType  type,
            GstSDPMessage    *sdp)
{
  g_autoptr (GstWebRTCSessionDescription) desc = gst_webrtc_session_description_new (type, sdp);

  g_signal_emit_by_name (self->webrtc, "set-remote-description", desc,
                         gst_promise_new_with_change_func (on_remote_set, ref_new (self),
                                                           ref_free));
}

void
ms_peer_connection_take_answer (MsPeerConnection *self,
                                GstSDPMessage    *sdp)
{
  g_return_if_fail (self->kind == MS_PC_PUBLISH);

  set_remote (self, GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
}

void
ms_peer_connection_take_offer (MsPeerConnection *self,
                               GstSDPMessage    *sdp)
{
  g_return_if_fail (self->kind == MS_PC_SUBSCRIBE);

  set_remote (self, GST_WEBRTC_SDP_TYPE_OFFER, sdp);
}

gboolean
ms_sdp_get_bundle_credentials (const GstSDPMessage  *sdp,
                               const char          **ufrag,
                               const char          **pwd)
{
  guint index = 0;

  /* The first mid of the BUNDLE group names the m-line whose transport
   * the bundle uses (RFC 8843); without a group, the first m-line. */
  for (guint i = 0; i < gst_sdp_message_attributes_len (sdp); i++) {
    const GstSDPAttribute *attr = gst_sdp_message_get_attribute (sdp, i);
    g_auto (GStrv) words = NULL;

    if (g_strcmp0 (attr->key, "group") != 0 || attr->value == NULL)
      continue;
    words = g_strsplit (attr->value, " ", -1);
    if (g_strcmp0 (words[0], "BUNDLE") != 0 || words[1] == NULL)
      continue;
    for (guint j = 0; j < gst_sdp_message_medias_len (sdp); j++) {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, j);

      if (g_strcmp0 (gst_sdp_media_get_attribute_val (media, "mid"), words[1]) == 0) {
        index = j;
        break;
      }
    }
    break;
  }
  if (index >= gst_sdp_message_medias_len (sdp))
    return FALSE;

  {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, index);

    *ufrag = gst_sdp_media_get_attribute_val (media, "ice-ufrag");
    *pwd = gst_sdp_media_get_attribute_val (media, "ice-pwd");
  }
  /* Session-level credentials apply to every m-line without its own. */
  if (*ufrag == NULL)
    *ufrag = gst_sdp_message_get_attribute_val (sdp, "ice-ufrag");
  if (*pwd == NULL)
    *pwd = gst_sdp_message_get_attribute_val (sdp, "ice-pwd");

  return *ufrag != NULL && *pwd != NULL;
}

gboolean
ms_peer_connection_same_transport (MsPeerConnection    *self,
                                   const GstSDPMessage *offer)
{
  g_autoptr (GstWebRTCSessionDescription) current = NULL;
  const char *ufrag, *pwd, *old_ufrag, *old_pwd;

  if (self->closed || self->failed)
    return FALSE;
  g_object_get (self->webrtc, "current-remote-description", &current, NULL);
  if (current == NULL)
    return FALSE;

  return ms_sdp_get_bundle_credentials (offer, &ufrag, &pwd) &&
         ms_sdp_get_bundle_credentials (current->sdp, &old_ufrag, &old_pwd) &&
         g_str_equal (ufrag, old_ufrag) && g_str_equal (pwd, old_pwd);
}

void
ms_peer_connection_add_candidate (MsPeerConnection *self,
                                  guint             mline,
                                  const char       *candidate)
{
  if (!self->closed && candidate[0] != '\0')
    g_signal_emit_by_name (self->webrtc, "add-ice-candidate", mline, candidate);
}

void
ms_peer_connection_close (MsPeerConnection *self)
{
  if (self->webrtc == NULL)
    return;

  self->closed = TRUE;
  ms_media_discard_element (self->pipeline, self->webrtc);
  gst_clear_object (&self->webrtc);
  gst_clear_object (&self->pipeline);
}
