/*
 * Redis commands (dg_redis_cmd.h).
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dg_redis_cmd.h"


void
dg_redis_cmd_init(dg_redis_cmd_t *cmd)
{
    cmd->argc = 0;
    cmd->nints = 0;
}


int
dg_redis_cmd_arg(dg_redis_cmd_t *cmd, const char *s, size_t len)
{
    if (cmd->argc == DG_REDIS_CMD_ARGC) {
        return -1;
    }

    cmd->argv[cmd->argc] = s;
    cmd->argvlen[cmd->argc] = len;
    cmd->argc++;

    return 0;
}


int
dg_redis_cmd_int(dg_redis_cmd_t *cmd, int64_t v)
{
    int    n;
    char  *p;

    if (cmd->nints == DG_REDIS_CMD_INTS) {
        return -1;
    }

    p = cmd->ints[cmd->nints++];
    n = snprintf(p, sizeof(cmd->ints[0]), "%" PRId64, v);

    return dg_redis_cmd_arg(cmd, p, (size_t) n);
}


int
dg_nonce_command(dg_redis_cmd_t *cmd, const char *key, size_t len,
    int64_t ttl)
{
    dg_redis_cmd_init(cmd);

    return dg_redis_cmd_arg(cmd, "SET", 3)
           | dg_redis_cmd_arg(cmd, key, len)
           | dg_redis_cmd_arg(cmd, "1", 1)
           | dg_redis_cmd_arg(cmd, "NX", 2)
           | dg_redis_cmd_arg(cmd, "EX", 2)
           | dg_redis_cmd_int(cmd, ttl);
}
