//===- executor.cpp - Run a schedule on the host --------------------------===//
//
// Kernel calls follow the packed ABI of docs/execution-model.md: args[i]
// points at the storage of the i-th LLVM-level parameter, a memref being
// five of them (allocated, aligned, offset, size, stride).
//
//===----------------------------------------------------------------------===//

#include "executor.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "error.h"
#include "activation.h"
#include "fp8.h"
#include "thread_pool.h"
#include "gemm.h"
#include "narrow_gemm.h"

namespace nhc::runtime {
namespace {

constexpr size_t kMemrefSlots = 5;

size_t abiSlots(const KernelArg &arg) {
  switch (arg.kind) {
  case ArgKind::Dim:
  case ArgKind::Index:
  case ArgKind::F32:
    return 1;
  default:
    return kMemrefSlots;
  }
}

} // namespace

Executor::Executor(const nhc_manifest_t &manifest, const HostLibrary *library,
                   nhc_state_pool_t &pool)
    : origin_(manifest.origin), plan_(manifest.plan),
      vocab_(manifest.model.vocab_size), maxSlots_(maxSlots(pool)),
      maxSeqLen_(maxSeqLen(pool)), pool_(pool), scratch_(plan_.buffers) {
  // The session proved max_slots * max_seq_len <= INT_MAX.
  scratch_.checkCapacity(maxSlots_ * maxSeqLen_, maxSlots_, origin_);
  for (const KernelSpec &kernel : plan_.kernels) {
    NHC_CHECK(library != nullptr, NHC_INTERNAL,
              cat(origin_, ": kernels without a host library"));
    kernelFns_.push_back(library->packedKernel(kernel.name));
    slicedFns_.push_back(library->slicedKernel(kernel.name));
  }
  bindKernels(plan_.body, bodyKernels_);
  bindKernels(plan_.headLast, lastKernels_);
  bindKernels(plan_.headAll, allKernels_);
  bodyGemmOrdinal_.assign(plan_.body.size(), 0);
  for (size_t e = 0; e < plan_.body.size(); ++e)
    if (plan_.body[e].kind == EntryKind::Gemm) {
      bodyGemmOrdinal_[e] = bodyGemmWeights_.size();
      bodyGemmWeights_.push_back(plan_.body[e].gemm.weight);
    }
}

void Executor::bindKernels(const std::vector<ScheduleEntry> &entries,
                           std::vector<BoundKernel> &kernels) {
  kernels.resize(entries.size());
  for (size_t e = 0; e < entries.size(); ++e) {
    const ScheduleEntry &entry = entries[e];
    if (entry.kind != EntryKind::Kernel)
      continue;
    BoundKernel &bound = kernels[e];
    bound.fn = kernelFns_[entry.kernel.kernel];
    bound.sliced = slicedFns_[entry.kernel.kernel];
    size_t slots = 0;
    for (const KernelArg &arg : entry.kernel.args)
      slots += abiSlots(arg);
    bound.cells.assign(slots, Cell{nullptr});
    for (Cell &cell : bound.cells)
      bound.args.push_back(&cell); // cells never reallocate after this
    bound.pools.resize(entry.kernel.args.size());
    for (size_t i = 0; i < entry.kernel.args.size(); ++i) {
      const KernelArg &arg = entry.kernel.args[i];
      if (arg.kind != ArgKind::State)
        continue;
      TensorPool tensor = tensorPool(pool_, arg.ref);
      // Kernels read state as f32 (docs/execution-model.md, Numerics).
      NHC_CHECK(tensor.dtype == NHC_DTYPE_F32, NHC_UNSUPPORTED,
                cat(entry.where, ".args[", i, "]: state tensor '", *tensor.name,
                    "' is ", nhc_dtype_name(tensor.dtype),
                    "; host kernels need F32 state (manifest 'state')"));
      bound.pools[i] = tensor;
    }
  }
}

std::vector<bool> Executor::matrixOnlyWeights(size_t count) const {
  std::vector<bool> matrix(count, false), other(count, false);
  auto mark = [&](std::vector<bool> &set, size_t index) {
    if (index < count)
      set[index] = true;
  };
  for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
    for (const ScheduleEntry &entry : *entries) {
      switch (entry.kind) {
      case EntryKind::Kernel:
        for (const KernelArg &arg : entry.kernel.args)
          if (arg.kind == ArgKind::Weight)
            mark(other, arg.ref);
        break;
      case EntryKind::Gemm:
        mark(matrix, entry.gemm.weight);
        if (entry.gemm.hasBias)
          mark(other, entry.gemm.bias);
        // Scales are read as f32 values (a hostile manifest may name a
        // matrix as a scale too: it then gets its f32 copy).
        if (entry.gemm.scaled) {
          mark(other, entry.gemm.inputScale);
          mark(other, entry.gemm.weightScale);
        }
        if (entry.gemm.quantizeOutput)
          mark(other, entry.gemm.outputScale);
        break;
      case EntryKind::Embedding:
        mark(matrix, entry.embedding.table); // rows widened as gathered
        break;
      case EntryKind::MoeExperts:
        for (size_t index : entry.moe.up)
          mark(matrix, index);
        for (size_t index : entry.moe.down)
          mark(matrix, index);
        break;
      }
    }
  for (size_t i = 0; i < count; ++i)
    matrix[i] = matrix[i] && !other[i];
  return matrix;
}

void Executor::bindWeights(F32Weights weights) {
  weights_ = std::move(weights);
  allocateGemmPanel();
  bindExperts(plan_.body, bodyMoes_);
  bindExperts(plan_.headLast, lastMoes_);
  bindExperts(plan_.headAll, allMoes_);
}

void Executor::bindExperts(const std::vector<ScheduleEntry> &entries,
                           std::vector<BoundMoe> &moes) {
  moes.assign(entries.size(), BoundMoe{});
  for (size_t e = 0; e < entries.size(); ++e) {
    if (entries[e].kind != EntryKind::MoeExperts)
      continue;
    const MoeCall &moe = entries[e].moe;
    uint64_t perExpert = moe.hidden * moe.intermediate;
    for (uint64_t x = 0; x < moe.numExperts; ++x) {
      if (moe.stacked) {
        moes[e].up.push_back(weights_.matrix(moe.up[0]).advance(x * perExpert));
        moes[e].down.push_back(
            weights_.matrix(moe.down[0]).advance(x * perExpert));
      } else {
        moes[e].up.push_back(weights_.matrix(moe.up[x]));
        moes[e].down.push_back(weights_.matrix(moe.down[x]));
      }
    }
  }
}

void Executor::prepare(uint64_t tokens, uint64_t requests) {
  scratch_.prepare(tokens, requests);
  for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
    for (const ScheduleEntry &entry : *entries)
      if (entry.kind == EntryKind::MoeExperts)
        moeWorkspace_.prepare(tokens, entry.moe.numExperts, entry.moe.topK,
                              entry.moe.hidden, entry.moe.intermediate);
}

void Executor::allocateGemmPanel() {
  uint64_t panelK = 0; // the widest narrow weight row a prefill widens
  for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
    for (const ScheduleEntry &entry : *entries) {
      if (entry.kind == EntryKind::MoeExperts &&
          weights_.matrix(entry.moe.up[0]).dtype != NHC_DTYPE_F32)
        panelK = std::max({panelK, entry.moe.hidden, entry.moe.intermediate});
      else if (entry.kind == EntryKind::Gemm &&
               weights_.matrix(entry.gemm.weight).dtype != NHC_DTYPE_F32)
        panelK = std::max(panelK, entry.gemm.k);
    }
  try {
    gemmPanel_.assign(gemmPanelFloats(panelK), 0.0f);
  } catch (const std::bad_alloc &) {
    throw Error(NHC_OUT_OF_MEMORY,
                cat("cannot allocate the ", gemmPanelFloats(panelK),
                    "-float panel the narrow-weight gemms widen into"));
  }
}

size_t Executor::entries(ScheduleKind schedule) const {
  switch (schedule) {
  case ScheduleKind::Body:
    return plan_.body.size();
  case ScheduleKind::HeadLast:
    return plan_.headLast.size();
  case ScheduleKind::HeadAll:
    return plan_.headAll.size();
  }
  return 0;
}

void Executor::run(ScheduleKind head, const StepIo &io) {
  size_t total = entries(ScheduleKind::Body) + entries(head);
  runBody(io, total);
  runHead(head, io, total);
}

void Executor::runBody(const StepIo &io, size_t total) {
  done_ = 0;
  runEntries(plan_.body, bodyKernels_, bodyMoes_, ScheduleKind::Body, io,
             done_, total);
}

void Executor::runHead(ScheduleKind head, const StepIo &io, size_t total) {
  bool last = head == ScheduleKind::HeadLast;
  runEntries(last ? plan_.headLast : plan_.headAll,
             last ? lastKernels_ : allKernels_, last ? lastMoes_ : allMoes_,
             head, io, done_, total);
}

void Executor::copyTaps(size_t entry, const StepIo &io) {
  for (const TapCopy &tap : *io.taps) {
    const TapPoint &p = *tap.point;
    if (p.after != entry)
      continue;
    const float *base =
        static_cast<const float *>(scratch_.buffer(p.buffer)) + p.offset;
    for (uint64_t t = 0; t < io.tokens; ++t)
      std::memcpy(tap.out + t * p.width, base + t * p.ld,
                  p.width * sizeof(float));
  }
}

void Executor::runEntries(const std::vector<ScheduleEntry> &entries,
                          std::vector<BoundKernel> &kernels,
                          std::vector<BoundMoe> &moes, ScheduleKind schedule,
                          const StepIo &io, size_t &done, size_t total) {
  for (size_t e = 0; e < entries.size(); ++e) {
    const ScheduleEntry &entry = entries[e];
    switch (entry.kind) {
    case EntryKind::Kernel:
      runKernel(entry, kernels[e], schedule, io);
      break;
    case EntryKind::Gemm:
      if (schedule == ScheduleKind::Body && io.gemmInputAbsmax)
        observeGemmInput(entry.gemm, io,
                         io.gemmInputAbsmax[bodyGemmOrdinal_[e]]);
      runGemm(entry.gemm, io);
      break;
    case EntryKind::MoeExperts:
      runMoe(entry.moe, moes[e], io);
      break;
    case EntryKind::Embedding:
      runEmbedding(entry.embedding, io);
      break;
    }
    if (schedule == ScheduleKind::Body && io.taps && !io.taps->empty())
      copyTaps(e, io);
    ++done;
    if (io.progress)
      io.progress(io.progressUser, done, total);
  }
}

void Executor::runKernel(const ScheduleEntry &entry, BoundKernel &bound,
                         ScheduleKind schedule, const StepIo &io) {
  const uint64_t T = io.tokens, R = io.requests;
  Cell *cell = bound.cells.data();
  auto memref = [&cell](const void *base, uint64_t elems) {
    void *p = const_cast<void *>(base); // the ABI has no const
    cell[0].ptr = p;                    // allocated
    cell[1].ptr = p;                    // aligned
    cell[2].i64 = 0;                    // offset
    cell[3].i64 = static_cast<int64_t>(elems);
    cell[4].i64 = 1; // stride
    cell += kMemrefSlots;
  };
  for (size_t i = 0; i < entry.kernel.args.size(); ++i) {
    const KernelArg &arg = entry.kernel.args[i];
    switch (arg.kind) {
    case ArgKind::Buffer:
      memref(scratch_.buffer(arg.ref), scratch_.elems(arg.ref, T, R));
      break;
    case ArgKind::Weight:
      memref(weights_.data(arg.ref), weights_.elems(arg.ref));
      break;
    case ArgKind::State:
      memref(bound.pools[i].base, bound.pools[i].totalBytes / sizeof(float));
      break;
    case ArgKind::Requests:
      memref(scratch_.requestTable(), 4 * R);
      break;
    case ArgKind::TokenIds:
      memref(scratch_.tokenIds(), T);
      break;
    case ArgKind::Logits:
      memref(io.logits,
             (schedule == ScheduleKind::HeadLast ? R : T) * vocab_);
      break;
    case ArgKind::Dim: {
      uint64_t value = arg.dim == DimKind::Tokens     ? T
                       : arg.dim == DimKind::Requests ? R
                       : arg.dim == DimKind::MaxSeqLen ? maxSeqLen_
                                                       : maxSlots_;
      (cell++)->i64 = static_cast<int64_t>(value) * arg.times;
      break;
    }
    case ArgKind::Index:
      (cell++)->i64 = arg.index;
      break;
    case ArgKind::F32:
      (cell++)->f32 = arg.f32;
      break;
    }
  }
  // One slice per host thread, all at once, phase after phase (one phase
  // per parallel loop of the kernel): the slices of a loop are independent,
  // so the result does not depend on the thread count.
  const size_t threads = hostThreads();
  if (bound.sliced && threads > 1) {
    void **args = bound.args.data();
    SlicedKernelFn sliced = bound.sliced;
    const auto slices = static_cast<int64_t>(threads);
    for (int64_t phase = 0, more = 1; more; ++phase) {
      NHC_CHECK(phase < kMaxKernelPhases, NHC_INTERNAL,
                cat(origin_, ": a host kernel's sliced entry ran ", phase,
                    " phases without finishing"));
      parallelFor(threads, 1, [&](size_t begin, size_t end) {
        for (size_t s = begin; s < end; ++s) {
          int64_t later = sliced(args, static_cast<int64_t>(s), slices, phase);
          if (s == 0)
            more = later; // every slice returns the same
        }
      });
    }
    return;
  }
  bound.fn(bound.args.data());
}

float *Executor::matrixBase(const MatrixRef &ref, const StepIo &io) {
  float *base = ref.logits ? io.logits
                           : static_cast<float *>(scratch_.buffer(ref.buffer));
  return base + ref.offset;
}

void Executor::observeGemmInput(const GemmCall &gemm, const StepIo &io,
                                float &absmax) {
  uint64_t m = gemm.rows == Rows::Tokens ? io.tokens : io.requests;
  const float *a = matrixBase(gemm.a, io);
  for (uint64_t r = 0; r < m; ++r)
    for (uint64_t i = 0; i < gemm.k; ++i) {
      float v = std::fabs(a[r * gemm.a.ld + i]);
      if (std::isnan(v) || v > absmax)
        absmax = std::isnan(absmax) ? absmax : v;
    }
}

void Executor::runGemm(const GemmCall &gemm, const StepIo &io) {
  uint64_t m = gemm.rows == Rows::Tokens ? io.tokens : io.requests;
  float *c = matrixBase(gemm.c, io);
  gemmNT(m, gemm.n, gemm.k, matrixBase(gemm.a, io), gemm.a.ld,
         weights_.matrix(gemm.weight), c, gemm.c.ld, gemm.accumulate,
         gemmPanel_.data());
  // FP8: the e4m3 product times one f32 scalar, the product of the two
  // scales taken first (docs/fp8.md).
  if (gemm.scaled)
    scaleBlock(m, gemm.n, c, gemm.c.ld,
               weights_.data(gemm.inputScale)[0] *
                   weights_.data(gemm.weightScale)[0]);
  if (gemm.hasBias)
    addBiasBlock(m, gemm.n, c, gemm.c.ld, weights_.data(gemm.bias));
  activateBlock(gemm.epilogue, m, gemm.n, c, gemm.c.ld);
  if (gemm.quantizeOutput)
    quantizeBlock(m, gemm.n, c, gemm.c.ld, weights_.data(gemm.outputScale)[0]);
}

void Executor::runEmbedding(const EmbeddingCall &call, const StepIo &io) {
  WeightMatrix table = weights_.matrix(call.table);
  const int32_t *ids = scratch_.tokenIds();
  float *out = static_cast<float *>(scratch_.buffer(call.output));
  const uint64_t rowBytes = call.hidden * nhc_dtype_size(table.dtype);
  const uint8_t *base = static_cast<const uint8_t *>(table.data);
  // Ids were checked against vocab_size, which the table's rows cover.
  parallelFor(io.tokens, 64, [&](size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; ++t) {
      const uint8_t *row = base + static_cast<uint64_t>(ids[t]) * rowBytes;
      widenToF32(row, table.dtype, call.hidden, out + t * call.hidden);
    }
  });
}

void Executor::runMoe(const MoeCall &moe, const BoundMoe &bound,
                      const StepIo &io) {
  MoeProblem p;
  p.tokens = io.tokens;
  p.experts = moe.numExperts;
  p.topK = moe.topK;
  p.hidden = moe.hidden;
  p.intermediate = moe.intermediate;
  p.input = static_cast<const float *>(scratch_.buffer(moe.input));
  p.indices = static_cast<const int32_t *>(scratch_.buffer(moe.indices));
  p.weights = static_cast<const float *>(scratch_.buffer(moe.weights));
  p.output = static_cast<float *>(scratch_.buffer(moe.output));
  p.up = bound.up.data();
  p.down = bound.down.data();
  p.panel = gemmPanel_.data();
  p.activation = moe.activation;
  moeWorkspace_.run(p);
}

} // namespace nhc::runtime
