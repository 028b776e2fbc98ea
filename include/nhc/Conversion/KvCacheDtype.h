//===- KvCacheDtype.h - element type of the KV cache ------------*- C++ -*-===//
//
// The one list of KV-cache element types: `nhc compile --kv-cache-dtype`,
// the `nemotron-lower-to-exec-pipeline` option and the
// `convert-nemotron-to-exec` option all take their values from here.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_CONVERSION_KVCACHEDTYPE_H
#define NHC_CONVERSION_KVCACHEDTYPE_H

#include "llvm/Support/CommandLine.h"

namespace mlir::nhc {

/// Element type of the attention layers' K and V caches (docs/cli.md).
enum class KvCacheDtype {
  /// f32 state: K and V as computed.
  F32,
  /// bf16 state: K and V rounded to the nearest bf16 (ties to even) as
  /// appended, half the bytes per cached position.
  BF16,
};

/// The command-line values naming each KvCacheDtype, for every option that
/// takes one.
inline llvm::cl::ValuesClass kvCacheDtypeValues() {
  return llvm::cl::values(
      clEnumValN(KvCacheDtype::F32, "f32", "K and V caches in f32 (default)"),
      clEnumValN(KvCacheDtype::BF16, "bf16",
                 "K and V caches in bf16: half the bytes per cached "
                 "position, K and V rounded to bf16 as they are appended (as "
                 "a bf16 model's cache is in transformers)"));
}

} // namespace mlir::nhc

#endif // NHC_CONVERSION_KVCACHEDTYPE_H
