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

/* What @session received of @peer_id's @tag so far (zeros if nothing). */
MsTrackStats test_remote_stats  (MsSession   *session,
                                 const char  *peer_id,
                                 const char  *tag);
guint64      test_remote_frames (MsSession   *session,
                                 const char  *peer_id,
                                 const char  *tag);

/* The longest freeze of @stats so far, the one still going on included. */
gint64       test_stats_freeze_us (const MsTrackStats *stats);

/* Waits until @session got @n more frames of (@peer_id, @tag). */
#define WAIT_FRAMES(session, peer_id, tag, n) \
  G_STMT_START { \
    guint64 _base = test_remote_frames ((session), (peer_id), (tag)); \
    WAIT_UNTIL (test_remote_frames ((session), (peer_id), (tag)) >= _base + (n)); \
  } G_STMT_END

/* The size of the decoded frames of @peer_id's video @tag, waited for:
 * the track's frames go to a fakesink of this function from then on. */
void         test_remote_video_size (MsSession   *session,
                                     const char  *peer_id,
                                     const char  *tag,
                                     int         *width,
                                     int         *height);

/* Waits until the decoded frames of @peer_id's video @tag are
 * @width x @height (they may change size: a new source, in the same
 * remote track or a new one). */
void         test_wait_remote_video_size (MsSession   *session,
                                          const char  *peer_id,
                                          const char  *tag,
                                          int          width,
                                          int          height);

/* The same through another address (a proxy, say). */
MsSession *test_session_join_url (const char  *url,
                                  const char  *room,
                                  const char  *identity,
                                  const char  *grants_json);

/* A mediastore-bot through @url that publishes test video and audio,
 * decodes what it receives and stays until SIGTERM once @expect_tracks
 * remote tracks delivered media (stdout piped). */
GSubprocess *test_bot_start        (const char  *url,
                                    const char  *room,
                                    const char  *identity,
                                    const char  *grants_json,
                                    guint        expect_tracks);
/* Waits until it says every track it expects delivered media. */
void         test_bot_wait_arrived (GSubprocess *bot);
/* Ends it, and checks that each of @expect_tracks tracks brought frames
 * and packets and that it exited with 0. */
void         test_bot_check        (GSubprocess *bot,
                                    guint        expect_tracks);

/* The end of a media test's main(): waits (5 s at most) for the tracks
 * closed by its cases to stop sending on libmediastore's threads, then
 * gst_deinit() joins the streaming threads and frees what they keep
 * before a sanitizer build's leak checker looks. Returns @ret, or 1 if
 * a track had not stopped. */
int          test_media_deinit     (int          ret);

G_END_DECLS
