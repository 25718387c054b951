/*
 * ngx_http_dossier_plugins_module: sector plugins in nginx
 * (ngx_http_dossier_plugins.c).
 */

#ifndef NGX_HTTP_DOSSIER_PLUGINS_H
#define NGX_HTTP_DOSSIER_PLUGINS_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_plugin.h"


extern ngx_module_t  ngx_http_dossier_plugins_module;


/* This cycle's plugins, or NULL when none is configured. */
dg_plugin_registry_t *ngx_http_dossier_plugins(ngx_http_request_t *r);

/* GET /admin/plugins, POST /admin/plugins/{name}/enable|disable; rest is
 * what follows "/admin/plugins". */
ngx_int_t ngx_http_dossier_plugins_admin(ngx_http_request_t *r,
    ngx_str_t *rest);

#endif /* NGX_HTTP_DOSSIER_PLUGINS_H */
