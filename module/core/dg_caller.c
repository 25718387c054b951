/*
 * What an authenticated caller may do (dg_caller.h).
 */

#include <string.h>

#include "dg_caller.h"


int
dg_caller_may_submit(const dg_caller_t *c, const char *sector,
    const char *applicant, dg_error_e *why)
{
    switch (c->kind) {

    case DG_CALLER_CLIENT:
        *why = DG_ERR_SUBMIT_SECTOR;
        return dg_client_may_submit(c->client, sector, strlen(sector));

    case DG_CALLER_CITIZEN:
        *why = DG_ERR_SUBMIT_SUBJECT;
        return strcmp(applicant, c->subject) == 0;

    default:
        return 1;
    }
}


int
dg_caller_read_refusal(const dg_caller_t *c, const char *sector,
    size_t sector_len, const char *owner, size_t owner_len)
{
    switch (c->kind) {

    case DG_CALLER_CLIENT:
        return dg_client_may_read(c->client, sector, sector_len) ? 0 : 403;

    case DG_CALLER_CITIZEN:
        return owner_len == DG_JWT_SUB_LEN
               && memcmp(owner, c->subject, owner_len) == 0 ? 0 : 404;

    default:
        return 0;
    }
}


const char *
dg_caller_update_sectors(const dg_caller_t *c)
{
    switch (c->kind) {

    case DG_CALLER_CLIENT:
        return dg_client_submit_sectors(c->client);

    case DG_CALLER_CITIZEN:
        return "";

    default:
        return "*";
    }
}
