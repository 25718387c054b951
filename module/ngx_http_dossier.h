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

#include "dg_plugin.h"
#include "dg_problem.h"
#include "ngx_http_dossier_cache.h"
#include "ngx_http_dossier_pg.h"


/* nginx names no constant for it */
#define NGX_HTTP_DOSSIER_UNPROCESSABLE  422


typedef struct {
    ngx_http_dossier_pg_conf_t      pg;
    ngx_flag_t                      pg_enabled;
    ngx_http_dossier_cache_conf_t   cache_conf;
    dg_plugin_registry_t           *plugins;    /* this cycle's, or NULL */
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
    ngx_str_t                    admin_token;
} ngx_http_dossier_loc_conf_t;


extern ngx_module_t  ngx_http_dossier_module;


/* The request's $request_id as a C string from r->pool, or NULL. */
char *ngx_http_dossier_request_id(ngx_http_request_t *r);

/* Sends a complete response; returns what ngx_http_finalize_request()
 * expects. */
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

/* 405 with Allow (e.g. "GET, HEAD"); the body, if any, is discarded. */
ngx_int_t ngx_http_dossier_send_not_allowed(ngx_http_request_t *r,
    const char *allow);

/* 415: the body is not application/json in UTF-8. */
ngx_int_t ngx_http_dossier_send_not_json(ngx_http_request_t *r);

/* 1 when Content-Type is application/json, optionally charset=utf-8. */
ngx_uint_t ngx_http_dossier_is_json(ngx_http_request_t *r);

/* The request body in one piece (memory or spilled to a file). */
ngx_int_t ngx_http_dossier_read_body(ngx_http_request_t *r, ngx_str_t *body);

#endif /* NGX_HTTP_DOSSIER_H */
