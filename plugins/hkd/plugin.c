/*
 * HKD: registration of a business household (đăng ký hộ kinh doanh,
 * Decree 01/2021/ND-CP).  The name is "Hộ kinh doanh" followed by a proper
 * name and may not pose as an enterprise; the capital and the staff stay
 * within configured bounds; business lines are VSIC 2018 codes.
 */

/* strdup under -std=c99 too */
#define _POSIX_C_SOURCE  200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dossier_plugin.h"

#define P  "/DuLieuChuyenNganh"

/* words that belong to enterprises and banks (article 88 of the decree) */
#define HKD_FORBIDDEN  "công ty,doanh nghiệp,tập đoàn,ngân hàng,hợp tác xã," \
                       "company,corporation"

#define HKD_PREFIX     "hộ kinh doanh "
#define HKD_NAME_BUF   1024

struct dossier_state_s {
    long long   name_max;
    long long   capital_max;
    long long   lines_max;
    long long   employees_max;
    char       *forbidden;      /* folded */
};


/*
 * Folds case in place for ASCII and the Vietnamese letters (Latin-1
 * À-Þ, Ă Đ Ĩ Ũ Ơ Ư, and U+1EA0-U+1EF9 where capitals are even), so that
 * "CÔNG TY" and "Công ty" compare equal.  Lengths do not change.
 */
static void
hkd_fold(char *s, size_t len)
{
    size_t          i;
    unsigned        cp;
    unsigned char  *p;

    p = (unsigned char *) s;

    for (i = 0; i < len; i++) {
        if (p[i] >= 'A' && p[i] <= 'Z') {
            p[i] += 'a' - 'A';

        } else if (p[i] >= 0xc0 && p[i] < 0xe0 && i + 1 < len) {
            cp = (p[i] & 0x1fu) << 6 | (p[i + 1] & 0x3fu);

            if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) {
                cp += 0x20;

            } else if (cp == 0x102 || cp == 0x110 || cp == 0x128
                       || cp == 0x168 || cp == 0x1a0 || cp == 0x1af)
            {
                cp += 1;
            }

            p[i] = (unsigned char) (0xc0 | cp >> 6);
            p[++i] = (unsigned char) (0x80 | (cp & 0x3f));

        } else if (p[i] >= 0xe0 && p[i] < 0xf0 && i + 2 < len) {
            cp = (p[i] & 0x0fu) << 12 | (p[i + 1] & 0x3fu) << 6
                 | (p[i + 2] & 0x3fu);

            if (cp >= 0x1ea0 && cp <= 0x1ef9 && cp % 2 == 0) {
                cp += 1;
            }

            p[i] = (unsigned char) (0xe0 | cp >> 12);
            p[++i] = (unsigned char) (0x80 | (cp >> 6 & 0x3f));
            p[++i] = (unsigned char) (0x80 | (cp & 0x3f));
        }
    }
}


/* The first forbidden word that name (folded) contains, or NULL. */
static const char *
hkd_forbidden(const char *list, const char *name, size_t len, size_t *n)
{
    size_t       i;
    const char  *w, *end;

    for (w = list; *w != '\0'; w = *end ? end + 1 : end) {
        end = strchr(w, ',');
        if (end == NULL) {
            end = w + strlen(w);
        }

        *n = end - w;

        for (i = 0; *n != 0 && i + *n <= len; i++) {
            if (memcmp(name + i, w, *n) == 0) {
                return w;
            }
        }
    }

    return NULL;
}


static void
hkd_name(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc)
{
    char         buf[HKD_NAME_BUF];
    size_t       len, i, chars, n;
    const char  *s, *word, *ptr;

    ptr = P "/TenHoKinhDoanh";

    if (!host->expect(doc, ptr, DOSSIER_T_STRING, 1)) {
        return;
    }

    host->get_string(doc, ptr, &s, &len);

    for (i = 0, chars = 0; i < len; i++) {
        chars += ((unsigned char) s[i] & 0xc0) != 0x80;
    }

    if (chars > (size_t) st->name_max || len >= sizeof(buf)) {
        host->report(doc, ptr, "name_length",
                     "Tên hộ kinh doanh dài %zu ký tự, tối đa %lld",
                     "the name has %zu characters, at most %lld are allowed",
                     chars, st->name_max);
        return;
    }

    memcpy(buf, s, len);
    buf[len] = '\0';
    hkd_fold(buf, len);

    n = sizeof(HKD_PREFIX) - 1;

    if (len <= n || memcmp(buf, HKD_PREFIX, n) != 0
        || strspn(buf + n, " ") == len - n)
    {
        host->report(doc, ptr, "name_prefix",
                     "Tên phải gồm cụm từ \"Hộ kinh doanh\" và tên riêng",
                     "the name must be \"Hộ kinh doanh\" followed by a "
                     "proper name");
    }

    word = hkd_forbidden(st->forbidden, buf, len, &n);

    if (word != NULL) {
        host->report(doc, ptr, "name_forbidden_word",
                     "Tên hộ kinh doanh không được chứa \"%.*s\"",
                     "the name may not contain \"%.*s\"", (int) n, word);
    }
}


/* VSIC 2018 divisions (the first two digits) that exist. */
static int
hkd_vsic(const char *s, size_t len)
{
    size_t  i;
    int     division;

    if (len != 4 && len != 5) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }

    division = (s[0] - '0') * 10 + s[1] - '0';

    switch (division) {
    case 0: case 4: case 34: case 40: case 44: case 48: case 54: case 57:
    case 67: case 76: case 83: case 89:
        return 0;
    default:
        return 1;
    }
}


static void
hkd_lines(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc)
{
    char         ptr[64], other[64];
    size_t       n, i, j, len, olen;
    const char  *s, *o;

    if (!host->expect(doc, P "/NganhNghe", DOSSIER_T_ARRAY, 1)) {
        return;
    }

    host->array_size(doc, P "/NganhNghe", &n);

    if (n == 0 || n > (size_t) st->lines_max) {
        host->report(doc, P "/NganhNghe", "business_lines",
                     "Cần từ 1 đến %lld ngành nghề kinh doanh (có %zu)",
                     "1 to %lld business lines are needed (%zu given)",
                     st->lines_max, n);
        return;
    }

    for (i = 0; i < n; i++) {
        snprintf(ptr, sizeof(ptr), P "/NganhNghe/%zu", i);

        if (!host->expect(doc, ptr, DOSSIER_T_STRING, 1)) {
            continue;
        }

        host->get_string(doc, ptr, &s, &len);

        if (!hkd_vsic(s, len)) {
            host->report(doc, ptr, "vsic",
                         "\"%s\" không phải mã ngành VSIC cấp 4 hoặc 5",
                         "\"%s\" is not a VSIC level 4 or 5 code", s);
            continue;
        }

        for (j = 0; j < i; j++) {
            snprintf(other, sizeof(other), P "/NganhNghe/%zu", j);

            if (host->get_string(doc, other, &o, &olen) == DOSSIER_OK
                && olen == len && memcmp(o, s, len) == 0)
            {
                host->report(doc, ptr, "vsic_duplicate",
                             "Mã ngành %s được kê khai hai lần",
                             "business line %s is listed twice", s);
                break;
            }
        }
    }
}


static void
hkd_bounded(const dossier_plugin_host_t *host, dossier_doc_t *doc,
    const char *ptr, long long max, const char *code, const char *vi,
    const char *en)
{
    char       vi_msg[256], en_msg[256];
    long long  v;

    if (host->expect(doc, ptr, DOSSIER_T_INTEGER, 1)
        && host->get_integer(doc, ptr, &v) == DOSSIER_OK
        && (v < 0 || v > max))
    {
        snprintf(vi_msg, sizeof(vi_msg), "%s %lld phải từ 0 đến %lld", vi, v,
                 max);
        snprintf(en_msg, sizeof(en_msg), "%s %lld must be 0 to %lld", en, v,
                 max);
        host->report_text(doc, ptr, code, vi_msg, en_msg);
    }
}


static int
hkd_validate(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc)
{
    size_t       len;
    const char  *s;

    if (!host->expect(doc, P, DOSSIER_T_OBJECT, 1)) {
        return DOSSIER_OK;
    }

    hkd_name(st, host, doc);

    hkd_bounded(host, doc, P "/VonKinhDoanh", st->capital_max, "capital",
                "Vốn kinh doanh (đồng)", "the capital (VND)");
    hkd_bounded(host, doc, P "/SoLaoDong", st->employees_max, "employees",
                "Số lao động", "the number of employees");

    hkd_lines(st, host, doc);

    if (host->expect(doc, P "/DiaDiemKinhDoanh", DOSSIER_T_STRING, 1)
        && host->get_string(doc, P "/DiaDiemKinhDoanh", &s, &len)
           == DOSSIER_OK
        && (len == 0 || len > 512))
    {
        host->report(doc, P "/DiaDiemKinhDoanh", "address",
                     "Địa điểm kinh doanh phải có (tối đa 512 byte)",
                     "the business address is needed (at most 512 bytes)");
    }

    return DOSSIER_OK;
}


static void
hkd_fini(dossier_state_t *st, const dossier_plugin_host_t *host)
{
    if (st != NULL) {
        free(st->forbidden);
        free(st);
    }
}


static int
hkd_init(const dossier_plugin_host_t *host, dossier_ctx_t *ctx,
    dossier_state_t **state, char *err, size_t errlen)
{
    const char       *words;
    dossier_state_t  *st;

    st = calloc(1, sizeof(dossier_state_t));
    if (st == NULL) {
        snprintf(err, errlen, "out of memory");
        return DOSSIER_ERROR;
    }

    words = host->config_get(ctx, "forbidden_words");
    st->forbidden = strdup(words != NULL ? words : HKD_FORBIDDEN);

    if (st->forbidden == NULL) {
        snprintf(err, errlen, "out of memory");
        hkd_fini(st, host);
        return DOSSIER_ERROR;
    }

    hkd_fold(st->forbidden, strlen(st->forbidden));

    if (host->config_integer(ctx, "name_max", 100, 20, 250,
                             &st->name_max) != DOSSIER_OK
        || host->config_integer(ctx, "capital_max", 10000000000LL, 0,
                                1000000000000000LL, &st->capital_max)
           != DOSSIER_OK
        || host->config_integer(ctx, "lines_max", 20, 1, 100,
                                &st->lines_max) != DOSSIER_OK
        || host->config_integer(ctx, "employees_max", 100, 0, 1000000,
                                &st->employees_max) != DOSSIER_OK)
    {
        hkd_fini(st, host);
        return DOSSIER_ERROR;
    }

    *state = st;
    return DOSSIER_OK;
}


DOSSIER_PLUGIN_MAGIC("hkd", "1.0.0", "HKD", hkd_init, hkd_validate, hkd_fini)
