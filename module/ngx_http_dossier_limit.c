/*
 * Rate limits (GCRA, module/core/dg_gcra.h) so that one sector's surge
 * cannot starve the others.
 *
 *   dossier_limit_zone size=10m [redis=on] [local_share=50];
 *   dossier_limit NAME key=addr|client|citizen|sector
 *                 rate=30r/m|rate=class [burst=N] [shadow] [SECTOR=20r/s];
 *
 * A request is charged in two stages.  The address limits come first, in
 * the PREACCESS phase as limit_req's do, before the body is read and the
 * signature checked: they protect that work.  The others (client,
 * citizen, sector) are charged together once the caller and the dossier
 * are known, all or nothing: a request refused by one consumes none of
 * them.  A batch's dossiers are charged one by one, each as a submission
 * (ngx_http_dossier_limit_items()).
 *
 * The state is a table in shared memory (all workers, kept across
 * reloads), or with redis=on the same arithmetic in one Redis script, so
 * that several gateway nodes share a limit.  While Redis is unreachable
 * each node falls back to its own table at local_share percent of the
 * rates (e.g. 50 with two nodes): limits tighten, they never open.
 *
 * A signed request whose handler defers its nonce (ngx_http_dossier_auth.h)
 * has it recorded by the same script call, first: one round trip for
 * both, and a replay is refused 401 having charged nothing.  When the
 * late limits do not go to Redis (this node's table, Redis away, or the
 * script failed) the nonce is settled before this node's table is
 * charged, for the same reason.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_ratelimit_headers.h"
#include "dg_ratelimit_lua.h"
#include "ngx_http_dossier.h"
#include "ngx_http_dossier_auth.h"
#include "ngx_http_dossier_limit.h"
#include "ngx_http_dossier_metrics.h"
#include "ngx_http_dossier_nonce.h"
#include "ngx_http_dossier_response.h"
#include "ngx_http_dossier_table.h"


#define NGX_HTTP_DOSSIER_KEY_ADDR     0
#define NGX_HTTP_DOSSIER_KEY_CLIENT   1
#define NGX_HTTP_DOSSIER_KEY_CITIZEN  2
#define NGX_HTTP_DOSSIER_KEY_SECTOR   3


typedef struct {
    ngx_str_t                  sector;
    dg_gcra_limit_t            limit;
} ngx_http_dossier_sector_rate_t;


typedef struct {
    u_char                       name[32];
    ngx_atomic_t                 refused;
    ngx_atomic_t                 shadow;     /* would have refused */
} ngx_http_dossier_limit_slot_t;

/* In shared memory: every worker's counts. */
typedef struct {
    ngx_atomic_t                   fallbacks;  /* Redis unreachable */
    ngx_http_dossier_limit_slot_t  slot[NGX_HTTP_DOSSIER_LIMIT_NAMES];
} ngx_http_dossier_limit_counters_t;


typedef struct {
    ngx_shm_zone_t                     *zone;
    ngx_flag_t                          redis;
    ngx_uint_t                          local_share;
    ngx_str_t                           prefix;       /* <prefix>l: */
    ngx_http_dossier_redis_script_t    *script;
    ngx_array_t                         names;        /* ngx_str_t */
    ngx_uint_t                          slots[NGX_HTTP_DOSSIER_LIMIT_NAMES];
    ngx_http_dossier_limit_counters_t  *counters;
} ngx_http_dossier_limit_main_conf_t;


typedef struct {
    ngx_array_t                        *limits;  /* ngx_http_dossier_limit_t */
} ngx_http_dossier_limit_loc_conf_t;


typedef struct {
    ngx_str_t                  name;
    ngx_uint_t                 key;
    dg_gcra_limit_t            limit;
    ngx_array_t               *sectors;       /* sector_rate_t, or NULL */
    ngx_uint_t                 index;         /* counters */
    unsigned                   shadow:1;
    unsigned                   from_class:1;  /* key=client rate=class */
} ngx_http_dossier_limit_t;


typedef struct ngx_http_dossier_charges_s  ngx_http_dossier_charges_t;


/* One stage's limits as charged: keys and limits live here until the
 * answer (Redis is asynchronous). */
typedef struct {
    dg_limit_request_t         reqs[DG_LIMIT_MAX_LIMITS];
    dg_gcra_limit_t            limits[DG_LIMIT_MAX_LIMITS];
    ngx_http_dossier_limit_t  *owners[DG_LIMIT_MAX_LIMITS];
    u_char                     keys[DG_LIMIT_MAX_LIMITS][DG_LIMIT_KEY_MAX];
    size_t                     n;
    dg_limit_outcome_t         out;
    ngx_uint_t                 share;         /* of the rates, locally */
    unsigned                   nonce:1;       /* the script carries it */
    ngx_http_dossier_redis_cmd_t  *cmd;
    ngx_http_request_t        *request;
    ngx_http_dossier_limit_item_t  *item;     /* a batch's, or NULL */
    ngx_http_dossier_charges_t     *charges;
} ngx_http_dossier_charge_t;


/* The items of one request, charged one by one. */
struct ngx_http_dossier_charges_s {
    ngx_http_dossier_charge_t  *charge;       /* one per item */
    ngx_uint_t                  n;
    ngx_uint_t                  pending;      /* Redis replies awaited */
    ngx_http_dossier_charge_t  *last;         /* the last with limits: its
                                                 RateLimit headers */
};


static ngx_int_t ngx_http_dossier_limit_collect(ngx_http_request_t *r,
    ngx_array_t *limits, ngx_uint_t stage, const char *sector,
    const char *citizen, ngx_http_dossier_charge_t *ch);
static ngx_int_t ngx_http_dossier_limit_redis(ngx_http_request_t *r,
    ngx_http_dossier_charge_t *ch);
static void ngx_http_dossier_limit_replied(void *data, redisReply *reply);
static void ngx_http_dossier_limit_item_replied(void *data,
    redisReply *reply);
static ngx_int_t ngx_http_dossier_limit_reply(ngx_http_dossier_charge_t *ch,
    redisReply *reply);
static void ngx_http_dossier_limit_local(ngx_http_request_t *r,
    ngx_http_dossier_charge_t *ch, ngx_uint_t share);
static void ngx_http_dossier_limit_charged(ngx_http_dossier_charge_t *ch);
static void ngx_http_dossier_limit_count(ngx_http_request_t *r,
    ngx_http_dossier_charge_t *ch);
static ngx_int_t ngx_http_dossier_limit_headers(ngx_http_request_t *r,
    ngx_http_dossier_charge_t *ch);
static ngx_int_t ngx_http_dossier_limit_verdict(ngx_http_request_t *r,
    ngx_http_dossier_charge_t *ch);
static void ngx_http_dossier_limit_cleanup(void *data);
static void ngx_http_dossier_limit_items_cleanup(void *data);
static ngx_int_t ngx_http_dossier_limit_parse_rate(ngx_str_t *value,
    ngx_int_t burst, dg_gcra_limit_t *limit);


static ngx_int_t ngx_http_dossier_limit_init_counters(ngx_shm_zone_t *zone,
    void *data);
static char *ngx_http_dossier_limit_zone_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_dossier_limit_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_dossier_limit_handler(ngx_http_request_t *r);
static void *ngx_http_dossier_limit_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_limit_init_main_conf(ngx_conf_t *cf,
    void *conf);
static void *ngx_http_dossier_limit_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_limit_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_dossier_limit_init(ngx_conf_t *cf);
static void ngx_http_dossier_limit_metrics(ngx_http_request_t *r,
    dg_metrics_t *m);


static ngx_str_t  ngx_http_dossier_limit_zone_name =
    ngx_string("dossier_limits");
static ngx_str_t  ngx_http_dossier_limit_counters_name =
    ngx_string("dossier_limit_counters");


static ngx_command_t  ngx_http_dossier_limit_commands[] = {

    { ngx_string("dossier_limit_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_dossier_limit_zone_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dossier_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_dossier_limit_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_limit_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_dossier_limit_init,           /* postconfiguration */

    ngx_http_dossier_limit_create_main_conf,
    ngx_http_dossier_limit_init_main_conf,

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_dossier_limit_create_loc_conf,
    ngx_http_dossier_limit_merge_loc_conf
};


ngx_module_t  ngx_http_dossier_limit_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_limit_module_ctx,    /* module context */
    ngx_http_dossier_limit_commands,       /* module directives */
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


/* dossier_limit_zone size=10m [redis=on] [local_share=50]; */
static char *
ngx_http_dossier_limit_zone_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dossier_limit_main_conf_t  *lmcf = conf;

    ssize_t          size;
    uint32_t         capacity;
    ngx_int_t        share;
    ngx_str_t       *value;
    ngx_uint_t       i;
    ngx_shm_zone_t  *zone;

    if (lmcf->zone) {
        return "is duplicate";
    }

    value = cf->args->elts;
    size = 10 * 1024 * 1024;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "size=", 5) == 0) {
            value[i].data += 5;
            value[i].len -= 5;
            size = ngx_parse_size(&value[i]);
            if (size < 64 * 1024) {
                return "has an invalid size (at least 64k)";
            }

        } else if (ngx_strcmp(value[i].data, "redis=on") == 0) {
            lmcf->redis = 1;

        } else if (ngx_strncmp(value[i].data, "local_share=", 12) == 0) {
            share = ngx_atoi(value[i].data + 12, value[i].len - 12);
            if (share < 1 || share > 100) {
                return "has an invalid local_share (1 to 100 percent)";
            }

            lmcf->local_share = share;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    capacity = dg_limit_table_capacity((size_t) size);
    if (capacity == 0) {
        return "has a size too small for a table";
    }

    lmcf->zone = ngx_http_dossier_table_zone(cf,
                     &ngx_http_dossier_limit_zone_name, capacity,
                     &ngx_http_dossier_limit_module);

    zone = ngx_shared_memory_add(cf, &ngx_http_dossier_limit_counters_name,
                                 8 * ngx_pagesize
                                 + sizeof(ngx_http_dossier_limit_counters_t),
                                 &ngx_http_dossier_limit_module);

    if (lmcf->zone == NULL || zone == NULL) {
        return NGX_CONF_ERROR;
    }

    zone->init = ngx_http_dossier_limit_init_counters;
    zone->data = lmcf;

    return NGX_CONF_OK;
}


/* Counters by limit name: a reload that renames or reorders limits keeps
 * each one's. */
static ngx_int_t
ngx_http_dossier_limit_init_counters(ngx_shm_zone_t *zone, void *data)
{
    size_t                              len;
    ngx_str_t                          *name;
    ngx_uint_t                          i, j;
    ngx_slab_pool_t                    *shpool;
    ngx_http_dossier_limit_main_conf_t *lmcf = zone->data;
    ngx_http_dossier_limit_counters_t  *c;

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (data || zone->shm.exists) {
        c = shpool->data;

    } else {
        c = ngx_slab_calloc(shpool, sizeof(ngx_http_dossier_limit_counters_t));
        if (c == NULL) {
            return NGX_ERROR;
        }

        shpool->data = c;
    }

    lmcf->counters = c;
    name = lmcf->names.elts;

    for (i = 0; i < lmcf->names.nelts; i++) {
        len = ngx_min(name[i].len, sizeof(c->slot[0].name) - 1);

        for (j = 0; j < NGX_HTTP_DOSSIER_LIMIT_NAMES; j++) {
            if (c->slot[j].name[0] == '\0') {
                ngx_memcpy(c->slot[j].name, name[i].data, len);
                break;
            }

            if (ngx_strncmp(c->slot[j].name, name[i].data, len) == 0
                && c->slot[j].name[len] == '\0')
            {
                break;
            }
        }

        if (j == NGX_HTTP_DOSSIER_LIMIT_NAMES) {
            ngx_log_error(NGX_LOG_EMERG, zone->shm.log, 0,
                          "too many limit names since start (%d); "
                          "restart nginx to clear them",
                          NGX_HTTP_DOSSIER_LIMIT_NAMES);
            return NGX_ERROR;
        }

        lmcf->slots[i] = j;
    }

    return NGX_OK;
}


/* dossier_limit NAME key=... rate=... [burst=N] [shadow] [SECTOR=rate]; */
static char *
ngx_http_dossier_limit_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dossier_limit_loc_conf_t  *llcf = conf;

    u_char                          *eq;
    ngx_int_t                        burst;
    ngx_str_t                       *value, *name, rate, v;
    ngx_uint_t                       i;
    ngx_http_dossier_limit_t        *limit, *l;
    ngx_http_dossier_sector_rate_t      *sr;
    ngx_http_dossier_limit_main_conf_t  *lmcf;

    value = cf->args->elts;
    lmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_dossier_limit_module);

    if (llcf->limits == NULL) {
        llcf->limits = ngx_array_create(cf->pool, 4,
                                        sizeof(ngx_http_dossier_limit_t));
        if (llcf->limits == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    l = llcf->limits->elts;
    for (i = 0; i < llcf->limits->nelts; i++) {
        if (l[i].name.len == value[1].len
            && ngx_strncmp(l[i].name.data, value[1].data, value[1].len) == 0)
        {
            return "names a limit twice in one place";
        }
    }

    if (llcf->limits->nelts == DG_LIMIT_MAX_LIMITS) {
        return "is used too many times in one place";
    }

    if (value[1].len == 0 || value[1].len > DG_LIMIT_NAME_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" directive needs a name of 1 to %d "
                           "characters", &cmd->name, DG_LIMIT_NAME_MAX);
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < value[1].len; i++) {
        if (!((value[1].data[i] >= 'a' && value[1].data[i] <= 'z')
              || (value[1].data[i] >= '0' && value[1].data[i] <= '9')
              || value[1].data[i] == '_'))
        {
            return "needs a name of [a-z0-9_]";
        }
    }

    limit = ngx_array_push(llcf->limits);
    if (limit == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(limit, sizeof(ngx_http_dossier_limit_t));
    limit->name = value[1];
    limit->key = NGX_CONF_UNSET_UINT;
    ngx_str_null(&rate);

    /* the burst first: every rate of the limit takes it */
    burst = 0;
    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "burst=", 6) == 0) {
            burst = ngx_atoi(value[i].data + 6, value[i].len - 6);
            if (burst == NGX_ERROR) {
                return "has an invalid burst";
            }
        }
    }

    for (i = 2; i < cf->args->nelts; i++) {
        v = value[i];

        if (ngx_strcmp(v.data, "key=addr") == 0) {
            limit->key = NGX_HTTP_DOSSIER_KEY_ADDR;

        } else if (ngx_strcmp(v.data, "key=client") == 0) {
            limit->key = NGX_HTTP_DOSSIER_KEY_CLIENT;

        } else if (ngx_strcmp(v.data, "key=citizen") == 0) {
            limit->key = NGX_HTTP_DOSSIER_KEY_CITIZEN;

        } else if (ngx_strcmp(v.data, "key=sector") == 0) {
            limit->key = NGX_HTTP_DOSSIER_KEY_SECTOR;

        } else if (ngx_strncmp(v.data, "rate=", 5) == 0) {
            rate.data = v.data + 5;
            rate.len = v.len - 5;

        } else if (ngx_strncmp(v.data, "burst=", 6) == 0) {
            continue;

        } else if (ngx_strcmp(v.data, "shadow") == 0) {
            limit->shadow = 1;

        } else if ((eq = ngx_strlchr(v.data, v.data + v.len, '=')) != NULL
                   && v.data[0] >= 'A' && v.data[0] <= 'Z')
        {
            /* a sector's own rate: BTXH=20r/s */
            if (limit->sectors == NULL) {
                limit->sectors = ngx_array_create(cf->pool, 4,
                                   sizeof(ngx_http_dossier_sector_rate_t));
                if (limit->sectors == NULL) {
                    return NGX_CONF_ERROR;
                }
            }

            sr = ngx_array_push(limit->sectors);
            if (sr == NULL) {
                return NGX_CONF_ERROR;
            }

            sr->sector.data = v.data;
            sr->sector.len = eq - v.data;
            v.data = eq + 1;
            v.len -= sr->sector.len + 1;

            if (ngx_http_dossier_limit_parse_rate(&v, burst, &sr->limit)
                != NGX_OK)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid rate \"%V\"", &v);
                return NGX_CONF_ERROR;
            }

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    if (limit->key == NGX_CONF_UNSET_UINT || rate.len == 0) {
        return "needs key= and rate=";
    }

    if (limit->sectors && limit->key != NGX_HTTP_DOSSIER_KEY_SECTOR) {
        return "takes per-sector rates only with key=sector";
    }

    if (rate.len == 5 && ngx_strncmp(rate.data, "class", 5) == 0) {
        if (limit->key != NGX_HTTP_DOSSIER_KEY_CLIENT) {
            return "takes rate=class only with key=client";
        }

        limit->from_class = 1;

    } else if (ngx_http_dossier_limit_parse_rate(&rate, burst, &limit->limit)
               != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid rate \"%V\"",
                           &rate);
        return NGX_CONF_ERROR;
    }

    /* counters are kept by name, across every place the name is used */
    name = lmcf->names.elts;
    for (i = 0; i < lmcf->names.nelts; i++) {
        if (name[i].len == limit->name.len
            && ngx_strncmp(name[i].data, limit->name.data, name[i].len) == 0)
        {
            break;
        }
    }

    if (i == lmcf->names.nelts) {
        if (i == NGX_HTTP_DOSSIER_LIMIT_NAMES) {
            return "names too many limits";
        }

        name = ngx_array_push(&lmcf->names);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        *name = limit->name;
    }

    limit->index = i;

    return NGX_CONF_OK;
}


/* "30r/m", "500r/s" */
static ngx_int_t
ngx_http_dossier_limit_parse_rate(ngx_str_t *value, ngx_int_t burst,
    dg_gcra_limit_t *limit)
{
    ngx_int_t  n;
    int64_t    period;

    if (value->len < 4 || value->data[value->len - 3] != 'r'
        || value->data[value->len - 2] != '/')
    {
        return NGX_ERROR;
    }

    switch (value->data[value->len - 1]) {
    case 's':
        period = 1000;
        break;
    case 'm':
        period = 60000;
        break;
    case 'h':
        period = 3600000;
        break;
    default:
        return NGX_ERROR;
    }

    n = ngx_atoi(value->data, value->len - 3);
    if (n <= 0) {
        return NGX_ERROR;
    }

    return dg_gcra_limit_init(limit, n, period, burst) == 0 ? NGX_OK
                                                             : NGX_ERROR;
}


/*
 * Charges one stage (NGX_HTTP_DOSSIER_LIMIT_EARLY: address limits; _LATE:
 * the others, sector and citizen may be NULL, and a pending nonce first).
 * NGX_OK: allowed.  NGX_DONE: the request's step runs again once Redis
 * answered.  Else: the refusal was sent (429, or the nonce's).
 */
ngx_int_t
ngx_http_dossier_limit(ngx_http_request_t *r, ngx_uint_t stage,
    const char *sector, const char *citizen)
{
    ngx_int_t                            rc;
    ngx_pool_cleanup_t                  *cln;
    ngx_http_dossier_ctx_t              *ctx;
    ngx_http_dossier_charge_t           *ch;
    ngx_http_dossier_limit_loc_conf_t   *llcf;
    ngx_http_dossier_limit_main_conf_t  *lmcf;

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_dossier_limit_module);
    lmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_limit_module);
    ctx = ngx_http_dossier_ctx(r);

    if (llcf->limits == NULL || ctx == NULL || (ctx->limited & stage)) {
        return NGX_OK;
    }

    /* the late charge kept while its nonce was settled (below) */
    ch = ngx_http_get_module_ctx(r, ngx_http_dossier_limit_module);

    if (ch == NULL) {
        ch = ngx_pcalloc(r->pool, sizeof(ngx_http_dossier_charge_t));
        if (ch == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ch->request = r;
        ch->share = 100;

        if (ngx_http_dossier_limit_collect(r, llcf->limits, stage, sector,
                                           citizen, ch)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (lmcf->redis && ngx_http_dossier_redis(r)
            && stage == NGX_HTTP_DOSSIER_LIMIT_LATE)
        {
            cln = ngx_pool_cleanup_add(r->pool, 0);
            if (cln == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (ngx_http_dossier_limit_redis(r, ch) == NGX_OK) {
                ctx->limited |= stage;
                cln->handler = ngx_http_dossier_limit_cleanup;
                cln->data = ch;
                return NGX_DONE;
            }

            /* Redis is away: this node alone, at its share of the rates */
            ch->share = lmcf->local_share;
        }
    }

    if (ch->n == 0) {
        ctx->limited |= stage;
        return NGX_OK;
    }

    /* this node's table: a pending nonce first, so a replay charges
     * nothing */
    rc = ngx_http_dossier_auth_settle(r);

    if (rc == NGX_DONE) {
        ngx_http_set_ctx(r, ch, ngx_http_dossier_limit_module);
        return NGX_DONE;
    }

    if (rc != NGX_OK) {
        return rc;
    }

    ctx->limited |= stage;
    ngx_http_dossier_limit_local(r, ch, ch->share);

    return ngx_http_dossier_limit_verdict(r, ch);
}


ngx_int_t
ngx_http_dossier_limit_items(ngx_http_request_t *r,
    ngx_http_dossier_limit_item_t *items, ngx_uint_t n)
{
    ngx_uint_t                           i, redis;
    ngx_pool_cleanup_t                  *cln;
    ngx_http_dossier_ctx_t              *ctx;
    ngx_http_dossier_charge_t           *ch;
    ngx_http_dossier_charges_t          *all;
    ngx_http_dossier_limit_loc_conf_t   *llcf;
    ngx_http_dossier_limit_main_conf_t  *lmcf;

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_dossier_limit_module);
    lmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_limit_module);
    ctx = ngx_http_dossier_ctx(r);

    if (llcf->limits == NULL || ctx == NULL || n == 0
        || (ctx->limited & NGX_HTTP_DOSSIER_LIMIT_LATE))
    {
        return NGX_OK;
    }

    all = ngx_pcalloc(r->pool, sizeof(ngx_http_dossier_charges_t));
    ch = ngx_pcalloc(r->pool, n * sizeof(ngx_http_dossier_charge_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (all == NULL || ch == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    all->charge = ch;
    all->n = n;
    cln->handler = ngx_http_dossier_limit_items_cleanup;
    cln->data = all;
    ctx->limited |= NGX_HTTP_DOSSIER_LIMIT_LATE;

    redis = lmcf->redis && ngx_http_dossier_redis(r);

    /* in order: Redis runs the pipelined scripts as they were sent */
    for (i = 0; i < n; i++, ch++) {
        ch->request = r;
        ch->item = &items[i];
        ch->charges = all;
        items[i].charge = ch;
        items[i].refused = 0;

        if (ngx_http_dossier_limit_collect(r, llcf->limits,
                                           NGX_HTTP_DOSSIER_LIMIT_LATE,
                                           items[i].sector, items[i].citizen,
                                           ch)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ch->n == 0) {
            continue;
        }

        all->last = ch;

        if (redis && ngx_http_dossier_limit_redis(r, ch) == NGX_OK) {
            all->pending++;
            continue;
        }

        ngx_http_dossier_limit_local(r, ch, redis ? lmcf->local_share : 100);
        ngx_http_dossier_limit_charged(ch);
    }

    if (all->pending) {
        return NGX_DONE;
    }

    return all->last ? ngx_http_dossier_limit_headers(r, all->last) : NGX_OK;
}


static ngx_int_t
ngx_http_dossier_limit_collect(ngx_http_request_t *r, ngx_array_t *limits,
    ngx_uint_t stage, const char *sector, const char *citizen,
    ngx_http_dossier_charge_t *ch)
{
    ngx_uint_t                       i, j;
    ngx_str_t                        value;
    const dg_client_class_t         *cls;
    ngx_http_dossier_ctx_t          *ctx;
    ngx_http_dossier_limit_t        *l;
    ngx_http_dossier_sector_rate_t  *sr;

    ctx = ngx_http_dossier_ctx(r);
    l = limits->elts;

    for (i = 0; i < limits->nelts; i++) {

        if ((l[i].key == NGX_HTTP_DOSSIER_KEY_ADDR)
            != (stage == NGX_HTTP_DOSSIER_LIMIT_EARLY))
        {
            continue;
        }

        ch->limits[ch->n] = l[i].limit;

        switch (l[i].key) {

        case NGX_HTTP_DOSSIER_KEY_ADDR:
            value = r->connection->addr_text;
            break;

        case NGX_HTTP_DOSSIER_KEY_CLIENT:
            if (ctx->caller.kind != DG_CALLER_CLIENT) {
                continue;
            }

            if (l[i].from_class) {
                cls = dg_client_class(ctx->caller.client);
                if (cls == NULL || cls->rate == 0) {
                    continue;           /* a class without a limit */
                }

                if (dg_gcra_limit_init(&ch->limits[ch->n], cls->rate,
                                       (int64_t) cls->period * 1000,
                                       cls->burst)
                    != 0)
                {
                    continue;
                }
            }

            value.data = (u_char *) ctx->caller.id;
            value.len = ngx_strlen(ctx->caller.id);
            break;

        case NGX_HTTP_DOSSIER_KEY_CITIZEN:
            if (citizen == NULL) {
                continue;
            }

            value.data = (u_char *) citizen;
            value.len = ngx_strlen(citizen);
            break;

        default: /* NGX_HTTP_DOSSIER_KEY_SECTOR */
            if (sector == NULL) {
                continue;
            }

            value.data = (u_char *) sector;
            value.len = ngx_strlen(sector);

            sr = l[i].sectors ? l[i].sectors->elts : NULL;
            for (j = 0; sr && j < l[i].sectors->nelts; j++) {
                if (sr[j].sector.len == value.len
                    && ngx_strncmp(sr[j].sector.data, sector, value.len)
                       == 0)
                {
                    ch->limits[ch->n] = sr[j].limit;
                    break;
                }
            }

            break;
        }

        /* "<name>:<value>": the name keeps limits apart and names the
         * policy in the RateLimit headers */
        ch->reqs[ch->n].key = ch->keys[ch->n];
        ch->reqs[ch->n].key_len = dg_limit_key(ch->keys[ch->n],
                                               (char *) l[i].name.data,
                                               l[i].name.len,
                                               (char *) value.data,
                                               value.len);
        ch->reqs[ch->n].limit = &ch->limits[ch->n];
        ch->reqs[ch->n].shadow = l[i].shadow;
        ch->owners[ch->n] = &l[i];
        ch->n++;
    }

    return NGX_OK;
}


/* This node's table, at share percent of the rates.  A table that could
 * not judge (logged by the driver) refuses: a limit never opens. */
static void
ngx_http_dossier_limit_local(ngx_http_request_t *r,
    ngx_http_dossier_charge_t *ch, ngx_uint_t share)
{
    size_t                               i;
    ngx_http_dossier_limit_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_limit_module);

    /* the share of the rate and of what may pass at once; at least one
     * request a period: tighter, never open */
    for (i = 0; share < 100 && i < ch->n; i++) {
        (void) dg_gcra_limit_init(&ch->limits[i],
                   ngx_max(ch->limits[i].rate * (int64_t) share / 100, 1),
                   ch->limits[i].period_ms,
                   ngx_max((ch->limits[i].burst + 1) * (int64_t) share / 100
                           - 1, 0));
    }

    if (share < 100) {
        (void) ngx_atomic_fetch_add(&lmcf->counters->fallbacks, 1);
    }

    if (ngx_http_dossier_table_charge(lmcf->zone, ch->reqs, ch->n, &ch->out)
        != NGX_OK)
    {
        ngx_memzero(&ch->out, sizeof(dg_limit_outcome_t));
        ch->out.header = -1;
        ch->out.retry_after_us = 1000000;
    }
}


/* One script call for a charge, with the request's pending nonce (not a
 * batch item's: a batch records it at once).  NGX_DECLINED: nothing to
 * send, or Redis is away. */
static ngx_int_t
ngx_http_dossier_limit_redis(ngx_http_request_t *r,
    ngx_http_dossier_charge_t *ch)
{
    ngx_int_t                            rc;
    dg_limit_nonce_t                     nonce, *np;
    dg_limit_redis_cmd_t                 cmd;
    ngx_http_dossier_ctx_t              *ctx;
    ngx_http_dossier_limit_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_limit_module);
    ctx = ngx_http_dossier_ctx(r);
    np = NULL;

    if (ch->item == NULL && ctx->nonce_pending
        && ngx_http_dossier_nonce_key(r, ctx->nonce_key, ctx->nonce_expires,
                                      &nonce)
           == NGX_OK)
    {
        np = &nonce;
    }

    if (ch->n == 0 && np == NULL) {
        return NGX_DECLINED;
    }

    if (dg_limit_redis_command(&cmd, (char *) lmcf->script->sha1,
                               (char *) lmcf->prefix.data,
                               ch->reqs, ch->n, np, ngx_http_dossier_now_us())
        != 0)
    {
        return NGX_ERROR;
    }

    rc = ngx_http_dossier_redis_command(ngx_http_dossier_redis(r), cmd.argc,
             cmd.argv, cmd.argvlen,
             ch->item ? ngx_http_dossier_limit_item_replied
                      : ngx_http_dossier_limit_replied,
             ch, &ch->cmd);

    if (rc == NGX_OK && np) {
        ctx->nonce_pending = 0;
        ch->nonce = 1;
    }

    return rc;
}


/* The script's outcome.  NGX_OK: in ch->out (this node's table at its
 * share when Redis could not say).  NGX_DECLINED: the nonce it carried
 * was replayed, nothing charged.  NGX_AGAIN: it carried the nonce and
 * could not say; nothing was recorded (an error reply takes the nonce
 * back; a timeout drops the connection, and this node's word stands). */
static ngx_int_t
ngx_http_dossier_limit_reply(ngx_http_dossier_charge_t *ch,
    redisReply *reply)
{
    int                                  rc;
    ngx_http_dossier_limit_main_conf_t  *lmcf;

    ch->cmd = NULL;
    lmcf = ngx_http_get_module_main_conf(ch->request,
                                         ngx_http_dossier_limit_module);

    rc = reply ? dg_limit_redis_reply(reply, ch->reqs, ch->n, ch->nonce,
                                      &ch->out)
               : -1;

    if (rc == 0) {
        return NGX_OK;
    }

    if (rc == DG_LIMIT_REDIS_REPLAYED) {
        return NGX_DECLINED;
    }

    if (ch->nonce) {
        return NGX_AGAIN;
    }

    ngx_http_dossier_limit_local(ch->request, ch, lmcf->local_share);

    return NGX_OK;
}


static void
ngx_http_dossier_limit_replied(void *data, redisReply *reply)
{
    ngx_int_t                            rc;
    ngx_connection_t                    *c;
    ngx_http_request_t                  *r;
    ngx_http_dossier_ctx_t              *ctx;
    ngx_http_dossier_charge_t           *ch = data;
    ngx_http_dossier_limit_main_conf_t  *lmcf;

    r = ch->request;
    c = r->connection;

    rc = ngx_http_dossier_limit_reply(ch, reply);

    if (rc == NGX_DECLINED) {
        ngx_http_dossier_finalize(r, ngx_http_dossier_auth_replayed(r));
        return;
    }

    if (rc == NGX_AGAIN) {
        /* the step comes back to ngx_http_dossier_limit(): the nonce
         * first, then this node's table at its share */
        lmcf = ngx_http_get_module_main_conf(r,
                                             ngx_http_dossier_limit_module);
        ctx = ngx_http_dossier_ctx(r);
        ctx->nonce_pending = 1;
        ctx->limited &= ~NGX_HTTP_DOSSIER_LIMIT_LATE;
        ch->nonce = 0;
        ch->share = lmcf->local_share;
        ngx_http_set_ctx(r, ch, ngx_http_dossier_limit_module);

    } else {
        rc = ngx_http_dossier_limit_verdict(r, ch);

        if (rc != NGX_OK) {
            ngx_http_dossier_finalize(r, rc);
            return;
        }
    }

    ngx_http_dossier_resume(r);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_dossier_limit_item_replied(void *data, redisReply *reply)
{
    ngx_int_t                    rc;
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_dossier_charge_t   *ch = data;
    ngx_http_dossier_charges_t  *all = ch->charges;

    r = ch->request;
    c = r->connection;

    (void) ngx_http_dossier_limit_reply(ch, reply);
    ngx_http_dossier_limit_charged(ch);

    if (--all->pending) {
        return;
    }

    rc = ngx_http_dossier_limit_headers(r, all->last);

    if (rc != NGX_OK) {
        ngx_http_dossier_finalize(r, rc);
        return;
    }

    ngx_http_dossier_resume(r);
    ngx_http_run_posted_requests(c);
}


/* A batch item's outcome, counted. */
static void
ngx_http_dossier_limit_charged(ngx_http_dossier_charge_t *ch)
{
    ngx_http_dossier_limit_item_t  *item = ch->item;

    ngx_http_dossier_limit_count(ch->request, ch);

    if (ch->out.allowed) {
        return;
    }

    /* limit names are [a-z0-9_] and NUL-ended in the configuration */
    item->refused = 1;
    item->limit = (const char *) ch->owners[ch->out.refused]->name.data;
    item->retry_after = (time_t) dg_gcra_retry_after_s(ch->out.retry_after_us);
}


/* Counts, adds the RateLimit headers, and answers 429 when refused. */
static ngx_int_t
ngx_http_dossier_limit_verdict(ngx_http_request_t *r,
    ngx_http_dossier_charge_t *ch)
{
    ngx_int_t                  rc;
    ngx_http_dossier_ctx_t    *ctx;
    ngx_http_dossier_limit_t  *l;

    ngx_http_dossier_limit_count(r, ch);

    rc = ngx_http_dossier_limit_headers(r, ch);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ch->out.allowed) {
        return NGX_OK;
    }

    ctx = ngx_http_dossier_ctx(r);
    l = ch->owners[ch->out.refused];
    ctx->retry_after = (time_t) dg_gcra_retry_after_s(ch->out.retry_after_us);

    ngx_http_dossier_discard_body(r);

    /* limit names are [a-z0-9_] and NUL-ended in the configuration */
    return ngx_http_dossier_send_error(r, DG_ERR_RATE_LIMITED,
                                       (char *) l->name.data,
                                       (int) ctx->retry_after);
}


/* The refusals (and shadow refusals) of each limit name. */
static void
ngx_http_dossier_limit_count(ngx_http_request_t *r,
    ngx_http_dossier_charge_t *ch)
{
    size_t                               i;
    ngx_http_dossier_limit_t            *l;
    ngx_http_dossier_limit_slot_t       *slot;
    ngx_http_dossier_limit_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_limit_module);

    for (i = 0; i < ch->n; i++) {
        if (ch->out.results[i].allowed) {
            continue;
        }

        l = ch->owners[i];
        slot = &lmcf->counters->slot[lmcf->slots[l->index]];
        (void) ngx_atomic_fetch_add(l->shadow ? &slot->shadow
                                              : &slot->refused, 1);

        if (l->shadow) {
            ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                          "dossier: limit \"%V\" would refuse (shadow)",
                          &l->name);
        }
    }
}


/* The RateLimit headers of a charge (a later one replaces them). */
static ngx_int_t
ngx_http_dossier_limit_headers(ngx_http_request_t *r,
    ngx_http_dossier_charge_t *ch)
{
    ngx_int_t                k;
    ngx_table_elt_t         *h;
    ngx_http_dossier_ctx_t  *ctx;
    char                     policy[DG_RATELIMIT_HEADER_MAX];
    char                     state[DG_RATELIMIT_HEADER_MAX];

    ctx = ngx_http_dossier_ctx(r);

    if (ch->out.header >= 0
        && dg_ratelimit_headers(ch->reqs, &ch->out, policy, sizeof(policy),
                                state, sizeof(state)) == 0)
    {
        /* a later stage's limits replace an earlier one's headers */
        for (k = 0; k < 2; k++) {
            h = ctx->ratelimit[k];

            if (h == NULL) {
                h = ngx_http_dossier_add_header(r, k == 0 ? "RateLimit-Policy"
                                                          : "RateLimit",
                                                NULL);
                if (h == NULL) {
                    return NGX_HTTP_INTERNAL_SERVER_ERROR;
                }

                ctx->ratelimit[k] = h;
            }

            h->value.len = ngx_strlen(k == 0 ? policy : state);
            h->value.data = ngx_pnalloc(r->pool, h->value.len);
            if (h->value.data == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ngx_memcpy(h->value.data, k == 0 ? policy : state,
                       h->value.len);
        }
    }

    return NGX_OK;
}


static void
ngx_http_dossier_limit_cleanup(void *data)
{
    ngx_http_dossier_charge_t  *ch = data;

    if (ch->cmd) {
        ngx_http_dossier_redis_cancel(ch->cmd);
        ch->cmd = NULL;
    }
}


/* The replies still awaited are dropped with the request. */
static void
ngx_http_dossier_limit_items_cleanup(void *data)
{
    ngx_http_dossier_charges_t  *all = data;

    ngx_uint_t  i;

    for (i = 0; i < all->n; i++) {
        ngx_http_dossier_limit_cleanup(&all->charge[i]);
    }
}


/* Address limits, as limit_req's: before the body is read and the
 * signature checked. */
static ngx_int_t
ngx_http_dossier_limit_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r->main->internal) {
        return NGX_DECLINED;
    }

    rc = ngx_http_dossier_limit(r, NGX_HTTP_DOSSIER_LIMIT_EARLY, NULL, NULL);
    if (rc == NGX_OK) {
        return NGX_DECLINED;
    }

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    /* answered: the phases stop here */
    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


static void *
ngx_http_dossier_limit_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_dossier_limit_main_conf_t  *lmcf;

    lmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_limit_main_conf_t));
    if (lmcf == NULL) {
        return NULL;
    }

    lmcf->local_share = 100;

    if (ngx_array_init(&lmcf->names, cf->pool, 4, sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NULL;
    }

    return lmcf;
}


static char *
ngx_http_dossier_limit_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_dossier_limit_main_conf_t  *lmcf = conf;

    ngx_http_dossier_cache_conf_t  *cc;

    if (!lmcf->redis) {
        return NGX_CONF_OK;
    }

    cc = ngx_http_dossier_cache_conf(cf);

    if (!cc->enabled) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"dossier_limit_zone redis=on\" needs "
                           "\"dossier_redis\"");
        return NGX_CONF_ERROR;
    }

    lmcf->script = ngx_http_dossier_redis_add_script(cf, &cc->redis,
                                                     dg_limit_redis_lua);

    /* limit keys apart from the cache's: <prefix>l:<name>:<value> */
    lmcf->prefix.len = cc->prefix.len + 2;
    lmcf->prefix.data = ngx_pnalloc(cf->pool, lmcf->prefix.len + 1);
    if (lmcf->script == NULL || lmcf->prefix.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(lmcf->prefix.data, "%Vl:%Z", &cc->prefix);

    return NGX_CONF_OK;
}


static void *
ngx_http_dossier_limit_create_loc_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_limit_loc_conf_t));
}


/* Limits are inherited only where none are set, as nginx's arrays; a
 * limit needs the zone, wherever the two stand in the file. */
static char *
ngx_http_dossier_limit_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_dossier_limit_loc_conf_t  *prev = parent;
    ngx_http_dossier_limit_loc_conf_t  *conf = child;

    ngx_http_dossier_limit_main_conf_t  *lmcf;

    if (conf->limits == NULL) {
        conf->limits = prev->limits;
    }

    lmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_dossier_limit_module);

    if (conf->limits && lmcf->zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"dossier_limit\" needs \"dossier_limit_zone\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_dossier_limit_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_dossier_limit_handler;

    return ngx_http_dossier_metrics_add_collector(cf,
                                              ngx_http_dossier_limit_metrics);
}


/* Every limit name's refusals since start, and the table's fill. */
static void
ngx_http_dossier_limit_metrics(ngx_http_request_t *r, dg_metrics_t *m)
{
    ngx_uint_t                           i;
    dg_label_t                           label;
    dg_limit_stats_t                     table;
    ngx_http_dossier_limit_counters_t   *c;
    ngx_http_dossier_limit_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_limit_module);
    c = lmcf->counters;

    if (lmcf->zone == NULL || c == NULL) {
        return;
    }

    label.name = "limit";
    dg_metrics_family(m, "dossier_limit_refusals_total", DG_METRIC_COUNTER,
                      "Requests a rate limit refused (429), by limit.");

    for (i = 0; i < NGX_HTTP_DOSSIER_LIMIT_NAMES && c->slot[i].name[0]; i++)
    {
        label.value = (const char *) c->slot[i].name;
        dg_metrics_value(m, "dossier_limit_refusals_total", &label, 1,
                         c->slot[i].refused, 1);
    }

    dg_metrics_family(m, "dossier_limit_shadow_refusals_total",
                      DG_METRIC_COUNTER,
                      "Requests a shadow limit would have refused, by "
                      "limit.");

    for (i = 0; i < NGX_HTTP_DOSSIER_LIMIT_NAMES && c->slot[i].name[0]; i++)
    {
        label.value = (const char *) c->slot[i].name;
        dg_metrics_value(m, "dossier_limit_shadow_refusals_total", &label, 1,
                         c->slot[i].shadow, 1);
    }

    ngx_http_dossier_metrics_one(m, "dossier_limit_local_fallbacks_total",
        DG_METRIC_COUNTER, "Limit checks made on this node's table at "
        "local_share because Redis was unreachable.", c->fallbacks);

    ngx_http_dossier_table_stats(lmcf->zone, &table);
    ngx_http_dossier_metrics_table(m, "limit_table",
        "this node's table of rate-limit keys (shared memory)", &table);
}
