/*
 * Personal ID (CCCD) rules: province, century, birth year, gender.
 */

#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "dg_dossier.h"


/* 2026-11-24 10:00:00 +07:00 */
#define NOW  ((time_t) 1795489200)


static time_t
at(const char *s)
{
    time_t  t;

    t = 0;
    CU_ASSERT_EQUAL(dg_time_parse(s, strlen(s), &t), 0);

    return t;
}


/*
 * Runs dg_cccd_check and returns its problems as "code code ...", after
 * checking that the count it returns matches and every pointer is ptr.
 */
static const char *
check(const char *id, const char *birth, int gender, time_t now)
{
    int             n;
    size_t          i, len;
    dg_problems_t   p;
    static char     codes[256];

    dg_problems_init(&p);

    n = dg_cccd_check(id, birth, gender, now, "/Id", &p);
    CU_ASSERT_EQUAL(n, (int) p.n);

    codes[0] = '\0';
    len = 0;

    for (i = 0; i < p.n; i++) {
        CU_ASSERT_STRING_EQUAL(p.items[i].pointer, "/Id");
        len += (size_t) snprintf(codes + len, sizeof(codes) - len, "%s%s",
                                 i ? " " : "", p.items[i].code);
    }

    dg_problems_free(&p);

    return codes;
}


static void
test_provinces(void)
{
    int          n;
    char         code[4];
    unsigned     i;
    const char  *known;

    known = "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 "
            "026 027 030 031 033 034 035 036 037 038 040 042 044 045 046 048 "
            "049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 "
            "077 079 080 082 083 084 086 087 089 091 092 093 094 095 096";

    CU_ASSERT(dg_cccd_province_known("001"));
    CU_ASSERT(dg_cccd_province_known("096"));
    CU_ASSERT(dg_cccd_province_known("031"));
    CU_ASSERT(dg_cccd_province_known("079"));
    CU_ASSERT_FALSE(dg_cccd_province_known("000"));
    CU_ASSERT_FALSE(dg_cccd_province_known("003"));
    CU_ASSERT_FALSE(dg_cccd_province_known("097"));
    CU_ASSERT_FALSE(dg_cccd_province_known("099"));
    CU_ASSERT_FALSE(dg_cccd_province_known("101"));
    CU_ASSERT_FALSE(dg_cccd_province_known("01"));
    CU_ASSERT_FALSE(dg_cccd_province_known(""));
    CU_ASSERT_FALSE(dg_cccd_province_known("0a1"));
    CU_ASSERT_FALSE(dg_cccd_province_known(" 01"));

    /* exactly the 63 codes of the list, and no other of 000-999 */
    n = 0;

    for (i = 0; i < 1000; i++) {
        snprintf(code, sizeof(code), "%03u", i);

        if (dg_cccd_province_known(code)) {
            n++;
            CU_ASSERT_PTR_NOT_NULL(strstr(known, code));

        } else {
            CU_ASSERT_PTR_NULL(strstr(known, code));
        }
    }

    CU_ASSERT_EQUAL(n, 63);
}


static void
test_province_problem(void)
{
    dg_problems_t  p;

    CU_ASSERT_STRING_EQUAL(check("001185001234", "19850312", 2, NOW), "");
    CU_ASSERT_STRING_EQUAL(check("096185001234", "19850312", 2, NOW), "");
    CU_ASSERT_STRING_EQUAL(check("003185001234", "19850312", 2, NOW),
                           "cccd.province");

    dg_problems_init(&p);
    CU_ASSERT_EQUAL(dg_cccd_check("099185001234", NULL, 0, NOW,
                                  "/SoGiayToChuHoSo", &p), 1);
    CU_ASSERT_EQUAL_FATAL(p.n, 1);
    CU_ASSERT_STRING_EQUAL(p.items[0].pointer, "/SoGiayToChuHoSo");
    CU_ASSERT_STRING_EQUAL(p.items[0].code, "cccd.province");
    CU_ASSERT_STRING_EQUAL(p.items[0].message,
                           "Mã tỉnh 099 không hợp lệ / "
                           "unknown province code 099");
    dg_problems_free(&p);
}


static void
test_format(void)
{
    CU_ASSERT_STRING_EQUAL(check("03118500123", NULL, 0, NOW), "format");
    CU_ASSERT_STRING_EQUAL(check("0311850012345", NULL, 0, NOW), "format");
    CU_ASSERT_STRING_EQUAL(check("03118500123x", NULL, 0, NOW), "format");
    CU_ASSERT_STRING_EQUAL(check("", NULL, 0, NOW), "format");
    CU_ASSERT_STRING_EQUAL(check("031185001234", NULL, 0, NOW), "");
}


/* Each century digit with a birth date in its own century and in another. */
static void
test_century_digits(void)
{
    int          g;
    char         id[16], birth[16], other[16];
    time_t       now;
    const char  *want;

    /* late enough that every century of the ID has begun */
    now = at("24500101000000");

    for (g = 0; g <= 9; g++) {
        snprintf(id, sizeof(id), "001%d05000001", g);
        snprintf(birth, sizeof(birth), "%d050515", 19 + g / 2);
        snprintf(other, sizeof(other), "%d050515", 19 + (g / 2 + 1) % 5);

        CU_ASSERT_STRING_EQUAL(check(id, birth, 0, now), "");
        CU_ASSERT_STRING_EQUAL(check(id, other, 0, now), "cccd.century");

        /* today: digits 0-3 only; the others name a century to come */
        want = (g <= 3) ? "" : "cccd.century";
        CU_ASSERT_STRING_EQUAL(check(id, NULL, 0, NOW), want);
        CU_ASSERT_STRING_EQUAL(check(id, birth, 0, NOW), want);
    }

    CU_ASSERT_STRING_EQUAL(check("031185001234", "20850312", 2, NOW),
                           "cccd.century");
    CU_ASSERT_STRING_EQUAL(check("031385001234", "19850312", 2, NOW),
                           "cccd.century");
}


/* A century starts on January 1st of its first year, +07:00. */
static void
test_century_boundary(void)
{
    time_t  start;

    start = at("21000101000000");

    CU_ASSERT_STRING_EQUAL(check("001400000001", NULL, 0, start), "");
    CU_ASSERT_STRING_EQUAL(check("001400000001", NULL, 0, start - 1),
                           "cccd.century");
}


static void
test_birth_year(void)
{
    /* YY disagrees with the birth date */
    CU_ASSERT_STRING_EQUAL(check("031185001234", "19860312", 2, NOW),
                           "cccd.birth_year");
    CU_ASSERT_STRING_EQUAL(check("031185001234", "19850312", 2, NOW), "");

    /* no birth date: the implied year must not be after this year */
    CU_ASSERT_STRING_EQUAL(check("001226000001", NULL, 0, NOW), "");
    CU_ASSERT_STRING_EQUAL(check("001227000001", NULL, 0, NOW),
                           "cccd.birth_year");
    CU_ASSERT_STRING_EQUAL(check("001299000001", NULL, 0, NOW),
                           "cccd.birth_year");
    CU_ASSERT_STRING_EQUAL(check("001227000001", NULL, 0,
                                 at("20270101000000")), "");
    CU_ASSERT_STRING_EQUAL(check("001227000001", NULL, 0,
                                 at("20261231235959")), "cccd.birth_year");

    /* a birth date that is not a real date is not compared */
    CU_ASSERT_STRING_EQUAL(check("031185001234", "19860230", 2, NOW), "");
    CU_ASSERT_STRING_EQUAL(check("031185001234", "1986-03-1", 2, NOW), "");

    /* both digits wrong: century and year */
    CU_ASSERT_STRING_EQUAL(check("031386001234", "19850312", 2, NOW),
                           "cccd.century cccd.birth_year");
}


static void
test_gender(void)
{
    int     g;
    char    id[16];
    time_t  now;

    now = at("24500101000000");

    for (g = 0; g <= 9; g++) {
        snprintf(id, sizeof(id), "001%d05000001", g);

        CU_ASSERT_STRING_EQUAL(check(id, NULL, 1, now),
                               g % 2 == 0 ? "" : "cccd.gender");
        CU_ASSERT_STRING_EQUAL(check(id, NULL, 2, now),
                               g % 2 == 1 ? "" : "cccd.gender");
        CU_ASSERT_STRING_EQUAL(check(id, NULL, 0, now), "");
    }
}


static void
test_all_at_once(void)
{
    CU_ASSERT_STRING_EQUAL(check("099486001234", "19850312", 2, NOW),
                           "cccd.province cccd.century cccd.birth_year "
                           "cccd.gender");
}


static CU_TestInfo  tests[] = {
    { "provinces", test_provinces },
    { "province problem", test_province_problem },
    { "format", test_format },
    { "century digits", test_century_digits },
    { "century boundary", test_century_boundary },
    { "birth year", test_birth_year },
    { "gender", test_gender },
    { "all at once", test_all_at_once },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(cccd, tests)
