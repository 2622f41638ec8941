#include "nw/core/fingerprint.h"

#include <string>

#include <gtest/gtest.h>

namespace nw {
namespace {

std::string shape(Language language, const std::string& text) {
  return fingerprint_query(language, text).text;
}

struct Case {
  const char* query;
  const char* normalised;
};

TEST(Fingerprint, OpenCypherLiteralsCommentsBlanksAndCase) {
  const Case cases[] = {
      {"MATCH (n:Person {name: 'Alice'}) RETURN n", "match (n:Person{name:?}) return n"},
      {"match (n:Person {name: \"Bob\"})\n  return n", "match (n:Person{name:?}) return n"},
      {"MATCH (n) WHERE n.age > 42 RETURN n LIMIT 10", "match (n) where n.age>? return n limit ?"},
      {"MATCH (n) WHERE n.id IN [1, 2, 3] RETURN n", "match (n) where n.id in [?+] return n"},
      {"MATCH (n) WHERE n.id IN [7] RETURN n", "match (n) where n.id in [?+] return n"},
      {"MATCH (n) WHERE n.x = -5 RETURN n.x - 1", "match (n) where n.x=? return n.x-?"},
      {"MATCH (n) WHERE n.name = $name RETURN n", "match (n) where n.name=$name return n"},
      {"MATCH (n) // the start\nRETURN /* all of it */ n", "match (n) return n"},
      {"MATCH (a)-[:KNOWS*1..3]->(b) RETURN COUNT(b)",
       "match (a)-[:KNOWS*?..?]->(b) return count(b)"},
      {"MATCH (n) WHERE n.s = 'it\\'s // not a comment' RETURN n",
       "match (n) where n.s=? return n"},
      {"MATCH (n) WHERE n.ok = TRUE AND n.gone IS NULL RETURN n",
       "match (n) where n.ok=? and n.gone is null return n"},
      {"MATCH (`odd name`) RETURN `odd name`", "match (`odd name`) return `odd name`"},
      {"MATCH (n:Città {nome: 'Zürich'}) RETURN n", "match (n:Città{nome:?}) return n"},
  };
  for (const Case& c : cases) EXPECT_EQ(shape(Language::opencypher, c.query), c.normalised);
}

TEST(Fingerprint, GremlinKeepsNamesAndReplacesValues) {
  const Case cases[] = {
      {"g.V().has('person', 'name', 'marko').out('knows').values('name')",
       "g.V().has('person','name',?).out('knows').values('name')"},
      {"g.V().has(\"name\", \"vadas\").out(\"knows\")", "g.V().has('name',?).out('knows')"},
      {"g.V('1', '2', '3').hasLabel('person')", "g.V(?+).hasLabel('person')"},
      {"g.V().has('age', gt(30)).limit(10)", "g.V().has('age',gt(?)).limit(?)"},
      {"g.V().has('name', within('a', 'b')).count()", "g.V().has('name',within(?+)).count()"},
      {"g.addV('person').property('name', 'josh').property(single, 'age', 32)",
       "g.addV('person').property('name',?).property(single,'age',?)"},
      {"g.mergeV([(T.label): 'person', 'name': 'x'])", "g.mergeV([(T.label):?,'name':?])"},
      {"g.V().hasKey('name') // comment\n.count()", "g.V().hasKey('name').count()"},
      {"[[], [V(), has(name, marko), out(knows)]]", "[[],[V(),has(name,?),out(knows)]]"},
      {"[[], [V(1), has(age, gt(29)), values(name)]]", "[[],[V(?),has(age,gt(?)),values(name)]]"},
      {"g.V().has('text', '''multi\nline''')", "g.V().has('text',?)"},
  };
  for (const Case& c : cases) EXPECT_EQ(shape(Language::gremlin, c.query), c.normalised);
}

TEST(Fingerprint, SparqlKeepsIrisAndVariables) {
  const Case cases[] = {
      {"SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10", "select ?s ?p ?o where {?s ?p ?o} limit ?"},
      {"select ?name where { ?p <http://xmlns.com/foaf/0.1/name> \"Alice\"@en . }",
       "select ?name where {?p <http://xmlns.com/foaf/0.1/name> ?@en.}"},
      {"PREFIX ex: <http://ex.org/#>\nSELECT * WHERE { ?s ex:age ?a FILTER(?a > 30) } # old",
       "prefix ex: <http://ex.org/#> select * where {?s ex:age ?a filter (?a>?)}"},
      {"SELECT ?x WHERE { VALUES ?x { 1 2 3 } }", "select ?x where {values ?x{?+}}"},
      {"SELECT ?x WHERE { ?x ex:p \"5\"^^xsd:integer }",
       "select ?x where {?x ex:p ?^^xsd:integer}"},
  };
  for (const Case& c : cases) EXPECT_EQ(shape(Language::sparql, c.query), c.normalised);
}

TEST(Fingerprint, CopiesOfOneShapeShareAFingerprintAndOtherShapesDoNot) {
  const auto a = fingerprint_query(Language::opencypher, "MATCH (n {id: 'a1'}) RETURN n");
  const auto b = fingerprint_query(Language::opencypher, "match (n {id:\"b2\"})\nRETURN n");
  const auto c = fingerprint_query(Language::opencypher, "MATCH (n {key: 'a1'}) RETURN n");
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_NE(a.hash, c.hash);
  EXPECT_EQ(fingerprint_hex(a.hash).size(), 16u);
}

TEST(Fingerprint, HashIsMurmurHash64AAsPublished) {
  // Values of the reference MurmurHash64A (Austin Appleby's MurmurHash2.cpp), computed
  // independently: the hash is part of the audit contract.
  EXPECT_EQ(murmur_hash64a("", 0), 0u);
  EXPECT_EQ(fingerprint_hex(murmur_hash64a("hello", 0)), "1e68d17c457bf117");
  EXPECT_EQ(fingerprint_hex(murmur_hash64a("The quick brown fox jumps over the lazy dog", 0)),
            "5589ca33042a861b");
}

TEST(Fingerprint, PinnedFingerprintsNeverChange) {
  // A fingerprint in an old audit log must mean the same shape today (kFingerprintVersion 1).
  EXPECT_EQ(fingerprint_hex(
                fingerprint_query(Language::opencypher, "MATCH (n:Person {name: 'Alice'}) RETURN n")
                    .hash),
            "0b4a3bc8ecf11eff");
  EXPECT_EQ(
      fingerprint_hex(fingerprint_query(Language::gremlin, "g.V().has('name','x').count()").hash),
      "cda96e5727c05dfb");
  EXPECT_EQ(
      fingerprint_hex(fingerprint_query(Language::sparql, "SELECT ?s WHERE { ?s ?p 42 }").hash),
      "f54569c8adbc1ff8");
}

TEST(Fingerprint, TextThatDefeatsTheNormaliserStillGetsAFingerprint) {
  for (const char* text : {"MATCH (n {name: 'unterminated", "g.V().has('a', \"b", "/* open",
                           "SELECT ?x WHERE { ?x <http://no-end", "\xff\xfe\x80 MATCH \xc3",
                           ")))]]]}}}", "((((((((", "", "   ", "'''", "-", "$", "?", "`"}) {
    for (Language language : {Language::opencypher, Language::gremlin, Language::sparql}) {
      const auto fp = fingerprint_query(language, text);
      EXPECT_EQ(fingerprint_hex(fp.hash).size(), 16u) << text;
    }
  }
  const std::string huge(1 << 20, '(');
  EXPECT_EQ(fingerprint_query(Language::gremlin, huge).text.size(), huge.size());
  EXPECT_EQ(shape(Language::opencypher, "MATCH (n {name: 'unterminated"), "match (n{name:?");
}

}  // namespace
}  // namespace nw
