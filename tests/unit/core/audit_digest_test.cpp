#include "nw/core/audit_digest.h"

#include <sstream>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "nw/core/fingerprint.h"
#include "support/utc_time.h"

namespace nw {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::system_clock;
using test::utc;

const system_clock::time_point kT0 = utc(2026, 12, 1, 10, 0);

constexpr std::uint64_t kShapeA = 0x3f2a9c0e1b7d4a52;
constexpr std::uint64_t kShapeB = 0x00000000000000b2;
constexpr std::uint64_t kShapeC = 0xc3c3c3c3c3c3c3c3;

// A decision record of fingerprint `shape` (the views point at string literals: they outlive
// the test).
DigestRecord record(std::uint64_t shape, AuditOutcome outcome, system_clock::time_point time,
                    std::int64_t elapsed_ms = 1000, std::string_view endpoint = "writer",
                    std::string_view rule = "long-reads",
                    std::string_view query = "MATCH (n) RETURN n") {
  DigestRecord r;
  r.time = time;
  r.endpoint = endpoint;
  r.rule = rule;
  r.query = query;
  r.outcome = outcome;
  r.elapsed_ms = elapsed_ms;
  r.fingerprint = shape;
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Characters (UTF-8 code points) of a line: the columns a terminal gives it.
std::size_t columns(const std::string& line) {
  std::size_t n = 0;
  for (const char c : line) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

TEST(AuditOutcomeNamed, ReadsEveryNameTheAuditWrites) {
  for (std::size_t i = 0; i < kAuditOutcomes; ++i) {
    const auto outcome = static_cast<AuditOutcome>(i);
    EXPECT_EQ(audit_outcome_named(to_string(outcome)), outcome) << to_string(outcome);
  }
  EXPECT_EQ(audit_outcome_named("Cancelled"), std::nullopt);
  EXPECT_EQ(audit_outcome_named(""), std::nullopt);
  EXPECT_EQ(audit_outcome_named("cancel"), std::nullopt);
}

TEST(ParseFingerprintHex, TakesExactlySixteenHexDigits) {
  EXPECT_EQ(parse_fingerprint_hex("3f2a9c0e1b7d4a52"), kShapeA);
  EXPECT_EQ(parse_fingerprint_hex("3F2A9C0E1B7D4A52"), kShapeA);
  EXPECT_EQ(parse_fingerprint_hex("ffffffffffffffff"), 0xffffffffffffffffull);
  EXPECT_EQ(parse_fingerprint_hex("0000000000000000"), 0u);
  for (const char* bad : {"", "3f2a9c0e1b7d4a5", "3f2a9c0e1b7d4a521", "3f2a9c0e1b7d4a5g",
                          " f2a9c0e1b7d4a52", "0x2a9c0e1b7d4a52", "-f2a9c0e1b7d4a52"})
    EXPECT_EQ(parse_fingerprint_hex(bad), std::nullopt) << bad;
  // What the daemon writes reads back.
  EXPECT_EQ(parse_fingerprint_hex(fingerprint_hex(kShapeA)), kShapeA);
  EXPECT_EQ(parse_fingerprint_hex(fingerprint_hex(kShapeB)), kShapeB);
}

TEST(ParseDigestTime, TakesAnInstantOrADurationBackFromNow) {
  const auto now = utc(2026, 12, 5, 12, 0);
  EXPECT_EQ(parse_digest_time("2026-12-01T00:00:00Z", now), utc(2026, 12, 1, 0, 0));
  EXPECT_EQ(parse_digest_time("2026-12-01T02:00:00+02:00", now), utc(2026, 12, 1, 0, 0));
  EXPECT_EQ(parse_digest_time("90m", now), utc(2026, 12, 5, 10, 30));
  EXPECT_EQ(parse_digest_time("36h", now), utc(2026, 12, 4, 0, 0));
  EXPECT_EQ(parse_digest_time("7d", now), utc(2026, 11, 28, 12, 0));
  EXPECT_EQ(parse_digest_time("30s", now), now - seconds(30));
  EXPECT_EQ(parse_digest_time("0d", now), now);
  for (const char* bad : {"", "7", "d", "-1h", "1.5h", "7days", "yesterday", "2026-12-01",
                          "2026-12-01 00:00:00Z", "h7", "99999999999d"})
    EXPECT_EQ(parse_digest_time(bad, now), std::nullopt) << bad;
}

TEST(DigestAccumulator, GroupsByFingerprintAndCountsEachOutcome) {
  DigestAccumulator acc;
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0 + minutes(5), 300000));
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0 + minutes(1), 200000, "reader-1"));
  acc.add(record(kShapeA, AuditOutcome::not_found, kT0 + minutes(2), 50000));
  acc.add(record(kShapeA, AuditOutcome::failed, kT0 + minutes(3), 70000));
  acc.add(record(kShapeA, AuditOutcome::given_up, kT0 + minutes(4), 90000));
  acc.add(record(kShapeA, AuditOutcome::budget_exhausted, kT0 + minutes(6), 1000));
  acc.add(record(kShapeA, AuditOutcome::cancel_ineffective, kT0 + minutes(7), 1000));
  acc.add(record(kShapeB, AuditOutcome::dry_run, kT0, 5000, "writer", "rehearsal"));
  acc.add(record(kShapeB, AuditOutcome::logged, kT0 + hours(1), 5000, "writer", "observe"));
  const Digest d = acc.finish();
  EXPECT_EQ(d.records, 9u);
  EXPECT_EQ(d.first, kT0);
  EXPECT_EQ(d.last, kT0 + hours(1));
  ASSERT_EQ(d.entries.size(), 2u);
  const DigestEntry& a = d.entries[0];
  EXPECT_EQ(a.fingerprint, kShapeA);
  EXPECT_FALSE(a.computed);
  EXPECT_EQ(a.records, 7u);
  EXPECT_EQ(a.count(AuditOutcome::cancelled), 2u);
  EXPECT_EQ(a.count(AuditOutcome::not_found), 1u);
  EXPECT_EQ(a.count(AuditOutcome::failed), 1u);
  EXPECT_EQ(a.count(AuditOutcome::given_up), 1u);
  EXPECT_EQ(a.count(AuditOutcome::budget_exhausted), 1u);
  EXPECT_EQ(a.count(AuditOutcome::cancel_ineffective), 1u);
  EXPECT_EQ(a.count(AuditOutcome::dry_run), 0u);
  // Only the cancelled records' elapsed time is burned time.
  EXPECT_EQ(a.burned_ms, 500000);
  EXPECT_EQ(a.first, kT0 + minutes(1));
  EXPECT_EQ(a.last, kT0 + minutes(7));
  ASSERT_EQ(a.endpoints.size(), 2u);
  EXPECT_EQ(a.endpoints[0].name, "writer");
  EXPECT_EQ(a.endpoints[0].records, 6u);
  EXPECT_EQ(a.endpoints[1].name, "reader-1");
  EXPECT_EQ(a.endpoints[1].records, 1u);
  ASSERT_EQ(a.rules.size(), 1u);
  EXPECT_EQ(a.rules[0].name, "long-reads");
  const DigestEntry& b = d.entries[1];
  EXPECT_EQ(b.fingerprint, kShapeB);
  EXPECT_EQ(b.count(AuditOutcome::dry_run), 1u);
  EXPECT_EQ(b.count(AuditOutcome::logged), 1u);
  EXPECT_EQ(b.burned_ms, 0);
  ASSERT_EQ(b.rules.size(), 2u);
  EXPECT_EQ(b.rules[0].name, "observe");  // one record each: by name
  EXPECT_EQ(b.rules[1].name, "rehearsal");
}

// A `sending` record is the write-ahead half of a cancel whose outcome record follows: counting
// both would count every cancel twice.
TEST(DigestAccumulator, LeavesWriteAheadRecordsOut) {
  DigestAccumulator acc;
  acc.add(record(kShapeA, AuditOutcome::sending, kT0, 1000));
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0, 1000));
  acc.add(record(kShapeB, AuditOutcome::sending, kT0, 1000));  // the daemon stopped meanwhile
  const Digest d = acc.finish();
  EXPECT_EQ(d.records, 1u);
  EXPECT_EQ(d.sending, 2u);
  ASSERT_EQ(d.entries.size(), 1u);
  EXPECT_EQ(d.entries[0].records, 1u);
  EXPECT_EQ(d.entries[0].count(AuditOutcome::cancelled), 1u);
}

TEST(DigestAccumulator, TheExampleIsTheEarliestRecordsTextWhateverTheOrderRead) {
  DigestAccumulator acc;
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0 + hours(2), 1, "w", "r", "third"));
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0, 1, "w", "r", "first"));
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0 + hours(1), 1, "w", "r", "second"));
  const Digest d = acc.finish();
  ASSERT_EQ(d.entries.size(), 1u);
  EXPECT_EQ(d.entries[0].example, "first");
  EXPECT_EQ(d.entries[0].first, kT0);
  EXPECT_EQ(d.entries[0].last, kT0 + hours(2));
}

// Records written before the audit had `fingerprint` are grouped under the fingerprint the
// daemon's own function gives their text: with the records that carry it, when it is the same.
TEST(DigestAccumulator, ComputesTheFingerprintOfRecordsWithoutOne) {
  const std::string_view text = "MATCH (p:Person {name: 'Ada'}) RETURN p";
  const Fingerprint expected = fingerprint_query(Language::opencypher, text);
  DigestAccumulator acc;
  DigestRecord old = record(0, AuditOutcome::cancelled, kT0, 1000, "writer", "r", text);
  old.fingerprint.reset();
  old.language = Language::opencypher;
  acc.add(old);
  acc.add(
      record(expected.hash, AuditOutcome::cancelled, kT0 + minutes(1), 1000, "writer", "r", text));
  DigestRecord gremlin = old;
  gremlin.language = Language::gremlin;
  gremlin.query = "g.V().has('name','Ada').out().count()";
  acc.add(gremlin);
  const Digest d = acc.finish();
  ASSERT_EQ(d.entries.size(), 2u);
  EXPECT_EQ(d.entries[0].fingerprint, expected.hash);
  EXPECT_EQ(d.entries[0].count(AuditOutcome::cancelled), 2u);
  EXPECT_TRUE(d.entries[0].computed);
  EXPECT_EQ(d.entries[1].fingerprint,
            fingerprint_query(Language::gremlin, "g.V().has('name','Ada').out().count()").hash);
  EXPECT_TRUE(d.entries[1].computed);
}

TEST(DigestAccumulator, RanksByCancelsThenBurnedThenDryRunThenRecords) {
  DigestAccumulator acc;
  // kShapeC: 1 cancel; kShapeB: 2 cancels, 10 s; kShapeA: 2 cancels, 20 s.
  acc.add(record(kShapeC, AuditOutcome::cancelled, kT0, 900000));
  for (int i = 0; i < 2; ++i) acc.add(record(kShapeB, AuditOutcome::cancelled, kT0, 5000));
  for (int i = 0; i < 2; ++i) acc.add(record(kShapeA, AuditOutcome::cancelled, kT0, 10000));
  // No cancels: by dry-run cancels, then by records, then by fingerprint.
  constexpr std::uint64_t kDry = 0xd0, kLogged = 0xe0, kLoggedTwice = 0xf0, kTie = 0x01;
  acc.add(record(kDry, AuditOutcome::dry_run, kT0));
  acc.add(record(kLogged, AuditOutcome::logged, kT0));
  for (int i = 0; i < 2; ++i) acc.add(record(kLoggedTwice, AuditOutcome::logged, kT0));
  acc.add(record(kTie, AuditOutcome::logged, kT0));
  const Digest d = acc.finish();
  std::vector<std::uint64_t> order;
  for (const auto& e : d.entries) order.push_back(e.fingerprint);
  EXPECT_EQ(order, (std::vector<std::uint64_t>{kShapeA, kShapeB, kShapeC, kDry, kLoggedTwice, kTie,
                                               kLogged}));
}

TEST(DigestAccumulator, CountsOnlyTheRecordsInTheRange) {
  DigestAccumulator acc(DigestRange{kT0, kT0 + hours(1)});
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0 - seconds(1)));
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0));  // since: in
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0 + minutes(59)));
  acc.add(record(kShapeB, AuditOutcome::cancelled, kT0 + hours(1)));  // until: out
  acc.add(record(kShapeB, AuditOutcome::cancelled, kT0 + hours(2)));
  const Digest d = acc.finish();
  EXPECT_EQ(d.records, 2u);
  EXPECT_EQ(d.out_of_range, 3u);
  ASSERT_EQ(d.entries.size(), 1u);
  EXPECT_EQ(d.entries[0].fingerprint, kShapeA);
  EXPECT_EQ(d.first, kT0);
  EXPECT_EQ(d.last, kT0 + minutes(59));

  DigestAccumulator open_end(DigestRange{kT0 + hours(1), std::nullopt});
  open_end.add(record(kShapeA, AuditOutcome::cancelled, kT0));
  open_end.add(record(kShapeB, AuditOutcome::cancelled, kT0 + hours(5)));
  EXPECT_EQ(open_end.finish().records, 1u);
}

TEST(FormatBurned, KeepsToEightColumns) {
  struct Row {
    std::int64_t ms;
    const char* text;
  } rows[] = {{0, "0ms"},
              {999, "999ms"},
              {1000, "1.0s"},
              {12345, "12.3s"},
              {59999, "59.9s"},
              {60000, "1m00s"},
              {725000, "12m05s"},
              {3599999, "59m59s"},
              {3600000, "1h00m"},
              {335520000, "93h12m"},
              {3600000LL * 9999, "9999h00m"}};
  for (const auto& row : rows) EXPECT_EQ(format_burned(row.ms), row.text) << row.ms;
}

Digest sample_digest() {
  DigestAccumulator acc;
  for (int i = 0; i < 3; ++i)
    acc.add(record(kShapeA, AuditOutcome::cancelled, kT0 + minutes(i), 312000,
                   i == 0 ? "writer" : "reader-1", "long-reads",
                   "MATCH (n)-[*1..9]->(m)\n  RETURN count(m)"));
  acc.add(record(kShapeA, AuditOutcome::failed, kT0 + hours(1), 1000, "writer", "long-reads"));
  acc.add(record(kShapeB, AuditOutcome::dry_run, kT0 + minutes(30), 45000, "reader-2", "scans",
                 "g.V().count()"));
  return acc.finish();
}

TEST(FormatDigestText, PrintsAHeaderARowPerFingerprintAndItsDetails) {
  const std::string text = format_digest_text(sample_digest(), DigestSources{2, {}}, 20);
  EXPECT_EQ(lines_of(text),
            (std::vector<std::string>{
                "# 5 decision records from 2 files, 2026-12-01T10:00:00Z to 2026-12-01T11:00:00Z",
                "# 2 fingerprints; Burned: the Neptune time of the cancelled queries",
                "",
                "Rank Fingerprint       Cancels   Burned  Dry-run Not-found  Failed Given-up  "
                "Budget  Logged",
                "   1 3f2a9c0e1b7d4a52        3   15m36s        0         0       1        0  "
                "     0       0",
                "     4 records, 2026-12-01T10:00:00Z to 2026-12-01T11:00:00Z",
                "     endpoints (2): reader-1, writer; rules (1): long-reads",
                "     MATCH (n)-[*1..9]->(m) RETURN count(m)",
                "   2 00000000000000b2        0      0ms        1         0       0        0  "
                "     0       0",
                "     1 record, 2026-12-01T10:30:00Z to 2026-12-01T10:30:00Z",
                "     endpoints (1): reader-2; rules (1): scans",
                "     g.V().count()",
            }));
}

TEST(FormatDigestText, SaysWhatTheRangeAndTheLimitLeftOut) {
  DigestAccumulator acc(DigestRange{kT0, std::nullopt});
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0 - hours(1)));
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0));
  acc.add(record(kShapeB, AuditOutcome::cancelled, kT0));
  acc.add(record(kShapeC, AuditOutcome::cancelled, kT0));
  const Digest d = acc.finish();
  const auto lines = lines_of(format_digest_text(d, DigestSources{1, {kT0, std::nullopt}}, 2));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "# 3 decision records from 1 file, 2026-12-01T10:00:00Z to 2026-12-01T10:00:00Z");
  EXPECT_EQ(lines[1], "# counted: from 2026-12-01T10:00:00Z (1 records outside)");
  EXPECT_EQ(lines[2],
            "# 3 fingerprints, the 2 with the most cancels; Burned: the Neptune time of the "
            "cancelled queries");
  std::size_t rows = 0;
  for (const auto& line : lines) rows += line.rfind("   ", 0) == 0 && line[3] != ' ';
  EXPECT_EQ(rows, 2u);
  // 0: all of them.
  const auto all = lines_of(format_digest_text(d, DigestSources{1, {}}, 0));
  EXPECT_EQ(all.size(), 2u + 1u + 1u + 3u * 4u);  // header, blank, columns, 4 per fingerprint
}

TEST(FormatDigestText, NothingToReport) {
  EXPECT_EQ(format_digest_text(Digest{}, DigestSources{1, {}}, 20),
            "# 0 decision records from 1 file\n"
            "# 0 fingerprints; Burned: the Neptune time of the cancelled queries\n");
}

// Whatever the names and the text hold, every line fits 100 columns and carries nothing a
// terminal would act on.
TEST(FormatDigestText, EveryLineFitsAndIsTerminalSafe) {
  const std::string long_name(150, 'e');
  const std::string hostile =
      "MATCH (n) \x1b]0;owned\x07 WHERE n.name = '\xc3\xa9t\xc3\xa9' \xe2\x80\xae RETURN n " +
      std::string(300, 'x') + " \xff\xfe";
  DigestAccumulator acc;
  for (int i = 0; i < 5; ++i)
    acc.add(record(kShapeA, AuditOutcome::cancelled, kT0, std::int64_t{1} << 50, "w\x1b[2J",
                   i % 2 ? "r\nforged line" : std::string_view(long_name), hostile));
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0, 1, "endpoint-2"));
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0, 1, "endpoint-3"));
  acc.add(record(kShapeA, AuditOutcome::cancelled, kT0, 1, "endpoint-4"));
  const std::string text = format_digest_text(acc.finish(), DigestSources{123456789, {}}, 20);
  for (const auto& line : lines_of(text)) {
    EXPECT_LE(columns(line), 100u) << line;
    for (const char c : line) EXPECT_FALSE(c >= 0 && c < 0x20) << line;
    EXPECT_EQ(line.find("\xe2\x80\xae"), std::string::npos) << line;  // no bidi override
    EXPECT_EQ(line.find("\xc2\x9b"), std::string::npos) << line;
  }
  EXPECT_NE(text.find("WHERE n.name = '\xc3\xa9t\xc3\xa9' \\u202e RETURN n xxx"), std::string::npos)
      << text;
  EXPECT_NE(text.find("and 1 more"), std::string::npos) << text;  // four endpoints, three shown
  EXPECT_NE(text.find("w\\u001b[2J"), std::string::npos) << text;
}

TEST(FormatDigestJson, OneArrayWithStableFieldNames) {
  const std::string json = format_digest_json(sample_digest(), 0);
  const auto parsed = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(parsed->size(), 2u);
  const auto a = parsed->getObject(0);
  EXPECT_EQ(a->getValue<int>("rank"), 1);
  EXPECT_EQ(a->getValue<std::string>("fingerprint"), "3f2a9c0e1b7d4a52");
  EXPECT_EQ(a->getValue<bool>("fingerprint_computed"), false);
  EXPECT_EQ(a->getValue<int>("records"), 4);
  EXPECT_EQ(a->getValue<int>("cancelled"), 3);
  EXPECT_EQ(a->getValue<int>("failed"), 1);
  for (const char* zero :
       {"dry_run", "logged", "not_found", "budget_exhausted", "cancel_ineffective", "given_up"})
    EXPECT_EQ(a->getValue<int>(zero), 0) << zero;
  EXPECT_FALSE(a->has("sending"));
  EXPECT_EQ(a->getValue<std::int64_t>("burned_ms"), 936000);
  EXPECT_EQ(a->getValue<int>("endpoint_count"), 2);
  const auto endpoints = a->getArray("endpoints");
  ASSERT_EQ(endpoints->size(), 2u);
  EXPECT_EQ(endpoints->getElement<std::string>(0), "reader-1");
  EXPECT_EQ(endpoints->getElement<std::string>(1), "writer");
  EXPECT_EQ(a->getValue<int>("rule_count"), 1);
  EXPECT_EQ(a->getArray("rules")->getElement<std::string>(0), "long-reads");
  EXPECT_EQ(a->getValue<std::string>("first"), "2026-12-01T10:00:00Z");
  EXPECT_EQ(a->getValue<std::string>("last"), "2026-12-01T11:00:00Z");
  // The whole text, line breaks and all: JSON carries it safely.
  EXPECT_EQ(a->getValue<std::string>("example"), "MATCH (n)-[*1..9]->(m)\n  RETURN count(m)");
  EXPECT_EQ(parsed->getObject(1)->getValue<int>("rank"), 2);
  EXPECT_EQ(parsed->getObject(1)->getValue<int>("dry_run"), 1);

  const auto limited = Poco::JSON::Parser()
                           .parse(format_digest_json(sample_digest(), 1))
                           .extract<Poco::JSON::Array::Ptr>();
  EXPECT_EQ(limited->size(), 1u);
  EXPECT_EQ(format_digest_json(Digest{}, 0), "[]\n");
}

}  // namespace
}  // namespace nw
