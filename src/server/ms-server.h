/* ms-server.h: the signaling server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ms-config.h"
#include "ms-token.h"

G_BEGIN_DECLS

#define MS_TYPE_SERVER (ms_server_get_type ())

G_DECLARE_FINAL_TYPE (MsServer, ms_server, MS, SERVER, GObject)

/* Takes ownership of @config, which must have passed ms_config_validate(). */
MsServer   *ms_server_new        (MsConfig    *config,
                                  MsKeyring   *keyring);
gboolean    ms_server_listen     (MsServer    *self,
                                  GError     **error);
/* The ws:// or wss:// URLs clients connect to, one per listening socket. */
GStrv       ms_server_get_urls   (MsServer    *self);
/* The media sockets, "udp://ADDRESS:PORT", one per worker. */
GStrv       ms_server_get_media_urls (MsServer *self);
/* Says bye to every client and closes them with 1001; "stopped" is
 * emitted once they are all gone (or after two seconds at most). */
void        ms_server_shutdown   (MsServer    *self);
/* Cluster mode: takes no new rooms, and shuts down once the calls it
 * holds have ended. Alone: the same as ms_server_shutdown(). */
void        ms_server_drain      (MsServer    *self);
gboolean    ms_server_is_clustered (MsServer  *self);

G_END_DECLS
