/*
 * RS256 / ES256 JWT verification with OpenSSL 3 and jansson; the rules
 * are listed in dg_jwt.h.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "dg_jwt.h"
#include "dg_sf.h"


#define DG_JWK_RSA_MIN_BITS  2048
#define DG_JWK_RSA_MAX_BYTES 1024       /* 8192-bit modulus */
#define DG_JWK_P256_BYTES    32


typedef enum {
    DG_JWT_RS256 = 1,
    DG_JWT_ES256
} dg_jwt_alg_e;

typedef struct {
    char          *kid;
    dg_jwt_alg_e   alg;
    EVP_PKEY      *pkey;
} dg_jwk_t;

struct dg_jwks_s {
    dg_jwk_t  keys[DG_JWKS_MAX_KEYS];
    size_t    n;
};



static const dg_error_e  dg_jwt_errors[] = {
    [DG_JWT_OK] = DG_ERR_INTERNAL,
    [DG_JWT_MALFORMED] = DG_ERR_TOKEN_MALFORMED,
    [DG_JWT_TOO_LARGE] = DG_ERR_TOKEN_TOO_LARGE,
    [DG_JWT_ALG] = DG_ERR_TOKEN_ALG,
    [DG_JWT_KID] = DG_ERR_TOKEN_KID,
    [DG_JWT_SIGNATURE] = DG_ERR_TOKEN_SIGNATURE,
    [DG_JWT_EXPIRED] = DG_ERR_TOKEN_EXPIRED,
    [DG_JWT_NOT_YET_VALID] = DG_ERR_TOKEN_NOT_YET_VALID,
    [DG_JWT_ISSUER] = DG_ERR_TOKEN_ISSUER,
    [DG_JWT_AUDIENCE] = DG_ERR_TOKEN_AUDIENCE,
    [DG_JWT_SUBJECT] = DG_ERR_TOKEN_SUBJECT,
    [DG_JWT_INTERNAL] = DG_ERR_TOKEN_INTERNAL
};


static void
dg_jwt_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (errlen == 0) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


/* Decodes a base64url string member into a buffer of exactly len bytes
 * (len 0: any length up to size, returned in *out_len). */
static int
dg_jwk_bytes(json_t *key, const char *name, unsigned char *buf,
    size_t size, size_t *out_len)
{
    ssize_t      n;
    const char  *s;

    s = json_string_value(json_object_get(key, name));
    if (s == NULL) {
        return -1;
    }

    n = dg_base64_decode(buf, size, s, strlen(s), DG_BASE64URL);
    if (n <= 0) {
        return -1;
    }

    *out_len = n;

    return 0;
}


/* Builds a public key and runs OpenSSL's public key check on it (EC
 * point on the curve, RSA modulus and exponent sane). */
static EVP_PKEY *
dg_jwk_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY      *pkey;
    OSSL_PARAM    *params;
    EVP_PKEY_CTX  *ctx, *check;

    pkey = NULL;
    check = NULL;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);

    if (params == NULL || ctx == NULL
        || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1
        || (check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL
        || EVP_PKEY_public_check(check) != 1)
    {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }

    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);

    return pkey;
}


static EVP_PKEY *
dg_jwk_rsa(json_t *key, const char **why)
{
    size_t           nlen, elen;
    BIGNUM          *n, *e;
    EVP_PKEY        *pkey;
    unsigned char    nbuf[DG_JWK_RSA_MAX_BYTES], ebuf[8];
    OSSL_PARAM_BLD  *bld;

    if (dg_jwk_bytes(key, "n", nbuf, sizeof(nbuf), &nlen) != 0
        || dg_jwk_bytes(key, "e", ebuf, sizeof(ebuf), &elen) != 0)
    {
        *why = "\"n\" or \"e\" missing or not base64url";
        return NULL;
    }

    pkey = NULL;
    n = BN_bin2bn(nbuf, nlen, NULL);
    e = BN_bin2bn(ebuf, elen, NULL);
    bld = OSSL_PARAM_BLD_new();

    if (n != NULL && e != NULL && bld != NULL
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
    {
        pkey = dg_jwk_fromdata("RSA", bld);
    }

    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);

    if (pkey == NULL) {
        *why = "not a valid RSA public key";
        return NULL;
    }

    if (EVP_PKEY_get_bits(pkey) < DG_JWK_RSA_MIN_BITS) {
        EVP_PKEY_free(pkey);
        *why = "RSA modulus shorter than 2048 bits";
        return NULL;
    }

    return pkey;
}


static EVP_PKEY *
dg_jwk_ec(json_t *key, const char **why)
{
    size_t           xlen, ylen;
    EVP_PKEY        *pkey;
    unsigned char    pub[1 + 2 * DG_JWK_P256_BYTES];
    OSSL_PARAM_BLD  *bld;

    /* the uncompressed point 04 || x || y */
    pub[0] = 0x04;

    if (dg_jwk_bytes(key, "x", pub + 1, DG_JWK_P256_BYTES, &xlen) != 0
        || dg_jwk_bytes(key, "y", pub + 1 + DG_JWK_P256_BYTES,
                        DG_JWK_P256_BYTES, &ylen) != 0
        || xlen != DG_JWK_P256_BYTES || ylen != DG_JWK_P256_BYTES)
    {
        *why = "\"x\" or \"y\" missing or not 32 bytes of base64url";
        return NULL;
    }

    pkey = NULL;
    bld = OSSL_PARAM_BLD_new();

    if (bld != NULL
        && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                           "prime256v1", 0) == 1
        && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                            pub, sizeof(pub)) == 1)
    {
        pkey = dg_jwk_fromdata("EC", bld);
    }

    OSSL_PARAM_BLD_free(bld);

    if (pkey == NULL) {
        *why = "not a valid P-256 public key";
    }

    return pkey;
}


/*
 * One JWKS entry.  Returns 1 when added, 0 when skipped as not usable
 * here, -1 on error (message in *why).
 */
static int
dg_jwks_add(dg_jwks_t *jwks, json_t *key, const char **why)
{
    size_t          i;
    dg_jwk_t       *jwk;
    const char     *kty, *use, *alg, *crv, *kid;
    dg_jwt_alg_e    want;
    static const char *const  secret[] = {
        "d", "p", "q", "dp", "dq", "qi", "oth", "k"
    };

    if (!json_is_object(key)) {
        *why = "not an object";
        return -1;
    }

    for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
        if (json_object_get(key, secret[i]) != NULL) {
            *why = "contains private or symmetric key material";
            return -1;
        }
    }

    kty = json_string_value(json_object_get(key, "kty"));
    use = json_string_value(json_object_get(key, "use"));
    alg = json_string_value(json_object_get(key, "alg"));
    crv = json_string_value(json_object_get(key, "crv"));

    if (kty == NULL) {
        *why = "\"kty\" missing";
        return -1;
    }

    if (strcmp(kty, "RSA") == 0) {
        want = DG_JWT_RS256;

    } else if (strcmp(kty, "EC") == 0
               && crv != NULL && strcmp(crv, "P-256") == 0)
    {
        want = DG_JWT_ES256;

    } else {
        return 0;
    }

    if ((use != NULL && strcmp(use, "sig") != 0)
        || (alg != NULL
            && strcmp(alg, want == DG_JWT_RS256 ? "RS256" : "ES256") != 0))
    {
        return 0;
    }

    kid = json_string_value(json_object_get(key, "kid"));
    if (kid == NULL || kid[0] == '\0' || strlen(kid) > DG_JWT_MAX_KID) {
        *why = "\"kid\" missing, empty or too long";
        return -1;
    }

    for (i = 0; i < jwks->n; i++) {
        if (strcmp(jwks->keys[i].kid, kid) == 0) {
            *why = "duplicate \"kid\"";
            return -1;
        }
    }

    jwk = &jwks->keys[jwks->n];

    jwk->kid = strdup(kid);
    if (jwk->kid == NULL) {
        *why = "out of memory";
        return -1;
    }

    jwk->alg = want;
    jwk->pkey = want == DG_JWT_RS256 ? dg_jwk_rsa(key, why)
                                     : dg_jwk_ec(key, why);

    if (jwk->pkey == NULL) {
        free(jwk->kid);
        ERR_clear_error();
        return -1;
    }

    jwks->n++;

    return 1;
}


static dg_jwks_t *
dg_jwks_from_json(json_t *root, char *err, size_t errlen)
{
    int          rc;
    size_t       i;
    json_t      *keys;
    dg_jwks_t   *jwks;
    const char  *why, *kid;

    keys = json_object_get(root, "keys");
    if (!json_is_array(keys)) {
        dg_jwt_error(err, errlen, "no \"keys\" array");
        return NULL;
    }

    if (json_array_size(keys) > DG_JWKS_MAX_KEYS) {
        dg_jwt_error(err, errlen, "more than %d keys", DG_JWKS_MAX_KEYS);
        return NULL;
    }

    jwks = calloc(1, sizeof(dg_jwks_t));
    if (jwks == NULL) {
        dg_jwt_error(err, errlen, "out of memory");
        return NULL;
    }

    for (i = 0; i < json_array_size(keys); i++) {
        why = NULL;
        rc = dg_jwks_add(jwks, json_array_get(keys, i), &why);

        if (rc < 0) {
            kid = json_string_value(json_object_get(json_array_get(keys, i),
                                                    "kid"));
            dg_jwt_error(err, errlen, "key %zu (kid \"%.64s\"): %s", i,
                         kid != NULL ? kid : "", why);
            dg_jwks_free(jwks);
            return NULL;
        }
    }

    if (jwks->n == 0) {
        dg_jwt_error(err, errlen, "no usable RS256 or ES256 signing key");
        dg_jwks_free(jwks);
        return NULL;
    }

    return jwks;
}


dg_jwks_t *
dg_jwks_parse(const char *json, size_t len, char *err, size_t errlen)
{
    json_t        *root;
    dg_jwks_t     *jwks;
    json_error_t   jerr;

    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        dg_jwt_error(err, errlen, "line %d: %s", jerr.line, jerr.text);
        return NULL;
    }

    jwks = dg_jwks_from_json(root, err, errlen);
    json_decref(root);

    return jwks;
}


dg_jwks_t *
dg_jwks_load(const char *path, char *err, size_t errlen)
{
    char           msg[256];
    json_t        *root;
    dg_jwks_t     *jwks;
    struct stat    st;
    json_error_t   jerr;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        dg_jwt_error(err, errlen, "%s: cannot read the JWKS file", path);
        return NULL;
    }

    if (st.st_size > DG_JWKS_MAX_FILE) {
        dg_jwt_error(err, errlen, "%s: larger than %d bytes", path,
                     DG_JWKS_MAX_FILE);
        return NULL;
    }

    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        dg_jwt_error(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
        return NULL;
    }

    jwks = dg_jwks_from_json(root, msg, sizeof(msg));
    json_decref(root);

    if (jwks == NULL) {
        dg_jwt_error(err, errlen, "%s: %s", path, msg);
    }

    return jwks;
}


void
dg_jwks_free(dg_jwks_t *jwks)
{
    size_t  i;

    if (jwks == NULL) {
        return;
    }

    for (i = 0; i < jwks->n; i++) {
        free(jwks->keys[i].kid);
        EVP_PKEY_free(jwks->keys[i].pkey);
    }

    free(jwks);
}


size_t
dg_jwks_count(const dg_jwks_t *jwks)
{
    return jwks->n;
}


static const dg_jwk_t *
dg_jwks_find(const dg_jwks_t *jwks, const char *kid)
{
    size_t  i;

    for (i = 0; i < jwks->n; i++) {
        if (strcmp(jwks->keys[i].kid, kid) == 0) {
            return &jwks->keys[i];
        }
    }

    return NULL;
}


/* RFC 7518 section 3.4: r || s, each 32 bytes, becomes DER for OpenSSL. */
static int
dg_jwt_es256_der(const unsigned char *sig, unsigned char *der,
    size_t size, size_t *len)
{
    int             n;
    BIGNUM         *r, *s;
    ECDSA_SIG      *es;
    unsigned char  *p;

    es = ECDSA_SIG_new();
    r = BN_bin2bn(sig, DG_JWK_P256_BYTES, NULL);
    s = BN_bin2bn(sig + DG_JWK_P256_BYTES, DG_JWK_P256_BYTES, NULL);

    if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1)
    {
        ECDSA_SIG_free(es);
        BN_free(r);
        BN_free(s);
        return -1;
    }

    /* es owns r and s now */

    n = i2d_ECDSA_SIG(es, NULL);
    if (n <= 0 || (size_t) n > size) {
        ECDSA_SIG_free(es);
        return -1;
    }

    p = der;
    n = i2d_ECDSA_SIG(es, &p);
    ECDSA_SIG_free(es);

    if (n <= 0) {
        return -1;
    }

    *len = n;

    return 0;
}


static dg_jwt_reason_e
dg_jwt_check_signature(const dg_jwk_t *key, const char *tbs, size_t tbslen,
    const unsigned char *sig, size_t siglen)
{
    int             rc;
    size_t          derlen;
    EVP_MD_CTX     *ctx;
    unsigned char   der[80];

    if (key->alg == DG_JWT_ES256) {
        if (siglen != 2 * DG_JWK_P256_BYTES) {
            return DG_JWT_SIGNATURE;
        }

        if (dg_jwt_es256_der(sig, der, sizeof(der), &derlen) != 0) {
            ERR_clear_error();
            return DG_JWT_INTERNAL;
        }

        sig = der;
        siglen = derlen;
    }

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL
        || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey)
           != 1)
    {
        EVP_MD_CTX_free(ctx);
        ERR_clear_error();
        return DG_JWT_INTERNAL;
    }

    rc = EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *) tbs,
                          tbslen);
    EVP_MD_CTX_free(ctx);

    if (rc != 1) {
        /* 0 is a bad signature, < 0 a malformed one: both refused, and
         * the error queue must not leak into nginx's OpenSSL logging */
        ERR_clear_error();
        return DG_JWT_SIGNATURE;
    }

    return DG_JWT_OK;
}


/* An integer NumericDate member: 1 present, 0 absent, -1 wrong type. */
static int
dg_jwt_time(json_t *claims, const char *name, json_int_t *t)
{
    json_t  *v;

    v = json_object_get(claims, name);
    if (v == NULL) {
        return 0;
    }

    if (!json_is_integer(v)) {
        return -1;
    }

    *t = json_integer_value(v);

    return 1;
}


static dg_jwt_reason_e
dg_jwt_check_claims(json_t *claims, const dg_jwt_policy_t *policy,
    time_t now, char *sub)
{
    int          has_nbf, has_iat;
    size_t       i;
    json_t      *aud, *v;
    json_int_t   exp, nbf, iat;
    const char  *s;

    s = json_string_value(json_object_get(claims, "iss"));
    if (s == NULL || strcmp(s, policy->issuer) != 0) {
        return DG_JWT_ISSUER;
    }

    aud = json_object_get(claims, "aud");
    s = json_string_value(aud);

    if (json_is_array(aud)) {
        json_array_foreach(aud, i, v) {
            s = json_string_value(v);
            if (s != NULL && strcmp(s, policy->audience) == 0) {
                break;
            }
        }

        if (i == json_array_size(aud)) {
            return DG_JWT_AUDIENCE;
        }

    } else if (s == NULL || strcmp(s, policy->audience) != 0) {
        return DG_JWT_AUDIENCE;
    }

    nbf = 0;
    iat = 0;
    has_nbf = dg_jwt_time(claims, "nbf", &nbf);
    has_iat = dg_jwt_time(claims, "iat", &iat);

    if (dg_jwt_time(claims, "exp", &exp) != 1 || has_nbf < 0 || has_iat < 0)
    {
        return DG_JWT_MALFORMED;
    }

    if (exp <= (json_int_t) now - policy->leeway) {
        return DG_JWT_EXPIRED;
    }

    if ((has_nbf && nbf > (json_int_t) now + policy->leeway)
        || (has_iat && iat > (json_int_t) now + policy->leeway))
    {
        return DG_JWT_NOT_YET_VALID;
    }

    s = json_string_value(json_object_get(claims, "sub"));
    if (s == NULL || strlen(s) != DG_JWT_SUB_LEN) {
        return DG_JWT_SUBJECT;
    }

    for (i = 0; i < DG_JWT_SUB_LEN; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return DG_JWT_SUBJECT;
        }
    }

    memcpy(sub, s, DG_JWT_SUB_LEN + 1);

    return DG_JWT_OK;
}


/* A JSON object without duplicate keys, or NULL. */
static json_t *
dg_jwt_object(const unsigned char *buf, size_t len)
{
    json_t  *obj;

    obj = json_loadb((const char *) buf, len, JSON_REJECT_DUPLICATES, NULL);

    if (obj != NULL && !json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }

    return obj;
}


dg_jwt_reason_e
dg_jwt_verify(const dg_jwks_t *jwks, const dg_jwt_policy_t *policy,
    const char *token, size_t len, time_t now, char sub[DG_JWT_SUB_LEN + 1])
{
    size_t            i, dots[3], ndots, start, part[3];
    ssize_t           n;
    json_t           *header, *claims;
    const char       *alg, *kid;
    const dg_jwk_t   *key;
    unsigned char    *p, *decoded[3];
    dg_jwt_reason_e   rc;
    unsigned char     buf[DG_JWT_MAX_LEN];

    if (len > DG_JWT_MAX_LEN) {
        return DG_JWT_TOO_LARGE;
    }

    ndots = 0;

    for (i = 0; i < len; i++) {
        if (token[i] == '.') {
            if (ndots == 2) {
                return DG_JWT_MALFORMED;
            }

            dots[ndots++] = i;
        }
    }

    if (ndots != 2) {
        return DG_JWT_MALFORMED;
    }

    dots[2] = len;

    /* every part non-empty, strict base64url, before anything is parsed;
     * decoded they take at most 3/4 of the token, so buf holds them all */

    p = buf;
    start = 0;

    for (i = 0; i < 3; i++) {
        n = dg_base64_decode(p, buf + sizeof(buf) - p, token + start,
                             dots[i] - start, DG_BASE64URL);
        if (n <= 0) {
            return DG_JWT_MALFORMED;
        }

        decoded[i] = p;
        part[i] = n;
        p += n;
        start = dots[i] + 1;
    }

    header = dg_jwt_object(decoded[0], part[0]);
    if (header == NULL) {
        return DG_JWT_MALFORMED;
    }

    key = NULL;
    alg = json_string_value(json_object_get(header, "alg"));
    kid = json_string_value(json_object_get(header, "kid"));

    if (json_object_get(header, "crit") != NULL) {
        rc = DG_JWT_MALFORMED;

    } else if (alg == NULL
               || (strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0))
    {
        rc = DG_JWT_ALG;

    } else if (kid == NULL || (key = dg_jwks_find(jwks, kid)) == NULL) {
        rc = DG_JWT_KID;

    } else if (strcmp(alg, key->alg == DG_JWT_RS256 ? "RS256" : "ES256")
               != 0)
    {
        rc = DG_JWT_ALG;

    } else {
        rc = dg_jwt_check_signature(key, token, dots[1], decoded[2],
                                    part[2]);
    }

    json_decref(header);

    if (rc != DG_JWT_OK) {
        return rc;
    }

    /* the claims are parsed only once they are known to be the issuer's */

    claims = dg_jwt_object(decoded[1], part[1]);
    if (claims == NULL) {
        return DG_JWT_MALFORMED;
    }

    rc = dg_jwt_check_claims(claims, policy, now, sub);
    json_decref(claims);

    return rc;
}


int
dg_jwt_bearer(const char *value, size_t len, const char **token,
    size_t *token_len)
{
    size_t  i;

    if (len < 7 || strncasecmp(value, "bearer ", 7) != 0) {
        return -1;
    }

    for (i = 7; i < len && value[i] == ' '; i++) {
        /* void */
    }

    while (len > i && (value[len - 1] == ' ' || value[len - 1] == '\t')) {
        len--;
    }

    if (i == len) {
        return -1;
    }

    *token = value + i;
    *token_len = len - i;

    return 0;
}


dg_error_e
dg_jwt_reason_error(dg_jwt_reason_e reason)
{
    if ((size_t) reason >= sizeof(dg_jwt_errors) / sizeof(dg_jwt_errors[0]))
    {
        reason = DG_JWT_INTERNAL;
    }

    return dg_jwt_errors[reason];
}
