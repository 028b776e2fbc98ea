//===- plan.cpp - Parse and validate buffers, kernels, schedules ----------===//
//
// Runs as part of manifest parsing, so a malformed plan fails the artifact
// load with the JSON path of the problem, before any session exists.
//
//===----------------------------------------------------------------------===//

#include "plan.h"

#include <cmath>
#include <limits>

#include "error.h"
#include "kernel_extents.h"
#include "manifest.h"
#include "nhc/format/manifest_schema.h"
#include "nhc/runtime/checked_math.h"
#include "nhc/runtime/limits.h"
#include "plan_parse.h"

namespace nhc::runtime {

/// The manifest's key names and fixed values, shared with the compiler.
namespace schema = ::nhc::format::manifest;

const char *scheduleName(ScheduleKind kind) {
  switch (kind) {
  case ScheduleKind::Body:
    return schema::value::kScheduleBody;
  case ScheduleKind::HeadLast:
    return schema::value::kScheduleHeadLast;
  case ScheduleKind::HeadAll:
    return schema::value::kScheduleHeadAll;
  }
  return "?";
}

nhc_dtype_t KernelSpec::stateDtype(size_t i) const {
  if (params[i] != ParamKind::Memref)
    return NHC_DTYPE_INVALID;
  if (elements.empty() || elements[i] == schema::value::kElemF32)
    return NHC_DTYPE_F32;
  if (elements[i] == schema::value::kElemI16) // bf16 bits
    return NHC_DTYPE_BF16;
  return NHC_DTYPE_INVALID; // i8, i32, i64: no state tensor has them
}

const char *elemTypeName(ElemType type) {
  switch (type) {
  case ElemType::F32:
    return "f32";
  case ElemType::I32:
    return "i32";
  case ElemType::I64:
    return "i64";
  }
  return "?";
}

uint64_t optionalUInt(const Json &obj, const char *key, uint64_t fallback,
                      const std::string &where) {
  auto it = obj.find(key);
  return it == obj.end() ? fallback : asUInt(*it, cat(where, ".", key));
}

bool optionalBool(const Json &obj, const char *key, bool fallback,
                  const std::string &where) {
  auto it = obj.find(key);
  if (it == obj.end())
    return fallback;
  NHC_CHECK(it->is_boolean(), NHC_INVALID_FORMAT,
            cat(where, ".", key, ": expected true or false, found ",
                boundedDump(*it)));
  return it->get<bool>();
}

int64_t asInt64(const Json &value, const std::string &where) {
  if (value.is_number_integer() && !value.is_number_unsigned())
    return value.get<int64_t>();
  if (value.is_number_unsigned() &&
      value.get<uint64_t>() <=
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return static_cast<int64_t>(value.get<uint64_t>());
  throw Error(NHC_INVALID_FORMAT,
              cat(where, ": expected a 64-bit integer, found ", boundedDump(value)));
}

float asF32(const Json &value, const std::string &where) {
  if (value.is_number())
    return value.get<float>();
  if (value.is_string()) {
    const std::string &text = value.get_ref<const std::string &>();
    if (text == schema::value::kF32Inf)
      return std::numeric_limits<float>::infinity();
    if (text == schema::value::kF32NegInf)
      return -std::numeric_limits<float>::infinity();
    if (text == schema::value::kF32NaN)
      return std::numeric_limits<float>::quiet_NaN();
  }
  throw Error(NHC_INVALID_FORMAT,
              cat(where, ": expected a number or \"inf\", \"-inf\", \"nan\", "
                         "found ",
                  boundedDump(value)));
}

size_t PlanContext::buffer(const std::string &name,
                           const std::string &where) const {
  auto it = buffers.find(name);
  NHC_CHECK(it != buffers.end(), NHC_INVALID_FORMAT,
            cat(where, ": unknown buffer '", name,
                "' (not listed in the manifest's 'buffers')"));
  return it->second;
}

size_t PlanContext::weight(const std::string &name,
                           const std::string &where) const {
  auto it = weights.find(name);
  NHC_CHECK(it != weights.end(), NHC_INVALID_FORMAT,
            cat(where, ": unknown weight '", name,
                "' (not listed in the manifest's 'weights')"));
  return it->second;
}

size_t PlanContext::state(const std::string &name,
                          const std::string &where) const {
  auto it = states.find(name);
  NHC_CHECK(it != states.end(), NHC_INVALID_FORMAT,
            cat(where, ": unknown state tensor '", name,
                "' (not listed in the manifest's 'state')"));
  return it->second;
}

namespace {

/// Largest `times` of a {"dim": ..., "times": N} argument.
constexpr uint64_t kMaxDimTimes = uint64_t{1} << 32;

const Json *optionalArray(const Json &root, const char *key,
                          const std::string &where) {
  auto it = root.find(key);
  if (it == root.end())
    return nullptr;
  NHC_CHECK(it->is_array(), NHC_INVALID_FORMAT,
            cat(where, ": ", key, ": expected an array"));
  return &*it;
}

void parseBuffers(const Json &root, const std::string &where,
                  PlanContext &ctx) {
  const Json *buffers = optionalArray(root, schema::key::kBuffers, where);
  if (!buffers)
    return;
  requireAtMost(buffers->size(), kMaxBuffers, "nhc::kMaxBuffers",
                cat(where, ": buffers: the number of entries"));
  for (size_t i = 0; i < buffers->size(); ++i) {
    std::string at = cat(where, ": buffers[", i, "]");
    const Json &entry = (*buffers)[i];
    BufferSpec spec;
    spec.name =
        asName(requireField(entry, schema::key::kName, at), at + ".name");
    NHC_CHECK(!spec.name.empty(), NHC_INVALID_FORMAT,
              at + ".name: must not be empty");
    // gemm operands spell the logits output "logits".
    NHC_CHECK(spec.name != schema::value::kLogits, NHC_INVALID_FORMAT,
              at + ".name: 'logits' is reserved for the logits output");
    std::string per =
        asString(requireField(entry, schema::key::kPer, at), at + ".per");
    if (per == schema::value::kPerToken)
      spec.per = Per::Token;
    else if (per == schema::value::kPerRequest)
      spec.per = Per::Request;
    else
      throw Error(NHC_INVALID_FORMAT, cat(at, ".per: '", per,
                                          "' is not 'token' or 'request'"));
    spec.elems =
        asUInt(requireField(entry, schema::key::kElems, at), at + ".elems");
    NHC_CHECK(spec.elems > 0, NHC_INVALID_FORMAT,
              at + ".elems: must be positive, found 0");
    NHC_CHECK(spec.elems <= kMaxBufferElems, NHC_INVALID_FORMAT,
              cat(at, ".elems: ", spec.elems, " exceeds the limit ",
                  kMaxBufferElems, " (nhc::kMaxBufferElems)"));
    std::string dtype =
        asString(requireField(entry, schema::key::kDtype, at), at + ".dtype");
    // Both spellings: lower case (execution-model.md) and the safetensors
    // style the compiler writes ("F32").
    if (dtype == "f32" || dtype == "F32")
      spec.dtype = ElemType::F32;
    else if (dtype == "i32" || dtype == "I32")
      spec.dtype = ElemType::I32;
    else if (dtype == "i64" || dtype == "I64")
      spec.dtype = ElemType::I64;
    else
      throw Error(NHC_INVALID_FORMAT,
                  cat(at, ".dtype: '", dtype,
                      "' is not 'f32', 'i32' or 'i64' (or F32, I32, I64)"));
    auto [it, inserted] = ctx.buffers.emplace(spec.name, i);
    NHC_CHECK(inserted, NHC_INVALID_FORMAT,
              cat(at, ".name: buffer '", spec.name,
                  "' listed twice (also buffers[", it->second, "])"));
    ctx.plan.buffers.push_back(std::move(spec));
  }
}

ParamKind parseParamKind(const Json &value, const std::string &where) {
  std::string kind = asString(value, where);
  if (kind == schema::value::kParamMemRef)
    return ParamKind::Memref;
  if (kind == schema::value::kParamIndex)
    return ParamKind::Index;
  if (kind == schema::value::kParamF32)
    return ParamKind::F32;
  throw Error(NHC_INVALID_FORMAT, cat(where, ": parameter kind '", kind,
                                      "' is not 'memref', 'index' or 'f32'"));
}

/// KernelSpec::elements from `param_elements` (optional).
void parseParamElements(const Json &entry, KernelSpec &spec,
                        const std::string &at) {
  const std::vector<ParamKind> &params = spec.params;
  const Json *elements =
      optionalArray(entry, schema::key::kParamElements, at);
  if (!elements)
    return;
  spec.elements.assign(params.size(), "");
  NHC_CHECK(elements->size() == params.size(), NHC_INVALID_FORMAT,
            cat(at, ".param_elements: ", elements->size(),
                " entries for ", params.size(), " params"));
  namespace value = schema::value;
  for (size_t p = 0; p < params.size(); ++p) {
    std::string pat = cat(at, ".param_elements[", p, "]");
    const Json &element = (*elements)[p];
    if (params[p] != ParamKind::Memref) {
      NHC_CHECK(element.is_null(), NHC_INVALID_FORMAT,
                pat + ": a scalar parameter has no element type (null)");
      continue;
    }
    std::string name = asString(element, pat);
    NHC_CHECK(name == value::kElemF32 || name == value::kElemI8 ||
                  name == value::kElemI16 || name == value::kElemI32 ||
                  name == value::kElemI64,
              NHC_INVALID_FORMAT,
              cat(pat, ": ", boundedDump(element),
                  " is not f32, i8, i16, i32 or i64"));
    spec.elements[p] = name;
  }
}

void parseKernels(const Json &root, const std::string &where,
                  PlanContext &ctx) {
  const Json *kernels = optionalArray(root, schema::key::kKernels, where);
  if (!kernels)
    return;
  for (size_t i = 0; i < kernels->size(); ++i) {
    std::string at = cat(where, ": kernels[", i, "]");
    const Json &entry = (*kernels)[i];
    KernelSpec spec;
    // The symbol name + "_packed" goes to dlsym as a C string.
    spec.name =
        asName(requireField(entry, schema::key::kName, at), at + ".name");
    NHC_CHECK(!spec.name.empty(), NHC_INVALID_FORMAT,
              at + ".name: must not be empty");
    const Json &params = requireField(entry, schema::key::kParams, at);
    NHC_CHECK(params.is_array(), NHC_INVALID_FORMAT,
              at + ".params: expected an array");
    for (size_t p = 0; p < params.size(); ++p)
      spec.params.push_back(
          parseParamKind(params[p], cat(at, ".params[", p, "]")));
    parseParamElements(entry, spec, at);
    auto [it, inserted] = ctx.kernels.emplace(spec.name, i);
    NHC_CHECK(inserted, NHC_INVALID_FORMAT,
              cat(at, ".name: kernel '", spec.name,
                  "' listed twice (also kernels[", it->second, "])"));
    ctx.plan.kernels.push_back(std::move(spec));
  }
}

const char *paramKindName(ParamKind kind) {
  switch (kind) {
  case ParamKind::Memref:
    return schema::value::kParamMemRef;
  case ParamKind::Index:
    return schema::value::kParamIndex;
  case ParamKind::F32:
    return schema::value::kParamF32;
  }
  return "?";
}

ParamKind paramKindOf(ArgKind kind) {
  switch (kind) {
  case ArgKind::Dim:
  case ArgKind::Index:
    return ParamKind::Index;
  case ArgKind::F32:
    return ParamKind::F32;
  default:
    return ParamKind::Memref;
  }
}

/// {"state": NAME}: the named state tensor of every slot, slot-major.
KernelArg parseStateArg(const PlanContext &ctx, const Json &arg,
                        const std::string &at) {
  KernelArg out;
  out.kind = ArgKind::State;
  out.ref = ctx.state(asName(arg[schema::key::kState], at + ".state"),
                      at + ".state");
  return out;
}

KernelArg parseDimArg(const Json &arg, const std::string &at) {
  KernelArg out;
  out.kind = ArgKind::Dim;
  std::string dim = asString(arg[schema::key::kDim], at + ".dim");
  if (dim == schema::value::kDimTokens)
    out.dim = DimKind::Tokens;
  else if (dim == schema::value::kDimRequests)
    out.dim = DimKind::Requests;
  else if (dim == schema::value::kDimMaxSeqLen)
    out.dim = DimKind::MaxSeqLen;
  else if (dim == schema::value::kDimMaxSlots)
    out.dim = DimKind::MaxSlots;
  else if (dim == schema::value::kDimGemmPrecision)
    out.dim = DimKind::GemmPrecision;
  else
    throw Error(NHC_INVALID_FORMAT,
                cat(at, ".dim: '", dim,
                    "' is not 'tokens', 'requests', 'max_seq_len', "
                    "'max_slots' or 'gemm_precision'"));
  if (arg.contains(schema::key::kTimes)) {
    NHC_CHECK(out.dim != DimKind::GemmPrecision, NHC_INVALID_FORMAT,
              cat(at, ".times: 'gemm_precision' is not a size and takes no "
                      "'times'"));
    out.times = asInt64(arg[schema::key::kTimes], at + ".times");
    NHC_CHECK(out.times > 0, NHC_INVALID_FORMAT,
              cat(at, ".times: must be positive, found ", out.times));
    // Every dim is below 2^31 (tokens <= max_slots * max_seq_len <=
    // INT_MAX), so dim * times stays below 2^63 in the kernel's int64.
    requireAtMost(static_cast<uint64_t>(out.times), kMaxDimTimes,
                  "2^32, so that dim * times fits in 64 bits",
                  at + ".times");
  }
  return out;
}

void requireTrue(const Json &arg, const char *key, const std::string &at) {
  NHC_CHECK(arg[key].is_boolean() && arg[key].get<bool>(), NHC_INVALID_FORMAT,
            cat(at, ".", key, ": expected true, found ", boundedDump(arg[key])));
}

/// One {"buffer": ...} / {"weight": ...} / ... object.
KernelArg parseKernelArg(const PlanContext &ctx, const Json &arg,
                         ScheduleKind schedule, const std::string &at) {
  requireObject(arg, at);
  namespace key = schema::key;
  static const char *const kForms[] = {
      key::kBuffer,   key::kWeight,   key::kState,
      key::kRequests, key::kTokenIds, key::kLogits,
      key::kDim,      key::kIndex,    key::kF32};
  const char *form = nullptr;
  for (const char *candidate : kForms) {
    if (!arg.contains(candidate))
      continue;
    NHC_CHECK(form == nullptr, NHC_INVALID_FORMAT,
              cat(at, ": has both '", form, "' and '", candidate,
                  "'; an argument has exactly one form"));
    form = candidate;
  }
  NHC_CHECK(form != nullptr, NHC_INVALID_FORMAT,
            cat(at, ": expected one of buffer, weight, state, requests, "
                    "token_ids, logits, dim, index, f32; found ",
                boundedDump(arg)));
  std::string formKey = form;
  KernelArg out;
  if (formKey == key::kBuffer) {
    out.kind = ArgKind::Buffer;
    out.ref = ctx.buffer(asString(arg[form], at + ".buffer"), at);
  } else if (formKey == key::kWeight) {
    out.kind = ArgKind::Weight;
    out.ref = ctx.weight(asString(arg[form], at + ".weight"), at);
  } else if (formKey == key::kState) {
    out = parseStateArg(ctx, arg, at);
  } else if (formKey == key::kRequests) {
    requireTrue(arg, form, at);
    out.kind = ArgKind::Requests;
  } else if (formKey == key::kTokenIds) {
    requireTrue(arg, form, at);
    out.kind = ArgKind::TokenIds;
  } else if (formKey == key::kLogits) {
    requireTrue(arg, form, at);
    NHC_CHECK(schedule != ScheduleKind::Body, NHC_INVALID_FORMAT,
              cat(at, ": the logits output exists only in head_last and "
                      "head_all, not in body"));
    out.kind = ArgKind::Logits;
  } else if (formKey == key::kDim) {
    out = parseDimArg(arg, at);
  } else if (formKey == key::kIndex) {
    out.kind = ArgKind::Index;
    out.index = asInt64(arg[form], at + ".index");
  } else {
    out.kind = ArgKind::F32;
    out.f32 = asF32(arg[form], at + ".f32");
  }
  return out;
}

/// The element type a memref argument other than a state holds, as
/// `param_elements` spells it: a buffer's dtype, f32 weights (kernels read
/// them widened) and logits, the i64 request table, i32 token ids.
const char *argElements(const PlanContext &ctx, const KernelArg &arg) {
  switch (arg.kind) {
  case ArgKind::Buffer:
    return elemTypeName(ctx.bufferSpec(arg.ref).dtype);
  case ArgKind::Requests:
    return schema::value::kElemI64;
  case ArgKind::TokenIds:
    return schema::value::kElemI32;
  default: // Weight, Logits
    return schema::value::kElemF32;
  }
}

ScheduleEntry parseKernelEntry(const PlanContext &ctx, const Json &entry,
                               ScheduleKind schedule,
                               const std::string &where) {
  ScheduleEntry out;
  out.kind = EntryKind::Kernel;
  out.where = where;
  std::string name = asString(requireField(entry, schema::key::kKernel, where),
                              where + ".kernel");
  auto it = ctx.kernels.find(name);
  NHC_CHECK(it != ctx.kernels.end(), NHC_INVALID_FORMAT,
            cat(where, ".kernel: unknown kernel '", name,
                "' (not listed in the manifest's 'kernels')"));
  out.kernel.kernel = it->second;
  const KernelSpec &spec = ctx.plan.kernels[it->second];
  const Json &args = requireField(entry, schema::key::kArgs, where);
  NHC_CHECK(args.is_array(), NHC_INVALID_FORMAT,
            where + ".args: expected an array");
  NHC_CHECK(args.size() == spec.params.size(), NHC_INVALID_FORMAT,
            cat(where, ".args: kernel '", name, "' takes ",
                spec.params.size(), " arguments, found ", args.size()));
  for (size_t i = 0; i < args.size(); ++i) {
    std::string at = cat(where, ".args[", i, "]");
    KernelArg arg = parseKernelArg(ctx, args[i], schedule, at);
    ParamKind want = spec.params[i];
    NHC_CHECK(paramKindOf(arg.kind) == want, NHC_INVALID_FORMAT,
              cat(at, ": kernel '", name, "' parameter ", i, " is ",
                  paramKindName(want), ", but the argument ", boundedDump(args[i]),
                  " is ", paramKindName(paramKindOf(arg.kind))));
    // A state's dtype is checked against its pool (kernelStateTensors).
    if (!spec.elements.empty() && want == ParamKind::Memref &&
        arg.kind != ArgKind::State) {
      const char *got = argElements(ctx, arg);
      NHC_CHECK(spec.elements[i] == got, NHC_INVALID_FORMAT,
                cat(at, ": kernel '", name, "' parameter ", i, " takes ",
                    spec.elements[i], " elements, but the argument ",
                    boundedDump(args[i]), " has ", got));
    }
    out.kernel.args.push_back(arg);
  }
  checkKernelContract(ctx, spec, out.kernel, schedule, where);
  return out;
}

std::vector<ScheduleEntry> parseSchedule(const PlanContext &ctx,
                                         const Json &schedules,
                                         ScheduleKind kind,
                                         const std::string &where) {
  std::string at = cat(where, ".", scheduleName(kind));
  const Json &list = requireField(schedules, scheduleName(kind), where);
  NHC_CHECK(list.is_array(), NHC_INVALID_FORMAT, at + ": expected an array");
  requireAtMost(list.size(), kMaxScheduleEntries, "nhc::kMaxScheduleEntries",
                at + ": the number of entries");
  std::vector<ScheduleEntry> entries;
  entries.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    std::string entryAt = cat(at, "[", i, "]");
    const Json &entry = list[i];
    requireObject(entry, entryAt);
    bool isKernel = entry.contains(schema::key::kKernel);
    bool isLibrary = entry.contains(schema::key::kLibrary);
    NHC_CHECK(isKernel != isLibrary, NHC_INVALID_FORMAT,
              cat(entryAt, ": an entry has exactly one of 'kernel' and "
                           "'library'"));
    if (isKernel) {
      entries.push_back(parseKernelEntry(ctx, entry, kind, entryAt));
      continue;
    }
    std::string library =
        asString(entry[schema::key::kLibrary], entryAt + ".library");
    if (library == schema::value::kLibraryGemm)
      entries.push_back(parseGemm(ctx, entry, kind, entryAt));
    else if (library == schema::value::kLibraryMoEExperts)
      entries.push_back(parseMoeExperts(ctx, entry, entryAt));
    else if (library == schema::value::kLibraryEmbedding)
      entries.push_back(parseEmbedding(ctx, entry, kind, entryAt));
    else
      throw Error(NHC_INVALID_FORMAT,
                  cat(entryAt, ".library: unknown library operation '",
                      library, "' (known: gemm, moe_experts, embedding)"));
  }
  return entries;
}

} // namespace

namespace {

/// `taps`: optional; each a per-token f32 range of a buffer, read after a
/// body entry. Proven in bounds here, like a gemm operand.
std::vector<TapPoint> parseTaps(const PlanContext &ctx, const Json &root,
                                const std::string &where) {
  std::vector<TapPoint> taps;
  auto it = root.find(schema::key::kTaps);
  if (it == root.end())
    return taps;
  std::string at = where + ": taps";
  NHC_CHECK(it->is_array(), NHC_INVALID_FORMAT,
            cat(at, ": expected an array, found ", previewJson(*it)));
  NHC_CHECK(it->size() <= 4 * kMaxLayers + 2, NHC_INVALID_FORMAT,
            cat(at, ": ", it->size(), " entries exceed the limit ",
                4 * kMaxLayers + 2));
  for (size_t i = 0; i < it->size(); ++i) {
    std::string tapAt = cat(at, "[", i, "]");
    const Json &entry = (*it)[i];
    requireObject(entry, tapAt);
    TapPoint tap;
    std::string kind = asString(requireField(entry, schema::key::kKind, tapAt),
                                tapAt + ".kind");
    if (kind == schema::value::kTapEmbeddings)
      tap.kind = TapKind::Embeddings;
    else if (kind == schema::value::kTapResidual)
      tap.kind = TapKind::Residual;
    else if (kind == schema::value::kTapMixer)
      tap.kind = TapKind::Mixer;
    else if (kind == schema::value::kTapFinalNorm)
      tap.kind = TapKind::FinalNorm;
    else
      throw Error(NHC_INVALID_FORMAT,
                  cat(tapAt, ".kind: '", kind,
                      "' is not embeddings, residual, mixer or final_norm"));
    if (tap.kind == TapKind::Residual || tap.kind == TapKind::Mixer) {
      uint64_t layer = asUInt(requireField(entry, schema::key::kLayer, tapAt),
                              tapAt + ".layer");
      NHC_CHECK(layer < ctx.manifest.model.num_layers, NHC_INVALID_FORMAT,
                cat(tapAt, ".layer: ", layer, " is out of range (num_layers ",
                    ctx.manifest.model.num_layers, ")"));
      tap.layer = static_cast<uint32_t>(layer);
    }
    tap.buffer = ctx.buffer(asString(requireField(entry, schema::key::kBuffer,
                                                  tapAt),
                                     tapAt + ".buffer"),
                            tapAt + ".buffer");
    const BufferSpec &spec = ctx.bufferSpec(tap.buffer);
    NHC_CHECK(spec.per == Per::Token && spec.dtype == ElemType::F32,
              NHC_INVALID_FORMAT,
              cat(tapAt, ".buffer: '", spec.name,
                  "' must be a per-token f32 buffer"));
    tap.offset = asUInt(requireField(entry, schema::key::kOffset, tapAt),
                        tapAt + ".offset");
    tap.ld =
        asUInt(requireField(entry, schema::key::kLd, tapAt), tapAt + ".ld");
    tap.width = asUInt(requireField(entry, schema::key::kWidth, tapAt),
                       tapAt + ".width");
    NHC_CHECK(tap.width == ctx.manifest.model.hidden_size, NHC_INVALID_FORMAT,
              cat(tapAt, ".width: ", tap.width, " is not hidden_size ",
                  ctx.manifest.model.hidden_size));
    // Row t spans [offset + t*ld, offset + t*ld + width): inside row unit t
    // of the buffer for every t when ld <= elems and the range fits a unit.
    NHC_CHECK(tap.ld <= spec.elems && rangeWithin(tap.offset, tap.width,
                                                  spec.elems),
              NHC_INVALID_FORMAT,
              cat(tapAt, ": offset ", tap.offset, ", ld ", tap.ld, " and ",
                  tap.width, " columns do not fit in buffer '", spec.name,
                  "' (", spec.elems, " elements per token)"));
    uint64_t after = asUInt(requireField(entry, schema::key::kAfter, tapAt),
                            tapAt + ".after");
    NHC_CHECK(after < ctx.plan.body.size(), NHC_INVALID_FORMAT,
              cat(tapAt, ".after: entry ", after,
                  " does not exist (the body has ", ctx.plan.body.size(),
                  " entries)"));
    tap.after = static_cast<size_t>(after);
    taps.push_back(tap);
  }
  return taps;
}

} // namespace

void parseExecutionPlan(const Json &root, const std::string &where,
                        nhc_manifest_t &manifest) {
  ExecutionPlan &plan = manifest.plan;
  PlanContext ctx{manifest, plan, {}, {}, {}, {}};
  for (size_t i = 0; i < manifest.weights.size(); ++i)
    ctx.weights.emplace(manifest.weights[i].name, i);
  for (size_t i = 0; i < manifest.state.size(); ++i)
    ctx.states.emplace(manifest.state[i].name, i);
  parseBuffers(root, where, ctx);
  parseKernels(root, where, ctx);

  auto it = root.find(schema::key::kSchedules);
  if (it == root.end()) {
    plan.legacySchedule = root.contains(schema::key::kLegacySchedule);
    return;
  }
  std::string at = where + ": schedules";
  requireObject(*it, at);
  plan.body = parseSchedule(ctx, *it, ScheduleKind::Body, at);
  plan.headLast = parseSchedule(ctx, *it, ScheduleKind::HeadLast, at);
  plan.headAll = parseSchedule(ctx, *it, ScheduleKind::HeadAll, at);
  plan.taps = parseTaps(ctx, root, where);
  plan.present = true;
}

int64_t dimValue(const KernelArg &arg, const DimValues &values) {
  switch (arg.dim) {
  case DimKind::Tokens:
    return static_cast<int64_t>(values.tokens) * arg.times;
  case DimKind::Requests:
    return static_cast<int64_t>(values.requests) * arg.times;
  case DimKind::MaxSeqLen:
    return static_cast<int64_t>(values.maxSeqLen) * arg.times;
  case DimKind::MaxSlots:
    return static_cast<int64_t>(values.maxSlots) * arg.times;
  case DimKind::GemmPrecision:
    return values.gemmPrecision;
  }
  return 0;
}

} // namespace nhc::runtime
