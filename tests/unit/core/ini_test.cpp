#include "nw/core/ini.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nw {
namespace {

// "section:line" and "section.key=value@line" lines, so a whole document compares in one go.
std::vector<std::string> flatten(const IniDocument& doc) {
  std::vector<std::string> out;
  for (const auto& s : doc.sections) {
    out.push_back("[" + s.name + "]@" + std::to_string(s.line));
    for (const auto& e : s.entries)
      out.push_back(s.name + "." + e.key + "=" + e.value + "@" + std::to_string(e.line));
  }
  return out;
}

std::vector<std::string> errors_of(const IniDocument& doc) {
  std::vector<std::string> out;
  for (const auto& e : doc.errors)
    out.push_back(std::to_string(e.line) + "|" + e.key + "|" + e.message);
  return out;
}

using Lines = std::vector<std::string>;

TEST(ParseIni, ReadsSectionsAndEntriesInFileOrder) {
  struct Row {
    const char* name;
    std::string text;
    Lines expected;
  } rows[] = {
      {"empty", "", {}},
      {"only comments and blanks", "; a\n# b\n\n   \n\t; c\n", {}},
      {"sections in file order", "[z]\n[a]\n[m]\n", {"[z]@1", "[a]@2", "[m]@3"}},
      {"entries in file order", "[s]\nb = 2\na = 1\nc = 3\n",
       {"[s]@1", "s.b=2@2", "s.a=1@3", "s.c=3@4"}},
      {"comment lines skipped, numbers kept", "; top\n[s]\n# note\n  ; indented\nk = v\n",
       {"[s]@2", "s.k=v@5"}},
      {"value keeps semicolon and hash", "[rule.r]\nquery_matches = a;b # c ; d\n",
       {"[rule.r]@1", "rule.r.query_matches=a;b # c ; d@2"}},
      {"value starting with hash", "[s]\nk = #not a comment\n", {"[s]@1", "s.k=#not a comment@2"}},
      {"value starting with semicolon", "[s]\nk = ;x\n", {"[s]@1", "s.k=;x@2"}},
      {"value containing equals", "[s]\nk = a=b==c\n", {"[s]@1", "s.k=a=b==c@2"}},
      {"trimming around key and value", "[s]\n \t key \t=\t  some value  \t\n",
       {"[s]@1", "s.key=some value@2"}},
      {"no blanks around equals", "[s]\nk=v\n", {"[s]@1", "s.k=v@2"}},
      {"empty value", "[s]\nca_file =\n", {"[s]@1", "s.ca_file=@2"}},
      {"section name trimmed", "[  watchdog \t]\n", {"[watchdog]@1"}},
      {"indented header", "   [s]\n", {"[s]@1"}},
      {"regex with brackets", "[rule.r]\nquery_matches = ^\\s*[A-Z]+ #x\n",
       {"[rule.r]@1", "rule.r.query_matches=^\\s*[A-Z]+ #x@2"}},
      {"crlf line ends", "[s]\r\nk = v\r\n\r\nj = w\r\n", {"[s]@1", "s.k=v@2", "s.j=w@4"}},
      {"crlf comment", "[s]\r\n; c\r\nk = v\r\n", {"[s]@1", "s.k=v@3"}},
      {"bom", "\xEF\xBB\xBF[s]\nk = v\n", {"[s]@1", "s.k=v@2"}},
      {"bom and crlf", "\xEF\xBB\xBF; c\r\n[s]\r\nk = v", {"[s]@2", "s.k=v@3"}},
      {"no final newline", "[s]\nk = v", {"[s]@1", "s.k=v@2"}},
      {"same key in two sections", "[a]\nk = 1\n[b]\nk = 2\n", {"[a]@1", "a.k=1@2", "[b]@3", "b.k=2@4"}},
      {"utf8 value", "[s]\nk = caf\xC3\xA9\n", {"[s]@1", "s.k=caf\xC3\xA9@2"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const IniDocument doc = parse_ini(row.text);
    EXPECT_EQ(flatten(doc), row.expected);
    EXPECT_EQ(errors_of(doc), Lines{});
  }
}

TEST(ParseIni, ReportsMalformedLinesWithLineNumbersAndGoesOn) {
  struct Row {
    const char* name;
    std::string text;
    Lines errors;
    Lines kept;
  } rows[] = {
      {"missing equals", "[s]\nk = 1\njust words\nj = 2\n",
       {"3||expected 'key = value', '[section]' or a comment"}, {"[s]@1", "s.k=1@2", "s.j=2@4"}},
      {"missing key", "[s]\n = v\n", {"2||missing key before '='"}, {"[s]@1"}},
      {"key before any section", "; c\nk = v\n[s]\nj = w\n",
       {"2|k|key outside of any [section]"}, {"[s]@3", "s.j=w@4"}},
      {"duplicate key", "[s]\nk = 1\nk = 2\n", {"3|s.k|key appears twice in the section"},
       {"[s]@1", "s.k=1@2"}},
      {"duplicate key after others", "[w]\na = 1\nb = 2\n\na = 3\n",
       {"5|w.a|key appears twice in the section"}, {"[w]@1", "w.a=1@2", "w.b=2@3"}},
      {"duplicate section", "[a]\nk = 1\n[b]\n[a]\n", {"4|a|section appears twice"},
       {"[a]@1", "a.k=1@2", "[b]@3"}},
      {"unclosed bracket", "[s]\nk = v\n[rule.x\n", {"3||section header without closing ']'"},
       {"[s]@1", "s.k=v@2"}},
      {"comment after header", "[s] ; c\n", {"1||section header without closing ']'"}, {}},
      {"empty section name", "[]\n[ ]\n", {"1||empty section name", "2||empty section name"}, {}},
      {"crlf keeps line numbers", "[s]\r\nk = 1\r\nbroken\r\nk = 2\r\n",
       {"3||expected 'key = value', '[section]' or a comment", "4|s.k|key appears twice in the section"},
       {"[s]@1", "s.k=1@2"}},
      {"several errors in line order", "x = 1\n[s]\nnope\nk = 1\nk = 2\n[s]\n[t\n",
       {"1|x|key outside of any [section]", "3||expected 'key = value', '[section]' or a comment",
        "5|s.k|key appears twice in the section", "6|s|section appears twice",
        "7||section header without closing ']'"},
       {"[s]@2", "s.k=1@4"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const IniDocument doc = parse_ini(row.text);
    EXPECT_EQ(errors_of(doc), row.errors);
    EXPECT_EQ(flatten(doc), row.kept);
  }
}

TEST(ParseIni, KeysUnderARejectedHeaderDoNotJoinThePreviousSection) {
  struct Row {
    const char* name;
    std::string text;
  } rows[] = {
      {"after unclosed header", "[watchdog]\npoll_interval = 5s\n[rule.x\nmax_elapsed = 5s\n"},
      {"after duplicate header", "[watchdog]\npoll_interval = 5s\n[rule.x]\n[watchdog]\nmax_elapsed = 5s\n"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const IniDocument doc = parse_ini(row.text);
    for (const auto& s : doc.sections)
      for (const auto& e : s.entries)
        EXPECT_NE(e.key, "max_elapsed") << "attributed to [" << s.name << "]";
  }
}

}  // namespace
}  // namespace nw
