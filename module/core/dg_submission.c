/*
 * The staged submission (dg_submission.h).
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dg_json.h"
#include "dg_store.h"
#include "dg_submission.h"


static const char  dg_submission_invalid[] = "Dossier is invalid";


void
dg_submission_init(dg_submission_t *s, const char *pointer)
{
    memset(s, 0, sizeof(dg_submission_t));
    dg_problems_init(&s->problems);
    s->problems.prefix = pointer;
}


void
dg_submission_free(dg_submission_t *s)
{
    const char  *pointer;

    pointer = s->problems.prefix;

    dg_problems_free(&s->problems);
    json_decref(s->root);
    free(s->item);

    dg_submission_init(s, pointer);
}


static int
dg_submission_refused(dg_submission_t *s, int status, const char *title)
{
    s->stage = DG_SUBMISSION_REFUSED;
    s->status = status;
    s->title = title;

    return -1;
}


int
dg_submission_refuse(dg_submission_t *s, dg_error_e e, ...)
{
    va_list  args;

    dg_problems_clear(&s->problems);

    va_start(args, e);
    (void) dg_problems_vadd_error(&s->problems, "", e, args);
    va_end(args);

    return dg_submission_refused(s, dg_error(e)->status,
                                 dg_status_title(dg_error(e)->status));
}


int
dg_submission_parse(dg_submission_t *s, const char *body, size_t len)
{
    s->root = dg_json_parse(body, len, DG_JSON_MAX_DEPTH, &s->problems);

    if (s->root == NULL) {
        return dg_submission_refused(s, 400, "Malformed request body");
    }

    s->stage = DG_SUBMISSION_PARSED;

    return 0;
}


void
dg_submission_take(dg_submission_t *s, json_t *value)
{
    s->root = json_incref(value);
    s->stage = DG_SUBMISSION_PARSED;
}


int
dg_submission_validate(dg_submission_t *s, time_t now,
    const dg_catalog_t *cat)
{
    int  rc;

    switch (s->stage) {

    case DG_SUBMISSION_PARSED:
        rc = dg_dossier_validate(s->root, now, cat, &s->dossier,
                                 &s->problems);
        break;

    case DG_SUBMISSION_VALID:
        if (s->cataloged) {
            return 0;
        }

        if (cat == NULL) {
            return 1;
        }

        rc = dg_dossier_check_catalog(s->root, cat, &s->problems);
        break;

    default:
        return s->stage == DG_SUBMISSION_REFUSED ? -1 : 0;
    }

    if (rc != 0) {
        return dg_submission_refused(s, 422, dg_submission_invalid);
    }

    s->stage = DG_SUBMISSION_VALID;
    s->cataloged = cat != NULL;

    return s->cataloged ? 0 : 1;
}


int
dg_submission_check(dg_submission_t *s, dg_plugin_registry_t *reg,
    time_t now)
{
    int  n;

    if (s->stage != DG_SUBMISSION_VALID || !s->cataloged) {
        return s->stage == DG_SUBMISSION_REFUSED ? -1 : 0;
    }

    n = reg ? dg_plugins_run(reg, s->dossier.ma_linh_vuc, s->root, now,
                             &s->problems)
            : 0;

    if (n < 0) {
        return dg_submission_refuse(s, DG_ERR_PLUGIN_FAILED);
    }

    if (n > 0) {
        return dg_submission_refused(s, 422, dg_submission_invalid);
    }

    s->stage = DG_SUBMISSION_CHECKED;

    return 0;
}


/* MaHoSo ownership (CONTRACT.md section 4): a client claims the codes of
 * its prefixes (codes=), a citizen only VNEID-{sub}-..., an open caller
 * any. */
static int
dg_submission_may_claim(const dg_caller_t *caller, const char *code)
{
    switch (caller->kind) {

    case DG_CALLER_CLIENT:
        return dg_client_may_claim(caller->client, code, strlen(code));

    case DG_CALLER_CITIZEN:
        return dg_citizen_may_claim(caller->subject, code, strlen(code));

    case DG_CALLER_OPEN:
        return 1;

    default:
        return 0;
    }
}


int
dg_submission_allow(dg_submission_t *s, const dg_caller_t *caller)
{
    dg_error_e  why;

    if (s->stage != DG_SUBMISSION_CHECKED) {
        return s->stage == DG_SUBMISSION_REFUSED ? -1 : 0;
    }

    if (!dg_caller_may_submit(caller, s->dossier.ma_linh_vuc,
                              s->dossier.so_giay_to, &why))
    {
        return dg_submission_refuse(s, why);
    }

    if (!dg_submission_may_claim(caller, s->dossier.ma_ho_so)) {
        return dg_submission_refuse(s, DG_ERR_CODE_PREFIX);
    }

    if (caller->kind == DG_CALLER_CITIZEN
        && json_object_set_new(s->root, "TaiKhoanDuocXacThucVoiVNeID",
                               json_integer(1)) != 0)
    {
        return dg_submission_refuse(s, DG_ERR_INTERNAL);
    }

    s->stage = DG_SUBMISSION_ALLOWED;

    return 0;
}


int
dg_submission_prepare(dg_submission_t *s, const dg_caller_t *caller,
    const char *request_id)
{
    char  *canonical;

    if (s->stage != DG_SUBMISSION_ALLOWED) {
        return s->stage == DG_SUBMISSION_REFUSED ? -1 : 0;
    }

    canonical = dg_dossier_canonical(s->root);

    if (canonical == NULL || dg_dossier_hash_text(canonical, s->hash) != 0) {
        free(canonical);
        return dg_submission_refuse(s, DG_ERR_INTERNAL);
    }

    s->item = dg_store_item(canonical, &s->dossier, s->hash, caller->id,
                            request_id);
    free(canonical);

    if (s->item == NULL) {
        return dg_submission_refuse(s, DG_ERR_INTERNAL);
    }

    s->stage = DG_SUBMISSION_READY;

    return 0;
}


int
dg_submission_stored(dg_submission_t *s, int created, long long id)
{
    if (s->stage != DG_SUBMISSION_READY) {
        return -1;
    }

    s->stage = DG_SUBMISSION_STORED;
    s->status = created ? 201 : 200;
    s->id = id;

    return 0;
}


const char *
dg_submission_code(const dg_submission_t *s)
{
    return json_string_value(json_object_get(s->root, "MaHoSo"));
}
