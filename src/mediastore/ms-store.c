/* ms-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The store is the seed's AppStore: one object that always holds what is
 * true about the call. It never talks to the network: the session feeds
 * it decoded protocol events, on the main context, and the UI binds to
 * its properties. Every setter compares first, so a property notifies only
 * when its value really changed.
 */

#define G_LOG_DOMAIN "MsStore"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "ms-enums.h"
#include "ms-peer-private.h"
#include "ms-store-private.h"
#include "ms-track-info-private.h"
#include "ms-util-private.h"

struct _MsStore {
  GObject          parent_instance;

  char            *peer_id;
  char            *room;
  MsConnectStatus  connect_status;
  char            *error_connection;
  char            *display_name;
  char            *avatar;
  GStrv            send_tracks;
  GStrv            send_messages;
  GStrv            recv_tracks;
  GStrv            recv_messages;
  gboolean         can_hide;
  gboolean         hidden;
  gboolean         host;
  GListStore      *peers;
  MsPeer          *own;        /* holds only our own tracks */
};

enum {
  PROP_0,
  PROP_PEER_ID,
  PROP_ROOM,
  PROP_CONNECT_STATUS,
  PROP_CONNECT_STATUS_TEXT,
  PROP_ERROR_CONNECTION,
  PROP_DISPLAY_NAME,
  PROP_AVATAR,
  PROP_SEND_TRACKS,
  PROP_SEND_MESSAGES,
  PROP_RECV_TRACKS,
  PROP_RECV_MESSAGES,
  PROP_CAN_HIDE,
  PROP_HIDDEN,
  PROP_HOST,
  PROP_PEERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (MsStore, ms_store, G_TYPE_OBJECT)

static const char * const empty_strv[] = { NULL };

static void
set_string (MsStore     *self,
            char       **field,
            const char  *value,
            guint        prop_id)
{
  if (ms_set_str (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
set_boolean (MsStore  *self,
             gboolean *field,
             gboolean  value,
             guint     prop_id)
{
  value = !!value;
  if (*field == value)
    return;

  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
set_strv (MsStore             *self,
          GStrv               *field,
          const char * const  *value,
          guint                prop_id)
{
  if (value == NULL)
    value = empty_strv;

  if (g_strv_equal ((const char * const *) *field, value))
    return;

  g_strfreev (*field);
  *field = g_strdupv ((char **) value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static gboolean
find_peer (MsStore    *self,
           const char *peer_id,
           guint      *out_position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->peers));

  for (guint i = 0; i < n; i++) {
    g_autoptr (MsPeer) peer = g_list_model_get_item (G_LIST_MODEL (self->peers), i);

    if (g_strcmp0 (ms_peer_get_id (peer), peer_id) == 0) {
      *out_position = i;
      return TRUE;
    }
  }

  return FALSE;
}

/* Events about ourselves, or about peers we cannot see, never create an
 * entry: the store must not show ghosts or a hidden peer. */
static MsPeer *
lookup_other_peer (MsStore    *self,
                   const char *peer_id)
{
  if (peer_id == NULL || g_strcmp0 (peer_id, self->peer_id) == 0)
    return NULL;

  return ms_store_lookup_peer (self, peer_id);
}

static void
ms_store_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  MsStore *self = MS_STORE (object);

  switch (prop_id) {
  case PROP_PEER_ID:
    g_value_set_string (value, self->peer_id);
    break;
  case PROP_ROOM:
    g_value_set_string (value, self->room);
    break;
  case PROP_CONNECT_STATUS:
    g_value_set_enum (value, self->connect_status);
    break;
  case PROP_CONNECT_STATUS_TEXT:
    g_value_set_string (value, ms_store_get_connect_status_text (self));
    break;
  case PROP_ERROR_CONNECTION:
    g_value_set_string (value, self->error_connection);
    break;
  case PROP_DISPLAY_NAME:
    g_value_set_string (value, self->display_name);
    break;
  case PROP_AVATAR:
    g_value_set_string (value, self->avatar);
    break;
  case PROP_SEND_TRACKS:
    g_value_set_boxed (value, self->send_tracks);
    break;
  case PROP_SEND_MESSAGES:
    g_value_set_boxed (value, self->send_messages);
    break;
  case PROP_RECV_TRACKS:
    g_value_set_boxed (value, self->recv_tracks);
    break;
  case PROP_RECV_MESSAGES:
    g_value_set_boxed (value, self->recv_messages);
    break;
  case PROP_CAN_HIDE:
    g_value_set_boolean (value, self->can_hide);
    break;
  case PROP_HIDDEN:
    g_value_set_boolean (value, self->hidden);
    break;
  case PROP_HOST:
    g_value_set_boolean (value, self->host);
    break;
  case PROP_PEERS:
    g_value_set_object (value, self->peers);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
ms_store_finalize (GObject *object)
{
  MsStore *self = MS_STORE (object);

  g_free (self->peer_id);
  g_free (self->room);
  g_free (self->error_connection);
  g_free (self->display_name);
  g_free (self->avatar);
  g_strfreev (self->send_tracks);
  g_strfreev (self->send_messages);
  g_strfreev (self->recv_tracks);
  g_strfreev (self->recv_messages);
  g_clear_object (&self->peers);
  g_clear_object (&self->own);

  G_OBJECT_CLASS (ms_store_parent_class)->finalize (object);
}

static GParamSpec *
string_property (const char *name)
{
  return g_param_spec_string (name, NULL, NULL,
                              NULL,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
strv_property (const char *name)
{
  return g_param_spec_boxed (name, NULL, NULL,
                             G_TYPE_STRV,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
boolean_property (const char *name)
{
  return g_param_spec_boolean (name, NULL, NULL,
                               FALSE,
                               G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
ms_store_class_init (MsStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ms_store_get_property;
  object_class->finalize = ms_store_finalize;

  properties[PROP_PEER_ID] = string_property ("peer-id");
  properties[PROP_ROOM] = string_property ("room");
  properties[PROP_CONNECT_STATUS] =
    g_param_spec_enum ("connect-status", NULL, NULL,
                       MS_TYPE_CONNECT_STATUS, MS_CONNECT_STATUS_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNECT_STATUS_TEXT] = string_property ("connect-status-text");
  properties[PROP_ERROR_CONNECTION] = string_property ("error-connection");
  properties[PROP_DISPLAY_NAME] = string_property ("display-name");
  properties[PROP_AVATAR] = string_property ("avatar");
  properties[PROP_SEND_TRACKS] = strv_property ("send-tracks");
  properties[PROP_SEND_MESSAGES] = strv_property ("send-messages");
  properties[PROP_RECV_TRACKS] = strv_property ("recv-tracks");
  properties[PROP_RECV_MESSAGES] = strv_property ("recv-messages");
  properties[PROP_CAN_HIDE] = boolean_property ("can-hide");
  properties[PROP_HIDDEN] = boolean_property ("hidden");
  properties[PROP_HOST] = boolean_property ("host");
  properties[PROP_PEERS] =
    g_param_spec_object ("peers", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

static void
ms_store_init (MsStore *self)
{
  self->connect_status = MS_CONNECT_STATUS_DISCONNECTED;
  self->send_tracks = g_strdupv ((char **) empty_strv);
  self->send_messages = g_strdupv ((char **) empty_strv);
  self->recv_tracks = g_strdupv ((char **) empty_strv);
  self->recv_messages = g_strdupv ((char **) empty_strv);
  self->peers = g_list_store_new (MS_TYPE_PEER);
  self->own = ms_peer_new_from_desc (&(MsPeerDesc) { .id = (char *) "" });
}

MsStore *
ms_store_new (void)
{
  return g_object_new (MS_TYPE_STORE, NULL);
}

const char *
ms_connect_status_to_text (MsConnectStatus status)
{
  switch (status) {
  case MS_CONNECT_STATUS_DISCONNECTED:
    return _("Not connected");
  case MS_CONNECT_STATUS_CONNECTING:
    return _("Connecting…");
  case MS_CONNECT_STATUS_AUTHENTICATING:
    return _("Signing in…");
  case MS_CONNECT_STATUS_NEGOTIATING:
    return _("Setting up audio and video…");
  case MS_CONNECT_STATUS_CONNECTED:
    return _("Connected");
  case MS_CONNECT_STATUS_RECONNECTING:
    return _("Connection lost, reconnecting…");
  case MS_CONNECT_STATUS_FAILED:
    return _("Connection failed");
  default:
    g_return_val_if_reached (NULL);
  }
}

const char *
ms_store_get_peer_id (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return self->peer_id;
}

const char *
ms_store_get_room (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return self->room;
}

MsConnectStatus
ms_store_get_connect_status (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), MS_CONNECT_STATUS_DISCONNECTED);

  return self->connect_status;
}

const char *
ms_store_get_connect_status_text (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return ms_connect_status_to_text (self->connect_status);
}

const char *
ms_store_get_error_connection (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return self->error_connection;
}

const char *
ms_store_get_display_name (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return self->display_name;
}

const char *
ms_store_get_avatar (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return self->avatar;
}

/**
 * ms_store_get_send_tracks:
 *
 * Returns: (transfer none): the media tags we may publish; never %NULL
 */
const char * const *
ms_store_get_send_tracks (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return (const char * const *) self->send_tracks;
}

const char * const *
ms_store_get_send_messages (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return (const char * const *) self->send_messages;
}

const char * const *
ms_store_get_recv_tracks (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return (const char * const *) self->recv_tracks;
}

const char * const *
ms_store_get_recv_messages (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return (const char * const *) self->recv_messages;
}

gboolean
ms_store_get_can_hide (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), FALSE);

  return self->can_hide;
}

gboolean
ms_store_get_hidden (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), FALSE);

  return self->hidden;
}

/**
 * ms_store_get_host:
 *
 * Returns: whether our own token makes us the host of the call (its
 *   "host" grant), as the others see us
 */
gboolean
ms_store_get_host (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), FALSE);

  return self->host;
}

/**
 * ms_store_get_peers:
 *
 * Returns: (transfer none): the other visible peers, a #GListModel of #MsPeer
 */
GListModel *
ms_store_get_peers (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return G_LIST_MODEL (self->peers);
}

/**
 * ms_store_lookup_peer:
 *
 * Returns: (transfer none) (nullable): the peer with id @peer_id
 */
MsPeer *
ms_store_lookup_peer (MsStore    *self,
                      const char *peer_id)
{
  MsPeer *peer;
  guint position;

  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  if (peer_id == NULL || !find_peer (self, peer_id, &position))
    return NULL;

  /* The list store keeps its own reference while the peer is listed. */
  peer = g_list_model_get_item (G_LIST_MODEL (self->peers), position);
  g_object_unref (peer);

  return peer;
}

/**
 * ms_store_get_own_tracks:
 *
 * The tracks this client shares, as the server was told: they appear
 * when sent, change when paused or resumed and go when closed.
 *
 * Returns: (transfer none): a #GListModel of #MsTrackInfo
 */
GListModel *
ms_store_get_own_tracks (MsStore *self)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return ms_peer_get_tracks (self->own);
}

/**
 * ms_store_lookup_own_track:
 *
 * Returns: (transfer none) (nullable): our own track shared as @tag
 */
MsTrackInfo *
ms_store_lookup_own_track (MsStore    *self,
                           const char *tag)
{
  g_return_val_if_fail (MS_IS_STORE (self), NULL);

  return tag != NULL ? ms_peer_lookup_track (self->own, tag) : NULL;
}

void
ms_store_put_own_track (MsStore     *self,
                        const char  *tag,
                        MsTrackKind  kind,
                        gboolean     paused)
{
  g_return_if_fail (MS_IS_STORE (self));

  ms_peer_put_track (self->own, tag, kind, paused);
}

void
ms_store_remove_own_track (MsStore    *self,
                           const char *tag)
{
  g_return_if_fail (MS_IS_STORE (self));

  ms_peer_remove_track (self->own, tag);
}

void
ms_store_set_connect_status (MsStore         *self,
                             MsConnectStatus  status)
{
  g_return_if_fail (MS_IS_STORE (self));

  if (self->connect_status == status)
    return;

  self->connect_status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECT_STATUS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECT_STATUS_TEXT]);
}

void
ms_store_set_error_connection (MsStore    *self,
                               const char *error)
{
  g_return_if_fail (MS_IS_STORE (self));

  set_string (self, &self->error_connection, error, PROP_ERROR_CONNECTION);
}

/* Back to the state before any connection. The connection status and
 * its error are the session's to set and are left alone. */
void
ms_store_reset (MsStore *self)
{
  g_return_if_fail (MS_IS_STORE (self));

  g_object_freeze_notify (G_OBJECT (self));

  set_string (self, &self->peer_id, NULL, PROP_PEER_ID);
  set_string (self, &self->room, NULL, PROP_ROOM);
  set_string (self, &self->display_name, NULL, PROP_DISPLAY_NAME);
  set_string (self, &self->avatar, NULL, PROP_AVATAR);
  set_strv (self, &self->send_tracks, NULL, PROP_SEND_TRACKS);
  set_strv (self, &self->send_messages, NULL, PROP_SEND_MESSAGES);
  set_strv (self, &self->recv_tracks, NULL, PROP_RECV_TRACKS);
  set_strv (self, &self->recv_messages, NULL, PROP_RECV_MESSAGES);
  set_boolean (self, &self->can_hide, FALSE, PROP_CAN_HIDE);
  set_boolean (self, &self->hidden, FALSE, PROP_HIDDEN);
  set_boolean (self, &self->host, FALSE, PROP_HOST);

  if (g_list_model_get_n_items (G_LIST_MODEL (self->peers)) > 0)
    g_list_store_remove_all (self->peers);
  ms_peer_update (self->own, &(MsPeerDesc) { .id = (char *) "" });

  g_object_thaw_notify (G_OBJECT (self));
}

/* Replaces the peer list in one splice, keeping the MsPeer objects of
 * peers that are still there so that widgets bound to them survive a
 * reconnect. */
static void
replace_peers (MsStore   *self,
               GPtrArray *descs)
{
  g_autoptr (GPtrArray) next = g_ptr_array_new_with_free_func (g_object_unref);
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->peers));

  for (guint i = 0; descs && i < descs->len; i++) {
    const MsPeerDesc *desc = g_ptr_array_index (descs, i);
    MsPeer *peer;

    if (g_strcmp0 (desc->id, self->peer_id) == 0)
      continue;

    peer = ms_store_lookup_peer (self, desc->id);
    if (peer != NULL) {
      ms_peer_update (peer, desc);
      g_ptr_array_add (next, g_object_ref (peer));
    } else {
      g_ptr_array_add (next, ms_peer_new_from_desc (desc));
    }
  }

  g_list_store_splice (self->peers, 0, n_old, next->pdata, next->len);
}

void
ms_store_apply_welcome (MsStore         *self,
                        const MsMessage *welcome)
{
  const MsGrants *grants;

  g_return_if_fail (MS_IS_STORE (self));
  g_return_if_fail (welcome != NULL && welcome->type == MS_MSG_WELCOME);

  grants = &welcome->u.welcome.grants;

  g_object_freeze_notify (G_OBJECT (self));

  set_string (self, &self->peer_id, welcome->u.welcome.peer_id, PROP_PEER_ID);
  set_string (self, &self->room, welcome->u.welcome.room, PROP_ROOM);
  set_string (self, &self->display_name, welcome->u.welcome.display_name, PROP_DISPLAY_NAME);
  set_string (self, &self->avatar, welcome->u.welcome.avatar, PROP_AVATAR);
  set_strv (self, &self->send_tracks, (const char * const *) grants->send_tracks,
            PROP_SEND_TRACKS);
  set_strv (self, &self->send_messages, (const char * const *) grants->send_messages,
            PROP_SEND_MESSAGES);
  set_strv (self, &self->recv_tracks, (const char * const *) grants->recv_tracks,
            PROP_RECV_TRACKS);
  set_strv (self, &self->recv_messages, (const char * const *) grants->recv_messages,
            PROP_RECV_MESSAGES);
  set_boolean (self, &self->can_hide, grants->can_hide, PROP_CAN_HIDE);
  set_boolean (self, &self->hidden, welcome->u.welcome.hidden, PROP_HIDDEN);
  set_boolean (self, &self->host, grants->host, PROP_HOST);
  replace_peers (self, welcome->u.welcome.peers);

  g_object_thaw_notify (G_OBJECT (self));
}

void
ms_store_apply_peer_joined (MsStore          *self,
                            const MsPeerDesc *desc)
{
  g_autoptr (MsPeer) peer = NULL;
  MsPeer *existing;

  g_return_if_fail (MS_IS_STORE (self));
  g_return_if_fail (desc != NULL && desc->id != NULL);

  if (g_strcmp0 (desc->id, self->peer_id) == 0)
    return;

  existing = ms_store_lookup_peer (self, desc->id);
  if (existing != NULL) {
    ms_peer_update (existing, desc);
    return;
  }

  peer = ms_peer_new_from_desc (desc);
  g_list_store_append (self->peers, peer);
}

void
ms_store_apply_peer_updated (MsStore          *self,
                             const MsPeerDesc *desc)
{
  MsPeer *peer;

  g_return_if_fail (MS_IS_STORE (self));
  g_return_if_fail (desc != NULL);

  peer = lookup_other_peer (self, desc->id);
  if (peer == NULL) {
    g_debug ("Ignoring update of unknown peer %s", desc->id);
    return;
  }

  ms_peer_update (peer, desc);
}

void
ms_store_apply_peer_left (MsStore    *self,
                          const char *peer_id)
{
  guint position;

  g_return_if_fail (MS_IS_STORE (self));

  if (peer_id != NULL && find_peer (self, peer_id, &position))
    g_list_store_remove (self->peers, position);
}

void
ms_store_apply_track_published (MsStore     *self,
                                const char  *peer_id,
                                const char  *tag,
                                MsTrackKind  kind,
                                gboolean     paused)
{
  MsPeer *peer;

  g_return_if_fail (MS_IS_STORE (self));
  g_return_if_fail (tag != NULL);

  peer = lookup_other_peer (self, peer_id);
  if (peer == NULL) {
    g_debug ("Ignoring track %s of unknown peer %s", tag, peer_id);
    return;
  }

  ms_peer_put_track (peer, tag, kind, paused);
}

void
ms_store_apply_track_updated (MsStore    *self,
                              const char *peer_id,
                              const char *tag,
                              gboolean    paused)
{
  MsPeer *peer;
  MsTrackInfo *track;

  g_return_if_fail (MS_IS_STORE (self));
  g_return_if_fail (tag != NULL);

  peer = lookup_other_peer (self, peer_id);
  track = peer ? ms_peer_lookup_track (peer, tag) : NULL;
  if (track == NULL) {
    g_debug ("Ignoring update of unknown track %s of %s", tag, peer_id);
    return;
  }

  ms_track_info_set_paused (track, paused);
}

void
ms_store_apply_track_closed (MsStore    *self,
                             const char *peer_id,
                             const char *tag)
{
  MsPeer *peer;

  g_return_if_fail (MS_IS_STORE (self));
  g_return_if_fail (tag != NULL);

  peer = lookup_other_peer (self, peer_id);
  if (peer != NULL)
    ms_peer_remove_track (peer, tag);
}

void
ms_store_apply_hidden (MsStore  *self,
                       gboolean  hidden)
{
  g_return_if_fail (MS_IS_STORE (self));

  set_boolean (self, &self->hidden, hidden, PROP_HIDDEN);
}

void
ms_store_apply_profile (MsStore    *self,
                        const char *display_name,
                        const char *avatar)
{
  g_return_if_fail (MS_IS_STORE (self));

  g_object_freeze_notify (G_OBJECT (self));
  set_string (self, &self->display_name, display_name, PROP_DISPLAY_NAME);
  set_string (self, &self->avatar, avatar, PROP_AVATAR);
  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * ms_store_apply_message:
 * @msg: a message decoded from the server
 *
 * Applies @msg if it is one of the events that change the store.
 *
 * Returns: %TRUE if @msg was a store event
 */
gboolean
ms_store_apply_message (MsStore         *self,
                        const MsMessage *msg)
{
  g_return_val_if_fail (MS_IS_STORE (self), FALSE);
  g_return_val_if_fail (msg != NULL, FALSE);

  switch (msg->type) {
  case MS_MSG_WELCOME:
    ms_store_apply_welcome (self, msg);
    return TRUE;
  case MS_MSG_PEER_JOINED:
    ms_store_apply_peer_joined (self, msg->u.peer.peer);
    return TRUE;
  case MS_MSG_PEER_UPDATED:
    ms_store_apply_peer_updated (self, msg->u.peer.peer);
    return TRUE;
  case MS_MSG_PEER_LEFT:
    ms_store_apply_peer_left (self, msg->u.peer_left.peer_id);
    return TRUE;
  case MS_MSG_TRACK_PUBLISHED:
    ms_store_apply_track_published (self, msg->u.track_event.peer_id, msg->u.track_event.tag,
                                    msg->u.track_event.kind, msg->u.track_event.paused);
    return TRUE;
  case MS_MSG_TRACK_UPDATED:
    ms_store_apply_track_updated (self, msg->u.track_event.peer_id, msg->u.track_event.tag,
                                  msg->u.track_event.paused);
    return TRUE;
  case MS_MSG_TRACK_CLOSED:
    ms_store_apply_track_closed (self, msg->u.track_event.peer_id, msg->u.track_event.tag);
    return TRUE;
  case MS_MSG_JOIN:
  case MS_MSG_OFFER:
  case MS_MSG_ANSWER:
  case MS_MSG_CANDIDATE:
  case MS_MSG_PAUSE_TRACK:
  case MS_MSG_RESUME_TRACK:
  case MS_MSG_CLOSE_TRACK:
  case MS_MSG_SET_RECEIVING:
  case MS_MSG_MESSAGE:
  case MS_MSG_SET_HIDDEN:
  case MS_MSG_SET_PROFILE:
  case MS_MSG_LEAVE:
  case MS_MSG_OK:
  case MS_MSG_ERROR:
  case MS_MSG_BYE:
  default:
    return FALSE;
  }
}
