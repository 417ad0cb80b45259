/* ms-application.c: the Mediastore application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One window; invitation links (mediastore://… and https://…/join/…)
 * arrive through GApplication's open, from the desktop file's MimeType
 * x-scheme-handler/mediastore or the command line.
 */

#define G_LOG_DOMAIN "MsApplication"

#include "config.h"

#include <glib/gi18n.h>
#include <gst/gst.h>

#include "ms-app-resources.h"
#include "ms-application.h"
#include "ms-preferences.h"
#include "ms-session.h"
#include "ms-window.h"

struct _MsApplication {
  AdwApplication  parent_instance;

  gboolean        host;
  gboolean        demo;
  char           *url;
  char           *token;
};

G_DEFINE_FINAL_TYPE (MsApplication, ms_application, ADW_TYPE_APPLICATION)

static MsWindow *
get_window (MsApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (ms_window_new (GTK_APPLICATION (self)));

  return MS_WINDOW (window);
}

static void
ms_application_activate (GApplication *application)
{
  MsApplication *self = MS_APPLICATION (application);
  MsWindow *window = get_window (self);

  if (self->host || self->demo)
    ms_window_host (window, self->demo);
  else if (self->url != NULL && self->token != NULL)
    ms_window_join (window, self->url, self->token);
  self->host = self->demo = FALSE;
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->token, g_free);
  gtk_window_present (GTK_WINDOW (window));
}

static void
ms_application_open (GApplication  *application,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  MsWindow *window = get_window (MS_APPLICATION (application));

  /* A link must not end the call a window is in: it gets a window of
   * its own. */
  if (g_strcmp0 (ms_window_get_page (window), "call") == 0)
    window = ms_window_new (GTK_APPLICATION (application));

  for (int i = 0; i < n_files; i++) {
    g_autofree char *link = g_file_get_uri (files[i]);
    g_autoptr (GError) error = NULL;

    if (ms_window_open_invite (window, link, &error))
      break;
    g_warning ("%s: %s", link, error->message);
  }
  gtk_window_present (GTK_WINDOW (window));
}

static int
ms_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  MsApplication *self = MS_APPLICATION (application);

  if (g_variant_dict_contains (options, "version")) {
    g_print ("mediastore %s\n", PACKAGE_VERSION);
    return 0;
  }
  self->host = g_variant_dict_contains (options, "host");
  self->demo = g_variant_dict_contains (options, "demo");
  g_variant_dict_lookup (options, "url", "s", &self->url);
  g_variant_dict_lookup (options, "token", "s", &self->token);

  return -1;
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  MsApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *preferences = ms_preferences_new ();

  gtk_window_set_transient_for (GTK_WINDOW (preferences), window);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  MsApplication *self = user_data;
  const char *developers[] = { "The Mediastore developers", NULL };

  adw_show_about_window (gtk_application_get_active_window (GTK_APPLICATION (self)),
                         "application-name", _("Mediastore"),
                         "application-icon", APP_ID,
                         "version", PACKAGE_VERSION,
                         "developer-name", _("The Mediastore developers"),
                         "developers", developers,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "website", "https://github.com/mediastore/mediastore",
                         "issue-url", "https://github.com/mediastore/mediastore/issues",
                         /* Translators: your name and e-mail, one per line. */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  /* Ctrl+Q concerns the window it was pressed in: a window in a call asks
   * first, and a call in another window goes on. The app ends with its
   * last window. */
  if (window != NULL)
    gtk_window_close (window);
  else
    g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "preferences", preferences_activated },
  { "about", about_activated },
  { "quit", quit_activated },
};

static void
ms_application_startup (GApplication *application)
{
  GtkApplication *app = GTK_APPLICATION (application);
  static const struct {
    const char *action;
    const char *accels[2];
  } accels[] = {
    { "app.quit", { "<Ctrl>q", NULL } },
    { "app.preferences", { "<Ctrl>comma", NULL } },
    { "win.microphone", { "<Ctrl>d", NULL } },
    { "win.camera", { "<Ctrl>e", NULL } },
    { "win.toggle-chat", { "<Ctrl><Alt>c", NULL } },
    { "win.leave", { "<Ctrl><Shift>h", NULL } },
    { "win.fullscreen", { "F11", NULL } },
  };

  G_APPLICATION_CLASS (ms_application_parent_class)->startup (application);

  /* The DTLS certificate is made while the first window and its lobby
   * come up, not when Join is pressed; only in the instance that shows
   * windows (not for --help, nor in one that hands its arguments to the
   * running instance), so that no thread is still making one when such
   * a process exits (an exit then hung under ASan, once). */
  ms_session_prepare_async (NULL, NULL, NULL);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions),
                                   app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (app, accels[i].action, accels[i].accels);
}

static void
ms_application_finalize (GObject *object)
{
  MsApplication *self = MS_APPLICATION (object);

  g_free (self->url);
  g_free (self->token);

  G_OBJECT_CLASS (ms_application_parent_class)->finalize (object);
}

/**
 * ms_application_register_resources:
 *
 * Registers the app's GResource (the window, style.css, the shortcuts
 * window, the icons Adwaita lacks), once. GtkApplication and
 * AdwApplication look for style.css, gtk/help-overlay.ui and icons/ under
 * the resource base path when they start up: the resource must be there
 * before that, not when the first window is made.
 */
void
ms_application_register_resources (void)
{
  static gsize registered;

  if (g_once_init_enter (&registered)) {
    ms_app_register_resource ();
    g_once_init_leave (&registered, 1);
  }
}

static void
ms_application_class_init (MsApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ms_application_finalize;
  app_class->activate = ms_application_activate;
  app_class->open = ms_application_open;
  app_class->startup = ms_application_startup;
  app_class->handle_local_options = ms_application_handle_local_options;

  ms_application_register_resources ();
}

static void
ms_application_init (MsApplication *self)
{
  const GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Host a call on this computer"), NULL },
    { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Host a call on this computer with a demo participant"), NULL },
    { "url", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Join the call at this server address"),
      "URL" },
    { "token", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Token to join the call with"), "TOKEN" },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_add_option_group (G_APPLICATION (self), gst_init_get_option_group ());
  g_application_set_option_context_parameter_string (G_APPLICATION (self),
                                                     _("[INVITATION-LINK]"));
}

MsApplication *
ms_application_new (void)
{
  return g_object_new (MS_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/mediastore/Mediastore",
                       NULL);
}
