#include "nw/sim/management_service.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "nw/sim/neptune_json.h"
#include "nw/sim/pretty_json.h"
#include "nw/sim/request_router.h"
#include "nw/sim/wire_fault.h"

namespace nw::sim {

struct QueryParams {
  Parameters all;  // the query string's, then the form body's

  std::optional<std::string> get(std::string_view name) const {
    for (const auto& [key, value] : all) {
      if (key == name) return value;
    }
    return std::nullopt;
  }
};

namespace {

constexpr std::uint64_t kManagementRequestIdStream = 5;
constexpr std::string_view kApiVersion = "2014-10-31";
constexpr int kDefaultMaxRecords = 100;
constexpr int kMinMaxRecords = 20;

struct FaultName {
  ManagementFaultKind kind;
  std::string_view name;
};
constexpr FaultName kFaultNames[] = {
    {ManagementFaultKind::throttling, "throttling"},
    {ManagementFaultKind::access_denied, "access-denied"},
    {ManagementFaultKind::internal_failure, "internal-failure"},
    {ManagementFaultKind::unavailable, "unavailable"},
    {ManagementFaultKind::not_xml, "not-xml"},
    {ManagementFaultKind::broken_xml, "broken-xml"},
    {ManagementFaultKind::truncated, "truncated"},
    {ManagementFaultKind::reset, "reset"},
};

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool is_form_body(const SimRequest& request) {
  if (request.body.empty()) return false;
  return request.content_type.empty() ||
         lower_case(request.content_type).rfind("application/x-www-form-urlencoded", 0) == 0;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t begin = path.empty() || path.front() != '/' ? 0 : 1;
  while (begin < path.size()) {
    std::size_t end = path.find('/', begin);
    if (end == std::string_view::npos) end = path.size();
    segments.emplace_back(path.substr(begin, end - begin));
    begin = end + 1;
  }
  return segments;
}

// A Marker is opaque to clients; the simulator's is the last identifier of the page, in hex,
// and the next page starts after it (so that records added or removed between pages neither
// repeat nor hide the others).
std::string encode_marker(std::string_view id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : id) {
    out += kHex[static_cast<unsigned char>(c) >> 4];
    out += kHex[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

std::optional<std::string> decode_marker(std::string_view marker) {
  if (marker.empty() || marker.size() % 2 != 0) return std::nullopt;
  const auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < marker.size(); i += 2) {
    const int hi = nibble(marker[i]);
    const int lo = nibble(marker[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// Filters.Filter.N.Name and Filters.Filter.N.Values.Value.M, by N.
struct Filter {
  std::string name;
  std::vector<std::string> values;
};

std::map<int, Filter> parse_filters(const QueryParams& params) {
  std::map<int, Filter> filters;
  constexpr std::string_view kPrefix = "Filters.Filter.";
  for (const auto& [key, value] : params.all) {
    if (!starts_with(key, kPrefix)) continue;
    const std::string_view rest = std::string_view(key).substr(kPrefix.size());
    const std::size_t dot = rest.find('.');
    if (dot == std::string_view::npos || dot == 0) continue;
    const std::string number(rest.substr(0, dot));
    if (number.find_first_not_of("0123456789") != std::string::npos || number.size() > 6) continue;
    Filter& filter = filters[std::stoi(number)];
    const std::string_view field = rest.substr(dot + 1);
    if (field == "Name")
      filter.name = value;
    else if (starts_with(field, "Values.Value."))
      filter.values.push_back(value);
  }
  return filters;
}

// A filter value names a resource by identifier or ARN (arn:aws:rds:REGION:ACCOUNT:KIND:ID).
std::string filter_identifier(const std::string& value) {
  if (starts_with(value, "arn:")) return lower_case(value.substr(value.rfind(':') + 1));
  return lower_case(value);
}

template <class Record>
std::vector<const Record*> page_after(const std::vector<const Record*>& records,
                                      const std::optional<std::string>& after, std::size_t size,
                                      std::string& next_marker) {
  std::vector<const Record*> page;
  for (const Record* record : records) {
    if (after && record->id <= *after) continue;
    if (page.size() == size) {
      next_marker = encode_marker(page.back()->id);
      return page;
    }
    page.push_back(record);
  }
  return page;
}

// A control API body: a JSON object (an empty body is an empty object), strictly: an
// unknown key is an error, so that a typo cannot silently do something else.
Parsed<Poco::JSON::Object::Ptr> parse_control_body(const std::string& body,
                                                   std::initializer_list<std::string_view> keys) {
  using Result = Parsed<Poco::JSON::Object::Ptr>;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos)
    return Result::ok(new Poco::JSON::Object);
  Poco::JSON::Object::Ptr object;
  try {
    const Poco::Dynamic::Var root = Poco::JSON::Parser().parse(body);
    if (root.type() != typeid(Poco::JSON::Object::Ptr))
      return Result::fail("the body must be a JSON object");
    object = root.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return Result::fail("the body is not valid JSON: " + e.displayText());
  }
  for (const auto& entry : *object) {
    if (std::find(keys.begin(), keys.end(), entry.first) == keys.end()) {
      std::string known;
      for (const std::string_view key : keys)
        known += (known.empty() ? "" : ", ") + std::string(key);
      return Result::fail("unknown key '" + entry.first + "' (" + known + ")");
    }
  }
  return Result::ok(object);
}

std::optional<std::string> string_field(const Poco::JSON::Object::Ptr& object,
                                        const std::string& key, std::string& error) {
  if (!object->has(key)) return std::nullopt;
  const Poco::Dynamic::Var value = object->get(key);
  if (!value.isString()) {
    error = key + " must be a string";
    return std::nullopt;
  }
  return value.toString();
}

std::optional<std::int64_t> ms_field(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                     std::string& error) {
  if (!object->has(key)) return std::nullopt;
  const Poco::Dynamic::Var value = object->get(key);
  if (!value.isInteger() || value.convert<std::int64_t>() < 0) {
    error = key + " must be a whole number of milliseconds, 0 or more";
    return std::nullopt;
  }
  return value.convert<std::int64_t>();
}

}  // namespace

std::optional<ManagementFaultKind> parse_management_fault_kind(std::string_view name) {
  for (const FaultName& f : kFaultNames) {
    if (f.name == name) return f.kind;
  }
  return std::nullopt;
}

std::string_view management_fault_name(ManagementFaultKind kind) {
  for (const FaultName& f : kFaultNames) {
    if (f.kind == kind) return f.name;
  }
  return "?";
}

ManagementService::ManagementService(ManagementConfig config, InstanceHost& host, Clock clock,
                                     WallClock wall)
    : config_(std::move(config)),
      host_(host),
      clock_(std::move(clock)),
      wall_(std::move(wall)),
      request_ids_(config_.seed, kManagementRequestIdStream) {}

void ManagementService::add_cluster(std::string_view id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  topology_.add_cluster(id, wall_());
}

Parsed<SimInstance> ManagementService::add_started_instance(std::string_view cluster,
                                                            std::string_view id, int index,
                                                            std::uint16_t port) {
  const std::lock_guard<std::mutex> lock(mutex_);
  SimInstance instance;
  instance.id = std::string(id);
  instance.cluster = std::string(cluster);
  instance.index = index;
  instance.port = port;
  instance.created_wall_ms = wall_();
  next_index_ = std::max(next_index_, index + 1);
  return topology_.add_instance(std::move(instance));
}

void ManagementService::set_next_index(int index) {
  const std::lock_guard<std::mutex> lock(mutex_);
  next_index_ = std::max(next_index_, index);
}

SimResponse ManagementService::handle(const SimRequest& request) {
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/sim" || starts_with(path, "/sim/")) return control_api(request, path);
  if (path == "/" || path.empty()) return query_api(request);
  const std::lock_guard<std::mutex> lock(mutex_);
  return xml_error(404, "NotFound", "Unsupported path: " + std::string(path));
}

SimResponse ManagementService::query_api(const SimRequest& request) {
  QueryParams params;
  const std::size_t question = request.target.find('?');
  if (question != std::string::npos)
    params.all = parse_form_urlencoded(std::string_view(request.target).substr(question + 1));
  if (is_form_body(request)) {
    for (auto& pair : parse_form_urlencoded(request.body)) params.all.push_back(std::move(pair));
  }

  const std::optional<std::string> action = params.get("Action");
  const std::optional<std::string> version = params.get("Version");
  SimResponse answer;
  std::optional<ManagementFaultKind> fault;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (request.method != "POST" && request.method != "GET")
      return xml_error(405, "MethodNotAllowed", request.method + " is not supported");
    // Every Describe request counts, answered or faulted: what a client costs the API.
    if (action == "DescribeDBClusters") ++describe_clusters_requests_;
    if (action == "DescribeDBInstances") ++describe_instances_requests_;
    fault = take_fault(action.value_or(""));
    // An error (or a page that is not XML) answers instead of the action; a broken answer
    // damages a real one.
    const bool instead = fault && *fault != ManagementFaultKind::broken_xml &&
                         *fault != ManagementFaultKind::truncated &&
                         *fault != ManagementFaultKind::reset;
    if (instead) return fault_response(*fault, action.value_or(""), {});
    if (!action || action->empty()) {
      answer = xml_error(400, "MissingAction", "The request must contain the parameter Action");
    } else if (!version || version->empty()) {
      answer = xml_error(400, "MissingParameter", "The request must contain the parameter Version");
    } else if (*version != kApiVersion ||
               (*action != "DescribeDBClusters" && *action != "DescribeDBInstances")) {
      answer = xml_error(400, "InvalidAction",
                         "Could not find operation " + *action + " for version " + *version);
    } else {
      topology_.settle(clock_());
      answer =
          *action == "DescribeDBClusters" ? describe_clusters(params) : describe_instances(params);
    }
    if (fault) return fault_response(*fault, *action, std::move(answer));
  }
  return answer;
}

namespace {

// MaxRecords: 20 to 100, default 100.
Parsed<int> max_records(const QueryParams& params) {
  const std::optional<std::string> text = params.get("MaxRecords");
  if (!text) return Parsed<int>::ok(kDefaultMaxRecords);
  const bool digits = !text->empty() && text->size() < 6 &&
                      text->find_first_not_of("0123456789") == std::string::npos;
  const int value = digits ? std::stoi(*text) : -1;
  if (value < kMinMaxRecords || value > kDefaultMaxRecords)
    return Parsed<int>::fail("Invalid value " + *text +
                             " for MaxRecords. Must be between 20 and 100");
  return Parsed<int>::ok(value);
}

}  // namespace

SimResponse ManagementService::describe_clusters(const QueryParams& params) {
  const Parsed<int> records = max_records(params);
  if (!records) return xml_error(400, "InvalidParameterValue", records.error);
  std::optional<std::string> after;
  if (const auto marker = params.get("Marker"); marker && !marker->empty()) {
    after = decode_marker(*marker);
    if (!after) return xml_error(400, "InvalidParameterValue", "Invalid Marker: " + *marker);
  }

  std::optional<std::set<std::string>> wanted;  // none: every cluster
  bool engine_matches = true;
  for (const auto& [number, filter] : parse_filters(params)) {
    if (filter.values.empty())
      return xml_error(400, "InvalidParameterValue",
                       "Filter " + filter.name + " must have at least one value");
    if (filter.name == "db-cluster-id") {
      std::set<std::string> ids;
      for (const std::string& value : filter.values) ids.insert(filter_identifier(value));
      wanted = std::move(ids);
    } else if (filter.name == "engine") {
      engine_matches =
          std::find(filter.values.begin(), filter.values.end(), "neptune") != filter.values.end();
    } else {
      return xml_error(400, "InvalidParameterValue", "Unrecognized filter name: " + filter.name);
    }
  }

  std::vector<const SimCluster*> matching;
  if (const auto id = params.get("DBClusterIdentifier"); id && !id->empty()) {
    const SimCluster* cluster = topology_.cluster(*id);
    if (!cluster)
      return xml_error(404, "DBClusterNotFoundFault", "DBCluster " + *id + " not found.");
    matching.push_back(cluster);
  } else {
    matching = topology_.clusters();
  }
  std::vector<const SimCluster*> listed;
  for (const SimCluster* cluster : matching) {
    if (engine_matches && (!wanted || wanted->count(cluster->id) != 0)) listed.push_back(cluster);
  }
  const std::size_t size =
      static_cast<std::size_t>(std::min(*records.value, std::max(1, config_.page_size)));
  std::string next_marker;
  const auto page = page_after(listed, after, size, next_marker);
  return SimResponse{200, kXmlContentType,
                     describe_db_clusters_body(page, topology_, next_marker, request_ids_.uuid_v4(),
                                               config_.settings)};
}

SimResponse ManagementService::describe_instances(const QueryParams& params) {
  const Parsed<int> records = max_records(params);
  if (!records) return xml_error(400, "InvalidParameterValue", records.error);
  std::optional<std::string> after;
  if (const auto marker = params.get("Marker"); marker && !marker->empty()) {
    after = decode_marker(*marker);
    if (!after) return xml_error(400, "InvalidParameterValue", "Invalid Marker: " + *marker);
  }

  std::optional<std::set<std::string>> clusters;   // none: every cluster
  std::optional<std::set<std::string>> instances;  // none: every instance
  bool engine_matches = true;
  for (const auto& [number, filter] : parse_filters(params)) {
    if (filter.values.empty())
      return xml_error(400, "InvalidParameterValue",
                       "Filter " + filter.name + " must have at least one value");
    std::set<std::string> ids;
    for (const std::string& value : filter.values) ids.insert(filter_identifier(value));
    if (filter.name == "db-cluster-id") {
      clusters = std::move(ids);
    } else if (filter.name == "db-instance-id") {
      instances = std::move(ids);
    } else if (filter.name == "engine") {
      engine_matches =
          std::find(filter.values.begin(), filter.values.end(), "neptune") != filter.values.end();
    } else {
      return xml_error(400, "InvalidParameterValue", "Unrecognized filter name: " + filter.name);
    }
  }

  std::vector<const SimInstance*> matching;
  if (const auto id = params.get("DBInstanceIdentifier"); id && !id->empty()) {
    const SimInstance* instance = topology_.instance(*id);
    if (!instance) return xml_error(404, "DBInstanceNotFound", "DBInstance " + *id + " not found.");
    matching.push_back(instance);
  } else {
    matching = topology_.instances();
  }
  std::vector<const SimInstance*> listed;
  for (const SimInstance* instance : matching) {
    if (engine_matches && (!clusters || clusters->count(instance->cluster) != 0) &&
        (!instances || instances->count(instance->id) != 0))
      listed.push_back(instance);
  }
  const std::size_t size =
      static_cast<std::size_t>(std::min(*records.value, std::max(1, config_.page_size)));
  std::string next_marker;
  const auto page = page_after(listed, after, size, next_marker);
  return SimResponse{
      200, kXmlContentType,
      describe_db_instances_body(page, next_marker, request_ids_.uuid_v4(), config_.settings)};
}

std::optional<ManagementFaultKind> ManagementService::take_fault(std::string_view action) {
  if (!fault_) return std::nullopt;
  if (!fault_->action.empty() && fault_->action != action) return std::nullopt;
  const ManagementFaultKind kind = fault_->kind;
  if (fault_->count && --*fault_->count <= 0) fault_.reset();
  ++faulted_requests_;
  return kind;
}

SimResponse ManagementService::fault_response(ManagementFaultKind kind, std::string_view action,
                                              SimResponse answer) {
  const std::string& account = config_.settings.account_id;
  switch (kind) {
    case ManagementFaultKind::throttling:
      return xml_error(400, "Throttling", "Rate exceeded");
    case ManagementFaultKind::access_denied:
      return xml_error(403, "AccessDenied",
                       "User: arn:aws:iam::" + account +
                           ":user/neptune-sim is not authorized to perform: rds:" +
                           std::string(action.empty() ? "DescribeDBInstances" : action) +
                           " on resource: " + rds_arn("db", "*", config_.settings));
    case ManagementFaultKind::internal_failure:
      return xml_error(500, "InternalFailure",
                       "An internal error has occurred. Please try your query again at a later "
                       "time.");
    case ManagementFaultKind::unavailable:
      return xml_error(503, "ServiceUnavailable",
                       "Service is unavailable. Please try again later.");
    case ManagementFaultKind::not_xml:
      return SimResponse{200, kHtmlContentType, not_json_body()};
    case ManagementFaultKind::broken_xml:
      answer.body.resize(truncated_length(answer.body.size()));
      return answer;
    case ManagementFaultKind::truncated:
      answer.wire.breaks = WireFault::Break::truncated;
      return answer;
    case ManagementFaultKind::reset:
      answer.wire.breaks = WireFault::Break::reset;
      return answer;
  }
  return answer;
}

SimResponse ManagementService::control_api(const SimRequest& request, std::string_view path) {
  const std::vector<std::string> s = split_path(path);  // s[0] == "sim"
  const std::string& method = request.method;
  const auto wrong_method = [&] {
    const std::lock_guard<std::mutex> lock(mutex_);
    return json_error(405, "MethodNotAllowedException",
                      method + " is not supported on " + std::string(path));
  };
  if (s.size() == 2 && s[1] == "clusters") {
    if (method != "GET") return wrong_method();
    return topology_json();
  }
  if (s.size() == 4 && s[1] == "clusters" && s[3] == "instances") {
    if (method != "POST") return wrong_method();
    return add_instance(s[2], request.body);
  }
  if (s.size() == 4 && s[1] == "clusters" && s[3] == "failover") {
    if (method != "POST") return wrong_method();
    return failover(s[2], request.body);
  }
  if (s.size() == 3 && s[1] == "instances") {
    if (method != "DELETE") return wrong_method();
    return remove_instance(s[2]);
  }
  if (s.size() == 4 && s[1] == "instances" && s[3] == "status") {
    if (method != "POST") return wrong_method();
    return set_status(s[2], request.body);
  }
  if (s.size() == 3 && s[1] == "management" && s[2] == "fault") {
    if (method == "POST") return set_fault(request.body);
    if (method != "DELETE") return wrong_method();
    const std::lock_guard<std::mutex> lock(mutex_);
    fault_.reset();
    return SimResponse{200, kJsonContentType, "{ }"};
  }
  const std::lock_guard<std::mutex> lock(mutex_);
  return json_error(404, "UnsupportedOperationException", "Unsupported path: " + std::string(path));
}

namespace {

void write_instance_json(PrettyJsonWriter& json, const SimInstance& instance,
                         const SimCluster* cluster, const ManagementSettings& settings, bool tls) {
  const std::string& host = settings.instance_host;
  const std::string authority = (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                                ":" + std::to_string(instance.port);
  json.begin_object();
  json.key("instanceId").string(instance.id);
  json.key("clusterId").string(instance.cluster);
  json.key("status").string(instance.status);
  json.key("writer").boolean(cluster && cluster->writer == instance.id);
  json.key("address").string(instance_address(instance, settings));
  json.key("port").number(instance.port);
  json.key("url").string((tls ? "https://" : "http://") + authority);
  json.key("instance").number(instance.index);
  json.end_object();
}

}  // namespace

SimResponse ManagementService::topology_json() {
  const std::lock_guard<std::mutex> lock(mutex_);
  topology_.settle(clock_());
  PrettyJsonWriter json;
  json.begin_object();
  json.key("clusters").begin_array();
  for (const SimCluster* cluster : topology_.clusters()) {
    json.begin_object();
    json.key("clusterId").string(cluster->id);
    json.key("writer").string(cluster->writer);
    json.key("instances").begin_array();
    for (const std::string& member : cluster->members)
      write_instance_json(json, *topology_.instance(member), cluster, config_.settings,
                          config_.tls);
    json.end_array();
    json.end_object();
  }
  json.end_array();
  json.key("requests").begin_object();
  json.key("DescribeDBClusters").number(describe_clusters_requests_);
  json.key("DescribeDBInstances").number(describe_instances_requests_);
  json.key("faulted").number(faulted_requests_);
  json.end_object();
  json.key("fault").string(fault_ ? management_fault_name(fault_->kind) : "");
  json.end_object();
  return SimResponse{200, kJsonContentType, json.str()};
}

SimResponse ManagementService::add_instance(std::string_view cluster_id, const std::string& body) {
  const auto parsed =
      parse_control_body(body, {"instanceId", "status", "availableAfter", "promotionTier"});
  const std::lock_guard<std::mutex> lock(mutex_);
  if (!parsed) return json_error(400, "BadRequestException", parsed.error);
  const Poco::JSON::Object::Ptr& object = *parsed.value;
  std::string error;
  const std::optional<std::string> given_id = string_field(object, "instanceId", error);
  const std::optional<std::string> status = string_field(object, "status", error);
  const std::optional<std::int64_t> available_after = ms_field(object, "availableAfter", error);
  int promotion_tier = 1;
  if (object->has("promotionTier")) {
    const Poco::Dynamic::Var tier = object->get("promotionTier");
    if (!tier.isInteger() || tier.convert<int>() < 0 || tier.convert<int>() > 15)
      error = "promotionTier must be a whole number from 0 to 15";
    else
      promotion_tier = tier.convert<int>();
  }
  if (!error.empty()) return json_error(400, "BadRequestException", error);

  topology_.settle(clock_());
  const SimCluster* cluster = topology_.cluster(cluster_id);
  if (!cluster)
    return json_error(404, "DBClusterNotFoundFault",
                      "DBCluster " + std::string(cluster_id) + " not found.");
  if (static_cast<int>(topology_.instance_count()) >= config_.max_instances)
    return json_error(400, "InstanceQuotaExceededFault",
                      "at most " + std::to_string(config_.max_instances) + " instances");
  const std::string id = given_id ? lower_case(*given_id) : topology_.next_instance_id(cluster->id);
  if (const auto problem = identifier_problem(id))
    return json_error(400, "BadRequestException", "instanceId '" + id + "': " + *problem);
  if (topology_.instance(id))
    return json_error(409, "DBInstanceAlreadyExists", "DB instance already exists: " + id);
  const std::string initial = status.value_or(std::string(kAvailable));
  if (!is_instance_status(initial))
    return json_error(400, "BadRequestException", "unknown instance status '" + initial + "'");

  // The listener is bound before the instance is listed, so a client never finds an
  // instance whose port does not answer.
  const Parsed<std::uint16_t> port = host_.open_instance(next_index_, id);
  if (!port) return json_error(500, "InternalFailure", "cannot listen: " + port.error);
  SimInstance instance;
  instance.id = id;
  instance.cluster = cluster->id;
  instance.index = next_index_++;
  instance.port = *port.value;
  instance.status = initial;
  if (available_after && initial != kAvailable)
    instance.available_at_ms = clock_() + *available_after;
  instance.promotion_tier = promotion_tier;
  instance.created_wall_ms = wall_();
  const Parsed<SimInstance> added = topology_.add_instance(instance);
  if (!added) return json_error(400, "BadRequestException", added.error);
  PrettyJsonWriter json;
  write_instance_json(json, *added.value, topology_.cluster(cluster->id), config_.settings,
                      config_.tls);
  return SimResponse{201, kJsonContentType, json.str()};
}

SimResponse ManagementService::remove_instance(std::string_view id) {
  Parsed<SimInstance> removed = Parsed<SimInstance>::fail("");
  std::string body;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    topology_.settle(clock_());
    removed = topology_.remove_instance(id);
    if (!removed)
      return json_error(404, "DBInstanceNotFound", "DBInstance " + std::string(id) + " not found.");
    PrettyJsonWriter json;
    write_instance_json(json, *removed.value, nullptr, config_.settings, config_.tls);
    body = json.str();
  }
  // Outside the lock: stopping a listener waits for its acceptor thread.
  host_.close_instance(removed.value->index, removed.value->id);
  return SimResponse{200, kJsonContentType, body};
}

SimResponse ManagementService::set_status(std::string_view id, const std::string& body) {
  const auto parsed = parse_control_body(body, {"status", "availableAfter"});
  const std::lock_guard<std::mutex> lock(mutex_);
  if (!parsed) return json_error(400, "BadRequestException", parsed.error);
  std::string error;
  const std::optional<std::string> status = string_field(*parsed.value, "status", error);
  const std::optional<std::int64_t> available_after =
      ms_field(*parsed.value, "availableAfter", error);
  if (!error.empty()) return json_error(400, "BadRequestException", error);
  if (!status) return json_error(400, "BadRequestException", "status is missing");
  topology_.settle(clock_());
  if (!topology_.instance(id))
    return json_error(404, "DBInstanceNotFound", "DBInstance " + std::string(id) + " not found.");
  const std::optional<std::int64_t> until =
      available_after ? std::optional<std::int64_t>(clock_() + *available_after) : std::nullopt;
  const Parsed<SimInstance> changed = topology_.set_status(id, *status, until);
  if (!changed) return json_error(400, "BadRequestException", changed.error);
  PrettyJsonWriter json;
  write_instance_json(json, *changed.value, topology_.cluster(changed.value->cluster),
                      config_.settings, config_.tls);
  return SimResponse{200, kJsonContentType, json.str()};
}

SimResponse ManagementService::failover(std::string_view cluster_id, const std::string& body) {
  const auto parsed = parse_control_body(body, {"target"});
  const std::lock_guard<std::mutex> lock(mutex_);
  if (!parsed) return json_error(400, "BadRequestException", parsed.error);
  std::string error;
  const std::optional<std::string> target = string_field(*parsed.value, "target", error);
  if (!error.empty()) return json_error(400, "BadRequestException", error);
  topology_.settle(clock_());
  const SimCluster* cluster = topology_.cluster(cluster_id);
  if (!cluster)
    return json_error(404, "DBClusterNotFoundFault",
                      "DBCluster " + std::string(cluster_id) + " not found.");
  const std::string previous = cluster->writer;
  const Parsed<std::string> writer = topology_.failover(
      cluster_id, target ? std::optional<std::string_view>(*target) : std::nullopt);
  if (!writer) return json_error(400, "InvalidDBClusterStateFault", writer.error);
  PrettyJsonWriter json;
  json.begin_object();
  json.key("clusterId").string(cluster->id);
  json.key("writer").string(*writer.value);
  json.key("previousWriter").string(previous);
  json.end_object();
  return SimResponse{200, kJsonContentType, json.str()};
}

SimResponse ManagementService::set_fault(const std::string& body) {
  const auto parsed = parse_control_body(body, {"fault", "count", "action"});
  const std::lock_guard<std::mutex> lock(mutex_);
  if (!parsed) return json_error(400, "BadRequestException", parsed.error);
  std::string error;
  const std::optional<std::string> name = string_field(*parsed.value, "fault", error);
  const std::optional<std::string> action = string_field(*parsed.value, "action", error);
  if (!error.empty()) return json_error(400, "BadRequestException", error);
  std::string kinds;
  for (const FaultName& f : kFaultNames) kinds += (kinds.empty() ? "" : ", ") + std::string(f.name);
  if (!name) return json_error(400, "BadRequestException", "fault is missing (" + kinds + ")");
  const std::optional<ManagementFaultKind> kind = parse_management_fault_kind(*name);
  if (!kind)
    return json_error(400, "BadRequestException", "unknown fault '" + *name + "' (" + kinds + ")");
  ManagementFault fault;
  fault.kind = *kind;
  if (parsed.value.value()->has("count")) {
    const Poco::Dynamic::Var count = parsed.value.value()->get("count");
    if (!count.isInteger() || count.convert<std::int64_t>() < 1)
      return json_error(400, "BadRequestException", "count must be a whole number, 1 or more");
    fault.count = count.convert<std::int64_t>();
  }
  if (action) {
    if (*action != "DescribeDBClusters" && *action != "DescribeDBInstances")
      return json_error(400, "BadRequestException",
                        "action must be DescribeDBClusters or DescribeDBInstances");
    fault.action = *action;
  }
  fault_ = fault;
  PrettyJsonWriter json;
  json.begin_object();
  json.key("fault").string(management_fault_name(fault.kind));
  json.end_object();
  return SimResponse{200, kJsonContentType, json.str()};
}

SimResponse ManagementService::xml_error(int status, std::string_view code,
                                         std::string_view message) {
  return SimResponse{status, kXmlContentType,
                     management_error_body(status < 500, code, message, request_ids_.uuid_v4())};
}

SimResponse ManagementService::json_error(int status, std::string_view code,
                                          std::string_view message) {
  return SimResponse{status, kJsonContentType, error_body(request_ids_.uuid_v4(), code, message)};
}

SimResponse ManagementService::error_response(int status, std::string_view code,
                                              std::string_view message) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return xml_error(status, code, message);
}

bool ManagementService::pause(std::int64_t ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !stop_signal_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

bool ManagementService::stopping() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

void ManagementService::shut_down() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
}

}  // namespace nw::sim
