#include "nw/core/text_columns.h"

#include "nw/core/audit_record.h"

namespace nw {

std::string collapse_blanks(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (const char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string terminal_line(std::string_view text) {
  return terminal_safe(collapse_blanks(text));
}

namespace {

// The code point starting at text[i] (0xFFFD for a malformed sequence) and its length.
char32_t code_point(const std::string& text, std::size_t i, std::size_t& length) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  length = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
  if (i + length > text.size()) {
    length = 1;
    return 0xFFFD;
  }
  if (length == 1) return b < 0x80 ? b : 0xFFFD;
  char32_t c = b & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      length = 1;
      return 0xFFFD;
    }
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  return c;
}

// Columns a terminal gives `c`: 2 for East Asian wide and full-width characters and emoji,
// 1 otherwise (combining marks are rare in queries, and counted as 1: a line comes out short).
std::size_t columns_of(char32_t c) {
  const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
                    (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) ||
                    (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
                    (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
                    (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
                    (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
                    (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
  return wide ? 2 : 1;
}

}  // namespace

std::string fit_columns(const std::string& text, std::size_t columns, bool pad) {
  std::size_t used = 0, end = 0;
  while (end < text.size()) {
    std::size_t length = 1;
    const std::size_t width = columns_of(code_point(text, end, length));
    if (used + width > columns) break;
    used += width;
    end += length;
  }
  std::string out = text.substr(0, end);
  if (pad && used < columns) out.append(columns - used, ' ');
  return out;
}

}  // namespace nw
