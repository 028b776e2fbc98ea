//===- state_pool_test.cpp - Slot lifecycle, layout and isolation ---------===//

#include <cstring>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "nhc/runtime/limits.h"
#include "session_helpers.h"
#include "state_pool_internal.h"
#include "test_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uint32_t kSlots = 3;
constexpr uint64_t kMaxSeqLen = 64;
// tinyManifest()'s state list.
constexpr uint32_t kTensors = 6;
constexpr uint32_t kConv0 = 0, kSsm0 = 1, kK1 = 2, kV1 = 3, kConv3 = 4,
                   kSsm3 = 5;

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

  nhc_state_tensor_info_t info(uint32_t index) {
    nhc_state_tensor_info_t out{};
    EXPECT_EQ(nhc_state_pool_tensor_info(pool, index, &out), NHC_OK)
        << lastError();
    return out;
  }

  uint8_t *data(uint32_t slot, uint32_t index) {
    void *out = nullptr;
    EXPECT_EQ(nhc_state_pool_tensor_data(pool, slot, index, &out), NHC_OK)
        << lastError();
    return static_cast<uint8_t *>(out);
  }

  /// Every byte of a slot's state tensors, each with its per_token flag.
  struct Region {
    uint8_t *data;
    uint64_t bytes;
    bool perToken;
  };
  std::vector<Region> regions(uint32_t slot) {
    std::vector<Region> out;
    for (uint32_t i = 0; i < nhc_state_pool_tensor_count(pool); ++i) {
      nhc_state_tensor_info_t t = info(i);
      out.push_back({data(slot, i), t.bytes, t.per_token != 0});
    }
    return out;
  }

  void fill(uint32_t slot, uint8_t value) {
    for (const Region &r : regions(slot))
      std::memset(r.data, value, r.bytes);
  }

  /// Whether every byte of the slot's fixed (per_token = 0) or sequence
  /// (per_token = 1) tensors is `value`; -1 checks both.
  bool allBytesAre(uint32_t slot, uint8_t value, int perToken = -1) {
    for (const Region &r : regions(slot)) {
      if (perToken >= 0 && r.perToken != (perToken == 1))
        continue;
      for (uint64_t i = 0; i < r.bytes; ++i)
        if (r.data[i] != value)
          return false;
    }
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
  nhc_state_pool_info_t poolInfo;
  ASSERT_EQ(nhc_state_pool_get_info(pool, &poolInfo), NHC_OK);
  EXPECT_EQ(poolInfo.max_slots, kSlots);
  EXPECT_EQ(poolInfo.free_slots, kSlots);
  EXPECT_EQ(poolInfo.max_seq_len, kMaxSeqLen);
  EXPECT_EQ(poolInfo.num_tensors, kTensors);
  EXPECT_EQ(nhc_state_pool_tensor_count(pool), kTensors);
  // conv F32 [80, 3] = 960 B (a multiple of 64), SSM F32 [4, 16, 8] = 2048 B.
  EXPECT_EQ(poolInfo.fixed_bytes_per_slot, 2u * (960 + 2048));
  // K and V: 64 tokens x 2 heads x 16 x BF16 = 4096 B each.
  EXPECT_EQ(poolInfo.sequence_bytes_per_slot, 2u * 4096);
  EXPECT_EQ(poolInfo.bytes_per_slot,
            poolInfo.fixed_bytes_per_slot + poolInfo.sequence_bytes_per_slot);
  EXPECT_EQ(poolInfo.total_bytes, poolInfo.bytes_per_slot * kSlots);

  uint32_t a = claim(), b = claim();
  nhc_state_tensor_info_t conv = info(kConv3);
  EXPECT_STREQ(conv.name, "layers.3.conv_state");
  EXPECT_EQ(conv.layer, 3u);
  EXPECT_EQ(conv.dtype, NHC_DTYPE_F32);
  EXPECT_EQ(conv.rank, 2u);
  EXPECT_EQ(conv.shape[0], 80u);
  EXPECT_EQ(conv.shape[1], 3u);
  EXPECT_EQ(conv.shape[2], 0u);
  EXPECT_EQ(conv.per_token, 0);
  EXPECT_EQ(conv.bytes, 960u);
  EXPECT_EQ(conv.token_stride, 0u);
  EXPECT_EQ(conv.slot_stride, 960u);

  nhc_state_tensor_info_t ssm = info(kSsm3);
  EXPECT_STREQ(ssm.name, "layers.3.ssm_state");
  EXPECT_EQ(ssm.rank, 3u);
  EXPECT_EQ(ssm.shape[2], 8u);
  EXPECT_EQ(ssm.bytes, 2048u);
  EXPECT_EQ(data(b, kSsm3) - data(a, kSsm3),
            static_cast<ptrdiff_t>(ssm.slot_stride));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data(a, kConv3)) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data(b, kSsm3)) % 64, 0u);

  for (uint32_t index : {kK1, kV1}) {
    nhc_state_tensor_info_t kv = info(index);
    EXPECT_STREQ(kv.name,
                 index == kK1 ? "layers.1.k_cache" : "layers.1.v_cache");
    EXPECT_EQ(kv.layer, 1u);
    EXPECT_EQ(kv.dtype, NHC_DTYPE_BF16);
    EXPECT_EQ(kv.per_token, 1);
    EXPECT_EQ(kv.rank, 3u);
    EXPECT_EQ(kv.shape[0], kMaxSeqLen); // the pool's max_seq_len
    EXPECT_EQ(kv.shape[1], 2u);
    EXPECT_EQ(kv.shape[2], 16u);
    EXPECT_EQ(kv.token_stride, 2u * 16 * 2);
    EXPECT_EQ(kv.bytes, 4096u);
    EXPECT_EQ(kv.slot_stride, 4096u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(data(b, index)) % 64, 0u);
    EXPECT_EQ(data(b, index) - data(a, index), 4096);
  }
  // Distinct tensors never share bytes.
  EXPECT_GE(data(a, kV1) - data(a, kK1), 4096 * ptrdiff_t{kSlots});
}

// A tensor whose bytes are not a multiple of 64 gets a padded slot stride;
// every tensor's array still starts 64-byte aligned.
TEST(StatePoolLayoutTest, SlotStridesArePaddedTo64Bytes) {
  Json m = tinyManifest();
  m["state"] = {stateTensor("odd", 2, "F32", {3}), // 12 bytes
                stateTensor("rows", 1, "F16", Json::array({"max_seq_len", 3})),
                stateTensor("vector", 0, "BF16", Json::array({"max_seq_len"}))};
  nhc_manifest_t *manifest = parseManifestOrDie(m);
  nhc_state_pool_t *pool = nullptr;
  ASSERT_EQ(nhc_state_pool_create(manifest, 2, 5, &pool), NHC_OK)
      << lastError();
  nhc_manifest_release(manifest); // the pool keeps what it needs
  nhc_state_tensor_info_t odd, rows, vector;
  ASSERT_EQ(nhc_state_pool_tensor_info(pool, 0, &odd), NHC_OK);
  ASSERT_EQ(nhc_state_pool_tensor_info(pool, 1, &rows), NHC_OK);
  ASSERT_EQ(nhc_state_pool_tensor_info(pool, 2, &vector), NHC_OK);
  EXPECT_STREQ(odd.name, "odd");
  EXPECT_EQ(odd.bytes, 12u);
  EXPECT_EQ(odd.slot_stride, 64u);
  EXPECT_EQ(rows.per_token, 1);
  EXPECT_EQ(rows.shape[0], 5u);
  EXPECT_EQ(rows.token_stride, 6u);
  EXPECT_EQ(rows.bytes, 30u);
  EXPECT_EQ(rows.slot_stride, 64u);
  EXPECT_EQ(vector.rank, 1u);
  EXPECT_EQ(vector.token_stride, 2u);
  EXPECT_EQ(vector.bytes, 10u);
  nhc_state_pool_info_t info;
  ASSERT_EQ(nhc_state_pool_get_info(pool, &info), NHC_OK);
  EXPECT_EQ(info.fixed_bytes_per_slot, 64u);
  EXPECT_EQ(info.sequence_bytes_per_slot, 128u);
  uint32_t slot;
  ASSERT_EQ(nhc_state_pool_claim_slot(pool, &slot), NHC_OK);
  ASSERT_EQ(nhc_state_pool_claim_slot(pool, &slot), NHC_OK);
  for (uint32_t i = 0; i < 3; ++i) {
    void *first = nullptr, *second = nullptr;
    ASSERT_EQ(nhc_state_pool_tensor_data(pool, 0, i, &first), NHC_OK);
    ASSERT_EQ(nhc_state_pool_tensor_data(pool, 1, i, &second), NHC_OK);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 64, 0u) << i;
    EXPECT_EQ(static_cast<uint8_t *>(second) - static_cast<uint8_t *>(first),
              64)
        << i;
  }
  nhc_state_pool_release(pool);
}

TEST_F(StatePoolTest, FindTensorByName) {
  uint32_t index = 99;
  ASSERT_EQ(nhc_state_pool_find_tensor(pool, "layers.1.v_cache", &index),
            NHC_OK);
  EXPECT_EQ(index, kV1);
  ASSERT_EQ(nhc_state_pool_find_tensor(pool, "layers.0.conv_state", &index),
            NHC_OK);
  EXPECT_EQ(index, kConv0);
  index = 99;
  EXPECT_EQ(nhc_state_pool_find_tensor(pool, "layers.2.conv_state", &index),
            NHC_NOT_FOUND);
  EXPECT_THAT(lastError(),
              HasSubstr("no state tensor named 'layers.2.conv_state'"));
  EXPECT_EQ(index, 99u);
  EXPECT_EQ(nhc_state_pool_find_tensor(pool, "conv", &index), NHC_NOT_FOUND);
  EXPECT_EQ(nhc_state_pool_find_tensor(pool, nullptr, &index),
            NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_state_pool_find_tensor(nullptr, "layers.1.v_cache", &index),
            NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_state_pool_find_tensor(pool, "layers.1.v_cache", nullptr),
            NHC_INVALID_ARGUMENT);
}

TEST_F(StatePoolTest, TensorAccessorErrors) {
  nhc_state_tensor_info_t t{};
  EXPECT_EQ(nhc_state_pool_tensor_count(nullptr), 0u);
  EXPECT_EQ(nhc_state_pool_tensor_info(pool, kTensors, &t),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("state tensor index 6"),
                                 HasSubstr("has 6 state tensors")));
  EXPECT_EQ(nhc_state_pool_tensor_info(nullptr, 0, &t), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_state_pool_tensor_info(pool, 0, nullptr), NHC_INVALID_ARGUMENT);

  void *out = nullptr;
  EXPECT_EQ(nhc_state_pool_tensor_data(pool, 0, kConv0, &out),
            NHC_FAILED_PRECONDITION);
  EXPECT_THAT(lastError(), HasSubstr("slot 0 is not claimed"));
  EXPECT_EQ(nhc_state_pool_tensor_data(pool, kSlots, kConv0, &out),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("slot 3 does not exist"));
  uint32_t slot = claim();
  EXPECT_EQ(nhc_state_pool_tensor_data(pool, slot, kTensors, &out),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("state tensor index 6 out of range"));
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(nhc_state_pool_tensor_data(pool, slot, kConv0, nullptr),
            NHC_INVALID_ARGUMENT);
}

TEST_F(StatePoolTest, ClaimZeroesFixedTensorsOnly) {
  uint32_t slot = claim();
  EXPECT_EQ(slot, 0u);
  EXPECT_EQ(seqLen(slot), 0u);
  EXPECT_TRUE(allBytesAre(slot, 0, /*perToken=*/0));
  fill(slot, 0xAB);
  ASSERT_EQ(nhc_state_pool_advance_slot(pool, slot, 10), NHC_OK);
  ASSERT_EQ(nhc_state_pool_release_slot(pool, slot), NHC_OK);

  uint32_t again = claim();
  ASSERT_EQ(again, slot); // lowest free slot
  EXPECT_EQ(seqLen(again), 0u);
  EXPECT_TRUE(allBytesAre(again, 0, /*perToken=*/0));
  // Sequence tensors (the KV cache) are not cleared: their rows past the
  // slot's length are never read.
  EXPECT_TRUE(allBytesAre(again, 0xAB, /*perToken=*/1));
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
  void *out = nullptr;
  EXPECT_EQ(nhc_state_pool_release_slot(pool, kSlots), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("slot 3"), HasSubstr("max_slots is 3")));
  EXPECT_EQ(nhc_state_pool_advance_slot(pool, 99, 1), NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("slot 99 does not exist"));
  EXPECT_EQ(nhc_state_pool_slot_seq_len(pool, 1, &len),
            NHC_FAILED_PRECONDITION);
  EXPECT_THAT(lastError(), HasSubstr("slot 1 is not claimed"));
  EXPECT_EQ(nhc_state_pool_tensor_data(pool, 0, kSsm0, &out),
            NHC_FAILED_PRECONDITION);
  EXPECT_EQ(nhc_state_pool_tensor_data(pool, 2, kK1, &out),
            NHC_FAILED_PRECONDITION);
  EXPECT_EQ(out, nullptr);
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

// Every failing call must leave every slot's data and length untouched.
TEST_F(StatePoolTest, FailingCallsLeaveOtherSlotsUntouched) {
  uint32_t a = claim(), b = claim(), c = claim();
  fill(a, 0x11);
  fill(b, 0x22);
  fill(c, 0x33);
  ASSERT_EQ(nhc_state_pool_advance_slot(pool, a, 5), NHC_OK);
  ASSERT_EQ(nhc_state_pool_advance_slot(pool, b, 63), NHC_OK);
  ASSERT_EQ(nhc_state_pool_advance_slot(pool, c, 64), NHC_OK);

  uint32_t slot, index;
  void *out;
  EXPECT_EQ(nhc_state_pool_claim_slot(pool, &slot), NHC_RESOURCE_EXHAUSTED);
  EXPECT_EQ(nhc_state_pool_advance_slot(pool, b, 2), NHC_OUT_OF_RANGE);
  EXPECT_EQ(nhc_state_pool_advance_slot(pool, c, 1), NHC_OUT_OF_RANGE);
  EXPECT_EQ(nhc_state_pool_advance_slot(pool, 7, 1), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_state_pool_release_slot(pool, 7), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_state_pool_tensor_data(pool, a, kTensors, &out),
            NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_state_pool_find_tensor(pool, "layers.2.k_cache", &index),
            NHC_NOT_FOUND);

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
  EXPECT_TRUE(allBytesAre(b, 0, /*perToken=*/0));
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
  EXPECT_EQ(nhc_state_pool_create(manifest, 1, kMaxSequenceLength + 1, &pool),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("exceeds the limit 16777216"));
  EXPECT_EQ(pool, nullptr);
  // Past the model's max_position_embeddings (4096) is a pool like any
  // other: the model has no position encoding.
  ASSERT_EQ(nhc_state_pool_create(manifest, 1, 4097, &pool), NHC_OK);
  nhc_state_pool_info_t info{};
  ASSERT_EQ(nhc_state_pool_get_info(pool, &info), NHC_OK);
  EXPECT_EQ(info.max_seq_len, 4097u);
  nhc_state_pool_release(pool);
  nhc_manifest_release(manifest);
}

TEST(StatePoolCreateTest, AbsurdSizesOverflowCleanly) {
  // Every factor within its limit (nhc/runtime/limits.h), the product
  // beyond 64 bits: rows of 2^28 F32 elements (nhc::kMaxStateElements)
  // times 2^24 positions = 2^54 bytes per slot, times 65536 slots.
  Json m = tinyManifest();
  m["model"]["max_position_embeddings"] = uint64_t{1} << 24;
  m["state"][kK1]["dtype"] = "F32";
  m["state"][kK1]["shape"] = Json::array({"max_seq_len", 1 << 14, 1 << 14});
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
  Json state = Json::array();
  uint32_t layers = 0;
  for (const char *p = pattern; *p; ++p, ++layers) {
    std::string prefix = "layers." + std::to_string(layers) + ".";
    if (*p == 'M') {
      state.push_back(
          stateTensor(prefix + "conv_state", layers, "BF16", {10240, 3}));
      state.push_back(
          stateTensor(prefix + "ssm_state", layers, "F32", {128, 64, 128}));
    } else if (*p == '*') {
      for (const char *kv : {"k_cache", "v_cache"})
        state.push_back(stateTensor(prefix + kv, layers, "BF16",
                                    Json::array({"max_seq_len", 8, 128})));
    }
  }
  ASSERT_EQ(layers, 52u);
  Json m = {{"format", "nhc-manifest"},
            {"version", 1},
            {"model",
             {{"hidden_size", 4096},
              {"vocab_size", 131072},
              {"num_layers", layers},
              {"dtype", "BF16"},
              {"max_position_embeddings", 8192}}},
            {"weights", Json::array()},
            {"state", state}};
  nhc_manifest_t *manifest = parseManifestOrDie(m);
  nhc_state_pool_t *pool = nullptr;
  // Allocation is lazy (nothing is touched until a claim), so this is cheap.
  ASSERT_EQ(nhc_state_pool_create(manifest, 1, 8192, &pool), NHC_OK)
      << lastError();
  nhc_state_pool_info_t info;
  ASSERT_EQ(nhc_state_pool_get_info(pool, &info), NHC_OK);
  EXPECT_EQ(info.num_tensors, 2u * 24 + 2u * 4);
  EXPECT_EQ(info.fixed_bytes_per_slot, 24ull * (61440 + 4194304));
  EXPECT_EQ(info.sequence_bytes_per_slot, 4ull * 2 * 16777216);
  EXPECT_EQ(info.bytes_per_slot, 236355584ull);
  nhc_state_tensor_info_t k;
  ASSERT_EQ(nhc_state_pool_tensor_info(pool, 2 * 4, &k), NHC_OK);
  EXPECT_STREQ(k.name, "layers.7.k_cache");
  EXPECT_EQ(k.token_stride, 8u * 128 * 2); // 2 KiB per token
  nhc_state_pool_release(pool);
  nhc_manifest_release(manifest);
}

} // namespace
} // namespace nhc::test

namespace nhc::test {
namespace {

// The state's memory belongs to whoever allocates the pool (a session's
// backend): with memory that is not host-addressable, as a device's, every
// access still works through the StateMemory calls (claim zeroes, blobs
// save and restore), and only the host-pointer accessor refuses.
class DeviceLikeMemory final : public runtime::StateMemory {
public:
  explicit DeviceLikeMemory(uint64_t bytes) : bytes_(bytes, 0xEE) {}
  void zero(uint64_t offset, uint64_t bytes) override {
    ++zeroes;
    std::memset(bytes_.data() + offset, 0, bytes);
  }
  void read(uint64_t offset, uint64_t bytes, void *out) const override {
    std::memcpy(out, bytes_.data() + offset, bytes);
  }
  void write(uint64_t offset, uint64_t bytes, const void *in) override {
    std::memcpy(bytes_.data() + offset, in, bytes);
  }
  void copy(uint64_t from, uint64_t to, uint64_t bytes) override {
    ++copies;
    std::memcpy(bytes_.data() + to, bytes_.data() + from, bytes);
  }
  uint8_t *hostAddress(uint64_t) override { return nullptr; }
  static inline int zeroes = 0;
  static inline int copies = 0;

private:
  std::vector<uint8_t> bytes_;
};

TEST(StatePoolMemoryTest, NonHostMemoryGoesThroughTheSeam) {
  nhc_manifest_t *manifest = parseManifestOrDie(tinyManifest());
  uint64_t allocated = 0;
  runtime::StatePoolPtr pool = runtime::createStatePool(
      *manifest, 2, 16, true,
      [&](uint64_t bytes, const std::string &) {
        allocated = bytes;
        return std::make_unique<DeviceLikeMemory>(bytes);
      });
  EXPECT_GT(allocated, 0u);
  DeviceLikeMemory::zeroes = 0;
  uint32_t slot = ~0u;
  ASSERT_EQ(nhc_state_pool_claim_slot(pool.get(), &slot), NHC_OK)
      << lastError();
  EXPECT_EQ(DeviceLikeMemory::zeroes, 4); // the four fixed tensors

  void *data = nullptr;
  EXPECT_EQ(nhc_state_pool_tensor_data(pool.get(), slot, 0, &data),
            NHC_UNSUPPORTED);
  EXPECT_THAT(lastError(), ::testing::HasSubstr("device memory"));

  // A blob round trip reads and writes through the memory's calls.
  ASSERT_EQ(nhc_state_pool_advance_slot(pool.get(), slot, 3), NHC_OK);
  size_t size = 0;
  ASSERT_EQ(nhc_state_pool_save_slot(pool.get(), slot, nullptr, 0, &size),
            NHC_OK)
      << lastError();
  std::vector<uint8_t> blob(size);
  ASSERT_EQ(nhc_state_pool_save_slot(pool.get(), slot, blob.data(), size,
                                     &size),
            NHC_OK);
  uint32_t restored = ~0u;
  ASSERT_EQ(nhc_state_pool_restore_slot(pool.get(), blob.data(), blob.size(),
                                        &restored),
            NHC_OK)
      << lastError();
  std::vector<uint8_t> again(size);
  ASSERT_EQ(nhc_state_pool_save_slot(pool.get(), restored, again.data(), size,
                                     &size),
            NHC_OK);
  EXPECT_EQ(blob, again);

  // A fork copies within the memory, tensor by tensor, not through the
  // host.
  DeviceLikeMemory::copies = 0;
  ASSERT_EQ(nhc_state_pool_release_slot(pool.get(), restored), NHC_OK);
  uint32_t forked = ~0u;
  ASSERT_EQ(nhc_state_pool_fork_slot(pool.get(), slot, &forked), NHC_OK)
      << lastError();
  EXPECT_EQ(DeviceLikeMemory::copies, 6); // every state tensor
  ASSERT_EQ(nhc_state_pool_save_slot(pool.get(), forked, again.data(), size,
                                     &size),
            NHC_OK);
  EXPECT_EQ(blob, again);
  nhc_manifest_release(manifest);
}

} // namespace
} // namespace nhc::test
