#include "nw/sim/sim_options.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>
#include <Poco/Util/OptionSet.h>

#include "nw/sim/cluster_topology.h"
#include "nw/sim/duration_text.h"

namespace nw::sim {
namespace {

// Keeps lazy catch-up (the workload replays every arrival since the last request)
// cheap, and is far beyond what one Neptune instance accepts.
constexpr double kMaxArrivalRate = 10'000.0;
constexpr std::int64_t kMaxWorkers = 100'000;

Poco::Util::OptionSet option_set() {
  using Poco::Util::Option;
  Poco::Util::OptionSet options;
  options.addOption(Option("help", "h", "Show this help and exit."));
  options.addOption(Option("listen", "",
                           "Address to serve on (default 127.0.0.1:8182; port 0 picks a free "
                           "port). The first line on stdout is "
                           "'neptune-sim: listening on http://HOST:PORT'.")
                        .argument("HOST:PORT"));
  options.addOption(Option("instances", "",
                           "Neptune instances to simulate (default 1, at most 1000), each "
                           "independent (workloads, faults, cancel log, control API) on its "
                           "own port: PORT, PORT+1, ... or, with port 0, a free port each. "
                           "Instance i's seed is derived from --seed and i (instance 0 uses "
                           "--seed itself).")
                        .argument("N"));
  options.addOption(Option("languages", "",
                           "Languages that get a synthetic workload, comma-separated: "
                           "opencypher, gremlin, sparql (default opencypher). Each has its own "
                           "queue and --workers slots, and --arrival-rate applies to each. All "
                           "three status endpoints are always served.")
                        .argument("LIST"));
  options.addOption(Option("seed", "",
                           "Seed for the synthetic workload, query ids and fault shares "
                           "(default 1). The same seed replays the same run.")
                        .argument("N"));
  options.addOption(Option("arrival-rate", "",
                           "Synthetic queries per second, Poisson arrivals (default 2; "
                           "0: none, only injected queries).")
                        .argument("R"));
  options.addOption(Option("workers", "",
                           "Queries that run at once (default 8). Later arrivals wait in a "
                           "FIFO queue: their 'waited' grows while 'elapsed' stays 0.")
                        .argument("N"));
  options.addOption(Option("runtime-median", "",
                           "Median runtime of synthetic queries (default 2s). Runtimes "
                           "are log-normal (sigma 1.5): a few run very long.")
                        .argument("DURATION"));
  options.addOption(
      Option("runtime-max", "", "Cap on synthetic runtimes (default 10m).").argument("DURATION"));
  options.addOption(Option("fault", "",
                           "Inject errors or delays into status and cancel requests; repeatable. "
                           "See FAULTS below.")
                        .argument("SPEC")
                        .repeatable(true));
  options.addOption(Option("tls-cert", "",
                           "Serve HTTPS with this PEM certificate (or chain, leaf first); "
                           "needs --tls-key. The listening lines then say https://.")
                        .argument("FILE"));
  options.addOption(Option("tls-key", "", "The PEM private key of --tls-cert.").argument("FILE"));
  options.addOption(Option("duration", "",
                           "Exit by itself after this long (seconds, or a DURATION). "
                           "Default: run until SIGTERM or SIGINT.")
                        .argument("SECONDS"));
  options.addOption(Option("quiet", "", "Do not print a line for each cancel received."));
  options.addOption(
      Option("cluster", "",
             "Make the instances members of DB cluster ID and serve Neptune's "
             "management API for it (DescribeDBClusters, DescribeDBInstances; see "
             "MANAGEMENT API below). Instances are ID-instance-1, ID-instance-2, ...; "
             "the first is the writer. The identifier is kept in lower case.")
          .argument("ID"));
  options.addOption(Option("clusters", "",
                           "With --cluster: K clusters, ID-1 ... ID-K, each of --instances "
                           "instances (at most 1000 instances in all).")
                        .argument("K"));
  options.addOption(Option("region", "",
                           "With --cluster: the region in ARNs, zones and cluster endpoints "
                           "(default us-east-1).")
                        .argument("REGION"));
  options.addOption(Option("management-listen", "",
                           "With --cluster: the management API's address (default the --listen "
                           "host, a free port). Its line on stdout is 'neptune-sim: management "
                           "API on http://HOST:PORT'.")
                        .argument("HOST:PORT"));
  options.addOption(Option("management-page-size", "",
                           "With --cluster: at most N records per Describe answer, whatever "
                           "MaxRecords asks (default 100), to exercise Marker pagination.")
                        .argument("N"));
  options.addOption(Option("advertise-domain", "",
                           "With --cluster: instance addresses are INSTANCE_ID.DOMAIN instead of "
                           "the listen host (names that need not resolve: a client maps them to "
                           "the listen host and keeps the port).")
                        .argument("DOMAIN"));
  return options;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_rate(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string::npos)
    return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// An error in one option's value, named the way the user typed the option.
std::string bad_value(const std::string& option, const std::string& value,
                      const std::string& expected) {
  return "--" + option + " '" + value + "': " + expected;
}

// Applies one option; returns an error message, empty when fine.
std::string apply(SimOptions& options, const std::string& name, const std::string& value) {
  if (name == "help") {
    options.help = true;
  } else if (name == "quiet") {
    options.quiet = true;
  } else if (name == "listen") {
    const auto address = parse_listen_address(value);
    if (!address) return bad_value(name, value, address.error);
    options.host = address.value->first;
    options.port = address.value->second;
    options.listen_given = true;
  } else if (name == "instances") {
    const auto instances = parse_unsigned(value);
    if (!instances || *instances < 1 || *instances > static_cast<std::uint64_t>(kMaxInstances))
      return bad_value(name, value, "expected a whole number from 1 to 1000");
    options.instances = static_cast<int>(*instances);
  } else if (name == "languages") {
    auto languages = parse_language_list(value);
    if (!languages) return bad_value(name, value, languages.error);
    options.languages = std::move(*languages.value);
  } else if (name == "seed") {
    const auto seed = parse_unsigned(value);
    if (!seed) return bad_value(name, value, "expected a whole number >= 0");
    options.workload.seed = *seed;
  } else if (name == "arrival-rate") {
    const auto rate = parse_rate(value);
    if (!rate || *rate > kMaxArrivalRate)
      return bad_value(name, value, "expected a number from 0 to 10000");
    options.workload.arrival_rate = *rate;
  } else if (name == "workers") {
    const auto workers = parse_unsigned(value);
    if (!workers || *workers < 1 || *workers > static_cast<std::uint64_t>(kMaxWorkers)) {
      return bad_value(name, value, "expected a whole number from 1 to 100000");
    }
    options.workload.workers = static_cast<int>(*workers);
  } else if (name == "runtime-median" || name == "runtime-max") {
    const auto ms = parse_duration_ms(value);
    if (!ms || *ms == 0)
      return bad_value(name, value, "expected a positive duration such as 500ms, 2s, 10m or 1h");
    (name == "runtime-median" ? options.workload.runtime_median_ms
                              : options.workload.runtime_max_ms) = *ms;
  } else if (name == "fault") {
    auto spec = parse_fault_spec(value);
    if (!spec) return "--fault: " + spec.error;
    options.faults.push_back(*spec.value);
  } else if (name == "tls-cert" || name == "tls-key") {
    if (value.empty()) return bad_value(name, value, "expected a file name");
    (name == "tls-cert" ? options.tls_cert : options.tls_key) = value;
  } else if (name == "cluster") {
    if (const auto problem = identifier_problem(value)) return bad_value(name, value, *problem);
    // Room for "-K" and "-instance-N" within RDS's 63 characters.
    if (value.size() > 40) return bad_value(name, value, "at most 40 characters");
    options.cluster = lower_case(value);
  } else if (name == "clusters") {
    const auto clusters = parse_unsigned(value);
    if (!clusters || *clusters < 1 || *clusters > static_cast<std::uint64_t>(kMaxInstances))
      return bad_value(name, value, "expected a whole number from 1 to 1000");
    options.clusters = static_cast<int>(*clusters);
  } else if (name == "region") {
    const bool ok =
        !value.empty() && value.size() <= 32 &&
        value.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
    if (!ok) return bad_value(name, value, "expected a region name such as us-east-1");
    options.region = value;
  } else if (name == "management-listen") {
    const auto address = parse_listen_address(value);
    if (!address) return bad_value(name, value, address.error);
    options.management_host = address.value->first;
    options.management_port = address.value->second;
  } else if (name == "management-page-size") {
    const auto size = parse_unsigned(value);
    if (!size || *size < 1 || *size > 100)
      return bad_value(name, value, "expected a whole number from 1 to 100");
    options.management_page_size = static_cast<int>(*size);
  } else if (name == "advertise-domain") {
    bool ok = !value.empty() && value.size() <= 200 && value.front() != '.' &&
              value.back() != '.' && value.find("..") == std::string::npos;
    for (const char c : value) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.');
    }
    if (!ok) return bad_value(name, value, "expected a DNS domain such as neptune.test");
    options.advertise_domain = lower_case(value);
  } else if (name == "duration") {
    const auto seconds = parse_unsigned(value);
    const auto ms = seconds
                        ? (*seconds <= 315'360'000 ? std::optional<std::int64_t>(*seconds * 1000)
                                                   : std::nullopt)
                        : parse_duration_ms(value);
    if (!ms)
      return bad_value(name, value, "expected seconds (e.g. 30) or a duration such as 90s or 5m");
    options.duration_ms = *ms;
  }
  return {};
}

}  // namespace

std::vector<std::string> SimOptions::cluster_ids() const {
  std::vector<std::string> ids;
  if (cluster.empty()) return ids;
  if (clusters == 0) return {cluster};
  for (int k = 1; k <= clusters; ++k) ids.push_back(cluster + "-" + std::to_string(k));
  return ids;
}

std::string SimOptions::instance_id(int i) const {
  const std::vector<std::string> ids = cluster_ids();
  const std::size_t cluster_index = static_cast<std::size_t>(i / instances);
  const std::string& owner = cluster_index < ids.size() ? ids[cluster_index] : cluster;
  return owner + "-instance-" + std::to_string(i % instances + 1);
}

Parsed<std::vector<Language>> parse_language_list(std::string_view text) {
  using Result = Parsed<std::vector<Language>>;
  std::vector<Language> languages;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t comma = text.find(',', begin);
    std::string_view name = text.substr(
        begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    const std::optional<Language> language = parse_language(name);
    if (!language) {
      return Result::fail("unknown language '" + std::string(name) +
                          "' (expected opencypher, gremlin or sparql)");
    }
    for (const Language seen : languages) {
      if (seen == *language)
        return Result::fail("language '" + std::string(name) + "' given twice");
    }
    languages.push_back(*language);
    if (comma == std::string_view::npos) return Result::ok(std::move(languages));
    begin = comma + 1;
  }
}

Parsed<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text) {
  using Result = Parsed<std::pair<std::string, std::uint16_t>>;
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return Result::fail("expected HOST:PORT");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return Result::fail("write an IPv6 address in brackets, e.g. [::1]:8182");
  }
  if (host.empty()) return Result::fail("the host is missing");
  const auto port = parse_unsigned(port_text);
  if (!port || *port > 65535) return Result::fail("the port must be a number from 0 to 65535");
  return Result::ok({std::string(host), static_cast<std::uint16_t>(*port)});
}

Parsed<SimOptions> parse_sim_options(const std::vector<std::string>& args) {
  using Result = Parsed<SimOptions>;
  const Poco::Util::OptionSet options = option_set();
  Poco::Util::OptionProcessor processor(options);
  processor.setUnixStyle(true);

  SimOptions parsed;
  bool given_region = false;
  bool given_page_size = false;
  try {
    for (const std::string& arg : args) {
      std::string name;
      std::string value;
      if (!processor.process(arg, name, value))
        return Result::fail("unexpected argument '" + arg + "'");
      if (name.empty()) continue;  // "--listen" whose value is the next argument
      given_region = given_region || name == "region";
      given_page_size = given_page_size || name == "management-page-size";
      const std::string problem = apply(parsed, name, value);
      if (!problem.empty()) return Result::fail(problem);
    }
    processor.checkRequired();
  } catch (const Poco::Util::OptionException& e) {
    return Result::fail(e.displayText());
  }
  if (parsed.tls_cert.empty() != parsed.tls_key.empty())
    return Result::fail("--tls-cert and --tls-key go together: give both or neither");
  if (parsed.cluster.empty()) {
    for (const auto& [given, option] : {std::pair{parsed.clusters != 0, "--clusters"},
                                        {given_region, "--region"},
                                        {!parsed.management_host.empty(), "--management-listen"},
                                        {given_page_size, "--management-page-size"},
                                        {!parsed.advertise_domain.empty(), "--advertise-domain"}}) {
      if (given) return Result::fail(std::string(option) + " needs --cluster");
    }
  }
  if (parsed.total_instances() > kMaxInstances) {
    return Result::fail("--clusters " + std::to_string(parsed.clusters) + " of --instances " +
                        std::to_string(parsed.instances) + " would be " +
                        std::to_string(parsed.total_instances()) + " instances, more than " +
                        std::to_string(kMaxInstances));
  }
  if (parsed.port != 0 && parsed.port + parsed.total_instances() - 1 > 65535) {
    return Result::fail("--instances " + std::to_string(parsed.total_instances()) + " from port " +
                        std::to_string(parsed.port) + " would need ports past 65535");
  }
  return Result::ok(std::move(parsed));
}

std::string sim_help_text() {
  const Poco::Util::OptionSet options = option_set();
  Poco::Util::HelpFormatter formatter(options);
  formatter.setUnixStyle(true);
  formatter.setCommand("neptune-sim");
  formatter.setUsage("[OPTIONS]");
  formatter.setWidth(100);
  formatter.setHeader(
      "Simulates Amazon Neptune instances' query-status endpoints (openCypher, Gremlin and "
      "SPARQL), with synthetic workloads and fault injection, for rehearsing watchdog policies "
      "and for tests. Durations take ms, s, m or h suffixes.");
  std::ostringstream out;
  formatter.format(out);
  out << R"(
FAULTS (--fault KIND[,share=F][,count=N][,on=status|cancel|all][,during=FROM..TO])
  Neptune errors (the request is not served: a faulted cancel does not happen)
  429            TooManyRequestsException
  408            ClientTimeoutException
  500            ThrottlingException
  Slow answers (add up with each other and with everything else)
  delay=D        wait D, then work out the answer (its clocks are fresh)
  slow-headers=D work out the answer, then hold it D before the status line
  trickle=D      send the body a few bytes at a time, spread over D
  Broken answers (the request is served, then its answer is damaged: a faulted
  cancel does happen, and its reply is lost)
  reset          headers and a third of the body, then a TCP reset (ECONNRESET)
  truncated      Content-Length of the whole body, half of it, then close
  not-json       200, application/json, but an HTML error page as the body
  huge=SIZE      200 with a SIZE-byte status list of filler queries, streamed
                 (SIZE: bytes, or KB/MB/GB = 1000^n, KiB/MiB/GiB = 1024^n;
                 e.g. huge=100MB)
  huge-chunked=SIZE  the same body, but chunked (Transfer-Encoding: chunked)
                 with no Content-Length
  wrong-type     the answer as is, but Content-Type: text/html
  drip-chunk=D   the answer chunked, its chunk-size line sent one byte at a
                 time over D (padded with a chunk extension), then close
  extra-response the answer on a kept-alive connection and, in the same
                 write, a second complete answer nobody asked for (200 with a
                 cancel's success body)
  Strange status lists (JSON in structure; only status requests see them)
  duplicate-ids  every other query is listed twice, under the same queryId
  bad-numbers    elapsed and waited become negative or past 64 bits
                 (e.g. 99999999999999999999999)
  malformed-entries  three more entries ahead of the others, each malformed in
                 one way: a negative elapsed, a lone surrogate (\ud800) in the
                 queryString, bytes that are not UTF-8 in the queryString
  Selectors
  share=F        apply to that random share (0..1) of the requests it sees (seeded)
  count=N        apply at most N times; alone: to the first N requests it sees
  on=            status (list, single query), cancel, or all (default)
  during=FROM..TO  see only the requests that arrive from FROM (included) to TO
                 (excluded) after the simulator started, e.g. during=60s..90s;
                 during=60s.. has no end. A count counts only requests in the window.
  Specs are tried in order: slow answers and strange lists add up; the first
  error or broken answer that fires decides the request, and later specs do not
  see it. The control API is never faulted.
  A query that acknowledges cancels but keeps running is staged with the control
  API: POST /sim/queries with "ignoreCancel":true.
  TLS faults are the certificate served (--tls-cert): one for another host name,
  an expired one, or one the client does not trust.
  Examples: --fault 429,count=3,on=cancel --fault delay=2s,share=0.1
            --fault 429,during=0s..30s --fault 500,during=30s..60s,share=0.5
            --fault reset,on=status,during=10s..20s --fault huge=100MB,count=1

ENDPOINTS (on every instance; the path segments match in any case)
  openCypher
  GET    /opencypher/status[?includeWaiting=true]     running (+ waiting) queries
  GET    /opencypher/status/{queryId}                 one query (400 if unknown)
  DELETE /opencypher/status/{queryId}[?silent=true]   cancel
  GET|POST /openCypher/status  legacy servlet; query string or form body with
           includeWaiting, queryId, cancelQuery (+queryId, silent)
  DELETE /openCypher/status?queryId=ID[&silent=true]  cancel
  cancel reply: 200 {"status" : "200 OK", "payload" : true}
  unknown id: 400 InvalidParameterException "Supplied queryId ID is invalid"

  Gremlin (as openCypher, but a cancel has no silent: one that is sent is ignored)
  GET    /gremlin/status[?includeWaiting=true]
  GET    /gremlin/status/{queryId}
  DELETE /gremlin/status/{queryId}
  GET|POST /gremlin/status  legacy servlet with includeWaiting, queryId,
           cancelQuery (+queryId)
  list entries: queryId, queryEvalStats {waited, elapsed, cancelled}, queryString
  cancel reply: 200 {"status" : "200 OK"}
  unknown id: 400 InvalidParameterException "Supplied queryId ID is invalid"

  SPARQL (legacy servlet only; no includeWaiting: the list shows waiting queries too)
  GET|POST /sparql/status  with queryId, cancelQuery (+queryId, silent)
  list entries: queryId, queryEvalStats {subqueries, elapsed, cancelled}, queryString;
  acceptedQueryCount counts every query accepted since the start
  cancel reply: 200 with the status list (after the cancel)
  unknown id: status -> 200, empty body; cancel -> 200, empty body, or, for an id
  that is not a UUID, 400 text/plain "Invalid queryId (not a UUID): ID"

CONTROL API (never faulted; each instance has its own, on its own port)
  POST /sim/queries  inject a pinned query (it holds no worker slot and keeps its
                     state until its runtime ends or it is cancelled), body:
                     {"language":"opencypher"|"gremlin"|"sparql" (default
                      opencypher), "queryId":"..." (optional), "queryString":"...",
                      "state":"running"|"waiting", "elapsed":ms, "waited":ms,
                      "runtime":ms (optional: time from now until it ends;
                      absent: until cancelled),
                      "ignoreCancel":true (optional: cancels are acknowledged
                      but the query keeps running)}     -> 201, the query's JSON
  GET  /sim/cancels  every cancel received, in order:
                     [{"queryId","silent","api":"rest"|"legacy","found","elapsed","waited",
                       "language","query"}]  (query: the cancelled query's full
                     text; "" when no query had that id)
  GET  /sim/stats    request, fault and query counters, totals and "byLanguage"

MANAGEMENT API (with --cluster; on its own listener, never faulted by --fault)
  Neptune's management plane, the RDS Query API (version 2014-10-31): POST / with a
  form body (Content-Type application/x-www-form-urlencoded), or GET / with a query
  string. Signatures are not checked (as on the instances: Authorization is ignored).
  Action=DescribeDBClusters  [DBClusterIdentifier=ID] [Filters.Filter.N.Name=
             db-cluster-id|engine, Filters.Filter.N.Values.Value.M=...]
             -> DescribeDBClustersResponse/DescribeDBClustersResult/DBClusters/DBCluster
                with DBClusterMembers/DBClusterMember (DBInstanceIdentifier,
                IsClusterWriter), Endpoint, ReaderEndpoint, ...
  Action=DescribeDBInstances [DBInstanceIdentifier=ID] [Filters.Filter.N.Name=
             db-cluster-id|db-instance-id|engine, ...Values.Value.M=ID or ARN]
             -> .../DBInstances/DBInstance with DBInstanceIdentifier, DBInstanceStatus,
                Endpoint (Address, Port), DBClusterIdentifier, ... (no Endpoint while
                an instance is 'creating')
  MaxRecords (20..100, default 100) and Marker page both; --management-page-size caps
  the page. Answers are text/xml, with ResponseMetadata/RequestId. Errors:
  ErrorResponse/Error (Type Sender|Receiver, Code, Message) and RequestId:
  DBClusterNotFoundFault 404, DBInstanceNotFound 404, InvalidParameterValue 400,
  MissingAction 400, MissingParameter (Version) 400, InvalidAction 400 (another
  action or version).
  Endpoint/Address is the listen host, or INSTANCE_ID.DOMAIN with --advertise-domain;
  Endpoint/Port is the instance's real port.

  Control API, on the management listener (JSON bodies; errors as the instances'):
  GET  /sim/clusters   every cluster, its writer and instances (instanceId, status,
                       writer, address, port, url, instance), and request counters
  POST /sim/clusters/ID/instances  add a reader (a new listener on a free port),
                       body {} or {"instanceId":"...", "status":"creating",
                       "availableAfter":ms, "promotionTier":N}      -> 201, the instance
  DELETE /sim/instances/ID   remove it: it stops listening and leaves the answers
                       (a writer that goes hands the role on, as in a failover)
  POST /sim/instances/ID/status  {"status":"rebooting"|"modifying"|"available"|...,
                       "availableAfter":ms (optional: available again then)}; the
                       instance keeps serving whatever its status says
  POST /sim/clusters/ID/failover  {} (the next available member after the writer)
                       or {"target":"INSTANCE_ID"}  -> {"writer","previousWriter"}
  POST /sim/management/fault  {"fault":KIND, "count":N (optional: until cleared),
                       "action":"DescribeDBClusters"|"DescribeDBInstances" (optional)}
                       KIND: throttling (400 Throttling), access-denied (403
                       AccessDenied), internal-failure (500 InternalFailure),
                       unavailable (503 ServiceUnavailable), not-xml (200, an HTML
                       page), broken-xml (200, the XML cut mid-document), truncated
                       (Content-Length of the whole answer, half of it, close),
                       reset (part of the answer, then a TCP reset)
  DELETE /sim/management/fault   clear it
  Example: curl -d '{}' http://127.0.0.1:PORT/sim/clusters/demo/instances

OUTPUT
  stdout: one 'neptune-sim: listening on http://HOST:PORT' line per instance, in
  order, with --cluster 'neptune-sim: management API on http://HOST:PORT', then
  'neptune-sim: ready', then one line per cancel received (and, with --cluster,
  'neptune-sim: instance ID added at URL' / 'neptune-sim: instance ID removed'):
  cancel query_id=ID silent=BOOL api=rest|legacy found=BOOL elapsed_ms=N waited_ms=N
    language=opencypher|gremlin|sparql[ instance=I] query="TEXT"
  (instance=I with --instances > 1 or --cluster, I counting from 0 in order of
  creation; query is the cancelled query's full text as a
  JSON string, "" for an unknown id, and always last on the line)
  SIGTERM or SIGINT stops it (exit 0). Usage errors exit 64, other failures 1.
)";
  return out.str();
}

}  // namespace nw::sim
