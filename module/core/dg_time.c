/*
 * Wire times in Asia/Ho_Chi_Minh, a fixed UTC+07:00.  The calendar math is
 * done here (days from the civil date and back, H. Hinnant's algorithms)
 * rather than with TZ, localtime or mktime: no process-wide state, and no
 * dependency on the host's zone database.
 */

#include <stdint.h>
#include <stdio.h>

#include "dg_dossier.h"


#define DG_DAY  86400


static int64_t
dg_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


static void
dg_civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
    int64_t  era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}


/* n ASCII digits as a number, or -1 when one is not a digit. */
static int
dg_time_digits(const char *s, size_t n)
{
    int     v;
    size_t  i;

    v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        v = v * 10 + (s[i] - '0');
    }

    return v;
}


int
dg_time_parse(const char *s, size_t len, time_t *out)
{
    int               y, mo, d, h, mi, sec, mdays;
    static const int  days[] = { 31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31 };

    if (len != 8 && len != 14) {
        return -1;
    }

    y = dg_time_digits(s, 4);
    mo = dg_time_digits(s + 4, 2);
    d = dg_time_digits(s + 6, 2);

    if (len == 14) {
        h = dg_time_digits(s + 8, 2);
        mi = dg_time_digits(s + 10, 2);
        sec = dg_time_digits(s + 12, 2);

    } else {
        h = 0;
        mi = 0;
        sec = 0;
    }

    if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) {
        return -1;
    }

    if (y < 1900 || mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59) {
        return -2;
    }

    mdays = days[mo - 1];

    if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        mdays = 29;
    }

    if (d < 1 || d > mdays) {
        return -2;
    }

    *out = (time_t) (dg_days_from_civil(y, mo, d) * DG_DAY
                     + h * 3600 + mi * 60 + sec - DG_TZ_OFFSET_SECONDS);

    return 0;
}


void
dg_time_rfc3339(time_t t, char *buf)
{
    int64_t  local, days, secs, y, m, d;

    local = (int64_t) t + DG_TZ_OFFSET_SECONDS;

    /* floor division, so times before 1970 land on the right day */
    days = local / DG_DAY;
    secs = local % DG_DAY;

    if (secs < 0) {
        secs += DG_DAY;
        days--;
    }

    dg_civil_from_days(days, &y, &m, &d);

    snprintf(buf, 26, "%04d-%02d-%02dT%02d:%02d:%02d+07:00",
             (int) y, (int) m, (int) d, (int) (secs / 3600),
             (int) (secs / 60 % 60), (int) (secs % 60));
}
