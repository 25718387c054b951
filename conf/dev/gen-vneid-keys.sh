#!/bin/sh
#
# DEVELOPMENT ONLY.  Generates the VNeID *test* issuer of the development
# stack (CONTRACT.md section 5).  The private keys it writes are committed
# to the repository on purpose, so anybody can mint tokens with them: they
# must never be trusted by a gateway outside the development stack.
#
# Writes, beside this script:
#   vneid-test-private.pem      EC P-256 key, ES256, kid vneid-test-es256
#   vneid-test-rsa-private.pem  RSA-2048 key, RS256, kid vneid-test-rs256
#   vneid-test-jwks.json        the public JWKS holding both public keys
#   vneid-test.json             iss, aud, kid (of the EC key) and the rest
#                               make-vneid-token.sh needs
#
# Usage: conf/dev/gen-vneid-keys.sh [--force]
# Without --force existing keys are kept (only the JSON files are rebuilt
# from them), so running it twice changes nothing.
#
# Needs only openssl (3.x) and POSIX shell tools.

set -eu

dir=$(cd "$(dirname "$0")" && pwd)
ec_key=$dir/vneid-test-private.pem
rsa_key=$dir/vneid-test-rsa-private.pem
ec_kid=vneid-test-es256
rsa_kid=vneid-test-rs256
iss=https://vneid-test.dossier-gateway.invalid
aud=dossier-gateway-dev

if [ "${1:-}" = --force ]; then
    rm -f "$ec_key" "$rsa_key"
elif [ $# -gt 0 ]; then
    echo "usage: $0 [--force]" >&2
    exit 2
fi

# base64url without padding, from binary on stdin
b64url() {
    openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# binary from upper- or lower-case hex on stdin (od's inverse, POSIX only)
unhex() {
    sed 's/\(..\)/\\\\x\1/g' | xargs printf '%b'
}

umask 022

[ -f "$ec_key" ] || openssl genpkey -algorithm EC \
    -pkeyopt ec_paramgen_curve:P-256 -out "$ec_key"
[ -f "$rsa_key" ] || openssl genpkey -algorithm RSA \
    -pkeyopt rsa_keygen_bits:2048 -out "$rsa_key" 2>/dev/null

# SubjectPublicKeyInfo of P-256 ends with the point 04 || x || y
point=$(openssl pkey -in "$ec_key" -pubout -outform DER | od -An -v -tx1 \
        | tr -d ' \n' | tail -c 128)
x=$(printf '%s' "$point" | cut -c1-64 | unhex | b64url)
y=$(printf '%s' "$point" | cut -c65-128 | unhex | b64url)

n=$(openssl rsa -in "$rsa_key" -noout -modulus | sed 's/^Modulus=//' \
    | unhex | b64url)
openssl pkey -in "$rsa_key" -noout -text \
    | grep -q '^publicExponent: 65537 ' || {
    echo "$0: $rsa_key: public exponent is not 65537" >&2
    exit 1
}

cat > "$dir/vneid-test-jwks.json" <<JSON
{
  "keys": [
    {
      "kty": "EC",
      "crv": "P-256",
      "use": "sig",
      "alg": "ES256",
      "kid": "$ec_kid",
      "x": "$x",
      "y": "$y"
    },
    {
      "kty": "RSA",
      "use": "sig",
      "alg": "RS256",
      "kid": "$rsa_kid",
      "n": "$n",
      "e": "AQAB"
    }
  ]
}
JSON

# One member a line: make-vneid-token.sh reads it with sed.
cat > "$dir/vneid-test.json" <<JSON
{
  "dev_only": "DEVELOPMENT ONLY - never trust this issuer in production",
  "iss": "$iss",
  "aud": "$aud",
  "kid": "$ec_kid",
  "alg": "ES256",
  "private_key": "conf/dev/vneid-test-private.pem",
  "rsa_kid": "$rsa_kid",
  "rsa_alg": "RS256",
  "rsa_private_key": "conf/dev/vneid-test-rsa-private.pem",
  "jwks": "conf/dev/vneid-test-jwks.json"
}
JSON

echo "VNeID test issuer (DEV ONLY) in $dir: kids $ec_kid, $rsa_kid"
