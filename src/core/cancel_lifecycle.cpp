#include "nw/core/cancel_lifecycle.h"

namespace nw {

std::string_view to_string(CancelStep step) {
  switch (step) {
    case CancelStep::send:
      return "send";
    case CancelStep::retry:
      return "retry";
    case CancelStep::give_up:
      return "give_up";
    case CancelStep::none:
      return "none";
  }
  return "none";
}

CancelStep next_cancel_step(const CancelHistory& h) {
  if (h.in_flight || h.given_up) return CancelStep::none;
  if (h.refused > 0) return CancelStep::give_up;
  const int answered = h.acknowledged + h.not_found;
  if (answered == 0) return CancelStep::send;
  if (answered == 1) return CancelStep::retry;
  return CancelStep::give_up;
}

std::string_view lifecycle_reason(CancelStep step, const CancelHistory& h) {
  const bool acknowledged = h.acknowledged > 0;
  if (step == CancelStep::retry)
    return acknowledged
               ? "still running after Neptune acknowledged its cancel; retrying once"
               : "still listed after Neptune answered that it was not found; retrying once";
  if (step == CancelStep::give_up && h.refused > 0)
    return "Neptune refused its cancel (AccessDenied: the watchdog's IAM policy needs "
           "neptune-db:CancelQuery); not cancelling it again (left to the operator)";
  if (step == CancelStep::give_up)
    return "still listed after a retried cancel; not cancelling it again (left to the operator)";
  return "";
}

}  // namespace nw
