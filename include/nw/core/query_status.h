#pragma once
// The status model: what one poll of an instance's status endpoint tells us.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nw {

enum class Language { opencypher, gremlin, sparql };

std::string_view to_string(Language language);
// The language of a name as to_string() writes it ("opencypher", "gremlin", "sparql"), else
// nullopt: the one spelling shared by config files and the command line.
std::optional<Language> language_named(std::string_view name);

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

// An entry of the `queries` list that names its query but could not be read whole (a clock
// that is not a non-negative whole number, text that is not valid Unicode, ...). It is left out
// of the snapshot's queries: nothing is decided on values that could not be read.
struct MalformedEntry {
  std::string id;
  std::string why;  // e.g. "queryEvalStats: 'elapsed' is negative"
};

// An instance's role in its cluster as discovery last saw it. Known only for the instances of a
// [cluster.NAME] section; a typed [endpoint.NAME] has no role.
enum class InstanceRole { unknown, writer, reader };
std::string_view to_string(InstanceRole role);

// Where a status answer came from, for rules and protections limited to endpoints or roles.
struct EndpointScope {
  std::string_view name;  // empty: not known (a snapshot built by hand): every rule applies
  InstanceRole role = InstanceRole::unknown;

  EndpointScope() = default;
  EndpointScope(std::string_view n, InstanceRole r = InstanceRole::unknown) : name(n), role(r) {}
  EndpointScope(const std::string& n, InstanceRole r = InstanceRole::unknown) : name(n), role(r) {}
  EndpointScope(const char* n, InstanceRole r = InstanceRole::unknown) : name(n), role(r) {}
};

struct StatusSnapshot {
  Language language = Language::opencypher;
  // The [endpoint.NAME] polled (or NAME/INSTANCE of a cluster), for rules and protections
  // limited to endpoints. Empty: not known (a snapshot built by hand), and every rule and
  // protection applies.
  std::string endpoint;
  // The instance's role at the time of the poll, for rules and protections limited to roles.
  InstanceRole role = InstanceRole::unknown;
  EndpointScope scope() const { return {endpoint, role}; }
  std::vector<QueryStatus> queries;
  std::int64_t accepted_count = 0;
  std::int64_t running_count = 0;
  // Entries dropped because they had no usable queryId (or were not objects at all).
  std::size_t skipped_entries = 0;
  // Entries dropped because something else in them was malformed, in list order. Their ids
  // still count as listed: a cancel by an id that also names one of them could hit it.
  std::vector<MalformedEntry> malformed;
};

}  // namespace nw
