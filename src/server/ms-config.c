/* ms-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One table describes every key: its group in the key file, its type and
 * range, and where it lives in MsConfig. The key file loader and the
 * command-line flags both go through ms_config_set(), so a key means the
 * same thing, with the same checks, wherever it comes from.
 */

#define G_LOG_DOMAIN "MsConfig"

#include "config.h"

#include <glib/gi18n.h>
#include <gio/gio.h>
#include <stddef.h>

#include "ms-config.h"

typedef enum {
  KEY_STRING,
  KEY_STRV,
  KEY_UINT,
  KEY_SIZE,
  KEY_BOOLEAN,
} KeyType;

typedef struct {
  const char *group;
  const char *key;
  KeyType     type;
  gsize       offset;
  guint64     min;
  guint64     max;
  const char *description;
  const char *arg_description;
} KeyInfo;

#define OFF(field) offsetof (MsConfig, field)

static const KeyInfo keys[] = {
  { "server", "listen", KEY_STRV, OFF (listen), 0, 0,
    N_("Addresses to listen on, comma-separated"), N_("ADDR,…") },
  { "server", "port", KEY_UINT, OFF (port), 0, 65535,
    N_("Port to listen on (0 picks a free one)"), N_("PORT") },
  { "server", "tls-certificate", KEY_STRING, OFF (tls_certificate), 0, 0,
    N_("TLS certificate (PEM) to serve wss:// and https://"), N_("FILE") },
  { "server", "tls-key", KEY_STRING, OFF (tls_key), 0, 0,
    N_("TLS private key (PEM)"), N_("FILE") },
  { "server", "dev", KEY_BOOLEAN, OFF (dev), 0, 0,
    N_("Development mode: well-known insecure key, loopback only"), NULL },
  { "auth", "api-key", KEY_STRING, OFF (api_key), 0, 0,
    N_("API key id (the tokens' “iss”)"), N_("ID") },
  { "auth", "api-secret", KEY_STRING, OFF (api_secret), 0, 0,
    N_("API secret that signs tokens (at least 32 bytes)"), N_("SECRET") },
  { "session", "grace-period", KEY_UINT, OFF (grace_period), 0, 3600,
    N_("Seconds a dropped peer is kept for reconnection"), N_("SECONDS") },
  { "session", "join-timeout", KEY_UINT, OFF (join_timeout), 1, 600,
    N_("Seconds a new connection has to send “join”"), N_("SECONDS") },
  { "session", "keepalive-interval", KEY_UINT, OFF (keepalive_interval), 0, 3600,
    N_("Seconds between WebSocket pings (0 turns them off)"), N_("SECONDS") },
  { "session", "keepalive-misses", KEY_UINT, OFF (keepalive_misses), 1, 100,
    N_("Unanswered pings before a peer counts as disconnected"), N_("N") },
  { "limits", "max-frame", KEY_SIZE, OFF (limits.max_frame), 1024, 16 * 1024 * 1024,
    N_("Largest WebSocket frame accepted, in bytes"), N_("BYTES") },
  { "limits", "max-id-length", KEY_SIZE, OFF (limits.max_id_length), 8, 1024,
    N_("Longest peer id, media tag or message type, in bytes"), N_("BYTES") },
  { "limits", "max-name-length", KEY_SIZE, OFF (limits.max_name_length), 8, 4096,
    N_("Longest display name, in bytes"), N_("BYTES") },
  { "limits", "max-url-length", KEY_SIZE, OFF (limits.max_url_length), 64, 65536,
    N_("Longest avatar or ICE server URL, in bytes"), N_("BYTES") },
  { "limits", "max-sdp-length", KEY_SIZE, OFF (limits.max_sdp_length), 1024, 16 * 1024 * 1024,
    N_("Longest SDP, in bytes"), N_("BYTES") },
  { "limits", "messages-per-second", KEY_UINT, OFF (messages_per_second), 1, 100000,
    N_("Frames per second one connection may send"), N_("N") },
  { "limits", "message-burst", KEY_UINT, OFF (message_burst), 1, 100000,
    N_("Frames a connection may send at once above that rate"), N_("N") },
  { "limits", "max-violations", KEY_UINT, OFF (max_violations), 1, 100000,
    N_("Bad frames per minute before the connection is closed"), N_("N") },
  { "limits", "max-rooms", KEY_UINT, OFF (max_rooms), 1, 1000000,
    N_("Rooms the server holds at once"), N_("N") },
  { "limits", "max-peers-per-room", KEY_UINT, OFF (max_peers_per_room), 1, 100000,
    N_("Peers in one room"), N_("N") },
  { "limits", "max-tracks-per-peer", KEY_UINT, OFF (max_tracks_per_peer), 1, 32,
    N_("Tracks one peer may publish"), N_("N") },
  { "limits", "max-queued-messages", KEY_UINT, OFF (max_queued_messages), 0, 100000,
    N_("Messages kept for a peer while it reconnects"), N_("N") },
  { "limits", "max-invitations", KEY_UINT, OFF (max_invitations), 1, 1000000,
    N_("Invitations the server keeps at once"), N_("N") },
  { "limits", "redeem-burst", KEY_UINT, OFF (redeem_burst), 1, 100000,
    N_("Invitation redemptions one address may try at once"), N_("N") },
  { "limits", "redeem-per-minute", KEY_UINT, OFF (redeem_per_minute), 1, 100000,
    N_("Invitation redemptions one address may try per minute"), N_("N") },
  { "limits", "redeem-failure-cost", KEY_UINT, OFF (redeem_failure_cost), 1, 1000,
    N_("How many redemptions a failed one counts for"), N_("N") },
  { "ice", "ice-urls", KEY_STRV, OFF (ice_urls), 0, 0,
    N_("STUN/TURN server URLs given to clients, comma-separated"), N_("URL,…") },
  { "ice", "ice-username", KEY_STRING, OFF (ice_username), 0, 0,
    N_("TURN user name given to clients"), N_("NAME") },
  { "ice", "ice-credential", KEY_STRING, OFF (ice_credential), 0, 0,
    N_("TURN credential given to clients"), N_("SECRET") },
  { "media", "media-listen", KEY_STRV, OFF (media_listen), 0, 0,
    N_("Local addresses used for media, comma-separated"), N_("ADDR,…") },
  { "media", "media-announced", KEY_STRING, OFF (media_announced), 0, 0,
    N_("Address announced to clients for media (behind NAT)"), N_("ADDR") },
  { "media", "media-workers", KEY_UINT, OFF (media_workers), 0, 256,
    N_("Media worker threads, each with a UDP socket (0: one per core)"), N_("N") },
  { "media", "media-port-min", KEY_UINT, OFF (media_port_min), 0, 65535,
    N_("First UDP port for media (0: any free ports)"), N_("PORT") },
  { "media", "media-port-max", KEY_UINT, OFF (media_port_max), 0, 65535,
    N_("Last UDP port for media"), N_("PORT") },
  { "media", "media-consent-timeout", KEY_UINT, OFF (media_consent_timeout), 1, 600,
    N_("Seconds without a sign of life before a media connection is dropped"), N_("SECONDS") },
  { "cluster", "redis-url", KEY_STRING, OFF (cluster_redis_url), 0, 0,
    N_("Run as one node of a cluster sharing this Redis (redis:// or rediss://)"),
    N_("URL") },
  { "cluster", "redis-ca", KEY_STRING, OFF (cluster_redis_ca), 0, 0,
    N_("CA certificates (PEM) to check a rediss:// server against"), N_("FILE") },
  { "cluster", "node-id", KEY_STRING, OFF (cluster_node_id), 0, 0,
    N_("This node’s name in the cluster (default: host name and port)"), N_("ID") },
  { "cluster", "node-url", KEY_STRING, OFF (cluster_node_url), 0, 0,
    N_("The WebSocket URL clients reach this node at"), N_("URL") },
  { "cluster", "node-max-peers", KEY_UINT, OFF (cluster_max_peers), 0, 10000000,
    N_("Peers this node takes before the cluster places rooms elsewhere (0: no limit)"),
    N_("N") },
};

#undef OFF

struct _MsConfigFlags {
  GPtrArray *names;   /* key names, in command-line order */
  GPtrArray *values;
};

G_DEFINE_QUARK (ms-config-error-quark, ms_config_error)

MsConfig *
ms_config_new (void)
{
  MsConfig *config = g_new0 (MsConfig, 1);

  config->listen = g_strsplit ("127.0.0.1", ",", -1);
  config->port = 7880;
  config->api_key = g_strdup ("mediastore");
  config->grace_period = 20;
  config->join_timeout = 10;
  config->keepalive_interval = 10;
  config->keepalive_misses = 3;
  ms_limits_init_default (&config->limits);
  config->messages_per_second = 50;
  config->message_burst = 200;
  config->max_violations = 10;
  config->max_rooms = 10000;
  config->max_peers_per_room = 100;
  config->max_tracks_per_peer = 8;
  config->max_queued_messages = 1000;
  config->max_invitations = 1000;
  config->redeem_burst = 20;
  config->redeem_per_minute = 20;
  config->redeem_failure_cost = 5;
  config->ice_urls = g_new0 (char *, 1);
  config->media_listen = g_strsplit ("127.0.0.1", ",", -1);
  config->media_consent_timeout = 30;

  return config;
}

void
ms_config_free (MsConfig *config)
{
  if (config == NULL)
    return;

  g_strfreev (config->listen);
  g_free (config->tls_certificate);
  g_free (config->tls_key);
  g_free (config->api_key);
  g_free (config->api_secret);
  g_strfreev (config->ice_urls);
  g_free (config->ice_username);
  g_free (config->ice_credential);
  g_strfreev (config->media_listen);
  g_free (config->media_announced);
  g_free (config->cluster_redis_url);
  g_free (config->cluster_redis_ca);
  g_free (config->cluster_node_id);
  g_free (config->cluster_node_url);
  g_free (config);
}

static const KeyInfo *
find_key (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
    if (g_str_equal (keys[i].key, name))
      return &keys[i];
  }

  return NULL;
}

static gboolean
parse_unsigned (const KeyInfo  *info,
                const char     *value,
                guint64        *out,
                GError        **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!g_ascii_string_to_unsigned (value, 10, info->min, info->max, out, &local_error)) {
    /* Format the bounds first: a G_GUINT64_FORMAT inside a translatable
     * string cannot be extracted by xgettext. */
    g_autofree char *min = g_strdup_printf ("%" G_GUINT64_FORMAT, info->min);
    g_autofree char *max = g_strdup_printf ("%" G_GUINT64_FORMAT, info->max);

    g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                 _("“%s” must be a number from %s to %s, not “%s”"),
                 info->key, min, max, value);
    return FALSE;
  }

  return TRUE;
}

static GStrv
split_list (const char *value)
{
  g_auto (GStrv) parts = g_strsplit (value, ",", -1);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++) {
    const char *part = g_strstrip (parts[i]);

    if (*part != '\0')
      g_strv_builder_add (builder, part);
  }

  return g_strv_builder_end (builder);
}

/**
 * ms_config_set:
 * @key: a key name, such as "port" or "max-frame"
 * @value: the value as text: lists are comma-separated
 *
 * Returns: %FALSE with @error set if @key is unknown or @value invalid
 */
gboolean
ms_config_set (MsConfig    *config,
               const char  *key,
               const char  *value,
               GError     **error)
{
  const KeyInfo *info = find_key (key);
  gpointer field;
  guint64 number;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (info == NULL) {
    g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                 _("Unknown configuration key “%s”"), key);
    return FALSE;
  }

  field = G_STRUCT_MEMBER_P (config, info->offset);

  switch (info->type) {
  case KEY_STRING:
    g_free (*(char **) field);
    *(char **) field = *value ? g_strdup (value) : NULL;
    return TRUE;

  case KEY_STRV:
    g_strfreev (*(GStrv *) field);
    *(GStrv *) field = split_list (value);
    return TRUE;

  case KEY_UINT:
    if (!parse_unsigned (info, value, &number, error))
      return FALSE;
    *(guint *) field = (guint) number;
    return TRUE;

  case KEY_SIZE:
    if (!parse_unsigned (info, value, &number, error))
      return FALSE;
    *(gsize *) field = (gsize) number;
    return TRUE;

  case KEY_BOOLEAN:
    if (g_ascii_strcasecmp (value, "true") == 0 || g_str_equal (value, "1")) {
      *(gboolean *) field = TRUE;
    } else if (g_ascii_strcasecmp (value, "false") == 0 || g_str_equal (value, "0")) {
      *(gboolean *) field = FALSE;
    } else {
      g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                   _("“%s” must be true or false, not “%s”"), key, value);
      return FALSE;
    }
    return TRUE;

  default:
    g_assert_not_reached ();
  }
}

/**
 * ms_config_load_file:
 *
 * Reads a GKeyFile whose groups and keys are those of the flags, e.g.
 * `[server]` `port=7880`. Unknown groups or keys are errors, so that a
 * typo does not silently leave a default in place.
 */
gboolean
ms_config_load_file (MsConfig    *config,
                     const char  *path,
                     GError     **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_auto (GStrv) groups = NULL;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error))
    return FALSE;

  groups = g_key_file_get_groups (file, NULL);
  for (guint g = 0; groups[g] != NULL; g++) {
    g_auto (GStrv) names = g_key_file_get_keys (file, groups[g], NULL, NULL);

    for (guint k = 0; names != NULL && names[k] != NULL; k++) {
      const KeyInfo *info = find_key (names[k]);
      g_autofree char *value = NULL;
      g_autoptr (GError) local_error = NULL;

      if (info == NULL || !g_str_equal (info->group, groups[g])) {
        g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                     _("%s: unknown key “%s” in group [%s]"), path, names[k], groups[g]);
        return FALSE;
      }

      value = g_key_file_get_string (file, groups[g], names[k], &local_error);
      if (value == NULL || !ms_config_set (config, names[k], value, &local_error)) {
        g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                     "%s: %s", path, local_error->message);
        return FALSE;
      }
    }
  }

  return TRUE;
}

static gboolean
is_loopback (const char *address)
{
  g_autoptr (GInetAddress) inet = NULL;

  if (g_str_equal (address, "localhost"))
    return TRUE;

  inet = g_inet_address_new_from_string (address);
  return inet != NULL && g_inet_address_get_is_loopback (inet);
}

gboolean
ms_config_validate (MsConfig  *config,
                    GError   **error)
{
  g_return_val_if_fail (config != NULL, FALSE);

  if (config->listen == NULL || config->listen[0] == NULL) {
    g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                 _("No address to listen on"));
    return FALSE;
  }

  for (guint i = 0; config->listen[i] != NULL; i++) {
    if (!g_str_equal (config->listen[i], "localhost") &&
        !g_hostname_is_ip_address (config->listen[i])) {
      g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                   _("“%s” is not an IP address"), config->listen[i]);
      return FALSE;
    }

    if (config->dev && !is_loopback (config->listen[i])) {
      g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                   _("Development mode uses a well-known key and only listens on loopback "
                     "addresses, not on “%s”"), config->listen[i]);
      return FALSE;
    }
  }

  if ((config->tls_certificate == NULL) != (config->tls_key == NULL)) {
    g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                 _("TLS needs both “tls-certificate” and “tls-key”"));
    return FALSE;
  }

  if (config->media_port_min > 0 && config->media_port_max < config->media_port_min) {
    g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                 _("“media-port-max” must not be below “media-port-min”"));
    return FALSE;
  }

  for (guint i = 0; config->media_listen != NULL && config->media_listen[i] != NULL; i++) {
    if (!g_hostname_is_ip_address (config->media_listen[i])) {
      g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                   _("“%s” is not an IP address"), config->media_listen[i]);
      return FALSE;
    }
  }

  if (config->cluster_redis_url == NULL &&
      (config->cluster_node_id != NULL || config->cluster_node_url != NULL ||
       config->cluster_redis_ca != NULL)) {
    g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                 _("The [cluster] settings need “redis-url”"));
    return FALSE;
  }
  if (config->cluster_node_id != NULL &&
      !ms_validate_identifier (config->cluster_node_id, config->limits.max_id_length)) {
    g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                 _("“node-id” must be 1 to %u characters from A-Z a-z 0-9 . _ : @ -"),
                 (guint) config->limits.max_id_length);
    return FALSE;
  }
  if (config->cluster_node_url != NULL) {
    g_autoptr (GUri) uri = g_uri_parse (config->cluster_node_url, G_URI_FLAGS_NONE, NULL);

    if (uri == NULL || g_uri_get_host (uri) == NULL ||
        (g_strcmp0 (g_uri_get_scheme (uri), "ws") != 0 &&
         g_strcmp0 (g_uri_get_scheme (uri), "wss") != 0)) {
      g_set_error (error, MS_CONFIG_ERROR, MS_CONFIG_ERROR_INVALID,
                   _("“node-url” must be a ws:// or wss:// URL, not “%s”"),
                   config->cluster_node_url);
      return FALSE;
    }
  }

  return TRUE;
}

static gboolean
on_flag (const char  *option_name,
         const char  *value,
         gpointer     user_data,
         GError     **error)
{
  MsConfigFlags *flags = user_data;

  /* option_name is "--key" */
  g_ptr_array_add (flags->names, g_strdup (option_name + 2));
  g_ptr_array_add (flags->values, g_strdup (value ? value : "true"));

  return TRUE;
}

MsConfigFlags *
ms_config_flags_new (void)
{
  MsConfigFlags *flags = g_new0 (MsConfigFlags, 1);

  flags->names = g_ptr_array_new_with_free_func (g_free);
  flags->values = g_ptr_array_new_with_free_func (g_free);

  return flags;
}

void
ms_config_flags_free (MsConfigFlags *flags)
{
  if (flags == NULL)
    return;

  g_ptr_array_unref (flags->names);
  g_ptr_array_unref (flags->values);
  g_free (flags);
}

/**
 * ms_config_flags_get_group:
 *
 * Returns: (transfer full): an option group with one flag per key
 */
GOptionGroup *
ms_config_flags_get_group (MsConfigFlags *flags)
{
  GOptionGroup *group;
  GOptionEntry *entries = g_new0 (GOptionEntry, G_N_ELEMENTS (keys) + 1);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
    entries[i].long_name = keys[i].key;
    entries[i].flags = keys[i].type == KEY_BOOLEAN ? G_OPTION_FLAG_NO_ARG : 0;
    entries[i].arg = G_OPTION_ARG_CALLBACK;
    entries[i].arg_data = (gpointer) on_flag;
    entries[i].description = keys[i].description;
    entries[i].arg_description = keys[i].arg_description;
  }

  group = g_option_group_new ("server", _("Server options (also keys of the --config file):"),
                              _("Show server options"), flags, NULL);
  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_free (entries);

  return group;
}

gboolean
ms_config_apply_flags (MsConfig       *config,
                       MsConfigFlags  *flags,
                       GError        **error)
{
  for (guint i = 0; i < flags->names->len; i++) {
    if (!ms_config_set (config, g_ptr_array_index (flags->names, i),
                        g_ptr_array_index (flags->values, i), error))
      return FALSE;
  }

  return TRUE;
}
