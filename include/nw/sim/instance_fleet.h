#pragma once
// The instances one neptune-sim process serves: a SimService and a SimServer each, on one
// shared thread pool. The program opens the first ones itself, in order, at start-up; with a
// management API, instances also come and go while it runs (InstanceHost), so the fleet is
// thread-safe. A removed instance stops listening at once, but its service lives until
// shut_down(): a handler of its last connections may still be running on the pool.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>

#include "nw/sim/fault_plan.h"
#include "nw/sim/management_service.h"
#include "nw/sim/query_language.h"
#include "nw/sim/sim_server.h"
#include "nw/sim/sim_service.h"
#include "nw/sim/workload.h"

namespace Poco {
class ThreadPool;
}  // namespace Poco

namespace nw::sim {

struct FleetSettings {
  std::string host = "127.0.0.1";
  WorkloadConfig workload;  // instance i's seed is instance_seed(workload.seed, i)
  std::vector<Language> languages = {Language::opencypher};
  std::vector<FaultSpec> faults;
  Poco::Net::Context::Ptr tls;   // null: plain HTTP
  bool quiet = false;            // no cancel lines
  bool label_instances = false;  // cancel lines say instance=I
  SimService::Clock clock;
};

class InstanceFleet : public InstanceHost {
 public:
  // `out` takes the cancel lines and the lines of instances added and removed, one at a
  // time under `out_mutex`. `servers` sizes the shared pool's ceiling.
  InstanceFleet(FleetSettings settings, std::ostream& out, std::mutex& out_mutex, int servers);
  ~InstanceFleet() override;

  InstanceFleet(const InstanceFleet&) = delete;
  InstanceFleet& operator=(const InstanceFleet&) = delete;

  // Binds instance `index` on `port` (0: a free one) without serving yet; throws
  // Poco::Exception when it cannot.
  const SimServer& open(int index, std::uint16_t port);
  // Serves every instance opened so far.
  void start_all();
  // For other servers of the process (the management API's) to share.
  Poco::ThreadPool& pool() { return *pool_; }

  // InstanceHost: a new instance on a free port, serving at once, announced on `out` as
  // "neptune-sim: instance ID added at URL"; and its removal ("neptune-sim: instance ID
  // removed").
  Parsed<std::uint16_t> open_instance(int index, const std::string& id) override;
  void close_instance(int index, const std::string& id) override;

  // Cuts delays short, stops every server and waits for their handlers. Idempotent; the
  // pool's other users must have stopped their servers first.
  void shut_down();

 private:
  struct Member {
    std::unique_ptr<SimService> service;
    std::unique_ptr<SimServer> server;
  };
  std::unique_ptr<SimService> make_service(int index);

  FleetSettings settings_;
  std::ostream& out_;
  std::mutex& out_mutex_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::mutex mutex_;
  std::map<int, Member> members_;
  std::vector<std::unique_ptr<SimService>> retired_;
  bool shut_down_ = false;
};

}  // namespace nw::sim
