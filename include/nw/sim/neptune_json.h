#pragma once
// The bodies of Neptune's openCypher status endpoints, byte for byte as far as the
// documentation shows them (neptune-api.md §2.1, §3).
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
std::string query_list_body(const WorkloadSnapshot& snapshot);
// GET /opencypher/status/{id}: queryId, queryString, queryEvalStats.
std::string query_status_body(const QueryView& query);
// A successful cancel: {"status" : "200 OK", "payload" : true}, pretty-printed.
std::string cancel_success_body();
// Neptune's error shape, compact: {"requestId":…,"code":…,"detailedMessage":…}.
std::string error_body(std::string_view request_id, std::string_view code,
                       std::string_view message);

}  // namespace nw::sim
