#include "nw/core/ini.h"

#include <cstdio>
#include <string>
#include <unordered_set>

namespace nw {
namespace {

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// Where a `;` or `#` that starts the value or follows a blank in it is, in the text after '=',
// or npos. A value that starts with one would be printed back by --check-config after
// "key = ", where it would read as a comment; so it is refused too.
std::size_t trailing_comment(std::string_view after_equals) {
  bool at_start = true;  // only blanks so far
  for (std::size_t i = 0; i < after_equals.size(); ++i) {
    const char c = after_equals[i];
    const bool after_blank = i > 0 && (after_equals[i - 1] == ' ' || after_equals[i - 1] == '\t');
    if ((c == '#' || c == ';') && (at_start || after_blank)) return i;
    at_start = at_start && (c == ' ' || c == '\t');
  }
  return std::string_view::npos;
}

// The first control character of a line (a trailing '\r' of a CRLF file and tabs are fine),
// or npos. Such bytes are never part of a key or a value: a file that has them is binary or
// damaged, and echoing them would drive the operator's terminal.
std::size_t control_character(std::string_view raw) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c == '\t' || (c == '\r' && i + 1 == raw.size())) continue;
    if (c < 0x20 || c == 0x7F) return i;
  }
  return std::string_view::npos;
}

// Each line of a binary file has some: past this many, one summary instead of one per line.
constexpr int kControlCharacterErrors = 10;

const char* const kCommentAfterValue =
    "a comment after a value is not allowed: comments go on their own line (in a regex, write "
    "# as [#] or \\x23 and ; as [;] or \\x3b)";

}  // namespace

IniDocument parse_ini(std::string_view text) {
  IniDocument doc;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM from editors

  int line_no = 0;
  // After a rejected header, its keys belong to no section: they must not land in the
  // previous one (the header's error is already reported).
  bool in_rejected_section = false;
  int control_lines = 0;
  // Duplicates are found by lookup, not by scanning what came before: each line costs the same
  // however many sections or keys precede it, so parsing is linear in the file's size.
  std::unordered_set<std::string> section_names;
  std::unordered_set<std::string> section_keys;  // of the last section accepted
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view raw = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;

    if (const auto at = control_character(raw); at != std::string_view::npos) {
      ++control_lines;
      if (control_lines <= kControlCharacterErrors) {
        char shown[8];
        std::snprintf(shown, sizeof shown, "\\x%02x", static_cast<unsigned char>(raw[at]));
        doc.errors.push_back(
            {line_no, "",
             std::string("control character ") + shown + " at column " + std::to_string(at + 1) +
                 ": a configuration file is text (is this file binary or damaged?)" +
                 (control_lines == kControlCharacterErrors
                      ? "; later lines with control characters are not listed"
                      : "")});
      }
      // Nothing on it can be trusted to be what the operator wrote. A rejected header's keys
      // must not land in the previous section.
      if (const auto t = trim(raw); !t.empty() && t.front() == '[') in_rejected_section = true;
      continue;
    }

    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == ';' || line.front() == '#') continue;

    if (line.front() == '[') {
      in_rejected_section = true;
      if (line.back() != ']') {
        doc.errors.push_back({line_no, "", "section header without closing ']'"});
        continue;
      }
      const std::string name(trim(line.substr(1, line.size() - 2)));
      if (name.empty()) {
        doc.errors.push_back({line_no, "", "empty section name"});
        continue;
      }
      if (!section_names.insert(name).second) {
        doc.errors.push_back({line_no, name, "section appears twice"});
        continue;
      }
      doc.sections.push_back({name, line_no, {}});
      section_keys.clear();
      in_rejected_section = false;
      continue;
    }

    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      doc.errors.push_back({line_no, "", "expected 'key = value', '[section]' or a comment"});
      continue;
    }
    const std::string key(trim(line.substr(0, eq)));
    const std::string_view after_equals = line.substr(eq + 1);
    const std::size_t comment = trailing_comment(after_equals);
    const std::string value(trim(after_equals.substr(0, comment)));
    if (key.empty()) {
      doc.errors.push_back({line_no, "", "missing key before '='"});
      continue;
    }
    if (in_rejected_section) continue;
    if (doc.sections.empty()) {
      doc.errors.push_back({line_no, key, "key outside of any [section]"});
      continue;
    }
    IniSection& section = doc.sections.back();
    if (!section_keys.insert(key).second) {
      doc.errors.push_back({line_no, section.name + "." + key, "key appears twice in the section"});
      continue;
    }
    const bool refused = comment != std::string_view::npos;
    if (refused) doc.errors.push_back({line_no, section.name + "." + key, kCommentAfterValue});
    section.entries.push_back({key, value, line_no, refused});
  }
  return doc;
}

}  // namespace nw
