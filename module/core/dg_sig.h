/*
 * HTTP Message Signatures (RFC 9421) with hmac-sha256, and Content-Digest
 * (RFC 9530), for the portal and sector systems (CONTRACT.md section 4).
 *
 * dg_sig_verify() is a generic verifier driven by a policy; the contract's
 * policy is dg_sig_contract_policy:
 *
 *   Signature-Input: sig1=("@method" "@path" "@query" "content-digest")
 *       ;created=1700000000;nonce="...";keyid="demo-portal";alg="hmac-sha256"
 *   Signature: sig1=:<base64 HMAC-SHA256 of the signature base>:
 *   Content-Digest: sha-256=:<base64 SHA-256 of the body>:
 *
 *   - covered components exactly "@method" "@path" "@query", followed by
 *     "content-digest" when and only when the request has a body;
 *   - parameters created, nonce, keyid and alg all present, alg exactly
 *     "hmac-sha256"; expires and tag are also understood, any other
 *     parameter is malformed;
 *   - created within 300 s of now, either way (300 passes, 301 fails);
 *   - Content-Digest must carry sha-256 and every sha-256 / sha-512 member
 *     it carries must match the body (other algorithms are ignored, as
 *     RFC 9530 says); the body is hashed only once the signature has
 *     verified, and only with the algorithms the field names;
 *   - the nonce is offered to the nonce store last, only for a request
 *     whose signature and digest verified, so nobody without the secret
 *     can fill the store or burn another client's nonces.
 *
 * Which signature: when Signature-Input has a single member, that one,
 * whatever its label; when it has several (a proxy may add its own), the
 * one labelled policy->label ("sig1" in the contract policy).  Signature
 * must have a member with the same label; members of Signature without a
 * Signature-Input counterpart are ignored.
 *
 * Supported components: "@method", "@authority", "@path", "@query" and
 * header fields by lower-case name, without component parameters (no ;sf,
 * ;key, ;req, ;bs).  Anything else is auth.components.
 *
 * Failure reasons name the rule, never the secret: a wrong key and a
 * tampered component both give auth.signature.
 *
 * Nothing is allocated but the signature base; the parsed fields live on
 * the stack (about 30 KiB in dg_sig_verify).
 */

#ifndef DG_SIG_H
#define DG_SIG_H

#include <stdint.h>
#include <time.h>
#include <openssl/types.h>

#include "dg_error.h"
#include "dg_sf.h"

#define DG_SIG_HMAC_LEN    32
#define DG_SIG_MAX_KEYID   64
#define DG_SIG_MAX_NONCE   128


typedef enum {
    DG_SIG_OK = 0,
    DG_SIG_MISSING,             /* auth.missing     401 */
    DG_SIG_MALFORMED,           /* auth.malformed   401 */
    DG_SIG_COMPONENTS,          /* auth.components  401 */
    DG_SIG_ALG,                 /* auth.alg         401 */
    DG_SIG_KEYID,               /* auth.keyid       401 */
    DG_SIG_CREATED,             /* auth.created     401 */
    DG_SIG_NONCE,               /* auth.nonce       401 */
    DG_SIG_DIGEST,              /* auth.digest      401 */
    DG_SIG_SIGNATURE,           /* auth.signature   401 */
    DG_SIG_UNAVAILABLE,         /* auth.unavailable 503, nonce store down */
    DG_SIG_INTERNAL             /* auth.internal    500 */
} dg_sig_reason_e;

typedef enum {
    DG_SIG_NONCE_FRESH = 0,
    DG_SIG_NONCE_REPLAYED,
    DG_SIG_NONCE_UNAVAILABLE
} dg_sig_nonce_e;


/*
 * Header lookup.  name is a lower-case, NUL-terminated field name.  When
 * the field occurs several times the values must be joined with ", "
 * (RFC 9421 section 2.1); surrounding white space is trimmed here.
 * Returns 0 and sets value/len when present, -1 when absent.
 */
typedef int (*dg_sig_header_pt)(void *data, const char *name,
    const char **value, size_t *len);

/*
 * Key lookup by keyid (NUL-terminated, also given with its length).
 * Returns 0 and sets the secret (which must stay valid until
 * dg_sig_verify returns), or -1 when the keyid is unknown.
 * dg_clients_sig_key() in dg_clients.h is such a function.
 */
typedef int (*dg_sig_key_pt)(void *data, const char *keyid, size_t len,
    const unsigned char **secret, size_t *secret_len);

/*
 * Records (keyid, nonce) if not seen yet.  The store must remember it
 * until expires (Unix time: created + the policy's max_skew), after which
 * the created check alone refuses a replay.  keyid and nonce are
 * NUL-terminated printable ASCII.
 */
typedef dg_sig_nonce_e (*dg_sig_nonce_pt)(void *data, const char *keyid,
    const char *nonce, time_t expires);


/* A request's body, as received. */
typedef struct {
    const void              *data;
    size_t                   len;
} dg_sig_body_t;

typedef struct {
    dg_sf_str_t              method;        /* "POST" */
    dg_sf_str_t              authority;     /* host[:port], lower case */
    dg_sf_str_t              path;          /* raw, not percent-decoded,
                                               without the query (nginx:
                                               r->unparsed_uri up to '?',
                                               not r->uri) */
    dg_sf_str_t              args;          /* raw query WITHOUT the '?',
                                               as nginx's r->args; empty
                                               when none ("@query" is then
                                               "?") */
    /* field values, several lines joined with ", "; data NULL when
     * the field is absent */
    dg_sf_str_t              signature_input;
    dg_sf_str_t              signature;
    const dg_sig_body_t     *body;          /* NULL: request has no body */
    time_t                   now;

    dg_sig_header_pt         header;
    void                    *header_data;
    dg_sig_key_pt            key;
    void                    *key_data;
    dg_sig_nonce_pt          nonce;         /* may be NULL only when the
                                               policy does not require
                                               a nonce */
    void                    *nonce_data;
} dg_sig_input_t;


#define DG_SIG_PARAM_CREATED  0x01
#define DG_SIG_PARAM_NONCE    0x02
#define DG_SIG_PARAM_KEYID    0x04
#define DG_SIG_PARAM_ALG      0x08

typedef struct {
    /* the covered components, exactly and in order; NULL: any list of
     * supported components */
    const char *const  *components;
    size_t              ncomponents;
    /* append "content-digest" to the list when there is a body (and
     * refuse it otherwise), and check Content-Digest against the body */
    unsigned            digest;
    unsigned            params;         /* DG_SIG_PARAM_* required */
    time_t              max_skew;       /* |now - created| limit */
    const char         *label;          /* chosen among several */
} dg_sig_policy_t;

extern const dg_sig_policy_t  dg_sig_contract_policy;


typedef struct {
    /* what the request claimed, set as far as parsing got so failures
     * can be logged with the client id (printable ASCII, may be empty);
     * authenticated only when dg_sig_verify returns DG_SIG_OK */
    char     keyid[DG_SIG_MAX_KEYID + 1];
    char     label[DG_SF_MAX_KEY + 1];
    int64_t  created;
} dg_sig_result_t;


/*
 * Verifies one request.  res may be NULL.  On DG_SIG_OK, res->keyid is the
 * authenticated client id.
 */
dg_sig_reason_e dg_sig_verify(const dg_sig_input_t *in,
    const dg_sig_policy_t *policy, dg_sig_result_t *res);

/*
 * The signature base (RFC 9421 section 2.5) of the signature chosen by
 * the rule above, label being the one wanted among several (NULL:
 * "sig1"), without any policy check; for tests, tools and signing
 * clients.  On DG_SIG_OK *base is a malloc'ed
 * NUL-terminated string of *len bytes.
 */
dg_sig_reason_e dg_sig_base(const dg_sig_input_t *in, const char *label,
    char **base, size_t *len);

/*
 * Checks a Content-Digest field value against a body, hashing it with the
 * algorithms the field names (sha-256, and sha-512 when present):
 * DG_SIG_OK, or DG_SIG_DIGEST when sha-256 is missing, a supported member
 * does not match, or the field is not a valid dictionary of byte
 * sequences; DG_SIG_INTERNAL on an OpenSSL failure.
 */
dg_sig_reason_e dg_content_digest_check(const char *value, size_t len,
    const dg_sig_body_t *body);

/* The catalog entry a refusal answers with (auth.signature, ...): it never
 * names any secret. */
dg_error_e dg_sig_reason_error(dg_sig_reason_e reason);

#endif /* DG_SIG_H */
