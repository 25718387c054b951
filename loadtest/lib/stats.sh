# Figures of one phase from its records (lua/dossier.lua's t*.log) and
# wrk's summary: stats.env (the phase) and sectors.tsv (per sector).

# lt_records DIR: every record of the phase, the never-answered included.
lt_records() {
    cat "$1"/t*.log "$1/unanswered.log" 2>/dev/null
}

# lt_window DIR: the records answered within the phase's measured window
# [start_ms, end_ms] (meta.env), and the never-answered ones (status 0).
lt_window() {
    lt_records "$1" | awk -F '\t' -v s="$(lt_get "$1/meta.env" start_ms)" \
        -v e="$(lt_get "$1/meta.env" end_ms)" '$4 == 0 || ($1 >= s && $1 <= e)'
}

# lt_percentiles: group<TAB>latency_us lines in, pct.awk's table out.
lt_percentiles() {
    LC_ALL=C sort -t "$(printf '\t')" -k1,1 -k2,2n | awk -f "$LT_HOME/lib/pct.awk"
}

# Rates are over the measured window; wrk's own summary (summary.env)
# covers its whole run, the wait for the common start included.
lt_phase_stats() {
    local d=$1 secs
    secs=$(lt_calc "($(lt_get "$d/meta.env" end_ms) - $(lt_get "$d/meta.env" start_ms)) / 1000")

    # counts: answered, by status, and answers that are not what the kind
    # of request expects (valid -> 201, invalid -> 422, resent -> 200 with
    # the first id, lookup -> 200, resent after an answer in doubt -> 201,
    # or 200 when the first attempt was stored)
    # (bare nginx answers 200 to everything: anything else is unexpected)
    lt_window "$d" | awk -F '\t' -v secs="$secs" \
            -v bare="$([ "$(lt_get "$d/meta.env" target)" = bare ] && echo 1)" '
        $4 == 0 { lost++; next }
        bare { n++; st[$4]++; served++; if ($4 != 200) bad["valid"]++; next }
        { n++; st[$4]++; if ($4 != 503) served++
          if (($3 == "v" || $3 == "r" || $3 == "d") && ($4 == 200 || $4 == 201)) durable++
          if ($3 == "v" && $4 != 201) bad["valid"]++
          if ($3 == "i" && $4 != 422) bad["invalid"]++
          # resent after a refusal (no first id): 201, or 200 if stored
          if ($3 == "r" && $8 == "-" && $4 != 200 && $4 != 201) bad["resent"]++
          if ($3 == "r" && $8 != "-" && ($4 != 200 || $7 != $8)) bad["resent"]++
          if ($3 == "l" && $4 != 200) bad["lookup"]++ }
        END {
          printf "duration_s=%.3f\nanswered=%d\nunanswered=%d\n", secs, n, lost
          printf "rps=%.1f\nserved_rps=%.1f\ndurable_rps=%.1f\n",
                 n / secs, served / secs, durable / secs
          s = ""
          for (k in st) s = s (s == "" ? "" : " ") k ":" st[k]
          printf "statuses=%s\n", s
          for (k in st) printf "n_%s=%d\n", k, st[k]
          printf "unexpected_valid=%d\nunexpected_invalid=%d\n", bad["valid"], bad["invalid"]
          printf "unexpected_resent=%d\nunexpected_lookup=%d\n", bad["resent"], bad["lookup"]
        }' >"$d/stats.env"

    # Lua-measured percentiles over every answer, and wrk's own
    lt_window "$d" | awk -F '\t' '$4 > 0 { print "all\t" $5 }' \
        | lt_percentiles | awk -F '\t' '{
            printf "p50_ms=%s\np90_ms=%s\np99_ms=%s\np999_ms=%s\nmax_ms=%s\n",
                   $3, $4, $5, $6, $7 }' >>"$d/stats.env"
    local k
    for k in p50 p90 p99 p999; do
        echo "wrk_${k}_ms=$(lt_calc "$(lt_get "$d/summary.env" "lat_${k}_us") / 1000")"
    done >>"$d/stats.env"

    # batch mode: the requests themselves (lua/dossier.lua's b*.log):
    # batches/s, their statuses and latency, dossiers per batch
    if ls "$d"/b*.log >/dev/null 2>&1; then
        cat "$d"/b*.log | awk -F '\t' -v s="$(lt_get "$d/meta.env" start_ms)" \
                -v e="$(lt_get "$d/meta.env" end_ms)" -v secs="$secs" '
            $1 >= s && $1 <= e { n++; st[$2]++; items += $4; ok += $5 }
            END { printf "batches=%d\nbatch_rps=%.1f\nbatch_items=%.1f\n",
                         n, n / secs, n ? items / n : 0
                  printf "batch_accepted=%.1f\n", n ? ok / n : 0
                  b = ""
                  for (k in st) b = b (b == "" ? "" : " ") k ":" st[k]
                  printf "batch_statuses=%s\n", b }' >>"$d/stats.env"
        cat "$d"/b*.log | awk -F '\t' -v s="$(lt_get "$d/meta.env" start_ms)" \
                -v e="$(lt_get "$d/meta.env" end_ms)" \
                '$1 >= s && $1 <= e { print "batch\t" $3 }' \
            | lt_percentiles | awk -F '\t' '{
                printf "batch_p50_ms=%s\nbatch_p90_ms=%s\nbatch_p99_ms=%s\nbatch_max_ms=%s\n",
                       $3, $4, $5, $7 }' >>"$d/stats.env"
    fi

    # per sector: answers, rate, status classes, latency
    lt_window "$d" | awk -F '\t' '$4 > 0 { print $2 "\t" $5 }' \
        | lt_percentiles >"$d/sector-latency.tsv"
    lt_window "$d" | awk -F '\t' -v secs="$secs" '
        $4 > 0 { n[$2]++
                 c = ($4 == 200 || $4 == 201) ? "ok" : ($4 == 422 ? "r422" : ($4 == 503 ? "r503" : "other"))
                 k[$2, c]++ }
        END { for (s in n)
                printf "%s\t%.1f\t%d\t%d\t%d\t%d\n", s, n[s] / secs,
                       k[s, "ok"], k[s, "r422"], k[s, "r503"], k[s, "other"] }' \
        | LC_ALL=C sort >"$d/sector-counts.tsv"
    # per kind of request (v valid, i invalid, r resent, l lookup):
    # kind n p50 p90 p99 p99.9 max
    lt_window "$d" | awk -F '\t' '$4 > 0 { print $3 "\t" $5 }' \
        | lt_percentiles >"$d/kinds.tsv"
    # sector rps ok 422 503 other n p50 p90 p99 p99.9 max
    LC_ALL=C join -t "$(printf '\t')" "$d/sector-counts.tsv" "$d/sector-latency.tsv" \
        >"$d/sectors.tsv"
}
