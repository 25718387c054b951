/*
 * Masking of personal data in log lines: every line the module writes
 * goes through dg_mask() first (personal data protection, Decree
 * 13/2023/ND-CP).
 *
 * Runs of ASCII digits are judged whole: a digit right before or after
 * makes a longer run, judged as such.
 *   - 12 digits, a personal ID (CCCD): the first 3 and last 3 kept,
 *     031123456321 -> 031******321;
 *   - 10 digits starting with 0, a phone number: "0" and the 9-digit
 *     subscriber number, of which the first 2 and last 2 are kept,
 *     0912345678 -> 091*****78;
 *   - 11 digits starting with 84 (with or without '+'), the same number in
 *     international form, so the same digits are kept:
 *     +84912345678 -> +8491*****78.
 * Other runs (yyyyMMddHHmmss times, Unix times, procedure codes) are left
 * alone; numbers written with separators (0912 345 678) are not
 * recognised.  Erring on the side of privacy, a 10-digit enterprise code
 * starting with 0, or a hexadecimal identifier that contains such a run
 * between letters, is masked too.
 *
 * Only digits are replaced, by '*': the length never changes and UTF-8
 * text stays valid, so masking is done in place.
 */

#ifndef DG_MASK_H
#define DG_MASK_H

#include <stddef.h>

void dg_mask(char *buf, size_t len);

#endif /* DG_MASK_H */
