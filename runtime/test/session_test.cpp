//===- session_test.cpp - Slots, steps, batches and their validation ------===//

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "c_callers.h"
#include "nhc/runtime/api.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uint32_t kSlots = 3;
constexpr uint64_t kMaxSeqLen = 12;

class SessionTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(fixture.open(toyModelManifest(), toyModelWeights(), kSlots,
                           kMaxSeqLen),
              NHC_OK)
        << lastError();
    session = fixture.session;
  }

  uint32_t claim() {
    uint32_t slot = ~0u;
    EXPECT_EQ(nhc_session_claim(session, &slot), NHC_OK) << lastError();
    return slot;
  }

  uint64_t length(uint32_t slot) {
    uint64_t len = ~0ull;
    EXPECT_EQ(nhc_session_slot_length(session, slot, &len), NHC_OK)
        << lastError();
    return len;
  }

  /// One request; returns its LAST logits.
  std::vector<float> stepLast(uint32_t slot,
                              const std::vector<int32_t> &tokens) {
    std::vector<float> logits(kToyVocab);
    nhc_request_t request{slot, tokens.data(), tokens.size()};
    EXPECT_EQ(nhc_session_step(session, &request, 1, NHC_LOGITS_LAST,
                               logits.data(), logits.size()),
              NHC_OK)
        << lastError();
    return logits;
  }

  /// Every state byte of every slot, plus lengths of claimed ones.
  std::vector<uint8_t> snapshot() {
    nhc_state_pool_t *pool = nhc_session_state_pool(session);
    std::vector<uint8_t> bytes;
    EXPECT_EQ(nhc_state_pool_tensor_count(pool), 4u);
    for (uint32_t slot = 0; slot < kSlots; ++slot) {
      uint64_t len = 0;
      if (nhc_session_slot_length(session, slot, &len) != NHC_OK)
        continue; // unclaimed
      auto append = [&](const void *p, uint64_t n) {
        const uint8_t *b = static_cast<const uint8_t *>(p);
        bytes.insert(bytes.end(), b, b + n);
      };
      append(&len, sizeof(len));
      for (uint32_t i = 0; i < nhc_state_pool_tensor_count(pool); ++i) {
        nhc_state_tensor_info_t info;
        void *data = nullptr;
        EXPECT_EQ(nhc_state_pool_tensor_info(pool, i, &info), NHC_OK);
        EXPECT_EQ(nhc_state_pool_tensor_data(pool, slot, i, &data), NHC_OK);
        append(data, info.bytes);
      }
    }
    return bytes;
  }

  SessionFixture fixture;
  nhc_session_t *session = nullptr;
};

void expectNear(const std::vector<float> &actual,
                const std::vector<float> &expected, const char *what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], 1e-4f * (1 + std::fabs(expected[i])))
        << what << " [" << i << "]";
}

TEST_F(SessionTest, InfoDescribesTheSession) {
  nhc_session_info_t info;
  ASSERT_EQ(nhc_session_get_info(session, &info), NHC_OK);
  EXPECT_EQ(info.vocab_size, kToyVocab);
  EXPECT_EQ(info.hidden_size, kToyHidden);
  EXPECT_EQ(info.max_slots, kSlots);
  EXPECT_EQ(info.free_slots, kSlots);
  EXPECT_EQ(info.max_seq_len, kMaxSeqLen);
  // Dense f32 state: conv 8x1, ssm 1x1x8, K and V 12x1x8, per slot.
  EXPECT_EQ(info.state_bytes, kSlots * 4u * (8 + 8 + 2 * 12 * 8));
  // BF16 in_proj, F16 o_proj and BF16 lm_head are read only by gemms:
  // used in their stored dtype, no f32 copies.
  EXPECT_EQ(info.weight_f32_bytes, 0u);
  EXPECT_EQ(info.scratch_bytes, 0u); // nothing run yet
}

// Kernels see every state tensor's slots densely packed: slot s at s times
// its size, with no 64-byte padding (a public pool would pad the 32-byte
// conv state to 64).
TEST_F(SessionTest, StatePoolIsDenselyPacked) {
  nhc_state_pool_t *pool = nhc_session_state_pool(session);
  uint32_t conv = 99, k = 99;
  ASSERT_EQ(nhc_state_pool_find_tensor(pool, "layers.0.conv_state", &conv),
            NHC_OK);
  ASSERT_EQ(nhc_state_pool_find_tensor(pool, "layers.1.k_cache", &k), NHC_OK);
  EXPECT_EQ(conv, 0u);
  EXPECT_EQ(k, 2u);
  nhc_state_tensor_info_t convInfo, kInfo;
  ASSERT_EQ(nhc_state_pool_tensor_info(pool, conv, &convInfo), NHC_OK);
  ASSERT_EQ(nhc_state_pool_tensor_info(pool, k, &kInfo), NHC_OK);
  EXPECT_EQ(convInfo.bytes, 4u * 8);
  EXPECT_EQ(convInfo.slot_stride, convInfo.bytes);
  EXPECT_EQ(kInfo.per_token, 1);
  EXPECT_EQ(kInfo.shape[0], kMaxSeqLen);
  EXPECT_EQ(kInfo.token_stride, 4u * 8);
  EXPECT_EQ(kInfo.slot_stride, kMaxSeqLen * 4 * 8);
  uint32_t a = claim(), b = claim();
  void *pa = nullptr, *pb = nullptr;
  ASSERT_EQ(nhc_state_pool_tensor_data(pool, a, conv, &pa), NHC_OK);
  ASSERT_EQ(nhc_state_pool_tensor_data(pool, b, conv, &pb), NHC_OK);
  EXPECT_EQ(static_cast<uint8_t *>(pb) - static_cast<uint8_t *>(pa),
            static_cast<ptrdiff_t>(b - a) * 32);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(pa) % 64, 0u); // slot 0
}

TEST_F(SessionTest, PrefillMatchesReference) {
  uint32_t slot = claim();
  std::vector<int32_t> prompt = {3, 1, 4, 1, 5, 9, 2};
  std::vector<float> logits = stepLast(slot, prompt);
  expectNear(logits, toyReferenceLogits(prompt).back(), "prefill");
  // Not trivially equal: the logits actually vary across the vocabulary.
  auto [lo, hi] = std::minmax_element(logits.begin(), logits.end());
  EXPECT_GT(*hi - *lo, 0.5f);
  EXPECT_EQ(length(slot), prompt.size());
}

TEST_F(SessionTest, DecodeStepByStepEqualsPrefill) {
  std::vector<int32_t> prompt = {7, 0, 15, 2, 2, 8};
  uint32_t a = claim(), b = claim();
  std::vector<float> prefill = stepLast(a, prompt);
  std::vector<float> decode;
  for (int32_t token : prompt)
    decode = stepLast(b, {token});
  expectNear(decode, prefill, "decode vs prefill");
  // Chunked: 2 + 4 tokens.
  uint32_t c = claim();
  stepLast(c, {prompt[0], prompt[1]});
  expectNear(stepLast(c, {prompt.begin() + 2, prompt.end()}), prefill,
             "chunked vs prefill");
}

TEST_F(SessionTest, AllLogitsGiveEveryPosition) {
  uint32_t slot = claim();
  std::vector<int32_t> prompt = {1, 2, 3, 4, 5};
  std::vector<float> logits(prompt.size() * kToyVocab);
  nhc_request_t request{slot, prompt.data(), prompt.size()};
  ASSERT_EQ(nhc_session_step(session, &request, 1, NHC_LOGITS_ALL,
                             logits.data(), logits.size()),
            NHC_OK)
      << lastError();
  auto expected = toyReferenceLogits(prompt);
  for (size_t t = 0; t < prompt.size(); ++t)
    expectNear({logits.begin() + t * kToyVocab,
                logits.begin() + (t + 1) * kToyVocab},
               expected[t], "ALL row");
}

TEST_F(SessionTest, MixedBatchEqualsSeparateRuns) {
  // Slot a has history; b is fresh. One step: a decodes, b prefills.
  std::vector<int32_t> historyA = {4, 4, 9}, promptB = {11, 3, 6, 0};
  uint32_t a = claim(), b = claim();
  stepLast(a, historyA);
  int32_t nextA = 13;
  nhc_request_t batch[2] = {{b, promptB.data(), promptB.size()},
                            {a, &nextA, 1}};
  // LAST: one row per request, in request order.
  std::vector<float> last(2 * kToyVocab);
  ASSERT_EQ(nhc_session_step(session, batch, 2, NHC_LOGITS_LAST, last.data(),
                             last.size()),
            NHC_OK)
      << lastError();
  std::vector<int32_t> fullA = historyA;
  fullA.push_back(nextA);
  expectNear({last.begin(), last.begin() + kToyVocab},
             toyReferenceLogits(promptB).back(), "request 0 (b)");
  expectNear({last.begin() + kToyVocab, last.end()},
             toyReferenceLogits(fullA).back(), "request 1 (a)");
  EXPECT_EQ(length(a), 4u);
  EXPECT_EQ(length(b), 4u);

  // ALL in a mixed batch: flat token order.
  int32_t moreA = 5, moreB[2] = {8, 1};
  nhc_request_t batch2[2] = {{a, &moreA, 1}, {b, moreB, 2}};
  std::vector<float> all(3 * kToyVocab);
  ASSERT_EQ(nhc_session_step(session, batch2, 2, NHC_LOGITS_ALL, all.data(),
                             all.size()),
            NHC_OK)
      << lastError();
  fullA.push_back(moreA);
  std::vector<int32_t> fullB = promptB;
  fullB.insert(fullB.end(), moreB, moreB + 2);
  auto refB = toyReferenceLogits(fullB);
  expectNear({all.begin(), all.begin() + kToyVocab},
             toyReferenceLogits(fullA).back(), "token 0 (a)");
  expectNear({all.begin() + kToyVocab, all.begin() + 2 * kToyVocab},
             refB[refB.size() - 2], "token 1 (b)");
  expectNear({all.begin() + 2 * kToyVocab, all.end()}, refB.back(),
             "token 2 (b)");
}

TEST_F(SessionTest, ClaimReleaseAndReuse) {
  uint32_t a = claim(), b = claim(), c = claim();
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, 1u);
  EXPECT_EQ(c, 2u);
  uint32_t slot;
  EXPECT_EQ(nhc_session_claim(session, &slot), NHC_RESOURCE_EXHAUSTED);
  EXPECT_THAT(lastError(), HasSubstr("all 3 slots"));

  std::vector<int32_t> prompt = {2, 7, 1};
  std::vector<float> first = stepLast(b, prompt);
  EXPECT_EQ(length(b), 3u);
  ASSERT_EQ(nhc_session_release_slot(session, b), NHC_OK);
  EXPECT_EQ(nhc_session_release_slot(session, b), NHC_FAILED_PRECONDITION);
  EXPECT_EQ(nhc_session_release_slot(session, 7), NHC_INVALID_ARGUMENT);
  uint64_t len;
  EXPECT_EQ(nhc_session_slot_length(session, b, &len),
            NHC_FAILED_PRECONDITION);

  // The reclaimed slot starts fresh: same prompt, same logits.
  EXPECT_EQ(claim(), b);
  EXPECT_EQ(length(b), 0u);
  EXPECT_EQ(stepLast(b, prompt), first);
}

TEST_F(SessionTest, ProgressCallbackSeesEveryEntry) {
  struct Seen {
    std::vector<size_t> done;
    size_t total = 0;
  } seen;
  auto fn = [](void *user, size_t completed, size_t total) {
    auto *s = static_cast<Seen *>(user);
    s->done.push_back(completed);
    s->total = total;
  };
  ASSERT_EQ(nhc_session_set_progress(session, fn, &seen), NHC_OK);
  uint32_t slot = claim();
  stepLast(slot, {1, 2});
  // body: 6 entries, head_last: 3.
  EXPECT_EQ(seen.total, 9u);
  EXPECT_EQ(seen.done, (std::vector<size_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  ASSERT_EQ(nhc_session_set_progress(session, nullptr, nullptr), NHC_OK);
  stepLast(slot, {3});
  EXPECT_EQ(seen.done.size(), 9u);
}

// --- Batch validation: each failure names the problem and changes nothing.

class SessionValidationTest : public SessionTest {
protected:
  void SetUp() override {
    SessionTest::SetUp();
    a = claim();
    b = claim();
    stepLast(a, {1, 2, 3});
    stepLast(b, {9});
    before = snapshot();
  }

  /// Runs a step expected to fail with `status`; checks nothing changed.
  /// `mode` is passed as a C caller would, so it may be any integer.
  void expectRejected(std::vector<nhc_request_t> batch, nhc_status_t status,
                      const std::string &message,
                      unsigned mode = NHC_LOGITS_LAST,
                      size_t capacity = 64 * kToyVocab,
                      std::optional<size_t> count = std::nullopt) {
    std::vector<float> logits(capacity + 1, -7.0f);
    EXPECT_EQ(nhc_test_step_with_raw_mode(
                  session, batch.data(),
                  count.value_or(batch.size()), mode,
                  logits.data(), capacity),
              status);
    EXPECT_THAT(lastError(), HasSubstr(message));
    EXPECT_EQ(snapshot(), before) << "state changed after a rejected step";
    for (float x : logits)
      ASSERT_EQ(x, -7.0f) << "logits written by a rejected step";
  }

  uint32_t a = 0, b = 0;
  std::vector<uint8_t> before;
  int32_t good[2] = {4, 5};
};

TEST_F(SessionValidationTest, UnknownSlot) {
  expectRejected({{a, good, 1}, {kSlots, good, 1}}, NHC_INVALID_ARGUMENT,
                 "request 1: slot 3 does not exist (max_slots is 3)");
}

TEST_F(SessionValidationTest, UnclaimedSlot) {
  expectRejected({{a, good, 1}, {2, good, 1}}, NHC_FAILED_PRECONDITION,
                 "request 1: state pool: slot 2 is not claimed");
}

TEST_F(SessionValidationTest, SlotTwice) {
  expectRejected({{a, good, 1}, {b, good, 1}, {a, good, 2}},
                 NHC_INVALID_ARGUMENT,
                 "request 2: slot 0 appears twice in the batch");
}

TEST_F(SessionValidationTest, PastMaxSeqLen) {
  std::vector<int32_t> many(kMaxSeqLen - 2, 1); // a has 3 tokens
  expectRejected({{b, good, 1}, {a, many.data(), many.size()}},
                 NHC_OUT_OF_RANGE,
                 "request 1: slot 0 has length 3; 10 more tokens would "
                 "exceed max_seq_len 12");
}

TEST_F(SessionValidationTest, BadTokenId) {
  int32_t bad[3] = {1, static_cast<int32_t>(kToyVocab), 2};
  expectRejected({{a, good, 1}, {b, bad, 3}}, NHC_INVALID_ARGUMENT,
                 "request 1: slot 1: token 1 has id 16, outside the "
                 "vocabulary [0, 16)");
  int32_t negative = -1;
  expectRejected({{a, &negative, 1}}, NHC_INVALID_ARGUMENT, "has id -1");
}

TEST_F(SessionValidationTest, EmptyRequestAndBatch) {
  expectRejected({{a, good, 0}}, NHC_INVALID_ARGUMENT, "num_tokens is 0");
  expectRejected({{a, nullptr, 1}}, NHC_INVALID_ARGUMENT, "tokens is NULL");
  expectRejected({}, NHC_INVALID_ARGUMENT, "the batch is empty");
}

TEST_F(SessionValidationTest, LogitsTooSmall) {
  expectRejected({{a, good, 1}, {b, good, 2}}, NHC_INVALID_ARGUMENT,
                 "logits buffer holds 31 floats; this step needs 32 (2 rows",
                 NHC_LOGITS_LAST, 2 * kToyVocab - 1);
  expectRejected({{a, good, 1}, {b, good, 2}}, NHC_INVALID_ARGUMENT,
                 "needs 48 (3 rows of 16, mode ALL)", NHC_LOGITS_ALL,
                 2 * kToyVocab);
}

TEST_F(SessionValidationTest, BadMode) {
  // Any integer a C caller may pass; none is loaded as the enum type.
  for (unsigned mode : {3u, 5u, 0x80000000u, 0xffffffffu})
    expectRejected({{a, good, 1}}, NHC_INVALID_ARGUMENT,
                   "nhc_session_step: unknown logits mode " +
                       std::to_string(mode) +
                       " (NHC_LOGITS_LAST is 0, NHC_LOGITS_ALL is 1, "
                       "NHC_LOGITS_LAST_N is 2)",
                   mode);
  // LAST_N needs its N, which only nhc_session_step_ex carries.
  expectRejected({{a, good, 1}}, NHC_INVALID_ARGUMENT,
                 "NHC_LOGITS_LAST_N needs its N; use nhc_session_step_ex",
                 NHC_LOGITS_LAST_N);
}

TEST_F(SessionValidationTest, NumTokensBeyondMaxSeqLenIsRejectedUnread) {
  // `good` holds 2 ids. The length check comes before any id is read, so
  // a num_tokens beyond the array but also beyond max_seq_len is rejected
  // without reading past it (ASan would see it).
  expectRejected({{a, good, 1}, {b, good, kMaxSeqLen}}, NHC_OUT_OF_RANGE,
                 "request 1: slot 1 has length 1; 12 more tokens would "
                 "exceed max_seq_len 12");
  expectRejected({{a, good, SIZE_MAX}}, NHC_OUT_OF_RANGE,
                 "request 0: slot 0 has length 3; 18446744073709551615 more "
                 "tokens would exceed max_seq_len 12");
  // ... and before the ids of later requests are read either.
  int32_t bad = -1;
  expectRejected({{a, good, SIZE_MAX}, {b, &bad, 1}}, NHC_OUT_OF_RANGE,
                 "request 0: slot 0 has length 3");
}

TEST_F(SessionValidationTest, CountBeyondMaxSlotsIsRejectedUnread) {
  // One request in the array, a count far beyond it: rejected before
  // requests[1] is read.
  expectRejected({{a, good, 1}}, NHC_INVALID_ARGUMENT,
                 "nhc_session_step: count 4 exceeds max_slots 3 (a slot "
                 "takes one request per step)",
                 NHC_LOGITS_LAST, 64 * kToyVocab, kSlots + 1);
  expectRejected({{a, good, 1}}, NHC_INVALID_ARGUMENT,
                 "count 18446744073709551615 exceeds max_slots 3",
                 NHC_LOGITS_LAST, 64 * kToyVocab, SIZE_MAX);
}

// A count past max_slots with per-request options (one rule, one id, one
// edit, whatever count says): refused by the count before any of them is
// read or sized by it (count * vocab once wrapped, and once sized a bitmap
// of that many bits).
TEST_F(SessionValidationTest, CountBeyondMaxSlotsIsRejectedBeforeItsOptions) {
  nhc_request_t request{a, good, 1};
  int32_t id = -7;
  nhc_sampling_t rule{};
  nhc_logit_edit_t edit{4096, 0, 0.0f, 0, 1.0f, 0.0f, 0.0f};
  for (size_t count : {size_t(kSlots) + 1, size_t(1) << 21, SIZE_MAX / 64,
                       SIZE_MAX / kToyVocab + 1, SIZE_MAX}) {
    nhc_step_options_t options{};
    options.greedy_ids = &id;
    options.num_greedy_ids = count;
    options.sampling = &rule;
    options.num_sampling = count;
    options.logit_edits = &edit;
    options.num_logit_edits = 1;
    EXPECT_EQ(nhc_session_step_ex(session, &request, count, &options, nullptr,
                                  0),
              NHC_INVALID_ARGUMENT)
        << count;
    EXPECT_THAT(lastError(), HasSubstr("exceeds max_slots 3")) << count;
    EXPECT_EQ(id, -7);
    EXPECT_EQ(snapshot(), before) << "state changed after a rejected step";
  }
}

TEST_F(SessionValidationTest, NullArgumentsBeforeAnyRequestIsRead) {
  std::vector<float> logits(kToyVocab, -7.0f);
  nhc_request_t request{a, good, 1};
  EXPECT_EQ(nhc_session_step(session, &request, 1, NHC_LOGITS_LAST, nullptr,
                             kToyVocab),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("argument 'logits' must not be NULL"));
  EXPECT_EQ(nhc_session_step(session, nullptr, 1, NHC_LOGITS_LAST,
                             logits.data(), kToyVocab),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("argument 'requests' must not be NULL"));
  EXPECT_EQ(snapshot(), before);
}

TEST_F(SessionValidationTest, ValidStepAfterRejectionsIsUnaffected) {
  expectRejected({{a, good, 1}, {b, good, 0}}, NHC_INVALID_ARGUMENT,
                 "num_tokens is 0");
  std::vector<float> logits = stepLast(a, {4});
  expectNear(logits, toyReferenceLogits({1, 2, 3, 4}).back(),
             "after rejection");
}

TEST(SessionArgsTest, NullArguments) {
  EXPECT_EQ(nhc_session_create(nullptr, nullptr, 1, 1, nullptr),
            NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_session_step(nullptr, nullptr, 0, NHC_LOGITS_LAST, nullptr,
                             0),
            NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_session_claim(nullptr, nullptr), NHC_INVALID_ARGUMENT);
  EXPECT_EQ(nhc_session_state_pool(nullptr), nullptr);
  nhc_session_release(nullptr);
}

} // namespace
} // namespace nhc::test
