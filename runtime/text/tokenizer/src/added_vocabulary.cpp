#include "added_vocabulary.h"

#include "utf8.h"

#include "nhc/text/text_error.h"

namespace nhc::text::detail {

AddedVocabulary::AddedVocabulary() = default;
AddedVocabulary::~AddedVocabulary() = default;
AddedVocabulary::AddedVocabulary(AddedVocabulary &&) noexcept = default;
AddedVocabulary &AddedVocabulary::operator=(AddedVocabulary &&) noexcept = default;

void AddedVocabulary::Trie::insert(std::string_view s, int32_t tokenIndex) {
  uint32_t node = 0;
  for (unsigned char b : s) {
    uint64_t k = (static_cast<uint64_t>(node) << 8) | b;
    auto it = edges.find(k);
    if (it == edges.end()) {
      uint32_t child = static_cast<uint32_t>(terminal.size());
      terminal.push_back(-1);
      edges.emplace(k, child);
      node = child;
    } else {
      node = it->second;
    }
  }
  terminal[node] = tokenIndex;
  firstByte[static_cast<unsigned char>(s[0])] = true;
  empty = false;
}

int32_t AddedVocabulary::Trie::longest(std::string_view text, size_t pos,
                                       size_t *len, uint64_t *steps) const {
  uint32_t node = 0;
  int32_t best = -1;
  for (size_t i = pos; i < text.size(); ++i) {
    ++*steps;
    auto it = edges.find((static_cast<uint64_t>(node) << 8) |
                         static_cast<unsigned char>(text[i]));
    if (it == edges.end()) break;
    node = it->second;
    if (terminal[node] >= 0) {
      best = terminal[node];
      *len = i + 1 - pos;
    }
  }
  return best;
}

void AddedVocabulary::build(std::vector<AddedToken> tokens) {
  tokens_ = std::move(tokens);
  byId_.clear();
  byContent_.clear();
  raw_ = Trie{};
  normalized_ = Trie{};
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken &t = tokens_[i];
    byId_[t.id] = i;
    byContent_[t.content] = i;
    if (t.content.empty()) continue;
    (t.normalized ? normalized_ : raw_).insert(t.content,
                                                static_cast<int32_t>(i));
  }
  if (!wordChar_)
    wordChar_ = std::make_unique<Regex>(
        "[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}]", false,
        "added-token word class");
}

const AddedToken *AddedVocabulary::byId(int32_t id) const {
  auto it = byId_.find(id);
  return it == byId_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken *AddedVocabulary::byContent(std::string_view c) const {
  auto it = byContent_.find(std::string(c));
  return it == byContent_.end() ? nullptr : &tokens_[it->second];
}

void AddedVocabulary::split(std::string_view text,
                            std::vector<Segment> &out) const {
  if (raw_.empty) {
    findIn(normalized_, text, 0, out);
    return;
  }
  std::vector<Segment> first;
  findIn(raw_, text, 0, first);
  for (const Segment &s : first) {
    if (s.id >= 0 || normalized_.empty) {
      out.push_back(s);
      continue;
    }
    // No normalizer is supported, so the normalized text is the text.
    findIn(normalized_, text.substr(s.begin, s.end - s.begin), s.begin, out);
  }
}

void AddedVocabulary::findIn(const Trie &trie, std::string_view s, size_t base,
                             std::vector<Segment> &out) const {
  if (s.empty()) return;
  if (trie.empty) {
    out.push_back(Segment{base, base + s.size(), -1});
    return;
  }
  // The last character of s[..end) / first of s[from..) is a word char.
  auto endsWithWord = [&](size_t end) {
    size_t b = end;
    while (b > 0 && (static_cast<unsigned char>(s[b - 1]) & 0xC0) == 0x80) --b;
    if (b > 0) --b;
    return wordChar_->fullMatch(s.substr(b, end - b));
  };
  auto startsWithWord = [&](size_t from) {
    size_t i = from;
    nextCodePoint(s, i);
    return wordChar_->fullMatch(s.substr(from, i - from));
  };
  size_t startOffset = 0; // end of the last emitted piece
  // The last rstrip's run of White_Space [wsFrom, wsEnd): a later token
  // that stops inside it strips to wsEnd without walking the run again
  // (tokens of spaces with rstrip would walk it once per space).
  size_t wsFrom = 0, wsEnd = 0;
  uint64_t steps = 0;
  const uint64_t budget = kTrieStepsBase + kTrieStepsPerByte * s.size();
  size_t pos = 0;
  while (pos < s.size()) {
    if (!trie.firstByte[static_cast<unsigned char>(s[pos])]) {
      ++pos;
      continue;
    }
    size_t len = 0;
    int32_t ti = trie.longest(s, pos, &len, &steps);
    if (steps > budget)
      throw TextError("added tokens: matching them in a text of " +
                      std::to_string(s.size()) + " bytes takes more than " +
                      std::to_string(budget) +
                      " trie steps (an added token that the text nearly "
                      "repeats, e.g. a very long one: a hostile "
                      "tokenizer.json?)");
    if (ti < 0) {
      ++pos;
      continue;
    }
    const AddedToken &t = tokens_[static_cast<size_t>(ti)];
    size_t start = pos, stop = pos + len;
    pos = stop; // matches never overlap, rejected ones included
    if (t.singleWord) {
      bool startSpace = start == 0 || !endsWithWord(start);
      bool stopSpace = stop == s.size() || !startsWithWord(stop);
      if (!startSpace || !stopSpace) continue;
    }
    if (t.lstrip) {
      // Start of the run of White_Space that ends at `start`, as far back
      // as the last emitted piece (nothing before it is stripped).
      size_t ns = start;
      while (ns > startOffset) {
        size_t b = ns - 1;
        while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
        size_t k = b;
        if (!isWhiteSpace(nextCodePoint(s, k))) break;
        ns = b;
      }
      start = std::max(ns, startOffset);
    }
    if (t.rstrip) {
      if (wsFrom <= stop && stop <= wsEnd) {
        stop = wsEnd;
      } else {
        wsFrom = stop;
        while (stop < s.size()) {
          size_t k = stop;
          if (!isWhiteSpace(nextCodePoint(s, k))) break;
          stop = k;
        }
        wsEnd = stop;
      }
      // The matcher still resumes after the token itself (tokenizers'
      // aho-corasick iterator), not after the stripped spaces.
    }
    if (stop < start) {
      // This token lstrips, and an earlier token's rstrip took whitespace
      // past this token's end: no split of the text gives both (tokenizers
      // 0.23.3 panics, "AddedVocabulary bad split").
      throw TextError("added tokens: '" + t.content + "' (id " +
                      std::to_string(t.id) + ") at byte " +
                      std::to_string(base + pos - len) +
                      " lies in the whitespace that the added token before "
                      "it strips with rstrip (tokens whose strips overlap: "
                      "tokenizers cannot split this text either)");
    }
    if (startOffset < start)
      out.push_back(Segment{base + startOffset, base + start, -1});
    // A match whose strips leave it empty (the rest of a run of whitespace
    // an earlier token took) is dropped, as tokenizers drops empty splits.
    if (start < stop)
      out.push_back(Segment{base + start, base + stop, t.id});
    startOffset = stop;
  }
  if (startOffset < s.size())
    out.push_back(Segment{base + startOffset, base + s.size(), -1});
}

} // namespace nhc::text::detail
