"""rvmig host reports: a lab run's raw results (results/<run-id>/) -> report.md, CSV, JSON and plots.

Entry point: lab/report.sh <command> <run dir> (run.sh calls it) = python3 -m report (__main__).
  selftests      dirty_log_perf_test logs -> selftests.csv/.json, report.md
  migrate        migrate-*.json -> migrate.csv, report.md
  bench_data     bench runs -> figures per run, summary per case/setting, Y/N ratios, perf-test pairs
  bench_outputs  bench.json, bench.csv;  bench_md: report.md;  bench_verdicts: noise band, prose
  plots          gnuplot data and scripts;  bench_files: reading/writing a bench run, running gnuplot
  perflog        "<figure> time: <s>s" lines;  stats: median/summ/ratio;  rundir: reading a run dir
  jq             the jq 1.6 semantics the outputs were first written with (number text, round, //)
Every module but __main__, bench_files and rundir is pure: data in, text out. A new report is a
module with a pure function per output, one entry in __main__.COMMANDS, and a fixture under
tests/report/fixtures/ with its expected/ outputs."""
