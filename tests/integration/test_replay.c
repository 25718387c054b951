/*
 * A signed submission or progress record replayed to a second node: the
 * first node records the nonce in its memory and in Redis with the late
 * limits (one script call) or, when it refuses first, by a SET NX before
 * its refusal; the second node's memory does not know it, so only Redis
 * can tell, in the limits' script.  The replay is 401 auth.nonce whatever
 * the first answer was, stores nothing and charges no limit (the Redis
 * TATs of the client, citizen and sector are unchanged).  And the count
 * of Redis commands a signed submission costs.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest.h"
#include "unit.h"


/*
 * Redis commands one signed, valid, new submission sends: the limits'
 * script, which records the nonce too (the one round trip before the
 * commit), the cache entry's pending mark (beside the transaction) and
 * the cache write (after the 201's ack path, not awaited).  Before: 3 in
 * sequence, a SET NX for the nonce, the limits, the awaited write.
 */
#define REPLAY_REDIS_COMMANDS_PER_SUBMISSION  3

#define REPLAY_SUBMISSIONS  10


/* One request as signed once by demo-portal, sent as often as asked. */
typedef struct {
    char   path[256];
    char  *body;
    char  *sig[4];
} signed_post_t;


static void
sign_post(signed_post_t *p, const char *path, char *body)
{
    snprintf(p->path, sizeof(p->path), "%s", path);
    p->body = body;
    itest_sign("POST", path, body, strlen(body), "demo-portal",
               "demo-portal-secret", (long) time(NULL), p->sig);
}


/* To node 1 (base NULL) or another; the status (res, if given, keeps the
 * answer). */
static long
send_post(const signed_post_t *p, const char *base, itest_response_t *res)
{
    long              status;
    char              url[512];
    itest_response_t  own;

    if (res == NULL) {
        res = &own;
    }

    snprintf(url, sizeof(url), "%s%s", base ? base : "", p->path);

    itest_as_nobody();
    itest_http(res, "POST", url, p->body, strlen(p->body),
               (const char *const[]) { "Content-Type: application/json",
                                       p->sig[0], p->sig[1], p->sig[2],
                                       NULL });
    itest_as_client("demo-portal", "demo-portal-secret");
    status = res->status;

    if (res == &own) {
        itest_response_free(&own);
    }

    return status;
}


static void
free_post(signed_post_t *p)
{
    free(p->body);
    free(p->sig[0]);
    free(p->sig[1]);
    free(p->sig[2]);
}


/* The stored TATs of a dossier's late limits, one string. */
static void
limit_tats(const char *citizen, char *out, size_t size)
{
    char  args[256], client[128], person[128], sector[128];

    itest_redis("GET dg:l:client:demo-portal", client, sizeof(client));
    snprintf(args, sizeof(args), "GET dg:l:citizen:%s", citizen);
    itest_redis(args, person, sizeof(person));
    itest_redis("GET dg:l:sector:BTXH", sector, sizeof(sector));

    snprintf(out, size, "client %s citizen %s sector %s", client, person,
             sector);
}


static void
node2_base(char *base, size_t size)
{
    snprintf(base, size, "http://127.0.0.1:%d",
             atoi(getenv("DOSSIER_PUBLIC_PORT")) + 100);
}


/* A replay on node 2 of a submission node 1 answered first with want:
 * 401 auth.nonce, one row at most, no limit charged. */
static void
replay_submission(const char *code, json_t *d, long want)
{
    char              base2[128], before[512], after[512], citizen[32];
    signed_post_t     p;
    itest_response_t  res;

    node2_base(base2, sizeof(base2));
    snprintf(citizen, sizeof(citizen), "%s",
             json_string_value(json_object_get(d, "SoGiayToChuHoSo")));

    sign_post(&p, "/v1/dossiers", itest_dump(d));

    CU_ASSERT_EQUAL(send_post(&p, NULL, NULL), want);

    limit_tats(citizen, before, sizeof(before));

    CU_ASSERT_EQUAL(send_post(&p, base2, &res), 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.nonce"));
    itest_response_free(&res);

    /* and again on node 1, whose memory knows it */
    CU_ASSERT_EQUAL(send_post(&p, NULL, NULL), 401);

    limit_tats(citizen, after, sizeof(after));
    CU_ASSERT_STRING_EQUAL(after, before);

    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers "
                                   "WHERE ma_ho_so = $1", code),
                    want == 201 ? 1 : 0);

    free_post(&p);
}


static void
replays_refused_on_the_other_node(void)
{
    json_t      *d;
    const char  *code;

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx2-start"), 0);
    CU_ASSERT_TRUE(itest_redis_wait_clients(5, 15.0));

    /* accepted on node 1 */
    code = itest_unique("HP-RP");
    d = itest_dossier(code);
    replay_submission(code, d, 201);
    json_decref(d);

    /* refused on node 1 before its limits: the nonce was recorded before
     * the 422 */
    code = itest_unique("HP-RP");
    d = itest_dossier(code);
    json_object_set_new(d, "SoGiayToChuHoSo", json_string("099185001234"));
    replay_submission(code, d, 422);
    json_decref(d);

    itest_stackctl("nginx2-stop");
}


/* A signed progress record to node 1, then replayed to node 2. */
static void
replay_progress(const char *code, int to, long want)
{
    char              base2[128], path[256], body[512];
    char              before[512], after[512];
    signed_post_t     p;
    itest_response_t  res;

    node2_base(base2, sizeof(base2));
    itest_progress_request(code, to, path, sizeof(path), body, sizeof(body));

    sign_post(&p, path, strdup(body));

    CU_ASSERT_EQUAL(send_post(&p, NULL, NULL), want);
    limit_tats("", before, sizeof(before));

    CU_ASSERT_EQUAL(send_post(&p, base2, &res), 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.nonce"));
    itest_response_free(&res);

    limit_tats("", after, sizeof(after));
    CU_ASSERT_STRING_EQUAL(after, before);

    free_post(&p);
}


static void
progress_replays_refused_on_the_other_node(void)
{
    char              *json;
    json_t            *d;
    const char        *code;
    itest_response_t   res;

    code = itest_unique("HP-RP");
    d = itest_dossier(code);
    json = itest_dump(d);
    itest_submit(&res, json);
    CU_ASSERT_EQUAL_FATAL(res.status, 201);
    itest_response_free(&res);
    free(json);
    json_decref(d);

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx2-start"), 0);
    CU_ASSERT_TRUE(itest_redis_wait_clients(5, 15.0));

    /* applied on node 1: one history row, the replay adds none */
    replay_progress(code, 2, 200);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossier_progress h "
                                   "JOIN dossiers d ON d.id = h.dossier_id "
                                   "WHERE d.ma_ho_so = $1", code), 1);

    /* refused on node 1 (no such status), after its limits: the script
     * recorded the nonce */
    replay_progress(code, 99, 422);

    itest_stackctl("nginx2-stop");
}


/* N signed valid submissions, nothing else on this node: the Redis
 * commands they sent (counted when queued, before each 201). */
static void
redis_commands_per_submission(void)
{
    int               i, created;
    long              before, after;
    char             *json;
    json_t           *d;
    itest_response_t  res;

    /* both workers connected: no connection set up during the count */
    CU_ASSERT_TRUE(itest_redis_wait_clients(3, 15.0));

    before = itest_metric("dossier_redis_commands_total");
    CU_ASSERT_TRUE_FATAL(before >= 0);

    created = 0;

    for (i = 0; i < REPLAY_SUBMISSIONS; i++) {
        d = itest_dossier(itest_unique("HP-RC"));
        json = itest_dump(d);
        itest_submit(&res, json);
        created += res.status == 201;
        itest_response_free(&res);
        free(json);
        json_decref(d);
    }

    after = itest_metric("dossier_redis_commands_total");

    CU_ASSERT_EQUAL(created, REPLAY_SUBMISSIONS);
    CU_ASSERT_EQUAL(after - before,
                    REPLAY_SUBMISSIONS
                    * REPLAY_REDIS_COMMANDS_PER_SUBMISSION);

    if (after - before
        != REPLAY_SUBMISSIONS * REPLAY_REDIS_COMMANDS_PER_SUBMISSION)
    {
        fprintf(stderr, "\n  %d submissions sent %ld Redis commands\n",
                REPLAY_SUBMISSIONS, after - before);
    }
}


/* A new signed submission accepted at first, then replayed at second:
 * 401 auth.nonce. */
static void
accepted_then_replayed(const char *first, const char *second)
{
    json_t            *d;
    signed_post_t      p;
    itest_response_t   res;

    d = itest_dossier(itest_unique("HP-RN"));
    sign_post(&p, "/v1/dossiers", itest_dump(d));
    json_decref(d);

    CU_ASSERT_EQUAL(send_post(&p, first, NULL), 201);
    CU_ASSERT_EQUAL(send_post(&p, second, &res), 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.nonce"));
    itest_response_free(&res);
    free_post(&p);
}


/*
 * A listener with no late limits: the nonce cannot ride on their script,
 * so it is recorded by its own SET NX before the answer.  A submission
 * accepted there is refused as a replay on node 2, and one accepted on
 * node 2 is refused there (this node's memory never saw it).
 */
static void
replays_without_late_limits(void)
{
    int   port;
    char  conf[512], base[128], base2[128];

    port = atoi(getenv("DOSSIER_PUBLIC_PORT")) + 2;
    snprintf(conf, sizeof(conf),
             "server {\n    listen 127.0.0.1:%d;\n    dossier_auth on;\n"
             "    location = /v1/dossiers { dossier_submit; }\n}\n", port);
    CU_ASSERT_EQUAL_FATAL(itest_extra_conf("nolimits.conf", conf), 0);
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx-reload"), 0);
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx2-start"), 0);
    CU_ASSERT_TRUE(itest_redis_wait_clients(5, 15.0));

    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    node2_base(base2, sizeof(base2));

    accepted_then_replayed(base, base2);
    accepted_then_replayed(base2, base);

    itest_stackctl("nginx2-stop");
    CU_ASSERT_EQUAL(itest_extra_conf("nolimits.conf", NULL), 0);
    CU_ASSERT_EQUAL(itest_stackctl("nginx-reload"), 0);
}


static CU_TestInfo  tests[] = {
    { "submission replayed to node 2 (201, 422 on node 1): 401, no effect",
      replays_refused_on_the_other_node },
    { "progress replayed to node 2 (200, 422 on node 1): 401, no effect",
      progress_replays_refused_on_the_other_node },
    { "Redis commands per signed submission",
      redis_commands_per_submission },
    { "no late limits: the nonce's own SET NX, replays refused",
      replays_without_late_limits },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(replay, tests)
