/* example: a certified copy (sector CT) is 1 to max_copies copies. */

#include <stdlib.h>

#include "dossier_plugin.h"

struct dossier_state_s {
    long long  max_copies;
};

static int
example_init(const dossier_plugin_host_t *host, dossier_ctx_t *ctx,
    dossier_state_t **state, char *err, size_t errlen)
{
    dossier_state_t  *st;

    st = malloc(sizeof(dossier_state_t));
    if (st == NULL) {
        return DOSSIER_ERROR;
    }

    /* max_copies=N in the dossier_plugin directive; 10 when not set */
    if (host->config_integer(ctx, "max_copies", 10, 1, 1000,
                             &st->max_copies) != DOSSIER_OK)
    {
        free(st);
        return DOSSIER_ERROR;
    }

    *state = st;
    return DOSSIER_OK;
}

static int
example_validate(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc)
{
    long long    n;
    const char  *ptr = "/DuLieuChuyenNganh/SoBanSao";

    if (host->expect(doc, ptr, DOSSIER_T_INTEGER, 1)
        && host->get_integer(doc, ptr, &n) == DOSSIER_OK
        && (n < 1 || n > st->max_copies))
    {
        host->report(doc, ptr, "copies", "Số bản sao %lld phải từ 1 đến %lld",
                     "%lld copies: 1 to %lld are allowed", n, st->max_copies);
    }

    return DOSSIER_OK;
}

static void
example_fini(dossier_state_t *st, const dossier_plugin_host_t *host)
{
    free(st);
}

DOSSIER_PLUGIN_MAGIC("example", "1.0.0", "CT",
                     example_init, example_validate, example_fini)
