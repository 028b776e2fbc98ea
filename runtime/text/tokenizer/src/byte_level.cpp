#include "byte_level.h"

#include "utf8.h"

#include <array>

namespace nhc::text::detail {
namespace {

struct Tables {
  std::array<uint32_t, 256> toCp{};
  std::array<int16_t, 324> toByte{}; // code points used are < 0x144
  std::array<std::string, 256> utf8;
  Tables() {
    toByte.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool self = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                  (b >= 0xAE && b <= 0xFF);
      uint32_t cp = self ? static_cast<uint32_t>(b) : next++;
      toCp[b] = cp;
      toByte[cp] = static_cast<int16_t>(b);
      appendCodePoint(utf8[b], cp);
    }
  }
};

const Tables &tables() {
  static const Tables t;
  return t;
}

} // namespace

uint32_t byteToCodePoint(unsigned char b) { return tables().toCp[b]; }

int codePointToByte(uint32_t cp) {
  return cp < 324 ? tables().toByte[cp] : -1;
}

void appendByteLevel(std::string &out, std::string_view bytes) {
  const Tables &t = tables();
  for (unsigned char b : bytes) out += t.utf8[b];
}

std::string byteLevelDecodeToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  size_t i = 0;
  while (i < token.size()) {
    int b = codePointToByte(nextCodePoint(token, i));
    if (b < 0) return std::string(token);
    out.push_back(static_cast<char>(b));
  }
  return out;
}

} // namespace nhc::text::detail
