//===- backend.cpp - Backends by name -------------------------------------===//

#include "backend.h"

#include <cmath>
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
        if (arg.kind != ArgKind::State || tensors[arg.ref].name)
          continue;
        TensorPool tensor = tensorPool(pool, arg.ref);
        NHC_CHECK(tensor.dtype == NHC_DTYPE_F32, NHC_UNSUPPORTED,
                  cat(entry.where, ".args[", i, "]: state tensor '",
                      *tensor.name, "' is ", nhc_dtype_name(tensor.dtype),
                      "; kernels need F32 state (manifest 'state')"));
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

} // namespace nhc::runtime
