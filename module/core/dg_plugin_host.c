/*
 * The host side of dossier_plugin.h: the table of functions every plugin
 * is given (configuration, reading the dossier, reporting problems,
 * helpers) and the log sink its messages go to.
 */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_dossier.h"
#include "dg_json.h"
#include "dg_plugin_impl.h"


static dg_plugin_log_pt  dg_plugin_log_handler;
static void             *dg_plugin_log_data;


void
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


void
dg_plugin_log(const dg_plugin_t *plugin, int level, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    dg_plugin_logv(plugin, level, fmt, args);
    va_end(args);
}


/* Host table: configuration. */

const char *
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


/* 1 when the dossier already has all the problems one plugin may report. */
static int
dg_host_full(dossier_doc_t *doc)
{
    dg_plugin_t  *plugin;

    if (doc->reported < DG_PLUGIN_MAX_PROBLEMS) {
        return 0;
    }

    plugin = doc->plugin;

    if (!plugin->warned) {
        plugin->warned = 1;
        dg_plugin_log(plugin, DOSSIER_LOG_WARN,
                      "more than %d problems on one dossier, "
                      "the rest are dropped", DG_PLUGIN_MAX_PROBLEMS);
    }

    return 1;
}


/*
 * Where report and report_text meet: the code prefixed, the pointer
 * checked, both messages (already cut to size) cleaned, the problem added.
 */
static int
dg_host_add(dossier_doc_t *doc, const char *pointer, const char *code,
    char *vi, char *en)
{
    char          full[DG_PLUGIN_NAME_MAX + 128];
    dg_plugin_t  *plugin;

    plugin = doc->plugin;

    if (dg_plugin_code(plugin, code, full, sizeof(full)) && !plugin->warned) {
        plugin->warned = 1;
        dg_plugin_log(plugin, DOSSIER_LOG_WARN,
                      "error code \"%s\" is not [a-z0-9_.], reported as "
                      "\"%s\"", code, full);
    }

    if (pointer == NULL || (pointer[0] != '/' && pointer[0] != '\0')) {
        pointer = "";
    }

    /* a character cut by vsnprintf is dropped, not shown as '?' */
    dg_utf8_clean(vi);
    dg_utf8_clean(en);

    if (dg_problems_put(doc->problems, pointer, full, vi, en) != 0)
    {
        doc->failed = 1;
        return DOSSIER_ERROR;
    }

    doc->reported++;

    return DOSSIER_OK;
}


static int
dg_host_report(dossier_doc_t *doc, const char *pointer, const char *code,
    const char *vi_fmt, const char *en_fmt, ...)
{
    char     vi[DG_PLUGIN_MESSAGE_MAX], en[DG_PLUGIN_MESSAGE_MAX];
    va_list  args, copy;

    if (doc == NULL) {
        return DOSSIER_ERROR;
    }

    if (dg_host_full(doc)) {
        return DOSSIER_OK;
    }

    va_start(args, en_fmt);
    va_copy(copy, args);
    vsnprintf(vi, sizeof(vi), vi_fmt != NULL ? vi_fmt : "", args);
    vsnprintf(en, sizeof(en), en_fmt != NULL ? en_fmt : "", copy);
    va_end(copy);
    va_end(args);

    return dg_host_add(doc, pointer, code, vi, en);
}


static int
dg_host_report_text(dossier_doc_t *doc, const char *pointer,
    const char *code, const char *vi_text, const char *en_text)
{
    char  vi[DG_PLUGIN_MESSAGE_MAX], en[DG_PLUGIN_MESSAGE_MAX];

    if (doc == NULL) {
        return DOSSIER_ERROR;
    }

    if (dg_host_full(doc)) {
        return DOSSIER_OK;
    }

    snprintf(vi, sizeof(vi), "%s", vi_text != NULL ? vi_text : "");
    snprintf(en, sizeof(en), "%s", en_text != NULL ? en_text : "");

    return dg_host_add(doc, pointer, code, vi, en);
}


static int
dg_host_expect(dossier_doc_t *doc, const char *pointer, int type,
    int required)
{
    int                 t;
    static const char  *expected[][2] = {
        { "Cần không có", "expected nothing" },
        { "Cần null", "expected null" },
        { "Cần giá trị đúng/sai", "expected a boolean" },
        { "Cần số nguyên", "expected an integer" },
        { "Cần số", "expected a number" },
        { "Cần chuỗi", "expected a string" },
        { "Cần mảng", "expected an array" },
        { "Cần đối tượng", "expected an object" },
        { "Cần số", "expected a number" }
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

        dg_host_report_text(doc, pointer, "type", expected[type][0],
                            expected[type][1]);

    } else if (required) {
        dg_host_report_text(doc, pointer, "required",
                            "Thiếu trường bắt buộc",
                            "required field missing");
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


int
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


const dossier_plugin_host_t  dg_plugin_host = {
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
    dg_host_list_has,
    dg_host_report_text
};
