#pragma once
// The bodies of Neptune's status endpoints, byte for byte as far as the documentation
// shows them (the Neptune user guide's status servlets and error format). Each query object is laid
// out as that language's page shows it:
//   openCypher  queryId, queryString, queryEvalStats {waited, elapsed, cancelled}
//   Gremlin     queryId, queryEvalStats {waited, elapsed, cancelled}, queryString
//   SPARQL      queryId, queryEvalStats {subqueries, elapsed, cancelled}, queryString
// and SPARQL's acceptedQueryCount counts every query accepted since the start.
#include <cstddef>
#include <string>
#include <string_view>

#include "nw/sim/workload.h"

namespace nw::sim {

// Neptune cuts `queryString` at 1024 characters. Its characters are Java's UTF-16 code
// units; a character outside the BMP that would straddle the cut is dropped whole so
// the result stays valid UTF-8. Invalid UTF-8 bytes count as one unit each.
inline constexpr std::size_t kQueryStringLimit = 1024;
std::string truncate_query_string(std::string_view text);

// Deliberate oddities in status bodies, for the strange-list faults: still JSON in
// structure, but not what a careful client may take at face value.
struct ListQuirks {
  // Every other query (the 1st, 3rd, ...) is listed a second time, after all the others,
  // under the same queryId and with the same clocks.
  bool duplicate_ids = false;
  // Each query's elapsed and waited become, in turn: 99999999999999999999999 and -1;
  // -1000 and 99999999999999999999999; 9223372036854775808 (2^63) and
  // -9223372036854775809. (SPARQL has no waited; its elapsed takes the same turns.)
  bool bad_numbers = false;
  // Three entries that a careful client cannot read are listed ahead of the others, each
  // malformed in one way: elapsed negative (-3600000); a lone surrogate (\ud800) escaped in
  // queryString; bytes that are not UTF-8 in queryString. Their ids are kMalformedEntryIds, in
  // that order; the last two claim an hour of elapsed time, so that a client that read them
  // anyway would find them over its limits. They are not in the workload: a cancel of one is
  // answered as for any unknown id.
  bool malformed_entries = false;
};

// The number past 64 bits in bad_numbers bodies.
inline constexpr std::string_view kOverflowingNumber = "99999999999999999999999";

// The queryIds of the malformed_entries entries.
inline constexpr std::string_view kMalformedEntryIds[] = {
    "badc0de0-0000-4000-8000-000000000001",  // elapsed is negative
    "badc0de0-0000-4000-8000-000000000002",  // a lone surrogate in queryString
    "badc0de0-0000-4000-8000-000000000003",  // queryString is not UTF-8
};

// GET /opencypher/status: acceptedQueryCount, runningQueryCount, queries.
std::string query_list_body(const WorkloadSnapshot& snapshot,
                            Language language = Language::opencypher,
                            const ListQuirks& quirks = {});
// GET /opencypher/status/{id}: queryId, queryString, queryEvalStats. (Only bad_numbers
// applies to one query.)
std::string query_status_body(const QueryView& query, Language language = Language::opencypher,
                              const ListQuirks& quirks = {});
// A successful openCypher cancel: {"status" : "200 OK", "payload" : true}, pretty-printed.
std::string cancel_success_body();
// A successful Gremlin cancel: {"status" : "200 OK"} with no payload, pretty-printed.
// (A SPARQL cancel answers with the status list.)
std::string gremlin_cancel_success_body();
// Neptune's error shape, compact: {"requestId":…,"code":…,"detailedMessage":…}.
std::string error_body(std::string_view request_id, std::string_view code,
                       std::string_view message);

}  // namespace nw::sim
