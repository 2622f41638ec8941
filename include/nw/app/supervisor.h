#pragma once
// The poll loops of the configuration in force, keyed by endpoint name: started, retired and
// replaced while the daemon runs. A reload hands it the new endpoints; an endpoint added gets
// its loops (one per language), one removed has its loops retired (their cancels in flight
// finish and are audited), and one changed in a key declared to restart its watch (every
// endpoint key is: endpoint_restart_changes in nw/core/config_schema.h) is replaced. Later,
// discovered cluster instances come and go the same way.
//
// The new loops' clients are all built before anything changes, so a setting that cannot work
// (an unreadable ca_file) rejects the reload as a whole and the running loops stay.
//
// Used from the main thread only; each loop runs on its own strand of the scheduler.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nw/app/endpoint_poller.h"

namespace nw {

class Supervisor {
 public:
  // Builds the client of one loop; throws EndpointSetupError for a setting that cannot work.
  using ClientFactory =
      std::function<std::unique_ptr<NeptuneClient>(const EndpointConfig&, Language)>;

  Supervisor(const PollerServices& services, ClientFactory make_client);

  struct Changes {
    std::vector<std::string> added, removed, changed;  // endpoint names
    std::vector<std::string> roles_changed;            // kept endpoints with another role now
    bool any() const {
      return !added.empty() || !removed.empty() || !changed.empty() || !roles_changed.empty();
    }
  };

 private:
  struct Watch {
    EndpointConfig settings;  // what its loops were built from, compared at a reload
    std::vector<std::unique_ptr<EndpointPoller>> loops;
  };

 public:
  // What apply() will do: the new loops, built (clients included) but not started.
  struct Plan {
    Changes changes;
    std::map<std::string, Watch> fresh;
    std::vector<std::string> names;  // every endpoint, in file order
    // Kept endpoints whose role changed (a failover): their loops go on with the new role.
    std::map<std::string, InstanceRole> roles;
  };

  // Builds the loops that `endpoints` adds or changes. Throws EndpointSetupError; changes
  // nothing in force either way.
  Plan prepare(const std::vector<EndpointConfig>& endpoints);
  // Puts a plan in force: retires the loops of endpoints removed or changed and starts the new
  // ones, their first polls spread over `spread` from `start` (so that a large fleet is not
  // polled in bursts); with `run` false (--once) they are only created. Cannot fail.
  Changes commit(Plan plan, Clock::time_point start, Clock::duration spread, bool run = true);
  Changes apply(const std::vector<EndpointConfig>& endpoints, Clock::time_point start,
                Clock::duration spread, bool run = true) {
    return commit(prepare(endpoints), start, spread, run);
  }

  // Destroys the retired loops that have drained. Call now and then (the signal loop's tick).
  void collect();

  // Every loop in force, in endpoint and language order.
  std::vector<EndpointPoller*> loops() const;
  // The endpoint names in force (for /healthz).
  std::vector<std::string> endpoint_names() const;
  std::size_t retiring() const { return retired_.size(); }
  // Whether a loop of `unit` ("cluster.NAME", "endpoint.NAME") runs or still drains: a unit
  // handed to another replica is released only once this is false.
  bool has_loops_of(const std::string& unit) const;

 private:
  void retire(Watch& watch);

  const PollerServices& services_;
  ClientFactory make_client_;
  std::map<std::string, Watch> watches_;  // by endpoint name
  std::vector<std::string> order_;        // endpoint names in file order
  std::vector<std::unique_ptr<EndpointPoller>> retired_;
};

}  // namespace nw
