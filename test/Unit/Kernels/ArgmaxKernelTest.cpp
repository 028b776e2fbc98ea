//===- ArgmaxKernelTest.cpp - greedy ids on the device (argmax.mlir) ------===//
//
// nhc_argmax_rows against the rule written out here: the first index of
// the largest value; a row holding NaN gives -1 - its first NaN's index
// (no token to pick; the serving sampler's callers refuse such rows too).
// Rows that end inside and past the GPU form's 256-thread strides, ties
// across its threads, infinities; each row read as one slice, a few, and
// more slices than it has chunks (the GPU form's blocks per row; empty
// slices hold no candidate).
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "KernelTestUtils.h"
#include "nhc/format/library_kernels.h"

using namespace nhc_test;

namespace {

int32_t referenceArgmax(const float *row, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(row[i]))
      return int32_t(-1 - i);
    if (row[i] > row[best])
      best = i;
  }
  return int32_t(best);
}

/// The slice counts each case runs with: one block per row, a few, and
/// (for short rows) more than the row has chunks.
const int64_t kSliceCounts[] = {1, 2, 3, 16, 61};

void expectArgmax(std::vector<float> logits, int64_t R, int64_t V,
                  const std::string &what) {
  for (int64_t slices : kSliceCounts) {
    std::vector<int32_t> out(R + 1, -7);
    std::vector<float> partials(R * slices * 2);
    ArgPack a;
    a.buf(logits).buf(out).idx(R).idx(V).scratch(partials).idx(slices);
    runKernel("nhc_argmax_rows", a);
    for (int64_t r = 0; r < R; ++r)
      ASSERT_EQ(out[r], referenceArgmax(&logits[r * V], V))
          << what << ", " << slices << " slices, row " << r;
    EXPECT_EQ(out[R], -7) << what << ": written past the rows";
  }
}

TEST(KernelArgmax, FirstLargestOrFirstNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // One row per rule, V = 600 (threads take 2 or 3 elements).
  const int64_t V = 600;
  std::mt19937 rng(3);
  std::vector<std::vector<float>> rows;
  auto random = [&] { return randomFloats(rng, V, -4.f, 4.f); };
  rows.push_back(random());
  {
    auto r = random(); // equal maxima far apart: the first
    r[517] = r[3] = r[300] = 9.f;
    rows.push_back(r);
  }
  {
    auto r = random(); // NaN after the largest, in a later thread: -1 - 599
    r[256] = 8.f;
    r[599] = nan;
    rows.push_back(r);
    r[255] = nan; // and before it, in the last thread: -1 - 255
    rows.push_back(r);
    r[0] = nan; // and at the first element: -1
    rows.push_back(r);
  }
  {
    auto r = random(); // NaN in every thread's last stride only: -1 - 512
    for (int64_t i = 512; i < V; ++i)
      r[i] = nan;
    rows.push_back(r);
  }
  rows.push_back(std::vector<float>(V, nan)); // all NaN: -1
  {
    auto r = std::vector<float>(V, -inf); // all -inf: the first
    rows.push_back(r);
    r[42] = nan; // one NaN among -inf: -1 - 42
    rows.push_back(r);
  }
  {
    auto r = random(); // +inf wins, the first of two
    r[401] = inf;
    r[599] = inf;
    rows.push_back(r);
  }
  {
    auto r = random(); // the largest at the last index
    r[599] = 100.f;
    rows.push_back(r);
  }
  std::vector<float> flat;
  for (const auto &r : rows)
    flat.insert(flat.end(), r.begin(), r.end());
  expectArgmax(flat, int64_t(rows.size()), V, "rules");
}

TEST(KernelArgmax, RowLengthsAroundTheThreadStride) {
  std::mt19937 rng(5);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(referenceArgmax(&nan, 1), -1);
  const float nanAt2[] = {1.f, 2.f, nan, 3.f};
  EXPECT_EQ(referenceArgmax(nanAt2, 4), -3);
  for (int64_t V : {1, 2, 255, 256, 257, 1000, 32000}) {
    const int64_t R = 3;
    std::vector<float> logits = randomFloats(rng, R * V, -1.f, 1.f);
    // Ties between threads: row 1's two maxima 256 apart (one thread) and
    // row 2's one apart (two threads).
    if (V > 300) {
      logits[1 * V + 10] = logits[1 * V + 266] = 5.f;
      logits[2 * V + 299] = logits[2 * V + 300] = 5.f;
    }
    logits[V - 1] = nan; // row 0 ends with NaN; with V = 1 it is all NaN
    expectArgmax(logits, R, V, "V " + std::to_string(V));
  }
}

// The GPU form reads 16-byte chunks, eight per thread per round (2048
// chunks a round), where the rows are 16-byte aligned, re-reading the last
// chunk for rounds that pass the row's end; rows placed one float off an
// aligned address take its one-element path. Both must give the rule's
// answer: ties across rounds, warps and within a chunk, the largest in the
// re-read last chunk, NaN there and in an early round.
TEST(KernelArgmax, ChunkedRowsAndUnalignedRows) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::mt19937 rng(11);
  // 8192 + 4 and 3 * 8192 + 12: the last round's chunks past the row read
  // its last chunk again (131072: no partial round).
  for (int64_t V : {8192 + 4, 3 * 8192 + 12, 131072}) {
    std::vector<std::vector<float>> rows;
    auto random = [&] { return randomFloats(rng, V, -1.f, 1.f); };
    rows.push_back(random());
    {
      auto r = random(); // equal maxima in two warps and two rounds: the first
      r[V - 4 * 3 + 2] = r[4 * (37 + 1024) + 2] = r[4 * 1900 + 1] = 7.f;
      rows.push_back(r);
    }
    {
      auto r = random(); // equal maxima within one chunk: the first
      r[4 * 555 + 3] = r[4 * 555 + 1] = 6.f;
      rows.push_back(r);
    }
    {
      auto r = random(); // the largest in the last chunk, which later
      r[V - 2] = 9.f;    // rounds of other threads read again
      rows.push_back(r);
      r[V - 1] = nan; // and a NaN after it there: -1 - (V - 1)
      rows.push_back(r);
      r[V / 2 + 1] = nan; // and an earlier one, in another round
      rows.push_back(r);
    }
    {
      auto r = random(); // the largest in the first chunk: a chunk read past
      r[0] = r[3] = 50.f; // the previous row's end would find it there
      rows.push_back(r);
      rows.push_back(random()); // and past the last row: 1e30 (below)
    }
    const int64_t R = int64_t(rows.size());
    for (bool misaligned : {false, true}) {
      std::vector<float> room(R * V + 4);
      const size_t first = firstAt16(room.data(), sizeof(float), !misaligned);
      for (int64_t r = 0; r < R; ++r)
        std::copy(rows[r].begin(), rows[r].end(), room.begin() + first + r * V);
      std::fill(room.begin() + first + R * V, room.end(), 1e30f);
      // One block per row; the cuda backend's split (16 slices of 8192 for
      // 131072); slices that end inside a round and inside a chunk's stride.
      for (int64_t slices :
           {int64_t(1), int64_t(nhc::format::kernel::argmaxSlices(V)),
            int64_t(7)}) {
        std::vector<int32_t> out(R + 1, -7);
        std::vector<float> partials(R * slices * 2);
        ArgPack a;
        a.buf(room, first).buf(out).idx(R).idx(V).scratch(partials).idx(
            slices);
        runKernel("nhc_argmax_rows", a);
        for (int64_t r = 0; r < R; ++r)
          ASSERT_EQ(out[r], referenceArgmax(rows[r].data(), V))
              << "V " << V << (misaligned ? ", misaligned" : "") << ", "
              << slices << " slices, row " << r;
        EXPECT_EQ(out[R], -7);
      }
    }
  }
}

} // namespace
