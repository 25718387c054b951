/*
 * Problem lists and their RFC 9457 problem+json rendering.
 *
 * Every rule that fails adds one problem: a JSON Pointer into the request
 * (RFC 6901, "" for the whole body), a stable code, and a message that is
 * Vietnamese first, then English ("vi / en"), as CONTRACT.md section 3 shows.
 */

#ifndef DG_PROBLEM_H
#define DG_PROBLEM_H

#include <stdarg.h>
#include <stddef.h>
#include <jansson.h>

typedef struct {
    char  *pointer;
    char  *code;
    char  *message;             /* "vi / en" */
} dg_problem_t;

typedef struct {
    dg_problem_t  *items;
    size_t         n;
    size_t         cap;
    const char    *prefix;      /* put before every pointer ("/data/3") */
} dg_problems_t;

void dg_problems_init(dg_problems_t *p);
void dg_problems_free(dg_problems_t *p);
void dg_problems_clear(dg_problems_t *p);

/*
 * Adds one problem.  vi_fmt and en_fmt are printf formats that receive the
 * same arguments.  Returns 0, or -1 when out of memory (the list is then
 * left as it was).  Bytes that are not UTF-8 become '?' (dg_utf8_clean).
 */
int dg_problems_add(dg_problems_t *p, const char *pointer, const char *code,
    const char *vi_fmt, const char *en_fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 6)))
#endif
    ;

/* Adds one problem with its two texts ready (no formats). */
int dg_problems_put(dg_problems_t *p, const char *pointer, const char *code,
    const char *vi, const char *en);

/*
 * Makes s valid UTF-8 in place: bytes that are not become '?', a character
 * cut by the end of s is dropped.  Every problem added goes through it.
 */
void dg_utf8_clean(char *s);

/* dg_problems_add with a va_list, for wrappers that count or filter. */
int dg_problems_vadd(dg_problems_t *p, const char *pointer, const char *code,
    const char *vi_fmt, const char *en_fmt, va_list args)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 0)))
#endif
    ;

/* Builds "/a/b" from a parent pointer and a member name or index (escapes
 * '~' and '/' as RFC 6901 says).  Writes at most size bytes, NUL included;
 * returns the length it needed. */
size_t dg_pointer_append(char *dst, size_t size, const char *parent,
    const char *member);
size_t dg_pointer_append_index(char *dst, size_t size, const char *parent,
    size_t index);

/* The problems as a JSON array of {"pointer", "code", "message"} (the
 * "errors" member), or NULL when out of memory. */
json_t *dg_problems_array(const dg_problems_t *p);

/*
 * Renders application/problem+json.  errors may be NULL or empty (the
 * "errors" member is then left out).  Returns a malloc'ed string, or NULL
 * when out of memory.
 */
char *dg_problem_json(int status, const char *title, const char *request_id,
    const dg_problems_t *errors);

/* The RFC 9110 reason phrase used as "title" for a status ("Bad Request"). */
const char *dg_status_title(int status);

#endif /* DG_PROBLEM_H */
