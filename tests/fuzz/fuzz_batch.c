/*
 * A batch's way through the core (dg_batch.h): the envelope, each item
 * judged as a submission, and the per-item answer.
 *
 *   - refused whole: 400 when malformed, else 422, and the problems
 *     render; a body the batch accepts has 1 to 100 items;
 *   - the answer has one result per item, in order, each with its index;
 *     an item's problems all point into it ("/data/3" or "/data/3/..."),
 *     a stored item has its id and its dossier's MaHoSo.
 */

#include <string.h>

#include <jansson.h>

#include "dg_batch.h"
#include "fuzz.h"


/* What a real batch goes through, without PostgreSQL: the items that
 * pass every rule are stored, one in two as a retry (200). */
static void
judge(dg_batch_t *b)
{
    size_t              i;
    dg_submission_t    *s;
    static dg_caller_t  anyone = { DG_CALLER_OPEN, "anonymous", NULL, "" };

    for (i = 0; i < b->n; i++) {
        s = &b->items[i].sub;

        if (dg_submission_validate(s, FUZZ_NOW, fuzz_catalog()) == 0
            && dg_submission_check(s, NULL, FUZZ_NOW) == 0
            && dg_submission_allow(s, &anyone) == 0
            && dg_submission_prepare(s, &anyone, "fuzz") == 0)
        {
            FUZZ_ASSERT(dg_submission_stored(s, (int) (i % 2),
                                             (long long) i + 1) == 0);
        }
    }
}


static void
check_result(json_t *r, size_t i, json_t *item)
{
    char         prefix[16];
    size_t       j, len;
    json_t      *e;
    json_int_t   status;
    const char  *ptr, *code;

    FUZZ_ASSERT(json_integer_value(json_object_get(r, "index"))
                == (json_int_t) i);

    status = json_integer_value(json_object_get(r, "status"));
    code = json_string_value(json_object_get(r, "MaHoSo"));

    if (status == 201 || status == 200) {
        FUZZ_ASSERT(status == (i % 2 ? 201 : 200));
        FUZZ_ASSERT(json_integer_value(json_object_get(r, "id"))
                    == (json_int_t) i + 1);
        FUZZ_ASSERT(code != NULL && strcmp(code, json_string_value(
                        json_object_get(item, "MaHoSo"))) == 0);
        FUZZ_ASSERT(json_object_get(r, "errors") == NULL);
        return;
    }

    FUZZ_ASSERT(status == 422);
    FUZZ_ASSERT(json_object_get(r, "id") == NULL);
    FUZZ_ASSERT(json_array_size(json_object_get(r, "errors")) > 0);

    len = (size_t) snprintf(prefix, sizeof(prefix), "/data/%zu", i);

    json_array_foreach(json_object_get(r, "errors"), j, e) {
        ptr = json_string_value(json_object_get(e, "pointer"));
        FUZZ_ASSERT(ptr != NULL && strncmp(ptr, prefix, len) == 0
                    && (ptr[len] == '\0' || ptr[len] == '/'));
        FUZZ_ASSERT(json_string_length(json_object_get(e, "code")) > 0);
        FUZZ_ASSERT(json_is_string(json_object_get(e, "message")));
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char        *out;
    size_t       i;
    json_t      *answer, *results, *items;
    dg_batch_t   b;

    if (size > 256 * 1024) {
        return 0;
    }

    dg_batch_init(&b);

    if (dg_batch_parse(&b, (const char *) data, size) != 0) {
        FUZZ_ASSERT(b.status == 400 || b.status == 422);
        FUZZ_ASSERT(b.problems.n > 0);
        fuzz_check_problems(b.status, &b.problems);
        dg_batch_free(&b);
        return 0;
    }

    FUZZ_ASSERT(b.n >= 1 && b.n <= DG_BATCH_MAX_ITEMS);

    judge(&b);

    out = dg_batch_results_json(&b);
    FUZZ_ASSERT(out != NULL);

    answer = json_loads(out, 0, NULL);
    results = json_object_get(answer, "results");
    items = json_object_get(b.root, "data");
    FUZZ_ASSERT(json_array_size(results) == b.n);

    for (i = 0; i < b.n; i++) {
        check_result(json_array_get(results, i), i, json_array_get(items, i));
    }

    json_decref(answer);
    free(out);
    dg_batch_free(&b);

    return 0;
}
