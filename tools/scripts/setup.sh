#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for nhc, builds it, and runs the main job
# on the bundled tiny model. Safe to run again: it installs only what is
# missing and rebuilds incrementally.
#
#   tools/scripts/setup.sh            # install, build, run the tiny model
#   tools/scripts/setup.sh --no-run   # install and build only
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${NHC_BUILD_DIR:-$root/build}"
run_main_job=1
[[ "${1:-}" == "--no-run" ]] && run_main_job=0

# LLVM/MLIR 22 come from Debian's bookworm(-security) archive.
packages=(cmake ninja-build clang-22 llvm-22-dev llvm-22-tools libmlir-22-dev
          mlir-22-tools nlohmann-json3-dev libgtest-dev python3)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

llvm_prefix=/usr/lib/llvm-22
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER="$llvm_prefix/bin/clang" \
    -DCMAKE_CXX_COMPILER="$llvm_prefix/bin/clang++" \
    -DMLIR_DIR="$llvm_prefix/lib/cmake/mlir" \
    -DLLVM_EXTERNAL_LIT="$llvm_prefix/bin/lit"
fi
ninja -C "$build"

if ((run_main_job)); then
  # The main job today: compile the bundled tiny model (the golden "dense"
  # checkpoint) to the nemotron dialect and show its layer plan.
  tiny="$root/test/golden/dense/model"
  out="$build/tiny-model.nemotron.mlir"
  "$build/bin/nhc" compile "$tiny" --emit=nemotron -o "$out"
  pattern=$(grep -o 'nemotron.layer_pattern = "[^"]*"' "$out")
  echo "setup: compiled $tiny -> $out ($pattern, $(grep -c 'nemotron\.param\|nemotron\.linear_param' "$out") weight tensors/modules)"
fi
