//===- plan.h - The manifest's execution plan ---------------*- C++ -*-===//
//
// The validated form of the manifest keys `buffers`, `kernels` and
// `schedules` (docs/execution-model.md). Every name is resolved to an index
// and every entry is checked against the kernel table, the weight table and
// the state list when the manifest is parsed, so the session only binds
// memory and never re-validates.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_SCHEDULE_H
#define NHC_RUNTIME_SRC_SCHEDULE_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "activation.h"
#include "json_fields.h"

struct nhc_manifest_t;

namespace nhc::runtime {

enum class ElemType { F32, I32, I64 };
enum class Per { Token, Request };

/// A scratch buffer of `elems` elements per token (or per request).
struct BufferSpec {
  std::string name;
  Per per = Per::Token;
  uint64_t elems = 0;
  ElemType dtype = ElemType::F32;
};

/// One kernel argument's kind; a memref takes five packed ABI slots.
enum class ParamKind { Memref, Index, F32 };

struct KernelSpec {
  std::string name; // "nhc_rms_norm"; the symbol is name + "_packed"
  std::vector<ParamKind> params;
  /// `param_elements` as written ("f32", "i8", "i16", "i32", "i64"; empty
  /// for a scalar), or empty where the manifest has none.
  std::vector<std::string> elements;

  /// The dtype a state tensor passed to parameter `i` must have: F32 for an
  /// f32 memref, BF16 for an i16 one (bf16 bits), NHC_DTYPE_INVALID for
  /// other elements and scalars. Without `param_elements`: F32 for every
  /// memref.
  nhc_dtype_t stateDtype(size_t i) const;
};

/// Step-dependent sizes a kernel argument can name, and the session's gemm
/// precision (an nhc_gemm_precision_t value: the arithmetic a kernel's
/// on-chip products may use).
enum class DimKind { Tokens, Requests, MaxSeqLen, MaxSlots, GemmPrecision };
enum class ArgKind {
  Buffer,
  Weight,
  State,
  Requests,
  TokenIds,
  Logits,
  Dim,
  Index,
  F32
};

struct KernelArg {
  ArgKind kind = ArgKind::Index;
  size_t ref = 0; // buffer, manifest weight or manifest state index
  DimKind dim = DimKind::Tokens;
  int64_t times = 1; // {"dim": ..., "times": N} is N * dim
  int64_t index = 0;
  float f32 = 0.0f;
};

/// What a step's `dim` arguments stand for in one backend's step.
struct DimValues {
  uint64_t tokens = 0, requests = 0, maxSeqLen = 0, maxSlots = 0;
  int64_t gemmPrecision = 0; // nhc_gemm_precision_t in effect
};

/// The index a `dim` argument (ArgKind::Dim) passes: its value times
/// `times` (below 2^63: parseDimArg bounds `times`).
int64_t dimValue(const KernelArg &arg, const DimValues &values);

struct KernelCall {
  size_t kernel = 0; // index into ExecutionPlan::kernels
  std::vector<KernelArg> args;
};

/// Whether a gemm has one row per token or per request.
enum class Rows { Tokens, Requests };

/// A gemm operand: rows `ld` elements apart starting `offset` elements into
/// a scratch buffer or into the logits output.
struct MatrixRef {
  bool logits = false;
  size_t buffer = 0;
  uint64_t offset = 0;
  uint64_t ld = 0;
};

/// C[M, n] (+)= A[M, k] . W[n, k]^T (+ bias[n]), then the epilogue on that
/// block.
struct GemmCall {
  MatrixRef a, c;
  size_t weight = 0;
  bool hasBias = false;
  size_t bias = 0; // manifest weight index of "bias" when hasBias
  uint64_t n = 0, k = 0;
  bool accumulate = false;
  Activation epilogue = Activation::None;
  Rows rows = Rows::Tokens;
  /// FP8: C = (A_q . W_q^T) * (input_scale * weight_scale) (docs/fp8.md);
  /// manifest weight indices of the two scalars when `scaled`.
  bool scaled = false;
  size_t inputScale = 0, weightScale = 0;
  /// After bias and epilogue, C = sat_e4m3(C / quantize scale): the input
  /// of the next FP8 GEMM.
  bool quantizeOutput = false;
  size_t outputScale = 0;
};

/// Routed experts: out[t] = sum_j w[t,j] * down_e(act(up_e(x[t]))) with
/// e = idx[t,j]. `up`/`down` hold one weight index per expert, or one
/// stacked [E, ...] weight when `stacked`.
struct MoeCall {
  size_t input = 0, indices = 0, weights = 0, output = 0;
  bool stacked = false;
  std::vector<size_t> up, down;
  // FP8 (e4m3) experts: per expert, the manifest weight indices of the
  // projection's input_scale and weight_scale (one f32 each); empty
  // otherwise (docs/fp8.md).
  std::vector<size_t> upInputScale, upWeightScale, downInputScale,
      downWeightScale;
  bool fp8() const { return !upInputScale.empty(); }
  /// The four scale lists in MoeScales' order.
  std::array<const std::vector<size_t> *, 4> scaleLists() const {
    return {&upInputScale, &upWeightScale, &downInputScale, &downWeightScale};
  }
  uint64_t numExperts = 0, topK = 0, hidden = 0, intermediate = 0;
  Activation activation = Activation::Relu2;
};

/// out[t, :] = table[ids[t], :] widened to f32, the table read where the
/// checkpoint maps it (F32, BF16, F16: no f32 copy of the embeddings).
struct EmbeddingCall {
  size_t table = 0;  // manifest weight index, [rows >= vocab_size, hidden]
  size_t output = 0; // per-token F32 buffer of `hidden` elements
  uint64_t hidden = 0;
};

enum class EntryKind { Kernel, Gemm, MoeExperts, Embedding };

struct ScheduleEntry {
  EntryKind kind = EntryKind::Kernel;
  // "artifact '/m.nhc': manifest: schedules.body[3]", for messages.
  std::string where;
  KernelCall kernel;
  GemmCall gemm;
  MoeCall moe;
  EmbeddingCall embedding;
};

/// Which schedule an entry list is; decides what `logits` means.
enum class ScheduleKind { Body, HeadLast, HeadAll };

/// A point where a step's per-token activations can be copied out: after
/// body entry `after` ran, row t of the value is `width` f32 at
/// buffer[t * elems + offset] (rows `ld` apart; docs/artifact-format.md).
enum class TapKind { Embeddings, Residual, Mixer, FinalNorm };
struct TapPoint {
  TapKind kind = TapKind::Residual;
  uint32_t layer = 0; // Residual, Mixer
  size_t buffer = 0;
  uint64_t offset = 0, ld = 0, width = 0;
  size_t after = 0;
};

struct ExecutionPlan {
  bool present = false;        // the manifest has `schedules`
  bool legacySchedule = false; // ... or only the old `schedule` key
  std::vector<BufferSpec> buffers;
  std::vector<KernelSpec> kernels;
  std::vector<ScheduleEntry> body, headLast, headAll;
  std::vector<TapPoint> taps; // optional copy points; none = no taps
};

/// Parses `buffers`, `kernels` and `schedules` of `root` into
/// manifest.plan. Needs manifest.weights, .model and .state already
/// parsed. Missing keys leave an empty plan; errors throw naming the JSON
/// path under `where`.
void parseExecutionPlan(const Json &root, const std::string &where,
                        nhc_manifest_t &manifest);

const char *scheduleName(ScheduleKind kind);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_SCHEDULE_H
