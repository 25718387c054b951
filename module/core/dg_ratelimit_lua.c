/*
 * The rate limiter's Redis script and its command and reply (see
 * dg_ratelimit_lua.h).
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dg_ratelimit_lua.h"


/*
 * The nonce, then dg_gcra_check() and dg_limit_charge(), the same maths
 * line for line (dg_gcra.c, dg_limit.c).  "back" marks a TAT brought back
 * from beyond now + tau + T: stored even when the request is refused.
 * The charge runs under pcall so that an error can take the nonce back.
 */
const char  dg_limit_redis_lua[] =
    "local ttl = tonumber(ARGV[2])\n"
    "local n = #KEYS\n"
    "if ttl and ttl > 0 then n = n - 1 end\n"
    "if not ttl or ttl < 0 or n < 0 or (n == 0 and ttl == 0)\n"
    "   or #ARGV ~= 2 + 4 * n then\n"
    "  return redis.error_reply('ERR dg_limit: bad KEYS/ARGV')\n"
    "end\n"
    "if ttl > 0\n"
    "   and not redis.call('SET', KEYS[n + 1], '1', 'NX', 'EX', ttl) then\n"
    "  return {-1}\n"
    "end\n"
    "local function div(a, b)\n"
    "  local r = math.fmod(a, b)\n"
    "  return (a - r) / b, r\n"
    "end\n"
    "local function ceil_div(a, b)\n"
    "  local q, r = div(a, b)\n"
    "  if r > 0 then q = q + 1 end\n"
    "  return q\n"
    "end\n"
    "local function charge()\n"
    "  local now = tonumber(ARGV[1])\n"
    "  local reply, put = {1}, {}\n"
    "  for i = 1, n do\n"
    "    local a = 4 * i - 1\n"
    "    local rate = tonumber(ARGV[a])\n"
    "    local t, tau = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])\n"
    "    local w = t + tau\n"
    "    local d, back = 0, false\n"
    "    local us, frac = string.match(redis.call('GET', KEYS[i]) or '',\n"
    "                                  '^(%d+):(%d+)$')\n"
    "    if us and tonumber(us) >= now then\n"
    "      local ahead = tonumber(us) - now\n"
    "      if ahead > div(w, rate) then d = w + 1\n"
    "      else d = ahead * rate + tonumber(frac) end\n"
    "      if d > w then d, back = w, true end\n"
    "    end\n"
    "    local ok = d <= tau\n"
    "    local retry, remaining = 0, 0\n"
    "    if ok then\n"
    "      remaining = div(tau - d, t)\n"
    "      d = d + t\n"
    "    else\n"
    "      retry = ceil_div(d - tau, rate)\n"
    "      if ARGV[a + 3] ~= '1' then reply[1] = 0 end\n"
    "    end\n"
    "    local reset = ceil_div(d, rate)\n"
    "    local q, r = div(d, rate)\n"
    "    put[i] = {ok, back, string.format('%.0f:%.0f', now + q, r),\n"
    "              ceil_div(reset, 1000)}\n"
    "    reply[4 * i - 2] = ok and 1 or 0\n"
    "    reply[4 * i - 1] = retry\n"
    "    reply[4 * i] = remaining\n"
    "    reply[4 * i + 1] = reset\n"
    "  end\n"
    "  for i = 1, n do\n"
    "    local p = put[i]\n"
    "    if (p[1] and reply[1] == 1) or p[2] then\n"
    "      redis.call('SET', KEYS[i], p[3], 'PX', p[4])\n"
    "    end\n"
    "  end\n"
    "  return reply\n"
    "end\n"
    "local ok, reply = pcall(charge)\n"
    "if not ok then\n"
    "  if ttl > 0 then redis.call('DEL', KEYS[n + 1]) end\n"
    "  return redis.error_reply(type(reply) == 'table' and reply.err\n"
    "                           or tostring(reply))\n"
    "end\n"
    "return reply\n";


static char *
dg_limit_redis_int(dg_limit_redis_cmd_t *cmd, char *p, int64_t v)
{
    int  len;

    len = snprintf(p, DG_LIMIT_REDIS_INT, "%" PRId64, v);

    cmd->argv[cmd->argc] = p;
    cmd->argvlen[cmd->argc++] = (size_t) len;

    return p + len + 1;
}


int
dg_limit_redis_command(dg_limit_redis_cmd_t *cmd, const char *sha1,
    const char *prefix, const dg_limit_request_t *reqs, size_t n,
    const dg_limit_nonce_t *nonce, int64_t now_us)
{
    char                   *p;
    size_t                  i, plen;
    const dg_gcra_limit_t  *l;

    plen = strlen(prefix);

    if (plen > DG_LIMIT_REDIS_PREFIX_MAX || n > DG_LIMIT_MAX_LIMITS
        || (n == 0 && nonce == NULL)
        || (nonce && (nonce->len == 0 || nonce->ttl < 1))
        || now_us < 0 || now_us > DG_GCRA_MAX_TIME_US)
    {
        return -1;
    }

    cmd->argc = 0;
    cmd->argv[cmd->argc] = "EVALSHA";
    cmd->argvlen[cmd->argc++] = 7;
    cmd->argv[cmd->argc] = sha1;
    cmd->argvlen[cmd->argc++] = strlen(sha1);

    p = dg_limit_redis_int(cmd, cmd->buf, (int64_t) n + (nonce != NULL));

    for (i = 0; i < n; i++) {
        if (reqs[i].key_len == 0 || reqs[i].key_len > DG_LIMIT_KEY_MAX) {
            return -1;
        }

        memcpy(p, prefix, plen);
        memcpy(p + plen, reqs[i].key, reqs[i].key_len);

        cmd->argv[cmd->argc] = p;
        cmd->argvlen[cmd->argc++] = plen + reqs[i].key_len;
        p += plen + reqs[i].key_len;
    }

    if (nonce) {
        cmd->argv[cmd->argc] = nonce->key;
        cmd->argvlen[cmd->argc++] = nonce->len;
    }

    p = dg_limit_redis_int(cmd, p, now_us);
    p = dg_limit_redis_int(cmd, p, nonce ? nonce->ttl : 0);

    for (i = 0; i < n; i++) {
        l = reqs[i].limit;

        p = dg_limit_redis_int(cmd, p, l->rate);
        p = dg_limit_redis_int(cmd, p, l->t);
        p = dg_limit_redis_int(cmd, p, l->tau);

        cmd->argv[cmd->argc] = reqs[i].shadow ? "1" : "0";
        cmd->argvlen[cmd->argc++] = 1;
    }

    return 0;
}


int
dg_limit_redis_reply(const redisReply *reply,
    const dg_limit_request_t *reqs, size_t n, int nonce,
    dg_limit_outcome_t *out)
{
    size_t               i;
    dg_gcra_result_t    *r;
    struct redisReply  **e;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || n > DG_LIMIT_MAX_LIMITS || (n == 0 && !nonce))
    {
        return -1;
    }

    e = reply->element;

    if (nonce && reply->elements == 1
        && e[0]->type == REDIS_REPLY_INTEGER && e[0]->integer == -1)
    {
        return DG_LIMIT_REDIS_REPLAYED;
    }

    if (reply->elements != 1 + 4 * n) {
        return -1;
    }

    for (i = 0; i < reply->elements; i++) {
        if (e[i]->type != REDIS_REPLY_INTEGER || e[i]->integer < 0) {
            return -1;
        }
    }

    if (e[0]->integer > 1) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        r = &out->results[i];

        r->allowed = e[1 + 4 * i]->integer == 1;
        r->retry_after_us = e[2 + 4 * i]->integer;
        r->remaining = e[3 + 4 * i]->integer;
        r->reset_us = e[4 + 4 * i]->integer;
        r->tat.us = 0;
        r->tat.frac = 0;

        /* the shapes dg_gcra_check() gives */

        if (e[1 + 4 * i]->integer > 1
            || (r->allowed ? r->retry_after_us != 0
                           : r->retry_after_us == 0 || r->remaining != 0))
        {
            return -1;
        }
    }

    dg_limit_verdict(reqs, n, out);

    return out->allowed == e[0]->integer ? 0 : -1;
}
