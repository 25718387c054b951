/*
 * Helpers for integration tests: HTTP to the gateway under test, valid
 * dossiers to submit, and direct looks into its PostgreSQL.
 */

#ifndef DG_ITEST_H
#define DG_ITEST_H

#include <stddef.h>
#include <curl/curl.h>
#include <jansson.h>

/* What a curl write callback collected (itest_collect), NUL-ended. */
typedef struct {
    char    *data;
    size_t   len;
} itest_buf_t;

size_t itest_collect(char *p, size_t size, size_t n, void *arg);


typedef struct {
    long     status;
    char    *body;
    size_t   len;
    char    *headers;       /* raw header block, lower-cased names */
    double   seconds;
} itest_response_t;

/*
 * Who the next public requests come from: a signed client (the default:
 * demo-portal), a VNeID bearer token, or nobody.
 */
void itest_as_client(const char *id, const char *secret);
void itest_as_citizen(const char *token);
void itest_as_nobody(void);

/* The three signature headers (RFC 9421, hmac-sha256, CONTRACT.md section
 * 4) for a request, written by an implementation independent of the
 * gateway's; created is the signing time.  Each string is malloc'ed. */
void itest_sign(const char *method, const char *path, const char *body,
    size_t len, const char *id, const char *secret, long created,
    char *headers[4]);

/* A curl handle for one request signed as demo-portal, on a connection of
 * its own, for curl_multi: GET when body is NULL, else a JSON POST.  The
 * caller frees *headers after curl_easy_cleanup(). */
CURL *itest_signed_handle(const char *path, const char *body,
    struct curl_slist **headers);

/* A VNeID test token for a subject (conf/dev/make-vneid-token.sh). */
char *itest_vneid_token(const char *sub, const char *extra);

/* method, path on the public listener ("admin:" prefix: admin listener;
 * "http://..." another listener, signed the same way),
 * body (may be NULL), extra headers (NULL-terminated, may be NULL). */
int itest_http(itest_response_t *res, const char *method, const char *path,
    const char *body, size_t len, const char *const *headers);

/* GET /v1/dossiers/{code} on base (NULL: this node); returns the HTTP
 * status, *state the TrangThaiHoSo of a 200 (0 otherwise). */
long itest_lookup(const char *base, const char *code, int *state);
void itest_response_free(itest_response_t *res);

/* The value of a response header (lower-case name), malloc'ed, or NULL. */
char *itest_header(const itest_response_t *res, const char *name);

/* POST /v1/dossiers with Content-Type: application/json. */
int itest_submit(itest_response_t *res, const char *json);

/* Submits d (itest_submit); the answer's status. */
long itest_submit_dossier(json_t *d);

/* POST /v1/dossiers/{code}/progress moving it to status to, now; the
 * answer's status (res, if given, keeps the answer). */
/* The path and body of a progress record moving code to status to (now;
 * with NgayTra for 10). */
void itest_progress_request(const char *code, int to, char *path,
    size_t plen, char *body, size_t blen);

long itest_progress(const char *code, int to, itest_response_t *res);

/* A valid dossier, unique by code; the caller may change fields. */
json_t *itest_dossier(const char *ma_ho_so);
char *itest_dump(json_t *dossier);          /* malloc'ed, compact */
const char *itest_unique(const char *prefix);   /* this thread's buffer */

/* Does the problem body list (pointer, code)? */
int itest_has_problem(const itest_response_t *res, const char *pointer,
    const char *code);

/* One integer from SQL (e.g. a count), -1 on error (printed). */
long itest_sql_long(const char *sql, const char *param);

/* Prints the rows of SQL to stderr: what a failed check saw. */
void itest_sql_print(const char *sql, const char *param);

/* The first line of what redis-cli answers to args (a command of the
 * stack's Redis), or "". */
void itest_redis(const char *args, char *out, size_t size);

/* Waits until Redis has at least n client connections (its CLIENT LIST,
 * this query's own included); 1 when it did within seconds. */
int itest_redis_wait_clients(int n, double seconds);

/* The writers' pending mark on a MaHoSo's cache entry (dg_cache.h): how
 * many, 0 when none. */
long itest_cache_mark(const char *code);

/* The value of the sample "series" ("name" or "name{labels}") in a
 * /metrics text, or on the admin listener now; -1 when it is absent. */
long itest_metric_in(const char *text, const char *series);
long itest_metric(const char *series);

/* Seconds since Redis last read the cache entry of a MaHoSo (Redis's own
 * OBJECT IDLETIME), -1 when there is none. */
long itest_cache_idle(const char *code);

/* How many times PostgreSQL ran statements containing text (from
 * pg_stat_statements: PostgreSQL's own count, not the gateway's). */
long itest_pg_calls(const char *text);

/* Writes (text) or removes (NULL) a test-only nginx file in the stack's
 * conf.d (included at http level); 0 on success.  Reload to apply. */
int itest_extra_conf(const char *name, const char *text);

/* Runs tests/integration/stackctl with an action; 0 on success. */
int itest_stackctl(const char *action);

/* Submits until the gateway answers 201 or seconds pass; returns the last
 * status. */
long itest_submit_until_created(const char *json, double seconds);

#endif /* DG_ITEST_H */
