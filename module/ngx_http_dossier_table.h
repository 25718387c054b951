/*
 * A dg_limit table (module/core/dg_limit.h) in nginx shared memory: one
 * per zone, shared by all workers, kept across reloads while the zone's
 * size and capacity stay the same.
 */

#ifndef NGX_HTTP_DOSSIER_TABLE_H
#define NGX_HTTP_DOSSIER_TABLE_H

#include <ngx_config.h>
#include <ngx_core.h>

#include "dg_limit.h"


/* Declares the zone at configuration time; tag: the module it is for. */
ngx_shm_zone_t *ngx_http_dossier_table_zone(ngx_conf_t *cf, ngx_str_t *name,
    uint32_t capacity, void *tag);

/* dg_limit_charge under the zone's lock. */
void ngx_http_dossier_table_charge(ngx_shm_zone_t *zone,
    const dg_limit_request_t *reqs, size_t n, dg_limit_outcome_t *out);

void ngx_http_dossier_table_stats(ngx_shm_zone_t *zone, dg_limit_stats_t *st);

/* Now in microseconds, as the tables count. */
int64_t ngx_http_dossier_now_us(void);

#endif /* NGX_HTTP_DOSSIER_TABLE_H */
