// Cache of BPE results per pre-tokenized word (the same words recur in text).
// Bounded: words up to kMaxWordBytes, at most kMaxEntries (then cleared).
#ifndef NHC_TEXT_TOKENIZER_WORD_CACHE_H
#define NHC_TEXT_TOKENIZER_WORD_CACHE_H

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nhc::text::detail {

class WordCache {
public:
  static constexpr size_t kMaxWordBytes = 256;
  static constexpr size_t kMaxEntries = 1u << 16;

  /// Appends the cached ids of `word` to `out`; false when not cached.
  bool get(const std::string &word, std::vector<int32_t> &out) const {
    if (word.size() > kMaxWordBytes) return false;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(word);
    if (it == map_.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }
  void put(const std::string &word, const int32_t *ids, size_t n) const {
    if (word.size() > kMaxWordBytes) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (map_.size() >= kMaxEntries) map_.clear();
    map_.emplace(word, std::vector<int32_t>(ids, ids + n));
  }

private:
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> map_;
};

} // namespace nhc::text::detail

#endif
