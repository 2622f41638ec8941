#include "nw/core/ini.h"

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

}  // namespace

IniDocument parse_ini(std::string_view text) {
  IniDocument doc;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM from editors

  int line_no = 0;
  // After a rejected header, its keys belong to no section: they must not land in the
  // previous one (the header's error is already reported).
  bool in_rejected_section = false;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view raw = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;

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
      bool duplicate = false;
      for (const auto& s : doc.sections) duplicate = duplicate || s.name == name;
      if (duplicate) {
        doc.errors.push_back({line_no, name, "section appears twice"});
        continue;
      }
      doc.sections.push_back({name, line_no, {}});
      in_rejected_section = false;
      continue;
    }

    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      doc.errors.push_back({line_no, "", "expected 'key = value', '[section]' or a comment"});
      continue;
    }
    const std::string key(trim(line.substr(0, eq)));
    const std::string value(trim(line.substr(eq + 1)));
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
    bool duplicate = false;
    for (const auto& e : section.entries) duplicate = duplicate || e.key == key;
    if (duplicate) {
      doc.errors.push_back({line_no, section.name + "." + key, "key appears twice in the section"});
      continue;
    }
    section.entries.push_back({key, value, line_no});
  }
  return doc;
}

}  // namespace nw
