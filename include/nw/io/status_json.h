#pragma once
// Parsing of the JSON bodies of Neptune's status and cancel endpoints
// (Neptune's neptunedata API, e.g. ListOpenCypherQueries, and the user guide's status servlets). Tolerant of what Neptune legitimately sends
// (pretty-printing, absent optional fields, unknown extra fields, 64-bit numbers), strict
// about everything else: a body that cannot be fully understood yields a Failure, and the
// watchdog then acts on none of it.
#include <optional>
#include <string>
#include <string_view>

#include "nw/core/failure.h"
#include "nw/core/query_status.h"

namespace nw {

// The body of a list request (GET /opencypher/status). Entries without a usable `queryId`
// are skipped and counted; any other malformed part fails the whole body.
Result<StatusSnapshot> parse_status_body(std::string_view body, Language language);

// The body of a single-query request (GET /opencypher/status/{id}): {"queryId", "queryString",
// "queryEvalStats"}, read as a list entry is. Anything but one entry for `query_id` is a
// bad_response; SPARQL's empty 200 for an id it does not know is query_not_found.
Result<QueryStatus> parse_query_status_body(std::string_view body, const std::string& query_id,
                                            Language language);

// Neptune's error body {"requestId", "code", "detailedMessage"}; nullopt when the body is not
// such an object (plain text, HTML from a proxy, truncated JSON).
struct NeptuneErrorBody {
  std::string code;
  std::string message;
  std::string request_id;
};
std::optional<NeptuneErrorBody> parse_error_body(std::string_view body);

// A 2xx reply to a cancel. {"status":"200 OK","payload":true}, and Gremlin's
// {"status":"200 OK"} without a payload, are acknowledgements. Anything else (payload false,
// an HTML page from a proxy, no JSON) is a bad_response Failure: the audit must not claim a
// cancel that Neptune did not acknowledge.
//
// SPARQL's servlet answers a cancel with its status list (an acknowledgement), or with an empty
// body when it did not know the id: the query had already ended (query_not_found).
struct CancelAck {};
Result<CancelAck> parse_cancel_reply(std::string_view body, Language language = Language::opencypher);

}  // namespace nw
