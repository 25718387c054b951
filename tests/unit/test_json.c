/*
 * Strict body parsing (json.* codes), JSON Pointer resolution, UTF-8 length.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"
#include "dg_json.h"


/*
 * Parses len bytes; returns the code of the single problem, or "" when the
 * body parsed.  Checks that failure adds exactly one problem at "".
 */
static const char *
parse_code(const char *buf, size_t len, size_t max_depth)
{
    json_t         *root;
    const char     *code;
    dg_problems_t   p;
    static char     saved[32];

    dg_problems_init(&p);

    root = dg_json_parse(buf, len, max_depth, &p);

    if (root != NULL) {
        CU_ASSERT_EQUAL(p.n, 0);
        json_decref(root);
        code = "";

    } else {
        CU_ASSERT_EQUAL_FATAL(p.n, 1);
        CU_ASSERT_STRING_EQUAL(p.items[0].pointer, "");
        snprintf(saved, sizeof(saved), "%s", p.items[0].code);
        code = saved;
    }

    dg_problems_free(&p);

    return code;
}


#define CODE(literal)  parse_code(literal, sizeof(literal) - 1, 32)


/* n opening brackets then n closing ones, in a malloc'ed buffer */
static char *
nested(size_t n, char open, char close)
{
    char  *buf;

    buf = malloc(2 * n + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);

    memset(buf, open, n);
    memset(buf + n, close, n);
    buf[2 * n] = '\0';

    return buf;
}


static void
test_valid(void)
{
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":[1,2,{\"b\":null}],\"c\":\"Đơn\"}"),
                           "");
    CU_ASSERT_STRING_EQUAL(CODE(" \r\n\t{ } \n"), "");

    /* well-formed non-objects parse; the dossier rules reject them (422) */
    CU_ASSERT_STRING_EQUAL(CODE("[1]"), "");
    CU_ASSERT_STRING_EQUAL(CODE("\"x\""), "");
    CU_ASSERT_STRING_EQUAL(CODE("42"), "");
}


static void
test_syntax(void)
{
    dg_problems_t  p;

    CU_ASSERT_STRING_EQUAL(parse_code("", 0, 32), "json.syntax");
    CU_ASSERT_STRING_EQUAL(parse_code(NULL, 0, 32), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("   "), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("{"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("{} x"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("{}{}"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("{'a':1}"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("[1,]"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":01}"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"\\ud800\"}"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":99999999999999999999}"),
                           "json.syntax");
    /* a raw control byte in a string is a syntax error, not json.nul */
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"x\0\"}"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"x\ty\"}"), "json.syntax");

    /* the message carries the position */
    dg_problems_init(&p);
    CU_ASSERT_PTR_NULL(dg_json_parse("{\n  \"a\": x}", 11, 32, &p));
    CU_ASSERT_EQUAL_FATAL(p.n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(p.items[0].message, "dòng 2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p.items[0].message, "line 2, column"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p.items[0].message, " / "));
    dg_problems_free(&p);

    /* nothing at all says so, not jansson's "wrong arguments" */
    dg_problems_init(&p);
    CU_ASSERT_PTR_NULL(dg_json_parse(NULL, 0, 32, &p));
    CU_ASSERT_EQUAL_FATAL(p.n, 1);
    CU_ASSERT_STRING_EQUAL(p.items[0].code, "json.syntax");
    CU_ASSERT_PTR_NOT_NULL(strstr(p.items[0].message, "body is empty"));
    dg_problems_free(&p);
}


static void
test_depth(void)
{
    char  *buf;

    buf = nested(32, '[', ']');
    CU_ASSERT_STRING_EQUAL(parse_code(buf, 64, 32), "");
    free(buf);

    buf = nested(33, '[', ']');
    CU_ASSERT_STRING_EQUAL(parse_code(buf, 66, 32), "json.depth");
    free(buf);

    CU_ASSERT_STRING_EQUAL(parse_code("[]", 2, 1), "");
    CU_ASSERT_STRING_EQUAL(parse_code("[[]]", 4, 1), "json.depth");
    CU_ASSERT_STRING_EQUAL(parse_code("{\"a\":{}}", 8, 1), "json.depth");
    CU_ASSERT_STRING_EQUAL(parse_code("[{},{},[]]", 10, 2), "");
    CU_ASSERT_STRING_EQUAL(parse_code("[{},{},[[]]]", 12, 2), "json.depth");
}


static void
test_depth_objects(void)
{
    int     i;
    char    buf[512];
    size_t  n;

    /* {"a":{"a":...{}...}} with 32 and 33 objects */
    n = 0;
    for (i = 0; i < 32; i++) {
        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "{\"a\":");
    }
    n += (size_t) snprintf(buf + n, sizeof(buf) - n, "1");
    for (i = 0; i < 32; i++) {
        buf[n++] = '}';
    }

    CU_ASSERT_STRING_EQUAL(parse_code(buf, n, 32), "");
    CU_ASSERT_STRING_EQUAL(parse_code(buf, n, 31), "json.depth");
}


static void
test_depth_ignores_strings(void)
{
    char  buf[128];

    /* 40 brackets inside a string, after an escaped quote and backslash */
    memcpy(buf, "{\"a\":\"\\\"\\\\", 10);
    memset(buf + 10, '[', 40);
    memcpy(buf + 50, "\"}", 2);

    CU_ASSERT_STRING_EQUAL(parse_code(buf, 52, 32), "");

    /* brackets in keys too */
    CU_ASSERT_STRING_EQUAL(CODE("{\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\":1}"),
                           "");
}


static void
test_depth_huge_is_fast(void)
{
    char     *buf;
    clock_t   start;

    buf = nested(100000, '[', ']');
    start = clock();

    CU_ASSERT_STRING_EQUAL(parse_code(buf, 200000, 32), "json.depth");

    /* one pass over the bytes, not a parser that descends 100000 levels */
    CU_ASSERT((double) (clock() - start) / CLOCKS_PER_SEC < 0.5);
    free(buf);

    /* unbalanced: only openers */
    buf = nested(100000, '{', '{');
    CU_ASSERT_STRING_EQUAL(parse_code(buf, 200000, 32), "json.depth");
    free(buf);
}


static void
test_depth_message(void)
{
    char           *buf;
    dg_problems_t   p;

    buf = nested(40, '[', ']');
    dg_problems_init(&p);

    CU_ASSERT_PTR_NULL(dg_json_parse(buf, 80, 32, &p));
    CU_ASSERT_EQUAL_FATAL(p.n, 1);
    CU_ASSERT_STRING_EQUAL(p.items[0].code, "json.depth");
    /* the 33rd '[' is at offset 32 */
    CU_ASSERT_PTR_NOT_NULL(strstr(p.items[0].message,
                                  "deeper than 32 levels at byte 32"));

    dg_problems_free(&p);
    free(buf);
}


static void
test_duplicate_keys(void)
{
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":1,\"a\":1}"), "json.duplicate_key");
    CU_ASSERT_STRING_EQUAL(CODE("{\"x\":{\"b\":1,\"c\":2,\"b\":3}}"),
                           "json.duplicate_key");
    CU_ASSERT_STRING_EQUAL(CODE("{\"x\":[{\"k\":1},{\"k\":1,\"k\":2}]}"),
                           "json.duplicate_key");
    /* the same key in sibling objects is fine */
    CU_ASSERT_STRING_EQUAL(CODE("{\"x\":{\"k\":1},\"y\":{\"k\":1}}"), "");
    /* "\u0061" is "a" */
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":1,\"\\u0061\":2}"),
                           "json.duplicate_key");
}


static void
test_utf8(void)
{
    /* overlong '/' */
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"\xc0\xaf\"}"), "json.utf8");
    /* lone continuation byte */
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"\x80\"}"), "json.utf8");
    /* U+D800 encoded as UTF-8 */
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"\xed\xa0\x80\"}"), "json.utf8");
    /* truncated sequence, 0xff, above U+10FFFF */
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"\xe1\x80\"}"), "json.utf8");
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"\xff\"}"), "json.utf8");
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"\xf4\x90\x80\x80\"}"), "json.utf8");
    /* in a key */
    CU_ASSERT_STRING_EQUAL(CODE("{\"\xc3\":1}"), "json.utf8");
    /* valid multi-byte text */
    CU_ASSERT_STRING_EQUAL(CODE("{\"Đ\":\"ơ\xf0\x9f\x98\x80\"}"), "");
}


static void
test_nul(void)
{
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"\\u0000\"}"), "json.nul");
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"x\\u0000y\"}"), "json.nul");
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\\u0000\":1}"), "json.nul");
    CU_ASSERT_STRING_EQUAL(CODE("{\"x\":[\"\\u0000\"]}"), "json.nul");
}


/* jansson's cut error text must not leave invalid UTF-8 in the message */
static void
test_message_stays_utf8(void)
{
    int             pad;
    char            buf[512], *out;
    size_t          n;
    dg_problems_t   p;

    for (pad = 0; pad < 4; pad++) {
        n = 0;
        buf[n++] = '[';
        memset(buf + n, ' ', (size_t) pad);
        n += (size_t) pad;
        buf[n++] = '"';

        while (n < 400) {
            memcpy(buf + n, "Đơn", 5);
            n += 5;
        }

        dg_problems_init(&p);
        CU_ASSERT_PTR_NULL(dg_json_parse(buf, n, 32, &p));
        CU_ASSERT_EQUAL_FATAL(p.n, 1);

        out = dg_problem_json(400, NULL, NULL, &p);
        CU_ASSERT_PTR_NOT_NULL(out);

        free(out);
        dg_problems_free(&p);
    }
}


/*
 * Whatever bytes follow a backslash, the body is malformed (400) and its
 * problem renders (issue 14, hole 2: "\\é" answered 500): jansson quotes
 * the input cut after the backslash, inside the character.
 */
static void
test_bad_escape_renders(void)
{
    char                *out;
    size_t               i, len;
    json_t              *doc;
    const char          *msg;
    dg_problems_t        p;
    static const char   *bodies[] = {
        "{\"a\":\"\\\xc3\xa9\"}",                /* \é */
        "{\"a\":\"\\\xe1\xbb\x87\"}",            /* \ệ */
        "{\"a\":\"\\\xf0\x9f\x98\x80\"}",        /* \😀 */
        "{\"\\\xc3\xa9\":1}",                     /* in a key */
        "{\"a\":\"\\\xff\"}",                     /* \ and 0xff */
        "{\"a\":\"\\u\xc3\xa9\"}",               /* \u then é */
    };

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        len = strlen(bodies[i]);
        /* json.syntax, or json.utf8 when the byte is no UTF-8 at all */
        CU_ASSERT_STRING_EQUAL(parse_code(bodies[i], len, 32),
                               i == 4 ? "json.utf8" : "json.syntax");

        dg_problems_init(&p);
        CU_ASSERT_PTR_NULL(dg_json_parse(bodies[i], len, 32, &p));
        CU_ASSERT_EQUAL_FATAL(p.n, 1);

        out = dg_problem_json(400, NULL, NULL, &p);
        CU_ASSERT_PTR_NOT_NULL_FATAL(out);

        /* the body is JSON and the message still says where */
        doc = json_loads(out, 0, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
        msg = json_string_value(json_object_get(
                  json_array_get(json_object_get(doc, "errors"), 0),
                  "message"));
        CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
        CU_ASSERT_PTR_NOT_NULL(strstr(msg, "malformed JSON at line 1"));

        json_decref(doc);
        free(out);
        dg_problems_free(&p);
    }
}


/* a complete value, a NUL byte, then more: not one value, so 400 */
static void
test_nul_byte_after_value(void)
{
    CU_ASSERT_STRING_EQUAL(CODE("{}\0"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("{}\0abc"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":1}\0{\"a\":2}"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"x\"} \0\xc3"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("42\0""1"), "json.syntax");
    CU_ASSERT_STRING_EQUAL(CODE("\"x\"\0\""), "json.syntax");
    /* a raw NUL inside a string is not the escape \u0000 either */
    CU_ASSERT_STRING_EQUAL(CODE("{\"a\":\"x\0y\"}"), "json.syntax");
}


static void
test_pointer_get(void)
{
    json_t  *doc, *v;

    doc = json_loads("{\"a\":{\"b\":[10,{\"c\":\"x\"}]},\"m~n\":1,\"p/q\":2,"
                     "\"\":3,\"~1\":4,\"arr\":[[1,2],[3,[5]]],\"n\":null}",
                     0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);

    CU_ASSERT_PTR_EQUAL(dg_json_pointer_get(doc, ""), doc);

    v = dg_json_pointer_get(doc, "/a/b/0");
    CU_ASSERT_EQUAL(json_integer_value(v), 10);

    v = dg_json_pointer_get(doc, "/a/b/1/c");
    CU_ASSERT_STRING_EQUAL(json_string_value(v), "x");

    v = dg_json_pointer_get(doc, "/a/b");
    CU_ASSERT(json_is_array(v) && json_array_size(v) == 2);

    CU_ASSERT_EQUAL(json_integer_value(dg_json_pointer_get(doc, "/m~0n")), 1);
    CU_ASSERT_EQUAL(json_integer_value(dg_json_pointer_get(doc, "/p~1q")), 2);
    CU_ASSERT_EQUAL(json_integer_value(dg_json_pointer_get(doc, "/")), 3);
    /* "~01" is "~1", not "/" */
    CU_ASSERT_EQUAL(json_integer_value(dg_json_pointer_get(doc, "/~01")), 4);
    CU_ASSERT_EQUAL(json_integer_value(dg_json_pointer_get(doc,
                                                           "/arr/1/1/0")), 5);
    CU_ASSERT(json_is_null(dg_json_pointer_get(doc, "/n")));

    /* malformed or naming nothing */
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "a"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "/zz"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "/a/b/2"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "/a/b/01"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "/a/b/-"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "/a/b/+1"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "/a/b/"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "/a/b/x"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc,
                                           "/a/b/99999999999999999999999"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "/a/b/0/x"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "/m~2n"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "/m~"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "/p/q"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(doc, "/a//b"));
    CU_ASSERT_PTR_NULL(dg_json_pointer_get(NULL, "/a"));

    json_decref(doc);
}


/* a pointer built by dg_pointer_append resolves to the member it names */
static void
test_pointer_round_trip(void)
{
    char     ptr[64], item[64];
    json_t  *doc;

    doc = json_loads("{\"a/b~c\":[0,{\"~/\":7}]}", 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);

    dg_pointer_append(ptr, sizeof(ptr), "", "a/b~c");
    dg_pointer_append_index(item, sizeof(item), ptr, 1);
    dg_pointer_append(ptr, sizeof(ptr), item, "~/");

    CU_ASSERT_STRING_EQUAL(ptr, "/a~1b~0c/1/~0~1");
    CU_ASSERT_EQUAL(json_integer_value(dg_json_pointer_get(doc, ptr)), 7);

    json_decref(doc);
}


static void
test_utf8_length(void)
{
    CU_ASSERT_EQUAL(dg_utf8_length("", 0), 0);
    CU_ASSERT_EQUAL(dg_utf8_length("abc", 3), 3);
    CU_ASSERT_EQUAL(dg_utf8_length("Đơn", strlen("Đơn")), 3);
    CU_ASSERT_EQUAL(dg_utf8_length("Nguyễn", strlen("Nguyễn")), 6);
    CU_ASSERT_EQUAL(dg_utf8_length("\xf0\x9f\x98\x80", 4), 1);
    /* len bounds the count, not a NUL */
    CU_ASSERT_EQUAL(dg_utf8_length("a\0b", 3), 3);
    CU_ASSERT_EQUAL(dg_utf8_length("abcdef", 2), 2);
}


static CU_TestInfo  tests[] = {
    { "valid", test_valid },
    { "syntax", test_syntax },
    { "depth", test_depth },
    { "depth of objects", test_depth_objects },
    { "depth ignores strings", test_depth_ignores_strings },
    { "depth 100000 is fast", test_depth_huge_is_fast },
    { "depth message", test_depth_message },
    { "duplicate keys", test_duplicate_keys },
    { "utf8", test_utf8 },
    { "nul", test_nul },
    { "message stays utf8", test_message_stays_utf8 },
    { "bad escape renders", test_bad_escape_renders },
    { "nul byte after value", test_nul_byte_after_value },
    { "pointer get", test_pointer_get },
    { "pointer round trip", test_pointer_round_trip },
    { "utf8 length", test_utf8_length },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(json, tests)
