/*
 * The status cache on top of the Redis client.
 *
 * Stale data after an outage is prevented by generations (dg_cache.h):
 * each connection increments the generation before its first read, and a
 * cache write that did not certainly succeed drops the connection.  That
 * retires every entry at once, on every node, without tracking which ones
 * were affected.  The cost is a burst of misses after an outage or a
 * worker start, when PostgreSQL answers them.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_dossier_cache.h"


struct ngx_http_dossier_cache_s {
    ngx_http_dossier_cache_conf_t  *conf;
    ngx_http_dossier_redis_t       *redis;
    ngx_str_t                       gen_key;      /* <prefix>gen */
    ngx_str_t                       entry_prefix; /* <prefix>d: */
    ngx_http_dossier_cache_put_t    nowait;       /* puts nobody awaits */
};


static void ngx_http_dossier_cache_connected(ngx_http_dossier_redis_t *rd,
    void *data);
static void ngx_http_dossier_cache_bumped(void *data, redisReply *reply);
static void ngx_http_dossier_cache_got(void *data, redisReply *reply);
static void ngx_http_dossier_cache_stored(void *data, redisReply *reply);
static void ngx_http_dossier_cache_args(ngx_http_dossier_cache_t *cache,
    ngx_http_dossier_redis_script_t *script, ngx_str_t *code,
    const char **argv, size_t *argvlen);
static ngx_str_t *ngx_http_dossier_cache_concat(ngx_cycle_t *cycle,
    ngx_str_t *dst, ngx_str_t *prefix, const char *suffix);


ngx_http_dossier_cache_t *
ngx_http_dossier_cache_create(ngx_cycle_t *cycle,
    ngx_http_dossier_cache_conf_t *conf)
{
    ngx_http_dossier_cache_t  *cache;

    cache = ngx_pcalloc(cycle->pool, sizeof(ngx_http_dossier_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    cache->conf = conf;

    if (ngx_http_dossier_cache_concat(cycle, &cache->gen_key, &conf->prefix,
                                      "gen") == NULL
        || ngx_http_dossier_cache_concat(cycle, &cache->entry_prefix,
                                         &conf->prefix, "d:") == NULL)
    {
        return NULL;
    }

    cache->redis = ngx_http_dossier_redis_create(cycle, &conf->redis,
                                     ngx_http_dossier_cache_connected, cache);
    if (cache->redis == NULL) {
        return NULL;
    }

    return cache;
}


void
ngx_http_dossier_cache_destroy(ngx_http_dossier_cache_t *cache)
{
    ngx_http_dossier_redis_destroy(cache->redis);
}


ngx_http_dossier_redis_t *
ngx_http_dossier_cache_redis(ngx_http_dossier_cache_t *cache)
{
    return cache->redis;
}


static void
ngx_http_dossier_cache_connected(ngx_http_dossier_redis_t *rd, void *data)
{
    const char                *argv[2];
    size_t                     argvlen[2];
    ngx_http_dossier_cache_t  *cache = data;

    argv[0] = "INCR";
    argvlen[0] = 4;
    argv[1] = (char *) cache->gen_key.data;
    argvlen[1] = cache->gen_key.len;

    /* the first command after setup: every later read uses the new
     * generation */
    if (ngx_http_dossier_redis_command(rd, 2, argv, argvlen,
                                       ngx_http_dossier_cache_bumped, cache,
                                       NULL)
        != NGX_OK)
    {
        ngx_http_dossier_redis_reset(rd, "out of memory");
    }
}


static void
ngx_http_dossier_cache_bumped(void *data, redisReply *reply)
{
    ngx_http_dossier_cache_t  *cache = data;

    if (reply == NULL) {
        return;
    }

    if (reply->type != REDIS_REPLY_INTEGER) {
        /* reading older generations would risk stale entries */
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "dossier: cannot start a cache generation: %s",
                      reply->str ? reply->str : "unexpected reply");
        ngx_http_dossier_redis_reset(cache->redis, NULL);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                  "dossier: cache generation %L", (int64_t) reply->integer);
}


ngx_int_t
ngx_http_dossier_cache_get(ngx_http_dossier_cache_t *cache, ngx_str_t *code,
    ngx_http_dossier_cache_get_t *get)
{
    const char  *argv[6];
    size_t       argvlen[6];

    ngx_http_dossier_cache_args(cache, cache->conf->get, code, argv,
                                argvlen);

    return ngx_http_dossier_redis_command(cache->redis, 6, argv, argvlen,
                                          ngx_http_dossier_cache_got, get,
                                          &get->cmd) == NGX_OK
           ? NGX_OK : NGX_DECLINED;
}


void
ngx_http_dossier_cache_get_cancel(ngx_http_dossier_cache_get_t *get)
{
    if (get->cmd) {
        ngx_http_dossier_redis_cancel(get->cmd);
        get->cmd = NULL;
    }
}


static void
ngx_http_dossier_cache_got(void *data, redisReply *reply)
{
    dg_cache_entry_t               e;
    dg_cache_result_e              rc;
    ngx_http_dossier_cache_get_t  *get = data;

    get->cmd = NULL;
    rc = dg_cache_reply(reply, &e);

    if (rc == DG_CACHE_ERROR && reply) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "dossier: unexpected cache reply (type %d%s%s)",
                      reply->type, reply->str ? ": " : "",
                      reply->str ? reply->str : "");
    }

    get->handler(get, rc, &e);
}


ngx_int_t
ngx_http_dossier_cache_put(ngx_http_dossier_cache_t *cache, ngx_str_t *code,
    long long version, const char *value, ngx_http_dossier_cache_put_t *put)
{
    u_char       v[NGX_INT64_LEN], ttl[NGX_TIME_T_LEN];
    const char  *argv[9];
    size_t       argvlen[9];

    ngx_http_dossier_cache_args(cache, cache->conf->put, code, argv,
                                argvlen);

    argv[6] = (char *) v;
    argv[7] = value;
    argv[8] = (char *) ttl;

    argvlen[6] = ngx_sprintf(v, "%L", (int64_t) version) - v;
    argvlen[7] = ngx_strlen(value);
    argvlen[8] = ngx_sprintf(ttl, "%T", version ? cache->conf->ttl
                                                : cache->conf->negative_ttl)
                 - ttl;

    if (put == NULL) {
        put = &cache->nowait;
    }

    put->cache = cache;

    if (ngx_http_dossier_redis_command(cache->redis, 9, argv, argvlen,
                                       ngx_http_dossier_cache_stored, put,
                                       &put->cmd)
        != NGX_OK)
    {
        /* Redis is away: its next connection retires older entries */
        return NGX_DECLINED;
    }

    return NGX_OK;
}


void
ngx_http_dossier_cache_put_cancel(ngx_http_dossier_cache_put_t *put)
{
    /* the write goes on; only the waiting is over */
    if (put->cmd) {
        ngx_http_dossier_redis_cancel(put->cmd);
        put->cmd = NULL;
    }
}


/* A write that failed, or whose fate is unknown, may have left an older
 * entry behind: reconnecting retires the generation.  (A NULL reply means
 * the connection is already gone.) */
static void
ngx_http_dossier_cache_stored(void *data, redisReply *reply)
{
    ngx_http_dossier_cache_put_t  *put = data;

    if (reply && reply->type != REDIS_REPLY_INTEGER) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "dossier: cache write refused: %s",
                      reply->str ? reply->str : "unexpected reply");
        ngx_http_dossier_redis_reset(put->cache->redis, NULL);
    }

    put->cmd = NULL;

    if (put->handler) {
        put->handler(put);
    }
}


ngx_int_t
ngx_http_dossier_cache_put_status(ngx_http_dossier_cache_t *cache,
    dg_status_t *s, ngx_http_dossier_cache_put_t *put)
{
    char       *json, *value;
    ngx_int_t   rc;
    ngx_str_t   code;

    json = dg_status_json(s, DG_STATUS_VIEW_LOOKUP);
    value = json ? dg_cache_value(s, json) : NULL;

    if (value == NULL) {
        free(json);
        ngx_http_dossier_redis_reset(cache->redis, "out of memory");
        return NGX_DECLINED;
    }

    code.data = (u_char *) s->ma_ho_so;
    code.len = ngx_strlen(s->ma_ho_so);

    rc = ngx_http_dossier_cache_put(cache, &code, s->version, value, put);

    free(value);
    free(json);

    return rc;
}


/* "EVALSHA sha1 1 <gen key> <entry prefix> <MaHoSo>": both scripts start
 * so; put adds its own arguments after. */
static void
ngx_http_dossier_cache_args(ngx_http_dossier_cache_t *cache,
    ngx_http_dossier_redis_script_t *script, ngx_str_t *code,
    const char **argv, size_t *argvlen)
{
    argv[0] = "EVALSHA";
    argv[1] = (char *) script->sha1;
    argv[2] = "1";
    argv[3] = (char *) cache->gen_key.data;
    argv[4] = (char *) cache->entry_prefix.data;
    argv[5] = (char *) code->data;

    argvlen[0] = 7;
    argvlen[1] = 40;
    argvlen[2] = 1;
    argvlen[3] = cache->gen_key.len;
    argvlen[4] = cache->entry_prefix.len;
    argvlen[5] = code->len;
}


static ngx_str_t *
ngx_http_dossier_cache_concat(ngx_cycle_t *cycle, ngx_str_t *dst,
    ngx_str_t *prefix, const char *suffix)
{
    size_t  len;

    len = ngx_strlen(suffix);

    dst->data = ngx_pnalloc(cycle->pool, prefix->len + len + 1);
    if (dst->data == NULL) {
        return NULL;
    }

    ngx_memcpy(ngx_cpymem(dst->data, prefix->data, prefix->len), suffix,
               len + 1);
    dst->len = prefix->len + len;

    return dst;
}
