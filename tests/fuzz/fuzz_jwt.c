/*
 * VNeID tokens (dg_jwt.h): verification, bearer extraction, JWKS parsing,
 * with the development issuer's keys (conf/dev).
 *
 * The first byte's low two bits pick a mode:
 *
 *   0 raw      an Authorization value: dg_jwt_bearer, then the token it
 *              holds (or the whole value) through dg_jwt_verify, which
 *              answers 401 or OK, never 500;
 *   1 texts    header and payload JSON as the fuzzer wrote them, signed
 *              here with the issuer's EC or RSA key: a token accepted is
 *              one whose header names the signing key and alg and whose
 *              claims, read here with jansson, satisfy every rule;
 *   2 claims   header and claims chosen from good and bad values, signed
 *              by the right, the wrong or no key: the reason is the one
 *              dg_jwt.h's rules give, in their order;
 *   3 jwks     the bytes as a key set: dg_jwks_parse.
 */

#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dg_jwt.h"
#include "dg_sf.h"
#include "fuzz.h"


#define NOW     1700000000LL
#define ISS     "https://vneid-test.dossier-gateway.invalid"
#define AUD     "dossier-gateway-dev"
#define EC_KID  "vneid-test-es256"
#define RSA_KID "vneid-test-rs256"

#define TOKEN_MAX  (2 * DG_JWT_MAX_LEN)


static const dg_jwt_policy_t  policy = { ISS, AUD, 60 };

static dg_jwks_t  *jwks;
static EVP_PKEY   *ec, *rsa, *stranger;


static EVP_PKEY *
load_key(const char *name)
{
    BIO       *bio;
    char       path[512];
    EVP_PKEY  *k;

    snprintf(path, sizeof(path), "%s/conf/dev/%s", DG_FUZZ_ROOT, name);

    bio = BIO_new_file(path, "r");
    FUZZ_ASSERT(bio != NULL);
    k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    FUZZ_ASSERT(k != NULL);
    BIO_free(bio);

    return k;
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char  path[512], err[256];

    snprintf(path, sizeof(path), "%s/conf/dev/vneid-test-jwks.json",
             DG_FUZZ_ROOT);

    jwks = dg_jwks_load(path, err, sizeof(err));
    if (jwks == NULL) {
        fprintf(stderr, "fuzz_jwt: %s\n", err);
        abort();
    }

    ec = load_key("vneid-test-private.pem");
    rsa = load_key("vneid-test-rsa-private.pem");
    stranger = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    FUZZ_ASSERT(stranger != NULL);

    return 0;
}


static size_t
b64url(char *dst, size_t size, const void *src, size_t len)
{
    ssize_t  n;

    n = dg_base64_encode(dst, size, src, len, DG_BASE64URL);
    FUZZ_ASSERT(n >= 0);

    return (size_t) n;
}


/* header.payload.signature, the signature by k (NULL: a made-up one) */
static size_t
make_token(char *out, const char *header, size_t hlen, const char *payload,
    size_t plen, EVP_PKEY *k)
{
    size_t          n, siglen;
    EVP_MD_CTX     *ctx;
    ECDSA_SIG      *es;
    const BIGNUM   *r, *s;
    unsigned char   sig[512];
    const unsigned char  *p;

    n = b64url(out, TOKEN_MAX, header, hlen);
    out[n++] = '.';
    n += b64url(out + n, TOKEN_MAX - n, payload, plen);

    if (k == NULL) {
        memset(sig, 0x5a, 64);
        siglen = 64;

    } else {
        ctx = EVP_MD_CTX_new();
        siglen = sizeof(sig);
        FUZZ_ASSERT(ctx != NULL
                    && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k)
                       == 1
                    && EVP_DigestSign(ctx, sig, &siglen,
                                      (unsigned char *) out, n) == 1);
        EVP_MD_CTX_free(ctx);

        if (EVP_PKEY_is_a(k, "EC")) {
            /* DER to the r || s of RFC 7518 */
            p = sig;
            es = d2i_ECDSA_SIG(NULL, &p, (long) siglen);
            FUZZ_ASSERT(es != NULL);
            ECDSA_SIG_get0(es, &r, &s);
            FUZZ_ASSERT(BN_bn2binpad(r, sig, 32) == 32
                        && BN_bn2binpad(s, sig + 32, 32) == 32);
            ECDSA_SIG_free(es);
            siglen = 64;
        }
    }

    out[n++] = '.';
    n += b64url(out + n, TOKEN_MAX - n, sig, siglen);

    return n;
}


static void
check_sub(dg_jwt_reason_e rc, const char *sub)
{
    size_t  i;

    /* whatever the token, a 401 (or OK), never a 500 */
    FUZZ_ASSERT(rc < DG_JWT_INTERNAL);
    FUZZ_ASSERT(rc == DG_JWT_OK
                || dg_error(dg_jwt_reason_error(rc))->status == 401);

    if (rc == DG_JWT_OK) {
        FUZZ_ASSERT(strlen(sub) == DG_JWT_SUB_LEN);
        for (i = 0; i < DG_JWT_SUB_LEN; i++) {
            FUZZ_ASSERT(sub[i] >= '0' && sub[i] <= '9');
        }
    }
}


static void
fuzz_raw(const char *value, size_t len)
{
    char             sub[DG_JWT_SUB_LEN + 1];
    size_t           tlen;
    const char      *token;
    dg_jwt_reason_e  rc;

    if (dg_jwt_bearer(value, len, &token, &tlen) == 0) {
        FUZZ_ASSERT(strncasecmp(value, "bearer ", 7) == 0);
        FUZZ_ASSERT(token > value && token + tlen <= value + len);
        FUZZ_ASSERT(tlen > 0 && token[0] != ' ' && token[tlen - 1] != ' '
                    && token[tlen - 1] != '\t');

    } else {
        token = value;
        tlen = len;
    }

    rc = dg_jwt_verify(jwks, &policy, token, tlen, NOW, sub);
    check_sub(rc, sub);
}


/* A NumericDate claim within the rules: absent (unless required) or an
 * integer on the right side of now. */
static int
time_ok(json_t *claims, const char *name, int required, int future)
{
    json_t  *v;

    v = json_object_get(claims, name);
    if (v == NULL) {
        return !required;
    }

    if (!json_is_integer(v)) {
        return 0;
    }

    return future ? json_integer_value(v) > NOW - 60
                  : json_integer_value(v) <= NOW + 60;
}


static void
fuzz_texts(const uint8_t *data, size_t size, int use_rsa)
{
    char             token[TOKEN_MAX], sub[DG_JWT_SUB_LEN + 1];
    size_t           n, i, hlen;
    json_t          *h, *c, *aud, *v;
    const char      *s, *alg, *kid;
    const uint8_t   *nl;
    dg_jwt_reason_e  rc;

    nl = memchr(data, '\n', size);
    if (nl == NULL || 3 * size + 600 > TOKEN_MAX) {
        return;
    }

    hlen = (size_t) (nl - data);

    n = make_token(token, (const char *) data, hlen, (const char *) nl + 1,
                   size - hlen - 1, use_rsa ? rsa : ec);

    rc = dg_jwt_verify(jwks, &policy, token, n, NOW, sub);
    check_sub(rc, sub);

    if (rc != DG_JWT_OK) {
        return;
    }

    h = json_loadb((const char *) data, hlen, JSON_REJECT_DUPLICATES, NULL);
    c = json_loadb((const char *) nl + 1, size - hlen - 1,
                   JSON_REJECT_DUPLICATES, NULL);
    FUZZ_ASSERT(json_is_object(h) && json_is_object(c));

    alg = json_string_value(json_object_get(h, "alg"));
    kid = json_string_value(json_object_get(h, "kid"));
    FUZZ_ASSERT(json_object_get(h, "crit") == NULL);
    FUZZ_ASSERT(alg != NULL && kid != NULL);
    FUZZ_ASSERT(strcmp(alg, use_rsa ? "RS256" : "ES256") == 0);
    FUZZ_ASSERT(strcmp(kid, use_rsa ? RSA_KID : EC_KID) == 0);

    s = json_string_value(json_object_get(c, "iss"));
    FUZZ_ASSERT(s != NULL && strcmp(s, ISS) == 0);

    aud = json_object_get(c, "aud");
    if (json_is_array(aud)) {
        json_array_foreach(aud, i, v) {
            if (json_is_string(v) && strcmp(json_string_value(v), AUD) == 0)
            {
                break;
            }
        }
        FUZZ_ASSERT(i < json_array_size(aud));

    } else {
        FUZZ_ASSERT(json_is_string(aud)
                    && strcmp(json_string_value(aud), AUD) == 0);
    }

    FUZZ_ASSERT(time_ok(c, "exp", 1, 1));
    FUZZ_ASSERT(time_ok(c, "nbf", 0, 0));
    FUZZ_ASSERT(time_ok(c, "iat", 0, 0));

    s = json_string_value(json_object_get(c, "sub"));
    FUZZ_ASSERT(s != NULL && strcmp(s, sub) == 0);

    json_decref(h);
    json_decref(c);
}


static const char *const  algs[] = {
    "\"ES256\"", "\"RS256\"", "\"none\"", "\"HS256\"", "\"ES384\"", "1"
};
static const char *const  kids[] = { EC_KID, RSA_KID, "other" };
static const char *const  isses[] = {
    "\"" ISS "\"", "\"" ISS "/\"", "null", "[\"" ISS "\"]"
};
static const char *const  auds[] = {
    "\"" AUD "\"", "[\"x\",\"" AUD "\"]", "[\"x\"]", "\"other\"", "[]",
    "[1,\"" AUD "\"]", "7"
};
static const char *const  subs[] = {
    "\"031185001234\"", "\"03118500123\"", "\"0311850012345\"",
    "\"03118500123x\"", "31185001234", "\"\\u0030\\u00331185001234\""
};


static void
fuzz_claims(fuzz_in_t *in)
{
    int              a, k, i, u, sb, signer, crit, tamper, dexp, dnbf, diat;
    int              has_exp, has_nbf, has_iat, exp_kind, key_rs;
    char             header[256], claims[512], token[TOKEN_MAX], *p;
    char             sub[DG_JWT_SUB_LEN + 1];
    size_t           n;
    EVP_PKEY        *key;
    dg_jwt_reason_e  rc, want;

    a = fuzz_u8(in) % 6;
    k = fuzz_u8(in) % 4;                /* 3: no kid */
    crit = (fuzz_u8(in) & 7) == 0;
    signer = fuzz_u8(in) % 4;           /* ec, rsa, stranger, none */
    tamper = (fuzz_u8(in) & 7) == 0;
    i = fuzz_u8(in) % 4;
    u = fuzz_u8(in) % 7;
    sb = fuzz_u8(in) % 6;
    exp_kind = fuzz_u8(in) % 4;         /* integer, absent, string, real */
    dexp = fuzz_i16(in);
    has_nbf = fuzz_u8(in) & 1;
    dnbf = fuzz_i16(in);
    has_iat = fuzz_u8(in) & 1;
    diat = fuzz_i16(in);
    has_exp = exp_kind != 1;

    p = header + sprintf(header, "{\"typ\":\"JWT\",\"alg\":%s", algs[a]);
    if (k < 3) {
        p += sprintf(p, ",\"kid\":\"%s\"", kids[k]);
    }
    if (crit) {
        p += sprintf(p, ",\"crit\":[\"exp\"]");
    }
    strcpy(p, "}");

    p = claims + sprintf(claims, "{\"iss\":%s,\"aud\":%s,\"sub\":%s",
                         isses[i], auds[u], subs[sb]);
    switch (exp_kind) {
    case 0: p += sprintf(p, ",\"exp\":%lld", NOW + dexp); break;
    case 2: p += sprintf(p, ",\"exp\":\"%lld\"", NOW + dexp); break;
    case 3: p += sprintf(p, ",\"exp\":%lld.5", NOW + dexp); break;
    }
    if (has_nbf) {
        p += sprintf(p, ",\"nbf\":%lld", NOW + dnbf);
    }
    if (has_iat) {
        p += sprintf(p, ",\"iat\":%lld", NOW + diat);
    }
    strcpy(p, "}");

    key = signer == 0 ? ec : signer == 1 ? rsa : signer == 2 ? stranger
                                                              : NULL;
    n = make_token(token, header, strlen(header), claims, strlen(claims),
                   key);
    if (tamper) {
        token[n - 2] = token[n - 2] == 'A' ? 'B' : 'A';
    }

    /* the rules of dg_jwt.h, in their order */
    key_rs = k == 1;

    if (crit) {
        want = DG_JWT_MALFORMED;
    } else if (a > 1) {
        want = DG_JWT_ALG;
    } else if (k > 1) {
        want = DG_JWT_KID;
    } else if (a != key_rs) {
        want = DG_JWT_ALG;
    } else if (signer != k || tamper) {
        want = DG_JWT_SIGNATURE;
    } else if (i != 0) {
        want = DG_JWT_ISSUER;
    } else if (u > 1 && u != 5) {
        want = DG_JWT_AUDIENCE;
    } else if (!has_exp || exp_kind > 1) {
        want = DG_JWT_MALFORMED;
    } else if (NOW + dexp <= NOW - 60) {
        want = DG_JWT_EXPIRED;
    } else if ((has_nbf && dnbf > 60) || (has_iat && diat > 60)) {
        want = DG_JWT_NOT_YET_VALID;
    } else if (sb != 0 && sb != 5) {
        want = DG_JWT_SUBJECT;
    } else {
        want = DG_JWT_OK;
    }

    rc = dg_jwt_verify(jwks, &policy, token, n, NOW, sub);
    check_sub(rc, sub);

    if (rc != want) {
        fprintf(stderr, "header %s\nclaims %s\nsigner %d tamper %d: "
                "%s, expected %s\n", header, claims, signer, tamper,
                dg_error(dg_jwt_reason_error(rc))->code,
                dg_error(dg_jwt_reason_error(want))->code);
    }

    /* the last but one character carries six bits of the signature */
    FUZZ_ASSERT(rc == want);

    if (rc == DG_JWT_OK) {
        FUZZ_ASSERT(strcmp(sub, "031185001234") == 0);
    }
}


static void
fuzz_jwks(const uint8_t *data, size_t size)
{
    char        err[128];
    dg_jwks_t  *set;

    memset(err, 'x', sizeof(err));

    set = dg_jwks_parse((const char *) data, size, err, sizeof(err));

    if (set == NULL) {
        FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
        return;
    }

    FUZZ_ASSERT(dg_jwks_count(set) >= 1
                && dg_jwks_count(set) <= DG_JWKS_MAX_KEYS);
    dg_jwks_free(set);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t  in;

    if (size == 0 || size > TOKEN_MAX) {
        return 0;
    }

    switch (data[0] & 3) {

    case 0:
        fuzz_raw((const char *) data + 1, size - 1);
        break;

    case 1:
        fuzz_texts(data + 1, size - 1, (data[0] & 4) != 0);
        break;

    case 2:
        in.p = data + 1;
        in.n = size - 1;
        fuzz_claims(&in);
        break;

    default:
        fuzz_jwks(data + 1, size - 1);
    }

    return 0;
}
