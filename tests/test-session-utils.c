/* test-session-utils.c: libmediastore sessions joined to the real server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-session-utils.h"

void
test_on_connected (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  TestConnectResult *r = user_data;

  ms_session_connect_finish (MS_SESSION (source), result, &r->error);
  r->done = TRUE;
}

MsSession *
test_session_join (TestServer *server,
                   const char *room,
                   const char *identity,
                   const char *grants_json)
{
  g_autofree char *token = test_token (room, identity, grants_json);
  MsSession *session = ms_session_new ();
  TestConnectResult r = { 0 };

  ms_session_connect_async (session, test_server_get_url (server), token, NULL,
                            test_on_connected, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_cmpint (ms_store_get_connect_status (ms_session_get_store (session)), ==,
                   MS_CONNECT_STATUS_CONNECTED);

  return session;
}
