#!/usr/bin/env bash
# NativeAOT: publishes samples/AotSample for linux-x64 and (cross-compiled) linux-arm64, runs x64 natively and
# arm64 under qemu-user, and compares both with the JIT run of the same model. Fails on any trim/AOT warning
# (IL2xxx/IL3xxx) in either publish, on a run that fails, and on a logit outside the tolerance.
# Built with -p:KernelCheck=true, each binary also runs the kernel self-check (`AotSample check`: every int8
# product path and vector width the machine has against plain integer/scalar references; exit 1 on any mismatch):
# on arm64 this is where the AdvSimd paths (Int8PanelGemm's and Int8Gemm's sdot, Int8PanelGemm's plain-AdvSimd
# fallback, Simd128's Arm Fma) are tested; qemu proves correctness, not speed. And the int8 MoE classifier
# (`AotSample moe`, 8 tokens in one call) and the int8 digits CNN (`AotSample int8`: Int8Conv on Int8Gemm) must give
# the JIT's output on both.
# Needs (Debian): gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user lld-14 clang-14 (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/aot
rm -rf "$out" && mkdir -p "$out"
project=samples/AotSample/AotSample.csproj

publish() {   # rid, output name, extra msbuild arguments...
    local rid=$1 name=$2; shift 2
    echo "-- publish $name"
    if ! dotnet publish "$project" -c Release -p:Rid="$rid" -p:KernelCheck=true -o "$out/$name" "$@" > "$out/publish-$name.log" 2>&1; then
        cat "$out/publish-$name.log"; echo "aot: publish for $name failed"; exit 1
    fi
    if grep -E "(warning|error) IL[23][0-9]{3}" "$out/publish-$name.log"; then
        echo "aot: trim/AOT warnings in the $name publish"; exit 1
    fi
    ls -l "$out/$name/AotSample"
}

echo "-- JIT run"
dotnet run --project "$project" -c Release -p:KernelCheck=true > "$out/jit.txt"
cat "$out/jit.txt"
dotnet run --no-build --project "$project" -c Release -p:KernelCheck=true -- moe > "$out/jit-moe.txt"
cat "$out/jit-moe.txt"
dotnet run --no-build --project "$project" -c Release -p:KernelCheck=true -- int8 > "$out/jit-int8.txt"
cat "$out/jit-int8.txt"
dotnet run --no-build --project "$project" -c Release -p:KernelCheck=true -- check > "$out/jit-check.txt" || { cat "$out/jit-check.txt"; echo "aot: JIT kernel self-check failed"; exit 1; }
cat "$out/jit-check.txt"

check() {   # name, the self-check's required lines (grep -E patterns)..., then the command after --
    local name=$1; shift
    local patterns=()
    while [ "$1" != -- ]; do patterns+=("$1"); shift; done; shift
    echo "-- kernel self-check $name"
    if ! "$@" check > "$out/check-$name.txt"; then cat "$out/check-$name.txt"; echo "aot: kernel self-check failed on $name"; exit 1; fi
    cat "$out/check-$name.txt"
    for p in "${patterns[@]}"; do
        grep -Eq "$p" "$out/check-$name.txt" || { echo "aot: the $name self-check did not report '$p'"; exit 1; }
    done
}

arm64=yes
for tool in clang-14 ld.lld-14 qemu-aarch64; do
    command -v "$tool" > /dev/null && [ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] && continue
    # CI installs them (.ci/run) and must never skip; elsewhere say what is missing and do x64 alone.
    if [ "${CI:-}" = true ]; then echo "aot: $tool or the arm64 C library is missing"; exit 1; fi
    echo "aot: SKIPPING linux-arm64: $tool or /usr/aarch64-linux-gnu is missing (see .ci/run for the packages)"
    arm64=no; break
done

publish linux-x64 linux-x64
echo "-- run linux-x64"
"$out/linux-x64/AotSample" > "$out/linux-x64.txt"
"$out/linux-x64/AotSample" moe > "$out/linux-x64-moe.txt"
"$out/linux-x64/AotSample" int8 > "$out/linux-x64-int8.txt"
check linux-x64 "Int8PanelGemm Scalar: [0-9]+ cases exact" -- "$out/linux-x64/AotSample"
if [ $arm64 = yes ]; then
    # Cross-compiling: clang-14 drives the aarch64 link (lld), no sysroot needed beyond libc6-dev-arm64-cross.
    publish linux-arm64 linux-arm64 -p:CppCompilerAndLinker=clang-14 -p:IlcInstructionSet=dotprod
    echo "-- run linux-arm64 (qemu-user)"
    qemu=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
    "${qemu[@]}" "$out/linux-arm64/AotSample" > "$out/linux-arm64.txt"
    "${qemu[@]}" "$out/linux-arm64/AotSample" moe > "$out/linux-arm64-moe.txt"
    "${qemu[@]}" "$out/linux-arm64/AotSample" int8 > "$out/linux-arm64-int8.txt"
    # Built with the dot product (ARMv8.2 dotprod: Cortex-A55/A76 and later, Raspberry Pi 5, RK3588, Jetson Orin): a
    # NativeAOT binary's Dp.IsSupported is fixed when it is compiled (the default armv8.0 target says false, and the
    # int8 kernels then run the plain AdvSimd fallback). Such a binary has both Arm int8 paths, and the self-check forces
    # each: sdot by default, the fallback by request. qemu's default CPU emulates sdot.
    check linux-arm64 "default int8 paths: Int8PanelGemm ArmDot, Int8Gemm ArmDot" \
        "Int8PanelGemm ArmDot: [0-9]+ cases exact" "Int8PanelGemm ArmSimd: [0-9]+ cases exact" \
        "Int8Gemm ArmDot: [0-9]+ cases exact" "Int8Gemm ArmSimd: [0-9]+ cases exact" "Simd128: [0-9]+ cases exact" \
        -- "${qemu[@]}" "$out/linux-arm64/AotSample"
fi
# EAI_AOT_ARMV8=1: also the default ARMv8.0 arm64 build (no dot product: the plain AdvSimd kernels are the default),
# under qemu's default CPU and as a Cortex-A53. A third publish, so not in CI.
armv8_cpus=()
if [ $arm64 = yes ] && [ "${EAI_AOT_ARMV8:-}" = 1 ]; then
    publish linux-arm64 linux-arm64-v8 -p:CppCompilerAndLinker=clang-14
    armv8_cpus=(max cortex-a53)
    for cpu in "${armv8_cpus[@]}"; do
        check "linux-arm64-v8-$cpu" "default int8 paths: Int8PanelGemm ArmSimd, Int8Gemm ArmSimd" \
            "Int8PanelGemm ArmSimd: [0-9]+ cases exact" "Int8Gemm ArmSimd: [0-9]+ cases exact" \
            -- "${qemu[@]}" -cpu "$cpu" "$out/linux-arm64-v8/AotSample"
        "${qemu[@]}" -cpu "$cpu" "$out/linux-arm64-v8/AotSample" moe > "$out/linux-arm64-v8-$cpu-moe.txt"
        "${qemu[@]}" -cpu "$cpu" "$out/linux-arm64-v8/AotSample" int8 > "$out/linux-arm64-v8-$cpu-int8.txt"
    done
fi

# Same model, same input; the kernels may take other vector widths (x64 AOT targets a baseline ISA, the JIT
# the machine's; arm64 takes the AdvSimd paths), so sums can round differently: the op tests' tolerance,
# |a - j| <= 1e-5 + 1e-4 |j|, and the same predicted class.
compare() {   # file [reference file]
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
        }' "$out/${2:-jit}.txt" "$out/$1.txt"
}
compare linux-x64
[ $arm64 = yes ] && compare linux-arm64
compare linux-x64-moe jit-moe
[ $arm64 = yes ] && compare linux-arm64-moe jit-moe
compare linux-x64-int8 jit-int8
[ $arm64 = yes ] && compare linux-arm64-int8 jit-int8
for cpu in "${armv8_cpus[@]}"; do
    compare "linux-arm64-v8-$cpu-moe" jit-moe
    compare "linux-arm64-v8-$cpu-int8" jit-int8
done
echo "aot: NativeAOT linux-x64$([ $arm64 = yes ] && echo ' and linux-arm64') match the JIT run"
