/*
 * Helpers shared by the fuzz targets (fuzz.h).
 */

#include <string.h>

#include <jansson.h>

#include "fuzz.h"


uint8_t
fuzz_u8(fuzz_in_t *in)
{
    if (in->n == 0) {
        return 0;
    }

    in->n--;

    return *in->p++;
}


int
fuzz_i16(fuzz_in_t *in)
{
    int  hi;

    hi = fuzz_u8(in);

    return (int16_t) (uint16_t) (hi << 8 | fuzz_u8(in));
}


const char *
fuzz_field(fuzz_in_t *in, char sep, size_t *len)
{
    const char     *s;
    const uint8_t  *end;

    s = (const char *) in->p;
    end = memchr(in->p, sep, in->n);

    if (end == NULL) {
        *len = in->n;
        in->p += in->n;
        in->n = 0;

    } else {
        *len = (size_t) (end - in->p);
        in->n -= *len + 1;
        in->p = end + 1;
    }

    return s;
}


char *
fuzz_field_dup(fuzz_in_t *in, char sep)
{
    char        *s;
    size_t       len;
    const char  *f;

    f = fuzz_field(in, sep, &len);

    s = malloc(len + 1);
    FUZZ_ASSERT(s != NULL);

    memcpy(s, f, len);
    s[len] = '\0';

    return s;
}


void
fuzz_check_problems(int status, const dg_problems_t *problems)
{
    char        *out;
    size_t       i;
    json_t      *root, *errors, *e;
    const char  *ptr, *code;

    out = dg_problem_json(status, NULL, "fuzz", problems);
    FUZZ_ASSERT(out != NULL);

    root = json_loads(out, 0, NULL);
    FUZZ_ASSERT(root != NULL);
    FUZZ_ASSERT(json_integer_value(json_object_get(root, "status"))
                == status);

    errors = json_object_get(root, "errors");
    FUZZ_ASSERT(problems->n == 0 ? errors == NULL
                                 : json_array_size(errors) == problems->n);

    for (i = 0; i < problems->n; i++) {
        e = json_array_get(errors, i);
        ptr = json_string_value(json_object_get(e, "pointer"));
        code = json_string_value(json_object_get(e, "code"));

        FUZZ_ASSERT(ptr != NULL && (ptr[0] == '\0' || ptr[0] == '/'));
        FUZZ_ASSERT(code != NULL && code[0] != '\0');
        FUZZ_ASSERT(json_is_string(json_object_get(e, "message")));
    }

    json_decref(root);
    free(out);
}


const dg_catalog_t *
fuzz_catalog(void)
{
    size_t               i;
    static dg_catalog_t *cat;
    static const char   *seed[][2] = {
        { "1.001193", "HT" }, { "1.001776", "BTXH" }, { "1.004227", "DD" },
        { "1.009994", "XD" }, { "2.000720", "HKD" }, { "2.000815", "CT" },
        { "1.000656", "HT" }, { "1.001022", "HT" }, { "2.000286", "BTXH" },
        { "1.003005", "DD" }
    };

    if (cat == NULL) {
        cat = dg_catalog_create();
        FUZZ_ASSERT(cat != NULL);

        for (i = 0; i < sizeof(seed) / sizeof(seed[0]); i++) {
            FUZZ_ASSERT(dg_catalog_add(cat, seed[i][0], seed[i][1]) == 0);
        }
    }

    return cat;
}
