#include "pre_tokenizer.h"

#include "byte_level.h"
#include "utf8.h"

#include "nhc/text/text_error.h"

#include <chrono>
#include <ctime>
#include <string>

namespace nhc::text::detail {

const char *const kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
    "\\s+(?!\\S)|\\s+";

namespace {

// All matches of `re` in `s` as (begin, end, matched) runs covering s, the
// way tokenizers' Pattern::find_matches for an Oniguruma regex reports them.
template <typename F>
void forEachRun(const Regex &re, std::string_view s, F &&emit) {
  // Like the onig crate's find_iter: an empty match right where the previous
  // match ended is skipped by moving on one character; other empty matches
  // count (they split the text but give no piece).
  size_t prev = 0, from = 0, b = 0, e = 0;
  bool haveLast = false;
  size_t lastEnd = 0;
  while (from <= s.size() && re.find(s, from, &b, &e)) {
    RegexBudget::check(re);
    if (b == e && haveLast && lastEnd == e) {
      if (e >= s.size()) break;
      size_t k = e;
      nextCodePoint(s, k);
      from = k;
      continue;
    }
    if (prev != b) emit(prev, b, false);
    emit(b, e, true);
    prev = from = e;
    haveLast = true;
    lastEnd = e;
  }
  if (prev != s.size()) emit(prev, s.size(), false);
}

// The thread's budget (RegexBudget): the CPU time it may spend, and what it
// was for. `wallCheck` is when the budget could first be spent: a thread's
// CPU time grows no faster than the wall clock, so until then the cheap
// steady clock answers and the thread's CPU clock (a system call) is read
// only after it.
struct Budget {
  bool active = false;
  std::chrono::nanoseconds allowed{0};
  std::chrono::nanoseconds cpuStart{0};
  std::chrono::steady_clock::time_point wallCheck;
  size_t bytes = 0;
};
thread_local Budget budget;

std::chrono::nanoseconds threadCpuTime() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

} // namespace

RegexBudget::RegexBudget(size_t textBytes) : outermost_(!budget.active) {
  if (!outermost_)
    return;
  budget.active = true;
  budget.bytes = textBytes;
  budget.allowed = std::chrono::milliseconds(2000) +
                   std::chrono::milliseconds(textBytes / 20);
  budget.cpuStart = threadCpuTime();
  budget.wallCheck = std::chrono::steady_clock::now() + budget.allowed;
}

RegexBudget::~RegexBudget() {
  if (outermost_)
    budget.active = false;
}

void RegexBudget::check(const Regex &re) {
  if (!budget.active)
    return;
  auto now = std::chrono::steady_clock::now();
  if (now <= budget.wallCheck)
    return;
  std::chrono::nanoseconds used = threadCpuTime() - budget.cpuStart;
  if (used <= budget.allowed) { // the thread waited: not its time
    budget.wallCheck = now + (budget.allowed - used);
    return;
  }
  throw TextError(
      re.where() + ": the pre-tokenizer took more than " +
      std::to_string(
          std::chrono::duration_cast<std::chrono::milliseconds>(budget.allowed)
              .count()) +
      " ms of CPU time over " + std::to_string(budget.bytes) +
      " bytes of text (a pattern that backtracks super-linearly?)");
}

void PreTokenizer::applySplit(const SplitStep &step, std::string_view s,
                              std::vector<std::string_view> &out) {
  if (s.empty()) return;
  // Collect runs with `matched` flipped by invert.
  struct Run {
    size_t b, e;
    bool m;
  };
  std::vector<Run> runs;
  forEachRun(*step.regex, s, [&](size_t b, size_t e, bool m) {
    runs.push_back(Run{b, e, m != step.invert});
  });
  auto add = [&](size_t b, size_t e) {
    if (e > b) out.push_back(s.substr(b, e - b));
  };
  switch (step.behavior) {
  case SplitBehavior::Removed:
    for (const Run &r : runs)
      if (!r.m) add(r.b, r.e);
    break;
  case SplitBehavior::Isolated:
    for (const Run &r : runs) add(r.b, r.e);
    break;
  case SplitBehavior::MergedWithPrevious: {
    // A match joins the piece before it.
    size_t start = 0;
    bool open = false;
    for (const Run &r : runs) {
      if (r.m) {
        add(open ? start : r.b, r.e);
        open = false;
      } else {
        if (open) add(start, r.b);
        start = r.b;
        open = true;
      }
    }
    if (open) add(start, s.size());
    break;
  }
  case SplitBehavior::MergedWithNext: {
    // A match joins the piece after it.
    size_t start = 0;
    bool open = false;
    for (const Run &r : runs) {
      if (r.m) {
        if (open) add(start, r.b);
        start = r.b;
        open = true;
      } else {
        add(open ? start : r.b, r.e);
        open = false;
      }
    }
    if (open) add(start, s.size());
    break;
  }
  case SplitBehavior::Contiguous: {
    // Consecutive runs of the same kind merge (tokenizers starts with
    // "previous was not a match").
    bool prevMatch = false;
    size_t start = 0, end = 0;
    bool have = false;
    for (const Run &r : runs) {
      if (have && r.m == prevMatch) {
        end = r.e;
      } else {
        if (have) add(start, end);
        start = r.b;
        end = r.e;
        have = true;
      }
      prevMatch = r.m;
    }
    if (have) add(start, end);
    break;
  }
  }
}

void PreTokenizer::run(std::string_view text,
                       std::vector<std::string> &words) const {
  RegexBudget scope(text.size()); // the caller's, when it holds one
  std::vector<std::string_view> cur{text}, next;
  for (const SplitStep &step : splits) {
    next.clear();
    for (std::string_view p : cur) applySplit(step, p, next);
    cur.swap(next);
  }
  if (!byteLevel) {
    for (std::string_view p : cur)
      if (!p.empty()) words.emplace_back(p);
    return;
  }
  std::string prefixed;
  for (std::string_view p : cur) {
    if (p.empty()) continue;
    if (addPrefixSpace && p.front() != ' ') {
      prefixed.assign(1, ' ');
      prefixed.append(p);
      p = prefixed;
    }
    auto emit = [&](std::string_view w) {
      std::string out;
      out.reserve(w.size() * 2);
      appendByteLevel(out, w);
      words.push_back(std::move(out));
    };
    if (byteLevelRegex) {
      forEachRun(*byteLevelRegex, p, [&](size_t b, size_t e, bool) {
        if (e > b) emit(p.substr(b, e - b));
      });
    } else {
      emit(p);
    }
  }
}

} // namespace nhc::text::detail
