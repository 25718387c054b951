/*
 * What the three plugin files share: the host table (dg_plugin_host.c),
 * the loader (dg_plugin_loader.c) and the registry (dg_plugin_registry.c).
 * Not for use outside module/core/dg_plugin_*.c: the rest of the gateway
 * sees dg_plugin.h only.
 */

#ifndef DG_PLUGIN_IMPL_H
#define DG_PLUGIN_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "dossier_plugin.h"
#include "dg_plugin.h"
#include "dg_problem.h"

#define DG_PLUGIN_NAME_MAX     64
#define DG_PLUGIN_MESSAGE_MAX  512
#define DG_PLUGIN_ERR_MAX      256


struct dossier_ctx_s {
    dg_plugin_t          *plugin;

    /* the configuration, during init only */
    char                **keys;
    char                **values;
    unsigned char        *used;
    size_t                n;
    char                  err[DG_PLUGIN_ERR_MAX];
};

struct dossier_doc_s {
    dg_plugin_t          *plugin;
    json_t               *root;
    int64_t               now;
    const char           *sector;
    dg_problems_t        *problems;
    size_t                reported;
    int                   failed;
};

struct dg_plugin_s {
    dossier_ctx_t            ctx;
    void                    *handle;
    int                      fd;        /* held while loaded by fd, or -1 */
    const dossier_plugin_t  *def;
    dossier_state_t         *state;
    char                    *name;
    char                    *version;
    char                    *file;
    char                    *sectors;
    unsigned                 abi_major;
    unsigned                 abi_minor;
    int                      warned;    /* a bad code or too many problems */
    dg_plugin_counters_t     own;
    dg_plugin_counters_t    *counters;
};


/* The host table every plugin is given, whatever minor it was built for. */
extern const dossier_plugin_host_t  dg_plugin_host;

/* A message into err (which may be NULL), printf style. */
void dg_plugin_error(char *err, size_t errlen, const char *fmt, ...)
    DOSSIER_PLUGIN_PRINTF(3, 4);

/* A line of the plugin's into the log sink of dg_plugin_set_log. */
void dg_plugin_log(const dg_plugin_t *plugin, int level, const char *fmt,
    ...) DOSSIER_PLUGIN_PRINTF(3, 4);

/* The host functions the loader and the registry use themselves. */
const char *dg_host_config_get(dossier_ctx_t *ctx, const char *key);
int dg_host_list_has(const char *list, const char *item, size_t len);

#endif /* DG_PLUGIN_IMPL_H */
