//===- library_ops.cpp - Parse and validate gemm / moe_experts entries ----===//
//
// Library operations read and write buffers at offsets the compiler chose,
// so their bounds are proven here for every possible step size: a gemm may
// never touch memory outside its buffers, whatever T and R are.
//
//===----------------------------------------------------------------------===//

#include <climits>
#include <string_view>

#include "error.h"
#include "float_dtype.h"
#include "nhc/format/manifest_schema.h"
#include "nhc/runtime/checked_math.h"
#include "nhc/runtime/limits.h"
#include "plan_parse.h"

namespace nhc::runtime {

/// The manifest's key names and fixed values, shared with the compiler.
namespace schema = ::nhc::format::manifest;

namespace {

/// Upper bound for gemm dimensions and leading dimensions (oneDNN's sgemm
/// takes them as int, as BLAS does).
constexpr uint64_t kMaxBlasDim = INT_MAX;

/// entry[key], a positive integer at most `limit` (named `limitName` in the
/// message).
uint64_t requirePositive(const Json &entry, const char *key,
                         const std::string &where,
                         uint64_t limit = kMaxBlasDim,
                         const char *limitName = "INT_MAX, a gemm dimension") {
  uint64_t value =
      asUInt(requireField(entry, key, where), cat(where, ".", key));
  NHC_CHECK(value > 0, NHC_INVALID_FORMAT,
            cat(where, ".", key, ": must be positive, found 0"));
  NHC_CHECK(value <= limit, NHC_INVALID_FORMAT,
            cat(where, ".", key, ": ", value, " exceeds the limit ", limit,
                " (", limitName, ")"));
  return value;
}

/// Resolves the gemm operand `key` ("a" or "c") and checks that `cols`
/// columns of every row stay inside one row unit of the buffer, for rows
/// counted in `rows`.
MatrixRef parseMatrix(const PlanContext &ctx, const Json &entry,
                      const char *key, uint64_t cols, Rows rows,
                      ScheduleKind schedule, const std::string &where) {
  std::string name = asString(requireField(entry, key, where),
                              cat(where, ".", key));
  // The operand's own offset and leading-dimension keys.
  const bool isC = std::string_view(key) == schema::key::kC;
  const char *offsetKey = isC ? schema::key::kCOffset : schema::key::kAOffset;
  const char *ldKey = isC ? schema::key::kLdc : schema::key::kLda;
  MatrixRef ref;
  ref.offset = optionalUInt(entry, offsetKey, 0, where);
  ref.ld = requirePositive(entry, ldKey, where);

  uint64_t unitElems;
  Per unit;
  std::string what;
  if (name == schema::value::kLogits) {
    NHC_CHECK(isC, NHC_INVALID_FORMAT,
              cat(where, ".", key, ": the logits output can only be 'c'"));
    NHC_CHECK(schedule != ScheduleKind::Body, NHC_INVALID_FORMAT,
              cat(where, ".c: the logits output exists only in head_last and "
                         "head_all, not in body"));
    ref.logits = true;
    unitElems = ctx.manifest.model.vocab_size;
    unit = schedule == ScheduleKind::HeadLast ? Per::Request : Per::Token;
    what = cat("the logits output ([",
               unit == Per::Request ? "requests" : "tokens", ", ",
               unitElems, "] in ", scheduleName(schedule), ")");
  } else {
    ref.buffer = ctx.buffer(name, cat(where, ".", key));
    const BufferSpec &spec = ctx.bufferSpec(ref.buffer);
    NHC_CHECK(spec.dtype == ElemType::F32, NHC_INVALID_FORMAT,
              cat(where, ".", key, ": buffer '", name, "' is ",
                  elemTypeName(spec.dtype), "; gemm needs f32"));
    unitElems = spec.elems;
    unit = spec.per;
    what = cat("buffer '", name, "' (", spec.elems, " elements per ",
               spec.per == Per::Token ? "token" : "request", ")");
  }
  // A per-token buffer has at least as many rows as there are requests,
  // but not the other way round.
  NHC_CHECK(!(unit == Per::Request && rows == Rows::Tokens),
            NHC_INVALID_FORMAT,
            cat(where, ".", key, ": ", what,
                " has one row per request, but the gemm has one row per "
                "token (set \"m\": \"requests\")"));
  NHC_CHECK(ref.ld >= cols, NHC_INVALID_FORMAT,
            cat(where, ".", ldKey, ": ", ref.ld, " is less than the ", cols,
                " columns of ", key));
  // Row r spans [offset + r*ld, offset + r*ld + cols); with ld <= unitElems
  // and offset + cols <= unitElems it fits for every row count. The offset
  // is untrusted: offset + cols must not wrap around.
  NHC_CHECK(ref.ld <= unitElems && rangeWithin(ref.offset, cols, unitElems),
            NHC_INVALID_FORMAT,
            cat(where, ": ", key, " (", offsetKey, " ", ref.offset, ", ",
                ldKey, " ", ref.ld, ", ", cols, " columns) does not fit in ",
                what));
  return ref;
}

Activation parseActivation(const Json &value, const std::string &where) {
  std::string name = asString(value, where);
  std::optional<Activation> act = activationFromName(name);
  NHC_CHECK(act.has_value(), NHC_INVALID_FORMAT,
            cat(where, ": '", name, "' is not one of ", activationNames()));
  return *act;
}

/// A weight that must be f32-convertible with exactly `shape`.
void checkWeightShape(const PlanContext &ctx, size_t weight,
                      const std::vector<uint64_t> &shape,
                      const std::string &where) {
  const TensorSpec &spec = ctx.manifest.weights[weight];
  NHC_CHECK(spec.shape == shape, NHC_INVALID_FORMAT,
            cat(where, ": weight '", spec.name, "' has shape ",
                shapeToString(spec.shape), ", expected ",
                shapeToString(shape)));
}

/// The weight `name`, which must hold one float (an FP8 scale).
size_t scalarWeight(const PlanContext &ctx, const std::string &name,
                    const std::string &where) {
  size_t index = ctx.weight(name, where);
  const TensorSpec &spec = ctx.manifest.weights[index];
  std::optional<uint64_t> elems = checkedProductOf(spec.shape);
  NHC_CHECK(elems == uint64_t(1) && spec.dtype == NHC_DTYPE_F32, NHC_INVALID_FORMAT,
            cat(where, ": weight '", spec.name, "' must be one F32 element (a "
                       "per-tensor scale), found ",
                nhc_dtype_name(spec.dtype), " ", shapeToString(spec.shape)));
  // Binding proves "positive" weights positive, normal and at most
  // sqrt(FLT_MAX) / 448; a scale that is
  // not would quantize everything to +-448 or NaN.
  NHC_CHECK(spec.positive, NHC_INVALID_FORMAT,
            cat(where, ": weight '", spec.name,
                "' is a scale, so the manifest must mark it \"positive\""));
  return index;
}

/// A weight named by `value` that holds one float (an FP8 scale).
size_t scalarWeight(const PlanContext &ctx, const Json &value,
                    const std::string &where) {
  return scalarWeight(ctx, asString(value, where), where);
}

/// Per-expert weights ("...experts.{e}.up_proj.weight", each `shape`) or
/// one stacked tensor ([E] + shape) when the name has no "{e}".
std::vector<size_t> expertWeights(const PlanContext &ctx, const Json &entry,
                                  const char *key, uint64_t experts,
                                  const std::vector<uint64_t> &shape,
                                  bool &stacked, const std::string &where) {
  std::string at = cat(where, ".", key);
  std::string pattern = asString(requireField(entry, key, where), at);
  size_t hole = pattern.find(schema::value::kExpertIndex);
  std::vector<size_t> out;
  if (hole == std::string::npos) {
    stacked = true;
    out.push_back(ctx.weight(pattern, at));
    std::vector<uint64_t> full = {experts};
    full.insert(full.end(), shape.begin(), shape.end());
    checkWeightShape(ctx, out.back(), full, at);
    return out;
  }
  stacked = false;
  for (uint64_t e = 0; e < experts; ++e) {
    out.push_back(ctx.weight(schema::expertName(pattern, e), at));
    checkWeightShape(ctx, out.back(), shape, at);
  }
  return out;
}

/// The per-expert scales of an FP8 projection: entry[key] is
/// [input_scale, weight_scale] name patterns with {e}.
void expertScales(const PlanContext &ctx, const Json &entry, const char *key,
                  uint64_t experts, std::vector<size_t> &inputScale,
                  std::vector<size_t> &weightScale, const std::string &where) {
  std::string at = cat(where, ".", key);
  const Json &patterns = requireField(entry, key, where);
  NHC_CHECK(patterns.is_array() && patterns.size() == 2, NHC_INVALID_FORMAT,
            cat(at, ": expected [input_scale, weight_scale], found ",
                previewJson(patterns)));
  std::vector<size_t> *out[2] = {&inputScale, &weightScale};
  for (size_t i = 0; i < 2; ++i) {
    std::string patternAt = cat(at, "[", i, "]");
    std::string pattern = asString(patterns[i], patternAt);
    NHC_CHECK(pattern.find(schema::value::kExpertIndex) != std::string::npos,
              NHC_INVALID_FORMAT,
              cat(patternAt, ": '", pattern, "' has no ",
                  schema::value::kExpertIndex, " for the expert index"));
    out[i]->clear();
    for (uint64_t e = 0; e < experts; ++e)
      out[i]->push_back(
          scalarWeight(ctx, schema::expertName(pattern, e), patternAt));
  }
}

/// A per-token buffer of `dtype` with exactly `elems` elements per token.
size_t rowBuffer(const PlanContext &ctx, const Json &entry, const char *key,
                 ElemType dtype, uint64_t elems, const std::string &where) {
  std::string at = cat(where, ".", key);
  size_t index =
      ctx.buffer(asString(requireField(entry, key, where), at), at);
  const BufferSpec &spec = ctx.bufferSpec(index);
  NHC_CHECK(spec.per == Per::Token && spec.dtype == dtype &&
                spec.elems == elems,
            NHC_INVALID_FORMAT,
            cat(at, ": buffer '", spec.name, "' must be per token, ",
                elemTypeName(dtype), ", ", elems, " elements; found per ",
                spec.per == Per::Token ? "token" : "request", ", ",
                elemTypeName(spec.dtype), ", ", spec.elems, " elements"));
  return index;
}

} // namespace

ScheduleEntry parseGemm(const PlanContext &ctx, const Json &entry,
                        ScheduleKind schedule, const std::string &where) {
  ScheduleEntry out;
  out.kind = EntryKind::Gemm;
  out.where = where;
  GemmCall &g = out.gemm;
  g.n = requirePositive(entry, schema::key::kN, where);
  g.k = requirePositive(entry, schema::key::kK, where);
  g.accumulate = optionalBool(entry, schema::key::kAccumulate, false, where);
  if (entry.contains(schema::key::kEpilogue))
    g.epilogue = parseActivation(entry[schema::key::kEpilogue],
                                 cat(where, ".", schema::key::kEpilogue));
  std::string m = schema::value::kDimTokens;
  if (entry.contains(schema::key::kM))
    m = asString(entry[schema::key::kM], cat(where, ".", schema::key::kM));
  if (m == schema::value::kDimTokens)
    g.rows = Rows::Tokens;
  else if (m == schema::value::kDimRequests)
    g.rows = Rows::Requests;
  else
    throw Error(NHC_INVALID_FORMAT,
                cat(where, ".m: '", m, "' is not 'tokens' or 'requests'"));
  g.a = parseMatrix(ctx, entry, schema::key::kA, g.k, g.rows, schedule, where);
  g.c = parseMatrix(ctx, entry, schema::key::kC, g.n, g.rows, schedule, where);
  // Logits rows are the caller's output: every column is written, so no
  // row ever shows values that no computation produced.
  NHC_CHECK(!g.c.logits ||
                (g.c.offset == 0 && g.n == ctx.manifest.model.vocab_size),
            NHC_INVALID_FORMAT,
            cat(where, ": a gemm into the logits must write all ",
                ctx.manifest.model.vocab_size, " columns (c_offset 0, n = "
                "vocab_size); found c_offset ", g.c.offset, ", n ", g.n));
  // A gemm (oneDNN's sgemm, as BLAS) may not read A while writing C.
  NHC_CHECK(g.c.logits || g.a.buffer != g.c.buffer, NHC_INVALID_FORMAT,
            cat(where, ": a and c are the same buffer '",
                ctx.bufferSpec(g.a.buffer).name, "'"));
  // head_all's logits are the caller's rows, one per token: a gemm of one
  // row per request would leave the other tokens' rows unwritten
  // (head_last's, one per request, take no other count: parseMatrix).
  if (schedule == ScheduleKind::HeadAll && g.c.logits)
    NHC_CHECK(g.rows == Rows::Tokens, NHC_INVALID_FORMAT,
              cat(where, ".m: head_all logits have one row per token; "
                         "set \"m\": \"tokens\""));
  std::string wAt = cat(where, ".", schema::key::kW);
  std::string w = asString(requireField(entry, schema::key::kW, where), wAt);
  g.weight = ctx.weight(w, wAt);
  checkWeightShape(ctx, g.weight, {g.n, g.k}, wAt);
  if (entry.contains(schema::key::kBias)) {
    std::string biasAt = cat(where, ".", schema::key::kBias);
    std::string bias = asString(entry[schema::key::kBias], biasAt);
    g.bias = ctx.weight(bias, biasAt);
    g.hasBias = true;
    checkWeightShape(ctx, g.bias, {g.n}, biasAt);
  }
  bool fp8 = ctx.manifest.weights[g.weight].dtype == NHC_DTYPE_F8_E4M3;
  if (entry.contains(schema::key::kScale)) {
    const Json &scale = entry[schema::key::kScale];
    NHC_CHECK(scale.is_array() && scale.size() == 2, NHC_INVALID_FORMAT,
              cat(where, ".scale: expected [input_scale, weight_scale], found ",
                  previewJson(scale)));
    NHC_CHECK(!g.accumulate, NHC_INVALID_FORMAT,
              cat(where, ": a scaled (FP8) gemm cannot accumulate"));
    g.scaled = true;
    std::string scaleAt = cat(where, ".", schema::key::kScale);
    g.inputScale = scalarWeight(ctx, scale[0], scaleAt + "[0]");
    g.weightScale = scalarWeight(ctx, scale[1], scaleAt + "[1]");
  }
  // An e4m3 product is meaningless without its scales, and scales belong to
  // e4m3 weights only.
  NHC_CHECK(fp8 == g.scaled, NHC_INVALID_FORMAT,
            cat(where, fp8 ? ": the F8_E4M3 weight '" : ": weight '",
                ctx.manifest.weights[g.weight].name,
                fp8 ? "' needs \"scale\": [input_scale, weight_scale]"
                    : "' is not F8_E4M3, so the gemm takes no \"scale\""));
  if (entry.contains(schema::key::kQuantizeOutput)) {
    g.quantizeOutput = true;
    g.outputScale =
        scalarWeight(ctx, entry[schema::key::kQuantizeOutput],
                     cat(where, ".", schema::key::kQuantizeOutput));
    NHC_CHECK(!g.c.logits, NHC_INVALID_FORMAT,
              cat(where, ".quantize_output: logits are never quantized"));
    NHC_CHECK(!g.accumulate, NHC_INVALID_FORMAT,
              cat(where, ".quantize_output: a quantizing gemm cannot "
                         "accumulate"));
  }
  return out;
}

ScheduleEntry parseEmbedding(const PlanContext &ctx, const Json &entry,
                             ScheduleKind schedule, const std::string &where) {
  ScheduleEntry out;
  out.kind = EntryKind::Embedding;
  out.where = where;
  EmbeddingCall &e = out.embedding;
  NHC_CHECK(schedule == ScheduleKind::Body, NHC_INVALID_FORMAT,
            cat(where, ": embedding belongs in the body schedule"));
  e.hidden = requirePositive(entry, schema::key::kHidden, where, kMaxHidden,
                             "nhc::kMaxHidden");
  std::string at = cat(where, ".", schema::key::kTable);
  e.table = ctx.weight(
      asString(requireField(entry, schema::key::kTable, where), at), at);
  const TensorSpec &table = ctx.manifest.weights[e.table];
  // Token ids are checked against vocab_size before a step runs, so every
  // id names a row when the table has at least that many.
  const uint64_t vocab = ctx.manifest.model.vocab_size;
  NHC_CHECK(table.shape.size() == 2 && table.shape[1] == e.hidden &&
                table.shape[0] >= vocab,
            NHC_INVALID_FORMAT,
            cat(at, ": weight '", table.name, "' has shape ",
                shapeToString(table.shape), "; the embedding needs [rows >= ",
                vocab, " (vocab_size), ", e.hidden, "]"));
  NHC_CHECK(isConvertibleFloat(table.dtype), NHC_INVALID_FORMAT,
            cat(at, ": weight '", table.name, "' is ",
                nhc_dtype_name(table.dtype), "; the embedding reads a float "
                "table (F32, BF16, F16)"));
  e.output = rowBuffer(ctx, entry, schema::key::kOutput, ElemType::F32,
                       e.hidden, where);
  return out;
}

ScheduleEntry parseMoeExperts(const PlanContext &ctx, const Json &entry,
                              const std::string &where) {
  ScheduleEntry out;
  out.kind = EntryKind::MoeExperts;
  out.where = where;
  MoeCall &moe = out.moe;
  // Bounded before anything is sized by them: the session allocates
  // per-expert tables and [T, hidden or intermediate] gather buffers.
  moe.numExperts = requirePositive(entry, schema::key::kNumExperts, where,
                                   kMaxExperts, "nhc::kMaxExperts");
  moe.topK = requirePositive(entry, schema::key::kTopK, where, kMaxTopK,
                             "nhc::kMaxTopK");
  moe.hidden = requirePositive(entry, schema::key::kHidden, where, kMaxHidden,
                               "nhc::kMaxHidden");
  moe.intermediate =
      requirePositive(entry, schema::key::kIntermediate, where,
                      kMaxIntermediate, "nhc::kMaxIntermediate");
  NHC_CHECK(moe.topK <= moe.numExperts, NHC_INVALID_FORMAT,
            cat(where, ".top_k: ", moe.topK, " exceeds num_experts ",
                moe.numExperts));
  std::string activationWhere = cat(where, ".", schema::key::kActivation);
  moe.activation = parseActivation(
      requireField(entry, schema::key::kActivation, where), activationWhere);
  // Expert MLPs are act(up(x)) then down: the activation is the model's, never
  // absent (docs/execution-model.md).
  NHC_CHECK(moe.activation != Activation::None, NHC_INVALID_FORMAT,
            cat(activationWhere, ": 'none' is not an expert activation"));
  moe.input = rowBuffer(ctx, entry, schema::key::kInput, ElemType::F32,
                        moe.hidden, where);
  moe.output = rowBuffer(ctx, entry, schema::key::kOutput, ElemType::F32,
                         moe.hidden, where);
  moe.indices = rowBuffer(ctx, entry, schema::key::kIndices, ElemType::I32,
                          moe.topK, where);
  moe.weights = rowBuffer(ctx, entry, schema::key::kWeights, ElemType::F32,
                          moe.topK, where);
  NHC_CHECK(moe.input != moe.output, NHC_INVALID_FORMAT,
            cat(where, ": input and output are the same buffer '",
                ctx.bufferSpec(moe.input).name, "'"));
  bool upStacked = false, downStacked = false;
  moe.up = expertWeights(ctx, entry, schema::key::kUp, moe.numExperts,
                         {moe.intermediate, moe.hidden}, upStacked, where);
  moe.down = expertWeights(ctx, entry, schema::key::kDown, moe.numExperts,
                           {moe.hidden, moe.intermediate}, downStacked, where);
  NHC_CHECK(upStacked == downStacked, NHC_INVALID_FORMAT,
            cat(where, ": 'up' and 'down' must both name per-expert tensors "
                       "(with {e}) or both stacked tensors"));
  moe.stacked = upStacked;
  // Either every expert weight is e4m3 and both projections carry their
  // scales, or none is and neither does.
  const TensorSpec &first = ctx.manifest.weights[moe.up.front()];
  const bool fp8 = first.dtype == NHC_DTYPE_F8_E4M3;
  for (const std::vector<size_t> *stack : {&moe.up, &moe.down})
    for (size_t index : *stack) {
      const TensorSpec &spec = ctx.manifest.weights[index];
      NHC_CHECK((spec.dtype == NHC_DTYPE_F8_E4M3) == fp8, NHC_INVALID_FORMAT,
                cat(where, ": expert weight '", spec.name, "' is ",
                    nhc_dtype_name(spec.dtype), " but '", first.name, "' is ",
                    nhc_dtype_name(first.dtype),
                    "; FP8 experts are all F8_E4M3 or none is"));
    }
  for (const char *key : {schema::key::kUpScale, schema::key::kDownScale})
    NHC_CHECK(entry.contains(key) == fp8, NHC_INVALID_FORMAT,
              cat(where, fp8 ? ": F8_E4M3 experts need \"" : ": experts that "
                               "are not F8_E4M3 take no \"",
                  key, "\": [input_scale, weight_scale]"));
  if (fp8) {
    NHC_CHECK(!moe.stacked, NHC_INVALID_FORMAT,
              cat(where, ": F8_E4M3 experts are per-expert tensors (with {e}), "
                         "each with its own scales, not stacked ones"));
    expertScales(ctx, entry, schema::key::kUpScale, moe.numExperts,
                 moe.upInputScale, moe.upWeightScale, where);
    expertScales(ctx, entry, schema::key::kDownScale, moe.numExperts,
                 moe.downInputScale, moe.downWeightScale, where);
  }
  return out;
}

} // namespace nhc::runtime
