/*
 * Integration-test helpers (see itest.h).  Blocking I/O is fine here: this
 * is the client side.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "itest.h"


static const char *itest_env(const char *name);


size_t
itest_collect(char *p, size_t size, size_t n, void *arg)
{
    itest_buf_t  *b = arg;
    char         *data;

    data = realloc(b->data, b->len + size * n + 1);
    if (data == NULL) {
        return 0;
    }

    memcpy(data + b->len, p, size * n);
    b->data = data;
    b->len += size * n;
    b->data[b->len] = '\0';

    return size * n;
}


static struct {
    const char  *id;
    const char  *secret;
    char        *token;
} itest_identity = { "demo-portal", "demo-portal-secret", NULL };


void
itest_as_client(const char *id, const char *secret)
{
    itest_identity.id = id;
    itest_identity.secret = secret;
    free(itest_identity.token);
    itest_identity.token = NULL;
}


void
itest_as_citizen(const char *token)
{
    itest_identity.id = NULL;
    free(itest_identity.token);
    itest_identity.token = strdup(token);
}


void
itest_as_nobody(void)
{
    itest_identity.id = NULL;
    free(itest_identity.token);
    itest_identity.token = NULL;
}


static char *
itest_base64(const unsigned char *data, size_t len)
{
    char  *out;

    out = malloc(4 * ((len + 2) / 3) + 1);
    if (out) {
        EVP_EncodeBlock((unsigned char *) out, data, (int) len);
    }

    return out;
}


void
itest_sign(const char *method, const char *path, const char *body,
    size_t len, const char *id, const char *secret, long created,
    char *headers[4])
{
    char            *digest, *mac64, params[512], base[2048], query[1024];
    const char      *q;
    unsigned char    md[32], nonce[12], mac[32];
    unsigned int     maclen;
    char            *nonce64;
    int              has_body;

    has_body = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;

    q = strchr(path, '?');
    snprintf(query, sizeof(query), "%s", q ? q : "?");

    RAND_bytes(nonce, sizeof(nonce));
    nonce64 = itest_base64(nonce, sizeof(nonce));

    snprintf(params, sizeof(params),
             "(\"@method\" \"@path\" \"@query\"%s);created=%ld;"
             "nonce=\"%s\";keyid=\"%s\";alg=\"hmac-sha256\"",
             has_body ? " \"content-digest\"" : "", created, nonce64, id);

    digest = NULL;
    if (has_body) {
        EVP_Digest(body, len, md, NULL, EVP_sha256(), NULL);
        mac64 = itest_base64(md, sizeof(md));
        digest = malloc(strlen(mac64) + 16);
        sprintf(digest, "sha-256=:%s:", mac64);
        free(mac64);
    }

    snprintf(base, sizeof(base),
             "\"@method\": %s\n\"@path\": %.*s\n\"@query\": %s\n"
             "%s%s%s\"@signature-params\": %s",
             method, (int) (q ? (size_t) (q - path) : strlen(path)), path,
             query, has_body ? "\"content-digest\": " : "",
             has_body ? digest : "", has_body ? "\n" : "", params);

    HMAC(EVP_sha256(), secret, (int) strlen(secret), (unsigned char *) base,
         strlen(base), mac, &maclen);
    mac64 = itest_base64(mac, maclen);

    headers[0] = malloc(strlen(params) + 32);
    sprintf(headers[0], "Signature-Input: sig1=%s", params);
    headers[1] = malloc(strlen(mac64) + 32);
    sprintf(headers[1], "Signature: sig1=:%s:", mac64);
    headers[2] = NULL;
    headers[3] = NULL;

    if (has_body) {
        headers[2] = malloc(strlen(digest) + 32);
        sprintf(headers[2], "Content-Digest: %s", digest);
    }

    free(digest);
    free(mac64);
    free(nonce64);
}


static size_t
itest_discard(char *p, size_t size, size_t n, void *arg)
{
    return size * n;
}


CURL *
itest_signed_handle(const char *path, const char *body,
    struct curl_slist **headers)
{
    int    i;
    char  *sig[4], url[512];
    CURL  *e;

    snprintf(url, sizeof(url), "%s%s", itest_env("DG_TEST_BASE"), path);

    itest_sign(body ? "POST" : "GET", path, body ? body : "",
               body ? strlen(body) : 0, "demo-portal", "demo-portal-secret",
               (long) time(NULL), sig);

    *headers = body ? curl_slist_append(NULL,
                                        "Content-Type: application/json")
                    : NULL;

    for (i = 0; i < 3 && sig[i]; i++) {
        *headers = curl_slist_append(*headers, sig[i]);
        free(sig[i]);
    }

    e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, itest_discard);

    if (body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    }

    return e;
}


char *
itest_vneid_token(const char *sub, const char *extra)
{
    char    cmd[1024], *token;
    size_t  n;
    FILE   *f;

    snprintf(cmd, sizeof(cmd), "conf/dev/make-vneid-token.sh %s %s",
             extra ? extra : "", sub);

    f = popen(cmd, "r");
    if (f == NULL) {
        return NULL;
    }

    token = calloc(1, 8192);
    n = token ? fread(token, 1, 8191, f) : 0;
    pclose(f);

    while (n && (token[n - 1] == '\n' || token[n - 1] == '\r')) {
        token[--n] = '\0';
    }

    return token;
}


static const char *
itest_env(const char *name)
{
    const char  *v = getenv(name);

    if (v == NULL) {
        fprintf(stderr, "integration tests: %s is not set; run them with "
                "tests/integration/run\n", name);
        exit(2);
    }

    return v;
}


/* The current identity's headers for a public request. */
static void
itest_identity_headers(struct curl_slist **list, const char *method,
    const char *path, const char *body, size_t len)
{
    int    i;
    char  *h[4], bearer[8300];

    if (itest_identity.token) {
        snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s",
                 itest_identity.token);
        *list = curl_slist_append(*list, bearer);
        return;
    }

    if (itest_identity.id == NULL) {
        return;
    }

    itest_sign(method, path, body ? body : "", body ? len : 0,
               itest_identity.id, itest_identity.secret, (long) time(NULL),
               h);

    for (i = 0; i < 3 && h[i]; i++) {
        *list = curl_slist_append(*list, h[i]);
        free(h[i]);
    }
}


int
itest_http(itest_response_t *res, const char *method, const char *path,
    const char *body, size_t len, const char *const *headers)
{
    int                 rc;
    char                url[2048];
    CURL               *curl;
    itest_buf_t         b, h;
    struct curl_slist  *list;

    memset(res, 0, sizeof(*res));
    memset(&b, 0, sizeof(b));
    memset(&h, 0, sizeof(h));

    if (strncmp(path, "admin:", 6) == 0) {
        snprintf(url, sizeof(url), "%s%s", itest_env("DG_TEST_ADMIN"),
                 path + 6);

    } else if (strncmp(path, "http://", 7) == 0) {
        snprintf(url, sizeof(url), "%s", path);
        path = strchr(path + 7, '/');

    } else {
        snprintf(url, sizeof(url), "%s%s", itest_env("DG_TEST_BASE"), path);
    }

    curl = curl_easy_init();
    if (curl == NULL) {
        return -1;
    }

    list = NULL;
    /* curl would send "Expect: 100-continue" for big bodies */
    list = curl_slist_append(list, "Expect:");
    for (; headers && *headers; headers++) {
        list = curl_slist_append(list, *headers);
    }

    if (strncmp(path, "admin:", 6) != 0) {
        itest_identity_headers(&list, method, path, body, len);
    }

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, itest_collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, itest_collect);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);

    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t) len);
    }

    rc = curl_easy_perform(curl) == CURLE_OK ? 0 : -1;

    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &res->seconds);
    curl_easy_cleanup(curl);
    curl_slist_free_all(list);

    res->body = b.data ? b.data : strdup("");
    res->len = b.len;
    res->headers = h.data ? h.data : strdup("");

    for (char *p = res->headers; *p; p++) {
        if (*p == ':') {
            while (*p && *p != '\n') {
                p++;
            }

            if (*p == '\0') {
                break;
            }

            continue;
        }

        *p = (char) tolower((unsigned char) *p);
    }

    return rc;
}


void
itest_response_free(itest_response_t *res)
{
    free(res->body);
    free(res->headers);
    memset(res, 0, sizeof(*res));
}


char *
itest_header(const itest_response_t *res, const char *name)
{
    size_t       n;
    const char  *p, *end;

    n = strlen(name);

    for (p = res->headers; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1
                                                        : NULL)
    {
        if (strncmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1;
            while (*p == ' ') {
                p++;
            }

            end = p + strcspn(p, "\r\n");
            return strndup(p, (size_t) (end - p));
        }
    }

    return NULL;
}


int
itest_submit(itest_response_t *res, const char *json)
{
    static const char *const  headers[] = {
        "Content-Type: application/json", NULL
    };

    return itest_http(res, "POST", "/v1/dossiers", json, strlen(json),
                      headers);
}


long
itest_submit_dossier(json_t *d)
{
    long              status;
    char             *json;
    itest_response_t  res;

    json = itest_dump(d);
    itest_submit(&res, json);
    status = res.status;
    itest_response_free(&res);
    free(json);

    return status;
}


void
itest_progress_request(const char *code, int to, char *path, size_t plen,
    char *body, size_t blen)
{
    char       at[16];
    time_t     t;
    struct tm  tm;

    t = time(NULL) + 7 * 3600;
    gmtime_r(&t, &tm);
    strftime(at, sizeof(at), "%Y%m%d%H%M%S", &tm);

    snprintf(path, plen, "/v1/dossiers/%s/progress", code);
    snprintf(body, blen,
             "{\"TrangThaiHoSo\":%d,\"ThoiDiemXuLy\":\"%s\","
             "\"NoiDungXuLy\":\"Chuyển xử lý\",\"NguoiXuLy\":\"Lê Văn An\""
             "%s%s%s}", to, at,
             to == 10 ? ",\"NgayTra\":\"" : "", to == 10 ? at : "",
             to == 10 ? "\"" : "");
}


long
itest_progress(const char *code, int to, itest_response_t *res)
{
    long              status;
    char              path[256], body[512];
    itest_response_t  own;

    itest_progress_request(code, to, path, sizeof(path), body, sizeof(body));

    if (res == NULL) {
        res = &own;
    }

    itest_http(res, "POST", path, body, strlen(body),
               (const char *const[]) { "Content-Type: application/json",
                                       NULL });
    status = res->status;

    if (res == &own) {
        itest_response_free(&own);
    }

    return status;
}


/* Thread-safe: tests that send traffic from a thread of their own make
 * dossiers on both threads at once (a shared buffer gave one thread's
 * code a torn, NUL-filled copy: a 400 or 422 by chance). */
const char *
itest_unique(const char *prefix)
{
    static __thread char  buf[64];
    static unsigned long  n;

    snprintf(buf, sizeof(buf), "%s-%ld-%d-%lu", prefix, (long) time(NULL),
             (int) getpid(), __atomic_add_fetch(&n, 1, __ATOMIC_RELAXED));

    return buf;
}


/* yyyyMMddHHmmss in UTC+07:00, offset seconds from now */
static void
itest_vn_time(char *buf, long offset)
{
    time_t     t;
    struct tm  tm;

    t = time(NULL) + 7 * 3600 + offset;
    gmtime_r(&t, &tm);
    strftime(buf, 15, "%Y%m%d%H%M%S", &tm);
}


/* A personal ID of its own for every dossier (a woman of Hai Phong born
 * in 1985): the per-citizen limit must not couple unrelated tests. */
static const char *
itest_citizen(void)
{
    static __thread char  id[16];
    static unsigned long  n;
    unsigned long         none;

    /* the first call on any thread picks where the sequence starts */
    none = 0;
    (void) __atomic_compare_exchange_n(&n, &none,
               ((unsigned long) getpid() * 7919 + (unsigned long) time(NULL))
               % 900000, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);

    snprintf(id, sizeof(id), "031185%06lu",
             __atomic_fetch_add(&n, 1, __ATOMIC_RELAXED) % 1000000);

    return id;
}


json_t *
itest_dossier(const char *ma_ho_so)
{
    char         received[16], due[16];
    const char  *id;

    itest_vn_time(received, -3600);
    itest_vn_time(due, 14 * 86400);
    id = itest_citizen();

    /* a single parent in a poor household: what the btxh plugin wants */
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:s, s:i,"
                     " s:s, s:s, s:s, s:s, s:i, s:[{s:s, s:s, s:s}],"
                     " s:{s:s, s:{s:s, s:s, s:s}, s:b, s:i, s:i, s:i,"
                     " s:i}}",
                     "MaHoSo", ma_ho_so,
                     "MaTTHC", "1.001776",
                     "TenTTHC", "Trợ cấp xã hội hằng tháng",
                     "MaLinhVuc", "BTXH",
                     "KenhThucHien", 2,
                     "ChuHoSo", "Nguyễn Thị Lan",
                     "LoaiDoiTuong", 1,
                     "SoGiayToChuHoSo", id,
                     "NgaySinhChuHoSo", "19850312",
                     "GioiTinhChuHoSo", 2,
                     "SoDienThoai", "0912345678",
                     "Email", "lan.nguyen@example.vn",
                     "NgayTiepNhan", received,
                     "NgayHenTra", due,
                     "TrangThaiHoSo", 1,
                     "TaiLieuNop",
                         "TepDinhKemId", "f1",
                         "TenTepDinhKem", "Đơn đề nghị.pdf",
                         "DuongDanTaiTepTin",
                             "https://files.example.vn/f1.pdf",
                     "DuLieuChuyenNganh",
                         "MaDoiTuong", "DON_THAN_NGHEO",
                         "DoiTuong",
                             "HoTen", "Nguyễn Thị Lan",
                             "SoDinhDanh", id,
                             "NgaySinh", "19850312",
                         "HoNgheo", 1,
                         "SoConDuoi16", 2,
                         "ThuNhapBinhQuan", 900000,
                         "SoNhanKhau", 3,
                         "HinhThucChiTra", 1);
}


char *
itest_dump(json_t *dossier)
{
    return json_dumps(dossier, JSON_COMPACT);
}


int
itest_has_problem(const itest_response_t *res, const char *pointer,
    const char *code)
{
    int          found;
    size_t       i;
    json_t      *root, *errors, *e;
    const char  *p, *c;

    root = json_loads(res->body, 0, NULL);
    errors = json_object_get(root, "errors");
    found = 0;

    json_array_foreach(errors, i, e) {
        p = json_string_value(json_object_get(e, "pointer"));
        c = json_string_value(json_object_get(e, "code"));

        if (p && c && strcmp(p, pointer) == 0 && strcmp(c, code) == 0) {
            found = 1;
        }
    }

    json_decref(root);

    if (!found) {
        fprintf(stderr, "\n  expected problem %s %s in: %s\n", pointer, code,
                res->body);
    }

    return found;
}


long
itest_sql_long(const char *sql, const char *param)
{
    long       v;
    PGconn    *conn;
    PGresult  *res;

    conn = PQconnectdb(itest_env("DG_TEST_PG"));
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "\n  PostgreSQL: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return -1;
    }

    res = PQexecParams(conn, sql, param ? 1 : 0, NULL, &param, NULL, NULL, 0);
    v = (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        ? atol(PQgetvalue(res, 0, 0)) : -1;

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "\n  PostgreSQL: %s", PQresultErrorMessage(res));
    }

    PQclear(res);
    PQfinish(conn);

    return v;
}


void
itest_sql_print(const char *sql, const char *param)
{
    int        i, j;
    PGconn    *conn;
    PGresult  *res;

    conn = PQconnectdb(itest_env("DG_TEST_PG"));
    res = PQexecParams(conn, sql, param ? 1 : 0, NULL, &param, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "\n  PostgreSQL: %s", PQerrorMessage(conn));
    }

    for (i = 0; i < PQntuples(res); i++) {
        fprintf(stderr, "\n  ");

        for (j = 0; j < PQnfields(res); j++) {
            fprintf(stderr, "%s%s=%s", j ? " " : "", PQfname(res, j),
                    PQgetvalue(res, i, j));
        }
    }

    fprintf(stderr, "\n");

    PQclear(res);
    PQfinish(conn);
}


int
itest_extra_conf(const char *name, const char *text)
{
    char   path[1024];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/nginx/conf.d/%s",
             itest_env("DG_TEST_VAR"), name);

    if (text == NULL) {
        return remove(path);
    }

    f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }

    fputs(text, f);

    return fclose(f);
}


int
itest_stackctl(const char *action)
{
    char  cmd[4096];

    snprintf(cmd, sizeof(cmd), "%s %s", itest_env("DG_TEST_STACKCTL"),
             action);

    return system(cmd);
}


long
itest_submit_until_created(const char *json, double seconds)
{
    long              status;
    struct timespec   start, now, pause = { 0, 100 * 1000 * 1000 };
    itest_response_t  res;

    clock_gettime(CLOCK_MONOTONIC, &start);

    for ( ;; ) {
        itest_submit(&res, json);
        status = res.status;
        itest_response_free(&res);

        clock_gettime(CLOCK_MONOTONIC, &now);

        if (status == 201
            || (now.tv_sec - start.tv_sec)
               + (now.tv_nsec - start.tv_nsec) / 1e9 > seconds)
        {
            return status;
        }

        nanosleep(&pause, NULL);
    }
}


void
itest_redis(const char *args, char *out, size_t size)
{
    char   cmd[4096];
    FILE  *f;

    snprintf(cmd, sizeof(cmd), "%s redis %s", itest_env("DG_TEST_STACKCTL"),
             args);

    out[0] = '\0';
    f = popen(cmd, "r");
    if (f == NULL) {
        return;
    }

    if (fgets(out, (int) size, f) == NULL) {
        out[0] = '\0';
    }

    out[strcspn(out, "\r\n")] = '\0';
    pclose(f);
}


int
itest_redis_wait_clients(int n, double seconds)
{
    int              i, lines;
    char             cmd[4096], line[1024];
    FILE            *f;
    struct timespec  pause = { 0, 100 * 1000 * 1000 };

    snprintf(cmd, sizeof(cmd), "%s redis CLIENT LIST 2>/dev/null",
             itest_env("DG_TEST_STACKCTL"));

    for (i = 0; i < (int) (seconds * 10); i++) {
        lines = 0;
        f = popen(cmd, "r");

        while (f && fgets(line, sizeof(line), f)) {
            lines += strncmp(line, "id=", 3) == 0;
        }

        if (f) {
            pclose(f);
        }

        if (lines >= n) {
            return 1;
        }

        nanosleep(&pause, NULL);
    }

    return 0;
}


long
itest_metric_in(const char *text, const char *series)
{
    size_t       len;
    const char  *p;

    len = strlen(series);

    for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, series, len) == 0 && p[len] == ' ') {
            return strtol(p + len + 1, NULL, 10);
        }
    }

    return -1;
}


long
itest_metric(const char *series)
{
    long              v;
    itest_response_t  res;

    itest_http(&res, "GET", "admin:/metrics", NULL, 0,
               (const char *const[]) { "Authorization: Bearer "
                                       "demo-admin-token", NULL });
    v = res.status == 200 ? itest_metric_in(res.body, series) : -1;
    itest_response_free(&res);

    return v;
}


long
itest_cache_mark(const char *code)
{
    char  args[512], count[64];

    snprintf(args, sizeof(args), "GET 'dg:p:%s'", code);
    itest_redis(args, count, sizeof(count));

    return atol(count);
}


long
itest_cache_idle(const char *code)
{
    char  gen[64], args[512], idle[64];

    itest_redis("GET dg:gen", gen, sizeof(gen));
    snprintf(args, sizeof(args), "OBJECT IDLETIME 'dg:d:%s:%s'",
             gen[0] ? gen : "0", code);
    itest_redis(args, idle, sizeof(idle));

    return (idle[0] >= '0' && idle[0] <= '9') ? atol(idle) : -1;
}


long
itest_pg_calls(const char *text)
{
    return itest_sql_long("SELECT coalesce(sum(calls), 0) FROM "
                          "pg_stat_statements WHERE query LIKE "
                          "'%' || $1 || '%'", text);
}


long
itest_lookup(const char *base, const char *code, int *state)
{
    long              status;
    char              path[256];
    json_t           *body;
    itest_response_t  res;

    snprintf(path, sizeof(path), "%s/v1/dossiers/%s", base ? base : "",
             code);
    itest_http(&res, "GET", path, NULL, 0, NULL);

    status = res.status;
    body = json_loads(res.body, 0, NULL);
    *state = (int) json_integer_value(json_object_get(body, "TrangThaiHoSo"));

    json_decref(body);
    itest_response_free(&res);

    return status;
}
