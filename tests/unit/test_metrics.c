/*
 * The Prometheus text format: families, exact decimal values, escaping,
 * cumulative histograms; the routes and status codes counted.
 */

#include <string.h>

#include "dg_metrics.h"
#include "unit.h"


static const uint64_t      ms_bounds[] = { 1000, 2500, 10000 };
static const dg_buckets_t  ms = { ms_bounds, 3, 1000000 };


static void
family_and_values(void)
{
    dg_metrics_t      m;
    const dg_label_t  labels[] = { { "route", "submit" }, { "code", "201" } };

    dg_metrics_init(&m);
    dg_metrics_family(&m, "dossier_http_requests_total", DG_METRIC_COUNTER,
                      "Requests answered.");
    dg_metrics_value(&m, "dossier_http_requests_total", labels, 2, 7, 1);
    dg_metrics_family(&m, "dossier_redis_connected", DG_METRIC_GAUGE,
                      "Workers connected.");
    dg_metrics_value(&m, "dossier_redis_connected", NULL, 0, 2, 1);

    CU_ASSERT_FALSE(m.failed);
    CU_ASSERT_STRING_EQUAL(m.data,
        "# HELP dossier_http_requests_total Requests answered.\n"
        "# TYPE dossier_http_requests_total counter\n"
        "dossier_http_requests_total{route=\"submit\",code=\"201\"} 7\n"
        "# HELP dossier_redis_connected Workers connected.\n"
        "# TYPE dossier_redis_connected gauge\n"
        "dossier_redis_connected 2\n");

    dg_metrics_free(&m);
}


static void
exact_decimals(void)
{
    dg_metrics_t  m;

    dg_metrics_init(&m);
    dg_metrics_value(&m, "a_seconds", NULL, 0, 1500, 1000000);
    dg_metrics_value(&m, "b_seconds", NULL, 0, 2000, 1000);
    dg_metrics_value(&m, "c_seconds", NULL, 0, 0, 1000000000);
    dg_metrics_value(&m, "d_seconds", NULL, 0, 18446744073709551615ULL,
                     1000000000);
    dg_metrics_value(&m, "e_seconds", NULL, 0, 1, 1000000000);

    CU_ASSERT_STRING_EQUAL(m.data,
        "a_seconds 0.0015\n"
        "b_seconds 2\n"
        "c_seconds 0\n"
        "d_seconds 18446744073.709551615\n"
        "e_seconds 0.000000001\n");

    dg_metrics_free(&m);
}


static void
escaping(void)
{
    dg_metrics_t      m;
    const dg_label_t  label = { "plugin", "a\\b\"c\nd" };

    dg_metrics_init(&m);
    dg_metrics_family(&m, "x_total", DG_METRIC_COUNTER,
                      "back\\slash \"quoted\"\nnext line");
    dg_metrics_value(&m, "x_total", &label, 1, 1, 1);

    CU_ASSERT_STRING_EQUAL(m.data,
        "# HELP x_total back\\\\slash \"quoted\"\\nnext line\n"
        "# TYPE x_total counter\n"
        "x_total{plugin=\"a\\\\b\\\"c\\nd\"} 1\n");

    dg_metrics_free(&m);
}


static void
histogram(void)
{
    dg_metrics_t      m;
    dg_histogram_t    h, other;
    const dg_label_t  label = { "route", "lookup" };

    memset(&h, 0, sizeof(h));

    /* a bound is inclusive: 1000 goes in le="0.001" */
    dg_histogram_observe(&h, &ms, 400);
    dg_histogram_observe(&h, &ms, 1000);
    dg_histogram_observe(&h, &ms, 1001);
    dg_histogram_observe(&h, &ms, 50000);

    CU_ASSERT_EQUAL(h.bucket[0], 2);
    CU_ASSERT_EQUAL(h.bucket[1], 1);
    CU_ASSERT_EQUAL(h.bucket[2], 0);
    CU_ASSERT_EQUAL(h.bucket[3], 1);
    CU_ASSERT_EQUAL(h.sum, 52401);

    dg_metrics_init(&m);
    dg_metrics_histogram(&m, "d_seconds", &label, 1, &h, &ms);

    CU_ASSERT_STRING_EQUAL(m.data,
        "d_seconds_bucket{route=\"lookup\",le=\"0.001\"} 2\n"
        "d_seconds_bucket{route=\"lookup\",le=\"0.0025\"} 3\n"
        "d_seconds_bucket{route=\"lookup\",le=\"0.01\"} 3\n"
        "d_seconds_bucket{route=\"lookup\",le=\"+Inf\"} 4\n"
        "d_seconds_sum{route=\"lookup\"} 0.052401\n"
        "d_seconds_count{route=\"lookup\"} 4\n");

    dg_metrics_free(&m);

    /* two workers' histograms add up bucket by bucket */
    memset(&other, 0, sizeof(other));
    dg_histogram_observe(&other, &ms, 3000);
    dg_metrics_add((uint64_t *) &h, (const uint64_t *) &other,
                   sizeof(h) / sizeof(uint64_t));

    CU_ASSERT_EQUAL(h.bucket[2], 1);
    CU_ASSERT_EQUAL(h.sum, 55401);

    dg_metrics_init(&m);
    dg_metrics_histogram(&m, "n", NULL, 0, &h, &ms);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.data, "n_bucket{le=\"+Inf\"} 5\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m.data, "n_count 5\n"));
    dg_metrics_free(&m);
}


static void
grows(void)
{
    int           i;
    dg_metrics_t  m;

    dg_metrics_init(&m);

    for (i = 0; i < 2000; i++) {
        dg_metrics_value(&m, "dossier_something_total", NULL, 0, i, 1);
    }

    CU_ASSERT_FALSE(m.failed);
    CU_ASSERT_EQUAL(strlen(m.data), m.len);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.data, "dossier_something_total 1999\n"));

    dg_metrics_free(&m);
}


static void
routes(void)
{
#define route(path)  dg_metrics_route(path, sizeof(path) - 1)

    CU_ASSERT_EQUAL(route("/v1/dossiers"), DG_ROUTE_SUBMIT);
    CU_ASSERT_EQUAL(route("/v1/dossiers/batch"), DG_ROUTE_BATCH);
    CU_ASSERT_EQUAL(route("/v1/dossiers/HP-2026-1"), DG_ROUTE_LOOKUP);
    CU_ASSERT_EQUAL(route("/v1/dossiers/HP/2026/1"), DG_ROUTE_LOOKUP);
    CU_ASSERT_EQUAL(route("/v1/dossiers/HP/2026/1/progress"),
                    DG_ROUTE_PROGRESS);
    CU_ASSERT_EQUAL(route("/v1/dossiers/progress"), DG_ROUTE_LOOKUP);
    CU_ASSERT_EQUAL(route("/v1/dossiers/"), DG_ROUTE_OTHER);
    CU_ASSERT_EQUAL(route("/v1/feed"), DG_ROUTE_FEED);
    CU_ASSERT_EQUAL(route("/v1/stats"), DG_ROUTE_STATS);
    CU_ASSERT_EQUAL(route("/admin/plugins/btxh/enable"), DG_ROUTE_ADMIN);
    CU_ASSERT_EQUAL(route("/metrics"), DG_ROUTE_ADMIN);
    CU_ASSERT_EQUAL(route("/readyz"), DG_ROUTE_ADMIN);
    CU_ASSERT_EQUAL(route("/v1/dossiersX"), DG_ROUTE_OTHER);
    CU_ASSERT_EQUAL(route("/"), DG_ROUTE_OTHER);

#undef route

    CU_ASSERT_STRING_EQUAL(dg_metrics_route_name(DG_ROUTE_PROGRESS),
                           "progress");
    CU_ASSERT_STRING_EQUAL(dg_metrics_route_name(DG_ROUTES), "other");
}


static void
codes(void)
{
    CU_ASSERT_STRING_EQUAL(dg_metrics_code_name(dg_metrics_code(201)), "201");
    CU_ASSERT_STRING_EQUAL(dg_metrics_code_name(dg_metrics_code(503)), "503");
    CU_ASSERT_STRING_EQUAL(dg_metrics_code_name(dg_metrics_code(499)), "499");
    CU_ASSERT_STRING_EQUAL(dg_metrics_code_name(dg_metrics_code(418)),
                           "other");
    CU_ASSERT_STRING_EQUAL(dg_metrics_code_name(dg_metrics_code(0)), "other");
    CU_ASSERT_EQUAL(dg_metrics_code(418), DG_METRICS_CODES - 1);
}


static CU_TestInfo  tests[] = {
    { "families, HELP and TYPE, labels", family_and_values },
    { "values in base units, exactly", exact_decimals },
    { "label values and HELP escaped", escaping },
    { "histograms: cumulative le, sum, count; they add up", histogram },
    { "the text grows as needed", grows },
    { "routes from the path", routes },
    { "status codes: a fixed set, the rest other", codes },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(metrics, tests)
