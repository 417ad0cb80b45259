/* test-engine.c: the engine's transport against a real webrtcbin
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client side is a webrtcbin built as libmediastore builds it
 * (max-bundle, VP8 with an a=ssrc); the answer's transport part comes
 * from ms_engine_sdp_fill_answer(). The engine echoes what it receives
 * on a second m-line with a new SSRC. Bad input goes to the same port
 * while the call flows. Two engine transports negotiate AEAD_AES_128_GCM
 * between themselves (GStreamer 1.22 offers only AES128_CM_SHA1_80).
 */

#include "config.h"

#include <string.h>
#include <stdatomic.h>

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>

#include "ms-engine.h"
#include "test-utils.h"

#define SENT_SSRC 0x11223344u
#define ECHO_SSRC 0x55667788u
#define SENT_PT 96
#define CONSENT_MS 1500

typedef struct {
  MsEngineWorker *worker;
  guint           id;          /* the transport that echoes */
  _Atomic guint   rtp_in;
  _Atomic guint   rtcp_in;
  _Atomic guint   wrong_rtp;   /* not our SSRC or payload type */
  _Atomic guint   echoed;
  _Atomic guint   received;    /* by webrtcbin, through its pad */
  guint           failed_id;   /* set on the main context */
  gboolean        failed_on_main;
  guint           connected[4];
  guint           n_connected;
} Fixture;

static gboolean
strip_extension (guint8 *data,
                 gsize  *len)
{
  gsize csrc_end, ext_len;

  if (!ms_engine_rtp_parse (data, *len, NULL, NULL, NULL))
    return FALSE;
  if (!(data[0] & 0x10))
    return TRUE;
  csrc_end = 12 + 4 * (data[0] & 0x0f);
  ext_len = 4 + 4 * (gsize) ((data[csrc_end + 2] << 8) | data[csrc_end + 3]);
  memmove (data + csrc_end, data + csrc_end + ext_len, *len - csrc_end - ext_len);
  *len -= ext_len;
  data[0] &= ~0x10;
  return TRUE;
}

/* Worker thread. */
static void
on_rtp (MsEngineWorker *worker,
        guint           transport_id,
        gboolean        is_rtcp,
        guint8         *data,
        gsize           len,
        gpointer        user_data)
{
  Fixture *f = user_data;
  guint8 pt = 0;
  guint32 ssrc = 0;

  g_assert_false (g_main_context_is_owner (g_main_context_default ()));
  if (is_rtcp) {
    atomic_fetch_add (&f->rtcp_in, 1);
    return;
  }
  g_assert_true (ms_engine_rtp_parse (data, len, &pt, &ssrc, NULL));
  if (ssrc != SENT_SSRC || pt != SENT_PT) {
    atomic_fetch_add (&f->wrong_rtp, 1);
    return;
  }
  atomic_fetch_add (&f->rtp_in, 1);
  if (transport_id == f->id && strip_extension (data, &len)) {
    data[8] = ECHO_SSRC >> 24;
    data[9] = (ECHO_SSRC >> 16) & 0xff;
    data[10] = (ECHO_SSRC >> 8) & 0xff;
    data[11] = ECHO_SSRC & 0xff;
    ms_engine_worker_send_batch (worker, &transport_id, 1, data, len);
    atomic_fetch_add (&f->echoed, 1);
  }
}

static void
on_state (MsEngineWorker *worker,
          guint           transport_id,
          MsEngineState   state,
          gpointer        user_data)
{
  Fixture *f = user_data;

  if (state == MS_ENGINE_STATE_FAILED) {
    f->failed_id = transport_id;
    f->failed_on_main = g_main_context_is_owner (g_main_context_default ());
  } else if (state == MS_ENGINE_STATE_CONNECTED && f->n_connected < G_N_ELEMENTS (f->connected)) {
    f->connected[f->n_connected++] = transport_id;
  }
}

static MsEngineWorker *
worker_new (Fixture *f)
{
  MsEngineWorkerConfig config = {
    .bind_address = "127.0.0.1",
    .port = 0,
    .consent_timeout_ms = CONSENT_MS,
    .rtp_func = on_rtp,
    .state_func = on_state,
    .user_data = f,
  };
  g_autoptr (GError) error = NULL;
  MsEngineWorker *worker = ms_engine_worker_new (&config, &error);

  g_assert_no_error (error);
  g_assert_nonnull (worker);
  g_assert_cmpuint (ms_engine_worker_get_port (worker), >, 0);
  return worker;
}

static guint64
drops (MsEngineWorker *worker,
       MsEngineDrop    reason)
{
  MsEngineStats stats;

  ms_engine_worker_get_stats (worker, &stats);
  return stats.dropped[reason];
}

static guint64
all_drops (MsEngineWorker *worker)
{
  MsEngineStats stats;
  guint64 sum = 0;

  ms_engine_worker_get_stats (worker, &stats);
  for (guint i = 0; i < MS_ENGINE_N_DROPS; i++)
    sum += stats.dropped[i];
  return sum;
}

/* SDP */

static const char offer_text[] =
  "v=0\r\n"
  "o=- 1 0 IN IP4 127.0.0.1\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=group:BUNDLE video0 video1\r\n"
  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=mid:video0\r\n"
  "a=ice-ufrag:firstufrag\r\n"
  "a=ice-pwd:firstpasswordfirstpassword\r\n"
  "a=fingerprint:sha-256 AA:BB:CC\r\n"
  "a=setup:actpass\r\n"
  "a=rtcp-mux\r\n"
  "a=rtpmap:96 VP8/90000\r\n"
  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=mid:video1\r\n"
  "a=ice-ufrag:otherufrag\r\n"
  "a=ice-pwd:otherpasswordotherpassword\r\n"
  "a=fingerprint:sha-256 DD:EE:FF\r\n"
  "a=setup:active\r\n"
  "a=rtcp-mux\r\n"
  "a=rtpmap:96 VP8/90000\r\n";

static GstSDPMessage *
parse_sdp (const char *text)
{
  GstSDPMessage *sdp = NULL;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  return sdp;
}

static void
expect_offer_error (const char *from,
                    const char *to,
                    gint        code)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) parts = g_strsplit (offer_text, from, -1);
  GstSDPMessage *sdp;
  MsEngineOffer offer;

  text = g_strjoinv (to, parts);
  g_test_message ("offer with \"%s\" as \"%s\"", from, to);
  sdp = parse_sdp (text);
  g_assert_false (ms_engine_sdp_read_offer (sdp, MS_ENGINE_SETUP_PASSIVE, &offer, &error));
  g_assert_error (error, MS_ENGINE_ERROR, code);
  gst_sdp_message_free (sdp);
}

static void
test_sdp_bundle_credentials (void)
{
  GstSDPMessage *sdp = parse_sdp (offer_text);
  g_autoptr (GError) error = NULL;
  MsEngineOffer offer;

  /* RFC 8843: the later m-line's other credentials are accepted, the
   * first m-line's are the transport's. */
  g_assert_true (ms_engine_sdp_read_offer (sdp, MS_ENGINE_SETUP_PASSIVE, &offer, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (offer.ufrag, ==, "firstufrag");
  g_assert_cmpstr (offer.pwd, ==, "firstpasswordfirstpassword");
  g_assert_cmpstr (offer.fingerprint, ==, "sha-256 AA:BB:CC");
  g_assert_cmpstr (offer.bundle_mid, ==, "video0");
  g_assert_cmpint (offer.setup, ==, MS_ENGINE_SETUP_PASSIVE);
  ms_engine_offer_clear (&offer);
  g_assert_true (ms_engine_sdp_read_offer (sdp, MS_ENGINE_SETUP_ACTIVE, &offer, NULL));
  g_assert_cmpint (offer.setup, ==, MS_ENGINE_SETUP_ACTIVE);
  ms_engine_offer_clear (&offer);
  gst_sdp_message_free (sdp);

  expect_offer_error ("a=group:BUNDLE video0 video1\r\n", "", MS_ENGINE_ERROR_NO_BUNDLE);
  expect_offer_error ("a=group:BUNDLE video0", "a=group:BUNDLE nosuchmid", MS_ENGINE_ERROR_NO_BUNDLE);
  expect_offer_error ("a=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\nm=", "a=rtpmap:96 VP8/90000\r\nm=",
                      MS_ENGINE_ERROR_NO_RTCP_MUX);
  expect_offer_error ("a=fingerprint:sha-256 AA:BB:CC\r\n", "", MS_ENGINE_ERROR_NO_FINGERPRINT);
  expect_offer_error ("sha-256 AA", "md5 AA", MS_ENGINE_ERROR_UNKNOWN_CRYPTO);
  expect_offer_error ("a=ice-ufrag:firstufrag\r\n", "", MS_ENGINE_ERROR_NO_ICE_CREDENTIALS);
  expect_offer_error ("a=setup:actpass", "a=setup:sideways", MS_ENGINE_ERROR_BAD_SETUP);
}

static void
test_sdp_answer (void)
{
  GstSDPMessage *answer = NULL;
  const GstSDPMedia *media;
  g_autofree char *text = NULL;
  g_autofree char *fingerprint = NULL;

  gst_sdp_message_new (&answer);
  for (guint i = 0; i < 2; i++) {
    GstSDPMedia *m = NULL;
    g_autofree char *mid = g_strdup_printf ("m%u", i);

    gst_sdp_media_new (&m);
    gst_sdp_media_set_media (m, "video");
    gst_sdp_media_add_attribute (m, "mid", mid);
    gst_sdp_message_add_media (answer, m);
    gst_sdp_media_free (m);
  }
  ms_engine_sdp_fill_answer (answer, "ufrag123", "pwd456pwd456pwd456pwd456", MS_ENGINE_SETUP_PASSIVE,
                             "127.0.0.1", 4242);
  fingerprint = g_strdup_printf ("sha-256 %s", ms_engine_certificate_fingerprint ());
  g_assert_cmpuint (strlen (ms_engine_certificate_fingerprint ()), ==, 32 * 3 - 1);
  g_assert_nonnull (gst_sdp_message_get_attribute_val (answer, "ice-lite"));
  g_assert_cmpstr (gst_sdp_message_get_attribute_val (answer, "group"), ==, "BUNDLE m0 m1");
  media = gst_sdp_message_get_media (answer, 1);
  g_assert_cmpuint (gst_sdp_media_get_port (media), ==, 4242);
  g_assert_cmpstr (gst_sdp_media_get_attribute_val (media, "ice-ufrag"), ==, "ufrag123");
  g_assert_cmpstr (gst_sdp_media_get_attribute_val (media, "ice-pwd"), ==, "pwd456pwd456pwd456pwd456");
  g_assert_cmpstr (gst_sdp_media_get_attribute_val (media, "fingerprint"), ==, fingerprint);
  g_assert_cmpstr (gst_sdp_media_get_attribute_val (media, "setup"), ==, "passive");
  g_assert_nonnull (gst_sdp_media_get_attribute_val (media, "rtcp-mux"));
  g_assert_cmpstr (gst_sdp_media_get_attribute_val (media, "candidate"), ==,
                   "1 1 udp 2130706431 127.0.0.1 4242 typ host");
  text = gst_sdp_message_as_text (answer);
  g_assert_nonnull (strstr (text, "c=IN IP4 127.0.0.1"));
  gst_sdp_message_free (answer);
}

static void
test_classify (void)
{
  static const guint8 stun[] = { 0x00, 0x01 }, dtls[] = { 22, 0xfe }, rtp[] = { 0x80, 96 },
    rtp_marker[] = { 0x80, 0x80 | 96 }, rtcp[] = { 0x80, 200 }, other[] = { 100, 0 };
  static const guint8 rtcp_rr[] = { 0x80, 201, 0, 1, 1, 2, 3, 4 };
  static const guint8 record[] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };

  g_assert_cmpint (ms_engine_classify (stun, 2), ==, MS_ENGINE_PACKET_STUN);
  g_assert_cmpint (ms_engine_classify (dtls, 2), ==, MS_ENGINE_PACKET_DTLS);
  g_assert_cmpint (ms_engine_classify (rtp, 2), ==, MS_ENGINE_PACKET_RTP);
  g_assert_cmpint (ms_engine_classify (rtp_marker, 2), ==, MS_ENGINE_PACKET_RTP);
  g_assert_cmpint (ms_engine_classify (rtcp, 2), ==, MS_ENGINE_PACKET_RTCP);
  g_assert_cmpint (ms_engine_classify (other, 2), ==, MS_ENGINE_PACKET_UNKNOWN);
  g_assert_cmpint (ms_engine_classify (rtp, 0), ==, MS_ENGINE_PACKET_UNKNOWN);
  g_assert_true (ms_engine_rtcp_check (rtcp_rr, sizeof rtcp_rr, 0));
  g_assert_false (ms_engine_rtcp_check (rtcp_rr, sizeof rtcp_rr - 1, 0));
  g_assert_true (ms_engine_dtls_check (record, sizeof record));
  g_assert_false (ms_engine_dtls_check (record, sizeof record - 1));
}

/* webrtcbin, the client */

static GstPadProbeReturn
count_buffer (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  Fixture *f = user_data;

  atomic_fetch_add (&f->received, 1);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *webrtc,
              GstPad     *pad,
              gpointer    user_data)
{
  Fixture *f = user_data;
  GstElement *pipeline = GST_ELEMENT (gst_element_get_parent (webrtc));
  GstElement *sink;
  g_autoptr (GstPad) sinkpad = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC) {
    gst_object_unref (pipeline);
    return;
  }
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  g_assert_cmpint (gst_pad_link (pad, sinkpad), ==, GST_PAD_LINK_OK);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, f, NULL);
  gst_object_unref (pipeline);
}

static const GstStructure *
wait_promise (GstPromise *promise)
{
  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  return gst_promise_get_reply (promise);
}

static void
copy_attributes (GstSDPMedia       *to,
                 const GstSDPMedia *from)
{
  static const char * const keys[] = { "rtpmap", "fmtp", "rtcp-fb", "mid" };

  for (guint i = 0; i < gst_sdp_media_attributes_len (from); i++) {
    const GstSDPAttribute *attr = gst_sdp_media_get_attribute (from, i);

    if (g_strv_contains (keys, attr->key))
      gst_sdp_media_add_attribute (to, attr->key, attr->value);
  }
}

/* The media part mirrors the offer; the transport part is the engine's. */
static GstSDPMessage *
make_answer (const GstSDPMessage *offer,
             const char          *ufrag,
             const char          *pwd,
             MsEngineSetup        setup,
             guint16              port)
{
  GstSDPMessage *answer = NULL;

  gst_sdp_message_new (&answer);
  gst_sdp_message_set_version (answer, "0");
  gst_sdp_message_set_origin (answer, "-", "1", "0", "IN", "IP4", "127.0.0.1");
  gst_sdp_message_set_session_name (answer, "-");
  gst_sdp_message_add_time (answer, "0", "0", NULL);
  for (guint i = 0; i < gst_sdp_message_medias_len (offer); i++) {
    const GstSDPMedia *om = gst_sdp_message_get_media (offer, i);
    GstSDPMedia *m = NULL;

    gst_sdp_media_new (&m);
    gst_sdp_media_set_media (m, gst_sdp_media_get_media (om));
    gst_sdp_media_set_proto (m, gst_sdp_media_get_proto (om));
    for (guint j = 0; j < gst_sdp_media_formats_len (om); j++)
      gst_sdp_media_add_format (m, gst_sdp_media_get_format (om, j));
    copy_attributes (m, om);
    if (gst_sdp_media_get_attribute_val (om, "sendonly") != NULL) {
      gst_sdp_media_add_attribute (m, "recvonly", "");
    } else {
      g_autofree char *ssrc = g_strdup_printf ("%u cname:engine", ECHO_SSRC);

      gst_sdp_media_add_attribute (m, "sendonly", "");
      gst_sdp_media_add_attribute (m, "ssrc", ssrc);
    }
    gst_sdp_message_add_media (answer, m);
    gst_sdp_media_free (m);
  }
  ms_engine_sdp_fill_answer (answer, ufrag, pwd, setup, "127.0.0.1", port);
  return answer;
}

static GstElement *
client_new (Fixture              *f,
            GstWebRTCSessionDescription **offer_out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *launch = g_strdup_printf (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=120,framerate=30/1 ! "
    "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=%u ssrc=%u ! "
    "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=%u,ssrc=(uint)%u ! "
    "webrtcbin name=webrtc bundle-policy=max-bundle", SENT_PT, SENT_SSRC, SENT_PT, SENT_SSRC);
  GstElement *pipeline = gst_parse_launch (launch, &error);
  g_autoptr (GstElement) webrtc = NULL;
  g_autoptr (GstCaps) caps = NULL;
  GstWebRTCRTPTransceiver *trans = NULL;
  g_autoptr (GObject) ice = NULL;
  gboolean added = FALSE;
  GstPromise *promise;
  const GstStructure *reply;

  g_assert_no_error (error);
  webrtc = gst_bin_get_by_name (GST_BIN (pipeline), "webrtc");
  /* As libmediastore configures ICE on loopback. */
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);
  g_signal_emit_by_name (ice, "add-local-ip-address", "127.0.0.1", &added);
  g_assert_true (added);
  g_signal_emit_by_name (webrtc, "get-transceiver", 0, &trans);
  g_assert_nonnull (trans);
  g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
  gst_object_unref (trans);
  caps = gst_caps_from_string ("application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=97");
  g_signal_emit_by_name (webrtc, "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY,
                         caps, &trans);
  g_assert_nonnull (trans);
  gst_object_unref (trans);
  g_signal_connect (webrtc, "pad-added", G_CALLBACK (on_pad_added), f);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);

  promise = gst_promise_new ();
  g_signal_emit_by_name (webrtc, "create-offer", NULL, promise);
  reply = wait_promise (promise);
  gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, offer_out, NULL);
  gst_promise_unref (promise);
  g_assert_nonnull (*offer_out);
  promise = gst_promise_new ();
  g_signal_emit_by_name (webrtc, "set-local-description", *offer_out, promise);
  wait_promise (promise);
  gst_promise_unref (promise);
  return pipeline;
}

static void
dump_stats (MsEngineWorker *worker,
            guint           id)
{
  MsEngineStats stats;
  MsEngineTransportInfo info = { 0 };

  ms_engine_worker_get_stats (worker, &stats);
  ms_engine_worker_get_transport_info (worker, id, &info);
  g_test_message ("engine: in %" G_GUINT64_FORMAT " out %" G_GUINT64_FORMAT
                  " state %d binding %" G_GUINT64_FORMAT " rtp in %" G_GUINT64_FORMAT
                  " out %" G_GUINT64_FORMAT,
                  stats.packets_in, stats.packets_out, info.state, info.binding_requests,
                  info.rtp_in, info.rtp_out);
  for (guint i = 0; i < MS_ENGINE_N_DROPS; i++)
    if (stats.dropped[i] > 0)
      g_test_message ("engine: dropped %s: %" G_GUINT64_FORMAT, ms_engine_drop_name (i), stats.dropped[i]);
}

static gboolean
client_connected (GstElement *pipeline)
{
  g_autoptr (GstElement) webrtc = gst_bin_get_by_name (GST_BIN (pipeline), "webrtc");
  GstWebRTCICEConnectionState ice;
  GstWebRTCPeerConnectionState pc;

  g_object_get (webrtc, "ice-connection-state", &ice, "connection-state", &pc, NULL);
  return (ice == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
          ice == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED) &&
         pc == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED;
}

static const uint16_t stun_known[] = {
  STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY, STUN_ATTRIBUTE_FINGERPRINT,
  STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, STUN_ATTRIBUTE_ICE_CONTROLLED, STUN_ATTRIBUTE_ICE_CONTROLLING, 0,
};

/* A binding request for @worker's transport, from the test's own agent. */
static gsize
make_request (StunAgent  *agent,
              guint8     *buf,
              gsize       size,
              const char *username,
              const char *pwd,
              gboolean    use_candidate)
{
  StunMessage msg;

  return stun_usage_ice_conncheck_create (agent, &msg, buf, size,
                                          (const guint8 *) username, strlen (username),
                                          (const guint8 *) pwd, strlen (pwd),
                                          use_candidate, TRUE, 12345, 42, NULL,
                                          STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
}

static void
send_bytes (GSocket       *socket,
            GSocketAddress *to,
            const guint8  *data,
            gsize          len)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_socket_send_to (socket, to, (const char *) data, len, NULL, &error), ==, len);
  g_assert_no_error (error);
}

static void
bad_input (Fixture    *f,
           const char *username,
           const char *pwd)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) engine = g_inet_socket_address_new (lo, ms_engine_worker_get_port (f->worker));
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                             G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (14);
  StunAgent agent;
  StunMessage reply;
  guint8 buf[1500], good_id[12];
  gsize len;
  gssize got;
  guint64 before, total_before;
  guint rtp_before;
  struct sockaddr_storage mapped;
  socklen_t mapped_len = sizeof mapped;
  g_autoptr (GSocketAddress) mapped_address = NULL;

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  local = g_socket_get_local_address (socket, NULL);
  g_socket_set_timeout (socket, TEST_TIMEOUT_SECONDS);
  stun_agent_init (&agent, stun_known, STUN_COMPATIBILITY_RFC5389,
                   STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);

  /* Random bytes, of every class. */
  total_before = all_drops (f->worker);
  for (guint i = 0; i < 300; i++) {
    len = g_rand_int_range (rand, 1, 200);
    for (gsize j = 0; j < len; j++)
      buf[j] = g_rand_int_range (rand, 0, 256);
    send_bytes (socket, engine, buf, len);
    /* In steps: a burst could overflow the socket's buffer. */
    if (i % 20 == 19)
      WAIT_UNTIL (all_drops (f->worker) >= total_before + i + 1);
  }
  WAIT_UNTIL (all_drops (f->worker) >= total_before + 300);

  /* Truncated STUN. */
  before = drops (f->worker, MS_ENGINE_DROP_BAD_STUN);
  len = make_request (&agent, buf, sizeof buf, username, pwd, FALSE);
  g_assert_cmpuint (len, >, 20);
  send_bytes (socket, engine, buf, len - 9);
  send_bytes (socket, engine, buf, 19);
  WAIT_UNTIL (drops (f->worker, MS_ENGINE_DROP_BAD_STUN) >= before + 2);

  /* The wrong password: no answer. The good request sent after it is
   * the first one answered. */
  before = drops (f->worker, MS_ENGINE_DROP_BAD_INTEGRITY);
  len = make_request (&agent, buf, sizeof buf, username, "wrongpasswordwrongpassword", FALSE);
  send_bytes (socket, engine, buf, len);
  WAIT_UNTIL (drops (f->worker, MS_ENGINE_DROP_BAD_INTEGRITY) >= before + 1);
  before = drops (f->worker, MS_ENGINE_DROP_NO_TRANSPORT);
  len = make_request (&agent, buf, sizeof buf, "nosuchufrag:x", pwd, FALSE);
  send_bytes (socket, engine, buf, len);
  WAIT_UNTIL (drops (f->worker, MS_ENGINE_DROP_NO_TRANSPORT) >= before + 1);
  len = make_request (&agent, buf, sizeof buf, username, pwd, FALSE);
  memcpy (good_id, buf + 8, 12);
  send_bytes (socket, engine, buf, len);
  got = g_socket_receive (socket, (char *) buf, sizeof buf, NULL, NULL);
  g_assert_cmpint (got, >, 20);
  g_assert_cmpmem (buf + 8, 12, good_id, 12);
  g_assert_cmpint (stun_agent_validate (&agent, &reply, buf, got, NULL, NULL), ==, STUN_VALIDATION_SUCCESS);
  g_assert_cmpint (stun_message_get_class (&reply), ==, STUN_RESPONSE);
  g_assert_cmpint (stun_usage_ice_conncheck_process (&reply, &mapped, &mapped_len,
                                                     STUN_USAGE_ICE_COMPATIBILITY_RFC5245),
                   ==, STUN_USAGE_ICE_RETURN_SUCCESS);
  mapped_address = g_socket_address_new_from_native (&mapped, mapped_len);
  g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (mapped_address)), ==,
                    g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));

  /* DTLS, RTP and RTCP from an address no check selected. */
  before = drops (f->worker, MS_ENGINE_DROP_NO_TRANSPORT);
  memset (buf, 0, 64);
  buf[0] = 22; buf[1] = 0xfe; buf[2] = 0xfd; buf[12] = 40;
  send_bytes (socket, engine, buf, 64);
  buf[0] = 0x80; buf[1] = SENT_PT;
  send_bytes (socket, engine, buf, 64);
  buf[1] = 200; buf[2] = 0xff; buf[3] = 0xff;
  send_bytes (socket, engine, buf, 64);
  WAIT_UNTIL (drops (f->worker, MS_ENGINE_DROP_NO_TRANSPORT) >= before + 3);

  /* The good transport kept going. */
  rtp_before = atomic_load (&f->rtp_in);
  WAIT_UNTIL (atomic_load (&f->rtp_in) >= rtp_before + 20);
}

/* @data: the role we answer with (passive: webrtcbin is the DTLS client),
 * the full run with bad input and consent only for passive. */
static void
test_webrtcbin (gconstpointer data)
{
  MsEngineSetup preferred = GPOINTER_TO_INT (data);
  Fixture f = { 0 };
  g_autofree char *ufrag = NULL, *pwd = NULL, *username = NULL, *candidate = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) webrtc = NULL;
  GstWebRTCSessionDescription *offer = NULL, *answer_desc;
  GstElement *pipeline;
  GstSDPMessage *answer;
  GstPromise *promise;
  MsEngineOffer remote;
  MsEngineTransportParams params = { 0 };
  MsEngineTransportInfo info;
  const GstStructure *reply;
  guint received;

  f.worker = worker_new (&f);
  pipeline = client_new (&f, &offer);
  webrtc = gst_bin_get_by_name (GST_BIN (pipeline), "webrtc");

  g_assert_true (ms_engine_sdp_read_offer (offer->sdp, preferred, &remote, &error));
  g_assert_no_error (error);
  g_assert_cmpint (remote.setup, ==, preferred);
  ms_engine_ice_credentials_new (&ufrag, &pwd);
  g_assert_cmpuint (strlen (ufrag), ==, 8);
  g_assert_cmpuint (strlen (pwd), ==, 24);
  params.local_ufrag = ufrag;
  params.local_pwd = pwd;
  params.remote_ufrag = remote.ufrag;
  params.remote_pwd = remote.pwd;
  params.remote_fingerprint = remote.fingerprint;
  params.setup = remote.setup;
  f.id = ms_engine_worker_add_transport (f.worker, &params);
  g_assert_cmpuint (f.id, >, 0);

  answer = make_answer (offer->sdp, ufrag, pwd, remote.setup, ms_engine_worker_get_port (f.worker));
  /* webrtcbin 1.22 does not take the answer's a=candidate lines:
   * the candidate is trickled as the server's signalling does. */
  candidate = g_strdup_printf ("candidate:%s",
                               gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (answer, 0),
                                                                "candidate"));
  answer_desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, answer);
  promise = gst_promise_new ();
  g_signal_emit_by_name (webrtc, "set-remote-description", answer_desc, promise);
  reply = wait_promise (promise);
  g_assert_true (reply == NULL || !gst_structure_has_field (reply, "error"));
  gst_promise_unref (promise);
  gst_webrtc_session_description_free (answer_desc);
  g_signal_emit_by_name (webrtc, "add-ice-candidate", 0, candidate);

  WAIT_UNTIL (client_connected (pipeline));
  WAIT_UNTIL (f.n_connected == 1);
  g_assert_cmpuint (f.connected[0], ==, f.id);
  WAIT_UNTIL (atomic_load (&f.rtp_in) >= 50);
  g_assert_cmpuint (atomic_load (&f.wrong_rtp), ==, 0);
  /* The echo, through webrtcbin's pad of the second m-line. */
  WAIT_UNTIL (atomic_load (&f.received) >= 20);
  g_assert_true (ms_engine_worker_get_transport_info (f.worker, f.id, &info));
  g_assert_cmpint (info.state, ==, MS_ENGINE_STATE_CONNECTED);
  g_assert_cmpint (info.srtp_profile, ==, MS_ENGINE_SRTP_AES128_CM_SHA1_80);
  g_assert_cmpuint (info.binding_requests, >=, 1);
  g_assert_cmpuint (info.rtp_in, >=, 50);
  g_assert_cmpuint (info.rtp_out, >=, 20);

  if (preferred == MS_ENGINE_SETUP_PASSIVE) {
    username = g_strdup_printf ("%s:%s", ufrag, remote.ufrag);
    bad_input (&f, username, pwd);
    received = atomic_load (&f.received);
    WAIT_UNTIL (atomic_load (&f.received) >= received + 10);

    /* Consent freshness: the client stops, the transport fails. */
    g_assert_cmpuint (f.failed_id, ==, 0);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    WAIT_UNTIL (f.failed_id == f.id);
    g_assert_true (f.failed_on_main);
    g_assert_true (ms_engine_worker_get_transport_info (f.worker, f.id, &info));
    g_assert_cmpint (info.state, ==, MS_ENGINE_STATE_FAILED);
  } else {
    gst_element_set_state (pipeline, GST_STATE_NULL);
  }

  dump_stats (f.worker, f.id);
  ms_engine_worker_remove_transport (f.worker, f.id);
  g_assert_false (ms_engine_worker_get_transport_info (f.worker, f.id, &info));
  ms_engine_worker_free (f.worker);
  gst_object_unref (pipeline);
  gst_webrtc_session_description_free (offer);
  ms_engine_offer_clear (&remote);
}

/* Two engines: A checks B (controlling, DTLS client), both offer AEAD
 * first. */
static void
test_engine_pair (void)
{
  Fixture fa = { 0 }, fb = { 0 };
  g_autofree char *ua = NULL, *pa = NULL, *ub = NULL, *pb = NULL;
  g_autofree char *fingerprint = g_strdup_printf ("sha-256 %s", ms_engine_certificate_fingerprint ());
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to_b = NULL;
  MsEngineTransportParams params = { 0 };
  MsEngineTransportInfo info;
  guint ida, idb, id_bad_a, id_bad_b;
  guint8 rtp[200] = { 0x80, SENT_PT, 0, 1, 0, 0, 0, 1,
                      SENT_SSRC >> 24, (SENT_SSRC >> 16) & 0xff, (SENT_SSRC >> 8) & 0xff, SENT_SSRC & 0xff };
  static const guint8 rtcp_lying[] = { 0x80, 200, 0x00, 0x40, 1, 2, 3, 4, 0, 0, 0, 0,
                                       0x80, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 };
  static const guint8 dtls_garbage[] = { 23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 200, 1, 2 };
  guint64 before, checks;
  guint rtp_before;

  fa.worker = worker_new (&fa);
  fb.worker = worker_new (&fb);
  to_b = g_inet_socket_address_new (lo, ms_engine_worker_get_port (fb.worker));
  ms_engine_ice_credentials_new (&ua, &pa);
  ms_engine_ice_credentials_new (&ub, &pb);

  params.local_ufrag = ub;
  params.local_pwd = pb;
  params.remote_ufrag = ua;
  params.remote_pwd = pa;
  params.remote_fingerprint = fingerprint;
  params.setup = MS_ENGINE_SETUP_PASSIVE;
  idb = ms_engine_worker_add_transport (fb.worker, &params);
  params.local_ufrag = ua;
  params.local_pwd = pa;
  params.remote_ufrag = ub;
  params.remote_pwd = pb;
  params.setup = MS_ENGINE_SETUP_ACTIVE;
  params.remote_address = G_INET_SOCKET_ADDRESS (to_b);
  ida = ms_engine_worker_add_transport (fa.worker, &params);

  WAIT_UNTIL (fa.n_connected == 1 && fb.n_connected == 1);
  g_assert_true (ms_engine_worker_get_transport_info (fa.worker, ida, &info));
  g_assert_cmpint (info.srtp_profile, ==, MS_ENGINE_SRTP_AEAD_AES_128_GCM);
  g_assert_true (ms_engine_worker_get_transport_info (fb.worker, idb, &info));
  g_assert_cmpint (info.srtp_profile, ==, MS_ENGINE_SRTP_AEAD_AES_128_GCM);
  g_assert_cmpint (info.state, ==, MS_ENGINE_STATE_CONNECTED);

  for (guint i = 0; i < 60; i++) {
    rtp[3] = i;
    ms_engine_worker_send (fa.worker, ida, rtp, sizeof rtp);
  }
  WAIT_UNTIL (atomic_load (&fb.rtp_in) >= 60);
  g_assert_cmpuint (atomic_load (&fb.wrong_rtp), ==, 0);

  /* From the selected address, unprotected: bad tags, a lying RTCP
   * length, DTLS garbage. */
  before = drops (fb.worker, MS_ENGINE_DROP_SRTP_AUTH);
  rtp[3] = 200;
  ms_engine_worker_send_raw (fa.worker, ida, rtp, sizeof rtp);
  WAIT_UNTIL (drops (fb.worker, MS_ENGINE_DROP_SRTP_AUTH) >= before + 1);
  before = drops (fb.worker, MS_ENGINE_DROP_TOO_SHORT);
  ms_engine_worker_send_raw (fa.worker, ida, rtcp_lying, sizeof rtcp_lying);
  ms_engine_worker_send_raw (fa.worker, ida, rtp, 11);
  WAIT_UNTIL (drops (fb.worker, MS_ENGINE_DROP_TOO_SHORT) >= before + 2);
  before = drops (fb.worker, MS_ENGINE_DROP_DTLS_ERROR);
  ms_engine_worker_send_raw (fa.worker, ida, dtls_garbage, sizeof dtls_garbage);
  WAIT_UNTIL (drops (fb.worker, MS_ENGINE_DROP_DTLS_ERROR) >= before + 1);
  rtp_before = atomic_load (&fb.rtp_in);
  for (guint i = 0; i < 10; i++) {
    rtp[3] = 100 + i;
    ms_engine_worker_send (fa.worker, ida, rtp, sizeof rtp);
  }
  WAIT_UNTIL (atomic_load (&fb.rtp_in) >= rtp_before + 10);
  g_assert_true (ms_engine_worker_get_transport_info (fb.worker, idb, &info));
  g_assert_cmpint (info.state, ==, MS_ENGINE_STATE_CONNECTED);

  /* A newer nomination takes B's transport to another address: what B
   * sends goes there, A's packets are from no transport's address, until
   * A's next check nominates A's address again. */
  {
    g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
    g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                               G_SOCKET_PROTOCOL_UDP, NULL);
    g_autofree char *username = g_strdup_printf ("%s:%s", ub, ua);
    StunAgent agent;
    guint8 buf[1500];
    gsize len;
    gssize got;

    g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
    g_socket_set_timeout (socket, TEST_TIMEOUT_SECONDS);
    stun_agent_init (&agent, stun_known, STUN_COMPATIBILITY_RFC5389,
                     STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
    len = make_request (&agent, buf, sizeof buf, username, pb, TRUE);
    send_bytes (socket, to_b, buf, len);
    got = g_socket_receive (socket, (char *) buf, sizeof buf, NULL, NULL);
    g_assert_cmpint (ms_engine_classify (buf, got), ==, MS_ENGINE_PACKET_STUN);
    ms_engine_worker_send (fb.worker, idb, rtp, sizeof rtp);
    do
      got = g_socket_receive (socket, (char *) buf, sizeof buf, NULL, NULL);
    while (got > 0 && ms_engine_classify (buf, got) == MS_ENGINE_PACKET_STUN);
    g_assert_cmpint (ms_engine_classify (buf, got), ==, MS_ENGINE_PACKET_RTP);
    g_assert_cmpint (got, ==, sizeof rtp + 16);   /* the GCM tag */
    g_assert_cmpmem (buf + 8, 4, rtp + 8, 4);
    g_assert_false (memcmp (buf + 12, rtp + 12, sizeof rtp - 12) == 0);
    /* A's next check (every tick) nominates A's address again. */
    g_assert_true (ms_engine_worker_get_transport_info (fb.worker, idb, &info));
    checks = info.binding_requests;
    WAIT_UNTIL (ms_engine_worker_get_transport_info (fb.worker, idb, &info) &&
                info.binding_requests > checks);
    rtp_before = atomic_load (&fb.rtp_in);
    for (guint i = 0; i < 10; i++) {
      rtp[3] = 150 + i;
      ms_engine_worker_send (fa.worker, ida, rtp, sizeof rtp);
    }
    WAIT_UNTIL (atomic_load (&fb.rtp_in) >= rtp_before + 10);
  }

  /* A fingerprint that is not the peer's certificate's fails both. */
  params.local_ufrag = ub;
  params.local_pwd = pb;
  g_free (ub);
  g_free (pb);
  ms_engine_ice_credentials_new (&ub, &pb);
  params.local_ufrag = ub;
  params.local_pwd = pb;
  params.remote_ufrag = ua;
  params.remote_pwd = pa;
  params.remote_fingerprint = "sha-256 00:11:22:33";
  params.setup = MS_ENGINE_SETUP_PASSIVE;
  params.remote_address = NULL;
  id_bad_b = ms_engine_worker_add_transport (fb.worker, &params);
  ms_engine_worker_remove_transport (fa.worker, ida);
  params.local_ufrag = ua;
  params.local_pwd = pa;
  params.remote_ufrag = ub;
  params.remote_pwd = pb;
  params.remote_fingerprint = fingerprint;
  params.setup = MS_ENGINE_SETUP_ACTIVE;
  params.remote_address = G_INET_SOCKET_ADDRESS (to_b);
  id_bad_a = ms_engine_worker_add_transport (fa.worker, &params);
  WAIT_UNTIL (fb.failed_id == id_bad_b);
  g_assert_true (ms_engine_worker_get_transport_info (fb.worker, id_bad_b, &info));
  g_assert_cmpint (info.srtp_profile, ==, MS_ENGINE_SRTP_NONE);
  g_assert_cmpint (info.state, ==, MS_ENGINE_STATE_FAILED);
  g_assert_cmpuint (id_bad_a, !=, ida);

  ms_engine_worker_free (fa.worker);
  ms_engine_worker_free (fb.worker);
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/classify", test_classify);
  g_test_add_func ("/engine/sdp/bundle-credentials", test_sdp_bundle_credentials);
  g_test_add_func ("/engine/sdp/answer", test_sdp_answer);
  g_test_add_data_func ("/engine/webrtcbin", GINT_TO_POINTER (MS_ENGINE_SETUP_PASSIVE), test_webrtcbin);
  g_test_add_data_func ("/engine/webrtcbin-active", GINT_TO_POINTER (MS_ENGINE_SETUP_ACTIVE), test_webrtcbin);
  g_test_add_func ("/engine/engine-pair", test_engine_pair);
  return g_test_run ();
}
