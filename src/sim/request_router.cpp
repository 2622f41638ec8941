#include "nw/sim/request_router.h"

#include <cctype>

namespace nw::sim {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A malformed escape is kept literally rather than rejected: Neptune's own leniency
// here is unknown, and a literal '%' in an id is harmless.
std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::vector<std::string> path_segments(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t begin = path.empty() || path.front() != '/' ? 0 : 1;
  while (begin <= path.size()) {
    std::size_t end = path.find('/', begin);
    if (end == std::string_view::npos) end = path.size();
    segments.push_back(percent_decode(path.substr(begin, end - begin), false));
    begin = end + 1;
  }
  // "/opencypher/status/" is the status path; old clients sign it with the slash.
  if (!segments.empty() && segments.back().empty()) segments.pop_back();
  return segments;
}

class ParameterLookup {
 public:
  ParameterLookup(Parameters query, const Parameters& form)
      : query_(std::move(query)), form_(form) {}

  std::optional<std::string> get(std::string_view name) const {
    for (const Parameters* params : {&query_, &form_}) {
      for (const auto& [key, value] : *params) {
        if (key == name) return value;
      }
    }
    return std::nullopt;
  }
  bool has(std::string_view name) const { return get(name).has_value(); }
  bool is_true(std::string_view name) const {
    const auto value = get(name);
    return value && equals_ignore_case(*value, "true");
  }
  std::string value_or_empty(std::string_view name) const {
    return get(name).value_or(std::string());
  }

 private:
  Parameters query_;
  const Parameters& form_;
};

// openCypher and Gremlin: the REST form (an id segment) and the legacy servlet.
Route status_route(std::string_view method, const std::vector<std::string>& segments,
                   const ParameterLookup& params, Language language) {
  Route route;
  route.language = language;
  // Gremlin's cancel has no `silent` parameter: one that is sent changes nothing.
  const bool has_silent = language != Language::gremlin;
  if (segments.size() == 3) {
    route.api = Api::rest;
    route.query_id = segments[2];
    if (method == "GET") {
      route.endpoint = Endpoint::query_status;
    } else if (method == "DELETE") {
      route.endpoint = Endpoint::cancel_query;
      route.silent = has_silent && params.is_true("silent");
    } else {
      route.endpoint = Endpoint::method_not_allowed;
    }
    return route;
  }

  route.api = Api::legacy;
  route.query_id = params.value_or_empty("queryId");
  route.silent = has_silent && params.is_true("silent");
  if (method == "DELETE" && language == Language::opencypher) {
    route.endpoint = Endpoint::cancel_query;  // DELETE always means cancel
  } else if (method == "GET" || method == "POST") {
    if (params.has("cancelQuery")) {
      route.endpoint = Endpoint::cancel_query;
    } else if (!route.query_id.empty()) {
      route.endpoint = Endpoint::query_status;
    } else {
      route.endpoint = Endpoint::list_queries;
      route.include_waiting = params.is_true("includeWaiting");
    }
  } else {
    // Gremlin documents DELETE only in the REST form, /gremlin/status/{queryId}.
    route.endpoint = Endpoint::method_not_allowed;
  }
  return route;
}

// SPARQL: the legacy servlet only. Its list shows running and waiting queries alike, so
// an includeWaiting parameter is ignored.
Route sparql_route(std::string_view method, const ParameterLookup& params) {
  Route route;
  route.language = Language::sparql;
  route.api = Api::legacy;
  route.query_id = params.value_or_empty("queryId");
  route.silent = params.is_true("silent");
  if (method == "GET" || method == "POST") {
    if (params.has("cancelQuery")) {
      route.endpoint = Endpoint::cancel_query;
    } else if (!route.query_id.empty()) {
      route.endpoint = Endpoint::query_status;
    } else {
      route.endpoint = Endpoint::list_queries;
      route.include_waiting = true;
    }
  } else {
    route.endpoint = Endpoint::method_not_allowed;
  }
  return route;
}

Route control_route(std::string_view method, std::string_view name) {
  Route route;
  if (name == "queries")
    route.endpoint = method == "POST" ? Endpoint::inject_query : Endpoint::method_not_allowed;
  else if (name == "cancels")
    route.endpoint = method == "GET" ? Endpoint::list_cancels : Endpoint::method_not_allowed;
  else if (name == "stats")
    route.endpoint = method == "GET" ? Endpoint::stats : Endpoint::method_not_allowed;
  return route;
}

}  // namespace

std::string_view api_name(Api api) {
  return api == Api::rest ? "rest" : "legacy";
}

Parameters parse_form_urlencoded(std::string_view text) {
  Parameters params;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find('&', begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = text.substr(begin, end - begin);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos) {
        params.emplace_back(percent_decode(pair, true), std::string());
      } else {
        params.emplace_back(percent_decode(pair.substr(0, eq), true),
                            percent_decode(pair.substr(eq + 1), true));
      }
    }
    begin = end + 1;
  }
  return params;
}

Route route_request(std::string_view method, std::string_view target, const Parameters& form) {
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  const std::vector<std::string> segments = path_segments(path);

  if ((segments.size() == 2 || segments.size() == 3) && equals_ignore_case(segments[1], "status")) {
    const ParameterLookup params(parse_form_urlencoded(query), form);
    if (equals_ignore_case(segments[0], "opencypher"))
      return status_route(method, segments, params, Language::opencypher);
    if (equals_ignore_case(segments[0], "gremlin"))
      return status_route(method, segments, params, Language::gremlin);
    // SPARQL has no REST form: /sparql/status/{id} is no path of it.
    if (equals_ignore_case(segments[0], "sparql") && segments.size() == 2)
      return sparql_route(method, params);
  }
  if (segments.size() == 2 && segments[0] == "sim") return control_route(method, segments[1]);
  return Route{};
}

}  // namespace nw::sim
