/*
 * Nonces of signed requests, each accepted once within its window
 * (CONTRACT.md section 4).
 *
 * Every nonce is recorded in this node's shared memory, and one this node
 * has seen is refused at once.  Redis, when reachable, is the store every
 * gateway node shares (SET NX with the window as expiry) and has the last
 * word.  While Redis is unreachable only this node's memory is checked: a
 * request replayed to another node during an outage would pass there, a
 * risk bounded by the +/-300 s window on "created" (README: "Nonces").
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/sha.h>

#include "dg_redis_cmd.h"
#include "ngx_http_dossier.h"
#include "ngx_http_dossier_nonce.h"
#include "ngx_http_dossier_table.h"


/* the window is created +/- 300 s: 601 s covers any nonce's life */
#define NGX_HTTP_DOSSIER_NONCE_PERIOD_MS  601000
#define NGX_HTTP_DOSSIER_NONCE_CAPACITY   65536


typedef struct {
    ngx_shm_zone_t              *zone;      /* NULL: no signed requests */
} ngx_http_dossier_nonce_main_conf_t;


static dg_sig_nonce_e ngx_http_dossier_nonce_local(ngx_http_request_t *r,
    u_char *key);
static void *ngx_http_dossier_nonce_create_main_conf(ngx_conf_t *cf);
static void ngx_http_dossier_nonce_reply(void *data, redisReply *reply);
static void ngx_http_dossier_nonce_cleanup(void *data);


static ngx_str_t  ngx_http_dossier_nonce_zone_name =
    ngx_string("dossier_nonces");


static ngx_http_module_t  ngx_http_dossier_nonce_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_dossier_nonce_create_main_conf,
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_dossier_nonce_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_nonce_module_ctx,    /* module context */
    NULL,                                  /* module directives */
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


ngx_int_t
ngx_http_dossier_nonce_enable(ngx_conf_t *cf)
{
    ngx_http_dossier_nonce_main_conf_t  *nmcf;

    nmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_dossier_nonce_module);

    if (nmcf->zone == NULL) {
        nmcf->zone = ngx_http_dossier_table_zone(cf,
                         &ngx_http_dossier_nonce_zone_name,
                         NGX_HTTP_DOSSIER_NONCE_CAPACITY,
                         &ngx_http_dossier_nonce_module);
    }

    return nmcf->zone ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_dossier_nonce_check(ngx_http_request_t *r, u_char *key,
    time_t expires, ngx_http_dossier_nonce_pt handler)
{
    u_char                        *name, *p;
    size_t                         len;
    ngx_str_t                     *prefix;
    dg_redis_cmd_t                 cmd;
    dg_sig_nonce_e                 local;
    ngx_pool_cleanup_t            *cln;
    ngx_http_dossier_ctx_t        *ctx;
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);
    ctx = ngx_http_dossier_ctx(r);

    local = ngx_http_dossier_nonce_local(r, key);

    if (local == DG_SIG_NONCE_REPLAYED || dmcf->cache == NULL) {
        return local;
    }

    prefix = &dmcf->cache_conf.prefix;
    len = ngx_strlen(key);

    name = ngx_pnalloc(r->pool, prefix->len + sizeof("n:") - 1 + len);
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (name == NULL || cln == NULL) {
        return local;
    }

    p = ngx_cpymem(ngx_cpymem(ngx_cpymem(name, prefix->data, prefix->len),
                              "n:", 2),
                   key, len);

    if (dg_nonce_command(&cmd, (char *) name, p - name,
                         ngx_max(expires - ngx_time(), 1) + 1) != 0
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
    cln->handler = ngx_http_dossier_nonce_cleanup;
    cln->data = ctx;

    return NGX_DONE;
}


ngx_int_t
ngx_http_dossier_nonce_stats(ngx_http_request_t *r, dg_limit_stats_t *st)
{
    ngx_http_dossier_nonce_main_conf_t  *nmcf;

    nmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_nonce_module);

    if (nmcf->zone == NULL) {
        return NGX_DECLINED;
    }

    ngx_http_dossier_table_stats(nmcf->zone, st);

    return NGX_OK;
}


static dg_sig_nonce_e
ngx_http_dossier_nonce_local(ngx_http_request_t *r, u_char *key)
{
    u_char                         md[SHA256_DIGEST_LENGTH];
    dg_gcra_limit_t                once;
    dg_limit_request_t             req;
    dg_limit_outcome_t                   out;
    ngx_http_dossier_nonce_main_conf_t  *nmcf;

    nmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_nonce_module);

    if (nmcf->zone == NULL
        || dg_gcra_limit_init(&once, 1, NGX_HTTP_DOSSIER_NONCE_PERIOD_MS, 0)
           != 0)
    {
        return DG_SIG_NONCE_UNAVAILABLE;
    }

    /* "accepted once in the window" is a limit of one per window; keyid
     * and nonce together may be longer than a table key, their hash not */
    SHA256(key, ngx_strlen(key), md);

    req.key = md;
    req.key_len = sizeof(md);
    req.limit = &once;
    req.shadow = 0;

    ngx_http_dossier_table_charge(nmcf->zone, &req, 1, &out);

    return out.allowed ? DG_SIG_NONCE_FRESH : DG_SIG_NONCE_REPLAYED;
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
        /* recorded locally already: that is the answer now */
        rc = DG_SIG_NONCE_FRESH;

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
