#pragma once
// The three query languages a Neptune instance serves, each with its own status servlet
// and its own queue of queries (the Neptune user guide's status servlets). Header-only: a name
// table.
#include <array>
#include <cctype>
#include <cstddef>
#include <optional>
#include <string_view>

namespace nw::sim {

enum class Language { opencypher, gremlin, sparql };

inline constexpr std::array<Language, 3> kLanguages = {Language::opencypher, Language::gremlin,
                                                       Language::sparql};

// 0, 1, 2: for arrays indexed by language.
constexpr std::size_t language_index(Language language) {
  return static_cast<std::size_t>(language);
}

// "opencypher" | "gremlin" | "sparql": the names used on the command line, in the control
// API and on the cancel lines.
constexpr std::string_view language_name(Language language) {
  switch (language) {
    case Language::opencypher:
      return "opencypher";
    case Language::gremlin:
      return "gremlin";
    case Language::sparql:
      return "sparql";
  }
  return "?";
}

// A name in any case ("openCypher" as well).
inline std::optional<Language> parse_language(std::string_view text) {
  for (const Language language : kLanguages) {
    const std::string_view name = language_name(language);
    if (name.size() != text.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(text[i])) == name[i];
    if (same) return language;
  }
  return std::nullopt;
}

}  // namespace nw::sim
