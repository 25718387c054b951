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
 * Pending marks: <prefix>p:<MaHoSo>, a count of writers, kept across
 * generations and expiring (DG_CACHE_MARK_TTL_MS below).  A writer sets its
 * mark (dg_cache_mark_lua, which also deletes the entry) before it
 * answers, and its own write after COMMIT drops it (who 'r').  While a
 * mark is pending, reads miss (PostgreSQL answers: it has the commit, or
 * the writer has not answered yet) and fills from reads are refused (who
 * 'f': their read may predate the commit).  So a writer whose mark was
 * set may answer before its write is applied: no reader can see the
 * older entry meanwhile.
 *
 * Every gateway connection to Redis starts by incrementing the
 * generation, before any read.  A write that fails or whose outcome is
 * unknown drops the connection, so entries that may have missed an update
 * are retired before anyone reads through that worker again, and a Redis
 * restored with old data (a restart from its dump, a failover) serves
 * nothing written before the outage, whichever worker reconnects first.
 * A fill carries the generation its read saw and is refused in another:
 * a read from before an outage cannot fill the generation after it.
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
    long long    gen;          /* the generation the read saw, or -1 */
    long long    version;
    const char  *sector;
    size_t       sector_len;
    const char  *owner;
    size_t       owner_len;
    const char  *json;
    size_t       json_len;
} dg_cache_entry_t;

/*
 * A mark's lifetime, at least this (the module makes it twice a query
 * and a Redis timeout when that is longer).  A writer answers before its
 * write is applied only while its mark is younger than half of it: its
 * write, sent then, lands (or its connection is dropped) within a Redis
 * timeout, long before the mark expires, and from then on its newer
 * version refuses older fills.  A read's fill lands within a query and a
 * Redis timeout of the read, so one that read before a commit lands while
 * the writer's mark pends: a writer may also write nothing and leave its
 * marks to expire (a batch).  A writer that died costs only misses of its
 * MaHoSo until then.
 */
#define DG_CACHE_MARK_TTL_MS  30000

typedef enum {
    DG_CACHE_FILL = 0,         /* a read's: refused while a mark pends
                                  or in another generation */
    DG_CACHE_WRITE,            /* a writer's without a mark */
    DG_CACHE_RELEASE           /* a writer's: drops its mark too */
} dg_cache_who_e;

/* The keys' names: "<prefix>gen", "<prefix>d:", "<prefix>p:". */
typedef struct {
    const char  *gen;
    size_t       gen_len;
    const char  *entry;
    size_t       entry_len;
    const char  *mark;
    size_t       mark_len;
} dg_cache_keys_t;

/* KEYS[1] generation key; ARGV: entry prefix, MaHoSo, mark prefix.
 * {generation, entry or nil}. */
extern const char  dg_cache_get_lua[];

/* KEYS[1] generation key; ARGV: entry prefix, MaHoSo, version, value,
 * TTL s, who (f, w, r), mark prefix, the generation a fill's read saw.
 * 1 when stored, else 0. */
extern const char  dg_cache_put_lua[];

/* KEYS[1] generation key; ARGV: entry prefix, mark prefix, TTL ms, then
 * one MaHoSo or more.  How many were marked. */
extern const char  dg_cache_mark_lua[];

/* The command every connection starts with: the new generation,
 * "INCR <gen key>". */
int dg_cache_bump_command(dg_redis_cmd_t *cmd, const char *gen_key,
    size_t len);

/* "EVALSHA <get sha1> 1 <gen key> <entry prefix> <MaHoSo> <mark prefix>". */
int dg_cache_get_command(dg_redis_cmd_t *cmd, const char *sha1,
    const dg_cache_keys_t *keys, const char *code, size_t code_len);

/* "EVALSHA <put sha1> 1 <gen key> <entry prefix> <MaHoSo> <version>
 * <value> <TTL s> <who> <mark prefix> <generation>" (a writer's: -1). */
int dg_cache_put_command(dg_redis_cmd_t *cmd, const char *sha1,
    const dg_cache_keys_t *keys, const char *code, size_t code_len,
    long long version, const char *value, int64_t ttl, dg_cache_who_e who,
    long long gen);

/* "EVALSHA <mark sha1> 1 <gen key> <entry prefix> <mark prefix> <TTL ms>";
 * the caller appends the MaHoSo (dg_redis_cmd_arg). */
int dg_cache_mark_command(dg_redis_cmd_t *cmd, const char *sha1,
    const dg_cache_keys_t *keys, int64_t ttl_ms);

/* The entry for a status (json is its dg_status_json()); malloc'ed. */
char *dg_cache_value(const dg_status_t *s, const char *json);

/* The negative entry. */
#define DG_CACHE_UNKNOWN_VALUE  "0|||"

/* Splits a value; 0, or -1 when it is malformed. */
int dg_cache_parse(const char *v, size_t len, dg_cache_entry_t *e);

/* Interprets the reply to dg_cache_get_lua; e points into reply, e->gen
 * is the generation read (-1 on an error). */
dg_cache_result_e dg_cache_reply(const redisReply *reply,
    dg_cache_entry_t *e);

#endif /* DG_CACHE_H */
