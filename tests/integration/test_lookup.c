/*
 * Lookups and progress through real nginx, Redis and PostgreSQL.  Cache
 * behaviour is read from Redis's and PostgreSQL's own statistics.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#include "itest.h"
#include "unit.h"


#define LOOKUP_SQL  "FROM dossier_status WHERE ma_ho_so"


/* Submits a fresh dossier, returns its MaHoSo (static buffer). */
static const char *
submitted(const char *prefix)
{
    static char        code[96];
    char              *json;
    json_t            *d;
    itest_response_t   res;

    snprintf(code, sizeof(code), "%s", itest_unique(prefix));
    d = itest_dossier(code);
    json = itest_dump(d);

    itest_submit(&res, json);
    CU_ASSERT_EQUAL(res.status, 201);

    itest_response_free(&res);
    free(json);
    json_decref(d);

    return code;
}


static void
lookup_after_submit_is_a_hit(void)
{
    int              state;
    long             calls;
    const char      *code;
    struct timespec  pause = { 3, 200 * 1000 * 1000 };

    /* both workers on Redis (and this query): the submission writes the
     * entry through one of them */
    CU_ASSERT_TRUE_FATAL(itest_redis_wait_clients(3, 15.0));

    code = submitted("HP-H");

    /* the submission wrote the entry; let it sit unread a while (Redis
     * counts idle time in whole seconds of a clock it ticks every 100 ms:
     * 3.2 s reads as at least 2) */
    nanosleep(&pause, NULL);
    CU_ASSERT_TRUE(itest_cache_idle(code) >= 2);
    calls = itest_pg_calls(LOOKUP_SQL);

    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
    CU_ASSERT_EQUAL(state, 1);

    /* Redis read the entry just now (its idle clock ticks by the second);
     * PostgreSQL was not asked */
    CU_ASSERT_TRUE(itest_cache_idle(code) <= 1);
    CU_ASSERT_EQUAL(itest_pg_calls(LOOKUP_SQL), calls);
}


static void
progress_then_lookup(void)
{
    int               state;
    char              path[128];
    const char       *code;
    itest_response_t  res;

    code = submitted("HP-P");

    CU_ASSERT_EQUAL(itest_progress(code, 2, NULL), 200);
    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
    CU_ASSERT_EQUAL(state, 2);

    CU_ASSERT_EQUAL(itest_progress(code, 4, NULL), 200);
    CU_ASSERT_EQUAL(itest_progress(code, 9, NULL), 200);
    CU_ASSERT_EQUAL(itest_progress(code, 10, &res), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.body, "\"NgayTra\""));
    itest_response_free(&res);

    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
    CU_ASSERT_EQUAL(state, 10);

    /* a dossier whose result was returned does not move again */
    CU_ASSERT_EQUAL(itest_progress(code, 4, &res), 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/TrangThaiHoSo", "transition"));
    itest_response_free(&res);

    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
    CU_ASSERT_EQUAL(state, 10);

    /* history: one row per accepted move */
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossier_progress p "
                                   "JOIN dossiers d ON d.id = p.dossier_id "
                                   "WHERE d.ma_ho_so = $1", code), 4);

    snprintf(path, sizeof(path), "/v1/dossiers/%s", code);
    itest_http(&res, "DELETE", path, NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 405);
    itest_response_free(&res);
}


static void
invalid_progress(void)
{
    const char       *code;
    itest_response_t  res;

    code = submitted("HP-V");

    /* new (1) may skip to processing (4), and then never go back to
     * received (2) */
    CU_ASSERT_EQUAL(itest_progress(code, 4, NULL), 200);
    CU_ASSERT_EQUAL(itest_progress(code, 2, &res), 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/TrangThaiHoSo", "transition"));
    itest_response_free(&res);

    CU_ASSERT_EQUAL(itest_progress(code, 11, &res), 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/TrangThaiHoSo", "enum"));
    itest_response_free(&res);

    CU_ASSERT_EQUAL(itest_progress("HP-NO-SUCH-CODE-42", 2, &res), 404);
    itest_response_free(&res);
}


static void
unknown_code_costs_one_query(void)
{
    int          state;
    long         calls;
    const char  *code;

    code = itest_unique("HP-UNKNOWN");
    calls = itest_pg_calls(LOOKUP_SQL);

    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 404);
    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 404);

    CU_ASSERT_EQUAL(itest_pg_calls(LOOKUP_SQL), calls + 1);
}


/* Submits a valid dossier under code; res keeps the answer. */
static void
submit_code(const char *code, itest_response_t *res)
{
    char    *json;
    json_t  *d;

    d = itest_dossier(code);
    json = itest_dump(d);
    itest_submit(res, json);

    free(json);
    json_decref(d);
}


static void
code_with_slash(void)
{
    int               state;
    char              code[96], escaped[128], *p, *location;
    itest_response_t  res;

    snprintf(code, sizeof(code), "%s/2026", itest_unique("HP-S"));
    submit_code(code, &res);
    CU_ASSERT_EQUAL(res.status, 201);
    location = itest_header(&res, "location");
    CU_ASSERT_PTR_NOT_NULL(location && strstr(location, "%2F2026"));
    free(location);
    itest_response_free(&res);

    p = strchr(code, '/');
    snprintf(escaped, sizeof(escaped), "%.*s%%2F%s", (int) (p - code), code,
             p + 1);
    CU_ASSERT_EQUAL(itest_lookup(NULL, escaped, &state), 200);
    CU_ASSERT_EQUAL(state, 1);
}


/*
 * A MaHoSo is stored only if GET /v1/dossiers/{MaHoSo} reaches it: nginx
 * resolves dot segments (also percent-encoded) before it picks the
 * location, and /v1/dossiers/batch is the batch route.
 */
static void
unreachable_codes_refused(void)
{
    int               i, state;
    char              code[96], path[160], *location;
    itest_response_t  res;
    const char       *refused[] = { "batch", "..", "../%s", "%s/../..",
                                    "//.." };

    for (i = 0; i < (int) (sizeof(refused) / sizeof(refused[0])); i++) {
        snprintf(code, sizeof(code), refused[i], itest_unique("HP-U"));
        submit_code(code, &res);
        CU_ASSERT_EQUAL(res.status, 422);
        CU_ASSERT_TRUE(itest_has_problem(&res, "/MaHoSo", "format"));
        itest_response_free(&res);
    }

    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers"
                                   " WHERE ma_ho_so = 'batch'"
                                   " OR ma_ho_so ~ '(^|/)\\.\\.(/|$)'",
                                   NULL), 0);

    /* a ".." that stays inside: stored, and its Location reaches it */
    snprintf(code, sizeof(code), "%s/..", itest_unique("HP-U"));
    submit_code(code, &res);
    CU_ASSERT_EQUAL(res.status, 201);
    location = itest_header(&res, "location");
    CU_ASSERT_PTR_NOT_NULL_FATAL(location);
    itest_response_free(&res);

    snprintf(path, sizeof(path), "%s", location + sizeof("/v1/dossiers/") - 1);
    CU_ASSERT_EQUAL(itest_lookup(NULL, path, &state), 200);
    CU_ASSERT_EQUAL(state, 1);

    free(location);
}


#define MISSES  24



/*
 * Many lookups of one code that is not in the cache, all in flight at
 * once (a lock on the table holds the first query of each worker until
 * all have arrived): each worker asks PostgreSQL once and every lookup it
 * holds waits for that answer (two workers: at most two queries).
 */
/* 1 when every request has gone out whole. */
static int
all_sent(CURL **e, int n)
{
    int   i;
    long  size;

    for (i = 0; i < n; i++) {
        size = 0;
        curl_easy_getinfo(e[i], CURLINFO_REQUEST_SIZE, &size);

        if (size <= 0) {
            return 0;
        }
    }

    return 1;
}


static void
concurrent_misses_coalesce(void)
{
    long                sent;
    int                 i, running, ok;
    long                calls, status;
    PGconn             *lock;
    PGresult           *res;
    struct timespec     t0, now;
    char                path[160];
    CURL               *e[MISSES];
    CURLM              *multi;
    CURLMsg            *msg;
    const char         *code;
    struct curl_slist  *headers[MISSES];

    code = submitted("HP-CO");

    /* retire every cached entry: the next lookups all miss */
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("redis INCR dg:gen >/dev/null"), 0);

    snprintf(path, sizeof(path), "/v1/dossiers/%s", code);
    calls = itest_pg_calls(LOOKUP_SQL);

    lock = PQconnectdb(getenv("DG_TEST_PG"));
    res = PQexec(lock, "BEGIN; LOCK TABLE dossiers IN ACCESS EXCLUSIVE MODE");
    CU_ASSERT_EQUAL_FATAL(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);

    multi = curl_multi_init();

    for (i = 0; i < MISSES; i++) {
        e[i] = itest_signed_handle(path, NULL, &headers[i]);
        curl_multi_add_handle(multi, e[i]);
    }

    /* the queries run once every lookup was sent and a worker's query is
     * seen waiting on the lock, and the gateway had half a second to read
     * what was sent (or, failing that, after 20 s: the asserts say so) */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sent = 0;

    do {
        curl_multi_perform(multi, &running);
        curl_multi_poll(multi, NULL, 0, 100, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);

        if (sent == 0 && all_sent(e, MISSES)
            && itest_sql_long("SELECT count(*) FROM pg_stat_activity "
                              "WHERE wait_event_type = 'Lock' AND query "
                              "LIKE $1", "SELECT * FROM dossier_status%")
               >= 1)
        {
            sent = now.tv_sec * 1000 + now.tv_nsec / 1000000;
        }

    } while (running && now.tv_sec - t0.tv_sec < 20
             && (sent == 0
                 || now.tv_sec * 1000 + now.tv_nsec / 1000000 - sent < 500));

    CU_ASSERT_TRUE(sent != 0);

    res = PQexec(lock, "COMMIT");
    PQclear(res);
    PQfinish(lock);

    while (running) {
        curl_multi_perform(multi, &running);
        curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }

    ok = 0;
    while ((msg = curl_multi_info_read(multi, &running))) {
        if (msg->msg == CURLMSG_DONE && msg->data.result == CURLE_OK) {
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
                              &status);
            ok += status == 200;
        }
    }

    CU_ASSERT_EQUAL(ok, MISSES);
    fprintf(stderr, "\n  %d concurrent misses: %ld PostgreSQL queries\n",
            MISSES, itest_pg_calls(LOOKUP_SQL) - calls);
    CU_ASSERT_TRUE(itest_pg_calls(LOOKUP_SQL) - calls >= 1);
    CU_ASSERT_TRUE(itest_pg_calls(LOOKUP_SQL) - calls <= 2);

    for (i = 0; i < MISSES; i++) {
        curl_multi_remove_handle(multi, e[i]);
        curl_easy_cleanup(e[i]);
        curl_slist_free_all(headers[i]);
    }

    curl_multi_cleanup(multi);
}


/* Lookups until one is answered without PostgreSQL (so from the cache),
 * each answer checked for the expected status.  1 when that came within
 * seconds. */
static int
lookups_until_hit(const char *code, int expect, double seconds)
{
    int              i, state, hit;
    long             calls;
    struct timespec  pause = { 0, 200 * 1000 * 1000 };

    hit = 0;

    for (i = 0; i < (int) (seconds * 5) && !hit; i++) {
        calls = itest_pg_calls(LOOKUP_SQL);

        CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
        CU_ASSERT_EQUAL(state, expect);

        hit = itest_pg_calls(LOOKUP_SQL) == calls;

        nanosleep(&pause, NULL);
    }

    return hit;
}


/*
 * Redis stops mid-run (with a dump, so a restart brings old entries back):
 * lookups, submissions and progress go on; a progress made during the
 * outage is what every later lookup shows; hits resume on their own.
 */
static void
redis_outage(void)
{
    int          state;
    char         code[96];
    const char  *fresh;

    CU_ASSERT_TRUE_FATAL(itest_redis_wait_clients(3, 15.0));

    snprintf(code, sizeof(code), "%s", submitted("HP-X"));
    /* cached, status 1 */
    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("redis-stop-save"), 0);

    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
    CU_ASSERT_EQUAL(state, 1);
    CU_ASSERT_EQUAL(itest_progress(code, 2, NULL), 200);
    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
    CU_ASSERT_EQUAL(state, 2);

    fresh = submitted("HP-Y");
    CU_ASSERT_EQUAL(itest_lookup(NULL, fresh, &state), 200);

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("redis-start"), 0);

    /* the dump holds status 1 for code: never served again */
    CU_ASSERT_TRUE(lookups_until_hit(code, 2, 15.0));
}


static CU_TestInfo  tests[] = {
    { "lookup after submit is a cache hit", lookup_after_submit_is_a_hit },
    { "progress, then lookup shows it", progress_then_lookup },
    { "invalid progress is 422, unknown code 404", invalid_progress },
    { "unknown code twice: one PostgreSQL query",
      unknown_code_costs_one_query },
    { "concurrent misses: one query per worker",
      concurrent_misses_coalesce },
    { "MaHoSo with '/' as %2F", code_with_slash },
    { "a MaHoSo no lookup could reach: 422", unreachable_codes_refused },
    { "Redis outage: no failure, no stale status", redis_outage },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(lookup, tests)
