/*
 * The plugin loader: the file's owner and mode, dlopen, the magic block
 * checked against this gateway's ABI before any plugin code runs, the
 * settings, the sectors, init; and unloading.
 */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dg_plugin_impl.h"


static void
dg_plugin_free_config(dossier_ctx_t *ctx)
{
    size_t  i;

    for (i = 0; i < ctx->n; i++) {
        free(ctx->keys[i]);
    }

    free(ctx->keys);
    free(ctx->values);
    free(ctx->used);

    ctx->keys = NULL;
    ctx->values = NULL;
    ctx->used = NULL;
    ctx->n = 0;
}


/* Splits "key=value" strings; keys[i] and values[i] share one allocation. */
static int
dg_plugin_parse_config(dossier_ctx_t *ctx, const char *path,
    const char *const *kv, size_t nkv, char *err, size_t errlen)
{
    char    *copy, *eq;
    size_t   i, j;

    if (nkv == 0) {
        return 0;
    }

    ctx->keys = calloc(nkv, sizeof(char *));
    ctx->values = calloc(nkv, sizeof(char *));
    ctx->used = calloc(nkv, 1);

    if (ctx->keys == NULL || ctx->values == NULL || ctx->used == NULL) {
        dg_plugin_error(err, errlen, "plugin file %s: out of memory", path);
        return -1;
    }

    for (i = 0; i < nkv; i++) {
        eq = kv[i] != NULL ? strchr(kv[i], '=') : NULL;

        if (eq == NULL || eq == kv[i]) {
            dg_plugin_error(err, errlen,
                            "plugin file %s: setting \"%s\" is not "
                            "key=value", path, kv[i] ? kv[i] : "(null)");
            return -1;
        }

        copy = strdup(kv[i]);
        if (copy == NULL) {
            dg_plugin_error(err, errlen, "plugin file %s: out of memory",
                            path);
            return -1;
        }

        ctx->keys[ctx->n] = copy;
        copy[eq - kv[i]] = '\0';
        ctx->values[ctx->n] = copy + (eq - kv[i]) + 1;
        ctx->n++;

        for (j = 0; j + 1 < ctx->n; j++) {
            if (strcmp(ctx->keys[j], copy) == 0) {
                dg_plugin_error(err, errlen,
                                "plugin file %s: setting \"%s\" given twice",
                                path, copy);
                return -1;
            }
        }
    }

    return 0;
}


/*
 * 1 when the object mapped at addr is the file st describes, 0 when it is
 * another one, -1 when /proc cannot tell.
 */
static int
dg_plugin_mapped_from(const void *addr, const struct stat *st)
{
    int            rc;
    FILE          *f;
    char          *line;
    size_t         size;
    unsigned       major, minor;
    unsigned long  lo, hi, inode;

    f = fopen("/proc/self/maps", "re");
    if (f == NULL) {
        return -1;
    }

    rc = -1;
    line = NULL;
    size = 0;

    while (getline(&line, &size, f) != -1) {
        if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu", &lo, &hi, &major,
                   &minor, &inode)
            != 5)
        {
            continue;
        }

        if ((uintptr_t) addr >= lo && (uintptr_t) addr < hi) {
            rc = makedev(major, minor) == st->st_dev
                 && (ino_t) inode == st->st_ino;
            break;
        }
    }

    free(line);
    fclose(f);

    return rc;
}


/* Who besides root may own plugin files; -1: the effective user. */
static uid_t  dg_plugin_owner = (uid_t) -1;


void
dg_plugin_set_owner(uid_t uid)
{
    dg_plugin_owner = uid;
}


/* "uid 33 (www-data)" */
static const char *
dg_plugin_user(uid_t uid, char *buf, size_t size)
{
    struct passwd  *pw;

    pw = getpwuid(uid);
    snprintf(buf, size, "uid %u (%s)", (unsigned) uid,
             pw != NULL ? pw->pw_name : "no such user");

    return buf;
}


/*
 * The checks secret files get: whoever may write the plugin, or replace
 * it in its directory, chooses the code the gateway runs as root.
 */
static int
dg_plugin_check_file(const char *path, char *err, size_t errlen)
{
    char         dir[4096], who[128], worker[128];
    uid_t        owner;
    const char  *slash;
    struct stat  st;

    if (stat(path, &st) == -1) {
        dg_plugin_error(err, errlen, "plugin file %s: %s", path,
                        strerror(errno));
        return -1;
    }

    if (!S_ISREG(st.st_mode)) {
        dg_plugin_error(err, errlen, "plugin file %s: not a regular file",
                        path);
        return -1;
    }

    if (st.st_mode & S_IWOTH) {
        dg_plugin_error(err, errlen,
                        "plugin file %s: writable by any user (mode %04o); "
                        "make it writable by its owner only (chmod go-w)",
                        path, (unsigned) (st.st_mode & 07777));
        return -1;
    }

    owner = dg_plugin_owner != (uid_t) -1 ? dg_plugin_owner : geteuid();

    if (st.st_uid != 0 && st.st_uid != owner) {
        dg_plugin_error(err, errlen,
                        "plugin file %s: owned by %s, not by root or the "
                        "worker user %s; chown it to one of them", path,
                        dg_plugin_user(st.st_uid, who, sizeof(who)),
                        dg_plugin_user(owner, worker, sizeof(worker)));
        return -1;
    }

    slash = strrchr(path, '/');

    if (slash == NULL) {
        snprintf(dir, sizeof(dir), ".");

    } else {
        snprintf(dir, sizeof(dir), "%.*s",
                 (int) (slash == path ? 1 : slash - path), path);
    }

    /* anyone could put another file in its place, unless sticky (/tmp) */
    if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH)
        && !(st.st_mode & S_ISVTX))
    {
        dg_plugin_error(err, errlen,
                        "plugin file %s: its directory %s is writable by any "
                        "user (mode %04o), who could replace the file; "
                        "chmod o-w it", path, dir,
                        (unsigned) (st.st_mode & 07777));
        return -1;
    }

    return 0;
}


typedef const dossier_plugin_magic_t *(*dg_plugin_magic_pt)(void);


static dg_plugin_magic_pt
dg_plugin_dlopen(dg_plugin_t *plugin, const char *name, const char *path,
    char *err, size_t errlen)
{
    dg_plugin_magic_pt  magic;

    plugin->handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);

    if (plugin->handle == NULL) {
        dg_plugin_error(err, errlen, "plugin file %s: %s", path, dlerror());
        return NULL;
    }

    *(void **) &magic = dlsym(plugin->handle, "dossier_plugin_magic");

    if (magic == NULL) {
        dg_plugin_error(err, errlen,
                        "plugin file %s: no dossier_plugin_magic symbol, "
                        "not a dossier plugin", path);
    }

    return magic;
}


/*
 * dlopen by name hands back an object already loaded under that name even
 * when the file has since been replaced (a rebuilt plugin on reload, while
 * the old configuration still holds the old copy).  A plugin found to be
 * stale is opened again through a descriptor of the current file, whose
 * /proc/self/fd name no loaded object carries; the descriptor stays open
 * while the plugin is loaded, so that name stays unique.
 */
static dg_plugin_magic_pt
dg_plugin_open(dg_plugin_t *plugin, const char *path, char *err,
    size_t errlen)
{
    char                byfd[64];
    struct stat         st;
    dg_plugin_magic_pt  magic;

    magic = dg_plugin_dlopen(plugin, path, path, err, errlen);

    if (magic == NULL || stat(path, &st) == -1
        || dg_plugin_mapped_from((const void *) magic, &st) != 0)
    {
        return magic;
    }

    dlclose(plugin->handle);
    plugin->handle = NULL;

    plugin->fd = open(path, O_RDONLY | O_CLOEXEC);

    if (plugin->fd == -1 || fstat(plugin->fd, &st) == -1) {
        dg_plugin_error(err, errlen, "plugin file %s: %s", path,
                        strerror(errno));
        return NULL;
    }

    snprintf(byfd, sizeof(byfd), "/proc/self/fd/%d", plugin->fd);

    magic = dg_plugin_dlopen(plugin, byfd, path, err, errlen);

    if (magic == NULL || dg_plugin_mapped_from((const void *) magic, &st) != 0)
    {
        return magic;
    }

    dg_plugin_error(err, errlen,
                    "plugin file %s: changed on disk, but the copy already "
                    "loaded could not be replaced; restart the gateway", path);
    return NULL;
}


/*
 * The sizes each minor of this major defined: a plugin's structures must
 * have exactly the sizes of the minor it was built for.
 */
static const struct {
    size_t  host;
    size_t  plugin;
} dg_plugin_abi_sizes[] = {
    /* 1.0: the host table ended with list_has */
    { offsetof(dossier_plugin_host_t, report_text), sizeof(dossier_plugin_t) },
    /* 1.1: report_text */
    { sizeof(dossier_plugin_host_t), sizeof(dossier_plugin_t) }
};

_Static_assert(sizeof(dg_plugin_abi_sizes) / sizeof(dg_plugin_abi_sizes[0])
               == DOSSIER_PLUGIN_ABI_MINOR + 1,
               "one dg_plugin_abi_sizes entry per minor");


static int
dg_plugin_check_size(const dg_plugin_t *plugin, const char *what,
    unsigned theirs, size_t ours, char *err, size_t errlen)
{
    if (theirs == ours) {
        return 0;
    }

    dg_plugin_error(err, errlen,
                    "plugin \"%s\" (%s): built for plugin ABI %u.%u with a "
                    "%s of %u bytes, but ABI %u.%u has %zu (this gateway "
                    "provides %d.%d); rebuild it with this gateway's "
                    "dossier_plugin.h",
                    plugin->name, plugin->file, plugin->abi_major,
                    plugin->abi_minor, what, theirs, plugin->abi_major,
                    plugin->abi_minor, ours, DOSSIER_PLUGIN_ABI_MAJOR,
                    DOSSIER_PLUGIN_ABI_MINOR);
    return -1;
}


/* A name the plugin gave, fit for a message: quoted, printable, cut. */
static const char *
dg_plugin_quote(const char *name, char *buf, size_t size)
{
    size_t  i, n;

    if (name == NULL) {
        return "(none)";
    }

    n = 0;
    buf[n++] = '"';

    for (i = 0; name[i] != '\0' && n + 5 < size; i++) {
        buf[n++] = (name[i] >= 0x20 && name[i] < 0x7f && name[i] != '"'
                    && name[i] != '\\') ? name[i] : '?';
    }

    buf[n++] = '"';
    buf[n] = '\0';

    if (name[i] != '\0') {
        memcpy(buf + n - 1, "...\"", 5);
    }

    return buf;
}


static int
dg_plugin_check_magic(dg_plugin_t *plugin, const dossier_plugin_magic_t *m,
    char *err, size_t errlen)
{
    char         quoted[DG_PLUGIN_NAME_MAX + 8];
    size_t       n;
    const char  *s;

    if (m == NULL || m->magic != DOSSIER_PLUGIN_MAGIC_NUMBER) {
        dg_plugin_error(err, errlen,
                        "plugin file %s: dossier_plugin_magic() returned no "
                        "magic block, not a dossier plugin", plugin->file);
        return -1;
    }

    n = m->name != NULL ? strnlen(m->name, DG_PLUGIN_NAME_MAX + 1) : 0;

    for (s = m->name; s != NULL && *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')
              || *s == '_'))
        {
            break;
        }
    }

    if (n == 0 || n > DG_PLUGIN_NAME_MAX || *s != '\0') {
        dg_plugin_error(err, errlen,
                        "plugin file %s: the plugin name %s is not 1 to %d "
                        "characters of [a-z0-9_]", plugin->file,
                        dg_plugin_quote(m->name, quoted, sizeof(quoted)),
                        DG_PLUGIN_NAME_MAX);
        return -1;
    }

    plugin->name = strdup(m->name);
    plugin->version = strdup(m->version != NULL ? m->version : "");

    if (plugin->name == NULL || plugin->version == NULL) {
        dg_plugin_error(err, errlen, "plugin file %s: out of memory",
                        plugin->file);
        return -1;
    }

    plugin->abi_major = m->abi_major;
    plugin->abi_minor = m->abi_minor;

    if (m->abi_major != DOSSIER_PLUGIN_ABI_MAJOR
        || m->abi_minor > DOSSIER_PLUGIN_ABI_MINOR)
    {
        dg_plugin_error(err, errlen,
                        "plugin \"%s\" (%s): built for plugin ABI %u.%u, "
                        "this gateway provides %d.%d", plugin->name,
                        plugin->file, plugin->abi_major, plugin->abi_minor,
                        DOSSIER_PLUGIN_ABI_MAJOR, DOSSIER_PLUGIN_ABI_MINOR);
        return -1;
    }

    /* abi_minor is at most ours here */
    if (dg_plugin_check_size(plugin, "pointer", m->pointer_size,
                             sizeof(void *), err, errlen) != 0
        || dg_plugin_check_size(plugin, "magic block", m->magic_size,
                                sizeof(dossier_plugin_magic_t),
                                err, errlen) != 0
        || dg_plugin_check_size(plugin, "host table", m->host_size,
                                dg_plugin_abi_sizes[m->abi_minor].host,
                                err, errlen) != 0
        || dg_plugin_check_size(plugin, "plugin definition", m->plugin_size,
                                dg_plugin_abi_sizes[m->abi_minor].plugin,
                                err, errlen) != 0)
    {
        return -1;
    }

    plugin->def = m->plugin;

    s = plugin->def == NULL ? "definition"
        : plugin->def->init == NULL ? "init function"
        : plugin->def->validate == NULL ? "validate function"
        : plugin->def->sectors == NULL || plugin->def->sectors[0] == '\0'
          ? "sector list" : NULL;

    if (s != NULL) {
        dg_plugin_error(err, errlen, "plugin \"%s\" (%s): no %s",
                        plugin->name, plugin->file, s);
        return -1;
    }

    return 0;
}


/* The sectors to run for: the "sector" setting, each one declared. */
static int
dg_plugin_choose_sectors(dg_plugin_t *plugin, char *err, size_t errlen)
{
    const char  *declared, *chosen, *p, *end;

    declared = plugin->def->sectors;
    chosen = dg_host_config_get(&plugin->ctx, "sector");

    if (chosen == NULL) {
        chosen = declared;

    } else if (strcmp(declared, "*") != 0) {
        for (p = chosen; ; p = end + 1) {
            end = strchr(p, ',');
            if (end == NULL) {
                end = p + strlen(p);
            }

            if (end == p || !dg_host_list_has(declared, p, end - p)) {
                dg_plugin_error(err, errlen,
                                "plugin \"%s\" (%s): sector=%s: it serves "
                                "only %s", plugin->name, plugin->file,
                                chosen, declared);
                return -1;
            }

            if (*end == '\0') {
                break;
            }
        }
    }

    plugin->sectors = strdup(chosen);

    if (plugin->sectors == NULL) {
        dg_plugin_error(err, errlen, "plugin file %s: out of memory",
                        plugin->file);
        return -1;
    }

    return 0;
}


static int
dg_plugin_init(dg_plugin_t *plugin, char *err, size_t errlen)
{
    char            perr[DG_PLUGIN_ERR_MAX];
    size_t          i;
    dossier_ctx_t  *ctx;

    ctx = &plugin->ctx;
    perr[0] = '\0';

    if (plugin->def->init(&dg_plugin_host, ctx, &plugin->state, perr,
                          sizeof(perr))
        != DOSSIER_OK)
    {
        /* the plugin's own words first, then what the host noted */
        perr[sizeof(perr) - 1] = '\0';
        dg_plugin_error(err, errlen, "plugin \"%s\" (%s): init failed: %s",
                        plugin->name, plugin->file,
                        perr[0] != '\0' ? perr
                        : ctx->err[0] != '\0' ? ctx->err : "no reason given");
        return -1;
    }

    for (i = 0; i < ctx->n; i++) {
        if (!ctx->used[i]) {
            dg_plugin_error(err, errlen,
                            "plugin \"%s\" (%s): unknown setting \"%s\"",
                            plugin->name, plugin->file, ctx->keys[i]);

            if (plugin->def->fini != NULL) {
                plugin->def->fini(plugin->state, &dg_plugin_host);
            }

            return -1;
        }
    }

    return 0;
}


dg_plugin_t *
dg_plugin_load(const char *path, const char *const *kv, size_t nkv,
    char *err, size_t errlen)
{
    dg_plugin_t         *plugin;
    dg_plugin_magic_pt   magic;

    if (path == NULL || (nkv != 0 && kv == NULL)) {
        dg_plugin_error(err, errlen, "plugin: no file or no settings given");
        return NULL;
    }

    plugin = calloc(1, sizeof(dg_plugin_t));
    if (plugin == NULL) {
        dg_plugin_error(err, errlen, "plugin file %s: out of memory", path);
        return NULL;
    }

    plugin->fd = -1;
    plugin->ctx.plugin = plugin;
    plugin->counters = &plugin->own;
    plugin->file = strdup(path);

    if (plugin->file == NULL) {
        dg_plugin_error(err, errlen, "plugin file %s: out of memory", path);
        goto failed;
    }

    if (dg_plugin_parse_config(&plugin->ctx, path, kv, nkv, err, errlen)
        != 0)
    {
        goto failed;
    }

    magic = dg_plugin_check_file(path, err, errlen) == 0
            ? dg_plugin_open(plugin, path, err, errlen) : NULL;

    /* the magic block is checked before any other plugin code runs */
    if (magic == NULL
        || dg_plugin_check_magic(plugin, magic(), err, errlen) != 0
        || dg_plugin_choose_sectors(plugin, err, errlen) != 0
        || dg_plugin_init(plugin, err, errlen) != 0)
    {
        goto failed;
    }

    dg_plugin_free_config(&plugin->ctx);

    return plugin;

failed:

    /* fini is only for a plugin whose init succeeded */
    plugin->def = NULL;
    dg_plugin_unload(plugin);
    return NULL;
}


void
dg_plugin_unload(dg_plugin_t *plugin)
{
    if (plugin == NULL) {
        return;
    }

    if (plugin->def != NULL && plugin->def->fini != NULL) {
        plugin->def->fini(plugin->state, &dg_plugin_host);
    }

    if (plugin->handle != NULL) {
        dlclose(plugin->handle);
    }

    if (plugin->fd != -1) {
        close(plugin->fd);
    }

    dg_plugin_free_config(&plugin->ctx);
    free(plugin->name);
    free(plugin->version);
    free(plugin->file);
    free(plugin->sectors);
    free(plugin);
}
