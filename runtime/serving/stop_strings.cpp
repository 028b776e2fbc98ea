//===- stop_strings.cpp - Stop strings over streamed text -----------------===//

#include "nhc/serving/stop_strings.h"

#include <algorithm>

namespace nhc::serving {

StopStringMatcher::StopStringMatcher(std::vector<std::string> stops,
                                     bool includeStop)
    : includeStop_(includeStop) {
  for (std::string &stop : stops)
    if (!stop.empty())
      stops_.push_back(std::move(stop));
}

std::string StopStringMatcher::push(std::string_view text, bool &stopped) {
  stopped = false;
  if (stops_.empty())
    return std::string(text);
  pending_.append(text);
  // Search the shown text's tail (pushUnmatched's) and what is pending: a
  // stop may start in the tail but must end in the pending text.
  const std::string searched = context_ + pending_;
  const size_t shown = context_.size();
  context_.clear();
  // The stop string that appears first wins.
  size_t first = std::string::npos, length = 0;
  for (const std::string &stop : stops_) {
    size_t from = shown >= stop.size() ? shown - stop.size() + 1 : 0;
    size_t at = searched.find(stop, from);
    if (at < first) {
      first = at;
      length = stop.size();
    }
  }
  if (first != std::string::npos) {
    stopped = true;
    // What ends the text (before the stop, or with it), less what the tail
    // already showed.
    size_t end = first + (includeStop_ ? length : 0);
    pending_.clear();
    return end > shown ? searched.substr(shown, end - shown) : std::string();
  }
  // Hold the longest suffix that is a proper prefix of some stop string:
  // its pending part is held back, its part in the tail stays the tail.
  size_t held = 0;
  for (const std::string &stop : stops_) {
    size_t limit = std::min(stop.size() - 1, searched.size());
    for (size_t n = limit; n > held; --n)
      if (searched.compare(searched.size() - n, n, stop, 0, n) == 0) {
        held = n;
        break;
      }
  }
  const size_t heldFrom = searched.size() - held;
  if (heldFrom < shown) {
    context_ = searched.substr(heldFrom, shown - heldFrom);
    return std::string(); // all of the pending text may be a stop's end
  }
  std::string out = searched.substr(shown, heldFrom - shown);
  pending_ = searched.substr(heldFrom);
  return out;
}

std::string StopStringMatcher::pushUnmatched(std::string_view text) {
  std::string out = flush();
  out.append(text);
  // Kept to be searched, never shown again: a stop may start here and end
  // in later text (vLLM searches from stop length - 1 before new text).
  size_t longest = 0;
  for (const std::string &stop : stops_)
    longest = std::max(longest, stop.size());
  context_ += out;
  if (context_.size() + 1 > longest)
    context_.erase(0, context_.size() + 1 - std::max<size_t>(longest, 1));
  return out;
}

std::string StopStringMatcher::flush() {
  std::string rest;
  rest.swap(pending_);
  return rest;
}

} // namespace nhc::serving
