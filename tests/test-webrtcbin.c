/* test-webrtcbin.c: what GStreamer 1.22's webrtcbin can renegotiate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two webrtcbins in one pipeline, talking over loopback, with no server:
 * the facts docs/architecture.md ("What webrtcbin 1.22 can renegotiate") states, checked on the webrtcbin the
 * machine has. libmediastore's renegotiation relies on each of them, so a
 * newer webrtcbin that behaves differently fails here first.
 */

#include "config.h"

#include <string.h>

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "test-utils.h"

typedef struct {
  GstElement *pipeline;
  GstElement *offerer;
  GstElement *answerer;
  GPtrArray  *sources;        /* of GstElement, the offerer's tracks */
  gint        pads_added;     /* on the answerer, atomic */
  gint        frames[8];      /* buffers per answerer src pad, atomic */
  gint        eos[8];         /* EOS seen per answerer src pad, atomic */
  gint        nack_on_new;    /* set do-nack in on-new-transceiver */
} Pair;

static void
on_candidate (GstElement *webrtc,
              guint       mline,
              const char *candidate,
              GstElement *other)
{
  g_signal_emit_by_name (other, "add-ice-candidate", mline, candidate);
}

static GstPadProbeReturn
on_answer_data (GstPad          *pad,
                GstPadProbeInfo *info,
                gpointer         user_data)
{
  Pair *pair = user_data;
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (pad), "index"));

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    g_atomic_int_inc (&pair->frames[index]);
  else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    g_atomic_int_inc (&pair->eos[index]);

  return GST_PAD_PROBE_OK;
}

static void
on_answer_pad (GstElement *webrtc,
               GstPad     *pad,
               Pair       *pair)
{
  GstElement *sink;
  g_autoptr (GstPad) sink_pad = NULL;
  guint index;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;

  /* Counted by m-line: pads come in the order their first packet does. */
  {
    g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;

    g_object_get (pad, "transceiver", &transceiver, NULL);
    g_object_get (transceiver, "mlineindex", &index, NULL);
    g_test_message ("pad %s: transceiver %s m-line %u", GST_PAD_NAME (pad),
                    GST_OBJECT_NAME (transceiver), index);
  }
  g_assert_cmpuint (index, <, 8);
  g_atomic_int_inc (&pair->pads_added);
  g_object_set_data (G_OBJECT (pad), "index", GUINT_TO_POINTER (index));
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     on_answer_data, pair, NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (pair->pipeline), sink);
  sink_pad = gst_element_get_static_pad (sink, "sink");
  g_assert_cmpint (gst_pad_link (pad, sink_pad), ==, GST_PAD_LINK_OK);
  gst_element_sync_state_with_parent (sink);
}

static void
on_new_transceiver (GstElement              *webrtc,
                    GstWebRTCRTPTransceiver *transceiver,
                    Pair                    *pair)
{
  if (pair->nack_on_new)
    g_object_set (transceiver, "do-nack", TRUE, NULL);
}

static GstElement *
make_webrtcbin (Pair *pair)
{
  GstElement *webrtc = gst_element_factory_make ("webrtcbin", NULL);
  g_autoptr (GObject) ice = NULL;
  gboolean added = FALSE;

  g_object_set (webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);
  g_signal_emit_by_name (ice, "add-local-ip-address", "127.0.0.1", &added);
  gst_bin_add (GST_BIN (pair->pipeline), webrtc);

  return webrtc;
}

static Pair *
pair_new (gboolean nack)
{
  Pair *pair = g_new0 (Pair, 1);

  pair->nack_on_new = nack;
  pair->pipeline = gst_pipeline_new (NULL);
  pair->sources = g_ptr_array_new ();
  pair->offerer = make_webrtcbin (pair);
  pair->answerer = make_webrtcbin (pair);
  g_signal_connect (pair->offerer, "on-ice-candidate", G_CALLBACK (on_candidate), pair->answerer);
  g_signal_connect (pair->answerer, "on-ice-candidate", G_CALLBACK (on_candidate), pair->offerer);
  g_signal_connect (pair->answerer, "pad-added", G_CALLBACK (on_answer_pad), pair);
  g_signal_connect (pair->answerer, "on-new-transceiver", G_CALLBACK (on_new_transceiver), pair);
  gst_element_set_state (pair->pipeline, GST_STATE_PLAYING);

  return pair;
}

static void
pair_free (Pair *pair)
{
  gst_element_set_state (pair->pipeline, GST_STATE_NULL);
  g_ptr_array_unref (pair->sources);
  gst_object_unref (pair->pipeline);
  g_free (pair);
}

/* A VP8 track with payload type @pt into a new sink pad of the offerer:
 * returns its transceiver. */
static GstWebRTCRTPTransceiver *
add_track (Pair     *pair,
           guint     pt,
           gboolean  nack)
{
  g_autofree char *desc = g_strdup_printf ("videotestsrc is-live=true pattern=ball ! "
                                           "video/x-raw,width=160,height=120,framerate=30/1 ! "
                                           "vp8enc deadline=1 ! rtpvp8pay pt=%u ssrc=%u",
                                           pt, pt * 1000);
  g_autoptr (GError) error = NULL;
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, &error);
  g_autoptr (GstCaps) caps = gst_caps_from_string ("application/x-rtp,media=video,"
                                                   "encoding-name=VP8,clock-rate=90000");
  g_autoptr (GstPad) src = NULL;
  GstPadTemplate *templ = gst_element_get_pad_template (pair->offerer, "sink_%u");
  GstPad *sink;
  GstWebRTCRTPTransceiver *transceiver = NULL;

  g_assert_no_error (error);
  /* The offer states each track's SSRC: without a=ssrc the answerer
   * hands every bundled stream the first transceiver of its kind. */
  gst_caps_set_simple (caps, "payload", G_TYPE_INT, pt, "ssrc", G_TYPE_UINT, pt * 1000, NULL);
  sink = gst_element_request_pad (pair->offerer, templ, NULL, caps);
  g_object_get (sink, "transceiver", &transceiver, NULL);
  /* Requesting with caps does not make them the transceiver's codec
   * preferences: the m-line comes from what the pad's peer answers to a
   * caps query, a range of payload types here. */
  g_object_set (transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                "do-nack", nack, "codec-preferences", caps, NULL);
  gst_bin_add (GST_BIN (pair->pipeline), bin);
  src = gst_element_get_static_pad (bin, "src");
  g_assert_cmpint (gst_pad_link (src, sink), ==, GST_PAD_LINK_OK);
  gst_object_unref (sink);
  gst_element_sync_state_with_parent (bin);
  g_ptr_array_add (pair->sources, bin);

  return transceiver;
}

/* Waits for @promise's reply; webrtcbin runs its operations on a thread of
 * its own, so this only waits for that thread. */
static GstWebRTCSessionDescription *
take_description (GstPromise *promise,
                  const char *field)
{
  const GstStructure *reply;
  GstWebRTCSessionDescription *desc = NULL;

  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  reply = gst_promise_get_reply (promise);
  g_assert_nonnull (reply);
  g_assert_true (gst_structure_has_field (reply, field));
  gst_structure_get (reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
  gst_promise_unref (promise);

  return desc;
}

/* NULL on success, else the error webrtcbin replied with. */
static GError *
set_description (GstElement                  *webrtc,
                 const char                  *signal,
                 GstWebRTCSessionDescription *desc)
{
  GstPromise *promise = gst_promise_new ();
  const GstStructure *reply;
  GError *error = NULL;

  g_signal_emit_by_name (webrtc, signal, desc, promise);
  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  reply = gst_promise_get_reply (promise);
  if (reply != NULL && gst_structure_has_field (reply, "error"))
    gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
  gst_promise_unref (promise);

  return error;
}

typedef struct {
  char   *offer;
  char   *answer;
  GError *error;     /* from the answerer's set-local-description */
} Round;

static void
round_clear (Round *round)
{
  g_free (round->offer);
  g_free (round->answer);
  g_clear_error (&round->error);
}

/* One offer/answer round, the offerer offering. */
static void
negotiate (Pair  *pair,
           Round *round)
{
  GstPromise *promise = gst_promise_new ();
  g_autoptr (GstWebRTCSessionDescription) offer = NULL;
  g_autoptr (GstWebRTCSessionDescription) answer = NULL;
  GError *error;

  g_signal_emit_by_name (pair->offerer, "create-offer", NULL, promise);
  offer = take_description (promise, "offer");
  round->offer = gst_sdp_message_as_text (offer->sdp);
  error = set_description (pair->offerer, "set-local-description", offer);
  g_assert_no_error (error);
  error = set_description (pair->answerer, "set-remote-description", offer);
  g_assert_no_error (error);

  promise = gst_promise_new ();
  g_signal_emit_by_name (pair->answerer, "create-answer", NULL, promise);
  answer = take_description (promise, "answer");
  round->answer = gst_sdp_message_as_text (answer->sdp);
  round->error = set_description (pair->answerer, "set-local-description", answer);
  if (round->error == NULL) {
    error = set_description (pair->offerer, "set-remote-description", answer);
    g_assert_no_error (error);
  }
}

static char *
sdp_value (const char *sdp,
           const char *key)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  const GstSDPMedia *media;

  g_assert_cmpint (gst_sdp_message_new_from_text (sdp, &msg), ==, GST_SDP_OK);
  media = gst_sdp_message_get_media (msg, 0);
  return g_strdup (gst_sdp_media_get_attribute_val (media, key));
}

static guint
count_lines (const char *sdp,
             const char *prefix)
{
  g_auto (GStrv) lines = g_strsplit (sdp, "\r\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += g_str_has_prefix (lines[i], prefix);

  return n;
}

static void
wait_frames (Pair  *pair,
             guint  index)
{
  gint start = g_atomic_int_get (&pair->frames[index]);

  g_test_message ("waiting for frames on m-line %u: %d %d, EOS %d %d, pads %d", index,
                  g_atomic_int_get (&pair->frames[0]), g_atomic_int_get (&pair->frames[1]),
                  g_atomic_int_get (&pair->eos[0]), g_atomic_int_get (&pair->eos[1]),
                  g_atomic_int_get (&pair->pads_added));

  WAIT_UNTIL (g_atomic_int_get (&pair->frames[index]) >= start + 10);
}

/* Re-offer with one more m-line, as offerer and as answerer: the same
 * webrtcbins, the same ICE credentials, one new src pad, the old one keeps
 * flowing. */
static void
test_add_mline (void)
{
  Pair *pair = pair_new (FALSE);
  Round first = { 0 }, second = { 0 };
  g_autofree char *ufrag1 = NULL, *ufrag2 = NULL, *aufrag1 = NULL, *aufrag2 = NULL;
  g_autoptr (GstWebRTCRTPTransceiver) t1 = add_track (pair, 96, FALSE);
  g_autoptr (GstWebRTCRTPTransceiver) t2 = NULL;

  negotiate (pair, &first);
  g_assert_no_error (first.error);
  WAIT_UNTIL (g_atomic_int_get (&pair->pads_added) == 1);
  wait_frames (pair, 0);

  t2 = add_track (pair, 98, FALSE);
  negotiate (pair, &second);
  g_assert_no_error (second.error);
  g_assert_cmpuint (count_lines (second.offer, "m=video"), ==, 2);
  g_assert_cmpuint (count_lines (second.answer, "m=video"), ==, 2);
  ufrag1 = sdp_value (first.offer, "ice-ufrag");
  ufrag2 = sdp_value (second.offer, "ice-ufrag");
  aufrag1 = sdp_value (first.answer, "ice-ufrag");
  aufrag2 = sdp_value (second.answer, "ice-ufrag");
  g_assert_cmpstr (ufrag1, ==, ufrag2);
  g_assert_cmpstr (aufrag1, ==, aufrag2);
  WAIT_UNTIL (g_atomic_int_get (&pair->pads_added) == 2);
  wait_frames (pair, 1);
  wait_frames (pair, 0);

  round_clear (&first);
  round_clear (&second);
  pair_free (pair);
}

/* sendonly → inactive works and ends the answerer's pad with EOS;
 * inactive → sendonly again is refused when the answer is applied. */
static void
test_inactive_and_back (void)
{
  Pair *pair = pair_new (FALSE);
  Round round = { 0 };
  g_autoptr (GstWebRTCRTPTransceiver) t1 = add_track (pair, 96, FALSE);
  g_autoptr (GstWebRTCRTPTransceiver) t2 = add_track (pair, 98, FALSE);

  negotiate (pair, &round);
  g_assert_no_error (round.error);
  round_clear (&round);
  WAIT_UNTIL (g_atomic_int_get (&pair->pads_added) == 2);
  wait_frames (pair, 0);

  /* As a closed track: its source goes first, then its m-line. A source
   * still pushing into a transceiver made inactive stalls the whole
   * bundle: the other m-line's frames stop too. */
  {
    GstElement *bin = g_ptr_array_index (pair->sources, 0);
    g_autoptr (GstPad) src = gst_element_get_static_pad (bin, "src");
    g_autoptr (GstPad) sink = gst_pad_get_peer (src);

    gst_element_set_locked_state (bin, TRUE);
    gst_element_set_state (bin, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (pair->pipeline), bin);
    gst_element_release_request_pad (pair->offerer, sink);
  }
  g_object_set (t1, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, NULL);
  negotiate (pair, &round);
  g_assert_no_error (round.error);
  g_assert_true (strstr (round.answer, "a=inactive") != NULL);
  round_clear (&round);
  WAIT_UNTIL (g_atomic_int_get (&pair->eos[0]) == 1);
  wait_frames (pair, 1);
  g_assert_cmpint (g_atomic_int_get (&pair->pads_added), ==, 2);

  g_object_set (t1, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
  negotiate (pair, &round);
  g_assert_error (round.error, GST_WEBRTC_ERROR, GST_WEBRTC_ERROR_INTERNAL_FAILURE);
  g_assert_true (strstr (round.error->message, "direction changes are not implemented") != NULL);
  round_clear (&round);

  pair_free (pair);
}

/* do-nack before create-offer (offerer) and in on-new-transceiver
 * (answerer): both sides carry nack, an rtx payload and the FID group. */
static void
test_nack_rtx (void)
{
  Pair *pair = pair_new (TRUE);
  Round round = { 0 };
  g_autoptr (GstWebRTCRTPTransceiver) t1 = add_track (pair, 96, TRUE);
  g_autoptr (GstWebRTCRTPTransceiver) t2 = add_track (pair, 98, TRUE);

  negotiate (pair, &round);
  g_assert_no_error (round.error);
  g_test_message ("offer:\n%s\nanswer:\n%s", round.offer, round.answer);
  g_assert_cmpuint (count_lines (round.offer, "a=rtcp-fb:96 nack pli"), ==, 1);
  g_assert_cmpuint (count_lines (round.offer, "a=rtcp-fb:96 nack"), ==, 2);
  g_assert_cmpuint (count_lines (round.offer, "a=fmtp:97 apt=96"), ==, 1);
  g_assert_cmpuint (count_lines (round.offer, "a=fmtp:99 apt=98"), ==, 1);
  g_assert_cmpuint (count_lines (round.offer, "a=ssrc-group:FID"), ==, 2);
  g_assert_cmpuint (count_lines (round.answer, "a=rtcp-fb:96 nack"), ==, 2);
  g_assert_cmpuint (count_lines (round.answer, "a=fmtp:97 apt=96"), ==, 1);
  round_clear (&round);
  WAIT_UNTIL (g_atomic_int_get (&pair->pads_added) == 2);
  wait_frames (pair, 0);
  wait_frames (pair, 1);

  pair_free (pair);
}

int
main (int    argc,
      char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  test_media_warnings_not_fatal ();

  g_test_add_func ("/webrtcbin/add-mline", test_add_mline);
  g_test_add_func ("/webrtcbin/inactive-and-back", test_inactive_and_back);
  g_test_add_func ("/webrtcbin/nack-rtx", test_nack_rtx);

  return g_test_run ();
}
