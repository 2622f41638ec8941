#include "nw/app/service_status.h"

#include <algorithm>

namespace nw {

ServiceStatus::ServiceStatus(std::vector<std::string> endpoint_names, Clock::time_point now) {
  for (auto& name : endpoint_names) {
    Endpoint e;
    e.name = std::move(name);
    e.promise = now + std::chrono::minutes(1);  // start-up grace until the first report
    endpoints_.push_back(std::move(e));
  }
}

void ServiceStatus::promise_progress_by(std::size_t endpoint, Clock::time_point deadline) {
  std::lock_guard<std::mutex> lock(mutex_);
  endpoints_.at(endpoint).promise = deadline;
}

void ServiceStatus::cycle_finished(std::size_t endpoint, bool poll_ok, std::size_t queries_seen,
                                   const std::string& error, Clock::time_point) {
  std::lock_guard<std::mutex> lock(mutex_);
  Endpoint& e = endpoints_.at(endpoint);
  e.polled = true;
  e.healthy = poll_ok;
  if (poll_ok) e.queries = queries_seen;
  if (!poll_ok) last_error_ = e.name + ": " + error;
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
  return std::all_of(endpoints_.begin(), endpoints_.end(), [](const Endpoint& e) { return e.polled; });
}

bool ServiceStatus::making_progress(Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::all_of(endpoints_.begin(), endpoints_.end(),
                     [&](const Endpoint& e) { return now <= e.promise; });
}

std::uint64_t ServiceStatus::version() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return version_;
}

std::string ServiceStatus::summary(Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  while (!cancels_.empty() && now - cancels_.front() > std::chrono::minutes(1)) cancels_.pop_front();
  std::size_t healthy = 0, queries = 0;
  for (const auto& e : endpoints_) {
    healthy += e.healthy;
    queries += e.queries;
  }
  return std::to_string(healthy) + "/" + std::to_string(endpoints_.size()) + " endpoints healthy, " +
         std::to_string(queries) + " queries seen, " + std::to_string(cancels_.size()) +
         " cancels in the last minute, last error: " + (last_error_.empty() ? "none" : last_error_);
}

}  // namespace nw
