/*
 * The figures through real nginx and PostgreSQL: a day of its own (in
 * 2020, chosen per run) filled with dossiers covering every definition of
 * CONTRACT.md section 6, read back exactly for one sector and with
 * by_sector; the day's edges in Asia/Ho_Chi_Minh; grants and 422s.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "unit.h"


/* The test's day, as Unix time of its midnight in Hanoi. */
static time_t  day0;


/* yyyyMMddHHmmss in Hanoi, at a number of seconds from day0 */
static const char *
vn(long seconds, char *buf)
{
    time_t     t;
    struct tm  tm;

    t = day0 + seconds + 7 * 3600;
    gmtime_r(&t, &tm);
    strftime(buf, 15, "%Y%m%d%H%M%S", &tm);

    return buf;
}


#define H  3600L
#define D  86400L


/* Submits a dossier received at day0 + tn, due at due (Unix time), with
 * the sector's procedure, channel and status given.  Returns its code. */
static const char *
dossier(const char *sector, int channel, int status, long tn, time_t due)
{
    static char   code[64];
    char          buf[16], *json;
    json_t       *d;
    itest_response_t  res;

    snprintf(code, sizeof(code), "%s", itest_unique("HP-ST"));
    d = itest_dossier(code);

    if (strcmp(sector, "CT") == 0) {
        json_object_set_new(d, "MaTTHC", json_string("2.000815"));
        json_object_set_new(d, "MaLinhVuc", json_string("CT"));
        json_object_del(d, "DuLieuChuyenNganh");
    }

    json_object_set_new(d, "KenhThucHien", json_integer(channel));
    json_object_set_new(d, "TrangThaiHoSo", json_integer(status));
    json_object_set_new(d, "NgayTiepNhan", json_string(vn(tn, buf)));
    json_object_set_new(d, "NgayHenTra",
                        json_string(vn((long) (due - day0), buf)));

    json = itest_dump(d);
    itest_submit(&res, json);
    CU_ASSERT_EQUAL(res.status, 201);
    if (res.status != 201) {
        fprintf(stderr, "\n  %s: %s\n", code, res.body);
    }

    itest_response_free(&res);
    free(json);
    json_decref(d);

    return code;
}


/* Moves a dossier at day0 + at; expects status. */
static void
move(const char *code, int to, long at, long expect)
{
    char              path[256], body[512], t[16];
    itest_response_t  res;

    snprintf(path, sizeof(path), "/v1/dossiers/%s/progress", code);
    snprintf(body, sizeof(body),
             "{\"TrangThaiHoSo\":%d,\"ThoiDiemXuLy\":\"%s\","
             "\"NguoiXuLy\":\"Trần Văn Bình\"%s%s%s}", to, vn(at, t),
             to == 10 ? ",\"NgayTra\":\"" : "", to == 10 ? t : "",
             to == 10 ? "\"" : "");

    itest_http(&res, "POST", path, body, strlen(body),
               (const char *const[]) { "Content-Type: application/json",
                                       NULL });
    CU_ASSERT_EQUAL(res.status, expect);
    if (res.status != expect) {
        fprintf(stderr, "\n  %s -> %d: %s\n", code, to, res.body);
    }

    itest_response_free(&res);
}


static json_t *
stats(const char *query, long expect)
{
    char               path[256];
    json_t            *body;
    itest_response_t   res;

    snprintf(path, sizeof(path), "/v1/stats?%s", query);
    itest_http(&res, "GET", path, NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, expect);

    body = json_loads(res.body, 0, NULL);
    if (res.status != expect) {
        fprintf(stderr, "\n  %s: %s\n", path, res.body);
    }

    itest_response_free(&res);

    return body;
}


static long
num(json_t *o, const char *name)
{
    return (long) json_integer_value(json_object_get(o, name));
}


static double
share(json_t *o, const char *name)
{
    return json_number_value(json_object_get(o, name));
}


static json_t *
sector_of(json_t *body, const char *sector)
{
    size_t   i;
    json_t  *s;

    json_array_foreach(json_object_get(body, "by_sector"), i, s) {
        if (strcmp(json_string_value(json_object_get(s, "sector")), sector)
            == 0)
        {
            return s;
        }
    }

    return NULL;
}


static void
day_query(char *q, size_t size, long from, long to, const char *sector)
{
    char  a[16], b[16];

    vn(from * D, a);
    vn(to * D, b);
    a[8] = '\0';
    b[8] = '\0';

    snprintf(q, size, "from=%s&to=%s%s%s", a, b, sector ? "&sector=" : "",
             sector ? sector : "");
}


/* 1 when day0 + days is in day0's calendar month */
static int
same_month(long days)
{
    char  a[16], b[16];

    vn(0, a);
    vn(days * D, b);

    return strncmp(a, b, 6) == 0;
}


/* from the first to the last day of day0's month */
static void
month_query(char *q, size_t size, const char *sector)
{
    int        last;
    char       a[16];
    static const int  days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                 31 };

    vn(0, a);
    last = days[(a[4] - '0') * 10 + (a[5] - '0') - 1];  /* 2020: leap */

    snprintf(q, size, "from=%.6s01&to=%.6s%02d&sector=%s", a, a, last,
             sector);
}


/*
 * The day, sector CT:
 *   A online, 1 -> 2 -> 9 before due (posted twice) -> 10: on time
 *   B in person, 2 -> 4 -> 9 after due: late (overdue)
 *   C online 1 -> 7 (withdrawn), E in person 2 -> 8 (stopped), F online
 *     received refused (3): closed otherwise
 *   G in person 2 -> 4, due in 2020: in progress, overdue
 *   H online 1, I online 2 -> 5, due next month: in progress
 *   M online, received at 00:00:00 that day: in progress
 *   L at 23:59:59 the day before and N at 00:00:00 the day after: not
 *     that day's
 * sector BTXH: J online 1 due in 2020 (overdue), K online 1 -> 2 -> 9 on
 * time, and later P and Q.
 */
static void
figures_of_a_day(void)
{
    char         q[128];
    time_t       later;
    json_t      *body, *s;
    const char  *code;
    char         a[64];
    struct tm    tm;

    /* a day of 2020 for this run: nobody else receives dossiers then */
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = 120;
    tm.tm_mon = 0;
    tm.tm_mday = 1 + (int) (getpid() % 300);
    day0 = timegm(&tm) - 7 * 3600;
    later = time(NULL) + 30 * D;

    day_query(q, sizeof(q), 0, 0, NULL);
    body = stats(q, 200);
    CU_ASSERT_EQUAL_FATAL(num(body, "received"), 0);
    json_decref(body);

    /* A: each change counts at once */
    snprintf(a, sizeof(a), "%s", dossier("CT", 2, 1, 9 * H, day0 + 5 * D));
    day_query(q, sizeof(q), 0, 0, "CT");
    body = stats(q, 200);
    CU_ASSERT_EQUAL(num(body, "received"), 1);
    CU_ASSERT_EQUAL(num(body, "in_progress"), 1);
    json_decref(body);

    move(a, 2, 10 * H, 200);
    move(a, 9, D + 10 * H, 200);
    move(a, 9, D + 10 * H, 200);           /* a retry: counted once */
    move(a, 10, 2 * D, 200);

    code = dossier("CT", 1, 2, 10 * H, day0 + 2 * D);              /* B */
    move(code, 4, 11 * H, 200);
    move(code, 9, 3 * D, 200);

    code = dossier("CT", 2, 1, 11 * H, day0 + 3 * D);              /* C */
    move(code, 7, 12 * H, 200);
    code = dossier("CT", 1, 2, 12 * H, day0 + 3 * D);              /* E */
    move(code, 8, 13 * H, 200);
    (void) dossier("CT", 2, 3, 13 * H, day0 + 3 * D);              /* F */

    code = dossier("CT", 1, 2, 14 * H, day0 + 3 * D);              /* G */
    move(code, 4, 15 * H, 200);

    (void) dossier("CT", 2, 1, 15 * H, later);                     /* H */
    code = dossier("CT", 2, 2, 16 * H, later);                     /* I */
    move(code, 5, 17 * H, 200);

    (void) dossier("CT", 2, 1, 0, later);                          /* M */
    (void) dossier("CT", 2, 1, -1, later);                         /* L */
    (void) dossier("CT", 1, 1, D, later);                          /* N */

    (void) dossier("BTXH", 2, 1, 9 * H, day0 + 4 * D);             /* J */
    code = dossier("BTXH", 2, 1, 10 * H, day0 + 4 * D);            /* K */
    move(code, 2, 11 * H, 200);
    move(code, 9, 2 * D, 200);

    /* one sector */
    day_query(q, sizeof(q), 0, 0, "CT");
    body = stats(q, 200);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(body, "sector")),
                           "CT");
    CU_ASSERT_EQUAL(num(body, "received"), 9);
    CU_ASSERT_EQUAL(num(body, "online"), 6);
    CU_ASSERT_EQUAL(share(body, "online_share"), 0.6667);
    CU_ASSERT_EQUAL(num(body, "resolved"), 2);
    CU_ASSERT_EQUAL(num(body, "resolved_on_time"), 1);
    CU_ASSERT_EQUAL(share(body, "on_time_share"), 0.5);
    CU_ASSERT_EQUAL(num(body, "overdue"), 2);
    CU_ASSERT_EQUAL(num(body, "closed_other"), 3);
    CU_ASSERT_EQUAL(num(body, "in_progress"), 4);
    CU_ASSERT_PTR_NULL(json_object_get(body, "by_sector"));
    CU_ASSERT_PTR_NOT_NULL(json_object_get(body, "as_of"));
    json_decref(body);

    /* every sector the caller reads */
    day_query(q, sizeof(q), 0, 0, NULL);
    body = stats(q, 200);
    CU_ASSERT_EQUAL(num(body, "received"), 11);
    CU_ASSERT_EQUAL(num(body, "online"), 8);
    CU_ASSERT_EQUAL(share(body, "online_share"), 0.7273);
    CU_ASSERT_EQUAL(num(body, "resolved"), 3);
    CU_ASSERT_EQUAL(num(body, "resolved_on_time"), 2);
    CU_ASSERT_EQUAL(share(body, "on_time_share"), 0.6667);
    CU_ASSERT_EQUAL(num(body, "overdue"), 3);
    CU_ASSERT_EQUAL(num(body, "closed_other"), 3);
    CU_ASSERT_EQUAL(num(body, "in_progress"), 5);

    s = sector_of(body, "BTXH");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(num(s, "received"), 2);
    CU_ASSERT_EQUAL(num(s, "online"), 2);
    CU_ASSERT_EQUAL(share(s, "online_share"), 1.0);
    CU_ASSERT_EQUAL(num(s, "resolved"), 1);
    CU_ASSERT_EQUAL(num(s, "resolved_on_time"), 1);
    CU_ASSERT_EQUAL(num(s, "overdue"), 1);
    CU_ASSERT_EQUAL(num(s, "in_progress"), 1);
    CU_ASSERT_EQUAL(num(s, "closed_other"), 0);

    s = sector_of(body, "CT");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(num(s, "received"), 9);
    CU_ASSERT_EQUAL(num(s, "overdue"), 2);

    /* sectors without dossiers that day are there, with zeros */
    s = sector_of(body, "HT");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(num(s, "received"), 0);
    CU_ASSERT_EQUAL(share(s, "online_share"), 0.0);
    json_decref(body);

    /* the day before to the day after: L and N too; 40 days around, read
     * as whole months and days: the same */
    day_query(q, sizeof(q), -1, 1, "CT");
    body = stats(q, 200);
    CU_ASSERT_EQUAL(num(body, "received"), 11);
    CU_ASSERT_EQUAL(num(body, "in_progress"), 6);
    json_decref(body);

    day_query(q, sizeof(q), -40, 40, "CT");
    body = stats(q, 200);
    CU_ASSERT_EQUAL(num(body, "received"), 11);
    CU_ASSERT_EQUAL(num(body, "overdue"), 2);
    json_decref(body);

    /* the day's calendar month alone: L and N when they are in it */
    month_query(q, sizeof(q), "CT");
    body = stats(q, 200);
    CU_ASSERT_EQUAL(num(body, "received"),
                    9 + same_month(-1) + same_month(1));
    json_decref(body);

    /* a client reads only its sectors */
    itest_as_client("ht-registry", "ht-registry-secret");
    day_query(q, sizeof(q), 0, 0, NULL);
    body = stats(q, 200);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(body, "by_sector")), 1);
    CU_ASSERT_PTR_NOT_NULL(sector_of(body, "HT"));
    CU_ASSERT_EQUAL(num(body, "received"), 0);
    json_decref(body);

    day_query(q, sizeof(q), 0, 0, "CT");
    body = stats(q, 403);
    json_decref(body);
    itest_as_client("demo-portal", "demo-portal-secret");

    /* results returned without a 9 first ("first moved it to 9 (or to
     * 10)"), sector BTXH: P online 1 -> 10 before due, on time; Q online
     * 1 -> 4 -> 10 after due, late; with J and K above */
    code = dossier("BTXH", 2, 1, 9 * H, day0 + 2 * D);             /* P */
    move(code, 10, D, 200);
    code = dossier("BTXH", 2, 1, 10 * H, day0 + D);                /* Q */
    move(code, 4, 11 * H, 200);
    move(code, 10, 2 * D, 200);

    day_query(q, sizeof(q), 0, 0, "BTXH");
    body = stats(q, 200);
    CU_ASSERT_EQUAL(num(body, "received"), 4);
    CU_ASSERT_EQUAL(num(body, "resolved"), 3);
    CU_ASSERT_EQUAL(num(body, "resolved_on_time"), 2);
    CU_ASSERT_EQUAL(num(body, "overdue"), 2);
    CU_ASSERT_EQUAL(num(body, "in_progress"), 1);
    json_decref(body);
}


/* The figures by range and sector: want from the dossiers, got from the
 * counters. */
#define STATS_WANT_GOT                                                        \
    "WITH b AS (" \
    "  SELECT d.ma_linh_vuc AS sector," \
    "         dossier_day(d.ngay_tiep_nhan) AS day," \
    "         d.kenh_thuc_hien AS kenh," \
    "         dossier_class(d.trang_thai) AS cls, d.ngay_hen_tra AS due," \
    "         coalesce(r.thoi_diem, d.ngay_tiep_nhan) AS res" \
    "    FROM dossiers d LEFT JOIN LATERAL (" \
    "      SELECT thoi_diem FROM dossier_progress WHERE dossier_id = d.id" \
    "         AND trang_thai IN (9, 10) ORDER BY id LIMIT 1) r ON true)," \
    " ranges (a, b) AS (VALUES" \
    "  (current_date - 1, current_date + 1)," \
    "  (current_date - 365, current_date)," \
    "  ($1::date - 30, $1::date + 30), ($1::date, $1::date)," \
    "  (date_trunc('month', $1::date)::date," \
    "   (date_trunc('month', $1::date) + interval '2 months')::date))," \
    " want AS (" \
    "  SELECT r.a, r.b, s.sector," \
    "         format('%s/%s/%s/%s/%s/%s/%s', count(b.*)," \
    "           count(*) FILTER (WHERE kenh = 2)," \
    "           count(*) FILTER (WHERE cls = 'resolved')," \
    "           count(*) FILTER (WHERE cls = 'resolved' AND res <= due)," \
    "           count(*) FILTER (WHERE cls = 'closed')," \
    "           count(*) FILTER (WHERE cls = 'in_progress')," \
    "           count(*) FILTER (WHERE (cls = 'resolved' AND res > due)" \
    "             OR (cls = 'in_progress' AND due < now()))) AS f" \
    "    FROM ranges r" \
    "    CROSS JOIN (SELECT DISTINCT ma_linh_vuc AS sector" \
    "                  FROM procedures) s" \
    "    LEFT JOIN b ON b.sector = s.sector" \
    "               AND b.day BETWEEN r.a AND r.b" \
    "   GROUP BY r.a, r.b, s.sector)," \
    " got AS (" \
    "  SELECT r.a, r.b, g.sector," \
    "         format('%s/%s/%s/%s/%s/%s/%s', g.received, g.online," \
    "                g.resolved, g.on_time, g.closed_other," \
    "                g.in_progress, g.overdue) AS f" \
    "    FROM ranges r, dossier_stats_read(r.a, r.b, '*') g)"
#define STATS_DIFFER                                                          \
    "  FROM want FULL JOIN got USING (a, b, sector)"                      \
    " WHERE want.f IS DISTINCT FROM got.f"


/*
 * The counters against a count over the dossiers themselves, with the
 * definitions of CONTRACT.md section 6, for every sector and several
 * ranges, after everything the suites so far have stored and moved.
 */
static void
counters_agree_with_dossiers(void)
{
    char  day[16];
    long  bad;

    /* the test day of figures_of_a_day, yyyyMMdd */
    vn(0, day);
    day[8] = '\0';

    bad = itest_sql_long(STATS_WANT_GOT
                         " SELECT count(*)" STATS_DIFFER, day);

    CU_ASSERT_EQUAL(bad, 0);
    if (bad != 0) {
        itest_sql_print(STATS_WANT_GOT
                        " SELECT a, b, sector, want.f AS want, got.f AS got,"
                        "        now()" STATS_DIFFER, day);
    }
}


static void
refusals(void)
{
    char              *token;
    itest_response_t   res;

    token = itest_vneid_token("031185001234", NULL);
    itest_as_citizen(token);
    itest_http(&res, "GET", "/v1/stats?from=20261001&to=20261001", NULL, 0,
               NULL);
    CU_ASSERT_EQUAL(res.status, 403);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.citizen"));
    itest_response_free(&res);
    free(token);
    itest_as_client("demo-portal", "demo-portal-secret");

    /* 366 days at most */
    itest_http(&res, "GET", "/v1/stats?from=20240101&to=20241231", NULL, 0,
               NULL);
    CU_ASSERT_EQUAL(res.status, 200);
    itest_response_free(&res);

    itest_http(&res, "GET", "/v1/stats?from=20240101&to=20250101", NULL, 0,
               NULL);
    CU_ASSERT_EQUAL(res.status, 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/to", "range"));
    itest_response_free(&res);

    itest_http(&res, "GET", "/v1/stats?from=20261002&to=20261001", NULL, 0,
               NULL);
    CU_ASSERT_EQUAL(res.status, 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/to", "date.order"));
    itest_response_free(&res);

    itest_http(&res, "GET", "/v1/stats?from=2026-10-01&to=20260230"
               "&sector=ZZ", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/from", "format"));
    CU_ASSERT_TRUE(itest_has_problem(&res, "/to", "date"));
    CU_ASSERT_TRUE(itest_has_problem(&res, "/sector", "sector.unknown"));
    itest_response_free(&res);

    itest_http(&res, "GET", "/v1/stats?to=20261001", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/from", "required"));
    itest_response_free(&res);
}


static CU_TestInfo  tests[] = {
    { "figures of a day, one sector and by_sector", figures_of_a_day },
    { "counters agree with a count over the dossiers",
      counters_agree_with_dossiers },
    { "figures refusals: 403, 422", refusals },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(stats, tests)
