#pragma once
// A small INI tokenizer for the watchdog's config file.
//
// Poco's IniFileConfiguration is not used because it keeps keys in a map (losing the file
// order that decides which rule governs a query), knows no `#` comments, silently lets a
// duplicate key win and has no line numbers for error messages.
//
// Syntax: `[section]` headers; `key = value` lines; a line whose first non-blank character is
// `;` or `#` is a comment. Comments stand on their own lines: a value runs to the end of its
// line, so a regex may contain `;` or `#`. Blanks around keys and values are trimmed.
#include <string>
#include <string_view>
#include <vector>

namespace nw {

struct IniEntry {
  std::string key;
  std::string value;
  int line = 0;
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
