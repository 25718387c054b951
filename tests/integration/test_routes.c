/*
 * What lies outside the contract's routes (CONTRACT.md sections 1 and 3),
 * on both listeners: every path the gateway does not serve is 404
 * problem+json with a request id (the admin listener answered nginx's
 * HTML pages); a request nginx itself refuses is a 4xx problem+json (a
 * bad request line or a too long URI was a 500 HTML page, an unknown
 * Transfer-Encoding a 501); the admin endpoints refuse other methods with
 * 405 and Allow (they answered 200 to POST and DELETE), and a path that
 * names no resource is 404 whatever the method.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "itest.h"
#include "unit.h"


/* A problem+json answer of status with code at "" and a request id. */
static void
expect_problem(const char *method, const char *path, const char *const *hdrs,
    long status, const char *code)
{
    char              *type, *rid;
    itest_response_t   res;

    CU_ASSERT_EQUAL_FATAL(itest_http(&res, method, path, NULL, 0, hdrs), 0);
    CU_ASSERT_EQUAL(res.status, status);

    type = itest_header(&res, "content-type");
    rid = itest_header(&res, "x-request-id");
    CU_ASSERT_PTR_NOT_NULL(type);
    CU_ASSERT_TRUE(type && strcmp(type, "application/problem+json") == 0);
    CU_ASSERT_PTR_NOT_NULL(rid);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", code));

    free(rid);
    free(type);
    itest_response_free(&res);
}


/* 405 with exactly the Allow header given. */
static void
expect_allow(const char *method, const char *path, const char *const *hdrs,
    const char *allow)
{
    char              *value;
    itest_response_t   res;

    CU_ASSERT_EQUAL_FATAL(itest_http(&res, method, path, NULL, 0, hdrs), 0);
    CU_ASSERT_EQUAL(res.status, 405);

    value = itest_header(&res, "allow");
    CU_ASSERT_TRUE(value && strcmp(value, allow) == 0);

    free(value);
    itest_response_free(&res);
}


static void
unknown_routes(void)
{
    size_t                    i;
    static const char *const  paths[] = {
        "/", "/index.html", "/50x.html", "/v1", "/v1/", "/v1/feed/HT",
        "/v1/stats/", "admin:/", "admin:/index.html", "admin:/admin",
        "admin:/metrics/", "admin:/healthz/x",
    };

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        expect_problem("GET", paths[i], NULL, 404, "not_found");
    }
}


/* Sends raw bytes to a listener (its base URL in env) and reads the whole
 * answer (nginx closes the connection after these errors). */
static void
send_raw(const char *env, const char *request, char *out, size_t size)
{
    int                 fd;
    size_t              n;
    ssize_t             r;
    const char         *base, *colon;
    struct sockaddr_in  sin;

    out[0] = '\0';
    base = getenv(env);
    colon = base ? strrchr(base, ':') : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(colon);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short) atoi(colon + 1));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    fd = socket(AF_INET, SOCK_STREAM, 0);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *) &sin, sizeof(sin)),
                          0);
    CU_ASSERT_EQUAL(write(fd, request, strlen(request)),
                    (ssize_t) strlen(request));

    for (n = 0; n < size - 1; n += (size_t) r) {
        r = read(fd, out + n, size - 1 - n);
        if (r <= 0) {
            break;
        }
    }

    out[n] = '\0';
    close(fd);
}


static void
expect_raw(const char *env, const char *request, const char *status_line,
    const char *code)
{
    char  answer[4096], quoted[64];

    send_raw(env, request, answer, sizeof(answer));
    snprintf(quoted, sizeof(quoted), "\"code\":\"%s\"", code);

    CU_ASSERT_EQUAL(strncmp(answer, status_line, strlen(status_line)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(answer,
                                  "Content-Type: application/problem+json"));
    CU_ASSERT_PTR_NOT_NULL(strstr(answer, "X-Request-Id: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(answer, quoted));
}


static void
refused_by_nginx(void)
{
    char                     *line;
    size_t                    i, n;
    static const char *const  envs[] = { "DG_TEST_BASE", "DG_TEST_ADMIN" };
    static const char *const  errors[] = { "/.dossier-error",
                                           "admin:/.dossier-error" };

    /* longer than nginx's large_client_header_buffers (8k) */
    line = malloc(16100);
    CU_ASSERT_PTR_NOT_NULL_FATAL(line);

    n = (size_t) sprintf(line, "GET /v1/dossiers/");
    memset(line + n, 'A', 16000);
    strcpy(line + n + 16000, " HTTP/1.1\r\nHost: a\r\n\r\n");

    for (i = 0; i < 2; i++) {
        expect_raw(envs[i], "GARBAGE\r\n\r\n", "HTTP/1.1 400 ",
                   "http.malformed");
        expect_raw(envs[i], line, "HTTP/1.1 414 ", "http.too_large");
        expect_raw(envs[i], "GET / HTTP/2.5\r\nHost: a\r\n\r\n",
                   "HTTP/1.1 400 ", "http.malformed");
        expect_raw(envs[i], "POST /v1/dossiers HTTP/1.1\r\nHost: a\r\n"
                   "Transfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 400 ",
                   "http.malformed");
        expect_raw(envs[i], "GET /healthz HTTP/1.1\r\nHost: a\r\n"
                   "Content-Length: x\r\n\r\n", "HTTP/1.1 400 ",
                   "http.malformed");

        /* the errors' own location is no route */
        expect_problem("GET", errors[i], NULL, 404, "not_found");
    }

    free(line);
}


static void
admin_methods(void)
{
    size_t                    i;
    itest_response_t          res;
    static const char *const  token[] = {
        "Authorization: Bearer demo-admin-token", NULL
    };
    static const char *const  paths[] = {
        "admin:/healthz", "admin:/readyz", "admin:/metrics",
    };

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        expect_problem("POST", paths[i], token, 405, "method");
        expect_problem("DELETE", paths[i], token, 405, "method");

        expect_allow("PUT", paths[i], token, "GET, HEAD");

        itest_http(&res, "GET", paths[i], NULL, 0, token);
        CU_ASSERT_EQUAL(res.status, 200);
        itest_response_free(&res);
    }
}


/* 405 names the methods of a resource that exists: a plugin path of no
 * action is 404 whatever the method (GET /admin/plugins/btxh was 405). */
static void
admin_plugin_paths(void)
{
    size_t                    i;
    static const char *const  token[] = {
        "Authorization: Bearer demo-admin-token", NULL
    };
    static const char *const  paths[] = {
        "admin:/admin/plugins/", "admin:/admin/plugins/btxh",
        "admin:/admin/plugins/btxh/", "admin:/admin/plugins/btxh/frob",
        "admin:/admin/plugins/btxh/enable/x", "admin:/admin/pluginsx",
        "admin:/admin/plugins/enable",
    };

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        expect_problem("GET", paths[i], token, 404, "not_found");
        expect_problem("POST", paths[i], token, 404, "not_found");
    }

    expect_allow("GET", "admin:/admin/plugins/btxh/enable", token, "POST");
    expect_allow("DELETE", "admin:/admin/plugins", token, "GET, HEAD");
}


static CU_TestInfo  tests[] = {
    { "unknown routes: 404 problem+json on both listeners", unknown_routes },
    { "refused by nginx: 400 or 414 problem+json, never 5xx",
      refused_by_nginx },
    { "admin endpoints: other methods 405 with Allow", admin_methods },
    { "admin plugin paths: 404 unless an action, then 405 with Allow",
      admin_plugin_paths },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(routes, tests)
