/*
 * The admin listener's API: /admin/plugins... and /metrics, behind their
 * own bearer token (dossier_admin_token).  /healthz and /readyz stay open
 * for probes.  Without a configured token the API refuses everything: an
 * admin API is never open by accident.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "dg_plugin.h"
#include "ngx_http_dossier.h"


ngx_int_t ngx_http_dossier_admin_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_dossier_metrics_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_dossier_plugins_admin(ngx_http_request_t *r,
    ngx_str_t *rest);

static ngx_int_t ngx_http_dossier_admin_allowed(ngx_http_request_t *r);


static ngx_str_t  ngx_http_dossier_metrics_type =
    ngx_string("text/plain; version=0.0.4");


static ngx_int_t
ngx_http_dossier_admin_allowed(ngx_http_request_t *r)
{
    ngx_str_t                     *auth, *token;
    ngx_http_dossier_loc_conf_t   *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dossier_module);
    token = &dlcf->admin_token;

    if (token->len == 0) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            r->keepalive = 0;
        }

        return ngx_http_dossier_send_error(r, NGX_HTTP_FORBIDDEN,
                   "admin.disabled",
                   "API quản trị chưa được cấu hình mã truy cập",
                   "the admin API has no token configured "
                   "(dossier_admin_token)");
    }

    auth = r->headers_in.authorization ? &r->headers_in.authorization->value
                                       : NULL;

    if (auth && auth->len == sizeof("Bearer ") - 1 + token->len
        && ngx_strncasecmp(auth->data, (u_char *) "Bearer ", 7) == 0
        && CRYPTO_memcmp(auth->data + 7, token->data, token->len) == 0)
    {
        return NGX_OK;
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    if (ngx_http_dossier_add_header(r, "WWW-Authenticate",
                                    "Bearer realm=\"dossier-gateway-admin\"")
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dossier_send_error(r, NGX_HTTP_UNAUTHORIZED,
               "auth.admin", "Cần mã truy cập quản trị hợp lệ",
               "a valid admin bearer token is required");
}


/* location /admin/ { dossier_admin; } */
ngx_int_t
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

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    return ngx_http_dossier_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                       "Không tìm thấy", "not found");
}


/* location = /metrics { dossier_metrics; }: Prometheus text format. */
ngx_int_t
ngx_http_dossier_metrics_handler(ngx_http_request_t *r)
{
    u_char                        *buf, *p, *last;
    size_t                         i, n;
    ngx_int_t                      rc;
    dg_plugin_info_t               info;
    ngx_http_dossier_main_conf_t  *dmcf;

    rc = ngx_http_dossier_admin_allowed(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);
    n = dmcf->plugins ? dg_plugins_count(dmcf->plugins) : 0;

    buf = ngx_pnalloc(r->pool, 1024 + n * 1024);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = buf;
    last = buf + 1024 + n * 1024;

#define ngx_http_dossier_metric(metric, kind, text, value, fmt)             \
    p = ngx_slprintf(p, last, "# HELP " metric " " text "\n"                \
                              "# TYPE " metric " " kind "\n");             \
    for (i = 0; i < n; i++) {                                               \
        dg_plugin_info(dg_plugins_get(dmcf->plugins, i), &info);            \
        p = ngx_slprintf(p, last, metric "{plugin=\"%s\"} " fmt "\n",       \
                         info.name, value);                                 \
    }

    ngx_http_dossier_metric("dossier_plugin_calls_total", "counter",
                            "Dossiers a plugin validated.",
                            (uint64_t) info.counters.calls, "%uL")
    ngx_http_dossier_metric("dossier_plugin_rejections_total", "counter",
                            "Dossiers a plugin reported problems on.",
                            (uint64_t) info.counters.rejections, "%uL")
    ngx_http_dossier_metric("dossier_plugin_failures_total", "counter",
                            "Validations a plugin could not complete.",
                            (uint64_t) info.counters.failures, "%uL")
    ngx_http_dossier_metric("dossier_plugin_seconds_total", "counter",
                            "Time spent in a plugin's validation.",
                            (double) info.counters.nanoseconds / 1e9,
                            "%.6f")
    ngx_http_dossier_metric("dossier_plugin_enabled", "gauge",
                            "1 while a plugin is enabled.",
                            (ngx_uint_t) (info.enabled != 0), "%ui")

#undef ngx_http_dossier_metric

    return ngx_http_dossier_send(r, NGX_HTTP_OK,
                                 &ngx_http_dossier_metrics_type, buf,
                                 p - buf);
}
