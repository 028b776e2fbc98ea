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
  // The stop string that appears first wins.
  size_t first = std::string::npos, length = 0;
  for (const std::string &stop : stops_) {
    size_t at = pending_.find(stop);
    if (at < first) {
      first = at;
      length = stop.size();
    }
  }
  if (first != std::string::npos) {
    stopped = true;
    std::string shown = pending_.substr(0, first + (includeStop_ ? length : 0));
    pending_.clear();
    return shown;
  }
  // Hold the longest suffix that is a proper prefix of some stop string.
  size_t held = 0;
  for (const std::string &stop : stops_) {
    size_t limit = std::min(stop.size() - 1, pending_.size());
    for (size_t n = limit; n > held; --n)
      if (pending_.compare(pending_.size() - n, n, stop, 0, n) == 0) {
        held = n;
        break;
      }
  }
  std::string shown = pending_.substr(0, pending_.size() - held);
  pending_.erase(0, pending_.size() - held);
  return shown;
}

std::string StopStringMatcher::pushUnmatched(std::string_view text) {
  std::string shown = flush();
  shown.append(text);
  return shown;
}

std::string StopStringMatcher::flush() {
  std::string rest;
  rest.swap(pending_);
  return rest;
}

} // namespace nhc::serving
