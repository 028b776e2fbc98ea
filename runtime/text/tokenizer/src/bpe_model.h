// The BPE model of tokenizer.json ("model": {"type": "BPE"}): vocabulary,
// ranked merges and the word -> ids algorithm of tokenizers'
// models/bpe (Word::merge_all): repeatedly apply the lowest-ranked merge
// present, leftmost first on equal rank, until none applies.
#ifndef NHC_TEXT_TOKENIZER_BPE_MODEL_H
#define NHC_TEXT_TOKENIZER_BPE_MODEL_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace nhc::text::detail {

struct BpeOptions {
  std::optional<std::string> unkToken;
  std::optional<std::string> continuingSubwordPrefix;
  std::optional<std::string> endOfWordSuffix;
  bool fuseUnk = false;
  bool byteFallback = false;
  bool ignoreMerges = false;
};

class BpeModel {
public:
  /// `vocab`: token -> id. `merges`: pairs in rank order; a pair listed
  /// twice takes its last rank (tokenizers collects them into a map).
  /// `where`: the tokenizer file. Throws TextError(where + key) for merges
  /// naming tokens not in the vocabulary. An unk_token missing from it is
  /// refused only by a tokenize() that needs it (as tokenizers does).
  BpeModel(std::unordered_map<std::string, int32_t> vocab,
           const std::vector<std::pair<std::string, std::string>> &merges,
           BpeOptions options, const std::string &where);

  /// Appends the ids of one pre-tokenized word (already byte-level mapped).
  void tokenize(std::string_view word, std::vector<int32_t> &out) const;

  const std::unordered_map<std::string, int32_t> &vocab() const {
    return vocab_;
  }
  std::optional<int32_t> tokenToId(std::string_view token) const;

private:
  struct PairHash {
    size_t operator()(uint64_t k) const noexcept {
      k ^= k >> 33;
      k *= 0xff51afd7ed558ccdULL;
      k ^= k >> 33;
      return static_cast<size_t>(k);
    }
  };
  struct Merge {
    uint32_t rank;
    int32_t newId;
  };
  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) |
           static_cast<uint32_t>(b);
  }
  std::optional<int32_t> lookup(std::string_view s) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::unordered_map<uint64_t, Merge, PairHash> merges_;
  BpeOptions opt_;
  /// The tokenizer file, for messages at encode time.
  std::string file_;
  std::optional<int32_t> unkId_;
  /// id of the one-character token for code points < 512 (no prefix or
  /// suffix options), -2 when not yet looked up is not needed: -1 = absent.
  std::vector<int32_t> charId_;
  bool plainChars_ = true;
};

} // namespace nhc::text::detail

#endif
