#!/usr/bin/env bash
# "nginx -t" refuses, with a message naming the directive, every
# configuration that would otherwise fail only at run time (every request
# 401 or 503), and zero sizes and counts; it accepts what is only a matter
# of order.  Each case is a small http block around the real module, so no
# server needs to run.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/auto/lib.sh"

dir=$(mktemp -d)
[ "$(id -u)" = 0 ] && chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/logs"

module=$DG_BUILD/nginx/objs/ngx_http_dossier_module.so
pg='dossier_pg "host=/tmp dbname=dossier user=gateway";'
clients="dossier_clients $root/conf/dev/clients.conf;"
passed=0
failed=0

# check NAME refused|accepted WANT HTTP-BLOCK: WANT is a text the message
# must hold (for refusals)
check() {
    local name=$1 want=$2 text=$3 body=$4 out rc

    cat >"$dir/nginx.conf" <<CONF
load_module $module;
error_log $dir/logs/error.log;
pid $dir/nginx.pid;
events { }
http {
    access_log off;
$body
}
CONF
    out=$(nginx -t -p "$dir/" -c "$dir/nginx.conf" 2>&1)
    rc=$?

    if { [ "$want" = refused ] && [ $rc != 0 ] \
         && printf '%s' "$out" | grep -qF -- "$text"; } \
       || { [ "$want" = accepted ] && [ $rc = 0 ]; }
    then
        passed=$((passed + 1))
        printf 'ok: %s\n' "$name"
    else
        failed=$((failed + 1))
        printf 'FAILED: %s (wanted %s%s)\n%s\n' "$name" "$want" \
            "${text:+ with \"$text\"}" "$out"
    fi
}

server() { printf '    server { listen 127.0.0.1:1; %s }\n' "$*"; }

check "auth on without clients or JWKS" refused \
    '"dossier_auth on" needs "dossier_clients" or "dossier_vneid_jwks"' \
    "$(server 'location / { dossier_auth on; }')"

check "auth on with clients" accepted "" \
    "$clients $(server 'location / { dossier_auth on; }')"

check "submit without PostgreSQL" refused \
    '"dossier_submit" needs "dossier_pg"' \
    "$(server 'location = /v1/dossiers { dossier_submit; }')"

check "submit with PostgreSQL" accepted "" \
    "$pg $(server 'location = /v1/dossiers { dossier_submit; }')"

check "batch without PostgreSQL" refused \
    '"dossier_batch" needs "dossier_pg"' \
    "$(server 'location = /v1/dossiers/batch { dossier_batch; }')"

check "batch with PostgreSQL" accepted "" \
    "$pg $(server 'location = /v1/dossiers/batch { dossier_batch; }')"

check "dossier_batch_max_body 0" refused \
    '"dossier_batch_max_body" must be greater than zero' \
    "$pg dossier_batch_max_body 0;
    $(server 'location = /v1/dossiers/batch { dossier_batch; }')"

check "a limit without any zone" refused \
    '"dossier_limit" needs "dossier_limit_zone"' \
    "$(server 'dossier_limit a key=addr rate=10r/s;')"

check "a limit written before its zone" accepted "" \
    "$(server 'dossier_limit a key=addr rate=10r/s;')
    dossier_limit_zone size=1m;"

long=$(printf 'n%.0s' $(seq 63))
check "a limit name of 63 characters" refused \
    'needs a name of 1 to 62 characters' \
    "$(server "dossier_limit $long key=addr rate=10r/s;")
    dossier_limit_zone size=1m;"

check "a limit name of 62 characters" accepted "" \
    "$(server "dossier_limit ${long:1} key=addr rate=10r/s;")
    dossier_limit_zone size=1m;"

check "redis=on limits without Redis" refused \
    '"dossier_limit_zone redis=on" needs "dossier_redis"' \
    "dossier_limit_zone size=1m redis=on;"

check "JWKS without issuer and audience" refused \
    '"dossier_vneid_jwks" needs "dossier_vneid_issuer"' \
    "dossier_vneid_jwks $root/conf/dev/vneid-test-jwks.json;"

for d in dossier_pg_pool_size dossier_pg_queue_size dossier_pg_batch_size \
         dossier_pg_batch_connections dossier_pg_sector_share
do
    check "$d 0" refused "\"$d\" must be greater than zero" "$pg $d 0;"
done

for d in dossier_pg_connect_timeout dossier_pg_query_timeout \
         dossier_redis_connect_timeout dossier_redis_timeout \
         dossier_cache_ttl dossier_cache_negative_ttl
do
    check "$d 0" refused "\"$d\" must be greater than zero" "$pg $d 0;"
done

check "dossier_pg_pool_size -1" refused \
    '"dossier_pg_pool_size" directive invalid number' \
    "$pg dossier_pg_pool_size -1;"

check "dossier_limit_zone size=0" refused 'invalid size (at least 64k)' \
    "dossier_limit_zone size=0;"

check "dossier_limit_zone local_share=0" refused 'invalid local_share' \
    "dossier_limit_zone size=1m local_share=0;"

check "dossier_pg_sector_share 101" refused \
    '"dossier_pg_sector_share" is a percentage' \
    "$pg dossier_pg_sector_share 101;"

check "dossier_retry_after 0" refused \
    '"dossier_retry_after" must be at least 1s' \
    "dossier_retry_after 0;"

# conf/production.conf.example is a configuration nginx accepts: its
# paths pointed at this build, the development clients and keys, and
# certificates of a test's own
prod=$dir/prod
mkdir -p "$prod/tls" "$prod/logs"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test \
    -keyout "$prod/tls/gateway.key" -out "$prod/tls/gateway.crt" \
    >/dev/null 2>&1
cp "$prod/tls/gateway.crt" "$prod/tls/clients-ca.pem"
cp "$prod/tls/gateway.crt" "$prod/pg-ca.pem"
echo 'dossier_admin_token test-token;' >"$prod/admin-token.conf"
sed -e "s|/usr/lib/nginx/modules/ngx_http_dossier_module.so|$module|" \
    -e "s|/usr/lib/dossier-gateway/plugins|$DG_BUILD/plugins|" \
    -e "s|/etc/dossier/clients.conf|$root/conf/dev/clients.conf|" \
    -e "s|/etc/dossier/vneid-jwks.json|$root/conf/dev/vneid-test-jwks.json|" \
    -e "s|/etc/dossier/|$prod/|g" -e "s|/var/log/nginx/|$prod/logs/|g" \
    "$root/conf/production.conf.example" >"$prod/nginx.conf"
if out=$(nginx -t -p "$prod/" -c "$prod/nginx.conf" 2>&1); then
    echo "ok: conf/production.conf.example"
    passed=$((passed + 1))
else
    echo "FAILED: conf/production.conf.example: $out"
    failed=$((failed + 1))
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
