#!/usr/bin/env python3
"""Writes the modelopt FP8 variant of a Nemotron-H config for benchmarks.

    fp8-variant.py CONFIG.json OUT.json

Adds a `quantization_config` with NVIDIA's exclude list for Nemotron-H FP8
checkpoints (attention projections, conv1d and lm_head stay high precision;
Mamba in/out_proj and MLP up/down_proj become e4m3 with static per-tensor
scales), so `nhc-bench --random-weights` makes e4m3 matrices and benchmarks
FP8 next to the config as it is (docs/benchmarks.md, docs/fp8.md).
"""
import json
import sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
config = json.load(open(sys.argv[1]))
config["quantization_config"] = {
    "quant_method": "modelopt",
    "quant_algo": "FP8",
    "exclude_modules": ["lm_head", "*.mixer.q_proj", "*.mixer.k_proj",
                        "*.mixer.v_proj", "*.mixer.o_proj", "*.mixer.conv1d"],
}
with open(sys.argv[2], "w") as out:
    json.dump(config, out, indent=2)
