/*
 * The cache's promise (module/drivers/ngx_http_dossier_cache.h): no
 * reader sees a status older than one acknowledged to a writer.  Each
 * round leaves an older entry in the cache on purpose (a negative one
 * before the submission, status 1 before the progress), then reads right
 * after the writer's answer on fresh connections (which reuseport spreads
 * over this node's two workers, each with its own Redis connection) and
 * on a second node.  Whichever worker or Redis connection a read takes,
 * it must show the acknowledged status: what is asserted does not depend
 * on timing, only how often each path is taken.  A second run sends the
 * cache writes late (fixtures/slow_cache.c): writers answer before their
 * write is applied, and only their pending marks keep readers from the
 * older entry.  The last tests check the marks themselves.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "itest.h"
#include "unit.h"


#define FRESH_ROUNDS   200
#define FRESH_READERS  3        /* per node and answer */


/* Every reader, on both nodes, sees status want; returns how many did
 * not. */
static int
fresh_readers(const char *base2, const char *code, int want)
{
    int  i, state, stale;

    stale = 0;

    for (i = 0; i < 2 * FRESH_READERS; i++) {
        if (itest_lookup(i % 2 ? base2 : NULL, code, &state) != 200
            || state != want)
        {
            stale++;
        }
    }

    return stale;
}


/* Rounds of lookup, submission, lookups, progress, lookups, with a
 * second node up; the number of reads that showed an older status. */
static int
fresh_rounds(int rounds)
{
    int               i, state, stale;
    char              base2[128], *json;
    json_t           *d;
    const char       *code;
    itest_response_t  res;

    snprintf(base2, sizeof(base2), "http://127.0.0.1:%d",
             atoi(getenv("DOSSIER_PUBLIC_PORT")) + 100);

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx2-start"), 0);

    /* every worker of both nodes on Redis (2 + 2, and the query's own):
     * a worker without Redis reads PostgreSQL, which proves nothing */
    CU_ASSERT_TRUE(itest_redis_wait_clients(5, 15.0));

    /* no per-client limit: 15 requests a round */
    itest_as_client("loadtest", "loadtest-secret");

    stale = 0;

    for (i = 0; i < rounds; i++) {
        code = itest_unique("HP-F");

        /* unknown: a negative entry, older than the submission */
        CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 404);

        d = itest_dossier(code);
        json = itest_dump(d);
        itest_submit(&res, json);
        CU_ASSERT_EQUAL(res.status, 201);
        itest_response_free(&res);
        free(json);
        json_decref(d);

        stale += fresh_readers(base2, code, 1);

        /* status 1 is cached now; the progress must replace it */
        CU_ASSERT_EQUAL(itest_progress(code, 2, NULL), 200);

        stale += fresh_readers(base2, code, 2);
    }

    itest_as_client("demo-portal", "demo-portal-secret");
    itest_stackctl("nginx2-stop");

    return stale;
}


static void
no_read_older_than_an_answer(void)
{
    CU_ASSERT_EQUAL(fresh_rounds(200), 0);
}


/* This node's cache writes leave 100 ms late: a writer answering before
 * Redis applied its write would be read stale by the readers that come
 * in meanwhile. */
static void
late_cache_writes_still_fresh(void)
{
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx-slow-cache 100"), 0);

    CU_ASSERT_EQUAL(fresh_rounds(20), 0);

    CU_ASSERT_EQUAL(itest_stackctl("nginx-restart"), 0);
}


/* Whether the marks on code are all gone within 5 s (a writer's cache
 * write, not awaited, lands a little after its answer). */
static int
marks_gone(const char *code)
{
    int              i;
    struct timespec  pause = { 0, 10 * 1000 * 1000 };

    for (i = 0; i < 500; i++) {
        if (itest_cache_mark(code) == 0) {
            return 1;
        }

        nanosleep(&pause, NULL);
    }

    return 0;
}


/*
 * While a mark is pending, a lookup reads PostgreSQL and may not fill the
 * cache.  The status is changed behind the gateway's back, so that only
 * a read of PostgreSQL can show it, and the entry left in Redis shows
 * whether a fill replaced it.
 */
static void
pending_mark_hides_entry_and_refuses_fills(void)
{
    int          state;
    char         args[512], out[64];
    json_t      *d;
    const char  *code;

    code = itest_unique("HP-MK");
    d = itest_dossier(code);

    CU_ASSERT_EQUAL_FATAL(itest_submit_dossier(d), 201);
    json_decref(d);

    /* the writer's own write dropped its mark */
    CU_ASSERT_TRUE(marks_gone(code));
    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
    CU_ASSERT_EQUAL(state, 1);
    CU_ASSERT_TRUE(itest_cache_idle(code) >= 0);

    snprintf(args, sizeof(args), "SET 'dg:p:%s' 1 PX 60000", code);
    itest_redis(args, out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "OK");
    CU_ASSERT_EQUAL(itest_sql_long("WITH u AS (UPDATE dossiers SET "
                                   "trang_thai = 2 WHERE ma_ho_so = $1 "
                                   "RETURNING 1) SELECT count(*) FROM u",
                                   code), 1);

    /* PostgreSQL answers, twice: the first read's fill was refused */
    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
    CU_ASSERT_EQUAL(state, 2);
    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
    CU_ASSERT_EQUAL(state, 2);

    /* mark gone: the entry from before is there still (in real life the
     * writer's own write would have replaced it) */
    snprintf(args, sizeof(args), "DEL 'dg:p:%s'", code);
    itest_redis(args, out, sizeof(out));
    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
    CU_ASSERT_EQUAL(state, 1);
}


/* A writer whose outcome writes nothing (409, a retry's 200) drops its
 * mark at once, not when it expires; a refused progress leaves none. */
static void
writers_that_write_nothing_drop_their_marks(void)
{
    int          state;
    json_t      *d;
    const char  *code;

    code = itest_unique("HP-MK");
    d = itest_dossier(code);

    CU_ASSERT_EQUAL_FATAL(itest_submit_dossier(d), 201);
    CU_ASSERT_TRUE(marks_gone(code));

    CU_ASSERT_EQUAL(itest_submit_dossier(d), 200);
    CU_ASSERT_TRUE(marks_gone(code));

    json_object_set_new(d, "TrichYeuHoSo", json_string("khác / other"));
    CU_ASSERT_EQUAL(itest_submit_dossier(d), 409);
    CU_ASSERT_TRUE(marks_gone(code));
    json_decref(d);

    CU_ASSERT_EQUAL(itest_progress(code, 2, NULL), 200);
    CU_ASSERT_TRUE(marks_gone(code));

    /* received (2) cannot go back to new (1): PostgreSQL says so */
    CU_ASSERT_EQUAL(itest_progress(code, 1, NULL), 422);
    CU_ASSERT_TRUE(marks_gone(code));
    CU_ASSERT_EQUAL(itest_lookup(NULL, code, &state), 200);
    CU_ASSERT_EQUAL(state, 2);
}


typedef struct {
    const char  *code;
    long         status;
    int          state;
} fresh_lookup_t;


static void *
fresh_lookup(void *arg)
{
    fresh_lookup_t  *l = arg;

    l->status = itest_lookup(NULL, l->code, &l->state);

    return NULL;
}


/*
 * A fill carries the generation its cache read saw.  The lookup's query
 * is held on a lock while the generation moves on (as a Redis reconnect
 * does): its answer must not fill the new generation, where nothing newer
 * would refuse it.  The next lookup fills it.
 */
static void
fill_of_an_older_generation_refused(void)
{
    int               i, waiting;
    char              out[64];
    json_t           *d;
    PGconn           *lock;
    PGresult         *res;
    pthread_t         t;
    fresh_lookup_t    l;
    struct timespec   pause = { 0, 20 * 1000 * 1000 };

    l.code = itest_unique("HP-GN");
    d = itest_dossier(l.code);
    CU_ASSERT_EQUAL_FATAL(itest_submit_dossier(d), 201);
    json_decref(d);
    CU_ASSERT_TRUE(marks_gone(l.code));

    /* no entry: the next lookup misses */
    itest_redis("INCR dg:gen", out, sizeof(out));
    CU_ASSERT_EQUAL(itest_cache_idle(l.code), -1);

    lock = PQconnectdb(getenv("DG_TEST_PG"));
    res = PQexec(lock, "BEGIN; LOCK TABLE dossiers IN ACCESS EXCLUSIVE MODE");
    CU_ASSERT_EQUAL_FATAL(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);

    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, fresh_lookup, &l), 0);

    /* its query waits on the lock: its cache read is done */
    waiting = 0;
    for (i = 0; i < 500 && !waiting; i++) {
        waiting = itest_sql_long("SELECT count(*) FROM pg_stat_activity "
                                 "WHERE usename = 'gateway' AND "
                                 "wait_event_type = 'Lock' AND $1 <> ''",
                                 "fill") > 0;
        if (!waiting) {
            nanosleep(&pause, NULL);
        }
    }

    CU_ASSERT_TRUE(waiting);
    itest_redis("INCR dg:gen", out, sizeof(out));

    res = PQexec(lock, "COMMIT");
    PQclear(res);
    PQfinish(lock);
    pthread_join(t, NULL);

    CU_ASSERT_EQUAL(l.status, 200);
    CU_ASSERT_EQUAL(l.state, 1);
    CU_ASSERT_EQUAL(itest_cache_idle(l.code), -1);

    /* a read in this generation fills it */
    CU_ASSERT_EQUAL(itest_lookup(NULL, l.code, &l.state), 200);
    CU_ASSERT_TRUE(itest_cache_idle(l.code) >= 0);
}


static CU_TestInfo  tests[] = {
    { "no read older than an answer (200 rounds, two nodes)",
      no_read_older_than_an_answer },
    { "cache writes sent late: still no older read",
      late_cache_writes_still_fresh },
    { "a pending mark hides the entry and refuses fills",
      pending_mark_hides_entry_and_refuses_fills },
    { "writers that write nothing drop their marks",
      writers_that_write_nothing_drop_their_marks },
    { "a fill from an older generation is refused",
      fill_of_an_older_generation_refused },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(fresh, tests)
