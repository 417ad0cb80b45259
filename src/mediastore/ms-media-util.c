/* ms-media-util.c: GStreamer helpers shared by local and remote tracks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include <gio/gio.h>

#include "ms-media-util-private.h"

#define LEVEL_TARGET_KEY "ms-level-target"

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

void
ms_media_level_set_target (GstElement *level,
                           GObject    *target)
{
  GWeakRef *weak = g_new0 (GWeakRef, 1);

  g_weak_ref_init (weak, target);
  g_object_set_data_full (G_OBJECT (level), LEVEL_TARGET_KEY, weak, weak_ref_free);
}

GObject *
ms_media_level_target (GstMessage *message,
                       double     *out_level)
{
  const GstStructure *structure = gst_message_get_structure (message);
  GWeakRef *weak;
  const GValue *rms;
  double loudest = -G_MAXDOUBLE;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ELEMENT || structure == NULL ||
      !gst_structure_has_name (structure, "level"))
    return NULL;
  weak = g_object_get_data (G_OBJECT (GST_MESSAGE_SRC (message)), LEVEL_TARGET_KEY);
  if (weak == NULL)
    return NULL;

  rms = gst_structure_get_value (structure, "rms");

  /* GstLevel still speaks GValueArray in 1.22. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (rms == NULL || !G_VALUE_HOLDS_BOXED (rms) || g_value_get_boxed (rms) == NULL)
    return NULL;
  for (guint i = 0; i < ((GValueArray *) g_value_get_boxed (rms))->n_values; i++) {
    double db = g_value_get_double (g_value_array_get_nth (g_value_get_boxed (rms), i));

    loudest = MAX (loudest, db);
  }
  G_GNUC_END_IGNORE_DEPRECATIONS

  /* Below -90 dB is silence; the scale is linear amplitude. */
  *out_level = loudest < -90.0 ? 0.0 : CLAMP (pow (10.0, loudest / 20.0), 0.0, 1.0);

  return g_weak_ref_get (weak);
}

static GstPadProbeReturn
release_after_push (GstPad          *src,
                    GstPadProbeInfo *info,
                    gpointer         pad)
{
  g_autoptr (GstElement) mixer = gst_pad_get_parent_element (src);

  if (mixer != NULL && GST_OBJECT_PARENT (pad) == GST_OBJECT (mixer))
    gst_element_release_request_pad (mixer, pad);

  return GST_PAD_PROBE_REMOVE;
}

void
ms_media_release_mixer_pad (GstElement *mixer,
                            GstPad     *pad)
{
  g_autoptr (GstPad) src = NULL;
  gboolean running;

  g_return_if_fail (GST_IS_ELEMENT (mixer));
  g_return_if_fail (GST_IS_PAD (pad));

  /* GStreamer 1.22's audioaggregator walks its list of sink pads while
   * it mixes and lets go of the element's lock in the middle of that
   * walk; a pad released from another thread at that moment is freed
   * under it (seen: "invalid unclassed pointer in cast to
   * 'GstAudioMixerPad'" and a crash in libgstaudio when a peer left).
   * Its own thread, between two output buffers, is the one safe place. */
  GST_OBJECT_LOCK (mixer);
  running = GST_STATE (mixer) >= GST_STATE_PAUSED || GST_STATE_PENDING (mixer) >= GST_STATE_PAUSED;
  GST_OBJECT_UNLOCK (mixer);
  src = gst_element_get_static_pad (mixer, "src");

  if (!running || src == NULL) {
    gst_element_release_request_pad (mixer, pad);
    return;
  }
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     release_after_push, gst_object_ref (pad), gst_object_unref);
}

static GstState
pipeline_target (GstElement *element)
{
  g_autoptr (GstObject) top = gst_object_ref (GST_OBJECT (element));
  GstObject *parent;
  GstState target;

  while ((parent = gst_object_get_parent (top)) != NULL) {
    gst_object_unref (top);
    top = parent;
  }

  GST_OBJECT_LOCK (top);
  target = GST_STATE_TARGET (top);
  GST_OBJECT_UNLOCK (top);

  return target;
}

void
ms_media_discard_element (GstBin     *bin,
                          GstElement *element)
{
  /* Locked, and left locked: a state change of the pipeline running on
   * another thread may still hold @element in its iteration, and would
   * start it again after it stopped here, then drop the last reference
   * to a running element (seen: a sink finalized in READY, a sink and a
   * vp8dec disposed in PLAYING). One that comes back into a bin is
   * unlocked there. */
  gst_element_set_locked_state (element, TRUE);
  gst_element_set_state (element, GST_STATE_NULL);
  if (GST_OBJECT_PARENT (element) == GST_OBJECT (bin))
    gst_bin_remove (bin, element);
}

/* Senders still stopping on a thread of their own. */
static GMutex stopping_lock;
static GCond stopping_cond;
static guint stopping;

static void
stop_in_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GstElement *element = task_data;

  gst_element_set_state (element, GST_STATE_NULL);
  gst_object_unref (element);

  g_mutex_lock (&stopping_lock);
  stopping--;
  g_cond_broadcast (&stopping_cond);
  g_mutex_unlock (&stopping_lock);
}

gboolean
ms_media_wait_stopped (gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  gboolean done = TRUE;

  g_mutex_lock (&stopping_lock);
  while (stopping > 0 && done)
    done = g_cond_wait_until (&stopping_cond, &stopping_lock, deadline);
  done = stopping == 0;
  g_mutex_unlock (&stopping_lock);

  return done;
}

void
ms_media_discard_sender (GstBin     *bin,
                         GstElement *element)
{
  g_autoptr (GTask) task = NULL;

  gst_element_set_locked_state (element, TRUE);
  /* The sources first, here: a device is free again when this returns.
   * They push into a leaky queue, so nothing downstream holds them. */
  if (GST_IS_BIN (element)) {
    g_autoptr (GstIterator) sources = gst_bin_iterate_sources (GST_BIN (element));
    GValue item = G_VALUE_INIT;

    while (gst_iterator_next (sources, &item) == GST_ITERATOR_OK) {
      gst_element_set_state (g_value_get_object (&item), GST_STATE_NULL);
      g_value_reset (&item);
    }
    g_value_unset (&item);
  }

  gst_object_ref (element);
  if (GST_OBJECT_PARENT (element) == GST_OBJECT (bin))
    gst_bin_remove (bin, element);

  /* Unlinked now: whatever holds its streaming thread lets go once DTLS
   * is up or the webrtcbin stops, and the worker finishes then. */
  g_mutex_lock (&stopping_lock);
  stopping++;
  g_mutex_unlock (&stopping_lock);
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, element, NULL);   /* the thread drops it */
  g_task_run_in_thread (task, stop_in_thread);
}

void
ms_media_replace_sink (GstPad     *src,
                       GstBin     *bin,
                       GstElement *old,
                       GstElement *replacement)
{
  g_autoptr (GstPad) old_pad = gst_element_get_static_pad (old, "sink");
  g_autoptr (GstPad) new_pad = gst_element_get_static_pad (replacement, "sink");

  gst_pad_unlink (src, old_pad);
  ms_media_discard_element (bin, old);

  gst_element_set_locked_state (replacement, FALSE);
  gst_bin_add (bin, replacement);
  gst_pad_link (src, new_pad);
  /* A pipeline on its way down would take the newcomer only half way
   * (READY) and drop it there: it starts only in a pipeline that runs. */
  if (pipeline_target (GST_ELEMENT (bin)) >= GST_STATE_PAUSED)
    gst_element_sync_state_with_parent (replacement);
}

static void
set_call_role (GstElement *element)
{
  g_autoptr (GstStructure) props = NULL;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (element), "stream-properties") == NULL)
    return;

  props = gst_structure_new ("props", "media.role", G_TYPE_STRING, "phone", NULL);
  g_object_set (element, "stream-properties", props, NULL);
}

static void
on_deep_element_added (GstBin     *bin,
                       GstBin     *sub_bin,
                       GstElement *element,
                       gpointer    user_data)
{
  set_call_role (element);
}

void
ms_media_tag_as_call (GstElement *element)
{
  set_call_role (element);
  /* autoaudiosink and autoaudiosrc make their device element later. */
  if (GST_IS_BIN (element))
    g_signal_connect (element, "deep-element-added", G_CALLBACK (on_deep_element_added), NULL);
}
