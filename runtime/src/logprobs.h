//===- logprobs.h - Log probabilities of tokens on the host ---*- C++ -*-===//
//
// nhc/runtime/logprobs.h's rule for the runtime's own callers: the host
// backend's logprobs, nhc_logprobs_logits and the serving engine.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_LOGPROBS_H
#define NHC_RUNTIME_SRC_LOGPROBS_H

#include <cstddef>
#include <cstdint>

#include "nhc/runtime/logprobs.h"

namespace nhc::runtime {

/// nhc_logprobs_logits' entries (out[0 .. 1 + topN)) for `vocab` >= 1
/// logits and topN <= NHC_MAX_TOP_LOGPROBS.
void tokenLogprobs(const float *logits, size_t vocab, int32_t picked,
                   uint32_t topN, nhc_token_logprob_t *out);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_LOGPROBS_H
