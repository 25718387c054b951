/*
 * The change feed's parameters, cursors and answer (see dg_feed.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_dossier.h"
#include "dg_feed.h"
#include "dg_query.h"


static const char  dg_feed_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


void
dg_feed_cursor_encode(const dg_feed_cursor_t *c, char *out)
{
    int            i;
    unsigned       bits, v;
    unsigned char  raw[16];

    for (i = 0; i < 8; i++) {
        raw[i] = (unsigned char) (c->xid >> (56 - 8 * i));
        raw[8 + i] = (unsigned char) (c->seq >> (56 - 8 * i));
    }

    bits = 0;
    v = 0;

    for (i = 0; i < 16; i++) {
        v = (v << 8) | raw[i];
        bits += 8;

        while (bits >= 6) {
            bits -= 6;
            *out++ = dg_feed_b64[(v >> bits) & 0x3f];
        }
    }

    /* 128 bits: 21 characters and 2 bits left, padded with zeros */
    *out++ = dg_feed_b64[(v << (6 - bits)) & 0x3f];
    *out = '\0';
}


int
dg_feed_cursor_decode(const char *s, size_t len, dg_feed_cursor_t *c)
{
    int            i, n;
    unsigned       bits, v;
    const char    *p;
    unsigned char  raw[16];

    if (len != DG_FEED_CURSOR_LEN) {
        return -1;
    }

    bits = 0;
    v = 0;
    n = 0;

    for (i = 0; i < DG_FEED_CURSOR_LEN; i++) {
        if (s[i] == '\0' || (p = strchr(dg_feed_b64, s[i])) == NULL) {
            return -1;
        }

        v = (v << 6) | (unsigned) (p - dg_feed_b64);
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            raw[n++] = (unsigned char) (v >> bits);
        }
    }

    /* the 4 padding bits are zero in a cursor we wrote */
    if ((v & ((1u << bits) - 1)) != 0) {
        return -1;
    }

    c->xid = 0;
    c->seq = 0;

    for (i = 0; i < 8; i++) {
        c->xid = (c->xid << 8) | raw[i];
        c->seq = (c->seq << 8) | raw[8 + i];
    }

    return 0;
}


void
dg_feed_cursor_refused(dg_check_t *ck)
{
    dg_fail(ck, "/after", "cursor", "Con trỏ không hợp lệ",
            "not a cursor of this feed");
}


int
dg_feed_query_parse(const char *args, size_t len, const dg_catalog_t *cat,
    dg_feed_query_t *q, dg_problems_t *problems)
{
    char              sector[DG_CLIENT_MAX_SECTOR + 2];
    char              after[DG_FEED_CURSOR_LEN + 2], limit[16], wait[16];
    dg_check_t        ck = { problems, 0 };
    dg_query_param_t  params[] = {
        { "sector", sector, sizeof(sector), 0 },
        { "after", after, sizeof(after), 0 },
        { "limit", limit, sizeof(limit), 0 },
        { "wait", wait, sizeof(wait), 0 },
    };

    memset(q, 0, sizeof(dg_feed_query_t));
    q->limit = DG_FEED_LIMIT_DEFAULT;

    dg_query_parse(args, len, params, sizeof(params) / sizeof(params[0]),
                   &ck);

    if (params[0].found == 0) {
        dg_fail(&ck, "/sector", "required", "Thiếu tham số lĩnh vực",
                "the sector parameter is required");

    } else if (params[0].found > 0) {
        if (dg_catalog_has_sector(cat, sector, strlen(sector))) {
            memcpy(q->sector, sector, strlen(sector) + 1);

        } else {
            dg_fail(&ck, "/sector", "sector.unknown",
                    "Lĩnh vực %s không có trong danh mục",
                    "sector %s is not in the catalog", sector);
        }
    }

    if (params[1].found > 0
        && dg_feed_cursor_decode(after, strlen(after), &q->after) != 0)
    {
        dg_feed_cursor_refused(&ck);
    }

    if (params[2].found > 0) {
        (void) dg_query_integer(&ck, &params[2], 1, DG_FEED_LIMIT_MAX,
                                &q->limit);
    }

    if (params[3].found > 0) {
        (void) dg_query_integer(&ck, &params[3], 0, DG_FEED_WAIT_MAX,
                                &q->wait);
    }

    return ck.nfail ? -1 : 0;
}


/* A JSON string of s (quotes included) at p; room for 6 * len + 2. */
static char *
dg_feed_string(char *p, const char *s)
{
    *p++ = '"';

    for ( ; *s; s++) {
        if (*s == '"' || *s == '\\') {
            *p++ = '\\';
            *p++ = *s;

        } else if ((unsigned char) *s < 0x20) {
            p += sprintf(p, "\\u%04x", (unsigned char) *s);

        } else {
            *p++ = *s;
        }
    }

    *p++ = '"';

    return p;
}


char *
dg_feed_json(const char *sector, const dg_feed_item_t *items, size_t n,
    const dg_feed_cursor_t *after, size_t *len)
{
    char                  *json, *p, at[32], cursor[DG_FEED_CURSOR_LEN + 1];
    size_t                 i, size;
    const dg_feed_item_t  *it;

    size = sizeof("{\"sector\":,\"items\":[],\"next\":\"\"}")
           + 6 * strlen(sector) + 2 + DG_FEED_CURSOR_LEN;

    for (i = 0; i < n; i++) {
        /* the members' names, the numbers, the cursor and the time */
        size += 256 + 6 * strlen(items[i].ma_ho_so) + items[i].payload_len;
    }

    json = malloc(size);
    if (json == NULL) {
        return NULL;
    }

    p = json;
    p += sprintf(p, "{\"sector\":");
    p = dg_feed_string(p, sector);
    p += sprintf(p, ",\"items\":[");

    for (i = 0; i < n; i++) {
        it = &items[i];
        dg_feed_cursor_encode(&it->cursor, cursor);
        dg_time_rfc3339(it->at, at);

        p += sprintf(p, "%s{\"cursor\":\"%s\",\"event\":\"%s\",\"id\":%lld,"
                     "\"MaHoSo\":", i ? "," : "", cursor,
                     it->progress ? "progress" : "submitted", it->id);
        p = dg_feed_string(p, it->ma_ho_so);
        p += sprintf(p, ",\"TrangThaiHoSo\":%d,\"version\":%lld,"
                     "\"at\":\"%s\",\"%s\":", it->trang_thai, it->version,
                     at, it->progress ? "progress" : "dossier");
        memcpy(p, it->payload, it->payload_len);
        p += it->payload_len;
        *p++ = '}';
    }

    dg_feed_cursor_encode(n ? &items[n - 1].cursor : after, cursor);
    p += sprintf(p, "],\"next\":\"%s\"}", cursor);

    *len = (size_t) (p - json);

    return json;
}
