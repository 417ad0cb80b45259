/* test-mixer.c: remote audio tracks come and go while the mixer mixes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every remote audio track of a call feeds one audiomixer through a
 * request pad, and the pad is given back when the track ends, while the
 * other tracks go on playing. GStreamer 1.22's audiomixer cannot have a
 * pad released under it while it mixes (it crashed a bot when a peer left
 * a room): ms_media_release_mixer_pad() does it at a safe point. This
 * replaces live branches of a running mixer many times, as peers leaving
 * and joining do, and checks that nothing breaks and that every released
 * pad is really gone.
 */

#include "config.h"

#include <gst/gst.h>

#include "ms-media-util-private.h"

#define BRANCHES 4

typedef struct {
  GstElement *pipeline;
  GstElement *mixer;
  GstElement *source[BRANCHES];
  GstElement *volume[BRANCHES];
  GstPad     *pad[BRANCHES];

  GMutex      lock;
  GCond       cond;
  guint64     pushed;     /* buffers out of the mixer */
} Fixture;

static GstPadProbeReturn
on_mixed (GstPad          *pad,
          GstPadProbeInfo *info,
          gpointer         data)
{
  Fixture *f = data;

  g_mutex_lock (&f->lock);
  f->pushed++;
  g_cond_broadcast (&f->cond);
  g_mutex_unlock (&f->lock);

  return GST_PAD_PROBE_OK;
}

/* Waits until the mixer has pushed @count more buffers; FALSE after 5 s. */
static gboolean
wait_mixed (Fixture *f,
            guint    count)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  gboolean ok = TRUE;
  guint64 target;

  g_mutex_lock (&f->lock);
  target = f->pushed + count;
  while (f->pushed < target && ok)
    ok = g_cond_wait_until (&f->cond, &f->lock, deadline);
  g_mutex_unlock (&f->lock);

  return ok;
}

static void
add_branch (Fixture *f,
            guint    i)
{
  g_autoptr (GstPad) out = NULL;

  /* 1 ms buffers: the mixer mixes a thousand times a second, so a
   * release from this thread lands inside a mix often. */
  f->source[i] = gst_element_factory_make ("audiotestsrc", NULL);
  g_object_set (f->source[i], "is-live", TRUE, "samplesperbuffer", 48,
                "freq", 220.0 * (i + 1), NULL);
  f->volume[i] = gst_element_factory_make ("volume", NULL);
  g_assert_nonnull (f->source[i]);
  g_assert_nonnull (f->volume[i]);
  gst_bin_add_many (GST_BIN (f->pipeline), f->source[i], f->volume[i], NULL);
  g_assert_true (gst_element_link (f->source[i], f->volume[i]));

  f->pad[i] = gst_element_request_pad_simple (f->mixer, "sink_%u");
  g_assert_nonnull (f->pad[i]);
  out = gst_element_get_static_pad (f->volume[i], "src");
  g_assert_cmpint (gst_pad_link (out, f->pad[i]), ==, GST_PAD_LINK_OK);

  gst_element_sync_state_with_parent (f->volume[i]);
  gst_element_sync_state_with_parent (f->source[i]);
}

/* What MsRemoteTrack does when its track ends. */
static void
remove_branch (Fixture *f,
               guint    i)
{
  GstElement *elements[] = { f->source[i], f->volume[i] };

  for (guint e = 0; e < G_N_ELEMENTS (elements); e++) {
    gst_element_set_locked_state (elements[e], TRUE);
    gst_element_set_state (elements[e], GST_STATE_NULL);
    gst_bin_remove (GST_BIN (f->pipeline), elements[e]);
  }
  ms_media_release_mixer_pad (f->mixer, f->pad[i]);
  gst_clear_object (&f->pad[i]);
}

static guint
sink_pads (GstElement *element)
{
  guint count;

  GST_OBJECT_LOCK (element);
  count = element->numsinkpads;
  GST_OBJECT_UNLOCK (element);

  return count;
}

static void
test_replace_while_mixing (void)
{
  Fixture f = { 0 };
  g_autoptr (GstPad) src = NULL;
  GstElement *sink;
  guint rounds = g_test_thorough () ? 10000 : 2000;

  g_mutex_init (&f.lock);
  g_cond_init (&f.cond);
  f.pipeline = gst_object_ref_sink (gst_pipeline_new (NULL));
  f.mixer = gst_element_factory_make ("audiomixer", NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_assert_nonnull (f.mixer);
  g_assert_nonnull (sink);
  g_object_set (sink, "sync", FALSE, NULL);
  g_object_set (f.mixer, "output-buffer-duration", (guint64) GST_MSECOND, NULL);
  gst_bin_add_many (GST_BIN (f.pipeline), f.mixer, sink, NULL);
  g_assert_true (gst_element_link (f.mixer, sink));
  src = gst_element_get_static_pad (f.mixer, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, on_mixed, &f, NULL);

  for (guint i = 0; i < BRANCHES; i++)
    add_branch (&f, i);
  g_assert_cmpint (gst_element_set_state (f.pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  g_assert_true (wait_mixed (&f, 10));

  for (guint round = 0; round < rounds; round++) {
    guint i = g_test_rand_int_range (0, BRANCHES);

    remove_branch (&f, i);
    add_branch (&f, i);
    /* The mixer goes on mixing the others, and the new one. */
    if (!wait_mixed (&f, 1)) {
      g_test_fail_printf ("the mixer stopped after %u replacements", round);
      break;
    }
  }

  /* Every pad given back is gone once the mixer has pushed again. */
  g_assert_true (wait_mixed (&f, 2));
  g_assert_cmpuint (sink_pads (f.mixer), ==, BRANCHES);

  gst_element_set_state (f.pipeline, GST_STATE_NULL);
  for (guint i = 0; i < BRANCHES; i++)
    gst_clear_object (&f.pad[i]);
  gst_clear_object (&f.pipeline);
  g_mutex_clear (&f.lock);
  g_cond_clear (&f.cond);
}

/* A mixer that does not run gives its pad back at once, and one that
 * stops with a release pending frees the pad with itself. */
static void
test_release_stopped (void)
{
  g_autoptr (GstElement) pipeline = gst_object_ref_sink (gst_pipeline_new (NULL));
  GstElement *mixer = gst_element_factory_make ("audiomixer", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstPad) pending = NULL;
  GWeakRef pending_ref;

  gst_bin_add_many (GST_BIN (pipeline), mixer, sink, NULL);
  g_assert_true (gst_element_link (mixer, sink));

  pad = gst_element_request_pad_simple (mixer, "sink_%u");
  g_assert_cmpuint (sink_pads (mixer), ==, 1);
  ms_media_release_mixer_pad (mixer, pad);
  g_assert_cmpuint (sink_pads (mixer), ==, 0);
  g_assert_null (GST_OBJECT_PARENT (pad));

  /* PAUSED with no input: nothing is pushed, so the release waits. */
  pending = gst_element_request_pad_simple (mixer, "sink_%u");
  g_weak_ref_init (&pending_ref, pending);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PAUSED), !=,
                   GST_STATE_CHANGE_FAILURE);
  ms_media_release_mixer_pad (mixer, pending);
  g_clear_object (&pending);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_clear_object (&pipeline);
  g_assert_null (g_weak_ref_get (&pending_ref));
  g_weak_ref_clear (&pending_ref);
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mixer/release-stopped", test_release_stopped);
  g_test_add_func ("/mixer/replace-while-mixing", test_replace_while_mixing);

  return g_test_run ();
}
