/*
 * Redis commands built by the core: the nonce's SET NX and the cache's
 * generation bump, get and put.
 */

#include <string.h>

#include "dg_cache.h"
#include "dg_redis_cmd.h"
#include "unit.h"


static void
expect(const dg_redis_cmd_t *cmd, const char *const *want, int n)
{
    int  i;

    CU_ASSERT_EQUAL_FATAL(cmd->argc, n);

    for (i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(cmd->argvlen[i], strlen(want[i]));
        CU_ASSERT_EQUAL(memcmp(cmd->argv[i], want[i], cmd->argvlen[i]), 0);
    }
}


static void
nonce_set_nx(void)
{
    dg_redis_cmd_t     cmd;
    const char *const  want[] = { "SET", "dg:n:portal:abc", "1", "NX", "EX",
                                  "601" };

    CU_ASSERT_EQUAL(dg_nonce_command(&cmd, "dg:n:portal:abc", 15, 601), 0);
    expect(&cmd, want, 6);
}


static void
cache_commands(void)
{
    dg_redis_cmd_t         cmd;
    const dg_cache_keys_t  keys = { "dg:gen", 6, "dg:d:", 5, "dg:p:", 5 };
    const char *const      bump[] = { "INCR", "dg:gen" };
    const char *const      get[] = { "EVALSHA", "abc", "1", "dg:gen",
                                     "dg:d:", "HP-1", "dg:p:" };
    const char *const      put[] = { "EVALSHA", "def", "1", "dg:gen",
                                     "dg:d:", "HP-1", "7", "7|CT||{}", "300",
                                     "f", "dg:p:", "12" };
    const char *const      mark[] = { "EVALSHA", "fed", "1", "dg:gen",
                                      "dg:d:", "dg:p:", "30000", "HP-1",
                                      "HP-2" };

    CU_ASSERT_EQUAL(dg_cache_bump_command(&cmd, "dg:gen", 6), 0);
    expect(&cmd, bump, 2);

    CU_ASSERT_EQUAL(dg_cache_get_command(&cmd, "abc", &keys, "HP-1", 4), 0);
    expect(&cmd, get, 7);

    CU_ASSERT_EQUAL(dg_cache_put_command(&cmd, "def", &keys, "HP-1", 4, 7,
                                         "7|CT||{}", 300, DG_CACHE_FILL, 12),
                    0);
    expect(&cmd, put, 12);

    CU_ASSERT_EQUAL(dg_cache_mark_command(&cmd, "fed", &keys, 30000), 0);
    CU_ASSERT_EQUAL(dg_redis_cmd_arg(&cmd, "HP-1", 4)
                    | dg_redis_cmd_arg(&cmd, "HP-2", 4), 0);
    expect(&cmd, mark, 9);
}


static void
full_command_refused(void)
{
    int             i;
    dg_redis_cmd_t  cmd;

    dg_redis_cmd_init(&cmd);

    for (i = 0; i < DG_REDIS_CMD_ARGC; i++) {
        CU_ASSERT_EQUAL(dg_redis_cmd_arg(&cmd, "x", 1), 0);
    }

    CU_ASSERT_EQUAL(dg_redis_cmd_arg(&cmd, "x", 1), -1);
    CU_ASSERT_EQUAL(cmd.argc, DG_REDIS_CMD_ARGC);
}


static CU_TestInfo  tests[] = {
    { "nonce: SET NX EX", nonce_set_nx },
    { "cache: bump, get, put", cache_commands },
    { "a full command refuses more", full_command_refused },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(redis_cmd, tests)
