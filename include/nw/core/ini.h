#pragma once
// A small INI tokenizer for the watchdog's config file.
//
// Poco's IniFileConfiguration is not used because it keeps keys in a map (losing the file
// order that decides which rule governs a query), knows no `#` comments, silently lets a
// duplicate key win and has no line numbers for error messages.
//
// Syntax: `[section]` headers; `key = value` lines; a line whose first non-blank character is
// `;` or `#` is a comment. Comments stand on their own lines: a value runs to the end of its
// line, and one that starts with `;` or `#`, or in which a blank is followed by one, is
// refused, because it is almost always a comment the operator meant to end the value with (a
// regex that silently matches nothing, a path that does not exist). A regex writes those
// characters as `[#]` or `\x23`, `[;]` or `\x3b`; `a;b` and `a#b` stay values. Blanks around keys
// and values are trimmed. A line with a control character (other than a tab, or the '\r' of
// a CRLF line end) is refused whole, and the error shows the byte as `\x01`, never raw.
#include <string>
#include <string_view>
#include <vector>

namespace nw {

struct IniEntry {
  std::string key;
  std::string value;  // with a refused comment: the text before it
  int line = 0;
  // A blank followed by `;` or `#` in the value: already an error, so the value is not parsed
  // (one message per line), but the key still counts as present.
  bool comment_refused = false;
};

struct IniSection {
  std::string name;
  int line = 0;
  std::vector<IniEntry> entries;  // in file order
};

struct IniError {
  int line = 0;
  std::string key;  // "section.key" where there is one, else empty
  std::string message;
};

struct IniDocument {
  std::vector<IniSection> sections;  // in file order
  std::vector<IniError> errors;      // malformed lines, duplicates; parsing goes on after each
};

IniDocument parse_ini(std::string_view text);

}  // namespace nw
