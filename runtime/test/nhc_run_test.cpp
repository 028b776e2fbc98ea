//===- nhc_run_test.cpp - The nhc-run command line -------------------------===//

#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

struct RunResult {
  int exitCode = -1;
  std::string out, err;
};

std::string quote(const std::string &arg) {
  std::string q = "'";
  for (char c : arg)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class NhcRunTest : public ::testing::Test {
protected:
  RunResult run(const std::vector<std::string> &args) {
    std::string command = quote(NHC_RUN_PATH);
    for (const std::string &arg : args)
      command += " " + quote(arg);
    command += " >" + quote(dir.file("stdout")) + " 2>" +
               quote(dir.file("stderr"));
    int status = std::system(command.c_str());
    RunResult result;
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    Bytes out = readBytes(dir.file("stdout")),
          err = readBytes(dir.file("stderr"));
    result.out.assign(out.begin(), out.end());
    result.err.assign(err.begin(), err.end());
    return result;
  }

  /// Writes the toy model; returns {model path, weights path}.
  void writeToyModel(const Json &manifest = toyModelManifest()) {
    writeBytes(dir.file("toy.nhc"), buildExecutableArtifact(manifest));
    toyModelWeights().write(dir.file("toy.safetensors"));
  }
  std::string model() { return dir.file("toy.nhc"); }
  std::string weights() { return dir.file("toy.safetensors"); }

  /// Greedy generation through the C API, and the logits of each step.
  std::vector<int32_t> greedy(const std::vector<int32_t> &prompt, size_t n,
                              std::vector<float> *rows = nullptr) {
    SessionFixture f;
    EXPECT_EQ(f.open(toyModelManifest(), toyModelWeights(), 1, 64), NHC_OK)
        << lastError();
    uint32_t slot;
    EXPECT_EQ(nhc_session_claim(f.session, &slot), NHC_OK);
    std::vector<float> logits(kToyVocab);
    nhc_request_t request{slot, prompt.data(), prompt.size()};
    std::vector<int32_t> out;
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(nhc_session_step(f.session, &request, 1, NHC_LOGITS_LAST,
                                 logits.data(), logits.size()),
                NHC_OK)
          << lastError();
      if (rows)
        rows->insert(rows->end(), logits.begin(), logits.end());
      int32_t best = 0;
      for (size_t v = 1; v < kToyVocab; ++v)
        if (logits[v] > logits[best])
          best = static_cast<int32_t>(v);
      out.push_back(best);
      request = {slot, &out.back(), 1};
    }
    return out;
  }

  static std::string generatedLine(const std::vector<int32_t> &ids) {
    std::string line = "generated:";
    for (int32_t id : ids)
      line += " " + std::to_string(id);
    return line + "\n";
  }

  TempDir dir;
};

TEST_F(NhcRunTest, UsageErrorsExitWith2) {
  RunResult r = run({});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("nhc-run: missing MODEL.nhc"),
                           HasSubstr("usage: nhc-run MODEL.nhc")));

  struct Case {
    std::vector<std::string> args;
    const char *message;
  } cases[] = {
      {{"m.nhc"}, "missing --weights PATH"},
      {{"m.nhc", "--weights", "w", "--frobnicate", "1"},
       "unknown option '--frobnicate'"},
      {{"m.nhc", "--weights", "w", "--max-new-tokens", "abc"},
       "invalid value 'abc' for --max-new-tokens"},
      {{"m.nhc", "--weights", "w", "--max-new-tokens=-3"},
       "invalid value '-3' for --max-new-tokens"},
      {{"m.nhc", "--weights", "w", "--prompt-ids", "1,,2"},
       "--prompt-ids: '' is not a token id"},
      {{"m.nhc", "--weights", "w", "--prompt-ids", "1,x"},
       "--prompt-ids: 'x' is not a token id"},
      {{"m.nhc", "--weights", "w", "--temperature", "-1"},
       "invalid value '-1' for --temperature"},
      {{"m.nhc", "--weights", "w", "--temperature", "nan"},
       "invalid value 'nan' for --temperature"},
      // Float options say their range; a subnormal value is refused
      // (strtof's ERANGE): a penalty of 1e-45 would divide logits to +inf.
      {{"m.nhc", "--weights", "w", "--temperature", "1e-45"},
       "invalid value '1e-45' for --temperature: expected 0 (greedy) or a "
       "positive number in float32's normal range"},
      {{"m.nhc", "--weights", "w", "--repetition-penalty", "1e-45"},
       "for --repetition-penalty: expected a positive number in float32's "
       "normal range, 1.17549e-38 to 3.40282e+38 (1 = none)"},
      // A subnormal strtof holds exactly, without ERANGE.
      {{"m.nhc", "--weights", "w", "--repetition-penalty", "0x1p-140"},
       "invalid value '0x1p-140' for --repetition-penalty"},
      {{"m.nhc", "--weights", "w", "--top-p", "1.5"},
       "invalid value '1.5' for --top-p: expected a number in (0, 1]"},
      {{"m.nhc", "--weights", "w", "--max-seq-len", "0"},
       "invalid value '0' for --max-seq-len"},
      {{"m.nhc", "--weights", "w", "--seed"}, "option '--seed' needs a value"},
      {{"a.nhc", "b.nhc", "--weights", "w"},
       "expected one MODEL.nhc, got 2 positional arguments"},
      // One value per option, not the last silently (--stop repeats).
      {{"m.nhc", "--weights", "w", "--max-new-tokens", "3",
        "--max-new-tokens=4"},
       "--max-new-tokens is given twice ('3' and '4')"},
      {{"m.nhc", "--weights", "w", "--weights", "v"},
       "--weights is given twice ('w' and 'v')"},
  };
  for (const Case &c : cases) {
    RunResult result = run(c.args);
    EXPECT_EQ(result.exitCode, 2) << c.message;
    EXPECT_THAT(result.err, HasSubstr(c.message));
  }
}

TEST_F(NhcRunTest, StopRepeats) {
  writeToyModel();
  // Two --stop strings are two stops, not a usage error; --stop needs text
  // mode, so the refusal names that instead of a repeat.
  RunResult r = run({model(), "--weights", weights(), "--stop", "a", "--stop",
                     "b"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_THAT(r.err, HasSubstr("--stop, --system, --chat-template-kwargs and "
                               "--tokenizer need --prompt or --chat"));
  EXPECT_THAT(r.err, Not(HasSubstr("given twice")));
}

TEST_F(NhcRunTest, HelpExitsWith0) {
  RunResult r = run({"--help"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_THAT(r.out, HasSubstr("--dump-logits FILE"));
}

TEST_F(NhcRunTest, RuntimeErrorsExitWith1) {
  RunResult r = run({"/nonexistent/m.nhc", "--weights", "/nonexistent/w"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("nhc-run: artifact '/nonexistent/m.nhc'"));

  writeToyModel();
  r = run({model(), "--weights", weights(), "--prompt-ids", "3,99"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("token 1 has id 99, outside the vocabulary "
                               "[0, 16)"));
  r = run({model(), "--weights", weights(), "--prompt-ids", "1,2,3",
           "--max-seq-len", "2"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("the run needs 18 positions (3 prompt tokens "
                               "and 15 from --max-new-tokens 16), more than "
                               "--max-seq-len 2"));
  // Without --max-seq-len the message names what the user did give, and
  // how to run past the model's trained length.
  r = run({model(), "--weights", weights(), "--prompt-ids", "1,2,3",
           "--max-new-tokens", "63"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("the run needs 65 positions (3 prompt tokens "
                               "and 62 from --max-new-tokens 63), more than "
                               "the model's max_position_embeddings 64; "
                               "Nemotron-H has no position encoding, so a "
                               "larger --max-seq-len runs it"));
  EXPECT_THAT(r.err, Not(HasSubstr("max_seq_len")));
  r = run({model(), "--weights", weights(), "--prompt-ids", "1,2,3",
           "--max-new-tokens", "62"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("warning")));
  // Asked for, it runs, with a warning.
  r = run({model(), "--weights", weights(), "--prompt-ids", "1,2,3",
           "--max-new-tokens", "63", "--max-seq-len", "65"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("nhc-run: warning: --max-seq-len 65 is past "
                               "the model's max_position_embeddings 64"));
  r = run({model(), "--weights", weights(), "--dump-logits",
           dir.file("no/such/dir/x.f32")});
  EXPECT_EQ(r.exitCode, 1);
  // Refused before the run (it was after it, by the writer).
  EXPECT_THAT(r.err, HasSubstr("--dump-logits: cannot write '"));
  EXPECT_THAT(r.err, HasSubstr("no/such/dir' is not a directory"));
  EXPECT_THAT(r.out, Not(HasSubstr("generated")));
}

TEST_F(NhcRunTest, GreedyGenerationMatchesTheSessionApi) {
  writeToyModel();
  std::vector<float> rows;
  std::vector<int32_t> expected = greedy({3, 1, 4}, 6, &rows);
  std::string dump = dir.file("gen.f32");
  RunResult r = run({model(), "--weights", weights(), "--prompt-ids", "3,1,4",
                     "--max-new-tokens", "6", "--dump-logits", dump});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, generatedLine(expected));
  EXPECT_THAT(r.err, MatchesRegex("prefill: [0-9.]+ tok/s, decode: [0-9.]+ "
                                  "tok/s\n"));
  Bytes raw = readBytes(dump);
  ASSERT_EQ(raw.size(), rows.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(raw.data(), rows.data(), raw.size()), 0);
  Json sidecar = Json::parse(readBytes(dump + ".json"));
  EXPECT_EQ(sidecar["format"], "nhc-logits");
  EXPECT_EQ(sidecar["kind"], "generated");
  EXPECT_EQ(sidecar["dtype"], "f32");
  EXPECT_EQ(sidecar["shape"], Json({6, kToyVocab}));
  EXPECT_EQ(sidecar["prompt_ids"], Json({3, 1, 4}));
  EXPECT_EQ(sidecar["generated_ids"], Json(expected));
}

TEST_F(NhcRunTest, PromptLogitsDump) {
  writeToyModel();
  std::string dump = dir.file("prompt.f32");
  RunResult r = run({model(), "--weights", weights(), "--prompt-ids",
                     "5,6,7,8", "--max-new-tokens", "1",
                     "--dump-prompt-logits", dump});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, generatedLine(greedy({5, 6, 7, 8}, 1)));
  EXPECT_THAT(r.err, HasSubstr("decode: n/a tok/s"));
  Bytes raw = readBytes(dump);
  ASSERT_EQ(raw.size(), 4 * kToyVocab * sizeof(float));
  auto expected = toyReferenceLogits({5, 6, 7, 8});
  for (size_t t = 0; t < 4; ++t)
    for (size_t v = 0; v < kToyVocab; ++v)
      EXPECT_NEAR(peek<float>(raw, (t * kToyVocab + v) * 4), expected[t][v],
                  1e-4);
  Json sidecar = Json::parse(readBytes(dump + ".json"));
  EXPECT_EQ(sidecar["kind"], "prompt");
  EXPECT_EQ(sidecar["shape"], Json({4, kToyVocab}));
}

TEST_F(NhcRunTest, SamplingIsSeededAndTopK1IsGreedy) {
  writeToyModel();
  std::vector<std::string> args = {model(), "--weights", weights(),
                                   "--prompt-ids", "2", "--max-new-tokens",
                                   "12", "--temperature", "1.5", "--top-k",
                                   "8", "--seed", "42"};
  RunResult first = run(args), second = run(args);
  ASSERT_EQ(first.exitCode, 0) << first.err;
  EXPECT_EQ(first.out, second.out);
  EXPECT_THAT(first.out, MatchesRegex("generated:( [0-9]+){12}\n"));

  RunResult topOne = run({model(), "--weights", weights(), "--prompt-ids",
                          "2", "--max-new-tokens", "5", "--temperature", "1",
                          "--top-k", "1", "--seed", "7"});
  ASSERT_EQ(topOne.exitCode, 0) << topOne.err;
  EXPECT_EQ(topOne.out, generatedLine(greedy({2}, 5)));
}

TEST_F(NhcRunTest, LongPromptShowsProgress) {
  Json manifest = toyModelManifest();
  manifest["model"]["max_position_embeddings"] = 512;
  writeToyModel(manifest);
  std::string ids;
  for (int i = 0; i < 300; ++i)
    ids += (i ? "," : "") + std::to_string(i % 16);
  RunResult r = run({model(), "--weights", weights(), "--prompt-ids", ids,
                     "--max-new-tokens", "2"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("prefill 300 tokens: 100%\n"),
                           HasSubstr("prefill: ")));
}

} // namespace
} // namespace nhc::test
