/*
 * CONTRACT.md 1.1 section 4 through real nginx and PostgreSQL: a MaHoSo
 * belongs to the caller that stored it first (another caller's identical
 * dossier is a 409 that tells nothing about the stored one), and a
 * progress record posted again is answered 200 with the current view and
 * leaves no second history row or feed item.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest.h"
#include "unit.h"


static long
submit_body(const char *json, itest_response_t *res)
{
    itest_submit(res, json);

    return res->status;
}


static void
another_owner_is_a_conflict(void)
{
    char              *json, *token, code[64], citizen[16];
    json_t            *d;
    itest_response_t   res;

    snprintf(code, sizeof(code), "%s", itest_unique("HP-OW"));
    d = itest_dossier(code);
    json = itest_dump(d);
    snprintf(citizen, sizeof(citizen), "%s",
             json_string_value(json_object_get(d, "SoGiayToChuHoSo")));

    CU_ASSERT_EQUAL(submit_body(json, &res), 201);
    itest_response_free(&res);

    /* the owner's retry is a retry */
    CU_ASSERT_EQUAL(submit_body(json, &res), 200);
    itest_response_free(&res);

    /* the same bytes from another client: 409, and nothing about it */
    itest_as_client("loadtest", "loadtest-secret");
    CU_ASSERT_EQUAL(submit_body(json, &res), 409);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "conflict"));
    CU_ASSERT_PTR_NULL(strstr(res.body, "\"id\""));
    CU_ASSERT_PTR_NULL(strstr(res.body, "BTXH"));
    CU_ASSERT_PTR_NULL(strstr(res.body, "received_at"));
    /* not even a claim about its content ("different", it is not) */
    CU_ASSERT_PTR_NULL(strstr(res.body, "content"));
    CU_ASSERT_PTR_NULL(itest_header(&res, "location"));
    itest_response_free(&res);
    itest_as_client("demo-portal", "demo-portal-secret");

    /* nor from the citizen the dossier is about, who may not claim the
     * code at all */
    token = itest_vneid_token(citizen, NULL);
    itest_as_citizen(token);
    CU_ASSERT_EQUAL(submit_body(json, &res), 403);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.code_prefix"));
    CU_ASSERT_PTR_NULL(strstr(res.body, "\"id\""));
    itest_response_free(&res);
    itest_as_client("demo-portal", "demo-portal-secret");

    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers WHERE "
                                   "ma_ho_so = $1 AND owner = 'demo-portal'",
                                   code), 1);

    free(token);
    free(json);
    json_decref(d);
}


static void
citizen_owns_their_code(void)
{
    char              *json, *token, code[64], citizen[16];
    json_t            *d;
    itest_response_t   res;

    d = itest_dossier("x");
    snprintf(citizen, sizeof(citizen), "%s",
             json_string_value(json_object_get(d, "SoGiayToChuHoSo")));
    snprintf(code, sizeof(code), "VNEID-%s-%ld", citizen, (long) time(NULL));
    json_object_set_new(d, "MaHoSo", json_string(code));
    json = itest_dump(d);

    token = itest_vneid_token(citizen, NULL);
    itest_as_citizen(token);
    CU_ASSERT_EQUAL(submit_body(json, &res), 201);
    itest_response_free(&res);
    CU_ASSERT_EQUAL(submit_body(json, &res), 200);
    itest_response_free(&res);
    itest_as_client("demo-portal", "demo-portal-secret");

    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers WHERE "
                                   "ma_ho_so = $1 AND owner = 'vneid:' || "
                                   "so_giay_to", code), 1);

    /* the portal cannot take it over, even with the stamped copy */
    json_object_set_new(d, "TaiKhoanDuocXacThucVoiVNeID", json_integer(1));
    free(json);
    json = itest_dump(d);
    CU_ASSERT_EQUAL(submit_body(json, &res), 409);
    CU_ASSERT_PTR_NULL(strstr(res.body, "\"id\""));
    itest_response_free(&res);

    free(token);
    free(json);
    json_decref(d);
}


static long
post(const char *code, const char *record, itest_response_t *res)
{
    char  path[256];

    snprintf(path, sizeof(path), "/v1/dossiers/%s/progress", code);
    itest_http(res, "POST", path, record, strlen(record),
               (const char *const[]) { "Content-Type: application/json",
                                       NULL });

    return res->status;
}


static long
history(const char *code)
{
    return itest_sql_long("SELECT count(*) FROM dossier_progress p JOIN "
                          "dossiers d ON d.id = p.dossier_id WHERE "
                          "d.ma_ho_so = $1", code);
}


static long
feed_items(const char *code)
{
    return itest_sql_long("SELECT count(*) FROM dossier_feed f JOIN "
                          "dossiers d ON d.id = f.dossier_id WHERE "
                          "d.ma_ho_so = $1", code);
}


static void
progress_retries(void)
{
    char              *json, code[64], r2[256], r4[256], r4b[256],
                      r4again[256], at[16];
    char              *first;
    json_t            *d;
    time_t             t;
    struct tm          tm;
    itest_response_t   res;

    snprintf(code, sizeof(code), "%s", itest_unique("HP-RT"));
    d = itest_dossier(code);
    json = itest_dump(d);
    CU_ASSERT_EQUAL(submit_body(json, &res), 201);
    itest_response_free(&res);

    t = time(NULL) + 7 * 3600 - 120;
    gmtime_r(&t, &tm);
    strftime(at, sizeof(at), "%Y%m%d%H%M%S", &tm);

    snprintf(r2, sizeof(r2), "{\"TrangThaiHoSo\":2,\"ThoiDiemXuLy\":\"%s\","
             "\"NoiDungXuLy\":\"Tiếp nhận\",\"PhongBanXuLy\":\"Một cửa\"}",
             at);
    snprintf(r4, sizeof(r4), "{\"TrangThaiHoSo\":4,\"ThoiDiemXuLy\":\"%s\","
             "\"NoiDungXuLy\":\"Thẩm định\"}", at);
    /* the same record, other key order and spacing */
    snprintf(r4again, sizeof(r4again), "{ \"NoiDungXuLy\": \"Thẩm định\", "
             "\"ThoiDiemXuLy\": \"%s\", \"TrangThaiHoSo\": 4 }", at);
    snprintf(r4b, sizeof(r4b), "{\"TrangThaiHoSo\":4,\"ThoiDiemXuLy\":\"%s\","
             "\"NoiDungXuLy\":\"Thẩm định lần 2\"}", at);

    CU_ASSERT_EQUAL(post(code, r2, &res), 200);
    first = strdup(res.body);
    itest_response_free(&res);

    /* posted again: 200, the same view, nothing written */
    CU_ASSERT_EQUAL(post(code, r2, &res), 200);
    CU_ASSERT_STRING_EQUAL(res.body, first);
    itest_response_free(&res);
    CU_ASSERT_EQUAL(history(code), 1);
    CU_ASSERT_EQUAL(feed_items(code), 2);

    CU_ASSERT_EQUAL(post(code, r4, &res), 200);
    itest_response_free(&res);
    CU_ASSERT_EQUAL(post(code, r4again, &res), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.body, "\"TrangThaiHoSo\":4"));
    itest_response_free(&res);
    CU_ASSERT_EQUAL(history(code), 2);
    CU_ASSERT_EQUAL(feed_items(code), 3);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT version FROM dossiers WHERE "
                                   "ma_ho_so = $1", code), 3);

    /* another record of the same status is a new step (4 -> 4) */
    CU_ASSERT_EQUAL(post(code, r4b, &res), 200);
    itest_response_free(&res);
    CU_ASSERT_EQUAL(history(code), 3);

    /* an older record is not the last one applied: a move, refused */
    CU_ASSERT_EQUAL(post(code, r2, &res), 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/TrangThaiHoSo", "transition"));
    itest_response_free(&res);
    CU_ASSERT_EQUAL(post(code, r4, &res), 200);
    itest_response_free(&res);
    CU_ASSERT_EQUAL(history(code), 4);
    CU_ASSERT_EQUAL(feed_items(code), 5);

    free(first);
    free(json);
    json_decref(d);
}


/* A final status posted again is still 200, not a refused move. */
static void
final_status_retry(void)
{
    char              *json, code[64], r9[256], r10[256], at[16];
    json_t            *d;
    time_t             t;
    struct tm          tm;
    itest_response_t   res;

    snprintf(code, sizeof(code), "%s", itest_unique("HP-RF"));
    d = itest_dossier(code);
    json = itest_dump(d);
    CU_ASSERT_EQUAL(submit_body(json, &res), 201);
    itest_response_free(&res);

    t = time(NULL) + 7 * 3600 - 60;
    gmtime_r(&t, &tm);
    strftime(at, sizeof(at), "%Y%m%d%H%M%S", &tm);

    snprintf(r9, sizeof(r9), "{\"TrangThaiHoSo\":2,\"ThoiDiemXuLy\":\"%s\"}",
             at);
    CU_ASSERT_EQUAL(post(code, r9, &res), 200);
    itest_response_free(&res);
    snprintf(r9, sizeof(r9), "{\"TrangThaiHoSo\":9,\"ThoiDiemXuLy\":\"%s\"}",
             at);
    CU_ASSERT_EQUAL(post(code, r9, &res), 200);
    itest_response_free(&res);
    snprintf(r10, sizeof(r10), "{\"TrangThaiHoSo\":10,\"ThoiDiemXuLy\":"
             "\"%s\",\"NgayTra\":\"%s\"}", at, at);
    CU_ASSERT_EQUAL(post(code, r10, &res), 200);
    itest_response_free(&res);

    CU_ASSERT_EQUAL(post(code, r10, &res), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.body, "\"TrangThaiHoSo\":10"));
    itest_response_free(&res);
    CU_ASSERT_EQUAL(history(code), 3);

    free(json);
    json_decref(d);
}


static CU_TestInfo  tests[] = {
    { "another caller's same MaHoSo: 409, nothing told",
      another_owner_is_a_conflict },
    { "a citizen's VNEID- code stays theirs", citizen_owns_their_code },
    { "progress posted again: 200, no second row", progress_retries },
    { "a final status posted again: 200", final_status_retry },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(owner, tests)
