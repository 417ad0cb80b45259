/* test-session-utils.h: libmediastore sessions joined to the real server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "mediastore.h"
#include "test-utils.h"

G_BEGIN_DECLS

typedef struct {
  gboolean  done;
  GError   *error;
} TestConnectResult;

/* A GAsyncReadyCallback for ms_session_connect_async(); @user_data is a
 * TestConnectResult. */
void       test_on_connected  (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data);
/* A session joined to @room as @identity (see test_token()), connected. */
MsSession *test_session_join  (TestServer   *server,
                               const char   *room,
                               const char   *identity,
                               const char   *grants_json);

G_END_DECLS
