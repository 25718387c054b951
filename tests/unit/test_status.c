/*
 * Status transitions and the status view.
 */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dg_status.h"
#include "unit.h"


static void
final_statuses_never_move(void)
{
    int  s, to;
    int  finals[] = { 3, 7, 8, 10 };

    for (s = 0; s < 4; s++) {
        CU_ASSERT_TRUE(dg_status_final(finals[s]));

        for (to = DG_STATUS_MIN; to <= DG_STATUS_MAX; to++) {
            CU_ASSERT_FALSE(dg_status_allowed(finals[s], to));
        }
    }

    CU_ASSERT_FALSE(dg_status_final(1));
    CU_ASSERT_FALSE(dg_status_final(9));
}


static void
allowed_moves(void)
{
    CU_ASSERT_TRUE(dg_status_allowed(1, 2));
    CU_ASSERT_TRUE(dg_status_allowed(1, 3));
    CU_ASSERT_TRUE(dg_status_allowed(2, 4));
    CU_ASSERT_TRUE(dg_status_allowed(4, 4));
    CU_ASSERT_TRUE(dg_status_allowed(4, 9));
    CU_ASSERT_TRUE(dg_status_allowed(5, 4));
    CU_ASSERT_TRUE(dg_status_allowed(9, 10));
    /* forward, skipping steps: received and processed in one go, the
     * result returned at once */
    CU_ASSERT_TRUE(dg_status_allowed(1, 4));
    CU_ASSERT_TRUE(dg_status_allowed(1, 9));
    CU_ASSERT_TRUE(dg_status_allowed(1, 10));
    CU_ASSERT_TRUE(dg_status_allowed(4, 10));
    CU_ASSERT_TRUE(dg_status_allowed(6, 5));

    /* resolved goes only to "result returned" */
    CU_ASSERT_FALSE(dg_status_allowed(9, 4));
    CU_ASSERT_FALSE(dg_status_allowed(9, 9));
    /* another record of the same status: a note */
    CU_ASSERT_TRUE(dg_status_allowed(1, 1));
    CU_ASSERT_TRUE(dg_status_allowed(2, 2));

    /* never back to new or received, never refused once received */
    CU_ASSERT_FALSE(dg_status_allowed(4, 1));
    CU_ASSERT_FALSE(dg_status_allowed(4, 2));
    CU_ASSERT_FALSE(dg_status_allowed(2, 1));
    CU_ASSERT_FALSE(dg_status_allowed(2, 3));
    /* out of range */
    CU_ASSERT_FALSE(dg_status_allowed(0, 2));
    CU_ASSERT_FALSE(dg_status_allowed(2, 11));
    CU_ASSERT_FALSE(dg_status_allowed(-1, 2));
}


static void
sources_array(void)
{
    char  buf[32];

    CU_ASSERT_EQUAL(dg_status_sources(10, buf, sizeof(buf)), 6);
    CU_ASSERT_STRING_EQUAL(buf, "{1,2,4,5,6,9}");

    CU_ASSERT_EQUAL(dg_status_sources(4, buf, sizeof(buf)), 5);
    CU_ASSERT_STRING_EQUAL(buf, "{1,2,4,5,6}");

    CU_ASSERT_EQUAL(dg_status_sources(2, buf, sizeof(buf)), 2);
    CU_ASSERT_STRING_EQUAL(buf, "{1,2}");

    /* nothing moves back to "new": a new dossier only stays new */
    CU_ASSERT_EQUAL(dg_status_sources(1, buf, sizeof(buf)), 1);
    CU_ASSERT_STRING_EQUAL(buf, "{1}");
}


static void
status_view(void)
{
    char         *text;
    json_t       *o;
    dg_status_t   s = {
        .ma_ho_so = "HP-1", .ma_tthc = "1.001776", .ma_linh_vuc = "BTXH",
        .owner = "031185001234", .trang_thai = 4, .version = 2,
        /* 2026-11-24 09:30:00 +07:00 */
        .ngay_tiep_nhan = 1795487400,
        .ngay_hen_tra = 1795487400 + 14 * 86400,
        .ngay_tra = 0,
        .received_at = 1795487401, .updated_at = 1795487500
    };

    text = dg_status_json(&s, DG_STATUS_VIEW_LOOKUP);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    o = json_loads(text, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);

    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "MaHoSo")),
                           "HP-1");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "TrangThaiHoSo")),
                    4);
    CU_ASSERT_STRING_EQUAL(json_string_value(
                               json_object_get(o, "NgayTiepNhan")),
                           "20261124093000");
    CU_ASSERT_STRING_EQUAL(json_string_value(
                               json_object_get(o, "received_at")),
                           "2026-11-24T09:30:01+07:00");
    CU_ASSERT_PTR_NULL(json_object_get(o, "NgayTra"));
    /* the applicant's ID is for access checks, never shown */
    CU_ASSERT_PTR_NULL(strstr(text, "031185001234"));
    json_decref(o);
    free(text);

    s.ngay_tra = 1795487400 + 86400;
    text = dg_status_json(&s, DG_STATUS_VIEW_LOOKUP);
    o = json_loads(text, 0, NULL);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "NgayTra")),
                           "20261125093000");
    json_decref(o);
    free(text);
}


/* The 201 and the 200 of a retry render from the same status. */
static void
accepted_view(void)
{
    char         *text;
    dg_status_t   s = {
        .id = 17, .ma_ho_so = "HP-1", .ma_tthc = "1.001776",
        .ma_linh_vuc = "BTXH", .owner = "031185001234", .trang_thai = 1,
        .received_at = 1795487401
    };

    text = dg_status_json(&s, DG_STATUS_VIEW_ACCEPTED);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "{\"id\":17,\"MaHoSo\":\"HP-1\","
                           "\"status\":\"accepted\","
                           "\"received_at\":\"2026-11-24T09:30:01+07:00\"}");
    free(text);
}


static CU_TestInfo  tests[] = {
    { "accepted view (201, 200)", accepted_view },
    { "final statuses never move", final_statuses_never_move },
    { "allowed and refused moves", allowed_moves },
    { "sources as a PostgreSQL array", sources_array },
    { "status view", status_view },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(status, tests)
