/* ms-prepare.c: what the first PeerConnection of a process would make while joining
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GStreamer 1.22's dtlsdec makes the process's DTLS certificate the first
 * time one is created (gst_dtls_dec_init() calls get_agent_by_pem (NULL),
 * which generates an RSA-2048 key once, in a g_once): 50 ms to well over
 * 500 ms of prime search, on whichever thread builds the first webrtcbin's
 * transport, which for us is the main thread answering the first offer.
 * Measured on this machine's join benchmark: 160 ms of a 390 ms join, and
 * most of its spread. Made ahead, on a thread of its own, it costs the
 * join nothing; a PeerConnection made meanwhile waits on the same g_once
 * instead of making a second key.
 */

#include "config.h"

#include <gst/gst.h>

#include "ms-session.h"

static void
prepare_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  GstElement *dtls;

  (void) source;
  (void) data;
  (void) cancellable;
  dtls = gst_element_factory_make ("dtlsdec", NULL);
  if (dtls != NULL)
    gst_object_unref (gst_object_ref_sink (dtls));
  g_task_return_boolean (task, TRUE);
}

/**
 * ms_session_prepare_async:
 * @cancellable: (nullable): not used yet
 * @callback: (nullable): called when it is done
 * @user_data: for @callback
 *
 * Makes, on a thread of its own, what the first PeerConnection of the
 * process would otherwise make while joining (GStreamer's DTLS
 * certificate). Call it once GStreamer is initialised and well before
 * joining, when the application starts; later calls are cheap.
 */
void
ms_session_prepare_async (GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, ms_session_prepare_async);
  g_task_run_in_thread (task, prepare_thread);
}

gboolean
ms_session_prepare_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
