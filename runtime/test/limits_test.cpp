//===- limits_test.cpp - Overflow-safe bounds and upper limits on sizes ---===//
//
// Regression tests for two classes of hostile input: bounds proofs on
// untrusted offsets that could wrap around 2^64 (checked_math.h), and sizes
// that drive allocations without an upper limit (limits.h). Each limit is
// enforced where the value is read, with the JSON path or argument and the
// limit in the message, before anything proportional to it is allocated.
//
//===----------------------------------------------------------------------===//

#include <chrono>
#include <climits>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "nhc/runtime/checked_math.h"
#include "nhc/runtime/limits.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uint64_t kU64Max = UINT64_MAX;

// ASan aborts on allocations beyond its maximum instead of failing them
// (unless ASAN_OPTIONS=allocator_may_return_null=1).
#if defined(__SANITIZE_ADDRESS__)
#define NHC_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NHC_TEST_ASAN 1
#endif
#endif
#ifdef NHC_TEST_ASAN
#define SKIP_UNDER_ASAN() GTEST_SKIP() << "ASan aborts on huge allocations"
// What a rejection may take: work proportional to a value (2^62 elements)
// takes far longer, but ASan's checks slow down parsing a large manifest
// (16385 state tensors: 1.2 s at -O1) several times.
constexpr std::chrono::seconds kRejectionTime(10);
#else
#define SKIP_UNDER_ASAN() (void)0
constexpr std::chrono::seconds kRejectionTime(1);
#endif

// --- checked_math.h -------------------------------------------------------

TEST(CheckedMathTest, SumsAndProductsReportOverflow) {
  EXPECT_EQ(checkedAdd(1, 2), 3u);
  EXPECT_FALSE(checkedAdd(kU64Max, 1).has_value());
  EXPECT_EQ(checkedMul(uint64_t{1} << 32, (uint64_t{1} << 32) - 1),
            kU64Max - ((uint64_t{1} << 32) - 1));
  EXPECT_FALSE(checkedMul(uint64_t{1} << 32, uint64_t{1} << 32).has_value());

  EXPECT_EQ(checkedProduct({}), 1u);
  EXPECT_EQ(checkedProduct({3, 5, 7}), 105u);
  EXPECT_FALSE(checkedProduct({uint64_t{1} << 40, uint64_t{1} << 30})
                   .has_value());
  // A zero factor makes the product 0, even after an overflowing prefix.
  EXPECT_EQ(checkedProduct({kU64Max, kU64Max, 0}), 0u);
  // The limit is inclusive.
  EXPECT_EQ(checkedProduct({4, 4}, 16), 16u);
  EXPECT_FALSE(checkedProduct({4, 4}, 15).has_value());
  EXPECT_EQ(checkedProductOf(std::vector<uint64_t>{2, 3, 4}, 100), 24u);

  EXPECT_EQ(checkedByteSize({2, 3}, 4), 24u);
  EXPECT_FALSE(checkedByteSize({kU64Max / 2, 3}, 1).has_value());
  EXPECT_EQ(checkedAlignUp(65, 64), 128u);
  EXPECT_FALSE(checkedAlignUp(kU64Max - 3, 64).has_value());
}

TEST(CheckedMathTest, RangeWithinNeverWraps) {
  EXPECT_TRUE(rangeWithin(0, 16, 16));
  EXPECT_TRUE(rangeWithin(16, 0, 16));
  EXPECT_FALSE(rangeWithin(12, 5, 16));
  EXPECT_FALSE(rangeWithin(17, 0, 16));
  // offset + size wraps to 0 here; a naive `offset + size <= limit` passes.
  EXPECT_FALSE(rangeWithin(kU64Max - 3, 4, 16));
  EXPECT_FALSE(rangeWithin(4, kU64Max - 3, 16));
}

// --- Offsets that wrap around 2^64 ----------------------------------------

/// Expects `manifest` to be rejected with a message containing all of
/// `parts`.
void expectInvalid(const Json &manifest,
                   const std::vector<std::string> &parts) {
  EXPECT_EQ(parseManifestStatus(manifest), NHC_INVALID_FORMAT);
  for (const std::string &part : parts)
    EXPECT_THAT(lastError(), HasSubstr(part));
}

/// The kernel-free gemm model of the hostile file
/// rt-gemm-c-offset-wrap.nhc: logits = x . w^T, x from nowhere.
Json gemmOnlyManifest(uint64_t cOffset, uint64_t aOffset) {
  Json m = baseManifest(4, 4);
  addWeight(m, "w", "F32", {4, 4});
  m["buffers"] = Json::array({bufferSpec("x", "token", 4)});
  auto gemm = [&](const char *rows) {
    return Json{{"library", "gemm"}, {"a", "x"},    {"lda", 4},
                {"a_offset", aOffset}, {"c", "logits"}, {"ldc", 4},
                {"c_offset", cOffset}, {"n", 4},        {"k", 4},
                {"w", "w"},          {"m", rows}};
  };
  m["schedules"]["head_last"] = Json::array({gemm("requests")});
  m["schedules"]["head_all"] = Json::array({gemm("tokens")});
  return m;
}

TEST(WrapAroundTest, GemmOffsetsThatWrapAreRejected) {
  EXPECT_EQ(parseManifestStatus(gemmOnlyManifest(0, 0)), NHC_OK)
      << lastError();
  // 2^64 - 4 + 4 columns wraps to 0 <= 4: the old proof accepted it and
  // the gemm wrote 16 bytes before the logits buffer.
  expectInvalid(gemmOnlyManifest(kU64Max - 3, 0),
                {"schedules.head_last[0]: c (c_offset 18446744073709551612, "
                 "ldc 4, 4 columns) does not fit in the logits output"});
  for (uint64_t offset : {kU64Max, kU64Max - 1, kU64Max - 2, uint64_t{1}})
    expectInvalid(gemmOnlyManifest(offset, 0), {"does not fit"});
  expectInvalid(gemmOnlyManifest(0, kU64Max - 3),
                {"schedules.head_last[0]: a (a_offset 18446744073709551612, "
                 "lda 4, 4 columns) does not fit in buffer 'x'"});
}

/// The logits' rows: one per request in head_last, one per token in
/// head_all; a gemm of the other count would leave rows unwritten (a hunt's
/// head_all of "requests" dumped zero rows for the prompt's other tokens).
TEST(WrapAroundTest, LogitsGemmsWriteEveryRowOfTheirSchedule) {
  Json m = gemmOnlyManifest(0, 0);
  m["schedules"]["head_all"][0]["m"] = "requests";
  expectInvalid(m, {"schedules.head_all[0].m: head_all logits have one row "
                    "per token; set \"m\": \"tokens\""});
  m = gemmOnlyManifest(0, 0);
  m["schedules"]["head_last"][0]["m"] = "tokens";
  expectInvalid(m, {"schedules.head_last[0].c: the logits output ([requests, "
                    "4] in head_last) has one row per request, but the gemm "
                    "has one row per token"});
}

TEST(WrapAroundTest, WrappedGemmOffsetFailsTheArtifactLoad) {
  TempDir dir;
  std::string path = dir.file("wrap.nhc");
  writeBytes(path, buildExecutableArtifact(gemmOnlyManifest(kU64Max - 3, 0),
                                           /*withKernels=*/false));
  nhc_artifact_t *artifact = nullptr;
  EXPECT_EQ(nhc_artifact_load(path.c_str(), &artifact), NHC_INVALID_FORMAT);
  EXPECT_EQ(artifact, nullptr);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("artifact '" + path + "'"),
                                 HasSubstr("c_offset 18446744073709551612")));
}

TEST(WrapAroundTest, DimTimesIsBoundedSoDimTimesFitsInt64) {
  Json m = toyModelManifest();
  // body[5] is nhc_add(hidden, mix, {"dim": "tokens", "times": H}).
  m["schedules"]["body"][5]["args"][2]["times"] = (uint64_t{1} << 32) + 1;
  expectInvalid(m, {"schedules.body[5].args[2].times: 4294967297 exceeds "
                    "the limit 4294967296"});
  m["schedules"]["body"][5]["args"][2]["times"] = INT64_MAX;
  expectInvalid(m, {"args[2].times: 9223372036854775807 exceeds the limit"});
}

TEST(WrapAroundTest, SlotsTimesSeqLenThatWrapsIsRejected) {
  // 2 * (2^63 + 1) wraps to 2, below INT_MAX.
  SessionFixture f;
  EXPECT_EQ(f.open(toyModelManifest(), toyModelWeights(), 2,
                   (uint64_t{1} << 63) + 1),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("max_seq_len 9223372036854775809 "
                                     "exceeds the limit 16777216 "
                                     "(nhc::kMaxSequenceLength)"));
  SessionFixture g;
  EXPECT_EQ(g.open(toyModelManifest(), toyModelWeights(), 65536, 32768),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("max_slots * max_seq_len (65536 * "
                                     "32768) exceeds 2147483647 tokens"));
}

// --- Upper limits on manifest sizes ---------------------------------------

struct LimitCase {
  const char *name;
  std::function<void(Json &)> edit;
  const char *message;
};

void PrintTo(const LimitCase &c, std::ostream *os) { *os << c.name; }

class ManifestLimitTest : public ::testing::TestWithParam<LimitCase> {};

TEST_P(ManifestLimitTest, RejectedWithPathAndLimit) {
  Json m = tinyManifest();
  ASSERT_EQ(parseManifestStatus(m), NHC_OK) << lastError();
  GetParam().edit(m);
  std::string text = m.dump(); // the test's own work, not timed
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(parseManifestTextStatus(text), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("manifest 'm.json': "),
                                 HasSubstr(GetParam().message)));
  // Nothing proportional to the value was allocated or walked.
  EXPECT_LT(std::chrono::steady_clock::now() - start, kRejectionTime);
}

/// tinyManifest's state tensors layers.0.conv_state, layers.0.ssm_state
/// and layers.1.k_cache.
Json &conv0(Json &m) { return m["state"][0]; }
Json &ssm0(Json &m) { return m["state"][1]; }
Json &kCache1(Json &m) { return m["state"][2]; }

INSTANTIATE_TEST_SUITE_P(
    Limits, ManifestLimitTest,
    ::testing::Values(
        // The hostile rt-manifest-num-layers-500m.nhc: 7 s and 1.9 GB.
        LimitCase{"NumLayers500M",
                  [](Json &m) { m["model"]["num_layers"] = 500000000; },
                  "model.num_layers: 500000000 exceeds the limit 1024 "
                  "(nhc::kMaxLayers)"},
        LimitCase{"NumLayers", [](Json &m) { m["model"]["num_layers"] = 1025; },
                  "model.num_layers: 1025 exceeds the limit 1024"},
        // The hostile run-vocab-2e40.nhc.
        LimitCase{"Vocab",
                  [](Json &m) { m["model"]["vocab_size"] = 1ull << 40; },
                  "model.vocab_size: 1099511627776 exceeds the limit 4194304 "
                  "(nhc::kMaxVocab)"},
        LimitCase{"Hidden", [](Json &m) { m["model"]["hidden_size"] = 65537; },
                  "model.hidden_size: 65537 exceeds the limit 65536 "
                  "(nhc::kMaxHidden)"},
        LimitCase{"HiddenZero",
                  [](Json &m) { m["model"]["hidden_size"] = 0; },
                  "model.hidden_size: must be positive, found 0"},
        LimitCase{"VocabZero", [](Json &m) { m["model"]["vocab_size"] = 0; },
                  "model.vocab_size: must be positive, found 0"},
        LimitCase{"MaxPositionsZero",
                  [](Json &m) { m["model"]["max_position_embeddings"] = 0; },
                  "model.max_position_embeddings: must be positive, found 0"},
        LimitCase{
            "MaxPositions",
            [](Json &m) { m["model"]["max_position_embeddings"] = ~0ull; },
            "model.max_position_embeddings: 18446744073709551615 "
            "exceeds the limit 16777216 (nhc::kMaxSequenceLength)"},
        LimitCase{"StateDim",
                  [](Json &m) {
                    ssm0(m)["shape"] = {(1u << 28) + 1, 16, 8};
                  },
                  "state[1].shape[0]: 268435457 exceeds the limit "
                  "268435456 (nhc::kMaxStateElements)"},
        LimitCase{"StateDimHuge",
                  [](Json &m) {
                    conv0(m)["shape"] = {1ull << 40, 3};
                  },
                  "state[0].shape[0]: 1099511627776 exceeds the limit "
                  "268435456"},
        LimitCase{"StateElements",
                  [](Json &m) {
                    ssm0(m)["shape"] = {1u << 20, 1u << 10, 1u << 10};
                  },
                  "state[1].shape: [1048576, 1024, 1024] has more than "
                  "268435456 elements (nhc::kMaxStateElements)"},
        LimitCase{"StateElementsPerToken",
                  [](Json &m) {
                    kCache1(m)["shape"] =
                        Json::array({"max_seq_len", 1u << 28, 1u << 28});
                  },
                  "state[2].shape: [max_seq_len, 268435456, 268435456] has "
                  "more than 268435456 elements per token"},
        LimitCase{
            "StateNameBytes",
            [](Json &m) { conv0(m)["name"] = std::string(1u << 20, 'n'); },
            "state[0].name: length in bytes: 1048576 exceeds the "
            "limit 256 (nhc::kMaxStateNameBytes)"},
        LimitCase{"StateTensors",
                  [](Json &m) {
                    for (int i = 0; i <= 16384; ++i)
                      m["state"].push_back(
                          stateTensor("s" + std::to_string(i), 0, "F32", {1}));
                  },
                  "state: the number of entries: 16391 exceeds the limit "
                  "16384 (nhc::kMaxStateTensors)"},
        LimitCase{"Buffers",
                  [](Json &m) {
                    m["buffers"] = Json::array();
                    for (int i = 0; i <= 4096; ++i)
                      m["buffers"].push_back(bufferSpec(
                          "b" + std::to_string(i), "token", 1));
                  },
                  "buffers: the number of entries: 4097 exceeds the limit "
                  "4096 (nhc::kMaxBuffers)"}),
    [](const ::testing::TestParamInfo<LimitCase> &info) {
      return std::string(info.param.name);
    });

TEST(ManifestLimitTest, ValuesAtTheLimitsParse) {
  Json m = tinyManifest();
  m["model"]["num_layers"] = kMaxLayers;
  m["model"]["vocab_size"] = kMaxVocab;
  m["model"]["hidden_size"] = kMaxHidden;
  m["model"]["max_position_embeddings"] = kMaxSequenceLength;
  ssm0(m)["shape"] = {kMaxStateElements};
  conv0(m)["shape"] = {1, kMaxStateElements, 1, 1};
  conv0(m)["name"] = std::string(kMaxStateNameBytes, 'c');
  kCache1(m)["shape"] = Json::array({"max_seq_len", 1u << 14, 1u << 14});
  for (uint64_t i = m["state"].size(); i < kMaxStateTensors; ++i)
    m["state"].push_back(stateTensor("s" + std::to_string(i), 0, "F32", {1}));
  EXPECT_EQ(parseManifestStatus(m), NHC_OK) << lastError();
}

TEST(ManifestLimitTest, ManifestBytesAreBoundedBeforeParsing) {
  // Nothing is read: the size is checked before the text.
  const char text[] = "{}";
  nhc_manifest_t *manifest = nullptr;
  EXPECT_EQ(nhc_manifest_parse(text, kMaxManifestBytes + 1, "big.json",
                               &manifest),
            NHC_INVALID_FORMAT);
  EXPECT_EQ(manifest, nullptr);
  EXPECT_THAT(lastError(),
              HasSubstr("manifest 'big.json': size in bytes: 268435457 "
                        "exceeds the limit 268435456 "
                        "(nhc::kMaxManifestBytes)"));
}

/// A moe_experts entry with one stacked expert weight pair.
Json moeManifest() {
  Json m = baseManifest(16, 8);
  m["buffers"] = {bufferSpec("x", "token", 8), bufferSpec("y", "token", 8),
                  bufferSpec("idx", "token", 2, "i32"),
                  bufferSpec("w", "token", 2)};
  addWeight(m, "up", "F32", {3, 4, 8});
  addWeight(m, "down", "F32", {3, 8, 4});
  m["schedules"]["body"] = Json::array({Json::object(
      {{"library", "moe_experts"}, {"input", "x"},   {"indices", "idx"},
       {"weights", "w"},           {"output", "y"},  {"up", "up"},
       {"down", "down"},           {"num_experts", 3}, {"top_k", 2},
       {"hidden", 8},              {"intermediate", 4},
       {"activation", "relu2"}})});
  return m;
}

TEST(ManifestLimitTest, MoeSizesAreBounded) {
  EXPECT_EQ(parseManifestStatus(moeManifest()), NHC_OK) << lastError();
  auto with = [](const char *key, uint64_t value) {
    Json m = moeManifest();
    m["schedules"]["body"][0][key] = value;
    return m;
  };
  expectInvalid(with("num_experts", 4097),
                {"schedules.body[0].num_experts: 4097 exceeds the limit "
                 "4096 (nhc::kMaxExperts)"});
  expectInvalid(with("top_k", 65), {"schedules.body[0].top_k: 65 exceeds "
                                    "the limit 64 (nhc::kMaxTopK)"});
  expectInvalid(with("hidden", 65537),
                {"schedules.body[0].hidden: 65537 exceeds the limit 65536 "
                 "(nhc::kMaxHidden)"});
  expectInvalid(with("intermediate", (1u << 20) + 1),
                {"schedules.body[0].intermediate: 1048577 exceeds the limit "
                 "1048576 (nhc::kMaxIntermediate)"});
  expectInvalid(with("num_experts", INT_MAX),
                {"num_experts: 2147483647 exceeds the limit 4096"});
}

// --- Limits on arguments and allocation sizes -----------------------------

TEST(ArgumentLimitTest, StatePoolSlotsAndSeqLen) {
  Json m = tinyManifest();
  m["model"]["max_position_embeddings"] = kMaxSequenceLength;
  nhc_manifest_t *manifest = parseManifestOrDie(m);
  nhc_state_pool_t *pool = nullptr;
  EXPECT_EQ(nhc_state_pool_create(manifest, kMaxSlots + 1, 1, &pool),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("state pool: max_slots 65537 exceeds "
                                     "the limit 65536 (nhc::kMaxSlots)"));
  EXPECT_EQ(nhc_state_pool_create(manifest, 1, kMaxSequenceLength + 1, &pool),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("state pool: max_seq_len 16777217 "
                                     "exceeds the limit 16777216 "
                                     "(nhc::kMaxSequenceLength)"));
  EXPECT_EQ(nhc_state_pool_create(manifest, ~0u, ~0ull, &pool),
            NHC_INVALID_ARGUMENT);
  EXPECT_EQ(pool, nullptr);
  nhc_manifest_release(manifest);
}

TEST(ArgumentLimitTest, StatePoolTooLargeForMemoryIsOutOfMemory) {
  SKIP_UNDER_ASAN();
  // 2^53 bytes of K cache (rows of 2^27 F32 elements, 2^24 of them) fit
  // 64 bits but no address space.
  Json m = tinyManifest();
  m["model"]["max_position_embeddings"] = kMaxSequenceLength;
  kCache1(m)["shape"] = Json::array({"max_seq_len", 1u << 14, 1u << 13});
  kCache1(m)["dtype"] = "F32";
  nhc_manifest_t *manifest = parseManifestOrDie(m);
  nhc_state_pool_t *pool = nullptr;
  EXPECT_EQ(nhc_state_pool_create(manifest, 1, kMaxSequenceLength, &pool),
            NHC_OUT_OF_MEMORY);
  EXPECT_THAT(lastError(), HasSubstr("state pool: cannot allocate"));
  EXPECT_EQ(pool, nullptr);
  nhc_manifest_release(manifest);
}

TEST(ArgumentLimitTest, SessionSlotsAndSeqLen) {
  SessionFixture f;
  EXPECT_EQ(f.open(toyModelManifest(), toyModelWeights(), kMaxSlots + 1, 1),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("session: max_slots 65537 exceeds the "
                                     "limit 65536 (nhc::kMaxSlots)"));
  EXPECT_EQ(f.session, nullptr);
}

TEST(ArgumentLimitTest, BufferElemsAreBoundedInTheManifest) {
  // 2^61 floats per token could never be allocated for any step: refused
  // when the manifest is read, before a session exists.
  Json m = toyModelManifest();
  m["buffers"].push_back(bufferSpec("huge", "token", uint64_t{1} << 61));
  SessionFixture f;
  EXPECT_NE(f.open(m, toyModelWeights(), 2, 8), NHC_OK);
  EXPECT_THAT(lastError(),
              HasSubstr(".elems: 2305843009213693952 exceeds the limit "
                        "16777216 (nhc::kMaxBufferElems)"));
  EXPECT_EQ(f.session, nullptr);
}

TEST(ArgumentLimitTest, ScratchThatCannotBeAllocatedIsOutOfMemory) {
  SKIP_UNDER_ASAN();
  // 2^24 floats per token is within the limit, but a 4096-token step needs
  // 2^40 bytes for it: the step fails cleanly and changes nothing.
  Json m = toyModelManifest();
  m["model"]["max_position_embeddings"] = 4096;
  m["buffers"].push_back(bufferSpec("huge", "token", uint64_t{1} << 24));
  SessionFixture f;
  ASSERT_EQ(f.open(m, toyModelWeights(), 1, 4096), NHC_OK) << lastError();
  uint32_t slot;
  ASSERT_EQ(nhc_session_claim(f.session, &slot), NHC_OK);
  std::vector<int32_t> ids(4096, 1);
  nhc_request_t request{slot, ids.data(), ids.size()};
  std::vector<float> logits(kToyVocab);
  EXPECT_EQ(nhc_session_step(f.session, &request, 1, NHC_LOGITS_LAST,
                             logits.data(), logits.size()),
            NHC_OUT_OF_MEMORY);
  EXPECT_THAT(lastError(), HasSubstr("bytes for buffer 'huge'"));
  uint64_t length = ~0ull;
  EXPECT_EQ(nhc_session_slot_length(f.session, slot, &length), NHC_OK);
  EXPECT_EQ(length, 0u);
}

TEST(ArgumentLimitTest, IndexFileIsBoundedLikeAHeader) {
  TempDir dir;
  std::string path = dir.file("model.safetensors.index.json");
  writeText(path, "");
  // A sparse file: one byte over the limit costs no disk.
  ASSERT_EQ(::truncate(path.c_str(), kMaxSafetensorsHeaderBytes + 1), 0);
  nhc_weights_t *weights = nullptr;
  EXPECT_EQ(nhc_weights_open(path.c_str(), &weights), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              HasSubstr("safetensors index '" + path +
                        "': file is 104857601 bytes, more than the limit "
                        "104857600 (nhc::kMaxSafetensorsHeaderBytes)"));
  EXPECT_EQ(weights, nullptr);
}

TEST(ArgumentLimitTest, SafetensorsHeaderLimit) {
  TempDir dir;
  std::string path = dir.file("w.safetensors");
  Bytes bytes(16, 0);
  poke<uint64_t>(bytes, 0, kMaxSafetensorsHeaderBytes + 1);
  writeBytes(path, bytes);
  ASSERT_EQ(::truncate(path.c_str(), 8 + kMaxSafetensorsHeaderBytes + 1), 0);
  nhc_weights_t *weights = nullptr;
  EXPECT_EQ(nhc_weights_open(path.c_str(), &weights), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("header length 104857601 exceeds the "
                                     "limit 104857600 bytes "
                                     "(nhc::kMaxSafetensorsHeaderBytes)"));
}

} // namespace
} // namespace nhc::test
