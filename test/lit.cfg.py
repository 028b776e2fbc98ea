# -*- Python -*-
import glob
import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "NHC"
# The internal shell is portable and the only one newer lit versions support.
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "Unit", "E2E", "CMakeLists.txt", "README.md",
                   "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.nhc_obj_root, "test")

# Compiles share the build's compile cache (test/CMakeLists.txt); a test of
# the cache itself sets its own directory.
config.environment["NHC_CACHE_DIR"] = config.nhc_test_cache_dir

# Keep FileCheck variables from leaking across CHECK-LABEL blocks.
config.environment["FILECHECK_OPTS"] = "--enable-var-scope"

llvm_config.use_default_substitutions()  # FileCheck, not, count
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["nhc", "nhc-opt", "nhc-translate", "nhc-kernels", "nhc-run", "nhc-bench",
                                 "nhc-serve", "nhc-tokenize", "nhc-quantize", "nhc-chat-template"],
                                   [config.nhc_tools_dir])

# %exits STATUS [NAME=VALUE ...] -- COMMAND: COMMAND must exit with STATUS.
config.substitutions.append(("%exits", config.python_executable + " " + os.path.join(config.nhc_src_root, "test", "Inputs", "exits.py")))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%nhc_src_root", config.nhc_src_root))
config.substitutions.append(("%configs", os.path.join(config.nhc_src_root, "test", "configs")))

# The CUDA test doubles (runtime/test/fake_*.c): `--backend cuda` without a
# GPU. %cuda_doubles is the environment that loads them, with launches run by
# the kernel library's GPU kernels compiled for the host (the test makes
# that library with nhc-kernels --emit=gpu-emulation-so).
doubles = os.path.join(config.nhc_obj_root, "test", "cuda_doubles.cfg.py")
exec(open(doubles).read())
config.substitutions.append(("%fake_cuda_driver", config.fake_cuda_driver))
config.substitutions.append(("%fake_cublaslt", config.fake_cublaslt))

# ptxas (CUDA toolkit) validates the kernel library's PTX (test/Target/CUDA);
# without it those tests report UNSUPPORTED.
ptxas = shutil.which("ptxas") or next(
    (p for p in sorted(glob.glob("/usr/local/cuda*/bin/ptxas"), reverse=True)
     if os.access(p, os.X_OK)), None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
