/*
 * ngx_http_dossier_admin_module: the admin listener.
 *
 *   dossier_admin_token T;    http, server, location
 *   dossier_admin;            location: /admin/plugins...
 *   dossier_metrics;          location: Prometheus text format
 *   dossier_health;           location: 200 while the worker runs
 *   dossier_ready;            location: 200 with PostgreSQL and the catalog
 *
 * The API and the metrics need their own bearer token; /healthz and
 * /readyz stay open for probes.  Without a configured token the API
 * refuses everything: an admin API is never open by accident.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_dossier.h"
#include "ngx_http_dossier_metrics.h"
#include "ngx_http_dossier_plugins.h"
#include "ngx_http_dossier_response.h"


typedef struct {
    ngx_str_t                    token;
} ngx_http_dossier_admin_loc_conf_t;


static ngx_int_t ngx_http_dossier_admin_allowed(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_admin_read(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_admin_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_metrics_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_health_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dossier_ready_handler(ngx_http_request_t *r);
static void *ngx_http_dossier_admin_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_admin_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);


/* the Prometheus text exposition format */
static ngx_str_t  ngx_http_dossier_metrics_type =
    ngx_string("text/plain; version=0.0.4");


static ngx_command_t  ngx_http_dossier_admin_commands[] = {

    { ngx_string("dossier_admin_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dossier_admin_loc_conf_t, token),
      NULL },

    { ngx_string("dossier_admin"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_set_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_admin_handler },

    { ngx_string("dossier_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_set_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_metrics_handler },

    { ngx_string("dossier_health"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_set_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_health_handler },

    { ngx_string("dossier_ready"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dossier_set_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_dossier_ready_handler },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_admin_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_dossier_admin_create_loc_conf,
    ngx_http_dossier_admin_merge_loc_conf
};


ngx_module_t  ngx_http_dossier_admin_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_admin_module_ctx,    /* module context */
    ngx_http_dossier_admin_commands,       /* module directives */
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


static ngx_int_t
ngx_http_dossier_admin_allowed(ngx_http_request_t *r)
{
    ngx_str_t                          *auth, *token;
    ngx_http_dossier_admin_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_dossier_admin_module);
    token = &alcf->token;

    if (token->len == 0) {
        ngx_http_dossier_discard_body(r);
        return ngx_http_dossier_send_error(r, DG_ERR_ADMIN_DISABLED);
    }

    auth = r->headers_in.authorization ? &r->headers_in.authorization->value
                                       : NULL;

    if (auth && auth->len == sizeof("Bearer ") - 1 + token->len
        && ngx_strncasecmp(auth->data, (u_char *) "Bearer ", 7) == 0
        && CRYPTO_memcmp(auth->data + 7, token->data, token->len) == 0)
    {
        return NGX_OK;
    }

    ngx_http_dossier_discard_body(r);

    if (ngx_http_dossier_add_header(r, "WWW-Authenticate",
                                    "Bearer realm=\"dossier-gateway-admin\"")
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dossier_send_error(r, DG_ERR_ADMIN_TOKEN);
}


/* The read-only endpoints: GET or HEAD, no body; else 405 with Allow. */
static ngx_int_t
ngx_http_dossier_admin_read(ngx_http_request_t *r)
{
    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_dossier_send_not_allowed(r, "GET, HEAD");
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* location /admin/ { dossier_admin; } */
static ngx_int_t
ngx_http_dossier_admin_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;
    ngx_str_t  rest;

    rc = ngx_http_dossier_admin_allowed(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (r->uri.len >= sizeof("/admin/plugins") - 1
        && ngx_strncmp(r->uri.data, "/admin/plugins",
                       sizeof("/admin/plugins") - 1) == 0)
    {
        rest.data = r->uri.data + sizeof("/admin/plugins") - 1;
        rest.len = r->uri.len - (sizeof("/admin/plugins") - 1);
        return ngx_http_dossier_plugins_admin(r, &rest);
    }

    ngx_http_dossier_discard_body(r);

    return ngx_http_dossier_send_error(r, DG_ERR_NOT_FOUND);
}


/* location = /metrics { dossier_metrics; }: Prometheus text format. */
static ngx_int_t
ngx_http_dossier_metrics_handler(ngx_http_request_t *r)
{
    ngx_int_t     rc;
    dg_metrics_t  m;

    rc = ngx_http_dossier_admin_allowed(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_dossier_admin_read(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_dossier_metrics_render(r, &m) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dossier_send(r, NGX_HTTP_OK, &ngx_http_dossier_metrics_type,
                               (u_char *) m.data, m.len);
    dg_metrics_free(&m);

    return rc;
}


static ngx_int_t
ngx_http_dossier_health_handler(ngx_http_request_t *r)
{
    ngx_int_t      rc;
    static u_char  ok[] = "{\"status\":\"ok\"}";

    rc = ngx_http_dossier_admin_read(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_dossier_send_json(r, NGX_HTTP_OK, ok, sizeof(ok) - 1);
}


/* Ready: this worker has a PostgreSQL connection and the catalog. */
static ngx_int_t
ngx_http_dossier_ready_handler(ngx_http_request_t *r)
{
    ngx_int_t               rc;
    static u_char           ok[] = "{\"status\":\"ready\"}";
    ngx_http_dossier_pg_t  *pool;

    rc = ngx_http_dossier_admin_read(r);
    if (rc != NGX_OK) {
        return rc;
    }

    pool = ngx_http_dossier_pool(r);

    if (pool == NULL || !ngx_http_dossier_pg_ready(pool)
        || ngx_http_dossier_pg_catalog(pool) == NULL)
    {
        return ngx_http_dossier_send_error(r, DG_ERR_NOT_READY);
    }

    return ngx_http_dossier_send_json(r, NGX_HTTP_OK, ok, sizeof(ok) - 1);
}


static void *
ngx_http_dossier_admin_create_loc_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_admin_loc_conf_t));
}


static char *
ngx_http_dossier_admin_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_dossier_admin_loc_conf_t  *prev = parent;
    ngx_http_dossier_admin_loc_conf_t  *conf = child;

    ngx_conf_merge_str_value(conf->token, prev->token, "");

    return NGX_CONF_OK;
}
