//===- trained_length.h - Sequences past max_position_embeddings -*- C++ -*-===//
//
// Nemotron-H has no position encoding (NoPE attention, Mamba layers), so
// the config's max_position_embeddings is the length the model was trained
// to, not one its arithmetic needs: transformers runs longer sequences and
// so does the runtime. nhc-run and nhc-serve keep it as their default limit
// and run past it only when --max-seq-len asks, saying so.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_TOOLS_COMMON_TRAINED_LENGTH_H
#define NHC_TOOLS_COMMON_TRAINED_LENGTH_H

#include <cstdint>
#include <cstdio>
#include <string>

namespace nhc::run {

/// The sentence an error appends when a length past `trained` was not asked
/// for: how to ask.
inline std::string pastTrainedLengthHint() {
  return "; Nemotron-H has no position encoding, so a larger --max-seq-len "
         "runs it (past the length the model was trained to)";
}

/// Warns on stderr, as "<tool>: warning: ...", when `--max-seq-len`
/// `maxSeqLen` exceeds the model's max_position_embeddings `trained`.
inline void warnPastTrainedLength(const char *tool, uint64_t maxSeqLen,
                                  uint64_t trained) {
  if (maxSeqLen <= trained)
    return;
  std::fprintf(stderr,
               "%s: warning: --max-seq-len %llu is past the model's "
               "max_position_embeddings %llu: positions past it run (the "
               "model has no position encoding; transformers computes the "
               "same) but are lengths the model was not trained to\n",
               tool, static_cast<unsigned long long>(maxSeqLen),
               static_cast<unsigned long long>(trained));
}

} // namespace nhc::run

#endif // NHC_TOOLS_COMMON_TRAINED_LENGTH_H
