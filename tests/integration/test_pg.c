/*
 * The PostgreSQL driver under faults: a send failing inside the call that
 * queued the statement (answered later, never inside the call: no
 * crash), a progress update timing out is cancelled on the server, and
 * dossiers of forty sectors waiting at once in one worker.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#include "itest.h"
#include "unit.h"


/* Submits a fresh dossier; its MaHoSo (static buffer), or NULL. */
static const char *
submitted(const char *prefix)
{
    long              status;
    char             *json;
    json_t           *d;
    static char       code[96];
    itest_response_t  res;

    snprintf(code, sizeof(code), "%s", itest_unique(prefix));
    d = itest_dossier(code);
    json = itest_dump(d);

    itest_submit(&res, json);
    status = res.status;

    itest_response_free(&res);
    free(json);
    json_decref(d);

    return status == 201 ? code : NULL;
}


static const char *
error_log(void)
{
    static char  path[1024];

    snprintf(path, sizeof(path), "%s/nginx/logs/error.log",
             getenv("DG_TEST_VAR"));

    return path;
}


static long
file_size(const char *path)
{
    struct stat  st;

    return stat(path, &st) == 0 ? (long) st.st_size : 0;
}


/* How many lines of the file from offset on contain text. */
static int
lines_with(const char *path, long offset, const char *text)
{
    int    n;
    char   line[4096];
    FILE  *f;

    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }

    fseek(f, offset, SEEK_SET);
    n = 0;

    while (fgets(line, sizeof(line), f)) {
        n += strstr(line, text) != NULL;
    }

    fclose(f);

    return n;
}


/* n concurrent GETs of one path on their own connections: how many got
 * status. */
static int
concurrent_gets(const char *path, int n, long want)
{
    int                 i, running, got;
    long                status;
    CURL               *e[32];
    CURLM              *multi;
    CURLMsg            *msg;
    struct curl_slist  *headers[32];

    multi = curl_multi_init();

    for (i = 0; i < n; i++) {
        e[i] = itest_signed_handle(path, NULL, &headers[i]);
        curl_multi_add_handle(multi, e[i]);
    }

    got = 0;

    do {
        curl_multi_perform(multi, &running);

        while ((msg = curl_multi_info_read(multi, &i))) {
            if (msg->msg == CURLMSG_DONE && msg->data.result == CURLE_OK) {
                curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
                                  &status);
                got += status == want;
            }
        }

        if (running) {
            curl_multi_poll(multi, NULL, 0, 100, NULL);
        }

    } while (running);

    for (i = 0; i < n; i++) {
        curl_multi_remove_handle(multi, e[i]);
        curl_easy_cleanup(e[i]);
        curl_slist_free_all(headers[i]);
    }

    curl_multi_cleanup(multi);

    return got;
}


/*
 * Lookups and progress whose sends fail at once (a preloaded
 * PQsendQueryParams that fails for their statements, on connections that
 * look idle): the driver learns it inside the call that queued them.
 * Each answers 503, no worker dies; before, the lookup's handler ran
 * inside that call and freed a node it then put in its tree (the
 * workers died of SIGSEGV).
 */
static void
failed_send_answers_later(void)
{
    int          i;
    long         offset;
    char         path[256];
    const char  *code;
    itest_response_t  res;

    code = submitted("HP-FS");
    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    code = strdup(code);

    offset = file_size(error_log());
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx-fault-send "
                              "'FROM dossier_status|dossier_apply_progress'"),
                          0);

    /* lookups of codes nobody asked for yet: the cache misses */
    for (i = 0; i < 10; i++) {
        snprintf(path, sizeof(path), "/v1/dossiers/%s", itest_unique("HP-FSX"));
        itest_http(&res, "GET", path, NULL, 0, NULL);
        CU_ASSERT_EQUAL(res.status, 503);
        CU_ASSERT_TRUE(itest_has_problem(&res, "", "storage.unavailable"));
        itest_response_free(&res);
    }

    /* misses of one code waiting for one query */
    snprintf(path, sizeof(path), "/v1/dossiers/%s", itest_unique("HP-FSY"));
    CU_ASSERT_EQUAL(concurrent_gets(path, 16, 503), 16);

    for (i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(itest_progress(code, 2, NULL), 503);
    }

    /* the failures were met (each drops its connection, which comes
     * back), and no worker died */
    CU_ASSERT_TRUE(lines_with(error_log(), offset, ": failed") >= 2);
    CU_ASSERT_EQUAL(lines_with(error_log(), offset, "exited on signal"), 0);
    CU_ASSERT_EQUAL(lines_with(error_log(), offset, "[alert]"), 0);

    CU_ASSERT_EQUAL(itest_stackctl("nginx-restart"), 0);

    CU_ASSERT_EQUAL(itest_progress(code, 2, NULL), 200);
    free((char *) code);
}


/*
 * A progress update waiting on a row lock past dossier_pg_query_timeout
 * (5 s): 503, and its statement is cancelled on the server (the driver
 * drops the connection, the backend notices within
 * client_connection_check_interval), so it is not applied when the lock
 * goes: the answer was not a lie.  Before, the backend waited on and
 * applied the update after the 503.  Sent again, it is applied.
 */
static void
progress_timeout_cancels(void)
{
    int               i;
    long              waiting;
    PGconn           *lock;
    PGresult         *pr;
    const char       *code, *param[1];
    struct timespec   pause = { 0, 200 * 1000 * 1000 };

    code = submitted("HP-PT");
    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    code = strdup(code);

    lock = PQconnectdb(getenv("DG_TEST_PG"));
    CU_ASSERT_EQUAL_FATAL(PQstatus(lock), CONNECTION_OK);
    pr = PQexec(lock, "BEGIN");
    PQclear(pr);
    param[0] = code;
    pr = PQexecParams(lock, "SELECT id FROM dossiers WHERE ma_ho_so = $1 "
                      "FOR UPDATE", 1, NULL, param, NULL, NULL, 0);
    CU_ASSERT_EQUAL_FATAL(PQntuples(pr), 1);
    PQclear(pr);

    CU_ASSERT_EQUAL(itest_progress(code, 2, NULL), 503);

    /* the gateway's statement is gone from the lock's queue */
    waiting = -1;

    for (i = 0; i < 25; i++) {
        waiting = itest_sql_long("SELECT count(*) FROM pg_stat_activity "
                                 "WHERE wait_event_type = 'Lock' AND query "
                                 "LIKE '%' || $1 || '%'",
                                 "dossier_apply_progress");
        if (waiting == 0) {
            break;
        }

        nanosleep(&pause, NULL);
    }

    CU_ASSERT_EQUAL(waiting, 0);

    pr = PQexec(lock, "COMMIT");
    PQclear(pr);
    PQfinish(lock);

    /* nothing was applied, then or after the lock went */
    sleep(1);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT trang_thai FROM dossiers WHERE "
                                   "ma_ho_so = $1", code), 1);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossier_progress p "
                                   "JOIN dossiers d ON d.id = p.dossier_id "
                                   "WHERE d.ma_ho_so = $1", code), 0);

    CU_ASSERT_EQUAL(itest_progress(code, 2, NULL), 200);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT trang_thai FROM dossiers WHERE "
                                   "ma_ho_so = $1", code), 2);
    free((char *) code);
}


#define SECTORS  40


static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
    return size * n;
}


typedef struct {
    size_t  len;
    char    data[1024];
} text_t;


static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
    text_t  *t = arg;

    if (t->len + size * n < sizeof(t->data)) {
        memcpy(t->data + t->len, p, size * n);
        t->len += size * n;
        t->data[t->len] = '\0';
    }

    return size * n;
}


/* nginx's own count of requests being answered (stub_status "Writing"),
 * the asking one included; -1 when it does not answer. */
static long
requests_in_progress(const char *socket)
{
    long         n;
    CURL        *e;
    text_t       b;
    const char  *p;

    b.len = 0;
    b.data[0] = '\0';

    e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, socket);
    curl_easy_setopt(e, CURLOPT_URL, "http://localhost/");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 5L);
    n = curl_easy_perform(e) == CURLE_OK ? 0 : -1;
    curl_easy_cleanup(e);

    p = strstr(b.data, "Writing:");

    return (n == 0 && p) ? atol(p + 8) : -1;
}


static double
since(const struct timespec *t0)
{
    struct timespec  now;

    clock_gettime(CLOCK_MONOTONIC, &now);

    return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}


/* Stops the second node and takes its status server away, also when a
 * check failed: later tests start that node too. */
static void
node2_stop(const char *dir)
{
    char  cmd[600];

    itest_stackctl("nginx2-stop");
    snprintf(cmd, sizeof(cmd), "rm -f '%s/status.conf'", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}


/*
 * Forty sectors (procedures inserted for the test, loaded by a second node
 * of one worker at its start), one dossier each, all waiting at once in
 * that worker's queue while PostgreSQL is held still: 40 x 201.  Before,
 * the queue tracked 32 sectors and the others got 503 with an empty queue.
 */
static void
forty_sectors_at_once(void)
{
    int                 i, k, running, created, held, queued;
    long                status, writing;
    char                code[96], *json[SECTORS], url[256], prefix[80];
    char                dir[512], sock[600], conf[2048], like[96];
    char                readyz[256];
    CURL               *e[SECTORS];
    CURLM              *multi;
    CURLMsg            *msg;
    json_t             *d;
    PGconn             *lock;
    PGresult           *pr;
    struct curl_slist  *headers[SECTORS];
    struct timespec     t0, pause = { 0, 100 * 1000 * 1000 };
    itest_response_t    res;

    CU_ASSERT_EQUAL_FATAL(itest_sql_long(
        "WITH ins AS (INSERT INTO procedures (ma_tthc, ten_tthc, ma_linh_vuc)"
        " SELECT format('9.9000%s', to_char(g, 'FM00')), 'Thủ tục thử ' || g,"
        " format('SEC%s', to_char(g, 'FM00'))"
        " FROM generate_series(1, $1::int) g"
        " ON CONFLICT (ma_tthc) DO UPDATE SET ma_linh_vuc ="
        " EXCLUDED.ma_linh_vuc RETURNING 1) SELECT count(*) FROM ins",
        "40"), SECTORS);

    /* node 2, one worker, with nginx's request counts on a unix socket */
    snprintf(dir, sizeof(dir), "%s/nginx2/conf.d", getenv("DG_TEST_VAR"));
    snprintf(sock, sizeof(sock), "%s/nginx2/status.sock",
             getenv("DG_TEST_VAR"));
    snprintf(conf, sizeof(conf), "mkdir -p '%s' && printf 'server { listen "
             "unix:%s; location / { stub_status; } }\\n' >'%s/status.conf'",
             dir, sock, dir);
    CU_ASSERT_EQUAL_FATAL(system(conf), 0);

    if (itest_stackctl("nginx2-start 1") != 0) {
        node2_stop(dir);
        CU_FAIL_FATAL("the second node did not start");
    }

    snprintf(readyz, sizeof(readyz), "http://127.0.0.1:%d/readyz",
             atoi(getenv("DOSSIER_ADMIN_PORT")) + 100);
    for (i = 0; i < 150; i++) {
        itest_http(&res, "GET", readyz, NULL, 0, NULL);
        status = res.status;
        itest_response_free(&res);
        if (status == 200) {
            break;
        }

        nanosleep(&pause, NULL);
    }

    lock = status == 200 ? PQconnectdb(getenv("DG_TEST_PG")) : NULL;
    pr = lock ? PQexec(lock, "BEGIN; LOCK TABLE dossiers IN ACCESS "
                             "EXCLUSIVE MODE")
              : NULL;

    if (PQresultStatus(pr) != PGRES_COMMAND_OK) {
        PQclear(pr);
        PQfinish(lock);
        node2_stop(dir);
        CU_FAIL_FATAL("the second node is not ready, or no lock");
    }

    PQclear(pr);

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/dossiers",
             atoi(getenv("DOSSIER_PUBLIC_PORT")) + 100);
    snprintf(prefix, sizeof(prefix), "%s", itest_unique("HP-40S"));
    snprintf(like, sizeof(like), "%s-%%", prefix);
    multi = curl_multi_init();

    for (i = 0; i < SECTORS; i++) {
        char  tthc[16], sector[16];

        snprintf(code, sizeof(code), "%s-%02d", prefix, i + 1);
        snprintf(tthc, sizeof(tthc), "9.9000%02d", i + 1);
        snprintf(sector, sizeof(sector), "SEC%02d", i + 1);

        d = itest_dossier(code);
        json_object_set_new(d, "MaTTHC", json_string(tthc));
        json_object_set_new(d, "MaLinhVuc", json_string(sector));
        json[i] = itest_dump(d);
        json_decref(d);

        e[i] = itest_signed_handle("/v1/dossiers", json[i], &headers[i]);
        curl_easy_setopt(e[i], CURLOPT_URL, url);
        curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(e[i], CURLOPT_PRIVATE, (void *) (intptr_t) i);
        curl_multi_add_handle(multi, e[i]);
    }

    created = held = queued = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    for ( ;; ) {
        curl_multi_perform(multi, &running);

        while ((msg = curl_multi_info_read(multi, &k))) {
            if (msg->msg != CURLMSG_DONE || msg->data.result != CURLE_OK) {
                continue;
            }

            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
                              &status);
            created += status == 201;
            held += lock != NULL;

            if (status != 201) {
                fprintf(stderr, "\n  40 sectors: answered %ld\n", status);
            }
        }

        if (!running) {
            break;
        }

        /* every request inside the gateway (and this one): they wait in
         * the queue, PostgreSQL being held; a second more to settle.  The
         * lock is never held near the 5 s a dossier may wait. */
        if (lock && !queued) {
            writing = requests_in_progress(sock);
            queued = writing == SECTORS + 1;

            if (queued) {
                clock_gettime(CLOCK_MONOTONIC, &t0);
            }
        }

        if (lock && (since(&t0) >= (queued ? 1.0 : 3.0))) {
            pr = PQexec(lock, "COMMIT");
            PQclear(pr);
            PQfinish(lock);
            lock = NULL;
        }

        curl_multi_poll(multi, NULL, 0, 50, NULL);
    }

    if (lock) {
        PQfinish(lock);
    }

    fprintf(stderr, "\n  40 sectors: %d created, %d answered while "
            "PostgreSQL was held, all queued at once: %s\n", created, held,
            queued ? "yes" : "not seen");

    CU_ASSERT_EQUAL(created, SECTORS);
    CU_ASSERT_EQUAL(held, 0);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers WHERE "
                                   "ma_ho_so LIKE $1", like), SECTORS);

    for (i = 0; i < SECTORS; i++) {
        curl_multi_remove_handle(multi, e[i]);
        curl_easy_cleanup(e[i]);
        curl_slist_free_all(headers[i]);
        free(json[i]);
    }

    curl_multi_cleanup(multi);

    node2_stop(dir);
    CU_ASSERT_EQUAL(itest_sql_long("WITH del AS (DELETE FROM procedures "
                                   "WHERE ma_tthc LIKE $1 RETURNING 1) "
                                   "SELECT count(*) FROM del", "9.9000%"),
                    SECTORS);
}


static CU_TestInfo  tests[] = {
    { "a send failing inside the call: 503 later, no crash",
      failed_send_answers_later },
    { "progress past its timeout is cancelled on the server",
      progress_timeout_cancels },
    { "forty sectors waiting at once: 40 x 201", forty_sectors_at_once },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(pg, tests)
