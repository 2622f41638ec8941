#include "nw/core/ini.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

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

const std::string kComment =
    "a comment after a value is not allowed: comments go on their own line (in a regex, write "
    "# as [#] or \\x23 and ; as [;] or \\x3b)";

TEST(ParseIni, ReadsSectionsAndEntriesInFileOrder) {
  struct Row {
    const char* name;
    std::string text;
    Lines expected;
  } rows[] = {
      {"empty", "", {}},
      {"only comments and blanks", "; a\n# b\n\n   \n\t; c\n", {}},
      {"sections in file order", "[z]\n[a]\n[m]\n", {"[z]@1", "[a]@2", "[m]@3"}},
      {"entries in file order",
       "[s]\nb = 2\na = 1\nc = 3\n",
       {"[s]@1", "s.b=2@2", "s.a=1@3", "s.c=3@4"}},
      {"comment lines skipped, numbers kept",
       "; top\n[s]\n# note\n  ; indented\nk = v\n",
       {"[s]@2", "s.k=v@5"}},
      {"value keeps semicolon and hash after no blank",
       "[rule.r]\nquery_matches = a;b#c[#]\\x23\n",
       {"[rule.r]@1", "rule.r.query_matches=a;b#c[#]\\x23@2"}},
      {"value containing equals", "[s]\nk = a=b==c\n", {"[s]@1", "s.k=a=b==c@2"}},
      {"trimming around key and value",
       "[s]\n \t key \t=\t  some value  \t\n",
       {"[s]@1", "s.key=some value@2"}},
      {"no blanks around equals", "[s]\nk=v\n", {"[s]@1", "s.k=v@2"}},
      {"empty value", "[s]\nca_file =\n", {"[s]@1", "s.ca_file=@2"}},
      {"section name trimmed", "[  watchdog \t]\n", {"[watchdog]@1"}},
      {"indented header", "   [s]\n", {"[s]@1"}},
      {"regex with brackets",
       "[rule.r]\nquery_matches = ^\\s*[A-Z]+ [#]x\n",
       {"[rule.r]@1", "rule.r.query_matches=^\\s*[A-Z]+ [#]x@2"}},
      {"crlf line ends", "[s]\r\nk = v\r\n\r\nj = w\r\n", {"[s]@1", "s.k=v@2", "s.j=w@4"}},
      {"crlf comment", "[s]\r\n; c\r\nk = v\r\n", {"[s]@1", "s.k=v@3"}},
      {"bom", "\xEF\xBB\xBF[s]\nk = v\n", {"[s]@1", "s.k=v@2"}},
      {"bom and crlf", "\xEF\xBB\xBF; c\r\n[s]\r\nk = v", {"[s]@2", "s.k=v@3"}},
      {"no final newline", "[s]\nk = v", {"[s]@1", "s.k=v@2"}},
      {"same key in two sections",
       "[a]\nk = 1\n[b]\nk = 2\n",
       {"[a]@1", "a.k=1@2", "[b]@3", "b.k=2@4"}},
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
      {"missing equals",
       "[s]\nk = 1\njust words\nj = 2\n",
       {"3||expected 'key = value', '[section]' or a comment"},
       {"[s]@1", "s.k=1@2", "s.j=2@4"}},
      {"missing key", "[s]\n = v\n", {"2||missing key before '='"}, {"[s]@1"}},
      {"key before any section",
       "; c\nk = v\n[s]\nj = w\n",
       {"2|k|key outside of any [section]"},
       {"[s]@3", "s.j=w@4"}},
      {"duplicate key",
       "[s]\nk = 1\nk = 2\n",
       {"3|s.k|key appears twice in the section"},
       {"[s]@1", "s.k=1@2"}},
      {"duplicate key after others",
       "[w]\na = 1\nb = 2\n\na = 3\n",
       {"5|w.a|key appears twice in the section"},
       {"[w]@1", "w.a=1@2", "w.b=2@3"}},
      {"duplicate section",
       "[a]\nk = 1\n[b]\n[a]\n",
       {"4|a|section appears twice"},
       {"[a]@1", "a.k=1@2", "[b]@3"}},
      {"unclosed bracket",
       "[s]\nk = v\n[rule.x\n",
       {"3||section header without closing ']'"},
       {"[s]@1", "s.k=v@2"}},
      {"comment after header", "[s] ; c\n", {"1||section header without closing ']'"}, {}},
      {"empty section name", "[]\n[ ]\n", {"1||empty section name", "2||empty section name"}, {}},
      {"crlf keeps line numbers",
       "[s]\r\nk = 1\r\nbroken\r\nk = 2\r\n",
       {"3||expected 'key = value', '[section]' or a comment",
        "4|s.k|key appears twice in the section"},
       {"[s]@1", "s.k=1@2"}},
      // The key still counts as present (its value is the text before the comment), so a rule
      // whose only limit carries a comment gets this one error, not "needs a limit" too.
      {"comment after a regex",
       "[rule.r]\nquery_matches = /\\*\\s*vip\\s*\\*/   # never cancel VIP\n",
       {"2|rule.r.query_matches|" + kComment},
       {"[rule.r]@1", "rule.r.query_matches=/\\*\\s*vip\\s*\\*/@2"}},
      {"semicolon comment after a tab",
       "[s]\nk = 5s\t; five seconds\n",
       {"2|s.k|" + kComment},
       {"[s]@1", "s.k=5s@2"}},
      {"comment as the whole value",
       "[s]\nk = # later\n",
       {"2|s.k|" + kComment},
       {"[s]@1", "s.k=@2"}},
      {"value starting with hash right after equals",
       "[s]\nk =#tag\n",
       {"2|s.k|" + kComment},
       {"[s]@1", "s.k=@2"}},
      {"value starting with semicolon", "[s]\nk=;x\n", {"2|s.k|" + kComment}, {"[s]@1", "s.k=@2"}},
      {"comment inside a value", "[s]\nk = a ;b c\n", {"2|s.k|" + kComment}, {"[s]@1", "s.k=a@2"}},
      {"control character in a value",
       "[s]\nk = a\x01"
       "b\nj = 2\n",
       {"2||control character \\x01 at column 6: a configuration file is text (is this file "
        "binary or damaged?)"},
       {"[s]@1", "s.j=2@3"}},
      {"escape sequence in a header: its keys join no section",
       "[s]\nk = 1\n[t\x1b[31m]\nj = 2\n",
       {"3||control character \\x1b at column 3: a configuration file is text (is this file "
        "binary or damaged?)"},
       {"[s]@1", "s.k=1@2"}},
      {"carriage return inside a line",
       "[s]\nk = a\rb\r\n",
       {"2||control character \\x0d at column 6: a configuration file is text (is this file "
        "binary or damaged?)"},
       {"[s]@1"}},
      {"several errors in line order",
       "x = 1\n[s]\nnope\nk = 1\nk = 2\n[s]\n[t\n",
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

// Every line of a binary file has control characters: ten errors say so, not one per line.
TEST(ParseIni, ABinaryFileGetsTenControlCharacterErrors) {
  std::string text = "[s]\n";
  for (int i = 0; i < 1000; ++i) text += std::string("\x00\x02garbage\x7f\n", 11);
  const IniDocument doc = parse_ini(text);
  ASSERT_EQ(doc.errors.size(), 10u);
  EXPECT_EQ(doc.errors[0].line, 2);
  EXPECT_EQ(doc.errors[0].message,
            "control character \\x00 at column 1: a configuration file is text (is this file "
            "binary or damaged?)");
  EXPECT_EQ(doc.errors[9].message,
            "control character \\x00 at column 1: a configuration file is text (is this file "
            "binary or damaged?); later lines with control characters are not listed");
}

// Duplicates are found by lookup: among thousands of sections the one written twice is still
// found, and a key is a duplicate only within its own section.
TEST(ParseIni, DuplicatesAreFoundAmongManySections) {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "[s" + std::to_string(i) + "]\na = 1\nb = 2\n";
  text += "[s0]\na = 3\n[last]\na = 1\nb = 2\na = 4\n";
  const IniDocument doc = parse_ini(text);
  EXPECT_EQ(errors_of(doc), (Lines{"9001|s0|section appears twice",
                                   "9006|last.a|key appears twice in the section"}));
  ASSERT_EQ(doc.sections.size(), 3001u);
  EXPECT_EQ(doc.sections.back().entries.size(), 2u);
}

TEST(ParseIni, KeysUnderARejectedHeaderDoNotJoinThePreviousSection) {
  struct Row {
    const char* name;
    std::string text;
  } rows[] = {
      {"after unclosed header", "[watchdog]\npoll_interval = 5s\n[rule.x\nmax_elapsed = 5s\n"},
      {"after duplicate header",
       "[watchdog]\npoll_interval = 5s\n[rule.x]\n[watchdog]\nmax_elapsed = 5s\n"},
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
