#include "nw/sim/neptune_json.h"

#include <iterator>

#include "nw/sim/pretty_json.h"

namespace nw::sim {
namespace {

// Length in bytes of the UTF-8 sequence that starts with `lead`, or 1 for a byte that
// cannot start one (counted as one unit, kept as is).
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// The bad_numbers turns: {elapsed, waited}.
struct BadClocks {
  std::string_view elapsed;
  std::string_view waited;
};
constexpr BadClocks kBadClocks[] = {
    {kOverflowingNumber, "-1"},
    {"-1000", kOverflowingNumber},
    {"9223372036854775808", "-9223372036854775809"},
};

// `bad`: the clocks to write instead of the query's own.
void write_eval_stats(PrettyJsonWriter& json, const QueryView& query, Language language,
                      const BadClocks* bad) {
  json.key("queryEvalStats").begin_object();
  if (language == Language::sparql)
    json.key("subqueries").number(0);
  else if (bad)
    json.key("waited").raw_number(bad->waited);
  else
    json.key("waited").number(query.waited_ms);
  if (bad)
    json.key("elapsed").raw_number(bad->elapsed);
  else
    json.key("elapsed").number(query.elapsed_ms);
  json.key("cancelled").boolean(false);
  json.end_object();
}

void write_query(PrettyJsonWriter& json, const QueryView& query, Language language,
                 const BadClocks* bad = nullptr) {
  json.begin_object();
  json.key("queryId").string(query.id);
  if (language == Language::opencypher) {
    json.key("queryString").string(truncate_query_string(query.text));
    write_eval_stats(json, query, language, bad);
  } else {
    write_eval_stats(json, query, language, bad);
    json.key("queryString").string(truncate_query_string(query.text));
  }
  json.end_object();
}

// An entry of the malformed_entries quirk: `quoted_text` is queryString's JSON as written
// (quotes and escapes included), `elapsed` the number's digits; laid out as write_query does.
void write_raw_entry(PrettyJsonWriter& json, Language language, std::string_view id,
                     std::string_view quoted_text, std::string_view elapsed) {
  const auto stats = [&] {
    json.key("queryEvalStats").begin_object();
    if (language == Language::sparql)
      json.key("subqueries").number(0);
    else
      json.key("waited").number(0);
    json.key("elapsed").raw_number(elapsed);
    json.key("cancelled").boolean(false);
    json.end_object();
  };
  json.begin_object();
  json.key("queryId").string(id);
  if (language == Language::opencypher) {
    json.key("queryString").raw_string(quoted_text);
    stats();
  } else {
    stats();
    json.key("queryString").raw_string(quoted_text);
  }
  json.end_object();
}

void write_malformed_entries(PrettyJsonWriter& json, Language language) {
  write_raw_entry(json, language, kMalformedEntryIds[0],
                  json_quote("MATCH (n) RETURN n /* elapsed is negative */"), "-3600000");
  write_raw_entry(json, language, kMalformedEntryIds[1],
                  "\"MATCH (n) RETURN '\\ud800' /* a lone surrogate */\"", "3600000");
  write_raw_entry(json, language, kMalformedEntryIds[2],
                  json_quote("MATCH (n) RETURN '\xC3\x28' /* not UTF-8 */"), "3600000");
}

}  // namespace

std::string truncate_query_string(std::string_view text) {
  std::size_t units = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t len = sequence_length(static_cast<unsigned char>(text[pos]));
    if (pos + len > text.size()) len = 1;        // a truncated sequence at the very end
    const std::size_t width = len == 4 ? 2 : 1;  // a surrogate pair in UTF-16
    if (units + width > kQueryStringLimit) break;
    units += width;
    pos += len;
  }
  return std::string(text.substr(0, pos));
}

std::string query_list_body(const WorkloadSnapshot& snapshot, Language language,
                            const ListQuirks& quirks) {
  PrettyJsonWriter json;
  json.begin_object();
  json.key("acceptedQueryCount")
      .number(language == Language::sparql ? snapshot.accepted_since_start
                                           : snapshot.accepted_count);
  json.key("runningQueryCount").number(snapshot.running_count);
  json.key("queries").begin_array();
  if (quirks.malformed_entries) write_malformed_entries(json, language);
  std::size_t turn = 0;
  const auto write = [&](const QueryView& query) {
    const BadClocks* bad =
        quirks.bad_numbers ? &kBadClocks[turn++ % std::size(kBadClocks)] : nullptr;
    write_query(json, query, language, bad);
  };
  for (const QueryView& query : snapshot.queries) write(query);
  if (quirks.duplicate_ids) {
    for (std::size_t i = 0; i < snapshot.queries.size(); i += 2) write(snapshot.queries[i]);
  }
  json.end_array();
  json.end_object();
  return json.str();
}

std::string query_status_body(const QueryView& query, Language language, const ListQuirks& quirks) {
  PrettyJsonWriter json;
  write_query(json, query, language, quirks.bad_numbers ? &kBadClocks[0] : nullptr);
  return json.str();
}

std::string cancel_success_body() {
  PrettyJsonWriter json;
  json.begin_object().key("status").string("200 OK").key("payload").boolean(true).end_object();
  return json.str();
}

std::string gremlin_cancel_success_body() {
  PrettyJsonWriter json;
  json.begin_object().key("status").string("200 OK").end_object();
  return json.str();
}

std::string error_body(std::string_view request_id, std::string_view code,
                       std::string_view message) {
  return "{\"requestId\":" + json_quote(request_id) + ",\"code\":" + json_quote(code) +
         ",\"detailedMessage\":" + json_quote(message) + "}";
}

}  // namespace nw::sim
