/*
 * The node's nonce store without Redis (CONTRACT 1.1 section 4): with a
 * small table (dossier_nonce_zone size=4k, some 70 nonces), once it is
 * full of nonces inside their window new ones are refused with 503 and
 * Retry-After and not recorded, and the oldest nonce is still refused as
 * a replay.  Before, the table evicted the least recently used nonce
 * when full, inside its window: a captured request could be replayed.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest.h"
#include "unit.h"


typedef struct {
    char  path[128];
    char *sig[4];
} signed_get_t;


static void
sign_get(signed_get_t *g, int i)
{
    snprintf(g->path, sizeof(g->path), "/v1/dossiers/HP-NONCE-NONE-%d-%d",
             (int) time(NULL), i);
    itest_sign("GET", g->path, "", 0, "demo-portal", "demo-portal-secret",
               (long) time(NULL), g->sig);
}


/* Sends the request as signed (again, for a replay). */
static long
send_get(const signed_get_t *g, itest_response_t *res)
{
    long              status;
    itest_response_t  own;

    if (res == NULL) {
        res = &own;
    }

    itest_http(res, "GET", g->path, NULL, 0,
               (const char *const[]) { g->sig[0], g->sig[1], NULL });
    status = res->status;

    if (res == &own) {
        itest_response_free(&own);
    }

    return status;
}


static void
free_get(signed_get_t *g)
{
    free(g->sig[0]);
    free(g->sig[1]);
}


static void
full_table_refuses_and_forgets_nothing(void)
{
    int               i, accepted, more;
    char             *retry;
    long              status;
    signed_get_t      first, g, refused;
    itest_response_t  res;

    CU_ASSERT_EQUAL_FATAL(itest_extra_conf("nonce.conf",
                                           "dossier_nonce_zone size=4k;\n"),
                          0);
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx-reload"), 0);
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("redis-stop"), 0);

    itest_as_nobody();

    sign_get(&first, 0);
    CU_ASSERT_EQUAL(send_get(&first, NULL), 404);

    /* fresh nonces until the table is full */
    accepted = 1;
    status = 404;

    for (i = 1; i < 200; i++) {
        sign_get(&g, i);
        status = send_get(&g, &res);

        if (status != 404) {
            break;
        }

        accepted++;
        itest_response_free(&res);
        free_get(&g);
    }

    fprintf(stderr, "\n  nonce table of 4k: %d nonces recorded, then %ld\n",
            accepted, status);

    CU_ASSERT_TRUE(accepted >= 50 && accepted <= 100);
    CU_ASSERT_EQUAL(status, 503);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.unavailable"));
    retry = itest_header(&res, "retry-after");
    CU_ASSERT_PTR_NOT_NULL(retry);
    free(retry);
    itest_response_free(&res);
    refused = g;

    /* full stays full: no nonce inside its window is forgotten */
    for (more = 0; more < 3; more++) {
        sign_get(&g, 1000 + more);
        CU_ASSERT_EQUAL(send_get(&g, NULL), 503);
        free_get(&g);
    }

    CU_ASSERT_EQUAL(send_get(&first, &res), 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.nonce"));
    itest_response_free(&res);

    /* the refused nonce was not recorded: refused again, not a replay */
    CU_ASSERT_EQUAL(send_get(&refused, NULL), 503);

    /* Redis back: it records what this node cannot */
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("redis-start"), 0);
    CU_ASSERT_TRUE(itest_redis_wait_clients(3, 15.0));

    CU_ASSERT_EQUAL(send_get(&refused, NULL), 404);
    CU_ASSERT_EQUAL(send_get(&refused, NULL), 401);
    CU_ASSERT_EQUAL(send_get(&first, NULL), 401);

    free_get(&first);
    free_get(&refused);
    itest_as_client("demo-portal", "demo-portal-secret");

    CU_ASSERT_EQUAL(itest_extra_conf("nonce.conf", NULL), 0);
    CU_ASSERT_EQUAL(itest_stackctl("nginx-reload"), 0);
}


static CU_TestInfo  tests[] = {
    { "Redis away, table full: 503, nothing forgotten or recorded",
      full_table_refuses_and_forgets_nothing },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(nonce, tests)
