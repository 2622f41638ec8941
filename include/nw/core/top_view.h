#pragma once
// `neptune-watchdog top`: what its screen shows and what each key does, without a terminal.
// The ncurses adapter (nw/io/terminal_screen.h) draws the lines render_top() gives and hands
// keys to top_key(); everything an operator sees or can do is decided here, so a test can
// press every key.
//
// The screen, top to bottom: a title line (time, sort, filters), an operator's pause if one is
// in force, one line per instance (running, queued, oldest, last poll, failed polls), the
// column names, a row per query (endpoint, query id, state, age, a bar of its age against its
// governing rule's limit and the time left until the rule acts, the rule, the text on one
// line), and a last line of keys, a prompt or a message. Rows are sorted by time to action
// (then age), by age, or by endpoint; the selection follows its query across refreshes.
#include <cstddef>
#include <string>
#include <vector>

#include "nw/core/live_view.h"

namespace nw {

enum class TopSort { action, age, endpoint };

// Keys beyond characters (the adapter maps the terminal's to these).
enum TopKey : int {
  kTopUp = 0x10000,
  kTopDown,
  kTopPageUp,
  kTopPageDown,
  kTopHome,
  kTopEnd,
  kTopEnter,
  kTopEscape,
  kTopBackspace,
  kTopGone,  // the terminal went away (a hang-up): quit
};

struct TopRow {
  std::string endpoint;
  Language language = Language::opencypher;
  LiveQuery query;  // its clocks advanced to the view's instant (running queries' age grows)
};

struct TopState {
  enum class Mode { list, details, filter, confirm };
  Mode mode = Mode::list;
  TopSort sort = TopSort::action;
  std::string text_filter;      // `/`: rows whose text or id contains it
  std::string endpoint_filter;  // `e`: cycles through the endpoints, then all again
  std::string input;            // the filter being typed
  // The selected row's endpoint, language and id: kept across refreshes.
  std::string selected;
  std::size_t first = 0;  // the first row shown
  std::string message;    // shown on the last line until the next key
  // The query `c` asked about (endpoint, language, id, as `selected`): `y` cancels this one
  // only, never whatever row a refresh put under the cursor meanwhile.
  std::string confirming;
};

// The rows the state shows, filtered and sorted.
std::vector<TopRow> top_rows(const LiveFleet& fleet, const TopState& state);

// What a key asks of the program beyond the screen.
struct TopCommand {
  enum class Kind { none, quit, cancel };
  Kind kind = Kind::none;
  TopRow row;  // with cancel: the confirmed row
};

// Applies `key` to `state`; `page` is how many rows the screen shows.
TopCommand top_key(TopState& state, const LiveFleet& fleet, int key, std::size_t page);

// The screen's lines, at most `height`, each at most `width` characters; `selected_line` is set
// to the line of the selected row (or to `height` when none is shown).
std::vector<std::string> render_top(const LiveFleet& fleet, TopState& state, std::size_t width,
                                    std::size_t height, std::size_t& selected_line);

}  // namespace nw
