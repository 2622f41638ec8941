#include "nw/sim/sim_service.h"

#include <chrono>
#include <optional>
#include <utility>

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "nw/sim/neptune_json.h"
#include "nw/sim/pretty_json.h"

namespace nw::sim {
namespace {

constexpr std::uint64_t kRequestIdStream = 4;

std::string_view default_injected_text(Language language) {
  switch (language) {
    case Language::gremlin:
      return "g.V().count()";
    case Language::sparql:
      return "SELECT ?s ?p ?o WHERE { ?s ?p ?o }";
    case Language::opencypher:
      break;
  }
  return "MATCH (n) RETURN n";
}

// What SPARQL's servlet accepts as a queryId: 8-4-4-4-12 hex digits, in any case.
bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

WorkloadConfig workload_for(WorkloadConfig config, Language language,
                            const std::vector<Language>& synthetic) {
  config.language = language;
  bool has_synthetic = false;
  for (const Language l : synthetic) has_synthetic = has_synthetic || l == language;
  if (!has_synthetic) config.arrival_rate = 0;
  return config;
}

// A POST /sim/queries body: the query and the language whose workload takes it.
struct InjectRequest {
  Language language = Language::opencypher;
  InjectedQuery query;
};

bool starts_with_ignore_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char a =
        text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
    if (a != prefix[i]) return false;
  }
  return true;
}

// curl --data-urlencode and awscurl -d send form bodies; a body without a content type
// is read the same way, as servlet containers do for POSTed parameters.
bool is_form_body(const SimRequest& request) {
  if (request.body.empty()) return false;
  return request.content_type.empty() ||
         starts_with_ignore_case(request.content_type, "application/x-www-form-urlencoded");
}

std::optional<RequestKind> fault_target(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::list_queries:
    case Endpoint::query_status:
      return RequestKind::status;
    case Endpoint::cancel_query:
      return RequestKind::cancel;
    default:
      return std::nullopt;  // the control API and unknown paths are never faulted
  }
}

// The control API's body for POST /sim/queries, strictly: an unknown key is an error,
// so that a typo ("elapsed_ms") cannot silently stage a different situation.
Parsed<InjectRequest> parse_injected_query(const std::string& body) {
  using Result = Parsed<InjectRequest>;
  Poco::JSON::Object::Ptr object;
  try {
    Poco::JSON::Parser parser;
    const Poco::Dynamic::Var root = parser.parse(body);
    if (root.type() != typeid(Poco::JSON::Object::Ptr))
      return Result::fail("the body must be a JSON object");
    object = root.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return Result::fail("the body is not valid JSON: " + e.displayText());
  }

  InjectRequest request;
  InjectedQuery& query = request.query;
  std::optional<std::string> text;
  for (const auto& [key, value] : *object) {
    const bool is_text_field =
        key == "queryId" || key == "queryString" || key == "state" || key == "language";
    const bool is_ms_field = key == "elapsed" || key == "waited" || key == "runtime";
    if (key == "ignoreCancel") {
      if (value.type() != typeid(bool)) return Result::fail("ignoreCancel must be true or false");
      query.ignore_cancel = value.extract<bool>();
      continue;
    }
    if (!is_text_field && !is_ms_field) {
      return Result::fail(
          "unknown key '" + key +
          "' (language, queryId, queryString, state, elapsed, waited, runtime, ignoreCancel)");
    }
    if (is_text_field && !value.isString()) return Result::fail(key + " must be a string");
    if (is_ms_field && !value.isInteger())
      return Result::fail(key + " must be a whole number of milliseconds");

    if (key == "queryId") {
      query.id = value.toString();
      if (query.id.empty())
        return Result::fail("queryId must not be empty (leave it out to get one generated)");
    } else if (key == "queryString") {
      text = value.toString();
    } else if (key == "language") {
      const std::optional<Language> language = parse_language(value.toString());
      if (!language)
        return Result::fail("language must be \"opencypher\", \"gremlin\" or \"sparql\"");
      request.language = *language;
    } else if (key == "state") {
      const std::string state = value.toString();
      if (state == "running")
        query.running = true;
      else if (state == "waiting")
        query.running = false;
      else
        return Result::fail("state must be \"running\" or \"waiting\"");
    } else if (key == "elapsed") {
      query.elapsed_ms = value.convert<std::int64_t>();
    } else if (key == "waited") {
      query.waited_ms = value.convert<std::int64_t>();
    } else {
      query.runtime_ms = value.convert<std::int64_t>();
    }
  }
  query.text = text ? *text : std::string(default_injected_text(request.language));
  return Result::ok(std::move(request));
}

std::string cancel_log_body(const std::vector<CancelRecord>& records) {
  PrettyJsonWriter json;
  json.begin_array();
  for (const CancelRecord& r : records) {
    json.begin_object();
    json.key("queryId").string(r.query_id);
    json.key("silent").boolean(r.silent);
    json.key("api").string(api_name(r.api));
    json.key("found").boolean(r.found);
    json.key("elapsed").number(r.elapsed_ms);
    json.key("waited").number(r.waited_ms);
    json.key("language").string(language_name(r.language));
    json.key("query").string(r.query);
    json.end_object();
  }
  json.end_array();
  return json.str();
}

}  // namespace

std::string cancel_log_line(const CancelRecord& record, std::optional<int> instance) {
  std::string id = record.query_id;
  for (char& c : id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return "cancel query_id=" + id + " silent=" + (record.silent ? "true" : "false") +
         " api=" + std::string(api_name(record.api)) +
         " found=" + (record.found ? "true" : "false") +
         " elapsed_ms=" + std::to_string(record.elapsed_ms) +
         " waited_ms=" + std::to_string(record.waited_ms) +
         " language=" + std::string(language_name(record.language)) +
         (instance ? " instance=" + std::to_string(*instance) : std::string()) +
         " query=" + json_quote(record.query);
}

SimService::SimService(WorkloadConfig workload, FaultPlan faults, Clock clock,
                       CancelObserver on_cancel)
    : SimService(workload, {Language::opencypher}, std::move(faults), std::move(clock),
                 std::move(on_cancel)) {}

SimService::SimService(WorkloadConfig workload, const std::vector<Language>& synthetic,
                       FaultPlan faults, Clock clock, CancelObserver on_cancel)
    : clock_(std::move(clock)),
      on_cancel_(std::move(on_cancel)),
      faults_(std::move(faults)),
      request_ids_(workload.seed, kRequestIdStream) {
  start_ms_ = clock_();
  workloads_.reserve(kLanguages.size());
  for (const Language language : kLanguages)
    workloads_.emplace_back(workload_for(workload, language, synthetic), start_ms_);
}

SimResponse SimService::handle(const SimRequest& request) {
  const Parameters form =
      is_form_body(request) ? parse_form_urlencoded(request.body) : Parameters();
  const Route route = route_request(request.method, request.target, form);

  std::unique_lock<std::mutex> lock(mutex_);
  const std::optional<RequestKind> kind = fault_target(route.endpoint);
  FaultDecision decision;
  if (kind) {
    const std::size_t language = language_index(route.language);
    if (*kind == RequestKind::status) {
      ++counters_.status;
      ++counters_.status_by_language[language];
    } else {
      ++counters_.cancel;
      ++counters_.cancel_by_language[language];
    }
    decision = faults_.decide(*kind, clock_() - start_ms_);
    for (const FaultKind fired : decision.fired)
      ++counters_.faults[static_cast<std::size_t>(fired)];
  }
  if (decision.delay_ms > 0) {
    // Releases the lock while waiting: other requests go on meanwhile.
    stop_signal_.wait_for(lock, std::chrono::milliseconds(decision.delay_ms),
                          [this] { return stopping_; });
  }
  return apply_faults(route, request, decision);
}

SimResponse SimService::apply_faults(const Route& route, const SimRequest& request,
                                     const FaultDecision& decision) {
  SimResponse response;
  if (decision.error) {
    const FaultError fault = fault_error(*decision.error);
    response = error(fault.http_status, fault.code, fault.message);
  } else {
    ListQuirks quirks;
    quirks.duplicate_ids = decision.duplicate_ids;
    quirks.bad_numbers = decision.bad_numbers;
    quirks.malformed_entries = decision.malformed_entries;
    // A broken answer damages a served request: a cancel still happens.
    response = respond(route, request, quirks);
  }
  response.wire.slow_headers_ms = decision.slow_headers_ms;
  response.wire.trickle_ms = decision.trickle_ms;
  if (!decision.broken) return response;
  switch (*decision.broken) {
    case FaultKind::reset:
      response.wire.breaks = WireFault::Break::reset;
      break;
    case FaultKind::truncated:
      response.wire.breaks = WireFault::Break::truncated;
      break;
    case FaultKind::not_json:
      response.status = 200;
      response.content_type = kJsonContentType;
      response.body = not_json_body();
      break;
    case FaultKind::huge:
    case FaultKind::huge_chunked:
      response.status = 200;
      response.content_type = kJsonContentType;
      response.body.clear();
      response.wire.breaks = *decision.broken == FaultKind::huge ? WireFault::Break::huge
                                                                 : WireFault::Break::huge_chunked;
      response.wire.huge_bytes = decision.huge_bytes;
      break;
    case FaultKind::wrong_type:
      response.content_type = kHtmlContentType;
      break;
    case FaultKind::drip_chunk:
      response.wire.breaks = WireFault::Break::drip_chunk;
      response.wire.drip_ms = decision.drip_ms;
      break;
    case FaultKind::extra_response:
      response.wire.breaks = WireFault::Break::extra_response;
      break;
    default:
      break;
  }
  return response;
}

SimResponse SimService::respond(const Route& route, const SimRequest& request,
                                const ListQuirks& quirks) {
  switch (route.endpoint) {
    case Endpoint::list_queries:
      return list(route, quirks);
    case Endpoint::query_status:
      return status(route, quirks);
    case Endpoint::cancel_query:
      return cancel(route);
    case Endpoint::inject_query:
      return inject(request);
    case Endpoint::list_cancels:
      return SimResponse{200, kJsonContentType, cancel_log_body(cancels_)};
    case Endpoint::stats:
      return stats();
    case Endpoint::method_not_allowed:
      return error(405, "MethodNotAllowedException",
                   request.method + " is not supported on this path");
    case Endpoint::not_found:
      break;
  }
  const std::string path = request.target.substr(0, request.target.find('?'));
  return error(404, "UnsupportedOperationException", "Unsupported path: " + path);
}

SimResponse SimService::list(const Route& route, const ListQuirks& quirks) {
  // SPARQL has no includeWaiting: its list always shows the waiting queries too.
  const bool include_waiting = route.include_waiting || route.language == Language::sparql;
  const WorkloadSnapshot snapshot = workload(route.language).snapshot(clock_(), include_waiting);
  return SimResponse{200, kJsonContentType, query_list_body(snapshot, route.language, quirks)};
}

SimResponse SimService::status(const Route& route, const ListQuirks& quirks) {
  const std::optional<QueryView> query = workload(route.language).find(route.query_id, clock_());
  if (query) {
    return SimResponse{200, kJsonContentType, query_status_body(*query, route.language, quirks)};
  }
  // SPARQL answers a query it does not know with an empty 200.
  if (route.language == Language::sparql) return SimResponse{200, kJsonContentType, ""};
  return error(400, "InvalidParameterException",
               "Supplied queryId " + route.query_id + " is invalid");
}

SimResponse SimService::cancel(const Route& route) {
  if (route.query_id.empty()) {
    return error(400, "MissingParameterException", "Missing required parameter: queryId");
  }
  const CancelOutcome outcome = workload(route.language).cancel(route.query_id, clock_());
  CancelRecord record;
  record.query_id = route.query_id;
  record.silent = route.silent;
  record.api = route.api;
  record.found = outcome.found;
  record.elapsed_ms = outcome.elapsed_ms;
  record.waited_ms = outcome.waited_ms;
  record.language = route.language;
  record.query = outcome.text;
  cancels_.push_back(record);
  if (on_cancel_) on_cancel_(record);

  switch (route.language) {
    case Language::opencypher:
      if (outcome.found) return SimResponse{200, kJsonContentType, cancel_success_body()};
      break;
    case Language::gremlin:
      if (outcome.found) return SimResponse{200, kJsonContentType, gremlin_cancel_success_body()};
      break;
    case Language::sparql:
      // The status list after the cancel; for an id it does not know, an empty 200 when
      // the id is a UUID and a plain-text 400 when it is not one.
      if (outcome.found) return list(route);
      if (is_uuid(route.query_id)) return SimResponse{200, kJsonContentType, ""};
      return SimResponse{400, kTextContentType, "Invalid queryId (not a UUID): " + route.query_id};
  }
  return error(400, "InvalidParameterException",
               "Supplied queryId " + route.query_id + " is invalid");
}

SimResponse SimService::inject(const SimRequest& request) {
  Parsed<InjectRequest> parsed = parse_injected_query(request.body);
  if (!parsed) return error(400, "BadRequestException", parsed.error);
  const Language language = parsed.value->language;
  const Parsed<QueryView> injected =
      workload(language).inject(std::move(parsed.value->query), clock_());
  if (!injected) return error(400, "BadRequestException", injected.error);
  return SimResponse{201, kJsonContentType, query_status_body(*injected.value, language)};
}

namespace {

void write_workload_counters(PrettyJsonWriter& json, const WorkloadCounters& w) {
  json.key("queriesAccepted").number(w.accepted);
  json.key("queriesRejected").number(w.rejected);
  json.key("queriesFinished").number(w.finished);
  json.key("queriesCancelled").number(w.cancelled);
  json.key("running").number(w.running);
  json.key("waiting").number(w.waiting);
}

}  // namespace

SimResponse SimService::stats() {
  const std::int64_t now_ms = clock_();
  WorkloadCounters total;
  std::vector<WorkloadCounters> by_language;
  for (const Language language : kLanguages) {
    const WorkloadCounters w = workload(language).counters(now_ms);
    by_language.push_back(w);
    total.accepted += w.accepted;
    total.rejected += w.rejected;
    total.finished += w.finished;
    total.cancelled += w.cancelled;
    total.running += w.running;
    total.waiting += w.waiting;
  }
  PrettyJsonWriter json;
  json.begin_object();
  json.key("statusRequests").number(counters_.status);
  json.key("cancelRequests").number(counters_.cancel);
  json.key("faultsInjected").begin_object();
  for (std::size_t i = 0; i < kFaultKinds; ++i)
    json.key(fault_name(static_cast<FaultKind>(i))).number(counters_.faults[i]);
  json.end_object();
  write_workload_counters(json, total);
  json.key("byLanguage").begin_object();
  for (const Language language : kLanguages) {
    const std::size_t i = language_index(language);
    json.key(language_name(language)).begin_object();
    json.key("statusRequests").number(counters_.status_by_language[i]);
    json.key("cancelRequests").number(counters_.cancel_by_language[i]);
    write_workload_counters(json, by_language[i]);
    json.end_object();
  }
  json.end_object();
  json.end_object();
  return SimResponse{200, kJsonContentType, json.str()};
}

SimResponse SimService::error(int status, std::string_view code, std::string_view message) {
  return SimResponse{status, kJsonContentType, error_body(request_ids_.uuid_v4(), code, message)};
}

SimResponse SimService::error_response(int status, std::string_view code,
                                       std::string_view message) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return error(status, code, message);
}

bool SimService::pause(std::int64_t ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !stop_signal_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

bool SimService::stopping() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

void SimService::shut_down() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
}

std::vector<CancelRecord> SimService::cancels() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return cancels_;
}

}  // namespace nw::sim
