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
    ngx_http_dossier_cache_stats_t *stats;
    ngx_http_dossier_redis_t       *redis;
    ngx_http_dossier_sentinel_t    *sentinel;     /* or NULL */
    ngx_str_t                       gen_key;      /* <prefix>gen */
    ngx_str_t                       entry_prefix; /* <prefix>d: */
    ngx_str_t                       mark_prefix;  /* <prefix>p: */
    dg_cache_keys_t                 keys;
    ngx_http_dossier_cache_put_t    nowait;       /* puts nobody awaits */
};


static void ngx_http_dossier_cache_connected(ngx_http_dossier_redis_t *rd,
    void *data);
static void ngx_http_dossier_cache_bumped(void *data, redisReply *reply);
static void ngx_http_dossier_cache_got(void *data, redisReply *reply);
static ngx_int_t ngx_http_dossier_cache_put(ngx_http_dossier_cache_t *cache,
    ngx_str_t *code, long long version, u_char *value, dg_cache_who_e who,
    long long gen, ngx_http_dossier_cache_put_t *put);
static void ngx_http_dossier_cache_stored(void *data, redisReply *reply);
static void ngx_http_dossier_cache_marked(void *data, redisReply *reply);
static ngx_str_t *ngx_http_dossier_cache_concat(ngx_cycle_t *cycle,
    ngx_str_t *dst, ngx_str_t *prefix, const char *suffix);


ngx_http_dossier_cache_t *
ngx_http_dossier_cache_create(ngx_cycle_t *cycle,
    ngx_http_dossier_cache_conf_t *conf, ngx_http_dossier_stats_t *stats)
{
    ngx_http_dossier_cache_t  *cache;

    cache = ngx_pcalloc(cycle->pool, sizeof(ngx_http_dossier_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    cache->conf = conf;
    cache->stats = &stats->cache;

    if (ngx_http_dossier_cache_concat(cycle, &cache->gen_key, &conf->prefix,
                                      "gen") == NULL
        || ngx_http_dossier_cache_concat(cycle, &cache->entry_prefix,
                                         &conf->prefix, "d:") == NULL
        || ngx_http_dossier_cache_concat(cycle, &cache->mark_prefix,
                                         &conf->prefix, "p:") == NULL)
    {
        return NULL;
    }

    cache->keys.gen = (char *) cache->gen_key.data;
    cache->keys.gen_len = cache->gen_key.len;
    cache->keys.entry = (char *) cache->entry_prefix.data;
    cache->keys.entry_len = cache->entry_prefix.len;
    cache->keys.mark = (char *) cache->mark_prefix.data;
    cache->keys.mark_len = cache->mark_prefix.len;

    cache->redis = ngx_http_dossier_redis_create(cycle, &conf->redis,
                                     ngx_http_dossier_cache_connected, cache,
                                     &stats->redis);
    if (cache->redis == NULL) {
        return NULL;
    }

    if (conf->sentinel) {
        cache->sentinel = ngx_http_dossier_sentinel_create(cycle,
                                               conf->sentinel, cache->redis);
        if (cache->sentinel == NULL) {
            return NULL;
        }
    }

    return cache;
}


void
ngx_http_dossier_cache_destroy(ngx_http_dossier_cache_t *cache)
{
    if (cache->sentinel) {
        ngx_http_dossier_sentinel_destroy(cache->sentinel);
    }

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
    dg_redis_cmd_t             cmd;
    ngx_http_dossier_cache_t  *cache = data;

    /* the first command after setup: every later read uses the new
     * generation */
    if (dg_cache_bump_command(&cmd, (char *) cache->gen_key.data,
                              cache->gen_key.len) != 0
        || ngx_http_dossier_redis_command(rd, cmd.argc, cmd.argv,
                                          cmd.argvlen,
                                          ngx_http_dossier_cache_bumped,
                                          cache, NULL)
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
    dg_redis_cmd_t  cmd;

    get->cache = cache;

    if (dg_cache_get_command(&cmd, (char *) cache->conf->get->sha1,
                             &cache->keys, (char *) code->data, code->len)
           != 0
        || ngx_http_dossier_redis_command(cache->redis, cmd.argc, cmd.argv,
                                          cmd.argvlen,
                                          ngx_http_dossier_cache_got, get,
                                          &get->cmd)
           != NGX_OK)
    {
        cache->stats->lookups[DG_CACHE_ERROR]++;
        return NGX_DECLINED;
    }

    return NGX_OK;
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
    get->cache->stats->lookups[rc]++;

    if (rc == DG_CACHE_ERROR && reply) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "dossier: unexpected cache reply (type %d%s%s)",
                      reply->type, reply->str ? ": " : "",
                      reply->str ? reply->str : "");
    }

    get->handler(get, rc, &e);
}


void
ngx_http_dossier_cache_fill(ngx_http_dossier_cache_t *cache, ngx_str_t *code,
    dg_status_t *s, long long gen)
{
    u_char  *value;

    if (gen < 0) {
        /* the read saw no generation: it may be from before an outage */
        return;
    }

    if (s == NULL) {
        (void) ngx_http_dossier_cache_put(cache, code, 0,
                                          (u_char *) DG_CACHE_UNKNOWN_VALUE,
                                          DG_CACHE_FILL, gen, NULL);
        return;
    }

    value = ngx_http_dossier_cache_value(NULL, s);
    if (value == NULL) {
        return;
    }

    (void) ngx_http_dossier_cache_put(cache, code, s->version, value,
                                      DG_CACHE_FILL, gen, NULL);
    free(value);
}


u_char *
ngx_http_dossier_cache_value(ngx_pool_t *pool, dg_status_t *s)
{
    char                *json, *value;
    ngx_pool_cleanup_t  *cln;

    json = dg_status_json(s, DG_STATUS_VIEW_LOOKUP);
    value = json ? dg_cache_value(s, json) : NULL;
    free(json);

    if (value == NULL || pool == NULL) {
        return (u_char *) value;
    }

    /* freed with the pool, not copied into it */
    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        free(value);
        return NULL;
    }

    cln->handler = free;
    cln->data = value;

    return (u_char *) value;
}


ngx_int_t
ngx_http_dossier_cache_mark(ngx_http_dossier_cache_t *cache,
    ngx_str_t *codes, ngx_uint_t n, ngx_http_dossier_cache_mark_t *mark)
{
    int             rc;
    ngx_uint_t      i;
    dg_redis_cmd_t  cmd;

    mark->cache = cache;
    mark->held = 0;

    rc = dg_cache_mark_command(&cmd, (char *) cache->conf->mark->sha1,
                               &cache->keys, cache->conf->mark_ttl);

    for (i = 0; i < n; i++) {
        rc |= dg_redis_cmd_arg(&cmd, (char *) codes[i].data, codes[i].len);
    }

    if (rc != 0 || n == 0
        || ngx_http_dossier_redis_command(cache->redis, cmd.argc, cmd.argv,
                                          cmd.argvlen,
                                          ngx_http_dossier_cache_marked,
                                          mark, &mark->cmd)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    mark->sent = ngx_current_msec;

    return NGX_OK;
}


void
ngx_http_dossier_cache_mark_cancel(ngx_http_dossier_cache_mark_t *mark)
{
    if (mark->cmd) {
        ngx_http_dossier_redis_cancel(mark->cmd);
        mark->cmd = NULL;
    }
}


/* A mark whose fate is unknown (no reply, an error) counts as not set:
 * its writer then waits for its write, and one set after all only
 * expires. */
static void
ngx_http_dossier_cache_marked(void *data, redisReply *reply)
{
    ngx_http_dossier_cache_mark_t  *mark = data;

    mark->cmd = NULL;

    if (reply && reply->type == REDIS_REPLY_INTEGER) {
        mark->held = 1;

    } else if (reply) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "dossier: cache mark refused: %s",
                      reply->str ? reply->str : "unexpected reply");
    }

    mark->handler(mark);
}


ngx_int_t
ngx_http_dossier_cache_written(ngx_http_dossier_cache_t *cache,
    ngx_str_t *code, long long version, u_char *value,
    ngx_http_dossier_cache_mark_t *mark, ngx_http_dossier_cache_put_t *put)
{
    ngx_flag_t  fresh;

    fresh = mark->held
            && ngx_current_msec - mark->sent < cache->conf->mark_ttl / 2;

    if (value == NULL) {
        /* nothing written: only the mark goes */
        if (mark->held) {
            (void) ngx_http_dossier_cache_put(cache, code, 0, (u_char *) "",
                                              DG_CACHE_RELEASE, -1, NULL);
        }

        return NGX_OK;
    }

    if (ngx_http_dossier_cache_put(cache, code, version, value,
                                   mark->held ? DG_CACHE_RELEASE
                                              : DG_CACHE_WRITE,
                                   -1, fresh ? NULL : put)
        != NGX_OK || fresh)
    {
        return NGX_OK;
    }

    return NGX_AGAIN;
}


/*
 * Sends one write of who (version 0 with DG_CACHE_RELEASE: only the mark
 * goes; gen: a fill's, else -1).  put NULL: nobody waits.  NGX_DECLINED:
 * not sent (Redis is away: its next connection retires older entries).
 */
static ngx_int_t
ngx_http_dossier_cache_put(ngx_http_dossier_cache_t *cache, ngx_str_t *code,
    long long version, u_char *value, dg_cache_who_e who, long long gen,
    ngx_http_dossier_cache_put_t *put)
{
    dg_redis_cmd_t  cmd;

    if (put == NULL) {
        put = &cache->nowait;
    }

    put->cache = cache;

    if (dg_cache_put_command(&cmd, (char *) cache->conf->put->sha1,
                             &cache->keys, (char *) code->data, code->len,
                             version, (char *) value,
                             version ? cache->conf->ttl
                                     : cache->conf->negative_ttl,
                             who, gen)
           != 0
        || ngx_http_dossier_redis_command(cache->redis, cmd.argc, cmd.argv,
                                          cmd.argvlen,
                                          ngx_http_dossier_cache_stored, put,
                                          &put->cmd)
           != NGX_OK)
    {
        /* Redis is away: its next connection retires older entries */
        cache->stats->write_errors++;
        return NGX_DECLINED;
    }

    cache->stats->writes++;

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

    if (reply == NULL) {
        put->cache->stats->write_errors++;

    } else if (reply->type != REDIS_REPLY_INTEGER) {
        put->cache->stats->write_errors++;
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
