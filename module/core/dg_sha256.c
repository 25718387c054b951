/*
 * SHA-256 in lower-case hex (see dg_sha256.h).
 */

#include <openssl/evp.h>

#include "dg_sha256.h"


int
dg_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned int       i, n;
    unsigned char      md[EVP_MAX_MD_SIZE];
    static const char  hex[] = "0123456789abcdef";

    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }

    out[2 * i] = '\0';

    return 0;
}
