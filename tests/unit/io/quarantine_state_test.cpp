#include "nw/io/quarantine_state.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "nw/app/quarantine_book.h"

namespace nw {
namespace {

using std::chrono::minutes;
const auto kNow = std::chrono::system_clock::from_time_t(1795608000);  // 2026-11-25T12:00:00Z

class QuarantineState : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("nw-quarantine-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(QuarantineState, WhatIsSavedIsReadBackWhileInForce) {
  QuarantineList list;
  list.cancelled("reads", 0x3f2a9c0e1b2d4f60ULL, "match (n{id:?}) return \"n\"", "writer", kNow,
                 minutes(10));
  list.cancelled("reads", 0x3f2a9c0e1b2d4f60ULL, "", "reader-1", kNow + minutes(2), minutes(10));
  list.cancelled("other", 7, "g.V(?)", "writer", kNow, minutes(1));
  ASSERT_EQ(save_quarantine_state(path("q.json"), list), std::nullopt);
  EXPECT_FALSE(std::filesystem::exists(path("q.json.tmp")));
  EXPECT_EQ(std::filesystem::status(path("q.json")).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  const QuarantineLoad loaded = load_quarantine_state(path("q.json"), kNow + minutes(5));
  EXPECT_EQ(loaded.problem, "");
  ASSERT_EQ(loaded.list.size(), 1u);  // "other" ended at kNow + 1m
  const QuarantineEntry* e = loaded.list.find("reads", 0x3f2a9c0e1b2d4f60ULL, kNow + minutes(5));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->fingerprint_text, "match (n{id:?}) return \"n\"");
  EXPECT_EQ(e->since, kNow);
  EXPECT_EQ(e->last_cancel, kNow + minutes(2));
  EXPECT_EQ(e->until, kNow + minutes(12));
  EXPECT_EQ(e->endpoint, "reader-1");
  EXPECT_EQ(e->cancels, 2u);
}

TEST_F(QuarantineState, AMissingFileIsAnEmptyListAndABadOneIsAProblem) {
  const QuarantineLoad missing = load_quarantine_state(path("none.json"), kNow);
  EXPECT_EQ(missing.problem, "");
  EXPECT_TRUE(missing.list.empty());
  for (const char* text :
       {"not json", "{\"version\": 2, \"quarantine\": []}", "{\"version\": 1}",
        "{\"version\": 1, \"quarantine\": [{\"rule\": \"r\", \"fingerprint\": \"xyz\", "
        "\"since\": \"2026-11-25T12:00:00Z\", \"last_cancel\": \"2026-11-25T12:00:00Z\", "
        "\"until\": \"2026-11-25T13:00:00Z\"}]}"}) {
    write("bad.json", text);
    const QuarantineLoad bad = load_quarantine_state(path("bad.json"), kNow);
    EXPECT_EQ(bad.problem.rfind(path("bad.json") + ": not a quarantine state (", 0), 0u)
        << bad.problem;
    EXPECT_TRUE(bad.list.empty());
  }
}

TEST_F(QuarantineState, TheBookSavesOnlyWhenItChanged) {
  QuarantineBook book;
  Policy policy;
  Rule rule;
  rule.name = "reads";
  rule.max_elapsed = Millis(1000);
  rule.quarantine = Millis(600000);
  policy.rules.push_back(rule);
  AuditRecord r;
  r.time = kNow;
  r.rule = "reads";
  r.endpoint = "writer";
  r.query = "MATCH (n {id: 1}) RETURN n";
  r.fingerprint = "x";
  r.outcome = AuditOutcome::sending;
  EXPECT_EQ(book.record_written(r, policy), std::nullopt);  // not a cancel yet
  r.outcome = AuditOutcome::cancelled;
  const auto started = book.record_written(r, policy);
  ASSERT_TRUE(started);
  EXPECT_EQ(started->until, kNow + minutes(10));
  EXPECT_EQ(book.record_written(r, policy), std::nullopt);  // extended, not started
  EXPECT_EQ(book.in_force(kNow), 1u);
  EXPECT_EQ(book.save_if_changed(path("q.json"), kNow), std::nullopt);
  ASSERT_TRUE(std::filesystem::exists(path("q.json")));
  std::filesystem::remove(path("q.json"));
  EXPECT_EQ(book.save_if_changed(path("q.json"), kNow), std::nullopt);
  EXPECT_FALSE(std::filesystem::exists(path("q.json")));  // nothing changed: not written
  // A rule without quarantine starts none.
  policy.rules[0].quarantine.reset();
  r.query = "MATCH (m:Other) RETURN m";
  EXPECT_EQ(book.record_written(r, policy), std::nullopt);
  EXPECT_EQ(book.current()->size(), 1u);
  // A save that fails is tried again at the next call.
  EXPECT_NE(book.save_if_changed(path("no/such/dir/q.json"), kNow + minutes(11)), std::nullopt);
  EXPECT_EQ(book.save_if_changed(path("q.json"), kNow + minutes(11)), std::nullopt);
  EXPECT_TRUE(load_quarantine_state(path("q.json"), kNow).list.empty());  // expired: dropped
}

}  // namespace
}  // namespace nw
