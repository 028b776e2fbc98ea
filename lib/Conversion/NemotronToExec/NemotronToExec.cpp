//===- NemotronToExec.cpp - kernel-level ops to nemotron_exec ---*- C++ -*-===//
//
// Walks the decomposed @forward once, in order: each op becomes one kernel
// call or one library op of the step's schedules, over buffers that hold
// its tensors (docs/architecture.md, "Execution level").
//
//===----------------------------------------------------------------------===//

#include "nhc/Conversion/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"
#include "nhc/Kernels/KernelLibrary.h"
#include "nhc/format/library_kernels.h"
#include "nhc/format/manifest_schema.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <map>

namespace mlir::nhc {
#define GEN_PASS_DEF_CONVERTNEMOTRONTOEXECPASS
#include "nhc/Conversion/Passes.h.inc"
} // namespace mlir::nhc

using namespace mlir;
using namespace mlir::nemotron;
using namespace mlir::nemotron_exec;
namespace exec = mlir::nemotron_exec;

namespace {

/// An FP8 module's scales, in the order the manifest lists them:
/// [input_scale, weight_scale] (docs/fp8.md).
constexpr const char *kFP8ScaleSuffixes[] = {".input_scale", ".weight_scale"};

/// How many parts a decode's attention may be split into over the KV length
/// (the GPU form's flash-decoding lanes, lib/Kernels/attention_gpu.mlir): the
/// kernel's `splits` argument and the size of its per-request `partials`.
constexpr int64_t kAttentionSplits = 16;

int64_t widthOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getDimSize(1);
}

/// Where a tensor of the step lives: columns [column, column + width) of
/// each row of `buffer`, rows `rowStride` elements apart.
struct View {
  BufferOp buffer;
  int64_t column = 0;
  int64_t rowStride = 0;
};

/// The ops of one schedule being built, with the operands it made so far
/// (reused: they dominate everything appended after them).
struct ScheduleCursor {
  ScheduleOp op;
  OpBuilder builder;
  llvm::DenseMap<Attribute, Value> operands;

  explicit ScheduleCursor(ScheduleOp op)
      : op(op), builder(OpBuilder::atBlockEnd(&op.getBody().front())) {}
};

class ExecLowering {
public:
  /// `kvCacheBf16`: the attention layers' caches as bf16 states;
  /// `ssmStateBf16`: the Mamba layers' SSM states as bf16;
  /// `roundActivations`: bf16/f16 results rounded to their type.
  ExecLowering(ModuleOp module, func::FuncOp forward, ModuleOp library,
               bool kvCacheBf16, bool ssmStateBf16, bool roundActivations)
      : module(module), forward(forward), library(library),
        ctx(module.getContext()), moduleBuilder(ctx),
        loc(forward.getLoc()), kvCacheBf16(kvCacheBf16),
        ssmStateBf16(ssmStateBf16), roundActivations(roundActivations) {
    moduleBuilder.setInsertionPointToEnd(module.getBody());
  }

  LogicalResult run() {
    body.emplace(makeSchedule(kBodySchedule));
    headLast.emplace(makeSchedule(kHeadLastSchedule));
    headAll.emplace(makeSchedule(kHeadAllSchedule));
    Block &block = forward.getBody().front();
    planAttentionGroups(block);
    for (Operation &op : block) {
      size_t before = entryCount;
      if (failed(emit(&op)) || failed(roundResults(&op)))
        return failure();
      recordTaps(&op, before);
    }
    if (!sawLMHead)
      return forward.emitError() << "forward has no nemotron.lm_head";
    forward.erase();
    arrange();
    return success();
  }

private:
  ScheduleOp makeSchedule(StringRef name) {
    auto schedule = ScheduleOp::create(moduleBuilder, loc, name);
    schedule.getBody().emplaceBlock();
    return schedule;
  }

  /// Declarations first (kernels by name, weights, state, buffers), then
  /// the schedules.
  void arrange() {
    Block *top = module.getBody();
    std::vector<Operation *> order;
    for (auto &[name, kernel] : kernels)
      order.push_back(kernel);
    for (Operation *op : weights)
      order.push_back(op);
    for (auto &[key, state] : states)
      order.push_back(state);
    for (Operation *op : buffers)
      order.push_back(op);
    for (ScheduleCursor *s : {&*body, &*headLast, &*headAll})
      order.push_back(s->op);
    for (Operation *op : order)
      op->moveBefore(top, top->end());
  }

  //===--------------------------------------------------------------------===//
  // Operands
  //===--------------------------------------------------------------------===//

  Value cached(ScheduleCursor &s, Attribute key,
               function_ref<Value(OpBuilder &)> make) {
    Value &slot = s.operands[key];
    if (!slot)
      slot = make(s.builder);
    return slot;
  }

  MemRefType memref(Type element) {
    return MemRefType::get({ShapedType::kDynamic}, element);
  }

  Value index(ScheduleCursor &s, int64_t value) {
    IntegerAttr attr = IntegerAttr::get(IndexType::get(ctx), value);
    return cached(s, attr, [&](OpBuilder &b) {
      return arith::ConstantIndexOp::create(b, loc, value).getResult();
    });
  }

  Value f32(ScheduleCursor &s, APFloat value) {
    bool lost;
    value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    FloatAttr attr = FloatAttr::get(Float32Type::get(ctx), value);
    return cached(s, attr, [&](OpBuilder &b) {
      return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), value)
          .getResult();
    });
  }

  Value dim(ScheduleCursor &s, Dim which, int64_t times = 1) {
    Attribute key = StringAttr::get(
        ctx, "dim." + stringifyDim(which) + "." + std::to_string(times));
    return cached(s, key, [&](OpBuilder &b) {
      IntegerAttr timesAttr =
          times == 1 ? IntegerAttr() : b.getI64IntegerAttr(times);
      return DimOp::create(b, loc, b.getIndexType(), which, timesAttr)
          .getResult();
    });
  }

  Value requestTable(ScheduleCursor &s) {
    return cached(s, StringAttr::get(ctx, "request_table"), [&](OpBuilder &b) {
      return RequestTableOp::create(b, loc,
                                    memref(IntegerType::get(ctx, 64)))
          .getResult();
    });
  }

  Value weightRef(ScheduleCursor &s, StringRef name) {
    auto ref = FlatSymbolRefAttr::get(ctx, name);
    return cached(s, ref, [&](OpBuilder &b) {
      return WeightRefOp::create(b, loc, memref(b.getF32Type()), ref)
          .getResult();
    });
  }

  /// A kernel reads a bf16 state as its bits (memref<?xi16>).
  Value stateRef(ScheduleCursor &s, StateOp state) {
    auto ref = FlatSymbolRefAttr::get(state.getSymNameAttr());
    Type element = cast<RankedTensorType>(state.getType()).getElementType();
    if (element.isBF16())
      element = IntegerType::get(ctx, 16);
    return cached(s, ref, [&](OpBuilder &b) {
      return StateRefOp::create(b, loc, memref(element), ref).getResult();
    });
  }

  Value bufferRef(ScheduleCursor &s, BufferOp buffer) {
    auto ref = FlatSymbolRefAttr::get(buffer.getSymNameAttr());
    Type element = cast<RankedTensorType>(buffer.getType()).getElementType();
    return cached(s, ref, [&](OpBuilder &b) {
      return BufferRefOp::create(b, loc, memref(element), ref).getResult();
    });
  }

  //===--------------------------------------------------------------------===//
  // Buffers
  //===--------------------------------------------------------------------===//

  /// A fresh buffer of `width` f32 (or i32) per token or request.
  BufferOp newBuffer(int64_t width, Type element, Rows rows = Rows::token) {
    std::string name = "v" + std::to_string(buffers.size());
    auto buffer = BufferOp::create(moduleBuilder, loc, name, rows,
                                   RankedTensorType::get({width}, element),
                                   /*within=*/FlatSymbolRefAttr(),
                                   /*column=*/IntegerAttr());
    buffers.push_back(buffer);
    return buffer;
  }

  /// Host buffers hold every activation in f32: bf16/f16 models compute in
  /// f32, and e4m3 activations (FP8 GEMM inputs) are stored widened, exactly.
  Type bufferElement(Value value) {
    Type element = cast<RankedTensorType>(value.getType()).getElementType();
    return element.isInteger(32) ? element : Float32Type::get(ctx);
  }

  View define(Value value) {
    View view{newBuffer(widthOf(value), bufferElement(value)), 0,
              widthOf(value)};
    views[value] = view;
    return view;
  }

  /// Calls `kernel`, which updates its operand in place: `result` gets a
  /// buffer of its own, and an alias after the call says the operand's
  /// storage now holds it (nemotron-exec-plan-buffers merges the two and
  /// checks that the operand's old values are not read later).
  LogicalResult callInPlace(Operation *op, ScheduleCursor &s, StringRef kernel,
                            ArrayRef<Value> args, Value result,
                            Value operand) {
    if (failed(call(op, s, kernel, args)))
      return failure();
    View updated = define(result);
    lastEntry = AliasOp::create(
        s.builder, op->getLoc(),
        FlatSymbolRefAttr::get(updated.buffer.getSymNameAttr()),
        FlatSymbolRefAttr::get(views.at(operand).buffer.getSymNameAttr()));
    return success();
  }

  /// Where a view's columns end up once packed buffers are placed in the
  /// buffer they are packed into.
  View storageOf(View view) {
    std::optional<StringRef> within = view.buffer.getWithin();
    if (!within)
      return view;
    auto outer = module.lookupSymbol<BufferOp>(*within);
    return {outer, view.column + int64_t(*view.buffer.getColumn()),
            outer.getRowElements()};
  }

  /// The view of `value`, which must fill its buffer for the kernel at `op`.
  FailureOr<View> contiguous(Operation *op, Value value, StringRef role) {
    View view = views.at(value);
    if (view.column != 0 || view.rowStride != widthOf(value))
      return op->emitOpError()
             << role << " must be a whole buffer for its kernel";
    return view;
  }

  /// q, k and v of an attention share one buffer so the kernel reads them
  /// with one row stride.
  void planAttentionGroups(Block &block) {
    for (auto attention : block.getOps<AttentionCoreOp>()) {
      int64_t q = widthOf(attention.getQ()), k = widthOf(attention.getK());
      int64_t total = q + 2 * k;
      attentionGroup[attention.getQ()] = {attention, 0, total};
      attentionGroup[attention.getK()] = {attention, q, total};
      attentionGroup[attention.getV()] = {attention, q + k, total};
    }
  }

  //===--------------------------------------------------------------------===//
  // Weights and state
  //===--------------------------------------------------------------------===//

  void addWeight(StringRef name, Type element, ArrayRef<int64_t> shape,
                 ArrayRef<Attribute> alternatives = {}, bool positive = false) {
    auto it = weightIndex.find(name);
    if (it != weightIndex.end()) {
      if (positive)
        weights[it->second]->setAttr("positive", UnitAttr::get(ctx));
      return;
    }
    auto weight = WeightOp::create(
        moduleBuilder, loc, name, RankedTensorType::get(shape, element),
        alternatives.empty() ? ArrayAttr()
                             : ArrayAttr::get(ctx, alternatives),
        positive, /*finite=*/false);
    weightIndex[name] = weights.size();
    weights.push_back(weight);
  }

  /// Marks a declared weight `finite` (checked at bind): one whose NaN
  /// would change the output without making it NaN.
  void markFinite(StringRef name) {
    auto it = weightIndex.find(name);
    if (it != weightIndex.end())
      weights[it->second]->setAttr("finite", UnitAttr::get(ctx));
  }

  /// An FP8 per-tensor scale: one f32, checked positive, normal and at
  /// most sqrt(FLT_MAX) / 448 at bind.
  void addScale(StringRef name) {
    addWeight(name, Float32Type::get(ctx), {}, {}, /*positive=*/true);
  }

  FailureOr<std::string> weightName(Operation *user, Value value) {
    if (auto param = value.getDefiningOp<ParamOp>()) {
      SmallVector<Attribute> alternatives;
      if (param.getFallback())
        alternatives.push_back(DictionaryAttr::get(
            ctx, {NamedAttribute(StringAttr::get(ctx, "name"),
                                 StringAttr::get(ctx, *param.getFallback()))}));
      addWeight(param.getName(), param.getType().getElementType(),
                param.getType().getShape(), alternatives);
      return param.getName().str();
    }
    auto linear = value.getDefiningOp<LinearParamOp>();
    if (!linear)
      return user->emitOpError()
             << "weight operand is not a checkpoint parameter";
    LinearType type = linear.getType();
    std::string module = linear.getName().str();
    std::string name = module + ".weight";
    ArrayRef<int64_t> shape = type.getShape();
    if (!type.isStacked()) {
      addWeight(name, type.getElementType(), shape);
      // modelopt keeps an FP8 module's bias in the base dtype; binding
      // converts any float dtype to the f32 the GEMM adds.
      Type biasType =
          type.isFP8() ? Float32Type::get(ctx) : type.getElementType();
      if (type.getHasBias())
        addWeight(module + ".bias", biasType, {type.getOutFeatures()});
      if (type.isFP8())
        for (const char *scale : kFP8ScaleSuffixes)
          addScale(module + scale);
      return name;
    }
    // Per-expert tensors ("experts.{e}.up_proj.weight"), or slice e of the
    // stacked tensor transformers keeps in memory and fused checkpoints
    // store ("experts.up_proj" [E, out, in]).
    // FP8 experts (modelopt's layout) are per-expert tensors only, each
    // with its own scales.
    std::string stacked = module;
    stacked.replace(stacked.find(".{e}"), 4, "");
    std::vector<std::string> wholes;
    if (!type.isFP8())
      wholes = {stacked, stacked + ".weight"};
    for (int64_t e = 0; e < type.getNumExperts(); ++e) {
      auto ofExpert = [&](const std::string &pattern) {
        return ::nhc::format::manifest::expertName(pattern, e);
      };
      SmallVector<Attribute> alternatives;
      for (const std::string &whole : wholes) {
        Builder b(ctx);
        alternatives.push_back(b.getDictionaryAttr(
            {b.getNamedAttr("name", b.getStringAttr(whole)),
             b.getNamedAttr("index", b.getI64IntegerAttr(e)),
             b.getNamedAttr("count",
                            b.getI64IntegerAttr(type.getNumExperts()))}));
      }
      addWeight(ofExpert(name), type.getElementType(), shape.drop_front(),
                alternatives);
      if (type.isFP8())
        for (const char *scale : kFP8ScaleSuffixes)
          addScale(ofExpert(module + scale));
    }
    return name;
  }

  /// The checkpoint scalar a quantizing kernel divides by.
  FailureOr<std::string> scaleName(Operation *user, Value scale) {
    FailureOr<std::string> name = weightName(user, scale);
    if (succeeded(name))
      addScale(*name);
    return name;
  }

  StateOp state(StateKind kind, int64_t layer, ArrayRef<int64_t> shape,
                Type element = nullptr) {
    std::pair<int64_t, int> key{layer, static_cast<int>(kind)};
    auto it = states.find(key);
    if (it != states.end())
      return it->second;
    std::string name = "layers." + std::to_string(layer) + "." +
                       stringifyStateKind(kind).str();
    auto op = StateOp::create(
        moduleBuilder, loc, name, kind, layer,
        RankedTensorType::get(shape, element ? element : Float32Type::get(ctx)));
    states[key] = op;
    return op;
  }

  //===--------------------------------------------------------------------===//
  // Entries
  //===--------------------------------------------------------------------===//

  /// A call of kernel `name`, with the library's declaration copied into the
  /// module: the call's verifier checks it against the kernel's signature.
  LogicalResult call(Operation *op, ScheduleCursor &s, StringRef name,
                     ArrayRef<Value> args) {
    if (!kernels.count(name.str())) {
      auto kernel = library.lookupSymbol<func::FuncOp>(name);
      assert(kernel && "the library has every kernel of kernelNames()");
      auto decl = func::FuncOp::create(moduleBuilder, loc, name,
                                       kernel.getFunctionType());
      decl.setPrivate();
      kernels[name.str()] = decl;
    }
    lastEntry = CallOp::create(s.builder, loc, name, args);
    if (&s == &*body)
      ++entryCount;
    return success();
  }

  /// `c[m, n] = epilogue(a[m, k] @ w^T + bias)`.
  GemmOp gemm(ScheduleCursor &s, Dim rows, const View &a, StringRef weight,
              Value c, int64_t cOffset, int64_t ldc, int64_t n, int64_t k,
              ActivationAttr epilogue, StringRef bias = "") {
    OpBuilder &b = s.builder;
    auto entry = GemmOp::create(
        b, loc, dim(s, rows), bufferRef(s, a.buffer), c, weight, n, k,
        a.column, a.rowStride,
        cOffset, ldc,
        epilogue ? stringifyActivation(epilogue.getValue())
                 : ::nhc::format::manifest::value::kActivationNone,
        bias.empty() ? FlatSymbolRefAttr() : FlatSymbolRefAttr::get(ctx, bias),
        ArrayAttr(), FlatSymbolRefAttr());
    lastEntry = entry;
    if (&s == &*body)
      ++entryCount;
    return entry;
  }

  LogicalResult emit(Operation *op) {
    ScheduleCursor &s = *body;
    return TypeSwitch<Operation *, LogicalResult>(op)
        .Case<ParamOp, LinearParamOp, func::ReturnOp>(
            [](Operation *) { return success(); })
        .Case([&](nemotron::EmbeddingOp op) {
          // A library op, so the table is read where the checkpoint maps
          // it (a BF16 vocabulary never gets an f32 copy).
          FailureOr<std::string> table = weightName(op, op.getTable());
          if (failed(table))
            return failure();
          View out = define(op.getResult());
          lastEntry = exec::EmbeddingOp::create(s.builder, loc, *table,
                                                bufferRef(s, out.buffer),
                                                widthOf(op.getResult()));
          ++entryCount;
          return success();
        })
        .Case([&](RMSNormOp op) { return emitRMSNorm(op); })
        .Case([&](AddRMSNormOp op) { return emitAddRMSNorm(op); })
        .Case([&](AddOp op) {
          FailureOr<View> lhs = contiguous(op, op.getLhs(), "lhs");
          FailureOr<View> rhs = contiguous(op, op.getRhs(), "rhs");
          if (failed(lhs) || failed(rhs))
            return failure();
          return callAdd(op, op.getLhs(), *lhs, *rhs, op.getResult());
        })
        .Case([&](LinearOp op) { return emitLinear(op); })
        .Case([&](QuantizeFP8Op op) { return emitQuantize(op); })
        .Case([&](SplitOp op) {
          View input = views.at(op.getInput());
          int64_t column = input.column;
          for (auto [result, size] : llvm::zip(op.getResults(), op.getSizes())) {
            views[result] = {input.buffer, column, input.rowStride};
            column += size;
          }
          return success();
        })
        .Case([&](Conv1dActOp op) { return emitConv(op); })
        .Case([&](SSDScanOp op) { return emitSSD(op); })
        .Case([&](GatedRMSNormOp op) { return emitGatedNorm(op); })
        .Case([&](AttentionCoreOp op) { return emitAttention(op); })
        .Case([&](MoERouteOp op) { return emitRoute(op); })
        .Case([&](nemotron::MoEExpertsOp op) { return emitExperts(op); })
        .Case([&](LMHeadOp op) { return emitLMHead(op); })
        .Default([](Operation *op) {
          return op->emitOpError()
                 << "has no kernel; run the lowering pipeline "
                    "(nemotron-lower-to-kernels-pipeline) first";
        });
  }

  /// The nhc_round_activations code of `value`'s element type, if it is
  /// one transformers would store (bf16, f16) and activations are rounded.
  std::optional<int64_t> roundingCode(Value value) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!roundActivations || !type)
      return std::nullopt;
    if (type.getElementType().isBF16())
      return ::nhc::format::kernel::kRoundToBf16;
    if (type.getElementType().isF16())
      return ::nhc::format::kernel::kRoundToF16;
    return std::nullopt;
  }

  /// Rounds `value`'s rows in place when roundingCode() says so, then
  /// applies `act` and rounds again: the activation its producer left to
  /// this rounding (producerActivation()).
  LogicalResult round(Operation *op, Value value,
                      Activation act = Activation::linear) {
    std::optional<int64_t> code = roundingCode(value);
    if (!code)
      return success();
    return roundColumns(op, storageOf(views.at(value)), widthOf(value), *code,
                        act);
  }

  /// Rounds `width` columns of `view`'s rows (nhc_round_activations).
  LogicalResult roundColumns(Operation *op, View view, int64_t width,
                             int64_t code, Activation act) {
    ScheduleCursor &s = *body;
    return call(op, s, ::nhc::format::kernel::kRoundActivations,
                {bufferRef(s, view.buffer), index(s, view.rowStride),
                 index(s, view.column), dim(s, Dim::tokens), index(s, width),
                 index(s, static_cast<int64_t>(act)), index(s, code)});
  }

  /// The activation a linear's epilogue or the conv applies to its result.
  /// transformers applies it to the result stored in the model's dtype, so
  /// when that result is rounded, the producing kernel leaves it out and
  /// round() applies it between two roundings.
  std::optional<Activation> producerActivation(Operation *op) {
    if (auto linear = dyn_cast<LinearOp>(op))
      if (ActivationAttr epilogue = linear.getEpilogueAttr())
        return epilogue.getValue();
    if (auto conv = dyn_cast<Conv1dActOp>(op))
      return conv.getActivation();
    return std::nullopt;
  }

  /// Whether `op`'s kernel leaves its activation to round().
  bool activatesAfterRounding(Operation *op) {
    return producerActivation(op) && roundingCode(op->getResult(0));
  }

  /// `--activation-dtype=model`: after `op`, its results in the model's
  /// dtype are rounded to it, except weights, a split's (views of a
  /// rounded value), the scan's (transformers keeps it in f32 up to the
  /// gated norm), an add_rms_norm's (emitAddRMSNorm rounds the sum before
  /// the norm reads it) and q, k and v (emitAttention rounds their packed
  /// rows at once, which also keeps their gemms adjacent).
  LogicalResult roundResults(Operation *op) {
    if (isa<ParamOp, LinearParamOp, SplitOp, SSDScanOp, AddRMSNormOp>(op))
      return success();
    if (isa<LinearOp>(op) && attentionGroup.count(op->getResult(0)))
      return success();
    for (Value result : op->getResults())
      if (failed(round(op, result,
                       producerActivation(op).value_or(Activation::linear))))
        return failure();
    return success();
  }

  /// The arguments that make a norm kernel quantize its output (or not;
  /// `standIn` is any weight the kernel may read in place of a scale).
  FailureOr<SmallVector<Value>> quantizeArgs(Operation *op, Value scale,
                                             StringRef standIn) {
    ScheduleCursor &s = *body;
    if (!scale)
      return SmallVector<Value>{weightRef(s, standIn), index(s, 0)};
    FailureOr<std::string> name = scaleName(op, scale);
    if (failed(name))
      return failure();
    return SmallVector<Value>{weightRef(s, *name), index(s, 1)};
  }

  /// nhc_add: `lhs` += `rhs` in place; `sum` then names lhs's storage.
  LogicalResult callAdd(Operation *op, Value lhs, View lhsView, View rhsView,
                        Value sum) {
    ScheduleCursor &s = *body;
    return callInPlace(op, s, "nhc_add",
                       {bufferRef(s, lhsView.buffer),
                        bufferRef(s, rhsView.buffer),
                        dim(s, Dim::tokens, widthOf(lhs))},
                       sum, lhs);
  }

  /// nhc_rms_norm of `input`'s rows into a new buffer for `normalized`.
  LogicalResult callRMSNorm(Operation *op, Value input, View inputView,
                            StringRef weight, Value normalized,
                            APFloat epsilon, ArrayRef<Value> quantize) {
    ScheduleCursor &s = *body;
    View out = define(normalized);
    SmallVector<Value> args = {
        bufferRef(s, inputView.buffer), weightRef(s, weight),
        bufferRef(s, out.buffer),       dim(s, Dim::tokens),
        index(s, widthOf(input)),       f32(s, epsilon)};
    args.append(quantize.begin(), quantize.end());
    return call(op, s, "nhc_rms_norm", args);
  }

  LogicalResult emitRMSNorm(RMSNormOp op) {
    FailureOr<View> input = contiguous(op, op.getInput(), "input");
    FailureOr<std::string> weight = weightName(op, op.getWeight());
    if (failed(input) || failed(weight))
      return failure();
    FailureOr<SmallVector<Value>> quantize =
        quantizeArgs(op, op.getQuantScale(), *weight);
    if (failed(quantize))
      return failure();
    return callRMSNorm(op, op.getInput(), *input, *weight, op.getResult(),
                       op.getEpsilon(), *quantize);
  }

  LogicalResult emitAddRMSNorm(AddRMSNormOp op) {
    ScheduleCursor &s = *body;
    FailureOr<View> residual = contiguous(op, op.getResidual(), "residual");
    FailureOr<View> update = contiguous(op, op.getUpdate(), "update");
    FailureOr<std::string> weight = weightName(op, op.getWeight());
    if (failed(residual) || failed(update) || failed(weight))
      return failure();
    FailureOr<SmallVector<Value>> quantize =
        quantizeArgs(op, op.getQuantScale(), *weight);
    if (failed(quantize))
      return failure();
    // transformers rounds the residual sum before its norm reads it: the
    // add, its rounding, the norm (quantizing as the fused one would), its
    // rounding.
    if (roundingCode(op.getSum())) {
      if (failed(callAdd(op, op.getResidual(), *residual, *update,
                         op.getSum())) ||
          failed(round(op, op.getSum())) ||
          failed(callRMSNorm(op, op.getSum(), views.at(op.getSum()), *weight,
                             op.getNormalized(), op.getEpsilon(), *quantize)))
        return failure();
      return round(op, op.getNormalized());
    }
    View out = define(op.getNormalized());
    SmallVector<Value> args = {
        bufferRef(s, residual->buffer), bufferRef(s, update->buffer),
        weightRef(s, *weight),          bufferRef(s, out.buffer),
        dim(s, Dim::tokens),            index(s, widthOf(op.getResidual())),
        f32(s, op.getEpsilon())};
    args.append(*quantize);
    return callInPlace(op, s, "nhc_add_rms_norm", args, op.getSum(),
                       op.getResidual());
  }

  LogicalResult emitQuantize(QuantizeFP8Op op) {
    ScheduleCursor &s = *body;
    FailureOr<std::string> scale = scaleName(op, op.getScale());
    if (failed(scale))
      return failure();
    View input = views.at(op.getInput());
    View out = define(op.getResult());
    return call(op, s, "nhc_quantize_fp8",
                {bufferRef(s, input.buffer), index(s, input.rowStride),
                 index(s, input.column), weightRef(s, *scale),
                 bufferRef(s, out.buffer), dim(s, Dim::tokens),
                 index(s, widthOf(op.getInput()))});
  }

  LogicalResult emitLinear(LinearOp op) {
    ScheduleCursor &s = *body;
    FailureOr<std::string> weight = weightName(op, op.getWeight());
    if (failed(weight))
      return failure();
    View input = views.at(op.getInput());
    View out;
    out = define(op.getResult());
    auto group = attentionGroup.find(op.getResult());
    if (group != attentionGroup.end()) {
      // A buffer of its own, packed into the attention's q|k|v rows by
      // nemotron-exec-plan-buffers.
      auto [attention, column, width] = group->second;
      auto [it, inserted] = groupBuffers.try_emplace(attention);
      if (inserted)
        it->second = newBuffer(width, Float32Type::get(ctx));
      out.buffer.setWithinAttr(
          FlatSymbolRefAttr::get(it->second.getSymNameAttr()));
      out.buffer.setColumnAttr(moduleBuilder.getI64IntegerAttr(column));
    }
    auto type = cast<LinearType>(op.getWeight().getType());
    std::string module =
        op.getWeight().getDefiningOp<LinearParamOp>().getName().str();
    std::string bias = type.getHasBias() ? module + ".bias" : "";
    GemmOp entry = gemm(s, Dim::tokens, input, *weight,
                        bufferRef(s, out.buffer), out.column, out.rowStride,
                        type.getOutFeatures(), type.getInFeatures(),
                        activatesAfterRounding(op) ? ActivationAttr()
                                                   : op.getEpilogueAttr(),
                        bias);
    if (type.isFP8()) {
      if (!isQuantizedActivation(op.getInput()))
        return op.emitOpError() << "FP8 linear '" << module
                                << "' reads an unquantized input; run "
                                   "nemotron-quantize-fp8-linears first";
      // y = (x_q . W_q^T) * (input_scale * weight_scale) (docs/fp8.md).
      entry.setScaleAttr(ArrayAttr::get(
          ctx, {FlatSymbolRefAttr::get(ctx, module + ".input_scale"),
                FlatSymbolRefAttr::get(ctx, module + ".weight_scale")}));
    }
    if (Value scale = op.getQuantScale()) {
      FailureOr<std::string> name = scaleName(op, scale);
      if (failed(name))
        return failure();
      entry.setQuantizeOutputAttr(FlatSymbolRefAttr::get(ctx, *name));
    }
    return success();
  }

  LogicalResult emitConv(Conv1dActOp op) {
    ScheduleCursor &s = *body;
    FailureOr<std::string> weight = weightName(op, op.getWeight());
    // Without a bias the kernel is told so and reads no bias tensor; it
    // still takes a memref there, so the weight stands in.
    FailureOr<std::string> bias =
        op.getBias() ? weightName(op, op.getBias()) : weight;
    if (failed(weight) || failed(bias))
      return failure();
    View src = views.at(op.getInput());
    View out = define(op.getResult());
    int64_t channels = widthOf(op.getInput());
    int64_t kernelSize =
        cast<RankedTensorType>(op.getWeight().getType()).getDimSize(2);
    // The conv state holds the last kernelSize - 1 inputs. A kernel of one
    // tap keeps none: its layer has no conv state, and the kernel, which
    // then reads and writes no state element, takes the weight there.
    Value convState =
        kernelSize > 1
            ? stateRef(s, state(StateKind::conv_state, op.getLayer(),
                                {channels, kernelSize - 1}))
            : weightRef(s, *weight);
    return call(op, s, "nhc_conv1d_act",
                {bufferRef(s, src.buffer), index(s, src.rowStride),
                 index(s, src.column), bufferRef(s, out.buffer),
                 weightRef(s, *weight), weightRef(s, *bias),
                 index(s, op.getBias() ? 1 : 0),
                 index(s, static_cast<int64_t>(
                              activatesAfterRounding(op) ? Activation::linear
                                                         : op.getActivation())),
                 convState, requestTable(s), dim(s, Dim::requests),
                 index(s, channels), index(s, kernelSize),
                 dim(s, Dim::tokens)});
  }

  LogicalResult emitSSD(SSDScanOp op) {
    ScheduleCursor &s = *body;
    FailureOr<View> xbc = contiguous(op, op.getXbc(), "xbc");
    FailureOr<std::string> dtBias = weightName(op, op.getDtBias());
    FailureOr<std::string> aLog = weightName(op, op.getALog());
    FailureOr<std::string> d = weightName(op, op.getD());
    if (failed(xbc) || failed(dtBias) || failed(aLog) || failed(d))
      return failure();
    View dt = views.at(op.getDt());
    View y = define(op.getResult());
    Type ssmElement = ssmStateBf16 ? Type(BFloat16Type::get(ctx))
                                   : Type(Float32Type::get(ctx));
    StateOp ssm = state(StateKind::ssm_state, op.getLayer(),
                        {int64_t(op.getNumHeads()), int64_t(op.getHeadDim()),
                         int64_t(op.getStateSize())},
                        ssmElement);
    // Prefill requests take the chunked scan, decode requests the one-step
    // recurrence; each kernel skips the other's requests.
    SmallVector<Value> common = {
        bufferRef(s, xbc->buffer), bufferRef(s, dt.buffer),
        index(s, dt.rowStride),    index(s, dt.column),
        weightRef(s, *dtBias),     weightRef(s, *aLog),
        weightRef(s, *d),          stateRef(s, ssm),
        bufferRef(s, y.buffer),    requestTable(s),
        dim(s, Dim::requests),     index(s, op.getNumHeads()),
        index(s, op.getHeadDim()), index(s, op.getStateSize()),
        index(s, op.getNGroups())};
    SmallVector<Value> chunked = common;
    chunked.push_back(index(s, op.getChunkSize()));
    for (SmallVector<Value> *args : {&chunked, &common}) {
      args->push_back(f32(s, op.getDtMin()));
      args->push_back(f32(s, op.getDtMax()));
    }
    chunked.push_back(dim(s, Dim::gemm_precision));
    chunked.push_back(dim(s, Dim::tokens));
    // The scans' bf16 state forms: ssd_scan.mlir's nhc.bf16_state_form.
    if (failed(call(op, s,
                    ssmStateBf16 ? "nhc_ssd_chunk_scan_bf16_state"
                                 : "nhc_ssd_chunk_scan",
                    chunked)))
      return failure();
    return call(op, s,
                ssmStateBf16 ? "nhc_ssd_scan_bf16_state" : "nhc_ssd_scan",
                common);
  }

  LogicalResult emitGatedNorm(GatedRMSNormOp op) {
    ScheduleCursor &s = *body;
    FailureOr<View> y = contiguous(op, op.getInput(), "input");
    FailureOr<std::string> weight = weightName(op, op.getWeight());
    if (failed(y) || failed(weight))
      return failure();
    View z = views.at(op.getGate());
    if (z.column != 0)
      return op.emitOpError() << "gate must start at column 0 of its buffer";
    FailureOr<SmallVector<Value>> quantize =
        quantizeArgs(op, op.getQuantScale(), *weight);
    if (failed(quantize))
      return failure();
    View out = define(op.getResult());
    SmallVector<Value> args = {
        bufferRef(s, y->buffer),  bufferRef(s, z.buffer),
        index(s, z.rowStride),    weightRef(s, *weight),
        bufferRef(s, out.buffer), dim(s, Dim::tokens),
        index(s, widthOf(op.getInput())), index(s, op.getNGroups()),
        f32(s, op.getEpsilon())};
    args.append(*quantize);
    return call(op, s, "nhc_gated_rms_norm", args);
  }

  LogicalResult emitAttention(AttentionCoreOp op) {
    ScheduleCursor &s = *body;
    View q = storageOf(views.at(op.getQ())), k = storageOf(views.at(op.getK())),
         v = storageOf(views.at(op.getV()));
    if (q.buffer != k.buffer || q.buffer != v.buffer ||
        q.rowStride != k.rowStride || q.rowStride != v.rowStride)
      return op.emitOpError()
             << "q, k and v must be outputs of linears sharing one buffer";
    // q|k|v fill their packed rows (planAttentionGroups).
    if (std::optional<int64_t> code = roundingCode(op.getQ()))
      if (failed(roundColumns(op, {q.buffer, 0, q.rowStride}, q.rowStride,
                              *code, Activation::linear)))
        return failure();
    View out = define(op.getResult());
    SmallVector<int64_t> cache = {ShapedType::kDynamic,
                                  int64_t(op.getNumKvHeads()),
                                  int64_t(op.getHeadDim())};
    Type element = kvCacheBf16 ? Type(BFloat16Type::get(ctx))
                               : Type(Float32Type::get(ctx));
    StateOp kCache = state(StateKind::k_cache, op.getLayer(), cache, element);
    StateOp vCache = state(StateKind::v_cache, op.getLayer(), cache, element);
    // Per split of a decode request and query head: o (head_dim), m and l.
    BufferOp partials = newBuffer(
        kAttentionSplits * int64_t(op.getNumHeads()) * (op.getHeadDim() + 2),
        Float32Type::get(ctx), Rows::request);
    return call(op, s,
                kvCacheBf16 ? "nhc_attention_bf16_kv" : "nhc_attention",
                {bufferRef(s, q.buffer), index(s, q.rowStride),
                 index(s, q.column), index(s, k.column), index(s, v.column),
                 stateRef(s, kCache), stateRef(s, vCache),
                 bufferRef(s, out.buffer), bufferRef(s, partials),
                 requestTable(s), dim(s, Dim::requests),
                 index(s, op.getNumHeads()), index(s, op.getNumKvHeads()),
                 index(s, op.getHeadDim()), dim(s, Dim::max_seq_len),
                 index(s, kAttentionSplits), f32(s, op.getScale()),
                 dim(s, Dim::gemm_precision), dim(s, Dim::tokens)});
  }

  LogicalResult emitRoute(MoERouteOp op) {
    ScheduleCursor &s = *body;
    FailureOr<View> logits = contiguous(op, op.getLogits(), "logits");
    FailureOr<std::string> bias = weightName(op, op.getBias());
    if (failed(logits) || failed(bias))
      return failure();
    // The router's logits only choose experts: a NaN in its weight would
    // reorder the routing silently, so binding checks it.
    if (auto router = op.getLogits().getDefiningOp<nemotron::LinearOp>()) {
      FailureOr<std::string> gate = weightName(op, router.getWeight());
      if (failed(gate))
        return failure();
      markFinite(*gate);
    }
    View indices = define(op.getIndices());
    View weights = define(op.getWeights());
    return call(op, s, "nhc_moe_route",
                {bufferRef(s, logits->buffer), weightRef(s, *bias),
                 bufferRef(s, indices.buffer), bufferRef(s, weights.buffer),
                 dim(s, Dim::tokens), index(s, widthOf(op.getLogits())),
                 index(s, op.getTopK()), index(s, op.getNGroup()),
                 index(s, op.getTopkGroup()),
                 index(s, op.getNormTopkProb() ? 1 : 0),
                 f32(s, op.getRoutedScalingFactor())});
  }

  LogicalResult emitExperts(nemotron::MoEExpertsOp op) {
    ScheduleCursor &s = *body;
    FailureOr<View> input = contiguous(op, op.getInput(), "input");
    FailureOr<std::string> up = weightName(op, op.getUp());
    if (failed(input) || failed(up))
      return failure();
    FailureOr<std::string> down = weightName(op, op.getDown());
    if (failed(down))
      return failure();
    View indices = views.at(op.getIndices()), weights = views.at(op.getWeights());
    View out = define(op.getResult());
    auto upType = cast<LinearType>(op.getUp().getType());
    // An FP8 projection's [input_scale, weight_scale] name patterns.
    auto scales = [&](Value stack) -> ArrayAttr {
      if (!cast<LinearType>(stack.getType()).isFP8())
        return {};
      std::string module =
          stack.getDefiningOp<LinearParamOp>().getName().str();
      Builder b(ctx);
      return b.getStrArrayAttr({module + kFP8ScaleSuffixes[0],
                                module + kFP8ScaleSuffixes[1]});
    };
    lastEntry = exec::MoEExpertsOp::create(
        s.builder, loc, bufferRef(s, input->buffer),
        bufferRef(s, indices.buffer), bufferRef(s, weights.buffer),
        bufferRef(s, out.buffer), *up, *down, upType.getNumExperts(),
        widthOf(op.getIndices()), upType.getInFeatures(),
        upType.getOutFeatures(), stringifyActivation(op.getActivation()),
        scales(op.getUp()), scales(op.getDown()));
    ++entryCount;
    return success();
  }

  /// head_last: logits of each request's last token; head_all: of every token.
  LogicalResult emitLMHead(LMHeadOp op) {
    FailureOr<View> input = contiguous(op, op.getInput(), "input");
    FailureOr<std::string> weight = weightName(op, op.getWeight());
    if (failed(input) || failed(weight))
      return failure();
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    int64_t vocab = weightType.getDimSize(0), hidden = weightType.getDimSize(1);
    ScheduleCursor &last = *headLast;
    BufferOp rows = newBuffer(hidden, Float32Type::get(ctx), Rows::request);
    if (failed(call(op, last, "nhc_gather_last",
                    {bufferRef(last, input->buffer), requestTable(last),
                     bufferRef(last, rows), dim(last, Dim::requests),
                     index(last, hidden)})))
      return failure();
    auto logitsOf = [&](ScheduleCursor &s) {
      return LogitsOp::create(s.builder, loc, memref(Float32Type::get(ctx)))
          .getResult();
    };
    gemm(last, Dim::requests, {rows, 0, hidden}, *weight, logitsOf(last), 0,
         vocab, vocab, hidden, ActivationAttr());
    gemm(*headAll, Dim::tokens, *input, *weight, logitsOf(*headAll), 0, vocab,
         vocab, hidden, ActivationAttr());
    sawLMHead = true;
    return success();
  }

  //===--------------------------------------------------------------------===//
  // Taps
  //===--------------------------------------------------------------------===//

  /// A tap right after `after`: `value`'s rows are in its view.
  void addTap(StringRef kind, std::optional<int64_t> layer, Value value,
              Operation *after) {
    View view = views.at(value);
    // After the taps already placed there: taps keep the order they were
    // found in.
    while (Operation *next = after->getNextNode()) {
      bool tapOperand = isa<BufferRefOp>(next) && next->hasOneUse() &&
                        isa<TapOp>(*next->user_begin());
      if (!tapOperand && !isa<TapOp>(next))
        break;
      after = next;
    }
    OpBuilder b(ctx);
    b.setInsertionPointAfter(after);
    // A reference of its own: the cached ones may come later in the block.
    Value buffer = BufferRefOp::create(b, loc, memref(Float32Type::get(ctx)),
                                       FlatSymbolRefAttr::get(
                                           view.buffer.getSymNameAttr()));
    auto tap = TapOp::create(b, loc, kind,
                             layer ? b.getI64IntegerAttr(*layer) : IntegerAttr(),
                             buffer, view.column, view.rowStride,
                             widthOf(value));
    if (after == lastEntry)
      lastEntry = tap;
  }

  /// The residual stream is the chain embedding -> add -> add ...: the k-th
  /// add ends layer k (its update is layer k's mixer output). The input of
  /// the LM head is the final norm's output. Tapping copies rows right after
  /// the entry that wrote them, before any later entry reuses the buffer.
  void recordTaps(Operation *op, size_t entriesBefore) {
    if (entryCount == entriesBefore && !isa<LMHeadOp>(op))
      return; // emitted nothing
    Operation *entry = lastEntry;
    if (auto embedding = dyn_cast<nemotron::EmbeddingOp>(op)) {
      residual = embedding.getResult();
      addTap("embeddings", std::nullopt, residual, entry);
      return;
    }
    Value sum, update, lhs;
    if (auto add = dyn_cast<AddRMSNormOp>(op)) {
      lhs = add.getResidual(), update = add.getUpdate(), sum = add.getSum();
      lastNormalized = add.getNormalized();
      lastNormalizedEntry = entry;
    } else if (auto add = dyn_cast<AddOp>(op)) {
      lhs = add.getLhs(), update = add.getRhs(), sum = add.getResult();
    } else if (auto norm = dyn_cast<RMSNormOp>(op)) {
      lastNormalized = norm.getResult();
      lastNormalizedEntry = entry;
      return;
    } else if (auto head = dyn_cast<LMHeadOp>(op)) {
      if (lastNormalized && head.getInput() == lastNormalized)
        addTap("final_norm", std::nullopt, lastNormalized,
               lastNormalizedEntry);
      return;
    } else {
      return;
    }
    if (!residual || lhs != residual)
      return;
    addTap("mixer", layerCount, update, entry);
    addTap("residual", layerCount, sum, lastEntry);
    ++layerCount;
    residual = sum;
  }

  ModuleOp module;
  func::FuncOp forward;
  ModuleOp library;
  MLIRContext *ctx;
  OpBuilder moduleBuilder;
  Location loc;
  std::optional<ScheduleCursor> body, headLast, headAll;

  std::map<std::string, func::FuncOp> kernels; // by name: the decl order
  std::vector<WeightOp> weights;               // in order of first use
  llvm::StringMap<size_t> weightIndex;
  std::map<std::pair<int64_t, int>, StateOp> states; // (layer, kind)
  std::vector<BufferOp> buffers;

  llvm::DenseMap<Value, View> views;
  llvm::DenseMap<Value, std::tuple<Operation *, int64_t, int64_t>>
      attentionGroup;
  llvm::DenseMap<Operation *, BufferOp> groupBuffers;

  Operation *lastEntry = nullptr; // the last op appended to @body
  size_t entryCount = 0;          // entries of @body so far
  bool sawLMHead = false;
  Value residual, lastNormalized;
  Operation *lastNormalizedEntry = nullptr;
  int64_t layerCount = 0;
  bool kvCacheBf16 = false;
  bool ssmStateBf16 = false;
  bool roundActivations = false;
};

struct ConvertNemotronToExecPass
    : mlir::nhc::impl::ConvertNemotronToExecPassBase<
          ConvertNemotronToExecPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward || forward.isDeclaration()) {
      module.emitError() << "module has no @forward function to lower";
      return signalPassFailure();
    }
    OwningOpRef<ModuleOp> library = mlir::nhc::parseKernelLibrary(getContext());
    if (!library)
      return signalPassFailure();
    if (failed(ExecLowering(module, forward, *library,
                            kvCacheDtype == mlir::nhc::StateDtype::BF16,
                            ssmStateDtype == mlir::nhc::StateDtype::BF16,
                            activationDtype ==
                                mlir::nhc::ActivationDtype::Model)
                   .run()))
      return signalPassFailure();
    SmallVector<Attribute> names;
    for (const std::string &target :
         targets.empty() ? std::vector<std::string>{"cpu"}
                         : std::vector<std::string>(targets.begin(),
                                                    targets.end()))
      names.push_back(StringAttr::get(&getContext(), target));
    module->setAttr(kTargetsAttrName, ArrayAttr::get(&getContext(), names));
  }
};

} // namespace
