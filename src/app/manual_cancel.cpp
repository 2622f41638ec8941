#include "nw/app/manual_cancel.h"

#include <algorithm>
#include <cstdlib>
#include <future>
#include <ostream>
#include <pwd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "nw/app/audit_trail.h"
#include "nw/app/cancel_dispatcher.h"
#include "nw/app/retry.h"
#include "nw/app/scheduler.h"
#include "nw/app/service_status.h"
#include "nw/app/stop_token.h"
#include "nw/core/audit_record.h"
#include "nw/core/cancel_budget.h"
#include "nw/core/clock.h"
#include "nw/core/fingerprint.h"
#include "nw/core/metrics.h"
#include "nw/io/audit_log.h"
#include "nw/io/credential_chains.h"
#include "nw/io/exchange_reaper.h"
#include "nw/io/logging.h"
#include "nw/io/neptune_client.h"

namespace nw {

namespace {

constexpr int kCancelled = 0;
constexpr int kNotCancelled = 1;
constexpr int kUsage = 64;
constexpr int kConfig = 78;

double unit_random() {
  return static_cast<double>(std::rand()) / RAND_MAX;
}

std::string names_of(const WatchdogConfig& config) {
  std::string out;
  for (const auto& e : config.endpoints) out += (out.empty() ? "" : ", ") + e.name;
  return out.empty() ? "none" : out;
}

}  // namespace

AuditRecord manual_cancel_record(const std::string& endpoint, Language language,
                                 const std::string& query_id, bool silent,
                                 const std::string& requested_by, const QueryStatus* found,
                                 const std::string& config_version, RunMode mode) {
  AuditRecord record;
  record.endpoint = endpoint;
  record.language = language;
  record.query_id = query_id;
  record.rule = "manual";
  record.action = RuleAction::cancel;
  record.silent = silent && language != Language::gremlin;
  record.config_version = config_version;
  record.mode = mode;
  record.reason = "manual cancel by " + requested_by;
  record.requested_by = requested_by;
  if (found) {
    record.elapsed_ms = found->elapsed_ms;
    record.waited_ms = found->waited_ms;
    record.query = found->text;
    if (!found->text.empty())
      record.fingerprint = fingerprint_hex(fingerprint_query(language, found->text).hash);
  }
  return record;
}

std::string describe_manual_outcome(const AuditRecord& outcome) {
  std::string out;
  switch (outcome.outcome) {
    case AuditOutcome::cancelled:
      out = "cancelled";
      break;
    case AuditOutcome::not_found:
      out = "not found: it ended before the cancel arrived";
      break;
    default:
      out = "not cancelled: " + printable(outcome.error);
  }
  return out + " (" + std::to_string(outcome.attempts) + " request(s); record " +
         outcome.record_id + ")";
}

std::string operator_name() {
  std::string name = std::to_string(::getuid());
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) name = pw->pw_name;
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo && name != sudo)
    name += std::string(" (sudo by ") + sudo + ")";
  return name;
}

int run_manual_cancel(const WatchdogConfig& config, const ManualCancel& cancel, std::ostream& out,
                      std::ostream& err) {
  const auto endpoint =
      std::find_if(config.endpoints.begin(), config.endpoints.end(),
                   [&](const EndpointConfig& e) { return e.name == cancel.endpoint; });
  if (endpoint == config.endpoints.end()) {
    err << "neptune-watchdog cancel: " << config.origin << " has no [endpoint." << cancel.endpoint
        << "] (its endpoints: " << names_of(config) << ")\n";
    return kUsage;
  }
  const Language language = cancel.language.value_or(endpoint->languages.front());
  if (std::find(endpoint->languages.begin(), endpoint->languages.end(), language) ==
      endpoint->languages.end()) {
    std::string languages;
    for (Language l : endpoint->languages)
      languages += (languages.empty() ? "" : ", ") + std::string(to_string(l));
    err << "neptune-watchdog cancel: [endpoint." << endpoint->name << "] is not watched for "
        << to_string(language) << " (its languages = " << languages << ")\n";
    return kUsage;
  }
  const auto log = make_diagnostic_logger(config.watchdog.log_level);
  std::shared_ptr<AuditLog> audit;
  try {
    audit = std::make_shared<AuditLog>(config.watchdog);
  } catch (const AuditOpenError& e) {
    err << config.origin << ": " << e.key << ": " << e.what()
        << "; nothing is cancelled without its audit record\n";
    return kConfig;
  }
  const auto reaper = std::make_shared<ExchangeReaper>();
  CredentialChainOptions chain_options;
  chain_options.log = log;
  chain_options.reaper = reaper;
  CredentialChains chains(chain_options);
  std::shared_ptr<NeptuneClient> client;
  try {
    client = make_neptune_client(*endpoint, language, chains.for_endpoint(*endpoint), reaper);
  } catch (const EndpointSetupError& e) {
    err << config.origin << ": " << e.key << ": " << e.what() << "\n";
    return kConfig;
  }
  StopToken stop;
  SystemClock clock;

  // What is running under that id: its text and clocks go into the records.
  auto found = call_with_retries<QueryStatus>([&] { return client->get_query(cancel.query_id); },
                                              config.retry, stop, unit_random);
  if (!found.result && found.result.failure().kind == FailureKind::query_not_found) {
    out << "query " << loggable_id(cancel.query_id) << " is not running on " << endpoint->name
        << " (" << to_string(language) << "): nothing to cancel\n";
    return kNotCancelled;
  }
  AuditRecord record = manual_cancel_record(
      endpoint->name, language, cancel.query_id, cancel.silent, cancel.requested_by,
      found.result ? &found.result.value() : nullptr, config.version, RunMode::once);
  record.time = clock.wall_now();
  // Its status could not be read; the cancel is still worth sending.
  if (!found.result)
    record.reason += " (its status could not be read: " + found.result.failure().describe() + ")";

  // The daemon's cancel path: write-ahead record, the send with [retry], the outcome record.
  ServiceStatus status({});
  Metrics metrics;
  CancelBudget budget(config.policy);
  Scheduler scheduler(clock, Scheduler::Options{1, 2});
  AuditTrail trail(audit);
  CancelDispatcher cancels(trail, budget, status, metrics, *log, stop, scheduler, clock, 1);
  CancelOrder order;
  order.record = record;
  order.client = client;
  order.retry = config.retry;
  order.pause_on_audit_failure = true;
  order.max_in_flight = 1;
  order.request_timeout = endpoint->request_timeout;
  order.label = endpoint->name;
  order.operator_request = true;
  std::promise<CancelResult> finished;
  const Admitted admitted =
      cancels.submit(order, scheduler.make_strand(),
                     [&finished](const CancelResult& r) { finished.set_value(r); });
  if (admitted.admission != Admission::sent) {
    err << "neptune-watchdog cancel: not sent: its `sending` record could not be written to "
        << audit->path() << " (" << audit->last_error() << ")\n";
    scheduler.stop(std::chrono::steady_clock::now());
    return kNotCancelled;
  }
  const CancelResult result = finished.get_future().get();
  scheduler.stop(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  const AuditRecord& outcome = result.outcome;
  out << "query " << loggable_id(cancel.query_id) << " on " << endpoint->name << " ("
      << to_string(language) << "): " << describe_manual_outcome(outcome) << "; audited in "
      << audit->path() << "\n";
  return outcome.outcome == AuditOutcome::cancelled ? kCancelled : kNotCancelled;
}

}  // namespace nw
