//===- plan_test.cpp - Validation of buffers, kernels, schedules ----------===//
//
// The plan is checked when the manifest is parsed; every error names the
// schedule, the entry index and the JSON path of the offending field.
//
//===----------------------------------------------------------------------===//

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kernel_extents.h"
#include "nhc/format/library_kernels.h"
#include "nhc/runtime/api.h"
#include "plan.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

/// Expects `manifest` to be rejected with a message containing all of
/// `parts`.
void expectInvalid(const Json &manifest,
                   const std::vector<std::string> &parts) {
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  for (const std::string &part : parts)
    EXPECT_THAT(lastError(), HasSubstr(part));
}

Json gemmEntry() {
  return Json{{"library", "gemm"}, {"a", "normed"}, {"lda", 8},
              {"w", "lm_head.weight"}, {"c", "logits"}, {"ldc", 16},
              {"n", 16}, {"k", 8}, {"m", "requests"}};
}

TEST(ScheduleTest, ToyModelParses) {
  EXPECT_EQ(parseManifestStatus(toyModelManifest()), NHC_OK) << lastError();
}

TEST(ScheduleTest, PlanKeysAreOptional) {
  Json m = toyModelManifest();
  m.erase("schedules");
  m.erase("buffers");
  m.erase("kernels");
  EXPECT_EQ(parseManifestStatus(m), NHC_OK) << lastError();
}

TEST(ScheduleTest, BufferErrors) {
  Json m = toyModelManifest();
  m["buffers"].push_back(bufferSpec("hidden", "token", 8));
  expectInvalid(m, {"manifest 'm.json': buffers[6].name: buffer 'hidden' listed twice "
                    "(also buffers[0])"});
  m = toyModelManifest();
  m["buffers"][1]["per"] = "layer";
  expectInvalid(m, {"buffers[1].per: 'layer' is not 'token' or 'request'"});
  m = toyModelManifest();
  m["buffers"][2]["dtype"] = "bf16";
  expectInvalid(m, {"buffers[2].dtype: 'bf16' is not"});
  m = toyModelManifest();
  m["buffers"][4]["dtype"] = "I64"; // the compiler's spelling
  EXPECT_EQ(parseManifestStatus(m), NHC_OK) << lastError();
  m = toyModelManifest();
  m["buffers"][2]["elems"] = 0;
  expectInvalid(m, {"buffers[2].elems: must be positive"});
  m = toyModelManifest();
  m["buffers"].push_back(bufferSpec("logits", "token", 8));
  expectInvalid(m, {"'logits' is reserved"});
}

TEST(ScheduleTest, KernelTableErrors) {
  Json m = toyModelManifest();
  m["kernels"][0]["params"][1] = "memref<f32>";
  expectInvalid(m, {"kernels[0].params[1]: parameter kind 'memref<f32>'"});
  m = toyModelManifest();
  m["kernels"].push_back(kernelSpec("nhc_add"));
  expectInvalid(m, {"kernel 'nhc_add' listed twice (also kernels[2])"});
}

TEST(ScheduleTest, MissingSchedule) {
  Json m = toyModelManifest();
  m["schedules"].erase("head_all");
  expectInvalid(m, {"manifest 'm.json': schedules: missing key 'head_all'"});
}

TEST(ScheduleTest, UnknownKernel) {
  Json m = toyModelManifest();
  m["schedules"]["body"][2] = kernelCall("nhc_nope", Json::array());
  expectInvalid(m, {"schedules.body[2].kernel: unknown kernel 'nhc_nope' "
                    "(not listed in the manifest's 'kernels')"});
}

TEST(ScheduleTest, ArityMismatch) {
  Json m = toyModelManifest();
  m["schedules"]["head_last"][1]["args"].erase(5);
  expectInvalid(m, {"schedules.head_last[1].args: kernel 'nhc_test_rms_norm' "
                    "takes 6 arguments, found 5"});
}

TEST(ScheduleTest, KindMismatch) {
  Json m = toyModelManifest();
  m["schedules"]["head_all"][0]["args"][5] = indexArg(1);
  expectInvalid(m, {"schedules.head_all[0].args[5]: kernel 'nhc_test_rms_norm' "
                    "parameter 5 is f32, but the argument {\"index\":1} is "
                    "index"});
  m = toyModelManifest();
  m["schedules"]["body"][0]["args"][3] = bufferArg("hidden");
  expectInvalid(m, {"schedules.body[0].args[3]", "parameter 3 is index",
                    "is memref"});
}

TEST(ScheduleTest, UnknownNames) {
  Json m = toyModelManifest();
  m["schedules"]["body"][1]["args"][0] = bufferArg("hiddn");
  expectInvalid(m, {"schedules.body[1].args[0]: unknown buffer 'hiddn'"});
  m = toyModelManifest();
  m["schedules"]["body"][0]["args"][1] = weightArg("embed");
  expectInvalid(m, {"schedules.body[0].args[1]: unknown weight 'embed' (not "
                    "listed in the manifest's 'weights')"});
}

TEST(ScheduleTest, StateArguments) {
  Json m = toyModelManifest();
  m["schedules"]["body"][1]["args"][1] = stateArg("layers.2.conv_state");
  expectInvalid(m, {"schedules.body[1].args[1].state: unknown state tensor "
                    "'layers.2.conv_state' (not listed in the manifest's "
                    "'state')"});
  // The per-layer spelling of earlier manifests names no tensor.
  m = toyModelManifest();
  m["schedules"]["body"][3]["args"][1] = {{"state", "k_cache"}, {"layer", 1}};
  expectInvalid(m, {"args[1].state: unknown state tensor 'k_cache'"});
  m = toyModelManifest();
  m["schedules"]["body"][3]["args"][1] = {{"state", 3}};
  expectInvalid(m, {"args[1].state: expected a string"});
  // Any tensor of the list may be passed, whatever its layer.
  m = toyModelManifest();
  m["schedules"]["body"][3]["args"][1] = stateArg("layers.0.ssm_state");
  EXPECT_EQ(parseManifestStatus(m), NHC_OK) << lastError();
}

TEST(ScheduleTest, ArgumentForms) {
  Json m = toyModelManifest();
  m["schedules"]["body"][0]["args"][3] = Json::object({{"dim", "layers"}});
  expectInvalid(m, {"args[3].dim: 'layers' is not"});
  m = toyModelManifest();
  m["schedules"]["body"][0]["args"][3] = {{"dim", "tokens"}, {"times", 0}};
  expectInvalid(m, {"args[3].times: must be positive"});
  // The session's gemm precision is a dim without a size.
  m = toyModelManifest();
  m["schedules"]["body"][0]["args"][3] = Json::object({{"dim", "gemm_precision"}});
  EXPECT_EQ(parseManifestStatus(m), NHC_OK) << lastError();
  m["schedules"]["body"][0]["args"][3]["times"] = 2;
  expectInvalid(m, {"args[3].times: 'gemm_precision' is not a size"});
  m = toyModelManifest();
  m["schedules"]["body"][0]["args"][0] = {{"requests", true},
                                          {"buffer", "x"}};
  expectInvalid(m, {"args[0]: has both 'buffer' and 'requests'"});
  m = toyModelManifest();
  m["schedules"]["body"][0]["args"][0] = Json::object({{"tensor", "x"}});
  expectInvalid(m, {"args[0]: expected one of buffer, weight"});
  m = toyModelManifest();
  m["schedules"]["body"][0]["args"][0] = Json::object({{"token_ids", false}});
  expectInvalid(m, {"args[0].token_ids: expected true"});
  m = toyModelManifest();
  m["schedules"]["head_all"][0]["args"][5] =
      Json::object({{"f32", "infinity"}});
  expectInvalid(m, {"args[5].f32: expected a number or \"inf\""});
  // "inf", "-inf" and "nan" are the spellings JSON lacks.
  m = toyModelManifest();
  m["schedules"]["head_all"][0]["args"][5] = Json::object({{"f32", "inf"}});
  EXPECT_EQ(parseManifestStatus(m), NHC_OK) << lastError();
}

TEST(ScheduleTest, DimValues) {
  // What a step's dim arguments pass: sizes times `times`, the precision
  // as the session's nhc_gemm_precision_t.
  runtime::DimValues values{7, 3, 128, 4, NHC_GEMM_PRECISION_BF16};
  runtime::KernelArg arg;
  arg.kind = runtime::ArgKind::Dim;
  auto value = [&](runtime::DimKind dim, int64_t times) {
    arg.dim = dim;
    arg.times = times;
    return runtime::dimValue(arg, values);
  };
  EXPECT_EQ(value(runtime::DimKind::Tokens, 2), 14);
  EXPECT_EQ(value(runtime::DimKind::Requests, 1), 3);
  EXPECT_EQ(value(runtime::DimKind::MaxSeqLen, 3), 384);
  EXPECT_EQ(value(runtime::DimKind::MaxSlots, 1), 4);
  EXPECT_EQ(value(runtime::DimKind::GemmPrecision, 1), 1);
  values.gemmPrecision = NHC_GEMM_PRECISION_F32;
  EXPECT_EQ(value(runtime::DimKind::GemmPrecision, 1), 0);
}

TEST(ScheduleTest, LogitsOnlyInHeads) {
  Json m = toyModelManifest();
  m["schedules"]["body"][5]["args"][1] = logitsArg();
  expectInvalid(m, {"schedules.body[5].args[1]: the logits output exists "
                    "only in head_last and head_all"});
  m = toyModelManifest();
  m["schedules"]["body"][2]["c"] = "logits";
  expectInvalid(m, {"schedules.body[2].c: the logits output exists only"});
}

TEST(ScheduleTest, EntryShape) {
  Json m = toyModelManifest();
  m["schedules"]["body"][0]["library"] = "gemm";
  expectInvalid(m, {"schedules.body[0]: an entry has exactly one of "
                    "'kernel' and 'library'"});
  m = toyModelManifest();
  m["schedules"]["body"][2]["library"] = "conv2d";
  expectInvalid(m, {"schedules.body[2].library: unknown library operation "
                    "'conv2d'"});
}

TEST(ScheduleTest, GemmErrors) {
  Json base = toyModelManifest();
  base["buffers"].push_back(bufferSpec("ids32", "token", 8, "i32"));
  auto with = [&](const char *key, Json value) {
    Json m = base;
    m["schedules"]["head_last"][2][key] = std::move(value);
    return m;
  };
  EXPECT_EQ(parseManifestStatus(base), NHC_OK) << lastError();
  expectInvalid(with("w", "backbone.norm_f.weight"),
                {"schedules.head_last[2].w: weight 'backbone.norm_f.weight' "
                 "has shape [8], expected [16, 8]"});
  expectInvalid(with("lda", 4),
                {"head_last[2].lda: 4 is less than the 8 columns of a"});
  expectInvalid(with("a_offset", 1),
                {"head_last[2]: a (a_offset 1, lda 8, 8 columns) does not "
                 "fit in buffer 'normed_last' (8 elements per request)"});
  expectInvalid(with("ldc", 17), {"does not fit in the logits output"});
  expectInvalid(with("m", "tokens"),
                {"head_last[2].a: buffer 'normed_last' (8 elements per "
                 "request) has one row per request, but the gemm has one "
                 "row per token"});
  expectInvalid(with("a", "ids32"),
                {"head_last[2].a: buffer 'ids32' is i32; gemm needs f32"});
  expectInvalid(with("a", "logits"),
                {"head_last[2].a: the logits output can only be 'c'"});
  expectInvalid(with("n", 0), {"head_last[2].n: must be positive"});
  expectInvalid(with("m", "layers"), {"head_last[2].m: 'layers' is not"});
  expectInvalid(with("accumulate", 1),
                {"head_last[2].accumulate: expected true or false"});
  expectInvalid(with("epilogue", "swiglu"),
                {"head_last[2].epilogue: 'swiglu' is not one of none, relu2, "
                 "relu, relu6, silu, gelu, gelu_tanh, quick_gelu, gelu_10, "
                 "laplace, leaky_relu, linear, mish, sigmoid, tanh, "
                 "hardswish, sqrtsoftplus"});
  for (const char *act : {"relu2", "gelu", "silu", "gelu_tanh"})
    EXPECT_EQ(parseManifestStatus(with("epilogue", act)), NHC_OK) << lastError();
  expectInvalid(with("bias", "nope"), {"head_last[2].bias: unknown weight 'nope'"});
  Json m = base;
  m["schedules"]["head_last"][2].erase("ldc");
  expectInvalid(m, {"schedules.head_last[2]: missing key 'ldc'"});
  m = base;
  m["schedules"]["body"][2]["c"] = "hidden";
  expectInvalid(m, {"schedules.body[2]: a and c are the same buffer "
                    "'hidden'"});
}

TEST(ScheduleTest, GemmRowsPerRequestFitPerTokenBuffers) {
  // A per-token buffer has at least R rows, so m = requests may use it.
  Json m = toyModelManifest();
  m["schedules"]["head_last"][2]["a"] = "normed";
  EXPECT_EQ(parseManifestStatus(m), NHC_OK) << lastError();
}

Json moeManifest(bool stacked) {
  Json m = baseManifest(16, 8);
  m["buffers"] = {bufferSpec("x", "token", 8), bufferSpec("y", "token", 8),
                  bufferSpec("idx", "token", 2, "i32"),
                  bufferSpec("w", "token", 2)};
  if (stacked) {
    addWeight(m, "experts.up_proj", "F32", {3, 4, 8});
    addWeight(m, "experts.down_proj", "F32", {3, 8, 4});
  } else {
    for (int e = 0; e < 3; ++e) {
      addWeight(m, "experts." + std::to_string(e) + ".up_proj.weight", "F32",
                {4, 8});
      addWeight(m, "experts." + std::to_string(e) + ".down_proj.weight",
                "F32", {8, 4});
    }
  }
  m["schedules"]["body"] = Json::array({Json::object(
      {{"library", "moe_experts"},
       {"input", "x"},
       {"indices", "idx"},
       {"weights", "w"},
       {"output", "y"},
       {"up", stacked ? "experts.up_proj" : "experts.{e}.up_proj.weight"},
       {"down",
        stacked ? "experts.down_proj" : "experts.{e}.down_proj.weight"},
       {"num_experts", 3},
       {"top_k", 2},
       {"hidden", 8},
       {"intermediate", 4},
       {"activation", "relu2"}})});
  return m;
}

TEST(ScheduleTest, MoeExpertsErrors) {
  EXPECT_EQ(parseManifestStatus(moeManifest(false)), NHC_OK) << lastError();
  EXPECT_EQ(parseManifestStatus(moeManifest(true)), NHC_OK) << lastError();
  auto with = [](const char *key, Json value, bool stacked = false) {
    Json m = moeManifest(stacked);
    m["schedules"]["body"][0][key] = std::move(value);
    return m;
  };
  expectInvalid(with("num_experts", 4),
                {"schedules.body[0].up: unknown weight "
                 "'experts.3.up_proj.weight'"});
  expectInvalid(with("intermediate", 5),
                {"schedules.body[0].up: weight 'experts.0.up_proj.weight' "
                 "has shape [4, 8], expected [5, 8]"});
  expectInvalid(with("num_experts", 2, true),
                {"weight 'experts.up_proj' has shape [3, 4, 8], expected "
                 "[2, 4, 8]"});
  expectInvalid(with("top_k", 4), {"top_k: 4 exceeds num_experts 3"});
  expectInvalid(with("activation", "swiglu"),
                {"activation: 'swiglu' is not one of none, relu2"});
  EXPECT_EQ(parseManifestStatus(with("activation", "silu")), NHC_OK)
      << lastError();
  expectInvalid(with("activation", "none"),
                {"schedules.body[0].activation: 'none' is not an expert "
                 "activation"});
  expectInvalid(with("indices", "w"),
                {"schedules.body[0].indices: buffer 'w' must be per token, "
                 "i32, 2 elements; found per token, f32, 2 elements"});
  expectInvalid(with("output", "x"),
                {"input and output are the same buffer 'x'"});
  expectInvalid(with("down", "experts.down_proj"),
                {"unknown weight 'experts.down_proj'"});
}

// Every kernel the compiler's plans may call has a contract the runtime
// checks its calls against (a new plan kernel without one would run
// unchecked); and a plan may not call the runtime's own kernels, whose
// arguments no manifest sizes.
TEST(KernelContractTable, EveryPlanKernelHasOneAndRuntimeKernelsAreRefused) {
  for (const char *name : format::kernel::kPlanKernels)
    EXPECT_TRUE(runtime::hasKernelContract(name)) << name;
  for (const char *name : format::kernel::kRuntimeKernels) {
    EXPECT_FALSE(runtime::hasKernelContract(name)) << name;
    Json m = toyModelManifest();
    m["kernels"].push_back({{"name", name}, {"params", {"index"}}});
    m["schedules"]["body"].push_back(kernelCall(name, {indexArg(1)}));
    expectInvalid(m, {std::string("kernel '") + name + "' is the runtime's own"});
  }
}

} // namespace
} // namespace nhc::test
