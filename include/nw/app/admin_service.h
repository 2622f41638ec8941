#pragma once
// What the daemon does with the admin socket's requests (nw/io/admin_protocol.h): the live
// view from the LiveBoard, an operator's cancel through the CancelDispatcher (the one path of
// every cancel: write-ahead record, [retry], outcome record; rule `manual`, who asked in the
// reason and `requested_by`), and the pause and protections of OperatorControls.
//
// An operator's cancel goes out while cancelling is paused by an operator (the pause holds the
// rules' decisions back, not an operator's explicit one), but not while the audit log cannot
// be written (nothing is sent without its record). It names a query the last poll listed: the
// record carries its text and clocks.
#include <chrono>
#include <string>

#include "nw/app/cancel_dispatcher.h"
#include "nw/app/config_holder.h"
#include "nw/app/live_board.h"
#include "nw/app/operator_controls.h"
#include "nw/app/scheduler.h"
#include "nw/app/stop_token.h"
#include "nw/core/clock.h"
#include "nw/core/live_view.h"
#include "nw/io/admin_socket.h"

namespace nw {

class QuarantineBook;

class AdminService {
 public:
  struct Services {
    const ConfigHolder& config;
    OperatorControls& controls;
    const LiveBoard& board;
    CancelDispatcher& cancels;
    Scheduler& scheduler;
    StopToken& stop;
    const Clock& clock;
    const QuarantineBook* quarantine = nullptr;
  };
  explicit AdminService(Services services);

  // The answer to one request line from `peer` (authorised by the socket).
  std::string handle(const std::string& request, const AdminPeer& peer);

  // Every loop's last poll judged under the configuration and overrides in force now.
  LiveFleet live_fleet() const;

 private:
  std::string cancel(const std::string& endpoint, std::optional<Language> language,
                     const std::string& query_id, bool silent, const std::string& requested_by);

  Services services_;
  const Scheduler::StrandId strand_;  // where operators' cancels report their outcome
};

}  // namespace nw
