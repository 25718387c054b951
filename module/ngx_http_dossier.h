/*
 * ngx_http_dossier_module: what the module's files share.
 *
 * The module is a thin connector: request bodies, events, configuration and
 * responses are nginx's; parsing and every dossier rule live in the
 * nginx-free core (module/core, dg_*).
 */

#ifndef NGX_HTTP_DOSSIER_H
#define NGX_HTTP_DOSSIER_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_clients.h"
#include "dg_jwt.h"
#include "dg_plugin.h"
#include "dg_problem.h"
#include "dg_sig.h"
#include "ngx_http_dossier_cache.h"
#include "ngx_http_dossier_pg.h"


#define NGX_HTTP_DOSSIER_LIMIT_EARLY  1     /* address limits */
#define NGX_HTTP_DOSSIER_LIMIT_LATE   2     /* client, citizen, sector */
#define NGX_HTTP_DOSSIER_LIMIT_NAMES  32    /* distinct limit names */


typedef struct ngx_http_dossier_limit_s  ngx_http_dossier_limit_t;

typedef struct {
    u_char                       name[32];
    ngx_atomic_t                 refused;
    ngx_atomic_t                 shadow;     /* would have refused */
} ngx_http_dossier_limit_slot_t;

/* In shared memory: every worker's counts. */
typedef struct {
    ngx_atomic_t                   fallbacks;  /* Redis unreachable */
    ngx_http_dossier_limit_slot_t  slot[NGX_HTTP_DOSSIER_LIMIT_NAMES];
} ngx_http_dossier_limit_counters_t;


/* nginx names no constant for it */
#define NGX_HTTP_DOSSIER_UNPROCESSABLE  422


typedef struct {
    ngx_http_dossier_pg_conf_t      pg;
    ngx_flag_t                      pg_enabled;
    ngx_http_dossier_cache_conf_t   cache_conf;
    dg_plugin_registry_t           *plugins;    /* this cycle's, or NULL */
    dg_clients_t                   *clients;    /* dossier_clients */
    dg_jwks_t                      *jwks;       /* dossier_vneid_jwks */
    ngx_shm_zone_t                 *nonce_zone;
    ngx_shm_zone_t                 *limit_zone;
    ngx_flag_t                      limit_redis;
    ngx_uint_t                      limit_local_share;
    ngx_str_t                       limit_prefix;   /* <prefix>l: */
    ngx_http_dossier_redis_script_t *limit_script;
    ngx_array_t                     limit_names;    /* ngx_str_t */
    ngx_uint_t                      limit_slots[NGX_HTTP_DOSSIER_LIMIT_NAMES];
    ngx_http_dossier_limit_counters_t  *limit_counters;
    ngx_uint_t                      pg_sector_share;
    ngx_str_t                       vneid_issuer;
    ngx_str_t                       vneid_audience;
    time_t                          retry_after;
    ngx_int_t                       request_id_index;

    /* per worker, from init_process on */
    ngx_http_dossier_pg_t          *pool;
    ngx_http_dossier_cache_t       *cache;      /* NULL: no Redis */
    ngx_rbtree_t                    fetches;    /* lookups in PostgreSQL */
    ngx_rbtree_node_t               fetches_sentinel;
} ngx_http_dossier_main_conf_t;


typedef struct {
    ngx_flag_t                   request_id;
    ngx_flag_t                   auth;
    ngx_str_t                    admin_token;
    ngx_http_complex_value_t    *certificate_client;
    ngx_array_t                 *limits;   /* ngx_http_dossier_limit_t */
} ngx_http_dossier_loc_conf_t;


/* Who is calling (set by ngx_http_dossier_authenticate). */
#define NGX_HTTP_DOSSIER_CALLER_NONE     0
#define NGX_HTTP_DOSSIER_CALLER_OPEN     1      /* "dossier_auth off" */
#define NGX_HTTP_DOSSIER_CALLER_CLIENT   2      /* signed request */
#define NGX_HTTP_DOSSIER_CALLER_CITIZEN  3      /* VNeID token */

typedef struct {
    ngx_uint_t                   kind;
    ngx_str_t                    id;        /* client id, "vneid", ... */
    const dg_client_t           *client;
    char                         subject[DG_JWT_SUB_LEN + 1];
} ngx_http_dossier_caller_t;


typedef void (*ngx_http_dossier_resume_pt)(ngx_http_request_t *r);
typedef void (*ngx_http_dossier_nonce_pt)(ngx_http_request_t *r,
    dg_sig_nonce_e rc);

/* The module's per-request context. */
typedef struct {
    ngx_http_dossier_caller_t        caller;
    ngx_http_dossier_resume_pt       resume;
    u_char                           nonce_key[DG_SIG_MAX_KEYID
                                               + DG_SIG_MAX_NONCE + 2];
    time_t                           nonce_expires;
    ngx_http_dossier_redis_cmd_t    *nonce_cmd;
    ngx_http_dossier_nonce_pt        nonce_handler;
    ngx_uint_t                       limited;   /* stages charged */
    ngx_table_elt_t                 *ratelimit[2];
    time_t                           retry_after;  /* 0: the default */
    void                            *data;     /* the handler's own */
} ngx_http_dossier_ctx_t;


extern ngx_module_t  ngx_http_dossier_module;


ngx_http_dossier_ctx_t *ngx_http_dossier_ctx(ngx_http_request_t *r);

/*
 * Authenticates the request (body: what was received, NULL for requests
 * without one).  NGX_OK: ctx->caller is set.  NGX_DONE: resume(r) runs
 * later.  Else: the refusal was sent; return it.
 */
ngx_int_t ngx_http_dossier_authenticate(ngx_http_request_t *r,
    ngx_str_t *body, ngx_http_dossier_resume_pt resume);
ngx_int_t ngx_http_dossier_auth_nonce_result(ngx_http_request_t *r,
    dg_sig_nonce_e rc);

/*
 * Charges the limits of a stage (sector and citizen may be NULL).  NGX_OK:
 * allowed.  NGX_DONE: resume(r) runs later.  Else: the 429 was sent.
 */
ngx_int_t ngx_http_dossier_limit(ngx_http_request_t *r, ngx_uint_t stage,
    const char *sector, const char *citizen,
    ngx_http_dossier_resume_pt resume);

/* What the caller may do: NGX_OK or the HTTP status to refuse with. */
ngx_int_t ngx_http_dossier_may_read(ngx_http_request_t *r,
    const char *sector, size_t sector_len, const char *owner,
    size_t owner_len);
ngx_int_t ngx_http_dossier_may_submit(ngx_http_request_t *r,
    const char *sector, const char *applicant);
const char *ngx_http_dossier_update_sectors(ngx_http_request_t *r);

/*
 * Records a nonce once ("keyid:nonce", kept until expires): Redis SET NX,
 * or this node's shared memory while Redis is unreachable.  Returns a
 * dg_sig_nonce_e now, or NGX_DONE and calls handler later.
 */
ngx_int_t ngx_http_dossier_nonce_check(ngx_http_request_t *r, u_char *key,
    time_t expires, ngx_http_dossier_nonce_pt handler);
ngx_shm_zone_t *ngx_http_dossier_nonce_zone(ngx_conf_t *cf);

/* The request's $request_id as a C string from r->pool, or NULL. */
char *ngx_http_dossier_request_id(ngx_http_request_t *r);

/*
 * Sends a complete response; returns what ngx_http_finalize_request()
 * expects, and never NGX_OK: every check of the module (authentication,
 * limits, grants) returns NGX_OK for "passed" and the sender's value for
 * "refused, answered", so the two cannot be confused.
 */
ngx_int_t ngx_http_dossier_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, u_char *body, size_t len);

/* Sends application/problem+json; adds Retry-After to 429 and 503. */
ngx_int_t ngx_http_dossier_send_problem(ngx_http_request_t *r,
    ngx_uint_t status, const char *title, dg_problems_t *errors);

/* The same, for a single problem on the whole request. */
ngx_int_t ngx_http_dossier_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *vi, const char *en);

/* The sector's plugins over a dossier that passed the core rules: the
 * number of problems added, or -1 when a plugin failed (answer 500). */
ngx_int_t ngx_http_dossier_plugins_run(ngx_http_request_t *r,
    const char *sector, json_t *root, dg_problems_t *problems);

/* Appends a response header (value may be NULL and set later); NULL when
 * out of memory. */
ngx_table_elt_t *ngx_http_dossier_add_header(ngx_http_request_t *r,
    const char *key, const char *value);

/* 405 with Allow (e.g. "GET, HEAD"); the body, if any, is discarded. */
ngx_int_t ngx_http_dossier_send_not_allowed(ngx_http_request_t *r,
    const char *allow);

/*
 * The start of a handler that takes a JSON body: the content type (415),
 * the address limits (429), then the body, read without blocking; handler
 * runs once it is all in.  Returns what the content handler returns.
 */
ngx_int_t ngx_http_dossier_read_json(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler);

/* The body as strict JSON, or NULL after the 400 with its problems was
 * sent (*rc is then what to return). */
json_t *ngx_http_dossier_parse_json(ngx_http_request_t *r, ngx_str_t *body,
    dg_problems_t *problems, ngx_int_t *rc);

/* 415: the body is not application/json in UTF-8. */
ngx_int_t ngx_http_dossier_send_not_json(ngx_http_request_t *r);

/* 1 when Content-Type is application/json, optionally charset=utf-8. */
ngx_uint_t ngx_http_dossier_is_json(ngx_http_request_t *r);

/* The request body in one piece (memory or spilled to a file). */
ngx_int_t ngx_http_dossier_read_body(ngx_http_request_t *r, ngx_str_t *body);


/*
 * GET endpoints over shared data (/v1/feed, /v1/stats, in
 * ngx_http_dossier_reader.c).  A handler's context starts with a reader;
 * start runs once the request is in and again after every wait, and
 * begins with ngx_http_dossier_reader_check().  cleanup (may be NULL)
 * runs with the request's pool, given the context.
 */
typedef struct ngx_http_dossier_reader_s  ngx_http_dossier_reader_t;

typedef ngx_int_t (*ngx_http_dossier_reader_pt)(ngx_http_request_t *r);
typedef void (*ngx_http_dossier_reader_done_pt)(ngx_http_dossier_reader_t *rd,
    PGresult *res);

struct ngx_http_dossier_reader_s {
    ngx_http_request_t               *request;
    ngx_http_dossier_reader_pt        start;
    ngx_pool_cleanup_pt               cleanup;
    ngx_http_dossier_pg_waiter_t      catalog;
    ngx_http_dossier_pg_query_t       query;
    ngx_http_dossier_reader_done_pt   done;
    unsigned                          querying:1;
    unsigned                          sending:1;
    unsigned                          lost:1;
};

/* GET or HEAD (405), the address limits, no body; allocates the context
 * (size bytes) as ngx_http_dossier_ctx(r)->data and runs start. */
ngx_int_t ngx_http_dossier_reader_handler(ngx_http_request_t *r,
    size_t size, ngx_http_dossier_reader_pt start,
    ngx_pool_cleanup_pt cleanup);

/* A signed client (VNeID tokens: 403 auth.citizen), its limits, the
 * catalog.  NGX_OK: go on.  NGX_DONE: start runs again later.  Else the
 * refusal was sent; return it. */
ngx_int_t ngx_http_dossier_reader_check(ngx_http_request_t *r);

/* Runs rd->query (sql and params set); done runs with its result, from an
 * event; a failure is answered 503.  NGX_DONE, or the 503 sent. */
ngx_int_t ngx_http_dossier_reader_query(ngx_http_dossier_reader_t *rd,
    ngx_http_dossier_reader_done_pt done);

/* The sectors the caller may read: "*", "" (none) or "A,B". */
const char *ngx_http_dossier_reader_sectors(ngx_http_request_t *r);

/* NGX_OK, or the 403 (auth.sector) sent. */
ngx_int_t ngx_http_dossier_reader_may_read(ngx_http_request_t *r,
    const char *sector);

/* Finalizes a request answered from an event. */
void ngx_http_dossier_reader_finalize(ngx_http_request_t *r, ngx_int_t rc);

#endif /* NGX_HTTP_DOSSIER_H */
