/*
 * ngx_http_dossier_response_module: how the gateway answers.  Complete
 * responses, problem+json (RFC 9457) from the core's error catalog or
 * problem lists, Retry-After on 429 and 503, the X-Request-Id header
 * filter, and "dossier_error", the error_page target that turns nginx's
 * own errors (413, 404, ...) into problem+json.
 *
 *   dossier_request_id on|off;    http, server, location
 *   dossier_retry_after 1s;       http
 *   dossier_error;                location
 *
 * Every sender returns what ngx_http_finalize_request() expects and never
 * NGX_OK: the module's checks return NGX_OK for "passed, go on" and a
 * sender's value for "refused, answered", so the two cannot be confused.
 */

#ifndef NGX_HTTP_DOSSIER_RESPONSE_H
#define NGX_HTTP_DOSSIER_RESPONSE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_error.h"
#include "dg_problem.h"


/* nginx names no constant for it */
#define NGX_HTTP_DOSSIER_UNPROCESSABLE  422


extern ngx_module_t  ngx_http_dossier_response_module;


ngx_int_t ngx_http_dossier_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, u_char *body, size_t len);

/* The same, application/json. */
ngx_int_t ngx_http_dossier_send_json(ngx_http_request_t *r,
    ngx_uint_t status, u_char *body, size_t len);

/* application/problem+json with the list's problems. */
ngx_int_t ngx_http_dossier_send_problem(ngx_http_request_t *r,
    ngx_uint_t status, const char *title, dg_problems_t *errors);

/* One problem of the catalog on the whole request, with its status; its
 * texts' conversions take the arguments that follow. */
ngx_int_t ngx_http_dossier_send_error(ngx_http_request_t *r, dg_error_e e,
    ...);

/* Retry-After: secs (at least 1); NGX_ERROR when out of memory.  Every
 * 429 and 503 has it, and so has a batch's 200 with an item refused 429 or
 * 503.  ngx_http_dossier_retry_default(): dossier_retry_after, the wait of
 * a 503. */
ngx_int_t ngx_http_dossier_retry_after(ngx_http_request_t *r, time_t secs);
time_t ngx_http_dossier_retry_default(ngx_http_request_t *r);

/* 405 with Allow (e.g. "GET, HEAD"). */
ngx_int_t ngx_http_dossier_send_not_allowed(ngx_http_request_t *r,
    const char *allow);

/* Appends a response header (value may be NULL and set later); NULL when
 * out of memory. */
ngx_table_elt_t *ngx_http_dossier_add_header(ngx_http_request_t *r,
    const char *key, const char *value);

/* Discards the request body before an early answer; a body that cannot
 * be discarded closes the connection after the answer. */
void ngx_http_dossier_discard_body(ngx_http_request_t *r);

/* The request's $request_id as a C string from r->pool, or NULL. */
char *ngx_http_dossier_request_id(ngx_http_request_t *r);

#endif /* NGX_HTTP_DOSSIER_RESPONSE_H */
