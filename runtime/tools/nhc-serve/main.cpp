//===- main.cpp - nhc-serve: an OpenAI-compatible server for an artifact --===//
//
// Loads an artifact, its checkpoint and tokenizer, starts the continuous
// batching engine (nhc/serving/engine.h) and serves the OpenAI API over
// HTTP (cpp-httplib). Reference: docs/serving.md.
//
//===----------------------------------------------------------------------===//

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

#include "nhc/runtime/api.h"
#include "nhc/serving/engine.h"
#include "nhc/serving/generation_config.h"
#include "nhc/serving/openai_api.h"
#include "nhc/text/chat_template.h"
#include "nhc/text/text_error.h"
#include "nhc/text/tokenizer.h"
#include "../common/session_notes.h"
#include "../common/trained_length.h"
#include "../common/weight_notes.h"
#include "options.h"
#include "server.h"

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "nhc-serve: error: %s\n", message.c_str());
  return 1;
}

/// "models/tiny.nhc" -> "tiny".
std::string stem(const std::string &path) {
  size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

volatile std::sig_atomic_t stopSignal = 0;

extern "C" void onStopSignal(int signal) { stopSignal = signal; }

/// SIGINT/SIGTERM stop the server. The handler only records the signal
/// (whichever thread takes it: the engine's thread exists by then).
void installStopHandlers() {
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

/// Serves until a stop signal; 0 on a signal, 1 when serving failed.
int serveUntilSignal(nhc::serve::Server &server,
                     nhc::serving::Engine &engine) {
  std::atomic<bool> listening{true};
  std::string error;
  bool ok = true;
  std::thread listener([&] {
    ok = server.run(error);
    listening = false;
  });
  while (listening && !stopSignal)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!listening) {
    listener.join();
    return ok ? 0 : fail(error);
  }
  std::fprintf(stderr, "nhc-serve: signal %d: shutting down\n",
               int(stopSignal));
  // Running and queued requests end as cancelled; their streams get the
  // error event and [DONE] written before the server stops writing.
  engine.stop();
  server.waitForStreams(std::chrono::seconds(2));
  server.stop();
  // Idle keep-alive connections hold httplib's workers until their timeout;
  // nothing is left to serve, so do not wait for them.
  for (int i = 0; i < 40 && listening; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (listening) {
    std::fflush(nullptr);
    std::_Exit(0);
  }
  listener.join();
  return 0;
}

int run(const nhc::serve::Options &options) {
  // A client closing its socket must not kill the server.
  std::signal(SIGPIPE, SIG_IGN);

  nhc_artifact_t *artifact = nullptr;
  nhc_weights_t *weights = nullptr;
  if (nhc_artifact_load(options.model.c_str(), &artifact) != NHC_OK)
    return fail(nhc_last_error());
  struct Release {
    nhc_artifact_t *&a;
    nhc_weights_t *&w;
    ~Release() {
      nhc_weights_release(w);
      nhc_artifact_release(a);
    }
  } release{artifact, weights};
  if (nhc_weights_open(options.weights.c_str(), &weights) != NHC_OK)
    return fail(nhc_last_error());

  std::string checkpointDir =
      nhc::serving::checkpointDirectory(options.weights);
  std::string tokenizerPath =
      options.tokenizer.empty() ? checkpointDir : options.tokenizer;
  std::optional<nhc::text::Tokenizer> tokenizer;
  std::optional<nhc::text::ChatTemplate> chatTemplate;
  nhc::serving::GenerationDefaults defaults;
  try {
    tokenizer.emplace(nhc::text::Tokenizer::load(tokenizerPath));
    if (!tokenizer->chatTemplate().empty())
      chatTemplate.emplace(nhc::text::ChatTemplate::parse(
          tokenizer->chatTemplate(), tokenizer->chatTemplateSource()));
    defaults = nhc::serving::readGenerationDefaults(checkpointDir,
                                                    tokenizer->eosId());
  } catch (const std::exception &e) {
    return fail(e.what());
  }

  nhc_model_info_t model{};
  nhc_manifest_model_info(nhc_artifact_manifest(artifact), &model);
  uint64_t maxSeqLen = options.maxSeqLen;
  if (maxSeqLen == 0)
    maxSeqLen = model.max_position_embeddings
                    ? std::min<uint64_t>(model.max_position_embeddings, 8192)
                    : 8192;
  else
    nhc::run::warnPastTrainedLength("nhc-serve", maxSeqLen,
                                    model.max_position_embeddings);
  // An EOS id the model cannot produce never ends a request: dropped, so
  // that requests do not each get it refused as a stop id.
  std::vector<int32_t> producible;
  for (int32_t id : defaults.eosIds)
    if (id >= 0 && uint64_t(id) < model.vocab_size)
      producible.push_back(id);
    else
      std::fprintf(stderr,
                   "nhc-serve: warning: eos id %d from %s is outside the "
                   "model's vocabulary [0, %llu); ignored\n",
                   id, defaults.eosSource.c_str(),
                   static_cast<unsigned long long>(model.vocab_size));
  defaults.eosIds = producible;
  if (tokenizer->vocabSize() > model.vocab_size)
    std::fprintf(stderr,
                 "nhc-serve: warning: the tokenizer has %zu tokens, the "
                 "model's vocabulary %llu; ids past it are refused\n",
                 tokenizer->vocabSize(),
                 static_cast<unsigned long long>(model.vocab_size));

  if (nhc::run::bindAndPrintNotes(weights, artifact, "nhc-serve",
                                  /*verbose=*/false) != NHC_OK)
    return fail(nhc_last_error());

  nhc_session_options_t sessionOptions{};
  sessionOptions.max_slots = static_cast<uint32_t>(options.maxSlots);
  sessionOptions.max_seq_len = maxSeqLen;
  sessionOptions.backend = options.backend.c_str();
  sessionOptions.gemm_precision = options.gemmPrecision;
  nhc_session_t *session = nullptr;
  if (nhc_session_create_ex(artifact, weights, &sessionOptions, &session) !=
          NHC_OK ||
      nhc::run::printSessionNotes(session, "nhc-serve",
                                  options.gemmPrecision) != NHC_OK)
    return fail(nhc_last_error());
  nhc::serving::EngineOptions engineOptions;
  engineOptions.stepTokenBudget = options.stepTokens;
  engineOptions.maxQueue = options.maxQueue;
  nhc::serving::Engine engine(session, &*tokenizer, engineOptions);
  nhc::serving::OpenAiApi api(
      *tokenizer, chatTemplate ? &*chatTemplate : nullptr, defaults,
      options.servedModelName.empty() ? stem(options.model)
                                      : options.servedModelName,
      maxSeqLen);
  std::fprintf(stderr,
               "nhc-serve: model '%s' on the %s backend: %u slots x %llu "
               "tokens, step budget %llu tokens, eos ids from %s, chat "
               "template: %s\n",
               api.modelName().c_str(), nhc_session_backend(session),
               static_cast<unsigned>(options.maxSlots),
               static_cast<unsigned long long>(maxSeqLen),
               static_cast<unsigned long long>(engine.stepTokenBudget()),
               defaults.eosSource.empty() ? "nowhere (none)"
                                          : defaults.eosSource.c_str(),
               chatTemplate ? "yes" : "none (chat requests get 400)");

  nhc::serve::Server server(engine, api, options);
  installStopHandlers();
  return serveUntilSignal(server, engine);
}

} // namespace

int main(int argc, char **argv) {
  nhc::serve::Options options;
  std::string error;
  if (!nhc::serve::parseOptions(argc, argv, options, error)) {
    std::fprintf(stderr, "nhc-serve: %s\n%s", error.c_str(),
                 nhc::serve::usageText());
    return 2;
  }
  if (options.help) {
    std::fputs(nhc::serve::usageText(), stdout);
    return 0;
  }
  try {
    return run(options);
  } catch (const std::exception &e) {
    return fail(std::string("internal error: ") + e.what());
  }
}
