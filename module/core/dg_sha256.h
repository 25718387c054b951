/*
 * SHA-256 in lower-case hex: the dossiers' content hashes and the digests
 * of long rate-limit keys.
 */

#ifndef DG_SHA256_H
#define DG_SHA256_H

#include <stddef.h>

/* out gets 64 hex digits and a NUL; -1 when the digest failed. */
int dg_sha256_hex(const void *data, size_t len, char out[65]);

#endif /* DG_SHA256_H */
