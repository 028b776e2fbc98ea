//===- ManifestTranslation.cpp - nemotron_exec to the manifest --*- C++ -*-===//

#include "nhc/Target/Manifest/ManifestTranslation.h"

#include "mlir/Tools/mlir-translate/Translation.h"
#include "nhc/Dialect/Nemotron/IR/NemotronAttrs.h"
#include "nhc/Dialect/Nemotron/IR/NemotronDialect.h"
#include "nhc/Dialect/NemotronExec/IR/NemotronExec.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cfloat>
#include <cmath>
#include <set>

using json = nlohmann::json;
using namespace mlir;
using namespace mlir::nemotron_exec;

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

json shapeOf(RankedTensorType type) {
  json shape = json::array();
  for (int64_t size : type.getShape())
    shape.push_back(size);
  return shape;
}

const char *kernelParamKind(Type type) {
  return isa<MemRefType>(type) ? "memref" : type.isIndex() ? "index" : "f32";
}

json layerPlan(StringRef pattern) {
  json layers = json::array();
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char *kind = pattern[i] == 'M'   ? "mamba"
                       : pattern[i] == '*' ? "attention"
                       : pattern[i] == '-' ? "mlp"
                                           : "moe";
    layers.push_back({{"index", i}, {"kind", kind}});
  }
  return layers;
}

class ManifestWriter {
public:
  explicit ManifestWriter(ModuleOp module) : module(module) {}

  FailureOr<json> run() {
    auto model = nemotron::ModelAttr::of(module);
    if (!model)
      return module.emitError()
             << "module has no '" << nemotron::ModelAttr::kAttrName
             << "' attribute";
    auto targets = module->getAttrOfType<ArrayAttr>(kTargetsAttrName);
    if (!targets || targets.empty() ||
        !llvm::all_of(targets, [](Attribute t) { return isa<StringAttr>(t); }))
      return module.emitError() << "module has no '" << kTargetsAttrName
                                << "' list of target names";
    json targetNames = json::array();
    for (Attribute target : targets)
      targetNames.push_back(cast<StringAttr>(target).str());

    json schedules = json::object();
    for (StringRef name :
         {kBodySchedule, kHeadLastSchedule, kHeadAllSchedule}) {
      auto schedule = module.lookupSymbol<ScheduleOp>(name);
      if (!schedule)
        return module.emitError() << "module has no schedule @" << name;
      FailureOr<json> entries = scheduleEntries(schedule);
      if (failed(entries))
        return failure();
      schedules[name.str()] = std::move(*entries);
    }

    json kernels = json::array();
    for (const std::string &name : calledKernels) {
      auto kernel = module.lookupSymbol<func::FuncOp>(name);
      json params = json::array();
      for (Type type : kernel.getArgumentTypes())
        params.push_back(kernelParamKind(type));
      kernels.push_back({{"name", name}, {"params", params}});
    }

    return json{
        {"format", "nhc-manifest"},
        {"version", 1},
        {"generator", "nhc"},
        {"config",
         {{"source", model.getSource().str()},
          {"fnv1a64", model.getConfigHash().str()}}},
        {"model",
         {{"hidden_size", model.getHiddenSize()},
          {"vocab_size", model.getVocabSize()},
          {"num_layers", model.getNumLayers()},
          {"max_position_embeddings", model.getMaxPositionEmbeddings()},
          {"dtype", dtypeName(model.getDtype())},
          {"compute_dtype", "F32"},
          {"layer_pattern", model.getLayerPattern().str()}}},
        {"layers", layerPlan(model.getLayerPattern())},
        {"targets", targetNames},
        {"weights", weights()},
        {"state", state()},
        {"buffers", buffers()},
        {"kernels", kernels},
        {"schedules", schedules},
        {"taps", taps},
    };
  }

private:
  json weights() {
    json list = json::array();
    for (WeightOp weight : module.getOps<WeightOp>()) {
      auto type = cast<RankedTensorType>(weight.getType());
      json entry = {{"name", weight.getSymName().str()},
                    {"dtype", dtypeName(type.getElementType())},
                    {"shape", shapeOf(type)}};
      if (std::optional<ArrayAttr> alternatives = weight.getAlternatives()) {
        json list = json::array();
        for (Attribute alternative : *alternatives) {
          auto dict = cast<DictionaryAttr>(alternative);
          json item = {{"name", dict.getAs<StringAttr>("name").str()}};
          if (auto index = dict.getAs<IntegerAttr>("index")) {
            item["index"] = index.getInt();
            item["count"] = dict.getAs<IntegerAttr>("count").getInt();
          }
          list.push_back(std::move(item));
        }
        entry["alternatives"] = std::move(list);
      }
      if (weight.getPositive())
        entry["positive"] = true;
      list.push_back(std::move(entry));
    }
    return list;
  }

  /// The named per-request state tensors, in module order
  /// (docs/artifact-format.md): a KV cache's leading `?` (the sequence
  /// length) is "max_seq_len".
  json state() {
    json list = json::array();
    for (StateOp state : module.getOps<StateOp>()) {
      auto type = cast<RankedTensorType>(state.getType());
      json shape = json::array();
      for (int64_t size : type.getShape()) {
        if (ShapedType::isDynamic(size))
          shape.push_back("max_seq_len");
        else
          shape.push_back(size);
      }
      list.push_back({{"name", state.getSymName().str()},
                      {"layer", uint64_t(state.getLayer())},
                      {"dtype", dtypeName(type.getElementType())},
                      {"shape", std::move(shape)}});
    }
    return list;
  }

  json buffers() {
    json list = json::array();
    for (BufferOp buffer : module.getOps<BufferOp>()) {
      auto type = cast<RankedTensorType>(buffer.getType());
      list.push_back({{"name", buffer.getSymName().str()},
                      {"per", stringifyRows(buffer.getRows()).str()},
                      {"dtype", dtypeName(type.getElementType())},
                      {"elems", type.getDimSize(0)}});
    }
    return list;
  }

  /// The manifest's spelling of one kernel argument.
  FailureOr<json> argument(Operation *user, Value value) {
    // Schedules are isolated and take no arguments: every value has an op.
    Operation *def = value.getDefiningOp();
    return TypeSwitch<Operation *, FailureOr<json>>(def)
        .Case([](BufferRefOp ref) -> json {
          return {{"buffer", ref.getName().str()}};
        })
        .Case([](WeightRefOp ref) -> json {
          return {{"weight", ref.getName().str()}};
        })
        .Case([](StateRefOp ref) -> json {
          return {{"state", ref.getName().str()}};
        })
        .Case([](DimOp dim) -> json {
          json arg = {{"dim", stringifyDim(dim.getDim()).str()}};
          if (std::optional<uint64_t> times = dim.getTimes())
            arg["times"] = int64_t(*times);
          return arg;
        })
        .Case([](RequestTableOp) -> json { return {{"requests", true}}; })
        .Case([&](arith::ConstantOp constant) -> FailureOr<json> {
          if (auto index = dyn_cast<IntegerAttr>(constant.getValue());
              index && index.getType().isIndex())
            return json{{"index", index.getInt()}};
          auto number = dyn_cast<FloatAttr>(constant.getValue());
          if (!number || !number.getType().isF32())
            return user->emitOpError()
                   << "constant argument must be an index or an f32";
          double value = number.getValueAsDouble();
          if (std::isnan(value))
            return user->emitOpError() << "f32 argument is NaN, which the "
                                          "manifest cannot carry";
          // JSON has no infinity; an unbounded clamp is the largest f32.
          if (std::isinf(value))
            value = value > 0 ? FLT_MAX : -FLT_MAX;
          return json{{"f32", value}};
        })
        .Default([&](Operation *other) -> FailureOr<json> {
          return user->emitOpError()
                 << "argument comes from '" << other->getName()
                 << "', which the manifest cannot express";
        });
  }

  /// The buffer `value` refers to ("logits" for the caller's logits where
  /// `allowLogits`); an error on `user` naming `role` otherwise.
  FailureOr<std::string> bufferName(Operation *user, Value value,
                                    StringRef role, bool allowLogits = false) {
    if (allowLogits && value.getDefiningOp<LogitsOp>())
      return std::string("logits");
    if (auto ref = value.getDefiningOp<BufferRefOp>())
      return ref.getName().str();
    return user->emitOpError()
           << role << " must be a buffer" << (allowLogits ? " or the logits" : "");
  }

  FailureOr<json> scheduleEntries(ScheduleOp schedule) {
    json entries = json::array();
    bool isBody = schedule.getSymName() == kBodySchedule;
    for (Operation &op : schedule.getBody().front()) {
      FailureOr<json> entry =
          TypeSwitch<Operation *, FailureOr<json>>(&op)
              .Case([&](CallOp call) -> FailureOr<json> {
                json args = json::array();
                for (Value arg : call.getArgs()) {
                  FailureOr<json> spelled = argument(call, arg);
                  if (failed(spelled))
                    return failure();
                  args.push_back(std::move(*spelled));
                }
                calledKernels.insert(call.getCallee().str());
                return json{{"kernel", call.getCallee().str()},
                            {"args", std::move(args)}};
              })
              .Case([&](GemmOp gemm) -> FailureOr<json> {
                return gemmEntry(gemm);
              })
              .Case([&](EmbeddingOp embedding) -> FailureOr<json> {
                FailureOr<std::string> output =
                    bufferName(embedding, embedding.getOutput(), "output");
                if (failed(output))
                  return failure();
                return json{{"library", "embedding"},
                            {"table", embedding.getTable().str()},
                            {"output", *output},
                            {"hidden", int64_t(embedding.getHidden())}};
              })
              .Case([&](MoEExpertsOp moe) -> FailureOr<json> {
                json entry = {{"library", "moe_experts"},
                              {"up", moe.getUp().str()},
                              {"down", moe.getDown().str()},
                              {"num_experts", int64_t(moe.getNumExperts())},
                              {"top_k", int64_t(moe.getTopK())},
                              {"hidden", int64_t(moe.getHidden())},
                              {"intermediate", int64_t(moe.getIntermediate())},
                              {"activation", moe.getActivation().str()}};
                for (auto [role, value] :
                     {std::pair<const char *, Value>{"input", moe.getInput()},
                      {"indices", moe.getIndices()},
                      {"weights", moe.getWeights()},
                      {"output", moe.getOutput()}}) {
                  FailureOr<std::string> name = bufferName(moe, value, role);
                  if (failed(name))
                    return failure();
                  entry[role] = *name;
                }
                return entry;
              })
              .Case([&](TapOp tap) -> FailureOr<json> {
                if (!isBody)
                  return tap.emitOpError() << "taps belong in @body";
                if (entries.empty())
                  return tap.emitOpError()
                         << "a tap must follow the entry that wrote its rows";
                FailureOr<std::string> buffer =
                    bufferName(tap, tap.getBuffer(), "tapped rows");
                if (failed(buffer))
                  return failure();
                json item = {{"kind", tap.getKind().str()},
                             {"buffer", *buffer},
                             {"offset", int64_t(tap.getOffset())},
                             {"ld", int64_t(tap.getLd())},
                             {"width", int64_t(tap.getWidth())},
                             {"after", int64_t(entries.size()) - 1}};
                if (std::optional<uint64_t> layer = tap.getLayer())
                  item["layer"] = int64_t(*layer);
                taps.push_back(std::move(item));
                return json(); // not an entry
              })
              .Default([](Operation *) -> FailureOr<json> { return json(); });
      if (failed(entry))
        return failure();
      if (!entry->is_null())
        entries.push_back(std::move(*entry));
    }
    return entries;
  }

  FailureOr<json> gemmEntry(GemmOp gemm) {
    auto rows = gemm.getM().getDefiningOp<DimOp>();
    FailureOr<std::string> a = bufferName(gemm, gemm.getA(), "a");
    FailureOr<std::string> c =
        bufferName(gemm, gemm.getC(), "c", /*allowLogits=*/true);
    if (failed(a) || failed(c))
      return failure();
    json entry = {{"library", "gemm"},
                  {"m", stringifyDim(rows.getDim()).str()},
                  {"a", *a},
                  {"a_offset", int64_t(gemm.getAOffset())},
                  {"lda", int64_t(gemm.getLda())},
                  {"w", gemm.getWeight().str()},
                  {"c", *c},
                  {"c_offset", int64_t(gemm.getCOffset())},
                  {"ldc", int64_t(gemm.getLdc())},
                  {"n", int64_t(gemm.getN())},
                  {"k", int64_t(gemm.getK())},
                  {"accumulate", false},
                  {"epilogue", gemm.getEpilogue().str()}};
    if (std::optional<StringRef> bias = gemm.getBias())
      entry["bias"] = bias->str();
    if (std::optional<ArrayAttr> scale = gemm.getScale()) {
      json names = json::array();
      for (Attribute ref : *scale)
        names.push_back(cast<FlatSymbolRefAttr>(ref).getValue().str());
      entry["scale"] = std::move(names);
    }
    if (std::optional<StringRef> quantize = gemm.getQuantizeOutput())
      entry["quantize_output"] = quantize->str();
    return entry;
  }

  ModuleOp module;
  std::set<std::string> calledKernels; // sorted: the manifest's order
  json taps = json::array();
};

} // namespace

FailureOr<json> mlir::nhc::translateToManifest(ModuleOp module) {
  return ManifestWriter(module).run();
}

std::string mlir::nhc::printManifest(const json &manifest) {
  return manifest.dump(2) + "\n";
}

void mlir::nhc::registerToManifestTranslation() {
  TranslateFromMLIRRegistration registration(
      "nemotron-to-manifest",
      "Write the artifact manifest (JSON) of execution-level nemotron_exec IR",
      [](Operation *op, raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError() << "expected a builtin.module";
        FailureOr<json> manifest = translateToManifest(module);
        if (failed(manifest))
          return failure();
        os << printManifest(*manifest);
        return success();
      },
      [](DialectRegistry &registry) {
        registry.insert<nemotron::NemotronDialect, NemotronExecDialect,
                        arith::ArithDialect, func::FuncDialect>();
      });
}
