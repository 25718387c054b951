/*
 * The portal's times (dg_time_parse, dg_time_wire, dg_time_rfc3339):
 * yyyyMMdd[HHmmss] in Asia/Ho_Chi_Minh, checked against the C library's
 * timegm and gmtime_r.
 *
 *   - a time accepted is a real date and time (timegm does not have to
 *     normalise it), from 1900 on, and prints back as it was read;
 *   - one refused as not real (-2) is all digits and the C library
 *     disagrees with it; one refused by shape (-1) has the wrong length
 *     or a byte that is no digit;
 *   - any Unix time of years 1900-9999 prints as gmtime_r says, and
 *     reads back to itself.
 */

#include <string.h>
#include <time.h>

#include "dg_dossier.h"
#include "dg_status.h"
#include "fuzz.h"


#define TZ        (7 * 3600)
#define FIRST     (-2208988800LL - TZ)          /* 1900-01-01 +07:00 */
#define LAST      (253402300799LL - TZ)         /* 9999-12-31 23:59:59 */


static int
num(const char *s, size_t n)
{
    int  v;

    for (v = 0; n > 0; s++, n--) {
        v = v * 10 + (*s - '0');
    }

    return v;
}


static void
fuzz_parse(const char *s, size_t len)
{
    int        rc, digits;
    char       wire[15], rfc[32], want[32];
    size_t     i;
    time_t     t, ref;
    struct tm  tm;

    rc = dg_time_parse(s, len, &t);

    for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        /* void */
    }

    digits = i == len;

    if (len != 8 && len != 14) {
        FUZZ_ASSERT(rc == -1);
        return;
    }

    if (!digits) {
        FUZZ_ASSERT(rc == -1);
        return;
    }

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = num(s, 4) - 1900;
    tm.tm_mon = num(s + 4, 2) - 1;
    tm.tm_mday = num(s + 6, 2);

    if (len == 14) {
        tm.tm_hour = num(s + 8, 2);
        tm.tm_min = num(s + 10, 2);
        tm.tm_sec = num(s + 12, 2);
    }

    ref = timegm(&tm);

    /* timegm normalises 20230229 to March 1st, 24:00 to the next day */
    digits = num(s, 4) >= 1900 && tm.tm_year == num(s, 4) - 1900
             && tm.tm_mon == num(s + 4, 2) - 1 && tm.tm_mday == num(s + 6, 2)
             && (len == 8 || (tm.tm_hour == num(s + 8, 2)
                              && tm.tm_min == num(s + 10, 2)
                              && tm.tm_sec == num(s + 12, 2)));

    if (!digits) {
        FUZZ_ASSERT(rc == -2);
        return;
    }

    FUZZ_ASSERT(rc == 0 && t == ref - TZ);

    dg_time_wire(t, wire);
    FUZZ_ASSERT(memcmp(wire, s, len) == 0
                && strcmp(wire + len, len == 8 ? "000000" : "") == 0);

    dg_time_rfc3339(t, rfc);
    snprintf(want, sizeof(want), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s+07:00", wire,
             wire + 4, wire + 6, wire + 8, wire + 10, wire + 12);
    FUZZ_ASSERT(strcmp(rfc, want) == 0);
}


static void
fuzz_print(int64_t t)
{
    char       wire[15], rfc[32], want[32];
    time_t     back, local;
    struct tm  tm;

    dg_time_rfc3339((time_t) t, rfc);
    dg_time_wire((time_t) t, wire);
    FUZZ_ASSERT(strlen(rfc) <= 25 && strlen(wire) <= 14);

    if (t < FIRST || t > LAST) {
        return;
    }

    local = (time_t) t + TZ;
    FUZZ_ASSERT(gmtime_r(&local, &tm) != NULL);
    strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S+07:00", &tm);
    FUZZ_ASSERT(strcmp(rfc, want) == 0);

    FUZZ_ASSERT(dg_time_parse(wire, 14, &back) == 0 && back == t);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t    i;
    int64_t   t;
    uint64_t  u;

    if (size > 64) {
        return 0;
    }

    fuzz_parse((const char *) data, size);

    /* the first eight bytes as a time, folded into years 1800-10100 */
    for (i = 0, u = 0; i < 8 && i < size; i++) {
        u = u << 8 | data[i];
    }

    t = (int64_t) (u % (uint64_t) (LAST - FIRST + 2 * 3155760000LL))
        + FIRST - 3155760000LL;

    fuzz_print(t);

    return 0;
}
