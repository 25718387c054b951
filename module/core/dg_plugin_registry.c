/*
 * Loaded plugins: their counters and switch, the registry that runs them
 * in order over a dossier, and its JSON view for the admin API.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dg_plugin_impl.h"


struct dg_plugin_registry_s {
    dg_plugin_t             **items;
    size_t                    n;
    size_t                    cap;
};

void
dg_plugin_set_counters(dg_plugin_t *plugin, dg_plugin_counters_t *c)
{
    plugin->counters = c != NULL ? c : &plugin->own;
}


void
dg_plugin_set_enabled(dg_plugin_t *plugin, int enabled)
{
    __atomic_store_n(&plugin->counters->disabled, (uint64_t) !enabled,
                     __ATOMIC_RELAXED);
}


const char *
dg_plugin_name(const dg_plugin_t *plugin)
{
    return plugin->name;
}


void
dg_plugin_info(const dg_plugin_t *plugin, dg_plugin_info_t *info)
{
    dg_plugin_counters_t  *c;

    c = plugin->counters;

    info->name = plugin->name;
    info->version = plugin->version;
    info->file = plugin->file;
    info->sectors = plugin->sectors;
    info->abi_major = plugin->abi_major;
    info->abi_minor = plugin->abi_minor;

    info->counters.calls = __atomic_load_n(&c->calls, __ATOMIC_RELAXED);
    info->counters.rejections = __atomic_load_n(&c->rejections,
                                                __ATOMIC_RELAXED);
    info->counters.problems = __atomic_load_n(&c->problems, __ATOMIC_RELAXED);
    info->counters.failures = __atomic_load_n(&c->failures, __ATOMIC_RELAXED);
    info->counters.nanoseconds = __atomic_load_n(&c->nanoseconds,
                                                 __ATOMIC_RELAXED);
    info->counters.disabled = __atomic_load_n(&c->disabled, __ATOMIC_RELAXED);
    info->enabled = info->counters.disabled == 0;
}


int
dg_plugin_serves(const dg_plugin_t *plugin, const char *sector)
{
    if (sector == NULL) {
        return 0;
    }

    return strcmp(plugin->sectors, "*") == 0
           || dg_host_list_has(plugin->sectors, sector, strlen(sector));
}

/* The registry. */

dg_plugin_registry_t *
dg_plugins_create(void)
{
    return calloc(1, sizeof(dg_plugin_registry_t));
}


void
dg_plugins_free(dg_plugin_registry_t *reg)
{
    if (reg == NULL) {
        return;
    }

    while (reg->n > 0) {
        dg_plugin_unload(reg->items[--reg->n]);
    }

    free(reg->items);
    free(reg);
}


int
dg_plugins_add(dg_plugin_registry_t *reg, dg_plugin_t *plugin, char *err,
    size_t errlen)
{
    size_t         cap;
    dg_plugin_t  **items;

    if (dg_plugins_find(reg, plugin->name) != NULL) {
        dg_plugin_error(err, errlen,
                        "plugin \"%s\" (%s): a plugin of that name is "
                        "already loaded", plugin->name, plugin->file);
        return -1;
    }

    if (reg->n == reg->cap) {
        cap = reg->cap ? reg->cap * 2 : 8;
        items = realloc(reg->items, cap * sizeof(dg_plugin_t *));

        if (items == NULL) {
            dg_plugin_error(err, errlen, "plugin \"%s\" (%s): out of memory",
                            plugin->name, plugin->file);
            return -1;
        }

        reg->items = items;
        reg->cap = cap;
    }

    reg->items[reg->n++] = plugin;

    return 0;
}


size_t
dg_plugins_count(const dg_plugin_registry_t *reg)
{
    return reg->n;
}


dg_plugin_t *
dg_plugins_get(const dg_plugin_registry_t *reg, size_t i)
{
    return i < reg->n ? reg->items[i] : NULL;
}


dg_plugin_t *
dg_plugins_find(const dg_plugin_registry_t *reg, const char *name)
{
    size_t  i;

    for (i = 0; i < reg->n; i++) {
        if (strcmp(reg->items[i]->name, name) == 0) {
            return reg->items[i];
        }
    }

    return NULL;
}


static uint64_t
dg_plugin_clock(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}


int
dg_plugins_run(dg_plugin_registry_t *reg, const char *sector, json_t *root,
    time_t now, dg_problems_t *problems)
{
    int                    rc, added;
    size_t                 i;
    uint64_t               start;
    dg_plugin_t           *plugin;
    dossier_doc_t          doc;
    dg_plugin_counters_t  *c;

    added = 0;

    for (i = 0; i < reg->n; i++) {
        plugin = reg->items[i];
        c = plugin->counters;

        if (!dg_plugin_serves(plugin, sector)
            || __atomic_load_n(&c->disabled, __ATOMIC_RELAXED) != 0)
        {
            continue;
        }

        memset(&doc, 0, sizeof(dossier_doc_t));
        doc.plugin = plugin;
        doc.root = root;
        doc.now = (int64_t) now;
        doc.sector = sector;
        doc.problems = problems;

        start = dg_plugin_clock();
        rc = plugin->def->validate(plugin->state, &dg_plugin_host, &doc);

        __atomic_fetch_add(&c->nanoseconds, dg_plugin_clock() - start,
                           __ATOMIC_RELAXED);
        __atomic_fetch_add(&c->calls, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&c->problems, doc.reported, __ATOMIC_RELAXED);

        if (doc.reported != 0) {
            __atomic_fetch_add(&c->rejections, 1, __ATOMIC_RELAXED);
        }

        added += (int) doc.reported;

        if (rc != DOSSIER_OK || doc.failed) {
            __atomic_fetch_add(&c->failures, 1, __ATOMIC_RELAXED);
            dg_plugin_log(plugin, DOSSIER_LOG_ERROR, "validate failed (%s)",
                          doc.failed ? "out of memory reporting a problem"
                                     : "it returned an error");
            return -1;
        }
    }

    return added;
}


json_t *
dg_plugins_json(const dg_plugin_registry_t *reg)
{
    char              abi[32];
    size_t            i;
    json_t           *list, *item;
    dg_plugin_info_t  info;

    list = json_array();
    if (list == NULL) {
        return NULL;
    }

    for (i = 0; i < reg->n; i++) {
        dg_plugin_info(reg->items[i], &info);
        snprintf(abi, sizeof(abi), "%u.%u", info.abi_major, info.abi_minor);

        item = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I,"
                         " s:I}",
                         "name", info.name, "version", info.version,
                         "abi", abi, "file", info.file,
                         "sectors", info.sectors, "enabled", info.enabled,
                         "calls", (json_int_t) info.counters.calls,
                         "rejections", (json_int_t) info.counters.rejections,
                         "problems", (json_int_t) info.counters.problems,
                         "failures", (json_int_t) info.counters.failures,
                         "nanoseconds",
                         (json_int_t) info.counters.nanoseconds);

        if (item == NULL || json_array_append_new(list, item) != 0) {
            json_decref(list);
            return NULL;
        }
    }

    return list;
}

