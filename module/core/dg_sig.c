/*
 * RFC 9421 verification with hmac-sha256 and RFC 9530 Content-Digest; the
 * rules and their order are described in dg_sig.h.
 */

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dg_sig.h"


#define DG_SIG_PARAMS_LINE  "\"@signature-params\": "


typedef struct {
    const dg_sf_str_t  *name;
    const char         *prefix;         /* "?" for "@query" */
    dg_sf_str_t         value;
    unsigned            lower;          /* "@authority" */
} dg_sig_line_t;

typedef struct {
    const dg_sf_str_t  *keyid;
    const dg_sf_str_t  *nonce;
    const dg_sf_str_t  *alg;
    int64_t             created;
    int64_t             expires;
    unsigned            have;           /* DG_SIG_PARAM_* seen */
    unsigned            have_expires;
} dg_sig_params_t;



static const char *const  dg_sig_contract_components[] = {
    "@method", "@path", "@query"
};

const dg_sig_policy_t  dg_sig_contract_policy = {
    dg_sig_contract_components,
    sizeof(dg_sig_contract_components) / sizeof(dg_sig_contract_components[0]),
    1,
    DG_SIG_PARAM_CREATED | DG_SIG_PARAM_NONCE | DG_SIG_PARAM_KEYID
    | DG_SIG_PARAM_ALG,
    300,
    "sig1"
};

static const dg_error_e  dg_sig_errors[] = {
    [DG_SIG_OK] = DG_ERR_INTERNAL,
    [DG_SIG_MISSING] = DG_ERR_AUTH_MISSING,
    [DG_SIG_MALFORMED] = DG_ERR_AUTH_MALFORMED,
    [DG_SIG_COMPONENTS] = DG_ERR_AUTH_COMPONENTS,
    [DG_SIG_ALG] = DG_ERR_AUTH_ALG,
    [DG_SIG_KEYID] = DG_ERR_AUTH_KEYID,
    [DG_SIG_CREATED] = DG_ERR_AUTH_CREATED,
    [DG_SIG_NONCE] = DG_ERR_AUTH_NONCE,
    [DG_SIG_DIGEST] = DG_ERR_AUTH_DIGEST,
    [DG_SIG_SIGNATURE] = DG_ERR_AUTH_SIGNATURE,
    [DG_SIG_UNAVAILABLE] = DG_ERR_AUTH_UNAVAILABLE,
    [DG_SIG_INTERNAL] = DG_ERR_AUTH_INTERNAL
};


static int
dg_sig_streq(const dg_sf_str_t *s, const char *lit)
{
    size_t  n;

    n = strlen(lit);

    return s->len == n && memcmp(s->data, lit, n) == 0;
}


static int
dg_sig_is_tchar(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
           || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}


/* RFC 9110 field-value octets: VCHAR, obs-text, SP, HTAB. */
static int
dg_sig_value_ok(const dg_sf_str_t *v)
{
    size_t         i;
    unsigned char  c;

    for (i = 0; i < v->len; i++) {
        c = (unsigned char) v->data[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return 0;
        }
    }

    return 1;
}


static void
dg_sig_trim(dg_sf_str_t *v)
{
    while (v->len > 0 && (v->data[0] == ' ' || v->data[0] == '\t')) {
        v->data++;
        v->len--;
    }

    while (v->len > 0
           && (v->data[v->len - 1] == ' ' || v->data[v->len - 1] == '\t'))
    {
        v->len--;
    }
}


static int
dg_sig_header(const dg_sig_input_t *in, const char *name, dg_sf_str_t *v)
{
    if (in->header == NULL
        || in->header(in->header_data, name, &v->data, &v->len) != 0)
    {
        return -1;
    }

    dg_sig_trim(v);

    return 0;
}


static dg_sig_reason_e
dg_sig_component(const dg_sig_input_t *in, const dg_sf_str_t *name,
    dg_sig_line_t *line)
{
    size_t  i;

    line->name = name;
    line->prefix = "";
    line->lower = 0;

    if (dg_sig_streq(name, "@method")) {
        line->value = in->method;

    } else if (dg_sig_streq(name, "@authority")) {
        line->value = in->authority;
        line->lower = 1;

    } else if (dg_sig_streq(name, "@path")) {
        line->value = in->path;
        if (line->value.len == 0) {
            line->value.data = "/";
            line->value.len = 1;
        }

    } else if (dg_sig_streq(name, "@query")) {
        line->prefix = "?";
        line->value = in->args;

    } else {
        if (name->len == 0) {
            return DG_SIG_COMPONENTS;
        }

        /* other derived components and upper-case names are refused */
        for (i = 0; i < name->len; i++) {
            if (!dg_sig_is_tchar((unsigned char) name->data[i])) {
                return DG_SIG_COMPONENTS;
            }
        }

        if (dg_sig_header(in, name->data, &line->value) != 0) {
            return dg_sig_streq(name, "content-digest")
                   ? DG_SIG_DIGEST : DG_SIG_COMPONENTS;
        }
    }

    if (line->value.len > 0 && line->value.data == NULL) {
        return DG_SIG_INTERNAL;
    }

    return dg_sig_value_ok(&line->value) ? DG_SIG_OK : DG_SIG_MALFORMED;
}


static dg_sig_reason_e
dg_sig_build(const dg_sig_input_t *in, const dg_sf_member_t *m,
    char **base, size_t *len)
{
    char             *p, *s;
    size_t            i, j, n, plen;
    dg_sig_line_t     lines[DG_SF_MAX_ITEMS];
    dg_sig_reason_e   rc;

    n = 0;

    for (i = 0; i < m->nitems; i++) {
        if (dg_sig_streq(&m->items[i], "@signature-params")) {
            return DG_SIG_COMPONENTS;
        }

        for (j = 0; j < i; j++) {
            if (strcmp(m->items[i].data, m->items[j].data) == 0) {
                return DG_SIG_COMPONENTS;
            }
        }

        rc = dg_sig_component(in, &m->items[i], &lines[i]);
        if (rc != DG_SIG_OK) {
            return rc;
        }

        /* "name": prefix value LF */
        n += lines[i].name->len + 4 + strlen(lines[i].prefix)
             + lines[i].value.len + 1;
    }

    plen = dg_sf_serialize_inner(m, NULL, 0);
    n += sizeof(DG_SIG_PARAMS_LINE) - 1 + plen;

    p = malloc(n + 1);
    if (p == NULL) {
        return DG_SIG_INTERNAL;
    }

    s = p;

    for (i = 0; i < m->nitems; i++) {
        *s++ = '"';
        memcpy(s, lines[i].name->data, lines[i].name->len);
        s += lines[i].name->len;
        memcpy(s, "\": ", 3);
        s += 3;
        s = stpcpy(s, lines[i].prefix);

        if (lines[i].value.len > 0) {
            memcpy(s, lines[i].value.data, lines[i].value.len);
        }

        if (lines[i].lower) {
            for (j = 0; j < lines[i].value.len; j++) {
                if (s[j] >= 'A' && s[j] <= 'Z') {
                    s[j] += 'a' - 'A';
                }
            }
        }

        s += lines[i].value.len;
        *s++ = '\n';
    }

    s = stpcpy(s, DG_SIG_PARAMS_LINE);
    dg_sf_serialize_inner(m, s, plen + 1);

    *base = p;
    *len = n;

    return DG_SIG_OK;
}


/* Parses Signature-Input into d and picks the member (see dg_sig.h). */
static dg_sig_reason_e
dg_sig_select(const dg_sig_input_t *in, const char *label, dg_sf_dict_t *d,
    const dg_sf_member_t **m)
{
    if (in->signature_input.data == NULL) {
        return DG_SIG_MISSING;
    }

    if (dg_sf_parse_dict(d, in->signature_input.data,
                         in->signature_input.len, DG_SF_INNER_LISTS)
        != DG_SF_OK
        || d->n == 0)
    {
        return DG_SIG_MALFORMED;
    }

    *m = d->n == 1 ? &d->members[0]
                   : dg_sf_dict_get(d, label != NULL ? label : "sig1");

    return *m != NULL ? DG_SIG_OK : DG_SIG_MALFORMED;
}


dg_sig_reason_e
dg_sig_base(const dg_sig_input_t *in, const char *label, char **base,
    size_t *len)
{
    dg_sf_dict_t           d;
    dg_sig_reason_e        rc;
    const dg_sf_member_t  *m;

    rc = dg_sig_select(in, label, &d, &m);
    if (rc != DG_SIG_OK) {
        return rc;
    }

    return dg_sig_build(in, m, base, len);
}


static dg_sig_reason_e
dg_sig_check_components(const dg_sf_member_t *m,
    const dg_sig_policy_t *policy, int body)
{
    size_t  i, n, digest;

    digest = policy->digest && body;

    if (policy->components != NULL) {
        n = policy->ncomponents + digest;

        if (m->nitems != n) {
            return DG_SIG_COMPONENTS;
        }

        for (i = 0; i < policy->ncomponents; i++) {
            if (!dg_sig_streq(&m->items[i], policy->components[i])) {
                return DG_SIG_COMPONENTS;
            }
        }

        if (digest && !dg_sig_streq(&m->items[n - 1], "content-digest")) {
            return DG_SIG_COMPONENTS;
        }

        return DG_SIG_OK;
    }

    if (policy->digest) {
        for (i = 0; i < m->nitems; i++) {
            if (dg_sig_streq(&m->items[i], "content-digest")) {
                break;
            }
        }

        if ((i < m->nitems) != digest) {
            return DG_SIG_COMPONENTS;
        }
    }

    return DG_SIG_OK;
}


static dg_sig_reason_e
dg_sig_read_params(const dg_sf_member_t *m, dg_sig_params_t *sp)
{
    size_t               i;
    dg_sf_type_e         type;
    const dg_sf_str_t   *key;
    const dg_sf_value_t *v;

    memset(sp, 0, sizeof(dg_sig_params_t));

    for (i = 0; i < m->nparams; i++) {
        key = &m->params[i].key;
        v = &m->params[i].value;
        type = DG_SF_STRING;

        if (dg_sig_streq(key, "created")) {
            type = DG_SF_INTEGER;
            sp->created = v->integer;
            sp->have |= DG_SIG_PARAM_CREATED;

        } else if (dg_sig_streq(key, "expires")) {
            type = DG_SF_INTEGER;
            sp->expires = v->integer;
            sp->have_expires = 1;

        } else if (dg_sig_streq(key, "nonce")) {
            sp->nonce = &v->str;
            sp->have |= DG_SIG_PARAM_NONCE;

        } else if (dg_sig_streq(key, "keyid")) {
            sp->keyid = &v->str;
            sp->have |= DG_SIG_PARAM_KEYID;

        } else if (dg_sig_streq(key, "alg")) {
            sp->alg = &v->str;
            sp->have |= DG_SIG_PARAM_ALG;

        } else if (!dg_sig_streq(key, "tag")) {
            return DG_SIG_MALFORMED;
        }

        if (v->type != type) {
            return DG_SIG_MALFORMED;
        }
    }

    return DG_SIG_OK;
}


static dg_sig_reason_e
dg_sig_check_params(const dg_sig_params_t *sp,
    const dg_sig_policy_t *policy, time_t now)
{
    if (sp->alg != NULL ? !dg_sig_streq(sp->alg, "hmac-sha256")
                        : (policy->params & DG_SIG_PARAM_ALG) != 0)
    {
        return DG_SIG_ALG;
    }

    /* without a keyid there is no key, whatever the policy says */
    if (sp->keyid == NULL || sp->keyid->len == 0
        || sp->keyid->len > DG_SIG_MAX_KEYID)
    {
        return DG_SIG_KEYID;
    }

    if (sp->have & DG_SIG_PARAM_CREATED) {
        if (sp->created > (int64_t) now + policy->max_skew
            || sp->created < (int64_t) now - policy->max_skew)
        {
            return DG_SIG_CREATED;
        }

    } else if (policy->params & DG_SIG_PARAM_CREATED) {
        return DG_SIG_CREATED;
    }

    if (sp->have_expires && (int64_t) now > sp->expires) {
        return DG_SIG_CREATED;
    }

    if (sp->nonce != NULL) {
        if (sp->nonce->len == 0 || sp->nonce->len > DG_SIG_MAX_NONCE) {
            return DG_SIG_NONCE;
        }

    } else if (policy->params & DG_SIG_PARAM_NONCE) {
        return DG_SIG_NONCE;
    }

    return DG_SIG_OK;
}


static dg_sig_reason_e
dg_sig_check_hmac(const dg_sig_input_t *in, const dg_sf_member_t *m,
    const dg_sf_member_t *sig, const unsigned char *secret, size_t slen)
{
    char              *base;
    size_t             len;
    unsigned int       mdlen;
    unsigned char      md[EVP_MAX_MD_SIZE];
    dg_sig_reason_e    rc;

    if (slen > INT_MAX) {
        return DG_SIG_INTERNAL;
    }

    rc = dg_sig_build(in, m, &base, &len);
    if (rc != DG_SIG_OK) {
        return rc;
    }

    if (HMAC(EVP_sha256(), secret, (int) slen, (unsigned char *) base, len,
             md, &mdlen)
        == NULL)
    {
        free(base);
        return DG_SIG_INTERNAL;
    }

    free(base);

    if (mdlen != DG_SIG_HMAC_LEN || sig->value.str.len != DG_SIG_HMAC_LEN
        || CRYPTO_memcmp(md, sig->value.str.data, DG_SIG_HMAC_LEN) != 0)
    {
        return DG_SIG_SIGNATURE;
    }

    return DG_SIG_OK;
}


static void
dg_sig_copy(char *dst, size_t size, const dg_sf_str_t *s)
{
    size_t  n;

    n = s->len < size - 1 ? s->len : size - 1;
    memcpy(dst, s->data, n);
    dst[n] = '\0';
}


dg_sig_reason_e
dg_sig_verify(const dg_sig_input_t *in, const dg_sig_policy_t *policy,
    dg_sig_result_t *res)
{
    size_t                 slen;
    time_t                 expires;
    dg_sf_str_t            cd;
    dg_sf_dict_t           input, sigs;
    dg_sig_params_t        sp;
    dg_sig_reason_e        rc;
    dg_sig_result_t        scratch;
    const unsigned char   *secret;
    const dg_sf_member_t  *m, *sig;

    if (res == NULL) {
        res = &scratch;
    }

    memset(res, 0, sizeof(dg_sig_result_t));

    if (in->signature_input.data == NULL || in->signature.data == NULL) {
        return DG_SIG_MISSING;
    }

    rc = dg_sig_select(in, policy->label, &input, &m);
    if (rc != DG_SIG_OK) {
        return rc;
    }

    dg_sig_copy(res->label, sizeof(res->label), &m->key);

    if (dg_sf_parse_dict(&sigs, in->signature.data, in->signature.len,
                         DG_SF_BYTE_SEQS)
        != DG_SF_OK)
    {
        return DG_SIG_MALFORMED;
    }

    sig = dg_sf_dict_get(&sigs, m->key.data);
    if (sig == NULL) {
        return DG_SIG_MALFORMED;
    }

    rc = dg_sig_read_params(m, &sp);
    if (rc != DG_SIG_OK) {
        return rc;
    }

    if (sp.keyid != NULL) {
        dg_sig_copy(res->keyid, sizeof(res->keyid), sp.keyid);
    }

    res->created = sp.created;

    rc = dg_sig_check_components(m, policy, in->body != NULL);
    if (rc != DG_SIG_OK) {
        return rc;
    }

    rc = dg_sig_check_params(&sp, policy, in->now);
    if (rc != DG_SIG_OK) {
        return rc;
    }

    if (in->key == NULL
        || in->key(in->key_data, sp.keyid->data, sp.keyid->len, &secret,
                   &slen)
           != 0)
    {
        return DG_SIG_KEYID;
    }

    rc = dg_sig_check_hmac(in, m, sig, secret, slen);
    if (rc != DG_SIG_OK) {
        return rc;
    }

    if (policy->digest && in->body != NULL) {
        if (dg_sig_header(in, "content-digest", &cd) != 0) {
            return DG_SIG_DIGEST;
        }

        rc = dg_content_digest_check(cd.data, cd.len, in->body);
        if (rc != DG_SIG_OK) {
            return rc;
        }
    }

    if (sp.nonce == NULL) {
        return DG_SIG_OK;
    }

    if (in->nonce == NULL) {
        return (policy->params & DG_SIG_PARAM_NONCE) ? DG_SIG_INTERNAL
                                                     : DG_SIG_OK;
    }

    expires = (sp.have & DG_SIG_PARAM_CREATED) ? (time_t) sp.created
                                               : in->now;
    expires += policy->max_skew;

    switch (in->nonce(in->nonce_data, sp.keyid->data, sp.nonce->data,
                      expires))
    {
    case DG_SIG_NONCE_FRESH:
        return DG_SIG_OK;
    case DG_SIG_NONCE_REPLAYED:
        return DG_SIG_NONCE;
    default:
        return DG_SIG_UNAVAILABLE;
    }
}


dg_sig_reason_e
dg_content_digest_check(const char *value, size_t len,
    const dg_sig_body_t *body)
{
    size_t                 i;
    unsigned int           mdlen;
    unsigned char          md[EVP_MAX_MD_SIZE];
    dg_sf_dict_t           d;
    const dg_sf_member_t  *m;
    static const struct {
        const char      *name;
        const EVP_MD  *(*md)(void);
        int              required;
    }                      algs[] = { { "sha-256", EVP_sha256, 1 },
                                      { "sha-512", EVP_sha512, 0 } };

    if (dg_sf_parse_dict(&d, value, len, DG_SF_BYTE_SEQS) != DG_SF_OK) {
        return DG_SIG_DIGEST;
    }

    for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        m = dg_sf_dict_get(&d, algs[i].name);

        if (m == NULL) {
            if (algs[i].required) {
                return DG_SIG_DIGEST;
            }

            continue;
        }

        /* hashed only now: an algorithm the field does not name costs
         * nothing */
        if (EVP_Digest(body->data, body->len, md, &mdlen, algs[i].md(),
                       NULL)
            != 1)
        {
            return DG_SIG_INTERNAL;
        }

        if (m->value.str.len != mdlen
            || CRYPTO_memcmp(m->value.str.data, md, mdlen) != 0)
        {
            return DG_SIG_DIGEST;
        }
    }

    return DG_SIG_OK;
}


dg_error_e
dg_sig_reason_error(dg_sig_reason_e reason)
{
    if ((size_t) reason >= sizeof(dg_sig_errors) / sizeof(dg_sig_errors[0]))
    {
        reason = DG_SIG_INTERNAL;
    }

    return dg_sig_errors[reason];
}
