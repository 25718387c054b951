/*
 * ngx_http_dossier_module: the storage the gateway's parts share (see
 * ngx_http_dossier.h): PostgreSQL (pool, group-commit writer, catalog),
 * Redis and the status cache; their directives, and their creation in
 * each worker.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dossier.h"
#include "ngx_http_dossier_metrics.h"


static char *ngx_http_dossier_pg_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_dossier_redis_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void *ngx_http_dossier_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_init_main_conf(ngx_conf_t *cf, void *conf);
static ngx_int_t ngx_http_dossier_init_process(ngx_cycle_t *cycle);
static void ngx_http_dossier_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_dossier_commands[] = {

    { ngx_string("dossier_pg"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_dossier_pg_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dossier_pg_pool_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, pg.pool_size),
      NULL },

    { ngx_string("dossier_pg_queue_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, pg.queue_size),
      NULL },

    { ngx_string("dossier_pg_batch_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, pg.batch_size),
      NULL },

    { ngx_string("dossier_pg_batch_connections"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, pg.batch_conns),
      NULL },

    { ngx_string("dossier_pg_batch_wait"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, pg.batch_wait),
      NULL },

    { ngx_string("dossier_pg_connect_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, pg.connect_timeout),
      NULL },

    { ngx_string("dossier_pg_query_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, pg.query_timeout),
      NULL },

    { ngx_string("dossier_catalog_refresh"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, pg.catalog_refresh),
      NULL },

    { ngx_string("dossier_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_dossier_redis_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dossier_redis_password"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, cache_conf.redis.password),
      NULL },

    { ngx_string("dossier_redis_db"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, cache_conf.redis.db),
      NULL },

    { ngx_string("dossier_redis_connect_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t,
               cache_conf.redis.connect_timeout),
      NULL },

    { ngx_string("dossier_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t,
               cache_conf.redis.command_timeout),
      NULL },

    { ngx_string("dossier_cache_prefix"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, cache_conf.prefix),
      NULL },

    { ngx_string("dossier_cache_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, cache_conf.ttl),
      NULL },

    { ngx_string("dossier_cache_negative_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, cache_conf.negative_ttl),
      NULL },

    { ngx_string("dossier_pg_sector_share"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, pg.sector_share),
      NULL },
      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_dossier_create_main_conf,     /* create main configuration */
    ngx_http_dossier_init_main_conf,       /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_dossier_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_module_ctx,          /* module context */
    ngx_http_dossier_commands,             /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_dossier_init_process,         /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_dossier_exit_process,         /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


ngx_http_dossier_pg_t *
ngx_http_dossier_pool(ngx_http_request_t *r)
{
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    return dmcf->pool;
}


ngx_http_dossier_cache_t *
ngx_http_dossier_cache(ngx_http_request_t *r)
{
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    return dmcf->cache;
}


ngx_http_dossier_redis_t *
ngx_http_dossier_redis(ngx_http_request_t *r)
{
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    return dmcf->cache ? ngx_http_dossier_cache_redis(dmcf->cache) : NULL;
}


const dg_catalog_t *
ngx_http_dossier_catalog(ngx_http_request_t *r)
{
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    return dmcf->pool ? ngx_http_dossier_pg_catalog(dmcf->pool) : NULL;
}


char *
ngx_http_dossier_set_handler(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        return "conflicts with another content handler in this location";
    }

    clcf->handler = (ngx_http_handler_pt) cmd->post;

    return NGX_CONF_OK;
}


char *
ngx_http_dossier_needs_pg(ngx_conf_t *cf, ngx_flag_t used,
    const char *directive)
{
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dossier_module);

    if (used && !dmcf->pg_enabled) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" needs \"dossier_pg\"", directive);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_http_dossier_cache_conf_t *
ngx_http_dossier_cache_conf(ngx_conf_t *cf)
{
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dossier_module);

    return &dmcf->cache_conf;
}


static char *
ngx_http_dossier_pg_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dossier_main_conf_t  *dmcf = conf;

    ngx_str_t  *value;

    if (dmcf->pg_enabled) {
        return "is duplicate";
    }

    value = cf->args->elts;
    dmcf->pg_enabled = 1;

    return ngx_http_dossier_pg_parse_conninfo(cf, &value[1], &dmcf->pg);
}


/* "dossier_redis 127.0.0.1:6379;", "dossier_redis sentinel=ADDR,...
 * master=NAME;" or "dossier_redis off;" (the default: lookups and writes
 * go to PostgreSQL only). */
static char *
ngx_http_dossier_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dossier_main_conf_t  *dmcf = conf;

    char                           *rv;
    ngx_str_t                      *value;
    ngx_http_dossier_redis_conf_t  *redis;

    if (dmcf->cache_conf.enabled != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        dmcf->cache_conf.enabled = 0;
        return NGX_CONF_OK;
    }

    if (ngx_http_dossier_sentinel_named(&value[1])) {
        rv = ngx_http_dossier_sentinel_parse(cf, &value[1],
                                             cf->args->nelts - 1,
                                             &dmcf->cache_conf.sentinel);

    } else if (cf->args->nelts != 2) {
        return "takes one address, or \"sentinel=ADDR,... master=NAME\"";

    } else {
        redis = &dmcf->cache_conf.redis;

        redis->addrs = ngx_pcalloc(cf->pool, sizeof(ngx_addr_t));
        if (redis->addrs == NULL) {
            return NGX_CONF_ERROR;
        }

        redis->naddrs = 1;
        rv = ngx_http_dossier_redis_parse_one(cf, &value[1], redis->addrs);
    }

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    dmcf->cache_conf.enabled = 1;

    dmcf->cache_conf.get = ngx_http_dossier_redis_add_script(cf,
                               &dmcf->cache_conf.redis, dg_cache_get_lua);
    dmcf->cache_conf.put = ngx_http_dossier_redis_add_script(cf,
                               &dmcf->cache_conf.redis, dg_cache_put_lua);
    dmcf->cache_conf.mark = ngx_http_dossier_redis_add_script(cf,
                               &dmcf->cache_conf.redis, dg_cache_mark_lua);

    if (dmcf->cache_conf.get == NULL || dmcf->cache_conf.put == NULL
        || dmcf->cache_conf.mark == NULL)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_dossier_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_main_conf_t));
    if (dmcf == NULL) {
        return NULL;
    }

    dmcf->pg.pool_size = NGX_CONF_UNSET_UINT;
    dmcf->pg.queue_size = NGX_CONF_UNSET_UINT;
    dmcf->pg.batch_size = NGX_CONF_UNSET_UINT;
    dmcf->pg.batch_conns = NGX_CONF_UNSET_UINT;
    dmcf->pg.batch_wait = NGX_CONF_UNSET_MSEC;
    dmcf->pg.sector_share = NGX_CONF_UNSET_UINT;
    dmcf->pg.connect_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->pg.query_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->pg.catalog_refresh = NGX_CONF_UNSET_MSEC;
    dmcf->cache_conf.enabled = NGX_CONF_UNSET;
    dmcf->cache_conf.redis.db = NGX_CONF_UNSET_UINT;
    dmcf->cache_conf.redis.connect_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->cache_conf.redis.command_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->cache_conf.ttl = NGX_CONF_UNSET;
    dmcf->cache_conf.negative_ttl = NGX_CONF_UNSET;

    return dmcf;
}


/* A size, count or timeout that zero would turn into a gateway that
 * refuses everything at run time. */
static ngx_int_t
ngx_http_dossier_positive(ngx_conf_t *cf, const char *name, ngx_int_t value)
{
    if (value > 0) {
        return NGX_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%s\" must be greater than zero", name);

    return NGX_ERROR;
}


static char *
ngx_http_dossier_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_dossier_main_conf_t  *dmcf = conf;

    ngx_http_dossier_pg_conf_t     *pg = &dmcf->pg;
    ngx_http_dossier_cache_conf_t  *cc = &dmcf->cache_conf;

    ngx_conf_init_uint_value(pg->pool_size, 2);
    ngx_conf_init_uint_value(pg->queue_size, 256);
    ngx_conf_init_uint_value(pg->batch_size, 64);
    /* a second batch when the queue backs up, and a connection left for
     * lookups and progress */
    ngx_conf_init_uint_value(pg->batch_conns,
                             ngx_max(1, ngx_min(2, pg->pool_size - 1)));
    ngx_conf_init_msec_value(pg->batch_wait, 2);
    ngx_conf_init_uint_value(pg->sector_share, 100);
    ngx_conf_init_msec_value(pg->connect_timeout, 3000);
    ngx_conf_init_msec_value(pg->query_timeout, 5000);
    ngx_conf_init_msec_value(pg->catalog_refresh, 60000);
    ngx_conf_init_value(cc->enabled, 0);
    ngx_conf_init_uint_value(cc->redis.db, 0);
    ngx_conf_init_msec_value(cc->redis.connect_timeout, 1000);
    ngx_conf_init_msec_value(cc->redis.command_timeout, 500);
    ngx_conf_init_value(cc->ttl, 300);
    ngx_conf_init_value(cc->negative_ttl, 10);

    if (cc->prefix.data == NULL) {
        ngx_str_set(&cc->prefix, "dg:");
    }

    /* a writer answers within a query timeout of its mark, and a read's
     * fill lands within one of its read (dg_cache.h) */
    cc->mark_ttl = ngx_max(DG_CACHE_MARK_TTL_MS,
                           2 * (pg->query_timeout
                                + cc->redis.command_timeout));

    if (ngx_http_dossier_positive(cf, "dossier_pg_pool_size",
                                  pg->pool_size) != NGX_OK
        || ngx_http_dossier_positive(cf, "dossier_pg_queue_size",
                                     pg->queue_size) != NGX_OK
        || ngx_http_dossier_positive(cf, "dossier_pg_batch_size",
                                     pg->batch_size) != NGX_OK
        || ngx_http_dossier_positive(cf, "dossier_pg_batch_connections",
                                     pg->batch_conns) != NGX_OK
        || ngx_http_dossier_positive(cf, "dossier_pg_connect_timeout",
                                     pg->connect_timeout) != NGX_OK
        || ngx_http_dossier_positive(cf, "dossier_pg_query_timeout",
                                     pg->query_timeout) != NGX_OK
        || ngx_http_dossier_positive(cf, "dossier_redis_connect_timeout",
                                     cc->redis.connect_timeout) != NGX_OK
        || ngx_http_dossier_positive(cf, "dossier_redis_timeout",
                                     cc->redis.command_timeout) != NGX_OK
        || ngx_http_dossier_positive(cf, "dossier_cache_ttl", cc->ttl)
           != NGX_OK
        || ngx_http_dossier_positive(cf, "dossier_cache_negative_ttl",
                                     cc->negative_ttl) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (pg->sector_share > 100) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"dossier_pg_sector_share\" is a percentage, "
                           "1-100");
        return NGX_CONF_ERROR;
    }

    return ngx_http_dossier_positive(cf, "dossier_pg_sector_share",
                                     pg->sector_share) == NGX_OK
           ? NGX_CONF_OK : NGX_CONF_ERROR;
}


/* The worker's counts first: the drivers count from their start on. */
static ngx_int_t
ngx_http_dossier_init_process(ngx_cycle_t *cycle)
{
    ngx_http_dossier_stats_t      *stats;
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_dossier_module);

    if (dmcf == NULL) {
        return NGX_OK;
    }

    stats = ngx_http_dossier_metrics_start(cycle);

    if (dmcf->cache_conf.enabled) {
        dmcf->cache = ngx_http_dossier_cache_create(cycle, &dmcf->cache_conf,
                                                    stats);
        if (dmcf->cache == NULL) {
            return NGX_ERROR;
        }
    }

    if (dmcf->pg_enabled) {
        dmcf->pool = ngx_http_dossier_pg_create(cycle, &dmcf->pg,
                                                &stats->pg);
        if (dmcf->pool == NULL) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_dossier_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_dossier_module);

    if (dmcf && dmcf->pool) {
        ngx_http_dossier_pg_destroy(dmcf->pool);
        dmcf->pool = NULL;
    }

    if (dmcf && dmcf->cache) {
        ngx_http_dossier_cache_destroy(dmcf->cache);
        dmcf->cache = NULL;
    }

    if (dmcf) {
        ngx_http_dossier_metrics_stop(cycle);
    }
}
