#include "nw/sim/neptune_json.h"

#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "nw/sim/pretty_json.h"

namespace nw::sim {
namespace {

Poco::JSON::Object::Ptr parse_object(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

TEST(NeptuneJson, ListBodyHasNeptunesLayout) {
  WorkloadSnapshot snap;
  snap.accepted_count = 2;
  snap.running_count = 1;
  snap.queries.push_back(
      {"eadc6eea-698b-4a2f-8554-5270ab17ebee", "MATCH (n) RETURN n", 0, 23463, true});
  snap.queries.push_back(
      {"f43ce17b-db01-4d37-a074-c76d1c26d7a9", "MATCH (m) RETURN m", 1500, 0, false});
  EXPECT_EQ(query_list_body(snap),
            "{\n"
            "  \"acceptedQueryCount\" : 2,\n"
            "  \"runningQueryCount\" : 1,\n"
            "  \"queries\" : [ {\n"
            "    \"queryId\" : \"eadc6eea-698b-4a2f-8554-5270ab17ebee\",\n"
            "    \"queryString\" : \"MATCH (n) RETURN n\",\n"
            "    \"queryEvalStats\" : {\n"
            "      \"waited\" : 0,\n"
            "      \"elapsed\" : 23463,\n"
            "      \"cancelled\" : false\n"
            "    }\n"
            "  }, {\n"
            "    \"queryId\" : \"f43ce17b-db01-4d37-a074-c76d1c26d7a9\",\n"
            "    \"queryString\" : \"MATCH (m) RETURN m\",\n"
            "    \"queryEvalStats\" : {\n"
            "      \"waited\" : 1500,\n"
            "      \"elapsed\" : 0,\n"
            "      \"cancelled\" : false\n"
            "    }\n"
            "  } ]\n"
            "}");
}

TEST(NeptuneJson, EmptyListIsExactlyTheDocumentedBody) {
  EXPECT_EQ(query_list_body(WorkloadSnapshot{}),
            "{\n"
            "  \"acceptedQueryCount\" : 0,\n"
            "  \"runningQueryCount\" : 0,\n"
            "  \"queries\" : [ ]\n"
            "}");
}

TEST(NeptuneJson, SingleQueryBody) {
  EXPECT_EQ(query_status_body({"q-1", "RETURN 1", 7, 23463, true}),
            "{\n"
            "  \"queryId\" : \"q-1\",\n"
            "  \"queryString\" : \"RETURN 1\",\n"
            "  \"queryEvalStats\" : {\n"
            "    \"waited\" : 7,\n"
            "    \"elapsed\" : 23463,\n"
            "    \"cancelled\" : false\n"
            "  }\n"
            "}");
}

TEST(NeptuneJson, CancelAndErrorBodies) {
  EXPECT_EQ(cancel_success_body(), "{\n  \"status\" : \"200 OK\",\n  \"payload\" : true\n}");
  EXPECT_EQ(error_body("r-1", "InvalidParameterException", "Supplied queryId x is invalid"),
            "{\"requestId\":\"r-1\",\"code\":\"InvalidParameterException\","
            "\"detailedMessage\":\"Supplied queryId x is invalid\"}");
}

TEST(NeptuneJson, GremlinBodiesFollowItsPage) {
  WorkloadSnapshot snap;
  snap.accepted_count = 9;
  snap.running_count = 1;
  snap.accepted_since_start = 40;
  snap.queries.push_back(
      {"fb34cd3e-f37c-4d12-9cf2-03bb741bf54f", "g.V().out().count()", 0, 23, true});
  EXPECT_EQ(query_list_body(snap, Language::gremlin),
            "{\n"
            "  \"acceptedQueryCount\" : 9,\n"
            "  \"runningQueryCount\" : 1,\n"
            "  \"queries\" : [ {\n"
            "    \"queryId\" : \"fb34cd3e-f37c-4d12-9cf2-03bb741bf54f\",\n"
            "    \"queryEvalStats\" : {\n"
            "      \"waited\" : 0,\n"
            "      \"elapsed\" : 23,\n"
            "      \"cancelled\" : false\n"
            "    },\n"
            "    \"queryString\" : \"g.V().out().count()\"\n"
            "  } ]\n"
            "}");
  EXPECT_EQ(query_status_body({"g-1", "g.V()", 4, 5, true}, Language::gremlin),
            "{\n"
            "  \"queryId\" : \"g-1\",\n"
            "  \"queryEvalStats\" : {\n"
            "    \"waited\" : 4,\n"
            "    \"elapsed\" : 5,\n"
            "    \"cancelled\" : false\n"
            "  },\n"
            "  \"queryString\" : \"g.V()\"\n"
            "}");
  EXPECT_EQ(gremlin_cancel_success_body(), "{\n  \"status\" : \"200 OK\"\n}");
}

TEST(NeptuneJson, SparqlBodiesHaveSubqueriesNoWaitedAndACumulativeCount) {
  WorkloadSnapshot snap;
  snap.accepted_count = 2;
  snap.running_count = 1;
  snap.accepted_since_start = 9;
  snap.queries.push_back(
      {"fb34cd3e-f37c-4d12-9cf2-03bb741bf54f", "SELECT ?s ?p ?o WHERE {?s ?p ?o}", 0, 29256, true});
  snap.queries.push_back({"4d5c4fae-aa30-41cf-9e1f-91e6b7dd6f47", "ASK {}", 700, 0, false});
  EXPECT_EQ(query_list_body(snap, Language::sparql),
            "{\n"
            "  \"acceptedQueryCount\" : 9,\n"
            "  \"runningQueryCount\" : 1,\n"
            "  \"queries\" : [ {\n"
            "    \"queryId\" : \"fb34cd3e-f37c-4d12-9cf2-03bb741bf54f\",\n"
            "    \"queryEvalStats\" : {\n"
            "      \"subqueries\" : 0,\n"
            "      \"elapsed\" : 29256,\n"
            "      \"cancelled\" : false\n"
            "    },\n"
            "    \"queryString\" : \"SELECT ?s ?p ?o WHERE {?s ?p ?o}\"\n"
            "  }, {\n"
            "    \"queryId\" : \"4d5c4fae-aa30-41cf-9e1f-91e6b7dd6f47\",\n"
            "    \"queryEvalStats\" : {\n"
            "      \"subqueries\" : 0,\n"
            "      \"elapsed\" : 0,\n"
            "      \"cancelled\" : false\n"
            "    },\n"
            "    \"queryString\" : \"ASK {}\"\n"
            "  } ]\n"
            "}");
  const Poco::JSON::Object::Ptr one =
      parse_object(query_status_body({"s-1", "ASK {}", 3, 4, true}, Language::sparql));
  EXPECT_FALSE(one->getObject("queryEvalStats")->has("waited"));
  EXPECT_EQ(one->getObject("queryEvalStats")->getValue<int>("subqueries"), 0);
  EXPECT_EQ(one->getObject("queryEvalStats")->getValue<int>("elapsed"), 4);
  // openCypher and Gremlin count only the queries still there.
  EXPECT_EQ(
      parse_object(query_list_body(snap, Language::gremlin))->getValue<int>("acceptedQueryCount"),
      2);
  EXPECT_EQ(parse_object(query_list_body(snap))->getValue<int>("acceptedQueryCount"), 2);
}

TEST(NeptuneJson, QuotesEscapeWhatJsonRequires) {
  const struct {
    std::string in;
    std::string out;
  } rows[] = {
      {"plain", "\"plain\""},
      {"say \"hi\"", "\"say \\\"hi\\\"\""},
      {"back\\slash", "\"back\\\\slash\""},
      {"a\nb\tc\rd\be\ff", "\"a\\nb\\tc\\rd\\be\\ff\""},
      {std::string("nul\0x", 5), "\"nul\\u0000x\""},
      {"\x1f", "\"\\u001F\""},
      {"caf\xc3\xa9 /* \xe2\x9c\x93 */", "\"caf\xc3\xa9 /* \xe2\x9c\x93 */\""},
  };
  for (const auto& row : rows) EXPECT_EQ(json_quote(row.in), row.out);
}

TEST(NeptuneJson, QueryStringIsCutAt1024Characters) {
  EXPECT_EQ(truncate_query_string(std::string(2000, 'a')), std::string(1024, 'a'));
  EXPECT_EQ(truncate_query_string(std::string(1024, 'a')), std::string(1024, 'a'));
  EXPECT_EQ(truncate_query_string("short"), "short");

  std::string accents;
  for (int i = 0; i < 1100; ++i) accents += "\xc3\xa9";
  EXPECT_EQ(truncate_query_string(accents), accents.substr(0, 2048)) << "characters, not bytes";

  // A character outside the BMP is two UTF-16 units in Java: it does not fit in the one
  // unit left, and is not split.
  const std::string emoji = "\xf0\x9f\x98\x80";
  EXPECT_EQ(truncate_query_string(std::string(1023, 'a') + emoji + "b"), std::string(1023, 'a'));
  EXPECT_EQ(truncate_query_string(std::string(1022, 'a') + emoji + "b"),
            std::string(1022, 'a') + emoji);
}

TEST(NeptuneJson, BodiesParseAndRoundTripAwkwardText) {
  const std::string nasty =
      "MATCH (n {name: \"O'Brien\\\\\"})\n\tRETURN n /* \xc3\xa9 */ " + std::string(1500, 'x');
  WorkloadSnapshot snap;
  snap.accepted_count = 1;
  snap.running_count = 1;
  snap.queries.push_back({"id\"1", nasty, 0, 5, true});
  const Poco::JSON::Object::Ptr list = parse_object(query_list_body(snap));
  EXPECT_EQ(list->getValue<int>("acceptedQueryCount"), 1);
  const Poco::JSON::Object::Ptr query = list->getArray("queries")->getObject(0);
  EXPECT_EQ(query->getValue<std::string>("queryId"), "id\"1");
  EXPECT_EQ(query->getValue<std::string>("queryString"), truncate_query_string(nasty));
  EXPECT_EQ(query->getObject("queryEvalStats")->getValue<std::int64_t>("elapsed"), 5);

  EXPECT_NO_THROW(parse_object(cancel_success_body()));
  EXPECT_NO_THROW(parse_object(error_body("r", "C\"", "m\n")));
}

TEST(NeptuneJson, DuplicateIdsListEveryOtherQueryAgainAtTheEnd) {
  WorkloadSnapshot snap;
  for (const char* id : {"a", "b", "c"})
    snap.queries.push_back({id, "MATCH (n) RETURN n", 0, 9, true});
  ListQuirks quirks;
  quirks.duplicate_ids = true;
  const auto queries =
      parse_object(query_list_body(snap, Language::opencypher, quirks))->getArray("queries");
  ASSERT_EQ(queries->size(), 5u);
  const char* expected[] = {"a", "b", "c", "a", "c"};
  for (unsigned i = 0; i < 5; ++i)
    EXPECT_EQ(queries->getObject(i)->getValue<std::string>("queryId"), expected[i]);
  EXPECT_EQ(queries->getObject(3)->getObject("queryEvalStats")->getValue<int>("elapsed"), 9);
}

TEST(NeptuneJson, BadNumbersAreNegativeOrPast64Bits) {
  WorkloadSnapshot snap;
  for (const char* id : {"a", "b", "c", "d"})
    snap.queries.push_back({id, "MATCH (n) RETURN n", 0, 9, true});
  ListQuirks quirks;
  quirks.bad_numbers = true;
  const std::string body = query_list_body(snap, Language::opencypher, quirks);
  EXPECT_NE(body.find("\"waited\" : -1,\n      \"elapsed\" : 99999999999999999999999"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("\"waited\" : 99999999999999999999999,\n      \"elapsed\" : -1000"),
            std::string::npos);
  EXPECT_NE(
      body.find("\"waited\" : -9223372036854775809,\n      \"elapsed\" : 9223372036854775808"),
      std::string::npos);
  // Still JSON: the grammar allows any number of digits. (Poco's parser refuses numbers
  // past 64 bits outright, so check the rest with them replaced.)
  std::string tame = body;
  const std::vector<std::string> bad_numbers = {"-9223372036854775809", "9223372036854775808",
                                                std::string(kOverflowingNumber)};
  for (const std::string& bad : bad_numbers) {
    for (std::size_t at = tame.find(bad); at != std::string::npos; at = tame.find(bad))
      tame.replace(at, bad.size(), "0");
  }
  EXPECT_NO_THROW(parse_object(tame));
  EXPECT_EQ(body.find("\"elapsed\" : 9,"), std::string::npos) << "no query keeps its clocks";

  const std::string sparql = query_list_body(snap, Language::sparql, quirks);
  EXPECT_NE(sparql.find("\"elapsed\" : 99999999999999999999999"), std::string::npos);
  EXPECT_EQ(sparql.find("waited"), std::string::npos);
  EXPECT_NE(query_status_body(snap.queries[0], Language::gremlin, quirks)
                .find("\"elapsed\" : 99999999999999999999999"),
            std::string::npos);
}

// Three entries ahead of the workload's, each malformed in one way, laid out as each language
// lays out its entries; with them made readable, the whole is JSON that lists them first.
TEST(NeptuneJson, MalformedEntriesComeFirstEachBrokenInOneWay) {
  WorkloadSnapshot snap;
  snap.queries.push_back({"a", "MATCH (n) RETURN n", 0, 9, true});
  ListQuirks quirks;
  quirks.malformed_entries = true;
  const std::string body = query_list_body(snap, Language::opencypher, quirks);
  EXPECT_NE(
      body.find("\"queryId\" : \"" + std::string(kMalformedEntryIds[0]) +
                "\",\n    \"queryString\" : \"MATCH (n) RETURN n /* elapsed is negative */\",\n"
                "    \"queryEvalStats\" : {\n      \"waited\" : 0,\n      \"elapsed\" : -3600000,"),
      std::string::npos)
      << body;
  EXPECT_NE(body.find("\"queryString\" : \"MATCH (n) RETURN '\\ud800' /* a lone surrogate */\""),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("\"queryString\" : \"MATCH (n) RETURN '\xC3\x28' /* not UTF-8 */\""),
            std::string::npos)
      << body;
  std::string readable = body;
  for (const std::string bad : {"\\ud800", "\xC3\x28"})
    readable.replace(readable.find(bad), bad.size(), "x");
  const auto queries = parse_object(readable)->getArray("queries");
  ASSERT_EQ(queries->size(), 4u);
  for (unsigned i = 0; i < 3; ++i)
    EXPECT_EQ(queries->getObject(i)->getValue<std::string>("queryId"), kMalformedEntryIds[i]);
  EXPECT_EQ(queries->getObject(2)->getObject("queryEvalStats")->getValue<int>("elapsed"), 3600000);
  EXPECT_EQ(queries->getObject(3)->getValue<std::string>("queryId"), "a");

  // Gremlin and SPARQL put the text after the stats; SPARQL has no waited.
  const std::string sparql = query_list_body(snap, Language::sparql, quirks);
  EXPECT_NE(
      sparql.find(
          "\"subqueries\" : 0,\n      \"elapsed\" : -3600000,\n      \"cancelled\" : false\n    "
          "},\n    \"queryString\" : \"MATCH (n) RETURN n /* elapsed is negative */\""),
      std::string::npos)
      << sparql;
  EXPECT_EQ(query_list_body(snap, Language::gremlin, {}).find("badc0de0"), std::string::npos);
}

TEST(PrettyJsonWriter, ArraysAreInlineAndEmptyContainersHaveASpace) {
  PrettyJsonWriter json;
  json.begin_object();
  json.key("numbers").begin_array().number(1).number(-2).end_array();
  json.key("empty").begin_object().end_object();
  json.key("none").begin_array().end_array();
  json.key("flag").boolean(false);
  json.end_object();
  EXPECT_EQ(json.str(),
            "{\n"
            "  \"numbers\" : [ 1, -2 ],\n"
            "  \"empty\" : { },\n"
            "  \"none\" : [ ],\n"
            "  \"flag\" : false\n"
            "}");
}

}  // namespace
}  // namespace nw::sim
