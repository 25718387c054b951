/*
 * Query-string parameters (see dg_query.h).
 */

#include <string.h>

#include "dg_query.h"


static int
dg_query_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


/* Decodes s[0..len) into out (size bytes, NUL included): 0, 1 when it
 * did not fit and out holds its first size - 1 bytes, -1 when it is
 * badly encoded or holds a NUL. */
static int
dg_query_decode(const char *s, size_t len, char *out, size_t size)
{
    int     hi, lo, cut;
    char    c;
    size_t  i, n;

    n = 0;
    cut = 0;

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c == '+') {
            c = ' ';

        } else if (c == '%') {
            if (len - i < 3) {
                return -1;
            }

            hi = dg_query_hex(s[i + 1]);
            lo = dg_query_hex(s[i + 2]);
            if (hi < 0 || lo < 0) {
                return -1;
            }

            c = (char) (hi * 16 + lo);
            i += 2;
        }

        if (c == '\0') {
            return -1;
        }

        if (n + 1 >= size) {
            cut = 1;
            continue;
        }

        out[n++] = c;
    }

    out[n] = '\0';

    return cut;
}


unsigned
dg_query_parse(const char *args, size_t len, dg_query_param_t *params,
    size_t n, dg_check_t *ck)
{
    char         name[32];
    size_t       i, nlen;
    unsigned     before;
    const char  *p, *end, *amp, *eq;

    before = ck->nfail;

    for (i = 0; i < n; i++) {
        params[i].found = 0;
        params[i].value[0] = '\0';
    }

    end = args + len;

    for (p = args; p < end; p = amp + 1) {
        amp = memchr(p, '&', (size_t) (end - p));
        if (amp == NULL) {
            amp = end;
        }

        eq = memchr(p, '=', (size_t) (amp - p));
        nlen = (size_t) ((eq ? eq : amp) - p);

        if (nlen == 0 || dg_query_decode(p, nlen, name, sizeof(name)) != 0) {
            continue;
        }

        for (i = 0; i < n; i++) {
            if (strcmp(params[i].name, name) == 0) {
                break;
            }
        }

        if (i == n) {
            continue;
        }

        /* the pointer is "/" and the name, which needs no escaping */
        memmove(name + 1, name, sizeof(name) - 1);
        name[0] = '/';
        name[sizeof(name) - 1] = '\0';

        if (params[i].found != 0) {
            if (params[i].found > 0) {
                dg_fail(ck, name, "duplicate", "Tham số bị lặp lại",
                        "parameter given more than once");
            }

            params[i].found = -1;
            continue;
        }

        /* "name" alone is "name=" (as the WHATWG URL standard reads it);
         * a value cut to size is the caller's to refuse */
        if (eq != NULL
            && dg_query_decode(eq + 1, (size_t) (amp - eq - 1),
                               params[i].value, params[i].size) < 0)
        {
            params[i].value[0] = '\0';
            params[i].found = -1;
            dg_fail(ck, name, "format", "Giá trị tham số không hợp lệ",
                    "badly encoded value");
            continue;
        }

        params[i].found = 1;
    }

    return ck->nfail - before;
}


int
dg_query_integer(dg_check_t *ck, const dg_query_param_t *p, unsigned min,
    unsigned max, unsigned *out)
{
    char           pointer[40];
    size_t         i;
    unsigned long  v;

    pointer[0] = '/';
    strncpy(pointer + 1, p->name, sizeof(pointer) - 2);
    pointer[sizeof(pointer) - 1] = '\0';

    v = 0;

    for (i = 0; p->value[i] != '\0'; i++) {
        if (p->value[i] < '0' || p->value[i] > '9') {
            break;
        }

        /* more than 9 digits is out of any range here */
        v = i < 9 ? v * 10 + (unsigned long) (p->value[i] - '0') : ~0UL;
    }

    if (i == 0 || p->value[i] != '\0') {
        dg_fail(ck, pointer, "type", "Phải là một số nguyên",
                "must be an integer");
        return -1;
    }

    if (v < min || v > max) {
        dg_fail(ck, pointer, "range", "Phải từ %u đến %u",
                "must be from %u to %u", min, max);
        return -1;
    }

    *out = (unsigned) v;

    return 0;
}
