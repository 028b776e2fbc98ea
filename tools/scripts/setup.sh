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
packages=(cmake ninja-build pkg-config clang-22 llvm-22-dev llvm-22-tools
          libmlir-22-dev mlir-22-tools nlohmann-json3-dev libgtest-dev
          libclang-rt-22-dev
          libdnnl-dev libcpp-httplib-dev libpcre2-dev
          python3 python3-venv)
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

# The PyPI test tooling the text and serving tests compare against, in a
# virtual environment inside the build folder; reinstalled only when
# tools/scripts/test-requirements.txt changes.
venv="$build/venv"
requirements="$root/tools/scripts/test-requirements.txt"
stamp="$venv/.requirements"
if [[ ! -x "$venv/bin/python3" ]] || ! cmp -s "$requirements" "$stamp"; then
  echo "setup: installing the Python test tooling into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check \
    -r "$requirements"
  cp "$requirements" "$stamp"
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
  # The main job: compile the bundled tiny model (the golden "dense"
  # checkpoint), run it on its first reference prompt, and compare the greedy
  # continuation with what Hugging Face transformers generated.
  tiny="$root/test/golden/dense"
  artifact="$build/tiny-model.nhc"
  "$build/bin/nhc" compile "$tiny/model" -o "$artifact"
  read -r prompt expected < <(python3 -c '
import json, sys
prompt = json.load(open(sys.argv[1]))["prompts"][0]
print(",".join(map(str, prompt["ids"])), " ".join(map(str, prompt["generated_ids"])))
' "$tiny/manifest.json")
  generated=$("$build/bin/nhc-run" "$artifact" --weights "$tiny/model" \
                --prompt-ids "$prompt" --max-new-tokens 16 | sed -n 's/^generated: //p')
  echo "setup: prompt    $prompt"
  echo "setup: nhc       $generated"
  echo "setup: reference $expected"
  if [[ "$generated" == "$expected" ]]; then
    echo "setup: the tiny model matches the Hugging Face transformers reference"
  else
    echo "setup: MISMATCH with the Hugging Face transformers reference" >&2
    exit 1
  fi
fi
