//===- state_blob_test.cpp - Saving and restoring a slot's state ----------===//

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "test_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::EndsWith;
using ::testing::Not;

constexpr uint64_t kMaxSeqLen = 16;

/// A pool over the tiny manifest (conv and SSM state of layers 0 and 3, K
/// and V cache of layer 1).
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
  /// `seed`, then advances it by `tokens`. An odd seed keeps every f32 and
  /// bf16 element finite (restoring refuses NaN and infinities): the top
  /// byte of each (byte i holds seed + 7 i, i odd) is then even, so its
  /// exponent is never all ones.
  uint32_t filledSlot(uint8_t seed, uint64_t tokens) {
    EXPECT_EQ(seed % 2, 1) << "an even seed makes NaN and infinities";
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
  /// of `slot` (sequence tensors: the slot's first seq_len rows).
  template <typename F> void forEachTensor(uint32_t slot, F f) {
    uint64_t seqLen = 0;
    nhc_state_pool_slot_seq_len(pool, slot, &seqLen);
    ASSERT_EQ(nhc_state_pool_tensor_count(pool), 6u);
    for (uint32_t i = 0; i < nhc_state_pool_tensor_count(pool); ++i) {
      nhc_state_tensor_info_t info;
      void *data = nullptr;
      ASSERT_EQ(nhc_state_pool_tensor_info(pool, i, &info), NHC_OK);
      ASSERT_EQ(nhc_state_pool_tensor_data(pool, slot, i, &data), NHC_OK);
      // Before advance (filling) the whole tensor; after, the used rows.
      uint64_t bytes =
          info.per_token && seqLen ? seqLen * info.token_stride : info.bytes;
      f(static_cast<uint8_t *>(data), bytes);
    }
  }

  /// Whether `blob` contains `text`.
  static bool contains(const std::vector<uint8_t> &blob,
                       const std::string &text) {
    return std::search(blob.begin(), blob.end(), text.begin(), text.end()) !=
           blob.end();
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

/// A fork is a new slot with the source's state and length, the source
/// untouched; a refused fork claims nothing.
TEST_F(StateBlobTest, ForkCopiesEveryTensorAndTheLength) {
  uint32_t source = filledSlot(13, 6);
  const std::vector<uint8_t> blob = save(source);
  uint32_t forked = 99;
  ASSERT_EQ(nhc_state_pool_fork_slot(pool, source, &forked), NHC_OK)
      << lastError();
  EXPECT_NE(forked, source);
  uint64_t length = 0;
  ASSERT_EQ(nhc_state_pool_slot_seq_len(pool, forked, &length), NHC_OK);
  EXPECT_EQ(length, 6u);
  EXPECT_EQ(contents(forked), contents(source));
  EXPECT_EQ(save(forked), blob);
  EXPECT_EQ(save(source), blob);

  // An empty slot forks too (length 0, zeroed fixed tensors).
  uint32_t fresh, emptyFork;
  ASSERT_EQ(nhc_state_pool_claim_slot(pool, &fresh), NHC_OK);
  ASSERT_EQ(nhc_state_pool_release_slot(pool, forked), NHC_OK);
  ASSERT_EQ(nhc_state_pool_fork_slot(pool, fresh, &emptyFork), NHC_OK)
      << lastError();
  EXPECT_EQ(save(emptyFork), save(fresh)); // no rows of its sequence tensors
  ASSERT_EQ(nhc_state_pool_release_slot(pool, emptyFork), NHC_OK);
  ASSERT_EQ(nhc_state_pool_release_slot(pool, fresh), NHC_OK);

  const uint32_t before = freeSlots();
  uint32_t out = 99;
  EXPECT_EQ(nhc_state_pool_fork_slot(pool, 7, &out), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_state_pool_fork_slot(pool, fresh, &out),
            NHC_FAILED_PRECONDITION);
  EXPECT_EQ(nhc_state_pool_fork_slot(pool, source, nullptr),
            NHC_INVALID_ARGUMENT);
  EXPECT_EQ(freeSlots(), before);
  filledSlot(1, 1);
  filledSlot(3, 1); // all 3 slots claimed
  EXPECT_EQ(nhc_state_pool_fork_slot(pool, source, &out),
            NHC_RESOURCE_EXHAUSTED);
  EXPECT_THAT(lastError(), HasSubstr("no free slot"));
  EXPECT_EQ(out, 99u);
  EXPECT_EQ(save(source), blob);
}

TEST_F(StateBlobTest, BlobsNameEveryTensorAndTheVersion) {
  std::vector<uint8_t> blob = save(filledSlot(7, 3));
  ASSERT_GE(blob.size(), 24u);
  EXPECT_EQ(std::memcmp(blob.data(), NHC_STATE_BLOB_MAGIC, 8), 0);
  uint32_t version = 0, count = 0;
  std::memcpy(&version, blob.data() + 16, 4);
  std::memcpy(&count, blob.data() + 20, 4);
  EXPECT_EQ(version, 2u);
  EXPECT_EQ(count, 6u);
  for (const char *name :
       {"layers.0.conv_state", "layers.0.ssm_state", "layers.1.k_cache",
        "layers.1.v_cache", "layers.3.conv_state", "layers.3.ssm_state"})
    EXPECT_TRUE(contains(blob, name)) << name;
  // The first tensor record: u32 name length, the name, u32 dtype, u32 rank.
  uint32_t nameBytes = 0;
  std::memcpy(&nameBytes, blob.data() + 40, 4);
  EXPECT_EQ(nameBytes, std::strlen("layers.0.conv_state"));
  EXPECT_EQ(
      std::string(reinterpret_cast<const char *>(blob.data()) + 44, nameBytes),
      "layers.0.conv_state");
}

TEST_F(StateBlobTest, SequenceTensorsHoldOnlyTheUsedRows) {
  std::vector<uint8_t> empty = save(filledSlot(1, 0));
  std::vector<uint8_t> four = save(filledSlot(1, 4));
  uint32_t k = 0;
  ASSERT_EQ(nhc_state_pool_find_tensor(pool, "layers.1.k_cache", &k), NHC_OK);
  nhc_state_tensor_info_t kv;
  ASSERT_EQ(nhc_state_pool_tensor_info(pool, k, &kv), NHC_OK);
  EXPECT_EQ(four.size() - empty.size(), 2 * 4 * kv.token_stride);
}

// Sequence tensors are saved by rows, so a blob restores into a pool of
// another max_seq_len that holds its tokens: the model id leaves the
// sequence dimension out.
TEST_F(StateBlobTest, RestoresIntoAnotherMaxSeqLen) {
  uint32_t saved = filledSlot(9, 6);
  std::vector<uint8_t> blob = save(saved);
  nhc_state_pool_t *longer = nullptr;
  ASSERT_EQ(nhc_state_pool_create(manifest, 1, 4 * kMaxSeqLen, &longer),
            NHC_OK);
  uint32_t slot = 99;
  ASSERT_EQ(
      nhc_state_pool_restore_slot(longer, blob.data(), blob.size(), &slot),
      NHC_OK)
      << lastError();
  EXPECT_EQ(slot, 0u);
  // Every tensor's saved bytes are back; a sequence tensor's first 6 rows.
  for (uint32_t i = 0; i < 6; ++i) {
    nhc_state_tensor_info_t a, b;
    void *from = nullptr, *to = nullptr;
    ASSERT_EQ(nhc_state_pool_tensor_info(pool, i, &a), NHC_OK);
    ASSERT_EQ(nhc_state_pool_tensor_info(longer, i, &b), NHC_OK);
    EXPECT_STREQ(a.name, b.name);
    EXPECT_EQ(b.shape[0], a.per_token ? 4 * kMaxSeqLen : a.shape[0]);
    ASSERT_EQ(nhc_state_pool_tensor_data(pool, saved, i, &from), NHC_OK);
    ASSERT_EQ(nhc_state_pool_tensor_data(longer, slot, i, &to), NHC_OK);
    uint64_t bytes = a.per_token ? 6 * a.token_stride : a.bytes;
    EXPECT_EQ(std::memcmp(from, to, bytes), 0) << a.name;
  }
  std::vector<uint8_t> again(blob.size());
  size_t size = 0;
  ASSERT_EQ(
      nhc_state_pool_save_slot(longer, slot, again.data(), again.size(), &size),
      NHC_OK);
  EXPECT_EQ(again, blob);
  nhc_state_pool_release(longer);
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
  // Another shape, another name, another dtype, another order: each is
  // another model.
  std::vector<Json> others(6, tinyManifest());
  others[0]["state"][1]["shape"][2] = 16;                 // layers.0.ssm_state
  others[1]["state"][3]["name"] = "layers.1.value_cache"; // layers.1.v_cache
  others[2]["state"][2]["dtype"] = "F16";                 // layers.1.k_cache
  std::swap(others[3]["state"][2], others[3]["state"][3]);
  // Another --ssm-state-dtype; and that and another --kv-cache-dtype.
  for (size_t i : {4, 5})
    for (size_t ssm : {1, 5}) // layers.0 and layers.3
      others[i]["state"][ssm]["dtype"] = "BF16";
  others[5]["state"][2]["dtype"] = "F32";
  others[5]["state"][3]["dtype"] = "F32";
  // Each message says where the layouts part (the blob's tensor headers);
  // another shape alone is only another model.
  // (F16 is no dtype --kv-cache-dtype writes: no hint.)
  const char *where[6] = {
      nullptr,
      ": its tensor 3 is 'layers.1.v_cache', this model's "
      "'layers.1.value_cache'",
      ": state tensor 'layers.1.k_cache' is BF16 there, F16 here",
      ": its tensor 2 is 'layers.1.k_cache', this model's 'layers.1.v_cache'",
      ": state tensor 'layers.0.ssm_state' is F32 there, BF16 here (an "
      "artifact compiled with another --ssm-state-dtype?)",
      ": state tensor 'layers.0.ssm_state' is F32 there, BF16 here (an "
      "artifact compiled with another --ssm-state-dtype and "
      "--kv-cache-dtype?)"};
  for (size_t i = 0; i < others.size(); ++i) {
    const Json &other = others[i];
    nhc_manifest_t *otherManifest = parseManifestOrDie(other);
    nhc_state_pool_t *otherPool = nullptr;
    ASSERT_EQ(nhc_state_pool_create(otherManifest, 1, kMaxSeqLen, &otherPool),
              NHC_OK);
    uint32_t slot;
    EXPECT_EQ(
        nhc_state_pool_restore_slot(otherPool, blob.data(), blob.size(), &slot),
        NHC_MISMATCH);
    EXPECT_THAT(lastError(), HasSubstr("state blob: saved from another model"));
    if (where[i])
      EXPECT_THAT(lastError(), EndsWith(where[i]));
    else // the model ids' parenthesis ends it: nothing named
      EXPECT_THAT(lastError(), Not(HasSubstr("): ")));
    nhc_state_pool_info_t info;
    nhc_state_pool_get_info(otherPool, &info);
    EXPECT_EQ(info.free_slots, 1u);
    nhc_state_pool_release(otherPool);
    nhc_manifest_release(otherManifest);
  }

  // The same layout compiled from another config (its hash) is another model.
  Json other = tinyManifest();
  other["config"] = {{"fnv1a64", "0123456789abcdef"}};
  nhc_manifest_t *otherManifest = parseManifestOrDie(other);
  nhc_state_pool_t *otherPool = nullptr;
  uint32_t slot;
  ASSERT_EQ(nhc_state_pool_create(otherManifest, 1, kMaxSeqLen, &otherPool),
            NHC_OK);
  EXPECT_EQ(
      nhc_state_pool_restore_slot(otherPool, blob.data(), blob.size(), &slot),
      NHC_MISMATCH);
  nhc_state_pool_release(otherPool);
  nhc_manifest_release(otherManifest);
}

/// Rewrites `blob`'s checksum after an edit, as a writer of its own would.
void reseal(std::vector<uint8_t> &blob) {
  uint64_t checksum =
      nhc_fnv1a64(blob.data() + 16, blob.size() - 16, NHC_FNV1A64_OFFSET_BASIS);
  std::memcpy(blob.data() + 8, &checksum, 8);
}

// Behind a valid checksum and model id, every tensor record is still
// checked (name, dtype, rank, shape, size) before anything changes.
TEST_F(StateBlobTest, TensorRecordsAreCheckedByName) {
  std::vector<uint8_t> blob = save(filledSlot(5, 3));
  uint32_t free = freeSlots();
  uint32_t slot = 99;
  // The first record's name: "layers.0.conv_state" at offset 44.
  std::vector<uint8_t> renamed = blob;
  renamed[44 + 7] = '9'; // "layers.9.conv_state"
  reseal(renamed);
  EXPECT_EQ(
      nhc_state_pool_restore_slot(pool, renamed.data(), renamed.size(), &slot),
      NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("tensor 0 is 'layers.9.conv_state'"),
                    HasSubstr("this model's is 'layers.0.conv_state'")));
  EXPECT_EQ(freeSlots(), free);
  // A NUL or control byte in the name is escaped: the message goes on.
  renamed[44 + 6] = '\0';
  renamed[44 + 8] = '\x1b';
  reseal(renamed);
  EXPECT_EQ(
      nhc_state_pool_restore_slot(pool, renamed.data(), renamed.size(), &slot),
      NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("tensor 0 is 'layers\\x009\\x1bconv_state'"),
                    HasSubstr("this model's is 'layers.0.conv_state'")));

  // Its dtype (right after the name) and its first dimension.
  const size_t dtypeAt = 44 + std::strlen("layers.0.conv_state");
  std::vector<uint8_t> retyped = blob;
  retyped[dtypeAt] ^= 1;
  reseal(retyped);
  EXPECT_EQ(
      nhc_state_pool_restore_slot(pool, retyped.data(), retyped.size(), &slot),
      NHC_MISMATCH);
  EXPECT_THAT(lastError(),
              HasSubstr("state tensor 'layers.0.conv_state' does not match "
                        "(I32, rank 2; expected F32, 2)"));
  retyped = blob;
  retyped[dtypeAt] = 200; // no dtype: named by its number
  reseal(retyped);
  EXPECT_EQ(
      nhc_state_pool_restore_slot(pool, retyped.data(), retyped.size(), &slot),
      NHC_MISMATCH);
  EXPECT_THAT(lastError(), HasSubstr("does not match (dtype 200, rank 2; "
                                     "expected F32, 2)"));
  std::vector<uint8_t> reshaped = blob;
  reshaped[dtypeAt + 8] = 81; // shape [81, 3]
  reseal(reshaped);
  EXPECT_EQ(nhc_state_pool_restore_slot(pool, reshaped.data(), reshaped.size(),
                                        &slot),
            NHC_MISMATCH);
  EXPECT_THAT(lastError(), HasSubstr("has shape [81, 3], expected [80, 3]"));

  // A name longer than any state tensor may have is malformed.
  std::vector<uint8_t> longName = blob;
  uint32_t huge = 1u << 30;
  std::memcpy(longName.data() + 40, &huge, 4);
  reseal(longName);
  EXPECT_EQ(nhc_state_pool_restore_slot(pool, longName.data(), longName.size(),
                                        &slot),
            NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("more than the limit 256"));
  EXPECT_EQ(freeSlots(), free);
  EXPECT_EQ(slot, 99u);

  // Version 1 (per-layer records) is refused as such.
  std::vector<uint8_t> old = blob;
  uint32_t one = 1;
  std::memcpy(old.data() + 16, &one, 4);
  reseal(old);
  EXPECT_EQ(nhc_state_pool_restore_slot(pool, old.data(), old.size(), &slot),
            NHC_UNSUPPORTED_VERSION);
  EXPECT_THAT(lastError(), HasSubstr("version 1 is not supported (this "
                                     "runtime reads version 2)"));
  EXPECT_EQ(freeSlots(), free);
}

// A NaN or infinity in a state tensor (behind a valid checksum: a writer of
// its own, or a request that diverged) is refused naming the tensor and the
// element, before anything changes.
TEST_F(StateBlobTest, NonFiniteStateIsRefused) {
  std::vector<uint8_t> blob = save(filledSlot(5, 3));
  uint32_t free = freeSlots();
  uint32_t slot = 99;
  // The first record: name length, "layers.0.conv_state", dtype (F32),
  // rank 2, shape [80, 3], bytes, then its elements.
  const size_t payload = 40 + 4 + std::strlen("layers.0.conv_state") + 4 + 4 +
                         2 * 8 + 8;
  uint32_t dtype;
  std::memcpy(&dtype, blob.data() + 44 + std::strlen("layers.0.conv_state"), 4);
  ASSERT_EQ(dtype, static_cast<uint32_t>(NHC_DTYPE_F32));
  for (const auto &[value, element, text] :
       {std::tuple<float, size_t, const char *>{std::nanf(""), 0, "nan"},
        {-INFINITY, 17, "-inf"}}) {
    std::vector<uint8_t> poisoned = blob;
    std::memcpy(poisoned.data() + payload + 4 * element, &value, 4);
    reseal(poisoned);
    EXPECT_EQ(nhc_state_pool_restore_slot(pool, poisoned.data(),
                                          poisoned.size(), &slot),
              NHC_INVALID_FORMAT);
    EXPECT_THAT(lastError(),
                HasSubstr(std::string("state tensor 'layers.0.conv_state' "
                                      "holds ") +
                          text + " at element " + std::to_string(element)));
    EXPECT_EQ(freeSlots(), free);
    EXPECT_EQ(slot, 99u);
  }
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
  filledSlot(7, 1); // all 3 slots claimed
  EXPECT_EQ(nhc_state_pool_restore_slot(pool, blob.data(), blob.size(), &slot),
            NHC_RESOURCE_EXHAUSTED);
  EXPECT_EQ(nhc_state_pool_restore_slot(pool, nullptr, 4, &slot),
            NHC_INVALID_ARGUMENT);
  // A bad blob is refused as such in a full pool too: checked whole before
  // a slot is claimed, so a caller retrying on NHC_RESOURCE_EXHAUSTED never
  // retries a corrupt blob.
  std::vector<uint8_t> junk(blob.size(), 0x5a);
  EXPECT_EQ(nhc_state_pool_restore_slot(pool, junk.data(), junk.size(), &slot),
            NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("state blob"));
  std::vector<uint8_t> shortBlob(blob.begin(), blob.end() - 1);
  EXPECT_NE(nhc_state_pool_restore_slot(pool, shortBlob.data(),
                                        shortBlob.size(), &slot),
            NHC_RESOURCE_EXHAUSTED);
}

} // namespace
} // namespace nhc::test
