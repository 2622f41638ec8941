// Production shapes end to end: one instance polled for openCypher, Gremlin and SPARQL, and
// one daemon watching a hundred instances, one of them dead.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "e2e/e2e_support.h"

namespace nw::e2e {
namespace {

using std::chrono::milliseconds;

TEST(Languages, EachLanguageIsPolledAndCancelledInItsOwnForm) {
  Simulator sim;
  const std::map<std::string, SimQuery> long_queries = {
      {"opencypher",
       {"aaaaaaaa-0000-4000-8000-000000000001", "MATCH (n)-[*]->(m) RETURN m", "running", 600000, 0,
        false, "opencypher"}},
      {"gremlin",
       {"aaaaaaaa-0000-4000-8000-000000000002", "g.V().repeat(out()).times(9).count()", "running",
        600000, 0, false, "gremlin"}},
      {"sparql",
       {"aaaaaaaa-0000-4000-8000-000000000003", "SELECT ?s WHERE { ?s ?p ?o }", "running", 600000,
        0, false, "sparql"}},
  };
  for (const auto& [language, q] : long_queries) sim.inject(q);
  sim.inject({"aaaaaaaa-0000-4000-8000-000000000004", "g.V().limit(1)", "running", 1000, 0, false,
              "gremlin"});
  Workspace ws;
  const std::string config = ws.write_config(
      sim.url(),
      "languages = opencypher, gremlin, sparql\n\n[rule.long]\nmax_elapsed = 30s\nsilent = true\n");
  ASSERT_EQ(run_once(config), 0);

  auto cancels = sim.cancels();
  ASSERT_EQ(cancels->size(), 3u);
  std::map<std::string, std::string> cancelled;  // id -> language
  for (std::size_t i = 0; i < cancels->size(); ++i) {
    auto c = cancels->getObject(static_cast<unsigned>(i));
    cancelled[c->getValue<std::string>("queryId")] = c->getValue<std::string>("language");
  }
  for (const auto& [language, q] : long_queries) EXPECT_EQ(cancelled[q.id], language);

  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 3u);
  for (const auto& r : records) {
    const std::string language = r->getValue<std::string>("language");
    EXPECT_EQ(r->getValue<std::string>("query_id"), long_queries.at(language).id);
    EXPECT_EQ(r->getValue<std::string>("outcome"), "cancelled");
    // Gremlin's cancel has no silent: the audit says what was sent.
    EXPECT_EQ(r->getValue<bool>("silent"), language != "gremlin") << language;
  }
}

TEST(ManyInstances, OneDaemonWatchesAHundredInstancesAndADeadOneDelaysNone) {
  constexpr std::size_t kInstances = 99;
  Simulator sim({"--instances", std::to_string(kInstances)});
  ASSERT_EQ(sim.instances(), kInstances);
  std::string dead_url;
  {
    Simulator gone;
    dead_url = gone.url();
  }
  Workspace ws;
  // [endpoint.writer] (written by Workspace) is instance 0; instance-1 ... instance-98 the
  // rest; and one endpoint where nothing answers: 100 endpoints in all.
  std::string sections = "\n[endpoint.dead]\nurl = " + dead_url + "\nrequest_timeout = 2s\n";
  for (std::size_t i = 0; i < kInstances; ++i) {
    if (i > 0)
      sections += "\n[endpoint.instance-" + std::to_string(i) + "]\nurl = " + sim.url(i) + "\n";
    char id[64];
    std::snprintf(id, sizeof id, "bbbbbbbb-0000-4000-8000-%012zu", i);
    sim.inject({id, "MATCH (n) RETURN n", "running", 600000, 0}, i);
  }
  sections += "\n[rule.long]\nmax_elapsed = 30s\n";
  const std::string retry = "max_attempts = 2\ninitial_backoff = 10ms\nmax_backoff = 20ms\n";
  EXPECT_EQ(run_once(ws.write_config(sim.url(0), sections, "", retry)), 1)
      << "--once reports the endpoint it could not poll";

  std::set<std::string> endpoints;
  for (const auto& r : ws.audit_records()) {
    EXPECT_EQ(r->getValue<std::string>("outcome"), "cancelled");
    endpoints.insert(r->getValue<std::string>("endpoint"));
  }
  EXPECT_EQ(endpoints.size(), kInstances);
  EXPECT_EQ(endpoints.count("dead"), 0u);
  for (std::size_t i = 0; i < kInstances; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(sim.cancels(i)->size(), 1u);
  }
}

}  // namespace
}  // namespace nw::e2e
