/* ms-token-command.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The secret is looked for where the server looks for it, in the same
 * order, so that a token minted on the server's machine is one the server
 * accepts: --dev, then api-secret in the [auth] group of the --config key
 * file, then MEDIASTORE_API_SECRET. Never on the command line, where every
 * local user could read it. The [limits] of that file apply too, with the
 * protocol's rules (ms-protocol.h), so that the command refuses what the
 * server would.
 */

#define G_LOG_DOMAIN "MsToken"

#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "ms-config.h"
#include "ms-token-command.h"
#include "ms-token.h"

#define EXIT_USAGE 2
#define DEFAULT_TTL (6 * 3600)
/* Ten years: far beyond any sane token, well within gint64. */
#define MAX_DURATION (3650 * 24 * 3600)

typedef struct {
  char     *room;
  char     *identity;
  char     *name;
  char     *avatar;
  GStrv     send_tracks;
  GStrv     recv_tracks;
  GStrv     send_messages;
  GStrv     recv_messages;
  gboolean  can_hide;
  gboolean  hidden;
  gboolean  host;
  gint64    ttl;
  gint64    not_before_in;
  char     *config;
  gboolean  dev;
} Options;

static void
options_clear (Options *options)
{
  g_free (options->room);
  g_free (options->identity);
  g_free (options->name);
  g_free (options->avatar);
  g_strfreev (options->send_tracks);
  g_strfreev (options->recv_tracks);
  g_strfreev (options->send_messages);
  g_strfreev (options->recv_messages);
  g_free (options->config);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

/* "90s", "15m", "6h", "7d" or a plain number of seconds. */
static gboolean
parse_duration (const char  *option_name,
                const char  *text,
                gboolean     allow_zero,
                gint64      *out,
                GError     **error)
{
  g_autofree char *digits = g_strdup (text);
  gsize length = strlen (digits);
  guint64 unit = 1;
  guint64 value = 0;
  gboolean valid;

  if (length > 0 && strchr ("smhd", digits[length - 1]) != NULL) {
    switch (digits[length - 1]) {
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 24 * 3600;
      break;
    default:
      break;
    }
    digits[--length] = '\0';
  }

  valid = length > 0;
  for (gsize i = 0; i < length; i++)
    valid = valid && g_ascii_isdigit (digits[i]);

  valid = valid && g_ascii_string_to_unsigned (digits, 10, allow_zero ? 0 : 1,
                                               MAX_DURATION / unit, &value, NULL);
  if (!valid) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 allow_zero
                 ? _("Invalid duration “%s” for %s: use a number of seconds, or a number "
                     "followed by s, m, h or d (such as 90s, 15m, 6h or 7d), up to 3650d")
                 : _("Invalid duration “%s” for %s: use a positive number of seconds, or a "
                     "positive number followed by s, m, h or d (such as 90s, 15m, 6h or 7d), "
                     "up to 3650d"),
                 text, option_name);
    return FALSE;
  }

  *out = (gint64) (value * unit);

  return TRUE;
}

static gboolean
on_ttl (const char  *option_name,
        const char  *value,
        gpointer     data,
        GError     **error)
{
  Options *options = data;

  return parse_duration (option_name, value, FALSE, &options->ttl, error);
}

static gboolean
on_not_before_in (const char  *option_name,
                  const char  *value,
                  gpointer     data,
                  GError     **error)
{
  Options *options = data;

  return parse_duration (option_name, value, TRUE, &options->not_before_in, error);
}

/* Joins the values of a repeatable, comma-separated option into one grant
 * list; NULL (option not given) becomes @fallback. */
static GStrv
parse_grant_list (const char          *option_name,
                  const char * const  *values,
                  const char          *fallback,
                  const MsLimits      *limits,
                  GError             **error)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) list = NULL;

  if (values == NULL) {
    if (fallback != NULL)
      g_strv_builder_add (builder, fallback);
    return g_strv_builder_end (builder);
  }

  for (gsize i = 0; values[i] != NULL; i++) {
    g_auto (GStrv) items = g_strsplit (values[i], ",", -1);

    for (gsize j = 0; items[j] != NULL; j++) {
      const char *item = g_strstrip (items[j]);

      if (*item == '\0')
        continue;

      /* The list's rule, item by item, to name the item that breaks it. */
      if (!ms_validate_grant_list ((const char * const []) { item, NULL },
                                   limits->max_id_length)) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     _("Invalid entry “%s” for %s: use names of 1 to %u letters, digits, "
                       "“.”, “_”, “:”, “@” or “-”, or “*” for any"),
                     item, option_name, (guint) limits->max_id_length);
        return NULL;
      }
      g_strv_builder_add (builder, item);
    }
  }

  list = g_strv_builder_end (builder);
  if (!ms_validate_grant_list ((const char * const *) list, limits->max_id_length)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 _("Too many entries for %s: at most %d"), option_name, MS_PROTOCOL_MAX_LIST);
    return NULL;
  }

  return g_steal_pointer (&list);
}

/* Finds the key id and secret that sign the token; @file is the --config
 * file's configuration, or NULL. */
static gboolean
resolve_key (const Options   *options,
             const MsConfig  *file,
             char           **out_key_id,
             char           **out_secret,
             GError         **error)
{
  const char *env_secret = g_getenv ("MEDIASTORE_API_SECRET");
  const char *env_key = g_getenv ("MEDIASTORE_API_KEY");

  if (options->dev) {
    *out_key_id = g_strdup (MS_DEV_KEY_ID);
    *out_secret = g_strdup (MS_DEV_SECRET);
    return TRUE;
  }

  if (file != NULL && file->api_secret != NULL) {
    *out_key_id = g_strdup (file->api_key);
    *out_secret = g_strdup (file->api_secret);
    return TRUE;
  }

  if (env_secret != NULL && *env_secret != '\0') {
    /* Without MEDIASTORE_API_KEY: the file's key id, or the default. */
    if (env_key != NULL && *env_key != '\0')
      *out_key_id = g_strdup (env_key);
    else
      *out_key_id = g_strdup (file != NULL ? file->api_key : "mediastore");
    *out_secret = g_strdup (env_secret);
    return TRUE;
  }

  g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                       _("No API secret: set “api-secret” in the [auth] group of the file "
                         "given with --config, or set MEDIASTORE_API_SECRET (and "
                         "MEDIASTORE_API_KEY if the key id is not “mediastore”); use --dev "
                         "for a development server"));
  return FALSE;
}

static int
usage_error (const char *message)
{
  g_printerr ("%s: %s\n", g_get_prgname (), message);
  g_printerr (_("Try “%s --help” for more information.\n"), g_get_prgname ());

  return EXIT_USAGE;
}

int
ms_token_command_run (int    argc,
                      char **argv)
{
  g_auto (Options) options = { .ttl = DEFAULT_TTL };
  const GOptionEntry entries[] = {
    { "room", 'r', G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &options.room,
      N_("Room the token lets its holder join (required)"), N_("ROOM") },
    { "identity", 'i', G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &options.identity,
      N_("Stable id of the person (required)"), N_("ID") },
    { "name", 'n', G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &options.name,
      N_("Display name (default: the identity)"), N_("NAME") },
    { "avatar", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &options.avatar,
      N_("Avatar image URL (http or https)"), N_("URL") },
    { "send-tracks", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING_ARRAY, &options.send_tracks,
      N_("Media tags the person may publish, such as camera,microphone (default: none)"),
      N_("TAG,…") },
    { "recv-tracks", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING_ARRAY, &options.recv_tracks,
      N_("Media tags the person may receive (default: *, any)"), N_("TAG,…") },
    { "send-messages", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING_ARRAY, &options.send_messages,
      N_("Message types the person may send, such as chat (default: none)"), N_("TYPE,…") },
    { "recv-messages", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING_ARRAY, &options.recv_messages,
      N_("Message types delivered to the person (default: *, any)"), N_("TYPE,…") },
    { "can-hide", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &options.can_hide,
      N_("Allow the person to turn invisible mode on and off"), NULL },
    { "hidden", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &options.hidden,
      N_("Join invisible"), NULL },
    { "host", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &options.host,
      N_("Show the person to the others as the host of the call"), NULL },
    { "ttl", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_CALLBACK, on_ttl,
      N_("How long the token is valid, such as 90s, 15m, 6h or 7d (default: 6h)"),
      N_("DURATION") },
    { "not-before-in", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_CALLBACK, on_not_before_in,
      N_("Make the token valid only after this delay (default: 0s)"), N_("DURATION") },
    { "config", 'c', G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME, &options.config,
      N_("Server key file to read the API key from ([auth] api-key and api-secret)"),
      N_("FILE") },
    { "dev", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &options.dev,
      N_("Sign with the development key, accepted only by a server started with --dev"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (MsTokenClaims) claims = ms_token_claims_new ();
  g_autoptr (MsConfig) file = NULL;
  g_autoptr (GError) error = NULL;
  MsLimits limits;
  g_auto (GStrv) args = NULL;
  g_autofree char *token = NULL;
  g_autofree char *secret = NULL;
  GOptionGroup *group;
  gint64 now;

  g_set_prgname ("mediastore-server token");

  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _("Prints a token that lets one person join one room."));
  g_option_context_set_description (context,
    _("The token is signed with the API secret from, in order: --dev, the [auth] group of "
      "the --config key file (api-key, api-secret), or the environment variables "
      "MEDIASTORE_API_SECRET and MEDIASTORE_API_KEY."));

  group = g_option_group_new ("token", NULL, NULL, &options, NULL);
  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_context_set_main_group (context, group);

  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);

  if (!g_option_context_parse_strv (context, &args, &error))
    return usage_error (error->message);

  if (g_strv_length (args) > 1) {
    g_autofree char *message = g_strdup_printf (_("Unexpected argument “%s”"), args[1]);

    return usage_error (message);
  }

  if (options.room == NULL || options.identity == NULL)
    return usage_error (_("--room and --identity are required"));

  /* The server's file: its [limits] apply, and its [auth] may sign. */
  ms_limits_init_default (&limits);
  if (options.config != NULL) {
    file = ms_config_new ();
    if (!ms_config_load_file (file, options.config, &error)) {
      g_printerr ("%s: ", g_get_prgname ());
      g_printerr (_("Could not read %s: %s"), options.config, error->message);
      g_printerr ("\n");
      return EXIT_FAILURE;
    }
    limits = file->limits;
  }

  if (!ms_validate_identifier (options.room, limits.max_id_length)) {
    g_autofree char *message =
      g_strdup_printf (_("Invalid --room: use 1 to %u letters, digits, “.”, “_”, “:”, “@” "
                         "or “-”"), (guint) limits.max_id_length);

    return usage_error (message);
  }

  if (!ms_validate_identifier (options.identity, limits.max_id_length)) {
    g_autofree char *message =
      g_strdup_printf (_("Invalid --identity: use 1 to %u letters, digits, “.”, “_”, “:”, "
                         "“@” or “-”"), (guint) limits.max_id_length);

    return usage_error (message);
  }

  if (options.name != NULL && !ms_validate_display_name (options.name, limits.max_name_length)) {
    g_autofree char *message =
      g_strdup_printf (_("Invalid --name: use 1 to %u bytes of text without control "
                         "characters"), (guint) limits.max_name_length);

    return usage_error (message);
  }

  if (options.avatar != NULL &&
      !ms_validate_avatar_url (options.avatar, limits.max_url_length)) {
    g_autofree char *message =
      g_strdup_printf (_("Invalid --avatar: use an http or https URL of at most %u bytes, "
                         "without spaces"), (guint) limits.max_url_length);

    return usage_error (message);
  }

  claims->grants.send_tracks = parse_grant_list ("--send-tracks",
                                                 (const char * const *) options.send_tracks,
                                                 NULL, &limits, &error);
  if (error == NULL)
    claims->grants.recv_tracks = parse_grant_list ("--recv-tracks",
                                                   (const char * const *) options.recv_tracks,
                                                   "*", &limits, &error);
  if (error == NULL)
    claims->grants.send_messages = parse_grant_list ("--send-messages",
                                                     (const char * const *) options.send_messages,
                                                     NULL, &limits, &error);
  if (error == NULL)
    claims->grants.recv_messages = parse_grant_list ("--recv-messages",
                                                     (const char * const *) options.recv_messages,
                                                     "*", &limits, &error);
  if (error != NULL)
    return usage_error (error->message);

  if (!resolve_key (&options, file, &claims->key_id, &secret, &error)) {
    g_printerr ("%s: %s\n", g_get_prgname (), error->message);
    return EXIT_FAILURE;
  }

  now = g_get_real_time () / G_USEC_PER_SEC;
  claims->identity = g_strdup (options.identity);
  claims->room = g_strdup (options.room);
  claims->name = g_strdup (options.name);
  claims->avatar = g_strdup (options.avatar);
  claims->grants.can_hide = options.can_hide;
  claims->grants.hidden = options.hidden;
  claims->grants.host = options.host;
  claims->issued_at = now;
  claims->not_before = options.not_before_in > 0 ? now + options.not_before_in : 0;
  claims->expires = now + options.not_before_in + options.ttl;

  token = ms_token_mint_full (claims, secret, &limits, &error);
  if (token == NULL) {
    g_printerr ("%s: %s\n", g_get_prgname (), error->message);
    return EXIT_FAILURE;
  }

  if (options.dev)
    g_printerr (_("Warning: this token is signed with the development key; only a server "
                  "started with --dev accepts it.\n"));

  g_print ("%s\n", token);

  return EXIT_SUCCESS;
}
