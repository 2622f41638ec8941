#pragma once
// The admin socket's messages (nw/io/admin_socket.h), one JSON object each way:
//
//   {"op": "status"}
//   {"op": "cancel", "endpoint": "writer", "language": "gremlin", "query_id": "…", "silent": true}
//   {"op": "protect", "query_id": "…" | "matches": "REGEX", "for": "1h"}
//   {"op": "pause", "for": "30m", "reason": "deploy"}
//   {"op": "resume"}
//
// Answers: {"ok": true, "message": "…"}, {"ok": false, "error": "…"}, and for status
// {"ok": true, "status": LIVE_FLEET}. Who asked is never part of a request: the daemon takes it
// from the socket's peer credentials.
#include <optional>
#include <string>

#include "nw/core/duration.h"
#include "nw/core/live_view.h"
#include "nw/core/query_status.h"

namespace nw {

enum class AdminOp { status, cancel, protect, pause, resume };

struct AdminRequest {
  AdminOp op = AdminOp::status;
  std::string endpoint;
  std::optional<Language> language;
  std::string query_id;
  bool silent = false;
  std::string matches;
  std::optional<Millis> length;  // "for"
  std::string reason;
};

// The request in `line`, or nullopt with `error` saying what is wrong with it.
std::optional<AdminRequest> parse_admin_request(const std::string& line, std::string& error);
std::string admin_request_json(const AdminRequest& request);

// Answers.
std::string admin_ok(const std::string& message);
std::string admin_error(const std::string& message);
std::string admin_status(const LiveFleet& fleet);

// An answer read back: ok or not, its message (or error), and for status the view.
struct AdminAnswer {
  bool ok = false;
  std::string message;
  std::optional<LiveFleet> fleet;
};
// Nullopt with `error` set when `text` is not an answer of this protocol.
std::optional<AdminAnswer> parse_admin_answer(const std::string& text, std::string& error);

}  // namespace nw
