/* ms-engine-worker.c: one thread, one UDP socket, its transports
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The worker thread runs its own GMainContext. The owner posts commands
 * to it (idle sources carrying a transport id), the worker posts state
 * changes back to the owner's context the same way. Everything in a
 * Transport is touched by the worker thread only, except its Shared block
 * (atomics), which the owner reads by id under the worker's lock.
 */

#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <srtp2/srtp.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>

#include "ms-engine-private.h"
#include "ms-srtp-crypto.h"

/* A datagram is read into one of RECV_BATCH buffers of RECV_SIZE bytes,
 * by one recvmmsg() for as many as are waiting; a larger one (no STUN,
 * DTLS record or RTP packet of a WebRTC peer is) arrives truncated and is
 * dropped. */
#define RECV_SIZE 8192
#define RECV_BATCH 16
#define RECV_STRIDE (RECV_SIZE + SRTP_MAX_TRAILER_LEN)
#define SLOT_SIZE MS_ENGINE_SLOT_SIZE
#define BATCH 256
/* One sendmmsg message carries at most this many equal datagrams to one
 * peer (UDP generic segmentation offload, UDP_SEGMENT). */
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_BYTES 60000
#define HOLD_US 1000
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#define DTLS_MTU 1200
#define DEFAULT_CONSENT_MS 30000

typedef struct {
  gint                 ref;
  _Atomic int          state;
  _Atomic int          profile;
  _Atomic guint64      rtp_in;
  _Atomic guint64      rtp_out;
  _Atomic guint64      binding_requests;
} Shared;

typedef struct {
  int     family;
  guint16 port;
  guint8  addr[16];
} AddrKey;

typedef struct {
  guint                    id;
  MsEngineWorker          *worker;
  char                    *local_ufrag;
  char                    *local_pwd;
  char                    *remote_ufrag;
  char                    *remote_pwd;
  char                    *remote_fingerprint;
  MsEngineSetup            setup;
  gboolean                 controlling;
  guint64                  tie;

  /* A socket of its own (own_socket), else NULL and the worker's fd. */
  GSocket                 *socket;
  GSource                 *socket_source;
  int                      fd;

  gboolean                 has_addr;
  gboolean                 nominated;
  struct sockaddr_storage  addr;
  socklen_t                addr_len;
  AddrKey                  key;
  gboolean                 uncut;   /* the route to addr refused segmentation */

  SSL                     *ssl;
  gboolean                 dtls_started;
  GSource                 *dtls_timer;
  srtp_t                   srtp_in;
  srtp_t                   srtp_out;
  gboolean                 srtp_ready;
  gboolean                 verify_pending;  /* DTLS done before the fingerprint came */
  gboolean                 keyed;           /* tests: no ICE, no DTLS */
  gboolean                 restarted;       /* a DTLS session after the first */

  guint                    queued_gen;   /* w->queue_gen when it has slots queued */
  guint                    queued_last;  /* then its last queued slot */

  gboolean                 sent_check;
  StunTransactionId        check_id;
  gint64                   last_valid;
  MsEngineState            state;
  Shared                  *shared;
} Transport;

typedef struct {
  gint            ref;
  gboolean        alive;   /* owner thread only */
  MsEngineWorker *worker;
} OwnerHandle;

struct _MsEngineWorker {
  MsEngineWorkerConfig config;
  GMainContext   *owner;
  OwnerHandle    *handle;
  GMainContext   *context;
  GMainLoop      *loop;
  GThread        *thread;
  GSocket        *socket;
  int             fd;
  guint16         port;
  GSource        *socket_source;
  GPollFD        *socket_poll;   /* the socket source's */
  gboolean        napping;
  GSource        *tick_source;
  SSL_CTX        *ssl_ctx;
  StunAgent       agent;

  guint8         *recv_buf;    /* RECV_BATCH buffers of RECV_STRIDE */
  struct mmsghdr  recv_msgs[RECV_BATCH];
  struct iovec    recv_iovs[RECV_BATCH];
  struct sockaddr_storage recv_srcs[RECV_BATCH];
  guint8         *slots;
  guint           n_queued;
  guint           queue_gen;
  /* Each queued slot: its length, its peer's address, whether it is the
   * first queued for its peer, the next slot queued for the same peer
   * (or G_MAXUINT), and whether the kernel may cut a run of them. */
  guint16         slot_len[BATCH];
  guint           slot_next[BATCH];
  gboolean        slot_first[BATCH];
  gboolean        slot_cut[BATCH];
  struct sockaddr_storage slot_addr[BATCH];
  socklen_t       slot_addr_len[BATCH];
  struct mmsghdr  msgs[BATCH];
  guint           msg_segments[BATCH];
  struct iovec    iovs[BATCH];
  char            msg_control[BATCH][CMSG_SPACE (sizeof (guint16))];
  gboolean        gso;
  gboolean        hold_wanted;
  gint64          hold_until;    /* 0: no hold */
  GSource        *hold_source;
  MsEngineRouter *router;

  GHashTable     *by_id;     /* worker: id → Transport */
  GHashTable     *by_ufrag;  /* worker: local ufrag → Transport */
  GHashTable     *by_addr;   /* worker: AddrKey → Transport */

  GMutex          lock;
  GHashTable     *shared;    /* id → Shared, under lock */
  _Atomic guint   next_id;

  /* The STUN validater's findings for the message at hand. */
  Transport      *stun_match;
  gboolean        stun_unknown_user;

  _Atomic guint64 packets_in, bytes_in, packets_out, bytes_out, messages_out;
  _Atomic guint64 dropped[MS_ENGINE_N_DROPS];
};

#define COUNT(field, n) atomic_fetch_add_explicit (&(field), (n), memory_order_relaxed)

static void
drop (MsEngineWorker *w,
      MsEngineDrop    reason)
{
  COUNT (w->dropped[reason], 1);
}

/* Addresses */

static gboolean
addr_key_from_sockaddr (const struct sockaddr_storage *ss,
                        AddrKey                       *key)
{
  memset (key, 0, sizeof *key);
  key->family = ss->ss_family;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *) ss;

    key->port = in->sin_port;
    memcpy (key->addr, &in->sin_addr, 4);
    return TRUE;
  }
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) ss;

    key->port = in6->sin6_port;
    memcpy (key->addr, &in6->sin6_addr, 16);
    return TRUE;
  }
  return FALSE;
}

static guint
addr_key_hash (gconstpointer p)
{
  const AddrKey *k = p;
  guint h = k->family * 31 + k->port;

  for (guint i = 0; i < 16; i++)
    h = h * 33 + k->addr[i];
  return h;
}

static gboolean
addr_key_equal (gconstpointer a,
                gconstpointer b)
{
  return memcmp (a, b, sizeof (AddrKey)) == 0;
}

/* Posting */

typedef struct {
  OwnerHandle  *handle;
  guint         id;
  MsEngineState state;
} StateMessage;

static void
owner_handle_unref (OwnerHandle *handle)
{
  if (g_atomic_int_dec_and_test (&handle->ref))
    g_free (handle);
}

static gboolean
deliver_state (gpointer data)
{
  StateMessage *msg = data;

  if (msg->handle->alive && msg->handle->worker->config.state_func != NULL)
    msg->handle->worker->config.state_func (msg->handle->worker, msg->id, msg->state,
                                            msg->handle->worker->config.user_data);
  return G_SOURCE_REMOVE;
}

static void
state_message_free (gpointer data)
{
  StateMessage *msg = data;

  owner_handle_unref (msg->handle);
  g_free (msg);
}

static void
set_state (Transport    *t,
           MsEngineState state)
{
  StateMessage *msg;
  GSource *source;

  if (t->state == state || t->state == MS_ENGINE_STATE_FAILED)
    return;
  t->state = state;
  atomic_store (&t->shared->state, state);
  msg = g_new0 (StateMessage, 1);
  msg->handle = t->worker->handle;
  g_atomic_int_inc (&msg->handle->ref);
  msg->id = t->id;
  msg->state = state;
  source = g_idle_source_new ();
  g_source_set_callback (source, deliver_state, msg, state_message_free);
  g_source_attach (source, t->worker->owner);
  g_source_unref (source);
}

/* Sending */

static void
send_to (MsEngineWorker                *w,
         int                            fd,
         const struct sockaddr_storage *addr,
         socklen_t                      addr_len,
         const guint8                  *data,
         gsize                          len)
{
  if (sendto (fd, data, len, 0, (const struct sockaddr *) addr, addr_len) < 0) {
    drop (w, MS_ENGINE_DROP_SEND_ERROR);
    return;
  }
  COUNT (w->packets_out, 1);
  COUNT (w->bytes_out, len);
  COUNT (w->messages_out, 1);
}

/* The DTLS records OpenSSL wrote, packed into datagrams of at most
 * DTLS_MTU bytes (a record never split). */
static void
flush_dtls (Transport *t)
{
  BIO *wbio = SSL_get_wbio (t->ssl);
  char *data;
  long len = BIO_get_mem_data (wbio, &data);
  gsize at = 0, start = 0;

  if (len <= 0)
    return;
  if (t->has_addr) {
    while (at < (gsize) len) {
      gsize rlen;

      if (len - at < 13)
        break;
      rlen = 13 + (gsize) (((guint8) data[at + 11] << 8) | (guint8) data[at + 12]);
      if (at + rlen > (gsize) len)
        break;
      if (at > start && at + rlen - start > DTLS_MTU) {
        send_to (t->worker, t->fd, &t->addr, t->addr_len, (guint8 *) data + start, at - start);
        start = at;
      }
      at += rlen;
    }
    if (at > start)
      send_to (t->worker, t->fd, &t->addr, t->addr_len, (guint8 *) data + start, at - start);
  }
  (void) BIO_reset (wbio);
}

/* Transports */

static void
shared_unref (Shared *s)
{
  if (g_atomic_int_dec_and_test (&s->ref))
    g_free (s);
}

static void
transport_free (Transport *t)
{
  if (t->socket_source != NULL) {
    g_source_destroy (t->socket_source);
    g_source_unref (t->socket_source);
  }
  g_clear_object (&t->socket);
  if (t->dtls_timer != NULL) {
    g_source_destroy (t->dtls_timer);
    g_source_unref (t->dtls_timer);
  }
  if (t->sent_check)
    stun_agent_forget_transaction (&t->worker->agent, t->check_id);
  g_clear_pointer (&t->ssl, SSL_free);
  if (t->srtp_in != NULL)
    srtp_dealloc (t->srtp_in);
  if (t->srtp_out != NULL)
    srtp_dealloc (t->srtp_out);
  g_free (t->local_ufrag);
  g_free (t->local_pwd);
  g_free (t->remote_ufrag);
  g_free (t->remote_pwd);
  g_free (t->remote_fingerprint);
  shared_unref (t->shared);
  g_free (t);
}

static void
detach (Transport *t)
{
  MsEngineWorker *w = t->worker;

  if (t->has_addr && g_hash_table_lookup (w->by_addr, &t->key) == t)
    g_hash_table_remove (w->by_addr, &t->key);
  if (g_hash_table_lookup (w->by_ufrag, t->local_ufrag) == t)
    g_hash_table_remove (w->by_ufrag, t->local_ufrag);
}

static void
fail (Transport *t)
{
  if (t->state == MS_ENGINE_STATE_FAILED)
    return;
  detach (t);
  set_state (t, MS_ENGINE_STATE_FAILED);
}

static void
select_address (Transport                     *t,
                const struct sockaddr_storage *addr,
                socklen_t                      addr_len)
{
  MsEngineWorker *w = t->worker;
  AddrKey key;
  Transport *other;

  if (!addr_key_from_sockaddr (addr, &key))
    return;
  if (t->has_addr && addr_key_equal (&key, &t->key))
    return;
  if (t->socket != NULL) {
    /* Its own socket tells its packets apart: not in by_addr, where
     * the other transports to the same peer address would clash. */
    memcpy (&t->addr, addr, addr_len);
    t->addr_len = addr_len;
    t->key = key;
    t->has_addr = TRUE;
    return;
  }
  if (t->has_addr && g_hash_table_lookup (w->by_addr, &t->key) == t)
    g_hash_table_remove (w->by_addr, &t->key);
  /* A 5-tuple belongs to one transport: the newest nomination wins. */
  other = g_hash_table_lookup (w->by_addr, &key);
  if (other != NULL) {
    g_hash_table_remove (w->by_addr, &key);
    other->has_addr = FALSE;
  }
  memcpy (&t->addr, addr, addr_len);
  t->addr_len = addr_len;
  t->key = key;
  t->has_addr = TRUE;
  t->uncut = FALSE;   /* a new route */
  g_hash_table_insert (w->by_addr, &t->key, t);
}

static void arm_dtls_timer (Transport *t);
static void restart_dtls (MsEngineWorker *w,
                          Transport      *t);

static const EVP_MD *
digest_for (const char *fingerprint,
            const char **hex)
{
  if (g_ascii_strncasecmp (fingerprint, "sha-256 ", 8) == 0) {
    *hex = fingerprint + 8;
    return EVP_sha256 ();
  }
  if (g_ascii_strncasecmp (fingerprint, "sha-384 ", 8) == 0) {
    *hex = fingerprint + 8;
    return EVP_sha384 ();
  }
  if (g_ascii_strncasecmp (fingerprint, "sha-512 ", 8) == 0) {
    *hex = fingerprint + 8;
    return EVP_sha512 ();
  }
  return NULL;
}

static gboolean
check_fingerprint (Transport *t)
{
  X509 *peer = SSL_get1_peer_certificate (t->ssl);
  guint8 md[EVP_MAX_MD_SIZE];
  guint md_len = 0;
  const char *hex = NULL;
  const EVP_MD *type = digest_for (t->remote_fingerprint, &hex);
  g_autofree char *actual = NULL;
  gboolean ok;

  if (peer == NULL || type == NULL || X509_digest (peer, type, md, &md_len) != 1) {
    X509_free (peer);
    return FALSE;
  }
  X509_free (peer);
  actual = ms_engine_format_fingerprint (md, md_len);
  ok = g_ascii_strcasecmp (actual, hex) == 0;
  return ok;
}

static gboolean
make_srtp (Transport *t)
{
  const SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile (t->ssl);
  guint8 material[2 * (16 + 14)];
  guint8 local_key[16 + 14], remote_key[16 + 14];
  gsize key_len = 16, salt_len;
  const guint8 *client_key, *server_key, *client_salt, *server_salt;
  gboolean gcm;
  srtp_policy_t policy;

  if (profile == NULL)
    return FALSE;
  if (profile->id == SRTP_AEAD_AES_128_GCM)
    gcm = TRUE;
  else if (profile->id == SRTP_AES128_CM_SHA1_80)
    gcm = FALSE;
  else
    return FALSE;
  salt_len = gcm ? 12 : 14;
  if (SSL_export_keying_material (t->ssl, material, 2 * (key_len + salt_len),
                                  "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) != 1)
    return FALSE;
  client_key = material;
  server_key = material + key_len;
  client_salt = material + 2 * key_len;
  server_salt = material + 2 * key_len + salt_len;
  if (t->setup == MS_ENGINE_SETUP_ACTIVE) {
    memcpy (local_key, client_key, key_len);
    memcpy (local_key + key_len, client_salt, salt_len);
    memcpy (remote_key, server_key, key_len);
    memcpy (remote_key + key_len, server_salt, salt_len);
  } else {
    memcpy (local_key, server_key, key_len);
    memcpy (local_key + key_len, server_salt, salt_len);
    memcpy (remote_key, client_key, key_len);
    memcpy (remote_key + key_len, client_salt, salt_len);
  }

  memset (&policy, 0, sizeof policy);
  if (gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
  } else {
    srtp_crypto_policy_set_rtp_default (&policy.rtp);
    srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
  }
  policy.window_size = 1024;
  policy.ssrc.type = ssrc_any_inbound;
  policy.key = remote_key;
  if (srtp_create (&t->srtp_in, &policy) != srtp_err_status_ok)
    return FALSE;
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = local_key;
  if (srtp_create (&t->srtp_out, &policy) != srtp_err_status_ok)
    return FALSE;
  OPENSSL_cleanse (material, sizeof material);
  OPENSSL_cleanse (local_key, sizeof local_key);
  OPENSSL_cleanse (remote_key, sizeof remote_key);
  atomic_store (&t->shared->profile, gcm ? MS_ENGINE_SRTP_AEAD_AES_128_GCM
                                         : MS_ENGINE_SRTP_AES128_CM_SHA1_80);
  t->srtp_ready = TRUE;
  return TRUE;
}

static void
finish_dtls (Transport *t)
{
  t->verify_pending = FALSE;
  if (t->restarted && !check_fingerprint (t)) {
    /* A new session from a new PeerConnection of the peer's: its
     * fingerprint comes with its answer (ms_engine_worker_reset_transport). */
    t->verify_pending = TRUE;
    return;
  }
  if (!check_fingerprint (t) || !make_srtp (t)) {
    drop (t->worker, MS_ENGINE_DROP_DTLS_ERROR);
    fail (t);
    return;
  }
  set_state (t, MS_ENGINE_STATE_CONNECTED);
  ms_engine_router_transport_ready (t->worker->router, t->id);
}

static void
dtls_step (Transport *t)
{
  int r;

  if (t->state == MS_ENGINE_STATE_FAILED)
    return;
  if (SSL_is_init_finished (t->ssl)) {
    guint8 scratch[2048];

    /* No data channels yet: application data is read and dropped. */
    do
      r = SSL_read (t->ssl, scratch, sizeof scratch);
    while (r > 0);
    switch (SSL_get_error (t->ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      break;
    case SSL_ERROR_ZERO_RETURN:
      /* close_notify: the peer ended this DTLS session, not the ICE
       * pair (Chromium does when its bundle moves to another m-line).
       * A new session may follow; consent decides whether it is over. */
      restart_dtls (t->worker, t);
      return;
    default:
      drop (t->worker, MS_ENGINE_DROP_DTLS_ERROR);
      ERR_clear_error ();
      break;
    }
    flush_dtls (t);
    return;
  }

  t->dtls_started = TRUE;
  r = SSL_do_handshake (t->ssl);
  flush_dtls (t);
  if (r == 1) {
    if (t->dtls_timer != NULL) {
      g_source_destroy (t->dtls_timer);
      g_clear_pointer (&t->dtls_timer, g_source_unref);
    }
    if (t->remote_fingerprint == NULL) {
      /* Our offer's answer is not in yet: checked when it is. */
      t->verify_pending = TRUE;
      return;
    }
    finish_dtls (t);
    return;
  }
  switch (SSL_get_error (t->ssl, r)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    arm_dtls_timer (t);
    break;
  default:
    ERR_clear_error ();
    drop (t->worker, MS_ENGINE_DROP_DTLS_ERROR);
    fail (t);
    break;
  }
}

static gboolean
on_dtls_timer (gpointer data)
{
  Transport *t = data;

  g_clear_pointer (&t->dtls_timer, g_source_unref);
  if (DTLSv1_handle_timeout (t->ssl) < 0) {
    drop (t->worker, MS_ENGINE_DROP_DTLS_ERROR);
    fail (t);
    return G_SOURCE_REMOVE;
  }
  flush_dtls (t);
  arm_dtls_timer (t);
  return G_SOURCE_REMOVE;
}

static void
arm_dtls_timer (Transport *t)
{
  struct timeval tv;

  if (t->dtls_timer != NULL) {
    g_source_destroy (t->dtls_timer);
    g_clear_pointer (&t->dtls_timer, g_source_unref);
  }
  if (SSL_is_init_finished (t->ssl) || DTLSv1_get_timeout (t->ssl, &tv) != 1)
    return;
  t->dtls_timer = g_timeout_source_new (tv.tv_sec * 1000 + tv.tv_usec / 1000 + 1);
  g_source_set_callback (t->dtls_timer, on_dtls_timer, t, NULL);
  g_source_attach (t->dtls_timer, t->worker->context);
}

static void
send_check (Transport *t)
{
  MsEngineWorker *w = t->worker;
  g_autofree char *username = g_strdup_printf ("%s:%s", t->remote_ufrag, t->local_ufrag);
  guint8 buf[512];
  StunMessage msg;
  gsize len;

  if (t->sent_check)
    stun_agent_forget_transaction (&w->agent, t->check_id);
  len = stun_usage_ice_conncheck_create (&w->agent, &msg, buf, sizeof buf,
                                         (const guint8 *) username, strlen (username),
                                         (const guint8 *) t->remote_pwd, strlen (t->remote_pwd),
                                         TRUE, TRUE, 0x6e7f1eff, t->tie, NULL,
                                         STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
  if (len == 0)
    return;
  stun_message_id (&msg, t->check_id);
  t->sent_check = TRUE;
  send_to (w, t->fd, &t->addr, t->addr_len, buf, len);
}

/* Receiving */

static bool
validate_user (StunAgent    *agent,
               StunMessage  *message,
               uint8_t      *username,
               uint16_t      username_len,
               uint8_t     **password,
               size_t       *password_len,
               void         *user_data)
{
  MsEngineWorker *w = user_data;
  char ufrag[257];
  guint n = 0;
  Transport *t;

  while (n < username_len && n < sizeof ufrag - 1 && username[n] != ':') {
    ufrag[n] = username[n];
    n++;
  }
  ufrag[n] = '\0';
  t = n < username_len ? g_hash_table_lookup (w->by_ufrag, ufrag) : NULL;
  if (t == NULL) {
    w->stun_unknown_user = TRUE;
    return FALSE;
  }
  w->stun_match = t;
  *password = (uint8_t *) t->local_pwd;
  *password_len = strlen (t->local_pwd);
  return TRUE;
}

static void
handle_stun (MsEngineWorker                *w,
             int                            fd,
             Transport                     *owner,
             guint8                        *data,
             gsize                          len,
             const struct sockaddr_storage *src,
             socklen_t                      src_len)
{
  StunMessage msg;
  StunValidationStatus status;
  Transport *t;

  if (stun_message_validate_buffer_length (data, len, TRUE) != (int) len) {
    drop (w, MS_ENGINE_DROP_BAD_STUN);
    return;
  }
  w->stun_match = NULL;
  w->stun_unknown_user = FALSE;
  status = stun_agent_validate (&w->agent, &msg, data, len, validate_user, w);
  if (status == STUN_VALIDATION_UNAUTHORIZED ||
      status == STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST) {
    drop (w, w->stun_unknown_user ? MS_ENGINE_DROP_NO_TRANSPORT : MS_ENGINE_DROP_BAD_INTEGRITY);
    return;
  }
  if (status == STUN_VALIDATION_UNMATCHED_RESPONSE) {
    drop (w, MS_ENGINE_DROP_NO_TRANSPORT);
    return;
  }
  if (status != STUN_VALIDATION_SUCCESS ||
      stun_message_get_method (&msg) != STUN_BINDING) {
    drop (w, MS_ENGINE_DROP_BAD_STUN);
    return;
  }
  if (!stun_message_has_attribute (&msg, STUN_ATTRIBUTE_MESSAGE_INTEGRITY) ||
      !stun_message_has_attribute (&msg, STUN_ATTRIBUTE_FINGERPRINT)) {
    drop (w, MS_ENGINE_DROP_BAD_INTEGRITY);
    return;
  }

  if (stun_message_get_class (&msg) == STUN_RESPONSE) {
    AddrKey key;

    /* Our own check (controlling): the peer answered. */
    if (owner != NULL)
      t = owner;
    else
      t = addr_key_from_sockaddr (src, &key) ? g_hash_table_lookup (w->by_addr, &key) : NULL;
    if (t == NULL) {
      drop (w, MS_ENGINE_DROP_NO_TRANSPORT);
      return;
    }
    t->last_valid = g_get_monotonic_time ();
    if (t->state == MS_ENGINE_STATE_NEW)
      set_state (t, MS_ENGINE_STATE_CHECKING);
    if (t->setup == MS_ENGINE_SETUP_ACTIVE && !t->dtls_started)
      dtls_step (t);
    return;
  }

  if (stun_message_get_class (&msg) == STUN_REQUEST && w->stun_match != NULL) {
    guint8 out[512];
    gsize out_len = sizeof out;
    StunMessage reply;
    bool control;
    StunUsageIceReturn ret;

    t = w->stun_match;
    control = t->controlling;
    ret = stun_usage_ice_conncheck_create_reply (&w->agent, &msg, &reply, out, &out_len,
                                                 src, src_len, &control, t->tie,
                                                 STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
    if ((ret != STUN_USAGE_ICE_RETURN_SUCCESS && ret != STUN_USAGE_ICE_RETURN_ROLE_CONFLICT) ||
        out_len == 0) {
      drop (w, MS_ENGINE_DROP_BAD_STUN);
      return;
    }
    send_to (w, fd, src, src_len, out, out_len);
    COUNT (t->shared->binding_requests, 1);
    t->last_valid = g_get_monotonic_time ();
    if (stun_usage_ice_conncheck_use_candidate (&msg)) {
      select_address (t, src, src_len);
      t->nominated = TRUE;
    } else if (!t->has_addr) {
      /* Until a nomination: the first pair that checked. */
      select_address (t, src, src_len);
    }
    if (t->state == MS_ENGINE_STATE_NEW)
      set_state (t, MS_ENGINE_STATE_CHECKING);
    if (t->setup == MS_ENGINE_SETUP_ACTIVE && !t->dtls_started)
      dtls_step (t);
    return;
  }
  drop (w, MS_ENGINE_DROP_BAD_STUN);
}

static void
handle_packet (MsEngineWorker                *w,
               int                            fd,
               Transport                     *owner,
               guint8                        *data,
               gsize                          len,
               const struct sockaddr_storage *src,
               socklen_t                      src_len)
{
  MsEnginePacketKind kind = ms_engine_classify (data, len);
  Transport *t;
  AddrKey key;
  int n = len;
  srtp_err_status_t err;

  COUNT (w->packets_in, 1);
  COUNT (w->bytes_in, len);
  if (kind == MS_ENGINE_PACKET_UNKNOWN) {
    drop (w, MS_ENGINE_DROP_NOT_STUN);
    return;
  }
  if (kind == MS_ENGINE_PACKET_STUN) {
    handle_stun (w, fd, owner, data, len, src, src_len);
    return;
  }
  if (owner != NULL)
    t = owner->has_addr ? owner : NULL;
  else
    t = addr_key_from_sockaddr (src, &key) ? g_hash_table_lookup (w->by_addr, &key) : NULL;
  if (t == NULL) {
    drop (w, MS_ENGINE_DROP_NO_TRANSPORT);
    return;
  }
  if (kind == MS_ENGINE_PACKET_DTLS) {
    if (!ms_engine_dtls_check (data, len)) {
      drop (w, MS_ENGINE_DROP_DTLS_ERROR);
      return;
    }
    /* A ClientHello (handshake record of epoch 0) after our handshake is
     * done: the peer's new PeerConnection, on the same ICE pair. */
    if (t->setup == MS_ENGINE_SETUP_PASSIVE && SSL_is_init_finished (t->ssl) &&
        len > 13 && data[0] == 22 && data[3] == 0 && data[4] == 0 && data[13] == 1)
      restart_dtls (w, t);
    BIO_write (SSL_get_rbio (t->ssl), data, len);
    dtls_step (t);
    return;
  }
  if (!t->srtp_ready) {
    drop (w, MS_ENGINE_DROP_NOT_READY);
    return;
  }
  if (kind == MS_ENGINE_PACKET_RTP) {
    if (!ms_engine_rtp_parse (data, len, NULL, NULL, NULL)) {
      drop (w, MS_ENGINE_DROP_TOO_SHORT);
      return;
    }
    err = srtp_unprotect (t->srtp_in, data, &n);
  } else {
    /* SRTCP encrypts all but the first 8 bytes: the first header's
     * length must fit with at least an index and a 10-byte tag; the
     * whole compound packet is checked once decrypted. */
    if (len < 8 + 4 + 10 || 4 * (1 + (gsize) ((data[2] << 8) | data[3])) > len - 4 - 10) {
      drop (w, MS_ENGINE_DROP_TOO_SHORT);
      return;
    }
    err = srtp_unprotect_rtcp (t->srtp_in, data, &n);
    if (err == srtp_err_status_ok && !ms_engine_rtcp_check (data, n, 0)) {
      drop (w, MS_ENGINE_DROP_TOO_SHORT);
      return;
    }
  }
  if (err != srtp_err_status_ok) {
    drop (w, MS_ENGINE_DROP_SRTP_AUTH);
    return;
  }
  t->last_valid = g_get_monotonic_time ();
  COUNT (t->shared->rtp_in, 1);
  /* RTCP goes to both: the router acts on what concerns its producers
   * and consumers, the owner may want the rest (a client's PLIs). */
  if (ms_engine_router_packet (w->router, t->id, kind == MS_ENGINE_PACKET_RTCP, data, n) &&
      kind == MS_ENGINE_PACKET_RTP)
    return;
  if (w->config.rtp_func != NULL)
    w->config.rtp_func (w, t->id, kind == MS_ENGINE_PACKET_RTCP, data, n, w->config.user_data);
}

static void
drain (MsEngineWorker *w,
       int             fd,
       Transport      *owner)
{
  /* At most 256 datagrams before the loop sees to its other sources. */
  for (guint round = 0; round < 256 / RECV_BATCH; round++) {
    int n;

    for (guint i = 0; i < RECV_BATCH; i++) {
      w->recv_msgs[i].msg_hdr.msg_namelen = sizeof w->recv_srcs[i];
      w->recv_msgs[i].msg_hdr.msg_flags = 0;
    }
    n = recvmmsg (fd, w->recv_msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
      break;
    for (int i = 0; i < n; i++) {
      struct msghdr *hdr = &w->recv_msgs[i].msg_hdr;

      if (hdr->msg_flags & MSG_TRUNC) {
        drop (w, MS_ENGINE_DROP_TOO_LONG);
        continue;
      }
      handle_packet (w, fd, owner, hdr->msg_iov->iov_base, w->recv_msgs[i].msg_len,
                     &w->recv_srcs[i], hdr->msg_namelen);
    }
    if (n < RECV_BATCH)
      break;
  }
}

static void arm_hold (MsEngineWorker *w,
                      gboolean        nap);

static gboolean
on_readable (gpointer data)
{
  MsEngineWorker *w = data;

  drain (w, w->fd, NULL);
  arm_hold (w, TRUE);
  return G_SOURCE_CONTINUE;
}

/* A transport with a socket of its own: what comes on it is its own,
 * whatever the source address. */
static gboolean
on_transport_readable (GSocket      *socket,
                       GIOCondition  condition,
                       gpointer      data)
{
  Transport *t = data;

  drain (t->worker, t->fd, t);
  arm_hold (t->worker, FALSE);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tick (gpointer data)
{
  MsEngineWorker *w = data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Transport *t;

  g_hash_table_iter_init (&iter, w->by_id);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &t)) {
    if (t->state == MS_ENGINE_STATE_FAILED || t->keyed)
      continue;
    if (now - t->last_valid > (gint64) w->config.consent_timeout_ms * 1000) {
      fail (t);
      continue;
    }
    if (t->controlling && t->has_addr)
      send_check (t);
  }
  return G_SOURCE_CONTINUE;
}

/* Batches */

static void
send_segments_singly (MsEngineWorker *w,
                      struct msghdr  *hdr)
{
  for (gsize i = 0; i < hdr->msg_iovlen; i++)
    send_to (w, w->fd, hdr->msg_name, hdr->msg_namelen,
             hdr->msg_iov[i].iov_base, hdr->msg_iov[i].iov_len);
}

/* The queued slots as sendmmsg messages: each peer's in the order they
 * were queued and next to each other (so that one wake-up of the peer's
 * reader takes them all), and a run of them of one size (the last of the
 * run may be shorter) as one message the kernel cuts into its datagrams
 * (UDP_SEGMENT), so that a frame's packets to one peer cross the stack
 * as one. */
static guint
build_messages (MsEngineWorker *w)
{
  guint n_msgs = 0, n_iovs = 0;

  for (guint head = 0; head < w->n_queued; head++) {
    guint i = head;

    if (!w->slot_first[head])
      continue;   /* went with its peer's first */
    while (i != G_MAXUINT) {
      struct mmsghdr *m = &w->msgs[n_msgs];
      guint seg = w->slot_len[i], total = 0, count = 0;

      memset (m, 0, sizeof *m);
      m->msg_hdr.msg_name = &w->slot_addr[i];
      m->msg_hdr.msg_namelen = w->slot_addr_len[i];
      m->msg_hdr.msg_iov = &w->iovs[n_iovs];
      for (; i != G_MAXUINT; i = w->slot_next[i]) {
        guint len = w->slot_len[i];

        if (count > 0 && (!w->slot_cut[i] || len > seg || count == GSO_MAX_SEGMENTS ||
                          total + len > GSO_MAX_BYTES))
          break;   /* the next run starts here */
        w->iovs[n_iovs].iov_base = w->slots + i * SLOT_SIZE;
        w->iovs[n_iovs].iov_len = len;
        n_iovs++;
        total += len;
        count++;
        if (len < seg) {
          i = w->slot_next[i];
          break;   /* a shorter one ends the run */
        }
      }
      m->msg_hdr.msg_iovlen = count;
      if (count > 1) {
        struct cmsghdr *cm;

        m->msg_hdr.msg_control = w->msg_control[n_msgs];
        m->msg_hdr.msg_controllen = sizeof w->msg_control[n_msgs];
        cm = CMSG_FIRSTHDR (&m->msg_hdr);
        cm->cmsg_level = SOL_UDP;
        cm->cmsg_type = UDP_SEGMENT;
        cm->cmsg_len = CMSG_LEN (sizeof (guint16));
        *(guint16 *) CMSG_DATA (cm) = seg;
      }
      w->msg_segments[n_msgs] = count;
      n_msgs++;
    }
  }
  return n_msgs;
}

/* What a segmented message's sendmmsg() fails with when the kernel
 * cannot cut it on this route (udp_send_skb()): no checksum offload on the
 * device (EIO); a segment over the route's MTU (EMSGSIZE on the kernel
 * CI runs, 6.18; EINVAL on older ones); too many of them or no UDP
 * checksums on the socket (EINVAL). Any other error is this message's
 * alone (an output rule's drop is EPERM) and says nothing of
 * segmentation. */
static gboolean
segmentation_refused (int err)
{
  return err == EIO || err == EINVAL || err == EMSGSIZE;
}

/* The peer at @addr gets its datagrams one by one from now on (until its
 * address changes): its route is not the others' (a tunnel's MTU, a
 * device without checksum offload), so they keep their segmentation. */
static void
stop_cutting (MsEngineWorker                *w,
              const struct sockaddr_storage *addr)
{
  AddrKey key;
  Transport *t;

  if (!addr_key_from_sockaddr (addr, &key))
    return;
  t = g_hash_table_lookup (w->by_addr, &key);
  if (t != NULL)
    t->uncut = TRUE;
}

static void
flush_batch (MsEngineWorker *w)
{
  guint n = build_messages (w);
  guint sent = 0;

  while (sent < n) {
    int r = sendmmsg (w->fd, w->msgs + sent, n - sent, 0);

    if (r <= 0) {
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && w->msg_segments[sent] > 1 && segmentation_refused (errno)) {
        /* Not on this peer's route: each datagram on its own, from now
         * on too. */
        stop_cutting (w, w->msgs[sent].msg_hdr.msg_name);
        send_segments_singly (w, &w->msgs[sent].msg_hdr);
      } else {
        /* These cannot go (a firewall's verdict, a full send buffer, an
         * unreachable network): lost as on the wire, which NACKs repair;
         * the next message is tried. */
        COUNT (w->dropped[MS_ENGINE_DROP_SEND_ERROR], w->msg_segments[sent]);
      }
      sent++;
      continue;
    }
    for (int i = 0; i < r; i++) {
      COUNT (w->packets_out, w->msg_segments[sent + i]);
      COUNT (w->messages_out, 1);
      COUNT (w->bytes_out, w->msgs[sent + i].msg_len);
    }
    sent += r;
  }
}

guint8 *
ms_engine_worker_slot (MsEngineWorker *w)
{
  return w->slots + w->n_queued * SLOT_SIZE;
}

void
ms_engine_worker_flush (MsEngineWorker *w)
{
  if (w->n_queued > 0)
    flush_batch (w);
  w->n_queued = 0;
  w->queue_gen++;
  w->hold_wanted = FALSE;
}

/* What is queued may wait for the rest of its frame: see arm_hold(). */
void
ms_engine_worker_hold (MsEngineWorker *w)
{
  w->hold_wanted = w->n_queued > 0;
}

/* After a read: if copies wait for the rest of a frame, they go out at
 * the latest HOLD_US from now. The rest of the frame is on its way (a
 * sender writes a frame's packets back to back), so the worker does not
 * wake for each of them: with @nap its socket leaves the poll set until
 * then, and what came meanwhile is read in one go. */
static void
arm_hold (MsEngineWorker *w,
          gboolean        nap)
{
  if (!w->hold_wanted || w->hold_until != 0)
    return;
  w->hold_until = g_get_monotonic_time () + HOLD_US;
  if (nap) {
    w->socket_poll->events = 0;   /* read at the next poll: see poll_check() */
    w->napping = TRUE;
  }
}

static gboolean
on_hold_over (gpointer data)
{
  MsEngineWorker *w = data;

  w->hold_until = 0;
  if (w->napping) {
    w->napping = FALSE;
    w->socket_poll->events = G_IO_IN;
    drain (w, w->fd, NULL);
  }
  ms_engine_worker_flush (w);
  return G_SOURCE_CONTINUE;
}

static gint64
hold_when (gpointer  data,
           gint64   *latest)
{
  MsEngineWorker *w = data;

  if (w->hold_until == 0)
    return G_MAXINT64;
  *latest = w->hold_until;
  return w->hold_until;
}

/* Sources of the worker's own: a callback, nothing more, and no call
 * that signals the context's wakeup fd. g_source_set_ready_time() and
 * g_source_modify_unix_fd() do, whichever thread calls them: an eventfd
 * write, a read and another poll, three times for every frame a nap
 * held (measured in a mesh of 2). */
static gboolean
plain_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     data)
{
  return callback (data);
}

/* The socket's: its GPollFD is its own, so a nap sets its events and
 * GLib reads them when it builds the next poll set (g_main_context_query()
 * copies every record's events each time). */
typedef struct {
  GSource source;
  GPollFD fd;
} PollSource;

static gboolean
poll_check (GSource *source)
{
  return ((PollSource *) source)->fd.revents != 0;
}

static GSourceFuncs poll_funcs = { .check = poll_check, .dispatch = plain_dispatch };

/* A deadline's: asked before every poll when it is due, so moving the
 * deadline costs nothing. */
typedef struct {
  GSource          source;
  MsEngineWhenFunc when;
  gpointer         data;
} DeadlineSource;

static gboolean
deadline_prepare (GSource *source,
                  gint    *timeout)
{
  DeadlineSource *d = (DeadlineSource *) source;
  gint64 latest = G_MAXINT64;
  gint64 earliest = d->when (d->data, &latest);
  gint64 now = g_source_get_time (source);

  if (now >= earliest) {
    *timeout = 0;
    return TRUE;
  }
  if (latest == G_MAXINT64)
    *timeout = -1;
  else
    *timeout = (gint) MIN ((latest - now + 999) / 1000, G_MAXINT);
  return FALSE;
}

static gboolean
deadline_check (GSource *source)
{
  DeadlineSource *d = (DeadlineSource *) source;
  gint64 latest = G_MAXINT64;

  return g_source_get_time (source) >= d->when (d->data, &latest);
}

static GSourceFuncs deadline_funcs = {
  .prepare = deadline_prepare,
  .check = deadline_check,
  .dispatch = plain_dispatch,
};

GSource *
ms_engine_deadline_source_new (MsEngineWhenFunc when,
                               GSourceFunc      func,
                               gpointer         data)
{
  GSource *source = g_source_new (&deadline_funcs, sizeof (DeadlineSource));
  DeadlineSource *d = (DeadlineSource *) source;

  d->when = when;
  d->data = data;
  g_source_set_callback (source, func, data, NULL);
  return source;
}

static Transport *
ready_transport (MsEngineWorker *w,
                 guint           transport_id)
{
  Transport *t = g_hash_table_lookup (w->by_id, GUINT_TO_POINTER (transport_id));

  if (t == NULL || !t->srtp_ready || !t->has_addr || t->state == MS_ENGINE_STATE_FAILED)
    return NULL;
  return t;
}

gboolean
ms_engine_worker_ready (MsEngineWorker *w,
                        guint           transport_id)
{
  return ready_transport (w, transport_id) != NULL;
}

/* Protects the packet in the current slot for @transport_id and queues
 * it; a full batch goes at once. */
gboolean
ms_engine_worker_queue (MsEngineWorker *w,
                        guint           transport_id,
                        gsize           len)
{
  Transport *t = ready_transport (w, transport_id);
  guint slot = w->n_queued;
  guint8 *buf = w->slots + slot * SLOT_SIZE;
  int n = len;
  srtp_err_status_t err;

  if (t == NULL) {
    drop (w, MS_ENGINE_DROP_NOT_READY);
    return FALSE;
  }
  if (len + SRTP_MAX_TRAILER_LEN > SLOT_SIZE || len < 8) {
    drop (w, MS_ENGINE_DROP_TOO_SHORT);
    return FALSE;
  }
  if (ms_engine_classify (buf, len) == MS_ENGINE_PACKET_RTCP)
    err = srtp_protect_rtcp (t->srtp_out, buf, &n);
  else
    err = len >= 12 ? srtp_protect (t->srtp_out, buf, &n) : srtp_err_status_bad_param;
  if (err != srtp_err_status_ok) {
    drop (w, MS_ENGINE_DROP_SEND_ERROR);
    return FALSE;
  }
  if (t->socket != NULL) {
    /* Not the worker's socket: not in its sendmmsg batch. */
    send_to (w, t->fd, &t->addr, t->addr_len, buf, n);
    COUNT (t->shared->rtp_out, 1);
    return TRUE;
  }
  w->slot_len[slot] = n;
  w->slot_next[slot] = G_MAXUINT;
  memcpy (&w->slot_addr[slot], &t->addr, t->addr_len);
  w->slot_addr_len[slot] = t->addr_len;
  w->slot_cut[slot] = w->gso && !t->uncut;
  w->slot_first[slot] = t->queued_gen != w->queue_gen;
  if (!w->slot_first[slot])
    w->slot_next[t->queued_last] = slot;
  t->queued_gen = w->queue_gen;
  t->queued_last = slot;
  COUNT (t->shared->rtp_out, 1);
  if (++w->n_queued == BATCH)
    ms_engine_worker_flush (w);
  return TRUE;
}

void
ms_engine_worker_send_batch (MsEngineWorker *worker,
                             const guint    *transport_ids,
                             guint           n_ids,
                             const guint8   *data,
                             gsize           len)
{
  g_return_if_fail (g_main_context_is_owner (worker->context));
  if (len > SLOT_SIZE - SRTP_MAX_TRAILER_LEN) {
    drop (worker, MS_ENGINE_DROP_TOO_SHORT);
    return;
  }
  for (guint i = 0; i < n_ids; i++) {
    memcpy (ms_engine_worker_slot (worker), data, len);
    ms_engine_worker_queue (worker, transport_ids[i], len);
  }
  ms_engine_worker_flush (worker);
}

MsEngineRouter *
ms_engine_worker_router (MsEngineWorker *worker)
{
  return worker->router;
}

/* Commands */

typedef enum {
  COMMAND_ADD,
  COMMAND_REMOVE,
  COMMAND_SEND,
  COMMAND_SEND_RAW,
  COMMAND_SET_REMOTE,
  COMMAND_RESET,
  COMMAND_KEY,
  COMMAND_QUIT,
} CommandType;

typedef struct {
  CommandType     type;
  MsEngineWorker *worker;
  guint           id;
  Transport      *transport;
  GBytes         *data;
  char           *fingerprint;
  MsEngineSetup   setup;
} Command;

static void
command_free (gpointer data)
{
  Command *cmd = data;

  g_clear_pointer (&cmd->transport, transport_free);
  g_clear_pointer (&cmd->data, g_bytes_unref);
  g_free (cmd->fingerprint);
  g_free (cmd);
}

static void
new_ssl (MsEngineWorker *w,
         Transport      *t)
{
  t->ssl = SSL_new (w->ssl_ctx);
  SSL_set_bio (t->ssl, BIO_new (BIO_s_mem ()), BIO_new (BIO_s_mem ()));
  BIO_set_mem_eof_return (SSL_get_rbio (t->ssl), -1);
  SSL_set_options (t->ssl, SSL_OP_NO_QUERY_MTU);
  DTLS_set_link_mtu (t->ssl, DTLS_MTU);
  if (t->setup == MS_ENGINE_SETUP_ACTIVE)
    SSL_set_connect_state (t->ssl);
  else
    SSL_set_accept_state (t->ssl);
}

/* A new DTLS session on the same ICE pair: the same PeerConnection's
 * (after a close_notify), or a new one's, whose fingerprint comes with
 * its answer. */
static void
restart_dtls (MsEngineWorker *w,
              Transport      *t)
{
  if (t->dtls_timer != NULL) {
    g_source_destroy (t->dtls_timer);
    g_clear_pointer (&t->dtls_timer, g_source_unref);
  }
  g_clear_pointer (&t->ssl, SSL_free);
  g_clear_pointer (&t->srtp_in, srtp_dealloc);
  g_clear_pointer (&t->srtp_out, srtp_dealloc);
  t->srtp_ready = FALSE;
  t->dtls_started = FALSE;
  t->verify_pending = FALSE;
  t->restarted = TRUE;
  if (t->state == MS_ENGINE_STATE_CONNECTED) {
    t->state = MS_ENGINE_STATE_CHECKING;
    atomic_store (&t->shared->state, MS_ENGINE_STATE_CHECKING);
  }
  new_ssl (w, t);
  ms_engine_router_transport_reset (w->router, t->id);
}

static void
reset_transport (MsEngineWorker *w,
                 Transport      *t,
                 char           *fingerprint,
                 MsEngineSetup   setup)
{
  gboolean same = t->remote_fingerprint != NULL &&
                  g_ascii_strcasecmp (t->remote_fingerprint, fingerprint) == 0;

  if (t->state == MS_ENGINE_STATE_FAILED) {
    /* Alive again: found by its ufrag, checked from NEW. */
    restart_dtls (w, t);
    g_hash_table_insert (w->by_ufrag, t->local_ufrag, t);
    t->state = MS_ENGINE_STATE_NEW;
    atomic_store (&t->shared->state, MS_ENGINE_STATE_NEW);
    t->last_valid = g_get_monotonic_time ();
  } else if (!same && !t->verify_pending && t->dtls_started) {
    /* A session of the old PeerConnection still runs: a new one comes. */
    restart_dtls (w, t);
  }
  g_free (t->remote_fingerprint);
  t->remote_fingerprint = fingerprint;
  if (!t->dtls_started && t->setup != setup) {
    t->setup = setup;
    if (setup == MS_ENGINE_SETUP_ACTIVE)
      SSL_set_connect_state (t->ssl);
    else
      SSL_set_accept_state (t->ssl);
  }
  if (t->verify_pending) {
    t->restarted = FALSE;
    finish_dtls (t);
  } else if (t->setup == MS_ENGINE_SETUP_ACTIVE && t->has_addr && !t->dtls_started) {
    dtls_step (t);
  }
}

/* Tests and fuzzing: SRTP keyed with @key both ways, no ICE or DTLS. */
static void
key_directly (Transport    *t,
              const guint8 *key)
{
  srtp_policy_t policy;
  guint8 copy[30];

  memcpy (copy, key, sizeof copy);
  memset (&policy, 0, sizeof policy);
  srtp_crypto_policy_set_rtp_default (&policy.rtp);
  srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
  policy.window_size = 1024;
  policy.allow_repeat_tx = 1;
  policy.key = copy;
  policy.ssrc.type = ssrc_any_inbound;
  if (srtp_create (&t->srtp_in, &policy) != srtp_err_status_ok)
    return;
  policy.ssrc.type = ssrc_any_outbound;
  if (srtp_create (&t->srtp_out, &policy) != srtp_err_status_ok)
    return;
  t->srtp_ready = TRUE;
  select_address (t, &t->addr, t->addr_len);
  t->state = MS_ENGINE_STATE_CONNECTED;
  atomic_store (&t->shared->state, MS_ENGINE_STATE_CONNECTED);
  atomic_store (&t->shared->profile, MS_ENGINE_SRTP_AES128_CM_SHA1_80);
}

static void
add_transport (MsEngineWorker *w,
               Transport      *t)
{
  t->last_valid = g_get_monotonic_time ();
  if (t->socket != NULL) {
    t->socket_source = g_socket_create_source (t->socket, G_IO_IN, NULL);
    g_source_set_callback (t->socket_source, G_SOURCE_FUNC (on_transport_readable), t, NULL);
    g_source_set_can_recurse (t->socket_source, TRUE);   /* see the worker's socket */
    g_source_attach (t->socket_source, w->context);
  }
  new_ssl (w, t);
  g_hash_table_insert (w->by_id, GUINT_TO_POINTER (t->id), t);
  g_hash_table_insert (w->by_ufrag, t->local_ufrag, t);
  if (t->controlling && !t->keyed) {
    AddrKey key;

    if (addr_key_from_sockaddr (&t->addr, &key)) {
      t->has_addr = FALSE;
      select_address (t, &t->addr, t->addr_len);
      t->nominated = TRUE;
      send_check (t);
    }
  }
}

static gboolean
run_command (gpointer data)
{
  Command *cmd = data;
  MsEngineWorker *w = cmd->worker;
  Transport *t;

  switch (cmd->type) {
  case COMMAND_ADD:
    add_transport (w, g_steal_pointer (&cmd->transport));
    break;
  case COMMAND_REMOVE:
    t = g_hash_table_lookup (w->by_id, GUINT_TO_POINTER (cmd->id));
    if (t != NULL) {
      detach (t);
      g_hash_table_remove (w->by_id, GUINT_TO_POINTER (cmd->id));
    }
    break;
  case COMMAND_SEND:
    {
      gsize len;
      const guint8 *bytes = g_bytes_get_data (cmd->data, &len);

      ms_engine_worker_send_batch (w, &cmd->id, 1, bytes, len);
    }
    break;
  case COMMAND_SEND_RAW:
    t = g_hash_table_lookup (w->by_id, GUINT_TO_POINTER (cmd->id));
    if (t != NULL && t->has_addr) {
      gsize len;
      const guint8 *bytes = g_bytes_get_data (cmd->data, &len);

      send_to (w, t->fd, &t->addr, t->addr_len, bytes, len);
    }
    break;
  case COMMAND_SET_REMOTE:
    t = g_hash_table_lookup (w->by_id, GUINT_TO_POINTER (cmd->id));
    if (t == NULL || t->state == MS_ENGINE_STATE_FAILED)
      break;
    if (t->remote_fingerprint == NULL)
      t->remote_fingerprint = g_steal_pointer (&cmd->fingerprint);
    if (!t->dtls_started && t->setup != cmd->setup) {
      t->setup = cmd->setup;
      if (t->setup == MS_ENGINE_SETUP_ACTIVE) {
        SSL_set_connect_state (t->ssl);
        if (t->has_addr)
          dtls_step (t);
      } else {
        SSL_set_accept_state (t->ssl);
      }
    }
    if (t->verify_pending)
      finish_dtls (t);
    break;
  case COMMAND_RESET:
    t = g_hash_table_lookup (w->by_id, GUINT_TO_POINTER (cmd->id));
    if (t != NULL)
      reset_transport (w, t, g_steal_pointer (&cmd->fingerprint), cmd->setup);
    break;
  case COMMAND_KEY:
    t = g_hash_table_lookup (w->by_id, GUINT_TO_POINTER (cmd->id));
    if (t != NULL) {
      gsize len;
      const guint8 *key = g_bytes_get_data (cmd->data, &len);

      key_directly (t, key);
    }
    break;
  case COMMAND_QUIT:
    g_main_loop_quit (w->loop);
    break;
  default:
    g_assert_not_reached ();
  }
  return G_SOURCE_REMOVE;
}

static void
post (MsEngineWorker *w,
      Command        *cmd)
{
  GSource *source = g_idle_source_new ();

  cmd->worker = w;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, run_command, cmd, command_free);
  g_source_attach (source, w->context);
  g_source_unref (source);
}

/* The worker */

static int
accept_any_certificate (int             preverify_ok,
                        X509_STORE_CTX *ctx)
{
  /* Self-signed certificates: the SDP fingerprint is checked after the
   * handshake instead. */
  return 1;
}

static gpointer
worker_thread (gpointer data)
{
  MsEngineWorker *w = data;

  g_main_context_push_thread_default (w->context);
  g_main_loop_run (w->loop);
  g_hash_table_remove_all (w->by_addr);
  g_hash_table_remove_all (w->by_ufrag);
  g_hash_table_remove_all (w->by_id);
  g_source_destroy (w->socket_source);
  g_source_destroy (w->tick_source);
  g_source_destroy (w->hold_source);
  g_main_context_pop_thread_default (w->context);
  return NULL;
}


MsEngineWorker *
ms_engine_worker_new (const MsEngineWorkerConfig *config,
                      GError                    **error)
{
  static const uint16_t known[] = {
    STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY, STUN_ATTRIBUTE_FINGERPRINT,
    STUN_ATTRIBUTE_PRIORITY, STUN_ATTRIBUTE_USE_CANDIDATE, STUN_ATTRIBUTE_ICE_CONTROLLED,
    STUN_ATTRIBUTE_ICE_CONTROLLING, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, 0,
  };
  const MsEngineCertificate *cert = ms_engine_certificate_get ();
  g_autoptr (GInetAddress) address = NULL;
  g_autoptr (GSocketAddress) bind_address = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocket) socket = NULL;
  MsEngineWorker *w;
  guint interval;

  g_return_val_if_fail (config != NULL, NULL);

  if (!ms_srtp_crypto_init ())
    g_error ("engine: libsrtp2 does not start");

  address = g_inet_address_new_from_string (config->bind_address ? config->bind_address : "0.0.0.0");
  if (address == NULL) {
    g_set_error (error, MS_ENGINE_ERROR, MS_ENGINE_ERROR_FAILED,
                 "\"%s\" is no IP address", config->bind_address);
    return NULL;
  }
  socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  bind_address = g_inet_socket_address_new (address, config->port);
  if (!g_socket_bind (socket, bind_address, FALSE, error))
    return NULL;
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return NULL;

  w = g_new0 (MsEngineWorker, 1);
  w->config = *config;
  w->config.bind_address = NULL;
  w->config.srtp_profiles = NULL;
  if (w->config.consent_timeout_ms == 0)
    w->config.consent_timeout_ms = DEFAULT_CONSENT_MS;
  w->owner = g_main_context_ref_thread_default ();
  w->handle = g_new0 (OwnerHandle, 1);
  w->handle->ref = 1;
  w->handle->alive = TRUE;
  w->handle->worker = w;
  w->socket = g_steal_pointer (&socket);
  g_socket_set_blocking (w->socket, FALSE);
  w->fd = g_socket_get_fd (w->socket);
  w->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  w->recv_buf = g_malloc (RECV_BATCH * RECV_STRIDE);
  for (guint i = 0; i < RECV_BATCH; i++) {
    w->recv_iovs[i].iov_base = w->recv_buf + i * RECV_STRIDE;
    w->recv_iovs[i].iov_len = RECV_SIZE;
    w->recv_msgs[i].msg_hdr.msg_name = &w->recv_srcs[i];
    w->recv_msgs[i].msg_hdr.msg_iov = &w->recv_iovs[i];
    w->recv_msgs[i].msg_hdr.msg_iovlen = 1;
  }
  w->slots = g_malloc (BATCH * SLOT_SIZE);
  w->by_id = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) transport_free);
  w->by_ufrag = g_hash_table_new (g_str_hash, g_str_equal);
  w->by_addr = g_hash_table_new (addr_key_hash, addr_key_equal);
  w->shared = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) shared_unref);
  g_mutex_init (&w->lock);
  stun_agent_init (&w->agent, known, STUN_COMPATIBILITY_RFC5389,
                   STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);

  w->ssl_ctx = SSL_CTX_new (DTLS_method ());
  SSL_CTX_set_min_proto_version (w->ssl_ctx, DTLS1_2_VERSION);
  SSL_CTX_set_max_proto_version (w->ssl_ctx, DTLS1_2_VERSION);
  if (SSL_CTX_use_certificate (w->ssl_ctx, cert->x509) != 1 ||
      SSL_CTX_use_PrivateKey (w->ssl_ctx, cert->key) != 1 ||
      SSL_CTX_set_tlsext_use_srtp (w->ssl_ctx, config->srtp_profiles != NULL ?
                                   config->srtp_profiles :
                                   "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0)
    g_error ("engine: the DTLS context cannot be set up");
  SSL_CTX_set_verify (w->ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                      accept_any_certificate);
  SSL_CTX_set_read_ahead (w->ssl_ctx, 1);

  w->context = g_main_context_new ();
  w->loop = g_main_loop_new (w->context, FALSE);
  /* A source of our own for the socket, so that arm_hold() can take its
   * fd out of the poll set and put it back. No callback of the worker
   * iterates the context, so it may recurse: GLib then leaves its fd in
   * the poll set while it dispatches rather than taking it out and
   * putting it back, which signalled the context's wakeup fd for every
   * readable socket (measured: as many eventfd writes as polls, about
   * 2,700 a second in an 8-peer mesh). */
  w->socket_source = g_source_new (&poll_funcs, sizeof (PollSource));
  w->socket_poll = &((PollSource *) w->socket_source)->fd;
  w->socket_poll->fd = w->fd;
  w->socket_poll->events = G_IO_IN;
  g_source_add_poll (w->socket_source, w->socket_poll);
  g_source_set_callback (w->socket_source, on_readable, w, NULL);
  g_source_set_can_recurse (w->socket_source, TRUE);
  g_source_attach (w->socket_source, w->context);
  interval = CLAMP (w->config.consent_timeout_ms / 5, 20, 1000);
  w->tick_source = g_timeout_source_new (interval);
  g_source_set_callback (w->tick_source, on_tick, w, NULL);
  g_source_attach (w->tick_source, w->context);
  /* A kernel before 4.18 knows no UDP_SEGMENT: it would ignore the
   * control message and send a run as one datagram. Setting the socket's
   * default segment size to none tells. */
  w->gso = setsockopt (w->fd, SOL_UDP, UDP_SEGMENT, &(int) { 0 }, sizeof (int)) == 0;
  w->queue_gen = 1;
  w->hold_source = ms_engine_deadline_source_new (hold_when, on_hold_over, w);
  g_source_attach (w->hold_source, w->context);
  w->router = ms_engine_router_new (w);
  w->thread = g_thread_new ("ms-engine", worker_thread, w);
  ms_engine_router_post_start (w);
  return w;
}

void
ms_engine_worker_free (MsEngineWorker *worker)
{
  Command *cmd;

  if (worker == NULL)
    return;
  cmd = g_new0 (Command, 1);
  cmd->type = COMMAND_QUIT;
  post (worker, cmd);
  g_thread_join (worker->thread);
  worker->handle->alive = FALSE;
  ms_engine_router_free (worker->router);
  owner_handle_unref (worker->handle);
  g_source_unref (worker->socket_source);
  g_source_unref (worker->tick_source);
  g_source_unref (worker->hold_source);
  g_main_loop_unref (worker->loop);
  g_main_context_unref (worker->context);
  g_hash_table_unref (worker->by_addr);
  g_hash_table_unref (worker->by_ufrag);
  g_hash_table_unref (worker->by_id);
  g_hash_table_unref (worker->shared);
  g_mutex_clear (&worker->lock);
  SSL_CTX_free (worker->ssl_ctx);
  g_object_unref (worker->socket);
  g_main_context_unref (worker->owner);
  g_free (worker->recv_buf);
  g_free (worker->slots);
  g_free (worker);
}

guint16
ms_engine_worker_get_port (MsEngineWorker *worker)
{
  return worker->port;
}

/* A UDP socket on the worker's address, any free port. */
static GSocket *
new_own_socket (MsEngineWorker *worker,
                GError        **error)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (worker->socket, error);
  g_autoptr (GSocketAddress) bind_address = NULL;
  g_autoptr (GSocket) socket = NULL;
  GInetAddress *address;

  if (local == NULL)
    return NULL;
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local));
  socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  bind_address = g_inet_socket_address_new (address, 0);
  if (!g_socket_bind (socket, bind_address, FALSE, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  return g_steal_pointer (&socket);
}

static guint
add_transport_params (MsEngineWorker                *worker,
                      const MsEngineTransportParams *params,
                      gboolean                       keyed)
{
  Transport *t;
  Command *cmd;
  guint id;

  g_return_val_if_fail (params->local_ufrag != NULL && params->local_pwd != NULL, 0);
  g_return_val_if_fail (params->remote_address == NULL ||
                        (params->remote_ufrag != NULL && params->remote_pwd != NULL), 0);

  t = g_new0 (Transport, 1);
  t->id = atomic_fetch_add (&worker->next_id, 1) + 1;
  t->worker = worker;
  t->local_ufrag = g_strdup (params->local_ufrag);
  t->local_pwd = g_strdup (params->local_pwd);
  t->remote_ufrag = g_strdup (params->remote_ufrag);
  t->remote_pwd = g_strdup (params->remote_pwd);
  t->remote_fingerprint = g_strdup (params->remote_fingerprint);
  t->setup = params->setup;
  t->keyed = keyed;
  RAND_bytes ((guint8 *) &t->tie, sizeof t->tie);
  t->shared = g_new0 (Shared, 1);
  t->shared->ref = 2;
  t->fd = worker->fd;
  if (params->own_socket) {
    g_autoptr (GError) error = NULL;

    t->socket = new_own_socket (worker, &error);
    if (t->socket != NULL)
      t->fd = g_socket_get_fd (t->socket);
    else
      g_warning ("engine: no socket of its own for a transport: %s", error->message);
  }
  if (params->remote_address != NULL) {
    gssize n = g_socket_address_get_native_size (G_SOCKET_ADDRESS (params->remote_address));

    if (n > 0 && g_socket_address_to_native (G_SOCKET_ADDRESS (params->remote_address),
                                             &t->addr, sizeof t->addr, NULL)) {
      t->addr_len = n;
      t->controlling = TRUE;
    }
  }
  g_mutex_lock (&worker->lock);
  g_hash_table_insert (worker->shared, GUINT_TO_POINTER (t->id), t->shared);
  g_mutex_unlock (&worker->lock);

  id = t->id;
  cmd = g_new0 (Command, 1);
  cmd->type = COMMAND_ADD;
  cmd->id = id;
  cmd->transport = t;
  /* The worker may run and free the command before post() returns. */
  post (worker, cmd);
  return id;
}

guint
ms_engine_worker_add_transport (MsEngineWorker                *worker,
                                const MsEngineTransportParams *params)
{
  return add_transport_params (worker, params, FALSE);
}

void
ms_engine_worker_remove_transport (MsEngineWorker *worker,
                                   guint           transport_id)
{
  Command *cmd = g_new0 (Command, 1);

  g_mutex_lock (&worker->lock);
  g_hash_table_remove (worker->shared, GUINT_TO_POINTER (transport_id));
  g_mutex_unlock (&worker->lock);
  cmd->type = COMMAND_REMOVE;
  cmd->id = transport_id;
  post (worker, cmd);
}

static void
post_data (MsEngineWorker *worker,
           CommandType     type,
           guint           transport_id,
           const guint8   *data,
           gsize           len)
{
  Command *cmd = g_new0 (Command, 1);

  cmd->type = type;
  cmd->id = transport_id;
  cmd->data = g_bytes_new (data, len);
  post (worker, cmd);
}

void
ms_engine_worker_send (MsEngineWorker *worker,
                       guint           transport_id,
                       const guint8   *data,
                       gsize           len)
{
  post_data (worker, COMMAND_SEND, transport_id, data, len);
}

void
ms_engine_worker_send_raw (MsEngineWorker *worker,
                           guint           transport_id,
                           const guint8   *data,
                           gsize           len)
{
  post_data (worker, COMMAND_SEND_RAW, transport_id, data, len);
}

void
ms_engine_worker_get_stats (MsEngineWorker *worker,
                            MsEngineStats  *stats)
{
  stats->packets_in = atomic_load (&worker->packets_in);
  stats->bytes_in = atomic_load (&worker->bytes_in);
  stats->packets_out = atomic_load (&worker->packets_out);
  stats->messages_out = atomic_load (&worker->messages_out);
  stats->bytes_out = atomic_load (&worker->bytes_out);
  for (guint i = 0; i < MS_ENGINE_N_DROPS; i++)
    stats->dropped[i] = atomic_load (&worker->dropped[i]);
}

gboolean
ms_engine_worker_get_transport_info (MsEngineWorker        *worker,
                                     guint                  transport_id,
                                     MsEngineTransportInfo *info)
{
  Shared *s;

  g_mutex_lock (&worker->lock);
  s = g_hash_table_lookup (worker->shared, GUINT_TO_POINTER (transport_id));
  if (s != NULL) {
    info->state = atomic_load (&s->state);
    info->srtp_profile = atomic_load (&s->profile);
    info->rtp_in = atomic_load (&s->rtp_in);
    info->rtp_out = atomic_load (&s->rtp_out);
    info->binding_requests = atomic_load (&s->binding_requests);
  }
  g_mutex_unlock (&worker->lock);
  return s != NULL;
}

static void
post_remote (MsEngineWorker *worker,
             CommandType     type,
             guint           transport_id,
             const char     *remote_fingerprint,
             MsEngineSetup   setup)
{
  Command *cmd = g_new0 (Command, 1);

  cmd->type = type;
  cmd->id = transport_id;
  cmd->fingerprint = g_strdup (remote_fingerprint);
  cmd->setup = setup;
  post (worker, cmd);
}

void
ms_engine_worker_set_remote (MsEngineWorker *worker,
                             guint           transport_id,
                             const char     *remote_fingerprint,
                             MsEngineSetup   setup)
{
  post_remote (worker, COMMAND_SET_REMOTE, transport_id, remote_fingerprint, setup);
}

void
ms_engine_worker_invoke (MsEngineWorker *worker,
                         GSourceFunc     func,
                         gpointer        data,
                         GDestroyNotify  destroy)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, destroy);
  g_source_attach (source, worker->context);
  g_source_unref (source);
}

typedef struct {
  OwnerHandle *handle;
  guint        id;
} ProducerMessage;

static gboolean
deliver_producer (gpointer data)
{
  ProducerMessage *msg = data;
  MsEngineWorker *w = msg->handle->worker;

  if (msg->handle->alive && w->config.producer_func != NULL)
    w->config.producer_func (w, msg->id, w->config.user_data);
  return G_SOURCE_REMOVE;
}

static void
producer_message_free (gpointer data)
{
  ProducerMessage *msg = data;

  owner_handle_unref (msg->handle);
  g_free (msg);
}

void
ms_engine_worker_post_producer (MsEngineWorker *worker,
                                guint           producer_id)
{
  ProducerMessage *msg = g_new0 (ProducerMessage, 1);
  GSource *source = g_idle_source_new ();

  msg->handle = worker->handle;
  g_atomic_int_inc (&msg->handle->ref);
  msg->id = producer_id;
  g_source_set_callback (source, deliver_producer, msg, producer_message_free);
  g_source_attach (source, worker->owner);
  g_source_unref (source);
}

void
ms_engine_worker_reset_transport (MsEngineWorker *worker,
                                  guint           transport_id,
                                  const char     *remote_fingerprint,
                                  MsEngineSetup   setup)
{
  post_remote (worker, COMMAND_RESET, transport_id, remote_fingerprint, setup);
}

guint
ms_engine_worker_add_keyed_transport (MsEngineWorker     *worker,
                                      GInetSocketAddress *remote,
                                      const guint8        key[30])
{
  g_autofree char *ufrag = NULL, *pwd = NULL;
  MsEngineTransportParams params = { 0 };
  Command *cmd;
  guint id;

  ms_engine_ice_credentials_new (&ufrag, &pwd);
  params.local_ufrag = ufrag;
  params.local_pwd = pwd;
  params.remote_ufrag = "keyed";
  params.remote_pwd = "keyed";
  params.remote_fingerprint = "sha-256 00";
  params.remote_address = remote;
  id = add_transport_params (worker, &params, TRUE);
  cmd = g_new0 (Command, 1);
  cmd->type = COMMAND_KEY;
  cmd->id = id;
  cmd->data = g_bytes_new (key, 30);
  post (worker, cmd);
  return id;
}

typedef struct {
  GMutex   lock;
  GCond    cond;
  gboolean done;
} Sync;

static gboolean
run_sync (gpointer data)
{
  Sync *sync = data;

  g_mutex_lock (&sync->lock);
  sync->done = TRUE;
  g_cond_signal (&sync->cond);
  g_mutex_unlock (&sync->lock);
  return G_SOURCE_REMOVE;
}

void
ms_engine_worker_sync (MsEngineWorker *worker)
{
  Sync sync = { 0 };

  g_return_if_fail (!g_main_context_is_owner (worker->context));
  g_mutex_init (&sync.lock);
  g_cond_init (&sync.cond);
  ms_engine_worker_invoke (worker, run_sync, &sync, NULL);
  g_mutex_lock (&sync.lock);
  while (!sync.done)
    g_cond_wait (&sync.cond, &sync.lock);
  g_mutex_unlock (&sync.lock);
  g_mutex_clear (&sync.lock);
  g_cond_clear (&sync.cond);
}
