/* gallery.c: every widget of libmediastore-gtk in one window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Joins a call, sends a test pattern and a test tone (or the camera and
 * microphone with --camera), and shows our own preview next to a tile per
 * peer. The tiles come from the store's peer model through
 * gtk_flow_box_bind_model(): nothing here keeps a list in sync by hand.
 *
 *   mediastore-gallery --url ws://127.0.0.1:7880/v1/ws --token TOKEN
 */

#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "mediastore.h"
#include "ms-audio-produce.h"
#include "ms-video-produce.h"

static char *opt_url;
static char *opt_token;
static gboolean opt_camera;

static GtkWidget *
make_tile (MsSession  *session,
           const char *peer_id,
           const char *name)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *video = ms_video_produce_new ();
  GtkWidget *audio = ms_audio_produce_new ();
  GtkWidget *placeholder = gtk_label_new (_("No video"));

  gtk_widget_set_size_request (video, 320, 240);
  gtk_widget_add_css_class (placeholder, "dim-label");
  g_object_set (video, "session", session, "peer-id", peer_id, "media-tag", "camera",
                "placeholder", placeholder, NULL);
  g_object_set (audio, "session", session, "peer-id", peer_id, "media-tag", "microphone", NULL);

  gtk_box_append (GTK_BOX (box), video);
  gtk_box_append (GTK_BOX (box), audio);
  gtk_box_append (GTK_BOX (box), gtk_label_new (name));

  return box;
}

static GtkWidget *
create_peer_tile (gpointer item,
                  gpointer user_data)
{
  MsPeer *peer = item;

  return make_tile (user_data, ms_peer_get_id (peer), ms_peer_get_display_name (peer));
}

static void
share (MsSession          *session,
       MsLocalTrackSource  source,
       const char         *tag)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsLocalTrack) track = ms_local_track_new (source, &error);

  if (track == NULL || !ms_session_send_track (session, track, tag, FALSE, &error))
    g_printerr (_("Cannot share “%s”: %s\n"), tag, error->message);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  MsSession *session = MS_SESSION (source);
  g_autoptr (GError) error = NULL;

  if (!ms_session_connect_finish (session, result, &error)) {
    g_printerr (_("Could not join: %s\n"), error->message);
    return;
  }

  share (session, opt_camera ? MS_LOCAL_TRACK_CAMERA : MS_LOCAL_TRACK_TEST_VIDEO, "camera");
  share (session, opt_camera ? MS_LOCAL_TRACK_MICROPHONE : MS_LOCAL_TRACK_TEST_AUDIO,
         "microphone");
}

static void
on_activate (GtkApplication *app,
             MsSession      *session)
{
  MsStore *store = ms_session_get_store (session);
  GtkWidget *window = gtk_application_window_new (app);
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *flow = gtk_flow_box_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *status = gtk_label_new (NULL);
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  gtk_window_set_title (GTK_WINDOW (window), _("Mediastore Widget Gallery"));
  gtk_window_set_default_size (GTK_WINDOW (window), 1040, 600);

  g_object_bind_property (store, "connect-status-text", status, "label", G_BINDING_SYNC_CREATE);
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (flow), GTK_SELECTION_NONE);
  gtk_flow_box_bind_model (GTK_FLOW_BOX (flow), ms_store_get_peers (store), create_peer_tile,
                           session, NULL);

  gtk_box_append (GTK_BOX (box), make_tile (session, NULL, _("You")));
  gtk_box_append (GTK_BOX (box), flow);
  gtk_widget_set_hexpand (flow, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), box);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_append (GTK_BOX (outer), status);
  gtk_box_append (GTK_BOX (outer), scrolled);
  gtk_window_set_child (GTK_WINDOW (window), outer);
  gtk_window_present (GTK_WINDOW (window));

  ms_session_connect_async (session, opt_url, opt_token, NULL, on_connected, NULL);
}

int
main (int   argc,
      char *argv[])
{
  const GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &opt_url, N_("Server URL (ws:// or wss://)"), "URL" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &opt_token, N_("Token to join with"), "TOKEN" },
    { "camera", 0, 0, G_OPTION_ARG_NONE, &opt_camera,
      N_("Share the camera and microphone instead of test media"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GtkApplication) app = NULL;
  g_autoptr (MsSession) session = NULL;
  char *no_args[] = { argv[0], NULL };
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Shows the Mediastore widgets in a real call."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  if (opt_url == NULL || opt_token == NULL) {
    g_printerr (_("Both --url and --token are needed.\n"));
    return 2;
  }

  session = ms_session_new ();
  app = gtk_application_new ("io.github.mediastore.Gallery", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), session);
  status = g_application_run (G_APPLICATION (app), 1, no_args);
  ms_session_close_call (session);

  return status;
}
