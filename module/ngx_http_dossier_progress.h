/*
 * POST /v1/dossiers/{MaHoSo}/progress (ngx_http_dossier_progress.c),
 * reached through the lookup module's "dossier_resource" location.
 */

#ifndef NGX_HTTP_DOSSIER_PROGRESS_H
#define NGX_HTTP_DOSSIER_PROGRESS_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* code: the MaHoSo of the path, decoded, NUL-ended, from r->pool. */
ngx_int_t ngx_http_dossier_progress_handler(ngx_http_request_t *r,
    ngx_str_t *code);

#endif /* NGX_HTTP_DOSSIER_PROGRESS_H */
