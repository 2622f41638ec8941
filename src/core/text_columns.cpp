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

std::string fit_columns(const std::string& text, std::size_t columns, bool pad) {
  std::size_t chars = 0, end = 0;
  for (; end < text.size(); ++end) {
    if ((static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) continue;  // a continuation byte
    if (chars == columns) break;
    ++chars;
  }
  std::string out = text.substr(0, end);
  if (pad && chars < columns) out.append(columns - chars, ' ');
  return out;
}

}  // namespace nw
