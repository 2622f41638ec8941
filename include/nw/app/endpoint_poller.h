#pragma once
// One instance endpoint's loop: poll the status, decide, cancel or log, audit each decision.
// Each endpoint runs in its own thread, so a slow or failing instance never delays another.
#include <memory>
#include <mutex>
#include <optional>
#include <random>

#include "nw/app/stop_token.h"
#include "nw/core/audit_record.h"
#include "nw/core/config.h"
#include "nw/core/decide.h"
#include "nw/core/decision_memory.h"
#include "nw/io/audit_log.h"
#include "nw/io/neptune_client.h"

namespace spdlog {
class logger;
}

namespace nw {

class EndpointPoller {
 public:
  EndpointPoller(EndpointConfig endpoint, std::shared_ptr<const WatchdogConfig> config,
                 std::unique_ptr<NeptuneClient> client, AuditLog& audit, spdlog::logger& log,
                 StopToken& stop);

  // One cycle. Returns false when the status could not be fetched (after retries); a failed
  // poll cancels nothing and audits nothing, and the next cycle polls again.
  bool poll_once();

  // Cycles until stop is requested, starting a poll every poll_interval (at once if a cycle
  // overran it).
  void run();

  // The audit record of a cancel still waiting for Neptune's answer, if any. At shutdown the
  // daemon abandons such a request after a grace period and writes this record, so that no
  // decision goes unrecorded.
  std::optional<AuditRecord> in_flight_cancel() const;

  const std::string& name() const { return endpoint_.name; }

 private:
  AuditRecord record_for(const StatusSnapshot& snapshot, const Decision& decision) const;
  void act(AuditRecord& record, const Decision& decision);
  void write_audit(const AuditRecord& record);

  EndpointConfig endpoint_;
  std::shared_ptr<const WatchdogConfig> config_;
  std::unique_ptr<NeptuneClient> client_;
  AuditLog& audit_;
  spdlog::logger& log_;
  StopToken& stop_;
  DecisionMemory memory_;
  std::mt19937_64 rng_;
  mutable std::mutex in_flight_mutex_;
  std::optional<AuditRecord> in_flight_;
};

}  // namespace nw
