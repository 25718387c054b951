/*
 * One dossier on its way to the store, in stages that each run once and
 * keep their result:
 *
 *   NEW ─parse/take─► PARSED ─validate─► VALID ─check─► CHECKED
 *       ─allow─► ALLOWED ─prepare─► READY ─stored─► STORED
 *
 * parse reads a single submission's body (a batch item is taken as the
 * json_t it already is); validate applies CONTRACT.md section 2 and the
 * catalog (without a catalog it applies the rest and waits in VALID for
 * one); check runs the sector's plugins; allow applies the caller's grants
 * and stamps a VNeID dossier; prepare makes the canonical hash and the
 * element the group-commit writer stores; stored records what the store
 * answered for it (201 new, 200 an identical retry, with the row's id).
 * Any stage may refuse: the submission is then REFUSED with the status to
 * answer and its problems (a conflict, 409, is a refusal by the store).
 *
 * The nginx side keeps one of these per dossier (one per batch item) in
 * the request and, after every wait (nonce, limits, catalog, queue),
 * resumes at its stage: nothing is parsed, validated or run by a plugin
 * twice.
 */

#ifndef DG_SUBMISSION_H
#define DG_SUBMISSION_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "dg_caller.h"
#include "dg_catalog.h"
#include "dg_dossier.h"
#include "dg_error.h"
#include "dg_plugin.h"
#include "dg_problem.h"

typedef enum {
    DG_SUBMISSION_NEW = 0,
    DG_SUBMISSION_PARSED,
    DG_SUBMISSION_VALID,
    DG_SUBMISSION_CHECKED,
    DG_SUBMISSION_ALLOWED,
    DG_SUBMISSION_READY,
    DG_SUBMISSION_STORED,
    DG_SUBMISSION_REFUSED
} dg_submission_stage_e;

typedef struct {
    dg_submission_stage_e  stage;
    unsigned               cataloged:1;     /* the catalog rules ran */
    int                    status;          /* STORED, REFUSED: the
                                               answer's */
    const char            *title;           /* REFUSED: problem title */
    json_t                *root;
    dg_dossier_t           dossier;         /* VALID on: borrows root */
    dg_problems_t          problems;
    char                   hash[65];        /* READY */
    char                  *item;            /* READY: the store element */
    long long              id;              /* STORED: the row's */
} dg_submission_t;

/* pointer: where this dossier is in the request ("" alone, "/data/3" in
 * a batch); problems' pointers are made absolute with it.  It must live
 * as long as the submission. */
void dg_submission_init(dg_submission_t *s, const char *pointer);
void dg_submission_free(dg_submission_t *s);

/* NEW → PARSED from a request body (400 json.* when malformed). */
int dg_submission_parse(dg_submission_t *s, const char *body, size_t len);

/* NEW → PARSED from a value already parsed (a batch item); takes a
 * reference of its own. */
void dg_submission_take(dg_submission_t *s, json_t *value);

/*
 * PARSED → VALID.  cat may be NULL: the catalog rules then wait, and a
 * later call with the catalog runs only them.  Returns 0 when VALID with
 * the catalog applied, 1 when VALID but waiting for a catalog, -1 when
 * REFUSED (422).
 */
int dg_submission_validate(dg_submission_t *s, time_t now,
    const dg_catalog_t *cat);

/* VALID → CHECKED: the sector's plugins (reg may be NULL: none).  -1 when
 * REFUSED: 422 with their problems, or 500 plugin.failed. */
int dg_submission_check(dg_submission_t *s, dg_plugin_registry_t *reg,
    time_t now);

/* CHECKED → ALLOWED: the caller's grants (403), the MaHoSo it may claim
 * (403 auth.code_prefix), and the VNeID stamp
 * TaiKhoanDuocXacThucVoiVNeID: 1 on a citizen's dossier. */
int dg_submission_allow(dg_submission_t *s, const dg_caller_t *caller);

/* ALLOWED → READY: the canonical hash and the store element
 * (request_id may be NULL). */
int dg_submission_prepare(dg_submission_t *s, const dg_caller_t *caller,
    const char *request_id);

/* READY → STORED: created (201) or an identical dossier was there (200),
 * row id. */
int dg_submission_stored(dg_submission_t *s, int created, long long id);

/* The dossier's MaHoSo when it has one as a string (also when REFUSED,
 * for the answer), else NULL. */
const char *dg_submission_code(const dg_submission_t *s);

/* Any stage → REFUSED with one problem on the whole dossier (its texts'
 * conversions take the arguments that follow).  Returns -1. */
int dg_submission_refuse(dg_submission_t *s, dg_error_e e, ...);

#endif /* DG_SUBMISSION_H */
