/*
 * The Prometheus text format (dg_metrics.h).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dg_metrics.h"


/* 2^64 and a fraction of up to 19 digits */
#define DG_METRICS_NUMBER_LEN  48


static const char *const  dg_metrics_types[] = {
    "counter", "gauge", "histogram"
};

static const char *const  dg_metrics_routes[DG_ROUTES] = {
    "submit", "batch", "lookup", "progress", "feed", "stats", "admin",
    "other"
};

/* what the gateway and nginx answer; the last is the rest */
static const unsigned  dg_metrics_codes[DG_METRICS_CODES - 1] = {
    200, 201, 204, 304, 400, 401, 403, 404, 405, 408, 409, 411, 413, 414,
    415, 422, 429, 444, 494, 499, 500, 502, 503, 504
};

static const char *const  dg_metrics_code_names[DG_METRICS_CODES] = {
    "200", "201", "204", "304", "400", "401", "403", "404", "405", "408",
    "409", "411", "413", "414", "415", "422", "429", "444", "494", "499",
    "500", "502", "503", "504", "other"
};


static void dg_metrics_put(dg_metrics_t *m, const char *s, size_t len);
static void dg_metrics_printf(dg_metrics_t *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void dg_metrics_escaped(dg_metrics_t *m, const char *s, int quote);
static void dg_metrics_decimal(char *buf, uint64_t v, uint64_t scale);
static void dg_metrics_labels(dg_metrics_t *m, const dg_label_t *labels,
    size_t nlabels, const char *le);


void
dg_histogram_observe(dg_histogram_t *h, const dg_buckets_t *b, uint64_t v)
{
    size_t  i;

    for (i = 0; i < b->n && v > b->bounds[i]; i++) {
        /* void */
    }

    h->bucket[i]++;
    h->sum += v;
}


uint64_t
dg_metrics_now_us(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}


void
dg_metrics_add(uint64_t *to, const uint64_t *from, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        to[i] += from[i];
    }
}


void
dg_metrics_init(dg_metrics_t *m)
{
    memset(m, 0, sizeof(dg_metrics_t));
}


void
dg_metrics_free(dg_metrics_t *m)
{
    free(m->data);
    dg_metrics_init(m);
}


void
dg_metrics_family(dg_metrics_t *m, const char *name, dg_metric_type_e type,
    const char *help)
{
    dg_metrics_printf(m, "# HELP %s ", name);
    dg_metrics_escaped(m, help, 0);
    dg_metrics_printf(m, "\n# TYPE %s %s\n", name, dg_metrics_types[type]);
}


void
dg_metrics_value(dg_metrics_t *m, const char *name, const dg_label_t *labels,
    size_t nlabels, uint64_t v, uint64_t scale)
{
    char  number[DG_METRICS_NUMBER_LEN];

    dg_metrics_put(m, name, strlen(name));
    dg_metrics_labels(m, labels, nlabels, NULL);
    dg_metrics_decimal(number, v, scale);
    dg_metrics_printf(m, " %s\n", number);
}


void
dg_metrics_histogram(dg_metrics_t *m, const char *name,
    const dg_label_t *labels, size_t nlabels, const dg_histogram_t *h,
    const dg_buckets_t *b)
{
    char      le[DG_METRICS_NUMBER_LEN];
    size_t    i;
    uint64_t  count;

    count = 0;

    for (i = 0; i <= b->n; i++) {
        count += h->bucket[i];

        if (i < b->n) {
            dg_metrics_decimal(le, b->bounds[i], b->scale);

        } else {
            strcpy(le, "+Inf");
        }

        dg_metrics_printf(m, "%s_bucket", name);
        dg_metrics_labels(m, labels, nlabels, le);
        dg_metrics_printf(m, " %llu\n", (unsigned long long) count);
    }

    dg_metrics_printf(m, "%s_sum", name);
    dg_metrics_labels(m, labels, nlabels, NULL);
    dg_metrics_decimal(le, h->sum, b->scale);
    dg_metrics_printf(m, " %s\n%s_count", le, name);
    dg_metrics_labels(m, labels, nlabels, NULL);
    dg_metrics_printf(m, " %llu\n", (unsigned long long) count);
}


dg_route_e
dg_metrics_route(const char *path, size_t len)
{
    size_t  i;

#define dg_metrics_is(s)                                                    \
    (len == sizeof(s) - 1 && memcmp(path, s, sizeof(s) - 1) == 0)
#define dg_metrics_under(s)                                                 \
    (len >= sizeof(s) - 1 && memcmp(path, s, sizeof(s) - 1) == 0)

    if (dg_metrics_is("/v1/dossiers")) {
        return DG_ROUTE_SUBMIT;
    }

    if (dg_metrics_is("/v1/dossiers/batch")) {
        return DG_ROUTE_BATCH;
    }

    if (len > sizeof("/v1/dossiers/") - 1 && dg_metrics_under("/v1/dossiers/"))
    {
        /* MaHoSo may hold '/': progress is the last segment */
        i = sizeof("/progress") - 1;

        if (len > sizeof("/v1/dossiers/") - 1 + i
            && memcmp(path + len - i, "/progress", i) == 0)
        {
            return DG_ROUTE_PROGRESS;
        }

        return DG_ROUTE_LOOKUP;
    }

    if (dg_metrics_is("/v1/feed")) {
        return DG_ROUTE_FEED;
    }

    if (dg_metrics_is("/v1/stats")) {
        return DG_ROUTE_STATS;
    }

    if (dg_metrics_under("/admin/") || dg_metrics_is("/metrics")
        || dg_metrics_is("/healthz") || dg_metrics_is("/readyz"))
    {
        return DG_ROUTE_ADMIN;
    }

#undef dg_metrics_is
#undef dg_metrics_under

    return DG_ROUTE_OTHER;
}


const char *
dg_metrics_route_name(dg_route_e route)
{
    return dg_metrics_routes[route < DG_ROUTES ? route : DG_ROUTE_OTHER];
}


size_t
dg_metrics_code(unsigned status)
{
    size_t  i;

    for (i = 0; i < DG_METRICS_CODES - 1; i++) {
        if (dg_metrics_codes[i] == status) {
            return i;
        }
    }

    return DG_METRICS_CODES - 1;
}


const char *
dg_metrics_code_name(size_t code)
{
    return dg_metrics_code_names[code < DG_METRICS_CODES
                                 ? code : DG_METRICS_CODES - 1];
}


static void
dg_metrics_put(dg_metrics_t *m, const char *s, size_t len)
{
    char    *p;
    size_t   size;

    if (m->failed) {
        return;
    }

    if (m->len + len + 1 > m->size) {
        size = m->size ? 2 * m->size : 4096;

        while (size < m->len + len + 1) {
            size *= 2;
        }

        p = realloc(m->data, size);
        if (p == NULL) {
            m->failed = 1;
            return;
        }

        m->data = p;
        m->size = size;
    }

    memcpy(m->data + m->len, s, len);
    m->len += len;
    m->data[m->len] = '\0';
}


static void
dg_metrics_printf(dg_metrics_t *m, const char *fmt, ...)
{
    int      n;
    char     buf[256];
    va_list  args;

    va_start(args, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, args);
    va_end(args);

    if (n < 0 || (size_t) n >= sizeof(buf)) {
        m->failed = 1;              /* only names of ours are formatted */
        return;
    }

    dg_metrics_put(m, buf, n);
}


/* quote: a label value (also '"' escaped), else a HELP text */
static void
dg_metrics_escaped(dg_metrics_t *m, const char *s, int quote)
{
    const char  *p;

    for (p = s; *p; p++) {
        switch (*p) {
        case '\\':
            dg_metrics_put(m, "\\\\", 2);
            break;
        case '\n':
            dg_metrics_put(m, "\\n", 2);
            break;
        case '"':
            dg_metrics_put(m, quote ? "\\\"" : "\"", quote ? 2 : 1);
            break;
        default:
            dg_metrics_put(m, p, 1);
        }
    }
}


/* v / scale in decimal, exactly, without trailing zeros: 1500 / 10^6 is
 * "0.0015", 2000 / 1000 is "2" */
static void
dg_metrics_decimal(char *buf, uint64_t v, uint64_t scale)
{
    int       digits;
    size_t    n;
    uint64_t  s;

    n = snprintf(buf, DG_METRICS_NUMBER_LEN, "%llu",
                 (unsigned long long) (scale > 1 ? v / scale : v));

    if (scale <= 1 || v % scale == 0) {
        return;
    }

    for (digits = 0, s = scale; s > 1; s /= 10) {
        digits++;
    }

    n += snprintf(buf + n, DG_METRICS_NUMBER_LEN - n, ".%0*llu", digits,
                  (unsigned long long) (v % scale));

    while (buf[n - 1] == '0') {
        buf[--n] = '\0';
    }
}


static void
dg_metrics_labels(dg_metrics_t *m, const dg_label_t *labels, size_t nlabels,
    const char *le)
{
    size_t  i;

    if (nlabels == 0 && le == NULL) {
        return;
    }

    dg_metrics_put(m, "{", 1);

    for (i = 0; i < nlabels; i++) {
        dg_metrics_printf(m, "%s%s=\"", i ? "," : "", labels[i].name);
        dg_metrics_escaped(m, labels[i].value, 1);
        dg_metrics_put(m, "\"", 1);
    }

    if (le) {
        dg_metrics_printf(m, "%sle=\"%s\"", nlabels ? "," : "", le);
    }

    dg_metrics_put(m, "}", 1);
}
