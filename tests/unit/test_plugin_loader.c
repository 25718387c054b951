/*
 * The plugin loader: the file checks, the ABI checks, settings, the
 * registry, the host table as a plugin sees it.  Fixture plugins
 * (tests/unit/fixtures/plugins) are compiled at run time with only
 * -Iplugins/include, as a sector team would build them, or with the ABI
 * 1.0 header kept in fixtures/plugins/abi-1.0 before it, as a team built
 * them then; "$CC" or cc, from the repository root.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dossier_plugin.h"
#include "dg_plugin.h"
#include "dg_problem.h"
#include "unit.h"

#define FIXTURES  "tests/unit/fixtures/plugins"
#define ABI_1_0   "-I" FIXTURES "/abi-1.0"
#define ERRLEN    512

static char  fixture_dir[64];


static void
fixture_cleanup(void)
{
    char  cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture_dir);

    if (system(cmd) != 0) {
        fprintf(stderr, "plugin tests: could not remove %s\n", fixture_dir);
    }
}


static int   logged;
static char  last_log[256];


/* Plugin log lines are kept for the tests, not printed. */
static void
test_log_sink(void *data, int level, const char *plugin, const char *msg)
{
    logged++;
    snprintf(last_log, sizeof(last_log), "%d %s %s", level, plugin, msg);
}


/* The first call also sets the suite up: a scratch directory, the log. */
static const char *
fixture_path(const char *name, char *buf, size_t size)
{
    if (fixture_dir[0] == '\0') {
        strcpy(fixture_dir, "/tmp/dg-plugin-test-XXXXXX");

        if (mkdtemp(fixture_dir) == NULL) {
            perror("mkdtemp");
            return NULL;
        }

        atexit(fixture_cleanup);
        dg_plugin_set_log(test_log_sink, NULL);
    }

    snprintf(buf, size, "%s/%s.so", fixture_dir, name);
    return buf;
}


/*
 * Compiles FIXTURES/src.c with defs into out.so, unless the last build of
 * out.so was the same; returns the path, or NULL.
 */
static const char *
fixture(const char *out, const char *src, const char *defs)
{
    char         cmd[1024], key[512];
    size_t       i, n;
    const char  *cc;
    static char  path[256], built[32][512];

    if (fixture_path(out, path, sizeof(path)) == NULL) {
        return NULL;
    }

    snprintf(key, sizeof(key), "%s %s %s", out, src, defs);
    n = strlen(out);

    for (i = 0; i < 31 && built[i][0] != '\0'; i++) {
        if (strncmp(built[i], out, n) == 0 && built[i][n] == ' ') {
            break;
        }
    }

    if (strcmp(built[i], key) == 0) {
        return path;
    }

    cc = getenv("CC");

    /* defs first: an -I there comes before plugins/include */
    snprintf(cmd, sizeof(cmd),
             "%s -shared -fPIC %s -Iplugins/include -o '%s' %s/%s.c",
             cc != NULL && cc[0] != '\0' ? cc : "cc", defs, path, FIXTURES,
             src);

    if (system(cmd) != 0) {
        fprintf(stderr, "plugin tests: failed: %s\n", cmd);
        built[i][0] = '\0';
        return NULL;
    }

    memcpy(built[i], key, sizeof(key));

    return path;
}


static dg_plugin_t *
load(const char *path, char *err, ...)
{
    size_t        n;
    va_list       args;
    const char   *kv[16];

    va_start(args, err);

    for (n = 0; n < 16; n++) {
        kv[n] = va_arg(args, const char *);
        if (kv[n] == NULL) {
            break;
        }
    }

    va_end(args);

    err[0] = '\0';

    return path != NULL ? dg_plugin_load(path, kv, n, err, ERRLEN) : NULL;
}


/* Loads a fixture that must be refused; returns the message. */
static const char *
refused(const char *path, char *err)
{
    dg_plugin_t  *p;

    CU_ASSERT_PTR_NOT_NULL_FATAL(path);

    p = load(path, err, NULL);
    CU_ASSERT_PTR_NULL(p);
    dg_plugin_unload(p);

    return err;
}


#define ASSERT_HAS(s, part)                                                   \
    do {                                                                      \
        if (strstr((s), (part)) == NULL) {                                    \
            fprintf(stderr, "\n%s:%d: \"%s\" lacks \"%s\"\n", __FILE__,       \
                    __LINE__, (s), (part));                                   \
            CU_FAIL("message content");                                       \
        }                                                                     \
    } while (0)

#define ASSERT_STR(got, want)                                                 \
    do {                                                                      \
        const char *g_ = (got), *w_ = (want);                                 \
        if (g_ == NULL || strcmp(g_, w_) != 0) {                              \
            fprintf(stderr, "\n%s:%d: got \"%s\"\n%*swant \"%s\"\n",          \
                    __FILE__, __LINE__, g_ ? g_ : "(null)",                   \
                    (int) strlen(__FILE__) + 8, "", w_);                      \
            CU_FAIL("string mismatch");                                       \
        }                                                                     \
    } while (0)


/* Runs reg on a document; the codes joined with ',' (static buffer). */
static const char *
run_codes(dg_plugin_registry_t *reg, const char *sector, const char *text,
    int *rc, dg_problems_t *out)
{
    size_t         i;
    json_t        *root;
    static char    buf[4096];
    dg_problems_t  local, *p;

    root = json_loads(text, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);

    p = out != NULL ? out : &local;
    dg_problems_init(p);

    *rc = dg_plugins_run(reg, sector, root, 1750000000, p);

    buf[0] = '\0';

    for (i = 0; i < p->n; i++) {
        if (i > 0) {
            strcat(buf, ",");
        }

        strncat(buf, p->items[i].code, sizeof(buf) - strlen(buf) - 2);
    }

    if (out == NULL) {
        dg_problems_free(p);
    }

    json_decref(root);

    return buf;
}


/* A registry with one fixture plugin loaded with the given settings. */
static dg_plugin_registry_t *
registry_of(const char *path, const char *const *kv, size_t n)
{
    char                   err[ERRLEN];
    dg_plugin_t           *p;
    dg_plugin_registry_t  *reg;

    reg = dg_plugins_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(reg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);

    p = dg_plugin_load(path, kv, n, err, sizeof(err));
    if (p == NULL) {
        fprintf(stderr, "\n%s\n", err);
    }

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL_FATAL(dg_plugins_add(reg, p, err, sizeof(err)), 0);

    return reg;
}


static void
test_good_plugin_loads(void)
{
    char              err[ERRLEN];
    const char       *path;
    dg_plugin_t      *p;
    dg_plugin_info_t  info;

    path = fixture("good", "good", "");
    p = load(path, err, NULL);
    ASSERT_STR(err, "");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);

    dg_plugin_info(p, &info);
    ASSERT_STR(info.name, "good");
    ASSERT_STR(dg_plugin_name(p), "good");
    ASSERT_STR(info.version, "1.0");
    ASSERT_STR(info.file, path);
    ASSERT_STR(info.sectors, "T1,T2");
    CU_ASSERT_EQUAL(info.abi_major, DOSSIER_PLUGIN_ABI_MAJOR);
    CU_ASSERT_EQUAL(info.abi_minor, DOSSIER_PLUGIN_ABI_MINOR);
    CU_ASSERT_EQUAL(info.enabled, 1);
    CU_ASSERT_EQUAL(info.counters.calls, 0);

    CU_ASSERT_TRUE(dg_plugin_serves(p, "T1"));
    CU_ASSERT_TRUE(dg_plugin_serves(p, "T2"));
    CU_ASSERT_FALSE(dg_plugin_serves(p, "T"));
    CU_ASSERT_FALSE(dg_plugin_serves(p, "T1,T2"));
    CU_ASSERT_FALSE(dg_plugin_serves(p, NULL));

    dg_plugin_unload(p);
    dg_plugin_unload(NULL);
}


static void
test_wrong_abi_major(void)
{
    char         err[ERRLEN], want[ERRLEN];
    const char  *path;

    path = fixture("abi2", "handmade", "-DABI_MAJOR=2 -DABI_MINOR=0");
    refused(path, err);

    snprintf(want, sizeof(want), "plugin \"future\" (%s): built for plugin "
             "ABI 2.0, this gateway provides 1.1", path);
    ASSERT_STR(err, want);
}


static void
test_newer_abi_minor(void)
{
    char         err[ERRLEN], want[ERRLEN];
    const char  *path;

    path = fixture("abi12", "handmade", "-DABI_MINOR=2");
    refused(path, err);

    snprintf(want, sizeof(want), "plugin \"future\" (%s): built for plugin "
             "ABI 1.2, this gateway provides 1.1", path);
    ASSERT_STR(err, want);
}


static void
test_wrong_struct_sizes(void)
{
    char          err[ERRLEN], want[ERRLEN];
    const char   *path;
    dg_plugin_t  *p;

    path = fixture("hostsize", "handmade",
                   "-D'HOST_SIZE=(sizeof(dossier_plugin_host_t) + 8)'");
    refused(path, err);
    snprintf(want, sizeof(want), "plugin \"future\" (%s): built for plugin "
             "ABI 1.1 with a host table of %zu bytes, but ABI 1.1 has %zu "
             "(this gateway provides 1.1); rebuild it with this gateway's "
             "dossier_plugin.h", path, sizeof(dossier_plugin_host_t) + 8,
             sizeof(dossier_plugin_host_t));
    ASSERT_STR(err, want);

    /* smaller is no better: the size is the one of the minor, exactly */
    path = fixture("hostsmall", "handmade",
                   "-D'HOST_SIZE=(sizeof(dossier_plugin_host_t) - 8)'");
    refused(path, err);
    ASSERT_HAS(err, "host table");

    path = fixture("defsize", "handmade",
                   "-D'PLUGIN_SIZE=(sizeof(dossier_plugin_t) + 8)'");
    refused(path, err);
    ASSERT_HAS(err, "plugin definition of");

    /* a block claiming 1.0 must carry the 1.0 table's size, no other */
    path = fixture("claims10", "handmade", "-DABI_MINOR=0");
    refused(path, err);
    snprintf(want, sizeof(want), "built for plugin ABI 1.0 with a host "
             "table of %zu bytes, but ABI 1.0 has %zu (this gateway provides "
             "1.1)", sizeof(dossier_plugin_host_t),
             offsetof(dossier_plugin_host_t, report_text));
    ASSERT_HAS(err, want);

    path = fixture("claims10small", "handmade", "-DABI_MINOR=0 "
                   "-D'HOST_SIZE=(offsetof(dossier_plugin_host_t, "
                   "report_text) - 8)'");
    refused(path, err);
    ASSERT_HAS(err, "but ABI 1.0 has");

    /* and with it, it loads: the 1.0 table is the start of ours */
    p = load(fixture("claims10ok", "handmade", "-DABI_MINOR=0 -DINIT_OK "
                     "-D'HOST_SIZE=offsetof(dossier_plugin_host_t, "
                     "report_text)'"), err, NULL);
    ASSERT_STR(err, "");
    CU_ASSERT_PTR_NOT_NULL(p);
    dg_plugin_unload(p);
}


static void
test_missing_magic(void)
{
    char         err[ERRLEN], want[ERRLEN];
    const char  *path;

    path = fixture("nomagic", "nomagic", "");
    refused(path, err);

    snprintf(want, sizeof(want), "plugin file %s: no dossier_plugin_magic "
             "symbol, not a dossier plugin", path);
    ASSERT_STR(err, want);

    path = fixture("badmagic", "handmade", "-DMAGIC=0x12345678");
    refused(path, err);
    ASSERT_HAS(err, path);
    ASSERT_HAS(err, "no magic block, not a dossier plugin");
}


static void
test_null_callbacks(void)
{
    char         err[ERRLEN], want[ERRLEN];
    const char  *path;

    path = fixture("noinit", "handmade", "-DNULL_INIT");
    refused(path, err);
    snprintf(want, sizeof(want), "plugin \"future\" (%s): no init function",
             path);
    ASSERT_STR(err, want);

    path = fixture("novalidate", "handmade", "-DNULL_VALIDATE");
    refused(path, err);
    snprintf(want, sizeof(want),
             "plugin \"future\" (%s): no validate function", path);
    ASSERT_STR(err, want);
}


static void
test_bad_name(void)
{
    char         err[ERRLEN], want[ERRLEN];
    const char  *path;

    path = fixture("badname", "handmade", "-D'NAME=\"Bad-Name\"'");
    refused(path, err);
    snprintf(want, sizeof(want), "plugin file %s: the plugin name "
             "\"Bad-Name\" is not 1 to 64 characters of [a-z0-9_]", path);
    ASSERT_STR(err, want);

    path = fixture("noname", "handmade", "-DNAME=NULL");
    refused(path, err);
    ASSERT_HAS(err, "the plugin name (none) is not 1 to 64");

    path = fixture("emptyname", "handmade", "-D'NAME=\"\"'");
    refused(path, err);
    ASSERT_HAS(err, "the plugin name \"\" is not");

    /* what cannot be printed is not, and a long name is cut */
    path = fixture("oddname", "handmade", "-D'NAME=\"a\\\"b\\nc\"'");
    refused(path, err);
    ASSERT_HAS(err, "the plugin name \"a?b?c\" is not");

    path = fixture("longname", "handmade", "-D'NAME=\""
                   "a123456789b123456789c123456789d123456789e123456789"
                   "f123456789g123456789\"'");
    refused(path, err);
    ASSERT_HAS(err, "the plugin name \"a123456789b123456789c123456789"
               "d123456789e123456789f123456789g12345...\" is not 1 to 64");
}


static void
test_handmade_accepted(void)
{
    char          err[ERRLEN];
    dg_plugin_t  *p;

    /* the same fixture with nothing broken, to show the refusals are real */
    p = load(fixture("handmade", "handmade", "-DINIT_OK"), err, NULL);
    ASSERT_STR(err, "");
    CU_ASSERT_PTR_NOT_NULL(p);
    dg_plugin_unload(p);
}


static void
test_not_elf(void)
{
    char          err[ERRLEN], path[256];
    FILE         *f;

    CU_ASSERT_PTR_NOT_NULL_FATAL(fixture_path("notelf", path, sizeof(path)));

    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("#!/bin/sh\n# a shell script, not a shared object; long enough "
          "to have an ELF header's size\n", f);
    fclose(f);

    refused(path, err);
    ASSERT_HAS(err, "plugin file ");
    ASSERT_HAS(err, path);
    ASSERT_HAS(err, "ELF");

    CU_ASSERT_PTR_NOT_NULL_FATAL(fixture_path("absent", path, sizeof(path)));
    refused(path, err);
    ASSERT_HAS(err, path);
    ASSERT_HAS(err, "No such file");

    CU_ASSERT_PTR_NULL(dg_plugin_load(NULL, NULL, 0, err, sizeof(err)));
}


static void
test_settings(void)
{
    char          err[ERRLEN];
    const char   *path;
    dg_plugin_t  *p;

    path = fixture("good", "good", "");

    p = load(path, err, "limit=10", "report=a", NULL);
    CU_ASSERT_PTR_NOT_NULL(p);
    dg_plugin_unload(p);

    p = load(path, err, "colour=blue", NULL);
    CU_ASSERT_PTR_NULL(p);
    ASSERT_HAS(err, "plugin \"good\" (");
    ASSERT_HAS(err, "unknown setting \"colour\"");

    p = load(path, err, "limit", NULL);
    CU_ASSERT_PTR_NULL(p);
    ASSERT_HAS(err, "setting \"limit\" is not key=value");

    p = load(path, err, "=5", NULL);
    CU_ASSERT_PTR_NULL(p);
    ASSERT_HAS(err, "is not key=value");

    p = load(path, err, "limit=1", "limit=2", NULL);
    CU_ASSERT_PTR_NULL(p);
    ASSERT_HAS(err, "setting \"limit\" given twice");

    p = load(path, err, "limit=11", NULL);
    CU_ASSERT_PTR_NULL(p);
    ASSERT_HAS(err, "init failed: setting limit=\"11\": expected an integer "
               "from 0 to 10");

    p = load(path, err, "limit=3x", NULL);
    CU_ASSERT_PTR_NULL(p);
    ASSERT_HAS(err, "limit=\"3x\"");

    p = load(path, err, "limit=", NULL);
    CU_ASSERT_PTR_NULL(p);
    ASSERT_HAS(err, "limit=\"\"");

    p = load(path, err, "init_fail=no database", NULL);
    CU_ASSERT_PTR_NULL(p);
    ASSERT_HAS(err, "plugin \"good\" (");
    ASSERT_HAS(err, "): init failed: no database");
}


static void
test_sector_setting(void)
{
    char          err[ERRLEN];
    const char   *path;
    dg_plugin_t  *p;

    path = fixture("good", "good", "");

    p = load(path, err, "sector=T2", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_FALSE(dg_plugin_serves(p, "T1"));
    CU_ASSERT_TRUE(dg_plugin_serves(p, "T2"));
    dg_plugin_unload(p);

    p = load(path, err, "sector=T2,T1", NULL);
    CU_ASSERT_PTR_NOT_NULL(p);
    dg_plugin_unload(p);

    p = load(path, err, "sector=T9", NULL);
    CU_ASSERT_PTR_NULL(p);
    ASSERT_HAS(err, "sector=T9: it serves only T1,T2");

    p = load(path, err, "sector=T1,", NULL);
    CU_ASSERT_PTR_NULL(p);

    /* a plugin for any sector may be narrowed to anything */
    path = fixture("anysector", "good", "-D'SECTORS=\"*\"'");
    p = load(path, err, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_TRUE(dg_plugin_serves(p, "HT"));
    dg_plugin_unload(p);

    p = load(path, err, "sector=CT", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_TRUE(dg_plugin_serves(p, "CT"));
    CU_ASSERT_FALSE(dg_plugin_serves(p, "HT"));
    dg_plugin_unload(p);
}


static void
test_declaration_order(void)
{
    int                    rc;
    char                   err[ERRLEN], alpha[256], gamma[256];
    dg_plugin_t           *p;
    dg_plugin_registry_t  *reg;
    static const char     *kv[] = { "report=first,second" };

    CU_ASSERT_PTR_NOT_NULL_FATAL(fixture("alpha", "good",
                                         "-D'NAME=\"alpha\"'"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(fixture("gamma", "good",
                                         "-D'NAME=\"gamma\"' "
                                         "-D'SECTORS=\"T2\"'"));
    fixture_path("alpha", alpha, sizeof(alpha));
    fixture_path("gamma", gamma, sizeof(gamma));

    /* declared beta, gamma, alpha: T1 runs beta then alpha */
    reg = registry_of(fixture("beta", "good", "-D'NAME=\"beta\"'"), kv, 1);

    p = dg_plugin_load(gamma, kv, 1, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(dg_plugins_add(reg, p, err, sizeof(err)), 0);

    p = dg_plugin_load(alpha, kv, 1, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(dg_plugins_add(reg, p, err, sizeof(err)), 0);

    CU_ASSERT_EQUAL(dg_plugins_count(reg), 3);
    ASSERT_STR(dg_plugin_name(dg_plugins_get(reg, 0)), "beta");
    ASSERT_STR(dg_plugin_name(dg_plugins_get(reg, 2)), "alpha");
    CU_ASSERT_PTR_NULL(dg_plugins_get(reg, 3));
    CU_ASSERT_PTR_NOT_NULL(dg_plugins_find(reg, "gamma"));
    CU_ASSERT_PTR_NULL(dg_plugins_find(reg, "delta"));

    ASSERT_STR(run_codes(reg, "T1", "{}", &rc, NULL),
               "beta.first,beta.second,alpha.first,alpha.second");
    CU_ASSERT_EQUAL(rc, 4);

    ASSERT_STR(run_codes(reg, "T2", "{}", &rc, NULL),
               "beta.first,beta.second,gamma.first,gamma.second,"
               "alpha.first,alpha.second");
    CU_ASSERT_EQUAL(rc, 6);

    ASSERT_STR(run_codes(reg, "HT", "{}", &rc, NULL), "");
    CU_ASSERT_EQUAL(rc, 0);

    /* a second plugin of the same name is refused, and stays the caller's */
    p = dg_plugin_load(alpha, kv, 1, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(dg_plugins_add(reg, p, err, sizeof(err)), -1);
    ASSERT_HAS(err, "plugin \"alpha\" (");
    ASSERT_HAS(err, "already loaded");
    dg_plugin_unload(p);

    dg_plugins_free(reg);
    dg_plugins_free(NULL);
}


static void
test_code_prefix(void)
{
    int                    rc;
    dg_problems_t          problems;
    dg_plugin_registry_t  *reg;
    static const char     *kv[] = {
        "report=income_above_threshold,good.already,Bad-Code,a.b_c,,ok9,"
        "good."
    };

    reg = registry_of(fixture("good", "good", ""), kv, 1);

    ASSERT_STR(run_codes(reg, "T1", "{}", &rc, &problems),
               "good.income_above_threshold,good.already,good.bad_code,"
               "good.a.b_c,good.error,good.ok9,good.error");
    CU_ASSERT_EQUAL(rc, 7);

    CU_ASSERT_EQUAL_FATAL(problems.n, 7);
    ASSERT_STR(problems.items[0].pointer, "/Fixture");
    ASSERT_STR(problems.items[0].message, "vi good / en good");

    dg_problems_free(&problems);
    dg_plugins_free(reg);
}


static void
test_messages(void)
{
    int                    rc;
    char                   big[1300], *json;
    const char            *kv[2];
    dg_problems_t          problems;
    dg_plugin_registry_t  *reg;

    /* bytes that are not UTF-8 must not reach the JSON response */
    kv[0] = "report=m";
    kv[1] = "message=ab\xff" "c \xc3(";
    reg = registry_of(fixture("good", "good", ""), kv, 2);

    run_codes(reg, "T1", "{}", &rc, &problems);
    CU_ASSERT_EQUAL_FATAL(problems.n, 1);
    ASSERT_STR(problems.items[0].message, "ab?c ?( / ab?c ?(");
    dg_problems_free(&problems);
    dg_plugins_free(reg);

    /* a long message is cut on a character boundary: 511 bytes of "é" */
    memcpy(big, "message=", 8);
    for (rc = 0; rc < 600; rc++) {
        memcpy(big + 8 + 2 * rc, "\xc3\xa9", 2);
    }
    big[8 + 1200] = '\0';
    kv[1] = big;

    reg = registry_of(fixture("good", "good", ""), kv, 2);
    run_codes(reg, "T1", "{}", &rc, &problems);
    CU_ASSERT_EQUAL_FATAL(problems.n, 1);
    CU_ASSERT_EQUAL(strlen(problems.items[0].message), 2 * 510 + 3);
    CU_ASSERT_PTR_NULL(strchr(problems.items[0].message, '?'));

    json = dg_problem_json(422, NULL, "r1", &problems);
    CU_ASSERT_PTR_NOT_NULL(json);
    free(json);

    dg_problems_free(&problems);
    dg_plugins_free(reg);
}


static void
test_probe_host_reading(void)
{
    int                    rc;
    const char            *kv[1];
    dg_problems_t          problems;
    dg_plugin_registry_t  *reg;
    size_t                 i;
    static const char     *doc =
        "{\"s\": \"chuỗi\", \"i\": -42, \"r\": 2.5, \"t\": true,"
        " \"f\": false, \"z\": null, \"a\": [1, 2, 3],"
        " \"o\": {\"x\": 1, \"y~/\": 2}, \"e\": {}}";
    static const struct {
        const char  *setting;
        const char  *message;
    } cases[] = {
        { "probe=/s", "t=5 s=0:chuỗi:7 i=-3:0 b=-3:0 n=-3:0 a=-3:0 o=-3:0 "
                      "m=-3:-" },
        { "probe=/i", "t=3 s=-3:-:0 i=0:-42 b=-3:0 n=0:-42 a=-3:0 o=-3:0 "
                      "m=-3:-" },
        { "probe=/r", "t=4 s=-3:-:0 i=-3:0 b=-3:0 n=0:2.5 a=-3:0 o=-3:0 "
                      "m=-3:-" },
        { "probe=/t", "t=2 s=-3:-:0 i=-3:0 b=0:1 n=-3:0 a=-3:0 o=-3:0 "
                      "m=-3:-" },
        { "probe=/f", "t=2 s=-3:-:0 i=-3:0 b=0:0 n=-3:0 a=-3:0 o=-3:0 "
                      "m=-3:-" },
        { "probe=/z", "t=1 s=-3:-:0 i=-3:0 b=-3:0 n=-3:0 a=-3:0 o=-3:0 "
                      "m=-3:-" },
        { "probe=/a", "t=6 s=-3:-:0 i=-3:0 b=-3:0 n=-3:0 a=0:3 o=-3:0 "
                      "m=-3:-" },
        { "probe=/a/2", "t=3 s=-3:-:0 i=0:3 b=-3:0 n=0:3 a=-3:0 o=-3:0 "
                        "m=-3:-" },
        { "probe=/o", "t=7 s=-3:-:0 i=-3:0 b=-3:0 n=-3:0 a=-3:0 o=0:2 "
                      "m=0:y~/" },
        { "probe=/o/y~0~1", "t=3 s=-3:-:0 i=0:2 b=-3:0 n=0:2 a=-3:0 "
                            "o=-3:0 m=-3:-" },
        { "probe=/e", "t=7 s=-3:-:0 i=-3:0 b=-3:0 n=-3:0 a=-3:0 o=0:0 "
                      "m=-2:-" },
        { "probe=/missing", "t=0 s=-2:-:0 i=-2:0 b=-2:0 n=-2:0 a=-2:0 "
                            "o=-2:0 m=-2:-" },
        { "probe=/a/9", "t=0 s=-2:-:0 i=-2:0 b=-2:0 n=-2:0 a=-2:0 o=-2:0 "
                        "m=-2:-" },
        { "probe=/s/deeper", "t=0 s=-2:-:0 i=-2:0 b=-2:0 n=-2:0 a=-2:0 "
                             "o=-2:0 m=-2:-" },
        { "probe=no-slash", "t=0 s=-2:-:0 i=-2:0 b=-2:0 n=-2:0 a=-2:0 "
                            "o=-2:0 m=-2:-" }
    };
    char                   want[512];

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kv[0] = cases[i].setting;
        reg = registry_of(fixture("good", "good", ""), kv, 1);

        run_codes(reg, "T1", doc, &rc, &problems);
        CU_ASSERT_EQUAL_FATAL(problems.n, 1);

        snprintf(want, sizeof(want), "%s / %s", cases[i].message,
                 cases[i].message);
        ASSERT_STR(problems.items[0].message, want);
        ASSERT_STR(problems.items[0].code, "good.probe");

        /* a pointer that is not one is reported against the whole body */
        ASSERT_STR(problems.items[0].pointer,
                   cases[i].setting[6] == '/' ? cases[i].setting + 6 : "");

        dg_problems_free(&problems);
        dg_plugins_free(reg);
    }
}


static void
test_probe_helpers(void)
{
    int                    rc;
    char                   want[512];
    dg_problems_t          problems;
    dg_plugin_registry_t  *reg;
    static const char     *kv[] = { "helpers=1" };

    reg = registry_of(fixture("good", "good", ""), kv, 1);

    /* 1750000000 is 2025-06-15 22:06:40 in Ho Chi Minh City */
    run_codes(reg, "T1", "{}", &rc, &problems);
    CU_ASSERT_EQUAL_FATAL(problems.n, 1);

    snprintf(want, sizeof(want), "%s", "now=1750000000 sector=T1 "
             "ymd=20250615 parse=0:1709139600,-1,-3 "
             "cccd=1990,2005,-1,-1 list=1010 host=1");
    CU_ASSERT_PTR_NOT_NULL(strstr(problems.items[0].message, want));
    if (strstr(problems.items[0].message, want) == NULL) {
        fprintf(stderr, "\n%s\n", problems.items[0].message);
    }

    dg_problems_free(&problems);
    dg_plugins_free(reg);
}


static void
test_expect(void)
{
    int                    rc;
    dg_problems_t          problems;
    dg_plugin_registry_t  *reg;
    static const char     *kv[] = { "expect=/v" };

    reg = registry_of(fixture("good", "good", ""), kv, 1);

    ASSERT_STR(run_codes(reg, "T1", "{\"v\": \"x\"}", &rc, NULL),
               "good.type");
    ASSERT_STR(run_codes(reg, "T1", "{\"v\": 3}", &rc, &problems),
               "good.type");
    CU_ASSERT_EQUAL_FATAL(problems.n, 1);
    ASSERT_STR(problems.items[0].message, "Cần chuỗi / expected a string");
    ASSERT_STR(problems.items[0].pointer, "/v");
    dg_problems_free(&problems);

    ASSERT_STR(run_codes(reg, "T1", "{}", &rc, &problems), "good.required");
    ASSERT_STR(problems.items[0].message,
               "Thiếu trường bắt buộc / required field missing");
    dg_problems_free(&problems);

    ASSERT_STR(run_codes(reg, "T1", "{\"v\": [1]}", &rc, NULL),
               "good.type,good.type");
    ASSERT_STR(run_codes(reg, "T1", "{\"v\": 1.5}", &rc, NULL), "good.type");

    dg_plugins_free(reg);
}


static void
test_failure_and_flood(void)
{
    int                    rc;
    dg_plugin_info_t       info;
    dg_plugin_registry_t  *reg;
    static const char     *fail[] = { "fail=1", "report=x" };
    static const char     *flood[] = { "flood=150" };

    reg = registry_of(fixture("good", "good", ""), fail, 2);

    run_codes(reg, "T1", "{}", &rc, NULL);
    CU_ASSERT_EQUAL(rc, -1);

    dg_plugin_info(dg_plugins_get(reg, 0), &info);
    CU_ASSERT_EQUAL(info.counters.failures, 1);
    CU_ASSERT_EQUAL(info.counters.calls, 1);
    dg_plugins_free(reg);

    reg = registry_of(fixture("good", "good", ""), flood, 1);
    run_codes(reg, "T1", "{}", &rc, NULL);
    CU_ASSERT_EQUAL(rc, DG_PLUGIN_MAX_PROBLEMS);
    dg_plugins_free(reg);
}


static void
test_counters(void)
{
    int                    rc;
    json_t                *list, *item;
    dg_plugin_t           *p;
    dg_plugin_info_t       info;
    dg_plugin_counters_t   shared;
    dg_plugin_registry_t  *reg;
    static const char     *kv[] = { "report=a,b" };

    reg = registry_of(fixture("good", "good", ""), kv, 1);
    p = dg_plugins_get(reg, 0);

    run_codes(reg, "T1", "{}", &rc, NULL);
    run_codes(reg, "T2", "{}", &rc, NULL);
    run_codes(reg, "XX", "{}", &rc, NULL);

    dg_plugin_info(p, &info);
    CU_ASSERT_EQUAL(info.counters.calls, 2);
    CU_ASSERT_EQUAL(info.counters.rejections, 2);
    CU_ASSERT_EQUAL(info.counters.problems, 4);
    CU_ASSERT_EQUAL(info.counters.failures, 0);
    CU_ASSERT_TRUE(info.counters.nanoseconds > 0);

    /* counters moved to (shared) memory of the caller's */
    memset(&shared, 0, sizeof(shared));
    dg_plugin_set_counters(p, &shared);
    run_codes(reg, "T1", "{}", &rc, NULL);
    CU_ASSERT_EQUAL(shared.calls, 1);
    CU_ASSERT_EQUAL(shared.problems, 2);

    /* the admin switch lives there too */
    dg_plugin_set_enabled(p, 0);
    CU_ASSERT_EQUAL(shared.disabled, 1);
    ASSERT_STR(run_codes(reg, "T1", "{}", &rc, NULL), "");
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(shared.calls, 1);

    list = dg_plugins_json(reg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    CU_ASSERT_EQUAL(json_array_size(list), 1);
    item = json_array_get(list, 0);
    ASSERT_STR(json_string_value(json_object_get(item, "name")), "good");
    ASSERT_STR(json_string_value(json_object_get(item, "version")), "1.0");
    ASSERT_STR(json_string_value(json_object_get(item, "abi")), "1.1");
    ASSERT_STR(json_string_value(json_object_get(item, "sectors")), "T1,T2");
    CU_ASSERT_TRUE(json_is_false(json_object_get(item, "enabled")));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(item, "calls")), 1);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(item, "problems")),
                    2);
    CU_ASSERT_PTR_NOT_NULL(json_object_get(item, "nanoseconds"));
    CU_ASSERT_PTR_NOT_NULL(json_object_get(item, "file"));
    json_decref(list);

    dg_plugin_set_enabled(p, 1);
    ASSERT_STR(run_codes(reg, "T1", "{}", &rc, NULL), "good.a,good.b");

    /* back to its own counters, which kept their values */
    dg_plugin_set_counters(p, NULL);
    dg_plugin_info(p, &info);
    CU_ASSERT_EQUAL(info.counters.calls, 2);

    dg_plugins_free(reg);
}


static void
test_log(void)
{
    int                    rc;
    char                   err[ERRLEN];
    const char            *path;
    dg_plugin_t           *p;
    dg_plugin_registry_t  *reg;
    static const char     *kv[] = { "report=Bad,Worse" };

    path = fixture("good", "good", "");

    logged = 0;
    p = load(path, err, "limit=7", NULL);
    CU_ASSERT_PTR_NOT_NULL(p);
    CU_ASSERT_EQUAL(logged, 1);
    ASSERT_STR(last_log, "2 good loaded with limit 7");
    dg_plugin_unload(p);

    /* a bad code is logged once, not on every dossier */
    reg = registry_of(path, kv, 1);
    logged = 0;
    ASSERT_STR(run_codes(reg, "T1", "{}", &rc, NULL), "good.bad,good.worse");
    ASSERT_STR(run_codes(reg, "T1", "{}", &rc, NULL), "good.bad,good.worse");
    CU_ASSERT_EQUAL(logged, 1);
    ASSERT_STR(last_log, "1 good error code \"Bad\" is not [a-z0-9_.], "
               "reported as \"good.bad\"");
    dg_plugins_free(reg);
}


/*
 * nginx -s reload loads the new configuration's plugins while the old
 * configuration still holds its own: a rebuilt file must be the one that
 * runs, not the copy dlopen already has under that name.
 */
static void
test_rebuilt_plugin(void)
{
    char              err[ERRLEN];
    const char       *path;
    dg_plugin_t      *v1, *v2, *again;
    dg_plugin_info_t  info;

    path = fixture("reload", "good", "-D'VERSION=\"1\"'");
    v1 = load(path, err, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v1);

    path = fixture("reload", "good", "-D'VERSION=\"2\"'");
    v2 = load(path, err, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v2);

    dg_plugin_info(v1, &info);
    ASSERT_STR(info.version, "1");
    dg_plugin_info(v2, &info);
    ASSERT_STR(info.version, "2");

    /* the old configuration goes away; an unchanged file is shared */
    dg_plugin_unload(v1);

    again = load(path, err, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(again);
    dg_plugin_info(again, &info);
    ASSERT_STR(info.version, "2");

    dg_plugin_unload(v2);
    dg_plugin_unload(again);
}


/*
 * A plugin built against the 1.0 header, before report_text, still loads
 * and works in this 1.1 gateway: its host table has the 1.0 size.
 */
static void
test_abi_1_0_plugin(void)
{
    int                    rc;
    char                   err[ERRLEN];
    json_t                *list;
    const char            *path;
    dg_plugin_t           *p;
    dg_problems_t          problems;
    dg_plugin_info_t       info;
    dg_plugin_registry_t  *reg;
    static const char     *kv[] = { "report=a,Bad" };
    static const char     *expect[] = { "expect=/v" };
    static const char     *helpers[] = { "helpers=1" };

    path = fixture("old", "good", ABI_1_0 " -D'NAME=\"old\"'");
    p = load(path, err, NULL);
    ASSERT_STR(err, "");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);

    dg_plugin_info(p, &info);
    CU_ASSERT_EQUAL(info.abi_major, 1);
    CU_ASSERT_EQUAL(info.abi_minor, 0);
    dg_plugin_unload(p);

    /* it is the 1.0 build: the 1.1 fixture's setting is unknown to it */
    p = load(path, err, "text=1", NULL);
    CU_ASSERT_PTR_NULL(p);
    ASSERT_HAS(err, "unknown setting \"text\"");

    reg = registry_of(path, kv, 1);
    ASSERT_STR(run_codes(reg, "T1", "{}", &rc, &problems), "old.a,old.bad");
    CU_ASSERT_EQUAL(rc, 2);
    CU_ASSERT_EQUAL_FATAL(problems.n, 2);
    ASSERT_STR(problems.items[0].pointer, "/Fixture");
    ASSERT_STR(problems.items[0].message, "vi old / en old");
    dg_problems_free(&problems);

    list = dg_plugins_json(reg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    ASSERT_STR(json_string_value(json_object_get(json_array_get(list, 0),
                                                 "abi")), "1.0");
    json_decref(list);
    dg_plugins_free(reg);

    reg = registry_of(path, expect, 1);
    ASSERT_STR(run_codes(reg, "T1", "{\"v\": 3}", &rc, &problems),
               "old.type");
    ASSERT_STR(problems.items[0].message, "Cần chuỗi / expected a string");
    dg_problems_free(&problems);
    dg_plugins_free(reg);

    reg = registry_of(path, helpers, 1);
    run_codes(reg, "T1", "{}", &rc, &problems);
    CU_ASSERT_EQUAL_FATAL(problems.n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(problems.items[0].message,
                                  "list=1010 host=1"));
    dg_problems_free(&problems);
    dg_plugins_free(reg);
}


static void
test_report_text(void)
{
    int                    rc;
    char                   big[1300];
    const char            *kv[3];
    dg_problems_t          problems;
    dg_plugin_registry_t  *reg;

    /* ready messages are not formats; they are cleaned like the others */
    kv[0] = "report=a,Two";
    kv[1] = "text=1";
    kv[2] = "message=50% %s %n \xff";
    reg = registry_of(fixture("good", "good", ""), kv, 3);

    ASSERT_STR(run_codes(reg, "T1", "{}", &rc, &problems),
               "good.a,good.two");
    CU_ASSERT_EQUAL(rc, 2);
    CU_ASSERT_EQUAL_FATAL(problems.n, 2);
    ASSERT_STR(problems.items[0].pointer, "/Fixture");
    ASSERT_STR(problems.items[0].message, "50% %s %n ? / good");
    dg_problems_free(&problems);
    dg_plugins_free(reg);

    /* cut at 511 bytes on a character boundary, as report does */
    memcpy(big, "message=", 8);
    for (rc = 0; rc < 600; rc++) {
        memcpy(big + 8 + 2 * rc, "\xc3\xa9", 2);
    }
    big[8 + 1200] = '\0';
    kv[2] = big;

    reg = registry_of(fixture("good", "good", ""), kv, 3);
    run_codes(reg, "T1", "{}", &rc, &problems);
    CU_ASSERT_EQUAL_FATAL(problems.n, 2);
    CU_ASSERT_EQUAL(strlen(problems.items[0].message), 2 * 255 + 7);
    dg_problems_free(&problems);
    dg_plugins_free(reg);
}


/* As secret files: no one but root or the worker user may change a plugin. */
static void
test_file_checks(void)
{
    char          err[ERRLEN], want[2 * ERRLEN], dir[128], linked[160];
    uid_t         owner;
    const char   *path;
    dg_plugin_t  *p;

    path = fixture("owned", "good", "");
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);

    CU_ASSERT_EQUAL_FATAL(chmod(path, 0666), 0);
    refused(path, err);
    snprintf(want, sizeof(want), "plugin file %s: writable by any user "
             "(mode 0666); make it writable by its owner only (chmod go-w)",
             path);
    ASSERT_STR(err, want);
    CU_ASSERT_EQUAL_FATAL(chmod(path, 0755), 0);

    /* root may give the file away; others own what they build */
    owner = geteuid();
    if (owner == 0) {
        owner = 4242;
        CU_ASSERT_EQUAL_FATAL(chown(path, owner, (gid_t) -1), 0);
    }

    dg_plugin_set_owner(owner + 1);
    refused(path, err);
    snprintf(want, sizeof(want), "plugin file %s: owned by uid %u (", path,
             (unsigned) owner);
    ASSERT_HAS(err, want);
    snprintf(want, sizeof(want), "), not by root or the worker user uid %u "
             "(", (unsigned) owner + 1);
    ASSERT_HAS(err, want);
    ASSERT_HAS(err, "; chown it to one of them");

    dg_plugin_set_owner(owner);
    p = load(path, err, NULL);
    ASSERT_STR(err, "");
    CU_ASSERT_PTR_NOT_NULL(p);
    dg_plugin_unload(p);

    /* a file of root's is fine whoever the worker user is */
    if (geteuid() == 0) {
        CU_ASSERT_EQUAL_FATAL(chown(path, 0, (gid_t) -1), 0);
        dg_plugin_set_owner(owner + 1);
        p = load(path, err, NULL);
        CU_ASSERT_PTR_NOT_NULL(p);
        dg_plugin_unload(p);
    }

    dg_plugin_set_owner((uid_t) -1);

    /* a directory anyone may write to: anyone may replace the file */
    snprintf(dir, sizeof(dir), "%s/open", fixture_dir);
    snprintf(linked, sizeof(linked), "%s/owned.so", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
    CU_ASSERT_EQUAL_FATAL(link(path, linked), 0);
    CU_ASSERT_EQUAL_FATAL(chmod(dir, 0777), 0);

    refused(linked, err);
    snprintf(want, sizeof(want), "plugin file %s: its directory %s is "
             "writable by any user (mode 0777), who could replace the file; "
             "chmod o-w it", linked, dir);
    ASSERT_STR(err, want);

    /* unless sticky, as /tmp: then only the owner may */
    CU_ASSERT_EQUAL_FATAL(chmod(dir, 01777), 0);
    p = load(linked, err, NULL);
    ASSERT_STR(err, "");
    CU_ASSERT_PTR_NOT_NULL(p);
    dg_plugin_unload(p);

    refused(fixture_dir, err);
    snprintf(want, sizeof(want), "plugin file %s: not a regular file",
             fixture_dir);
    ASSERT_STR(err, want);
}


static CU_TestInfo  plugin_loader_tests[] = {
    { "good plugin loads", test_good_plugin_loads },
    { "wrong ABI major refused", test_wrong_abi_major },
    { "newer ABI minor refused", test_newer_abi_minor },
    { "wrong struct sizes refused", test_wrong_struct_sizes },
    { "missing magic refused", test_missing_magic },
    { "NULL init/validate refused", test_null_callbacks },
    { "bad plugin name refused", test_bad_name },
    { "unbroken handmade block loads", test_handmade_accepted },
    { "non-ELF and missing files refused", test_not_elf },
    { "file owner and mode checked", test_file_checks },
    { "ABI 1.0 plugin loads and works", test_abi_1_0_plugin },
    { "report_text takes ready messages", test_report_text },
    { "settings", test_settings },
    { "sector setting", test_sector_setting },
    { "declaration order", test_declaration_order },
    { "code prefix", test_code_prefix },
    { "messages cleaned and cut", test_messages },
    { "host reading functions", test_probe_host_reading },
    { "host helpers", test_probe_helpers },
    { "host expect", test_expect },
    { "failure and flood", test_failure_and_flood },
    { "counters and admin switch", test_counters },
    { "log sink", test_log },
    { "rebuilt plugin picked up", test_rebuilt_plugin },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(plugin_loader, plugin_loader_tests)
