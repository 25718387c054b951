/*
 * VNeID tokens (dg_jwt.h) with RSA and EC keys generated here: the
 * accepted algorithms, alg confusion, every claim rule and strict
 * compact-serialisation parsing; JWKS loading; the dev test issuer.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "unit.h"
#include "dg_jwt.h"
#include "dg_sf.h"


#define NOW   1700000000LL
#define ISS   "https://vneid.example.invalid"
#define AUD   "dossier-gateway"
#define SUB   "001099012345"

#define TOKEN_MAX  (DG_JWT_MAX_LEN + 4096)


typedef struct {
    EVP_PKEY   *rsa;
    EVP_PKEY   *ec;
    EVP_PKEY   *other_ec;
    dg_jwks_t  *jwks;
    char        rsa_jwk[1024];
    char        ec_jwk[512];
} keys_t;


static const dg_jwt_policy_t  policy = { ISS, AUD, 60 };


static void
b64url(char *dst, size_t size, const void *src, size_t len)
{
    CU_ASSERT_FATAL(dg_base64_encode(dst, size, src, len, DG_BASE64URL)
                    >= 0);
}


static void
jwk_rsa(EVP_PKEY *k, const char *kid, char *out, size_t size)
{
    int             len;
    char            n64[400], e64[16];
    BIGNUM         *n, *e;
    unsigned char   buf[512];

    n = NULL;
    e = NULL;
    CU_ASSERT_FATAL(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n));
    CU_ASSERT_FATAL(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e));

    len = BN_bn2bin(n, buf);
    b64url(n64, sizeof(n64), buf, len);
    len = BN_bn2bin(e, buf);
    b64url(e64, sizeof(e64), buf, len);

    snprintf(out, size, "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\","
             "\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"}", kid, n64, e64);

    BN_free(n);
    BN_free(e);
}


static void
jwk_ec(EVP_PKEY *k, const char *kid, char *out, size_t size)
{
    char            x[64], y[64];
    size_t          len;
    unsigned char   pub[65];

    CU_ASSERT_FATAL(EVP_PKEY_get_octet_string_param(k,
                        OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &len));
    CU_ASSERT_FATAL(len == 65 && pub[0] == 0x04);

    b64url(x, sizeof(x), pub + 1, 32);
    b64url(y, sizeof(y), pub + 33, 32);

    snprintf(out, size, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"%s\","
             "\"x\":\"%s\",\"y\":\"%s\"}", kid, x, y);
}


/* One key set for the whole suite: RSA key generation is slow. */
static keys_t *
keys(void)
{
    char           json[2048], err[256];
    static keys_t  k;

    if (k.jwks != NULL) {
        return &k;
    }

    k.rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    k.ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    k.other_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    CU_ASSERT_FATAL(k.rsa != NULL && k.ec != NULL && k.other_ec != NULL);

    jwk_rsa(k.rsa, "rsa1", k.rsa_jwk, sizeof(k.rsa_jwk));
    jwk_ec(k.ec, "ec1", k.ec_jwk, sizeof(k.ec_jwk));

    snprintf(json, sizeof(json), "{\"keys\":[%s,%s]}", k.rsa_jwk, k.ec_jwk);
    k.jwks = dg_jwks_parse(json, strlen(json), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(k.jwks);
    CU_ASSERT_EQUAL(dg_jwks_count(k.jwks), 2);

    return &k;
}


/* Appends "." and the signature over out[0..len) to out. */
static void
append_sig(char *out, size_t size, EVP_PKEY *k)
{
    size_t          len, siglen;
    EVP_MD_CTX     *ctx;
    ECDSA_SIG      *es;
    unsigned char   sig[512], raw[64];
    const BIGNUM   *r, *s;
    const unsigned char  *p;

    len = strlen(out);

    ctx = EVP_MD_CTX_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    siglen = sizeof(sig);
    CU_ASSERT_FATAL(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k)
                    == 1);
    CU_ASSERT_FATAL(EVP_DigestSign(ctx, sig, &siglen,
                                   (unsigned char *) out, len) == 1);
    EVP_MD_CTX_free(ctx);

    if (EVP_PKEY_is_a(k, "EC")) {
        /* DER to the r || s JWS wants */
        p = sig;
        es = d2i_ECDSA_SIG(NULL, &p, siglen);
        CU_ASSERT_PTR_NOT_NULL_FATAL(es);
        ECDSA_SIG_get0(es, &r, &s);
        CU_ASSERT_FATAL(BN_bn2binpad(r, raw, 32) == 32
                        && BN_bn2binpad(s, raw + 32, 32) == 32);
        ECDSA_SIG_free(es);
        memcpy(sig, raw, 64);
        siglen = 64;
    }

    out[len] = '.';
    b64url(out + len + 1, size - len - 1, sig, siglen);
}


static void
make(char *out, size_t size, const char *header, const char *payload)
{
    size_t  n;

    b64url(out, size, header, strlen(header));
    n = strlen(out);
    out[n] = '.';
    b64url(out + n + 1, size - n - 1, payload, strlen(payload));
}


static void
sign(char *out, size_t size, EVP_PKEY *k, const char *alg, const char *kid,
    const char *payload)
{
    char  header[256];

    snprintf(header, sizeof(header),
             "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
    make(out, size, header, payload);
    append_sig(out, size, k);
}


static dg_jwt_reason_e
verify(const char *token)
{
    char  sub[DG_JWT_SUB_LEN + 1];

    return dg_jwt_verify(keys()->jwks, &policy, token, strlen(token), NOW,
                         sub);
}


static void
claims(char *out, size_t size, const char *extra)
{
    snprintf(out, size, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\","
             "\"sub\":\"" SUB "\",\"iat\":%lld%s}", NOW, extra);
}


static dg_jwt_reason_e
with_claims(const char *json)
{
    char  token[TOKEN_MAX];

    sign(token, sizeof(token), keys()->ec, "ES256", "ec1", json);

    return verify(token);
}


static dg_jwt_reason_e
with_extra(const char *extra)
{
    char  json[1024];

    claims(json, sizeof(json), extra);

    return with_claims(json);
}


static dg_jwt_reason_e
with_exp(long long exp)
{
    char  extra[64];

    snprintf(extra, sizeof(extra), ",\"exp\":%lld", exp);

    return with_extra(extra);
}


static void
test_valid(void)
{
    char     token[TOKEN_MAX], json[512], sub[DG_JWT_SUB_LEN + 1];
    keys_t  *k;

    k = keys();
    claims(json, sizeof(json), ",\"exp\":1700000600,\"nbf\":1700000000");

    sign(token, sizeof(token), k->rsa, "RS256", "rsa1", json);
    memset(sub, 0, sizeof(sub));
    CU_ASSERT_EQUAL(dg_jwt_verify(k->jwks, &policy, token, strlen(token),
                                  NOW, sub), DG_JWT_OK);
    CU_ASSERT_STRING_EQUAL(sub, SUB);

    sign(token, sizeof(token), k->ec, "ES256", "ec1", json);
    memset(sub, 0, sizeof(sub));
    CU_ASSERT_EQUAL(dg_jwt_verify(k->jwks, &policy, token, strlen(token),
                                  NOW, sub), DG_JWT_OK);
    CU_ASSERT_STRING_EQUAL(sub, SUB);

    /* the token need not be NUL-terminated */
    strcat(token, "garbage");
    CU_ASSERT_EQUAL(dg_jwt_verify(k->jwks, &policy, token,
                                  strlen(token) - 7, NOW, sub), DG_JWT_OK);
}


static void
test_alg_confusion(void)
{
    int             len;
    char            token[TOKEN_MAX], json[512], *pem;
    BIO            *bio;
    size_t          n;
    keys_t         *k;
    unsigned int    maclen;
    unsigned char   mac[EVP_MAX_MD_SIZE];

    k = keys();
    claims(json, sizeof(json), ",\"exp\":1700000600");

    /* HS256 keyed with the RSA public key: the classic confusion */
    bio = BIO_new(BIO_s_mem());
    CU_ASSERT_PTR_NOT_NULL_FATAL(bio);
    CU_ASSERT_FATAL(PEM_write_bio_PUBKEY(bio, k->rsa) == 1);
    len = (int) BIO_get_mem_data(bio, &pem);

    make(token, sizeof(token), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
         "\"kid\":\"rsa1\"}", json);
    n = strlen(token);
    CU_ASSERT_PTR_NOT_NULL_FATAL(HMAC(EVP_sha256(), pem, len,
                                      (unsigned char *) token, n, mac,
                                      &maclen));
    token[n] = '.';
    b64url(token + n + 1, sizeof(token) - n - 1, mac, maclen);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_ALG);
    BIO_free(bio);

    /* alg none, with and without a signature part */
    make(token, sizeof(token), "{\"alg\":\"none\",\"kid\":\"rsa1\"}", json);
    strcat(token, ".");
    CU_ASSERT_EQUAL(verify(token), DG_JWT_MALFORMED);
    strcat(token, "AAAA");
    CU_ASSERT_EQUAL(verify(token), DG_JWT_ALG);
    make(token, sizeof(token), "{\"alg\":\"None\",\"kid\":\"rsa1\"}", json);
    strcat(token, ".AAAA");
    CU_ASSERT_EQUAL(verify(token), DG_JWT_ALG);

    /* other algorithms, even where the key type would fit */
    sign(token, sizeof(token), k->rsa, "RS512", "rsa1", json);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_ALG);
    sign(token, sizeof(token), k->rsa, "PS256", "rsa1", json);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_ALG);
    sign(token, sizeof(token), k->rsa, "rs256", "rsa1", json);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_ALG);
    sign(token, sizeof(token), k->ec, "ES384", "ec1", json);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_ALG);
    sign(token, sizeof(token), k->ec, "HS256", "ec1", json);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_ALG);

    /* the right algorithm name with the other key type */
    sign(token, sizeof(token), k->ec, "RS256", "ec1", json);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_ALG);
    sign(token, sizeof(token), k->rsa, "ES256", "rsa1", json);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_ALG);

    /* alg missing or not a string */
    make(token, sizeof(token), "{\"kid\":\"rsa1\"}", json);
    append_sig(token, sizeof(token), k->rsa);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_ALG);
    make(token, sizeof(token), "{\"alg\":256,\"kid\":\"rsa1\"}", json);
    append_sig(token, sizeof(token), k->rsa);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_ALG);
}


/* token with its signature replaced by n zero bytes */
static dg_jwt_reason_e
with_sig(char *token, size_t n)
{
    char           *p;
    unsigned char   zero[128];

    memset(zero, 0, sizeof(zero));
    p = strrchr(token, '.') + 1;
    b64url(p, TOKEN_MAX - (p - token), zero, n);

    return verify(token);
}


static void
test_kid_and_signature(void)
{
    char     token[TOKEN_MAX], json[512], other[TOKEN_MAX], *dot;
    size_t   n;
    keys_t  *k;

    k = keys();
    claims(json, sizeof(json), ",\"exp\":1700000600");

    sign(token, sizeof(token), k->ec, "ES256", "ec2", json);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_KID);
    make(token, sizeof(token), "{\"alg\":\"ES256\"}", json);
    append_sig(token, sizeof(token), k->ec);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_KID);
    make(token, sizeof(token), "{\"alg\":\"ES256\",\"kid\":1}", json);
    append_sig(token, sizeof(token), k->ec);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_KID);

    /* a key that is not the one the kid names */
    sign(token, sizeof(token), k->other_ec, "ES256", "ec1", json);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_SIGNATURE);

    /* a payload swapped under a valid signature */
    sign(token, sizeof(token), k->rsa, "RS256", "rsa1", json);
    claims(json, sizeof(json), ",\"exp\":1700000600,\"x\":1");
    sign(other, sizeof(other), k->rsa, "RS256", "rsa1", json);
    dot = strchr(token, '.');
    n = strchr(dot + 1, '.') - token;
    memcpy(other + (strrchr(other, '.') - other), token + n,
           strlen(token + n) + 1);
    CU_ASSERT_EQUAL(verify(other), DG_JWT_SIGNATURE);

    /* a short RSA signature; ES256 signatures are exactly 64 bytes */
    sign(token, sizeof(token), k->rsa, "RS256", "rsa1", json);
    CU_ASSERT_EQUAL(with_sig(token, 3), DG_JWT_SIGNATURE);
    sign(token, sizeof(token), k->ec, "ES256", "ec1", json);
    CU_ASSERT_EQUAL(with_sig(token, 64), DG_JWT_SIGNATURE);     /* r = 0 */
    CU_ASSERT_EQUAL(with_sig(token, 63), DG_JWT_SIGNATURE);
    CU_ASSERT_EQUAL(with_sig(token, 65), DG_JWT_SIGNATURE);
    CU_ASSERT_EQUAL(with_sig(token, 70), DG_JWT_SIGNATURE);     /* DER */
}


static void
test_times(void)
{
    char  extra[128];

    CU_ASSERT_EQUAL(with_exp(NOW + 600), DG_JWT_OK);
    CU_ASSERT_EQUAL(with_exp(NOW - 59), DG_JWT_OK);
    CU_ASSERT_EQUAL(with_exp(NOW - 60), DG_JWT_EXPIRED);
    CU_ASSERT_EQUAL(with_exp(NOW - 61), DG_JWT_EXPIRED);

    snprintf(extra, sizeof(extra), ",\"exp\":%lld,\"nbf\":%lld", NOW + 600,
             NOW + 59);
    CU_ASSERT_EQUAL(with_extra(extra), DG_JWT_OK);
    snprintf(extra, sizeof(extra), ",\"exp\":%lld,\"nbf\":%lld", NOW + 600,
             NOW + 61);
    CU_ASSERT_EQUAL(with_extra(extra), DG_JWT_NOT_YET_VALID);

    /* iat far in the future (claims() puts iat = NOW first) */
    snprintf(extra, sizeof(extra), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD
             "\",\"sub\":\"" SUB "\",\"iat\":%lld,\"exp\":%lld}", NOW + 61,
             NOW + 600);
    CU_ASSERT_EQUAL(with_claims(extra), DG_JWT_NOT_YET_VALID);
    snprintf(extra, sizeof(extra), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD
             "\",\"sub\":\"" SUB "\",\"iat\":%lld,\"exp\":%lld}", NOW + 59,
             NOW + 600);
    CU_ASSERT_EQUAL(with_claims(extra), DG_JWT_OK);

    /* exp required, all times integers */
    CU_ASSERT_EQUAL(with_extra(""), DG_JWT_MALFORMED);
    CU_ASSERT_EQUAL(with_extra(",\"exp\":\"1700000600\""), DG_JWT_MALFORMED);
    CU_ASSERT_EQUAL(with_extra(",\"exp\":1700000600.5"), DG_JWT_MALFORMED);
    CU_ASSERT_EQUAL(with_extra(",\"exp\":1700000600,\"nbf\":null"),
                    DG_JWT_MALFORMED);
    CU_ASSERT_EQUAL(with_extra(",\"exp\":-9223372036854775807"),
                    DG_JWT_EXPIRED);
}


static void
test_issuer_audience(void)
{
    char  json[512];

    snprintf(json, sizeof(json), "{\"iss\":\"https://evil.invalid\","
             "\"aud\":\"" AUD "\",\"sub\":\"" SUB "\",\"exp\":%lld}",
             NOW + 600);
    CU_ASSERT_EQUAL(with_claims(json), DG_JWT_ISSUER);
    snprintf(json, sizeof(json), "{\"aud\":\"" AUD "\",\"sub\":\"" SUB "\","
             "\"exp\":%lld}", NOW + 600);
    CU_ASSERT_EQUAL(with_claims(json), DG_JWT_ISSUER);
    snprintf(json, sizeof(json), "{\"iss\":[\"" ISS "\"],\"aud\":\"" AUD
             "\",\"sub\":\"" SUB "\",\"exp\":%lld}", NOW + 600);
    CU_ASSERT_EQUAL(with_claims(json), DG_JWT_ISSUER);

    snprintf(json, sizeof(json), "{\"iss\":\"" ISS "\",\"aud\":\"%s\","
             "\"sub\":\"" SUB "\",\"exp\":%lld}", "other-app", NOW + 600);
    CU_ASSERT_EQUAL(with_claims(json), DG_JWT_AUDIENCE);
    snprintf(json, sizeof(json), "{\"iss\":\"" ISS "\",\"aud\":"
             "[\"other-app\",1,\"" AUD "\"],\"sub\":\"" SUB "\","
             "\"exp\":%lld}", NOW + 600);
    CU_ASSERT_EQUAL(with_claims(json), DG_JWT_OK);
    snprintf(json, sizeof(json), "{\"iss\":\"" ISS "\",\"aud\":"
             "[\"other-app\",\"" AUD "x\"],\"sub\":\"" SUB "\","
             "\"exp\":%lld}", NOW + 600);
    CU_ASSERT_EQUAL(with_claims(json), DG_JWT_AUDIENCE);
    snprintf(json, sizeof(json), "{\"iss\":\"" ISS "\",\"aud\":[],"
             "\"sub\":\"" SUB "\",\"exp\":%lld}", NOW + 600);
    CU_ASSERT_EQUAL(with_claims(json), DG_JWT_AUDIENCE);
    snprintf(json, sizeof(json), "{\"iss\":\"" ISS "\",\"sub\":\"" SUB "\","
             "\"exp\":%lld}", NOW + 600);
    CU_ASSERT_EQUAL(with_claims(json), DG_JWT_AUDIENCE);
}


static dg_jwt_reason_e
with_sub(const char *sub_json)
{
    char  json[512];

    snprintf(json, sizeof(json), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\","
             "\"sub\":%s,\"exp\":%lld}", sub_json, NOW + 600);

    return with_claims(json);
}


static void
test_subject(void)
{
    CU_ASSERT_EQUAL(with_sub("\"079203000123\""), DG_JWT_OK);
    CU_ASSERT_EQUAL(with_sub("\"07920300012\""), DG_JWT_SUBJECT);
    CU_ASSERT_EQUAL(with_sub("\"0792030001234\""), DG_JWT_SUBJECT);
    CU_ASSERT_EQUAL(with_sub("\"07920300012a\""), DG_JWT_SUBJECT);
    CU_ASSERT_EQUAL(with_sub("\" 79203000123\""), DG_JWT_SUBJECT);
    CU_ASSERT_EQUAL(with_sub("79203000123"), DG_JWT_SUBJECT);
    CU_ASSERT_EQUAL(with_sub("null"), DG_JWT_SUBJECT);
    CU_ASSERT_EQUAL(with_sub("\"\\u0660\\u0661\\u0662\\u0663\\u0664\\u0665"
                             "\\u0666\\u0667\\u0668\\u0669\\u0660\\u0661\""),
                    DG_JWT_SUBJECT);
}


static void
test_malformed(void)
{
    char     token[TOKEN_MAX], json[512], bad[TOKEN_MAX], *p;
    size_t   n;
    keys_t  *k;

    k = keys();
    claims(json, sizeof(json), ",\"exp\":1700000600");
    sign(token, sizeof(token), k->ec, "ES256", "ec1", json);
    CU_ASSERT_EQUAL(verify(token), DG_JWT_OK);

    /* trailing garbage, four parts, two parts, empty parts */
    snprintf(bad, sizeof(bad), "%s ", token);
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    snprintf(bad, sizeof(bad), " %s", token);
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    snprintf(bad, sizeof(bad), "%s.", token);
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    snprintf(bad, sizeof(bad), "%s.AAAA", token);
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    snprintf(bad, sizeof(bad), "%s", token);
    *strrchr(bad, '.') = '\0';
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    CU_ASSERT_EQUAL(verify(""), DG_JWT_MALFORMED);
    CU_ASSERT_EQUAL(verify(".."), DG_JWT_MALFORMED);
    snprintf(bad, sizeof(bad), "%s", strchr(token, '.'));
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    snprintf(bad, sizeof(bad), "%s", token);
    p = strchr(bad, '.');
    memmove(p + 1, strchr(p + 1, '.'), strlen(strchr(p + 1, '.')) + 1);
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);

    /* not strict base64url: padding, other alphabets, line breaks */
    n = strchr(token, '.') - token;
    snprintf(bad, sizeof(bad), "%.*s=%s", (int) n, token, token + n);
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    snprintf(bad, sizeof(bad), "%s=", token);
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);

    /* the standard alphabet in the payload and in the signature */
    snprintf(bad, sizeof(bad), "%s", token);
    bad[n + 2] = '+';
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    snprintf(bad, sizeof(bad), "%s", token);
    bad[strlen(bad) - 3] = '/';
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);

    snprintf(bad, sizeof(bad), "%s", token);
    bad[3] = '*';
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    snprintf(bad, sizeof(bad), "%s", token);
    bad[n - 1] = '\n';
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);

    /* the header: JSON object, no duplicate keys, no crit */
    make(bad, sizeof(bad), "[\"ES256\"]", json);
    append_sig(bad, sizeof(bad), k->ec);
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    make(bad, sizeof(bad), "{\"alg\":\"ES256\",\"kid\":\"ec1\"", json);
    append_sig(bad, sizeof(bad), k->ec);
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    make(bad, sizeof(bad), "{\"alg\":\"none\",\"alg\":\"ES256\","
         "\"kid\":\"ec1\"}", json);
    append_sig(bad, sizeof(bad), k->ec);
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    make(bad, sizeof(bad), "{\"alg\":\"ES256\",\"kid\":\"ec1\","
         "\"crit\":[\"exp\"]}", json);
    append_sig(bad, sizeof(bad), k->ec);
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);

    /* a signed payload that is not one JSON object */
    sign(bad, sizeof(bad), k->ec, "ES256", "ec1", "[1]");
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    sign(bad, sizeof(bad), k->ec, "ES256", "ec1", "{\"exp\":1} x");
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
    sign(bad, sizeof(bad), k->ec, "ES256", "ec1",
         "{\"iss\":\"" ISS "\",\"iss\":\"" ISS "\"}");
    CU_ASSERT_EQUAL(verify(bad), DG_JWT_MALFORMED);
}


static void
test_size(void)
{
    int      ok, large;
    char    *token, *json, *pad;
    size_t   n, len;

    token = malloc(3 * DG_JWT_MAX_LEN);
    json = malloc(2 * DG_JWT_MAX_LEN);
    pad = malloc(DG_JWT_MAX_LEN);
    CU_ASSERT_FATAL(token != NULL && json != NULL && pad != NULL);

    ok = 0;
    large = 0;

    /* grow a padding claim across the limit: up to it verifies, past it
     * is refused before any parsing */
    for (n = 5800; n < 6000; n++) {
        memset(pad, 'p', n);
        pad[n] = '\0';
        snprintf(json, 2 * DG_JWT_MAX_LEN, "{\"iss\":\"" ISS "\",\"aud\":\""
                 AUD "\",\"sub\":\"" SUB "\",\"exp\":%lld,\"pad\":\"%s\"}",
                 NOW + 600, pad);
        sign(token, 3 * DG_JWT_MAX_LEN, keys()->ec, "ES256", "ec1", json);
        len = strlen(token);

        if (len <= DG_JWT_MAX_LEN) {
            CU_ASSERT_EQUAL(verify(token), DG_JWT_OK);
            ok += len > DG_JWT_MAX_LEN - 8;

        } else {
            CU_ASSERT_EQUAL(verify(token), DG_JWT_TOO_LARGE);
            large++;
        }
    }

    CU_ASSERT(ok > 0);
    CU_ASSERT(large > 0);

    free(token);
    free(json);
    free(pad);
}


static dg_jwks_t *
jwks_json(const char *json, char *err, size_t errlen)
{
    err[0] = '\0';

    return dg_jwks_parse(json, strlen(json), err, errlen);
}


static void
test_jwks(void)
{
    char        json[4096], err[256], *p;
    size_t      i;
    keys_t     *k;
    EVP_PKEY   *small;
    dg_jwks_t  *jwks;

    k = keys();

    /* a private key in the set is refused */
    snprintf(json, sizeof(json), "{\"keys\":[%.*s,\"d\":\"AAAA\"}]}",
             (int) strlen(k->ec_jwk) - 1, k->ec_jwk);
    CU_ASSERT_PTR_NULL(jwks_json(json, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "private"));

    snprintf(json, sizeof(json), "{\"keys\":[%s,%s]}", k->ec_jwk, k->ec_jwk);
    CU_ASSERT_PTR_NULL(jwks_json(json, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "duplicate"));

    small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 1024);
    CU_ASSERT_PTR_NOT_NULL_FATAL(small);
    strcpy(json, "{\"keys\":[");
    jwk_rsa(small, "small", json + strlen(json), sizeof(json) - 12);
    strcat(json, "]}");
    CU_ASSERT_PTR_NULL(jwks_json(json, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "2048"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "small"));
    EVP_PKEY_free(small);

    /* a point off the curve: y changed */
    snprintf(json, sizeof(json), "{\"keys\":[%s]}", k->ec_jwk);
    p = strstr(json, "\"y\":\"") + 5;
    *p = *p == 'A' ? 'B' : 'A';
    CU_ASSERT_PTR_NULL(jwks_json(json, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "P-256"));

    CU_ASSERT_PTR_NULL(jwks_json("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
                                 "\"kid\":\"e\",\"x\":\"AAAA\",\"y\":\"AAAA\""
                                 "}]}", err, sizeof(err)));
    CU_ASSERT_PTR_NULL(jwks_json("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r\","
                                 "\"n\":\"AA==\",\"e\":\"AQAB\"}]}", err,
                                 sizeof(err)));
    CU_ASSERT_PTR_NULL(jwks_json("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\""
                                 ",\"x\":\"AAAA\",\"y\":\"AAAA\"}]}", err,
                                 sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "kid"));
    CU_ASSERT_PTR_NULL(jwks_json("{\"keys\":[{\"kid\":\"x\"}]}", err,
                                 sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "kty"));

    /* nothing usable */
    CU_ASSERT_PTR_NULL(jwks_json("{\"keys\":[]}", err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no usable"));
    CU_ASSERT_PTR_NULL(jwks_json("{\"keys\":[{\"kty\":\"OKP\",\"kid\":\"o\"},"
                                 "{\"kty\":\"EC\",\"crv\":\"P-384\","
                                 "\"kid\":\"p384\"}]}", err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no usable"));
    CU_ASSERT_PTR_NULL(jwks_json("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\","
                                 "\"k\":\"c2VjcmV0\"}]}", err, sizeof(err)));
    CU_ASSERT_PTR_NULL(jwks_json("{}", err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "keys"));
    CU_ASSERT_PTR_NULL(jwks_json("{\"keys\":[", err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 1"));
    CU_ASSERT_PTR_NULL(jwks_json("{\"keys\":[],\"keys\":[]}", err,
                                 sizeof(err)));

    /* keys for other uses and algorithms are skipped, not fatal */
    snprintf(json, sizeof(json), "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"enc\","
             "\"kid\":\"x\",\"n\":\"AA\",\"e\":\"AQAB\"},{\"kty\":\"EC\","
             "\"crv\":\"P-256\",\"alg\":\"ES384\",\"kid\":\"y\"},%s]}",
             k->rsa_jwk);
    jwks = jwks_json(json, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(jwks);
    CU_ASSERT_EQUAL(dg_jwks_count(jwks), 1);
    dg_jwks_free(jwks);

    /* a bounded number of keys */
    strcpy(json, "{\"keys\":[");
    for (i = 0; i <= DG_JWKS_MAX_KEYS; i++) {
        strcat(json, i ? ",{}" : "{}");
    }

    strcat(json, "]}");
    CU_ASSERT_PTR_NULL(jwks_json(json, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than"));

    CU_ASSERT_PTR_NULL(dg_jwks_load("/nonexistent/jwks.json", err,
                                    sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/jwks.json"));
}


/* Tokens minted by conf/dev/make-vneid-token.sh verify here. */
static void
test_dev_issuer(void)
{
    int            i;
    char           cmd[256], token[DG_JWT_MAX_LEN + 2], err[256];
    char           sub[DG_JWT_SUB_LEN + 1];
    FILE          *f;
    json_t        *conf;
    size_t         n;
    dg_jwks_t     *jwks;
    dg_jwt_policy_t  dev;
    static const char *const  flags[] = { "", "--rs256" };

    jwks = dg_jwks_load("conf/dev/vneid-test-jwks.json", err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(jwks);
    CU_ASSERT_EQUAL(dg_jwks_count(jwks), 2);

    conf = json_load_file("conf/dev/vneid-test.json", 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    dev.issuer = json_string_value(json_object_get(conf, "iss"));
    dev.audience = json_string_value(json_object_get(conf, "aud"));
    dev.leeway = 60;
    CU_ASSERT_FATAL(dev.issuer != NULL && dev.audience != NULL);

    for (i = 0; i < 2; i++) {
        snprintf(cmd, sizeof(cmd), "sh conf/dev/make-vneid-token.sh %s "
                 "--now 1700000000 079203000123 120", flags[i]);
        f = popen(cmd, "r");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        n = fread(token, 1, sizeof(token) - 1, f);
        CU_ASSERT_EQUAL(pclose(f), 0);
        CU_ASSERT_FATAL(n > 1 && token[n - 1] == '\n');
        token[--n] = '\0';

        CU_ASSERT_EQUAL(dg_jwt_verify(jwks, &dev, token, n, NOW + 100, sub),
                        DG_JWT_OK);
        CU_ASSERT_STRING_EQUAL(sub, "079203000123");
        CU_ASSERT_EQUAL(dg_jwt_verify(jwks, &dev, token, n, NOW + 180, sub),
                        DG_JWT_EXPIRED);
    }

    json_decref(conf);
    dg_jwks_free(jwks);
}


static void
test_bearer(void)
{
    size_t       len;
    const char  *t;

    CU_ASSERT_EQUAL(dg_jwt_bearer("Bearer abc.def.ghi", 18, &t, &len), 0);
    CU_ASSERT_EQUAL(len, 11);
    CU_ASSERT_EQUAL(strncmp(t, "abc.def.ghi", len), 0);
    CU_ASSERT_EQUAL(dg_jwt_bearer("bEARER   x.y.z  ", 16, &t, &len), 0);
    CU_ASSERT_EQUAL(len, 5);
    CU_ASSERT_EQUAL(dg_jwt_bearer("Basic dXNlcjpwYXNz", 18, &t, &len), -1);
    CU_ASSERT_EQUAL(dg_jwt_bearer("Bearer", 6, &t, &len), -1);
    CU_ASSERT_EQUAL(dg_jwt_bearer("Bearer   ", 9, &t, &len), -1);
    CU_ASSERT_EQUAL(dg_jwt_bearer("Bearerx.y.z", 11, &t, &len), -1);
}


#define JWT_ERR(r)  dg_error(dg_jwt_reason_error(r))

static void
test_reasons(void)
{
    int  r;

    for (r = DG_JWT_MALFORMED; r <= DG_JWT_INTERNAL; r++) {
        CU_ASSERT_EQUAL(strncmp(JWT_ERR(r)->code, "token.", 6), 0);
        CU_ASSERT(JWT_ERR(r)->vi[0] != '\0' && JWT_ERR(r)->en[0] != '\0');
    }

    CU_ASSERT_STRING_EQUAL(JWT_ERR(DG_JWT_NOT_YET_VALID)->code,
                           "token.not_yet_valid");
    CU_ASSERT_EQUAL(JWT_ERR(DG_JWT_EXPIRED)->status, 401);
    CU_ASSERT_EQUAL(JWT_ERR(DG_JWT_INTERNAL)->status, 500);
}


static CU_TestInfo  tests[] = {
    { "RS256 and ES256", test_valid },
    { "alg confusion", test_alg_confusion },
    { "kid and signature", test_kid_and_signature },
    { "exp, nbf, iat", test_times },
    { "iss and aud", test_issuer_audience },
    { "sub", test_subject },
    { "malformed", test_malformed },
    { "size limit", test_size },
    { "JWKS", test_jwks },
    { "dev issuer", test_dev_issuer },
    { "bearer", test_bearer },
    { "reasons", test_reasons },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(jwt, tests)
