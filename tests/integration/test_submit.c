/*
 * POST /v1/dossiers through real nginx and PostgreSQL.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "itest.h"
#include "unit.h"


#define ROWS_SQL  "SELECT count(*) FROM dossiers WHERE ma_ho_so = $1"


static void
submit_stores_row(void)
{
    char             *json, *location, *rid;
    json_t           *d, *body;
    itest_response_t  res;

    d = itest_dossier(itest_unique("HP-A"));
    json = itest_dump(d);

    CU_ASSERT_EQUAL_FATAL(itest_submit(&res, json), 0);
    CU_ASSERT_EQUAL(res.status, 201);

    body = json_loads(res.body, 0, NULL);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(body, "status")),
                           "accepted");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(body, "MaHoSo")),
                           json_string_value(json_object_get(d, "MaHoSo")));
    CU_ASSERT_TRUE(json_integer_value(json_object_get(body, "id")) > 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(
                               json_object_get(body, "received_at")),
                           "+07:00"));

    location = itest_header(&res, "location");
    CU_ASSERT_PTR_NOT_NULL_FATAL(location);
    CU_ASSERT_EQUAL(strncmp(location, "/v1/dossiers/HP-A-", 18), 0);

    rid = itest_header(&res, "x-request-id");
    CU_ASSERT_PTR_NOT_NULL(rid);

    /* committed: visible to another session at once */
    CU_ASSERT_EQUAL(itest_sql_long(ROWS_SQL, json_string_value(
                                       json_object_get(d, "MaHoSo"))), 1);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT id FROM dossiers WHERE "
                                   "ma_ho_so = $1",
                                   json_string_value(
                                       json_object_get(d, "MaHoSo"))),
                    json_integer_value(json_object_get(body, "id")));

    free(location);
    free(rid);
    free(json);
    json_decref(body);
    json_decref(d);
    itest_response_free(&res);
}


static void
retry_and_conflict(void)
{
    char             *json, *reordered, *changed;
    json_t           *d, *first, *again;
    itest_response_t  res;

    d = itest_dossier(itest_unique("HP-R"));
    json = itest_dump(d);
    /* the same dossier, other key order and spacing: still a retry */
    reordered = json_dumps(d, JSON_SORT_KEYS | JSON_INDENT(2));

    itest_submit(&res, json);
    CU_ASSERT_EQUAL(res.status, 201);
    first = json_loads(res.body, 0, NULL);
    itest_response_free(&res);

    itest_submit(&res, reordered);
    CU_ASSERT_EQUAL(res.status, 200);
    again = json_loads(res.body, 0, NULL);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(again, "id")),
                    json_integer_value(json_object_get(first, "id")));
    itest_response_free(&res);

    json_object_set_new(d, "TrichYeuHoSo", json_string("khác / other"));
    changed = itest_dump(d);
    itest_submit(&res, changed);
    CU_ASSERT_EQUAL(res.status, 409);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "conflict"));
    itest_response_free(&res);

    CU_ASSERT_EQUAL(itest_sql_long(ROWS_SQL, json_string_value(
                                       json_object_get(d, "MaHoSo"))), 1);

    free(json);
    free(reordered);
    free(changed);
    json_decref(first);
    json_decref(again);
    json_decref(d);
}


static void
expect_problem(const char *body, size_t len, long status,
    const char *pointer, const char *code)
{
    char                     *type;
    itest_response_t          res;
    static const char *const  headers[] = {
        "Content-Type: application/json; charset=utf-8", NULL
    };

    CU_ASSERT_EQUAL_FATAL(itest_http(&res, "POST", "/v1/dossiers", body, len,
                                     headers), 0);
    CU_ASSERT_EQUAL(res.status, status);

    type = itest_header(&res, "content-type");
    CU_ASSERT_PTR_NOT_NULL(type);
    if (type) {
        CU_ASSERT_STRING_EQUAL(type, "application/problem+json");
    }

    CU_ASSERT_TRUE(itest_has_problem(&res, pointer, code));

    free(type);
    itest_response_free(&res);
}


static void
malformed_bodies(void)
{
    char    deep[200];
    size_t  i;

    expect_problem("{\"MaHoSo\": ", 11, 400, "", "json.syntax");
    expect_problem("", 0, 400, "", "json.syntax");
    expect_problem("{\"a\":\"\xc3\x28\"}", 10, 400, "", "json.utf8");
    expect_problem("{\"a\":1,\"a\":2}", 13, 400, "", "json.duplicate_key");
    expect_problem("{\"a\":\"x\\u0000y\"}", 16, 400, "", "json.nul");

    /* 33 levels: the object plus 32 nested arrays */
    i = 0;
    deep[i++] = '{';
    memcpy(deep + i, "\"a\":", 4);
    i += 4;
    memset(deep + i, '[', 32);
    i += 32;
    memset(deep + i, ']', 32);
    i += 32;
    deep[i++] = '}';
    expect_problem(deep, i, 400, "", "json.depth");

    expect_problem("[1,2]", 5, 422, "", "type");
}


/*
 * An empty body is json.syntax with a message that says so; it was
 * jansson's "wrong arguments" at "line -1, column -1", for submissions,
 * batches and progress alike.
 */
static void
empty_body(void)
{
    size_t                    i;
    itest_response_t          res;
    static const char *const  paths[] = {
        "/v1/dossiers", "/v1/dossiers/batch", "/v1/dossiers/HP-E/progress"
    };
    static const char *const  headers[] = {
        "Content-Type: application/json", NULL
    };

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        CU_ASSERT_EQUAL_FATAL(itest_http(&res, "POST", paths[i], "", 0,
                                         headers), 0);
        CU_ASSERT_EQUAL(res.status, 400);
        CU_ASSERT_TRUE(itest_has_problem(&res, "", "json.syntax"));
        CU_ASSERT_PTR_NOT_NULL(strstr(res.body, "the request body is empty"));
        CU_ASSERT_PTR_NULL(strstr(res.body, "-1"));
        itest_response_free(&res);
    }
}


/*
 * Issue 14, hole 2: a backslash before a multi-byte character answered
 * 500 (the problem could not quote the input); a valid dossier, a NUL
 * byte and more must not be stored.  Every one is 400 with a json.* code.
 */
static void
hostile_bodies(void)
{
    char    *json, *body;
    size_t   len;
    json_t  *d;

    expect_problem("{\"a\":\"\\\xc3\xa9\"}", 11, 400, "", "json.syntax");
    expect_problem("{\"a\":\"\\\xe1\xbb\x87\"}", 12, 400, "",
                   "json.syntax");
    expect_problem("{\"\\\xf0\x9f\x98\x80\":1}", 11, 400, "",
                   "json.syntax");
    expect_problem("{\"a\":\"\\\xff\"}", 10, 400, "", "json.utf8");
    expect_problem("{}\0{}", 5, 400, "", "json.syntax");

    d = itest_dossier(itest_unique("HP-NUL"));
    json = itest_dump(d);
    len = strlen(json);

    body = malloc(len + 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    memcpy(body, json, len);
    memcpy(body + len, "\0{}", 3);

    expect_problem(body, len + 3, 400, "", "json.syntax");
    CU_ASSERT_EQUAL(itest_sql_long(ROWS_SQL, json_string_value(
                                       json_object_get(d, "MaHoSo"))), 0);

    free(body);
    free(json);
    json_decref(d);
}


static void
invalid_dossier(void)
{
    char    *json;
    json_t  *d;

    d = itest_dossier(itest_unique("HP-I"));
    json_object_set_new(d, "SoGiayToChuHoSo", json_string("099185001234"));
    json_object_set_new(d, "MaTTHC", json_string("9.999999"));
    json_object_set_new(d, "KenhThucHien", json_string("2"));
    json_object_del(d, "ChuHoSo");
    json = itest_dump(d);

    expect_problem(json, strlen(json), 422, "/SoGiayToChuHoSo",
                   "cccd.province");
    expect_problem(json, strlen(json), 422, "/MaTTHC", "procedure.unknown");
    expect_problem(json, strlen(json), 422, "/KenhThucHien", "type");
    expect_problem(json, strlen(json), 422, "/ChuHoSo", "required");
    free(json);

    /* a real procedure, filed under another sector */
    json_object_set_new(d, "MaTTHC", json_string("1.001193.000.00.00.H31"));
    json_object_set_new(d, "SoGiayToChuHoSo", json_string("031185001234"));
    json_object_set_new(d, "KenhThucHien", json_integer(2));
    json_object_set_new(d, "ChuHoSo", json_string("Trần Văn Minh"));
    json = itest_dump(d);
    expect_problem(json, strlen(json), 422, "/MaLinhVuc", "sector.mismatch");

    free(json);
    json_decref(d);
}


static void
content_type_and_method(void)
{
    itest_response_t          res;
    static const char *const  text[] = { "Content-Type: text/plain", NULL };
    static const char *const  latin[] = {
        "Content-Type: application/json; charset=iso-8859-1", NULL
    };
    static const char *const  utf8[] = {
        "Content-Type: Application/JSON; Charset=\"UTF-8\"", NULL
    };
    char                     *json, *allow;
    json_t                   *d;

    itest_http(&res, "POST", "/v1/dossiers", "{}", 2, text);
    CU_ASSERT_EQUAL(res.status, 415);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "content_type"));
    itest_response_free(&res);

    itest_http(&res, "POST", "/v1/dossiers", "{}", 2, latin);
    CU_ASSERT_EQUAL(res.status, 415);
    itest_response_free(&res);

    /* no Content-Type at all (curl would send a form type: removed) */
    itest_http(&res, "POST", "/v1/dossiers", "{}", 2,
               (const char *const[]) { "Content-Type:", NULL });
    CU_ASSERT_EQUAL(res.status, 415);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "content_type"));
    itest_response_free(&res);

    d = itest_dossier(itest_unique("HP-C"));
    json = itest_dump(d);
    itest_http(&res, "POST", "/v1/dossiers", json, strlen(json), utf8);
    CU_ASSERT_EQUAL(res.status, 201);
    itest_response_free(&res);

    itest_http(&res, "GET", "/v1/dossiers", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 405);
    allow = itest_header(&res, "allow");
    CU_ASSERT_PTR_NOT_NULL(allow);
    free(allow);
    itest_response_free(&res);

    /* nginx's own errors are problem+json with a request id too */
    itest_http(&res, "GET", "/no/such/path", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 404);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "not_found"));
    allow = itest_header(&res, "x-request-id");
    CU_ASSERT_PTR_NOT_NULL(allow);
    free(allow);
    itest_response_free(&res);

    free(json);
    json_decref(d);
}


/* A body of exactly 1 MiB passes; one byte more is a 413, chunked too. */
static void
body_size_limit(void)
{
    char             *json, *big;
    json_t           *d;
    size_t            len, limit = 1024 * 1024;
    itest_response_t  res;

    d = itest_dossier(itest_unique("HP-L"));
    json = itest_dump(d);
    len = strlen(json);

    big = malloc(limit + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memcpy(big, json, len);
    memset(big + len, ' ', limit + 1 - len);    /* JSON allows trailing
                                                   white space */

    expect_problem(big, limit + 1, 413, "", "body.too_large");

    /* chunked, without Content-Length: nginx counts as it reads */
    itest_http(&res, "POST", "/v1/dossiers", big, limit + 1,
               (const char *const[]) { "Content-Type: application/json",
                                       "Transfer-Encoding: chunked", NULL });
    CU_ASSERT_EQUAL(res.status, 413);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "body.too_large"));
    itest_response_free(&res);

    /* exactly at the limit, and spilled to a temporary file by nginx */
    itest_http(&res, "POST", "/v1/dossiers", big, limit,
               (const char *const[]) { "Content-Type: application/json",
                                       NULL });
    CU_ASSERT_EQUAL(res.status, 201);
    itest_response_free(&res);

    free(big);
    free(json);
    json_decref(d);
}


static void
chunked_body(void)
{
    char             *json;
    json_t           *d;
    itest_response_t  res;

    d = itest_dossier(itest_unique("HP-K"));
    json = itest_dump(d);

    itest_http(&res, "POST", "/v1/dossiers", json, strlen(json),
               (const char *const[]) { "Content-Type: application/json",
                                       "Transfer-Encoding: chunked", NULL });
    CU_ASSERT_EQUAL(res.status, 201);
    CU_ASSERT_EQUAL(itest_sql_long(ROWS_SQL, json_string_value(
                                       json_object_get(d, "MaHoSo"))), 1);

    itest_response_free(&res);
    free(json);
    json_decref(d);
}


#define CONCURRENT  200



/* 200 submissions at once: 200 answers 201 and 200 rows, none doubled. */
static void
concurrent_submissions(void)
{
    int                 i, running, created;
    long                status;
    char               *json[CONCURRENT], prefix[64];
    CURL               *e[CONCURRENT];
    CURLM              *multi;
    json_t             *d;
    CURLMsg            *msg;
    struct curl_slist  *headers[CONCURRENT];
    char                like[80];

    snprintf(prefix, sizeof(prefix), "%s", itest_unique("HP-M"));
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) CONCURRENT);

    for (i = 0; i < CONCURRENT; i++) {
        char  code[96];

        snprintf(code, sizeof(code), "%s-%03d", prefix, i);
        d = itest_dossier(code);
        json[i] = itest_dump(d);
        json_decref(d);

        e[i] = itest_signed_handle("/v1/dossiers", json[i], &headers[i]);
        curl_multi_add_handle(multi, e[i]);
    }

    do {
        curl_multi_perform(multi, &running);
        curl_multi_poll(multi, NULL, 0, 1000, NULL);
    } while (running);

    created = 0;
    while ((msg = curl_multi_info_read(multi, &running))) {
        if (msg->msg == CURLMSG_DONE && msg->data.result == CURLE_OK) {
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
                              &status);
            created += status == 201;
        }
    }

    CU_ASSERT_EQUAL(created, CONCURRENT);

    snprintf(like, sizeof(like), "%s-%%", prefix);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(DISTINCT ma_ho_so) FROM "
                                   "dossiers WHERE ma_ho_so LIKE $1", like),
                    CONCURRENT);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers WHERE "
                                   "ma_ho_so LIKE $1", like),
                    CONCURRENT);

    for (i = 0; i < CONCURRENT; i++) {
        curl_multi_remove_handle(multi, e[i]);
        curl_easy_cleanup(e[i]);
        curl_slist_free_all(headers[i]);
        free(json[i]);
    }

    curl_multi_cleanup(multi);
}


/*
 * PostgreSQL stopped: 503 with Retry-After within a second, nothing stored.
 * PostgreSQL back: 201 again, without touching nginx.
 */
static void
storage_outage(void)
{
    char             *json, *retry;
    json_t           *d;
    const char       *code;
    itest_response_t  res;

    d = itest_dossier(itest_unique("HP-O"));
    json = itest_dump(d);
    code = json_string_value(json_object_get(d, "MaHoSo"));

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("pg-stop"), 0);

    itest_submit(&res, json);
    CU_ASSERT_EQUAL(res.status, 503);
    CU_ASSERT_TRUE(res.seconds < 1.0);
    retry = itest_header(&res, "retry-after");
    CU_ASSERT_PTR_NOT_NULL(retry);
    CU_ASSERT_TRUE(retry && atoi(retry) >= 1);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "storage.unavailable"));
    free(retry);
    itest_response_free(&res);

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("pg-start"), 0);
    CU_ASSERT_EQUAL(itest_sql_long(ROWS_SQL, code), 0);

    CU_ASSERT_EQUAL(itest_submit_until_created(json, 15.0), 201);
    CU_ASSERT_EQUAL(itest_sql_long(ROWS_SQL, code), 1);

    free(json);
    json_decref(d);
}


static void
health_endpoints(void)
{
    itest_response_t  res;

    itest_http(&res, "GET", "admin:/healthz", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 200);
    itest_response_free(&res);

    itest_http(&res, "GET", "admin:/readyz", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 200);
    itest_response_free(&res);
}


static CU_TestInfo  tests[] = {
    { "health and readiness", health_endpoints },
    { "201 and the row is committed", submit_stores_row },
    { "identical retry 200, other content 409", retry_and_conflict },
    { "malformed bodies are 400 with json.* codes", malformed_bodies },
    { "bad escapes, NUL after a value: 400 json.*", hostile_bodies },
    { "an empty body: 400 json.syntax that says so", empty_body },
    { "invalid dossier is 422 with every problem", invalid_dossier },
    { "415 and 405", content_type_and_method },
    { "413 above 1 MiB (chunked too), exactly 1 MiB accepted",
      body_size_limit },
    { "chunked request body", chunked_body },
    { "200 concurrent submissions, 200 rows", concurrent_submissions },
    { "PostgreSQL down: quick 503, back: 201", storage_outage },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(submit, tests)
