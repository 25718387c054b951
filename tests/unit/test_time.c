/*
 * Wire times in Asia/Ho_Chi_Minh (UTC+07:00) and RFC 3339 output.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "unit.h"
#include "dg_dossier.h"


/* 2026-11-24 10:00:00 +07:00 */
#define NOW  ((time_t) 1795489200)


/* dg_time_parse's return code for a NUL-terminated string */
static int
rc(const char *s)
{
    time_t  t;

    return dg_time_parse(s, strlen(s), &t);
}


static time_t
at(const char *s)
{
    time_t  t;

    t = 0;
    CU_ASSERT_EQUAL(dg_time_parse(s, strlen(s), &t), 0);

    return t;
}


static void
test_parse_anchors(void)
{
    CU_ASSERT_EQUAL(at("20261124100000"), NOW);
    CU_ASSERT_EQUAL(at("19700101070000"), 0);
    CU_ASSERT_EQUAL(at("19700101"), -7 * 3600);
    CU_ASSERT_EQUAL(at("19000101"), (time_t) -2208988800 - 7 * 3600);
    CU_ASSERT_EQUAL(at("20000301000000"), (time_t) 951868800 - 7 * 3600);
    CU_ASSERT_EQUAL(at("99991231235959"), (time_t) 253402300799 - 7 * 3600);

    /* len 8 is midnight */
    CU_ASSERT_EQUAL(at("20261124"), at("20261124000000"));
    CU_ASSERT_EQUAL(at("20261231235959") + 1, at("20270101000000"));

    /* only len bytes are read */
    CU_ASSERT_EQUAL(dg_time_parse("20261124100000xyz", 14, &(time_t) {0}), 0);
    CU_ASSERT_EQUAL(dg_time_parse("20261124100000", 8, &(time_t) {0}), 0);
}


static void
test_parse_shape(void)
{
    CU_ASSERT_EQUAL(rc(""), -1);
    CU_ASSERT_EQUAL(rc("2026112"), -1);
    CU_ASSERT_EQUAL(rc("202611241"), -1);
    CU_ASSERT_EQUAL(rc("2026112410000"), -1);
    CU_ASSERT_EQUAL(rc("202611241000000"), -1);
    CU_ASSERT_EQUAL(rc("2026-11-24"), -1);
    CU_ASSERT_EQUAL(rc("2026-1124"), -1);
    CU_ASSERT_EQUAL(rc("2026112410000a"), -1);
    CU_ASSERT_EQUAL(rc("+0261124"), -1);
    CU_ASSERT_EQUAL(rc(" 2026112"), -1);
    CU_ASSERT_EQUAL(rc("20261124 00000"), -1);
    /* shape wins over an impossible month */
    CU_ASSERT_EQUAL(rc("2026130x"), -1);
}


static void
test_parse_real_dates(void)
{
    /* leap years: by 4, not by 100, but by 400 */
    CU_ASSERT_EQUAL(rc("20240229"), 0);
    CU_ASSERT_EQUAL(rc("20230229"), -2);
    CU_ASSERT_EQUAL(rc("20000229"), 0);
    CU_ASSERT_EQUAL(rc("19000229"), -2);
    CU_ASSERT_EQUAL(rc("21000229"), -2);
    CU_ASSERT_EQUAL(rc("24000229"), 0);
    CU_ASSERT_EQUAL(rc("20240230"), -2);

    CU_ASSERT_EQUAL(rc("20260430"), 0);
    CU_ASSERT_EQUAL(rc("20260431"), -2);
    CU_ASSERT_EQUAL(rc("20260631"), -2);
    CU_ASSERT_EQUAL(rc("20260931"), -2);
    CU_ASSERT_EQUAL(rc("20261131"), -2);
    CU_ASSERT_EQUAL(rc("20261231"), 0);
    CU_ASSERT_EQUAL(rc("20261232"), -2);
    CU_ASSERT_EQUAL(rc("20260131"), 0);
    CU_ASSERT_EQUAL(rc("20260100"), -2);
    CU_ASSERT_EQUAL(rc("20260001"), -2);
    CU_ASSERT_EQUAL(rc("20261301"), -2);
    CU_ASSERT_EQUAL(rc("20269901"), -2);

    CU_ASSERT_EQUAL(rc("20261124235959"), 0);
    CU_ASSERT_EQUAL(rc("20261124240000"), -2);
    CU_ASSERT_EQUAL(rc("20261124126000"), -2);
    CU_ASSERT_EQUAL(rc("20261124120060"), -2);
    CU_ASSERT_EQUAL(rc("20261124000000"), 0);

    /* years 1900-9999 */
    CU_ASSERT_EQUAL(rc("18991231"), -2);
    CU_ASSERT_EQUAL(rc("00000101"), -2);
    CU_ASSERT_EQUAL(rc("19000101"), 0);
    CU_ASSERT_EQUAL(rc("99991231"), 0);
}


/*
 * Every day from 1900 to 2400 against the C library's UTC calendar
 * (timegm, gmtime_r: no TZ involved), both directions.
 */
static void
test_every_day(void)
{
    int        ok;
    char       s[16], got[32], want[32];
    time_t     t, utc;
    struct tm  tm;

    ok = 1;

    for (utc = -2208988800; utc < 13569465600; utc += 86400 - 17) {
        gmtime_r(&utc, &tm);
        strftime(s, sizeof(s), "%Y%m%d%H%M%S", &tm);

        /* s is the UTC wall clock read as +07:00: 7 hours earlier */
        t = 0;
        ok &= dg_time_parse(s, 14, &t) == 0;
        ok &= t == timegm(&tm) - 7 * 3600;

        dg_time_rfc3339(utc - 7 * 3600, got);
        strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S+07:00", &tm);
        ok &= strcmp(got, want) == 0;

        if (!ok) {
            fprintf(stderr, "\n  day %s: %s vs %s\n", s, got, want);
            break;
        }
    }

    CU_ASSERT(ok);
}


static void
test_rfc3339(void)
{
    char  buf[26];

    dg_time_rfc3339(NOW, buf);
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-24T10:00:00+07:00");
    CU_ASSERT_EQUAL(strlen(buf), 25);

    dg_time_rfc3339(0, buf);
    CU_ASSERT_STRING_EQUAL(buf, "1970-01-01T07:00:00+07:00");

    dg_time_rfc3339(-1, buf);
    CU_ASSERT_STRING_EQUAL(buf, "1970-01-01T06:59:59+07:00");

    dg_time_rfc3339(-7 * 3600 - 1, buf);
    CU_ASSERT_STRING_EQUAL(buf, "1969-12-31T23:59:59+07:00");

    /* 17:00 UTC is already the next day in Ha Noi */
    dg_time_rfc3339(NOW + 14 * 3600, buf);
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-25T00:00:00+07:00");

    dg_time_rfc3339(at("20240229235959"), buf);
    CU_ASSERT_STRING_EQUAL(buf, "2024-02-29T23:59:59+07:00");
}


static CU_TestInfo  tests[] = {
    { "parse anchors", test_parse_anchors },
    { "parse shape", test_parse_shape },
    { "parse real dates", test_parse_real_dates },
    { "every day 1900-2400", test_every_day },
    { "rfc3339", test_rfc3339 },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(time, tests)
