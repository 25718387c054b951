/*
 * Plugin loader, registry and the host side of dossier_plugin.h.
 */

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dossier_plugin.h"
#include "dg_dossier.h"
#include "dg_json.h"
#include "dg_plugin.h"

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

struct dg_plugin_registry_s {
    dg_plugin_t             **items;
    size_t                    n;
    size_t                    cap;
};


static void dg_plugin_error(char *err, size_t errlen, const char *fmt, ...)
    DOSSIER_PLUGIN_PRINTF(3, 4);
static void dg_plugin_log(const dg_plugin_t *plugin, int level,
    const char *fmt, ...) DOSSIER_PLUGIN_PRINTF(3, 4);


static dg_plugin_log_pt  dg_plugin_log_handler;
static void             *dg_plugin_log_data;


static void
dg_plugin_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err == NULL || errlen == 0) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


static void
dg_plugin_log_default(void *data, int level, const char *plugin,
    const char *message)
{
    static const char  *levels[] = { "error", "warn", "info", "debug" };

    fprintf(stderr, "dossier plugin %s: [%s] %s\n", plugin,
            levels[level < 0 || level > 3 ? 0 : level], message);
}


void
dg_plugin_set_log(dg_plugin_log_pt handler, void *data)
{
    dg_plugin_log_handler = handler;
    dg_plugin_log_data = data;
}


static void
dg_plugin_logv(const dg_plugin_t *plugin, int level, const char *fmt,
    va_list args)
{
    char  msg[DG_PLUGIN_MESSAGE_MAX];

    vsnprintf(msg, sizeof(msg), fmt, args);

    if (dg_plugin_log_handler != NULL) {
        dg_plugin_log_handler(dg_plugin_log_data, level, plugin->name, msg);

    } else {
        dg_plugin_log_default(NULL, level, plugin->name, msg);
    }
}


static void
dg_plugin_log(const dg_plugin_t *plugin, int level, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    dg_plugin_logv(plugin, level, fmt, args);
    va_end(args);
}


/* Host table: configuration. */

static const char *
dg_host_config_get(dossier_ctx_t *ctx, const char *key)
{
    size_t  i;

    if (ctx == NULL || key == NULL) {
        return NULL;
    }

    for (i = 0; i < ctx->n; i++) {
        if (strcmp(ctx->keys[i], key) == 0) {
            ctx->used[i] = 1;
            return ctx->values[i];
        }
    }

    return NULL;
}


static int
dg_host_config_integer(dossier_ctx_t *ctx, const char *key, long long def,
    long long min, long long max, long long *out)
{
    char        *end;
    long long    v;
    const char  *s;

    s = dg_host_config_get(ctx, key);
    if (s == NULL) {
        *out = def;
        return DOSSIER_OK;
    }

    errno = 0;
    v = strtoll(s, &end, 10);

    if (errno != 0 || end == s || *end != '\0' || isspace((unsigned char) *s)
        || v < min || v > max)
    {
        dg_plugin_error(ctx->err, sizeof(ctx->err),
                        "setting %s=\"%s\": expected an integer "
                        "from %lld to %lld", key, s, min, max);
        return DOSSIER_ERROR;
    }

    *out = v;
    return DOSSIER_OK;
}


static int
dg_host_config_number(dossier_ctx_t *ctx, const char *key, double def,
    double min, double max, double *out)
{
    char        *end;
    double       v;
    const char  *s;

    s = dg_host_config_get(ctx, key);
    if (s == NULL) {
        *out = def;
        return DOSSIER_OK;
    }

    errno = 0;
    v = strtod(s, &end);

    if (errno != 0 || end == s || *end != '\0' || isspace((unsigned char) *s)
        || !isfinite(v) || v < min || v > max)
    {
        dg_plugin_error(ctx->err, sizeof(ctx->err),
                        "setting %s=\"%s\": expected a number "
                        "from %g to %g", key, s, min, max);
        return DOSSIER_ERROR;
    }

    *out = v;
    return DOSSIER_OK;
}


static void
dg_host_log(dossier_ctx_t *ctx, int level, const char *fmt, ...)
{
    va_list  args;

    if (ctx == NULL || fmt == NULL) {
        return;
    }

    va_start(args, fmt);
    dg_plugin_logv(ctx->plugin, level, fmt, args);
    va_end(args);
}


/* Host table: reading the dossier. */

static json_t *
dg_host_value(dossier_doc_t *doc, const char *pointer)
{
    if (doc == NULL || pointer == NULL) {
        return NULL;
    }

    return dg_json_pointer_get(doc->root, pointer);
}


static int
dg_host_type(dossier_doc_t *doc, const char *pointer)
{
    json_t  *v;

    v = dg_host_value(doc, pointer);
    if (v == NULL) {
        return DOSSIER_T_ABSENT;
    }

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return DOSSIER_T_OBJECT;
    case JSON_ARRAY:
        return DOSSIER_T_ARRAY;
    case JSON_STRING:
        return DOSSIER_T_STRING;
    case JSON_INTEGER:
        return DOSSIER_T_INTEGER;
    case JSON_REAL:
        return DOSSIER_T_REAL;
    case JSON_TRUE:
    case JSON_FALSE:
        return DOSSIER_T_BOOLEAN;
    default:
        return DOSSIER_T_NULL;
    }
}


static int
dg_host_get_string(dossier_doc_t *doc, const char *pointer, const char **s,
    size_t *len)
{
    json_t  *v;

    v = dg_host_value(doc, pointer);
    if (v == NULL) {
        return DOSSIER_ABSENT;
    }

    if (!json_is_string(v) || s == NULL) {
        return DOSSIER_WRONG_TYPE;
    }

    *s = json_string_value(v);

    if (len != NULL) {
        *len = json_string_length(v);
    }

    return DOSSIER_OK;
}


static int
dg_host_get_integer(dossier_doc_t *doc, const char *pointer, long long *out)
{
    json_t  *v;

    v = dg_host_value(doc, pointer);
    if (v == NULL) {
        return DOSSIER_ABSENT;
    }

    if (!json_is_integer(v) || out == NULL) {
        return DOSSIER_WRONG_TYPE;
    }

    *out = json_integer_value(v);
    return DOSSIER_OK;
}


static int
dg_host_get_boolean(dossier_doc_t *doc, const char *pointer, int *out)
{
    json_t  *v;

    v = dg_host_value(doc, pointer);
    if (v == NULL) {
        return DOSSIER_ABSENT;
    }

    if (!json_is_boolean(v) || out == NULL) {
        return DOSSIER_WRONG_TYPE;
    }

    *out = json_is_true(v);
    return DOSSIER_OK;
}


static int
dg_host_get_number(dossier_doc_t *doc, const char *pointer, double *out)
{
    json_t  *v;

    v = dg_host_value(doc, pointer);
    if (v == NULL) {
        return DOSSIER_ABSENT;
    }

    if (!json_is_number(v) || out == NULL) {
        return DOSSIER_WRONG_TYPE;
    }

    *out = json_number_value(v);
    return DOSSIER_OK;
}


static int
dg_host_array_size(dossier_doc_t *doc, const char *pointer, size_t *out)
{
    json_t  *v;

    v = dg_host_value(doc, pointer);
    if (v == NULL) {
        return DOSSIER_ABSENT;
    }

    if (!json_is_array(v) || out == NULL) {
        return DOSSIER_WRONG_TYPE;
    }

    *out = json_array_size(v);
    return DOSSIER_OK;
}


static int
dg_host_object_size(dossier_doc_t *doc, const char *pointer, size_t *out)
{
    json_t  *v;

    v = dg_host_value(doc, pointer);
    if (v == NULL) {
        return DOSSIER_ABSENT;
    }

    if (!json_is_object(v) || out == NULL) {
        return DOSSIER_WRONG_TYPE;
    }

    *out = json_object_size(v);
    return DOSSIER_OK;
}


static int
dg_host_member_name(dossier_doc_t *doc, const char *pointer, size_t index,
    const char **name)
{
    json_t      *v, *member;
    size_t       i;
    const char  *key;

    v = dg_host_value(doc, pointer);
    if (v == NULL) {
        return DOSSIER_ABSENT;
    }

    if (!json_is_object(v) || name == NULL) {
        return DOSSIER_WRONG_TYPE;
    }

    /* jansson keeps insertion order, which is document order */
    i = 0;
    json_object_foreach(v, key, member) {
        if (i++ == index) {
            *name = key;
            return DOSSIER_OK;
        }
    }

    return DOSSIER_ABSENT;
}


static int64_t
dg_host_now(dossier_doc_t *doc)
{
    return doc != NULL ? doc->now : 0;
}


static const char *
dg_host_sector(dossier_doc_t *doc)
{
    return doc != NULL ? doc->sector : NULL;
}


/*
 * "<name>." followed by code with upper case folded and anything outside
 * [a-z0-9_.] replaced with '_'.  Returns 1 when code had to be changed.
 */
static int
dg_plugin_code(const dg_plugin_t *plugin, const char *code, char *buf,
    size_t size)
{
    int          changed;
    size_t       n, i;
    unsigned     c;

    n = strlen(plugin->name);

    /* a code that already carries the prefix keeps it once */
    if (code != NULL && strncmp(code, plugin->name, n) == 0
        && code[n] == '.')
    {
        code += n + 1;
    }

    if (code == NULL || code[0] == '\0') {
        code = "error";
    }

    i = (size_t) snprintf(buf, size, "%s.", plugin->name);
    changed = 0;

    for ( /* void */ ; *code != '\0' && i + 1 < size; code++) {
        c = (unsigned char) *code;

        if (c >= 'A' && c <= 'Z') {
            c += 'a' - 'A';
            changed = 1;

        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                     || c == '_' || c == '.'))
        {
            c = '_';
            changed = 1;
        }

        buf[i++] = (char) c;
    }

    buf[i] = '\0';

    return changed || *code != '\0';
}


static int
dg_host_report(dossier_doc_t *doc, const char *pointer, const char *code,
    const char *vi_fmt, const char *en_fmt, ...)
{
    char          full[DG_PLUGIN_NAME_MAX + 128];
    char          vi[DG_PLUGIN_MESSAGE_MAX], en[DG_PLUGIN_MESSAGE_MAX];
    va_list       args, copy;
    dg_plugin_t  *plugin;

    if (doc == NULL) {
        return DOSSIER_ERROR;
    }

    plugin = doc->plugin;

    if (doc->reported == DG_PLUGIN_MAX_PROBLEMS) {
        if (!plugin->warned) {
            plugin->warned = 1;
            dg_plugin_log(plugin, DOSSIER_LOG_WARN,
                          "more than %d problems on one dossier, "
                          "the rest are dropped", DG_PLUGIN_MAX_PROBLEMS);
        }

        return DOSSIER_OK;
    }

    if (dg_plugin_code(plugin, code, full, sizeof(full)) && !plugin->warned) {
        plugin->warned = 1;
        dg_plugin_log(plugin, DOSSIER_LOG_WARN,
                      "error code \"%s\" is not [a-z0-9_.], reported as "
                      "\"%s\"", code, full);
    }

    if (pointer == NULL || (pointer[0] != '/' && pointer[0] != '\0')) {
        pointer = "";
    }

    va_start(args, en_fmt);
    va_copy(copy, args);
    vsnprintf(vi, sizeof(vi), vi_fmt != NULL ? vi_fmt : "", args);
    vsnprintf(en, sizeof(en), en_fmt != NULL ? en_fmt : "", copy);
    va_end(copy);
    va_end(args);

    /* a character cut by vsnprintf is dropped, not shown as '?' */
    dg_utf8_clean(vi);
    dg_utf8_clean(en);

    /* both formats take both strings; each shows its own */
    if (dg_problems_add(doc->problems, pointer, full, "%s%.0s", "%.0s%s",
                        vi, en)
        != 0)
    {
        doc->failed = 1;
        return DOSSIER_ERROR;
    }

    doc->reported++;

    return DOSSIER_OK;
}


static int
dg_host_expect(dossier_doc_t *doc, const char *pointer, int type,
    int required)
{
    int                 t;
    static const char  *names[][2] = {
        { "không có", "nothing" },
        { "null", "null" },
        { "giá trị đúng/sai", "a boolean" },
        { "số nguyên", "an integer" },
        { "số", "a number" },
        { "chuỗi", "a string" },
        { "mảng", "an array" },
        { "đối tượng", "an object" },
        { "số", "a number" }
    };

    t = dg_host_type(doc, pointer);

    if (t == type
        || (type == DOSSIER_T_NUMBER
            && (t == DOSSIER_T_INTEGER || t == DOSSIER_T_REAL)))
    {
        return 1;
    }

    if (t != DOSSIER_T_ABSENT) {
        if (type < 0 || type > DOSSIER_T_NUMBER) {
            type = DOSSIER_T_ABSENT;
        }

        dg_host_report(doc, pointer, "type", "Cần %s%.0s", "expected %.0s%s",
                       names[type][0], names[type][1]);

    } else if (required) {
        dg_host_report(doc, pointer, "required",
                       "Thiếu trường bắt buộc", "required field missing");
    }

    return 0;
}


/* Host table: helpers. */

static int
dg_host_date_parse(const char *s, size_t len, int64_t *out)
{
    int     rc;
    time_t  t;

    if (s == NULL || out == NULL) {
        return DOSSIER_WRONG_TYPE;
    }

    rc = dg_time_parse(s, len, &t);
    if (rc != 0) {
        return rc == -1 ? DOSSIER_WRONG_TYPE : DOSSIER_ERROR;
    }

    *out = (int64_t) t;
    return DOSSIER_OK;
}


static long
dg_host_date_ymd(int64_t t)
{
    time_t     local;
    struct tm  tm;

    local = (time_t) (t + DG_TZ_OFFSET_SECONDS);

    if (gmtime_r(&local, &tm) == NULL) {
        return 0;
    }

    return (tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}


static int
dg_host_cccd_birth_year(const char *id, size_t len)
{
    size_t  i;

    if (id == NULL || len != 12) {
        return -1;
    }

    for (i = 0; i < 12; i++) {
        if (id[i] < '0' || id[i] > '9') {
            return -1;
        }
    }

    if (!dg_cccd_province_known(id)) {
        return -1;
    }

    return dg_cccd_century(id) + (id[4] - '0') * 10 + id[5] - '0';
}


static int
dg_host_list_has(const char *list, const char *item, size_t len)
{
    const char  *end;

    if (list == NULL || item == NULL) {
        return 0;
    }

    for ( ;; ) {
        end = strchr(list, ',');
        if (end == NULL) {
            end = list + strlen(list);
        }

        if ((size_t) (end - list) == len && memcmp(list, item, len) == 0) {
            return 1;
        }

        if (*end == '\0') {
            return 0;
        }

        list = end + 1;
    }
}


static const dossier_plugin_host_t  dg_plugin_host = {
    sizeof(dossier_plugin_host_t),
    dg_host_config_get,
    dg_host_config_integer,
    dg_host_config_number,
    dg_host_log,
    dg_host_type,
    dg_host_get_string,
    dg_host_get_integer,
    dg_host_get_boolean,
    dg_host_get_number,
    dg_host_array_size,
    dg_host_object_size,
    dg_host_member_name,
    dg_host_now,
    dg_host_sector,
    dg_host_report,
    dg_host_expect,
    dg_host_date_parse,
    dg_host_date_ymd,
    dg_host_cccd_birth_year,
    dg_host_list_has
};


/* Loading. */

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


static int
dg_plugin_check_size(const dg_plugin_t *plugin, const char *what,
    unsigned theirs, size_t ours, int older_minor, char *err, size_t errlen)
{
    /* a plugin built for an older minor sees structures not yet appended */
    if (theirs == ours || (older_minor && theirs < ours)) {
        return 0;
    }

    dg_plugin_error(err, errlen,
                    "plugin \"%s\" (%s): built for plugin ABI %u.%u with a "
                    "%s of %u bytes, this gateway provides %d.%d with %zu "
                    "bytes; rebuild it with this gateway's dossier_plugin.h",
                    plugin->name, plugin->file, plugin->abi_major,
                    plugin->abi_minor, what, theirs, DOSSIER_PLUGIN_ABI_MAJOR,
                    DOSSIER_PLUGIN_ABI_MINOR, ours);
    return -1;
}


static int
dg_plugin_check_magic(dg_plugin_t *plugin, const dossier_plugin_magic_t *m,
    char *err, size_t errlen)
{
    int          older;
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
                        "plugin file %s: the plugin name must be 1 to %d "
                        "characters of [a-z0-9_]", plugin->file,
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
    older = m->abi_minor != DOSSIER_PLUGIN_ABI_MINOR;

    if (dg_plugin_check_size(plugin, "pointer", m->pointer_size,
                             sizeof(void *), 0, err, errlen) != 0
        || dg_plugin_check_size(plugin, "magic block", m->magic_size,
                                sizeof(dossier_plugin_magic_t), 0,
                                err, errlen) != 0
        || dg_plugin_check_size(plugin, "host table", m->host_size,
                                sizeof(dossier_plugin_host_t), older,
                                err, errlen) != 0
        || dg_plugin_check_size(plugin, "plugin definition", m->plugin_size,
                                sizeof(dossier_plugin_t), older,
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

    magic = dg_plugin_open(plugin, path, err, errlen);

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
