/*
 * The 12-digit personal ID (CCCD): PPP G YY NNNNNN.  PPP is the province
 * of birth registration (Circular 07/2016/TT-BCA, Appendix I), G the
 * century and gender (0/1 1900s male/female, 2/3 2000s, ... 8/9 2300s),
 * YY the last two digits of the birth year.
 */

#include <stdio.h>
#include <string.h>

#include "dg_dossier.h"


/* The 63 province codes of Circular 07/2016/TT-BCA, Appendix I. */
static const unsigned char  dg_cccd_provinces[] = {
     1,  2,  4,  6,  8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25,
    26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48,
    49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75,
    77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96
};


int
dg_cccd_province_known(const char *code3)
{
    int     code;
    size_t  i;

    code = 0;

    /* stops at a NUL too, so a shorter string is never read past */
    for (i = 0; i < 3; i++) {
        if (code3[i] < '0' || code3[i] > '9') {
            return 0;
        }

        code = code * 10 + (code3[i] - '0');
    }

    for (i = 0; i < sizeof(dg_cccd_provinces); i++) {
        if (dg_cccd_provinces[i] == code) {
            return 1;
        }
    }

    return 0;
}


/* 1 when January 1st of year (in Asia/Ho_Chi_Minh) is still to come. */
static int
dg_cccd_year_ahead(int year, time_t now)
{
    char    buf[16];
    time_t  jan1;

    snprintf(buf, sizeof(buf), "%04d0101", year);

    return dg_time_parse(buf, 8, &jan1) == 0 && jan1 > now;
}


int
dg_cccd_century(const char *id)
{
    /* G: 0/1 the 1900s, 2/3 the 2000s, ... 8/9 the 2300s */
    return 1900 + (id[3] - '0') / 2 * 100;
}


int
dg_cccd_check(const char *id, const char *birth_date, int gender,
    time_t now, const char *pointer, dg_problems_t *problems)
{
    int     n, g, yy, century, year, century_ok;
    time_t  t;

    if (strlen(id) != 12 || strspn(id, "0123456789") != 12) {
        dg_problems_add(problems, pointer, "format",
                        "Số định danh cá nhân phải gồm 12 chữ số",
                        "a personal ID must be 12 digits");
        return 1;
    }

    n = 0;

    if (!dg_cccd_province_known(id)) {
        dg_problems_add(problems, pointer, "cccd.province",
                        "Mã tỉnh %.3s không hợp lệ",
                        "unknown province code %.3s", id);
        n++;
    }

    g = id[3] - '0';
    century = dg_cccd_century(id);
    yy = (id[4] - '0') * 10 + (id[5] - '0');

    /* a birth date that is not a real yyyyMMdd has its own problem */
    year = -1;

    if (birth_date != NULL && strlen(birth_date) == 8
        && dg_time_parse(birth_date, 8, &t) == 0)
    {
        year = (birth_date[0] - '0') * 1000 + (birth_date[1] - '0') * 100
               + (birth_date[2] - '0') * 10 + (birth_date[3] - '0');
    }

    century_ok = 0;

    if (dg_cccd_year_ahead(century, now)) {
        dg_problems_add(problems, pointer, "cccd.century",
                        "Chữ số thế kỷ %d chỉ thế kỷ bắt đầu năm %d, "
                        "chưa tới",
                        "century digit %d means a century starting in %d, "
                        "still to come", g, century);
        n++;

    } else if (year != -1 && year / 100 * 100 != century) {
        dg_problems_add(problems, pointer, "cccd.century",
                        "Chữ số thế kỷ %d không khớp năm sinh %d",
                        "century digit %d disagrees with birth year %d",
                        g, year);
        n++;

    } else {
        century_ok = 1;
    }

    if (year != -1 && year % 100 != yy) {
        dg_problems_add(problems, pointer, "cccd.birth_year",
                        "Năm sinh %02d không khớp ngày sinh (%d)",
                        "birth year %02d disagrees with the birth date (%d)",
                        yy, year);
        n++;

    } else if (century_ok && dg_cccd_year_ahead(century + yy, now)) {
        dg_problems_add(problems, pointer, "cccd.birth_year",
                        "Năm sinh %d ở tương lai",
                        "birth year %d is in the future", century + yy);
        n++;
    }

    if (gender != 0 && gender != (g % 2 == 0 ? 1 : 2)) {
        dg_problems_add(problems, pointer, "cccd.gender",
                        "Giới tính không khớp chữ số %d của số định danh",
                        "gender disagrees with digit %d of the personal ID",
                        g);
        n++;
    }

    return n;
}
