#pragma once
// The bodies of Neptune's status endpoints, byte for byte as far as the documentation
// shows them (neptune-api.md §2.1-2.3, §3). Each query object is laid out as that
// language's page shows it:
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

// GET /opencypher/status: acceptedQueryCount, runningQueryCount, queries.
std::string query_list_body(const WorkloadSnapshot& snapshot,
                            Language language = Language::opencypher);
// GET /opencypher/status/{id}: queryId, queryString, queryEvalStats.
std::string query_status_body(const QueryView& query, Language language = Language::opencypher);
// A successful openCypher cancel: {"status" : "200 OK", "payload" : true}, pretty-printed.
std::string cancel_success_body();
// A successful Gremlin cancel: {"status" : "200 OK"} with no payload, pretty-printed.
// (A SPARQL cancel answers with the status list.)
std::string gremlin_cancel_success_body();
// Neptune's error shape, compact: {"requestId":…,"code":…,"detailedMessage":…}.
std::string error_body(std::string_view request_id, std::string_view code,
                       std::string_view message);

}  // namespace nw::sim
