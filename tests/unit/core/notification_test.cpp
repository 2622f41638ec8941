// Notifications without I/O: which records become events, the filters of a section, the
// batch window, and what a message says (JSON body, Slack text, SNS subject, environment).
#include "nw/core/notification.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace nw {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Lines = std::vector<std::string>;

const auto kTime = std::chrono::system_clock::time_point(seconds(1'780'000'000));

AuditRecord record(AuditOutcome outcome, const std::string& rule = "long-reads",
                   const std::string& endpoint = "writer", const std::string& id = "q-1") {
  AuditRecord r;
  r.time = kTime;
  r.endpoint = endpoint;
  r.query_id = id;
  r.rule = rule;
  r.outcome = outcome;
  r.elapsed_ms = 612'345;
  r.query = "MATCH (a)-[*1..9]->(b) RETURN count(b)";
  r.reason = "elapsed 612s > max_elapsed 300s";
  r.config_version = "abc";
  return r;
}

NotificationEvent event_of(const AuditRecord& r) {
  const auto e = notification_of(r);
  EXPECT_TRUE(e.has_value());
  return e.value_or(NotificationEvent{});
}

TEST(NotificationOf, CancelsGiveUpsAndBudgetRefusalsAreEventsAndNothingElse) {
  struct Row {
    AuditOutcome outcome;
    bool dry_run;
    bool is_event;
    NotifyOn kind;
  } rows[] = {
      {AuditOutcome::cancelled, false, true, NotifyOn::cancelled},
      {AuditOutcome::given_up, false, true, NotifyOn::given_up},
      {AuditOutcome::budget_exhausted, false, true, NotifyOn::budget_exhausted},
      {AuditOutcome::sending, false, false, {}},
      {AuditOutcome::logged, false, false, {}},
      {AuditOutcome::dry_run, true, false, {}},
      {AuditOutcome::failed, false, false, {}},
      {AuditOutcome::not_found, false, false, {}},
      {AuditOutcome::cancel_ineffective, false, false, {}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(to_string(row.outcome)));
    AuditRecord r = record(row.outcome);
    r.dry_run = row.dry_run;
    const auto e = notification_of(r);
    ASSERT_EQ(e.has_value(), row.is_event);
    if (!e) continue;
    EXPECT_EQ(e->kind, row.kind);
    EXPECT_EQ(e->endpoint, "writer");
    EXPECT_EQ(e->rule, "long-reads");
    EXPECT_EQ(e->query_id, "q-1");
    EXPECT_EQ(e->outcome, to_string(row.outcome));
    EXPECT_EQ(e->json, to_json_line(r));  // the receiver reads the audit record itself
  }
  AuditRecord topology =
      topology_record(kTime, "prod", "db-1", "added", "reader", "abc", RunMode::service);
  EXPECT_FALSE(notification_of(topology));
}

TEST(Wanted, OnAndRulesFilterAndEventsWithoutARuleAreNotFilteredByRules) {
  NotifyConfig defaults;
  NotifyConfig only_budget;
  only_budget.on = {NotifyOn::budget_exhausted, NotifyOn::paused};
  only_budget.rules = {"batch"};
  const auto cancelled = event_of(record(AuditOutcome::cancelled));
  const auto given_up = event_of(record(AuditOutcome::given_up));
  const auto budget_batch = event_of(record(AuditOutcome::budget_exhausted, "batch"));
  const auto budget_other = event_of(record(AuditOutcome::budget_exhausted, "long-reads"));
  const auto paused = paused_event(kTime, "the audit log /x cannot be written");
  const auto quarantined = quarantine_event(kTime, "writer", "batch", "3f2a", "cancelled 3 times");
  EXPECT_TRUE(wanted(defaults, cancelled));
  EXPECT_TRUE(wanted(defaults, given_up));
  EXPECT_FALSE(wanted(defaults, budget_batch));
  EXPECT_FALSE(wanted(defaults, paused));
  EXPECT_FALSE(wanted(defaults, quarantined));
  EXPECT_FALSE(wanted(only_budget, cancelled));
  EXPECT_TRUE(wanted(only_budget, budget_batch));
  EXPECT_FALSE(wanted(only_budget, budget_other));
  EXPECT_TRUE(wanted(only_budget, paused));
  only_budget.on.insert(NotifyOn::quarantine);
  EXPECT_TRUE(wanted(only_budget, quarantined));
}

TEST(NotificationBatcher, OneBatchPerWindowFromItsFirstEventAndNeverSoonerThanAWindowApart) {
  using T = NotificationBatcher::TimePoint;
  const T t0{seconds(100)};
  NotificationBatcher b(seconds(10), 1000);
  EXPECT_FALSE(b.due());
  ASSERT_TRUE(b.add(event_of(record(AuditOutcome::cancelled)), t0));
  ASSERT_TRUE(b.add(event_of(record(AuditOutcome::cancelled)), t0 + seconds(3)));
  ASSERT_TRUE(b.due());
  EXPECT_EQ(*b.due(), t0 + seconds(10));  // the window opened with the first event
  const auto first = b.take("chat", t0 + seconds(10));
  EXPECT_EQ(first.sink, "chat");
  EXPECT_EQ(first.events.size(), 2u);
  EXPECT_FALSE(b.due());
  // An event right after a message waits a whole window from that message.
  ASSERT_TRUE(b.add(event_of(record(AuditOutcome::given_up)), t0 + seconds(11)));
  EXPECT_EQ(*b.due(), t0 + seconds(21));
  // A message taken late (a retry held the thread) pushes the next window back.
  b.take("chat", t0 + seconds(40));
  ASSERT_TRUE(b.add(event_of(record(AuditOutcome::given_up)), t0 + seconds(41)));
  EXPECT_EQ(*b.due(), t0 + seconds(51));
  // After a quiet spell, the window opens with the event.
  b.take("chat", t0 + seconds(51));
  ASSERT_TRUE(b.add(event_of(record(AuditOutcome::given_up)), t0 + seconds(500)));
  EXPECT_EQ(*b.due(), t0 + seconds(510));
}

TEST(NotificationBatcher, AFullQueueRefusesAndTheNextBatchCountsTheRefused) {
  const NotificationBatcher::TimePoint t0{seconds(1)};
  NotificationBatcher b(seconds(1), 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.add(event_of(record(AuditOutcome::cancelled)), t0));
  EXPECT_FALSE(b.add(event_of(record(AuditOutcome::cancelled)), t0));
  EXPECT_FALSE(b.add(event_of(record(AuditOutcome::cancelled)), t0));
  EXPECT_EQ(b.size(), 3u);
  const auto batch = b.take("s", t0 + seconds(1));
  EXPECT_EQ(batch.events.size(), 3u);
  EXPECT_EQ(batch.dropped, 2u);
  EXPECT_TRUE(b.add(event_of(record(AuditOutcome::cancelled)), t0 + seconds(2)));
  EXPECT_EQ(b.take("s", t0 + seconds(3)).dropped, 0u);
}

NotificationBatch batch_of(const std::vector<AuditRecord>& records, std::size_t dropped = 0) {
  NotificationBatch b;
  b.sink = "chat";
  for (const auto& r : records) b.events.push_back(event_of(r));
  b.dropped = dropped;
  return b;
}

TEST(BatchHeadline, SaysHowManyOfWhatWhereAndByWhichRule) {
  const auto cancelled = record(AuditOutcome::cancelled);
  struct Row {
    const char* name;
    NotificationBatch batch;
    std::string expected;
  } rows[] = {
      {"one cancel", batch_of({cancelled}),
       "neptune-watchdog: 1 query cancelled on writer by [rule.long-reads]"},
      {"three cancels", batch_of({cancelled, cancelled, cancelled}),
       "neptune-watchdog: 3 queries cancelled on writer by [rule.long-reads]"},
      {"kinds, endpoints and rules",
       batch_of({cancelled, record(AuditOutcome::cancelled, "batch", "reader-1"),
                 record(AuditOutcome::given_up, "long-reads", "reader-2")}),
       "neptune-watchdog: 2 queries cancelled, 1 given up on 3 endpoints by 2 rules"},
      {"dropped ones", batch_of({cancelled}, 7),
       "neptune-watchdog: 1 query cancelled on writer by [rule.long-reads] (7 more dropped)"},
      {"only dropped ones", batch_of({}, 4),
       "neptune-watchdog: 4 event(s) dropped (the queue was full)"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(batch_headline(row.batch), row.expected);
  }
  NotificationBatch paused;
  paused.events.push_back(paused_event(kTime, "the audit log /var/log/a cannot be written"));
  EXPECT_EQ(batch_headline(paused),
            "neptune-watchdog: cancelling paused (the audit log cannot be written)");
  NotificationBatch quarantined;
  quarantined.events.push_back(quarantine_event(kTime, "writer", "long-reads", "3f2a", "x"));
  EXPECT_EQ(batch_headline(quarantined),
            "neptune-watchdog: 1 query shape quarantined on writer by [rule.long-reads]");
}

TEST(BatchSummary, ListsEachEventAndCutsALongBatch) {
  const auto summary = batch_summary(batch_of({record(AuditOutcome::cancelled)}));
  EXPECT_EQ(summary,
            "neptune-watchdog: 1 query cancelled on writer by [rule.long-reads]\n"
            "• query q-1 cancelled on writer by [rule.long-reads] after 612s: "
            "MATCH (a)-[*1..9]->(b) RETURN count(b)");
  std::vector<AuditRecord> many;
  for (int i = 0; i < 50; ++i) {
    AuditRecord r = record(AuditOutcome::cancelled, "r", "writer", "q-" + std::to_string(i));
    r.query = std::string(2000, 'x') + "\x1b[2J";
    many.push_back(r);
  }
  // Long texts: fewer lines fit, and the last says how many were left out.
  const auto cut = batch_summary(batch_of(many));
  EXPECT_LE(cut.size(), kMaxSummaryChars);
  const auto lines = std::count(cut.begin(), cut.end(), '\n');
  EXPECT_LT(lines, static_cast<long>(kMaxListedEvents));
  EXPECT_NE(cut.find("… and " + std::to_string(50 - (lines - 1)) + " more"), std::string::npos)
      << cut;
  EXPECT_EQ(cut.find('\x1b'), std::string::npos);  // text from the wire stays inert
  // Short ones: at most kMaxListedEvents lines.
  for (auto& r : many) r.query = "MATCH (n) RETURN n";
  const auto listed = batch_summary(batch_of(many));
  EXPECT_EQ(std::count(listed.begin(), listed.end(), '\n'),
            static_cast<long>(kMaxListedEvents) + 1);
  EXPECT_NE(listed.find("… and 30 more"), std::string::npos);
}

TEST(Payloads, JsonCarriesTheRecordsSlackEscapesItsMarkupSnsSubjectIsShortAscii) {
  AuditRecord r = record(AuditOutcome::cancelled);
  r.query = "MATCH (n) WHERE n.a < 3 & n.b > 2 RETURN n";
  const auto batch = batch_of({r, record(AuditOutcome::given_up)}, 1);
  EXPECT_EQ(batch_json(batch),
            "{\"source\":\"neptune-watchdog\",\"sink\":\"chat\",\"headline\":\"" +
                batch_headline(batch) + "\",\"count\":2,\"dropped\":1,\"events\":[" +
                to_json_line(r) + "," + to_json_line(record(AuditOutcome::given_up)) + "]}");
  const std::string slack = slack_payload(batch);
  EXPECT_EQ(slack.rfind("{\"text\":\"neptune-watchdog: 1 query cancelled, 1 given up", 0), 0u)
      << slack;
  EXPECT_NE(slack.find("n.a &lt; 3 &amp; n.b &gt; 2"), std::string::npos) << slack;
  EXPECT_EQ(slack.find("n.a < 3"), std::string::npos);
  NotificationBatch long_names;
  long_names.events.push_back(
      event_of(record(AuditOutcome::cancelled, std::string(200, 'r') + "é")));
  const std::string subject = sns_subject(long_names);
  EXPECT_LE(subject.size(), 100u);
  EXPECT_TRUE(std::all_of(subject.begin(), subject.end(),
                          [](unsigned char c) { return c >= 0x20 && c < 0x7f; }));
}

TEST(CommandEnvironment, TheFirstEventsFieldsAndTheBatchsCount) {
  AuditRecord r = record(AuditOutcome::cancelled, "long-reads", "writer", "q-\n1");
  const auto env = command_environment(batch_of({r, record(AuditOutcome::given_up)}));
  EXPECT_EQ(env, (Lines{"NW_EVENT=cancelled", "NW_ENDPOINT=writer", "NW_RULE=long-reads",
                        "NW_QUERY_ID=q-\\n1", "NW_OUTCOME=cancelled",
                        "NW_FINGERPRINT=", "NW_TIME=" + format_rfc3339_ms(kTime), "NW_COUNT=2",
                        "NW_DROPPED=0", "NW_SINK=chat",
                        "NW_SUMMARY=neptune-watchdog: 1 query cancelled, 1 given up on writer by "
                        "[rule.long-reads]"}));
  const auto quarantined = quarantine_event(kTime, "writer", "r", "3f2a9c", "cancelled 3 times");
  NotificationBatch q;
  q.events.push_back(quarantined);
  const auto qenv = command_environment(q);
  EXPECT_NE(std::find(qenv.begin(), qenv.end(), "NW_FINGERPRINT=3f2a9c"), qenv.end());
  EXPECT_NE(std::find(qenv.begin(), qenv.end(), "NW_EVENT=quarantine"), qenv.end());
}

}  // namespace
}  // namespace nw
