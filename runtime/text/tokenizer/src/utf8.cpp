#include "utf8.h"

namespace nhc::text::detail {

Utf8Seq classifyUtf8(const unsigned char *p, size_t n, size_t *len) {
  const unsigned char b0 = p[0];
  if (b0 < 0x80) {
    *len = 1;
    return Utf8Seq::Valid;
  }
  size_t need;                  // continuation bytes after b0
  unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;      // no overlongs
    else if (b0 == 0xED) hi = 0x9F; // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;      // no overlongs
    else if (b0 == 0xF4) hi = 0x8F; // <= U+10FFFF
  } else {
    *len = 1; // C0, C1, F5..FF, lone continuation bytes
    return Utf8Seq::Invalid;
  }
  for (size_t k = 1; k <= need; ++k) {
    if (k >= n) {
      *len = n;
      return Utf8Seq::Incomplete;
    }
    const unsigned char b = p[k];
    const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      *len = k;
      return Utf8Seq::Invalid;
    }
  }
  *len = need + 1;
  return Utf8Seq::Valid;
}

bool isValidUtf8(std::string_view s) {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  size_t i = 0, n = s.size();
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    if (classifyUtf8(p + i, n - i, &len) != Utf8Seq::Valid) return false;
    i += len;
  }
  return true;
}

size_t appendLossyUtf8(std::string &out, std::string_view bytes, bool final) {
  const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
  size_t i = 0, n = bytes.size();
  while (i < n) {
    size_t start = i;
    while (i < n && p[i] < 0x80) ++i;
    out.append(bytes.data() + start, i - start);
    if (i >= n) break;
    size_t len;
    switch (classifyUtf8(p + i, n - i, &len)) {
    case Utf8Seq::Valid:
      out.append(bytes.data() + i, len);
      break;
    case Utf8Seq::Invalid:
      out.append("\xEF\xBF\xBD");
      break;
    case Utf8Seq::Incomplete:
      if (!final) return i;
      out.append("\xEF\xBF\xBD");
      break;
    }
    i += len;
  }
  return n;
}

std::string lossyUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + 8);
  appendLossyUtf8(out, bytes, true);
  return out;
}

uint32_t nextCodePoint(std::string_view s, size_t &i) {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  const unsigned char b0 = p[i];
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  if (b0 < 0xE0 && i + 1 < s.size()) {
    uint32_t cp = ((b0 & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu);
    i += 2;
    return cp;
  }
  if (b0 < 0xF0 && i + 2 < s.size()) {
    uint32_t cp = ((b0 & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) |
                  (p[i + 2] & 0x3Fu);
    i += 3;
    return cp;
  }
  if (i + 3 < s.size()) {
    uint32_t cp = ((b0 & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12) |
                  ((p[i + 2] & 0x3Fu) << 6) | (p[i + 3] & 0x3Fu);
    i += 4;
    return cp;
  }
  ++i; // malformed (callers pass valid UTF-8)
  return 0xFFFD;
}

void appendCodePoint(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool isWhiteSpace(uint32_t cp) {
  // Unicode PropList.txt White_Space (unchanged since Unicode 6.3).
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 ||
         cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

} // namespace nhc::text::detail
