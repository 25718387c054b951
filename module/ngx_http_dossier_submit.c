/*
 * POST /v1/dossiers: read the body, validate it with the core, hand it to
 * the group-commit writer, answer once PostgreSQL has committed it.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_dossier.h"
#include "dg_store.h"
#include "ngx_http_dossier.h"


typedef struct {
    ngx_http_request_t            *request;
    ngx_http_dossier_pg_item_t     item;
    ngx_http_dossier_cache_put_t   put;
    char                          *json;        /* malloc'ed by the core */
} ngx_http_dossier_submit_ctx_t;


ngx_int_t ngx_http_dossier_submit_handler(ngx_http_request_t *r);

static void ngx_http_dossier_submit_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_submit_wait(ngx_http_request_t *r,
    ngx_http_dossier_pg_t *pool);
static void ngx_http_dossier_submit_waited(ngx_http_dossier_pg_waiter_t *w,
    ngx_uint_t ready);
static void ngx_http_dossier_submit_wait_cleanup(void *data);
static ngx_int_t ngx_http_dossier_submit(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_submit_allowed(ngx_http_request_t *r,
    json_t *root, dg_dossier_t *d);
static ngx_int_t ngx_http_dossier_submit_queue(ngx_http_request_t *r,
    json_t *root, dg_dossier_t *d, ngx_http_dossier_pg_t *pool);
static void ngx_http_dossier_submit_done(ngx_http_dossier_pg_item_t *item);
static void ngx_http_dossier_submit_cached(ngx_http_dossier_cache_put_t *put);
static ngx_int_t ngx_http_dossier_submit_accepted(ngx_http_request_t *r,
    ngx_http_dossier_pg_item_t *item);
static void ngx_http_dossier_submit_cleanup(void *data);


static ngx_str_t  ngx_http_dossier_json_type = ngx_string("application/json");


ngx_int_t
ngx_http_dossier_submit_handler(ngx_http_request_t *r)
{
    if (r->method != NGX_HTTP_POST) {
        return ngx_http_dossier_send_not_allowed(r, "POST");
    }

    return ngx_http_dossier_read_json(r, ngx_http_dossier_submit_body);
}


/* Once the body is in, and again after every wait (the signature's nonce,
 * a shared limit, the catalog): each step already done is skipped. */
static void
ngx_http_dossier_submit_body(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_dossier_submit(r);

    /* NGX_DONE: the writer answers and finalizes; r may be gone already */
    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


static ngx_int_t
ngx_http_dossier_submit(ngx_http_request_t *r)
{
    json_t                        *root;
    ngx_int_t                      rc, n;
    ngx_str_t                      body;
    dg_dossier_t                   d;
    dg_problems_t                  problems;
    const dg_catalog_t            *cat;
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    if (ngx_http_dossier_read_body(r, &body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dossier_authenticate(r, &body,
                                       ngx_http_dossier_submit_body);
    if (rc != NGX_OK) {
        return rc;
    }

    dg_problems_init(&problems);

    root = ngx_http_dossier_parse_json(r, &body, &problems, &rc);
    if (root == NULL) {
        dg_problems_free(&problems);
        return rc;
    }

    cat = dmcf->pool ? ngx_http_dossier_pg_catalog(dmcf->pool) : NULL;
    n = 0;

    if (dg_dossier_validate(root, ngx_time(), cat, &d, &problems) != 0
        || (cat && (n = ngx_http_dossier_plugins_run(r, d.ma_linh_vuc, root,
                                                     &problems)) > 0))
    {
        rc = ngx_http_dossier_send_problem(r, NGX_HTTP_DOSSIER_UNPROCESSABLE,
                                           "Dossier is invalid", &problems);

    } else if (n < 0) {
        rc = ngx_http_dossier_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                 "plugin.failed",
                 "Không kiểm tra được hồ sơ theo quy tắc của ngành",
                 "the sector's rules could not be applied; nothing was "
                 "stored");

    } else if (cat == NULL) {
        /* a worker just started: wait for its catalog, then start over */
        rc = dmcf->pool ? ngx_http_dossier_submit_wait(r, dmcf->pool)
                        : NGX_DECLINED;

        if (rc != NGX_DONE) {
            rc = ngx_http_dossier_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                     "storage.unavailable",
                     "Chưa kết nối được cơ sở dữ liệu, vui lòng thử lại",
                     "storage not reachable yet, retry later");
        }

    } else {
        rc = ngx_http_dossier_submit_allowed(r, root, &d);

        if (rc == NGX_OK) {
            rc = ngx_http_dossier_limit(r, NGX_HTTP_DOSSIER_LIMIT_LATE,
                                        d.ma_linh_vuc, d.so_giay_to,
                                        ngx_http_dossier_submit_body);
        }

        if (rc == NGX_OK) {
            rc = ngx_http_dossier_submit_queue(r, root, &d, dmcf->pool);
        }
    }

    json_decref(root);
    dg_problems_free(&problems);

    return rc;
}


/*
 * A client submits only to the sectors it was granted; a citizen signed in
 * with VNeID only for themselves, and such a dossier is stamped so
 * (CONTRACT.md section 4).  NGX_OK, or the refusal sent.
 */
static ngx_int_t
ngx_http_dossier_submit_allowed(ngx_http_request_t *r, json_t *root,
    dg_dossier_t *d)
{
    ngx_http_dossier_ctx_t  *ctx;

    ctx = ngx_http_dossier_ctx(r);

    if (ngx_http_dossier_may_submit(r, d->ma_linh_vuc, d->so_giay_to)
        != NGX_OK)
    {
        return ctx->caller.kind == NGX_HTTP_DOSSIER_CALLER_CITIZEN
               ? ngx_http_dossier_send_error(r, NGX_HTTP_FORBIDDEN,
                     "auth.subject",
                     "Chỉ được nộp hồ sơ của chính mình",
                     "a VNeID citizen may only submit their own dossier")
               : ngx_http_dossier_send_error(r, NGX_HTTP_FORBIDDEN,
                     "auth.sector",
                     "Không được nộp hồ sơ cho lĩnh vực này",
                     "not allowed to submit to this sector");
    }

    if (ctx->caller.kind == NGX_HTTP_DOSSIER_CALLER_CITIZEN
        && json_object_set_new(root, "TaiKhoanDuocXacThucVoiVNeID",
                               json_integer(1)) != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_dossier_submit_wait(ngx_http_request_t *r,
    ngx_http_dossier_pg_t *pool)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_dossier_pg_waiter_t  *w;

    w = ngx_pcalloc(r->pool, sizeof(ngx_http_dossier_pg_waiter_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (w == NULL || cln == NULL) {
        return NGX_ERROR;
    }

    w->handler = ngx_http_dossier_submit_waited;
    w->data = r;

    if (ngx_http_dossier_pg_wait_catalog(pool, w) != NGX_OK) {
        return NGX_DECLINED;
    }

    cln->handler = ngx_http_dossier_submit_wait_cleanup;
    cln->data = w;

    return NGX_DONE;
}


static void
ngx_http_dossier_submit_waited(ngx_http_dossier_pg_waiter_t *w,
    ngx_uint_t ready)
{
    ngx_int_t            rc;
    ngx_connection_t    *c;
    ngx_http_request_t  *r = w->data;

    c = r->connection;

    rc = ready ? ngx_http_dossier_submit(r)
               : ngx_http_dossier_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                     "storage.unavailable",
                     "Chưa kết nối được cơ sở dữ liệu, vui lòng thử lại",
                     "storage not reachable yet, retry later");

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_dossier_submit_wait_cleanup(void *data)
{
    ngx_http_dossier_pg_wait_cancel(data);
}


static ngx_int_t
ngx_http_dossier_submit_queue(ngx_http_request_t *r, json_t *root,
    dg_dossier_t *d, ngx_http_dossier_pg_t *pool)
{
    char                            hash[65];
    ngx_int_t                       rc;
    ngx_pool_cleanup_t             *cln;
    ngx_http_dossier_submit_ctx_t  *ctx;

    if (dg_dossier_hash(root, hash) != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dossier_submit_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_dossier_submit_cleanup;
    cln->data = ctx;
    ctx->request = r;

    ctx->json = dg_store_item(root, d, hash,
                        (char *) ngx_http_dossier_ctx(r)->caller.id.data,
                        ngx_http_dossier_request_id(r));
    if (ctx->json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->item.json.data = (u_char *) ctx->json;
    ctx->item.json.len = ngx_strlen(ctx->json);
    ctx->item.ma_ho_so.len = ngx_strlen(d->ma_ho_so);
    ctx->item.ma_ho_so.data = ngx_pstrdup(r->pool,
                                 &(ngx_str_t) { ctx->item.ma_ho_so.len,
                                                (u_char *) d->ma_ho_so });
    ctx->item.sector.len = ngx_strlen(d->ma_linh_vuc);
    ctx->item.sector.data = ngx_pstrdup(r->pool,
                                 &(ngx_str_t) { ctx->item.sector.len,
                                                (u_char *) d->ma_linh_vuc });

    if (ctx->item.ma_ho_so.data == NULL || ctx->item.sector.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->item.handler = ngx_http_dossier_submit_done;
    ctx->item.data = ctx;

    rc = ngx_http_dossier_pg_submit(pool, &ctx->item);

    if (rc == NGX_OK) {
        return NGX_DONE;
    }

    return ngx_http_dossier_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
               "storage.unavailable",
               rc == NGX_BUSY
                   ? "Hệ thống đang quá tải, vui lòng thử lại sau"
                   : "Cơ sở dữ liệu không khả dụng, vui lòng thử lại sau",
               rc == NGX_BUSY
                   ? "storage saturated, nothing was stored; retry later"
                   : "storage unavailable, nothing was stored; retry later");
}


static void
ngx_http_dossier_submit_done(ngx_http_dossier_pg_item_t *item)
{
    ngx_int_t                       rc;
    ngx_connection_t               *c;
    ngx_http_request_t             *r;
    ngx_http_dossier_submit_ctx_t  *ctx = item->data;

    ngx_http_dossier_main_conf_t   *dmcf;

    r = ctx->request;
    c = r->connection;
    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    switch (item->outcome) {

    case NGX_HTTP_DOSSIER_STORED_NEW:
        /* a lookup right after the 201 finds the entry in the cache */
        ctx->put.handler = ngx_http_dossier_submit_cached;
        ctx->put.data = ctx;

        if (dmcf->cache
            && ngx_http_dossier_cache_put_status(dmcf->cache, &item->status,
                                                 &ctx->put)
               == NGX_OK)
        {
            return;
        }

        rc = ngx_http_dossier_submit_accepted(r, item);
        break;

    case NGX_HTTP_DOSSIER_STORED_BEFORE:
        rc = ngx_http_dossier_submit_accepted(r, item);
        break;

    case NGX_HTTP_DOSSIER_CONFLICT:
        rc = ngx_http_dossier_send_error(r, NGX_HTTP_CONFLICT, "conflict",
                 "Mã hồ sơ đã tồn tại với nội dung khác",
                 "MaHoSo already exists with different content");
        break;

    case NGX_HTTP_DOSSIER_REJECTED:
        rc = ngx_http_dossier_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                 "storage.rejected",
                 "Cơ sở dữ liệu từ chối hồ sơ, chưa lưu",
                 "the database refused the dossier; nothing was stored");
        break;

    default:
        rc = ngx_http_dossier_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                 "storage.unavailable",
                 "Cơ sở dữ liệu không khả dụng, vui lòng thử lại sau",
                 "storage unavailable; retry later");
        break;
    }

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_dossier_submit_cached(ngx_http_dossier_cache_put_t *put)
{
    ngx_connection_t               *c;
    ngx_http_request_t             *r;
    ngx_http_dossier_submit_ctx_t  *ctx = put->data;

    r = ctx->request;
    c = r->connection;

    ngx_http_finalize_request(r,
                              ngx_http_dossier_submit_accepted(r, &ctx->item));
    ngx_http_run_posted_requests(c);
}


static ngx_int_t
ngx_http_dossier_submit_accepted(ngx_http_request_t *r,
    ngx_http_dossier_pg_item_t *item)
{
    char              received[32];
    u_char           *body, *p;
    size_t            len;
    ngx_uint_t        i;
    ngx_str_t        *code = &item->ma_ho_so;
    ngx_table_elt_t  *location;

    dg_time_rfc3339(item->status.received_at, received);

    /* MaHoSo may hold '/', the only one of its characters a path needs
     * escaped.  A plain header, not headers_out.location, which nginx would
     * make absolute: the contract's Location is the path. */
    location = ngx_http_dossier_add_header(r, "Location", NULL);
    p = ngx_pnalloc(r->pool, sizeof("/v1/dossiers/") - 1 + 3 * code->len);
    if (location == NULL || p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location->value.data = p;

    p = ngx_cpymem(p, "/v1/dossiers/", sizeof("/v1/dossiers/") - 1);

    for (i = 0; i < code->len; i++) {
        if (code->data[i] == '/') {
            p = ngx_cpymem(p, "%2F", 3);

        } else {
            *p++ = code->data[i];
        }
    }

    location->value.len = p - location->value.data;

    len = sizeof("{\"id\":,\"MaHoSo\":\"\",\"status\":\"accepted\","
                 "\"received_at\":\"\"}") - 1
          + NGX_INT64_LEN + code->len + ngx_strlen(received);
    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* MaHoSo's characters need no JSON escaping (CONTRACT.md section 2) */
    p = ngx_sprintf(body, "{\"id\":%L,\"MaHoSo\":\"%V\",\"status\":\"accepted\","
                    "\"received_at\":\"%s\"}", item->id, code, received);

    return ngx_http_dossier_send(r,
               item->outcome == NGX_HTTP_DOSSIER_STORED_NEW
                   ? NGX_HTTP_CREATED : NGX_HTTP_OK,
               &ngx_http_dossier_json_type, body, p - body);
}


static void
ngx_http_dossier_submit_cleanup(void *data)
{
    ngx_http_dossier_submit_ctx_t  *ctx = data;

    ngx_http_dossier_pg_cancel(&ctx->item);
    ngx_http_dossier_cache_put_cancel(&ctx->put);
    free(ctx->json);
}


/*
 * The body in one piece.  A body larger than client_body_buffer_size was
 * spilled to a temporary file by nginx; it is read back here, as nginx's
 * own modules do (it is at most client_max_body_size, 1 MiB by default).
 */
ngx_int_t
ngx_http_dossier_read_body(ngx_http_request_t *r, ngx_str_t *body)
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


ngx_int_t
ngx_http_dossier_send_not_json(ngx_http_request_t *r)
{
    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    return ngx_http_dossier_send_error(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
               "content_type",
               "Content-Type phải là application/json, mã hóa UTF-8",
               "Content-Type must be application/json in UTF-8");
}


/* application/json, optionally with charset=utf-8 (any case, quoted or
 * not); other parameters are ignored. */
ngx_uint_t
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
