# report.md of a run, from run.env, the phases' stats.env/sectors.tsv,
# baselines/*.env and audit.md.

# lt_ratio A B: A/B with two decimals, "n/a" when either is missing.
lt_ratio() {
    if [ -z "$1" ] || [ -z "$2" ] || [ "$(lt_calc "$2 == 0")" = 1 ]; then
        echo "n/a"
    else
        lt_calc "int(100 * $1 / $2 + 0.5) / 100"
    fi
}

# lt_per FILE RATE_KEY: microseconds of server CPU (cpu_server of FILE, in
# cores) per unit of RATE_KEY (per second), "" when either is missing.
lt_per() {
    local cores rate
    cores=$(lt_get "$1" cpu_server)
    rate=$(lt_get "$1" "$2")
    [ -n "$cores" ] && [ -n "$rate" ] && [ "$(lt_calc "$rate > 0")" = 1 ] \
        || return 0
    lt_calc "int($cores * 1000000 / $rate + 0.5)"
}

# lt_own FILE "cpu_a + cpu_b" RATE_KEY: the same for the CPU of the given
# process trees (stats.env keys) instead of cpu_server.
lt_own() {
    local expr=$2 k rate
    for k in cpu_nginx cpu_pg cpu_wrk; do
        expr=${expr//$k/$(lt_get "$1" "$k")}
    done
    rate=$(lt_get "$1" "$3")
    case $expr in *cpu_*|"") return 0 ;; esac
    [ -n "$rate" ] && [ "$(lt_calc "$rate > 0")" = 1 ] || return 0
    lt_calc "int(($expr) * 1000000 / $rate + 0.5)"
}

# lt_goal VALUE OP LIMIT: "met" / "not met" (awk comparison).
lt_goal() {
    [ -n "$1" ] && [ "$1" != n/a ] || { echo "n/a"; return; }
    if [ "$(lt_calc "$1 $2 $3")" = 1 ]; then echo "met"; else echo "**not met**"; fi
}

# Loud lines first: what makes the figures below suspect.
lt_report_warnings() {
    local p n late
    while read -r p; do
        n=$(lt_get "$LT_OUTDIR/phases/$p/stats.env" unexpected)
        late=$(lt_get "$LT_OUTDIR/phases/$p/meta.env" late_threads)
        [ "${n:-0}" = 0 ] || echo "> **Warning**: phase $p had $n unexpected answer(s) ($(lt_get "$LT_OUTDIR/phases/$p/stats.env" statuses))."
        [ "${late:-0}" = 0 ] || echo "> **Warning**: in phase $p, $late wrk thread(s) started after the common start."
    done <"$LT_OUTDIR/phases.list"
    if [ "$(lt_get "$LT_OUTDIR/audit.env" acked_codes)" = 0 ]; then
        echo "> **Warning**: the gateway acknowledged no dossier: the audit proves nothing."
    fi
    echo
}

lt_report_headline() {
    local P=$LT_OUTDIR/phases B=$LT_OUTDIR/baselines
    local durable p1 p32 half_p99 half_lua inv bare_inv acc bare r
    durable=$(lt_get "$P/peak/stats.env" durable_rps)
    p1=$(lt_get "$B/pgbench-1.env" rows_per_s)
    p32=$(lt_get "$B/pgbench-32.env" rows_per_s)
    half_p99=$(lt_get "$P/half/stats.env" wrk_p99_ms)
    half_lua=$(lt_get "$P/half/stats.env" p99_ms)
    inv=$(lt_get "$P/invalid/stats.env" rps)
    bare_inv=$(lt_get "$P/bare-invalid/stats.env" rps)
    acc=$(lt_get "$P/peak/stats.env" rps)
    bare=$(lt_get "$P/bare/stats.env" rps)

    echo "## Headline"
    echo
    echo "| figure | gateway | baseline | ratio | goal |"
    echo "| --- | ---: | ---: | ---: | --- |"
    if [ -n "$durable" ]; then
        echo "| durable submissions/s (phase peak, 201/200 only, $(lt_get "$P/peak/meta.env" connections) connections) | $durable | pgbench 1 row/tx: ${p1:-n/a} rows/s | $(lt_ratio "$durable" "$p1") | |"
        r=$(lt_ratio "$durable" "$p32")
        echo "| | | pgbench 32 rows/tx: ${p32:-n/a} rows/s | $r | ≥ 0.5: $(lt_goal "$r" ">=" 0.5) |"
        local f1 f32
        f1=$(lt_get "$B/pgbench-fn-1.env" rows_per_s)
        f32=$(lt_get "$B/pgbench-fn-32.env" rows_per_s)
        if [ -n "$f1$f32" ]; then
            echo "| | | the gateway's SQL function alone, 1 dossier a call: ${f1:-n/a} rows/s | $(lt_ratio "$durable" "$f1") | |"
            echo "| | | the gateway's SQL function alone, 32 dossiers a call: ${f32:-n/a} rows/s | $(lt_ratio "$durable" "$f32") | |"
        fi
        echo "| dossiers per group commit at peak (PostgreSQL ms per commit) | $(lt_get "$P/peak/stats.env" pg_batch_items) ($(lt_get "$P/peak/stats.env" pg_batch_ms) ms) | | | |"
        local srv bare_us row_us floor
        srv=$(lt_per "$P/peak/stats.env" durable_rps)
        bare_us=$(lt_per "$P/bare/stats.env" rps)
        row_us=$(lt_per "$B/pgbench-32.env" rows_per_s)
        floor=""
        [ -z "$bare_us" ] || [ -z "$row_us" ] || floor=$((bare_us + row_us))
        r=$(lt_ratio "$srv" "$floor")
        echo "| server CPU per durable dossier (phase peak: the machine's busy time less wrk's, per 201/200) | ${srv:-n/a} µs | floor: bare nginx per request ${bare_us:-n/a} µs + PostgreSQL per row at 32 rows/tx ${row_us:-n/a} µs = ${floor:-n/a} µs | $r | ≤ 1.6: $(lt_goal "$r" "<=" 1.6) |"
        # the same with the processes under test only: on a machine shared
        # with other work, "busy" counts that work too
        srv=$(lt_own "$P/peak/stats.env" "cpu_nginx + cpu_pg" durable_rps)
        bare_us=$(lt_own "$P/bare/stats.env" cpu_nginx rps)
        row_us=$(lt_own "$B/pgbench-32.env" cpu_pg rows_per_s)
        floor=""
        [ -z "$bare_us" ] || [ -z "$row_us" ] || floor=$((bare_us + row_us))
        echo "| the same, the processes under test only (nginx, PostgreSQL) | ${srv:-n/a} µs | floor: bare nginx ${bare_us:-n/a} µs + PostgreSQL ${row_us:-n/a} µs = ${floor:-n/a} µs | $(lt_ratio "$srv" "$floor") | |"
        r=$(lt_get "$P/peak/stats.env" wrk_p99_ms)
        echo "| latency at peak, p50 / p99 (wrk) | $(lt_get "$P/peak/stats.env" wrk_p50_ms) / $r ms | | | < 15 ms: $(lt_goal "$r" "<" 15) |"
        echo "| latency at peak, p50 / p99 (per request, Lua) | $(lt_get "$P/peak/stats.env" p50_ms) / $(lt_get "$P/peak/stats.env" p99_ms) ms | | | |"
        echo "| all answers/s at peak vs bare nginx (same requests) | $acc | ${bare:-n/a} | $(lt_ratio "$acc" "$bare") | |"
    fi
    lt_report_batch_headline
    if [ -n "$half_p99" ]; then
        local fh_p99 fh_base=""
        fh_p99=$(lt_get "$B/pgbench-fn-half.env" latency_p99_ms)
        [ -z "$fh_p99" ] || fh_base="the same commits by pgbench alone ($(lt_get "$B/pgbench-fn-half.env" rows_per_tx) dossiers, $(lt_calc "int($(lt_get "$B/pgbench-fn-half.env" tps) + 0.5)") a second): p50 / p99 $(lt_get "$B/pgbench-fn-half.env" latency_p50_ms) / $fh_p99 ms"
        echo "| p99 at half the peak rate (phase half: target $(lt_get "$P/half/meta.env" rate) req/s, achieved $(lt_get "$P/half/stats.env" rps)) | $half_p99 ms (wrk) / $half_lua ms (Lua) | $fh_base | $(lt_ratio "$half_p99" "$fh_p99") | < 5 ms: $(lt_goal "$half_p99" "<" 5) |"
    fi
    if [ -n "$inv" ]; then
        r=$(lt_ratio "$inv" "$bare_inv")
        echo "| invalid-dossier path, 422/s (phase invalid) | $inv | bare nginx, same requests: ${bare_inv:-n/a} req/s | $r | ≥ 0.5: $(lt_goal "$r" ">=" 0.5) |"
    fi
    echo
}

# The batch profile's phase "batch": rows stored per second in batches
# (every dossier answered 201/200 is a committed row) against pgbench's 32
# rows a transaction, and the latency of a whole batch.
lt_report_batch_headline() {
    local P=$LT_OUTDIR/phases/batch B=$LT_OUTDIR/baselines rows p32 r
    [ -f "$P/stats.env" ] || return 0
    rows=$(lt_get "$P/stats.env" durable_rps)
    p32=$(lt_get "$B/pgbench-32.env" rows_per_s)
    r=$(lt_ratio "$rows" "$p32")
    echo "| rows stored/s in batches of $(lt_get "$P/meta.env" batch) (phase batch, $(lt_get "$P/meta.env" connections) connections; dossiers answered 201/200) | $rows | pgbench 32 rows/tx: ${p32:-n/a} rows/s | $r | ≥ 0.8: $(lt_goal "$r" ">=" 0.8) |"
    echo "| | | the gateway's SQL function alone, 32 dossiers a call: $(lt_get "$B/pgbench-fn-32.env" rows_per_s) rows/s | $(lt_ratio "$rows" "$(lt_get "$B/pgbench-fn-32.env" rows_per_s)") | |"
    echo "| batches/s (statuses), dossiers accepted per batch | $(lt_get "$P/stats.env" batch_rps) ($(lt_get "$P/stats.env" batch_statuses)), $(lt_get "$P/stats.env" batch_accepted) of $(lt_get "$P/stats.env" batch_items) | | | |"
    echo "| latency per batch, p50 / p99 / max (per request, Lua) | $(lt_get "$P/stats.env" batch_p50_ms) / $(lt_get "$P/stats.env" batch_p99_ms) / $(lt_get "$P/stats.env" batch_max_ms) ms | | | |"
    echo "| latency per batch, p50 / p99 (wrk) | $(lt_get "$P/stats.env" wrk_p50_ms) / $(lt_get "$P/stats.env" wrk_p99_ms) ms | | | |"
    echo "| dossiers per group commit (PostgreSQL ms per commit) | $(lt_get "$P/stats.env" pg_batch_items) ($(lt_get "$P/stats.env" pg_batch_ms) ms) | | | |"
}

lt_report_phases() {
    local p d
    echo "## Phases"
    echo
    echo "Latency: wrk's percentiles (wrk corrects them for coordinated omission, which raises the tail of unthrottled phases) and the per-request ones measured in Lua (raw)."
    echo
    echo "| phase | what | target | conns | s | target req/s | answers/s | durable/s | statuses | unexpected | never answered | wrk p50 / p90 / p99 / p99.9 ms | Lua p50 / p90 / p99 / p99.9 ms |"
    echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |"
    while read -r p; do
        d=$LT_OUTDIR/phases/$p
        local g="lt_get $d/stats.env" m="lt_get $d/meta.env"
        echo "| $p | $($m label) | $($m target) | $($m connections) | $($g duration_s) | $($m rate) | $($g rps) | $($g durable_rps) | $($g statuses) | $($g unexpected) | $($g unanswered) | $($g wrk_p50_ms) / $($g wrk_p90_ms) / $($g wrk_p99_ms) / $($g wrk_p999_ms) | $($g p50_ms) / $($g p90_ms) / $($g p99_ms) / $($g p999_ms) |"
    done <"$LT_OUTDIR/phases.list"
    echo
    echo "Unexpected: a valid dossier not answered 201, an invalid one not 422, a resent one not 200 with the first id, a lookup not 200."
    echo
}

lt_report_resources() {
    local p g
    echo "## Where the time went"
    echo
    echo "CPU in cores (this machine has $(nproc)) over each phase's window: the nginx under test (gateway or bare), its PostgreSQL (all backends), wrk, and everything else (other work on the machine, the kernel); server: the machine's busy time less wrk's, in cores and in microseconds per answer, and wrk's own microseconds per answer (the load generator's cost).  The gateway's group commits (pg_stat_statements on dossier_submit_batch): how many, dossiers per commit, mean time inside PostgreSQL; checkpoints and WAL written during the phase."
    echo
    echo "| phase | nginx | PostgreSQL | wrk | other | idle | server | server µs/answer | wrk µs/answer | group commits | dossiers per commit | ms per commit | checkpoints | WAL MB |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    while read -r p; do
        g="lt_get $LT_OUTDIR/phases/$p/stats.env"
        local wrk_us=""
        [ -z "$($g cpu_wrk)" ] || [ "$(lt_calc "$($g rps) > 0")" != 1 ] \
            || wrk_us=$(lt_calc "int($($g cpu_wrk) * 1000000 / $($g rps) + 0.5)")
        echo "| $p | $($g cpu_nginx) | $($g cpu_pg) | $($g cpu_wrk) | $($g cpu_other) | $($g cpu_idle) | $($g cpu_server) | $(lt_per "$LT_OUTDIR/phases/$p/stats.env" rps) | $wrk_us | $($g pg_batches) | $($g pg_batch_items) | $($g pg_batch_ms) | $($g pg_checkpoints) | $($g pg_wal_mb) |"
    done <"$LT_OUTDIR/phases.list"
    echo
}

# Per kind of request, for the phases that mix kinds (lookups and
# submissions, valid and invalid dossiers).
lt_report_kinds() {
    local p
    echo "## Per kind of request"
    echo
    echo "Per-request latency (Lua): v valid dossiers, i invalid ones, r resent ones, l lookups."
    echo
    echo "| phase | kind | answers | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    while read -r p; do
        [ "$(lt_get "$LT_OUTDIR/phases/$p/meta.env" target)" = gateway ] || continue
        awk -F '\t' -v p="$p" '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", p, $1, $2, $3, $4, $5, $6, $7 }' \
            "$LT_OUTDIR/phases/$p/kinds.tsv"
    done <"$LT_OUTDIR/phases.list"
    echo
}

lt_report_sectors() {
    local p
    echo "## Per sector"
    echo
    echo "Per-request latency (Lua) of every answer of the sector; invalid dossiers count in the sector they pretended to be."
    echo
    while read -r p; do
        [ "$(lt_get "$LT_OUTDIR/phases/$p/meta.env" target)" = gateway ] || continue
        echo "### $p"
        echo
        echo "| sector | req/s | accepted | 422 | 503 | other | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        awk -F '\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                       $1, $2, $3, $4, $5, $6, $8, $9, $10, $11, $12 }' \
            "$LT_OUTDIR/phases/$p/sectors.tsv"
        echo
    done <"$LT_OUTDIR/phases.list"
}

lt_report_baselines() {
    local f
    ls "$LT_OUTDIR"/baselines/*.env >/dev/null 2>&1 || return 0
    echo "## pgbench baselines"
    echo
    echo "Same cluster and table as the gateway (fsync and synchronous_commit on), the same row size, run after the gateway's phases with a checkpoint before each; their rows are deleted.  insert.sql: a plain INSERT of :rows rows a transaction; submit-batch.sql: the gateway's own dossier_submit_batch() with :rows items a call."
    echo
    echo "| baseline | script | rows/transaction | clients | transactions/s | rows/s | mean latency ms | PostgreSQL cores | pgbench cores | server µs per row |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for f in "$LT_OUTDIR"/baselines/*.env; do
        echo "| $(basename "$f" .env) | $(lt_get "$f" script) | $(lt_get "$f" rows_per_tx) | $(lt_get "$f" clients) | $(lt_get "$f" tps) | $(lt_get "$f" rows_per_s) | $(lt_get "$f" latency_ms) | $(lt_get "$f" cpu_pg) | $(lt_get "$f" cpu_wrk) | $(lt_per "$f" rows_per_s) |"
    done
    echo
}

lt_report() {
    local r=$LT_OUTDIR/run.env
    {
        echo "# Load test \`$(lt_get "$r" profile)\`, $(lt_get "$r" date)"
        echo
        lt_get "$r" description
        echo
        echo "- command: \`$(lt_get "$r" command)\`"
        echo "- run id \`$(lt_get "$r" run)\`, commit $(lt_get "$r" commit), gateway $(lt_get "$r" gateway_url) ($(lt_get "$r" workers) nginx workers)"
        echo "- configuration: $(lt_get "$r" template)"
        echo "- machine: $(lt_get "$r" machine); load average at start: $(lt_get "$r" load)"
        echo "- wrk: $(lt_get "$r" threads) threads, $(lt_get "$r" connections) connections (see loadtest/README.md, \"How it measures\")"
        echo
        lt_report_warnings
        lt_report_headline
        echo "## No-loss audit"
        echo
        cat "$LT_OUTDIR/audit.md" 2>/dev/null || echo "not run"
        echo
        # a profile's own section (failover: the kills, seconds of 503)
        cat "$LT_OUTDIR/profile.md" 2>/dev/null || true
        [ ! -f "$LT_OUTDIR/faults.md" ] || { cat "$LT_OUTDIR/faults.md"; echo; }
        if [ -f "$LT_OUTDIR/throughput.png" ]; then
            echo "## Charts"
            echo
            echo "![answers per second](throughput.png)"
            echo
            echo "![latency per second](latency.png)"
            echo
            echo "![accepted per sector](sectors.png)"
            echo
        fi
        lt_report_phases
        lt_report_resources
        lt_report_kinds
        lt_report_sectors
        lt_report_baselines
    } >"$LT_OUTDIR/report.md"
}
