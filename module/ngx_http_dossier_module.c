/*
 * ngx_http_dossier_module: directives, worker start and stop, the
 * X-Request-Id header filter, health endpoints, problem+json responses.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_json.h"
#include "dg_ratelimit_lua.h"
#include "ngx_http_dossier.h"


ngx_int_t ngx_http_dossier_submit_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_dossier_resource_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_dossier_feed_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_dossier_stats_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_dossier_admin_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_dossier_metrics_handler(ngx_http_request_t *r);
char *ngx_http_dossier_plugin_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dossier_limit_zone_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_dossier_limit_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

static ngx_int_t ngx_http_dossier_error_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_health_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_ready_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_header_filter(ngx_http_request_t *r);

static char *ngx_http_dossier_pg_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_dossier_redis_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_dossier_clients_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_dossier_jwks_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

static char *ngx_http_dossier_handler_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void *ngx_http_dossier_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_dossier_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_dossier_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_dossier_init_process(ngx_cycle_t *cycle);
static void ngx_http_dossier_exit_process(ngx_cycle_t *cycle);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;

static ngx_str_t  ngx_http_dossier_json_type =
    ngx_string("application/json");
static ngx_str_t  ngx_http_dossier_problem_type =
    ngx_string("application/problem+json");


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

    { ngx_string("dossier_retry_after"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, retry_after),
      NULL },

    { ngx_string("dossier_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
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

    { ngx_string("dossier_limit_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_dossier_limit_zone_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dossier_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_dossier_limit_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dossier_pg_sector_share"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, pg.sector_share),
      NULL },

    { ngx_string("dossier_plugin"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_dossier_plugin_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dossier_clients"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_dossier_clients_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dossier_vneid_jwks"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_dossier_jwks_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dossier_vneid_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, vneid_issuer),
      NULL },

    { ngx_string("dossier_vneid_audience"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_main_conf_t, vneid_audience),
      NULL },

    { ngx_string("dossier_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dossier_loc_conf_t, auth),
      NULL },

    { ngx_string("dossier_certificate_client"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dossier_loc_conf_t, certificate_client),
      NULL },

    { ngx_string("dossier_admin_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dossier_loc_conf_t, admin_token),
      NULL },

    { ngx_string("dossier_request_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dossier_loc_conf_t, request_id),
      NULL },

    { ngx_string("dossier_submit"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_submit_handler },

    { ngx_string("dossier_resource"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_resource_handler },

    { ngx_string("dossier_feed"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_feed_handler },

    { ngx_string("dossier_stats"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_stats_handler },

    { ngx_string("dossier_admin"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_admin_handler },

    { ngx_string("dossier_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_metrics_handler },

    { ngx_string("dossier_error"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_error_handler },

    { ngx_string("dossier_health"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_health_handler },

    { ngx_string("dossier_ready"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_handler_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_ready_handler },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_dossier_postconfiguration,    /* postconfiguration */

    ngx_http_dossier_create_main_conf,     /* create main configuration */
    ngx_http_dossier_init_main_conf,       /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_dossier_create_loc_conf,      /* create location configuration */
    ngx_http_dossier_merge_loc_conf        /* merge location configuration */
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


/* "dossier_redis 127.0.0.1:6379;" or "dossier_redis off;" (the default:
 * lookups and writes go to PostgreSQL only). */
static char *
ngx_http_dossier_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dossier_main_conf_t  *dmcf = conf;

    char       *rv;
    ngx_str_t  *value;

    if (dmcf->cache_conf.enabled != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        dmcf->cache_conf.enabled = 0;
        return NGX_CONF_OK;
    }

    rv = ngx_http_dossier_redis_parse_addr(cf, &value[1],
                                           &dmcf->cache_conf.redis);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    dmcf->cache_conf.enabled = 1;

    dmcf->cache_conf.get = ngx_http_dossier_redis_add_script(cf,
                               &dmcf->cache_conf.redis, dg_cache_get_lua);
    dmcf->cache_conf.put = ngx_http_dossier_redis_add_script(cf,
                               &dmcf->cache_conf.redis, dg_cache_put_lua);

    if (dmcf->cache_conf.get == NULL || dmcf->cache_conf.put == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * A file the master reads with the configuration (client registry, JWKS):
 * a malformed one fails "nginx -t" with the loader's message (file and
 * line); what it loaded is freed with the cycle.
 */
static char *
ngx_http_dossier_conf_file(ngx_conf_t *cf, void **dst,
    void *(*load)(const char *path, char *err, size_t errlen),
    ngx_pool_cleanup_pt unload)
{
    char                 err[512];
    ngx_str_t           *value, path;
    ngx_pool_cleanup_t  *cln;

    if (*dst) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    *dst = load((const char *) path.data, err, sizeof(err));
    if (*dst == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s", err);
        return NGX_CONF_ERROR;
    }

    cln->handler = unload;
    cln->data = *dst;

    return NGX_CONF_OK;
}


static void *
ngx_http_dossier_clients_load(const char *path, char *err, size_t errlen)
{
    return dg_clients_load(path, err, errlen);
}


static void
ngx_http_dossier_clients_free(void *data)
{
    dg_clients_free(data);
}


static void *
ngx_http_dossier_jwks_load(const char *path, char *err, size_t errlen)
{
    return dg_jwks_load(path, err, errlen);
}


static void
ngx_http_dossier_jwks_free(void *data)
{
    dg_jwks_free(data);
}


/* The client registry; signed requests' nonces then need their table. */
static char *
ngx_http_dossier_clients_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dossier_main_conf_t  *dmcf = conf;

    char  *rv;

    rv = ngx_http_dossier_conf_file(cf, (void **) &dmcf->clients,
                                    ngx_http_dossier_clients_load,
                                    ngx_http_dossier_clients_free);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    dmcf->nonce_zone = ngx_http_dossier_nonce_zone(cf);

    return dmcf->nonce_zone ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static char *
ngx_http_dossier_jwks_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dossier_main_conf_t  *dmcf = conf;

    return ngx_http_dossier_conf_file(cf, (void **) &dmcf->jwks,
                                      ngx_http_dossier_jwks_load,
                                      ngx_http_dossier_jwks_free);
}


/* Every handler directive installs its content handler (cmd->post). */
static char *
ngx_http_dossier_handler_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        return "conflicts with another content handler in this location";
    }

    clcf->handler = (ngx_http_handler_pt) cmd->post;

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
    dmcf->pg.connect_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->pg.query_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->pg.catalog_refresh = NGX_CONF_UNSET_MSEC;
    dmcf->retry_after = NGX_CONF_UNSET;
    dmcf->cache_conf.enabled = NGX_CONF_UNSET;
    dmcf->cache_conf.redis.db = NGX_CONF_UNSET_UINT;
    dmcf->cache_conf.redis.connect_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->cache_conf.redis.command_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->cache_conf.ttl = NGX_CONF_UNSET;
    dmcf->cache_conf.negative_ttl = NGX_CONF_UNSET;
    dmcf->pg.sector_share = NGX_CONF_UNSET_UINT;
    dmcf->limit_local_share = 100;

    if (ngx_array_init(&dmcf->limit_names, cf->pool, 4, sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NULL;
    }

    return dmcf;
}


static char *
ngx_http_dossier_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_dossier_main_conf_t  *dmcf = conf;

    ngx_conf_init_uint_value(dmcf->pg.pool_size, 2);
    ngx_conf_init_uint_value(dmcf->pg.queue_size, 256);
    ngx_conf_init_uint_value(dmcf->pg.batch_size, 64);
    ngx_conf_init_uint_value(dmcf->pg.batch_conns, 1);
    ngx_conf_init_msec_value(dmcf->pg.connect_timeout, 3000);
    ngx_conf_init_msec_value(dmcf->pg.query_timeout, 5000);
    ngx_conf_init_msec_value(dmcf->pg.catalog_refresh, 60000);
    ngx_conf_init_value(dmcf->retry_after, 1);
    ngx_conf_init_value(dmcf->cache_conf.enabled, 0);
    ngx_conf_init_uint_value(dmcf->cache_conf.redis.db, 0);
    ngx_conf_init_msec_value(dmcf->cache_conf.redis.connect_timeout, 1000);
    ngx_conf_init_msec_value(dmcf->cache_conf.redis.command_timeout, 500);
    ngx_conf_init_value(dmcf->cache_conf.ttl, 300);
    ngx_conf_init_value(dmcf->cache_conf.negative_ttl, 10);

    ngx_conf_init_uint_value(dmcf->pg.sector_share, 100);

    if (dmcf->pg.sector_share == 0 || dmcf->pg.sector_share > 100) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dossier_pg_sector_share is a percentage, 1-100");
        return NGX_CONF_ERROR;
    }

    if (dmcf->cache_conf.prefix.data == NULL) {
        ngx_str_set(&dmcf->cache_conf.prefix, "dg:");
    }

    if (dmcf->limit_redis) {
        if (!dmcf->cache_conf.enabled) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dossier_limit_zone redis=on needs "
                               "dossier_redis");
            return NGX_CONF_ERROR;
        }

        dmcf->limit_script = ngx_http_dossier_redis_add_script(cf,
                                 &dmcf->cache_conf.redis, dg_limit_redis_lua);

        /* limit keys apart from the cache's: <prefix>l:<name>:<value> */
        dmcf->limit_prefix.len = dmcf->cache_conf.prefix.len + 2;
        dmcf->limit_prefix.data = ngx_pnalloc(cf->pool,
                                              dmcf->limit_prefix.len + 1);
        if (dmcf->limit_script == NULL || dmcf->limit_prefix.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_sprintf(dmcf->limit_prefix.data, "%Vl:%Z",
                    &dmcf->cache_conf.prefix);
    }

    if (dmcf->jwks
        && (dmcf->vneid_issuer.len == 0 || dmcf->vneid_audience.len == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dossier_vneid_jwks needs dossier_vneid_issuer "
                           "and dossier_vneid_audience");
        return NGX_CONF_ERROR;
    }

    if (dmcf->pg.pool_size == 0 || dmcf->pg.batch_size == 0
        || dmcf->pg.batch_conns == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dossier_pg_pool_size, dossier_pg_batch_size and "
                           "dossier_pg_batch_connections must be at least 1");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_dossier_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_dossier_loc_conf_t  *dlcf;

    dlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_loc_conf_t));
    if (dlcf == NULL) {
        return NULL;
    }

    dlcf->request_id = NGX_CONF_UNSET;
    dlcf->auth = NGX_CONF_UNSET;

    return dlcf;
}


static char *
ngx_http_dossier_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_dossier_loc_conf_t  *prev = parent;
    ngx_http_dossier_loc_conf_t  *conf = child;

    ngx_conf_merge_value(conf->request_id, prev->request_id, 0);
    ngx_conf_merge_value(conf->auth, prev->auth, 0);
    ngx_conf_merge_str_value(conf->admin_token, prev->admin_token, "");

    if (conf->certificate_client == NULL) {
        conf->certificate_client = prev->certificate_client;
    }

    /* limits are inherited only where none are set, as nginx's arrays */
    if (conf->limits == NULL) {
        conf->limits = prev->limits;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_dossier_postconfiguration(ngx_conf_t *cf)
{
    ngx_str_t                      name = ngx_string("request_id");
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dossier_module);

    dmcf->request_id_index = ngx_http_get_variable_index(cf, &name);
    if (dmcf->request_id_index == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_dossier_header_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_dossier_init_process(ngx_cycle_t *cycle)
{
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_dossier_module);

    if (dmcf == NULL) {
        return NGX_OK;
    }

    ngx_rbtree_init(&dmcf->fetches, &dmcf->fetches_sentinel,
                    ngx_str_rbtree_insert_value);

    if (dmcf->cache_conf.enabled) {
        dmcf->cache = ngx_http_dossier_cache_create(cycle, &dmcf->cache_conf);
        if (dmcf->cache == NULL) {
            return NGX_ERROR;
        }
    }

    if (dmcf->pg_enabled) {
        dmcf->pool = ngx_http_dossier_pg_create(cycle, &dmcf->pg);
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
}


static ngx_http_variable_value_t *
ngx_http_dossier_request_id_value(ngx_http_request_t *r)
{
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    return ngx_http_get_indexed_variable(r->main, dmcf->request_id_index);
}


char *
ngx_http_dossier_request_id(ngx_http_request_t *r)
{
    u_char                     *rid;
    ngx_http_variable_value_t  *id;

    id = ngx_http_dossier_request_id_value(r);
    if (id == NULL || id->not_found) {
        return NULL;
    }

    rid = ngx_pnalloc(r->pool, id->len + 1);
    if (rid == NULL) {
        return NULL;
    }

    ngx_cpystrn(rid, id->data, id->len + 1);

    return (char *) rid;
}


/* Every response of a location with "dossier_request_id on", nginx's own
 * error pages included, carries the request id that logs and problem
 * bodies show. */
static ngx_int_t
ngx_http_dossier_header_filter(ngx_http_request_t *r)
{
    ngx_table_elt_t              *h;
    ngx_http_variable_value_t    *id;
    ngx_http_dossier_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dossier_module);

    if (r != r->main || !dlcf->request_id) {
        return ngx_http_next_header_filter(r);
    }

    id = ngx_http_dossier_request_id_value(r);
    if (id == NULL || id->not_found) {
        return ngx_http_next_header_filter(r);
    }

    h = ngx_http_dossier_add_header(r, "X-Request-Id", NULL);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.len = id->len;
    h->value.data = id->data;

    return ngx_http_next_header_filter(r);
}


ngx_int_t
ngx_http_dossier_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, u_char *body, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    r->headers_out.content_type = *content_type;
    r->headers_out.content_type_len = content_type->len;
    r->headers_out.content_type_lowcase = NULL;

    if (r->method == NGX_HTTP_HEAD || len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    if (!r->header_only) {
        b = ngx_create_temp_buf(r->pool, len);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->last = ngx_cpymem(b->pos, body, len);
        b->last_buf = (r == r->main) ? 1 : 0;
        b->last_in_chain = 1;

        out.buf = b;
        out.next = NULL;

        rc = ngx_http_output_filter(r, &out);
    }

    /* "answered": nginx finalizes NGX_AGAIN as it does NGX_OK, and the
     * module's checks keep NGX_OK for "passed, go on" */
    return rc == NGX_OK ? NGX_AGAIN : rc;
}


ngx_int_t
ngx_http_dossier_send_problem(ngx_http_request_t *r, ngx_uint_t status,
    const char *title, dg_problems_t *errors)
{
    char                          *json;
    size_t                         len;
    ngx_int_t                      rc;
    ngx_table_elt_t               *h;
    ngx_http_dossier_ctx_t        *ctx;
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE
        || status == NGX_HTTP_TOO_MANY_REQUESTS)
    {
        h = ngx_http_dossier_add_header(r, "Retry-After", NULL);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->value.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
        if (h->value.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx = ngx_http_get_module_ctx(r, ngx_http_dossier_module);

        h->value.len = ngx_sprintf(h->value.data, "%T",
                                   ngx_max(ctx && ctx->retry_after
                                           ? ctx->retry_after
                                           : dmcf->retry_after, 1))
                       - h->value.data;
    }

    json = dg_problem_json(status, title, ngx_http_dossier_request_id(r),
                           errors);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(json);
    rc = ngx_http_dossier_send(r, status, &ngx_http_dossier_problem_type,
                               (u_char *) json, len);
    free(json);

    return rc;
}


ngx_int_t
ngx_http_dossier_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *vi, const char *en)
{
    ngx_int_t      rc;
    dg_problems_t  problems;

    dg_problems_init(&problems);

    if (dg_problems_add(&problems, "", code, "%s%.0s", "%.0s%s", vi, en)
        != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dossier_send_problem(r, status, dg_status_title(status),
                                       &problems);
    dg_problems_free(&problems);

    return rc;
}


ngx_int_t
ngx_http_dossier_read_json(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler)
{
    ngx_int_t  rc;

    if (!ngx_http_dossier_is_json(r)) {
        return ngx_http_dossier_send_not_json(r);
    }

    /* before the body is read and the signature checked */
    rc = ngx_http_dossier_limit(r, NGX_HTTP_DOSSIER_LIMIT_EARLY, NULL, NULL,
                                NULL);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_read_client_request_body(r, handler);

    return rc >= NGX_HTTP_SPECIAL_RESPONSE ? rc : NGX_DONE;
}


json_t *
ngx_http_dossier_parse_json(ngx_http_request_t *r, ngx_str_t *body,
    dg_problems_t *problems, ngx_int_t *rc)
{
    json_t  *root;

    root = dg_json_parse((char *) body->data, body->len, DG_JSON_MAX_DEPTH,
                         problems);
    if (root == NULL) {
        *rc = ngx_http_dossier_send_problem(r, NGX_HTTP_BAD_REQUEST,
                                            "Malformed request body",
                                            problems);
    }

    return root;
}


ngx_table_elt_t *
ngx_http_dossier_add_header(ngx_http_request_t *r, const char *key,
    const char *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value.data = (u_char *) value;
    h->value.len = value ? ngx_strlen(value) : 0;

    return h;
}


ngx_int_t
ngx_http_dossier_send_not_allowed(ngx_http_request_t *r, const char *allow)
{
    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    if (ngx_http_dossier_add_header(r, "Allow", allow) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dossier_send_error(r, NGX_HTTP_NOT_ALLOWED, "method",
               "Phương thức không được hỗ trợ", "method not allowed");
}


/*
 * The target of "error_page ... @name": nginx's own errors (413 from
 * client_max_body_size, 404, 405, bad requests) as problem+json.
 */
static ngx_int_t
ngx_http_dossier_error_handler(ngx_http_request_t *r)
{
    ngx_int_t    rc;
    ngx_uint_t   status;
    const char  *code, *vi, *en;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        r->keepalive = 0;
    }

    status = r->err_status ? r->err_status : NGX_HTTP_INTERNAL_SERVER_ERROR;

    switch (status) {

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        code = "body.too_large";
        vi = "Nội dung yêu cầu vượt quá giới hạn cho phép";
        en = "request body larger than the limit";
        break;

    case NGX_HTTP_NOT_FOUND:
        code = "not_found";
        vi = "Không tìm thấy";
        en = "not found";
        break;

    case NGX_HTTP_NOT_ALLOWED:
        code = "method";
        vi = "Phương thức không được hỗ trợ";
        en = "method not allowed";
        break;

    case NGX_HTTP_REQUEST_URI_TOO_LARGE:
    case NGX_HTTP_REQUEST_HEADER_TOO_LARGE:
        code = "http.too_large";
        vi = "Dòng yêu cầu hoặc tiêu đề quá dài";
        en = "request line or headers too long";
        break;

    case NGX_HTTP_BAD_REQUEST:
    case NGX_HTTP_LENGTH_REQUIRED:
        code = "http.malformed";
        vi = "Yêu cầu HTTP không hợp lệ";
        en = "malformed HTTP request";
        break;

    case NGX_HTTP_SERVICE_UNAVAILABLE:
        code = "unavailable";
        vi = "Dịch vụ tạm thời không khả dụng";
        en = "service temporarily unavailable";
        break;

    default:
        code = "internal";
        vi = "Lỗi máy chủ";
        en = "server error";
        break;
    }

    return ngx_http_dossier_send_error(r, status, code, vi, en);
}


static ngx_int_t
ngx_http_dossier_health_handler(ngx_http_request_t *r)
{
    static u_char  ok[] = "{\"status\":\"ok\"}";

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dossier_send(r, NGX_HTTP_OK, &ngx_http_dossier_json_type,
                                 ok, sizeof(ok) - 1);
}


/* Ready: this worker has a PostgreSQL connection and the catalog. */
static ngx_int_t
ngx_http_dossier_ready_handler(ngx_http_request_t *r)
{
    static u_char                  ok[] = "{\"status\":\"ready\"}";
    ngx_http_dossier_main_conf_t  *dmcf;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    if (dmcf->pool == NULL || !ngx_http_dossier_pg_ready(dmcf->pool)
        || ngx_http_dossier_pg_catalog(dmcf->pool) == NULL)
    {
        return ngx_http_dossier_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "storage.unavailable",
                   "Chưa kết nối được cơ sở dữ liệu",
                   "PostgreSQL not reachable or catalog not loaded");
    }

    return ngx_http_dossier_send(r, NGX_HTTP_OK, &ngx_http_dossier_json_type,
                                 ok, sizeof(ok) - 1);
}
