/*
 * The error catalog: every refusal the gateway answers with outside the
 * dossier rules (those are in dg_dossier.c, next to the rule they name),
 * each with its HTTP status, its stable code (CONTRACT.md section 3) and
 * its Vietnamese and English text.  A text may hold printf conversions;
 * the Vietnamese and the English one then take the same arguments in the
 * same order.
 *
 * Signature and token verification name their outcome with their own
 * enums (dg_sig_reason_e, dg_jwt_reason_e); dg_sig_reason_error() and
 * dg_jwt_reason_error() map those onto this catalog.
 */

#ifndef DG_ERROR_H
#define DG_ERROR_H

#include <stdarg.h>

#include "dg_problem.h"

typedef enum {
    DG_ERR_INTERNAL = 0,

    /* the request as HTTP */
    DG_ERR_METHOD,
    DG_ERR_CONTENT_TYPE,
    DG_ERR_NOT_FOUND,
    DG_ERR_NO_DOSSIER,
    DG_ERR_BODY_TOO_LARGE,
    DG_ERR_HTTP_TOO_LARGE,
    DG_ERR_HTTP_MALFORMED,
    DG_ERR_UNAVAILABLE,

    /* a batch's body (each item is judged as a dossier) */
    DG_ERR_BATCH_TYPE,
    DG_ERR_BATCH_SIZE,              /* args: the most items (int) */

    /* storage */
    DG_ERR_CONFLICT,
    DG_ERR_STORAGE_STARTING,        /* no catalog or connection yet */
    DG_ERR_STORAGE_SATURATED,       /* the queue or the sector's share */
    DG_ERR_STORAGE_UNAVAILABLE,
    DG_ERR_STORAGE_NOT_CHANGED,     /* progress: nothing was changed */
    DG_ERR_STORAGE_REJECTED,
    DG_ERR_NOT_READY,

    /* rules */
    DG_ERR_PLUGIN_FAILED,
    DG_ERR_RATE_LIMITED,            /* args: limit name, seconds (int) */

    /* signed requests */
    DG_ERR_AUTH_MISSING,
    DG_ERR_AUTH_MALFORMED,
    DG_ERR_AUTH_COMPONENTS,
    DG_ERR_AUTH_ALG,
    DG_ERR_AUTH_KEYID,
    DG_ERR_AUTH_CREATED,
    DG_ERR_AUTH_NONCE,
    DG_ERR_AUTH_DIGEST,
    DG_ERR_AUTH_SIGNATURE,
    DG_ERR_AUTH_UNAVAILABLE,
    DG_ERR_AUTH_INTERNAL,
    DG_ERR_AUTH_CERTIFICATE,

    /* VNeID tokens */
    DG_ERR_TOKEN_NOT_ACCEPTED,
    DG_ERR_TOKEN_MALFORMED,
    DG_ERR_TOKEN_TOO_LARGE,
    DG_ERR_TOKEN_ALG,
    DG_ERR_TOKEN_KID,
    DG_ERR_TOKEN_SIGNATURE,
    DG_ERR_TOKEN_EXPIRED,
    DG_ERR_TOKEN_NOT_YET_VALID,
    DG_ERR_TOKEN_ISSUER,
    DG_ERR_TOKEN_AUDIENCE,
    DG_ERR_TOKEN_SUBJECT,
    DG_ERR_TOKEN_INTERNAL,

    /* what an authenticated caller may do */
    DG_ERR_SUBMIT_SECTOR,
    DG_ERR_SUBMIT_SUBJECT,
    DG_ERR_READ_SECTOR,
    DG_ERR_UPDATE_SECTOR,
    DG_ERR_CODE_PREFIX,             /* a MaHoSo the caller may not claim */
    DG_ERR_READER_CITIZEN,          /* VNeID tokens read no shared data */
    DG_ERR_UPDATE_CITIZEN,          /* nor post progress */
    DG_ERR_READER_NO_SECTOR,        /* a client that reads no sector */

    /* the admin listener */
    DG_ERR_ADMIN_DISABLED,
    DG_ERR_ADMIN_TOKEN,
    DG_ERR_PLUGIN_UNKNOWN,

    DG_ERR__COUNT
} dg_error_e;

typedef struct {
    int          status;
    const char  *code;
    const char  *vi;
    const char  *en;
} dg_error_t;

/* The entry of e (DG_ERR_INTERNAL's for a value out of range). */
const dg_error_t *dg_error(dg_error_e e);

/* Adds e's problem at pointer; its texts' conversions take the arguments
 * that follow.  0, or -1 when out of memory. */
int dg_problems_add_error(dg_problems_t *p, const char *pointer,
    dg_error_e e, ...);
int dg_problems_vadd_error(dg_problems_t *p, const char *pointer,
    dg_error_e e, va_list args);

#endif /* DG_ERROR_H */
