#include "nw/core/top_view.h"

#include <algorithm>

#include "nw/core/audit_record.h"
#include "nw/core/rfc3339.h"
#include "nw/core/text_columns.h"

namespace nw {

namespace {

std::string key_of(const TopRow& row) {
  return row.endpoint + '\n' + std::string(to_string(row.language)) + '\n' + row.query.id;
}

// "query ID on ENDPOINT" of a row's key.
std::string confirm_text(const std::string& key) {
  const auto first = key.find('\n');
  const auto second = key.find('\n', first + 1);
  if (first == std::string::npos || second == std::string::npos) return "the query";
  return "query " + terminal_line(key.substr(second + 1)) + " on " +
         terminal_line(key.substr(0, first));
}

std::string bar(const LiveQuery& q, std::size_t width) {
  if (!q.limit_ms || *q.limit_ms <= 0) return std::string(width + 2, ' ');
  const std::int64_t age = std::max<std::int64_t>(0, q.queued ? q.waited_ms : q.elapsed_ms);
  const auto filled = static_cast<std::size_t>(std::min<std::int64_t>(
      static_cast<std::int64_t>(width), age * static_cast<std::int64_t>(width) / *q.limit_ms));
  return "[" + std::string(filled, '#') + std::string(width - filled, '-') + "]";
}

std::string left_of(const LiveQuery& q) {
  if (!q.action_in_ms) return "-";
  return *q.action_in_ms == 0 ? "now" : short_duration(*q.action_in_ms);
}

const char* sort_name(TopSort sort) {
  switch (sort) {
    case TopSort::action:
      return "action";
    case TopSort::age:
      return "age";
    case TopSort::endpoint:
      return "endpoint";
  }
  return "";
}

std::vector<std::string> endpoints_of(const LiveFleet& fleet) {
  std::vector<std::string> out;
  for (const auto& in : fleet.instances)
    if (std::find(out.begin(), out.end(), in.endpoint) == out.end()) out.push_back(in.endpoint);
  return out;
}

std::size_t selected_index(const std::vector<TopRow>& rows, const std::string& selected) {
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (key_of(rows[i]) == selected) return i;
  return 0;
}

}  // namespace

std::vector<TopRow> top_rows(const LiveFleet& fleet, const TopState& state) {
  std::vector<TopRow> rows;
  for (const LiveInstance& in : fleet.instances) {
    if (!state.endpoint_filter.empty() && in.endpoint != state.endpoint_filter) continue;
    // The clocks of running queries go on between polls; queued ones' too.
    std::int64_t since = 0;
    if (in.polled_at)
      since = std::max<std::int64_t>(
          0,
          std::chrono::duration_cast<std::chrono::milliseconds>(fleet.at - *in.polled_at).count());
    for (const LiveQuery& q : in.queries) {
      if (!state.text_filter.empty() && q.text.find(state.text_filter) == std::string::npos &&
          q.id.find(state.text_filter) == std::string::npos)
        continue;
      TopRow row{in.endpoint, in.language, q};
      (row.query.queued ? row.query.waited_ms : row.query.elapsed_ms) += since;
      if (row.query.action_in_ms)
        row.query.action_in_ms = std::max<std::int64_t>(0, *row.query.action_in_ms - since);
      rows.push_back(std::move(row));
    }
  }
  const auto age = [](const TopRow& r) { return std::max(r.query.elapsed_ms, r.query.waited_ms); };
  std::stable_sort(rows.begin(), rows.end(), [&](const TopRow& a, const TopRow& b) {
    if (state.sort == TopSort::endpoint && a.endpoint != b.endpoint) return a.endpoint < b.endpoint;
    if (state.sort == TopSort::action) {
      const auto& x = a.query.action_in_ms;
      const auto& y = b.query.action_in_ms;
      if (x.has_value() != y.has_value()) return x.has_value();
      if (x && *x != *y) return *x < *y;
    }
    if (age(a) != age(b)) return age(a) > age(b);
    return key_of(a) < key_of(b);
  });
  return rows;
}

TopCommand top_key(TopState& state, const LiveFleet& fleet, int key, std::size_t page) {
  // Ctrl-C (raw mode) quits from every mode, as in any terminal program.
  if (key == kTopGone || key == 3) return {TopCommand::Kind::quit, {}};
  state.message.clear();
  const std::vector<TopRow> rows = top_rows(fleet, state);
  std::size_t at = selected_index(rows, state.selected);
  const auto select = [&](std::size_t index) {
    if (!rows.empty()) state.selected = key_of(rows[std::min(index, rows.size() - 1)]);
  };
  switch (state.mode) {
    case TopState::Mode::details:
      state.mode = TopState::Mode::list;
      return {};
    case TopState::Mode::filter:
      if (key == kTopEnter) {
        state.text_filter = state.input;
        state.mode = TopState::Mode::list;
        state.first = 0;
      } else if (key == kTopEscape) {
        state.mode = TopState::Mode::list;
      } else if (key == kTopBackspace) {
        if (!state.input.empty()) state.input.pop_back();
      } else if (key >= 0x20 && key < 0x7f && state.input.size() < 200) {
        state.input += static_cast<char>(key);
      }
      return {};
    case TopState::Mode::confirm: {
      state.mode = TopState::Mode::list;
      const std::string target = std::move(state.confirming);
      state.confirming.clear();
      if (key != 'y' && key != 'Y') {
        state.message = "not cancelled";
        return {};
      }
      for (const TopRow& row : rows)
        if (key_of(row) == target) return {TopCommand::Kind::cancel, row};
      state.message = "not cancelled: the query is no longer listed";
      return {};
    }
    case TopState::Mode::list:
      break;
  }
  switch (key) {
    case 'q':
    case 'Q':
    case 3:  // Ctrl-C in raw mode
      return {TopCommand::Kind::quit, {}};
    case kTopUp:
    case 'k':
      select(at == 0 ? 0 : at - 1);
      break;
    case kTopDown:
    case 'j':
      select(at + 1);
      break;
    case kTopPageUp:
      select(at > page ? at - page : 0);
      break;
    case kTopPageDown:
      select(at + page);
      break;
    case kTopHome:
      select(0);
      break;
    case kTopEnd:
      select(rows.empty() ? 0 : rows.size() - 1);
      break;
    case kTopEnter:
      if (!rows.empty()) state.mode = TopState::Mode::details;
      break;
    case '/':
      state.mode = TopState::Mode::filter;
      state.input = state.text_filter;
      break;
    case 'e': {
      // All endpoints, then each in turn, then all again.
      const auto names = endpoints_of(fleet);
      auto it = std::find(names.begin(), names.end(), state.endpoint_filter);
      state.endpoint_filter = state.endpoint_filter.empty() ? (names.empty() ? "" : names.front())
                              : (it == names.end() || it + 1 == names.end()) ? ""
                                                                             : *(it + 1);
      state.first = 0;
      break;
    }
    case 's':
      state.sort = state.sort == TopSort::action ? TopSort::age
                   : state.sort == TopSort::age  ? TopSort::endpoint
                                                 : TopSort::action;
      break;
    case 'c':
      if (rows.empty()) {
        state.message = "no query to cancel";
      } else {
        state.mode = TopState::Mode::confirm;
        state.confirming = key_of(rows[at]);
      }
      break;
    default:
      break;
  }
  return {};
}

std::vector<std::string> render_top(const LiveFleet& fleet, TopState& state, std::size_t width,
                                    std::size_t height, std::size_t& selected_line) {
  std::vector<std::string> lines;
  selected_line = height;
  if (height == 0 || width == 0) return lines;
  const auto add = [&](const std::string& text) {
    if (lines.size() < height) lines.push_back(fit_columns(text, width, false));
  };
  const std::vector<TopRow> rows = top_rows(fleet, state);
  const std::size_t at = selected_index(rows, state.selected);
  if (!rows.empty()) state.selected = key_of(rows[at]);

  add("neptune-watchdog top  " + format_rfc3339(fleet.at) + "  sort: " + sort_name(state.sort) +
      (state.text_filter.empty() ? "" : "  text: /" + terminal_line(state.text_filter) + "/") +
      (state.endpoint_filter.empty() ? "" : "  endpoint: " + terminal_line(state.endpoint_filter)));
  if (!fleet.pause.empty()) add("!! " + terminal_line(fleet.pause));

  if (state.mode == TopState::Mode::details && !rows.empty()) {
    const TopRow& r = rows[at];
    const LiveQuery& q = r.query;
    add("");
    add("query " + terminal_line(q.id) + " on " + terminal_line(r.endpoint) + " (" +
        std::string(to_string(r.language)) + "), " + (q.queued ? "queued " : "running ") +
        short_duration(q.queued ? q.waited_ms : q.elapsed_ms));
    add("rule: " + (q.rule.empty() ? std::string("none") : terminal_line(q.rule)) +
        ", verdict: " + std::string(to_string(q.verdict)) +
        (q.limit_ms ? ", limit " + short_duration(*q.limit_ms) : std::string()) + ", acts in " +
        left_of(q));
    add("reason: " + terminal_line(q.reason));
    if (!q.fingerprint.empty()) add("fingerprint: " + q.fingerprint);
    add("text:");
    const std::string text = terminal_line(q.text);
    // The whole text, wrapped at the width (by bytes of whole characters).
    std::size_t start = 0;
    while (start < text.size() && lines.size() + 1 < height) {
      const std::string piece = fit_columns(text.substr(start), width, false);
      add(piece);
      start += piece.size();
    }
    lines.resize(height - 1);  // blank lines down to the last, which says how to go back
    lines.push_back(fit_columns("any key: back to the list", width, false));
    return lines;
  }

  // One line per instance, at most a third of the screen.
  const std::size_t header_room = std::max<std::size_t>(1, height / 3);
  std::size_t shown = 0;
  for (const LiveInstance& in : fleet.instances) {
    if (!state.endpoint_filter.empty() && in.endpoint != state.endpoint_filter) continue;
    if (shown + 1 == header_room && fleet.instances.size() > header_room) {
      add("... " + std::to_string(fleet.instances.size() - shown) +
          " more instances ('e' picks one)");
      break;
    }
    const LiveSummary sum = summarize(in, fleet.at);
    const std::string poll =
        sum.poll_age_ms ? "polled " + short_duration(*sum.poll_age_ms) + " ago" : "no poll yet";
    add(terminal_line(in.endpoint) + "/" + std::string(to_string(in.language)) + ": " +
        std::to_string(sum.running) + " running, " + std::to_string(sum.queued) +
        " queued, oldest " + short_duration(sum.oldest_ms) + ", " + poll + ", " +
        std::to_string(in.failed_polls) + " errors" +
        (in.last_error.empty() ? "" : " (" + terminal_line(in.last_error) + ")"));
    ++shown;
  }
  add(fit_columns("ENDPOINT", 11, true) + " " + fit_columns("QUERY", 8, true) + " " +
      fit_columns("STATE", 7, true) + " " + fit_columns("AGE", 6, true) + " " +
      fit_columns("OF LIMIT", 10, true) + " " + fit_columns("LEFT", 6, true) + " " +
      fit_columns("RULE", 10, true) + " TEXT");
  const std::size_t room = height > lines.size() + 1 ? height - lines.size() - 1 : 0;
  if (room > 0) {
    if (at < state.first) state.first = at;
    if (at >= state.first + room) state.first = at - room + 1;
    if (state.first > 0 && state.first + room > rows.size())
      state.first = rows.size() > room ? rows.size() - room : 0;
  }
  for (std::size_t i = state.first; i < rows.size() && i < state.first + room; ++i) {
    const LiveQuery& q = rows[i].query;
    const std::string rule = q.verdict == Verdict::protected_query ? "protected"
                             : q.rule.empty()                      ? "-"
                                                                   : terminal_line(q.rule);
    if (i == at) selected_line = lines.size();
    add(fit_columns(terminal_line(rows[i].endpoint), 11, true) + " " +
        fit_columns(terminal_line(q.id), 8, true) + " " +
        fit_columns(q.queued ? "queued" : "running", 7, true) + " " +
        fit_columns(short_duration(q.queued ? q.waited_ms : q.elapsed_ms), 6, true) + " " +
        bar(q, 8) + " " + fit_columns(left_of(q), 6, true) + " " + fit_columns(rule, 10, true) +
        " " + terminal_line(q.text));
  }
  if (rows.empty()) add(fleet.instances.empty() ? "(no instance polled yet)" : "(no query)");
  // The last line is the keys', a prompt or a message: on a short screen it replaces a row.
  if (selected_line >= height - 1) selected_line = height;
  lines.resize(height - 1);
  std::string last;
  if (state.mode == TopState::Mode::filter)
    last = "filter text: " + terminal_line(state.input) + "_   (Enter: apply, Esc: back)";
  else if (state.mode == TopState::Mode::confirm)
    last = "cancel " + confirm_text(state.confirming) + "? (y/n)";
  else if (!state.message.empty())
    last = terminal_line(state.message);
  else
    last = std::to_string(rows.size()) +
           " queries  arrows: select  Enter: details  /: filter  e: endpoint  s: sort  c: "
           "cancel  q: quit";
  lines.push_back(fit_columns(last, width, false));
  return lines;
}

}  // namespace nw
