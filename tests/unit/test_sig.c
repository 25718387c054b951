/*
 * RFC 9421 verification (dg_sig.h): the RFC's own hmac-sha256 vector, the
 * contract policy and each way a signature can be wrong, and agreement
 * with auto/sign-request.sh byte for byte.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "unit.h"
#include "dg_clients.h"
#include "dg_sig.h"


#define NOW      1700000000
#define SECRET   "demo-portal-secret"
#define BODY     "{\"MaHoSo\": \"HS-1\"}"

#define SI_POST  "(\"@method\" \"@path\" \"@query\" \"content-digest\")"
#define SI_GET   "(\"@method\" \"@path\" \"@query\")"
#define PARAMS   ";created=1700000000;nonce=\"n-1\";keyid=\"demo-portal\"" \
                 ";alg=\"hmac-sha256\""


typedef struct {
    const char  *name;
    const char  *value;
} hdr_t;

typedef struct {
    dg_sig_input_t    in;
    dg_sig_body_t     body;
    unsigned char     sha256[SHA256_DIGEST_LENGTH];
    unsigned char     sha512[SHA512_DIGEST_LENGTH];
    hdr_t             headers[4];
    size_t            nheaders;
    char              content_digest[256];
    char              sig_input[1024];
    char              sig[512];
    char              nonces[8][DG_SIG_MAX_NONCE + 1];
    size_t            nnonces;
    int               store_down;
    time_t            nonce_expires;
} req_t;


static int
header_cb(void *data, const char *name, const char **value, size_t *len)
{
    size_t  i;
    req_t  *r;

    r = data;

    for (i = 0; i < r->nheaders; i++) {
        if (strcmp(r->headers[i].name, name) == 0) {
            *value = r->headers[i].value;
            *len = strlen(*value);
            return 0;
        }
    }

    return -1;
}


static int
key_cb(void *data, const char *keyid, size_t len,
    const unsigned char **secret, size_t *secret_len)
{
    if (len != strlen(keyid) || strcmp(keyid, "demo-portal") != 0) {
        return -1;
    }

    *secret = (const unsigned char *) SECRET;
    *secret_len = strlen(SECRET);

    return 0;
}


static dg_sig_nonce_e
nonce_cb(void *data, const char *keyid, const char *nonce, time_t expires)
{
    size_t  i;
    req_t  *r;

    r = data;

    if (r->store_down) {
        return DG_SIG_NONCE_UNAVAILABLE;
    }

    for (i = 0; i < r->nnonces; i++) {
        if (strcmp(r->nonces[i], nonce) == 0) {
            return DG_SIG_NONCE_REPLAYED;
        }
    }

    CU_ASSERT_FATAL(r->nnonces < 8);
    snprintf(r->nonces[r->nnonces++], DG_SIG_MAX_NONCE + 1, "%s", nonce);
    r->nonce_expires = expires;

    return DG_SIG_NONCE_FRESH;
}


static void
set_header(req_t *r, const char *name, const char *value)
{
    size_t  i;

    for (i = 0; i < r->nheaders; i++) {
        if (strcmp(r->headers[i].name, name) == 0) {
            r->headers[i].value = value;
            return;
        }
    }

    CU_ASSERT_FATAL(r->nheaders < 4);
    r->headers[r->nheaders].name = name;
    r->headers[r->nheaders].value = value;
    r->nheaders++;
}


static dg_sf_str_t
str(const char *s)
{
    dg_sf_str_t  v;

    v.data = s;
    v.len = s != NULL ? strlen(s) : 0;

    return v;
}


/* A request; body NULL for none.  The nonce store lives in the request. */
static void
req_init(req_t *r, const char *method, const char *path, const char *args,
    const char *body)
{
    char  b64[128];

    memset(r, 0, sizeof(req_t));

    r->in.method = str(method);
    r->in.authority = str("127.0.0.1:8080");
    r->in.path = str(path);
    r->in.args = str(args);
    r->in.now = NOW;
    r->in.header = header_cb;
    r->in.header_data = r;
    r->in.key = key_cb;
    r->in.nonce = nonce_cb;
    r->in.nonce_data = r;

    if (body != NULL) {
        /* the digests as a client makes them, OpenSSL's one-shot calls */
        SHA256((const unsigned char *) body, strlen(body), r->sha256);
        SHA512((const unsigned char *) body, strlen(body), r->sha512);
        dg_base64_encode(b64, sizeof(b64), r->sha256, 32, DG_BASE64);
        snprintf(r->content_digest, sizeof(r->content_digest),
                 "sha-256=:%s:", b64);
        set_header(r, "content-digest", r->content_digest);
        r->body.data = body;
        r->body.len = strlen(body);
        r->in.body = &r->body;
    }
}


/*
 * Signs with secret under Signature-Input sig_input ("label=(...)...");
 * label picks the member when there are several.
 */
static void
req_sign_as(req_t *r, const char *sig_input, const char *label,
    const char *secret)
{
    char           *base, b64[64];
    size_t          len;
    unsigned int    mdlen;
    unsigned char   md[EVP_MAX_MD_SIZE];

    snprintf(r->sig_input, sizeof(r->sig_input), "%s", sig_input);
    r->in.signature_input = str(r->sig_input);

    CU_ASSERT_EQUAL_FATAL(dg_sig_base(&r->in, label, &base, &len), DG_SIG_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(HMAC(EVP_sha256(), secret,
                                      (int) strlen(secret),
                                      (unsigned char *) base, len, md,
                                      &mdlen));
    free(base);

    dg_base64_encode(b64, sizeof(b64), md, mdlen, DG_BASE64);
    snprintf(r->sig, sizeof(r->sig), "%s=:%s:", label, b64);
    r->in.signature = str(r->sig);
}


static void
req_sign(req_t *r, const char *sig_input)
{
    req_sign_as(r, sig_input, "sig1", SECRET);
}


static dg_sig_reason_e
verify(req_t *r)
{
    return dg_sig_verify(&r->in, &dg_sig_contract_policy, NULL);
}


/* RFC 9421 Appendix B.2.5 (test-request signed with test-shared-secret) */

static int
rfc_header_cb(void *data, const char *name, const char **value, size_t *len)
{
    if (strcmp(name, "date") == 0) {
        *value = "Tue, 20 Apr 2021 02:07:55 GMT";

    } else if (strcmp(name, "content-type") == 0) {
        *value = "application/json";

    } else if (strcmp(name, "content-digest") == 0) {
        *value = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+"
                 "AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";

    } else {
        return -1;
    }

    *len = strlen(*value);

    return 0;
}


static int
rfc_key_cb(void *data, const char *keyid, size_t len,
    const unsigned char **secret, size_t *secret_len)
{
    static const char  b64[] =
        "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtb"
        "mHhIDi6pcl8jsasjlTMtDQ==";

    if (strcmp(keyid, "test-shared-secret") != 0) {
        return -1;
    }

    *secret_len = dg_base64_decode(data, 64, b64, sizeof(b64) - 1,
                                   DG_BASE64);
    *secret = data;

    return *secret_len == 64 ? 0 : -1;
}


static void
test_rfc9421_b25(void)
{
    char              *base;
    size_t             len;
    unsigned char      key[64];
    dg_sig_input_t     in;
    dg_sig_policy_t    policy;
    dg_sig_result_t    res;
    static const char  expected[] =
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"
        "\"@authority\": example.com\n"
        "\"content-type\": application/json\n"
        "\"@signature-params\": (\"date\" \"@authority\" \"content-type\")"
        ";created=1618884473;keyid=\"test-shared-secret\"";

    memset(&in, 0, sizeof(dg_sig_input_t));
    in.method = str("POST");
    in.authority = str("Example.COM");      /* normalised to lower case */
    in.path = str("/foo");
    in.args = str("param=Value&Pet=dog");
    in.signature_input = str("sig-b25=(\"date\" \"@authority\" "
                             "\"content-type\");created=1618884473;"
                             "keyid=\"test-shared-secret\"");
    in.signature = str("sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8"
                       "=:");
    in.now = 1618884473;
    in.header = rfc_header_cb;
    in.key = rfc_key_cb;
    in.key_data = key;

    CU_ASSERT_EQUAL_FATAL(dg_sig_base(&in, NULL, &base, &len), DG_SIG_OK);
    CU_ASSERT_EQUAL(len, sizeof(expected) - 1);
    CU_ASSERT_STRING_EQUAL(base, expected);
    free(base);

    /* a generic policy: any supported components, created and keyid */
    memset(&policy, 0, sizeof(dg_sig_policy_t));
    policy.params = DG_SIG_PARAM_CREATED | DG_SIG_PARAM_KEYID;
    policy.max_skew = 300;

    CU_ASSERT_EQUAL(dg_sig_verify(&in, &policy, &res), DG_SIG_OK);
    CU_ASSERT_STRING_EQUAL(res.keyid, "test-shared-secret");
    CU_ASSERT_STRING_EQUAL(res.label, "sig-b25");
    CU_ASSERT_EQUAL(res.created, 1618884473);

    policy.max_skew = 0;
    in.now++;
    CU_ASSERT_EQUAL(dg_sig_verify(&in, &policy, NULL), DG_SIG_CREATED);
    in.now--;

    /* the contract requires its own components, nonce and alg */
    CU_ASSERT_EQUAL(dg_sig_verify(&in, &dg_sig_contract_policy, NULL),
                    DG_SIG_COMPONENTS);

    /* any change to a covered component breaks it */
    in.authority = str("example.org");
    CU_ASSERT_EQUAL(dg_sig_verify(&in, &policy, NULL), DG_SIG_SIGNATURE);
}


static void
test_valid(void)
{
    req_t            r;
    dg_sig_result_t  res;

    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    req_sign(&r, "sig1=" SI_POST PARAMS);

    CU_ASSERT_EQUAL(dg_sig_verify(&r.in, &dg_sig_contract_policy, &res),
                    DG_SIG_OK);
    CU_ASSERT_STRING_EQUAL(res.keyid, "demo-portal");
    CU_ASSERT_STRING_EQUAL(res.label, "sig1");
    CU_ASSERT_EQUAL(res.created, NOW);
    CU_ASSERT_EQUAL(r.nnonces, 1);
    CU_ASSERT_EQUAL(r.nonce_expires, NOW + 300);

    req_init(&r, "GET", "/v1/feed", "sector=BTXH&after=0", NULL);
    req_sign(&r, "sig1=" SI_GET PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_OK);

    /* the query is covered */
    r.in.args = str("sector=HT&after=0");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_SIGNATURE);
}


static void
test_missing_and_malformed(void)
{
    req_t  r;

    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    req_sign(&r, "sig1=" SI_POST PARAMS);

    r.in.signature.data = NULL;
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MISSING);
    r.in.signature = str(r.sig);
    r.in.signature_input.data = NULL;
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MISSING);
    r.in.signature_input = str(r.sig_input);

    r.in.signature = str("sig1=:not base64!:");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);
    r.in.signature = str("sig1=:AAAA:");                    /* too short */
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_SIGNATURE);
    r.in.signature = str("sig2=:AAAA:");                    /* no "sig1" */
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);
    r.in.signature = str("");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);
    r.in.signature = str(r.sig);

    r.in.signature_input = str("");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);
    r.in.signature_input = str("sig1=" SI_POST PARAMS ",");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);
    r.in.signature_input = str("sig1=" SI_POST PARAMS ";tag=1");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);

    /* duplicate parameters and labels, unknown parameters */
    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    r.in.signature_input = str("sig1=" SI_POST PARAMS ";nonce=\"n-2\"");
    r.in.signature = str("sig1=:AAAA:");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);
    r.in.signature_input = str("sig1=" SI_POST PARAMS ", sig1=" SI_POST
                               PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);
    r.in.signature = str("sig1=:AAAA:, sig1=:AAAA:");
    r.in.signature_input = str("sig1=" SI_POST PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);

    req_sign(&r, "sig1=" SI_POST PARAMS ";context=\"x\"");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);
    req_sign(&r, "sig1=" SI_POST PARAMS ";tag=\"dossier\"");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_OK);
    CU_ASSERT_EQUAL(r.nnonces, 1);
}


static void
test_components(void)
{
    req_t  r;

    req_init(&r, "POST", "/v1/dossiers", "", BODY);

    /* wrong order */
    req_sign(&r, "sig1=(\"@path\" \"@method\" \"@query\" \"content-digest\")"
             PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_COMPONENTS);

    /* missing @query, missing content-digest with a body */
    req_sign(&r, "sig1=(\"@method\" \"@path\" \"content-digest\")" PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_COMPONENTS);
    req_sign(&r, "sig1=" SI_GET PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_COMPONENTS);

    /* one more than asked for */
    set_header(&r, "content-type", "application/json");
    req_sign(&r, "sig1=(\"@method\" \"@path\" \"@query\" \"content-digest\" "
             "\"content-type\")" PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_COMPONENTS);

    /* content-digest without a body */
    req_init(&r, "GET", "/v1/dossiers/HS-1", "", NULL);
    set_header(&r, "content-digest", "sha-256=:AAAA:");
    req_sign(&r, "sig1=" SI_POST PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_COMPONENTS);

    /* the generic verifier refuses what it cannot rebuild */
    r.in.signature_input = str("sig1=(\"@target-uri\")" PARAMS);
    CU_ASSERT_EQUAL(dg_sig_base(&r.in, NULL, NULL, NULL), DG_SIG_COMPONENTS);
    r.in.signature_input = str("sig1=(\"Content-Type\")" PARAMS);
    CU_ASSERT_EQUAL(dg_sig_base(&r.in, NULL, NULL, NULL), DG_SIG_COMPONENTS);
    r.in.signature_input = str("sig1=(\"x-absent\")" PARAMS);
    CU_ASSERT_EQUAL(dg_sig_base(&r.in, NULL, NULL, NULL), DG_SIG_COMPONENTS);
    r.in.signature_input = str("sig1=(\"@method\" \"@method\")" PARAMS);
    CU_ASSERT_EQUAL(dg_sig_base(&r.in, NULL, NULL, NULL), DG_SIG_COMPONENTS);
    r.in.signature_input = str("sig1=(\"@signature-params\")" PARAMS);
    CU_ASSERT_EQUAL(dg_sig_base(&r.in, NULL, NULL, NULL), DG_SIG_COMPONENTS);
    r.in.signature_input = str("sig1=(\"\")" PARAMS);
    CU_ASSERT_EQUAL(dg_sig_base(&r.in, NULL, NULL, NULL), DG_SIG_COMPONENTS);

    /* a covered value must not smuggle a line break into the base */
    set_header(&r, "x-note", "a\nb");
    r.in.signature_input = str("sig1=(\"x-note\")" PARAMS);
    CU_ASSERT_EQUAL(dg_sig_base(&r.in, NULL, NULL, NULL), DG_SIG_MALFORMED);
}


static void
test_alg_keyid(void)
{
    req_t  r;

    req_init(&r, "POST", "/v1/dossiers", "", BODY);

    req_sign(&r, "sig1=" SI_POST ";created=1700000000;nonce=\"n-1\""
             ";keyid=\"demo-portal\";alg=\"hmac-sha512\"");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_ALG);
    req_sign(&r, "sig1=" SI_POST ";created=1700000000;nonce=\"n-1\""
             ";keyid=\"demo-portal\";alg=\"rsa-pss-sha512\"");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_ALG);
    req_sign(&r, "sig1=" SI_POST ";created=1700000000;nonce=\"n-1\""
             ";keyid=\"demo-portal\"");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_ALG);
    req_sign(&r, "sig1=" SI_POST ";created=1700000000;nonce=\"n-1\""
             ";keyid=\"demo-portal\";alg=1");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);

    req_sign(&r, "sig1=" SI_POST ";created=1700000000;nonce=\"n-1\""
             ";keyid=\"nobody\";alg=\"hmac-sha256\"");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_KEYID);
    req_sign(&r, "sig1=" SI_POST ";created=1700000000;nonce=\"n-1\""
             ";alg=\"hmac-sha256\"");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_KEYID);
    req_sign(&r, "sig1=" SI_POST ";created=1700000000;nonce=\"n-1\""
             ";keyid=\"\";alg=\"hmac-sha256\"");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_KEYID);

    /* the right keyid with another secret */
    req_sign_as(&r, "sig1=" SI_POST PARAMS, "sig1", "not-the-secret");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_SIGNATURE);
    CU_ASSERT_EQUAL(r.nnonces, 0);
}


static dg_sig_reason_e
with_created(long long created)
{
    char   si[512];
    req_t  r;

    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    snprintf(si, sizeof(si), "sig1=" SI_POST ";created=%lld;nonce=\"n-1\""
             ";keyid=\"demo-portal\";alg=\"hmac-sha256\"", created);
    req_sign(&r, si);

    return verify(&r);
}


static void
test_created(void)
{
    req_t  r;

    CU_ASSERT_EQUAL(with_created(NOW), DG_SIG_OK);
    CU_ASSERT_EQUAL(with_created(NOW - 300), DG_SIG_OK);
    CU_ASSERT_EQUAL(with_created(NOW - 301), DG_SIG_CREATED);
    CU_ASSERT_EQUAL(with_created(NOW + 300), DG_SIG_OK);
    CU_ASSERT_EQUAL(with_created(NOW + 301), DG_SIG_CREATED);
    CU_ASSERT_EQUAL(with_created(-1), DG_SIG_CREATED);
    CU_ASSERT_EQUAL(with_created(999999999999999LL), DG_SIG_CREATED);

    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    req_sign(&r, "sig1=" SI_POST ";nonce=\"n-1\";keyid=\"demo-portal\""
             ";alg=\"hmac-sha256\"");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_CREATED);
    req_sign(&r, "sig1=" SI_POST ";created=\"1700000000\";nonce=\"n-1\""
             ";keyid=\"demo-portal\";alg=\"hmac-sha256\"");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);

    /* an expires in the past ends the signature early */
    req_sign(&r, "sig1=" SI_POST PARAMS ";expires=1699999999");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_CREATED);
    req_sign(&r, "sig1=" SI_POST PARAMS ";expires=1700000000");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_OK);
}


static void
test_nonce(void)
{
    req_t  r;

    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    req_sign(&r, "sig1=" SI_POST PARAMS);

    CU_ASSERT_EQUAL(verify(&r), DG_SIG_OK);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_NONCE);              /* replay */

    r.store_down = 1;
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_UNAVAILABLE);
    CU_ASSERT_EQUAL(dg_error(dg_sig_reason_error(DG_SIG_UNAVAILABLE))->status,
                    503);
    r.store_down = 0;

    /* a failed signature does not burn the nonce */
    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    req_sign_as(&r, "sig1=" SI_POST PARAMS, "sig1", "wrong-secret-value");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_SIGNATURE);
    req_sign(&r, "sig1=" SI_POST PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_OK);

    /* missing and empty nonces */
    req_sign(&r, "sig1=" SI_POST ";created=1700000000;keyid=\"demo-portal\""
             ";alg=\"hmac-sha256\"");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_NONCE);
    req_sign(&r, "sig1=" SI_POST ";created=1700000000;nonce=\"\""
             ";keyid=\"demo-portal\";alg=\"hmac-sha256\"");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_NONCE);

    /* a policy that wants a nonce needs a store */
    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    req_sign(&r, "sig1=" SI_POST PARAMS);
    r.in.nonce = NULL;
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_INTERNAL);
}


static void
test_digest(void)
{
    char              b64[128], cd[512];
    req_t             r;
    dg_sig_body_t     other = { "{}", 2 };

    /* a body that is not the one the digest was made of */
    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    req_sign(&r, "sig1=" SI_POST PARAMS);
    r.in.body = &other;
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_DIGEST);
    CU_ASSERT_EQUAL(r.nnonces, 0);

    /* sha-512 alone is not enough; with sha-256 it is checked too */
    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    dg_base64_encode(b64, sizeof(b64), r.sha512, 64, DG_BASE64);
    snprintf(cd, sizeof(cd), "sha-512=:%s:", b64);
    set_header(&r, "content-digest", cd);
    req_sign(&r, "sig1=" SI_POST PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_DIGEST);

    snprintf(cd, sizeof(cd), "%s, sha-512=:%s:", r.content_digest, b64);
    req_sign(&r, "sig1=" SI_POST PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_OK);

    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    b64[0] = b64[0] == 'A' ? 'B' : 'A';
    snprintf(cd, sizeof(cd), "%s, sha-512=:%s:", r.content_digest, b64);
    set_header(&r, "content-digest", cd);
    req_sign(&r, "sig1=" SI_POST PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_DIGEST);

    /* unknown algorithms are ignored */
    snprintf(cd, sizeof(cd), "md5=:AAAAAAAAAAAAAAAAAAAAAA==:, %s",
             r.content_digest);
    req_sign(&r, "sig1=" SI_POST PARAMS);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_OK);

    /* covered but absent */
    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    r.nheaders = 0;
    r.in.signature_input = str("sig1=" SI_POST PARAMS);
    r.in.signature = str("sig1=:AAAA:");
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_DIGEST);

    /* the check alone: sha-256 named, then both */
    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    CU_ASSERT_EQUAL(dg_content_digest_check(r.content_digest,
                                            strlen(r.content_digest),
                                            &r.body), DG_SIG_OK);
    dg_base64_encode(b64, sizeof(b64), r.sha512, 64, DG_BASE64);
    snprintf(cd, sizeof(cd), "sha-512=:%s:, %s", b64, r.content_digest);
    CU_ASSERT_EQUAL(dg_content_digest_check(cd, strlen(cd), &r.body),
                    DG_SIG_OK);
    CU_ASSERT_EQUAL(dg_content_digest_check(cd, strlen(cd), &other),
                    DG_SIG_DIGEST);

    CU_ASSERT_EQUAL(dg_content_digest_check("sha-256=:AA:", 12, &other),
                    DG_SIG_DIGEST);
    CU_ASSERT_EQUAL(dg_content_digest_check("", 0, &other), DG_SIG_DIGEST);
}


static void
test_labels(void)
{
    char   sig[600];
    req_t  r;

    /* a single signature is used whatever its label */
    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    req_sign_as(&r, "portal=" SI_POST PARAMS, "portal", SECRET);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_OK);

    /* among several, sig1; the other one's Signature is ignored */
    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    req_sign(&r, "proxy=(\"@method\");created=1;keyid=\"proxy\", sig1="
             SI_POST PARAMS);
    snprintf(sig, sizeof(sig), "proxy=:AAAA:, %s", r.sig);
    r.in.signature = str(sig);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_OK);

    req_init(&r, "POST", "/v1/dossiers", "", BODY);
    req_sign_as(&r, "a=" SI_POST PARAMS ", b=" SI_POST PARAMS, "a", SECRET);
    CU_ASSERT_EQUAL(verify(&r), DG_SIG_MALFORMED);
}


#define SIG_ERR(r)  dg_error(dg_sig_reason_error(r))

static void
test_reasons(void)
{
    int                r;
    const dg_error_t  *e;

    for (r = DG_SIG_MISSING; r <= DG_SIG_INTERNAL; r++) {
        e = SIG_ERR(r);
        CU_ASSERT_EQUAL(strncmp(e->code, "auth.", 5), 0);
        CU_ASSERT(e->vi[0] != '\0' && e->en[0] != '\0');
        CU_ASSERT(e->status >= 401);
    }

    CU_ASSERT_STRING_EQUAL(SIG_ERR(DG_SIG_SIGNATURE)->code, "auth.signature");
    CU_ASSERT_STRING_EQUAL(SIG_ERR(DG_SIG_DIGEST)->code, "auth.digest");
    CU_ASSERT_EQUAL(SIG_ERR(DG_SIG_NONCE)->status, 401);
    CU_ASSERT_EQUAL(SIG_ERR(DG_SIG_INTERNAL)->status, 500);
    CU_ASSERT_STRING_EQUAL(SIG_ERR((dg_sig_reason_e) 99)->code,
                           "auth.internal");
}


/*
 * auto/sign-request.sh --dry-run with a fixed created and nonce: its base
 * must be ours byte for byte, its headers must verify against the dev
 * client registry, and the signatures must be the values computed
 * independently when the example was written.
 */
static void
script_case(const char *method, const char *url, const char *path,
    const char *args, const char *body, const char *expected_sig)
{
    int                 fd;
    char                cmd[512], out[2048], err[256], bodyfile[64];
    char               *base, *p;
    char               *sep, *sig_input, *sig, *cd;
    FILE               *f;
    size_t              n, len;
    req_t               r;
    dg_clients_t       *clients;
    dg_sig_result_t     res;

    CU_ASSERT_EQUAL_FATAL(access("auto/sign-request.sh", R_OK), 0);

    bodyfile[0] = '\0';

    if (body != NULL) {
        strcpy(bodyfile, "/tmp/dg-test-body-XXXXXX");
        fd = mkstemp(bodyfile);
        CU_ASSERT_FATAL(fd >= 0);
        CU_ASSERT_FATAL(write(fd, body, strlen(body))
                        == (ssize_t) strlen(body));
        close(fd);
    }

    snprintf(cmd, sizeof(cmd), "sh auto/sign-request.sh --dry-run "
             "--created 1700000000 --nonce abc %s '%s' '%s' demo-portal "
             "demo-portal-secret", method, url, bodyfile);

    f = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    CU_ASSERT_EQUAL(pclose(f), 0);

    if (body != NULL) {
        unlink(bodyfile);
    }

    /* "--- signature base\n" BASE "\n--- headers\n" HEADERS */
    CU_ASSERT_EQUAL_FATAL(strncmp(out, "--- signature base\n", 19), 0);
    sep = strstr(out, "\n--- headers\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sep);
    *sep = '\0';

    req_init(&r, method, path, args, body);

    cd = strstr(sep + 1, "Content-Digest: ");
    sig_input = strstr(sep + 1, "Signature-Input: ");
    sig = strstr(sep + 1, "\nSignature: ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sig_input);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sig);

    for (p = sep + 1; *p != '\0'; p++) {
        if (*p == '\n') {
            *p = '\0';
        }
    }

    if (body != NULL) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(cd);
        CU_ASSERT_STRING_EQUAL(cd + 16, r.content_digest);

    } else {
        CU_ASSERT_PTR_NULL(cd);
    }

    r.in.signature_input = str(sig_input + 17);
    r.in.signature = str(sig + 12);

    CU_ASSERT_EQUAL_FATAL(dg_sig_base(&r.in, NULL, &base, &len), DG_SIG_OK);
    CU_ASSERT_STRING_EQUAL(out + 19, base);
    free(base);

    CU_ASSERT_EQUAL(strncmp(r.in.signature.data + 6, expected_sig,
                            strlen(expected_sig)), 0);

    /* end to end with the dev registry as the key store */
    clients = dg_clients_load("conf/dev/clients.conf", err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(clients);
    r.in.key = dg_clients_sig_key;
    r.in.key_data = clients;

    CU_ASSERT_EQUAL(dg_sig_verify(&r.in, &dg_sig_contract_policy, &res),
                    DG_SIG_OK);
    CU_ASSERT_STRING_EQUAL(res.keyid, "demo-portal");

    dg_clients_free(clients);
}


static void
test_sign_request_script(void)
{
    script_case("POST", "http://127.0.0.1:8080/v1/dossiers", "/v1/dossiers",
                "", "{\"hello\": \"world\"}",
                "9dlCbwTVpJst2F8X6zrQ0XnPolHmdc82GTTQOPoyYV4=");
    script_case("GET", "http://127.0.0.1:8080/v1/feed?sector=BTXH&after=0",
                "/v1/feed", "sector=BTXH&after=0", NULL,
                "Bo791MnvpXoU1rRdu+Jsi3vjP3oDTZi0cjVmQ2nyjpU=");
    /* raw, undecoded path and query; no path at all is "/" */
    script_case("GET", "http://127.0.0.1:8080/v1/dossiers/HS%2F1?a=%20b#x",
                "/v1/dossiers/HS%2F1", "a=%20b", NULL, "");
    script_case("GET", "http://127.0.0.1:8080", "/", "", NULL, "");
}


static CU_TestInfo  tests[] = {
    { "RFC 9421 B.2.5 hmac-sha256", test_rfc9421_b25 },
    { "valid", test_valid },
    { "missing and malformed", test_missing_and_malformed },
    { "components", test_components },
    { "alg and keyid", test_alg_keyid },
    { "created window", test_created },
    { "nonce", test_nonce },
    { "content digest", test_digest },
    { "labels", test_labels },
    { "reasons", test_reasons },
    { "sign-request.sh agrees", test_sign_request_script },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(sig, tests)
