/*
 * Core tables in nginx shared memory (see ngx_http_dossier_table.h).
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_dossier_table.h"


/* What the zones need of a kind of table. */
typedef struct {
    size_t                      (*size)(uint32_t capacity);
    int                         (*init)(void *mem, size_t size,
                                        uint32_t capacity);
    int                         (*valid)(const void *mem, size_t size);
    void                        (*stats)(const void *mem,
                                         dg_limit_stats_t *st);
} ngx_http_dossier_table_kind_t;


typedef struct {
    const ngx_http_dossier_table_kind_t  *kind;
    uint32_t                              capacity;
    void                                 *table;
    size_t                                size;
} ngx_http_dossier_table_t;


static ngx_shm_zone_t *ngx_http_dossier_table_add(ngx_conf_t *cf,
    ngx_str_t *name, uint32_t capacity,
    const ngx_http_dossier_table_kind_t *kind, void *tag);
static ngx_int_t ngx_http_dossier_table_init(ngx_shm_zone_t *zone,
    void *data);


static const ngx_http_dossier_table_kind_t  ngx_http_dossier_table_limits = {
    dg_limit_table_size, dg_limit_table_init, dg_limit_table_valid,
    dg_limit_table_stats
};

static const ngx_http_dossier_table_kind_t  ngx_http_dossier_table_nonces = {
    dg_nonce_table_size, dg_nonce_table_init, dg_nonce_table_valid,
    dg_nonce_table_stats
};


ngx_shm_zone_t *
ngx_http_dossier_table_zone(ngx_conf_t *cf, ngx_str_t *name,
    uint32_t capacity, void *tag)
{
    return ngx_http_dossier_table_add(cf, name, capacity,
                                      &ngx_http_dossier_table_limits, tag);
}


ngx_shm_zone_t *
ngx_http_dossier_table_nonce_zone(ngx_conf_t *cf, ngx_str_t *name,
    uint32_t capacity, void *tag)
{
    return ngx_http_dossier_table_add(cf, name, capacity,
                                      &ngx_http_dossier_table_nonces, tag);
}


static ngx_shm_zone_t *
ngx_http_dossier_table_add(ngx_conf_t *cf, ngx_str_t *name,
    uint32_t capacity, const ngx_http_dossier_table_kind_t *kind, void *tag)
{
    size_t                     size;
    ngx_shm_zone_t            *zone;
    ngx_http_dossier_table_t  *t;

    t = ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_table_t));
    if (t == NULL) {
        return NULL;
    }

    t->kind = kind;
    t->capacity = capacity;
    t->size = kind->size(capacity);

    /* the table, plus the slab allocator's bookkeeping: a descriptor per
     * page (under 1/64 of the size) and a few pages of its own */
    size = ngx_align(t->size, ngx_pagesize) + t->size / 64
           + 16 * ngx_pagesize;

    zone = ngx_shared_memory_add(cf, name, size, tag);
    if (zone == NULL) {
        return NULL;
    }

    if (zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "shared zone \"%V\" is declared twice", name);
        return NULL;
    }

    zone->init = ngx_http_dossier_table_init;
    zone->data = t;

    return zone;
}


static ngx_int_t
ngx_http_dossier_table_init(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t           *shpool;
    ngx_http_dossier_table_t  *t = zone->data;
    ngx_http_dossier_table_t  *old = data;

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (old || zone->shm.exists) {
        /*
         * A reload: the table is there already.  The old workers are
         * still changing it, so it is checked under their lock; a reload
         * with the same layout keeps every key's state, and a table found
         * damaged (a worker died inside an update) starts afresh in place.
         */
        t->table = shpool->data;

        ngx_shmtx_lock(&shpool->mutex);

        if (!t->kind->valid(t->table, t->size)) {
            ngx_log_error(NGX_LOG_WARN, zone->shm.log, 0,
                          "shared zone \"%V\": state not reusable, reset",
                          &zone->shm.name);
            (void) t->kind->init(t->table, t->size, t->capacity);
        }

        ngx_shmtx_unlock(&shpool->mutex);

        return NGX_OK;
    }

    t->table = ngx_slab_alloc(shpool, t->size);
    if (t->table == NULL
        || t->kind->init(t->table, t->size, t->capacity) != 0)
    {
        return NGX_ERROR;
    }

    shpool->data = t->table;

    return NGX_OK;
}


ngx_int_t
ngx_http_dossier_table_charge(ngx_shm_zone_t *zone,
    const dg_limit_request_t *reqs, size_t n, dg_limit_outcome_t *out)
{
    int                        rc;
    ngx_slab_pool_t           *shpool;
    ngx_http_dossier_table_t  *t = zone->data;

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    ngx_shmtx_lock(&shpool->mutex);
    rc = dg_limit_charge(t->table, reqs, n, ngx_http_dossier_now_us(), out);
    ngx_shmtx_unlock(&shpool->mutex);

    if (rc != 0) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "shared zone \"%V\": limits not charged",
                      &zone->shm.name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


dg_nonce_e
ngx_http_dossier_table_record(ngx_shm_zone_t *zone, const u_char *key,
    time_t expires)
{
    dg_nonce_e                 rc;
    ngx_slab_pool_t           *shpool;
    ngx_http_dossier_table_t  *t = zone->data;

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    ngx_shmtx_lock(&shpool->mutex);
    rc = dg_nonce_record(t->table, key, ngx_time(), expires);
    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


void
ngx_http_dossier_table_stats(ngx_shm_zone_t *zone, dg_limit_stats_t *st)
{
    ngx_slab_pool_t           *shpool;
    ngx_http_dossier_table_t  *t = zone->data;

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    ngx_shmtx_lock(&shpool->mutex);
    t->kind->stats(t->table, st);
    ngx_shmtx_unlock(&shpool->mutex);
}


int64_t
ngx_http_dossier_now_us(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000000 + (int64_t) tp->msec * 1000;
}
