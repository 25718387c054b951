/*
 * GET /metrics on the admin listener: Prometheus's own checker accepts
 * the live output, the counts move as requests are made (all workers
 * added up), and every query of the Grafana dashboard names a metric the
 * gateway exposes.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest.h"
#include "unit.h"


static const char *const  admin[] = {
    "Authorization: Bearer demo-admin-token", NULL
};


/* The live output, malloc'ed (NULL: not a 200). */
static char *
metrics(void)
{
    char              *text;
    itest_response_t   res;

    itest_http(&res, "GET", "admin:/metrics", NULL, 0, admin);
    text = (res.status == 200 && res.body) ? strdup(res.body) : NULL;
    itest_response_free(&res);

    return text;
}


/* "promtool check metrics" reads the text on stdin and exits 0 only when
 * it parses and passes Prometheus's lint rules (names, units, _total,
 * HELP); its complaints go to the test's output. */
static void
promtool_accepts_the_output(void)
{
    int    status;
    char  *text;
    FILE  *f;

    text = metrics();
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);

    /* every family the dashboard and README promise is there */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "# TYPE dossier_http_requests_total "
                                        "counter\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text,
        "# TYPE dossier_http_request_duration_seconds histogram\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text,
        "# TYPE dossier_pg_commit_dossiers histogram\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text,
        "# TYPE dossier_limit_refusals_total counter\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text,
        "# TYPE dossier_nonce_store_entries gauge\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text,
        "# TYPE dossier_plugin_calls_total counter\n"));
    /* both workers report, each with its connections */
    CU_ASSERT_EQUAL(itest_metric_in(text, "dossier_workers"), 2);
    CU_ASSERT_EQUAL(itest_metric_in(text, "dossier_redis_connected"), 2);

    f = popen("promtool check metrics", "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    status = pclose(f);

    CU_ASSERT_EQUAL(status, 0);
    if (status != 0) {
        fprintf(stderr, "\npromtool refused /metrics (status %d):\n%s\n",
                status, text);
    }

    free(text);
}


/*
 * A created dossier raises the 201 counter of route submit (counted in
 * the LOG phase, which may run just after the client has its answer:
 * read until it moves, a few seconds at most), the commit histogram and
 * the writer's "created" count (both before the 201 is sent).
 */
static void
counts_move_with_a_submission(void)
{
    long              created, commits, outcome, v;
    char             *json;
    json_t           *d;
    struct timespec   pause = { 0, 20 * 1000 * 1000 };
    int               i;
    itest_response_t  res;

    created = itest_metric("dossier_http_requests_total{route=\"submit\","
                         "code=\"201\"}");
    commits = itest_metric("dossier_pg_commit_dossiers_count");
    outcome = itest_metric("dossier_pg_dossiers_total{outcome=\"created\"}");
    CU_ASSERT_TRUE_FATAL(commits >= 0 && outcome >= 0);
    created = created < 0 ? 0 : created;   /* absent until the first */

    d = itest_dossier(itest_unique("HP-MT"));
    json = itest_dump(d);
    itest_submit(&res, json);
    CU_ASSERT_EQUAL_FATAL(res.status, 201);
    itest_response_free(&res);

    CU_ASSERT_EQUAL(itest_metric("dossier_pg_commit_dossiers_count"),
                    commits + 1);
    CU_ASSERT_EQUAL(itest_metric("dossier_pg_dossiers_total"
                               "{outcome=\"created\"}"), outcome + 1);

    for (i = 0; i < 250; i++) {
        v = itest_metric("dossier_http_requests_total{route=\"submit\","
                       "code=\"201\"}");
        if (v > created) {
            break;
        }

        nanosleep(&pause, NULL);
    }

    CU_ASSERT_EQUAL(v, created + 1);

    /* the same dossier again: a retry, 200, "duplicate" */
    itest_submit(&res, json);
    CU_ASSERT_EQUAL(res.status, 200);
    itest_response_free(&res);
    CU_ASSERT_TRUE(itest_metric("dossier_pg_dossiers_total"
                              "{outcome=\"duplicate\"}") >= 1);

    free(json);
    json_decref(d);
}


/* Collects the "expr" strings of every object in the dashboard. */
static void
exprs(json_t *v, json_t *out)
{
    size_t       i;
    json_t      *e;
    const char  *key;

    if (json_is_array(v)) {
        json_array_foreach(v, i, e) {
            exprs(e, out);
        }

    } else if (json_is_object(v)) {
        json_object_foreach(v, key, e) {
            if (strcmp(key, "expr") == 0 && json_is_string(e)) {
                json_array_append(out, e);

            } else {
                exprs(e, out);
            }
        }
    }
}


/* Is name a family of the text, or a histogram's _bucket, _sum, _count? */
static int
exposed(const char *text, const char *name)
{
    char         want[160], base[128];
    size_t       len, i;
    const char  *suffix[] = { "_bucket", "_sum", "_count" };

    snprintf(want, sizeof(want), "# TYPE %s ", name);
    if (strstr(text, want)) {
        return 1;
    }

    len = strlen(name);

    for (i = 0; i < 3; i++) {
        if (len > strlen(suffix[i])
            && strcmp(name + len - strlen(suffix[i]), suffix[i]) == 0)
        {
            snprintf(base, sizeof(base), "%.*s",
                     (int) (len - strlen(suffix[i])), name);
            snprintf(want, sizeof(want), "# TYPE %s histogram\n", base);
            return strstr(text, want) != NULL;
        }
    }

    return 0;
}


static void
dashboard_names_exposed_metrics(void)
{
    char          path[1024], name[128], *text;
    size_t        i, n, named;
    json_t       *dash, *list, *e;
    const char   *root, *expr, *p;
    json_error_t  err;

    root = getenv("DG_TEST_ROOT");
    snprintf(path, sizeof(path), "%s/conf/grafana/dossier-gateway.json",
             root ? root : ".");

    dash = json_load_file(path, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dash);

    list = json_array();
    exprs(dash, list);
    CU_ASSERT_TRUE(json_array_size(list) >= 20);

    text = metrics();
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);

    json_array_foreach(list, i, e) {
        expr = json_string_value(e);
        named = 0;

        for (p = strstr(expr, "dossier_"); p; p = strstr(p, "dossier_")) {
            for (n = 0; n < sizeof(name) - 1
                        && (islower((unsigned char) p[n])
                            || isdigit((unsigned char) p[n]) || p[n] == '_');
                 n++)
            {
                name[n] = p[n];
            }

            name[n] = '\0';
            p += n;
            named++;

            CU_ASSERT_TRUE(exposed(text, name));
            if (!exposed(text, name)) {
                fprintf(stderr, "\ndashboard: %s is not exposed (in %s)\n",
                        name, expr);
            }
        }

        CU_ASSERT_TRUE(named > 0);
    }

    free(text);
    json_decref(list);
    json_decref(dash);
}


static CU_TestInfo  tests[] = {
    { "promtool check metrics passes the live output",
      promtool_accepts_the_output },
    { "a submission moves the 201 counter and the commit histogram",
      counts_move_with_a_submission },
    { "every dashboard query names an exposed metric",
      dashboard_names_exposed_metrics },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(metrics, tests)
