/*
 * The strict subset of RFC 8941 Structured Field Values that HTTP Message
 * Signatures (RFC 9421) and Content-Digest (RFC 9530) need, and the one
 * base64 codec of the gateway.
 *
 * Two kinds of Dictionary are understood:
 *
 *   DG_SF_INNER_LISTS  every member an Inner List of Strings (no item
 *                      parameters), the list carrying Parameters whose
 *                      values are Integers or Strings (Signature-Input):
 *                      sig1=("@method" "@path");created=1700000000;keyid="x"
 *
 *   DG_SF_BYTE_SEQS    every member a Byte Sequence without Parameters
 *                      (Signature, Content-Digest): sha-256=:base64:
 *
 * Stricter than RFC 8941 on purpose: a repeated dictionary key or
 * parameter is an error (RFC 8941 lets the last one win, which would let a
 * member added on the way shadow the signed one); Byte Sequences must be
 * canonical, padded base64 (RFC 8941 tolerates missing padding); anything
 * else RFC 8941 allows (tokens, decimals, booleans, bare items where lists
 * are expected, parameters on items) is refused as out of the subset.
 *
 * Parsing allocates nothing: keys and decoded values are copied, NUL
 * terminated, into an arena inside the dictionary, so a parsed dictionary
 * does not refer to the field it came from.
 */

#ifndef DG_SF_H
#define DG_SF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DG_SF_MAX_FIELD    4096     /* bytes of one field value */
#define DG_SF_MAX_MEMBERS  8        /* dictionary members */
#define DG_SF_MAX_ITEMS    16       /* strings in one inner list */
#define DG_SF_MAX_PARAMS   8        /* parameters of one inner list */
#define DG_SF_MAX_KEY      64       /* characters of a key */


typedef struct {
    const char  *data;
    size_t       len;
} dg_sf_str_t;

typedef enum {
    DG_SF_OK = 0,
    DG_SF_SYNTAX,               /* not RFC 8941 */
    DG_SF_UNSUPPORTED,          /* RFC 8941, but outside the subset */
    DG_SF_DUPLICATE,            /* repeated dictionary key or parameter */
    DG_SF_BASE64,               /* byte sequence not canonical base64 */
    DG_SF_TOO_LARGE             /* one of the bounds above exceeded */
} dg_sf_rc_e;

typedef enum {
    DG_SF_INNER_LISTS,
    DG_SF_BYTE_SEQS
} dg_sf_kind_e;

typedef enum {
    DG_SF_INTEGER = 1,
    DG_SF_STRING,
    DG_SF_BYTES
} dg_sf_type_e;

typedef struct {
    dg_sf_type_e  type;
    int64_t       integer;      /* DG_SF_INTEGER */
    dg_sf_str_t   str;          /* DG_SF_STRING (NUL-terminated), DG_SF_BYTES */
} dg_sf_value_t;

typedef struct {
    dg_sf_str_t    key;
    dg_sf_value_t  value;
} dg_sf_param_t;

typedef struct {
    dg_sf_str_t    key;
    dg_sf_value_t  value;                       /* DG_SF_BYTE_SEQS */
    dg_sf_str_t    items[DG_SF_MAX_ITEMS];      /* DG_SF_INNER_LISTS */
    size_t         nitems;
    dg_sf_param_t  params[DG_SF_MAX_PARAMS];    /* in received order */
    size_t         nparams;
} dg_sf_member_t;

typedef struct {
    dg_sf_member_t  members[DG_SF_MAX_MEMBERS]; /* in received order */
    size_t          n;
    size_t          used;
    char            arena[DG_SF_MAX_FIELD + 1];
} dg_sf_dict_t;


/*
 * Parses one field value (leading and trailing spaces allowed, as RFC 8941
 * says).  An empty value is an empty dictionary.  On error d->n is 0.
 */
dg_sf_rc_e dg_sf_parse_dict(dg_sf_dict_t *d, const char *s, size_t len,
    dg_sf_kind_e kind);

const dg_sf_member_t *dg_sf_dict_get(const dg_sf_dict_t *d, const char *key);
const dg_sf_param_t *dg_sf_param_get(const dg_sf_member_t *m,
    const char *key);

/*
 * RFC 8941 serialisation of an inner-list member's value (without its
 * key): ("a" "b");p=1;q="x", parameters in received order.  Writes at most
 * size bytes, NUL included; returns the length it needed.
 */
size_t dg_sf_serialize_inner(const dg_sf_member_t *m, char *buf,
    size_t size);

const char *dg_sf_strerror(dg_sf_rc_e rc);


/*
 * RFC 4648 base64.  DG_BASE64 is the standard alphabet, padded;
 * DG_BASE64URL the URL alphabet without padding (as JWS uses it).
 */
#define DG_BASE64     0
#define DG_BASE64URL  1

#define dg_base64_encoded_len(n)  (((n) + 2) / 3 * 4)
#define dg_base64_decoded_max(n)  (((n) + 3) / 4 * 3)

/*
 * Strict decoding: only the alphabet's characters, padding exactly as the
 * variant requires, no white space, unused trailing bits zero (so every
 * byte string has one encoding).  Returns the decoded length, or -1 when
 * src is not canonical or dst (size bytes) is too small.
 */
ssize_t dg_base64_decode(unsigned char *dst, size_t size, const char *src,
    size_t len, int variant);

/*
 * Encodes and NUL-terminates.  Returns the encoded length, or -1 when dst
 * (size bytes) is too small.
 */
ssize_t dg_base64_encode(char *dst, size_t size, const void *src,
    size_t len, int variant);

#endif /* DG_SF_H */
