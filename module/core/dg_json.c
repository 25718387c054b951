/*
 * Strict JSON reading on top of jansson, RFC 6901 pointers, UTF-8 length.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dg_json.h"


/*
 * Returns the offset of the first bracket that opens a container deeper
 * than max_depth, or len.  Brackets inside strings do not count, so the
 * scan follows strings and their escapes; anything else is left to
 * jansson.  This keeps a body of 100000 '[' from costing more than a pass.
 */
static size_t
dg_json_too_deep(const char *buf, size_t len, size_t max_depth)
{
    int     in_string;
    size_t  i, depth;

    in_string = 0;
    depth = 0;

    for (i = 0; i < len; i++) {

        if (in_string) {
            if (buf[i] == '\\') {
                i++;

            } else if (buf[i] == '"') {
                in_string = 0;
            }

            continue;
        }

        switch (buf[i]) {

        case '"':
            in_string = 1;
            break;

        case '[':
        case '{':
            if (++depth > max_depth) {
                return i;
            }
            break;

        case ']':
        case '}':
            if (depth > 0) {
                depth--;
            }
            break;
        }
    }

    return len;
}


static const char *
dg_json_error_code(const json_error_t *err)
{
    switch (json_error_code(err)) {

    case json_error_invalid_utf8:
        return "json.utf8";

    case json_error_duplicate_key:
        return "json.duplicate_key";

    /* \u0000 in a value and in a key are the same breach to a client */
    case json_error_null_character:
    case json_error_null_byte_in_key:
        return "json.nul";

    case json_error_stack_overflow:
        return "json.depth";

    default:
        return "json.syntax";
    }
}


json_t *
dg_json_parse(const char *buf, size_t len, size_t max_depth,
    dg_problems_t *problems)
{
    size_t        at;
    json_t       *root;
    json_error_t  err;

    /* jansson has no position for nothing ("wrong arguments", line -1) */
    if (len == 0) {
        dg_problems_add(problems, "", "json.syntax",
                        "Nội dung yêu cầu rỗng, cần một đối tượng JSON",
                        "the request body is empty, a JSON object is "
                        "expected");
        return NULL;
    }

    at = dg_json_too_deep(buf, len, max_depth);

    if (at < len) {
        dg_problems_add(problems, "", "json.depth",
                        "JSON lồng sâu quá %zu cấp tại byte %zu",
                        "JSON nested deeper than %zu levels at byte %zu",
                        max_depth, at);
        return NULL;
    }

    /*
     * JSON_DECODE_ANY: a well-formed scalar body is not malformed; the
     * dossier rules reject it as the wrong type (422, not 400).
     */
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                      &err);

    if (root == NULL) {
        dg_problems_add(problems, "", dg_json_error_code(&err),
                        "JSON không hợp lệ tại dòng %d, cột %d "
                        "(byte %d): %s",
                        "malformed JSON at line %d, column %d "
                        "(byte %d): %s",
                        err.line, err.column, err.position, err.text);
    }

    return root;
}


/* An array index token: "0" or digits without a leading zero. */
static int
dg_json_index(const char *tok, size_t len, size_t *index)
{
    size_t  i, n;

    if (len == 0 || (tok[0] == '0' && len > 1)) {
        return -1;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        if (tok[i] < '0' || tok[i] > '9'
            || n > (SIZE_MAX - (size_t) (tok[i] - '0')) / 10)
        {
            return -1;
        }

        n = n * 10 + (size_t) (tok[i] - '0');
    }

    *index = n;

    return 0;
}


json_t *
dg_json_pointer_get(json_t *root, const char *pointer)
{
    char        *tok, *t;
    size_t       index;
    json_t      *v;
    const char  *p;

    if (root == NULL || pointer[0] == '\0') {
        return root;
    }

    if (pointer[0] != '/') {
        return NULL;
    }

    /* every token is shorter than the pointer, which has its leading '/' */
    tok = malloc(strlen(pointer));
    if (tok == NULL) {
        return NULL;
    }

    v = root;
    p = pointer;

    while (v != NULL && *p == '/') {
        p++;
        t = tok;

        while (*p != '\0' && *p != '/') {
            if (*p != '~') {
                *t++ = *p++;
                continue;
            }

            if (p[1] != '0' && p[1] != '1') {
                v = NULL;
                goto done;
            }

            *t++ = (p[1] == '0') ? '~' : '/';
            p += 2;
        }

        *t = '\0';

        if (json_is_object(v)) {
            v = json_object_getn(v, tok, (size_t) (t - tok));

        } else if (json_is_array(v)
                   && dg_json_index(tok, (size_t) (t - tok), &index) == 0)
        {
            v = json_array_get(v, index);

        } else {
            v = NULL;
        }
    }

done:

    free(tok);

    return v;
}


size_t
dg_utf8_length(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;

    /* count every byte that starts a sequence, i.e. is no continuation */
    for (i = 0; i < len; i++) {
        if (((unsigned char) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}
