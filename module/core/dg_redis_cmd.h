/*
 * A Redis command as the module sends it (argv and lengths, as hiredis's
 * redisFormatCommandArgv takes them), built by the part of the core that
 * owns the keys: the status cache (dg_cache.h), the nonce store
 * (dg_nonce_command below) and the limits (dg_ratelimit_lua.h, which has
 * its own larger command).  Numbers are written into the command's own
 * buffer; strings are borrowed and must outlive it.
 */

#ifndef DG_REDIS_CMD_H
#define DG_REDIS_CMD_H

#include <stddef.h>
#include <stdint.h>

/* the largest: the pending marks of a whole batch (dg_cache.h) */
#define DG_REDIS_CMD_ARGC  (7 + 100)
#define DG_REDIS_CMD_INTS  4

typedef struct {
    int          argc;
    const char  *argv[DG_REDIS_CMD_ARGC];
    size_t       argvlen[DG_REDIS_CMD_ARGC];
    char         ints[DG_REDIS_CMD_INTS][24];
    int          nints;
} dg_redis_cmd_t;

void dg_redis_cmd_init(dg_redis_cmd_t *cmd);

/* Appends an argument (len bytes of s) or a decimal integer; -1 when the
 * command is full. */
int dg_redis_cmd_arg(dg_redis_cmd_t *cmd, const char *s, size_t len);
int dg_redis_cmd_int(dg_redis_cmd_t *cmd, int64_t v);

/*
 * A nonce recorded once for its window: "SET <key> 1 NX EX <ttl>", key
 * already carrying its prefix.  A nil reply means it was there: replayed.
 */
int dg_nonce_command(dg_redis_cmd_t *cmd, const char *key, size_t len,
    int64_t ttl);

#endif /* DG_REDIS_CMD_H */
