/*
 * The GET endpoints' query strings (dg_query.h, through /v1/feed's and
 * /v1/stats's parsers) and the feed's cursors (dg_feed.h).
 *
 *   - any bytes as either query: valid exactly when no problem is added;
 *     every problem names one of the endpoint's parameters and renders as
 *     a 422 body;
 *   - a valid feed query has a sector of the catalog, a limit of 1-1000
 *     and a wait of 0-30;
 *   - a valid figures query has two real days, from not after to, at most
 *     366 days in all, and no sector or one of the catalog;
 *   - a cursor read from any bytes writes as 22 characters that read back
 *     to the same position; any position writes and reads back.
 */

#include <string.h>

#include "dg_dossier.h"
#include "dg_feed.h"
#include "dg_stats.h"
#include "fuzz.h"


static void
check_pointers(const dg_problems_t *problems, const char *const *names)
{
    size_t              i;
    const char *const  *name;

    for (i = 0; i < problems->n; i++) {
        for (name = names; *name; name++) {
            if (strcmp(problems->items[i].pointer, *name) == 0) {
                break;
            }
        }

        FUZZ_ASSERT(*name != NULL);
    }

    fuzz_check_problems(422, problems);
}


static int
has_sector(const char *sector)
{
    return dg_catalog_has_sector(fuzz_catalog(), sector, strlen(sector));
}


static void
fuzz_feed(const char *args, size_t len)
{
    int                       rc;
    dg_problems_t             problems;
    dg_feed_query_t           q;
    static const char *const  names[] = {
        "/sector", "/after", "/limit", "/wait", NULL
    };

    dg_problems_init(&problems);

    rc = dg_feed_query_parse(args, len, fuzz_catalog(), &q, &problems);

    FUZZ_ASSERT((rc == 0) == (problems.n == 0));
    check_pointers(&problems, names);

    if (rc == 0) {
        FUZZ_ASSERT(has_sector(q.sector));
        FUZZ_ASSERT(q.limit >= 1 && q.limit <= DG_FEED_LIMIT_MAX);
        FUZZ_ASSERT(q.wait <= DG_FEED_WAIT_MAX);
    }

    dg_problems_free(&problems);
}


static void
fuzz_stats(const char *args, size_t len)
{
    int                       rc;
    time_t                    from, to;
    dg_problems_t             problems;
    dg_stats_query_t          q;
    static const char *const  names[] = { "/from", "/to", "/sector", NULL };

    dg_problems_init(&problems);

    rc = dg_stats_query_parse(args, len, fuzz_catalog(), &q, &problems);

    FUZZ_ASSERT((rc == 0) == (problems.n == 0));
    check_pointers(&problems, names);

    if (rc == 0) {
        FUZZ_ASSERT(dg_time_parse(q.from, strlen(q.from), &from) == 0
                    && strlen(q.from) == 8);
        FUZZ_ASSERT(dg_time_parse(q.to, strlen(q.to), &to) == 0
                    && strlen(q.to) == 8);
        FUZZ_ASSERT(from <= to
                    && (to - from) / 86400 + 1 <= DG_STATS_MAX_DAYS);
        FUZZ_ASSERT(q.sector[0] == '\0' || has_sector(q.sector));
    }

    dg_problems_free(&problems);
}


static void
fuzz_cursor(const uint8_t *data, size_t size)
{
    char              text[DG_FEED_CURSOR_LEN + 1];
    size_t            i;
    dg_feed_cursor_t  c, back;

    if (dg_feed_cursor_decode((const char *) data, size, &c) == 0) {
        dg_feed_cursor_encode(&c, text);
        FUZZ_ASSERT(strlen(text) == DG_FEED_CURSOR_LEN);
        FUZZ_ASSERT(dg_feed_cursor_decode(text, DG_FEED_CURSOR_LEN, &back)
                    == 0);
        FUZZ_ASSERT(back.xid == c.xid && back.seq == c.seq);
    }

    /* the first sixteen bytes as a position */
    memset(&c, 0, sizeof(c));

    for (i = 0; i < 16 && i < size; i++) {
        if (i < 8) {
            c.xid = c.xid << 8 | data[i];

        } else {
            c.seq = c.seq << 8 | data[i];
        }
    }

    dg_feed_cursor_encode(&c, text);
    FUZZ_ASSERT(strlen(text) == DG_FEED_CURSOR_LEN);
    FUZZ_ASSERT(dg_feed_cursor_decode(text, DG_FEED_CURSOR_LEN, &back) == 0);
    FUZZ_ASSERT(back.xid == c.xid && back.seq == c.seq);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) {
        return 0;
    }

    fuzz_feed((const char *) data, size);
    fuzz_stats((const char *) data, size);
    fuzz_cursor(data, size);

    return 0;
}
