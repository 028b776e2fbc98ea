//===- metrics.cpp - nhc-serve's Prometheus metrics -----------------------===//

#include "metrics.h"

#include <iomanip>
#include <sstream>

namespace nhc::serve {

void HttpMetrics::countResponse(const std::string &route, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++responses_[{route, status}];
}

void HttpMetrics::countGeneration(double ttftSeconds, double totalSeconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generations_;
  latencySum_ += totalSeconds;
  if (ttftSeconds >= 0.0) {
    ++ttftCount_;
    ttftSum_ += ttftSeconds;
  }
}

std::string HttpMetrics::render(const serving::EngineMetrics &e) const {
  std::ostringstream out;
  out << std::setprecision(17);
  auto metric = [&](const char *name, const char *type, const char *help) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' '
        << type << '\n';
  };
  {
    std::lock_guard<std::mutex> lock(mutex_);
    metric("nhc_http_responses_total", "counter",
           "HTTP responses by route and status code.");
    for (const auto &[key, count] : responses_)
      out << "nhc_http_responses_total{route=\"" << key.first
          << "\",code=\"" << key.second << "\"} " << count << '\n';
    metric("nhc_time_to_first_token_seconds", "summary",
           "Seconds from a request's arrival to its first token.");
    out << "nhc_time_to_first_token_seconds_sum " << ttftSum_ << '\n'
        << "nhc_time_to_first_token_seconds_count " << ttftCount_ << '\n';
    metric("nhc_request_duration_seconds", "summary",
           "Seconds from a generation request's arrival to its end.");
    out << "nhc_request_duration_seconds_sum " << latencySum_ << '\n'
        << "nhc_request_duration_seconds_count " << generations_ << '\n';
  }
  metric("nhc_requests_finished_total", "counter",
         "Generations by how they ended.");
  for (auto reason : {serving::FinishReason::Stop, serving::FinishReason::Length,
                      serving::FinishReason::Cancelled,
                      serving::FinishReason::Error})
    out << "nhc_requests_finished_total{reason=\""
        << serving::finishReasonName(reason) << "\"} "
        << e.requestsFinished[static_cast<int>(reason)] << '\n';
  metric("nhc_prompt_tokens_total", "counter", "Prompt tokens prefilled.");
  out << "nhc_prompt_tokens_total " << e.promptTokens << '\n';
  metric("nhc_prompt_tokens_shared_total", "counter",
         "Prompt tokens not prefilled: the state of another choice of the "
         "same request with the same prompt, forked.");
  out << "nhc_prompt_tokens_shared_total " << e.promptTokensShared << '\n';
  metric("nhc_logits_rows_copied_total", "counter",
         "Rows of logits copied out of the model for the server to pick "
         "from (a sampled or penalized pick beside a prompt's logprobs, or "
         "of choices sharing a prompt); other steps take their token ids "
         "and logprobs from the model.");
  out << "nhc_logits_rows_copied_total " << e.logitsRowsCopied << '\n';
  metric("nhc_generation_tokens_total", "counter", "Tokens generated.");
  out << "nhc_generation_tokens_total " << e.generatedTokens << '\n';
  metric("nhc_step_duration_seconds", "summary",
         "Seconds per engine step (one batched model call).");
  out << "nhc_step_duration_seconds_sum " << e.stepSeconds << '\n'
      << "nhc_step_duration_seconds_count " << e.steps << '\n';
  metric("nhc_queue_depth", "gauge", "Requests waiting for a slot.");
  out << "nhc_queue_depth " << e.queueDepth << '\n';
  metric("nhc_slots_in_use", "gauge", "Slots held by running requests.");
  out << "nhc_slots_in_use " << e.running << '\n';
  metric("nhc_slots_total", "gauge", "Slots of the state pool (--max-slots).");
  out << "nhc_slots_total " << e.slots << '\n';
  return out.str();
}

} // namespace nhc::serve
