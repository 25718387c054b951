/*
 * Admission to the PostgreSQL queue: the total, each sector's share, as
 * many sectors as come (the driver once stopped at 32), long names kept
 * apart, handles that survive the table's growth.  Seen from outside: what
 * dg_admission_enter() answers.
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


/* How many more dossiers of sector are admitted now (each keeps its
 * place). */
static size_t
fill(dg_admission_t *a, const char *sector)
{
    size_t  n;

    for (n = 0; enter(a, sector, NULL) == DG_ADMISSION_OK; n++) {
        /* void */
    }

    return n;
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
    CU_ASSERT_EQUAL(fill(a, "BTXH"), 256);
    CU_ASSERT_EQUAL(enter(a, "BTXH", NULL), DG_ADMISSION_SHARE);
    dg_admission_free(a);

    a = dg_admission_create(7, 33);         /* 2.31 */
    CU_ASSERT_EQUAL(fill(a, "HT"), 2);
    dg_admission_free(a);

    a = dg_admission_create(3, 10);         /* 0.3: still one place */
    CU_ASSERT_EQUAL(fill(a, "HT"), 1);
    CU_ASSERT_EQUAL(fill(a, "DD"), 1);
    CU_ASSERT_EQUAL(fill(a, "XD"), 1);
    CU_ASSERT_EQUAL(enter(a, "CT", NULL), DG_ADMISSION_FULL);
    dg_admission_free(a);

    a = dg_admission_create(3, 100);
    CU_ASSERT_EQUAL(fill(a, "HT"), 3);
    CU_ASSERT_EQUAL(enter(a, "HT", NULL), DG_ADMISSION_FULL);
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

    for (i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(enter(a, "CT", &ct), DG_ADMISSION_OK);
    }

    /* the queue is full before any share is asked about */
    CU_ASSERT_EQUAL(enter(a, "HT", NULL), DG_ADMISSION_FULL);
    CU_ASSERT_EQUAL(enter(a, "BTXH", NULL), DG_ADMISSION_FULL);

    /* a place given back is BTXH's again, and the queue's */
    dg_admission_leave(a, btxh);
    CU_ASSERT_EQUAL(enter(a, "CT", NULL), DG_ADMISSION_SHARE);
    CU_ASSERT_EQUAL(enter(a, "BTXH", NULL), DG_ADMISSION_OK);
    CU_ASSERT_EQUAL(enter(a, "BTXH", NULL), DG_ADMISSION_FULL);

    /* a dossier coming back takes its place without the checks: CT then
     * holds six, the queue eleven */
    dg_admission_leave(a, ct);
    dg_admission_reenter(a, ct);
    dg_admission_reenter(a, ct);

    for (i = 0; i < 6; i++) {
        dg_admission_leave(a, ct);
    }

    /* CT back to none, BTXH five: five places free, HT takes them, and
     * the queue is full again */
    CU_ASSERT_EQUAL(fill(a, "HT"), 5);
    CU_ASSERT_EQUAL(enter(a, "CT", NULL), DG_ADMISSION_FULL);

    dg_admission_free(a);
}


/* A thousand sectors waiting at once, each with its handle. */
static void
many_sectors(void)
{
    int                     i;
    char                    name[32];
    dg_admission_t         *a;
    dg_admission_sector_t  *place[1000], *again;

    a = dg_admission_create(3000, 1);      /* 30 places a sector */

    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "S%03d", i);
        CU_ASSERT_EQUAL_FATAL(enter(a, name, &place[i]), DG_ADMISSION_OK);
    }

    /* the table grew meanwhile: every sector is found where it was */
    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "S%03d", i);
        CU_ASSERT_EQUAL_FATAL(enter(a, name, &again), DG_ADMISSION_OK);
        CU_ASSERT_PTR_EQUAL_FATAL(again, place[i]);
    }

    /* two each: S000 has 28 places left, then the queue has 972 */
    CU_ASSERT_EQUAL(fill(a, "S000"), 28);
    CU_ASSERT_EQUAL(fill(a, "NEW"), 30);
    CU_ASSERT_EQUAL(fill(a, "NEW2"), 30);

    for (i = 0; i < 1000; i++) {
        dg_admission_leave(a, place[i]);
        dg_admission_leave(a, place[i]);
    }

    /* 88 wait now: S999, back to none, may take its 30 again */
    CU_ASSERT_EQUAL(fill(a, "S999"), 30);
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
    CU_ASSERT_EQUAL(dg_admission_enter(a, "A", 1, &y), DG_ADMISSION_SHARE);

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
