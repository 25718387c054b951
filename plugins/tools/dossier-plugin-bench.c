/*
 * dossier-plugin-bench: the cost of the plugin stage.  Loads a plugin as
 * the gateway does, then runs it N times over one parsed dossier and
 * prints the time per dossier.  The clock is fixed (2025-06-15 10:00
 * +07:00), so results do not drift with the date.
 *
 *   dossier-plugin-bench [-n N] [--sector CODE] [--set key=value]...
 *                        PLUGIN.so DOSSIER.json
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dg_plugin.h"
#include "dg_problem.h"

#define BENCH_MAX_SETTINGS  64
#define BENCH_NOW           1749956400      /* 2025-06-15 10:00 +07:00 */


static double
bench_seconds(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


int
main(int argc, char **argv)
{
    int                    c, rc;
    long                   n, i;
    char                   err[512];
    size_t                 nset, problems_each;
    json_t                *root;
    double                 start, elapsed;
    const char            *sector, *set[BENCH_MAX_SETTINGS];
    dg_plugin_t           *plugin;
    json_error_t           jerr;
    dg_problems_t          problems;
    dg_plugin_registry_t  *reg;
    static struct option   options[] = {
        { "sector", required_argument, NULL, 's' },
        { "set", required_argument, NULL, 'k' },
        { NULL, 0, NULL, 0 }
    };

    n = 100000;
    nset = 0;
    sector = NULL;

    while ((c = getopt_long(argc, argv, "n:", options, NULL)) != -1) {
        switch (c) {
        case 'n':
            n = strtol(optarg, NULL, 10);
            break;

        case 's':
            sector = optarg;
            break;

        case 'k':
            if (nset == BENCH_MAX_SETTINGS) {
                fprintf(stderr, "dossier-plugin-bench: too many --set\n");
                return 2;
            }

            set[nset++] = optarg;
            break;

        default:
            n = 0;
        }
    }

    if (argc - optind != 2 || n <= 0) {
        fprintf(stderr, "usage: dossier-plugin-bench [-n N] [--sector CODE] "
                "[--set key=value]... PLUGIN.so DOSSIER.json\n");
        return 2;
    }

    root = json_load_file(argv[optind + 1], JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        fprintf(stderr, "dossier-plugin-bench: %s:%d: %s\n",
                argv[optind + 1], jerr.line, jerr.text);
        return 2;
    }

    if (sector == NULL) {
        sector = json_string_value(json_object_get(root, "MaLinhVuc"));
    }

    plugin = dg_plugin_load(argv[optind], set, nset, err, sizeof(err));
    if (plugin == NULL) {
        fprintf(stderr, "dossier-plugin-bench: %s\n", err);
        json_decref(root);
        return 2;
    }

    reg = dg_plugins_create();

    if (reg == NULL || dg_plugins_add(reg, plugin, err, sizeof(err)) != 0) {
        fprintf(stderr, "dossier-plugin-bench: out of memory\n");
        dg_plugin_unload(plugin);
        dg_plugins_free(reg);
        json_decref(root);
        return 2;
    }

    if (sector == NULL || !dg_plugin_serves(plugin, sector)) {
        fprintf(stderr, "dossier-plugin-bench: plugin \"%s\" does not run "
                "for the dossier's sector; give --sector\n",
                dg_plugin_name(plugin));
        dg_plugins_free(reg);
        json_decref(root);
        return 2;
    }

    dg_problems_init(&problems);
    rc = dg_plugins_run(reg, sector, root, BENCH_NOW, &problems);
    problems_each = problems.n;

    start = bench_seconds();

    for (i = 0; i < n && rc >= 0; i++) {
        dg_problems_clear(&problems);
        rc = dg_plugins_run(reg, sector, root, BENCH_NOW, &problems);
    }

    elapsed = bench_seconds() - start;

    if (rc < 0) {
        fprintf(stderr, "dossier-plugin-bench: the plugin failed\n");

    } else {
        printf("%s %s: %ld runs, %.3f us per dossier, %zu problems each\n",
               dg_plugin_name(plugin), argv[optind + 1], n,
               elapsed * 1e6 / n, problems_each);
    }

    dg_problems_free(&problems);
    dg_plugins_free(reg);
    json_decref(root);

    return rc < 0 ? 2 : 0;
}
