/*
 * Request bodies: the JSON content type, reading the body without
 * blocking on the client, and the body in one piece.
 */

#ifndef NGX_HTTP_DOSSIER_BODY_H
#define NGX_HTTP_DOSSIER_BODY_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/*
 * The start of a handler that takes a JSON body: 415 unless the content
 * type is application/json (optionally charset=utf-8), then the body,
 * read without blocking; handler runs once it is all in.  Returns what
 * the content handler returns.
 */
ngx_int_t ngx_http_dossier_read_json(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler);

/* The request body in one piece (memory or spilled to a file), from
 * r->pool.  An empty body is a zero-length string. */
ngx_int_t ngx_http_dossier_body(ngx_http_request_t *r, ngx_str_t *body);

#endif /* NGX_HTTP_DOSSIER_BODY_H */
