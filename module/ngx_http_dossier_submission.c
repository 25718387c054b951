/*
 * One staged submission on the nginx side (ngx_http_dossier_submission.h).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_dossier.h"
#include "ngx_http_dossier_ctx.h"
#include "ngx_http_dossier_plugins.h"
#include "ngx_http_dossier_response.h"
#include "ngx_http_dossier_submission.h"


static void ngx_http_dossier_submission_waited(
    ngx_http_dossier_pg_waiter_t *w, ngx_uint_t ready);


ngx_int_t
ngx_http_dossier_submission_judge(ngx_http_request_t *r,
    dg_submission_t *sub)
{
    if (dg_submission_validate(sub, ngx_time(), ngx_http_dossier_catalog(r))
        == 1)
    {
        return NGX_AGAIN;
    }

    (void) dg_submission_check(sub, ngx_http_dossier_plugins(r), ngx_time());
    (void) dg_submission_allow(sub, &ngx_http_dossier_ctx(r)->caller);

    return NGX_OK;
}


ngx_int_t
ngx_http_dossier_submission_wait(ngx_http_request_t *r,
    ngx_http_dossier_pg_waiter_t *w)
{
    ngx_http_dossier_pg_t  *pool;

    pool = ngx_http_dossier_pool(r);

    w->handler = ngx_http_dossier_submission_waited;
    w->data = r;

    if (pool == NULL || ngx_http_dossier_pg_wait_catalog(pool, w) != NGX_OK) {
        return ngx_http_dossier_send_error(r, DG_ERR_STORAGE_STARTING);
    }

    return NGX_DONE;
}


static void
ngx_http_dossier_submission_waited(ngx_http_dossier_pg_waiter_t *w,
    ngx_uint_t ready)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r = w->data;

    if (!ready) {
        ngx_http_dossier_finalize(r,
            ngx_http_dossier_send_error(r, DG_ERR_STORAGE_STARTING));
        return;
    }

    c = r->connection;

    ngx_http_dossier_resume(r);
    ngx_http_run_posted_requests(c);
}


ngx_int_t
ngx_http_dossier_submission_item(ngx_http_request_t *r,
    dg_submission_t *sub, ngx_http_dossier_pg_item_t *item)
{
    if (dg_submission_prepare(sub, &ngx_http_dossier_ctx(r)->caller,
                              ngx_http_dossier_request_id(r))
        != 0)
    {
        return NGX_DECLINED;
    }

    item->json.data = (u_char *) sub->item;
    item->json.len = ngx_strlen(sub->item);
    item->ma_ho_so.data = (u_char *) sub->dossier.ma_ho_so;
    item->ma_ho_so.len = ngx_strlen(sub->dossier.ma_ho_so);
    item->sector.data = (u_char *) sub->dossier.ma_linh_vuc;
    item->sector.len = ngx_strlen(sub->dossier.ma_linh_vuc);

    return NGX_OK;
}


void
ngx_http_dossier_submission_stored(dg_submission_t *sub,
    ngx_http_dossier_pg_item_t *item)
{
    switch (item->outcome) {

    case NGX_HTTP_DOSSIER_STORED_NEW:
    case NGX_HTTP_DOSSIER_STORED_BEFORE:
        if (dg_submission_stored(sub,
                item->outcome == NGX_HTTP_DOSSIER_STORED_NEW, item->id)
            != 0)
        {
            (void) dg_submission_refuse(sub, DG_ERR_INTERNAL);
        }

        break;

    case NGX_HTTP_DOSSIER_CONFLICT:
        (void) dg_submission_refuse(sub, DG_ERR_CONFLICT);
        break;

    case NGX_HTTP_DOSSIER_REJECTED:
        (void) dg_submission_refuse(sub, DG_ERR_STORAGE_REJECTED);
        break;

    case NGX_HTTP_DOSSIER_SATURATED:
        (void) dg_submission_refuse(sub, DG_ERR_STORAGE_SATURATED);
        break;

    default:
        (void) dg_submission_refuse(sub, DG_ERR_STORAGE_UNAVAILABLE);
        break;
    }
}
