// Fingerprints taken from several threads at once. Built into the unit tests and, for
// ThreadSanitizer, into nw_unit_thread_tests (the tables and the megabyte inputs of
// fingerprint_test.cpp are single-threaded and stay out of it).
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "nw/core/fingerprint.h"

namespace nw {
namespace {

// Each thread keeps its own working memory: threads that fingerprint at once, a large text
// among short queries (which grows a thread's memory, then gives it back), get what one
// thread alone gets.
TEST(FingerprintThreads, ThreadsFingerprintingAtOnceAgree) {
  const std::vector<std::pair<Language, std::string>> queries = {
      {Language::opencypher, "MATCH (n:Person {name: 'Alice'})-[:KNOWS]->(f) RETURN f.name"},
      {Language::opencypher, "UNWIND $ids AS id MATCH (n {id: id}) WHERE n.x IN [1, 2] RETURN n"},
      {Language::gremlin, "g.V().has('person', 'name', 'marko').out('knows').values('name')"},
      {Language::gremlin, "[[], [V(), has(name, marko polo), out(knows)]]"},
      {Language::gremlin, "[[" + std::string(1 << 17, '(')},
      {Language::sparql, "SELECT ?x WHERE { ?x ex:p \"v\"@en . VALUES ?y { 1 2 } } # c"},
      {Language::sparql, "INSERT DATA { <http://ex.org/a> <http://ex.org/p> 'v' }"},
  };
  std::vector<Fingerprint> expected;
  for (const auto& [language, text] : queries)
    expected.push_back(fingerprint_query(language, text));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (std::size_t q = 0; q < queries.size(); ++q) {
          const std::size_t k = (q + t * 3) % queries.size();
          const Fingerprint fp = fingerprint_query(queries[k].first, queries[k].second);
          if (fp.hash != expected[k].hash || fp.text != expected[k].text) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace nw
