//===- server.h - nhc-serve's HTTP routes (cpp-httplib) ------*- C++ -*-===//
#ifndef NHC_SERVE_SERVER_H
#define NHC_SERVE_SERVER_H

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "metrics.h"
#include "nhc/serving/engine.h"
#include "nhc/serving/openai_api.h"
#include "options.h"

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace nhc::serve {

class HttpServer; // httplib's server with nhc-serve's connection loop

class Server {
public:
  Server(serving::Engine &engine, const serving::OpenAiApi &api,
         const Options &options);
  ~Server();
  /// Starts the HTTP workers, binds, prints the address, serves until
  /// stop(); false with `error` when the workers cannot start or the
  /// address cannot be bound.
  bool run(std::string &error);
  /// From any thread (or a signal watcher): ends run(). Streams still
  /// being written are cut off: after Engine::stop(), call
  /// waitForStreams() first so they end with their error event and [DONE].
  void stop();
  /// Waits until no streamed response is open, or `timeout` passes; true
  /// when none is.
  bool waitForStreams(std::chrono::milliseconds timeout);

private:
  void generate(serving::Endpoint endpoint, const httplib::Request &request,
                httplib::Response &response);
  void sendError(httplib::Response &response, const std::string &route,
                 const serving::ApiError &error);
  std::string nextId(serving::Endpoint endpoint);

  serving::Engine &engine_;
  const serving::OpenAiApi &api_;
  const Options &options_;
  HttpMetrics metrics_;
  std::atomic<uint64_t> counter_{0};
  std::atomic<int> openStreams_{0}; ///< streamed responses not yet released
  std::unique_ptr<HttpServer> http_;
};

} // namespace nhc::serve

#endif // NHC_SERVE_SERVER_H
