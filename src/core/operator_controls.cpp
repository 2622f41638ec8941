#include "nw/core/operator_controls.h"

#include "nw/core/rfc3339.h"

namespace nw {

std::string describe_pause(const OperatorPause& pause) {
  std::string out = "cancelling paused by " + pause.requested_by + " since " +
                    format_rfc3339(pause.since) +
                    (pause.until ? " until " + format_rfc3339(*pause.until) : std::string());
  if (!pause.reason.empty()) out += ": " + pause.reason;
  return out;
}

}  // namespace nw
