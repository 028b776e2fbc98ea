//===- backend.cpp - Backends by name, the host's picks --------------------===//

#include "backend.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "cuda/cuda_backend.h"
#include "error.h"
#include "nhc/runtime/dtype.h"
#include "host_backend.h"
#include "thread_pool.h"

namespace nhc::runtime {

void Backend::beginEntryTiming(size_t entries) {
  try {
    entryClock_.assign(entries, 0.0);
  } catch (...) { // timing never fails a step: its entries read NaN
    entryClock_.clear();
  }
  entriesTimed_ = entries;
  lastEntryEnd_ = std::chrono::steady_clock::now();
}

void Backend::entryIssued(size_t index) {
  auto now = std::chrono::steady_clock::now();
  if (index < entryClock_.size())
    entryClock_[index] =
        std::chrono::duration<double>(now - lastEntryEnd_).count();
  lastEntryEnd_ = now;
}

void Backend::entrySeconds(double *seconds, size_t entries) {
  for (size_t i = 0; i < entries; ++i)
    seconds[i] = i < entryClock_.size() ? entryClock_[i]
                 : i < entriesTimed_    ? std::nan("")
                                        : 0.0;
}

namespace {

struct BackendEntry {
  const char *name;
  std::unique_ptr<Backend> (*create)(const BackendContext &);
};

/// Every backend this runtime has; the first is the default.
const BackendEntry kBackends[] = {
    {"host",
     [](const BackendContext &context) -> std::unique_ptr<Backend> {
       return std::make_unique<HostBackend>(context);
     }},
    {"cuda", cuda::createCudaBackend},
};

} // namespace

std::vector<TensorPool> kernelStateTensors(nhc_state_pool_t &pool,
                                           const ExecutionPlan &plan,
                                           size_t stateCount) {
  std::vector<TensorPool> tensors(stateCount);
  for (const auto *entries : {&plan.body, &plan.headLast, &plan.headAll})
    for (const ScheduleEntry &entry : *entries) {
      if (entry.kind != EntryKind::Kernel)
        continue;
      for (size_t i = 0; i < entry.kernel.args.size(); ++i) {
        const KernelArg &arg = entry.kernel.args[i];
        if (arg.kind != ArgKind::State)
          continue; // every use checked: two kernels may disagree
        TensorPool tensor = tensorPool(pool, arg.ref);
        const KernelSpec &kernel = plan.kernels[entry.kernel.kernel];
        const nhc_dtype_t want = kernel.stateDtype(i);
        NHC_CHECK(tensor.dtype == want, NHC_UNSUPPORTED,
                  cat(entry.where, ".args[", i, "]: state tensor '",
                      *tensor.name, "' is ", nhc_dtype_name(tensor.dtype),
                      "; kernel '", kernel.name, "' parameter ", i,
                      " takes ",
                      want == NHC_DTYPE_INVALID
                          ? std::string("no state tensor")
                          : cat(nhc_dtype_name(want), " state"),
                      " (manifest 'state', 'kernels')"));
        tensors[arg.ref] = tensor;
      }
    }
  return tensors;
}

const char *availableBackends() {
  static const std::string names = [] {
    std::string joined;
    for (const BackendEntry &backend : kBackends)
      joined += (joined.empty() ? "" : ",") + std::string(backend.name);
    return joined;
  }();
  return names.c_str();
}

std::unique_ptr<Backend> createBackend(const char *name,
                                       const BackendContext &context) {
  std::string wanted = name && *name ? name : kBackends[0].name;
  checkThreadEnvironment(); // every backend runs host work on the pool
  for (const BackendEntry &backend : kBackends)
    if (wanted == backend.name)
      return backend.create(context);
  throw Error(NHC_INVALID_ARGUMENT,
              cat("session: unknown backend '", wanted,
                  "' (this runtime has: ", availableBackends(), ")"));
}

void Backend::prepareHostPicks(uint64_t rows, uint64_t vocab,
                               const TokenPicks &picks) {
  HostPickScratch &s = hostPicks_;
  s.edits = picks.edits;
  s.numEdits = picks.numEdits;
  s.numPicks = picks.picks(rows);
  if (!picks.numEdits)
    return;
  const uint64_t numPicks = s.numPicks;
  s.editStart.assign(numPicks + 1, 0);
  for (size_t e = 0; e < picks.numEdits; ++e)
    ++s.editStart[picks.edits[e].row + 1];
  s.editedRow.assign(numPicks, SIZE_MAX);
  size_t editedRows = 0;
  for (uint64_t p = 0; p < numPicks; ++p) {
    if (s.editStart[p + 1])
      s.editedRow[p] = editedRows++;
    s.editStart[p + 1] += s.editStart[p];
  }
  s.byPick.resize(picks.numEdits);
  std::vector<size_t> next(s.editStart.begin(), s.editStart.end() - 1);
  for (size_t e = 0; e < picks.numEdits; ++e)
    s.byPick[next[picks.edits[e].row]++] = e;
  if (s.edited.size() < editedRows * vocab)
    s.edited.resize(editedRows * vocab);
}

void Backend::pickTokens(uint64_t rows, uint64_t vocab,
                         const float *hostLogits, const TokenPicks &picks,
                         int32_t *out) {
  const uint64_t numPicks = picks.picks(rows);
  HostPickScratch &s = hostPicks_;
  if (s.edits != picks.edits || s.numEdits != picks.numEdits ||
      s.numPicks != numPicks)
    prepareHostPicks(rows, vocab, picks); // a caller that did not
  // A sampled row, or a row's logprobs, cost about a pass of exps (ms at
  // 131072 logits): rows on the host's threads, 4 at least each.
  if (out)
    parallelFor(numPicks, 4, [&](size_t first, size_t end) {
      for (size_t p = first; p < end; ++p) {
        const float *pickFrom = hostLogits + picks.pickRow(p) * vocab;
        if (picks.numEdits && s.editedRow[p] != SIZE_MAX) {
          float *edited = s.edited.data() + s.editedRow[p] * vocab;
          std::copy(pickFrom, pickFrom + vocab, edited);
          for (size_t k = s.editStart[p]; k < s.editStart[p + 1]; ++k) {
            const nhc_logit_edit_t &edit = picks.edits[s.byPick[k]];
            edited[edit.id] = applyLogitEdit(edited[edit.id], edit);
          }
          pickFrom = edited;
        }
        out[p] = picks.sampling
                     ? sampleLogits(pickFrom, vocab, picks.sampling[p])
                     : greedyId(pickFrom, vocab);
      }
    });
  if (!picks.logprobs)
    return;
  const uint64_t entries = 1 + uint64_t(picks.topLogprobs);
  parallelFor(rows, 4, [&](size_t first, size_t end) {
    for (size_t r = first; r < end; ++r) {
      int32_t id =
          picks.logprobIds ? picks.logprobIds[r] : NHC_LOGPROB_ID_PICKED;
      if (id == NHC_LOGPROB_ID_PICKED)
        id = out[picks.pickOfRow(r, rows)]; // the session checked
      tokenLogprobs(hostLogits + r * vocab, vocab, id, picks.topLogprobs,
                    picks.logprobs + r * entries);
    }
  });
}

} // namespace nhc::runtime
