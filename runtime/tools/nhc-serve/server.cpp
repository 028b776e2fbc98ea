//===- server.cpp - nhc-serve's HTTP routes (cpp-httplib) -----------------===//

#include "server.h"

#include "nhc/runtime/escape.h"
#include "../common/command_line.h"

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <system_error>
#include <thread>
#include <unistd.h>

#include <httplib.h>
#include <string_view>

// HttpServer overrides httplib's connection loop, written against 0.11
// (Debian 12): its process_and_close_socket, process_request and members.
static_assert(std::string_view(CPPHTTPLIB_VERSION).substr(0, 5) == "0.11.",
              "nhc-serve's HttpServer is written against cpp-httplib 0.11; "
              "review it for this version");

namespace nhc::serve {
namespace {

using Clock = std::chrono::steady_clock;
using serving::ApiError;
using serving::Endpoint;
using serving::FinishReason;
using serving::GenerationEvent;

constexpr std::chrono::milliseconds kPoll{50};
/// The status a non-streamed request whose client left is counted and
/// logged with: no answer is read, and it is not a server error (nginx's
/// "client closed request").
constexpr int kClientClosedRequest = 499;

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

/// The methods a route answers ("POST", "GET, HEAD"), or nullptr for a
/// path that is no route.
const char *allowedMethods(const std::string &path) {
  if (path == kCompletions || path == kChatCompletions)
    return "POST";
  for (const char *known : kRoutes)
    if (path == known)
      return "GET, HEAD";
  return nullptr;
}

const char *routeOf(Endpoint endpoint) {
  return endpoint == Endpoint::ChatCompletions ? kChatCompletions
                                               : kCompletions;
}

/// The metrics label of a path: known routes by name, anything else under
/// one label, so clients cannot grow (or write into) the metrics page.
std::string routeLabel(const std::string &path) {
  for (const char *known : kRoutes)
    if (path == known)
      return known;
  return "other";
}

/// `text` as a log line may show it: control characters, direction
/// overrides and bytes that are not UTF-8 escaped (nhc/runtime/escape.h),
/// so a path or message from a client cannot add lines to the log, drive
/// the terminal or make the log invalid UTF-8.
std::string printable(const std::string &text) {
  return nhc::escapeControls(text);
}

/// One line per request on stderr (ttft=none: no token was generated,
/// as for echo with max_tokens 0; `ttft` is then negative).
void logRequest(const std::string &id, const char *rawRoute, int status,
                const GenerationEvent *last, double ttft, double total,
                const std::string &rawNote) {
  const std::string route = printable(rawRoute);
  const std::string note = printable(rawNote);
  char ttftText[32] = "none";
  if (ttft >= 0.0)
    std::snprintf(ttftText, sizeof ttftText, "%.3fs", ttft);
  if (last)
    std::fprintf(stderr,
                 "nhc-serve: %s %s %d prompt=%llu completion=%llu "
                 "finish=%s ttft=%s total=%.3fs%s%s\n",
                 id.c_str(), route.c_str(), status,
                 static_cast<unsigned long long>(last->promptTokens),
                 static_cast<unsigned long long>(last->completionTokens),
                 serving::finishReasonName(last->finish), ttftText, total,
                 note.empty() ? "" : " ", note.c_str());
  else
    std::fprintf(stderr, "nhc-serve: %s %s %d %s\n", id.c_str(),
                 route.c_str(), status, note.c_str());
}

/// One request's totals over its choices (each its events merged), for
/// the log line: its prompts' tokens (each once, as its usage), every
/// choice's generated tokens, the first choice's finish, or `failure`'s.
GenerationEvent summarize(const serving::ApiRequest &request,
                          const std::vector<GenerationEvent> &outputs,
                          const GenerationEvent *failure) {
  GenerationEvent summary;
  summary.done = true;
  summary.promptTokens = request.promptTokens();
  for (const GenerationEvent &o : outputs)
    summary.completionTokens += o.completionTokens;
  summary.finish = failure ? failure->finish
                   : outputs.empty() ? FinishReason::None
                                     : outputs.front().finish;
  return summary;
}

/// A failed request's answer: 500 with its error (or that it was
/// cancelled).
ApiError failureError(const GenerationEvent &failure) {
  ApiError error;
  error.status = 500;
  error.type = "server_error";
  error.message =
      failure.error.empty() ? "the request was cancelled" : failure.error;
  return error;
}

/// Reads the events of a response's choices as they come: with one choice
/// it waits on it; with several it takes whichever has one (round robin),
/// waiting briefly on one between sweeps.
class ChoiceReader {
public:
  explicit ChoiceReader(
      std::vector<std::shared_ptr<serving::RequestStream>> streams)
      : streams_(std::move(streams)), done_(streams_.size(), false) {}

  /// The next event of an unfinished choice, false after a wait without
  /// one (up to kPoll). A final event marks its choice done.
  bool next(GenerationEvent &event, size_t &which) {
    const size_t count = streams_.size();
    const std::chrono::milliseconds sweep =
        count == 1 ? kPoll : std::chrono::milliseconds(0);
    for (size_t k = 0; k < count; ++k) {
      size_t i = (turn_ + k) % count;
      if (!done_[i] && streams_[i]->next(event, sweep))
        return take(event, i, which);
    }
    if (count > 1)
      for (size_t i = 0; i < count; ++i)
        if (!done_[i])
          return streams_[i]->next(event, std::chrono::milliseconds(5)) &&
                 take(event, i, which);
    return false;
  }
  bool allDone() const {
    return std::all_of(done_.begin(), done_.end(), [](bool d) { return d; });
  }
  size_t size() const { return streams_.size(); }
  void cancelAll() {
    for (auto &stream : streams_)
      stream->cancel();
  }

private:
  bool take(const GenerationEvent &event, size_t i, size_t &which) {
    which = i;
    turn_ = (i + 1) % streams_.size();
    if (event.done)
      done_[i] = true;
    return true;
  }
  std::vector<std::shared_ptr<serving::RequestStream>> streams_;
  std::vector<bool> done_;
  size_t turn_ = 0;
};

/// One choice of a streaming response.
struct ChoiceState {
  bool first = true;
  std::vector<int32_t> pendingIds; ///< generated, not yet sent
  std::vector<serving::PickLogprobs> pendingLogprobs; ///< theirs, if asked
  std::vector<serving::PickLogprobs> promptLogprobs;  ///< echo's, until sent
  uint64_t textOffset = 0; ///< completions' logprobs.text_offset so far
  uint64_t generated = 0;  ///< ids generated so far
  GenerationEvent last;
};

/// What a streaming response carries between the provider's calls.
struct StreamState {
  explicit StreamState(
      std::vector<std::shared_ptr<serving::RequestStream>> streams)
      : reader(std::move(streams)), choices(reader.size()) {}
  ChoiceReader reader;
  std::vector<ChoiceState> choices;
  serving::ApiRequest request;
  std::string id;
  int64_t created = 0;
  Clock::time_point start;
  double ttft = -1.0;
  bool finished = false;

  GenerationEvent summary() const {
    std::vector<GenerationEvent> outputs(choices.size());
    const GenerationEvent *failure = nullptr;
    for (size_t i = 0; i < choices.size(); ++i) {
      outputs[i] = choices[i].last;
      if (!failure && choices[i].last.done && serving::failed(choices[i].last))
        failure = &choices[i].last;
    }
    return summarize(request, outputs, failure);
  }
};

std::string sse(const nlohmann::ordered_json &data) {
  return "data: " + serving::toJsonText(data) + "\n\n";
}

// Connection limits (docs/serving.md). httplib 0.11's own socket loop has
// only a per-read timeout, so a client sending a byte every few seconds, or
// never sending the body it announced, holds a worker for minutes; and it
// cannot close a connection after refusing a request whose body it did not
// read. nhc-serve runs the connection loop itself (HttpServer below).
constexpr int kIdleSeconds = 5;  ///< keep-alive wait; a pause in the head
constexpr int kHeadSeconds = 5;  ///< the request line and headers, in all
/// A request body: at most this pause (a lost packet's retransmissions
/// can stall a few seconds), and in all kBodySeconds plus a second per
/// kBodyBytesPerSecond of its Content-Length (a slow but steady upload of
/// a large body is not cut off).
constexpr int kBodyPauseSeconds = 10;
constexpr int kBodySeconds = 30;
constexpr uint64_t kBodyBytesPerSecond = 64 * 1024;
constexpr int kWriteSeconds = 10; ///< a client not reading its response
/// The request line and headers together (httplib bounds each line only,
/// and keeps every header in memory).
constexpr size_t kMaxHeadBytes = 64 * 1024;
/// After refusing a request whose body was not read, read and drop what
/// the client still sends for this long, so its socket is not reset before
/// it reads the answer (a lingering close, as nginx does).
constexpr std::chrono::milliseconds kLinger{2000};

/// The connection this worker thread serves: lets the route handlers
/// (which see only httplib's Request) end the read deadlines, and close the
/// connection after the response.
struct Connection {
  Clock::time_point deadline; ///< for the request being read
  bool timedOut = false;      ///< a read hit a timeout or the deadline
  bool headDone = false;      ///< the request line and headers are read
  size_t headBytes = 0;       ///< of the request line and headers so far
  bool headTooLarge = false;  ///< they passed kMaxHeadBytes
  bool headNewline = false;   ///< the head's last byte read was a newline
  bool obsFold = false;       ///< a head line began with a space or tab
  bool close = false;         ///< close after this response
  bool unreadBody = false;    ///< the client may still be sending a body
  const class SocketStream *socket = nullptr; ///< the connection's stream
};
thread_local Connection *currentConnection = nullptr;

/// Answer, then close the connection; `unreadBody`: the request's body (if
/// any) was not read, so it must not be parsed as the next request.
void closeAfterResponse(bool unreadBody) {
  if (currentConnection) {
    currentConnection->close = true;
    currentConnection->unreadBody |= unreadBody;
  }
}

bool readTimedOut() {
  return currentConnection && currentConnection->timedOut;
}

/// A POST's Content-Length must be one decimal byte count (several
/// headers only if equal, RFC 9112 6.3) within the body limit: else 400 or
/// 413 in `error`, true.
bool contentLengthError(const httplib::Request &req, uint64_t maxBodyBytes,
                        ApiError &error) {
  auto shown = [](const std::string &value) {
    return "'" + (value.size() > 32 ? value.substr(0, 32) + "..." : value) +
           "'";
  };
  auto range = req.headers.equal_range("Content-Length");
  const std::string &value = range.first->second;
  for (auto it = range.first; it != range.second; ++it)
    if (it->second != value) {
      error.message = "conflicting Content-Length headers (" + shown(value) +
                      " and " + shown(it->second) +
                      "): the body's length is ambiguous";
      return true;
    }
  bool digits = !value.empty() && value.size() <= 19 &&
                std::all_of(value.begin(), value.end(),
                            [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    error.message = "invalid Content-Length header " + shown(value) +
                    " (expected the body's size in bytes, a decimal number)";
    return true;
  }
  uint64_t length = 0; // past 2^64 is past any limit too
  if (!nhc::tools::parseUInt(value, length) || length > maxBodyBytes) {
    error.status = 413;
    error.message = "the request body is larger than " +
                    std::to_string(maxBodyBytes) +
                    " bytes (--max-body-bytes): Content-Length " + value;
    return true;
  }
  return false;
}

/// What httplib reads: a socket with nhc-serve's deadlines. One per
/// connection, so bytes read ahead (a pipelined request) are not lost.
class SocketStream : public httplib::Stream {
public:
  explicit SocketStream(int sock) : sock_(sock) {}

  /// Bytes read but not consumed yet.
  bool buffered() const { return begin_ < end_; }

  bool is_readable() const override { return buffered() || wait(POLLIN); }
  /// The peer is still there (as httplib's own stream checks: a streamed
  /// generation whose client left stops at its next check, not after its
  /// writes fail) and takes bytes within kWriteSeconds.
  bool is_writable() const override {
    return peerAlive() &&
           poll1(POLLOUT, std::chrono::seconds(kWriteSeconds)) > 0;
  }

  ssize_t read(char *ptr, size_t size) override {
    if (!buffered()) {
      if (!wait(POLLIN))
        return -1;
      ssize_t n;
      do
        n = ::recv(sock_, buffer_, sizeof(buffer_), 0);
      while (n < 0 && errno == EINTR);
      if (n <= 0)
        return n;
      begin_ = 0;
      end_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, end_ - begin_);
    if (Connection *c = currentConnection; c && !c->headDone) {
      if (c->headBytes + n > kMaxHeadBytes) {
        c->headTooLarge = true;
        return -1;
      }
      c->headBytes += n;
      // A line that starts with whitespace continues the header before it
      // (obsolete line folding), which httplib would drop silently.
      for (size_t i = 0; i < n; ++i) {
        char byte = buffer_[begin_ + i];
        c->obsFold |= c->headNewline && (byte == ' ' || byte == '\t');
        c->headNewline = byte == '\n';
      }
    }
    std::copy(buffer_ + begin_, buffer_ + begin_ + n, ptr);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char *ptr, size_t size) override {
    if (!is_writable())
      return -1;
    ssize_t n;
    do
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string &ip, int &port) const override {
    address(::getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string &ip, int &port) const override {
    address(::getsockname, ip, port);
  }
  socket_t socket() const override { return sock_; }

  /// False once the peer closed or reset: a hang-up, an error, or an end of
  /// input with nothing left to read (a pipelined request still counts).
  bool peerAlive() const {
    pollfd p{sock_, static_cast<short>(POLLIN | POLLRDHUP), 0};
    int r;
    do
      r = ::poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
      return r == 0;
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
      return false;
    if (buffered())
      return true;
    char byte;
    ssize_t n;
    do
      n = ::recv(sock_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }

private:
  int poll1(short events, std::chrono::milliseconds timeout) const {
    pollfd p{sock_, events, 0};
    int r;
    do
      r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    while (r < 0 && errno == EINTR);
    return r;
  }

  /// Readable within the idle timeout and the request's deadline; else
  /// records the timeout.
  bool wait(short events) const {
    Connection *c = currentConnection;
    auto timeout = std::chrono::milliseconds(
        (c && c->headDone ? kBodyPauseSeconds : kIdleSeconds) * 1000);
    if (c)
      timeout = std::min(timeout,
                         std::chrono::duration_cast<std::chrono::milliseconds>(
                             c->deadline - Clock::now()));
    if (timeout.count() > 0 && poll1(events, timeout) > 0)
      return true;
    if (c)
      c->timedOut = true;
    return false;
  }

  template <typename GetName>
  void address(GetName getName, std::string &ip, int &port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    ip.clear();
    port = 0;
    if (getName(sock_, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
      return;
    char text[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      auto *in = reinterpret_cast<sockaddr_in *>(&addr);
      ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
      port = ntohs(in->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      auto *in = reinterpret_cast<sockaddr_in6 *>(&addr);
      ::inet_ntop(AF_INET6, &in->sin6_addr, text, sizeof(text));
      port = ntohs(in->sin6_port);
    }
    ip = text;
  }

  int sock_;
  char buffer_[4096];
  size_t begin_ = 0, end_ = 0;
};

/// The client of the request this worker thread serves closed or reset its
/// connection (a non-streamed request notices so, as a streamed one does
/// when it cannot write).
bool clientLeft() {
  return currentConnection && currentConnection->socket &&
         !currentConnection->socket->peerAlive();
}

/// The HTTP workers, started before the server says it listens, so that a
/// thread that cannot be created is an error message, not an abort
/// (httplib's ThreadPool throws from its constructor, with threads running).
class WorkerPool : public httplib::TaskQueue {
public:
  ~WorkerPool() override { shutdown(); }

  bool start(size_t count, std::string &error) {
    try {
      while (threads_.size() < count)
        threads_.emplace_back([this] { work(); });
    } catch (const std::system_error &e) {
      error = "cannot start " + std::to_string(count) +
              " HTTP worker threads (--http-threads; " +
              std::to_string(threads_.size()) + " started): " + e.what();
      shutdown();
      return false;
    }
    return true;
  }

  void enqueue(std::function<void()> job) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!stopping_) {
        jobs_.push_back(std::move(job));
        job = nullptr;
      }
    }
    // Stopping: no worker would run it, so it runs here (it sees the
    // server stopped and closes its connection).
    if (job)
      job();
    else
      ready_.notify_one();
  }

  /// Connections wait for a worker.
  bool backlogged() {
    std::lock_guard<std::mutex> lock(mutex_);
    return !jobs_.empty();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread &t : threads_)
      if (t.joinable())
        t.join();
    threads_.clear();
  }

private:
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty())
          return; // stopping, and every accepted connection served
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

/// Forwards to the server's WorkerPool: httplib deletes the queue it gets.
class PoolHandle : public httplib::TaskQueue {
public:
  explicit PoolHandle(WorkerPool &pool) : pool_(pool) {}
  void enqueue(std::function<void()> job) override {
    pool_.enqueue(std::move(job));
  }
  void shutdown() override { pool_.shutdown(); }

private:
  WorkerPool &pool_;
};

} // namespace

/// httplib's server with nhc-serve's connection loop: per-request read
/// deadlines, a close after refusals and timeouts, and a lingering close
/// when a body may be left unread. (Overrides httplib's private virtual
/// process_and_close_socket; process_request is protected.)
class HttpServer : public httplib::Server {
public:
  bool startWorkers(size_t count, std::string &error) {
    if (!pool_.start(count, error))
      return false;
    new_task_queue = [this] { return new PoolHandle(pool_); };
    return true;
  }

private:
  bool process_and_close_socket(socket_t sock) override {
    SocketStream stream(sock);
    Connection connection;
    currentConnection = &connection;
    bool ok = false;
    for (size_t left = keep_alive_max_count_; left > 0; --left) {
      bool served = left != keep_alive_max_count_;
      if (!stream.buffered() && !waitForRequest(sock, served))
        break;
      connection = Connection();
      connection.socket = &stream;
      connection.deadline = Clock::now() + std::chrono::seconds(kHeadSeconds);
      bool closed = false;
      ok = process_request(stream, left == 1, closed, prepareRequest);
      if (!ok || closed || connection.close || connection.timedOut)
        break;
    }
    currentConnection = nullptr;
    if (connection.unreadBody) {
      // Answered without reading the body: let the client finish sending
      // (and read the answer) before the socket goes, bounded in time, and
      // not while other connections wait for a worker.
      ::shutdown(sock, SHUT_WR);
      auto end = Clock::now() + kLinger;
      char sink[16384];
      while (Clock::now() < end) {
        pollfd p{sock, POLLIN, 0};
        int r = ::poll(&p, 1, 100);
        if (r < 0 && errno == EINTR)
          continue;
        if (r < 0 || (r == 0 && pool_.backlogged()) ||
            (r > 0 && ::recv(sock, sink, sizeof(sink), 0) <= 0))
          break;
      }
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }

  /// Called by process_request once the head is parsed (its Range too),
  /// before the Expect handler, routing and any response.
  static void prepareRequest(httplib::Request &req) {
    // Range is defined for GET only (RFC 9110 14.2), and every answer here
    // (refusals included) is one whole document: a Range is ignored, never
    // a 206 with part of one. (A malformed Range httplib answers 416
    // before this.)
    req.ranges.clear();
    // Every body is read as JSON, whatever its Content-Type: curl -d sends
    // JSON as a form, which httplib would refuse past 8 KiB (its form
    // limit, 413) instead of reading it.
    if (req.get_header_value("Content-Type")
            .rfind("application/x-www-form-urlencoded", 0) == 0)
      req.headers.erase("Content-Type");
  }

  /// A request starts within the keep-alive time (checked in slices, so
  /// stop() is not kept waiting). An idle keep-alive connection (one that
  /// has `served` a request) gives its worker up at once when other
  /// connections wait for one; a new one gets its full time.
  bool waitForRequest(socket_t sock, bool served) {
    auto end = Clock::now() + std::chrono::seconds(kIdleSeconds);
    while (svr_sock_ != INVALID_SOCKET && Clock::now() < end) {
      pollfd p{sock, POLLIN, 0};
      int r = ::poll(&p, 1, 100);
      if (r < 0 && errno == EINTR)
        continue;
      if (r != 0)
        return r > 0;
      if (served && pool_.backlogged())
        return false;
    }
    return false;
  }

  WorkerPool pool_;
};

Server::Server(serving::Engine &engine, const serving::OpenAiApi &api,
               const Options &options)
    : engine_(engine), api_(api), options_(options),
      http_(std::make_unique<HttpServer>()) {
  http_->set_payload_max_length(options_.maxBodyBytes);
  // httplib's default sets SO_REUSEPORT, which lets a second server bind
  // the same port and take a share of its connections: SO_REUSEADDR only
  // (a restart may still bind while old connections linger in TIME_WAIT).
  http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // The connection loop (HttpServer) applies nhc-serve's own deadlines;
  // these are httplib's, kept consistent with them.
  http_->set_keep_alive_timeout(kIdleSeconds);
  http_->set_read_timeout(kIdleSeconds);
  http_->set_write_timeout(kWriteSeconds);

  // The request line and headers are in, the body is not read yet. Bodies
  // come with one valid Content-Length within the limit and no
  // Content-Encoding, so the size limit holds before anything is read
  // (httplib would read chunked, unframed or compressed bodies without
  // bound, take the first of two Content-Lengths, and read `-1` as 2^64-1).
  // A refused request's body is never read: the connection closes. True
  // when `req` is refused (answered in `res`).
  auto refuseBeforeBody = [this](const httplib::Request &req,
                                 httplib::Response &res) {
    bool framed = req.has_header("Transfer-Encoding") ||
                  req.has_header("Content-Length");
    ApiError error;
    // Answered at once; the body is never read, the connection closes.
    auto refuse = [&] {
      sendError(res, routeLabel(req.path), error);
      closeAfterResponse(true);
      logRequest("-", req.path.c_str(), error.status, nullptr, 0, 0,
                 error.message);
      return true;
    };
    // RFC 9112 5.2: a folded header line is refused, not read as a
    // different value than the client (or a proxy before it) meant.
    if (currentConnection && currentConnection->obsFold) {
      error.message = "malformed headers: a line starts with whitespace "
                      "(obsolete line folding, RFC 9112 5.2)";
      return refuse();
    }
    // RFC 9112 5.1: no whitespace between a field name and its colon (a
    // "Transfer-Encoding :" that a proxy reads as framing must not be read
    // here as an unknown header), and no NUL or other control byte in a
    // name or value (tab aside).
    for (const auto &[name, value] : req.headers) {
      bool badName = name.empty() ||
                     std::any_of(name.begin(), name.end(), [](char c) {
                       return static_cast<unsigned char>(c) <= ' ' ||
                              c == 0x7f;
                     });
      bool badValue = std::any_of(value.begin(), value.end(), [](char c) {
        return (static_cast<unsigned char>(c) < ' ' && c != '\t') ||
               c == 0x7f;
      });
      if (badName || badValue) {
        error.message = std::string("malformed header ") +
                        (badName ? "name " : "value of ") +
                        nhc::quoteForMessage(name, '\'') +
                        (badName ? " (whitespace or a control byte)"
                                 : " (a control byte)");
        return refuse();
      }
    }
    if (req.method == "GET" || req.method == "HEAD") {
      // httplib does not read their bodies: one sent would be read as the
      // next request.
      if (framed && req.get_header_value("Content-Length") != "0")
        closeAfterResponse(true);
      return false;
    }
    if (req.method != "POST") {
      error.status = 405;
      error.message = "method " + req.method +
                      " is not allowed: this server answers GET, HEAD and POST";
      res.set_header("Allow", "GET, HEAD, POST");
    } else if (req.has_header("Transfer-Encoding") ||
               !req.has_header("Content-Length")) {
      error.status = 411;
      error.message = "send the request body with a Content-Length (chunked "
                      "or unframed bodies are not accepted)";
    } else if (!contentLengthError(req, options_.maxBodyBytes, error)) {
      if (req.has_header("Content-Encoding") &&
          req.get_header_value("Content-Encoding") != "identity") {
        error.status = 415;
        error.message = "compressed request bodies are not accepted "
                        "(Content-Encoding: " +
                        req.get_header_value("Content-Encoding") + ")";
      } else if (req.get_header_value("Content-Type").rfind("multipart/", 0) ==
                 0) {
        // httplib would hand the parts to a form parser, not the body.
        error.status = 415;
        error.message = "request bodies are JSON (Content-Type: "
                        "application/json), not " +
                        nhc::quoteForMessage(
                            req.get_header_value("Content-Type"), '\'');
      } else {
        return false;
      }
    }
    return refuse();
  };
  http_->set_pre_routing_handler([refuseBeforeBody](
                                     const httplib::Request &req,
                                     httplib::Response &res) {
    if (currentConnection)
      currentConnection->headDone = true;
    if (refuseBeforeBody(req, res))
      return httplib::Server::HandlerResponse::Handled;
    if (currentConnection) {
      // Checked above: a POST's Content-Length is a valid byte count.
      uint64_t length =
          req.method == "POST"
              ? std::stoull(req.get_header_value("Content-Length"))
              : 0;
      currentConnection->deadline =
          Clock::now() + std::chrono::seconds(kBodySeconds) +
          std::chrono::seconds(length / kBodyBytesPerSecond);
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // httplib answers "Expect: 100-continue" before routing: the same checks,
  // so a refused body is never sent.
  http_->set_expect_100_continue_handler(
      [refuseBeforeBody](const httplib::Request &req, httplib::Response &res) {
        return refuseBeforeBody(req, res) ? res.status : 100;
      });
  // A connection that closes says so (httplib adds Keep-Alive otherwise).
  http_->set_post_routing_handler([](const httplib::Request &,
                                     httplib::Response &res) {
    if (!currentConnection || !currentConnection->close)
      return;
    res.headers.erase("Keep-Alive");
    res.headers.erase("Connection");
    res.set_header("Connection", "close");
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
  // Errors httplib produces itself (404 route; 400 framing, timeouts, 414)
  // get an OpenAI error body too. After any but a 404 the connection's
  // framing is in doubt: it closes.
  http_->set_error_handler([this](const httplib::Request &req,
                                  httplib::Response &res) {
    if (!res.body.empty())
      return;
    ApiError error;
    // Unread bytes (a body, the rest of a head) may follow: linger.
    if (res.status != 404)
      closeAfterResponse(true);
    bool headDone = currentConnection && currentConnection->headDone;
    if (const char *allowed = allowedMethods(req.path);
        res.status == 404 && allowed) {
      res.status = 405;
      error.message = "method " + req.method + " is not allowed on " +
                      req.path + ": use " + allowed;
      res.set_header("Allow", allowed);
    } else if (res.status == 404) {
      error.type = "not_found_error";
      error.message = "no route " + req.method + " " + req.path + " (try";
      for (const char *route : kRoutes)
        error.message += std::string(" ") + route;
      error.message += ")";
    } else if (res.status == 413) {
      error.message = "the request body is larger than " +
                      std::to_string(options_.maxBodyBytes) +
                      " bytes (--max-body-bytes)";
    } else if (res.status == 400 && currentConnection &&
               currentConnection->headTooLarge) {
      res.status = 431;
      error.message = "the request line and headers are larger than " +
                      std::to_string(kMaxHeadBytes) + " bytes";
    } else if (res.status == 400 && headDone) {
      // The body ended early: a pause, the deadline, or a closed socket.
      res.status = readTimedOut() ? 408 : 400;
      error.message =
          "the request body ended after " + std::to_string(req.body.size()) +
          " of its Content-Length " + req.get_header_value("Content-Length") +
          " bytes" +
          (readTimedOut()
               ? " (a body may pause " + std::to_string(kBodyPauseSeconds) +
                     " s and take " + std::to_string(kBodySeconds) +
                     " s plus 1 s per " +
                     std::to_string(kBodyBytesPerSecond / 1024) +
                     " KiB in all)"
               : "");
    } else if (res.status == 400 && readTimedOut()) {
      res.status = 408;
      error.message = "the request line and headers did not arrive within " +
                      std::to_string(kHeadSeconds) + " s";
    } else if (res.status == 400) {
      static const char *methods[] = {"GET",     "HEAD",    "POST",
                                      "PUT",     "DELETE",  "CONNECT",
                                      "OPTIONS", "TRACE",   "PATCH", "PRI"};
      bool lineOk = (req.version == "HTTP/1.1" || req.version == "HTTP/1.0") &&
                    !req.path.empty() &&
                    std::find(std::begin(methods), std::end(methods),
                              req.method) != std::end(methods);
      error.message = lineOk ? "malformed HTTP request headers"
                             : "malformed HTTP request line (expected "
                               "'METHOD /path HTTP/1.1')";
    } else if (res.status == 414) {
      error.message = "the request line is too long";
    } else {
      error.message = "HTTP " + std::to_string(res.status) + " for " +
                      (req.method.empty() ? "a malformed request"
                                          : req.method + " " + req.path);
    }
    error.status = res.status;
    res.set_content(serving::toJsonText(error.body()), "application/json");
    metrics_.countResponse(routeLabel(req.path), res.status);
    logRequest("-", req.path.empty() ? "-" : req.path.c_str(), res.status,
               nullptr, 0, 0, error.message);
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
  // One engine request per choice (prompts times n), queued together: all
  // or none.
  const size_t numChoices = request.numChoices();
  std::vector<std::shared_ptr<serving::RequestStream>> streams;
  std::vector<serving::GenerationRequest> choices;
  for (size_t i = 0; i < numChoices; ++i) {
    choices.push_back(request.choice(i));
    choices.back().id = numChoices == 1 ? id : id + "/" + std::to_string(i);
  }
  std::string message, param;
  size_t failed = 0;
  serving::SubmitStatus submitted = serving::SubmitStatus::Ok;
  if (!request.needsEngine()) {
    // Echo of the prompt alone: checked as the engine checks a request
    // (as one that would generate a token: the engine runs none of max
    // tokens 0 without logprobs), then one final event per choice, no slot.
    for (size_t i = 0; i < numChoices && submitted == serving::SubmitStatus::Ok;
         ++i) {
      serving::GenerationRequest asIfOne = choices[i];
      asIfOne.maxTokens = 1;
      if ((submitted = engine_.validate(asIfOne, message, &param)) !=
          serving::SubmitStatus::Ok)
        failed = i;
    }
    for (size_t i = 0; i < numChoices && submitted == serving::SubmitStatus::Ok;
         ++i) {
      streams.push_back(std::make_shared<serving::RequestStream>());
      GenerationEvent done;
      done.done = true;
      done.finish = FinishReason::Length;
      done.promptTokens = choices[i].prompt.size();
      streams.back()->push(std::move(done));
    }
  } else {
    submitted = engine_.submitAll(std::move(choices), streams, message, &param,
                                  &failed);
  }
  if (submitted != serving::SubmitStatus::Ok) {
    ApiError error;
    error.message = message;
    // A chat request's prompt is its rendered messages; a list's, its own.
    error.param = param == "prompt" ? request.promptName(failed / request.n)
                  : param == "n" && request.n == 1 ? "prompt"
                                                   : param;
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
    std::vector<GenerationEvent> outputs(numChoices);
    std::optional<size_t> firstFailure; // the one that cancelled the others
    ChoiceReader reader(streams);
    GenerationEvent event;
    double ttft = -1.0;
    bool clientGone = false;
    Clock::time_point nextCheck = Clock::now() + kPoll;
    // The choices run at once in the engine; their events are read as they
    // come, so a failure cancels the others at once.
    size_t which = 0;
    while (!reader.allDone()) {
      // Queued or running, a request nobody waits for gives its place up.
      if (!clientGone && Clock::now() >= nextCheck) {
        nextCheck = Clock::now() + kPoll;
        if (clientLeft()) {
          clientGone = true;
          reader.cancelAll();
        }
      }
      if (!reader.next(event, which))
        continue;
      if (ttft < 0.0 && !event.tokens.empty())
        ttft = since(start);
      const bool choiceFailed = event.done && serving::failed(event);
      serving::mergeEvent(outputs[which], std::move(event));
      if (choiceFailed && !firstFailure) {
        firstFailure = which;
        reader.cancelAll(); // the answer is an error: free the others
      }
    }
    metrics_.countGeneration(ttft, since(start));
    const GenerationEvent *failure =
        firstFailure ? &outputs[*firstFailure] : nullptr;
    const GenerationEvent summary = summarize(request, outputs, failure);
    if (clientGone) {
      // Nobody reads the answer; not a server error (nginx's 499). Its
      // body keeps httplib's error handler from counting it again.
      ApiError gone;
      gone.status = kClientClosedRequest;
      gone.type = "client_closed_request";
      gone.message = "client disconnected; request cancelled";
      sendError(res, route, gone);
      logRequest(id, route, kClientClosedRequest, &summary, ttft, since(start),
                 gone.message);
      return;
    }
    if (failure) {
      sendError(res, route, failureError(*failure));
      logRequest(id, route, 500, &summary, ttft, since(start),
                 failure->error);
      return;
    }
    res.set_content(serving::toJsonText(
                        api_.response(request, id, created, outputs)),
                    "application/json");
    metrics_.countResponse(route, 200);
    logRequest(id, route, 200, &summary, ttft, since(start), "");
    return;
  }

  // Server-sent events: a chunk per batch of new text of a choice, then
  // each choice's finish chunk, the usage chunk if asked, and [DONE].
  auto state = std::make_shared<StreamState>(std::move(streams));
  state->request = request;
  state->id = id;
  state->created = created;
  state->start = start;
  res.set_header("Cache-Control", "no-cache");
  metrics_.countResponse(route, 200);
  ++openStreams_;
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, state, route](size_t, httplib::DataSink &sink) {
        if (state->finished) {
          sink.done();
          return true;
        }
        GenerationEvent event;
        size_t which = 0;
        while (!state->reader.next(event, which))
          if (!sink.is_writable())
            return false; // the client is gone: the releaser cancels
        ChoiceState &choice = state->choices[which];
        if (state->ttft < 0.0 && !event.tokens.empty())
          state->ttft = since(state->start);
        std::string out;
        // A chunk per batch of text; ids that made no text yet (part of a
        // character, a held-back stop prefix, EOS) ride with the next one,
        // unless the client asked for ids: then every batch of ids is sent.
        choice.pendingIds.insert(choice.pendingIds.end(), event.tokens.begin(),
                                 event.tokens.end());
        choice.generated += event.tokens.size();
        // stream_options.continuous_usage_stats: each chunk carries its
        // choice's usage so far (vLLM's form; the usage chunk keeps the
        // request's total).
        auto withUsage = [&](nlohmann::ordered_json chunk) {
          if (state->request.continuousUsage)
            chunk["usage"] =
                api_.choiceUsage(state->request, which, choice.generated);
          return chunk;
        };
        choice.pendingLogprobs.insert(choice.pendingLogprobs.end(),
                                      event.logprobs.begin(),
                                      event.logprobs.end());
        choice.promptLogprobs.insert(choice.promptLogprobs.end(),
                                     event.promptLogprobs.begin(),
                                     event.promptLogprobs.end());
        bool idsToSend = state->request.returnTokenIds && !event.done &&
                         !choice.pendingIds.empty();
        const bool choiceFailed = event.done && serving::failed(event);
        if (!choiceFailed &&
            (!event.text.empty() || choice.first || idsToSend)) {
          out += sse(withUsage(api_.chunk(
              state->request, state->id, state->created, which, event.text,
              choice.pendingIds, choice.pendingLogprobs, choice.promptLogprobs,
              choice.textOffset, FinishReason::None, choice.first)));
          choice.pendingIds.clear();
          choice.pendingLogprobs.clear();
        }
        choice.first = false;
        if (event.done) {
          choice.last = event;
          if (choiceFailed) {
            // The stream ends here: the other choices are cancelled and
            // read to their end first, so their slots are free when the
            // client sees [DONE] (the engine frees a slot before it
            // publishes the final event).
            state->reader.cancelAll();
            GenerationEvent rest;
            size_t other = 0;
            while (!state->reader.allDone())
              if (state->reader.next(rest, other) && rest.done)
                state->choices[other].last = rest; // for the log line
            out += sse(failureError(event).body());
            state->finished = true;
          } else {
            out += sse(withUsage(api_.chunk(
                state->request, state->id, state->created, which, "",
                choice.pendingIds, choice.pendingLogprobs, {},
                choice.textOffset, event.finish, false)));
            state->finished = state->reader.allDone();
            if (state->finished && state->request.includeUsage) {
              uint64_t generated = 0;
              for (const ChoiceState &c : state->choices)
                generated += c.last.completionTokens;
              out += sse(api_.usageChunk(state->request, state->id,
                                         state->created, generated));
            }
          }
          if (state->finished) {
            out += "data: [DONE]\n\n";
            metrics_.countGeneration(state->ttft, since(state->start));
            const GenerationEvent summary = state->summary();
            logRequest(state->id, route, 200, &summary, state->ttft,
                       since(state->start), "stream");
          }
        }
        if (!out.empty() && !sink.write(out.data(), out.size()))
          return false;
        if (state->finished)
          sink.done();
        return true;
      },
      [this, state, route](bool success) {
        --openStreams_;
        if (success || state->finished)
          return;
        // The client went away mid-stream: free the slots now.
        state->reader.cancelAll();
        logRequest(state->id, route, 200, nullptr, 0, since(state->start),
                   "client disconnected; request cancelled");
      });
}

bool Server::run(std::string &error) {
  if (!http_->startWorkers(options_.httpThreads, error))
    return false;
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
  // An IPv6 literal is bracketed in a URL (RFC 3986 3.2.2).
  bool ipv6 = options_.host.find(':') != std::string::npos;
  std::printf("nhc-serve: listening on http://%s%s%s:%d\n", ipv6 ? "[" : "",
              options_.host.c_str(), ipv6 ? "]" : "", port);
  std::fflush(stdout);
  if (!http_->listen_after_bind()) {
    error = "the listening socket failed";
    return false;
  }
  return true;
}

void Server::stop() { http_->stop(); }

bool Server::waitForStreams(std::chrono::milliseconds timeout) {
  Clock::time_point end = Clock::now() + timeout;
  while (openStreams_ > 0 && Clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return openStreams_ == 0;
}

} // namespace nhc::serve
