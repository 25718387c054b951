# What the machine and the database did during a phase, so that the report
# can say where the time went (other engineers share this machine):
#   CPU, in cores, over the measured window: the nginx under test, its
#   PostgreSQL, wrk, the rest; and cpu_server, the machine's busy time
#   minus the load generator's (wrk, or pgbench in a baseline): what
#   "server CPU" means in the report
#   the gateway's group commits: batches, dossiers per batch, batch time
# (pg_stat_statements, when the cluster has it; auto/lib.sh loads it).

# lt_cpu_read NGINX PG WRK: machine busy and idle ticks, then the ticks of
# three process trees given by their roots.  A tree's ticks: every live
# process in it, with the children it reaped (e.g. PostgreSQL's finished
# backends, in the postmaster's): a dead process counts once, in its
# reaper.  One cat and one awk: under load, every fork of this shell is
# slow.
lt_cpu_read() {
    cat /proc/stat /proc/[0-9]*/stat 2>/dev/null | awk -v r1="${1:-x}" -v r2="${2:-x}" -v r3="${3:-x}" '
        /^cpu / { busy = $2 + $3 + $4 + $7 + $8 + $9; idle = $5 + $6; next }
        /^[0-9]/ { pid = $1; s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
                   parent[pid] = f[2]; ticks[pid] = f[12] + f[13] + f[14] + f[15] }
        END {
            for (p in ticks)
                for (q = p; q != "" && q != 0; q = parent[q]) {
                    if (q == r1) { t1 += ticks[p]; break }
                    if (q == r2) { t2 += ticks[p]; break }
                    if (q == r3) { t3 += ticks[p]; break }
                }
            print busy, idle, t1 + 0, t2 + 0, t3 + 0 }'
}

lt_pg_ok() {
    [ -S "$DG_VAR/pg/run/.s.PGSQL.$DOSSIER_PG_PORT" ]
}

# lt_cpu_counters VAR: wall ms, then lt_cpu_read's figures
lt_cpu_counters() {
    local now=${EPOCHREALTIME/./}
    printf -v "$1" '%s %s' "$((now / 1000))" \
        "$(lt_cpu_read "$LT_OBS_NGINX" "$LT_OBS_PG" "$LT_OBS_WRK")"
}

# lt_observe_prepare NGINX_PIDFILE WRK_PID: before the window (the
# statement counters restart here: nothing reaches the gateway before go)
lt_observe_prepare() {
    LT_OBS_NGINX=$(cat "$1" 2>/dev/null || true)
    LT_OBS_PG=$(head -n 1 "$DG_VAR/pg/data/postmaster.pid" 2>/dev/null || true)
    LT_OBS_WRK=$2
    LT_OBS_PG0=""
    if lt_pg_ok; then
        dg_psql -c "SELECT pg_stat_statements_reset()" >/dev/null 2>&1 || true
        LT_OBS_PG0=$(lt_pg_counters)
    fi
}

# checkpoints so far and WAL bytes written so far
lt_pg_counters() {
    dg_psql -tA -F ' ' -c "SELECT checkpoints_timed + checkpoints_req,
                                  (SELECT wal_bytes FROM pg_stat_wal)
                             FROM pg_stat_bgwriter" 2>/dev/null || true
}

# lt_pg_super SQL: SQL as the cluster's superuser
lt_pg_super() {
    "$DG_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DG_VAR/pg/run" \
        -p "$DOSSIER_PG_PORT" -U postgres -d dossier -c "$1" >/dev/null 2>&1
}

# lt_pg_checkpoint: a checkpoint now, so that the next phase does not pay
# for the WAL of the previous ones and writes into recycled segments
lt_pg_checkpoint() {
    lt_pg_ok || return 0
    lt_pg_super CHECKPOINT \
        || lt_say "warning: CHECKPOINT failed (not the cluster's superuser?)"
}

# lt_pg_wal_prewarm N: N WAL segments made now and recycled by a
# checkpoint, as in a database that has run for a while. A segment made
# during a phase is zero-filled first, and the commits wait for it: a
# stall of tens of milliseconds every 16 MB of WAL. Needs a min_wal_size
# of at least N segments, or the checkpoint removes them.
lt_pg_wal_prewarm() {
    lt_pg_super "CREATE TABLE lt_wal_prewarm (n int);
                 DO \$\$ BEGIN
                     FOR i IN 1..$1 LOOP
                         INSERT INTO lt_wal_prewarm VALUES (i);
                         PERFORM pg_switch_wal();
                     END LOOP;
                 END \$\$;
                 DROP TABLE lt_wal_prewarm;
                 CHECKPOINT" \
        || lt_say "warning: WAL segments not made in advance (not the cluster's superuser?)"
}

# lt_observe_start, lt_observe_stop: the counters at the window's ends
lt_observe_start() {
    lt_cpu_counters LT_OBS_T0
}

lt_observe_stop() {
    lt_cpu_counters LT_OBS_T1
}

# lt_observe_write FILE: appends cpu_* (cores, over the wall time between
# start and stop) and pg_* to FILE
lt_observe_write() {
    local out=$1
    echo "$LT_OBS_T0 $LT_OBS_T1" | awk -v hz="$(getconf CLK_TCK)" '{
        f = hz * ($7 - $1) / 1000
        busy = $8 - $2; idle = $9 - $3; ng = $10 - $4; pg = $11 - $5
        wrk = $12 - $6
        other = busy - ng - pg - wrk; if (other < 0) other = 0
        printf "cpu_nginx=%.2f\ncpu_pg=%.2f\ncpu_wrk=%.2f\ncpu_other=%.2f\ncpu_idle=%.2f\ncpu_busy=%.3f\ncpu_server=%.3f\n",
               ng / f, pg / f, wrk / f, other / f, idle / f, busy / f,
               (busy - wrk) / f }' >>"$out"
    if lt_pg_ok; then
        # the gateway's batch writer: one call per group commit
        dg_psql -tA -F ' ' -c "SELECT sum(calls), sum(rows),
                                      round(sum(total_exec_time)::numeric / greatest(sum(calls), 1), 3)
                                 FROM pg_stat_statements
                                WHERE query LIKE '%dossier_submit_batch%'
                                  AND query NOT LIKE '%pg_stat_statements%'" 2>/dev/null \
            | awk '$1 > 0 { printf "pg_batches=%d\npg_batch_items=%.1f\npg_batch_ms=%s\n", $1, $2 / $1, $3 }' \
            >>"$out" || true
        [ -z "$LT_OBS_PG0" ] || echo "$LT_OBS_PG0 $(lt_pg_counters)" | awk 'NF == 4 {
            printf "pg_checkpoints=%d\npg_wal_mb=%.1f\n", $3 - $1, ($4 - $2) / 1048576 }' >>"$out"
    fi
}
