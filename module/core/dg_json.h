/*
 * Strict JSON reading for request bodies, on top of jansson.
 *
 * CONTRACT.md section 2: UTF-8, one value, nesting depth at most 32 (the
 * top-level container counts as depth 1), no duplicate keys, no \u0000.
 * Any breach is a malformed body (HTTP 400) with one of the codes
 * json.syntax, json.utf8, json.depth, json.duplicate_key, json.nul.
 */

#ifndef DG_JSON_H
#define DG_JSON_H

#include <stddef.h>
#include <jansson.h>

#include "dg_problem.h"

#define DG_JSON_MAX_DEPTH  32

/*
 * Parses buf[0..len).  Returns a new reference, or NULL after adding exactly
 * one problem (pointer "", a json.* code, the position in the message).
 */
json_t *dg_json_parse(const char *buf, size_t len, size_t max_depth,
    dg_problems_t *problems);

/*
 * Resolves an RFC 6901 pointer ("" is the root).  Returns a borrowed
 * reference, or NULL when the pointer is malformed or names nothing.
 */
json_t *dg_json_pointer_get(json_t *root, const char *pointer);

/* Number of Unicode code points in a valid UTF-8 string. */
size_t dg_utf8_length(const char *s, size_t len);

#endif /* DG_JSON_H */
