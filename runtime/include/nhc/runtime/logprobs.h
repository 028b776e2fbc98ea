/*===- nhc/runtime/logprobs.h - Log probabilities of tokens -*- C -*-===//
 *
 * OpenAI's `logprobs`: a picked token's log probability and the most
 * likely alternatives at that step, as vLLM reports them by default
 * (`logprobs_mode` "raw_logprobs"): log_softmax of the step's own logits,
 * before any bias, penalty, temperature or truncation. On the host
 * (nhc_logprobs_logits, the serving engine) and on the device
 * (nhc_step_options_t.logprobs: the kernel library's nhc_logprob_rows).
 * Reference: docs/runtime.md, "Log probabilities".
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_LOGPROBS_H
#define NHC_RUNTIME_LOGPROBS_H

#include <stddef.h>
#include <stdint.h>

#include "nhc/runtime/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Alternatives a row may report (OpenAI's top_logprobs, vLLM's
 * max_logprobs). */
#define NHC_MAX_TOP_LOGPROBS 20

/* In nhc_step_options_t.logprob_ids: "the id picked from this row" (a
 * request's pick row in a step with greedy_ids), where the caller cannot
 * know the id before the step (a sampled pick). Not a token: any other id
 * outside [0, vocab) gets -inf. */
#define NHC_LOGPROB_ID_PICKED INT32_MIN

/* One token's entry: its id and natural-log probability. */
typedef struct nhc_token_logprob_t {
  int32_t id;
  float logprob;
} nhc_token_logprob_t;

/* Fills out[0 .. 1 + top_n) from `vocab` >= 1 f32 logits:
 * out[0] = {picked, log_softmax(logits)[picked]} (-inf for an id outside
 * [0, vocab)); out[1 .. 1 + top_n) the top_n most likely tokens, most
 * likely first, equal logits by lower id; entries past the vocabulary
 * (top_n > vocab) are {-1, -inf}. log_softmax(l)_i = l_i - top -
 * log(sum_j exp(l_j - top)), top the largest logit, exps and sum in
 * double (rounded to f32 at the end). Limits of the softmax: a row of
 * only -inf gives -inf everywhere; +inf logits share the mass
 * (log(1 / their count)) and the rest get -inf. A row holding NaN has no
 * distribution: every logprob is NaN, out[0]'s id is `picked`, out[1]'s
 * -1 minus the index of the first NaN (greedy ids' code), the rest -1.
 * A row's argmax is out[1]'s id (the first of the largest). Costs two
 * passes over the row, a third for top_n > 0. Errors:
 * NHC_INVALID_ARGUMENT for NULL pointers, vocab 0 or top_n above
 * NHC_MAX_TOP_LOGPROBS. */
NHC_API nhc_status_t nhc_logprobs_logits(const float *logits, size_t vocab,
                                         int32_t picked, uint32_t top_n,
                                         nhc_token_logprob_t *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_LOGPROBS_H */
