/*
 * The figures' core: parameters (days, order, span, sector), shares
 * rounded to 4 decimals, the answer for one sector and with by_sector.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "unit.h"
#include "dg_catalog.h"
#include "dg_stats.h"


static int
parse(const char *args, dg_stats_query_t *q, dg_problems_t *p)
{
    int            rc;
    dg_catalog_t  *cat;

    cat = dg_catalog_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.001193", "HT"), 0);

    dg_problems_clear(p);
    rc = dg_stats_query_parse(args, strlen(args), cat, q, p);
    dg_catalog_free(cat);

    return rc;
}


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
test_query(void)
{
    dg_problems_t     p;
    dg_stats_query_t  q;

    dg_problems_init(&p);

    CU_ASSERT_EQUAL(parse("from=20261001&to=20261231", &q, &p), 0);
    CU_ASSERT_STRING_EQUAL(q.from, "20261001");
    CU_ASSERT_STRING_EQUAL(q.to, "20261231");
    CU_ASSERT_STRING_EQUAL(q.sector, "");

    CU_ASSERT_EQUAL(parse("sector=HT&to=20261001&from=20261001", &q, &p), 0);
    CU_ASSERT_STRING_EQUAL(q.sector, "HT");

    /* 366 days: a leap year whole, or a year and a day */
    CU_ASSERT_EQUAL(parse("from=20240101&to=20241231", &q, &p), 0);
    CU_ASSERT_EQUAL(parse("from=20251201&to=20261201", &q, &p), 0);
    CU_ASSERT_EQUAL(parse("from=20251201&to=20261202", &q, &p), -1);
    CU_ASSERT(has(&p, "/to", "range"));
    CU_ASSERT_EQUAL(parse("from=20230101&to=20241231", &q, &p), -1);
    CU_ASSERT(has(&p, "/to", "range"));

    CU_ASSERT_EQUAL(parse("from=20261002&to=20261001", &q, &p), -1);
    CU_ASSERT(has(&p, "/to", "date.order"));
    CU_ASSERT_EQUAL(p.n, 1);

    /* days before 1970 are days like any other (they once passed with
     * no day at all, and the query failed: a 503) */
    CU_ASSERT_EQUAL(parse("from=19691231&to=19700101", &q, &p), 0);
    CU_ASSERT_STRING_EQUAL(q.from, "19691231");
    CU_ASSERT_STRING_EQUAL(q.to, "19700101");
    CU_ASSERT_EQUAL(parse("from=19000101&to=19001231", &q, &p), 0);
    CU_ASSERT_STRING_EQUAL(q.from, "19000101");
    CU_ASSERT_EQUAL(parse("from=19691230&to=19691229", &q, &p), -1);
    CU_ASSERT(has(&p, "/to", "date.order"));
    CU_ASSERT_EQUAL(parse("from=18991231&to=19000101", &q, &p), -1);
    CU_ASSERT(has(&p, "/from", "date"));

    CU_ASSERT_EQUAL(parse("", &q, &p), -1);
    CU_ASSERT(has(&p, "/from", "required"));
    CU_ASSERT(has(&p, "/to", "required"));
    CU_ASSERT_EQUAL(p.n, 2);

    CU_ASSERT_EQUAL(parse("from=2026-10-01&to=20261301", &q, &p), -1);
    CU_ASSERT(has(&p, "/from", "format"));
    CU_ASSERT(has(&p, "/to", "date"));
    CU_ASSERT_EQUAL(p.n, 2);

    CU_ASSERT_EQUAL(parse("from=20250229&to=20261001000000", &q, &p), -1);
    CU_ASSERT(has(&p, "/from", "date"));
    CU_ASSERT(has(&p, "/to", "format"));

    CU_ASSERT_EQUAL(parse("from=20261001&to=20261001&sector=XX", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "sector.unknown"));
    CU_ASSERT_EQUAL(parse("from=20261001&to=20261001"
                          "&sector=ABCDEFGHIJKLMNOPQRSTUVWXYZ", &q, &p), -1);
    CU_ASSERT(has(&p, "/sector", "sector.unknown"));
    CU_ASSERT_EQUAL(p.n, 1);
    CU_ASSERT_EQUAL(parse("from=2026100100000000000000&to=20261001", &q, &p),
                    -1);
    CU_ASSERT(has(&p, "/from", "format"));
    CU_ASSERT_EQUAL(parse("from=20261001&from=20261001&to=20261001", &q, &p),
                    -1);
    CU_ASSERT(has(&p, "/from", "duplicate"));
    CU_ASSERT_EQUAL(p.n, 1);

    dg_problems_free(&p);
}


static void
test_share(void)
{
    CU_ASSERT_EQUAL(dg_stats_share(0, 0), 0);
    CU_ASSERT_EQUAL(dg_stats_share(5, 0), 0);
    CU_ASSERT_EQUAL(dg_stats_share(0, 7), 0);
    CU_ASSERT_EQUAL(dg_stats_share(7, 7), 10000);
    CU_ASSERT_EQUAL(dg_stats_share(1, 3), 3333);
    CU_ASSERT_EQUAL(dg_stats_share(2, 3), 6667);
    CU_ASSERT_EQUAL(dg_stats_share(1, 8), 1250);
    /* half up: 1/20000 is 0.00005 */
    CU_ASSERT_EQUAL(dg_stats_share(1, 20000), 1);
    CU_ASSERT_EQUAL(dg_stats_share(1, 20001), 0);
    /* CONTRACT.md section 6's example */
    CU_ASSERT_EQUAL(dg_stats_share(93800, 140000), 6700);
    CU_ASSERT_EQUAL(dg_stats_share(126920, 127110), 9985);
    /* large counts do not overflow */
    CU_ASSERT_EQUAL(dg_stats_share(2000000000000LL, 3000000000000LL), 6667);
}


static void
test_json(void)
{
    char              *text;
    json_t            *root, *list, *s;
    dg_stats_query_t   q;
    dg_stats_row_t     rows[2] = {
        { "BTXH", 10, 4, 6, 5, 1, 3, 2 },
        { "HT", 3, 3, 0, 0, 0, 3, 1 },
    };

    memset(&q, 0, sizeof(q));
    strcpy(q.from, "20261001");
    strcpy(q.to, "20261231");

    text = dg_stats_json(&q, rows, 2, 1796115547);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);

    /* shares printed short */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"online_share\":0.5385,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"on_time_share\":0.8333,"));

    root = json_loads(text, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root, "from")),
                           "20261001");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root, "to")),
                           "20261231");
    CU_ASSERT_PTR_NULL(json_object_get(root, "sector"));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "received")), 13);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "online")), 7);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "resolved")), 6);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(root,
                                                       "resolved_on_time")),
                    5);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(root,
                                                       "closed_other")), 1);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "in_progress")),
                    6);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "overdue")), 3);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root, "as_of")),
                           "2026-12-01T15:59:07+07:00");

    list = json_object_get(root, "by_sector");
    CU_ASSERT_EQUAL(json_array_size(list), 2);
    s = json_array_get(list, 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "sector")),
                           "HT");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(s, "received")), 3);
    CU_ASSERT_EQUAL(json_real_value(json_object_get(s, "online_share")), 1.0);
    CU_ASSERT_EQUAL(json_real_value(json_object_get(s, "on_time_share")),
                    0.0);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(s, "overdue")), 1);

    json_decref(root);
    free(text);

    /* one sector: its figures, named, without by_sector */
    strcpy(q.sector, "HT");
    text = dg_stats_json(&q, &rows[1], 1, 1796115547);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    root = json_loads(text, 0, NULL);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root, "sector")),
                           "HT");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(root, "received")), 3);
    CU_ASSERT_PTR_NULL(json_object_get(root, "by_sector"));
    json_decref(root);
    free(text);
}


static CU_TestInfo  tests[] = {
    { "query parameters", test_query },
    { "shares", test_share },
    { "answer JSON", test_json },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(stats, tests)
