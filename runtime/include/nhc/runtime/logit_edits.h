/*===- nhc/runtime/logit_edits.h - Changes to logits before a pick -*- C -*-===//
 *
 * What a request changes in its row of logits before its token is picked
 * (nhc_step_options_t.logit_edits): OpenAI's logit_bias, ids banned for now
 * (min_tokens' stop ids), the repetition penalty (CTRL, Keskar et al. 2019,
 * as transformers and vLLM apply it) and OpenAI's frequency and presence
 * penalties, in vLLM's order (vllm/v1/sample/sampler.py). An edit is one
 * token of one row with every change it gets, so edits of distinct tokens
 * apply in any order; the serving engine builds them from its requests'
 * histories (nhc/serving/logits_processor.h). Reference: docs/runtime.md,
 * "Logit edits".
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_LOGIT_EDITS_H
#define NHC_RUNTIME_LOGIT_EDITS_H

#include <stddef.h>
#include <stdint.h>

#include "nhc/runtime/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One token's changes, applied to its logit l in this order:
 *   l += bias;                                  (logit_bias; 0: none)
 *   if (banned) l = -inf;    (min_tokens' stop ids; NaN stays NaN, so an
 *                             edited row holds NaN where the model's does
 *                             and has no token either: -1 - its first NaN)
 *   l = l > 0 ? l / repetition : l * repetition; (unless repetition is 1)
 *   l -= frequency;                   (the frequency penalty times count)
 *   l -= presence;                    (the presence penalty, count > 0)
 * bias, frequency and presence finite; repetition positive, normal and
 * finite (FLT_MIN .. FLT_MAX: a subnormal one divides a positive logit to
 * +inf), which nhc-run, nhc-serve and generation_config.json also ask. */
typedef struct nhc_logit_edit_t {
  uint32_t row;     /* the request's index in the step (its pick row) */
  int32_t id;       /* the token, in [0, vocab) */
  float bias;
  uint32_t banned;  /* nonzero: -inf */
  float repetition; /* 1 = none */
  float frequency;
  float presence;
} nhc_logit_edit_t;

/* *logit = `edit` applied to *logit (the order above). Errors:
 * NHC_INVALID_ARGUMENT for NULL pointers or a field outside its range
 * (named). */
NHC_API nhc_status_t nhc_logit_edit_apply(const nhc_logit_edit_t *edit,
                                          float *logit);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_LOGIT_EDITS_H */
