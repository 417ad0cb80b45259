/* ms-avatar.c: participants' pictures from their avatar URLs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A token, or a peer's set-profile, may carry the http(s) URL of a
 * person's picture. Each URL is fetched once per run with libsoup (at most
 * MS_AVATAR_MAX_BYTES, no cookies), decoded by GdkPixbuf if it is a PNG,
 * JPEG, GIF or WebP no larger than MS_AVATAR_MAX_SIDE on a side, scaled
 * down while decoding, and shared by every AdwAvatar showing that URL.
 * Until then, and for good when it fails, the avatar shows initials: a
 * picture is a nicety, never a reason to bother the user.
 */

#define G_LOG_DOMAIN "MsAvatar"

#include "config.h"

#include <libsoup/soup.h>

#include "ms-avatar.h"
#include "ms-protocol.h"

/* Pictures are decoded to fit this square: a 96 px tile avatar at scale 2. */
#define DECODE_SIDE 192
#define FETCH_TIMEOUT_S 15
#define READ_CHUNK (64 * 1024)
/* Settled entries are forgotten past this many URLs. */
#define MAX_ENTRIES 256

#define URL_KEY "ms-avatar-url"

typedef struct {
  gboolean    settled;
  GdkTexture *texture;    /* NULL: failed, initials */
  GPtrArray  *waiting;    /* GWeakRef of AdwAvatar */
} Entry;

typedef struct {
  char         *url;
  SoupMessage  *message;
  GInputStream *stream;
  GByteArray   *data;
} Fetch;

static SoupSession *soup;
static GHashTable *entries;     /* URL → Entry */

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_clear_object (&entry->texture);
  g_clear_pointer (&entry->waiting, g_ptr_array_unref);
  g_free (entry);
}

static void
fetch_free (Fetch *fetch)
{
  g_free (fetch->url);
  g_clear_object (&fetch->message);
  g_clear_object (&fetch->stream);
  g_clear_pointer (&fetch->data, g_byte_array_unref);
  g_free (fetch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fetch, fetch_free)

static const char *
shown_url (AdwAvatar *avatar)
{
  return g_object_get_data (G_OBJECT (avatar), URL_KEY);
}

static void
settle (Fetch      *fetch,
        GdkTexture *texture)
{
  Entry *entry = g_hash_table_lookup (entries, fetch->url);

  if (entry == NULL)
    return;

  entry->settled = TRUE;
  g_set_object (&entry->texture, texture);
  for (guint i = 0; i < entry->waiting->len; i++) {
    g_autoptr (AdwAvatar) avatar = g_weak_ref_get (g_ptr_array_index (entry->waiting, i));

    if (avatar != NULL && g_strcmp0 (shown_url (avatar), fetch->url) == 0)
      adw_avatar_set_custom_image (avatar, texture ? GDK_PAINTABLE (texture) : NULL);
  }
  g_ptr_array_set_size (entry->waiting, 0);
}

static void
fail (Fetch      *fetch,
      const char *why)
{
  g_debug ("No picture from %s: %s", fetch->url, why);
  settle (fetch, NULL);
}

/* Refuses what is not a picture of a sane size before anything is
 * allocated for it (a size of 0 × 0 stops the decoder), and otherwise
 * decodes straight to the size shown. */
static void
on_size_prepared (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gboolean        *refused)
{
  static const char *const formats[] = { "png", "jpeg", "gif", "webp", NULL };
  GdkPixbufFormat *format = gdk_pixbuf_loader_get_format (loader);
  g_autofree char *name = format ? gdk_pixbuf_format_get_name (format) : NULL;
  double scale;

  if (name == NULL || !g_strv_contains (formats, name) ||
      width <= 0 || height <= 0 || width > MS_AVATAR_MAX_SIDE || height > MS_AVATAR_MAX_SIDE) {
    *refused = TRUE;
    gdk_pixbuf_loader_set_size (loader, 0, 0);
    return;
  }

  scale = MIN (1.0, (double) DECODE_SIDE / MAX (width, height));
  gdk_pixbuf_loader_set_size (loader, MAX (1, (int) (width * scale)),
                              MAX (1, (int) (height * scale)));
}

static void
decode (Fetch *fetch)
{
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError) error = NULL;
  gboolean refused = FALSE;
  GdkPixbuf *pixbuf;

  if (fetch->data->len == 0) {
    fail (fetch, "empty");
    return;
  }
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &refused);
  /* A failed write closes the loader itself. */
  if (!gdk_pixbuf_loader_write (loader, fetch->data->data, fetch->data->len, &error) ||
      !gdk_pixbuf_loader_close (loader, &error) || refused) {
    fail (fetch, refused ? "not a PNG, JPEG, GIF or WebP of a sane size"
                         : error ? error->message : "not a picture");
    return;
  }

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL) {
    fail (fetch, "not a picture");
    return;
  }
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  settle (fetch, texture);
}

static void on_read (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data);

static void
read_more (Fetch *fetch)
{
  g_input_stream_read_bytes_async (fetch->stream, READ_CHUNK, G_PRIORITY_DEFAULT, NULL, on_read,
                                   fetch);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (Fetch) fetch = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                               &error);

  if (bytes == NULL) {
    fail (fetch, error->message);
    return;
  }
  if (g_bytes_get_size (bytes) == 0) {
    decode (fetch);
    return;
  }
  if (fetch->data->len + g_bytes_get_size (bytes) > MS_AVATAR_MAX_BYTES) {
    fail (fetch, "larger than allowed");
    return;
  }
  g_byte_array_append (fetch->data, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  read_more (g_steal_pointer (&fetch));
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (Fetch) fetch = user_data;
  g_autoptr (GError) error = NULL;
  SoupMessageHeaders *headers;

  fetch->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (fetch->stream == NULL) {
    fail (fetch, error->message);
    return;
  }
  if (soup_message_get_status (fetch->message) != SOUP_STATUS_OK) {
    g_autofree char *why = g_strdup_printf ("HTTP status %u",
                                            soup_message_get_status (fetch->message));

    fail (fetch, why);
    return;
  }
  headers = soup_message_get_response_headers (fetch->message);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > MS_AVATAR_MAX_BYTES) {
    fail (fetch, "larger than allowed");
    return;
  }

  fetch->data = g_byte_array_new ();
  read_more (g_steal_pointer (&fetch));
}

static void
start (const char *url)
{
  g_autoptr (Fetch) fetch = g_new0 (Fetch, 1);
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  g_autoptr (SoupMessage) message = NULL;

  fetch->url = g_strdup (url);
  /* The server checks avatars, but a picture is fetched from wherever
   * it says: the protocol's rule again, nothing but the web's schemes.
   * The length is the server's to limit (max-url-length). */
  if (scheme == NULL || g_uri_get_host (uri) == NULL ||
      !ms_validate_avatar_url (url, G_MAXSIZE)) {
    fail (fetch, "not an http(s) URL");
    return;
  }

  if (soup == NULL) {
    soup = soup_session_new_with_options ("timeout", FETCH_TIMEOUT_S,
                                          "user-agent", "Mediastore/" PACKAGE_VERSION,
                                          NULL);
  }
  message = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  soup_message_headers_append (soup_message_get_request_headers (message), "Accept",
                               "image/png, image/jpeg, image/gif, image/webp");
  fetch->message = g_object_ref (message);
  soup_session_send_async (soup, message, G_PRIORITY_DEFAULT, NULL, on_sent,
                           g_steal_pointer (&fetch));
}

static gboolean
is_settled (gpointer key,
            gpointer value,
            gpointer user_data)
{
  return ((Entry *) value)->settled;
}

/**
 * ms_avatar_show:
 * @avatar: an avatar showing someone's initials
 * @url: (nullable): their picture's URL
 *
 * Shows the picture at @url in @avatar once it is fetched, and initials
 * until then, or for good if it cannot be had.
 */
void
ms_avatar_show (AdwAvatar  *avatar,
                const char *url)
{
  Entry *entry;

  g_return_if_fail (ADW_IS_AVATAR (avatar));

  if (url != NULL && *url == '\0')
    url = NULL;
  g_object_set_data_full (G_OBJECT (avatar), URL_KEY, g_strdup (url), g_free);
  if (url == NULL) {
    adw_avatar_set_custom_image (avatar, NULL);
    return;
  }

  if (entries == NULL)
    entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
  entry = g_hash_table_lookup (entries, url);
  if (entry == NULL) {
    if (g_hash_table_size (entries) >= MAX_ENTRIES)
      g_hash_table_foreach_remove (entries, is_settled, NULL);
    entry = g_new0 (Entry, 1);
    entry->waiting = g_ptr_array_new_with_free_func (weak_ref_free);
    g_hash_table_insert (entries, g_strdup (url), entry);
    start (url);
  }

  if (entry->settled) {
    adw_avatar_set_custom_image (avatar, entry->texture ? GDK_PAINTABLE (entry->texture) : NULL);
  } else {
    GWeakRef *ref = g_new0 (GWeakRef, 1);

    g_weak_ref_init (ref, avatar);
    g_ptr_array_add (entry->waiting, ref);
    adw_avatar_set_custom_image (avatar, NULL);
  }
}

static void
on_avatar_changed (GObject    *object,
                   GParamSpec *pspec,
                   AdwAvatar  *avatar)
{
  g_autofree char *url = NULL;

  g_object_get (object, "avatar", &url, NULL);
  ms_avatar_show (avatar, url);
}

/**
 * ms_avatar_follow:
 * @avatar: an avatar
 * @object: an object with a string property "avatar" (an #MsPeer, or the
 *   #MsStore for ourselves)
 *
 * Keeps @avatar showing @object's picture, for as long as @avatar lives.
 */
void
ms_avatar_follow (AdwAvatar *avatar,
                  GObject   *object)
{
  g_return_if_fail (ADW_IS_AVATAR (avatar));
  g_return_if_fail (G_IS_OBJECT (object));

  g_signal_connect_object (object, "notify::avatar", G_CALLBACK (on_avatar_changed), avatar, 0);
  on_avatar_changed (object, NULL, avatar);
}

/**
 * ms_avatar_lookup:
 * @url: a picture's URL
 * @texture: (out) (optional) (transfer none): the picture, or %NULL if it
 *   could not be had
 *
 * Returns: whether fetching @url is over, for good or bad
 */
gboolean
ms_avatar_lookup (const char  *url,
                  GdkTexture **texture)
{
  Entry *entry = entries && url ? g_hash_table_lookup (entries, url) : NULL;

  if (texture != NULL)
    *texture = entry ? entry->texture : NULL;

  return entry != NULL && entry->settled;
}
