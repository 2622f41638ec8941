#pragma once
// `neptune-watchdog top`: the live view on a terminal, refreshed every second (nw/core/top_view.h
// decides what it shows and what keys do; nw/io/terminal_screen.h draws it).
//
// Where its data comes from: the running daemon's admin socket when one answers (its loops'
// last polls: no extra load on Neptune), else `top` polls the configuration's endpoints itself
// with the daemon's client, credentials and policy (typed endpoints; a cluster's instances are
// the daemon's to discover). `c` cancels the selected query after a confirmation: through the
// daemon when there is one, else as `neptune-watchdog cancel` does; either way audited with
// rule `manual` and the operator's name.
//
// With `once`, or when standard output is not a terminal, it prints one frame as text and exits.
#include <iosfwd>

#include "nw/core/config.h"

namespace nw {

// Returns 0, or 69 when `once` could not get a view, 78 for an endpoint that cannot be set up.
int run_top(const WatchdogConfig& config, bool once, std::ostream& out, std::ostream& err);

}  // namespace nw
