#!/usr/bin/env bash
# The figures in docs/deployment.md: publishes samples/AotSample (EfficientAI.Codegen) and samples/OrtDigits
# (ONNX Runtime) as NativeAOT for linux-x64 with the same size options, then measures for each: binary size,
# cold start (process start to first result: one inference, then exit; median of N runs) and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=artifacts/measure
runs=${RUNS:-21}
rm -rf "$out" && mkdir -p "$out"
# The floor: an empty program with the same options (what NativeAOT costs before any model code).
mkdir -p "$out/src/Empty"
cp samples/AotSample/AotSample.csproj "$out/src/Empty/Empty.csproj"
sed -i -e '/<Import /d' -e '/ProjectReference/d' -e '/AdditionalFiles/d' -e '/EmbeddedResource/d' "$out/src/Empty/Empty.csproj"
echo 'System.Console.WriteLine("0");' > "$out/src/Empty/Program.cs"
for app in AotSample OrtDigits Empty; do
    project=samples/$app/$app.csproj; [ "$app" = Empty ] && project=$out/src/Empty/Empty.csproj
    dotnet publish "$project" -c Release -r linux-x64 -o "$out/$app" > "$out/$app.log" 2>&1 || { cat "$out/$app.log"; exit 1; }
done

median_ms() {   # command...: wall time of one run, median over $runs runs, in ms
    local t=()
    for _ in $(seq "$runs"); do
        local s=$(date +%s%N); "$@" > /dev/null; local e=$(date +%s%N)
        t+=($(( (e - s) / 1000 )))
    done
    printf '%s\n' "${t[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}
peak_rss_kb() { /usr/bin/time -f %M "$@" 2>&1 > /dev/null | tail -1; }

echo "| app | files | bytes | cold start, median of $runs (ms) | peak RSS (KiB) |"
echo "|---|---|---|---|---|"
for app in Empty AotSample OrtDigits; do
    files=$(cd "$out/$app" && ls -p | grep -v / | grep -v '\.dbg$' | tr '\n' ' ')
    bytes=$(cd "$out/$app" && ls -p | grep -v / | grep -v '\.dbg$' | xargs stat -c %s | awk '{ s += $1 } END { print s }')
    "$out/$app/$app" 1 > /dev/null   # page cache warm: every figure is a warm-cache process start
    echo "| $app | $files| $bytes | $(median_ms "$out/$app/$app" 1) | $(peak_rss_kb "$out/$app/$app" 1) |"
done
echo
echo "sizes of each file:"; (cd "$out" && find Empty AotSample OrtDigits -type f ! -name '*.dbg' -printf '%s %p\n' | sort -k2)
