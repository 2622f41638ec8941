// AuditReader on real files in a temporary directory: plain, rotated and gzip-compressed audit
// files as the daemon writes them, and files that are cut short, corrupt or full of lines that
// are not records.
#include "nw/io/audit_reader.h"

#include <algorithm>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <stdlib.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <Poco/DeflatingStream.h>
#include <gtest/gtest.h>

#include "nw/core/audit_record.h"
#include "nw/core/fingerprint.h"
#include "nw/core/rfc3339.h"
#include "support/utc_time.h"

namespace nw {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// What the callback saw, copied out of the reader's buffers.
struct Seen {
  std::string time, endpoint, rule, query, fingerprint;
  AuditOutcome outcome;
  Language language;
  std::int64_t elapsed_ms;
};

class AuditReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "nw_audit_reader_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream out(path(name), std::ios::binary);
    out << bytes;
    return path(name);
  }

  static std::string gzip(const std::string& bytes) {
    std::ostringstream compressed;
    Poco::DeflatingOutputStream deflater(compressed, Poco::DeflatingStreamBuf::STREAM_GZIP);
    deflater << bytes;
    deflater.close();
    return compressed.str();
  }

  AuditReadResult read(const std::string& file, AuditReader& reader) {
    seen.clear();
    return reader.read(file, [this](const DigestRecord& r) {
      seen.push_back({format_rfc3339(r.time), std::string(r.endpoint), std::string(r.rule),
                      std::string(r.query),
                      r.fingerprint ? fingerprint_hex(*r.fingerprint) : std::string("-"), r.outcome,
                      r.language, r.elapsed_ms});
    });
  }
  AuditReadResult read(const std::string& file) {
    AuditReader reader;
    return read(file, reader);
  }

  std::vector<Seen> seen;
  fs::path dir_;
};

// A decision record as the daemon writes it (to_json_line), with its fingerprint unless
// `with_fingerprint` is false (a record written before the audit had the field).
std::string decision_line(int n, AuditOutcome outcome = AuditOutcome::cancelled,
                          bool with_fingerprint = true, const std::string& query = "") {
  AuditRecord r;
  r.time = test::utc(2026, 12, 1, 10, 0) + seconds(n);
  r.endpoint = n % 2 ? "reader-1" : "writer";
  r.language = Language::opencypher;
  r.query_id = "q-" + std::to_string(n);
  r.rule = "long-reads";
  r.elapsed_ms = 300000 + n;
  r.outcome = outcome;
  r.attempts = 1;
  r.query = query.empty() ? "MATCH (n {id: " + std::to_string(n) + "}) RETURN n" : query;
  r.reason = "elapsed > max_elapsed";
  r.config_version = "5e2c0a9f41b7";
  r.record_id = "r-" + std::to_string(n);
  if (with_fingerprint)
    r.fingerprint = fingerprint_hex(fingerprint_query(r.language, r.query).hash);
  return to_json_line(r) + "\n";
}

std::string lines(int from, int to) {
  std::string out;
  for (int n = from; n < to; ++n) out += decision_line(n);
  return out;
}

TEST_F(AuditReaderTest, ReadsEveryFieldOfTheDaemonsRecords) {
  const std::string query = "MATCH (n:Person {name: \"Zo\xc3\xab\"})\n\tRETURN n // \\ done";
  const std::string file =
      write("audit.jsonl", decision_line(1, AuditOutcome::failed, true, query) +
                               decision_line(2, AuditOutcome::dry_run, false));
  const AuditReadResult r = read(file);
  EXPECT_EQ(r.error, "");
  EXPECT_FALSE(r.compressed);
  EXPECT_EQ(r.lines, 2u);
  EXPECT_EQ(r.decisions, 2u);
  EXPECT_EQ(r.skipped, 0u);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].time, "2026-12-01T10:00:01Z");
  EXPECT_EQ(seen[0].endpoint, "reader-1");
  EXPECT_EQ(seen[0].rule, "long-reads");
  EXPECT_EQ(seen[0].outcome, AuditOutcome::failed);
  EXPECT_EQ(seen[0].language, Language::opencypher);
  EXPECT_EQ(seen[0].elapsed_ms, 300001);
  EXPECT_EQ(seen[0].query, query);  // unescaped: quotes, line breaks, tabs, UTF-8
  EXPECT_EQ(seen[0].fingerprint,
            fingerprint_hex(fingerprint_query(Language::opencypher, query).hash));
  EXPECT_EQ(seen[1].outcome, AuditOutcome::dry_run);
  EXPECT_EQ(seen[1].fingerprint, "-");  // none in the record: the digest computes it
  EXPECT_EQ(seen[1].query, "MATCH (n {id: 2}) RETURN n");
}

TEST_F(AuditReaderTest, IgnoresTopologyOwnershipAndHaEvents) {
  const auto t = test::utc(2026, 12, 1, 10, 0);
  const std::string file = write(
      "audit.jsonl",
      to_json_line(topology_record(t, "prod", "db-1", "added", "reader", "cv", RunMode::service)) +
          "\n" + decision_line(1) +
          to_json_line(ownership_record(t, "cluster.prod", "w-1", 7, "acquired", "", "cv")) + "\n" +
          to_json_line(ha_record(t, "w-1", "stopped", "etcd", "cv")) + "\n");
  const AuditReadResult r = read(file);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.lines, 4u);
  EXPECT_EQ(r.events, 3u);
  EXPECT_EQ(r.decisions, 1u);
  EXPECT_EQ(r.skipped, 0u);
  EXPECT_EQ(seen.size(), 1u);
}

// Gzip is told by its first bytes, whatever the name: logrotate's audit.jsonl.2.gz, a
// compressed file without .gz, and a plain file that happens to be called .gz.
TEST_F(AuditReaderTest, ReadsRotatedAndCompressedFilesByTheirBytes) {
  const std::string plain = lines(0, 50);
  struct Row {
    const char* name;
    std::string bytes;
    bool compressed;
  } rows[] = {
      {"audit.jsonl.1", plain, false},
      {"audit.jsonl.2.gz", gzip(plain), true},
      {"audit.jsonl.3", gzip(plain), true},
      {"misnamed.gz", plain, false},
      // gzip allows members one after another: `cat a.gz b.gz`, or gzip >> of a rotation.
      {"two-members.gz", gzip(lines(0, 20)) + gzip(lines(20, 50)), true},
  };
  AuditReader reader;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const AuditReadResult r = read(write(row.name, row.bytes), reader);
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.compressed, row.compressed);
    EXPECT_EQ(r.decisions, 50u);
    EXPECT_EQ(r.skipped, 0u);
    ASSERT_EQ(seen.size(), 50u);
    EXPECT_EQ(seen.front().time, "2026-12-01T10:00:00Z");
    EXPECT_EQ(seen.back().time, "2026-12-01T10:00:49Z");
  }
}

// Files of several blocks, plain and compressed: every record is read once, whole, also those
// that straddle two blocks.
TEST_F(AuditReaderTest, ReadsFilesLargerThanItsBlocks) {
  const std::string plain = lines(0, 40000);  // about 17 MB: blocks are 1 MiB
  ASSERT_GT(plain.size(), std::size_t{8} << 20);
  AuditReader reader;
  for (const auto& file : {write("big.jsonl", plain), write("big.jsonl.gz", gzip(plain))}) {
    SCOPED_TRACE(file);
    const AuditReadResult r = read(file, reader);
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.decisions, 40000u);
    EXPECT_EQ(r.skipped, 0u);
    ASSERT_EQ(seen.size(), 40000u);
    bool in_order = true;
    for (std::size_t i = 0; i < seen.size(); ++i)
      in_order = in_order && seen[i].elapsed_ms == 300000 + static_cast<std::int64_t>(i) &&
                 seen[i].query == "MATCH (n {id: " + std::to_string(i) + "}) RETURN n";
    EXPECT_TRUE(in_order);
  }
}

TEST_F(AuditReaderTest, SkipsAndCountsWhatIsNotARecordAndReadsOn) {
  const std::string good = decision_line(1);
  std::string without = good;  // a record lacking elapsed_ms
  const auto at = without.find(",\"elapsed_ms\"");
  without.erase(at, without.find(",\"", at + 1) - at);
  const std::string bad_lines[] = {
      "not json at all\n",
      "[1, 2, 3]\n",
      "\"a string\"\n",
      "42\n",
      "{}\n",
      "{\"time\":\"2026-12-01T10:00:00Z\"}\n",
      without,
      "{\"time\":\"yesterday\",\"endpoint\":\"w\",\"rule\":\"r\",\"outcome\":\"cancelled\","
      "\"elapsed_ms\":1,\"fingerprint\":\"3f2a9c0e1b7d4a52\"}\n",
      "{\"time\":\"2026-12-01T10:00:00Z\",\"endpoint\":\"w\",\"rule\":\"r\",\"outcome\":"
      "\"vanished\",\"elapsed_ms\":1,\"fingerprint\":\"3f2a9c0e1b7d4a52\"}\n",
      "{\"time\":\"2026-12-01T10:00:00Z\",\"endpoint\":\"w\",\"rule\":\"r\",\"outcome\":"
      "\"cancelled\",\"elapsed_ms\":\"1\",\"fingerprint\":\"3f2a9c0e1b7d4a52\"}\n",
      "{\"time\":\"2026-12-01T10:00:00Z\",\"endpoint\":\"w\",\"rule\":\"r\",\"outcome\":"
      "\"cancelled\",\"elapsed_ms\":1,\"fingerprint\":\"3f2a9c0e\"}\n",
      // No fingerprint, and no language to compute it with.
      "{\"time\":\"2026-12-01T10:00:00Z\",\"endpoint\":\"w\",\"rule\":\"r\",\"outcome\":"
      "\"cancelled\",\"elapsed_ms\":1,\"query\":\"MATCH (n) RETURN n\"}\n",
      "{\"time\":\"2026-12-01T10:00:00Z\",\"endpoint\":\"w\",\"rule\":\"r\",\"outcome\":"
      "\"cancelled\",\"elapsed_ms\":1,\"language\":\"cypher\",\"query\":\"MATCH (n) RETURN n\"}\n",
      good.substr(0, good.size() - 1) + " trailing\n",
      good.substr(0, good.size() - 1) + good,  // two records on one line
      good.substr(0, good.size() / 2) + "\n",  // cut in the middle of a string
      // Invalid UTF-8 inside the query string.
      good.substr(0, good.find("MATCH")) + "MATCH \xff\xfe (n)" +
          good.substr(good.find("MATCH") + 5),
      std::string("{\"time\":\0\"2026\"}\n", 17),
  };
  std::string file_text;
  for (const auto& bad : bad_lines) file_text += bad + good;
  file_text += "\n   \n\t\n";  // blank lines: not lines of the file's records, not skipped
  file_text += good.substr(0, good.size() - 1) + "\r\n";  // CRLF
  const AuditReadResult r = read(write("garbage.jsonl", file_text));
  EXPECT_EQ(r.error, "");
  const auto bad_count = std::size(bad_lines);
  EXPECT_EQ(r.skipped, bad_count);
  EXPECT_EQ(r.decisions, bad_count + 1);
  EXPECT_EQ(r.lines, 2 * bad_count + 1);
  EXPECT_EQ(seen.size(), bad_count + 1);
  for (const auto& s : seen) EXPECT_EQ(s.time, "2026-12-01T10:00:01Z");
}

TEST_F(AuditReaderTest, SkipsALineLongerThanTheLimitAndReadsOn) {
  std::string huge = decision_line(1);
  huge.insert(huge.find("MATCH"), std::string(kMaxAuditLine + 10, 'x'));
  const AuditReadResult r =
      read(write("long.jsonl", decision_line(0) + huge + decision_line(2) + huge));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.skipped, 2u);
  EXPECT_EQ(r.decisions, 2u);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].time, "2026-12-01T10:00:02Z");
}

// The daemon stopped while writing its last record: the record before it counts.
TEST_F(AuditReaderTest, ReadsALastLineWithoutNewlineAndSkipsAHalfWrittenOne) {
  const std::string last = decision_line(2);
  EXPECT_EQ(read(write("a.jsonl", lines(0, 2) + last.substr(0, last.size() - 1))).decisions, 3u);
  const AuditReadResult r = read(write("b.jsonl", lines(0, 2) + last.substr(0, 40)));
  EXPECT_EQ(r.decisions, 2u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(r.error, "");
}

TEST_F(AuditReaderTest, ACutGzipFileIsAnErrorAfterTheRecordsBeforeTheCut) {
  const std::string compressed = gzip(lines(0, 20000));
  const std::string file = write("cut.jsonl.gz", compressed.substr(0, compressed.size() / 2));
  const AuditReadResult r = read(file);
  EXPECT_EQ(r.error, file + ": the gzip data is cut short (the records before the cut were read)");
  EXPECT_TRUE(r.compressed);
  EXPECT_GT(r.decisions, 5000u);
  EXPECT_LT(r.decisions, 20000u);
  // Only its trailer missing (the 8 bytes of CRC and length): every record, and still an error.
  const std::string no_trailer =
      write("no-trailer.gz", compressed.substr(0, compressed.size() - 8));
  const AuditReadResult t = read(no_trailer);
  EXPECT_EQ(t.decisions, 20000u);
  EXPECT_NE(t.error.find("cut short"), std::string::npos) << t.error;
}

TEST_F(AuditReaderTest, CorruptGzipDataIsAnErrorNamingTheFile) {
  std::string compressed = gzip(lines(0, 20000));
  for (std::size_t i = compressed.size() / 2; i < compressed.size() / 2 + 64; ++i)
    compressed[i] = static_cast<char>(~compressed[i]);
  const std::string file = write("corrupt.gz", compressed);
  const AuditReadResult r = read(file);
  EXPECT_EQ(r.error.rfind(file + ": the gzip data is corrupt (", 0), 0u) << r.error;
  EXPECT_LT(r.decisions, 20000u);

  const std::string trailing = write("trailing.gz", gzip(lines(0, 10)) + "plain text\n");
  const AuditReadResult t = read(trailing);
  EXPECT_EQ(t.decisions, 10u);
  EXPECT_EQ(t.error, trailing + ": data after the end of the gzip data was not read");
}

TEST_F(AuditReaderTest, AFileThatCannotBeReadIsAnErrorNamingIt) {
  const AuditReadResult missing = read(path("missing.jsonl"));
  EXPECT_EQ(missing.error, path("missing.jsonl") + ": No such file or directory");
  EXPECT_EQ(missing.decisions, 0u);
  const AuditReadResult directory = read(dir_.string());
  EXPECT_EQ(directory.error, dir_.string() + ": Is a directory");
  const AuditReadResult empty = read(write("empty.jsonl", ""));
  EXPECT_EQ(empty.error, "");
  EXPECT_EQ(empty.lines, 0u);
  // A one-byte file: too short to be gzip, one line that is not a record.
  const AuditReadResult one = read(write("one.jsonl", "\x1f"));
  EXPECT_EQ(one.error, "");
  EXPECT_EQ(one.skipped, 1u);
}

// A compressed file is inflated on a thread of its own: a callback that throws midway stops
// it (no hang, nothing left running), and the reader reads the next file whole.
TEST_F(AuditReaderTest, ACallbackThatThrowsStopsTheInflatingThread) {
  const std::string file = write("big.jsonl.gz", gzip(lines(0, 30000)));
  AuditReader reader;
  std::size_t calls = 0;
  EXPECT_THROW(reader.read(file,
                           [&calls](const DigestRecord&) {
                             if (++calls == 10) throw std::runtime_error("enough");
                           }),
               std::runtime_error);
  EXPECT_EQ(calls, 10u);
  const AuditReadResult again = read(file, reader);
  EXPECT_EQ(again.error, "");
  EXPECT_EQ(again.decisions, 30000u);
}

TEST_F(AuditReaderTest, DashReadsStandardInputPlainOrCompressed) {
  for (const bool compressed : {false, true}) {
    SCOPED_TRACE(compressed);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const std::string bytes = compressed ? gzip(lines(0, 3000)) : lines(0, 3000);
    // A writer of its own: a pipe holds 64 KiB, and the reader reads as it is written.
    std::thread writer([&] {
      for (std::size_t at = 0; at < bytes.size();) {
        const ssize_t n =
            ::write(fds[1], bytes.data() + at, std::min<std::size_t>(777, bytes.size() - at));
        if (n <= 0) break;
        at += static_cast<std::size_t>(n);
      }
      ::close(fds[1]);
    });
    AuditReader reader(fds[0]);
    const AuditReadResult r = read("-", reader);
    writer.join();
    ::close(fds[0]);
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.compressed, compressed);
    EXPECT_EQ(r.decisions, 3000u);
  }
}

}  // namespace
}  // namespace nw
