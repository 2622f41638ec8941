#pragma once
// Turns an HTTP request line (and a form body) into what the simulator should do. Pure,
// so the many ways Neptune accepts the same request are tested without a socket:
//
// openCypher
//   REST (neptunedata)             GET    /opencypher/status[?includeWaiting=true]
//                                  GET    /opencypher/status/{queryId}
//                                  DELETE /opencypher/status/{queryId}[?silent=true]
//   legacy servlet                 GET|POST /openCypher/status with includeWaiting,
//   (query string or form body)      queryId, cancelQuery (+ queryId, silent)
//                                  DELETE /openCypher/status?queryId=…[&silent=true]
// Gremlin (as openCypher, but its cancel has no `silent`: a sent one is ignored)
//   REST                           GET    /gremlin/status[?includeWaiting=true]
//                                  GET    /gremlin/status/{queryId}
//                                  DELETE /gremlin/status/{queryId}
//   legacy servlet                 GET|POST /gremlin/status with includeWaiting,
//                                    queryId, cancelQuery (+ queryId)
// SPARQL (legacy servlet only; no includeWaiting: its list always shows waiting queries)
//                                  GET|POST /sparql/status with queryId,
//                                    cancelQuery (+ queryId, silent)
// control API (simulator only)     POST /sim/queries, GET /sim/cancels, GET /sim/stats
//
// The language and `status` segments match in any case: AWS sources show both
// `openCypher` and `opencypher`, and clusters accept both.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nw/sim/query_language.h"

namespace nw::sim {

enum class Api { rest, legacy };
std::string_view api_name(Api api);  // "rest" | "legacy"

enum class Endpoint {
  list_queries,
  query_status,
  cancel_query,
  inject_query,
  list_cancels,
  stats,
  method_not_allowed,
  not_found,
};

struct Route {
  Endpoint endpoint = Endpoint::not_found;
  Api api = Api::rest;                       // which form a cancel came in
  Language language = Language::opencypher;  // whose status servlet
  std::string query_id;                      // empty on a cancel: queryId was missing
  bool include_waiting = false;              // always true for SPARQL, whose list has no choice
  bool silent = false;                       // always false for Gremlin, whose cancel has no silent
};

using Parameters = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded (also a URL's query string): '&'-separated, '+' is a
// space, %XX decoded; a name without '=' (as `cancelQuery`) gets an empty value.
Parameters parse_form_urlencoded(std::string_view text);

// `target` is the request target as received, "/path?query", still percent-encoded;
// `form` holds the parameters of a form-encoded body (empty otherwise). A parameter in
// the query string wins over the same one in the body.
Route route_request(std::string_view method, std::string_view target, const Parameters& form);

}  // namespace nw::sim
