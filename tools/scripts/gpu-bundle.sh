#!/usr/bin/env bash
# Packs what tools/scripts/gpu-check.sh needs on a GPU machine that cannot
# build nhc (no LLVM/MLIR 22, no oneDNN there): the runtime tools and
# the golden suite built here, the shared libraries they load (those a base
# Linux does not have), the golden artifacts and benchmark artifacts compiled
# for CHIPS, into one tar.xz under 64 MiB.
#
#   tools/scripts/gpu-bundle.sh OUT.tar.xz [CHIPS]   # CHIPS default sm_90 (H100/H200)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${NHC_BUILD_DIR:-$root/build}"
out="${1:?usage: gpu-bundle.sh OUT.tar.xz [CHIPS]}"
chips="${2:-sm_90}"
[[ "$out" = /* ]] || out="$PWD/$out"

cmake -G Ninja -S "$root" -B "$build" -DNHC_GOLDEN_CUDA_CHIPS="$chips" > /dev/null
ninja -C "$build" nhc nhc-run nhc-serve nhc-bench nhc-golden-tests nhc_runtime_tests nhc-kernels \
  nhc_fake_cuda_driver nhc_fake_cublaslt nhc-gpu-emulation

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,lib,golden,bench,doubles}
cp "$build"/bin/nhc-run "$build"/bin/nhc-serve "$build"/bin/nhc-bench "$build"/test/E2E/nhc-golden-tests \
   "$build"/runtime/test/nhc_runtime_tests "$stage/bin/"
cp "$build"/test/E2E/artifacts/*.nhc "$stage/golden/"
# The doubles, for a dry run of gpu-check.sh without a GPU.
cp "$build"/runtime/test/libnhc_fake_cuda_driver.so "$build"/runtime/test/libnhc_fake_cublaslt.so \
   "$build"/test/E2E/artifacts/nhc_gpu_emulation.so "$stage/doubles/"
# Benchmark artifacts: the scaled 8B (random weights written there in
# seconds) and the real 8B, Nano 9B v2 and Nemotron-3 Nano 30B-A3B (MoE)
# configs (the 30B's NVFP4 quantization file is not read: BF16).
for config in "$root/tools/bench/nemotron-h-8b-scaled.json" \
              "$root/test/configs/nemotron-h-8b-base.json" \
              "$root/test/configs/nemotron-nano-9b-v2.json" \
              "$root/test/configs/nemotron-3-nano-30b-a3b-nvfp4.json"; do
  name="$(basename "$config" .json)"
  "$build/bin/nhc" compile "$config" --target=cuda:"$chips" -o "$stage/bench/$name.nhc"
done
# Its KV cache in bf16 (gpu-check's bench-8b-scaled-bf16kv).
"$build/bin/nhc" compile "$root/tools/bench/nemotron-h-8b-scaled.json" --target=cuda:"$chips" \
  --kv-cache-dtype=bf16 -o "$stage/bench/nemotron-h-8b-scaled-bf16kv.nhc"
# Nano 9B v2's SSM state in bf16 (gpu-check's bench-nano-9b-v2-bf16ssm).
"$build/bin/nhc" compile "$root/test/configs/nemotron-nano-9b-v2.json" --target=cuda:"$chips" \
  --ssm-state-dtype=bf16 -o "$stage/bench/nemotron-nano-9b-v2-bf16ssm.nhc"
# Its FP8 variant (modelopt, NVIDIA's exclude list).
python3 "$root/tools/bench/fp8-variant.py" "$root/tools/bench/nemotron-h-8b-scaled.json" \
  "$stage/bench/nemotron-h-8b-scaled-fp8.json"
"$build/bin/nhc" compile "$stage/bench/nemotron-h-8b-scaled-fp8.json" --target=cuda:"$chips" \
  -o "$stage/bench/nemotron-h-8b-scaled-fp8.nhc"
rm "$stage/bench/nemotron-h-8b-scaled-fp8.json"
# Shared libraries beyond glibc (libstdc++ and libgcc_s included: the GPU
# machine's may be older than the ones these were linked against).
for binary in "$stage"/bin/*; do
  ldd "$binary" | awk '/=> \//{print $3}'
done | sort -u | while read -r library; do
  case "$(basename "$library")" in
    libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*) ;;
    *) cp -L "$library" "$stage/lib/" ;;
  esac
done
echo "$chips" > "$stage/CHIPS"
git -C "$root" rev-parse HEAD > "$stage/COMMIT" 2>/dev/null || true
tar -C "$stage" -cJf "$out" .
echo "gpu-bundle: $out ($(du -h "$out" | cut -f1), chips $chips)"
