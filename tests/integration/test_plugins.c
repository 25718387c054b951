/*
 * Sector plugins through real nginx: problems merged into the 422, a sector
 * without plugins untouched, "nginx -t" refusing a mismatched plugin, and a
 * rebuilt plugin taking over at "nginx -s reload" while traffic goes on.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest.h"
#include "unit.h"


static const char *const  admin[] = {
    "Authorization: Bearer demo-admin-token", NULL
};


/* A certified-copy dossier (sector CT: no plugin in the stack). */
static json_t *
ct_dossier(const char *prefix, json_t *sector_data)
{
    json_t  *d;

    d = itest_dossier(itest_unique(prefix));
    json_object_set_new(d, "MaTTHC", json_string("2.000815"));
    json_object_set_new(d, "MaLinhVuc", json_string("CT"));
    json_object_set_new(d, "DuLieuChuyenNganh", sector_data);

    return d;
}


static long
submit_json(json_t *d, itest_response_t *res)
{
    char              *json;
    long               status;
    itest_response_t   own;

    json = itest_dump(d);
    itest_submit(res ? res : &own, json);
    status = res ? res->status : own.status;

    if (res == NULL) {
        itest_response_free(&own);
    }

    free(json);

    return status;
}


static void
plugin_problems_in_the_422(void)
{
    json_t           *d, *data;
    itest_response_t  res;

    d = itest_dossier(itest_unique("HP-PL"));
    data = json_object_get(d, "DuLieuChuyenNganh");
    json_object_set_new(data, "ThuNhapBinhQuan", json_integer(1500001));
    json_object_set_new(data, "SoNhanKhau", json_integer(0));

    CU_ASSERT_EQUAL(submit_json(d, &res), 422);
    CU_ASSERT_TRUE(itest_has_problem(&res,
                       "/DuLieuChuyenNganh/ThuNhapBinhQuan",
                       "btxh.income_above_threshold"));
    CU_ASSERT_TRUE(itest_has_problem(&res, "/DuLieuChuyenNganh/SoNhanKhau",
                                     "btxh.household_size"));
    CU_ASSERT_PTR_NOT_NULL(strstr(res.body, " / "));
    itest_response_free(&res);

    /* plugins run only once the core rules pass */
    json_object_set_new(d, "KenhThucHien", json_integer(9));
    CU_ASSERT_EQUAL(submit_json(d, &res), 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/KenhThucHien", "enum"));
    CU_ASSERT_PTR_NULL(strstr(res.body, "btxh."));
    itest_response_free(&res);

    json_decref(d);
}


static void
sector_without_plugin_untouched(void)
{
    json_t      *d;
    const char  *code;

    /* anything at all in the sector data: nobody checks it */
    d = ct_dossier("HP-CT", json_pack("{s:i, s:s, s:[i,i]}", "SoBanSao", 999,
                                      "GhiChu", "bản sao", "x", 1, 2));
    code = json_string_value(json_object_get(d, "MaHoSo"));

    CU_ASSERT_EQUAL(submit_json(d, NULL), 201);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT (body->'DuLieuChuyenNganh' = "
                                   "'{\"SoBanSao\":999,\"GhiChu\":\"bản sao\","
                                   "\"x\":[1,2]}'::jsonb)::int FROM dossiers "
                                   "WHERE ma_ho_so = $1", code), 1);
    json_decref(d);
}


/* Builds tests/integration/fixtures/probe.c (or a handmade fixture) into
 * the test stack's directory. */
static int
build_fixture(const char *out, const char *src, const char *defs)
{
    char  cmd[4096];

    snprintf(cmd, sizeof(cmd), "cc -shared -fPIC -Iplugins/include %s "
             "-o %s/%s.tmp %s && mv -f %s/%s.tmp %s/%s", defs,
             getenv("DG_TEST_VAR"), out, src, getenv("DG_TEST_VAR"), out,
             getenv("DG_TEST_VAR"), out);

    return system(cmd);
}


static void
mismatched_plugin_fails_config_test(void)
{
    char  conf[1024];

    CU_ASSERT_EQUAL_FATAL(build_fixture("future.so",
                              "tests/unit/fixtures/plugins/handmade.c",
                              "-DABI_MAJOR=2 -DABI_MINOR=0"), 0);

    snprintf(conf, sizeof(conf), "dossier_plugin %s/future.so;\n",
             getenv("DG_TEST_VAR"));
    CU_ASSERT_EQUAL_FATAL(itest_extra_conf("future.conf", conf), 0);

    /* nginx -t refuses it, naming the plugin and both ABI versions */
    CU_ASSERT_NOT_EQUAL(itest_stackctl("nginx-test 2>/tmp/dg-nginx-t.log"),
                        0);
    CU_ASSERT_EQUAL(system("grep -q 'plugin \"future\".*ABI 2.0, this "
                           "gateway provides 1.1' /tmp/dg-nginx-t.log"), 0);

    CU_ASSERT_EQUAL(itest_extra_conf("future.conf", NULL), 0);
    CU_ASSERT_EQUAL(itest_stackctl("nginx-test 2>/dev/null"), 0);
}


/* Traffic during the reloads: every answer must be a 201. */
static volatile int  traffic_stop;
static int           traffic_sent, traffic_failed;

static void *
traffic(void *arg)
{
    json_t            *d;
    long               status;
    itest_response_t   res;

    while (!traffic_stop) {
        d = ct_dossier("HP-RL", json_pack("{s:i}", "ReloadProbe", 5));
        status = submit_json(d, &res);
        json_decref(d);

        traffic_sent++;
        if (status != 201) {
            traffic_failed++;
            fprintf(stderr, "\n  during reload: %ld %s", status, res.body);
        }

        itest_response_free(&res);
    }

    return NULL;
}


/* Submits a probe of value until the answer is want (a reload takes a
 * moment to reach every worker); 1 when it came. */
static int
probe_until(int value, long want)
{
    int               i, got;
    json_t           *d;
    struct timespec   pause = { 0, 100 * 1000 * 1000 };
    itest_response_t  res;

    got = 0;
    memset(&res, 0, sizeof(res));

    for (i = 0; i < 100 && got < 4; i++) {
        itest_response_free(&res);
        d = ct_dossier("HP-PR", json_pack("{s:i}", "ReloadProbe", value));
        got = submit_json(d, &res) == want ? got + 1 : 0;
        json_decref(d);

        if (got == 0) {
            nanosleep(&pause, NULL);
        }
    }

    if (got < 4) {
        fprintf(stderr, "\n  probe %d: last answer %ld %s\n", value,
                res.status, res.body);
    }

    itest_response_free(&res);

    return got == 4;
}


static void
rebuilt_plugin_after_reload(void)
{
    char       conf[1024];
    pthread_t  t;

    CU_ASSERT_EQUAL_FATAL(build_fixture("probe.so",
                              "tests/integration/fixtures/probe.c",
                              "-DPROBE_LIMIT=100"), 0);
    snprintf(conf, sizeof(conf), "dossier_plugin %s/probe.so;\n",
             getenv("DG_TEST_VAR"));
    CU_ASSERT_EQUAL_FATAL(itest_extra_conf("probe.conf", conf), 0);

    traffic_stop = 0;
    traffic_sent = 0;
    traffic_failed = 0;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, traffic, NULL), 0);

    CU_ASSERT_EQUAL(itest_stackctl("nginx-reload"), 0);
    CU_ASSERT_TRUE(probe_until(150, 422));
    CU_ASSERT_TRUE(probe_until(50, 201));

    /* the same file, rebuilt with another rule */
    CU_ASSERT_EQUAL(build_fixture("probe.so",
                        "tests/integration/fixtures/probe.c",
                        "-DPROBE_LIMIT=10"), 0);
    CU_ASSERT_EQUAL(itest_stackctl("nginx-reload"), 0);
    CU_ASSERT_TRUE(probe_until(50, 422));

    traffic_stop = 1;
    pthread_join(t, NULL);

    CU_ASSERT_TRUE(traffic_sent > 10);
    CU_ASSERT_EQUAL(traffic_failed, 0);

    CU_ASSERT_EQUAL(itest_extra_conf("probe.conf", NULL), 0);
    CU_ASSERT_EQUAL(itest_stackctl("nginx-reload"), 0);
}


static void
admin_plugins(void)
{
    json_t           *d, *list;
    itest_response_t  res;

    itest_http(&res, "GET", "admin:/admin/plugins", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.admin"));
    itest_response_free(&res);

    itest_http(&res, "GET", "admin:/admin/plugins", NULL, 0, admin);
    CU_ASSERT_EQUAL(res.status, 200);
    list = json_loads(res.body, 0, NULL);
    CU_ASSERT_TRUE(json_array_size(list) >= 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.body, "\"btxh\""));
    json_decref(list);
    itest_response_free(&res);

    /* disabled in every worker: an over-threshold income passes */
    itest_http(&res, "POST", "admin:/admin/plugins/btxh/disable", NULL, 0,
               admin);
    CU_ASSERT_EQUAL(res.status, 200);
    itest_response_free(&res);

    d = itest_dossier(itest_unique("HP-AD"));
    json_object_set_new(json_object_get(d, "DuLieuChuyenNganh"),
                        "ThuNhapBinhQuan", json_integer(5000000));
    CU_ASSERT_EQUAL(submit_json(d, NULL), 201);
    CU_ASSERT_EQUAL(submit_json(d, NULL), 200);

    itest_http(&res, "POST", "admin:/admin/plugins/btxh/enable", NULL, 0,
               admin);
    CU_ASSERT_EQUAL(res.status, 200);
    itest_response_free(&res);

    json_object_set_new(d, "MaHoSo", json_string(itest_unique("HP-AE")));
    CU_ASSERT_EQUAL(submit_json(d, NULL), 422);
    CU_ASSERT_EQUAL(submit_json(d, NULL), 422);

    itest_http(&res, "POST", "admin:/admin/plugins/nope/disable", NULL, 0,
               admin);
    CU_ASSERT_EQUAL(res.status, 404);
    itest_response_free(&res);

    itest_http(&res, "GET", "admin:/metrics", NULL, 0, admin);
    CU_ASSERT_EQUAL(res.status, 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.body,
                           "dossier_plugin_rejections_total{plugin=\"btxh\"}"));
    itest_response_free(&res);

    json_decref(d);
}


/* A plugin counter from /metrics, summed over workers by the shared zone. */
static long
plugin_metric(const char *metric, const char *plugin)
{
    char  series[128];

    snprintf(series, sizeof(series), "%s{plugin=\"%s\"}", metric, plugin);

    return itest_metric(series);
}


/*
 * One pass per dossier: the late limits wait for Redis (redis=on in the
 * stack), and the request resumes after the wait without validating
 * again, so N accepted dossiers are N plugin calls, not 2N.
 */
static void
plugin_runs_once_per_dossier(void)
{
    int      i, created;
    long     before, after;
    json_t  *d;

    before = plugin_metric("dossier_plugin_calls_total", "btxh");
    CU_ASSERT_TRUE_FATAL(before >= 0);

    created = 0;

    for (i = 0; i < 5; i++) {
        d = itest_dossier(itest_unique("HP-ONE"));
        created += submit_json(d, NULL) == 201;
        json_decref(d);
    }

    after = plugin_metric("dossier_plugin_calls_total", "btxh");

    CU_ASSERT_EQUAL(created, 5);
    CU_ASSERT_EQUAL(after - before, 5);
}


static CU_TestInfo  tests[] = {
    { "N accepted dossiers, N plugin calls", plugin_runs_once_per_dossier },
    { "plugin problems merged into the 422", plugin_problems_in_the_422 },
    { "a sector without plugin passes untouched",
      sector_without_plugin_untouched },
    { "nginx -t refuses a mismatched plugin",
      mismatched_plugin_fails_config_test },
    { "rebuilt plugin after reload, no request failed",
      rebuilt_plugin_after_reload },
    { "admin: list, disable, enable, metrics", admin_plugins },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(plugins, tests)
