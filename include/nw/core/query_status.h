#pragma once
// The status model: what one poll of an instance's status endpoint tells us.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nw {

enum class Language { opencypher, gremlin, sparql };

std::string_view to_string(Language language);

// One entry of the `queries` list. Times are Neptune's own millisecond counters, kept as
// 64-bit because the SDKs' 32-bit fields overflow after 24.8 days.
struct QueryStatus {
  std::string id;
  std::string text;  // Neptune cuts it at 1024 characters
  std::int64_t elapsed_ms = 0;
  std::int64_t waited_ms = 0;
  bool cancelled = false;

  // Neptune reports no state field: a query that has not started running yet shows
  // elapsed 0 while its `waited` clock grows.
  bool queued() const { return elapsed_ms == 0; }
};

struct StatusSnapshot {
  Language language = Language::opencypher;
  std::vector<QueryStatus> queries;
  std::int64_t accepted_count = 0;
  std::int64_t running_count = 0;
  // Entries dropped because they had no usable queryId.
  std::size_t skipped_entries = 0;
};

}  // namespace nw
