//===- state_pool_test.cpp - Slot lifecycle, layout and isolation ---------===//

#include <cstring>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "test_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uint32_t kSlots = 3;
constexpr uint64_t kMaxSeqLen = 64;
const uint32_t kMambaLayers[] = {0, 3};
constexpr uint32_t kAttentionLayer = 1;

class StatePoolTest : public ::testing::Test {
protected:
  void SetUp() override {
    manifest = parseManifestOrDie(tinyManifest());
    ASSERT_EQ(nhc_state_pool_create(manifest, kSlots, kMaxSeqLen, &pool),
              NHC_OK)
        << lastError();
  }
  void TearDown() override {
    nhc_state_pool_release(pool);
    nhc_manifest_release(manifest);
  }

  uint32_t claim() {
    uint32_t slot = ~0u;
    EXPECT_EQ(nhc_state_pool_claim_slot(pool, &slot), NHC_OK) << lastError();
    return slot;
  }

  /// Every byte of a slot's state: conv, SSM, K and V of all layers.
  std::vector<std::pair<uint8_t *, uint64_t>> regions(uint32_t slot) {
    std::vector<std::pair<uint8_t *, uint64_t>> out;
    for (uint32_t layer : kMambaLayers) {
      nhc_mamba_state_t s;
      EXPECT_EQ(nhc_state_pool_mamba_state(pool, slot, layer, &s), NHC_OK)
          << lastError();
      out.emplace_back(static_cast<uint8_t *>(s.conv_state), s.conv_bytes);
      out.emplace_back(static_cast<uint8_t *>(s.ssm_state), s.ssm_bytes);
    }
    nhc_kv_cache_t kv;
    EXPECT_EQ(nhc_state_pool_kv_cache(pool, slot, kAttentionLayer, &kv), NHC_OK)
        << lastError();
    out.emplace_back(static_cast<uint8_t *>(kv.k), kv.bytes);
    out.emplace_back(static_cast<uint8_t *>(kv.v), kv.bytes);
    return out;
  }

  void fill(uint32_t slot, uint8_t value) {
    for (auto [data, bytes] : regions(slot))
      std::memset(data, value, bytes);
  }

  bool allBytesAre(uint32_t slot, uint8_t value) {
    for (auto [data, bytes] : regions(slot))
      for (uint64_t i = 0; i < bytes; ++i)
        if (data[i] != value)
          return false;
    return true;
  }

  uint64_t seqLen(uint32_t slot) {
    uint64_t len = ~0ull;
    EXPECT_EQ(nhc_state_pool_slot_seq_len(pool, slot, &len), NHC_OK)
        << lastError();
    return len;
  }

  nhc_manifest_t *manifest = nullptr;
  nhc_state_pool_t *pool = nullptr;
};

TEST_F(StatePoolTest, SizesAndLayout) {
  nhc_state_pool_info_t info;
  ASSERT_EQ(nhc_state_pool_get_info(pool, &info), NHC_OK);
  EXPECT_EQ(info.max_slots, kSlots);
  EXPECT_EQ(info.free_slots, kSlots);
  EXPECT_EQ(info.max_seq_len, kMaxSeqLen);
  EXPECT_EQ(info.num_mamba_layers, 2u);
  EXPECT_EQ(info.num_attention_layers, 1u);
  // conv F32 [80, 3] = 960 B (aligned to 960), SSM F32 [4, 16, 8] = 2048 B.
  EXPECT_EQ(info.mamba_bytes_per_slot, 2u * (960 + 2048));
  // K and V: 64 tokens x 2 heads x 16 x BF16 = 4096 B each.
  EXPECT_EQ(info.kv_bytes_per_slot, 2u * 4096);
  EXPECT_EQ(info.bytes_per_slot,
            info.mamba_bytes_per_slot + info.kv_bytes_per_slot);
  EXPECT_EQ(info.total_bytes, info.bytes_per_slot * kSlots);

  uint32_t a = claim(), b = claim();
  nhc_mamba_state_t sa, sb;
  ASSERT_EQ(nhc_state_pool_mamba_state(pool, a, 3, &sa), NHC_OK);
  ASSERT_EQ(nhc_state_pool_mamba_state(pool, b, 3, &sb), NHC_OK);
  EXPECT_EQ(sa.conv_dtype, NHC_DTYPE_F32);
  EXPECT_EQ(sa.conv_shape[0], 80u);
  EXPECT_EQ(sa.conv_shape[1], 3u);
  EXPECT_EQ(sa.ssm_shape[2], 8u);
  EXPECT_EQ(sa.conv_bytes, 960u);
  EXPECT_EQ(sa.ssm_bytes, 2048u);
  EXPECT_EQ(static_cast<uint8_t *>(sb.ssm_state) -
                static_cast<uint8_t *>(sa.ssm_state),
            static_cast<ptrdiff_t>(sa.ssm_slot_stride));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(sa.conv_state) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(sb.ssm_state) % 64, 0u);

  nhc_kv_cache_t kv;
  ASSERT_EQ(nhc_state_pool_kv_cache(pool, b, kAttentionLayer, &kv), NHC_OK);
  EXPECT_EQ(kv.dtype, NHC_DTYPE_BF16);
  EXPECT_EQ(kv.num_kv_heads, 2u);
  EXPECT_EQ(kv.head_dim, 16u);
  EXPECT_EQ(kv.max_seq_len, kMaxSeqLen);
  EXPECT_EQ(kv.token_stride, 2u * 16 * 2);
  EXPECT_EQ(kv.bytes, 4096u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(kv.k) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(kv.v) % 64, 0u);
}

TEST_F(StatePoolTest, ClaimZeroesStateAndResetsLength) {
  uint32_t slot = claim();
  EXPECT_EQ(slot, 0u);
  EXPECT_EQ(seqLen(slot), 0u);
  fill(slot, 0xAB);
  ASSERT_EQ(nhc_state_pool_advance_slot(pool, slot, 10), NHC_OK);
  ASSERT_EQ(nhc_state_pool_release_slot(pool, slot), NHC_OK);

  uint32_t again = claim();
  ASSERT_EQ(again, slot); // lowest free slot
  EXPECT_EQ(seqLen(again), 0u);
  for (uint32_t layer : kMambaLayers) {
    nhc_mamba_state_t s;
    ASSERT_EQ(nhc_state_pool_mamba_state(pool, again, layer, &s), NHC_OK);
    for (uint64_t i = 0; i < s.conv_bytes; ++i)
      ASSERT_EQ(static_cast<uint8_t *>(s.conv_state)[i], 0)
          << "layer " << layer;
    for (uint64_t i = 0; i < s.ssm_bytes; ++i)
      ASSERT_EQ(static_cast<uint8_t *>(s.ssm_state)[i], 0) << "layer " << layer;
  }
}

TEST_F(StatePoolTest, Exhaustion) {
  for (uint32_t i = 0; i < kSlots; ++i)
    EXPECT_EQ(claim(), i);
  uint32_t slot = 12345;
  EXPECT_EQ(nhc_state_pool_claim_slot(pool, &slot), NHC_RESOURCE_EXHAUSTED);
  EXPECT_EQ(slot, 12345u);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("no free slot"),
                                 HasSubstr("all 3 slots (max_slots)")));
  ASSERT_EQ(nhc_state_pool_release_slot(pool, 1), NHC_OK);
  EXPECT_EQ(claim(), 1u);
}

TEST_F(StatePoolTest, AdvanceUpToMaxThenFailWithoutChange) {
  uint32_t slot = claim();
  ASSERT_EQ(nhc_state_pool_advance_slot(pool, slot, 60), NHC_OK);
  ASSERT_EQ(nhc_state_pool_advance_slot(pool, slot, 0), NHC_OK);
  EXPECT_EQ(nhc_state_pool_advance_slot(pool, slot, 5), NHC_OUT_OF_RANGE);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("slot 0"), HasSubstr("by 5 tokens"),
                    HasSubstr("length is 60"), HasSubstr("max_seq_len is 64")));
  EXPECT_EQ(seqLen(slot), 60u);
  // Huge requests must not wrap around.
  EXPECT_EQ(nhc_state_pool_advance_slot(pool, slot, ~0ull), NHC_OUT_OF_RANGE);
  EXPECT_EQ(seqLen(slot), 60u);
  ASSERT_EQ(nhc_state_pool_advance_slot(pool, slot, 4), NHC_OK);
  EXPECT_EQ(seqLen(slot), kMaxSeqLen);
}

TEST_F(StatePoolTest, UnknownAndUnclaimedSlots) {
  uint64_t len;
  nhc_mamba_state_t state;
  nhc_kv_cache_t kv;
  EXPECT_EQ(nhc_state_pool_release_slot(pool, kSlots), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("slot 3"), HasSubstr("max_slots is 3")));
  EXPECT_EQ(nhc_state_pool_advance_slot(pool, 99, 1), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("slot 99 does not exist"));
  EXPECT_EQ(nhc_state_pool_slot_seq_len(pool, 1, &len),
            NHC_FAILED_PRECONDITION);
  EXPECT_THAT(lastError(), HasSubstr("slot 1 is not claimed"));
  EXPECT_EQ(nhc_state_pool_mamba_state(pool, 0, 0, &state),
            NHC_FAILED_PRECONDITION);
  EXPECT_EQ(nhc_state_pool_kv_cache(pool, 2, kAttentionLayer, &kv),
            NHC_FAILED_PRECONDITION);
  EXPECT_EQ(nhc_state_pool_advance_slot(pool, 0, 1), NHC_FAILED_PRECONDITION);
}

TEST_F(StatePoolTest, DoubleRelease) {
  uint32_t slot = claim();
  ASSERT_EQ(nhc_state_pool_release_slot(pool, slot), NHC_OK);
  EXPECT_EQ(nhc_state_pool_release_slot(pool, slot), NHC_FAILED_PRECONDITION);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("slot 0"), HasSubstr("not claimed"),
                                 HasSubstr("double release")));
  nhc_state_pool_info_t info;
  ASSERT_EQ(nhc_state_pool_get_info(pool, &info), NHC_OK);
  EXPECT_EQ(info.free_slots, kSlots);
}

TEST_F(StatePoolTest, WrongLayerKind) {
  uint32_t slot = claim();
  nhc_mamba_state_t state;
  nhc_kv_cache_t kv;
  EXPECT_EQ(nhc_state_pool_mamba_state(pool, slot, kAttentionLayer, &state),
            NHC_NOT_FOUND);
  EXPECT_THAT(lastError(), HasSubstr("layer 1 is an attention layer, not a "
                                     "Mamba layer"));
  EXPECT_EQ(nhc_state_pool_kv_cache(pool, slot, 2, &kv), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(), HasSubstr("layer 2 is a layer without state"));
  EXPECT_EQ(nhc_state_pool_kv_cache(pool, slot, 0, &kv), NHC_NOT_FOUND);
  EXPECT_EQ(nhc_state_pool_mamba_state(pool, slot, 4, &state), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(), HasSubstr("layer 4 does not exist"));
}

// Every failing call must leave every slot's data and length untouched.
TEST_F(StatePoolTest, FailingCallsLeaveOtherSlotsUntouched) {
  uint32_t a = claim(), b = claim(), c = claim();
  fill(a, 0x11);
  fill(b, 0x22);
  fill(c, 0x33);
  ASSERT_EQ(nhc_state_pool_advance_slot(pool, a, 5), NHC_OK);
  ASSERT_EQ(nhc_state_pool_advance_slot(pool, b, 63), NHC_OK);
  ASSERT_EQ(nhc_state_pool_advance_slot(pool, c, 64), NHC_OK);

  uint32_t slot;
  nhc_mamba_state_t state;
  nhc_kv_cache_t kv;
  EXPECT_EQ(nhc_state_pool_claim_slot(pool, &slot), NHC_RESOURCE_EXHAUSTED);
  EXPECT_EQ(nhc_state_pool_advance_slot(pool, b, 2), NHC_OUT_OF_RANGE);
  EXPECT_EQ(nhc_state_pool_advance_slot(pool, c, 1), NHC_OUT_OF_RANGE);
  EXPECT_EQ(nhc_state_pool_advance_slot(pool, 7, 1), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_state_pool_release_slot(pool, 7), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_state_pool_mamba_state(pool, a, 1, &state), NHC_NOT_FOUND);
  EXPECT_EQ(nhc_state_pool_kv_cache(pool, b, 0, &kv), NHC_NOT_FOUND);

  EXPECT_TRUE(allBytesAre(a, 0x11));
  EXPECT_TRUE(allBytesAre(b, 0x22));
  EXPECT_TRUE(allBytesAre(c, 0x33));
  EXPECT_EQ(seqLen(a), 5u);
  EXPECT_EQ(seqLen(b), 63u);
  EXPECT_EQ(seqLen(c), 64u);

  // Releasing and re-claiming one slot zeroes only that slot's state.
  ASSERT_EQ(nhc_state_pool_release_slot(pool, b), NHC_OK);
  EXPECT_EQ(nhc_state_pool_release_slot(pool, b), NHC_FAILED_PRECONDITION);
  EXPECT_EQ(claim(), b);
  EXPECT_TRUE(allBytesAre(a, 0x11));
  EXPECT_TRUE(allBytesAre(c, 0x33));
  EXPECT_EQ(seqLen(a), 5u);
  EXPECT_EQ(seqLen(c), 64u);
}

TEST(StatePoolCreateTest, RejectsBadLimits) {
  nhc_manifest_t *manifest = parseManifestOrDie(tinyManifest());
  nhc_state_pool_t *pool = nullptr;
  EXPECT_EQ(nhc_state_pool_create(manifest, 0, 16, &pool),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("max_slots must be at least 1"));
  EXPECT_EQ(nhc_state_pool_create(manifest, 1, 0, &pool), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("max_seq_len must be at least 1"));
  EXPECT_EQ(nhc_state_pool_create(manifest, 1, 4097, &pool),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("max_seq_len 4097"),
                                 HasSubstr("max_position_embeddings 4096")));
  EXPECT_EQ(pool, nullptr);
  ASSERT_EQ(nhc_state_pool_create(manifest, 1, 4096, &pool), NHC_OK);
  nhc_state_pool_release(pool);
  nhc_manifest_release(manifest);
}

TEST(StatePoolCreateTest, AbsurdSizesOverflowCleanly) {
  // Every factor within its limit (nhc/runtime/limits.h), the product
  // beyond 64 bits: 4096 KV heads * 4096 * 2^24 positions * 8 bytes = 2^51
  // bytes per slot, times 65536 slots.
  Json m = tinyManifest();
  m["model"]["max_position_embeddings"] = uint64_t{1} << 24;
  m["state"]["attention_layers"][0]["num_kv_heads"] = 4096;
  m["state"]["attention_layers"][0]["head_dim"] = 4096;
  m["state"]["attention_layers"][0]["dtype"] = "F64";
  nhc_manifest_t *manifest = parseManifestOrDie(m);
  nhc_state_pool_t *pool = nullptr;
  EXPECT_EQ(nhc_state_pool_create(manifest, 65536, uint64_t{1} << 24, &pool),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("overflows 64 bits"));
  EXPECT_EQ(pool, nullptr);
  nhc_manifest_release(manifest);
}

// The per-slot numbers quoted in docs/runtime.md for Nemotron-H-8B.
TEST(StatePoolCreateTest, NemotronH8BSizesMatchDocs) {
  const char *pattern = "M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M-";
  Json mamba = Json::array(), attention = Json::array();
  uint32_t layers = 0;
  for (const char *p = pattern; *p; ++p, ++layers) {
    if (*p == 'M')
      mamba.push_back(
          {{"layer", layers},
           {"conv_state", {{"dtype", "BF16"}, {"shape", {10240, 3}}}},
           {"ssm_state", {{"dtype", "F32"}, {"shape", {128, 64, 128}}}}});
    else if (*p == '*')
      attention.push_back({{"layer", layers},
                           {"num_kv_heads", 8},
                           {"head_dim", 128},
                           {"dtype", "BF16"}});
  }
  ASSERT_EQ(layers, 52u);
  Json m = {
      {"format", "nhc-manifest"},
      {"version", 1},
      {"model",
       {{"hidden_size", 4096},
        {"vocab_size", 131072},
        {"num_layers", layers},
        {"dtype", "BF16"},
        {"max_position_embeddings", 8192}}},
      {"weights", Json::array()},
      {"state", {{"mamba_layers", mamba}, {"attention_layers", attention}}}};
  nhc_manifest_t *manifest = parseManifestOrDie(m);
  nhc_state_pool_t *pool = nullptr;
  // Allocation is lazy (nothing is touched until a claim), so this is cheap.
  ASSERT_EQ(nhc_state_pool_create(manifest, 1, 8192, &pool), NHC_OK)
      << lastError();
  nhc_state_pool_info_t info;
  ASSERT_EQ(nhc_state_pool_get_info(pool, &info), NHC_OK);
  EXPECT_EQ(info.num_mamba_layers, 24u);
  EXPECT_EQ(info.num_attention_layers, 4u);
  EXPECT_EQ(info.mamba_bytes_per_slot, 24ull * (61440 + 4194304));
  EXPECT_EQ(info.kv_bytes_per_slot, 4ull * 33554432);
  EXPECT_EQ(info.bytes_per_slot, 236355584ull);
  nhc_state_pool_release(pool);
  nhc_manifest_release(manifest);
}

} // namespace
} // namespace nhc::test
