// Added tokens ("added_tokens" of tokenizer.json): found in the text before
// pre-tokenization, as tokenizers' AddedVocabulary does: leftmost-longest
// matching, first over the raw text for tokens with normalized=false, then
// over the remaining pieces for normalized=true tokens; single_word /
// lstrip / rstrip as in tokenizers (Unicode \w and White_Space).
#ifndef NHC_TEXT_TOKENIZER_ADDED_VOCABULARY_H
#define NHC_TEXT_TOKENIZER_ADDED_VOCABULARY_H

#include "pcre_regex.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nhc::text::detail {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool singleWord = false, lstrip = false, rstrip = false;
  bool normalized = true, special = false;
};

/// A piece of the input: [begin, end) bytes; id >= 0 for an added token.
struct Segment {
  size_t begin, end;
  int32_t id;
};

class AddedVocabulary {
public:
  AddedVocabulary();
  ~AddedVocabulary();
  AddedVocabulary(AddedVocabulary &&) noexcept;
  AddedVocabulary &operator=(AddedVocabulary &&) noexcept;

  /// Adds the tokens (with their final ids) and builds the matchers.
  void build(std::vector<AddedToken> tokens);
  const std::vector<AddedToken> &tokens() const { return tokens_; }
  const AddedToken *byId(int32_t id) const;
  const AddedToken *byContent(std::string_view content) const;

  /// Splits `text` (valid UTF-8) into added tokens and the text between.
  /// Throws TextError when matching would take more than
  /// kTrieStepsPerByte trie steps per byte of `text` (a hostile added token
  /// that the text nearly repeats: the walk from every position is long).
  void split(std::string_view text, std::vector<Segment> &out) const;

  /// The matching budget: far above what real added tokens (tens of bytes)
  /// take, far below the quadratic walk of a megabyte-long one.
  static constexpr uint64_t kTrieStepsPerByte = 256;
  static constexpr uint64_t kTrieStepsBase = 1u << 20;

private:
  struct Trie {
    // Edge (node << 8 | byte) -> child node; terminal token index per node.
    std::unordered_map<uint64_t, uint32_t> edges;
    std::vector<int32_t> terminal{-1};
    std::vector<bool> firstByte = std::vector<bool>(256, false);
    bool empty = true;
    void insert(std::string_view s, int32_t tokenIndex);
    /// Longest token starting at text[pos]; -1 when none. Sets *len and
    /// adds the bytes walked to *steps.
    int32_t longest(std::string_view text, size_t pos, size_t *len,
                    uint64_t *steps) const;
  };
  void findIn(const Trie &trie, std::string_view text, size_t base,
              std::vector<Segment> &out) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> byId_;
  std::unordered_map<std::string, size_t> byContent_;
  Trie raw_, normalized_;
  std::unique_ptr<Regex> wordChar_;
};

} // namespace nhc::text::detail

#endif
