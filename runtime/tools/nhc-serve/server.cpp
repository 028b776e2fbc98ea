//===- server.cpp - nhc-serve's HTTP routes (cpp-httplib) -----------------===//

#include "server.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include <httplib.h>

namespace nhc::serve {
namespace {

using Clock = std::chrono::steady_clock;
using serving::ApiError;
using serving::Endpoint;
using serving::FinishReason;
using serving::GenerationEvent;

constexpr std::chrono::milliseconds kPoll{50};

int64_t unixSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The routes, named once: registration, metrics labels and messages.
constexpr const char *kCompletions = "/v1/completions";
constexpr const char *kChatCompletions = "/v1/chat/completions";
constexpr const char *kModels = "/v1/models";
constexpr const char *kHealth = "/health";
constexpr const char *kMetrics = "/metrics";
constexpr const char *kRoutes[] = {kCompletions, kChatCompletions, kModels,
                                   kHealth, kMetrics};

const char *routeOf(Endpoint endpoint) {
  return endpoint == Endpoint::ChatCompletions ? kChatCompletions
                                               : kCompletions;
}

/// `text` with control bytes escaped, so a path or message from a client
/// cannot add lines to the log.
std::string printable(const std::string &text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

/// One line per request on stderr.
void logRequest(const std::string &id, const char *rawRoute, int status,
                const GenerationEvent *last, double ttft, double total,
                const std::string &rawNote) {
  const std::string route = printable(rawRoute);
  const std::string note = printable(rawNote);
  if (last)
    std::fprintf(stderr,
                 "nhc-serve: %s %s %d prompt=%llu completion=%llu "
                 "finish=%s ttft=%.3fs total=%.3fs%s%s\n",
                 id.c_str(), route.c_str(), status,
                 static_cast<unsigned long long>(last->promptTokens),
                 static_cast<unsigned long long>(last->completionTokens),
                 serving::finishReasonName(last->finish), ttft, total,
                 note.empty() ? "" : " ", note.c_str());
  else
    std::fprintf(stderr, "nhc-serve: %s %s %d %s\n", id.c_str(),
                 route.c_str(), status, note.c_str());
}

/// What a streaming response carries between the provider's calls.
struct StreamState {
  std::shared_ptr<serving::RequestStream> stream;
  serving::ApiRequest request;
  std::string id;
  int64_t created = 0;
  Clock::time_point start;
  double ttft = -1.0;
  bool first = true;
  bool finished = false;
  std::vector<int32_t> pendingIds; ///< generated, not yet sent
  GenerationEvent last;
};

std::string sse(const nlohmann::ordered_json &data) {
  return "data: " + serving::toJsonText(data) + "\n\n";
}

} // namespace

Server::Server(serving::Engine &engine, const serving::OpenAiApi &api,
               const Options &options)
    : engine_(engine), api_(api), options_(options),
      http_(std::make_unique<httplib::Server>()) {
  size_t threads = options_.httpThreads;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_payload_max_length(options_.maxBodyBytes);
  // An idle keep-alive connection holds a worker: keep that short.
  http_->set_keep_alive_timeout(5);
  http_->set_read_timeout(60);
  http_->set_write_timeout(60);

  // Bodies come with a Content-Length and no Content-Encoding, so the size
  // limit holds before anything is read (httplib checks only the header;
  // chunked or compressed bodies would be read without bound).
  http_->set_pre_routing_handler([this](const httplib::Request &req,
                                        httplib::Response &res) {
    if (req.method != "POST")
      return httplib::Server::HandlerResponse::Unhandled;
    ApiError error;
    if (req.has_header("Transfer-Encoding") ||
        !req.has_header("Content-Length")) {
      error.status = 411;
      error.message = "send the request body with a Content-Length (chunked "
                      "or unframed bodies are not accepted)";
    } else if (req.has_header("Content-Encoding") &&
               req.get_header_value("Content-Encoding") != "identity") {
      error.status = 415;
      error.message = "compressed request bodies are not accepted "
                      "(Content-Encoding: " +
                      req.get_header_value("Content-Encoding") + ")";
    } else {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    sendError(res, "other", error);
    logRequest("-", req.path.c_str(), error.status, nullptr, 0, 0,
               error.message);
    return httplib::Server::HandlerResponse::Handled;
  });
  http_->Get(kHealth, [this](const httplib::Request &,
                               httplib::Response &res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
    metrics_.countResponse(kHealth, 200);
  });
  http_->Get(kModels, [this](const httplib::Request &,
                                  httplib::Response &res) {
    res.set_content(serving::toJsonText(api_.models(unixSeconds())), "application/json");
    metrics_.countResponse(kModels, 200);
  });
  http_->Get(kMetrics, [this](const httplib::Request &,
                                httplib::Response &res) {
    res.set_content(metrics_.render(engine_.metrics()),
                    "text/plain; version=0.0.4");
  });
  http_->Post(kCompletions,
              [this](const httplib::Request &req, httplib::Response &res) {
                generate(Endpoint::Completions, req, res);
              });
  http_->Post(kChatCompletions,
              [this](const httplib::Request &req, httplib::Response &res) {
                generate(Endpoint::ChatCompletions, req, res);
              });
  // Errors httplib produces itself (404 route, 413 body, 400 framing) get
  // an OpenAI error body too.
  http_->set_error_handler([this](const httplib::Request &req,
                                  httplib::Response &res) {
    if (!res.body.empty())
      return;
    ApiError error;
    error.status = res.status;
    if (res.status == 404) {
      error.type = "not_found_error";
      error.message = "no route " + req.method + " " + req.path + " (try";
      for (const char *route : kRoutes)
        error.message += std::string(" ") + route;
      error.message += ")";
    } else if (res.status == 413) {
      error.message = "the request body is larger than " +
                      std::to_string(options_.maxBodyBytes) +
                      " bytes (--max-body-bytes)";
    } else {
      error.message = "HTTP " + std::to_string(res.status) + " for " +
                      req.method + " " + req.path;
    }
    res.set_content(serving::toJsonText(error.body()), "application/json");
    // Known routes by name; anything else under one label, so clients
    // cannot grow (or write into) the metrics page.
    std::string route = "other";
    for (const char *known : kRoutes)
      if (req.path == known)
        route = known;
    metrics_.countResponse(route, res.status);
    logRequest("-", req.path.c_str(), res.status, nullptr, 0, 0,
               error.message);
  });
}

Server::~Server() = default;

std::string Server::nextId(Endpoint endpoint) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%s-%llx%06llx",
                endpoint == Endpoint::ChatCompletions ? "chatcmpl" : "cmpl",
                static_cast<unsigned long long>(unixSeconds()),
                static_cast<unsigned long long>(++counter_));
  return buffer;
}

void Server::sendError(httplib::Response &response, const std::string &route,
                       const ApiError &error) {
  response.status = error.status;
  response.set_content(serving::toJsonText(error.body()), "application/json");
  metrics_.countResponse(route, error.status);
}

void Server::generate(Endpoint endpoint, const httplib::Request &req,
                      httplib::Response &res) {
  const char *route = routeOf(endpoint);
  Clock::time_point start = Clock::now();
  std::string id = nextId(endpoint);
  serving::ApiRequest request;
  try {
    request = api_.parse(endpoint, req.body);
  } catch (const ApiError &error) {
    sendError(res, route, error);
    logRequest(id, route, error.status, nullptr, 0, 0, error.message);
    return;
  } catch (const std::exception &e) {
    ApiError error;
    error.message = e.what();
    sendError(res, route, error);
    logRequest(id, route, error.status, nullptr, 0, 0, error.message);
    return;
  }
  request.generation.id = id;
  std::shared_ptr<serving::RequestStream> stream;
  std::string message;
  serving::SubmitStatus submitted =
      engine_.submit(request.generation, stream, message);
  if (submitted != serving::SubmitStatus::Ok) {
    ApiError error;
    error.message = message;
    if (submitted != serving::SubmitStatus::InvalidRequest) {
      error.status = 503;
      error.type = "server_busy_error";
      res.set_header("Retry-After", "1");
    }
    sendError(res, route, error);
    logRequest(id, route, error.status, nullptr, 0, 0, message);
    return;
  }
  int64_t created = unixSeconds();

  if (!request.stream) {
    std::string text;
    std::vector<int32_t> tokens;
    GenerationEvent event, last;
    double ttft = -1.0;
    while (!last.done) {
      if (!stream->next(event, kPoll))
        continue;
      if (ttft < 0.0 && !event.tokens.empty())
        ttft = since(start);
      text += event.text;
      tokens.insert(tokens.end(), event.tokens.begin(), event.tokens.end());
      last = std::move(event);
    }
    metrics_.countGeneration(ttft, since(start));
    if (last.finish == FinishReason::Error ||
        last.finish == FinishReason::Cancelled) {
      ApiError error;
      error.status = 500;
      error.type = "server_error";
      error.message = last.error.empty() ? "the request was cancelled"
                                         : last.error;
      sendError(res, route, error);
      logRequest(id, route, 500, &last, ttft, since(start), last.error);
      return;
    }
    res.set_content(serving::toJsonText(
                        api_.response(request, id, created, text, tokens, last)),
                    "application/json");
    metrics_.countResponse(route, 200);
    logRequest(id, route, 200, &last, ttft, since(start), "");
    return;
  }

  // Server-sent events: a chunk per batch of new text, then the finish
  // chunk, the usage chunk if asked, and [DONE].
  auto state = std::make_shared<StreamState>();
  state->stream = stream;
  state->request = request;
  state->id = id;
  state->created = created;
  state->start = start;
  res.set_header("Cache-Control", "no-cache");
  metrics_.countResponse(route, 200);
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, state, route](size_t, httplib::DataSink &sink) {
        if (state->finished) {
          sink.done();
          return true;
        }
        GenerationEvent event;
        while (!state->stream->next(event, kPoll))
          if (!sink.is_writable())
            return false; // the client is gone: the releaser cancels
        if (state->ttft < 0.0 && !event.tokens.empty())
          state->ttft = since(state->start);
        std::string out;
        // A chunk per batch of text; ids that made no text yet (part of a
        // character, a held-back stop prefix, EOS) ride with the next one,
        // unless the client asked for ids: then every batch of ids is sent.
        state->pendingIds.insert(state->pendingIds.end(), event.tokens.begin(),
                                 event.tokens.end());
        bool idsToSend = state->request.returnTokenIds && !event.done &&
                         !state->pendingIds.empty();
        if (!event.text.empty() || state->first || idsToSend) {
          out += sse(api_.chunk(state->request, state->id, state->created,
                                event.text, state->pendingIds,
                                FinishReason::None, state->first));
          state->pendingIds.clear();
        }
        state->first = false;
        if (event.done) {
          state->finished = true;
          state->last = event;
          if (event.finish == FinishReason::Error ||
              event.finish == FinishReason::Cancelled) {
            ApiError error;
            error.status = 500;
            error.type = "server_error";
            error.message = event.error.empty() ? "the request was cancelled"
                                                : event.error;
            out += sse(error.body());
          } else {
            out += sse(api_.chunk(state->request, state->id, state->created,
                                  "", state->pendingIds, event.finish, false));
            if (state->request.includeUsage)
              out += sse(api_.usageChunk(state->request, state->id,
                                         state->created, event));
          }
          out += "data: [DONE]\n\n";
          metrics_.countGeneration(state->ttft, since(state->start));
          logRequest(state->id, route, 200, &state->last, state->ttft,
                     since(state->start), "stream");
        }
        if (!out.empty() && !sink.write(out.data(), out.size()))
          return false;
        if (state->finished)
          sink.done();
        return true;
      },
      [state, route](bool success) {
        if (success || state->finished)
          return;
        // The client went away mid-stream: free the slot now.
        state->stream->cancel();
        logRequest(state->id, route, 200, nullptr, 0, since(state->start),
                   "client disconnected; request cancelled");
      });
}

bool Server::run(std::string &error) {
  int port = static_cast<int>(options_.port);
  if (port == 0) {
    port = http_->bind_to_any_port(options_.host);
    if (port < 0) {
      error = "cannot bind " + options_.host + " to any port";
      return false;
    }
  } else if (!http_->bind_to_port(options_.host, port)) {
    error = "cannot bind " + options_.host + ":" + std::to_string(port) +
            " (in use, or no permission)";
    return false;
  }
  std::printf("nhc-serve: listening on http://%s:%d\n", options_.host.c_str(),
              port);
  std::fflush(stdout);
  if (!http_->listen_after_bind()) {
    error = "the listening socket failed";
    return false;
  }
  return true;
}

void Server::stop() { http_->stop(); }

} // namespace nhc::serve
