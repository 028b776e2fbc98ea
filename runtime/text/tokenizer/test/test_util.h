// Helpers for the tokenizer tests: temporary tokenizer.json files.
#ifndef NHC_TEXT_TOKENIZER_TEST_UTIL_H
#define NHC_TEXT_TOKENIZER_TEST_UTIL_H

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace nhc::text::test {

/// A temporary directory removed (with the files written) at scope exit.
class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/nhc_tok_test_XXXXXX";
    char *d = ::mkdtemp(tmpl);
    if (!d) std::abort();
    path_ = d;
  }
  ~TempDir() {
    for (const std::string &f : files_) std::remove(f.c_str());
    ::rmdir(path_.c_str());
  }
  std::string write(const std::string &name, const std::string &content) {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    files_.push_back(p);
    return p;
  }
  const std::string &path() const { return path_; }

private:
  std::string path_;
  std::vector<std::string> files_;
};

/// A byte-level BPE tokenizer.json with the given vocab (JSON object text),
/// merges (JSON array text) and added tokens (JSON array text).
inline std::string makeTokenizerJson(const std::string &vocab,
                                     const std::string &merges,
                                     const std::string &added = "[]",
                                     const std::string &extraModel = "",
                                     const std::string &pre = "null",
                                     const std::string &post = "null",
                                     const std::string &decoder =
                                         R"({"type": "ByteLevel"})") {
  return R"({"version": "1.0", "added_tokens": )" + added +
         R"(, "normalizer": null, "pre_tokenizer": )" + pre +
         R"(, "post_processor": )" + post + R"(, "decoder": )" + decoder +
         R"(, "model": {"type": "BPE", "dropout": null, "unk_token": null)" +
         extraModel + R"(, "vocab": )" + vocab + R"(, "merges": )" + merges +
         "}}";
}

} // namespace nhc::text::test

#endif
