#pragma once
// What every poll loop saw last, for the live view (`status`, `top`) and the admin socket's
// cancels: each loop publishes its last snapshot (immutable, shared: no copy) and how its
// polls go; the admin socket's threads read it. Nothing here asks Neptune: the view costs
// Neptune nothing.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nw/core/duration.h"
#include "nw/core/query_status.h"
#include "nw/io/neptune_client.h"

namespace nw {

struct BoardEntry {
  std::string endpoint;  // the [endpoint.NAME], or CLUSTER/INSTANCE
  Language language = Language::opencypher;
  InstanceRole role = InstanceRole::unknown;
  std::shared_ptr<NeptuneClient> client;  // the loop's: an operator's cancel goes through it
  Millis request_timeout{0};
  std::shared_ptr<const StatusSnapshot> snapshot;  // null before the first successful poll
  std::optional<std::chrono::system_clock::time_point> polled_at;
  std::string last_error;  // of the last poll; empty when it succeeded
  std::uint64_t failed_polls = 0;
};

class LiveBoard {
 public:
  // A loop's state, replacing what it published before (by its label).
  void publish(const std::string& label, BoardEntry entry);
  // A loop that stopped (retired by a reload or a topology change).
  void remove(const std::string& label);
  // Every loop's last state, by endpoint, then language.
  std::vector<BoardEntry> entries() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, BoardEntry> entries_;
};

}  // namespace nw
