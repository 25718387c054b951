/*
 * The Structured Fields subset (dg_sf.h) and the base64 codec.
 */

#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "dg_sf.h"


#define SI_VALUE                                                            \
    "(\"@method\" \"@path\" \"@query\" \"content-digest\")"                 \
    ";created=1700000000;nonce=\"abc\";keyid=\"demo-portal\""               \
    ";alg=\"hmac-sha256\""


static dg_sf_rc_e
parse(const char *s, dg_sf_kind_e kind)
{
    dg_sf_rc_e     rc;
    dg_sf_dict_t  *d;

    d = malloc(sizeof(dg_sf_dict_t));
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);

    rc = dg_sf_parse_dict(d, s, strlen(s), kind);
    if (rc != DG_SF_OK) {
        CU_ASSERT_EQUAL(d->n, 0);
    }

    free(d);

    return rc;
}


#define LISTS(s)  parse(s, DG_SF_INNER_LISTS)
#define BYTES(s)  parse(s, DG_SF_BYTE_SEQS)


static void
test_signature_input(void)
{
    char                   buf[512];
    dg_sf_dict_t           d;
    const dg_sf_param_t   *p;
    const dg_sf_member_t  *m;

    CU_ASSERT_EQUAL_FATAL(dg_sf_parse_dict(&d, "sig1=" SI_VALUE,
                                           strlen("sig1=" SI_VALUE),
                                           DG_SF_INNER_LISTS), DG_SF_OK);
    CU_ASSERT_EQUAL(d.n, 1);

    m = dg_sf_dict_get(&d, "sig1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_PTR_NULL(dg_sf_dict_get(&d, "sig2"));
    CU_ASSERT_EQUAL(m->nitems, 4);
    CU_ASSERT_STRING_EQUAL(m->items[0].data, "@method");
    CU_ASSERT_STRING_EQUAL(m->items[3].data, "content-digest");
    CU_ASSERT_EQUAL(m->nparams, 4);

    /* parameters keep their received order */
    CU_ASSERT_STRING_EQUAL(m->params[0].key.data, "created");
    CU_ASSERT_STRING_EQUAL(m->params[3].key.data, "alg");

    p = dg_sf_param_get(m, "created");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(p->value.type, DG_SF_INTEGER);
    CU_ASSERT_EQUAL(p->value.integer, 1700000000);

    p = dg_sf_param_get(m, "keyid");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(p->value.type, DG_SF_STRING);
    CU_ASSERT_STRING_EQUAL(p->value.str.data, "demo-portal");
    CU_ASSERT_PTR_NULL(dg_sf_param_get(m, "expires"));

    /* canonical input serialises back byte for byte */
    CU_ASSERT_EQUAL(dg_sf_serialize_inner(m, buf, sizeof(buf)),
                    strlen(SI_VALUE));
    CU_ASSERT_STRING_EQUAL(buf, SI_VALUE);
}


static void
test_whitespace_and_escapes(void)
{
    char                   buf[128];
    dg_sf_dict_t           d;
    const char            *s;
    const dg_sf_member_t  *m;

    s = "  a=(  \"x\"   \"y\\\"z\\\\\" );n=-42;  s=\"q\\\"\" ,\tb=()  ";

    CU_ASSERT_EQUAL_FATAL(dg_sf_parse_dict(&d, s, strlen(s),
                                           DG_SF_INNER_LISTS), DG_SF_OK);
    CU_ASSERT_EQUAL(d.n, 2);

    m = dg_sf_dict_get(&d, "a");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_STRING_EQUAL(m->items[1].data, "y\"z\\");
    CU_ASSERT_EQUAL(m->params[0].value.integer, -42);
    CU_ASSERT_STRING_EQUAL(m->params[1].value.str.data, "q\"");

    /* re-serialised canonically: single spaces, escapes restored */
    dg_sf_serialize_inner(m, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "(\"x\" \"y\\\"z\\\\\");n=-42;s=\"q\\\"\"");

    m = dg_sf_dict_get(&d, "b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->nitems, 0);

    /* a short buffer gets a truncated, terminated prefix */
    CU_ASSERT_EQUAL(dg_sf_serialize_inner(m, buf, 2), 2);
    CU_ASSERT_STRING_EQUAL(buf, "(");

    CU_ASSERT_EQUAL(dg_sf_parse_dict(&d, "", 0, DG_SF_BYTE_SEQS), DG_SF_OK);
    CU_ASSERT_EQUAL(d.n, 0);
}


static void
test_byte_sequences(void)
{
    dg_sf_dict_t           d;
    const char            *s;
    const dg_sf_member_t  *m;

    s = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, "
        "md5=:AAAAAAAAAAAAAAAAAAAAAA==:,empty=::";

    CU_ASSERT_EQUAL_FATAL(dg_sf_parse_dict(&d, s, strlen(s),
                                           DG_SF_BYTE_SEQS), DG_SF_OK);
    CU_ASSERT_EQUAL(d.n, 3);

    m = dg_sf_dict_get(&d, "sha-256");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->value.type, DG_SF_BYTES);
    CU_ASSERT_EQUAL(m->value.str.len, 32);
    CU_ASSERT_EQUAL((unsigned char) m->value.str.data[0], 0x5f);

    m = dg_sf_dict_get(&d, "empty");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->value.str.len, 0);
}


static void
test_duplicates(void)
{
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\"), sig1=(\"b\")"), DG_SF_DUPLICATE);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\");created=1;created=2"),
                    DG_SF_DUPLICATE);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\");keyid=\"x\";nonce=\"n\";keyid=\"x\""),
                    DG_SF_DUPLICATE);
    CU_ASSERT_EQUAL(BYTES("sig1=:AA==:, sig1=:AA==:"), DG_SF_DUPLICATE);
    CU_ASSERT_EQUAL(BYTES("sha-256=:AA==:,sha-512=:AA==:,sha-256=:AQ==:"),
                    DG_SF_DUPLICATE);

    /* the same key in different members is fine */
    CU_ASSERT_EQUAL(LISTS("a=();created=1, b=();created=1"), DG_SF_OK);
}


static void
test_bad_base64(void)
{
    CU_ASSERT_EQUAL(BYTES("a=:AA==:"), DG_SF_OK);
    CU_ASSERT_EQUAL(BYTES("a=:AA:"), DG_SF_BASE64);         /* no padding */
    CU_ASSERT_EQUAL(BYTES("a=:AA=:"), DG_SF_BASE64);
    CU_ASSERT_EQUAL(BYTES("a=:A===:"), DG_SF_BASE64);
    CU_ASSERT_EQUAL(BYTES("a=:AB==:"), DG_SF_BASE64);       /* stray bits */
    CU_ASSERT_EQUAL(BYTES("a=:AAB=:"), DG_SF_BASE64);
    CU_ASSERT_EQUAL(BYTES("a=:A-_A:"), DG_SF_BASE64);       /* url alphabet */
    CU_ASSERT_EQUAL(BYTES("a=:AA==AA==:"), DG_SF_BASE64);
    CU_ASSERT_EQUAL(BYTES("a=:AA A:"), DG_SF_BASE64);
    CU_ASSERT_EQUAL(BYTES("a=:AA==:;x=1"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(BYTES("a=:AA=="), DG_SF_SYNTAX);
}


static void
test_bad_keys(void)
{
    char  key[80];

    CU_ASSERT_EQUAL(LISTS("Sig1=()"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("1sig=()"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("-a=()"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("s\xc3\xa9=()"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=();Created=1"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("*x.y_z-1=()"), DG_SF_OK);

    memset(key, 'k', 65);
    strcpy(key + 65, "=()");
    CU_ASSERT_EQUAL(LISTS(key), DG_SF_TOO_LARGE);

    key[64] = '=';
    key[65] = '(';
    key[66] = ')';
    key[67] = '\0';
    CU_ASSERT_EQUAL(LISTS(key), DG_SF_OK);
}


static void
test_out_of_subset(void)
{
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\");alg=hmac"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\");flag"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\");flag=?1"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\");created=1.5"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\");b=:AA==:"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\";sf)"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(LISTS("sig1=(a)"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(LISTS("sig1=(1)"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(LISTS("sig1=\"a\""), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(LISTS("sig1"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(LISTS("sig1;x=1"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(BYTES("a=(\"x\")"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(BYTES("a=1"), DG_SF_UNSUPPORTED);
    CU_ASSERT_EQUAL(BYTES("a"), DG_SF_UNSUPPORTED);
}


static void
test_syntax(void)
{
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\"),"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\"),  "), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS(",sig1=(\"a\")"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\") x"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\""), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\"\"b\")"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a)"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\\x\")"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"a\tb\")"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=(\"\xc3\xa9\")"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=()created=1"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=();created="), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=();created=-"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=();created=1234567890123456"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=();created=123456789012345"), DG_SF_OK);
    CU_ASSERT_EQUAL(LISTS("sig1="), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=)"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=();=1"), DG_SF_SYNTAX);
    CU_ASSERT_EQUAL(LISTS("sig1=() ;created=1"), DG_SF_SYNTAX);
}


static void
test_bounds(void)
{
    char    *s;
    size_t   i;

    CU_ASSERT_EQUAL(LISTS("a=(),b=(),c=(),d=(),e=(),f=(),g=(),h=()"),
                    DG_SF_OK);
    CU_ASSERT_EQUAL(LISTS("a=(),b=(),c=(),d=(),e=(),f=(),g=(),h=(),i=()"),
                    DG_SF_TOO_LARGE);
    CU_ASSERT_EQUAL(LISTS("a=();a=1;b=1;c=1;d=1;e=1;f=1;g=1;h=1"), DG_SF_OK);
    CU_ASSERT_EQUAL(LISTS("a=();a=1;b=1;c=1;d=1;e=1;f=1;g=1;h=1;i=1"),
                    DG_SF_TOO_LARGE);
    CU_ASSERT_EQUAL(LISTS("a=(\"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" \"8\""
                          " \"9\" \"10\" \"11\" \"12\" \"13\" \"14\" \"15\""
                          " \"16\")"), DG_SF_OK);
    CU_ASSERT_EQUAL(LISTS("a=(\"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" \"8\""
                          " \"9\" \"10\" \"11\" \"12\" \"13\" \"14\" \"15\""
                          " \"16\" \"17\")"), DG_SF_TOO_LARGE);

    /* the longest field, a string filling it, then one byte more */
    s = malloc(DG_SF_MAX_FIELD + 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);

    memcpy(s, "a=(\"", 4);
    for (i = 4; i < DG_SF_MAX_FIELD - 2; i++) {
        s[i] = 'x';
    }

    memcpy(s + DG_SF_MAX_FIELD - 2, "\")", 3);
    CU_ASSERT_EQUAL(strlen(s), DG_SF_MAX_FIELD);
    CU_ASSERT_EQUAL(LISTS(s), DG_SF_OK);

    memcpy(s + DG_SF_MAX_FIELD - 2, "x\")", 4);
    CU_ASSERT_EQUAL(LISTS(s), DG_SF_TOO_LARGE);

    /* byte sequences filling the arena */
    s[0] = 'a';
    s[1] = '=';
    s[2] = ':';
    for (i = 3; i < DG_SF_MAX_FIELD - 1; i++) {
        s[i] = 'A';
    }

    s[DG_SF_MAX_FIELD - 1] = ':';
    s[DG_SF_MAX_FIELD] = '\0';
    CU_ASSERT_EQUAL(BYTES(s), (DG_SF_MAX_FIELD - 4) % 4 ? DG_SF_BASE64
                                                         : DG_SF_OK);

    free(s);

    CU_ASSERT_STRING_EQUAL(dg_sf_strerror(DG_SF_DUPLICATE),
                           "duplicate dictionary key or parameter");
}


static void
test_base64(void)
{
    char            enc[64];
    size_t          len;
    ssize_t         n;
    unsigned char   raw[32], dec[32];

    for (len = 0; len < sizeof(raw); len++) {
        raw[len] = (unsigned char) (len * 37 + 250);
    }

    for (len = 0; len <= 20; len++) {
        n = dg_base64_encode(enc, sizeof(enc), raw, len, DG_BASE64);
        CU_ASSERT_EQUAL(n, (ssize_t) dg_base64_encoded_len(len));
        CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), enc, n, DG_BASE64),
                        (ssize_t) len);
        CU_ASSERT_EQUAL(memcmp(dec, raw, len), 0);

        n = dg_base64_encode(enc, sizeof(enc), raw, len, DG_BASE64URL);
        CU_ASSERT_PTR_NULL(strchr(enc, '='));
        CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), enc, n,
                                         DG_BASE64URL), (ssize_t) len);
        CU_ASSERT_EQUAL(memcmp(dec, raw, len), 0);
    }

    CU_ASSERT_EQUAL(dg_base64_encode(enc, sizeof(enc), "\xfb\xff", 2,
                                     DG_BASE64), 4);
    CU_ASSERT_STRING_EQUAL(enc, "+/8=");
    CU_ASSERT_EQUAL(dg_base64_encode(enc, sizeof(enc), "\xfb\xff", 2,
                                     DG_BASE64URL), 3);
    CU_ASSERT_STRING_EQUAL(enc, "-_8");

    /* room for the NUL is required */
    CU_ASSERT_EQUAL(dg_base64_encode(enc, 4, "abc", 3, DG_BASE64), -1);
    CU_ASSERT_EQUAL(dg_base64_encode(enc, 5, "abc", 3, DG_BASE64), 4);

    CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), "-_8", 3,
                                     DG_BASE64URL), 2);
    CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), "-_8=", 4,
                                     DG_BASE64URL), -1);
    CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), "+/8", 3,
                                     DG_BASE64URL), -1);
    CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), "-_9", 3,
                                     DG_BASE64URL), -1);
    CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), "A", 1,
                                     DG_BASE64URL), -1);
    CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), "AAAAA", 5,
                                     DG_BASE64URL), -1);
    CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), "-_8=", 4,
                                     DG_BASE64), -1);
    CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), "====", 4,
                                     DG_BASE64), -1);
    CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), "A=AA", 4,
                                     DG_BASE64), -1);
    CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), "AA\nA", 4,
                                     DG_BASE64), -1);
    CU_ASSERT_EQUAL(dg_base64_decode(dec, sizeof(dec), "", 0, DG_BASE64), 0);

    /* the output bound is enforced */
    CU_ASSERT_EQUAL(dg_base64_decode(dec, 2, "AAAA", 4, DG_BASE64), -1);
    CU_ASSERT_EQUAL(dg_base64_decode(dec, 3, "AAAA", 4, DG_BASE64), 3);
}


static CU_TestInfo  tests[] = {
    { "signature input", test_signature_input },
    { "white space and escapes", test_whitespace_and_escapes },
    { "byte sequences", test_byte_sequences },
    { "duplicates", test_duplicates },
    { "bad base64", test_bad_base64 },
    { "bad keys", test_bad_keys },
    { "out of subset", test_out_of_subset },
    { "syntax", test_syntax },
    { "bounds", test_bounds },
    { "base64", test_base64 },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(sf, tests)
