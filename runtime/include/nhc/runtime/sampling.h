/*===- nhc/runtime/sampling.h - Picking a token from logits -*- C -*-===//
 *
 * The rule every sampled token of nhc follows, on the host
 * (nhc_sample_logits, the serving sampler) and on the device
 * (nhc_step_options_t.sampling: the kernel library's nhc_sample_rows):
 * greedy, or temperature with min-p (Nguyen et al. 2024), top-k and top-p
 * (nucleus, Holtzman et al. 2019) truncation, in that order (vLLM's
 * sampler: min-p, then top-k and top-p over what is left), then one
 * uniform draw walked down the candidates in order of logit. The caller
 * owns the random stream and passes each row's draw, so a request's tokens
 * depend on its own seed only. Reference: docs/runtime.md, "Sampling".
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_SAMPLING_H
#define NHC_RUNTIME_SAMPLING_H

#include <stddef.h>
#include <stdint.h>

#include "nhc/runtime/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How one row of logits becomes a token. */
typedef struct nhc_sampling_t {
  float temperature; /* >= 0; 0 = greedy (argmax) */
  float top_p;       /* (0, 1]: the shortest prefix with mass >= top_p; 1 = all */
  float min_p;       /* [0, 1]: drop weights below min_p times the top's; 0 = off */
  uint32_t top_k;    /* the k most likely; 0 = all; 1 = greedy */
  double uniform;    /* the row's draw, in [0, 1) (unused when greedy) */
} nhc_sampling_t;

/* Checks `sampling`'s fields (NHC_INVALID_ARGUMENT naming the field and
 * value): a temperature below 0, infinite or NaN; for a sampled rule, top_p
 * outside (0, 1], min_p outside [0, 1], a draw outside [0, 1). A greedy
 * rule (temperature 0 or top_k 1; a zeroed struct is one) uses no other
 * field. */
NHC_API nhc_status_t nhc_sampling_check(const nhc_sampling_t *sampling);

/* *out_token = the token `sampling` picks from `vocab` >= 1 f32 logits:
 * greedy (temperature 0 or top_k 1): the first of the largest. Else the
 * candidates in order of logit (ties by lower id), weights
 * exp((logit - top) / temperature) (the softmax's numerators, in double),
 * min-p (a logit below top + temperature * ln(min_p) dropped), top-k, the
 * shortest prefix whose mass reaches top_p of what is left (at least one),
 * then the first candidate at which the prefix's mass passes uniform times
 * the nucleus's. +inf logits share the draw equally and the rest get none
 * (the softmax's limit); a row of -inf gives id 0. A row holding NaN
 * (weights or inputs holding NaN) has no token: *out_token = -1 - the
 * index of its first NaN, greedy or not, status NHC_OK. Costs about one
 * pass over the row (an exp each) plus a sort of the prefix the walks
 * reach. Errors: NHC_INVALID_ARGUMENT for NULL pointers, vocab 0 or
 * fields nhc_sampling_check refuses. */
NHC_API nhc_status_t nhc_sample_logits(const float *logits, size_t vocab,
                                       const nhc_sampling_t *sampling,
                                       int32_t *out_token);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_SAMPLING_H */
