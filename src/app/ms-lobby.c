/* ms-lobby.c: the page before joining a call
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What an invitation link leads to: the room and host it is about to
 * join, a live preview of the chosen camera, the chosen microphone's
 * level, the device lists of the preferences (the same settings), your
 * name (the preferences' name; the invitation's only as the default),
 * and whether the call starts with the camera and microphone on. The
 * preview and the level run in small pipelines of their own, only while
 * the lobby is on screen and the device is switched on. A class of device
 * with nothing plugged in is said so, and its switch is off and
 * insensitive until one appears.
 */

#define G_LOG_DOMAIN "MsLobby"

#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "ms-video-sink.h"
#include "ms-app-media.h"
#include "ms-devices.h"
#include "ms-lobby.h"

typedef struct {
  GstElement *pipeline;
  guint       watch;
  char       *status;    /* why it is not available; NULL when it is */
} Capture;

struct _MsLobby {
  AdwBin          parent_instance;

  AdwWindowTitle *title;
  GtkLabel       *target_label;
  GtkStack       *preview_stack;
  AdwStatusPage  *camera_off;
  GtkLevelBar    *level_bar;
  AdwEntryRow    *name_row;
  AdwActionRow   *camera_row;
  GtkSwitch      *camera_switch;
  AdwActionRow   *microphone_row;
  GtkSwitch      *microphone_switch;

  MsVideoSink    *sink;
  Capture         camera;
  Capture         microphone;
  double          level;

  char           *token_name;
  char           *name;
  gboolean        prefilling;
};

G_DEFINE_FINAL_TYPE (MsLobby, ms_lobby, ADW_TYPE_BIN)

enum {
  SIGNAL_JOIN,
  SIGNAL_CANCEL,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void update (MsLobby *self);

/* A capture that failed is switched off; switching it on tries again. */
static void
capture_failed (MsLobby *self,
                Capture *capture,
                char    *status)
{
  g_free (capture->status);
  capture->status = status;
  gtk_switch_set_active (capture == &self->camera ? self->camera_switch : self->microphone_switch,
                         FALSE);
}

/* ---- the preview and the level ---- */

static void
capture_stop (MsLobby *self,
              Capture *capture)
{
  if (capture->pipeline == NULL)
    return;
  g_clear_handle_id (&capture->watch, g_source_remove);
  gst_element_set_state (capture->pipeline, GST_STATE_NULL);
  if (capture == &self->camera)
    gst_bin_remove (GST_BIN (capture->pipeline), GST_ELEMENT (self->sink));
  gst_clear_object (&capture->pipeline);
  if (capture == &self->microphone) {
    self->level = 0.0;
    gtk_level_bar_set_value (self->level_bar, 0.0);
  }
}

static double
level_of (GstMessage *message)
{
  const GstStructure *structure = gst_message_get_structure (message);
  const GValue *rms;
  double loudest = -G_MAXDOUBLE;
  GValueArray *values;

  if (structure == NULL || !gst_structure_has_name (structure, "level"))
    return -1.0;
  rms = gst_structure_get_value (structure, "rms");
  if (rms == NULL || !G_VALUE_HOLDS_BOXED (rms) || g_value_get_boxed (rms) == NULL)
    return -1.0;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  values = g_value_get_boxed (rms);
  for (guint i = 0; i < values->n_values; i++)
    loudest = MAX (loudest, g_value_get_double (g_value_array_get_nth (values, i)));
  G_GNUC_END_IGNORE_DEPRECATIONS

  return loudest < -90.0 ? 0.0 : CLAMP (pow (10.0, loudest / 20.0), 0.0, 1.0);
}

static gboolean
on_capture_bus (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  MsLobby *self = MS_LOBBY (g_object_get_data (G_OBJECT (bus), "ms-lobby"));
  Capture *capture = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;
  double level;

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_ELEMENT:
    level = level_of (message);
    if (level >= 0.0) {
      self->level = level;
      gtk_level_bar_set_value (self->level_bar, level);
    }
    break;
  case GST_MESSAGE_ERROR:
    gst_message_parse_error (message, &error, &debug);
    g_message ("Lobby: %s (%s)", error->message, debug ? debug : "");
    capture->watch = 0;
    capture_stop (self, capture);
    capture_failed (self, capture, g_strdup_printf (capture == &self->camera
                                                    ? _("The camera does not work: %s")
                                                    : _("The microphone does not work: %s"),
                                                    error->message));
    update (self);
    return G_SOURCE_REMOVE;
  default:
    break;
  }

  return G_SOURCE_CONTINUE;
}

static void
capture_start (MsLobby    *self,
               Capture    *capture,
               const char *tag)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstBus) bus = NULL;
  GstElement *source;
  GstElement *rest;
  GstElement *sink;

  if (capture->pipeline != NULL)
    return;

  source = ms_media_make_source (tag, &error);
  if (source == NULL) {
    capture_failed (self, capture, g_strdup (error->message));
    return;
  }
  if (capture == &self->camera) {
    rest = gst_parse_bin_from_description ("videoconvert ! videoscale ! videorate ! "
                                           "video/x-raw,width=640,height=360,framerate=[1/1,30/1] ! "
                                           "videoconvert", TRUE, &error);
    sink = GST_ELEMENT (self->sink);
  } else {
    rest = gst_parse_bin_from_description ("audioconvert ! "
                                           "level post-messages=true interval=50000000",
                                           TRUE, &error);
    sink = gst_element_factory_make ("fakesink", NULL);
    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  }
  if (rest == NULL) {
    gst_object_unref (gst_object_ref_sink (source));
    g_warning ("Lobby: %s", error->message);
    return;
  }

  capture->pipeline = gst_object_ref_sink (gst_pipeline_new (tag));
  gst_bin_add_many (GST_BIN (capture->pipeline), source, rest, sink, NULL);
  if (!gst_element_link_many (source, rest, sink, NULL)) {
    capture_stop (self, capture);
    capture_failed (self, capture,
                    g_strdup (capture == &self->camera ? _("The camera could not be opened")
                                                       : _("The microphone could not be opened")));
    return;
  }
  bus = gst_pipeline_get_bus (GST_PIPELINE (capture->pipeline));
  g_object_set_data (G_OBJECT (bus), "ms-lobby", self);
  capture->watch = gst_bus_add_watch (bus, on_capture_bus, capture);
  if (gst_element_set_state (capture->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The error message on the bus says why; it comes next. */
    g_debug ("Lobby: %s did not start", tag);
  }
}

/* Which captures run, what the switches allow, and what is said. */
static void
update (MsLobby *self)
{
  gboolean mapped = gtk_widget_get_mapped (GTK_WIDGET (self));
  const struct {
    Capture      *capture;
    const char   *tag;
    GtkSwitch    *toggle;
    AdwActionRow *row;
  } all[] = {
    { &self->camera, "camera", self->camera_switch, self->camera_row },
    { &self->microphone, "microphone", self->microphone_switch, self->microphone_row },
  };

  for (guint i = 0; i < G_N_ELEMENTS (all); i++) {
    Capture *capture = all[i].capture;
    gboolean present = ms_media_has_device (all[i].tag);

    if (!present) {
      g_free (capture->status);
      capture->status = g_strdup (ms_devices_get_missing_text (g_str_equal (all[i].tag, "camera")
                                                               ? MS_DEVICE_CAMERA
                                                               : MS_DEVICE_MICROPHONE));
      gtk_switch_set_active (all[i].toggle, FALSE);
    } else if (capture->status != NULL && capture->pipeline == NULL &&
               !gtk_widget_get_sensitive (GTK_WIDGET (all[i].toggle))) {
      /* A device appeared: it may be chosen again. */
      g_clear_pointer (&capture->status, g_free);
    }
    gtk_widget_set_sensitive (GTK_WIDGET (all[i].toggle), present);

    if (mapped && present && capture->status == NULL && gtk_switch_get_active (all[i].toggle))
      capture_start (self, capture, all[i].tag);
    else
      capture_stop (self, capture);
    adw_action_row_set_subtitle (all[i].row, capture->status);
  }

  if (self->camera.pipeline != NULL) {
    gtk_stack_set_visible_child_name (self->preview_stack, "video");
  } else {
    adw_status_page_set_title (self->camera_off, self->camera.status ? _("No Camera")
                                                                     : _("Camera Off"));
    adw_status_page_set_description (self->camera_off, self->camera.status);
    gtk_stack_set_visible_child_name (self->preview_stack, "off");
  }
  gtk_widget_set_sensitive (GTK_WIDGET (self->level_bar), self->microphone.pipeline != NULL);
}

static void
on_switch (MsLobby *self)
{
  /* Switching on again after a failure tries again. */
  if (gtk_switch_get_active (self->camera_switch) && self->camera.pipeline == NULL)
    g_clear_pointer (&self->camera.status, g_free);
  if (gtk_switch_get_active (self->microphone_switch) && self->microphone.pipeline == NULL)
    g_clear_pointer (&self->microphone.status, g_free);
  update (self);
}

static void
on_devices_changed (MsLobby *self)
{
  update (self);
}

/* ---- the name ---- */

static void
prefill_name (MsLobby *self)
{
  GSettings *settings = ms_media_get_settings ();
  g_autofree char *saved = settings ? g_settings_get_string (settings, "display-name") : NULL;
  const char *name = saved && *saved ? saved
                     : self->token_name ? self->token_name : ms_media_default_display_name ();

  if (g_strcmp0 (name, gtk_editable_get_text (GTK_EDITABLE (self->name_row))) == 0)
    return;
  self->prefilling = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  self->prefilling = FALSE;
}

static void
on_name_changed (MsLobby *self)
{
  GSettings *settings = ms_media_get_settings ();
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));

  if (self->prefilling || settings == NULL)
    return;
  /* The lobby's name is the preferences' name. */
  g_settings_set_string (settings, "display-name", name);
}

static void
on_setting_changed (GSettings  *settings,
                    const char *key,
                    MsLobby    *self)
{
  g_autofree char *value = NULL;

  if (g_str_equal (key, "display-name")) {
    value = g_settings_get_string (settings, key);
    if (*value != '\0')
      prefill_name (self);
  } else if (g_str_equal (key, "camera-device")) {
    capture_stop (self, &self->camera);
    g_clear_pointer (&self->camera.status, g_free);
    update (self);
  } else if (g_str_equal (key, "microphone-device")) {
    capture_stop (self, &self->microphone);
    g_clear_pointer (&self->microphone.status, g_free);
    update (self);
  }
}

/* ---- building ---- */

static void
on_join_clicked (MsLobby *self)
{
  ms_lobby_join (self);
}

static void
on_cancel_clicked (MsLobby *self)
{
  g_signal_emit (self, signals[SIGNAL_CANCEL], 0);
}

static GtkSwitch *
add_switch_row (MsLobby       *self,
                GtkListBox    *list,
                const char    *title,
                AdwActionRow **row_out)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *toggle = gtk_switch_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  gtk_switch_set_active (GTK_SWITCH (toggle), TRUE);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), toggle);
  g_signal_connect_swapped (toggle, "notify::active", G_CALLBACK (on_switch), self);
  gtk_list_box_append (list, row);
  *row_out = ADW_ACTION_ROW (row);

  return GTK_SWITCH (toggle);
}

static void
ms_lobby_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (ms_lobby_parent_class)->map (widget);
  update (MS_LOBBY (widget));
}

static void
ms_lobby_unmap (GtkWidget *widget)
{
  MsLobby *self = MS_LOBBY (widget);

  capture_stop (self, &self->camera);
  capture_stop (self, &self->microphone);
  GTK_WIDGET_CLASS (ms_lobby_parent_class)->unmap (widget);
  update (self);
}

static void
ms_lobby_dispose (GObject *object)
{
  MsLobby *self = MS_LOBBY (object);
  MsDevices *devices = ms_devices_get_default ();

  capture_stop (self, &self->camera);
  capture_stop (self, &self->microphone);
  g_signal_handlers_disconnect_by_data (ms_devices_get_list (devices, MS_DEVICE_CAMERA), self);
  g_signal_handlers_disconnect_by_data (ms_devices_get_list (devices, MS_DEVICE_MICROPHONE), self);
  gst_clear_object (&self->sink);

  G_OBJECT_CLASS (ms_lobby_parent_class)->dispose (object);
}

static void
ms_lobby_finalize (GObject *object)
{
  MsLobby *self = MS_LOBBY (object);

  g_free (self->camera.status);
  g_free (self->microphone.status);
  g_free (self->token_name);
  g_free (self->name);

  G_OBJECT_CLASS (ms_lobby_parent_class)->finalize (object);
}

static void
ms_lobby_class_init (MsLobbyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_lobby_dispose;
  object_class->finalize = ms_lobby_finalize;
  widget_class->map = ms_lobby_map;
  widget_class->unmap = ms_lobby_unmap;

  /**
   * MsLobby::join:
   *
   * "Join Now": the choices are read with ms_lobby_get_name(),
   * ms_lobby_get_camera_on() and ms_lobby_get_microphone_on().
   */
  signals[SIGNAL_JOIN] =
    g_signal_new ("join", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  /**
   * MsLobby::cancel:
   *
   * Not joining after all.
   */
  signals[SIGNAL_CANCEL] =
    g_signal_new ("cancel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
ms_lobby_init (MsLobby *self)
{
  MsDevices *devices = ms_devices_get_default ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *frame = gtk_frame_new (NULL);
  GtkWidget *picture;
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *join = gtk_button_new_with_mnemonic (_("_Join Now"));

  self->sink = gst_object_ref_sink (ms_video_sink_new ());

  self->title = ADW_WINDOW_TITLE (adw_window_title_new (_("Ready to Join?"), NULL));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), GTK_WIDGET (self->title));
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (on_cancel_clicked), self);
  gtk_box_append (GTK_BOX (box), header);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 560);
  gtk_widget_set_margin_top (content, 24);
  gtk_widget_set_margin_bottom (content, 24);
  gtk_widget_set_margin_start (content, 12);
  gtk_widget_set_margin_end (content, 12);

  self->target_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->target_label, TRUE);
  gtk_label_set_justify (self->target_label, GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (self->target_label), "dim-label");
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->target_label));

  /* The preview, or why there is none. */
  self->preview_stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_size_request (GTK_WIDGET (self->preview_stack), -1, 270);
  picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (self->sink));
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_stack_add_named (self->preview_stack, picture, "video");
  self->camera_off = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->camera_off, "camera-disabled-symbolic");
  gtk_widget_add_css_class (GTK_WIDGET (self->camera_off), "compact");
  gtk_stack_add_named (self->preview_stack, GTK_WIDGET (self->camera_off), "off");
  gtk_frame_set_child (GTK_FRAME (frame), GTK_WIDGET (self->preview_stack));
  gtk_widget_add_css_class (frame, "lobby-preview");
  gtk_box_append (GTK_BOX (content), frame);

  self->level_bar = GTK_LEVEL_BAR (gtk_level_bar_new_for_interval (0.0, 1.0));
  gtk_level_bar_set_mode (self->level_bar, GTK_LEVEL_BAR_MODE_CONTINUOUS);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->level_bar), _("Microphone Level"));
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->level_bar));

  /* Who and with what. */
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  self->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name_row), _("Your Name"));
  g_signal_connect_swapped (self->name_row, "entry-activated", G_CALLBACK (on_join_clicked), self);
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->name_row));
  self->camera_switch = add_switch_row (self, GTK_LIST_BOX (list), _("Camera"), &self->camera_row);
  gtk_list_box_append (GTK_LIST_BOX (list),
                       ms_devices_make_row (_("Camera Device"), MS_DEVICE_CAMERA, "camera-device"));
  self->microphone_switch = add_switch_row (self, GTK_LIST_BOX (list), _("Microphone"),
                                            &self->microphone_row);
  gtk_list_box_append (GTK_LIST_BOX (list),
                       ms_devices_make_row (_("Microphone Device"), MS_DEVICE_MICROPHONE,
                                            "microphone-device"));
  gtk_box_append (GTK_BOX (content), list);

  gtk_widget_set_halign (join, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (join, "suggested-action");
  gtk_widget_add_css_class (join, "pill");
  g_signal_connect_swapped (join, "clicked", G_CALLBACK (on_join_clicked), self);
  gtk_box_append (GTK_BOX (content), join);

  adw_clamp_set_child (ADW_CLAMP (clamp), content);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  gtk_box_append (GTK_BOX (box), scrolled);
  adw_bin_set_child (ADW_BIN (self), box);

  prefill_name (self);
  g_signal_connect_swapped (self->name_row, "changed", G_CALLBACK (on_name_changed), self);
  g_signal_connect_swapped (ms_devices_get_list (devices, MS_DEVICE_CAMERA), "items-changed",
                            G_CALLBACK (on_devices_changed), self);
  g_signal_connect_swapped (ms_devices_get_list (devices, MS_DEVICE_MICROPHONE), "items-changed",
                            G_CALLBACK (on_devices_changed), self);
  if (ms_media_get_settings () != NULL)
    g_signal_connect_object (ms_media_get_settings (), "changed", G_CALLBACK (on_setting_changed),
                             self, 0);
  update (self);
}

GtkWidget *
ms_lobby_new (void)
{
  return g_object_new (MS_TYPE_LOBBY, NULL);
}

/**
 * ms_lobby_set_target:
 * @room: (nullable): the room about to be joined
 * @host: (nullable): the server's host
 * @token_name: (nullable): the name the invitation gives, the default name
 *
 * Shows what is about to be joined, and offers the name again.
 */
void
ms_lobby_set_target (MsLobby    *self,
                     const char *room,
                     const char *host,
                     const char *token_name)
{
  g_autofree char *text = NULL;

  g_return_if_fail (MS_IS_LOBBY (self));

  if (room != NULL && host != NULL)
    text = g_strdup_printf (_("You are about to join “%s” on %s"), room, host);
  else if (host != NULL)
    text = g_strdup_printf (_("You are about to join a call on %s"), host);
  gtk_label_set_label (self->target_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->target_label), text != NULL);
  adw_window_title_set_subtitle (self->title, room);

  g_free (self->token_name);
  self->token_name = g_strdup (token_name);
  prefill_name (self);
  update (self);
}

/**
 * ms_lobby_get_name:
 *
 * Returns: the name to join with: the one typed, else the default
 */
const char *
ms_lobby_get_name (MsLobby *self)
{
  g_return_val_if_fail (MS_IS_LOBBY (self), NULL);

  g_free (self->name);
  self->name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  if (*self->name == '\0') {
    g_free (self->name);
    self->name = g_strdup (self->token_name ? self->token_name : ms_media_default_display_name ());
  }

  return self->name;
}

GtkEditable *
ms_lobby_get_name_row (MsLobby *self)
{
  g_return_val_if_fail (MS_IS_LOBBY (self), NULL);

  return GTK_EDITABLE (self->name_row);
}

gboolean
ms_lobby_get_camera_on (MsLobby *self)
{
  g_return_val_if_fail (MS_IS_LOBBY (self), FALSE);

  return gtk_switch_get_active (self->camera_switch) &&
         gtk_widget_get_sensitive (GTK_WIDGET (self->camera_switch));
}

void
ms_lobby_set_camera_on (MsLobby  *self,
                        gboolean  on)
{
  g_return_if_fail (MS_IS_LOBBY (self));

  gtk_switch_set_active (self->camera_switch, on);
}

gboolean
ms_lobby_get_microphone_on (MsLobby *self)
{
  g_return_val_if_fail (MS_IS_LOBBY (self), FALSE);

  return gtk_switch_get_active (self->microphone_switch) &&
         gtk_widget_get_sensitive (GTK_WIDGET (self->microphone_switch));
}

void
ms_lobby_set_microphone_on (MsLobby  *self,
                            gboolean  on)
{
  g_return_if_fail (MS_IS_LOBBY (self));

  gtk_switch_set_active (self->microphone_switch, on);
}

/**
 * ms_lobby_get_camera_status:
 *
 * Returns: (nullable): why the camera cannot be used (none plugged in, or
 *   it failed), %NULL when it can
 */
const char *
ms_lobby_get_camera_status (MsLobby *self)
{
  g_return_val_if_fail (MS_IS_LOBBY (self), NULL);

  return self->camera.status;
}

const char *
ms_lobby_get_microphone_status (MsLobby *self)
{
  g_return_val_if_fail (MS_IS_LOBBY (self), NULL);

  return self->microphone.status;
}

/**
 * ms_lobby_get_preview:
 *
 * Returns: (transfer none): the camera preview's paintable
 */
GdkPaintable *
ms_lobby_get_preview (MsLobby *self)
{
  g_return_val_if_fail (MS_IS_LOBBY (self), NULL);

  return GDK_PAINTABLE (self->sink);
}

/**
 * ms_lobby_get_level:
 *
 * Returns: the microphone's level, 0 to 1, as the level bar shows it
 */
double
ms_lobby_get_level (MsLobby *self)
{
  g_return_val_if_fail (MS_IS_LOBBY (self), 0.0);

  return gtk_level_bar_get_value (self->level_bar);
}

/**
 * ms_lobby_join:
 *
 * As "Join Now": the devices are let go, then #MsLobby::join is emitted.
 */
void
ms_lobby_join (MsLobby *self)
{
  g_return_if_fail (MS_IS_LOBBY (self));

  /* The call opens the same devices: let go of them first. */
  capture_stop (self, &self->camera);
  capture_stop (self, &self->microphone);
  g_signal_emit (self, signals[SIGNAL_JOIN], 0);
}
