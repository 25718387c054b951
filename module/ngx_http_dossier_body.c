/*
 * Request bodies (ngx_http_dossier_body.h).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dossier_body.h"
#include "ngx_http_dossier_response.h"


static ngx_uint_t ngx_http_dossier_is_json(ngx_http_request_t *r);


ngx_int_t
ngx_http_dossier_read_json(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler)
{
    ngx_int_t  rc;

    if (!ngx_http_dossier_is_json(r)) {
        ngx_http_dossier_discard_body(r);
        return ngx_http_dossier_send_error(r, DG_ERR_CONTENT_TYPE);
    }

    rc = ngx_http_read_client_request_body(r, handler);

    return rc >= NGX_HTTP_SPECIAL_RESPONSE ? rc : NGX_DONE;
}


/*
 * The body in one piece.  A body larger than client_body_buffer_size was
 * spilled to a temporary file by nginx; it is read back here, as nginx's
 * own modules do (it is at most client_max_body_size, 1 MiB by default).
 */
ngx_int_t
ngx_http_dossier_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    size_t        len, size;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    ngx_str_null(body);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    cl = r->request_body->bufs;
    b = cl->buf;

    if (cl->next == NULL && !b->in_file) {
        body->data = b->pos;
        body->len = b->last - b->pos;
        return NGX_OK;
    }

    len = 0;
    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    body->data = ngx_pnalloc(r->pool, len + 1);
    if (body->data == NULL) {
        return NGX_ERROR;
    }

    p = body->data;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        size = (size_t) (b->file_last - b->file_pos);
        n = ngx_read_file(b->file, p, size, b->file_pos);
        if (n != (ssize_t) size) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dossier: cannot read the request body back from "
                          "\"%V\"", &b->file->name);
            return NGX_ERROR;
        }

        p += n;
    }

    body->len = p - body->data;

    return NGX_OK;
}


/* application/json, optionally with charset=utf-8 (any case, quoted or
 * not); other parameters are ignored. */
static ngx_uint_t
ngx_http_dossier_is_json(ngx_http_request_t *r)
{
    u_char     *p, *last, *v;
    size_t      len;
    ngx_str_t  *type;

    if (r->headers_in.content_type == NULL) {
        return 0;
    }

    type = &r->headers_in.content_type->value;
    p = type->data;
    last = p + type->len;
    len = sizeof("application/json") - 1;

    if (type->len < len || ngx_strncasecmp(p, (u_char *) "application/json",
                                           len) != 0)
    {
        return 0;
    }

    for (p += len; p < last; p++) {
        if (*p == ';') {
            break;
        }

        if (*p != ' ' && *p != '\t') {
            return 0;
        }
    }

    while (p < last) {
        /* p is at ';' */
        for (p++; p < last && (*p == ' ' || *p == '\t'); p++) { /* void */ }

        v = ngx_strlchr(p, last, ';');
        len = (v ? v : last) - p;

        if (len >= sizeof("charset=") - 1
            && ngx_strncasecmp(p, (u_char *) "charset=",
                               sizeof("charset=") - 1) == 0)
        {
            p += sizeof("charset=") - 1;
            len -= sizeof("charset=") - 1;

            while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
                len--;
            }

            if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
                p++;
                len -= 2;
            }

            if (len != sizeof("utf-8") - 1
                || ngx_strncasecmp(p, (u_char *) "utf-8", len) != 0)
            {
                return 0;
            }
        }

        p = v ? v : last;
    }

    return 1;
}
