//===- cuda_abi.h - ABI facts of the CUDA driver and cuBLASLt --*- C++ -*-===//
//
// Named integers (constants, sizes, offsets), one table from the toolkit's
// headers (cuda_abi_toolkit.cpp) and one from the runtime's declarations
// (cuda_abi_test.cpp), compared entry by entry.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_TEST_CUDA_ABI_H
#define NHC_RUNTIME_TEST_CUDA_ABI_H

#include <map>
#include <string>

namespace nhc_test {

using AbiFacts = std::map<std::string, long long>;

/// As the installed CUDA toolkit's cuda.h and cublasLt.h define them.
AbiFacts toolkitAbi();

} // namespace nhc_test

#endif // NHC_RUNTIME_TEST_CUDA_ABI_H
