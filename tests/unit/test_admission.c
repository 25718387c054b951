/*
 * Admission to the PostgreSQL queue: the total, each sector's share, as
 * many sectors as come (the driver once stopped at 32), long names kept
 * apart, handles that survive the table's growth.
 */

#include <stdio.h>
#include <string.h>

#include "dg_admission.h"
#include "unit.h"


static dg_admission_e
enter(dg_admission_t *a, const char *sector, dg_admission_sector_t **place)
{
    dg_admission_sector_t  *dummy;

    return dg_admission_enter(a, sector, strlen(sector),
                              place ? place : &dummy);
}


static void
bad_arguments(void)
{
    CU_ASSERT_PTR_NULL(dg_admission_create(0, 50));
    CU_ASSERT_PTR_NULL(dg_admission_create(10, 0));
    CU_ASSERT_PTR_NULL(dg_admission_create(10, 101));
    dg_admission_free(NULL);
}


static void
share_arithmetic(void)
{
    dg_admission_t  *a;

    a = dg_admission_create(512, 50);
    CU_ASSERT_EQUAL(dg_admission_share(a), 256);
    dg_admission_free(a);

    a = dg_admission_create(7, 33);         /* 2.31 */
    CU_ASSERT_EQUAL(dg_admission_share(a), 2);
    dg_admission_free(a);

    a = dg_admission_create(3, 10);         /* 0.3: still one place */
    CU_ASSERT_EQUAL(dg_admission_share(a), 1);
    dg_admission_free(a);

    a = dg_admission_create((size_t) -1, 100);   /* no overflow */
    CU_ASSERT_EQUAL(dg_admission_share(a), (size_t) -1);
    dg_admission_free(a);
}


static void
share_then_total(void)
{
    int                     i;
    dg_admission_t         *a;
    dg_admission_sector_t  *btxh, *ct;

    a = dg_admission_create(10, 50);

    for (i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(enter(a, "BTXH", &btxh), DG_ADMISSION_OK);
    }

    /* BTXH holds its five; CT still gets places */
    CU_ASSERT_EQUAL(enter(a, "BTXH", NULL), DG_ADMISSION_SHARE);
    CU_ASSERT_EQUAL(dg_admission_sector_waiting(a, "BTXH", 4), 5);

    for (i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(enter(a, "CT", &ct), DG_ADMISSION_OK);
    }

    CU_ASSERT_EQUAL(dg_admission_waiting(a), 10);
    CU_ASSERT_EQUAL(enter(a, "HT", NULL), DG_ADMISSION_FULL);
    CU_ASSERT_EQUAL(dg_admission_sector_waiting(a, "HT", 2), 0);

    /* a refusal counts nothing */
    CU_ASSERT_EQUAL(dg_admission_waiting(a), 10);

    dg_admission_leave(a, btxh);
    CU_ASSERT_EQUAL(dg_admission_waiting(a), 9);
    CU_ASSERT_EQUAL(dg_admission_sector_waiting(a, "BTXH", 4), 4);
    CU_ASSERT_EQUAL(enter(a, "BTXH", NULL), DG_ADMISSION_OK);

    /* a dossier coming back takes its place without the checks */
    dg_admission_leave(a, ct);
    dg_admission_reenter(a, ct);
    dg_admission_reenter(a, ct);
    CU_ASSERT_EQUAL(dg_admission_waiting(a), 11);
    CU_ASSERT_EQUAL(dg_admission_sector_waiting(a, "CT", 2), 6);

    dg_admission_free(a);
}


/* A thousand sectors waiting at once, each with its handle. */
static void
many_sectors(void)
{
    int                     i;
    char                    name[32];
    dg_admission_t         *a;
    dg_admission_sector_t  *place[1000];

    a = dg_admission_create(4096, 1);
    CU_ASSERT_EQUAL_FATAL(dg_admission_share(a), 40);

    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "S%03d", i);
        CU_ASSERT_EQUAL_FATAL(enter(a, name, &place[i]), DG_ADMISSION_OK);
        CU_ASSERT_EQUAL_FATAL(enter(a, name, NULL), DG_ADMISSION_OK);
    }

    CU_ASSERT_EQUAL(dg_admission_waiting(a), 2000);

    /* handles made before the table grew still count their sector */
    for (i = 0; i < 1000; i++) {
        dg_admission_leave(a, place[i]);
        snprintf(name, sizeof(name), "S%03d", i);
        CU_ASSERT_EQUAL(dg_admission_sector_waiting(a, name, 4), 1);
    }

    CU_ASSERT_EQUAL(dg_admission_waiting(a), 1000);
    dg_admission_free(a);
}


/* Names past the old 24-byte slots, and bytes that are not text. */
static void
names_compared_whole(void)
{
    dg_admission_t         *a;
    dg_admission_sector_t  *x, *y;
    const char              bin[] = { 'A', '\0', 'B' };

    a = dg_admission_create(10, 10);       /* one place each */

    CU_ASSERT_EQUAL(enter(a, "A-VERY-LONG-SECTOR-CODE-000001", &x),
                    DG_ADMISSION_OK);
    CU_ASSERT_EQUAL(enter(a, "A-VERY-LONG-SECTOR-CODE-000002", &y),
                    DG_ADMISSION_OK);
    CU_ASSERT_PTR_NOT_EQUAL(x, y);
    CU_ASSERT_EQUAL(enter(a, "A-VERY-LONG-SECTOR-CODE-000001", NULL),
                    DG_ADMISSION_SHARE);

    CU_ASSERT_EQUAL(dg_admission_enter(a, bin, 3, &x), DG_ADMISSION_OK);
    CU_ASSERT_EQUAL(dg_admission_enter(a, bin, 1, &y), DG_ADMISSION_OK);
    CU_ASSERT_PTR_NOT_EQUAL(x, y);
    CU_ASSERT_EQUAL(dg_admission_sector_waiting(a, "A", 1), 1);

    dg_admission_free(a);
}


static CU_TestInfo  tests[] = {
    { "bad arguments", bad_arguments },
    { "a sector's share of the queue", share_arithmetic },
    { "share, then the whole queue; leave and reenter",
      share_then_total },
    { "a thousand sectors at once", many_sectors },
    { "sector names compared whole", names_compared_whole },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(admission, tests)
