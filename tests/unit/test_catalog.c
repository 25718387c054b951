/*
 * The procedure catalog: adds in any order, replacement, length-bounded
 * lookups.
 */

#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "dg_catalog.h"


static void
test_empty(void)
{
    dg_catalog_t  *cat;

    cat = dg_catalog_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);

    CU_ASSERT_EQUAL(dg_catalog_size(cat), 0);
    CU_ASSERT_PTR_NULL(dg_catalog_sector(cat, "1.001193", 8));

    dg_catalog_free(cat);
    dg_catalog_free(NULL);
}


static void
test_lookup(void)
{
    dg_catalog_t  *cat;

    cat = dg_catalog_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);

    /* not in order */
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "2.000815", "CT"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.004227", "DD"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "2.000720", "HKD"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.001193", "HT"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.009994", "XD"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.001776", "BTXH"), 0);

    CU_ASSERT_EQUAL(dg_catalog_size(cat), 6);

    CU_ASSERT_STRING_EQUAL(dg_catalog_sector(cat, "1.001193", 8), "HT");
    CU_ASSERT_STRING_EQUAL(dg_catalog_sector(cat, "1.001776", 8), "BTXH");
    CU_ASSERT_STRING_EQUAL(dg_catalog_sector(cat, "1.004227", 8), "DD");
    CU_ASSERT_STRING_EQUAL(dg_catalog_sector(cat, "1.009994", 8), "XD");
    CU_ASSERT_STRING_EQUAL(dg_catalog_sector(cat, "2.000720", 8), "HKD");
    CU_ASSERT_STRING_EQUAL(dg_catalog_sector(cat, "2.000815", 8), "CT");

    /* the code need not be NUL-terminated: a prefix of a longer string */
    CU_ASSERT_STRING_EQUAL(dg_catalog_sector(cat, "1.001193.000.00.00.H31",
                                             8), "HT");

    CU_ASSERT_PTR_NULL(dg_catalog_sector(cat, "1.001193", 7));
    CU_ASSERT_PTR_NULL(dg_catalog_sector(cat, "1.001193.000", 12));
    CU_ASSERT_PTR_NULL(dg_catalog_sector(cat, "1.001194", 8));
    CU_ASSERT_PTR_NULL(dg_catalog_sector(cat, "0.000000", 8));
    CU_ASSERT_PTR_NULL(dg_catalog_sector(cat, "9.999999", 8));
    CU_ASSERT_PTR_NULL(dg_catalog_sector(cat, "", 0));

    dg_catalog_free(cat);
}


static void
test_replace(void)
{
    dg_catalog_t  *cat;

    cat = dg_catalog_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);

    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.001193", "HT"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.001776", "BTXH"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.001193", "TP"), 0);

    CU_ASSERT_EQUAL(dg_catalog_size(cat), 2);
    CU_ASSERT_STRING_EQUAL(dg_catalog_sector(cat, "1.001193", 8), "TP");
    CU_ASSERT_STRING_EQUAL(dg_catalog_sector(cat, "1.001776", 8), "BTXH");

    /* the known sectors are the catalog's: HT went with its procedure */
    CU_ASSERT(dg_catalog_has_sector(cat, "TP", 2));
    CU_ASSERT(dg_catalog_has_sector(cat, "BTXHxyz", 4));
    CU_ASSERT(!dg_catalog_has_sector(cat, "HT", 2));
    CU_ASSERT(!dg_catalog_has_sector(cat, "BTX", 3));
    CU_ASSERT(!dg_catalog_has_sector(cat, "BTXHX", 5));
    CU_ASSERT(!dg_catalog_has_sector(cat, "", 0));

    dg_catalog_free(cat);
}


/* Thousands of entries in a scrambled order, every one found. */
static void
test_many(void)
{
    int            ok;
    char           code[16], sector[16];
    unsigned       i, k;
    dg_catalog_t  *cat;

    cat = dg_catalog_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);

    /* 7919 is prime, so i * 7919 mod 10007 visits every k once */
    for (i = 0; i < 10007; i++) {
        k = i * 7919 % 10007;
        snprintf(code, sizeof(code), "%u.%06u", k % 3 + 1, k);
        snprintf(sector, sizeof(sector), "S%u", k);
        CU_ASSERT_EQUAL_FATAL(dg_catalog_add(cat, code, sector), 0);
    }

    CU_ASSERT_EQUAL(dg_catalog_size(cat), 10007);

    ok = 1;

    for (k = 0; k < 10007; k++) {
        snprintf(code, sizeof(code), "%u.%06u", k % 3 + 1, k);
        snprintf(sector, sizeof(sector), "S%u", k);
        ok &= dg_catalog_sector(cat, code, 8) != NULL
              && strcmp(dg_catalog_sector(cat, code, 8), sector) == 0;

        /* the other two leading digits are absent */
        snprintf(code, sizeof(code), "%u.%06u", (k + 1) % 3 + 1, k);
        ok &= dg_catalog_sector(cat, code, 8) == NULL;
    }

    CU_ASSERT(ok);

    dg_catalog_free(cat);
}


static CU_TestInfo  tests[] = {
    { "empty", test_empty },
    { "lookup", test_lookup },
    { "replace", test_replace },
    { "many", test_many },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(catalog, tests)
