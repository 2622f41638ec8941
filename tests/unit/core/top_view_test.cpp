// `top` without a terminal: every key on a made-up view, and what the screen shows.
#include "nw/core/top_view.h"

#include <gtest/gtest.h>

namespace nw {
namespace {

using namespace std::chrono_literals;

const auto kNow = std::chrono::system_clock::from_time_t(1795608000);

LiveQuery query(const std::string& id, std::int64_t elapsed, std::optional<std::int64_t> action_in,
                const std::string& text = "MATCH (n) RETURN n") {
  LiveQuery q;
  q.id = id;
  q.elapsed_ms = elapsed;
  q.text = text;
  q.action_in_ms = action_in;
  if (action_in) {
    q.rule = "r";
    q.limit_ms = elapsed + *action_in;
    q.verdict = Verdict::within_limits;
  }
  return q;
}

LiveFleet fleet() {
  LiveFleet f;
  f.at = kNow;
  LiveInstance writer;
  writer.endpoint = "writer";
  writer.polled_at = kNow - 1s;  // one second ago: running clocks advance by it
  writer.queries = {query("w-old", 50000, std::nullopt), query("w-soon", 1000, 4000),
                    query("w-late", 2000, 60000, "MATCH (r:Report) RETURN r")};
  LiveInstance reader;
  reader.endpoint = "reader";
  reader.polled_at = kNow;
  reader.queries = {query("r-mid", 3000, 20000)};
  f.instances = {writer, reader};
  return f;
}

std::vector<std::string> ids(const std::vector<TopRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.query.id);
  return out;
}

TEST(TopView, RowsAreSortedAndTheirClocksAdvancedToTheViewsInstant) {
  TopState state;
  const auto rows = top_rows(fleet(), state);
  EXPECT_EQ(ids(rows), (std::vector<std::string>{"w-soon", "r-mid", "w-late", "w-old"}));
  EXPECT_EQ(rows[0].query.elapsed_ms, 2000);  // 1 s since its poll
  EXPECT_EQ(rows[0].query.action_in_ms, 3000);
  EXPECT_EQ(rows[1].query.elapsed_ms, 3000);  // polled just now
  state.sort = TopSort::age;
  EXPECT_EQ(ids(top_rows(fleet(), state)),
            (std::vector<std::string>{"w-old", "r-mid", "w-late", "w-soon"}));
  state.sort = TopSort::endpoint;
  EXPECT_EQ(ids(top_rows(fleet(), state)),
            (std::vector<std::string>{"r-mid", "w-old", "w-late", "w-soon"}));
}

TEST(TopView, KeysSelectSortFilterAndAskBeforeCancelling) {
  const LiveFleet f = fleet();
  TopState state;
  std::size_t line = 0;
  render_top(f, state, 80, 24, line);
  EXPECT_EQ(top_key(state, f, kTopDown, 10).kind, TopCommand::Kind::none);
  EXPECT_NE(state.selected.find("r-mid"), std::string::npos);
  top_key(state, f, 's', 10);
  EXPECT_EQ(state.sort, TopSort::age);
  // The selection follows its query into the new order.
  EXPECT_NE(state.selected.find("r-mid"), std::string::npos);
  top_key(state, f, 'c', 10);
  EXPECT_EQ(state.mode, TopState::Mode::confirm);
  const TopCommand cancel = top_key(state, f, 'y', 10);
  ASSERT_EQ(cancel.kind, TopCommand::Kind::cancel);
  EXPECT_EQ(cancel.row.query.id, "r-mid");
  EXPECT_EQ(cancel.row.endpoint, "reader");
  top_key(state, f, 'c', 10);
  EXPECT_EQ(top_key(state, f, 'n', 10).kind, TopCommand::Kind::none);
  EXPECT_EQ(state.message, "not cancelled");
  // `/`: typed, corrected, applied.
  top_key(state, f, '/', 10);
  for (char c : std::string("Reporx")) top_key(state, f, c, 10);
  top_key(state, f, kTopBackspace, 10);
  top_key(state, f, 't', 10);
  top_key(state, f, kTopEnter, 10);
  EXPECT_EQ(state.text_filter, "Report");
  EXPECT_EQ(ids(top_rows(f, state)), std::vector<std::string>{"w-late"});
  // `e`: each endpoint in turn, then all again.
  state.text_filter.clear();
  top_key(state, f, 'e', 10);
  EXPECT_EQ(state.endpoint_filter, "writer");
  top_key(state, f, 'e', 10);
  EXPECT_EQ(state.endpoint_filter, "reader");
  top_key(state, f, 'e', 10);
  EXPECT_EQ(state.endpoint_filter, "");
  EXPECT_EQ(top_key(state, f, 'q', 10).kind, TopCommand::Kind::quit);
}

// The query `c` asked about is the one `y` cancels, even when a refresh in between moved
// another row under the cursor or took the query away.
TEST(TopView, YesCancelsTheQueryThatWasAskedAboutOrNothing) {
  LiveFleet f = fleet();
  TopState state;
  std::size_t line = 0;
  render_top(f, state, 80, 24, line);
  top_key(state, f, 'c', 10);  // about w-soon, the first row
  // A refresh: w-soon ended, and r-mid is now first.
  f.instances[0].queries.erase(f.instances[0].queries.begin() + 1);
  const auto lines = render_top(f, state, 80, 24, line);
  EXPECT_EQ(lines.back(), "cancel query w-soon on writer? (y/n)");
  const TopCommand yes = top_key(state, f, 'y', 10);
  EXPECT_EQ(yes.kind, TopCommand::Kind::none);
  EXPECT_EQ(state.message, "not cancelled: the query is no longer listed");
  // Still listed after the refresh: it is the one cancelled, wherever its row went.
  TopState again;
  f = fleet();
  render_top(f, again, 80, 24, line);
  top_key(again, f, kTopDown, 10);  // r-mid
  top_key(again, f, 'c', 10);
  f.instances[1].queries[0].action_in_ms = 100000;  // it sorts last now
  render_top(f, again, 80, 24, line);
  const TopCommand cancel = top_key(again, f, 'Y', 10);
  ASSERT_EQ(cancel.kind, TopCommand::Kind::cancel);
  EXPECT_EQ(cancel.row.query.id, "r-mid");
}

TEST(TopView, ShortScreensWideTextAndStrangeClocksStayWithinBounds) {
  LiveFleet f = fleet();
  f.instances[0].queries[0].text = "MATCH (n:顧客 {名前: '山田太郎'}) RETURN n // 😀😀😀😀😀😀😀😀";
  f.instances[0].queries[1].elapsed_ms = -5000;  // never from Neptune; must not break the bar
  TopState state;
  for (std::size_t height : {1u, 2u, 3u, 5u, 24u}) {
    std::size_t line = 0;
    const auto lines = render_top(f, state, 60, height, line);
    EXPECT_EQ(lines.size(), height);
    // Either no row is shown (height) or the line shown is the selected row: the soonest to act.
    ASSERT_LE(line, height);
    if (line < height) {
      EXPECT_NE(lines[line].find("w-soon"), std::string::npos) << lines[line];
    }
    for (const auto& l : lines) {
      // Columns, counting wide characters twice.
      std::size_t columns = 0;
      for (std::size_t i = 0; i < l.size(); ++i) {
        const auto b = static_cast<unsigned char>(l[i]);
        if ((b & 0xC0) == 0x80) continue;
        columns += b >= 0xE3 ? 2 : 1;  // the CJK and emoji above; the rest is ASCII
      }
      EXPECT_LE(columns, 60u) << l;
    }
  }
}

TEST(TopView, TheScreenFitsAndScrollsToTheSelection) {
  LiveFleet f = fleet();
  for (int i = 0; i < 40; ++i)
    f.instances[0].queries.push_back(
        query("many-" + std::to_string(i), 100 + i, std::nullopt, std::string(300, 'x')));
  TopState state;
  std::size_t line = 0;
  auto lines = render_top(f, state, 80, 24, line);
  ASSERT_EQ(lines.size(), 24u);
  for (const auto& l : lines) EXPECT_LE(l.size(), 80u) << l;
  EXPECT_EQ(lines[line].find("writer      w-soon"), 0u) << lines[line];
  top_key(state, f, kTopEnd, 10);
  lines = render_top(f, state, 80, 24, line);
  ASSERT_LT(line, 23u);  // shown, above the keys' line
  EXPECT_NE(lines[line].find("many-0"), std::string::npos) << lines[line];
  EXPECT_NE(lines.back().find("44 queries"), std::string::npos) << lines.back();
  // Enter: the whole text and the decision; any key returns.
  top_key(state, f, kTopEnter, 10);
  lines = render_top(f, state, 80, 24, line);
  EXPECT_NE(lines[2].find("query many-0 on writer"), std::string::npos) << lines[2];
  EXPECT_EQ(line, 24u);
  top_key(state, f, 'x', 10);
  EXPECT_EQ(state.mode, TopState::Mode::list);
}

TEST(TopView, AnOperatorsPauseAndAFailingInstanceShow) {
  LiveFleet f = fleet();
  f.pause = "cancelling paused by alice since 2026-11-25T12:00:00Z";
  f.instances[1].last_error = "connection refused\x1b[2J";
  f.instances[1].failed_polls = 4;
  TopState state;
  std::size_t line = 0;
  const auto lines = render_top(f, state, 120, 24, line);
  EXPECT_EQ(lines[1], "!! cancelling paused by alice since 2026-11-25T12:00:00Z");
  bool shown = false;
  for (const auto& l : lines)
    if (l.find("reader/opencypher: 1 running") == 0) {
      shown = true;
      EXPECT_NE(l.find("4 errors (connection refused\\u001b[2J)"), std::string::npos) << l;
    }
  EXPECT_TRUE(shown);
}

}  // namespace
}  // namespace nw
