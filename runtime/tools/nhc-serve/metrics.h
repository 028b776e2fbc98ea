//===- metrics.h - nhc-serve's Prometheus metrics ------------*- C++ -*-===//
//
// Counters the HTTP side keeps (responses by route and status, time to
// first token, request latency) and the /metrics page: those plus the
// engine's (tokens, queue depth, step time, slot use), in the Prometheus
// text exposition format 0.0.4.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_SERVE_METRICS_H
#define NHC_SERVE_METRICS_H

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "nhc/serving/engine.h"

namespace nhc::serve {

class HttpMetrics {
public:
  void countResponse(const std::string &route, int status);
  /// A finished generation: seconds to its first token (< 0: none) and in
  /// all.
  void countGeneration(double ttftSeconds, double totalSeconds);
  /// The whole page.
  std::string render(const serving::EngineMetrics &engine) const;

private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> responses_;
  uint64_t generations_ = 0, ttftCount_ = 0;
  double ttftSum_ = 0.0, latencySum_ = 0.0;
};

} // namespace nhc::serve

#endif // NHC_SERVE_METRICS_H
