//===- kernel_extents.cpp - Contracts of the kernel library's kernels -----===//
//
// One function per kernel of lib/Kernels that plans call, in the order of
// docs/execution-model.md's kernel table. Each states the kernel's
// parameter kinds and what it indexes; Contract turns those statements into
// checks against the plan's buffers, weights and state tensors.
//
//===----------------------------------------------------------------------===//

#include "kernel_extents.h"

#include <iterator>
#include <map>
#include <optional>

#include "error.h"
#include "manifest.h"
#include "nhc/format/library_kernels.h"
#include "nhc/format/manifest_schema.h"
#include "nhc/runtime/checked_math.h"
#include "nhc/runtime/limits.h"

namespace nhc::runtime {
namespace {

namespace kernel = ::nhc::format::kernel;

/// How many rows a step gives a kernel: `times` per token or per request.
struct Count {
  Per per = Per::Token;
  uint64_t times = 1;
};

/// The step's tokens, for kernels that walk the request table (each
/// request's rows lie below the step's token count).
constexpr Count kStepTokens{Per::Token, 1};

/// What one memref argument offers per unit (a token or a request) or in
/// all (a weight).
struct Capacity {
  bool scales = true; // with the step: per token or per request
  Per per = Per::Token;
  uint64_t elems = 0;
};

class Contract {
public:
  Contract(const PlanContext &ctx, const KernelSpec &spec,
           const KernelCall &call, ScheduleKind schedule,
           const std::string &where, const char *elements)
      : ctx_(ctx), spec_(spec), call_(call), schedule_(schedule),
        where_(where), elements_(elements) {}

  /// The library kernel's parameter kinds, 'm' memref, 'i' index, 'f' f32,
  /// and the elements of its memrefs (the contract table's). A manifest
  /// without `param_elements` (an older compiler's) binds F32 state tensors
  /// only: right for the f32 kernels, whose elements the state check then
  /// covers, but not for a bf16 state form, which would stride an F32 pool
  /// as bf16 and reach one slot's state from another.
  void signature(const char *kinds) {
    const std::string elements = elements_;
    std::string got;
    for (ParamKind kind : spec_.params)
      got += kind == ParamKind::Memref  ? 'm'
             : kind == ParamKind::Index ? 'i'
                                        : 'f';
    NHC_CHECK(got == kinds, NHC_INVALID_FORMAT,
              cat(where_, ": kernel '", spec_.name,
                  "' of nhc's kernel library takes parameters '", kinds,
                  "' (m memref, i index, f f32), but the manifest declares '",
                  got, "'"));
    if (spec_.elements.empty()) {
      NHC_CHECK(elements.find('h') == std::string::npos, NHC_INVALID_FORMAT,
                cat(where_, ": kernel '", spec_.name,
                    "' reads bf16 state, so the manifest's kernels entry "
                    "must give its param_elements ('", elements, "')"));
      return;
    }
    namespace value = ::nhc::format::manifest::value;
    std::string gotElements;
    for (const std::string &e : spec_.elements)
      gotElements += e.empty()               ? '-'
                     : e == value::kElemF32 ? 'f'
                     : e == value::kElemI16 ? 'h'
                     : e == value::kElemI32 ? 'i'
                     : e == value::kElemI64 ? 'l'
                                            : '?';
    NHC_CHECK(gotElements == elements, NHC_INVALID_FORMAT,
              cat(where_, ": kernel '", spec_.name,
                  "' of nhc's kernel library takes elements '", elements,
                  "' (f f32, h i16, i i32, l i64, - scalar), but the "
                  "manifest's param_elements say '", gotElements, "'"));
  }

  /// Index argument `p`, a literal in [min, kMaxBufferElems].
  uint64_t size(size_t p, const char *name, uint64_t min = 1) {
    const KernelArg &arg = call_.args[p];
    NHC_CHECK(arg.kind == ArgKind::Index, NHC_INVALID_FORMAT,
              cat(at(p), ": kernel '", spec_.name, "' takes its ", name,
                  " as an {\"index\": N}"));
    NHC_CHECK(arg.index >= 0 && static_cast<uint64_t>(arg.index) >= min &&
                  static_cast<uint64_t>(arg.index) <= kMaxBufferElems,
              NHC_INVALID_FORMAT,
              cat(at(p), ": kernel '", spec_.name, "': ", name, " ",
                  arg.index, " is outside [", min, ", ", kMaxBufferElems,
                  "]"));
    return static_cast<uint64_t>(arg.index);
  }

  /// Index argument `p`, the step's tokens or requests (any `times`).
  Count count(size_t p, const char *name) {
    const KernelArg &arg = call_.args[p];
    NHC_CHECK(arg.kind == ArgKind::Dim && (arg.dim == DimKind::Tokens ||
                                           arg.dim == DimKind::Requests),
              NHC_INVALID_FORMAT,
              cat(at(p), ": kernel '", spec_.name, "' takes its ", name,
                  " as {\"dim\": \"tokens\"} or {\"dim\": \"requests\"} "
                  "(the rows its memrefs hold scale with the step)"));
    return {arg.dim == DimKind::Tokens ? Per::Token : Per::Request,
            static_cast<uint64_t>(arg.times)};
  }

  /// Index argument `p` is exactly `{"dim": NAME}`: a size the kernel
  /// indexes by (a grid, a cache length).
  void dim(size_t p, DimKind kind, const char *name) {
    const KernelArg &arg = call_.args[p];
    NHC_CHECK(arg.kind == ArgKind::Dim && arg.dim == kind && arg.times == 1,
              NHC_INVALID_FORMAT,
              cat(at(p), ": kernel '", spec_.name, "' takes {\"dim\": \"",
                  name, "\"} here"));
  }

  /// Memref argument `p` is the step's request table.
  void requestTable(size_t p) {
    NHC_CHECK(call_.args[p].kind == ArgKind::Requests, NHC_INVALID_FORMAT,
              cat(at(p), ": kernel '", spec_.name,
                  "' takes the request table ({\"requests\": true}) here"));
  }

  /// `a` divides `b` (a > 0: size() bounds it).
  void divides(uint64_t a, const char *aName, uint64_t b, const char *bName) {
    NHC_CHECK(b % a == 0, NHC_INVALID_FORMAT,
              cat(where_, ": kernel '", spec_.name, "': ", bName, " ", b,
                  " is not a multiple of ", aName, " ", a));
  }

  /// Index argument `p` is an activation code (nhc_conv_activate's): one
  /// past the dialect's list would pick an activation silently.
  void activationCode(size_t p) {
    atMost(size(p, "act", 0), "act",
           std::size(format::manifest::value::kActivations) - 1,
           "the last activation code");
  }

  void atMost(uint64_t a, const char *aName, uint64_t b, const char *bName) {
    NHC_CHECK(a <= b, NHC_INVALID_FORMAT,
              cat(where_, ": kernel '", spec_.name, "': ", aName, " ", a,
                  " exceeds ", bName, " ", b));
  }

  /// Memref `p` holds at least `elems` elements whatever the step.
  void fixed(size_t p, const char *what, uint64_t elems) {
    std::optional<Capacity> cap = capacity(p, what);
    NHC_CHECK(cap.has_value(), NHC_INVALID_FORMAT,
              cat(at(p), ": kernel '", spec_.name, "' reads ", what,
                  " as a buffer, weight or the logits, not a state tensor"));
    require(p, what, elems, *cap);
  }

  /// Memref `p` holds `rows` rows `stride` elements apart, the kernel
  /// reaching [offset, offset + width) of each. With `times` rows a unit:
  /// times * stride <= unit and (times - 1) * stride + offset + width <=
  /// unit cover every row of any step.
  void rows(size_t p, const char *what, Count rows, uint64_t width,
            std::optional<uint64_t> stride = std::nullopt,
            uint64_t offset = 0) {
    std::optional<Capacity> cap = capacity(p, what);
    NHC_CHECK(cap.has_value() && cap->scales, NHC_INVALID_FORMAT,
              cat(at(p), ": kernel '", spec_.name, "' reads ", what,
                  " per row of the step, so it takes a buffer (or the "
                  "logits), not a weight or a state tensor"));
    NHC_CHECK(rows.per == Per::Request || cap->per == Per::Token,
              NHC_INVALID_FORMAT,
              cat(at(p), ": kernel '", spec_.name, "' indexes ", what,
                  " per token, but ", argName(p), " holds one row per "
                  "request"));
    uint64_t step = stride.value_or(width);
    uint64_t reach = product({step, rows.times}, what);
    uint64_t last = sum({product({rows.times - 1, step}, what), offset, width},
                        what);
    require(p, what, std::max(reach, last), *cap);
  }

  /// Memref `p` is a state tensor of `elems` elements per slot: the
  /// kernel's slot stride, which must be the pool's so that slots stay apart.
  void slot(size_t p, const char *what, uint64_t elems) {
    const StateSpec &state = stateArg(p, what);
    NHC_CHECK(!state.perToken && state.rowElems == elems, NHC_INVALID_FORMAT,
              cat(at(p), ": kernel '", spec_.name, "' indexes ", what, " as ",
                  elems, " elements per slot, but state '", state.name,
                  "' is ", stateShapeToString(state)));
  }

  /// Memref `p` is a sequence state tensor: max_seq_len rows (index
  /// argument `maxSeq`, which must be that dim) of `width` elements.
  void slotRows(size_t p, const char *what, size_t maxSeq, uint64_t width) {
    dim(maxSeq, DimKind::MaxSeqLen, "max_seq_len");
    const StateSpec &state = stateArg(p, what);
    NHC_CHECK(state.perToken && state.rowElems == width, NHC_INVALID_FORMAT,
              cat(at(p), ": kernel '", spec_.name, "' indexes ", what,
                  " as max_seq_len rows of ", width,
                  " elements per slot, but state '", state.name, "' is ",
                  stateShapeToString(state)));
  }

  uint64_t product(std::initializer_list<uint64_t> factors, const char *what) {
    return fold(factors, 1, checkedMul, what);
  }

  uint64_t sum(std::initializer_list<uint64_t> terms, const char *what) {
    return fold(terms, 0, checkedAdd, what);
  }

private:
  /// `values` combined by `op` from `init`; an overflow is an error.
  uint64_t fold(std::initializer_list<uint64_t> values, uint64_t init,
                std::optional<uint64_t> (*op)(uint64_t, uint64_t),
                const char *what) {
    uint64_t out = init;
    for (uint64_t v : values) {
      std::optional<uint64_t> next = op(out, v);
      NHC_CHECK(next.has_value(), NHC_INVALID_FORMAT,
                cat(where_, ": kernel '", spec_.name, "': the extent of ",
                    what, " overflows 64 bits"));
      out = *next;
    }
    return out;
  }

  std::string at(size_t p) const { return cat(where_, ".args[", p, "]"); }

  std::string argName(size_t p) const {
    const KernelArg &arg = call_.args[p];
    switch (arg.kind) {
    case ArgKind::Buffer:
      return cat("buffer '", ctx_.bufferSpec(arg.ref).name, "'");
    case ArgKind::Weight:
      return cat("weight '", ctx_.manifest.weights[arg.ref].name, "'");
    case ArgKind::State:
      return cat("state '", ctx_.manifest.state[arg.ref].name, "'");
    case ArgKind::Logits:
      return "the logits";
    case ArgKind::TokenIds:
      return "the token ids";
    case ArgKind::Requests:
      return "the request table";
    default:
      return "a scalar";
    }
  }

  /// What memref argument `p` offers; none for a state tensor.
  std::optional<Capacity> capacity(size_t p, const char *what) const {
    const KernelArg &arg = call_.args[p];
    switch (arg.kind) {
    case ArgKind::Buffer: {
      const BufferSpec &buffer = ctx_.bufferSpec(arg.ref);
      return Capacity{true, buffer.per, buffer.elems};
    }
    case ArgKind::Weight: {
      // Bounded when the weights were parsed; an overflow holds nothing.
      std::optional<uint64_t> elems =
          checkedProductOf(ctx_.manifest.weights[arg.ref].shape);
      return Capacity{false, Per::Token, elems.value_or(0)};
    }
    case ArgKind::Logits:
      return Capacity{true,
                      schedule_ == ScheduleKind::HeadAll ? Per::Token
                                                         : Per::Request,
                      ctx_.manifest.model.vocab_size};
    case ArgKind::TokenIds: // the embedding's input: no kernel writes it
    case ArgKind::Requests:
      throw Error(NHC_INVALID_FORMAT,
                  cat(at(p), ": kernel '", spec_.name, "' indexes ", what,
                      " here, not ", argName(p)));
    default:
      return std::nullopt;
    }
  }

  const StateSpec &stateArg(size_t p, const char *what) const {
    const KernelArg &arg = call_.args[p];
    NHC_CHECK(arg.kind == ArgKind::State, NHC_INVALID_FORMAT,
              cat(at(p), ": kernel '", spec_.name, "' takes ", what,
                  " as a state tensor ({\"state\": NAME}), found ",
                  argName(p)));
    return ctx_.manifest.state[arg.ref];
  }

  void require(size_t p, const char *what, uint64_t need,
               const Capacity &have) {
    const char *unit = !have.scales              ? "call"
                       : have.per == Per::Token ? "token"
                                                : "request";
    NHC_CHECK(need <= have.elems, NHC_INVALID_FORMAT,
              cat(at(p), ": kernel '", spec_.name, "' reaches ", need,
                  " elements of ", what, " per ", unit, ", but ",
                  argName(p), " holds ", have.elems));
  }

  const PlanContext &ctx_;
  const KernelSpec &spec_;
  const KernelCall &call_;
  ScheduleKind schedule_;
  const std::string &where_;
  const char *elements_;
};

// The contracts. Parameter positions are those of the kernel's func.func in
// lib/Kernels; the bf16 state and KV forms share their f32 kernel's.

void rmsNorm(Contract &c) { // norms.mlir
  c.signature("mmmiifmi");
  Count T = c.count(3, "T");
  uint64_t H = c.size(4, "H");
  c.rows(0, "x", T, H);
  c.fixed(1, "w", H);
  c.rows(2, "out", T, H);
  c.fixed(6, "qscale", 1);
}

void addRmsNorm(Contract &c) { // norms.mlir
  c.signature("mmmmiifmi");
  Count T = c.count(4, "T");
  uint64_t H = c.size(5, "H");
  c.rows(0, "residual", T, H);
  c.rows(1, "update", T, H);
  c.fixed(2, "w", H);
  c.rows(3, "out", T, H);
  c.fixed(7, "qscale", 1);
}

void add(Contract &c) { // elementwise.mlir: n elements, n a dim
  c.signature("mmi");
  Count n = c.count(2, "n");
  c.rows(0, "residual", n, 1);
  c.rows(1, "update", n, 1);
}

void conv1dAct(Contract &c) { // conv1d.mlir
  c.signature("miimmmiimmiiii");
  uint64_t stride = c.size(1, "src_stride", 0);
  uint64_t offset = c.size(2, "src_offset", 0);
  uint64_t C = c.size(11, "C"), K = c.size(12, "K");
  c.activationCode(7);
  c.requestTable(9);
  c.dim(10, DimKind::Requests, "requests");
  c.dim(13, DimKind::Tokens, "tokens");
  c.rows(0, "src", kStepTokens, C, stride, offset);
  c.rows(3, "out", kStepTokens, C);
  c.fixed(4, "w", c.product({C, K}, "w"));
  c.fixed(5, "b", C);
  // The state holds the last K - 1 inputs; a conv of one tap keeps none and
  // takes any buffer or weight there, as an absent bias does.
  if (K > 1)
    c.slot(8, "conv_state", c.product({C, K - 1}, "conv_state"));
  else
    c.fixed(8, "conv_state (none: one tap)", 0);
}

/// nhc_ssd_scan and nhc_ssd_chunk_scan (ssd_scan.mlir) share parameters
/// 0 .. 14.
void ssdScanCommon(Contract &c) {
  uint64_t stride = c.size(2, "proj_stride", 0);
  uint64_t dtOffset = c.size(3, "dt_offset", 0);
  uint64_t H = c.size(11, "H"), P = c.size(12, "P"), N = c.size(13, "N"),
           G = c.size(14, "G");
  c.divides(G, "G", H, "H");
  c.requestTable(9);
  c.dim(10, DimKind::Requests, "requests");
  uint64_t HP = c.product({H, P}, "y");
  c.rows(0, "xbc", kStepTokens,
         c.sum({HP, c.product({2, G, N}, "xbc")}, "xbc"));
  c.rows(1, "proj", kStepTokens, H, stride, dtOffset);
  c.fixed(4, "dt_bias", H);
  c.fixed(5, "a_log", H);
  c.fixed(6, "d", H);
  c.slot(7, "ssm_state", c.product({HP, N}, "ssm_state"));
  c.rows(8, "y", kStepTokens, HP);
}

void ssdScan(Contract &c) {
  c.signature("mmiimmmmmmiiiiiff");
  ssdScanCommon(c);
}

void ssdChunkScan(Contract &c) {
  c.signature("mmiimmmmmmiiiiiiffii");
  ssdScanCommon(c);
  c.size(15, "chunk");
  c.dim(19, DimKind::Tokens, "tokens");
}

void gatedRmsNorm(Contract &c) { // norms.mlir
  c.signature("mmimmiiifmi");
  uint64_t stride = c.size(2, "proj_stride", 0);
  Count T = c.count(5, "T");
  uint64_t I = c.size(6, "I"), G = c.size(7, "G");
  c.divides(G, "G", I, "I");
  c.rows(0, "y", T, I);
  c.rows(1, "proj", T, I, stride);
  c.fixed(3, "w", I);
  c.rows(4, "out", T, I);
  c.fixed(9, "qscale", 1);
}

void attention(Contract &c) { // attention.mlir, attention_gpu.mlir
  c.signature("miiiimmmmmiiiiiifii");
  uint64_t stride = c.size(1, "qkv_stride", 0);
  uint64_t qOffset = c.size(2, "q_offset", 0),
           kOffset = c.size(3, "k_offset", 0),
           vOffset = c.size(4, "v_offset", 0);
  uint64_t Hq = c.size(11, "Hq"), Hkv = c.size(12, "Hkv"),
           D = c.size(13, "D"), splits = c.size(15, "splits");
  c.divides(Hkv, "Hkv", Hq, "Hq");
  c.requestTable(9);
  c.dim(10, DimKind::Requests, "requests");
  c.dim(18, DimKind::Tokens, "tokens");
  uint64_t q = c.product({Hq, D}, "q"), kv = c.product({Hkv, D}, "k, v");
  c.rows(0, "q", kStepTokens, q, stride, qOffset);
  c.rows(0, "k", kStepTokens, kv, stride, kOffset);
  c.rows(0, "v", kStepTokens, kv, stride, vOffset);
  c.slotRows(5, "k_cache", 14, kv);
  c.slotRows(6, "v_cache", 14, kv);
  c.rows(7, "out", kStepTokens, q);
  c.rows(8, "partials", Count{Per::Request, 1},
         c.product({splits, Hq, c.sum({D, 2}, "partials")}, "partials"));
}

void gatherLast(Contract &c) { // gather.mlir
  c.signature("mmmii");
  c.requestTable(1);
  c.dim(3, DimKind::Requests, "requests"); // the table's rows
  uint64_t H = c.size(4, "H");
  c.rows(0, "x", kStepTokens, H);
  c.rows(2, "out", Count{Per::Request, 1}, H);
}

void quantizeFp8(Contract &c) { // fp8.mlir
  c.signature("miimmii");
  uint64_t stride = c.size(1, "x_stride", 0);
  uint64_t offset = c.size(2, "x_offset", 0);
  Count T = c.count(5, "T");
  uint64_t K = c.size(6, "K");
  c.rows(0, "x", T, K, stride, offset);
  c.fixed(3, "scale", 1);
  c.rows(4, "out", T, K);
}

void roundActivations(Contract &c) { // round.mlir
  c.signature("miiiiii");
  uint64_t stride = c.size(1, "x_stride", 0);
  uint64_t offset = c.size(2, "x_offset", 0);
  Count T = c.count(3, "T");
  uint64_t K = c.size(4, "K");
  c.activationCode(5);
  // A code past the list would round to bf16 silently.
  c.atMost(c.size(6, "dtype", 0), "dtype", kernel::kRoundToLast,
           "the last rounding dtype code");
  c.rows(0, "x", T, K, stride, offset);
  // Rows are rounded in place: overlapping ones would be rounded (and
  // activated) twice, by racing threads on a GPU.
  c.atMost(K, "K", stride, "x_stride");
}

void moeRoute(Contract &c) { // moe_route.mlir
  c.signature("mmmmiiiiiif");
  Count T = c.count(4, "T");
  uint64_t E = c.size(5, "E"), k = c.size(6, "k"), groups = c.size(7, "n_group"),
           kept = c.size(8, "topk_group");
  c.divides(groups, "n_group", E, "E");
  c.atMost(kept, "topk_group", groups, "n_group");
  c.atMost(k, "k", c.product({kept, E / groups}, "k"),
           "the experts of topk_group groups");
  c.rows(0, "logits", T, E);
  c.fixed(1, "bias", E);
  c.rows(2, "idx", T, k);
  c.rows(3, "weight", T, k);
}

using ContractFn = void (*)(Contract &);

struct ContractEntry {
  ContractFn check;
  /// The memrefs' elements as `param_elements` spells them: `f` f32, `h`
  /// i16 (bf16 bits), `i` i32, `l` i64; `-` for a scalar.
  const char *elements;
};

const std::map<std::string, ContractEntry> &contracts() {
  static const std::map<std::string, ContractEntry> table = {
      {kernel::kRmsNorm, {rmsNorm, "fff---f-"}},
      {kernel::kAddRmsNorm, {addRmsNorm, "ffff---f-"}},
      {kernel::kAdd, {add, "ff-"}},
      {kernel::kConv1dAct, {conv1dAct, "f--fff--fl----"}},
      {kernel::kSsdScan, {ssdScan, "ff--fffffl-------"}},
      {kernel::kSsdScanBf16State, {ssdScan, "ff--fffhfl-------"}},
      {kernel::kSsdChunkScan, {ssdChunkScan, "ff--fffffl----------"}},
      {kernel::kSsdChunkScanBf16State,
       {ssdChunkScan, "ff--fffhfl----------"}},
      {kernel::kGatedRmsNorm, {gatedRmsNorm, "ff-ff----f-"}},
      {kernel::kAttention, {attention, "f----ffffl---------"}},
      {kernel::kAttentionBf16Kv, {attention, "f----hhffl---------"}},
      {kernel::kGatherLast, {gatherLast, "flf--"}},
      {kernel::kQuantizeFp8, {quantizeFp8, "f--ff--"}},
      {kernel::kMoeRoute, {moeRoute, "ffif-------"}},
      {kernel::kRoundActivations, {roundActivations, "f------"}},
  };
  return table;
}

} // namespace

bool hasKernelContract(const std::string &name) {
  return contracts().count(name) != 0;
}

void checkKernelContract(const PlanContext &ctx, const KernelSpec &spec,
                         const KernelCall &call, ScheduleKind schedule,
                         const std::string &where) {
  const std::string sliced = kernel::kSlicedSuffix;
  NHC_CHECK(spec.name.size() < sliced.size() ||
                spec.name.compare(spec.name.size() - sliced.size(),
                                  sliced.size(), sliced) != 0,
            NHC_INVALID_FORMAT,
            cat(where, ": kernel '", spec.name, "' names a sliced entry ",
                "point, which the runtime calls itself; plans call the "
                "kernel"));
  for (const char *runtimeKernel : kernel::kRuntimeKernels)
    NHC_CHECK(spec.name != runtimeKernel, NHC_INVALID_FORMAT,
              cat(where, ": kernel '", spec.name,
                  "' is the runtime's own (nhc/format/library_kernels.h); "
                  "plans do not call it"));
  auto it = contracts().find(spec.name);
  if (it == contracts().end())
    return;
  Contract contract(ctx, spec, call, schedule, where, it->second.elements);
  it->second.check(contract);
}

} // namespace nhc::runtime
