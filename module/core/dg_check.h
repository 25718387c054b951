/*
 * Field checks shared by the records the gateway validates.  Each takes
 * the JSON Pointer of the member it checks ("/Email"); the member name is
 * the pointer's last token.  Failures are added to ck->problems (or only
 * counted when it is NULL).
 */

#ifndef DG_CHECK_H
#define DG_CHECK_H

#include <stdint.h>
#include <time.h>
#include <jansson.h>

#include "dg_problem.h"


#define DG_NO_LIMIT  SIZE_MAX

/* the largest time_t, for a time with no "not in the future" rule */
#define DG_TIME_MAX                                                         \
    ((time_t) ((((uintmax_t) 1 << (sizeof(time_t) * 8 - 2)) - 1) * 2 + 1))


typedef struct {
    dg_problems_t  *problems;   /* NULL: count failures, report nothing */
    unsigned        nfail;
} dg_check_t;


void dg_fail(dg_check_t *ck, const char *pointer, const char *code,
    const char *vi_fmt, const char *en_fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 6)))
#endif
    ;

/* The member, or NULL when absent or null ("required" if required). */
json_t *dg_check_member(dg_check_t *ck, json_t *obj, const char *pointer,
    int required);

/* A string of min..max code points (length reported, string returned). */
const char *dg_check_string(dg_check_t *ck, json_t *obj, const char *pointer,
    int required, size_t min, size_t max, size_t *len);

/* Returns 1 and sets *out when the member is an integer in [min, max]. */
int dg_check_integer(dg_check_t *ck, json_t *obj, const char *pointer,
    int required, int min, int max, int *out);

/* A yyyyMMdd (len 8) or yyyyMMddHHmmss (len 14) time not after latest. */
const char *dg_check_time(dg_check_t *ck, json_t *obj, const char *pointer,
    int required, size_t len, time_t latest, time_t *out);

#endif /* DG_CHECK_H */
