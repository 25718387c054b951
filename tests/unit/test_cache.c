/*
 * The cache value format, and replies as hiredis's reader builds them from
 * bytes that arrive in pieces.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_cache.h"
#include "unit.h"


static void
value_round_trip(void)
{
    char              *v;
    dg_cache_entry_t   e;
    dg_status_t        s = {
        .ma_ho_so = "HP-1", .ma_linh_vuc = "BTXH", .owner = "031185001234",
        .version = 12
    };

    v = dg_cache_value(&s, "{\"a\":\"x|y\"}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_STRING_EQUAL(v, "12|BTXH|031185001234|{\"a\":\"x|y\"}");

    CU_ASSERT_EQUAL(dg_cache_parse(v, strlen(v), &e), 0);
    CU_ASSERT_EQUAL(e.version, 12);
    CU_ASSERT_EQUAL(e.sector_len, 4);
    CU_ASSERT_EQUAL(strncmp(e.sector, "BTXH", 4), 0);
    CU_ASSERT_EQUAL(e.owner_len, 12);
    /* the JSON keeps its own '|' */
    CU_ASSERT_EQUAL(e.json_len, strlen("{\"a\":\"x|y\"}"));
    free(v);

    CU_ASSERT_EQUAL(dg_cache_parse(DG_CACHE_UNKNOWN_VALUE,
                                   strlen(DG_CACHE_UNKNOWN_VALUE), &e), 0);
    CU_ASSERT_EQUAL(e.version, 0);
    CU_ASSERT_EQUAL(e.json_len, 0);
}


static void
malformed_values(void)
{
    dg_cache_entry_t  e;
    const char       *bad[] = {
        "", "|BTXH|1|{}", "x|BTXH|1|{}", "12", "12|BTXH", "12|BTXH|1",
        "12|BTXH|1|",          /* a real entry without a status */
        "0|||{}",              /* a negative entry with one */
        "1234567890123456789|a|b|{}",     /* version overflow */
    };
    size_t            i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CU_ASSERT_EQUAL(dg_cache_parse(bad[i], strlen(bad[i]), &e), -1);
    }
}


/* Feeds bytes in pieces of the given size, returns the one reply. */
static redisReply *
read_reply(const char *bytes, size_t piece)
{
    void         *reply;
    size_t        off, n, len;
    redisReader  *r;

    r = redisReaderCreate();
    reply = NULL;
    len = strlen(bytes);

    for (off = 0; off < len; off += n) {
        n = len - off < piece ? len - off : piece;
        CU_ASSERT_EQUAL(redisReaderFeed(r, bytes + off, n), REDIS_OK);

        CU_ASSERT_EQUAL(redisReaderGetReply(r, &reply), REDIS_OK);
        if (reply != NULL) {
            /* complete only with the last piece */
            CU_ASSERT_EQUAL(off + n, len);
            break;
        }
    }

    redisReaderFree(r);

    return reply;
}


/* The get script's reply: {generation, entry or nil}. */
static redisReply *
read_get_reply(const char *gen, const char *entry, size_t piece)
{
    char  buf[256];

    snprintf(buf, sizeof(buf), "*2\r\n$%zu\r\n%s\r\n%s", strlen(gen), gen,
             entry);

    return read_reply(buf, piece);
}


static void
replies(void)
{
    redisReply        *reply;
    dg_cache_entry_t   e;
    size_t             piece;

    for (piece = 1; piece <= 8; piece++) {
        reply = read_get_reply("41", "$17\r\n3|HT|0311|{\"x\":1}\r\n", piece);
        CU_ASSERT_PTR_NOT_NULL_FATAL(reply);
        CU_ASSERT_EQUAL(dg_cache_reply(reply, &e), DG_CACHE_HIT);
        CU_ASSERT_EQUAL(e.version, 3);
        CU_ASSERT_EQUAL(e.json_len, 7);
        CU_ASSERT_EQUAL(e.gen, 41);
        freeReplyObject(reply);
    }

    /* a miss (or a pending mark) still says the generation */
    reply = read_get_reply("7", "$-1\r\n", 2);
    CU_ASSERT_EQUAL(dg_cache_reply(reply, &e), DG_CACHE_MISS);
    CU_ASSERT_EQUAL(e.gen, 7);
    freeReplyObject(reply);

    reply = read_get_reply("0", "$4\r\n0|||\r\n", 3);
    CU_ASSERT_EQUAL(dg_cache_reply(reply, &e), DG_CACHE_UNKNOWN);
    CU_ASSERT_EQUAL(e.gen, 0);
    freeReplyObject(reply);

    reply = read_reply("-NOSCRIPT No matching script.\r\n", 5);
    CU_ASSERT_EQUAL(reply->type, REDIS_REPLY_ERROR);
    CU_ASSERT_EQUAL(dg_cache_reply(reply, &e), DG_CACHE_ERROR);
    CU_ASSERT_EQUAL(e.gen, -1);
    freeReplyObject(reply);

    reply = read_reply(":1\r\n", 1);
    CU_ASSERT_EQUAL(dg_cache_reply(reply, &e), DG_CACHE_ERROR);
    freeReplyObject(reply);

    /* the old shape, a bare entry, is not ours any more */
    reply = read_reply("$4\r\n0|||\r\n", 3);
    CU_ASSERT_EQUAL(dg_cache_reply(reply, &e), DG_CACHE_ERROR);
    freeReplyObject(reply);

    /* a generation that is not a number, or one element only */
    reply = read_get_reply("x1", "$-1\r\n", 2);
    CU_ASSERT_EQUAL(dg_cache_reply(reply, &e), DG_CACHE_ERROR);
    CU_ASSERT_EQUAL(e.gen, -1);
    freeReplyObject(reply);

    reply = read_reply("*1\r\n$1\r\n1\r\n", 2);
    CU_ASSERT_EQUAL(dg_cache_reply(reply, &e), DG_CACHE_ERROR);
    freeReplyObject(reply);

    /* a stored value that is not ours is an error, not a hit */
    reply = read_get_reply("3", "$5\r\nhello\r\n", 4);
    CU_ASSERT_EQUAL(dg_cache_reply(reply, &e), DG_CACHE_ERROR);
    freeReplyObject(reply);

    CU_ASSERT_EQUAL(dg_cache_reply(NULL, &e), DG_CACHE_ERROR);
}


static CU_TestInfo  tests[] = {
    { "value round trip", value_round_trip },
    { "malformed values are refused", malformed_values },
    { "replies split over several reads", replies },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(cache, tests)
