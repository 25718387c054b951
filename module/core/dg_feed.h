/*
 * GET /v1/feed (CONTRACT.md section 6): its parameters, its cursors and
 * its JSON answer.
 *
 * A position in a sector's feed is the pair (xid, seq) of the last item
 * read: the writing transaction's id (PostgreSQL xid8) and the item's
 * sequence number (sql/migrations/0004_feed_stats_owner.sql says why that
 * pair, read below the snapshot's horizon, misses nothing).  On the wire
 * it is opaque: the two numbers as 16 big-endian bytes in base64url
 * without padding, 22 characters.  (0, 0) is the start of the feed.
 */

#ifndef DG_FEED_H
#define DG_FEED_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dg_catalog.h"
#include "dg_check.h"
#include "dg_clients.h"
#include "dg_problem.h"


#define DG_FEED_CURSOR_LEN     22
#define DG_FEED_LIMIT_DEFAULT  100
#define DG_FEED_LIMIT_MAX      1000
#define DG_FEED_WAIT_MAX       30


typedef struct {
    uint64_t  xid;
    uint64_t  seq;
} dg_feed_cursor_t;

/* out has room for DG_FEED_CURSOR_LEN + 1 bytes. */
void dg_feed_cursor_encode(const dg_feed_cursor_t *c, char *out);

/* Returns 0, or -1 when s is not a cursor this gateway wrote. */
int dg_feed_cursor_decode(const char *s, size_t len, dg_feed_cursor_t *c);

/* The problem of an "after" that is not a cursor of the sector's feed:
 * not one this gateway wrote, or (PostgreSQL tells) another sector's. */
void dg_feed_cursor_refused(dg_check_t *ck);


typedef struct {
    char              sector[DG_CLIENT_MAX_SECTOR + 1];
    dg_feed_cursor_t  after;          /* (0, 0) without "after" */
    unsigned          limit;
    unsigned          wait;           /* seconds */
} dg_feed_query_t;

/*
 * The query string (after '?'): sector (required, in the catalog:
 * "sector.unknown"), after ("cursor"), limit 1-1000, wait 0-30.  Returns
 * 0 when valid, -1 when problems were added.
 */
int dg_feed_query_parse(const char *args, size_t len,
    const dg_catalog_t *cat, dg_feed_query_t *q, dg_problems_t *problems);


typedef struct {
    dg_feed_cursor_t   cursor;
    int                progress;      /* 0: "submitted", 1: "progress" */
    long long          id;
    const char        *ma_ho_so;
    int                trang_thai;
    long long          version;
    time_t             at;
    const char        *payload;       /* JSON text: dossier or record */
    size_t             payload_len;
} dg_feed_item_t;

/*
 * The answer: {"sector", "items": [{"cursor", "event", "id", "MaHoSo",
 * "TrangThaiHoSo", "version", "at", "dossier"|"progress"}], "next"}, next
 * being the last item's cursor or, with no item, after.  Returns malloc'ed
 * text (*len its length), or NULL when out of memory.
 */
char *dg_feed_json(const char *sector, const dg_feed_item_t *items,
    size_t n, const dg_feed_cursor_t *after, size_t *len);

#endif /* DG_FEED_H */
