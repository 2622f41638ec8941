#pragma once
// The operator's subcommands that talk to the running daemon through its admin socket
// (`[watchdog] admin_socket`, nw/io/admin_socket.h): `status`, `pause`, `resume`, `protect`,
// and `cancel` when a daemon answers (otherwise `cancel` works alone: nw/app/manual_cancel.h).
#include <iosfwd>
#include <optional>

#include "nw/app/manual_cancel.h"
#include "nw/core/config.h"
#include "nw/io/admin_protocol.h"

namespace nw {

// Sends `request` and prints the answer: for status, the live view as text (or the JSON answer
// with `json`). Returns 0 when the daemon did it, 1 when it refused or failed, 69 when no daemon
// answers (or none is configured), 64 for a request it found malformed.
int run_admin_command(const WatchdogConfig& config, const AdminRequest& request, bool json,
                      std::ostream& out, std::ostream& err);

// `cancel` through the running daemon: its loops know the query, its cancel path sends it.
// Nullopt when no admin socket is configured or no daemon answers on it: the caller cancels
// on its own then.
std::optional<int> cancel_through_daemon(const WatchdogConfig& config, const ManualCancel& cancel,
                                         std::ostream& out, std::ostream& err);

}  // namespace nw
