//===- KernelCodegen.cpp - kernel library to machine code -------*- C++ -*-===//

#include "nhc/Compiler/KernelCodegen.h"

#include "mlir/IR/Diagnostics.h"
#include "nhc/Kernels/KernelLibrary.h"
#include "nhc/Target/CPU/HostLibrary.h"
#include "nhc/Target/CUDA/CudaLibrary.h"
#include "nhc/format/host_isa.h"
#include "nhc/runtime/artifact.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <iterator>
#include <thread>

namespace mlir::nhc {

namespace {
/// Reports a code generation error on the library module.
LogicalResult report(ModuleOp library, const std::string &error) {
  return emitError(library.getLoc()) << "nhc: kernel code generation failed: "
                                     << error;
}

/// The library as text: what its code is compiled from (a cache key part).
std::string printedLibrary(ModuleOp library) {
  std::string text;
  llvm::raw_string_ostream os(text);
  library->print(os, OpPrintingFlags().enableDebugInfo(false));
  return text;
}

/// A cache that cannot be written slows the next compile down but does not
/// fail this one; said once per compile (whichever store failed first).
void warnIfNotStored(ModuleOp library, const CompileCache &cache,
                     const std::string &storeError) {
  if (!storeError.empty() && cache.claimStoreFailureReport())
    emitWarning(library.getLoc())
        << "nhc: compile cache not written (" << storeError
        << "); NHC_CACHE_DISABLE=1 turns it off";
}

/// The compile cache's key for the host library for `cpu`: the target
/// options ("native" resolved to this machine's CPU and features), the
/// linker driver, and the library.
std::string hostKey(const HostTargetOptions &options, StringRef cpu,
                    StringRef libraryText) {
  std::string cpuName = cpu.str(), features = options.features;
  if (cpu == "native") {
    cpuName = llvm::sys::getHostCPUName().str();
    std::vector<std::string> flags;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      flags.push_back((feature.getValue() ? "+" : "-") +
                      feature.getKey().str());
    llvm::sort(flags);
    features += "," + llvm::join(flags, ",");
  }
  std::optional<std::string> linker = findHostLinker(options);
  std::optional<std::string> linkerId =
      linker ? CompileCache::fileIdentity(*linker) : std::nullopt;
  return CompileCache::key({"host-shared-library", options.triple, cpuName,
                            features, std::to_string(options.optLevel),
                            linkerId ? *linkerId : "no linker", libraryText});
}

/// The compile cache's key for compileCudaKernels: the options, and the
/// ptxas that assembles the cubins.
std::string cudaKey(ModuleOp library, const CudaTargetOptions &options) {
  CudaToolchain tools = findCudaToolchain(options);
  std::vector<std::string> parts = {"cuda",
                                    options.features,
                                    std::to_string(options.optLevel),
                                    std::to_string(options.blockSize),
                                    tools.cudaPath,
                                    options.assemble ? "assemble" : "ptx",
                                    options.gridDependencyControl
                                        ? "griddepcontrol"
                                        : "no griddepcontrol"};
  parts.insert(parts.end(), options.chips.begin(), options.chips.end());
  // The files the code depends on: ptxas (the cubins) and libdevice.
  for (const std::optional<std::string> &file :
       {tools.ptxas, tools.libdevice}) {
    std::optional<std::string> id =
        file ? CompileCache::fileIdentity(*file) : std::nullopt;
    parts.push_back(id ? *id : "none");
  }
  parts.push_back(printedLibrary(library));
  return CompileCache::key(std::vector<StringRef>(parts.begin(), parts.end()));
}

/// CudaCode as a cache entry's sections, and back (cudaCodeFrom).
std::vector<CachedSection> cachedSections(const CudaCode &code) {
  std::vector<CachedSection> sections;
  for (const auto &[chip, ptx] : code.ptx)
    sections.push_back({NHC_SECTION_PTX, chip, ptx});
  for (const auto &[chip, cubin] : code.cubin)
    sections.push_back({NHC_SECTION_CUBIN, chip, cubin});
  sections.push_back({NHC_SECTION_LAUNCH_TABLE_JSON, "cuda", code.launchTable});
  return sections;
}

/// A cache entry back into CudaCode; nothing unless it has the launch
/// table and the PTX of every chip.
std::optional<CudaCode> cudaCodeFrom(std::vector<CachedSection> sections,
                                     const std::vector<std::string> &chips) {
  CudaCode code;
  bool haveTable = false;
  for (CachedSection &section : sections) {
    if (section.kind == NHC_SECTION_PTX)
      code.ptx.emplace_back(section.name, std::move(section.bytes));
    else if (section.kind == NHC_SECTION_CUBIN)
      code.cubin.emplace_back(section.name, std::move(section.bytes));
    else if (section.kind == NHC_SECTION_LAUNCH_TABLE_JSON && !haveTable) {
      code.launchTable = std::move(section.bytes);
      haveTable = true;
    } else
      return std::nullopt;
  }
  if (!haveTable || code.ptx.size() != chips.size())
    return std::nullopt;
  for (size_t i = 0; i < chips.size(); ++i)
    if (code.ptx[i].first != chips[i])
      return std::nullopt;
  return code;
}
} // namespace

OwningOpRef<ModuleOp> parseKernels(MLIRContext &context) {
  return parseKernelLibrary(context);
}

FailureOr<std::vector<std::pair<std::string, std::string>>>
compileHostKernels(ModuleOp library, ArrayRef<std::string> cpus,
                   const CompileCache &cache) {
  HostTargetOptions options;
  std::string text = cache.enabled() ? printedLibrary(library) : "";
  std::vector<std::string> keys;
  std::vector<std::pair<std::string, std::string>> objects;
  // Whether an entry is cpus[i]'s host library; if so it is taken.
  auto take = [&](size_t i, std::optional<std::vector<CachedSection>> hit) {
    if (!hit || hit->size() != 1 ||
        hit->front().kind != NHC_SECTION_HOST_SHARED_LIBRARY ||
        hit->front().name != cpus[i] || hit->front().bytes.empty())
      return false;
    objects[i].second = std::move(hit->front().bytes);
    return true;
  };
  for (const std::string &cpu : cpus) {
    keys.push_back(cache.enabled() ? hostKey(options, cpu, text) : "");
    objects.emplace_back(cpu, "");
  }
  CompileCache::Fill fill = cache.takeOrLockForFill(keys, take);
  const std::vector<size_t> &missing = fill.missing; // indices into cpus
  if (missing.empty())
    return objects;

  std::vector<std::string> missingCpus;
  for (size_t i : missing)
    missingCpus.push_back(cpus[i]);
  std::string error;
  FailureOr<std::vector<HostLibrary>> hosts =
      compileHostLibraries(library, options, missingCpus, error);
  if (failed(hosts)) {
    (void)report(library, error);
    return failure();
  }
  for (size_t j = 0; j < missing.size(); ++j) {
    size_t i = missing[j];
    objects[i].second = std::move((*hosts)[j].sharedObject);
    warnIfNotStored(library, cache,
                    cache.store(keys[i], {{NHC_SECTION_HOST_SHARED_LIBRARY,
                                           cpus[i], objects[i].second}}));
  }
  return objects;
}

FailureOr<std::vector<std::pair<std::string, std::string>>>
compileHostKernels(ModuleOp library, const CompileCache &cache) {
  std::vector<std::string> levels(std::begin(::nhc::format::kHostIsaLevels),
                                  std::end(::nhc::format::kHostIsaLevels));
  return compileHostKernels(library, levels, cache);
}

FailureOr<std::string> emitHostLLVMIR(ModuleOp library) {
  std::string error;
  FailureOr<HostLibrary> host = compileHostLibrary(library, error);
  if (failed(host)) {
    (void)report(library, error);
    return failure();
  }
  return std::move(host->llvmIR);
}

namespace {
/// compileCudaKernels without diagnostics: a failure's message in `error`,
/// a failed store's in `storeError` (for the thread of compileKernelCode,
/// whose context is not the caller's).
FailureOr<CudaCode> compileCudaCode(ModuleOp library,
                                    const std::vector<std::string> &chips,
                                    const CompileCache &cache,
                                    std::string &error,
                                    std::string &storeError) {
  CudaTargetOptions options;
  options.chips = chips;
  std::string key = cache.enabled() ? cudaKey(library, options) : "";
  std::optional<CudaCode> cached;
  CompileCache::Fill fill = cache.takeOrLockForFill(
      {key}, [&](size_t, std::optional<std::vector<CachedSection>> hit) {
        if (hit)
          cached = cudaCodeFrom(std::move(*hit), chips);
        return cached.has_value();
      });
  if (cached)
    return std::move(*cached);

  FailureOr<CudaLibrary> cuda = compileCudaLibrary(library, options, error);
  if (failed(cuda))
    return failure();
  CudaCode code;
  code.launchTable = std::move(cuda->launchTable);
  for (CudaImage &image : cuda->images) {
    code.ptx.emplace_back(image.chip, std::move(image.ptx));
    if (!image.cubin.empty())
      code.cubin.emplace_back(image.chip, std::move(image.cubin));
  }
  if (!key.empty())
    storeError = cache.store(key, cachedSections(code));
  return code;
}
} // namespace

FailureOr<CudaCode> compileCudaKernels(ModuleOp library,
                                       const std::vector<std::string> &chips,
                                       const CompileCache &cache) {
  std::string error, storeError;
  FailureOr<CudaCode> code =
      compileCudaCode(library, chips, cache, error, storeError);
  if (failed(code)) {
    (void)report(library, error);
    return failure();
  }
  warnIfNotStored(library, cache, storeError);
  return code;
}

FailureOr<KernelCode> compileKernelCode(ModuleOp library,
                                        const std::vector<std::string> &chips,
                                        const CompileCache &cache) {
  KernelCode out;
  MLIRContext *context = library.getContext();
  if (chips.empty() || !context->isMultithreadingEnabled()) {
    auto host = compileHostKernels(library, cache);
    if (failed(host))
      return failure();
    out.host = std::move(*host);
    if (!chips.empty()) {
      FailureOr<CudaCode> cuda = compileCudaKernels(library, chips, cache);
      if (failed(cuda))
        return failure();
      out.cuda = std::move(*cuda);
    }
    return out;
  }

  // The CUDA code in a context of its own: MLIR contexts do not take pass
  // pipelines from two threads that may load dialects. Its diagnostics are
  // collected there and said here, on this library's location. Written
  // before the thread starts: LLVM's target registry (both threads read
  // it) and the copy of the dialect registry (the host passes may append to
  // the context's). Code under lib/ has no exceptions: a thread that cannot
  // start ends the process, as running out of memory does.
  registerHostTarget();
  registerNVPTXTarget();
  DialectRegistry registry;
  context->getDialectRegistry().appendTo(registry);
  std::string cudaError, cudaStoreError;
  std::optional<CudaCode> cudaCode;
  std::thread cudaThread([&] {
    MLIRContext cudaContext(registry);
    ScopedDiagnosticHandler collect(&cudaContext, [&](Diagnostic &diag) {
      llvm::raw_string_ostream(cudaError) << diag << "\n";
      return success();
    });
    OwningOpRef<ModuleOp> copy = parseKernels(cudaContext);
    if (!copy)
      return;
    FailureOr<CudaCode> code =
        compileCudaCode(*copy, chips, cache, cudaError, cudaStoreError);
    if (succeeded(code))
      cudaCode = std::move(*code);
  });
  auto host = compileHostKernels(library, cache);
  cudaThread.join();
  if (failed(host))
    return failure();
  if (!cudaCode) {
    (void)report(library, cudaError);
    return failure();
  }
  warnIfNotStored(library, cache, cudaStoreError);
  out.host = std::move(*host);
  out.cuda = std::move(*cudaCode);
  return out;
}

} // namespace mlir::nhc
