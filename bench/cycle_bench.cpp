// Cycle cost: parse a status body and decide, for 10, 1,000 and 8,192 queries (Neptune's queue
// limit) against 1, 20 and 100 rules with regexes; parse and decide apart and together, and
// decide with and without a RuleMemo. `cycle_bench --write-bodies DIR` writes the same bodies
// and rules for the Python baseline (bench/cycle_baseline.py).
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "nw/core/config.h"
#include "nw/core/decide.h"
#include "nw/core/rule_memo.h"
#include "nw/io/status_json.h"

namespace {

const char* kTexts[] = {
    "MATCH (p:Person)-[:KNOWS*1..4]->(f) RETURN count(f)",
    "MATCH (a:Airport {code:'SEA'})-[:ROUTE*2]->(b) RETURN b.code",
    "/* watchdog:exempt */ MATCH (a:Account)-[:TRANSFER*1..6]->(b:Account) RETURN b",
    "CREATE (n:Event {ts: timestamp(), kind: 'click'})",
    "MERGE (c:Customer {id: $id}) SET c.lastSeen = timestamp() RETURN c",
    "MATCH (o:Order) WHERE o.status = 'stale' DETACH DELETE o",
    "MATCH (n) RETURN labels(n) AS label, count(*) AS n ORDER BY n DESC",
    "/* job:nightly-report */ MATCH (s:Sale)-[:OF]->(p:Product) RETURN p.sku, sum(s.amount)",
};

// A Neptune-shaped, pretty-printed status body.
std::string make_body(int queries) {
  std::mt19937_64 rng(42);
  std::string body = "{\n  \"acceptedQueryCount\" : " + std::to_string(queries) +
                     ",\n  \"runningQueryCount\" : 16,\n  \"queries\" : [ ";
  for (int i = 0; i < queries; ++i) {
    const bool running = i < 16;
    body +=
        std::string(i ? ", " : "") + "{\n    \"queryId\" : \"" + std::to_string(rng()) + "-" +
        std::to_string(i) + "\",\n    \"queryString\" : \"" + kTexts[rng() % 8] + " /* client " +
        std::to_string(rng() % 1000) +
        " */\",\n    \"queryEvalStats\" : {\n      \"waited\" : " + std::to_string(rng() % 90000) +
        ",\n      \"elapsed\" : " + std::to_string(running ? rng() % 600000 : 0) +
        ",\n      \"cancelled\" : false\n    }\n  }";
  }
  return body + " ]\n}";
}

// `rules` rules, each with a query_matches regex and an exemption; the last one a catch-all.
std::string make_config(int rules) {
  const char* patterns[] = {R"(^\s*MATCH \(p:Person\))", R"(job:nightly-report)",
                            R"((?i)\bDETACH\s+DELETE\b)", R"(client 9[0-9]{2}\b)",
                            R"(\{code:'(SEA|LAX|JFK)'\})"};
  std::string text = "[endpoint.e]\nurl = http://127.0.0.1:8182\n";
  for (int i = 0; i < rules; ++i) {
    text += "[rule.r" + std::to_string(i) + "]\nmax_elapsed = " + std::to_string(60 + i) +
            "s\nmax_waited = 30s\n";
    if (i + 1 < rules) {
      // A distinct pattern per rule, as operators write them: most queries pass many rules by.
      text += std::string("query_matches = ") + patterns[i % 5] + "|rule" + std::to_string(i) +
              "_marker\n";
      text += "query_excludes = watchdog:exempt\n";
    }
  }
  return text;
}

nw::Policy policy_for(int rules) {
  auto parsed = nw::parse_config(make_config(rules), "bench.ini");
  if (!parsed.ok()) throw std::runtime_error(parsed.errors.front().format("bench.ini"));
  return parsed.config.policy;
}

// A status body whose query ids differ from make_body's but whose texts are the same: the
// next poll after every query was replaced.
std::string make_body_other_ids(int queries) {
  std::string body = make_body(queries);
  for (std::size_t at = body.find("\"queryId\" : \""); at != std::string::npos;
       at = body.find("\"queryId\" : \"", at + 1))
    body.insert(at + 13, "x");
  return body;
}

nw::StatusSnapshot snapshot_of(const std::string& body) {
  return nw::parse_status_body(body, nw::Language::opencypher).value();
}

void label(benchmark::State& state) {
  // Every benchmark reports the same counters: the CSV reporter demands it (rules 0: parse only).
  state.counters["queries"] = static_cast<double>(state.range(0));
  state.counters["rules"] = static_cast<double>(state.range(1));
}

// Parse only: the status body into a snapshot.
void BM_Parse(benchmark::State& state) {
  const std::string body = make_body(static_cast<int>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(nw::parse_status_body(body, nw::Language::opencypher));
  label(state);
}

// Decide only, without a memo: every rule's regexes searched in turn for every query.
void BM_Decide(benchmark::State& state) {
  const auto snapshot = snapshot_of(make_body(static_cast<int>(state.range(0))));
  const nw::Policy policy = policy_for(static_cast<int>(state.range(1)));
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(nw::decide(snapshot, policy, now));
  label(state);
}

// Decide only, with a memo, when every query is new: each poll alternates between two
// snapshots of the same texts under other ids, so every text is matched (one RE2::Set pass)
// and the previous poll's ids are forgotten. The rules' sets are compiled before timing, as
// they are once per configuration.
void BM_DecideMemoNewIds(benchmark::State& state) {
  const int queries = static_cast<int>(state.range(0));
  const auto a = snapshot_of(make_body(queries));
  const auto b = snapshot_of(make_body_other_ids(queries));
  const nw::Policy policy = policy_for(static_cast<int>(state.range(1)));
  const auto now = std::chrono::system_clock::now();
  nw::RuleMemo memo;
  nw::decide(b, policy, now, &memo);
  bool odd = false;
  for (auto _ : state) {
    benchmark::DoNotOptimize(nw::decide(odd ? b : a, policy, now, &memo));
    odd = !odd;
  }
  label(state);
}

// Decide only, with a memo, in the steady state: the same ids as the previous poll.
void BM_DecideMemo(benchmark::State& state) {
  const auto snapshot = snapshot_of(make_body(static_cast<int>(state.range(0))));
  const nw::Policy policy = policy_for(static_cast<int>(state.range(1)));
  const auto now = std::chrono::system_clock::now();
  nw::RuleMemo memo;
  nw::decide(snapshot, policy, now, &memo);
  for (auto _ : state) benchmark::DoNotOptimize(nw::decide(snapshot, policy, now, &memo));
  label(state);
}

// A whole cycle without a memo: parse, then decide.
void BM_ParseAndDecide(benchmark::State& state) {
  const std::string body = make_body(static_cast<int>(state.range(0)));
  const nw::Policy policy = policy_for(static_cast<int>(state.range(1)));
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    auto snapshot = nw::parse_status_body(body, nw::Language::opencypher);
    auto decisions = nw::decide(snapshot.value(), policy, now);
    benchmark::DoNotOptimize(decisions);
  }
  label(state);
}

// A whole cycle with a memo, in the steady state (the second poll of the same ids onwards).
void BM_ParseAndDecideMemo(benchmark::State& state) {
  const std::string body = make_body(static_cast<int>(state.range(0)));
  const nw::Policy policy = policy_for(static_cast<int>(state.range(1)));
  const auto now = std::chrono::system_clock::now();
  nw::RuleMemo memo;
  nw::decide(snapshot_of(body), policy, now, &memo);
  for (auto _ : state) {
    auto snapshot = nw::parse_status_body(body, nw::Language::opencypher);
    auto decisions = nw::decide(snapshot.value(), policy, now, &memo);
    benchmark::DoNotOptimize(decisions);
  }
  label(state);
}

const std::vector<std::vector<std::int64_t>> kGrid = {{10, 1000, 8192}, {1, 20, 100}};

BENCHMARK(BM_Parse)->ArgsProduct({{10, 1000, 8192}, {0}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Decide)->ArgsProduct(kGrid)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecideMemoNewIds)->ArgsProduct(kGrid)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecideMemo)->ArgsProduct(kGrid)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseAndDecide)->ArgsProduct(kGrid)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseAndDecideMemo)->ArgsProduct(kGrid)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--write-bodies") == 0) {
    for (int q : {10, 1000, 8192})
      std::ofstream(std::string(argv[2]) + "/status-" + std::to_string(q) + ".json")
          << make_body(q);
    for (int r : {1, 20, 100})
      std::ofstream(std::string(argv[2]) + "/rules-" + std::to_string(r) + ".ini")
          << make_config(r);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
