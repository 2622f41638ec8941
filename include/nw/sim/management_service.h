#pragma once
// Neptune's management API as the simulator serves it, on a listener of its own: the RDS
// Query API's DescribeDBClusters and DescribeDBInstances (POST / with a form body, or GET /
// with a query string; Version=2014-10-31; XML answers, see management_xml.h) over the
// clusters of a ClusterTopology, and a control API under /sim/ that changes the topology
// (adds an instance, which opens a listener; removes one, which closes it; sets a status;
// fails over the writer) and makes the Query API fail. Signatures are not checked, as the
// instances check none: an Authorization header is ignored.
//
// Thread-safe: the HTTP server calls handle() from many threads; one mutex guards the
// topology, the fault and the counters. Opening an instance's listener happens under it
// (a local bind), closing one outside it (stopping waits for the acceptor thread).
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "nw/sim/cluster_topology.h"
#include "nw/sim/management_xml.h"
#include "nw/sim/parsed.h"
#include "nw/sim/seeded_random.h"
#include "nw/sim/sim_handler.h"

namespace nw::sim {

// Where instances are served: the program's fleet of SimServers, or a test's.
class InstanceHost {
 public:
  virtual ~InstanceHost() = default;
  // Opens and starts a listener for a new instance (`index` as in SimInstance); its port,
  // or why it could not.
  virtual Parsed<std::uint16_t> open_instance(int index, const std::string& id) = 0;
  // Stops listening for that instance: its port refuses connections afterwards.
  virtual void close_instance(int index, const std::string& id) = 0;
};

// What the Query API can be made to do instead of answering (POST /sim/management/fault).
enum class ManagementFaultKind {
  throttling,        // 400 Throttling "Rate exceeded"
  access_denied,     // 403 AccessDenied
  internal_failure,  // 500 InternalFailure
  unavailable,       // 503 ServiceUnavailable
  not_xml,           // 200 with an HTML page, as a proxy in front may send
  broken_xml,        // 200 text/xml, complete on the wire, but the document stops mid-element
  truncated,         // the answer's Content-Length, half of it, then close
  reset,             // headers and part of the answer, then a TCP reset
};
std::optional<ManagementFaultKind> parse_management_fault_kind(std::string_view name);
std::string_view management_fault_name(ManagementFaultKind kind);

struct ManagementFault {
  ManagementFaultKind kind = ManagementFaultKind::throttling;
  std::optional<std::int64_t> count;  // none: every request until cleared
  std::string action;                 // empty: every action; else e.g. "DescribeDBInstances"
};

struct ManagementConfig {
  ManagementSettings settings;
  int page_size = 100;       // at most this many records a page, whatever MaxRecords says
  int max_instances = 1000;  // instances at once over every cluster (kMaxInstances)
  std::uint64_t seed = 1;
  bool tls = false;  // the instances serve HTTPS: their control API urls say https://
};

// The parameters of one Query API request (query string and form body together).
struct QueryParams;

class ManagementService : public SimHandler {
 public:
  using Clock = std::function<std::int64_t()>;      // monotonic milliseconds
  using WallClock = std::function<std::int64_t()>;  // ms since the epoch

  ManagementService(ManagementConfig config, InstanceHost& host, Clock clock, WallClock wall);

  // Start-up: the clusters and the instances the program opened itself, in order.
  void add_cluster(std::string_view id);
  Parsed<SimInstance> add_started_instance(std::string_view cluster, std::string_view id, int index,
                                           std::uint16_t port);
  // The index the next instance added through the control API gets.
  void set_next_index(int index);

  SimResponse handle(const SimRequest& request) override;
  SimResponse error_response(int status, std::string_view code, std::string_view message) override;
  bool pause(std::int64_t ms) override;
  bool stopping() const override;
  void shut_down();

 private:
  SimResponse query_api(const SimRequest& request);
  SimResponse describe_clusters(const QueryParams& params);
  SimResponse describe_instances(const QueryParams& params);
  SimResponse control_api(const SimRequest& request, std::string_view path);
  SimResponse add_instance(std::string_view cluster, const std::string& body);
  SimResponse remove_instance(std::string_view id);
  SimResponse set_status(std::string_view id, const std::string& body);
  SimResponse failover(std::string_view cluster, const std::string& body);
  SimResponse set_fault(const std::string& body);
  SimResponse topology_json();
  // An <ErrorResponse> with a fresh RequestId; caller holds mutex_.
  SimResponse xml_error(int status, std::string_view code, std::string_view message);
  // A control API error in the instances' JSON shape; caller holds mutex_.
  SimResponse json_error(int status, std::string_view code, std::string_view message);
  // The fault that fires for this request, if any (counts it); caller holds mutex_.
  std::optional<ManagementFaultKind> take_fault(std::string_view action);
  SimResponse fault_response(ManagementFaultKind kind, std::string_view action, SimResponse answer);

  ManagementConfig config_;
  InstanceHost& host_;
  Clock clock_;
  WallClock wall_;

  mutable std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  ClusterTopology topology_;
  int next_index_ = 0;
  std::optional<ManagementFault> fault_;
  SeededRandom request_ids_;
  std::int64_t describe_clusters_requests_ = 0;
  std::int64_t describe_instances_requests_ = 0;
  std::int64_t faulted_requests_ = 0;
};

}  // namespace nw::sim
