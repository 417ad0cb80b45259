/* ms-screencast.c: the screen, through the ScreenCast portal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The portal asks the user what to share (a monitor or a window) and
 * hands back a PipeWire stream, which pipewiresrc reads. The portal
 * session lives as long as the track. Where there is no portal (a bare
 * X11 session, Xvfb), nobody asks the user what to share: the whole X11
 * screen (ximagesrc) is sent only once the caller says the user agreed to
 * that (whole_screen_ok), else the start fails with
 * MS_SCREENCAST_ERROR_NEEDS_CONSENT. Under MEDIASTORE_TEST_SOURCES a test
 * pattern stands in for the screen, asked for the same way.
 */

#define G_LOG_DOMAIN "MsScreencast"

#include "config.h"

#include <unistd.h>

#include <glib/gi18n.h>
#include <libportal-gtk4/portal-gtk4.h>
#include <libportal/portal.h>

#include "ms-app-media.h"
#include "ms-screencast.h"

G_DEFINE_QUARK (ms-screencast-error-quark, ms_screencast_error)

typedef struct {
  XdpPortal  *portal;
  XdpSession *session;
  GtkWindow  *parent;
  gboolean    whole_screen_ok;
} Start;

static void
start_free (gpointer data)
{
  Start *start = data;

  g_clear_object (&start->portal);
  g_clear_object (&start->session);
  g_clear_object (&start->parent);
  g_free (start);
}

/* No portal: X11 directly, if this is X11. */
static void
fall_back (GTask  *task,
           GError *portal_error)
{
  Start *start = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  MsLocalTrack *track;

  g_debug ("No ScreenCast portal (%s)", portal_error ? portal_error->message : "");
  if (!start->whole_screen_ok) {
    g_task_return_new_error (task, MS_SCREENCAST_ERROR, MS_SCREENCAST_ERROR_NEEDS_CONSENT,
                             _("There is no way on this desktop to choose a window to share"));
    return;
  }
  track = ms_media_make_track ("screen", &error);
  if (track == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, track, g_object_unref);
}

static void
close_session (gpointer data)
{
  xdp_session_close (data);
  g_object_unref (data);
}

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Start *start = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) streams = NULL;
  g_autofree char *path = NULL;
  GstElement *source_element;
  MsLocalTrack *track;
  guint32 node = 0;
  int fd;

  if (!xdp_session_start_finish (XDP_SESSION (source), result, &error)) {
    /* The user said no: that is not a failure to fall back from. */
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }

  streams = xdp_session_get_streams (start->session);
  if (streams == NULL || g_variant_n_children (streams) == 0) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Nothing was chosen to share"));
    return;
  }
  g_variant_get_child (streams, 0, "(u@a{sv})", &node, NULL);
  fd = xdp_session_open_pipewire_remote (start->session);
  if (fd < 0) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                             _("The screen could not be opened"));
    return;
  }

  path = g_strdup_printf ("%u", node);
  source_element = gst_element_factory_make ("pipewiresrc", NULL);
  if (source_element == NULL) {
    close (fd);
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                             _("Sharing the screen needs GStreamer’s PipeWire plugin"));
    return;
  }
  g_object_set (source_element, "fd", fd, "path", path, "do-timestamp", TRUE,
                "keepalive-time", 1000, NULL);
  track = ms_local_track_new_for_element (MS_TRACK_KIND_VIDEO, source_element);
  ms_media_apply_quality (track);
  g_object_set_data_full (G_OBJECT (track), "ms-portal-session",
                          g_steal_pointer (&start->session), close_session);
  g_task_return_pointer (task, track, g_object_unref);
}

static void
on_session (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Start *start = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  XdpParent *parent;

  start->session = xdp_portal_create_screencast_session_finish (XDP_PORTAL (source), result,
                                                                &error);
  if (start->session == NULL) {
    fall_back (task, error);
    return;
  }

  parent = start->parent ? xdp_parent_new_gtk (start->parent) : NULL;
  xdp_session_start (start->session, parent, g_task_get_cancellable (task), on_started,
                     g_steal_pointer (&task));
  if (parent != NULL)
    xdp_parent_free (parent);
}

void
ms_screencast_start_async (GtkWindow           *parent,
                           gboolean             whole_screen_ok,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  const char *test = g_getenv ("MEDIASTORE_TEST_SOURCES");
  Start *start = g_new0 (Start, 1);

  g_task_set_task_data (task, start, start_free);
  start->parent = parent ? g_object_ref (parent) : NULL;
  start->whole_screen_ok = whole_screen_ok;

  if (test != NULL && *test != '\0' && !g_str_equal (test, "0")) {
    fall_back (task, NULL);
    return;
  }

  start->portal = xdp_portal_new ();
  xdp_portal_create_screencast_session (start->portal, XDP_OUTPUT_MONITOR | XDP_OUTPUT_WINDOW,
                                        XDP_SCREENCAST_FLAG_NONE, XDP_CURSOR_MODE_EMBEDDED,
                                        XDP_PERSIST_MODE_NONE, NULL, cancellable, on_session,
                                        g_steal_pointer (&task));
}

MsLocalTrack *
ms_screencast_start_finish (GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
