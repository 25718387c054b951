/*
 * A request body's way through the core: strict JSON (dg_json.h), the
 * dossier rules (dg_dossier.h) and the progress rules (dg_progress.h),
 * the canonical hash, the batch item, and the problem+json answer.
 *
 *   - malformed: exactly one problem, at "", with a json.* code; parsed:
 *     nested 32 levels at most;
 *   - a problem's pointer names a member of the body (RFC 6901), but for
 *     "required", which names the one missing;
 *   - every failure yields a problem body that parses back (400, 422);
 *   - a valid dossier hashes to 64 hex digits, the same after any
 *     re-serialisation (key order, spacing), and becomes a batch item;
 *     it is still valid without the catalog (its rules only add);
 *   - a valid progress record has a status 1-10, a time at most 5
 *     minutes ahead, and NgayTra when the status is 10.
 */

#include <string.h>

#include <jansson.h>

#include "dg_dossier.h"
#include "dg_json.h"
#include "dg_progress.h"
#include "dg_store.h"
#include "fuzz.h"


static void
check_hash(json_t *root, const char *hash)
{
    char     *text, again[65];
    size_t    i, flags;
    json_t   *copy;

    FUZZ_ASSERT(strlen(hash) == 64);
    for (i = 0; i < 64; i++) {
        FUZZ_ASSERT((hash[i] >= '0' && hash[i] <= '9')
                    || (hash[i] >= 'a' && hash[i] <= 'f'));
    }

    /* a retry that differs in key order or spacing is the same dossier */
    for (flags = 0; flags < 2; flags++) {
        text = json_dumps(root, flags ? JSON_INDENT(3) | JSON_ENSURE_ASCII
                                      : JSON_PRESERVE_ORDER);
        FUZZ_ASSERT(text != NULL);

        copy = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
        FUZZ_ASSERT(copy != NULL);
        FUZZ_ASSERT(dg_dossier_hash(copy, again) == 0);
        FUZZ_ASSERT(strcmp(hash, again) == 0);

        json_decref(copy);
        free(text);
    }
}


/* levels of containers, the top one counting 1 */
static size_t
depth(json_t *v)
{
    size_t       i, d, max;
    json_t      *m;
    const char  *key;

    max = 0;

    if (json_is_object(v)) {
        json_object_foreach(v, key, m) {
            d = depth(m);
            max = d > max ? d : max;
        }

    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m) {
            d = depth(m);
            max = d > max ? d : max;
        }

    } else {
        return 0;
    }

    return max + 1;
}


static void
check_pointers(json_t *root, const dg_problems_t *p)
{
    size_t  i;

    for (i = 0; i < p->n; i++) {
        if (strcmp(p->items[i].code, "required") != 0) {
            FUZZ_ASSERT(dg_json_pointer_get(root, p->items[i].pointer)
                        != NULL);
        }
    }
}


static void
fuzz_dossier(json_t *root)
{
    int             rc;
    char            hash[65], *item, *canonical;
    json_t         *parsed;
    dg_dossier_t    d;
    dg_problems_t   p;

    dg_problems_init(&p);

    rc = dg_dossier_validate(root, FUZZ_NOW, fuzz_catalog(), &d, &p);
    FUZZ_ASSERT(rc == 0 || rc == -1);

    if (rc != 0) {
        FUZZ_ASSERT(p.n > 0);
        fuzz_check_problems(422, &p);
        check_pointers(root, &p);
        dg_problems_free(&p);
        return;
    }

    FUZZ_ASSERT(p.n == 0);
    FUZZ_ASSERT(d.ma_ho_so != NULL && d.ma_ho_so[0] != '\0'
                && strlen(d.ma_ho_so) <= DG_MAHOSO_MAX);
    FUZZ_ASSERT(d.ma_tthc != NULL && d.ma_linh_vuc != NULL
                && d.so_giay_to != NULL);
    FUZZ_ASSERT(d.trang_thai >= 1 && d.trang_thai <= 10);
    FUZZ_ASSERT(d.kenh_thuc_hien >= 1 && d.kenh_thuc_hien <= 3);
    FUZZ_ASSERT(d.loai_doi_tuong >= 1 && d.loai_doi_tuong <= 2);
    FUZZ_ASSERT(d.ngay_tiep_nhan <= FUZZ_NOW + 300);

    FUZZ_ASSERT(dg_dossier_hash(root, hash) == 0);
    check_hash(root, hash);

    /* the item splices the canonical text in: the dossier comes back
     * whole */
    canonical = dg_dossier_canonical(root);
    FUZZ_ASSERT(canonical != NULL);
    item = dg_store_item(canonical, &d, hash, "fuzz-client", NULL);
    free(canonical);
    FUZZ_ASSERT(item != NULL);
    parsed = json_loads(item, 0, NULL);
    FUZZ_ASSERT(json_is_object(parsed));
    FUZZ_ASSERT(strcmp(json_string_value(json_object_get(parsed, "h")),
                       hash) == 0);
    FUZZ_ASSERT(json_equal(json_object_get(parsed, "d"), root));
    json_decref(parsed);
    free(item);

    /* the catalog's rules only add problems */
    FUZZ_ASSERT(dg_dossier_validate(root, FUZZ_NOW, NULL, &d, &p) == 0);

    dg_problems_free(&p);
}


static void
fuzz_progress(json_t *root)
{
    int             rc;
    dg_problems_t   p;
    dg_progress_t   pr;

    dg_problems_init(&p);

    rc = dg_progress_validate(root, FUZZ_NOW, &pr, &p);
    FUZZ_ASSERT(rc == 0 || rc == -1);

    if (rc != 0) {
        FUZZ_ASSERT(p.n > 0);
        fuzz_check_problems(422, &p);
        check_pointers(root, &p);

    } else {
        FUZZ_ASSERT(p.n == 0);
        FUZZ_ASSERT(pr.trang_thai >= 1 && pr.trang_thai <= 10);
        FUZZ_ASSERT(pr.thoi_diem <= FUZZ_NOW + 300);
        FUZZ_ASSERT(pr.trang_thai != 10 || pr.ngay_tra != 0);
        FUZZ_ASSERT(pr.ngay_tra <= FUZZ_NOW + 300);
    }

    dg_problems_free(&p);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t         *root;
    dg_problems_t   p;

    dg_problems_init(&p);

    root = dg_json_parse((const char *) data, size, DG_JSON_MAX_DEPTH, &p);

    if (root == NULL) {
        FUZZ_ASSERT(p.n == 1);
        FUZZ_ASSERT(p.items[0].pointer[0] == '\0');
        FUZZ_ASSERT(strncmp(p.items[0].code, "json.", 5) == 0);
        fuzz_check_problems(400, &p);
        dg_problems_free(&p);
        return 0;
    }

    FUZZ_ASSERT(p.n == 0);
    FUZZ_ASSERT(depth(root) <= DG_JSON_MAX_DEPTH);

    fuzz_dossier(root);
    fuzz_progress(root);

    json_decref(root);
    dg_problems_free(&p);

    return 0;
}
