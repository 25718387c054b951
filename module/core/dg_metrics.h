/*
 * Metrics in the Prometheus text exposition format (version 0.0.4), for
 * GET /metrics on the admin listener; nginx-free so that the format is
 * unit-tested.
 *
 *   - a family is its "# HELP" and "# TYPE" lines, then its samples, all
 *     together (the format wants them contiguous);
 *   - values are integers, or integers in a unit printed in the base unit
 *     exactly (microseconds as seconds: 1500 with scale 1000000 is
 *     "0.0015"), so that nothing is lost to floating point;
 *   - a histogram keeps, per bucket, the observations up to its bound and
 *     above the one before (not cumulative: two histograms add up bucket
 *     by bucket); the text has the cumulative "le" buckets, "+Inf", _sum
 *     and _count;
 *   - label values are escaped (backslash, double quote, newline), HELP
 *     texts too (backslash, newline); names are the caller's constants.
 *
 * Histograms and counters hold nothing but uint64_t, so that a block of
 * them (one per nginx worker, in shared memory) adds up with
 * dg_metrics_add().
 *
 * Also here: the request routes and status codes the gateway counts, both
 * fixed sets, so that the labels' cardinality is bounded.
 */

#ifndef DG_METRICS_H
#define DG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define DG_METRICS_BUCKETS  16


typedef enum {
    DG_METRIC_COUNTER = 0,
    DG_METRIC_GAUGE,
    DG_METRIC_HISTOGRAM
} dg_metric_type_e;


/* Bucket bounds, ascending, in the unit observed; scale: that unit per
 * base unit (1000000 for microseconds, 1 for plain counts). */
typedef struct {
    const uint64_t  *bounds;
    size_t           n;                 /* at most DG_METRICS_BUCKETS */
    uint64_t         scale;
} dg_buckets_t;

typedef struct {
    uint64_t         bucket[DG_METRICS_BUCKETS + 1];   /* last: +Inf */
    uint64_t         sum;
} dg_histogram_t;


typedef struct {
    const char      *name;
    const char      *value;             /* escaped when written */
} dg_label_t;


/* The text being written: grows as needed; failed after an allocation
 * failure (data then holds what came before). */
typedef struct {
    char            *data;
    size_t           len;
    size_t           size;
    int              failed;
} dg_metrics_t;


void dg_histogram_observe(dg_histogram_t *h, const dg_buckets_t *b,
    uint64_t v);

/* A monotonic clock in microseconds, for durations. */
uint64_t dg_metrics_now_us(void);

/* to[i] += from[i] for n uint64_t: counters and histograms alike. */
void dg_metrics_add(uint64_t *to, const uint64_t *from, size_t n);


void dg_metrics_init(dg_metrics_t *m);
void dg_metrics_free(dg_metrics_t *m);

void dg_metrics_family(dg_metrics_t *m, const char *name,
    dg_metric_type_e type, const char *help);

/* One sample: v in a unit of which scale make one base unit (1: v). */
void dg_metrics_value(dg_metrics_t *m, const char *name,
    const dg_label_t *labels, size_t nlabels, uint64_t v, uint64_t scale);

/* A histogram's samples, under labels (nlabels may be 0). */
void dg_metrics_histogram(dg_metrics_t *m, const char *name,
    const dg_label_t *labels, size_t nlabels, const dg_histogram_t *h,
    const dg_buckets_t *b);


/* What a request was for, from its path (CONTRACT.md section 1). */
typedef enum {
    DG_ROUTE_SUBMIT = 0,        /* /v1/dossiers */
    DG_ROUTE_BATCH,             /* /v1/dossiers/batch */
    DG_ROUTE_LOOKUP,            /* /v1/dossiers/{MaHoSo} */
    DG_ROUTE_PROGRESS,          /* /v1/dossiers/{MaHoSo}/progress */
    DG_ROUTE_FEED,              /* /v1/feed */
    DG_ROUTE_STATS,             /* /v1/stats */
    DG_ROUTE_ADMIN,             /* /admin/..., /metrics, /healthz, ... */
    DG_ROUTE_OTHER,
    DG_ROUTES
} dg_route_e;

dg_route_e dg_metrics_route(const char *path, size_t len);
const char *dg_metrics_route_name(dg_route_e route);

/* The status codes counted one by one; any other is "other". */
#define DG_METRICS_CODES  25

size_t dg_metrics_code(unsigned status);          /* 0..CODES - 1 */
const char *dg_metrics_code_name(size_t code);

#endif /* DG_METRICS_H */
