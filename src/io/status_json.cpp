#include "nw/io/status_json.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <simdjson.h>
#include <string>
#include <utility>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "nw/io/http_exchange.h"

namespace nw {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// Thrown inside this file only, for a body that parses as JSON but has the wrong shape.
struct ShapeError {
  std::string what;
};

Var parse_json(std::string_view body) {
  Poco::JSON::Parser parser;
  return parser.parse(std::string(body));
}

Object::Ptr as_object(const Var& v) {
  if (v.type() != typeid(Object::Ptr)) return nullptr;
  return v.extract<Object::Ptr>();
}

// A non-negative whole number of milliseconds, as 64-bit.
std::int64_t millis_field(const Object& stats, const std::string& name) {
  if (!stats.has(name)) return 0;
  const Var v = stats.get(name);
  if (v.isEmpty()) return 0;
  // Poco counts a bool as an integer; Neptune never sends one here.
  if (!v.isInteger() || v.type() == typeid(bool))
    throw ShapeError{"'" + name + "' is not a whole number"};
  if (v.isSigned()) {
    const auto n = v.convert<Poco::Int64>();
    if (n < 0) throw ShapeError{"'" + name + "' is negative"};
    return n;
  }
  const auto n = v.convert<Poco::UInt64>();
  if (n > static_cast<Poco::UInt64>(std::numeric_limits<std::int64_t>::max()))
    throw ShapeError{"'" + name + "' is out of range"};
  return static_cast<std::int64_t>(n);
}

bool cancelled_field(const Object& stats) {
  if (!stats.has("cancelled")) return false;
  const Var v = stats.get("cancelled");
  if (v.isEmpty()) return false;
  if (v.type() == typeid(bool)) return v.extract<bool>();
  if (v.isString()) {
    const std::string s = Poco::toLower(v.toString());
    if (s == "true") return true;
    if (s == "false") return false;
  }
  throw ShapeError{"'cancelled' is not a boolean"};
}

std::int64_t count_field(const Object& o, const std::string& name) {
  return millis_field(o, name);  // same rules: absent is 0, otherwise a non-negative integer
}

Failure bad(const std::string& why) {
  return Failure{FailureKind::bad_response, 200, "", "status body: " + why};
}

// A list of `entries` entries is refused before any of them is read when Neptune could not
// have sent it.
std::optional<Failure> too_many(std::size_t entries) {
  if (entries <= kMaxStatusEntries) return std::nullopt;
  return Failure{FailureKind::bad_response, 200, "",
                 "status lists " + std::to_string(entries) +
                     " queries, more than Neptune can hold (" + std::to_string(kMaxStatusEntries) +
                     ")"};
}

// Reads one entry of the list with Poco into `snapshot`: a query, or a skipped entry (counted;
// named when it has a usable queryId).
void read_entry_with_poco(const Var& item, StatusSnapshot& snapshot) {
  const Object::Ptr entry = as_object(item);
  if (!entry) {
    ++snapshot.skipped_entries;
    return;
  }
  const Var id = entry->get("queryId");
  if (!id.isString() || id.extract<std::string>().empty()) {
    ++snapshot.skipped_entries;
    return;
  }
  QueryStatus q;
  q.id = id.extract<std::string>();
  try {
    const Var text = entry->get("queryString");
    if (text.isString())
      q.text = text.extract<std::string>();
    else if (!text.isEmpty())
      throw ShapeError{"queryString is not a string"};
    if (entry->has("queryEvalStats") && !entry->get("queryEvalStats").isEmpty()) {
      const Object::Ptr stats = entry->getObject("queryEvalStats");
      if (!stats) throw ShapeError{"queryEvalStats is not an object"};
      try {
        q.elapsed_ms = millis_field(*stats, "elapsed");
        q.waited_ms = millis_field(*stats, "waited");
        q.cancelled = cancelled_field(*stats);
      } catch (const ShapeError& e) {
        throw ShapeError{"queryEvalStats: " + e.what};
      }
    }
  } catch (ShapeError& e) {
    snapshot.malformed.push_back(MalformedEntry{std::move(q.id), std::move(e.what)});
    return;
  }
  snapshot.queries.push_back(std::move(q));
}

// The reference reading of a status body, with Poco: it decides every body the fast path below
// does not accept, so that what is accepted and how a rejection reads stay exactly as before.
Result<StatusSnapshot> parse_status_body_with_poco(std::string_view body, Language language) {
  try {
    const Object::Ptr root = as_object(parse_json(body));
    if (!root) return bad("not a JSON object");
    StatusSnapshot snapshot;
    snapshot.language = language;
    snapshot.accepted_count = count_field(*root, "acceptedQueryCount");
    snapshot.running_count = count_field(*root, "runningQueryCount");
    if (!root->has("queries") || root->get("queries").isEmpty()) return snapshot;
    const Var list = root->get("queries");
    if (list.type() != typeid(Array::Ptr)) return bad("'queries' is not an array");
    const Array::Ptr queries = list.extract<Array::Ptr>();
    if (auto refused = too_many(queries->size())) return *refused;
    snapshot.queries.reserve(queries->size());
    for (std::size_t i = 0; i < queries->size(); ++i)
      read_entry_with_poco(queries->get(static_cast<unsigned>(i)), snapshot);
    return snapshot;
  } catch (const ShapeError& e) {
    return bad(e.what);
  } catch (const Poco::Exception& e) {
    return bad(e.displayText());
  } catch (const std::exception& e) {
    return bad(e.what());
  }
}

// --- simdjson's DOM: the parts of a body read alone, when the body cannot be read whole. ---

namespace dom = simdjson::dom;

// Poco's parser refuses documents nested deeper than this; simdjson must refuse them too
// (it then defers to Poco). Neptune's bodies are 4 levels deep.
constexpr std::size_t kMaxDepth = 128;

// A DOM parser and a padded copy of what it reads: simdjson reads up to SIMDJSON_PADDING bytes
// past the end of its input, which a string_view cannot promise. It reads only parts of one
// body (an entry, the body without its list, a key), so it lives as long as that body's reading.
struct SimdjsonState {
  dom::parser parser;
  std::string padded;

  simdjson::simdjson_result<dom::element> parse(std::string_view text) {
    const std::size_t wanted = std::max<std::size_t>(text.size(), 4096);
    if (parser.capacity() < wanted) {
      if (const auto error = parser.allocate(wanted, kMaxDepth)) return error;
    }
    padded.resize(text.size() + simdjson::SIMDJSON_PADDING);
    std::copy(text.begin(), text.end(), padded.begin());
    return parser.parse(padded.data(), text.size(), false);
  }
};

// JSON lets a key repeat; like Poco, the readers below keep its last occurrence.
bool absent_or_null(const std::optional<dom::element>& v) {
  return !v || v->is_null();
}

// Poco's reading, restated: absent or null is 0; a signed 64-bit integer must not be negative;
// simdjson reports an integer as unsigned only beyond the signed range; anything else
// (fraction, exponent, bool, string) is not a whole number.
std::int64_t millis_value(const std::optional<dom::element>& v, std::string_view name) {
  if (absent_or_null(v)) return 0;
  std::int64_t n = 0;
  std::uint64_t u = 0;
  if (v->type() == dom::element_type::INT64 && !v->get(n)) {
    if (n < 0) throw ShapeError{"'" + std::string(name) + "' is negative"};
    return n;
  }
  if (v->type() == dom::element_type::UINT64 && !v->get(u)) {
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw ShapeError{"'" + std::string(name) + "' is out of range"};
    return static_cast<std::int64_t>(u);
  }
  throw ShapeError{"'" + std::string(name) + "' is not a whole number"};
}

bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

bool cancelled_value(const std::optional<dom::element>& v) {
  if (absent_or_null(v)) return false;
  bool b = false;
  if (!v->get(b)) return b;
  std::string_view s;
  if (!v->get(s)) {
    if (ascii_iequals(s, "true")) return true;
    if (ascii_iequals(s, "false")) return false;
  }
  throw ShapeError{"'cancelled' is not a boolean"};
}

// The values of three named fields of `object` in one pass (the last of a repeated key, as
// every field is read); nullopt where a field is absent.
std::array<std::optional<dom::element>, 3> fields_named(
    dom::object object, const std::array<std::string_view, 3>& names) {
  std::array<std::optional<dom::element>, 3> values;
  for (const dom::key_value_pair field : object)
    for (std::size_t i = 0; i < names.size(); ++i)
      if (field.key == names[i]) values[i] = field.value;
  return values;
}

// Reads one entry of the list into `snapshot`, as read_entry_with_poco() does.
void read_entry(dom::element entry, StatusSnapshot& snapshot) {
  dom::object fields;
  if (entry.get(fields)) {
    ++snapshot.skipped_entries;
    return;
  }
  const auto [id, text, stats] = fields_named(fields, {"queryId", "queryString", "queryEvalStats"});
  std::string_view id_text, query_text;
  if (!id || id->get(id_text) || id_text.empty()) {
    ++snapshot.skipped_entries;
    return;
  }
  QueryStatus q;
  q.id = std::string(id_text);
  try {
    if (text && !text->get(query_text))
      q.text = std::string(query_text);
    else if (!absent_or_null(text))
      throw ShapeError{"queryString is not a string"};
    if (!absent_or_null(stats)) {
      dom::object stats_fields;
      if (stats->get(stats_fields)) throw ShapeError{"queryEvalStats is not an object"};
      const auto [elapsed, waited, cancelled] =
          fields_named(stats_fields, {"elapsed", "waited", "cancelled"});
      try {
        q.elapsed_ms = millis_value(elapsed, "elapsed");
        q.waited_ms = millis_value(waited, "waited");
        q.cancelled = cancelled_value(cancelled);
      } catch (const ShapeError& e) {
        throw ShapeError{"queryEvalStats: " + e.what};
      }
    }
  } catch (ShapeError& e) {
    snapshot.malformed.push_back(MalformedEntry{std::move(q.id), std::move(e.what)});
    return;
  }
  snapshot.queries.push_back(std::move(q));
}

// The snapshot from a JSON object simdjson accepted, or a Failure worded as Poco's reading
// words it.
Result<StatusSnapshot> read_snapshot(dom::object object, Language language) {
  StatusSnapshot snapshot;
  snapshot.language = language;
  const auto [accepted, running, list] =
      fields_named(object, {"acceptedQueryCount", "runningQueryCount", "queries"});
  try {
    snapshot.accepted_count = millis_value(accepted, "acceptedQueryCount");
    snapshot.running_count = millis_value(running, "runningQueryCount");
  } catch (const ShapeError& e) {
    return bad(e.what);
  }
  if (absent_or_null(list)) return snapshot;
  dom::array queries;
  if (list->get(queries)) return bad("'queries' is not an array");
  // The array's size is on simdjson's tape: no entry is read, nor any QueryStatus built, for a
  // list Neptune could not have sent.
  const std::size_t entries = queries.size();
  if (auto refused = too_many(entries)) return *refused;
  snapshot.queries.reserve(entries);
  for (const dom::element entry : queries) read_entry(entry, snapshot);
  return snapshot;
}

// --- Entry by entry: a body refused for what one of its entries holds. ---
//
// simdjson and Poco refuse a whole body for a string that is not valid Unicode (bytes that are
// not UTF-8, an escaped lone surrogate such as \ud800, a raw control character) or a number
// past 64 bits, wherever it is. Such a string or number may be in one entry only, and often in
// the query text, which whoever runs the query controls: refusing the body for it would keep
// the watchdog from acting on every other query of the endpoint for as long as that one is
// listed. So when the body's structure is sound, each entry is read on its own, and only the
// entries that cannot be read are skipped.

// Bytes [begin, end) of the body.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// The structure of a JSON text as RFC 8259 defines it, but with the bytes inside strings taken
// as they come: it finds where each value begins and ends whatever text its strings hold, and
// leaves it to simdjson or Poco to say whether that text is valid. Escapes must still be well
// formed (a backslash and one of "\/bfnrt, or u and four hex digits).
class Outline {
 public:
  explicit Outline(std::string_view text) : text_(text) {}

  // The one value the text holds, whitespace around it allowed; nullopt when the structure is
  // broken (truncated, unbalanced, garbage after the value, deeper than kMaxDepth, ...).
  std::optional<Span> document() {
    pos_ = 0;
    skip_whitespace();
    const std::size_t begin = pos_;
    if (!value(0)) return std::nullopt;
    const Span whole{begin, pos_};
    skip_whitespace();
    if (pos_ != text_.size()) return std::nullopt;
    return whole;
  }

  // The key and value of each member of the object at `object`, and the elements of the array
  // at `array`, in order. Only for spans of a document() whose structure was found sound.
  std::vector<std::pair<Span, Span>> members(Span object) {
    std::vector<std::pair<Span, Span>> out;
    pos_ = object.begin + 1;
    if (eat('}')) return out;
    do {
      skip_whitespace();
      const std::size_t key = pos_;
      string();
      const Span key_span{key, pos_};
      eat(':');
      skip_whitespace();
      const std::size_t at = pos_;
      value(0);
      out.emplace_back(key_span, Span{at, pos_});
    } while (eat(','));
    return out;
  }
  std::vector<Span> elements(Span array) {
    std::vector<Span> out;
    pos_ = array.begin + 1;
    if (eat(']')) return out;
    do {
      skip_whitespace();
      const std::size_t at = pos_;
      value(0);
      out.push_back(Span{at, pos_});
    } while (eat(','));
    return out;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  void skip_whitespace() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                         text_[pos_] == '\r'))
      ++pos_;
  }
  bool eat(char c) {
    skip_whitespace();
    if (at_end() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool digits() {
    const std::size_t from = pos_;
    while (!at_end() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ > from;
  }
  static bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  bool string() {
    if (at_end() || text_[pos_] != '"') return false;
    ++pos_;
    while (!at_end()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (c != '\\') continue;  // content, valid text or not
      if (at_end()) return false;
      const char e = text_[pos_++];
      if (e == 'u') {
        for (int i = 0; i < 4; ++i, ++pos_)
          if (at_end() || !is_hex(text_[pos_])) return false;
      } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
        return false;
      }
    }
    return false;  // unterminated
  }

  bool number() {
    if (!at_end() && text_[pos_] == '-') ++pos_;
    if (!at_end() && text_[pos_] == '0')
      ++pos_;
    else if (!digits())
      return false;
    if (!at_end() && text_[pos_] == '.') {
      ++pos_;
      if (!digits()) return false;
    }
    if (!at_end() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (!at_end() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digits()) return false;
    }
    return true;
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool value(std::size_t depth) {
    skip_whitespace();
    if (at_end()) return false;
    switch (text_[pos_]) {
      case '{':
        if (depth >= kMaxDepth) return false;
        ++pos_;
        if (eat('}')) return true;
        do {
          skip_whitespace();
          if (!string() || !eat(':') || !value(depth + 1)) return false;
        } while (eat(','));
        return eat('}');
      case '[':
        if (depth >= kMaxDepth) return false;
        ++pos_;
        if (eat(']')) return true;
        do {
          if (!value(depth + 1)) return false;
        } while (eat(','));
        return eat(']');
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// Why an entry that neither simdjson nor Poco could read is skipped, for the errors that what
// an entry holds can cause once the structure is known to be sound; nullptr for any other.
const char* entry_fault(simdjson::error_code error) {
  switch (error) {
    case simdjson::UTF8_ERROR:
      return "a string is not valid UTF-8";
    case simdjson::STRING_ERROR:  // the escapes' syntax was checked: a surrogate without its pair
      return "a string escapes a lone UTF-16 surrogate";
    case simdjson::UNESCAPED_CHARS:
      return "a string holds an unescaped control character";
    case simdjson::NUMBER_ERROR:  // its syntax was checked: too large for 64 bits
    case simdjson::NUMBER_OUT_OF_RANGE:
      return "a number is out of range";
    default:
      return nullptr;
  }
}

// The text of the JSON string at `token` in `body` (quotes included), when it is valid.
std::optional<std::string> string_text(std::string_view body, Span token, SimdjsonState& state) {
  if (token.begin >= token.end || body[token.begin] != '"') return std::nullopt;
  std::string_view text;
  if (state.parse(body.substr(token.begin, token.end - token.begin)).get(text)) return std::nullopt;
  return std::string(text);
}

// The usable queryId of the entry at `entry`, if any: the value of its last "queryId" member
// (the readers keep the last of a repeated key), a non-empty valid string.
std::optional<std::string> usable_id(std::string_view body, Outline& outline, Span entry,
                                     SimdjsonState& state) {
  if (body[entry.begin] != '{') return std::nullopt;
  std::optional<Span> id;
  for (const auto& [key, value] : outline.members(entry))
    if (string_text(body, key, state) == std::optional<std::string>("queryId")) id = value;
  if (!id) return std::nullopt;
  std::optional<std::string> text = string_text(body, *id, state);
  if (!text || text->empty()) return std::nullopt;
  return text;
}

void add(StatusSnapshot& snapshot, StatusSnapshot&& part) {
  for (QueryStatus& q : part.queries) snapshot.queries.push_back(std::move(q));
  snapshot.skipped_entries += part.skipped_entries;
  for (MalformedEntry& m : part.malformed) snapshot.malformed.push_back(std::move(m));
}

// The body read entry by entry; nullopt when the fault is not confined to entries (a broken
// structure, a fault outside the list, an error no entry's content explains): then the body's
// own reading stands.
std::optional<Result<StatusSnapshot>> read_entry_by_entry(std::string_view body,
                                                          Language language) {
  Outline outline(body);
  const std::optional<Span> root = outline.document();
  if (!root || body[root->begin] != '{') return std::nullopt;
  SimdjsonState state;  // small bodies only: the thread's parser keeps its size for whole lists
  std::optional<Span> list;
  for (const auto& [key, value] : outline.members(*root))
    if (string_text(body, key, state) == std::optional<std::string>("queries")) list = value;
  if (!list || body[list->begin] != '[') return std::nullopt;

  // What surrounds the list (the counts, other members) must read as it is, with no entries.
  const std::string around =
      std::string(body.substr(0, list->begin)) + "[]" + std::string(body.substr(list->end));
  dom::object around_root;
  if (state.parse(around).get(around_root)) return std::nullopt;
  Result<StatusSnapshot> read = read_snapshot(around_root, language);
  if (!read) return std::nullopt;
  StatusSnapshot snapshot = std::move(read.value());

  const std::vector<Span> entries = outline.elements(*list);
  if (auto refused = too_many(entries.size())) return Result<StatusSnapshot>(*refused);
  for (const Span entry : entries) {
    const std::string alone =
        "{\"queries\":[" + std::string(body.substr(entry.begin, entry.end - entry.begin)) + "]}";
    dom::object one;
    const simdjson::error_code error = state.parse(alone).get(one);
    // Where simdjson gives up, Poco may still read the entry, as it would have the whole body.
    Result<StatusSnapshot> part =
        error ? parse_status_body_with_poco(alone, language) : read_snapshot(one, language);
    if (part) {
      add(snapshot, std::move(part.value()));
      continue;
    }
    const char* why = entry_fault(error);
    if (!why) return std::nullopt;
    if (std::optional<std::string> id = usable_id(body, outline, entry, state))
      snapshot.malformed.push_back(MalformedEntry{std::move(*id), why});
    else
      ++snapshot.skipped_entries;
  }
  return Result<StatusSnapshot>(std::move(snapshot));
}

// --- The fast paths: simdjson's structural index (IndexedReader, below) for the lists Neptune
// sends, and simdjson On-Demand for the bodies that reader leaves. ---
//
// On-Demand indexes the body's structure in one pass (a 32-bit index per structural character
// and per scalar) and checks, for the whole body, that it is valid UTF-8 and that no string
// holds a raw control character; it parses a value only when it is read. So no tape of the
// whole list is built, and each entry's fields go straight into its QueryStatus. What it does
// not read it does not validate: a value it skips may hold a malformed number or escape, a
// misspelt literal or a missing comma, and text may follow the root. This path therefore reads
// every value of the body, known or not (unknown ones are descended into and thrown away),
// checks that nothing follows the root, and returns a snapshot only when all of it is valid.
// On any error or doubt (a value nested deeper than Neptune's, a repeated `queries`, a count
// that is not a whole number, a list longer than Neptune's) it returns nothing and the body
// goes to the readings above, entry by entry and then Poco, so that what is accepted, and how a
// refusal or a malformed entry reads, stay exactly as they were. The entries that are
// well-formed JSON but of the wrong shape (a negative clock, a queryString that is a number)
// are read here, as read_entry() reads them.

namespace ondemand = simdjson::ondemand;

// The nesting this path descends into (Neptune's bodies are 4 levels deep): a deeper value is
// left to the readings above, which apply Poco's limit.
constexpr int kOnDemandDepth = 32;
// A parser keeps the buffers of the largest body it has seen: its structural indexes (4 bytes
// per byte of body, touched only for each structural character) and a string buffer this path
// never writes to. Bodies up to kReusedCapacity reuse one parser per thread (a poller polls
// every few seconds, and Neptune's 8,192-query list is about 2 MB); larger ones get a parser of
// their own, freed at once.
constexpr std::size_t kReusedCapacity = std::size_t{32} << 20;
// A reused parser whose buffers are over kKeptCapacity and more than kShrinkRatio times the body
// just parsed gives them back: one large answer does not pin its memory for the life of the
// thread, while an endpoint whose lists stay large keeps reusing its buffers.
constexpr std::size_t kKeptCapacity = std::size_t{1} << 20;
constexpr std::size_t kShrinkRatio = 4;

struct OnDemandState {
  // The structural index of the body being read (IndexedReader), allocated on first use.
  std::unique_ptr<simdjson::internal::dom_parser_implementation> structure;
  // For the bodies IndexedReader does not read whole.
  ondemand::parser parser;
  // A padded copy of a body that cannot be read where it is: simdjson reads up to
  // SIMDJSON_PADDING bytes past the end of its input, which a string_view cannot promise.
  std::string padded;
  // Where a string with escapes is unescaped (a string without escapes, the usual case, is read
  // where it is in the body): keys and values that are only checked share `unescaped`, one
  // string at a time; an entry's id, text and `cancelled` are held until the entry is built,
  // so each has a buffer of its own.
  std::string unescaped;
  std::string id_text;
  std::string query_text;
  std::string cancelled_text;
  // A string with escapes copied out of the body, with its closing quote and padding, for
  // simdjson's unescaping, which reads past the string (IndexedReader).
  std::string escaped;
  // The previous list read with this state: its entries and its body's size, to size the next
  // list's vector once instead of growing it (a poller's lists look alike from poll to poll).
  std::size_t last_entries = 0;
  std::size_t last_body_size = 0;
  // The end of the body being read.
  const char* input_end = nullptr;

  // `readable_past_end`: the body's memory goes on for at least SIMDJSON_PADDING bytes past
  // its end, so it is read where it is, without a copy.
  simdjson::simdjson_result<ondemand::document> iterate(std::string_view body,
                                                        bool readable_past_end = false) {
    const std::size_t wanted = std::max<std::size_t>(body.size(), 4096);
    const std::size_t capacity = parser.capacity();
    // allocate() replaces every buffer of an On-Demand parser, so it also shrinks them.
    if (capacity < wanted || (capacity > kKeptCapacity && capacity / kShrinkRatio > wanted)) {
      if (const auto error = parser.allocate(wanted, kMaxDepth)) return error;
    }
    const char* const input = prepare(body, readable_past_end);
    return parser.iterate(input, body.size(), body.size() + simdjson::SIMDJSON_PADDING);
  }

  // Indexes `body` (stage 1 of simdjson: the positions of its structural characters, its UTF-8
  // and its strings' control characters checked) into `structure`, as On-Demand's iterate()
  // does, with the implementation simdjson chose for this CPU; false when the indexing failed.
  // Stage 1 reads no byte past the body (its last block is copied into a padded one), and
  // IndexedReader reads none either, so the body is read where it is, padded or not.
  bool index(std::string_view body) {
    const std::size_t wanted = std::max<std::size_t>(body.size(), 4096);
    if (!structure || structure->capacity() < wanted ||
        (structure->capacity() > kKeptCapacity && structure->capacity() / kShrinkRatio > wanted)) {
      structure.reset();  // before allocating anew: the old buffers are not kept alongside
      if (simdjson::get_active_implementation()->create_dom_parser_implementation(wanted, kMaxDepth,
                                                                                  structure)) {
        structure.reset();
        return false;
      }
    }
    // The On-Demand parser is only for the bodies this index does not read: one that a large
    // such body grew does not keep its buffers.
    if (parser.capacity() > kKeptCapacity && parser.capacity() / kShrinkRatio > wanted)
      parser = ondemand::parser{};
    return !structure->stage1(reinterpret_cast<const std::uint8_t*>(body.data()), body.size(),
                              simdjson::stage1_mode::regular);
  }

 private:
  // Where `body` can be read with SIMDJSON_PADDING bytes after it: where it is, or in `padded`.
  const char* prepare(std::string_view body, bool readable_past_end) {
    if (padded.capacity() > kKeptCapacity &&
        (readable_past_end || padded.capacity() / kShrinkRatio > body.size())) {
      padded.clear();
      padded.shrink_to_fit();
    }
    // Only a string of over a megabyte with escapes grows it that far (Neptune cuts texts at
    // 1,024 characters): it is not kept for the next one.
    for (std::string* buffer : {&unescaped, &id_text, &query_text, &cancelled_text, &escaped}) {
      if (buffer->capacity() > kKeptCapacity) {
        buffer->clear();
        buffer->shrink_to_fit();
      }
    }
    if (readable_past_end) {
      input_end = body.data() + body.size();
      return body.data();
    }
    padded.resize(body.size() + simdjson::SIMDJSON_PADDING);
    std::copy(body.begin(), body.end(), padded.begin());
    input_end = padded.data() + body.size();
    return padded.data();
  }

 public:
  // The text of the JSON string whose opening quote precedes `raw`; false for an escape that is
  // not valid (malformed, or a lone UTF-16 surrogate), as the DOM would refuse it. UTF-8 and
  // control characters were checked for the whole body when it was indexed. The text lives in
  // the body or in `buffer` (by default `unescaped`), until the next string is read into it.
  bool text_of(ondemand::raw_json_string raw, std::string_view& text) {
    return text_of(raw, text, unescaped);
  }
  bool text_of(ondemand::raw_json_string raw, std::string_view& text, std::string& buffer) {
    const char* const begin = raw.raw();
    // The indexing found the closing quote (an unclosed string fails it): the first quote ends
    // the string unless a backslash comes before it. memchr finds both at SIMD speed; the texts
    // are long and escapes rare.
    const char* end = static_cast<const char*>(
        std::memchr(begin, '"', static_cast<std::size_t>(input_end - begin)));
    if (!end) return false;
    const bool escaped = std::memchr(begin, '\\', static_cast<std::size_t>(end - begin)) != nullptr;
    if (escaped) {
      // A quote preceded by an odd run of backslashes is escaped, as the indexing counts it.
      for (end = begin; *end != '"'; ++end)
        if (*end == '\\') ++end;
    }
    if (!escaped) {
      text = std::string_view(begin, static_cast<std::size_t>(end - begin));
      return true;
    }
    return unescape(raw, static_cast<std::size_t>(end - begin), text, buffer);
  }

  // The text of the string value `value` (of type string, not yet read): its token runs from
  // the opening quote to the next structural character, so it is the string and whitespace, and
  // a string without a backslash is its token's inside, with no search for its end. Validity as
  // text_of() checks it.
  bool string_value(ondemand::value value, std::string_view& text, std::string& buffer) {
    ondemand::raw_json_string raw;
    if (value.get_raw_json_string().get(raw)) return false;
    std::string_view token = value.raw_json_token();
    while (!token.empty() && is_json_whitespace(token.back())) token.remove_suffix(1);
    if (token.size() < 2 || token.back() != '"') return false;
    const std::string_view inside = token.substr(1, token.size() - 2);
    if (!std::memchr(inside.data(), '\\', inside.size())) {
      text = inside;
      return true;
    }
    return unescape(raw, inside.size(), text, buffer);
  }

  static bool is_json_whitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

 private:
  // Unescapes the string at `raw`, of `length` bytes as written, into `buffer`.
  bool unescape(ondemand::raw_json_string raw, std::size_t length, std::string_view& text,
                std::string& buffer) {
    const std::size_t needed = length + simdjson::SIMDJSON_PADDING;
    if (buffer.size() < needed) buffer.resize(needed);
    auto* out = reinterpret_cast<std::uint8_t*>(buffer.data());
    return !parser.unescape(raw, out).get(text);
  }
};

// A value read and validated, with what the rules of a named field need to know of it.
struct ReadValue {
  enum class Kind { absent, null, integer, big_integer, fraction, boolean, string, object, array };
  // Only `kind` is set when a ReadValue is made: the member for its kind is set with it, and
  // the others are never read (six are made per entry of a list).
  Kind kind = Kind::absent;
  std::int64_t integer;  // integer: as simdjson's DOM types it, one that fits int64
  std::uint64_t big;     // big_integer: past int64, within uint64
  bool boolean;
  // string: where it is in the body, or in the buffer it was unescaped into (valid until that
  // buffer's next string)
  std::string_view text;
};

bool check_value(ondemand::value value, int depth, OnDemandState& state);

// A whole number of at most 18 digits as JSON writes it (no leading zero), read from its token
// (the number, then whitespace); false for any other token, which simdjson then reads. Such a
// number fits int64 whatever its digits, and it is what every clock and count of Neptune's is.
bool small_integer(std::string_view token, std::int64_t& n) {
  const char* p = token.data();
  const char* const end = p + token.size();
  const bool negative = p != end && *p == '-';
  if (negative) ++p;
  const char* const digits = p;
  std::int64_t value = 0;
  while (p != end && *p >= '0' && *p <= '9' && p - digits < 18) value = value * 10 + (*p++ - '0');
  if (p == digits || (*digits == '0' && p - digits > 1)) return false;
  for (; p != end; ++p)
    if (!OnDemandState::is_json_whitespace(*p)) return false;  // a 19th digit, '.', 'e', ...
  n = negative ? -value : value;
  return true;
}

// Reads `value` into `out` (an object or an array is only checked, unless it is an object and
// `object` is given: then that reads its fields); false when it is not valid as the DOM reads
// it, or deeper than this path goes. A string is unescaped, if it must be, into `buffer`.
template <typename ObjectReader>
bool read_value(ondemand::value value, int depth, OnDemandState& state, ReadValue& out,
                ObjectReader&& object, std::string& buffer) {
  using Kind = ReadValue::Kind;
  out = ReadValue{};
  ondemand::json_type type;
  if (value.type().get(type)) return false;
  switch (type) {
    case ondemand::json_type::null: {
      bool null = false;
      out.kind = Kind::null;
      return !value.is_null().get(null) && null;  // "nul", "nullx": not null
    }
    case ondemand::json_type::boolean:
      out.kind = Kind::boolean;
      return !value.get_bool().get(out.boolean);
    case ondemand::json_type::string:
      out.kind = Kind::string;
      return state.string_value(value, out.text, buffer);
    case ondemand::json_type::number: {
      // simdjson's DOM types a number with a fraction or an exponent as a double, an integer
      // as int64 when it fits and as uint64 when only that fits; anything else it refuses.
      const std::string_view token = value.raw_json_token();
      if (small_integer(token, out.integer)) {
        out.kind = Kind::integer;
        return true;
      }
      if (token.find_first_of(".eE") != std::string_view::npos) {
        double fraction = 0;
        out.kind = Kind::fraction;
        return !value.get_double().get(fraction);
      }
      if (!value.get_int64().get(out.integer)) {
        out.kind = Kind::integer;
        return true;
      }
      out.kind = Kind::big_integer;
      return !value.get_uint64().get(out.big);
    }
    case ondemand::json_type::object:
      out.kind = Kind::object;
      return object(value, depth);
    case ondemand::json_type::array:
      out.kind = Kind::array;
      return check_value(value, depth, state);
  }
  return false;
}

bool read_value(ondemand::value value, int depth, OnDemandState& state, ReadValue& out,
                std::string& buffer) {
  return read_value(
      value, depth, state, out,
      [&state](ondemand::value object, int at) { return check_value(object, at, state); }, buffer);
}

bool read_value(ondemand::value value, int depth, OnDemandState& state, ReadValue& out) {
  return read_value(value, depth, state, out, state.unescaped);
}

// Calls `field(key, value)` for each member of the object `value` (the key lives until the
// field's value is read); false when the object is not valid or `field` returns false.
template <typename Field>
bool for_each_field(ondemand::value value, OnDemandState& state, Field&& field) {
  ondemand::object object;
  if (value.get_object().get(object)) return false;
  for (auto member : object) {
    ondemand::field read;
    std::string_view key;
    if (std::move(member).get(read) || !state.text_of(read.key(), key)) return false;
    if (!field(key, read.value())) return false;
  }
  return true;
}

// Whether `value`, at nesting `depth`, is valid JSON as the DOM reads it: every value in it is
// read, so that nothing On-Demand would skip goes unchecked.
bool check_value(ondemand::value value, int depth, OnDemandState& state) {
  ondemand::json_type type;
  if (value.type().get(type)) return false;
  if (type == ondemand::json_type::object) {
    if (depth >= kOnDemandDepth) return false;
    return for_each_field(value, state, [&](std::string_view, ondemand::value member) {
      return check_value(member, depth + 1, state);
    });
  }
  if (type == ondemand::json_type::array) {
    if (depth >= kOnDemandDepth) return false;
    ondemand::array array;
    if (value.get_array().get(array)) return false;
    for (auto element : array) {
      ondemand::value item;
      if (std::move(element).get(item) || !check_value(item, depth + 1, state)) return false;
    }
    return true;
  }
  ReadValue scalar;
  return read_value(value, depth, state, scalar);
}

// millis_value() and cancelled_value() for a value read here.
std::int64_t millis_read(const ReadValue& v, std::string_view name) {
  using Kind = ReadValue::Kind;
  if (v.kind == Kind::absent || v.kind == Kind::null) return 0;
  if (v.kind == Kind::integer) {
    if (v.integer < 0) throw ShapeError{"'" + std::string(name) + "' is negative"};
    return v.integer;
  }
  if (v.kind == Kind::big_integer) throw ShapeError{"'" + std::string(name) + "' is out of range"};
  throw ShapeError{"'" + std::string(name) + "' is not a whole number"};
}

bool cancelled_read(const ReadValue& v) {
  using Kind = ReadValue::Kind;
  if (v.kind == Kind::absent || v.kind == Kind::null) return false;
  if (v.kind == Kind::boolean) return v.boolean;
  if (v.kind == Kind::string) {
    if (ascii_iequals(v.text, "true")) return true;
    if (ascii_iequals(v.text, "false")) return false;
  }
  throw ShapeError{"'cancelled' is not a boolean"};
}

// Calls `field(key, value)` for each member of the object `value`, with the key as written
// (not yet read or checked: see which_key()); false when the object is not valid or `field`
// returns false.
template <typename Field>
bool for_each_raw_field(ondemand::value value, Field&& field) {
  ondemand::object object;
  if (value.get_object().get(object)) return false;
  for (auto member : object) {
    ondemand::field read;
    if (std::move(member).get(read)) return false;
    if (!field(read.key(), read.value())) return false;
  }
  return true;
}

// Which of the names `a`, `b`, `c` the key `raw` is: 0, 1 or 2; 3 for another key; -1 for a key
// that is not a valid string. A key written as one of the names followed by its closing quote
// is that name, with nothing to unescape or check (no backslash can hide in it): that is found
// by comparing its first bytes (the body's padding makes them readable). Any other key is read
// and checked as text_of() does, and compared once unescaped.
template <std::size_t A, std::size_t B, std::size_t C>
int which_key(ondemand::raw_json_string raw, OnDemandState& state, const char (&a)[A],
              const char (&b)[B], const char (&c)[C]) {
  const char* const k = raw.raw();
  if (k[A - 1] == '"' && std::memcmp(k, a, A - 1) == 0) return 0;
  if (k[B - 1] == '"' && std::memcmp(k, b, B - 1) == 0) return 1;
  if (k[C - 1] == '"' && std::memcmp(k, c, C - 1) == 0) return 2;
  std::string_view key;
  if (!state.text_of(raw, key)) return -1;
  if (key == std::string_view(a, A - 1)) return 0;
  if (key == std::string_view(b, B - 1)) return 1;
  if (key == std::string_view(c, C - 1)) return 2;
  return 3;
}

void add_entry(const ReadValue& id, const ReadValue& text, const ReadValue& stats,
               const ReadValue& elapsed, const ReadValue& waited, const ReadValue& cancelled,
               StatusSnapshot& snapshot);

// Reads the entry `value` (at nesting `depth`) into `snapshot`, as read_entry() reads the same
// entry; false when it is not provably valid. Of a repeated key the last occurrence counts, as
// in the other readings. The id and text are held as views (into the body, or into the state's
// buffers when they had escapes) and copied once, into the entry's QueryStatus.
bool read_entry_on_demand(ondemand::value value, int depth, StatusSnapshot& snapshot,
                          OnDemandState& state) {
  ondemand::json_type type;
  if (value.type().get(type)) return false;
  if (type != ondemand::json_type::object) {
    if (!check_value(value, depth, state)) return false;
    ++snapshot.skipped_entries;
    return true;
  }
  ReadValue id, text, stats, elapsed, waited, cancelled;
  const auto read_stats = [&](ondemand::value object, int at) {
    elapsed = waited = cancelled = ReadValue{};
    if (at >= kOnDemandDepth) return false;
    return for_each_raw_field(object, [&](ondemand::raw_json_string key, ondemand::value member) {
      switch (which_key(key, state, "elapsed", "waited", "cancelled")) {
        case 0:
          return read_value(member, at + 1, state, elapsed);
        case 1:
          return read_value(member, at + 1, state, waited);
        case 2:
          return read_value(member, at + 1, state, cancelled, state.cancelled_text);
        case 3:
          return check_value(member, at + 1, state);
        default:
          return false;
      }
    });
  };
  if (depth >= kOnDemandDepth) return false;
  const bool valid =
      for_each_raw_field(value, [&](ondemand::raw_json_string key, ondemand::value member) {
        switch (which_key(key, state, "queryId", "queryString", "queryEvalStats")) {
          case 0:
            return read_value(member, depth + 1, state, id, state.id_text);
          case 1:
            return read_value(member, depth + 1, state, text, state.query_text);
          case 2:
            // A stats object that a later one replaces must not leave its clocks behind.
            elapsed = waited = cancelled = ReadValue{};
            return read_value(member, depth + 1, state, stats, read_stats, state.unescaped);
          case 3:
            return check_value(member, depth + 1, state);
          default:
            return false;
        }
      });
  if (!valid) return false;
  add_entry(id, text, stats, elapsed, waited, cancelled, snapshot);
  return true;
}

// Adds the entry whose fields were read as these values to `snapshot`, as read_entry() does.
// Its strings are made once each, in place (not assigned into empty ones).
void add_entry(const ReadValue& id, const ReadValue& text, const ReadValue& stats,
               const ReadValue& elapsed, const ReadValue& waited, const ReadValue& cancelled,
               StatusSnapshot& snapshot) {
  using Kind = ReadValue::Kind;
  if (id.kind != Kind::string || id.text.empty()) {
    ++snapshot.skipped_entries;
    return;
  }
  std::int64_t elapsed_ms = 0;
  std::int64_t waited_ms = 0;
  bool is_cancelled = false;
  try {
    if (text.kind != Kind::string && text.kind != Kind::absent && text.kind != Kind::null)
      throw ShapeError{"queryString is not a string"};
    if (stats.kind != Kind::absent && stats.kind != Kind::null) {
      if (stats.kind != Kind::object) throw ShapeError{"queryEvalStats is not an object"};
      try {
        elapsed_ms = millis_read(elapsed, "elapsed");
        waited_ms = millis_read(waited, "waited");
        is_cancelled = cancelled_read(cancelled);
      } catch (const ShapeError& e) {
        throw ShapeError{"queryEvalStats: " + e.what};
      }
    }
  } catch (ShapeError& e) {
    snapshot.malformed.push_back(MalformedEntry{std::string(id.text), std::move(e.what)});
    return;
  }
  snapshot.queries.push_back(QueryStatus{
      std::string(id.text), text.kind == Kind::string ? std::string(text.text) : std::string(),
      elapsed_ms, waited_ms, is_cancelled});
}

// The size to reserve for the entries of a list in a body of `body_size` bytes: the previous
// list's entries per byte of body, so that the vector is allocated once, not grown and copied a
// dozen times (a poller's lists look alike from poll to poll). A list unlike the last one only
// grows it; an estimate too large is still bounded by the bound on entries.
std::size_t expected_entries(const OnDemandState& state, std::size_t body_size) {
  if (state.last_body_size == 0) return 0;
  return std::min<std::size_t>(kMaxStatusEntries,
                               static_cast<std::size_t>(static_cast<unsigned long long>(body_size) *
                                                        state.last_entries / state.last_body_size));
}

// --- The first fast path: the structural index read directly. ---
//
// On-Demand's value, object and array iterators cost more than the reading they do: most of
// the time of a list went into them. This reader walks simdjson's structural index (the
// position of every {}[],: and of the start of every string and scalar, found at SIMD speed,
// with the body's UTF-8 and its strings' control characters checked) itself, and checks the
// grammar as it goes: every value is read, keys are strings followed by ':', members and
// elements are separated by ',' and closed by their own bracket, nothing follows the root.
// It reads only what the status lists Neptune sends hold, and reads it as the On-Demand reader
// above does: strings (escapes unescaped by simdjson's own routine, which refuses a malformed
// one or a lone surrogate), whole numbers of at most 18 digits, true, false, null, and objects
// and arrays of them up to the same depth. For anything else (a fraction, an exponent, a larger
// number, a repeated `queries`, a count that is not a whole number, deeper nesting, an error of
// any kind) it gives up, and the On-Demand reader reads the body from the start and decides.
// The reader's smallest steps run once per structural character: a call each would cost more
// than the step.
#define NW_INLINE __attribute__((always_inline)) inline

class IndexedReader {
 public:
  IndexedReader(const char* input, std::size_t size, OnDemandState& state)
      : buf_(input),
        size_(static_cast<std::uint32_t>(size)),
        index_(state.structure->structural_indexes.get()),
        count_(state.structure->n_structural_indexes),
        state_(state) {}

  std::optional<StatusSnapshot> read(Language language) {
    if (current() != '{') return std::nullopt;
    StatusSnapshot snapshot;
    snapshot.language = language;
    ReadValue accepted, running;
    bool listed = false;
    const bool valid = object(0, [&](std::string_view key, int depth, auto& self) {
      if (is(key, "acceptedQueryCount")) return value(depth, accepted, state_.unescaped);
      if (is(key, "runningQueryCount")) return value(depth, running, state_.unescaped);
      if (is(key, "queries")) {
        if (listed) return false;  // a second list would replace the first
        listed = true;
        if (current() == '[') return list(depth, snapshot);
        ReadValue null;
        return value(depth, null, state_.unescaped) && null.kind == ReadValue::Kind::null;
      }
      return other_member(key, depth, self);
    });
    if (!valid || at_ != count_) return std::nullopt;  // nothing may follow the root
    try {
      snapshot.accepted_count = millis_read(accepted, "acceptedQueryCount");
      snapshot.running_count = millis_read(running, "runningQueryCount");
    } catch (const ShapeError&) {
      return std::nullopt;
    }
    return snapshot;
  }

 private:
  // Whether `key` is `name`: a comparison of a known length, which the compiler inlines.
  template <std::size_t N>
  NW_INLINE static bool is(std::string_view key, const char (&name)[N]) {
    constexpr std::size_t n = N - 1;
    if (key.size() != n) return false;
    // Two overlapping loads of the first and last bytes compare names of 4 to 16 bytes (a call
    // to memcmp would cost more than the comparison).
    if constexpr (n >= 8 && n <= 16) {
      return load<std::uint64_t>(key.data()) == load<std::uint64_t>(name) &&
             load<std::uint64_t>(key.data() + n - 8) == load<std::uint64_t>(name + n - 8);
    } else if constexpr (n >= 4 && n < 8) {
      return load<std::uint32_t>(key.data()) == load<std::uint32_t>(name) &&
             load<std::uint32_t>(key.data() + n - 4) == load<std::uint32_t>(name + n - 4);
    } else {
      return std::memcmp(key.data(), name, n) == 0;
    }
  }
  template <typename Word>
  NW_INLINE static Word load(const char* p) {
    Word word;
    std::memcpy(&word, p, sizeof word);
    return word;
  }

  // The character at the current structural position; 0 past the last one.
  NW_INLINE char current() const { return at_ < count_ ? buf_[index_[at_]] : '\0'; }
  // Where the current token ends: at the next structural position (or the end), so a scalar's
  // token is the scalar and the whitespace after it.
  NW_INLINE std::uint32_t token_end() const { return at_ + 1 < count_ ? index_[at_ + 1] : size_; }
  // Consumes `c` at the current position.
  NW_INLINE bool take(char c) {
    if (current() != c) return false;
    ++at_;
    return true;
  }

  // The inside of the string at the current position (an opening quote), as written, and
  // consumes it. Its closing quote is the last character of its token but whitespace: anything
  // else after it would have been indexed.
  NW_INLINE bool string_as_written(std::string_view& inside) {
    const std::uint32_t begin = index_[at_];
    std::uint32_t end = token_end();
    while (end > begin + 1 && OnDemandState::is_json_whitespace(buf_[end - 1])) --end;
    if (end < begin + 2 || buf_[end - 1] != '"') return false;
    inside = std::string_view(buf_ + begin + 1, end - begin - 2);
    ++at_;
    return true;
  }

  // `inside` unescaped into `buffer` (simdjson's routine: false for a malformed escape or a
  // lone surrogate). The routine reads in blocks past the closing quote, so it reads a padded
  // copy, not the body.
  bool unescape(std::string_view inside, std::string_view& text, std::string& buffer) {
    std::string& source = state_.escaped;
    if (source.size() < inside.size() + 1 + simdjson::SIMDJSON_PADDING)
      source.resize(inside.size() + 1 + simdjson::SIMDJSON_PADDING);
    std::memcpy(source.data(), inside.data(), inside.size());
    source[inside.size()] = '"';
    if (buffer.size() < inside.size() + simdjson::SIMDJSON_PADDING)
      buffer.resize(inside.size() + simdjson::SIMDJSON_PADDING);
    auto* const out = reinterpret_cast<std::uint8_t*>(buffer.data());
    const std::uint8_t* const end =
        state_.structure->parse_string(reinterpret_cast<const std::uint8_t*>(source.data()), out);
    if (!end) return false;
    text = std::string_view(buffer.data(), static_cast<std::size_t>(end - out));
    return true;
  }

  // Whether `text` holds a backslash, eight bytes at a time: the strings are short, and a call
  // to memchr costs more than the search. The last word may read past `text`, never past the
  // body (`text` in the body) or the buffer (`text` unescaped); what lies there is masked off.
  NW_INLINE bool has_backslash(std::string_view text) const {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
    constexpr std::uint64_t kBackslashes = kOnes * static_cast<unsigned char>('\\');
    const char* p = text.data();
    std::size_t left = text.size();
    const bool in_body = p >= buf_ && p <= buf_ + size_;
    if (left == 0) return false;
    if (in_body && static_cast<std::size_t>(buf_ + size_ - p) < ((left + 7) & ~std::size_t{7}))
      return std::memchr(p, '\\', left) != nullptr;  // at the very end of the body
    for (;; p += 8, left -= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      word ^= kBackslashes;  // a byte that was a backslash is now zero
      // The lowest zero byte sets its high bit here (a borrow can only mark bytes above a zero).
      std::uint64_t zeros = (word - kOnes) & ~word & kHighs;
      if (left <= 8) {
        if (left < 8) zeros &= (std::uint64_t{1} << (8 * left)) - 1;
        return zeros != 0;
      }
      if (zeros) return true;
    }
  }

  // The text of the string at the current position; a string with escapes is unescaped into
  // `buffer`.
  NW_INLINE bool string(std::string_view& text, std::string& buffer) {
    std::string_view inside;
    if (!string_as_written(inside)) return false;
    if (!has_backslash(inside)) {
      text = inside;
      return true;
    }
    return unescape(inside, text, buffer);
  }

  // `word` (true, false or null) at the current position, with nothing but whitespace after it.
  template <std::size_t N>
  NW_INLINE bool literal(const char (&word)[N]) {
    static_assert(N - 1 >= 4 && N - 1 <= 8);
    const std::uint32_t begin = index_[at_];
    const std::uint32_t end = token_end();
    // The token is at least as long as the word, so both loads stay in it.
    if (end - begin < N - 1 || load<std::uint32_t>(buf_ + begin) != load<std::uint32_t>(word) ||
        load<std::uint32_t>(buf_ + begin + N - 5) != load<std::uint32_t>(word + N - 5))
      return false;
    for (std::uint32_t i = begin + N - 1; i < end; ++i)
      if (!OnDemandState::is_json_whitespace(buf_[i])) return false;
    ++at_;
    return true;
  }

  // Any value, at nesting `depth`, into `out` (objects and arrays only checked); a string is
  // unescaped, if it must be, into `buffer`. The values of Neptune's fields, a string or a
  // whole number, are read here, the others by any_value().
  NW_INLINE bool value(int depth, ReadValue& out, std::string& buffer) {
    using Kind = ReadValue::Kind;
    const char c = current();
    if (c == '"') {
      out.kind = Kind::string;
      return string(out.text, buffer);
    }
    if (c >= '0' && c <= '9') {
      out.kind = Kind::integer;
      const std::uint32_t begin = index_[at_];
      if (!small_integer(std::string_view(buf_ + begin, token_end() - begin), out.integer))
        return false;
      ++at_;
      return true;
    }
    if (c == 'f') {
      out.kind = Kind::boolean;
      out.boolean = false;
      return literal("false");
    }
    if (c == 't') {
      out.kind = Kind::boolean;
      out.boolean = true;
      return literal("true");
    }
    return any_value(depth, out, buffer);
  }

  bool any_value(int depth, ReadValue& out, std::string& buffer) {
    using Kind = ReadValue::Kind;
    switch (current()) {
      case '{':
        out.kind = Kind::object;
        return object(depth, [this](std::string_view key, int at, auto& self) {
          return other_member(key, at, self);
        });
      case '[':
        out.kind = Kind::array;
        return array(depth);
      case '"':
        out.kind = Kind::string;
        return string(out.text, buffer);
      case 'n':
        out.kind = Kind::null;
        return literal("null");
      case '-': {
        out.kind = Kind::integer;
        const std::uint32_t begin = index_[at_];
        if (!small_integer(std::string_view(buf_ + begin, token_end() - begin), out.integer))
          return false;
        ++at_;
        return true;
      }
      default:
        return false;
    }
  }

  // The object at the current position, at nesting `depth`: `member(key, depth + 1, member)`
  // reads each member's value (the key lives until then). The key is as written: one that is a
  // name `member` looks for is that name (no name has a backslash), and `member` hands any
  // other to other_member(), which checks and unescapes it and asks `member` again.
  template <typename Member>
  bool object(int depth, Member&& member) {
    if (depth >= kOnDemandDepth || !take('{')) return false;
    if (take('}')) return true;
    for (;;) {
      std::string_view name;
      if (current() != '"' || !string_as_written(name) || !take(':') ||
          !member(name, depth + 1, member))
        return false;
      if (take('}')) return true;
      if (!take(',')) return false;
    }
  }

  // A member whose key `member` did not look for: when the key has escapes, it may still be a
  // name it looks for once unescaped; otherwise its value is read and checked.
  template <typename Member>
  bool other_member(std::string_view key, int depth, Member& member) {
    if (key.data() != state_.unescaped.data() && has_backslash(key)) {
      std::string_view unescaped;
      if (!unescape(key, unescaped, state_.unescaped)) return false;
      return member(unescaped, depth, member);
    }
    ReadValue other;
    return value(depth, other, state_.unescaped);
  }

  bool array(int depth) {
    if (depth >= kOnDemandDepth || !take('[')) return false;
    if (take(']')) return true;
    for (;;) {
      ReadValue element;
      if (!value(depth + 1, element, state_.unescaped)) return false;
      if (take(']')) return true;
      if (!take(',')) return false;
    }
  }

  // The list at the current position, at nesting `depth`, into `snapshot`.
  bool list(int depth, StatusSnapshot& snapshot) {
    if (!take('[')) return false;
    std::size_t expected = expected_entries(state_, size_);
    if (expected == 0) {
      // No estimate from an earlier list (this parser's first, as in a one-off --test-matching
      // run, or one after an empty list): at most as many entries as objects begin after here
      // (nested ones too, so about twice as many). A larger reservation costs address space
      // only; the pages of entries never made are never touched.
      for (std::uint32_t i = at_; i < count_; ++i) expected += buf_[index_[i]] == '{';
      expected = std::min<std::size_t>(expected, kMaxStatusEntries);
    }
    snapshot.queries.reserve(expected);
    std::size_t entries = 0;
    if (!take(']')) {
      for (;;) {
        // A list longer than Neptune could have sent is left to the other readings, which
        // refuse it before reading any entry of it.
        if (++entries > kMaxStatusEntries || !entry(depth + 1, snapshot)) return false;
        if (take(']')) break;
        if (!take(',')) return false;
      }
    }
    state_.last_entries = entries;
    state_.last_body_size = size_;
    return true;
  }

  // The entry at the current position, at nesting `depth`, into `snapshot`, as
  // read_entry_on_demand() reads it.
  bool entry(int depth, StatusSnapshot& snapshot) {
    if (current() != '{') {
      ReadValue other;
      if (!value(depth, other, state_.unescaped)) return false;
      ++snapshot.skipped_entries;
      return true;
    }
    ReadValue id, text, stats, elapsed, waited, cancelled;
    const auto read_stats = [&](std::string_view name, int at, auto& self) {
      if (is(name, "elapsed")) return value(at, elapsed, state_.unescaped);
      if (is(name, "waited")) return value(at, waited, state_.unescaped);
      if (is(name, "cancelled")) return value(at, cancelled, state_.cancelled_text);
      return other_member(name, at, self);
    };
    const bool valid = object(depth, [&](std::string_view name, int at, auto& self) {
      if (is(name, "queryId")) return value(at, id, state_.id_text);
      if (is(name, "queryString")) return value(at, text, state_.query_text);
      if (is(name, "queryEvalStats")) {
        // A stats object that a later one replaces must not leave its clocks behind. (Only the
        // kind is reset: what else a ReadValue holds is read only for its kind, and a copy of
        // a whole empty one costs a block copy.)
        elapsed.kind = waited.kind = cancelled.kind = ReadValue::Kind::absent;
        if (current() != '{') return value(at, stats, state_.unescaped);
        stats.kind = ReadValue::Kind::object;
        return object(at, read_stats);
      }
      return other_member(name, at, self);
    });
    if (!valid) return false;
    add_entry(id, text, stats, elapsed, waited, cancelled, snapshot);
    return true;
  }

  const char* const buf_;
  const std::uint32_t size_;
  const std::uint32_t* const index_;
  const std::uint32_t count_;
  std::uint32_t at_ = 0;
  OnDemandState& state_;
};

#undef NW_INLINE

// The snapshot of `body` read by IndexedReader; nullopt when it gives up.
std::optional<StatusSnapshot> read_indexed(std::string_view body, Language language,
                                           OnDemandState& state) {
  if (!state.index(body)) return std::nullopt;
  return IndexedReader(body.data(), body.size(), state).read(language);
}

// The snapshot of `body` read On-Demand; nullopt when the body is not provably valid and read
// whole, or when it is refused (the readings above then decide, and word the refusal).
std::optional<StatusSnapshot> read_on_demand(std::string_view body, Language language,
                                             OnDemandState& state, bool readable_past_end) {
  ondemand::document document;
  if (state.iterate(body, readable_past_end).get(document)) return std::nullopt;
  ondemand::object root;
  if (document.get_object().get(root)) return std::nullopt;
  StatusSnapshot snapshot;
  snapshot.language = language;
  ReadValue accepted, running;
  bool listed = false;
  for (auto member : root) {
    ondemand::field field;
    std::string_view key;
    if (std::move(member).get(field) || !state.text_of(field.key(), key)) return std::nullopt;
    ondemand::value value = field.value();
    if (key == "acceptedQueryCount") {
      if (!read_value(value, 1, state, accepted)) return std::nullopt;
    } else if (key == "runningQueryCount") {
      if (!read_value(value, 1, state, running)) return std::nullopt;
    } else if (key == "queries") {
      // A second list would replace the first: rare enough to leave to the readings above.
      if (listed) return std::nullopt;
      listed = true;
      ondemand::json_type type;
      if (value.type().get(type)) return std::nullopt;
      if (type == ondemand::json_type::null) {
        ReadValue null;
        if (!read_value(value, 1, state, null)) return std::nullopt;
        continue;
      }
      ondemand::array list;
      if (type != ondemand::json_type::array || value.get_array().get(list)) return std::nullopt;
      // One pass: counting the entries first would walk the list twice. A list longer than
      // Neptune could have sent stops being read at the entry past the bound, and the readings
      // above refuse it (before reading any entry of it).
      snapshot.queries.reserve(expected_entries(state, body.size()));
      std::size_t entries = 0;
      for (auto element : list) {
        if (++entries > kMaxStatusEntries) return std::nullopt;
        ondemand::value entry;
        if (std::move(element).get(entry) || !read_entry_on_demand(entry, 2, snapshot, state))
          return std::nullopt;
      }
      state.last_entries = entries;
      state.last_body_size = body.size();
    } else if (!check_value(value, 1, state)) {
      return std::nullopt;
    }
  }
  // Nothing may follow the root object: the location is out of bounds only at the end.
  if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) return std::nullopt;
  try {
    snapshot.accepted_count = millis_read(accepted, "acceptedQueryCount");
    snapshot.running_count = millis_read(running, "runningQueryCount");
  } catch (const ShapeError&) {
    return std::nullopt;
  }
  return snapshot;
}

// `reuse_thread_parser`: lists use the thread's parser; small one-off bodies get their own, so
// that they neither shrink nor regrow the buffers sized for the endpoint's lists.
// `readable_past_end`: as OnDemandState::iterate() takes it.
Result<StatusSnapshot> parse_list(std::string_view body, Language language,
                                  bool reuse_thread_parser, bool readable_past_end = false) {
  std::optional<StatusSnapshot> read;
  const auto read_with = [&](OnDemandState& state) {
    read = read_indexed(body, language, state);
    if (!read) read = read_on_demand(body, language, state, readable_past_end);
  };
  if (reuse_thread_parser && body.size() <= kReusedCapacity) {
    thread_local OnDemandState state;
    read_with(state);
  } else {
    OnDemandState state;
    read_with(state);
  }
  if (read) return std::move(*read);
  // A body the fast path did not accept: when its structure is sound and only some entries hold
  // what cannot be read, the others stand; otherwise (malformed, too deep, a bare value, a
  // refused count or list, ...) Poco's verdict and wording stand, exactly as before simdjson.
  if (std::optional<Result<StatusSnapshot>> by_entry = read_entry_by_entry(body, language))
    return std::move(*by_entry);
  return parse_status_body_with_poco(body, language);
}

}  // namespace

Result<StatusSnapshot> parse_status_body(std::string_view body, Language language) {
  return parse_list(body, language, true);
}

Result<StatusSnapshot> parse_status_answer(const std::string& body, Language language) {
  static_assert(kAnswerPadding >= simdjson::SIMDJSON_PADDING);
  return parse_list(body, language, true,
                    body.capacity() >= body.size() + simdjson::SIMDJSON_PADDING);
}

Result<QueryStatus> parse_query_status_body(std::string_view body, const std::string& query_id,
                                            Language language) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    if (language == Language::sparql)
      return Failure{FailureKind::query_not_found, 200, "",
                     "empty reply: the query had already ended"};
    return bad("empty reply to a single-query status request");
  }
  // The body on its own must be one JSON object: only then can wrapping it in a list neither
  // repair a broken body nor smuggle in other entries. Its strings may still hold text that is
  // not valid Unicode: the entry is then read as malformed, as it would be in a list.
  Outline outline(body);
  const std::optional<Span> root = outline.document();
  if (!root) {
    try {
      parse_json(body);  // for Poco's words on what is wrong
    } catch (const std::exception& e) {
      return bad(std::string("not JSON: ") + e.what());
    }
    return bad("not JSON: its structure is broken");
  }
  if (body[root->begin] != '{') return bad("not a JSON object");
  bool is_list = false;
  SimdjsonState keys;
  for (const auto& member : outline.members(*root))
    is_list =
        is_list || string_text(body, member.first, keys) == std::optional<std::string>("queries");
  // A status list (as SPARQL answers a cancel) is read as such; otherwise the object is read
  // exactly as the same entry of a list would be.
  Result<StatusSnapshot> read =
      is_list ? parse_list(body, language, false)
              : parse_list("{\"queries\":[" + std::string(body) + "]}", language, false);
  if (!read) return read.failure();
  StatusSnapshot& snapshot = read.value();
  // There is nothing else to act on: an entry for the query that cannot be read is no answer.
  for (const MalformedEntry& m : snapshot.malformed)
    if (m.id == query_id) return bad("the query's entry is malformed: " + m.why);
  std::optional<QueryStatus> found;
  for (QueryStatus& q : snapshot.queries) {
    if (q.id != query_id) continue;
    if (found) return bad("the reply lists the query more than once");
    found = std::move(q);
  }
  if (found) return std::move(*found);
  if (is_list)
    return Failure{FailureKind::query_not_found, 200, "",
                   "the status list no longer shows the query"};
  return bad(snapshot.queries.empty() && snapshot.malformed.empty()
                 ? "not the status of a query"
                 : "the reply is about another query than the one asked for");
}

std::optional<NeptuneErrorBody> parse_error_body(std::string_view body) {
  try {
    const Object::Ptr root = as_object(parse_json(body));
    if (!root) return std::nullopt;
    const Var code = root->get("code");
    if (!code.isString()) return std::nullopt;
    NeptuneErrorBody e;
    e.code = code.extract<std::string>();
    const Var message = root->get("detailedMessage");
    if (message.isString()) e.message = message.extract<std::string>();
    const Var request_id = root->get("requestId");
    if (request_id.isString()) e.request_id = request_id.extract<std::string>();
    return e;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Result<CancelAck> parse_cancel_reply(std::string_view body, Language language) {
  const auto refused = [&](const std::string& why) {
    return Failure{FailureKind::bad_response, 200, "", "cancel not acknowledged: " + why};
  };
  if (language == Language::sparql && body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return Failure{FailureKind::query_not_found, 200, "",
                   "empty reply: the query had already ended"};
  try {
    const Object::Ptr root = as_object(parse_json(body));
    if (!root) return refused("reply is not a JSON object");
    if (language == Language::sparql && (root->has("queries") || root->has("acceptedQueryCount")))
      return CancelAck{};
    if (root->has("payload")) {
      const Var payload = root->get("payload");
      if (payload.type() == typeid(bool) && payload.extract<bool>()) return CancelAck{};
      return refused("reply payload is " + payload.toString() + ", not true");
    }
    // Gremlin's reply has no payload, only {"status": "200 OK"}.
    const Var status = root->get("status");
    if (status.isString() && status.extract<std::string>().rfind("200", 0) == 0) return CancelAck{};
    return refused("reply has neither payload true nor status 200");
  } catch (const std::exception& e) {
    return refused(std::string("reply is not JSON: ") + e.what());
  }
}

}  // namespace nw
