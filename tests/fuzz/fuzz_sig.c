/*
 * RFC 9421 signatures and RFC 9530 Content-Digest (dg_sig.h).
 *
 * The first byte's low bit picks a mode:
 *
 *   raw      every field as the fuzzer wrote it (method, path, query,
 *            authority, Signature-Input, Signature, Content-Digest, x-a,
 *            then the body), lines apart.  dg_sig_verify and dg_sig_base
 *            must not crash; a base is one line per component, each
 *            with the request's own value, then "@signature-params";
 *            signed with the core's own base the request never fails as
 *            auth.signature; Content-Digest accepted means it holds the
 *            body's SHA-256, as OpenSSL computes it.
 *
 *   signer   the fuzzer chooses components, parameters, label and
 *            values; an independent signer here writes Signature-Input,
 *            the signature base (RFC 9421 section 2.5), its HMAC with
 *            OpenSSL and Content-Digest, and may tamper with one of
 *            them.  Accepted means nothing was tampered with and the
 *            core's base is the signer's byte for byte; a request the
 *            contract allows (CONTRACT.md section 4) is accepted.
 */

#define _GNU_SOURCE            /* memmem */

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "dg_sig.h"
#include "fuzz.h"


#define NOW       1700000000
#define KEYID     "demo-portal"
#define SECRET    "demo-portal-secret"
#define MAX_TEXT  2048


typedef struct {
    const char  *name;
    dg_sf_str_t  value;
} fuzz_header_t;

typedef struct {
    dg_sig_input_t    in;
    dg_sig_body_t     content;
    fuzz_header_t     headers[2];
} fuzz_req_t;


static int
header_cb(void *data, const char *name, const char **value, size_t *len)
{
    size_t       i;
    fuzz_req_t  *r;

    r = data;

    for (i = 0; i < 2; i++) {
        if (r->headers[i].value.data != NULL
            && strcmp(r->headers[i].name, name) == 0)
        {
            *value = r->headers[i].value.data;
            *len = r->headers[i].value.len;
            return 0;
        }
    }

    return -1;
}


static int
key_cb(void *data, const char *keyid, size_t len,
    const unsigned char **secret, size_t *secret_len)
{
    FUZZ_ASSERT(strlen(keyid) == len);

    if (strcmp(keyid, KEYID) != 0) {
        return -1;
    }

    *secret = (const unsigned char *) SECRET;
    *secret_len = sizeof(SECRET) - 1;

    return 0;
}


static dg_sig_nonce_e
nonce_cb(void *data, const char *keyid, const char *nonce, time_t expires)
{
    size_t  i;

    /* only a verified request reaches the store, with printable ASCII */
    FUZZ_ASSERT(strcmp(keyid, KEYID) == 0);
    FUZZ_ASSERT(nonce[0] != '\0' && strlen(nonce) <= DG_SIG_MAX_NONCE);

    for (i = 0; nonce[i] != '\0'; i++) {
        FUZZ_ASSERT(nonce[i] >= 0x20 && nonce[i] < 0x7f);
    }

    return DG_SIG_NONCE_FRESH;
}


static dg_sf_str_t
str(const char *s, size_t len)
{
    dg_sf_str_t  v;

    v.data = s;
    v.len = len;

    return v;
}


static void
req_init(fuzz_req_t *r)
{
    memset(r, 0, sizeof(fuzz_req_t));

    r->in.now = NOW;
    r->in.header = header_cb;
    r->in.header_data = r;
    r->in.key = key_cb;
    r->in.nonce = nonce_cb;
    r->headers[0].name = "content-digest";
    r->headers[1].name = "x-a";
}


/* Standard padded base64 by OpenSSL, not by the core. */
static size_t
b64(char *dst, const unsigned char *src, size_t len)
{
    return (size_t) EVP_EncodeBlock((unsigned char *) dst, src, (int) len);
}


/* HMAC-SHA256 of base with secret, as a Signature member value. */
static void
sign(char *dst, const char *label, const char *secret, const char *base,
    size_t len)
{
    char           mac64[64];
    unsigned int   maclen;
    unsigned char  mac[EVP_MAX_MD_SIZE];

    FUZZ_ASSERT(HMAC(EVP_sha256(), secret, (int) strlen(secret),
                     (const unsigned char *) base, len, mac, &maclen)
                != NULL);
    b64(mac64, mac, maclen);
    sprintf(dst, "%s=:%s:", label, mac64);
}


/* Whether a Content-Digest the core accepted carries the body's SHA-256. */
static void
check_digest_accepted(const char *value, size_t len, const char *body,
    size_t blen)
{
    char           want[80], *v;
    unsigned char  md[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *) body, blen, md);
    strcpy(want, ":");
    b64(want + 1, md, sizeof(md));
    strcat(want, ":");

    v = strndup(value, len);
    FUZZ_ASSERT(v != NULL);
    FUZZ_ASSERT(strstr(v, "sha-256=") != NULL && strstr(v, want) != NULL);
    free(v);
}


/* One base line: "name": value, the value as the request holds it. */
static void
check_line(const fuzz_req_t *r, const char *line, size_t len)
{
    size_t             i, nlen;
    const char        *name, *value;
    const dg_sf_str_t *want;

    FUZZ_ASSERT(line[0] == '"');
    name = line + 1;
    value = memchr(name, '"', len - 1);
    FUZZ_ASSERT(value != NULL && value[1] == ':' && value[2] == ' ');

    nlen = (size_t) (value - name);
    value += 3;
    len -= nlen + 4;

#define IS(lit)  (nlen == sizeof(lit) - 1 && memcmp(name, lit, nlen) == 0)

    if (IS("@method")) {
        want = &r->in.method;

    } else if (IS("@path")) {
        want = &r->in.path;
        if (want->len == 0) {
            FUZZ_ASSERT(len == 1 && value[0] == '/');
            return;
        }

    } else if (IS("@query")) {
        FUZZ_ASSERT(len >= 1 && value[0] == '?');
        value++;
        len--;
        want = &r->in.args;

    } else if (IS("@authority")) {
        FUZZ_ASSERT(len == r->in.authority.len);
        for (i = 0; i < len; i++) {
            FUZZ_ASSERT(value[i] == ((r->in.authority.data[i] >= 'A'
                                      && r->in.authority.data[i] <= 'Z')
                                     ? r->in.authority.data[i] + 32
                                     : r->in.authority.data[i]));
        }
        return;

    } else if (IS("content-digest")) {
        want = &r->headers[0].value;

    } else {
        FUZZ_ASSERT(IS("x-a"));
        want = &r->headers[1].value;
    }

#undef IS

    /* header values are given trimmed of spaces and tabs */
    if (want == &r->headers[0].value || want == &r->headers[1].value) {
        FUZZ_ASSERT(len <= want->len
                    && memmem(want->data, want->len, value, len) != NULL);
        return;
    }

    FUZZ_ASSERT(len == want->len && memcmp(value, want->data, len) == 0);
}


static void
check_base_shape(const fuzz_req_t *r, const char *base, size_t len)
{
    const char  *p, *nl, *end;

    FUZZ_ASSERT(strlen(base) == len);

    end = base + len;

    for (p = base; (nl = memchr(p, '\n', (size_t) (end - p))) != NULL;
         p = nl + 1)
    {
        check_line(r, p, (size_t) (nl - p));
    }

    FUZZ_ASSERT(strncmp(p, "\"@signature-params\": (", 22) == 0);
}


static void
fuzz_raw(fuzz_in_t *fin, int body)
{
    char             *base, signature[128];
    size_t            len, blen;
    const char       *f, *b;
    fuzz_req_t        r;
    dg_sig_result_t   res;
    dg_sig_reason_e   rc;
    dg_sig_policy_t   open;

    req_init(&r);

    f = fuzz_field(fin, '\n', &len);
    r.in.method = str(f, len);
    f = fuzz_field(fin, '\n', &len);
    r.in.path = str(f, len);
    f = fuzz_field(fin, '\n', &len);
    r.in.args = str(f, len);
    f = fuzz_field(fin, '\n', &len);
    r.in.authority = str(f, len);
    f = fuzz_field(fin, '\n', &len);
    r.in.signature_input = str(f, len);
    f = fuzz_field(fin, '\n', &len);
    r.in.signature = str(f, len);
    f = fuzz_field(fin, '\n', &len);
    r.headers[0].value = str(f, len);
    f = fuzz_field(fin, '\n', &len);
    r.headers[1].value = str(f, len);

    b = (const char *) fin->p;
    blen = fin->n;

    r.content.data = b;
    r.content.len = blen;
    r.in.body = body ? &r.content : NULL;

    rc = dg_content_digest_check(r.headers[0].value.data,
                                 r.headers[0].value.len, &r.content);
    FUZZ_ASSERT(rc == DG_SIG_OK || rc == DG_SIG_DIGEST);
    if (rc == DG_SIG_OK) {
        check_digest_accepted(r.headers[0].value.data,
                              r.headers[0].value.len, b, blen);
    }

    rc = dg_sig_verify(&r.in, &dg_sig_contract_policy, &res);
    /* a 401 whatever the request, never a 500 */
    FUZZ_ASSERT(rc != DG_SIG_OK && rc < DG_SIG_UNAVAILABLE);
    FUZZ_ASSERT(dg_error(dg_sig_reason_error(rc))->status == 401);

    if (dg_sig_base(&r.in, NULL, &base, &len) != DG_SIG_OK) {
        return;
    }

    check_base_shape(&r, base, len);

    /* signed with the core's own base, the MAC always matches */
    if (res.label[0] != '\0') {
        sign(signature, res.label, SECRET, base, len);
        r.in.signature = str(signature, strlen(signature));

        open = dg_sig_contract_policy;
        open.components = NULL;
        open.params = 0;

        rc = dg_sig_verify(&r.in, &open, &res);
        FUZZ_ASSERT(rc != DG_SIG_SIGNATURE && rc < DG_SIG_UNAVAILABLE);
        FUZZ_ASSERT(rc != DG_SIG_OK || strcmp(res.keyid, KEYID) == 0);
    }

    free(base);
}


/* n bytes of the input mapped onto printable ASCII (SF strings, values) */
static size_t
printable(fuzz_in_t *in, char *dst, size_t max)
{
    size_t  i, n;

    n = fuzz_u8(in) % (max + 1);

    for (i = 0; i < n; i++) {
        dst[i] = (char) (0x20 + fuzz_u8(in) % 0x5f);
    }

    dst[n] = '\0';

    return n;
}


/* RFC 8941 sf-string */
static char *
put_string(char *p, const char *s)
{
    *p++ = '"';

    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\') {
            *p++ = '\\';
        }

        *p++ = *s;
    }

    *p++ = '"';
    *p = '\0';

    return p;
}


static const char *const  components[] = {
    "@method", "@path", "@query", "content-digest", "@authority", "x-a"
};

static const char *const  params[] = {
    "created", "nonce", "keyid", "alg", "expires", "tag"
};


static void
fuzz_signer(fuzz_in_t *in, uint8_t flags)
{
    int              ok, body, seen[6], nseen[6], tamper, keyid_ok, alg_ok;
    char             label[16], inner[1024], si[1200], sig[200], cd[80];
    char             method[32], path[64], query[64], auth[64], xa[64];
    char             s[40], nonce[40], base[4096], *core, *p;
    size_t           i, j, nc, np, len;
    int64_t          created, expires;
    unsigned char    md[SHA256_DIGEST_LENGTH];
    fuzz_req_t       r;
    dg_sig_result_t  res, res2;
    dg_sig_reason_e  rc, rc2;
    dg_sig_policy_t  open;
    size_t           comp[8];
    const char      *secret, *b;

    req_init(&r);

    body = flags & 0x02;
    tamper = (flags >> 2) & 0x07;       /* 0..7, 1..5 tamper with one thing */
    secret = tamper == 6 ? "not-the-secret" : SECRET;

    /* a label of key characters, "sig1" most often */
    if (fuzz_u8(in) & 1) {
        strcpy(label, "sig1");
    } else {
        len = 1 + fuzz_u8(in) % 8;
        for (i = 0; i < len; i++) {
            label[i] = "abcz019_-.*"[fuzz_u8(in) % (i == 0 ? 4 : 11)];
        }
        label[len] = '\0';
    }

    printable(in, method, 8);
    printable(in, path, 40);
    printable(in, query, 40);
    printable(in, auth, 40);
    printable(in, xa, 40);

    /* header values reach the base trimmed (RFC 9421 section 2.1) */
    len = strlen(xa);
    while (len > 0 && xa[len - 1] == ' ') {
        xa[--len] = '\0';
    }
    memmove(xa, xa + strspn(xa, " "), strlen(xa + strspn(xa, " ")) + 1);

    r.in.method = str(method, strlen(method));
    r.in.path = str(path, strlen(path));
    r.in.args = str(query, strlen(query));
    r.in.authority = str(auth, strlen(auth));
    r.headers[1].value = str(xa, strlen(xa));

    /* the components, in the fuzzer's order, repeats allowed */
    memset(seen, 0, sizeof(seen));
    nc = fuzz_u8(in) % 7;
    p = inner;
    *p++ = '(';
    for (i = 0; i < nc; i++) {
        comp[i] = fuzz_u8(in) % 6;
        seen[comp[i]]++;
        if (i > 0) {
            *p++ = ' ';
        }
        p = put_string(p, components[comp[i]]);
    }
    *p++ = ')';

    /* the parameters, in the fuzzer's order, repeats allowed */
    memset(nseen, 0, sizeof(nseen));
    keyid_ok = 1;
    alg_ok = 1;
    created = NOW + fuzz_i16(in) % 400;
    expires = NOW + fuzz_i16(in);
    nonce[0] = '\0';
    np = fuzz_u8(in) % 7;
    for (i = 0; i < np; i++) {
        j = fuzz_u8(in) % 6;
        nseen[j]++;
        p += sprintf(p, ";%s=", params[j]);

        switch (j) {
        case 0:
            p += sprintf(p, "%lld", (long long) created);
            break;
        case 1:
            printable(in, nonce, 36);
            p = put_string(p, nonce);
            break;
        case 2:
            keyid_ok = (fuzz_u8(in) & 3) != 0;
            p = put_string(p, keyid_ok ? KEYID : "demo-portaL");
            break;
        case 3:
            alg_ok = (fuzz_u8(in) & 3) != 0;
            p = put_string(p, alg_ok ? "hmac-sha256" : "rsa");
            break;
        case 4:
            p += sprintf(p, "%lld", (long long) expires);
            break;
        default:
            printable(in, s, 16);
            p = put_string(p, s);
        }
    }
    *p = '\0';

    /* an unrelated member before ours, as a proxy may add */
    if (flags & 0x20) {
        snprintf(si, sizeof(si), "proxy=(\"@method\");keyid=\"p\", %s=%s",
                 label, inner);
    } else {
        snprintf(si, sizeof(si), "%s=%s", label, inner);
    }

    b = (const char *) in->p;
    r.content.data = b;
    r.content.len = in->n;
    r.in.body = body ? &r.content : NULL;

    SHA256((const unsigned char *) b, in->n, md);
    strcpy(cd, "sha-256=:");
    b64(cd + 9, md, sizeof(md));
    strcat(cd, ":");
    r.headers[0].value = str(cd, strlen(cd));

    /* the base, RFC 9421 section 2.5 */
    p = base;
    for (i = 0; i < nc; i++) {
        p += sprintf(p, "\"%s\": ", components[comp[i]]);

        switch (comp[i]) {
        case 0: p = stpcpy(p, method); break;
        case 1: p = stpcpy(p, path[0] != '\0' ? path : "/"); break;
        case 2: p = stpcpy(stpcpy(p, "?"), query); break;
        case 3: p = stpcpy(p, cd); break;
        case 4:
            for (j = 0; auth[j] != '\0'; j++) {
                *p++ = (auth[j] >= 'A' && auth[j] <= 'Z') ? auth[j] + 32
                                                          : auth[j];
            }
            break;
        default: p = stpcpy(p, xa);
        }

        *p++ = '\n';
    }
    p = stpcpy(stpcpy(p, "\"@signature-params\": "), inner);
    len = (size_t) (p - base);

    sign(sig, label, secret, base, len);

    switch (tamper) {
    case 1: r.in.method = str("PUT", 3); break;
    case 2: r.in.path = str("/v1/other", 9); break;
    case 3: r.in.args = str("x=1", 3); break;
    case 4: cd[9] = cd[9] == 'A' ? 'B' : 'A'; break;
    case 5: sig[strlen(label) + 2] ^= 1; break;
    }

    r.in.signature_input = str(si, strlen(si));
    r.in.signature = str(sig, strlen(sig));

    rc = dg_sig_verify(&r.in, &dg_sig_contract_policy, &res);

    open = dg_sig_contract_policy;
    open.components = NULL;
    open.params = 0;
    rc2 = dg_sig_verify(&r.in, &open, &res2);
    FUZZ_ASSERT(rc < DG_SIG_UNAVAILABLE && rc2 < DG_SIG_UNAVAILABLE);

    if (rc == DG_SIG_OK || rc2 == DG_SIG_OK) {
        /* a tampered request: only a change outside what was signed */
        FUZZ_ASSERT(tamper == 0 || tamper == 7
                    || (tamper == 1 && !seen[0])
                    || (tamper == 2 && !seen[1])
                    || (tamper == 3 && !seen[2])
                    || (tamper == 4 && !seen[3] && !body));
        FUZZ_ASSERT(nseen[2] == 1 && keyid_ok);
        FUZZ_ASSERT(strcmp((rc == DG_SIG_OK ? &res : &res2)->keyid, KEYID)
                    == 0);

        /* the core signed what the independent signer signed */
        FUZZ_ASSERT(dg_sig_base(&r.in, "sig1", &core, &len) == DG_SIG_OK);
        FUZZ_ASSERT(len == (size_t) (p - base)
                    && memcmp(core, base, len) == 0);
        free(core);
    }

    if (rc == DG_SIG_OK) {
        FUZZ_ASSERT(strcmp(res.keyid, KEYID) == 0);
        FUZZ_ASSERT(res.created >= NOW - 300 && res.created <= NOW + 300);
    }

    /* what the contract allows must pass */
    ok = tamper == 0 || tamper == 7;
    ok = ok && nc == 3u + (body != 0) && comp[0] == 0 && comp[1] == 1
         && comp[2] == 2 && (!body || comp[3] == 3);
    ok = ok && nseen[0] == 1 && nseen[1] == 1 && nseen[2] == 1
         && nseen[3] == 1 && nseen[4] <= 1 && nseen[5] <= 1;
    ok = ok && keyid_ok && alg_ok
         && created >= NOW - 300 && created <= NOW + 300
         && (nseen[4] == 0 || expires >= NOW)
         && nonce[0] != '\0'
         && (!(flags & 0x20) || strcmp(label, "sig1") == 0);

    if (ok) {
        FUZZ_ASSERT(rc == DG_SIG_OK);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t    flags;
    fuzz_in_t  in;

    if (size > MAX_TEXT) {
        return 0;
    }

    in.p = data;
    in.n = size;
    flags = fuzz_u8(&in);

    if (flags & 1) {
        fuzz_signer(&in, flags);
    } else {
        fuzz_raw(&in, flags & 2);
    }

    return 0;
}
