/* ms-engine-private.h: what the engine's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <openssl/ssl.h>

#include "ms-engine.h"

typedef struct {
  EVP_PKEY *key;
  X509     *x509;
  char     *fingerprint;
} MsEngineCertificate;

const MsEngineCertificate *ms_engine_certificate_get (void);
char *ms_engine_format_fingerprint (const guint8 *md,
                                    guint         md_len);

/* Worker internals the router uses (worker thread only). */
typedef struct _MsEngineRouter MsEngineRouter;

/* The buffer (MS_ENGINE_SLOT_SIZE bytes) the next queued packet is
 * written into; ms_engine_worker_queue() protects and queues it. */
#define MS_ENGINE_SLOT_SIZE 2048
#define MS_ENGINE_MAX_PACKET (MS_ENGINE_SLOT_SIZE - 128)
guint8  *ms_engine_worker_slot        (MsEngineWorker *worker);
gboolean ms_engine_worker_queue       (MsEngineWorker *worker,
                                       guint           transport_id,
                                       gsize           len);
void     ms_engine_worker_flush       (MsEngineWorker *worker);
void     ms_engine_worker_hold        (MsEngineWorker *worker);
gboolean ms_engine_worker_ready       (MsEngineWorker *worker,
                                       guint           transport_id);
MsEngineRouter *ms_engine_worker_router (MsEngineWorker *worker);
/* When work is due: the earliest time it may run is returned, the time
 * it must run by is set in *@latest (left at G_MAXINT64: nothing due;
 * the two differ for periodic work that may go early rather than wake
 * the worker). */
typedef gint64 (*MsEngineWhenFunc) (gpointer  data,
                                    gint64   *latest);
/* A source that runs @func(@data) once @when says its work is due; it is
 * asked before every poll, so a deadline moves at no cost. */
GSource *ms_engine_deadline_source_new (MsEngineWhenFunc when,
                                        GSourceFunc      func,
                                        gpointer         data);
/* Runs @func(@data) on the worker thread; @destroy frees @data after. */
void     ms_engine_worker_invoke      (MsEngineWorker *worker,
                                       GSourceFunc     func,
                                       gpointer        data,
                                       GDestroyNotify  destroy);
void     ms_engine_worker_post_producer (MsEngineWorker *worker,
                                         guint           producer_id);

MsEngineRouter *ms_engine_router_new    (MsEngineWorker *worker);
void            ms_engine_router_free   (MsEngineRouter *router);
/* A decrypted packet of @transport_id; TRUE if the router took it. */
gboolean        ms_engine_router_packet (MsEngineRouter *router,
                                         guint           transport_id,
                                         gboolean        is_rtcp,
                                         guint8         *data,
                                         gsize           len);
void            ms_engine_router_tick   (MsEngineRouter *router);
/* Worker: @transport_id started again; its consumers wait for a keyframe. */
void            ms_engine_router_transport_reset (MsEngineRouter *router,
                                                  guint           transport_id);
/* Worker: @transport_id can send now; its video consumers ask for the
 * keyframe they start at. */
void            ms_engine_router_transport_ready (MsEngineRouter *router,
                                                  guint           transport_id);
/* Owner side: starts the router's timer on the worker. */
void            ms_engine_router_post_start (MsEngineWorker *worker);
