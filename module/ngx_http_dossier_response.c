/*
 * ngx_http_dossier_response_module (ngx_http_dossier_response.h).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dossier.h"
#include "ngx_http_dossier_ctx.h"
#include "ngx_http_dossier_response.h"


typedef struct {
    time_t                       retry_after;
    ngx_int_t                    request_id_index;
} ngx_http_dossier_response_main_conf_t;


typedef struct {
    ngx_flag_t                   request_id;
} ngx_http_dossier_response_loc_conf_t;


static ngx_int_t ngx_http_dossier_error_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_header_filter(ngx_http_request_t *r);
static void *ngx_http_dossier_response_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_response_init_main_conf(ngx_conf_t *cf,
    void *conf);
static void *ngx_http_dossier_response_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_response_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_dossier_response_init(ngx_conf_t *cf);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;

static ngx_str_t  ngx_http_dossier_json_type =
    ngx_string("application/json");
static ngx_str_t  ngx_http_dossier_problem_type =
    ngx_string("application/problem+json");


static ngx_command_t  ngx_http_dossier_response_commands[] = {

    { ngx_string("dossier_request_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dossier_response_loc_conf_t, request_id),
      NULL },

    { ngx_string("dossier_retry_after"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_response_main_conf_t, retry_after),
      NULL },

    { ngx_string("dossier_error"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_set_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_error_handler },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_response_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_dossier_response_init,        /* postconfiguration */

    ngx_http_dossier_response_create_main_conf,
    ngx_http_dossier_response_init_main_conf,

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_dossier_response_create_loc_conf,
    ngx_http_dossier_response_merge_loc_conf
};


ngx_module_t  ngx_http_dossier_response_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_response_module_ctx, /* module context */
    ngx_http_dossier_response_commands,    /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


ngx_int_t
ngx_http_dossier_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, u_char *body, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    r->headers_out.content_type = *content_type;
    r->headers_out.content_type_len = content_type->len;
    r->headers_out.content_type_lowcase = NULL;

    if (r->method == NGX_HTTP_HEAD || len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    if (!r->header_only) {
        b = ngx_create_temp_buf(r->pool, len);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->last = ngx_cpymem(b->pos, body, len);
        b->last_buf = (r == r->main) ? 1 : 0;
        b->last_in_chain = 1;

        out.buf = b;
        out.next = NULL;

        rc = ngx_http_output_filter(r, &out);
    }

    /* "answered": nginx finalizes NGX_AGAIN as it does NGX_OK */
    return rc == NGX_OK ? NGX_AGAIN : rc;
}


ngx_int_t
ngx_http_dossier_send_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len)
{
    return ngx_http_dossier_send(r, status, &ngx_http_dossier_json_type, body,
                                 len);
}


time_t
ngx_http_dossier_retry_default(ngx_http_request_t *r)
{
    ngx_http_dossier_response_main_conf_t  *rmcf;

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_response_module);

    return rmcf->retry_after;
}


ngx_int_t
ngx_http_dossier_retry_after(ngx_http_request_t *r, time_t secs)
{
    ngx_table_elt_t  *h;

    h = ngx_http_dossier_add_header(r, "Retry-After", NULL);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (h->value.data == NULL) {
        return NGX_ERROR;
    }

    h->value.len = ngx_sprintf(h->value.data, "%T", ngx_max(secs, 1))
                   - h->value.data;

    return NGX_OK;
}


ngx_int_t
ngx_http_dossier_send_problem(ngx_http_request_t *r, ngx_uint_t status,
    const char *title, dg_problems_t *errors)
{
    char                    *json;
    ngx_int_t                rc;
    ngx_http_dossier_ctx_t  *ctx;

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE
        || status == NGX_HTTP_TOO_MANY_REQUESTS)
    {
        ctx = ngx_http_dossier_ctx(r);

        if (ngx_http_dossier_retry_after(r, ctx && ctx->retry_after
                                            ? ctx->retry_after
                                            : ngx_http_dossier_retry_default(r))
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    json = dg_problem_json(status, title, ngx_http_dossier_request_id(r),
                           errors);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dossier_send(r, status, &ngx_http_dossier_problem_type,
                               (u_char *) json, ngx_strlen(json));
    free(json);

    return rc;
}


/* One problem of the catalog on the whole request, with status. */
static ngx_int_t
ngx_http_dossier_send_verror(ngx_http_request_t *r, ngx_uint_t status,
    dg_error_e e, va_list args)
{
    ngx_int_t      rc;
    dg_problems_t  problems;

    dg_problems_init(&problems);

    if (dg_problems_vadd_error(&problems, "", e, args) != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dossier_send_problem(r, status, dg_status_title(status),
                                       &problems);
    dg_problems_free(&problems);

    return rc;
}


static ngx_int_t
ngx_http_dossier_send_status(ngx_http_request_t *r, ngx_uint_t status,
    dg_error_e e, ...)
{
    va_list    args;
    ngx_int_t  rc;

    va_start(args, e);
    rc = ngx_http_dossier_send_verror(r, status, e, args);
    va_end(args);

    return rc;
}


ngx_int_t
ngx_http_dossier_send_error(ngx_http_request_t *r, dg_error_e e, ...)
{
    va_list    args;
    ngx_int_t  rc;

    va_start(args, e);
    rc = ngx_http_dossier_send_verror(r, dg_error(e)->status, e, args);
    va_end(args);

    return rc;
}


ngx_int_t
ngx_http_dossier_send_not_allowed(ngx_http_request_t *r, const char *allow)
{
    ngx_http_dossier_discard_body(r);

    if (ngx_http_dossier_add_header(r, "Allow", allow) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dossier_send_error(r, DG_ERR_METHOD);
}


ngx_table_elt_t *
ngx_http_dossier_add_header(ngx_http_request_t *r, const char *key,
    const char *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value.data = (u_char *) value;
    h->value.len = value ? ngx_strlen(value) : 0;
    h->lowcase_key = NULL;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return h;
}


void
ngx_http_dossier_discard_body(ngx_http_request_t *r)
{
    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }
}


static ngx_http_variable_value_t *
ngx_http_dossier_request_id_value(ngx_http_request_t *r)
{
    ngx_http_dossier_response_main_conf_t  *rmcf;

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_response_module);

    return ngx_http_get_indexed_variable(r->main, rmcf->request_id_index);
}


char *
ngx_http_dossier_request_id(ngx_http_request_t *r)
{
    u_char                     *rid;
    ngx_http_variable_value_t  *id;

    id = ngx_http_dossier_request_id_value(r);
    if (id == NULL || id->not_found) {
        return NULL;
    }

    rid = ngx_pnalloc(r->pool, id->len + 1);
    if (rid == NULL) {
        return NULL;
    }

    ngx_cpystrn(rid, id->data, id->len + 1);

    return (char *) rid;
}


/* Every response of a location with "dossier_request_id on", nginx's own
 * error pages included, carries the request id that logs and problem
 * bodies show. */
static ngx_int_t
ngx_http_dossier_header_filter(ngx_http_request_t *r)
{
    ngx_table_elt_t                       *h;
    ngx_http_variable_value_t             *id;
    ngx_http_dossier_response_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_dossier_response_module);

    if (r != r->main || !rlcf->request_id) {
        return ngx_http_next_header_filter(r);
    }

    id = ngx_http_dossier_request_id_value(r);
    if (id == NULL || id->not_found) {
        return ngx_http_next_header_filter(r);
    }

    h = ngx_http_dossier_add_header(r, "X-Request-Id", NULL);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.len = id->len;
    h->value.data = id->data;

    return ngx_http_next_header_filter(r);
}


/*
 * The target of "error_page ... @name": nginx's own errors (413 from
 * client_max_body_size, 404, 405, bad requests) as problem+json, with the
 * status nginx chose.
 */
static ngx_int_t
ngx_http_dossier_error_handler(ngx_http_request_t *r)
{
    ngx_uint_t  status;
    dg_error_e  e;

    ngx_http_dossier_discard_body(r);

    status = r->err_status ? r->err_status : NGX_HTTP_INTERNAL_SERVER_ERROR;

    switch (status) {

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        e = DG_ERR_BODY_TOO_LARGE;
        break;

    case NGX_HTTP_NOT_FOUND:
        e = DG_ERR_NOT_FOUND;
        break;

    case NGX_HTTP_NOT_ALLOWED:
        e = DG_ERR_METHOD;
        break;

    case NGX_HTTP_REQUEST_URI_TOO_LARGE:
    case NGX_HTTP_REQUEST_HEADER_TOO_LARGE:
        e = DG_ERR_HTTP_TOO_LARGE;
        break;

    case NGX_HTTP_BAD_REQUEST:
    case NGX_HTTP_LENGTH_REQUIRED:
        e = DG_ERR_HTTP_MALFORMED;
        break;

    case NGX_HTTP_SERVICE_UNAVAILABLE:
        e = DG_ERR_UNAVAILABLE;
        break;

    default:
        e = DG_ERR_INTERNAL;
        break;
    }

    return ngx_http_dossier_send_status(r, status, e);
}


static void *
ngx_http_dossier_response_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_dossier_response_main_conf_t  *rmcf;

    rmcf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_dossier_response_main_conf_t));
    if (rmcf == NULL) {
        return NULL;
    }

    rmcf->retry_after = NGX_CONF_UNSET;

    return rmcf;
}


static char *
ngx_http_dossier_response_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_dossier_response_main_conf_t  *rmcf = conf;

    ngx_conf_init_value(rmcf->retry_after, 1);

    if (rmcf->retry_after < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"dossier_retry_after\" must be at least 1s");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_dossier_response_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_dossier_response_loc_conf_t  *rlcf;

    rlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_response_loc_conf_t));
    if (rlcf == NULL) {
        return NULL;
    }

    rlcf->request_id = NGX_CONF_UNSET;

    return rlcf;
}


static char *
ngx_http_dossier_response_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_dossier_response_loc_conf_t  *prev = parent;
    ngx_http_dossier_response_loc_conf_t  *conf = child;

    ngx_conf_merge_value(conf->request_id, prev->request_id, 0);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_dossier_response_init(ngx_conf_t *cf)
{
    ngx_str_t                               name = ngx_string("request_id");
    ngx_http_dossier_response_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_dossier_response_module);

    rmcf->request_id_index = ngx_http_get_variable_index(cf, &name);
    if (rmcf->request_id_index == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_dossier_header_filter;

    return NGX_OK;
}
