/*
 * Structured Field Values subset (RFC 8941) and base64 (RFC 4648); see
 * dg_sf.h for what is accepted and why it is stricter than the RFC.
 */

#include <stdio.h>
#include <string.h>

#include "dg_sf.h"


typedef struct {
    const char    *p;
    const char    *end;
    dg_sf_dict_t  *d;
} dg_sf_parser_t;

typedef struct {
    char    *buf;
    size_t   size;
    size_t   len;
} dg_sf_writer_t;


static const char  dg_b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char  dg_b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


static int
dg_sf_is_lcalpha(int c)
{
    return c >= 'a' && c <= 'z';
}


static int
dg_sf_is_digit(int c)
{
    return c >= '0' && c <= '9';
}


static int
dg_sf_is_key_char(int c)
{
    return dg_sf_is_lcalpha(c) || dg_sf_is_digit(c)
           || c == '_' || c == '-' || c == '.' || c == '*';
}


/* Could c start a bare item of RFC 8941 (or RFC 9651)?  Used to tell
 * "valid but outside the subset" from plain syntax errors. */
static int
dg_sf_is_item_start(int c)
{
    return c == '-' || dg_sf_is_digit(c) || c == '"' || c == ':'
           || c == '?' || c == '*' || c == '@' || c == '%' || c == '('
           || (c >= 'A' && c <= 'Z') || dg_sf_is_lcalpha(c);
}


/* A key not followed by '=' is a Boolean true (outside the subset) when
 * what follows may follow a value; otherwise it is a syntax error. */
static dg_sf_rc_e
dg_sf_bare_key(dg_sf_parser_t *ps)
{
    if (ps->p == ps->end || *ps->p == ';' || *ps->p == ','
        || *ps->p == ' ' || *ps->p == '\t')
    {
        return DG_SF_UNSUPPORTED;
    }

    return DG_SF_SYNTAX;
}


static void
dg_sf_skip_sp(dg_sf_parser_t *ps)
{
    while (ps->p < ps->end && *ps->p == ' ') {
        ps->p++;
    }
}


static void
dg_sf_skip_ows(dg_sf_parser_t *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t')) {
        ps->p++;
    }
}


static dg_sf_rc_e
dg_sf_copy(dg_sf_dict_t *d, const char *src, size_t n, dg_sf_str_t *out)
{
    char  *dst;

    if (n >= sizeof(d->arena) - d->used) {
        return DG_SF_TOO_LARGE;
    }

    dst = d->arena + d->used;
    memcpy(dst, src, n);
    dst[n] = '\0';
    d->used += n + 1;

    out->data = dst;
    out->len = n;

    return DG_SF_OK;
}


static dg_sf_rc_e
dg_sf_parse_key(dg_sf_parser_t *ps, dg_sf_str_t *key)
{
    const char  *start;

    start = ps->p;

    if (ps->p == ps->end
        || !(dg_sf_is_lcalpha(*ps->p) || *ps->p == '*'))
    {
        return DG_SF_SYNTAX;
    }

    while (ps->p < ps->end && dg_sf_is_key_char(*ps->p)) {
        ps->p++;
    }

    if ((size_t) (ps->p - start) > DG_SF_MAX_KEY) {
        return DG_SF_TOO_LARGE;
    }

    return dg_sf_copy(ps->d, start, ps->p - start, key);
}


static dg_sf_rc_e
dg_sf_parse_integer(dg_sf_parser_t *ps, int64_t *out)
{
    int      neg, digits;
    int64_t  v;

    neg = 0;
    if (ps->p < ps->end && *ps->p == '-') {
        neg = 1;
        ps->p++;
    }

    v = 0;
    for (digits = 0; ps->p < ps->end && dg_sf_is_digit(*ps->p); digits++) {
        if (digits == 15) {
            return DG_SF_SYNTAX;
        }

        v = v * 10 + (*ps->p++ - '0');
    }

    if (digits == 0) {
        return DG_SF_SYNTAX;
    }

    if (ps->p < ps->end && *ps->p == '.') {
        return DG_SF_UNSUPPORTED;           /* a Decimal */
    }

    *out = neg ? -v : v;

    return DG_SF_OK;
}


static dg_sf_rc_e
dg_sf_parse_string(dg_sf_parser_t *ps, dg_sf_str_t *out)
{
    char          *dst;
    size_t         n;
    const char    *p;
    dg_sf_dict_t  *d;

    /* first pass: validate and measure, second: copy unescaped */

    p = ps->p + 1;
    n = 0;

    for ( ;; ) {
        if (p == ps->end) {
            return DG_SF_SYNTAX;
        }

        if (*p == '"') {
            break;
        }

        if (*p == '\\') {
            p++;
            if (p == ps->end || (*p != '"' && *p != '\\')) {
                return DG_SF_SYNTAX;
            }

        } else if ((unsigned char) *p < 0x20 || (unsigned char) *p > 0x7e) {
            return DG_SF_SYNTAX;
        }

        p++;
        n++;
    }

    d = ps->d;

    if (n >= sizeof(d->arena) - d->used) {
        return DG_SF_TOO_LARGE;
    }

    dst = d->arena + d->used;
    out->data = dst;
    out->len = n;
    d->used += n + 1;

    for (p = ps->p + 1; *p != '"'; p++) {
        if (*p == '\\') {
            p++;
        }

        *dst++ = *p;
    }

    *dst = '\0';
    ps->p = p + 1;

    return DG_SF_OK;
}


static dg_sf_rc_e
dg_sf_parse_bytes(dg_sf_parser_t *ps, dg_sf_str_t *out)
{
    ssize_t        n;
    const char    *start, *p;
    dg_sf_dict_t  *d;

    start = ps->p + 1;

    for (p = start; p < ps->end && *p != ':'; p++) {
        /* void */
    }

    if (p == ps->end) {
        return DG_SF_SYNTAX;
    }

    d = ps->d;

    if (d->used >= sizeof(d->arena)) {
        return DG_SF_TOO_LARGE;
    }

    n = dg_base64_decode((unsigned char *) d->arena + d->used,
                         sizeof(d->arena) - d->used - 1, start, p - start,
                         DG_BASE64);
    if (n < 0) {
        return DG_SF_BASE64;
    }

    out->data = d->arena + d->used;
    out->len = n;
    d->arena[d->used + n] = '\0';
    d->used += n + 1;

    ps->p = p + 1;

    return DG_SF_OK;
}


static dg_sf_rc_e
dg_sf_parse_params(dg_sf_parser_t *ps, dg_sf_member_t *m)
{
    size_t          i;
    dg_sf_rc_e      rc;
    dg_sf_param_t  *param;

    while (ps->p < ps->end && *ps->p == ';') {
        ps->p++;
        dg_sf_skip_sp(ps);

        if (m->nparams == DG_SF_MAX_PARAMS) {
            return DG_SF_TOO_LARGE;
        }

        param = &m->params[m->nparams];

        rc = dg_sf_parse_key(ps, &param->key);
        if (rc != DG_SF_OK) {
            return rc;
        }

        for (i = 0; i < m->nparams; i++) {
            if (strcmp(m->params[i].key.data, param->key.data) == 0) {
                return DG_SF_DUPLICATE;
            }
        }

        if (ps->p == ps->end || *ps->p != '=') {
            return dg_sf_bare_key(ps);
        }

        ps->p++;

        if (ps->p == ps->end) {
            return DG_SF_SYNTAX;
        }

        if (*ps->p == '"') {
            param->value.type = DG_SF_STRING;
            rc = dg_sf_parse_string(ps, &param->value.str);

        } else if (*ps->p == '-' || dg_sf_is_digit(*ps->p)) {
            param->value.type = DG_SF_INTEGER;
            rc = dg_sf_parse_integer(ps, &param->value.integer);

        } else {
            rc = dg_sf_is_item_start(*ps->p) && *ps->p != '('
                 ? DG_SF_UNSUPPORTED : DG_SF_SYNTAX;
        }

        if (rc != DG_SF_OK) {
            return rc;
        }

        m->nparams++;
    }

    return DG_SF_OK;
}


static dg_sf_rc_e
dg_sf_parse_inner_list(dg_sf_parser_t *ps, dg_sf_member_t *m)
{
    dg_sf_rc_e  rc;

    ps->p++;                                /* '(' */

    for ( ;; ) {
        dg_sf_skip_sp(ps);

        if (ps->p == ps->end) {
            return DG_SF_SYNTAX;
        }

        if (*ps->p == ')') {
            ps->p++;
            return dg_sf_parse_params(ps, m);
        }

        if (*ps->p != '"') {
            return dg_sf_is_item_start(*ps->p) && *ps->p != '('
                   ? DG_SF_UNSUPPORTED : DG_SF_SYNTAX;
        }

        if (m->nitems == DG_SF_MAX_ITEMS) {
            return DG_SF_TOO_LARGE;
        }

        rc = dg_sf_parse_string(ps, &m->items[m->nitems++]);
        if (rc != DG_SF_OK) {
            return rc;
        }

        if (ps->p < ps->end && *ps->p == ';') {
            return DG_SF_UNSUPPORTED;       /* item parameters */
        }

        if (ps->p < ps->end && *ps->p != ' ' && *ps->p != ')') {
            return DG_SF_SYNTAX;
        }
    }
}


static dg_sf_rc_e
dg_sf_parse_member(dg_sf_parser_t *ps, dg_sf_member_t *m, dg_sf_kind_e kind)
{
    dg_sf_rc_e  rc;

    if (ps->p == ps->end || *ps->p != '=') {
        return dg_sf_bare_key(ps);
    }

    ps->p++;

    if (ps->p == ps->end) {
        return DG_SF_SYNTAX;
    }

    if (kind == DG_SF_INNER_LISTS) {
        if (*ps->p != '(') {
            return dg_sf_is_item_start(*ps->p)
                   ? DG_SF_UNSUPPORTED : DG_SF_SYNTAX;
        }

        return dg_sf_parse_inner_list(ps, m);
    }

    if (*ps->p != ':') {
        return dg_sf_is_item_start(*ps->p) ? DG_SF_UNSUPPORTED : DG_SF_SYNTAX;
    }

    m->value.type = DG_SF_BYTES;

    rc = dg_sf_parse_bytes(ps, &m->value.str);
    if (rc != DG_SF_OK) {
        return rc;
    }

    if (ps->p < ps->end && *ps->p == ';') {
        return DG_SF_UNSUPPORTED;
    }

    return DG_SF_OK;
}


static dg_sf_rc_e
dg_sf_parse_members(dg_sf_parser_t *ps, dg_sf_kind_e kind)
{
    size_t           i;
    dg_sf_rc_e       rc;
    dg_sf_dict_t    *d;
    dg_sf_member_t  *m;

    d = ps->d;

    dg_sf_skip_sp(ps);

    while (ps->p < ps->end) {
        if (d->n == DG_SF_MAX_MEMBERS) {
            return DG_SF_TOO_LARGE;
        }

        m = &d->members[d->n];
        memset(m, 0, sizeof(dg_sf_member_t));

        rc = dg_sf_parse_key(ps, &m->key);
        if (rc != DG_SF_OK) {
            return rc;
        }

        for (i = 0; i < d->n; i++) {
            if (strcmp(d->members[i].key.data, m->key.data) == 0) {
                return DG_SF_DUPLICATE;
            }
        }

        rc = dg_sf_parse_member(ps, m, kind);
        if (rc != DG_SF_OK) {
            return rc;
        }

        d->n++;

        dg_sf_skip_ows(ps);

        if (ps->p == ps->end) {
            break;
        }

        if (*ps->p != ',') {
            return DG_SF_SYNTAX;
        }

        ps->p++;
        dg_sf_skip_ows(ps);

        if (ps->p == ps->end) {
            return DG_SF_SYNTAX;            /* trailing comma */
        }
    }

    return DG_SF_OK;
}


dg_sf_rc_e
dg_sf_parse_dict(dg_sf_dict_t *d, const char *s, size_t len,
    dg_sf_kind_e kind)
{
    dg_sf_rc_e      rc;
    dg_sf_parser_t  ps;

    d->n = 0;
    d->used = 0;

    if (len > DG_SF_MAX_FIELD) {
        return DG_SF_TOO_LARGE;
    }

    ps.p = s;
    ps.end = s + len;
    ps.d = d;

    rc = dg_sf_parse_members(&ps, kind);
    if (rc != DG_SF_OK) {
        d->n = 0;
    }

    return rc;
}


const dg_sf_member_t *
dg_sf_dict_get(const dg_sf_dict_t *d, const char *key)
{
    size_t  i;

    for (i = 0; i < d->n; i++) {
        if (strcmp(d->members[i].key.data, key) == 0) {
            return &d->members[i];
        }
    }

    return NULL;
}


const dg_sf_param_t *
dg_sf_param_get(const dg_sf_member_t *m, const char *key)
{
    size_t  i;

    for (i = 0; i < m->nparams; i++) {
        if (strcmp(m->params[i].key.data, key) == 0) {
            return &m->params[i];
        }
    }

    return NULL;
}


static void
dg_sf_put(dg_sf_writer_t *w, const char *s, size_t n)
{
    size_t  room;

    if (w->len < w->size) {
        room = w->size - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }

    w->len += n;
}


static void
dg_sf_put_string(dg_sf_writer_t *w, const dg_sf_str_t *s)
{
    size_t  i;

    dg_sf_put(w, "\"", 1);

    for (i = 0; i < s->len; i++) {
        if (s->data[i] == '"' || s->data[i] == '\\') {
            dg_sf_put(w, "\\", 1);
        }

        dg_sf_put(w, &s->data[i], 1);
    }

    dg_sf_put(w, "\"", 1);
}


size_t
dg_sf_serialize_inner(const dg_sf_member_t *m, char *buf, size_t size)
{
    int                   n;
    char                  num[24];
    size_t                i;
    dg_sf_writer_t        w;
    const dg_sf_param_t  *param;

    w.buf = buf;
    w.size = size;
    w.len = 0;

    dg_sf_put(&w, "(", 1);

    for (i = 0; i < m->nitems; i++) {
        if (i > 0) {
            dg_sf_put(&w, " ", 1);
        }

        dg_sf_put_string(&w, &m->items[i]);
    }

    dg_sf_put(&w, ")", 1);

    for (i = 0; i < m->nparams; i++) {
        param = &m->params[i];

        dg_sf_put(&w, ";", 1);
        dg_sf_put(&w, param->key.data, param->key.len);
        dg_sf_put(&w, "=", 1);

        if (param->value.type == DG_SF_INTEGER) {
            n = snprintf(num, sizeof(num), "%lld",
                         (long long) param->value.integer);
            dg_sf_put(&w, num, n);

        } else {
            dg_sf_put_string(&w, &param->value.str);
        }
    }

    if (size > 0) {
        buf[w.len < size ? w.len : size - 1] = '\0';
    }

    return w.len;
}


const char *
dg_sf_strerror(dg_sf_rc_e rc)
{
    switch (rc) {
    case DG_SF_OK:
        return "ok";
    case DG_SF_SYNTAX:
        return "structured field syntax error";
    case DG_SF_UNSUPPORTED:
        return "structured field outside the accepted subset";
    case DG_SF_DUPLICATE:
        return "duplicate dictionary key or parameter";
    case DG_SF_BASE64:
        return "byte sequence is not canonical base64";
    case DG_SF_TOO_LARGE:
        return "structured field too large";
    }

    return "unknown error";
}


static int
dg_base64_value(unsigned char c, int variant)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (variant == DG_BASE64URL) {
        return c == '-' ? 62 : c == '_' ? 63 : -1;
    }

    return c == '+' ? 62 : c == '/' ? 63 : -1;
}


ssize_t
dg_base64_decode(unsigned char *dst, size_t size, const char *src,
    size_t len, int variant)
{
    int       v;
    size_t    i, n, rem, out;
    uint32_t  acc;

    n = len;

    if (variant == DG_BASE64) {
        if (len % 4 != 0) {
            return -1;
        }

        /* at most two '=', only at the end; any other '=' is not in the
         * alphabet and fails below */
        if (n > 0 && src[n - 1] == '=') {
            n--;
            if (src[n - 1] == '=') {
                n--;
            }
        }
    }

    rem = n % 4;
    if (rem == 1) {
        return -1;
    }

    out = n / 4 * 3 + (rem ? rem - 1 : 0);
    if (out > size) {
        return -1;
    }

    acc = 0;
    out = 0;

    for (i = 0; i < n; i++) {
        v = dg_base64_value((unsigned char) src[i], variant);
        if (v < 0) {
            return -1;
        }

        acc = acc << 6 | (uint32_t) v;

        if (i % 4 == 3) {
            dst[out++] = (unsigned char) (acc >> 16);
            dst[out++] = (unsigned char) (acc >> 8);
            dst[out++] = (unsigned char) acc;
            acc = 0;
        }
    }

    /* a partial group must not carry bits beyond the last byte */

    if (rem == 2) {
        if (acc & 0x0f) {
            return -1;
        }

        dst[out++] = (unsigned char) (acc >> 4);

    } else if (rem == 3) {
        if (acc & 0x03) {
            return -1;
        }

        dst[out++] = (unsigned char) (acc >> 10);
        dst[out++] = (unsigned char) (acc >> 2);
    }

    return out;
}


ssize_t
dg_base64_encode(char *dst, size_t size, const void *src, size_t len,
    int variant)
{
    size_t                i, n, rem;
    uint32_t              acc;
    const char           *alphabet;
    const unsigned char  *s;

    alphabet = variant == DG_BASE64URL ? dg_b64_url : dg_b64_std;
    rem = len % 3;

    if (variant == DG_BASE64URL) {
        n = len / 3 * 4 + (rem ? rem + 1 : 0);

    } else {
        n = dg_base64_encoded_len(len);
    }

    if (n >= size) {
        return -1;
    }

    s = src;
    n = 0;

    for (i = 0; i + 2 < len; i += 3) {
        acc = (uint32_t) s[i] << 16 | (uint32_t) s[i + 1] << 8 | s[i + 2];
        dst[n++] = alphabet[acc >> 18];
        dst[n++] = alphabet[acc >> 12 & 0x3f];
        dst[n++] = alphabet[acc >> 6 & 0x3f];
        dst[n++] = alphabet[acc & 0x3f];
    }

    if (rem) {
        acc = (uint32_t) s[i] << 16;
        if (rem == 2) {
            acc |= (uint32_t) s[i + 1] << 8;
        }

        dst[n++] = alphabet[acc >> 18];
        dst[n++] = alphabet[acc >> 12 & 0x3f];

        if (rem == 2) {
            dst[n++] = alphabet[acc >> 6 & 0x3f];
        }

        if (variant == DG_BASE64) {
            dst[n++] = '=';
            if (rem == 1) {
                dst[n++] = '=';
            }
        }
    }

    dst[n] = '\0';

    return n;
}
