/*
 * The dossier rules of CONTRACT.md section 2, applied to a parsed body.
 *
 * Validation collects every failed rule (never only the first) and, when
 * all pass, fills a dg_dossier_t with the typed fields the store needs.
 * Times on the wire are yyyyMMddHHmmss in Asia/Ho_Chi_Minh (UTC+07:00, no
 * daylight saving since 1975), converted here to Unix time.
 */

#ifndef DG_DOSSIER_H
#define DG_DOSSIER_H

#include <stdint.h>
#include <time.h>
#include <jansson.h>

#include "dg_catalog.h"
#include "dg_problem.h"

#define DG_TZ_OFFSET_SECONDS  (7 * 3600)
#define DG_MAHOSO_MAX         64

typedef struct {
    /* borrowed from the json_t the dossier was validated from */
    const char  *ma_ho_so;
    const char  *ma_tthc;
    const char  *ma_linh_vuc;
    const char  *so_giay_to;
    int          kenh_thuc_hien;      /* 1 in person, 2 online, 3 postal */
    int          loai_doi_tuong;      /* 1 citizen, 2 organisation */
    int          trang_thai;          /* 1..10 */
    time_t       ngay_tiep_nhan;      /* Unix time */
    time_t       ngay_hen_tra;        /* Unix time */
} dg_dossier_t;

/*
 * Applies every rule.  now is the current Unix time (passed in so tests can
 * fix it).  cat may be NULL, in which case the catalog rules
 * (procedure.unknown, sector.mismatch) are skipped.  Returns 0 when the
 * dossier is valid (out is filled), -1 when problems were added.
 */
int dg_dossier_validate(json_t *root, time_t now, const dg_catalog_t *cat,
    dg_dossier_t *out, dg_problems_t *problems);

/*
 * The catalog rules alone (procedure.unknown, sector.mismatch), for a
 * dossier that dg_dossier_validate() passed while no catalog was loaded.
 * Returns 0, or -1 when problems were added.
 */
int dg_dossier_check_catalog(json_t *root, const dg_catalog_t *cat,
    dg_problems_t *problems);

/*
 * Personal ID (CCCD) rules on their own, for reuse by plugins and tests.
 * birth_date is yyyyMMdd or NULL, gender 1/2 or 0 when unknown; pointer is
 * where problems are reported.  Returns the number of problems added.
 */
int dg_cccd_check(const char *id, const char *birth_date, int gender,
    time_t now, const char *pointer, dg_problems_t *problems);

/* The first year of the century a personal ID's digit G stands for
 * (1900, 2000, ... 2300); id must be 12 digits. */
int dg_cccd_century(const char *id);

/* 1 when code is one of the 63 province codes of Circular 07/2016/TT-BCA. */
int dg_cccd_province_known(const char *code3);

/*
 * yyyyMMddHHmmss (len 14) or yyyyMMdd (len 8) in Asia/Ho_Chi_Minh to Unix
 * time.  Returns 0, -1 when the shape is wrong (not all digits, wrong
 * length), -2 when it is not a real date or time (20230229, hour 24).
 */
int dg_time_parse(const char *s, size_t len, time_t *out);

/* RFC 3339 with offset +07:00 ("2026-11-24T09:30:00+07:00"); buf >= 26. */
void dg_time_rfc3339(time_t t, char *buf);

/*
 * Idempotency key material: SHA-256 (lower-case hex, 64 chars + NUL) of
 * the dossier's canonical form (keys sorted, no white space), so a retry
 * that differs only in key order or spacing counts as identical.
 */
int dg_dossier_hash(json_t *root, char out[65]);

/* The canonical form (malloc'ed; NULL when out of memory), and its hash:
 * one dump serves the hash and the stored body. */
char *dg_dossier_canonical(json_t *root);
int dg_dossier_hash_text(const char *text, char out[65]);

#endif /* DG_DOSSIER_H */
