/*
 * ngx_http_dossier_nonce_module: nonces of signed requests, each accepted
 * once within its window (CONTRACT.md section 4).
 *
 *   dossier_nonce_zone size=32m;      http
 *
 * Every nonce is recorded in this node's shared memory (dg_nonce.h: kept
 * until its window ends, never evicted before), and one this node has
 * seen is refused at once.  Redis, when reachable, is the store every
 * gateway node shares (SET NX with the window as expiry) and has the last
 * word: at once, or, for a handler that defers it, in the late limits'
 * script (ngx_http_dossier_nonce_key(), ngx_http_dossier_limit.c) or by
 * ngx_http_dossier_auth_settle() before its answer.  While Redis is
 * unreachable or answers errors only this node's
 * memory decides; when it is full of nonces still inside their window the
 * request is refused with 503 and Retry-After, and nothing is recorded
 * (CONTRACT 1.1).  A request replayed to another node during an outage
 * would pass there, within the +/-300 s window of "created" (README:
 * "Nonces").
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/sha.h>

#include "dg_redis_cmd.h"
#include "ngx_http_dossier.h"
#include "ngx_http_dossier_metrics.h"
#include "ngx_http_dossier_nonce.h"
#include "ngx_http_dossier_table.h"


/* 32 MiB: about 600 000 nonces, 1 000 signed requests a second over the
 * 600 s of the window (README: "Nonces") */
#define NGX_HTTP_DOSSIER_NONCE_SIZE      (32 * 1024 * 1024)
#define NGX_HTTP_DOSSIER_NONCE_SIZE_MIN  4096


typedef struct {
    ngx_flag_t                   enabled;   /* signed requests accepted */
    size_t                       size;      /* 0: the default */
    ngx_shm_zone_t              *zone;
} ngx_http_dossier_nonce_main_conf_t;


static char *ngx_http_dossier_nonce_zone_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static dg_sig_nonce_e ngx_http_dossier_nonce_local(ngx_http_request_t *r,
    u_char *key, time_t expires);
static void ngx_http_dossier_nonce_reply(void *data, redisReply *reply);
static void ngx_http_dossier_nonce_cleanup(void *data);
static void ngx_http_dossier_nonce_metrics(ngx_http_request_t *r,
    dg_metrics_t *m);
static ngx_int_t ngx_http_dossier_nonce_init(ngx_conf_t *cf);
static void *ngx_http_dossier_nonce_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_nonce_init_main_conf(ngx_conf_t *cf,
    void *conf);


static ngx_str_t  ngx_http_dossier_nonce_zone_name =
    ngx_string("dossier_nonces");


static ngx_command_t  ngx_http_dossier_nonce_commands[] = {

    { ngx_string("dossier_nonce_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_dossier_nonce_zone_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_nonce_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_dossier_nonce_init,           /* postconfiguration */

    ngx_http_dossier_nonce_create_main_conf,
    ngx_http_dossier_nonce_init_main_conf,

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_dossier_nonce_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_nonce_module_ctx,    /* module context */
    ngx_http_dossier_nonce_commands,       /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* dossier_nonce_zone size=N; (anywhere in http: the zone is declared
 * once the whole block is read) */
static char *
ngx_http_dossier_nonce_zone_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dossier_nonce_main_conf_t  *nmcf = conf;

    ssize_t     size;
    ngx_str_t  *value, v;

    if (nmcf->size) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strncmp(value[1].data, "size=", 5) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    v.data = value[1].data + 5;
    v.len = value[1].len - 5;

    size = ngx_parse_size(&v);
    if (size < NGX_HTTP_DOSSIER_NONCE_SIZE_MIN) {
        return "has an invalid size (at least 4k)";
    }

    nmcf->size = (size_t) size;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_dossier_nonce_enable(ngx_conf_t *cf)
{
    ngx_http_dossier_nonce_main_conf_t  *nmcf;

    nmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_dossier_nonce_module);
    nmcf->enabled = 1;

    return NGX_OK;
}


ngx_int_t
ngx_http_dossier_nonce_check(ngx_http_request_t *r, u_char *key,
    time_t expires, ngx_uint_t defer, ngx_http_dossier_nonce_pt handler)
{
    dg_sig_nonce_e                 local;
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    local = ngx_http_dossier_nonce_local(r, key, expires);

    if (local == DG_SIG_NONCE_REPLAYED) {
        return local;
    }

    /* Redis's word later, when it can give it */
    if (defer && local == DG_SIG_NONCE_FRESH && dmcf->cache
        && ngx_http_dossier_redis_ready(
               ngx_http_dossier_cache_redis(dmcf->cache)))
    {
        return NGX_DECLINED;
    }

    return ngx_http_dossier_nonce_store(r, key, expires, local, handler);
}


ngx_int_t
ngx_http_dossier_nonce_key(ngx_http_request_t *r, u_char *key,
    time_t expires, dg_limit_nonce_t *nonce)
{
    u_char                        *name, *p;
    size_t                         len;
    ngx_str_t                     *prefix;
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    if (dmcf->cache == NULL) {
        return NGX_DECLINED;
    }

    prefix = &dmcf->cache_conf.prefix;
    len = ngx_strlen(key);

    name = ngx_pnalloc(r->pool, prefix->len + sizeof("n:") - 1 + len);
    if (name == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(ngx_cpymem(ngx_cpymem(name, prefix->data, prefix->len),
                              "n:", 2),
                   key, len);

    nonce->key = (const char *) name;
    nonce->len = p - name;
    nonce->ttl = ngx_max(expires - ngx_time(), 1) + 1;

    return NGX_OK;
}


ngx_int_t
ngx_http_dossier_nonce_store(ngx_http_request_t *r, u_char *key,
    time_t expires, dg_sig_nonce_e local, ngx_http_dossier_nonce_pt handler)
{
    dg_redis_cmd_t                 cmd;
    dg_limit_nonce_t               nonce;
    ngx_pool_cleanup_t            *cln;
    ngx_http_dossier_ctx_t        *ctx;
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);
    ctx = ngx_http_dossier_ctx(r);

    if (ngx_http_dossier_nonce_key(r, key, expires, &nonce) != NGX_OK) {
        return local;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return local;
    }

    if (dg_nonce_command(&cmd, nonce.key, nonce.len, nonce.ttl) != 0
        || ngx_http_dossier_redis_command(
               ngx_http_dossier_cache_redis(dmcf->cache), cmd.argc,
               cmd.argv, cmd.argvlen, ngx_http_dossier_nonce_reply, r,
               &ctx->nonce_cmd)
           != NGX_OK)
    {
        /* Redis is away: this node's memory decides */
        return local;
    }

    ctx->nonce_handler = handler;
    ctx->nonce_local = local;
    cln->handler = ngx_http_dossier_nonce_cleanup;
    cln->data = ctx;

    return NGX_DONE;
}


/* How full this node's nonce table is (none: no signed requests). */
static void
ngx_http_dossier_nonce_metrics(ngx_http_request_t *r, dg_metrics_t *m)
{
    dg_limit_stats_t                     st;
    ngx_http_dossier_nonce_main_conf_t  *nmcf;

    nmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_nonce_module);

    if (nmcf->zone == NULL) {
        return;
    }

    ngx_http_dossier_table_stats(nmcf->zone, &st);
    ngx_http_dossier_metrics_table(m, "nonce_store",
        "this node's table of nonces (shared memory)", &st);
}


static ngx_int_t
ngx_http_dossier_nonce_init(ngx_conf_t *cf)
{
    return ngx_http_dossier_metrics_add_collector(cf,
                                             ngx_http_dossier_nonce_metrics);
}


/* Records the nonce here: FRESH, REPLAYED, or UNAVAILABLE when the table
 * is full of nonces inside their window (then nothing was recorded). */
static dg_sig_nonce_e
ngx_http_dossier_nonce_local(ngx_http_request_t *r, u_char *key,
    time_t expires)
{
    u_char                               md[SHA256_DIGEST_LENGTH];
    static time_t                        logged;
    ngx_http_dossier_nonce_main_conf_t  *nmcf;

    nmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_nonce_module);

    if (nmcf->zone == NULL) {
        return DG_SIG_NONCE_UNAVAILABLE;
    }

    /* keyid and nonce together may be longer than a table key, their
     * hash not */
    SHA256(key, ngx_strlen(key), md);

    switch (ngx_http_dossier_table_record(nmcf->zone, md, expires)) {

    case DG_NONCE_RECORDED:
        return DG_SIG_NONCE_FRESH;

    case DG_NONCE_SEEN:
        return DG_SIG_NONCE_REPLAYED;

    default:
        /* once a second at most: a flood would flood the log too */
        if (logged != ngx_time()) {
            logged = ngx_time();
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dossier: nonce table full of unexpired nonces, "
                          "refused unless Redis records them; raise "
                          "dossier_nonce_zone size");
        }

        return DG_SIG_NONCE_UNAVAILABLE;
    }
}


static void
ngx_http_dossier_nonce_reply(void *data, redisReply *reply)
{
    dg_sig_nonce_e           rc;
    ngx_http_request_t      *r = data;
    ngx_http_dossier_ctx_t  *ctx;

    ctx = ngx_http_dossier_ctx(r);
    ctx->nonce_cmd = NULL;

    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        /* not recorded there: this node's answer stands (refused when it
         * could not record it either) */
        rc = ctx->nonce_local;

    } else {
        rc = (reply->type == REDIS_REPLY_NIL) ? DG_SIG_NONCE_REPLAYED
                                              : DG_SIG_NONCE_FRESH;
    }

    ctx->nonce_handler(r, rc);
}


static void
ngx_http_dossier_nonce_cleanup(void *data)
{
    ngx_http_dossier_ctx_t  *ctx = data;

    if (ctx->nonce_cmd) {
        ngx_http_dossier_redis_cancel(ctx->nonce_cmd);
        ctx->nonce_cmd = NULL;
    }
}


static void *
ngx_http_dossier_nonce_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_nonce_main_conf_t));
}


/* The zone of a configuration with signed requests, sized once the whole
 * http block (dossier_nonce_zone anywhere in it) is read. */
static char *
ngx_http_dossier_nonce_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_dossier_nonce_main_conf_t  *nmcf = conf;

    uint32_t  capacity;

    if (!nmcf->enabled) {
        return NGX_CONF_OK;
    }

    capacity = dg_nonce_table_capacity(nmcf->size
                                       ? nmcf->size
                                       : NGX_HTTP_DOSSIER_NONCE_SIZE);
    if (capacity == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"dossier_nonce_zone\": size too large");
        return NGX_CONF_ERROR;
    }

    nmcf->zone = ngx_http_dossier_table_nonce_zone(cf,
                     &ngx_http_dossier_nonce_zone_name, capacity,
                     &ngx_http_dossier_nonce_module);

    return nmcf->zone ? NGX_CONF_OK : NGX_CONF_ERROR;
}
