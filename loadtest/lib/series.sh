# Per-second time series of the gateway phases, from the Lua records (one
# line per answer, stamped with the wall clock), for the charts:
#   timeline.tsv         start_s end_s name mark   (one line per phase)
#   series-throughput.tsv  answers/s by outcome
#   series-latency.tsv     p50/p90/p99 latency of the answers of each second
#   series-sectors.tsv     accepted dossiers/s per sector
lt_series() {
    local phases=() p t0 d
    while read -r p; do
        [ "$(lt_get "$LT_OUTDIR/phases/$p/meta.env" target)" = gateway ] && phases+=("$p")
    done <"$LT_OUTDIR/phases.list"
    [ ${#phases[@]} -gt 0 ] || return 1

    t0=$(lt_get "$LT_OUTDIR/phases/${phases[0]}/meta.env" start_ms)
    : >"$LT_OUTDIR/timeline.tsv"
    printf 'time_s\taccepted 201/200 (req/s)\tinvalid 422 (req/s)\tsaturated 503 (req/s)\tother (req/s)\n' \
        >"$LT_OUTDIR/series-throughput.tsv"
    printf 'time_s\tp50 (ms)\tp90 (ms)\tp99 (ms)\n' >"$LT_OUTDIR/series-latency.tsv"

    local sectors
    sectors=$(for p in "${phases[@]}"; do cut -f 1 "$LT_OUTDIR/phases/$p/sectors.tsv"; done \
              | LC_ALL=C sort -u | tr '\n' ' ')
    printf 'time_s%s\n' "$(for s in $sectors; do printf '\t%s accepted/s' "$s"; done)" \
        >"$LT_OUTDIR/series-sectors.tsv"

    for p in "${phases[@]}"; do
        d=$LT_OUTDIR/phases/$p
        awk -v t0="$t0" -v s="$(lt_get "$d/meta.env" start_ms)" \
            -v e="$(lt_get "$d/meta.env" end_ms)" -v name="$p" \
            -v mark="$(lt_get "$d/meta.env" mark)" \
            'BEGIN { printf "%.1f\t%.1f\t%s\t%s\n", (s - t0) / 1000, (e - t0) / 1000, name, mark }' \
            >>"$LT_OUTDIR/timeline.tsv"

        # each answer in its whole second of the phase's window; x: the
        # middle of that second on the timeline
        lt_window "$d" | awk -F '\t' -v OFS='\t' -v t0="$t0" \
            -v s="$(lt_get "$d/meta.env" start_ms)" -v dur="$(lt_get "$d/meta.env" duration)" '
            $4 > 0 { k = int(($1 - s) / 1000)
                     if (k < dur) print (s - t0) / 1000 + k + 0.5, $4, $2, $5 }' >"$d/buckets.tsv"

        LC_ALL=C sort -n "$d/buckets.tsv" | awk -F '\t' -v OFS='\t' '
            { c = ($2 == 200 || $2 == 201) ? 1 : ($2 == 422 ? 2 : ($2 == 503 ? 3 : 4))
              if (!($1 in seen)) { seen[$1]; xs[++nx] = $1 }; n[$1, c]++ }
            END { for (i = 1; i <= nx; i++) { x = xs[i]
                    print x, n[x, 1] + 0, n[x, 2] + 0, n[x, 3] + 0, n[x, 4] + 0 }
                  print "" }' >>"$LT_OUTDIR/series-throughput.tsv"

        cut -f 1,4 "$d/buckets.tsv" | lt_percentiles | LC_ALL=C sort -n \
            | awk -F '\t' -v OFS='\t' '{ print $1, $3, $4, $5 } END { print "" }' \
            >>"$LT_OUTDIR/series-latency.tsv"

        LC_ALL=C sort -n "$d/buckets.tsv" | awk -F '\t' -v OFS='\t' -v list="$sectors" '
            BEGIN { ns = split(list, sl, " ") }
            { if (!($1 in seen)) { seen[$1]; xs[++nx] = $1 }
              if ($2 == 200 || $2 == 201) n[$1, $3]++ }
            END { for (i = 1; i <= nx; i++) { line = xs[i]
                    for (j = 1; j <= ns; j++) line = line OFS (n[xs[i], sl[j]] + 0)
                    print line }
                  print "" }' >>"$LT_OUTDIR/series-sectors.tsv"
        rm -f "$d/buckets.tsv"
    done
}

# lt_charts: the three PNGs of a run.
lt_charts() {
    lt_series || return 0
    lt_chart "$LT_OUTDIR/throughput.png" "Gateway answers per second, by outcome" \
        "answers per second (req/s)" "$LT_OUTDIR/series-throughput.tsv"
    lt_chart "$LT_OUTDIR/latency.png" "Gateway latency per second (all answers of that second)" \
        "latency (ms, log scale)" "$LT_OUTDIR/series-latency.tsv" log
    lt_chart "$LT_OUTDIR/sectors.png" "Accepted dossiers per second, by sector (MaLinhVuc)" \
        "accepted dossiers per second" "$LT_OUTDIR/series-sectors.tsv"
}
