/*===- nhc/runtime/session.h - Run a compiled model -*- C -*-===//
 *
 * A session runs an artifact's schedules (docs/execution-model.md) on the
 * host: it loads the artifact's host kernel library, binds the weights
 * (matrices in their stored dtype, the rest as f32), owns a state pool of `max_slots` sequence slots and the per-step
 * scratch buffers. Each nhc_session_step() runs one batch of requests, one
 * per claimed slot, and returns logits.
 *
 * Not thread-safe: one call at a time per session (different sessions are
 * independent). Reference: docs/runtime.md.
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_SESSION_H
#define NHC_RUNTIME_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "nhc/runtime/artifact_reader.h"
#include "nhc/runtime/logit_edits.h"
#include "nhc/runtime/logprobs.h"
#include "nhc/runtime/sampling.h"
#include "nhc/runtime/state_pool.h"
#include "nhc/runtime/status.h"
#include "nhc/runtime/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nhc_session_t nhc_session_t; /* opaque */

/* One request of a step: `num_tokens` (>= 1) new tokens for a claimed
 * slot. Prefill (many tokens) and decode (one token) mix freely.
 *
 * `tokens` must point to at least `num_tokens` ids: the runtime cannot see
 * the array's length, and reads exactly `num_tokens` ids. It reads them
 * only after checking that `tokens` is not NULL and that `num_tokens` fits
 * in the slot (length + num_tokens <= max_seq_len), so an absurd count is
 * rejected (NHC_OUT_OF_RANGE) without reading the array. */
typedef struct nhc_request_t {
  uint32_t slot;
  const int32_t *tokens;
  size_t num_tokens;
} nhc_request_t;

typedef enum nhc_logits_mode_t {
  /* [count, vocab]: the logits after each request's last token, in request
   * order (schedule head_last). */
  NHC_LOGITS_LAST = 0,
  /* [T, vocab]: the logits after every token, in flat token order: request
   * 0's tokens, then request 1's, ... (schedule head_all). */
  NHC_LOGITS_ALL = 1,
  /* [sum_r min(N, num_tokens_r), vocab]: the logits after each request's
   * last N tokens (fewer when it has fewer), request order, oldest first;
   * N is nhc_step_options_t.last_n (nhc_session_step_ex only). Runs the
   * head once per position, over rows gathered like NHC_LOGITS_LAST, so a
   * long prompt never needs [T, vocab] memory (MAX's return_n_logits). */
  NHC_LOGITS_LAST_N = 2
} nhc_logits_mode_t;

/* Hidden-state taps: the per-token activations of a step, copied out while
 * it runs (the plan's tap points; docs/artifact-format.md, "Taps"). They
 * match transformers' output_hidden_states: EMBEDDINGS is hidden_states[0],
 * RESIDUAL after layer k is hidden_states[k + 1] (k < num_layers - 1),
 * FINAL_NORM is hidden_states[num_layers] (the final norm's output); MIXER
 * is layer k's mixer output, the update its residual add adds. No tap, no
 * cost; taps never change the logits. */
typedef enum nhc_tap_kind_t {
  NHC_TAP_EMBEDDINGS = 0,
  NHC_TAP_RESIDUAL = 1,
  NHC_TAP_MIXER = 2,
  NHC_TAP_FINAL_NORM = 3
} nhc_tap_kind_t;

typedef struct nhc_tap_t {
  uint32_t kind;  /* nhc_tap_kind_t */
  uint32_t layer; /* RESIDUAL, MIXER: the layer (0-based); else ignored */
  float *out;     /* [T, hidden_size] f32, tokens in flat request order */
  size_t capacity_floats;
} nhc_tap_t;

/* Zero-initialize it (`nhc_step_options_t options = {0};`) and set what you
 * need: later versions may add fields at the end, whose zero means "off".
 * The runtime reads the struct of the header it was built with. */
typedef struct nhc_step_options_t {
  uint32_t logits_mode; /* nhc_logits_mode_t */
  uint32_t last_n;      /* NHC_LOGITS_LAST_N: N >= 1; else ignored */
  const nhc_tap_t *taps; /* may be NULL when num_taps is 0 */
  size_t num_taps;
  /* Calibration statistics (nhc quantize; docs/fp8.md). When not NULL, an
   * array of nhc_session_gemm_count() floats: after the step, element i is
   * max(element i, max |x|) over the input rows of the body's gemm i (NaN
   * if an input was NaN). num_gemm_input_absmax must equal the count. */
  float *gemm_input_absmax;
  size_t num_gemm_input_absmax;
  /* Calibration of routed experts (nhc quantize; docs/fp8.md). When not
   * NULL, an array of nhc_session_expert_gemm_count() floats: after the
   * step, element i is max(element i, max |x|) over the rows expert gemm i
   * multiplied in the step (NaN if one was NaN); an expert no token was
   * routed to leaves its elements as they were (the cuda backend then
   * routes the step's experts on the host and waits for each expert's
   * rows). num_expert_input_absmax must equal the count. */
  float *expert_input_absmax;
  size_t num_expert_input_absmax;
  /* Greedy decoding (NHC_LOGITS_LAST or NHC_LOGITS_ALL). When not NULL,
   * an array of num_greedy_ids >= count int32: after the step, element r
   * is the token id of the largest logit in request r's pick row, the
   * logits after its last token (LAST: row r; ALL: its last token's row,
   * so a prompt's logprobs and its first pick take one step); the first
   * of equal ones (the serving sampler's argmax, nhc/serving/sampler.h),
   * or, if the row holds NaN (weights or inputs holding NaN: no token to
   * pick), -1 minus the index of the first NaN. `logits` may then be NULL
   * with
   * capacity 0: the logits are not copied out, and on the cuda backend
   * only the ids leave the device (nhc_argmax_rows runs there). */
  int32_t *greedy_ids;
  size_t num_greedy_ids;
  /* Time per schedule entry (nhc-bench --profile). When not NULL, an array
   * of num_entry_seconds doubles, at least the step's entry count (the
   * progress callback's `total`: schedules.body, then the head's entries,
   * once per position for NHC_LOGITS_LAST_N; else NHC_INVALID_ARGUMENT):
   * after the step, element i is the seconds entry i took, in that order,
   * from the end of the entry before it (the step's start for the first),
   * 0 for a LAST_N pass with no request left. The host backend reads a
   * monotonic clock as each entry returns; the cuda backend records a CUDA
   * event on its stream after each entry's work, so an entry's time is the
   * device's, including any wait for the host to issue its launches. Such
   * a step is never recorded into, or replayed from, a CUDA graph. */
  double *entry_seconds;
  size_t num_entry_seconds;
  /* Sampled ids (with greedy_ids). When not NULL, an array of
   * num_sampling >= count rules: element r of greedy_ids is then the token
   * sampling[r] picks from request r's logits (nhc/runtime/sampling.h,
   * nhc_sample_logits' rule and codes: -1 minus the first NaN's index for
   * logits holding NaN), greedy where that rule is. On the cuda backend the
   * kernel library's nhc_sample_rows picks them on the device and only the
   * ids leave it; it may differ from nhc_sample_logits on the same logits
   * only where the draw lands within rounding of a boundary between two
   * candidates (its weights are f32 exps, summed in another order). An
   * invalid rule is
   * NHC_INVALID_ARGUMENT naming the request, before anything runs. */
  const nhc_sampling_t *sampling;
  size_t num_sampling;
  /* Log probabilities (OpenAI's logprobs, nhc/runtime/logprobs.h) of each
   * logits row of the step (NHC_LOGITS_LAST: a row per request;
   * NHC_LOGITS_ALL: a row per token, in flat request order). When not
   * NULL, an array of num_logprobs >= rows * (1 + top_logprobs) entries:
   * after the step, the 1 + top_logprobs from element i * (1 +
   * top_logprobs) on are nhc_logprobs_logits' entries for row i's logits
   * and id: logprob_ids[i] (NHC_LOGPROB_ID_PICKED: the id picked from row
   * i, a pick row of a step with greedy_ids), or without logprob_ids
   * (NHC_LOGITS_LAST with greedy_ids) request i's picked id. `logits` may
   * then be NULL: on the
   * cuda backend the kernel library's nhc_logprob_rows computes them on
   * the device and only they (and the ids) leave it; its sums run in
   * another order than the host's, so a logprob may differ from
   * nhc_logprobs_logits' in its last bits. A prompt's logprobs are an
   * NHC_LOGITS_ALL step with logprob_ids[t] = the prompt's token after
   * token t (NHC_LOGPROB_ID_PICKED at its last token's row, with
   * greedy_ids, for its first pick's). NHC_LOGITS_LAST_N, top_logprobs
   * above NHC_MAX_TOP_LOGPROBS, too few entries or ids, neither greedy_ids
   * nor logprob_ids, NHC_LOGITS_ALL without logprob_ids, logprob_ids
   * without logprobs, or NHC_LOGPROB_ID_PICKED at a row that is no pick
   * row is NHC_INVALID_ARGUMENT before anything runs. */
  nhc_token_logprob_t *logprobs;
  size_t num_logprobs;
  uint32_t top_logprobs;
  const int32_t *logprob_ids; /* NULL, or num_logprob_ids >= rows ids */
  size_t num_logprob_ids;
  /* Logit edits (with greedy_ids): what requests change in their rows
   * before their tokens are picked (nhc/runtime/logit_edits.h: biases,
   * banned ids, repetition, frequency and presence penalties). When not
   * NULL, num_logit_edits edits, each of a request r < count (its pick
   * row, as greedy_ids') and an id in [0, vocab), no (row, id) twice:
   * greedy_ids (greedy or by `sampling`) are picked from the edited rows,
   * while `logits` and `logprobs` stay
   * the model's (OpenAI's logprobs are of the unedited row). On the cuda
   * backend the kernel library's nhc_edit_logits edits a copy of the rows
   * on the device. An invalid edit is NHC_INVALID_ARGUMENT naming it
   * before anything runs. */
  const nhc_logit_edit_t *logit_edits;
  size_t num_logit_edits;
} nhc_step_options_t;

/* Called after each schedule entry of a step with the number of entries
 * done and the step's total; for progress displays of long prefills. It
 * must not call back into the session. Entries count in the manifest's
 * order: schedules.body, then the head's (head_last, once per position for
 * NHC_LOGITS_LAST_N; head_all). The host backend reports an entry once it
 * has run (nhc-bench --profile times entries so); the cuda backend as it
 * is enqueued, and a replayed decode step's all at its end. */
typedef void (*nhc_progress_fn_t)(void *user, size_t completed, size_t total);

/* Gemms of at most this many rows of activations (a decode batch, one
 * expert's routed tokens) are bound by memory: the host backend runs them
 * through the artifact's generated GEMV kernels in f32 arithmetic whatever
 * the gemm precision. */
#define NHC_GEMV_MAX_ROWS 16

/* The arithmetic of gemms whose weights are stored BF16. */
typedef enum nhc_gemm_precision_t {
  /* Weights widened exactly to f32, f32 products and sums: the numerics of
   * transformers running the checkpoint in float32 (the default). */
  NHC_GEMM_PRECISION_F32 = 0,
  /* Gemms of more than NHC_GEMV_MAX_ROWS rows (a prefill's tokens, a
   * larger decode batch, one expert's routed tokens) round their
   * activations to bf16 and multiply in bf16 with f32 sums: the numerics of
   * transformers running the checkpoint in bfloat16, at twice the f32 rate,
   * through oneDNN and the CPU's bf16 dot-product instructions
   * (AVX512_BF16, AMX). Gemms of up to NHC_GEMV_MAX_ROWS rows keep f32
   * arithmetic; F32, F16 and FP8 weights are unaffected. On a CPU
   * without bf16 instructions the session runs F32
   * (nhc_session_info_t.gemm_precision says which). */
  NHC_GEMM_PRECISION_BF16 = 1,
  /* Not a precision: gives the enum 32 bits, so that any int a caller
   * stores is a value of the type (and refused, not undefined). */
  NHC_GEMM_PRECISION_MAX_ENUM = 0x7fffffff
} nhc_gemm_precision_t;

/* "f32", "bf16"; NULL for a value that is not a precision. */
NHC_API const char *nhc_gemm_precision_name(nhc_gemm_precision_t precision);

typedef struct nhc_session_info_t {
  uint64_t vocab_size;
  uint64_t hidden_size;
  uint32_t max_slots;
  uint32_t free_slots;
  uint64_t max_seq_len;
  uint64_t state_bytes;     /* the state pool, all slots */
  uint64_t weight_f32_bytes; /* f32 copies made of BF16/F16 weights that
                                generated kernels read (norms, conv,
                                embeddings); gemm and expert matrices stay
                                in their stored dtype */
  uint64_t scratch_bytes;   /* step buffers, grown to the largest step */
  nhc_gemm_precision_t gemm_precision; /* in effect (may be F32 where BF16
                                          was asked: see the enum) */
} nhc_session_info_t;

/* Creates a session for `artifact` with the checkpoint `weights`, which is
 * bound to the artifact's manifest here (the handle itself is not
 * modified, so it may be bound to something else or not at all). Checks,
 * in order: the manifest has schedules; max_slots <= nhc::kMaxSlots
 * (65536), max_seq_len <= nhc::kMaxSequenceLength (2^24), max_slots *
 * max_seq_len <= INT_MAX (NHC_INVALID_ARGUMENT); the artifact's host
 * library loads and exports <kernel>_packed for every manifest kernel;
 * every scratch buffer fits 2^63 bytes at max_slots * max_seq_len tokens
 * (NHC_INVALID_ARGUMENT); every state a schedule uses is F32; the checkpoint
 * files have not changed size since nhc_weights_open (NHC_IO_ERROR); the
 * weights bind; every weight converts to f32 (BF16/F16/F32; FP8 is
 * NHC_UNSUPPORTED). The artifact may be released after this call;
 * `weights` must outlive the session (F32 tensors are used in place) and
 * its files must not be truncated or rewritten while the session exists
 * (they are mapped: see weights.h). The caller owns *out_session:
 * nhc_session_release(). */
NHC_API nhc_status_t nhc_session_create(const nhc_artifact_t *artifact,
                                        const nhc_weights_t *weights,
                                        uint32_t max_slots,
                                        uint64_t max_seq_len,
                                        nhc_session_t **out_session);

/* Options of nhc_session_create_ex(). Zero-initialize, then set. */
typedef struct nhc_session_options_t {
  uint32_t max_slots;   /* requests that can hold state at once */
  uint64_t max_seq_len; /* tokens per request (KV-cache rows) */
  /* The device backend that owns the session's memory and runs its steps:
   * one of nhc_backends(); NULL or "" select "host". An unknown name is
   * NHC_INVALID_ARGUMENT naming the backends this runtime has. */
  const char *backend;
  /* Requested arithmetic of BF16-weight gemms; a value outside the enum is
   * NHC_INVALID_ARGUMENT. */
  nhc_gemm_precision_t gemm_precision;
} nhc_session_options_t;

/* nhc_session_create() with options: the same checks and errors, plus the
 * backend's. */
NHC_API nhc_status_t nhc_session_create_ex(const nhc_artifact_t *artifact,
                                           const nhc_weights_t *weights,
                                           const nhc_session_options_t *options,
                                           nhc_session_t **out_session);

/* The backend a session runs on ("host"); "" for NULL. */
NHC_API const char *nhc_session_backend(const nhc_session_t *session);

/* The backends this runtime has, comma-separated ("host,cuda"). "cuda"
 * loads the CUDA driver at run time (libcuda.so.1, or the file
 * NHC_CUDA_DRIVER names): without one, creating a session on it is
 * NHC_UNSUPPORTED "no CUDA driver (...)". It cannot run steps yet: after
 * finding the device, the artifact's GPU code for it and every kernel of its
 * launch table, creation stops with NHC_UNSUPPORTED saying so. */
NHC_API const char *nhc_backends(void);

/* Unloads the kernels and frees all session memory. NULL is allowed. */
NHC_API void nhc_session_release(nhc_session_t *session);

/* Claims the lowest free slot (fresh state, length 0).
 * NHC_RESOURCE_EXHAUSTED when all max_slots slots are claimed. */
NHC_API nhc_status_t nhc_session_claim(nhc_session_t *session,
                                       uint32_t *out_slot);

/* Returns a slot; NHC_INVALID_ARGUMENT for an unknown id,
 * NHC_FAILED_PRECONDITION for an unclaimed one. */
NHC_API nhc_status_t nhc_session_release_slot(nhc_session_t *session,
                                              uint32_t slot);

/* Tokens already processed for a claimed slot. */
NHC_API nhc_status_t nhc_session_slot_length(const nhc_session_t *session,
                                             uint32_t slot,
                                             uint64_t *out_length);

/* Runs one step over the `count` requests of the array `requests` and
 * writes logits (see nhc_logits_mode_t) to `logits`, which holds
 * `logits_capacity_floats` floats. The whole batch is validated first, in
 * this order, before anything is read past what was already checked:
 *   - NHC_INVALID_ARGUMENT: count is 0; `requests` is NULL; count >
 *     max_slots (a slot takes one request per step, so `requests` and the
 *     options' per-request arrays are never read further); `logits` is
 *     NULL; `mode` is not NHC_LOGITS_LAST or NHC_LOGITS_ALL (any other
 *     integer a C caller passes is rejected, not undefined);
 *   - then per request, in order: NHC_INVALID_ARGUMENT for a slot >=
 *     max_slots or named twice, NHC_FAILED_PRECONDITION for an unclaimed
 *     slot, NHC_INVALID_ARGUMENT for num_tokens == 0 or tokens == NULL,
 *     NHC_OUT_OF_RANGE when length + num_tokens > max_seq_len, and only
 *     then NHC_INVALID_ARGUMENT for a token id outside [0, vocab);
 *   - NHC_INVALID_ARGUMENT when logits_capacity_floats is below rows *
 *     vocab (rows: count for LAST, the batch's tokens for ALL);
 *   - NHC_OUT_OF_MEMORY when the step's scratch cannot be allocated.
 * On any of these errors nothing changes: no slot's state or length is
 * touched and `logits` is not written. A step can still fail after its
 * kernels began (a gemm library running out of memory: NHC_OUT_OF_MEMORY;
 * a device error: NHC_INTERNAL), when part of its requests' state may be
 * written: no length changes, the error names the batch's slots as lost,
 * and later steps, saves and forks of those slots fail with
 * NHC_FAILED_PRECONDITION until they are released (other slots are
 * untouched; after a sticky device fault every slot of the session is lost
 * and the error says to create another session). On success each slot's
 * length grows by its num_tokens. */
NHC_API nhc_status_t nhc_session_step(nhc_session_t *session,
                                      const nhc_request_t *requests,
                                      size_t count, nhc_logits_mode_t mode,
                                      float *logits,
                                      size_t logits_capacity_floats);

/* Installs (fn != NULL) or removes the progress callback. */
/* nhc_session_step with options: any logits mode (NHC_LOGITS_LAST_N
 * included) and taps. Checked like nhc_session_step before anything
 * changes, plus: NHC_INVALID_ARGUMENT for an unknown mode or tap kind,
 * last_n == 0 with NHC_LOGITS_LAST_N, a tap layer >= num_layers, a NULL
 * `out` or a capacity below T * hidden_size floats; NHC_UNSUPPORTED when
 * the artifact has no such tap point (compiled before taps existed). */
NHC_API nhc_status_t nhc_session_step_ex(nhc_session_t *session,
                                         const nhc_request_t *requests,
                                         size_t count,
                                         const nhc_step_options_t *options,
                                         float *logits,
                                         size_t logits_capacity_floats);

/* Copies row `row` of the last step's logits (its mode's rows: a request's
 * with NHC_LOGITS_LAST, a token's with NHC_LOGITS_ALL; `vocab` f32) into
 * `out`, for a step that asked for ids or logprobs and no logits (logits
 * NULL): those rows stay in the session (on the cuda backend in device
 * memory, one row copied out now) until the next step, so a caller that
 * needs one row after all (choices sharing a sampled prompt pick from its
 * row) copies only that one. Errors: NHC_INVALID_ARGUMENT for NULL
 * pointers, a capacity below vocab or a row past the step's;
 * NHC_FAILED_PRECONDITION when the session keeps no rows (no step ran, the
 * last wrote its logits to the caller's buffer or was NHC_LOGITS_LAST_N,
 * or a step since was refused after its validation). */
NHC_API nhc_status_t nhc_session_last_logits_row(nhc_session_t *session,
                                                 uint64_t row, float *out,
                                                 size_t capacity_floats);

NHC_API nhc_status_t nhc_session_set_progress(nhc_session_t *session,
                                              nhc_progress_fn_t fn,
                                              void *user);

NHC_API nhc_status_t nhc_session_get_info(const nhc_session_t *session,
                                          nhc_session_info_t *out_info);

/* The gemms of the plan's body (every linear layer but the LM head), in
 * schedule order, for calibration (nhc_step_options_t.gemm_input_absmax).
 * nhc_session_gemm_weight names the weight tensor gemm `index` multiplies
 * by, as the manifest lists it (e.g. "backbone.layers.0.mixer.in_proj.weight");
 * NULL for a NULL session or an index out of range. The string lives as
 * long as the session. */
NHC_API size_t nhc_session_gemm_count(const nhc_session_t *session);
NHC_API const char *nhc_session_gemm_weight(const nhc_session_t *session,
                                            size_t index);

/* The routed experts' products of the plan's body, for calibration
 * (nhc_step_options_t.expert_input_absmax): per moe_experts entry in
 * schedule order, per expert e in order, its up projection (index 2e from
 * the entry's first; input: the tokens routed to e), then its down
 * projection (2e + 1; input: the activation's output for those tokens).
 * nhc_session_expert_gemm_weight names the weight tensor, as the manifest
 * lists it (e.g. "backbone.layers.1.mixer.experts.3.up_proj.weight"; for
 * experts stored stacked, every expert names the stacked tensor); NULL for
 * a NULL session or an index out of range. The string lives as long as
 * the session. */
NHC_API size_t nhc_session_expert_gemm_count(const nhc_session_t *session);
NHC_API const char *nhc_session_expert_gemm_weight(const nhc_session_t *session,
                                                   size_t index);

/* One-line notes on how the session's backend changed what the artifact
 * asks for, for a tool to show its user: e.g. "cuda backend: 12 FP8 (e4m3)
 * weights widened to bf16 at upload (...)" on a GPU without FP8 products.
 * The text lives as long as the session; NULL for a NULL session or an
 * index out of range. */
NHC_API size_t nhc_session_note_count(const nhc_session_t *session);
NHC_API const char *nhc_session_note_at(const nhc_session_t *session,
                                        size_t index);

/* The dtype the session's backend holds manifest weight `name` in, as its
 * kernels and gemms read it: the checkpoint's (gemm and expert matrices,
 * embedding tables), F32 for converted copies, or what a device widened it
 * to (docs/runtime.md, "CUDA backend"). NHC_NOT_FOUND for a name the
 * manifest does not list. */
NHC_API nhc_status_t nhc_session_weight_dtype(const nhc_session_t *session,
                                              const char *name,
                                              nhc_dtype_t *out_dtype);

/* The session's state pool, borrowed, for inspecting slot state
 * (nhc_state_pool_tensor_info / _tensor_data). Claim and release slots
 * through the session. Kernels see each state tensor's slots densely
 * packed: slot s starts s * (its element count) floats into the tensor's
 * array, so slot_stride equals the tensor's byte size here. */
NHC_API nhc_state_pool_t *nhc_session_state_pool(nhc_session_t *session);

/* A request's state as a blob, and a new request from one: the session's
 * nhc_state_pool_save_slot / nhc_state_pool_restore_slot (state_pool.h).
 * A restored request continues exactly where the saved one stopped: its
 * next step gives the logits an uninterrupted run would. */
NHC_API nhc_status_t nhc_session_save_request(nhc_session_t *session,
                                              uint32_t slot, void *out,
                                              size_t capacity,
                                              size_t *out_size);
NHC_API nhc_status_t nhc_session_restore_request(nhc_session_t *session,
                                                 const void *blob, size_t size,
                                                 uint32_t *out_slot);
/* A new request continuing from claimed `slot`'s tokens: the session's
 * nhc_state_pool_fork_slot (state_pool.h). Its next step gives the logits
 * the source's next step would for the same token. */
NHC_API nhc_status_t nhc_session_fork_request(nhc_session_t *session,
                                              uint32_t slot,
                                              uint32_t *out_slot);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_SESSION_H */
