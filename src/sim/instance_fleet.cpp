#include "nw/sim/instance_fleet.h"

#include <optional>
#include <utility>

#include <Poco/Exception.h>
#include <Poco/ThreadPool.h>

#include "nw/sim/seeded_random.h"

namespace nw::sim {

InstanceFleet::InstanceFleet(FleetSettings settings, std::ostream& out, std::mutex& out_mutex,
                             int servers)
    : settings_(std::move(settings)),
      out_(out),
      out_mutex_(out_mutex),
      pool_(make_shared_server_pool(servers)) {}

InstanceFleet::~InstanceFleet() {
  shut_down();
}

std::unique_ptr<SimService> InstanceFleet::make_service(int index) {
  SimService::CancelObserver print_cancel;
  if (!settings_.quiet) {
    const bool label = settings_.label_instances;
    print_cancel = [this, label, index](const CancelRecord& record) {
      const std::lock_guard<std::mutex> lock(out_mutex_);
      out_ << cancel_log_line(record, label ? std::optional<int>(index) : std::nullopt)
           << std::endl;
    };
  }
  WorkloadConfig workload = settings_.workload;
  workload.seed = instance_seed(settings_.workload.seed, static_cast<std::uint64_t>(index));
  return std::make_unique<SimService>(workload, settings_.languages,
                                      FaultPlan(settings_.faults, workload.seed), settings_.clock,
                                      print_cancel);
}

const SimServer& InstanceFleet::open(int index, std::uint16_t port) {
  Member member;
  member.service = make_service(index);
  member.server =
      std::make_unique<SimServer>(*member.service, settings_.host, port, *pool_, settings_.tls);
  const std::lock_guard<std::mutex> lock(mutex_);
  Member& placed = members_[index] = std::move(member);
  return *placed.server;
}

void InstanceFleet::start_all() {
  const std::lock_guard<std::mutex> lock(mutex_);
  for (auto& entry : members_) entry.second.server->start();
}

Parsed<std::uint16_t> InstanceFleet::open_instance(int index, const std::string& id) {
  Member member;
  member.service = make_service(index);
  try {
    member.server =
        std::make_unique<SimServer>(*member.service, settings_.host, 0, *pool_, settings_.tls);
  } catch (const Poco::Exception& e) {
    return Parsed<std::uint16_t>::fail(e.displayText());
  }
  member.server->start();
  const std::uint16_t port = member.server->port();
  const std::string url = member.server->url();
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (shut_down_) {
      member.server->stop();
      retired_.push_back(std::move(member.service));
      return Parsed<std::uint16_t>::fail("the simulator is stopping");
    }
    members_[index] = std::move(member);
  }
  const std::lock_guard<std::mutex> lock(out_mutex_);
  out_ << "neptune-sim: instance " << id << " added at " << url << std::endl;
  return Parsed<std::uint16_t>::ok(port);
}

void InstanceFleet::close_instance(int index, const std::string& id) {
  Member member;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = members_.find(index);
    if (it == members_.end()) return;
    member = std::move(it->second);
    members_.erase(it);
  }
  member.service->shut_down();
  member.server->stop();
  // Destroying the server closes its listening socket: the port refuses connections from
  // now on. The service stays for handlers still running on the shared pool.
  member.server.reset();
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    retired_.push_back(std::move(member.service));
  }
  const std::lock_guard<std::mutex> lock(out_mutex_);
  out_ << "neptune-sim: instance " << id << " removed" << std::endl;
}

void InstanceFleet::shut_down() {
  std::vector<std::unique_ptr<SimServer>> servers;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& entry : members_) {
      entry.second.service->shut_down();
      servers.push_back(std::move(entry.second.server));
    }
  }
  stop_servers(servers);
  // Handlers run on the shared pool: wait for them so none outlives its service.
  pool_->joinAll();
  servers.clear();
}

}  // namespace nw::sim
