//===- nhc/runtime/limits.h - Upper limits on untrusted sizes -*- C++ -*-===//
//
// Every size that nhc reads from a file it did not write (config.json, a
// manifest and its plan, a safetensors header) or from a caller (state pool
// and session arguments) is checked against one of these limits before
// anything proportional to it is allocated, so a small hostile file cannot
// cost gigabytes or hours. Each limit leaves a wide margin over the largest
// published Nemotron-H / Nemotron 3 model (118 layers, 512 experts,
// vocabulary 262144, hidden size 8192); raising one only needs a change here.
// Header-only and dependency-free: the runtime and the compiler's config
// reader share it.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_LIMITS_H
#define NHC_RUNTIME_LIMITS_H

#include <cstdint>

namespace nhc {

/// Decoder layers; published models have at most 118 (Nemotron-H-56B).
constexpr uint64_t kMaxLayers = 1024;
/// Routed experts per MoE layer; published models have at most 512.
constexpr uint64_t kMaxExperts = 4096;
/// Vocabulary size (4,194,304); published vocabularies are at most 262144.
constexpr uint64_t kMaxVocab = uint64_t{1} << 22;
/// Hidden size (65536); published models use at most 8192.
constexpr uint64_t kMaxHidden = uint64_t{1} << 16;
/// MLP / expert intermediate size (1,048,576); published: at most 32768.
constexpr uint64_t kMaxIntermediate = uint64_t{1} << 20;
/// Mamba heads or attention (KV) heads; published: at most 256 and 64.
constexpr uint64_t kMaxHeads = 4096;
/// Head dimension of Mamba or attention heads; published: at most 128.
constexpr uint64_t kMaxHeadDim = 4096;
/// Mamba SSM state size per head; published: at most 256.
constexpr uint64_t kMaxStateSize = 4096;
/// Mamba B/C groups; published: at most 8.
constexpr uint64_t kMaxGroups = 4096;
/// Mamba causal conv kernel width; published: 4.
constexpr uint64_t kMaxConvKernel = 64;
/// SSD scan chunk size (65536); published: 128 or 256.
constexpr uint64_t kMaxChunkSize = uint64_t{1} << 16;
/// Positions / max_seq_len (16,777,216); published contexts are at most
/// 2^20 tokens.
constexpr uint64_t kMaxSequenceLength = uint64_t{1} << 24;
/// Experts routed per token; published: at most 22.
constexpr uint64_t kMaxTopK = 64;
/// config.json / hf_quant_config.json bytes (16 MiB); real files are a few
/// KB.
constexpr uint64_t kMaxConfigFileBytes = uint64_t{16} << 20;
/// Manifest JSON bytes (256 MiB); one entry per weight tensor keeps real
/// manifests near 10 MB even with 512 per-expert tensors per layer.
constexpr uint64_t kMaxManifestBytes = uint64_t{256} << 20;
/// Safetensors header (and shard index) bytes (100 MiB); the reference
/// safetensors implementation refuses headers over 100 MB as well.
constexpr uint64_t kMaxSafetensorsHeaderBytes = uint64_t{100} << 20;
/// Weight tensors in a manifest or checkpoint (262,144); the largest
/// published checkpoints hold about 4 x 10^4 tensors (one per expert
/// matrix), and each costs about 1 KB of index, so a limit caps that cost.
constexpr uint64_t kMaxWeights = uint64_t{1} << 18;
/// Scratch buffers in an execution plan; real plans use a few dozen.
constexpr uint64_t kMaxBuffers = 4096;
/// Entries of a manifest's `config.read` or `config.defaults` (the config
/// keys the compiler read; about 60 today), and '|'-joined aliases of one.
constexpr uint64_t kMaxConfigValues = 4096;
/// Entries of a quantization config's `exclude_modules` and `ignore` lists
/// together (65,536): each is a glob matched against every module, and
/// published lists name at most a few thousand.
constexpr uint64_t kMaxExcludedModules = uint64_t{1} << 16;
constexpr uint64_t kMaxConfigAliases = 16;
/// Elements per token (or request) of one scratch buffer (16,777,216);
/// the widest real one is a vocabulary row (at most 262144).
constexpr uint64_t kMaxBufferElems = uint64_t{1} << 24;
/// Entries in one schedule (1,048,576); real plans have tens per layer.
constexpr uint64_t kMaxScheduleEntries = uint64_t{1} << 20;
/// State slots (concurrent sequences) of one pool or session; far beyond
/// what host memory holds for any real model.
constexpr uint64_t kMaxSlots = 65536;
/// Named state tensors in a manifest's `state` list (16,384); real models
/// have two per Mamba or attention layer (at most 236).
constexpr uint64_t kMaxStateTensors = uint64_t{1} << 14;
/// Bytes of a state tensor's name; real names are like
/// "layers.51.ssm_state".
constexpr uint64_t kMaxStateNameBytes = 256;
/// Elements of one request's state tensor, or of one token row of a
/// sequence tensor (268,435,456), and so also the limit of each of its
/// dimensions. Published models stay near 2^20: Nemotron-H-8B's SSM state
/// is 128 x 64 x 128 = 2^20 elements, its conv state 10240 x 3, its KV rows
/// 8 x 128; Nemotron Nano 9B v2's SSM state is 128 x 80 x 128.
constexpr uint64_t kMaxStateElements = uint64_t{1} << 28;

} // namespace nhc

#endif // NHC_RUNTIME_LIMITS_H
