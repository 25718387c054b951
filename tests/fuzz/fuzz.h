/*
 * Helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c, run by
 * auto/fuzz): a reader that cuts the fuzzer's bytes into fields, and the
 * checks every target asserts.  A broken property aborts, so libFuzzer
 * reports it like a crash and saves the input.
 */

#ifndef DG_FUZZ_H
#define DG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dg_catalog.h"
#include "dg_problem.h"

#define FUZZ_ASSERT(cond)                                                   \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__,       \
                    __LINE__, #cond);                                       \
            abort();                                                        \
        }                                                                   \
    } while (0)


typedef struct {
    const uint8_t  *p;
    size_t          n;
} fuzz_in_t;

/* The next byte, 0 once the input is used up. */
uint8_t fuzz_u8(fuzz_in_t *in);

/* The next two bytes as a signed number. */
int fuzz_i16(fuzz_in_t *in);

/* The bytes up to the next sep (consumed, not included) or the end. */
const char *fuzz_field(fuzz_in_t *in, char sep, size_t *len);

/* A NUL-terminated copy of the next field, malloc'ed (never NULL). */
char *fuzz_field_dup(fuzz_in_t *in, char sep);

/*
 * The problems render as problem+json that parses back with one error
 * per problem, each with a pointer ("" or "/..."), a non-empty code and
 * a message; aborts otherwise.
 */
void fuzz_check_problems(int status, const dg_problems_t *problems);

/* The dossier targets' clock: 2025-06-16 12:00:00 +07:00, the day after
 * the seeds' dossiers were received. */
#define FUZZ_NOW  ((time_t) 1750050000)

/* The sample catalog (sql/seed/sample-catalog.sql), built on first use. */
const dg_catalog_t *fuzz_catalog(void);

#endif /* DG_FUZZ_H */
