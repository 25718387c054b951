# One function runs one wrk phase; profiles call it (as `phase`).
#
# lt_phase NAME [key=value ...]
#   target=gateway|bare   where the requests go               (gateway)
#   mix=HT:30,BTXH:15,... sector weights                      ($LT_MIX)
#   invalid=0.05          share of invalid dossiers (422)     ($LT_INVALID)
#   rate=N | rate=N%      target requests/s, or a share of the peak measured
#                         by the phase marked peak=1          (unthrottled)
#   duration=S  connections=C                 ($LT_DURATION, $LT_CONNECTIONS)
#   threads=T             wrk threads, the connections shared among them
#                         ($LT_THREADS; one per connection when the target
#                         does not echo X-Loadtest-Id, see lua/dossier.lua)
#   mode=submit|retry|lookup|batch  source=PHASE  retry_set=N  lookup=0.8
#                         (retry_set: how many of source's dossiers, 2000)
#   source_status=201     which of source's answers to take: a status, or
#                         "503|0" (the refused and the unanswered, to
#                         resend after a failover)
#   source_file=FILE      the dossiers themselves ("MaHoSo sector id"
#                         lines) instead of a source phase's
#   batch=100             batch mode: dossiers per request
#   peak=1                this phase measures the peak rate
#   mark=TEXT             shade this phase in the charts (e.g. surge)
#   label=TEXT            what the phase is, for the report
#
# Uses: LT_OUTDIR LT_RUN LT_EPOCH LT_GATEWAY_URL LT_BARE_URL LT_BARE_DIR
# LT_THREADS LT_ECHO (the gateway echoes; bare nginx always does);
# sets LT_PEAK.
# Output: $LT_OUTDIR/phases/NAME/{meta.env,t*.log,counts.tsv,summary.env,
# unanswered.log,wrk.txt,stats.env} and NAME appended to phases.list.

lt_phase() {
    local name=$1 kv k v
    shift
    local target=gateway mix=$LT_MIX invalid=$LT_INVALID rate="" \
          duration=$LT_DURATION connections=$LT_CONNECTIONS \
          threads=$LT_THREADS mode=submit \
          source="" source_status=201 source_file="" retry_set=2000 \
          lookup=0 batch=100 peak=0 mark="" label=$name
    for kv in "$@"; do
        k=${kv%%=*} v=${kv#*=}
        case $k in
            target|mix|invalid|rate|duration|connections|threads|mode|source|\
            source_status|source_file|retry_set|lookup|batch|peak|mark|label)
                printf -v "$k" '%s' "$v" ;;
            *) lt_die "phase $name: unknown option $k" ;;
        esac
    done

    local url echoes=1
    case $target in
        gateway) url=$LT_GATEWAY_URL echoes=${LT_ECHO:-0} ;;
        bare)    url=$LT_BARE_URL ;;
        *)       lt_die "phase $name: target must be gateway or bare" ;;
    esac
    threads=$(lt_wrk_threads "$echoes" "$threads" "$connections")
    [ "$threads" -ge 1 ] && [ $((connections % threads)) = 0 ] \
        || lt_die "phase $name: $connections connections do not divide among $threads wrk threads"
    [ -n "$url" ] || { lt_say "phase $name: no $target to run against, skipped"; return 0; }

    # N% of the peak
    if [ "${rate%\%}" != "$rate" ]; then
        [ -n "${LT_PEAK:-}" ] || lt_die "phase $name: rate=$rate needs a peak=1 phase first"
        rate=$(lt_calc "int($LT_PEAK * ${rate%\%} / 100)")
    fi

    local d=$LT_OUTDIR/phases/$name
    rm -rf "$d"
    mkdir -p "$d"
    # retry/lookup: the source phase's accepted dossiers, the same subset
    # for every connection (the storm hits the same dossiers)
    if [ -n "$source_file" ]; then
        cp "$source_file" "$d/source.tsv"
        source=${source:-$(basename "$source_file")}
    elif [ -n "$source" ]; then
        [ -f "$LT_OUTDIR/phases/$source/meta.env" ] \
            || lt_die "phase $name: source phase $source has not run"
        lt_records "$LT_OUTDIR/phases/$source" \
            | awk -F '\t' -v OFS='\t' -v want="^($source_status)\$" \
                '$3 != "i" && $4 ~ want { print $6, $2, $7 }' \
            | LC_ALL=C sort -u \
            | awk -v n="$retry_set" 'NR <= n' \
            >"$d/source.tsv"
        [ -s "$d/source.tsv" ] || lt_die "phase $name: no dossier to send again in phase $source"
    fi

    # as before each baseline: the phase does not pay for the WAL of the
    # previous ones, and the segments it will write are recycled ones
    # (a segment made new is zero-filled first: a commit stall of tens of
    # milliseconds every 16 MB)
    if [ "$target" = gateway ]; then
        lt_pg_checkpoint
    fi
    lt_say "phase $name: $target, $connections connections on $threads wrk threads, ${duration}s," \
           "${rate:-max} req/s, mode $mode, invalid $invalid, mix $mix"
    # The measured window [go, stop]: wrk needs time to create its threads
    # and Lua states (each builds its dossier templates) and connections,
    # and every connection waits for go (see lua/dossier.lua); wrk runs 1 s
    # past stop for the last answers.
    local go_ms stop_ms ready_ms
    ready_ms=$(lt_ready_ms "$threads" "$connections")
    go_ms=$(( $(date +%s%3N) + ready_ms ))
    stop_ms=$((go_ms + duration * 1000))

    # in the background, to read the CPU counters at go and stop.
    # timeout: wrk stops itself after -d; this only guards against a hang
    LT_OUT=$d LT_RUN=$LT_RUN LT_PHASE=$name LT_EPOCH=$LT_EPOCH LT_MIX=$mix \
    LT_INVALID=$invalid LT_RATE=${rate:-0} LT_THREADS=$threads LT_ECHO=$echoes \
    LT_MODE=$mode LT_SOURCE=${source:+$d/source.tsv} LT_LOOKUP=$lookup \
    LT_BATCH=$batch \
    LT_SIGN=${LT_SIGN:-1} LT_GO_MS=$go_ms LT_STOP_MS=$stop_ms \
        timeout -k 5 $((duration + 60)) \
        wrk -t"$threads" -c"$connections" \
            -d"$((duration + (ready_ms + 999) / 1000 + 1))s" --timeout 10s \
            -s "$LT_HOME/lua/dossier.lua" "$url/v1/dossiers" \
            >"$d/wrk.txt" 2>&1 &
    LT_WRK_PID=$!

    local pidfile=$DG_VAR/nginx/nginx.pid
    [ "$target" = gateway ] || pidfile=$LT_BARE_DIR/nginx.pid
    lt_observe_prepare "$pidfile" "$LT_WRK_PID"
    lt_sleep_until "$go_ms" "$LT_WRK_PID"
    lt_observe_start
    lt_sleep_until "$stop_ms" "$LT_WRK_PID"
    lt_observe_stop

    wait "$LT_WRK_PID" || { cat "$d/wrk.txt" >&2; lt_die "phase $name: wrk failed"; }
    LT_WRK_PID=""
    [ -f "$d/summary.env" ] || { cat "$d/wrk.txt" >&2; lt_die "phase $name: wrk wrote no summary"; }

    cat >"$d/meta.env" <<META
name=$name
label=$label
target=$target
url=$url
mix=$mix
invalid=$invalid
rate=${rate:-}
duration=$duration
connections=$connections
threads=$threads
mode=$mode
batch=$([ "$mode" = batch ] && echo "$batch")
source=$source
mark=$mark
start_ms=$go_ms
end_ms=$stop_ms
late_threads=$(grep -c 'late thread' "$d/wrk.txt" || true)
META
    echo "$name" >>"$LT_OUTDIR/phases.list"

    lt_phase_stats "$d"
    lt_observe_write "$d/stats.env"
    [ "$(lt_get "$d/meta.env" late_threads)" = 0 ] \
        || lt_say "phase $name: warning: $(lt_get "$d/meta.env" late_threads) wrk thread(s) were not ready at the common start"
    if [ "$peak" = 1 ]; then
        LT_PEAK=$(lt_get "$d/stats.env" served_rps)
        lt_say "phase $name: peak $LT_PEAK answered (non-503) requests/s"
    fi
    local unexpected
    unexpected=$(awk -F= '/^unexpected_/ { n += $2 } END { print n + 0 }' "$d/stats.env")
    echo "unexpected=$unexpected" >>"$d/stats.env"
    [ "$unexpected" = 0 ] \
        || lt_say "phase $name: warning: $unexpected unexpected answer(s), see the statuses"
    lt_say "phase $name: $(lt_get "$d/stats.env" rps) req/s," \
           "statuses $(lt_get "$d/stats.env" statuses)," \
           "p99 $(lt_get "$d/stats.env" p99_ms) ms"
}

# lt_wrk_threads ECHO THREADS CONNECTIONS: a phase's wrk threads.  Answers
# are tied to their requests by the id the server echoes (ECHO 1), or else
# by having one connection per thread (lua/dossier.lua).
lt_wrk_threads() {
    if [ "$1" = 1 ]; then echo "$2"; else echo "$3"; fi
}

# lt_ready_ms THREADS CONNECTIONS: the time wrk gets before the window to
# create its threads (each builds its dossier templates) and connections.
lt_ready_ms() {
    echo $((1000 + 60 * $1 + 10 * $2))
}

# lt_sleep_until MS PID: until the wall clock reaches MS, or PID ends.
lt_sleep_until() {
    local now=${EPOCHREALTIME/./}
    while [ $((now / 1000)) -lt "$1" ] && kill -0 "$2" 2>/dev/null; do
        sleep 0.02
        now=${EPOCHREALTIME/./}
    done
}
