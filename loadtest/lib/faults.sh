# The fault suite (profiles/faults): one fault after the other under a
# steady signed load, each followed by the dossiers whose answer was in
# doubt sent again, and the no-loss audit.
#
# lt_fault NAME SECONDS AT INJECT [ARGS]: a phase of SECONDS at
# LT_FAULT_RATE requests/s; AT seconds into it, INJECT ARGS runs in the
# background (it breaks something and repairs it: t0 and t1 are when it
# began and when it was over); then the phase NAME-retry sends each valid
# dossier answered 5xx or never again (phase.sh, mode=resend), the audit
# runs, and faults/NAME/result.env keeps the figures of the fault's row
# (lt_faults_table).  A fault fails the run (LT_FAULTS_FAILED) when the
# audit found a violation, a dossier sent again was not accepted, a
# worker died, or submissions did not succeed again before the phase
# ended.

LT_FAULT_RATE=${LT_FAULT_RATE:-150}
LT_FAULT_CONNECTIONS=${LT_FAULT_CONNECTIONS:-16}
LT_FAULTS_WAL=$DG_BUILD/faults-wal
LT_FAULTS_FAILED=""

lt_now_ms() {
    local n=${EPOCHREALTIME/./}
    echo $((n / 1000))
}

# WAL on a small file system of its own, so that it can be filled: a tmpfs
# (root only), 1 MiB segments never recycled, so that a new segment is
# needed at once (auto/lib.sh: DG_PG_INITDB_OPTS, DG_PG_CONF_EXTRA).
lt_faults_prepare() {
    LT_FAULTS_MOUNTED=""
    if [ "$(id -u)" != 0 ]; then
        lt_say "faults: not root, no WAL file system of its own: wal-full skipped"
        return 0
    fi
    mkdir -p "$LT_FAULTS_WAL"
    mountpoint -q "$LT_FAULTS_WAL" && umount "$LT_FAULTS_WAL"
    mount -t tmpfs -o size=64m,mode=0755 tmpfs "$LT_FAULTS_WAL" \
        || { lt_say "faults: cannot mount a tmpfs: wal-full skipped"; return 0; }
    LT_FAULTS_MOUNTED=1
    chown postgres: "$LT_FAULTS_WAL"
    export DG_PG_INITDB_OPTS="--waldir=$LT_FAULTS_WAL/pg_wal --wal-segsize=1"
    export DG_PG_CONF_EXTRA="wal_recycle = off
min_wal_size = 2MB
max_wal_size = 16MB"
}

lt_faults_cleanup() {
    [ -z "${LT_FAULTS_MOUNTED:-}" ] || umount "$LT_FAULTS_WAL" 2>/dev/null || true
}

lt_faults_pg_pid() {
    head -n 1 "$DG_VAR/pg/data/postmaster.pid" 2>/dev/null
}

# Starts PostgreSQL again; after a SIGKILL its backends may still hold the
# old shared memory a moment, and the start is refused until they are gone.
lt_faults_pg_start() {
    local i
    for i in $(seq 60); do
        dg_as_pg "$DG_PG_BIN/pg_ctl" -D "$DG_VAR/pg/data" \
            -l "$DG_VAR/pg/postgres.log" -w -t 30 start >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

lt_faults_pg_up() {
    "$DG_PG_BIN/pg_isready" -q -h "$DG_VAR/pg/run" -p "$DOSSIER_PG_PORT"
}

# --- the faults: each writes what it did as key=value lines (note=...)

lt_fault_pg_kill() {
    local pid
    pid=$(lt_faults_pg_pid)
    kill -KILL "$pid"
    echo "note=postmaster $pid killed (SIGKILL), started again"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    lt_faults_pg_start
}

lt_fault_pg_stop() {
    dg_pg_stop
    echo "note=stopped (fast shutdown) for ${1}s, started again"
    sleep "$1"
    lt_faults_pg_start
}

lt_fault_wal_full() {
    local i panics
    if [ -z "${LT_FAULTS_MOUNTED:-}" ]; then
        echo "note=skipped: no WAL file system of its own"
        return 0
    fi
    panics=$(grep -c PANIC "$DG_VAR/pg/postgres.log" || true)
    # fill it, and make PostgreSQL need a new segment now
    dd if=/dev/zero of="$LT_FAULTS_WAL/filler" bs=1M 2>/dev/null || true
    dg_psql -c "SELECT pg_switch_wal()" >/dev/null 2>&1 || true
    for i in $(seq 100); do
        [ "$(grep -c PANIC "$DG_VAR/pg/postgres.log" || true)" -gt "$panics" ] && break
        sleep 0.1
    done
    echo "note=pg_wal full ($(df -h --output=size "$LT_FAULTS_WAL" | tail -n 1 | tr -d ' ') tmpfs), $(( $(grep -c PANIC "$DG_VAR/pg/postgres.log" || true) - panics )) PANIC; ${1}s later freed"
    sleep "$1"
    rm -f "$LT_FAULTS_WAL/filler"
    # it restarts by itself after a PANIC, unless its recovery failed too
    for i in $(seq 50); do
        lt_faults_pg_up && return 0
        sleep 0.1
    done
    dg_as_pg "$DG_PG_BIN/pg_ctl" -D "$DG_VAR/pg/data" status >/dev/null 2>&1 \
        || lt_faults_pg_start
    for i in $(seq 100); do
        lt_faults_pg_up && return 0
        sleep 0.1
    done
    return 1
}

lt_fault_worker_kill() {
    local pid
    pid=$(ps --ppid "$(cat "$DG_VAR/nginx/nginx.pid")" -o pid= | head -n 1 | tr -d ' ')
    kill -KILL "$pid"
    echo "note=worker $pid killed (SIGKILL)"
    echo "killed=$pid"
}

lt_fault_reloads() {
    local i
    for i in 1 2 3 4 5; do
        dg_nginx -s reload
        sleep 0.2
    done
    echo "note=5 reloads, 0.2 s apart"
}

lt_fault_redis_kill() {
    local pid
    pid=$(cat "$DG_VAR/redis/redis.pid")
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    rm -f "$DG_VAR/redis/redis.pid"
    echo "note=killed (SIGKILL), started again empty"
    dg_redis_start
}

lt_fault_redis_freeze() {
    local pid
    pid=$(cat "$DG_VAR/redis/redis.pid")
    kill -STOP "$pid"
    echo "note=SIGSTOP for ${1}s, then SIGCONT"
    sleep "$1"
    kill -CONT "$pid"
}

# $2 connections each send the headers and half of a body, and stop;
# closed after $1 s.  Their dossiers must not be stored.
lt_fault_half_body() {
    local i body pids=()
    for i in $(seq "$2"); do
        body=$(lt_probe_dossier "LT$LT_RUN-halfbody-$i")
        (
            exec 3<>"/dev/tcp/127.0.0.1/$DOSSIER_PUBLIC_PORT" || exit 1
            printf 'POST /v1/dossiers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
                "${#body}" "${body:0:$(( ${#body} / 2 ))}" >&3
            sleep "$1"
        ) &
        pids+=($!)
    done
    echo "note=$2 connections sent half a body and stopped, for ${1}s"
    wait "${pids[@]}" 2>/dev/null || true
}

# --- one fault

lt_fault() {
    local name=$1 secs=$2 at=$3 inject=$4
    shift 4
    local d=$LT_OUTDIR/faults/$name log=$DG_VAR/nginx/logs/error.log
    local size lead pid n round retried retry_bad before after
    mkdir -p "$d"
    size=$(stat -c %s "$log")
    before=$(lt_get "$LT_OUTDIR/audit.env" violations)

    # the phase's measured window starts after wrk's threads are up
    lead=$(( (1000 + 25 * LT_FAULT_CONNECTIONS) / 1000 ))
    (
        sleep $((lead + at))
        echo "t0_ms=$(lt_now_ms)"
        "$inject" "$@" || echo "failed=1"
        echo "t1_ms=$(lt_now_ms)"
    ) >"$d/fault.env" 2>"$d/fault.err" &
    pid=$!

    phase "$name" rate="$LT_FAULT_RATE" connections="$LT_FAULT_CONNECTIONS" \
        duration="$secs" mark=fault label="fault: $name"
    wait "$pid" || true

    # the dossiers whose answer was in doubt, each sent once more; those a
    # round did not send in the next (wrk gives up a connection whose
    # connect(2) fails at once, EADDRNOTAVAIL when a busy machine's
    # ephemeral ports run short, and with it that connection's share)
    lt_records "$LT_OUTDIR/phases/$name" \
        | awk -F '\t' -v OFS='\t' '$3 == "v" && ($4 == 0 || $4 >= 500) {
            print $6, $2, "-" }' | LC_ALL=C sort -u -t "$(printf '\t')" -k1,1 \
        >"$d/indoubt.tsv"
    retried=$(wc -l <"$d/indoubt.tsv")
    cp "$d/indoubt.tsv" "$d/remaining.tsv"
    for round in 1 2 3 4 5 6; do
        n=$(wc -l <"$d/remaining.tsv")
        [ "$n" -gt 0 ] || break
        # healthy, the gateway takes some 1 000 a second from 8
        # connections: a quarter of that
        phase "$name-retry$round" mode=resend source_file="$d/remaining.tsv" \
            connections=8 duration=$((2 + n / 250)) \
            label="after $name: $n in doubt sent again (round $round)"
        lt_records "$LT_OUTDIR/phases/$name-retry$round" \
            | awk -F '\t' '$4 == 200 || $4 == 201 { print $6 }' \
            | LC_ALL=C sort -u >"$d/accepted.tsv"
        awk -F '\t' 'NR == FNR { ok[$1] = 1; next } !($1 in ok)' \
            "$d/accepted.tsv" "$d/remaining.tsv" >"$d/remaining.next"
        mv "$d/remaining.next" "$d/remaining.tsv"
    done
    retry_bad=$(wc -l <"$d/remaining.tsv")

    "$LT_HOME/audit" "$LT_OUTDIR" >"$d/audit.log" 2>&1 || true
    cp "$LT_OUTDIR/audit.env" "$d/audit.env"
    after=$(lt_get "$d/audit.env" violations)

    # the phase's answers to valid dossiers, against the fault's t0 and t1
    lt_records "$LT_OUTDIR/phases/$name" | awk -F '\t' \
        -v t0="$(lt_get "$d/fault.env" t0_ms)" -v t1="$(lt_get "$d/fault.env" t1_ms)" '
        $3 != "v" { next }
        { n++ }
        $4 == 200 || $4 == 201 { ok++; if ($1 > last_ok) last_ok = $1; next }
        { bad++; if ($4 == 0) lost++; else if ($4 == 503) s503++; else other++
          if (first == "" || $9 < first) first = $9
          if ($1 > last) last = $1 }
        END {
            printf "answers=%d\nok=%d\nfailed=%d\nunanswered=%d\nn503=%d\nother=%d\n",
                   n, ok, bad, lost, s503, other
            printf "lasted_s=%.1f\n", (t1 - t0) / 1000
            if (bad == 0) { print "recovered_s=0"; print "outage_s=0"; exit }
            printf "outage_s=%.1f\n", (last - first) / 1000
            printf "first_fail_s=%.1f\n", (first - t0) / 1000
            if (last_ok < last) print "recovered_s=never"
            else printf "recovered_s=%.1f\n", (last > t1 ? last - t1 : 0) / 1000
        }' >"$d/result.env"

    # a worker that died, other than the one killed on purpose
    n=$(tail -c +"$((size + 1))" "$log" | grep "exited on signal" \
        | grep -vc "process $(lt_get "$d/fault.env" killed) exited on signal 9" || true)
    {
        echo "retried=$retried"
        echo "retry_failed=$retry_bad"
        echo "violations=$(( ${after:-0} - ${before:-0} ))"
        echo "crashes=$n"
        echo "halfbody_stored=$(dg_psql -tA -c "SELECT count(*) FROM dossiers WHERE ma_ho_so LIKE 'LT$LT_RUN-halfbody-%'")"
    } >>"$d/result.env"

    if [ "$(lt_get "$d/result.env" violations)" != 0 ] || [ "$retry_bad" != 0 ] \
       || [ "$n" != 0 ] || [ "$(lt_get "$d/result.env" recovered_s)" = never ] \
       || [ "$(lt_get "$d/result.env" halfbody_stored)" != 0 ] \
       || [ -n "$(lt_get "$d/fault.env" failed)" ]
    then
        LT_FAULTS_FAILED="$LT_FAULTS_FAILED $name"
        lt_say "fault $name: FAILED, see $d"
    fi
    echo "$name" >>"$LT_OUTDIR/faults.list"
    lt_say "fault $name: $(tr '\n' ' ' <"$d/result.env")"
}

# faults.md: one row per fault.
lt_faults_table() {
    local f d r
    {
        echo "## Faults"
        echo
        echo "Steady load: $LT_FAULT_RATE requests/s of signed submissions (5% invalid) on $LT_FAULT_CONNECTIONS connections; times in seconds from when the fault began (t0) or was over (t1)."
        echo
        echo "| fault | what was done | t0 to t1 | valid dossiers sent | 201/200 | 503 | never answered | other | first failure after t0 | failing for | all succeed again, after t1 | in doubt, sent again: accepted | audit violations | worker crashes |"
        echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        while read -r f; do
            d=$LT_OUTDIR/faults/$f
            r=$d/result.env
            echo "| $f | $(lt_get "$d/fault.env" note) | $(lt_get "$r" lasted_s) | $(lt_get "$r" answers) | $(lt_get "$r" ok) | $(lt_get "$r" n503) | $(lt_get "$r" unanswered) | $(lt_get "$r" other) | $(lt_get "$r" first_fail_s) | $(lt_get "$r" outage_s) | $(lt_get "$r" recovered_s) | $(( $(lt_get "$r" retried) - $(lt_get "$r" retry_failed) )) of $(lt_get "$r" retried) | $(lt_get "$r" violations) | $(lt_get "$r" crashes) |"
        done <"$LT_OUTDIR/faults.list"
        echo
        if [ -z "$LT_FAULTS_FAILED" ]; then
            echo "Every fault **passed**: nothing acknowledged lost, nothing refused stored, every dossier in doubt accepted when sent again, no worker crash, submissions succeeding again before the phase ended."
        else
            echo "Faults **FAILED**:$LT_FAULTS_FAILED (see faults/<name>/ in the results)."
        fi
    } >"$LT_OUTDIR/faults.md"
    cat "$LT_OUTDIR/faults.md" >&2
}
