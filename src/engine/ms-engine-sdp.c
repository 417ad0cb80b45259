/* ms-engine-sdp.c: the transport part of an offer and of our answer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "ms-engine.h"

void
ms_engine_offer_clear (MsEngineOffer *offer)
{
  g_clear_pointer (&offer->ufrag, g_free);
  g_clear_pointer (&offer->pwd, g_free);
  g_clear_pointer (&offer->fingerprint, g_free);
  g_clear_pointer (&offer->bundle_mid, g_free);
}

/* The m-line's attribute, else the session's. */
static const char *
get_attribute (const GstSDPMessage *sdp,
               const GstSDPMedia   *media,
               const char          *key)
{
  const char *value = gst_sdp_media_get_attribute_val (media, key);

  return value != NULL ? value : gst_sdp_message_get_attribute_val (sdp, key);
}

static gboolean
known_hash (const char *fingerprint)
{
  static const char * const hashes[] = { "sha-256 ", "sha-384 ", "sha-512 " };

  for (guint i = 0; i < G_N_ELEMENTS (hashes); i++)
    if (g_ascii_strncasecmp (fingerprint, hashes[i], strlen (hashes[i])) == 0 &&
        fingerprint[strlen (hashes[i])] != '\0')
      return TRUE;
  return FALSE;
}

gboolean
ms_engine_sdp_read_offer (const GstSDPMessage *offer,
                          MsEngineSetup        preferred,
                          MsEngineOffer       *out,
                          GError             **error)
{
  const GstSDPMedia *first = NULL;
  g_auto (GStrv) mids = NULL;
  const char *group = NULL;
  const char *ufrag, *pwd, *setup;
  gboolean any_fingerprint = FALSE;
  const char *fingerprint = NULL;

  memset (out, 0, sizeof *out);
  for (guint i = 0; group == NULL; i++) {
    const char *value = gst_sdp_message_get_attribute_val_n (offer, "group", i);

    if (value == NULL)
      break;
    if (g_str_has_prefix (value, "BUNDLE "))
      group = value;
  }
  if (group != NULL) {
    mids = g_strsplit_set (group + strlen ("BUNDLE "), " ", -1);
    for (guint i = 0; first == NULL && mids[0] != NULL && i < gst_sdp_message_medias_len (offer); i++) {
      const GstSDPMedia *media = gst_sdp_message_get_media (offer, i);
      const char *mid = gst_sdp_media_get_attribute_val (media, "mid");

      if (mid != NULL && g_strcmp0 (mid, mids[0]) == 0)
        first = media;
    }
  }
  if (first == NULL) {
    g_set_error (error, MS_ENGINE_ERROR, MS_ENGINE_ERROR_NO_BUNDLE,
                 "the offer has no BUNDLE group with a known first mid");
    return FALSE;
  }
  if (gst_sdp_media_get_attribute_val (first, "rtcp-mux") == NULL) {
    g_set_error (error, MS_ENGINE_ERROR, MS_ENGINE_ERROR_NO_RTCP_MUX,
                 "the offer's first bundled m-line has no rtcp-mux");
    return FALSE;
  }
  ufrag = get_attribute (offer, first, "ice-ufrag");
  pwd = get_attribute (offer, first, "ice-pwd");
  if (ufrag == NULL || pwd == NULL || *ufrag == '\0' || strlen (pwd) < 22 ||
      strchr (ufrag, ':') != NULL) {
    g_set_error (error, MS_ENGINE_ERROR, MS_ENGINE_ERROR_NO_ICE_CREDENTIALS,
                 "the offer's first bundled m-line has no usable ICE credentials");
    return FALSE;
  }
  /* Each fingerprint line of the m-line (else of the session): the first
   * with a hash we know. */
  for (guint pass = 0; pass < 2 && fingerprint == NULL; pass++) {
    for (guint i = 0; fingerprint == NULL; i++) {
      const char *value = pass == 0 ?
        gst_sdp_media_get_attribute_val_n (first, "fingerprint", i) :
        gst_sdp_message_get_attribute_val_n (offer, "fingerprint", i);

      if (value == NULL)
        break;
      any_fingerprint = TRUE;
      if (known_hash (value))
        fingerprint = value;
    }
  }
  if (fingerprint == NULL) {
    g_set_error (error, MS_ENGINE_ERROR,
                 any_fingerprint ? MS_ENGINE_ERROR_UNKNOWN_CRYPTO : MS_ENGINE_ERROR_NO_FINGERPRINT,
                 any_fingerprint ? "the offer's fingerprints use no hash we know"
                                 : "the offer has no DTLS fingerprint");
    return FALSE;
  }
  setup = get_attribute (offer, first, "setup");
  if (setup == NULL || g_strcmp0 (setup, "actpass") == 0)
    out->setup = preferred;
  else if (g_strcmp0 (setup, "active") == 0)
    out->setup = MS_ENGINE_SETUP_PASSIVE;
  else if (g_strcmp0 (setup, "passive") == 0)
    out->setup = MS_ENGINE_SETUP_ACTIVE;
  else {
    g_set_error (error, MS_ENGINE_ERROR, MS_ENGINE_ERROR_BAD_SETUP,
                 "the offer's setup attribute is \"%s\"", setup);
    return FALSE;
  }
  out->ufrag = g_strdup (ufrag);
  out->pwd = g_strdup (pwd);
  out->fingerprint = g_strdup (fingerprint);
  out->bundle_mid = g_strdup (mids[0]);
  return TRUE;
}

static void
fill (GstSDPMessage *sdp,
      const char    *ufrag,
      const char    *pwd,
      const char    *setup,
      const char    *address,
      guint16        port)
{
  g_autofree char *fingerprint = g_strdup_printf ("sha-256 %s", ms_engine_certificate_fingerprint ());
  g_autofree char *candidate = g_strdup_printf ("1 1 udp 2130706431 %s %u typ host", address, port);
  const char *addrtype = strchr (address, ':') != NULL ? "IP6" : "IP4";
  g_autoptr (GString) bundle = g_string_new ("BUNDLE");

  gst_sdp_message_add_attribute (sdp, "ice-lite", "");
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (sdp, i);
    const char *mid = gst_sdp_media_get_attribute_val (media, "mid");

    const GstSDPAttribute *first = gst_sdp_media_attributes_len (media) > 0 ?
                                   gst_sdp_media_get_attribute (media, 0) : NULL;

    /* A rejected m-line (port 0) is in no bundle. */
    if (first != NULL && g_strcmp0 (first->key, "rejected") == 0) {
      gst_sdp_media_remove_attribute (media, 0);
      gst_sdp_media_set_port_info (media, 0, 1);
      if (gst_sdp_media_connections_len (media) == 0)
        gst_sdp_media_add_connection (media, "IN", addrtype, "0.0.0.0", 0, 0);
      continue;
    }
    if (mid != NULL)
      g_string_append_printf (bundle, " %s", mid);
    gst_sdp_media_set_port_info (media, port, 1);
    if (gst_sdp_media_connections_len (media) == 0)
      gst_sdp_media_add_connection (media, "IN", addrtype, address, 0, 0);
    gst_sdp_media_add_attribute (media, "ice-ufrag", ufrag);
    gst_sdp_media_add_attribute (media, "ice-pwd", pwd);
    gst_sdp_media_add_attribute (media, "fingerprint", fingerprint);
    gst_sdp_media_add_attribute (media, "setup", setup);
    gst_sdp_media_add_attribute (media, "rtcp-mux", "");
    gst_sdp_media_add_attribute (media, "candidate", candidate);
    gst_sdp_media_add_attribute (media, "end-of-candidates", "");
  }
  if (gst_sdp_message_get_attribute_val (sdp, "group") == NULL)
    gst_sdp_message_add_attribute (sdp, "group", bundle->str);
}

void
ms_engine_sdp_fill_answer (GstSDPMessage *answer,
                           const char    *ufrag,
                           const char    *pwd,
                           MsEngineSetup  setup,
                           const char    *address,
                           guint16        port)
{
  fill (answer, ufrag, pwd, setup == MS_ENGINE_SETUP_ACTIVE ? "active" : "passive",
        address, port);
}

void
ms_engine_sdp_fill_offer (GstSDPMessage *offer,
                          const char    *ufrag,
                          const char    *pwd,
                          const char    *address,
                          guint16        port)
{
  fill (offer, ufrag, pwd, "actpass", address, port);
}
