# Plots bench/soak.sh's samples (soak.csv, see bench/soak_watch.py) to a PNG:
# alert latency, consumer RSS, Redis memory and consumer lag over the run,
# with a dashed line at each fault.
#
# usage: gnuplot -e "csv='soak.csv'; png='soak.png'; heading='...';
#                    faults='MIN MIN ...'; names='NAME NAME ...'" bench/soak.gnuplot
# (faults: the minutes of the run at which the faults named in names came)
set terminal pngcairo size 1200,1300 font "DejaVu Sans,10"
set output png
set datafile separator comma
set grid lc rgb "#dddddd"
stats csv using ($1 / 60) skip 1 nooutput
set xrange [0:STATS_max]
set lmargin 12
set rmargin 4
n = words(faults)
do for [i=1:n] {
    set arrow i from word(faults, i) + 0, graph 0 to word(faults, i) + 0, graph 1 nohead lc rgb "#cc3333" dt 2 lw 1
}

set multiplot layout 4,1 title heading font ",12"

do for [i=1:n] {
    set label i word(names, i) at word(faults, i) + 0, graph 0.97 right rotate by 90 front font ",8" tc rgb "#cc3333" offset -0.4, 0
}
set key outside top center horizontal
set logscale y
set ylabel "alert latency (ms)"
plot csv using ($1 / 60):4 skip 1 with lines lw 1.5 lc rgb "#d95f02" title "p99 over 10 s", \
     csv using ($1 / 60):3 skip 1 with lines lw 1.5 lc rgb "#1b9e77" title "p50 over 10 s"
unset logscale y
unset label
unset key

set ylabel "consumer RSS (MiB)"
set yrange [0:*]
plot csv using ($1 / 60):5 skip 1 with lines lw 1.5 lc rgb "#7570b3" notitle

set ylabel "Redis used\\_memory (MiB)"
plot csv using ($1 / 60):6 skip 1 with lines lw 1.5 lc rgb "#e7298a" notitle

set ylabel "lag (published - stored)"
set xlabel "minutes"
plot csv using ($1 / 60):9 skip 1 with lines lw 1.5 lc rgb "#666666" notitle
unset multiplot
