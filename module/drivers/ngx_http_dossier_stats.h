/*
 * What the gateway counts, one block per nginx worker (in the shared zone
 * of ngx_http_dossier_metrics.c, which adds the workers' blocks up for
 * GET /metrics).  A worker writes only its own block: plain increments,
 * no atomics, no lock.  The drivers are handed their part at creation and
 * know nothing else of the metrics (no HTTP header here).
 *
 * Only uint64_t, so that blocks add up with dg_metrics_add(); the gauges
 * (marked) are a worker's current state and are added up only over the
 * workers that are alive.
 */

#ifndef NGX_HTTP_DOSSIER_STATS_H
#define NGX_HTTP_DOSSIER_STATS_H

#include <ngx_config.h>
#include <ngx_core.h>

#include "dg_metrics.h"


/* the pool's connection states (ngx_http_dossier_pg.c: down, connecting,
 * idle, busy) and the outcomes of ngx_http_dossier_outcome_e */
#define NGX_HTTP_DOSSIER_PG_STATES     4
#define NGX_HTTP_DOSSIER_PG_OUTCOMES   5

/* the lookups' results, as dg_cache_result_e */
#define NGX_HTTP_DOSSIER_CACHE_RESULTS 4


typedef struct {
    uint64_t        requests[DG_ROUTES][DG_METRICS_CODES];
    dg_histogram_t  duration[DG_ROUTES];         /* microseconds */
} ngx_http_dossier_http_stats_t;


typedef struct {
    uint64_t        reconnects;
    uint64_t        outcomes[NGX_HTTP_DOSSIER_PG_OUTCOMES];
    dg_histogram_t  commit_size;                 /* dossiers */
    dg_histogram_t  commit_time;                 /* microseconds */
    uint64_t        queued;                      /* gauge */
    uint64_t        conns[NGX_HTTP_DOSSIER_PG_STATES];   /* gauge */
} ngx_http_dossier_pg_stats_t;


typedef struct {
    uint64_t        commands;
    uint64_t        writes;          /* send() calls: commands coalesce */
    uint64_t        errors;                      /* error replies */
    uint64_t        timeouts;
    uint64_t        unavailable;     /* refused or failed: no connection */
    uint64_t        connected;                   /* gauge: 0 or 1 */
} ngx_http_dossier_redis_stats_t;


typedef struct {
    uint64_t        lookups[NGX_HTTP_DOSSIER_CACHE_RESULTS];
    uint64_t        writes;
    uint64_t        write_errors;   /* refused, failed, or not sent */
} ngx_http_dossier_cache_stats_t;


typedef struct {
    ngx_http_dossier_http_stats_t    http;
    ngx_http_dossier_pg_stats_t      pg;
    ngx_http_dossier_redis_stats_t   redis;
    ngx_http_dossier_cache_stats_t   cache;
} ngx_http_dossier_stats_t;


/* The histograms' buckets (ngx_http_dossier_metrics.c). */
extern const dg_buckets_t  ngx_http_dossier_duration_buckets;
extern const dg_buckets_t  ngx_http_dossier_commit_size_buckets;
extern const dg_buckets_t  ngx_http_dossier_commit_time_buckets;

#endif /* NGX_HTTP_DOSSIER_STATS_H */
