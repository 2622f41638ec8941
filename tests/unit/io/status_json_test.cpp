#include "nw/io/status_json.h"

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "nw/core/neptune_error.h"

namespace nw {
namespace {

std::string data(const std::string& name) {
  const std::string path = std::string(NW_TEST_DATA_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "id|text|elapsed|waited|cancelled" per query.
std::vector<std::string> summary(const StatusSnapshot& s) {
  std::vector<std::string> out;
  for (const auto& q : s.queries)
    out.push_back(q.id + "|" + q.text + "|" + std::to_string(q.elapsed_ms) + "|" +
                  std::to_string(q.waited_ms) + "|" + (q.cancelled ? "true" : "false"));
  return out;
}

using Lines = std::vector<std::string>;

const std::string kLongCypher =
    "MATCH (n1)-[:knows]->(n2), (n2)-[:knows]->(n3), (n3)-[:knows]->(n4), (n4)-[:knows]->(n5), "
    "(n5)-[:knows]->(n6), (n6)-[:knows]->(n7), (n7)-[:knows]->(n8), (n8)-[:knows]->(n9), "
    "(n9)-[:knows]->(n10) RETURN COUNT(n1);";

TEST(ParseStatusBody, ParsesEveryGoodBody) {
  struct Row {
    const char* name;
    std::string body;
    Language language;
    std::int64_t accepted, running;
    std::size_t skipped;
    Lines queries;
  } rows[] = {
      {"documented empty openCypher list",
       data("opencypher_list_empty.json"),
       Language::opencypher,
       0,
       0,
       0,
       {}},
      {"documented Gremlin list",
       data("gremlin_list.json"),
       Language::gremlin,
       9,
       1,
       0,
       {"fb34cd3e-f37c-4d12-9cf2-03bb741bf54f|g.V().out().count()|23|0|false"}},
      {"documented SPARQL list (no waited, has subqueries)",
       data("sparql_list.json"),
       Language::sparql,
       9,
       1,
       0,
       {"fb34cd3e-\xE2\x80\xA6|SELECT ?s ?p ?o WHERE {?s ?p ?o}|29256|0|false"}},
      {"documented single-query body as a list entry",
       "{\"queries\":[" + data("opencypher_single_query.json") + "]}",
       Language::opencypher,
       0,
       0,
       0,
       {"eadc6eea-698b-4a2f-8554-5270ab17ebee|" + kLongCypher + "|23463|0|false"}},
      {"unknown extra fields and 64-bit numbers",
       data("opencypher_list_extra_fields_64bit.json"),
       Language::opencypher,
       3,
       2,
       0,
       {"11111111-0000-4000-8000-000000000001|MATCH (n) RETURN count(n)|3000000000|12|false",
        "11111111-0000-4000-8000-000000000002|MATCH (m) RETURN "
        "m|9223372036854775807|9007199254740993|true",
        "11111111-0000-4000-8000-000000000003|MATCH (q) RETURN q|0|4100|false"}},
      {"missing optional fields default",
       data("opencypher_list_missing_optional.json"),
       Language::opencypher,
       0,
       0,
       0,
       {"22222222-0000-4000-8000-000000000001||0|0|false",
        "22222222-0000-4000-8000-000000000002|MATCH (n) RETURN n|0|0|false",
        "22222222-0000-4000-8000-000000000003||750|0|false",
        "22222222-0000-4000-8000-000000000004||0|40|false",
        "22222222-0000-4000-8000-000000000005|MATCH (c) RETURN c|0|0|false"}},
      {"entries without a usable queryId are skipped and counted",
       data("opencypher_list_entries_without_id.json"),
       Language::opencypher,
       5,
       5,
       4,
       {"33333333-0000-4000-8000-000000000002|MATCH (b) RETURN b|10|0|false"}},
      {"compact body",
       R"({"acceptedQueryCount":1,"runningQueryCount":1,"queries":[{"queryId":"a","queryString":"q","queryEvalStats":{"waited":1,"elapsed":2,"cancelled":true}}]})",
       Language::opencypher,
       1,
       1,
       0,
       {"a|q|2|1|true"}},
      {"whitespace everywhere",
       "\n\t{ \"queries\" :\n[ {\r\n\"queryId\" : \"a\" } ] }\n ",
       Language::opencypher,
       0,
       0,
       0,
       {"a||0|0|false"}},
      {"cancelled as string True",
       R"({"queries":[{"queryId":"a","queryEvalStats":{"cancelled":"True"}}]})",
       Language::opencypher,
       0,
       0,
       0,
       {"a||0|0|true"}},
      {"cancelled as string false",
       R"({"queries":[{"queryId":"a","queryEvalStats":{"cancelled":"false"}}]})",
       Language::opencypher,
       0,
       0,
       0,
       {"a||0|0|false"}},
      {"no queries key",
       R"({"acceptedQueryCount":0,"runningQueryCount":0})",
       Language::opencypher,
       0,
       0,
       0,
       {}},
      {"queries null",
       R"({"acceptedQueryCount":2,"queries":null})",
       Language::opencypher,
       2,
       0,
       0,
       {}},
      {"empty object", "{}", Language::opencypher, 0, 0, 0, {}},
      {"null counts",
       R"({"acceptedQueryCount":null,"runningQueryCount":null,"queries":[]})",
       Language::opencypher,
       0,
       0,
       0,
       {}},
      {"unicode escapes in text",
       R"({"queries":[{"queryId":"a","queryString":"caf\u00e9 \"x\"\n"}]})",
       Language::opencypher,
       0,
       0,
       0,
       {"a|caf\xC3\xA9 \"x\"\n|0|0|false"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto result = parse_status_body(row.body, row.language);
    if (!result.ok()) {
      ADD_FAILURE() << result.failure().describe();
      continue;
    }
    const StatusSnapshot& s = result.value();
    EXPECT_EQ(s.language, row.language);
    EXPECT_EQ(s.accepted_count, row.accepted);
    EXPECT_EQ(s.running_count, row.running);
    EXPECT_EQ(s.skipped_entries, row.skipped);
    EXPECT_EQ(summary(s), row.queries);
  }
}

// One thread's parser grows for large lists and gives its buffers back after them: every size,
// in any order, still parses to the same queries (and a bad body after a large one is refused).
TEST(ParseStatusBody, ListsOfChangingSizeParseAlikeOnOneThread) {
  const auto list_of = [](int queries, std::size_t text_chars) {
    const std::string text = "MATCH (n) RETURN n" + std::string(text_chars, ' ');
    std::string body = R"({"acceptedQueryCount":)" + std::to_string(queries) + R"(,"queries":[)";
    for (int i = 0; i < queries; ++i)
      body += std::string(i ? "," : "") + R"({"queryId":"q)" + std::to_string(i) +
              R"(","queryString":")" + text + R"(","queryEvalStats":{"elapsed":)" +
              std::to_string(i) + "}}";
    return body + "]}";
  };
  const std::pair<int, std::size_t> sizes[] = {{1, 0},       {20000, 0}, {3, 0},    {20000, 0},
                                               {20000, 900}, {2, 0},     {5000, 0}, {1, 0}};
  for (const auto& [queries, text_chars] : sizes) {
    SCOPED_TRACE(queries);
    const std::string body = list_of(queries, text_chars);
    const auto result = parse_status_body(body, Language::opencypher);
    ASSERT_TRUE(result.ok()) << result.failure().describe();
    ASSERT_EQ(result.value().queries.size(), static_cast<std::size_t>(queries));
    EXPECT_EQ(result.value().queries.back().id, "q" + std::to_string(queries - 1));
    EXPECT_EQ(result.value().queries.back().elapsed_ms, queries - 1);
    EXPECT_FALSE(parse_status_body(body.substr(0, body.size() - 2), Language::opencypher).ok());
  }
}

// Neptune lists at most 8,192 queued queries and its running ones: a list of more than
// kMaxStatusEntries is refused as a whole, also when one of its entries must be read alone.
TEST(ParseStatusBody, AListLongerThanNeptuneCanHoldIsABadResponse) {
  const auto list_of = [](std::size_t queries, const std::string& first_text) {
    std::string body = R"({"queries":[)";
    for (std::size_t i = 0; i < queries; ++i)
      body += std::string(i ? "," : "") + R"({"queryId":"q)" + std::to_string(i) +
              R"(","queryString":")" + (i ? "x" : first_text) + R"("})";
    return body + "]}";
  };
  for (const std::string& first_text : {std::string("x"), std::string("bad \\ud800 text")}) {
    SCOPED_TRACE(first_text);
    const auto held =
        parse_status_body(list_of(kMaxStatusEntries, first_text), Language::opencypher);
    ASSERT_TRUE(held.ok()) << held.failure().describe();
    EXPECT_EQ(held.value().queries.size() + held.value().malformed.size(), kMaxStatusEntries);
    const auto refused =
        parse_status_body(list_of(kMaxStatusEntries + 1, first_text), Language::opencypher);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.failure().kind, FailureKind::bad_response);
    EXPECT_EQ(refused.failure().message,
              "status lists 20001 queries, more than Neptune can hold (20000)");
  }
}

TEST(ParseStatusBody, DocumentedSingleQueryBodyIsNotAList) {
  const std::string body = data("opencypher_single_query.json");
  Poco::JSON::Parser parser;
  const auto root = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(root->getValue<std::string>("queryId"), "eadc6eea-698b-4a2f-8554-5270ab17ebee");
  EXPECT_EQ(root->getValue<std::string>("queryString"), kLongCypher);
  EXPECT_EQ(root->getObject("queryEvalStats")->getValue<Poco::Int64>("elapsed"), 23463);
  const auto result = parse_status_body(body, Language::opencypher);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  EXPECT_TRUE(result.value().queries.empty());
  EXPECT_EQ(result.value().skipped_entries, 0u);
}

// "id: why" per malformed entry.
std::vector<std::string> malformed(const StatusSnapshot& s) {
  std::vector<std::string> out;
  for (const auto& m : s.malformed) out.push_back(m.id + ": " + m.why);
  return out;
}

const std::string kGoodA =
    R"({"queryId":"a","queryString":"MATCH (a) RETURN a","queryEvalStats":{"waited":0,"elapsed":700000,"cancelled":false}})";
const std::string kGoodC =
    R"({"queryId":"c","queryString":"MATCH (c) RETURN c","queryEvalStats":{"waited":5,"elapsed":0,"cancelled":false}})";
const Lines kGoodOnes = {"a|MATCH (a) RETURN a|700000|0|false", "c|MATCH (c) RETURN c|0|5|false"};

// One entry that cannot be read, between two that can: it is skipped (named when it has a
// usable queryId, counted otherwise), and the two others are read as they would be alone.
TEST(ParseStatusBody, AMalformedEntryIsSkippedAndTheOthersKept) {
  struct Row {
    const char* name;
    std::string entry;  // listed between a and c
    std::string why;    // the reason given for "b"; empty: skipped without a usable queryId
  } rows[] = {
      {"negative elapsed", R"({"queryId":"b","queryEvalStats":{"waited":0,"elapsed":-5}})",
       "queryEvalStats: 'elapsed' is negative"},
      {"negative waited", R"({"queryId":"b","queryEvalStats":{"waited":-1,"elapsed":5}})",
       "queryEvalStats: 'waited' is negative"},
      {"fractional elapsed", R"({"queryId":"b","queryEvalStats":{"elapsed":1.5}})",
       "queryEvalStats: 'elapsed' is not a whole number"},
      {"fractional waited", R"({"queryId":"b","queryEvalStats":{"waited":0.25}})",
       "queryEvalStats: 'waited' is not a whole number"},
      {"exponent elapsed", R"({"queryId":"b","queryEvalStats":{"elapsed":1e3}})",
       "queryEvalStats: 'elapsed' is not a whole number"},
      {"elapsed as a string", R"({"queryId":"b","queryEvalStats":{"elapsed":"23463"}})",
       "queryEvalStats: 'elapsed' is not a whole number"},
      {"boolean elapsed", R"({"queryId":"b","queryEvalStats":{"elapsed":true}})",
       "queryEvalStats: 'elapsed' is not a whole number"},
      {"elapsed beyond int64",
       R"({"queryId":"b","queryEvalStats":{"elapsed":18446744073709551615}})",
       "queryEvalStats: 'elapsed' is out of range"},
      {"elapsed past 64 bits",
       R"({"queryId":"b","queryEvalStats":{"elapsed":99999999999999999999999}})",
       "a number is out of range"},
      {"a number past 64 bits in an unknown field", R"({"queryId":"b","subqueries":1e400})",
       "a number is out of range"},
      {"cancelled a number", R"({"queryId":"b","queryEvalStats":{"cancelled":1}})",
       "queryEvalStats: 'cancelled' is not a boolean"},
      {"queryString a number", R"({"queryId":"b","queryString":7})", "queryString is not a string"},
      {"queryEvalStats an array", R"({"queryId":"b","queryEvalStats":[1]})",
       "queryEvalStats is not an object"},
      {"lone high surrogate in the text",
       R"({"queryId":"b","queryString":"MATCH (n) RETURN '\ud800'"})",
       "a string escapes a lone UTF-16 surrogate"},
      {"lone low surrogate in the text",
       R"({"queryId":"b","queryString":"\udc00 MATCH (n) RETURN n"})",
       "a string escapes a lone UTF-16 surrogate"},
      {"high surrogate before another character", R"({"queryId":"b","queryString":"\ud800\u0041"})",
       "a string escapes a lone UTF-16 surrogate"},
      {"invalid UTF-8 byte in the text",
       "{\"queryId\":\"b\",\"queryString\":\"MATCH (n) \xFF RETURN n\"}",
       "a string is not valid UTF-8"},
      {"UTF-8 encoded surrogate in the text",
       "{\"queryId\":\"b\",\"queryString\":\"\xED\xA0\x80\"}", "a string is not valid UTF-8"},
      {"overlong UTF-8 in the text", "{\"queryId\":\"b\",\"queryString\":\"\xC0\xAF\"}",
       "a string is not valid UTF-8"},
      {"UTF-8 cut short before the closing quote",
       "{\"queryId\":\"b\",\"queryString\":\"caf\xC3\"}", "a string is not valid UTF-8"},
      {"invalid UTF-8 in an unknown field", "{\"queryId\":\"b\",\"note\":\"\xFE\"}",
       "a string is not valid UTF-8"},
      {"invalid UTF-8 in a key", "{\"queryId\":\"b\",\"\xFF\":1}", "a string is not valid UTF-8"},
      {"a raw control character in the text", "{\"queryId\":\"b\",\"queryString\":\"MATCH\t(n)\"}",
       "a string holds an unescaped control character"},
      {"text after the stats, pretty-printed as Gremlin lists it",
       "{\n    \"queryId\" : \"b\",\n    \"queryEvalStats\" : {\n      \"elapsed\" : 900000\n    "
       "},\n"
       "    \"queryString\" : \"g.V().has('name', '\\ud800')\"\n  }",
       "a string escapes a lone UTF-16 surrogate"},
      {"the id found under an escaped key", "{\"quer\\u0079Id\":\"b\",\"queryString\":\"\xFF\"}",
       "a string is not valid UTF-8"},
      {"the last of two queryIds names it",
       "{\"queryId\":\"x\",\"queryId\":\"b\",\"queryString\":\"\xFF\"}",
       "a string is not valid UTF-8"},
      {"invalid UTF-8 in the queryId",
       "{\"queryId\":\"b\xFF\",\"queryEvalStats\":{\"elapsed\":900000}}", ""},
      {"a lone surrogate in the queryId",
       R"({"queryId":"b\ud800","queryEvalStats":{"elapsed":900000}})", ""},
      {"bad text and no queryId",
       "{\"queryString\":\"\xFF\",\"queryEvalStats\":{\"elapsed\":900000}}", ""},
      {"an empty queryId and bad text", R"({"queryId":"","queryString":"\ud800"})", ""},
      {"negative elapsed and no queryId", R"({"queryEvalStats":{"elapsed":-5}})", ""},
      {"a number", "42", ""},
      {"null", "null", ""},
      {"a string", R"("b")", ""},
      {"an array", R"([{"queryId":"b"}])", ""},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const std::string body = R"({"acceptedQueryCount":3,"runningQueryCount":2,"queries":[)" +
                             kGoodA + "," + row.entry + "," + kGoodC + "]}";
    const auto result = parse_status_body(body, Language::gremlin);
    ASSERT_TRUE(result.ok()) << result.failure().describe();
    const StatusSnapshot& s = result.value();
    EXPECT_EQ(s.language, Language::gremlin);
    EXPECT_EQ(s.accepted_count, 3);
    EXPECT_EQ(s.running_count, 2);
    EXPECT_EQ(summary(s), kGoodOnes);
    if (row.why.empty()) {
      EXPECT_EQ(s.skipped_entries, 1u);
      EXPECT_EQ(malformed(s), Lines{});
    } else {
      EXPECT_EQ(s.skipped_entries, 0u);
      EXPECT_EQ(malformed(s), Lines{"b: " + row.why});
    }
  }
}

TEST(ParseStatusBody, EveryMalformedEntryOfAListIsSkippedAndCounted) {
  // The documented captures of a bad entry, each alone in its list.
  const auto negative = parse_status_body(data("bad_negative_elapsed.json"), Language::opencypher);
  ASSERT_TRUE(negative.ok()) << negative.failure().describe();
  EXPECT_EQ(summary(negative.value()), Lines{});
  EXPECT_EQ(malformed(negative.value()),
            Lines{"55555555-0000-4000-8000-000000000001: queryEvalStats: 'elapsed' is negative"});
  const auto string = parse_status_body(data("bad_elapsed_string.json"), Language::opencypher);
  ASSERT_TRUE(string.ok()) << string.failure().describe();
  EXPECT_EQ(summary(string.value()), Lines{});
  EXPECT_EQ(
      malformed(string.value()),
      Lines{
          "66666666-0000-4000-8000-000000000001: queryEvalStats: 'elapsed' is not a whole number"});

  // A capture in Neptune's layout: a lone surrogate, bytes that are not UTF-8, a negative clock.
  const auto capture =
      parse_status_body(data("opencypher_list_malformed_entries.json"), Language::opencypher);
  ASSERT_TRUE(capture.ok()) << capture.failure().describe();
  EXPECT_EQ(capture.value().accepted_count, 4);
  EXPECT_EQ(summary(capture.value()),
            Lines{"77777777-0000-4000-8000-000000000004|MATCH (m) RETURN m|600000|0|false"});
  EXPECT_EQ(capture.value().skipped_entries, 0u);
  EXPECT_EQ(malformed(capture.value()),
            (Lines{"77777777-0000-4000-8000-000000000001: a string escapes a lone UTF-16 surrogate",
                   "77777777-0000-4000-8000-000000000002: a string is not valid UTF-8",
                   "77777777-0000-4000-8000-000000000003: queryEvalStats: 'elapsed' is negative"}));

  // Entries malformed in every way at once, in the layout Neptune uses, among readable ones.
  const std::string body =
      "{\n  \"acceptedQueryCount\" : 9,\n  \"runningQueryCount\" : 9,\n  \"queries\" : [ " +
      kGoodA +
      ", {\n    \"queryId\" : \"neg\",\n    \"queryEvalStats\" : { \"elapsed\" : -1 }\n  }, "
      "{\n    \"queryId\" : \"surrogate\",\n    \"queryString\" : \"RETURN '\\ud800'\"\n  }, "
      "{\n    \"queryId\" : \"utf8\",\n    \"queryString\" : \"RETURN '\xC3\x28'\"\n  }, "
      "{\n    \"queryId\" : \"big\",\n    \"queryEvalStats\" : { \"waited\" : "
      "99999999999999999999999 }\n  }, "
      "{\n    \"queryString\" : \"\xFF\"\n  }, " +
      kGoodC +
      ", "
      "{\n    \"queryId\" : \"frac\",\n    \"queryEvalStats\" : { \"elapsed\" : 0.5 }\n  } ]\n}";
  const auto result = parse_status_body(body, Language::opencypher);
  ASSERT_TRUE(result.ok()) << result.failure().describe();
  const StatusSnapshot& s = result.value();
  EXPECT_EQ(s.accepted_count, 9);
  EXPECT_EQ(summary(s), kGoodOnes);
  EXPECT_EQ(s.skipped_entries, 1u);
  EXPECT_EQ(malformed(s),
            (Lines{"neg: queryEvalStats: 'elapsed' is negative",
                   "surrogate: a string escapes a lone UTF-16 surrogate",
                   "utf8: a string is not valid UTF-8", "big: a number is out of range",
                   "frac: queryEvalStats: 'elapsed' is not a whole number"}));
}

TEST(ParseStatusBody, EveryMalformedBodyIsABadResponse) {
  struct Row {
    const char* name;
    std::string body;
    std::string message;  // empty: any parser message after "status body: "
  } rows[] = {
      {"truncated", data("bad_truncated.json"), ""},
      {"queries not an array", data("bad_queries_not_array.json"),
       "status body: 'queries' is not an array"},
      {"empty body", "", ""},
      {"whitespace only", "  \n", ""},
      {"plain text", "Invalid queryId (not a UUID): invalid-guid", ""},
      {"html from a proxy", "<html><body>502 Bad Gateway</body></html>", ""},
      {"trailing garbage", R"({"queries":[]} x)", ""},
      {"top-level array", "[]", "status body: not a JSON object"},
      {"top-level string", "\"ok\"", ""},
      {"top-level number", "200", ""},
      {"queries a string", R"({"queries":"none"})", "status body: 'queries' is not an array"},
      {"negative count", R"({"acceptedQueryCount":-1,"queries":[]})",
       "status body: 'acceptedQueryCount' is negative"},
      {"count a string", R"({"runningQueryCount":"1","queries":[]})",
       "status body: 'runningQueryCount' is not a whole number"},
      // What an entry may hold is no excuse outside the entries, nor for a broken structure.
      {"a count past 64 bits", R"({"acceptedQueryCount":99999999999999999999999,"queries":[]})",
       ""},
      {"invalid UTF-8 outside the list", "{\"note\":\"\xFF\",\"queries\":[" + kGoodA + "]}", ""},
      {"a lone surrogate in a top-level key", R"({"\ud800":1,"queries":[{"queryId":"a"}]})", ""},
      {"invalid UTF-8 between tokens", "{\"queries\":[" + kGoodA + "]\xFF}", ""},
      {"a bad entry in a truncated body",
       "{\"queries\":[{\"queryId\":\"b\",\"queryString\":\"\xFF\"},{\"queryId\":\"c\"", ""},
      {"a bad entry and a missing comma",
       "{\"queries\":[{\"queryId\":\"b\",\"queryString\":\"\xFF\"} {\"queryId\":\"c\"}]}", ""},
      {"a bad entry and an unclosed string",
       "{\"queries\":[{\"queryId\":\"b\",\"queryString\":\"\xFF}]}", ""},
      {"a bad entry and a bad escape",
       "{\"queries\":[{\"queryId\":\"b\",\"queryString\":\"\xFF \\x41\"}]}", ""},
      {"a bad entry and a short unicode escape",
       R"({"queries":[{"queryId":"b","queryString":"\ud800 \u41"}]})", ""},
      {"a bad entry and a bad number",
       "{\"queries\":[{\"queryId\":\"b\",\"queryString\":\"\xFF\",\"x\":01}]}", ""},
      {"a bad entry in queries that is not an array",
       "{\"queries\":{\"queryId\":\"b\",\"queryString\":\"\xFF\"}}", ""},
      {"a bad entry nested deeper than any parser goes",
       "{\"queries\":[{\"queryId\":\"b\",\"queryString\":\"\xFF\",\"x\":" + std::string(200, '[') +
           std::string(200, ']') + "}]}",
       ""},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto result = parse_status_body(row.body, Language::opencypher);
    if (result.ok()) {
      ADD_FAILURE() << "accepted a malformed body";
      continue;
    }
    const Failure& f = result.failure();
    EXPECT_EQ(f.kind, FailureKind::bad_response);
    EXPECT_EQ(f.http_status, 200);
    EXPECT_EQ(f.code, "");
    if (row.message.empty()) {
      EXPECT_EQ(f.message.rfind("status body: ", 0), 0u) << f.message;
      EXPECT_GT(f.message.size(), std::string("status body: ").size());
    } else {
      EXPECT_EQ(f.message, row.message);
    }
  }
}

// What Poco's reading says of a body that is not JSON: the refusal every reading must give it.
std::string poco_refusal(const std::string& body) {
  try {
    Poco::JSON::Parser parser;
    parser.parse(body);
  } catch (const Poco::Exception& e) {
    return "status body: " + e.displayText();
  } catch (const std::exception& e) {
    return std::string("status body: ") + e.what();
  }
  return "Poco accepts the body";
}

// The list is read without a DOM of the whole body, and such a reading parses a value only
// when it is read. Every value must still be validated wherever it is (unknown fields, nested
// values, after the root), and a repeated key read as the other readings read it (its last
// occurrence): each body reads, or is refused with Poco's words, as a whole-body reading would.
// Each body is also read where it is, as an answer with padding is.
TEST(ParseStatusBody, EveryValueIsValidatedWhereverItIs) {
  struct Row {
    Row(const char* name, std::string body, Lines queries, Lines malformed = {},
        std::size_t skipped = 0, std::int64_t accepted = 0)
        : name(name),
          body(std::move(body)),
          queries(std::move(queries)),
          malformed(std::move(malformed)),
          skipped(skipped),
          accepted(accepted) {}
    const char* name;
    std::string body;
    Lines queries;    // kRefused: refused, with the words Poco's reading gives
    Lines malformed;  // "id: why"
    std::size_t skipped;
    std::int64_t accepted;
  };
  const Lines kRefused = {"(refused)"};
  const auto entry_with = [](const std::string& field) {
    return R"({"queries":[{"queryId":"a",)" + field + "}]}";
  };
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  std::string deep_object;
  for (int i = 0; i < 40; ++i) deep_object += R"({"a":)";
  deep_object += "1" + std::string(40, '}');
  const Row rows[] = {
      // Unknown fields, read and thrown away.
      {"unknown fields with nested values",
       R"({"queries":[{"queryId":"a","x":{"y":[1,{"z":null}],"w":"s\u00e9"},)"
       R"("queryEvalStats":{"elapsed":5,"extra":[[]]}}],"meta":{"k":[true,false,-1.5e3]}})",
       {"a||5|0|false"}},
      {"unknown values nested 40 deep",
       R"({"x":)" + deep_object + R"(,"queries":[)" + deep + R"(,{"queryId":"a","y":)" + deep +
           "}]}",
       {"a||0|0|false"},
       {},
       1},
      {"a number past 64 bits in an unknown field",
       entry_with(R"("x":1e400)"),
       {},
       {"a: a number is out of range"}},
      {"a 20-digit number in an unknown field",
       entry_with(R"("x":99999999999999999999)"),
       {},
       {"a: a number is out of range"}},
      {"a lone surrogate in an unknown field",
       entry_with(R"("x":{"y":["\ud800"]})"),
       {},
       {"a: a string escapes a lone UTF-16 surrogate"}},
      // Invalid JSON inside unknown fields: refused as Poco refuses it.
      {"a trailing comma in an unknown array", entry_with(R"("x":{"y":[1,]})"), kRefused},
      {"a trailing comma in an unknown object", entry_with(R"("x":{"a":1,})"), kRefused},
      {"a missing colon in an unknown object", entry_with(R"("x":{"a" 1})"), kRefused},
      {"a missing comma in an unknown array", entry_with(R"("x":[1 2])"), kRefused},
      {"a leading comma in an unknown array", entry_with(R"("x":[,1])"), kRefused},
      {"a key that is not a string", entry_with(R"("x":{1:2})"), kRefused},
      {"a member without a value", entry_with(R"("x":{"a":})"), kRefused},
      {"crossed brackets", entry_with(R"("x":[}])"), kRefused},
      {"a misspelt true", entry_with(R"("x":tru)"), kRefused},
      {"a misspelt null", entry_with(R"("x":nul)"), kRefused},
      {"null followed by letters", entry_with(R"("x":nullx)"), kRefused},
      {"false followed by letters", entry_with(R"("x":falsey)"), kRefused},
      {"a leading zero", entry_with(R"("x":01)"), kRefused},
      {"a lone minus", entry_with(R"("x":-)"), kRefused},
      {"a fraction without digits", entry_with(R"("x":1.)"), kRefused},
      {"a number starting with a dot", entry_with(R"("x":.5)"), kRefused},
      {"an exponent without digits", entry_with(R"("x":1e)"), kRefused},
      {"a plus sign", entry_with(R"("x":+1)"), kRefused},
      {"a bad escape", entry_with(R"("x":"\x")"), kRefused},
      {"a short unicode escape", entry_with(R"("x":"\u12")"), kRefused},
      {"a bad escape in an unknown key", entry_with(R"("\q":1)"), kRefused},
      {"a bad escape outside the list", R"({"x":"\q","queries":[{"queryId":"a"}]})", kRefused},
      {"a trailing comma outside the list", R"({"x":[1,],"queries":[{"queryId":"a"}]})", kRefused},
      {"a 20-digit count-like number outside the list",
       R"({"x":99999999999999999999,"queries":[]})", kRefused},
      {"a clock followed by letters", entry_with(R"("queryEvalStats":{"elapsed":5x})"), kRefused},
      {"a trailing comma in the stats", entry_with(R"("queryEvalStats":{"elapsed":5,})"), kRefused},
      {"a trailing comma in an entry", R"({"queries":[{"queryId":"a",}]})", kRefused},
      {"a missing comma between entries", R"({"queries":[{"queryId":"a"}{"queryId":"b"}]})",
       kRefused},
      {"a trailing comma in the list", R"({"queries":[{"queryId":"a"},]})", kRefused},
      {"a trailing comma in the root", R"({"queries":[{"queryId":"a"}],})", kRefused},
      {"a leading comma in the root", R"({,"queries":[]})", kRefused},
      // Nothing may follow the root.
      {"garbage after the root", R"({"queries":[{"queryId":"a"}]} x)", kRefused},
      {"a second object after the root", R"({"queries":[{"queryId":"a"}]} {"queries":[]})",
       kRefused},
      {"a second object glued to the root", R"({"queries":[]}{})", kRefused},
      {"a closing brace after the root", R"({"queries":[]}})", kRefused},
      {"a closing bracket after the root", R"({"queries":[]}])", kRefused},
      {"a string after the root", R"({"queries":[]} "s")", kRefused},
      {"a number after the root", R"({"queries":[]} 1)", kRefused},
      {"null after the root", R"({"queries":[]} null)", kRefused},
      {"whitespace after the root", "{\"queries\":[{\"queryId\":\"a\"}]}\n\r\t ", {"a||0|0|false"}},
      // A repeated key: its last occurrence counts, as Poco and the whole-body reading keep it.
      {"repeated fields of an entry",
       R"({"queries":[{"queryId":"x","queryId":"a","queryString":"p","queryString":"q",)"
       R"("queryEvalStats":{"elapsed":1},"queryEvalStats":{"waited":2}}]})",
       {"a|q|0|2|false"}},
      {"a repeated clock, the last negative",
       entry_with(R"("queryEvalStats":{"elapsed":1,"elapsed":-1})"),
       {},
       {"a: queryEvalStats: 'elapsed' is negative"}},
      {"a repeated clock, the first negative",
       entry_with(R"("queryEvalStats":{"elapsed":-1,"elapsed":1})"),
       {"a||1|0|false"}},
      {"stats replaced by null",
       entry_with(R"("queryEvalStats":{"elapsed":-1},"queryEvalStats":null)"),
       {"a||0|0|false"}},
      {"stats of the wrong type replaced",
       entry_with(R"("queryEvalStats":7,"queryEvalStats":{"elapsed":3})"),
       {"a||3|0|false"}},
      {"a queryId replaced by an empty one",
       R"({"queries":[{"queryId":"a","queryId":""}]})",
       {},
       {},
       1},
      {"a repeated list",
       R"({"queries":[{"queryId":"a"}],"queries":[{"queryId":"b"}]})",
       {"b||0|0|false"}},
      {"a list replaced by null", R"({"queries":[{"queryId":"a"}],"queries":null})", {}, {}, 0},
      {"a repeated count",
       R"({"acceptedQueryCount":-1,"acceptedQueryCount":3,"queries":[]})",
       {},
       {},
       0,
       3},
      // Numbers at the edges of 64 bits, and other readings of the clocks.
      {"the largest clock",
       entry_with(R"("queryEvalStats":{"elapsed":9223372036854775807})"),
       {"a||9223372036854775807|0|false"}},
      {"a clock just past int64",
       entry_with(R"("queryEvalStats":{"elapsed":9223372036854775808})"),
       {},
       {"a: queryEvalStats: 'elapsed' is out of range"}},
      {"a clock past 64 bits",
       entry_with(R"("queryEvalStats":{"elapsed":100000000000000000000000000000})"),
       {},
       {"a: a number is out of range"}},
      {"a negative zero clock", entry_with(R"("queryEvalStats":{"elapsed":-0})"), {"a||0|0|false"}},
      {"the most negative clock",
       entry_with(R"("queryEvalStats":{"elapsed":-9223372036854775808})"),
       {},
       {"a: queryEvalStats: 'elapsed' is negative"}},
      {"a clock with an exponent",
       entry_with(R"("queryEvalStats":{"elapsed":1E2})"),
       {},
       {"a: queryEvalStats: 'elapsed' is not a whole number"}},
      {"a clock of 0.0",
       entry_with(R"("queryEvalStats":{"elapsed":0.0})"),
       {},
       {"a: queryEvalStats: 'elapsed' is not a whole number"}},
      {"cancelled as string true",
       entry_with(R"("queryEvalStats":{"cancelled":"true"})"),
       {"a||0|0|true"}},
      {"cancelled as string TRUE",
       entry_with(R"("queryEvalStats":{"cancelled":"TRUE"})"),
       {"a||0|0|true"}},
      {"cancelled as an escaped string true",
       entry_with(R"("queryEvalStats":{"cancelled":"tru\u0065"})"),
       {"a||0|0|true"}},
      {"cancelled as string yes",
       entry_with(R"("queryEvalStats":{"cancelled":"yes"})"),
       {},
       {"a: queryEvalStats: 'cancelled' is not a boolean"}},
      {"cancelled null", entry_with(R"("queryEvalStats":{"cancelled":null})"), {"a||0|0|false"}},
      // Escapes in keys and values.
      {"escaped keys",
       R"({"quer\u0069es":[{"quer\u0079Id":"a","queryStrin\u0067":"x\ty"}]})",
       {"a|x\ty|0|0|false"}},
      {"every escape in the text",
       entry_with(R"("queryString":"\\\"\/\b\f\n\r\t\u00e9\ud83d\ude00")"),
       {"a|\\\"/\b\f\n\r\t\xC3\xA9\xF0\x9F\x98\x80|0|0|false"}},
      {"a text ending in an escaped backslash",
       entry_with(R"("queryString":"x\\")"),
       {"a|x\\|0|0|false"}},
      {"an escaped quote before the end",
       entry_with(R"("queryString":"say \"hi\"")"),
       {"a|say \"hi\"|0|0|false"}},
      {"entries that are not objects",
       R"({"queries":[1,"s",null,true,[],{},{"queryId":"a"}]})",
       {"a||0|0|false"},
       {},
       6},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    std::string answer = row.body;
    answer.reserve(answer.size() + 64);
    for (const auto& result : {parse_status_body(row.body, Language::opencypher),
                               parse_status_answer(answer, Language::opencypher)}) {
      if (row.queries == kRefused) {
        ASSERT_FALSE(result.ok()) << "accepted a body Poco refuses";
        EXPECT_EQ(result.failure().kind, FailureKind::bad_response);
        EXPECT_EQ(result.failure().message, poco_refusal(row.body));
        continue;
      }
      ASSERT_TRUE(result.ok()) << result.failure().describe();
      EXPECT_EQ(summary(result.value()), row.queries);
      EXPECT_EQ(malformed(result.value()), row.malformed);
      EXPECT_EQ(result.value().skipped_entries, row.skipped);
      EXPECT_EQ(result.value().accepted_count, row.accepted);
    }
  }
}

// "ok a= r= skipped= | queries | malformed" or "refused: message".
std::string outcome(const Result<StatusSnapshot>& result) {
  if (!result.ok()) return "refused: " + result.failure().message;
  const StatusSnapshot& s = result.value();
  std::string out = "ok a=" + std::to_string(s.accepted_count) +
                    " r=" + std::to_string(s.running_count) +
                    " skipped=" + std::to_string(s.skipped_entries);
  for (const std::string& q : summary(s)) out += " | " + q;
  for (const std::string& m : malformed(s)) out += " | malformed " + m;
  return out;
}

// The fast reading and the slower ones (entry by entry, then Poco) agree on every body: a body
// given a first, empty `queries` member reads as the body itself (the last of a repeated key
// counts), but the fast reading leaves a repeated list to the others: the two must read the
// same, or both refuse. Bodies: good ones with
// bytes deleted, inserted or replaced, a few at a time (a fixed seed: the same bodies on every
// run).
TEST(ParseStatusBody, TheFastAndTheSlowerReadingsAgreeOnAnyBody) {
  const std::string seeds[] = {
      R"({"acceptedQueryCount":3,"runningQueryCount":2,"queries":[)" + kGoodA + "," + kGoodC + "]}",
      R"({"queries":[{"queryId":"b","queryString":"q\u00e9\n\"x\"","queryEvalStats":{"waited":5,)"
      R"("elapsed":0,"cancelled":"True","subqueries":{"x":[1,2.5,null,true]}}},)"
      R"({"queryId":"c","extra":[{"k":"v"},[]]},7,null],"meta":{"n":-1e3}})",
      data("gremlin_list.json"),
      data("sparql_list.json"),
      data("opencypher_list_extra_fields_64bit.json"),
      data("opencypher_list_malformed_entries.json"),
  };
  const std::string pieces[] = {"{",
                                "}",
                                "[",
                                "]",
                                ",",
                                ":",
                                "\"",
                                "\\",
                                " ",
                                "1",
                                "-",
                                ".",
                                "e",
                                "0",
                                "n",
                                "t",
                                "x",
                                "\xFF",
                                "\"a\"",
                                "null",
                                "true",
                                "\\u",
                                "\\ud800",
                                "\"queryId\"",
                                "\"elapsed\"",
                                "{\"queryId\":\"z\"}",
                                "99999999999999999999"};
  std::mt19937 random(20261205);
  const auto pick = [&random](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  std::size_t compared = 0, read = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string body = seeds[pick(std::size(seeds))];
    for (std::size_t edits = 1 + pick(3); edits > 0; --edits) {
      const std::size_t at = pick(body.size() + 1);
      const std::string& piece = pieces[pick(std::size(pieces))];
      switch (pick(3)) {
        case 0:
          body.erase(at, 1 + pick(3));
          break;
        case 1:
          body.insert(at, piece);
          break;
        default:
          body.replace(at, 1, piece);
      }
    }
    const std::size_t open = body.find_first_not_of(" \t\r\n");
    if (open == std::string::npos || body[open] != '{') continue;
    std::string slower = body;
    slower.insert(open + 1, "\"queries\":[],");
    SCOPED_TRACE(body);
    const std::string fast = outcome(parse_status_body(body, Language::opencypher));
    const std::string slow = outcome(parse_status_body(slower, Language::opencypher));
    // A refusal may be worded otherwise: Poco's words depend on where the fault is, and the
    // added member moves it (EveryValueIsValidatedWhereverItIs checks the words).
    if (fast.rfind("refused", 0) == 0)
      ASSERT_EQ(slow.rfind("refused", 0), 0u) << slow;
    else
      ASSERT_EQ(fast, slow);
    ++compared;
    read += fast.rfind("ok", 0) == 0;
  }
  // The edits leave enough bodies readable, and enough refused, for the comparison to mean
  // something.
  EXPECT_GT(compared, 2000u);
  EXPECT_GT(read, compared / 5);
  EXPECT_LT(read, compared * 4 / 5);
}

// A single-query answer has nothing else to act on: an entry for the query that cannot be read
// is no answer (a bad_response, never "the query ended"), while a malformed entry of another
// query in a status list does not hide the one asked for.
TEST(ParseQueryStatusBody, AMalformedEntryOfTheQueryIsABadResponse) {
  const std::string q1 =
      R"({"queryId":"q1","queryString":"MATCH (n) RETURN n","queryEvalStats":{"elapsed":1203}})";
  struct Row {
    const char* name;
    std::string body;
    Language language;
    std::string refusal;  // empty: the query's status, read; "*": any bad_response
  } rows[] = {
      {"readable", q1, Language::opencypher, ""},
      {"negative elapsed", R"({"queryId":"q1","queryEvalStats":{"elapsed":-5}})",
       Language::opencypher,
       "status body: the query's entry is malformed: queryEvalStats: 'elapsed' is negative"},
      {"fractional elapsed", R"({"queryId":"q1","queryEvalStats":{"elapsed":2.5}})",
       Language::gremlin,
       "status body: the query's entry is malformed: queryEvalStats: 'elapsed' is not a whole "
       "number"},
      {"a lone surrogate in the text", R"({"queryId":"q1","queryString":"\ud800"})",
       Language::opencypher,
       "status body: the query's entry is malformed: a string escapes a lone UTF-16 surrogate"},
      {"invalid UTF-8 in the text", "{\"queryId\":\"q1\",\"queryString\":\"\xFF\"}",
       Language::opencypher,
       "status body: the query's entry is malformed: a string is not valid UTF-8"},
      {"a malformed entry of another query", R"({"queryId":"q2","queryEvalStats":{"elapsed":-5}})",
       Language::opencypher,
       "status body: the reply is about another query than the one asked for"},
      {"invalid UTF-8 in the queryId",
       "{\"queryId\":\"q1\xFF\",\"queryEvalStats\":{\"elapsed\":5}}", Language::opencypher,
       "status body: not the status of a query"},
      {"a status list where the query is malformed",
       R"({"queries":[{"queryId":"q1","queryString":"\ud800","queryEvalStats":{"elapsed":900000}}]})",
       Language::sparql,
       "status body: the query's entry is malformed: a string escapes a lone UTF-16 surrogate"},
      {"a status list where another query is malformed",
       "{\"queries\":[{\"queryId\":\"q2\",\"queryString\":\"\xFF\"}," + q1 + "]}", Language::sparql,
       ""},
      {"a bad entry that wrapping would join to another",
       "{\"queryId\":\"q2\",\"queryString\":\"\xFF\"}," + q1, Language::opencypher, "*"},
      {"a bad entry that wrapping would mend", "{\"queryId\":\"q1\",\"queryString\":\"\xFF\"}]}",
       Language::opencypher, "*"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto got = parse_query_status_body(row.body, "q1", row.language);
    if (row.refusal.empty()) {
      ASSERT_TRUE(got.ok()) << got.failure().describe();
      EXPECT_EQ(got.value().id, "q1");
      EXPECT_EQ(got.value().elapsed_ms, 1203);
      continue;
    }
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.failure().kind, FailureKind::bad_response);
    if (row.refusal != "*") {
      EXPECT_EQ(got.failure().message, row.refusal);
    }
  }
}

TEST(ParseErrorBody, ReadsNeptuneErrorObjects) {
  struct Row {
    const char* name;
    std::string body;
    bool parsed;
    const char* code;
    const char* message;
    const char* request_id;
  } rows[] = {
      {"documented ReadOnlyViolationException", data("error_read_only_violation.json"), true,
       "ReadOnlyViolationException",
       "The request is rejected because it violates some read-only restriction, such as a "
       "designation of a replica as "
       "read-only.",
       "0dbcded3-a9a1-4a25-b419-828c46342e47"},
      {"documented CancelledByUserException", data("error_cancelled_by_user.json"), true,
       "CancelledByUserException", "Operation terminated (cancelled by user)",
       "4d5c4fae-aa30-41cf-9e1f-91e6b7dd6f47"},
      {"documented openCypher unknown queryId", data("error_opencypher_invalid_query_id.json"),
       true, "InvalidParameterException",
       "Supplied queryId ac7d5a03-00cf-4280-b464-edbcbf51ffce is invalid", ""},
      {"compact TooManyRequests",
       R"({"requestId":"r","code":"TooManyRequestsException","detailedMessage":"slow down"})", true,
       "TooManyRequestsException", "slow down", "r"},
      {"code only", R"({"code":"ThrottlingException"})", true, "ThrottlingException", "", ""},
      {"message not a string", R"({"code":"X","detailedMessage":5,"requestId":7})", true, "X", "",
       ""},
      {"extra fields", R"({"code":"X","detailedMessage":"m","requestId":"r","extra":{"a":[1]}})",
       true, "X", "m", "r"},
      {"documented SPARQL plain-text 400", data("sparql_invalid_query_id.txt"), false, "", "", ""},
      {"empty body", "", false, "", "", ""},
      {"html", "<html><body>403 Forbidden</body></html>", false, "", "", ""},
      {"truncated json", R"({"code":"Throttl)", false, "", "", ""},
      {"array", R"([{"code":"X"}])", false, "", "", ""},
      {"no code", R"({"message":"Forbidden"})", false, "", "", ""},
      {"code not a string", R"({"code":500,"detailedMessage":"x"})", false, "", "", ""},
      {"a status list is not an error", data("gremlin_list.json"), false, "", "", ""},
      {"documented SPARQL silent-cancel result", data("sparql_silent_cancel_result.json"), false,
       "", "", ""},
      {"documented cancel reply", data("opencypher_cancel_ok.json"), false, "", "", ""},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto e = parse_error_body(row.body);
    EXPECT_EQ(e.has_value(), row.parsed);
    if (!e || !row.parsed) continue;
    EXPECT_EQ(e->code, row.code);
    EXPECT_EQ(e->message, row.message);
    EXPECT_EQ(e->request_id, row.request_id);
  }
}

TEST(ParseErrorBody, DocumentedBodiesClassify) {
  struct Row {
    const char* name;
    std::string body;
    int status;
    bool is_cancel;
    FailureKind kind;
    bool retryable;
    const char* describe;
  } rows[] = {
      {"read-only violation", data("error_read_only_violation.json"), 400, false,
       FailureKind::neptune_error, false,
       "ReadOnlyViolationException (HTTP 400): The request is rejected because it violates some "
       "read-only "
       "restriction, such as a designation of a replica as read-only."},
      {"cancelled by user", data("error_cancelled_by_user.json"), 500, false,
       FailureKind::neptune_error, false,
       "CancelledByUserException (HTTP 500): Operation terminated (cancelled by user)"},
      {"unknown id on cancel: already ended", data("error_opencypher_invalid_query_id.json"), 400,
       true, FailureKind::query_not_found, false,
       "InvalidParameterException (HTTP 400): Supplied queryId "
       "ac7d5a03-00cf-4280-b464-edbcbf51ffce is invalid"},
      {"unknown id on status request", data("error_opencypher_invalid_query_id.json"), 400, false,
       FailureKind::neptune_error, false,
       "InvalidParameterException (HTTP 400): Supplied queryId "
       "ac7d5a03-00cf-4280-b464-edbcbf51ffce is invalid"},
      {"SPARQL plain-text 400 on cancel", data("sparql_invalid_query_id.txt"), 400, true,
       FailureKind::neptune_error, false, "error (HTTP 400)"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto e = parse_error_body(row.body);
    const Failure f =
        classify_neptune_error(row.status, e ? e->code : "", e ? e->message : "", row.is_cancel);
    EXPECT_EQ(f.kind, row.kind);
    EXPECT_EQ(is_retryable(f), row.retryable);
    EXPECT_EQ(f.describe(), row.describe);
  }
}

TEST(ParseCancelReply, OnlyAnAcknowledgementCounts) {
  struct Row {
    const char* name;
    std::string body;
    std::string refusal;  // empty: acknowledged
  } rows[] = {
      {"documented openCypher reply", data("opencypher_cancel_ok.json"), ""},
      {"compact payload true", R"({"status":"200 OK","payload":true})", ""},
      {"gremlin: no payload", R"({"status":"200 OK"})", ""},
      {"payload false", R"({"status":"200 OK","payload":false})",
       "reply payload is false, not true"},
      {"pretty payload false", "{\n  \"status\" : \"200 OK\",\n  \"payload\" : false\n}",
       "reply payload is false, not true"},
      {"payload as a string", R"({"status":"200 OK","payload":"true"})",
       "reply payload is true, not true"},
      {"empty object", "{}", "reply has neither payload true nor status 200"},
      {"a status list", data("sparql_list.json"), "reply has neither payload true nor status 200"},
      {"array", "[]", "reply is not a JSON object"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto result = parse_cancel_reply(row.body);
    EXPECT_EQ(result.ok(), row.refusal.empty());
    if (result.ok()) continue;
    EXPECT_EQ(result.failure().kind, FailureKind::bad_response);
    EXPECT_EQ(result.failure().http_status, 200);
    EXPECT_EQ(result.failure().message, "cancel not acknowledged: " + row.refusal);
  }
}

TEST(ParseCancelReply, BodiesThatAreNotJsonAreRefused) {
  for (const std::string body : {"", "OK", "<html>proxy</html>", R"({"status":"200 OK","payl)"}) {
    SCOPED_TRACE(body);
    const auto result = parse_cancel_reply(body);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().kind, FailureKind::bad_response);
    EXPECT_EQ(result.failure().message.rfind("cancel not acknowledged: reply is not", 0), 0u)
        << result.failure().message;
  }
}

}  // namespace
}  // namespace nw
