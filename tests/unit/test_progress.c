/*
 * Progress record rules.
 */

#include <string.h>

#include <jansson.h>

#include "dg_progress.h"
#include "unit.h"


/* 2026-11-24 10:00:00 +07:00 */
#define NOW  ((time_t) 1795489200)


static int
has(dg_problems_t *p, const char *pointer, const char *code)
{
    size_t  i;

    for (i = 0; i < p->n; i++) {
        if (strcmp(p->items[i].pointer, pointer) == 0
            && strcmp(p->items[i].code, code) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static int
check(const char *text, dg_progress_t *out, dg_problems_t *p)
{
    int      rc;
    json_t  *root;

    root = json_loads(text, JSON_DECODE_ANY, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    dg_problems_clear(p);
    rc = dg_progress_validate(root, NOW, out, p);
    json_decref(root);

    return rc;
}


static void
valid_records(void)
{
    dg_problems_t  p;
    dg_progress_t  out;

    dg_problems_init(&p);

    CU_ASSERT_EQUAL(check("{\"TrangThaiHoSo\":4,"
                          "\"ThoiDiemXuLy\":\"20261124095000\","
                          "\"NoiDungXuLy\":\"Chuyển phòng LĐ-TB&XH\","
                          "\"NguoiXuLy\":\"Phạm Văn Hùng\"}", &out, &p), 0);
    CU_ASSERT_EQUAL(out.trang_thai, 4);
    CU_ASSERT_EQUAL(out.thoi_diem, NOW - 600);
    CU_ASSERT_EQUAL(out.ngay_tra, 0);

    /* exactly five minutes ahead is still accepted */
    CU_ASSERT_EQUAL(check("{\"TrangThaiHoSo\":10,"
                          "\"ThoiDiemXuLy\":\"20261124100500\","
                          "\"NgayTra\":\"20261124100000\"}", &out, &p), 0);
    CU_ASSERT_EQUAL(out.ngay_tra, NOW);

    dg_problems_free(&p);
}


static void
invalid_records(void)
{
    dg_problems_t  p;
    dg_progress_t  out;

    dg_problems_init(&p);

    CU_ASSERT_EQUAL(check("{}", &out, &p), -1);
    CU_ASSERT_TRUE(has(&p, "/TrangThaiHoSo", "required"));
    CU_ASSERT_TRUE(has(&p, "/ThoiDiemXuLy", "required"));

    CU_ASSERT_EQUAL(check("{\"TrangThaiHoSo\":11,"
                          "\"ThoiDiemXuLy\":\"20261124100501\"}", &out, &p),
                    -1);
    CU_ASSERT_TRUE(has(&p, "/TrangThaiHoSo", "enum"));
    CU_ASSERT_TRUE(has(&p, "/ThoiDiemXuLy", "date.future"));

    /* result returned needs its date */
    CU_ASSERT_EQUAL(check("{\"TrangThaiHoSo\":10,"
                          "\"ThoiDiemXuLy\":\"20261124090000\"}", &out, &p),
                    -1);
    CU_ASSERT_TRUE(has(&p, "/NgayTra", "required"));

    CU_ASSERT_EQUAL(check("{\"TrangThaiHoSo\":\"4\","
                          "\"ThoiDiemXuLy\":\"20261131090000\","
                          "\"NguoiXuLy\":7}", &out, &p), -1);
    CU_ASSERT_TRUE(has(&p, "/TrangThaiHoSo", "type"));
    CU_ASSERT_TRUE(has(&p, "/ThoiDiemXuLy", "date"));
    CU_ASSERT_TRUE(has(&p, "/NguoiXuLy", "type"));

    CU_ASSERT_EQUAL(check("[4]", &out, &p), -1);
    CU_ASSERT_TRUE(has(&p, "", "type"));

    dg_problems_free(&p);
}


static CU_TestInfo  tests[] = {
    { "valid progress records", valid_records },
    { "every failed rule is reported", invalid_records },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(progress, tests)
