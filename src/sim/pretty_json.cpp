#include "nw/sim/pretty_json.h"

namespace nw::sim {

std::string json_quote(std::string_view text) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out.push_back(kHex[(c >> 4) & 0xF]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

void PrettyJsonWriter::newline_indent() {
  out_.push_back('\n');
  out_.append(static_cast<std::size_t>(object_depth_) * 2, ' ');
}

void PrettyJsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (levels_.empty()) return;  // the root value
  Level& level = levels_.back();
  out_ += level.empty ? " " : ", ";
  level.empty = false;
}

PrettyJsonWriter& PrettyJsonWriter::begin_object() {
  before_value();
  out_.push_back('{');
  levels_.push_back(Level{true, true});
  ++object_depth_;
  return *this;
}

PrettyJsonWriter& PrettyJsonWriter::end_object() {
  const bool empty = levels_.back().empty;
  levels_.pop_back();
  --object_depth_;
  if (empty) {
    out_ += " }";
  } else {
    newline_indent();
    out_.push_back('}');
  }
  return *this;
}

PrettyJsonWriter& PrettyJsonWriter::begin_array() {
  before_value();
  out_.push_back('[');
  levels_.push_back(Level{false, true});
  return *this;
}

PrettyJsonWriter& PrettyJsonWriter::end_array() {
  levels_.pop_back();
  out_ += " ]";
  return *this;
}

PrettyJsonWriter& PrettyJsonWriter::key(std::string_view name) {
  Level& level = levels_.back();
  if (!level.empty) out_.push_back(',');
  level.empty = false;
  newline_indent();
  out_ += json_quote(name);
  out_ += " : ";
  after_key_ = true;
  return *this;
}

PrettyJsonWriter& PrettyJsonWriter::string(std::string_view text) {
  before_value();
  out_ += json_quote(text);
  return *this;
}

PrettyJsonWriter& PrettyJsonWriter::number(std::int64_t value) {
  before_value();
  out_ += std::to_string(value);
  return *this;
}

PrettyJsonWriter& PrettyJsonWriter::raw_number(std::string_view digits) {
  before_value();
  out_ += digits;
  return *this;
}

PrettyJsonWriter& PrettyJsonWriter::raw_string(std::string_view quoted) {
  before_value();
  out_ += quoted;
  return *this;
}

PrettyJsonWriter& PrettyJsonWriter::boolean(bool value) {
  before_value();
  out_ += value ? "true" : "false";
  return *this;
}

}  // namespace nw::sim
