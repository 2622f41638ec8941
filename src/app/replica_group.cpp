#include "nw/app/replica_group.h"

#include <algorithm>
#include <sstream>
#include <unistd.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <spdlog/spdlog.h>

#include "nw/core/duration.h"
#include "nw/core/replica_assignment.h"
#include "nw/core/rfc3339.h"

namespace nw {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// The group's keys as this replica last saw them.
struct ReplicaGroup::View {
  struct Member {
    std::int64_t lease = 0;
    std::string value;
  };
  struct Owner {
    std::string replica;
    std::int64_t revision = 0;  // create_revision
    std::int64_t lease = 0;
  };
  std::map<std::string, Member> members;  // by replica name
  std::map<std::string, Owner> owners;    // by unit
  std::set<std::string> strange;          // keys under the prefix that fit neither

  void clear() {
    members.clear();
    owners.clear();
  }
  void put(const std::string& group, const EtcdKeyValue& kv) {
    const GroupKey k = parse_group_key(group, kv.key);
    if (k.kind == GroupKey::Kind::member)
      members[k.name] = Member{kv.lease, kv.value};
    else if (k.kind == GroupKey::Kind::owner)
      owners[k.name] = Owner{kv.value, kv.create_revision, kv.lease};
    else
      strange.insert(kv.key);
  }
  void erase(const std::string& group, const std::string& key) {
    const GroupKey k = parse_group_key(group, key);
    if (k.kind == GroupKey::Kind::member) members.erase(k.name);
    if (k.kind == GroupKey::Kind::owner) owners.erase(k.name);
  }
};

Result<std::unique_ptr<ReplicaGroup>> ReplicaGroup::create(Services services, EtcdOptions etcd,
                                                           ReplicaGroupOptions options,
                                                           std::shared_ptr<ExchangeReaper> reaper) {
  etcd.watch_window = std::min<milliseconds>(
      std::chrono::duration_cast<milliseconds>(options.lease_ttl) / 2, std::chrono::seconds(5));
  auto requests = EtcdClient::create(etcd, std::move(reaper));
  if (!requests) return requests.failure();
  auto watch_reaper = std::make_shared<ExchangeReaper>();
  auto watches = EtcdClient::create(etcd, watch_reaper);
  if (!watches) return watches.failure();
  return std::unique_ptr<ReplicaGroup>(
      new ReplicaGroup(services, std::move(requests.value()), std::move(watches.value()),
                       std::move(watch_reaper), std::move(options)));
}

std::string group_prefix(const std::string& group) {
  return "/neptune-watchdog/" + group + "/";
}

std::string member_key(const std::string& group, const std::string& replica) {
  return group_prefix(group) + "members/" + replica;
}

std::string owner_key(const std::string& group, const std::string& unit) {
  return group_prefix(group) + "owners/" + unit;
}

GroupKey parse_group_key(const std::string& group, const std::string& key) {
  const std::string prefix = group_prefix(group);
  if (key.rfind(prefix, 0) != 0) return {};
  const std::string rest = key.substr(prefix.size());
  for (const auto& [dir, kind] :
       {std::pair<std::string, GroupKey::Kind>{"members/", GroupKey::Kind::member},
        {"owners/", GroupKey::Kind::owner}})
    if (rest.size() > dir.size() && rest.compare(0, dir.size(), dir) == 0)
      return {kind, rest.substr(dir.size())};
  return {};
}

std::string describe_member(const std::string& value) {
  try {
    Poco::JSON::Parser parser;
    const auto o = parser.parse(value).extract<Poco::JSON::Object::Ptr>();
    return "host " + printable(o->optValue<std::string>("host", "?"), 80) + ", pid " +
           std::to_string(o->optValue<int>("pid", 0)) + ", started " +
           printable(o->optValue<std::string>("started", "?"), 40);
  } catch (const std::exception&) {
    return "not a replica's key: " + printable(value, 80);
  }
}

ReplicaGroup::ReplicaGroup(Services services, std::unique_ptr<EtcdClient> etcd,
                           std::unique_ptr<EtcdClient> watch_etcd,
                           std::shared_ptr<ExchangeReaper> watch_reaper,
                           ReplicaGroupOptions options)
    : services_(services),
      etcd_(std::move(etcd)),
      watch_etcd_(std::move(watch_etcd)),
      watch_reaper_(std::move(watch_reaper)),
      options_(std::move(options)),
      guard_(options_.max_clock_drift),
      view_(std::make_unique<View>()) {
  member_value_ = member_value();
  services_.metrics.ha_configured(options_.group, options_.replica);
}

ReplicaGroup::~ReplicaGroup() {
  stop();
}

std::string ReplicaGroup::member_value() const {
  Poco::JSON::Object o;
  o.set("replica", options_.replica);
  o.set("host", options_.host);
  o.set("pid", static_cast<int>(::getpid()));
  o.set("started", format_rfc3339_ms(services_.clock.wall_now()));
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

milliseconds ReplicaGroup::keep_alive_period() const {
  return std::chrono::duration_cast<milliseconds>(options_.lease_ttl) / 3;
}

bool ReplicaGroup::sleep_for(milliseconds pause) {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait_for(lock, pause, [this] { return stop_.load(); });
  return !stop_.load();
}

// --- joining -----------------------------------------------------------------------------------

bool ReplicaGroup::register_member(std::int64_t lease) {
  const std::string key = member_key(options_.group, options_.replica);
  auto put = etcd_->put_if_absent(key, member_value_, lease);
  if (!put) {
    std::lock_guard<std::mutex> lock(mutex_);
    last_etcd_error_ = put.failure().describe();
    return false;
  }
  if (put.value().succeeded) {
    std::lock_guard<std::mutex> lock(mutex_);
    registered_ = true;
    duplicate_.clear();
    foreign_holder_.reset();
    return true;
  }
  // The name is taken: by this lease (an answer lost before), by this replica's previous run
  // (its lease expires within lease_ttl), or by another live process.
  auto held = etcd_->range(key);
  if (!held) return false;
  for (const auto& kv : held.value().kvs) {
    if (kv.key != key) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    if (kv.lease == lease) {
      registered_ = true;
      return true;
    }
    const auto now = steady_clock::now();
    if (!foreign_holder_ || foreign_holder_->first != kv.lease)
      foreign_holder_ = std::make_pair(kv.lease, now);
    if (now - foreign_holder_->second > options_.lease_ttl + std::chrono::seconds(1))
      duplicate_ = "replica name " + options_.replica + " is in use by another process (" +
                   describe_member(kv.value) + "); give each replica its own [ha] replica name";
  }
  return false;
}

std::int64_t ReplicaGroup::grant_lease() {
  const auto sent = services_.clock.now();
  auto granted = etcd_->grant(options_.lease_ttl.count());
  std::lock_guard<std::mutex> lock(mutex_);
  if (!granted) {
    last_etcd_error_ = granted.failure().describe();
    return 0;
  }
  guard_.confirmed(granted.value().id, sent, std::chrono::seconds(granted.value().ttl));
  return granted.value().id;
}

std::optional<std::int64_t> ReplicaGroup::renew(std::int64_t lease) {
  const auto sent = services_.clock.now();
  auto kept = etcd_->keep_alive(lease);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!kept) {
    last_etcd_error_ = kept.failure().describe();
    return std::nullopt;
  }
  if (kept.value() > 0) {
    guard_.confirmed(lease, sent, std::chrono::seconds(kept.value()));
    last_etcd_error_.clear();
  }
  return kept.value();
}

std::optional<std::string> ReplicaGroup::join(steady_clock::time_point deadline) {
  std::int64_t lease = 0;
  while (steady_clock::now() < deadline) {
    if (lease == 0 && (lease = grant_lease()) == 0)
      return std::nullopt;  // etcd does not answer: the keeper goes on trying
    if (register_member(lease)) return std::nullopt;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!duplicate_.empty()) {
        (void)etcd_->revoke(lease);
        guard_.lost();
        return duplicate_;
      }
    }
    // Held by another lease: wait for it to expire, keeping ours alive meanwhile.
    std::this_thread::sleep_for(kRetryPeriod);
    (void)renew(lease);
  }
  return std::nullopt;
}

void ReplicaGroup::start() {
  keeper_thread_ = std::thread([this] { keeper(); });
  watcher_thread_ = std::thread([this] { watcher(); });
  balancer_thread_ = std::thread([this] { balancer(); });
}

void ReplicaGroup::stop() {
  if (stop_.exchange(true)) return;
  wake_.notify_all();
  watch_reaper_->abort_all();  // the watch window being read ends now
  for (auto* t : {&keeper_thread_, &watcher_thread_, &balancer_thread_})
    if (t->joinable()) t->join();
  std::int64_t lease = 0;
  std::map<std::string, std::int64_t> held;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    lease = guard_.lease();
    held.swap(held_);
    guard_.lost();
    registered_ = false;
  }
  if (lease == 0) return;
  // Revoking deletes every key of the lease: the others take these units at once.
  const auto revoked = etcd_->revoke(lease);
  for (const auto& [unit, revision] : held)
    record_ownership(unit, revision, "released",
                     revoked ? "replica stopped" : "replica stopped; its lease expires with etcd");
  if (!revoked)
    services_.log.warn(
        "ha: could not revoke lease {:x} at stop ({}); its units move when it expires", lease,
        revoked.failure().describe());
}

// --- keeper ------------------------------------------------------------------------------------

void ReplicaGroup::lose_everything(const std::string& why) {
  std::map<std::string, std::int64_t> held;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    held.swap(held_);
    releasing_.clear();
    drained_.clear();
    guard_.lost();
    registered_ = false;
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
  for (const auto& [unit, revision] : held) record_ownership(unit, revision, "lost", why);
}

void ReplicaGroup::keeper() {
  milliseconds pause{0};
  auto last_sent = steady_clock::time_point{};  // of the last keep-alive that was answered
  bool duplicate_logged = false;
  // While etcd does not answer a grant: 1 s, doubling, at most a keep-alive period (so that a
  // replica joins within seconds of etcd coming back, and an outage is not hammered).
  milliseconds grant_backoff = 2 * kRetryPeriod;
  while (sleep_for(pause)) {
    std::int64_t lease = 0;
    bool registered = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      lease = guard_.lease();
      registered = registered_;
    }
    if (lease == 0) {
      if ((lease = grant_lease()) == 0) {
        pause = grant_backoff;
        grant_backoff =
            std::min(2 * grant_backoff, std::max(keep_alive_period(), 2 * kRetryPeriod));
        continue;
      }
      grant_backoff = 2 * kRetryPeriod;
      last_sent = steady_clock::now();
    }
    if (!registered) {
      if (register_member(lease)) {
        registered = true;
        duplicate_logged = false;
        services_.log.info("ha: replica {} joined group {} (lease {:x}, ttl {}s)", options_.replica,
                           options_.group, lease, options_.lease_ttl.count());
        check_acting();
        wake_.notify_all();
      } else {
        std::string duplicate;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          duplicate = duplicate_;
        }
        if (!duplicate.empty() && !duplicate_logged)
          services_.log.error("ha: {}; this replica acts on nothing until the name is free",
                              duplicate);
        duplicate_logged = !duplicate.empty();
      }
    }
    // Renew when a period has passed since the last answered keep-alive (the lease is kept
    // while this replica waits for its name, too).
    if (steady_clock::now() - last_sent >= keep_alive_period()) {
      const auto ttl = renew(lease);
      if (!ttl) {
        pause = kRetryPeriod;
        continue;
      }
      if (*ttl == 0) {
        services_.log.warn("ha: lease {:x} expired in etcd; joining again with a new one", lease);
        lose_everything("the lease expired in etcd before it could be renewed");
        pause = milliseconds(0);
        continue;
      }
      last_sent = steady_clock::now();
      // At once, not at the balancer's next pass: the `resumed` record comes before the
      // cancels the confirmed lease lets go.
      check_acting();
    }
    const auto due = keep_alive_period() -
                     std::chrono::duration_cast<milliseconds>(steady_clock::now() - last_sent);
    pause = registered ? std::max(due, milliseconds(0)) : std::min(due, kRetryPeriod);
  }
}

// --- watcher -----------------------------------------------------------------------------------

void ReplicaGroup::watcher() {
  const std::string p = group_prefix(options_.group);
  milliseconds pause{0};
  while (sleep_for(pause)) {
    auto read = etcd_->range(p);
    if (!read) {
      std::lock_guard<std::mutex> lock(mutex_);
      last_etcd_error_ = read.failure().describe();
      view_ok_ = false;
      pause = kRetryPeriod;
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      view_->clear();
      for (const auto& kv : read.value().kvs) view_->put(options_.group, kv);
      view_ok_ = true;
    }
    wake_.notify_all();
    auto watched = watch_etcd_->watch(
        p, read.value().revision + 1,
        [&](const std::vector<EtcdEvent>& events) {
          {
            std::lock_guard<std::mutex> lock(mutex_);
            for (const auto& e : events) {
              if (e.type == EtcdEvent::Type::put)
                view_->put(options_.group, e.kv);
              else
                view_->erase(options_.group, e.kv.key);
            }
          }
          wake_.notify_all();
        },
        stop_);
    if (!watched && watched.failure().kind != FailureKind::aborted) {
      std::lock_guard<std::mutex> lock(mutex_);
      last_etcd_error_ = watched.failure().describe();
      view_ok_ = false;
    }
    pause = kRetryPeriod;  // read everything again, then watch from there
  }
}

// --- balancer ----------------------------------------------------------------------------------

void ReplicaGroup::record_ownership(const std::string& unit, std::int64_t revision,
                                    const std::string& change, const std::string& detail) {
  services_.trail.record(ownership_record(services_.clock.wall_now(), unit, options_.replica,
                                          revision, change, detail,
                                          services_.config.get()->version));
  services_.metrics.ha_handover(change);
  const auto level = change == "lost" ? spdlog::level::warn : spdlog::level::info;
  services_.log.log(level, "ha: {} {} (owner revision {}): {}", change, unit, revision, detail);
}

std::string ReplicaGroup::not_acting_cause() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!duplicate_.empty()) return duplicate_;
  const auto now = services_.clock.now();
  if (guard_.sure_for(now) && registered_) return {};
  std::string cause = guard_.lease() == 0 ? "no lease in etcd group " + options_.group
                      : !registered_      ? "not registered in etcd group " + options_.group
                                          : "lease not confirmed within lease_ttl";
  if (!last_etcd_error_.empty()) cause += " (etcd: " + last_etcd_error_ + ")";
  return cause;
}

void ReplicaGroup::check_acting() {
  const std::string cause = not_acting_cause();
  const bool acting = cause.empty();
  std::size_t owned = 0;
  Clock::duration remaining{};
  bool changed = false, first = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    owned = held_.size();
    remaining = guard_.remaining(services_.clock.now());
    if (acting != acting_) {
      changed = true;
      first = acting && !ever_acted_;
      acting_ = acting;
      ever_acted_ = ever_acted_ || acting;
    }
  }
  services_.metrics.ha_state(acting, owned, std::chrono::duration<double>(remaining).count(),
                             cause);
  if (!changed || first) return;
  if (acting) {
    services_.log.warn("ha: replica {} acts again: lease confirmed", options_.replica);
    services_.trail.record(ha_record(services_.clock.wall_now(), options_.replica, "resumed",
                                     "lease confirmed", services_.config.get()->version));
  } else {
    services_.log.error("ha: replica {} stops sending cancels: {}", options_.replica, cause);
    services_.trail.record(ha_record(services_.clock.wall_now(), options_.replica, "stopped", cause,
                                     services_.config.get()->version));
  }
}

void ReplicaGroup::forget(const std::string& unit) {
  std::lock_guard<std::mutex> lock(mutex_);
  held_.erase(unit);
  releasing_.erase(unit);
  drained_.erase(unit);
}

void ReplicaGroup::reconcile() {
  std::vector<std::string> members;
  std::map<std::string, View::Owner> owners;
  std::vector<std::string> units;
  std::map<std::string, std::int64_t> held;
  std::set<std::string> releasing, drained;
  std::int64_t lease = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!view_ok_ || !registered_ || !guard_.sure_for(services_.clock.now())) return;
    lease = guard_.lease();
    // A member key without a lease was written by hand: it never expires, so it cannot stand
    // for a live replica.
    for (const auto& [name, m] : view_->members)
      if (m.lease != 0) members.push_back(name);
    if (std::find(members.begin(), members.end(), options_.replica) == members.end())
      members.push_back(options_.replica);
    owners = view_->owners;
    units = units_;
    held = held_;
    releasing = releasing_;
    drained = drained_;
  }
  bool changed = false;
  const std::set<std::string> configured(units.begin(), units.end());
  const std::map<std::string, std::string> plan = assign_units(units, members);
  const auto planned = [&plan](const std::string& unit) {
    const auto it = plan.find(unit);
    return it == plan.end() ? std::string() : it->second;
  };
  // What this replica holds but no longer has: its key was deleted or replaced behind it.
  for (const auto& [unit, revision] : held) {
    const auto o = owners.find(unit);
    if (o != owners.end() && o->second.lease == lease && o->second.revision == revision) continue;
    forget(unit);
    changed = true;
    record_ownership(unit, revision, "lost", "its owner key was deleted or replaced in etcd");
  }
  // Units to give up, and units given up that have drained.
  for (const auto& [unit, revision] : held) {
    if (!owners.count(unit) || owners.at(unit).lease != lease) continue;
    const bool mine = planned(unit) == options_.replica;
    if (mine) {
      if (releasing.count(unit)) {
        std::lock_guard<std::mutex> lock(mutex_);
        releasing_.erase(unit);
        drained_.erase(unit);
        changed = true;
      }
      continue;
    }
    if (!releasing.count(unit)) {
      std::lock_guard<std::mutex> lock(mutex_);
      releasing_.insert(unit);
      changed = true;
      continue;
    }
    if (!drained.count(unit)) continue;
    auto deleted = etcd_->compare_and_delete(owner_key(options_.group, unit), options_.replica);
    if (!deleted) continue;  // tried again at the next pass
    forget(unit);
    changed = true;
    const std::string to = planned(unit);
    record_ownership(unit, revision, "released",
                     to.empty() ? "no longer configured" : "handed over to " + to);
  }
  // Units to take: free, configured, and this replica's by the plan.
  for (const auto& unit : units) {
    if (held.count(unit) || planned(unit) != options_.replica) continue;
    const auto o = owners.find(unit);
    if (o != owners.end() && o->second.lease != lease) {
      if (o->second.lease == 0) {
        // Written by hand, without a lease: it would block the unit forever.
        services_.log.warn("ha: owner key of {} has no lease (written by hand?); deleting it",
                           unit);
        (void)etcd_->compare_and_delete(owner_key(options_.group, unit), o->second.replica);
      }
      continue;  // its owner gives it up (or its lease expires); the watch shows when
    }
    std::int64_t revision = 0;
    if (o != owners.end()) {
      revision = o->second.revision;  // ours already: an answer lost before
    } else {
      auto put = etcd_->put_if_absent(owner_key(options_.group, unit), options_.replica, lease);
      if (!put) {
        std::lock_guard<std::mutex> lock(mutex_);
        last_etcd_error_ = put.failure().describe();
        continue;
      }
      if (!put.value().succeeded) continue;  // taken meanwhile
      revision = put.value().revision;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (guard_.lease() != lease) continue;  // the lease went meanwhile: the key goes with it
      held_[unit] = revision;
    }
    changed = true;
    record_ownership(
        unit, revision, "acquired", "members " + [&] {
          std::string out;
          for (const auto& m : members) out += (out.empty() ? "" : ", ") + m;
          return out;
        }());
  }
  if (changed) generation_.fetch_add(1, std::memory_order_acq_rel);
}

void ReplicaGroup::balancer() {
  while (!stop_.load()) {
    check_acting();
    reconcile();
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, kBalancePeriod, [this] { return stop_.load(); });
  }
}

// --- the daemon's side -------------------------------------------------------------------------

void ReplicaGroup::set_units(const std::vector<std::string>& units) {
  services_.metrics.ha_units(units.size());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    units_ = units;
  }
  wake_.notify_all();
}

std::set<std::string> ReplicaGroup::working_units() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::set<std::string> out;
  for (const auto& [unit, revision] : held_)
    if (!releasing_.count(unit)) out.insert(unit);
  return out;
}

std::set<std::string> ReplicaGroup::releasing_units() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return releasing_;
}

void ReplicaGroup::drained(const std::string& unit) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!releasing_.count(unit) || drained_.count(unit)) return;
    drained_.insert(unit);
  }
  wake_.notify_all();
}

std::optional<OwnerFence> ReplicaGroup::fence(const std::string& unit,
                                              Clock::duration needed) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = held_.find(unit);
  if (it == held_.end() || !registered_ || !guard_.sure_for(services_.clock.now(), needed))
    return std::nullopt;
  return OwnerFence{options_.replica, it->second};
}

std::optional<OwnerFence> ReplicaGroup::holder_of(const std::string& unit) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = held_.find(unit);
  if (it == held_.end()) return std::nullopt;
  return OwnerFence{options_.replica, it->second};
}

}  // namespace nw
