/*
 * Rate limits through real nginx (two workers) and Redis: the per-citizen
 * limit, the local fallback when Redis is away (shared by the workers,
 * kept across reload, never open), a limit shared by two gateway nodes
 * through Redis, and a sector's surge that leaves other sectors alone.
 */

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#include "itest.h"
#include "unit.h"


/* Submits n dossiers of one citizen; returns how many were 201; *last is
 * the last answer (the caller frees it). */
static int
submit_as(const char *citizen, int n, itest_response_t *last)
{
    int               i, created;
    char             *json;
    json_t           *d, *who;
    itest_response_t  res;

    created = 0;
    memset(last, 0, sizeof(*last));

    for (i = 0; i < n; i++) {
        d = itest_dossier(itest_unique("HP-RL"));
        json_object_set_new(d, "SoGiayToChuHoSo", json_string(citizen));
        who = json_object_get(json_object_get(d, "DuLieuChuyenNganh"),
                              "DoiTuong");
        json_object_set_new(who, "SoDinhDanh", json_string(citizen));
        json = itest_dump(d);

        itest_submit(&res, json);
        created += res.status == 201;

        itest_response_free(last);
        *last = res;

        free(json);
        json_decref(d);
    }

    return created;
}


static void
citizen_limit_bites_at_30(void)
{
    long              retry;
    char             *h, citizen[16];
    itest_response_t  last;

    snprintf(citizen, sizeof(citizen), "031185%06d", (int) (getpid() % 900000));

    CU_ASSERT_EQUAL(submit_as(citizen, 31, &last), 30);
    CU_ASSERT_EQUAL(last.status, 429);
    /* refused means not stored */
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers WHERE "
                                   "so_giay_to = $1", citizen), 30);
    CU_ASSERT_TRUE(itest_has_problem(&last, "", "rate_limited"));

    /* GCRA: 30 at once, then one every 2 s */
    h = itest_header(&last, "retry-after");
    retry = h ? atol(h) : -1;
    CU_ASSERT_TRUE(retry >= 1 && retry <= 2);
    free(h);

    h = itest_header(&last, "ratelimit-policy");
    CU_ASSERT_PTR_NOT_NULL(h && strstr(h, "\"citizen\";q=30;w=60"));
    free(h);
    h = itest_header(&last, "ratelimit");
    CU_ASSERT_PTR_NOT_NULL(h && strstr(h, "\"citizen\";r=0"));
    free(h);
    itest_response_free(&last);

    /* someone else is not affected */
    snprintf(citizen, sizeof(citizen), "031185%06d",
             (int) ((getpid() + 1) % 900000));
    CU_ASSERT_EQUAL(submit_as(citizen, 3, &last), 3);
    itest_response_free(&last);
}


/*
 * A citizen's status checks (VNeID lookups) have a limit of their own
 * (conf/nginx.conf.in: citizen_lookup, 60 a minute): 40 of them leave the
 * citizen's 30 submissions a minute whole.
 */
static void
citizen_lookups_spare_submissions(void)
{
    int               i, refused;
    char             *h, *token, citizen[16], path[96];
    itest_response_t  res, last;

    snprintf(citizen, sizeof(citizen), "031185%06d",
             (int) ((getpid() + 7) % 900000));
    snprintf(path, sizeof(path), "/v1/dossiers/VNEID-%s-none", citizen);

    token = itest_vneid_token(citizen, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(token);
    itest_as_citizen(token);

    refused = 0;
    for (i = 0; i < 40; i++) {
        itest_http(&res, "GET", path, NULL, 0, NULL);
        refused += res.status == 429;
        if (i == 0) {
            CU_ASSERT_EQUAL(res.status, 404);
            h = itest_header(&res, "ratelimit-policy");
            CU_ASSERT_PTR_NOT_NULL(h && strstr(h, "\"citizen_lookup\""));
            free(h);
        }
        itest_response_free(&res);
    }

    CU_ASSERT_EQUAL(refused, 0);
    itest_as_client("demo-portal", "demo-portal-secret");
    free(token);

    CU_ASSERT_EQUAL(submit_as(citizen, 31, &last), 30);
    CU_ASSERT_EQUAL(last.status, 429);
    itest_response_free(&last);
}


/*
 * Redis stopped: each node falls back to its shared memory at 50% of the
 * rates (15 at once for a citizen): exact over two workers, and kept
 * across a reload.  Limits tighten; they never open.
 */
static void
local_fallback_shared_and_kept(void)
{
    char              citizen[16];
    itest_response_t  last;

    snprintf(citizen, sizeof(citizen), "031185%06d",
             (int) ((getpid() + 2) % 900000));

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("redis-stop"), 0);

    /* sixteen connections land on both workers: one table serves them */
    CU_ASSERT_EQUAL(submit_as(citizen, 16, &last), 15);
    CU_ASSERT_EQUAL(last.status, 429);
    itest_response_free(&last);

    CU_ASSERT_EQUAL(itest_stackctl("nginx-reload"), 0);

    CU_ASSERT_EQUAL(submit_as(citizen, 1, &last), 0);
    CU_ASSERT_EQUAL(last.status, 429);
    itest_response_free(&last);

    CU_ASSERT_EQUAL(itest_stackctl("redis-start"), 0);
}


/* Two gateway nodes share one Redis-backed limit (client "metered":
 * 20 requests a second). */
typedef struct {
    const char  *base;
    double       seconds;
    int          allowed;
    int          refused;
    int          other;
} hammer_t;


static void *
hammer(void *arg)
{
    char              url[256];
    hammer_t         *h = arg;
    struct timespec   start, now;
    itest_response_t  res;

    snprintf(url, sizeof(url), "%s/v1/dossiers/HP-METERED-NONE", h->base);
    clock_gettime(CLOCK_MONOTONIC, &start);

    for ( ;; ) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec)
            + (now.tv_nsec - start.tv_nsec) / 1e9 >= h->seconds)
        {
            break;
        }

        itest_http(&res, "GET", url, NULL, 0, NULL);

        if (res.status == 404) {
            h->allowed++;

        } else if (res.status == 429) {
            h->refused++;

        } else {
            h->other++;
        }

        itest_response_free(&res);
    }

    return NULL;
}


static void
two_nodes_share_a_limit(void)
{
    int        total;
    char       base2[128];
    pthread_t  t1, t2;
    hammer_t   h1, h2;

    snprintf(base2, sizeof(base2), "http://127.0.0.1:%d",
             atoi(getenv("DOSSIER_PUBLIC_PORT")) + 100);

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx2-start"), 0);

    /* every worker of both nodes on Redis (2 + 2, and the query's own):
     * one still reconnecting would count on its own */
    CU_ASSERT_TRUE_FATAL(itest_redis_wait_clients(5, 15.0));

    memset(&h1, 0, sizeof(h1));
    memset(&h2, 0, sizeof(h2));
    h1.base = getenv("DG_TEST_BASE");
    h2.base = base2;
    h1.seconds = h2.seconds = 10.0;

    itest_as_client("metered", "metered-secret");
    pthread_create(&t1, NULL, hammer, &h1);
    pthread_create(&t2, NULL, hammer, &h2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    itest_as_client("demo-portal", "demo-portal-secret");

    itest_stackctl("nginx2-stop");

    total = h1.allowed + h2.allowed;
    fprintf(stderr, "\n  two nodes, 10 s at 20/s: %d + %d allowed, %d "
            "refused, %d other\n", h1.allowed, h2.allowed,
            h1.refused + h2.refused, h1.other + h2.other);

    /* 20 a second for 10 s, plus the first at once: 201, within 5% */
    CU_ASSERT_TRUE(total >= 191 && total <= 211);
    CU_ASSERT_TRUE(h1.allowed > 0 && h2.allowed > 0);
    CU_ASSERT_TRUE(h1.refused + h2.refused > 100);
    CU_ASSERT_EQUAL(h1.other + h2.other, 0);
}


/*
 * A social-protection surge at ten times its sector's quota: BTXH's excess
 * is refused (429) while certified copies (CT) sent at the same time all
 * succeed.  A listener of its own (public port + 2, in the stack's own
 * range) carries the sector quotas.
 */
static void
surge_leaves_other_sectors_alone(void)
{
    int               i, btxh_ok, btxh_429, ct_ok, ct_other;
    char              conf[1024], url[256], *json;
    json_t           *d;
    itest_response_t  res;

    snprintf(conf, sizeof(conf),
             "server {\n    listen 127.0.0.1:%d;\n    dossier_auth on;\n"
             "    dossier_limit surge key=sector rate=50r/s burst=10 "
             "BTXH=5r/s;\n"
             "    location = /v1/dossiers { dossier_submit; }\n}\n",
             atoi(getenv("DOSSIER_PUBLIC_PORT")) + 2);
    CU_ASSERT_EQUAL_FATAL(itest_extra_conf("surge.conf", conf), 0);
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx-reload"), 0);

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/dossiers",
             atoi(getenv("DOSSIER_PUBLIC_PORT")) + 2);

    btxh_ok = btxh_429 = ct_ok = ct_other = 0;

    /* within about a second: 50 BTXH (10x its 5/s, 11 at once), 5 CT
     * among them */
    for (i = 0; i < 55; i++) {
        d = itest_dossier(itest_unique("HP-SG"));

        if (i % 11 == 10) {
            json_object_set_new(d, "MaTTHC", json_string("2.000815"));
            json_object_set_new(d, "MaLinhVuc", json_string("CT"));
        }

        json = itest_dump(d);
        itest_http(&res, "POST", url, json, strlen(json),
                   (const char *const[]) { "Content-Type: application/json",
                                           NULL });

        if (i % 11 == 10) {
            ct_ok += res.status == 201;
            ct_other += res.status != 201;

            if (res.status != 201) {
                fprintf(stderr, "\n  CT: %ld %s\n", res.status, res.body);
            }

        } else {
            btxh_ok += res.status == 201;
            btxh_429 += res.status == 429;
        }

        itest_response_free(&res);
        free(json);
        json_decref(d);
    }

    fprintf(stderr, "\n  surge: BTXH %d accepted, %d refused; CT %d "
            "accepted, %d not\n", btxh_ok, btxh_429, ct_ok, ct_other);

    CU_ASSERT_EQUAL(ct_ok, 5);
    CU_ASSERT_EQUAL(btxh_ok + btxh_429, 50);
    CU_ASSERT_TRUE(btxh_429 >= 30);
    CU_ASSERT_TRUE(btxh_ok >= 1);

    CU_ASSERT_EQUAL(itest_extra_conf("surge.conf", NULL), 0);
    CU_ASSERT_EQUAL(itest_stackctl("nginx-reload"), 0);
}


/*
 * A 429 names its limit whole, however long the name (here 62
 * characters, the longest a name may be): the message was written into
 * a fixed buffer and, past it, lost its end (no NUL).  A listener of its
 * own (public port + 2).
 */
static void
long_limit_name_in_429(void)
{
    int               i;
    char              conf[1024], url[256], name[63], *msg;
    json_t           *body, *err;
    itest_response_t  res;

    for (i = 0; i < 62; i++) {
        name[i] = "long_limit_name_"[i % 16];
    }

    name[62] = '\0';

    snprintf(conf, sizeof(conf),
             "server {\n    listen 127.0.0.1:%d;\n    dossier_auth on;\n"
             "    dossier_limit %s key=client rate=1r/m;\n"
             "    location /v1/dossiers/ { dossier_resource; }\n}\n",
             atoi(getenv("DOSSIER_PUBLIC_PORT")) + 2, name);
    CU_ASSERT_EQUAL_FATAL(itest_extra_conf("longname.conf", conf), 0);
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx-reload"), 0);

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/dossiers/HP-LN-NONE",
             atoi(getenv("DOSSIER_PUBLIC_PORT")) + 2);

    /* one a minute: the first passes (404), the second is refused */
    itest_http(&res, "GET", url, NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 404);
    itest_response_free(&res);

    itest_http(&res, "GET", url, NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 429);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "rate_limited"));

    body = json_loads(res.body, 0, NULL);
    err = json_array_get(json_object_get(body, "errors"), 0);
    msg = (char *) json_string_value(json_object_get(err, "message"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);

    /* both languages name it whole, and end as written */
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, name));
    CU_ASSERT_PTR_NOT_NULL(strstr(strstr(msg, name) + 62, name));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, " giây / limit \""));
    CU_ASSERT_TRUE(strlen(msg) > 4
                   && strcmp(msg + strlen(msg) - 2, " s") == 0);

    json_decref(body);
    itest_response_free(&res);

    CU_ASSERT_EQUAL(itest_extra_conf("longname.conf", NULL), 0);
    CU_ASSERT_EQUAL(itest_stackctl("nginx-reload"), 0);
}


#define FLOOD_BTXH  800
#define FLOOD_CT    40

/* The most BTXH dossiers the stack can hold while PostgreSQL stands
 * still (conf/nginx.conf.in): per worker, its share of the queue
 * (512 x 50 %) and up to two batches in flight (64 each: the second goes
 * out for a backlog, whose size depends on how the flood arrives). */
#define FLOOD_HELD  (2 * (512 * 50 / 100 + 2 * 64))


/*
 * Admission control: PostgreSQL held still (a lock on the table), a flood
 * of BTXH submissions fills BTXH's share of each worker's queue and the
 * rest is answered 503 at once, while CT, with its own share, still gets
 * places.  Once PostgreSQL moves, every queued dossier is committed.
 *
 * No step waits on a clock.  The query timeout is raised to 60 s for the
 * flood, so that however slowly the flood arrives no queued dossier times
 * out; the lock is held until at least the BTXH dossiers the queues
 * cannot hold have been refused, and a gateway connection is seen waiting
 * on it (PostgreSQL really stood still).  Every 503 must be the queue's
 * ("saturated"), never a timeout's.
 */
static void
saturated_queue_answers_503_per_sector(void)
{
    static itest_buf_t  bodies[FLOOD_BTXH + FLOOD_CT];

    int                 i, h, n, running, created, busy, busy_other;
    int                 ct_created, limited, waiting, held;
    long                status;
    char               *body;
    char               *json[FLOOD_BTXH + FLOOD_CT];
    CURL               *e[FLOOD_BTXH + FLOOD_CT];
    CURLM              *multi;
    json_t             *d;
    PGconn             *lock;
    PGresult           *res;
    CURLMsg            *msg;
    struct curl_slist  *headers[FLOOD_BTXH + FLOOD_CT];
    char                prefix[64], like[80];
    struct timespec     t0, now;

    n = FLOOD_BTXH + FLOOD_CT;
    snprintf(prefix, sizeof(prefix), "%s", itest_unique("HP-FL"));

    CU_ASSERT_EQUAL_FATAL(itest_extra_conf("flood.conf",
                              "dossier_pg_query_timeout 60s;\n"), 0);
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx-reload"), 0);

    lock = PQconnectdb(getenv("DG_TEST_PG"));
    res = PQexec(lock, "BEGIN; LOCK TABLE dossiers IN ACCESS EXCLUSIVE MODE");
    CU_ASSERT_EQUAL_FATAL(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);

    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) n);

    for (i = 0; i < n; i++) {
        char  code[96];

        snprintf(code, sizeof(code), "%s-%04d", prefix, i);
        d = itest_dossier(code);

        if (i >= FLOOD_BTXH) {
            json_object_set_new(d, "MaTTHC", json_string("2.000815"));
            json_object_set_new(d, "MaLinhVuc", json_string("CT"));
        }

        json[i] = itest_dump(d);
        json_decref(d);

        e[i] = itest_signed_handle("/v1/dossiers", json[i], &headers[i]);
        curl_easy_setopt(e[i], CURLOPT_PRIVATE, (void *) (intptr_t) i);
        curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, itest_collect);
        curl_easy_setopt(e[i], CURLOPT_WRITEDATA, &bodies[i]);
        curl_multi_add_handle(multi, e[i]);
    }

    created = busy = busy_other = ct_created = limited = waiting = 0;
    held = 0;
    memset(bodies, 0, sizeof(bodies));
    clock_gettime(CLOCK_MONOTONIC, &t0);

    for ( ;; ) {
        curl_multi_perform(multi, &running);

        while ((msg = curl_multi_info_read(multi, &h))) {
            intptr_t  k;

            if (msg->msg != CURLMSG_DONE || msg->data.result != CURLE_OK) {
                continue;
            }

            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
                              &status);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
                              (char **) &k);

            if (status == 503) {
                busy++;
                body = bodies[k].data;
                busy_other += body == NULL
                              || strstr(body, "saturated") == NULL;

            } else if (status == 201) {
                created++;
                ct_created += k >= FLOOD_BTXH;

            } else if (status == 429) {
                /* BTXH's rate quota, if earlier tests used its burst */
                limited++;
            }
        }

        if (!running) {
            break;
        }

        clock_gettime(CLOCK_MONOTONIC, &now);

        /* refused what the queues cannot hold, or given up (the asserts
         * below then say so): PostgreSQL may move again */
        if (lock && (busy + limited >= FLOOD_BTXH - FLOOD_HELD
                     || now.tv_sec - t0.tv_sec >= 50))
        {
            held = busy + limited >= FLOOD_BTXH - FLOOD_HELD;
            waiting = (int) itest_sql_long("SELECT count(*) FROM "
                                           "pg_stat_activity WHERE "
                                           "usename = 'gateway' AND "
                                           "wait_event_type = 'Lock' "
                                           "AND $1 <> ''", "held");
            res = PQexec(lock, "COMMIT");
            PQclear(res);
            PQfinish(lock);
            lock = NULL;
        }

        curl_multi_poll(multi, NULL, 0, 100, NULL);
    }

    if (lock) {
        PQfinish(lock);
    }

    fprintf(stderr, "\n  queue flood: %d accepted (CT %d of %d), %d answered "
            "503 (%d not by the queue), %d 429; %d gateway connections "
            "waited on the lock\n", created, ct_created, FLOOD_CT, busy,
            busy_other, limited, waiting);

    CU_ASSERT_TRUE(held);
    CU_ASSERT_TRUE(waiting >= 1);
    CU_ASSERT_TRUE(busy > 0);
    CU_ASSERT_EQUAL(busy_other, 0);
    CU_ASSERT_EQUAL(ct_created, FLOOD_CT);
    CU_ASSERT_EQUAL(created + busy + limited, n);

    snprintf(like, sizeof(like), "%s-%%", prefix);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers WHERE "
                                   "ma_ho_so LIKE $1", like), created);

    for (i = 0; i < n; i++) {
        curl_multi_remove_handle(multi, e[i]);
        curl_easy_cleanup(e[i]);
        curl_slist_free_all(headers[i]);
        free(json[i]);
        free(bodies[i].data);
    }

    curl_multi_cleanup(multi);

    CU_ASSERT_EQUAL(itest_extra_conf("flood.conf", NULL), 0);
    CU_ASSERT_EQUAL(itest_stackctl("nginx-reload"), 0);
}


static CU_TestInfo  tests[] = {
    { "a citizen's lookups spare their submissions",
      citizen_lookups_spare_submissions },
    { "per-citizen limit bites at 30, others unaffected",
      citizen_limit_bites_at_30 },
    { "Redis away: local limits, shared, kept across reload",
      local_fallback_shared_and_kept },
    { "two nodes share a Redis limit within 5%", two_nodes_share_a_limit },
    { "a sector's surge leaves the others alone",
      surge_leaves_other_sectors_alone },
    { "queue full: 503 at once, per sector share",
      saturated_queue_answers_503_per_sector },
    { "a 429 names a long limit whole", long_limit_name_in_429 },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(limits, tests)
