#include "bpe_model.h"

#include "nhc/runtime/escape.h"
#include "nhc/text/text_error.h"
#include "utf8.h"

#include <algorithm>
#include <cstdio>
#include <queue>

namespace nhc::text::detail {

BpeModel::BpeModel(std::unordered_map<std::string, int32_t> vocab,
                   const std::vector<std::pair<std::string, std::string>> &merges,
                   BpeOptions options, const std::string &where)
    : vocab_(std::move(vocab)), opt_(std::move(options)),
      file_(where) {
  const size_t prefixLen =
      opt_.continuingSubwordPrefix ? opt_.continuingSubwordPrefix->size() : 0;
  merges_.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto &[a, b] = merges[i];
    const std::string at = where + ": model.merges[" + std::to_string(i) + "]";
    auto ia = vocab_.find(a);
    if (ia == vocab_.end())
      throw TextError(at + ": token \"" + a + "\" is not in model.vocab");
    auto ib = vocab_.find(b);
    if (ib == vocab_.end())
      throw TextError(at + ": token \"" + b + "\" is not in model.vocab");
    // With a continuing-subword prefix the right part loses it when merged.
    std::string merged = a;
    if (prefixLen && b.compare(0, prefixLen, *opt_.continuingSubwordPrefix) == 0)
      merged.append(b, prefixLen, std::string::npos);
    else
      merged += b;
    auto im = vocab_.find(merged);
    if (im == vocab_.end())
      throw TextError(at + ": merged token \"" + merged +
                      "\" is not in model.vocab");
    merges_[key(ia->second, ib->second)] =
        Merge{static_cast<uint32_t>(i), im->second};
  }
  if (opt_.unkToken) {
    auto it = vocab_.find(*opt_.unkToken);
    // tokenizers only fails when the unk token is needed; so do we (unkId_
    // stays empty and an unknown character then throws).
    if (it != vocab_.end()) unkId_ = it->second;
  }
  plainChars_ = !opt_.continuingSubwordPrefix && !opt_.endOfWordSuffix;
  if (plainChars_) {
    charId_.assign(512, -1);
    std::string s;
    for (uint32_t cp = 0; cp < 512; ++cp) {
      s.clear();
      appendCodePoint(s, cp);
      auto it = vocab_.find(s);
      if (it != vocab_.end()) charId_[cp] = it->second;
    }
  }
}

std::optional<int32_t> BpeModel::lookup(std::string_view s) const {
  auto it = vocab_.find(std::string(s));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

std::optional<int32_t> BpeModel::tokenToId(std::string_view token) const {
  return lookup(token);
}

void BpeModel::tokenize(std::string_view w, std::vector<int32_t> &out) const {
  if (w.empty()) return;
  if (opt_.ignoreMerges) {
    if (auto id = lookup(w)) {
      out.push_back(*id);
      return;
    }
  }
  // 1. One symbol per character (tokenizers' merge_word).
  struct Sym {
    int32_t id;
    int32_t prev, next;
    bool alive;
  };
  std::vector<Sym> syms;
  syms.reserve(w.size());
  std::optional<int32_t> pendingUnk;
  auto push = [&](int32_t id) {
    int32_t idx = static_cast<int32_t>(syms.size());
    syms.push_back(Sym{id, idx - 1, idx + 1, true});
  };
  std::string buf;
  size_t i = 0;
  while (i < w.size()) {
    const size_t start = i;
    const uint32_t cp = nextCodePoint(w, i);
    const bool isFirst = start == 0, isLast = i >= w.size();
    std::optional<int32_t> id;
    std::string_view piece = w.substr(start, i - start);
    if (plainChars_) {
      if (cp < 512) {
        if (charId_[cp] >= 0) id = charId_[cp];
      } else {
        id = lookup(piece);
      }
    } else {
      buf.clear();
      if (!isFirst && opt_.continuingSubwordPrefix)
        buf += *opt_.continuingSubwordPrefix;
      buf += piece;
      if (isLast && opt_.endOfWordSuffix) buf += *opt_.endOfWordSuffix;
      id = lookup(buf);
      piece = buf;
    }
    if (id) {
      if (pendingUnk) {
        push(*pendingUnk);
        pendingUnk.reset();
      }
      push(*id);
      continue;
    }
    if (opt_.byteFallback) {
      std::vector<int32_t> bytes;
      char name[8];
      for (unsigned char b : piece) {
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        auto bid = lookup(name);
        if (!bid) break;
        bytes.push_back(*bid);
      }
      if (bytes.size() == piece.size()) {
        // tokenizers does not flush a pending unk here.
        for (int32_t b : bytes) push(b);
        continue;
      }
    }
    if (opt_.unkToken) {
      if (!unkId_)
        throw TextError(file_ + ": model.unk_token " +
                        nhc::quoteForMessage(*opt_.unkToken) +
                        " is not in model.vocab, and the text has a piece "
                        "only it could encode");
      if (pendingUnk && !opt_.fuseUnk) push(*pendingUnk);
      pendingUnk = *unkId_;
    }
    // No unk token: the character is dropped, as tokenizers does.
  }
  if (pendingUnk) push(*pendingUnk);
  if (syms.empty()) return;
  syms.back().next = -1;

  // 2. Merge lowest rank first; equal ranks leftmost first.
  if (syms.size() > 1 && !merges_.empty()) {
    struct Cand {
      uint32_t rank;
      int32_t pos;
      int32_t newId;
      bool operator>(const Cand &o) const {
        return rank != o.rank ? rank > o.rank : pos > o.pos;
      }
    };
    std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
    for (size_t k = 0; k + 1 < syms.size(); ++k) {
      auto it = merges_.find(key(syms[k].id, syms[k + 1].id));
      if (it != merges_.end())
        heap.push(Cand{it->second.rank, static_cast<int32_t>(k),
                       it->second.newId});
    }
    while (!heap.empty()) {
      Cand c = heap.top();
      heap.pop();
      Sym &left = syms[c.pos];
      if (!left.alive || left.next < 0) continue;
      Sym &right = syms[left.next];
      auto it = merges_.find(key(left.id, right.id));
      if (it == merges_.end() || it->second.rank != c.rank ||
          it->second.newId != c.newId)
        continue; // stale entry
      left.id = c.newId;
      right.alive = false;
      left.next = right.next;
      if (left.next >= 0) syms[left.next].prev = c.pos;
      if (left.prev >= 0) {
        auto p = merges_.find(key(syms[left.prev].id, left.id));
        if (p != merges_.end())
          heap.push(Cand{p->second.rank, left.prev, p->second.newId});
      }
      if (left.next >= 0) {
        auto n = merges_.find(key(left.id, syms[left.next].id));
        if (n != merges_.end())
          heap.push(Cand{n->second.rank, c.pos, n->second.newId});
      }
    }
  }
  for (int32_t k = 0; k >= 0; k = syms[k].next) out.push_back(syms[k].id);
}

} // namespace nhc::text::detail
