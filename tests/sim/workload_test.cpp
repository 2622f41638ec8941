#include "nw/sim/workload.h"

#include <algorithm>
#include <regex>
#include <set>

#include <gtest/gtest.h>

namespace nw::sim {
namespace {

constexpr std::int64_t kHour = 3'600'000;

// One slot, frequent arrivals, queries that never finish within a test: a queue forms.
WorkloadConfig one_busy_worker() {
  WorkloadConfig config;
  config.seed = 42;
  config.arrival_rate = 10;
  config.workers = 1;
  config.runtime_median_ms = kHour;
  config.runtime_max_ms = kHour;
  return config;
}

WorkloadConfig no_synthetic_queries() {
  WorkloadConfig config;
  config.arrival_rate = 0;
  config.workers = 1;
  return config;
}

std::vector<std::string> ids(const WorkloadSnapshot& snap) {
  std::vector<std::string> out;
  for (const QueryView& q : snap.queries) out.push_back(q.id);
  return out;
}

TEST(Workload, SameSeedReplaysTheSameRun) {
  WorkloadConfig config;
  config.seed = 7;
  config.arrival_rate = 5;
  Workload a(config, 0);
  Workload b(config, 0);
  bool saw_queries = false;
  for (std::int64_t t = 0; t <= 60'000; t += 700) {
    const WorkloadSnapshot sa = a.snapshot(t, true);
    const WorkloadSnapshot sb = b.snapshot(t, true);
    ASSERT_EQ(sa.queries.size(), sb.queries.size()) << "t=" << t;
    for (std::size_t i = 0; i < sa.queries.size(); ++i) {
      EXPECT_EQ(sa.queries[i].id, sb.queries[i].id);
      EXPECT_EQ(sa.queries[i].text, sb.queries[i].text);
      EXPECT_EQ(sa.queries[i].elapsed_ms, sb.queries[i].elapsed_ms);
      EXPECT_EQ(sa.queries[i].waited_ms, sb.queries[i].waited_ms);
    }
    saw_queries = saw_queries || !sa.queries.empty();
  }
  EXPECT_TRUE(saw_queries);
}

TEST(Workload, ReplayDoesNotDependOnHowOftenItIsAsked) {
  WorkloadConfig config;
  config.seed = 3;
  config.arrival_rate = 4;
  Workload often(config, 0);
  Workload once(config, 0);
  for (std::int64_t t = 0; t < 30'000; t += 13) often.advance_to(t);
  EXPECT_EQ(ids(often.snapshot(30'000, true)), ids(once.snapshot(30'000, true)));
}

TEST(Workload, DifferentSeedsGiveDifferentQueries) {
  WorkloadConfig config;
  config.arrival_rate = 5;
  config.seed = 1;
  Workload a(config, 0);
  config.seed = 2;
  Workload b(config, 0);
  EXPECT_NE(ids(a.snapshot(10'000, true)), ids(b.snapshot(10'000, true)));
}

TEST(Workload, SyntheticQueriesLookLikeNeptunes) {
  WorkloadConfig config;
  config.arrival_rate = 20;
  config.workers = 1000;
  config.runtime_median_ms = kHour;
  Workload workload(config, 0);
  const WorkloadSnapshot snap = workload.snapshot(10'000, true);
  ASSERT_GT(snap.queries.size(), 50u);
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> texts;
  for (const QueryView& q : snap.queries) {
    EXPECT_TRUE(std::regex_match(q.id, uuid)) << q.id;
    texts.insert(q.text);
  }
  EXPECT_GT(texts.size(), 3u);
  bool exempt = false;
  for (const std::string& text : synthetic_query_texts())
    exempt = exempt || text.find("watchdog:exempt") != std::string::npos;
  EXPECT_TRUE(exempt);
}

TEST(Workload, QueriesWaitWhenAllWorkersAreBusy) {
  Workload workload(one_busy_worker(), 0);
  const WorkloadSnapshot at5 = workload.snapshot(5'000, true);
  ASSERT_GE(at5.queries.size(), 3u);
  EXPECT_EQ(at5.running_count, 1);
  EXPECT_EQ(at5.accepted_count, static_cast<std::int64_t>(at5.queries.size()));

  const WorkloadSnapshot at6 = workload.snapshot(6'000, true);
  int running = 0;
  for (const QueryView& q : at6.queries) {
    if (q.running) {
      ++running;
      EXPECT_EQ(q.waited_ms, 0);
      continue;
    }
    EXPECT_EQ(q.elapsed_ms, 0) << "a waiting query has not started";
    for (const QueryView& before : at5.queries) {
      if (before.id == q.id) {
        EXPECT_EQ(q.waited_ms, before.waited_ms + 1'000);
      }
    }
  }
  EXPECT_EQ(running, 1);
}

TEST(Workload, ListWithoutWaitingShowsOnlyRunningButCountsAll) {
  Workload workload(one_busy_worker(), 0);
  const WorkloadSnapshot all = workload.snapshot(5'000, true);
  const WorkloadSnapshot running = workload.snapshot(5'000, false);
  ASSERT_EQ(running.queries.size(), 1u);
  EXPECT_TRUE(running.queries[0].running);
  EXPECT_EQ(running.accepted_count, all.accepted_count);
  EXPECT_EQ(running.running_count, 1);
}

TEST(Workload, CancelFreesTheSlotForTheOldestWaitingQuery) {
  Workload workload(one_busy_worker(), 0);
  const WorkloadSnapshot before = workload.snapshot(5'000, true);
  ASSERT_GE(before.queries.size(), 3u);
  const QueryView& victim = before.queries[0];
  const QueryView& next = before.queries[1];
  ASSERT_TRUE(victim.running);
  ASSERT_FALSE(next.running);

  const CancelOutcome outcome = workload.cancel(victim.id, 5'000);
  EXPECT_TRUE(outcome.found);
  EXPECT_EQ(outcome.elapsed_ms, victim.elapsed_ms);
  EXPECT_FALSE(workload.find(victim.id, 5'000));

  const std::optional<QueryView> started = workload.find(next.id, 6'000);
  ASSERT_TRUE(started);
  EXPECT_TRUE(started->running);
  EXPECT_EQ(started->elapsed_ms, 1'000);
  EXPECT_EQ(started->waited_ms, next.waited_ms) << "waited freezes when the query starts";
  EXPECT_EQ(workload.counters(6'000).cancelled, 1);
}

TEST(Workload, CancelOfAWaitingQueryTakesItOutOfTheQueue) {
  Workload workload(one_busy_worker(), 0);
  const WorkloadSnapshot before = workload.snapshot(5'000, true);
  ASSERT_GE(before.queries.size(), 3u);
  const QueryView& waiting = before.queries[2];
  const CancelOutcome outcome = workload.cancel(waiting.id, 5'000);
  EXPECT_TRUE(outcome.found);
  EXPECT_EQ(outcome.elapsed_ms, 0);
  EXPECT_EQ(outcome.waited_ms, waiting.waited_ms);
  const WorkloadSnapshot after = workload.snapshot(5'000, true);
  EXPECT_EQ(after.queries.size(), before.queries.size() - 1);
  EXPECT_EQ(after.queries[0].id, before.queries[0].id) << "the running query is untouched";
}

TEST(Workload, CancelOfAnUnknownQueryFindsNothing) {
  Workload workload(one_busy_worker(), 0);
  const CancelOutcome outcome = workload.cancel("ac7d5a03-00cf-4280-b464-edbcbf51ffce", 1'000);
  EXPECT_FALSE(outcome.found);
  EXPECT_EQ(workload.counters(1'000).cancelled, 0);
}

TEST(Workload, InjectedQueriesKeepTheirStateAndTheirClocksGrow) {
  Workload workload(no_synthetic_queries(), 0);
  InjectedQuery running{"run-1", "MATCH (n) RETURN n", true, 5'000, 10, std::nullopt};
  InjectedQuery waiting{"wait-1", "MATCH (m) RETURN m", false, 0, 2'000, std::nullopt};
  ASSERT_TRUE(workload.inject(running, 100));
  ASSERT_TRUE(workload.inject(waiting, 100));

  const WorkloadSnapshot snap = workload.snapshot(1'100, true);
  ASSERT_EQ(snap.queries.size(), 2u);
  EXPECT_EQ(snap.queries[0].id, "run-1");
  EXPECT_EQ(snap.queries[0].elapsed_ms, 6'000);
  EXPECT_EQ(snap.queries[0].waited_ms, 10);
  EXPECT_EQ(snap.queries[1].id, "wait-1");
  EXPECT_EQ(snap.queries[1].elapsed_ms, 0);
  EXPECT_EQ(snap.queries[1].waited_ms, 3'000);
  EXPECT_EQ(snap.running_count, 1);
  EXPECT_EQ(snap.accepted_count, 2);

  // A pinned waiting query never starts, even with a free worker slot and much later.
  const std::optional<QueryView> later = workload.find("wait-1", 10 * kHour);
  ASSERT_TRUE(later);
  EXPECT_FALSE(later->running);
}

TEST(Workload, InjectedQueriesHoldNoWorkerSlot) {
  WorkloadConfig config = one_busy_worker();
  Workload workload(config, 0);
  ASSERT_TRUE(workload.inject({"pinned", "MATCH (n) RETURN n", true, 0, 0, std::nullopt}, 0));
  const WorkloadSnapshot snap = workload.snapshot(5'000, true);
  EXPECT_EQ(snap.running_count, 2) << "the single worker still runs a synthetic query";
}

TEST(Workload, InjectedQueryEndsWhenItsRuntimeIsOver) {
  Workload workload(no_synthetic_queries(), 0);
  ASSERT_TRUE(workload.inject({"short", "RETURN 1", true, 0, 0, 500}, 1'000));
  ASSERT_TRUE(workload.inject({"short-wait", "RETURN 2", false, 0, 0, 700}, 1'000));
  EXPECT_TRUE(workload.find("short", 1'499));
  EXPECT_FALSE(workload.find("short", 1'500));
  EXPECT_TRUE(workload.find("short-wait", 1'699));
  EXPECT_FALSE(workload.find("short-wait", 1'700));
  EXPECT_EQ(workload.counters(2'000).finished, 2);
}

TEST(Workload, InjectRejectsImpossibleQueries) {
  Workload workload(no_synthetic_queries(), 0);
  ASSERT_TRUE(workload.inject({"dup", "RETURN 1", true, 0, 0, std::nullopt}, 0));
  EXPECT_FALSE(workload.inject({"dup", "RETURN 1", true, 0, 0, std::nullopt}, 0));
  EXPECT_FALSE(workload.inject({"w", "RETURN 1", false, 10, 0, std::nullopt}, 0));
  EXPECT_FALSE(workload.inject({"n", "RETURN 1", true, -1, 0, std::nullopt}, 0));
  EXPECT_FALSE(workload.inject({"r", "RETURN 1", true, 0, 0, 0}, 0));
}

TEST(Workload, InjectGeneratesAnIdWhenNoneIsGiven) {
  Workload workload(no_synthetic_queries(), 0);
  const Parsed<QueryView> a = workload.inject({"", "RETURN 1", true, 0, 0, std::nullopt}, 0);
  const Parsed<QueryView> b = workload.inject({"", "RETURN 1", true, 0, 0, std::nullopt}, 0);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(a.value->id.size(), 36u);
  EXPECT_NE(a.value->id, b.value->id);
}

TEST(Workload, RuntimesAreCappedAtTheMaximum) {
  WorkloadConfig config;
  config.arrival_rate = 20;
  config.workers = 10'000;
  config.runtime_median_ms = 10 * 60'000;
  config.runtime_max_ms = 1'000;
  Workload workload(config, 0);
  for (std::int64_t t = 0; t <= 20'000; t += 100) {
    for (const QueryView& q : workload.snapshot(t, true).queries) {
      ASSERT_LT(q.elapsed_ms, 1'000) << q.id << " at t=" << t;
    }
  }
  EXPECT_GT(workload.counters(20'000).finished, 100);
}

TEST(Workload, RuntimesAreHeavyTailed) {
  WorkloadConfig config;
  config.arrival_rate = 50;
  config.workers = 100'000;
  config.runtime_median_ms = 1'000;
  config.runtime_max_ms = kHour;
  Workload workload(config, 0);
  // After 60 s, queries still running at least 10 s after they arrived exist but are few.
  const WorkloadSnapshot snap = workload.snapshot(60'000, true);
  int long_runners = 0;
  for (const QueryView& q : snap.queries) long_runners += q.elapsed_ms >= 10'000 ? 1 : 0;
  EXPECT_GT(long_runners, 0);
  EXPECT_LT(long_runners, 500);
}

TEST(Workload, AFullQueueRejectsNewArrivals) {
  WorkloadConfig config = one_busy_worker();
  config.max_waiting = 5;
  Workload workload(config, 0);
  const WorkloadCounters counters = workload.counters(10'000);
  EXPECT_EQ(counters.running, 1);
  EXPECT_EQ(counters.waiting, 5);
  EXPECT_GT(counters.rejected, 0);
  EXPECT_EQ(counters.accepted, 6);
}

TEST(Workload, TimeNeverGoesBack) {
  Workload workload(no_synthetic_queries(), 0);
  ASSERT_TRUE(workload.inject({"q", "RETURN 1", true, 0, 0, std::nullopt}, 1'000));
  EXPECT_EQ(workload.find("q", 3'000)->elapsed_ms, 2'000);
  EXPECT_EQ(workload.find("q", 2'000)->elapsed_ms, 2'000);
}

}  // namespace
}  // namespace nw::sim

namespace nw::sim {
namespace {

TEST(Workload, AQueryThatIgnoresCancelsIsAcknowledgedButStays) {
  Workload w(no_synthetic_queries(), 0);
  InjectedQuery q;
  q.id = "stubborn";
  q.text = "MATCH (n) RETURN n";
  q.elapsed_ms = 5000;
  q.ignore_cancel = true;
  ASSERT_TRUE(w.inject(q, 0));
  const CancelOutcome first = w.cancel("stubborn", 100);
  EXPECT_TRUE(first.found);
  EXPECT_EQ(first.elapsed_ms, 5100);
  EXPECT_TRUE(w.find("stubborn", 200).has_value());
  EXPECT_TRUE(w.cancel("stubborn", 300).found);
}

}  // namespace
}  // namespace nw::sim

namespace nw::sim {
namespace {

TEST(Workload, EachLanguageDrawsItsOwnTexts) {
  for (const Language language : kLanguages) {
    SCOPED_TRACE(std::string(language_name(language)));
    WorkloadConfig config;
    config.language = language;
    config.arrival_rate = 20;
    config.workers = 1000;
    config.runtime_median_ms = kHour;
    Workload workload(config, 0);
    const WorkloadSnapshot snap = workload.snapshot(10'000, true);
    ASSERT_GT(snap.queries.size(), 50u);
    const std::vector<std::string>& texts = synthetic_query_texts(language);
    std::set<std::string> seen;
    for (const QueryView& q : snap.queries) {
      EXPECT_NE(std::find(texts.begin(), texts.end(), q.text), texts.end()) << q.text;
      seen.insert(q.text);
    }
    EXPECT_GT(seen.size(), 3u);
    bool exempt = false;
    for (const std::string& text : texts) {
      exempt = exempt || text.find("watchdog:exempt") != std::string::npos;
      if (language == Language::gremlin) {
        EXPECT_EQ(text.rfind("g.", 0), 0u) << text;
      }
      if (language == Language::sparql) {
        EXPECT_EQ(text.find("MATCH"), std::string::npos) << text;
      }
    }
    EXPECT_TRUE(exempt);
  }
  EXPECT_EQ(synthetic_query_texts(), synthetic_query_texts(Language::opencypher));
  EXPECT_EQ(synthetic_query_texts(Language::gremlin).front(),
            "g.V().hasLabel('person').out('knows').count()");
  EXPECT_EQ(synthetic_query_texts(Language::sparql).front(),
            "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10");
}

TEST(Workload, LanguagesOnOneSeedGiveUnrelatedRuns) {
  WorkloadConfig config;
  config.seed = 5;
  config.arrival_rate = 5;
  std::vector<std::vector<std::string>> runs;
  for (const Language language : kLanguages) {
    config.language = language;
    Workload workload(config, 0);
    runs.push_back(ids(workload.snapshot(10'000, true)));
    ASSERT_FALSE(runs.back().empty());
  }
  EXPECT_NE(runs[0], runs[1]);
  EXPECT_NE(runs[0], runs[2]);
  EXPECT_NE(runs[1], runs[2]);
}

TEST(Workload, AcceptedSinceStartCountsFinishedAndCancelledQueries) {
  Workload workload(no_synthetic_queries(), 0);
  ASSERT_TRUE(workload.inject({"a", "RETURN 1", true, 0, 0, 100}, 0));
  ASSERT_TRUE(workload.inject({"b", "RETURN 2", true, 0, 0, std::nullopt}, 0));
  ASSERT_TRUE(workload.inject({"c", "RETURN 3", false, 0, 0, std::nullopt}, 0));
  EXPECT_TRUE(workload.cancel("b", 50).found);
  const WorkloadSnapshot snap = workload.snapshot(200, true);
  EXPECT_EQ(snap.accepted_count, 1) << "only c is still there";
  EXPECT_EQ(snap.accepted_since_start, 3);
}

}  // namespace
}  // namespace nw::sim
