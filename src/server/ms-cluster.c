/* ms-cluster.c: several servers sharing one Redis
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What LiveKit's multi-node mode does, on Redis through MsRedis:
 *
 * - a registry: every node writes its load under mediastore:node:ID with
 *   a short expiry, refreshed twice a second, and lists itself in the
 *   sorted set mediastore:nodes; a node that dies drops out of it within
 *   NODE_TTL_MS;
 * - placement: mediastore:room:NAME holds the id of the node the room
 *   lives on. The first join anywhere claims it in one Lua script (Redis
 *   runs a script atomically), for the least loaded live node below its
 *   limits; a claim whose node is no longer registered is taken over the
 *   same way. The owner refreshes its rooms' claims while they have
 *   people in them and deletes them (if still its own) when they empty.
 *
 * Rooms a node already holds never wait for Redis: calls in progress go
 * on while it is unreachable, and only new rooms are refused.
 */

#define G_LOG_DOMAIN "MsServer"

#include "config.h"

#include <string.h>
#include <sys/resource.h>

#include <json-glib/json-glib.h>

#include "ms-cluster.h"
#include "ms-redis.h"
#include "ms-server-private.h"

#define KEY_PREFIX    "mediastore:"
#define NODE_PREFIX   KEY_PREFIX "node:"
#define ROOM_PREFIX   KEY_PREFIX "room:"
#define NODES_KEY     KEY_PREFIX "nodes"

#define TICK_MS       500
#define NODE_TTL_MS   2000     /* three missed refreshes and the node is gone */
#define ROOM_TTL_MS   10000    /* a claim outlives its owner's refreshes by this */

/* KEYS[1] the room, ARGV[1] the candidate, ARGV[2] the claim's expiry
 * (ms), ARGV[3] the node key prefix. Returns {owner, owner's entry}. */
static const char place_script[] =
  "local owner = redis.call('GET', KEYS[1])\n"
  "if owner then\n"
  "  local info = redis.call('GET', ARGV[3] .. owner)\n"
  "  if info then return {owner, info} end\n"
  "end\n"
  "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
  "return {ARGV[1], redis.call('GET', ARGV[3] .. ARGV[1]) or ''}\n";

/* KEYS: the rooms this node holds; ARGV[1] this node, ARGV[2] the
 * expiry. Claims lost meanwhile (Redis restarted) are made again; the
 * rooms another node claimed are returned. */
static const char refresh_script[] =
  "local lost = {}\n"
  "for _, key in ipairs(KEYS) do\n"
  "  local owner = redis.call('GET', key)\n"
  "  if owner == ARGV[1] then redis.call('PEXPIRE', key, ARGV[2])\n"
  "  elseif not owner then redis.call('SET', key, ARGV[1], 'PX', ARGV[2])\n"
  "  else table.insert(lost, key) end\n"
  "end\n"
  "return lost\n";

/* KEYS[1] the room; ARGV[1] this node. */
static const char release_script[] =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
  "return 0\n";

/* KEYS[1] this node's entry, KEYS[2] the node set; ARGV[1] the entry,
 * ARGV[2] its expiry (ms), ARGV[3] when that is (ms since the epoch),
 * ARGV[4] the node id, ARGV[5] now. Returns every live node's entry. */
static const char register_script[] =
  "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
  "redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])\n"
  "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])\n"
  "local out = {}\n"
  "for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do\n"
  "  local entry = redis.call('GET', ARGV[6] .. id)\n"
  "  if entry then table.insert(out, entry) end\n"
  "end\n"
  "return out\n";

typedef struct {
  char     *id;
  char     *url;
  guint     peers;
  guint     rooms;
  guint     max_rooms;
  guint     max_peers;
  gboolean  draining;
  double    cpu;
} NodeInfo;

struct _MsCluster {
  MsServer  *server;
  MsRedis   *redis;
  char      *node_id;
  char      *node_url;
  gboolean   draining;
  guint      tick_id;
  GPtrArray *nodes;           /* of NodeInfo: the registry as last read */
  gboolean   registered;      /* the last registration went through */
  guint64    placements_total;
  guint64    redirects_total;
  guint64    refusals_total;
  /* CPU use between two ticks, a fraction of one core. */
  gint64     cpu_at;
  gint64     cpu_used;
  double     cpu;
};

static void
node_info_free (NodeInfo *node)
{
  g_free (node->id);
  g_free (node->url);
  g_free (node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NodeInfo, node_info_free)

static NodeInfo *
node_info_parse (const char *text,
                 gsize       len)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (NodeInfo) node = g_new0 (NodeInfo, 1);
  JsonObject *object;

  if (!json_parser_load_from_data (parser, text, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  object = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (object, "id") || !json_object_has_member (object, "url"))
    return NULL;
  node->id = g_strdup (json_object_get_string_member_with_default (object, "id", NULL));
  node->url = g_strdup (json_object_get_string_member_with_default (object, "url", NULL));
  /* What goes into /metrics labels and to clients is checked as the
   * configuration was. */
  if (node->id == NULL || node->url == NULL || !ms_validate_identifier (node->id, 1024) ||
      (!g_str_has_prefix (node->url, "ws://") && !g_str_has_prefix (node->url, "wss://")) ||
      strpbrk (node->url, "\" \t\r\n") != NULL)
    return NULL;
  node->peers = json_object_get_int_member_with_default (object, "peers", 0);
  node->rooms = json_object_get_int_member_with_default (object, "rooms", 0);
  node->max_rooms = json_object_get_int_member_with_default (object, "max_rooms", 0);
  node->max_peers = json_object_get_int_member_with_default (object, "max_peers", 0);
  node->draining = json_object_get_boolean_member_with_default (object, "draining", FALSE);
  node->cpu = json_object_get_double_member_with_default (object, "cpu", 0);
  return g_steal_pointer (&node);
}

static guint
count_peers (MsServer *server)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, server->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    n += ((MsRoom *) value)->participants->len;
  return n;
}

static void
measure_cpu (MsCluster *self)
{
  struct rusage usage;
  gint64 now = g_get_monotonic_time ();
  gint64 used;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return;
  used = (gint64) usage.ru_utime.tv_sec * G_USEC_PER_SEC + usage.ru_utime.tv_usec +
         (gint64) usage.ru_stime.tv_sec * G_USEC_PER_SEC + usage.ru_stime.tv_usec;
  if (self->cpu_at != 0 && now > self->cpu_at)
    self->cpu = (double) (used - self->cpu_used) / (double) (now - self->cpu_at);
  self->cpu_at = now;
  self->cpu_used = used;
}

static char *
own_entry (MsCluster *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  MsConfig *config = self->server->config;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->node_id);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, self->node_url);
  json_builder_set_member_name (builder, "peers");
  json_builder_add_int_value (builder, count_peers (self->server));
  json_builder_set_member_name (builder, "rooms");
  json_builder_add_int_value (builder, g_hash_table_size (self->server->rooms));
  json_builder_set_member_name (builder, "max_rooms");
  json_builder_add_int_value (builder, config->max_rooms);
  json_builder_set_member_name (builder, "max_peers");
  json_builder_add_int_value (builder, config->cluster_max_peers);
  json_builder_set_member_name (builder, "cpu");
  json_builder_add_double_value (builder, self->cpu);
  json_builder_set_member_name (builder, "draining");
  json_builder_add_boolean_value (builder, self->draining);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* Registry */

static void
on_registered (MsRedis      *redis,
               redisReply   *reply,
               const GError *error,
               gpointer      user_data)
{
  MsCluster *self = user_data;

  if (error != NULL) {
    if (self->registered)
      g_warning ("cluster: cannot register node %s: %s", self->node_id, error->message);
    self->registered = FALSE;
    return;
  }
  if (!self->registered)
    g_message ("cluster: node %s registered at %s", self->node_id, ms_redis_get_display_url (redis));
  self->registered = TRUE;
  g_ptr_array_set_size (self->nodes, 0);
  for (gsize i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
    redisReply *element = reply->element[i];
    NodeInfo *node;

    if (element->type != REDIS_REPLY_STRING)
      continue;
    node = node_info_parse (element->str, element->len);
    if (node != NULL)
      g_ptr_array_add (self->nodes, node);
  }
}

static void
on_refreshed (MsRedis      *redis,
              redisReply   *reply,
              const GError *error,
              gpointer      user_data)
{
  if (error != NULL)
    return;
  for (gsize i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
    redisReply *element = reply->element[i];

    /* Redis lost our claim and someone else made one (it was
     * unreachable for longer than a claim lives): both nodes now hold
     * the room. This one keeps its call; new joins go to the other. */
    if (element->type == REDIS_REPLY_STRING)
      g_warning ("cluster: %s is claimed by another node as well", element->str);
  }
}

static void
refresh (MsCluster *self)
{
  g_autofree char *entry = NULL;
  g_autofree char *expires = NULL;
  g_autofree char *now = NULL;
  g_autofree char *ttl = NULL;
  g_autoptr (GPtrArray) args = NULL;
  gint64 now_ms = g_get_real_time () / 1000;
  GHashTableIter iter;
  gpointer key;

  measure_cpu (self);
  entry = own_entry (self);
  ttl = g_strdup_printf ("%d", NODE_TTL_MS);
  expires = g_strdup_printf ("%" G_GINT64_FORMAT, now_ms + NODE_TTL_MS);
  now = g_strdup_printf ("%" G_GINT64_FORMAT, now_ms);
  {
    g_autofree char *node_key = g_strconcat (NODE_PREFIX, self->node_id, NULL);
    const char *argv[] = {
      "EVAL", register_script, "2", node_key, NODES_KEY,
      entry, ttl, expires, self->node_id, now, NODE_PREFIX,
    };

    ms_redis_commandv (self->redis, G_N_ELEMENTS (argv), argv, NULL, on_registered, self);
  }

  if (g_hash_table_size (self->server->rooms) == 0)
    return;
  args = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (args, g_strdup ("EVAL"));
  g_ptr_array_add (args, g_strdup (refresh_script));
  g_ptr_array_add (args, g_strdup_printf ("%u", g_hash_table_size (self->server->rooms)));
  g_hash_table_iter_init (&iter, self->server->rooms);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (args, g_strconcat (ROOM_PREFIX, (const char *) key, NULL));
  g_ptr_array_add (args, g_strdup (self->node_id));
  g_ptr_array_add (args, g_strdup_printf ("%d", ROOM_TTL_MS));
  ms_redis_commandv (self->redis, args->len, (const char *const *) args->pdata, NULL,
                     on_refreshed, NULL);
}

static gboolean
on_tick (gpointer user_data)
{
  refresh (user_data);
  return G_SOURCE_CONTINUE;
}

static void
on_redis_connected (MsRedis   *redis,
                    MsCluster *self)
{
  /* Back at once in the registry, and our rooms' claims with it. */
  refresh (self);
}

/* Placement */

typedef struct {
  MsCluster          *cluster;
  MsServer           *server;
  char               *room;
  MsClusterPlaceFunc  func;
  gpointer            user_data;
  GDestroyNotify      destroy;
} Placing;

static void
placing_free (Placing *placing)
{
  if (placing->destroy != NULL)
    placing->destroy (placing->user_data);
  g_free (placing->room);
  g_free (placing);
}

static gboolean
node_has_room (const NodeInfo *node)
{
  return !node->draining &&
         (node->max_rooms == 0 || node->rooms < node->max_rooms) &&
         (node->max_peers == 0 || node->peers < node->max_peers);
}

/* The least loaded live node below its limits (by peers, then rooms),
 * this one on a tie; NULL when there is none. */
static const char *
choose_node (MsCluster *self)
{
  const NodeInfo *best = NULL;

  for (guint i = 0; i < self->nodes->len; i++) {
    const NodeInfo *node = g_ptr_array_index (self->nodes, i);
    gboolean own = g_str_equal (node->id, self->node_id);

    if (own && self->draining)
      continue;
    if (!node_has_room (node))
      continue;
    if (best == NULL || node->peers < best->peers ||
        (node->peers == best->peers && node->rooms < best->rooms) ||
        (node->peers == best->peers && node->rooms == best->rooms && own))
      best = node;
  }
  return best != NULL ? best->id : NULL;
}

static void
on_placed (MsRedis      *redis,
           redisReply   *reply,
           const GError *error,
           gpointer      user_data)
{
  Placing *placing = user_data;
  MsCluster *self = placing->cluster;
  g_autoptr (NodeInfo) owner = NULL;

  if (error != NULL) {
    self->refusals_total++;
    placing->func (placing->server, MS_PLACEMENT_UNAVAILABLE,
                   "The cluster cannot place a new call right now (its Redis cannot be reached)",
                   placing->user_data);
    placing_free (placing);
    return;
  }
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
      reply->element[0]->type == REDIS_REPLY_STRING) {
    if (g_str_equal (reply->element[0]->str, self->node_id)) {
      self->placements_total++;
      placing->func (placing->server, MS_PLACEMENT_HERE, NULL, placing->user_data);
      placing_free (placing);
      return;
    }
    if (reply->element[1]->type == REDIS_REPLY_STRING)
      owner = node_info_parse (reply->element[1]->str, reply->element[1]->len);
  }
  if (owner == NULL) {
    self->refusals_total++;
    placing->func (placing->server, MS_PLACEMENT_UNAVAILABLE,
                   "The cluster placed the call on a node that has just gone; try again",
                   placing->user_data);
  } else {
    self->redirects_total++;
    placing->func (placing->server, MS_PLACEMENT_ELSEWHERE, owner->url, placing->user_data);
  }
  placing_free (placing);
}

static gboolean
refuse_later (gpointer user_data)
{
  Placing *placing = user_data;

  placing->func (placing->server, MS_PLACEMENT_UNAVAILABLE,
                 "No node of the cluster can take a new call right now", placing->user_data);
  return G_SOURCE_REMOVE;
}

void
ms_cluster_place (MsCluster          *self,
                  const char         *room,
                  MsClusterPlaceFunc  func,
                  gpointer            user_data,
                  GDestroyNotify      destroy)
{
  Placing *placing = g_new0 (Placing, 1);
  g_autofree char *room_key = g_strconcat (ROOM_PREFIX, room, NULL);
  g_autofree char *ttl = g_strdup_printf ("%d", ROOM_TTL_MS);
  const char *candidate = choose_node (self);

  placing->cluster = self;
  placing->server = self->server;
  placing->room = g_strdup (room);
  placing->func = func;
  placing->user_data = user_data;
  placing->destroy = destroy;

  /* Before the first registry read, or with every other node full or
   * draining, the room may still have a live owner: ask with ourselves
   * as the candidate, unless we take no rooms. */
  if (candidate == NULL && !self->draining)
    candidate = self->node_id;
  if (candidate == NULL) {
    self->refusals_total++;
    g_idle_add_full (G_PRIORITY_DEFAULT, refuse_later, placing, (GDestroyNotify) placing_free);
    return;
  }
  {
    const char *argv[] = {
      "EVAL", place_script, "1", room_key, candidate, ttl, NODE_PREFIX,
    };

    ms_redis_commandv (self->redis, G_N_ELEMENTS (argv), argv, NULL, on_placed, placing);
  }
}

void
ms_cluster_room_gone (MsCluster  *self,
                      const char *room)
{
  g_autofree char *room_key = g_strconcat (ROOM_PREFIX, room, NULL);
  const char *argv[] = { "EVAL", release_script, "1", room_key, self->node_id };

  ms_redis_commandv (self->redis, G_N_ELEMENTS (argv), argv, NULL, NULL, NULL);
}

/* Lifetime */

static char *
default_node_url (MsServer *server)
{
  g_auto (GStrv) urls = ms_server_get_urls (server);

  return g_strdup (urls != NULL && urls[0] != NULL ? urls[0] : "ws://127.0.0.1/v1/ws");
}

MsCluster *
ms_cluster_new (MsServer  *server,
                GError   **error)
{
  MsConfig *config = server->config;
  MsCluster *self;
  MsRedis *redis;

  redis = ms_redis_new (config->cluster_redis_url, config->cluster_redis_ca, error);
  if (redis == NULL)
    return NULL;

  self = g_new0 (MsCluster, 1);
  self->server = server;
  self->redis = redis;
  self->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) node_info_free);
  g_signal_connect (self->redis, "connected", G_CALLBACK (on_redis_connected), self);
  return self;
}

void
ms_cluster_start (MsCluster *self)
{
  MsConfig *config = self->server->config;

  if (config->cluster_node_url != NULL)
    self->node_url = g_strdup (config->cluster_node_url);
  else
    self->node_url = default_node_url (self->server);
  if (config->cluster_node_id != NULL) {
    self->node_id = g_strdup (config->cluster_node_id);
  } else {
    g_autoptr (GUri) uri = g_uri_parse (self->node_url, G_URI_FLAGS_NONE, NULL);
    g_autofree char *id = g_strdup_printf ("%s-%d", g_get_host_name (),
                                           uri != NULL ? g_uri_get_port (uri) : 0);

    /* A host name may hold what identifiers do not. */
    g_strcanon (id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@-", '-');
    self->node_id = g_steal_pointer (&id);
  }
  g_message ("cluster: node %s, reached at %s, Redis %s", self->node_id, self->node_url,
             ms_redis_get_display_url (self->redis));
  measure_cpu (self);
  ms_redis_start (self->redis);
  self->tick_id = g_timeout_add (TICK_MS, on_tick, self);
}

void
ms_cluster_free (MsCluster *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->redis, self);
  /* Pending callbacks run now, with an error, while we still exist. */
  g_clear_object (&self->redis);
  g_ptr_array_unref (self->nodes);
  g_free (self->node_id);
  g_free (self->node_url);
  g_free (self);
}

GStrv
ms_cluster_dup_node_urls (MsCluster *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  g_strv_builder_add (builder, self->node_url);
  for (guint i = 0; i < self->nodes->len; i++) {
    const NodeInfo *node = g_ptr_array_index (self->nodes, i);

    if (!g_str_equal (node->url, self->node_url))
      g_strv_builder_add (builder, node->url);
  }
  return g_strv_builder_end (builder);
}

const char *
ms_cluster_get_node_id (MsCluster *self)
{
  return self->node_id;
}

/* The cluster's Redis, for what else lives there (invitations). */
MsRedis *
ms_cluster_get_redis (MsCluster *self)
{
  return self->redis;
}

void
ms_cluster_drain (MsCluster *self)
{
  if (self->draining)
    return;
  self->draining = TRUE;
  g_message ("cluster: node %s drains: no new rooms, %u calls to end", self->node_id,
             g_hash_table_size (self->server->rooms));
  refresh (self);
}

gboolean
ms_cluster_is_draining (MsCluster *self)
{
  return self->draining;
}

void
ms_cluster_write_metrics (MsCluster *self,
                          GString   *out)
{
  g_string_append (out, "# HELP mediastore_cluster_redis_up Whether this node reaches the "
                        "cluster's Redis.\n# TYPE mediastore_cluster_redis_up gauge\n");
  g_string_append_printf (out, "mediastore_cluster_redis_up %d\n",
                          ms_redis_is_connected (self->redis) ? 1 : 0);
  g_string_append (out, "# HELP mediastore_cluster_draining Whether this node takes no new "
                        "rooms.\n# TYPE mediastore_cluster_draining gauge\n");
  g_string_append_printf (out, "mediastore_cluster_draining %d\n", self->draining ? 1 : 0);
  g_string_append (out, "# HELP mediastore_cluster_placements_total Rooms placed on this node "
                        "by its joins.\n# TYPE mediastore_cluster_placements_total counter\n");
  g_string_append_printf (out, "mediastore_cluster_placements_total %" G_GUINT64_FORMAT "\n",
                          self->placements_total);
  g_string_append (out, "# HELP mediastore_cluster_redirects_total Joins sent to the node that "
                        "holds their room.\n# TYPE mediastore_cluster_redirects_total counter\n");
  g_string_append_printf (out, "mediastore_cluster_redirects_total %" G_GUINT64_FORMAT "\n",
                          self->redirects_total);
  g_string_append (out, "# HELP mediastore_cluster_unavailable_total Joins refused because no "
                        "node could take their room.\n"
                        "# TYPE mediastore_cluster_unavailable_total counter\n");
  g_string_append_printf (out, "mediastore_cluster_unavailable_total %" G_GUINT64_FORMAT "\n",
                          self->refusals_total);
  g_string_append (out, "# HELP mediastore_cluster_nodes Live nodes in the registry, as this "
                        "node last read it.\n# TYPE mediastore_cluster_nodes gauge\n");
  g_string_append_printf (out, "mediastore_cluster_nodes %u\n", self->nodes->len);
  g_string_append (out, "# HELP mediastore_cluster_node_rooms Rooms on each live node.\n"
                        "# TYPE mediastore_cluster_node_rooms gauge\n");
  for (guint i = 0; i < self->nodes->len; i++) {
    const NodeInfo *node = g_ptr_array_index (self->nodes, i);

    g_string_append_printf (out, "mediastore_cluster_node_rooms{node=\"%s\"} %u\n", node->id,
                            node->rooms);
  }
  g_string_append (out, "# HELP mediastore_cluster_node_peers Peers on each live node.\n"
                        "# TYPE mediastore_cluster_node_peers gauge\n");
  for (guint i = 0; i < self->nodes->len; i++) {
    const NodeInfo *node = g_ptr_array_index (self->nodes, i);

    g_string_append_printf (out, "mediastore_cluster_node_peers{node=\"%s\"} %u\n", node->id,
                            node->peers);
  }
}
