/*
 * The gateway's metrics (see ngx_http_dossier_metrics.h).
 *
 * The zone holds a slot per worker, more than there are workers so that a
 * reload's new workers find free ones while the old ones finish.  A
 * worker that exits adds its counters to "retired" and frees its slot; a
 * slot whose worker died without exiting (killed) is added and freed by
 * the next worker that starts, so the totals never go back.  Gauges count
 * only for the workers alive.  A reload keeps the zone (and the counts)
 * while its size stays the same.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dossier_metrics.h"


#define NGX_HTTP_DOSSIER_METRICS_MAGIC  0x64676d31      /* "dgm1" */


typedef struct {
    ngx_pid_t                        pid;        /* 0: free */
    ngx_http_dossier_stats_t         stats;
} ngx_http_dossier_metrics_slot_t;


typedef struct {
    uint32_t                         magic;
    uint32_t                         nslots;
    size_t                           slot_size;
    ngx_http_dossier_stats_t         retired;    /* workers gone */
    ngx_http_dossier_metrics_slot_t  slots[1];
} ngx_http_dossier_metrics_shm_t;


typedef struct {
    ngx_shm_zone_t                  *zone;
    ngx_uint_t                       nslots;
    ngx_http_dossier_metrics_shm_t  *sh;
    ngx_array_t                      collectors;
} ngx_http_dossier_metrics_main_conf_t;


static ngx_int_t ngx_http_dossier_metrics_log(ngx_http_request_t *r);
static void ngx_http_dossier_metrics_fold(ngx_http_dossier_metrics_shm_t *sh,
    ngx_http_dossier_metrics_slot_t *slot);
static void ngx_http_dossier_metrics_clear_gauges(
    ngx_http_dossier_stats_t *st);
static ngx_uint_t ngx_http_dossier_metrics_alive(ngx_pid_t pid);
static ngx_uint_t ngx_http_dossier_metrics_sum(
    ngx_http_dossier_metrics_main_conf_t *mmcf,
    ngx_http_dossier_stats_t *total);
static void ngx_http_dossier_metrics_requests(dg_metrics_t *m,
    ngx_http_dossier_http_stats_t *st);
static void ngx_http_dossier_metrics_storage(dg_metrics_t *m,
    ngx_http_dossier_stats_t *st);
static ngx_int_t ngx_http_dossier_metrics_init_zone(ngx_shm_zone_t *zone,
    void *data);
static void *ngx_http_dossier_metrics_create_main_conf(ngx_conf_t *cf);
static ngx_int_t ngx_http_dossier_metrics_init(ngx_conf_t *cf);


static const uint64_t  ngx_http_dossier_duration_bounds[] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000
};

const dg_buckets_t  ngx_http_dossier_duration_buckets = {
    ngx_http_dossier_duration_bounds,
    sizeof(ngx_http_dossier_duration_bounds) / sizeof(uint64_t), 1000000
};

static const uint64_t  ngx_http_dossier_commit_size_bounds[] = {
    1, 2, 4, 8, 16, 32, 64, 128, 256
};

const dg_buckets_t  ngx_http_dossier_commit_size_buckets = {
    ngx_http_dossier_commit_size_bounds,
    sizeof(ngx_http_dossier_commit_size_bounds) / sizeof(uint64_t), 1
};

static const uint64_t  ngx_http_dossier_commit_time_bounds[] = {
    500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000,
    1000000, 2000000, 5000000
};

const dg_buckets_t  ngx_http_dossier_commit_time_buckets = {
    ngx_http_dossier_commit_time_bounds,
    sizeof(ngx_http_dossier_commit_time_bounds) / sizeof(uint64_t), 1000000
};


/* label values, in the order of the arrays they name */
static const char *const  ngx_http_dossier_pg_state_names[] = {
    "down", "connecting", "idle", "busy"
};

static const char *const  ngx_http_dossier_outcome_names[] = {
    "created", "duplicate", "conflict", "unavailable", "rejected"
};

static const char *const  ngx_http_dossier_cache_result_names[] = {
    "miss", "hit", "negative", "error"
};


static ngx_str_t  ngx_http_dossier_metrics_zone_name =
    ngx_string("dossier_metrics");



/* This worker's block: a private one until it has its slot. */
static ngx_http_dossier_stats_t          ngx_http_dossier_metrics_private;
static ngx_http_dossier_stats_t         *ngx_http_dossier_metrics_own =
    &ngx_http_dossier_metrics_private;
static ngx_http_dossier_metrics_slot_t  *ngx_http_dossier_metrics_slot;


static ngx_http_module_t  ngx_http_dossier_metrics_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_dossier_metrics_init,         /* postconfiguration */

    ngx_http_dossier_metrics_create_main_conf,
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_dossier_metrics_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_metrics_module_ctx,  /* module context */
    NULL,                                  /* module directives */
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


ngx_http_dossier_stats_t *
ngx_http_dossier_metrics_start(ngx_cycle_t *cycle)
{
    ngx_uint_t                             i;
    ngx_slab_pool_t                       *shpool;
    ngx_http_dossier_metrics_shm_t        *sh;
    ngx_http_dossier_metrics_slot_t       *slot, *free;
    ngx_http_dossier_metrics_main_conf_t  *mmcf;

    mmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_dossier_metrics_module);
    sh = mmcf ? mmcf->sh : NULL;

    if (sh == NULL) {
        return ngx_http_dossier_metrics_own;
    }

    shpool = (ngx_slab_pool_t *) mmcf->zone->shm.addr;
    free = NULL;

    ngx_shmtx_lock(&shpool->mutex);

    for (i = 0; i < sh->nslots; i++) {
        slot = &sh->slots[i];

        if (slot->pid && !ngx_http_dossier_metrics_alive(slot->pid)) {
            ngx_http_dossier_metrics_fold(sh, slot);
        }

        if (slot->pid == 0 && free == NULL) {
            free = slot;
        }
    }

    if (free) {
        free->pid = ngx_pid;
        ngx_http_dossier_metrics_slot = free;
        ngx_http_dossier_metrics_own = &free->stats;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    if (free == NULL) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "dossier: no free slot in the metrics zone (%uD): "
                      "this worker's counts are not shown", sh->nslots);
    }

    return ngx_http_dossier_metrics_own;
}


void
ngx_http_dossier_metrics_stop(ngx_cycle_t *cycle)
{
    ngx_slab_pool_t                       *shpool;
    ngx_http_dossier_metrics_main_conf_t  *mmcf;

    mmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_dossier_metrics_module);

    if (mmcf == NULL || mmcf->sh == NULL
        || ngx_http_dossier_metrics_slot == NULL)
    {
        return;
    }

    shpool = (ngx_slab_pool_t *) mmcf->zone->shm.addr;

    ngx_shmtx_lock(&shpool->mutex);
    ngx_http_dossier_metrics_fold(mmcf->sh, ngx_http_dossier_metrics_slot);
    ngx_shmtx_unlock(&shpool->mutex);

    ngx_http_dossier_metrics_slot = NULL;
    ngx_http_dossier_metrics_own = &ngx_http_dossier_metrics_private;
}


/* LOG phase: every request, by route and status, and how long it took
 * (nginx's clock: millisecond resolution, as $request_time). */
static ngx_int_t
ngx_http_dossier_metrics_log(ngx_http_request_t *r)
{
    dg_route_e                      route;
    ngx_uint_t                      status;
    ngx_time_t                     *tp;
    ngx_msec_int_t                  ms;
    ngx_http_dossier_http_stats_t  *st;

    st = &ngx_http_dossier_metrics_own->http;

    status = r->err_status ? r->err_status : r->headers_out.status;
    route = dg_metrics_route((const char *) r->uri.data, r->uri.len);

    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));

    st->requests[route][dg_metrics_code(status)]++;
    dg_histogram_observe(&st->duration[route],
                         &ngx_http_dossier_duration_buckets,
                         (uint64_t) ngx_max(ms, 0) * 1000);

    return NGX_OK;
}


ngx_int_t
ngx_http_dossier_metrics_add_collector(ngx_conf_t *cf,
    ngx_http_dossier_metrics_collect_pt collect)
{
    ngx_http_dossier_metrics_collect_pt   *c;
    ngx_http_dossier_metrics_main_conf_t  *mmcf;

    mmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_dossier_metrics_module);

    c = ngx_array_push(&mmcf->collectors);
    if (c == NULL) {
        return NGX_ERROR;
    }

    *c = collect;

    return NGX_OK;
}


ngx_int_t
ngx_http_dossier_metrics_render(ngx_http_request_t *r, dg_metrics_t *m)
{
    ngx_uint_t                             i, workers;
    ngx_http_dossier_stats_t               total;
    ngx_http_dossier_metrics_collect_pt   *collect;
    ngx_http_dossier_metrics_main_conf_t  *mmcf;

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_metrics_module);
    workers = ngx_http_dossier_metrics_sum(mmcf, &total);

    dg_metrics_init(m);

    ngx_http_dossier_metrics_one(m, "dossier_workers", DG_METRIC_GAUGE,
                                 "nginx workers whose counts are shown.",
                                 workers);
    ngx_http_dossier_metrics_requests(m, &total.http);
    ngx_http_dossier_metrics_storage(m, &total);

    collect = mmcf->collectors.elts;

    for (i = 0; i < mmcf->collectors.nelts; i++) {
        collect[i](r, m);
    }

    if (m->failed) {
        dg_metrics_free(m);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* Called under the zone's lock. */
static void
ngx_http_dossier_metrics_fold(ngx_http_dossier_metrics_shm_t *sh,
    ngx_http_dossier_metrics_slot_t *slot)
{
    ngx_http_dossier_metrics_clear_gauges(&slot->stats);
    dg_metrics_add((uint64_t *) &sh->retired, (uint64_t *) &slot->stats,
                   sizeof(ngx_http_dossier_stats_t) / sizeof(uint64_t));
    ngx_memzero(slot, sizeof(ngx_http_dossier_metrics_slot_t));
}


static void
ngx_http_dossier_metrics_clear_gauges(ngx_http_dossier_stats_t *st)
{
    st->pg.queued = 0;
    ngx_memzero(st->pg.conns, sizeof(st->pg.conns));
    st->redis.connected = 0;
}


static ngx_uint_t
ngx_http_dossier_metrics_alive(ngx_pid_t pid)
{
    return kill(pid, 0) == 0 || ngx_errno != NGX_ESRCH;
}


/* Every worker's counts, and how many workers are alive. */
static ngx_uint_t
ngx_http_dossier_metrics_sum(ngx_http_dossier_metrics_main_conf_t *mmcf,
    ngx_http_dossier_stats_t *total)
{
    ngx_uint_t                        i, alive;
    ngx_slab_pool_t                  *shpool;
    ngx_http_dossier_stats_t          one;
    ngx_http_dossier_metrics_shm_t   *sh = mmcf->sh;

    if (sh == NULL) {
        *total = *ngx_http_dossier_metrics_own;
        return 1;
    }

    shpool = (ngx_slab_pool_t *) mmcf->zone->shm.addr;
    alive = 0;

    ngx_shmtx_lock(&shpool->mutex);

    *total = sh->retired;

    for (i = 0; i < sh->nslots; i++) {
        if (sh->slots[i].pid == 0) {
            continue;
        }

        one = sh->slots[i].stats;

        if (ngx_http_dossier_metrics_alive(sh->slots[i].pid)) {
            alive++;

        } else {
            ngx_http_dossier_metrics_clear_gauges(&one);
        }

        dg_metrics_add((uint64_t *) total, (uint64_t *) &one,
                       sizeof(ngx_http_dossier_stats_t) / sizeof(uint64_t));
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return alive;
}


static void
ngx_http_dossier_metrics_requests(dg_metrics_t *m,
    ngx_http_dossier_http_stats_t *st)
{
    size_t      code;
    dg_label_t  labels[2];
    dg_route_e  route;

    labels[0].name = "route";
    labels[1].name = "code";

    dg_metrics_family(m, "dossier_http_requests_total", DG_METRIC_COUNTER,
                      "Requests answered, by route and status code.");

    for (route = 0; route < DG_ROUTES; route++) {
        labels[0].value = dg_metrics_route_name(route);

        for (code = 0; code < DG_METRICS_CODES; code++) {
            if (st->requests[route][code] == 0) {
                continue;
            }

            labels[1].value = dg_metrics_code_name(code);
            dg_metrics_value(m, "dossier_http_requests_total", labels, 2,
                             st->requests[route][code], 1);
        }
    }

    dg_metrics_family(m, "dossier_http_request_duration_seconds",
                      DG_METRIC_HISTOGRAM,
                      "Time from a request's first byte to its answer "
                      "(millisecond resolution), by route.");

    for (route = 0; route < DG_ROUTES; route++) {
        labels[0].value = dg_metrics_route_name(route);
        dg_metrics_histogram(m, "dossier_http_request_duration_seconds",
                             labels, 1, &st->duration[route],
                             &ngx_http_dossier_duration_buckets);
    }
}


static void
ngx_http_dossier_metrics_storage(dg_metrics_t *m,
    ngx_http_dossier_stats_t *st)
{
    ngx_uint_t  i;
    dg_label_t  label;

    ngx_http_dossier_metrics_one(m, "dossier_pg_queue_depth",
        DG_METRIC_GAUGE, "Dossiers waiting for a group commit.",
        st->pg.queued);

    label.name = "state";
    dg_metrics_family(m, "dossier_pg_connections", DG_METRIC_GAUGE,
                      "PostgreSQL connections of the pools, by state.");

    for (i = 0; i < NGX_HTTP_DOSSIER_PG_STATES; i++) {
        label.value = ngx_http_dossier_pg_state_names[i];
        dg_metrics_value(m, "dossier_pg_connections", &label, 1,
                         st->pg.conns[i], 1);
    }

    ngx_http_dossier_metrics_one(m, "dossier_pg_reconnects_total",
        DG_METRIC_COUNTER, "Connections to PostgreSQL tried again after "
        "one failed or was lost.", st->pg.reconnects);

    label.name = "outcome";
    dg_metrics_family(m, "dossier_pg_dossiers_total", DG_METRIC_COUNTER,
                      "Dossiers the group-commit writer answered, by "
                      "outcome.");

    for (i = 0; i < NGX_HTTP_DOSSIER_PG_OUTCOMES; i++) {
        label.value = ngx_http_dossier_outcome_names[i];
        dg_metrics_value(m, "dossier_pg_dossiers_total", &label, 1,
                         st->pg.outcomes[i], 1);
    }

    dg_metrics_family(m, "dossier_pg_commit_dossiers", DG_METRIC_HISTOGRAM,
                      "Dossiers per group commit.");
    dg_metrics_histogram(m, "dossier_pg_commit_dossiers", NULL, 0,
                         &st->pg.commit_size,
                         &ngx_http_dossier_commit_size_buckets);

    dg_metrics_family(m, "dossier_pg_commit_duration_seconds",
                      DG_METRIC_HISTOGRAM,
                      "Time of a group commit, from sending the batch to "
                      "its confirmed COMMIT.");
    dg_metrics_histogram(m, "dossier_pg_commit_duration_seconds", NULL, 0,
                         &st->pg.commit_time,
                         &ngx_http_dossier_commit_time_buckets);

    ngx_http_dossier_metrics_one(m, "dossier_redis_connected",
        DG_METRIC_GAUGE, "Workers connected to Redis.", st->redis.connected);
    ngx_http_dossier_metrics_one(m, "dossier_redis_commands_total",
        DG_METRIC_COUNTER, "Commands sent to Redis.", st->redis.commands);
    ngx_http_dossier_metrics_one(m, "dossier_redis_writes_total",
        DG_METRIC_COUNTER, "Socket writes to Redis (the commands of one "
        "event-loop pass go in one).", st->redis.writes);
    ngx_http_dossier_metrics_one(m, "dossier_redis_errors_total",
        DG_METRIC_COUNTER, "Commands Redis answered with an error.",
        st->redis.errors);
    ngx_http_dossier_metrics_one(m, "dossier_redis_timeouts_total",
        DG_METRIC_COUNTER, "Commands unanswered in dossier_redis_timeout "
        "(each drops the connection).", st->redis.timeouts);
    ngx_http_dossier_metrics_one(m, "dossier_redis_unavailable_total",
        DG_METRIC_COUNTER, "Commands refused or failed because the "
        "connection to Redis was down or lost.", st->redis.unavailable);

    label.name = "result";
    dg_metrics_family(m, "dossier_cache_lookups_total", DG_METRIC_COUNTER,
                      "Status cache lookups, by result (negative: a code "
                      "known not to exist; error: an error reply, a "
                      "malformed entry or no Redis).");

    for (i = 0; i < NGX_HTTP_DOSSIER_CACHE_RESULTS; i++) {
        label.value = ngx_http_dossier_cache_result_names[i];
        dg_metrics_value(m, "dossier_cache_lookups_total", &label, 1,
                         st->cache.lookups[i], 1);
    }

    ngx_http_dossier_metrics_one(m, "dossier_cache_writes_total",
        DG_METRIC_COUNTER, "Status cache entries sent to Redis.",
        st->cache.writes);
    ngx_http_dossier_metrics_one(m, "dossier_cache_write_errors_total",
        DG_METRIC_COUNTER, "Status cache writes refused, failed or not sent "
        "(the next connection retires the entries).",
        st->cache.write_errors);
}


void
ngx_http_dossier_metrics_table(dg_metrics_t *m, const char *what,
    const char *of, dg_limit_stats_t *st)
{
    u_char            name[64], help[192], *p;
    ngx_uint_t        i;
    static const struct {
        const char        *suffix;
        dg_metric_type_e   type;
        const char        *help;
    }                 family[] = {
        { "entries", DG_METRIC_GAUGE, "Keys in %s." },
        { "capacity", DG_METRIC_GAUGE, "Most keys %s holds." },
        { "evictions_total", DG_METRIC_COUNTER,
          "Keys dropped from %s to make room." },
        { "live_evictions_total", DG_METRIC_COUNTER,
          "Keys dropped from %s while in their window: the zone is too "
          "small." }
    };
    const uint64_t    value[] = {
        st->count, st->capacity, st->evictions, st->evictions_live
    };

    for (i = 0; i < sizeof(family) / sizeof(family[0]); i++) {
        p = ngx_snprintf(name, sizeof(name) - 1, "dossier_%s_%s", what,
                         family[i].suffix);
        *p = '\0';
        p = ngx_snprintf(help, sizeof(help) - 1, family[i].help, of);
        *p = '\0';

        ngx_http_dossier_metrics_one(m, (char *) name, family[i].type,
                                     (char *) help, value[i]);
    }
}


void
ngx_http_dossier_metrics_one(dg_metrics_t *m, const char *name,
    dg_metric_type_e type, const char *help, uint64_t v)
{
    dg_metrics_family(m, name, type, help);
    dg_metrics_value(m, name, NULL, 0, v, 1);
}


static ngx_int_t
ngx_http_dossier_metrics_init_zone(ngx_shm_zone_t *zone, void *data)
{
    size_t                                 size;
    ngx_slab_pool_t                       *shpool;
    ngx_http_dossier_metrics_shm_t        *sh;
    ngx_http_dossier_metrics_main_conf_t  *mmcf = zone->data;

    shpool = (ngx_slab_pool_t *) zone->shm.addr;
    size = sizeof(ngx_http_dossier_metrics_shm_t)
           + (mmcf->nslots - 1) * sizeof(ngx_http_dossier_metrics_slot_t);

    if (data || zone->shm.exists) {
        /* a reload: the old workers are counting in it still */
        sh = shpool->data;

        ngx_shmtx_lock(&shpool->mutex);

        if (sh->magic != NGX_HTTP_DOSSIER_METRICS_MAGIC
            || sh->nslots != mmcf->nslots
            || sh->slot_size != sizeof(ngx_http_dossier_metrics_slot_t))
        {
            /* another layout (a new build of the module): start afresh */
            ngx_log_error(NGX_LOG_WARN, zone->shm.log, 0,
                          "shared zone \"%V\": counts reset",
                          &zone->shm.name);
            ngx_memzero(sh, size);
            sh->magic = NGX_HTTP_DOSSIER_METRICS_MAGIC;
            sh->nslots = mmcf->nslots;
            sh->slot_size = sizeof(ngx_http_dossier_metrics_slot_t);
        }

        ngx_shmtx_unlock(&shpool->mutex);

        mmcf->sh = sh;
        return NGX_OK;
    }

    sh = ngx_slab_calloc(shpool, size);
    if (sh == NULL) {
        return NGX_ERROR;
    }

    sh->magic = NGX_HTTP_DOSSIER_METRICS_MAGIC;
    sh->nslots = mmcf->nslots;
    sh->slot_size = sizeof(ngx_http_dossier_metrics_slot_t);
    shpool->data = sh;
    mmcf->sh = sh;

    return NGX_OK;
}


static void *
ngx_http_dossier_metrics_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_dossier_metrics_main_conf_t  *mmcf;

    mmcf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_dossier_metrics_main_conf_t));
    if (mmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&mmcf->collectors, cf->pool, 4,
                       sizeof(ngx_http_dossier_metrics_collect_pt))
        != NGX_OK)
    {
        return NULL;
    }

    return mmcf;
}


/* The zone, with slots for four times the workers (reloads overlap), and
 * the LOG phase handler. */
static ngx_int_t
ngx_http_dossier_metrics_init(ngx_conf_t *cf)
{
    size_t                                 size;
    ngx_int_t                              workers;
    ngx_core_conf_t                       *ccf;
    ngx_http_handler_pt                   *h;
    ngx_http_core_main_conf_t             *cmcf;
    ngx_http_dossier_metrics_main_conf_t  *mmcf;

    mmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_dossier_metrics_module);
    ccf = (ngx_core_conf_t *) ngx_get_conf(cf->cycle->conf_ctx,
                                           ngx_core_module);

    /* worker_processes is known here when it comes before "http" */
    workers = ccf->worker_processes;
    if (workers == NGX_CONF_UNSET || workers < ngx_ncpu) {
        workers = ngx_ncpu;
    }

    mmcf->nslots = 4 * workers + 4;

    size = sizeof(ngx_http_dossier_metrics_shm_t)
           + (mmcf->nslots - 1) * sizeof(ngx_http_dossier_metrics_slot_t);

    mmcf->zone = ngx_shared_memory_add(cf, &ngx_http_dossier_metrics_zone_name,
                                       ngx_align(size, ngx_pagesize)
                                       + 8 * ngx_pagesize,
                                       &ngx_http_dossier_metrics_module);
    if (mmcf->zone == NULL) {
        return NGX_ERROR;
    }

    mmcf->zone->init = ngx_http_dossier_metrics_init_zone;
    mmcf->zone->data = mmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_dossier_metrics_log;

    return NGX_OK;
}
