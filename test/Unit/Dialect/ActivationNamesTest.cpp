//===- ActivationNamesTest.cpp - the dialect spells the manifest's names --===//
//
// The conversion writes a gemm epilogue or moe_experts activation as the
// dialect's stringifyActivation; the runtime reads the names of
// nhc/format/manifest_schema.h. Both spellings must agree, code for code.
//
//===----------------------------------------------------------------------===//

#include "nhc/Dialect/Nemotron/IR/NemotronAttrs.h"
#include "nhc/format/manifest_schema.h"

#include <gtest/gtest.h>

#include <iterator>

namespace {
namespace value = ::nhc::format::manifest::value;
using mlir::nemotron::Activation;

TEST(ActivationNames, EveryCodeIsTheManifestsName) {
  ASSERT_EQ(std::size(value::kActivations),
            mlir::nemotron::getMaxEnumValForActivation() + 1);
  for (uint32_t code = 0; code < std::size(value::kActivations); ++code) {
    std::optional<Activation> activation =
        mlir::nemotron::symbolizeActivation(code);
    ASSERT_TRUE(activation) << "no activation has code " << code;
    EXPECT_EQ(mlir::nemotron::stringifyActivation(*activation).str(),
              value::kActivations[code]);
  }
}

TEST(ActivationNames, NoneIsAnEpilogueOnly) {
  EXPECT_FALSE(mlir::nemotron::symbolizeActivation(value::kActivationNone));
}

} // namespace
