#include "nw/app/supervisor.h"

#include <algorithm>
#include <set>

#include "nw/core/config_schema.h"
#include "nw/core/replica_assignment.h"

namespace nw {

Supervisor::Supervisor(const PollerServices& services, ClientFactory make_client)
    : services_(services), make_client_(std::move(make_client)) {}

Supervisor::Plan Supervisor::prepare(const std::vector<EndpointConfig>& endpoints) {
  Plan plan;
  Changes& changes = plan.changes;
  std::map<std::string, Watch>& fresh = plan.fresh;
  for (const auto& endpoint : endpoints) {
    const auto kept = watches_.find(endpoint.name);
    if (kept != watches_.end() &&
        endpoint_restart_changes(kept->second.settings, endpoint).empty()) {
      if (kept->second.settings.role != endpoint.role) {
        plan.roles[endpoint.name] = endpoint.role;
        changes.roles_changed.push_back(endpoint.name);
      }
      continue;
    }
    (kept == watches_.end() ? changes.added : changes.changed).push_back(endpoint.name);
    Watch watch;
    watch.settings = endpoint;
    for (Language language : endpoint.languages)
      watch.loops.push_back(std::make_unique<EndpointPoller>(
          endpoint, language, make_client_(endpoint, language), services_));
    fresh.emplace(endpoint.name, std::move(watch));
  }
  for (const auto& endpoint : endpoints) plan.names.push_back(endpoint.name);
  for (const auto& [name, watch] : watches_)
    if (std::find(plan.names.begin(), plan.names.end(), name) == plan.names.end())
      changes.removed.push_back(name);
  return plan;
}

Supervisor::Changes Supervisor::commit(Plan plan, Clock::time_point start, Clock::duration spread,
                                       bool run) {
  const std::vector<std::string>& names = plan.names;
  std::map<std::string, Watch>& fresh = plan.fresh;
  for (auto it = watches_.begin(); it != watches_.end();) {
    const bool gone = std::find(names.begin(), names.end(), it->first) == names.end();
    if (gone || fresh.count(it->first)) {
      retire(it->second);
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
  std::size_t started = 0, total = 0;
  for (const auto& [name, watch] : fresh) total += watch.loops.size();
  for (const auto& name : names) {
    auto f = fresh.find(name);
    if (f == fresh.end()) continue;
    for (auto& loop : f->second.loops) {
      services_.status.add(loop->name(), services_.clock.now());
      if (run) loop->start(start + spread * static_cast<long>(started) / static_cast<long>(total));
      ++started;
    }
    watches_.emplace(name, std::move(f->second));
  }
  for (const auto& [name, role] : plan.roles) {
    auto kept = watches_.find(name);
    if (kept == watches_.end()) continue;
    kept->second.settings.role = role;
    for (auto& loop : kept->second.loops) loop->set_role(role);
  }
  order_ = names;
  return plan.changes;
}

void Supervisor::retire(Watch& watch) {
  for (auto& loop : watch.loops) {
    services_.status.remove(loop->name());
    loop->retire();
    retired_.push_back(std::move(loop));
  }
  watch.loops.clear();
}

void Supervisor::collect() {
  std::set<std::string> drained;
  for (auto it = retired_.begin(); it != retired_.end();) {
    if (!(*it)->retired()) {
      ++it;
      continue;
    }
    drained.insert((*it)->endpoint_name());
    it = retired_.erase(it);
  }
  // The series of an endpoint that is gone, once none of its loops can report any more. (Its
  // cancels still in the dispatcher may add a sample or two afterwards.)
  for (const auto& name : drained) {
    const bool still_loops = std::any_of(retired_.begin(), retired_.end(), [&](const auto& loop) {
      return loop->endpoint_name() == name;
    });
    if (!watches_.count(name) && !still_loops) services_.metrics.forget_endpoint(name);
  }
}

std::vector<EndpointPoller*> Supervisor::loops() const {
  std::vector<EndpointPoller*> out;
  for (const auto& name : order_) {
    const auto it = watches_.find(name);
    if (it == watches_.end()) continue;
    for (const auto& loop : it->second.loops) out.push_back(loop.get());
  }
  return out;
}

bool Supervisor::has_loops_of(const std::string& unit) const {
  for (const auto& [name, watch] : watches_)
    if (unit_of_endpoint(name) == unit) return true;
  return std::any_of(retired_.begin(), retired_.end(), [&](const auto& loop) {
    return unit_of_endpoint(loop->endpoint_name()) == unit;
  });
}

std::vector<std::string> Supervisor::endpoint_names() const {
  return order_;
}

}  // namespace nw
