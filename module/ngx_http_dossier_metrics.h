/*
 * ngx_http_dossier_metrics_module: the gateway's counts (what
 * ngx_http_dossier_stats.h holds, one block per worker in a shared zone)
 * and the text of GET /metrics, which adds the workers up and writes them
 * in the Prometheus text format, followed by what the other modules
 * collect of their own (limits, nonces, plugins).  Requests are counted
 * by route and status, and timed, in the LOG phase, as nginx's own
 * modules count them.
 */

#ifndef NGX_HTTP_DOSSIER_METRICS_H
#define NGX_HTTP_DOSSIER_METRICS_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_limit.h"
#include "dg_metrics.h"
#include "ngx_http_dossier_stats.h"


extern ngx_module_t  ngx_http_dossier_metrics_module;


/* A worker takes its block before its drivers start (its own, zeroed;
 * never NULL: a private one if the zone has none free) and gives it back
 * when it exits, its counts kept for the totals. */
ngx_http_dossier_stats_t *ngx_http_dossier_metrics_start(ngx_cycle_t *cycle);
void ngx_http_dossier_metrics_stop(ngx_cycle_t *cycle);

/* A module's own families, written at each GET /metrics. */
typedef void (*ngx_http_dossier_metrics_collect_pt)(ngx_http_request_t *r,
    dg_metrics_t *m);

/* Configuration time: collect runs for every GET /metrics, in the order
 * the collectors were added. */
ngx_int_t ngx_http_dossier_metrics_add_collector(ngx_conf_t *cf,
    ngx_http_dossier_metrics_collect_pt collect);

/* The text of GET /metrics into m (dg_metrics_free() it once sent);
 * NGX_ERROR: out of memory, m is freed. */
ngx_int_t ngx_http_dossier_metrics_render(ngx_http_request_t *r,
    dg_metrics_t *m);

/* For collectors: a family of one sample without labels. */
void ngx_http_dossier_metrics_one(dg_metrics_t *m, const char *name,
    dg_metric_type_e type, const char *help, uint64_t v);

/* For collectors: a dg_limit table's fill as dossier_<what>_entries,
 * _capacity, _evictions_total, _live_evictions_total; of says what the
 * table is. */
void ngx_http_dossier_metrics_table(dg_metrics_t *m, const char *what,
    const char *of, dg_limit_stats_t *st);

#endif /* NGX_HTTP_DOSSIER_METRICS_H */
