/*
 * Who is calling, through real nginx: signed requests (RFC 9421), nonces
 * accepted once (also with Redis stopped), VNeID tokens, and what each
 * caller may do.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "unit.h"


/* POST /v1/dossiers with exactly these signature headers. */
static long
post_signed(const char *json, char *sig[4], itest_response_t *res)
{
    const char  *headers[5];

    headers[0] = "Content-Type: application/json";
    headers[1] = sig[0];
    headers[2] = sig[1];
    headers[3] = sig[2];
    headers[4] = NULL;

    itest_as_nobody();
    itest_http(res, "POST", "/v1/dossiers", json, strlen(json), headers);
    itest_as_client("demo-portal", "demo-portal-secret");

    return res->status;
}


static void
free_sig(char *sig[4])
{
    int  i;

    for (i = 0; i < 3; i++) {
        free(sig[i]);
    }
}


static void
unsigned_is_401(void)
{
    char             *json, *www;
    json_t           *d;
    itest_response_t  res;

    d = itest_dossier(itest_unique("HP-U"));
    json = itest_dump(d);

    itest_as_nobody();
    itest_submit(&res, json);
    itest_as_client("demo-portal", "demo-portal-secret");

    CU_ASSERT_EQUAL(res.status, 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.missing"));
    www = itest_header(&res, "www-authenticate");
    CU_ASSERT_PTR_NOT_NULL(www);
    free(www);
    itest_response_free(&res);

    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers WHERE "
                                   "ma_ho_so = $1",
                                   json_string_value(
                                       json_object_get(d, "MaHoSo"))), 0);
    free(json);
    json_decref(d);
}


static void
replay_and_tampering(void)
{
    char             *json, *sig[4];
    json_t           *d;
    itest_response_t  res;

    d = itest_dossier(itest_unique("HP-N"));
    json = itest_dump(d);

    itest_sign("POST", "/v1/dossiers", json, strlen(json), "demo-portal",
               "demo-portal-secret", (long) time(NULL), sig);

    CU_ASSERT_EQUAL(post_signed(json, sig, &res), 201);
    itest_response_free(&res);

    /* the very same request again: its nonce was used */
    CU_ASSERT_EQUAL(post_signed(json, sig, &res), 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.nonce"));
    itest_response_free(&res);
    free_sig(sig);

    /* the body changed after signing */
    itest_sign("POST", "/v1/dossiers", json, strlen(json), "demo-portal",
               "demo-portal-secret", (long) time(NULL), sig);
    json[strlen(json) - 2] = ' ';
    CU_ASSERT_EQUAL(post_signed(json, sig, &res), 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.digest"));
    itest_response_free(&res);
    free_sig(sig);

    /* signed too long ago; a wrong secret; an unknown client */
    itest_sign("POST", "/v1/dossiers", json, strlen(json), "demo-portal",
               "demo-portal-secret", (long) time(NULL) - 301, sig);
    CU_ASSERT_EQUAL(post_signed(json, sig, &res), 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.created"));
    itest_response_free(&res);
    free_sig(sig);

    itest_sign("POST", "/v1/dossiers", json, strlen(json), "demo-portal",
               "not-the-secret-at-all", (long) time(NULL), sig);
    CU_ASSERT_EQUAL(post_signed(json, sig, &res), 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.signature"));
    itest_response_free(&res);
    free_sig(sig);

    itest_sign("POST", "/v1/dossiers", json, strlen(json), "nobody-known",
               "demo-portal-secret", (long) time(NULL), sig);
    CU_ASSERT_EQUAL(post_signed(json, sig, &res), 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.keyid"));
    itest_response_free(&res);
    free_sig(sig);

    free(json);
    json_decref(d);
}


/* With Redis down, each node's shared memory still refuses a replay. */
static void
replay_without_redis(void)
{
    char             *json, *sig[4];
    json_t           *d;
    itest_response_t  res;

    d = itest_dossier(itest_unique("HP-NR"));
    json = itest_dump(d);

    CU_ASSERT_EQUAL_FATAL(itest_stackctl("redis-stop"), 0);

    itest_sign("POST", "/v1/dossiers", json, strlen(json), "demo-portal",
               "demo-portal-secret", (long) time(NULL), sig);
    CU_ASSERT_EQUAL(post_signed(json, sig, &res), 201);
    itest_response_free(&res);

    /* both workers share the table: try a few times to reach either */
    CU_ASSERT_EQUAL(post_signed(json, sig, &res), 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.nonce"));
    itest_response_free(&res);
    CU_ASSERT_EQUAL(post_signed(json, sig, &res), 401);
    itest_response_free(&res);

    CU_ASSERT_EQUAL(itest_stackctl("redis-start"), 0);

    free_sig(sig);
    free(json);
    json_decref(d);
}


/* The stored dossier's TaiKhoanDuocXacThucVoiVNeID. */
static long
vneid_stamp(const char *code)
{
    return itest_sql_long("SELECT (body->>'TaiKhoanDuocXacThucVoiVNeID')::int"
                          " FROM dossiers WHERE ma_ho_so = $1", code);
}


static void
vneid_citizen(void)
{
    char             *token, *json, path[160];
    json_t           *d, *said;
    const char       *own, *other;
    itest_response_t  res;

    /* a dossier of someone else, submitted by the portal */
    d = itest_dossier(itest_unique("HP-VO"));
    json_object_set_new(d, "SoGiayToChuHoSo", json_string("079090001111"));
    json_object_set_new(d, "NgaySinhChuHoSo", json_string("19900101"));
    json_object_set_new(d, "GioiTinhChuHoSo", json_integer(1));
    json_object_set_new(json_object_get(json_object_get(d,
                            "DuLieuChuyenNganh"), "DoiTuong"),
                        "SoDinhDanh", json_string("079090001111"));
    json_object_set_new(json_object_get(json_object_get(d,
                            "DuLieuChuyenNganh"), "DoiTuong"),
                        "NgaySinh", json_string("19900101"));
    json = itest_dump(d);
    itest_submit(&res, json);
    CU_ASSERT_EQUAL(res.status, 201);
    itest_response_free(&res);
    other = strdup(json_string_value(json_object_get(d, "MaHoSo")));
    free(json);

    token = itest_vneid_token("031185001234", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(token);
    itest_as_citizen(token);

    /* for oneself, under a code of one's own: accepted, stamped as
     * VNeID-authenticated */
    json_decref(d);
    d = itest_dossier(itest_unique("VNEID-031185001234"));
    json_object_set_new(d, "SoGiayToChuHoSo", json_string("031185001234"));
    own = json_string_value(json_object_get(d, "MaHoSo"));
    CU_ASSERT_EQUAL(itest_submit_dossier(d), 201);
    CU_ASSERT_EQUAL(vneid_stamp(own), 1);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers WHERE "
                                   "ma_ho_so = $1 AND client_id = 'vneid'",
                                   own), 1);

    /* the stamp is the gateway's word, not the client's: a dossier that
     * says 0 is stored saying 1 */
    said = itest_dossier(itest_unique("VNEID-031185001234"));
    json_object_set_new(said, "SoGiayToChuHoSo",
                        json_string("031185001234"));
    json_object_set_new(said, "TaiKhoanDuocXacThucVoiVNeID",
                        json_integer(0));
    CU_ASSERT_EQUAL(itest_submit_dossier(said), 201);
    CU_ASSERT_EQUAL(vneid_stamp(json_string_value(json_object_get(said,
                                                                  "MaHoSo"))),
                    1);
    json_decref(said);

    snprintf(path, sizeof(path), "/v1/dossiers/%s", own);
    itest_http(&res, "GET", path, NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 200);
    itest_response_free(&res);

    /* progress is the processing systems', not even on one's own */
    CU_ASSERT_EQUAL(itest_progress(own, 2, &res), 403);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.citizen"));
    itest_response_free(&res);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT trang_thai FROM dossiers WHERE "
                                   "ma_ho_so = $1", own), 1);

    /* someone else's dossier does not exist for this citizen */
    snprintf(path, sizeof(path), "/v1/dossiers/%s", other);
    itest_http(&res, "GET", path, NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 404);
    itest_response_free(&res);

    /* submitting for someone else */
    json_object_set_new(d, "MaHoSo", json_string(itest_unique("HP-VX")));
    json_object_set_new(d, "SoGiayToChuHoSo", json_string("079090001111"));
    json_object_set_new(d, "NgaySinhChuHoSo", json_string("19900101"));
    json_object_set_new(d, "GioiTinhChuHoSo", json_integer(1));
    json = itest_dump(d);
    itest_submit(&res, json);
    CU_ASSERT_EQUAL(res.status, 403);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.subject"));
    itest_response_free(&res);
    free(json);
    free(token);

    /* an expired token */
    token = itest_vneid_token("031185001234", "--now 1700000000");
    itest_as_citizen(token);
    itest_http(&res, "GET", path, NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 401);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "token.expired"));
    itest_response_free(&res);
    free(token);

    itest_as_client("demo-portal", "demo-portal-secret");
    free((char *) other);
    json_decref(d);
}


static void
client_without_the_sector(void)
{
    char             *json, path[160], first[96];
    json_t           *d;
    itest_response_t  res;

    d = itest_dossier(itest_unique("HP-SC"));
    snprintf(first, sizeof(first), "%s",
             json_string_value(json_object_get(d, "MaHoSo")));
    json = itest_dump(d);
    itest_submit(&res, json);             /* demo-portal: all sectors */
    CU_ASSERT_EQUAL(res.status, 201);
    itest_response_free(&res);

    itest_as_client("ht-registry", "ht-registry-secret");

    json_object_set_new(d, "MaHoSo", json_string(itest_unique("HP-SD")));
    free(json);
    json = itest_dump(d);
    itest_submit(&res, json);
    CU_ASSERT_EQUAL(res.status, 403);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.sector"));
    itest_response_free(&res);

    /* refused means not stored */
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossiers WHERE "
                                   "ma_ho_so = $1",
                                   json_string_value(
                                       json_object_get(d, "MaHoSo"))), 0);

    snprintf(path, sizeof(path), "/v1/dossiers/%s",
             json_string_value(json_object_get(d, "MaHoSo")));
    itest_http(&res, "GET", path, NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 404);      /* never stored */
    if (res.status != 404) {
        fprintf(stderr, "\n  got %ld: %s\n", res.status, res.body);
    }
    itest_response_free(&res);

    /* nor does it move a dossier of that sector: 403, nothing applied */
    CU_ASSERT_EQUAL(itest_progress(first, 2, &res), 403);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.sector"));
    itest_response_free(&res);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT trang_thai FROM dossiers WHERE "
                                   "ma_ho_so = $1", first), 1);
    CU_ASSERT_EQUAL(itest_sql_long("SELECT count(*) FROM dossier_progress p"
                                   " JOIN dossiers d ON d.id = p.dossier_id"
                                   " WHERE d.ma_ho_so = $1", first), 0);

    itest_as_client("demo-portal", "demo-portal-secret");

    /* the same record from a client with the sector applies */
    CU_ASSERT_EQUAL(itest_progress(first, 2, NULL), 200);

    free(json);
    json_decref(d);
}


/* A GET signed as demo-portal over sign_path (its path and query), sent
 * to path; the answer's status. */
static long
signed_get(const char *sign_path, const char *path)
{
    int               i;
    long              status;
    char             *h[4];
    itest_response_t  res;

    itest_sign("GET", sign_path, NULL, 0, "demo-portal",
               "demo-portal-secret", (long) time(NULL), h);

    itest_as_nobody();
    itest_http(&res, "GET", path, NULL, 0, (const char *const *) h);
    itest_as_client("demo-portal", "demo-portal-secret");

    status = res.status;
    if (status == 401 && !itest_has_problem(&res, "", "auth.signature")) {
        fprintf(stderr, "\n  401 for another reason: %s\n", res.body);
        status = -1;
    }

    itest_response_free(&res);

    for (i = 0; i < 4; i++) {
        free(h[i]);
    }

    return status;
}


/* "@path" and "@query" are the path and query as sent, not decoded (RFC
 * 9421 sections 2.2.6 and 2.2.7): a signature over them is accepted, one
 * over their decoded forms is not. */
static void
raw_path_and_query(void)
{
    char              *json, raw[256], decoded[192], *p;
    json_t            *d;
    const char        *code;
    itest_response_t   res;

    d = itest_dossier(itest_unique("HP-RAW"));
    code = json_string_value(json_object_get(d, "MaHoSo"));
    json = itest_dump(d);
    itest_submit(&res, json);
    CU_ASSERT_EQUAL_FATAL(res.status, 201);
    itest_response_free(&res);
    free(json);

    /* the code's first '-' sent as %2D */
    p = strchr(code, '-');
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    snprintf(raw, sizeof(raw), "/v1/dossiers/%.*s%%2D%s", (int) (p - code),
             code, p + 1);
    snprintf(decoded, sizeof(decoded), "/v1/dossiers/%s", code);

    CU_ASSERT_EQUAL(signed_get(raw, raw), 200);
    CU_ASSERT_EQUAL(signed_get(decoded, raw), 401);

    CU_ASSERT_EQUAL(signed_get("/v1/feed?sector=C%54&limit=1",
                               "/v1/feed?sector=C%54&limit=1"), 200);
    CU_ASSERT_EQUAL(signed_get("/v1/feed?sector=CT&limit=1",
                               "/v1/feed?sector=C%54&limit=1"), 401);

    /* no query at all is "?", and so is an empty one */
    CU_ASSERT_EQUAL(signed_get(decoded, decoded), 200);
    snprintf(raw, sizeof(raw), "%s?", decoded);
    CU_ASSERT_EQUAL(signed_get(decoded, raw), 200);

    json_decref(d);
}


/* A listener whose client certificate (here fixed) maps to ht-registry:
 * only ht-registry's key is accepted there. */
static void
certificate_binds_the_key(void)
{
    int               port;
    char              conf[512], url[256];
    itest_response_t  res;

    port = atoi(getenv("DOSSIER_PUBLIC_PORT")) + 2;
    snprintf(conf, sizeof(conf),
             "server {\n    listen 127.0.0.1:%d;\n    dossier_auth on;\n"
             "    dossier_certificate_client ht-registry;\n"
             "    location /v1/dossiers/ { dossier_resource; }\n}\n", port);
    CU_ASSERT_EQUAL_FATAL(itest_extra_conf("certificate.conf", conf), 0);
    CU_ASSERT_EQUAL_FATAL(itest_stackctl("nginx-reload"), 0);

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/dossiers/HP-NONE-1",
             port);

    itest_http(&res, "GET", url, NULL, 0, NULL);        /* demo-portal */
    CU_ASSERT_EQUAL(res.status, 403);
    CU_ASSERT_TRUE(itest_has_problem(&res, "", "auth.certificate"));
    itest_response_free(&res);

    itest_as_client("ht-registry", "ht-registry-secret");
    itest_http(&res, "GET", url, NULL, 0, NULL);
    CU_ASSERT_EQUAL(res.status, 404);                    /* let in */
    itest_response_free(&res);
    itest_as_client("demo-portal", "demo-portal-secret");

    CU_ASSERT_EQUAL(itest_extra_conf("certificate.conf", NULL), 0);
    CU_ASSERT_EQUAL(itest_stackctl("nginx-reload"), 0);
}


/* The README's worked example for client developers, as written. */
static void
worked_example_script(void)
{
    char    cmd[2048], url[256], file[] = "/tmp/dg-example-XXXXXX";
    char   *json;
    int     fd;
    json_t *d;

    d = itest_dossier(itest_unique("HP-EX"));
    json = itest_dump(d);

    fd = mkstemp(file);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, json, strlen(json)), (ssize_t) strlen(json));
    close(fd);

    snprintf(url, sizeof(url), "%s/v1/dossiers", getenv("DG_TEST_BASE"));
    snprintf(cmd, sizeof(cmd), "auto/sign-request.sh POST %s %s demo-portal "
             "demo-portal-secret -s -o /dev/null -w '%%{http_code}' "
             "-H 'Content-Type: application/json' | grep -qx 201", url, file);
    CU_ASSERT_EQUAL(system(cmd), 0);

    /* and a lookup, which has no body */
    snprintf(cmd, sizeof(cmd), "auto/sign-request.sh GET %s/%s '' "
             "demo-portal demo-portal-secret -s -o /dev/null "
             "-w '%%{http_code}' | grep -qx 200", url,
             json_string_value(json_object_get(d, "MaHoSo")));
    CU_ASSERT_EQUAL(system(cmd), 0);

    remove(file);
    free(json);
    json_decref(d);
}


static CU_TestInfo  tests[] = {
    { "unsigned request: 401, nothing stored", unsigned_is_401 },
    { "replayed, tampered, stale, wrong key: 401", replay_and_tampering },
    { "replay refused with Redis stopped", replay_without_redis },
    { "VNeID: own 201 and 200, other 403 and 404", vneid_citizen },
    { "client without the sector: 403, also for progress",
      client_without_the_sector },
    { "a client certificate binds the signing key",
      certificate_binds_the_key },
    { "@path and @query are signed as sent", raw_path_and_query },
    { "the README's signing script", worked_example_script },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(auth, tests)
