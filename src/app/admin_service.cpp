#include "nw/app/admin_service.h"

#include <algorithm>
#include <future>
#include <memory>

#include "nw/app/manual_cancel.h"
#include "nw/app/quarantine_book.h"
#include "nw/core/audit_record.h"
#include "nw/core/rfc3339.h"
#include "nw/io/admin_protocol.h"

namespace nw {

namespace {

// The longest an operator's cancel waits for Neptune's answer before the daemon answers "sent"
// (the `cancel` subcommand and `top` wait 120 s for the daemon).
constexpr std::chrono::seconds kAdminCancelWait{100};

}  // namespace

AdminService::AdminService(Services services)
    : services_(services), strand_(services.scheduler.make_strand()) {}

LiveFleet AdminService::live_fleet() const {
  const auto config = services_.config.get();
  const auto controls = services_.controls.current();
  const auto quarantine =
      services_.quarantine ? services_.quarantine->current() : std::shared_ptr<QuarantineList>();
  LiveFleet fleet;
  fleet.at = services_.clock.wall_now();
  fleet.config_version = config->version;
  if (const OperatorPause* pause = controls->pause_at(fleet.at))
    fleet.pause = describe_pause(*pause);
  fleet.temporary_protections = controls->protections.size();
  for (const BoardEntry& e : services_.board.entries()) {
    LiveInstance in;
    in.endpoint = e.endpoint;
    in.language = e.language;
    // A typed endpoint has no role: nothing is shown for it.
    in.role = e.role == InstanceRole::unknown ? "" : std::string(to_string(e.role));
    in.polled_at = e.polled_at;
    in.last_error = e.last_error;
    in.failed_polls = e.failed_polls;
    if (e.snapshot && e.polled_at)
      in.queries = live_queries(*e.snapshot, config->policy, *e.polled_at,
                                Overrides(quarantine.get(), &controls->protections));
    fleet.instances.push_back(std::move(in));
  }
  return fleet;
}

std::string AdminService::handle(const std::string& line, const AdminPeer& peer) {
  std::string error;
  const auto request = parse_admin_request(line, error);
  if (!request) return admin_error(error);
  const auto now = services_.clock.wall_now();
  ControlReply reply;
  switch (request->op) {
    case AdminOp::status:
      return admin_status(live_fleet());
    case AdminOp::cancel:
      return cancel(request->endpoint, request->language, request->query_id, request->silent,
                    peer.name);
    case AdminOp::protect:
      reply = services_.controls.protect(peer.name, request->query_id, request->matches,
                                         *request->length, now);
      break;
    case AdminOp::pause:
      reply = services_.controls.pause(peer.name, *request->length, request->reason, now);
      break;
    case AdminOp::resume:
      reply = services_.controls.resume(peer.name, now);
      break;
  }
  return reply.ok ? admin_ok(reply.message) : admin_error(reply.message);
}

std::string AdminService::cancel(const std::string& endpoint, std::optional<Language> language,
                                 const std::string& query_id, bool silent,
                                 const std::string& requested_by) {
  const auto entries = services_.board.entries();
  const BoardEntry* loop = nullptr;
  std::string watched;
  for (const BoardEntry& e : entries) {
    watched +=
        (watched.empty() ? "" : ", ") + e.endpoint + "/" + std::string(to_string(e.language));
    if (!loop && e.endpoint == endpoint && (!language || e.language == *language)) loop = &e;
  }
  if (!loop)
    return admin_error("cancel: no loop watches " + endpoint +
                       (language ? " for " + std::string(to_string(*language)) : std::string()) +
                       " (watched: " + (watched.empty() ? "none" : watched) + ")");
  const auto config_now = services_.config.get();
  // What the last poll saw must still be what Neptune has: a failed or old poll could name a
  // query that ended, and a client may have started another under the same id since.
  if (!loop->last_error.empty())
    return admin_error("cancel: the last poll of " + loop->endpoint + " failed (" +
                       loop->last_error + "); nothing sent");
  if (!loop->polled_at ||
      services_.clock.wall_now() - *loop->polled_at > 3 * config_now->watchdog.poll_interval)
    return admin_error("cancel: " + loop->endpoint +
                       " has not been polled successfully for 3 poll intervals; nothing sent");
  const QueryStatus* found = nullptr;
  std::size_t named = 0;
  if (loop->snapshot)
    for (const QueryStatus& q : loop->snapshot->queries)
      if (q.id == query_id) {
        found = &q;
        ++named;
      }
  // Neptune cancels by id: an id that names several queries would cancel them all (the rules
  // never touch such ids either).
  if (named > 1)
    return admin_error("cancel: the id " + loggable_id(query_id) + " names " +
                       std::to_string(named) + " queries on " + endpoint +
                       ": a cancel would hit all of them; nothing sent");
  if (!found)
    return admin_error("cancel: query " + loggable_id(query_id) + " was not listed by " + endpoint +
                       "'s last poll" +
                       (loop->polled_at ? " at " + format_rfc3339(*loop->polled_at) : "") +
                       "; nothing sent");
  const auto config = services_.config.get();
  CancelOrder order;
  order.record = manual_cancel_record(loop->endpoint, loop->language, query_id, silent,
                                      requested_by, found, config->version, RunMode::service);
  order.record.time = services_.clock.wall_now();
  order.client = loop->client;
  order.retry = config->retry;
  order.pause_on_audit_failure = config->watchdog.pause_on_audit_failure;
  order.max_in_flight = 4;
  order.request_timeout = loop->request_timeout;
  order.label = loop->endpoint + " (admin)";
  order.operator_request = true;
  auto finished = std::make_shared<std::promise<CancelResult>>();
  std::future<CancelResult> outcome = finished->get_future();
  const Admitted admitted = services_.cancels.submit(
      std::move(order), strand_, [finished](const CancelResult& r) { finished->set_value(r); });
  switch (admitted.admission) {
    case Admission::sent:
      break;
    case Admission::paused:
    case Admission::not_recorded:
      return admin_error("cancel: not sent: the audit log cannot be written");
    case Admission::stopping:
      return admin_error("cancel: not sent: the daemon is stopping");
    case Admission::not_owner:
      return admin_error("cancel: not sent: another replica owns " + loop->endpoint);
    default:
      return admin_error("cancel: not sent: too many cancels wait their turn");
  }
  // Neptune's answer, or as long as all tries of it could take, or shutdown.
  const auto tries = static_cast<int>(config->retry.max_attempts);
  // At most kAdminCancelWait, so that the client (which waits longer) always has an answer.
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::min<std::chrono::steady_clock::duration>(
          (3 * loop->request_timeout + config->retry.max_backoff) * tries + std::chrono::seconds(5),
          kAdminCancelWait);
  while (outcome.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    if (services_.stop.stop_requested() || std::chrono::steady_clock::now() > deadline)
      return admin_ok("query " + loggable_id(query_id) + " on " + loop->endpoint +
                      ": sent; no answer yet (see the audit log)");
  }
  const CancelResult result = outcome.get();
  const std::string message = "query " + loggable_id(query_id) + " on " + loop->endpoint + " (" +
                              std::string(to_string(loop->language)) +
                              "): " + describe_manual_outcome(result.outcome);
  return result.outcome.outcome == AuditOutcome::cancelled ? admin_ok(message)
                                                           : admin_error(message);
}

}  // namespace nw
