/*
 * VNeID bearer tokens (CONTRACT.md section 4): compact JWS (RFC 7515)
 * carrying JWT claims (RFC 7519), verified against a JWKS (RFC 7517) file
 * loaded at configuration time.
 *
 * Token rules, in the order they are checked:
 *   - at most DG_JWT_MAX_LEN bytes (token.too_large);
 *   - exactly three non-empty parts, each strict base64url without
 *     padding, nothing before or after (token.malformed); header and
 *     payload JSON objects without duplicate keys; no "crit" header;
 *   - "alg" RS256 or ES256 and nothing else: "none", HS*, PS*, ES384...
 *     are token.alg; the key named by "kid" must exist (token.kid) and be
 *     of the type the alg needs (token.alg: an RSA key is never used for
 *     ES256 nor as an HMAC secret);
 *   - the signature (token.signature); ES256 signatures are the raw 64
 *     bytes r || s of RFC 7518;
 *   - "iss" equal to the configured issuer (token.issuer);
 *   - "aud" the configured audience, or an array containing it
 *     (token.audience);
 *   - "exp" required, "nbf" and "iat" optional, all integer NumericDates,
 *     with policy->leeway seconds of tolerance: expired when
 *     exp <= now - leeway (token.expired); not yet valid when
 *     nbf > now + leeway or iat > now + leeway (token.not_yet_valid);
 *     a missing exp or a non-integer time is token.malformed;
 *   - "sub" exactly 12 ASCII digits, the citizen's personal ID
 *     (token.subject).
 *
 * JWKS rules (dg_jwks_load fails with a message naming the file and key):
 * {"keys": [...]} with at most DG_JWKS_MAX_KEYS entries; keys with "use"
 * other than "sig", a kty other than RSA / EC, an "alg" other than RS256 /
 * ES256 or a curve other than P-256 are skipped; a usable key needs a
 * unique "kid"; RSA moduli have at least 2048 bits; EC points must be on
 * the curve; private or symmetric key members ("d", "p", "k", ...) are an
 * error, as is a set with no usable key.
 */

#ifndef DG_JWT_H
#define DG_JWT_H

#include <stddef.h>
#include <time.h>

#include "dg_error.h"

#define DG_JWT_MAX_LEN     8192
#define DG_JWT_SUB_LEN     12
#define DG_JWT_MAX_KID     128
#define DG_JWKS_MAX_KEYS   32
#define DG_JWKS_MAX_FILE   (1024 * 1024)


typedef struct dg_jwks_s  dg_jwks_t;

typedef enum {
    DG_JWT_OK = 0,
    DG_JWT_MALFORMED,           /* token.malformed      401 */
    DG_JWT_TOO_LARGE,           /* token.too_large      401 */
    DG_JWT_ALG,                 /* token.alg            401 */
    DG_JWT_KID,                 /* token.kid            401 */
    DG_JWT_SIGNATURE,           /* token.signature      401 */
    DG_JWT_EXPIRED,             /* token.expired        401 */
    DG_JWT_NOT_YET_VALID,       /* token.not_yet_valid  401 */
    DG_JWT_ISSUER,              /* token.issuer         401 */
    DG_JWT_AUDIENCE,            /* token.audience       401 */
    DG_JWT_SUBJECT,             /* token.subject        401 */
    DG_JWT_INTERNAL             /* token.internal       500 */
} dg_jwt_reason_e;

typedef struct {
    const char  *issuer;
    const char  *audience;
    time_t       leeway;        /* 60 per the contract */
} dg_jwt_policy_t;


/* Returns NULL and a message "path: ..." in err on any error. */
dg_jwks_t *dg_jwks_load(const char *path, char *err, size_t errlen);
/* The same from memory (for tests); messages have no path. */
dg_jwks_t *dg_jwks_parse(const char *json, size_t len, char *err,
    size_t errlen);
void dg_jwks_free(dg_jwks_t *jwks);
size_t dg_jwks_count(const dg_jwks_t *jwks);

/*
 * Verifies token[0..len) (not NUL-terminated).  On DG_JWT_OK, sub holds
 * the 12-digit subject, NUL-terminated.
 */
dg_jwt_reason_e dg_jwt_verify(const dg_jwks_t *jwks,
    const dg_jwt_policy_t *policy, const char *token, size_t len,
    time_t now, char sub[DG_JWT_SUB_LEN + 1]);

/*
 * Extracts the token from an Authorization value "Bearer <token>" (scheme
 * case-insensitive, RFC 9110 section 11.1).  Returns 0, or -1 when the
 * value is not a bearer credential.
 */
int dg_jwt_bearer(const char *value, size_t len, const char **token,
    size_t *token_len);

/* The catalog entry a refusal answers with (token.expired, ...). */
dg_error_e dg_jwt_reason_error(dg_jwt_reason_e reason);

#endif /* DG_JWT_H */
