/*
 * The outcome words of the gateway's SQL functions (sql/migrations):
 * dossier_submit_batch() says what became of each dossier, and
 * dossier_apply_progress() of a progress record.  Parsed here, in one
 * place, whole words only.
 */

#ifndef DG_OUTCOME_H
#define DG_OUTCOME_H

#include <stddef.h>

typedef enum {
    DG_OUTCOME_INVALID = 0,         /* not a word of the functions */
    DG_OUTCOME_CREATED,             /* stored now */
    DG_OUTCOME_DUPLICATE,           /* the same dossier was stored before */
    DG_OUTCOME_CONFLICT,            /* same MaHoSo, other content */
    DG_OUTCOME_UPDATED,             /* progress applied */
    DG_OUTCOME_SAME,                /* progress equal to the last applied:
                                       nothing written (a retry) */
    DG_OUTCOME_TRANSITION,          /* the move is not allowed from the
                                       current status */
    DG_OUTCOME_UNKNOWN,             /* no such dossier */
    DG_OUTCOME_FORBIDDEN            /* not one of the caller's sectors */
} dg_outcome_e;


dg_outcome_e dg_outcome_parse(const char *word, size_t len);

/* The word of an outcome ("" for DG_OUTCOME_INVALID), for logs. */
const char *dg_outcome_word(dg_outcome_e outcome);

#endif /* DG_OUTCOME_H */
