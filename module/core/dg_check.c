/*
 * Field checks shared by the records the gateway validates (dossiers,
 * progress updates): each failed rule becomes one problem.
 */

#include <stdarg.h>
#include <string.h>

#include "dg_check.h"
#include "dg_dossier.h"
#include "dg_json.h"





void
dg_fail(dg_check_t *ck, const char *pointer, const char *code,
    const char *vi_fmt, const char *en_fmt, ...)
{
    va_list  args;

    ck->nfail++;

    if (ck->problems != NULL) {
        va_start(args, en_fmt);
        dg_problems_vadd(ck->problems, pointer, code, vi_fmt, en_fmt, args);
        va_end(args);
    }
}


/*
 * The helpers below take the pointer of the member they check ("/Email",
 * "/TaiLieuNop/3/SHA256"); the member name is its last token, which for
 * the contract's field names needs no unescaping.
 */

json_t *
dg_check_member(dg_check_t *ck, json_t *obj, const char *pointer,
    int required)
{
    json_t  *v;

    v = json_object_get(obj, strrchr(pointer, '/') + 1);

    if (v != NULL && !json_is_null(v)) {
        return v;
    }

    if (required) {
        dg_fail(ck, pointer, "required", "Thiếu trường bắt buộc",
                "required field is missing");
    }

    return NULL;
}


/*
 * Returns the member when it is a string, NULL when it is absent or not a
 * string.  A length outside [min, max] code points is reported, but the
 * string is still returned so its format is checked as well.
 */
const char *
dg_check_string(dg_check_t *ck, json_t *obj, const char *pointer,
    int required, size_t min, size_t max, size_t *len)
{
    size_t   n;
    json_t  *v;

    v = dg_check_member(ck, obj, pointer, required);
    if (v == NULL) {
        return NULL;
    }

    if (!json_is_string(v)) {
        dg_fail(ck, pointer, "type", "Phải là chuỗi", "must be a string");
        return NULL;
    }

    *len = json_string_length(v);
    n = dg_utf8_length(json_string_value(v), *len);

    if (n < min) {
        dg_fail(ck, pointer, "length", "Phải có ít nhất %zu ký tự",
                "must have at least %zu characters", min);

    } else if (n > max) {
        dg_fail(ck, pointer, "length", "Không được quá %zu ký tự",
                "must have at most %zu characters", max);
    }

    return json_string_value(v);
}


/* Returns 1 and sets *out when the member is an integer in [min, max]. */
int
dg_check_integer(dg_check_t *ck, json_t *obj, const char *pointer,
    int required, int min, int max, int *out)
{
    json_t      *v;
    json_int_t   i;

    v = dg_check_member(ck, obj, pointer, required);
    if (v == NULL) {
        return 0;
    }

    /* JSON integers only: 1.0, "1" and true are the wrong type */
    if (!json_is_integer(v)) {
        dg_fail(ck, pointer, "type", "Phải là số nguyên",
                "must be an integer");
        return 0;
    }

    i = json_integer_value(v);

    if (i < min || i > max) {
        dg_fail(ck, pointer, "enum",
                "Giá trị %" JSON_INTEGER_FORMAT " không hợp lệ "
                "(từ %d đến %d)",
                "value %" JSON_INTEGER_FORMAT " is not allowed "
                "(%d to %d)", i, min, max);
        return 0;
    }

    *out = (int) i;

    return 1;
}


/*
 * A yyyyMMdd (len 8) or yyyyMMddHHmmss (len 14) time not after latest.
 * Returns the string and sets *out when every rule holds, else NULL.
 */
const char *
dg_check_time(dg_check_t *ck, json_t *obj, const char *pointer,
    int required, size_t len, time_t latest, time_t *out)
{
    int          rc;
    size_t       n;
    time_t       t;
    const char  *s, *shape;

    s = dg_check_string(ck, obj, pointer, required, 0, DG_NO_LIMIT, &n);
    if (s == NULL) {
        return NULL;
    }

    rc = (n == len) ? dg_time_parse(s, n, &t) : -1;
    shape = (len == 8) ? "yyyyMMdd" : "yyyyMMddHHmmss";

    if (rc == -1) {
        dg_fail(ck, pointer, "format", "Phải có dạng %s", "must be %s",
                shape);
        return NULL;
    }

    if (rc == -2) {
        dg_fail(ck, pointer, "date", "Không phải ngày giờ có thật",
                "not a real date or time");
        return NULL;
    }

    if (t > latest) {
        dg_fail(ck, pointer, "date.future", "Không được ở tương lai",
                "must not be in the future");
        return NULL;
    }

    *out = t;

    return s;
}
