//===- cuda_abi_test.cpp - The runtime's CUDA declarations match the toolkit =//
//
// The CUDA backend loads the driver and cuBLASLt with dlopen and declares
// what it uses by its ABI (driver_api.h, cublaslt_api.h) so that it builds
// without the toolkit. Where the toolkit is installed, this test compares
// every such constant and layout with the toolkit's headers.
//
//===----------------------------------------------------------------------===//
#include <cstddef>

#include <gtest/gtest.h>

#include "cuda/cublaslt_api.h"
#include "cuda/driver_api.h"
#include "cuda_abi.h"

namespace {

using namespace nhc::runtime::cuda;

nhc_test::AbiFacts runtimeAbi() {
#define NHC_RUNTIME_FACT(name, toolkit, runtime) {name, (long long)(runtime)},
  return {NHC_CUDA_ABI_FACTS(NHC_RUNTIME_FACT)};
#undef NHC_RUNTIME_FACT
}

TEST(CudaAbiTest, DeclarationsMatchTheToolkitHeaders) {
  const nhc_test::AbiFacts ours = runtimeAbi(), toolkit = nhc_test::toolkitAbi();
  EXPECT_EQ(ours.size(), toolkit.size()) << "the two tables name the same facts";
  for (const auto &[name, value] : ours) {
    auto found = toolkit.find(name);
    ASSERT_NE(found, toolkit.end()) << name;
    EXPECT_EQ(value, found->second) << name;
  }
}

} // namespace
