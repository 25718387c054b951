/*
 * dossier_plugin.h: the one header a dossier gateway plugin includes.
 *
 * A plugin is a shared object that adds a sector's validation rules to the
 * gateway.  It links no gateway or nginx symbol: everything it may call
 * arrives in the host table passed to init and validate, and everything the
 * gateway needs from it is reached through one exported function,
 * dossier_plugin_magic(), which DOSSIER_PLUGIN_MAGIC() defines.
 *
 * Compatibility promise
 *
 *   - The same DOSSIER_PLUGIN_ABI_MAJOR means binary compatible: a plugin
 *     built against 1.x loads into any gateway that provides 1.y, y >= x.
 *   - A minor increase only appends: new functions at the end of
 *     dossier_plugin_host_t, new optional callbacks at the end of
 *     dossier_plugin_t.  Nothing is removed, reordered or retyped.
 *   - A plugin records the minor it was built against, and a gateway of
 *     an older minor refuses it: a plugin may call every host function
 *     its header declares.  DOSSIER_PLUGIN_HOST_HAS(host, member) tells
 *     what the running gateway has, for code shared between builds.
 *   - 1.1 added report_text (two ready messages, no format).
 *   - The gateway refuses a plugin built for another major, for a newer
 *     minor, or whose structure sizes it does not recognise, before running
 *     any of its code (only ELF constructors run earlier, at dlopen: a
 *     plugin has none).
 *   - The first five members of dossier_plugin_magic_t keep their place in
 *     every version, so any gateway can name a plugin it refuses.
 *
 * Threads: a gateway worker calls a plugin from one thread; init and fini
 * run at configuration time.  Strings the host returns stay valid until
 * validate returns and are NUL-terminated (dossiers cannot contain \u0000).
 */

#ifndef DOSSIER_PLUGIN_H
#define DOSSIER_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DOSSIER_PLUGIN_ABI_MAJOR      1
#define DOSSIER_PLUGIN_ABI_MINOR      1

/* "DSPL": tells a dossier plugin from a symbol that only shares its name */
#define DOSSIER_PLUGIN_MAGIC_NUMBER   0x4453504cu

#if defined(__GNUC__)
#define DOSSIER_PLUGIN_EXPORT  __attribute__((visibility("default")))
#define DOSSIER_PLUGIN_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#else
#define DOSSIER_PLUGIN_EXPORT
#define DOSSIER_PLUGIN_PRINTF(f, a)
#endif


/* Return codes of host functions and plugin callbacks. */
#define DOSSIER_OK            0
#define DOSSIER_ERROR        -1     /* failure: out of memory, bad setting */
#define DOSSIER_ABSENT       -2     /* nothing at that pointer */
#define DOSSIER_WRONG_TYPE   -3     /* a value, but not of the asked type */

/* JSON value types, as host->type() reports them. */
#define DOSSIER_T_ABSENT      0
#define DOSSIER_T_NULL        1
#define DOSSIER_T_BOOLEAN     2
#define DOSSIER_T_INTEGER     3
#define DOSSIER_T_REAL        4
#define DOSSIER_T_STRING      5
#define DOSSIER_T_ARRAY       6
#define DOSSIER_T_OBJECT      7
#define DOSSIER_T_NUMBER      8     /* for expect: an integer or a real */

/* Log levels. */
#define DOSSIER_LOG_ERROR     0
#define DOSSIER_LOG_WARN      1
#define DOSSIER_LOG_INFO      2
#define DOSSIER_LOG_DEBUG     3


/* The dossier being validated; valid during one validate call. */
typedef struct dossier_doc_s    dossier_doc_t;

/* The host's side of one loaded plugin; valid from init until fini. */
typedef struct dossier_ctx_s    dossier_ctx_t;

/* The plugin's own state: each plugin defines struct dossier_state_s as it
 * likes; the host only carries the pointer init returns. */
typedef struct dossier_state_s  dossier_state_t;


typedef struct dossier_plugin_host_s  dossier_plugin_host_t;

/*
 * Pointers are RFC 6901 JSON Pointers into the dossier ("" is the whole
 * dossier, "/DuLieuChuyenNganh/SoTang" a member, "/A/0" an array item).
 * Getters return DOSSIER_OK, DOSSIER_ABSENT or DOSSIER_WRONG_TYPE and
 * leave *out untouched unless they return DOSSIER_OK.
 */
struct dossier_plugin_host_s {
    /* sizeof(dossier_plugin_host_t) in the gateway: always first */
    size_t        size;

    /*
     * Configuration: the key=value pairs of the plugin's nginx directive.
     * Only during init; copy the strings you keep.  The gateway refuses a
     * plugin whose init did not look up every configured key, so a
     * misspelt key is an error, not a silently ignored setting.  "sector"
     * is the gateway's own key (the sectors to run for) and needs no
     * lookup.
     */
    const char   *(*config_get)(dossier_ctx_t *ctx, const char *key);

    /* Integer setting in [min, max], def when absent.  On a bad value the
     * host records the reason and init should return DOSSIER_ERROR. */
    int           (*config_integer)(dossier_ctx_t *ctx, const char *key,
                      long long def, long long min, long long max,
                      long long *out);
    int           (*config_number)(dossier_ctx_t *ctx, const char *key,
                      double def, double min, double max, double *out);

    void          (*log)(dossier_ctx_t *ctx, int level, const char *fmt, ...)
                      DOSSIER_PLUGIN_PRINTF(3, 4);

    /* Reading the dossier. */
    int           (*type)(dossier_doc_t *doc, const char *pointer);
    int           (*get_string)(dossier_doc_t *doc, const char *pointer,
                      const char **s, size_t *len);
    int           (*get_integer)(dossier_doc_t *doc, const char *pointer,
                      long long *out);
    int           (*get_boolean)(dossier_doc_t *doc, const char *pointer,
                      int *out);
    /* an integer or a real */
    int           (*get_number)(dossier_doc_t *doc, const char *pointer,
                      double *out);
    int           (*array_size)(dossier_doc_t *doc, const char *pointer,
                      size_t *out);
    int           (*object_size)(dossier_doc_t *doc, const char *pointer,
                      size_t *out);
    /* the name of member number index (0-based, document order) */
    int           (*member_name)(dossier_doc_t *doc, const char *pointer,
                      size_t index, const char **name);

    /* The validation clock (Unix time) and the sector being validated. */
    int64_t       (*now)(dossier_doc_t *doc);
    const char   *(*sector)(dossier_doc_t *doc);

    /*
     * Reports one problem.  code is [a-z0-9_] words joined by '.'; the host
     * prefixes it with "<plugin name>." (other characters are replaced
     * with '_').  vi_fmt and en_fmt are printf formats that receive the
     * same arguments: write "%%" for a literal '%'.  Returns DOSSIER_OK, or
     * DOSSIER_ERROR when out of memory; the host remembers that failure
     * itself, so validate may ignore the result.  Messages are cut at 511
     * bytes; bytes that are not UTF-8 become '?'.  When the two messages
     * need different arguments, use report_text.
     */
    int           (*report)(dossier_doc_t *doc, const char *pointer,
                      const char *code, const char *vi_fmt,
                      const char *en_fmt, ...) DOSSIER_PLUGIN_PRINTF(4, 6);

    /*
     * 1 when the value at pointer has the type (a DOSSIER_T_* value).
     * Otherwise 0, after reporting "<plugin>.type" when a value of another
     * type is there, or "<plugin>.required" when there is none and
     * required is non-zero.
     */
    int           (*expect)(dossier_doc_t *doc, const char *pointer,
                      int type, int required);

    /*
     * Helpers, so plugins agree with the core rules.
     *
     * date_parse: yyyyMMdd or yyyyMMddHHmmss, Asia/Ho_Chi_Minh, to Unix
     * time; DOSSIER_WRONG_TYPE for a bad shape, DOSSIER_ERROR for a date
     * that does not exist.  date_ymd: Unix time to the calendar date
     * yyyymmdd (an integer) in Asia/Ho_Chi_Minh; full years between two
     * dates are (later - earlier) / 10000.  cccd_birth_year: the birth year
     * a 12-digit personal ID encodes (century digit and YY), or -1 when it
     * is not a well-formed ID of a known province.  list_has: 1 when item
     * (len bytes) is one of the comma-separated words of list.
     */
    int           (*date_parse)(const char *s, size_t len, int64_t *out);
    long          (*date_ymd)(int64_t t);
    int           (*cccd_birth_year)(const char *id, size_t len);
    int           (*list_has)(const char *list, const char *item,
                      size_t len);

    /* ABI 1.1 */

    /*
     * Reports one problem with two ready messages, Vietnamese and English,
     * taken as they are (not formats: '%' is an ordinary character).
     * Otherwise as report: the same code rules, cut, cleaning and result.
     */
    int           (*report_text)(dossier_doc_t *doc, const char *pointer,
                      const char *code, const char *vi, const char *en);
};

/* 1 when the gateway's host table contains member m. */
#define DOSSIER_PLUGIN_HOST_HAS(host, m)                                      \
    ((host)->size >= offsetof(dossier_plugin_host_t, m) + sizeof((host)->m) \
     && (host)->m != NULL)


/*
 * The plugin definition.
 *
 * init   reads the configuration and creates the state (which may be NULL);
 *        on failure it returns DOSSIER_ERROR with a message in err.
 * validate reports problems through host->report and returns DOSSIER_OK,
 *        or DOSSIER_ERROR when it could not judge the dossier (the gateway
 *        then answers 500, not 422).
 * fini   releases the state; may be NULL.
 */
typedef struct {
    /* sectors served, comma-separated ("BTXH", "HT,BTXH"), or "*" */
    const char   *sectors;

    int           (*init)(const dossier_plugin_host_t *host,
                      dossier_ctx_t *ctx, dossier_state_t **state,
                      char *err, size_t errlen);
    int           (*validate)(dossier_state_t *state,
                      const dossier_plugin_host_t *host, dossier_doc_t *doc);
    void          (*fini)(dossier_state_t *state,
                      const dossier_plugin_host_t *host);
} dossier_plugin_t;


typedef struct {
    /* stable in every ABI version */
    uint32_t                 magic;
    uint16_t                 abi_major;
    uint16_t                 abi_minor;
    const char              *name;          /* [a-z0-9_]+: error prefix */
    const char              *version;

    /* what the plugin was compiled against */
    uint32_t                 magic_size;
    uint32_t                 host_size;
    uint32_t                 plugin_size;
    uint32_t                 pointer_size;

    const dossier_plugin_t  *plugin;
} dossier_plugin_magic_t;


DOSSIER_PLUGIN_EXPORT const dossier_plugin_magic_t *
    dossier_plugin_magic(void);


/*
 * Defines dossier_plugin_magic() once per plugin, at file scope:
 *
 *     DOSSIER_PLUGIN_MAGIC("btxh", "1.0.0", "BTXH",
 *                          btxh_init, btxh_validate, btxh_fini)
 */
#define DOSSIER_PLUGIN_MAGIC(name, version, sectors, init, validate, fini)  \
    static const dossier_plugin_t  dossier_plugin_definition = {            \
        (sectors), (init), (validate), (fini)                               \
    };                                                                      \
                                                                            \
    static const dossier_plugin_magic_t  dossier_plugin_magic_block = {     \
        DOSSIER_PLUGIN_MAGIC_NUMBER,                                        \
        DOSSIER_PLUGIN_ABI_MAJOR, DOSSIER_PLUGIN_ABI_MINOR,                 \
        (name), (version),                                                  \
        sizeof(dossier_plugin_magic_t), sizeof(dossier_plugin_host_t),      \
        sizeof(dossier_plugin_t), sizeof(void *),                           \
        &dossier_plugin_definition                                          \
    };                                                                      \
                                                                            \
    const dossier_plugin_magic_t *                                          \
    dossier_plugin_magic(void)                                              \
    {                                                                       \
        return &dossier_plugin_magic_block;                                 \
    }

#ifdef __cplusplus
}
#endif

#endif /* DOSSIER_PLUGIN_H */
