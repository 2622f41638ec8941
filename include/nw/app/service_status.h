#pragma once
// What the endpoint pollers report to the main thread for systemd: whether every endpoint has
// been polled once (readiness), a one-line summary after every cycle (STATUS=), and whether
// every poll loop is still making progress (the watchdog keep-alive).
//
// Progress is judged by promises: before every wait (a request, a back-off, the sleep until
// the next poll) a poller promises a time by which it will report again. A loop that breaks
// its promise is hung, and systemd's watchdog should restart the daemon; a loop that merely
// sleeps for a long poll_interval is not.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace nw {

class ServiceStatus {
 public:
  using Clock = std::chrono::steady_clock;

  // Loops are named as in logs ("writer", "writer/gremlin"); they come and go with reloads.
  explicit ServiceStatus(std::vector<std::string> loop_names, Clock::time_point now = Clock::now());

  // A loop that starts now: it has a minute of grace until its first report.
  void add(const std::string& loop, Clock::time_point now = Clock::now());
  // A loop that stopped: it no longer counts for readiness, progress or the summary.
  void remove(const std::string& loop);

  // Both ignore a loop that is not (or no longer) there.
  void promise_progress_by(const std::string& loop, Clock::time_point deadline);
  void cycle_finished(const std::string& loop, bool poll_ok, std::size_t queries_seen,
                      const std::string& error, Clock::time_point now = Clock::now());
  void cancel_sent(Clock::time_point now = Clock::now());

  bool all_polled_once() const;
  bool making_progress(Clock::time_point now = Clock::now()) const;
  // Changes whenever a cycle finishes: the main thread sends STATUS= when it changes.
  std::uint64_t version() const;
  // "2/2 endpoints healthy, 37 queries seen, 4 cancels in the last minute, last error: none"
  std::string summary(Clock::time_point now = Clock::now()) const;

 private:
  struct Endpoint {
    bool polled = false;
    bool healthy = false;
    std::size_t queries = 0;
    Clock::time_point promise;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Endpoint> endpoints_;      // by loop name
  mutable std::deque<Clock::time_point> cancels_;  // within the last minute
  std::string last_error_;
  std::uint64_t version_ = 0;
};

}  // namespace nw
