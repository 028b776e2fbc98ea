//===- cuda_abi_toolkit.cpp - The CUDA toolkit's ABI facts ----------------===//
//
// The constants and layouts the runtime declares by their ABI
// (runtime/src/cuda/driver_api.h, cublaslt_api.h), as the installed
// toolkit's cuda.h and cublasLt.h define them. A translation unit of its own:
// the runtime's headers spell the same global type names and cannot be
// included next to the toolkit's.
//
//===----------------------------------------------------------------------===//
#include <cstddef>

#include <cublasLt.h>
#include <cuda.h>

#include "cuda_abi.h"

namespace nhc_test {

AbiFacts toolkitAbi() {
#define NHC_TOOLKIT_FACT(name, toolkit, runtime) {name, (long long)(toolkit)},
  return {NHC_CUDA_ABI_FACTS(NHC_TOOLKIT_FACT)};
#undef NHC_TOOLKIT_FACT
}

} // namespace nhc_test
