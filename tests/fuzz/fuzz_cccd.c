/*
 * Personal IDs (dg_cccd_check): PPP G YY NNNNNN checked against a birth
 * date and a gender, every problem rendered as problem+json.
 *
 * Read independently here: an ID accepted has 12 digits, a century digit
 * G whose century (1900 + G / 2 * 100) has begun, agrees with the birth
 * date's century and year when there is a real one, and with the gender
 * when there is one (even G men, odd G women); the birth year is not
 * ahead.  A 12-digit ID's only problems are those rules' and the
 * province's, each named once.
 */

#include <string.h>
#include <time.h>

#include "dg_dossier.h"
#include "fuzz.h"


#define NOW  FUZZ_NOW           /* 2025 */


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             n, g, gender, century, year, yy;
    char           *id, *birth;
    size_t          i;
    time_t          t;
    fuzz_in_t       in;
    dg_problems_t   p;

    if (size == 0 || size > 256) {
        return 0;
    }

    in.p = data;
    in.n = size;

    gender = fuzz_u8(&in) % 4;      /* 3: the birth date is absent */

    id = fuzz_field_dup(&in, '\n');
    birth = fuzz_field_dup(&in, '\n');

    dg_problems_init(&p);

    n = dg_cccd_check(id, gender == 3 ? NULL : birth, gender == 3 ? 0 : gender,
                      NOW, "/SoGiayToChuHoSo", &p);

    FUZZ_ASSERT(n >= 0 && (size_t) n == p.n);
    fuzz_check_problems(422, &p);

    if (strlen(id) != 12 || strspn(id, "0123456789") != 12) {
        FUZZ_ASSERT(n == 1 && strcmp(p.items[0].code, "format") == 0);
        goto done;
    }

    for (i = 0; i < p.n; i++) {
        FUZZ_ASSERT(strcmp(p.items[i].code, "cccd.province") == 0
                    || strcmp(p.items[i].code, "cccd.century") == 0
                    || strcmp(p.items[i].code, "cccd.birth_year") == 0
                    || strcmp(p.items[i].code, "cccd.gender") == 0);
        FUZZ_ASSERT(i == 0
                    || strcmp(p.items[i].code, p.items[i - 1].code) != 0);
        FUZZ_ASSERT(strcmp(p.items[i].pointer, "/SoGiayToChuHoSo") == 0);
    }

    if (n > 0) {
        goto done;
    }

    g = id[3] - '0';
    century = 1900 + g / 2 * 100;
    yy = (id[4] - '0') * 10 + (id[5] - '0');

    /* 2025: the 1900s and 2000s have begun, and not the years after now */
    FUZZ_ASSERT(century <= 2000 && century + yy <= 2025);

    if (gender == 1 || gender == 2) {
        FUZZ_ASSERT(g % 2 == gender - 1);
    }

    if (gender != 3 && strlen(birth) == 8
        && dg_time_parse(birth, 8, &t) == 0)
    {
        year = (birth[0] - '0') * 1000 + (birth[1] - '0') * 100
               + (birth[2] - '0') * 10 + (birth[3] - '0');
        FUZZ_ASSERT(year / 100 * 100 == century && year % 100 == yy);
    }

done:

    dg_problems_free(&p);
    free(id);
    free(birth);

    return 0;
}
