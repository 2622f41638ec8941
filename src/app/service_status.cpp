#include "nw/app/service_status.h"

#include <algorithm>

namespace nw {

ServiceStatus::ServiceStatus(std::vector<std::string> loop_names, Clock::time_point now) {
  for (const auto& name : loop_names) add(name, now);
}

void ServiceStatus::add(const std::string& loop, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  Endpoint e;
  e.promise = now + std::chrono::minutes(1);  // start-up grace until the first report
  endpoints_[loop] = e;
  ++version_;
}

void ServiceStatus::remove(const std::string& loop) {
  std::lock_guard<std::mutex> lock(mutex_);
  endpoints_.erase(loop);
  ++version_;
}

void ServiceStatus::promise_progress_by(const std::string& loop, Clock::time_point deadline) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = endpoints_.find(loop); it != endpoints_.end()) it->second.promise = deadline;
}

void ServiceStatus::cycle_finished(const std::string& loop, bool poll_ok, std::size_t queries_seen,
                                   const std::string& error, Clock::time_point) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = endpoints_.find(loop);
  if (it == endpoints_.end()) return;
  Endpoint& e = it->second;
  e.polled = true;
  e.healthy = poll_ok;
  if (poll_ok) e.queries = queries_seen;
  if (!poll_ok) last_error_ = loop + ": " + error;
  ++version_;
}

void ServiceStatus::cancel_sent(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  cancels_.push_back(now);
  // Pruned here too: without systemd nobody asks for the summary, and the deque must not grow.
  while (now - cancels_.front() > std::chrono::minutes(1)) cancels_.pop_front();
}

bool ServiceStatus::all_polled_once() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::all_of(endpoints_.begin(), endpoints_.end(),
                     [](const auto& e) { return e.second.polled; });
}

bool ServiceStatus::making_progress(Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::all_of(endpoints_.begin(), endpoints_.end(),
                     [&](const auto& e) { return now <= e.second.promise; });
}

std::uint64_t ServiceStatus::version() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return version_;
}

std::string ServiceStatus::summary(Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  while (!cancels_.empty() && now - cancels_.front() > std::chrono::minutes(1))
    cancels_.pop_front();
  std::size_t healthy = 0, queries = 0;
  for (const auto& [name, e] : endpoints_) {
    healthy += e.healthy;
    queries += e.queries;
  }
  return std::to_string(healthy) + "/" + std::to_string(endpoints_.size()) +
         " endpoints healthy, " + std::to_string(queries) + " queries seen, " +
         std::to_string(cancels_.size()) +
         " cancels in the last minute, last error: " + (last_error_.empty() ? "none" : last_error_);
}

}  // namespace nw
