//===- ManifestTranslation.cpp - nemotron_exec to the manifest --*- C++ -*-===//

#include "nhc/Target/Manifest/ManifestTranslation.h"

#include "mlir/Tools/mlir-translate/Translation.h"
#include "nhc/Dialect/Nemotron/IR/NemotronAttrs.h"
#include "nhc/Dialect/Nemotron/IR/NemotronDialect.h"
#include "nhc/Dialect/NemotronExec/IR/NemotronExec.h"
#include "nhc/Kernels/KernelLibrary.h"
#include "nhc/format/manifest_schema.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cfloat>
#include <cmath>
#include <set>

using json = nlohmann::json;
using namespace mlir;
using namespace mlir::nemotron_exec;

namespace {

/// The manifest's key names and fixed values, shared with the runtime.
namespace schema = ::nhc::format::manifest;

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

/// A `dim` argument's spelling, from the format library (the runtime
/// parses the same constants).
const char *dimName(Dim dim) {
  switch (dim) {
  case Dim::tokens:
    return schema::value::kDimTokens;
  case Dim::requests:
    return schema::value::kDimRequests;
  case Dim::max_seq_len:
    return schema::value::kDimMaxSeqLen;
  case Dim::gemm_precision:
    return schema::value::kDimGemmPrecision;
  }
  llvm_unreachable("every Dim has a spelling");
}

json layerPlan(StringRef pattern) {
  json layers = json::array();
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char *kind = pattern[i] == 'M'   ? schema::value::kLayerMamba
                       : pattern[i] == '*' ? schema::value::kLayerAttention
                       : pattern[i] == '-' ? schema::value::kLayerMlp
                                           : schema::value::kLayerMoE;
    layers.push_back({{schema::key::kIndex, i}, {schema::key::kKind, kind}});
  }
  return layers;
}

/// `config_values` or `config_defaults` (`name`) as an object of parsed
/// values; empty for IR without it. The verifier checked each is JSON text;
/// one that JSON's number range cannot hold here (1e400) fails the
/// translation.
FailureOr<json> jsonValues(ModuleOp module, DictionaryAttr dict,
                           StringRef name) {
  json values = json::object();
  if (dict)
    for (NamedAttribute entry : dict) {
      json value = json::parse(
          cast<StringAttr>(entry.getValue()).getValue().str(), nullptr,
          /*allow_exceptions=*/false);
      if (value.is_discarded())
        return module.emitError()
               << "nemotron.model " << name << "['" << entry.getName().getValue()
               << "'] is not JSON the manifest can hold";
      values[entry.getName().str()] = std::move(value);
    }
  return values;
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
    FailureOr<json> readValues =
        jsonValues(module, model.getConfigValues(), "config_values");
    FailureOr<json> defaultValues =
        jsonValues(module, model.getConfigDefaults(), "config_defaults");
    if (failed(readValues) || failed(defaultValues))
      return failure();
    // The dialect verifies the list; the translation needs it present.
    auto targets = module->getAttrOfType<ArrayAttr>(kTargetsAttrName);
    if (!targets)
      return module.emitError() << "module has no '" << kTargetsAttrName
                                << "' list of target names";
    json targetNames = json::array();
    for (Attribute target : targets)
      targetNames.push_back(cast<StringAttr>(target).str());
    // The runtime calls the library's kernels with the `params` written
    // from these declarations.
    if (failed(mlir::nhc::verifyKernelDeclarations(module)))
      return failure();

    json schedules = json::object();
    // Each schedule symbol and its key in the manifest's `schedules`.
    for (auto [name, manifestName] :
         {std::pair<StringRef, const char *>{kBodySchedule,
                                             schema::value::kScheduleBody},
          {kHeadLastSchedule, schema::value::kScheduleHeadLast},
          {kHeadAllSchedule, schema::value::kScheduleHeadAll}}) {
      auto schedule = module.lookupSymbol<ScheduleOp>(name);
      if (!schedule)
        return module.emitError() << "module has no schedule @" << name;
      FailureOr<json> entries = scheduleEntries(schedule);
      if (failed(entries))
        return failure();
      schedules[manifestName] = std::move(*entries);
    }

    FailureOr<json> bufferList = buffers();
    if (failed(bufferList))
      return failure();

    json kernels = json::array();
    for (const std::string &name : calledKernels) {
      auto kernel = module.lookupSymbol<func::FuncOp>(name);
      FailureOr<mlir::nhc::KernelSignature> signature =
          mlir::nhc::getKernelSignature(kernel);
      if (failed(signature))
        return failure();
      json params = json::array(), elements = json::array();
      for (const mlir::nhc::KernelParam &param : signature->params) {
        params.push_back(param.kind);
        elements.push_back(param.elementType.empty() ? json(nullptr)
                                                     : json(param.elementType));
      }
      kernels.push_back({{schema::key::kName, name},
                         {schema::key::kParams, params},
                         {schema::key::kParamElements, elements}});
    }

    namespace key = schema::key;
    return json{
        {key::kFormat, schema::kFormatName},
        {key::kVersion, schema::kVersion},
        {key::kGenerator, schema::value::kGeneratorNhc},
        {key::kConfig,
         {{key::kSource, model.getSource().str()},
          {key::kConfigHash, model.getConfigHash().str()},
          {key::kConfigRead, *readValues},
          {key::kConfigDefaults, *defaultValues}}},
        {key::kModel,
         {{key::kHiddenSize, model.getHiddenSize()},
          {key::kVocabSize, model.getVocabSize()},
          {key::kNumLayers, model.getNumLayers()},
          {key::kMaxPositionEmbeddings, model.getMaxPositionEmbeddings()},
          {key::kDtype, dtypeName(model.getDtype())},
          {key::kComputeDtype, "F32"},
          {key::kLayerPattern, model.getLayerPattern().str()}}},
        {key::kLayers, layerPlan(model.getLayerPattern())},
        {key::kTargets, targetNames},
        {key::kWeights, weights()},
        {key::kState, state()},
        {key::kBuffers, *bufferList},
        {key::kKernels, kernels},
        {key::kSchedules, schedules},
        {key::kTaps, taps},
    };
  }

private:
  json weights() {
    json list = json::array();
    for (WeightOp weight : module.getOps<WeightOp>()) {
      auto type = cast<RankedTensorType>(weight.getType());
      json entry = {{schema::key::kName, weight.getSymName().str()},
                    {schema::key::kDtype, dtypeName(type.getElementType())},
                    {schema::key::kShape, shapeOf(type)}};
      if (std::optional<ArrayAttr> alternatives = weight.getAlternatives()) {
        json names = json::array();
        for (Attribute alternative : *alternatives) {
          auto dict = cast<DictionaryAttr>(alternative);
          // The dictionary's attribute names are the IR's, not the
          // manifest's.
          json item = {
              {schema::key::kName, dict.getAs<StringAttr>("name").str()}};
          if (auto index = dict.getAs<IntegerAttr>("index")) {
            item[schema::key::kIndex] = index.getInt();
            item[schema::key::kCount] =
                dict.getAs<IntegerAttr>("count").getInt();
          }
          names.push_back(std::move(item));
        }
        entry[schema::key::kAlternatives] = std::move(names);
      }
      if (weight.getPositive())
        entry[schema::key::kPositive] = true;
      if (weight.getFinite())
        entry[schema::key::kFinite] = true;
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
          shape.push_back(schema::value::kDimMaxSeqLen);
        else
          shape.push_back(size);
      }
      list.push_back({{schema::key::kName, state.getSymName().str()},
                      {schema::key::kLayer, uint64_t(state.getLayer())},
                      {schema::key::kDtype, dtypeName(type.getElementType())},
                      {schema::key::kShape, std::move(shape)}});
    }
    return list;
  }

  FailureOr<json> buffers() {
    json list = json::array();
    for (BufferOp buffer : module.getOps<BufferOp>()) {
      if (buffer.getWithin()) {
        return buffer.emitOpError() << "is an unplaced packed buffer; run "
                                       "nemotron-exec-plan-buffers first";
      }
      auto type = cast<RankedTensorType>(buffer.getType());
      namespace key = schema::key;
      list.push_back({{key::kName, buffer.getSymName().str()},
                      {key::kPer, stringifyRows(buffer.getRows()).str()},
                      {key::kDtype, dtypeName(type.getElementType())},
                      {key::kElems, type.getDimSize(0)}});
    }
    return list;
  }

  /// The manifest's spelling of one kernel argument.
  FailureOr<json> argument(Operation *user, Value value) {
    // Schedules are isolated and take no arguments: every value has an op.
    Operation *def = value.getDefiningOp();
    return TypeSwitch<Operation *, FailureOr<json>>(def)
        .Case([](BufferRefOp ref) -> json {
          return {{schema::key::kBuffer, ref.getName().str()}};
        })
        .Case([](WeightRefOp ref) -> json {
          return {{schema::key::kWeight, ref.getName().str()}};
        })
        .Case([](StateRefOp ref) -> json {
          return {{schema::key::kState, ref.getName().str()}};
        })
        .Case([](DimOp dim) -> json {
          json arg = {{schema::key::kDim, dimName(dim.getDim())}};
          if (std::optional<uint64_t> times = dim.getTimes())
            arg[schema::key::kTimes] = int64_t(*times);
          return arg;
        })
        .Case([](RequestTableOp) -> json {
          return {{schema::key::kRequests, true}};
        })
        .Case([&](arith::ConstantOp constant) -> FailureOr<json> {
          if (auto index = dyn_cast<IntegerAttr>(constant.getValue());
              index && index.getType().isIndex())
            return json{{schema::key::kIndex, index.getInt()}};
          // Calls match their declarations, and declarations the library's,
          // whose scalars are index or f32 (getKernelSignature).
          auto number = cast<FloatAttr>(constant.getValue());
          assert(number.getType().isF32() && "a kernel scalar is index or f32");
          double value = number.getValueAsDouble();
          if (std::isnan(value))
            return user->emitOpError() << "f32 argument is NaN, which the "
                                          "manifest cannot carry";
          // JSON has no infinity; an unbounded clamp is the largest f32.
          if (std::isinf(value))
            value = value > 0 ? FLT_MAX : -FLT_MAX;
          return json{{schema::key::kF32, value}};
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
      return std::string(schema::value::kLogits);
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
                return json{{schema::key::kKernel, call.getCallee().str()},
                            {schema::key::kArgs, std::move(args)}};
              })
              .Case([&](GemmOp gemm) -> FailureOr<json> {
                return gemmEntry(gemm);
              })
              .Case([&](EmbeddingOp embedding) -> FailureOr<json> {
                FailureOr<std::string> output = bufferName(
                    embedding, embedding.getOutput(), schema::key::kOutput);
                if (failed(output))
                  return failure();
                return json{
                    {schema::key::kLibrary, schema::value::kLibraryEmbedding},
                    {schema::key::kTable, embedding.getTable().str()},
                    {schema::key::kOutput, *output},
                    {schema::key::kHidden, int64_t(embedding.getHidden())}};
              })
              .Case([&](MoEExpertsOp moe) -> FailureOr<json> {
                namespace key = schema::key;
                json entry = {
                    {key::kLibrary, schema::value::kLibraryMoEExperts},
                    {key::kUp, moe.getUp().str()},
                    {key::kDown, moe.getDown().str()},
                    {key::kNumExperts, int64_t(moe.getNumExperts())},
                    {key::kTopK, int64_t(moe.getTopK())},
                    {key::kHidden, int64_t(moe.getHidden())},
                    {key::kIntermediate, int64_t(moe.getIntermediate())},
                    {key::kActivation, moe.getActivation().str()}};
                for (auto [role, scale] :
                     {std::pair<const char *, std::optional<ArrayAttr>>{
                          key::kUpScale, moe.getUpScale()},
                      {key::kDownScale, moe.getDownScale()}})
                  if (scale) {
                    json names = json::array();
                    for (Attribute name : *scale)
                      names.push_back(cast<StringAttr>(name).getValue().str());
                    entry[role] = std::move(names);
                  }
                for (auto [role, value] :
                     {std::pair<const char *, Value>{key::kInput,
                                                     moe.getInput()},
                      {key::kIndices, moe.getIndices()},
                      {key::kWeights, moe.getWeights()},
                      {key::kOutput, moe.getOutput()}}) {
                  FailureOr<std::string> name = bufferName(moe, value, role);
                  if (failed(name))
                    return failure();
                  entry[role] = *name;
                }
                return entry;
              })
              .Case([&](AliasOp alias) -> FailureOr<json> {
                return alias.emitOpError()
                       << "is an unplanned in-place update; run "
                          "nemotron-exec-plan-buffers first";
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
                namespace key = schema::key;
                json item = {{key::kKind, tap.getKind().str()},
                             {key::kBuffer, *buffer},
                             {key::kOffset, int64_t(tap.getOffset())},
                             {key::kLd, int64_t(tap.getLd())},
                             {key::kWidth, int64_t(tap.getWidth())},
                             {key::kAfter, int64_t(entries.size()) - 1}};
                if (std::optional<uint64_t> layer = tap.getLayer())
                  item[key::kLayer] = int64_t(*layer);
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
    namespace key = schema::key;
    FailureOr<std::string> a = bufferName(gemm, gemm.getA(), key::kA);
    FailureOr<std::string> c =
        bufferName(gemm, gemm.getC(), key::kC, /*allowLogits=*/true);
    if (failed(a) || failed(c))
      return failure();
    json entry = {{key::kLibrary, schema::value::kLibraryGemm},
                  {key::kM, dimName(rows.getDim())},
                  {key::kA, *a},
                  {key::kAOffset, int64_t(gemm.getAOffset())},
                  {key::kLda, int64_t(gemm.getLda())},
                  {key::kW, gemm.getWeight().str()},
                  {key::kC, *c},
                  {key::kCOffset, int64_t(gemm.getCOffset())},
                  {key::kLdc, int64_t(gemm.getLdc())},
                  {key::kN, int64_t(gemm.getN())},
                  {key::kK, int64_t(gemm.getK())},
                  {key::kAccumulate, false},
                  {key::kEpilogue, gemm.getEpilogue().str()}};
    if (std::optional<StringRef> bias = gemm.getBias())
      entry[key::kBias] = bias->str();
    if (std::optional<ArrayAttr> scale = gemm.getScale()) {
      json names = json::array();
      for (Attribute ref : *scale)
        names.push_back(cast<FlatSymbolRefAttr>(ref).getValue().str());
      entry[key::kScale] = std::move(names);
    }
    if (std::optional<StringRef> quantize = gemm.getQuantizeOutput())
      entry[key::kQuantizeOutput] = quantize->str();
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
