#!/usr/bin/env bash
# bench-detect.sh: kmsguard detect against its floor (igzip -dc, ISA-L,
# decompression only) and a jq baseline running rule 1 alone, side by
# side in one run, on a deterministic ctgen corpus. See BENCHMARKS.md.
#
#   scripts/bench-detect.sh                 # 200,000 events, 5 runs each
#   EVENTS=400000 scripts/bench-detect.sh   # another corpus size
#   RUNS=3 JQ_RUNS=2 scripts/bench-detect.sh
#
# Needs: go, igzip (Debian isal), jq, hyperfine, GNU time (Debian time);
# libdeflate-dev for the native build (skipped when absent).
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-200000}
SEED=${SEED:-1}
RUNS=${RUNS:-5}
JQ_RUNS=${JQ_RUNS:-3}
CORPUS=${CORPUS:-/tmp/kmsguard-corpus-${EVENTS}-seed${SEED}}
WORK=$(mktemp -d /tmp/kmsguard-bench-detect.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

for tool in go igzip jq hyperfine /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench-detect: $tool is missing (apt-get install -y isal jq hyperfine time)" >&2; exit 2; }
done

if [ ! -f "$CORPUS/ctgen-manifest.json" ]; then
	echo "== generating $EVENTS events (seed $SEED) in $CORPUS"
	go run ./internal/cloudtrail/ctgen/cmd -out "$CORPUS" -events "$EVENTS" -seed "$SEED"
fi
LOGS="$CORPUS/AWSLogs"
find "$LOGS" -name '*.json.gz' | sort >"$WORK/files"

echo "== building"
go build -o "$WORK/kmsguard" ./cmd/kmsguard
BINS=(kmsguard)
if [ -f /usr/include/libdeflate.h ]; then
	go build -tags libdeflate -o "$WORK/kmsguard-libdeflate" ./cmd/kmsguard
	BINS+=(kmsguard-libdeflate)
else
	echo "   (no /usr/include/libdeflate.h: native build skipped; apt-get install -y libdeflate-dev)"
fi

# Rule 1 alone in jq: a successful DisableKey or ScheduleKeyDeletion.
cat >"$WORK/rule1.jq" <<'JQ'
.Records[] | select(.eventSource == "kms.amazonaws.com"
  and (.eventName == "DisableKey" or .eventName == "ScheduleKeyDeletion")
  and (has("errorCode") | not) and (has("errorMessage") | not)) | .eventID
JQ

IGZIP="xargs igzip -dc <$WORK/files >/dev/null"
# Decompression alone on both cores (two igzip processes, half the files
# each): no reader that inflates the corpus can beat it, so its ratio to
# jq bounds the ratio any of them can reach on this machine.
HALF=$(( ($(wc -l <"$WORK/files") + 1) / 2 ))
IGZIP2="xargs -P 2 -n $HALF igzip -dc <$WORK/files >/dev/null"
JQ="xargs zcat <$WORK/files | jq -r -f $WORK/rule1.jq >/dev/null"
detect_cmd() { echo "$WORK/$1 detect $LOGS --format json --output /dev/null --fail-on none 2>/dev/null"; }

echo "== machine"
echo "   $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(uname -sr); $(go version | cut -d' ' -f3)"
echo "   corpus: $(wc -l <"$WORK/files") files, $(du -sm "$LOGS" | cut -f1) MB gzip, $EVENTS events"
echo "   load before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== sanity: the jq filter and kmsguard agree on rule 1"
# Rule 1 and its 7-day variant together are what the jq filter selects.
xargs zcat <"$WORK/files" | jq -r -f "$WORK/rule1.jq" | sort >"$WORK/jq-hits"
"$WORK/kmsguard" detect "$LOGS" --format json --fail-on none 2>/dev/null |
	jq -r '.alerts[] | select(.rule_id == "fcfcb8c4-0f20-4bf1-bfcf-798516697a85" or .rule_id == "7bf60909-abe8-4f83-a37d-88fa0a684bd3") | .event_id' |
	sort >"$WORK/kmsguard-hits"
if cmp -s "$WORK/jq-hits" "$WORK/kmsguard-hits"; then
	echo "   agree: $(wc -l <"$WORK/jq-hits") events"
else
	echo "   DISAGREE:"; diff "$WORK/jq-hits" "$WORK/kmsguard-hits" || true; exit 1
fi

echo "== wall and CPU time (hyperfine, $RUNS runs; jq $JQ_RUNS runs)"
args=(--warmup 1 --runs "$RUNS" --export-json "$WORK/main.json" -n igzip "$IGZIP" -n igzip-2cores "$IGZIP2")
for b in "${BINS[@]}"; do args+=(-n "$b" "$(detect_cmd "$b")"); done
hyperfine --style basic "${args[@]}"
hyperfine --style basic --runs "$JQ_RUNS" --export-json "$WORK/jq.json" -n jq "$JQ"
echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== peak RSS (GNU time, one run each)"
rss() { /usr/bin/time -f "%M" -o "$WORK/rss" sh -c "$1" >/dev/null 2>&1 || true; echo "$(( $(cat "$WORK/rss") / 1024 ))"; }
declare -A RSS
RSS[igzip]=$(rss "$IGZIP")
RSS[jq]=$(rss "$JQ")
for b in "${BINS[@]}"; do RSS[$b]=$(rss "$(detect_cmd "$b")"); done

# Memory must not grow with the corpus: the same run on twice the events.
if [ "${RSS_DOUBLE:-1}" = 1 ]; then
	CORPUS2=${CORPUS2:-/tmp/kmsguard-corpus-$((EVENTS * 2))-seed${SEED}}
	if [ ! -f "$CORPUS2/ctgen-manifest.json" ]; then
		echo "== generating $((EVENTS * 2)) events (seed $SEED) in $CORPUS2"
		go run ./internal/cloudtrail/ctgen/cmd -out "$CORPUS2" -events $((EVENTS * 2)) -seed "$SEED"
	fi
	for b in "${BINS[@]}"; do
		r2=$(rss "$WORK/$b detect $CORPUS2/AWSLogs --format json --output /dev/null --fail-on none 2>/dev/null")
		echo "   $b peak RSS: ${RSS[$b]} MiB on $EVENTS events, $r2 MiB on $((EVENTS * 2)) events"
	done
fi

echo "== summary (mean wall s, mean user+sys CPU s, peak RSS MiB)"
jq -r -s --argjson rss "$(for k in "${!RSS[@]}"; do echo "{\"$k\": ${RSS[$k]}}"; done | jq -s add)" '
  (.[0].results + .[1].results) as $r
  | ($r | map({(.command): .}) | add) as $by
  | $r[] | . as $x
  | "\(.command|.[0:22]|(. + "                      ")[0:22]) wall \(.mean*1000|round/1000)s  cpu \((.user+.system)*1000|round/1000)s  cpu/wall \(((.user+.system)/.mean)*100|round/100)  rss \($rss[.command] // "-") MiB"
    + (if (.command|startswith("kmsguard")) then
        "\n    -> vs igzip -dc: \((.mean/$by.igzip.mean)*100|round/100)x wall (target <= 2)   vs jq: \(($by.jq.mean/.mean)*10|round/10)x faster (target >= 30)"
       elif .command == "igzip-2cores" then
        "\n    -> vs jq: \(($by.jq.mean/.mean)*10|round/10)x faster: the most any reader that inflates the corpus can reach here"
       else "" end)' "$WORK/main.json" "$WORK/jq.json"
