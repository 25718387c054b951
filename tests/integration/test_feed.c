/*
 * The change feed through real nginx and PostgreSQL: from the start and
 * from a cursor, a forced out-of-order commit that a reader of "id >
 * cursor" would skip, eight writers and a reader following next, long
 * polls (idle waits cost no query, a change wakes them), refusals.
 *
 * The tests read sector CT (no plugin, so dossiers are easy to make);
 * other suites write CT too, so each test starts from the feed's current
 * end and looks only at its own MaHoSo.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#include "itest.h"
#include "unit.h"


#define FEED_SQL  "dossier_feed_read"


static double
now_s(void)
{
    struct timespec  t;

    clock_gettime(CLOCK_MONOTONIC, &t);

    return t.tv_sec + t.tv_nsec / 1e9;
}


/* A valid certification (CT) dossier: no sector plugin. */
static json_t *
ct_dossier(const char *code)
{
    json_t  *d;

    d = itest_dossier(code);
    json_object_set_new(d, "MaTTHC", json_string("2.000815"));
    json_object_set_new(d, "MaLinhVuc", json_string("CT"));
    json_object_del(d, "DuLieuChuyenNganh");

    return d;
}


static long
progress(const char *code, int to, const char *what)
{
    long              status;
    char              path[256], body[512], at[16];
    time_t            t;
    struct tm         tm;
    itest_response_t  res;

    t = time(NULL) + 7 * 3600 - 60;
    gmtime_r(&t, &tm);
    strftime(at, sizeof(at), "%Y%m%d%H%M%S", &tm);

    snprintf(path, sizeof(path), "/v1/dossiers/%s/progress", code);
    snprintf(body, sizeof(body),
             "{\"TrangThaiHoSo\":%d,\"ThoiDiemXuLy\":\"%s\","
             "\"NoiDungXuLy\":\"%s\"}", to, at, what);

    itest_http(&res, "POST", path, body, strlen(body),
               (const char *const[]) { "Content-Type: application/json",
                                       NULL });
    status = res.status;
    itest_response_free(&res);

    return status;
}


/* GET /v1/feed; returns the status, *body the parsed answer (or NULL). */
static long
feed(const char *sector, const char *after, int limit, int wait,
    json_t **body)
{
    long              status;
    char              path[256];
    itest_response_t  res;

    snprintf(path, sizeof(path), "/v1/feed?sector=%s%s%s&limit=%d&wait=%d",
             sector, after ? "&after=" : "", after ? after : "", limit,
             wait);

    itest_http(&res, "GET", path, NULL, 0, NULL);
    status = res.status;

    if (body) {
        *body = json_loads(res.body, 0, NULL);
    }

    itest_response_free(&res);

    return status;
}


/* Follows next until a read gives nothing: the feed's current end. */
static void
feed_end(const char *sector, char *cursor, size_t size)
{
    int      n, i;
    json_t  *body;

    cursor[0] = '\0';

    for (i = 0; i < 1000; i++) {
        CU_ASSERT_EQUAL_FATAL(feed(sector, cursor[0] ? cursor : NULL, 1000,
                                   0, &body), 200);
        n = (int) json_array_size(json_object_get(body, "items"));
        snprintf(cursor, size, "%s",
                 json_string_value(json_object_get(body, "next")));
        json_decref(body);

        if (n == 0) {
            return;
        }
    }

    CU_FAIL("the feed does not end");
}


static const char *
item_code(json_t *item)
{
    return json_string_value(json_object_get(item, "MaHoSo"));
}


static void
feed_from_start_and_cursor(void)
{
    int          i, order[8], norder, n;
    char         codes[3][64], end[64], after[64];
    size_t       k;
    json_t      *body, *items, *it, *d;
    const char  *c;

    feed_end("CT", end, sizeof(end));

    for (i = 0; i < 3; i++) {
        snprintf(codes[i], sizeof(codes[i]), "%s", itest_unique("HP-FD"));
        d = ct_dossier(codes[i]);
        CU_ASSERT_EQUAL(itest_submit_dossier(d), 201);
        json_decref(d);
    }

    CU_ASSERT_EQUAL(progress(codes[1], 2, "Tiếp nhận"), 200);

    /* from the start: every change of the sector, ours in order, once */
    norder = 0;
    after[0] = '\0';

    do {
        CU_ASSERT_EQUAL_FATAL(feed("CT", after[0] ? after : NULL, 1000, 0,
                                   &body), 200);
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(body,
                                                                 "sector")),
                               "CT");
        items = json_object_get(body, "items");
        n = (int) json_array_size(items);

        json_array_foreach(items, k, it) {
            c = item_code(it);

            for (i = 0; i < 3; i++) {
                if (strcmp(c, codes[i]) == 0 && norder < 8) {
                    order[norder++] = i;
                }
            }
        }

        snprintf(after, sizeof(after), "%s",
                 json_string_value(json_object_get(body, "next")));
        json_decref(body);

    } while (n > 0);

    /* the three submissions, then the progress of the second */
    CU_ASSERT_EQUAL_FATAL(norder, 4);
    CU_ASSERT(order[0] == 0 && order[1] == 1 && order[2] == 2
              && order[3] == 1);

    /* from the end seen before: exactly ours, with their details */
    CU_ASSERT_EQUAL_FATAL(feed("CT", end, 10, 0, &body), 200);
    items = json_object_get(body, "items");
    CU_ASSERT_EQUAL_FATAL(json_array_size(items), 4);

    it = json_array_get(items, 0);
    CU_ASSERT_STRING_EQUAL(item_code(it), codes[0]);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(it, "event")),
                           "submitted");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(it, "version")), 1);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(it, "TrangThaiHoSo")),
                    1);
    CU_ASSERT(json_integer_value(json_object_get(it, "id")) > 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(it,
                                                                   "at")),
                                  "+07:00"));
    /* the stored body, as submitted */
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
                               json_object_get(it, "dossier"), "MaHoSo")),
                           codes[0]);

    it = json_array_get(items, 3);
    CU_ASSERT_STRING_EQUAL(item_code(it), codes[1]);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(it, "event")),
                           "progress");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(it, "version")), 2);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(it, "TrangThaiHoSo")),
                    2);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
                               json_object_get(it, "progress"),
                               "NoiDungXuLy")),
                           "Tiếp nhận");

    /* from the second item's cursor: the two after it */
    snprintf(after, sizeof(after), "%s",
             json_string_value(json_object_get(json_array_get(items, 1),
                                               "cursor")));
    json_decref(body);

    CU_ASSERT_EQUAL_FATAL(feed("CT", after, 2, 0, &body), 200);
    items = json_object_get(body, "items");
    CU_ASSERT_EQUAL(json_array_size(items), 2);
    CU_ASSERT_STRING_EQUAL(item_code(json_array_get(items, 0)), codes[2]);
    CU_ASSERT_STRING_EQUAL(item_code(json_array_get(items, 1)), codes[1]);
    /* next is the last item's cursor */
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(body, "next")),
                           json_string_value(json_object_get(
                               json_array_get(items, 1), "cursor")));
    json_decref(body);
}


static PGconn *
pg(void)
{
    PGconn  *conn;

    conn = PQconnectdb(getenv("DG_TEST_PG"));
    CU_ASSERT_EQUAL_FATAL(PQstatus(conn), CONNECTION_OK);

    return conn;
}


static int
pg_ok(PGconn *conn, const char *sql, const char *param)
{
    int        ok;
    PGresult  *res;

    res = PQexecParams(conn, sql, param ? 1 : 0, NULL, &param, NULL, NULL, 0);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK
         || PQresultStatus(res) == PGRES_TUPLES_OK;

    if (!ok) {
        fprintf(stderr, "\n  PostgreSQL: %s", PQerrorMessage(conn));
    }

    PQclear(res);

    return ok;
}


/* A batch element for dossier_submit_batch(), as the gateway makes one,
 * of a dossier received at tn. */
static char *
batch_item(const char *code, time_t tn)
{
    char     *text;
    json_t   *d, *item;

    d = ct_dossier(code);
    item = json_pack("[{s:s, s:s, s:n, s:I, s:I, s:o}]",
                     "h", "0000000000000000000000000000000000000000000000"
                          "000000000000000001",
                     "c", "demo-portal", "r",
                     "tn", (json_int_t) tn,
                     "ht", (json_int_t) time(NULL) + 86400, "d", d);
    text = json_dumps(item, JSON_COMPACT);
    json_decref(item);

    return text;
}


typedef struct {
    char     after[64];
    int      wait;
    long     status;
    double   done;          /* monotonic time of the answer */
    json_t  *body;
} waiter_t;


static void *
wait_feed(void *arg)
{
    waiter_t  *w = arg;

    w->status = feed("CT", w->after, 100, w->wait, &w->body);
    w->done = now_s();

    return NULL;
}


/*
 * Transaction A takes its xid (it stores X), then B stores Y and commits,
 * then A commits: Y's feed item has the higher sequence number but was
 * visible first.  A reader of "seq > last seen" that read Y would never
 * see X.  The feed holds Y back until A has ended, then gives X and Y,
 * in xid order, each once; a long poll that was waiting gets them.
 */
static void
out_of_order_commit(void)
{
    int          i;
    char         end[64], x[64], y[64], *ix, *iy, seq[32];
    long         seq_x, seq_y;
    double       committed;
    json_t      *body, *items;
    PGconn      *a, *b;
    waiter_t     w;
    pthread_t    t;

    feed_end("CT", end, sizeof(end));

    snprintf(x, sizeof(x), "%s", itest_unique("HP-OX"));
    snprintf(y, sizeof(y), "%s", itest_unique("HP-OY"));
    /* received days apart: their counters are different rows, so B does
     * not wait for A's row lock (it would then commit after A) */
    ix = batch_item(x, time(NULL) - 3 * 86400);
    iy = batch_item(y, time(NULL) - 3600);

    a = pg();
    b = pg();

    CU_ASSERT_FATAL(pg_ok(a, "BEGIN", NULL));
    CU_ASSERT_FATAL(pg_ok(a, "SELECT * FROM dossier_submit_batch($1::jsonb)",
                          ix));
    CU_ASSERT_FATAL(pg_ok(b, "SELECT * FROM dossier_submit_batch($1::jsonb)",
                          iy));

    seq_x = itest_sql_long("SELECT f.seq FROM dossier_feed f JOIN dossiers d"
                           " ON d.id = f.dossier_id WHERE d.ma_ho_so = $1", x);
    seq_y = itest_sql_long("SELECT f.seq FROM dossier_feed f JOIN dossiers d"
                           " ON d.id = f.dossier_id WHERE d.ma_ho_so = $1", y);

    /* Y is committed and visible, X is not: what a naive reader sees */
    CU_ASSERT_EQUAL(seq_x, -1);
    CU_ASSERT(seq_y > 0);

    /* the feed gives nothing yet: Y waits for the older transaction */
    CU_ASSERT_EQUAL(feed("CT", end, 100, 0, &body), 200);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(body, "items")), 0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(body, "next")),
                           end);
    json_decref(body);

    /* a long poll waiting meanwhile */
    memset(&w, 0, sizeof(w));
    snprintf(w.after, sizeof(w.after), "%s", end);
    w.wait = 20;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, wait_feed, &w), 0);
    sleep(1);

    CU_ASSERT(pg_ok(a, "COMMIT", NULL));
    committed = now_s();
    pthread_join(t, NULL);

    seq_x = itest_sql_long("SELECT f.seq FROM dossier_feed f JOIN dossiers d"
                           " ON d.id = f.dossier_id WHERE d.ma_ho_so = $1", x);
    fprintf(stderr, "\n  X seq %ld < Y seq %ld; the waiting reader had both "
            "%.3f s after X's commit\n", seq_x, seq_y, w.done - committed);

    /* a naive reader past Y never sees X */
    CU_ASSERT(seq_x > 0 && seq_x < seq_y);
    snprintf(seq, sizeof(seq), "%ld", seq_y);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossier_feed "
                                   "WHERE seq > $1::bigint AND sector = 'CT'",
                                   seq), 0);

    /* the feed: X then Y, each once, to the waiting reader and to anyone
     * following from the same place */
    CU_ASSERT_EQUAL(w.status, 200);
    CU_ASSERT(w.done - committed < 3.0);
    items = json_object_get(w.body, "items");
    CU_ASSERT_EQUAL_FATAL(json_array_size(items), 2);
    CU_ASSERT_STRING_EQUAL(item_code(json_array_get(items, 0)), x);
    CU_ASSERT_STRING_EQUAL(item_code(json_array_get(items, 1)), y);

    CU_ASSERT_EQUAL(feed("CT", json_string_value(json_object_get(w.body,
                                                                 "next")),
                         100, 0, &body), 200);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(body, "items")), 0);
    json_decref(body);
    json_decref(w.body);

    CU_ASSERT_EQUAL(feed("CT", end, 100, 0, &body), 200);
    items = json_object_get(body, "items");
    CU_ASSERT_EQUAL(json_array_size(items), 2);
    for (i = 0; i < 2 && i < (int) json_array_size(items); i++) {
        CU_ASSERT_STRING_EQUAL(item_code(json_array_get(items, i)),
                               i ? y : x);
    }
    json_decref(body);

    PQfinish(a);
    PQfinish(b);
    free(ix);
    free(iy);
}


/* Eight writers: each submits its dossiers and moves each twice; a reader
 * follows next meanwhile. */
#define WRITERS    8
#define DOSSIERS   12
#define CHANGES    3           /* submitted, to 2, to 4 */

typedef struct {
    char   codes[DOSSIERS][64];
    char  *bodies[DOSSIERS];
    int    acked[DOSSIERS];     /* changes acknowledged, in order */
} writer_t;

typedef struct {
    char              start[64];
    volatile int      writers_done;
    int               reads;
    json_t           *seen;     /* items read, in order */
} reader_t;


static void *
write_dossiers(void *arg)
{
    int               i;
    writer_t         *w = arg;
    itest_response_t  res;

    for (i = 0; i < DOSSIERS; i++) {
        itest_submit(&res, w->bodies[i]);
        if (res.status == 201) {
            w->acked[i]++;

            if (progress(w->codes[i], 2, "Tiếp nhận") == 200) {
                w->acked[i]++;

                if (progress(w->codes[i], 4, "Xử lý") == 200) {
                    w->acked[i]++;
                }
            }
        }

        itest_response_free(&res);
    }

    return NULL;
}


static void *
follow(void *arg)
{
    int        n, last;
    char       after[64];
    size_t     k;
    json_t    *body, *it;
    reader_t  *rd = arg;

    snprintf(after, sizeof(after), "%s", rd->start);

    for ( ;; ) {
        last = rd->writers_done;

        if (feed("CT", after, 50, 1, &body) != 200 || body == NULL) {
            json_decref(body);
            break;
        }

        rd->reads++;
        n = (int) json_array_size(json_object_get(body, "items"));

        json_array_foreach(json_object_get(body, "items"), k, it) {
            json_array_append(rd->seen, it);
        }

        snprintf(after, sizeof(after), "%s",
                 json_string_value(json_object_get(body, "next")));
        json_decref(body);

        /* done: nothing more after every writer had its answers */
        if (n == 0 && last) {
            break;
        }
    }

    return NULL;
}


static void
concurrent_writers_and_reader(void)
{
    int          i, j, acked, bad, read_ours;
    size_t       k;
    json_t      *d, *it;
    writer_t    *w;
    reader_t     rd;
    pthread_t    wt[WRITERS], rt;
    const char  *c;
    char         prefix[32];

    w = calloc(WRITERS, sizeof(writer_t));
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);

    /* every dossier (and its citizen) made here, not in the threads */
    snprintf(prefix, sizeof(prefix), "HP-F8-%d-", (int) getpid());

    for (i = 0; i < WRITERS; i++) {
        for (j = 0; j < DOSSIERS; j++) {
            snprintf(w[i].codes[j], sizeof(w[i].codes[j]), "%s%ld-%d-%d",
                     prefix, (long) time(NULL), i, j);
            d = ct_dossier(w[i].codes[j]);
            w[i].bodies[j] = itest_dump(d);
            json_decref(d);
        }
    }

    memset(&rd, 0, sizeof(rd));
    rd.seen = json_array();
    feed_end("CT", rd.start, sizeof(rd.start));

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&rt, NULL, follow, &rd), 0);

    for (i = 0; i < WRITERS; i++) {
        CU_ASSERT_EQUAL_FATAL(pthread_create(&wt[i], NULL, write_dossiers,
                                             &w[i]), 0);
    }

    for (i = 0; i < WRITERS; i++) {
        pthread_join(wt[i], NULL);
    }

    rd.writers_done = 1;
    pthread_join(rt, NULL);

    /* every acknowledged change once, in its dossier's order; nothing
     * else of ours */
    acked = 0;
    bad = 0;
    read_ours = 0;

    for (i = 0; i < WRITERS; i++) {
        for (j = 0; j < DOSSIERS; j++) {
            int  n = 0;

            acked += w[i].acked[j];

            json_array_foreach(rd.seen, k, it) {
                if (strcmp(item_code(it), w[i].codes[j]) != 0) {
                    continue;
                }

                n++;

                /* the n-th change of this dossier is its version n */
                if (json_integer_value(json_object_get(it, "version")) != n
                    || json_integer_value(json_object_get(it,
                                                          "TrangThaiHoSo"))
                       != (n == 1 ? 1 : n == 2 ? 2 : 4)
                    || strcmp(json_string_value(json_object_get(it, "event")),
                              n == 1 ? "submitted" : "progress") != 0)
                {
                    bad++;
                }
            }

            if (n != w[i].acked[j]) {
                fprintf(stderr, "\n  %s: %d acknowledged, %d read",
                        w[i].codes[j], w[i].acked[j], n);
                bad++;
            }

            free(w[i].bodies[j]);
        }
    }

    json_array_foreach(rd.seen, k, it) {
        c = item_code(it);
        read_ours += strncmp(c, prefix, strlen(prefix)) == 0;
    }

    fprintf(stderr, "\n  %d writers: %d changes acknowledged, %d read in "
            "%d reads, %d out of place\n", WRITERS, acked, read_ours,
            rd.reads, bad);

    CU_ASSERT_EQUAL(acked, WRITERS * DOSSIERS * CHANGES);
    CU_ASSERT_EQUAL(read_ours, acked);
    CU_ASSERT_EQUAL(bad, 0);

    /* and PostgreSQL holds as many feed items as were read */
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossier_feed f JOIN"
                                   " dossiers d ON d.id = f.dossier_id"
                                   " WHERE d.ma_ho_so LIKE $1 || '%'",
                                   prefix), read_ours);

    json_decref(rd.seen);
    free(w);
}


/* Both workers have their LISTEN connection (the first feed request of
 * a worker starts it): until then waits are polled. */
static int
workers_listening(void)
{
    int  i;

    for (i = 0; i < 100; i++) {
        if (itest_sql_long("SELECT count(*) FROM pg_stat_activity WHERE "
                           "query = 'LISTEN dossier_feed' AND datname = $1",
                           "dossier") >= 2)
        {
            return 1;
        }

        /* new connections land on either worker */
        (void) feed("CT", NULL, 1, 0, NULL);
        usleep(100 * 1000);
    }

    return 0;
}


/*
 * Long polls: 40 readers waiting 3 s on an idle sector cost one query
 * each (the first), none while they wait; each returns after its wait,
 * empty.  Then a reader waiting 20 s gets a submission made a second
 * into its wait, at once.
 */
static void
long_poll(void)
{
    int          i, still;
    char         end[64], code[64];
    long         calls;
    double       start, acked;
    json_t      *d, *items;
    waiter_t     w[40];
    pthread_t    t[40];

    CU_ASSERT_TRUE_FATAL(workers_listening());
    feed_end("CT", end, sizeof(end));

    calls = itest_pg_calls(FEED_SQL);
    start = now_s();

    for (i = 0; i < 40; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        snprintf(w[i].after, sizeof(w[i].after), "%s", end);
        w[i].wait = 3;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, wait_feed, &w[i]),
                              0);
    }

    still = 0;

    for (i = 0; i < 40; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(w[i].status, 200);
        CU_ASSERT_EQUAL(json_array_size(json_object_get(w[i].body, "items")),
                        0);
        still += w[i].done - start >= 2.9;
        json_decref(w[i].body);
    }

    fprintf(stderr, "\n  40 idle waits of 3 s: %ld queries, %d waited it "
            "out\n", itest_pg_calls(FEED_SQL) - calls, still);

    CU_ASSERT_EQUAL(itest_pg_calls(FEED_SQL) - calls, 40);
    CU_ASSERT_EQUAL(still, 40);

    /* a change wakes a waiting reader */
    memset(&w[0], 0, sizeof(w[0]));
    snprintf(w[0].after, sizeof(w[0].after), "%s", end);
    w[0].wait = 20;
    start = now_s();
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t[0], NULL, wait_feed, &w[0]), 0);

    sleep(1);
    snprintf(code, sizeof(code), "%s", itest_unique("HP-LP"));
    d = ct_dossier(code);
    CU_ASSERT_EQUAL(itest_submit_dossier(d), 201);
    acked = now_s();
    json_decref(d);

    pthread_join(t[0], NULL);

    /* the waiter is answered from the commit's notification, usually
     * before the writer has its 201 */
    fprintf(stderr, "  a reader waiting 20 s had the change %+.3f s after "
            "the submission's 201 (%.3f s into its wait)\n",
            w[0].done - acked, w[0].done - start);

    CU_ASSERT_EQUAL(w[0].status, 200);
    items = json_object_get(w[0].body, "items");
    CU_ASSERT_EQUAL(json_array_size(items), 1);
    CU_ASSERT_STRING_EQUAL(item_code(json_array_get(items, 0)), code);
    CU_ASSERT(w[0].done - start >= 0.9);
    CU_ASSERT(w[0].done - acked < 1.0);
    json_decref(w[0].body);
}


/* Pages end early at about 8 MiB of bodies (dossiers may be 1 MiB each),
 * and following next still gives everything once. */
static void
large_bodies(void)
{
    int          i, first, total, pages, n;
    char        *note, end[64], codes[15][64];
    size_t       k;
    json_t      *d, *body, *it;

    feed_end("CT", end, sizeof(end));

    note = malloc(600 * 1024 + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(note);
    memset(note, 'x', 600 * 1024);
    note[600 * 1024] = '\0';

    for (i = 0; i < 15; i++) {
        snprintf(codes[i], sizeof(codes[i]), "%s", itest_unique("HP-LB"));
        d = ct_dossier(codes[i]);
        json_object_set_new(d, "GhiChu", json_string(note));
        CU_ASSERT_EQUAL(itest_submit_dossier(d), 201);
        json_decref(d);
    }

    free(note);

    first = -1;
    total = 0;
    pages = 0;

    do {
        CU_ASSERT_EQUAL_FATAL(feed("CT", end, 1000, 0, &body), 200);
        n = (int) json_array_size(json_object_get(body, "items"));

        json_array_foreach(json_object_get(body, "items"), k, it) {
            CU_ASSERT_STRING_EQUAL(item_code(it), codes[total]);
            total++;
        }

        if (first < 0) {
            first = n;
        }

        pages += n > 0;
        snprintf(end, sizeof(end), "%s",
                 json_string_value(json_object_get(body, "next")));
        json_decref(body);

    } while (n > 0 && total < 15);

    fprintf(stderr, "\n  15 dossiers of 600 KiB: %d in the first page, %d "
            "pages\n", first, pages);

    /* 8 MiB hold 13 bodies and start the 14th */
    CU_ASSERT_EQUAL(first, 14);
    CU_ASSERT_EQUAL(total, 15);
    CU_ASSERT_EQUAL(pages, 2);
}


static void
refusals(void)
{
    char              *token;
    json_t            *body;
    itest_response_t   res;

    /* a client reading a sector it was not granted */
    itest_as_client("ht-registry", "ht-registry-secret");
    itest_http(&res, "GET", "/v1/feed?sector=CT", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 403);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.sector"));
    itest_response_free(&res);

    itest_http(&res, "GET", "/v1/feed?sector=HT", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 200);
    itest_response_free(&res);

    /* citizens do not read the feed */
    token = itest_vneid_token("031185001234", NULL);
    itest_as_citizen(token);
    itest_http(&res, "GET", "/v1/feed?sector=CT", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 403);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.citizen"));
    itest_response_free(&res);
    free(token);

    itest_as_nobody();
    itest_http(&res, "GET", "/v1/feed?sector=CT", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 401);
    itest_response_free(&res);

    itest_as_client("demo-portal", "demo-portal-secret");

    /* 422: unknown sector, bad cursor, limit and wait out of range,
     * all at once */
    itest_http(&res, "GET", "/v1/feed?sector=ZZ&after=not-a-cursor&limit=0"
               "&wait=31", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/sector", "sector.unknown"));
    CU_ASSERT_TRUE(itest_has_problem(&res, "/after", "cursor"));
    CU_ASSERT_TRUE(itest_has_problem(&res, "/limit", "range"));
    CU_ASSERT_TRUE(itest_has_problem(&res, "/wait", "range"));
    itest_response_free(&res);

    itest_http(&res, "GET", "/v1/feed", NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/sector", "required"));
    itest_response_free(&res);

    itest_http(&res, "POST", "/v1/feed?sector=CT", "{}", 2,
               (const char *const[]) { "Content-Type: application/json",
                                       NULL });
    CU_ASSERT_EQUAL(res.status, 405);
    itest_response_free(&res);

    CU_ASSERT_EQUAL(feed("CT", "AAAAAAAAAAAAAAAAAAAAAA", 1, 0, &body), 200);
    json_decref(body);
}


/* A cursor is a position in its own sector's feed: another sector's, or
 * one that decodes but was never handed out, is a bad cursor (422), not
 * a place to read another feed from (which skipped that feed's items). */
static void
cursor_of_another_sector(void)
{
    char               cursor[64], path[256];
    json_t            *d, *body;
    itest_response_t   res;

    d = ct_dossier(itest_unique("HP-FEED-SECTOR"));
    CU_ASSERT_EQUAL_FATAL(itest_submit_dossier(d), 201);
    json_decref(d);

    /* CT's end is one of its items' cursors, not the start */
    feed_end("CT", cursor, sizeof(cursor));
    CU_ASSERT_STRING_NOT_EQUAL(cursor, "AAAAAAAAAAAAAAAAAAAAAA");

    CU_ASSERT_EQUAL(feed("CT", cursor, 1, 0, &body), 200);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(body, "next")),
                           cursor);
    json_decref(body);

    /* at once, also with a wait */
    snprintf(path, sizeof(path), "/v1/feed?sector=HT&after=%s&wait=30",
             cursor);
    itest_http(&res, "GET", path, NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/after", "cursor"));
    CU_ASSERT_TRUE(res.seconds < 20);
    itest_response_free(&res);

    /* well formed, never given */
    itest_http(&res, "GET", "/v1/feed?sector=CT&after=AAAAAAAAAAEAAAAAAAAAAQ",
               NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/after", "cursor"));
    itest_response_free(&res);

    itest_http(&res, "GET", "/v1/feed?sector=CT&after=QAAAAAAAAABAAAAAAAAAAA",
               NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 422);
    CU_ASSERT_TRUE(itest_has_problem(&res, "/after", "cursor"));
    itest_response_free(&res);

    /* the start is every sector's */
    CU_ASSERT_EQUAL(feed("HT", "AAAAAAAAAAAAAAAAAAAAAA", 1, 0, NULL), 200);
}


static CU_TestInfo  tests[] = {
    { "feed from the start and from a cursor", feed_from_start_and_cursor },
    { "out-of-order commit: held back, then both once",
      out_of_order_commit },
    { "eight writers, a reader following next", concurrent_writers_and_reader },
    { "long poll: idle waits cost no query, a change wakes", long_poll },
    { "pages end early at 8 MiB of bodies", large_bodies },
    { "feed refusals: 401, 403, 405, 422", refusals },
    { "another sector's cursor, or a made-up one: 422",
      cursor_of_another_sector },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(feed, tests)
