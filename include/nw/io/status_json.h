#pragma once
// Parsing of the JSON bodies of Neptune's status and cancel endpoints
// (Neptune's neptunedata API, e.g. ListOpenCypherQueries, and the user guide's status servlets).
// Tolerant of what Neptune legitimately sends (pretty-printing, absent optional fields, unknown
// extra fields, 64-bit numbers), strict about everything else. A body whose whole cannot be
// understood (not JSON, truncated, `queries` not an array) yields a Failure, and the watchdog then
// acts on none of it; an entry of the list that cannot be understood is skipped and counted, and
// the others stand: one query's odd text or clock must not keep the watchdog from every other
// query.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "nw/core/failure.h"
#include "nw/core/query_status.h"

namespace nw {

// The most entries a status list may hold. Neptune queues at most 8,192 queries per instance
// and runs 2 x vCPU more: a list of more is not Neptune's, and is refused (bad_response) before
// its entries are read, so a body cannot make the daemon build an unbounded list.
inline constexpr std::size_t kMaxStatusEntries = 20000;

// The body of a list request (GET /opencypher/status). Entries without a usable `queryId`
// (or that are not objects) are counted in skipped_entries. An entry with one whose other
// fields are malformed (a clock that is not a non-negative 64-bit whole number, a queryString
// or queryEvalStats of the wrong type, a string that is not valid Unicode anywhere in it) is
// listed in `malformed` with the reason. Anything malformed outside the entries fails the body,
// and so does a list of more than kMaxStatusEntries entries.
// The list is read without a DOM of the whole body: each entry goes straight into its
// QueryStatus, so reading costs little more memory than the body and the snapshot
// (docs/PERFORMANCE.md, "Peak memory of one answer").
Result<StatusSnapshot> parse_status_body(std::string_view body, Language language);

// parse_status_body() of an answer's body: read where it is, without a copy, when its capacity
// goes kAnswerPadding bytes past its end (http_exchange.h), as an answer of announced length's
// does.
Result<StatusSnapshot> parse_status_answer(const std::string& body, Language language);

// The body of a single-query request (GET /opencypher/status/{id}): {"queryId", "queryString",
// "queryEvalStats"}, read as a list entry is. Anything but one readable entry for `query_id`
// is a bad_response (a malformed entry for it included: there is nothing else to act on);
// SPARQL's empty 200 for an id it does not know is query_not_found.
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
Result<CancelAck> parse_cancel_reply(std::string_view body,
                                     Language language = Language::opencypher);

}  // namespace nw
