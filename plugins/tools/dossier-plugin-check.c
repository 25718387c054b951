/*
 * dossier-plugin-check: runs a sector plugin over dossier files exactly as
 * the gateway does (dg_plugin_load, dg_json_parse, dg_plugins_run), for
 * sector teams testing a plugin before it is configured.
 *
 *   dossier-plugin-check [--sector CODE] [--now yyyyMMddHHmmss] [--core]
 *                        [--set key=value]... PLUGIN.so DOSSIER.json...
 *   dossier-plugin-check --info [--set key=value]... PLUGIN.so
 *
 * Prints "OK <file>" for an accepted dossier, "REJECTED <file>" and the
 * problem+json the gateway would answer for a rejected one.  Exits 0 when
 * every dossier is accepted, 1 when any is rejected, 2 on a usage, file or
 * plugin error (message on stderr).  --info loads the plugin and prints
 * what it declares ("name ct", "version", "abi", "sectors" lines).
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dg_dossier.h"
#include "dg_json.h"
#include "dg_plugin.h"
#include "dg_problem.h"

#define CHECK_MAX_SETTINGS  64
#define CHECK_TITLE         "Dossier is invalid"

typedef struct {
    const char            *sector;
    time_t                 now;
    int                    core;
    int                    info;
    dg_plugin_t           *plugin;
    dg_plugin_registry_t  *reg;
} check_conf_t;


static void
check_usage(void)
{
    fprintf(stderr,
            "usage: dossier-plugin-check [--sector CODE] "
            "[--now yyyyMMddHHmmss] [--core]\n"
            "                            [--set key=value]... "
            "PLUGIN.so DOSSIER.json...\n"
            "       dossier-plugin-check --info [--set key=value]... "
            "PLUGIN.so\n");
}


/* The whole file, NUL-terminated; NULL with errno set on failure. */
static char *
check_read(const char *path, size_t *len)
{
    char    *buf, *more;
    FILE    *f;
    size_t   cap, n;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    buf = NULL;
    cap = 0;
    *len = 0;

    do {
        if (cap - *len < 4096) {
            cap = cap ? cap * 2 : 65536;
            more = realloc(buf, cap);

            if (more == NULL) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }

            buf = more;
        }

        n = fread(buf + *len, 1, cap - *len - 1, f);
        *len += n;

    } while (n > 0);

    if (ferror(f)) {
        free(buf);
        fclose(f);
        errno = EIO;
        return NULL;
    }

    fclose(f);
    buf[*len] = '\0';

    return buf;
}


static int
check_print(const char *file, int status, const dg_problems_t *problems)
{
    char  *json;

    /* the gateway's titles: its own for 422, the reason phrase for 400 */
    json = dg_problem_json(status, status == 422 ? CHECK_TITLE : NULL, NULL,
                           problems);
    if (json == NULL) {
        fprintf(stderr, "dossier-plugin-check: %s: out of memory\n", file);
        return 2;
    }

    printf("REJECTED %s\n%s\n", file, json);
    free(json);

    return 1;
}


/* 0 accepted, 1 rejected, 2 error. */
static int
check_file(check_conf_t *conf, const char *file)
{
    int            rc;
    char          *buf;
    size_t         len;
    json_t        *root;
    const char    *sector;
    dg_dossier_t   dossier;
    dg_problems_t  problems;

    buf = check_read(file, &len);
    if (buf == NULL) {
        fprintf(stderr, "dossier-plugin-check: %s: %s\n", file,
                strerror(errno));
        return 2;
    }

    dg_problems_init(&problems);

    root = dg_json_parse(buf, len, DG_JSON_MAX_DEPTH, &problems);
    free(buf);

    if (root == NULL) {
        rc = check_print(file, 400, &problems);
        dg_problems_free(&problems);
        return rc;
    }

    sector = conf->sector != NULL ? conf->sector
             : json_string_value(json_object_get(root, "MaLinhVuc"));

    if (sector == NULL) {
        fprintf(stderr, "dossier-plugin-check: %s: no MaLinhVuc string, "
                "give --sector\n", file);
        json_decref(root);
        return 2;
    }

    if (!dg_plugin_serves(conf->plugin, sector)) {
        fprintf(stderr, "dossier-plugin-check: %s: note: plugin \"%s\" does "
                "not run for sector %s\n", file, dg_plugin_name(conf->plugin),
                sector);
    }

    /* the gateway runs plugins only on dossiers that pass the core rules */
    rc = 0;

    if (!conf->core
        || dg_dossier_validate(root, conf->now, NULL, &dossier, &problems)
           == 0)
    {
        if (dg_plugins_run(conf->reg, sector, root, conf->now, &problems)
            < 0)
        {
            fprintf(stderr, "dossier-plugin-check: %s: the plugin failed "
                    "(the gateway would answer 500)\n", file);
            rc = 2;
        }
    }

    if (rc == 0) {
        if (problems.n == 0) {
            printf("OK %s\n", file);

        } else {
            rc = check_print(file, 422, &problems);
        }
    }

    dg_problems_free(&problems);
    json_decref(root);

    return rc;
}


int
main(int argc, char **argv)
{
    int                   c, rc, worst, i;
    char                  err[512];
    size_t                nset;
    dg_plugin_t          *plugin;
    check_conf_t          conf;
    dg_plugin_info_t      info;
    const char           *set[CHECK_MAX_SETTINGS];
    static struct option  options[] = {
        { "sector", required_argument, NULL, 's' },
        { "now", required_argument, NULL, 'n' },
        { "set", required_argument, NULL, 'k' },
        { "core", no_argument, NULL, 'c' },
        { "info", no_argument, NULL, 'i' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&conf, 0, sizeof(check_conf_t));
    conf.now = time(NULL);
    nset = 0;

    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 's':
            conf.sector = optarg;
            break;

        case 'n':
            if (dg_time_parse(optarg, strlen(optarg), &conf.now) != 0) {
                fprintf(stderr, "dossier-plugin-check: --now %s: expected "
                        "yyyyMMddHHmmss or yyyyMMdd\n", optarg);
                return 2;
            }
            break;

        case 'k':
            if (nset == CHECK_MAX_SETTINGS) {
                fprintf(stderr, "dossier-plugin-check: too many --set\n");
                return 2;
            }

            set[nset++] = optarg;
            break;

        case 'c':
            conf.core = 1;
            break;

        case 'i':
            conf.info = 1;
            break;

        default:
            check_usage();
            return 2;
        }
    }

    if (conf.info ? argc - optind != 1 : argc - optind < 2) {
        check_usage();
        return 2;
    }

    dg_plugin_set_log(NULL, NULL);

    plugin = dg_plugin_load(argv[optind], set, nset, err, sizeof(err));
    if (plugin == NULL) {
        fprintf(stderr, "dossier-plugin-check: %s\n", err);
        return 2;
    }

    conf.reg = dg_plugins_create();

    if (conf.reg == NULL) {
        snprintf(err, sizeof(err), "out of memory");
    }

    if (conf.reg == NULL
        || dg_plugins_add(conf.reg, plugin, err, sizeof(err)) != 0)
    {
        fprintf(stderr, "dossier-plugin-check: %s\n", err);
        dg_plugin_unload(plugin);
        dg_plugins_free(conf.reg);
        return 2;
    }

    conf.plugin = plugin;
    worst = 0;

    if (conf.info) {
        dg_plugin_info(plugin, &info);
        printf("name %s\nversion %s\nabi %u.%u\nsectors %s\n", info.name,
               info.version, info.abi_major, info.abi_minor, info.sectors);
    }

    for (i = optind + 1; i < argc; i++) {
        rc = check_file(&conf, argv[i]);
        if (rc > worst) {
            worst = rc;
        }
    }

    dg_plugins_free(conf.reg);

    return worst;
}
