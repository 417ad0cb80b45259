/* mediastore-bot.c: a headless participant for tests, demos and benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "MsBot"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "mediastore.h"

typedef struct {
  MsSession  *session;
  GMainLoop  *loop;
  char      **publish;
  guint       width;         /* of raw video tracks; 0 for the library's default */
  guint       height;
  guint       framerate;
  gboolean    stats;
  guint       expect_tracks;
  gboolean    stay;
  gboolean    reached;
  int         status;
  gint64      started_us;
  gint64      connected_us;
  const char *url;
  const char *token;
  gboolean    lobby;         /* joins on SIGUSR2, as the app joins from its lobby */
  gboolean    joining;
  GHashTable *seen;          /* "peer/tag" → TrackSeen: outlives the peer's leaving */
} Bot;

typedef struct {
  char          *peer_id;
  char          *tag;
  MsTrackKind    kind;
  MsTrackStats   stats;      /* over every time it was received */
  MsTrackStats   before;     /* what the earlier times added up to */
  MsRemoteTrack *current;    /* owned: the track object counted now */
  guint          restarts;   /* times it was received again (a reconnect, a renegotiation) */
} TrackSeen;

static void
track_seen_free (gpointer data)
{
  TrackSeen *seen = data;

  g_free (seen->peer_id);
  g_free (seen->tag);
  g_clear_object (&seen->current);
  g_free (seen);
}

/* camera=test-video, microphone=test-audio, camera=file:clip.ivf */
static MsLocalTrack *
track_for (const char  *what,
           GError     **error)
{
  static const struct {
    const char         *name;
    MsLocalTrackSource  source;
  } sources[] = {
    { "camera", MS_LOCAL_TRACK_CAMERA },
    { "microphone", MS_LOCAL_TRACK_MICROPHONE },
    { "screen", MS_LOCAL_TRACK_SCREEN },
    { "test-video", MS_LOCAL_TRACK_TEST_VIDEO },
    { "test-audio", MS_LOCAL_TRACK_TEST_AUDIO },
  };

  if (g_str_has_prefix (what, "file:"))
    return ms_local_track_new_for_file (what + strlen ("file:"), error);

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++) {
    if (g_str_equal (what, sources[i].name))
      return ms_local_track_new (sources[i].source, error);
  }

  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("Unknown source “%s”: use camera, microphone, screen, test-video, test-audio "
                 "or file:PATH"), what);
  return NULL;
}

static gboolean
publish_all (Bot     *bot,
             GError **error)
{
  for (guint i = 0; bot->publish != NULL && bot->publish[i] != NULL; i++) {
    g_auto (GStrv) items = g_strsplit (bot->publish[i], ",", -1);

    for (guint j = 0; items[j] != NULL; j++) {
      g_auto (GStrv) pair = g_strsplit (items[j], "=", 2);
      g_autoptr (MsLocalTrack) track = NULL;

      if (g_strv_length (pair) != 2) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     _("Use TAG=SOURCE with --publish, not “%s”"), items[j]);
        return FALSE;
      }
      track = track_for (pair[1], error);
      if (track == NULL)
        return FALSE;
      if (bot->width > 0 && ms_local_track_get_kind (track) == MS_TRACK_KIND_VIDEO &&
          ms_local_track_get_source (track) != MS_LOCAL_TRACK_FILE)
        ms_local_track_set_video_format (track, bot->width, bot->height, bot->framerate);
      if (!ms_session_send_track (bot->session, track, pair[0], FALSE, error))
        return FALSE;
    }
  }

  return TRUE;
}

/* @seen's counts: what the earlier track objects got, then @track's. */
static void
track_seen_count (TrackSeen     *seen,
                  MsRemoteTrack *track)
{
  MsTrackStats now;

  ms_remote_track_get_stats (track, &now);
  seen->stats.frames = seen->before.frames + now.frames;
  seen->stats.packets = seen->before.packets + now.packets;
  seen->stats.bytes = seen->before.bytes + now.bytes;
  seen->stats.packets_lost = seen->before.packets_lost + now.packets_lost;
  seen->stats.first_frame_us = seen->before.first_frame_us != 0 ? seen->before.first_frame_us
                                                                : now.first_frame_us;
  seen->stats.max_gap_us = MAX (seen->before.max_gap_us, now.max_gap_us);
  /* The freeze between two of them is a freeze too. */
  if (seen->before.last_frame_us != 0 && now.first_frame_us != 0)
    seen->stats.max_gap_us = MAX (seen->stats.max_gap_us,
                                  now.first_frame_us - seen->before.last_frame_us);
  seen->stats.last_frame_us = now.last_frame_us != 0 ? now.last_frame_us
                                                     : seen->before.last_frame_us;
}

/* A peer's track may be received again as a new object with counters
 * from zero (after either side reconnected): the counts go on. */
static void
track_seen_update (TrackSeen     *seen,
                   MsRemoteTrack *track)
{
  if (seen->current != track) {
    if (seen->current != NULL) {
      /* The old one's last word, then it is history. */
      track_seen_count (seen, seen->current);
      seen->restarts++;
    }
    seen->before = seen->stats;
    g_set_object (&seen->current, track);
  }
  track_seen_count (seen, track);
}

/* Takes a snapshot of every remote track's counters; returns how many
 * tracks have delivered media so far, those of peers who left included. */
static guint
update_seen (Bot *bot)
{
  GListModel *tracks = ms_session_get_remote_tracks (bot->session);
  gboolean decode = ms_session_get_decode (bot->session);
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (tracks); i++) {
    g_autoptr (MsRemoteTrack) track = g_list_model_get_item (tracks, i);
    g_autofree char *key = g_strconcat (ms_remote_track_get_peer_id (track), "/",
                                        ms_remote_track_get_tag (track), NULL);
    TrackSeen *seen = g_hash_table_lookup (bot->seen, key);

    if (seen == NULL) {
      seen = g_new0 (TrackSeen, 1);
      seen->peer_id = g_strdup (ms_remote_track_get_peer_id (track));
      seen->tag = g_strdup (ms_remote_track_get_tag (track));
      seen->kind = ms_remote_track_get_kind (track);
      g_hash_table_insert (bot->seen, g_steal_pointer (&key), seen);
    }
    track_seen_update (seen, track);
  }

  g_hash_table_iter_init (&iter, bot->seen);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    TrackSeen *seen = value;

    if (decode ? seen->stats.frames > 0 : seen->stats.packets > 0)
      n++;
  }

  return n;
}

static void
print_stats (Bot      *bot,
             gboolean  pretty)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  GListModel *peers;
  GHashTableIter iter;
  gpointer value;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "connect_ms");
  json_builder_add_int_value (builder, bot->connected_us ?
                              (bot->connected_us - bot->started_us) / 1000 : -1);
  /* Who this bot sees in the call when it stops. */
  json_builder_set_member_name (builder, "peers");
  json_builder_begin_array (builder);
  peers = ms_store_get_peers (ms_session_get_store (bot->session));
  for (guint i = 0; i < g_list_model_get_n_items (peers); i++) {
    g_autoptr (MsPeer) peer = g_list_model_get_item (peers, i);

    json_builder_add_string_value (builder, ms_peer_get_id (peer));
  }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "tracks");
  json_builder_begin_array (builder);
  update_seen (bot);
  g_hash_table_iter_init (&iter, bot->seen);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    TrackSeen *seen = value;
    MsTrackStats stats = seen->stats;

    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "peer_id");
    json_builder_add_string_value (builder, seen->peer_id);
    json_builder_set_member_name (builder, "tag");
    json_builder_add_string_value (builder, seen->tag);
    json_builder_set_member_name (builder, "kind");
    json_builder_add_string_value (builder, ms_track_kind_to_string (seen->kind));
    json_builder_set_member_name (builder, "frames");
    json_builder_add_int_value (builder, stats.frames);
    json_builder_set_member_name (builder, "packets");
    json_builder_add_int_value (builder, stats.packets);
    json_builder_set_member_name (builder, "bytes");
    json_builder_add_int_value (builder, stats.bytes);
    json_builder_set_member_name (builder, "packets_lost");
    json_builder_add_int_value (builder, stats.packets_lost);
    json_builder_set_member_name (builder, "first_frame_ms");
    json_builder_add_int_value (builder, stats.first_frame_us ?
                                (stats.first_frame_us - bot->started_us) / 1000 : -1);
    json_builder_set_member_name (builder, "max_gap_ms");
    json_builder_add_int_value (builder, stats.max_gap_us / 1000);
    json_builder_set_member_name (builder, "restarts");
    json_builder_add_int_value (builder, seen->restarts);
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = json_to_string (root, pretty);
  g_print ("%s\n", text);
  fflush (stdout);
}

static void
finish (Bot *bot,
        int  status)
{
  bot->status = status;
  g_main_loop_quit (bot->loop);
}

static gboolean
on_check (gpointer user_data)
{
  Bot *bot = user_data;

  /* Counters move on streaming threads; a light poll reads them. */
  if (bot->expect_tracks > 0 && update_seen (bot) >= bot->expect_tracks) {
    bot->reached = TRUE;
    if (!bot->stay) {
      finish (bot, 0);
    } else {
      /* Whoever drives the bots hears it, and tells it when to go. */
      g_print ("tracks-arrived\n");
      fflush (stdout);
    }
    return G_SOURCE_REMOVE;
  }

  return G_SOURCE_CONTINUE;
}

static gboolean
on_duration (gpointer user_data)
{
  Bot *bot = user_data;

  if (bot->expect_tracks > 0 && !bot->reached) {
    g_printerr (_("Only %u of the %u expected tracks arrived\n"), update_seen (bot),
                bot->expect_tracks);
    finish (bot, 1);
  } else {
    finish (bot, 0);
  }

  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer user_data)
{
  finish (user_data, 0);
  return G_SOURCE_REMOVE;
}

static void on_connected (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data);

static void
join (Bot *bot)
{
  bot->joining = TRUE;
  bot->started_us = g_get_monotonic_time ();
  ms_session_connect_async (bot->session, bot->url, bot->token, NULL, on_connected, bot);
}

/* --join-on-signal: "ready" once what the app makes before its lobby's
 * Join button is pressed is made; SIGUSR2 is the press. */
static void
on_prepared (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  (void) source;
  ms_session_prepare_finish (result, NULL);
  g_printerr ("ready\n");
}

static gboolean
on_cue (gpointer user_data)
{
  Bot *bot = user_data;

  if (!bot->joining)
    join (bot);
  return G_SOURCE_CONTINUE;
}

/* A benchmark reads the counters at the start and the end of its window. */
static gboolean
on_snapshot (gpointer user_data)
{
  print_stats (user_data, FALSE);
  return G_SOURCE_CONTINUE;
}

static void
on_status (MsStore    *store,
           GParamSpec *pspec,
           Bot        *bot)
{
  if (ms_store_get_connect_status (store) == MS_CONNECT_STATUS_FAILED) {
    g_printerr ("%s\n", ms_store_get_error_connection (store));
    finish (bot, 1);
  }
}

static void
on_server_error (MsSession  *session,
                 const char *code,
                 const char *message,
                 Bot        *bot)
{
  g_printerr (_("The server refused a request: %s (%s)\n"), message, code);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Bot *bot = user_data;
  g_autoptr (GError) error = NULL;

  if (!ms_session_connect_finish (MS_SESSION (source), result, &error))
    return;   /* on_status reports it */

  bot->connected_us = g_get_monotonic_time ();
  if (!publish_all (bot, &error)) {
    g_printerr ("%s\n", error->message);
    finish (bot, 1);
  }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *token = NULL;
  gboolean subscribe = FALSE;
  int duration = 30;
  int expect = 0;
  gboolean stay = FALSE;
  g_autofree char *video = NULL;
  int latency = -1;
  Bot bot = { 0 };
  const GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, N_("Server address, ws://HOST:PORT/v1/ws"),
      N_("URL") },
    { "token", 0, 0, G_OPTION_ARG_STRING, &token, N_("Token to join with"), N_("TOKEN") },
    { "publish", 0, 0, G_OPTION_ARG_STRING_ARRAY, &bot.publish,
      N_("Tracks to send, such as camera=test-video,microphone=test-audio or "
         "camera=file:clip.ivf"), N_("TAG=SOURCE,…") },
    { "subscribe", 0, 0, G_OPTION_ARG_NONE, &subscribe,
      N_("Decode what arrives (otherwise it is only counted)"), NULL },
    { "duration", 0, 0, G_OPTION_ARG_INT, &duration, N_("Seconds to stay (default: 30)"),
      N_("SECONDS") },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &bot.stats, N_("Print JSON statistics at the end"),
      NULL },
    { "expect-tracks", 0, 0, G_OPTION_ARG_INT, &expect,
      N_("End as soon as this many remote tracks delivered media; fail if they do not "
         "within the duration"), N_("N") },
    { "video", 0, 0, G_OPTION_ARG_STRING, &video,
      N_("Size and rate of the video sent, such as 640x360@30 (default: 320x240@15)"),
      N_("WIDTHxHEIGHT@FPS") },
    { "latency", 0, 0, G_OPTION_ARG_INT, &latency,
      N_("Milliseconds received media may wait for late packets (default: the library’s)"), N_("MS") },
    { "join-on-signal", 0, 0, G_OPTION_ARG_NONE, &bot.lobby,
      N_("Get ready, print “ready”, and join on SIGUSR2, as the app joins from its lobby "
         "(connect_ms and first_frame_ms count from the signal)"), NULL },
    { "stay", 0, 0, G_OPTION_ARG_NONE, &stay,
      N_("With --expect-tracks: print “tracks-arrived” when they did, and stay until the "
         "duration ends or SIGTERM"), NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("— a headless Mediastore participant"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  if (url == NULL || token == NULL || duration <= 0 || expect < 0) {
    g_printerr (_("--url and --token are required, and --duration must be positive\n"));
    return 2;
  }
  if (video != NULL &&
      (sscanf (video, "%ux%u@%u", &bot.width, &bot.height, &bot.framerate) != 3 ||
       bot.width < 16 || bot.width > 4096 || bot.height < 16 || bot.height > 4096 ||
       bot.framerate < 1 || bot.framerate > 120)) {
    g_printerr (_("--video takes a size and a rate, such as 640x360@30\n"));
    return 2;
  }
  if (latency > 10000) {
    g_printerr (_("--latency takes 0 to 10000 milliseconds\n"));
    return 2;
  }

  /* A bot plays nothing: received audio is decoded and counted only. */
  g_setenv ("MEDIASTORE_AUDIO_SINK", "fakesink", FALSE);

  bot.expect_tracks = expect;
  bot.stay = stay;
  bot.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, track_seen_free);
  bot.session = g_object_new (MS_TYPE_SESSION, "decode", subscribe, NULL);
  if (latency >= 0)
    g_object_set (bot.session, "latency", (guint) latency, NULL);
  bot.loop = g_main_loop_new (NULL, FALSE);
  bot.url = url;
  bot.token = token;

  g_signal_connect (ms_session_get_store (bot.session), "notify::connect-status",
                    G_CALLBACK (on_status), &bot);
  g_signal_connect (bot.session, "server-error", G_CALLBACK (on_server_error), &bot);
  if (bot.lobby) {
    g_unix_signal_add (SIGUSR2, on_cue, &bot);
    ms_session_prepare_async (NULL, on_prepared, &bot);
  } else {
    ms_session_prepare_async (NULL, NULL, NULL);
    join (&bot);
  }
  g_timeout_add_seconds (duration, on_duration, &bot);
  g_timeout_add (50, on_check, &bot);
  g_unix_signal_add (SIGINT, on_signal, &bot);
  g_unix_signal_add (SIGTERM, on_signal, &bot);
  g_unix_signal_add (SIGUSR1, on_snapshot, &bot);

  g_main_loop_run (bot.loop);

  if (bot.stats)
    print_stats (&bot, TRUE);
  ms_session_close_call (bot.session);
  g_object_unref (bot.session);
  g_main_loop_unref (bot.loop);
  g_strfreev (bot.publish);
  g_hash_table_unref (bot.seen);
  /* The closed tracks' media stops on threads of libmediastore's: let
   * them end first. Then join the streaming threads, and free what they
   * keep (OpenSSL's per-thread state, for DTLS), before a leak checker
   * looks. */
  if (!ms_local_track_wait_stopped (5000))
    g_warning ("a closed track had not stopped after 5 s");
  gst_deinit ();

  return bot.status;
}
