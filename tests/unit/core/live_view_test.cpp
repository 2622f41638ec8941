// The live view of `status` and `top`: each query judged now, with its rule, limit and time to
// action, and its text form.
#include "nw/core/live_view.h"

#include <gtest/gtest.h>

#include "nw/core/config.h"

namespace nw {
namespace {

using namespace std::chrono_literals;

const auto kNow = std::chrono::system_clock::from_time_t(1795608000);

Policy policy_of(const std::string& rules) {
  ConfigResult parsed = parse_config("[endpoint.e]\nurl = http://127.0.0.1:1\n" + rules, "t.ini");
  EXPECT_TRUE(parsed.ok());
  return parsed.config.policy;
}

StatusSnapshot snapshot() {
  StatusSnapshot s;
  s.endpoint = "writer";
  s.queries = {{"run-1", "MATCH (a:Account) RETURN a", 2000, 0, false},
               {"queue-1", "MATCH (a:Account) RETURN a", 0, 500, false},
               {"over-1", "MATCH (a:Account {id: 7}) RETURN a", 90000, 0, false},
               {"free-1", "RETURN 1", 1000, 0, false},
               {"kept-1", "MATCH (b:Backup) RETURN b", 99000, 0, false}};
  return s;
}

TEST(LiveView, EachQueryHasItsRuleLimitAndTimeToAction) {
  const Policy p = policy_of(
      "[rule.accounts]\nquery_matches = Account\nmax_elapsed = 1m\nmax_waited = 10s\n"
      "[rule.backups]\nquery_matches = Backup\nmax_elapsed = 1m\n"
      "[protect.backups]\nquery_matches = Backup\n");
  const auto rows = live_queries(snapshot(), p, kNow);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].rule, "accounts");
  EXPECT_EQ(rows[0].limit_ms, 60000);
  EXPECT_EQ(rows[0].action_in_ms, 58000);
  EXPECT_FALSE(rows[0].queued);
  EXPECT_EQ(rows[0].fingerprint.size(), 16u);
  EXPECT_TRUE(rows[1].queued);
  EXPECT_EQ(rows[1].limit_ms, 10000);  // max_waited while queued
  EXPECT_EQ(rows[1].action_in_ms, 9500);
  EXPECT_EQ(rows[2].verdict, Verdict::act);
  EXPECT_EQ(rows[2].action_in_ms, 0);
  EXPECT_NE(rows[2].reason.find("max_elapsed"), std::string::npos);
  EXPECT_EQ(rows[3].verdict, Verdict::unselected);
  EXPECT_FALSE(rows[3].action_in_ms);
  EXPECT_EQ(rows[4].verdict, Verdict::protected_query);
  EXPECT_FALSE(rows[4].action_in_ms);
}

TEST(LiveView, SortedByTimeToActionThenAge) {
  const Policy p = policy_of("[rule.accounts]\nquery_matches = Account\nmax_elapsed = 1m\n");
  auto rows = live_queries(snapshot(), p, kNow);
  sort_live(rows, LiveSort::action);
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  // Acting now, then 58 s left; then those nothing acts on, oldest first.
  EXPECT_EQ(ids, (std::vector<std::string>{"over-1", "run-1", "kept-1", "free-1", "queue-1"}));
  sort_live(rows, LiveSort::age);
  EXPECT_EQ(rows.front().id, "kept-1");
}

TEST(LiveView, TemporaryProtectionsCount) {
  const Policy p = policy_of("[rule.all]\nmax_elapsed = 1m\n");
  Protection mine;
  mine.section = "protect by alice #1";
  mine.query_ids = {"over-1"};
  mine.until = kNow + 1h;
  const std::vector<Protection> temporary{mine};
  const auto rows = live_queries(snapshot(), p, kNow, Overrides(nullptr, &temporary));
  EXPECT_EQ(rows[2].verdict, Verdict::protected_query);
  EXPECT_EQ(rows[2].reason, "protected by [protect by alice #1] id");
}

TEST(LiveView, TheTextFormHasAHeaderPerInstanceAndARowPerQueryWithinTheWidth) {
  const Policy p = policy_of("[rule.accounts]\nquery_matches = Account\nmax_elapsed = 1m\n");
  LiveFleet fleet;
  fleet.at = kNow;
  fleet.config_version = "v1";
  fleet.pause = "cancelling paused by alice since 2026-11-25T12:00:00Z";
  LiveInstance in;
  in.endpoint = "writer";
  in.polled_at = kNow - 400ms;
  in.queries = live_queries(snapshot(), p, kNow);
  in.queries[0].text = "MATCH\n(a)\x1b[31m   RETURN a";  // a newline and an escape sequence
  fleet.instances.push_back(in);
  const std::string text = format_live_text(fleet, 80);
  EXPECT_NE(text.find("!! cancelling paused by alice"), std::string::npos) << text;
  // Cut at 80 columns: the header's end ("0 failed") is beyond them.
  EXPECT_NE(text.find("writer (opencypher): 4 running, 1 queued, oldest 1m39s, last poll 0.4s ago"),
            std::string::npos)
      << text;
  EXPECT_NE(format_live_text(fleet).find("last poll 0.4s ago, 0 failed\n"), std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << "terminal controls are escaped";
  std::size_t lines = 0;
  for (std::size_t at = 0, next; (next = text.find('\n', at)) != std::string::npos; at = next + 1) {
    EXPECT_LE(next - at, 80u) << text.substr(at, next - at);
    ++lines;
  }
  EXPECT_EQ(lines, 5u + 5u);  // the title, the pause, a blank, the header, the columns, 5 rows
}

TEST(LiveView, ShortDurations) {
  EXPECT_EQ(short_duration(0), "0.0s");
  EXPECT_EQ(short_duration(1234), "1.2s");
  EXPECT_EQ(short_duration(184000), "3m04s");
  EXPECT_EQ(short_duration(7500000), "2h05m");
}

}  // namespace
}  // namespace nw
