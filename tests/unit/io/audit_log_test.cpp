#include "nw/io/audit_log.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <grp.h>
#include <optional>
#include <string>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

namespace nw {
namespace {

namespace fs = std::filesystem;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "nw_audit_log_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  static std::vector<std::string> read_lines(const fs::path& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  static AuditRecord record(const std::string& id, AuditOutcome outcome = AuditOutcome::cancelled) {
    AuditRecord r;
    r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795492046123));
    r.endpoint = "writer";
    r.query_id = id;
    r.rule = "long-reads";
    r.elapsed_ms = 312000;
    r.action = RuleAction::cancel;
    r.silent = true;
    r.outcome = outcome;
    r.attempts = 1;
    r.query = "MATCH (n) RETURN n";
    r.reason = "elapsed 312000ms > max_elapsed 300000ms";
    if (outcome == AuditOutcome::failed) r.error = "timeout";
    return r;
  }

  fs::path dir_;
};

TEST_F(AuditLogTest, WritesOneLinePerRecord) {
  struct Row {
    const char* name;
    std::vector<AuditRecord> records;
  } rows[] = {
      {"one record", {record("a")}},
      {"three records in order",
       {record("a"), record("b", AuditOutcome::failed), record("c", AuditOutcome::not_found)}},
      {"query with newlines and quotes stays on one line", {[] {
         AuditRecord r = record("n");
         r.query = "MATCH (n)\nWHERE n.name = \"x\"\r\nRETURN n";
         return r;
       }()}},
  };
  int file_no = 0;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const fs::path path = dir_ / ("audit-" + std::to_string(file_no++) + ".jsonl");
    {
      AuditLog log(path.string());
      EXPECT_EQ(log.path(), path.string());
      for (const auto& r : row.records) EXPECT_TRUE(log.write(r)) << log.last_error();
      EXPECT_EQ(log.last_error(), "");
      // Flushed before write() returns: readable while the log is still open.
      EXPECT_EQ(read_lines(path).size(), row.records.size());
    }
    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), row.records.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
      EXPECT_EQ(lines[i], to_json_line(row.records[i]));
      Poco::JSON::Parser parser;
      const auto o = parser.parse(lines[i]).extract<Poco::JSON::Object::Ptr>();
      EXPECT_EQ(o->getValue<std::string>("query_id"), row.records[i].query_id);
    }
  }
}

TEST_F(AuditLogTest, AppendsAcrossReopen) {
  const fs::path path = dir_ / "audit.jsonl";
  { std::ofstream(path) << "{\"existing\":true}\n"; }
  {
    AuditLog log(path.string());
    EXPECT_TRUE(log.write(record("first")));
  }
  {
    AuditLog log(path.string());
    EXPECT_TRUE(log.write(record("second")));
    EXPECT_TRUE(log.write(record("third")));
  }
  EXPECT_EQ(read_lines(path), (std::vector<std::string>{
                                  "{\"existing\":true}", to_json_line(record("first")),
                                  to_json_line(record("second")), to_json_line(record("third"))}));
}

TEST_F(AuditLogTest, CreatesMissingParentDirectories) {
  const fs::path path = dir_ / "var" / "log" / "neptune-watchdog" / "audit.jsonl";
  ASSERT_FALSE(fs::exists(path.parent_path()));
  AuditLog log(path.string());
  EXPECT_TRUE(fs::is_directory(path.parent_path()));
  EXPECT_TRUE(log.write(record("a")));
  EXPECT_EQ(read_lines(path), std::vector<std::string>{to_json_line(record("a"))});
}

TEST_F(AuditLogTest, ConcurrentWritersNeverInterleaveLines) {
  const fs::path path = dir_ / "audit.jsonl";
  AuditLog log(path.string());
  constexpr int kThreads = 4, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&log, t] {
      for (int i = 0; i < kEach; ++i)
        log.write(record("t" + std::to_string(t) + "-" + std::to_string(i)));
    });
  for (auto& th : threads) th.join();
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kEach));
  for (const auto& line : lines) {
    Poco::JSON::Parser parser;
    EXPECT_NO_THROW(parser.parse(line)) << line;
  }
}

TEST_F(AuditLogTest, FullDiskIsReportedNotThrown) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "/dev/full is not available";
  AuditLog log("/dev/full");
  EXPECT_FALSE(log.write(record("a")));
  EXPECT_NE(log.last_error(), "");
  EXPECT_FALSE(log.write(record("b", AuditOutcome::failed)));
  EXPECT_NE(log.last_error(), "");
}

TEST_F(AuditLogTest, ImpossiblePathThrowsAuditOpenError) {
  struct Row {
    const char* name;
    std::string path;
  } rows[] = {
      {"under /proc", "/proc/nonexistent/x/audit.jsonl"},
      {"parent is a file", (dir_ / "file").string() + "/audit.jsonl"},
      {"path is a directory", dir_.string()},
  };
  std::ofstream(dir_ / "file") << "x";
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    try {
      AuditLog log(row.path);
      ADD_FAILURE() << "no exception for " << row.path;
    } catch (const AuditOpenError& e) {
      EXPECT_NE(std::string(e.what()).find(row.path), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

namespace fs = std::filesystem;

class AuditFiles : public ::testing::Test {
 protected:
  AuditFiles()
      : dir_(fs::temp_directory_path() /
             ("nw-audit-rot-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~AuditFiles() override { fs::remove_all(dir_); }

  static AuditRecord record(int i) {
    AuditRecord r;
    r.query_id = "q-" + std::to_string(i);
    r.rule = "long-reads";
    r.query = std::string(100, 'x');
    return r;
  }
  static std::size_t lines(const fs::path& p) {
    std::ifstream in(p);
    std::size_t n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    return n;
  }

  fs::path dir_;
};

TEST_F(AuditFiles, RotatesBySizeWithoutLosingOrSplittingARecord) {
  WatchdogSettings settings;
  settings.audit_log = (dir_ / "audit.jsonl").string();
  settings.audit_max_size = 2000;  // about six records per file
  settings.audit_max_files = 50;
  {
    AuditLog audit(settings);
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(audit.write(record(i)));
  }
  std::size_t total = 0, files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_LE(fs::file_size(entry.path()), 2000u) << entry.path();
    total += lines(entry.path());
  }
  EXPECT_GT(files, 1u);
  EXPECT_EQ(total, 40u);
  EXPECT_TRUE(fs::exists(dir_ / "audit.1.jsonl"));
}

TEST_F(AuditFiles, ReopenFollowsLogrotate) {
  const auto path = dir_ / "audit.jsonl";
  AuditLog audit(path.string());
  ASSERT_TRUE(audit.write(record(1)));
  fs::rename(path, dir_ / "audit.jsonl.1");  // what logrotate does before signalling
  ASSERT_TRUE(audit.write(record(2)));       // still into the moved file
  ASSERT_TRUE(audit.reopen());
  ASSERT_TRUE(audit.write(record(3)));
  EXPECT_EQ(lines(dir_ / "audit.jsonl.1"), 2u);
  EXPECT_EQ(lines(path), 1u);
}

TEST_F(AuditFiles, AClosedLogRefusesWrites) {
  AuditLog audit((dir_ / "audit.jsonl").string());
  ASSERT_TRUE(audit.write(record(1)));
  audit.close();
  EXPECT_FALSE(audit.write(record(2)));
  EXPECT_EQ(lines(dir_ / "audit.jsonl"), 1u);
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// A `sending` record without an outcome record of the same record_id is a cancel that was sent
// (or about to be) when the daemon stopped; a query text that quotes the fields does not count.
TEST(UnansweredCancels, CountsSendingRecordsWithoutTheirOutcome) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("nw_unanswered_" + std::to_string(::getpid()) + ".jsonl");
  {
    AuditLog log(path.string());
    const auto make = [](const std::string& id, AuditOutcome outcome,
                         const std::string& record_id) {
      AuditRecord r;
      r.query_id = id;
      r.outcome = outcome;
      r.record_id = record_id;
      r.query = R"(RETURN '"outcome":"sending","record_id":"x-9"')";
      return r;
    };
    log.write(make("a", AuditOutcome::sending, "p-1"));
    log.write(make("a", AuditOutcome::cancelled, "p-1"));
    log.write(make("b", AuditOutcome::sending, "p-2"));
    log.write(make("c", AuditOutcome::logged, ""));
    log.write(make("d", AuditOutcome::sending, "p-3"));
  }
  EXPECT_EQ(unanswered_cancels(path.string()), 2u);
  // Only the tail is read: a tail that starts after p-2's record sees one.
  const auto size = std::filesystem::file_size(path);
  EXPECT_EQ(unanswered_cancels(path.string(), size / 4), 1u);
  EXPECT_EQ(unanswered_cancels((path.string() + ".missing")), 0u);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

namespace fs = std::filesystem;

// The fixture of AuditFiles, reading whole lines rather than counting them.
class AuditFileSafety : public AuditFiles {
 protected:
  static std::vector<std::string> lines(const fs::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
};

// An archive that cannot be replaced (here a non-empty directory where audit.2.jsonl goes; an
// append-only file under compliance tooling fails the same way): the live file is never
// truncated, keeps every record, and the log reports itself unhealthy with the cause.
TEST_F(AuditFileSafety, AFailedRotationKeepsTheLiveFileAndEveryRecord) {
  fs::create_directories(dir_ / "audit.2.jsonl" / "occupied");
  std::ofstream(dir_ / "audit.1.jsonl") << "{\"older\":true}\n";
  WatchdogSettings settings;
  settings.audit_log = (dir_ / "audit.jsonl").string();
  settings.audit_max_size = 1000;
  settings.audit_max_files = 2;
  AuditLog audit(settings);
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(audit.write(record(i)));
  EXPECT_EQ(lines(dir_ / "audit.jsonl").size(), 30u);   // all of them, in the live file
  EXPECT_EQ(lines(dir_ / "audit.1.jsonl").size(), 1u);  // the archive untouched
  EXPECT_FALSE(audit.healthy());
  EXPECT_GE(audit.rotation_failures(), 1u);
  EXPECT_NE(audit.last_error().find("rotation failed"), std::string::npos) << audit.last_error();
  // Once the way is clear, the next try (a minute later) rotates.
}

// A write cut short (the file size limit here; a full disk the same) leaves a fragment, and the
// next record starts on a line of its own: every complete record stays one valid JSON line.
TEST_F(AuditFileSafety, ARecordAfterAShortWriteStartsOnItsOwnLine) {
  const auto path = dir_ / "audit.jsonl";
  AuditLog audit(path.string());
  ASSERT_TRUE(audit.write(record(1)));
  const auto first_size = fs::file_size(path);
  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = first_size + 50;  // the next line fits only partly
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const bool second = audit.write(record(2));
  const bool third = audit.write(record(3));  // nothing more fits at all
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  EXPECT_FALSE(second);
  EXPECT_FALSE(third);
  EXPECT_FALSE(audit.healthy());
  ASSERT_TRUE(audit.write(record(4)));
  EXPECT_TRUE(audit.healthy());
  const auto all = lines(path);
  ASSERT_EQ(all.size(), 3u);  // record 1, the fragment of record 2, record 4
  EXPECT_NE(all[0].find("\"q-1\""), std::string::npos);
  EXPECT_EQ(all[1].find('}'), std::string::npos);  // the fragment ends without its brace
  EXPECT_NE(all[2].find("\"q-4\""), std::string::npos);
  Poco::JSON::Parser parser;
  EXPECT_NO_THROW(parser.parse(all[2]));
}

// A real full disk: a 64 KiB tmpfs. Records are written until the file system is full; the one
// cut short stays a fragment on its own line, and once space is freed the next record starts
// on a line of its own. Every other line is a whole record.
TEST_F(AuditFileSafety, AFullFileSystemCutsOneRecordAndTheNextStartsOnItsOwnLine) {
  const auto mount_point = dir_ / "small";
  fs::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=64k,mode=0700") != 0)
    GTEST_SKIP() << "cannot mount a 64 KiB tmpfs here (" << std::strerror(errno)
                 << "): this test needs root with CAP_SYS_ADMIN; the file size limit test covers "
                    "the same path";
  struct Unmount {
    fs::path path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  std::ofstream(mount_point / "filler", std::ios::binary) << std::string(16384, 'f');
  const auto path = mount_point / "audit.jsonl";
  AuditLog audit(path.string());
  int written = 0;
  bool refused = false;
  for (int i = 0; i < 10000 && !refused; ++i) {
    if (audit.write(record(i)))
      ++written;
    else
      refused = true;
  }
  ASSERT_TRUE(refused) << "the file system never filled up";
  EXPECT_FALSE(audit.healthy());
  fs::remove(mount_point / "filler");
  ASSERT_TRUE(audit.write(record(100000)));
  EXPECT_TRUE(audit.healthy());
  const auto all = lines(path);
  int whole = 0, fragments = 0;
  for (const auto& line : all) {
    try {
      Poco::JSON::Parser().parse(line);
      ++whole;
    } catch (const Poco::Exception&) {
      ++fragments;
    }
  }
  EXPECT_LE(fragments, 1);
  EXPECT_EQ(whole, written + 1);
  ASSERT_FALSE(all.empty());
  EXPECT_NE(all.back().find("\"q-100000\""), std::string::npos);
}

TEST_F(AuditFileSafety, ANewFileIsReadableByItsOwnerOnly) {
  const auto path = dir_ / "audit.jsonl";
  const mode_t old_mask = ::umask(022);
  { AuditLog audit(path.string()); }
  ::umask(old_mask);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// A live file deleted under the daemon would swallow every record: it is created again.
TEST_F(AuditFileSafety, ADeletedLiveFileIsCreatedAgain) {
  const auto path = dir_ / "audit.jsonl";
  AuditLog audit(path.string());
  ASSERT_TRUE(audit.write(record(1)));
  fs::remove(path);
  ASSERT_TRUE(audit.write(record(2)));
  const auto all = lines(path);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_NE(all[0].find("\"q-2\""), std::string::npos);
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

namespace fs = std::filesystem;

using AuditFileLinks = AuditFileSafety;

// Run as root outside the shipped unit, following a link at the audit path would append to
// whatever file a local user pointed it at: the link is refused, and the target untouched.
TEST_F(AuditFileLinks, ASymbolicLinkAtThePathIsRefused) {
  const auto target = dir_ / "someone-elses-file";
  std::ofstream(target) << "precious\n";
  const auto path = dir_ / "audit.jsonl";
  fs::create_symlink(target, path);
  try {
    AuditLog audit(path.string());
    FAIL() << "opened through a symbolic link";
  } catch (const AuditOpenError& e) {
    EXPECT_EQ(std::string(e.what()), "audit_log " + path.string() +
                                         " is a symbolic link: refusing to follow it; point "
                                         "audit_log at the real file");
  }
  // A dangling link is not followed to create its target either.
  const auto dangling = dir_ / "dangling.jsonl";
  fs::create_symlink(dir_ / "created-elsewhere", dangling);
  EXPECT_THROW(AuditLog(dangling.string()), AuditOpenError);
  EXPECT_FALSE(fs::exists(dir_ / "created-elsewhere"));
  EXPECT_EQ(lines(target), std::vector<std::string>{"precious"});
}

// Links in the directories above the file are the operator's (/var/log -> /data/log): only
// the last component is refused.
TEST_F(AuditFileLinks, ALinkedDirectoryAboveTheFileIsFine) {
  fs::create_directories(dir_ / "data" / "log");
  fs::create_directory_symlink(dir_ / "data" / "log", dir_ / "log");
  const auto path = dir_ / "log" / "audit.jsonl";
  AuditLog audit(path.string());
  ASSERT_TRUE(audit.write(record(1))) << audit.last_error();
  EXPECT_EQ(lines(dir_ / "data" / "log" / "audit.jsonl").size(), 1u);
  EXPECT_TRUE(audit.healthy());
}

// A link put at the path while the daemon runs: the reopen (SIGUSR1, logrotate) refuses it,
// records go on into the old file, and the log is unhealthy (cancelling pauses under
// on_audit_failure = pause) until a reopen succeeds.
TEST_F(AuditFileLinks, ALinkAtThePathAtReopenMakesTheLogUnhealthy) {
  const auto path = dir_ / "audit.jsonl";
  const auto target = dir_ / "someone-elses-file";
  std::ofstream(target) << "precious\n";
  AuditLog audit(path.string());
  ASSERT_TRUE(audit.write(record(1)));
  fs::rename(path, dir_ / "audit.jsonl.1");
  fs::create_symlink(target, path);
  EXPECT_FALSE(audit.reopen());
  EXPECT_NE(audit.last_error().find("is a symbolic link: refusing to follow it"), std::string::npos)
      << audit.last_error();
  EXPECT_FALSE(audit.healthy());
  EXPECT_TRUE(audit.write(record(2)));  // into the old file
  EXPECT_FALSE(audit.healthy());
  EXPECT_EQ(lines(dir_ / "audit.jsonl.1").size(), 2u);
  EXPECT_EQ(lines(target), std::vector<std::string>{"precious"});

  fs::remove(path);
  ASSERT_TRUE(audit.reopen());
  ASSERT_TRUE(audit.write(record(3)));
  EXPECT_TRUE(audit.healthy());
  EXPECT_EQ(lines(path).size(), 1u);
}

// The live file deleted and a link put in its place: the record is not written through it.
TEST_F(AuditFileLinks, ALinkInPlaceOfADeletedLiveFileIsRefused) {
  const auto path = dir_ / "audit.jsonl";
  const auto target = dir_ / "someone-elses-file";
  std::ofstream(target) << "precious\n";
  AuditLog audit(path.string());
  ASSERT_TRUE(audit.write(record(1)));
  fs::remove(path);
  fs::create_symlink(target, path);
  EXPECT_FALSE(audit.write(record(2)));
  EXPECT_FALSE(audit.healthy());
  EXPECT_NE(audit.last_error().find("is a symbolic link"), std::string::npos) << audit.last_error();
  EXPECT_EQ(lines(target), std::vector<std::string>{"precious"});
}

// Rotation onto a link (put where the fresh live file goes) fails like any rotation failure:
// the live file keeps every record and the log is unhealthy.
TEST_F(AuditFileLinks, RotationNeverWritesThroughALink) {
  const auto target = dir_ / "someone-elses-file";
  std::ofstream(target) << "precious\n";
  WatchdogSettings settings;
  settings.audit_log = (dir_ / "audit.jsonl").string();
  settings.audit_max_size = 1000;
  settings.audit_max_files = 3;
  AuditLog audit(settings);
  ASSERT_TRUE(audit.write(record(1)));
  fs::rename(dir_ / "audit.jsonl", dir_ / "moved.jsonl");  // still the live file
  fs::create_symlink(target, dir_ / "audit.jsonl");
  for (int i = 2; i < 30; ++i) EXPECT_TRUE(audit.write(record(i)));
  EXPECT_EQ(lines(dir_ / "moved.jsonl").size(), 29u);
  EXPECT_FALSE(audit.healthy());
  EXPECT_NE(audit.last_error().find("is a symbolic link"), std::string::npos) << audit.last_error();
  EXPECT_EQ(lines(target), std::vector<std::string>{"precious"});
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

namespace fs = std::filesystem;

// audit_group: files the daemon creates go to a log shipper's group, 0640.
class AuditFileGroup : public AuditFileSafety {
 protected:
  // A group every Debian system has and that a test user is unlikely to be in.
  static std::optional<std::pair<std::string, gid_t>> some_group() {
    for (const char* name : {"adm", "nogroup"}) {
      try {
        return std::make_pair(std::string(name), audit_group_id(name));
      } catch (const AuditOpenError&) {
      }
    }
    return std::nullopt;
  }
  static struct stat status(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st;
  }
};

TEST_F(AuditFileGroup, NewFilesAreGivenToTheGroupAlsoAfterRotationAndDeletion) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a file to any group needs root";
  const auto group = some_group();
  if (!group) GTEST_SKIP() << "neither group 'adm' nor 'nogroup' exists here";
  WatchdogSettings settings;
  settings.audit_log = (dir_ / "audit.jsonl").string();
  settings.audit_group = group->first;
  settings.audit_max_size = 2000;  // about six records per file
  settings.audit_max_files = 5;
  const mode_t old_mask = ::umask(077);  // the group bit is set whatever the umask
  AuditLog audit(settings);
  ::umask(old_mask);
  const auto created = status(dir_ / "audit.jsonl");
  EXPECT_EQ(created.st_mode & 0777, 0640u);
  EXPECT_EQ(created.st_gid, group->second);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(audit.write(record(i)));
  ASSERT_TRUE(fs::exists(dir_ / "audit.1.jsonl"));
  for (const auto& p : {dir_ / "audit.jsonl", dir_ / "audit.1.jsonl"}) {
    const auto st = status(p);
    EXPECT_EQ(st.st_mode & 0777, 0640u) << p;
    EXPECT_EQ(st.st_gid, group->second) << p;
  }
  fs::remove(dir_ / "audit.jsonl");
  ASSERT_TRUE(audit.write(record(10)));
  const auto st = status(dir_ / "audit.jsonl");
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(st.st_gid, group->second);
  EXPECT_TRUE(audit.healthy());
}

TEST_F(AuditFileGroup, WithoutAGroupANewFileIsTheOwnersOnly) {
  WatchdogSettings settings;
  settings.audit_log = (dir_ / "audit.jsonl").string();
  const mode_t old_mask = ::umask(022);
  { AuditLog audit(settings); }
  ::umask(old_mask);
  const auto st = status(dir_ / "audit.jsonl");
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_gid, ::getegid());
}

// The operator's file: its mode and group are theirs.
TEST_F(AuditFileGroup, AnExistingFileKeepsItsModeAndGroup) {
  const auto group = some_group();
  if (!group) GTEST_SKIP() << "neither group 'adm' nor 'nogroup' exists here";
  const auto path = dir_ / "audit.jsonl";
  std::ofstream(path) << "";
  ASSERT_EQ(::chmod(path.c_str(), 0604), 0);
  const auto before = status(path);
  WatchdogSettings settings;
  settings.audit_log = path.string();
  settings.audit_group = group->first;
  {
    AuditLog audit(settings);
    ASSERT_TRUE(audit.write(record(1)));
  }
  const auto after = status(path);
  EXPECT_EQ(after.st_mode & 0777, 0604u);
  EXPECT_EQ(after.st_gid, before.st_gid);
  EXPECT_EQ(lines(path).size(), 1u);
}

TEST_F(AuditFileGroup, AnUnknownGroupIsRefused) {
  WatchdogSettings settings;
  settings.audit_log = (dir_ / "audit.jsonl").string();
  settings.audit_group = "nw-no-such-group";
  try {
    AuditLog audit(settings);
    FAIL() << "opened with a group that does not exist";
  } catch (const AuditOpenError& e) {
    EXPECT_EQ(e.key, "watchdog.audit_group");
    EXPECT_EQ(std::string(e.what()), "no group named 'nw-no-such-group'");
  }
  EXPECT_FALSE(fs::exists(dir_ / "audit.jsonl"));
}

// A daemon that is neither root nor in the group cannot give it the file: refused at start
// (and the empty file removed, or the next start would keep it as the operator's), and a
// reopen that has to create the file fails and leaves the log unhealthy.
TEST_F(AuditFileGroup, AGroupTheDaemonIsNotInIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "the test drops from root to an unprivileged user";
  const auto group = some_group();
  if (!group) GTEST_SKIP() << "neither group 'adm' nor 'nogroup' exists here";
  fs::permissions(dir_, fs::perms::all);
  const gid_t other = group->second == 65534 ? 65533 : 65534;
  const std::vector<std::string> steps = {
      "ok",
      "could not drop privileges",
      "the start did not fail",
      "wrong key or message at start",
      "the refused file was left behind",
      "an existing file was refused",
      "the reopen succeeded",
      "still healthy after the failed reopen",
      "wrong last_error after the failed reopen",
      "a record was written to a deleted file",
  };
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(other) != 0 || ::setuid(65534) != 0) ::_exit(1);
    const auto path = dir_ / "audit.jsonl";
    WatchdogSettings settings;
    settings.audit_log = path.string();
    settings.audit_group = group->first;
    const std::string refused =
        "cannot give the audit file to group " + group->first + ": Operation not permitted";
    try {
      AuditLog audit(settings);
      ::_exit(2);
    } catch (const AuditOpenError& e) {
      if (e.key != "watchdog.audit_group" || e.what() != refused) ::_exit(3);
    }
    if (fs::exists(path)) ::_exit(4);
    std::ofstream(path) << "";
    try {
      AuditLog audit(settings);
      fs::remove(path);
      if (audit.reopen()) ::_exit(6);
      if (audit.healthy()) ::_exit(7);
      if (audit.last_error() != refused) ::_exit(8);
      if (audit.write(record(1))) ::_exit(9);
    } catch (const AuditOpenError&) {
      ::_exit(5);
    }
    ::_exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  const int code = WEXITSTATUS(wstatus);
  EXPECT_EQ(code, 0) << (code < static_cast<int>(steps.size()) ? steps[code] : "unknown");
}

}  // namespace
}  // namespace nw
