/*
 * GET /v1/stats (CONTRACT.md section 6): the city's figures over the
 * dossiers received from one day to another, per sector.
 *
 * The counting itself is PostgreSQL's (sql/migrations/0004_feed_stats_
 * owner.sql keeps counters per day and sector); here are the parameters
 * and the answer: totals, shares and, for several sectors, by_sector.
 */

#ifndef DG_STATS_H
#define DG_STATS_H

#include <stddef.h>
#include <time.h>

#include "dg_catalog.h"
#include "dg_clients.h"
#include "dg_problem.h"


#define DG_STATS_MAX_DAYS  366


typedef struct {
    char    from[9];                  /* yyyyMMdd */
    char    to[9];
    char    sector[DG_CLIENT_MAX_SECTOR + 1];   /* "": all readable */
} dg_stats_query_t;

/*
 * The query string (after '?'): from and to (required, real days, from
 * not after to: "date.order", at most 366 days: "range"), sector
 * (optional, in the catalog: "sector.unknown").  Returns 0 when valid,
 * -1 when problems were added.
 */
int dg_stats_query_parse(const char *args, size_t len,
    const dg_catalog_t *cat, dg_stats_query_t *q, dg_problems_t *problems);


typedef struct {
    const char  *sector;
    long long    received;
    long long    online;              /* KenhThucHien 2 */
    long long    resolved;            /* status 9 or 10 */
    long long    resolved_on_time;
    long long    closed_other;        /* 3, 7, 8 */
    long long    in_progress;
    long long    overdue;
} dg_stats_row_t;

/*
 * The answer: for one sector (q->sector set, one row) its figures with
 * "sector"; otherwise the totals of the rows and "by_sector", each row's
 * figures.  Shares are rounded to 4 decimals, 0 when nothing is counted
 * under them.  as_of is the time the figures are as of.  Returns
 * malloc'ed text, or NULL when out of memory.
 */
char *dg_stats_json(const dg_stats_query_t *q, const dg_stats_row_t *rows,
    size_t n, time_t as_of);

/* A share in ten-thousandths, rounded half up; 0 when den is 0. */
long long dg_stats_share(long long num, long long den);

#endif /* DG_STATS_H */
