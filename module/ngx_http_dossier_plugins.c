/*
 * ngx_http_dossier_plugins_module: sector plugins in nginx.
 *
 *   dossier_plugin FILE [key=value ...];     http
 *
 * Counters shared by all workers, and the admin view (GET /admin/plugins,
 * POST /admin/plugins/{name}/enable|disable).
 *
 * Plugins are loaded by the master while it reads the configuration, so
 * "nginx -t" refuses a broken plugin and workers inherit them loaded.  Each
 * configuration cycle has its own registry, unloaded with the cycle's pool:
 * after "nginx -s reload" the new workers run the rebuilt plugin while the
 * old ones finish their requests with the old one.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_mask.h"
#include "dg_plugin.h"
#include "dossier_plugin.h"
#include "ngx_http_dossier_metrics.h"
#include "ngx_http_dossier_plugins.h"
#include "ngx_http_dossier_response.h"


#define NGX_HTTP_DOSSIER_PLUGIN_SLOTS  256
#define NGX_HTTP_DOSSIER_PLUGIN_NAME   64


/* Counters live in a shared zone, one slot per plugin name, so they add up
 * over workers and survive reloads. */
typedef struct {
    u_char                   name[NGX_HTTP_DOSSIER_PLUGIN_NAME];
    dg_plugin_counters_t     counters;
} ngx_http_dossier_plugin_slot_t;


typedef struct {
    dg_plugin_registry_t    *plugins;    /* this cycle's, or NULL */
} ngx_http_dossier_plugins_main_conf_t;


static char *ngx_http_dossier_plugin_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void *ngx_http_dossier_plugins_create_main_conf(ngx_conf_t *cf);
static uid_t ngx_http_dossier_plugins_worker_user(ngx_conf_t *cf);
static void ngx_http_dossier_plugins_cleanup(void *data);
static void ngx_http_dossier_plugins_log(void *data, int level,
    const char *plugin, const char *message);
static void ngx_http_dossier_plugins_metrics(ngx_http_request_t *r,
    dg_metrics_t *m);
static ngx_int_t ngx_http_dossier_plugins_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_dossier_plugins_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_dossier_plugins_list(ngx_http_request_t *r,
    dg_plugin_registry_t *reg);
static ngx_int_t ngx_http_dossier_plugins_action(ngx_str_t *rest,
    u_char *name, ngx_uint_t *enable);
static ngx_int_t ngx_http_dossier_plugins_toggle(ngx_http_request_t *r,
    dg_plugin_registry_t *reg, u_char *name, ngx_uint_t enable);


static ngx_str_t  ngx_http_dossier_plugins_zone = ngx_string("dossier_plugins");


static ngx_command_t  ngx_http_dossier_plugins_commands[] = {

    { ngx_string("dossier_plugin"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_dossier_plugin_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_plugins_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_dossier_plugins_init,         /* postconfiguration */

    ngx_http_dossier_plugins_create_main_conf,
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_dossier_plugins_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_plugins_module_ctx,  /* module context */
    ngx_http_dossier_plugins_commands,     /* module directives */
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


dg_plugin_registry_t *
ngx_http_dossier_plugins(ngx_http_request_t *r)
{
    ngx_http_dossier_plugins_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_plugins_module);

    return pmcf->plugins;
}


static char *
ngx_http_dossier_plugin_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dossier_plugins_main_conf_t  *pmcf = conf;

    char                 err[512];
    size_t               i;
    ngx_str_t           *value, path;
    dg_plugin_t         *plugin;
    const char         **kv;
    ngx_shm_zone_t      *zone;
    ngx_pool_cleanup_t  *cln;

    value = cf->args->elts;

    if (pmcf->plugins == NULL) {
        pmcf->plugins = dg_plugins_create();
        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (pmcf->plugins == NULL || cln == NULL) {
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_dossier_plugins_cleanup;
        cln->data = pmcf->plugins;

        dg_plugin_set_log(ngx_http_dossier_plugins_log, NULL);

        zone = ngx_shared_memory_add(cf, &ngx_http_dossier_plugins_zone,
                   8 * ngx_pagesize
                   + NGX_HTTP_DOSSIER_PLUGIN_SLOTS
                     * sizeof(ngx_http_dossier_plugin_slot_t),
                   &ngx_http_dossier_plugins_module);
        if (zone == NULL) {
            return NGX_CONF_ERROR;
        }

        zone->init = ngx_http_dossier_plugins_init_zone;
        zone->data = pmcf->plugins;
    }

    path = value[1];
    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* "key=value" arguments, NUL-terminated by the configuration parser */
    kv = ngx_palloc(cf->pool, (cf->args->nelts - 2 + 1) * sizeof(char *));
    if (kv == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        kv[i - 2] = (const char *) value[i].data;
    }

    dg_plugin_set_owner(ngx_http_dossier_plugins_worker_user(cf));

    plugin = dg_plugin_load((const char *) path.data, kv, cf->args->nelts - 2,
                            err, sizeof(err));
    if (plugin == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s", err);
        return NGX_CONF_ERROR;
    }

    if (dg_plugins_add(pmcf->plugins, plugin, err, sizeof(err)) != 0) {
        dg_plugin_unload(plugin);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s", err);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The user the workers will run as, who may own plugin files besides root:
 * the "user" directive (read before http{}), else nginx's default when
 * started as root; a master that is not root keeps its own user.
 */
static uid_t
ngx_http_dossier_plugins_worker_user(ngx_conf_t *cf)
{
    struct passwd    *pwd;
    ngx_core_conf_t  *ccf;

    if (geteuid() != 0) {
        return geteuid();
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cf->cycle->conf_ctx,
                                           ngx_core_module);

    if (ccf->user != (uid_t) NGX_CONF_UNSET_UINT) {
        return ccf->user;
    }

    pwd = getpwnam(NGX_USER);

    return pwd != NULL ? pwd->pw_uid : 0;
}


static void
ngx_http_dossier_plugins_cleanup(void *data)
{
    dg_plugins_free(data);
}


static void
ngx_http_dossier_plugins_log(void *data, int level, const char *plugin,
    const char *message)
{
    u_char      masked[1024];
    ngx_uint_t  ngx_level;

    switch (level) {
    case DOSSIER_LOG_ERROR:
        ngx_level = NGX_LOG_ERR;
        break;
    case DOSSIER_LOG_WARN:
        ngx_level = NGX_LOG_WARN;
        break;
    case DOSSIER_LOG_INFO:
        ngx_level = NGX_LOG_INFO;
        break;
    default:
        ngx_level = NGX_LOG_DEBUG;
        break;
    }

    /* a plugin may quote the dossier: mask what identifies people */
    ngx_cpystrn(masked, (u_char *) message, sizeof(masked));
    dg_mask((char *) masked, ngx_strlen(masked));

    ngx_log_error(ngx_level, ngx_cycle->log, 0, "dossier plugin \"%s\": %s",
                  plugin, masked);
}


/* Gives each plugin of this cycle its slot, by name: a reloaded plugin
 * keeps its counters and its enabled/disabled state. */
static ngx_int_t
ngx_http_dossier_plugins_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    size_t                           i, j, len;
    const char                      *name;
    ngx_slab_pool_t                 *shpool;
    dg_plugin_t                     *plugin;
    dg_plugin_registry_t            *reg = shm_zone->data;
    ngx_http_dossier_plugin_slot_t  *slots;

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists || data) {
        slots = shpool->data;

    } else {
        slots = ngx_slab_calloc(shpool, NGX_HTTP_DOSSIER_PLUGIN_SLOTS
                                * sizeof(ngx_http_dossier_plugin_slot_t));
        if (slots == NULL) {
            return NGX_ERROR;
        }

        shpool->data = slots;
    }

    for (i = 0; i < dg_plugins_count(reg); i++) {
        plugin = dg_plugins_get(reg, i);
        name = dg_plugin_name(plugin);
        len = ngx_min(ngx_strlen(name), NGX_HTTP_DOSSIER_PLUGIN_NAME - 1);

        for (j = 0; j < NGX_HTTP_DOSSIER_PLUGIN_SLOTS; j++) {
            if (slots[j].name[0] == '\0') {
                ngx_memcpy(slots[j].name, name, len);
                break;
            }

            if (ngx_strncmp(slots[j].name, name, len) == 0
                && slots[j].name[len] == '\0')
            {
                break;
            }
        }

        if (j == NGX_HTTP_DOSSIER_PLUGIN_SLOTS) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "too many plugin names since start (%d); "
                          "restart nginx to clear them",
                          NGX_HTTP_DOSSIER_PLUGIN_SLOTS);
            return NGX_ERROR;
        }

        dg_plugin_set_counters(plugin, &slots[j].counters);
    }

    return NGX_OK;
}


/* GET /admin/plugins, POST /admin/plugins/{name}/enable|disable; rest is
 * what follows "/admin/plugins".  A path of neither shape is 404 whatever
 * the method: 405 names the methods of a resource that exists. */
ngx_int_t
ngx_http_dossier_plugins_admin(ngx_http_request_t *r, ngx_str_t *rest)
{
    u_char                                 name[NGX_HTTP_DOSSIER_PLUGIN_NAME];
    ngx_uint_t                             enable;
    ngx_http_dossier_plugins_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_plugins_module);

    if (rest->len == 0) {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return ngx_http_dossier_send_not_allowed(r, "GET, HEAD");
        }

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_dossier_plugins_list(r, pmcf->plugins);
    }

    if (ngx_http_dossier_plugins_action(rest, name, &enable) != NGX_OK) {
        ngx_http_dossier_discard_body(r);
        return ngx_http_dossier_send_error(r, DG_ERR_NOT_FOUND);
    }

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_dossier_send_not_allowed(r, "POST");
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dossier_plugins_toggle(r, pmcf->plugins, name, enable);
}


static ngx_int_t
ngx_http_dossier_plugins_list(ngx_http_request_t *r,
    dg_plugin_registry_t *reg)
{
    char       *text;
    json_t     *list;
    ngx_int_t   rc;

    list = reg ? dg_plugins_json(reg) : json_array();
    text = list ? json_dumps(list, JSON_COMPACT) : NULL;
    json_decref(list);

    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dossier_send_json(r, NGX_HTTP_OK, (u_char *) text,
                                    ngx_strlen(text));
    free(text);

    return rc;
}


/* rest is "/{name}/enable" or "/{name}/disable" */
static ngx_int_t
ngx_http_dossier_plugins_action(ngx_str_t *rest, u_char *name,
    ngx_uint_t *enable)
{
    u_char     *slash;
    ngx_str_t   action;

    slash = ngx_strlchr(rest->data + 1, rest->data + rest->len, '/');

    if (rest->data[0] != '/' || slash == NULL || slash == rest->data + 1
        || (size_t) (slash - rest->data - 1) >= NGX_HTTP_DOSSIER_PLUGIN_NAME)
    {
        return NGX_DECLINED;
    }

    ngx_cpystrn(name, rest->data + 1, slash - rest->data);
    action.data = slash + 1;
    action.len = rest->data + rest->len - action.data;

    if (action.len == 6 && ngx_strncmp(action.data, "enable", 6) == 0) {
        *enable = 1;
        return NGX_OK;
    }

    if (action.len == 7 && ngx_strncmp(action.data, "disable", 7) == 0) {
        *enable = 0;
        return NGX_OK;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_dossier_plugins_toggle(ngx_http_request_t *r,
    dg_plugin_registry_t *reg, u_char *name, ngx_uint_t enable)
{
    dg_plugin_t  *plugin;

    plugin = reg ? dg_plugins_find(reg, (const char *) name) : NULL;

    if (plugin == NULL) {
        return ngx_http_dossier_send_error(r, DG_ERR_PLUGIN_UNKNOWN);
    }

    /* the switch lives in the shared zone: every worker sees it */
    dg_plugin_set_enabled(plugin, (int) enable);

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "dossier: plugin \"%s\" %s by the admin API", name,
                  enable ? "enabled" : "disabled");

    return ngx_http_dossier_plugins_list(r, reg);
}


static void *
ngx_http_dossier_plugins_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_dossier_plugins_main_conf_t));
}


/* Each plugin's counters, labelled with its name. */
static void
ngx_http_dossier_plugins_metrics(ngx_http_request_t *r, dg_metrics_t *m)
{
    size_t                 i, n;
    dg_label_t             label;
    dg_plugin_info_t       info;
    dg_plugin_registry_t  *reg;

    reg = ngx_http_dossier_plugins(r);
    n = reg ? dg_plugins_count(reg) : 0;

    if (n == 0) {
        return;
    }

    label.name = "plugin";

#define ngx_http_dossier_plugin_metric(metric, kind, text, count, scale)   \
    dg_metrics_family(m, metric, kind, text);                               \
    for (i = 0; i < n; i++) {                                               \
        dg_plugin_info(dg_plugins_get(reg, i), &info);                     \
        label.value = info.name;                                            \
        dg_metrics_value(m, metric, &label, 1, count, scale);               \
    }

    ngx_http_dossier_plugin_metric("dossier_plugin_calls_total",
        DG_METRIC_COUNTER, "Dossiers a plugin validated.",
        info.counters.calls, 1)
    ngx_http_dossier_plugin_metric("dossier_plugin_rejections_total",
        DG_METRIC_COUNTER, "Dossiers a plugin reported problems on.",
        info.counters.rejections, 1)
    ngx_http_dossier_plugin_metric("dossier_plugin_failures_total",
        DG_METRIC_COUNTER, "Validations a plugin could not complete.",
        info.counters.failures, 1)
    ngx_http_dossier_plugin_metric("dossier_plugin_seconds_total",
        DG_METRIC_COUNTER, "Time spent in a plugin's validation.",
        info.counters.nanoseconds, 1000000000)
    ngx_http_dossier_plugin_metric("dossier_plugin_enabled",
        DG_METRIC_GAUGE, "1 while a plugin is enabled.",
        (uint64_t) (info.enabled != 0), 1)

#undef ngx_http_dossier_plugin_metric
}


static ngx_int_t
ngx_http_dossier_plugins_init(ngx_conf_t *cf)
{
    return ngx_http_dossier_metrics_add_collector(cf,
                                            ngx_http_dossier_plugins_metrics);
}
