#!/bin/sh
#
# DEVELOPMENT ONLY.  Prints a VNeID-style bearer token signed by the test
# issuer of conf/dev (see gen-vneid-keys.sh), for tests and documentation.
#
# Usage: conf/dev/make-vneid-token.sh [--rs256] [--now T] SUB [TTL]
#   SUB     the citizen's 12-digit personal ID (not checked here, so tests
#           can mint bad tokens)
#   TTL     seconds until exp, default 600
#   --rs256 sign with the RSA key (RS256) instead of the EC key (ES256)
#   --now T use T as the current Unix time (iat, nbf; exp = T + TTL)
#
# Example:
#   curl -H "Authorization: Bearer $(conf/dev/make-vneid-token.sh \
#       001099012345)" http://127.0.0.1:8080/v1/dossiers/HS-1
#
# Needs only openssl and POSIX shell tools.

set -eu

dir=$(cd "$(dirname "$0")" && pwd)
conf=$dir/vneid-test.json
alg=ES256
now=$(date +%s)

usage() {
    echo "usage: $0 [--rs256] [--now T] SUB [TTL]" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --rs256) alg=RS256; shift ;;
    --now) [ $# -ge 2 ] || usage; now=$2; shift 2 ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
    esac
done

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    usage
fi
sub=$1
ttl=${2:-600}

case $now$ttl in
*[!0-9]*) echo "$0: --now and TTL must be whole seconds" >&2; exit 2 ;;
esac

case $sub in
*[\"\\]*) echo "$0: SUB must not contain quotes or backslashes" >&2; exit 2 ;;
esac

# one member a line in vneid-test.json
member() {
    sed -n "s/^ *\"$1\": *\"\([^\"]*\)\".*/\1/p" "$conf"
}

iss=$(member iss)
aud=$(member aud)

if [ $alg = ES256 ]; then
    kid=$(member kid)
    key=$dir/vneid-test-private.pem
else
    kid=$(member rsa_kid)
    key=$dir/vneid-test-rsa-private.pem
fi

b64url() {
    openssl base64 -A | tr '+/' '-_' | tr -d '='
}

unhex() {
    sed 's/\(..\)/\\\\x\1/g' | xargs printf '%b'
}

# an ASN.1 INTEGER's hex as exactly 32 bytes
pad64() {
    h=$1
    while [ ${#h} -gt 64 ]; do h=${h#??}; done
    while [ ${#h} -lt 64 ]; do h=0$h; done
    printf '%s' "$h"
}

header=$(printf '{"alg":"%s","typ":"JWT","kid":"%s"}' "$alg" "$kid" \
         | b64url)
claims='{"iss":"%s","aud":"%s","sub":"%s","iat":%s,"nbf":%s,"exp":%s}'
# shellcheck disable=SC2059 # the format is ours, the values are arguments
payload=$(printf "$claims" "$iss" "$aud" "$sub" "$now" "$now" \
          $((now + ttl)) | b64url)
input=$header.$payload

if [ $alg = RS256 ]; then
    sig=$(printf '%s' "$input" | openssl dgst -sha256 -sign "$key" | b64url)
else
    # OpenSSL signs in DER; JWS wants r || s, 32 bytes each (RFC 7518 3.4)
    rs=$(printf '%s' "$input" | openssl dgst -sha256 -sign "$key" \
         | openssl asn1parse -inform DER | sed -n 's/.*INTEGER *://p')
    r=$(pad64 "$(printf '%s\n' "$rs" | sed -n 1p)")
    s=$(pad64 "$(printf '%s\n' "$rs" | sed -n 2p)")
    sig=$(printf '%s%s' "$r" "$s" | unhex | b64url)
fi

printf '%s.%s\n' "$input" "$sig"
