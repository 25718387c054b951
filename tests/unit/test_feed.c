/*
 * The change feed's core: cursors (opaque, exact, strict), query-string
 * parameters and their problems, the JSON answer.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "unit.h"
#include "dg_catalog.h"
#include "dg_feed.h"
#include "dg_query.h"


static dg_catalog_t *
catalog(void)
{
    dg_catalog_t  *cat;

    cat = dg_catalog_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.001193", "HT"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.001776", "BTXH"), 0);

    return cat;
}


/* Is (pointer, code) among the problems? */
static int
has(const dg_problems_t *p, const char *pointer, const char *code)
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


static void
test_cursor_round_trip(void)
{
    char              s[DG_FEED_CURSOR_LEN + 1];
    size_t            i;
    dg_feed_cursor_t  c, back;
    const uint64_t    values[] = {
        0, 1, 2, 255, 256, 4294967295ULL, 4294967296ULL,
        0x0123456789abcdefULL, UINT64_MAX - 1, UINT64_MAX
    };

    for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        c.xid = values[i];
        c.seq = values[sizeof(values) / sizeof(values[0]) - 1 - i];

        dg_feed_cursor_encode(&c, s);
        CU_ASSERT_EQUAL(strlen(s), DG_FEED_CURSOR_LEN);
        CU_ASSERT_EQUAL(strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                  "opqrstuvwxyz0123456789-_"),
                        DG_FEED_CURSOR_LEN);

        CU_ASSERT_EQUAL(dg_feed_cursor_decode(s, strlen(s), &back), 0);
        CU_ASSERT(back.xid == c.xid && back.seq == c.seq);
    }

    c.xid = 0;
    c.seq = 0;
    dg_feed_cursor_encode(&c, s);
    CU_ASSERT_STRING_EQUAL(s, "AAAAAAAAAAAAAAAAAAAAAA");

    /* 16 bytes, big-endian: xid first */
    c.xid = 1;
    c.seq = 2;
    dg_feed_cursor_encode(&c, s);
    CU_ASSERT_STRING_EQUAL(s, "AAAAAAAAAAEAAAAAAAAAAg");
}


static void
test_cursor_refused(void)
{
    dg_feed_cursor_t  c;

    CU_ASSERT_EQUAL(dg_feed_cursor_decode("", 0, &c), -1);
    CU_ASSERT_EQUAL(dg_feed_cursor_decode("AAAAAAAAAAEAAAAAAAAAA", 21, &c),
                    -1);
    CU_ASSERT_EQUAL(dg_feed_cursor_decode("AAAAAAAAAAEAAAAAAAAAAgA", 23, &c),
                    -1);
    /* base64 (not url) and padding characters */
    CU_ASSERT_EQUAL(dg_feed_cursor_decode("AAAAAAAAAAEAAAAAAAAA+g", 22, &c),
                    -1);
    CU_ASSERT_EQUAL(dg_feed_cursor_decode("AAAAAAAAAAEAAAAAAAAAA=", 22, &c),
                    -1);
    CU_ASSERT_EQUAL(dg_feed_cursor_decode("AAAAAAAAAAEAAAAAAAA\0Ag", 22, &c),
                    -1);
    /* the last character's 4 unused bits must be zero */
    CU_ASSERT_EQUAL(dg_feed_cursor_decode("AAAAAAAAAAEAAAAAAAAAAh", 22, &c),
                    -1);
    CU_ASSERT_EQUAL(dg_feed_cursor_decode("AAAAAAAAAAEAAAAAAAAAAw", 22, &c),
                    0);
    CU_ASSERT(c.xid == 1 && c.seq == 3);
}


static int
parse(const char *args, dg_feed_query_t *q, dg_problems_t *p)
{
    int            rc;
    dg_catalog_t  *cat;

    cat = catalog();
    dg_problems_clear(p);
    rc = dg_feed_query_parse(args, strlen(args), cat, q, p);
    dg_catalog_free(cat);

    return rc;
}


static void
test_query(void)
{
    dg_problems_t    p;
    dg_feed_query_t  q;

    dg_problems_init(&p);

    CU_ASSERT_EQUAL(parse("sector=HT", &q, &p), 0);
    CU_ASSERT_STRING_EQUAL(q.sector, "HT");
    CU_ASSERT(q.after.xid == 0 && q.after.seq == 0);
    CU_ASSERT_EQUAL(q.limit, 100);
    CU_ASSERT_EQUAL(q.wait, 0);

    CU_ASSERT_EQUAL(parse("limit=1000&after=AAAAAAAAAAEAAAAAAAAAAg&wait=30"
                          "&sector=BTXH&unknown=ignored&x", &q, &p), 0);
    CU_ASSERT_STRING_EQUAL(q.sector, "BTXH");
    CU_ASSERT(q.after.xid == 1 && q.after.seq == 2);
    CU_ASSERT_EQUAL(q.limit, 1000);
    CU_ASSERT_EQUAL(q.wait, 30);

    /* percent-encoded names and values are decoded */
    CU_ASSERT_EQUAL(parse("%73ector=%48T&limit=%31", &q, &p), 0);
    CU_ASSERT_STRING_EQUAL(q.sector, "HT");
    CU_ASSERT_EQUAL(q.limit, 1);

    CU_ASSERT_EQUAL(parse("", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "required"));
    CU_ASSERT_EQUAL(p.n, 1);

    CU_ASSERT_EQUAL(parse("sector=DD", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "sector.unknown"));
    CU_ASSERT_EQUAL(parse("sector=ht", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "sector.unknown"));
    CU_ASSERT_EQUAL(parse("sector=", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "sector.unknown"));

    /* every problem at once */
    CU_ASSERT_EQUAL(parse("sector=HT&after=nope&limit=0&wait=31", &q, &p),
                    -1);
    CU_ASSERT(has(&p, "/after", "cursor"));
    CU_ASSERT(has(&p, "/limit", "range"));
    CU_ASSERT(has(&p, "/wait", "range"));
    CU_ASSERT_EQUAL(p.n, 3);

    CU_ASSERT_EQUAL(parse("sector=HT&limit=1001", &q, &p), -1);
    CU_ASSERT(has(&p, "/limit", "range"));
    CU_ASSERT_EQUAL(parse("sector=HT&limit=999999999999", &q, &p), -1);
    CU_ASSERT(has(&p, "/limit", "range"));
    CU_ASSERT_EQUAL(parse("sector=HT&limit=99999999999999999999", &q, &p),
                    -1);
    CU_ASSERT(has(&p, "/limit", "range"));
    CU_ASSERT_EQUAL(parse("sector=HT&limit=0000000000000000001", &q, &p),
                    -1);
    CU_ASSERT(has(&p, "/limit", "range"));
    CU_ASSERT_EQUAL(parse("sector=HT&limit=-1", &q, &p), -1);
    CU_ASSERT(has(&p, "/limit", "type"));
    CU_ASSERT_EQUAL(parse("sector=HT&limit=", &q, &p), -1);
    CU_ASSERT(has(&p, "/limit", "type"));
    CU_ASSERT_EQUAL(parse("sector=HT&wait=1.5", &q, &p), -1);
    CU_ASSERT(has(&p, "/wait", "type"));
    CU_ASSERT_EQUAL(parse("sector=HT&after=", &q, &p), -1);
    CU_ASSERT(has(&p, "/after", "cursor"));

    /* twice is ambiguous; badly encoded is refused, not guessed */
    CU_ASSERT_EQUAL(parse("sector=HT&sector=BTXH", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "duplicate"));
    CU_ASSERT_EQUAL(p.n, 1);
    CU_ASSERT_EQUAL(parse("sector=HT&limit=1&limit=1&limit=1", &q, &p), -1);
    CU_ASSERT(has(&p, "/limit", "duplicate"));
    CU_ASSERT_EQUAL(p.n, 1);
    CU_ASSERT_EQUAL(parse("sector=H%T", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "format"));
    CU_ASSERT_EQUAL(p.n, 1);
    CU_ASSERT_EQUAL(parse("sector=HT%", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "format"));
    CU_ASSERT_EQUAL(parse("sector=H%00T", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "format"));

    /* too long is judged by the parameter's own rule: a sector of any
     * length that the catalog does not have is unknown, a string longer
     * than a cursor is not a cursor */
    CU_ASSERT_EQUAL(parse("sector=ABCDEFGHIJKLMNOPQ", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "sector.unknown"));
    CU_ASSERT_EQUAL(parse("sector=ABCDEFGHIJKLMNOPQR", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "sector.unknown"));
    CU_ASSERT_EQUAL(parse("sector=HTHTHTHTHTHTHTHTHTHTHTHTHTHTHTHTHTHTHTHT",
                          &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "sector.unknown"));
    CU_ASSERT_EQUAL(p.n, 1);
    CU_ASSERT_EQUAL(parse("sector=HT&after=AAAAAAAAAAAAAAAAAAAAAAA", &q, &p),
                    -1);
    CU_ASSERT(has(&p, "/after", "cursor"));
    CU_ASSERT_EQUAL(parse("sector=HT&after=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                          "AAAAAAAAAAAAAAAA", &q, &p), -1);
    CU_ASSERT(has(&p, "/after", "cursor"));
    CU_ASSERT_EQUAL(p.n, 1);

    /* a name alone is the name with an empty value */
    CU_ASSERT_EQUAL(parse("sector", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "sector.unknown"));
    CU_ASSERT_EQUAL(parse("sector=HT&limit", &q, &p), -1);
    CU_ASSERT(has(&p, "/limit", "type"));

    dg_problems_free(&p);
}


static void
test_query_plus_and_bounds(void)
{
    char              v[4];
    dg_check_t        ck;
    dg_problems_t     p;
    dg_query_param_t  param = { "q", v, sizeof(v), 0 };

    dg_problems_init(&p);
    ck.problems = &p;
    ck.nfail = 0;

    /* '+' is a space; three characters fit in four bytes */
    CU_ASSERT_EQUAL(dg_query_parse("q=a+b", 5, &param, 1, &ck), 0);
    CU_ASSERT_EQUAL(param.found, 1);
    CU_ASSERT_STRING_EQUAL(v, "a b");

    /* longer: cut, for the caller's rule to refuse; still decoded to
     * the end */
    CU_ASSERT_EQUAL(dg_query_parse("q=abcd", 6, &param, 1, &ck), 0);
    CU_ASSERT_EQUAL(param.found, 1);
    CU_ASSERT_STRING_EQUAL(v, "abc");
    CU_ASSERT_EQUAL(dg_query_parse("q=abcd%zz", 9, &param, 1, &ck), 1);
    CU_ASSERT_EQUAL(param.found, -1);
    CU_ASSERT_STRING_EQUAL(v, "");
    CU_ASSERT_EQUAL(dg_query_parse("q=abcd%00", 9, &param, 1, &ck), 1);
    CU_ASSERT_EQUAL(param.found, -1);

    CU_ASSERT_EQUAL(dg_query_parse("q", 1, &param, 1, &ck), 0);
    CU_ASSERT_EQUAL(param.found, 1);
    CU_ASSERT_STRING_EQUAL(v, "");

    /* the length given is the end: no NUL needed */
    CU_ASSERT_EQUAL(dg_query_parse("q=abXYZ", 4, &param, 1, &ck), 0);
    CU_ASSERT_STRING_EQUAL(v, "ab");

    CU_ASSERT_EQUAL(dg_query_parse("other=1", 7, &param, 1, &ck), 0);
    CU_ASSERT_EQUAL(param.found, 0);

    dg_problems_free(&p);
}


static void
test_json(void)
{
    char              *text, cursor[DG_FEED_CURSOR_LEN + 1];
    size_t             len;
    json_t            *root, *items, *it;
    dg_feed_item_t     item[2];
    dg_feed_cursor_t   after = { 7, 8 };
    static const char  dossier[] =
        "{\"MaHoSo\": \"HP-1\", \"KenhThucHien\": 2}";
    static const char  record[] = "{\"TrangThaiHoSo\": 2}";

    memset(item, 0, sizeof(item));

    item[0].cursor.xid = 10;
    item[0].cursor.seq = 11;
    item[0].id = 17;
    item[0].ma_ho_so = "HP-1";
    item[0].trang_thai = 1;
    item[0].version = 1;
    item[0].at = 1796115547;           /* 2026-12-01T15:59:07+07:00 */
    item[0].payload = dossier;
    item[0].payload_len = sizeof(dossier) - 1;

    item[1] = item[0];
    item[1].cursor.seq = 12;
    item[1].progress = 1;
    item[1].ma_ho_so = "HP-\"2\"/x";
    item[1].trang_thai = 2;
    item[1].version = 2;
    item[1].payload = record;
    item[1].payload_len = sizeof(record) - 1;

    text = dg_feed_json("HT", item, 2, &after, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL(len, strlen(text));

    root = json_loadb(text, len, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root,
                                                             "sector")),
                           "HT");

    items = json_object_get(root, "items");
    CU_ASSERT_EQUAL(json_array_size(items), 2);

    it = json_array_get(items, 0);
    dg_feed_cursor_encode(&item[0].cursor, cursor);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(it, "cursor")),
                           cursor);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(it, "event")),
                           "submitted");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(it, "id")), 17);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(it, "MaHoSo")),
                           "HP-1");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(it, "TrangThaiHoSo")),
                    1);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(it, "version")), 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(it, "at")),
                           "2026-12-01T15:59:07+07:00");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(
                        json_object_get(it, "dossier"), "KenhThucHien")), 2);
    CU_ASSERT_PTR_NULL(json_object_get(it, "progress"));

    it = json_array_get(items, 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(it, "event")),
                           "progress");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(it, "MaHoSo")),
                           "HP-\"2\"/x");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(
                        json_object_get(it, "progress"), "TrangThaiHoSo")),
                    2);
    CU_ASSERT_PTR_NULL(json_object_get(it, "dossier"));

    /* next: the last item's cursor */
    dg_feed_cursor_encode(&item[1].cursor, cursor);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root, "next")),
                           cursor);

    json_decref(root);
    free(text);

    /* no items: next is the cursor given */
    text = dg_feed_json("HT", NULL, 0, &after, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    dg_feed_cursor_encode(&after, cursor);
    root = json_loads(text, 0, NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(root, "items")), 0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root, "next")),
                           cursor);
    json_decref(root);
    free(text);
}


static CU_TestInfo  tests[] = {
    { "cursor round trip", test_cursor_round_trip },
    { "cursors refused", test_cursor_refused },
    { "query parameters", test_query },
    { "query decoding and bounds", test_query_plus_and_bounds },
    { "answer JSON", test_json },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(feed, tests)
