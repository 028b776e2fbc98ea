// Tokenizer::Impl: everything a loaded tokenizer.json (+ tokenizer_config.json)
// holds. Built by tokenizer_json.cpp, used by tokenizer.cpp and
// incremental_decoder.cpp.
#ifndef NHC_TEXT_TOKENIZER_IMPL_H
#define NHC_TEXT_TOKENIZER_IMPL_H

#include "nhc/text/tokenizer.h"

#include "added_vocabulary.h"
#include "bpe_model.h"
#include "post_processor.h"
#include "pre_tokenizer.h"
#include "word_cache.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nhc::text {

enum class DecoderKind { None, ByteLevel };

/// What decode() needs per id.
struct IdEntry {
  std::string token; ///< added-token content, else the model's token
  std::string bytes; ///< token after the decoder's per-token rule
  bool special = false;
};

struct Tokenizer::Impl {
  std::string jsonPath;
  std::unique_ptr<detail::BpeModel> model;
  detail::AddedVocabulary added;
  detail::PreTokenizer pre;
  detail::PostProcessor post;
  DecoderKind decoder = DecoderKind::None;

  std::vector<int32_t> idIndex; ///< id -> index into entries, -1 for gaps
  std::vector<IdEntry> entries;

  std::string bosToken, eosToken, chatTemplate;
  /// Where chatTemplate came from, for diagnostics ("" when none).
  std::string chatTemplateSource;
  std::optional<int32_t> bosId, eosId;
  std::optional<bool> addBos, addEos;

  detail::WordCache cache;

  /// nullptr for an id with no token (negative, a gap, >= idIndex.size()).
  const IdEntry *entry(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= idIndex.size()) return nullptr;
    int32_t k = idIndex[static_cast<size_t>(id)];
    return k < 0 ? nullptr : &entries[static_cast<size_t>(k)];
  }
};

namespace detail {
/// Parses tokenizer.json at `jsonPath` and, when `configPath` is not empty,
/// tokenizer_config.json; when `templatePath` is not empty its contents
/// (chat_template.jinja) are the chat template, ahead of the config's
/// (transformers 5 saves the template there and reads that file first).
/// Throws TextError.
std::unique_ptr<Tokenizer::Impl> loadTokenizer(const std::string &jsonPath,
                                               const std::string &configPath,
                                               const std::string &templatePath = {});
} // namespace detail

} // namespace nhc::text

#endif
