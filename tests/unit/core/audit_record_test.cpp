#include "nw/core/audit_record.h"

#include <algorithm>
#include <string>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "nw/core/rfc3339.h"

namespace nw {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

system_clock::time_point at_ms(long long ms) {
  return system_clock::time_point(milliseconds(ms));
}

AuditRecord sample() {
  AuditRecord r;
  r.time = at_ms(1234);
  r.endpoint = "writer";
  r.language = Language::opencypher;
  r.query_id = "eadc6eea-698b-4a2f-8554-5270ab17ebee";
  r.rule = "long-reads";
  r.elapsed_ms = 312000;
  r.waited_ms = 0;
  r.action = RuleAction::cancel;
  r.silent = true;
  r.dry_run = false;
  r.outcome = AuditOutcome::cancelled;
  r.attempts = 1;
  r.query = "MATCH (n) RETURN n";
  r.reason = "elapsed 312000ms > max_elapsed 300000ms";
  r.config_version = "0123456789ab";
  return r;
}

Poco::JSON::Object::Ptr parse_line(const std::string& line) {
  Poco::JSON::Parser parser;
  return parser.parse(line).extract<Poco::JSON::Object::Ptr>();
}

// Counts UTF-8 code points (the text is known to be valid UTF-8).
std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(AuditRecord, ToJsonLineExact) {
  struct Row {
    const char* name;
    AuditRecord record;
    std::string line;
  } rows[] = {
      {"cancelled", sample(),
       R"({"time":"1970-01-01T00:00:01.234Z","endpoint":"writer","language":"opencypher",)"
       R"("query_id":"eadc6eea-698b-4a2f-8554-5270ab17ebee","rule":"long-reads","elapsed_ms":312000,)"
       R"("waited_ms":0,"action":"cancel","silent":true,"dry_run":false,"outcome":"cancelled","attempts":1,)"
       R"("query":"MATCH (n) RETURN n","reason":"elapsed 312000ms > max_elapsed 300000ms",)"
       R"("config_version":"0123456789ab","mode":"service"})"},
      {"failed has error",
       [] {
         AuditRecord r = sample();
         r.outcome = AuditOutcome::failed;
         r.attempts = 5;
         r.error = "TooManyRequestsException (HTTP 429): Too many requests";
         return r;
       }(),
       R"({"time":"1970-01-01T00:00:01.234Z","endpoint":"writer","language":"opencypher",)"
       R"("query_id":"eadc6eea-698b-4a2f-8554-5270ab17ebee","rule":"long-reads","elapsed_ms":312000,)"
       R"("waited_ms":0,"action":"cancel","silent":true,"dry_run":false,"outcome":"failed","attempts":5,)"
       R"("query":"MATCH (n) RETURN n","reason":"elapsed 312000ms > max_elapsed 300000ms",)"
       R"("error":"TooManyRequestsException (HTTP 429): Too many requests","config_version":"0123456789ab","mode":"service"})"},
      {"queued, sparql, log, dry run, no reason",
       [] {
         AuditRecord r = sample();
         r.language = Language::sparql;
         r.elapsed_ms = 0;
         r.waited_ms = 9007199254740993;
         r.action = RuleAction::log;
         r.silent = false;
         r.dry_run = true;
         r.outcome = AuditOutcome::dry_run;
         r.attempts = 0;
         r.reason.clear();
         r.error = "ignored unless failed";
         return r;
       }(),
       R"({"time":"1970-01-01T00:00:01.234Z","endpoint":"writer","language":"sparql",)"
       R"("query_id":"eadc6eea-698b-4a2f-8554-5270ab17ebee","rule":"long-reads","elapsed_ms":0,)"
       R"("waited_ms":9007199254740993,"action":"log","silent":false,"dry_run":true,"outcome":"dry_run",)"
       R"("attempts":0,"query":"MATCH (n) RETURN n","config_version":"0123456789ab","mode":"service"})"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(to_json_line(row.record), row.line);
  }
}

TEST(AuditRecord, ReplicasAddTheirNameAndTheFencingTokenToEveryRecord) {
  AuditRecord r = sample();
  r.record_id = "r-1";
  r.replica = "watchdog-2";
  r.owner_revision = 4711;
  const std::string line = to_json_line(r);
  EXPECT_NE(line.find(R"("record_id":"r-1","replica":"watchdog-2","owner_revision":4711})"),
            std::string::npos)
      << line;
  const auto fields = journal_fields(r);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "REPLICA=watchdog-2"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "OWNER_REVISION=4711"), fields.end());
  // Without replicas nothing changes.
  EXPECT_EQ(to_json_line(sample()).find("replica"), std::string::npos);
}

TEST(AuditRecord, OwnershipAndHaRecords) {
  EXPECT_EQ(to_json_line(ownership_record(at_ms(1234), "cluster.prod", "watchdog-1", 12, "acquired",
                                          "members watchdog-1, watchdog-2", "0123456789ab")),
            R"({"time":"1970-01-01T00:00:01.234Z","event":"ownership","unit":"cluster.prod",)"
            R"("replica":"watchdog-1","owner_revision":12,"change":"acquired",)"
            R"("detail":"members watchdog-1, watchdog-2","config_version":"0123456789ab"})");
  const AuditRecord ha =
      ha_record(at_ms(1234), "watchdog-1", "stopped",
                "lease not confirmed for 9.8s: etcd unreachable", "0123456789ab");
  EXPECT_EQ(to_json_line(ha),
            R"({"time":"1970-01-01T00:00:01.234Z","event":"ha","replica":"watchdog-1",)"
            R"("change":"stopped","detail":"lease not confirmed for 9.8s: etcd unreachable",)"
            R"("config_version":"0123456789ab"})");
  const auto fields = journal_fields(ha);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "EVENT=ha"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "PRIORITY=4"), fields.end());
}

TEST(AuditRecord, EveryOutcomeParsesBackWithRequiredFields) {
  struct Row {
    const char* name;
    AuditOutcome outcome;
    Language language;
    const char* outcome_text;
    const char* language_text;
    bool has_error;
  } rows[] = {
      {"cancelled", AuditOutcome::cancelled, Language::opencypher, "cancelled", "opencypher",
       false},
      {"dry_run", AuditOutcome::dry_run, Language::gremlin, "dry_run", "gremlin", false},
      {"logged", AuditOutcome::logged, Language::sparql, "logged", "sparql", false},
      {"not_found", AuditOutcome::not_found, Language::opencypher, "not_found", "opencypher",
       false},
      {"failed", AuditOutcome::failed, Language::gremlin, "failed", "gremlin", true},
  };
  const char* required[] = {"time",       "endpoint",  "language", "query_id", "rule",
                            "elapsed_ms", "waited_ms", "action",   "silent",   "dry_run",
                            "outcome",    "attempts",  "query"};
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    AuditRecord r = sample();
    r.outcome = row.outcome;
    r.language = row.language;
    r.elapsed_ms = 3000000000;
    r.waited_ms = 42;
    r.attempts = 3;
    r.error = "transport error: Connection refused";
    const std::string line = to_json_line(r);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const auto o = parse_line(line);
    ASSERT_TRUE(o);
    for (const char* key : required) EXPECT_TRUE(o->has(key)) << key;
    EXPECT_EQ(o->has("error"), row.has_error);
    EXPECT_EQ(o->getValue<std::string>("time"), "1970-01-01T00:00:01.234Z");
    EXPECT_EQ(o->getValue<std::string>("endpoint"), "writer");
    EXPECT_EQ(o->getValue<std::string>("language"), row.language_text);
    EXPECT_EQ(o->getValue<std::string>("query_id"), "eadc6eea-698b-4a2f-8554-5270ab17ebee");
    EXPECT_EQ(o->getValue<std::string>("rule"), "long-reads");
    EXPECT_EQ(o->getValue<Poco::Int64>("elapsed_ms"), 3000000000);
    EXPECT_EQ(o->getValue<Poco::Int64>("waited_ms"), 42);
    EXPECT_EQ(o->getValue<std::string>("action"), "cancel");
    EXPECT_EQ(o->get("silent").type(), typeid(bool));
    EXPECT_TRUE(o->getValue<bool>("silent"));
    EXPECT_FALSE(o->getValue<bool>("dry_run"));
    EXPECT_EQ(o->getValue<std::string>("outcome"), row.outcome_text);
    EXPECT_EQ(o->getValue<int>("attempts"), 3);
    EXPECT_EQ(o->getValue<std::string>("query"), "MATCH (n) RETURN n");
    if (row.has_error) {
      EXPECT_EQ(o->getValue<std::string>("error"), "transport error: Connection refused");
    }
    EXPECT_EQ(to_string(row.outcome), row.outcome_text);
  }
}

TEST(AuditRecord, QueryIsCutAt512Characters) {
  struct Row {
    const char* name;
    std::string query;
    std::string expected;
  } rows[] = {
      {"short stays whole", "MATCH (n) RETURN n", "MATCH (n) RETURN n"},
      {"exactly 512 ascii", std::string(512, 'a'), std::string(512, 'a')},
      {"513 ascii", std::string(513, 'a'), std::string(512, 'a')},
      {"1024 ascii", std::string(1024, 'b'), std::string(512, 'b')},
      {"two-byte characters", repeat("\xC3\xA9", 600), repeat("\xC3\xA9", 512)},
      {"three-byte characters", repeat("\xE2\x82\xAC", 513), repeat("\xE2\x82\xAC", 512)},
      {"four-byte characters", repeat("\xF0\x9F\x98\x80", 700), repeat("\xF0\x9F\x98\x80", 512)},
      {"mixed widths", repeat("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 200),
       repeat("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 128)},
      {"cut never splits a character", std::string(511, 'a') + "\xF0\x9F\x98\x80" + "zz",
       std::string(511, 'a') + "\xF0\x9F\x98\x80"},
      {"escapes count as one character", repeat("\"", 600), repeat("\"", 512)},
      {"newlines count as one character", repeat("\n", 513), repeat("\n", 512)},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    AuditRecord r = sample();
    r.query = row.query;
    const auto o = parse_line(to_json_line(r));
    const std::string query = o->getValue<std::string>("query");
    EXPECT_EQ(query, row.expected);
    EXPECT_LE(code_points(query), kMaxQueryChars);
  }
  EXPECT_EQ(kMaxQueryChars, 512u);
}

TEST(AppendJsonString, EscapesAndRepairs) {
  struct Row {
    const char* name;
    std::string text;
    std::size_t max_chars;
    std::string json;
  } rows[] = {
      {"plain", "MATCH (n)", std::string::npos, R"j("MATCH (n)")j"},
      {"empty", "", std::string::npos, R"("")"},
      {"quote", "say \"hi\"", std::string::npos, R"("say \"hi\"")"},
      {"backslash", R"(a\b\\c)", std::string::npos, R"("a\\b\\\\c")"},
      {"newline", "a\nb", std::string::npos, R"("a\nb")"},
      {"carriage return and tab", "a\r\tb", std::string::npos, R"("a\r\tb")"},
      {"slash untouched", "a/b", std::string::npos, R"("a/b")"},
      {"nul", std::string("a\0b", 3), std::string::npos, R"("a\u0000b")"},
      {"other controls", "\x01\x08\x0b\x0c\x1b\x1f", std::string::npos,
       R"("\u0001\u0008\u000b\u000c\u001b\u001f")"},
      {"delete", "\x7f", std::string::npos, R"("\u007f")"},
      {"space and tilde kept", " ~", std::string::npos, R"(" ~")"},
      {"valid two-byte kept", "caf\xC3\xA9", std::string::npos, "\"caf\xC3\xA9\""},
      {"valid four-byte kept", "\xF0\x9F\x98\x80", std::string::npos, "\"\xF0\x9F\x98\x80\""},
      {"highest code point kept", "\xF4\x8F\xBF\xBF", std::string::npos, "\"\xF4\x8F\xBF\xBF\""},
      {"lone continuation byte", "a\x80z", std::string::npos, R"("a\ufffdz")"},
      {"invalid lead byte", "\xFF\xFE", std::string::npos, R"("\ufffd\ufffd")"},
      {"truncated sequence at end", "a\xC3", std::string::npos, R"("a\ufffd")"},
      {"truncated sequence mid", "\xE2\x82z", std::string::npos, R"("\ufffd\ufffdz")"},
      {"overlong slash", "\xC0\xAF", std::string::npos, R"("\ufffd\ufffd")"},
      {"overlong three-byte", "\xE0\x80\xAF", std::string::npos, R"("\ufffd\ufffd\ufffd")"},
      {"surrogate", "\xED\xA0\x80", std::string::npos, R"("\ufffd\ufffd\ufffd")"},
      {"beyond U+10FFFF", "\xF4\x90\x80\x80", std::string::npos, R"("\ufffd\ufffd\ufffd\ufffd")"},
      {"latin-1 text", "caf\xE9!", std::string::npos, R"("caf\ufffd!")"},
      {"max chars ascii", "abcdef", 3, R"("abc")"},
      {"max chars zero", "abc", 0, R"("")"},
      {"max chars counts characters not bytes", "h\xC3\xA9llo", 2, "\"h\xC3\xA9\""},
      {"max chars counts an escape once", "\"\"\"", 2, R"("\"\"")"},
      {"max chars counts a replacement once", "\xFF\xFF\xFF", 2, R"("\ufffd\ufffd")"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    std::string out = "prefix:";
    append_json_string(out, row.text, row.max_chars);
    EXPECT_EQ(out, "prefix:" + row.json);
    Poco::JSON::Parser parser;
    EXPECT_NO_THROW(parser.parse("[" + row.json + "]"));
  }
}

TEST(FormatRfc3339Ms, UtcWithMilliseconds) {
  using std::chrono::microseconds;
  struct Row {
    const char* name;
    system_clock::time_point t;
    const char* text;
  } rows[] = {
      {"epoch", at_ms(0), "1970-01-01T00:00:00.000Z"},
      {"epoch plus 1234 ms", at_ms(1234), "1970-01-01T00:00:01.234Z"},
      {"one ms", at_ms(1), "1970-01-01T00:00:00.001Z"},
      {"before epoch", at_ms(-1), "1969-12-31T23:59:59.999Z"},
      {"one second before epoch", at_ms(-1000), "1969-12-31T23:59:59.000Z"},
      {"design example", at_ms(1795492046123), "2026-11-24T03:47:26.123Z"},
      {"leap day", at_ms(1709208000500), "2024-02-29T12:00:00.500Z"},
      {"end of year", at_ms(1767225599999), "2025-12-31T23:59:59.999Z"},
      {"after 2038", at_ms(4102444800000), "2100-01-01T00:00:00.000Z"},
      {"sub-millisecond truncated", system_clock::time_point(microseconds(1234999)),
       "1970-01-01T00:00:01.234Z"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(format_rfc3339_ms(row.t), row.text);
  }
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

TEST(JournalFields, OneFieldPerAuditFieldForJournalctlMatches) {
  AuditRecord r;
  r.endpoint = "writer";
  r.query_id = "q-1";
  r.rule = "long-reads";
  r.outcome = AuditOutcome::failed;
  r.error = "ThrottlingException (HTTP 500): busy";
  r.reason = "elapsed 2ms > max_elapsed 1ms";
  r.elapsed_ms = 2;
  r.attempts = 5;
  r.config_version = "0123456789ab";
  r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795608000123));
  r.query = "MATCH (n)\nRETURN n " + std::string(600, 'x');
  const auto fields = journal_fields(r);
  const std::vector<std::string> expected = {
      "MESSAGE=" + to_json_line(r),
      "PRIORITY=4",
      "SYSLOG_IDENTIFIER=neptune-watchdog",
      "NEPTUNE_WATCHDOG_AUDIT=1",
      "TIME=2026-11-25T12:00:00.123Z",
      "ENDPOINT=writer",
      "LANGUAGE=opencypher",
      "QUERY_ID=q-1",
      "RULE=long-reads",
      "ACTION=cancel",
      "OUTCOME=failed",
      "SILENT=false",
      "DRY_RUN=false",
      "ELAPSED_MS=2",
      "WAITED_MS=0",
      "ATTEMPTS=5",
      "QUERY=MATCH (n)\\nRETURN n " + std::string(512 - 19, 'x'),
      "CONFIG_VERSION=0123456789ab",
      "MODE=service",
      "REASON=elapsed 2ms > max_elapsed 1ms",
      "ERROR=ThrottlingException (HTTP 500): busy"};
  EXPECT_EQ(fields, expected);
}

TEST(JournalFields, PriorityFollowsTheOutcome) {
  struct Row {
    AuditOutcome outcome;
    const char* priority;
  } rows[] = {
      {AuditOutcome::cancelled, "PRIORITY=5"}, {AuditOutcome::cancel_ineffective, "PRIORITY=5"},
      {AuditOutcome::failed, "PRIORITY=4"},    {AuditOutcome::logged, "PRIORITY=6"},
      {AuditOutcome::dry_run, "PRIORITY=6"},   {AuditOutcome::budget_exhausted, "PRIORITY=6"}};
  for (const auto& row : rows) {
    AuditRecord r;
    r.outcome = row.outcome;
    EXPECT_EQ(journal_fields(r).at(1), row.priority);
  }
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// C1 controls (CSI, OSC) and bidirectional overrides reach neither a log line nor an audit
// line raw; the audit line stays valid JSON.
TEST(Printable, EscapesWhatATerminalWouldActOn) {
  EXPECT_EQ(printable("a\xc2\x9b"
                      "31mb"),
            "a\\u009b31mb");
  EXPECT_EQ(printable("x\xc2\x9d"
                      "0;t\x07"),
            "x\\u009d0;t\\u0007");
  EXPECT_EQ(printable("admin\xe2\x80\xae"
                      "txt.exe"),
            "admin\\u202etxt.exe");
  EXPECT_EQ(printable("\xe2\x81\xa6"
                      "iso"),
            "\\u2066iso");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x82\xac"),
            "caf\xc3\xa9 \xe2\x82\xac");  // ordinary text unchanged
  std::string out;
  append_json_string(out, "q\xc2\x9b\xe2\x80\xae");
  EXPECT_EQ(out, "\"q\\u009b\\u202e\"");
}

TEST(TerminalSafe, EscapesControlsButKeepsQuotesAndBackslashes) {
  EXPECT_EQ(terminal_safe("rule.\x1b[31mx"), "rule.\\u001b[31mx");
  EXPECT_EQ(terminal_safe("bad\rline"), "bad\\u000dline");
  EXPECT_EQ(terminal_safe("'\\s(' \"q\""), "'\\s(' \"q\"");
  EXPECT_EQ(terminal_safe("\xc2\x9b\xff"), "\\u009b\\ufffd");
}

// A client may choose a 500,000-character id: log lines show 128 characters and a hash.
TEST(LoggableId, LongIdsAreCutWithAHashShortOnesKeptWhole) {
  EXPECT_EQ(loggable_id("q-1"), "q-1");
  EXPECT_EQ(loggable_id(std::string(128, 'a')), std::string(128, 'a'));
  const std::string a(500000, 'a');
  std::string b = a;
  b.back() = 'b';
  const std::string la = loggable_id(a), lb = loggable_id(b);
  EXPECT_EQ(la.size(), 128u + 12u);
  EXPECT_EQ(la.substr(0, 128), std::string(128, 'a'));
  EXPECT_NE(la, lb);  // the hash tells them apart
  EXPECT_EQ(la.substr(128, 4), "...#");
}

}  // namespace
}  // namespace nw
