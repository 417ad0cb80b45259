/* ms-tracks.c: whose microphone and camera are on
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A peer's tracks (ms_peer_get_tracks()) or our own
 * (ms_store_get_own_tracks()) as the tiles and the participants list
 * read them: a tag is "live" when a track of it is there and not paused.
 */

#include "config.h"

#include "ms-tracks.h"

/**
 * ms_tracks_live:
 * @tracks: a list of #MsTrackInfo
 *
 * Returns: whether a track tagged @tag is there and not paused
 */
gboolean
ms_tracks_live (GListModel *tracks,
                const char *tag)
{
  guint n = g_list_model_get_n_items (tracks);

  for (guint i = 0; i < n; i++) {
    g_autoptr (MsTrackInfo) info = g_list_model_get_item (tracks, i);

    if (g_strcmp0 (ms_track_info_get_tag (info), tag) == 0)
      return !ms_track_info_get_paused (info);
  }

  return FALSE;
}

#define CHANGED_KEY "ms-tracks-changed"

static void
on_paused (MsTrackInfo *info,
           GParamSpec  *pspec,
           GObject     *owner)
{
  MsTracksChanged changed = g_object_get_data (owner, CHANGED_KEY);

  changed (owner);
}

static void
on_items_changed (GListModel *tracks,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GObject    *owner)
{
  MsTracksChanged changed = g_object_get_data (owner, CHANGED_KEY);

  for (guint i = position; i < position + added; i++) {
    g_autoptr (MsTrackInfo) info = g_list_model_get_item (tracks, i);

    g_signal_connect_object (info, "notify::paused", G_CALLBACK (on_paused), owner, 0);
  }
  changed (owner);
}

/**
 * ms_tracks_follow:
 * @tracks: a list of #MsTrackInfo
 * @owner: what shows them (one list each)
 * @changed: called with @owner now, and whenever a track comes, goes, or
 *   is paused or resumed, for as long as @owner lives
 */
void
ms_tracks_follow (GListModel      *tracks,
                  GObject         *owner,
                  MsTracksChanged  changed)
{
  g_object_set_data (owner, CHANGED_KEY, changed);
  g_signal_connect_object (tracks, "items-changed", G_CALLBACK (on_items_changed), owner, 0);
  on_items_changed (tracks, 0, 0, g_list_model_get_n_items (tracks), owner);
}
