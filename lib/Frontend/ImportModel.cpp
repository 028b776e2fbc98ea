//===- ImportModel.cpp - build the nemotron module of a config --*- C++ -*-===//

#include "nhc/Frontend/ImportModel.h"


#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/Path.h"
#include "nhc/Dialect/Nemotron/IR/NemotronOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::nemotron;
using nhc::ModelConfig;

namespace {

Type elementTypeOf(MLIRContext &context, nhc::DType dtype) {
  Builder b(&context);
  switch (dtype) {
  case nhc::DType::BF16:
    return b.getBF16Type();
  case nhc::DType::F16:
    return b.getF16Type();
  case nhc::DType::F32:
    return b.getF32Type();
  }
  return b.getF32Type();
}

/// The config reader has already mapped transformers' ACT2FN aliases onto
/// the dialect's names (nhc::canonicalActivation).
Activation activationOf(const std::string &name) {
  std::optional<Activation> activation = symbolizeActivation(name);
  assert(activation && "config reader accepted an activation the dialect lacks");
  return activation.value_or(Activation::relu2);
}

/// Emits the ops of one model, layer by layer.
class ModelBuilder {
public:
  ModelBuilder(MLIRContext &context, const ModelConfig &config)
      : context(context), config(config), builder(&context),
        dtype(elementTypeOf(context, config.dtype)),
        activationType(RankedTensorType::get(
            {ShapedType::kDynamic, config.hiddenSize}, dtype)) {}

  OwningOpRef<ModuleOp> build() {
    Location fileLoc = FileLineColLoc::get(&context, config.configPath, 0, 0);
    OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
    setModuleAttributes(*module);
    builder.setInsertionPointToEnd(module->getBody());

    auto idsType = RankedTensorType::get({ShapedType::kDynamic},
                                         builder.getI32Type());
    auto logitsType = RankedTensorType::get(
        {ShapedType::kDynamic, config.vocabSize}, builder.getF32Type());
    auto func = func::FuncOp::create(
        builder, fileLoc, "forward",
        builder.getFunctionType({idsType}, {logitsType}));
    Block *entry = func.addEntryBlock();
    builder.setInsertionPointToEnd(entry);

    loc = NameLoc::get(builder.getStringAttr("backbone.embeddings"), fileLoc);
    Value table = param("backbone.embeddings.weight",
                        {config.vocabSize, config.hiddenSize});
    Value hidden = EmbeddingOp::create(builder, loc, activationType,
                                       entry->getArgument(0), table);
    for (size_t i = 0; i < config.layers.size(); ++i) {
      std::string prefix = "backbone.layers." + std::to_string(i);
      loc = NameLoc::get(builder.getStringAttr(prefix), fileLoc);
      hidden = buildBlock(static_cast<int64_t>(i), prefix, hidden);
    }

    loc = NameLoc::get(builder.getStringAttr("backbone.norm_f"), fileLoc);
    Value normWeight = param("backbone.norm_f.weight", {config.hiddenSize});
    Value normed = RMSNormOp::create(builder, loc, hidden.getType(), hidden,
                                     normWeight, /*quant_scale=*/Value(),
                                     epsilon());
    loc = NameLoc::get(builder.getStringAttr("lm_head"), fileLoc);
    // The checkpoint's own lm_head.weight wins over the tie flag, as in
    // transformers 5.23; a tied model without one reads the embeddings.
    Value headWeight =
        param("lm_head.weight", {config.vocabSize, config.hiddenSize}, {},
              config.tieWordEmbeddings ? "backbone.embeddings.weight" : "");
    Value logits =
        LMHeadOp::create(builder, loc, logitsType, normed, headWeight);
    func::ReturnOp::create(builder, loc, logits);
    warnUnmatchedExclusions(*module);
    if (failed(refuseSplitExpertExclusions(*module)))
      return nullptr;
    return module;
  }

private:
  /// modelopt's exclude_modules entries that name no module of this model
  /// are probably typos (or another model's names): say so.
  void warnUnmatchedExclusions(ModuleOp module) {
    if (!config.quantization || config.quantization->excludeModules.empty())
      return;
    std::vector<std::string> modules;
    module.walk([&](Operation *op) {
      if (auto param = dyn_cast<ParamOp>(op)) {
        StringRef name = param.getName();
        modules.push_back(name.substr(0, name.rfind('.')).str());
      } else if (auto linear = dyn_cast<LinearParamOp>(op)) {
        std::string name = linear.getName().str();
        size_t hole = name.find("{e}");
        if (hole == std::string::npos) {
          modules.push_back(name);
          return;
        }
        for (int64_t e = 0; e < linear.getType().getNumExperts(); ++e)
          modules.push_back(std::string(name).replace(hole, 3,
                                                      std::to_string(e)));
      }
    });
    const nhc::Quantization &quant = *config.quantization;
    // The first few by name; a long list's others counted in one line.
    constexpr size_t kNamed = 8;
    size_t unmatched = 0;
    for (size_t i = 0; i < quant.excludeModules.size(); ++i) {
      const std::string &pattern = quant.excludeModules[i];
      bool matched = llvm::any_of(modules, [&](const std::string &name) {
        return nhc::isExcludedModule({pattern}, name);
      });
      if (matched || ++unmatched > kNamed)
        continue;
      // The entry is untrusted text: escaped and bounded.
      emitWarning(exclusionLoc(i)) << "exclude_modules entry "
                                   << nhc::quoteConfigText(pattern, '\'')
                                   << " matches no module of this model";
    }
    if (unmatched > kNamed)
      emitWarning(exclusionLoc(0))
          << "and " << unmatched - kNamed
          << " more exclude_modules entries match no module of this model";
  }

  /// Where exclude_modules entry `i` is written: the line only (with a
  /// column, MLIR's handler would reopen the file and print the line raw,
  /// untrusted text and all).
  Location exclusionLoc(size_t i) {
    const nhc::Quantization &quant = *config.quantization;
    int line =
        i < quant.excludePositions.size() ? quant.excludePositions[i].first : 0;
    return FileLineColLoc::get(&context, quant.sourcePath, line, 0);
  }

  /// A layer's routed experts are one stack of one dtype (matched by expert
  /// 0's name in linear()): an exclude_modules entry that excludes some of
  /// them but not all would be read as all or none. Refused, naming the
  /// entry and the stack.
  LogicalResult refuseSplitExpertExclusions(ModuleOp module) {
    if (!config.quantization || config.quantization->excludeModules.empty())
      return success();
    const nhc::Quantization &quant = *config.quantization;
    LogicalResult result = success();
    module.walk([&](LinearParamOp linear) {
      std::string name = linear.getName().str();
      size_t hole = name.find("{e}");
      if (hole == std::string::npos || failed(result))
        return;
      const int64_t experts = linear.getType().getNumExperts();
      auto expert = [&](int64_t e) {
        return std::string(name).replace(hole, 3, std::to_string(e));
      };
      int64_t excluded = 0;
      for (int64_t e = 0; e < experts; ++e)
        excluded += nhc::isExcludedModule(quant.excludeModules, expert(e));
      if (excluded == 0 || excluded == experts)
        return;
      // Named at the first entry that excludes one of them.
      size_t entry = 0;
      for (int64_t e = 0; e < experts; ++e)
        if (nhc::isExcludedModule(quant.excludeModules, expert(e))) {
          while (!nhc::isExcludedModule({quant.excludeModules[entry]},
                                        expert(e)))
            ++entry;
          break;
        }
      emitError(exclusionLoc(entry))
          << "exclude_modules excludes " << excluded << " of the " << experts
          << " routed experts of '" << name << "' (entry "
          << nhc::quoteConfigText(quant.excludeModules[entry], '\'')
          << " among them); a layer's routed experts are quantized alike "
             "(exclude all of them or none)";
      result = failure();
    });
    return result;
  }

  void setModuleAttributes(ModuleOp module) {
    std::string mtp;
    for (nhc::LayerKind kind : config.mtpLayers)
      mtp += nhc::patternChar(kind);
    QuantizationAttr quantization;
    if (config.quantization) {
      SmallVector<Attribute> excluded;
      for (const std::string &name : config.quantization->excludeModules)
        excluded.push_back(builder.getStringAttr(name));
      quantization = QuantizationAttr::get(
          &context, builder.getStringAttr(config.quantization->algo),
          builder.getArrayAttr(excluded));
    }
    // The file's name only: IR and artifacts never record where on the build
    // machine the config was, so two checkouts build identical bytes.
    std::string source = llvm::sys::path::filename(config.configPath).str();
    module->setAttr(
        ModelAttr::kAttrName,
        ModelAttr::get(
            &context, config.modelType, source, config.configHash,
            config.pattern(), config.hiddenSize, config.vocabSize,
            config.maxPositionEmbeddings, dtype,
            elementTypeOf(context, config.ssmCacheDtype),
            config.tieWordEmbeddings, config.residualInFp32,
            builder.getF64ArrayAttr(
                {config.timeStepLimit[0], config.timeStepLimit[1]}),
            mtp, config.numNextnPredictLayers, quantization,
            jsonTexts(config.readValues), jsonTexts(config.defaultValues)));
  }

  /// config.readValues (`config_values`) or defaultValues
  /// (`config_defaults`) as a dictionary of JSON texts.
  DictionaryAttr
  jsonTexts(const std::vector<std::pair<std::string, std::string>> &values) {
    SmallVector<NamedAttribute> entries;
    for (const auto &[key, text] : values)
      entries.push_back(builder.getNamedAttr(key, builder.getStringAttr(text)));
    return builder.getDictionaryAttr(entries);
  }

  FloatAttr epsilon() { return f64(config.layerNormEpsilon); }
  IntegerAttr i64(int64_t value) { return builder.getI64IntegerAttr(value); }
  FloatAttr f64(double value) { return builder.getF64FloatAttr(value); }
  ActivationAttr activation(const std::string &name) {
    return ActivationAttr::get(&context, activationOf(name));
  }

  Value param(const std::string &name, ArrayRef<int64_t> shape,
              Type elementType = {}, StringRef fallback = "") {
    auto type = RankedTensorType::get(shape, elementType ? elementType : dtype);
    return ParamOp::create(builder, loc, type, name,
                           fallback.empty() ? StringAttr()
                                            : builder.getStringAttr(fallback));
  }

  /// A linear module; FP8 (e4m3) when the checkpoint is FP8-quantized and the
  /// module is not excluded. Expert stacks are matched by expert 0's name.
  Value linear(const std::string &module, ArrayRef<int64_t> shape,
               bool hasBias = false) {
    Type elementType = dtype;
    if (config.quantization) {
      std::string probe = module;
      size_t placeholder = probe.find("{e}");
      if (placeholder != std::string::npos)
        probe.replace(placeholder, 3, "0");
      if (!nhc::isExcludedModule(config.quantization->excludeModules, probe))
        elementType = builder.getType<Float8E4M3FNType>();
    }
    auto type = LinearType::get(&context, shape, elementType, hasBias);
    return LinearParamOp::create(builder, loc, type, module);
  }

  Value buildBlock(int64_t index, const std::string &prefix, Value hidden) {
    Value normWeight = param(prefix + ".norm.weight", {config.hiddenSize});
    Value normed =
        RMSNormOp::create(builder, loc, hidden.getType(), hidden, normWeight,
                          /*quant_scale=*/Value(), epsilon());
    std::string mixer = prefix + ".mixer";
    Value update;
    switch (config.layers[index]) {
    case nhc::LayerKind::Mamba:
      update = buildMamba(index, mixer, normed);
      break;
    case nhc::LayerKind::Attention:
      update = buildAttention(index, mixer, normed);
      break;
    case nhc::LayerKind::MLP:
      update = buildMLP(index, mixer, normed);
      break;
    case nhc::LayerKind::MoE:
      update = buildMoE(index, mixer, normed);
      break;
    }
    return AddOp::create(builder, loc, hidden, update);
  }

  Value buildMamba(int64_t index, const std::string &mixer, Value input) {
    const ModelConfig &c = config;
    int64_t hidden = c.hiddenSize, heads = c.mambaNumHeads;
    int64_t inner = c.mambaIntermediateSize(), convDim = c.mambaConvDim();
    Value inProj =
        linear(mixer + ".in_proj", {c.mambaInProjSize(), hidden}, c.useBias);
    Value convWeight =
        param(mixer + ".conv1d.weight", {convDim, 1, c.convKernel});
    Value convBias =
        c.useConvBias ? param(mixer + ".conv1d.bias", {convDim}) : Value();
    Value dtBias = param(mixer + ".dt_bias", {heads});
    Value aLog = param(mixer + ".A_log", {heads});
    Value d = param(mixer + ".D", {heads});
    Value normWeight = param(mixer + ".norm.weight", {inner});
    Value outProj = linear(mixer + ".out_proj", {hidden, inner}, c.useBias);
    // transformers 5.23 clamps dt to [time_step_min, inf) where it takes
    // its chunked form and ignores time_step_limit (modeling L414, L595);
    // the scans decide per request where that is (docs/config.md).
    return Mamba2Op::create(
        builder, loc, activationType, input, inProj, convWeight, convBias,
        dtBias, aLog, d, normWeight, outProj, i64(index), i64(heads),
        i64(c.mambaHeadDim), i64(c.ssmStateSize), i64(c.nGroups),
        i64(c.convKernel), i64(c.chunkSize), f64(c.layerNormEpsilon),
        f64(c.timeStepMin), f64(std::numeric_limits<double>::infinity()),
        activation(c.mambaHiddenAct));
  }

  Value buildAttention(int64_t index, const std::string &mixer, Value input) {
    const ModelConfig &c = config;
    int64_t hidden = c.hiddenSize, q = c.numAttentionHeads * c.headDim,
            kv = c.numKeyValueHeads * c.headDim;
    Value qProj = linear(mixer + ".q_proj", {q, hidden});
    Value kProj = linear(mixer + ".k_proj", {kv, hidden});
    Value vProj = linear(mixer + ".v_proj", {kv, hidden});
    Value oProj = linear(mixer + ".o_proj", {hidden, q});
    return AttentionOp::create(
        builder, loc, activationType, input, qProj, kProj, vProj, oProj,
        i64(index), i64(c.numAttentionHeads), i64(c.numKeyValueHeads),
        i64(c.headDim), f64(1.0 / std::sqrt(static_cast<double>(c.headDim))));
  }

  Value buildMLP(int64_t index, const std::string &mixer, Value input) {
    const ModelConfig &c = config;
    Value up = linear(mixer + ".up_proj", {c.intermediateSize, c.hiddenSize},
                      c.mlpBias);
    Value down = linear(mixer + ".down_proj",
                        {c.hiddenSize, c.intermediateSize}, c.mlpBias);
    return MLPOp::create(builder, loc, activationType, input, up, down,
                         i64(index), activation(c.mlpHiddenAct));
  }

  Value buildMoE(int64_t index, const std::string &mixer, Value input) {
    const ModelConfig &c = config;
    int64_t hidden = c.hiddenSize, experts = c.nRoutedExperts;
    // The router computes in f32 whatever the storage (transformers'
    // NemotronHTopkRouter casts its weight to float32): a rounded product
    // would flip near-tied expert choices, and with them whole rows.
    Value routerWeight = param(mixer + ".gate.weight", {experts, hidden},
                               builder.getF32Type());
    Value routerBias = param(mixer + ".gate.e_score_correction_bias",
                             {experts}, builder.getF32Type());
    Value latentIn, latentOut;
    int64_t expertInput = hidden;
    if (c.moeLatentSize) {
      expertInput = *c.moeLatentSize;
      latentIn = linear(mixer + ".fc1_latent_proj", {expertInput, hidden},
                        c.mlpBias);
      latentOut = linear(mixer + ".fc2_latent_proj", {hidden, expertInput},
                         c.mlpBias);
    }
    Value expertsUp = linear(mixer + ".experts.{e}.up_proj",
                             {experts, c.moeIntermediateSize, expertInput});
    Value expertsDown = linear(mixer + ".experts.{e}.down_proj",
                               {experts, expertInput, c.moeIntermediateSize});
    int64_t shared = c.moeSharedExpertIntermediateSize;
    Value sharedUp =
        linear(mixer + ".shared_experts.up_proj", {shared, hidden}, c.mlpBias);
    Value sharedDown = linear(mixer + ".shared_experts.down_proj",
                              {hidden, shared}, c.mlpBias);
    return MoEOp::create(
        builder, loc, activationType, input, routerWeight, routerBias,
        expertsUp, expertsDown, sharedUp, sharedDown, latentIn, latentOut,
        i64(index), i64(experts), i64(c.numExpertsPerTok), i64(c.nGroup),
        i64(c.topkGroup), builder.getBoolAttr(c.normTopkProb),
        f64(c.routedScalingFactor), activation(c.mlpHiddenAct));
  }

  MLIRContext &context;
  const ModelConfig &config;
  OpBuilder builder;
  Type dtype;
  RankedTensorType activationType;
  Location loc = UnknownLoc::get(&context);
};
} // namespace

OwningOpRef<ModuleOp> mlir::nhc::importModel(MLIRContext &context,
                                             const ModelConfig &config) {
  context.loadDialect<NemotronDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = ModelBuilder(context, config).build();
  if (!module || failed(verify(*module)))
    return nullptr;
  return module;
}
