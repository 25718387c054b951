/*
 * Query strings of the GET endpoints (/v1/feed, /v1/stats): name=value
 * pairs separated by '&', percent-encoded ('+' is a space).  Problems are
 * reported at the pointer "/name": the query read as one object.
 */

#ifndef DG_QUERY_H
#define DG_QUERY_H

#include <stddef.h>

#include "dg_check.h"


typedef struct {
    const char  *name;
    char        *value;        /* the decoded value, NUL-terminated */
    size_t       size;         /* room in value, NUL included */
    int          found;        /* 1 given, 0 absent, -1 refused */
} dg_query_param_t;

/*
 * Reads the parameters asked for from args (the part after '?', may be
 * empty).  Others are ignored; "name" alone is "name=".  A parameter
 * given twice is "duplicate", a badly encoded value is "format"; those
 * are reported to ck and the parameter is marked refused (-1).  A value
 * longer than size - 1 is found, cut to its first size - 1 bytes: size
 * must leave room for one byte more than the longest valid value, so
 * that the parameter's own rule refuses it (a longer sector is unknown,
 * a longer cursor is not a cursor).  Returns the number of problems
 * added.
 */
unsigned dg_query_parse(const char *args, size_t len,
    dg_query_param_t *params, size_t n, dg_check_t *ck);

/* An integer parameter within [min, max]: "type" when not digits only,
 * "range" when outside.  Returns 0 when it is valid. */
int dg_query_integer(dg_check_t *ck, const dg_query_param_t *p,
    unsigned min, unsigned max, unsigned *out);

#endif /* DG_QUERY_H */
