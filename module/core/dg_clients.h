/*
 * The client registry: who may sign requests (RFC 9421 keyid), with which
 * secret, to which sectors, under which rate limit.  Loaded once at
 * configuration time (by the nginx master, so secret files may be readable
 * by root only), read-only afterwards.
 *
 * File format, one directive a line; blank lines and lines whose first
 * non-blank character is '#' are ignored; fields are separated by spaces
 * or tabs; values cannot contain white space:
 *
 *   class NAME rate=N/s|N/m|off [burst=N]
 *   client ID secret=VALUE|secret-file=PATH sectors=LIST [read=LIST]
 *          [codes=PREFIXES] class=NAME
 *
 *   class        a per-client rate limit class, defined before the clients
 *                that use it: N requests a second (/s) or a minute (/m),
 *                1 <= N <= 1000000, or "off" for no per-client limit;
 *                burst defaults to N.
 *   ID           the client id, the keyid of its signatures: 1-64 of
 *                A-Z a-z 0-9 . _ -, unique.
 *   secret       the HMAC secret itself, at least 12 bytes (32 random
 *                bytes recommended; inline secrets are for development).
 *   secret-file  a file holding the secret alone on one line (a final
 *                line end is not part of it); a relative path is taken
 *                from the directory of the registry file; the file may not
 *                be world-readable.  Exactly one of secret / secret-file.
 *   sectors      sectors the client may submit to; read: sectors whose
 *                dossiers and feed it may read (default none).  LIST is
 *                "*" (all), "-" (none) or sector codes separated by
 *                commas (1-16 of A-Z 0-9 _, e.g. BTXH,HT).
 *   codes        the MaHoSo prefixes of the dossiers the client may store
 *                (CONTRACT.md section 4: the first to store a MaHoSo owns
 *                it): "*" (any), "-" (none, the default) or prefixes of
 *                1-64 of A-Z a-z 0-9 . _ - / separated by commas
 *                (HP-,H31.).
 *
 * Example:
 *
 *   class portal rate=1000/s burst=2000
 *   class sector rate=50/s
 *   client demo-portal secret=demo-portal-secret sectors=* read=* codes=*
 *       class=portal                        (one line in the file)
 *   client btxh-app secret-file=btxh.secret sectors=BTXH read=BTXH,HT \
 *       codes=BTXH- class=sector            (one line in the file)
 *
 * Errors name the file and line: "clients.conf:7: unknown key "secert"".
 * No function here prints or returns a secret except dg_client_secret().
 */

#ifndef DG_CLIENTS_H
#define DG_CLIENTS_H

#include <stddef.h>

#define DG_CLIENT_MAX_ID       64
#define DG_CLIENT_MIN_SECRET   12
#define DG_CLIENT_MAX_SECRET   1024
#define DG_CLIENT_MAX_SECTOR   16
#define DG_CLIENT_MAX_CODE     64      /* a MaHoSo, so a prefix of one */
#define DG_CLIENT_MAX_LINE     4096
#define DG_CLIENT_MAX_CLIENTS  10000
#define DG_CLIENT_MAX_CLASSES  32


typedef struct dg_clients_s  dg_clients_t;
typedef struct dg_client_s   dg_client_t;

typedef struct {
    char      *name;
    unsigned   rate;            /* requests per period; 0: no limit */
    unsigned   period;          /* seconds: 1 or 60 */
    unsigned   burst;
} dg_client_class_t;


/* Returns NULL and "path:line: message" in err on any error. */
dg_clients_t *dg_clients_load(const char *path, char *err, size_t errlen);
void dg_clients_free(dg_clients_t *clients);
size_t dg_clients_count(const dg_clients_t *clients);

/* id need not be NUL-terminated. */
const dg_client_t *dg_clients_find(const dg_clients_t *clients,
    const char *id, size_t len);

/*
 * A dg_sig_key_pt (dg_sig.h) over a registry: pass it as the key callback
 * with the registry as key_data.
 */
int dg_clients_sig_key(void *clients, const char *keyid, size_t len,
    const unsigned char **secret, size_t *secret_len);

const char *dg_client_id(const dg_client_t *client);
const unsigned char *dg_client_secret(const dg_client_t *client,
    size_t *len);
const dg_client_class_t *dg_client_class(const dg_client_t *client);

/* 1 when granted; sector need not be NUL-terminated. */
int dg_client_may_submit(const dg_client_t *client, const char *sector,
    size_t len);
int dg_client_may_read(const dg_client_t *client, const char *sector,
    size_t len);

/* The sectors a client may submit to and update, as configured: "*" (all),
 * "" (none) or "A,B" (for checks made elsewhere, e.g. in PostgreSQL). */
const char *dg_client_submit_sectors(const dg_client_t *client);

/* The sectors a client may read, in the same form. */
const char *dg_client_read_sectors(const dg_client_t *client);

/*
 * MaHoSo ownership (CONTRACT.md section 4): 1 when a client may store a
 * dossier under this code (it starts with one of its prefixes), or when
 * a VNeID citizen (sub, the 12-digit ID) may: it starts "VNEID-{sub}-".
 * code need not be NUL-terminated.
 */
int dg_client_may_claim(const dg_client_t *client, const char *code,
    size_t len);
int dg_citizen_may_claim(const char *sub, const char *code, size_t len);

#endif /* DG_CLIENTS_H */
