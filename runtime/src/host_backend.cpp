//===- host_backend.cpp - The host CPU backend ----------------------------===//
//
// Kernel calls follow the packed ABI of docs/execution-model.md: args[i]
// points at the storage of the i-th LLVM-level parameter, a memref being
// five of them (allocated, aligned, offset, size, stride).
//
//===----------------------------------------------------------------------===//

#include "host_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "activation.h"
#include "bf16_gemm.h"
#include "error.h"
#include "fp8.h"
#include "gemm.h"
#include "host_isa.h"
#include "manifest.h"
#include "narrow_gemm.h"
#include "nhc/runtime/artifact.h"
#include "nhc/runtime/checked_math.h"
#include "thread_pool.h"

namespace nhc::runtime {
namespace {

size_t abiSlots(const KernelArg &arg) {
  switch (arg.kind) {
  case ArgKind::Dim:
  case ArgKind::Index:
  case ArgKind::F32:
    return 1;
  default:
    return kMemrefCells;
  }
}

std::unique_ptr<HostLibrary> loadKernels(const nhc_artifact_t &artifact,
                                         const nhc_manifest_t &manifest) {
  if (manifest.plan.kernels.empty())
    return nullptr;
  nhc_section_t section = selectHostLibrary(
      artifact, cat(manifest.origin, " (", manifest.plan.kernels.size(),
                    " kernels)"));
  return HostLibrary::load(
      section.data, section.size,
      cat(manifest.origin, ": section '", section.name, "'"));
}

} // namespace

HostBackend::HostBackend(const BackendContext &context)
    : origin_(context.manifest->origin), plan_(*context.plan),
      vocab_(context.manifest->model.vocab_size),
      maxSlots_(context.maxSlots), maxSeqLen_(context.maxSeqLen),
      library_(loadKernels(*context.artifact, *context.manifest)),
      gemv_(library_.get(), origin_),
      scratch_(plan_.buffers),
      precision_(context.gemmPrecision == NHC_GEMM_PRECISION_BF16 &&
                         bf16GemmAvailable()
                     ? GemmPrecision::Bf16
                     : GemmPrecision::F32) {
  // The session proved max_slots * max_seq_len <= INT_MAX.
  scratch_.checkCapacity(maxSlots_ * maxSeqLen_, maxSlots_, origin_);
  for (const KernelSpec &kernel : plan_.kernels)
    kernels_.push_back(
        {library_->packedKernel(kernel.name), library_->slicedKernel(kernel.name)});
  size_t states = context.manifest->state.size();
  stateBases_.assign(states, nullptr);
  stateElems_.assign(states, 0);
}

std::unique_ptr<StateMemory>
HostBackend::allocateState(uint64_t bytes, const std::string &what) {
  return allocateHostState(bytes, what);
}

void HostBackend::bindState(nhc_state_pool_t &pool) {
  std::vector<TensorPool> tensors =
      kernelStateTensors(pool, plan_, stateBases_.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].name)
      continue;
    stateBases_[i] = tensors[i].memory->hostAddress(tensors[i].offset);
    NHC_CHECK(stateBases_[i] != nullptr, NHC_INTERNAL,
              cat(origin_, ": the host backend's state is not host memory"));
    stateElems_[i] = tensors[i].totalBytes / nhc_dtype_size(tensors[i].dtype);
  }
}

void HostBackend::bindWeights(
    const std::vector<nhc_tensor_info_t> &tensors,
    const std::vector<bool> &matrixOnly,
    const std::vector<const SyntheticTensor *> &) { // all in host memory
  weights_ = F32Weights::build(tensors, origin_, matrixOnly);
  allocateGemmPanel();
  // FP8 experts' scales are constants: read once, [4][E] per call.
  expertScales_ = packExpertScales(plan_, weights_);
}

void HostBackend::allocateGemmPanel() {
  uint64_t panelK = 0; // the widest narrow weight row a prefill widens
  bf16K_ = 0;          // the widest BF16 row a bf16 gemm multiplies
  auto any = [&](const std::vector<size_t> &matrices, auto &&predicate) {
    for (size_t w : matrices)
      if (predicate(weights_.matrix(w).dtype))
        return true;
    return false;
  };
  auto narrow = [](nhc_dtype_t dtype) { return dtype != NHC_DTYPE_F32; };
  auto bf16 = [&](nhc_dtype_t dtype) {
    return precision_ == GemmPrecision::Bf16 && dtype == NHC_DTYPE_BF16;
  };
  for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
    for (const ScheduleEntry &entry : *entries) {
      if (entry.kind == EntryKind::MoeExperts) {
        const MoeCall &moe = entry.moe;
        uint64_t k = std::max(moe.hidden, moe.intermediate);
        if (any(moe.up, narrow) || any(moe.down, narrow))
          panelK = std::max(panelK, k);
        if (any(moe.up, bf16) || any(moe.down, bf16))
          bf16K_ = std::max(bf16K_, k);
      } else if (entry.kind == EntryKind::Gemm) {
        nhc_dtype_t dtype = weights_.matrix(entry.gemm.weight).dtype;
        if (narrow(dtype))
          panelK = std::max(panelK, entry.gemm.k);
        if (bf16(dtype))
          bf16K_ = std::max(bf16K_, entry.gemm.k);
      }
    }
  try {
    gemmPanel_.assign(gemmPanelFloats(panelK), 0.0f);
  } catch (const std::bad_alloc &) {
    throw Error(NHC_OUT_OF_MEMORY,
                cat("cannot allocate the ", gemmPanelFloats(panelK),
                    "-float panel the narrow-weight gemms widen into"));
  }
}

GemmScratch HostBackend::gemmScratch() {
  GemmScratch scratch;
  scratch.panel = gemmPanel_.data();
  scratch.bf16Rows = bf16Rows_.data();
  scratch.bf16RowsCapacity = bf16Rows_.size();
  scratch.precision = precision_;
  scratch.gemv = &gemv_;
  return scratch;
}

void HostBackend::prepare(const StepShape &shape) {
  scratch_.prepare(shape.tokens, shape.requests);
  // A bf16 gemm (or one expert's) has at most `tokens` rows.
  std::optional<uint64_t> bf16Rows = checkedMul(shape.tokens, bf16K_);
  NHC_CHECK(bf16Rows, NHC_INVALID_ARGUMENT,
            cat("session: bf16 gemm activations for ", shape.tokens,
                " tokens overflow 64 bits"));
  if (*bf16Rows > bf16Rows_.size()) {
    try {
      bf16Rows_.resize(*bf16Rows);
    } catch (const std::bad_alloc &) {
      throw Error(NHC_OUT_OF_MEMORY,
                  cat("session: cannot allocate ", *bf16Rows,
                      " bf16 values for gemm activations (", shape.tokens,
                      " tokens)"));
    }
  }
  for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
    for (const ScheduleEntry &entry : *entries)
      if (entry.kind == EntryKind::MoeExperts)
        moeWorkspace_.prepare(shape.tokens, entry.moe.numExperts,
                              entry.moe.topK, entry.moe.hidden,
                              entry.moe.intermediate);
}

StepInputs HostBackend::stepInputs() {
  return {scratch_.requestTable(), scratch_.tokenIds()};
}

void HostBackend::launch(const KernelCall &call, const StepShape &shape,
                         uint64_t logitsRows) {
  const uint64_t T = shape.tokens, R = shape.requests;
  size_t slots = 0;
  for (const KernelArg &arg : call.args)
    slots += abiSlots(arg);
  if (cells_.size() < slots) { // grows only: args_ stays valid otherwise
    cells_.resize(slots);
    args_.resize(slots);
    for (size_t i = 0; i < slots; ++i)
      args_[i] = &cells_[i];
  }
  PackedCell *cell = cells_.data();
  auto memref = [&cell](const void *base, uint64_t elems) {
    cell = packMemref(cell, base, elems);
  };
  for (const KernelArg &arg : call.args) {
    switch (arg.kind) {
    case ArgKind::Buffer:
      memref(scratch_.buffer(arg.ref), scratch_.elems(arg.ref, T, R));
      break;
    case ArgKind::Weight:
      memref(weights_.data(arg.ref), weights_.elems(arg.ref));
      break;
    case ArgKind::State:
      memref(stateBases_[arg.ref], stateElems_[arg.ref]);
      break;
    case ArgKind::Requests:
      memref(scratch_.requestTable(), 4 * R);
      break;
    case ArgKind::TokenIds:
      memref(scratch_.tokenIds(), T);
      break;
    case ArgKind::Logits:
      memref(logits_, logitsRows * vocab_);
      break;
    case ArgKind::Dim:
      (cell++)->i64 = dimValue(
          arg, {T, R, maxSeqLen_, maxSlots_, int64_t(gemmPrecision())});
      break;
    case ArgKind::Index:
      (cell++)->i64 = arg.index;
      break;
    case ArgKind::F32:
      (cell++)->f32 = arg.f32;
      break;
    }
  }
  runOnHostThreads(kernels_[call.kernel], args_.data(), origin_);
}

float *HostBackend::matrixBase(const MatrixRef &ref) {
  float *base =
      ref.logits ? logits_ : static_cast<float *>(scratch_.buffer(ref.buffer));
  return base + ref.offset;
}

float HostBackend::absMax(const MatrixRef &ref, uint64_t rows, uint64_t cols) {
  float absmax = 0.0f;
  foldBlockAbsMax(absmax, rows, cols, matrixBase(ref), ref.ld);
  return absmax;
}

void HostBackend::readRows(size_t buffer, uint64_t offset, uint64_t ld,
                           uint64_t width, uint64_t rows, float *out) {
  const float *base = static_cast<const float *>(scratch_.buffer(buffer)) + offset;
  for (uint64_t t = 0; t < rows; ++t)
    std::memcpy(out + t * width, base + t * ld, width * sizeof(float));
}

void HostBackend::gemm(const GemmCall &gemm, const StepShape &shape) {
  uint64_t m = gemm.rows == Rows::Tokens ? shape.tokens : shape.requests;
  float *c = matrixBase(gemm.c);
  gemmNT(m, gemm.n, gemm.k, matrixBase(gemm.a), gemm.a.ld,
         weights_.matrix(gemm.weight), c, gemm.c.ld, gemm.accumulate,
         gemmScratch());
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

void HostBackend::embedding(const EmbeddingCall &call, const StepShape &shape) {
  WeightMatrix table = weights_.matrix(call.table);
  const int32_t *ids = scratch_.tokenIds();
  float *out = static_cast<float *>(scratch_.buffer(call.output));
  const uint64_t rowBytes = call.hidden * nhc_dtype_size(table.dtype);
  const uint8_t *base = static_cast<const uint8_t *>(table.data);
  // Ids were checked against vocab_size, which the table's rows cover.
  parallelFor(shape.tokens, 64, [&](size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; ++t) {
      const uint8_t *row = base + static_cast<uint64_t>(ids[t]) * rowBytes;
      widenToF32(row, table.dtype, call.hidden, out + t * call.hidden);
    }
  });
}

void HostBackend::experts(const std::vector<size_t> &indices, bool stacked,
                          uint64_t count, uint64_t perExpert,
                          std::vector<WeightMatrix> &out) const {
  out.clear();
  for (uint64_t x = 0; x < count; ++x)
    out.push_back(stacked ? weights_.matrix(indices[0]).advance(x * perExpert)
                          : weights_.matrix(indices[x]));
}

void HostBackend::moeExperts(const MoeCall &moe, const StepShape &shape,
                             float *inputAbsmax) {
  uint64_t perExpert = moe.hidden * moe.intermediate;
  experts(moe.up, moe.stacked, moe.numExperts, perExpert, up_);
  experts(moe.down, moe.stacked, moe.numExperts, perExpert, down_);
  MoeProblem p;
  p.tokens = shape.tokens;
  p.experts = moe.numExperts;
  p.topK = moe.topK;
  p.hidden = moe.hidden;
  p.intermediate = moe.intermediate;
  p.input = static_cast<const float *>(scratch_.buffer(moe.input));
  p.indices = static_cast<const int32_t *>(scratch_.buffer(moe.indices));
  p.weights = static_cast<const float *>(scratch_.buffer(moe.weights));
  p.output = static_cast<float *>(scratch_.buffer(moe.output));
  p.up = up_.data();
  p.down = down_.data();
  p.gemm = gemmScratch();
  p.activation = moe.activation;
  p.inputAbsmax = inputAbsmax;
  MoeScales scales;
  if (moe.fp8()) {
    scales = moeScalesOf(expertScales_.at(&moe), moe.numExperts);
    p.scales = &scales;
  }
  moeWorkspace_.run(p);
}

} // namespace nhc::runtime
