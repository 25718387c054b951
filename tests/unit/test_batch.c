/*
 * The batch body (CONTRACT.md section 6): refusals of the whole batch,
 * items as submissions with absolute pointers, and the per-item results.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_batch.h"
#include "unit.h"


/* 2026-11-24 10:00:00 +07:00 */
#define NOW  ((time_t) 1795489200)

#define ITEM(code, id)                                                      \
    "{\"MaHoSo\":\"" code "\",\"MaTTHC\":\"2.000815\",\"MaLinhVuc\":\"CT\"," \
    "\"KenhThucHien\":2,\"ChuHoSo\":\"Nguyễn Thị Lan\",\"LoaiDoiTuong\":1,"  \
    "\"SoGiayToChuHoSo\":\"" id "\","                                        \
    "\"NgayTiepNhan\":\"20261124093000\",\"NgayHenTra\":\"20261208170000\"," \
    "\"TrangThaiHoSo\":1}"


static void
refused_whole(const char *body, int status, const char *pointer,
    const char *code)
{
    dg_batch_t  b;

    dg_batch_init(&b);

    CU_ASSERT_EQUAL(dg_batch_parse(&b, body, strlen(body)), -1);
    CU_ASSERT_EQUAL(b.status, status);
    CU_ASSERT_PTR_NOT_NULL(b.title);
    CU_ASSERT_EQUAL(b.n, 0);
    CU_ASSERT_EQUAL_FATAL(b.problems.n, 1);
    CU_ASSERT_STRING_EQUAL(b.problems.items[0].pointer, pointer);
    CU_ASSERT_STRING_EQUAL(b.problems.items[0].code, code);

    dg_batch_free(&b);
}


/* "data" with n copies of one item; malloc'ed */
static char *
batch_of(size_t n, const char *item)
{
    char    *body, *p;
    size_t   i, len;

    len = strlen(item);
    body = malloc(16 + n * (len + 1));
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);

    p = body + sprintf(body, "{\"data\":[");
    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = ',';
        }

        memcpy(p, item, len);
        p += len;
    }

    strcpy(p, "]}");

    return body;
}


static void
whole_batch_refusals(void)
{
    char    *body, deep[256];
    size_t   i;

    refused_whole("{\"data\": [", 400, "", "json.syntax");
    refused_whole("", 400, "", "json.syntax");
    refused_whole("{\"data\":[],\"data\":[]}", 400, "", "json.duplicate_key");
    refused_whole("[{}]", 422, "", "type");
    refused_whole("{}", 422, "/data", "batch.size");
    refused_whole("{\"data\":{}}", 422, "/data", "batch.size");
    refused_whole("{\"data\":[]}", 422, "/data", "batch.size");

    body = batch_of(101, "{}");
    refused_whole(body, 422, "/data", "batch.size");
    free(body);

    /* an item may nest as deep as a dossier alone (32 levels), no more */
    i = (size_t) sprintf(deep, "{\"data\":[{\"a\":");
    memset(deep + i, '[', 31);
    memset(deep + i + 31, ']', 31);
    strcpy(deep + i + 62, "}]}");
    body = strdup(deep);
    {
        dg_batch_t  b;

        dg_batch_init(&b);
        CU_ASSERT_EQUAL(dg_batch_parse(&b, body, strlen(body)), 0);
        CU_ASSERT_EQUAL(b.n, 1);
        dg_batch_free(&b);
    }
    free(body);

    i = (size_t) sprintf(deep, "{\"data\":[{\"a\":");
    memset(deep + i, '[', 32);
    memset(deep + i + 32, ']', 32);
    strcpy(deep + i + 64, "}]}");
    refused_whole(deep, 400, "", "json.depth");
}


static void
items_are_submissions(void)
{
    char          *body;
    dg_batch_t     b;
    dg_catalog_t  *cat;

    cat = dg_catalog_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "2.000815", "CT"), 0);

    body = batch_of(100, ITEM("HP-1", "099185001234"));
    dg_batch_init(&b);
    CU_ASSERT_EQUAL_FATAL(dg_batch_parse(&b, body, strlen(body)), 0);
    CU_ASSERT_EQUAL_FATAL(b.n, 100);

    CU_ASSERT_EQUAL(b.items[0].sub.stage, DG_SUBMISSION_PARSED);
    CU_ASSERT_STRING_EQUAL(b.items[99].pointer, "/data/99");

    CU_ASSERT_EQUAL(dg_submission_validate(&b.items[37].sub, NOW, cat), -1);
    CU_ASSERT_EQUAL(b.items[37].sub.status, 422);
    CU_ASSERT_EQUAL_FATAL(b.items[37].sub.problems.n, 1);
    CU_ASSERT_STRING_EQUAL(b.items[37].sub.problems.items[0].pointer,
                           "/data/37/SoGiayToChuHoSo");

    /* an item that is no object is judged as a dossier alone would be */
    dg_batch_free(&b);
    free(body);

    body = strdup("{\"data\":[7]}");
    dg_batch_init(&b);
    CU_ASSERT_EQUAL_FATAL(dg_batch_parse(&b, body, strlen(body)), 0);
    CU_ASSERT_EQUAL(dg_submission_validate(&b.items[0].sub, NOW, cat), -1);
    CU_ASSERT_EQUAL_FATAL(b.items[0].sub.problems.n, 1);
    CU_ASSERT_STRING_EQUAL(b.items[0].sub.problems.items[0].pointer,
                           "/data/0");
    CU_ASSERT_STRING_EQUAL(b.items[0].sub.problems.items[0].code, "type");

    dg_batch_free(&b);
    free(body);
    dg_catalog_free(cat);
}


static void
results_in_order(void)
{
    char             *body, *out;
    size_t            i;
    json_t           *root, *results, *r, *e;
    dg_batch_t        b;
    dg_caller_t       caller = { DG_CALLER_OPEN, "anonymous", NULL, "" };
    dg_catalog_t     *cat;
    dg_submission_t  *s;

    cat = dg_catalog_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "2.000815", "CT"), 0);

    body = strdup("{\"data\":[" ITEM("HP-1", "031185001234") ","
                  ITEM("HP-2", "099185001234") "," ITEM("HP-1", "031185001234")
                  ",{\"a\":1}," ITEM("HP-5", "031185001234") "]}");
    dg_batch_init(&b);
    CU_ASSERT_EQUAL_FATAL(dg_batch_parse(&b, body, strlen(body)), 0);
    CU_ASSERT_EQUAL_FATAL(b.n, 5);

    for (i = 0; i < b.n; i++) {
        s = &b.items[i].sub;
        (void) dg_submission_validate(s, NOW, cat);
        (void) dg_submission_check(s, NULL, NOW);
        (void) dg_submission_allow(s, &caller);
        (void) dg_submission_prepare(s, &caller, NULL);
    }

    CU_ASSERT_EQUAL(dg_submission_stored(&b.items[0].sub, 1, 17), 0);
    CU_ASSERT_EQUAL(dg_submission_stored(&b.items[2].sub, 0, 17), 0);
    /* item 4 left READY: never answered by the store */

    out = dg_batch_results_json(&b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);

    /* the keys in the contract's order */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"results\":[{\"index\":0,"
                                       "\"status\":201,\"id\":17,"
                                       "\"MaHoSo\":\"HP-1\"}"));

    root = json_loads(out, 0, NULL);
    results = json_object_get(root, "results");
    CU_ASSERT_EQUAL_FATAL(json_array_size(results), 5);

    for (i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(json_integer_value(json_object_get(
                            json_array_get(results, i), "index")), (int) i);
    }

    r = json_array_get(results, 1);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "status")), 422);
    CU_ASSERT_PTR_NULL(json_object_get(r, "id"));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "MaHoSo")),
                           "HP-2");
    e = json_array_get(json_object_get(r, "errors"), 0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "pointer")),
                           "/data/1/SoGiayToChuHoSo");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "code")),
                           "cccd.province");
    CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(
                               json_object_get(e, "message")), " / "));

    r = json_array_get(results, 2);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "status")), 200);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 17);

    /* no MaHoSo: none in the result */
    r = json_array_get(results, 3);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "status")), 422);
    CU_ASSERT_PTR_NULL(json_object_get(r, "MaHoSo"));

    r = json_array_get(results, 4);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "status")), 500);
    e = json_array_get(json_object_get(r, "errors"), 0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "pointer")),
                           "/data/4");

    json_decref(root);
    free(out);
    dg_batch_free(&b);
    free(body);
    dg_catalog_free(cat);
}


static CU_TestInfo  tests[] = {
    { "whole-batch refusals: 400, 422 type, 422 batch.size",
      whole_batch_refusals },
    { "items: submissions at /data/N", items_are_submissions },
    { "results: one per item, in order", results_in_order },
    CU_TEST_INFO_NULL
};


DG_UNIT_SUITE(batch, tests)
