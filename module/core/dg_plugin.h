/*
 * Sector plugins: loading shared objects that follow dossier_plugin.h,
 * checking their ABI before running any of their code, and running them
 * over a parsed dossier.  No nginx here: the module's directive handler
 * calls dg_plugin_load, the tools and tests call the same code.
 *
 * dg_plugin_host.c is the host table plugins call, dg_plugin_loader.c
 * loads and checks them, dg_plugin_registry.c runs them and shows them.
 */

#ifndef DG_PLUGIN_H
#define DG_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <jansson.h>

#include "dg_problem.h"

/* Problems one plugin may report on one dossier; more are dropped. */
#define DG_PLUGIN_MAX_PROBLEMS  100

typedef struct dg_plugin_s           dg_plugin_t;
typedef struct dg_plugin_registry_s  dg_plugin_registry_t;

/*
 * Per-plugin counters.  Plain uint64_t fields updated with __atomic
 * builtins, so the caller may place them in memory shared by processes
 * (see dg_plugin_set_counters).  disabled is the admin switch: while it is
 * non-zero dg_plugins_run skips the plugin.
 */
typedef struct {
    uint64_t  calls;            /* validate calls */
    uint64_t  rejections;       /* calls that reported a problem */
    uint64_t  problems;         /* problems reported */
    uint64_t  failures;         /* calls that returned DOSSIER_ERROR */
    uint64_t  nanoseconds;      /* time spent in validate */
    uint64_t  disabled;
} dg_plugin_counters_t;

typedef struct {
    const char  *name;
    const char  *version;
    const char  *file;
    const char  *sectors;       /* the sectors it runs for */
    unsigned     abi_major;     /* the ABI it was built against */
    unsigned     abi_minor;
    int          enabled;
    dg_plugin_counters_t  counters;     /* a snapshot */
} dg_plugin_info_t;

/* Where plugin log messages go; level is a DOSSIER_LOG_* value. */
typedef void (*dg_plugin_log_pt)(void *data, int level, const char *plugin,
    const char *message);

/*
 * Loads one plugin: the file checks of dg_plugin_set_owner,
 * dlopen(RTLD_NOW | RTLD_LOCAL), the magic check, then the plugin's init
 * with kv, nkv "key=value" strings.  The key "sector" (comma-separated
 * codes) chooses among the sectors the plugin declares.
 * Returns the plugin, or NULL with a message naming the file (and, once
 * known, the plugin and both ABI versions) in err.
 */
dg_plugin_t *dg_plugin_load(const char *path, const char *const *kv,
    size_t nkv, char *err, size_t errlen);

/*
 * Plugin files must be owned by root or by uid (the nginx worker user;
 * by default the process's effective user) and writable by no one else,
 * nor replaceable by anyone in their directory: dg_plugin_load refuses
 * them otherwise, before opening them.
 */
void dg_plugin_set_owner(uid_t uid);

/* fini, then dlclose.  NULL is allowed. */
void dg_plugin_unload(dg_plugin_t *plugin);

/* Process-wide log sink; NULL restores the default (stderr). */
void dg_plugin_set_log(dg_plugin_log_pt handler, void *data);

/*
 * Points the plugin's counters at c (for instance in shared memory); the
 * current values are not copied.  NULL returns to the plugin's own.
 */
void dg_plugin_set_counters(dg_plugin_t *plugin, dg_plugin_counters_t *c);
void dg_plugin_set_enabled(dg_plugin_t *plugin, int enabled);

const char *dg_plugin_name(const dg_plugin_t *plugin);
void dg_plugin_info(const dg_plugin_t *plugin, dg_plugin_info_t *info);

/* 1 when the plugin runs for sector. */
int dg_plugin_serves(const dg_plugin_t *plugin, const char *sector);


dg_plugin_registry_t *dg_plugins_create(void);

/* Unloads every plugin, last added first. */
void dg_plugins_free(dg_plugin_registry_t *reg);

/*
 * Appends a loaded plugin; the registry then owns it.  Returns 0, or -1
 * with a message in err (a plugin of that name is already there, or out of
 * memory); the plugin is then still the caller's.
 */
int dg_plugins_add(dg_plugin_registry_t *reg, dg_plugin_t *plugin,
    char *err, size_t errlen);

size_t dg_plugins_count(const dg_plugin_registry_t *reg);
dg_plugin_t *dg_plugins_get(const dg_plugin_registry_t *reg, size_t i);
dg_plugin_t *dg_plugins_find(const dg_plugin_registry_t *reg,
    const char *name);

/*
 * Runs the enabled plugins that serve sector, in the order they were added,
 * over root, with now as the clock.  Their problems are appended to
 * problems with codes "<plugin>.<code>" and messages "vi / en".  Returns
 * the number of problems added, or -1 when a plugin failed (DOSSIER_ERROR)
 * or memory ran out; the failure is logged, and the dossier should be
 * answered with 500, not 422.
 */
int dg_plugins_run(dg_plugin_registry_t *reg, const char *sector,
    json_t *root, time_t now, dg_problems_t *problems);

/*
 * For the admin view: [{"name", "version", "abi", "file", "sectors",
 * "enabled", "calls", "rejections", "problems", "failures",
 * "nanoseconds"}, ...].  Returns a new reference, or NULL.
 */
json_t *dg_plugins_json(const dg_plugin_registry_t *reg);

#endif /* DG_PLUGIN_H */
