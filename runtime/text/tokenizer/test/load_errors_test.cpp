// Hostile or unsupported tokenizer files give TextError naming the file and
// the key, never a crash.
#include "test_util.h"

#include "nhc/text/tokenizer.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <fcntl.h>
#include <unistd.h>

using namespace nhc::text;
using nhc::text::test::TempDir;
using nhc::text::test::makeTokenizerJson;

namespace {

const std::string kVocab = R"({"a": 0, "b": 1, "ab": 2})";
const std::string kMerges = R"(["a b"])";

/// Loads `json` and expects TextError mentioning the file and every `parts`.
void expectError(const std::string &json, std::vector<std::string> parts) {
  TempDir dir;
  std::string path = dir.write("tokenizer.json", json);
  try {
    Tokenizer::load(path);
    ADD_FAILURE() << "loaded: " << json.substr(0, 200);
  } catch (const TextError &e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    for (const std::string &p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

} // namespace

TEST(LoadErrors, GoodMinimalFileLoads) {
  TempDir dir;
  std::string path = dir.write("tokenizer.json", makeTokenizerJson(kVocab, kMerges));
  Tokenizer t = Tokenizer::load(path);
  EXPECT_EQ(t.vocabSize(), 3u);
  EXPECT_EQ(t.encode("ab"), (std::vector<int32_t>{2}));
  EXPECT_FALSE(t.bosId().has_value());
  EXPECT_EQ(t.chatTemplate(), "");
}

// Numbers Python's json reads and strict JSON does not (Infinity, NaN, a
// number past double range), in keys nhc does not use, load as transformers
// loads them.
TEST(LoadErrors, NonFiniteNumbersInUnusedKeysLoad) {
  TempDir dir;
  std::string json = makeTokenizerJson(kVocab, kMerges);
  json.insert(json.find('{') + 1,
              R"("x_inf": Infinity, "x_nan": NaN, "x_big": -1e400, )");
  dir.write("tokenizer.json", json);
  dir.write("tokenizer_config.json",
            R"({"model_max_length": 1e400, "x": -Infinity, "add_bos_token": false})");
  Tokenizer t = Tokenizer::load(dir.path());
  EXPECT_EQ(t.encode("ab"), (std::vector<int32_t>{2}));
}

// A NaN where nhc reads a value is refused naming the key, not read as
// absent (which would silently take the default).
TEST(LoadErrors, NaNInAUsedKeyIsRefusedByName) {
  // A bool, a token (a string or an AddedToken object) and a string.
  for (const char *key : {"add_bos_token", "eos_token", "chat_template"}) {
    TempDir dir;
    dir.write("tokenizer.json", makeTokenizerJson(kVocab, kMerges));
    dir.write("tokenizer_config.json",
              std::string("{\"") + key + "\": NaN}");
    try {
      Tokenizer::load(dir.path());
      ADD_FAILURE() << "a NaN " << key << " loaded";
    } catch (const TextError &e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos)
          << e.what();
    }
  }
}

TEST(LoadErrors, FileProblems) {
  EXPECT_THROW(Tokenizer::load("/nonexistent/tokenizer.json"), TextError);
  TempDir dir;
  EXPECT_THROW(Tokenizer::load(dir.path()), TextError); // no tokenizer.json
  expectError("", {"invalid JSON"});
  expectError("{\"model\": ", {"invalid JSON"});
  expectError("[1, 2]", {"expected an object"});
  expectError(std::string(100000, '[') + std::string(100000, ']'), {"nested"});
  expectError("\xFF\xFE{}", {"invalid JSON"});
}

TEST(LoadErrors, OversizedFileIsRefusedWithoutReadingIt) {
  TempDir dir;
  std::string path = dir.write("tokenizer.json", "{}");
  ASSERT_EQ(::truncate(path.c_str(), (256ll << 20) + 1), 0);
  try {
    Tokenizer::load(path);
    FAIL();
  } catch (const TextError &e) {
    EXPECT_NE(std::string(e.what()).find("256 MiB"), std::string::npos) << e.what();
  }
}

TEST(LoadErrors, ModelProblems) {
  expectError(R"({"added_tokens": []})", {"model", "missing"});
  expectError(R"({"model": {"type": "WordPiece", "vocab": {}}})",
              {"model.type", "WordPiece"});
  expectError(R"({"model": {"type": "Unigram", "vocab": []}})", {"Unigram"});
  expectError(makeTokenizerJson("[]", "[]"), {"model.vocab", "expected an object"});
  expectError(makeTokenizerJson(R"({"a": "x"})", "[]"), {"model.vocab[\"a\"]", "integer"});
  expectError(makeTokenizerJson(R"({"a": -1})", "[]"), {"model.vocab[\"a\"]", "out of range"});
  // The message gives the id the file has, not the bound it passed.
  expectError(makeTokenizerJson(R"({"a": 99999999999})", "[]"),
              {"id 99999999999 out of range"});
  expectError(makeTokenizerJson(R"({"a": 0, "b": 0})", "[]"), {"duplicate id 0"});
  expectError(makeTokenizerJson(kVocab, R"(["a c"])"), {"model.merges[0]", "\"c\""});
  expectError(makeTokenizerJson(kVocab, R"(["b a"])"), {"model.merges[0]", "\"ba\""});
  expectError(makeTokenizerJson(kVocab, R"(["ab"])"), {"model.merges[0]"});
  expectError(makeTokenizerJson(kVocab, R"([["a"]])"), {"model.merges[0]"});
  expectError(makeTokenizerJson(kVocab, R"([7])"), {"model.merges[0]"});
  expectError(makeTokenizerJson(kVocab, R"({})"), {"model.merges", "array"});
  expectError(makeTokenizerJson(kVocab, kMerges, "[]", R"(, "dropout": 0.5)"),
              {"model.dropout"});
  expectError(makeTokenizerJson(kVocab, kMerges, "[]", R"(, "fuse_unk": "yes")"),
              {"model.fuse_unk"});
}

TEST(LoadErrors, GapsInIdsAreFine) {
  TempDir dir;
  std::string path = dir.write("tokenizer.json",
                               makeTokenizerJson(R"({"a": 0, "b": 5, "ab": 9})", kMerges));
  Tokenizer t = Tokenizer::load(path);
  EXPECT_EQ(t.vocabSize(), 10u);
  EXPECT_EQ(t.encode("ab"), (std::vector<int32_t>{9}));
  EXPECT_FALSE(t.idToToken(3).has_value());
  EXPECT_EQ(t.decode({3}), ""); // tokenizers drops ids with no token
  EXPECT_EQ(t.decode({0, 3, 5, 10, -1}), "ab");
  EXPECT_EQ(t.tokenBytes(3), "");
  EXPECT_EQ(t.tokenBytes(-1), "");
  EXPECT_EQ(t.tokenBytes(10), "");
}

TEST(LoadErrors, WrongJsonTypesAreTextErrorsNamingTheKey) {
  // Each field of the wrong type (or out of range) is a TextError naming the
  // file and the key, never an nlohmann exception.
  auto with = [](const std::string &pre, const std::string &post = "null",
                 const std::string &dec = R"({"type": "ByteLevel"})") {
    return makeTokenizerJson(kVocab, kMerges, "[]", "", pre, post, dec);
  };
  auto withNormalizer = [](const std::string &n) {
    std::string s = makeTokenizerJson(kVocab, kMerges);
    s.replace(s.find("\"normalizer\": null"), 18, "\"normalizer\": " + n);
    return s;
  };
  expectError(withNormalizer(R"({"type": 5})"), {"normalizer.type", "expected a string"});
  expectError(withNormalizer(R"({"type": null})"), {"normalizer.type"});
  expectError(withNormalizer(R"({"normalizers": []})"), {"normalizer.type", "missing"});
  expectError(withNormalizer(R"({"type": "Sequence", "normalizers": 3})"),
              {"normalizer.normalizers", "expected an array"});
  expectError(withNormalizer(R"({"type": "Sequence", "normalizers": [{"type": "NFC"}]})"),
              {"normalizer", "Sequence"});
  expectError(withNormalizer("5"), {"normalizer", "number"});
  expectError(withNormalizer("[]"), {"normalizer", "array"});
  {
    TempDir dir;
    dir.write("tokenizer.json", withNormalizer(R"({"type": "Sequence", "normalizers": []})"));
    EXPECT_NO_THROW(Tokenizer::load(dir.path()));
  }
  expectError(R"({"model": 5})", {"model", "expected an object"});
  expectError(R"({"model": {"type": 5, "vocab": {}}})", {"model.type", "expected a string"});
  expectError(makeTokenizerJson(kVocab, kMerges, "[]", R"(, "unk_token": 7)"), {"model.unk_token"});
  expectError(makeTokenizerJson(kVocab, kMerges, "[]", R"(, "dropout": "x")"), {"model.dropout"});
  expectError(makeTokenizerJson(R"({"a": 1.5})", "[]"), {"model.vocab[\"a\"]", "integer"});
  expectError(makeTokenizerJson(R"({"a": 18446744073709551615})", "[]"),
              {"id 18446744073709551615 out of range"});
  expectError(makeTokenizerJson(kVocab, R"([["a", 1]])"), {"model.merges[0]"});
  expectError(with(R"({"type": 5})"), {"pre_tokenizer.type", "expected a string"});
  expectError(with(R"({"type": "Split", "pattern": 5, "behavior": "Isolated"})"),
              {"pre_tokenizer.pattern", "expected an object"});
  expectError(with(R"({"type": "Split", "pattern": {"Regex": 5}, "behavior": "Isolated"})"),
              {"pre_tokenizer.pattern.Regex", "expected a string"});
  // Which of two would tokenizers read? Neither: it refuses the file.
  expectError(with(R"({"type": "Split", "pattern": {"String": "l", "Regex": "o"}, "behavior": "Isolated"})"),
              {"pre_tokenizer.pattern", "expected one key", "found 2"});
  expectError(with(R"({"type": "Split", "pattern": {}, "behavior": "Isolated"})"),
              {"pre_tokenizer.pattern", "expected one key", "found 0"});
  expectError(with(R"({"type": "Split", "pattern": {"String": "a"}, "behavior": 1})"),
              {"pre_tokenizer.behavior", "expected a string"});
  expectError(with(R"({"type": "Split", "pattern": {"String": "a"}, "behavior": "Isolated", "invert": 1})"),
              {"pre_tokenizer.invert"});
  expectError(with(R"({"type": "ByteLevel", "add_prefix_space": "no"})"),
              {"pre_tokenizer.add_prefix_space"});
  expectError(with(R"({"type": "Sequence", "pretokenizers": [5]})"),
              {"pre_tokenizer.pretokenizers[0]", "expected an object"});
  expectError(with("null", R"({"type": "TemplateProcessing", "single": 5})"),
              {"post_processor.single", "expected an array"});
  expectError(with("null", R"({"type": "TemplateProcessing", "single": [], "special_tokens": 5})"),
              {"post_processor.special_tokens"});
  expectError(with("null", R"({"type": "TemplateProcessing", "single": [{"Sequence": {"id": 0}}]})"),
              {"post_processor.single[0].Sequence.id", "expected a string"});
  expectError(with("null", R"({"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<x>"}}],
                              "special_tokens": {"<x>": {"ids": [1.5]}}})"),
              {"post_processor.special_tokens[\"<x>\"].ids", "integers"});
  expectError(with("null", R"({"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<x>"}}],
                              "special_tokens": {"<x>": {"ids": [18446744073709551615]}}})"),
              {"post_processor.special_tokens[\"<x>\"].ids", "out of range"});
  expectError(with("null", R"({"type": "RobertaProcessing", "cls": ["<s>", 99999999999], "sep": ["</s>", 2]})"),
              {"post_processor.cls", "out of range"});
  expectError(with("null", R"({"type": "RobertaProcessing", "cls": "<s>", "sep": ["</s>", 2]})"),
              {"post_processor.cls"});
  expectError(with("null", "null", R"({"type": ["ByteLevel"]})"), {"decoder.type", "expected a string"});
  expectError(with("null", "null", R"({"type": "Sequence", "decoders": 5})"), {"decoder"});
  expectError(with("null", "null", "5"), {"decoder", "expected an object"});
  expectError(makeTokenizerJson(kVocab, kMerges, R"([5])"), {"added_tokens[0]", "expected an object"});
  expectError(makeTokenizerJson(kVocab, kMerges, R"([{"id": "1", "content": "x"}])"),
              {"added_tokens[0].id", "expected an integer"});
  expectError(makeTokenizerJson(kVocab, kMerges, R"([{"id": 18446744073709551615, "content": "x"}])"),
              {"added_tokens[0].id", "out of range"});
  expectError(makeTokenizerJson(kVocab, kMerges, R"([{"id": 3, "content": "x", "special": "yes"}])"),
              {"added_tokens[0].special"});
}

TEST(LoadErrors, WrongConfigTypesAreTextErrorsNamingTheKey) {
  TempDir dir;
  dir.write("tokenizer.json", makeTokenizerJson(kVocab, kMerges));
  auto configError = [&](const std::string &cfg, const std::string &part) {
    std::string path = dir.write("tokenizer_config.json", cfg);
    try {
      Tokenizer::load(dir.path());
      ADD_FAILURE() << "loaded: " << cfg;
    } catch (const TextError &e) {
      EXPECT_NE(std::string(e.what()).find(path + ": " + part), std::string::npos) << e.what();
    }
  };
  configError(R"({"bos_token": {"content": 5}})", "bos_token.content");
  configError(R"({"eos_token": []})", "eos_token");
  configError(R"({"add_bos_token": "yes"})", "add_bos_token");
  configError(R"({"add_eos_token": 1})", "add_eos_token");
  configError(R"({"chat_template": [5]})", "chat_template[0]");
  configError(R"({"chat_template": [{"name": 5, "template": "x"}]})", "chat_template[0].name");
  configError(R"({"chat_template": [{"name": "default", "template": 5}]})",
              "chat_template[0].template");
  configError(R"([1, 2])", "expected an object");
  configError(R"({"chat_template": )", "invalid JSON");
}

TEST(LoadErrors, PipelineProblems) {
  auto with = [](const std::string &pre, const std::string &post = "null",
                 const std::string &dec = R"({"type": "ByteLevel"})") {
    return makeTokenizerJson(kVocab, kMerges, "[]", "", pre, post, dec);
  };
  expectError(with(R"({"type": "Whitespace"})"), {"pre_tokenizer.type", "Whitespace"});
  expectError(with(R"({"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated"})"),
              {"pre_tokenizer.pattern.Regex", "bad regex"});
  // \C matches one byte, splitting characters (Oniguruma has no such escape).
  expectError(with(R"({"type": "Split", "pattern": {"Regex": "\\C"}, "behavior": "Isolated"})"),
              {"pre_tokenizer.pattern.Regex", "bad regex", "\\C"});
  expectError(with(R"({"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Sideways"})"),
              {"pre_tokenizer.behavior", "Sideways"});
  expectError(with(R"({"type": "Split", "pattern": {}, "behavior": "Isolated"})"),
              {"pre_tokenizer.pattern"});
  expectError(with(R"({"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"},
                      {"type": "Split", "pattern": {"String": " "}, "behavior": "Isolated"}]})"),
              {"pre_tokenizer.pretokenizers[1]", "after ByteLevel"});
  expectError(with(R"({"type": "Sequence", "pretokenizers": 3})"), {"pre_tokenizer.pretokenizers"});
  expectError(with("null", R"({"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<x>", "type_id": 0}}], "special_tokens": {}})"),
              {"post_processor.special_tokens", "<x>"});
  expectError(with("null", R"({"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<x>", "type_id": 0}}], "special_tokens": {"<x>": {"id": "<x>", "ids": [77], "tokens": ["<x>"]}}})"),
              {"post_processor", "77"});
  expectError(with("null", R"({"type": "Mystery"})"), {"post_processor.type", "Mystery"});
  expectError(with("null", "null", R"({"type": "WordPiece"})"), {"decoder.type", "WordPiece"});
  expectError(makeTokenizerJson(kVocab, kMerges, R"([{"id": 1, "content": 5}])"),
              {"added_tokens[0].content"});
  expectError(makeTokenizerJson(kVocab, kMerges, R"([{"content": "x"}])"),
              {"added_tokens[0].id", "missing"});
  expectError(makeTokenizerJson(kVocab, kMerges, R"({"a": 1})"), {"added_tokens", "array"});
  std::string withNorm = makeTokenizerJson(kVocab, kMerges);
  withNorm.replace(withNorm.find("\"normalizer\": null"), 18,
                   R"("normalizer": {"type": "NFKC"})");
  expectError(withNorm, {"normalizer", "NFKC"});
}

TEST(LoadErrors, ConfigProblems) {
  TempDir dir;
  dir.write("tokenizer.json", makeTokenizerJson(kVocab, kMerges));
  std::string cfg = dir.write("tokenizer_config.json", R"({"chat_template": 5})");
  try {
    Tokenizer::load(dir.path());
    FAIL();
  } catch (const TextError &e) {
    EXPECT_NE(std::string(e.what()).find(cfg + ": chat_template"), std::string::npos) << e.what();
  }
  dir.write("tokenizer_config.json",
            R"({"chat_template": [{"name": "rag", "template": "x"}]})");
  EXPECT_THROW(Tokenizer::load(dir.path()), TextError);
  dir.write("tokenizer_config.json", R"({"bos_token": 3})");
  EXPECT_THROW(Tokenizer::load(dir.path()), TextError);
  dir.write("tokenizer_config.json",
            R"({"bos_token": {"content": "a"}, "eos_token": "b", "add_bos_token": true,
                "chat_template": [{"name": "x", "template": "X"}, {"name": "default", "template": "D"}]})");
  Tokenizer t = Tokenizer::load(dir.path());
  EXPECT_EQ(t.bosToken(), "a");
  EXPECT_EQ(t.bosId(), 0);
  EXPECT_EQ(t.eosId(), 1);
  EXPECT_EQ(t.addBosToken(), true);
  EXPECT_EQ(t.chatTemplate(), "D");
}

TEST(LoadErrors, ChatTemplateJinjaFileWinsOverTheConfig) {
  // transformers 5 saves a tokenizer's template as chat_template.jinja (its
  // tokenizer_config.json then has none) and reads that file first.
  TempDir dir;
  dir.write("tokenizer.json", makeTokenizerJson(kVocab, kMerges));
  std::string jinja = dir.write("chat_template.jinja", "{{ messages }}\n");
  Tokenizer alone = Tokenizer::load(dir.path());
  EXPECT_EQ(alone.chatTemplate(), "{{ messages }}\n"); // byte for byte
  EXPECT_EQ(alone.chatTemplateSource(), jinja);
  std::string cfg = dir.write("tokenizer_config.json",
                              R"({"chat_template": "FROM_CONFIG", "eos_token": "b"})");
  Tokenizer both = Tokenizer::load(dir.path());
  EXPECT_EQ(both.chatTemplate(), "{{ messages }}\n");
  EXPECT_EQ(both.eosId(), 1); // the config still gives the tokens
  std::remove(jinja.c_str());
  Tokenizer config = Tokenizer::load(dir.path());
  EXPECT_EQ(config.chatTemplate(), "FROM_CONFIG");
  EXPECT_EQ(config.chatTemplateSource(), cfg + " chat_template");
  // A chat_template.jinja that is not a readable file is an error naming it.
  ASSERT_EQ(::mkdir(jinja.c_str(), 0700), 0);
  try {
    Tokenizer::load(dir.path());
    FAIL();
  } catch (const TextError &e) {
    EXPECT_NE(std::string(e.what()).find(jinja + ": not a regular file"),
              std::string::npos) << e.what();
  }
  ::rmdir(jinja.c_str());
  // The file wins, so the config's template is never read: a malformed one
  // does not stop the tokenizer loading (transformers overwrites it too).
  dir.write("chat_template.jinja", "J");
  dir.write("tokenizer_config.json", R"({"chat_template": 7, "eos_token": "b"})");
  Tokenizer winner = Tokenizer::load(dir.path());
  EXPECT_EQ(winner.chatTemplate(), "J");
  EXPECT_EQ(winner.eosId(), 1);
  // An empty file is still the template (and the source says where it is).
  dir.write("chat_template.jinja", "");
  Tokenizer empty = Tokenizer::load(dir.path());
  EXPECT_EQ(empty.chatTemplate(), "");
  EXPECT_EQ(empty.chatTemplateSource(), jinja);
}

TEST(LoadErrors, PreTokenizerStepsAreBounded) {
  // Each Split step passes over the whole text: 65 of them are refused by
  // key at load, not run at every encode.
  nlohmann::json j = nlohmann::json::parse(makeTokenizerJson(kVocab, kMerges));
  nlohmann::json steps = nlohmann::json::array();
  for (int i = 0; i < 65; ++i)
    steps.push_back({{"type", "Split"},
                     {"pattern", {{"Regex", "."}}},
                     {"behavior", "Isolated"},
                     {"invert", false}});
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", steps}};
  TempDir dir;
  std::string path = dir.write("tokenizer.json", j.dump());
  try {
    Tokenizer::load(path);
    FAIL() << "loaded";
  } catch (const TextError &e) {
    EXPECT_NE(std::string(e.what()).find("pre_tokenizer: 65 Split steps, more than the 64"),
              std::string::npos)
        << e.what();
  }
  steps.erase(steps.begin());
  j["pre_tokenizer"]["pretokenizers"] = steps;
  dir.write("tokenizer.json", j.dump());
  EXPECT_NO_THROW(Tokenizer::load(path));
}

TEST(LoadErrors, RandomCorruptionNeverCrashes) {
  // Flip bytes of a real tokenizer.json: every outcome is a load or TextError.
  TempDir dir;
  std::string good;
  {
    std::ifstream f(NHC_REPO_ROOT "/test/golden/dense/model/tokenizer.json", std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  ASSERT_FALSE(good.empty());
  uint32_t seed = 12345;
  auto rnd = [&] { seed = seed * 1664525u + 1013904223u; return seed >> 8; };
  const char junk[] = "{}[]\",:0-9ab\\ \x80\xFF";
  for (int iter = 0; iter < 200; ++iter) {
    std::string s = good;
    int edits = 1 + static_cast<int>(rnd() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rnd() % s.size();
      switch (rnd() % 3) {
      case 0: s[pos] = junk[rnd() % (sizeof junk - 1)]; break;
      case 1: s.erase(pos, 1 + rnd() % 16); break;
      default: s.resize(pos); break;
      }
    }
    std::string path = dir.write("tokenizer.json", s);
    try {
      Tokenizer t = Tokenizer::load(path);
      (void)t.encode("Hello <s> wörld 123 \xF0\x9F\x98\x80", true);
    } catch (const TextError &) {
    }
  }
}
