/* ms-engine.h: the server's own WebRTC transport (ICE-lite, DTLS, SRTP)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An MsEngineWorker is one thread with its own GMainContext, owning one
 * UDP socket and the transports that live on it. The owner (the main
 * context that created the worker) refers to a transport only by its id;
 * every call below except ms_engine_worker_send_batch() is made from the
 * owner's thread and posts a message to the worker.
 */

#pragma once

#include <gio/gio.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

#define MS_ENGINE_ERROR (ms_engine_error_quark ())
GQuark ms_engine_error_quark (void);

typedef enum {
  MS_ENGINE_ERROR_NO_BUNDLE,
  MS_ENGINE_ERROR_NO_RTCP_MUX,
  MS_ENGINE_ERROR_NO_ICE_CREDENTIALS,
  MS_ENGINE_ERROR_NO_FINGERPRINT,
  MS_ENGINE_ERROR_UNKNOWN_CRYPTO,
  MS_ENGINE_ERROR_BAD_SETUP,
  MS_ENGINE_ERROR_FAILED,
} MsEngineError;

/* RFC 7983 classes, RTP and RTCP told apart by RFC 5761. */
typedef enum {
  MS_ENGINE_PACKET_UNKNOWN,
  MS_ENGINE_PACKET_STUN,
  MS_ENGINE_PACKET_DTLS,
  MS_ENGINE_PACKET_RTP,
  MS_ENGINE_PACKET_RTCP,
} MsEnginePacketKind;

MsEnginePacketKind ms_engine_classify (const guint8 *data,
                                       gsize         len);
/* TRUE when @data holds a whole RTP header (CSRCs, extension) and some
 * room for a payload. */
gboolean ms_engine_rtp_parse (const guint8 *data,
                              gsize         len,
                              guint8       *payload_type,
                              guint32      *ssrc,
                              gsize        *header_len);
/* The payload's length after a @header_len header, without padding;
 * FALSE when the padding claims more than there is. */
gboolean ms_engine_rtp_payload (const guint8 *data,
                                gsize         len,
                                gsize         header_len,
                                gsize        *payload_len);
/* RFC 4588: rewrites an RTX packet in place into the original one, with
 * @payload_type and @ssrc; FALSE (unchanged) for one with no original
 * sequence number (padding only, or too short). */
gboolean ms_engine_rtx_unwrap  (guint8       *data,
                                gsize        *len,
                                gsize         header_len,
                                guint8        payload_type,
                                guint32       ssrc);
/* RFC 7741: whether a VP8 RTP payload starts a key frame. */
gboolean ms_engine_vp8_keyframe_start (const guint8 *payload,
                                       gsize         len);
/* TRUE when @data is a compound RTCP packet whose lengths add up to
 * @len - @trailer (the SRTCP index and tag, or 0). */
gboolean ms_engine_rtcp_check (const guint8 *data,
                               gsize         len,
                               gsize         trailer);
/* TRUE when @data is a sequence of whole DTLS 1.0/1.2 records. */
gboolean ms_engine_dtls_check (const guint8 *data,
                               gsize         len);

typedef enum {
  MS_ENGINE_SETUP_PASSIVE,   /* we are the DTLS server */
  MS_ENGINE_SETUP_ACTIVE,    /* we are the DTLS client */
} MsEngineSetup;

typedef enum {
  MS_ENGINE_STATE_NEW,
  MS_ENGINE_STATE_CHECKING,   /* a binding request was answered */
  MS_ENGINE_STATE_CONNECTED,  /* DTLS done, SRTP keyed */
  MS_ENGINE_STATE_FAILED,
} MsEngineState;

typedef enum {
  MS_ENGINE_SRTP_NONE,
  MS_ENGINE_SRTP_AES128_CM_SHA1_80,
  MS_ENGINE_SRTP_AEAD_AES_128_GCM,
} MsEngineSrtpProfile;

typedef enum {
  MS_ENGINE_DROP_NOT_STUN,      /* first byte in no known range */
  MS_ENGINE_DROP_BAD_STUN,      /* malformed or truncated STUN */
  MS_ENGINE_DROP_BAD_INTEGRITY, /* wrong password or fingerprint */
  MS_ENGINE_DROP_NO_TRANSPORT,  /* unknown ufrag or source address */
  MS_ENGINE_DROP_DTLS_ERROR,    /* bad records, handshake failure */
  MS_ENGINE_DROP_NOT_READY,     /* RTP before SRTP is keyed */
  MS_ENGINE_DROP_SRTP_AUTH,     /* bad SRTP/SRTCP tag or replay */
  MS_ENGINE_DROP_TOO_SHORT,     /* RTP/RTCP headers do not fit */
  MS_ENGINE_DROP_SEND_ERROR,
  MS_ENGINE_DROP_TOO_LONG,      /* a datagram over 8 KiB */
  MS_ENGINE_N_DROPS,
} MsEngineDrop;

const char *ms_engine_drop_name (MsEngineDrop drop);

typedef struct {
  guint64 packets_in;
  guint64 bytes_in;
  guint64 packets_out;
  guint64 bytes_out;
  guint64 messages_out;     /* messages to the kernel: a run of one frame's packets to one peer is one */
  guint64 dropped[MS_ENGINE_N_DROPS];
} MsEngineStats;

typedef struct {
  MsEngineState       state;
  MsEngineSrtpProfile srtp_profile;
  guint64             rtp_in;     /* decrypted RTP and RTCP */
  guint64             rtp_out;
  guint64             binding_requests;
} MsEngineTransportInfo;

/* The process's DTLS certificate (ECDSA P-256, made on first use):
 * its "sha-256" fingerprint as SDP writes it ("AB:01:..."). */
const char *ms_engine_certificate_fingerprint (void);

/* Fresh ICE credentials from a CSPRNG (ufrag 8, pwd 24 characters). */
void ms_engine_ice_credentials_new (char **ufrag,
                                    char **pwd);

typedef struct _MsEngineWorker MsEngineWorker;

/* Worker thread: a decrypted RTP (or RTCP) packet of @transport_id. The
 * buffer is the worker's and is reused after the call. */
typedef void (*MsEngineRtpFunc)   (MsEngineWorker *worker,
                                   guint           transport_id,
                                   gboolean        is_rtcp,
                                   guint8         *data,
                                   gsize           len,
                                   gpointer        user_data);
/* Owner's main context: @transport_id changed state. */
typedef void (*MsEngineStateFunc) (MsEngineWorker *worker,
                                   guint           transport_id,
                                   MsEngineState   state,
                                   gpointer        user_data);

/* Owner's main context: the first packet of producer @producer_id came. */
typedef void (*MsEngineProducerFunc) (MsEngineWorker *worker,
                                      guint           producer_id,
                                      gpointer        user_data);

typedef struct {
  const char       *bind_address;       /* "127.0.0.1", "::", ... */
  guint16           port;               /* 0: any free port */
  guint             consent_timeout_ms; /* 0: 30 s (RFC 7675) */
  /* OpenSSL's use_srtp list in order of preference; NULL: AEAD_AES_128_GCM
   * first, then AES128_CM_SHA1_80 (a client that wants what GStreamer
   * 1.22 offers, as mediastore-load does, says "SRTP_AES128_CM_SHA1_80"). */
  const char       *srtp_profiles;
  MsEngineRtpFunc   rtp_func;
  MsEngineStateFunc state_func;
  MsEngineProducerFunc producer_func;
  gpointer          user_data;
} MsEngineWorkerConfig;

MsEngineWorker *ms_engine_worker_new  (const MsEngineWorkerConfig *config,
                                       GError                    **error);
void            ms_engine_worker_free (MsEngineWorker *worker);
guint16         ms_engine_worker_get_port (MsEngineWorker *worker);

typedef struct {
  const char   *local_ufrag;
  const char   *local_pwd;
  const char   *remote_ufrag;
  const char   *remote_pwd;
  const char   *remote_fingerprint;  /* "sha-256 AB:..." */
  MsEngineSetup setup;
  /* Optional: a peer we check ourselves (controlling, USE-CANDIDATE),
   * for a transport between two engines. NULL for an ICE-lite answer. */
  GInetSocketAddress *remote_address;
  /* A UDP socket of its own on the worker's address (a client with many
   * transports to one server address: mediastore-load), so that each
   * has a 5-tuple of its own; its sends are not batched. */
  gboolean      own_socket;
} MsEngineTransportParams;

guint    ms_engine_worker_add_transport    (MsEngineWorker                *worker,
                                            const MsEngineTransportParams *params);
void     ms_engine_worker_remove_transport (MsEngineWorker *worker,
                                            guint           transport_id);
/* Copies @data; protected and sent on the worker. */
void     ms_engine_worker_send             (MsEngineWorker *worker,
                                            guint           transport_id,
                                            const guint8   *data,
                                            gsize           len);
/* Sends @data unprotected to the transport's selected address (tests). */
void     ms_engine_worker_send_raw         (MsEngineWorker *worker,
                                            guint           transport_id,
                                            const guint8   *data,
                                            gsize           len);
/* Worker thread only (from the rtp_func): protects @data for each of
 * @n_ids transports and sends them all with sendmmsg. */
void     ms_engine_worker_send_batch       (MsEngineWorker *worker,
                                            const guint    *transport_ids,
                                            guint           n_ids,
                                            const guint8   *data,
                                            gsize           len);
void     ms_engine_worker_get_stats        (MsEngineWorker *worker,
                                            MsEngineStats  *stats);
gboolean ms_engine_worker_get_transport_info (MsEngineWorker        *worker,
                                              guint                  transport_id,
                                              MsEngineTransportInfo *info);

/* Setting the remote side of a transport made before its answer came
 * (an offer of ours): @remote_fingerprint is checked once DTLS is done,
 * whenever that is; @setup is our role. */
void     ms_engine_worker_set_remote       (MsEngineWorker *worker,
                                            guint           transport_id,
                                            const char     *remote_fingerprint,
                                            MsEngineSetup   setup);

/* The peer took our offer into a new PeerConnection (new ICE and DTLS
 * on its side): the transport keeps its id and local credentials and
 * starts again from NEW; its consumers start again at a keyframe. */
void     ms_engine_worker_reset_transport  (MsEngineWorker *worker,
                                            guint           transport_id,
                                            const char     *remote_fingerprint,
                                            MsEngineSetup   setup);

/* Tests and fuzzing only: a transport to @remote with no ICE or DTLS,
 * SRTP keyed with @key (AES_CM_128_HMAC_SHA1_80: 16 bytes of key, 14 of
 * salt) in both directions. */
guint    ms_engine_worker_add_keyed_transport (MsEngineWorker     *worker,
                                               GInetSocketAddress *remote,
                                               const guint8        key[30]);

/* Tests only: returns once the worker ran every command posted before.
 * Blocks; never call it from a main loop that must stay responsive. */
void     ms_engine_worker_sync             (MsEngineWorker *worker);

/* The router: producers (RTP streams received on a transport) and
 * consumers (one copy of a producer sent on another transport, with
 * SSRC, sequence numbers and timestamps of its own). Forwarding,
 * retransmission, keyframe requests and RTCP reports happen on the
 * worker; the owner only says who receives what. A producer and its
 * consumers must be on the same worker. */
typedef enum {
  MS_ENGINE_CODEC_OTHER,
  MS_ENGINE_CODEC_OPUS,
  MS_ENGINE_CODEC_VP8,
} MsEngineCodec;

typedef struct {
  guint         transport_id;
  guint32       ssrc;
  guint32       rtx_ssrc;          /* 0: none */
  guint8        payload_type;
  guint8        rtx_payload_type;  /* 0: none */
  guint         clock_rate;
  MsEngineCodec codec;
  gboolean      video;
  gboolean      nack;              /* the publisher answers NACKs */
  guint8        twcc_ext_id;       /* transport-wide sequence numbers' extension id, 0: none */
} MsEngineProducerParams;

typedef struct {
  guint         transport_id;
  guint32       ssrc;
  guint32       rtx_ssrc;
  guint8        payload_type;
  guint8        rtx_payload_type;  /* 0: plain retransmission */
  guint         clock_rate;
  gboolean      video;
} MsEngineConsumerParams;

typedef struct {
  guint64 packets_forwarded;
  guint64 bytes_forwarded;
  guint64 retransmitted;       /* packets sent again for subscribers' NACKs */
  guint64 nacks_sent;          /* sequence numbers NACKed to publishers */
  guint64 keyframe_requests;   /* PLIs sent to publishers */
  guint64 rtcp_received;       /* compound RTCP packets from peers */
  guint   producers;
  guint   consumers;
} MsEngineRouterStats;

guint    ms_engine_worker_add_producer      (MsEngineWorker               *worker,
                                             const MsEngineProducerParams *params);
void     ms_engine_worker_remove_producer   (MsEngineWorker *worker,
                                             guint           producer_id);
/* A consumer starts with no source; its output stays continuous across
 * every change of source and every pause. */
guint    ms_engine_worker_add_consumer      (MsEngineWorker               *worker,
                                             const MsEngineConsumerParams *params);
void     ms_engine_worker_remove_consumer   (MsEngineWorker *worker,
                                             guint           consumer_id);
/* @producer_id 0: none. A video consumer starts at a keyframe. */
void     ms_engine_worker_set_consumer_source (MsEngineWorker *worker,
                                               guint           consumer_id,
                                               guint           producer_id);
void     ms_engine_worker_set_consumer_paused (MsEngineWorker *worker,
                                               guint           consumer_id,
                                               gboolean        paused);
/* Retransmissions in RTX (RFC 4588) with @rtx_payload_type, or 0: plain. */
void     ms_engine_worker_set_consumer_rtx    (MsEngineWorker *worker,
                                               guint           consumer_id,
                                               guint8          rtx_payload_type);
void     ms_engine_worker_get_router_stats    (MsEngineWorker      *worker,
                                               MsEngineRouterStats *stats);

/* SDP: what the client's offer says about the transport, read from the
 * first m-line of its BUNDLE group (RFC 8843: later m-lines may carry
 * other ICE credentials; they are ignored). */
typedef struct {
  char         *ufrag;
  char         *pwd;
  char         *fingerprint;   /* "sha-256 AB:..." */
  MsEngineSetup setup;         /* OUR role in the answer */
  char         *bundle_mid;
} MsEngineOffer;

gboolean ms_engine_sdp_read_offer (const GstSDPMessage *offer,
                                   MsEngineSetup        preferred,
                                   MsEngineOffer       *out,
                                   GError             **error);
void     ms_engine_offer_clear    (MsEngineOffer *offer);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MsEngineOffer, ms_engine_offer_clear)

/* Adds the transport attributes to every m-line of @answer (whose media
 * part the caller wrote): ice-lite, BUNDLE of its mids, ice-ufrag/pwd,
 * fingerprint, setup, rtcp-mux, a host candidate of @address:@port.
 * An m-line whose first attribute is "rejected" (a marker the caller
 * adds, removed here) stays at port 0, outside the bundle. */
void     ms_engine_sdp_fill_answer (GstSDPMessage *answer,
                                    const char    *ufrag,
                                    const char    *pwd,
                                    MsEngineSetup  setup,
                                    const char    *address,
                                    guint16        port);
/* The same for an offer of ours: setup actpass. An m-line whose first
 * attribute is "rejected" (removed here) is left out: port 0. */
void     ms_engine_sdp_fill_offer  (GstSDPMessage *offer,
                                    const char    *ufrag,
                                    const char    *pwd,
                                    const char    *address,
                                    guint16        port);

G_END_DECLS
