//===- state_blob_test.cpp - Saving and restoring a slot's state ----------===//

#include <cstring>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "test_helpers.h"

namespace nhc::test {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kMaxSeqLen = 16;

/// A pool over the tiny manifest (Mamba layers 0 and 3, attention layer 1).
class StateBlobTest : public ::testing::Test {
protected:
  void SetUp() override {
    manifest = parseManifestOrDie(tinyManifest());
    ASSERT_EQ(nhc_state_pool_create(manifest, 3, kMaxSeqLen, &pool), NHC_OK)
        << lastError();
  }
  void TearDown() override {
    nhc_state_pool_release(pool);
    nhc_manifest_release(manifest);
  }

  /// Claims a slot and fills every state tensor with bytes derived from
  /// `seed`, then advances it by `tokens`.
  uint32_t filledSlot(uint8_t seed, uint64_t tokens) {
    uint32_t slot;
    EXPECT_EQ(nhc_state_pool_claim_slot(pool, &slot), NHC_OK);
    forEachTensor(slot, [&](uint8_t *data, uint64_t bytes) {
      for (uint64_t i = 0; i < bytes; ++i)
        data[i] = static_cast<uint8_t>(seed + i * 7);
    });
    EXPECT_EQ(nhc_state_pool_advance_slot(pool, slot, tokens), NHC_OK);
    return slot;
  }

  /// Calls `f(data, bytes)` for the meaningful bytes of every state tensor
  /// of `slot` (KV caches: the slot's first seq_len tokens).
  template <typename F> void forEachTensor(uint32_t slot, F f) {
    uint64_t seqLen = 0;
    nhc_state_pool_slot_seq_len(pool, slot, &seqLen);
    for (uint32_t layer : {0u, 3u}) {
      nhc_mamba_state_t s;
      ASSERT_EQ(nhc_state_pool_mamba_state(pool, slot, layer, &s), NHC_OK);
      f(static_cast<uint8_t *>(s.conv_state), s.conv_bytes);
      f(static_cast<uint8_t *>(s.ssm_state), s.ssm_bytes);
    }
    nhc_kv_cache_t kv;
    ASSERT_EQ(nhc_state_pool_kv_cache(pool, slot, 1, &kv), NHC_OK);
    // Before advance (filling) the whole cache; after, the used tokens.
    uint64_t bytes = seqLen ? seqLen * kv.token_stride : kv.bytes;
    f(static_cast<uint8_t *>(kv.k), bytes);
    f(static_cast<uint8_t *>(kv.v), bytes);
  }

  std::vector<std::vector<uint8_t>> contents(uint32_t slot) {
    std::vector<std::vector<uint8_t>> out;
    forEachTensor(slot, [&](uint8_t *data, uint64_t bytes) {
      out.emplace_back(data, data + bytes);
    });
    return out;
  }

  std::vector<uint8_t> save(uint32_t slot) {
    size_t size = 0;
    EXPECT_EQ(nhc_state_pool_save_slot(pool, slot, nullptr, 0, &size), NHC_OK)
        << lastError();
    std::vector<uint8_t> blob(size);
    EXPECT_EQ(nhc_state_pool_save_slot(pool, slot, blob.data(), blob.size(),
                                       &size),
              NHC_OK);
    return blob;
  }

  uint32_t freeSlots() {
    nhc_state_pool_info_t info;
    nhc_state_pool_get_info(pool, &info);
    return info.free_slots;
  }

  nhc_manifest_t *manifest = nullptr;
  nhc_state_pool_t *pool = nullptr;
};

TEST_F(StateBlobTest, RoundTripRestoresEveryTensorAndTheLength) {
  uint32_t saved = filledSlot(11, 5);
  std::vector<uint8_t> blob = save(saved);
  uint64_t tokens = 0;
  ASSERT_EQ(nhc_state_blob_seq_len(blob.data(), blob.size(), &tokens), NHC_OK);
  EXPECT_EQ(tokens, 5u);

  uint32_t restored;
  ASSERT_EQ(nhc_state_pool_restore_slot(pool, blob.data(), blob.size(),
                                        &restored),
            NHC_OK)
      << lastError();
  EXPECT_NE(restored, saved);
  uint64_t length = 0;
  ASSERT_EQ(nhc_state_pool_slot_seq_len(pool, restored, &length), NHC_OK);
  EXPECT_EQ(length, 5u);
  EXPECT_EQ(contents(restored), contents(saved));
  // The same state saves to the same bytes.
  EXPECT_EQ(save(restored), blob);
}

TEST_F(StateBlobTest, KvCachesHoldOnlyTheUsedTokens) {
  std::vector<uint8_t> empty = save(filledSlot(1, 0));
  std::vector<uint8_t> four = save(filledSlot(1, 4));
  nhc_kv_cache_t kv;
  ASSERT_EQ(nhc_state_pool_kv_cache(pool, 0, 1, &kv), NHC_OK);
  EXPECT_EQ(four.size() - empty.size(), 2 * 4 * kv.token_stride);
}

TEST_F(StateBlobTest, BufferTooSmallIsAnError) {
  uint32_t slot = filledSlot(3, 2);
  std::vector<uint8_t> blob = save(slot);
  size_t size = 0;
  std::vector<uint8_t> small(blob.size() - 1);
  EXPECT_EQ(nhc_state_pool_save_slot(pool, slot, small.data(), small.size(),
                                     &size),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("the buffer holds"));
  EXPECT_EQ(nhc_state_pool_save_slot(pool, 2, nullptr, 0, &size),
            NHC_FAILED_PRECONDITION); // not claimed
}

// Any damage is refused and changes nothing: no slot is claimed.
TEST_F(StateBlobTest, CorruptOrTruncatedBlobsChangeNothing) {
  std::vector<uint8_t> blob = save(filledSlot(5, 3));
  uint32_t free = freeSlots();
  uint32_t slot = 99;
  for (size_t at : {size_t(0), size_t(9), size_t(17), size_t(25), size_t(33),
                    size_t(41), blob.size() / 2, blob.size() - 1}) {
    std::vector<uint8_t> bad = blob;
    bad[at] ^= 0x10;
    EXPECT_NE(nhc_state_pool_restore_slot(pool, bad.data(), bad.size(), &slot),
              NHC_OK)
        << "byte " << at;
    EXPECT_EQ(freeSlots(), free);
  }
  for (size_t size = 0; size < blob.size(); size += 1 + size / 3) {
    EXPECT_EQ(nhc_state_pool_restore_slot(pool, blob.data(), size, &slot),
              NHC_INVALID_FORMAT)
        << "size " << size;
    EXPECT_EQ(freeSlots(), free);
  }
  std::vector<uint8_t> longer = blob;
  longer.push_back(0);
  EXPECT_EQ(nhc_state_pool_restore_slot(pool, longer.data(), longer.size(),
                                        &slot),
            NHC_INVALID_FORMAT);
  EXPECT_EQ(slot, 99u);
  EXPECT_EQ(freeSlots(), free);
}

TEST_F(StateBlobTest, BlobOfAnotherModelIsAMismatch) {
  std::vector<uint8_t> blob = save(filledSlot(5, 3));
  Json other = tinyManifest();
  other["state"]["mamba_layers"][0]["ssm_state"]["shape"][2] = 16;
  nhc_manifest_t *otherManifest = parseManifestOrDie(other);
  nhc_state_pool_t *otherPool = nullptr;
  ASSERT_EQ(nhc_state_pool_create(otherManifest, 1, kMaxSeqLen, &otherPool),
            NHC_OK);
  uint32_t slot;
  EXPECT_EQ(nhc_state_pool_restore_slot(otherPool, blob.data(), blob.size(),
                                        &slot),
            NHC_MISMATCH);
  EXPECT_THAT(lastError(), HasSubstr("state blob: saved from another model"));
  nhc_state_pool_info_t info;
  nhc_state_pool_get_info(otherPool, &info);
  EXPECT_EQ(info.free_slots, 1u);
  nhc_state_pool_release(otherPool);
  nhc_manifest_release(otherManifest);

  // The same layout compiled from another config (its hash) is another model.
  other = tinyManifest();
  other["config"] = {{"fnv1a64", "0123456789abcdef"}};
  otherManifest = parseManifestOrDie(other);
  ASSERT_EQ(nhc_state_pool_create(otherManifest, 1, kMaxSeqLen, &otherPool),
            NHC_OK);
  EXPECT_EQ(nhc_state_pool_restore_slot(otherPool, blob.data(), blob.size(),
                                        &slot),
            NHC_MISMATCH);
  nhc_state_pool_release(otherPool);
  nhc_manifest_release(otherManifest);
}

TEST_F(StateBlobTest, MoreTokensThanMaxSeqLenOrNoFreeSlot) {
  std::vector<uint8_t> blob = save(filledSlot(5, 9));
  nhc_state_pool_t *shortPool = nullptr;
  ASSERT_EQ(nhc_state_pool_create(manifest, 1, 8, &shortPool), NHC_OK);
  uint32_t slot;
  EXPECT_EQ(nhc_state_pool_restore_slot(shortPool, blob.data(), blob.size(),
                                        &slot),
            NHC_OUT_OF_RANGE);
  EXPECT_THAT(lastError(), HasSubstr("holds 9 tokens, more than this pool's "
                                     "max_seq_len 8"));
  nhc_state_pool_release(shortPool);

  filledSlot(1, 1);
  filledSlot(2, 1); // all 3 slots claimed
  EXPECT_EQ(nhc_state_pool_restore_slot(pool, blob.data(), blob.size(), &slot),
            NHC_RESOURCE_EXHAUSTED);
  EXPECT_EQ(nhc_state_pool_restore_slot(pool, nullptr, 4, &slot),
            NHC_INVALID_ARGUMENT);
}

} // namespace
} // namespace nhc::test
