#!/usr/bin/env bash
# NativeAOT: publishes samples/AotSample for linux-x64 and (cross-compiled) linux-arm64, runs x64 natively and
# arm64 under qemu-user, and compares both with the JIT run of the same model. Fails on any trim/AOT warning
# (IL2xxx/IL3xxx) in either publish, on a run that fails, and on a logit outside the tolerance.
# Needs (Debian): gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user lld-14 clang-14 (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/aot
rm -rf "$out" && mkdir -p "$out"
project=samples/AotSample/AotSample.csproj

publish() {   # rid, extra msbuild arguments...
    local rid=$1; shift
    echo "-- publish $rid"
    if ! dotnet publish "$project" -c Release -p:Rid="$rid" -o "$out/$rid" "$@" > "$out/publish-$rid.log" 2>&1; then
        cat "$out/publish-$rid.log"; echo "aot: publish for $rid failed"; exit 1
    fi
    if grep -E "(warning|error) IL[23][0-9]{3}" "$out/publish-$rid.log"; then
        echo "aot: trim/AOT warnings in the $rid publish"; exit 1
    fi
    ls -l "$out/$rid/AotSample"
}

echo "-- JIT run"
dotnet run --project "$project" -c Release > "$out/jit.txt"
cat "$out/jit.txt"

arm64=yes
for tool in clang-14 ld.lld-14 qemu-aarch64; do
    command -v "$tool" > /dev/null && [ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] && continue
    # CI installs them (.ci/run) and must never skip; elsewhere say what is missing and do x64 alone.
    if [ "${CI:-}" = true ]; then echo "aot: $tool or the arm64 C library is missing"; exit 1; fi
    echo "aot: SKIPPING linux-arm64: $tool or /usr/aarch64-linux-gnu is missing (see .ci/run for the packages)"
    arm64=no; break
done

publish linux-x64
echo "-- run linux-x64"
"$out/linux-x64/AotSample" > "$out/linux-x64.txt"
if [ $arm64 = yes ]; then
    # Cross-compiling: clang-14 drives the aarch64 link (lld), no sysroot needed beyond libc6-dev-arm64-cross.
    publish linux-arm64 -p:CppCompilerAndLinker=clang-14
    echo "-- run linux-arm64 (qemu-user)"
    qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/linux-arm64/AotSample" > "$out/linux-arm64.txt"
fi

# Same model, same input; the kernels may take other vector widths (x64 AOT targets a baseline ISA, the JIT
# the machine's; arm64 takes the AdvSimd paths), so sums can round differently: the op tests' tolerance,
# |a - j| <= 1e-5 + 1e-4 |j|, and the same predicted class.
compare() {   # file
    awk -v name="$1" '
        NR == FNR { ref[FNR] = $0; n = FNR; next }
        {
            split(ref[FNR], r, " ")
            if (NF != 13 || r[1] != $1 || r[2] != $2) { printf "%s line %d: %s, JIT: %s\n", name, FNR, $0, ref[FNR]; bad = 1; next }
            if (r[3] != $3) { printf "%s sample %s: class %s, JIT %s\n", name, $1, $3, r[3]; bad = 1 }
            for (i = 4; i <= 13; i++) {
                d = $i - r[i]; if (d < 0) d = -d
                a = r[i]; if (a < 0) a = -a
                if (d > worst) worst = d
                if ($i != r[i]) differ++
                if (d > 1e-5 + 1e-4 * a) { printf "%s sample %s logit %d: %s, JIT %s\n", name, $1, i - 4, $i, r[i]; bad = 1 }
            }
            lines++
        }
        END {
            if (lines != n || n == 0) { printf "%s: %d lines, JIT %d\n", name, lines, n; bad = 1 }
            printf "%s vs JIT: %d lines, %d of %d logits not bit-identical, largest |difference| %g\n", name, lines, differ, 10 * lines, worst
            exit bad
        }' "$out/jit.txt" "$out/$1.txt"
}
compare linux-x64
[ $arm64 = yes ] && compare linux-arm64
echo "aot: NativeAOT linux-x64$([ $arm64 = yes ] && echo ' and linux-arm64') match the JIT run"
