# The one chart renderer: a time series PNG with gnuplot.
#
# lt_chart PNG TITLE YLABEL DATA [log]
#   DATA: tab-separated, a header row naming the series, column 1 the time
#   (s since the first phase started), one column per series; a blank line
#   between phases breaks the lines.  Phase boundaries (dashed, named) and
#   marked phases (shaded, e.g. the surge) come from $LT_OUTDIR/timeline.tsv:
#   start_s end_s name mark.
lt_chart() {
    local png=$1 title=$2 ylabel=$3 data=$4 scale=${5:-linear} ncol gp
    ncol=$(head -n 1 "$data" | awk -F '\t' '{ print NF }')
    gp=${png%.png}.gp
    {
        echo "set terminal pngcairo size 1200,540 font 'DejaVu Sans,11'"
        echo "set output '$png'"
        echo "set title '$title'"
        echo "set xlabel 'time since the first phase started (s)'"
        echo "set ylabel '$ylabel'"
        echo "set datafile separator tab"
        echo "set grid"
        echo "set key outside right top vertical box"
        echo "set yrange [0:*]"
        if [ "$scale" = log ]; then
            echo "set logscale y"
            echo "set yrange [*:*]"
        fi
        awk -F '\t' '{
            if ($4 != "")
                printf "set object rect from %s, graph 0 to %s, graph 1 fc rgb \"#f4c7c3\" fs solid 0.45 noborder behind\n", $1, $2
            printf "set arrow from %s, graph 0 to %s, graph 1 nohead dt 2 lc rgb \"#777777\"\n", $1, $1
            printf "set label \"%s%s\" at %s, graph 0.97 offset 0.4,0 font \",9\" tc rgb \"#444444\"\n",
                   $3, ($4 != "" && $4 != $3 ? " (" $4 ")" : ""), $1
        }' "$LT_OUTDIR/timeline.tsv"
        echo "plot for [i=2:$ncol] '$data' using 1:i with lines lw 2 title columnheader(i)"
    } >"$gp"
    gnuplot "$gp" 2>"${gp%.gp}.log" || { cat "${gp%.gp}.log" >&2; lt_die "gnuplot failed on $gp"; }
}
