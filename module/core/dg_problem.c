/*
 * Problem lists and their problem+json rendering (RFC 9457).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dg_problem.h"


static int dg_problems_push(dg_problems_t *p, const char *pointer,
    const char *code, char *msg);


void
dg_problems_init(dg_problems_t *p)
{
    p->items = NULL;
    p->n = 0;
    p->cap = 0;
    p->prefix = NULL;
}


void
dg_problems_clear(dg_problems_t *p)
{
    size_t  i;

    for (i = 0; i < p->n; i++) {
        free(p->items[i].pointer);
        free(p->items[i].code);
        free(p->items[i].message);
    }

    p->n = 0;
}


void
dg_problems_free(dg_problems_t *p)
{
    dg_problems_clear(p);
    free(p->items);
    dg_problems_init(p);
}


/*
 * A problem goes into JSON, which must be UTF-8: bytes that are not become
 * '?', a character cut by the string's end is dropped.
 */
void
dg_utf8_clean(char *s)
{
    size_t          n, i;
    unsigned char  *p, lo, hi;

    for (p = (unsigned char *) s; *p != '\0'; p += n) {
        lo = 0x80;
        hi = 0xbf;

        if (*p < 0x80) {
            n = 1;
            continue;
        }

        if (*p >= 0xc2 && *p <= 0xdf) {
            n = 2;

        } else if (*p >= 0xe0 && *p <= 0xef) {
            n = 3;
            lo = *p == 0xe0 ? 0xa0 : 0x80;
            hi = *p == 0xed ? 0x9f : 0xbf;    /* no surrogates */

        } else if (*p >= 0xf0 && *p <= 0xf4) {
            n = 4;
            lo = *p == 0xf0 ? 0x90 : 0x80;
            hi = *p == 0xf4 ? 0x8f : 0xbf;    /* up to U+10FFFF */

        } else {
            n = 0;
        }

        for (i = 1; i < n; i++) {
            if (p[i] == '\0') {
                *p = '\0';
                return;
            }

            if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf)) {
                break;
            }
        }

        if (n == 0 || i < n) {
            *p = '?';
            n = 1;
        }
    }
}


int
dg_problems_add(dg_problems_t *p, const char *pointer, const char *code,
    const char *vi_fmt, const char *en_fmt, ...)
{
    int      rc;
    va_list  args;

    va_start(args, en_fmt);
    rc = dg_problems_vadd(p, pointer, code, vi_fmt, en_fmt, args);
    va_end(args);

    return rc;
}


int
dg_problems_vadd(dg_problems_t *p, const char *pointer, const char *code,
    const char *vi_fmt, const char *en_fmt, va_list args)
{
    int      vi_len, en_len;
    char    *msg;
    va_list  a1, a2, a3;

    /* four passes over the same arguments: measure and print, twice */
    va_copy(a1, args);
    va_copy(a2, args);
    va_copy(a3, args);

    vi_len = vsnprintf(NULL, 0, vi_fmt, a1);
    en_len = vsnprintf(NULL, 0, en_fmt, a2);

    msg = NULL;

    if (vi_len >= 0 && en_len >= 0) {
        msg = malloc((size_t) vi_len + 3 + (size_t) en_len + 1);
    }

    if (msg != NULL) {
        vsnprintf(msg, (size_t) vi_len + 1, vi_fmt, a3);
        memcpy(msg + vi_len, " / ", 3);
        vsnprintf(msg + vi_len + 3, (size_t) en_len + 1, en_fmt, args);
    }

    va_end(a1);
    va_end(a2);
    va_end(a3);

    return dg_problems_push(p, pointer, code, msg);
}


int
dg_problems_put(dg_problems_t *p, const char *pointer, const char *code,
    const char *vi, const char *en)
{
    char    *msg;
    size_t   vi_len, en_len;

    vi_len = strlen(vi);
    en_len = strlen(en);

    msg = malloc(vi_len + 3 + en_len + 1);

    if (msg != NULL) {
        memcpy(msg, vi, vi_len);
        memcpy(msg + vi_len, " / ", 3);
        memcpy(msg + vi_len + 3, en, en_len + 1);
    }

    return dg_problems_push(p, pointer, code, msg);
}


/* Appends a problem, its pointer below p->prefix; takes msg (NULL: out of
 * memory). */
static int
dg_problems_push(dg_problems_t *p, const char *pointer, const char *code,
    char *msg)
{
    char          *ptr, *cod;
    size_t         cap, plen, len;
    dg_problem_t  *items;

    plen = p->prefix ? strlen(p->prefix) : 0;
    len = strlen(pointer);

    ptr = malloc(plen + len + 1);
    cod = strdup(code);

    if (msg == NULL || ptr == NULL || cod == NULL) {
        goto failed;
    }

    if (plen) {
        memcpy(ptr, p->prefix, plen);
    }

    memcpy(ptr + plen, pointer, len + 1);

    /* whatever bytes the arguments held, the problem renders as JSON */
    dg_utf8_clean(msg);
    dg_utf8_clean(ptr);
    dg_utf8_clean(cod);

    if (p->n == p->cap) {
        cap = p->cap ? 2 * p->cap : 8;
        items = realloc(p->items, cap * sizeof(dg_problem_t));
        if (items == NULL) {
            goto failed;
        }

        p->items = items;
        p->cap = cap;
    }

    p->items[p->n].pointer = ptr;
    p->items[p->n].code = cod;
    p->items[p->n].message = msg;
    p->n++;

    return 0;

failed:

    free(msg);
    free(ptr);
    free(cod);

    return -1;
}


/* Appends one byte if it fits, always counting it (snprintf semantics). */
static void
dg_pointer_put(char *dst, size_t size, size_t *n, char c)
{
    if (*n + 1 < size) {
        dst[*n] = c;
    }

    (*n)++;
}


size_t
dg_pointer_append(char *dst, size_t size, const char *parent,
    const char *member)
{
    size_t       n;
    const char  *s;

    n = 0;

    for (s = parent; *s != '\0'; s++) {
        dg_pointer_put(dst, size, &n, *s);
    }

    dg_pointer_put(dst, size, &n, '/');

    for (s = member; *s != '\0'; s++) {
        switch (*s) {

        case '~':
            dg_pointer_put(dst, size, &n, '~');
            dg_pointer_put(dst, size, &n, '0');
            break;

        case '/':
            dg_pointer_put(dst, size, &n, '~');
            dg_pointer_put(dst, size, &n, '1');
            break;

        default:
            dg_pointer_put(dst, size, &n, *s);
        }
    }

    if (size > 0) {
        dst[n < size ? n : size - 1] = '\0';
    }

    return n;
}


size_t
dg_pointer_append_index(char *dst, size_t size, const char *parent,
    size_t index)
{
    char  buf[24];

    snprintf(buf, sizeof(buf), "%zu", index);

    return dg_pointer_append(dst, size, parent, buf);
}


char *
dg_problem_json(int status, const char *title, const char *request_id,
    const dg_problems_t *errors)
{
    char    *out;
    json_t  *root;

    if (title == NULL) {
        title = dg_status_title(status);
    }

    /* "s*" leaves request_id out when it is NULL; the problems are UTF-8
     * (dg_problems_vadd), so a failure here is out of memory */
    root = json_pack("{s:s, s:s, s:i, s:s*}", "type", "about:blank",
                     "title", title, "status", status,
                     "request_id", request_id);
    if (root == NULL) {
        return NULL;
    }

    if (errors != NULL && errors->n > 0
        && json_object_set_new(root, "errors", dg_problems_array(errors))
           != 0)
    {
        json_decref(root);
        return NULL;
    }

    out = json_dumps(root, JSON_COMPACT);
    json_decref(root);

    return out;
}


json_t *
dg_problems_array(const dg_problems_t *p)
{
    size_t   i;
    json_t  *list, *item;

    list = json_array();
    if (list == NULL) {
        return NULL;
    }

    for (i = 0; i < p->n; i++) {
        item = json_pack("{s:s, s:s, s:s}",
                         "pointer", p->items[i].pointer,
                         "code", p->items[i].code,
                         "message", p->items[i].message);

        if (item == NULL || json_array_append_new(list, item) != 0) {
            json_decref(list);
            return NULL;
        }
    }

    return list;
}


const char *
dg_status_title(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default:  return "Error";
    }
}
