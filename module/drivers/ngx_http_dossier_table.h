/*
 * Tables of the core in nginx shared memory, one per zone, shared by all
 * workers, kept across reloads while the zone's size and capacity stay
 * the same: the limiter's (module/core/dg_limit.h) and the nonce store
 * (module/core/dg_nonce.h).
 */

#ifndef NGX_HTTP_DOSSIER_TABLE_H
#define NGX_HTTP_DOSSIER_TABLE_H

#include <ngx_config.h>
#include <ngx_core.h>

#include "dg_limit.h"
#include "dg_nonce.h"


/* Declares a zone at configuration time; tag: the module it is for. */
ngx_shm_zone_t *ngx_http_dossier_table_zone(ngx_conf_t *cf, ngx_str_t *name,
    uint32_t capacity, void *tag);
ngx_shm_zone_t *ngx_http_dossier_table_nonce_zone(ngx_conf_t *cf,
    ngx_str_t *name, uint32_t capacity, void *tag);

/* dg_limit_charge under the zone's lock: NGX_OK, or NGX_ERROR when the
 * table could not judge (nothing was charged, out is not set). */
ngx_int_t ngx_http_dossier_table_charge(ngx_shm_zone_t *zone,
    const dg_limit_request_t *reqs, size_t n, dg_limit_outcome_t *out);

/* dg_nonce_record under the zone's lock (times in seconds). */
dg_nonce_e ngx_http_dossier_table_record(ngx_shm_zone_t *zone,
    const u_char *key, time_t expires);

/* The table's fill (the metrics): capacity, entries in use, evictions. */
void ngx_http_dossier_table_stats(ngx_shm_zone_t *zone, dg_limit_stats_t *st);

/* Now in microseconds, as the limit tables count. */
int64_t ngx_http_dossier_now_us(void);

#endif /* NGX_HTTP_DOSSIER_TABLE_H */
