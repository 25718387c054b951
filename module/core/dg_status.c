/*
 * Portal status codes, their transitions, and the status view.
 */

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "dg_dossier.h"
#include "dg_status.h"


/*
 * dg_status_next[from] is the set of statuses reachable from `from`, one
 * bit each.  A dossier moves forward and may skip steps (a processing
 * system that receives and processes in one go posts 1 -> 4, one that
 * returns the result at once 4 -> 10: CONTRACT.md section 6 counts a
 * dossier "first moved to 9 (or to 10)"), or stay with another record
 * (a note); it never goes back to new (1) or received (2); refused (3),
 * withdrawn (7), stopped (8) and returned (10) are final, and resolved
 * (9) only returns its result.
 */
#define B(s)  (1u << (s))

/* processing (4) and every status after it */
#define DG_STATUS_ONWARD  (B(4) | B(5) | B(6) | B(7) | B(8) | B(9) | B(10))

static const unsigned  dg_status_next[DG_STATUS_MAX + 1] = {
    [1]  = B(1) | B(2) | B(3) | DG_STATUS_ONWARD,
    [2]  = B(2) | DG_STATUS_ONWARD,
    [4]  = DG_STATUS_ONWARD,
    [5]  = DG_STATUS_ONWARD,
    [6]  = DG_STATUS_ONWARD,
    [9]  = B(10),
    /* 3, 7, 8, 10: final */
};

#undef DG_STATUS_ONWARD
#undef B


int
dg_status_allowed(int from, int to)
{
    if (from < DG_STATUS_MIN || from > DG_STATUS_MAX
        || to < DG_STATUS_MIN || to > DG_STATUS_MAX)
    {
        return 0;
    }

    return (dg_status_next[from] >> to) & 1;
}


int
dg_status_final(int s)
{
    return s >= DG_STATUS_MIN && s <= DG_STATUS_MAX && dg_status_next[s] == 0;
}


int
dg_status_sources(int to, char *out, size_t size)
{
    int     from, n;
    size_t  len;

    n = 0;
    len = (size_t) snprintf(out, size, "{");

    for (from = DG_STATUS_MIN; from <= DG_STATUS_MAX && len < size; from++) {
        if (dg_status_allowed(from, to)) {
            len += (size_t) snprintf(out + len, size - len, "%s%d",
                                     n ? "," : "", from);
            n++;
        }
    }

    if (len < size) {
        snprintf(out + len, size - len, "}");
    }

    return n;
}


void
dg_time_wire(time_t t, char *buf)
{
    char  rfc[32];

    /* from "2026-11-24T09:30:00+07:00" */
    dg_time_rfc3339(t, rfc);
    snprintf(buf, 15, "%.4s%.2s%.2s%.2s%.2s%.2s", rfc, rfc + 5, rfc + 8,
             rfc + 11, rfc + 14, rfc + 17);
}


static json_t *
dg_status_accepted(const dg_status_t *s)
{
    char  received[32];

    dg_time_rfc3339(s->received_at, received);

    return json_pack("{s:I, s:s, s:s, s:s}",
                     "id", (json_int_t) s->id,
                     "MaHoSo", s->ma_ho_so,
                     "status", "accepted",
                     "received_at", received);
}


static json_t *
dg_status_lookup(const dg_status_t *s)
{
    char     tn[15], ht[15], tr[15], received[32], updated[32];
    json_t  *o;

    dg_time_wire(s->ngay_tiep_nhan, tn);
    dg_time_wire(s->ngay_hen_tra, ht);
    dg_time_rfc3339(s->received_at, received);
    dg_time_rfc3339(s->updated_at, updated);

    o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}",
                  "MaHoSo", s->ma_ho_so,
                  "MaTTHC", s->ma_tthc,
                  "MaLinhVuc", s->ma_linh_vuc,
                  "TrangThaiHoSo", s->trang_thai,
                  "NgayTiepNhan", tn,
                  "NgayHenTra", ht);
    if (o == NULL) {
        return NULL;
    }

    if (s->ngay_tra) {
        dg_time_wire(s->ngay_tra, tr);
        json_object_set_new(o, "NgayTra", json_string(tr));
    }

    json_object_set_new(o, "received_at", json_string(received));
    json_object_set_new(o, "updated_at", json_string(updated));

    return o;
}


char *
dg_status_json(const dg_status_t *s, dg_status_view_e view)
{
    char    *text;
    json_t  *o;

    o = view == DG_STATUS_VIEW_ACCEPTED ? dg_status_accepted(s)
                                        : dg_status_lookup(s);
    if (o == NULL) {
        return NULL;
    }

    text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);

    return text;
}
