/*
 * POST /v1/dossiers/batch (CONTRACT.md section 6) through real nginx,
 * PostgreSQL and Redis: each item judged alone, refusals of the whole
 * batch, storage down, limits and grants per item, admission per item.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "unit.h"


#define BATCH_PATH  "/v1/dossiers/batch"
#define ROWS_SQL    "SELECT count(*) FROM dossiers WHERE ma_ho_so = $1"
#define LIKE_SQL    "SELECT count(*) FROM dossiers WHERE ma_ho_so LIKE $1"
#define ID_SQL      "SELECT id FROM dossiers WHERE ma_ho_so = $1"


/* POSTs {"data": items} (a reference is taken); the results array of a
 * 200, or NULL (*res holds the answer either way). */
static json_t *
post_batch(itest_response_t *res, json_t *items)
{
    char                     *body;
    json_t                   *root, *results;
    static const char *const  headers[] = {
        "Content-Type: application/json", NULL
    };

    root = json_pack("{s:O}", "data", items);
    body = itest_dump(root);
    json_decref(root);

    CU_ASSERT_EQUAL_FATAL(itest_http(res, "POST", BATCH_PATH, body,
                                     strlen(body), headers), 0);
    free(body);

    if (res->status != 200) {
        return NULL;
    }

    root = json_loads(res->body, 0, NULL);
    results = json_incref(json_object_get(root, "results"));
    json_decref(root);

    CU_ASSERT_TRUE(json_is_array(results));
    CU_ASSERT_EQUAL(json_array_size(results), json_array_size(items));

    return results;
}


static long
item_status(json_t *results, size_t i)
{
    return (long) json_integer_value(json_object_get(
                      json_array_get(results, i), "status"));
}


static long
item_id(json_t *results, size_t i)
{
    return (long) json_integer_value(json_object_get(
                      json_array_get(results, i), "id"));
}


/* Does item i's result list (pointer, code)? */
static int
item_has_problem(json_t *results, size_t i, const char *pointer,
    const char *code)
{
    size_t       k;
    json_t      *e;
    const char  *p, *c;

    json_array_foreach(json_object_get(json_array_get(results, i), "errors"),
                       k, e)
    {
        p = json_string_value(json_object_get(e, "pointer"));
        c = json_string_value(json_object_get(e, "code"));

        if (p && c && strcmp(p, pointer) == 0 && strcmp(c, code) == 0) {
            return 1;
        }
    }

    fprintf(stderr, "\n  expected problem %s %s in item %zu\n", pointer,
            code, i);

    return 0;
}


static const char *
code_of(json_t *d)
{
    return json_string_value(json_object_get(d, "MaHoSo"));
}


/* A CT dossier (no sector plugin), unique by code. */
static json_t *
ct_dossier(const char *code)
{
    json_t  *d;

    d = itest_dossier(code);
    json_object_set_new(d, "MaTTHC", json_string("2.000815"));
    json_object_set_new(d, "MaLinhVuc", json_string("CT"));
    json_object_del(d, "DuLieuChuyenNganh");

    return d;
}


/*
 * The contract's mixed batch: valid, invalid, the first again (identical),
 * the first changed, valid: 201, 422, 200 with the first id, 409, 201.
 * The rows are exactly the 201s; the whole batch again is a retry.
 */
static void
mixed_batch(void)
{
    int               state;
    long              id0, id4;
    char              prefix[64], like[80];
    const char       *code;
    json_t           *items, *a, *changed, *results;
    itest_response_t  res;

    snprintf(prefix, sizeof(prefix), "%s", itest_unique("HP-BM"));
    snprintf(like, sizeof(like), "%s-%%", prefix);

    a = itest_dossier("HP-X");
    json_object_set_new(a, "MaHoSo", json_sprintf("%s-A", prefix));
    changed = json_deep_copy(a);
    json_object_set_new(changed, "TrichYeuHoSo", json_string("khác / other"));

    items = json_array();
    json_array_append(items, a);
    json_array_append_new(items, itest_dossier("HP-X"));
    json_object_set_new(json_array_get(items, 1), "MaHoSo",
                        json_sprintf("%s-B", prefix));
    json_object_set_new(json_array_get(items, 1), "SoGiayToChuHoSo",
                        json_string("099185001234"));
    json_array_append(items, a);
    json_array_append_new(items, changed);
    json_array_append_new(items, itest_dossier("HP-X"));
    json_object_set_new(json_array_get(items, 4), "MaHoSo",
                        json_sprintf("%s-E", prefix));

    /* unknown: a negative entry in the cache, older than the batch */
    code = code_of(json_array_get(items, 4));
    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 404);

    results = post_batch(&res, items);
    CU_ASSERT_EQUAL_FATAL(res.status, 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(results);

    CU_ASSERT_EQUAL(item_status(results, 0), 201);
    CU_ASSERT_EQUAL(item_status(results, 1), 422);
    CU_ASSERT_EQUAL(item_status(results, 2), 200);
    CU_ASSERT_EQUAL(item_status(results, 3), 409);
    CU_ASSERT_EQUAL(item_status(results, 4), 201);

    id0 = item_id(results, 0);
    id4 = item_id(results, 4);
    CU_ASSERT_TRUE(id0 > 0 && id4 > 0 && id0 != id4);
    CU_ASSERT_EQUAL(item_id(results, 2), id0);
    CU_ASSERT_PTR_NULL(json_object_get(json_array_get(results, 3), "id"));

    CU_ASSERT_TRUE(item_has_problem(results, 1, "/data/1/SoGiayToChuHoSo",
                                    "cccd.province"));
    CU_ASSERT_TRUE(item_has_problem(results, 3, "/data/3", "conflict"));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
                               json_array_get(results, 3), "MaHoSo")),
                           code_of(a));
    json_decref(results);

    /* committed before the answer: exactly the 201s, under their ids */
    CU_ASSERT_EQUAL(itest_sql_long(LIKE_SQL, like), 2);
    CU_ASSERT_EQUAL(itest_sql_long(ID_SQL, code_of(a)), id0);
    CU_ASSERT_EQUAL(itest_sql_long(ID_SQL, code_of(json_array_get(items, 4))),
                    id4);

    /* marked in the cache (the negative entry gone), not written: a
     * lookup right after the answer reads PostgreSQL and leaves the entry
     * to after the mark */
    CU_ASSERT_EQUAL(itest_cache_mark(code), 1);
    CU_ASSERT_EQUAL(itest_cache_idle(code), -1);
    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
    CU_ASSERT_EQUAL(state, 1);
    CU_ASSERT_EQUAL(itest_cache_idle(code), -1);
    /* no item to send again later */
    CU_ASSERT_PTR_NULL(itest_header(&res, "retry-after"));
    itest_response_free(&res);

    /* the same batch again: each item a retry of what it was */
    results = post_batch(&res, items);
    CU_ASSERT_EQUAL_FATAL(res.status, 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(results);
    CU_ASSERT_EQUAL(item_status(results, 0), 200);
    CU_ASSERT_EQUAL(item_status(results, 1), 422);
    CU_ASSERT_EQUAL(item_status(results, 2), 200);
    CU_ASSERT_EQUAL(item_status(results, 3), 409);
    CU_ASSERT_EQUAL(item_status(results, 4), 200);
    CU_ASSERT_EQUAL(item_id(results, 0), id0);
    CU_ASSERT_EQUAL(item_id(results, 4), id4);
    CU_ASSERT_EQUAL(itest_sql_long(LIKE_SQL, like), 2);

    json_decref(results);
    itest_response_free(&res);
    json_decref(items);
    json_decref(a);
}


static void
expect_refused(const char *body, size_t len, long status,
    const char *pointer, const char *code)
{
    char                     *type;
    itest_response_t          res;
    static const char *const  headers[] = {
        "Content-Type: application/json", NULL
    };

    CU_ASSERT_EQUAL_FATAL(itest_http(&res, "POST", BATCH_PATH, body, len,
                                     headers), 0);
    CU_ASSERT_EQUAL(res.status, status);

    type = itest_header(&res, "content-type");
    CU_ASSERT_TRUE(type && strcmp(type, "application/problem+json") == 0);
    CU_ASSERT_TRUE(itest_has_problem(&res, pointer, code));

    free(type);
    itest_response_free(&res);
}


/* 1 to 100 items, else 422 at /data (batch.size); not JSON 400; nothing
 * of a refused batch is stored. */
static void
whole_batch_refused(void)
{
    int               i;
    char             *body, prefix[64], like[80], code[96];
    json_t           *items, *root;
    itest_response_t  res;

    snprintf(prefix, sizeof(prefix), "%s", itest_unique("HP-BS"));
    snprintf(like, sizeof(like), "%s-%%", prefix);

    items = json_array();
    for (i = 0; i < 101; i++) {
        snprintf(code, sizeof(code), "%s-%03d", prefix, i);
        json_array_append_new(items, itest_dossier(code));
    }

    root = json_pack("{s:O}", "data", items);
    body = itest_dump(root);
    expect_refused(body, strlen(body), 422, "/data", "batch.size");
    CU_ASSERT_EQUAL(itest_sql_long(LIKE_SQL, like), 0);
    free(body);
    json_decref(root);

    /* 100 are fine */
    json_array_remove(items, 100);
    post_batch(&res, items);
    CU_ASSERT_EQUAL(res.status, 200);
    itest_response_free(&res);
    CU_ASSERT_EQUAL(itest_sql_long(LIKE_SQL, like), 100);
    json_decref(items);

    expect_refused("{\"data\":[]}", 11, 422, "/data", "batch.size");
    expect_refused("{\"items\":[{}]}", 14, 422, "/data", "batch.size");
    expect_refused("[{}]", 4, 422, "", "type");
    expect_refused("{\"data\":[{\"MaHoSo\":", 19, 400, "", "json.syntax");
    expect_refused("{\"data\":[{\"a\":1,\"a\":2}]}", 25, 400, "",
                   "json.duplicate_key");

    itest_http(&res, "GET", BATCH_PATH, NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 405);
    itest_response_free(&res);

    itest_http(&res, "POST", BATCH_PATH, "{\"data\":[{}]}", 13, NULL);
    CU_ASSERT_EQUAL(res.status, 415);
    itest_response_free(&res);
}


/* The batch body limit (8 MiB) is not a single dossier's (1 MiB): 100
 * dossiers of 20 kB each pass; above 8 MiB is 413. */
static void
batch_body_limit(void)
{
    int                       i;
    char                     *note, *big, *json, prefix[64], like[80];
    char                      code[96];
    size_t                    len;
    json_t                   *items, *results, *root;
    itest_response_t          res;
    static const char *const  chunked[] = {
        "Content-Type: application/json", "Transfer-Encoding: chunked", NULL
    };

    snprintf(prefix, sizeof(prefix), "%s", itest_unique("HP-BL"));
    snprintf(like, sizeof(like), "%s-%%", prefix);

    note = malloc(20001);
    CU_ASSERT_PTR_NOT_NULL_FATAL(note);
    memset(note, 'x', 20000);
    note[20000] = '\0';

    items = json_array();
    for (i = 0; i < 100; i++) {
        snprintf(code, sizeof(code), "%s-%03d", prefix, i);
        json_array_append_new(items, ct_dossier(code));
        /* unknown fields are kept */
        json_object_set_new(json_array_get(items, i), "GhiChuNoiBo",
                            json_string(note));
    }

    results = post_batch(&res, items);
    CU_ASSERT_EQUAL(res.status, 200);
    CU_ASSERT_TRUE(res.len < 64 * 1024);
    for (i = 0; results && i < 100; i++) {
        CU_ASSERT_EQUAL(item_status(results, i), 201);
    }

    json_decref(results);
    itest_response_free(&res);
    CU_ASSERT_EQUAL(itest_sql_long(LIKE_SQL, like), 100);

    big = malloc(8 * 1024 * 1024 + 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memset(big, ' ', 8 * 1024 * 1024 + 1);
    big[0] = '{';
    big[8 * 1024 * 1024] = '}';
    expect_refused(big, 8 * 1024 * 1024 + 1, 413, "", "body.too_large");

    /* chunked, without Content-Length: the batch's limit, not 1 MiB */
    itest_http(&res, "POST", BATCH_PATH, big, 8 * 1024 * 1024 + 1, chunked);
    CU_ASSERT_EQUAL(res.status, 413);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "body.too_large"));
    itest_response_free(&res);

    snprintf(code, sizeof(code), "%s-chunked", prefix);
    root = json_pack("{s:[o]}", "data", ct_dossier(code));
    json = itest_dump(root);
    len = strlen(json);
    memcpy(big, json, len);                 /* then 2 MiB of white space */
    itest_http(&res, "POST", BATCH_PATH, big, len + 2 * 1024 * 1024,
               chunked);
    CU_ASSERT_EQUAL(res.status, 200);
    itest_response_free(&res);
    CU_ASSERT_EQUAL(itest_sql_long(ROWS_SQL, code), 1);

    free(json);
    json_decref(root);
    free(big);
    free(note);
    json_decref(items);
}


/* PostgreSQL stopped: the whole batch is 503 with Retry-After, nothing
 * stored; back: every item 201. */
static void
storage_down(void)
{
    int               i, ok;
    char             *retry, prefix[64], like[80], code[96];
    json_t           *items, *results;
    itest_response_t  res;
    struct timespec   pause = { 0, 200 * 1000 * 1000 };

    snprintf(prefix, sizeof(prefix), "%s", itest_unique("HP-BD"));
    snprintf(like, sizeof(like), "%s-%%", prefix);

    items = json_array();
    for (i = 0; i < 3; i++) {
        snprintf(code, sizeof(code), "%s-%d", prefix, i);
        json_array_append_new(items, itest_dossier(code));
    }

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("pg-stop"), 0);

    results = post_batch(&res, items);
    CU_ASSERT_EQUAL(res.status, 503);
    CU_ASSERT_PTR_NULL(results);
    retry = itest_header(&res, "retry-after");
    CU_ASSERT_TRUE(retry && atoi(retry) >= 1);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "storage.unavailable"));
    free(retry);
    itest_response_free(&res);

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("pg-start"), 0);
    CU_ASSERT_EQUAL(itest_sql_long(LIKE_SQL, like), 0);

    /* the workers reconnect with backoff (2 s at most) */
    ok = 0;
    for (i = 0; i < 75 && !ok; i++) {
        results = post_batch(&res, items);
        ok = res.status == 200;
        itest_response_free(&res);

        if (ok) {
            CU_ASSERT_EQUAL(item_status(results, 0), 201);
            CU_ASSERT_EQUAL(item_status(results, 1), 201);
            CU_ASSERT_EQUAL(item_status(results, 2), 201);
            json_decref(results);

        } else {
            nanosleep(&pause, NULL);
        }
    }

    CU_ASSERT_TRUE(ok);
    CU_ASSERT_EQUAL(itest_sql_long(LIKE_SQL, like), 3);

    json_decref(items);
}


/* n dossiers of one citizen born in year (19yy: a code of its own, no
 * other test's), codes prefix-NN. */
static json_t *
one_citizen(int n, const char *prefix, int yy, char *citizen)
{
    int      i;
    char     code[96], born[16];
    json_t  *items, *d, *who;

    snprintf(citizen, 16, "0311%02d%06d", yy,
             (int) ((getpid() * 31 + time(NULL)) % 1000000));
    snprintf(born, sizeof(born), "19%02d0312", yy);

    items = json_array();
    for (i = 0; i < n; i++) {
        snprintf(code, sizeof(code), "%s-%02d", prefix, i);
        d = itest_dossier(code);
        json_object_set_new(d, "SoGiayToChuHoSo", json_string(citizen));
        json_object_set_new(d, "NgaySinhChuHoSo", json_string(born));
        who = json_object_get(json_object_get(d, "DuLieuChuyenNganh"),
                              "DoiTuong");
        json_object_set_new(who, "SoDinhDanh", json_string(citizen));
        json_object_set_new(who, "NgaySinh", json_string(born));
        json_array_append_new(items, d);
    }

    return items;
}


/*
 * 40 dossiers of one citizen in one batch: the citizen's 30, in order,
 * then 429 for each of the rest; the limit then holds for single
 * submissions too.  With Redis away, the node's table at its share (15
 * at once) charges each item the same way.
 */
static void
citizen_limit_per_item(void)
{
    int               i;
    char             *json, *h, citizen[16], prefix[64], like[80], code[96];
    json_t           *items, *d, *results;
    itest_response_t  res;

    snprintf(prefix, sizeof(prefix), "%s", itest_unique("HP-BC"));
    snprintf(like, sizeof(like), "%s-%%", prefix);
    items = one_citizen(40, prefix, 90, citizen);

    results = post_batch(&res, items);
    CU_ASSERT_EQUAL_FATAL(res.status, 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(results);

    for (i = 0; i < 40; i++) {
        CU_ASSERT_EQUAL(item_status(results, i), i < 30 ? 201 : 429);
    }

    CU_ASSERT_TRUE(item_has_problem(results, 35, "/data/35",
                                    "rate_limited"));
    /* when to send the refused items again, as a 429 of their own says:
     * 30 at once, then one every 2 s */
    h = itest_header(&res, "retry-after");
    CU_ASSERT_TRUE(h && atol(h) >= 1 && atol(h) <= 2);
    free(h);
    CU_ASSERT_EQUAL(itest_sql_long(LIKE_SQL, like), 30);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers WHERE "
                                   "so_giay_to = $1", citizen), 30);
    json_decref(results);
    itest_response_free(&res);

    snprintf(code, sizeof(code), "%s-single", prefix);
    d = json_deep_copy(json_array_get(items, 0));
    json_object_set_new(d, "MaHoSo", json_string(code));
    json = itest_dump(d);
    itest_submit(&res, json);
    CU_ASSERT_EQUAL(res.status, 429);
    itest_response_free(&res);

    free(json);
    json_decref(d);
    json_decref(items);

    /* Redis away */
    snprintf(prefix, sizeof(prefix), "%s", itest_unique("HP-BR"));
    snprintf(like, sizeof(like), "%s-%%", prefix);
    items = one_citizen(20, prefix, 91, citizen);

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("redis-stop"), 0);
    results = post_batch(&res, items);
    CU_ASSERT_EQUAL(itest_stackctl("redis-start"), 0);

    CU_ASSERT_EQUAL_FATAL(res.status, 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(results);

    for (i = 0; i < 20; i++) {
        CU_ASSERT_EQUAL(item_status(results, i), i < 15 ? 201 : 429);
    }

    CU_ASSERT_EQUAL(itest_sql_long(LIKE_SQL, like), 15);

    json_decref(results);
    itest_response_free(&res);
    json_decref(items);
}


/* ht-registry may submit to HT only: its HT dossier is stored, its BTXH
 * one is 403 alone. */
static void
grant_per_item(void)
{
    char              born[16], prefix[64];
    time_t            t;
    json_t           *items, *ht, *results;
    struct tm         tm;
    itest_response_t  res;

    snprintf(prefix, sizeof(prefix), "%s", itest_unique("HP-BG"));

    /* a birth ten days ago, registered by the mother (the applicant) */
    t = time(NULL) + 7 * 3600 - 10 * 86400;
    gmtime_r(&t, &tm);
    strftime(born, sizeof(born), "%Y%m%d", &tm);

    ht = itest_dossier("HP-X");
    json_object_set_new(ht, "MaHoSo", json_sprintf("%s-HT", prefix));
    json_object_set_new(ht, "MaTTHC", json_string("1.001193"));
    json_object_set_new(ht, "TenTTHC", json_string("Đăng ký khai sinh"));
    json_object_set_new(ht, "MaLinhVuc", json_string("HT"));
    json_object_set_new(ht, "DuLieuChuyenNganh",
        json_pack("{s:{s:s, s:i, s:s, s:s}, s:{s:s, s:s}}",
                  "Tre", "HoTen", "Trần Minh An", "GioiTinh", 1,
                  "NgaySinh", born, "NoiSinh", "Bệnh viện Phụ sản Hải Phòng",
                  "Me", "HoTen", "Nguyễn Thị Lan", "SoDinhDanh",
                  json_string_value(json_object_get(ht, "SoGiayToChuHoSo"))));

    items = json_array();
    json_array_append_new(items, ht);
    json_array_append_new(items, itest_dossier("HP-X"));
    json_object_set_new(json_array_get(items, 1), "MaHoSo",
                        json_sprintf("%s-BTXH", prefix));

    itest_as_client("ht-registry", "ht-registry-secret");
    results = post_batch(&res, items);
    itest_as_client("demo-portal", "demo-portal-secret");

    CU_ASSERT_EQUAL_FATAL(res.status, 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(results);
    CU_ASSERT_EQUAL(item_status(results, 0), 201);
    CU_ASSERT_EQUAL(item_status(results, 1), 403);
    CU_ASSERT_TRUE(item_has_problem(results, 1, "/data/1", "auth.sector"));
    if (item_status(results, 0) != 201) {
        fprintf(stderr, "\n  HT item: %s\n", res.body);
    }

    CU_ASSERT_EQUAL(itest_sql_long(ROWS_SQL, code_of(ht)), 1);
    CU_ASSERT_EQUAL(itest_sql_long(ROWS_SQL,
                                   code_of(json_array_get(items, 1))), 0);

    json_decref(results);
    itest_response_free(&res);
    json_decref(items);
}


/* A VNeID citizen's batch: their own dossier is stored and stamped,
 * someone else's is 403. */
static void
citizen_token_per_item(void)
{
    char             *token, code[32];
    json_t           *items, *results;
    const char       *own;
    itest_response_t  res;

    items = json_array();
    json_array_append_new(items, itest_dossier(itest_unique("HP-BV")));
    json_array_append_new(items, itest_dossier(itest_unique("HP-BV")));
    own = json_string_value(json_object_get(json_array_get(items, 0),
                                            "SoGiayToChuHoSo"));

    /* the citizen's own dossier under a code of their own */
    snprintf(code, sizeof(code), "VNEID-%s", own);
    json_object_set_new(json_array_get(items, 0), "MaHoSo",
                        json_string(itest_unique(code)));

    token = itest_vneid_token(own, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(token);
    itest_as_citizen(token);
    results = post_batch(&res, items);
    itest_as_client("demo-portal", "demo-portal-secret");

    CU_ASSERT_EQUAL_FATAL(res.status, 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(results);
    CU_ASSERT_EQUAL(item_status(results, 0), 201);
    CU_ASSERT_EQUAL(item_status(results, 1), 403);
    CU_ASSERT_TRUE(item_has_problem(results, 1, "/data/1", "auth.subject"));
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers WHERE "
                                   "ma_ho_so = $1 AND body->>"
                                   "'TaiKhoanDuocXacThucVoiVNeID' = '1'",
                                   code_of(json_array_get(items, 0))), 1);

    json_decref(results);
    itest_response_free(&res);
    json_decref(items);
    free(token);
}


/*
 * Admission control counts items: with a queue of 16 per worker (8 per
 * sector), a batch of 20 CT and 4 BTXH dossiers gets its first 8 CT
 * queued and stored, the other 12 CT answered 503 (the sector's share),
 * and its BTXH ones stored: a batch cannot jump the per-sector share.
 * Nothing else is queued meanwhile (the tests run one at a time).
 */
static void
admission_per_item(void)
{
    int               i;
    char              path[1024], cmd[3200], prefix[64], like[80], *h;
    char              code[96];
    json_t           *items, *results;
    itest_response_t  res;

    snprintf(path, sizeof(path), "%s/batch-queue.conf.in",
             getenv("DG_TEST_VAR"));
    snprintf(cmd, sizeof(cmd),
             "sed 's/dossier_pg_queue_size .*;/dossier_pg_queue_size 16;/' "
             "%s/conf/nginx.conf.in >%s", getenv("DG_TEST_ROOT"), path);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    setenv("DG_NGINX_TEMPLATE", path, 1);
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx-reload"), 0);

    snprintf(prefix, sizeof(prefix), "%s", itest_unique("HP-BQ"));
    snprintf(like, sizeof(like), "%s-%%", prefix);

    items = json_array();
    for (i = 0; i < 24; i++) {
        snprintf(code, sizeof(code), "%s-%02d", prefix, i);
        json_array_append_new(items, i < 20 ? ct_dossier(code)
                                            : itest_dossier(code));
    }

    results = post_batch(&res, items);

    unsetenv("DG_NGINX_TEMPLATE");
    CU_ASSERT_EQUAL(itest_stackctl("nginx-reload"), 0);

    CU_ASSERT_EQUAL_FATAL(res.status, 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(results);

    for (i = 0; i < 24; i++) {
        CU_ASSERT_EQUAL(item_status(results, i), i < 8 || i >= 20 ? 201
                                                                  : 503);
    }

    CU_ASSERT_TRUE(item_has_problem(results, 8, "/data/8",
                                    "storage.unavailable"));
    CU_ASSERT_PTR_NOT_NULL(strstr(res.body, "saturated"));
    /* the 503 items' wait: dossier_retry_after (1 s) */
    h = itest_header(&res, "retry-after");
    CU_ASSERT_TRUE(h && strcmp(h, "1") == 0);
    free(h);
    CU_ASSERT_EQUAL(itest_sql_long(LIKE_SQL, like), 12);

    json_decref(results);
    itest_response_free(&res);
    json_decref(items);
}


static CU_TestInfo  tests[] = {
    { "mixed batch: 201, 422, 200 (first id), 409, 201; rows = the 201s",
      mixed_batch },
    { "0 or 101 items 422 batch.size, malformed 400, nothing stored",
      whole_batch_refused },
    { "a 2 MB batch passes, above 8 MiB 413 (chunked too)",
      batch_body_limit },
    { "PostgreSQL down: whole batch 503, no row; back: 201s",
      storage_down },
    { "per-citizen limit per item: 30 then 429 (Redis away: 15)",
      citizen_limit_per_item },
    { "client without the sector: 403 for that item only", grant_per_item },
    { "VNeID citizen: own dossier 201, another's 403",
      citizen_token_per_item },
    { "admission counts items: the sector's share, 503 per item",
      admission_per_item },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(batch, tests)
