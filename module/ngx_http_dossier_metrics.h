/*
 * ngx_http_dossier_metrics_module: the gateway's counts (what
 * ngx_http_dossier_stats.h holds, one block per worker in a shared zone)
 * and GET /metrics, which adds the workers up and writes them in the
 * Prometheus text format with the counts the other modules keep (limits,
 * nonces, plugins).  Requests are counted by route and status, and timed,
 * in the LOG phase, as nginx's own modules count them.
 */

#ifndef NGX_HTTP_DOSSIER_METRICS_H
#define NGX_HTTP_DOSSIER_METRICS_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dossier_stats.h"


extern ngx_module_t  ngx_http_dossier_metrics_module;


/* A worker takes its block before its drivers start (its own, zeroed;
 * never NULL: a private one if the zone has none free) and gives it back
 * when it exits, its counts kept for the totals. */
ngx_http_dossier_stats_t *ngx_http_dossier_metrics_start(ngx_cycle_t *cycle);
void ngx_http_dossier_metrics_stop(ngx_cycle_t *cycle);

/* The answer of GET /metrics (the caller checked the admin token). */
ngx_int_t ngx_http_dossier_metrics_send(ngx_http_request_t *r);

#endif /* NGX_HTTP_DOSSIER_METRICS_H */
