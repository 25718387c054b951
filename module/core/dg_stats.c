/*
 * The figures' parameters and answer (see dg_stats.h).
 */

#include <string.h>

#include <jansson.h>

#include "dg_dossier.h"
#include "dg_query.h"
#include "dg_stats.h"


/* yyyyMMdd as a day number (Unix time / 86400 in UTC+07:00, negative
 * before 1970) in *day; 0, or -1 with the problem reported. */
static int
dg_stats_day(dg_check_t *ck, const char *pointer, const char *value,
    long *day)
{
    int     rc;
    time_t  t;

    rc = dg_time_parse(value, strlen(value), &t);

    if (rc == -1 || strlen(value) != 8) {
        dg_fail(ck, pointer, "format", "Ngày phải có dạng yyyyMMdd",
                "a day must be yyyyMMdd");
        return -1;
    }

    if (rc != 0) {
        dg_fail(ck, pointer, "date", "Ngày không có thật",
                "not a real day");
        return -1;
    }

    /* midnight in Hanoi is 17:00 UTC the day before: a whole number of
     * days, also before 1970 */
    *day = (long) ((t + 7 * 3600) / 86400);

    return 0;
}


int
dg_stats_query_parse(const char *args, size_t len, const dg_catalog_t *cat,
    dg_stats_query_t *q, dg_problems_t *problems)
{
    int               from_ok, to_ok;
    long              from, to;
    char              fbuf[16], tbuf[16], sector[DG_CLIENT_MAX_SECTOR + 2];
    dg_check_t        ck = { problems, 0 };
    dg_query_param_t  params[] = {
        { "from", fbuf, sizeof(fbuf), 0 },
        { "to", tbuf, sizeof(tbuf), 0 },
        { "sector", sector, sizeof(sector), 0 },
    };

    memset(q, 0, sizeof(dg_stats_query_t));

    dg_query_parse(args, len, params, sizeof(params) / sizeof(params[0]),
                   &ck);

    if (params[0].found == 0) {
        dg_fail(&ck, "/from", "required", "Thiếu ngày bắt đầu",
                "the from parameter is required");
    }

    from_ok = params[0].found > 0
              && dg_stats_day(&ck, "/from", fbuf, &from) == 0;

    if (params[1].found == 0) {
        dg_fail(&ck, "/to", "required", "Thiếu ngày kết thúc",
                "the to parameter is required");
    }

    to_ok = params[1].found > 0 && dg_stats_day(&ck, "/to", tbuf, &to) == 0;

    if (from_ok && to_ok) {
        if (to < from) {
            dg_fail(&ck, "/to", "date.order",
                    "Ngày kết thúc trước ngày bắt đầu",
                    "to is before from");

        } else if (to - from + 1 > DG_STATS_MAX_DAYS) {
            dg_fail(&ck, "/to", "range",
                    "Khoảng thời gian dài hơn %d ngày",
                    "more than %d days", DG_STATS_MAX_DAYS);

        } else {
            memcpy(q->from, fbuf, 9);
            memcpy(q->to, tbuf, 9);
        }
    }

    if (params[2].found > 0) {
        if (dg_catalog_has_sector(cat, sector, strlen(sector))) {
            memcpy(q->sector, sector, strlen(sector) + 1);

        } else {
            dg_fail(&ck, "/sector", "sector.unknown",
                    "Lĩnh vực %s không có trong danh mục",
                    "sector %s is not in the catalog", sector);
        }
    }

    return ck.nfail ? -1 : 0;
}


long long
dg_stats_share(long long num, long long den)
{
    if (den <= 0) {
        return 0;
    }

    return (num * 20000 + den) / (2 * den);
}


/* A share as a JSON number: 4 decimals at most, printed short (0.67). */
static json_t *
dg_stats_share_json(long long num, long long den)
{
    return json_real((double) dg_stats_share(num, den) / 10000);
}


/* The figures of one row into obj. */
static int
dg_stats_figures(json_t *obj, const dg_stats_row_t *r)
{
    return json_object_set_new(obj, "received", json_integer(r->received))
           | json_object_set_new(obj, "online", json_integer(r->online))
           | json_object_set_new(obj, "online_share",
                 dg_stats_share_json(r->online, r->received))
           | json_object_set_new(obj, "resolved", json_integer(r->resolved))
           | json_object_set_new(obj, "resolved_on_time",
                 json_integer(r->resolved_on_time))
           | json_object_set_new(obj, "on_time_share",
                 dg_stats_share_json(r->resolved_on_time, r->resolved))
           | json_object_set_new(obj, "overdue", json_integer(r->overdue))
           | json_object_set_new(obj, "in_progress",
                 json_integer(r->in_progress))
           | json_object_set_new(obj, "closed_other",
                 json_integer(r->closed_other));
}


char *
dg_stats_json(const dg_stats_query_t *q, const dg_stats_row_t *rows,
    size_t n, time_t as_of)
{
    int              rc;
    char             at[32], *text;
    size_t           i;
    json_t          *root, *list, *item;
    dg_stats_row_t   total;

    root = json_object();
    list = q->sector[0] ? NULL : json_array();

    if (root == NULL || (q->sector[0] == '\0' && list == NULL)) {
        json_decref(root);
        json_decref(list);
        return NULL;
    }

    memset(&total, 0, sizeof(dg_stats_row_t));
    rc = 0;

    for (i = 0; i < n; i++) {
        total.received += rows[i].received;
        total.online += rows[i].online;
        total.resolved += rows[i].resolved;
        total.resolved_on_time += rows[i].resolved_on_time;
        total.closed_other += rows[i].closed_other;
        total.in_progress += rows[i].in_progress;
        total.overdue += rows[i].overdue;

        if (list) {
            item = json_object();
            rc |= item == NULL
                  || json_object_set_new(item, "sector",
                                         json_string(rows[i].sector))
                  || dg_stats_figures(item, &rows[i])
                  || json_array_append_new(list, item);
        }
    }

    dg_time_rfc3339(as_of, at);

    rc |= json_object_set_new(root, "from", json_string(q->from))
          | json_object_set_new(root, "to", json_string(q->to));

    if (q->sector[0]) {
        rc |= json_object_set_new(root, "sector", json_string(q->sector));
    }

    rc |= dg_stats_figures(root, &total)
          | json_object_set_new(root, "as_of", json_string(at));

    if (list) {
        rc |= json_object_set_new(root, "by_sector", list);
    }

    text = rc ? NULL : json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER
                                        | JSON_REAL_PRECISION(6));
    json_decref(root);

    return text;
}
