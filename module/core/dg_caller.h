/*
 * Who is calling, once authenticated, and what that caller may do
 * (CONTRACT.md section 4): a client submits to, updates and reads only the
 * sectors it was granted; a citizen signed in with VNeID submits only for
 * themselves and sees only their own dossiers.
 */

#ifndef DG_CALLER_H
#define DG_CALLER_H

#include <stddef.h>

#include "dg_clients.h"
#include "dg_error.h"
#include "dg_jwt.h"

typedef enum {
    DG_CALLER_NONE = 0,         /* not authenticated yet */
    DG_CALLER_OPEN,             /* "dossier_auth off" */
    DG_CALLER_CLIENT,           /* a signed request */
    DG_CALLER_CITIZEN           /* a VNeID token */
} dg_caller_kind_e;

typedef struct {
    dg_caller_kind_e    kind;
    const char         *id;         /* client id, "vneid", "anonymous" */
    const dg_client_t  *client;     /* DG_CALLER_CLIENT */
    char                subject[DG_JWT_SUB_LEN + 1];   /* DG_CALLER_CITIZEN */
} dg_caller_t;

/* 1 when the caller may submit a dossier of sector for applicant (its
 * SoGiayToChuHoSo); else 0 and *why says which rule refused. */
int dg_caller_may_submit(const dg_caller_t *c, const char *sector,
    const char *applicant, dg_error_e *why);

/* 0 when the caller may read a dossier of sector owned by owner (its
 * SoGiayToChuHoSo), else the status to answer: 403 for a client without
 * the sector, 404 for a citizen asking about someone else's dossier. */
int dg_caller_read_refusal(const dg_caller_t *c, const char *sector,
    size_t sector_len, const char *owner, size_t owner_len);

/* The sectors the caller may update: "*" all, "" none, "A,B". */
const char *dg_caller_update_sectors(const dg_caller_t *c);

#endif /* DG_CALLER_H */
