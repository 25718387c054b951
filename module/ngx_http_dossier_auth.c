/*
 * ngx_http_dossier_auth_module: who is calling (CONTRACT.md section 4).
 *
 *   dossier_clients FILE;                     http
 *   dossier_vneid_jwks FILE;                  http
 *   dossier_vneid_issuer S;                   http
 *   dossier_vneid_audience S;                 http
 *   dossier_auth on|off;                      http, server, location
 *   dossier_certificate_client VALUE;         http, server, location
 *
 * Signed requests (RFC 9421, hmac-sha256) are verified by the core against
 * the client registry, with Content-Digest over the bytes received; the
 * nonce of a verified signature is then recorded once
 * (ngx_http_dossier_nonce.c): in Redis at once, or, for a handler that
 * defers it, with the late limits or by ngx_http_dossier_auth_settle()
 * before its answer.  VNeID bearer tokens are verified against
 * the JWKS.  The caller lands in the request context (dg_caller_t); what
 * it may do is the core's (dg_caller.h).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dossier_auth.h"
#include "ngx_http_dossier_nonce.h"
#include "ngx_http_dossier_response.h"


typedef struct {
    dg_clients_t                *clients;    /* dossier_clients */
    dg_jwks_t                   *jwks;       /* dossier_vneid_jwks */
    ngx_str_t                    vneid_issuer;
    ngx_str_t                    vneid_audience;
} ngx_http_dossier_auth_main_conf_t;


typedef struct {
    ngx_flag_t                   auth;
    ngx_http_complex_value_t    *certificate_client;
} ngx_http_dossier_auth_loc_conf_t;


static ngx_int_t ngx_http_dossier_auth_token(ngx_http_request_t *r,
    ngx_http_dossier_ctx_t *ctx, ngx_str_t *value);
static ngx_int_t ngx_http_dossier_auth_signature(ngx_http_request_t *r,
    ngx_http_dossier_ctx_t *ctx, ngx_str_t *body);
static ngx_int_t ngx_http_dossier_auth_nonce_result(ngx_http_request_t *r,
    dg_sig_nonce_e rc);
static int ngx_http_dossier_auth_header(void *data, const char *name,
    const char **value, size_t *len);
static dg_sig_nonce_e ngx_http_dossier_auth_nonce(void *data,
    const char *keyid, const char *nonce, time_t expires);
static void ngx_http_dossier_auth_nonce_done(ngx_http_request_t *r,
    dg_sig_nonce_e rc);
static ngx_int_t ngx_http_dossier_auth_refuse(ngx_http_request_t *r,
    dg_error_e e);
static char *ngx_http_dossier_clients_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_dossier_jwks_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void *ngx_http_dossier_auth_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_auth_init_main_conf(ngx_conf_t *cf,
    void *conf);
static void *ngx_http_dossier_auth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_dossier_auth_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);


static ngx_command_t  ngx_http_dossier_auth_commands[] = {

    { ngx_string("dossier_clients"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_dossier_clients_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dossier_vneid_jwks"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_dossier_jwks_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dossier_vneid_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_auth_main_conf_t, vneid_issuer),
      NULL },

    { ngx_string("dossier_vneid_audience"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dossier_auth_main_conf_t, vneid_audience),
      NULL },

    { ngx_string("dossier_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dossier_auth_loc_conf_t, auth),
      NULL },

    { ngx_string("dossier_certificate_client"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dossier_auth_loc_conf_t, certificate_client),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dossier_auth_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_dossier_auth_create_main_conf,
    ngx_http_dossier_auth_init_main_conf,

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_dossier_auth_create_loc_conf,
    ngx_http_dossier_auth_merge_loc_conf
};


ngx_module_t  ngx_http_dossier_auth_module = {
    NGX_MODULE_V1,
    &ngx_http_dossier_auth_module_ctx,     /* module context */
    ngx_http_dossier_auth_commands,        /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


ngx_int_t
ngx_http_dossier_authenticate(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_str_t                         *auth;
    ngx_http_dossier_ctx_t            *ctx;
    ngx_http_dossier_auth_loc_conf_t  *alcf;

    ctx = ngx_http_dossier_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->caller.kind != DG_CALLER_NONE) {
        return NGX_OK;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_dossier_auth_module);

    if (!alcf->auth) {
        ctx->caller.kind = DG_CALLER_OPEN;
        ctx->caller.id = "anonymous";
        return NGX_OK;
    }

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
    size_t                              len;
    const char                         *token;
    dg_jwt_policy_t                     policy;
    dg_jwt_reason_e                     rc;
    ngx_http_dossier_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_auth_module);

    if (amcf->jwks == NULL) {
        return ngx_http_dossier_auth_refuse(r, DG_ERR_TOKEN_NOT_ACCEPTED);
    }

    if (dg_jwt_bearer((const char *) value->data, value->len, &token, &len)
        != 0)
    {
        return ngx_http_dossier_auth_refuse(r, DG_ERR_TOKEN_MALFORMED);
    }

    policy.issuer = (const char *) amcf->vneid_issuer.data;
    policy.audience = (const char *) amcf->vneid_audience.data;
    policy.leeway = 60;

    rc = dg_jwt_verify(amcf->jwks, &policy, token, len, ngx_time(),
                       ctx->caller.subject);

    if (rc != DG_JWT_OK) {
        return ngx_http_dossier_auth_refuse(r, dg_jwt_reason_error(rc));
    }

    ctx->caller.kind = DG_CALLER_CITIZEN;
    ctx->caller.id = "vneid";

    return NGX_OK;
}


static ngx_int_t
ngx_http_dossier_auth_signature(ngx_http_request_t *r,
    ngx_http_dossier_ctx_t *ctx, ngx_str_t *body)
{
    u_char                             *p, *q;
    ngx_int_t                           rc;
    ngx_str_t                           cert;
    dg_sig_input_t                      in;
    dg_sig_result_t                     res;
    dg_sig_reason_e                     reason;
    dg_sig_body_t                       content;
    const dg_client_t                  *client;
    ngx_http_dossier_auth_loc_conf_t   *alcf;
    ngx_http_dossier_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_dossier_auth_module);

    if (amcf->clients == NULL) {
        return ngx_http_dossier_auth_refuse(r, DG_ERR_AUTH_MISSING);
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
        /* hashed once the signature verified, as Content-Digest says */
        content.data = body->data;
        content.len = body->len;
        in.body = &content;
    }

    in.now = ngx_time();
    in.header = ngx_http_dossier_auth_header;
    in.header_data = r;
    in.key = dg_clients_sig_key;
    in.key_data = amcf->clients;
    in.nonce = ngx_http_dossier_auth_nonce;
    in.nonce_data = ctx;

    reason = dg_sig_verify(&in, &dg_sig_contract_policy, &res);

    if (reason != DG_SIG_OK) {
        if (reason != DG_SIG_MISSING) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dossier: signature refused (%s) for keyid \"%s\"",
                          dg_error(dg_sig_reason_error(reason))->code,
                          res.keyid);
        }

        return ngx_http_dossier_auth_refuse(r, dg_sig_reason_error(reason));
    }

    client = dg_clients_find(amcf->clients, res.keyid, ngx_strlen(res.keyid));
    if (client == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->caller.client = client;
    ctx->caller.id = dg_client_id(client);

    /* a client certificate, when one maps to a client, binds the key */
    alcf = ngx_http_get_module_loc_conf(r, ngx_http_dossier_auth_module);

    if (alcf->certificate_client) {
        if (ngx_http_complex_value(r, alcf->certificate_client, &cert)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (cert.len
            && (cert.len != ngx_strlen(ctx->caller.id)
                || ngx_strncmp(cert.data, ctx->caller.id, cert.len) != 0))
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "dossier: client certificate of \"%V\" used "
                          "with the key of \"%s\"", &cert,
                          ctx->caller.id);
            return ngx_http_dossier_auth_refuse(r, DG_ERR_AUTH_CERTIFICATE);
        }
    }

    /* verified: now the nonce may be recorded (once) */
    rc = ngx_http_dossier_nonce_check(r, ctx->nonce_key, ctx->nonce_expires,
                                      ctx->nonce_defer,
                                      ngx_http_dossier_auth_nonce_done);

    if (rc == NGX_DONE) {
        return NGX_DONE;
    }

    if (rc == NGX_DECLINED) {
        /* fresh here; Redis's word comes before the answer */
        ctx->nonce_pending = 1;
        rc = DG_SIG_NONCE_FRESH;
    }

    return ngx_http_dossier_auth_nonce_result(r, (dg_sig_nonce_e) rc);
}


ngx_int_t
ngx_http_dossier_auth_settle(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_http_dossier_ctx_t  *ctx;

    ctx = ngx_http_dossier_ctx(r);

    if (ctx == NULL || !ctx->nonce_pending) {
        return NGX_OK;
    }

    ctx->nonce_pending = 0;

    rc = ngx_http_dossier_nonce_store(r, ctx->nonce_key, ctx->nonce_expires,
                                      DG_SIG_NONCE_FRESH,
                                      ngx_http_dossier_auth_nonce_done);

    if (rc == NGX_DONE) {
        return NGX_DONE;
    }

    return ngx_http_dossier_auth_nonce_result(r, (dg_sig_nonce_e) rc);
}


ngx_int_t
ngx_http_dossier_auth_replayed(ngx_http_request_t *r)
{
    return ngx_http_dossier_auth_nonce_result(r, DG_SIG_NONCE_REPLAYED);
}


/* The one the caller awaited, or a refusal. */
static ngx_int_t
ngx_http_dossier_auth_nonce_result(ngx_http_request_t *r, dg_sig_nonce_e rc)
{
    ngx_http_dossier_ctx_t  *ctx;

    ctx = ngx_http_dossier_ctx(r);

    if (rc == DG_SIG_NONCE_FRESH) {
        ctx->caller.kind = DG_CALLER_CLIENT;
        return NGX_OK;
    }

    if (rc == DG_SIG_NONCE_REPLAYED) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dossier: replayed nonce from client \"%s\"",
                      ctx->caller.id);
        return ngx_http_dossier_auth_refuse(r, DG_ERR_AUTH_NONCE);
    }

    return ngx_http_dossier_auth_refuse(r, DG_ERR_AUTH_UNAVAILABLE);
}


static void
ngx_http_dossier_auth_nonce_done(ngx_http_request_t *r, dg_sig_nonce_e rc)
{
    ngx_int_t          rc2;
    ngx_connection_t  *c = r->connection;

    rc2 = ngx_http_dossier_auth_nonce_result(r, rc);

    if (rc2 == NGX_OK) {
        ngx_http_dossier_resume(r);
        ngx_http_run_posted_requests(c);
        return;
    }

    ngx_http_dossier_finalize(r, rc2);
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
ngx_http_dossier_auth_refuse(ngx_http_request_t *r, dg_error_e e)
{
    ngx_http_dossier_discard_body(r);

    if (dg_error(e)->status == NGX_HTTP_UNAUTHORIZED
        && ngx_http_dossier_add_header(r, "WWW-Authenticate",
                                       "Signature realm=\"dossier-gateway\", "
                                       "Bearer realm=\"dossier-gateway\"")
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dossier_send_error(r, e);
}


/*
 * A file the master reads with the configuration (client registry, JWKS):
 * a malformed one fails "nginx -t" with the loader's message (file and
 * line); what it loaded is freed with the cycle.
 */
static char *
ngx_http_dossier_conf_file(ngx_conf_t *cf, void **dst,
    void *(*load)(const char *path, char *err, size_t errlen),
    ngx_pool_cleanup_pt unload)
{
    char                 err[512];
    ngx_str_t           *value, path;
    ngx_pool_cleanup_t  *cln;

    if (*dst) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    *dst = load((const char *) path.data, err, sizeof(err));
    if (*dst == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s", err);
        return NGX_CONF_ERROR;
    }

    cln->handler = unload;
    cln->data = *dst;

    return NGX_CONF_OK;
}


static void *
ngx_http_dossier_clients_load(const char *path, char *err, size_t errlen)
{
    return dg_clients_load(path, err, errlen);
}


static void
ngx_http_dossier_clients_free(void *data)
{
    dg_clients_free(data);
}


static void *
ngx_http_dossier_jwks_load(const char *path, char *err, size_t errlen)
{
    return dg_jwks_load(path, err, errlen);
}


static void
ngx_http_dossier_jwks_free(void *data)
{
    dg_jwks_free(data);
}


/* The client registry; signed requests' nonces then need their table. */
static char *
ngx_http_dossier_clients_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dossier_auth_main_conf_t  *amcf = conf;

    char  *rv;

    rv = ngx_http_dossier_conf_file(cf, (void **) &amcf->clients,
                                    ngx_http_dossier_clients_load,
                                    ngx_http_dossier_clients_free);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    return ngx_http_dossier_nonce_enable(cf) == NGX_OK ? NGX_CONF_OK
                                                       : NGX_CONF_ERROR;
}


static char *
ngx_http_dossier_jwks_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_dossier_auth_main_conf_t  *amcf = conf;

    return ngx_http_dossier_conf_file(cf, (void **) &amcf->jwks,
                                      ngx_http_dossier_jwks_load,
                                      ngx_http_dossier_jwks_free);
}


static void *
ngx_http_dossier_auth_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_auth_main_conf_t));
}


static char *
ngx_http_dossier_auth_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_dossier_auth_main_conf_t  *amcf = conf;

    if (amcf->jwks
        && (amcf->vneid_issuer.len == 0 || amcf->vneid_audience.len == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"dossier_vneid_jwks\" needs "
                           "\"dossier_vneid_issuer\" and "
                           "\"dossier_vneid_audience\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_dossier_auth_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_dossier_auth_loc_conf_t  *alcf;

    alcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_auth_loc_conf_t));
    if (alcf == NULL) {
        return NULL;
    }

    alcf->auth = NGX_CONF_UNSET;

    return alcf;
}


/* "dossier_auth on" with nothing to check a caller against would answer
 * every request 401: nginx -t says so instead. */
static char *
ngx_http_dossier_auth_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_dossier_auth_loc_conf_t  *prev = parent;
    ngx_http_dossier_auth_loc_conf_t  *conf = child;

    ngx_http_dossier_auth_main_conf_t  *amcf;

    ngx_conf_merge_value(conf->auth, prev->auth, 0);

    if (conf->certificate_client == NULL) {
        conf->certificate_client = prev->certificate_client;
    }

    amcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_dossier_auth_module);

    if (conf->auth && amcf->clients == NULL && amcf->jwks == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"dossier_auth on\" needs \"dossier_clients\" "
                           "or \"dossier_vneid_jwks\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
