// Cycle cost: parse a status body and decide, for 10, 1,000 and 8,192 queries (Neptune's queue
// limit) against 1, 20 and 100 rules with regexes. `cycle_bench --write-bodies DIR` writes the
// same bodies and rules for the Python baseline (bench/cycle_baseline.py).
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "nw/core/config.h"
#include "nw/core/decide.h"
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
  std::string body = "{\n  \"acceptedQueryCount\" : " + std::to_string(queries) + ",\n  \"runningQueryCount\" : 16,\n  \"queries\" : [ ";
  for (int i = 0; i < queries; ++i) {
    const bool running = i < 16;
    body += std::string(i ? ", " : "") + "{\n    \"queryId\" : \"" + std::to_string(rng()) + "-" + std::to_string(i) +
            "\",\n    \"queryString\" : \"" + kTexts[rng() % 8] + " /* client " + std::to_string(rng() % 1000) +
            " */\",\n    \"queryEvalStats\" : {\n      \"waited\" : " + std::to_string(rng() % 90000) +
            ",\n      \"elapsed\" : " + std::to_string(running ? rng() % 600000 : 0) +
            ",\n      \"cancelled\" : false\n    }\n  }";
  }
  return body + " ]\n}";
}

// `rules` rules, each with a query_matches regex and an exemption; the last one a catch-all.
std::string make_config(int rules) {
  const char* patterns[] = {R"(^\s*MATCH \(p:Person\))", R"(job:nightly-report)", R"((?i)\bDETACH\s+DELETE\b)",
                            R"(client 9[0-9]{2}\b)", R"(\{code:'(SEA|LAX|JFK)'\})"};
  std::string text = "[endpoint.e]\nurl = http://127.0.0.1:8182\n";
  for (int i = 0; i < rules; ++i) {
    text += "[rule.r" + std::to_string(i) + "]\nmax_elapsed = " + std::to_string(60 + i) + "s\nmax_waited = 30s\n";
    if (i + 1 < rules) {
      // A distinct pattern per rule, as operators write them: most queries pass many rules by.
      text += std::string("query_matches = ") + patterns[i % 5] + "|rule" + std::to_string(i) + "_marker\n";
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

void BM_ParseAndDecide(benchmark::State& state) {
  const std::string body = make_body(static_cast<int>(state.range(0)));
  const nw::Policy policy = policy_for(static_cast<int>(state.range(1)));
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    auto snapshot = nw::parse_status_body(body, nw::Language::opencypher);
    auto decisions = nw::decide(snapshot.value(), policy, now);
    benchmark::DoNotOptimize(decisions);
  }
  state.counters["queries"] = static_cast<double>(state.range(0));
  state.counters["rules"] = static_cast<double>(state.range(1));
}

void BM_Parse(benchmark::State& state) {
  const std::string body = make_body(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(nw::parse_status_body(body, nw::Language::opencypher));
}

void BM_Decide(benchmark::State& state) {
  const auto snapshot = nw::parse_status_body(make_body(static_cast<int>(state.range(0))), nw::Language::opencypher);
  const nw::Policy policy = policy_for(static_cast<int>(state.range(1)));
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(nw::decide(snapshot.value(), policy, now));
}

BENCHMARK(BM_ParseAndDecide)->ArgsProduct({{10, 1000, 8192}, {1, 20, 100}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Parse)->Arg(8192)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Decide)->Args({8192, 100})->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--write-bodies") == 0) {
    for (int q : {10, 1000, 8192}) std::ofstream(std::string(argv[2]) + "/status-" + std::to_string(q) + ".json") << make_body(q);
    for (int r : {1, 20, 100}) std::ofstream(std::string(argv[2]) + "/rules-" + std::to_string(r) + ".ini") << make_config(r);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
