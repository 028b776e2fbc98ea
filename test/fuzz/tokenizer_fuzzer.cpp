//===- tokenizer_fuzzer.cpp - tokenizer.json from strangers ---------------===//
//
// The input is a tokenizer.json. Whatever loads must encode a fixed
// multilingual text plus the input's tail, decode it, and stream it through
// the incremental decoder with the same text as decode() (its contract).

#include <optional>
#include <string>
#include <vector>

#include "FuzzUtil.h"
#include "nhc/text/text_error.h"
#include "nhc/text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = nhc::fuzz::writeScratch("tokenizer.json", data, size);
  std::optional<nhc::text::Tokenizer> tokenizer;
  try {
    tokenizer.emplace(nhc::text::Tokenizer::load(path));
  } catch (const nhc::text::TextError &e) {
    nhc::fuzz::requireMessage(true, e.what());
    return 0;
  }
  std::string text = "Hello, wörld! 12345 \t\n  Привет 🙂 <s></s> x=[1,2];";
  text.append(reinterpret_cast<const char *>(data) + (size > 64 ? size - 64 : 0),
              size > 64 ? 64 : size);
  for (bool special : {true, false}) {
    std::vector<int32_t> ids = tokenizer->encode(text, special);
    for (int32_t id : ids)
      if (id < 0 || size_t(id) >= tokenizer->vocabSize())
        std::abort();
    for (bool skip : {false, true}) {
      std::string whole = tokenizer->decode(ids, skip);
      nhc::text::IncrementalDecoder stream(*tokenizer, skip);
      std::string streamed;
      for (int32_t id : ids)
        streamed += stream.push(id);
      streamed += stream.finish();
      if (streamed != whole)
        std::abort();
    }
  }
  for (size_t id = 0; id < tokenizer->vocabSize() && id < 512; ++id) {
    (void)tokenizer->idToToken(int32_t(id));
    (void)tokenizer->tokenBytes(int32_t(id));
  }
  return 0;
}
