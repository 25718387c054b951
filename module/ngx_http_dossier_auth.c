/*
 * Who is calling (CONTRACT.md section 4), on nginx's side: the portal and
 * sector systems sign requests (RFC 9421, hmac-sha256), citizens bring a
 * VNeID token.  The checks themselves are the core's (dg_sig, dg_jwt,
 * dg_clients); here are the request's parts, the nonce store, and what a
 * caller may do.
 *
 * A signed request is verified in full, Content-Digest against the body
 * actually received included, before its nonce is recorded, so nobody
 * without a client's secret can fill the nonce store.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dg_clients.h"
#include "dg_jwt.h"
#include "dg_sig.h"
#include "ngx_http_dossier.h"


static ngx_int_t ngx_http_dossier_auth_token(ngx_http_request_t *r,
    ngx_http_dossier_ctx_t *ctx, ngx_str_t *value);
static ngx_int_t ngx_http_dossier_auth_signature(ngx_http_request_t *r,
    ngx_http_dossier_ctx_t *ctx, ngx_str_t *body);
static int ngx_http_dossier_auth_header(void *data, const char *name,
    const char **value, size_t *len);
static dg_sig_nonce_e ngx_http_dossier_auth_nonce(void *data,
    const char *keyid, const char *nonce, time_t expires);
static void ngx_http_dossier_auth_nonce_done(ngx_http_request_t *r,
    dg_sig_nonce_e rc);
static ngx_int_t ngx_http_dossier_auth_refuse(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message);


ngx_http_dossier_ctx_t *
ngx_http_dossier_ctx(ngx_http_request_t *r)
{
    ngx_http_dossier_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_dossier_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dossier_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_dossier_module);
    }

    return ctx;
}


/*
 * Sets ctx->caller.  NGX_OK: known now.  NGX_DONE: resume(r) runs once the
 * nonce store answered.  Anything else: the refusal was sent, return it.
 */
ngx_int_t
ngx_http_dossier_authenticate(ngx_http_request_t *r, ngx_str_t *body,
    ngx_http_dossier_resume_pt resume)
{
    ngx_str_t                     *auth;
    ngx_http_dossier_ctx_t        *ctx;
    ngx_http_dossier_loc_conf_t   *dlcf;

    ctx = ngx_http_dossier_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->caller.kind != NGX_HTTP_DOSSIER_CALLER_NONE) {
        return NGX_OK;
    }

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dossier_module);

    if (!dlcf->auth) {
        ctx->caller.kind = NGX_HTTP_DOSSIER_CALLER_OPEN;
        ngx_str_set(&ctx->caller.id, "anonymous");
        return NGX_OK;
    }

    ctx->resume = resume;

    auth = r->headers_in.authorization ? &r->headers_in.authorization->value
                                       : NULL;

    if (auth && auth->len > 7
        && ngx_strncasecmp(auth->data, (u_char *) "Bearer ", 7) == 0)
    {
        return ngx_http_dossier_auth_token(r, ctx, auth);
    }

    return ngx_http_dossier_auth_signature(r, ctx, body);
}


static ngx_int_t
ngx_http_dossier_auth_token(ngx_http_request_t *r,
    ngx_http_dossier_ctx_t *ctx, ngx_str_t *value)
{
    size_t                         len;
    const char                    *token;
    dg_jwt_policy_t                policy;
    dg_jwt_reason_e                rc;
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    if (dmcf->jwks == NULL) {
        return ngx_http_dossier_auth_refuse(r, NGX_HTTP_UNAUTHORIZED,
                   "token.not_accepted",
                   "Máy chủ này không nhận mã VNeID / "
                   "VNeID tokens are not accepted here");
    }

    if (dg_jwt_bearer((const char *) value->data, value->len, &token, &len)
        != 0)
    {
        return ngx_http_dossier_auth_refuse(r, NGX_HTTP_UNAUTHORIZED,
                   dg_jwt_reason_code(DG_JWT_MALFORMED),
                   dg_jwt_reason_message(DG_JWT_MALFORMED));
    }

    policy.issuer = (const char *) dmcf->vneid_issuer.data;
    policy.audience = (const char *) dmcf->vneid_audience.data;
    policy.leeway = 60;

    rc = dg_jwt_verify(dmcf->jwks, &policy, token, len, ngx_time(),
                       ctx->caller.subject);

    if (rc != DG_JWT_OK) {
        return ngx_http_dossier_auth_refuse(r, dg_jwt_reason_status(rc),
                                            dg_jwt_reason_code(rc),
                                            dg_jwt_reason_message(rc));
    }

    ctx->caller.kind = NGX_HTTP_DOSSIER_CALLER_CITIZEN;
    ngx_str_set(&ctx->caller.id, "vneid");

    return NGX_OK;
}


static ngx_int_t
ngx_http_dossier_auth_signature(ngx_http_request_t *r,
    ngx_http_dossier_ctx_t *ctx, ngx_str_t *body)
{
    u_char                        *p, *q;
    ngx_int_t                      rc;
    ngx_str_t                      cert;
    dg_sig_input_t                 in;
    dg_sig_result_t                res;
    dg_sig_reason_e                reason;
    dg_body_digest_t               digest;
    const dg_client_t             *client;
    ngx_http_dossier_loc_conf_t   *dlcf;
    ngx_http_dossier_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_module);

    if (dmcf->clients == NULL) {
        return ngx_http_dossier_auth_refuse(r, NGX_HTTP_UNAUTHORIZED,
                   dg_sig_reason_code(DG_SIG_MISSING),
                   dg_sig_reason_message(DG_SIG_MISSING));
    }

    ngx_memzero(&in, sizeof(dg_sig_input_t));

    in.method.data = (const char *) r->method_name.data;
    in.method.len = r->method_name.len;

    if (r->headers_in.host) {
        /* lower case, as the signature base has it */
        p = ngx_pnalloc(r->pool, r->headers_in.host->value.len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_strlow(p, r->headers_in.host->value.data,
                   r->headers_in.host->value.len);
        in.authority.data = (const char *) p;
        in.authority.len = r->headers_in.host->value.len;
    }

    p = r->unparsed_uri.data;
    q = ngx_strlchr(p, p + r->unparsed_uri.len, '?');
    in.path.data = (const char *) p;
    in.path.len = (q ? q : p + r->unparsed_uri.len) - p;
    in.args.data = (const char *) r->args.data;
    in.args.len = r->args.len;

    (void) ngx_http_dossier_auth_header(r, "signature-input",
                                        &in.signature_input.data,
                                        &in.signature_input.len);
    (void) ngx_http_dossier_auth_header(r, "signature", &in.signature.data,
                                        &in.signature.len);

    if (body) {
        if (dg_body_digest(body->data, body->len, &digest) != 0) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        in.body = &digest;
    }

    in.now = ngx_time();
    in.header = ngx_http_dossier_auth_header;
    in.header_data = r;
    in.key = dg_clients_sig_key;
    in.key_data = dmcf->clients;
    in.nonce = ngx_http_dossier_auth_nonce;
    in.nonce_data = ctx;

    reason = dg_sig_verify(&in, &dg_sig_contract_policy, &res);

    if (reason != DG_SIG_OK) {
        if (reason != DG_SIG_MISSING) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dossier: signature refused (%s) for keyid \"%s\"",
                          dg_sig_reason_code(reason), res.keyid);
        }

        return ngx_http_dossier_auth_refuse(r, dg_sig_reason_status(reason),
                                            dg_sig_reason_code(reason),
                                            dg_sig_reason_message(reason));
    }

    client = dg_clients_find(dmcf->clients, res.keyid, ngx_strlen(res.keyid));
    if (client == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->caller.client = client;
    ctx->caller.id.data = (u_char *) dg_client_id(client);
    ctx->caller.id.len = ngx_strlen(ctx->caller.id.data);

    /* a client certificate, when one maps to a client, binds the key */
    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dossier_module);

    if (dlcf->certificate_client) {
        if (ngx_http_complex_value(r, dlcf->certificate_client, &cert)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (cert.len
            && (cert.len != ctx->caller.id.len
                || ngx_strncmp(cert.data, ctx->caller.id.data, cert.len)
                   != 0))
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "dossier: client certificate of \"%V\" used "
                          "with the key of \"%V\"", &cert,
                          &ctx->caller.id);
            return ngx_http_dossier_auth_refuse(r, NGX_HTTP_FORBIDDEN,
                       "auth.certificate",
                       "Chứng thư số không thuộc khách hàng đã ký / "
                       "the client certificate belongs to another client");
        }
    }

    /* verified: now the nonce may be recorded (once) */
    rc = ngx_http_dossier_nonce_check(r, ctx->nonce_key, ctx->nonce_expires,
                                      ngx_http_dossier_auth_nonce_done);

    if (rc == NGX_DONE) {
        return NGX_DONE;
    }

    return ngx_http_dossier_auth_nonce_result(r, (dg_sig_nonce_e) rc);
}


/* The one the caller awaited, or a refusal. */
ngx_int_t
ngx_http_dossier_auth_nonce_result(ngx_http_request_t *r, dg_sig_nonce_e rc)
{
    ngx_http_dossier_ctx_t  *ctx;

    ctx = ngx_http_dossier_ctx(r);

    if (rc == DG_SIG_NONCE_FRESH) {
        ctx->caller.kind = NGX_HTTP_DOSSIER_CALLER_CLIENT;
        return NGX_OK;
    }

    if (rc == DG_SIG_NONCE_REPLAYED) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dossier: replayed nonce from client \"%V\"",
                      &ctx->caller.id);
        return ngx_http_dossier_auth_refuse(r, NGX_HTTP_UNAUTHORIZED,
                   dg_sig_reason_code(DG_SIG_NONCE),
                   dg_sig_reason_message(DG_SIG_NONCE));
    }

    return ngx_http_dossier_auth_refuse(r, NGX_HTTP_SERVICE_UNAVAILABLE,
               dg_sig_reason_code(DG_SIG_UNAVAILABLE),
               dg_sig_reason_message(DG_SIG_UNAVAILABLE));
}


static void
ngx_http_dossier_auth_nonce_done(ngx_http_request_t *r, dg_sig_nonce_e rc)
{
    ngx_int_t                rc2;
    ngx_connection_t        *c = r->connection;
    ngx_http_dossier_ctx_t  *ctx;

    ctx = ngx_http_dossier_ctx(r);
    rc2 = ngx_http_dossier_auth_nonce_result(r, rc);

    if (rc2 == NGX_OK) {
        ctx->resume(r);

    } else {
        ngx_http_finalize_request(r, rc2);
    }

    ngx_http_run_posted_requests(c);
}


/* Header callback for dg_sig: several fields of one name are joined with
 * ", " (RFC 9110 5.3). */
static int
ngx_http_dossier_auth_header(void *data, const char *name,
    const char **value, size_t *len)
{
    u_char              *p;
    size_t               n, total;
    ngx_uint_t           i, nfound;
    ngx_list_part_t     *part;
    ngx_table_elt_t     *h, *found[8];
    ngx_http_request_t  *r = data;

    n = ngx_strlen(name);
    nfound = 0;
    total = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == n && nfound < 8
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, n) == 0)
        {
            total += h[i].value.len + (nfound ? 2 : 0);
            found[nfound++] = &h[i];
        }
    }

    *value = NULL;
    *len = 0;

    if (nfound == 0) {
        return -1;
    }

    p = ngx_pnalloc(r->pool, total);
    if (p == NULL) {
        return -1;
    }

    *value = (const char *) p;
    *len = total;

    for (i = 0; i < nfound; i++) {
        if (i) {
            p = ngx_cpymem(p, ", ", 2);
        }

        p = ngx_cpymem(p, found[i]->value.data, found[i]->value.len);
    }

    return 0;
}


/* Called by dg_sig_verify once everything else verified: keep the nonce
 * for the asynchronous store, say "fresh" for now. */
static dg_sig_nonce_e
ngx_http_dossier_auth_nonce(void *data, const char *keyid, const char *nonce,
    time_t expires)
{
    ngx_http_dossier_ctx_t  *ctx = data;

    ngx_snprintf(ctx->nonce_key, sizeof(ctx->nonce_key) - 1, "%s:%s%Z",
                 keyid, nonce);
    ctx->nonce_expires = expires;

    return DG_SIG_NONCE_FRESH;
}


static ngx_int_t
ngx_http_dossier_auth_refuse(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message)
{
    u_char      *vi;
    const char  *slash;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    if (status == NGX_HTTP_UNAUTHORIZED
        && ngx_http_dossier_add_header(r, "WWW-Authenticate",
                                       "Signature realm=\"dossier-gateway\", "
                                       "Bearer realm=\"dossier-gateway\"")
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the core's messages are "vi / en" */
    slash = ngx_strstr(message, " / ");

    if (slash == NULL) {
        return ngx_http_dossier_send_error(r, status, code, message, message);
    }

    vi = ngx_pnalloc(r->pool, slash - message + 1);
    if (vi == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_cpystrn(vi, (u_char *) message, slash - message + 1);

    return ngx_http_dossier_send_error(r, status, code, (char *) vi,
                                       slash + 3);
}


/*
 * What an authenticated caller may do.  NGX_OK, or the refusal to send:
 * a client without the sector gets 403; a citizen asking about someone
 * else's dossier gets 404, as if it did not exist.
 */
ngx_int_t
ngx_http_dossier_may_read(ngx_http_request_t *r, const char *sector,
    size_t sector_len, const char *owner, size_t owner_len)
{
    ngx_http_dossier_ctx_t  *ctx;

    ctx = ngx_http_dossier_ctx(r);

    switch (ctx->caller.kind) {

    case NGX_HTTP_DOSSIER_CALLER_CLIENT:
        return dg_client_may_read(ctx->caller.client, sector, sector_len)
               ? NGX_OK : NGX_HTTP_FORBIDDEN;

    case NGX_HTTP_DOSSIER_CALLER_CITIZEN:
        return owner_len == DG_JWT_SUB_LEN
               && ngx_strncmp(owner, ctx->caller.subject, owner_len) == 0
               ? NGX_OK : NGX_HTTP_NOT_FOUND;

    default:
        return NGX_OK;
    }
}


/* NGX_OK, or NGX_HTTP_FORBIDDEN: a client without the sector, or a citizen
 * submitting for someone else. */
ngx_int_t
ngx_http_dossier_may_submit(ngx_http_request_t *r, const char *sector,
    const char *applicant)
{
    ngx_http_dossier_ctx_t  *ctx;

    ctx = ngx_http_dossier_ctx(r);

    switch (ctx->caller.kind) {

    case NGX_HTTP_DOSSIER_CALLER_CLIENT:
        return dg_client_may_submit(ctx->caller.client, sector,
                                    ngx_strlen(sector))
               ? NGX_OK : NGX_HTTP_FORBIDDEN;

    case NGX_HTTP_DOSSIER_CALLER_CITIZEN:
        return ngx_strcmp(applicant, ctx->caller.subject) == 0
               ? NGX_OK : NGX_HTTP_FORBIDDEN;

    default:
        return NGX_OK;
    }
}


/* The sectors the caller may update ("*" all, "" none, "A,B"). */
const char *
ngx_http_dossier_update_sectors(ngx_http_request_t *r)
{
    ngx_http_dossier_ctx_t  *ctx;

    ctx = ngx_http_dossier_ctx(r);

    switch (ctx->caller.kind) {

    case NGX_HTTP_DOSSIER_CALLER_CLIENT:
        return dg_client_submit_sectors(ctx->caller.client);

    case NGX_HTTP_DOSSIER_CALLER_CITIZEN:
        return "";

    default:
        return "*";
    }
}
