/*
 * The status cache's format in Redis, shared by every gateway worker and
 * node.
 *
 * Key:   <prefix>d:<generation>:<MaHoSo>, the generation read from
 *        <prefix>gen inside the same Lua script as the entry, so every
 *        reader switches generation at the same instant.
 * Value: "<version>|<sector>|<owner>|<status JSON>"; an unknown code is
 *        cached as "0|||" (a negative entry).
 *
 * Writes go through dg_cache_put_lua, which keeps the entry with the
 * higher version: a slow reader filling the cache from an older read can
 * never overwrite a newer status written after a commit.
 *
 * Every gateway connection to Redis starts by incrementing the
 * generation, before any read.  A write that fails or whose outcome is
 * unknown drops the connection, so entries that may have missed an update
 * are retired before anyone reads through that worker again, and a Redis
 * restored with old data (a restart from its dump, a failover) serves
 * nothing written before the outage, whichever worker reconnects first.
 */

#ifndef DG_CACHE_H
#define DG_CACHE_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "dg_redis_cmd.h"
#include "dg_status.h"

typedef enum {
    DG_CACHE_MISS = 0,
    DG_CACHE_HIT,
    DG_CACHE_UNKNOWN,          /* negative entry: no such dossier */
    DG_CACHE_ERROR             /* error reply or malformed entry */
} dg_cache_result_e;

typedef struct {
    long long    version;
    const char  *sector;
    size_t       sector_len;
    const char  *owner;
    size_t       owner_len;
    const char  *json;
    size_t       json_len;
} dg_cache_entry_t;

/* KEYS[1] generation key; ARGV[1] entry prefix, ARGV[2] MaHoSo. */
extern const char  dg_cache_get_lua[];

/* KEYS[1] generation key; ARGV: prefix, MaHoSo, version, value, TTL s. */
extern const char  dg_cache_put_lua[];

/* The command every connection starts with: the new generation,
 * "INCR <gen key>". */
int dg_cache_bump_command(dg_redis_cmd_t *cmd, const char *gen_key,
    size_t len);

/* "EVALSHA <get sha1> 1 <gen key> <entry prefix> <MaHoSo>". */
int dg_cache_get_command(dg_redis_cmd_t *cmd, const char *sha1,
    const char *gen_key, size_t gen_len, const char *prefix,
    size_t prefix_len, const char *code, size_t code_len);

/* The same with <put sha1> and then <version> <value> <TTL s>. */
int dg_cache_put_command(dg_redis_cmd_t *cmd, const char *sha1,
    const char *gen_key, size_t gen_len, const char *prefix,
    size_t prefix_len, const char *code, size_t code_len,
    long long version, const char *value, int64_t ttl);

/* The entry for a status (json is its dg_status_json()); malloc'ed. */
char *dg_cache_value(const dg_status_t *s, const char *json);

/* The negative entry. */
#define DG_CACHE_UNKNOWN_VALUE  "0|||"

/* Splits a value; 0, or -1 when it is malformed. */
int dg_cache_parse(const char *v, size_t len, dg_cache_entry_t *e);

/* Interprets the reply to dg_cache_get_lua; e points into reply. */
dg_cache_result_e dg_cache_reply(const redisReply *reply,
    dg_cache_entry_t *e);

#endif /* DG_CACHE_H */
