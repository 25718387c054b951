/*
 * The five sector plugins (plugins/NAME), built with the fuzzer's sanitizers
 * and loaded through the core's loader (dg_plugin.h) as nginx loads them,
 * run over dossiers that passed the contract's rules (dg_dossier.h).
 *
 * On a valid dossier no plugin fails (that would answer 500), every
 * problem carries its plugin's name, points at a member of the dossier
 * (but for a code ending in "required", which names the one missing,
 * as ht.late_registration_required names DangKyMuon) and renders
 * as problem+json, and the dossier is left as it was.
 */

#include <string.h>

#include <jansson.h>

#include "dg_dossier.h"
#include "dg_json.h"
#include "dg_plugin.h"
#include "fuzz.h"


static dg_plugin_registry_t  *reg;


static void
log_cb(void *data, int level, const char *plugin, const char *message)
{
    /* plugins may log; the fuzzer's output stays readable */
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char          path[512], err[512];
    size_t        i, nkv;
    dg_plugin_t  *pl;
    static const char *const  btxh_kv[] = { "income_max=1500000" };
    static const char *const  names[] = { "btxh", "ht", "dd", "xd", "hkd" };

    dg_plugin_set_log(log_cb, NULL);

    reg = dg_plugins_create();
    FUZZ_ASSERT(reg != NULL);

    /* as conf/nginx.conf.in configures them */
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s.so", DG_FUZZ_PLUGINS, names[i]);
        nkv = i == 0 ? 1 : 0;

        pl = dg_plugin_load(path, btxh_kv, nkv, err, sizeof(err));
        if (pl == NULL || dg_plugins_add(reg, pl, err, sizeof(err)) != 0) {
            fprintf(stderr, "fuzz_plugins: %s\n", err);
            abort();
        }
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             n;
    char            before[65], after[65], prefix[64];
    size_t          i, len;
    json_t         *root;
    dg_dossier_t    d;
    dg_problems_t   p;
    dg_plugin_t    *pl;

    dg_problems_init(&p);

    root = dg_json_parse((const char *) data, size, DG_JSON_MAX_DEPTH, &p);
    if (root == NULL) {
        dg_problems_free(&p);
        return 0;
    }

    if (dg_dossier_validate(root, FUZZ_NOW, fuzz_catalog(), &d, &p) != 0) {
        json_decref(root);
        dg_problems_free(&p);
        return 0;
    }

    FUZZ_ASSERT(dg_dossier_hash(root, before) == 0);

    n = dg_plugins_run(reg, d.ma_linh_vuc, root, FUZZ_NOW, &p);

    FUZZ_ASSERT(n >= 0);
    FUZZ_ASSERT((size_t) n == p.n);

    for (i = 0; i < p.n; i++) {
        /* "<plugin>.<code>" of a plugin that serves the sector */
        snprintf(prefix, sizeof(prefix), "%.*s",
                 (int) strcspn(p.items[i].code, "."), p.items[i].code);
        pl = dg_plugins_find(reg, prefix);
        FUZZ_ASSERT(pl != NULL && dg_plugin_serves(pl, d.ma_linh_vuc));
        FUZZ_ASSERT(p.items[i].code[strlen(prefix)] == '.');
        len = strlen(p.items[i].code);
        FUZZ_ASSERT((len > 8 && strcmp(p.items[i].code + len - 8,
                                       "required") == 0)
                    || dg_json_pointer_get(root, p.items[i].pointer)
                       != NULL);
    }

    fuzz_check_problems(422, &p);

    FUZZ_ASSERT(dg_dossier_hash(root, after) == 0);
    FUZZ_ASSERT(strcmp(before, after) == 0);

    json_decref(root);
    dg_problems_free(&p);

    return 0;
}
