// Fingerprint cost: ns per query for realistic openCypher, Gremlin (Groovy and bytecode form)
// and SPARQL texts of about 100 bytes and of about 1 KiB (Neptune shows at most 1,024
// characters of a query). The goal is 2 µs or less for a 1 KiB query: the daemon fingerprints
// each new query id it sees. BM_ByteLoopFloor times a plain pass over 1 KiB on the same
// machine, for scale. docs/PERFORMANCE.md quotes the medians. Run:
//   build/fingerprint_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "nw/core/fingerprint.h"

namespace {

struct Query {
  const char* name;
  nw::Language language;
  std::string text;
};

// Repeats `part` (numbered by {i}) until the text reaches `size` bytes, then cuts it there,
// as Neptune cuts a long query.
std::string grow(std::string head, const std::string& part, const std::string& tail,
                 std::size_t size) {
  for (int i = 0; head.size() + tail.size() < size; ++i) {
    std::string p = part;
    for (std::size_t at = p.find("{i}"); at != std::string::npos; at = p.find("{i}"))
      p.replace(at, 3, std::to_string(i * 7919 % 100000));
    head += p;
  }
  head += tail;
  head.resize(size);
  return head;
}

const std::vector<Query>& queries() {
  static const std::vector<Query> all = {
      {"opencypher 100B", nw::Language::opencypher,
       "MATCH (p:Person {name: 'Alice'})-[:KNOWS]->(f:Person) WHERE f.age > 30 RETURN f.name "
       "LIMIT 10"},
      {"opencypher 1KiB", nw::Language::opencypher,
       grow("MATCH (c:Customer)-[:PLACED]->(o:Order)-[:CONTAINS]->(p:Product)\n"
            "WHERE o.created >= datetime('2024-01-01T00:00:00Z') AND o.status IN ['open', "
            "'paid', 'shipped']\n  AND c.id IN [",
            "'cust-{i}', ",
            "'last'] // batch\nRETURN c.name, count(o) AS orders, sum(p.price) AS "
            "total ORDER BY total DESC LIMIT 50",
            1024)},
      {"gremlin 100B", nw::Language::gremlin,
       "g.V().has('person', 'name', 'marko').out('knows').has('age', gt(30)).values('name')"},
      {"gremlin 1KiB", nw::Language::gremlin,
       grow("g.V().hasLabel('customer').has('region', 'eu-west-1')",
            ".out('placed').has('total', gt({i}.5)).in('placed').has('name', 'customer {i}')",
            ".dedup().limit(100).valueMap('name', 'email')", 1024)},
      {"gremlin bytecode 1KiB", nw::Language::gremlin,
       grow("[[], [V(), hasLabel(customer), has(region, eu-west-1)",
            ", out(placed), has(total, gt({i}.5)), in(placed), has(name, customer {i})",
            ", dedup(), limit(100), valueMap(name, email)]]", 1024)},
      {"sparql 100B", nw::Language::sparql,
       "SELECT ?name WHERE { ?p foaf:name ?name ; foaf:age ?age FILTER(?age > 30) } LIMIT 10"},
      {"sparql 1KiB", nw::Language::sparql,
       grow("PREFIX foaf: <http://xmlns.com/foaf/0.1/>\nPREFIX ex: <http://example.org/ns#>\n"
            "SELECT ?p ?name WHERE {\n  ?p a foaf:Person ; foaf:name ?name .\n"
            "  OPTIONAL { ?p foaf:mbox ?mail }\n  VALUES ?id {",
            " \"id-{i}\"", " }\n  ?p ex:id ?id FILTER(lang(?name) = \"en\")\n} LIMIT 100", 1024)},
  };
  return all;
}

void BM_Fingerprint(benchmark::State& state) {
  const Query& query = queries().at(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(nw::fingerprint_query(query.language, query.text));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * query.text.size()));
  state.SetLabel(std::string(query.name) + ", " + std::to_string(query.text.size()) + " B");
}
BENCHMARK(BM_Fingerprint)->DenseRange(0, 6)->Unit(benchmark::kNanosecond);

// A floor for the figures above on the machine at hand: one pass over the same 1 KiB
// Gremlin text that only counts blanks, brackets and other bytes, the least any normaliser
// must do.
void BM_ByteLoopFloor(benchmark::State& state) {
  const std::string& text = queries().at(3).text;
  for (auto _ : state) {
    std::size_t blanks = 0, brackets = 0, others = 0;
    for (char c : text) {
      if (c == ' ')
        ++blanks;
      else if (c == '(' || c == ')')
        ++brackets;
      else
        ++others;
    }
    benchmark::DoNotOptimize(blanks + 3 * brackets + 7 * others);
  }
  state.SetLabel("byte loop, 1024 B");
}
BENCHMARK(BM_ByteLoopFloor)->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
