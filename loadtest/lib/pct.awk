# Latency percentiles by group (nearest rank).
# Input: "group<TAB>latency_us", sorted by group, then latency numerically.
# Output: "group<TAB>n<TAB>p50<TAB>p90<TAB>p99<TAB>p99.9<TAB>max", in ms.
BEGIN { FS = OFS = "\t" }

function flush(   i) {
    if (n == 0) return
    printf "%s\t%d", g, n
    split("50 90 99 99.9", ps, " ")
    for (i = 1; i <= 4; i++) printf "\t%.2f", v[rank(ps[i])] / 1000
    printf "\t%.2f\n", v[n] / 1000
}

function rank(p,   k) {
    k = int(p * n / 100)
    if (k < p * n / 100) k++
    return k < 1 ? 1 : k
}

# (string comparison: group "0" must differ from the unset g)
($1 "") != g || NR == 1 { flush(); g = $1 ""; n = 0 }
{ v[++n] = $2 }
END { flush() }
