/*
 * Structured fields (dg_sf.h) and both base64 variants.
 *
 * The first byte picks the dictionary kind; the rest is a field value.
 * A parsed dictionary serialised again parses to the same members, and
 * serialises to the same text (a fixed point).  The same bytes are then
 * base64: what decodes encodes back to itself (one encoding per byte
 * string), what is encoded decodes back, and standard base64 agrees with
 * OpenSSL's.
 */

#include <string.h>

#include <openssl/evp.h>

#include "dg_sf.h"
#include "fuzz.h"


static int
str_eq(const dg_sf_str_t *a, const dg_sf_str_t *b)
{
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}


/* key=value, ... of a parsed dictionary, as RFC 8941 serialises it */
static size_t
serialize(const dg_sf_dict_t *d, dg_sf_kind_e kind, char *buf, size_t size)
{
    char                  *p;
    size_t                 i, n;
    ssize_t                b;
    const dg_sf_member_t  *m;

    p = buf;

    for (i = 0; i < d->n; i++) {
        m = &d->members[i];

        FUZZ_ASSERT(m->key.len <= DG_SF_MAX_KEY
                    && strlen(m->key.data) == m->key.len);
        FUZZ_ASSERT(dg_sf_dict_get(d, m->key.data) == m);

        if (i > 0) {
            p = stpcpy(p, ", ");
        }

        p = stpcpy(stpcpy(p, m->key.data), "=");

        if (kind == DG_SF_INNER_LISTS) {
            n = dg_sf_serialize_inner(m, NULL, 0);
            FUZZ_ASSERT((size_t) (p - buf) + n < size);
            FUZZ_ASSERT(dg_sf_serialize_inner(m, p, n + 1) == n);
            FUZZ_ASSERT(strlen(p) == n);
            p += n;

        } else {
            FUZZ_ASSERT(m->value.type == DG_SF_BYTES);
            *p++ = ':';
            b = dg_base64_encode(p, size - (size_t) (p - buf) - 1,
                                 m->value.str.data, m->value.str.len,
                                 DG_BASE64);
            FUZZ_ASSERT(b >= 0);
            p += b;
            *p++ = ':';
        }
    }

    *p = '\0';

    return (size_t) (p - buf);
}


static void
same_dicts(const dg_sf_dict_t *a, const dg_sf_dict_t *b)
{
    size_t                 i, j;
    const dg_sf_member_t  *x, *y;

    FUZZ_ASSERT(a->n == b->n);

    for (i = 0; i < a->n; i++) {
        x = &a->members[i];
        y = &b->members[i];

        FUZZ_ASSERT(str_eq(&x->key, &y->key));
        FUZZ_ASSERT(x->nitems == y->nitems && x->nparams == y->nparams);
        FUZZ_ASSERT(x->value.type == y->value.type);

        if (x->value.type == DG_SF_BYTES) {
            FUZZ_ASSERT(str_eq(&x->value.str, &y->value.str));
        }

        for (j = 0; j < x->nitems; j++) {
            FUZZ_ASSERT(str_eq(&x->items[j], &y->items[j]));
        }

        for (j = 0; j < x->nparams; j++) {
            FUZZ_ASSERT(str_eq(&x->params[j].key, &y->params[j].key));
            FUZZ_ASSERT(x->params[j].value.type == y->params[j].value.type);

            if (x->params[j].value.type == DG_SF_INTEGER) {
                FUZZ_ASSERT(x->params[j].value.integer
                            == y->params[j].value.integer);
            } else {
                FUZZ_ASSERT(str_eq(&x->params[j].value.str,
                                   &y->params[j].value.str));
                FUZZ_ASSERT(dg_sf_param_get(x, x->params[j].key.data)
                            == &x->params[j]);
            }
        }
    }
}


static void
fuzz_dict(const char *s, size_t len, dg_sf_kind_e kind)
{
    char                 *one, *two;
    size_t                n1, n2, size;
    dg_sf_rc_e            rc;
    static dg_sf_dict_t   d, again;

    rc = dg_sf_parse_dict(&d, s, len, kind);
    FUZZ_ASSERT(rc <= DG_SF_TOO_LARGE);
    FUZZ_ASSERT(dg_sf_strerror(rc) != NULL);

    if (rc != DG_SF_OK) {
        FUZZ_ASSERT(d.n == 0);
        return;
    }

    /* base64 grows bytes by 4/3; inner lists add at most escapes */
    size = 4 * len + 64;
    one = malloc(size);
    two = malloc(size);
    FUZZ_ASSERT(one != NULL && two != NULL);

    n1 = serialize(&d, kind, one, size);

    FUZZ_ASSERT(dg_sf_parse_dict(&again, one, n1, kind) == DG_SF_OK);
    same_dicts(&d, &again);

    n2 = serialize(&again, kind, two, size);
    FUZZ_ASSERT(n1 == n2 && memcmp(one, two, n1) == 0);

    free(one);
    free(two);
}


/* OpenSSL's standard base64, turned into base64url without padding */
static size_t
openssl_b64(char *dst, const uint8_t *src, size_t len, int variant)
{
    int     n;
    size_t  i;

    n = EVP_EncodeBlock((unsigned char *) dst, src, (int) len);

    if (variant == DG_BASE64URL) {
        while (n > 0 && dst[n - 1] == '=') {
            n--;
        }

        for (i = 0; i < (size_t) n; i++) {
            dst[i] = dst[i] == '+' ? '-' : dst[i] == '/' ? '_' : dst[i];
        }

        dst[n] = '\0';
    }

    return (size_t) n;
}


static void
fuzz_base64(const uint8_t *data, size_t len, int variant)
{
    char           *enc, *ref;
    size_t          max;
    ssize_t         n, m;
    unsigned char  *dec, *back;

    max = dg_base64_encoded_len(len) + 1;
    enc = malloc(max);
    ref = malloc(max);
    dec = malloc(dg_base64_decoded_max(len) + 1);
    back = malloc(len + 1);
    FUZZ_ASSERT(enc != NULL && ref != NULL && dec != NULL && back != NULL);

    /* bytes as text: canonical when decodable */
    n = dg_base64_decode(dec, dg_base64_decoded_max(len), (const char *) data,
                         len, variant);
    if (n >= 0) {
        FUZZ_ASSERT((size_t) n <= dg_base64_decoded_max(len));
        m = dg_base64_encode(enc, max, dec, (size_t) n, variant);
        FUZZ_ASSERT(m >= 0 && (size_t) m == len
                    && memcmp(enc, data, len) == 0);

        /* one byte too little room is refused, not overrun */
        if (n > 0) {
            FUZZ_ASSERT(dg_base64_decode(dec, (size_t) n - 1,
                                         (const char *) data, len, variant)
                        == -1);
        }
    }

    /* bytes as bytes: the encoding is OpenSSL's and decodes back */
    n = dg_base64_encode(enc, max, data, len, variant);
    FUZZ_ASSERT(n >= 0 && strlen(enc) == (size_t) n);
    FUZZ_ASSERT(openssl_b64(ref, data, len, variant) == (size_t) n
                && memcmp(enc, ref, (size_t) n) == 0);

    m = dg_base64_decode(back, len, enc, (size_t) n, variant);
    FUZZ_ASSERT(m >= 0 && (size_t) m == len && memcmp(back, data, len) == 0);

    /* no room for the NUL: refused */
    FUZZ_ASSERT(dg_base64_encode(enc, (size_t) n, data, len, variant) == -1);

    free(enc);
    free(ref);
    free(dec);
    free(back);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 2 * DG_SF_MAX_FIELD) {
        return 0;
    }

    fuzz_dict((const char *) data + 1, size - 1,
              (data[0] & 1) ? DG_SF_BYTE_SEQS : DG_SF_INNER_LISTS);

    fuzz_base64(data + 1, size - 1, DG_BASE64);
    fuzz_base64(data + 1, size - 1, DG_BASE64URL);

    return 0;
}
