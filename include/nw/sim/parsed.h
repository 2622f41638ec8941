#pragma once
// The result of parsing operator input (a CLI value, a fault spec, a control API body):
// either a value or a message that says what was wrong. Kept tiny on purpose; the
// simulator links nothing but Poco and the standard library, so it has its own.
#include <optional>
#include <string>
#include <utility>

namespace nw::sim {

template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // set exactly when value is empty

  static Parsed ok(T v) { return Parsed{std::move(v), {}}; }
  static Parsed fail(std::string message) { return Parsed{std::nullopt, std::move(message)}; }

  explicit operator bool() const { return value.has_value(); }
};

}  // namespace nw::sim
