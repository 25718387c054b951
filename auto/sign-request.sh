#!/bin/sh
#
# Signs a request the way CONTRACT.md section 4 asks (RFC 9421 HTTP Message
# Signatures, hmac-sha256, RFC 9530 Content-Digest) and sends it with curl.
# The worked example for client developers; needs only openssl, curl and
# POSIX shell tools.
#
# Usage:
#   auto/sign-request.sh [--dry-run] [--created T] [--nonce N] \
#       METHOD URL BODY_FILE CLIENT_ID SECRET [curl options...]
#
#   BODY_FILE  the request body, or '' for a request without one
#   SECRET     the client secret, or @FILE to read it from FILE's first
#              line (keeps it out of the shell history; it still reaches
#              openssl's argument list, so use a real client library where
#              other users can list processes)
#   --dry-run  print the signature base and the headers instead of sending
#   --created, --nonce  fix the otherwise current time and random nonce
#
# Example:
#   auto/sign-request.sh POST http://127.0.0.1:8080/v1/dossiers \
#       dossier.json demo-portal demo-portal-secret -i
#
# A batch (CONTRACT.md section 6): one signature and one Content-Digest
# over the whole body, {"data": [dossier, ...]} with 1 to 100 dossiers;
# the answer has one result per dossier:
#   { printf '{"data": ['; cat a.json; printf ','; cat b.json; printf ']}'; } \
#       >batch.json
#   auto/sign-request.sh POST http://127.0.0.1:8080/v1/dossiers/batch \
#       batch.json demo-portal demo-portal-secret
#
# What is signed, byte for byte (lines end with LF, the last has none):
#   "@method": POST
#   "@path": /v1/dossiers
#   "@query": ?
#   "content-digest": sha-256=:<base64 SHA-256 of the body>:
#   "@signature-params": ("@method" "@path" "@query" "content-digest")
#   ;created=<unix time>;nonce="<nonce>";keyid="<client id>";alg="hmac-sha256"
# (the last two lines are one line in the base, split here for width)
# "@path" and "@query" are the URL's raw path and query, not decoded;
# "@query" is "?" when the URL has none; "content-digest" is left out of
# both the list and the base when there is no body.

set -eu

dry_run=
created=
nonce=

usage() {
    echo "usage: $0 [--dry-run] [--created T] [--nonce N]" \
         "METHOD URL BODY_FILE CLIENT_ID SECRET [curl options...]" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --dry-run) dry_run=1; shift ;;
    --created) [ $# -ge 2 ] || usage; created=$2; shift 2 ;;
    --nonce) [ $# -ge 2 ] || usage; nonce=$2; shift 2 ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
    esac
done

[ $# -ge 5 ] || usage

method=$1
url=$2
body=$3
client=$4
secret=$5
shift 5

: "${created:=$(date +%s)}"
: "${nonce:=$(openssl rand -hex 16)}"

case $created in
''|*[!0-9]*) echo "$0: --created must be a Unix time" >&2; exit 2 ;;
esac

# they are quoted in Signature-Input: no '"', '\' or control characters
case $client$nonce in
*[!A-Za-z0-9._~+/=-]*) echo "$0: bad client id or nonce" >&2; exit 2 ;;
esac

case $secret in
@*) secret=$(sed -n 1p "${secret#@}") ;;
esac

# URL parts, raw: scheme://authority/path?query#fragment
rest=${url#*://}
authority=${rest%%[/?#]*}
target=${rest#"$authority"}
target=${target%%#*}

case $target in
*\?*) path=${target%%\?*}; query=${target#*\?} ;;
*) path=$target; query= ;;
esac

[ -n "$path" ] || path=/

components='"@method" "@path" "@query"'
digest=

if [ -n "$body" ]; then
    digest="sha-256=:$(openssl dgst -sha256 -binary < "$body" \
                       | openssl base64 -A):"
    components="$components \"content-digest\""
fi

params="($components);created=$created;nonce=\"$nonce\""
params="$params;keyid=\"$client\";alg=\"hmac-sha256\""

base=$(printf '"@method": %s\n"@path": %s\n"@query": ?%s\n' \
       "$method" "$path" "$query"
       [ -z "$digest" ] || printf '"content-digest": %s\n' "$digest"
       printf '"@signature-params": %s' "$params")

# the secret's bytes as hex, so any character is safe on openssl's line
key=$(printf '%s' "$secret" | od -An -v -tx1 | tr -d ' \n')
signature=$(printf '%s' "$base" \
            | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary \
            | openssl base64 -A)

if [ -n "$dry_run" ]; then
    printf -- '--- signature base\n%s\n--- headers\n' "$base"
    [ -z "$digest" ] || printf 'Content-Digest: %s\n' "$digest"
    printf 'Signature-Input: sig1=%s\nSignature: sig1=:%s:\n' \
           "$params" "$signature"
    exit 0
fi

set -- -sS --path-as-is -X "$method" \
    -H "Signature-Input: sig1=$params" -H "Signature: sig1=:$signature:" \
    "$@"

if [ -n "$digest" ]; then
    set -- -H "Content-Digest: $digest" -H 'Content-Type: application/json' \
        --data-binary "@$body" "$@"
fi

exec curl "$@" "$url"
