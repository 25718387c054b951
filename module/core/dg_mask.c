/*
 * Personal ID and phone number masking; the rules are in dg_mask.h.
 */

#include <string.h>

#include "dg_mask.h"


static int
dg_mask_is_digit(char c)
{
    return c >= '0' && c <= '9';
}


void
dg_mask(char *buf, size_t len)
{
    char    *p;
    size_t   i, start, n;

    i = 0;

    while (i < len) {
        if (!dg_mask_is_digit(buf[i])) {
            i++;
            continue;
        }

        start = i;

        while (i < len && dg_mask_is_digit(buf[i])) {
            i++;
        }

        p = buf + start;
        n = i - start;

        if (n == 12) {
            memset(p + 3, '*', 6);

        } else if (n == 10 && p[0] == '0') {
            memset(p + 3, '*', 5);

        } else if (n == 11 && p[0] == '8' && p[1] == '4') {
            memset(p + 4, '*', 5);
        }
    }
}
