#pragma once
// A JSON writer that lays text out the way Neptune's servlets do. Neptune is a Java
// service whose bodies come from Jackson's DefaultPrettyPrinter, so that is the layout
// imitated here: `"key" : value`, two-space indent per object level, arrays inline with
// their elements (`[ {` ... `}, {` ... `} ]`), and `[ ]` / `{ }` when empty. Clients that
// parse with a strict or hand-rolled parser should meet the same bytes as in production.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nw::sim {

// `text` as a quoted JSON string. Escapes `"`, `\` and control characters (short forms
// where JSON has them, otherwise \u00XX); other bytes, UTF-8 included, pass through.
std::string json_quote(std::string_view text);

class PrettyJsonWriter {
 public:
  PrettyJsonWriter& begin_object();
  PrettyJsonWriter& end_object();
  PrettyJsonWriter& begin_array();
  PrettyJsonWriter& end_array();
  // The next value belongs to this key; only inside an object.
  PrettyJsonWriter& key(std::string_view name);
  // Distinct names rather than overloads: a string literal would otherwise pick bool.
  PrettyJsonWriter& string(std::string_view text);
  PrettyJsonWriter& number(std::int64_t value);
  // A number written as given, e.g. one past 64 bits; the caller makes sure it is one.
  PrettyJsonWriter& raw_number(std::string_view digits);
  // A string written as given, quotes and escapes included (e.g. one that escapes a lone
  // surrogate, which json_quote never writes); the caller makes sure it is one.
  PrettyJsonWriter& raw_string(std::string_view quoted);
  PrettyJsonWriter& boolean(bool value);

  const std::string& str() const { return out_; }

 private:
  struct Level {
    bool is_object = false;
    bool empty = true;
  };
  void before_value();
  void newline_indent();

  std::string out_;
  std::vector<Level> levels_;
  int object_depth_ = 0;
  bool after_key_ = false;
};

}  // namespace nw::sim
