/*
 * Cost of authentication: one RFC 9421 verification under the contract
 * policy (nonce store stubbed), the Content-Digest check of a 2 KiB body
 * (sha-256 named, and sha-256 with sha-512), and one VNeID token
 * verification with RS256 and ES256 (tokens from the dev test issuer).
 *
 * Build and run from the repository root:
 *
 *   make core && cc -O2 -Imodule/core -o build/bench-auth \
 *       tests/bench/bench_auth.c build/libdgcore.a -ljansson -lhiredis \
 *       -lcrypto -ldl && \
 *   ./build/bench-auth
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "dg_jwt.h"
#include "dg_sig.h"


#define NOW  1700000000


typedef struct {
    dg_sig_input_t    in;
    dg_sig_body_t     body;
    char              content_digest[256];
    char              sig[128];
} bench_req_t;


static double
now_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}


static int
header(void *data, const char *name, const char **value, size_t *len)
{
    bench_req_t  *r;

    r = data;

    if (strcmp(name, "content-digest") != 0) {
        return -1;
    }

    *value = r->content_digest;
    *len = strlen(r->content_digest);

    return 0;
}


static int
key(void *data, const char *keyid, size_t len, const unsigned char **secret,
    size_t *secret_len)
{
    *secret = (const unsigned char *) "demo-portal-secret";
    *secret_len = 18;

    return 0;
}


static dg_sig_nonce_e
nonce(void *data, const char *keyid, const char *n, time_t expires)
{
    return DG_SIG_NONCE_FRESH;
}


static int
bench_sig(void)
{
    int           i, n;
    char         *base, body[2048], b64[128], both[256];
    size_t        len;
    double        t;
    bench_req_t   r;
    unsigned int  mdlen;
    unsigned char md[EVP_MAX_MD_SIZE];
    static const char  si[] =
        "sig1=(\"@method\" \"@path\" \"@query\" \"content-digest\")"
        ";created=1700000000;nonce=\"0123456789abcdef\""
        ";keyid=\"demo-portal\";alg=\"hmac-sha256\"";

    memset(&r, 0, sizeof(r));
    memset(body, 'x', sizeof(body));

    SHA256((unsigned char *) body, sizeof(body), md);
    dg_base64_encode(b64, sizeof(b64), md, 32, DG_BASE64);
    snprintf(r.content_digest, sizeof(r.content_digest), "sha-256=:%s:",
             b64);
    SHA512((unsigned char *) body, sizeof(body), md);
    dg_base64_encode(b64, sizeof(b64), md, 64, DG_BASE64);
    snprintf(both, sizeof(both), "%s, sha-512=:%s:", r.content_digest, b64);
    r.body.data = body;
    r.body.len = sizeof(body);

    r.in.method.data = "POST";
    r.in.method.len = 4;
    r.in.path.data = "/v1/dossiers";
    r.in.path.len = 12;
    r.in.signature_input.data = si;
    r.in.signature_input.len = sizeof(si) - 1;
    r.in.body = &r.body;
    r.in.now = NOW;
    r.in.header = header;
    r.in.header_data = &r;
    r.in.key = key;
    r.in.nonce = nonce;

    if (dg_sig_base(&r.in, NULL, &base, &len) != DG_SIG_OK
        || HMAC(EVP_sha256(), "demo-portal-secret", 18,
                (unsigned char *) base, len, md, &mdlen) == NULL)
    {
        return -1;
    }

    free(base);
    dg_base64_encode(b64, sizeof(b64), md, mdlen, DG_BASE64);
    snprintf(r.sig, sizeof(r.sig), "sig1=:%s:", b64);
    r.in.signature.data = r.sig;
    r.in.signature.len = strlen(r.sig);

    n = 200000;
    t = now_us();

    for (i = 0; i < n; i++) {
        if (dg_sig_verify(&r.in, &dg_sig_contract_policy, NULL)
            != DG_SIG_OK)
        {
            return -1;
        }
    }

    printf("signature verify (contract policy): %8.2f us\n",
           (now_us() - t) / n);

    n = 20000;
    t = now_us();

    for (i = 0; i < n; i++) {
        if (dg_content_digest_check(r.content_digest,
                                    strlen(r.content_digest), &r.body)
            != DG_SIG_OK)
        {
            return -1;
        }
    }

    printf("Content-Digest, 2 KiB, sha-256:     %8.2f us\n",
           (now_us() - t) / n);

    t = now_us();

    for (i = 0; i < n; i++) {
        if (dg_content_digest_check(both, strlen(both), &r.body)
            != DG_SIG_OK)
        {
            return -1;
        }
    }

    printf("Content-Digest, 2 KiB, sha-256+512: %8.2f us\n",
           (now_us() - t) / n);

    return 0;
}


static int
bench_token(const dg_jwks_t *jwks, const char *flag, const char *name)
{
    int               i, n;
    char              cmd[128], token[DG_JWT_MAX_LEN + 2];
    char              sub[DG_JWT_SUB_LEN + 1];
    FILE             *f;
    size_t            len;
    double            t;
    dg_jwt_policy_t   policy;

    policy.issuer = "https://vneid-test.dossier-gateway.invalid";
    policy.audience = "dossier-gateway-dev";
    policy.leeway = 60;

    snprintf(cmd, sizeof(cmd), "sh conf/dev/make-vneid-token.sh %s "
             "--now %d 001099012345", flag, NOW);

    f = popen(cmd, "r");
    if (f == NULL) {
        return -1;
    }

    len = fread(token, 1, sizeof(token) - 1, f);
    if (pclose(f) != 0 || len < 2) {
        return -1;
    }

    len--;                                  /* the newline */

    n = 5000;
    t = now_us();

    for (i = 0; i < n; i++) {
        if (dg_jwt_verify(jwks, &policy, token, len, NOW, sub)
            != DG_JWT_OK)
        {
            return -1;
        }
    }

    printf("token verify %s:                   %8.2f us\n", name,
           (now_us() - t) / n);

    return 0;
}


int
main(void)
{
    int         rc;
    char        err[256];
    dg_jwks_t  *jwks;

    jwks = dg_jwks_load("conf/dev/vneid-test-jwks.json", err, sizeof(err));
    if (jwks == NULL) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }

    rc = bench_sig() != 0
         || bench_token(jwks, "--rs256", "RS256") != 0
         || bench_token(jwks, "", "ES256") != 0;

    dg_jwks_free(jwks);

    if (rc) {
        fprintf(stderr, "bench: a verification failed\n");
        return 1;
    }

    return 0;
}
