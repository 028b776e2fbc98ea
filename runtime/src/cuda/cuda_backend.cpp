//===- cuda_backend.cpp - The CUDA backend --------------------------------===//

#include "cuda/cuda_backend.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <cstdlib>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "activation.h"
#include "cuda/blaslt_gemm.h"
#include "cuda/decode_buckets.h"
#include "cuda/device.h"
#include "cuda/device_memory.h"
#include "cuda/driver_api.h"
#include "cuda/launch_table.h"
#include "cuda/weight_upload.h"
#include "error.h"
#include "fp8.h"
#include "manifest.h"
#include "moe.h"
#include "nhc/format/library_kernels.h"
#include "nhc/format/launch_table_schema.h"
#include "nhc/format/manifest_schema.h"
#include "nhc/runtime/artifact.h"
#include "nhc/runtime/checked_math.h"
#include "weights_f32.h"

namespace nhc::runtime::cuda {
namespace {

/// The most requests a step may hold: kernels with a block row per request
/// put R in a grid's second dimension.
constexpr uint64_t kMaxRequestsPerStep = kGridMax[1];

/// n of a section named "sm_<n>", or -1 ("sm_90a", arch-specific code, is
/// not loaded by number).
int chipNumber(const char *name) {
  ChipName chip = parseChipName(name ? name : "");
  return chip.suffixed ? -1 : chip.number;
}

/// Whether `bytes` hold a whole 64-bit ELF file as its header describes it
/// (cuModuleLoadData gets no size: it must not read past the section).
bool wholeElf64(const std::string &bytes) {
  if (bytes.size() < 64 || bytes.compare(0, 4, "\177ELF") != 0 ||
      bytes[4] != 2 /* ELFCLASS64 */)
    return false;
  auto read = [&](size_t at, size_t width) {
    uint64_t v = 0;
    std::memcpy(&v, bytes.data() + at, width); // little-endian hosts only
    return v;
  };
  uint64_t phoff = read(0x20, 8), shoff = read(0x28, 8);
  uint64_t phentsize = read(0x36, 2), phnum = read(0x38, 2);
  uint64_t shentsize = read(0x3a, 2), shnum = read(0x3c, 2);
  auto fits = [&](uint64_t offset, uint64_t size, uint64_t count) {
    return offset <= bytes.size() && size * count <= bytes.size() - offset;
  };
  return fits(phoff, phentsize, phnum) && fits(shoff, shentsize, shnum);
}

/// A loaded module, unloaded when it goes.
class Module {
public:
  Module(const DriverApi &api, const GpuImage &image, const std::string &what)
      : api_(api) {
    checkCuda(api, api.cuModuleLoadData(&module_, image.bytes.data()),
              NHC_INVALID_FORMAT, what);
  }
  ~Module() {
    if (module_)
      api_.cuModuleUnload(module_);
  }
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;
  CUmodule get() const { return module_; }

private:
  const DriverApi &api_;
  CUmodule module_ = nullptr;
};

} // namespace

GpuImage selectGpuImage(const nhc_artifact_t &artifact, int sm,
                        const std::string &origin) {
  GpuImage image;
  std::string chips;
  int bestPtx = -1;
  nhc_section_t ptx{};
  size_t count = nhc_artifact_section_count(&artifact);
  for (size_t i = 0; i < count; ++i) {
    nhc_section_t section{};
    if (nhc_artifact_section_at(&artifact, i, &section) != NHC_OK)
      continue;
    if (section.kind != NHC_SECTION_PTX && section.kind != NHC_SECTION_CUBIN)
      continue;
    int n = chipNumber(section.name);
    chips += cat(chips.empty() ? "" : ", ", section.name,
                 section.kind == NHC_SECTION_CUBIN ? " (cubin)" : " (PTX)");
    if (section.kind == NHC_SECTION_CUBIN && n == sm) {
      image.chip = section.name;
      image.cubin = true;
      image.bytes.assign(static_cast<const char *>(section.data), section.size);
      NHC_CHECK(wholeElf64(image.bytes), NHC_INVALID_FORMAT,
                cat(origin, ": CUBIN section '", section.name, "' (",
                    section.size, " bytes) is not a whole ELF file"));
      return image;
    }
    if (section.kind == NHC_SECTION_PTX && n > bestPtx && n <= sm) {
      bestPtx = n;
      ptx = section;
    }
  }
  NHC_CHECK(bestPtx > 0, NHC_NOT_FOUND,
            cat(origin, ": no GPU code for this device (sm_", sm,
                "): the artifact has ",
                chips.empty() ? std::string("none; compile with "
                                            "--target=cuda:sm_XX")
                              : chips));
  image.chip = ptx.name;
  image.bytes.assign(static_cast<const char *>(ptx.data), ptx.size);
  image.bytes.push_back('\0'); // cuModuleLoadData reads PTX up to a NUL
  return image;
}


namespace {

namespace lib = ::nhc::format::kernel;

/// cuBLASLt's workspace: what its heuristics ask for on Hopper at most.
constexpr uint64_t kBlasWorkspaceBytes = 32ull << 20;
/// Each of the weight upload's three pinned staging buffers
/// (weight_upload.h): at PCIe 5's ~50 GB/s a buffer's copy takes about
/// 1.3 ms, long beside the event wait between buffers.
constexpr uint64_t kStagingBytes = 64ull << 20;
constexpr uint64_t kMinStagingBytes = 4096;

/// Whether the environment leaves a feature on (`name`=0 turns it off, e.g.
/// to compare): NHC_CUDA_GRAPHS (decode steps recorded as CUDA graphs).
bool enabledByEnvironment(const char *name) {
  const char *value = std::getenv(name);
  return !(value && std::strcmp(value, "0") == 0);
}

/// A count the environment variable `name` sets (e.g. to compare two paths
/// or move a crossover), else `fallback`. Throws NHC_INVALID_ARGUMENT for a
/// value that is not a decimal count, quoting `meaning` (what it counts and
/// what 0 does).
uint64_t countFromEnvironment(const char *name, uint64_t fallback,
                              const char *meaning) {
  const char *value = std::getenv(name);
  if (!value)
    return fallback;
  uint64_t count = 0;
  const char *end = value + std::strlen(value);
  std::from_chars_result parsed = std::from_chars(value, end, count);
  NHC_CHECK(end != value && parsed.ec == std::errc() && parsed.ptr == end,
            NHC_INVALID_ARGUMENT,
            cat(name, "='", value, "' is not ", meaning));
  return count;
}

/// The kernels' code of an activation: its place in manifest_schema.h's
/// kActivations (the nemotron dialect's order), or -1 for none.
int64_t activationCode(Activation activation) {
  if (activation == Activation::None)
    return -1;
  int64_t code = 0;
  for (const char *name : ::nhc::format::manifest::value::kActivations) {
    if (activationFromName(name) == activation)
      return code;
    ++code;
  }
  throw Error(NHC_INTERNAL, "cuda backend: an activation without a code");
}

class CudaBackend final : public Backend {
public:
  CudaBackend(const BackendContext &context)
      : origin_(context.manifest->origin), plan_(*context.plan),
        vocab_(context.manifest->model.vocab_size),
        maxSlots_(context.maxSlots), maxSeqLen_(context.maxSeqLen),
        device_(loadDriverApi()), api_(device_.api()), logits_(api_),
        requestTable_(api_), tokenIds_(api_), narrowRows_(api_) {
    try {
      ContextScope scope = enter();
      // The most tokens a step may have for its routed experts to stay on
      // the device, and the most rows a gemm runs as nhc_gemv_bf16.
      if (std::getenv("NHC_CUDA_MOE_ON_DEVICE"))
        moeMaxTokens_ = countFromEnvironment(
            "NHC_CUDA_MOE_ON_DEVICE", kDeviceMoeMaxTokens,
            "a token count (0 keeps routed experts on the host)");
      gemvMaxRows_ = countFromEnvironment(
          "NHC_CUDA_GEMV_ROWS", kGemvMaxRows,
          "a row count (0 runs every gemm through cuBLASLt)");
      tuneMaxRows_ = countFromEnvironment(
          "NHC_CUDA_GEMM_TUNE_ROWS", kTuneMaxRows,
          "a row count (0 takes cuBLASLt's first choice for every gemm)");
      e4m3Products_ = enabledByEnvironment("NHC_CUDA_E4M3");
      stagingBytes_ = countFromEnvironment(
          "NHC_CUDA_STAGING_BYTES", kStagingBytes,
          "a byte count (0 uploads weights from pageable memory)");
      NHC_CHECK(stagingBytes_ == 0 || stagingBytes_ >= kMinStagingBytes,
                NHC_INVALID_ARGUMENT,
                cat("NHC_CUDA_STAGING_BYTES=", stagingBytes_,
                    " is below the least staging buffer, ", kMinStagingBytes,
                    " bytes (0 uploads weights from pageable memory)"));
      stream_ = std::make_unique<Stream>(api_);
      for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
        for (const ScheduleEntry &entry : *entries)
          if (entry.kind == EntryKind::MoeExperts) {
            moeHidden_ = std::max(moeHidden_, entry.moe.hidden);
            moeIntermediate_ = std::max(moeIntermediate_, entry.moe.intermediate);
            moeTopK_ = std::max(moeTopK_, entry.moe.topK);
            moeExperts_ = std::max(moeExperts_, entry.moe.numExperts);
          }
      loadCode(context);
      gemm_ = std::make_unique<BlasLtGemm>(loadBlasLtApi(), api_, stream_->get(),
                                           kBlasWorkspaceBytes);
      for (size_t i = 0; i < plan_.buffers.size(); ++i)
        buffers_.emplace_back(api_);
      stateAddress_.assign(context.manifest->state.size(), 0);
      stateElems_.assign(context.manifest->state.size(), 0);
    } catch (...) {
      releaseDevice(); // what the constructor made, with the context current
      throw;
    }
  }

  ~CudaBackend() override { releaseDevice(); }

  /// Frees everything on the device, with the context current.
  void releaseDevice() noexcept {
    try {
      ContextScope scope = enter();
      if (stream_)
        api_.cuStreamSynchronize(stream_->get()); // nothing in flight on free
      for (auto &entry : recorded_)
        destroy(entry.second);
      recorded_.clear();
      for (CUevent event : entryEvents_)
        api_.cuEventDestroy(event);
      entryEvents_.clear();
      gemm_.reset();
      weights_.clear();
      expertStacks_.clear();
      deviceExpertScales_.clear();
      buffers_.clear();
      for (DeviceBuffer *buffer : {&logits_, &requestTable_, &tokenIds_,
                                   &narrowRows_, &moeX_, &moeH_, &moeY_,
                                   &moeRoutes_, &greedyIds_, &argmaxPartials_,
                                   &sampleRules_, &logprobEntries_,
                                   &logprobIds_, &editedLogits_,
                                   &logitEdits_,
                                   &groupArrivals_})
        buffer->reset();
      module_.reset();
      stream_.reset();
    } catch (...) {
      // No context to make current: its memory went with it.
    }
  }

  const char *name() const override { return "cuda"; }

  std::unique_ptr<StateMemory> allocateState(uint64_t bytes,
                                             const std::string &what) override {
    return std::make_unique<DeviceStateMemory>(api_, device_.context(),
                                               stream_->get(), bytes, what);
  }

  void bindState(nhc_state_pool_t &pool) override {
    std::vector<TensorPool> tensors =
        kernelStateTensors(pool, plan_, stateAddress_.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (!tensors[i].name)
        continue;
      stateAddress_[i] = tensors[i].memory->deviceAddress(tensors[i].offset);
      NHC_CHECK(stateAddress_[i] != 0, NHC_INTERNAL,
                cat(origin_, ": the cuda backend's state is not on the device"));
      stateElems_[i] = tensors[i].totalBytes / nhc_dtype_size(tensors[i].dtype);
    }
  }

  bool generatesWeight(const SyntheticTensor &tensor) const override {
    return tensor.rule == SyntheticRule::Normal && fillNormalF32_ &&
           fillNormalBf16_ &&
           (tensor.dtype == NHC_DTYPE_F32 || tensor.dtype == NHC_DTYPE_BF16);
  }

  void bindWeights(const std::vector<nhc_tensor_info_t> &tensors,
                   const std::vector<bool> &matrixOnly,
                   const std::vector<const SyntheticTensor *> &synthetic) override {
    ContextScope scope = enter();
    host_ = F32Weights::build(tensors, origin_, matrixOnly);
    expertScales_ = packExpertScales(plan_, host_);
    std::vector<nhc_dtype_t> onDevice = deviceDtypes(tensors);
    std::vector<StackSlot> slots = planExpertStacks(tensors, onDevice);
    planSiblingGemms(tensors, onDevice, slots);
    // What goes up of weight i: its bytes (the host's f32 copy, or the
    // matrix as stored) and the dtype the device holds them in.
    struct Upload {
      const void *data;
      nhc_dtype_t dtype;
      bool widen;
    };
    auto uploadOf = [&](size_t i) {
      if (const void *data = host_.data(i))
        return Upload{data, NHC_DTYPE_F32, false};
      return Upload{host_.matrix(i).data, onDevice[i],
                    onDevice[i] != host_.matrix(i).dtype};
    };
    auto generated = [&](size_t i) {
      return i < synthetic.size() && synthetic[i];
    };
    uint64_t uploadBytes = 0;
    for (size_t i = 0; i < tensors.size(); ++i)
      if (!generated(i))
        uploadBytes += WeightUpload::footprint(
            host_.elems(i) * nhc_dtype_size(uploadOf(i).dtype));
    WeightUpload upload(api_, stream_->get(), stagingBytes_, uploadBytes);
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (generated(i)) {
        generateOnDevice(*synthetic[i], onDevice[i], i, tensors[i].desc.name,
                         slots);
        continue;
      }
      const Upload up = uploadOf(i);
      const nhc_dtype_t dtype = up.dtype;
      const uint64_t elems = host_.elems(i), size = nhc_dtype_size(dtype);
      const std::string what = cat("cuda backend: uploading '",
                                   tensors[i].desc.name, "'");
      const uint64_t address =
          placeWeight(i, elems * size, tensors[i].desc.name, dtype, slots);
      if (!up.widen) {
        upload.copy(address, up.data, elems * size, what);
        continue;
      }
      const WeightMatrix &stored = host_.matrix(i);
      upload.produce(address, elems, size,
                     [&stored, dtype](uint64_t first, uint64_t count,
                                      uint8_t *out) {
                       widenMatrix(stored, first, count, dtype, out);
                     },
                     what);
    }
    upload.finish("cuda backend: uploading the weights");
    if (!upload.pinned() && stagingBytes_ && uploadBytes)
      notes_.push_back("cuda backend: weights uploaded from pageable memory "
                       "(the driver could not pin staging buffers)");
    findDeviceExperts();
    findDeferredActivations();
    fuseSiblingGemms();
    findRoundingNorms();
    findConvScans();
    checkSharedMemory();
    if (generatedWeights_)
      notes_.push_back(cat("cuda backend: ", generatedWeights_,
                           " synthetic weight matrices (",
                           generatedBytes_ >> 20,
                           " MiB) generated on the device, not uploaded"));
  }

  /// A routed expert's place in its projection's stack (planExpertStacks).
  struct StackSlot {
    bool stacked = false;
    uint64_t address = 0, bytes = 0;
    nhc_dtype_t dtype = NHC_DTYPE_F32;
  };

  /// Routed experts stored one tensor per expert (transformers' layout)
  /// are placed side by side in one device buffer per projection, as a
  /// stacked [E, n, k] weight is, so that the device-side experts
  /// (nhc_moe_expert_matmul_*) index them by expert. Only where every
  /// expert of the projection has the same device dtype and size, and no
  /// expert is in another stack; others get their own buffers. Returns
  /// each manifest weight's slot.
  std::vector<StackSlot>
  planExpertStacks(const std::vector<nhc_tensor_info_t> &tensors,
                   const std::vector<nhc_dtype_t> &onDevice) {
    std::vector<StackSlot> slots(tensors.size());
    for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
      for (const ScheduleEntry &entry : *entries) {
        if (entry.kind != EntryKind::MoeExperts || entry.moe.stacked)
          continue;
        for (const auto *experts : {&entry.moe.up, &entry.moe.down}) {
          if (experts->empty() || experts->front() >= tensors.size())
            continue;
          const size_t first = experts->front();
          const uint64_t elems = host_.elems(first);
          const nhc_dtype_t dtype = onDevice[first];
          bool fits = dtype == NHC_DTYPE_F32 || dtype == NHC_DTYPE_BF16 ||
                      dtype == NHC_DTYPE_F8_E4M3;
          for (size_t w : *experts)
            fits = fits && w < tensors.size() && onDevice[w] == dtype &&
                   host_.elems(w) == elems && !slots[w].stacked;
          if (!fits || elems == 0)
            continue;
          const uint64_t bytes = elems * nhc_dtype_size(dtype);
          DeviceBuffer stack(api_);
          stack.reserve(bytes * experts->size(),
                        cat("the stacked experts of '", tensors[first].desc.name,
                            "'"));
          for (size_t e = 0; e < experts->size(); ++e)
            slots[(*experts)[e]] = {true, stack.address() + e * bytes, bytes,
                                    dtype};
          expertStacks_.push_back(std::move(stack));
        }
      }
    return slots;
  }

  /// Consecutive plain gemms of a schedule (no bias, FP8 scale, quantized
  /// output, epilogue or accumulation) that read the same rows and write
  /// columns side by side in one buffer, attention's q, k and v projections
  /// (offsets 0, n_q, n_q + n_k of rows n_q + n_k + n_v wide), get their
  /// weights placed one after another in one device buffer (`slots`), in
  /// one device dtype (BF16 or F32): the row-major [n_q, k], [n_k, k] and
  /// [n_v, k] matrices side by side are the [n_q + n_k + n_v, k] matrix
  /// of the three, so one product writes all their columns
  /// (fuseSiblingGemms; vLLM's QKVParallelLinear concatenates the
  /// checkpoint's three at load the same way). Records the groups.
  void planSiblingGemms(const std::vector<nhc_tensor_info_t> &tensors,
                        const std::vector<nhc_dtype_t> &onDevice,
                        std::vector<StackSlot> &slots) {
    siblingGroups_.clear();
    auto plain = [&](const GemmCall &g) {
      return !g.hasBias && !g.scaled && !g.quantizeOutput && !g.accumulate &&
             g.epilogue == Activation::None && !g.c.logits &&
             g.weight < tensors.size() && !slots[g.weight].stacked &&
             (onDevice[g.weight] == NHC_DTYPE_BF16 ||
              onDevice[g.weight] == NHC_DTYPE_F32) &&
             g.n > 0 && host_.elems(g.weight) == g.n * g.k;
    };
    auto sibling = [&](const std::vector<const GemmCall *> &group,
                       const GemmCall &next) {
      const GemmCall &head = *group.front(), &last = *group.back();
      bool fresh = true;
      for (const GemmCall *g : group)
        fresh = fresh && g->weight != next.weight;
      return fresh && plain(next) && next.a.logits == head.a.logits &&
             next.a.buffer == head.a.buffer &&
             next.a.offset == head.a.offset && next.a.ld == head.a.ld &&
             next.k == head.k && next.rows == head.rows &&
             next.c.buffer == head.c.buffer && next.c.ld == head.c.ld &&
             next.c.offset == last.c.offset + last.n &&
             onDevice[next.weight] == onDevice[head.weight];
    };
    for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
      for (size_t i = 0; i < entries->size();) {
        const ScheduleEntry &entry = (*entries)[i++];
        if (entry.kind != EntryKind::Gemm || !plain(entry.gemm))
          continue;
        std::vector<const GemmCall *> group{&entry.gemm};
        for (; i < entries->size() && (*entries)[i].kind == EntryKind::Gemm &&
               sibling(group, (*entries)[i].gemm);
             ++i)
          group.push_back(&(*entries)[i].gemm);
        const nhc_dtype_t dtype = onDevice[entry.gemm.weight];
        uint64_t bytes = 0, columns = 0;
        for (const GemmCall *g : group) {
          bytes += host_.elems(g->weight) * nhc_dtype_size(dtype);
          columns += g->n;
        }
        // One product's columns fit a row of C, and C is not its input.
        const GemmCall &head = entry.gemm;
        if (group.size() < 2 || head.c.offset + columns > head.c.ld ||
            (!head.a.logits && head.a.buffer == head.c.buffer))
          continue;
        DeviceBuffer stack(api_);
        stack.reserve(bytes, cat("the weights of '",
                                 tensors[entry.gemm.weight].desc.name,
                                 "' and the gemms beside it"));
        uint64_t at = stack.address();
        for (const GemmCall *g : group) {
          const uint64_t size = host_.elems(g->weight) * nhc_dtype_size(dtype);
          slots[g->weight] = {true, at, size, dtype};
          at += size;
        }
        expertStacks_.push_back(std::move(stack));
        siblingGroups_.push_back({group, columns});
      }
  }

  /// The sibling gemms (planSiblingGemms) run as one product, the first
  /// with all their columns, the others not at all; not a group whose
  /// input has an activation deferred to it (each member's rounding would
  /// apply it; none of attention's does) or whose weights did not land
  /// side by side.
  void fuseSiblingGemms() {
    fusedColumns_.clear();
    fusedAway_.clear();
    for (const SiblingGroup &group : siblingGroups_) {
      const GemmCall &head = *group.members.front();
      uint64_t at = weightAddress_[head.weight];
      bool fusable = true;
      for (const GemmCall *g : group.members) {
        fusable = fusable && deferredInput(*g) == Activation::None &&
                  !epilogueDeferred_.count(g) && weightAddress_[g->weight] == at;
        at += host_.elems(g->weight) * nhc_dtype_size(weightDtype_[g->weight]);
      }
      if (!fusable)
        continue;
      fusedColumns_[&head] = group.columns;
      for (size_t i = 1; i < group.members.size(); ++i)
        fusedAway_.insert(group.members[i]);
    }
  }

  /// The columns `call`'s product writes: its own, or, as the first of
  /// fused sibling gemms, all of theirs.
  uint64_t columns(const GemmCall &call) const {
    auto fused = fusedColumns_.find(&call);
    return fused == fusedColumns_.end() ? call.n : fused->second;
  }
  /// The weight elements `call`'s product reads (with its siblings').
  uint64_t weightElems(const GemmCall &call) const {
    return fusedColumns_.count(&call) ? columns(call) * call.k
                                      : host_.elems(call.weight);
  }

  /// Where weight `weight` (the next one: weights are placed in manifest
  /// order) of `bytes` bytes goes on the device: its expert stack's slot or
  /// a buffer of its own (`slots`: planExpertStacks).
  uint64_t placeWeight(size_t weight, uint64_t bytes, const char *name,
                       nhc_dtype_t dtype, const std::vector<StackSlot> &slots) {
    NHC_CHECK(weight == weights_.size(), NHC_INTERNAL,
              "cuda backend: weights placed out of order");
    DeviceBuffer buffer(api_);
    uint64_t address = 0;
    if (weight < slots.size() && slots[weight].stacked) {
      // Planned from the same dtypes and sizes: a mismatch is a bug here.
      NHC_CHECK(slots[weight].bytes == bytes && slots[weight].dtype == dtype,
                NHC_INTERNAL,
                cat("cuda backend: weight '", name,
                    "' does not fit its place among the stacked experts"));
      address = slots[weight].address;
    } else {
      buffer.reserve(std::max<uint64_t>(bytes, 1), cat("weight '", name, "'"));
      address = buffer.address();
    }
    weights_.push_back(std::move(buffer));
    weightAddress_.push_back(address);
    weightDtype_.push_back(dtype);
    return address;
  }

  /// A synthetic matrix generated in device memory as `dtype` (F32 or
  /// BF16; a BF16 one kept in f32 is rounded to bf16 first), the same
  /// values the host would generate (nhc_fill_normal_*).
  void generateOnDevice(const SyntheticTensor &tensor, nhc_dtype_t dtype,
                        size_t weight, const char *name,
                        const std::vector<StackSlot> &slots) {
    const uint64_t size = nhc_dtype_size(dtype);
    const uint64_t address =
        placeWeight(weight, tensor.elems * size, name, dtype, slots);
    CallArg step;
    step.kind = ParamKind::F32;
    step.f32 = kSyntheticNormalStep;
    args_ = {memref(address, tensor.elems),
             index(static_cast<int64_t>(tensor.elems)),
             index(static_cast<int64_t>(tensor.key)), step};
    if (dtype == NHC_DTYPE_BF16) {
      hostViews_.assign(args_.size(), nullptr);
      run(*fillNormalBf16_, lib::kFillNormalBf16);
    } else {
      args_.push_back(index(tensor.dtype == NHC_DTYPE_BF16 ? 1 : 0));
      hostViews_.assign(args_.size(), nullptr);
      run(*fillNormalF32_, lib::kFillNormalF32);
    }
    ++generatedWeights_;
    generatedBytes_ += tensor.elems * size;
  }

  void prepare(const StepShape &shape) override {
    timedStep_ = false;
    ContextScope scope = enter();
    const uint64_t T = shape.tokens, R = shape.requests;
    std::vector<uint64_t> bytes(plan_.buffers.size());
    for (size_t i = 0; i < plan_.buffers.size(); ++i)
      bytes[i] = bufferElems(i, T, R) * elemBytes(plan_.buffers[i].dtype);
    std::optional<uint64_t> logits = checkedMul(shape.logitsRows, vocab_);
    std::optional<uint64_t> narrow = checkedMul(T, narrowRowBytes_);
    NHC_CHECK(logits && *logits <= UINT64_MAX / 4 && narrow, NHC_INVALID_ARGUMENT,
              cat("session: a step of ", T, " tokens overflows 64 bits"));
    // Kernels that take a block row per request launch R rows of blocks,
    // and a grid's second dimension holds at most 65535: refused here,
    // before anything runs, rather than at that kernel's launch.
    NHC_CHECK(R <= kMaxRequestsPerStep, NHC_INVALID_ARGUMENT,
              cat("session: a step of ", R, " requests exceeds the cuda "
                  "backend's ", kMaxRequestsPerStep,
                  " (a launch grid's second dimension); split it"));
    // Growth only; a failure leaves the larger buffers of earlier steps. A
    // buffer that moves invalidates every recorded step.
    // Counted at once: a later reserve may throw after this one moved.
    // Zeroed when allocated, as the host backend's scratch is: a plan that
    // reads a buffer before any entry writes it gets the host's numbers,
    // not what earlier steps or sessions left in device memory.
    auto grow = [&](DeviceBuffer &buffer, uint64_t wanted,
                    const std::string &what) {
      if (!buffer.reserve(std::max<uint64_t>(wanted, 8), what))
        return;
      checkCuda(api_,
                api_.cuMemsetD8Async(buffer.address(), 0, buffer.bytes(),
                                     stream_->get()),
                NHC_INTERNAL, cat("cuda backend: clearing ", what));
      invalidateRecordings();
    };
    for (size_t i = 0; i < buffers_.size(); ++i)
      grow(buffers_[i], bytes[i], cat("buffer '", plan_.buffers[i].name, "'"));
    grow(logits_, *logits * 4, "logits");
    grow(greedyIds_, shape.logitsRows * 4, "the greedy ids");
    if (sampleRows_)
      grow(sampleRules_, shape.logitsRows * lib::kSampleParams * 8,
           "the sampling rules");
    if (logprobRows_) {
      grow(logprobEntries_,
           shape.logitsRows * (1 + NHC_MAX_TOP_LOGPROBS) *
               sizeof(nhc_token_logprob_t),
           "the logprobs");
      grow(logprobIds_, shape.logitsRows * sizeof(int32_t),
           "the logprobs' ids");
    }
    if (argmaxRows_)
      grow(argmaxPartials_,
           shape.logitsRows * lib::argmaxSlices(vocab_) * 2 * 4,
           "the greedy ids' slice candidates");
    grow(narrowRows_, *narrow, "bf16/e4m3 gemm activations");
    if (convScanGroups_) // zero as made; each launch leaves them zero
      grow(groupArrivals_, R * convScanGroups_ * 4,
           "the conv and scan's group arrival counts");
    if (moeTopK_) { // routed experts: a token's rows per expert, and its routes
      // On the device path every route has its own rows.
      const bool device = deviceMoeAvailable(T) && !deviceExperts_.empty();
      const uint64_t rows = device ? T * moeTopK_ : T;
      const uint64_t routeElems =
          std::max(2 * T * moeTopK_,
                   device ? routeLayout(T, moeTopK_, moeExperts_).elems : 0);
      grow(moeX_, T * moeHidden_ * 4, "the experts' gathered rows");
      grow(moeH_, rows * moeIntermediate_ * 4, "the experts' intermediate rows");
      grow(moeY_, rows * moeHidden_ * 4, "the experts' output rows");
      grow(moeRoutes_, routeElems * 4, "the experts' routes");
      hostIndices_.resize(T * moeTopK_);
      hostRouteWeights_.resize(T * moeTopK_);
      hostRoutes_.resize(2 * T * moeTopK_);
      hostCounts_.resize(moeExperts_ + 1);
    }
    grow(requestTable_, R * 4 * sizeof(int64_t), "the request table");
    grow(tokenIds_, T * sizeof(int32_t), "the token ids");
    // Every gemm's cuBLASLt plan for this step's row counts, now: a step
    // must not fail halfway (backend.h). Gemms that run as nhc_gemv_bf16
    // need none. A decode step's (one token per request: what graphs
    // replay) are timed on the device (kTuneMaxRows); this is between
    // steps, outside any graph capture, and the step writes every buffer
    // the timing products write before it reads it.
    const bool decodeStep = T == R;
    for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
      for (const ScheduleEntry &entry : *entries) {
        if (entry.kind != EntryKind::Gemm)
          continue;
        const GemmCall &call = entry.gemm;
        uint64_t m = call.rows == Rows::Tokens ? T : R;
        if (m && !runsAsGemv(call, m) && !fusedAway_.count(&call))
          gemm_->prepare(gemmShape(call, m), weightAddress_[call.weight],
                         gemmInput(call), matrixAddress(call.c), entry.where,
                         decodeStep && m <= tuneMaxRows_);
      }
    // Growth only: a padded decode step's rows stay (Executor::prepare).
    hostTable_.resize(std::max<uint64_t>({R * 4, 1, hostTable_.size()}));
    hostIds_.resize(std::max<uint64_t>({T, 1, hostIds_.size()}));
  }

  StepInputs stepInputs() override {
    return {hostTable_.data(), hostIds_.data()};
  }

  void commitInputs(const StepShape &shape) override {
    ContextScope scope = enter();
    copyIn(requestTable_.address(), hostTable_.data(),
           shape.requests * 4 * sizeof(int64_t), "the request table");
    copyIn(tokenIds_.address(), hostIds_.data(),
           shape.tokens * sizeof(int32_t), "the token ids");
  }

  void setLogitsOutput(float *logits, uint64_t rows) override {
    hostLogits_ = logits;
    logitsRows_ = rows;
  }

  void launch(const KernelCall &call, const StepShape &shape,
              uint64_t logitsRows) override {
    ContextScope scope = enter();
    if (shape.tokens == shape.requests && shape.requests > 0) {
      // A decode step: a paired conv runs in its scan's launch.
      if (convInConvScan_.count(&call)) {
        issuedNothing_ = true; // its entry times as never issued: 0 s
        return;
      }
      if (auto pair = convOfScan_.find(&call); pair != convOfScan_.end()) {
        launchConvScan(pair->second, call, shape, logitsRows);
        return;
      }
    }
    bindArgs(call, shape, logitsRows);
    auto norm = roundingNorm_.find(&call);
    if (norm != roundingNorm_.end() &&
        normRounds(*norm->second.gemm, shape)) {
      // The norm, and its rows in bf16 where the next gemm's product reads
      // them (that gemm then skips its rounding pass).
      args_.push_back(memref(narrowRows_.address(),
                             shape.tokens * norm->second.gemm->k));
      hostViews_.push_back(nullptr);
      run(*norm->second.kernel, norm->second.name);
      return;
    }
    run(*planFunctions_[call.kernel], plan_.kernels[call.kernel].name);
  }

  /// Whether `gemm`'s input in a step of `shape` was rounded to bf16 by the
  /// norm before it (findRoundingNorms): a product cuBLASLt runs, not the
  /// GEMV (which reads the f32 rows).
  bool normRounds(const GemmCall &gemm, const StepShape &shape) const {
    return roundedByNorm_.count(&gemm) && shape.tokens > 0 &&
           !runsAsGemv(gemm, shape.tokens);
  }

  /// args_ and hostViews_ for `call` in a step of `shape`.
  void bindArgs(const KernelCall &call, const StepShape &shape,
                uint64_t logitsRows) {
    const uint64_t T = shape.tokens, R = shape.requests;
    args_.clear();
    hostViews_.clear();
    for (const KernelArg &arg : call.args) {
      CallArg a;
      const float *view = nullptr;
      switch (arg.kind) {
      case ArgKind::Buffer:
        a = memref(buffers_[arg.ref].address(), bufferElems(arg.ref, T, R));
        break;
      case ArgKind::Weight:
        a = memref(weightAddress_[arg.ref], host_.elems(arg.ref));
        view = host_.data(arg.ref);
        break;
      case ArgKind::State:
        a = memref(stateAddress_[arg.ref], stateElems_[arg.ref]);
        break;
      case ArgKind::Requests:
        a = memref(requestTable_.address(), 4 * R);
        break;
      case ArgKind::TokenIds:
        a = memref(tokenIds_.address(), T);
        break;
      case ArgKind::Logits:
        a = memref(logits_.address(), logitsRows * vocab_);
        break;
      case ArgKind::Dim:
        a = index(dimValue(
            arg, {T, R, maxSeqLen_, maxSlots_, int64_t(gemmPrecision())}));
        break;
      case ArgKind::Index:
        a = index(arg.index);
        break;
      case ArgKind::F32:
        a.kind = ParamKind::F32;
        a.f32 = arg.f32;
        break;
      }
      args_.push_back(a);
      hostViews_.push_back(view);
    }
  }

  /// Refuses, when the session is made, a kernel of the plan whose
  /// launches need more dynamic shared memory than the device allows it
  /// (allowDynamicShared), rather than failing a step half-way: each call
  /// resolved for prefill steps, which no kernel gives an empty grid (a
  /// step of one token per request drops the prefill kernels), of one
  /// request and of max_slots requests (the chunked scan keeps a head's
  /// rows in fewer, larger parts when a step has many: the bytes follow the
  /// model's shapes and the step's request count, nothing else). A call
  /// whose host code reads device memory is left to the step's own check
  /// (run).
  void checkSharedMemory() {
    struct ReadsDevice {};
    LoadScalar refuse = [](size_t, uint64_t, ParamKind) -> double {
      throw ReadsDevice{};
    };
    for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
      for (const ScheduleEntry &entry : *entries) {
        if (entry.kind != EntryKind::Kernel)
          continue;
        const FunctionDef &fn = *planFunctions_[entry.kernel.kernel];
        if (std::none_of(fn.launches.begin(), fn.launches.end(),
                         [](const LaunchDef &l) { return l.takesDynamicShared(); }))
          continue; // nothing to check: no work at start-up
        const std::string &kernel = plan_.kernels[entry.kernel.kernel].name;
        // A prefill of one request, and one beside a full pool's decodes:
        // how a kernel splits its work (the chunked scan's state rows) may
        // follow the step's requests.
        const uint64_t most = std::max<uint64_t>(maxSlots_, 1);
        for (StepShape shape : {StepShape{2, 1, 1}, StepShape{most + 1, most, most}}) {
          bindArgs(entry.kernel, shape, shape.logitsRows);
          std::vector<ResolvedLaunch> launches;
          try {
            launches = resolveLaunches(fn, args_, image_.chip, refuse,
                                       cat(origin_, ": kernel '", kernel, "'"));
          } catch (const ReadsDevice &) {
            continue;
          } catch (const Error &) {
            continue; // not resolvable for this step: the step checks
          }
          for (const ResolvedLaunch &launch : launches)
            checkDynamicShared(launch, kernel);
        }
      }
  }

  /// Throws NHC_UNSUPPORTED if `launch` (of plan kernel or library op
  /// `kernel`) takes more dynamic shared memory than its function may.
  void checkDynamicShared(const ResolvedLaunch &launch,
                          const std::string &kernel) const {
    if (launch.sharedBytes == 0)
      return;
    auto allowed = dynamicSharedAllowed_.find(launch.entry);
    uint32_t most =
        allowed == dynamicSharedAllowed_.end() ? 0 : allowed->second;
    NHC_CHECK(launch.sharedBytes <= most, NHC_UNSUPPORTED,
              cat(origin_, ": GPU kernel '", launch.entry, "' of '", kernel,
                  "' needs ", launch.sharedBytes,
                  " bytes of dynamic shared memory per block; ",
                  device_.name(), " allows it ", most, " (",
                  device_.sharedOptin(),
                  " bytes of shared memory per block in all)"));
  }

  void gemm(const GemmCall &call, const StepShape &shape) override {
    if (fusedAway_.count(&call)) {
      issuedNothing_ = true; // its entry times as never issued: 0 s
      return; // the first of its sibling gemms wrote its columns
    }
    ContextScope scope = enter();
    const std::string where = gemmWhere(call);
    uint64_t m = call.rows == Rows::Tokens ? shape.tokens : shape.requests;
    if (m == 0)
      return;
    if (runsAsGemv(call, m)) {
      gemv(call, m);
    } else {
      GemmShape s = gemmShape(call, m);
      uint64_t a = gemmInput(call);
      if (s.type != kCudaR32F && !normRounds(call, shape))
        narrowActivations(s.type, bufferBase(call.a), bufferElemsOf(call.a),
                          call.a.offset, call.a.ld, m, call.k,
                          deferredInput(call));
      float alpha = 1.0f;
      if (call.scaled)
        alpha =
            host_.data(call.inputScale)[0] * host_.data(call.weightScale)[0];
      gemm_->run(s, weightAddress_[call.weight], a, matrixAddress(call.c),
                 call.hasBias ? weightAddress_[call.bias] : 0, alpha,
                 call.accumulate ? 1.0f : 0.0f, where);
    }
    // A deferred activation runs in the next gemm's rounding instead.
    if ((call.epilogue == Activation::None || epilogueDeferred_.count(&call)) &&
        !call.quantizeOutput)
      return;
    epilogue(bufferBase(call.c), bufferElemsOf(call.c), call.c.offset,
             call.c.ld, m, call.n, call.epilogue,
             call.quantizeOutput ? std::optional<size_t>(call.outputScale)
                                 : std::nullopt);
  }

  /// out[t] = sum_j w[t, j] down_e(act(up_e(x[t]))), e = idx[t, j]. Steps
  /// of at most deviceMoeMaxTokens() tokens (every step for bf16 experts;
  /// else decode batches and short prefills) stay on the device
  /// (runExpertsOnDevice) and may be recorded. Larger ones: the
  /// routes come to the host, which buckets them by expert (a counting sort,
  /// as the host backend does) and sends each expert's rows back; per expert
  /// a gather kernel, two cuBLASLt gemms with the activation kernel between,
  /// and a weighted scatter-add. The host waits for the routes, so such a
  /// step is not recorded as a graph. Routes outside [0, E) are skipped.
  /// With `inputAbsmax` (calibration) every step takes the host-routed path
  /// and each expert's up and down inputs are copied out and folded in:
  /// elements 2e and 2e + 1, as the host backend's moe_experts does.
  void moeExperts(const MoeCall &moe, const StepShape &shape,
                  float *inputAbsmax) override {
    ContextScope scope = enter();
    const uint64_t T = shape.tokens, K = moe.topK, H = moe.hidden,
                   I = moe.intermediate, E = moe.numExperts;
    if (T == 0)
      return;
    const std::string where = cat(origin_, ": moe_experts");
    if (!inputAbsmax && runExpertsOnDevice(moe, T))
      return;
    if (recording_)
      refuseRecording();
    copyOut(hostIndices_.data(), buffers_[moe.indices].address(), T * K * 4,
            "the routes");
    copyOut(hostRouteWeights_.data(), buffers_[moe.weights].address(),
            T * K * 4, "the route weights");
    synchronizeStream("reading the routes");
    // hostRoutes_: the token rows of expert 0, 1, ..., then their weights
    // (as f32 bits), counts[e] .. counts[e + 1] for expert e.
    std::fill(hostCounts_.begin(), hostCounts_.begin() + E + 1, 0);
    for (uint64_t i = 0; i < T * K; ++i)
      if (hostIndices_[i] >= 0 && uint64_t(hostIndices_[i]) < E)
        ++hostCounts_[hostIndices_[i] + 1];
    for (uint64_t e = 0; e < E; ++e)
      hostCounts_[e + 1] += hostCounts_[e];
    const uint64_t routed = hostCounts_[E];
    std::vector<uint64_t> &next = hostNext_;
    next.assign(hostCounts_.begin(), hostCounts_.begin() + E);
    for (uint64_t i = 0; i < T * K; ++i) {
      int32_t e = hostIndices_[i];
      if (e < 0 || uint64_t(e) >= E)
        continue;
      uint64_t at = next[e]++;
      hostRoutes_[at] = static_cast<int32_t>(i / K);
      std::memcpy(&hostRoutes_[routed + at], &hostRouteWeights_[i], 4);
    }
    copyIn(moeRoutes_.address(), hostRoutes_.data(), 2 * routed * 4,
           "the experts' routes");
    uint64_t output = buffers_[moe.output].address();
    checkCuda(api_, api_.cuMemsetD8Async(output, 0, T * H * 4, stream_->get()),
              NHC_INTERNAL, cat(where, ": clearing the output"));
    const uint64_t perExpert = H * I;
    for (uint64_t e = 0; e < E; ++e) {
      const uint64_t first = hostCounts_[e], rows = hostCounts_[e + 1] - first;
      if (rows == 0)
        continue;
      const uint64_t tokenRows = moeRoutes_.address() + first * 4;
      const uint64_t scales = moeRoutes_.address() + (routed + first) * 4;
      args_ = {memref(buffers_[moe.input].address(), T * H),
               memref(tokenRows, rows), memref(moeX_.address(), rows * H),
               index(rows), index(H)};
      hostViews_.assign(args_.size(), nullptr);
      run(*gatherRows_, lib::kGatherRows);
      if (inputAbsmax)
        foldRowsAbsMax(inputAbsmax[2 * e], moeX_.address(), rows, H, H,
                       Activation::None);
      if (moe.fp8()) { // the host backend's recipe (moe.cpp), per expert
        const MoeScales fp8 = moeScalesOf(expertScales_.at(&moe), E);
        epilogue(moeX_.address(), rows * H, 0, H, rows, H, Activation::None,
                 moe.upInputScale[e]);
        multiply(expert(moe.up, moe.stacked, e, perExpert), moeX_.address(),
                 rows, I, H, moeH_.address(), where, Activation::None,
                 fp8.upInput[e] * fp8.upWeight[e]);
        if (inputAbsmax) { // the activated rows before their quantization
          epilogue(moeH_.address(), rows * I, 0, I, rows, I, moe.activation,
                   std::nullopt);
          foldRowsAbsMax(inputAbsmax[2 * e + 1], moeH_.address(), rows, I, I,
                         Activation::None);
        }
        epilogue(moeH_.address(), rows * I, 0, I, rows, I,
                 inputAbsmax ? Activation::None : moe.activation,
                 moe.downInputScale[e]);
        multiply(expert(moe.down, moe.stacked, e, perExpert), moeH_.address(),
                 rows, H, I, moeY_.address(), where, Activation::None,
                 fp8.downInput[e] * fp8.downWeight[e]);
      } else {
        multiply(expert(moe.up, moe.stacked, e, perExpert), moeX_.address(),
                 rows, I, H, moeH_.address(), where);
        // The activation: in the down gemm's rounding where it has one.
        const ExpertWeight down = expert(moe.down, moe.stacked, e, perExpert);
        const bool inRounding =
            roundBf16Act_ && blasType(down.dtype) == kCudaR16BF;
        if (!inRounding)
          epilogue(moeH_.address(), rows * I, 0, I, rows, I, moe.activation,
                   std::nullopt);
        if (inputAbsmax)
          foldRowsAbsMax(inputAbsmax[2 * e + 1], moeH_.address(), rows, I, I,
                         inRounding ? moe.activation : Activation::None);
        multiply(down, moeH_.address(), rows, H, I, moeY_.address(), where,
                 inRounding ? moe.activation : Activation::None);
      }
      args_ = {memref(moeY_.address(), rows * H), memref(tokenRows, rows),
               memref(scales, rows), memref(output, T * H), index(rows),
               index(H)};
      hostViews_.assign(args_.size(), nullptr);
      run(*scatterAddRows_, lib::kScatterAddRows);
    }
  }

  bool calibratesExperts() const override { return true; }

  /// absmax raised to max |x| over `rows` rows of `cols` f32 values at
  /// device `address`, `ld` apart, each activated by `act` first (an
  /// activation deferred to the next gemm's rounding): FP8 calibration
  /// (absMax, routed experts). It waits for the device.
  void foldRowsAbsMax(float &absmax, uint64_t address, uint64_t rows,
                      uint64_t cols, uint64_t ld, Activation act) {
    calibrationRows_.resize(rows * cols);
    for (uint64_t r = 0; r < rows; ++r)
      copyOut(calibrationRows_.data() + r * cols,
              address + r * ld * sizeof(float), cols * sizeof(float),
              "calibration rows");
    synchronizeStream("calibration");
    if (act != Activation::None)
      activateBlock(act, rows, cols, calibrationRows_.data(), cols);
    foldBlockAbsMax(absmax, rows, cols, calibrationRows_.data(), cols);
  }

  void embedding(const EmbeddingCall &call, const StepShape &shape) override {
    ContextScope scope = enter();
    bool bf16 = weightDtype_[call.table] == NHC_DTYPE_BF16;
    const uint64_t T = shape.tokens;
    args_ = {memref(weightAddress_[call.table], host_.elems(call.table)),
             memref(tokenIds_.address(), T),
             memref(buffers_[call.output].address(), T * call.hidden),
             index(T), index(call.hidden)};
    hostViews_.assign(args_.size(), nullptr);
    run(bf16 ? *embeddingBf16_ : *embeddingF32_,
        bf16 ? lib::kEmbeddingBf16 : lib::kEmbeddingF32);
  }

  void readRows(size_t buffer, uint64_t offset, uint64_t ld, uint64_t width,
                uint64_t rows, float *out) override {
    ContextScope scope = enter();
    for (uint64_t t = 0; t < rows; ++t)
      copyOut(out + t * width,
              buffers_[buffer].address() + (t * ld + offset) * sizeof(float),
              width * sizeof(float), "a tap");
    synchronizeStream("copying a tap");
  }

  float absMax(const MatrixRef &ref, uint64_t rows, uint64_t cols) override {
    ContextScope scope = enter();
    float absmax = 0.0f;
    // A gemm's input whose activation was deferred to the gemm's rounding
    // holds the values before it: calibrate on the activated ones.
    Activation deferred = Activation::None;
    for (const auto &[consumer, activation] : deferredActivation_)
      if (!consumer->a.logits && !ref.logits &&
          consumer->a.buffer == ref.buffer &&
          consumer->a.offset == ref.offset && consumer->a.ld == ref.ld)
        deferred = activation;
    foldRowsAbsMax(absmax, matrixAddress(ref), rows, cols, ref.ld, deferred);
    return absmax;
  }

  /// Entry timing with CUDA events on the session's stream: event 0 at the
  /// step's start, event i + 1 after entry i; entry i's time is from the
  /// event recorded before it. Events are made as entries first need them
  /// and kept for the session. Timing never fails a step: an entry the
  /// device could not time reads NaN, one never issued 0.
  void beginEntryTiming(size_t entries) override {
    timedStep_ = true; // until the next step's prepare
    lastEvent_ = kUntimed;
    issuedNothing_ = false;
    try {
      entryFrom_.assign(entries, kNotIssued);
      ContextScope scope = enter();
      if (event(0) &&
          api_.cuEventRecord(entryEvents_[0], stream_->get()) == kCudaSuccess)
        lastEvent_ = 0;
    } catch (...) { // timing never fails a step: its entries read NaN
      entryFrom_.clear();
    }
  }

  void entryIssued(size_t index) override {
    if (std::exchange(issuedNothing_, false) || index >= entryFrom_.size())
      return; // a fused sibling gemm stays "not issued"
    entryFrom_[index] = kUntimed;
    try {
      ContextScope scope = enter();
      if (!event(index + 1) ||
          api_.cuEventRecord(entryEvents_[index + 1], stream_->get()) !=
              kCudaSuccess) {
        lastEvent_ = kUntimed; // the next entry has no start either
        return;
      }
    } catch (...) {
      lastEvent_ = kUntimed;
      return;
    }
    entryFrom_[index] = lastEvent_;
    lastEvent_ = index + 1;
  }

  void entrySeconds(double *seconds, size_t entries) override {
    std::optional<ContextScope> scope;
    try {
      scope.emplace(api_, device_.context());
    } catch (...) {
    }
    for (size_t i = 0; i < entries; ++i) {
      if (i < entryFrom_.size() && entryFrom_[i] == kNotIssued) {
        seconds[i] = 0.0;
        continue;
      }
      float milliseconds = 0.0f;
      seconds[i] =
          scope && i < entryFrom_.size() &&
                  entryFrom_[i] != kUntimed &&
                  api_.cuEventElapsedTime(&milliseconds,
                                          entryEvents_[entryFrom_[i]],
                                          entryEvents_[i + 1]) == kCudaSuccess
              ? 1e-3 * milliseconds
              : std::nan("");
    }
  }

  /// Whether the timing event `index` exists, made now if not (events are
  /// made as entries need them and kept for the session). Needs the
  /// context current; throws only std::bad_alloc.
  bool event(size_t index) {
    while (entryEvents_.size() <= index) {
      CUevent made = nullptr;
      if (api_.cuEventCreate(&made, kEventDefault) != kCudaSuccess)
        return false;
      try {
        entryEvents_.push_back(made);
      } catch (...) {
        api_.cuEventDestroy(made);
        throw;
      }
    }
    return true;
  }

  std::string deviceFailure() override {
    // A fault of a kernel (an illegal address, a trap) or of the device is
    // sticky: every later call of the context returns it.
    try {
      ContextScope scope = enter();
      const CUresult result = api_.cuStreamSynchronize(stream_->get());
      return result == kCudaSuccess ? std::string() : api_.describe(result);
    } catch (const Error &e) {
      return e.what();
    }
  }

  void synchronize() override {
    issueLogitsCopy();
    ContextScope scope = enter();
    synchronizeStream("finishing the step");
  }

  void issueLogitsCopy() override {
    ContextScope scope = enter();
    if (hostLogits_ && logitsRows_)
      copyOut(hostLogits_, logits_.address(),
              logitsRows_ * vocab_ * sizeof(float), "the logits");
  }

  /// The picks' copy of their rows (gathered, edited), the edits' buffer
  /// (grown, never shrunk; graphs never name them) and the rules' staging.
  void preparePicks(uint64_t rows, const TokenPicks &picks) override {
    if (!picksOnDevice(vocab_, picks))
      return;
    if (picks.sampling) // the rules' staging, for the step's bucket too
      rulesHost_.reserve(std::max(picks.picks(rows), decodeBucket(rows)) *
                         lib::kSampleParams);
    if (!(picks.numEdits || picks.pickRows))
      return;
    ContextScope scope = enter();
    editedLogits_.reserve(picks.picks(rows) * vocab_ * sizeof(float),
                          "the rows picked from");
    if (picks.numEdits) // picksOnDevice: nhc_edit_logits is there
      logitEdits_.reserve(picks.numEdits * sizeof(nhc_logit_edit_t),
                          "the logit edits");
  }

  void copyLogitsRow(uint64_t row, uint64_t vocab, float *out) override {
    ContextScope scope = enter();
    copyOut(out, logits_.address() + row * vocab * sizeof(float),
            vocab * sizeof(float), "a logits row");
    synchronizeStream("copying a logits row");
  }

  /// An artifact without one of the pick kernels `picks` needs (or a
  /// vocabulary past their f32 ids and counts) has the logits copied out
  /// (the session gives rows of its own) and the ids picked on the host.
  bool picksOnDevice(uint64_t vocab, const TokenPicks &picks) const override {
    const bool wide = vocab >= (uint64_t(1) << 24);
    return argmaxRows_ && !(picks.sampling && (!sampleRows_ || wide)) &&
           !(picks.logprobs && (!logprobRows_ || wide)) &&
           !(picks.numEdits && !editLogits_);
  }

  /// The rows' tokens on the device's logits, only the ids (and logprobs)
  /// copied out: greedy ids by nhc_argmax_rows, sampled ones by
  /// nhc_sample_rows (the rules copied in), then their logprobs by
  /// nhc_logprob_rows. Without the kernels the ids and logprobs come from
  /// the host (greedyId, sampleLogits, tokenLogprobs) on the rows copied
  /// out: the caller's, or the session's (picksOnDevice).
  void pickTokens(uint64_t rows, uint64_t vocab, const float *hostLogits,
                  const TokenPicks &picks, int32_t *out) override {
    if (!picksOnDevice(vocab, picks)) {
      // The session gave rows (its own where the caller gave none), copied
      // out as the head finished.
      NHC_CHECK(hostLogits, NHC_INTERNAL,
                "cuda backend: picks on the host without the rows");
      return Backend::pickTokens(rows, vocab, hostLogits, picks, out);
    }
    ContextScope scope = enter();
    const nhc_sampling_t *sampling = picks.sampling;
    const uint64_t numPicks = picks.picks(rows);
    const uint64_t rowBytes = vocab * sizeof(float);
    // Edits change a copy: the logits (and logprobs) stay the model's. An
    // NHC_LOGITS_ALL step's picks copy their rows together first.
    uint64_t pickFrom = logits_.address();
    if (out && (picks.numEdits || picks.pickRows)) {
      for (uint64_t p = 0, run = 1; p < numPicks; p += run, run = 1) {
        while (p + run < numPicks && // rows following each other: one copy
               picks.pickRow(p + run) == picks.pickRow(p) + run)
          ++run;
        checkCuda(api_,
                  api_.cuMemcpyDtoDAsync(
                      editedLogits_.address() + p * rowBytes,
                      logits_.address() + picks.pickRow(p) * rowBytes,
                      run * rowBytes, stream_->get()),
                  NHC_INTERNAL, "cuda backend: copying the rows to pick from");
      }
      pickFrom = editedLogits_.address();
    }
    if (out && picks.numEdits) {
      static_assert(sizeof(nhc_logit_edit_t) ==
                        lib::kLogitEditWords * sizeof(int32_t),
                    "nhc_edit_logits reads nhc_logit_edit_t's layout");
      copyIn(logitEdits_.address(), picks.edits,
             picks.numEdits * sizeof(nhc_logit_edit_t), "the logit edits");
      args_ = {memref(editedLogits_.address(), numPicks * vocab),
               memref(logitEdits_.address(),
                      picks.numEdits * lib::kLogitEditWords),
               index(picks.numEdits), index(vocab)};
      hostViews_.assign(args_.size(), nullptr);
      run(*editLogits_, lib::kEditLogits);
    }
    if (!out) {
      // Logprobs of the caller's ids only (a prompt's).
    } else if (picks.idsLaunched) {
      // Picked at the end of the step's recording.
    } else if (sampling) {
      copySamplingRules(numPicks, numPicks, sampling);
      launchSampling(pickFrom, numPicks, vocab);
    } else {
      launchArgmax(pickFrom, numPicks, vocab);
    }
    if (picks.logprobs) {
      static_assert(sizeof(nhc_token_logprob_t) ==
                        lib::kLogprobEntryWords * sizeof(int32_t),
                    "nhc_logprob_rows writes nhc_token_logprob_t entries");
      const uint64_t entries = rows * (1 + uint64_t(picks.topLogprobs));
      if (picks.logprobIds) {
        copyIn(logprobIds_.address(), picks.logprobIds,
               rows * sizeof(int32_t), "the logprobs' ids");
        // A pick's row: the id picked there (the session checked it is one).
        for (uint64_t r = 0; r < rows; ++r)
          if (picks.logprobIds[r] == NHC_LOGPROB_ID_PICKED)
            checkCuda(api_,
                      api_.cuMemcpyDtoDAsync(
                          logprobIds_.address() + r * sizeof(int32_t),
                          greedyIds_.address() +
                              uint64_t(picks.pickOfRow(r, rows)) *
                                  sizeof(int32_t),
                          sizeof(int32_t), stream_->get()),
                      NHC_INTERNAL,
                      "cuda backend: copying a picked id to its logprobs");
      }
      args_ = {memref(logits_.address(), rows * vocab),
               memref(picks.logprobIds ? logprobIds_.address()
                                       : greedyIds_.address(),
                      rows),
               memref(logprobEntries_.address(),
                      entries * lib::kLogprobEntryWords),
               index(rows), index(vocab), index(picks.topLogprobs)};
      hostViews_.assign(args_.size(), nullptr);
      run(*logprobRows_, lib::kLogprobRows);
      copyOut(picks.logprobs, logprobEntries_.address(),
              entries * sizeof(nhc_token_logprob_t), "the logprobs");
    }
    if (out)
      copyOut(out, greedyIds_.address(), numPicks * sizeof(int32_t),
              "the token ids");
    synchronizeStream("copying the token ids and logprobs");
  }

  void stageSampledIds(uint64_t requests, uint64_t rows,
                       const nhc_sampling_t *sampling) override {
    ContextScope scope = enter();
    copySamplingRules(requests, rows, sampling);
  }

  void launchIds(uint64_t rows, uint64_t vocab, bool sampled) override {
    ContextScope scope = enter();
    if (sampled)
      launchSampling(logits_.address(), rows, vocab);
    else
      launchArgmax(logits_.address(), rows, vocab);
  }

  bool replayRecorded(uint64_t key) override {
    ContextScope scope = enter();
    auto found = recorded_.find(key);
    if (found == recorded_.end())
      return false;
    if (found->second.generation != generation_) { // a buffer moved
      destroy(found->second);
      recorded_.erase(found);
      return false;
    }
    checkCuda(api_, api_.cuGraphLaunch(found->second.exec, stream_->get()),
              NHC_INTERNAL,
              cat(origin_, ": replaying the recorded decode step of ",
                  key & ~kIdsKeys, " requests"));
    return true;
  }

  bool beginRecording(uint64_t key) override {
    ContextScope scope = enter();
    if (!graphsEnabled_ || unrecordable_.count(key))
      return false;
    if (seen_.insert(key).second)
      return false; // its first step runs directly (a warm-up)
    checkCuda(api_,
              api_.cuStreamBeginCapture(stream_->get(), kCaptureModeThreadLocal),
              NHC_INTERNAL, cat(origin_, ": recording a decode step"));
    recording_ = true;
    recordingFailed_ = false;
    return true;
  }

  bool endRecording(uint64_t key) override {
    ContextScope scope = enter();
    recording_ = false;
    CUgraph graph = nullptr;
    CUresult ended = api_.cuStreamEndCapture(stream_->get(), &graph);
    Recorded recorded;
    recorded.graph = graph;
    recorded.generation = generation_;
    if (ended != kCudaSuccess || recordingFailed_ || !graph ||
        api_.cuGraphInstantiateWithFlags(&recorded.exec, graph, 0) !=
            kCudaSuccess) {
      destroy(recorded);
      // A refused programmatic launch: its next step records plain ones.
      if (!std::exchange(recordAgain_, false))
        unrecordable_.insert(key);
      return false;
    }
    recorded_[key] = recorded;
    return true;
  }

  bool mayRecord(uint64_t key) const override {
    return graphsEnabled_ && !unrecordable_.count(key);
  }

  // With at most 2 slots every bucket is its request count: no padding.
  bool padsDecodeSteps() const override {
    return graphsEnabled_ && maxSlots_ >= 3;
  }

  /// Buckets of recorded decode steps (decode_buckets.h).
  uint64_t decodeBucket(uint64_t requests) const override {
    return padsDecodeSteps() ? cuda::decodeBucket(requests, maxSlots_)
                             : requests;
  }

  void padDecodeInputs(uint64_t requests, uint64_t bucket) override {
    for (uint64_t r = requests; r < bucket; ++r) {
      int64_t *row = &hostTable_[r * 4];
      row[0] = static_cast<int64_t>(r); // its token's row
      row[1] = 1;                       // one token
      row[2] = 0;                       // at position 0
      row[3] = static_cast<int64_t>(maxSlots_); // of the padding slot
      hostIds_[r] = 0;
    }
  }

  void abortRecording() override {
    ContextScope scope = enter();
    recording_ = false;
    CUgraph graph = nullptr;
    api_.cuStreamEndCapture(stream_->get(), &graph);
    if (graph)
      api_.cuGraphDestroy(graph);
  }

  uint64_t scratchBytes() const override {
    uint64_t bytes = logits_.bytes() + narrowRows_.bytes() +
                     requestTable_.bytes() + tokenIds_.bytes() + moeX_.bytes() +
                     moeH_.bytes() + moeY_.bytes() + moeRoutes_.bytes();
    for (const DeviceBuffer &buffer : buffers_)
      bytes += buffer.bytes();
    return bytes;
  }
  nhc_gemm_precision_t gemmPrecision() const override {
    return bf16Arithmetic_ ? NHC_GEMM_PRECISION_BF16 : NHC_GEMM_PRECISION_F32;
  }
  uint64_t convertedWeightBytes() const override {
    return host_.convertedBytes();
  }
  std::vector<std::string> notes() const override { return notes_; }
  nhc_dtype_t weightDtype(size_t weight) const override {
    return weightDtype_.at(weight);
  }

private:
  /// The session's context, current on this thread for the scope.
  ContextScope enter() const { return ContextScope(api_, device_.context()); }

  /// The call being made needs the host to wait: the recording in progress
  /// is discarded (endRecording) and its step runs directly.
  [[noreturn]] void refuseRecording() {
    recordingFailed_ = true;
    throw NotRecordable();
  }

  /// A buffer moved: every recording names freed memory now.
  void invalidateRecordings() {
    ++generation_;
    for (auto &entry : recorded_)
      destroy(entry.second);
    recorded_.clear();
  }

  /// A decode step recorded as a CUDA graph.
  struct Recorded {
    CUgraph graph = nullptr;
    CUgraphExec exec = nullptr;
    uint64_t generation = 0; // of the buffers it names
  };
  void destroy(Recorded &recorded) {
    if (recorded.exec)
      api_.cuGraphExecDestroy(recorded.exec);
    if (recorded.graph)
      api_.cuGraphDestroy(recorded.graph);
    recorded = Recorded();
  }

  /// What an epilogue that does not quantize reads as its scale (on the
  /// host: never the device, which would make the host wait).
  static constexpr float kUnusedScale = 1.0f;

  /// An expert's weight: its own tensor, or its part of a stacked one.
  struct ExpertWeight {
    uint64_t address = 0;
    nhc_dtype_t dtype = NHC_DTYPE_F32;
  };
  /// The device path's weights of one moe_experts call (findDeviceExperts).
  struct DeviceExperts {
    ExpertWeight up, down;
  };
  ExpertWeight expert(const std::vector<size_t> &weights, bool stacked,
                      uint64_t e, uint64_t perExpert) const {
    size_t w = stacked ? weights[0] : weights[e];
    uint64_t offset =
        stacked ? e * perExpert * nhc_dtype_size(weightDtype_[w]) : 0;
    return {weightAddress_[w] + offset, weightDtype_[w]};
  }

  /// Routed experts without the host (moe_experts.mlir): the routes
  /// bucketed by expert (nhc_moe_bucket), the up projection of every used
  /// expert's token rows with the activation, the down projection
  /// (nhc_moe_expert_matmul_*: CUDA cores, four route rows per weight load;
  /// bf16 experts with many routes each: _bf16_tiled, tensor cores, 64
  /// routes per weight load; docs/kernels.md), and each token's routes
  /// added in route order (nhc_moe_combine). For f32 and e4m3 experts the
  /// products cost 2 T top_k H I flops on CUDA cores, the weights' bytes at
  /// most 2 E H I dtype bytes: up to a few hundred rows the bytes dominate,
  /// past that per-expert cuBLASLt gemms (tensor cores) win despite the
  /// host's wait. 256 tokens (the largest bucket of 8s) is an estimate,
  /// not a measurement: NHC_CUDA_MOE_ON_DEVICE moves it (and bf16 experts'
  /// unlimited default, deviceMoeMaxTokens).
  static constexpr uint64_t kDeviceMoeMaxTokens = 256;
  static constexpr uint64_t kDeviceMoeMaxExperts = 1024; // nhc_moe_bucket's
  /// Routes per expert on average from which bf16 expert products run as
  /// tensor-core tiles (tiledExperts). An estimate, not a measurement.
  static constexpr uint64_t kTiledMinRoutesPerExpert = 16;
  /// The most rows of a gemm that nhc_gemv_bf16 runs (runsAsGemv): none
  /// by default. On an H200 (2026-12-04, docs/benchmarks.md) Nemotron Nano
  /// 9B v2's decode at B = 1 ran at 145.9 tok/s with every gemm through
  /// cuBLASLt and 132.0 with nhc_gemv_bf16 (one run each);
  /// NHC_CUDA_GEMV_ROWS=2 brings the kernel back (its blocks read every
  /// row of A once per 4 rows of W, so past 2 rows it loses by design).
  static constexpr uint64_t kGemvMaxRows = 0;
  /// The most rows of a decode step's gemm whose cuBLASLt algorithm is
  /// the fastest of the heuristic's candidates on the device, timed when
  /// the step's shape is first prepared (BlasLtGemm::prepare); prefill
  /// gemms, whose row counts vary from prompt to prompt, take the
  /// heuristic's first choice. NHC_CUDA_GEMM_TUNE_ROWS=0 takes it for
  /// every gemm: the same algorithm in every session.
  static constexpr uint64_t kTuneMaxRows = 256;
  /// nhc_gemv_bf16's arguments (gemv(): A, W, C, m, n, k, lda, ldc,
  /// accumulate, act).
  static constexpr size_t kGemvArgs = 10;

  /// Offsets of the device path's routes in moeRoutes_ (int32 elements):
  /// nhc_moe_bucket's offsets [E + 1], token and slot [T K], active [A].
  struct RouteLayout {
    uint64_t offsets = 0, token = 0, slot = 0, active = 0, activeCount = 0,
             elems = 0;
  };
  static RouteLayout routeLayout(uint64_t T, uint64_t K, uint64_t E) {
    RouteLayout l;
    l.token = E + 1;
    l.slot = l.token + T * K;
    l.active = l.slot + T * K;
    l.activeCount = std::min(E, T * K);
    l.elems = l.active + l.activeCount;
    return l;
  }

  /// The experts of one projection as a stacked [E, n, k] run of device
  /// memory (a stacked weight, or per-expert tensors placed side by side by
  /// planExpertStacks) in f32, bf16 or (with the artifact's e4m3 expert
  /// kernel) e4m3, or nullopt.
  std::optional<ExpertWeight> contiguousExperts(const std::vector<size_t> &weights,
                                                bool stacked, uint64_t E,
                                                uint64_t perExpert) const {
    if (weights.empty() || (!stacked && weights.size() != E))
      return std::nullopt;
    ExpertWeight first = expert(weights, stacked, 0, perExpert);
    if (first.dtype != NHC_DTYPE_F32 && first.dtype != NHC_DTYPE_BF16 &&
        !(first.dtype == NHC_DTYPE_F8_E4M3 && moeMatmulE4m3_))
      return std::nullopt;
    const uint64_t bytes = perExpert * nhc_dtype_size(first.dtype);
    for (uint64_t e = 1; !stacked && e < E; ++e) {
      ExpertWeight w = expert(weights, false, e, perExpert);
      if (w.dtype != first.dtype || w.address != first.address + e * bytes)
        return std::nullopt;
    }
    return first;
  }

  /// Which moe_experts calls the device path can run, decided once the
  /// weights are placed: both projections contiguous, at most
  /// kDeviceMoeMaxExperts experts.
  void findDeviceExperts() {
    deviceExperts_.clear();
    for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
      for (const ScheduleEntry &entry : *entries) {
        if (entry.kind != EntryKind::MoeExperts)
          continue;
        const MoeCall &moe = entry.moe;
        const uint64_t E = moe.numExperts, perExpert = moe.hidden * moe.intermediate;
        if (E > kDeviceMoeMaxExperts || (moe.fp8() && !moeFp8Rows_))
          continue;
        std::optional<ExpertWeight> up =
            contiguousExperts(moe.up, moe.stacked, E, perExpert);
        std::optional<ExpertWeight> down =
            contiguousExperts(moe.down, moe.stacked, E, perExpert);
        if (!up || !down)
          continue;
        deviceExperts_[&moe] = {*up, *down};
        if (moe.fp8())
          uploadExpertScales(moe, entry.where);
      }
  }

  /// deviceExpertScales_[&moe]: its packed scales (expertScales_) on the
  /// device.
  void uploadExpertScales(const MoeCall &moe, const std::string &where) {
    const std::vector<float> &packed = expertScales_.at(&moe);
    DeviceBuffer buffer(api_);
    buffer.reserve(packed.size() * 4, cat(where, ": the FP8 experts' scales"));
    copyIn(buffer.address(), packed.data(), packed.size() * 4,
           "the FP8 experts' scales");
    synchronizeStream("uploading the FP8 experts' scales");
    deviceExpertScales_.emplace(&moe, std::move(buffer));
  }

  /// cuBLASLt fuses no relu², so a gemm's activation epilogue is a pass of
  /// its own over C. Where the next entry is a bf16 gemm reading exactly that
  /// block, it runs in that gemm's rounding of its input instead
  /// (nhc_round_bf16_act, bit for bit the same bf16 values), if nothing
  /// else in the plan references the buffer (no other entry, no tap): every
  /// reference to it must be one of such a pair. Decided once the weights'
  /// device dtypes are known.
  void findDeferredActivations() {
    deferredActivation_.clear();
    epilogueDeferred_.clear();
    if (!roundBf16Act_)
      return; // an artifact from before the kernel
    std::vector<uint64_t> references(plan_.buffers.size(), 0),
        paired(plan_.buffers.size(), 0);
    auto count = [&](const MatrixRef &ref) {
      if (!ref.logits && ref.buffer < references.size())
        ++references[ref.buffer];
    };
    std::vector<std::pair<const GemmCall *, const GemmCall *>> pairs;
    for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
      for (size_t i = 0; i < entries->size(); ++i) {
        const ScheduleEntry &entry = (*entries)[i];
        switch (entry.kind) {
        case EntryKind::Kernel:
          for (const KernelArg &arg : entry.kernel.args)
            if (arg.kind == ArgKind::Buffer && arg.ref < references.size())
              ++references[arg.ref];
          break;
        case EntryKind::Gemm:
          count(entry.gemm.a);
          count(entry.gemm.c);
          break;
        case EntryKind::MoeExperts:
          for (size_t buffer : {entry.moe.input, entry.moe.indices,
                                entry.moe.weights, entry.moe.output})
            if (buffer < references.size())
              ++references[buffer];
          break;
        case EntryKind::Embedding:
          if (entry.embedding.output < references.size())
            ++references[entry.embedding.output];
          break;
        }
        if (i + 1 < entries->size() && entry.kind == EntryKind::Gemm &&
            (*entries)[i + 1].kind == EntryKind::Gemm &&
            defersTo(entry.gemm, (*entries)[i + 1].gemm)) {
          pairs.emplace_back(&entry.gemm, &(*entries)[i + 1].gemm);
          paired[entry.gemm.c.buffer] += 2; // defersTo: not logits, so a buffer
        }
      }
    for (const TapPoint &tap : plan_.taps) // copied out after an entry
      if (tap.buffer < references.size())
        ++references[tap.buffer];
    for (const auto &[producer, consumer] : pairs)
      if (references[producer->c.buffer] == paired[producer->c.buffer]) {
        deferredActivation_[consumer] = producer->epilogue;
        epilogueDeferred_.insert(producer);
      }
  }

  /// A decode scan's partner in one nhc_ssd_conv_scan launch.
  struct ConvScan {
    const KernelCall *conv;    // the plan's conv1d the scan reads
    const FunctionDef *kernel; // the fused kernel for the scan's state dtype
    const char *name;
  };

  /// Pairs each plan nhc_conv1d_act with the nhc_ssd_scan that reads its
  /// output (the schedule's conv, chunked scan, decode scan: nothing else
  /// between them), so that a decode step runs both as one
  /// nhc_ssd_conv_scan at the scan's entry (lib/Kernels/ssd_conv_scan.mlir):
  /// one launch fewer per Mamba layer and step. A step of more tokens than
  /// requests keeps the pair (the chunked scan reads the conv's output).
  /// Not for a state wider than the kernel stages (N >
  /// kSsdConvScanMaxStateSize), nor where NHC_CUDA_CONV_SCAN=0 or the
  /// artifact lacks the kernel. Scans of a bf16 SSM state pair with
  /// kSsdConvScanBf16State.
  void findConvScans() {
    convOfScan_.clear();
    convInConvScan_.clear();
    convScanGroups_ = 0;
    if (!enabledByEnvironment("NHC_CUDA_CONV_SCAN"))
      return;
    struct Form {
      const char *chunked, *scan;
      ConvScan fused;
    };
    const Form forms[] = {
        {"nhc_ssd_chunk_scan", "nhc_ssd_scan",
         {nullptr, ssdConvScan_, lib::kSsdConvScan}},
        {"nhc_ssd_chunk_scan_bf16_state", "nhc_ssd_scan_bf16_state",
         {nullptr, ssdConvScanBf16State_, lib::kSsdConvScanBf16State}}};
    auto named = [&](const ScheduleEntry &entry, const char *name) {
      return entry.kind == EntryKind::Kernel &&
             plan_.kernels[entry.kernel.kernel].name == name;
    };
    auto buffer = [](const KernelArg &arg, size_t ref) {
      return arg.kind == ArgKind::Buffer && arg.ref == ref;
    };
    constexpr size_t kConvArgs = 14, kScanArgs = 17;
    for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
      for (size_t i = 0; i + 2 < entries->size(); ++i) {
        const ScheduleEntry &conv = (*entries)[i];
        const ScheduleEntry &chunked = (*entries)[i + 1];
        const ScheduleEntry &scan = (*entries)[i + 2];
        const Form *form = nullptr;
        for (const Form &f : forms)
          if (f.fused.kernel && named(chunked, f.chunked) &&
              named(scan, f.scan))
            form = &f;
        if (!form || !named(conv, "nhc_conv1d_act") ||
            conv.kernel.args.size() != kConvArgs ||
            scan.kernel.args.size() != kScanArgs)
          continue;
        const std::vector<KernelArg> &c = conv.kernel.args, &d = scan.kernel.args;
        const KernelArg &N = d[13], &G = d[14], &H = d[11], &P = d[12];
        const KernelArg &C = c[11];
        auto index = [](const KernelArg &arg) {
          return arg.kind == ArgKind::Index;
        };
        // The scans read the conv's output; the fused kernel finds x, B and
        // C at 0, H P and H P + G N of the conv's C channels and reads src
        // while writing out.
        if (c[0].kind != ArgKind::Buffer || c[3].kind != ArgKind::Buffer ||
            buffer(c[3], c[0].ref) || !buffer(d[0], c[3].ref) ||
            !buffer(chunked.kernel.args[0], c[3].ref) ||
            c[9].kind != ArgKind::Requests || d[9].kind != ArgKind::Requests ||
            !index(C) || !index(H) || !index(P) || !index(N) || !index(G) ||
            N.index < 1 || N.index > lib::kSsdConvScanMaxStateSize ||
            G.index < 1 ||
            C.index != H.index * P.index + 2 * G.index * N.index)
          continue;
        ConvScan pair = form->fused;
        pair.conv = &conv.kernel;
        convOfScan_[&scan.kernel] = pair;
        convInConvScan_.insert(&conv.kernel);
        convScanGroups_ = std::max<uint64_t>(convScanGroups_, G.index);
      }
  }

  /// A decode step's `scan` and its conv as one nhc_ssd_conv_scan (or its
  /// bf16 state form, `pair.kernel`): the conv's arguments, the scan's from
  /// `proj` on less its request table and count, then the arrival counts.
  void launchConvScan(const ConvScan &pair, const KernelCall &scan,
                      const StepShape &shape, uint64_t logitsRows) {
    bindArgs(scan, shape, logitsRows);
    std::vector<CallArg> scanArgs = args_;
    std::vector<const float *> scanViews = hostViews_;
    bindArgs(*pair.conv, shape, logitsRows);
    for (size_t i = 1; i < scanArgs.size(); ++i) {
      if (i == 9 || i == 10) // the request table and count: the conv's
        continue;
      args_.push_back(scanArgs[i]);
      hostViews_.push_back(scanViews[i]);
    }
    args_.push_back(
        memref(groupArrivals_.address(), shape.requests * convScanGroups_));
    hostViews_.push_back(nullptr);
    run(*pair.kernel, pair.name);
  }

  /// A plan RMS norm whose output the next entry, a bf16 gemm, reads
  /// exactly (the norm's rows, contiguous, one per token; not quantized for
  /// FP8) runs as its `_bf16` library kernel, which also stores those rows
  /// rounded to bf16 where the product reads them: one launch instead of
  /// the norm and nhc_round_bf16 (the same bf16 values). The norm's f32
  /// output is still written (taps and calibration read it). Decided once
  /// the weights' device dtypes are known; older artifacts lack the
  /// kernels.
  void findRoundingNorms() {
    roundingNorm_.clear();
    roundedByNorm_.clear();
    struct Form {
      const char *plan, *name;
      const FunctionDef *kernel;
      size_t out, tokens, width, quantize; // argument positions
    };
    const Form forms[] = {
        {"nhc_rms_norm", lib::kRmsNormBf16, rmsNormBf16_, 2, 3, 4, 7},
        {"nhc_add_rms_norm", lib::kAddRmsNormBf16, addRmsNormBf16_, 3, 4, 5, 8},
        {"nhc_gated_rms_norm", lib::kGatedRmsNormBf16, gatedRmsNormBf16_, 4,
         5, 6, 10}};
    for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
      for (size_t i = 0; i + 1 < entries->size(); ++i) {
        const ScheduleEntry &entry = (*entries)[i];
        const ScheduleEntry &next = (*entries)[i + 1];
        if (entry.kind != EntryKind::Kernel || next.kind != EntryKind::Gemm)
          continue;
        const KernelCall &norm = entry.kernel;
        const GemmCall &gemm = next.gemm;
        for (const Form &form : forms) {
          if (plan_.kernels[norm.kernel].name != form.plan || !form.kernel ||
              norm.args.size() != form.quantize + 1)
            continue;
          const KernelArg &out = norm.args[form.out];
          const KernelArg &tokens = norm.args[form.tokens];
          const KernelArg &width = norm.args[form.width];
          const KernelArg &quantize = norm.args[form.quantize];
          const bool readsTheRows =
              out.kind == ArgKind::Buffer && !gemm.a.logits &&
              gemm.a.buffer == out.ref && gemm.a.offset == 0 &&
              width.kind == ArgKind::Index && width.index > 0 &&
              uint64_t(width.index) == gemm.k && gemm.a.ld == gemm.k &&
              tokens.kind == ArgKind::Dim && tokens.dim == DimKind::Tokens &&
              tokens.times == 1 && gemm.rows == Rows::Tokens;
          if (readsTheRows && quantize.kind == ArgKind::Index &&
              quantize.index == 0 && !gemm.scaled &&
              blasType(weightDtype_[gemm.weight]) == kCudaR16BF &&
              deferredInput(gemm) == Activation::None) {
            roundingNorm_[&norm] = {&gemm, form.kernel, form.name};
            roundedByNorm_.insert(&gemm);
          }
        }
      }
  }

  /// Whether `producer`'s activation can run in `consumer`'s bf16 rounding:
  /// the consumer reads exactly the producer's block, rows for rows.
  bool defersTo(const GemmCall &producer, const GemmCall &consumer) const {
    return producer.epilogue != Activation::None && !producer.quantizeOutput &&
           !producer.accumulate && // it would read its C without the activation
           !producer.c.logits && !consumer.a.logits &&
           consumer.a.buffer == producer.c.buffer &&
           consumer.a.offset == producer.c.offset &&
           consumer.a.ld == producer.c.ld && consumer.k == producer.n &&
           consumer.rows == producer.rows && !consumer.scaled &&
           blasType(weightDtype_[consumer.weight]) == kCudaR16BF;
  }

  /// The tiled product for expert weights of `dtype`, if the artifact has
  /// it (bf16 and e4m3; f32 experts have none).
  const FunctionDef *tiledKernel(nhc_dtype_t dtype) const {
    return dtype == NHC_DTYPE_BF16      ? moeMatmulBf16Tiled_
           : dtype == NHC_DTYPE_F8_E4M3 ? moeMatmulE4m3Tiled_
                                        : nullptr;
  }

  /// The most tokens a step may have for its routed experts to stay on
  /// the device: NHC_CUDA_MOE_ON_DEVICE's count; else any number where
  /// the artifact has a tiled product for every device expert's dtype (a
  /// prefill's products on tensor cores, no wait for the host), else
  /// kDeviceMoeMaxTokens.
  uint64_t deviceMoeMaxTokens() const {
    if (moeMaxTokens_)
      return *moeMaxTokens_;
    bool tiled = !deviceExperts_.empty();
    for (const auto &[moe, experts] : deviceExperts_)
      tiled = tiled && tiledKernel(experts.up.dtype) &&
              tiledKernel(experts.down.dtype);
    return tiled ? std::numeric_limits<uint64_t>::max() : kDeviceMoeMaxTokens;
  }

  bool deviceMoeAvailable(uint64_t T) const {
    return T <= deviceMoeMaxTokens() && moeBucket_ && moeMatmulBf16_ &&
           moeMatmulF32_ && moeCombine_;
  }

  /// Whether an expert product of T tokens' K routes over E experts runs
  /// as tensor-core tiles: from kTiledMinRoutesPerExpert routes per expert
  /// on average (each weight tile read once per 64 routes instead of once
  /// per 4); below that the untiled kernels' weight loads serve a decode
  /// step's one or two routes per expert better.
  static bool tiledExperts(uint64_t T, uint64_t K, uint64_t E) {
    return T * K >= kTiledMinRoutesPerExpert * E;
  }

  /// Runs `moe` for T tokens on the device if it can (false: it did
  /// nothing).
  bool runExpertsOnDevice(const MoeCall &moe, uint64_t T) {
    const uint64_t K = moe.topK, H = moe.hidden, I = moe.intermediate,
                   E = moe.numExperts;
    auto found = deviceExperts_.find(&moe);
    if (!deviceMoeAvailable(T) || found == deviceExperts_.end())
      return false;
    const DeviceExperts &experts = found->second;
    const RouteLayout l = routeLayout(T, K, E);
    const uint64_t routes = moeRoutes_.address();
    auto part = [&](uint64_t at, uint64_t elems) {
      return memref(routes + at * 4, elems);
    };
    args_ = {memref(buffers_[moe.indices].address(), T * K),
             part(l.offsets, E + 1), part(l.token, T * K),
             part(l.slot, T * K), part(l.active, l.activeCount),
             index(T), index(K), index(E), index(l.activeCount)};
    hostViews_.assign(args_.size(), nullptr);
    run(*moeBucket_, lib::kMoeBucket);
    auto matmul = [&](uint64_t x, uint64_t xRows, const ExpertWeight &w,
                      uint64_t n, uint64_t k, uint64_t y, bool gather,
                      int64_t act) {
      args_ = {memref(x, xRows * k), part(l.token, T * K),
               part(l.offsets, E + 1), part(l.active, l.activeCount),
               memref(w.address, E * n * k), memref(y, T * K * n),
               index(l.activeCount), index(n), index(k), index(gather ? 1 : 0),
               index(act)};
      hostViews_.assign(args_.size(), nullptr);
      const bool tiled = tiledKernel(w.dtype) && tiledExperts(T, K, E);
      if (w.dtype == NHC_DTYPE_F8_E4M3 && tiled)
        run(*moeMatmulE4m3Tiled_, lib::kMoeExpertMatmulE4m3Tiled);
      else if (w.dtype == NHC_DTYPE_F8_E4M3)
        run(*moeMatmulE4m3_, lib::kMoeExpertMatmulE4m3);
      else if (w.dtype == NHC_DTYPE_BF16 && tiled)
        run(*moeMatmulBf16Tiled_, lib::kMoeExpertMatmulBf16Tiled);
      else if (w.dtype == NHC_DTYPE_BF16)
        run(*moeMatmulBf16_, lib::kMoeExpertMatmulBf16);
      else
        run(*moeMatmulF32_, lib::kMoeExpertMatmulF32);
    };
    if (moe.fp8()) {
      // The host's per-expert recipe (moe.cpp) on every route row at once:
      // the tokens' rows quantized with their expert's up input_scale
      // (into moeY_, free until the down product), the products of e4m3
      // values (e4m3 weights as stored, or widened to bf16: exact either
      // way) scaled, activated and quantized for the down product, which
      // is scaled last.
      const uint64_t scales = deviceExpertScales_.at(&moe).address();
      auto fp8Rows = [&](uint64_t src, uint64_t srcRows, uint64_t dst,
                         uint64_t n, bool gather, int64_t mul, int64_t act,
                         int64_t quant) {
        args_ = {memref(src, srcRows * n), part(l.token, T * K),
                 part(l.offsets, E + 1), memref(scales, 4 * E),
                 memref(dst, T * K * n), index(T * K), index(E), index(n),
                 index(gather ? 1 : 0), index(mul), index(act), index(quant)};
        hostViews_.assign(args_.size(), nullptr);
        run(*moeFp8Rows_, lib::kMoeFp8Rows);
      };
      // mul: a list and the next (input x weight scale); -1: none.
      fp8Rows(buffers_[moe.input].address(), T, moeY_.address(), H,
              /*gather=*/true, -1, -1, kUpInputScales);
      matmul(moeY_.address(), T * K, experts.up, I, H, moeH_.address(),
             /*gather=*/false, activationCode(Activation::None));
      fp8Rows(moeH_.address(), T * K, moeH_.address(), I, /*gather=*/false,
              kUpInputScales, activationCode(moe.activation),
              kDownInputScales);
      matmul(moeH_.address(), T * K, experts.down, H, I, moeY_.address(),
             /*gather=*/false, activationCode(Activation::None));
      fp8Rows(moeY_.address(), T * K, moeY_.address(), H, /*gather=*/false,
              kDownInputScales, -1, -1);
    } else {
      matmul(buffers_[moe.input].address(), T, experts.up, I, H,
             moeH_.address(), /*gather=*/true, activationCode(moe.activation));
      matmul(moeH_.address(), T * K, experts.down, H, I, moeY_.address(),
             /*gather=*/false, activationCode(Activation::None));
    }
    args_ = {memref(moeY_.address(), T * K * H), part(l.slot, T * K),
             memref(buffers_[moe.weights].address(), T * K),
             memref(buffers_[moe.output].address(), T * H), index(T), index(K),
             index(H)};
    hostViews_.assign(args_.size(), nullptr);
    run(*moeCombine_, lib::kMoeCombine);
    return true;
  }

  /// C[m, n] = A[m, k] . W[n, k]^T for packed A and C on the device (bf16
  /// weights: A rounded first, as gemm() does, after `activation`; e4m3
  /// weights: A already quantized to e4m3 values, packed to bytes by
  /// nhc_pack_e4m3, `alpha` the FP8 scales; f32 weights take A as it is, so
  /// their callers pass no activation).
  void multiply(const ExpertWeight &w, uint64_t a, uint64_t m, uint64_t n,
                uint64_t k, uint64_t c, const std::string &where,
                Activation activation = Activation::None, float alpha = 1.0f) {
    GemmShape s;
    s.type = blasType(w.dtype);
    s.m = m;
    s.n = n;
    s.k = k;
    s.lda = k;
    s.ldc = n;
    if (s.type != kCudaR32F) {
      narrowActivations(s.type, a, m * k, 0, k, m, k, activation);
      a = narrowRows_.address();
    }
    gemm_->run(s, w.address, a, c, 0, alpha, 0.0f, where);
  }

  /// narrowRows_[m, k] = the m rows of k values at `offset` in `a`, `ld`
  /// apart, in the product's operand dtype: rounded to bf16 for a bf16
  /// product (nhc_round_bf16; with `activation`, activated first by
  /// nhc_round_bf16_act: findDeferredActivations), packed to e4m3 bytes for
  /// an e4m3 one (already quantized: nhc_pack_e4m3).
  void narrowActivations(int type, uint64_t a, uint64_t aElems,
                         uint64_t offset, uint64_t ld, uint64_t m, uint64_t k,
                         Activation activation = Activation::None) {
    args_ = {memref(a, aElems),
             index(static_cast<int64_t>(offset)),
             index(static_cast<int64_t>(ld)),
             index(m),
             index(k),
             memref(narrowRows_.address(), m * k)};
    hostViews_.assign(args_.size(), nullptr);
    if (type == kCudaR8FE4M3) {
      run(*packE4m3_, lib::kPackE4m3);
    } else if (activation != Activation::None) {
      args_.insert(args_.end() - 1, index(activationCode(activation)));
      hostViews_.push_back(nullptr);
      run(*roundBf16Act_, lib::kRoundBf16Act);
    } else {
      run(*roundBf16_, lib::kRoundBf16);
    }
  }

  /// The [m, n] block at `offset` in `c` (rows `ld` apart) activated and,
  /// with `quantizeScale` (a weight), quantized to e4m3 (nhc_gemm_epilogue).
  void epilogue(uint64_t c, uint64_t cElems, uint64_t offset, uint64_t ld,
                uint64_t m, uint64_t n, Activation activation,
                std::optional<size_t> quantizeScale) {
    args_ = {memref(c, cElems),
             index(static_cast<int64_t>(offset)),
             index(static_cast<int64_t>(ld)),
             index(m),
             index(n),
             index(activationCode(activation)),
             index(quantizeScale ? 1 : 0),
             quantizeScale ? memref(weightAddress_[*quantizeScale], 1)
                           : memref(c, cElems)};
    // The scale is read on the host: the weight's copy, or a constant when
    // not quantizing (never the device: that would make the host wait).
    hostViews_.assign(args_.size(), nullptr);
    hostViews_.back() = quantizeScale ? host_.data(*quantizeScale) : &kUnusedScale;
    run(*gemmEpilogue_, lib::kGemmEpilogue);
  }

  /// Whether `call` with `m` rows runs as one nhc_gemv_bf16 launch (the
  /// f32 activations times the BF16 weights widened in registers) instead
  /// of a rounding pass and a cuBLASLt product: a decode gemm of at most
  /// NHC_CUDA_GEMV_ROWS rows (kGemvMaxRows) on BF16 weights with no bias
  /// (cuBLASLt fuses it), the weights on a bf16's 2-byte boundary (the
  /// kernel reads 16-byte chunks where W and k allow, else one weight at a
  /// time), and an artifact that has the kernel. An activation deferred to
  /// its input (the MLP's relu² before the down projection) runs in the
  /// kernel's loads if it is relu² (two operations, a constant case there);
  /// any other is left to the rounding pass, as the kernel would evaluate
  /// it once per block of 4 weight rows.
  bool runsAsGemv(const GemmCall &call, uint64_t m) const {
    const Activation input = deferredInput(call);
    return gemvBf16_ && m <= gemvMaxRows_ &&
           weightDtype_[call.weight] == NHC_DTYPE_BF16 && !call.hasBias &&
           !call.scaled &&
           (input == Activation::None || input == Activation::Relu2) &&
           weightAddress_[call.weight] % 2 == 0;
  }

  /// The activation deferred to `call`'s input (findDeferredActivations),
  /// None if there is none.
  Activation deferredInput(const GemmCall &call) const {
    auto deferred = deferredActivation_.find(&call);
    return deferred == deferredActivation_.end() ? Activation::None
                                                 : deferred->second;
  }

  /// C (+)= act(A) Wᵀ for `m` rows of A through nhc_gemv_bf16 (its GPU
  /// form, lib/Kernels/gemv_gpu.mlir), `act` the activation deferred to
  /// this gemm's input if any; the caller runs the epilogue.
  void gemv(const GemmCall &call, uint64_t m) {
    const uint64_t aElems = bufferElemsOf(call.a) - call.a.offset;
    const uint64_t cElems = bufferElemsOf(call.c) - call.c.offset;
    args_ = {memref(matrixAddress(call.a), aElems),
             memref(weightAddress_[call.weight],
                    weightElems(call) * nhc_dtype_size(NHC_DTYPE_BF16)),
             memref(matrixAddress(call.c), cElems),
             index(m),
             index(static_cast<int64_t>(columns(call))),
             index(call.k),
             index(call.a.ld),
             index(call.c.ld),
             index(call.accumulate ? 1 : 0),
             index(activationCode(deferredInput(call)))};
    hostViews_.assign(args_.size(), nullptr);
    run(*gemvBf16_, lib::kGemvBf16);
  }

  /// cuBLASLt's type of a weight's device dtype.
  static int blasType(nhc_dtype_t dtype) {
    return dtype == NHC_DTYPE_BF16       ? kCudaR16BF
           : dtype == NHC_DTYPE_F8_E4M3 ? kCudaR8FE4M3
                                         : kCudaR32F;
  }

  std::string gemmWhere(const GemmCall &call) const {
    return cat(origin_, ": gemm of weight ", call.weight);
  }
  /// The cuBLASLt problem of `call` with `m` rows, its weight held as
  /// `dtype` (by default as uploaded).
  GemmShape gemmShape(const GemmCall &call, uint64_t m,
                      std::optional<nhc_dtype_t> dtype = std::nullopt) const {
    GemmShape s;
    s.m = m;
    s.n = columns(call);
    s.k = call.k;
    s.ldc = call.c.ld;
    s.bias = call.hasBias;
    s.type = blasType(dtype ? *dtype : weightDtype_[call.weight]);
    // bf16 and e4m3: the rounded or packed copy of the activations
    s.lda = s.type == kCudaR32F ? call.a.ld : call.k;
    return s;
  }
  /// Where cuBLASLt reads the activations of `call`.
  uint64_t gemmInput(const GemmCall &call) const {
    return weightDtype_[call.weight] == NHC_DTYPE_F32 ? matrixAddress(call.a)
                                                       : narrowRows_.address();
  }

  static CallArg memref(uint64_t address, uint64_t elements) {
    CallArg a;
    a.kind = ParamKind::Memref;
    a.address = address;
    a.elements = elements;
    return a;
  }
  static CallArg index(int64_t value) {
    CallArg a;
    a.kind = ParamKind::Index;
    a.integer = value;
    return a;
  }
  static uint64_t elemBytes(ElemType type) {
    return type == ElemType::I64 ? 8 : 4;
  }
  uint64_t bufferElems(size_t i, uint64_t T, uint64_t R) const {
    const BufferSpec &spec = plan_.buffers[i];
    return spec.elems * (spec.per == Per::Token ? T : R);
  }
  uint64_t bufferBase(const MatrixRef &ref) const {
    return ref.logits ? logits_.address() : buffers_[ref.buffer].address();
  }
  uint64_t bufferElemsOf(const MatrixRef &ref) const {
    // The whole device buffer (a padded step's head writes more rows than
    // are copied out).
    return ref.logits ? logits_.bytes() / 4 : buffers_[ref.buffer].bytes() / 4;
  }
  uint64_t matrixAddress(const MatrixRef &ref) const {
    return bufferBase(ref) + ref.offset * sizeof(float);
  }

  void copyIn(uint64_t dst, const void *src, uint64_t bytes, const char *what) {
    if (bytes)
      checkCuda(api_, api_.cuMemcpyHtoDAsync(dst, src, bytes, stream_->get()),
                NHC_INTERNAL, cat("cuda backend: copying ", what));
  }
  void copyOut(void *dst, uint64_t src, uint64_t bytes, const char *what) {
    if (bytes)
      checkCuda(api_, api_.cuMemcpyDtoHAsync(dst, src, bytes, stream_->get()),
                NHC_INTERNAL, cat("cuda backend: copying ", what));
  }
  void synchronizeStream(const char *what) {
    checkCuda(api_, api_.cuStreamSynchronize(stream_->get()), NHC_INTERNAL,
              cat("cuda backend: ", what));
  }

  /// nhc_argmax_rows of `rows` rows of `vocab` logits at `from` into
  /// greedyIds_.
  void launchArgmax(uint64_t from, uint64_t rows, uint64_t vocab) {
    const uint64_t slices = lib::argmaxSlices(vocab);
    args_ = {memref(from, rows * vocab), memref(greedyIds_.address(), rows),
             index(rows), index(vocab),
             memref(argmaxPartials_.address(), rows * slices * 2),
             index(slices)};
    hostViews_.assign(args_.size(), nullptr);
    run(*argmaxRows_, lib::kArgmaxRows);
  }

  /// Copies `sampling[r]`'s rule into sampleRules_ for the first `requests`
  /// rows and a greedy one for the rest up to `rows` (padding rows, whose
  /// ids are dropped), staged in rulesHost_.
  void copySamplingRules(uint64_t requests, uint64_t rows,
                         const nhc_sampling_t *sampling) {
    rulesHost_.assign(rows * lib::kSampleParams, 0.0);
    for (uint64_t p = 0; p < rows; ++p) {
      double *rule = &rulesHost_[p * lib::kSampleParams];
      if (p < requests) {
        sampleRuleParams(sampling[p], rule);
      } else { // a padding row: greedy (temperature 0), its id dropped
        rule[lib::kSampleTopP] = 1.0;
        rule[lib::kSampleLogMinP] = -std::numeric_limits<double>::infinity();
      }
    }
    copyIn(sampleRules_.address(), rulesHost_.data(),
           rulesHost_.size() * sizeof(double), "the sampling rules");
  }

  /// nhc_sample_rows of `rows` rows of `vocab` logits at `from` into
  /// greedyIds_, by the rules in sampleRules_.
  void launchSampling(uint64_t from, uint64_t rows, uint64_t vocab) {
    args_ = {memref(from, rows * vocab), memref(greedyIds_.address(), rows),
             index(rows), index(vocab),
             memref(sampleRules_.address(), rows * lib::kSampleParams)};
    hostViews_.assign(args_.size(), nullptr);
    run(*sampleRows_, lib::kSampleRows);
  }

  /// Launches `fn` with args_ (hostViews_: host copies of memrefs a `load`
  /// may read instead of the device).
  void run(const FunctionDef &fn, const std::string &kernel) {
    // A `load` reads a host copy where there is one (weights: FP8 scales),
    // else the device, waiting for the stream.
    LoadScalar load = [&](size_t arg, uint64_t index, ParamKind type) {
      if (type == ParamKind::F32 && hostViews_[arg])
        return static_cast<double>(hostViews_[arg][index]);
      if (recording_) // the host cannot wait: this step is not recordable
        refuseRecording();
      uint64_t width = type == ParamKind::F32 || type == ParamKind::I32 ? 4 : 8;
      uint8_t bytes[8] = {};
      copyOut(bytes, args_[arg].address + index * width, width,
              "a launch's scalar");
      synchronizeStream("reading a launch's scalar");
      if (type == ParamKind::F32) {
        float value;
        std::memcpy(&value, bytes, 4);
        return static_cast<double>(value);
      }
      if (width == 4) {
        int32_t value;
        std::memcpy(&value, bytes, 4);
        return static_cast<double>(value);
      }
      int64_t value;
      std::memcpy(&value, bytes, 8);
      return static_cast<double>(value);
    };
    std::vector<ResolvedLaunch> launches = resolveLaunches(
        fn, args_, image_.chip, load, cat(origin_, ": kernel '", kernel, "'"));
    for (ResolvedLaunch &launch : launches) {
      std::vector<void *> params(launch.offsets.size());
      for (size_t i = 0; i < params.size(); ++i)
        params[i] = launch.storage.data() + launch.offsets[i];
      checkDynamicShared(launch, kernel);
      checkCuda(api_, launchOnStream(launch, params.data()), NHC_INTERNAL,
                cat(origin_, ": launching '", launch.entry, "' of '", kernel,
                    "' (grid ", launch.grid[0], "x", launch.grid[1], "x",
                    launch.grid[2], ", block ", launch.block[0], ")"));
    }
  }

  /// Issues `launch` on the session's stream: with programmatic stream
  /// serialization where the code waits for the grids before it
  /// (programmatic_) and the step is not timed (its entries' events would
  /// time overlapping kernels), else as cuLaunchKernel does. A driver that
  /// refuses the attribute (e.g. under MPS or in a capture) is not asked
  /// again: the launch is made plainly, or, while recording, the step runs
  /// unrecorded and its bucket is recorded again at its next step. A launch
  /// refused plainly too failed for itself, not for the attribute, so
  /// later launches still ask.
  CUresult launchOnStream(const ResolvedLaunch &launch, void **params) {
    CUfunction function = functions_.at(launch.entry);
    const bool askedProgrammatically = programmatic_ && !timedStep_;
    if (askedProgrammatically) {
      if (launchProgrammatically(launch, function, params) == kCudaSuccess)
        return kCudaSuccess;
      programmatic_ = false;
      if (recording_) {
        recordAgain_ = true;
        refuseRecording();
      }
    }
    const CUresult plain = api_.cuLaunchKernel(
        function, launch.grid[0], launch.grid[1], launch.grid[2],
        launch.block[0], launch.block[1], launch.block[2], launch.sharedBytes,
        stream_->get(), params, nullptr);
    if (askedProgrammatically && plain != kCudaSuccess)
      programmatic_ = true;
    return plain;
  }

  CUresult launchProgrammatically(const ResolvedLaunch &launch,
                                  CUfunction function, void **params) {
    LaunchAttribute programmatic;
    programmatic.id = kLaunchAttributeProgrammaticStreamSerialization;
    programmatic.value.programmaticStreamSerializationAllowed = 1;
    LaunchConfig config;
    config.gridDimX = launch.grid[0];
    config.gridDimY = launch.grid[1];
    config.gridDimZ = launch.grid[2];
    config.blockDimX = launch.block[0];
    config.blockDimY = launch.block[1];
    config.blockDimZ = launch.block[2];
    config.sharedMemBytes = launch.sharedBytes;
    config.hStream = stream_->get();
    config.attrs = &programmatic;
    config.numAttrs = 1;
    return api_.cuLaunchKernelEx(&config, function, params, nullptr);
  }

  /// Whether this session launches its kernels with programmatic stream
  /// serialization (programmatic dependent launch): the loaded code starts
  /// every kernel with griddepcontrol.wait (the launch table's
  /// grid_dependency_control names its chip: sm_90 and newer), the driver
  /// has cuLaunchKernelEx and records such launches in stream capture
  /// (CUDA 12.3), and NHC_CUDA_PDL is not 0.
  bool launchesProgrammatically() const {
    if (device_.sm() < ::nhc::format::launch_table::kGridDependencyControlMinSm ||
        !table_.waitsOnPriorGrids(image_.chip) || !api_.cuLaunchKernelEx ||
        !enabledByEnvironment("NHC_CUDA_PDL"))
      return false;
    int version = 0;
    return api_.cuDriverGetVersion(&version) == kCudaSuccess &&
           version >= kProgrammaticCaptureDriverVersion;
  }

  /// Lets `entry` (a kernel of `name` whose launches take dynamic shared
  /// memory) use all the shared memory the device allows a block beside
  /// its static bytes: CUDA grants 48 KiB in all unless the function opts
  /// in (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES), once, here, so a
  /// step (or its graph capture) only checks its launches' bytes.
  void allowDynamicShared(const std::string &entry, const std::string &name) {
    CUfunction function = functions_.at(entry);
    int staticBytes = 0;
    std::string what =
        cat(origin_, ": GPU kernel '", entry, "' of '", name, "'");
    checkCuda(api_,
              api_.cuFuncGetAttribute(&staticBytes,
                                      kFuncAttributeSharedSizeBytes, function),
              NHC_INTERNAL, cat(what, ": its static shared memory"));
    int dynamicBytes = std::max(device_.sharedOptin() - staticBytes, 0);
    dynamicSharedAllowed_[entry] = 0; // no room: checkDynamicShared says so
    if (dynamicBytes == 0)
      return;
    checkCuda(api_,
              api_.cuFuncSetAttribute(function,
                                      kFuncAttributeMaxDynamicSharedSizeBytes,
                                      dynamicBytes),
              NHC_INTERNAL,
              cat(what, ": allowing ", dynamicBytes,
                  " bytes of dynamic shared memory"));
    dynamicSharedAllowed_[entry] = static_cast<uint32_t>(dynamicBytes);
  }

  /// Loads the launch table, the module for this device and every kernel
  /// a plan or a library operation launches.
  void loadCode(const BackendContext &context) {
    nhc_section_t section{};
    NHC_CHECK(nhc_artifact_find_section(context.artifact,
                                        NHC_SECTION_LAUNCH_TABLE_JSON, "cuda",
                                        &section) == NHC_OK,
              NHC_NOT_FOUND,
              cat(origin_, ": no LAUNCH_TABLE_JSON section (kind 6) 'cuda': "
                           "compile with --target=cuda:sm_XX"));
    std::string where = cat(origin_, ": section 'cuda' (launch table)");
    table_ = LaunchTable::parse(static_cast<const char *>(section.data),
                                section.size, where);
    image_ = selectGpuImage(*context.artifact, device_.sm(), origin_);
    programmatic_ = launchesProgrammatically();
    module_ = std::make_unique<Module>(
        api_, image_,
        cat(origin_, ": loading the ", image_.cubin ? "cubin" : "PTX", " '",
            image_.chip, "' on ", device_.name()));
    auto require = [&](const std::string &name,
                       bool optional = false) -> const FunctionDef * {
      const FunctionDef *fn = table_.find(name);
      if (!fn && optional)
        return nullptr;
      NHC_CHECK(fn != nullptr, NHC_NOT_FOUND,
                cat(where, ": no function for kernel '", name,
                    "' (an artifact from an older compiler? recompile it)"));
      for (const LaunchDef &launch : fn->launches) {
        auto entry = launch.entry.find(image_.chip);
        NHC_CHECK(entry != launch.entry.end(), NHC_NOT_FOUND,
                  cat(where, ": '", name, "' has no entry for ", image_.chip));
        if (!functions_.count(entry->second)) {
          CUfunction function = nullptr;
          checkCuda(api_,
                    api_.cuModuleGetFunction(&function, module_->get(),
                                             entry->second.c_str()),
                    NHC_NOT_FOUND,
                    cat(origin_, ": GPU kernel '", entry->second, "' of '",
                        name, "' in ", image_.chip));
          functions_[entry->second] = function;
        }
        if (launch.takesDynamicShared() &&
            !dynamicSharedAllowed_.count(entry->second))
          allowDynamicShared(entry->second, name);
      }
      return fn;
    };
    for (const KernelSpec &kernel : plan_.kernels)
      planFunctions_.push_back(require(kernel.name));
    gemmEpilogue_ = require(lib::kGemmEpilogue);
    roundBf16_ = require(lib::kRoundBf16);
    // Older artifacts lack its GPU form, or have it without the activation
    // argument: their decode gemms go to cuBLASLt.
    gemvBf16_ = require(lib::kGemvBf16, /*optional=*/true);
    if (gemvBf16_ && gemvBf16_->params.size() != kGemvArgs)
      gemvBf16_ = nullptr;
    // Older artifacts lack it: their e4m3 weights are widened (noted).
    packE4m3_ = require(lib::kPackE4m3, /*optional=*/true);
    // Older artifacts lack them: synthetic weights are then uploaded.
    fillNormalF32_ = require(lib::kFillNormalF32, /*optional=*/true);
    fillNormalBf16_ = require(lib::kFillNormalBf16, /*optional=*/true);
    // Older artifacts lack it: gemm activations keep their epilogue pass.
    roundBf16Act_ = require(lib::kRoundBf16Act, /*optional=*/true);
    // Older artifacts lack it, or have its form without scratch (a block
    // per row, 4 arguments): greedy ids are then picked on the host.
    argmaxRows_ = require(lib::kArgmaxRows, /*optional=*/true);
    if (argmaxRows_ && argmaxRows_->params.size() != lib::kArgmaxRowsArgs)
      argmaxRows_ = nullptr;
    // Older artifacts lack it: sampled ids are then picked on the host.
    sampleRows_ = require(lib::kSampleRows, /*optional=*/true);
    if (sampleRows_ && sampleRows_->params.size() != lib::kSampleRowsArgs)
      sampleRows_ = nullptr;
    // Older artifacts lack it: logprobs are then computed on the host.
    logprobRows_ = require(lib::kLogprobRows, /*optional=*/true);
    if (logprobRows_ && logprobRows_->params.size() != lib::kLogprobRowsArgs)
      logprobRows_ = nullptr;
    // Older artifacts lack it: edited rows are then picked on the host.
    editLogits_ = require(lib::kEditLogits, /*optional=*/true);
    if (editLogits_ && editLogits_->params.size() != lib::kEditLogitsArgs)
      editLogits_ = nullptr;
    // Older artifacts lack them: bf16 gemms after a norm keep their
    // rounding pass.
    rmsNormBf16_ = require(lib::kRmsNormBf16, /*optional=*/true);
    addRmsNormBf16_ = require(lib::kAddRmsNormBf16, /*optional=*/true);
    gatedRmsNormBf16_ = require(lib::kGatedRmsNormBf16, /*optional=*/true);
    // Older artifacts lack it: decode steps launch the conv and the scan.
    ssdConvScan_ = require(lib::kSsdConvScan, /*optional=*/true);
    ssdConvScanBf16State_ =
        require(lib::kSsdConvScanBf16State, /*optional=*/true);
    embeddingF32_ = require(lib::kEmbeddingF32);
    embeddingBf16_ = require(lib::kEmbeddingBf16);
    if (moeTopK_) {
      gatherRows_ = require(lib::kGatherRows);
      scatterAddRows_ = require(lib::kScatterAddRows);
      // Older artifacts lack them: every step's experts wait for the host.
      moeBucket_ = require(lib::kMoeBucket, /*optional=*/true);
      moeMatmulBf16_ = require(lib::kMoeExpertMatmulBf16, /*optional=*/true);
      // Older artifacts lack it: prefills past kDeviceMoeMaxTokens wait
      // for the host.
      moeMatmulBf16Tiled_ =
          require(lib::kMoeExpertMatmulBf16Tiled, /*optional=*/true);
      moeMatmulF32_ = require(lib::kMoeExpertMatmulF32, /*optional=*/true);
      moeCombine_ = require(lib::kMoeCombine, /*optional=*/true);
      // Older artifacts lack it: FP8 experts' steps wait for the host.
      moeFp8Rows_ = require(lib::kMoeFp8Rows, /*optional=*/true);
      // Older artifacts lack it: FP8 experts are widened (noted).
      moeMatmulE4m3_ = require(lib::kMoeExpertMatmulE4m3, /*optional=*/true);
      moeMatmulE4m3Tiled_ =
          require(lib::kMoeExpertMatmulE4m3Tiled, /*optional=*/true);
    }
  }

  /// The dtype each weight has on the device. Gemm weights and embedding
  /// tables stay as stored where the device multiplies that dtype (F32;
  /// BF16 from sm_80 on; FP8 e4m3 from sm_89 on, for gemms cuBLASLt's e4m3
  /// product takes and FP8 routed experts it and the artifact's e4m3 expert
  /// kernel take: see e4m3Refusal, expertE4m3Refusal) and are otherwise
  /// widened exactly at upload: F16 to f32, e4m3 to bf16 (every e4m3 value
  /// is a bf16 value; with alpha = input_scale x weight_scale the product
  /// is the fake-quantized one exactly), BF16 and e4m3 to f32 below sm_80.
  /// Other tensors are the f32 copies generated kernels read. Widened e4m3
  /// weights are noted (notes()). Throws NHC_UNSUPPORTED for an FP8
  /// embedding table.
  std::vector<nhc_dtype_t>
  deviceDtypes(const std::vector<nhc_tensor_info_t> &tensors) {
    const int sm = device_.sm();
    const nhc_dtype_t wide = sm >= 80 ? NHC_DTYPE_BF16 : NHC_DTYPE_F32;
    std::vector<nhc_dtype_t> dtypes(tensors.size(), NHC_DTYPE_F32);
    // e4m3 stays e4m3 unless a use refuses it (the first reason kept).
    std::vector<std::string> refusal(tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (host_.data(i))
        continue;
      nhc_dtype_t stored = host_.matrix(i).dtype;
      dtypes[i] = stored == NHC_DTYPE_F8_E4M3 ? stored
                  : stored == NHC_DTYPE_BF16   ? wide
                                               : NHC_DTYPE_F32;
    }
    auto refuse = [&](size_t w, const std::string &why) {
      if (dtypes[w] == NHC_DTYPE_F8_E4M3 && refusal[w].empty())
        refusal[w] = why;
    };
    for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
      for (const ScheduleEntry &entry : *entries) {
        if (entry.kind == EntryKind::Embedding) {
          size_t table = entry.embedding.table;
          NHC_CHECK(host_.matrix(table).dtype != NHC_DTYPE_F8_E4M3,
                    NHC_UNSUPPORTED,
                    cat(entry.where, ": embedding table '",
                        tensors[table].desc.name,
                        "' is F8_E4M3; FP8 embeddings are not supported"));
        } else if (entry.kind == EntryKind::MoeExperts) {
          const std::string why =
              entry.moe.fp8() ? expertE4m3Refusal(entry.moe, sm)
                              : "routed experts without activation scales";
          if (!why.empty())
            for (const auto *experts : {&entry.moe.up, &entry.moe.down})
              for (size_t w : *experts)
                refuse(w, why);
        } else if (entry.kind == EntryKind::Gemm &&
                   dtypes[entry.gemm.weight] == NHC_DTYPE_F8_E4M3) {
          std::string why = e4m3Refusal(entry.gemm, sm); // asks cuBLASLt
          if (!why.empty())
            refuse(entry.gemm.weight, why);
        }
      }
    uint64_t widened = 0, widenedBytes = 0;
    // Each reason once, with its first weight and how many more it widened.
    struct Reason {
      std::string why, example;
      uint64_t more = 0;
    };
    std::vector<Reason> reasons;
    for (size_t i = 0; i < tensors.size(); ++i)
      if (dtypes[i] == NHC_DTYPE_F8_E4M3 && !refusal[i].empty()) {
        dtypes[i] = wide;
        widenedBytes += host_.elems(i) * (nhc_dtype_size(wide) - 1);
        ++widened;
        auto same = std::find_if(reasons.begin(), reasons.end(),
                                 [&](const Reason &r) { return r.why == refusal[i]; });
        if (same == reasons.end())
          reasons.push_back({refusal[i], tensors[i].desc.name});
        else
          ++same->more;
      }
    if (widened) {
      constexpr size_t kListed = 4; // a note stays one readable line
      std::string listed;
      for (size_t r = 0; r < reasons.size() && r < kListed; ++r)
        listed += cat(r ? "; '" : "'", reasons[r].example, "'",
                      reasons[r].more ? cat(" and ", reasons[r].more, " more")
                                      : std::string(),
                      ": ", reasons[r].why);
      if (reasons.size() > kListed)
        listed += cat("; ", reasons.size() - kListed, " other reasons");
      notes_.push_back(cat("cuda backend: ", widened, " FP8 (e4m3) weight",
                           widened == 1 ? "" : "s", " widened to ",
                           wide == NHC_DTYPE_BF16 ? "bf16" : "f32",
                           " at upload (", widenedBytes >> 20,
                           " MiB more device memory; ", listed, ")"));
    }
    // What the gemms multiply in: the activations' packed copy, and whether
    // BF16 checkpoint weights change the arithmetic (e4m3 products are
    // exact in bf16 with f32 sums, and in e4m3).
    auto narrow = [&](size_t w, uint64_t k) {
      if (dtypes[w] == NHC_DTYPE_F32)
        return;
      narrowRowBytes_ = std::max(narrowRowBytes_, k * nhc_dtype_size(dtypes[w]));
      if (host_.matrix(w).dtype == NHC_DTYPE_BF16)
        bf16Arithmetic_ = true;
    };
    for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
      for (const ScheduleEntry &entry : *entries) {
        if (entry.kind == EntryKind::MoeExperts)
          for (const auto *experts : {&entry.moe.up, &entry.moe.down})
            for (size_t w : *experts)
              narrow(w, std::max(entry.moe.hidden, entry.moe.intermediate));
        else if (entry.kind == EntryKind::Gemm)
          narrow(entry.gemm.weight, entry.gemm.k);
      }
    return dtypes;
  }

  /// Why cuBLASLt's e4m3 x e4m3 product cannot run `call` on sm_`sm`, or ""
  /// when it can: sm_89 or newer, the artifact's nhc_pack_e4m3, the FP8
  /// scales (alpha), no bias (it would have to be bf16 for an f32 output),
  /// k a multiple of 16 (the operands' 16-byte leading dimensions), n too
  /// and output rows 16-byte aligned (FP8 kernels take 16-byte aligned
  /// operands), and an algorithm in the loaded cuBLASLt.
  std::string e4m3Refusal(const GemmCall &call, int sm) {
    if (!e4m3Products_)
      return kE4m3Off;
    if (sm < kE4m3MinSm)
      return cat("cuBLASLt multiplies e4m3 from sm_", kE4m3MinSm,
                 " on; this device is sm_", sm);
    if (!packE4m3_)
      return cat("the artifact has no '", lib::kPackE4m3,
                 "' kernel (an older compiler's; recompile it)");
    if (!call.scaled)
      return "a gemm without FP8 scales";
    if (call.hasBias)
      return "a gemm with a bias";
    if (call.k % 16 || call.n % 16)
      return cat("a gemm of ", call.n, " x ", call.k,
                 ", not multiples of 16");
    if (call.c.offset % 4 || call.c.ld % 4) // f32: 16 bytes
      return "a gemm whose output rows are not 16-byte aligned";
    if (!gemm_->supports(gemmShape(call, 1, NHC_DTYPE_F8_E4M3)))
      return cat("this cuBLASLt (", gemm_->describe(),
                 ") has no e4m3 gemm of ", call.n, " x ", call.k);
    return "";
  }

  /// Why FP8 routed experts cannot stay e4m3 on sm_`sm`, or "" when they
  /// can: steps that wait for the host multiply each expert with cuBLASLt's
  /// e4m3 product (e4m3Refusal's conditions for both projections, [I, H]
  /// and [H, I]), and the device path with the artifact's
  /// nhc_moe_expert_matmul_e4m3.
  std::string expertE4m3Refusal(const MoeCall &moe, int sm) {
    if (!e4m3Products_)
      return kE4m3Off;
    if (sm < kE4m3MinSm)
      return cat("cuBLASLt multiplies e4m3 from sm_", kE4m3MinSm,
                 " on; this device is sm_", sm);
    if (!packE4m3_ || !moeMatmulE4m3_)
      return cat("the artifact has no '",
                 packE4m3_ ? lib::kMoeExpertMatmulE4m3 : lib::kPackE4m3,
                 "' kernel (an older compiler's; recompile it)");
    const uint64_t H = moe.hidden, I = moe.intermediate;
    if (H % 16 || I % 16)
      return cat("experts of ", I, " x ", H, ", not multiples of 16");
    for (const auto &[n, k] : {std::pair{I, H}, std::pair{H, I}}) {
      GemmShape s;
      s.type = kCudaR8FE4M3;
      s.m = 1;
      s.n = n;
      s.k = k;
      s.lda = k;
      s.ldc = n;
      if (!gemm_->supports(s))
        return cat("this cuBLASLt (", gemm_->describe(),
                   ") has no e4m3 gemm of ", n, " x ", k);
    }
    return "";
  }

  /// Values [first, first + count) of `stored` widened exactly to `dtype`
  /// (F32 or BF16) into `out`.
  static void widenMatrix(const WeightMatrix &stored, uint64_t first,
                          uint64_t count, nhc_dtype_t dtype, uint8_t *out) {
    // e4m3 through a table of its 256 values (each a bf16 value exactly).
    static const std::array<float, 256> kE4m3 = [] {
      std::array<float, 256> table{};
      for (int bits = 0; bits < 256; ++bits)
        table[bits] = e4m3ToF32(static_cast<uint8_t>(bits));
      return table;
    }();
    const uint8_t *in = static_cast<const uint8_t *>(stored.data);
    const size_t size = nhc_dtype_size(stored.dtype);
    for (uint64_t i = 0; i < count; ++i) {
      const uint8_t *at = in + (first + i) * size;
      float value;
      if (stored.dtype == NHC_DTYPE_F8_E4M3) {
        value = kE4m3[*at];
      } else {
        uint16_t bits;
        std::memcpy(&bits, at, sizeof(bits));
        value = stored.dtype == NHC_DTYPE_BF16 ? bf16ToF32(bits) : f16ToF32(bits);
      }
      if (dtype == NHC_DTYPE_F32) {
        std::memcpy(out + 4 * i, &value, 4);
      } else { // BF16: exact for e4m3 and bf16 values
        uint32_t bits;
        std::memcpy(&bits, &value, 4);
        uint16_t high = static_cast<uint16_t>(bits >> 16);
        std::memcpy(out + 2 * i, &high, 2);
      }
    }
  }

  std::string origin_;
  const ExecutionPlan &plan_;
  uint64_t vocab_, maxSlots_, maxSeqLen_;
  DeviceContext device_;
  const DriverApi &api_;
  std::unique_ptr<Stream> stream_;
  GpuImage image_;
  std::unique_ptr<Module> module_;
  LaunchTable table_;
  std::unordered_map<std::string, CUfunction> functions_; // by entry
  /// Dynamic shared bytes a launch may take, by entry (allowDynamicShared).
  std::unordered_map<std::string, uint32_t> dynamicSharedAllowed_;
  std::vector<const FunctionDef *> planFunctions_; // by plan kernel
  const FunctionDef *gemvBf16_ = nullptr; // null: an artifact without it
  const FunctionDef *gemmEpilogue_ = nullptr, *roundBf16_ = nullptr,
                    *packE4m3_ = nullptr, *fillNormalF32_ = nullptr,
                    *fillNormalBf16_ = nullptr, *embeddingF32_ = nullptr,
                    *embeddingBf16_ = nullptr, *gatherRows_ = nullptr,
                    *scatterAddRows_ = nullptr, *moeBucket_ = nullptr,
                    *roundBf16Act_ = nullptr, *moeMatmulBf16_ = nullptr,
                    *moeMatmulBf16Tiled_ = nullptr,
                    *moeMatmulE4m3Tiled_ = nullptr,
                    *moeMatmulF32_ = nullptr, *moeMatmulE4m3_ = nullptr,
                    *moeCombine_ = nullptr, *moeFp8Rows_ = nullptr,
                    *argmaxRows_ = nullptr, *sampleRows_ = nullptr,
                    *logprobRows_ = nullptr, *editLogits_ = nullptr,
                    *rmsNormBf16_ = nullptr,
                    *addRmsNormBf16_ = nullptr, *gatedRmsNormBf16_ = nullptr,
                    *ssdConvScan_ = nullptr, *ssdConvScanBf16State_ = nullptr;
  std::unique_ptr<BlasLtGemm> gemm_;
  std::vector<float> calibrationRows_; // foldRowsAbsMax's host copy
  F32Weights host_; // scalars for launches; the checkpoint's matrices
  std::vector<DeviceBuffer> weights_; // by manifest weight (empty: stacked)
  std::vector<uint64_t> weightAddress_; // by manifest weight
  // Weights side by side: per-expert tensors, sibling gemms' weights.
  std::vector<DeviceBuffer> expertStacks_;
  // Gemms of one schedule that read the same rows and write adjacent
  // columns (planSiblingGemms), and those run as one product: the first
  // one's columns then, the others skipped (fuseSiblingGemms).
  struct SiblingGroup {
    std::vector<const GemmCall *> members;
    uint64_t columns = 0;
  };
  std::vector<SiblingGroup> siblingGroups_;
  std::unordered_map<const GemmCall *, uint64_t> fusedColumns_;
  std::set<const GemmCall *> fusedAway_;
  bool issuedNothing_ = false; // the last gemm() was a fused-away sibling
  // The moe_experts calls (plan_'s) the device path runs, found at binding.
  std::unordered_map<const MoeCall *, DeviceExperts> deviceExperts_;
  // Every FP8 call's scales, packed on the host at binding; those the
  // device path runs also on the device (nhc_moe_fp8_rows).
  PackedExpertScales expertScales_;
  std::unordered_map<const MoeCall *, DeviceBuffer> deviceExpertScales_;
  // Gemm activations run in the next gemm's bf16 rounding (plan_'s calls):
  // the consumer's activation, the producers that skip their epilogue.
  std::unordered_map<const GemmCall *, Activation> deferredActivation_;
  std::set<const GemmCall *> epilogueDeferred_;
  // Plan norms that also round their output for the next gemm
  // (findRoundingNorms), and the gemms whose input they round.
  struct RoundingNorm {
    const GemmCall *gemm = nullptr;
    const FunctionDef *kernel = nullptr;
    const char *name = nullptr;
  };
  std::unordered_map<const KernelCall *, RoundingNorm> roundingNorm_;
  std::set<const GemmCall *> roundedByNorm_;
  // Decode steps' conv1d and SSD scan pairs run as one nhc_ssd_conv_scan
  // (findConvScans): the scan call's conv call, the conv calls so paired,
  // the most groups of a pair (its arrival counts: groups per request).
  std::unordered_map<const KernelCall *, ConvScan> convOfScan_;
  std::set<const KernelCall *> convInConvScan_;
  uint64_t convScanGroups_ = 0;
  DeviceBuffer groupArrivals_{api_}; // [R][groups] int32, zero between steps
  std::vector<nhc_dtype_t> weightDtype_;
  uint64_t generatedWeights_ = 0, generatedBytes_ = 0; // synthetic, on the device
  std::vector<DeviceBuffer> buffers_; // by plan buffer
  // By manifest state: slot 0's address, all slots' elements (its dtype).
  std::vector<uint64_t> stateAddress_, stateElems_;
  DeviceBuffer logits_, requestTable_, tokenIds_;
  DeviceBuffer narrowRows_; // a bf16 or e4m3 gemm's activations, packed
  DeviceBuffer greedyIds_{api_}; // pickTokens' ids, [logits rows] int32
  /// nhc_argmax_rows' candidates, [logits rows][argmaxSlices(vocab)][2] f32
  DeviceBuffer argmaxPartials_{api_};
  /// pickTokens' sampling rules, [logits rows][kSampleParams] f64
  /// (staged in rulesHost_).
  DeviceBuffer sampleRules_{api_};
  /// pickTokens' logprobs, [logits rows][1 + NHC_MAX_TOP_LOGPROBS]
  /// nhc_token_logprob_t (nhc_logprob_rows' entries).
  DeviceBuffer logprobEntries_{api_};
  DeviceBuffer logprobIds_{api_}; ///< their ids, [logits rows] int32
  /// pickTokens' copy of the pick rows (gathered for an NHC_LOGITS_ALL
  /// step, edited) and the edits (grown by preparePicks before the step;
  /// graphs never name them).
  DeviceBuffer editedLogits_{api_}, logitEdits_{api_};
  std::vector<double> rulesHost_; // sampleRules_' host staging
  // Routed experts (moeTopK_ > 0): the widest call's sizes, its rows on the
  // device, the routes on the host.
  uint64_t moeHidden_ = 0, moeIntermediate_ = 0, moeTopK_ = 0, moeExperts_ = 0;
  DeviceBuffer moeX_{api_}, moeH_{api_}, moeY_{api_}, moeRoutes_{api_};
  std::vector<int32_t> hostIndices_, hostRoutes_;
  std::vector<float> hostRouteWeights_;
  std::vector<uint64_t> hostCounts_, hostNext_;
  uint64_t narrowRowBytes_ = 0; // widest bf16/e4m3 gemm activation row
  std::vector<std::string> notes_; // how this device changes the weights
  bool bf16Arithmetic_ = false; // a BF16 checkpoint weight is multiplied in bf16
  std::vector<int64_t> hostTable_;
  std::vector<int32_t> hostIds_;
  float *hostLogits_ = nullptr;
  uint64_t logitsRows_ = 0;
  // Recorded decode steps by bucket (NHC_CUDA_GRAPHS=0: none).
  bool graphsEnabled_ = enabledByEnvironment("NHC_CUDA_GRAPHS");
  /// NHC_CUDA_MOE_ON_DEVICE: steps' routed experts on the device up to it
  /// (unset: deviceMoeMaxTokens decides).
  std::optional<uint64_t> moeMaxTokens_;
  uint64_t gemvMaxRows_ = 0;  // decode gemms as nhc_gemv_bf16 up to it
  uint64_t tuneMaxRows_ = 0;  // decode gemms' cuBLASLt algorithms timed up to it
  bool e4m3Products_ = true;  // NHC_CUDA_E4M3=0: FP8 weights widened to bf16
  uint64_t stagingBytes_ = kStagingBytes; // NHC_CUDA_STAGING_BYTES
  bool programmatic_ = false; // launchesProgrammatically(), until refused
  bool recordAgain_ = false;  // a recording ended by a refused one
  bool timedStep_ = false;    // beginEntryTiming ran for this step
  static constexpr const char *kE4m3Off =
      "NHC_CUDA_E4M3=0 (products of e4m3 values in bf16)"; // the refusal
  // Entry timing (beginEntryTiming): the events, and per entry of the step
  // the event before it (kUntimed: none; kNotIssued: the entry never ran).
  static constexpr size_t kUntimed = ~size_t{0};
  static constexpr size_t kNotIssued = ~size_t{0} - 1;
  std::vector<CUevent> entryEvents_;
  std::vector<size_t> entryFrom_;
  size_t lastEvent_ = kUntimed;
  std::map<uint64_t, Recorded> recorded_;
  std::set<uint64_t> unrecordable_;
  std::set<uint64_t> seen_; // buckets whose first step ran
  uint64_t generation_ = 0; // bumped whenever a step's buffer moves
  bool recording_ = false, recordingFailed_ = false;
  std::vector<CallArg> args_;            // of the launch being made
  std::vector<const float *> hostViews_; // per args_: host copy or null
};

} // namespace

std::unique_ptr<Backend> createCudaBackend(const BackendContext &context) {
  return std::make_unique<CudaBackend>(context);
}

} // namespace nhc::runtime::cuda
