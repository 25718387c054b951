/*
 * Problem lists, JSON Pointer building and problem+json rendering.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "unit.h"
#include "dg_problem.h"


static void
test_add_formats_both_languages(void)
{
    char           ptr[8], code[8];
    dg_problems_t  p;

    dg_problems_init(&p);

    strcpy(ptr, "/a");
    strcpy(code, "enum");

    CU_ASSERT_EQUAL(dg_problems_add(&p, ptr, code, "giá trị %d (%s)",
                                    "value %d (%s)", 7, "x"), 0);

    /* the list owns copies */
    strcpy(ptr, "/zz");
    strcpy(code, "zz");

    CU_ASSERT_EQUAL(p.n, 1);
    CU_ASSERT_STRING_EQUAL(p.items[0].pointer, "/a");
    CU_ASSERT_STRING_EQUAL(p.items[0].code, "enum");
    CU_ASSERT_STRING_EQUAL(p.items[0].message,
                           "giá trị 7 (x) / value 7 (x)");

    CU_ASSERT_EQUAL(dg_problems_add(&p, "", "type", "không", "none"), 0);
    CU_ASSERT_EQUAL(p.n, 2);
    CU_ASSERT_STRING_EQUAL(p.items[1].message, "không / none");

    dg_problems_clear(&p);
    CU_ASSERT_EQUAL(p.n, 0);

    dg_problems_free(&p);
    CU_ASSERT_PTR_NULL(p.items);
    CU_ASSERT_EQUAL(p.n, 0);
    CU_ASSERT_EQUAL(p.cap, 0);
}


static void
test_add_grows(void)
{
    int            i, ok;
    char           want[32];
    dg_problems_t  p;

    dg_problems_init(&p);

    for (i = 0; i < 1000; i++) {
        CU_ASSERT_EQUAL_FATAL(dg_problems_add(&p, "/x", "c", "%d", "%d", i),
                              0);
    }

    CU_ASSERT_EQUAL(p.n, 1000);
    CU_ASSERT(p.cap >= 1000);

    ok = 1;

    for (i = 0; i < 1000; i++) {
        snprintf(want, sizeof(want), "%d / %d", i, i);
        ok &= strcmp(p.items[i].message, want) == 0;
    }

    CU_ASSERT(ok);

    dg_problems_free(&p);
}


static void
test_pointer_append(void)
{
    char  buf[64];

    CU_ASSERT_EQUAL(dg_pointer_append(buf, sizeof(buf), "", "MaHoSo"), 7);
    CU_ASSERT_STRING_EQUAL(buf, "/MaHoSo");

    CU_ASSERT_EQUAL(dg_pointer_append(buf, sizeof(buf), "/x", "a/b~c"), 10);
    CU_ASSERT_STRING_EQUAL(buf, "/x/a~1b~0c");

    /* "~1" must not be read back as "/" */
    dg_pointer_append(buf, sizeof(buf), "", "~1");
    CU_ASSERT_STRING_EQUAL(buf, "/~01");

    CU_ASSERT_EQUAL(dg_pointer_append(buf, sizeof(buf), "/a", ""), 3);
    CU_ASSERT_STRING_EQUAL(buf, "/a/");

    dg_pointer_append(buf, sizeof(buf), "", "Đơn");
    CU_ASSERT_STRING_EQUAL(buf, "/Đơn");
}


static void
test_pointer_append_truncates(void)
{
    char  buf[8];

    memset(buf, 'X', sizeof(buf));

    /* needs 10 bytes: writes 3 and the NUL, reports 10 */
    CU_ASSERT_EQUAL(dg_pointer_append(buf, 4, "/x", "a/b~c"), 10);
    CU_ASSERT_STRING_EQUAL(buf, "/x/");
    CU_ASSERT_EQUAL(buf[4], 'X');

    CU_ASSERT_EQUAL(dg_pointer_append(buf, 8, "/ab", "~~"), 8);
    CU_ASSERT_STRING_EQUAL(buf, "/ab/~0~");

    /* a size that exactly fits */
    CU_ASSERT_EQUAL(dg_pointer_append(buf, 8, "/ab", "cde"), 7);
    CU_ASSERT_STRING_EQUAL(buf, "/ab/cde");

    CU_ASSERT_EQUAL(dg_pointer_append(NULL, 0, "/ab", "cde"), 7);
}


static void
test_pointer_append_index(void)
{
    char  buf[64];

    CU_ASSERT_EQUAL(dg_pointer_append_index(buf, sizeof(buf), "/TaiLieuNop",
                                            3), 13);
    CU_ASSERT_STRING_EQUAL(buf, "/TaiLieuNop/3");

    dg_pointer_append_index(buf, sizeof(buf), "", 0);
    CU_ASSERT_STRING_EQUAL(buf, "/0");

    dg_pointer_append_index(buf, sizeof(buf), "/a", 100);
    CU_ASSERT_STRING_EQUAL(buf, "/a/100");

    dg_pointer_append_index(buf, sizeof(buf), "", SIZE_MAX);
    CU_ASSERT_STRING_EQUAL(buf, SIZE_MAX == UINT64_MAX
                                ? "/18446744073709551615" : "/4294967295");
}


static void
test_problem_json(void)
{
    char           *out;
    json_t         *root, *errors, *e;
    json_error_t    err;
    dg_problems_t   p;

    dg_problems_init(&p);
    dg_problems_add(&p, "/SoGiayToChuHoSo", "cccd.province",
                    "Mã tỉnh %s không hợp lệ", "unknown province code %s",
                    "099");
    dg_problems_add(&p, "/a~1b", "format", "sai", "wrong");

    out = dg_problem_json(422, "Dossier is invalid", "req-1", &p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);

    /* UTF-8 stays UTF-8 rather than \u escapes */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "Mã tỉnh 099 không hợp lệ"));
    CU_ASSERT_PTR_NULL(strchr(out, '\n'));

    root = json_loads(out, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);

    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root, "type")),
                           "about:blank");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root, "title")),
                           "Dossier is invalid");
    CU_ASSERT(json_is_integer(json_object_get(root, "status")));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "status")), 422);
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(root, "request_id")), "req-1");
    CU_ASSERT_EQUAL(json_object_size(root), 5);

    errors = json_object_get(root, "errors");
    CU_ASSERT_FATAL(json_is_array(errors));
    CU_ASSERT_EQUAL_FATAL(json_array_size(errors), 2);

    e = json_array_get(errors, 0);
    CU_ASSERT_EQUAL(json_object_size(e), 3);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "pointer")),
                           "/SoGiayToChuHoSo");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "code")),
                           "cccd.province");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "message")),
                           "Mã tỉnh 099 không hợp lệ / "
                           "unknown province code 099");

    e = json_array_get(errors, 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "pointer")),
                           "/a~1b");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "code")),
                           "format");

    json_decref(root);
    free(out);
    dg_problems_free(&p);
}


static void
test_problem_json_optional_members(void)
{
    char           *out;
    json_t         *root;
    dg_problems_t   empty;

    dg_problems_init(&empty);

    /* no request id, no errors, default title */
    out = dg_problem_json(503, NULL, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_STRING_EQUAL(out, "{\"type\":\"about:blank\","
                                "\"title\":\"Service Unavailable\","
                                "\"status\":503}");
    free(out);

    out = dg_problem_json(400, "Bad body", "r", &empty);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);

    root = json_loads(out, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_PTR_NULL(json_object_get(root, "errors"));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root, "title")),
                           "Bad body");

    json_decref(root);
    free(out);
}


/* bytes that are not UTF-8, wherever they come from, still render */
static void
test_problem_not_utf8(void)
{
    char           *out;
    json_t         *root, *e;
    dg_problems_t   p;

    dg_problems_init(&p);
    CU_ASSERT_EQUAL(dg_problems_add(&p, "/\xc3x", "c\xff", "a\xc3%s",
                                    "b%s", "\xe1\xbb"), 0);
    CU_ASSERT_EQUAL(dg_problems_add(&p, "/\xed\xa0\x80", "c", "\xc0\xaf",
                                    "\xf4\x90\x80\x80 Đơn \xe1"), 0);

    CU_ASSERT_STRING_EQUAL(p.items[0].pointer, "/?x");
    CU_ASSERT_STRING_EQUAL(p.items[0].code, "c?");
    /* a character cut at the end is dropped, one cut before more is '?' */
    CU_ASSERT_STRING_EQUAL(p.items[0].message, "a??? / b");
    CU_ASSERT_STRING_EQUAL(p.items[1].pointer, "/???");
    CU_ASSERT_STRING_EQUAL(p.items[1].message, "?? / ???? Đơn ");

    out = dg_problem_json(422, NULL, NULL, &p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);

    root = json_loads(out, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    e = json_array_get(json_object_get(root, "errors"), 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "message")),
                           "?? / ???? Đơn ");

    json_decref(root);
    free(out);
    dg_problems_free(&p);
}


static void
test_status_title(void)
{
    CU_ASSERT_STRING_EQUAL(dg_status_title(400), "Bad Request");
    CU_ASSERT_STRING_EQUAL(dg_status_title(401), "Unauthorized");
    CU_ASSERT_STRING_EQUAL(dg_status_title(403), "Forbidden");
    CU_ASSERT_STRING_EQUAL(dg_status_title(404), "Not Found");
    CU_ASSERT_STRING_EQUAL(dg_status_title(405), "Method Not Allowed");
    CU_ASSERT_STRING_EQUAL(dg_status_title(409), "Conflict");
    CU_ASSERT_STRING_EQUAL(dg_status_title(408), "Request Timeout");
    CU_ASSERT_STRING_EQUAL(dg_status_title(411), "Length Required");
    CU_ASSERT_STRING_EQUAL(dg_status_title(413), "Content Too Large");
    CU_ASSERT_STRING_EQUAL(dg_status_title(414), "URI Too Long");
    CU_ASSERT_STRING_EQUAL(dg_status_title(415), "Unsupported Media Type");
    CU_ASSERT_STRING_EQUAL(dg_status_title(422), "Unprocessable Content");
    CU_ASSERT_STRING_EQUAL(dg_status_title(429), "Too Many Requests");
    CU_ASSERT_STRING_EQUAL(dg_status_title(500), "Internal Server Error");
    CU_ASSERT_STRING_EQUAL(dg_status_title(502), "Bad Gateway");
    CU_ASSERT_STRING_EQUAL(dg_status_title(503), "Service Unavailable");
    CU_ASSERT_STRING_EQUAL(dg_status_title(504), "Gateway Timeout");
    CU_ASSERT_STRING_EQUAL(dg_status_title(418), "Error");
    CU_ASSERT_STRING_EQUAL(dg_status_title(0), "Error");
}


static CU_TestInfo  tests[] = {
    { "add formats both languages", test_add_formats_both_languages },
    { "add grows", test_add_grows },
    { "pointer append escapes", test_pointer_append },
    { "pointer append truncates", test_pointer_append_truncates },
    { "pointer append index", test_pointer_append_index },
    { "problem json", test_problem_json },
    { "problem json optional members", test_problem_json_optional_members },
    { "problem not utf8", test_problem_not_utf8 },
    { "status title", test_status_title },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(problem, tests)
