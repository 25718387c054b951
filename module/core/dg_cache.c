/*
 * The status cache's format (see dg_cache.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_cache.h"


/* a pending mark hides the entry: the writer may have committed */
const char  dg_cache_get_lua[] =
    "local g = redis.call('GET', KEYS[1]) or '0'\n"
    "if redis.call('EXISTS', ARGV[3] .. ARGV[2]) == 1 then\n"
    "  return {g, false}\n"
    "end\n"
    "return {g, redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])}\n";

/* who: f(ill: refused while a mark pends or once the generation its read
 * saw is over), w(rite), r(elease: a write that also drops one mark; with
 * version 0 nothing is written) */
const char  dg_cache_put_lua[] =
    "local g = redis.call('GET', KEYS[1]) or '0'\n"
    "local m = ARGV[7] .. ARGV[2]\n"
    "if ARGV[6] == 'r' then\n"
    "  if redis.call('DECR', m) <= 0 then redis.call('DEL', m) end\n"
    "  if ARGV[3] == '0' then return 0 end\n"
    "elseif ARGV[6] == 'f'\n"
    "       and (ARGV[8] ~= g or redis.call('EXISTS', m) == 1) then\n"
    "  return 0\n"
    "end\n"
    "local k = ARGV[1] .. g .. ':' .. ARGV[2]\n"
    "local cur = redis.call('GET', k)\n"
    "if cur then\n"
    "  local v = tonumber(string.match(cur, '^(%d+)|'))\n"
    "  if v and v >= tonumber(ARGV[3]) then return 0 end\n"
    "end\n"
    "redis.call('SET', k, ARGV[4], 'EX', ARGV[5])\n"
    "return 1\n";

/* one more writer of each MaHoSo, its entry gone */
const char  dg_cache_mark_lua[] =
    "local g = redis.call('GET', KEYS[1]) or '0'\n"
    "for i = 4, #ARGV do\n"
    "  redis.call('DEL', ARGV[1] .. g .. ':' .. ARGV[i])\n"
    "  redis.call('INCR', ARGV[2] .. ARGV[i])\n"
    "  redis.call('PEXPIRE', ARGV[2] .. ARGV[i], ARGV[3])\n"
    "end\n"
    "return #ARGV - 3\n";


char *
dg_cache_value(const dg_status_t *s, const char *json)
{
    int     n;
    char   *v;
    size_t  len;

    len = 32 + strlen(s->ma_linh_vuc) + strlen(s->owner) + strlen(json);

    v = malloc(len);
    if (v == NULL) {
        return NULL;
    }

    n = snprintf(v, len, "%lld|%s|%s|%s", s->version, s->ma_linh_vuc,
                 s->owner, json);
    if (n < 0 || (size_t) n >= len) {
        free(v);
        return NULL;
    }

    return v;
}


int
dg_cache_parse(const char *v, size_t len, dg_cache_entry_t *e)
{
    size_t       i;
    const char  *p, *last, *bar;

    p = v;
    last = v + len;

    e->version = 0;
    for (i = 0; p < last && *p >= '0' && *p <= '9'; p++, i++) {
        if (i == 18) {
            return -1;
        }

        e->version = e->version * 10 + (*p - '0');
    }

    if (i == 0 || p == last || *p != '|') {
        return -1;
    }

    e->sector = ++p;
    bar = memchr(p, '|', (size_t) (last - p));
    if (bar == NULL) {
        return -1;
    }

    e->sector_len = (size_t) (bar - p);
    e->owner = p = bar + 1;

    bar = memchr(p, '|', (size_t) (last - p));
    if (bar == NULL) {
        return -1;
    }

    e->owner_len = (size_t) (bar - p);
    e->json = bar + 1;
    e->json_len = (size_t) (last - e->json);

    /* a real entry has a status; only the negative one is empty */
    if ((e->version == 0) != (e->json_len == 0)) {
        return -1;
    }

    return 0;
}


static dg_cache_result_e
dg_cache_entry_reply(const redisReply *reply, dg_cache_entry_t *e)
{
    if (reply == NULL) {
        return DG_CACHE_ERROR;
    }

    switch (reply->type) {

    case REDIS_REPLY_NIL:
        return DG_CACHE_MISS;

    case REDIS_REPLY_STRING:
        if (dg_cache_parse(reply->str, (size_t) reply->len, e) != 0) {
            return DG_CACHE_ERROR;
        }

        return e->version == 0 ? DG_CACHE_UNKNOWN : DG_CACHE_HIT;

    default:
        return DG_CACHE_ERROR;
    }
}


dg_cache_result_e
dg_cache_reply(const redisReply *reply, dg_cache_entry_t *e)
{
    char                *end;
    const redisReply    *g;

    e->gen = -1;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 2)
    {
        return DG_CACHE_ERROR;
    }

    g = reply->element[0];

    if (g->type != REDIS_REPLY_STRING || g->len == 0 || g->len > 18
        || g->str[0] < '0' || g->str[0] > '9')
    {
        return DG_CACHE_ERROR;
    }

    e->gen = strtoll(g->str, &end, 10);

    if (end != g->str + g->len) {
        e->gen = -1;
        return DG_CACHE_ERROR;
    }

    return dg_cache_entry_reply(reply->element[1], e);
}


int
dg_cache_bump_command(dg_redis_cmd_t *cmd, const char *gen_key, size_t len)
{
    dg_redis_cmd_init(cmd);

    return dg_redis_cmd_arg(cmd, "INCR", 4) | dg_redis_cmd_arg(cmd, gen_key,
                                                               len);
}


/* "EVALSHA <sha1> 1 <gen key> <entry prefix>": every script's start. */
static int
dg_cache_script(dg_redis_cmd_t *cmd, const char *sha1,
    const dg_cache_keys_t *keys)
{
    dg_redis_cmd_init(cmd);

    return dg_redis_cmd_arg(cmd, "EVALSHA", 7)
           | dg_redis_cmd_arg(cmd, sha1, strlen(sha1))
           | dg_redis_cmd_arg(cmd, "1", 1)
           | dg_redis_cmd_arg(cmd, keys->gen, keys->gen_len)
           | dg_redis_cmd_arg(cmd, keys->entry, keys->entry_len);
}


int
dg_cache_get_command(dg_redis_cmd_t *cmd, const char *sha1,
    const dg_cache_keys_t *keys, const char *code, size_t code_len)
{
    return dg_cache_script(cmd, sha1, keys)
           | dg_redis_cmd_arg(cmd, code, code_len)
           | dg_redis_cmd_arg(cmd, keys->mark, keys->mark_len);
}


int
dg_cache_put_command(dg_redis_cmd_t *cmd, const char *sha1,
    const dg_cache_keys_t *keys, const char *code, size_t code_len,
    long long version, const char *value, int64_t ttl, dg_cache_who_e who,
    long long gen)
{
    return dg_cache_script(cmd, sha1, keys)
           | dg_redis_cmd_arg(cmd, code, code_len)
           | dg_redis_cmd_int(cmd, version)
           | dg_redis_cmd_arg(cmd, value, strlen(value))
           | dg_redis_cmd_int(cmd, ttl)
           | dg_redis_cmd_arg(cmd, &"fwr"[who], 1)
           | dg_redis_cmd_arg(cmd, keys->mark, keys->mark_len)
           | dg_redis_cmd_int(cmd, gen);
}


int
dg_cache_mark_command(dg_redis_cmd_t *cmd, const char *sha1,
    const dg_cache_keys_t *keys, int64_t ttl_ms)
{
    return dg_cache_script(cmd, sha1, keys)
           | dg_redis_cmd_arg(cmd, keys->mark, keys->mark_len)
           | dg_redis_cmd_int(cmd, ttl_ms);
}
