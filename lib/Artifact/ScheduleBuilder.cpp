//===- ScheduleBuilder.cpp - kernel-level IR to a step schedule -*- C++ -*-===//
//
// Walks the decomposed @forward once, in order: each op becomes one kernel
// call or one library call over views of scratch buffers (BufferPlanner).
//
//===----------------------------------------------------------------------===//

#include "nhc/Artifact/ScheduleBuilder.h"

#include "BufferPlanner.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cfloat>
#include <cmath>
#include <set>

using namespace mlir;
using namespace mlir::nemotron;
using json = nlohmann::json;

namespace mlir::nhc {

const char *kernelParamKindName(KernelParamKind kind) {
  switch (kind) {
  case KernelParamKind::MemRef:
    return "memref";
  case KernelParamKind::Index:
    return "index";
  case KernelParamKind::F32:
    return "f32";
  }
  return "?";
}

namespace {

std::string dtypeName(Type type) {
  if (type.isF32())
    return "F32";
  if (type.isBF16())
    return "BF16";
  if (type.isF16())
    return "F16";
  if (isa<Float8E4M3FNType>(type))
    return "F8_E4M3";
  if (type.isInteger(32))
    return "I32";
  return "?";
}

int64_t widthOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getDimSize(1);
}

/// JSON argument helpers (docs/execution-model.md, "Schedule").
json bufferArg(const std::string &name) { return {{"buffer", name}}; }
json weightArg(const std::string &name) { return {{"weight", name}}; }
json indexArg(int64_t value) { return {{"index", value}}; }
json tokensArg(int64_t times = 1) {
  json arg = {{"dim", "tokens"}};
  if (times != 1)
    arg["times"] = times;
  return arg;
}
json requestsArg() { return {{"dim", "requests"}}; }
json f32Arg(double value) {
  // JSON has no infinity; an unbounded clamp is the largest f32.
  if (std::isinf(value))
    value = value > 0 ? FLT_MAX : -FLT_MAX;
  return {{"f32", value}};
}
json stateArg(const char *kind, int64_t layer) {
  return {{"state", kind}, {"layer", layer}};
}

class StepPlanner {
public:
  StepPlanner(func::FuncOp forward, const KernelSignatures &signatures)
      : forward(forward), signatures(signatures),
        buffers(forward.getBody().front()) {}

  FailureOr<StepPlan> run() {
    Block &body = forward.getBody().front();
    planAttentionGroups(body);
    for (Operation &op : body) {
      if (failed(emit(&op)))
        return failure();
      recordTaps(&op);
      buffers.release(&op);
    }
    if (!sawLMHead)
      return forward.emitError() << "forward has no nemotron.lm_head";
    plan.buffers = buffers.toJson();
    plan.taps = taps;
    plan.schedules = {{"body", body_}, {"head_last", headLast},
                      {"head_all", headAll}};
    plan.state = {{"mamba_layers", mambaLayersJson()},
                  {"attention_layers", attentionLayers}};
    for (const auto &[name, unused] : kernelsUsed)
      plan.kernelsUsed.push_back(name);
    return plan;
  }

private:
  //===--------------------------------------------------------------------===//
  // Buffers
  //===--------------------------------------------------------------------===//

  /// q, k and v of an attention share one buffer so the kernel reads them
  /// with one row stride.
  void planAttentionGroups(Block &body) {
    for (auto attention : body.getOps<AttentionCoreOp>()) {
      int64_t q = widthOf(attention.getQ()), k = widthOf(attention.getK());
      int64_t total = q + 2 * k;
      attentionGroup[attention.getQ()] = {attention, 0, total};
      attentionGroup[attention.getK()] = {attention, q, total};
      attentionGroup[attention.getV()] = {attention, q + k, total};
    }
  }

  const std::string &nameOf(int buffer) { return buffers.nameOf(buffer); }

  //===--------------------------------------------------------------------===//
  // Taps
  //===--------------------------------------------------------------------===//

  /// A tap point: after body entry `after` ran, `value`'s rows are in its
  /// buffer at `column`, `rowStride` apart.
  void addTap(const char *kind, std::optional<int64_t> layer, Value value,
              size_t after) {
    BufferView view = buffers.viewOf(value);
    json tap = {{"kind", kind},
                {"buffer", nameOf(view.buffer)},
                {"offset", view.column},
                {"ld", view.rowStride},
                {"width", widthOf(value)},
                {"after", static_cast<int64_t>(after)}};
    if (layer)
      tap["layer"] = *layer;
    taps.push_back(std::move(tap));
  }

  /// The residual stream is the chain embedding -> add -> add ...: the k-th
  /// add ends layer k (its update is layer k's mixer output). The input of
  /// the LM head is the final norm's output. Tapping copies rows right after
  /// the entry that wrote them, before any later entry reuses the buffer.
  void recordTaps(Operation *op) {
    if (body_.empty())
      return;
    size_t last = body_.size() - 1; // the entry `op` emitted, if any
    if (auto embedding = dyn_cast<EmbeddingOp>(op)) {
      residual = embedding.getResult();
      addTap("embeddings", std::nullopt, residual, last);
      return;
    }
    Value sum, update, lhs;
    if (auto add = dyn_cast<AddRMSNormOp>(op)) {
      lhs = add.getResidual(), update = add.getUpdate(), sum = add.getSum();
      lastNormalized = add.getNormalized();
      lastNormalizedEntry = last;
    } else if (auto add = dyn_cast<AddOp>(op)) {
      lhs = add.getLhs(), update = add.getRhs(), sum = add.getResult();
    } else if (auto norm = dyn_cast<RMSNormOp>(op)) {
      lastNormalized = norm.getResult();
      lastNormalizedEntry = last;
      return;
    } else if (auto head = dyn_cast<LMHeadOp>(op)) {
      if (head.getInput() == lastNormalized)
        addTap("final_norm", std::nullopt, lastNormalized, lastNormalizedEntry);
      return;
    } else {
      return;
    }
    if (!residual || lhs != residual)
      return;
    addTap("mixer", layerCount, update, last);
    addTap("residual", layerCount, sum, last);
    ++layerCount;
    residual = sum;
  }

  //===--------------------------------------------------------------------===//
  // Weights
  //===--------------------------------------------------------------------===//

  FailureOr<std::string> weightName(Operation *user, Value value) {
    if (auto param = value.getDefiningOp<ParamOp>()) {
      json alternatives = json::array();
      if (param.getFallback())
        alternatives.push_back({{"name", param.getFallback()->str()}});
      addWeight(param.getName().str(), param.getType().getElementType(),
                param.getType().getShape(), alternatives);
      return param.getName().str();
    }
    if (auto linear = value.getDefiningOp<LinearParamOp>()) {
      LinearType type = linear.getType();
      std::string module = linear.getName().str();
      if (type.isFP8() && type.isStacked())
        return user->emitOpError()
               << "FP8 routed experts ('" << module
               << "') are not supported yet";
      std::string name = module + ".weight";
      ArrayRef<int64_t> shape = type.getShape();
      if (type.isStacked()) {
        // Per-expert tensors ("experts.{e}.up_proj.weight"), or slice e of
        // the stacked tensor transformers keeps in memory and fused
        // checkpoints store ("experts.up_proj" [E, out, in]).
        std::string stacked = linear.getName().str();
        stacked.replace(stacked.find(".{e}"), 4, "");
        for (int64_t e = 0; e < type.getNumExperts(); ++e) {
          std::string expert = name;
          expert.replace(expert.find("{e}"), 3, std::to_string(e));
          json alternatives = json::array();
          for (const std::string &whole : {stacked, stacked + ".weight"})
            alternatives.push_back(
                {{"name", whole}, {"index", e}, {"count", type.getNumExperts()}});
          addWeight(expert, type.getElementType(), shape.drop_front(),
                    alternatives);
        }
      } else {
        addWeight(name, type.getElementType(), shape);
        // modelopt keeps an FP8 module's bias in the base dtype; binding
        // converts any float dtype to the f32 the GEMM adds.
        Type biasType = type.isFP8() ? Float32Type::get(user->getContext())
                                     : type.getElementType();
        if (type.getHasBias())
          addWeight(module + ".bias", biasType, {type.getOutFeatures()});
        if (type.isFP8())
          for (const char *scale : {".input_scale", ".weight_scale"})
            addScale(module + scale, user->getContext());
      }
      return name;
    }
    return user->emitOpError() << "weight operand is not a checkpoint parameter";
  }

  /// `dtype` is the dtype the computation reads; binding accepts any float
  /// storage dtype for a float one (docs/artifact-format.md).
  void addWeight(const std::string &name, Type elementType,
                 ArrayRef<int64_t> shape,
                 const json &alternatives = json::array()) {
    if (weightIndex.count(name))
      return;
    json entry = {{"name", name},
                  {"dtype", dtypeName(elementType)},
                  {"shape", std::vector<int64_t>(shape.begin(), shape.end())}};
    if (!alternatives.empty())
      entry["alternatives"] = alternatives;
    weightIndex[name] = plan.weights.size();
    plan.weights.push_back(std::move(entry));
  }

  /// An FP8 per-tensor scale: one f32, which binding checks is positive and
  /// finite (docs/fp8.md).
  void addScale(const std::string &name, MLIRContext *context) {
    addWeight(name, Float32Type::get(context), {});
    plan.weights[weightIndex.at(name)]["positive"] = true;
  }

  /// The checkpoint scalar a quantizing kernel divides by.
  FailureOr<std::string> scaleName(Operation *user, Value scale) {
    FailureOr<std::string> name = weightName(user, scale);
    if (succeeded(name))
      addScale(*name, user->getContext());
    return name;
  }

  /// The arguments that make a norm kernel quantize its output (or not;
  /// `standIn` is any weight the kernel may read in place of a scale).
  FailureOr<json> quantizeArgs(Operation *op, Value scale,
                               const std::string &standIn) {
    if (!scale)
      return json{weightArg(standIn), indexArg(0)};
    FailureOr<std::string> name = scaleName(op, scale);
    if (failed(name))
      return failure();
    return json{weightArg(*name), indexArg(1)};
  }

  //===--------------------------------------------------------------------===//
  // Schedule entries
  //===--------------------------------------------------------------------===//

  LogicalResult kernel(Operation *op, json &schedule, const std::string &name,
                       json args) {
    auto it = signatures.find(name);
    if (it == signatures.end())
      return op->emitOpError() << "needs kernel '" << name
                               << "', which the kernel library lacks";
    const std::vector<KernelParamKind> &params = it->second;
    if (params.size() != args.size())
      return op->emitOpError() << "calls '" << name << "' with " << args.size()
                               << " arguments, but it takes " << params.size();
    for (size_t i = 0; i < params.size(); ++i) {
      bool isMemRef = !args[i].contains("dim") && !args[i].contains("index") &&
                      !args[i].contains("f32");
      bool expectsMemRef = params[i] == KernelParamKind::MemRef;
      bool expectsF32 = params[i] == KernelParamKind::F32;
      if (isMemRef != expectsMemRef || args[i].contains("f32") != expectsF32)
        return op->emitOpError() << "argument " << i << " of '" << name
                                 << "' must be a "
                                 << kernelParamKindName(params[i]);
    }
    kernelsUsed[name] = true;
    schedule.push_back({{"kernel", name}, {"args", std::move(args)}});
    return success();
  }

  /// `c[m, n] = epilogue(a[m, k] @ w^T + bias)`.
  json gemm(const BufferView &a, const std::string &weight, const std::string &c,
            int64_t cOffset, int64_t ldc, int64_t n, int64_t k,
            ActivationAttr epilogue, const char *m = "tokens",
            const std::string &bias = "") {
    json entry = {{"library", "gemm"},
            {"m", m},
            {"a", nameOf(a.buffer)},
            {"a_offset", a.column},
            {"lda", a.rowStride},
            {"w", weight},
            {"c", c},
            {"c_offset", cOffset},
            {"ldc", ldc},
            {"n", n},
            {"k", k},
            {"accumulate", false},
            {"epilogue", epilogue ? stringifyActivation(epilogue.getValue()).str()
                                  : std::string("none")}};
    if (!bias.empty())
      entry["bias"] = bias;
    return entry;
  }

  LogicalResult emit(Operation *op) {
    return TypeSwitch<Operation *, LogicalResult>(op)
        .Case<ParamOp, LinearParamOp, func::ReturnOp>(
            [](Operation *) { return success(); })
        .Case([&](EmbeddingOp op) {
          // A library op, so the table is read where the checkpoint maps
          // it (a BF16 vocabulary never gets an f32 copy).
          FailureOr<std::string> table = weightName(op, op.getTable());
          if (failed(table))
            return failure();
          BufferView out = buffers.define(op.getResult());
          body_.push_back({{"library", "embedding"},
                           {"table", *table},
                           {"output", nameOf(out.buffer)},
                           {"hidden", widthOf(op.getResult())}});
          return success();
        })
        .Case([&](RMSNormOp op) { return emitRMSNorm(op); })
        .Case([&](AddRMSNormOp op) {
          FailureOr<BufferView> residual = buffers.contiguous(op, op.getResidual(), "residual");
          FailureOr<BufferView> update = buffers.contiguous(op, op.getUpdate(), "update");
          FailureOr<std::string> weight = weightName(op, op.getWeight());
          if (failed(residual) || failed(update) || failed(weight) ||
              failed(buffers.defineInPlace(op, op.getSum(), op.getResidual())))
            return failure();
          FailureOr<json> quantize =
              quantizeArgs(op, op.getQuantScale(), *weight);
          if (failed(quantize))
            return failure();
          BufferView out = buffers.define(op.getNormalized());
          json args = {bufferArg(nameOf(residual->buffer)),
                       bufferArg(nameOf(update->buffer)), weightArg(*weight),
                       bufferArg(nameOf(out.buffer)), tokensArg(),
                       indexArg(widthOf(op.getResidual())),
                       f32Arg(op.getEpsilon().convertToDouble())};
          args.insert(args.end(), quantize->begin(), quantize->end());
          return kernel(op, body_, "nhc_add_rms_norm", std::move(args));
        })
        .Case([&](AddOp op) {
          FailureOr<BufferView> lhs = buffers.contiguous(op, op.getLhs(), "lhs");
          FailureOr<BufferView> rhs = buffers.contiguous(op, op.getRhs(), "rhs");
          if (failed(lhs) || failed(rhs) ||
              failed(buffers.defineInPlace(op, op.getResult(), op.getLhs())))
            return failure();
          return kernel(op, body_, "nhc_add",
                        {bufferArg(nameOf(lhs->buffer)),
                         bufferArg(nameOf(rhs->buffer)),
                         tokensArg(widthOf(op.getLhs()))});
        })
        .Case([&](LinearOp op) { return emitLinear(op); })
        .Case([&](QuantizeFP8Op op) { return emitQuantize(op); })
        .Case([&](SplitOp op) {
          BufferView input = buffers.viewOf(op.getInput());
          int64_t column = input.column;
          for (auto [result, size] : llvm::zip(op.getResults(), op.getSizes())) {
            buffers.bind(result, {input.buffer, column, input.rowStride});
            column += size;
          }
          return success();
        })
        .Case([&](Conv1dActOp op) { return emitConv(op); })
        .Case([&](SSDScanOp op) { return emitSSD(op); })
        .Case([&](GatedRMSNormOp op) { return emitGatedNorm(op); })
        .Case([&](AttentionCoreOp op) { return emitAttention(op); })
        .Case([&](MoERouteOp op) { return emitRoute(op); })
        .Case([&](MoEExpertsOp op) { return emitExperts(op); })
        .Case([&](LMHeadOp op) { return emitLMHead(op); })
        .Default([](Operation *op) {
          return op->emitOpError()
                 << "has no kernel; run the lowering pipeline "
                    "(nemotron-lower-to-kernels-pipeline) first";
        });
  }

  LogicalResult emitRMSNorm(RMSNormOp op) {
    FailureOr<BufferView> input = buffers.contiguous(op, op.getInput(), "input");
    FailureOr<std::string> weight = weightName(op, op.getWeight());
    if (failed(input) || failed(weight))
      return failure();
    FailureOr<json> quantize = quantizeArgs(op, op.getQuantScale(), *weight);
    if (failed(quantize))
      return failure();
    BufferView out = buffers.define(op.getResult());
    json args = {bufferArg(nameOf(input->buffer)), weightArg(*weight),
                 bufferArg(nameOf(out.buffer)), tokensArg(),
                 indexArg(widthOf(op.getInput())),
                 f32Arg(op.getEpsilon().convertToDouble())};
    args.insert(args.end(), quantize->begin(), quantize->end());
    return kernel(op, body_, "nhc_rms_norm", std::move(args));
  }

  LogicalResult emitQuantize(QuantizeFP8Op op) {
    FailureOr<std::string> scale = scaleName(op, op.getScale());
    if (failed(scale))
      return failure();
    BufferView input = buffers.viewOf(op.getInput());
    BufferView out = buffers.define(op.getResult());
    return kernel(op, body_, "nhc_quantize_fp8",
                  {bufferArg(nameOf(input.buffer)), indexArg(input.rowStride),
                   indexArg(input.column), weightArg(*scale),
                   bufferArg(nameOf(out.buffer)), tokensArg(),
                   indexArg(widthOf(op.getInput()))});
  }

  LogicalResult emitLinear(LinearOp op) {
    FailureOr<std::string> weight = weightName(op, op.getWeight());
    if (failed(weight))
      return failure();
    BufferView input = buffers.viewOf(op.getInput());
    BufferView out;
    auto group = attentionGroup.find(op.getResult());
    if (group != attentionGroup.end()) {
      auto [attention, column, width] = group->second;
      out = buffers.defineInGroup(op.getResult(), attention, column, width);
    } else {
      out = buffers.define(op.getResult());
    }
    auto type = cast<LinearType>(op.getWeight().getType());
    std::string module =
        op.getWeight().getDefiningOp<LinearParamOp>().getName().str();
    std::string bias;
    if (type.getHasBias())
      bias = module + ".bias";
    json entry = gemm(input, *weight, nameOf(out.buffer), out.column,
                      out.rowStride, type.getOutFeatures(),
                      type.getInFeatures(), op.getEpilogueAttr(), "tokens",
                      bias);
    if (type.isFP8()) {
      if (!isQuantizedActivation(op.getInput()))
        return op.emitOpError()
               << "FP8 linear '" << module
               << "' reads an unquantized input; run "
                  "nemotron-quantize-fp8-linears first";
      // y = (x_q . W_q^T) * (input_scale * weight_scale) (docs/fp8.md).
      entry["scale"] = {module + ".input_scale", module + ".weight_scale"};
    }
    if (Value scale = op.getQuantScale()) {
      FailureOr<std::string> name = scaleName(op, scale);
      if (failed(name))
        return failure();
      entry["quantize_output"] = *name;
    }
    body_.push_back(std::move(entry));
    return success();
  }

  LogicalResult emitConv(Conv1dActOp op) {
    FailureOr<std::string> weight = weightName(op, op.getWeight());
    // Without a bias the kernel is told so and reads no bias tensor; it
    // still takes a memref there, so the weight stands in.
    FailureOr<std::string> bias =
        op.getBias() ? weightName(op, op.getBias()) : weight;
    if (failed(weight) || failed(bias))
      return failure();
    BufferView src = buffers.viewOf(op.getInput());
    BufferView out = buffers.define(op.getResult());
    int64_t channels = widthOf(op.getInput());
    int64_t kernelSize =
        cast<RankedTensorType>(op.getWeight().getType()).getDimSize(2);
    int64_t layer = op.getLayer();
    mambaLayers[layer]["conv_state"] = {
        {"dtype", "F32"}, {"shape", {channels, kernelSize - 1}}};
    return kernel(op, body_, "nhc_conv1d_act",
                  {bufferArg(nameOf(src.buffer)), indexArg(src.rowStride),
                   indexArg(src.column), bufferArg(nameOf(out.buffer)),
                   weightArg(*weight), weightArg(*bias),
                   indexArg(op.getBias() ? 1 : 0),
                   indexArg(static_cast<int64_t>(op.getActivation())),
                   stateArg("conv", layer), {{"requests", true}},
                   requestsArg(), indexArg(channels), indexArg(kernelSize)});
  }

  LogicalResult emitSSD(SSDScanOp op) {
    FailureOr<BufferView> xbc = buffers.contiguous(op, op.getXbc(), "xbc");
    FailureOr<std::string> dtBias = weightName(op, op.getDtBias());
    FailureOr<std::string> aLog = weightName(op, op.getALog());
    FailureOr<std::string> d = weightName(op, op.getD());
    if (failed(xbc) || failed(dtBias) || failed(aLog) || failed(d))
      return failure();
    BufferView dt = buffers.viewOf(op.getDt());
    BufferView y = buffers.define(op.getResult());
    int64_t layer = op.getLayer();
    mambaLayers[layer]["ssm_state"] = {
        {"dtype", "F32"},
        {"shape",
         {int64_t(op.getNumHeads()), int64_t(op.getHeadDim()),
          int64_t(op.getStateSize())}}};
    // Prefill requests take the chunked scan, decode requests the one-step
    // recurrence; each kernel skips the other's requests.
    json common = {bufferArg(nameOf(xbc->buffer)), bufferArg(nameOf(dt.buffer)),
                   indexArg(dt.rowStride), indexArg(dt.column),
                   weightArg(*dtBias), weightArg(*aLog), weightArg(*d),
                   stateArg("ssm", layer), bufferArg(nameOf(y.buffer)),
                   {{"requests", true}}, requestsArg(),
                   indexArg(op.getNumHeads()), indexArg(op.getHeadDim()),
                   indexArg(op.getStateSize()), indexArg(op.getNGroups())};
    json chunked = common;
    chunked.push_back(indexArg(op.getChunkSize()));
    for (json *args : {&chunked, &common}) {
      args->push_back(f32Arg(op.getDtMin().convertToDouble()));
      args->push_back(f32Arg(op.getDtMax().convertToDouble()));
    }
    if (failed(kernel(op, body_, "nhc_ssd_chunk_scan", std::move(chunked))))
      return failure();
    return kernel(op, body_, "nhc_ssd_scan", std::move(common));
  }

  LogicalResult emitGatedNorm(GatedRMSNormOp op) {
    FailureOr<BufferView> y = buffers.contiguous(op, op.getInput(), "input");
    FailureOr<std::string> weight = weightName(op, op.getWeight());
    if (failed(y) || failed(weight))
      return failure();
    BufferView z = buffers.viewOf(op.getGate());
    if (z.column != 0)
      return op.emitOpError() << "gate must start at column 0 of its buffer";
    FailureOr<json> quantize = quantizeArgs(op, op.getQuantScale(), *weight);
    if (failed(quantize))
      return failure();
    BufferView out = buffers.define(op.getResult());
    json args = {bufferArg(nameOf(y->buffer)), bufferArg(nameOf(z.buffer)),
                 indexArg(z.rowStride), weightArg(*weight),
                 bufferArg(nameOf(out.buffer)), tokensArg(),
                 indexArg(widthOf(op.getInput())), indexArg(op.getNGroups()),
                 f32Arg(op.getEpsilon().convertToDouble())};
    args.insert(args.end(), quantize->begin(), quantize->end());
    return kernel(op, body_, "nhc_gated_rms_norm", std::move(args));
  }

  LogicalResult emitAttention(AttentionCoreOp op) {
    BufferView q = buffers.viewOf(op.getQ()), k = buffers.viewOf(op.getK()),
         v = buffers.viewOf(op.getV());
    if (q.buffer != k.buffer || q.buffer != v.buffer)
      return op.emitOpError() << "q, k and v must share one buffer";
    BufferView out = buffers.define(op.getResult());
    int64_t layer = op.getLayer();
    attentionLayers.push_back({{"layer", layer},
                               {"num_kv_heads", int64_t(op.getNumKvHeads())},
                               {"head_dim", int64_t(op.getHeadDim())},
                               {"dtype", "F32"}});
    return kernel(op, body_, "nhc_attention",
                  {bufferArg(nameOf(q.buffer)), indexArg(q.rowStride),
                   indexArg(q.column), indexArg(k.column), indexArg(v.column),
                   stateArg("k_cache", layer), stateArg("v_cache", layer),
                   bufferArg(nameOf(out.buffer)), {{"requests", true}},
                   requestsArg(), indexArg(op.getNumHeads()),
                   indexArg(op.getNumKvHeads()), indexArg(op.getHeadDim()),
                   {{"dim", "max_seq_len"}},
                   f32Arg(op.getScale().convertToDouble())});
  }

  LogicalResult emitRoute(MoERouteOp op) {
    FailureOr<BufferView> logits = buffers.contiguous(op, op.getLogits(), "logits");
    FailureOr<std::string> bias = weightName(op, op.getBias());
    if (failed(logits) || failed(bias))
      return failure();
    BufferView indices = buffers.define(op.getIndices());
    BufferView weights = buffers.define(op.getWeights());
    return kernel(op, body_, "nhc_moe_route",
                  {bufferArg(nameOf(logits->buffer)), weightArg(*bias),
                   bufferArg(nameOf(indices.buffer)),
                   bufferArg(nameOf(weights.buffer)), tokensArg(),
                   indexArg(widthOf(op.getLogits())), indexArg(op.getTopK()),
                   indexArg(op.getNGroup()), indexArg(op.getTopkGroup()),
                   indexArg(op.getNormTopkProb() ? 1 : 0),
                   f32Arg(op.getRoutedScalingFactor().convertToDouble())});
  }

  LogicalResult emitExperts(MoEExpertsOp op) {
    FailureOr<BufferView> input = buffers.contiguous(op, op.getInput(), "input");
    FailureOr<std::string> up = weightName(op, op.getUp());
    FailureOr<std::string> down = weightName(op, op.getDown());
    if (failed(input) || failed(up) || failed(down))
      return failure();
    BufferView indices = buffers.viewOf(op.getIndices()), weights = buffers.viewOf(op.getWeights());
    BufferView out = buffers.define(op.getResult());
    auto upType = cast<LinearType>(op.getUp().getType());
    body_.push_back({{"library", "moe_experts"},
                     {"input", nameOf(input->buffer)},
                     {"indices", nameOf(indices.buffer)},
                     {"weights", nameOf(weights.buffer)},
                     {"output", nameOf(out.buffer)},
                     {"up", *up},
                     {"down", *down},
                     {"num_experts", upType.getNumExperts()},
                     {"top_k", widthOf(op.getIndices())},
                     {"hidden", upType.getInFeatures()},
                     {"intermediate", upType.getOutFeatures()},
                     {"activation", stringifyActivation(op.getActivation()).str()}});
    return success();
  }

  /// head_last: logits of each request's last token; head_all: of every token.
  LogicalResult emitLMHead(LMHeadOp op) {
    FailureOr<BufferView> input = buffers.contiguous(op, op.getInput(), "input");
    FailureOr<std::string> weight = weightName(op, op.getWeight());
    if (failed(input) || failed(weight))
      return failure();
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    int64_t vocab = weightType.getDimSize(0), hidden = weightType.getDimSize(1);
    int last = buffers.allocate(hidden, "request", "F32");
    if (failed(kernel(op, headLast, "nhc_gather_last",
                      {bufferArg(nameOf(input->buffer)), {{"requests", true}},
                       bufferArg(nameOf(last)), requestsArg(),
                       indexArg(hidden)})))
      return failure();
    headLast.push_back(gemm({last, 0, hidden}, *weight, "logits", 0, vocab,
                            vocab, hidden, ActivationAttr(), "requests"));
    headAll.push_back(gemm(*input, *weight, "logits", 0, vocab, vocab, hidden,
                           ActivationAttr()));
    sawLMHead = true;
    return success();
  }

  json mambaLayersJson() {
    json layers = json::array();
    for (auto &[layer, entry] : mambaLayers) {
      json item = entry;
      item["layer"] = layer;
      layers.push_back(item);
    }
    return layers;
  }

  func::FuncOp forward;
  const KernelSignatures &signatures;
  StepPlan plan;
  json body_ = json::array(), headLast = json::array(),
       headAll = json::array();
  json attentionLayers = json::array();
  std::map<int64_t, json> mambaLayers;
  std::map<std::string, bool> kernelsUsed;
  std::map<std::string, size_t> weightIndex; // name -> plan.weights index
  BufferPlanner buffers;
  llvm::DenseMap<Value, std::tuple<Operation *, int64_t, int64_t>>
      attentionGroup;
  bool sawLMHead = false;
  json taps = json::array();
  Value residual, lastNormalized;
  size_t lastNormalizedEntry = 0;
  int64_t layerCount = 0;
};
} // namespace

FailureOr<StepPlan> buildStepPlan(func::FuncOp forward,
                                  const KernelSignatures &signatures) {
  return StepPlanner(forward, signatures).run();
}

} // namespace mlir::nhc
